/*
 * sysbench.c: system call micro-benchmarks, the same binary on cubos and on
 * a Linux guest under the same QEMU (tools/linux_guest.py), so that the two
 * kernels' figures can be set side by side.
 *
 * Each row times a loop with clock_gettime(CLOCK_MONOTONIC) and prints
 * "bench <name> <ns per op>", a whole number of nanoseconds, or for a
 * throughput "bench <name> <MB per second> MB/s", MB = 10^6 bytes. The rows:
 *
 *   getpid             syscall(SYS_getpid), raw, so no C library can cache
 *                      it: the cost of entering and leaving the kernel.
 *   write-devnull      write(2) of 1 byte to /dev/null.
 *   open-close         open(2) + close(2) of /bin/sysbench, this program in
 *                      the guest's root (argv[0] where that does not exist,
 *                      as on a development host).
 *   read-4k            pread(2) of 4096 bytes at offset 0 of /tmp/bench.dat,
 *                      a 64 KiB file in RAM made first (and /tmp if needed).
 *   mmap-1m            mmap(2) of 1 MiB anonymous private memory, a write to
 *                      one byte of each 4 KiB page (256 page faults), munmap.
 *   futex-pingpong     two threads take turns through one futex word with
 *                      FUTEX_WAIT_PRIVATE and FUTEX_WAKE_PRIVATE; one op is
 *                      a round trip: each thread woken once.
 *   thread-create-join pthread_create of a thread that returns at once, then
 *                      pthread_join.
 *   fork-exit-wait     fork(2) of a child that _exits at once, then wait4(2)
 *                      for it (musl's waitpid).
 *   fork-exec-wait     the same with a child that execve(2)s this program
 *                      (open-close's path) with the argument "exit-at-once",
 *                      on which main returns 0 at once: the same static ELF
 *                      in both guests.
 *   pipe-pingpong      a byte from parent to child through one pipe and back
 *                      through another; one op is a round trip, each process
 *                      woken once.
 *   pipe-throughput    a child writes 64 MiB into a pipe in 64 KiB writes,
 *                      the parent reads it in 64 KiB reads: MB/s.
 *   signal-raise       kill(2) of SIGUSR1 to this process, whose handler
 *                      counts it: the signal frame, the handler and
 *                      rt_sigreturn(2) on the way out of kill.
 *   signal-pingpong    SIGUSR1 from parent to child and back, each waiting
 *                      in sigsuspend(2) with the signal blocked elsewhere;
 *                      one op is a round trip, each process woken once.
 *
 * The last line is "bench done". Iteration counts are fixed, so every kernel
 * does the same work; each loop takes about 0.2 to 0.5 s in a Linux guest
 * under QEMU's TCG. argv[1], a scale factor (default 1, e.g. 0.1 for a quick
 * run), multiplies them all. The rows with a second thread or process depend
 * on whether the kernel runs it on the same CPU or wakes another one; with
 * two CPUs under TCG the Linux guest's figures for them vary about fourfold
 * from one boot to the next, so compare medians of several runs.
 *
 * Expected output: the fourteen lines above in that order, status 0. A row
 * whose setup fails is left out, with a line on stderr, and the status is 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE_BYTES       4096
#define MMAP_BYTES       (1 << 20)
#define READ_BYTES       4096
#define BENCH_FILE_BYTES (64 << 10)
#define PIPE_CHUNK_BYTES (64 << 10)
#define PIPE_TOTAL_BYTES (64 << 20)
/* argv[1] of the program fork-exec-wait runs: return 0 at once. */
#define EXIT_AT_ONCE     "exit-at-once"

/*
 * futex(2) operations, from the man page and Linux's uapi linux/futex.h,
 * which musl-gcc does not see: FUTEX_WAIT is 0, FUTEX_WAKE 1, and the
 * private flag (128) says the word is not shared with another process.
 */
#define FUTEX_WAIT_PRIVATE (0 | 128)
#define FUTEX_WAKE_PRIVATE (1 | 128)

static const char SELF_PATH[] = "/bin/sysbench";
static const char BENCH_DIR[] = "/tmp";
static const char BENCH_FILE[] = "/tmp/bench.dat";

static double scale = 1.0;
static int failures;
/* SELF_PATH, or argv[0] where that does not exist (on a development host). */
static const char *self_path;

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A base iteration count times the scale factor, at least 1. */
static long iterations(long base)
{
    long n = (long)(base * scale);
    return n < 1 ? 1 : n;
}

static void report(const char *name, long n, long long start, long long end)
{
    printf("bench %s %lld\n", name, (end - start + n / 2) / n);
    fflush(stdout);
}

