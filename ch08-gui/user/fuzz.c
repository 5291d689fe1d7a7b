/*
 * fuzz.c: a system call fuzzer. Random calls with hostile arguments, from
 * several threads at once, must never crash the kernel, hang it, or leave
 * memory behind; nor must processes and signals coming and going between
 * them.
 *
 * Usage: fuzz [COUNT [THREADS [SEED]]], by default 1000000 calls shared
 * among 4 threads, with a seed from the clock. Each call is a random number
 * from 0 to 460 (implemented or not) with six arguments, each drawn from
 * one class: small numbers, file descriptors, pointers into a scratch
 * buffer (misaligned too), a pointer that runs off its end, an iovec array,
 * an unterminated string, a junk path, NULL, kernel addresses,
 * non-canonical and unmapped addresses, huge numbers, random bits, lengths.
 *
 * Between the random calls, each thread now and then (at random, but the
 * same for the same seed) does one of these, with well-formed arguments:
 *
 *   - forks: the child, single-threaded, makes a burst of up to
 *     CHILD_CALLS_MAX random calls by the same rules and signal actions,
 *     then _exit(0)s or kills itself (SIGTERM, SIGKILL). The parent waits
 *     for it with wait4 at once, or first sends it SIGKILL, SIGTERM or
 *     SIGSTOP and SIGCONT (watching both with WUNTRACED and WCONTINUED), or
 *     leaves it for later, a zombie for a while, and reaps it at a later
 *     fork or when the thread ends. Now and then it vforks a child that
 *     only _exit(0)s. A child must end with status 0, SIGKILL or SIGTERM.
 *   - a signal action: kill, tgkill (to itself or a sibling thread) or
 *     raise of a caught signal; setitimer with a tiny one-shot or periodic
 *     time (after alarm(1) now and then), and getitimer; rt_sigprocmask
 *     blocking, unblocking or setting a random set of the caught signals
 *     (sometimes with SIGKILL and SIGSTOP, which must stay out of the
 *     mask); rt_sigpending, which must report blocked signals only;
 *     sigaltstack, which must report the thread's own;
 *     sigsuspend woken by a short setitimer.
 *
 * The caught signals are SIGUSR1, SIGUSR2, SIGALRM, SIGCHLD, SIGWINCH and
 * SIGURG, each with an SA_SIGINFO handler that counts it, some with
 * SA_RESTART, SIGWINCH with SA_ONSTACK on the thread's alternate stack (the
 * handler checks that it runs there). A random call a handler interrupts
 * may return EINTR. The main thread blocks them while it waits for the
 * others, so they land in the fuzzing threads.
 *
 * Output: the seed first, then one line per 250000 calls, and at the end
 *
 *   fuzz: N syscalls in T threads, M returned ENOSYS, K returned EFAULT
 *   fuzz: F forks (C children reaped), S signals handled; ...
 *
 * with status 0, or 1 when a check failed: each failure is one line
 * "fuzz[PID]: FAILED: ..." before these. Runs the same on Linux, where the
 * deny list below was checked: the fuzzer must outlive its own calls.
 *
 * What is never called at random, and why (the calls would end or wreck
 * the fuzzer, not the kernel, or, on Linux, change the machine it runs on;
 * the well-formed kill, fork, rt_sigprocmask... above are made apart):
 *
 *   ending the program or a thread: exit 60, exit_group 231, execve 59,
 *     execveat 322; signals to itself: kill 62, tkill 200, tgkill 234,
 *     rt_sigqueueinfo 129, rt_tgsigqueueinfo 297, pidfd_send_signal 424;
 *     signals later: alarm 37, setitimer 38, timer_create 222,
 *     timer_settime 223, rseq 334 (a bad area is SIGSEGV); limits that
 *     send SIGXCPU or SIGXFSZ: setrlimit 160; uretprobe 335 and uprobe 336
 *     (Linux 6.11 and 6.16: called from anywhere but a probe's trampoline,
 *     they end the program with SIGILL)
 *   new processes and threads: clone 56, fork 57, vfork 58, clone3 435
 *   its own memory: mprotect 10, munmap 11, brk 12, mremap 25, madvise 28,
 *     remap_file_pages 216, pkey_mprotect 329, process_vm_writev 311,
 *     mlockall 151 (then every big mmap would be populated)
 *   pointers into its own memory written where it reads them back:
 *     get_robust_list 274, process_vm_readv 310
 *   its thread state: rt_sigreturn 15, arch_prctl 158 (FS: the TLS),
 *     set_tid_address 218, set_robust_list 273, rt_sigaction 13,
 *     rt_sigprocmask 14, sigaltstack 131, prctl 157, seccomp 317,
 *     personality 135, unshare 272, setns 308, landlock_restrict_self 446,
 *     close_range 436 (would close stdout)
 *   blocking for a long time or for ever: poll 7, select 23, pause 34,
 *     nanosleep 35, rt_sigtimedwait 128, rt_sigsuspend 130, epoll_wait 232,
 *     clock_nanosleep 230, pselect6 270, ppoll 271, epoll_pwait 281,
 *     epoll_pwait2 441, futex_waitv 449, futex_wait 455, futex_requeue 456,
 *     syslog 103 (waits for messages), flock 73 (two descriptors of one file);
 *     and what makes descriptors whose reads block: pipe 22, pipe2 293,
 *     socket 41, socketpair 53, signalfd 282 289, timerfd_create 283,
 *     eventfd 284 290, inotify_init 253 294, fanotify_init 300,
 *     userfaultfd 323, mknod 133 and mknodat 259 (a FIFO blocks open),
 *     io_setup..io_cancel 206-210, io_pgetevents 333, io_uring 425-427,
 *     message queues and semaphores 64-66 68-71 220 240-245, pidfd_getfd 438
 *   the machine, on Linux (as root, or objects that outlive the program):
 *     ptrace 101, vhangup 153, pivot_root 155, adjtimex 159, chroot 161,
 *     acct 163, settimeofday 164, mount 165, umount2 166, swapon 167,
 *     swapoff 168, reboot 169, sethostname 170, setdomainname 171, iopl 172,
 *     ioperm 173, init_module 175, delete_module 176, quotactl 179,
 *     clock_settime 227, kexec_load 246, add_key 248, request_key 249,
 *     keyctl 250, fallocate 285 (real disk), perf_event_open 298,
 *     open_by_handle_at 304, clock_adjtime 305, finit_module 313,
 *     kexec_file_load 320, bpf 321, open_tree..fspick 428-433,
 *     process_madvise 440, mount_setattr 442, quotactl_fd 443,
 *     lsm_set_self_attr 460, shared memory 29-31 67, the user and group
 *     ids 105 106 113 114 116 117 119 122 123 126, real-time scheduling
 *     144 314
 *
 * And what is changed before a call:
 *   - a file descriptor argument is never 0, 1 or 2: reading the console
 *     would wait for a key, and dup2 onto stdout or ftruncate of it would
 *     lose the output;
 *   - a path argument is a junk name ("fuzz-a", "fuzz-d/fuzz-a", ...), a
 *     bad pointer or an unterminated string, never the scratch buffer:
 *     garbage there could name a real file (getdents64 writes names). All
 *     junk names are relative, without "..", and the fuzzer works in a
 *     folder of its own, /tmp/fuzz.PID, which it removes at the end;
 *   - mmap never gets MAP_FIXED (it would replace the fuzzer's memory),
 *     MAP_POPULATE or MAP_LOCKED (a huge length would fill the memory);
 *   - futex on a readable word only wakes (FUTEX_WAIT would wait for ever);
 *     other operations get unreadable words only;
 *   - fcntl's blocking locks F_SETLKW and F_OFD_SETLKW become F_GETFL;
 *   - prlimit64 only reads limits (the new limits are a bad pointer);
 *   - sendfile, splice, tee and copy_file_range copy at most 64 KiB, so
 *     that files copied into each other do not double in size each time;
 *   - wait4 and waitid name a process that is no child of the fuzzer (its
 *     own pid, a group or pid that does not exist, INT_MIN): a random wait
 *     would reap a child its thread still means to signal, and on Linux
 *     that pid could be another program's by then.
 *
 * A child skips the numbers that have only ever returned ENOSYS: cubos
 * reports each unimplemented number once per process, and hundreds of
 * children would repeat the same hundred lines each.
 *
 * Every readable pointer handed to the kernel points into pages of the
 * fuzzer's own, each followed by a PROT_NONE guard page, so that a kernel
 * writing too far faults instead of overwriting the fuzzer. A number that
 * happens to fall into the program's image or heap (random bits such as
 * 0x408010, in a program loaded at 0x400000) is drawn again: the kernel
 * would write the fuzzer's own variables through it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_COUNT   1000000
#define DEFAULT_THREADS 4
#define MAX_THREADS     64
#define NR_LAST         460                 /* numbers 0..NR_LAST are called */
#define PROGRESS_EVERY  250000

