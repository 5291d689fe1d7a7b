/*
 * bench.c: micro-benchmarks, timed with the time-stamp counter.
 *
 * tools/bench.py boots the kernel with "bench" on the command line, reads
 * these lines, and sets them beside the same operations measured on the
 * host in the same run. Each benchmark runs a warm-up round first, so the
 * figure is the steady state, not the first-touch cost. The benchmarks
 * between CPUs are in bench_smp.c.
 */
#include <stdint.h>

#include "bench.h"
#include "frame.h"
#include "heap.h"
#include "kprintf.h"
#include "panic.h"
#include "thread.h"
#include "timer.h"
#include "trap.h"
#include "wait.h"
#include "x86.h"

#define ROUNDS 100000
#define SWITCH_ROUNDS 20000
#define CREATE_ROUNDS 2000

void bench_report(const char *name, uint64_t cycles, unsigned ops)
{
    uint64_t ns = cycles * 1000000 / (timer_tsc_rate() / 1000) / ops;
    kprintf("bench %s: %llu cycles/op, %llu ns/op (%u ops)\n", name,
            (unsigned long long)(cycles / ops), (unsigned long long)ns, ops);
}

static uint64_t time_frames(void)
{
    uint64_t start = rdtsc();
    for (unsigned i = 0; i < ROUNDS; i++) {
        paddr_t f = frame_alloc();
        if (f == 0)
            panic("bench: out of frames");
        frame_free(f);
    }
    return rdtsc() - start;
}

static uint64_t time_kmalloc(void)
{
    uint64_t start = rdtsc();
    for (unsigned i = 0; i < ROUNDS; i++) {
        void *p = kmalloc(64);
        if (p == NULL)
            panic("bench: out of heap");
        kfree(p);
    }
    return rdtsc() - start;
}

static void on_bench_interrupt(struct trap_frame *tf)
{
    (void)tf;
}

/* A software interrupt runs the whole path a device interrupt takes: the
 * IDT gate, the stub, trap_dispatch, the handler, IRETQ (minus the EOI). */
static uint64_t time_interrupt(void)
{
    uint64_t start = rdtsc();
    for (unsigned i = 0; i < ROUNDS; i++)
        __asm__ volatile("int %0" : : "i"(VEC_BENCH) : "memory");
    return rdtsc() - start;
}

static void yielder(void *arg)
{
    (void)arg;
    for (unsigned i = 0; i < SWITCH_ROUNDS; i++)
        thread_yield();
}

/* Two threads that only yield: every yield is a switch to the other one. */
static uint64_t time_yield(void)
{
    struct thread *a = thread_create("yield a", yielder, NULL);
    struct thread *b = thread_create("yield b", yielder, NULL);
    if (a == NULL || b == NULL)
        panic("bench: no memory for threads");
    uint64_t start = rdtsc();
    thread_join(a);
    thread_join(b);
    return rdtsc() - start;
}

static struct semaphore ping = SEMAPHORE_INIT("bench ping", 0);
static struct semaphore pong = SEMAPHORE_INIT("bench pong", 0);

static void ponger(void *arg)
{
    (void)arg;
    for (unsigned i = 0; i < SWITCH_ROUNDS; i++) {
        sem_down(&ping);
        sem_up(&pong);
    }
}

/* A token passed back and forth with two semaphores: each handoff wakes the
 * other thread and blocks this one, like a futex handoff on Linux. */
static uint64_t time_handoff(void)
{
    struct thread *t = thread_create("ponger", ponger, NULL);
    if (t == NULL)
        panic("bench: no memory for a thread");
    uint64_t start = rdtsc();
    for (unsigned i = 0; i < SWITCH_ROUNDS; i++) {
        sem_up(&ping);
        sem_down(&pong);
    }
    uint64_t cycles = rdtsc() - start;
    thread_join(t);
    return cycles;
}

static void empty_thread(void *arg)
{
    (void)arg;
}

static uint64_t time_create_join(void)
{
    uint64_t start = rdtsc();
    for (unsigned i = 0; i < CREATE_ROUNDS; i++) {
        struct thread *t = thread_create("empty", empty_thread, NULL);
        if (t == NULL)
            panic("bench: no memory for a thread");
        thread_join(t);
    }
    return rdtsc() - start;
}

void bench_run(void)
{
    time_yield();
    bench_report("yield", time_yield(), 2 * SWITCH_ROUNDS);
    time_handoff();
    bench_report("handoff", time_handoff(), 2 * SWITCH_ROUNDS);
    time_create_join();
    bench_report("create+join", time_create_join(), CREATE_ROUNDS);
    trap_set_handler(VEC_BENCH, on_bench_interrupt);
    time_interrupt();
    bench_report("int+iretq", time_interrupt(), ROUNDS);
    time_frames();
    bench_report("frame_alloc+frame_free", time_frames(), ROUNDS);
    time_kmalloc();
    bench_report("kmalloc+kfree(64)", time_kmalloc(), ROUNDS);
    bench_smp_run();
    bench_chan_run();
}
