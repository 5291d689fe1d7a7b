/*
 * test_select.c: select over channels (chan/select.c, with chan/chan.c, and
 * kernel/ktimer.c for its timeouts), seen by the thread that selects:
 * every kernel thread is a pthread, the kernel services are
 * host_kernel.h's, and the clock is moved by hand. Built twice: under ASan
 * and UBSan, and under ThreadSanitizer. test_select_races.c has the
 * selects that race each other.
 *
 * Covers: default when nothing is ready (and no waiter left behind); a
 * ready case chosen, receive's ok, a closed channel ready with ok false;
 * fairness by chi-square, two always-ready cases over 10,000 rounds (df 1,
 * p = 0.001: 10.83) and twelve (df 11: 31.26, records from kmalloc); nil
 * cases never ready, a select of nil cases only waiting until killed; one
 * channel in two cases (locked once: the host spinlock stops a thread
 * that takes a lock twice), a send and a receive on one channel in one
 * select, and two such selects meeting; timeouts (the exact tick, a case
 * beating the timer, many cases, timeouts racing a sender while the clock
 * runs in a thread of its own); a send on a closed channel in a select is
 * a bug; a killed select takes every waiter back and stops its timer.
 */
#include "host_kernel.h"

#define FAIR_ROUNDS 10000
#define CHI2_DF1_P001 10.83     /* chi-square, 1 degree of freedom, p = 0.001 */
#define CHI2_DF11_P001 31.26    /* 11 degrees of freedom */
#define MANY_CASES 12           /* more than select keeps on its stack */
#define TIMER_RACE_VALUES 2000

static void fill(struct chan *c, long v)
{
    CHECK(chan_try_send(c, &v));
}

/* ---- Without waiting ------------------------------------------------- */

static void test_default(void)
{
    host_watch("default", 10);
    struct chan *a = new_chan("a", 0), *b = new_chan("b", 1);
    long x = 1, y = 0;
    fill(b, 5);
    struct select_case cases[] = { recv_case(a, &y), send_case(a, &x), send_case(b, &x) };
    CHECK(chan_select(cases, 3, false, SELECT_FOREVER) == SELECT_DEFAULT);
    CHECK(no_waiters(a) && no_waiters(b) && chan_len(b) == 1);
    CHECK(chan_select(cases, 0, false, SELECT_FOREVER) == SELECT_DEFAULT);
    struct select_case nils[] = { recv_case(NULL, &y), send_case(NULL, &x) };
    CHECK(chan_select(nils, 2, false, SELECT_FOREVER) == SELECT_DEFAULT);
    /* With may_wait and a timeout of 0: a timeout at once. */
    CHECK(chan_select(cases, 3, true, 0) == SELECT_TIMEOUT);
    CHECK(no_waiters(a) && no_waiters(b));
    chan_free(a);
    chan_free(b);
}

static void test_ready(void)
{
    host_watch("ready", 10);
    struct chan *a = new_chan("a", 0), *b = new_chan("b", 2), *closed = new_chan("closed", 0);
    chan_close(closed);
    long x = 9, y = -1;
    fill(b, 7);
    struct select_case cases[] = { recv_case(a, &y), recv_case(b, &y) };
    cases[1].ok = false;
    CHECK(chan_select(cases, 2, true, SELECT_FOREVER) == 1);
    CHECK(y == 7 && cases[1].ok);
    /* A send with room in the ring. */
    struct select_case sends[] = { send_case(a, &x), send_case(b, &x) };
    CHECK(chan_select(sends, 2, false, SELECT_FOREVER) == 1);
    CHECK(chan_recv(b, &y) && y == 9);
    /* A closed channel is always ready to receive from: zero, ok false. */
    struct select_case shut[] = { recv_case(a, &y), recv_case(closed, &y) };
    shut[1].ok = true;
    CHECK(chan_select(shut, 2, true, SELECT_FOREVER) == 1);
    CHECK(y == 0 && !shut[1].ok);
    /* Many cases, one ready. */
    struct chan *c[MANY_CASES];
    struct select_case many[MANY_CASES];
    long v[MANY_CASES];
    for (int i = 0; i < MANY_CASES; i++) {
        c[i] = new_chan("many", 1);
        many[i] = recv_case(c[i], &v[i]);
    }
    fill(c[MANY_CASES - 2], 42);
    CHECK(chan_select(many, MANY_CASES, false, SELECT_FOREVER) == MANY_CASES - 2);
    CHECK(v[MANY_CASES - 2] == 42);
    for (int i = 0; i < MANY_CASES; i++) {
        CHECK(no_waiters(c[i]));
        chan_free(c[i]);
    }
    chan_free(a);
    chan_free(b);
    chan_free(closed);
}

