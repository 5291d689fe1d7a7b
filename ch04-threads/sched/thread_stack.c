/*
 * thread_stack.c: fixed slots of (guard page, stack pages) for threads.
 *
 * ch02's kpage allocator hands out fresh virtual addresses every time and
 * never reuses them; for stacks, made and dropped with every thread, the
 * page tables covering used-up addresses would pile up. Here slot i always
 * sits at the same address, and freed slots are reused last-in first-out.
 */
#include <stdint.h>

#include "frame.h"
#include "kernel_map.h"
#include "memlayout.h"
#include "paging.h"
#include "panic.h"
#include "spinlock.h"
#include "string.h"
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

static void unmap_pages(int slot, int npages)
{
    for (int i = 0; i < npages; i++) {
        paddr_t pa;
        if (pt_unmap(kernel_root, stack_bottom(slot) + (uint64_t)i * PAGE_SIZE, &pa) != 0)
            panic("thread stack %d: page %d is not mapped", slot, i);
        frame_free(pa);
    }
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
    for (int i = 0; i < THREAD_STACK_PAGES; i++) {
        paddr_t pa = frame_alloc();
        if (pa == 0 || pt_map(kernel_root, stack_bottom(slot) + (uint64_t)i * PAGE_SIZE, pa,
                              PTE_WRITABLE | PTE_NX) != 0) {
            if (pa != 0)
                frame_free(pa);
            unmap_pages(slot, i);
            give_slot(slot);
            return -1;
        }
        memset(phys_to_virt(pa), 0, PAGE_SIZE);
    }
    *top = stack_bottom(slot) + THREAD_STACK_PAGES * PAGE_SIZE;
    return slot;
}

void thread_stack_free(int slot)
{
    unmap_pages(slot, THREAD_STACK_PAGES);
    give_slot(slot);
}

int thread_stack_guard_slot(uint64_t addr)
{
    if (addr < THREAD_STACKS_BASE || addr >= THREAD_STACKS_BASE + (uint64_t)THREAD_STACK_SLOTS * SLOT_SIZE)
        return -1;
    uint64_t offset = addr - THREAD_STACKS_BASE;
    return offset % SLOT_SIZE < PAGE_SIZE ? (int)(offset / SLOT_SIZE) : -1;
}
