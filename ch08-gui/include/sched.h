/*
 * sched.h: the scheduler's own state, for the files of sched/ that need
 * it (the deadlock check, jobs); everything else goes through thread.h.
 * All of it is guarded by sched_lock.
 */
#ifndef CUBOS_SCHED_H
#define CUBOS_SCHED_H

#include <stddef.h>
#include <stdint.h>

#include "spinlock.h"
#include "thread.h"

extern struct spinlock sched_lock;
extern struct thread *all_threads;      /* every live thread, through all_next */

struct sched_counts {
    int live;                   /* threads that have not exited, idle threads apart */
    int sync_blocked;           /* of those, BLOCKED for a WAIT_SYNC reason */
    uint64_t wakeups;           /* threads made ready so far */
};
extern struct sched_counts sched_counts;

/* Put the current thread to sleep on wq (NULL: parked, thread_park) for
 * the reason why, and switch away; sched_lock held. */
void sched_block(struct wait_queue *wq, const struct wait_reason *why);

/* Make t runnable (from BLOCKED, SLEEPING or new). */
void make_ready(struct thread *t);

/* Mark t killed and, if it waits or sleeps, wake it so it unwinds. */
void sched_kill(struct thread *t);

/* Wait until every thread created in j has exited, then hand those never
 * joined to the reaper. May sleep. */
void sched_wait_job_threads(struct job *j);

/* "recv from channel 'a'", "lock mutex 'm' held by 'x'": what the
 * BLOCKED thread t waits for. sched_lock held. */
#define WAIT_DESCRIPTION_SIZE 64
void sched_describe_wait(const struct thread *t, char *buf, size_t size);

/* From the idle loop: if every thread waits for another thread and no
 * timer is pending, report the deadlock and end the jobs in it. */
void sched_check_deadlock(void);

#endif
