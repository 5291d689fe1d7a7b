/*
 * select.c: waiting on several channels at once (see chan.h).
 *
 * Three passes, as in Go's runtime:
 *   1. poll: with every channel locked, look at the cases in a random
 *      order and do the first one that can go on now;
 *   2. wait: put a waiter on every channel (all sharing one
 *      select_state, waiter.h) and park;
 *   3. once woken, lock every channel again and take back the waiters
 *      that did not fire.
 * Channels are always locked in one global order, by address, so two
 * selects over the same channels in different orders cannot deadlock;
 * a channel named by two cases is locked once.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chan.h"
#include "cpu.h"
#include "heap.h"
#include "ktimer.h"
#include "spinlock.h"
#include "thread.h"
#include "waiter.h"
#include "x86.h"

#define SELECT_STACK_CASES 8    /* more cases than this: their records come from kmalloc */

struct case_record {
    struct chan_waiter waiter;
    int poll_order;             /* a random permutation of the cases */
    int lock_order;             /* the cases with a channel, by channel address */
};

struct select_timeout {
    struct ktimer kt;
    struct select_state *sel;
};

static uint64_t random_state[MAX_CPUS];

/* xorshift64 (Marsaglia, 2003), one state per CPU, seeded from the TSC;
 * interrupts off, so no other thread steps this CPU's state meanwhile. */
static uint64_t random_next(void)
{
    irq_push_off();
    uint64_t *s = &random_state[this_cpu()->id];
    if (*s == 0)
        *s = rdtsc() | 1;
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    uint64_t r = *s;
    irq_pop_off();
    return r;
}

/* Lock (or unlock) the channels of the first n records' lock order. */
static void lock_all(struct select_case *cases, struct case_record *r, int n)
{
    for (int i = 0; i < n; i++) {
        struct chan *c = cases[r[i].lock_order].c;
        if (i == 0 || c != cases[r[i - 1].lock_order].c)
            spin_lock(&c->lock);
    }
}

static void unlock_all(struct select_case *cases, struct case_record *r, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        struct chan *c = cases[r[i].lock_order].c;
        if (i == 0 || c != cases[r[i - 1].lock_order].c)
            spin_unlock(&c->lock);
    }
}

