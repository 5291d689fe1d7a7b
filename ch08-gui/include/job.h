/*
 * job.h: a shell command and what it owns.
 *
 * A command typed at the shell is a job: the thread that runs it, the
 * threads it starts (and they start), and the channels and timers they
 * make. When the command returns, or a deadlock ends it, the job ends:
 * its threads still running are killed (each unwinds at its next wait),
 * and once they are all gone its channels and timers are freed, as a
 * process's are when it exits. So `primes`, which leaves a filter thread
 * per prime blocked on its channel, gives every byte back.
 */
#ifndef CUBOS_JOB_H
#define CUBOS_JOB_H

#include <stdbool.h>

#include "spinlock.h"
#include "wait.h"

#define JOB_NAME_SIZE 64

/* Something a job owns, freed by release when the job ends (unless its
 * owner freed it first and called job_forget). */
struct job_resource {
    struct job_resource *next, *prev;
    struct job *job;            /* its owner, or NULL */
    void (*release)(struct job_resource *r);
};

struct job {
    int id;
    char name[JOB_NAME_SIZE];   /* the command line */
    bool background;            /* started with '&': Ctrl-C is not for it */
    int threads;                /* threads created in it, not yet exited (sched_lock) */
    struct wait_queue gone;     /* job_end waits here for threads to reach 0 */
    struct spinlock lock;       /* guards resources */
    struct job_resource resources;  /* a ring: resources.next is the newest */
};

/* A new job for the command line name, run by the calling thread, which
 * from now on belongs to it. NULL if there is no memory. */
struct job *job_begin(const char *name);

/* End j (the calling thread's job): kill its other threads, wait for them
 * to exit, release what it owns, newest first, and free it. May sleep. */
void job_end(struct job *j);

/* The current thread's job owns r from now on (no job: nobody does). */
void job_adopt(struct job_resource *r);

/* r's owner frees it itself: the job forgets it. */
void job_forget(struct job_resource *r);

#endif
