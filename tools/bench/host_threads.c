/*
 * host_threads.c: the host side of `make bench` for threads and scheduling.
 *
 * The kernel's thread benchmarks switch between kernel threads on one CPU,
 * so the host reference pins the whole process (and every thread it makes)
 * to CPU 0 and times what Linux does in the same situation:
 *
 *   yield        two threads call sched_yield() in a loop; on one CPU each
 *                yield hands the CPU to the other thread, so one op is one
 *                thread switch (through the scheduler, no blocking).
 *   futex        two threads pass a token back and forth through a shared
 *                word with raw private FUTEX_WAIT/FUTEX_WAKE; one op is one
 *                handoff in one direction: a wake, a block and a switch.
 *   create+join  pthread_create of a thread that returns at once, then
 *                pthread_join; one op is the pair (clone, stack reuse,
 *                first run, exit and reaping).
 *
 * Cycles come from the same TSC the kernel uses.  Prints, per benchmark,
 * "host <name>: <cycles> cycles/op" (what bench.py parses) and
 * "ns <name>: <ns>" from CLOCK_MONOTONIC over the same run, plus
 * "tsc_khz: <khz>", the TSC rate measured against CLOCK_MONOTONIC, and
 * "switches <name>: <n>/op", context switches per op from getrusage over the
 * timed run, which checks that every yield and handoff really was a switch.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#define BENCH_CPU 0                 /* the one CPU every thread runs on */
#define YIELD_ROUNDS 100000         /* sched_yield calls per thread */
#define FUTEX_ROUNDS 100000         /* round trips (two handoffs each) */
#define CREATE_ROUNDS 5000          /* pthread_create + pthread_join pairs */
#define WARMUP_DIVISOR 10           /* warm-up runs do ROUNDS / this */
#define TSC_CAL_NS 100000000L       /* calibrate the TSC over 100 ms */
#define NS_PER_SEC 1000000000LL

static void die(const char *what, int err)
{
    fprintf(stderr, "host_threads: %s: %s\n", what, strerror(err));
    exit(1);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        die("clock_gettime", errno);
    return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* Context switches, voluntary and not, of all threads of the process so far. */
static uint64_t switches(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        die("getrusage", errno);
    return (uint64_t)ru.ru_nvcsw + (uint64_t)ru.ru_nivcsw;
}

/* Attributes for every thread: pinned to BENCH_CPU like the process. */
static pthread_attr_t pinned_attr;

static void pin_everything(void)
{
    cpu_set_t set;
    int err;

    CPU_ZERO(&set);
    CPU_SET(BENCH_CPU, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0)
        die("sched_setaffinity", errno);
    if ((err = pthread_attr_init(&pinned_attr)) != 0)
        die("pthread_attr_init", err);
    if ((err = pthread_attr_setaffinity_np(&pinned_attr, sizeof(set), &set)) != 0)
        die("pthread_attr_setaffinity_np", err);
}

/* ---- two threads on one CPU, started together by a barrier ---- */

struct pair_run {
    pthread_barrier_t start;
    unsigned rounds;
    uint64_t tsc0[2], tsc1[2];      /* per thread: after the barrier, at the end */
    uint64_t ns0[2], ns1[2];
};

struct worker {
    struct pair_run *run;
    int id;                         /* 0 or 1 */
    void (*loop)(int id, unsigned rounds);
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct pair_run *run = w->run;
    int err = pthread_barrier_wait(&run->start);
    if (err != 0 && err != PTHREAD_BARRIER_SERIAL_THREAD)
        die("pthread_barrier_wait", err);
    run->ns0[w->id] = now_ns();
    run->tsc0[w->id] = __rdtsc();
    w->loop(w->id, run->rounds);
    run->tsc1[w->id] = __rdtsc();
    run->ns1[w->id] = now_ns();
    return NULL;
}

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }
static uint64_t max_u64(uint64_t a, uint64_t b) { return a > b ? a : b; }

/* Runs loop(0, rounds) and loop(1, rounds) in two pinned threads; returns
 * the cycles and ns from the first thread's start to the last one's end. */
