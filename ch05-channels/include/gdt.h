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

#endif