static void on_timeout(struct ktimer *kt)
{
    struct select_timeout *t = (struct select_timeout *)kt;
    struct select_state *sel = t->sel;
    /* sel.lock is held by the select from before it checks `fired` until
     * it is parked: a timeout never wakes a thread about to park. */
    spin_lock(&sel->lock);
    int pending = SELECT_PENDING;
    if (__atomic_compare_exchange_n(&sel->fired, &pending, SELECT_TIMEOUT, false,
                                    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        thread_unpark(sel->thread);
    spin_unlock(&sel->lock);
}

/* Pass 1 over the cases in poll order; channels locked. The case done, or -1. */
static int poll_cases(struct select_case *cases, struct case_record *r, int n)
{
    for (int i = 0; i < n; i++) {
        int k = r[i].poll_order;
        struct select_case *sc = &cases[k];
        if (sc->c == NULL)
            continue;
        if (sc->dir == SELECT_SEND) {
            if (sc->c->closed)
                return -2 - k;  /* a bug, reported once the locks are let go */
            if (chan_deliver(sc->c, sc->elem))
                return k;
        } else if (chan_take(sc->c, sc->elem, &sc->ok)) {
            return k;
        }
    }
    return -1;
}

int chan_select(struct select_case *cases, int n, bool may_wait, int64_t timeout_ms)
{
    if (may_wait)
        might_sleep();
    /* A record per case, and room for the locks thread_park lets go: one
     * per channel and the select's own. */
    struct case_record on_stack[SELECT_STACK_CASES];
    struct spinlock *held_on_stack[SELECT_STACK_CASES + 1];
    struct case_record *r = on_stack;
    struct spinlock **held = held_on_stack;
    if (n > SELECT_STACK_CASES) {
        r = kmalloc((size_t)n * sizeof(*r) + (size_t)(n + 1) * sizeof(*held));
        if (r == NULL)
            return SELECT_NO_MEMORY;
        held = (struct spinlock **)(r + n);
    }
    /* A random poll order (Fisher-Yates), and the lock order. */
    int nlocked = 0;
    for (int i = 0; i < n; i++) {
        int j = (int)(random_next() % (uint64_t)(i + 1));
        r[i].poll_order = r[j].poll_order;
        r[j].poll_order = i;
        if (cases[i].c == NULL)
            continue;
        int k = nlocked++;
        while (k > 0 && (uintptr_t)cases[r[k - 1].lock_order].c > (uintptr_t)cases[i].c) {
            r[k].lock_order = r[k - 1].lock_order;
            k--;
        }
        r[k].lock_order = i;
    }

    struct select_state sel = { thread_current(), SELECT_PENDING, SPINLOCK_INIT("select") };
    struct select_timeout timeout = { .sel = &sel };
    ktimer_init(&timeout.kt, on_timeout);
    bool timed = may_wait && timeout_ms > 0;
    /* Started before the channels are locked: a firing timer takes the
     * timers' lock first, a channel's (chan_after) after it. */
    if (timed && ktimer_start(&timeout.kt, (uint64_t)timeout_ms, 0) != 0) {
        if (r != on_stack)
            kfree(r);
        return SELECT_NO_MEMORY;
    }

    lock_all(cases, r, nlocked);
    int done = poll_cases(cases, r, n);
    if (done >= 0 || done <= -2 || !may_wait || timeout_ms == 0) {
        unlock_all(cases, r, nlocked);
        if (timed)
            ktimer_stop(&timeout.kt);
        if (r != on_stack)
            kfree(r);
        if (done <= -2)
            chan_bug(cases[-2 - done].c, "send on closed channel", " (in select)", __builtin_return_address(0));
        if (done >= 0)
            return done;
        return may_wait ? SELECT_TIMEOUT : SELECT_DEFAULT;
    }

    /* Pass 2: wait on every channel. */
    for (int i = 0; i < n; i++) {
        struct chan_waiter *w = &r[i].waiter;
        w->queued = false;
        if (cases[i].c == NULL)
            continue;
        w->sel = &sel;
        w->elem = cases[i].elem;
        w->index = i;
        w->ok = false;
        waiters_push(cases[i].dir == SELECT_SEND ? &cases[i].c->senders : &cases[i].c->receivers, w);
    }
    struct wait_reason why = { WAIT_SYNC, "select on", "channel", nlocked ? cases[r[0].lock_order].c->name : "nil", NULL };
    spin_lock(&sel.lock);
    if (__atomic_load_n(&sel.fired, __ATOMIC_ACQUIRE) == SELECT_PENDING) {
        int nheld = 0;
        for (int i = 0; i < nlocked; i++) {
            struct chan *c = cases[r[i].lock_order].c;
            if (i == 0 || c != cases[r[i - 1].lock_order].c)
                held[nheld++] = &c->lock;
        }
        held[nheld++] = &sel.lock;
        thread_park(held, nheld, &why);
        /* Pass 3: take back the waiters that did not fire. */
        lock_all(cases, r, nlocked);
    } else {
        spin_unlock(&sel.lock);         /* the timeout fired already */
    }
    for (int i = 0; i < n; i++) {
        struct chan_waiter *w = &r[i].waiter;
        if (w->queued)
            waiters_remove(cases[i].dir == SELECT_SEND ? &cases[i].c->senders : &cases[i].c->receivers, w);
    }
    unlock_all(cases, r, nlocked);
    if (timed)
        ktimer_stop(&timeout.kt);

    int fired = __atomic_load_n(&sel.fired, __ATOMIC_ACQUIRE);
    bool ok = fired >= 0 ? r[fired].waiter.ok : false;
    if (r != on_stack)
        kfree(r);
    if (fired == SELECT_PENDING)
        thread_unwind();        /* killed */
    if (fired == SELECT_TIMEOUT)
        return SELECT_TIMEOUT;
    if (cases[fired].dir == SELECT_SEND && !ok)
        chan_bug(cases[fired].c, "send on closed channel", " (closed while the select waited)",
                 __builtin_return_address(0));
    cases[fired].ok = ok;
    return fired;
}
