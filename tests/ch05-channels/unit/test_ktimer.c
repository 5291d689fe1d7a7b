/*
 * test_ktimer.c: the kernel timers' min-heap (kernel/ktimer.c).
 *
 * The kernel's clock is a variable the test advances by hand: timer_clock
 * returns it, and each step calls ktimer_tick as the timer interrupt does.
 * The timers' lock is a counter (one thread here), which lets a firing
 * check that it runs with the lock held, and krealloc is realloc, which a
 * flag makes fail. Every timer is checked against a model that computes
 * its deadline from ktimer.h's contract: the first tick at least ms away
 * (ms rounded up to whole ticks, at least one).
 *
 * The heap itself is static in ktimer.c, but every pending timer carries
 * its index in it, so the test rebuilds the heap from the timers and
 * checks, after every start and stop, that the indexes are exactly 0 ..
 * ktimer_pending()-1 and that no timer is due before its parent.
 *
 * Covers: start/stop contracts (-EBUSY on a pending timer, stop's return
 * value for pending, fired, stopped and never-started timers), -ENOMEM
 * when the heap cannot grow (nothing changed), 10,000 timers with random
 * deadlines and periods started, stopped (many from the middle of the
 * heap) and restarted at random while the clock runs: each fires exactly
 * at its deadline tick, in deadline order, periodic ones again every
 * period, stopped ones never; and lost ticks (a jump of the clock), after
 * which timers fire in deadline order once, without catching up.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errno.h"
#include "heap.h"
#include "ktimer.h"
#include "timer.h"
#include "spinlock.h"
#include "timer.h"

#include "check.h"

#define NTIMERS 10000
#define RUN_TICKS 1500
#define MAX_START_MS 3000       /* a first deadline up to 301 ticks away */
#define MAX_PERIOD_MS 1000
#define MAX_FAILURES 100        /* then a broken heap has said enough */

/* ---- The kernel around ktimer.c ---------------------------------------- */

static uint64_t now;            /* the clock: ticks since boot */
static int lock_depth;          /* the timers' lock: taken and not released */
static bool realloc_fails;
static int realloc_calls;

/* The kernel's panic (a lab's stub calls it): say where, and stop. */
void panic_at(const char *file, int line, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    fprintf(stderr, "PANIC at %s:%d: ", file, line);
    vfprintf(stderr, fmt, args);
    fprintf(stderr, "\n");
    va_end(args);
    abort();
}

/* The clock counts ticks here; a deadline ms from now is the first tick
 * at least ms away (the kernel's counts TSC cycles, timer.c). */
uint64_t timer_clock(void)
{
    return now;
}

static uint64_t ticks_for(uint64_t ms);

uint64_t timer_clock_after_ms(uint64_t ms)
{
    return timer_deadline(now, ticks_for(ms), 1);
}

void spin_lock(struct spinlock *l)
{
    CHECK(l->locked == 0);
    l->locked = 1;
    lock_depth++;
}

void spin_unlock(struct spinlock *l)
{
    CHECK(l->locked == 1);
    l->locked = 0;
    lock_depth--;
}

void *krealloc(void *ptr, size_t size)
{
    realloc_calls++;
    if (realloc_fails)
        return NULL;
    return realloc(ptr, size);
}

/* ---- The model --------------------------------------------------------- */

struct timer {
    struct ktimer kt;           /* first: fire's argument is the struct timer */
    bool pending;               /* what the model expects */
    uint64_t deadline;          /* when pending: the tick it must fire at */
    uint64_t period;            /* ticks, 0: once */
    int fired;                  /* firings in the current ktimer_tick */
};

static struct timer timers[NTIMERS];
static size_t model_pending;

/* The firings of one ktimer_tick, in order, with the deadline each was due at. */
static struct firing {
    struct timer *t;
    uint64_t due;
} firings[NTIMERS];
static size_t nfirings;
static long total_firings;

static uint64_t rng = 0x2545F4914F6CDD1Dull;

static uint64_t random_below(uint64_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng % n;
}

static uint64_t ticks_for(uint64_t ms)
{
    uint64_t ticks = ms / 1000 * TIMER_HZ + (ms % 1000 * TIMER_HZ + 999) / 1000;
    return ticks > 0 ? ticks : 1;
}

static void on_fire(struct ktimer *kt)
{
    struct timer *t = (struct timer *)kt;
    CHECK(lock_depth == 1);
    /* A periodic timer is back in the heap before fire runs, a one-shot is out. */
    CHECK(t->period ? kt->index >= 0 : kt->index == -1);
    if (nfirings < NTIMERS)
        firings[nfirings++] = (struct firing){ t, t->deadline };
    t->fired++;
}

