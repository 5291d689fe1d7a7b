/*
 * selftest.c: channels, select, timers and wait groups, checked from
 * inside the kernel with every CPU running (the `selftest` option).
 *
 * The self tests run before the shell, outside any job: they free what
 * they make themselves.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chan.h"
#include "cpu.h"
#include "heap.h"
#include "kprintf.h"
#include "selftest.h"
#include "thread.h"
#include "timer.h"
#include "wait.h"
#include "x86.h"

#define FAIR_ROUNDS 10000
#define CHI2_LIMIT_X100 1083        /* chi-square, 1 degree of freedom, p = 0.001: 10.83 */
#define RING_THREADS 1000
#define RING_LAPS 10
#define CLOSE_RACES 1000
#define WAKE_WAITERS 4
#define TIMER_MS 50
#define TIMER_TRIES 3
#define TICKER_MS 20
#define TICKS 5
#define MANY_TIMERS 10000
#define WG_THREADS 100

static uint64_t us_now(void)
{
    return rdtsc() / (timer_tsc_rate() / 1000000);
}

static bool test_buffered(void)
{
    struct chan *c = chan_new("fifo", sizeof(int), 4);
    CHECK("channels", c != NULL && chan_cap(c) == 4);
    for (int i = 1; i <= 4; i++)
        chan_send(c, &i);
    CHECK("channels", chan_len(c) == 4);
    int extra = 5;
    CHECK("channels", !chan_try_send(c, &extra));
    chan_close(c);
    for (int i = 1; i <= 4; i++) {
        int v = 0;
        CHECK("channels", chan_recv(c, &v) && v == i);
    }
    int v = 99;
    CHECK("channels", !chan_recv(c, &v) && v == 0);
    chan_free(c);
    kprintf("selftest channels: a buffered channel keeps order; closed, it drains, then gives 0, false\n");
    return true;
}

struct sender_arg {
    struct chan *c;
    int value;
    bool *returned;
};

static void send_one(void *arg)
{
    struct sender_arg *s = arg;
    chan_send(s->c, &s->value);
    __atomic_store_n(s->returned, true, __ATOMIC_RELEASE);
}

static bool test_rendezvous(void)
{
    struct chan *c = chan_new("rendezvous", sizeof(int), 0);
    CHECK("channels", c != NULL);
    bool returned = false;
    struct sender_arg s = { c, 42, &returned };
    struct thread *t = thread_create("sender", send_one, &s);
    CHECK("channels", t != NULL);
    thread_sleep_ms(30);
    bool early = __atomic_load_n(&returned, __ATOMIC_ACQUIRE);
    int v = 0;
    bool ok = chan_recv(c, &v);
    thread_join(t);
    chan_free(c);
    CHECK("channels", !early);
    CHECK("channels", ok && v == 42 && returned);
    kprintf("selftest channels: an unbuffered send waits until a receiver takes the value\n");
    return true;
}

struct waiter_arg {
    struct chan *c;
    bool in_select;
    int *woken;                 /* receivers that saw the close */
    int *after_send;            /* senders that got past a send on the closed channel */
};

static void receive_until_closed(void *arg)
{
    struct waiter_arg *w = arg;
    int v = -1;
    bool ok;
    if (w->in_select) {
        struct select_case cases[] = { { NULL, SELECT_RECV, &v, false }, { w->c, SELECT_RECV, &v, false } };
        ok = chan_select(cases, 2, true, SELECT_FOREVER) == 1 && cases[1].ok;
    } else {
        ok = chan_recv(w->c, &v);
    }
    if (!ok && v == 0)
        __atomic_fetch_add(w->woken, 1, __ATOMIC_RELAXED);
}

static void send_until_closed(void *arg)
{
    struct waiter_arg *w = arg;
    int v = 7;
    if (w->in_select) {
        struct select_case cases[] = { { w->c, SELECT_SEND, &v, false } };
        chan_select(cases, 1, true, SELECT_FOREVER);
    } else {
        chan_send(w->c, &v);
    }
    __atomic_fetch_add(w->after_send, 1, __ATOMIC_RELAXED);
}

