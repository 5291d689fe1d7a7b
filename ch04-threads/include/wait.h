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

/*
 * Sleep on wq. The caller holds lock (from spin_lock) and no other
 * spinlock; it is released while the thread sleeps and taken again before
 * wait_sleep returns, so a condition checked under lock cannot change
 * between the check and the sleep without a wakeup. Callers loop:
 *     while (!condition) wait_sleep(&wq, &lock);
 * Every blocking call here (wait_sleep, mutex_lock, sem_down) may sleep:
 * never from an interrupt handler, with another spinlock held or with
 * interrupts off; the check (thread.h, might_sleep) panics naming the caller.
 */
void wait_sleep(struct wait_queue *wq, struct spinlock *lock);

/* Make the first thread on wq ready. The caller holds the lock that
 * protects the condition the sleepers wait for. */
void wait_wake_one(struct wait_queue *wq);

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

#endif
