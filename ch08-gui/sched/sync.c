/*
 * sync.c: mutexes and semaphores, built from a spinlock and a wait queue.
 *
 * The spinlock guards the few words of state for an instant; the wait
 * queue holds the threads that cannot go on yet, asleep, so a held mutex
 * costs its waiters no CPU time.
 */
#include <stdbool.h>
#include <stddef.h>

#include "panic.h"
#include "thread.h"
#include "wait.h"

void mutex_lock(struct mutex *m)
{
    /* LAB(mutex): wait, asleep on m->waiters, until no thread owns m, then
     * own it. wait_sleep lets go of m->lock while asleep and takes it back.
     * Locking a mutex may sleep (check that it may), and a thread that
     * locks one it already owns would wait forever: panic instead. */
    /* LAB-STUB: panic("lab mutex: mutex_lock('%s') is not written yet", m->lock.name); */
    might_sleep();
    spin_lock(&m->lock);
    struct thread *me = thread_current();
    if (m->owner == me)
        panic("mutex '%s': thread '%s' locks it twice (deadlock)", m->lock.name, me->name);
    while (m->owner != NULL) {
        struct wait_reason why = { WAIT_SYNC, "lock", "mutex", m->lock.name, m->owner };
        wait_sleep(&m->waiters, &m->lock, &why);
    }
    m->owner = me;
    spin_unlock(&m->lock);
    /* END LAB(mutex) */
}

void mutex_unlock(struct mutex *m)
{
    /* LAB(mutex): give m up and wake one waiter; only the owner may. */
    /* LAB-STUB: panic("lab mutex: mutex_unlock('%s') is not written yet", m->lock.name); */
    spin_lock(&m->lock);
    if (m->owner != thread_current())
        panic("mutex '%s': unlocked by a thread that does not hold it", m->lock.name);
    m->owner = NULL;
    wait_wake_one(&m->waiters);
    spin_unlock(&m->lock);
    /* END LAB(mutex) */
}

void sem_down(struct semaphore *s)
{
    might_sleep();
    spin_lock(&s->lock);
    struct wait_reason why = { WAIT_SYNC, "down", "semaphore", s->lock.name, NULL };
    while (s->count <= 0)
        wait_sleep(&s->waiters, &s->lock, &why);
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

void wg_add(struct waitgroup *wg, long n)
{
    spin_lock(&wg->lock);
    wg->count += n;
    long count = wg->count;
    if (count == 0)
        wait_wake_all(&wg->waiters);
    if (count < 0)
        wg->count = 0;
    spin_unlock(&wg->lock);
    if (count < 0)
        thread_stop_for_bug(__builtin_return_address(0), "wait group '%s': counter went negative (%ld)",
                            wg->lock.name, count);
}

/* A function of its own, not a call to wg_add, so that a bug report names
 * wg_done's caller. */
void wg_done(struct waitgroup *wg)
{
    spin_lock(&wg->lock);
    bool negative = wg->count == 0;
    if (!negative && --wg->count == 0)
        wait_wake_all(&wg->waiters);
    spin_unlock(&wg->lock);
    if (negative)
        thread_stop_for_bug(__builtin_return_address(0), "wait group '%s': wg_done with the counter at 0",
                            wg->lock.name);
}

void wg_wait(struct waitgroup *wg)
{
    might_sleep();
    spin_lock(&wg->lock);
    struct wait_reason why = { WAIT_SYNC, "wait for", "wait group", wg->lock.name, NULL };
    while (wg->count > 0)
        wait_sleep(&wg->waiters, &wg->lock, &why);
    spin_unlock(&wg->lock);
}