#define PAGE_BYTES      4096
#define SCRATCH_BYTES   (16 * PAGE_BYTES)
#define ALTSTACK_BYTES  (16 * PAGE_BYTES)   /* room for a frame with AVX-512 state, and more */
#define USER_TOP        0x0000800000000000ull
#define IOV_ENTRIES     8
#define FD_FIRST        3                   /* fds the fuzzer passes: 3.. */
#define FD_SPAN         32
#define COPY_MAX        65536

/* How often, per thread, at random: about once in so many calls. */
#define SIGNAL_EVERY    64                  /* a signal action */
#define FORK_EVERY      2000                /* a fork: see fork_child */
#define VFORK_EVERY     8                   /* of the forks, a vfork */
#define CHILD_CALLS_MAX 400                 /* a child's burst: 1..this many calls */
#define DEFERRED_MAX    3                   /* children a thread leaves unreaped at once */
#define SLEEP_MAX_US    2000                /* sigsuspend's timer, and setitimer's times */
#define CHILD_FAILED    3                   /* a child's status when a check of its own failed */
#define FAILURES_SHOWN  20

/* Linux's uapi values the C library does not name for us. */
#define FUTEX_WAKE      1
#define FUTEX_PRIVATE   128
#define F_OFD_SETLKW_   38
#define P_PIDFD_        3
#define SIGSET_BYTES    8                   /* the kernel's sigset_t: 64 signals */
#define ERESTARTSYS_    512                 /* 512..516: the kernel's own "restart" codes, */
#define ERESTART_LAST   516                 /* which a program must never see */

static const unsigned short denied_list[] = {
    60, 231, 59, 322, 62, 200, 234, 129, 297, 424, 37, 38, 222, 223, 334, 160, 335, 336,
    56, 57, 58, 435,
    10, 11, 12, 25, 28, 216, 329, 311, 151, 274, 310,
    15, 158, 218, 273, 13, 14, 131, 157, 317, 135, 272, 308, 446, 436,
    7, 23, 34, 35, 128, 130, 232, 230, 270, 271, 281, 441, 449, 455, 456, 103, 73,
    22, 293, 41, 53, 282, 289, 283, 284, 290, 253, 294, 300, 323, 133, 259,
    206, 207, 208, 209, 210, 333, 425, 426, 427, 64, 65, 66, 68, 69, 70, 71, 220,
    240, 241, 242, 243, 244, 245, 438,
    101, 153, 155, 159, 161, 163, 164, 165, 166, 167, 168, 169, 170, 171, 172, 173,
    175, 176, 179, 227, 246, 248, 249, 250, 285, 298, 304, 305, 313, 320, 321,
    428, 429, 430, 431, 432, 433, 440, 442, 443, 460, 29, 30, 31, 67,
    105, 106, 113, 114, 116, 117, 119, 122, 123, 126, 144, 314,
};

/* Argument positions (bit i: argument i) that are file descriptors. */
static const struct { unsigned short nr, args; } fd_args[] = {
    { 0, 1 }, { 1, 1 }, { 3, 1 }, { 8, 1 }, { 9, 1 << 4 }, { 16, 1 }, { 17, 1 }, { 18, 1 },
    { 19, 1 }, { 20, 1 }, { 32, 1 }, { 33, 3 }, { 40, 3 }, { 72, 1 }, { 74, 1 }, { 75, 1 },
    { 77, 1 }, { 78, 1 }, { 81, 1 }, { 91, 1 }, { 93, 1 }, { 138, 1 }, { 187, 1 },
    { 190, 1 }, { 193, 1 }, { 196, 1 }, { 199, 1 }, { 217, 1 }, { 221, 1 }, { 233, 1 << 2 },
    { 275, 5 }, { 276, 3 }, { 277, 1 }, { 278, 1 }, { 292, 3 }, { 295, 1 }, { 296, 1 },
    { 306, 1 }, { 326, 5 }, { 327, 1 }, { 328, 1 }, { 451, 1 },
};

