/*
 * va_pool.c: virtual address ranges, first fit over a sorted array of holes.
 *
 * First fit hands out the lowest addresses that fit, so the ranges in use
 * stay packed at the bottom of the window and the page tables over them
 * (which kpage keeps) are reused instead of piling up. Freed ranges merge
 * with their neighbours, so the holes are always separated by ranges in
 * use: there is at most one hole more than ranges out, which is why
 * va_pool_alloc stops at capacity - 1 ranges and the array never overflows.
 * A linear scan is fine for a few thousand holes; a tree would do for more.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "string.h"
#include "va_pool.h"

void va_pool_init(struct va_pool *pool, struct va_range *holes, size_t capacity,
                  uint64_t base, uint64_t limit)
{
    pool->holes = holes;
    pool->capacity = capacity;
    pool->nlive = 0;
    pool->base = base;
    pool->limit = limit;
    holes[0] = (struct va_range){ base, limit };
    pool->nholes = 1;
}

static void remove_hole(struct va_pool *pool, size_t i)
{
    memmove(&pool->holes[i], &pool->holes[i + 1], (pool->nholes - i - 1) * sizeof(struct va_range));
    pool->nholes--;
}

uint64_t va_pool_alloc(struct va_pool *pool, uint64_t size)
{
    if (size == 0 || pool->nlive + 1 >= pool->capacity)
        return 0;
    for (size_t i = 0; i < pool->nholes; i++) {
        struct va_range *h = &pool->holes[i];
        if (h->end - h->start < size)
            continue;
        uint64_t start = h->start;
        h->start += size;
        if (h->start == h->end)
            remove_hole(pool, i);
        pool->nlive++;
        return start;
    }
    return 0;
}

int va_pool_free(struct va_pool *pool, uint64_t start, uint64_t size)
{
    uint64_t end = start + size;
    if (size == 0 || end < start || start < pool->base || end > pool->limit || pool->nlive == 0)
        return -1;
    size_t next = 0;                /* the first hole above the range */
    while (next < pool->nholes && pool->holes[next].start < start)
        next++;
    struct va_range *before = next > 0 ? &pool->holes[next - 1] : NULL;
    struct va_range *after = next < pool->nholes ? &pool->holes[next] : NULL;
    if ((before && before->end > start) || (after && after->start < end))
        return -1;

    bool join_before = before && before->end == start;
    bool join_after = after && after->start == end;
    if (join_before && join_after) {
        before->end = after->end;
        remove_hole(pool, next);
    } else if (join_before) {
        before->end = end;
    } else if (join_after) {
        after->start = start;
    } else {
        if (pool->nholes == pool->capacity)
            return -1;              /* only if frees do not match allocations */
        memmove(&pool->holes[next + 1], &pool->holes[next], (pool->nholes - next) * sizeof(struct va_range));
        pool->holes[next] = (struct va_range){ start, end };
        pool->nholes++;
    }
    pool->nlive--;
    return 0;
}
