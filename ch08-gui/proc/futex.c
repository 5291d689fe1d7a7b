/*
 * futex.c: waiting on user words.
 *
 * Waiters hang in a small hash table of buckets keyed by (process,
 * address); each bucket has its own spinlock. A waiter reads the word
 * with its bucket locked and parks (thread_park) only if it still holds
 * the expected value: a waker changes the word first, then takes the same
 * lock to wake, so it cannot slip between the check and the park.
 */
#include <stdbool.h>
#include <stdint.h>

#include "errno.h"
#include "futex.h"
#include "ktimer.h"
#include "process.h"
#include "spinlock.h"
#include "thread.h"
#include "timer.h"
#include "uaccess.h"

#define BUCKETS 64
#define BITSET_ANY 0xFFFFFFFFu

struct futex_waiter {
    struct process *proc;
    uint64_t uaddr;
    uint32_t bitset;
    struct thread *thread;
    bool woken, timed_out;
    struct futex_waiter *next;
    struct ktimer timer;
    struct bucket *bucket;
};

struct bucket {
    struct spinlock lock;
    struct futex_waiter *waiters;
};

static struct bucket buckets[BUCKETS] = {
    [0 ... BUCKETS - 1] = { SPINLOCK_INIT("futex bucket"), NULL },
};

static struct bucket *bucket_of(struct process *p, uint64_t uaddr)
{
    uint64_t h = (uint64_t)p * 31 + (uaddr >> 2);
    h ^= h >> 17;
    return &buckets[h % BUCKETS];
}

/* Take w out of its bucket if it is still there; bucket locked. */
static bool unlink_waiter(struct bucket *b, struct futex_waiter *w)
{
    for (struct futex_waiter **pp = &b->waiters; *pp; pp = &(*pp)->next) {
        if (*pp == w) {
            *pp = w->next;
            return true;
        }
    }
    return false;
}

static void timeout_fire(struct ktimer *t)
{
    struct futex_waiter *w = (struct futex_waiter *)((char *)t - __builtin_offsetof(struct futex_waiter, timer));
    spin_lock(&w->bucket->lock);
    /* Before the waiter queued itself, the flag alone stops it queueing. */
    w->timed_out = true;
    if (unlink_waiter(w->bucket, w))
        thread_unpark(w->thread);
    spin_unlock(&w->bucket->lock);
}

long futex_wait(struct process *p, uint64_t uaddr, uint32_t val, uint64_t timeout_ms, uint32_t bitset)
{
    if (uaddr % sizeof(uint32_t) || bitset == 0)
        return -EINVAL;
    static const struct wait_reason why = { WAIT_DEVICE, "futex wait", "futex", "word", NULL };
    struct bucket *b = bucket_of(p, uaddr);
    struct futex_waiter w = { p, uaddr, bitset, thread_current(), false, false, NULL, { 0 }, b };
    ktimer_init(&w.timer, timeout_fire);
    if (timeout_ms != UINT64_MAX)
        ktimer_start(&w.timer, timeout_ms, 0);
    spin_lock(&b->lock);
    uint32_t now;
    long err = copy_from_user(&now, (const void *)uaddr, sizeof(now));
    if (err == 0 && now != val)
        err = -EAGAIN;
    if (err == 0 && !w.timed_out) {
        w.next = b->waiters;
        b->waiters = &w;
        struct spinlock *held[] = { &b->lock };
        thread_park_intr(held, 1, &why);
        spin_lock(&b->lock);
        /* Still there if killed or signalled: nobody woke it. */
        if (unlink_waiter(b, &w) && !w.timed_out && thread_signalled())
            err = timeout_ms == UINT64_MAX ? -ERESTARTSYS : -EINTR;
    }
    spin_unlock(&b->lock);
    if (timeout_ms != UINT64_MAX)
        ktimer_stop(&w.timer);
    if (thread_killed())
        err = -EINTR;           /* the call returns; the thread ends on its way out */
    if (err == 0 && w.timed_out)
        err = -ETIMEDOUT;
    return err;
}

long futex_wake_bitset(struct process *p, uint64_t uaddr, int n, uint32_t bitset)
{
    if (uaddr % sizeof(uint32_t) || bitset == 0)
        return -EINVAL;
    struct bucket *b = bucket_of(p, uaddr);
    long woken = 0;
    spin_lock(&b->lock);
    for (struct futex_waiter **pp = &b->waiters; *pp && woken < n;) {
        struct futex_waiter *w = *pp;
        if (w->proc == p && w->uaddr == uaddr && (w->bitset & bitset)) {
            *pp = w->next;
            w->woken = true;
            thread_unpark(w->thread);
            woken++;
        } else {
            pp = &w->next;
        }
    }
    spin_unlock(&b->lock);
    return woken;
}

long futex_wake(struct process *p, uint64_t uaddr, int n)
{
    return futex_wake_bitset(p, uaddr, n, BITSET_ANY);
}