static void run_pair(void (*loop)(int, unsigned), unsigned rounds,
                     uint64_t *cycles, uint64_t *ns)
{
    struct pair_run run = { .rounds = rounds };
    struct worker w[2];
    pthread_t t[2];
    int err;

    if ((err = pthread_barrier_init(&run.start, NULL, 2)) != 0)
        die("pthread_barrier_init", err);
    for (int i = 0; i < 2; i++) {
        w[i] = (struct worker){ .run = &run, .id = i, .loop = loop };
        if ((err = pthread_create(&t[i], &pinned_attr, worker_main, &w[i])) != 0)
            die("pthread_create", err);
    }
    for (int i = 0; i < 2; i++)
        if ((err = pthread_join(t[i], NULL)) != 0)
            die("pthread_join", err);
    if ((err = pthread_barrier_destroy(&run.start)) != 0)
        die("pthread_barrier_destroy", err);

    *cycles = max_u64(run.tsc1[0], run.tsc1[1]) - min_u64(run.tsc0[0], run.tsc0[1]);
    *ns = max_u64(run.ns1[0], run.ns1[1]) - min_u64(run.ns0[0], run.ns0[1]);
}

/* ---- yield ---- */

static void yield_loop(int id, unsigned rounds)
{
    (void)id;
    for (unsigned i = 0; i < rounds; i++)
        if (sched_yield() != 0)
            die("sched_yield", errno);
}

/* ---- futex handoff ---- */

static int token;                   /* 0: thread 0's turn, 1: thread 1's turn */

static void futex_wait(int *addr, int expected)
{
    if (syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0) != 0
        && errno != EAGAIN && errno != EINTR)
        die("futex(FUTEX_WAIT)", errno);
}

static void futex_wake(int *addr)
{
    if (syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) < 0)
        die("futex(FUTEX_WAKE)", errno);
}

/* Thread 0 waits for 0 and passes 1; thread 1 waits for 1 and passes 0. */
static void futex_loop(int id, unsigned rounds)
{
    int mine = id, theirs = !id;
    for (unsigned i = 0; i < rounds; i++) {
        int v;
        while ((v = __atomic_load_n(&token, __ATOMIC_ACQUIRE)) != mine)
            futex_wait(&token, v);
        __atomic_store_n(&token, theirs, __ATOMIC_RELEASE);
        futex_wake(&token);
    }
}

/* ---- create + join ---- */

static void *empty_thread(void *arg)
{
    return arg;
}

static void time_create_join(unsigned rounds, uint64_t *cycles, uint64_t *ns)
{
    uint64_t ns0 = now_ns(), tsc0 = __rdtsc();
    for (unsigned i = 0; i < rounds; i++) {
        pthread_t t;
        int err;
        if ((err = pthread_create(&t, &pinned_attr, empty_thread, NULL)) != 0)
            die("pthread_create", err);
        if ((err = pthread_join(t, NULL)) != 0)
            die("pthread_join", err);
    }
    *cycles = __rdtsc() - tsc0;
    *ns = now_ns() - ns0;
}

/* ---- TSC rate ---- */

static uint64_t tsc_khz(void)
{
    struct timespec left = { .tv_sec = TSC_CAL_NS / NS_PER_SEC,
                             .tv_nsec = TSC_CAL_NS % NS_PER_SEC };
    uint64_t ns0 = now_ns(), tsc0 = __rdtsc();
    while (nanosleep(&left, &left) != 0)
        if (errno != EINTR)
            die("nanosleep", errno);
    uint64_t tsc1 = __rdtsc(), ns1 = now_ns();
    return (tsc1 - tsc0) * 1000000ULL / (ns1 - ns0);
}

static void report(const char *name, uint64_t cycles, uint64_t ns,
                   uint64_t csw, uint64_t ops)
{
    printf("host %s: %llu cycles/op\n", name, (unsigned long long)(cycles / ops));
    printf("ns %s: %llu\n", name, (unsigned long long)(ns / ops));
    printf("switches %s: %.2f/op\n", name, (double)csw / (double)ops);
}

int main(void)
{
    uint64_t cycles, ns, csw;

    pin_everything();
    printf("pinned to cpu %d\n", BENCH_CPU);

    run_pair(yield_loop, YIELD_ROUNDS / WARMUP_DIVISOR, &cycles, &ns);
    csw = switches();
    run_pair(yield_loop, YIELD_ROUNDS, &cycles, &ns);
    report("yield", cycles, ns, switches() - csw, 2ull * YIELD_ROUNDS);

    run_pair(futex_loop, FUTEX_ROUNDS / WARMUP_DIVISOR, &cycles, &ns);
    csw = switches();
    run_pair(futex_loop, FUTEX_ROUNDS, &cycles, &ns);
    report("futex", cycles, ns, switches() - csw, 2ull * FUTEX_ROUNDS);

    time_create_join(CREATE_ROUNDS / WARMUP_DIVISOR, &cycles, &ns);
    csw = switches();
    time_create_join(CREATE_ROUNDS, &cycles, &ns);
    report("create+join", cycles, ns, switches() - csw, CREATE_ROUNDS);

    printf("tsc_khz: %llu\n", (unsigned long long)tsc_khz());
    return 0;
}
