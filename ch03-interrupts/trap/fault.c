/*
 * fault.c: what the kernel does once an exception has been reported.
 *
 * The report (exception.c) is the same whatever comes next; this file is
 * the policy. A breakpoint is a trap the code continues after. A fault in
 * an interrupt handler is fatal: the handler cannot be stopped half-way and
 * the interrupted code resumed. A shell command runs under a recovery
 * point (recover.h): its fault stops the command and the shell goes on.
 * Anything else is a bug in the kernel itself, and the kernel stops.
 */
#include <stdbool.h>

#include "exception.h"
#include "kprintf.h"
#include "panic.h"
#include "recover.h"
#include "trap.h"

void fault_handle(struct trap_frame *tf)
{
    const char *name = exception_name(tf->vector);
    if (tf->vector == EXC_BREAKPOINT) {
        kprintf("breakpoint: continuing after int3\n");
        return;                 /* a trap: RIP already points past INT3 */
    }
    if (trap_in_interrupt())
        panic("unhandled %s in an interrupt handler", name);
    if (recover_resume(tf))
        return;
    panic("unhandled %s", name);
}
