/*
 * ktimer.h: kernel timers: call a function at a given tick, once or every
 * period ticks.
 *
 * The pending timers sit in a binary min-heap ordered by deadline, so each
 * tick looks at the earliest one only, and starting or stopping a timer
 * costs O(log n): ten thousand pending timers cost a tick no more than
 * ten. The channels' timers (chan.h: chan_after, chan_ticker) and select's
 * timeout are built on these.
 */
#ifndef CUBOS_KTIMER_H
#define CUBOS_KTIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ktimer {
    uint64_t deadline;          /* timer_clock() reading it is due at (timer.h) */
    uint64_t period;            /* clock counts between firings, 0: once */
    /* Called from CPU 0's timer interrupt, with the timers' lock held: it
     * must not block, and not start or stop timers. */
    void (*fire)(struct ktimer *t);
    int index;                  /* its place in the heap, -1 when not pending */
};

/* Ready t (not pending) to call fire. */
void ktimer_init(struct ktimer *t, void (*fire)(struct ktimer *t));

/* Make t pending: it fires at the first tick at least ms milliseconds
 * from now (never early, by the clock of timer.h), then every period_ms
 * if that is not 0. 0, or -ENOMEM if the heap cannot grow, or -EBUSY if
 * t is pending already. */
int ktimer_start(struct ktimer *t, uint64_t ms, uint64_t period_ms);

/* Make t not pending. True if it was; false if it had fired (once) or was
 * never started. When it returns, fire is not running for t on any CPU. */
bool ktimer_stop(struct ktimer *t);

/* From the timer interrupt on CPU 0: fire what is due now. */
void ktimer_tick(void);

/* Take / release the timers' lock, for a caller (the deadlock check) that
 * must see the pending count and other state at one instant. */
void ktimer_lock(void);
void ktimer_unlock(void);

/* How many timers are pending; with ktimer_lock held to be exact. */
size_t ktimer_pending(void);

#endif
