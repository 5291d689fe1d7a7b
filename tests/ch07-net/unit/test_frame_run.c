/*
 * test_frame_run.c: runs of contiguous frames (frame_pool_alloc_run in
 * mm/frame_pool.c), what a legacy virtqueue needs.
 *
 * Covers a run found in a gap of exactly its size, smaller gaps skipped, a
 * run across a bitmap word's boundary, a request of 0 or of more frames
 * than are free, a fragmented pool with enough free frames but no run
 * (nothing taken then), and a run given back frame by frame and taken
 * again. The build uses -fsanitize=address,undefined.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame_pool.h"
#include "memlayout.h"

#include "check.h"

#define NFRAMES 200

static uint64_t bitmap[(NFRAMES + 63) / 64];

/* A pool of NFRAMES frames where exactly the frames in free_list are free. */
static void pool_with_free(struct frame_pool *pool, const size_t *free_list, size_t n)
{
    frame_pool_init(pool, bitmap, NFRAMES);
    for (size_t i = 0; i < n; i++)
        frame_pool_set_free(pool, free_list[i] * PAGE_SIZE, (free_list[i] + 1) * PAGE_SIZE);
}

static size_t frame_of(uint64_t addr)
{
    return (size_t)(addr / PAGE_SIZE);
}

static void test_exact_gap_after_smaller_ones(void)
{
    struct frame_pool pool;
    /* gaps of 1 (frame 3), 2 (10-11), then 3 (20-22) and 4 (30-33) */
    const size_t free_list[] = {3, 10, 11, 20, 21, 22, 30, 31, 32, 33};
    pool_with_free(&pool, free_list, 10);
    uint64_t run = frame_pool_alloc_run(&pool, 3);
    CHECK(frame_of(run) == 20);
    CHECK(pool.nfree == 7);
    for (size_t f = 20; f < 23; f++)
        CHECK(!frame_pool_is_free(&pool, f * PAGE_SIZE));
    CHECK(frame_pool_is_free(&pool, 30 * PAGE_SIZE));
    CHECK(frame_of(frame_pool_alloc_run(&pool, 4)) == 30);
    CHECK(frame_pool_alloc_run(&pool, 3) == 0);        /* gaps of 1 and 2 left */
    CHECK(pool.nfree == 3);
}

static void test_run_across_a_word(void)
{
    struct frame_pool pool;
    const size_t free_list[] = {62, 63, 64, 65, 66};
    pool_with_free(&pool, free_list, 5);
    CHECK(frame_of(frame_pool_alloc_run(&pool, 5)) == 62);
    CHECK(pool.nfree == 0);
}

static void test_bad_counts_take_nothing(void)
{
    struct frame_pool pool;
    const size_t free_list[] = {5, 6, 7};
    pool_with_free(&pool, free_list, 3);
    CHECK(frame_pool_alloc_run(&pool, 0) == 0);
    CHECK(frame_pool_alloc_run(&pool, 4) == 0);
    CHECK(pool.nfree == 3);
}

static void test_fragmented_pool_has_no_run(void)
{
    struct frame_pool pool;
    size_t free_list[NFRAMES / 2];
    size_t n = 0;
    for (size_t f = 1; f < NFRAMES; f += 2)         /* every other frame */
        free_list[n++] = f;
    pool_with_free(&pool, free_list, n);
    uint64_t before[sizeof bitmap / sizeof bitmap[0]];
    memcpy(before, bitmap, sizeof bitmap);
    CHECK(frame_pool_alloc_run(&pool, 2) == 0);
    CHECK(memcmp(before, bitmap, sizeof bitmap) == 0);
    CHECK(pool.nfree == n);
    CHECK(frame_pool_alloc_run(&pool, 1) != 0);     /* a run of one is any frame */
}

static void test_freed_run_is_taken_again(void)
{
    struct frame_pool pool;
    size_t free_list[NFRAMES - 1];
    for (size_t f = 1; f < NFRAMES; f++)
        free_list[f - 1] = f;
    pool_with_free(&pool, free_list, NFRAMES - 1);
    uint64_t a = frame_pool_alloc_run(&pool, 3);
    uint64_t b = frame_pool_alloc_run(&pool, 3);
    CHECK(frame_of(a) == 1 && frame_of(b) == 4);
    for (size_t i = 0; i < 3; i++)
        CHECK(frame_pool_free(&pool, a + i * PAGE_SIZE) == 0);
    CHECK(frame_pool_alloc_run(&pool, 3) == a);
    CHECK(frame_pool_alloc_run(&pool, NFRAMES) == 0);
    CHECK(frame_of(frame_pool_alloc_run(&pool, NFRAMES - 7)) == 7);
    CHECK(pool.nfree == 0);
}

int main(void)
{
    test_exact_gap_after_smaller_ones();
    test_run_across_a_word();
    test_bad_counts_take_nothing();
    test_fragmented_pool_has_no_run();
    test_freed_run_is_taken_again();
    printf("frame_run: %d failures\n", failures);
    return failures != 0;
}