/* Argument positions that are paths. */
static const struct { unsigned short nr, args; } path_args[] = {
    { 2, 1 }, { 4, 1 }, { 6, 1 }, { 21, 1 }, { 76, 1 }, { 80, 1 }, { 82, 3 }, { 83, 1 },
    { 84, 1 }, { 85, 1 }, { 86, 3 }, { 87, 1 }, { 88, 3 }, { 89, 1 }, { 90, 1 }, { 92, 1 },
    { 94, 1 }, { 132, 1 }, { 134, 1 }, { 137, 1 }, { 188, 1 }, { 189, 1 }, { 191, 1 },
    { 192, 1 }, { 194, 1 }, { 195, 1 }, { 197, 1 }, { 198, 1 }, { 235, 1 }, { 254, 2 },
    { 257, 2 }, { 258, 2 }, { 260, 2 }, { 261, 2 }, { 262, 2 }, { 263, 2 }, { 264, 10 },
    { 265, 10 }, { 266, 5 }, { 267, 2 }, { 268, 2 }, { 269, 2 }, { 280, 2 }, { 301, 1 << 4 },
    { 303, 2 }, { 316, 10 }, { 332, 2 }, { 437, 2 }, { 439, 2 }, { 452, 2 },
};

static bool denied[NR_LAST + 1];
static unsigned char fd_arg_mask[NR_LAST + 1], path_arg_mask[NR_LAST + 1];

/* Junk names, in a read-only page: a write through one faults. */
static const char *const junk_names[] = {
    "fuzz-a", "fuzz-b", "fuzz-d", "fuzz-d/fuzz-a", "fuzz-d/fuzz-d", "fuzz-a/", "", ".",
    "fuzz-\xff\x01",
};
#define JUNK_NAMES (sizeof(junk_names) / sizeof(junk_names[0]))
#define LONG_NAME_BYTES 300         /* one name over NAME_MAX (255) */
#define LONG_PATH_BYTES 5000        /* a path over PATH_MAX (4096) */
static char *paths[JUNK_NAMES + 2];
#define PATHS (sizeof(paths) / sizeof(paths[0]))

static const uint64_t kernel_addresses[] = {
    0xffffffff80000000, 0xffffffff80100000, 0xffff800000000000, 0xffff800000100000,
    0xfffffffffffff000, 0xfffffffffffffff8,
};
static const uint64_t noncanonical_addresses[] = {
    USER_TOP, 0x8000000000000000, 0xdead000000000000, 0x00ff000000000000,
};
static const uint64_t huge_numbers[] = {
    1ull << 31, 1ull << 32, 1ull << 40, 1ull << 62, ~0ull, -4096ull, 0x7fffffff,
    0x7fffffffffffffff, 0x8000000000000000, 0xffffffff,
};

/* One thread's memory for the kernel to read and write, each part
 * followed by a PROT_NONE guard page; its alternate signal stack, between
 * two guards; what it counts; its children. */
struct fuzzer {
    uint64_t rng;
    long calls, enosys, efault, interrupted;
    long forks, vforks, fork_failures, reaped, killed, stopped;
    char *scratch;                  /* SCRATCH_BYTES */
    struct iovec *iov;              /* one page */
    char *string;                   /* one page, ending in an unterminated string */
    char *guards[4];
    char *altstack;                 /* ALTSTACK_BYTES, between guards[2] and guards[3] */
    pid_t deferred[DEFERRED_MAX];   /* children left to reap later, oldest first */
    int ndeferred;
    atomic_int tid;
    atomic_int sleeping_tid;        /* tid while in sigsuspend, else 0 */
    pthread_t thread;
};

static struct fuzzer fuzzers[MAX_THREADS];
static long nthreads;

/* The program's image and heap, and room for the heap to grow. */
extern char __executable_start[];
#define HEAP_SLACK (16 << 20)
static uint64_t own_start, own_end;

static long calls_each;
static atomic_long calls_total;

/* Numbers that returned ENOSYS, and numbers that returned anything else. */
static atomic_bool gave_enosys[NR_LAST + 1], gave_other[NR_LAST + 1];

/* Each process's own (a child's are copies it starts again from). */
static pid_t self_pid;
static volatile sig_atomic_t in_child;
static atomic_long failures;

/* The caught signals, and what the handler saw. */
static const struct { int sig, flags; } catches[] = {
    { SIGUSR1, SA_RESTART }, { SIGUSR2, 0 }, { SIGALRM, 0 }, { SIGCHLD, SA_RESTART },
    { SIGWINCH, SA_RESTART | SA_ONSTACK }, { SIGURG, 0 },
};
#define CAUGHT (sizeof(catches) / sizeof(catches[0]))
static sigset_t caught_set;
static atomic_long signals_handled, wrong_signo, off_altstack;
static _Thread_local int own_tid;
static _Thread_local char *altstack_base;   /* this thread's, once it has one */

/* xorshift64* (Vigna, "An experimental exploration of Marsaglia's
 * xorshift generators, scrambled", 2016). */
static uint64_t rnd(struct fuzzer *f)
{
    f->rng ^= f->rng >> 12;
    f->rng ^= f->rng << 25;
    f->rng ^= f->rng >> 27;
    return f->rng * 0x2545f4914f6cdd1dull;
}

#define PICK(f, array) ((array)[rnd(f) % (sizeof(array) / sizeof((array)[0]))])

/* A pointer nothing can read or write: NULL, kernel, non-canonical, a guard. */
static uint64_t unreadable_pointer(struct fuzzer *f)
{
    switch (rnd(f) % 4) {
    case 0: return 0;
    case 1: return PICK(f, kernel_addresses);
    case 2: return PICK(f, noncanonical_addresses);
    default: return (uint64_t)f->guards[rnd(f) % 4] + rnd(f) % PAGE_BYTES;
    }
}

static uint64_t unterminated_string(struct fuzzer *f)
{
    memset(f->string + PAGE_BYTES - 256, 'a', 256);
    return (uint64_t)f->string + PAGE_BYTES - 1 - rnd(f) % 256;
}

static uint64_t path_arg(struct fuzzer *f)
{
    switch (rnd(f) % 8) {
    case 0: return unreadable_pointer(f);
    case 1: return unterminated_string(f);
    default: return (uint64_t)paths[rnd(f) % PATHS];
    }
}

