/*
 * user_cpu.h: preparing a CPU to run user programs, and the per-thread
 * state of its floating-point and vector unit (FPU/SSE/AVX).
 */
#ifndef CUBOS_USER_CPU_H
#define CUBOS_USER_CPU_H

#include <stdbool.h>
#include <stddef.h>

/* On every CPU, after its GDT: SYSCALL's MSRs, SMEP/SMAP/UMIP when the CPU
 * has them, and the FPU with SSE (and AVX through XSAVE when present). The
 * boot CPU says what it turned on. */
void user_cpu_init(void);

/* The protections in force, for the boot line and /proc/cpuinfo. */
bool user_cpu_has_smap(void);

/* An FPU state area for a new user thread, in its initial state (x87
 * control word 0x37F, MXCSR 0x1F80, all registers zero), or NULL. Free it
 * with fpu_free. */
void *fpu_alloc(void);
void fpu_free(void *area);
/* Put area back in the initial state (execve). */
void fpu_reset(void *area);
/* The size of an area (512 bytes for FXSAVE, more with XSAVE), and
 * whether it is in XSAVE's format (signal frames carry it, signal.c). */
size_t fpu_area_size(void);
bool fpu_uses_xsave(void);

/* Save this CPU's FPU state into area / load it from area. */
void fpu_save(void *area);
void fpu_restore(const void *area);

/* Print "cpu: ..." flags (for /proc/cpuinfo): the CPUID features a program may test. */
size_t user_cpu_flags(char *buf, size_t size);

#endif
