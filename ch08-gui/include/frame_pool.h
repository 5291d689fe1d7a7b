/*
 * frame_pool.h: a bitmap of physical page frames, one bit per 4 KiB frame.
 *
 * Pure bookkeeping: the pool never touches the frames themselves, so it is
 * the same code in the kernel (mm/frame.c) and in the host unit tests. A
 * frame is PAGE_SIZE bytes (memlayout.h).
 */
#ifndef CUBOS_FRAME_POOL_H
#define CUBOS_FRAME_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memlayout.h"

struct frame_pool {
    uint64_t *bitmap;       /* bit set = frame in use (or not RAM at all) */
    size_t nframes;         /* frames covered: physical [0, nframes * 4 KiB) */
    size_t nfree;
    size_t next;            /* where the next search starts (next fit) */
};

/* Bytes of bitmap needed to cover nframes frames. */
size_t frame_pool_bitmap_bytes(size_t nframes);

/* Start with every frame marked used; bitmap must hold frame_pool_bitmap_bytes(nframes). */
void frame_pool_init(struct frame_pool *pool, uint64_t *bitmap, size_t nframes);

/* Mark the frames overlapping physical [start, end) used or free. Free rounds inward,
 * used rounds outward, so a partial frame is never handed out. Out-of-range parts are ignored. */
void frame_pool_set_free(struct frame_pool *pool, uint64_t start, uint64_t end);
void frame_pool_set_used(struct frame_pool *pool, uint64_t start, uint64_t end);

/* Take one free frame and return its physical address, or 0 if none is left
 * (frame 0 is never free: callers reserve the first MiB). */
uint64_t frame_pool_alloc(struct frame_pool *pool);

/* Take count free frames in a row (physically contiguous), for a device
 * that reads one structure across them; the first one's address, or 0 if
 * no such run is free. Each frame is given back with frame_pool_free. */
uint64_t frame_pool_alloc_run(struct frame_pool *pool, size_t count);

/* Give frame addr back. Returns 0, or -1 if addr is unaligned, outside the pool
 * or already free (a double free); the pool is unchanged then. */
int frame_pool_free(struct frame_pool *pool, uint64_t addr);

bool frame_pool_is_free(const struct frame_pool *pool, uint64_t addr);

#endif