/* Receivers, plain and in select, get 0, false; senders are stopped as
 * buggy (their reports are on the console). */
static bool test_close_wakes_all(void)
{
    struct chan *c = chan_new("closing", sizeof(int), 0);
    struct chan *d = chan_new("closing send", sizeof(int), 0);
    CHECK("channels", c != NULL && d != NULL);
    int woken = 0, after_send = 0;
    struct thread *t[4 * WAKE_WAITERS];
    int n = 0;
    for (int i = 0; i < 2 * WAKE_WAITERS; i++) {
        struct waiter_arg *w = kmalloc(sizeof(*w));
        CHECK("channels", w != NULL);
        *w = (struct waiter_arg){ i < WAKE_WAITERS ? c : d, i % 2 == 1, &woken, &after_send };
        t[n++] = thread_create(i < WAKE_WAITERS ? "receiver" : "sender",
                               i < WAKE_WAITERS ? receive_until_closed : send_until_closed, w);
        CHECK("channels", t[n - 1] != NULL);
    }
    thread_sleep_ms(50);        /* all of them waiting by now */
    chan_close(c);
    chan_close(d);
    for (int i = 0; i < n; i++) {
        void *arg = t[i]->arg;
        thread_join(t[i]);
        kfree(arg);
    }
    chan_free(c);
    chan_free(d);
    CHECK("channels", woken == WAKE_WAITERS);
    CHECK("channels", after_send == 0);
    kprintf("selftest channels: close woke %d receivers (half in select) with 0, false, "
            "and stopped %d senders as buggy\n", woken, WAKE_WAITERS);
    return true;
}

static bool test_select_fairness(void)
{
    struct chan *a = chan_new("fair a", sizeof(int), 1);
    struct chan *b = chan_new("fair b", sizeof(int), 1);
    CHECK("channels", a != NULL && b != NULL);
    int one = 1;
    chan_send(a, &one);
    chan_send(b, &one);
    long picked[2] = { 0, 0 };
    for (int i = 0; i < FAIR_ROUNDS; i++) {
        int v;
        struct select_case cases[] = { { a, SELECT_RECV, &v, false }, { b, SELECT_RECV, &v, false } };
        int k = chan_select(cases, 2, false, 0);
        CHECK("channels", k == 0 || k == 1);
        picked[k]++;
        chan_send(k == 0 ? a : b, &one);        /* both always ready */
    }
    chan_free(a);
    chan_free(b);
    long diff = picked[0] - picked[1];
    long chi2_x100 = diff * diff * 100 / FAIR_ROUNDS;
    kprintf("selftest channels: select chose case 0 %ld times and case 1 %ld times in %d rounds "
            "(chi-square %ld.%02ld)\n", picked[0], picked[1], FAIR_ROUNDS, chi2_x100 / 100, chi2_x100 % 100);
    CHECK("channels", chi2_x100 <= CHI2_LIMIT_X100);
    return true;
}

static bool test_select_default_and_timeout(void)
{
    int v;
    struct select_case never[] = { { NULL, SELECT_RECV, &v, false } };
    CHECK("channels", chan_select(never, 1, false, 0) == SELECT_DEFAULT);
    uint64_t start = us_now();
    CHECK("channels", chan_select(never, 1, true, 30) == SELECT_TIMEOUT);
    uint64_t waited = us_now() - start;
    CHECK("channels", waited >= 30000);
    kprintf("selftest channels: select with nothing ready: default at once, timeout 30 ms after %llu.%03llu ms\n",
            (unsigned long long)(waited / 1000), (unsigned long long)(waited % 1000));
    return true;
}

/* A timer fires within one tick of its time (best of a few: a busy host
 * may delay QEMU's virtual CPU). */