static void fail(const char *name, const char *what, int err)
{
    fprintf(stderr, "sysbench: %s: %s: %s\n", name, what, strerror(err));
    failures++;
}

static void bench_getpid(void)
{
    long n = iterations(1000000);
    long long start = now_ns();
    for (long i = 0; i < n; i++)
        syscall(SYS_getpid);
    report("getpid", n, start, now_ns());
}

static void bench_write_devnull(void)
{
    int fd = open("/dev/null", O_WRONLY);
    if (fd < 0) {
        fail("write-devnull", "open /dev/null", errno);
        return;
    }
    long n = iterations(500000);
    char byte = 'x';
    long long start = now_ns();
    for (long i = 0; i < n; i++)
        write(fd, &byte, 1);
    report("write-devnull", n, start, now_ns());
    close(fd);
}

static void bench_open_close(void)
{
    const char *path = self_path;
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        fail("open-close", path, errno);
        return;
    }
    close(fd);

    long n = iterations(30000);
    long long start = now_ns();
    for (long i = 0; i < n; i++)
        close(open(path, O_RDONLY));
    report("open-close", n, start, now_ns());
}

/* Make BENCH_FILE, BENCH_FILE_BYTES long, and open it; its fd or -1. */
static int make_bench_file(void)
{
    static char data[BENCH_FILE_BYTES];

    if (access(BENCH_DIR, F_OK) < 0 && mkdir(BENCH_DIR, 0777) < 0) {
        fail("read-4k", "mkdir /tmp", errno);
        return -1;
    }
    int fd = open(BENCH_FILE, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        fail("read-4k", "create /tmp/bench.dat", errno);
        return -1;
    }
    memset(data, 'b', sizeof(data));
    for (size_t done = 0; done < sizeof(data);) {
        ssize_t w = write(fd, data + done, sizeof(data) - done);
        if (w <= 0) {
            fail("read-4k", "write /tmp/bench.dat", w < 0 ? errno : EIO);
            close(fd);
            return -1;
        }
        done += (size_t)w;
    }
    return fd;
}

static void bench_read_4k(void)
{
    static char buf[READ_BYTES];
    int fd = make_bench_file();
    if (fd < 0)
        return;
    ssize_t got = pread(fd, buf, sizeof(buf), 0);
    if (got != (ssize_t)sizeof(buf)) {
        fail("read-4k", "pread /tmp/bench.dat", got < 0 ? errno : EIO);
        close(fd);
        return;
    }

    long n = iterations(150000);
    long long start = now_ns();
    for (long i = 0; i < n; i++)
        pread(fd, buf, sizeof(buf), 0);
    report("read-4k", n, start, now_ns());
    close(fd);
    unlink(BENCH_FILE);   /* tidy on a host; a kernel without unlink may refuse */
}

static void bench_mmap_1m(void)
{
    long n = iterations(100);
    long long start = now_ns();
    for (long i = 0; i < n; i++) {
        char *p = mmap(NULL, MMAP_BYTES, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            fail("mmap-1m", "mmap", errno);
            return;
        }
        for (size_t off = 0; off < MMAP_BYTES; off += PAGE_BYTES)
            ((volatile char *)p)[off] = 1;
        munmap(p, MMAP_BYTES);
    }
    report("mmap-1m", n, start, now_ns());
}

/*
 * The futex ping-pong. turn says whose move it is: PING for the main thread,
 * PONG for the partner. A thread that finds it is not its turn sleeps with
 * FUTEX_WAIT, which returns at once if the word has changed meanwhile, so
 * no wake-up is lost; the other thread flips the word, then FUTEX_WAKEs it.
 */
enum { PING, PONG };
static atomic_int turn;
static long pingpong_rounds;

