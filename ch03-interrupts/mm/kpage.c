/*
 * kpage.c: page-granular kernel allocations.
 *
 * Virtual addresses for multi-page runs come from a bump pointer and are
 * never reused: the kernel's half of the address space has room for 2^45
 * bytes of them, and a freed run stays unmapped, so a use after free faults.
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
#include "string.h"

static uintptr_t next_va = KPAGE_BASE;

static void unmap_run(uintptr_t va, size_t npages)
{
    for (size_t i = 0; i < npages; i++) {
        paddr_t pa;
        if (pt_unmap(kernel_root, va + i * PAGE_SIZE, &pa) != 0)
            panic("kpage: page %p of a run is not mapped", (void *)(va + i * PAGE_SIZE));
        frame_free(pa);
    }
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

    uintptr_t span = (npages + 1) * PAGE_SIZE;      /* + an unmapped guard page */
    if (npages > (KPAGE_LIMIT - KPAGE_BASE) / PAGE_SIZE || span > KPAGE_LIMIT - next_va)
        return NULL;
    uintptr_t va = next_va;
    for (size_t i = 0; i < npages; i++) {
        paddr_t pa = frame_alloc();
        if (pa == 0 || pt_map(kernel_root, va + i * PAGE_SIZE, pa, PTE_WRITABLE | PTE_NX) != 0) {
            if (pa != 0)
                frame_free(pa);
            unmap_run(va, i);
            return NULL;
        }
        memset(phys_to_virt(pa), 0, PAGE_SIZE);
    }
    next_va += span;
    return (void *)va;
}

void kpage_free(void *addr, size_t npages)
{
    uintptr_t va = (uintptr_t)addr;
    if (npages == 1 && va >= DIRECT_MAP_BASE && va < KPAGE_BASE)
        frame_free(virt_to_phys(addr));
    else
        unmap_run(va, npages);
}

bool kpage_readable(const void *addr)
{
    return pt_translate(kernel_root, (uintptr_t)addr, NULL, NULL) == 0;
}
