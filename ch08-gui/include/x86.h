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
#define CR0_MP (1 << 1)           /* WAIT/FWAIT honour TS */
#define CR0_EM (1 << 2)           /* x87 emulation: must be clear for SSE */
#define CR0_TS (1 << 3)           /* task switched: the next FPU use raises #NM */
#define CR0_NE (1 << 5)           /* x87 errors as #MF, not through the PIC */
#define CR4_PAE (1 << 5)          /* 64-bit page-table entries; long mode needs it */
#define CR4_OSFXSR (1 << 9)       /* the OS saves SSE state with FXSAVE: SSE allowed (SDM 13.1.3) */
#define CR4_OSXMMEXCPT (1 << 10)  /* SIMD floating-point errors raise #XM */
#define CR4_UMIP (1 << 11)        /* SGDT, SIDT, SLDT, SMSW, STR fault in ring 3 */
#define CR4_FSGSBASE (1 << 16)    /* RDFSBASE and friends allowed */
#define CR4_OSXSAVE (1 << 18)     /* XSAVE and XGETBV/XSETBV allowed (SDM 13.3) */
#define CR4_SMEP (1 << 20)        /* ring 0 cannot execute user pages (SDM 4.6) */
#define CR4_SMAP (1 << 21)        /* ring 0 cannot touch user pages unless RFLAGS.AC (SDM 4.6) */

/* Extended feature enable register (SDM 2.2.1, MSR 0xC0000080). */
#define MSR_EFER 0xC0000080
#define EFER_SCE (1 << 0)         /* SYSCALL/SYSRET enabled */
#define EFER_LME (1 << 8)         /* long mode enable */
#define EFER_NXE (1 << 11)        /* the no-execute bit in page-table entries */

/* The other model-specific registers the kernel uses (SDM vol 4, chapter 2). */
#define MSR_APIC_BASE 0x1B        /* the local APIC's base address and enable bit (SDM vol 3A, 11.4.4) */
#define MSR_GS_BASE 0xC0000101    /* GS's base in 64-bit mode (SDM vol 3A, 3.4.4.1) */
#define MSR_TSC 0x10              /* the time-stamp counter, writable (SDM vol 3B, 17.17) */
#define MSR_STAR 0xC0000081       /* SYSCALL/SYSRET segment selectors (SDM vol 3A, 5.8.8) */
#define MSR_LSTAR 0xC0000082      /* SYSCALL's entry point in 64-bit mode */
#define MSR_FMASK 0xC0000084      /* RFLAGS bits SYSCALL clears */
#define MSR_FS_BASE 0xC0000100    /* FS's base: user programs' thread pointer */
#define MSR_KERNEL_GS_BASE 0xC0000102  /* the GS base SWAPGS exchanges with MSR_GS_BASE */

/* EFLAGS.ID: software can toggle it only if CPUID exists (SDM vol 2A, CPUID). */
#define EFLAGS_ID (1 << 21)

/* CPUID leaf 1, EDX bit 9: the CPU has a local APIC (SDM vol 3A, 11.4.2). */
#define CPUID_FEATURES 1
#define CPUID_EDX_APIC (1 << 9)
#define CPUID_EDX_PAT (1 << 16)   /* the page attribute table (MSR 0x277) */
#define CPUID_EDX_FXSR (1 << 24)  /* FXSAVE/FXRSTOR */
#define CPUID_ECX_RDRAND (1 << 30)
#define CPUID_ECX_XSAVE (1 << 26)
#define CPUID_ECX_AVX (1 << 28)
/* CPUID leaf 7 (subleaf 0): structured extended features. */
#define CPUID_STRUCT_FEATURES 7
#define CPUID7_EBX_SMEP (1 << 7)
#define CPUID7_EBX_RDSEED (1 << 18)
#define CPUID7_EBX_SMAP (1 << 20)
#define CPUID7_ECX_UMIP (1 << 2)
/* CPUID leaf 0xD: the XSAVE area's size for the features enabled in XCR0. */
#define CPUID_XSAVE 0xD
#define XCR0_X87 (1 << 0)
#define XCR0_SSE (1 << 1)
#define XCR0_AVX (1 << 2)

/* CPUID leaf 0x80000001, EDX bit 29: Intel 64 / long mode available. */
#define CPUID_EXT_MAX 0x80000000
#define CPUID_EXT_FEATURES 0x80000001
#define CPUID_EXT_EDX_LM (1 << 29)
#define CPUID_EXT_EDX_NX (1 << 20)

/* Page-table entry bits (SDM 4.5, tables 4-15 to 4-20). */
#define PTE_PRESENT (1 << 0)
#define PTE_WRITABLE (1 << 1)
#define PTE_USER (1 << 2)
#define PTE_PWT (1 << 3)          /* write-through */
#define PTE_PCD (1 << 4)          /* cache disable: with PWT, uncached (SDM vol 3A, 11.12.3) */
#define PTE_ACCESSED (1 << 5)
#define PTE_DIRTY (1 << 6)
#define PTE_HUGE (1 << 7)         /* in a page directory entry: maps 2 MiB */
#define PTE_GLOBAL (1 << 8)
#define PTE_NX (1ull << 63)       /* no execute, once EFER.NXE is on */
#define PTE_ADDR_MASK 0x000FFFFFFFFFF000ull

