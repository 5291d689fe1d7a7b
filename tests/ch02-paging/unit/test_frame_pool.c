/*
 * test_frame_pool.c: the physical frame bitmap (mm/frame_pool.c).
 *
 * Covers the bitmap size, the all-used start, the rounding of free (inward)
 * and used (outward) ranges and the clipping of ranges past the pool, a
 * realistic BIOS-style memory map with reserved ranges, allocating every
 * free frame exactly once, frees (good, double, unaligned, out of range),
 * next-fit wrap-around, pools whose size is not a multiple of 64 frames,
 * and a seeded random run of allocs, frees and range updates checked
 * against a plain bool-array model.
 * Every bitmap is a heap block of exactly frame_pool_bitmap_bytes(), and
 * the build uses -fsanitize=address,undefined, so any access past it fails.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame_pool.h"
#include "memlayout.h"

#include "check.h"

#define KiB 1024ull
#define MiB (1024ull * KiB)
#define GiB (1024ull * MiB)

/* A pool over nframes frames whose bitmap is a heap block of exactly the right size,
 * filled with zeros ("all free") first so frame_pool_init must really mark it used. */
static void make_pool(struct frame_pool *pool, size_t nframes)
{
    size_t bytes = frame_pool_bitmap_bytes(nframes);
    uint64_t *bitmap = malloc(bytes ? bytes : 1);
    if (bitmap == NULL) {
        perror("malloc");
        exit(2);
    }
    memset(bitmap, 0, bytes);
    frame_pool_init(pool, bitmap, nframes);
}

static void drop_pool(struct frame_pool *pool)
{
    free(pool->bitmap);
    pool->bitmap = NULL;
}

static uint64_t addr_of(size_t frame)
{
    return (uint64_t)frame * PAGE_SIZE;
}

/* How many frames in [0, nframes) is_free reports free: must always equal nfree. */
static size_t count_free(const struct frame_pool *pool)
{
    size_t n = 0;
    for (size_t f = 0; f < pool->nframes; f++)
        n += frame_pool_is_free(pool, addr_of(f));
    return n;
}

static void test_bitmap_bytes(void)
{
    CHECK(frame_pool_bitmap_bytes(0) == 0);
    CHECK(frame_pool_bitmap_bytes(1) == 8);
    CHECK(frame_pool_bitmap_bytes(63) == 8);
    CHECK(frame_pool_bitmap_bytes(64) == 8);
    CHECK(frame_pool_bitmap_bytes(65) == 16);
    CHECK(frame_pool_bitmap_bytes(128) == 16);
    CHECK(frame_pool_bitmap_bytes(129) == 24);
    CHECK(frame_pool_bitmap_bytes(1u << 20) == 128 * KiB);     /* 4 GiB of frames: 128 KiB */
    CHECK(frame_pool_bitmap_bytes((1u << 20) + 1) == 128 * KiB + 8);
}

static void test_init_all_used(void)
{
    size_t sizes[] = { 1, 63, 64, 65, 200, 4096 };
    for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
        struct frame_pool pool;
        make_pool(&pool, sizes[i]);
        CHECK(pool.nframes == sizes[i]);
        CHECK(pool.nfree == 0);
        CHECK(count_free(&pool) == 0);
        CHECK(frame_pool_alloc(&pool) == 0);
        CHECK(frame_pool_alloc(&pool) == 0);
        CHECK(pool.nfree == 0);
        /* Every frame is "in use", but none was ever handed out: freeing frame 1
         * is accepted (the pool cannot tell), so only check the out-of-range ones. */
        CHECK(frame_pool_free(&pool, addr_of(sizes[i])) == -1);
        CHECK(pool.nfree == 0);
        drop_pool(&pool);
    }
}

