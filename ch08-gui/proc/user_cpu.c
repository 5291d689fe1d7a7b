/*
 * user_cpu.c: what a CPU needs before it runs user code.
 *
 * SYSCALL/SYSRET (SDM vol 3A, 5.8.8): EFER.SCE enables them; MSR_STAR
 * names the segments (trap/gdt.c arranges the GDT for SYSRET), MSR_LSTAR
 * the entry point (syscall/entry.S), MSR_FMASK the RFLAGS bits cleared on
 * entry: interrupts stay off until the entry has moved to the kernel
 * stack, and AC is cleared so SMAP holds from the first instruction.
 *
 * Protections, when the CPU has them (CPUID leaf 7): SMEP keeps the kernel
 * from executing user pages (an exploit's classic trampoline), SMAP from
 * touching them outside uaccess.S, UMIP keeps programs from reading the
 * GDT and IDT addresses with SGDT/SIDT.
 *
 * The FPU: the kernel is built with -mgeneral-regs-only and never touches
 * x87/SSE/AVX registers, so they belong to the user thread that runs; the
 * scheduler saves and restores them at each switch between user threads
 * (proc/uthread.c). XSAVE when the CPU has it, since AVX registers are
 * only saved by it; FXSAVE otherwise (SDM vol 1, chapter 13).
 */
#include <stdbool.h>
#include <stdint.h>

#include "cpu.h"
#include "format.h"
#include "heap.h"
#include "kprintf.h"
#include "panic.h"
#include "string.h"
#include "user_cpu.h"
#include "x86.h"

void syscall_entry(void);

#define FXSAVE_SIZE 512
#define FPU_ALIGN 64                /* XSAVE's area must be 64-byte aligned */
#define FCW_DEFAULT 0x37F           /* x87: all exceptions masked, 64-bit precision */
#define MXCSR_DEFAULT 0x1F80        /* SSE: all exceptions masked, round to nearest */
#define STAR_SYSRET_BASE ((uint64_t)(GDT_USER_DATA - 8) | SELECTOR_RPL3)
#define SYSCALL_FMASK (RFLAGS_IF | RFLAGS_TF | RFLAGS_DF | RFLAGS_AC | RFLAGS_NT | RFLAGS_IOPL)

static bool use_xsave;
static uint64_t xcr0;
static size_t fpu_size = FXSAVE_SIZE;
static bool has_smep, has_smap, has_umip;
/* The state a new thread starts with, saved once after FNINIT. */
static uint8_t initial_fpu[4096] __attribute__((aligned(FPU_ALIGN)));

static void fpu_enable(void)
{
    uint32_t a, b, c, d;
    cpuid(CPUID_FEATURES, &a, &b, &c, &d);
    if (!(d & CPUID_EDX_FXSR))
        panic("this CPU has no FXSAVE, which saving user programs' SSE state needs");
    write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP | CR0_NE);
    uint64_t cr4 = read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT;
    if (c & CPUID_ECX_XSAVE) {
        write_cr4(cr4 | CR4_OSXSAVE);
        uint64_t want = XCR0_X87 | XCR0_SSE | ((c & CPUID_ECX_AVX) ? XCR0_AVX : 0);
        xsetbv(0, want);
        if (this_cpu()->id == 0) {
            use_xsave = true;
            xcr0 = want;
            cpuid_sub(CPUID_XSAVE, 0, &a, &b, &c, &d);
            fpu_size = b;           /* EBX: the size for the features XCR0 enables */
            if (fpu_size > sizeof(initial_fpu))
                panic("XSAVE area of %zu bytes: more than the %zu kept for it", fpu_size,
                      sizeof(initial_fpu));
        }
    } else {
        write_cr4(cr4);
    }
}

static void protections_enable(void)
{
    uint32_t a, b, c, d;
    cpuid(CPUID_STRUCT_FEATURES, &a, &b, &c, &d);
    uint64_t cr4 = read_cr4();
    if (b & CPUID7_EBX_SMEP)
        cr4 |= CR4_SMEP;
    if (b & CPUID7_EBX_SMAP)
        cr4 |= CR4_SMAP;
    if (c & CPUID7_ECX_UMIP)
        cr4 |= CR4_UMIP;
    write_cr4(cr4);
    if (this_cpu()->id == 0) {
        has_smep = b & CPUID7_EBX_SMEP;
        has_smap = b & CPUID7_EBX_SMAP;
        has_umip = c & CPUID7_ECX_UMIP;
    }
}

void user_cpu_init(void)
{
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
    wrmsr(MSR_STAR, (STAR_SYSRET_BASE << 48) | ((uint64_t)GDT_KERNEL_CODE << 32));
    wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
    wrmsr(MSR_FMASK, SYSCALL_FMASK);
    protections_enable();
    fpu_enable();
    if (this_cpu()->id != 0)
        return;
    __asm__ volatile("fninit");
    uint32_t mxcsr = MXCSR_DEFAULT;
    __asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
    fpu_save(initial_fpu);
    kprintf("user mode: syscall/sysret, %s (%zu bytes per thread); SMEP %s, SMAP %s, UMIP %s\n",
            use_xsave ? (xcr0 & XCR0_AVX ? "XSAVE with AVX" : "XSAVE") : "FXSAVE", fpu_size,
            has_smep ? "on" : "off (not in this CPU)", has_smap ? "on" : "off (not in this CPU)",
            has_umip ? "on" : "off (not in this CPU)");
}

bool user_cpu_has_smap(void)
{
    return has_smap;
}

void fpu_save(void *area)
{
    if (use_xsave)
        __asm__ volatile("xsave64 (%0)" : : "r"(area), "a"((uint32_t)xcr0), "d"((uint32_t)(xcr0 >> 32))
                         : "memory");
    else
        __asm__ volatile("fxsave64 (%0)" : : "r"(area) : "memory");
}

void fpu_restore(const void *area)
{
    if (use_xsave)
        __asm__ volatile("xrstor64 (%0)" : : "r"(area), "a"((uint32_t)xcr0), "d"((uint32_t)(xcr0 >> 32))
                         : "memory");
    else
        __asm__ volatile("fxrstor64 (%0)" : : "r"(area) : "memory");
}

/* kmalloc aligns to 16; XSAVE wants 64: allocate more and keep the
 * original pointer just below the aligned area. */
void fpu_reset(void *area)
{
    memcpy(area, initial_fpu, fpu_size);
}

size_t fpu_area_size(void)
{
    return fpu_size;
}

bool fpu_uses_xsave(void)
{
    return use_xsave;
}

void *fpu_alloc(void)
{
    uint8_t *raw = kmalloc(fpu_size + FPU_ALIGN + sizeof(void *));
    if (raw == NULL)
        return NULL;
    uintptr_t a = ((uintptr_t)raw + sizeof(void *) + FPU_ALIGN - 1) & ~(uintptr_t)(FPU_ALIGN - 1);
    ((void **)a)[-1] = raw;
    memcpy((void *)a, initial_fpu, fpu_size);
    return (void *)a;
}

void fpu_free(void *area)
{
    if (area != NULL)
        kfree(((void **)area)[-1]);
}

size_t user_cpu_flags(char *buf, size_t size)
{
    return (size_t)ksnprintf(buf, size, "fpu sse sse2%s%s%s%s%s", use_xsave ? " xsave" : "",
                             (xcr0 & XCR0_AVX) ? " avx" : "", has_smep ? " smep" : "",
                             has_smap ? " smap" : "", has_umip ? " umip" : "");
}
