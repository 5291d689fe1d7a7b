/*
 * selftest.c: memory management checks the grader runs inside the kernel.
 *
 * They use only the public APIs, as a later chapter would, and look at what
 * the hardware will see: the page-table bits themselves, not a shadow copy.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errno.h"
#include "frame.h"
#include "heap.h"
#include "kernel_map.h"
#include "kprintf.h"
#include "memlayout.h"
#include "paging.h"
#include "selftest.h"
#include "string.h"

/* Take every free frame, chaining each to the previous one through its
 * own memory (so nothing else is needed to remember them), then give them
 * all back. A frame handed out twice would be freed twice and panic. */
bool selftest_frames(void)
{
    size_t start = frame_free_count();
    paddr_t chain = 0;
    size_t taken = 0;
    for (paddr_t f; (f = frame_alloc()) != 0; taken++) {
        *(paddr_t *)phys_to_virt(f) = chain;
        chain = f;
    }
    CHECK("frames", taken == start);
    CHECK("frames", frame_free_count() == 0);
    while (chain != 0) {
        paddr_t next = *(paddr_t *)phys_to_virt(chain);
        frame_free(chain);
        chain = next;
    }
    CHECK("frames", frame_free_count() == start);
    kprintf("selftest frames: PASS (took and returned all %zu free frames, %zu MiB)\n",
            taken, taken * PAGE_SIZE >> 20);
    return true;
}

#define TEST_VA (MMIO_LIMIT - 0x1000000)    /* the top of the devices' window: never reached */
#define TEST_PAGES 64

bool selftest_paging(void)
{
    paddr_t frames[TEST_PAGES];
    for (int i = 0; i < TEST_PAGES; i++) {
        frames[i] = frame_alloc();
        CHECK("paging", frames[i] != 0);
        CHECK("paging", pt_map(kernel_root, TEST_VA + i * PAGE_SIZE, frames[i], PTE_WRITABLE | PTE_NX) == 0);
    }
    for (int i = 0; i < TEST_PAGES; i++) {
        uint64_t *va = (uint64_t *)(TEST_VA + i * PAGE_SIZE);
        *va = 0xC0B05000 + i;   /* write through the new mapping ... */
        CHECK("paging", *(uint64_t *)phys_to_virt(frames[i]) == 0xC0B05000u + i);  /* ... read via the direct map */
        paddr_t pa;
        uint64_t flags;
        CHECK("paging", pt_translate(kernel_root, (uintptr_t)va + 123, &pa, &flags) == 0);
        CHECK("paging", pa == frames[i] + 123);
        CHECK("paging", flags == (PTE_WRITABLE | PTE_NX));
    }
    CHECK("paging", pt_map(kernel_root, TEST_VA, frames[1], 0) == -EEXIST);
    CHECK("paging", pt_map(kernel_root, TEST_VA + 1, frames[1], 0) == -EINVAL);
    CHECK("paging", pt_map(kernel_root, 0x0000800000000000, frames[1], 0) == -EINVAL);  /* not canonical */

    uint64_t flags;
    CHECK("paging", pt_protect(kernel_root, TEST_VA, PTE_NX) == 0);
    CHECK("paging", pt_translate(kernel_root, TEST_VA, NULL, &flags) == 0 && flags == PTE_NX);

    for (int i = 0; i < TEST_PAGES; i++) {
        paddr_t pa;
        CHECK("paging", pt_unmap(kernel_root, TEST_VA + i * PAGE_SIZE, &pa) == 0);
        CHECK("paging", pa == frames[i]);
        CHECK("paging", pt_translate(kernel_root, TEST_VA + i * PAGE_SIZE, NULL, NULL) == -ENOENT);
        frame_free(frames[i]);
    }
    CHECK("paging", pt_unmap(kernel_root, TEST_VA, NULL) == -ENOENT);

    /* A huge page of the direct map translates too. */
    paddr_t pa;
    CHECK("paging", pt_translate(kernel_root, DIRECT_MAP_BASE + 0x345678, &pa, &flags) == 0);
    CHECK("paging", pa == 0x345678 && (flags & PTE_NX) && (flags & PTE_WRITABLE));
    kprintf("selftest paging: PASS (%d pages mapped, written, translated, protected, unmapped)\n", TEST_PAGES);
    return true;
}

