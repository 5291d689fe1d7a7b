/*
 * va_pool.h: a pool of virtual address ranges, handed out first fit.
 *
 * The pool keeps the free parts of its window as a sorted list of holes in
 * an array the caller provides. Pure bookkeeping: it never maps or touches
 * the addresses, so it is the same code in the kernel (mm/kpage.c) and in
 * the host unit tests.
 */
#ifndef CUBOS_VA_POOL_H
#define CUBOS_VA_POOL_H

#include <stddef.h>
#include <stdint.h>

struct va_range {
    uint64_t start, end;        /* [start, end) */
};

struct va_pool {
    struct va_range *holes;     /* free ranges: sorted, disjoint, never touching */
    size_t nholes;
    size_t capacity;            /* room in holes */
    size_t nlive;               /* ranges handed out and not freed yet */
    uint64_t base, limit;       /* the window [base, limit) */
};

/* A pool over [base, limit), all free, with room for capacity holes
 * (capacity >= 2). base must not be 0: va_pool_alloc returns 0 for failure. */
void va_pool_init(struct va_pool *pool, struct va_range *holes, size_t capacity,
                  uint64_t base, uint64_t limit);

/* The lowest start of size free bytes, now taken, or 0 if no hole is big
 * enough, size is 0, or capacity - 1 ranges are out already: that limit
 * is what keeps the holes (at most one more than the ranges out) in the array. */
uint64_t va_pool_alloc(struct va_pool *pool, uint64_t size);

/* Give back [start, start + size), merging it with the holes it touches.
 * Returns 0, or -1 if the range is empty, wraps, leaves the window or
 * overlaps a hole (a double free); the pool is unchanged then. */
int va_pool_free(struct va_pool *pool, uint64_t start, uint64_t size);

#endif