/* The heap, rebuilt from the timers' indexes, is a min-heap of exactly the pending timers. */
static bool heap_ok(void)
{
    static struct timer *at[NTIMERS];
    size_t count = ktimer_pending();
    bool ok = count == model_pending && lock_depth == 0;
    memset(at, 0, sizeof(at));
    for (size_t i = 0; i < NTIMERS; i++) {
        struct timer *t = &timers[i];
        int index = t->kt.index;
        if (!t->pending) {
            ok = ok && index == -1;
            continue;
        }
        if (index < 0 || (size_t)index >= count || at[index] != NULL)
            return false;
        at[index] = t;
        ok = ok && t->kt.deadline == t->deadline;
    }
    for (size_t i = 1; i < count; i++)
        ok = ok && at[(i - 1) / 2]->kt.deadline <= at[i]->kt.deadline;
    return ok;
}

static int start(struct timer *t, uint64_t ms, uint64_t period_ms)
{
    int err = ktimer_start(&t->kt, ms, period_ms);
    if (err == 0) {
        CHECK(!t->pending);
        t->pending = true;
        t->deadline = now + ticks_for(ms);
        t->period = period_ms ? ticks_for(period_ms) : 0;
        model_pending++;
    }
    return err;
}

static bool stop(struct timer *t)
{
    bool was = ktimer_stop(&t->kt);
    CHECK(was == t->pending);
    if (t->pending)
        model_pending--;
    t->pending = false;
    return was;
}

/* Advance the clock by step ticks (1, or more: ticks were lost) and check
 * what fired: every pending timer due by now, once, in deadline order. */
static void tick(uint64_t step)
{
    now += step;
    nfirings = 0;
    ktimer_tick();
    CHECK(lock_depth == 0);
    size_t due = 0;
    for (size_t i = 0; i < NTIMERS; i++) {
        struct timer *t = &timers[i];
        bool is_due = t->pending && t->deadline <= now;
        due += is_due;
        CHECK(t->fired == (int)is_due);
        if (step == 1 && is_due)
            CHECK(t->deadline == now);
        t->fired = 0;
        if (!is_due)
            continue;
        if (t->period == 0) {
            t->pending = false;
            model_pending--;
        } else {
            t->deadline += t->period;
            if (t->deadline <= now)
                t->deadline = now + t->period;
        }
    }
    CHECK(nfirings == due);
    for (size_t i = 1; i < nfirings; i++)
        CHECK(firings[i - 1].due <= firings[i].due);
    total_firings += (long)nfirings;
    CHECK(heap_ok());
}

/* ---- Tests -------------------------------------------------------------- */

static void test_contract(void)
{
    struct timer *a = &timers[0], *b = &timers[1];
    CHECK(!stop(a));                            /* never started */
    CHECK(start(a, 0, 0) == 0);                 /* 0 ms: due at the next tick */
    CHECK(a->kt.deadline == now + 1);
    CHECK(start(a, 500, 0) == -EBUSY);          /* pending: unchanged */
    CHECK(a->kt.deadline == now + 1);
    CHECK(start(b, 11, 15) == 0);               /* 2 ticks, then every 2 */
    CHECK(b->kt.deadline == now + 2 && b->kt.period == 2);
    CHECK(heap_ok());
    tick(1);                                    /* a fires */
    CHECK(!a->pending && a->kt.index == -1);
    CHECK(!stop(a));                            /* fired once: not pending */
    CHECK(b->pending);
    tick(1);                                    /* b fires, and stays pending */
    CHECK(b->pending);
    tick(1);
    tick(1);                                    /* b again */
    CHECK(stop(b));
    CHECK(!stop(b));
    for (int i = 0; i < 5; i++)
        tick(1);                                /* stopped: b never fires again */
    CHECK(start(a, 10, 0) == 0);                /* a fired timer can start again */
    CHECK(a->kt.deadline == now + 1);
    CHECK(stop(a));
    CHECK(ktimer_pending() == 0);
    /* ktimer_lock is the timers' lock, ktimer_unlock lets it go. */
    ktimer_lock();
    CHECK(lock_depth == 1);
    ktimer_unlock();
    CHECK(lock_depth == 0);
}

/* Start timers one by one with krealloc failing: the one that needs the
 * heap to grow gets -ENOMEM and is not pending; nothing else changes. */
static void test_no_memory(void)
{
    size_t n = 0;
    realloc_fails = true;
    for (;;) {
        int calls = realloc_calls;
        int err = start(&timers[n], 1000 + random_below(1000), 0);
        if (err != 0) {
            CHECK(err == -ENOMEM);
            CHECK(realloc_calls == calls + 1);
            CHECK(timers[n].kt.index == -1);
            break;
        }
        CHECK(realloc_calls == calls);
        n++;
    }
    CHECK(heap_ok());
    CHECK(!stop(&timers[n]));
    realloc_fails = false;
    CHECK(start(&timers[n], 1000, 0) == 0);
    CHECK(heap_ok());
    for (size_t i = 0; i <= n; i++)
        CHECK(stop(&timers[i]));
    CHECK(ktimer_pending() == 0);
    printf("ktimer: -ENOMEM with %zu timers pending\n", n);
}