static void test_rounding(void)
{
    struct frame_pool pool;
    make_pool(&pool, 64);

    /* Free rounds inward: [0x1001, 0x4fff) holds only frames 2 and 3 entirely. */
    frame_pool_set_free(&pool, 0x1001, 0x4fff);
    CHECK(pool.nfree == 2);
    CHECK(!frame_pool_is_free(&pool, 0x1000));
    CHECK(frame_pool_is_free(&pool, 0x2000));
    CHECK(frame_pool_is_free(&pool, 0x3000));
    CHECK(frame_pool_is_free(&pool, 0x3fff));    /* any address inside a free frame */
    CHECK(!frame_pool_is_free(&pool, 0x4000));

    /* Ranges that cover no whole frame free nothing. */
    frame_pool_set_free(&pool, 0x5000, 0x5fff);
    frame_pool_set_free(&pool, 0x6800, 0x7800);
    frame_pool_set_free(&pool, 0x8000, 0x8000);
    frame_pool_set_free(&pool, 0x9000, 0x8000);  /* end before start */
    CHECK(pool.nfree == 2);
    CHECK(count_free(&pool) == 2);

    /* Freeing what is free already does not count twice. */
    frame_pool_set_free(&pool, 0x2000, 0x4000);
    CHECK(pool.nfree == 2);

    /* Exact frame boundaries. */
    frame_pool_set_free(&pool, 0x10000, 0x12000);
    CHECK(pool.nfree == 4);
    CHECK(frame_pool_is_free(&pool, 0x10000) && frame_pool_is_free(&pool, 0x11000));
    CHECK(!frame_pool_is_free(&pool, 0x12000) && !frame_pool_is_free(&pool, 0xf000));

    /* Used rounds outward: [0x20001, 0x21fff) touches frames 0x20 and 0x21. */
    frame_pool_set_free(&pool, 0, 64 * PAGE_SIZE);
    CHECK(pool.nfree == 64);
    frame_pool_set_used(&pool, 0x20001, 0x21fff);
    CHECK(pool.nfree == 62);
    CHECK(!frame_pool_is_free(&pool, 0x20000));
    CHECK(!frame_pool_is_free(&pool, 0x21000));
    CHECK(frame_pool_is_free(&pool, 0x1f000));
    CHECK(frame_pool_is_free(&pool, 0x22000));

    /* A two-byte range across a frame boundary takes both frames. */
    frame_pool_set_used(&pool, 0x8fff, 0x9001);
    CHECK(pool.nfree == 60);
    CHECK(!frame_pool_is_free(&pool, 0x8000) && !frame_pool_is_free(&pool, 0x9000));
    CHECK(frame_pool_is_free(&pool, 0x7000) && frame_pool_is_free(&pool, 0xa000));

    /* One byte takes its frame. */
    frame_pool_set_used(&pool, 0x30800, 0x30801);
    CHECK(pool.nfree == 59);
    CHECK(!frame_pool_is_free(&pool, 0x30000));

    /* An empty aligned range and a reversed one take nothing. */
    frame_pool_set_used(&pool, 0x3000, 0x3000);
    frame_pool_set_used(&pool, 0x5000, 0x4000);
    CHECK(pool.nfree == 59);
    CHECK(frame_pool_is_free(&pool, 0x3000) && frame_pool_is_free(&pool, 0x4000));

    /* Marking used what is used already does not count twice. */
    frame_pool_set_used(&pool, 0x20000, 0x22000);
    CHECK(pool.nfree == 59);
    CHECK(count_free(&pool) == 59);

    /* Free, then used, of the same unaligned range: the partial frames never were free. */
    frame_pool_set_used(&pool, 0, 64 * PAGE_SIZE);
    CHECK(pool.nfree == 0);
    frame_pool_set_free(&pool, 0x1800, 0x6800);     /* frames 2..5 */
    CHECK(pool.nfree == 4);
    frame_pool_set_used(&pool, 0x1800, 0x6800);     /* frames 1..6 */
    CHECK(pool.nfree == 0);
    drop_pool(&pool);
}

