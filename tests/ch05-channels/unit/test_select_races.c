/*
 * test_select_races.c: selects racing each other, plain sends and
 * receives, and chan_close (chan/select.c, chan/chan.c), with real
 * threads: every kernel thread is a pthread and the kernel services are
 * host_kernel.h's. Built twice: under ASan and UBSan, and under
 * ThreadSanitizer; a watchdog turns a deadlock or a lost wakeup into a
 * failure with the test's name.
 *
 * Covers: a parked select woken by a send (on few channels, and on many:
 * records from kmalloc), and by two senders at once (exactly one case
 * done, the other sender still waiting); two select senders, a plain
 * sender, two select receivers and a plain receiver on the same two
 * channels: every value received exactly once; a select receiving racing
 * chan_close of one of its channels; a select sending racing a receiver
 * and chan_close (the value goes across, or the send is a bug, before or
 * while it waits); a parked select killed racing a send (the value taken,
 * or left for the next receiver); four threads selecting without waiting,
 * then two waiting, over the same channels in opposite case orders.
 */
#include "host_kernel.h"

#define MANY_CASES 12           /* more than select keeps on its stack */
#define TWO_WAKERS_ROUNDS 2000
#define STRESS_PER_SENDER 5000
#define STRESS_SENDERS 3
#define CLOSE_ROUNDS 1000
#define OPPOSITE_ROUNDS 20000
#define KILL_ROUNDS 1000

static uint64_t rng = 0xC0FFEE123456789ull;

/* ---- Parked selects woken ------------------------------------------------ */

static struct chan *wa, *wb;
static int wakers_go;

struct waiting_select {
    long v;
    bool ok;
    int done;
};

static void select_ab(void *arg)
{
    struct waiting_select *w = arg;
    struct select_case cases[] = { recv_case(wa, &w->v), recv_case(wb, &w->v) };
    w->done = chan_select(cases, 2, true, SELECT_FOREVER);
    if (w->done >= 0)
        w->ok = cases[w->done].ok;
}

/* Send 1 on wa or 2 on wb, once wakers_go says so. */
static void waker(void *arg)
{
    struct chan *c = arg;
    long v = c == wa ? 1 : 2;
    while (!__atomic_load_n(&wakers_go, __ATOMIC_ACQUIRE))
        sched_yield();
    chan_send(c, &v);
}

static void test_woken(void)
{
    host_watch("woken", 10);
    wa = new_chan("wa", 0);
    wb = new_chan("wb", 0);
    __atomic_store_n(&wakers_go, 1, __ATOMIC_RELEASE);
    for (int round = 0; round < 100; round++) {
        struct waiting_select w = { .v = -1 };
        struct host_thread *s = host_spawn("select", select_ab, &w);
        host_wait_parked(s);
        long v = round % 2 ? 1 : 2;
        chan_send(round % 2 ? wa : wb, &v);
        CHECK(host_join(s) == HOST_RETURNED);
        CHECK(w.done == (round % 2 ? 0 : 1) && w.v == v && w.ok);
        CHECK(no_waiters(wa) && no_waiters(wb));
    }
    chan_free(wa);
    chan_free(wb);

    /* Parked on many channels (records from kmalloc), woken by the last. */
    struct chan *c[MANY_CASES];
    for (int i = 0; i < MANY_CASES; i++)
        c[i] = new_chan("many", 0);
    wa = c[0];
    wb = c[MANY_CASES - 1];
    struct waiting_select w = { .v = -1 };
    struct host_thread *s = host_spawn("select", select_ab, &w);
    host_wait_parked(s);
    long v = 2;
    chan_send(wb, &v);
    CHECK(host_join(s) == HOST_RETURNED && w.done == 1 && w.v == 2);
    for (int i = 0; i < MANY_CASES; i++) {
        CHECK(no_waiters(c[i]));
        chan_free(c[i]);
    }
}

/* A select parked on two channels, two senders at once: exactly one case
 * is done; the other sender goes on waiting for a receiver. */
