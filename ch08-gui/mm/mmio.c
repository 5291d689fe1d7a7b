/*
 * mmio.c: device registers mapped uncached, and a framebuffer mapped
 * write-combining, from MMIO_BASE up (see mmio.h).
 *
 * The window only grows: drivers map their devices once, at boot, and keep
 * them. Every mapping starts on a page of its own, at the same offset in
 * the page as its physical address.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel_map.h"
#include "kprintf.h"
#include "memlayout.h"
#include "mmio.h"
#include "paging.h"
#include "spinlock.h"
#include "x86.h"

static struct spinlock lock = SPINLOCK_INIT("mmio window");
/* The window's first unused address. Not MMIO_BASE itself: the boot made
 * a page table under its first 2 MiB (kernel_map.c's make_kernel_half
 * maps a page at the start of every kernel PML4 slot), and a 2 MiB
 * mapping cannot go where a page table is. */
static uint64_t next = MMIO_BASE + HUGE_PAGE_SIZE;

/* size bytes at pa into the window with these page flags (mmio_map). */
static void *map_range(paddr_t pa, size_t size, const char *what, uint64_t flags)
{
    if (size == 0 || pa + size < pa) {
        kprintf("mmio: %s: %zu bytes at 0x%llx is not a range\n", what, size, (unsigned long long)pa);
        return NULL;
    }
    /* 2 MiB pages where the range allows (ECAM's 256 MiB takes one page
     * table of them, not 128 of 4 KiB pages), 4 KiB pages otherwise. */
    uint64_t page = pa % HUGE_PAGE_SIZE == 0 && size % HUGE_PAGE_SIZE == 0 ? HUGE_PAGE_SIZE : PAGE_SIZE;
    paddr_t first = pa & ~(paddr_t)(page - 1);
    uint64_t span = (pa + size - first + page - 1) & ~(page - 1);
    spin_lock(&lock);
    uint64_t va = (next + page - 1) & ~(page - 1);
    bool room = va <= MMIO_LIMIT && span <= MMIO_LIMIT - va;
    if (room)
        next = va + span;
    spin_unlock(&lock);
    if (!room) {
        kprintf("mmio: %s: no room left for %llu KiB of registers\n", what,
                (unsigned long long)(span >> 10));
        return NULL;
    }
    for (uint64_t off = 0; off < span; off += page) {
        int err = page == HUGE_PAGE_SIZE ? pt_map_huge(kernel_root, va + off, first + off, flags)
                                         : pt_map(kernel_root, va + off, first + off, flags);
        if (err != 0) {
            /* The window's addresses are never reused: what was mapped
             * of it stays, harmless, and the driver gives up. */
            kprintf("mmio: %s: cannot map 0x%llx (error %d)\n", what,
                    (unsigned long long)(first + off), err);
            return NULL;
        }
    }
    return (void *)(va + (pa - first));
}

void *mmio_map(paddr_t pa, size_t size, const char *what)
{
    return map_range(pa, size, what, PTE_WRITABLE | PTE_NX | PTE_PCD | PTE_PWT);
}

/* The page attribute table (SDM vol 3A, 11.12): the PAT, PCD and PWT bits
 * of an entry pick one of eight memory types from MSR IA32_PAT. At reset
 * its entries are WB, WT, UC-, UC, and again. Entry 1 (PWT alone, which
 * nothing else in the kernel sets) becomes write-combining here, as Linux
 * does it; the MSR must say the same on every CPU. */
#define MSR_PAT 0x277
#define PAT_WITH_WC 0x0007040600070106ull   /* WB, WC, UC-, UC, WB, WT, UC-, UC */

static bool have_wc;

bool mmio_wc_init(void)
{
    uint32_t a, b, c, d;
    cpuid(CPUID_FEATURES, &a, &b, &c, &d);
    if (!(d & CPUID_EDX_PAT))
        return false;
    wrmsr(MSR_PAT, PAT_WITH_WC);
    have_wc = true;
    return true;
}

void mmio_wc_init_ap(void)
{
    if (have_wc)
        wrmsr(MSR_PAT, PAT_WITH_WC);
}

void *mmio_map_wc(paddr_t pa, size_t size, const char *what, bool *wc)
{
    *wc = have_wc;
    return map_range(pa, size, what, PTE_WRITABLE | PTE_NX | (have_wc ? PTE_PWT : PTE_PCD | PTE_PWT));
}