/* An iovec array in its page: buffers in the scratch, or bad ones. */
static uint64_t iovec_array(struct fuzzer *f)
{
    for (int i = 0; i < IOV_ENTRIES; i++) {
        bool bad = rnd(f) % 8 == 0;
        f->iov[i].iov_base = bad ? (void *)unreadable_pointer(f)
                                 : f->scratch + rnd(f) % SCRATCH_BYTES;
        f->iov[i].iov_len = rnd(f) % 8 == 0 ? PICK(f, huge_numbers) : rnd(f) % 4096;
    }
    return (uint64_t)f->iov + (rnd(f) % 4 == 0 ? rnd(f) % 16 : 0);
}

enum arg_class {
    SMALL, FD, SCRATCH, SCRATCH_END, IOVEC, UNTERMINATED, PATH, NULL_POINTER, KERNEL,
    NONCANONICAL, UNMAPPED, HUGE, RANDOM, FLAGS, LENGTH, ARG_CLASSES
};

static uint64_t random_arg(struct fuzzer *f)
{
    uint64_t r = rnd(f);
    switch (rnd(f) % ARG_CLASSES) {
    case SMALL: return r % 65;
    case FD:
        switch (r % 8) {
        case 0: return -1ull;
        case 1: return (uint64_t)AT_FDCWD;
        case 2: return 1000000;
        case 3: return 0x100000001;     /* fd 1 if the kernel looks at 32 bits only */
        default: return FD_FIRST + r % FD_SPAN;
        }
    case SCRATCH: return (uint64_t)f->scratch + r % SCRATCH_BYTES;
    case SCRATCH_END: return (uint64_t)f->scratch + SCRATCH_BYTES - 1 - r % 64;
    case IOVEC: return iovec_array(f);
    case UNTERMINATED: return unterminated_string(f);
    case PATH: return (uint64_t)paths[r % PATHS];
    case NULL_POINTER: return 0;
    case KERNEL: return PICK(f, kernel_addresses);
    case NONCANONICAL: return PICK(f, noncanonical_addresses);
    case UNMAPPED:
        switch (r % 4) {
        case 0: return 0x1000;
        case 1: return 1ull << 44;
        case 2: return USER_TOP - 8;
        default: return USER_TOP - PAGE_BYTES;
        }
    case HUGE: return PICK(f, huge_numbers);
    case RANDOM: return r;
    case FLAGS: {
        uint64_t flags = 0;
        for (unsigned n = 1 + r % 3; n > 0; n--)
            flags |= 1ull << (rnd(f) % 32);
        return flags;
    }
    default: /* LENGTH */
        switch (r % 5) {
        case 0: return 4096;
        case 1: return SCRATCH_BYTES;
        case 2: return SCRATCH_BYTES + 1;
        case 3: return 1 << 20;
        default: return 1 + rnd(f) % 4096;
        }
    }
}

/* A pid for wait4 (or waitid's P_PID) that matches none of the fuzzer's
 * children: itself, a pid and a group that do not exist, and INT_MIN,
 * whose group -INT_MIN does not fit in an int. */
static int not_a_child(struct fuzzer *f)
{
    switch (rnd(f) % 4) {
    case 0: return self_pid;
    case 1: return INT_MAX;
    case 2: return -INT_MAX;
    default: return INT_MIN;
    }
}

/* The changes listed in the header comment. */
static void tame_args(struct fuzzer *f, unsigned nr, uint64_t a[6])
{
    for (int i = 0; i < 6; i++) {
        /* The kernel reads an fd as an int: look at the low 32 bits only. */
        if ((fd_arg_mask[nr] >> i & 1) && (uint32_t)a[i] < FD_FIRST)
            a[i] = FD_FIRST + rnd(f) % FD_SPAN;
        if (path_arg_mask[nr] >> i & 1)
            a[i] = path_arg(f);
    }
    switch (nr) {
    case 9:     /* mmap */
        a[3] &= ~(uint64_t)(MAP_FIXED | MAP_FIXED_NOREPLACE | MAP_POPULATE | MAP_LOCKED);
        break;
    case 202:   /* futex */
        if (rnd(f) % 2) {
            a[0] = (uint64_t)f->scratch + (rnd(f) % SCRATCH_BYTES & ~3ull);
            a[1] = FUTEX_WAKE | (rnd(f) % 2 ? FUTEX_PRIVATE : 0);
        } else {
            a[0] = unreadable_pointer(f);
        }
        a[4] = unreadable_pointer(f);
        break;
    case 72:    /* fcntl */
        if ((uint32_t)a[1] == F_SETLKW || (uint32_t)a[1] == F_OFD_SETLKW_)
            a[1] = F_GETFL;
        break;
    case 302:   /* prlimit64 */
        a[2] = rnd(f) % 2 ? 0 : unreadable_pointer(f);
        break;
    case 40:    /* sendfile */
        a[3] %= COPY_MAX;
        break;
    case 276:   /* tee */
        a[2] %= COPY_MAX;
        break;
    case 275:   /* splice */
    case 326:   /* copy_file_range */
        a[4] %= COPY_MAX;
        break;
    case 61:    /* wait4 */
        a[0] = (uint64_t)(int64_t)not_a_child(f);
        break;
    case 247:   /* waitid: P_ALL, P_PID, P_PGID, P_PIDFD could name a child */
        if ((uint32_t)a[0] <= P_PIDFD_) {
            a[0] = P_PID;
            a[1] = (uint64_t)(int64_t)not_a_child(f);
        }
        break;
    }
}

/* A check the kernel failed: one line (the first FAILURES_SHOWN), and
 * status 1 at the end. Formatted on the stack and written with write(),
 * not stdio: a child forked while another thread held stdout's lock must
 * not wait for it; with the caught signals blocked, so that no handler
 * cuts the line short with EINTR. */
static void fail(const char *fmt, ...)
{
    if (atomic_fetch_add(&failures, 1) >= FAILURES_SHOWN)
        return;
    char line[256];
    int n = snprintf(line, sizeof(line), "fuzz[%d]: FAILED: ", (int)self_pid);
    va_list ap;
    va_start(ap, fmt);
    n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    sigset_t old;
    pthread_sigmask(SIG_BLOCK, &caught_set, &old);
    ssize_t written = write(STDOUT_FILENO, line, (size_t)n);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    (void)written;
}