static void start_random(struct timer *t)
{
    uint64_t period_ms = random_below(10) < 3 ? 1 + random_below(MAX_PERIOD_MS) : 0;
    CHECK(start(t, random_below(MAX_START_MS + 1), period_ms) == 0);
}

/* A random timer, and whether stopping it takes it out of the heap's middle. */
static bool in_middle(struct timer *t)
{
    size_t i = (size_t)t->kt.index, count = ktimer_pending();
    return t->pending && i > 0 && 2 * i + 1 < count;
}

static void test_random(void)
{
    long middle_stops = 0, stops = 0, busy = 0;
    for (size_t i = 0; i < NTIMERS; i++) {
        start_random(&timers[i]);
        if (i % 16 == 0 || i > NTIMERS - 64)
            CHECK(heap_ok());
    }
    CHECK(heap_ok());
    CHECK(ktimer_pending() == NTIMERS);
    for (int i = 0; i < NTIMERS / 5; i++) {
        struct timer *t = &timers[random_below(NTIMERS)];
        middle_stops += in_middle(t);
        stops += stop(t);
        CHECK(heap_ok());
    }
    for (int step = 0; step < RUN_TICKS; step++) {
        for (int op = 0; op < 8; op++) {
            struct timer *t = &timers[random_below(NTIMERS)];
            switch (random_below(3)) {
            case 0:
                middle_stops += in_middle(t);
                stops += stop(t);
                break;
            case 1:
                if (t->pending) {
                    uint64_t deadline = t->kt.deadline;
                    CHECK(ktimer_start(&t->kt, random_below(MAX_START_MS), 0) == -EBUSY);
                    CHECK(t->kt.deadline == deadline);
                    busy++;
                } else {
                    start_random(t);
                }
                break;
            default:
                if (!t->pending)
                    start_random(t);
                break;
            }
            CHECK(heap_ok());
        }
        tick(step % 100 == 99 ? 1 + random_below(40) : 1);
        if (failures > MAX_FAILURES) {
            printf("ktimer: more than %d failures: the random run stops here\n", MAX_FAILURES);
            return;
        }
    }
    CHECK(middle_stops > 1000);
    CHECK(busy > 1000);
    /* Stop everything: nothing fires any more. */
    for (size_t i = 0; i < NTIMERS; i++)
        stop(&timers[i]);
    CHECK(ktimer_pending() == 0 && heap_ok());
    long before = total_firings;
    for (int step = 0; step < MAX_START_MS / 10 + 10; step++)
        tick(1);
    CHECK(total_firings == before);
    printf("ktimer: %ld firings, %ld stops (%ld from the middle of the heap), %ld -EBUSY\n",
           total_firings, stops, middle_stops, busy);
}

/* Lost ticks: every timer due in the gap fires once, in deadline order,
 * and a periodic one resumes a period after now instead of catching up. */
static void test_lost_ticks(void)
{
    for (size_t i = 0; i < 200; i++)
        CHECK(start(&timers[i], 10 * i, i % 2 ? 10 * (1 + i % 7) : 0) == 0);
    CHECK(heap_ok());
    tick(250);
    CHECK(nfirings == 200);
    for (size_t i = 0; i < 200; i++) {
        CHECK(timers[i].pending == (i % 2 == 1));
        if (i % 2)
            CHECK(timers[i].kt.deadline > now);
    }
    for (size_t i = 0; i < 200; i++)
        stop(&timers[i]);
    CHECK(heap_ok() && ktimer_pending() == 0);
}

/* A far deadline is far: now + ms * rate must not wrap around to a near
 * tick (it did in 64 bits for ms above UINT64_MAX / TIMER_HZ); it stops
 * at TIMER_CLOCK_NEVER, which never comes. */
static void test_far_deadlines(void)
{
    const uint64_t far[] = { UINT64_MAX / TIMER_HZ + 1, INT64_MAX, UINT64_MAX };
    for (size_t i = 0; i < sizeof(far) / sizeof(far[0]); i++) {
        CHECK(timer_deadline(now, far[i], 2600000) == TIMER_CLOCK_NEVER);
        CHECK(timer_deadline(UINT64_MAX - 5, 1, 5) == UINT64_MAX);
        CHECK(timer_deadline(UINT64_MAX - 5, 1, 6) == TIMER_CLOCK_NEVER);
        struct ktimer *kt = &timers[i].kt;
        CHECK(ktimer_start(kt, far[i], 0) == 0);
        CHECK(kt->deadline > now + 1000000);
        CHECK(ktimer_stop(kt));
    }
    CHECK(timer_deadline(100, 3, 7) == 121);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (size_t i = 0; i < NTIMERS; i++)
        ktimer_init(&timers[i].kt, on_fire);
    now = 1000;
    test_contract();
    test_no_memory();
    test_lost_ticks();
    test_far_deadlines();
    test_random();
    printf("ktimer: %d failures\n", failures);
    return failures != 0;
}
