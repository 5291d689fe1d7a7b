/*
 * paging.c: build, change and read 4-level page tables.
 *
 * A virtual address picks one entry at each level (SDM vol 3A, figure 4-8):
 *
 *   bits 47..39  PML4 index    each level is a 4 KiB table of 512 entries
 *   bits 38..30  PDPT index
 *   bits 29..21  PD index      a PD entry with PTE_HUGE maps 2 MiB itself
 *   bits 20..12  PT index
 *   bits 11..0   offset in the 4 KiB page
 *
 * Tables are frames from frame_alloc, reached through the direct map. A
 * table stays when unmapping empties it: the kernel reuses its addresses
 * (mm/kpage.c says why), so the tables are made once and used again.
 * Changes to any page table take pt_lock (threads, since ch04, may map
 * and unmap at the same time); reading a mapping does not, so that the
 * exception reporter can look at page tables whatever was interrupted.
 * Entries of the upper levels allow writing and executing; the leaf decides,
 * since the CPU applies the strictest bits along the walk.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errno.h"
#include "frame.h"
#include "kernel_map.h"
#include "memlayout.h"
#include "paging.h"
#include "smp.h"
#include "panic.h"
#include "spinlock.h"
#include "string.h"
#include "x86.h"

#define LEVELS 4
#define ENTRIES 512
#define LEVEL_PT 0
#define LEVEL_PD 1
#define TABLE_FLAGS (PTE_PRESENT | PTE_WRITABLE)

typedef uint64_t pte_t;

#define UNMAP_BATCH 64           /* pages unmapped per shootdown */

static struct spinlock pt_lock = SPINLOCK_INIT("page tables");

static unsigned index_at(uintptr_t va, int level)
{
    return (va >> (12 + 9 * level)) & (ENTRIES - 1);
}

/* Bits 63..47 must all equal bit 47 (SDM vol 1, 3.3.7.1). */
static bool is_canonical(uintptr_t va)
{
    return (uintptr_t)((intptr_t)(va << 16) >> 16) == va;
}

static pte_t *table_at(paddr_t phys)
{
    return phys_to_virt(phys);
}

/*
 * The entry for va at level stop (LEVEL_PT or LEVEL_PD), creating missing
 * tables if create. NULL if a table is missing (or could not be made), or
 * a huge page sits above stop; *err says which.
 */
static pte_t *find_entry(paddr_t root, uintptr_t va, int stop, bool create, int *err)
{
    /* LAB(pt-map): walk from the top-level table down to level stop, one
     * index of va per level; where a table is missing, make one from a
     * zeroed frame if create, else fail with -ENOENT; fail with -ENOMEM
     * when no frame is left, and with -EEXIST at a huge page. Return the
     * entry for va in the table at level stop. */
    /* LAB-STUB: (void)root; (void)va; (void)stop; (void)create; (void)err; */
    /* LAB-STUB: panic("lab pt-map: find_entry is not written yet"); */
    pte_t *table = table_at(root);
    for (int level = LEVELS - 1; level > stop; level--) {
        pte_t *e = &table[index_at(va, level)];
        if (!(*e & PTE_PRESENT)) {
            if (!create) {
                *err = -ENOENT;
                return NULL;
            }
            paddr_t t = frame_alloc();
            if (t == 0) {
                *err = -ENOMEM;
                return NULL;
            }
            memset(table_at(t), 0, PAGE_SIZE);
            /* The CPU lets user mode through only if every level allows
             * it (SDM vol 3A, 4.6): tables of the user half say PTE_USER. */
            *e = t | TABLE_FLAGS | (va < USER_TOP ? PTE_USER : 0);
        } else if (*e & PTE_HUGE) {
            *err = -EEXIST;
            return NULL;
        }
        table = table_at(*e & PTE_ADDR_MASK);
    }
    return &table[index_at(va, stop)];
    /* END LAB(pt-map) */
}

/* The leaf entry mapping va, whichever its size, or NULL. */
static pte_t *find_leaf(paddr_t root, uintptr_t va, uint64_t *size)
{
    if (!is_canonical(va))
        return NULL;
    pte_t *table = table_at(root);
    for (int level = LEVELS - 1; level >= 0; level--) {
        pte_t *e = &table[index_at(va, level)];
        if (!(*e & PTE_PRESENT))
            return NULL;
        if (level == LEVEL_PT || (level == LEVEL_PD && (*e & PTE_HUGE))) {
            *size = level == LEVEL_PT ? PAGE_SIZE : HUGE_PAGE_SIZE;
            return e;
        }
        table = table_at(*e & PTE_ADDR_MASK);
    }
    return NULL;
}

