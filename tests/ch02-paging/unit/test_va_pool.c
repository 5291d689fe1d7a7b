/*
 * test_va_pool.c: the virtual address range pool (mm/va_pool.c) behind
 * kpage's multi-page runs.
 *
 * Covers first fit and reuse of freed ranges (the same addresses come back,
 * so a loop of alloc/free stays at the bottom of the window), merging with
 * the holes on either side until the window is whole again, refused frees
 * (double, partly free, outside the window, wrapping past 2^64, empty), the
 * cap on ranges out that keeps the hole array from overflowing, and a seeded
 * random run checked against a model that marks every unit of the window.
 * Every hole array is a heap block of exactly its capacity, and the build
 * uses -fsanitize=address,undefined, so a write past it fails.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "memlayout.h"
#include "va_pool.h"

#include "check.h"

#define BASE 0xFFFFC00000000000ull      /* the kpage window's start */

static struct va_range *make_pool(struct va_pool *pool, size_t capacity, uint64_t npages)
{
    struct va_range *holes = malloc(capacity * sizeof(*holes));
    va_pool_init(pool, holes, capacity, BASE, BASE + npages * PAGE_SIZE);
    return holes;
}

static uint64_t page(uint64_t n)
{
    return BASE + n * PAGE_SIZE;
}

/* kmalloc(8192)/kfree in a loop: 3 pages and a guard page, always at the same place. */
static void test_alloc_free_pairs_reuse_addresses(void)
{
    struct va_pool pool;
    struct va_range *holes = make_pool(&pool, 16, 1 << 20);
    uint64_t keep = va_pool_alloc(&pool, 2 * PAGE_SIZE);
    CHECK(keep == page(0));
    size_t moved = 0;
    for (int i = 0; i < 10000; i++) {
        uint64_t va = va_pool_alloc(&pool, 4 * PAGE_SIZE);
        moved += va != page(2);
        CHECK(va_pool_free(&pool, va, 4 * PAGE_SIZE) == 0);
    }
    CHECK(moved == 0);
    CHECK(pool.nholes == 1 && pool.nlive == 1);
    CHECK(pool.holes[0].start == page(2) && pool.holes[0].end == page(1 << 20));
    free(holes);
}

static void test_first_fit_and_merging(void)
{
    struct va_pool pool;
    struct va_range *holes = make_pool(&pool, 16, 100);
    uint64_t a = va_pool_alloc(&pool, 2 * PAGE_SIZE);
    uint64_t b = va_pool_alloc(&pool, 3 * PAGE_SIZE);
    uint64_t c = va_pool_alloc(&pool, 2 * PAGE_SIZE);
    uint64_t d = va_pool_alloc(&pool, 1 * PAGE_SIZE);
    CHECK(a == page(0) && b == page(2) && c == page(5) && d == page(7));
    CHECK(pool.nholes == 1 && pool.nlive == 4);

    /* A freed range is reused by a request that fits; a bigger one goes above. */
    CHECK(va_pool_free(&pool, b, 3 * PAGE_SIZE) == 0);
    CHECK(pool.nholes == 2);
    CHECK(va_pool_alloc(&pool, 4 * PAGE_SIZE) == page(8));
    CHECK(va_pool_alloc(&pool, 2 * PAGE_SIZE) == page(2));
    CHECK(va_pool_alloc(&pool, 1 * PAGE_SIZE) == page(4));
    CHECK(pool.nholes == 1);                        /* the hole was used up exactly */
    CHECK(va_pool_free(&pool, page(8), 4 * PAGE_SIZE) == 0);
    CHECK(pool.nholes == 1);                        /* merged with the top hole */

    /* Free a, c, then the two between them: the holes merge into one window. */
    CHECK(va_pool_free(&pool, a, 2 * PAGE_SIZE) == 0);
    CHECK(va_pool_free(&pool, c, 2 * PAGE_SIZE) == 0);
    CHECK(pool.nholes == 3);
    CHECK(va_pool_free(&pool, page(2), 2 * PAGE_SIZE) == 0);   /* joins a's hole */
    CHECK(pool.nholes == 3);
    CHECK(va_pool_free(&pool, page(4), 1 * PAGE_SIZE) == 0);   /* joins both sides */
    CHECK(pool.nholes == 2);
    CHECK(va_pool_free(&pool, d, 1 * PAGE_SIZE) == 0);
    CHECK(pool.nholes == 1 && pool.nlive == 0);
    CHECK(pool.holes[0].start == page(0) && pool.holes[0].end == page(100));
    CHECK(va_pool_alloc(&pool, 100 * PAGE_SIZE) == page(0));
    CHECK(va_pool_alloc(&pool, PAGE_SIZE) == 0);    /* full */
    CHECK(pool.nholes == 0);
    CHECK(va_pool_free(&pool, page(0), 100 * PAGE_SIZE) == 0);
    CHECK(pool.nholes == 1);
    free(holes);
}

