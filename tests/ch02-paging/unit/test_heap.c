/*
 * test_heap.c: the kernel heap (mm/heap.c): kmalloc, kfree, krealloc.
 *
 * The heap's page source is replaced by a host one: kpage_alloc hands out
 * zeroed, page-aligned blocks from aligned_alloc and remembers them, so
 * kpage_readable can answer like the kernel's page tables do (a freed run
 * is unreadable, as unmapped memory would be), and kprintf prints and
 * counts the heap's reports. Since every slab and every large block is a
 * separate malloc block and the build uses -fsanitize=address,undefined, an
 * overrun past a page or a use of a freed page is caught by ASan; objects
 * inside one slab page are not guarded from each other, so the tests also
 * check that neighbours' contents stay intact.
 *
 * Covers: every size 1..5000 (alignment, writable size, size class via
 * bytes_in_use), the size classes, poisoning of freed objects, double
 * frees, frees of interior, foreign and stack pointers (reported, counted
 * in errors, ignored), write-after-free detection, krealloc's semantics,
 * and a seeded random stress run checked against a model of the heap's
 * accounting, after which every page but the cached empty slabs is back.
 * heap.c keeps its state for the whole program, so each test measures
 * deltas from heap_stats() taken at its start.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heap.h"
#include "kpage.h"
#include "kprintf.h"
#include "memlayout.h"

#include "check.h"

#define SMALL_MAX 1024          /* the largest size class */
#define NCLASSES 7

/* ---- The host's page source and console ---------------------------------- */

struct run {
    uintptr_t base;
    size_t npages;
};

static struct run *runs;
static size_t nruns, runs_cap;
static size_t pages_out;
static int kprintf_calls;
static char last_report[256];

void *kpage_alloc(size_t npages)
{
    if (npages == 0 || npages > (1u << 20))
        return NULL;
    void *p = aligned_alloc(PAGE_SIZE, npages * PAGE_SIZE);
    if (p == NULL)
        return NULL;
    memset(p, 0, npages * PAGE_SIZE);
    if (nruns == runs_cap) {
        runs_cap = runs_cap ? 2 * runs_cap : 64;
        runs = realloc(runs, runs_cap * sizeof(*runs));
        if (runs == NULL) {
            perror("realloc");
            exit(2);
        }
    }
    runs[nruns++] = (struct run){ (uintptr_t)p, npages };
    pages_out += npages;
    return p;
}

void kpage_free(void *addr, size_t npages)
{
    for (size_t i = 0; i < nruns; i++) {
        if (runs[i].base == (uintptr_t)addr) {
            CHECK(runs[i].npages == npages);
            pages_out -= runs[i].npages;
            runs[i] = runs[--nruns];
            free(addr);
            return;
        }
    }
    fprintf(stderr, "kpage_free(%p, %zu): not a run from kpage_alloc\n", addr, npages);
    failures++;
}

bool kpage_readable(const void *addr)
{
    uintptr_t a = (uintptr_t)addr;
    for (size_t i = 0; i < nruns; i++) {
        if (a >= runs[i].base && a - runs[i].base < runs[i].npages * PAGE_SIZE)
            return true;
    }
    return false;
}

int kvprintf(const char *fmt, va_list args)
{
    va_list copy;
    va_copy(copy, args);
    vsnprintf(last_report, sizeof(last_report), fmt, copy);
    va_end(copy);
    kprintf_calls++;
    return vprintf(fmt, args);
}

/* From ch04 on the heap takes a spinlock; on the host one thread needs none. */
struct spinlock;
uint64_t spin_lock(struct spinlock *l);
void spin_unlock(struct spinlock *l, uint64_t flags);

uint64_t spin_lock(struct spinlock *l)
{
    (void)l;
    return 0;
}

void spin_unlock(struct spinlock *l, uint64_t flags)
{
    (void)l;
    (void)flags;
}

int kprintf(const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    int n = kvprintf(fmt, args);
    va_end(args);
    return n;
}

/* ---- Helpers --------------------------------------------------------------- */

/* What kmalloc(size) adds to bytes_in_use: the size class, or the size itself. */
static size_t accounted(size_t size)
{
    if (size == 0)
        size = 1;
    if (size > SMALL_MAX)
        return size;
    size_t c = 16;
    while (c < size)
        c *= 2;
    return c;
}