static void test_two_wakers(void)
{
    host_watch("two wakers at once", 60);
    wa = new_chan("wa", 0);
    wb = new_chan("wb", 0);
    long won[2] = { 0 };
    for (int round = 0; round < TWO_WAKERS_ROUNDS; round++) {
        __atomic_store_n(&wakers_go, 0, __ATOMIC_RELEASE);
        struct waiting_select w = { .v = -1 };
        struct host_thread *s = host_spawn("select", select_ab, &w);
        host_wait_parked(s);
        struct host_thread *x = host_spawn("waker a", waker, wa);
        struct host_thread *y = host_spawn("waker b", waker, wb);
        __atomic_store_n(&wakers_go, 1, __ATOMIC_RELEASE);
        CHECK(host_join(s) == HOST_RETURNED);
        CHECK((w.done == 0 || w.done == 1) && w.v == w.done + 1 && w.ok);
        won[w.done & 1]++;
        struct host_thread *winner = w.done == 0 ? x : y, *loser = w.done == 0 ? y : x;
        CHECK(host_join(winner) == HOST_RETURNED);
        host_wait_parked(loser);
        long v = 0;
        CHECK(chan_recv(w.done == 0 ? wb : wa, &v) && v == 2 - w.done);
        CHECK(host_join(loser) == HOST_RETURNED);
        CHECK(no_waiters(wa) && no_waiters(wb));
    }
    printf("  case 0 won %ld times, case 1 %ld times\n", won[0], won[1]);
    chan_free(wa);
    chan_free(wb);
}

/* ---- Many threads, selects and plain sends and receives ------------------- */

static struct chan *sa, *sb;
static unsigned char stress_seen[STRESS_SENDERS * STRESS_PER_SENDER];

static void stress_record(long v)
{
    CHECK(v >= 0 && v < STRESS_SENDERS * STRESS_PER_SENDER);
    __atomic_fetch_add(&stress_seen[v], 1, __ATOMIC_RELAXED);
}

static void select_sender(void *arg)
{
    long first = (long)(intptr_t)arg * STRESS_PER_SENDER;
    for (long v = first; v < first + STRESS_PER_SENDER; v++) {
        struct select_case cases[] = { send_case(sa, &v), send_case(sb, &v) };
        int k = chan_select(cases, 2, true, SELECT_FOREVER);
        CHECK(k == 0 || k == 1);
    }
}

static void plain_sender(void *arg)
{
    long first = (long)(intptr_t)arg * STRESS_PER_SENDER;
    for (long v = first; v < first + STRESS_PER_SENDER; v++)
        chan_send(v % 2 ? sa : sb, &v);
}

/* Receive from sa and sb until both are closed; a closed one becomes a
 * nil case, never ready again (Go's idiom). */
static void select_receiver(void *arg)
{
    long *count = arg, v;
    struct chan *c[2] = { sa, sb };
    while (c[0] || c[1]) {
        struct select_case cases[] = { recv_case(c[0], &v), recv_case(c[1], &v) };
        int k = chan_select(cases, 2, true, SELECT_FOREVER);
        CHECK(k == 0 || k == 1);
        if (!cases[k].ok) {
            c[k] = NULL;
            continue;
        }
        stress_record(v);
        (*count)++;
    }
}

static void plain_receiver(void *arg)
{
    long *count = arg, v;
    while (chan_recv(sb, &v)) {
        stress_record(v);
        (*count)++;
    }
}

static void test_stress(void)
{
    host_watch("selects and plain operations from many threads", 120);
    sa = new_chan("sa", 0);
    sb = new_chan("sb", 2);
    long counts[3] = { 0 };
    struct host_thread *receivers[3] = {
        host_spawn("select receiver", select_receiver, &counts[0]),
        host_spawn("select receiver", select_receiver, &counts[1]),
        host_spawn("plain receiver", plain_receiver, &counts[2]),
    };
    struct host_thread *senders[STRESS_SENDERS] = {
        host_spawn("select sender", select_sender, (void *)0),
        host_spawn("select sender", select_sender, (void *)1),
        host_spawn("plain sender", plain_sender, (void *)2),
    };
    for (int i = 0; i < STRESS_SENDERS; i++)
        CHECK(host_join(senders[i]) == HOST_RETURNED);
    chan_close(sa);
    chan_close(sb);
    for (int i = 0; i < 3; i++)
        CHECK(host_join(receivers[i]) == HOST_RETURNED);
    CHECK(counts[0] + counts[1] + counts[2] == STRESS_SENDERS * STRESS_PER_SENDER);
    for (long v = 0; v < STRESS_SENDERS * STRESS_PER_SENDER; v++)
        CHECK(stress_seen[v] == 1);
    printf("  received by select %ld + %ld, by chan_recv %ld\n", counts[0], counts[1], counts[2]);
    CHECK(no_waiters(sa) && no_waiters(sb));
    chan_free(sa);
    chan_free(sb);
}

/* ---- Close ----------------------------------------------------------------- */

