/*
 * kpage.c: page-granular kernel allocations.
 *
 * A run of several pages gets virtual addresses in the kpage region from a
 * va_pool, first fit, with an unmapped guard page after it; freed ranges go
 * back to the pool and are handed out again. Reuse is what keeps the
 * kernel's memory bounded: fresh addresses every time would need a new page
 * table for every 2 MiB ever handed out, and pt_unmap leaves empty tables in
 * place. Freeing those tables instead was the other way; it is not taken
 * because a table can only be freed once no CPU holds it in its paging-
 * structure caches (SDM vol 3A, 4.10.3), which with several CPUs means a
 * shootdown on every free. With reuse, the tables cover no more than the
 * region's busiest moment and stay for the next runs. The price: a use after
 * free faults only until the addresses are handed out again. A spinlock
 * (since ch04) keeps two threads from taking the same addresses.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "kernel_map.h"
#include "kpage.h"
#include "memlayout.h"
#include "paging.h"
#include "panic.h"
#include "spinlock.h"
#include "string.h"
#include "va_pool.h"

#define KPAGE_MAX_HOLES 4096    /* so up to 4095 runs out at once; 64 KiB of holes */

static struct spinlock lock = SPINLOCK_INIT("kpage");
static struct va_range holes[KPAGE_MAX_HOLES];
static struct va_pool addresses;    /* set up on first use */

/* The bytes a run of npages takes in the region, with its guard page. */
static uint64_t span_of(size_t npages)
{
    return (uint64_t)(npages + 1) * PAGE_SIZE;
}

/* The addresses for npages and their guard page; 0 if there are none left. */
static uintptr_t take_addresses(size_t npages)
{
    spin_lock(&lock);
    if (addresses.capacity == 0)
        va_pool_init(&addresses, holes, KPAGE_MAX_HOLES, KPAGE_BASE, KPAGE_LIMIT);
    uintptr_t va = va_pool_alloc(&addresses, span_of(npages));
    spin_unlock(&lock);
    return va;
}

static int give_addresses(uintptr_t va, size_t npages)
{
    spin_lock(&lock);
    int err = va_pool_free(&addresses, va, span_of(npages));
    spin_unlock(&lock);
    return err;
}

void *kpage_alloc(size_t npages)
{
    if (npages == 0)
        return NULL;
    if (npages == 1) {
        paddr_t pa = frame_alloc();
        if (pa == 0)
            return NULL;
        return memset(phys_to_virt(pa), 0, PAGE_SIZE);
    }

    if (npages >= (KPAGE_LIMIT - KPAGE_BASE) / PAGE_SIZE)
        return NULL;
    uintptr_t va = take_addresses(npages);
    if (va == 0)
        return NULL;
    if (pt_map_fresh(kernel_root, va, npages, PTE_WRITABLE | PTE_NX) != 0) {
        if (give_addresses(va, npages) != 0)
            panic("kpage: cannot return the addresses at %p", (void *)va);
        return NULL;
    }
    return (void *)va;
}

void kpage_free(void *addr, size_t npages)
{
    uintptr_t va = (uintptr_t)addr;
    if (npages == 1 && va >= DIRECT_MAP_BASE && va < KPAGE_BASE) {
        frame_free(virt_to_phys(addr));
        return;
    }
    /* Unmapped first: the addresses must be free of old pages before they are reused. */
    if (pt_unmap_free(kernel_root, va, npages) != 0 || give_addresses(va, npages) != 0)
        panic("kpage_free(%p, %zu): not a run from kpage_alloc (double free or bad address)", addr, npages);
}

bool kpage_readable(const void *addr)
{
    return pt_translate(kernel_root, (uintptr_t)addr, NULL, NULL) == 0;
}