static uintptr_t page_of(const void *p)
{
    return (uintptr_t)p & ~(uintptr_t)(PAGE_SIZE - 1);
}

static bool aligned16(const void *p)
{
    return (uintptr_t)p % 16 == 0;
}

static uint8_t tag_byte(size_t seed, size_t i)
{
    return (uint8_t)(seed * 131 + i * 7 + (i >> 8) + 1);
}

static void fill(void *p, size_t n, size_t seed)
{
    uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        b[i] = tag_byte(seed, i);
}

static bool intact(const void *p, size_t n, size_t seed)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        if (b[i] != tag_byte(seed, i))
            return false;
    }
    return true;
}

static bool all_bytes(const void *p, size_t from, size_t to, uint8_t v)
{
    const uint8_t *b = p;
    for (size_t i = from; i < to; i++) {
        if (b[i] != v)
            return false;
    }
    return true;
}

/* Two live objects of the same size on one slab page: the second keeps the
 * page alive while the first is freed and inspected. Misses are kept in
 * *spare (up to 8) for the caller to free. */
static void same_slab_pair(size_t size, void **a, void **b, void **spare, size_t *nspare)
{
    for (int tries = 0; tries < 8; tries++) {
        *a = kmalloc(size);
        *b = kmalloc(size);
        if (*a && *b && page_of(*a) == page_of(*b))
            return;
        spare[(*nspare)++] = *a;
        spare[(*nspare)++] = *b;
    }
    fprintf(stderr, "no two %zu-byte objects on one slab page\n", size);
    exit(2);
}

static void same_slab_pair_u8(size_t size, uint8_t **a, uint8_t **b, void **spare, size_t *nspare)
{
    void *x, *y;
    same_slab_pair(size, &x, &y, spare, nspare);
    *a = x;
    *b = y;
}

/* ---- Tests ------------------------------------------------------------------ */

/* Every size from 1 to 5000 at once: aligned, writable in full, accounted by class,
 * and no object's bytes disturbed by filling all the others. */
static void test_every_size(void)
{
    enum { N = 5000 };
    struct heap_stats s0 = heap_stats();
    static uint8_t *p[N + 1];
    size_t expect_bytes = 0;
    int misaligned = 0, misaccounted = 0, null = 0;

    for (size_t n = 1; n <= N; n++) {
        size_t before = heap_stats().bytes_in_use;
        p[n] = kmalloc(n);
        if (p[n] == NULL) {
            null++;
            continue;
        }
        misaligned += !aligned16(p[n]);
        misaccounted += heap_stats().bytes_in_use - before != accounted(n);
        expect_bytes += accounted(n);
        fill(p[n], n, n);
    }
    CHECK(null == 0);
    CHECK(misaligned == 0);
    CHECK(misaccounted == 0);
    struct heap_stats s1 = heap_stats();
    CHECK(s1.objects_in_use - s0.objects_in_use == N);
    CHECK(s1.bytes_in_use - s0.bytes_in_use == expect_bytes);
    CHECK(s1.errors == s0.errors);
    CHECK(s1.pages == pages_out);

    /* Distinct objects, none overlapping: every one still holds its own pattern. */
    int damaged = 0;
    for (size_t n = 1; n <= N; n++)
        damaged += p[n] && !intact(p[n], n, n);
    CHECK(damaged == 0);

    /* Free the odd sizes, check the even ones, free those. */
    for (size_t n = 1; n <= N; n += 2)
        kfree(p[n]);
    damaged = 0;
    for (size_t n = 2; n <= N; n += 2)
        damaged += p[n] && !intact(p[n], n, n);
    CHECK(damaged == 0);
    for (size_t n = 2; n <= N; n += 2)
        kfree(p[n]);

    struct heap_stats s2 = heap_stats();
    CHECK(s2.objects_in_use == s0.objects_in_use);
    CHECK(s2.bytes_in_use == s0.bytes_in_use);
    CHECK(s2.errors == s0.errors);
    CHECK(s2.pages == pages_out);
    CHECK(s2.pages <= NCLASSES);
}

