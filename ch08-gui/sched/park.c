/*
 * park.c: parking, for waits on several things at once (a select on
 * many channels): see thread.h. The caller's locks are let go only once
 * sched_lock is held, so a waker, which must take one of them and then
 * sched_lock, always finds the thread parked.
 */
#include <stdbool.h>

#include "cpu.h"
#include "sched.h"
#include "spinlock.h"
#include "thread.h"

void thread_park(struct spinlock *const *held, int n, const struct wait_reason *why)
{
    sched_check_may_sleep(__func__, __builtin_return_address(0), (unsigned)n);
    spin_lock(&sched_lock);
    for (int i = n - 1; i >= 0; i--)
        spin_unlock(held[i]);
    struct thread *t = cpu_current();
    if (!thread_kill_ends_wait(t) && !(t->interruptible && t->signalled))
        sched_block(NULL, why);
    spin_unlock(&sched_lock);
}

void thread_unpark(struct thread *t)
{
    spin_lock(&sched_lock);
    if (t->state == THREAD_BLOCKED && t->wq == NULL)
        make_ready(t);
    spin_unlock(&sched_lock);
}
