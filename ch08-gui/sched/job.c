/*
 * job.c: a shell command's threads, channels and timers, ended together
 * (see job.h).
 */
#include <stddef.h>

#include "heap.h"
#include "job.h"
#include "sched.h"
#include "string.h"
#include "thread.h"

static int next_job_id = 1;

struct job *job_begin(const char *name)
{
    struct job *j = kmalloc(sizeof(*j));
    if (j == NULL)
        return NULL;
    memset(j, 0, sizeof(*j));
    j->id = __atomic_fetch_add(&next_job_id, 1, __ATOMIC_RELAXED);
    size_t n = strlen(name);
    if (n >= JOB_NAME_SIZE)
        n = JOB_NAME_SIZE - 1;
    memcpy(j->name, name, n);
    j->name[n] = '\0';
    j->lock = (struct spinlock)SPINLOCK_INIT("job");
    j->resources.next = j->resources.prev = &j->resources;
    spin_lock(&sched_lock);
    thread_current()->job = j;
    spin_unlock(&sched_lock);
    return j;
}

void job_end(struct job *j)
{
    struct thread *me = thread_current();
    spin_lock(&sched_lock);
    /* Out of the job first: from here on neither the deadlock check nor
     * anything else can kill this thread for the job's sake. */
    me->job = NULL;
    me->killed = false;
    for (struct thread *t = all_threads; t; t = t->all_next) {
        if (t->job == j && t->state != THREAD_ZOMBIE)
            sched_kill(t);
    }
    spin_unlock(&sched_lock);
    sched_wait_job_threads(j);

    /* Nothing of the job runs now: free what it owns, newest first (a
     * timer before the channel it sends on). */
    for (;;) {
        spin_lock(&j->lock);
        struct job_resource *r = j->resources.next;
        if (r == &j->resources) {
            spin_unlock(&j->lock);
            break;
        }
        r->prev->next = r->next;
        r->next->prev = r->prev;
        r->job = NULL;
        spin_unlock(&j->lock);
        r->release(r);
    }
    kfree(j);
}

void job_adopt(struct job_resource *r)
{
    struct job *j = thread_current()->job;
    r->job = j;
    if (j == NULL)
        return;
    spin_lock(&j->lock);
    r->prev = &j->resources;
    r->next = j->resources.next;
    r->next->prev = r;
    j->resources.next = r;
    spin_unlock(&j->lock);
}

void job_forget(struct job_resource *r)
{
    struct job *j = r->job;
    if (j == NULL)
        return;
    spin_lock(&j->lock);
    r->prev->next = r->next;
    r->next->prev = r->prev;
    r->job = NULL;
    spin_unlock(&j->lock);
}