static void test_size_classes(void)
{
    static const struct {
        size_t size, charge;
    } cases[] = {
        { 0, 16 }, { 1, 16 }, { 15, 16 }, { 16, 16 }, { 17, 32 }, { 32, 32 }, { 33, 64 },
        { 64, 64 }, { 65, 128 }, { 100, 128 }, { 128, 128 }, { 129, 256 }, { 256, 256 },
        { 257, 512 }, { 512, 512 }, { 513, 1024 }, { 1000, 1024 }, { 1024, 1024 },
        { 1025, 1025 }, { 4032, 4032 }, { 4033, 4033 }, { 100000, 100000 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        struct heap_stats s0 = heap_stats();
        void *p = kmalloc(cases[i].size);
        CHECK(p != NULL && aligned16(p));
        struct heap_stats s1 = heap_stats();
        CHECK(s1.bytes_in_use - s0.bytes_in_use == cases[i].charge);
        CHECK(s1.objects_in_use - s0.objects_in_use == 1);
        if (p)
            memset(p, 0x5A, cases[i].size);
        kfree(p);
        struct heap_stats s2 = heap_stats();
        CHECK(s2.bytes_in_use == s0.bytes_in_use);
        CHECK(s2.objects_in_use == s0.objects_in_use);
        CHECK(s2.errors == s0.errors);
    }

    /* 1 and 16 share a class, so they share slab pages; 17 does not join them. */
    struct heap_stats s0 = heap_stats();
    void *a = kmalloc(1), *b = kmalloc(16), *c = kmalloc(17), *d = kmalloc(32);
    CHECK(heap_stats().bytes_in_use - s0.bytes_in_use == 16 + 16 + 32 + 32);
    CHECK(page_of(a) != page_of(c) && page_of(b) != page_of(c) && page_of(a) != page_of(d));
    /* A large block's data starts past its header, 16-byte aligned, on a fresh page run. */
    void *big = kmalloc(2000);
    CHECK(big != NULL && aligned16(big) && (uintptr_t)big % PAGE_SIZE != 0);
    CHECK(heap_stats().pages - s0.pages >= 1);
    kfree(a);
    kfree(b);
    kfree(c);
    kfree(d);
    kfree(big);
    CHECK(heap_stats().bytes_in_use == s0.bytes_in_use);
    CHECK(heap_stats().errors == s0.errors);
    CHECK(heap_stats().pages == pages_out);
}

/* A freed small object holds HEAP_POISON everywhere past its free-list link. */
static void test_poison(void)
{
    struct heap_stats s0 = heap_stats();
    void *spare[16];
    size_t nspare = 0;
    for (size_t size = 16; size <= SMALL_MAX; size *= 2) {
        void *a, *b;
        same_slab_pair(size, &a, &b, spare, &nspare);
        memset(a, 0x11, size);
        memset(b, 0x22, size);
        kfree(a);
        CHECK(all_bytes(a, 8, size, HEAP_POISON));
        CHECK(all_bytes(b, 0, size, 0x22));      /* the neighbour is untouched */
        kfree(b);
        for (size_t i = 0; i < nspare; i++)
            kfree(spare[i]);
        nspare = 0;
    }
    /* Fresh objects come out of poisoned memory too (kmalloc does not zero). */
    uint8_t *p = kmalloc(64);
    CHECK(p && all_bytes(p, 8, 64, HEAP_POISON));
    kfree(p);
    struct heap_stats s1 = heap_stats();
    CHECK(s1.errors == s0.errors);
    CHECK(s1.objects_in_use == s0.objects_in_use);
    CHECK(s1.bytes_in_use == s0.bytes_in_use);
}

/* Expect exactly one reported and counted error from what just ran since s0/k0. */
#define CHECK_ONE_ERROR(s0, k0)                                               \
    do {                                                                      \
        CHECK(heap_stats().errors == (s0).errors + 1);                        \
        CHECK(kprintf_calls == (k0) + 1);                                     \
    } while (0)

static void test_double_free(void)
{
    void *spare[16];
    size_t nspare = 0;

    /* Small, with a neighbour keeping the slab page. */
    void *a, *b;
    same_slab_pair(64, &a, &b, spare, &nspare);
    kfree(a);
    struct heap_stats s0 = heap_stats();
    int k0 = kprintf_calls;
    kfree(a);
    CHECK_ONE_ERROR(s0, k0);
    CHECK(strstr(last_report, "double free") != NULL);
    CHECK(heap_stats().objects_in_use == s0.objects_in_use);
    CHECK(heap_stats().bytes_in_use == s0.bytes_in_use);
    CHECK(heap_stats().pages == s0.pages);

    /* The heap still works, and the double free did not put a twice on the free list. */
    enum { M = 300 };
    static uint8_t *q[M];
    int dup = 0;
    for (size_t i = 0; i < M; i++) {
        q[i] = kmalloc(64);
        fill(q[i], 64, i);
    }
    for (size_t i = 0; i < M; i++) {
        for (size_t j = 0; j < i; j++)
            dup += q[i] == q[j];
        dup += q[i] == b;
    }
    CHECK(dup == 0);
    int damaged = 0;
    for (size_t i = 0; i < M; i++)
        damaged += !intact(q[i], 64, i);
    CHECK(damaged == 0);
    for (size_t i = 0; i < M; i++)
        kfree(q[i]);
    kfree(b);
    for (size_t i = 0; i < nspare; i++)
        kfree(spare[i]);
    CHECK(heap_stats().errors == s0.errors + 1);

    /* Small, alone on its page (the page may be released and unreadable then). */
    s0 = heap_stats();
    void *lone = kmalloc(512);
    kfree(lone);
    struct heap_stats s1 = heap_stats();
    k0 = kprintf_calls;
    kfree(lone);
    CHECK_ONE_ERROR(s1, k0);
    CHECK(heap_stats().objects_in_use == s0.objects_in_use);

    /* Large: its pages are gone after the first free. */
    s0 = heap_stats();
    void *big = kmalloc(10000);
    CHECK(big != NULL);
    memset(big, 0x33, 10000);
    kfree(big);
    s1 = heap_stats();
    CHECK(s1.pages == s0.pages && s1.objects_in_use == s0.objects_in_use);
    k0 = kprintf_calls;
    kfree(big);
    CHECK_ONE_ERROR(s1, k0);
    CHECK(heap_stats().pages == s0.pages);
    CHECK(heap_stats().bytes_in_use == s0.bytes_in_use);
    CHECK(heap_stats().objects_in_use == s0.objects_in_use);

    /* And still works. */
    void *again = kmalloc(10000);
    CHECK(again != NULL);
    memset(again, 0x44, 10000);
    kfree(again);
    CHECK(heap_stats().errors == s1.errors + 1);
    CHECK(heap_stats().pages == pages_out);
}

/* kfree of a pointer that is inside an object, not at its start. */
static void test_interior_free(void)
{
    void *spare[16];
    size_t nspare = 0;
    struct heap_stats s0 = heap_stats();

    uint8_t *a, *b;
    same_slab_pair_u8(32, &a, &b, spare, &nspare);
    fill(a, 32, 1);
    fill(b, 32, 2);
    size_t offsets[] = { 1, 8, 16, 31 };
    for (size_t i = 0; i < sizeof(offsets) / sizeof(*offsets); i++) {
        struct heap_stats s = heap_stats();
        int k = kprintf_calls;
        kfree(a + offsets[i]);
        CHECK_ONE_ERROR(s, k);
        CHECK(heap_stats().objects_in_use == s.objects_in_use);
    }
    CHECK(intact(a, 32, 1) && intact(b, 32, 2));

    /* Into the slab header, and into the slack after the last 1024-byte object. */
    uint8_t *k1 = kmalloc(1024);
    uint8_t *k2 = kmalloc(1024);
    {
        struct heap_stats s = heap_stats();
        int k = kprintf_calls;
        kfree((void *)(page_of(k1) + 8));
        CHECK_ONE_ERROR(s, k);
        s = heap_stats();
        k = kprintf_calls;
        kfree((void *)(page_of(k1) + 64 + 3 * 1024));    /* would be object 3 of a 3-object page */
        CHECK_ONE_ERROR(s, k);
        s = heap_stats();
        k = kprintf_calls;
        kfree((void *)(page_of(k1) + PAGE_SIZE - 16));
        CHECK_ONE_ERROR(s, k);
    }

    /* Large: inside the header page and inside a later page of the block. */
    uint8_t *big = kmalloc(3 * PAGE_SIZE);
    memset(big, 0, 3 * PAGE_SIZE);
    uint8_t *bad[] = { big + 1, big + 16, big - 16, big + 100, big + PAGE_SIZE, big + 2 * PAGE_SIZE - 64 + 16 };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        struct heap_stats s = heap_stats();
        int k = kprintf_calls;
        kfree(bad[i]);
        CHECK_ONE_ERROR(s, k);
        CHECK(heap_stats().objects_in_use == s.objects_in_use);
        CHECK(heap_stats().pages == s.pages);
    }
    CHECK(all_bytes(big, 0, 3 * PAGE_SIZE, 0));

    kfree(big);
    kfree(k1);
    kfree(k2);
    kfree(a);
    kfree(b);
    for (size_t i = 0; i < nspare; i++)
        kfree(spare[i]);
    struct heap_stats s1 = heap_stats();
    CHECK(s1.errors == s0.errors + 4 + 3 + 6);
    CHECK(s1.objects_in_use == s0.objects_in_use);
    CHECK(s1.bytes_in_use == s0.bytes_in_use);
    CHECK(s1.pages == pages_out);
}

