/*
 * chan_timer.c: timers that deliver on a channel (chan_after, chan_ticker).
 *
 * Each is a ktimer (ktimer.h) whose firing, in CPU 0's timer interrupt,
 * sends the uptime on a channel of capacity 1 without waiting: if the
 * last value was not taken yet, a ticker's tick is dropped (as Go's
 * ticker drops ticks for a slow receiver).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chan.h"
#include "heap.h"
#include "job.h"
#include "ktimer.h"
#include "timer.h"

static void on_fire(struct ktimer *kt)
{
    struct chan_timer *t = (struct chan_timer *)kt;
    uint64_t now = timer_uptime_ms();
    chan_try_send(t->c, &now);
}

static void release(struct job_resource *r)
{
    struct chan_timer *t = (struct chan_timer *)((char *)r - offsetof(struct chan_timer, owner));
    ktimer_stop(&t->kt);
    kfree(t->c);
    kfree(t);
}

static struct chan_timer *start(const char *name, uint64_t ms, uint64_t period_ms)
{
    struct chan_timer *t = kmalloc(sizeof(*t));
    if (t == NULL)
        return NULL;
    t->c = chan_new(name, sizeof(uint64_t), 1);
    if (t->c == NULL) {
        kfree(t);
        return NULL;
    }
    /* The job frees the timer, and the timer its channel. */
    job_forget(&t->c->owner);
    ktimer_init(&t->kt, on_fire);
    t->owner.release = release;
    if (ktimer_start(&t->kt, ms, period_ms) != 0) {
        kfree(t->c);
        kfree(t);
        return NULL;
    }
    job_adopt(&t->owner);
    return t;
}

struct chan_timer *chan_after(uint64_t ms)
{
    return start("after", ms, 0);
}

struct chan_timer *chan_ticker(uint64_t ms)
{
    return start("ticker", ms, ms > 0 ? ms : 1);
}

bool chan_timer_stop(struct chan_timer *t)
{
    return ktimer_stop(&t->kt);
}

void chan_timer_free(struct chan_timer *t)
{
    if (t == NULL)
        return;
    job_forget(&t->owner);
    release(&t->owner);
}
