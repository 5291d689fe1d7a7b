/*
 * recover.c: arming a recovery point and resuming at it after a fault
 * (see recover.h; the saving half is trap/recover.S). Each thread has its
 * own point: the shell's commands run in the shell thread.
 */
#include <stdbool.h>
#include <stddef.h>

#include "kprintf.h"
#include "recover.h"
#include "thread.h"
#include "trap.h"

void recover_arm(struct recover_point *p)
{
    thread_current()->recover = p;
}

void recover_disarm(void)
{
    thread_current()->recover = NULL;
}

bool recover_resume_quietly(struct trap_frame *tf)
{
    struct thread *t = thread_current();
    struct recover_point *p = t->recover;
    if (p == NULL)
        return false;
    t->recover = NULL;
    /* IRETQ will "return" from recover_save a second time, with 1, and
     * with the flags it had then: interrupts as they were when the point
     * was armed, not as the faulting code left them. */
    tf->rbx = p->rbx;
    tf->rbp = p->rbp;
    tf->r12 = p->r12;
    tf->r13 = p->r13;
    tf->r14 = p->r14;
    tf->r15 = p->r15;
    tf->rsp = p->rsp;
    tf->rip = p->rip;
    tf->rflags = p->rflags;
    tf->rax = 1;
    return true;
}

bool recover_resume(struct trap_frame *tf)
{
    if (thread_current()->recover == NULL)
        return false;
    kprintf("recovered: the faulting command was stopped, the kernel goes on\n");
    return recover_resume_quietly(tf);
}
