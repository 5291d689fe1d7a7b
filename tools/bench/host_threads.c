/*
 * host_threads.c: the host side of `make bench` for threads, scheduling
 * and locks.
 *
 * The kernel's thread benchmarks switch between kernel threads on one CPU,
 * so the host reference pins the whole process (and every thread it makes
 * for them) to CPU 0 and times what Linux does in the same situation:
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
 *   spinlock     pthread_spin_lock + pthread_spin_unlock with nobody else
 *                wanting the lock; one op is the pair.
 *
 * The kernel's benchmarks between CPUs get theirs from two threads, one
 * pinned on CPU 0 and one on CPU 1 (each skipped, with a line saying so,
 * if this process may not run on both):
 *
 *   spinlock contended  both threads add 1 to one counter under one
 *                pthread spinlock; one op is one lock + unlock of either.
 *                "handoffs spinlock contended" counts the times the lock
 *                went to the other thread (it is not fair).
 *   futex round trip  the futex handoff above across the two CPUs; one op
 *                is a round trip: two wakes, each of a thread blocked in
 *                FUTEX_WAIT on the other CPU.
 *   futex wake latency  the thread on CPU 1 blocks in FUTEX_WAIT; the one
 *                on CPU 0 waits a little longer (so that CPU 1 goes idle),
 *                stamps the TSC and calls FUTEX_WAKE; the woken thread
 *                stamps the TSC as FUTEX_WAIT returns. One op is the
 *                difference; "slept futex wake latency" counts the rounds
 *                in which the waiter really was asleep.
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
#define OTHER_CPU 1                 /* the second CPU of the two-CPU benchmarks */
#define YIELD_ROUNDS 100000         /* sched_yield calls per thread */
#define FUTEX_ROUNDS 100000         /* round trips (two handoffs each) */
#define CREATE_ROUNDS 5000          /* pthread_create + pthread_join pairs */
#define SPIN_ROUNDS 1000000         /* lock + unlock pairs, per thread */
#define CROSS_ROUNDS 20000          /* futex round trips between two CPUs */
#define WAKE_ROUNDS 1000            /* wakes of a thread asleep on the other CPU */
#define WAKE_SETTLE_NS 200000       /* for the waiter to block and its CPU to idle */
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

/* Attributes for the two threads of a pair: both pinned to BENCH_CPU like
 * the process, or the first to BENCH_CPU and the second to OTHER_CPU. */
static pthread_attr_t one_cpu[2], two_cpus[2];

static void attr_pinned(pthread_attr_t *attr, int cpu)
{
    cpu_set_t set;
    int err;

    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if ((err = pthread_attr_init(attr)) != 0)
        die("pthread_attr_init", err);
    if ((err = pthread_attr_setaffinity_np(attr, sizeof(set), &set)) != 0)
        die("pthread_attr_setaffinity_np", err);
}

/* Pin this thread to BENCH_CPU and make the attributes. Returns whether
 * the process may run on both BENCH_CPU and OTHER_CPU, as it found its
 * CPUs before pinning. */
static int pin_everything(void)
{
    cpu_set_t set;

    if (sched_getaffinity(0, sizeof(set), &set) != 0)
        die("sched_getaffinity", errno);
    int both = CPU_ISSET(BENCH_CPU, &set) && CPU_ISSET(OTHER_CPU, &set);
    CPU_ZERO(&set);
    CPU_SET(BENCH_CPU, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0)
        die("sched_setaffinity", errno);
    attr_pinned(&one_cpu[0], BENCH_CPU);
    attr_pinned(&one_cpu[1], BENCH_CPU);
    attr_pinned(&two_cpus[0], BENCH_CPU);
    attr_pinned(&two_cpus[1], OTHER_CPU);
    return both;
}

/* ---- two threads, started together by a barrier ---- */

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

/* Runs loop(0, rounds) and loop(1, rounds) in two threads pinned by
 * attr[0] and attr[1]; returns the cycles and ns from the first thread's
 * start to the last one's end. */