/* kfree of memory the heap never handed out. */
static void test_foreign_free(void)
{
    struct heap_stats s0 = heap_stats();
    size_t pages0 = pages_out;

    /* Readable pages without heap magic: the test's own kpage_alloc memory. */
    uint8_t *page = kpage_alloc(1);
    uint8_t *run = kpage_alloc(3);
    CHECK(page != NULL && run != NULL);
    memset(run, 0xAB, 3 * PAGE_SIZE);
    void *readable[] = { page, page + 64, page + 128, page + PAGE_SIZE - 16, run, run + 64, run + PAGE_SIZE + 64 };
    for (size_t i = 0; i < sizeof(readable) / sizeof(*readable); i++) {
        CHECK(kpage_readable(readable[i]));
        struct heap_stats s = heap_stats();
        int k = kprintf_calls;
        kfree(readable[i]);
        CHECK_ONE_ERROR(s, k);
    }
    CHECK(all_bytes(page, 0, PAGE_SIZE, 0));
    CHECK(all_bytes(run, 0, 3 * PAGE_SIZE, 0xAB));
    kpage_free(page, 1);
    kpage_free(run, 3);
    CHECK(pages_out == pages0);

    /* Unreadable ones: the stack, a host malloc block, a static. */
    uint8_t stack_buf[128];
    memset(stack_buf, 0, sizeof(stack_buf));
    static uint8_t static_buf[128];
    uint8_t *host = malloc(256);
    void *unreadable[] = { stack_buf, stack_buf + 64, host, static_buf, (void *)(uintptr_t)0x1000 };
    for (size_t i = 0; i < sizeof(unreadable) / sizeof(*unreadable); i++) {
        CHECK(!kpage_readable(unreadable[i]));
        struct heap_stats s = heap_stats();
        int k = kprintf_calls;
        kfree(unreadable[i]);
        CHECK_ONE_ERROR(s, k);
    }
    free(host);

    kfree(NULL);        /* like free(NULL): nothing, and no error */
    struct heap_stats s1 = heap_stats();
    CHECK(s1.errors == s0.errors + 7 + 5);
    CHECK(s1.objects_in_use == s0.objects_in_use);
    CHECK(s1.bytes_in_use == s0.bytes_in_use);
    CHECK(s1.pages == s0.pages);
}

