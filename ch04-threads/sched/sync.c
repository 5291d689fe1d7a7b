/*
 * sync.c: mutexes and semaphores, built from a spinlock and a wait queue.
 *
 * The spinlock guards the few words of state for an instant; the wait
 * queue holds the threads that cannot go on yet, asleep, so a held mutex
 * costs its waiters no CPU time.
 */
#include <stddef.h>

#include "panic.h"
#include "thread.h"
#include "wait.h"

void mutex_lock(struct mutex *m)
{
    might_sleep();
    spin_lock(&m->lock);
    struct thread *me = thread_current();
    if (m->owner == me)
        panic("mutex '%s': thread '%s' locks it twice (deadlock)", m->lock.name, me->name);
    while (m->owner != NULL)
        wait_sleep(&m->waiters, &m->lock);
    m->owner = me;
    spin_unlock(&m->lock);
}

void mutex_unlock(struct mutex *m)
{
    spin_lock(&m->lock);
    if (m->owner != thread_current())
        panic("mutex '%s': unlocked by a thread that does not hold it", m->lock.name);
    m->owner = NULL;
    wait_wake_one(&m->waiters);
    spin_unlock(&m->lock);
}

void sem_down(struct semaphore *s)
{
    might_sleep();
    spin_lock(&s->lock);
    while (s->count <= 0)
        wait_sleep(&s->waiters, &s->lock);
    s->count--;
    spin_unlock(&s->lock);
}

void sem_up(struct semaphore *s)
{
    spin_lock(&s->lock);
    s->count++;
    wait_wake_one(&s->waiters);
    spin_unlock(&s->lock);
}