/* True if a CPU running now may have cached va's mapping in root: the
 * kernel half is in every address space (ch06), the user half only in
 * the one loaded. */
static bool maybe_cached(paddr_t root, uintptr_t va)
{
    return va >= KERNEL_HALF || (read_cr3() & PTE_ADDR_MASK) == root;
}

static void flush_if_current(paddr_t root, uintptr_t va)
{
    if (maybe_cached(root, va))
        invlpg((const void *)va);
}

/* The other CPUs run on the kernel's page tables too: after a mapping of
 * root changes, they must drop what they cached of it (a shootdown). A
 * kernel-half mapping is cached whatever address space a CPU runs on:
 * a thread of a program that frees kernel memory must shoot it down too. */
static void flush_others(paddr_t root, uintptr_t va, size_t npages)
{
    if (maybe_cached(root, va))
        smp_flush_pages(va, npages);
}

paddr_t pt_create(void)
{
    paddr_t root = frame_alloc();
    if (root != 0)
        memset(table_at(root), 0, PAGE_SIZE);
    return root;
}

static int map_at(paddr_t root, uintptr_t va, paddr_t pa, uint64_t flags, int level, uint64_t size)
{
    if (va % size != 0 || pa % size != 0 || !is_canonical(va) || (flags & ~PTE_FLAGS_MASK))
        return -EINVAL;
    int err = 0;
    spin_lock(&pt_lock);
    pte_t *e = find_entry(root, va, level, true, &err);
    if (e != NULL && (*e & PTE_PRESENT))
        err = -EEXIST;
    else if (e != NULL)     /* a not-present entry is never cached in the TLB: no flush */
        *e = pa | flags | PTE_PRESENT | (level == LEVEL_PD ? PTE_HUGE : 0);
    spin_unlock(&pt_lock);
    return err;
}

int pt_map(paddr_t root, uintptr_t va, paddr_t pa, uint64_t flags)
{
    return map_at(root, va, pa, flags, LEVEL_PT, PAGE_SIZE);
}

int pt_map_huge(paddr_t root, uintptr_t va, paddr_t pa, uint64_t flags)
{
    return map_at(root, va, pa, flags, LEVEL_PD, HUGE_PAGE_SIZE);
}

/* pt_unmap on this CPU only: the caller tells the others (flush_others). */
static int unmap_here(paddr_t root, uintptr_t va, paddr_t *pa)
{
    uint64_t size;
    spin_lock(&pt_lock);
    pte_t *e = find_leaf(root, va, &size);
    if (e != NULL) {
        if (pa != NULL)
            *pa = *e & PTE_ADDR_MASK;
        *e = 0;
        flush_if_current(root, va);
    }
    spin_unlock(&pt_lock);
    return e != NULL ? 0 : -ENOENT;
}

int pt_unmap(paddr_t root, uintptr_t va, paddr_t *pa)
{
    int err = unmap_here(root, va, pa);
    if (err == 0)
        flush_others(root, va, 1);
    return err;
}

int pt_map_fresh(paddr_t root, uintptr_t va, size_t npages, uint64_t flags)
{
    for (size_t i = 0; i < npages; i++) {
        paddr_t pa = frame_alloc();
        int err = pa == 0 ? -ENOMEM : pt_map(root, va + i * PAGE_SIZE, pa, flags);
        if (err) {
            if (pa != 0)
                frame_free(pa);
            if (pt_unmap_free(root, va, i) != 0)
                panic("pt_map_fresh: a page it mapped at %p is gone", (void *)va);
            return err;
        }
        memset(phys_to_virt(pa), 0, PAGE_SIZE);
    }
    return 0;
}

/* Unmapped a batch at a time, with one shootdown per batch rather than
 * per page; a frame is freed only once no CPU can reach it any more. */
int pt_unmap_free(paddr_t root, uintptr_t va, size_t npages)
{
    paddr_t pas[UNMAP_BATCH];
    for (size_t done = 0; done < npages;) {
        size_t n = npages - done < UNMAP_BATCH ? npages - done : UNMAP_BATCH;
        size_t unmapped = 0;
        while (unmapped < n && unmap_here(root, va + (done + unmapped) * PAGE_SIZE, &pas[unmapped]) == 0)
            unmapped++;
        flush_others(root, va + done * PAGE_SIZE, unmapped);
        for (size_t i = 0; i < unmapped; i++)
            frame_free(pas[i]);
        if (unmapped < n)
            return -ENOENT;
        done += n;
    }
    return 0;
}

int pt_translate(paddr_t root, uintptr_t va, paddr_t *pa, uint64_t *flags)
{
    uint64_t size;
    pte_t *e = find_leaf(root, va, &size);
    if (e == NULL)
        return -ENOENT;
    if (pa != NULL)
        *pa = (*e & PTE_ADDR_MASK & ~(size - 1)) + (va & (size - 1));
    if (flags != NULL)
        *flags = *e & PTE_FLAGS_MASK;
    return 0;
}

