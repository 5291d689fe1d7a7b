/*
 * deadlock.c: Go's "all threads are asleep - deadlock!", and the way out.
 *
 * A thread blocked for a WAIT_SYNC reason (a channel, a mutex, a
 * semaphore, a wait group, a join) can only be woken by another thread.
 * When every thread is so blocked, none is ready or running, none sleeps
 * (thread_sleep_ms) and no timer is pending, nothing can ever wake any of
 * them: a deadlock. A thread waiting for a device (console input) is not
 * counted as stuck, since an interrupt may wake it; so a shell idle at its
 * prompt is never reported.
 *
 * The idle loop runs the check when its CPU has nothing to do, which is
 * always the case in a deadlock. It prints every blocked thread and what
 * it waits for, then kills the threads of the shell commands (jobs)
 * caught in it: the command's own thread resumes at its recovery point,
 * the shell ends the job (job.h), and the prompt comes back.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu.h"
#include "format.h"
#include "job.h"
#include "kprintf.h"
#include "ktimer.h"
#include "sched.h"
#include "spinlock.h"
#include "string.h"
#include "thread.h"

#define REPORT_MAX_SHOWN 32

struct report_row {
    int id;
    char name[THREAD_NAME_SIZE];
    char waiting[WAIT_DESCRIPTION_SIZE];
    int job;                    /* its job's id, or 0 */
    char job_name[JOB_NAME_SIZE];
};

/* One report at a time: two idle CPUs may find the same deadlock. */
static struct spinlock report_lock = SPINLOCK_INIT("deadlock report");
static struct report_row rows[REPORT_MAX_SHOWN];
static uint64_t reported_at = UINT64_MAX;       /* sched_counts.wakeups then */

void sched_describe_wait(const struct thread *t, char *buf, size_t size)
{
    const struct wait_reason *w = &t->waiting;
    int n = ksnprintf(buf, size, "%s %s '%s'", w->op, w->what, w->name);
    if (w->owner == NULL || n < 0 || (size_t)n >= size)
        return;
    const char *owner = "an ended thread";
    for (const struct thread *o = all_threads; o; o = o->all_next) {
        if (o == w->owner)
            owner = o->name;
    }
    ksnprintf(buf + n, size - (size_t)n, " held by '%s'", owner);
}

/* The deadlock as it stands (timers' and sched_lock held): rows filled, the
 * number of blocked threads returned. */
static int snapshot(int *shown, int *in_jobs)
{
    int n = 0, total = 0;
    *in_jobs = 0;
    for (struct thread *t = all_threads; t; t = t->all_next) {
        if (t->state != THREAD_BLOCKED)
            continue;
        if (n < REPORT_MAX_SHOWN) {
            struct report_row *r = &rows[n++];
            r->id = t->id;
            memcpy(r->name, t->name, THREAD_NAME_SIZE);
            sched_describe_wait(t, r->waiting, sizeof(r->waiting));
            r->job = t->job ? t->job->id : 0;
            memcpy(r->job_name, t->job ? t->job->name : "", JOB_NAME_SIZE);
        }
        if (t->job)
            (*in_jobs)++;
        total++;
    }
    *shown = n;
    return total;
}

static bool deadlocked(void)
{
    return sched_counts.live > 0 && sched_counts.sync_blocked == sched_counts.live &&
           ktimer_pending() == 0;
}

void sched_check_deadlock(void)
{
    /* Cheap and racy first: most of the time some thread is awake. */
    if (__atomic_load_n(&sched_counts.sync_blocked, __ATOMIC_RELAXED) !=
        __atomic_load_n(&sched_counts.live, __ATOMIC_RELAXED))
        return;
    spin_lock(&report_lock);
    /* The timers' lock first, as a timer firing takes it before waking a
     * thread: holding both, a fired timer has either woken its thread or
     * is still pending. */
    ktimer_lock();
    spin_lock(&sched_lock);
    bool dead = deadlocked() && sched_counts.wakeups != reported_at;
    int shown = 0, total = 0, in_jobs = 0;
    uint64_t seen_at = sched_counts.wakeups;
    if (dead)
        total = snapshot(&shown, &in_jobs);
    spin_unlock(&sched_lock);
    ktimer_unlock();
    if (!dead) {
        spin_unlock(&report_lock);
        return;
    }

    /* Printed before any thread is woken, so the report comes before
     * whatever the ended commands print next (the shell's prompt). */
    kprintf("all threads are asleep - deadlock!\n");
    for (int i = shown - 1; i >= 0; i--) {
        struct report_row *r = &rows[i];
        if (r->job)
            kprintf("  thread '%s' (id %d, in '%s'): %s\n", r->name, r->id, r->job_name, r->waiting);
        else
            kprintf("  thread '%s' (id %d, kernel): %s\n", r->name, r->id, r->waiting);
    }
    if (total > shown)
        kprintf("  ... and %d more threads\n", total - shown);
    if (in_jobs > 0)
        kprintf("deadlock: ending the %d thread%s of the commands above; the kernel goes on\n",
                in_jobs, in_jobs == 1 ? "" : "s");
    else
        kprintf("deadlock: only kernel threads: they stay blocked\n");

    /* Nothing could have woken since: no thread runs and no timer is due. */
    ktimer_lock();
    spin_lock(&sched_lock);
    if (deadlocked() && sched_counts.wakeups == seen_at) {
        for (struct thread *t = all_threads; t; t = t->all_next) {
            if (t->state == THREAD_BLOCKED && t->job != NULL)
                sched_kill(t);
        }
    }
    reported_at = sched_counts.wakeups;
    spin_unlock(&sched_lock);
    ktimer_unlock();
    spin_unlock(&report_lock);
}