static void test_out_of_range(void)
{
    struct frame_pool pool;
    make_pool(&pool, 100);          /* not a multiple of 64: the last word is partial */

    frame_pool_set_free(&pool, 200 * PAGE_SIZE, 300 * PAGE_SIZE);
    CHECK(pool.nfree == 0);
    frame_pool_set_free(&pool, 100 * PAGE_SIZE, 128 * PAGE_SIZE);   /* rest of the last word */
    CHECK(pool.nfree == 0);
    CHECK(frame_pool_alloc(&pool) == 0);

    frame_pool_set_free(&pool, 90 * PAGE_SIZE, 1ull << 40);          /* clipped to [90, 100) */
    CHECK(pool.nfree == 10);
    CHECK(count_free(&pool) == 10);
    CHECK(!frame_pool_is_free(&pool, 100 * PAGE_SIZE));
    CHECK(!frame_pool_is_free(&pool, 127 * PAGE_SIZE));
    CHECK(!frame_pool_is_free(&pool, 1ull << 40));

    frame_pool_set_free(&pool, 0, 1ull << 40);
    CHECK(pool.nfree == 100);
    frame_pool_set_used(&pool, 200 * PAGE_SIZE, 300 * PAGE_SIZE);
    CHECK(pool.nfree == 100);
    frame_pool_set_used(&pool, 95 * PAGE_SIZE + 1, 1ull << 40);      /* clipped to [95, 100) */
    CHECK(pool.nfree == 95);
    CHECK(frame_pool_is_free(&pool, 94 * PAGE_SIZE));
    CHECK(!frame_pool_is_free(&pool, 95 * PAGE_SIZE));

    /* Nothing past the pool is ever handed out. */
    frame_pool_set_used(&pool, 0, PAGE_SIZE);
    size_t n = 0;
    for (uint64_t a; (a = frame_pool_alloc(&pool)) != 0; n++)
        CHECK(a >= PAGE_SIZE && a < 95 * PAGE_SIZE && a % PAGE_SIZE == 0);
    CHECK(n == 94);
    CHECK(pool.nfree == 0);
    drop_pool(&pool);
}

/* Ranges at the very top of the 64-bit physical space: the rounding must not
 * wrap around and turn "nothing in the pool" into "the whole pool". */
static void test_top_of_address_space(void)
{
    struct frame_pool pool;

    /* Not even a whole frame, and far outside the pool: frees nothing. */
    make_pool(&pool, 100);
    frame_pool_set_free(&pool, UINT64_MAX - 0x800, UINT64_MAX);
    CHECK(pool.nfree == 0);
    CHECK(!frame_pool_is_free(&pool, 0));
    drop_pool(&pool);

    make_pool(&pool, 100);
    frame_pool_set_free(&pool, UINT64_MAX - PAGE_SIZE + 2, UINT64_MAX);
    CHECK(pool.nfree == 0);
    drop_pool(&pool);

    /* [0, UINT64_MAX) overlaps every frame of the pool: marks them all used. */
    make_pool(&pool, 100);
    frame_pool_set_free(&pool, 0, 100 * PAGE_SIZE);
    CHECK(pool.nfree == 100);
    frame_pool_set_used(&pool, 0, UINT64_MAX);
    CHECK(pool.nfree == 0);
    CHECK(count_free(&pool) == pool.nfree);
    drop_pool(&pool);

    make_pool(&pool, 100);
    frame_pool_set_free(&pool, 0, 100 * PAGE_SIZE);
    frame_pool_set_used(&pool, 50 * PAGE_SIZE, UINT64_MAX - 1);
    CHECK(pool.nfree == 50);
    CHECK(count_free(&pool) == pool.nfree);
    drop_pool(&pool);
}

/* A PC-like machine with 5 GiB of address space covered: low RAM below the
 * EBDA, RAM from 1 MiB to 128 MiB, a hole up to 4 GiB, and 1 GiB above it. */
struct range {
    uint64_t start, end;
};

static const struct range usable[] = {
    { 0, 0x9fc00 },
    { 1 * MiB, 128 * MiB },
    { 4 * GiB, 5 * GiB },
};

static const struct range reserved[] = {
    { 0, 1 * MiB },                     /* real-mode area, BIOS, VGA */
    { 0x100000, 0x234567 },             /* the kernel image, unaligned end */
    { 0x200000, 0x201000 },             /* a boot module inside the kernel range */
    { 0x300800, 0x301800 },             /* a module straddling two frames */
    { 0x400000, 0x428000 },             /* the bitmap itself (160 KiB) */
};

#define MAP_FRAMES ((size_t)(5 * GiB / PAGE_SIZE))

static bool expect_free(size_t frame)
{
    uint64_t a = addr_of(frame), e = a + PAGE_SIZE;
    bool in_ram = false;
    for (size_t i = 0; i < sizeof(usable) / sizeof(*usable); i++)
        in_ram |= a >= usable[i].start && e <= usable[i].end;
    for (size_t i = 0; i < sizeof(reserved) / sizeof(*reserved); i++) {
        if (a < reserved[i].end && e > reserved[i].start)
            return false;
    }
    return in_ram;
}