/* A number to call: never a denied one, and in a child none that has
 * only ever returned ENOSYS (see the header comment). */
static unsigned pick_number(struct fuzzer *f)
{
    unsigned nr;
    do
        nr = rnd(f) % (NR_LAST + 1);
    while (denied[nr] || (in_child && atomic_load_explicit(&gave_enosys[nr], memory_order_relaxed) &&
                          !atomic_load_explicit(&gave_other[nr], memory_order_relaxed)));
    return nr;
}

/* One random call, counted. */
static void fuzz_call(struct fuzzer *f)
{
    unsigned nr = pick_number(f);
    uint64_t a[6];
    for (int k = 0; k < 6; k++)
        do
            a[k] = random_arg(f);
        while (a[k] >= own_start && a[k] < own_end);
    tame_args(f, nr, a);
    long r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
    int err = r == -1 ? errno : 0;
    atomic_store_explicit(err == ENOSYS ? &gave_enosys[nr] : &gave_other[nr], true,
                          memory_order_relaxed);
    if (err == ENOSYS)
        f->enosys++;
    if (err == EFAULT)
        f->efault++;
    if (err == EINTR)
        f->interrupted++;
    if (err >= ERESTARTSYS_ && err <= ERESTART_LAST)
        fail("system call %u returned the kernel's restart code %d", nr, err);
    f->calls++;
}

/* -- signals ---------------------------------------------------------------- */

static uint64_t sig_bit(int sig)
{
    return 1ull << (sig - 1);
}

/* Threads in sigsuspend wait for SIGALRM, but a process's SIGALRM goes to
 * any one thread that does not block it: the one that gets it passes it on
 * to each sleeper with a SIGURG of its own. */
static void wake_sleepers(void)
{
    for (long i = 0; i < nthreads; i++) {
        int tid = atomic_load(&fuzzers[i].sleeping_tid);
        if (tid != 0 && tid != own_tid)
            syscall(SYS_tgkill, self_pid, tid, SIGURG);
    }
}

/* Every caught signal's handler: async-signal-safe, atomics and tgkill only. */
static void on_signal(int sig, siginfo_t *info, void *context)
{
    (void)context;
    int saved_errno = errno;
    atomic_fetch_add(&signals_handled, 1);
    if (info->si_signo != sig)
        atomic_fetch_add(&wrong_signo, 1);
    char here;
    if (sig == SIGWINCH && altstack_base != NULL &&
        (uintptr_t)&here - (uintptr_t)altstack_base >= ALTSTACK_BYTES)
        atomic_fetch_add(&off_altstack, 1);
    if (sig == SIGALRM && !in_child)
        wake_sleepers();
    errno = saved_errno;
}

/* The handlers, each blocking the next caught signal while it runs. */
static int catch_signals(void)
{
    sigemptyset(&caught_set);
    for (size_t i = 0; i < CAUGHT; i++) {
        struct sigaction sa = { .sa_sigaction = on_signal, .sa_flags = SA_SIGINFO | catches[i].flags };
        sigemptyset(&sa.sa_mask);
        sigaddset(&sa.sa_mask, catches[(i + 1) % CAUGHT].sig);
        if (sigaction(catches[i].sig, &sa, NULL) != 0)
            return -1;
        sigaddset(&caught_set, catches[i].sig);
    }
    return 0;
}

/* What the handlers saw wrong in this process, as failures. */
static void check_deliveries(void)
{
    if (atomic_load(&wrong_signo))
        fail("%ld handlers got a siginfo for another signal", atomic_load(&wrong_signo));
    if (atomic_load(&off_altstack))
        fail("%ld SA_ONSTACK handlers ran off the thread's alternate stack", atomic_load(&off_altstack));
}

/* sigsuspend until a short timer's SIGALRM, or any other caught signal
 * this thread does not block. SIGALRM and SIGURG are blocked before the
 * thread says it sleeps: one sent before sigsuspend waits for it there. */
static void sleep_for_alarm(struct fuzzer *f)
{
    struct itimerval t = { { 0, 0 }, { 0, 1 + (long)(rnd(f) % SLEEP_MAX_US) } };
    sigset_t wake, old, during;
    sigemptyset(&wake);
    sigaddset(&wake, SIGALRM);
    sigaddset(&wake, SIGURG);
    pthread_sigmask(SIG_BLOCK, &wake, &old);
    atomic_store(&f->sleeping_tid, own_tid);
    if (setitimer(ITIMER_REAL, &t, NULL) != 0)
        fail("setitimer: %s", strerror(errno));
    during = old;
    sigdelset(&during, SIGALRM);
    sigdelset(&during, SIGURG);
    int r = sigsuspend(&during);
    int err = errno;
    atomic_store(&f->sleeping_tid, 0);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (r != -1 || err != EINTR)
        fail("sigsuspend returned %d (%s), not EINTR", r, strerror(err));
}

/* Block, unblock or set a random set of the caught signals, sometimes
 * with SIGKILL and SIGSTOP, which the kernel must leave out of the mask. */
static void shuffle_mask(struct fuzzer *f)
{
    uint64_t set = 0, mask = 0;
    for (size_t i = 0; i < CAUGHT; i++)
        if (rnd(f) % 2)
            set |= sig_bit(catches[i].sig);
    if (rnd(f) % 4 == 0)
        set |= sig_bit(SIGKILL) | sig_bit(SIGSTOP);
    int how = (int)(rnd(f) % 3);    /* SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK */
    if (syscall(SYS_rt_sigprocmask, how, &set, NULL, SIGSET_BYTES) != 0 ||
        syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &mask, SIGSET_BYTES) != 0)
        fail("rt_sigprocmask(%d, %#llx): %s", how, (unsigned long long)set, strerror(errno));
    else if (mask & (sig_bit(SIGKILL) | sig_bit(SIGSTOP)))
        fail("rt_sigprocmask: the mask %#llx holds SIGKILL or SIGSTOP", (unsigned long long)mask);
}

/* rt_sigpending reports the pending signals the thread blocks (Linux's
 * do_sigpending): never one it does not block. */
static void check_pending(void)
{
    uint64_t mask = 0, pending = 0;
    if (syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &mask, SIGSET_BYTES) != 0 ||
        syscall(SYS_rt_sigpending, &pending, SIGSET_BYTES) != 0)
        fail("rt_sigpending: %s", strerror(errno));
    else if (pending & ~mask)
        fail("rt_sigpending: %#llx pending, but the mask is %#llx", (unsigned long long)pending,
             (unsigned long long)mask);
}