/* A write into a freed small object is reported when the object is handed out again. */
static void test_write_after_free(void)
{
    for (size_t size = 16; size <= SMALL_MAX; size *= 4) {
        struct heap_stats base = heap_stats();
        void *spare[16];
        size_t nspare = 0;
        uint8_t *a, *b;
        same_slab_pair_u8(size, &a, &b, spare, &nspare);
        kfree(a);
        size_t where = size == 16 ? 15 : size / 2 + 3;     /* past the free-list link */
        a[where] = 0x42;

        struct heap_stats s0 = heap_stats();
        int k0 = kprintf_calls;
        enum { LIMIT = 600 };
        static void *got[LIMIT];
        size_t n = 0;
        bool found = false;
        while (n < LIMIT) {
            got[n] = kmalloc(size);
            if (got[n++] == a) {
                found = true;
                break;
            }
        }
        CHECK(found);
        CHECK(heap_stats().errors == s0.errors + 1);
        CHECK(kprintf_calls == k0 + 1);
        CHECK(strstr(last_report, "written after it was freed") != NULL);
        CHECK(heap_stats().objects_in_use == s0.objects_in_use + n);
        CHECK(heap_stats().bytes_in_use == s0.bytes_in_use + n * size);

        /* The object is usable; freeing it and everything else is clean. */
        memset(a, 0x77, size);
        for (size_t i = 0; i < n; i++)
            kfree(got[i]);
        kfree(b);
        for (size_t i = 0; i < nspare; i++)
            kfree(spare[i]);
        struct heap_stats s1 = heap_stats();
        CHECK(s1.errors == s0.errors + 1);
        CHECK(s1.objects_in_use == base.objects_in_use);
        CHECK(s1.bytes_in_use == base.bytes_in_use);
    }

    /* No write, no report: a freed and reused object is clean. */
    struct heap_stats s0 = heap_stats();
    void *x = kmalloc(48), *y = kmalloc(48);
    kfree(x);
    void *z = kmalloc(48);
    CHECK(heap_stats().errors == s0.errors);
    kfree(y);
    kfree(z);
    CHECK(heap_stats().objects_in_use == s0.objects_in_use);
}