static void futex_wait(atomic_int *word, int expected)
{
    syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

static void futex_wake(atomic_int *word)
{
    syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* Hand the move to `to` and wait until it has come back to `me`. */
static void pass_turn(int me, int to)
{
    atomic_store(&turn, to);
    futex_wake(&turn);
    while (atomic_load(&turn) != me)
        futex_wait(&turn, to);
}

static void *pong(void *arg)
{
    (void)arg;
    while (atomic_load(&turn) != PONG)
        futex_wait(&turn, PING);
    for (long i = 0; i < pingpong_rounds - 1; i++)
        pass_turn(PONG, PING);
    atomic_store(&turn, PING);
    futex_wake(&turn);
    return NULL;
}

static void bench_futex_pingpong(void)
{
    pthread_t partner;
    pingpong_rounds = iterations(10000);
    atomic_store(&turn, PING);
    int err = pthread_create(&partner, NULL, pong, NULL);
    if (err != 0) {
        fail("futex-pingpong", "pthread_create", err);
        return;
    }

    long long start = now_ns();
    for (long i = 0; i < pingpong_rounds; i++)
        pass_turn(PING, PONG);
    long long end = now_ns();
    pthread_join(partner, NULL);
    report("futex-pingpong", pingpong_rounds, start, end);
}

static void *return_at_once(void *arg)
{
    return arg;
}

static void bench_thread_create_join(void)
{
    long n = iterations(150);
    long long start = now_ns();
    for (long i = 0; i < n; i++) {
        pthread_t t;
        int err = pthread_create(&t, NULL, return_at_once, NULL);
        if (err != 0) {
            fail("thread-create-join", "pthread_create", err);
            return;
        }
        pthread_join(t, NULL);
    }
    report("thread-create-join", n, start, now_ns());
}
/*
 * Wait for child pid (musl's waitpid is wait4(2)); 0 if it exited with
 * status 0, else -1 after a line on stderr naming the row.
 */
static int reap(const char *name, pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            fail(name, "wait4", errno);
            return -1;
        }
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "sysbench: %s: child ended with wait status %#x\n", name, status);
        failures++;
        return -1;
    }
    return 0;
}

/*
 * n times: fork(2) a child, which execve(2)s this program with EXIT_AT_ONCE
 * if exec is set, else _exits at once; wait4 for it. The row name.
 */
static void bench_fork_wait(const char *name, long n, int exec)
{
    char *const argv[] = {"sysbench", EXIT_AT_ONCE, NULL};
    char *const envp[] = {NULL};
    long long start = now_ns();
    for (long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            fail(name, "fork", errno);
            return;
        }
        if (pid == 0 && !exec)
            _exit(0);
        if (pid == 0) {
            execve(self_path, argv, envp);
            fprintf(stderr, "sysbench: %s: execve %s: %s\n", name, self_path, strerror(errno));
            _exit(127);
        }
        if (reap(name, pid) < 0)
            return;
    }
    report(name, n, start, now_ns());
}

/*
 * Two pipes and a child process at their ends: the child runs
 * child(in, out), in reading what the parent writes to *to_child and out
 * writing what the parent reads from *from_child, and exits with the status
 * child returns. The child's pid, or -1 after a line on stderr.
 */
static pid_t fork_with_pipes(const char *name, int (*child)(int in, int out),
                             int *to_child, int *from_child)
{
    int down[2], up[2];
    if (pipe(down) < 0) {
        fail(name, "pipe", errno);
        return -1;
    }
    if (pipe(up) < 0) {
        fail(name, "pipe", errno);
        close(down[0]);
        close(down[1]);
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(down[1]);
        close(up[0]);
        _exit(child(down[0], up[1]));
    }
    close(down[0]);
    close(up[1]);
    if (pid < 0) {
        fail(name, "fork", errno);
        close(down[1]);
        close(up[0]);
        return -1;
    }
    *to_child = down[1];
    *from_child = up[0];
    return pid;
}

/* The child of pipe-pingpong: each byte that comes in goes back out, until
 * end of file. */
static int echo_bytes(int in, int out)
{
    char byte;
    while (read(in, &byte, 1) == 1)
        if (write(out, &byte, 1) != 1)
            return 1;
    return 0;
}

static void bench_pipe_pingpong(void)
{
    int to_child, from_child;
    pid_t pid = fork_with_pipes("pipe-pingpong", echo_bytes, &to_child, &from_child);
    if (pid < 0)
        return;
    long n = iterations(2000);
    char byte = 'p';
    ssize_t got = 1;
    long i;
    long long start = now_ns();
    for (i = 0; i < n; i++) {
        if (write(to_child, &byte, 1) != 1 || (got = read(from_child, &byte, 1)) != 1)
            break;
    }
    long long end = now_ns();
    if (i < n)
        fail("pipe-pingpong", "write or read", got < 0 ? errno : EIO);
    close(to_child);            /* the child reads end of file and exits */
    close(from_child);
    if (reap("pipe-pingpong", pid) == 0 && i == n)
        report("pipe-pingpong", n, start, end);
}

static long long pipe_total_bytes(void)
{
    return (long long)iterations(PIPE_TOTAL_BYTES / PIPE_CHUNK_BYTES) * PIPE_CHUNK_BYTES;
}

/* The child of pipe-throughput: wait for the start, end of file on in,
 * then write pipe_total_bytes() to out in PIPE_CHUNK_BYTES writes. */
static int write_bytes(int in, int out)
{
    static char chunk[PIPE_CHUNK_BYTES];
    char byte;
    memset(chunk, 'w', sizeof(chunk));
    if (read(in, &byte, 1) != 0)
        return 1;
    for (long long left = pipe_total_bytes(); left > 0;) {
        ssize_t w = write(out, chunk, left < PIPE_CHUNK_BYTES ? left : PIPE_CHUNK_BYTES);
        if (w <= 0)
            return 1;
        left -= w;
    }
    return 0;
}