/* sigaltstack reports this thread's stack, and that it is not on it. */
static void check_altstack(void)
{
    stack_t ss;
    if (sigaltstack(NULL, &ss) != 0)
        fail("sigaltstack: %s", strerror(errno));
    else if (altstack_base != NULL && (ss.ss_sp != altstack_base || ss.ss_size != ALTSTACK_BYTES ||
                                       ss.ss_flags != 0))
        fail("sigaltstack: sp %p size %zu flags %d, expected %p %d 0", ss.ss_sp, ss.ss_size,
             ss.ss_flags, (void *)altstack_base, ALTSTACK_BYTES);
}

static void signal_action(struct fuzzer *f)
{
    int sig = catches[rnd(f) % CAUGHT].sig;
    struct fuzzer *to = &fuzzers[rnd(f) % (uint64_t)nthreads];
    int tid = in_child ? own_tid : atomic_load(&to->tid);
    switch (rnd(f) % 10) {
    case 0:
        if (kill(self_pid, sig) != 0)
            fail("kill(itself, %d): %s", sig, strerror(errno));
        break;
    case 1:     /* a sibling may have ended: ESRCH */
        if (syscall(SYS_tgkill, self_pid, tid ? tid : own_tid, sig) != 0 && errno != ESRCH)
            fail("tgkill(itself, %d, %d): %s", tid, sig, strerror(errno));
        break;
    case 2:
        if (raise(sig) != 0)
            fail("raise(%d): %s", sig, strerror(errno));
        break;
    case 3:
    case 4: {
        /* alarm(1) is replaced at once: a second without SIGALRM would
         * keep a sigsuspend of another thread waiting that long. */
        if (rnd(f) % 4 == 0)
            alarm(1);
        long interval = rnd(f) % 8 == 0 ? 1000 + (long)(rnd(f) % 4000) : 0;
        struct itimerval t = { { 0, interval }, { 0, 1 + (long)(rnd(f) % SLEEP_MAX_US) } }, old;
        if (setitimer(ITIMER_REAL, &t, &old) != 0 || getitimer(ITIMER_REAL, &old) != 0)
            fail("setitimer: %s", strerror(errno));
        break;
    }
    case 5:
    case 6:
        shuffle_mask(f);
        break;
    case 7:
        check_pending();
        break;
    case 8:
        sleep_for_alarm(f);
        break;
    default:
        check_altstack();
        break;
    }
}

/* -- processes -------------------------------------------------------------- */

/* A child's status: exit 0, or SIGKILL or SIGTERM, from its parent or
 * itself. Anything else is a failure. */
static void judge(struct fuzzer *f, pid_t pid, int status)
{
    f->reaped++;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return;
    if (WIFSIGNALED(status) && (WTERMSIG(status) == SIGKILL || WTERMSIG(status) == SIGTERM)) {
        f->killed++;
        return;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == CHILD_FAILED)
        fail("child %d: checks of its own failed (its lines are above)", (int)pid);
    else
        fail("child %d ended with wait status %#x", (int)pid, status);
}

/* wait4 for pid, again after a handler's EINTR; the pid or -1. */
static pid_t wait_child(pid_t pid, int *status, int options)
{
    pid_t r;
    do
        r = wait4(pid, status, options, NULL);
    while (r == -1 && errno == EINTR);
    if (r == -1)
        fail("wait4(child %d, options %#x): %s", (int)pid, options, strerror(errno));
    return r;
}

static void reap(struct fuzzer *f, pid_t pid)
{
    int status;
    if (wait_child(pid, &status, 0) == pid)
        judge(f, pid, status);
}

static void signal_child(pid_t pid, int sig)
{
    if (kill(pid, sig) != 0)
        fail("kill(child %d, %d): %s", (int)pid, sig, strerror(errno));
}

/* SIGSTOP, seen stopped with WUNTRACED, then SIGCONT, seen going on with
 * WCONTINUED; a child that ended first is reaped then. Reaps it always. */
static void stop_and_continue(struct fuzzer *f, pid_t pid)
{
    int status;
    signal_child(pid, SIGSTOP);
    if (wait_child(pid, &status, WUNTRACED) != pid)
        return;
    if (!WIFSTOPPED(status)) {
        judge(f, pid, status);
        return;
    }
    if (WSTOPSIG(status) != SIGSTOP)
        fail("child %d stopped by signal %d, not SIGSTOP", (int)pid, WSTOPSIG(status));
    f->stopped++;
    signal_child(pid, SIGCONT);
    if (wait_child(pid, &status, WCONTINUED) != pid)
        return;
    if (!WIFCONTINUED(status)) {
        judge(f, pid, status);
        return;
    }
    reap(f, pid);
}

/* The parent's ways to end a child, by the number drawn for it. */
static void end_child(struct fuzzer *f, pid_t pid, uint64_t way)
{
    switch (way % 8) {
    case 0:
        signal_child(pid, SIGKILL);
        reap(f, pid);
        break;
    case 1:
        signal_child(pid, SIGTERM);
        reap(f, pid);
        break;
    case 2:
    case 3:
        stop_and_continue(f, pid);
        break;
    default:
        reap(f, pid);
        break;
    }
}

/* Children left for later that have ended: reaped, without waiting. */
static void reap_ended(struct fuzzer *f)
{
    int kept = 0;
    for (int i = 0; i < f->ndeferred; i++) {
        pid_t pid = f->deferred[i];
        int status;
        pid_t r = wait4(pid, &status, WNOHANG, NULL);
        if (r == pid)
            judge(f, pid, status);
        else if (r == 0 || (r == -1 && errno == EINTR))
            f->deferred[kept++] = pid;
        else
            fail("wait4(child %d, WNOHANG) returned %d: %s", (int)pid, (int)r, strerror(errno));
    }
    f->ndeferred = kept;
}

/* The oldest child left for later: ended as way says. */
static void end_oldest(struct fuzzer *f, uint64_t way)
{
    pid_t pid = f->deferred[0];
    f->ndeferred--;
    memmove(f->deferred, f->deferred + 1, (size_t)f->ndeferred * sizeof(f->deferred[0]));
    end_child(f, pid, way);
}

/* The child's life: a burst of random calls and signal actions in its
 * one thread, then the end plan drew. It counts only for itself. */
