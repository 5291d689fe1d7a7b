/*
 * thread_stack.c: fixed slots of (guard page, stack pages) for threads.
 *
 * Slot i always sits at the same address, so a fault address alone tells
 * whose guard page it hit (thread_stack_guard_slot), and freed slots are
 * reused last-in first-out. Mapping and unmapping are mm/paging.c's
 * (pt_map_fresh, pt_unmap_free), the same as for kpage's runs.
 *
 * The last STACK_CACHE slots freed keep their pages mapped, for the next
 * threads. Unmapping costs more than the pages: every other CPU must drop
 * the old translations first (a TLB shootdown, sched/smp.c), a round trip
 * between CPUs on every thread's exit. Cached, a stack is only zeroed
 * again. The price: a stale pointer into a freed stack that is cached
 * writes into it instead of faulting.
 *
 * A stack fills the top of its slot: a small one (GO_STACK_PAGES, for the
 * thousands of threads go() starts) leaves more of the slot unmapped below
 * it, and all of that unmapped part is its guard.
 */
#include <stdbool.h>
#include <stdint.h>

#include "kernel_map.h"
#include "memlayout.h"
#include "paging.h"
#include "panic.h"
#include "spinlock.h"
#include "string.h"
#include "thread_stack.h"

#define SLOT_SIZE ((THREAD_STACK_PAGES + 1) * PAGE_SIZE)   /* guard + the largest stack */
#define STACK_CACHE 16                                      /* freed slots kept mapped */

static struct spinlock lock = SPINLOCK_INIT("thread stacks");
static uint16_t free_slots[THREAD_STACK_SLOTS];     /* a stack of reusable slot numbers */
static int nfree;
static int never_used = 0;                          /* slots >= this were never mapped */
static uint16_t cached_slots[STACK_CACHE];          /* freed, still mapped */
static int ncached;
static uint8_t slot_pages[THREAD_STACK_SLOTS];      /* pages mapped in each slot in use or cached */

static uint64_t stack_bottom(int slot, unsigned pages)
{
    return THREAD_STACKS_BASE + (uint64_t)(slot + 1) * SLOT_SIZE - (uint64_t)pages * PAGE_SIZE;
}

static int take_slot(void)
{
    spin_lock(&lock);
    int slot = -1;
    if (nfree > 0)
        slot = free_slots[--nfree];
    else if (never_used < THREAD_STACK_SLOTS)
        slot = never_used++;
    spin_unlock(&lock);
    return slot;
}

static void give_slot(int slot)
{
    spin_lock(&lock);
    free_slots[nfree++] = (uint16_t)slot;
    spin_unlock(&lock);
}

/* The freed slot last cached with a stack of this many pages, or -1. */
static int take_cached(unsigned pages)
{
    spin_lock(&lock);
    int slot = -1;
    for (int i = ncached - 1; i >= 0; i--) {
        if (slot_pages[cached_slots[i]] == pages) {
            slot = cached_slots[i];
            cached_slots[i] = cached_slots[--ncached];
            break;
        }
    }
    spin_unlock(&lock);
    return slot;
}

int thread_stack_alloc(unsigned pages, uint64_t *top)
{
    if (pages == 0 || pages > THREAD_STACK_PAGES)
        panic("thread_stack_alloc: %u pages (1 to %d)", pages, THREAD_STACK_PAGES);
    int slot = take_cached(pages);
    if (slot >= 0) {
        memset((void *)stack_bottom(slot, pages), 0, pages * PAGE_SIZE);
        *top = stack_bottom(slot, pages) + pages * PAGE_SIZE;
        return slot;
    }
    slot = take_slot();
    if (slot < 0)
        return -1;
    if (pt_map_fresh(kernel_root, stack_bottom(slot, pages), pages, PTE_WRITABLE | PTE_NX) != 0) {
        give_slot(slot);
        return -1;
    }
    slot_pages[slot] = (uint8_t)pages;
    *top = stack_bottom(slot, pages) + pages * PAGE_SIZE;
    return slot;
}

void thread_stack_free(int slot)
{
    spin_lock(&lock);
    bool cached = ncached < STACK_CACHE;
    if (cached)
        cached_slots[ncached++] = (uint16_t)slot;
    spin_unlock(&lock);
    if (cached)
        return;
    if (pt_unmap_free(kernel_root, stack_bottom(slot, slot_pages[slot]), slot_pages[slot]) != 0)
        panic("thread stack %d is not mapped", slot);
    give_slot(slot);
}

unsigned thread_stack_cached_pages(void)
{
    spin_lock(&lock);
    unsigned pages = 0;
    for (int i = 0; i < ncached; i++)
        pages += slot_pages[cached_slots[i]];
    spin_unlock(&lock);
    return pages;
}

int thread_stack_guard_slot(uint64_t addr)
{
    if (addr < THREAD_STACKS_BASE || addr >= THREAD_STACKS_BASE + (uint64_t)THREAD_STACK_SLOTS * SLOT_SIZE)
        return -1;
    int slot = (int)((addr - THREAD_STACKS_BASE) / SLOT_SIZE);
    /* No lock: the fault path asks, perhaps from inside this file. */
    unsigned pages = __atomic_load_n(&slot_pages[slot], __ATOMIC_RELAXED);
    if (pages == 0)
        pages = THREAD_STACK_PAGES;     /* never used: its guard is the usual page */
    return addr < stack_bottom(slot, pages) ? slot : -1;
}
