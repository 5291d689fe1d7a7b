/*
 * wait.h: wait queues, mutexes and semaphores: how a thread waits without
 * spinning, by leaving the run queue until another thread wakes it.
 */
#ifndef CUBOS_WAIT_H
#define CUBOS_WAIT_H

#include <stdint.h>

#include "spinlock.h"

struct thread;

struct wait_queue {
    struct thread *head, *tail;
};

/* What a blocked thread waits for: `ps` shows it, and the deadlock check
 * (sched/deadlock.c) counts who can still be woken. */
enum wait_kind {
    WAIT_SYNC,          /* only another thread can wake it: a channel, a lock, a join */
    WAIT_DEVICE,        /* an interrupt may: console input (never part of a deadlock) */
};

struct wait_reason {
    enum wait_kind kind;
    const char *op;             /* "recv from", "lock", "join" ... */
    const char *what;           /* "channel", "mutex", "thread" ... */
    const char *name;           /* the object's name */
    const struct thread *owner; /* a mutex's owner, else NULL */
};

/*
 * Sleep on wq, for the reason why. The caller holds lock (from spin_lock) and no other
 * spinlock; it is released while the thread sleeps and taken again before
 * wait_sleep returns, so a condition checked under lock cannot change
 * between the check and the sleep without a wakeup. Callers loop:
 *     while (!condition) wait_sleep(&wq, &lock);
 * Every blocking call here (wait_sleep, mutex_lock, sem_down) may sleep:
 * never from an interrupt handler, with another spinlock held or with
 * interrupts off; the check (thread.h, might_sleep) panics naming the caller.
 * A thread killed while it sleeps (its job ended, thread.h) does not
 * return: it unwinds (thread_unwind), without lock.
 */
void wait_sleep(struct wait_queue *wq, struct spinlock *lock, const struct wait_reason *why);

/* Make the first thread on wq ready. The caller holds the lock that
 * protects the condition the sleepers wait for. */
void wait_wake_one(struct wait_queue *wq);

/* Make every thread on wq ready. */
void wait_wake_all(struct wait_queue *wq);

/* A sleeping lock: at most one owner; others sleep until it is free. */
struct mutex {
    struct spinlock lock;
    struct thread *owner;
    struct wait_queue waiters;
};

#define MUTEX_INIT(n) { SPINLOCK_INIT(n), 0, { 0, 0 } }

void mutex_lock(struct mutex *m);
void mutex_unlock(struct mutex *m);

/* A counting semaphore: down waits until the count is positive. */
struct semaphore {
    struct spinlock lock;
    long count;
    struct wait_queue waiters;
};

#define SEMAPHORE_INIT(n, c) { SPINLOCK_INIT(n), (c), { 0, 0 } }

void sem_down(struct semaphore *s);
void sem_up(struct semaphore *s);

/* A wait group (Go's sync.WaitGroup): wg_wait sleeps until as many
 * wg_done as wg_add have counted. A count below zero is a bug: the
 * thread that made it so is stopped with a report. */
struct waitgroup {
    struct spinlock lock;
    long count;
    struct wait_queue waiters;
};

#define WAITGROUP_INIT(n) { SPINLOCK_INIT(n), 0, { 0, 0 } }

void wg_add(struct waitgroup *wg, long n);
void wg_done(struct waitgroup *wg);
void wg_wait(struct waitgroup *wg);

#endif