static _Noreturn void child_main(struct fuzzer *f, uint64_t rng, uint64_t plan)
{
    in_child = 1;
    self_pid = getpid();
    own_tid = (int)syscall(SYS_gettid);
    atomic_store(&failures, 0);
    atomic_store(&wrong_signo, 0);
    atomic_store(&off_altstack, 0);
    f->rng = rng;
    long calls = 1 + (long)(plan % CHILD_CALLS_MAX);
    for (long i = 0; i < calls; i++) {
        if (rnd(f) % SIGNAL_EVERY == 0)
            signal_action(f);
        fuzz_call(f);
    }
    check_deliveries();
    if (atomic_load(&failures))
        _exit(CHILD_FAILED);
    switch (plan / CHILD_CALLS_MAX % 8) {
    case 0:
        raise(SIGTERM);
        fail("still here after raise(SIGTERM)");
        _exit(CHILD_FAILED);
    case 1:
        kill(self_pid, SIGKILL);
        fail("still here after kill(itself, SIGKILL)");
        _exit(CHILD_FAILED);
    default:
        _exit(0);
    }
}

/* vfork's child runs on the parent's memory and stack: it may only _exit. */
static pid_t vfork_exit(void)
{
    pid_t pid = vfork();
    if (pid == 0)
        _exit(0);
    return pid;
}

/* Fork (or vfork) a child and deal with it, as the numbers drawn say;
 * all drawn before, so the same seed draws the same whatever the calls
 * return. A fork is the dearest thing the fuzzer does: the parent's pages
 * become copy-on-write, and on cubos each page its threads then write
 * costs a TLB shootdown, an NMI to the other CPU and a wait for its
 * answer; under TCG on a busy host, about a second per fork. Hence one
 * fork in FORK_EVERY calls, not more. */
static void fork_child(struct fuzzer *f)
{
    uint64_t plan = rnd(f), child_rng = rnd(f) | 1, way = rnd(f), old_way = rnd(f);
    reap_ended(f);
    if (plan % VFORK_EVERY == 0) {
        pid_t pid = vfork_exit();
        if (pid < 0) {
            f->fork_failures++;
            return;
        }
        f->vforks++;
        reap(f, pid);
        return;
    }
    pid_t pid = fork();
    if (pid == 0)
        child_main(f, child_rng, plan / VFORK_EVERY);
    if (pid < 0) {
        f->fork_failures++;
        return;
    }
    f->forks++;
    if (way % 2) {
        end_child(f, pid, way / 2);
        return;
    }
    if (f->ndeferred == DEFERRED_MAX)
        end_oldest(f, old_way);
    f->deferred[f->ndeferred++] = pid;
}

/* printf from a fuzzing thread, with the caught signals blocked: a
 * handler's EINTR would cut the line. */