static void load_map(struct frame_pool *pool)
{
    make_pool(pool, MAP_FRAMES);
    for (size_t i = 0; i < sizeof(usable) / sizeof(*usable); i++)
        frame_pool_set_free(pool, usable[i].start, usable[i].end);
    for (size_t i = 0; i < sizeof(reserved) / sizeof(*reserved); i++)
        frame_pool_set_used(pool, reserved[i].start, reserved[i].end);
}

static void test_realistic_map(void)
{
    CHECK(frame_pool_bitmap_bytes(MAP_FRAMES) == 160 * KiB);

    struct frame_pool pool;
    make_pool(&pool, MAP_FRAMES);
    for (size_t i = 0; i < sizeof(usable) / sizeof(*usable); i++)
        frame_pool_set_free(&pool, usable[i].start, usable[i].end);
    /* 159 frames below 0x9fc00 (the last partial one not), 32512 in [1 MiB, 128 MiB),
     * 262144 in [4 GiB, 5 GiB). */
    const size_t usable_frames = 159 + 32512 + 262144;
    CHECK(pool.nfree == usable_frames);
    for (size_t i = 0; i < sizeof(reserved) / sizeof(*reserved); i++)
        frame_pool_set_used(&pool, reserved[i].start, reserved[i].end);
    /* Minus the 159 low frames, the kernel's frames 0x100..0x234 (309), the
     * straddling module's 2 and the bitmap's 40; the nested module adds nothing. */
    const size_t expected = usable_frames - 159 - 309 - 2 - 40;
    CHECK(expected == 294305);
    CHECK(pool.nfree == expected);

    size_t model = 0;
    for (size_t f = 0; f < MAP_FRAMES; f++)
        model += expect_free(f);
    CHECK(model == expected);
    CHECK(count_free(&pool) == expected);
    for (size_t f = 0; f < MAP_FRAMES; f += 97)      /* spot checks all over the map */
        CHECK(frame_pool_is_free(&pool, addr_of(f)) == expect_free(f));
    CHECK(!frame_pool_is_free(&pool, 0x9f000));       /* reserved: the first MiB */
    CHECK(!frame_pool_is_free(&pool, 0x234000));      /* last kernel frame, partly used */
    CHECK(frame_pool_is_free(&pool, 0x235000));
    CHECK(!frame_pool_is_free(&pool, 128 * MiB));     /* the hole */
    CHECK(!frame_pool_is_free(&pool, 4 * GiB - PAGE_SIZE));
    CHECK(frame_pool_is_free(&pool, 4 * GiB));
    CHECK(frame_pool_is_free(&pool, 5 * GiB - PAGE_SIZE));
    CHECK(!frame_pool_is_free(&pool, 5 * GiB));

    /* Allocate everything: each free frame exactly once, nothing else, never frame 0. */
    bool *seen = calloc(MAP_FRAMES, sizeof(bool));
    uint64_t *got = malloc(expected * sizeof(uint64_t));
    size_t n = 0, bad = 0, dup = 0, still_free = 0;
    for (uint64_t a; (a = frame_pool_alloc(&pool)) != 0;) {
        size_t f = (size_t)(a / PAGE_SIZE);
        if (a % PAGE_SIZE != 0 || f >= MAP_FRAMES || !expect_free(f)) {
            bad++;
            if (bad <= 5)
                fprintf(stderr, "frame_pool_alloc returned 0x%llx, not a free frame\n", (unsigned long long)a);
        } else if (seen[f]) {
            dup++;
        } else {
            seen[f] = true;
        }
        still_free += frame_pool_is_free(&pool, a);
        if (n < expected)
            got[n] = a;
        if (++n > expected + 10)
            break;          /* would not terminate otherwise */
    }
    CHECK(bad == 0);
    CHECK(dup == 0);
    CHECK(still_free == 0);
    CHECK(n == expected);
    CHECK(pool.nfree == 0);
    CHECK(frame_pool_alloc(&pool) == 0);
    CHECK(count_free(&pool) == 0);
    CHECK(!seen[0]);
    size_t missed = 0;
    for (size_t f = 0; f < MAP_FRAMES; f++)
        missed += expect_free(f) && !seen[f];
    CHECK(missed == 0);

    /* Free them all (in allocation order) and the pool is back where it started. */
    size_t free_errors = 0;
    for (size_t i = 0; i < n && i < expected; i++)
        free_errors += frame_pool_free(&pool, got[i]) != 0;
    CHECK(free_errors == 0);
    CHECK(pool.nfree == expected);
    for (size_t f = 0; f < MAP_FRAMES; f += 97)
        CHECK(frame_pool_is_free(&pool, addr_of(f)) == expect_free(f));

    /* Bad frees are refused and change nothing. */
    uint64_t a = frame_pool_alloc(&pool);
    CHECK(a != 0);
    CHECK(pool.nfree == expected - 1);
    CHECK(frame_pool_free(&pool, a + 1) == -1);                 /* unaligned */
    CHECK(frame_pool_free(&pool, a + PAGE_SIZE / 2) == -1);
    CHECK(frame_pool_free(&pool, a + PAGE_SIZE - 1) == -1);
    CHECK(pool.nfree == expected - 1);
    CHECK(!frame_pool_is_free(&pool, a));
    CHECK(frame_pool_free(&pool, a) == 0);
    CHECK(pool.nfree == expected);
    CHECK(frame_pool_free(&pool, a) == -1);                     /* double free */
    CHECK(pool.nfree == expected);
    CHECK(frame_pool_free(&pool, 0x235000) == -1);              /* free, never allocated */
    CHECK(frame_pool_free(&pool, 5 * GiB) == -1);               /* first frame past the pool */
    CHECK(frame_pool_free(&pool, 64 * GiB) == -1);
    CHECK(frame_pool_free(&pool, UINT64_MAX & ~(PAGE_SIZE - 1)) == -1);
    CHECK(frame_pool_free(&pool, UINT64_MAX) == -1);
    CHECK(pool.nfree == expected);
    CHECK(count_free(&pool) == expected);
    CHECK(!frame_pool_is_free(&pool, 5 * GiB));
    CHECK(!frame_pool_is_free(&pool, UINT64_MAX));

    free(got);
    free(seen);
    drop_pool(&pool);

    /* Building the same map twice gives the same pool (nothing depends on history). */
    struct frame_pool again;
    load_map(&again);
    CHECK(again.nfree == expected);
    drop_pool(&again);
}