/* Selectors of the 64-bit GDT built in boot/entry.S. */
#define GDT_KERNEL_CODE 0x08
#define GDT_KERNEL_DATA 0x10
/* User mode's, in the order SYSRET demands (gdt.c): data, then 64-bit code. */
#define GDT_USER_DATA 0x20
#define GDT_USER_CODE 0x28
#define SELECTOR_RPL3 3           /* requested privilege level 3 in a selector's low bits */
#define USER_CS (GDT_USER_CODE | SELECTOR_RPL3)
#define USER_SS (GDT_USER_DATA | SELECTOR_RPL3)

/* RFLAGS bits (SDM vol 1, 3.4.3). */
#define RFLAGS_TF (1 << 8)        /* single-step trap */
#define RFLAGS_DF (1 << 10)       /* string instructions go down */
#define RFLAGS_IOPL (3 << 12)     /* I/O privilege level */
#define RFLAGS_NT (1 << 14)       /* nested task */
#define RFLAGS_AC (1 << 18)       /* alignment check; with SMAP, kernel access to user pages */
#define RFLAGS_CF (1 << 0)        /* the arithmetic flags (SDM vol 1, 3.4.3) */
#define RFLAGS_PF (1 << 2)
#define RFLAGS_AF (1 << 4)
#define RFLAGS_ZF (1 << 6)
#define RFLAGS_SF (1 << 7)
#define RFLAGS_OF (1 << 11)
#define RFLAGS_RF (1 << 16)       /* resume: skip one instruction breakpoint */
#define RFLAGS_RESERVED1 (1 << 1) /* always 1 */
/* Interrupts off / on (the IF flag, SDM vol 3A, 6.8.1). */
#define RFLAGS_IF (1 << 9)

#ifndef __ASSEMBLER__
#include <stdbool.h>
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

static inline void outw(uint16_t port, uint16_t value)
{
    __asm__ volatile("outw %0, %1" : : "a"(value), "Nd"(port));
}

static inline uint16_t inw(uint16_t port)
{
    uint16_t value;
    __asm__ volatile("inw %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

static inline uint32_t inl(uint16_t port)
{
    uint32_t value;
    __asm__ volatile("inl %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

static inline void outl(uint16_t port, uint32_t value)
{
    __asm__ volatile("outl %0, %1" : : "a"(value), "Nd"(port));
}

static inline void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t value)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)));
}

static inline uint64_t read_cr3(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr3, %0" : "=r"(v));
    return v;
}

/* Switch address space; also flushes every non-global TLB entry. */
static inline void write_cr3(uint64_t v)
{
    __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

/* Drop the TLB entry for one virtual address (SDM vol 2A, INVLPG). */
static inline void invlpg(const void *addr)
{
    __asm__ volatile("invlpg (%0)" : : "r"(addr) : "memory");
}

/* The time-stamp counter: CPU cycles at a constant rate on modern CPUs. */
static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/* Interrupts off / on (the IF flag, RFLAGS_IF above). */
static inline void irq_disable(void)
{
    __asm__ volatile("cli" : : : "memory");
}

static inline void irq_enable(void)
{
    __asm__ volatile("sti" : : : "memory");
}

/*
 * Enable interrupts and sleep until one arrives. STI takes effect only after
 * the next instruction, so no interrupt can slip in between the two and be
 * missed: call this with interrupts off, after finding there is nothing to do.
 */
static inline void irq_enable_and_halt(void)
{
    __asm__ volatile("sti; hlt" : : : "memory");
}

/* True if interrupts are enabled (RFLAGS.IF). */
static inline bool irq_enabled(void)
{
    uint64_t flags;
    __asm__ volatile("pushfq; popq %0" : "=r"(flags));
    return flags & RFLAGS_IF;
}

static inline uint64_t read_cr0(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr0, %0" : "=r"(v));
    return v;
}

static inline void write_cr0(uint64_t v)
{
    __asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}

static inline uint64_t read_cr4(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr4, %0" : "=r"(v));
    return v;
}

static inline void write_cr4(uint64_t v)
{
    __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

/* Extended control register 0: which state components XSAVE manages (SDM vol 1, 13.3). */
static inline void xsetbv(uint32_t reg, uint64_t v)
{
    __asm__ volatile("xsetbv" : : "c"(reg), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline void cpuid_sub(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}

/* Zero a 4 KiB page, eight bytes per iteration (REP STOSQ). */
static inline void page_zero(void *page)
{
    uint64_t count = 4096 / 8;
    __asm__ volatile("rep stosq" : "+D"(page), "+c"(count) : "a"(0ull) : "memory");
}

static inline uint64_t read_cr2(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr2, %0" : "=r"(v));
    return v;
}

/* Stop this CPU for good: interrupts off, then halt (and halt again after an NMI). */
static inline __attribute__((noreturn)) void cpu_halt_forever(void)
{
    for (;;)
        __asm__ volatile("cli; hlt");
}
#endif

#endif