static void progress(long total)
{
    sigset_t old;
    pthread_sigmask(SIG_BLOCK, &caught_set, &old);
    printf("fuzz: %ld syscalls\n", total);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void *fuzz_thread(void *arg)
{
    struct fuzzer *f = arg;
    own_tid = (int)syscall(SYS_gettid);
    atomic_store(&f->tid, own_tid);
    stack_t ss = { .ss_sp = f->altstack, .ss_size = ALTSTACK_BYTES, .ss_flags = 0 };
    if (sigaltstack(&ss, NULL) != 0)
        fail("sigaltstack: %s", strerror(errno));
    else
        altstack_base = f->altstack;
    for (long i = 0; i < calls_each; i++) {
        uint64_t r = rnd(f);
        if (r % SIGNAL_EVERY == 0)
            signal_action(f);
        if (r / SIGNAL_EVERY % FORK_EVERY == 0)
            fork_child(f);
        fuzz_call(f);
        long total = atomic_fetch_add(&calls_total, 1) + 1;
        if (total % PROGRESS_EVERY == 0)
            progress(total);
    }
    while (f->ndeferred > 0)
        end_oldest(f, rnd(f));
    /* Signals this thread held back are taken before it goes. */
    pthread_sigmask(SIG_UNBLOCK, &caught_set, NULL);
    return NULL;
}

/* A region of pages the kernel may use, with PROT_NONE guards between and
 * after: [scratch][guard][iov][guard][string][guard][altstack][guard]. A
 * handler's frame on the alternate stack goes below its top (Linux's
 * get_sigframe): a kernel writing above it faults. */
static int fuzzer_memory(struct fuzzer *f)
{
    size_t pages = SCRATCH_BYTES / PAGE_BYTES + 6 + ALTSTACK_BYTES / PAGE_BYTES;
    char *m = mmap(NULL, pages * PAGE_BYTES, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return -1;
    f->scratch = m;
    f->guards[0] = m + SCRATCH_BYTES;
    f->iov = (struct iovec *)(f->guards[0] + PAGE_BYTES);
    f->guards[1] = (char *)f->iov + PAGE_BYTES;
    f->string = f->guards[1] + PAGE_BYTES;
    f->guards[2] = f->string + PAGE_BYTES;
    f->altstack = f->guards[2] + PAGE_BYTES;
    f->guards[3] = f->altstack + ALTSTACK_BYTES;
    if (mprotect(f->scratch, SCRATCH_BYTES, PROT_READ | PROT_WRITE) != 0 ||
        mprotect(f->iov, PAGE_BYTES, PROT_READ | PROT_WRITE) != 0 ||
        mprotect(f->string, PAGE_BYTES, PROT_READ | PROT_WRITE) != 0 ||
        mprotect(f->altstack, ALTSTACK_BYTES, PROT_READ | PROT_WRITE) != 0)
        return -1;
    for (size_t i = 0; i < SCRATCH_BYTES; i++)
        f->scratch[i] = (char)rnd(f);
    return 0;
}

/* The junk paths, in pages that are then made read-only. */
static int junk_paths(void)
{
    size_t bytes = 2 * PAGE_BYTES;
    char *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return -1;
    char *p = m;
    for (size_t i = 0; i < JUNK_NAMES; i++) {
        paths[i] = p;
        p = stpcpy(p, junk_names[i]) + 1;
    }
    paths[JUNK_NAMES] = p;
    memset(p, 'z', LONG_NAME_BYTES);
    p += LONG_NAME_BYTES + 1;
    paths[JUNK_NAMES + 1] = p;
    for (size_t i = 0; i + 7 < LONG_PATH_BYTES; i += 7)
        memcpy(p + i, "fuzz-d/", 7);
    return mprotect(m, bytes, PROT_READ);
}

static void tables(void)
{
    for (size_t i = 0; i < sizeof(denied_list) / sizeof(denied_list[0]); i++)
        denied[denied_list[i]] = true;
    for (size_t i = 0; i < sizeof(fd_args) / sizeof(fd_args[0]); i++)
        fd_arg_mask[fd_args[i].nr] = (unsigned char)fd_args[i].args;
    for (size_t i = 0; i < sizeof(path_args) / sizeof(path_args[0]); i++)
        path_arg_mask[path_args[i].nr] = (unsigned char)path_args[i].args;
}

/* Remove everything in the current folder, folders too. Names are read
 * one at a time, so no directory stream stays open while a subfolder is
 * emptied; chdir keeps each path short however deep the folders go. */
static void empty_here(void)
{
    for (;;) {
        DIR *d = opendir(".");
        if (d == NULL) {
            printf("fuzz: cannot read a folder to empty it: %s\n", strerror(errno));
            return;
        }
        struct dirent *e;
        char name[256] = "";
        while ((e = readdir(d)) != NULL)
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
                snprintf(name, sizeof(name), "%s", e->d_name);
                break;
            }
        closedir(d);
        if (name[0] == '\0')
            return;
        struct stat st;
        if (lstat(name, &st) == 0 && S_ISDIR(st.st_mode)) {
            chmod(name, 0700);
            if (chdir(name) == 0) {
                empty_here();
                if (chdir("..") != 0)
                    return;
            }
            if (rmdir(name) != 0) {
                printf("fuzz: cannot remove folder %s: %s\n", name, strerror(errno));
                return;
            }
        } else if (unlink(name) != 0) {
            printf("fuzz: cannot remove %s: %s\n", name, strerror(errno));
            return;
        }
    }
}

static long number_arg(const char *s, long min, long max)
{
    char *end;
    long n = strtol(s, &end, 10);
    return *s != '\0' && *end == '\0' && n >= min && n <= max ? n : -1;
}

int main(int argc, char **argv)
{
    long count = DEFAULT_COUNT;
    nthreads = DEFAULT_THREADS;
    uint64_t seed;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    seed = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
    if (argc > 4 || (argc > 1 && (count = number_arg(argv[1], 1, 1000000000)) < 0) ||
        (argc > 2 && (nthreads = number_arg(argv[2], 1, MAX_THREADS)) < 0) ||
        (argc > 3 && (seed = strtoull(argv[3], NULL, 10)) == 0)) {
        fprintf(stderr, "usage: fuzz [COUNT [THREADS (1..%d) [SEED (not 0)]]]\n", MAX_THREADS);
        return 2;
    }
    printf("fuzz: seed %llu\n", (unsigned long long)seed);
    fflush(stdout);

    tables();
    self_pid = getpid();
    own_start = (uint64_t)__executable_start;
    own_end = (uint64_t)sbrk(0) + HEAP_SLACK;
    char home[64];
    snprintf(home, sizeof(home), "/tmp/fuzz.%d", (int)getpid());
    mkdir("/tmp", 0777);
    if (junk_paths() != 0 || mkdir(home, 0700) != 0 || chdir(home) != 0 || catch_signals() != 0) {
        perror("fuzz: setting up");
        return 1;
    }

    calls_each = count / nthreads;
    for (long i = 0; i < nthreads; i++) {
        struct fuzzer *f = &fuzzers[i];
        f->rng = seed ^ (0x9e3779b97f4a7c15ull * (uint64_t)(i + 1));
        if (f->rng == 0)
            f->rng = 1;
        if (fuzzer_memory(f) != 0) {
            perror("fuzz: mmap");
            return 1;
        }
    }
    for (long i = 0; i < nthreads; i++) {
        int err = pthread_create(&fuzzers[i].thread, NULL, fuzz_thread, &fuzzers[i]);
        if (err != 0) {
            fprintf(stderr, "fuzz: pthread_create: %s\n", strerror(err));
            return 1;
        }
    }
    pthread_sigmask(SIG_BLOCK, &caught_set, NULL);
    long calls = 0, enosys = 0, efault = 0, interrupted = 0;
    long forks = 0, vforks = 0, fork_failures = 0, reaped = 0, killed = 0, stopped = 0;
    for (long i = 0; i < nthreads; i++) {
        struct fuzzer *f = &fuzzers[i];
        pthread_join(f->thread, NULL);
        calls += f->calls;
        enosys += f->enosys;
        efault += f->efault;
        interrupted += f->interrupted;
        forks += f->forks;
        vforks += f->vforks;
        fork_failures += f->fork_failures;
        reaped += f->reaped;
        killed += f->killed;
        stopped += f->stopped;
    }

    /* No more signals: the timer stopped, those still pending taken here. */
    struct itimerval off = { { 0, 0 }, { 0, 0 } };
    setitimer(ITIMER_REAL, &off, NULL);
    pthread_sigmask(SIG_UNBLOCK, &caught_set, NULL);
    check_deliveries();
    if (reaped != forks + vforks)
        fail("%ld children forked, %ld reaped", forks + vforks, reaped);
    int status;
    pid_t left = wait4(-1, &status, WNOHANG, NULL);
    if (left != -1 || errno != ECHILD) {
        fail("a child was left behind (wait4 returned %d)", (int)left);
        while (wait(&status) != -1 || errno == EINTR)
            ;
    }

    /* The calls left descriptors open, up to the limit: close them, or
     * the cleanup could not open a folder. */
    for (int fd = 3; fd < 1024; fd++)
        close(fd);
    chmod(home, 0700);      /* a chmod of "." may have taken our rights */
    if (chdir(home) == 0) {
        empty_here();
        (void)chdir("/");
    }
    if (rmdir(home) != 0)
        printf("fuzz: could not remove %s: %s\n", home, strerror(errno));
    printf("fuzz: %ld syscalls in %ld threads, %ld returned ENOSYS, %ld returned EFAULT\n", calls,
           nthreads, enosys, efault);
    printf("fuzz: %ld forks (%ld children reaped), %ld signals handled; %ld of the forks vforks, "
           "%ld failed, %ld children killed, %ld stopped and continued, %ld calls returned EINTR\n",
           forks + vforks, reaped, atomic_load(&signals_handled), vforks, fork_failures, killed,
           stopped, interrupted);
    return atomic_load(&failures) ? 1 : 0;
}
