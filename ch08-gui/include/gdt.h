/* gdt.h: the kernel's GDT and TSS (trap/gdt.c). */
#ifndef CUBOS_GDT_H
#define CUBOS_GDT_H

#include <stdint.h>

#define IST_COUNT 2
#define IST_DOUBLE_FAULT 1      /* IST1: double fault, so a stack overflow can be reported */
#define IST_NMI 2               /* IST2: NMI, which can arrive at any instruction */

/* Install CPU cpu's GDT (cpus[] index), with a TSS whose IST entries point
 * at that CPU's own stacks. */
void gdt_init(unsigned cpu);

/* The stack an interrupt or exception from user mode lands on, on CPU
 * cpu: the top of the running thread's kernel stack (TSS.RSP0, SDM vol 3A,
 * 6.14.4). Set at every switch to a thread that runs user code. */
void gdt_set_kernel_stack(unsigned cpu, uint64_t top);

#endif