/* Pearson's chi-square of counts against the uniform distribution. */
static double chi_square(const long *counts, int n, long total)
{
    double expected = (double)total / n, sum = 0;
    for (int i = 0; i < n; i++)
        sum += (counts[i] - expected) * (counts[i] - expected) / expected;
    return sum;
}

/* n cases always ready (each channel holds a value, put back once taken):
 * select picks each equally often. */
static double fairness(int n, long rounds)
{
    struct chan *c[MANY_CASES];
    struct select_case cases[MANY_CASES];
    long v[MANY_CASES], counts[MANY_CASES] = { 0 };
    for (int i = 0; i < n; i++) {
        c[i] = new_chan("fair", 1);
        fill(c[i], i);
        cases[i] = recv_case(c[i], &v[i]);
    }
    for (long round = 0; round < rounds; round++) {
        int k = chan_select(cases, n, true, SELECT_FOREVER);
        CHECK(k >= 0 && k < n && v[k] == k);
        counts[k]++;
        fill(c[k], k);
    }
    for (int i = 0; i < n; i++)
        chan_free(c[i]);
    double chi2 = chi_square(counts, n, rounds);
    printf("  %d cases, %ld rounds: case 0 %ld times, case 1 %ld times, chi-square %.2f\n",
           n, rounds, counts[0], counts[1], chi2);
    return chi2;
}

static void test_fairness(void)
{
    host_watch("fairness", 30);
    CHECK(fairness(2, FAIR_ROUNDS) < CHI2_DF1_P001);
    CHECK(fairness(MANY_CASES, FAIR_ROUNDS * 3 / 2) < CHI2_DF11_P001);
}

/* ---- Nil channels, one channel twice ----------------------------------- */

/* A select on the two nil cases at cases: nothing but a kill ends it. */
static void select_forever(void *arg)
{
    struct select_case *cases = arg;
    chan_select(cases, 2, true, SELECT_FOREVER);
    CHECK(false);
}

static void test_nil(void)
{
    host_watch("nil", 10);
    struct chan *a = new_chan("a", 1);
    long x = 1, y = 0;
    struct select_case cases[] = { send_case(NULL, &x), recv_case(NULL, &y), recv_case(a, &y) };
    for (int i = 0; i < 100; i++) {
        fill(a, i);
        CHECK(chan_select(cases, 3, true, SELECT_FOREVER) == 2 && y == i);
    }
    struct host_thread *t = host_spawn("nil select", select_forever, cases);
    host_wait_parked(t);
    host_sleep_us(10000);
    CHECK(host_parked(t));
    host_kill(t);
    CHECK(host_join(t) == HOST_UNWOUND);
    chan_free(a);
}

static struct chan *shared;

/* One select, a send and a receive on the same channel. */
struct both {
    long out, in;
    int done;                           /* the case done */
};

static void send_or_recv(void *arg)
{
    struct both *b = arg;
    struct select_case cases[] = { send_case(shared, &b->out), recv_case(shared, &b->in) };
    b->done = chan_select(cases, 2, true, SELECT_FOREVER);
}

