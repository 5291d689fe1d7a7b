/*
 * memlayout.h: where things live in the kernel's virtual address space.
 *
 *   0xFFFFFFFF80000000  the kernel image (top 2 GiB: -mcmodel=kernel code
 *                       reaches every symbol with a sign-extended 32-bit
 *                       address), physical 0 and up
 *   0xFFFFE00000000000  thread stacks, each above an unmapped guard page
 *   0xFFFFD00000000000  devices' registers (PCI BARs, ECAM), uncached
 *   0xFFFFC00000000000  kernel page allocations (heap pages, larger than one frame)
 *   0xFFFF800000000000  the direct map: all physical memory, at this offset
 *   0x0000800000000000  USER_TOP: the lower half below it belongs to the
 *                       running program (proc/vm.c lays it out)
 *   0x0000000000000000  never mapped (USER_MIN: NULL and near it fault)
 *
 * Shared with boot/entry.S, so plain #defines.
 */
#ifndef CUBOS_MEMLAYOUT_H
#define CUBOS_MEMLAYOUT_H

#define KERNEL_OFFSET 0xFFFFFFFF80000000
#define DIRECT_MAP_BASE 0xFFFF800000000000
#define KPAGE_BASE 0xFFFFC00000000000
#define KPAGE_LIMIT 0xFFFFD00000000000
#define MMIO_BASE 0xFFFFD00000000000
#define MMIO_LIMIT 0xFFFFE00000000000
#define THREAD_STACKS_BASE 0xFFFFE00000000000
#define KERNEL_HALF 0xFFFF800000000000  /* PML4 slots 256-511: the same in every address space */

/* A user program's address space (proc/vm.c). */
#define USER_TOP 0x0000800000000000     /* the end of the lower canonical half */
#define USER_MIN 0x10000                /* nothing below: NULL dereferences fault (Linux's mmap_min_addr) */
/* Nothing in the last page either: a SYSCALL at its very end would leave
 * RCX = USER_TOP, a non-canonical return address, and IRETQ to one faults
 * in ring 0 with the program's GS base loaded (Linux keeps it unmapped
 * for the same reason). */
#define USER_MAP_END (USER_TOP - PAGE_SIZE)
#define USER_STACK_TOP 0x00007FFFFFFFF000
#define USER_STACK_MAX (8 << 20)        /* 8 MiB, Linux's default RLIMIT_STACK */
#define USER_MMAP_TOP 0x00007F0000000000  /* mmap places regions downward from here */
#define USER_PIE_BASE 0x0000555555554000  /* where a static-PIE program is loaded */

#define PAGE_SHIFT 12            /* a page (and a physical frame) is 4 KiB */
#define PAGE_SIZE (1 << PAGE_SHIFT)
#define HUGE_PAGE_SIZE 0x200000  /* a 2 MiB page, mapped by a page directory entry */

#ifndef __ASSEMBLER__
#include <stdint.h>

typedef uint64_t paddr_t;

/* The direct-map address of physical address p. */
static inline void *phys_to_virt(paddr_t p)
{
    return (void *)(p + DIRECT_MAP_BASE);
}

/* The physical address behind a direct-map address. */
static inline paddr_t virt_to_phys(const void *v)
{
    return (uintptr_t)v - DIRECT_MAP_BASE;
}

/* The physical address of something in the kernel image (a symbol). */
static inline paddr_t kernel_to_phys(const void *v)
{
    return (uintptr_t)v - KERNEL_OFFSET;
}

/* Bounds of the image and its sections, from kernel.ld. */
extern char __kernel_phys_start[], __kernel_end[];
extern char __text_start[], __text_end[];
extern char __rodata_start[], __rodata_end[];
extern char __data_start[], __bss_end[];
extern char boot_stack_guard[], boot_stack_top[];
#endif

#endif