/* The search resumes after the last frame handed out, and wraps to find a
 * frame freed behind it. */
static void test_next_fit_wraps(void)
{
    struct frame_pool pool;
    make_pool(&pool, 256);
    frame_pool_set_free(&pool, PAGE_SIZE, 256 * PAGE_SIZE);   /* all but frame 0 */
    CHECK(pool.nfree == 255);

    for (size_t f = 1; f <= 200; f++)
        CHECK(frame_pool_alloc(&pool) == addr_of(f));
    CHECK(frame_pool_free(&pool, addr_of(5)) == 0);
    CHECK(frame_pool_is_free(&pool, addr_of(5)));

    /* Next fit: the 55 frames after the hint come first, then frame 5. */
    bool seen[256] = { false };
    size_t ahead = 0;
    for (size_t i = 0; i < 55; i++) {
        uint64_t a = frame_pool_alloc(&pool);
        size_t f = (size_t)(a / PAGE_SIZE);
        if (a % PAGE_SIZE == 0 && f >= 201 && f <= 255 && !seen[f]) {
            seen[f] = true;
            ahead++;
        }
    }
    CHECK(ahead == 55);
    CHECK(frame_pool_alloc(&pool) == addr_of(5));
    CHECK(pool.nfree == 0);
    CHECK(frame_pool_alloc(&pool) == 0);

    /* The hint sits past the end of the pool now: a low frame is still found, twice over. */
    CHECK(frame_pool_free(&pool, addr_of(255)) == 0);
    CHECK(frame_pool_alloc(&pool) == addr_of(255));
    CHECK(frame_pool_free(&pool, addr_of(1)) == 0);
    CHECK(frame_pool_alloc(&pool) == addr_of(1));
    CHECK(frame_pool_free(&pool, addr_of(64)) == 0);
    CHECK(frame_pool_free(&pool, addr_of(130)) == 0);
    uint64_t x = frame_pool_alloc(&pool), y = frame_pool_alloc(&pool);
    CHECK((x == addr_of(64) && y == addr_of(130)) || (x == addr_of(130) && y == addr_of(64)));
    CHECK(frame_pool_alloc(&pool) == 0);
    drop_pool(&pool);
}