int pt_protect(paddr_t root, uintptr_t va, uint64_t flags)
{
    if (flags & ~PTE_FLAGS_MASK)
        return -EINVAL;
    uint64_t size;
    spin_lock(&pt_lock);
    pte_t *e = find_leaf(root, va, &size);
    if (e != NULL) {
        *e = (*e & ~PTE_FLAGS_MASK) | flags;
        flush_if_current(root, va);
    }
    spin_unlock(&pt_lock);
    if (e != NULL)
        flush_others(root, va, 1);
    return e != NULL ? 0 : -ENOENT;
}

static void walk_table(paddr_t table, int level, uintptr_t base,
                       void (*visit)(uintptr_t, uint64_t, uint64_t, void *), void *ctx)
{
    pte_t *t = table_at(table);
    for (unsigned i = 0; i < ENTRIES; i++) {
        if (!(t[i] & PTE_PRESENT))
            continue;
        uintptr_t va = base + ((uintptr_t)i << (12 + 9 * level));
        if (level == LEVELS - 1 && i >= ENTRIES / 2)
            va |= 0xFFFF000000000000ull;   /* sign-extend the upper half */
        if (level == LEVEL_PT)
            visit(va, t[i], PAGE_SIZE, ctx);
        else if (level == LEVEL_PD && (t[i] & PTE_HUGE))
            visit(va, t[i], HUGE_PAGE_SIZE, ctx);
        else
            walk_table(t[i] & PTE_ADDR_MASK, level - 1, va, visit, ctx);
    }
}

void pt_walk(paddr_t root, void (*visit)(uintptr_t va, uint64_t entry, uint64_t size, void *ctx), void *ctx)
{
    walk_table(root, LEVELS - 1, 0, visit, ctx);
}

paddr_t pt_create_user(void)
{
    paddr_t root = pt_create();
    if (root == 0)
        return 0;
    /* Share the kernel half: kernel_map_init made every one of its PML4
     * entries, so later kernel mappings, made below them, reach this
     * address space too. */
    pte_t *kernel = table_at(kernel_root), *user = table_at(root);
    for (unsigned i = ENTRIES / 2; i < ENTRIES; i++)
        user[i] = kernel[i];
    return root;
}

/* Free the tables below table (at level), the leaves already gone. */
static void free_tables(pte_t *table, int level)
{
    for (unsigned i = 0; i < ENTRIES; i++) {
        if (!(table[i] & PTE_PRESENT))
            continue;
        if (level > LEVEL_PT + 1)
            free_tables(table_at(table[i] & PTE_ADDR_MASK), level - 1);
        frame_free(table[i] & PTE_ADDR_MASK);
    }
}

void pt_destroy_user(paddr_t root)
{
    pte_t *pml4 = table_at(root);
    for (unsigned i = 0; i < ENTRIES / 2; i++) {
        if (pml4[i] & PTE_PRESENT) {
            free_tables(table_at(pml4[i] & PTE_ADDR_MASK), LEVELS - 2);
            frame_free(pml4[i] & PTE_ADDR_MASK);
        }
    }
    frame_free(root);
}

struct range_op {
    uintptr_t start, end;       /* what is left to visit */
    bool unmap;                 /* clear the leaves; else give them flags */
    uint64_t flags;
    paddr_t frames[UNMAP_BATCH];    /* unmapped, to free after the flush */
    size_t nframes;
    size_t count;               /* leaves visited */
};

/* Visit the present 4 KiB leaves of [op->start, op->end) under table,
 * which maps the addresses from base at level; skips missing tables. An
 * unmap stops when its batch of frames is full, op->start then says where
 * to go on. */
static void range_walk(pte_t *table, int level, uintptr_t base, struct range_op *op)
{
    uint64_t span = (uint64_t)PAGE_SIZE << (9 * level);
    for (unsigned i = 0; i < ENTRIES; i++) {
        uintptr_t va = base + i * span;
        if (va + span <= op->start || va >= op->end)
            continue;
        if (op->unmap && op->nframes == UNMAP_BATCH)
            return;
        pte_t *e = &table[i];
        if (!(*e & PTE_PRESENT))
            continue;
        if (level > LEVEL_PT) {
            if (*e & PTE_HUGE)
                panic("pt range: a huge page at %p in an address space of 4 KiB pages", (void *)va);
            range_walk(table_at(*e & PTE_ADDR_MASK), level - 1, va, op);
            continue;
        }
        op->count++;
        if (op->unmap) {
            op->frames[op->nframes++] = *e & PTE_ADDR_MASK;
            *e = 0;
            op->start = va + PAGE_SIZE;
        } else {
            *e = (*e & (PTE_ADDR_MASK | PTE_ACCESSED | PTE_DIRTY)) | op->flags | PTE_PRESENT;
        }
    }
}

