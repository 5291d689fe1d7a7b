/*
 * host_mm.c: the host side of `make bench` for memory management.
 *
 * Times, with the same TSC the kernel uses, the same loops as the kernel's
 * kernel/bench.c: the kernel's own frame bitmap (mm/frame_pool.c, compiled
 * for the host: the pure algorithm without a VM around it) and glibc's
 * malloc/free as the reference general-purpose allocator.
 * Prints "host <name>: <cycles> cycles/op", one line per benchmark.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <x86intrin.h>

#include "frame_pool.h"
#include "memlayout.h"

#define ROUNDS 100000
#define POOL_FRAMES (128u * 256)    /* 128 MiB, like the kernel's default guest */

static uint64_t time_frames(struct frame_pool *pool)
{
    uint64_t start = __rdtsc();
    for (unsigned i = 0; i < ROUNDS; i++) {
        uint64_t f = frame_pool_alloc(pool);
        if (f == 0 || frame_pool_free(pool, f) != 0)
            abort();
    }
    return __rdtsc() - start;
}

static uint64_t time_malloc(void)
{
    uint64_t start = __rdtsc();
    for (unsigned i = 0; i < ROUNDS; i++) {
        void *volatile p = malloc(64);
        if (p == NULL)
            abort();
        free(p);
    }
    return __rdtsc() - start;
}

int main(void)
{
    static uint64_t bitmap[POOL_FRAMES / 64];
    struct frame_pool pool;
    frame_pool_init(&pool, bitmap, POOL_FRAMES);
    frame_pool_set_free(&pool, 0x100000, (uint64_t)POOL_FRAMES * PAGE_SIZE);

    time_frames(&pool);
    printf("host frame_alloc+frame_free: %llu cycles/op\n",
           (unsigned long long)(time_frames(&pool) / ROUNDS));
    time_malloc();
    printf("host kmalloc+kfree(64): %llu cycles/op\n",
           (unsigned long long)(time_malloc() / ROUNDS));
    return 0;
}