/* Pools whose last bitmap word is partial never hand out the bits past nframes. */
static void test_partial_last_word(void)
{
    size_t sizes[] = { 1, 2, 63, 65, 100, 127, 129, 1000 };
    for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
        size_t nf = sizes[i];
        struct frame_pool pool;
        make_pool(&pool, nf);
        frame_pool_set_free(&pool, 0, 1ull << 32);
        CHECK(pool.nfree == nf);
        frame_pool_set_used(&pool, 0, PAGE_SIZE);          /* frame 0 is never free */
        CHECK(pool.nfree == nf - 1);

        bool *seen = calloc(nf, sizeof(bool));
        size_t n = 0, bad = 0;
        for (uint64_t a; (a = frame_pool_alloc(&pool)) != 0 && n < nf + 10; n++) {
            size_t f = (size_t)(a / PAGE_SIZE);
            if (a % PAGE_SIZE != 0 || f == 0 || f >= nf || seen[f])
                bad++;
            else
                seen[f] = true;
        }
        CHECK(bad == 0);
        CHECK(n == nf - 1);
        CHECK(frame_pool_alloc(&pool) == 0);

        /* Free the last frame: the hint wraps to 0 after handing it out again. */
        if (nf > 1) {
            CHECK(frame_pool_free(&pool, addr_of(nf - 1)) == 0);
            CHECK(frame_pool_alloc(&pool) == addr_of(nf - 1));
            CHECK(frame_pool_alloc(&pool) == 0);
        }
        if (nf > 3) {
            CHECK(frame_pool_free(&pool, addr_of(nf / 2)) == 0);
            CHECK(frame_pool_alloc(&pool) == addr_of(nf / 2));
        }
        CHECK(frame_pool_free(&pool, addr_of(nf)) == -1);
        CHECK(frame_pool_free(&pool, addr_of((nf + 63) / 64 * 64 - 1)) == -1);  /* last bit of the last word */
        CHECK(pool.nfree == 0);
        free(seen);
        drop_pool(&pool);
    }
}

/* xorshift64*: a small deterministic generator, so a failure can be replayed. */
static uint64_t rng_state;

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

static uint64_t rng_below(uint64_t n)
{
    return rng() % n;
}

