/*
 * x86.h: architectural constants and the few instructions C cannot express.
 *
 * Shared by assembly (boot/entry.S) and C, so the constants are plain
 * #defines; the inline functions are hidden from the assembler.
 * References are to the Intel SDM, volume 3A, unless noted.
 */
#ifndef CUBOS_X86_H
#define CUBOS_X86_H

/* Control registers (SDM 2.5). */
#define CR0_PE (1 << 0)           /* protected mode */
#define CR0_WP (1 << 16)          /* ring 0 honours read-only pages too */
#define CR0_PG 0x80000000         /* paging */
#define CR4_PAE (1 << 5)          /* 64-bit page-table entries; long mode needs it */

/* Extended feature enable register (SDM 2.2.1, MSR 0xC0000080). */
#define MSR_EFER 0xC0000080
#define EFER_LME (1 << 8)         /* long mode enable */

/* EFLAGS.ID: software can toggle it only if CPUID exists (SDM vol 2A, CPUID). */
#define EFLAGS_ID (1 << 21)

/* CPUID leaf 0x80000001, EDX bit 29: Intel 64 / long mode available. */
#define CPUID_EXT_MAX 0x80000000
#define CPUID_EXT_FEATURES 0x80000001
#define CPUID_EXT_EDX_LM (1 << 29)

/* Page-table entry bits (SDM 4.5, tables 4-15 to 4-20). */
#define PTE_PRESENT (1 << 0)
#define PTE_WRITABLE (1 << 1)
#define PTE_HUGE (1 << 7)         /* in a page directory entry: maps 2 MiB */

/* Selectors of the 64-bit GDT built in boot/entry.S. */
#define GDT_KERNEL_CODE 0x08
#define GDT_KERNEL_DATA 0x10

#ifndef __ASSEMBLER__
#include <stdint.h>

static inline void outb(uint16_t port, uint8_t value)
{
    __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t value;
    __asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

static inline void outl(uint16_t port, uint32_t value)
{
    __asm__ volatile("outl %0, %1" : : "a"(value), "Nd"(port));
}

/* Stop this CPU for good: interrupts off, then halt (and halt again after an NMI). */
static inline __attribute__((noreturn)) void cpu_halt_forever(void)
{
    for (;;)
        __asm__ volatile("cli; hlt");
}
#endif

#endif