static void select_send_wa(void *arg)
{
    long v = (long)(intptr_t)arg;
    struct select_case cases[] = { send_case(wa, &v) };
    CHECK(chan_select(cases, 1, true, SELECT_FOREVER) == 0);
}

struct received {
    bool ok;
    long v;
};

static void recv_wa(void *arg)
{
    struct received *got = arg;
    got->v = -1;
    got->ok = chan_recv(wa, &got->v);
}

static void yield_a_while(void)
{
    for (uint64_t n = host_random(&rng) % 64; n > 0; n--)
        sched_yield();
}

static void test_close_races(void)
{
    host_watch("select racing close", 60);
    /* A select receiving on wa and wb; wa closed while wb gets a value. */
    long closed_first = 0;
    __atomic_store_n(&wakers_go, 1, __ATOMIC_RELEASE);
    for (int round = 0; round < CLOSE_ROUNDS; round++) {
        wa = new_chan("wa", 0);
        wb = new_chan("wb", round % 2);
        struct waiting_select w = { .v = -1 };
        struct host_thread *s = host_spawn("select", select_ab, &w);
        struct host_thread *b = host_spawn("waker b", waker, wb);
        yield_a_while();
        chan_close(wa);
        CHECK(host_join(s) == HOST_RETURNED);
        if (w.done == 0) {
            CHECK(!w.ok && w.v == 0);
            long v = 0;
            CHECK(chan_recv(wb, &v) && v == 2);
            closed_first++;
        } else {
            CHECK(w.done == 1 && w.ok && w.v == 2);
        }
        CHECK(host_join(b) == HOST_RETURNED);
        CHECK(no_waiters(wa) && no_waiters(wb));
        chan_free(wa);
        chan_free(wb);
    }
    printf("  the close won %ld of %d rounds\n", closed_first, CLOSE_ROUNDS);

    /* A select sending on wa, a receiver, and a close: the value went
     * across, or the send is a bug (seen before waiting, or while). */
    long across = 0, bug_before = 0, bug_while = 0;
    for (int round = 0; round < CLOSE_ROUNDS; round++) {
        wa = new_chan("wa", round % 3 == 0);
        struct received got;
        struct host_thread *r = host_spawn("receiver", recv_wa, &got);
        struct host_thread *s = host_spawn("select", select_send_wa, (void *)7);
        yield_a_while();
        long before = bugs;
        chan_close(wa);
        enum host_end end = host_join(s);
        CHECK(host_join(r) == HOST_RETURNED);
        if (end == HOST_RETURNED) {
            CHECK(got.ok && got.v == 7);
            across++;
        } else {
            CHECK(end == HOST_BUG && bugs == before + 1);
            CHECK(!got.ok && got.v == 0);
            CHECK(last_bug_has("send on closed channel 'wa'"));
            bug_before += last_bug_has("(in select)");
            bug_while += last_bug_has("(closed while the select waited)");
        }
        CHECK(no_waiters(wa));
        chan_free(wa);
    }
    CHECK(across + bug_before + bug_while == CLOSE_ROUNDS);
    printf("  %ld values went across, %ld sends saw the close at once, %ld while waiting\n",
           across, bug_before, bug_while);
}

/* ---- Kills ------------------------------------------------------------------ */

/* A parked select killed while a sender comes: it takes the value and
 * returns, or it unwinds and the sender goes on waiting; never both. */
static void test_kill_races(void)
{
    host_watch("select killed racing a send", 60);
    wa = new_chan("wa", 0);
    wb = new_chan("wb", 0);
    __atomic_store_n(&wakers_go, 1, __ATOMIC_RELEASE);
    long took = 0;
    for (int round = 0; round < KILL_ROUNDS; round++) {
        struct waiting_select w = { .v = -1 };
        struct host_thread *s = host_spawn("select", select_ab, &w);
        host_wait_parked(s);
        struct host_thread *x = host_spawn("waker a", waker, wa);
        yield_a_while();
        host_kill(s);
        enum host_end end = host_join(s);
        if (end == HOST_RETURNED) {
            CHECK(w.done == 0 && w.v == 1 && w.ok);
            took++;
        } else {
            CHECK(end == HOST_UNWOUND);
            host_wait_parked(x);
            long v = 0;
            CHECK(chan_recv(wa, &v) && v == 1);
        }
        CHECK(host_join(x) == HOST_RETURNED);
        CHECK(no_waiters(wa) && no_waiters(wb));
    }
    printf("  the select took the value in %ld of %d rounds\n", took, KILL_ROUNDS);
    chan_free(wa);
    chan_free(wb);
}