static void test_same_channel(void)
{
    host_watch("same channel twice", 30);
    /* Two receives on one buffered channel: FIFO order whichever case wins. */
    struct chan *a = new_chan("a", 4);
    long y, hits[2] = { 0 };
    struct select_case twice[] = { recv_case(a, &y), recv_case(a, &y) };
    for (long i = 0; i < 1000; i++) {
        fill(a, i);
        int k = chan_select(twice, 2, true, SELECT_FOREVER);
        CHECK((k == 0 || k == 1) && y == i);
        hits[k & 1]++;
    }
    CHECK(hits[0] > 0 && hits[1] > 0);
    /* Not next to each other in the cases, a channel is still locked once. */
    struct chan *between = new_chan("between", 1);
    struct select_case apart[] = { recv_case(a, &y), recv_case(between, &y), recv_case(a, &y) };
    for (long i = 0; i < 100; i++) {
        fill(i % 2 ? a : between, i);
        int k = chan_select(apart, 3, true, SELECT_FOREVER);
        CHECK((i % 2 ? k != 1 : k == 1) && y == i);
    }
    CHECK(chan_select(apart, 3, false, SELECT_FOREVER) == SELECT_DEFAULT);
    chan_free(a);
    chan_free(between);

    /* A send and a receive on one unbuffered channel, parked: a receiver
     * takes the send, or a sender fills the receive. */
    shared = new_chan("shared", 0);
    for (long round = 0; round < 200; round++) {
        struct both b = { .out = 1000 + round, .in = -1 };
        struct host_thread *t = host_spawn("select", send_or_recv, &b);
        host_wait_parked(t);
        long v = 5000 + round;
        if (round % 2)
            CHECK(chan_recv(shared, &v) && v == b.out);
        else
            chan_send(shared, &v);
        CHECK(host_join(t) == HOST_RETURNED);
        CHECK(b.done == (round % 2 ? 0 : 1));
        CHECK(b.done == 0 || b.in == v);
        CHECK(no_waiters(shared));
    }
    /* Two such selects meet: one sends to the other. */
    for (long round = 0; round < 1000; round++) {
        struct both b1 = { .out = 1, .in = -1 }, b2 = { .out = 2, .in = -1 };
        struct host_thread *t1 = host_spawn("select 1", send_or_recv, &b1);
        struct host_thread *t2 = host_spawn("select 2", send_or_recv, &b2);
        CHECK(host_join(t1) == HOST_RETURNED && host_join(t2) == HOST_RETURNED);
        CHECK(b1.done + b2.done == 1);
        CHECK(b1.done == 0 ? b2.in == 1 : b1.in == 2);
        CHECK(no_waiters(shared));
    }
    chan_free(shared);
}

/* ---- Timeouts ------------------------------------------------------------ */

struct timed_select {
    struct chan **c;
    int n;
    int64_t ms;
    long v;
    int done;
};

static void select_timed(void *arg)
{
    struct timed_select *t = arg;
    struct select_case cases[MANY_CASES];
    for (int i = 0; i < t->n; i++)
        cases[i] = recv_case(t->c[i], &t->v);
    t->done = chan_select(cases, t->n, true, t->ms);
}

static void tick_n(int n)
{
    for (int i = 0; i < n; i++)
        host_tick();
}

static struct chan *race_chan;
static int race_over;

static void race_ticker(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&race_over, __ATOMIC_ACQUIRE)) {
        host_tick();
        host_sleep_us(100);
    }
}

static void race_sender(void *arg)
{
    (void)arg;
    uint64_t state = 0x5EED;
    for (long v = 0; v < TIMER_RACE_VALUES; v++) {
        if (host_random(&state) % 8 == 0)
            host_sleep_us((long)(host_random(&state) % 2000));
        chan_send(race_chan, &v);
    }
}