/* Every CPU that may cache root's entries drops them for the range. */
static void flush_range(paddr_t root, uintptr_t start, uintptr_t end)
{
    size_t npages = (end - start) / PAGE_SIZE;
    if (maybe_cached(root, start)) {
        if (npages > FLUSH_ALL_PAGES)
            write_cr3(read_cr3());
        else
            for (size_t i = 0; i < npages; i++)
                invlpg((const void *)(start + i * PAGE_SIZE));
    }
    flush_others(root, start, npages);
}

size_t pt_unmap_range(paddr_t root, uintptr_t start, uintptr_t end,
                      void (*release)(paddr_t pa, void *ctx), void *ctx)
{
    struct range_op op = { .start = start, .end = end, .unmap = true };
    for (;;) {
        uintptr_t from = op.start;
        op.nframes = 0;
        spin_lock(&pt_lock);
        range_walk(table_at(root), LEVELS - 1, 0, &op);
        spin_unlock(&pt_lock);
        if (op.nframes == 0)
            return op.count;
        /* Free only once no CPU can reach the frames any more. */
        flush_range(root, from, op.start);
        for (size_t i = 0; i < op.nframes; i++)
            release(op.frames[i], ctx);
    }
}

size_t pt_protect_range(paddr_t root, uintptr_t start, uintptr_t end, uint64_t flags)
{
    struct range_op op = { .start = start, .end = end, .flags = flags };
    spin_lock(&pt_lock);
    range_walk(table_at(root), LEVELS - 1, 0, &op);
    spin_unlock(&pt_lock);
    if (op.count > 0)
        flush_range(root, start, end);
    return op.count;
}

struct share_op {
    paddr_t dst;
    uintptr_t start, end;
    bool cow;
    void (*share)(paddr_t pa);
    long count;
    int err;
};

/* Map each present leaf of [op->start, op->end) under table (level, from
 * base) into op->dst too; pt_lock held. */
static void share_walk(pte_t *table, int level, uintptr_t base, struct share_op *op)
{
    uint64_t span = (uint64_t)PAGE_SIZE << (9 * level);
    for (unsigned i = 0; i < ENTRIES && op->err == 0; i++) {
        uintptr_t va = base + i * span;
        if (va + span <= op->start || va >= op->end)
            continue;
        pte_t *e = &table[i];
        if (!(*e & PTE_PRESENT))
            continue;
        if (level > LEVEL_PT) {
            if (*e & PTE_HUGE)
                panic("pt share: a huge page at %p in an address space of 4 KiB pages", (void *)va);
            share_walk(table_at(*e & PTE_ADDR_MASK), level - 1, va, op);
            continue;
        }
        pte_t *d = find_entry(op->dst, va, LEVEL_PT, true, &op->err);
        if (d == NULL)
            return;
        if (op->cow)
            *e &= ~(pte_t)PTE_WRITABLE;
        op->share(*e & PTE_ADDR_MASK);
        *d = *e & ~(pte_t)(PTE_ACCESSED | PTE_DIRTY);
        op->count++;
    }
}

int pt_share_range(paddr_t dst, paddr_t src, uintptr_t start, uintptr_t end, bool cow,
                   void (*share)(paddr_t pa), size_t *count)
{
    struct share_op op = { dst, start, end, cow, share, 0, 0 };
    spin_lock(&pt_lock);
    share_walk(table_at(src), LEVELS - 1, 0, &op);
    spin_unlock(&pt_lock);
    /* src's threads may run on other CPUs with its pages cached writable. */
    if (cow && op.count > 0)
        flush_range(src, start, end);
    *count = (size_t)op.count;
    return op.err;
}

int pt_replace(paddr_t root, uintptr_t va, paddr_t pa, uint64_t flags, paddr_t *old)
{
    uint64_t size;
    if (flags & ~PTE_FLAGS_MASK)
        return -EINVAL;
    spin_lock(&pt_lock);
    pte_t *e = find_leaf(root, va, &size);
    if (e != NULL && size == PAGE_SIZE) {
        *old = *e & PTE_ADDR_MASK;
        *e = pa | flags | PTE_PRESENT;
        flush_if_current(root, va);
    }
    spin_unlock(&pt_lock);
    if (e == NULL || size != PAGE_SIZE)
        return -ENOENT;
    flush_others(root, va, 1);
    return 0;
}