static void test_krealloc(void)
{
    struct heap_stats s0 = heap_stats();

    /* NULL is kmalloc. */
    uint8_t *p = krealloc(NULL, 100);
    CHECK(p != NULL && aligned16(p));
    CHECK(heap_stats().objects_in_use == s0.objects_in_use + 1);
    CHECK(heap_stats().bytes_in_use == s0.bytes_in_use + 128);
    fill(p, 100, 7);

    /* Grow within the class, then out of it, then into a large block: content kept. */
    p = krealloc(p, 120);
    CHECK(p != NULL && intact(p, 100, 7));
    fill(p, 120, 8);
    p = krealloc(p, 600);
    CHECK(p != NULL && aligned16(p) && intact(p, 120, 8));
    CHECK(heap_stats().objects_in_use == s0.objects_in_use + 1);
    CHECK(heap_stats().bytes_in_use == s0.bytes_in_use + 1024);
    fill(p, 600, 9);
    p = krealloc(p, 5000);
    CHECK(p != NULL && aligned16(p) && intact(p, 600, 9));
    CHECK(heap_stats().objects_in_use == s0.objects_in_use + 1);
    CHECK(heap_stats().bytes_in_use == s0.bytes_in_use + 5000);
    fill(p, 5000, 10);
    p = krealloc(p, 30000);
    CHECK(p != NULL && intact(p, 5000, 10));
    fill(p, 30000, 11);

    /* Shrink: the prefix is kept, large to large and large to small. */
    p = krealloc(p, 20000);
    CHECK(p != NULL && intact(p, 20000, 11));
    p = krealloc(p, 3000);
    CHECK(p != NULL && intact(p, 3000, 11));
    memset(p + 2000, 0, 1000);          /* all 3000 bytes are writable */
    p = krealloc(p, 40);
    CHECK(p != NULL && aligned16(p) && intact(p, 40, 11));
    CHECK(heap_stats().bytes_in_use == s0.bytes_in_use + 64);
    p = krealloc(p, 3);
    CHECK(p != NULL && intact(p, 3, 11));
    CHECK(heap_stats().objects_in_use == s0.objects_in_use + 1);

    /* Same size: still valid, content kept. */
    fill(p, 3, 12);
    p = krealloc(p, 3);
    CHECK(p != NULL && intact(p, 3, 12));

    /* Size 0 frees and returns NULL. */
    CHECK(krealloc(p, 0) == NULL);
    CHECK(heap_stats().objects_in_use == s0.objects_in_use);
    CHECK(heap_stats().bytes_in_use == s0.bytes_in_use);
    uint8_t *big = kmalloc(9000);
    CHECK(krealloc(big, 0) == NULL);
    CHECK(heap_stats().objects_in_use == s0.objects_in_use);
    CHECK(heap_stats().bytes_in_use == s0.bytes_in_use);
    CHECK(heap_stats().errors == s0.errors);

    /* Bad pointers: NULL back, an error counted and reported, nothing changed. */
    void *spare[16];
    size_t nspare = 0;
    uint8_t *a, *b;
    same_slab_pair_u8(128, &a, &b, spare, &nspare);
    fill(b, 128, 13);
    kfree(a);                                   /* a: freed, its page kept by b */
    uint8_t *gone = kmalloc(8000);
    kfree(gone);                                /* gone: freed large block */
    uint8_t stack_buf[64];
    memset(stack_buf, 0, sizeof(stack_buf));
    uint8_t *own = kpage_alloc(1);
    void *bad[] = { a, b + 1, b + 64, gone, stack_buf, own, own + 64 };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        struct heap_stats s = heap_stats();
        int k = kprintf_calls;
        CHECK(krealloc(bad[i], 50) == NULL);
        CHECK_ONE_ERROR(s, k);
        struct heap_stats t = heap_stats();
        CHECK(t.objects_in_use == s.objects_in_use && t.bytes_in_use == s.bytes_in_use && t.pages == s.pages);
    }
    CHECK(intact(b, 128, 13));
    CHECK(all_bytes(own, 0, PAGE_SIZE, 0));
    kpage_free(own, 1);

    /* A good realloc of b still works after all that. */
    b = krealloc(b, 2000);
    CHECK(b != NULL && intact(b, 128, 13));
    kfree(b);
    for (size_t i = 0; i < nspare; i++)
        kfree(spare[i]);

    struct heap_stats s1 = heap_stats();
    CHECK(s1.errors == s0.errors + 7);
    CHECK(s1.objects_in_use == s0.objects_in_use);
    CHECK(s1.bytes_in_use == s0.bytes_in_use);
    CHECK(s1.pages == pages_out);
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