static void run_pair(void (*loop)(int, unsigned), unsigned rounds, pthread_attr_t attr[2],
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
        if ((err = pthread_create(&t[i], &attr[i], worker_main, &w[i])) != 0)
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

/* Sleep while *addr is expected. Returns 1 if it slept and was woken, 0
 * if *addr had changed already (or a signal came). */
static int futex_wait(int *addr, int expected)
{
    if (syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0) == 0)
        return 1;
    if (errno != EAGAIN && errno != EINTR)
        die("futex(FUTEX_WAIT)", errno);
    return 0;
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
        if ((err = pthread_create(&t, &one_cpu[0], empty_thread, NULL)) != 0)
            die("pthread_create", err);
        if ((err = pthread_join(t, NULL)) != 0)
            die("pthread_join", err);
    }
    *cycles = __rdtsc() - tsc0;
    *ns = now_ns() - ns0;
}

/* ---- spinlocks ---- */

static pthread_spinlock_t spin;
static long spin_counter;           /* guarded by spin, as are: */
static int spin_last_holder;        /* the thread that took it last */
static unsigned spin_handoffs;      /* times it went to the other thread */

static void spin_lock_checked(void)
{
    int err = pthread_spin_lock(&spin);
    if (err != 0)
        die("pthread_spin_lock", err);
}

static void spin_unlock_checked(void)
{
    int err = pthread_spin_unlock(&spin);
    if (err != 0)
        die("pthread_spin_unlock", err);
}

static void time_spinlock(unsigned rounds, uint64_t *cycles, uint64_t *ns)
{
    uint64_t ns0 = now_ns(), tsc0 = __rdtsc();
    for (unsigned i = 0; i < rounds; i++) {
        spin_lock_checked();
        spin_unlock_checked();
    }
    *cycles = __rdtsc() - tsc0;
    *ns = now_ns() - ns0;
}

static void spin_add_loop(int id, unsigned rounds)
{
    for (unsigned i = 0; i < rounds; i++) {
        spin_lock_checked();
        spin_counter++;
        if (id != spin_last_holder) {
            spin_handoffs++;
            spin_last_holder = id;
        }
        spin_unlock_checked();
    }
}

/* Both threads of a pair add under the lock; the total must be exact. */
static void time_spin_contended(unsigned rounds, uint64_t *cycles, uint64_t *ns)
{
    spin_counter = 0;
    spin_handoffs = 0;
    spin_last_holder = 0;
    run_pair(spin_add_loop, rounds, two_cpus, cycles, ns);
    if (spin_counter != 2L * rounds) {
        fprintf(stderr, "host_threads: two threads added %ld under one spinlock, not %ld\n",
                spin_counter, 2L * rounds);
        exit(1);
    }
}

/* ---- futex wake latency ---- */

static int wake_word;               /* the last round the waker has woken */
static unsigned waiter_ready;       /* the round the waiter waits for */
static unsigned waiter_done;        /* the last round the waiter saw */
static uint64_t woke_tsc, woke_ns;  /* stamped by the waiter as it wakes */
static uint64_t wake_cycles, wake_ns;   /* sums over the rounds */
static unsigned wake_slept;         /* rounds the waiter was asleep for */

/* Thread 1, on OTHER_CPU: block until round i is woken, stamp the time. */
static void wait_for_wakes(unsigned rounds)
{
    for (unsigned i = 1; i <= rounds; i++) {
        int slept = 0;
        __atomic_store_n(&waiter_ready, i, __ATOMIC_RELEASE);
        while (__atomic_load_n(&wake_word, __ATOMIC_ACQUIRE) != (int)i)
            slept |= futex_wait(&wake_word, (int)i - 1);
        woke_tsc = __rdtsc();
        woke_ns = now_ns();
        wake_slept += (unsigned)slept;
        __atomic_store_n(&waiter_done, i, __ATOMIC_RELEASE);
    }
}

/* Thread 0, on BENCH_CPU: once the waiter waits and has had
 * WAKE_SETTLE_NS to fall asleep (a busy wait, as the kernel's), wake it. */
static void wake_each(unsigned rounds)
{
    for (unsigned i = 1; i <= rounds; i++) {
        while (__atomic_load_n(&waiter_ready, __ATOMIC_ACQUIRE) != i)
            _mm_pause();
        uint64_t settled = now_ns() + WAKE_SETTLE_NS;
        while (now_ns() < settled)
            _mm_pause();
        uint64_t ns0 = now_ns(), tsc0 = __rdtsc();
        __atomic_store_n(&wake_word, (int)i, __ATOMIC_RELEASE);
        futex_wake(&wake_word);
        while (__atomic_load_n(&waiter_done, __ATOMIC_ACQUIRE) != i)
            _mm_pause();
        wake_cycles += woke_tsc - tsc0;
        wake_ns += woke_ns - ns0;
    }
}

