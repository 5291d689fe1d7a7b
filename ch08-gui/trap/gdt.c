/*
 * gdt.c: the kernel's final GDT, with a TSS for the interrupt stacks, one
 * of each per CPU.
 *
 * In long mode segmentation is almost gone, but two things still live in
 * the GDT: the code segment's L bit, and the task state segment (TSS), whose
 * interrupt stack table (IST) gives chosen vectors a stack of their own
 * (SDM vol 3A, 7.7 and 6.14.5). The double fault uses IST1: when the kernel
 * stack overflows into its guard page, the CPU cannot push the page fault's
 * frame on that stack, so it raises a double fault, which must run on a
 * stack that is known to be good.
 *
 * boot/entry.S's GDT is in .rodata, read-only since ch02; LTR writes the
 * "busy" bit into the TSS descriptor, so this GDT is a writable static.
 */
#include <stdint.h>

#include "cpu.h"
#include "gdt.h"
#include "string.h"
#include "x86.h"

/* 0x18 stays null: SYSRET loads SS from STAR's selector + 8 and CS from
 * + 16 (SDM vol 2B, SYSRET), so user data (0x20) and code (0x28) follow
 * a slot that would be 32-bit user code, which cubos does not run. */
#define GDT_TSS 0x30            /* the TSS descriptor takes two slots: 0x30 and 0x38 */
#define GDT_ENTRIES 8
#define IST_STACK_SIZE 16384

/* Descriptor bits (SDM vol 3A, 3.4.5 and 7.2.3). */
#define DESC_CODE64 0x00AF9B000000FFFFull   /* as in boot/entry.S: ring 0, L=1, accessed */
#define DESC_DATA 0x00CF93000000FFFFull
#define DESC_USER_CODE64 0x00AFFB000000FFFFull  /* the same at DPL 3 */
#define DESC_USER_DATA 0x00CFF3000000FFFFull
#define DESC_TSS_AVAILABLE 0x89ull           /* present, type 9: 64-bit TSS (available) */

/* The 64-bit TSS (SDM vol 3A, figure 7-11). */
struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];            /* stacks for entering rings 0-2 from user mode: rsp[0] */
    uint64_t reserved1;
    uint64_t ist[7];            /* IST1..IST7 */
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));

struct gdt_pointer {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

/* One GDT and TSS per CPU: a TSS holds that CPU's interrupt stacks, and
 * LTR marks its descriptor busy, so no two CPUs can share one. */
static uint64_t gdts[MAX_CPUS][GDT_ENTRIES];
static struct tss tsses[MAX_CPUS];
static uint8_t ist_stacks[MAX_CPUS][IST_COUNT][IST_STACK_SIZE] __attribute__((aligned(16)));

/* A TSS descriptor is 16 bytes: base and limit scattered over two slots. */
static void set_tss_descriptor(uint64_t *slot, uint64_t base, uint32_t limit)
{
    slot[0] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (DESC_TSS_AVAILABLE << 40) |
              ((uint64_t)((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
    slot[1] = base >> 32;
}

void gdt_init(unsigned cpu)
{
    uint64_t *gdt = gdts[cpu];
    struct tss *tss = &tsses[cpu];
    gdt[0] = 0;
    gdt[GDT_KERNEL_CODE / 8] = DESC_CODE64;
    gdt[GDT_KERNEL_DATA / 8] = DESC_DATA;
    gdt[GDT_USER_DATA / 8] = DESC_USER_DATA;
    gdt[GDT_USER_CODE / 8] = DESC_USER_CODE64;
    memset(tss, 0, sizeof(*tss));
    for (int i = 0; i < IST_COUNT; i++)
        tss->ist[i] = (uint64_t)(ist_stacks[cpu][i] + IST_STACK_SIZE);
    tss->iomap_base = sizeof(*tss);         /* no I/O permission bitmap */
    set_tss_descriptor(&gdt[GDT_TSS / 8], (uint64_t)tss, sizeof(*tss) - 1);

    struct gdt_pointer p = { sizeof(gdts[cpu]) - 1, (uint64_t)gdt };
    /* Reload CS with a far return (there is no far jump to an immediate in
     * 64-bit mode), then the data segments, then the task register. */
    __asm__ volatile("lgdt %0\n\t"
                     "pushq %1\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\n\t"
                     "movw %w2, %%ds\n\t"
                     "movw %w2, %%es\n\t"
                     "movw %w2, %%ss\n\t"
                     "ltr %w3"
                     :
                     : "m"(p), "i"(GDT_KERNEL_CODE), "r"(GDT_KERNEL_DATA), "r"(GDT_TSS)
                     : "rax", "memory");
}

void gdt_set_kernel_stack(unsigned cpu, uint64_t top)
{
    tsses[cpu].rsp[0] = top;
}