static void bench_pipe_throughput(void)
{
    static char chunk[PIPE_CHUNK_BYTES];
    int to_child, from_child;
    pid_t pid = fork_with_pipes("pipe-throughput", write_bytes, &to_child, &from_child);
    if (pid < 0)
        return;
    memset(chunk, 'r', sizeof(chunk));   /* its pages present before the clock starts */
    long long total = pipe_total_bytes(), got = 0;
    ssize_t r;
    long long start = now_ns();
    close(to_child);                     /* the start */
    while ((r = read(from_child, chunk, sizeof(chunk))) > 0)
        got += r;
    long long end = now_ns();
    close(from_child);
    if (got != total)
        fail("pipe-throughput", "read", r < 0 ? errno : EIO);
    if (reap("pipe-throughput", pid) == 0 && got == total) {
        /* bytes per ns times 1000: 10^6 bytes per second */
        printf("bench pipe-throughput %lld MB/s\n", total * 1000 / (end - start));
        fflush(stdout);
    }
}

/* SIGUSR1's handler counts; the loops below wait for the count to move. */
static volatile sig_atomic_t signals_caught;

static void count_signal(int sig)
{
    (void)sig;
    signals_caught++;
}

/* Install count_signal for SIGUSR1 (for the rest of the program); 0 or -1. */
static int catch_sigusr1(const char *name)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = count_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGUSR1, &sa, NULL) == 0)
        return 0;
    fail(name, "sigaction", errno);
    return -1;
}

static void bench_signal_raise(void)
{
    if (catch_sigusr1("signal-raise") < 0)
        return;
    pid_t self = getpid();
    long n = iterations(50000);
    signals_caught = 0;
    long long start = now_ns();
    for (long i = 0; i < n; i++)
        kill(self, SIGUSR1);
    long long end = now_ns();
    if (signals_caught != n) {
        fprintf(stderr, "sysbench: signal-raise: %ld signals sent, %ld caught\n",
                n, (long)signals_caught);
        failures++;
        return;
    }
    report("signal-raise", n, start, end);
}

/* Sleep in sigsuspend(2) until the handler has run more than seen times.
 * SIGUSR1 is blocked outside it, so a signal sent before the sleep waits
 * pending instead of being lost. */
static void await_signal(const sigset_t *wait_mask, long seen)
{
    while (signals_caught <= seen)
        sigsuspend(wait_mask);
}

static void bench_signal_pingpong(void)
{
    sigset_t usr1, old_mask, wait_mask;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    if (catch_sigusr1("signal-pingpong") < 0)
        return;
    if (sigprocmask(SIG_BLOCK, &usr1, &old_mask) < 0) {
        fail("signal-pingpong", "sigprocmask", errno);
        return;
    }
    wait_mask = old_mask;
    sigdelset(&wait_mask, SIGUSR1);

    long n = iterations(1500);
    pid_t parent = getpid();
    signals_caught = 0;
    pid_t pid = fork();
    if (pid == 0) {
        for (long i = 0; i < n; i++) {
            await_signal(&wait_mask, i);
            kill(parent, SIGUSR1);
        }
        _exit(0);
    }
    if (pid < 0) {
        fail("signal-pingpong", "fork", errno);
        sigprocmask(SIG_SETMASK, &old_mask, NULL);
        return;
    }
    long long start = now_ns();
    for (long i = 0; i < n; i++) {
        kill(pid, SIGUSR1);
        await_signal(&wait_mask, i);
    }
    long long end = now_ns();
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    if (reap("signal-pingpong", pid) == 0)
        report("signal-pingpong", n, start, end);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], EXIT_AT_ONCE) == 0)
        return 0;
    if (argc > 1) {
        char *end;
        scale = strtod(argv[1], &end);
        if (*end != '\0' || !(scale > 0)) {
            fprintf(stderr, "usage: sysbench [scale factor > 0]\n");
            return 2;
        }
    }

    self_path = access(SELF_PATH, F_OK) == 0 ? SELF_PATH : argv[0];

    bench_getpid();
    bench_write_devnull();
    bench_open_close();
    bench_read_4k();
    bench_mmap_1m();
    bench_futex_pingpong();
    bench_thread_create_join();
    bench_fork_wait("fork-exit-wait", iterations(300), 0);
    bench_fork_wait("fork-exec-wait", iterations(150), 1);
    bench_pipe_pingpong();
    bench_pipe_throughput();
    bench_signal_raise();
    bench_signal_pingpong();
    printf("bench done\n");
    return failures == 0 ? 0 : 1;
}
