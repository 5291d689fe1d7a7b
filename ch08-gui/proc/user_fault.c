/*
 * user_fault.c: exceptions that concern user memory or user code.
 *
 * Three cases, tried before the kernel's own report (trap/exception.c):
 *  - a page fault on a user address of the running program, in user mode
 *    or in a kernel copy: a page it mapped but never touched is backed
 *    now (vm_fault) and the instruction runs again;
 *  - a fault in a user copy (uaccess.S) that vm_fault cannot fix: the
 *    copy resumes at its fix-up and returns -EFAULT;
 *  - any other exception in user mode: the program did something wrong.
 *    It gets the signal Linux would send (SIGSEGV, SIGILL, SIGFPE...):
 *    its handler runs if it has one (signal.c), else it ends with a
 *    one-line report like Linux's (and SIGKILL when no memory is left
 *    for a page it touched)
 *        hello[7]: segfault at 0 ip 0000000000401020 sp 00007fffffffe5c8 error 4 in hello
 *    The kernel and the shell go on.
 */
#include <stdbool.h>
#include <stdint.h>

#include "errno.h"
#include "exception.h"
#include "kprintf.h"
#include "memlayout.h"
#include "process.h"
#include "trap.h"
#include "uaccess.h"
#include "uthread.h"
#include "vm.h"
#include "x86.h"

#define PF_WRITE (1 << 1)       /* page-fault error code bits (SDM vol 3A, 4.7) */
#define PF_USER (1 << 2)
#define PF_FETCH (1 << 4)

static int signal_for(uint64_t vector)
{
    switch (vector) {
    case EXC_DIVIDE:
    case EXC_FPU_ERROR:
    case EXC_SIMD:
        return SIGFPE;
    case EXC_INVALID_OPCODE:
        return SIGILL;
    case EXC_BREAKPOINT:
    case EXC_DEBUG:
        return SIGTRAP;
    case EXC_ALIGNMENT:
        return SIGBUS;
    default:
        return SIGSEGV;
    }
}

/* The signal for the fault goes to the program's handler if it has one;
 * else the program ends, after its report. */
static bool fault_signal(struct trap_frame *tf, uint64_t cr2, int code)
{
    struct process *p = process_current();
    int sig = signal_for(tf->vector);
    bool page = tf->vector == EXC_PAGE_FAULT;
    if (signal_fault(sig, code, page ? cr2 : tf->rip))
        return true;
    if (tf->vector == EXC_PAGE_FAULT)
        kprintf("%s[%d]: segfault at %llx ip %016llx sp %016llx error %llx in %s\n", p->name,
                uthread_current()->tid, (unsigned long long)cr2, (unsigned long long)tf->rip,
                (unsigned long long)tf->rsp, (unsigned long long)tf->error_code, p->name);
    else
        kprintf("%s[%d]: %s (%s) at ip %016llx sp %016llx error %llx in %s\n", p->name,
                uthread_current()->tid, exception_name(tf->vector), signal_name(sig),
                (unsigned long long)tf->rip, (unsigned long long)tf->rsp,
                (unsigned long long)tf->error_code, p->name);
    process_exit(sig);
}

bool user_fault_handle(struct trap_frame *tf)
{
    bool from_user = tf->cs & SELECTOR_RPL3;
    struct process *p = process_current();
    if (p == NULL)
        return false;               /* a kernel thread: the kernel's own fault */
    uint64_t cr2 = tf->vector == EXC_PAGE_FAULT ? read_cr2() : 0;
    int code = tf->vector == EXC_PAGE_FAULT ? SEGV_MAPERR : SI_KERNEL;
    if (tf->vector == EXC_PAGE_FAULT && cr2 < USER_TOP && (from_user || uaccess_fixup_pending(tf))) {
        /* Interrupts on while backing the page, as where the fault came from. */
        if (tf->rflags & RFLAGS_IF)
            irq_enable();
        int err = vm_fault(p->mm, cr2, tf->error_code & PF_WRITE, tf->error_code & PF_FETCH);
        irq_disable();
        if (err == 0)
            return true;
        if (err == -EACCES)
            code = SEGV_ACCERR;     /* mapped, but not for that access */
        if (err == -ENOMEM && from_user) {
            /* Linux's OOM killer sends SIGKILL; here the program that
             * asked for the page is the one to go. */
            kprintf("%s[%d]: out of memory at %llx: killed\n", p->name, uthread_current()->tid,
                    (unsigned long long)cr2);
            process_exit(SIGKILL);
        }
    }
    if (!from_user)
        return uaccess_fixup(tf);
    return fault_signal(tf, cr2, code);
}