static bool test_timer_accuracy(void)
{
    uint64_t tick_us = 1000000 / TIMER_HZ, best = UINT64_MAX;
    for (int i = 0; i < TIMER_TRIES; i++) {
        uint64_t start = us_now();
        struct chan_timer *t = chan_after(TIMER_MS);
        CHECK("channels", t != NULL);
        uint64_t when;
        CHECK("channels", chan_recv(t->c, &when));
        uint64_t took = us_now() - start;
        chan_timer_free(t);
        CHECK("channels", took >= TIMER_MS * 1000);
        if (took < best)
            best = took;
    }
    kprintf("selftest channels: a %d ms timer fired after %llu.%03llu ms (best of %d)\n", TIMER_MS,
            (unsigned long long)(best / 1000), (unsigned long long)(best % 1000), TIMER_TRIES);
    CHECK("channels", best <= TIMER_MS * 1000 + tick_us + tick_us / 2);

    uint64_t started = us_now();
    struct chan_timer *tick = chan_ticker(TICKER_MS);
    CHECK("channels", tick != NULL);
    uint64_t first = 0, last = 0;
    for (int i = 0; i < TICKS; i++) {
        uint64_t at;
        CHECK("channels", chan_recv(tick->c, &at));
        last = us_now();
        if (i == 0)
            first = last;
    }
    CHECK("channels", chan_timer_stop(tick));
    chan_timer_free(tick);
    /* Its deadlines are a period apart and it never fires early, so the
     * fifth value taken came from the fifth firing or a later one. (The
     * gaps between takes say less: a receiver the host delayed takes the
     * value the channel kept, then the next firing's, close together.) */
    CHECK("channels", last - started >= TICKS * TICKER_MS * 1000);
    kprintf("selftest channels: a %d ms ticker ticked %d times, %llu ms from first to last\n",
            TICKER_MS, TICKS, (unsigned long long)((last - first + 500) / 1000));
    return true;
}

static bool test_many_timers(void)
{
    struct chan_timer **t = kmalloc(MANY_TIMERS * sizeof(*t));
    CHECK("channels", t != NULL);
    for (int i = 0; i < MANY_TIMERS; i++) {
        t[i] = chan_after(100 + (uint64_t)(i % 97));
        CHECK("channels", t[i] != NULL);
    }
    int fired = 0;
    for (int i = 0; i < MANY_TIMERS; i++) {
        uint64_t at;
        if (chan_recv(t[i]->c, &at))
            fired++;
        chan_timer_free(t[i]);
    }
    kfree(t);
    CHECK("channels", fired == MANY_TIMERS);
    kprintf("selftest channels: %d timers pending at once all fired\n", fired);
    return true;
}

struct ring_arg {
    struct chan *in, *out;
    struct waitgroup *done;     /* each node says when it has left its last send */
};

/* Pass the token on, one more each time; -1 ends the ring. */
static void ring_node(void *arg)
{
    struct ring_arg *r = arg;
    for (;;) {
        long token;
        chan_recv(r->in, &token);
        if (token >= 0)
            token++;
        chan_send(r->out, &token);
        if (token < 0) {
            wg_done(r->done);
            return;
        }
    }
}

