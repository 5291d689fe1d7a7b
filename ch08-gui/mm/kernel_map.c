/*
 * kernel_map.c: the kernel's final page tables, W^X.
 *
 * boot/entry.S mapped 4 GiB writable and executable three times over, with
 * 2 MiB pages. Here each section of the image gets 4 KiB pages with only the
 * rights it needs, so a stray write cannot change code and injected data
 * cannot run:
 *
 *   .text            read, execute
 *   .rodata          read
 *   .data, .bss      read, write, no execute (minus the stack guard page)
 *   direct map       read, write, no execute (read-only over .text and .rodata)
 *
 * The identity map is not carried over: after the switch, a null or
 * low-memory pointer faults instead of quietly reading physical memory.
 */
#include <stdint.h>

#include "frame.h"
#include "kernel_map.h"
#include "kprintf.h"
#include "memlayout.h"
#include "paging.h"

#define PML4_SPAN (1ull << 39)       /* what one PML4 entry maps: 512 GiB */
#include "panic.h"
#include "x86.h"

#define GIB 0x40000000ull
#define MIN_DIRECT_MAP (4 * GIB)   /* also covers the devices below 4 GiB (ch03's APIC) */

paddr_t kernel_root;

static void map_image_range(const char *start, const char *end, uint64_t flags)
{
    for (uintptr_t va = (uintptr_t)start; va < (uintptr_t)end; va += PAGE_SIZE) {
        int err = pt_map(kernel_root, va, kernel_to_phys((const void *)va), flags);
        if (err)
            panic("kernel map: cannot map %p (error %d)", (void *)va, err);
    }
}

/*
 * The 2 MiB of the direct map at pa, in 4 KiB pages, so that the kernel's
 * code and read-only data are read-only here too: otherwise a stray write
 * through the direct map could still change them.
 */
static int direct_map_small(paddr_t pa)
{
    paddr_t ro_start = (paddr_t)(uintptr_t)__kernel_phys_start;
    paddr_t ro_end = kernel_to_phys(__rodata_end);
    for (paddr_t p = pa; p < pa + HUGE_PAGE_SIZE; p += PAGE_SIZE) {
        uint64_t flags = p >= ro_start && p < ro_end ? PTE_NX : PTE_WRITABLE | PTE_NX;
        int err = pt_map(kernel_root, DIRECT_MAP_BASE + p, p, flags);
        if (err)
            return err;
    }
    return 0;
}

/* NX needs CPUID 0x80000001 EDX bit 20, then EFER.NXE (SDM vol 3A, 4.1.1). */
static void enable_nx(void)
{
    uint32_t a, b, c, d;
    cpuid(CPUID_EXT_FEATURES, &a, &b, &c, &d);
    if (!(d & CPUID_EXT_EDX_NX))
        panic("this CPU has no no-execute (NX) bit, which the W^X kernel map needs");
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
}

/* Every PML4 entry of the kernel half, made now: user address spaces
 * copy them (pt_create_user), and a kernel mapping made later lands in a
 * table below one of them, which every address space then sees. */
static void make_kernel_half(void)
{
    for (uint64_t va = KERNEL_HALF; va != 0; va += PML4_SPAN) {
        paddr_t pa;
        if (pt_translate(kernel_root, va, &pa, NULL) == 0)
            continue;
        /* Map and unmap a page: pt_map makes the tables on the way. */
        paddr_t probe = frame_alloc();
        if (probe == 0 || pt_map(kernel_root, va, probe, PTE_NX) != 0 ||
            pt_unmap(kernel_root, va, NULL) != 0)
            panic("kernel map: cannot make the kernel half's tables");
        frame_free(probe);
    }
}

void kernel_map_init(void)
{
    enable_nx();
    kernel_root = pt_create();
    if (kernel_root == 0)
        panic("kernel map: out of memory for the PML4");

    map_image_range(__text_start, __text_end, 0);
    map_image_range(__rodata_start, __rodata_end, PTE_NX);
    map_image_range(__data_start, boot_stack_guard, PTE_WRITABLE | PTE_NX);
    map_image_range(boot_stack_guard + PAGE_SIZE, __bss_end, PTE_WRITABLE | PTE_NX);

    paddr_t image_end = kernel_to_phys(__rodata_end);
    paddr_t limit = frame_phys_limit();
    if (limit < MIN_DIRECT_MAP)
        limit = MIN_DIRECT_MAP;
    limit = (limit + HUGE_PAGE_SIZE - 1) & ~(paddr_t)(HUGE_PAGE_SIZE - 1);
    for (paddr_t pa = 0; pa < limit; pa += HUGE_PAGE_SIZE) {
        int err = pa < image_end ? direct_map_small(pa) :
                  pt_map_huge(kernel_root, DIRECT_MAP_BASE + pa, pa, PTE_WRITABLE | PTE_NX);
        if (err)
            panic("kernel map: cannot direct-map 0x%llx (error %d)", (unsigned long long)pa, err);
    }

    make_kernel_half();
    write_cr3(kernel_root);
    kprintf("paging: kernel image W^X at %p, direct map of %llu MiB at %p, identity map dropped\n",
            (void *)__text_start, (unsigned long long)(limit >> 20), (void *)DIRECT_MAP_BASE);
}