static void test_bad_requests_are_refused(void)
{
    struct va_pool pool;
    struct va_range *holes = make_pool(&pool, 16, 100);
    CHECK(va_pool_alloc(&pool, 0) == 0);
    CHECK(va_pool_alloc(&pool, 101 * PAGE_SIZE) == 0);
    CHECK(va_pool_alloc(&pool, UINT64_MAX) == 0);
    CHECK(va_pool_free(&pool, page(0), PAGE_SIZE) == -1);      /* nothing is out */

    uint64_t a = va_pool_alloc(&pool, 4 * PAGE_SIZE);
    uint64_t b = va_pool_alloc(&pool, 4 * PAGE_SIZE);
    CHECK(va_pool_free(&pool, a, 4 * PAGE_SIZE) == 0);
    struct va_pool before = pool;
    CHECK(va_pool_free(&pool, a, 4 * PAGE_SIZE) == -1);        /* double free */
    CHECK(va_pool_free(&pool, a + PAGE_SIZE, PAGE_SIZE) == -1); /* inside a hole */
    CHECK(va_pool_free(&pool, b, 5 * PAGE_SIZE) == -1);        /* runs into the top hole */
    CHECK(va_pool_free(&pool, b - PAGE_SIZE, 2 * PAGE_SIZE) == -1);  /* starts in a's hole */
    CHECK(va_pool_free(&pool, b, 0) == -1);
    CHECK(va_pool_free(&pool, BASE - PAGE_SIZE, PAGE_SIZE) == -1);  /* below the window */
    CHECK(va_pool_free(&pool, page(100), PAGE_SIZE) == -1);    /* above it */
    CHECK(va_pool_free(&pool, b, UINT64_MAX) == -1);           /* wraps past 2^64 */
    CHECK(va_pool_free(&pool, UINT64_MAX - PAGE_SIZE + 1, 2 * PAGE_SIZE) == -1);
    CHECK(pool.nholes == before.nholes && pool.nlive == before.nlive);
    CHECK(pool.holes[0].start == before.holes[0].start && pool.holes[1].start == before.holes[1].start);
    CHECK(va_pool_free(&pool, b, 4 * PAGE_SIZE) == 0);
    CHECK(pool.nholes == 1 && pool.nlive == 0);
    free(holes);
}

/* capacity - 1 ranges out at most: then even the worst pattern of frees,
 * every other one, fits its holes in the array. */
static void test_capacity_bounds_the_holes(void)
{
    enum { CAP = 8 };
    struct va_pool pool;
    struct va_range *holes = make_pool(&pool, CAP, 1000);
    uint64_t got[CAP];
    for (int i = 0; i < CAP - 1; i++) {
        got[i] = va_pool_alloc(&pool, 2 * PAGE_SIZE);
        CHECK(got[i] == page(2 * (uint64_t)i));
    }
    CHECK(va_pool_alloc(&pool, 2 * PAGE_SIZE) == 0);           /* the cap, not the window */
    for (int i = 0; i < CAP - 1; i += 2)
        CHECK(va_pool_free(&pool, got[i], 2 * PAGE_SIZE) == 0);
    CHECK(pool.nholes == 4);                        /* the last one joined the top hole */
    for (int i = 1; i < CAP - 1; i += 2)
        CHECK(va_pool_free(&pool, got[i], 2 * PAGE_SIZE) == 0);
    CHECK(pool.nholes == 1 && pool.nlive == 0);
    free(holes);
}

/* xorshift64*: a small deterministic generator, so a failure can be replayed. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

/* Random allocs and frees against a model with one bool per page: every
 * alloc must return the lowest run of free pages that fits (first fit). */
static void test_random_against_model(void)
{
    enum { PAGES = 2000, CAP = 64, ROUNDS = 100000 };
    struct va_pool pool;
    struct va_range *holes = make_pool(&pool, CAP, PAGES);
    bool used[PAGES] = { false };
    struct va_range out[CAP];
    size_t nout = 0;
    int mismatches = 0;

    for (long round = 0; round < ROUNDS; round++) {
        if (rng() % 2 == 0) {
            uint64_t n = 1 + rng() % 40;
            uint64_t want = 0;          /* the model's first fit, 0 if none */
            for (uint64_t p = 0, run = 0; p < PAGES && want == 0; p++) {
                run = used[p] ? 0 : run + 1;
                if (run == n)
                    want = page(p + 1 - n);
            }
            if (nout == CAP - 1)
                want = 0;
            uint64_t got = va_pool_alloc(&pool, n * PAGE_SIZE);
            if (got != want && mismatches++ < 5)
                fprintf(stderr, "round %ld: alloc of %llu pages gave 0x%llx, want 0x%llx\n", round,
                        (unsigned long long)n, (unsigned long long)got, (unsigned long long)want);
            if (got != 0 && got == want) {
                for (uint64_t p = (got - BASE) / PAGE_SIZE; p < (got - BASE) / PAGE_SIZE + n; p++)
                    used[p] = true;
                out[nout++] = (struct va_range){ got, got + n * PAGE_SIZE };
            }
        } else if (nout > 0) {
            size_t k = (size_t)(rng() % nout);
            struct va_range r = out[k];
            out[k] = out[--nout];
            if (va_pool_free(&pool, r.start, r.end - r.start) != 0 && mismatches++ < 5)
                fprintf(stderr, "round %ld: free of a live range refused\n", round);
            for (uint64_t p = (r.start - BASE) / PAGE_SIZE; p < (r.end - BASE) / PAGE_SIZE; p++)
                used[p] = false;
            if (va_pool_free(&pool, r.start, r.end - r.start) != -1 && mismatches++ < 5)
                fprintf(stderr, "round %ld: double free accepted\n", round);
        }
        if (pool.nlive != nout || pool.nholes > nout + 1) {
            if (mismatches++ < 5)
                fprintf(stderr, "round %ld: %zu live, %zu holes; model %zu out\n", round,
                        pool.nlive, pool.nholes, nout);
        }
    }
    CHECK(mismatches == 0);
    while (nout > 0) {
        nout--;
        CHECK(va_pool_free(&pool, out[nout].start, out[nout].end - out[nout].start) == 0);
    }
    CHECK(pool.nholes == 1 && pool.holes[0].start == page(0) && pool.holes[0].end == page(PAGES));
    free(holes);
}

int main(void)
{
    test_alloc_free_pairs_reuse_addresses();
    test_first_fit_and_merging();
    test_bad_requests_are_refused();
    test_capacity_bounds_the_holes();
    test_random_against_model();
    printf("va_pool: %d failures\n", failures);
    return failures != 0;
}