static void test_timeouts(void)
{
    host_watch("timeouts", 60);
    struct chan *c[MANY_CASES];
    for (int i = 0; i < MANY_CASES; i++)
        c[i] = new_chan("timed", 0);

    /* 30 ms: the third tick. */
    struct timed_select t = { .c = c, .n = 1, .ms = 30 };
    struct host_thread *s = host_spawn("select", select_timed, &t);
    host_wait_parked(s);
    for (int i = 0; i < 2; i++) {
        host_tick();
        CHECK(host_parked(s));
    }
    host_tick();
    CHECK(host_join(s) == HOST_RETURNED && t.done == SELECT_TIMEOUT);
    CHECK(no_waiters(c[0]) && ktimer_pending() == 0);

    /* A value before the timer: the case, and the timer stopped. */
    t = (struct timed_select){ .c = c, .n = 1, .ms = 1000 };
    s = host_spawn("select", select_timed, &t);
    host_wait_parked(s);
    CHECK(ktimer_pending() == 1);
    long v = 5;
    chan_send(c[0], &v);
    CHECK(host_join(s) == HOST_RETURNED && t.done == 0 && t.v == 5);
    CHECK(ktimer_pending() == 0);

    /* INT64_MAX ms is as good as forever: no timeout after ten ticks. */
    t = (struct timed_select){ .c = c, .n = 1, .ms = INT64_MAX };
    s = host_spawn("select", select_timed, &t);
    host_wait_parked(s);
    tick_n(10);
    CHECK(host_parked(s));
    v = 6;
    bool taken = chan_try_send(c[0], &v);
    CHECK(host_join(s) == HOST_RETURNED);
    CHECK(taken && t.done == 0 && t.v == 6);
    CHECK(ktimer_pending() == 0);

    /* Nil cases only: the timeout ends it. */
    struct chan *nils[] = { NULL, NULL };
    t = (struct timed_select){ .c = nils, .n = 2, .ms = 20 };
    s = host_spawn("select", select_timed, &t);
    host_wait_parked(s);
    tick_n(1);
    CHECK(host_parked(s));
    tick_n(1);
    CHECK(host_join(s) == HOST_RETURNED && t.done == SELECT_TIMEOUT);

    /* Many cases, records from kmalloc: every waiter taken back. */
    t = (struct timed_select){ .c = c, .n = MANY_CASES, .ms = 10 };
    s = host_spawn("select", select_timed, &t);
    host_wait_parked(s);
    tick_n(2);
    CHECK(host_join(s) == HOST_RETURNED && t.done == SELECT_TIMEOUT);
    for (int i = 0; i < MANY_CASES; i++)
        CHECK(no_waiters(c[i]));
    CHECK(ktimer_pending() == 0);

    /* Timeouts racing a sender, the clock running: every value once, in order. */
    race_chan = c[0];
    __atomic_store_n(&race_over, 0, __ATOMIC_RELEASE);
    struct host_thread *ticker = host_spawn("ticker", race_ticker, NULL);
    struct host_thread *sender = host_spawn("sender", race_sender, NULL);
    long want = 0, timeouts = 0;
    while (want < TIMER_RACE_VALUES) {
        struct select_case cases[] = { recv_case(race_chan, &v) };
        int k = chan_select(cases, 1, true, 10);
        if (k == SELECT_TIMEOUT) {
            timeouts++;
            continue;
        }
        CHECK(k == 0 && v == want);
        want++;
    }
    CHECK(host_join(sender) == HOST_RETURNED);
    __atomic_store_n(&race_over, 1, __ATOMIC_RELEASE);
    CHECK(host_join(ticker) == HOST_RETURNED);
    CHECK(timeouts > 0);
    CHECK(ktimer_pending() == 0 && no_waiters(race_chan));
    printf("  %d values, %ld timeouts between them\n", TIMER_RACE_VALUES, timeouts);
    for (int i = 0; i < MANY_CASES; i++)
        chan_free(c[i]);
}

/* ---- Bugs and kills ---------------------------------------------------------- */

static struct chan *closed_chan;

static void select_send_closed(void *arg)
{
    (void)arg;
    long v = 1, w;
    struct select_case cases[] = { recv_case(NULL, &w), send_case(closed_chan, &v) };
    chan_select(cases, 2, false, SELECT_FOREVER);
    CHECK(false);
}

static void test_bugs_and_kills(void)
{
    host_watch("bugs and kills", 10);
    closed_chan = new_chan("shut", 1);
    chan_close(closed_chan);
    long before = bugs;
    CHECK(host_join(host_spawn("select", select_send_closed, NULL)) == HOST_BUG);
    CHECK(bugs == before + 1);
    CHECK(last_bug_has("send on closed channel 'shut' (in select)"));
    chan_free(closed_chan);

    /* Killed while parked on no channel (Go's select {}), on two, on
     * many, with a timer and without: nothing left behind. */
    struct chan *c[MANY_CASES];
    for (int i = 0; i < MANY_CASES; i++)
        c[i] = new_chan("victim", i % 2);
    const int64_t timeouts[] = { SELECT_FOREVER, 1000 };
    const int sizes[] = { 0, 2, MANY_CASES };
    for (size_t i = 0; i < sizeof(timeouts) / sizeof(timeouts[0]); i++) {
        for (size_t j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
            struct timed_select t = { .c = c, .n = sizes[j], .ms = timeouts[i] };
            struct host_thread *s = host_spawn("select", select_timed, &t);
            host_wait_parked(s);
            host_kill(s);
            CHECK(host_join(s) == HOST_UNWOUND);
            for (int k = 0; k < MANY_CASES; k++)
                CHECK(no_waiters(c[k]));
            CHECK(ktimer_pending() == 0);
        }
    }
    for (int i = 0; i < MANY_CASES; i++)
        chan_free(c[i]);
}

int main(void)
{
    host_init();
    test_default();
    test_ready();
    test_fairness();
    test_nil();
    test_same_channel();
    test_bugs_and_kills();
    /* Until the timeouts, every wake-up found its thread parked. */
    CHECK(host_ignored_unparks() == 0);
    test_timeouts();
    printf("select: %ld bugs reported on purpose, %d failures\n", bugs, failures);
    return failures != 0;
}