/* ---- Opposite case orders ---------------------------------------------------- */

static struct chan *oa, *ob;
static unsigned char opposite_seen[4 * OPPOSITE_ROUNDS];

struct opposite {
    int id;
    long sent, received;
};

/* Non-blocking selects over oa and ob, a send and a receive, in this
 * thread's case order: the four threads cover both orders of both. */
static void opposite_poller(void *arg)
{
    struct opposite *o = arg;
    struct chan *mine = o->id % 2 ? ob : oa, *other = o->id % 2 ? oa : ob;
    for (int round = 0; round < OPPOSITE_ROUNDS; round++) {
        long out = o->id * OPPOSITE_ROUNDS + o->sent, in = -1;
        struct select_case send = send_case(mine, &out), recv = recv_case(other, &in);
        struct select_case cases[2] = { o->id < 2 ? send : recv, o->id < 2 ? recv : send };
        int k = chan_select(cases, 2, false, SELECT_FOREVER);
        if (k == SELECT_DEFAULT)
            continue;
        if (cases[k].dir == SELECT_SEND) {
            o->sent++;
        } else {
            CHECK(in >= 0 && in < 4 * OPPOSITE_ROUNDS);
            __atomic_fetch_add(&opposite_seen[in], 1, __ATOMIC_RELAXED);
            o->received++;
        }
    }
}

/* Blocking selects: x sends on oa or receives from ob, y the other way
 * round; every select done pairs one of x's with one of y's. */
static void opposite_pair(void *arg)
{
    struct opposite *o = arg;
    struct chan *mine = o->id ? ob : oa, *other = o->id ? oa : ob;
    for (int round = 0; round < OPPOSITE_ROUNDS / 4; round++) {
        long out = round, in = -1;
        struct select_case cases[] = { send_case(mine, &out), recv_case(other, &in) };
        int k = chan_select(cases, 2, true, SELECT_FOREVER);
        CHECK(k == 0 || k == 1);
        if (k == 0)
            o->sent++;
        else
            o->received++;
    }
}

static void test_opposite_order(void)
{
    host_watch("selects locking the same channels in opposite case order", 30);
    oa = new_chan("oa", 1);
    ob = new_chan("ob", 1);
    struct opposite o[4] = { { .id = 0 }, { .id = 1 }, { .id = 2 }, { .id = 3 } };
    struct host_thread *t[4];
    for (int i = 0; i < 4; i++)
        t[i] = host_spawn("poller", opposite_poller, &o[i]);
    for (int i = 0; i < 4; i++)
        CHECK(host_join(t[i]) == HOST_RETURNED);
    long v;
    while (chan_len(oa) + chan_len(ob) > 0) {
        struct select_case rest[] = { recv_case(oa, &v), recv_case(ob, &v) };
        CHECK(chan_select(rest, 2, false, SELECT_FOREVER) >= 0);
        __atomic_fetch_add(&opposite_seen[v], 1, __ATOMIC_RELAXED);
    }
    for (int i = 0; i < 4; i++)
        for (long j = 0; j < OPPOSITE_ROUNDS; j++)
            CHECK(opposite_seen[i * OPPOSITE_ROUNDS + j] == (j < o[i].sent));
    printf("  polling: sent %ld %ld %ld %ld\n", o[0].sent, o[1].sent, o[2].sent, o[3].sent);
    chan_free(oa);
    chan_free(ob);

    oa = new_chan("oa", 0);
    ob = new_chan("ob", 0);
    struct opposite x = { .id = 0 }, y = { .id = 1 };
    struct host_thread *tx = host_spawn("x", opposite_pair, &x), *ty = host_spawn("y", opposite_pair, &y);
    CHECK(host_join(tx) == HOST_RETURNED && host_join(ty) == HOST_RETURNED);
    CHECK(x.sent == y.received && y.sent == x.received);
    CHECK(x.sent + x.received == OPPOSITE_ROUNDS / 4);
    CHECK(no_waiters(oa) && no_waiters(ob));
    chan_free(oa);
    chan_free(ob);
}

int main(void)
{
    host_init();
    test_woken();
    test_two_wakers();
    test_stress();
    test_close_races();
    test_kill_races();
    test_opposite_order();
    /* No timeouts here: every wake-up found its thread parked. */
    CHECK(host_ignored_unparks() == 0);
    printf("select races: %ld bugs reported on purpose, %d failures\n", bugs, failures);
    return failures != 0;
}
