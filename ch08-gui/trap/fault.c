/*
 * fault.c: what the kernel does once an exception has been reported.
 *
 * The report (exception.c) is the same whatever comes next; this file is
 * the policy. A breakpoint is a trap the code continues after. A fault in
 * an interrupt handler is fatal: the handler cannot be stopped half-way and
 * the interrupted code resumed. So is a fault with a spinlock held or
 * interrupts turned off: what the lock guards may be half-changed, and
 * neither recovering nor stopping the thread would release it. Otherwise a
 * shell command runs under a recovery point (recover.h): its fault stops
 * the command and the shell goes on; any other thread is stopped and the
 * kernel goes on. The idle thread (the boot code) has nothing to fall back
 * on: its fault is fatal.
 */
#include <stdbool.h>

#include "cpu.h"
#include "exception.h"
#include "kprintf.h"
#include "panic.h"
#include "recover.h"
#include "thread.h"
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
    struct thread *t = thread_current();
    struct cpu *cpu = this_cpu();
    if (cpu->locks_held > 0)
        panic("thread '%s' faulted holding a spinlock: what it guards may be half-changed", t->name);
    if (cpu->irq_off_depth > 0)
        panic("thread '%s' faulted with interrupts turned off (irq_push_off)", t->name);
    if (recover_resume(tf))
        return;
    if (t != cpu->idle)
        thread_kill_current();
    panic("unhandled %s", name);
}
