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

#define SLOT_SIZE ((THREAD_STACK_PAGES + 1) * PAGE_SIZE)   /* guard + stack */
#define STACK_CACHE 16                                      /* freed slots kept mapped */

static struct spinlock lock = SPINLOCK_INIT("thread stacks");
static uint16_t free_slots[THREAD_STACK_SLOTS];     /* a stack of reusable slot numbers */
static int nfree;
static int never_used = 0;                          /* slots >= this were never mapped */
static uint16_t cached_slots[STACK_CACHE];          /* freed, still mapped */
static int ncached;

static uint64_t stack_bottom(int slot)
{
    return THREAD_STACKS_BASE + (uint64_t)slot * SLOT_SIZE + PAGE_SIZE;
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

/* A freed slot whose pages are still mapped, or -1. */
static int take_cached(void)
{
    spin_lock(&lock);
    int slot = ncached > 0 ? cached_slots[--ncached] : -1;
    spin_unlock(&lock);
    return slot;
}

int thread_stack_alloc(uint64_t *top)
{
    int slot = take_cached();
    if (slot >= 0) {
        memset((void *)stack_bottom(slot), 0, THREAD_STACK_PAGES * PAGE_SIZE);
        *top = stack_bottom(slot) + THREAD_STACK_PAGES * PAGE_SIZE;
        return slot;
    }
    slot = take_slot();
    if (slot < 0)
        return -1;
    if (pt_map_fresh(kernel_root, stack_bottom(slot), THREAD_STACK_PAGES, PTE_WRITABLE | PTE_NX) != 0) {
        give_slot(slot);
        return -1;
    }
    *top = stack_bottom(slot) + THREAD_STACK_PAGES * PAGE_SIZE;
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
    if (pt_unmap_free(kernel_root, stack_bottom(slot), THREAD_STACK_PAGES) != 0)
        panic("thread stack %d is not mapped", slot);
    give_slot(slot);
}

unsigned thread_stack_cached_pages(void)
{
    spin_lock(&lock);
    unsigned pages = (unsigned)ncached * THREAD_STACK_PAGES;
    spin_unlock(&lock);
    return pages;
}

int thread_stack_guard_slot(uint64_t addr)
{
    if (addr < THREAD_STACKS_BASE || addr >= THREAD_STACKS_BASE + (uint64_t)THREAD_STACK_SLOTS * SLOT_SIZE)
        return -1;
    uint64_t offset = addr - THREAD_STACKS_BASE;
    return offset % SLOT_SIZE < PAGE_SIZE ? (int)(offset / SLOT_SIZE) : -1;
}
