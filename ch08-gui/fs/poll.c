/*
 * poll.c: the one wait queue of every poll and epoll_wait (poll.h).
 *
 * Waiters park (thread_park) on a list under poll_lock; poll_notify
 * unparks them all and bumps the generation. A waiter checks the
 * generation under the same lock before it parks, so a notification
 * between its check of the files and its sleep is not lost. A timeout is
 * a kernel timer that unparks the waiter.
 */
#include <stdbool.h>
#include <stdint.h>

#include "clock.h"
#include "errno.h"
#include "fd.h"
#include "ktimer.h"
#include "poll.h"
#include "spinlock.h"
#include "thread.h"

struct poll_waiter {
    struct thread *thread;
    bool timed_out;
    struct poll_waiter *next;
    struct ktimer timer;
};

static struct spinlock poll_lock = SPINLOCK_INIT("poll");
static struct poll_waiter *waiters;
static uint64_t generation;

/* Take w off the list if it is still on it; poll_lock held. */
static bool unlink_waiter(struct poll_waiter *w)
{
    for (struct poll_waiter **pp = &waiters; *pp; pp = &(*pp)->next) {
        if (*pp == w) {
            *pp = w->next;
            return true;
        }
    }
    return false;
}

void poll_notify(void)
{
    spin_lock(&poll_lock);
    generation++;
    for (struct poll_waiter *w = waiters; w; w = w->next)
        thread_unpark(w->thread);
    waiters = NULL;
    spin_unlock(&poll_lock);
}

uint64_t poll_generation(void)
{
    return __atomic_load_n(&generation, __ATOMIC_ACQUIRE);
}

static void timeout_fire(struct ktimer *t)
{
    struct poll_waiter *w = (struct poll_waiter *)((char *)t - __builtin_offsetof(struct poll_waiter, timer));
    spin_lock(&poll_lock);
    /* Set before the waiter parks, the flag alone keeps it from parking. */
    w->timed_out = true;
    if (unlink_waiter(w))
        thread_unpark(w->thread);
    spin_unlock(&poll_lock);
}

#define NO_DEADLINE UINT64_MAX

uint64_t poll_deadline(int64_t timeout_ms)
{
    if (timeout_ms < 0)
        return NO_DEADLINE;
    return clock_monotonic_ns() + (uint64_t)timeout_ms * NSEC_PER_MS;
}

/* Sleep until a notification after seen or timeout_ms (NO_DEADLINE:
 * never), or a signal or a kill (-EINTR: the call returns, and a killed
 * thread ends on its way out). */
static int wait_for(uint64_t seen, uint64_t timeout_ms)
{
    static const struct wait_reason why = { WAIT_DEVICE, "poll", "files", "ready", NULL };
    struct poll_waiter w = { thread_current(), false, NULL, { 0 } };
    ktimer_init(&w.timer, timeout_fire);
    if (timeout_ms != NO_DEADLINE)
        ktimer_start(&w.timer, timeout_ms, 0);
    spin_lock(&poll_lock);
    if (generation == seen && !w.timed_out) {
        w.next = waiters;
        waiters = &w;
        struct spinlock *held[] = { &poll_lock };
        thread_park_intr(held, 1, &why);
        spin_lock(&poll_lock);
        unlink_waiter(&w);          /* still there if killed */
    }
    spin_unlock(&poll_lock);
    if (timeout_ms != NO_DEADLINE)
        ktimer_stop(&w.timer);
    return thread_signalled() || thread_killed() ? -EINTR : 0;
}

int poll_wait_until(uint64_t seen, uint64_t deadline)
{
    if (deadline == NO_DEADLINE)
        return wait_for(seen, NO_DEADLINE);
    uint64_t now = clock_monotonic_ns();
    if (now >= deadline)
        return -ETIMEDOUT;
    /* Whole milliseconds, rounded up: never early. */
    if (wait_for(seen, (deadline - now + NSEC_PER_MS - 1) / NSEC_PER_MS) == -EINTR)
        return -EINTR;
    return clock_monotonic_ns() >= deadline ? -ETIMEDOUT : 0;
}

unsigned file_poll(struct file *f, uint64_t *version)
{
    *version = 0;
    if (f->ops && f->ops->poll)
        return f->ops->poll(f, version);
    return POLLIN | POLLOUT;
}
