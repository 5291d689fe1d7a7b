/*
 * thread_stack.c: fixed slots of (guard page, stack pages) for threads.
 *
 * Slot i always sits at the same address, so a fault address alone tells
 * whose guard page it hit (thread_stack_guard_slot), and freed slots are
 * reused last-in first-out. Mapping and unmapping are mm/paging.c's
 * (pt_map_fresh, pt_unmap_free), the same as for kpage's runs.
 */
#include <stdint.h>

#include "kernel_map.h"
#include "memlayout.h"
#include "paging.h"
#include "panic.h"
#include "spinlock.h"
#include "thread_stack.h"

#define SLOT_SIZE ((THREAD_STACK_PAGES + 1) * PAGE_SIZE)   /* guard + stack */

static struct spinlock lock = SPINLOCK_INIT("thread stacks");
static uint16_t free_slots[THREAD_STACK_SLOTS];     /* a stack of reusable slot numbers */
static int nfree;
static int never_used = 0;                          /* slots >= this were never mapped */

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

int thread_stack_alloc(uint64_t *top)
{
    int slot = take_slot();
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
    if (pt_unmap_free(kernel_root, stack_bottom(slot), THREAD_STACK_PAGES) != 0)
        panic("thread stack %d is not mapped", slot);
    give_slot(slot);
}

int thread_stack_guard_slot(uint64_t addr)
{
    if (addr < THREAD_STACKS_BASE || addr >= THREAD_STACKS_BASE + (uint64_t)THREAD_STACK_SLOTS * SLOT_SIZE)
        return -1;
    uint64_t offset = addr - THREAD_STACKS_BASE;
    return offset % SLOT_SIZE < PAGE_SIZE ? (int)(offset / SLOT_SIZE) : -1;
}
