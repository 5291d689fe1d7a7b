/*
 * kill.c: ending a thread that is not at its end: a thread of a job that
 * ended (job.h), or one that misused a kernel object. A killed thread
 * unwinds at its next wait, or at the end of an interrupt that stopped
 * it with interrupts on, to its recovery point if it has one (the thread
 * running a shell command goes back to the shell), else to thread_exit.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "backtrace.h"
#include "cpu.h"
#include "format.h"
#include "kprintf.h"
#include "recover.h"
#include "thread.h"
#include "trap.h"
#include "x86.h"

#define BUG_TEXT_SIZE 96

bool thread_killed(void)
{
    return __atomic_load_n(&cpu_current()->killed, __ATOMIC_RELAXED);
}

void thread_unwind(void)
{
    struct thread *t = cpu_current();
    struct recover_point *p = t->recover;
    if (p == NULL)
        thread_exit();
    t->recover = NULL;
    t->killed = false;          /* it lives on, at its recovery point */
    recover_jump(p);
}

void thread_hold_kills(void)
{
    thread_current()->kills_held++;
}

void thread_release_kills(void)
{
    thread_current()->kills_held--;
}

void thread_stop_for_bug(const void *caller, const char *fmt, ...)
{
    char what[BUG_TEXT_SIZE];
    va_list args;
    va_start(args, fmt);
    kvsnprintf(what, sizeof(what), fmt, args);
    va_end(args);
    struct thread *t = cpu_current();
    uint64_t offset;
    const char *fn = ksym_lookup((uint64_t)caller, &offset);
    /* One kprintf, one line: reports from two CPUs do not mix. */
    kprintf("bug: %s, in thread '%s' (id %d), called from %s+0x%llx; the %s is stopped, "
            "the kernel goes on\n", what, t->name, t->id, fn ? fn : "?", (unsigned long long)offset,
            t->recover ? "command" : "thread");
    thread_unwind();
}

void sched_kill_point(struct trap_frame *tf)
{
    struct cpu *cpu = this_cpu();
    struct thread *t = cpu->current;
    /* Interrupts on where it was stopped: it held no spinlock there. */
    if (t == NULL || t == cpu->idle || !t->killed || !(tf->rflags & RFLAGS_IF))
        return;
    /* A user thread stopped inside a system call may hold references
     * (an open file, a buffer): it ends at the call's end, which let them
     * go, or returns early from an interruptible wait (ch06). In user
     * mode it holds nothing. */
    if (t->user && !(tf->cs & SELECTOR_RPL3))
        return;
    if (t->kills_held)
        return;                 /* inside the network stack: at its next wait after */
    if (recover_resume_quietly(tf)) {
        t->killed = false;
        return;
    }
    thread_exit();
}
