/*
 * frame_pool.c: the physical frame bitmap.
 *
 * A bitmap costs one bit per frame (32 KiB per GiB of RAM), is built without
 * touching the frames, and can answer "is this frame free?" which a double
 * free check needs. Allocation is next fit: the search resumes where the
 * last one stopped and skips 64 used frames at a time, so a pool that is
 * mostly used stays cheap. The book's ch02 page compares it with a free
 * list and a buddy allocator.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frame_pool.h"
#include "memlayout.h"

#define BITS_PER_WORD 64
#define ALL_USED UINT64_MAX

static bool test_bit(const struct frame_pool *pool, size_t frame)
{
    return pool->bitmap[frame / BITS_PER_WORD] & (1ull << (frame % BITS_PER_WORD));
}

static void set_bit(struct frame_pool *pool, size_t frame)
{
    pool->bitmap[frame / BITS_PER_WORD] |= 1ull << (frame % BITS_PER_WORD);
}

static void clear_bit(struct frame_pool *pool, size_t frame)
{
    pool->bitmap[frame / BITS_PER_WORD] &= ~(1ull << (frame % BITS_PER_WORD));
}

size_t frame_pool_bitmap_bytes(size_t nframes)
{
    return (nframes + BITS_PER_WORD - 1) / BITS_PER_WORD * sizeof(uint64_t);
}

void frame_pool_init(struct frame_pool *pool, uint64_t *bitmap, size_t nframes)
{
    pool->bitmap = bitmap;
    pool->nframes = nframes;
    pool->nfree = 0;
    pool->next = 0;
    for (size_t i = 0; i < frame_pool_bitmap_bytes(nframes) / sizeof(uint64_t); i++)
        bitmap[i] = ALL_USED;
}

void frame_pool_set_free(struct frame_pool *pool, uint64_t start, uint64_t end)
{
    /* Round without adding, so a range near 2^64 cannot wrap around. */
    size_t first = (start >> PAGE_SHIFT) + (start % PAGE_SIZE != 0);
    size_t last = end >> PAGE_SHIFT;           /* exclusive */
    if (last > pool->nframes)
        last = pool->nframes;
    for (size_t f = first; f < last; f++) {
        if (test_bit(pool, f)) {
            clear_bit(pool, f);
            pool->nfree++;
        }
    }
}

void frame_pool_set_used(struct frame_pool *pool, uint64_t start, uint64_t end)
{
    size_t first = start >> PAGE_SHIFT;
    size_t last = (end >> PAGE_SHIFT) + (end % PAGE_SIZE != 0);
    if (last > pool->nframes)
        last = pool->nframes;
    for (size_t f = first; f < last; f++) {
        if (!test_bit(pool, f)) {
            set_bit(pool, f);
            pool->nfree--;
        }
    }
}

uint64_t frame_pool_alloc(struct frame_pool *pool)
{
    /* LAB(frame-alloc): find a free frame in the bitmap, next fit: start at
     * pool->next, skip words with every frame used, and wrap around once;
     * mark it used, count it, move pool->next past it and return its
     * physical address, or 0 when no frame is free. */
    /* LAB-STUB: (void)pool; */
    /* LAB-STUB: return 0; */
    if (pool->nfree == 0)
        return 0;
    size_t nwords = frame_pool_bitmap_bytes(pool->nframes) / sizeof(uint64_t);
    size_t word = pool->next / BITS_PER_WORD;
    /* nfree > 0 guarantees a clear bit; at most one full lap finds it. */
    for (size_t scanned = 0; scanned <= nwords; scanned++, word = (word + 1) % nwords) {
        uint64_t used = pool->bitmap[word];
        if (used == ALL_USED)
            continue;
        size_t frame = word * BITS_PER_WORD + (size_t)__builtin_ctzll(~used);
        if (frame >= pool->nframes)
            continue;
        set_bit(pool, frame);
        pool->nfree--;
        pool->next = frame + 1 < pool->nframes ? frame + 1 : 0;
        return (uint64_t)frame << PAGE_SHIFT;
    }
    return 0;
    /* END LAB(frame-alloc) */
}

uint64_t frame_pool_alloc_run(struct frame_pool *pool, size_t count)
{
    /* First fit from the bottom, a frame at a time: only a driver's set-up
     * asks for a run (ch07: a legacy virtqueue), so simple beats fast. */
    if (count == 0 || count > pool->nfree)
        return 0;
    size_t run = 0;
    for (size_t f = 0; f < pool->nframes; f++) {
        run = test_bit(pool, f) ? 0 : run + 1;
        if (run < count)
            continue;
        size_t first = f + 1 - count;
        for (size_t g = first; g <= f; g++)
            set_bit(pool, g);
        pool->nfree -= count;
        return (uint64_t)first << PAGE_SHIFT;
    }
    return 0;
}

int frame_pool_free(struct frame_pool *pool, uint64_t addr)
{
    size_t frame = addr >> PAGE_SHIFT;
    if (addr % PAGE_SIZE != 0 || frame >= pool->nframes || !test_bit(pool, frame))
        return -1;
    clear_bit(pool, frame);
    pool->nfree++;
    return 0;
}

bool frame_pool_is_free(const struct frame_pool *pool, uint64_t addr)
{
    size_t frame = addr >> PAGE_SHIFT;
    return frame < pool->nframes && !test_bit(pool, frame);
}
