/* exception.h: reporting CPU exceptions (vectors 0-31). */
#ifndef CUBOS_EXCEPTION_H
#define CUBOS_EXCEPTION_H

#include <stdint.h>

#include "trap.h"

/* Vector numbers (SDM vol 3A, table 6-1). */
#define EXC_DIVIDE 0
#define EXC_DEBUG 1
#define EXC_NMI 2
#define EXC_BREAKPOINT 3
#define EXC_OVERFLOW 4
#define EXC_BOUND 5
#define EXC_INVALID_OPCODE 6
#define EXC_NO_FPU 7
#define EXC_DOUBLE_FAULT 8
#define EXC_INVALID_TSS 10
#define EXC_SEGMENT_NOT_PRESENT 11
#define EXC_STACK_FAULT 12
#define EXC_GENERAL_PROTECTION 13
#define EXC_PAGE_FAULT 14
#define EXC_FPU_ERROR 16
#define EXC_ALIGNMENT 17
#define EXC_MACHINE_CHECK 18
#define EXC_SIMD 19

/* "#PF page fault" and the like, for reports and panics. */
const char *exception_name(uint64_t vector);

/*
 * Print what went wrong: the exception's name, error code (decoded for a
 * page fault), the registers, CR2 and a symbolized backtrace.
 */
void exception_report(struct trap_frame *tf);

/*
 * After the report (trap/fault.c): a breakpoint returns to the code after
 * INT3. A fault in an interrupt handler, or with a spinlock held or
 * interrupts turned off, panics; otherwise a thread with an armed recovery
 * point (recover.h) resumes there, another thread is stopped, and a fault
 * in the idle thread panics.
 */
void fault_handle(struct trap_frame *tf);

/* The NMI handler (trap/nmi.c): report the NMI and go on. */
void nmi_handle(struct trap_frame *tf);

#endif