static size_t random_size(void)
{
    static const size_t limit[] = { 64, 1024, 4096, 20000 };
    return 1 + (size_t)(rng() % limit[rng() % 4]);
}

/* Random kmalloc/krealloc/kfree over 256 slots, every block's content and the
 * heap's accounting checked against a model all along. */
static void test_stress(void)
{
    enum { SLOTS = 256, ROUNDS = 200000, NOISE = 65536 };
    struct slot {
        uint8_t *p;
        size_t size;        /* bytes the test wrote */
        size_t charge;      /* what the heap should count for it in bytes_in_use */
        size_t off;         /* content = noise[off .. off + size) */
    };
    static struct slot slot[SLOTS];
    static uint8_t noise[NOISE + 20000];

    rng_state = 0xC0B05EEDull;
    for (size_t i = 0; i < sizeof(noise); i++)
        noise[i] = (uint8_t)(rng() >> 56);

    struct heap_stats s0 = heap_stats();
    size_t live = 0, charged = 0;
    int bad_content = 0, bad_stats = 0, bad_ptr = 0;

    for (long round = 0; round < ROUNDS; round++) {
        struct slot *s = &slot[rng() % SLOTS];
        if (s->p != NULL && memcmp(s->p, noise + s->off, s->size) != 0 && bad_content++ < 5)
            fprintf(stderr, "round %ld: a %zu-byte block's content changed\n", round, s->size);

        unsigned op = (unsigned)(rng() % 8);
        if (s->p == NULL) {
            size_t size = random_size();
            uint8_t *p = op < 6 ? kmalloc(size) : krealloc(NULL, size);
            if (p == NULL || !aligned16(p)) {
                if (bad_ptr++ < 5)
                    fprintf(stderr, "round %ld: kmalloc(%zu) gave %p\n", round, size, (void *)p);
                continue;
            }
            *s = (struct slot){ p, size, accounted(size), (size_t)(rng() % NOISE) };
            memcpy(p, noise + s->off, size);
            live++;
            charged += s->charge;
        } else if (op < 3) {
            if (op == 0)
                CHECK(krealloc(s->p, 0) == NULL);
            else
                kfree(s->p);
            live--;
            charged -= s->charge;
            s->p = NULL;
        } else {
            size_t size = random_size();
            uint8_t *p = krealloc(s->p, size);
            if (p == NULL || !aligned16(p)) {
                if (bad_ptr++ < 5)
                    fprintf(stderr, "round %ld: krealloc(%zu -> %zu) gave %p\n", round, s->size, size, (void *)p);
                if (p == NULL)
                    continue;       /* the old block stays */
            }
            size_t keep = size < s->size ? size : s->size;
            if (memcmp(p, noise + s->off, keep) != 0 && bad_content++ < 5)
                fprintf(stderr, "round %ld: krealloc(%zu -> %zu) lost content\n", round, s->size, size);
            /* In place keeps the old charge; a move charges the new size. */
            charged -= s->charge;
            if (p != s->p)
                s->charge = accounted(size);
            charged += s->charge;
            s->p = p;
            s->size = size;
            s->off = (size_t)(rng() % NOISE);
            memcpy(p, noise + s->off, size);
        }

        struct heap_stats h = heap_stats();
        if ((h.objects_in_use != s0.objects_in_use + live || h.bytes_in_use != s0.bytes_in_use + charged ||
             h.errors != s0.errors || h.pages != pages_out) &&
            bad_stats++ < 5)
            fprintf(stderr, "round %ld: stats objects %zu bytes %zu errors %zu pages %zu (kpage %zu), "
                            "model objects %zu bytes %zu\n",
                    round, h.objects_in_use, h.bytes_in_use, h.errors, h.pages, pages_out,
                    s0.objects_in_use + live, s0.bytes_in_use + charged);

        if (round % 20000 == 0) {
            for (size_t i = 0; i < SLOTS; i++) {
                if (slot[i].p && memcmp(slot[i].p, noise + slot[i].off, slot[i].size) != 0 && bad_content++ < 5)
                    fprintf(stderr, "round %ld: slot %zu's content changed\n", round, i);
            }
        }
    }
    CHECK(bad_content == 0);
    CHECK(bad_stats == 0);
    CHECK(bad_ptr == 0);
    CHECK(live > 0);

    for (size_t i = 0; i < SLOTS; i++) {
        if (slot[i].p) {
            CHECK(memcmp(slot[i].p, noise + slot[i].off, slot[i].size) == 0);
            kfree(slot[i].p);
            slot[i].p = NULL;
        }
    }
    struct heap_stats s1 = heap_stats();
    CHECK(s1.bytes_in_use == s0.bytes_in_use);
    CHECK(s1.objects_in_use == s0.objects_in_use);
    CHECK(s1.errors == s0.errors);
    CHECK(pages_out == s1.pages);
    CHECK(s1.pages <= NCLASSES);          /* at most one cached empty slab per class */
}