static bool test_ring(void)
{
    struct chan **c = kmalloc((RING_THREADS + 1) * sizeof(*c));
    CHECK("channels", c != NULL);
    for (int i = 0; i <= RING_THREADS; i++) {
        c[i] = chan_new("ring", sizeof(long), 0);
        CHECK("channels", c[i] != NULL);
    }
    struct waitgroup done = WAITGROUP_INIT("ring");
    wg_add(&done, RING_THREADS);
    for (int i = 0; i < RING_THREADS; i++) {
        struct ring_arg r = { c[i], c[i + 1], &done };
        CHECK("channels", go("ring", ring_node, &r, sizeof(r)) == 0);
    }
    long token = 0;
    for (int lap = 0; lap < RING_LAPS; lap++) {
        chan_send(c[0], &token);
        chan_recv(c[RING_THREADS], &token);
    }
    long stop = -1, back;
    chan_send(c[0], &stop);
    chan_recv(c[RING_THREADS], &back);
    /* A node whose send was taken may not have left chan_send yet (it
     * locks the channel once more on its way out): free the channels only
     * once every node is past its last send. */
    wg_wait(&done);
    for (int i = 0; i <= RING_THREADS; i++)
        chan_free(c[i]);
    kfree(c);
    CHECK("channels", token == (long)RING_THREADS * RING_LAPS && back == -1);
    kprintf("selftest channels: %d threads in a ring passed a token %d times around (%ld hops)\n",
            RING_THREADS, RING_LAPS, token);
    return true;
}

struct closer_arg {
    struct chan *c;
    bool start;                 /* set just before the select */
    unsigned cpu;               /* where the close ran */
};

/* Close as soon as the select starts: at once if this thread waits on
 * another CPU, else once the select has parked and this one runs. */
static void close_soon(void *arg)
{
    struct closer_arg *a = arg;
    while (!__atomic_load_n(&a->start, __ATOMIC_ACQUIRE))
        __asm__ volatile("pause");
    a->cpu = this_cpu()->id;
    chan_close(a->c);
}

/* A select waiting on a channel that another CPU closes at the same time
 * completes once, with the close. */
static bool test_select_races_close(void)
{
    int other_cpu = 0;
    for (int i = 0; i < CLOSE_RACES; i++) {
        struct chan *c = chan_new("racing", sizeof(int), 0);
        struct chan *never = chan_new("never", sizeof(int), 0);
        CHECK("channels", c != NULL && never != NULL);
        struct closer_arg a = { c, false, 0 };
        struct thread *t = thread_create("closer", close_soon, &a);
        CHECK("channels", t != NULL);
        /* Give another CPU up to a millisecond to take it. */
        for (uint64_t end = us_now() + 1000; us_now() < end;) {
            if (__atomic_load_n(&t->state, __ATOMIC_RELAXED) == THREAD_RUNNING)
                break;
            __asm__ volatile("pause");
        }
        int v = -1;
        struct select_case cases[] = { { never, SELECT_RECV, &v, false }, { c, SELECT_RECV, &v, false } };
        __atomic_store_n(&a.start, true, __ATOMIC_RELEASE);
        int k = chan_select(cases, 2, true, SELECT_FOREVER);
        thread_join(t);
        if (a.cpu != this_cpu()->id)
            other_cpu++;
        chan_free(c);
        chan_free(never);
        CHECK("channels", k == 1 && !cases[1].ok && v == 0);
    }
    kprintf("selftest channels: %d selects raced a close (%d of the closes on another CPU)\n",
            CLOSE_RACES, other_cpu);
    return true;
}

static void done_once(void *arg)
{
    wg_done(*(struct waitgroup **)arg);
}

static bool test_waitgroup(void)
{
    struct waitgroup wg = WAITGROUP_INIT("selftest");
    struct waitgroup *p = &wg;
    wg_add(&wg, WG_THREADS);
    for (int i = 0; i < WG_THREADS; i++)
        CHECK("channels", go("done", done_once, &p, sizeof(p)) == 0);
    wg_wait(&wg);
    CHECK("channels", wg.count == 0);
    kprintf("selftest channels: a wait group waited for %d threads\n", WG_THREADS);
    return true;
}

bool selftest_channels(void)
{
    bool ok = test_buffered() && test_rendezvous() && test_close_wakes_all() &&
              test_select_fairness() && test_select_default_and_timeout() &&
              test_timer_accuracy() && test_many_timers() && test_ring() &&
              test_select_races_close() && test_waitgroup();
    if (ok)
        kprintf("selftest channels: PASS\n");
    return ok;
}