struct wx_scan {
    size_t pages;
    size_t writable_and_executable;
    uintptr_t first_bad;
};

static void wx_visit(uintptr_t va, uint64_t entry, uint64_t size, void *ctx)
{
    struct wx_scan *scan = ctx;
    scan->pages += size / PAGE_SIZE;
    if ((entry & PTE_WRITABLE) && !(entry & PTE_NX)) {
        if (scan->writable_and_executable++ == 0)
            scan->first_bad = va;
    }
}

/* The flags of the kernel page at va must be exactly want. */
static bool image_flags_are(const char *start, const char *end, uint64_t want)
{
    for (uintptr_t va = (uintptr_t)start; va < (uintptr_t)end; va += PAGE_SIZE) {
        uint64_t flags;
        if (pt_translate(kernel_root, va, NULL, &flags) != 0 || flags != want) {
            kprintf("selftest wx: page %p has flags 0x%llx, want 0x%llx\n", (void *)va,
                    (unsigned long long)flags, (unsigned long long)want);
            return false;
        }
    }
    return true;
}

bool selftest_wx(void)
{
    struct wx_scan scan = {0};
    pt_walk(kernel_root, wx_visit, &scan);
    if (scan.writable_and_executable)
        kprintf("selftest wx: %zu pages writable and executable, first at %p\n",
                scan.writable_and_executable, (void *)scan.first_bad);
    CHECK("wx", scan.writable_and_executable == 0);
    CHECK("wx", image_flags_are(__text_start, __text_end, 0));
    CHECK("wx", image_flags_are(__rodata_start, __rodata_end, PTE_NX));
    CHECK("wx", image_flags_are(__data_start, boot_stack_guard, PTE_WRITABLE | PTE_NX));
    CHECK("wx", image_flags_are(boot_stack_guard + PAGE_SIZE, __bss_end, PTE_WRITABLE | PTE_NX));
    /* The same frames seen through the direct map must not be writable either. */
    for (const char *va = __text_start; va < __rodata_end; va += PAGE_SIZE) {
        uint64_t flags;
        CHECK("wx", pt_translate(kernel_root, (uintptr_t)phys_to_virt(kernel_to_phys(va)), NULL, &flags) == 0);
        CHECK("wx", flags == PTE_NX);
    }
    CHECK("wx", pt_translate(kernel_root, (uintptr_t)boot_stack_guard, NULL, NULL) == -ENOENT);
    CHECK("wx", pt_translate(kernel_root, kernel_to_phys(__text_start), NULL, NULL) == -ENOENT);
    CHECK("wx", pt_translate(kernel_root, 0, NULL, NULL) == -ENOENT);
    kprintf("selftest wx: PASS (%zu pages mapped, none writable and executable; "
            "text r-x, rodata r--, data rw-, code read-only in the direct map too; "
            "stack guard and identity map unmapped)\n", scan.pages);
    return true;
}

/* A tiny deterministic random number generator (xorshift64). */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

#define STRESS_SLOTS 256
#define STRESS_ROUNDS 20000

static size_t random_size(void)
{
    uint64_t r = rng();
    switch (r % 8) {
    case 0: return 1 + (r >> 8) % 16;
    case 1: return 1 + (r >> 8) % 20000;      /* some large, multi-page blocks */
    default: return 1 + (r >> 8) % 1024;
    }
}

static uint8_t fill_byte(size_t slot, size_t i)
{
    return (uint8_t)(slot * 31 + i * 7 + 1);
}

static bool content_ok(const uint8_t *p, size_t size, size_t slot)
{
    for (size_t i = 0; i < size; i++) {
        if (p[i] != fill_byte(slot, i))
            return false;
    }
    return true;
}

static void fill(uint8_t *p, size_t size, size_t slot)
{
    for (size_t i = 0; i < size; i++)
        p[i] = fill_byte(slot, i);
}

#define REUSE_PAIRS 10000
#define REUSE_SIZE 8192     /* a large block: 3 pages and a guard page from kpage */