/* Caller data in a later page of a large block that copies a slab header
 * (magic and all) must not be taken for one: kfree reports, nothing breaks. */
static void test_forged_header(void)
{
    struct heap_stats s0 = heap_stats();
    uint8_t *big = kmalloc(3 * 4096);
    CHECK(big != NULL);
    uint8_t *page2 = (uint8_t *)(page_of(big) + 4096);
    uint32_t forged[32] = { 0x51AB51ABu, 0 /* object_size 0: would divide by zero */ };
    memcpy(page2, forged, sizeof(forged));
    kfree(page2 + 96);
    CHECK(heap_stats().errors == s0.errors + 1);
    forged[1] = 32;
    memcpy(page2, forged, sizeof(forged));
    kfree(page2 + 96);
    CHECK(heap_stats().errors == s0.errors + 2);
    kfree(big);
    CHECK(heap_stats().bytes_in_use == s0.bytes_in_use);
    CHECK(heap_stats().objects_in_use == s0.objects_in_use);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct heap_stats start = heap_stats();
    CHECK(start.bytes_in_use == 0 && start.objects_in_use == 0 && start.pages == 0 && start.errors == 0);

    test_every_size();
    test_size_classes();
    test_poison();
    test_double_free();
    test_interior_free();
    test_foreign_free();
    test_write_after_free();
    test_krealloc();
    test_forged_header();
    test_stress();

    /* Everything handed back: only cached empty slabs remain. */
    struct heap_stats end = heap_stats();
    CHECK(end.bytes_in_use == 0);
    CHECK(end.objects_in_use == 0);
    CHECK(end.pages == pages_out);
    CHECK(end.pages <= NCLASSES);
    printf("heap: %zu errors reported on purpose, %d kprintf calls, %zu pages cached\n",
           end.errors, kprintf_calls, end.pages);
    printf("heap: %d failures\n", failures);
    return failures != 0;
}