/* Random allocs, frees, bad frees and range updates against a bool array. */
static void test_random_against_model(void)
{
    const size_t nf = 1000;     /* 15 full words and a partial one */
    rng_state = 0x9E3779B97F4A7C15ull;

    struct frame_pool pool;
    make_pool(&pool, nf);
    bool *free_model = calloc(nf, sizeof(bool));
    size_t *allocated = malloc(nf * sizeof(size_t));    /* frames handed out, unordered */
    size_t nallocated = 0;
    size_t model_free = 0;
    int mismatches = 0;

    for (size_t i = 0; i < 20; i++) {
        /* Unaligned usable ranges, some reaching past the pool; frame 0 stays reserved. */
        uint64_t start = PAGE_SIZE + rng_below((nf + 50) * PAGE_SIZE);
        uint64_t end = start + rng_below(80 * PAGE_SIZE);
        frame_pool_set_free(&pool, start, end);
        for (uint64_t f = (start + PAGE_SIZE - 1) / PAGE_SIZE; f < end / PAGE_SIZE && f < nf; f++) {
            if (!free_model[f]) {
                free_model[f] = true;
                model_free++;
            }
        }
    }
    CHECK(pool.nfree == model_free);

    for (long round = 0; round < 200000; round++) {
        uint64_t r = rng_below(100);
        if (r < 45) {
            uint64_t a = frame_pool_alloc(&pool);
            if (model_free == 0) {
                if (a != 0 && mismatches++ < 5)
                    fprintf(stderr, "round %ld: alloc from an empty pool gave 0x%llx\n", round,
                            (unsigned long long)a);
            } else {
                size_t f = (size_t)(a / PAGE_SIZE);
                if (a == 0 || a % PAGE_SIZE != 0 || f >= nf || !free_model[f]) {
                    if (mismatches++ < 5)
                        fprintf(stderr, "round %ld: alloc gave 0x%llx, not a free frame\n", round,
                                (unsigned long long)a);
                } else {
                    free_model[f] = false;
                    model_free--;
                    allocated[nallocated++] = f;
                }
            }
        } else if (r < 85) {
            if (nallocated == 0)
                continue;
            size_t k = (size_t)rng_below(nallocated);
            size_t f = allocated[k];
            allocated[k] = allocated[--nallocated];
            if (frame_pool_free(&pool, addr_of(f)) != 0 && mismatches++ < 5)
                fprintf(stderr, "round %ld: free of allocated frame %zu refused\n", round, f);
            free_model[f] = true;
            model_free++;
        } else if (r < 95) {
            /* A bad free: a free frame (double free), an unaligned address or one past the pool. */
            uint64_t a;
            switch (rng_below(3)) {
            case 0:
                a = addr_of((size_t)rng_below(nf));
                if (!free_model[a / PAGE_SIZE])
                    continue;       /* in use: that free would be legitimate */
                break;
            case 1:
                a = addr_of((size_t)rng_below(nf)) + 1 + rng_below(PAGE_SIZE - 1);
                break;
            default:
                a = addr_of(nf + (size_t)rng_below(100000));
                break;
            }
            if (frame_pool_free(&pool, a) != -1 && mismatches++ < 5)
                fprintf(stderr, "round %ld: bad free of 0x%llx accepted\n", round, (unsigned long long)a);
        } else if (r < 98) {
            /* Reserve a small unaligned range (outward); forget those frames as allocations. */
            uint64_t start = rng_below((nf + 10) * PAGE_SIZE);
            uint64_t end = start + rng_below(6 * PAGE_SIZE);
            frame_pool_set_used(&pool, start, end);
            for (uint64_t f = start / PAGE_SIZE; f < (end + PAGE_SIZE - 1) / PAGE_SIZE && f < nf; f++) {
                if (free_model[f]) {
                    free_model[f] = false;
                    model_free--;
                }
            }
        } else {
            /* Release a small unaligned range (inward), never frame 0 and never an allocated frame. */
            uint64_t start = PAGE_SIZE + rng_below((nf + 10) * PAGE_SIZE);
            uint64_t end = start + rng_below(6 * PAGE_SIZE);
            bool touches_allocated = false;
            for (size_t k = 0; k < nallocated; k++) {
                uint64_t a = addr_of(allocated[k]);
                touches_allocated |= a >= start && a + PAGE_SIZE <= end;
            }
            if (touches_allocated)
                continue;
            frame_pool_set_free(&pool, start, end);
            for (uint64_t f = (start + PAGE_SIZE - 1) / PAGE_SIZE; f < end / PAGE_SIZE && f < nf; f++) {
                if (!free_model[f]) {
                    free_model[f] = true;
                    model_free++;
                }
            }
        }

        if (pool.nfree != model_free) {
            if (mismatches++ < 5)
                fprintf(stderr, "round %ld: nfree %zu, model %zu\n", round, pool.nfree, model_free);
            model_free = pool.nfree;        /* report once, not every round after */
        }
        if (round % 1000 == 0) {
            for (size_t f = 0; f < nf; f++) {
                if (frame_pool_is_free(&pool, addr_of(f)) != free_model[f] && mismatches++ < 5)
                    fprintf(stderr, "round %ld: frame %zu is_free %d, model %d\n", round, f,
                            frame_pool_is_free(&pool, addr_of(f)), free_model[f]);
            }
        }
    }
    CHECK(mismatches == 0);

    /* Drain the pool: exactly the model's free frames come out. */
    size_t drained = 0, wrong = 0;
    for (uint64_t a; (a = frame_pool_alloc(&pool)) != 0 && drained <= nf; drained++) {
        size_t f = (size_t)(a / PAGE_SIZE);
        if (f >= nf || !free_model[f])
            wrong++;
        else
            free_model[f] = false;
    }
    CHECK(wrong == 0);
    CHECK(drained == model_free);
    CHECK(pool.nfree == 0);

    free(allocated);
    free(free_model);
    drop_pool(&pool);
}

int main(void)
{
    test_bitmap_bytes();
    test_init_all_used();
    test_rounding();
    test_out_of_range();
    test_top_of_address_space();
    test_realistic_map();
    test_next_fit_wraps();
    test_partial_last_word();
    test_random_against_model();
    printf("frame_pool: %d failures\n", failures);
    return failures != 0;
}
