/*
 * sysbench.c: system call micro-benchmarks, the same binary on cubos and on
 * a Linux guest under the same QEMU (tools/linux_guest.py), so that the two
 * kernels' figures can be set side by side.
 *
 * Each row times a loop with clock_gettime(CLOCK_MONOTONIC) and prints
 *
 *   bench <name> <ns per op>
 *
 * with the figure a whole number of nanoseconds. The rows:
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
 *
 * The last line is "bench done". Iteration counts are fixed, so every kernel
 * does the same work; each loop takes about 0.2 to 0.5 s in a Linux guest
 * under QEMU's TCG. argv[1], a scale factor (default 1, e.g. 0.1 for a quick
 * run), multiplies them all. The two rows with a second thread depend on
 * whether the kernel runs it on the same CPU or wakes another one; with two
 * CPUs under TCG the Linux guest's figures for them vary about fourfold from
 * one boot to the next, so compare medians of several runs.
 *
 * Expected output: the eight lines above in that order, status 0. A row whose
 * setup fails is left out, with a line on stderr, and the status is 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define PAGE_BYTES       4096
#define MMAP_BYTES       (1 << 20)
#define READ_BYTES       4096
#define BENCH_FILE_BYTES (64 << 10)

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

static void bench_open_close(const char *self)
{
    const char *path = access(SELF_PATH, F_OK) == 0 ? SELF_PATH : self;
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

int main(int argc, char **argv)
{
    if (argc > 1) {
        char *end;
        scale = strtod(argv[1], &end);
        if (*end != '\0' || !(scale > 0)) {
            fprintf(stderr, "usage: sysbench [scale factor > 0]\n");
            return 2;
        }
    }

    bench_getpid();
    bench_write_devnull();
    bench_open_close(argv[0]);
    bench_read_4k();
    bench_mmap_1m();
    bench_futex_pingpong();
    bench_thread_create_join();
    printf("bench done\n");
    return failures == 0 ? 0 : 1;
}
