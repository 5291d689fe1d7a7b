/*
 * bench.c: micro-benchmarks, timed with the time-stamp counter.
 *
 * tools/bench.py boots the kernel with "bench" on the command line, reads
 * these lines, and sets them beside the same operations measured on the
 * host in the same run. Each benchmark runs a warm-up round first, so the
 * figure is the steady state, not the first-touch cost.
 */
#include <stdint.h>

#include "bench.h"
#include "frame.h"
#include "heap.h"
#include "kprintf.h"
#include "panic.h"
#include "trap.h"
#include "x86.h"

#define ROUNDS 100000

static void report(const char *name, uint64_t cycles, unsigned ops)
{
    kprintf("bench %s: %llu cycles/op (%u ops)\n", name, (unsigned long long)(cycles / ops), ops);
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

void bench_run(void)
{
    trap_set_handler(VEC_BENCH, on_bench_interrupt);
    time_interrupt();
    report("int+iretq", time_interrupt(), ROUNDS);
    time_frames();
    report("frame_alloc+frame_free", time_frames(), ROUNDS);
    time_kmalloc();
    report("kmalloc+kfree(64)", time_kmalloc(), ROUNDS);
}