static void wake_loop(int id, unsigned rounds)
{
    if (id == 0)
        wake_each(rounds);
    else
        wait_for_wakes(rounds);
}

/* Sums of the rounds' latencies (not the run's length, which is mostly
 * the settling). */
static void time_wake(unsigned rounds, uint64_t *cycles, uint64_t *ns)
{
    uint64_t run_cycles, run_ns;
    wake_word = 0;
    waiter_ready = waiter_done = 0;
    wake_cycles = wake_ns = 0;
    wake_slept = 0;
    run_pair(wake_loop, rounds, two_cpus, &run_cycles, &run_ns);
    *cycles = wake_cycles;
    *ns = wake_ns;
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

static void skip_two_cpus(const char *name)
{
    printf("host %s: skipped, this process cannot run on both CPU %d and CPU %d\n",
           name, BENCH_CPU, OTHER_CPU);
}

int main(void)
{
    uint64_t cycles, ns, csw;
    int err;

    int two_cpus_usable = pin_everything();
    printf("pinned to cpu %d\n", BENCH_CPU);

    run_pair(yield_loop, YIELD_ROUNDS / WARMUP_DIVISOR, one_cpu, &cycles, &ns);
    csw = switches();
    run_pair(yield_loop, YIELD_ROUNDS, one_cpu, &cycles, &ns);
    report("yield", cycles, ns, switches() - csw, 2ull * YIELD_ROUNDS);

    run_pair(futex_loop, FUTEX_ROUNDS / WARMUP_DIVISOR, one_cpu, &cycles, &ns);
    csw = switches();
    run_pair(futex_loop, FUTEX_ROUNDS, one_cpu, &cycles, &ns);
    report("futex", cycles, ns, switches() - csw, 2ull * FUTEX_ROUNDS);

    time_create_join(CREATE_ROUNDS / WARMUP_DIVISOR, &cycles, &ns);
    csw = switches();
    time_create_join(CREATE_ROUNDS, &cycles, &ns);
    report("create+join", cycles, ns, switches() - csw, CREATE_ROUNDS);

    if ((err = pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE)) != 0)
        die("pthread_spin_init", err);
    time_spinlock(SPIN_ROUNDS / WARMUP_DIVISOR, &cycles, &ns);
    csw = switches();
    time_spinlock(SPIN_ROUNDS, &cycles, &ns);
    report("spinlock", cycles, ns, switches() - csw, SPIN_ROUNDS);

    if (two_cpus_usable) {
        time_spin_contended(SPIN_ROUNDS / WARMUP_DIVISOR, &cycles, &ns);
        csw = switches();
        time_spin_contended(SPIN_ROUNDS, &cycles, &ns);
        report("spinlock contended", cycles, ns, switches() - csw, 2ull * SPIN_ROUNDS);
        printf("handoffs spinlock contended: %u of %d\n", spin_handoffs, 2 * SPIN_ROUNDS);

        run_pair(futex_loop, CROSS_ROUNDS / WARMUP_DIVISOR, two_cpus, &cycles, &ns);
        csw = switches();
        run_pair(futex_loop, CROSS_ROUNDS, two_cpus, &cycles, &ns);
        report("futex round trip", cycles, ns, switches() - csw, CROSS_ROUNDS);

        time_wake(WAKE_ROUNDS / WARMUP_DIVISOR, &cycles, &ns);
        csw = switches();
        time_wake(WAKE_ROUNDS, &cycles, &ns);
        report("futex wake latency", cycles, ns, switches() - csw, WAKE_ROUNDS);
        printf("slept futex wake latency: %u of %d rounds\n", wake_slept, WAKE_ROUNDS);
    } else {
        skip_two_cpus("spinlock contended");
        skip_two_cpus("futex round trip");
        skip_two_cpus("futex wake latency");
    }
    if ((err = pthread_spin_destroy(&spin)) != 0)
        die("pthread_spin_destroy", err);

    printf("tsc_khz: %llu\n", (unsigned long long)tsc_khz());
    return 0;
}