/* A kmalloc/kfree pair must leave nothing behind: not the frames of the
 * block, and no page tables either, since kpage reuses the block's addresses
 * and with them the tables already over them. */
static bool selftest_heap_reuse(void)
{
    struct heap_stats start = heap_stats();
    size_t start_frames = frame_free_count();
    for (int i = 0; i < REUSE_PAIRS; i++) {
        uint8_t *p = kmalloc(REUSE_SIZE);
        CHECK("heap reuse", p != NULL);
        p[0] = p[REUSE_SIZE - 1] = 1;
        kfree(p);
    }
    size_t end_frames = frame_free_count();
    struct heap_stats end = heap_stats();
    kprintf("selftest heap reuse: %d kmalloc(%d)/kfree pairs: free frames %zu before, %zu after\n",
            REUSE_PAIRS, REUSE_SIZE, start_frames, end_frames);
    CHECK("heap reuse", end_frames == start_frames);
    CHECK("heap reuse", end.pages == start.pages && end.bytes_in_use == start.bytes_in_use &&
                        end.objects_in_use == start.objects_in_use && end.errors == start.errors);
    kprintf("selftest heap reuse: PASS\n");
    return true;
}

bool selftest_heap(void)
{
    struct heap_stats start = heap_stats();
    size_t start_frames = frame_free_count();
    static uint8_t *slot_ptr[STRESS_SLOTS];
    static size_t slot_size[STRESS_SLOTS];

    for (int round = 0; round < STRESS_ROUNDS; round++) {
        size_t s = rng() % STRESS_SLOTS;
        if (slot_ptr[s] == NULL) {
            slot_size[s] = random_size();
            slot_ptr[s] = kmalloc(slot_size[s]);
            CHECK("heap", slot_ptr[s] != NULL);
            CHECK("heap", (uintptr_t)slot_ptr[s] % 16 == 0);
            fill(slot_ptr[s], slot_size[s], s);
        } else if (rng() % 4 == 0) {
            size_t n = random_size();
            uint8_t *p = krealloc(slot_ptr[s], n);
            CHECK("heap", p != NULL);
            CHECK("heap", content_ok(p, n < slot_size[s] ? n : slot_size[s], s));
            slot_ptr[s] = p;
            slot_size[s] = n;
            fill(p, n, s);
        } else {
            CHECK("heap", content_ok(slot_ptr[s], slot_size[s], s));
            kfree(slot_ptr[s]);
            slot_ptr[s] = NULL;
        }
    }
    for (size_t s = 0; s < STRESS_SLOTS; s++) {
        if (slot_ptr[s]) {
            CHECK("heap", content_ok(slot_ptr[s], slot_size[s], s));
            kfree(slot_ptr[s]);
            slot_ptr[s] = NULL;
        }
    }
    struct heap_stats end = heap_stats();
    CHECK("heap", end.errors == start.errors);
    CHECK("heap", end.bytes_in_use == start.bytes_in_use);
    CHECK("heap", end.objects_in_use == start.objects_in_use);

    /* Freed memory is poisoned. */
    uint8_t *p = kmalloc(100);
    CHECK("heap", p != NULL);
    memset(p, 0x11, 100);
    kfree(p);
    CHECK("heap", p[50] == HEAP_POISON);

    /* A double free is reported and ignored. */
    uint8_t *q = kmalloc(48);
    uint8_t *keep = kmalloc(48);      /* keeps the slab alive after q is freed */
    kfree(q);
    kfree(q);
    CHECK("heap", heap_stats().errors == start.errors + 1);
    kfree(keep);

    /* So is a pointer kmalloc never returned. */
    uint64_t on_stack;
    kfree(&on_stack);
    CHECK("heap", heap_stats().errors == start.errors + 2);

    CHECK("heap", heap_stats().bytes_in_use == start.bytes_in_use);
    kprintf("selftest heap: PASS (%d random kmalloc/krealloc/kfree with content checks; "
            "%zu pages held, %zu frames not back in the pool; double free and bad free reported)\n",
            STRESS_ROUNDS, heap_stats().pages, start_frames - frame_free_count());
    return selftest_heap_reuse();
}
