/*
 * test_chan.c: channels (chan/chan.c) with real threads racing: every
 * kernel thread is a pthread and the kernel services are host_kernel.h's.
 * Built twice: under ASan and UBSan, and under ThreadSanitizer.
 *
 * Covers: chan_new's limits, len and cap, the nil channel; a buffered
 * channel's FIFO order through many ring wrap-arounds; an unbuffered
 * rendezvous (values in order, and a send returns only once the value is
 * in the receiver's variable, whichever side came first); a sender
 * blocked on a full ring, let go by the receive that makes room; N
 * senders x M receivers on unbuffered and buffered channels (every value
 * received exactly once, each sender's values in order); chan_close
 * (buffered values drained first, then zero and ok = false; every blocked
 * receiver woken; blocked senders woken into the bug path; a second
 * close, a send on a closed channel, a close of nil, a chan_free with
 * waiters: all bugs); close racing a sender and a receiver; killed
 * threads unwinding out of a send, a receive and the nil channel, leaving
 * no waiter behind, and a kill racing a send (the value taken, or left
 * for the next receiver).
 */
#include "host_kernel.h"

#define RENDEZVOUS_ROUNDS 20000
#define FIFO_ROUNDS 20000
#define MANY_SENDERS 4
#define MANY_RECEIVERS 3
#define MANY_PER_SENDER 5000
#define CLOSE_ROUNDS 2000
#define KILL_ROUNDS 1000

static uint64_t rng = 0x9E3779B97F4A7C15ull;

/* A few yields, sometimes: vary which side of a rendezvous comes first. */
static void jitter(uint64_t *state)
{
    for (uint64_t n = host_random(state) % 4; n > 0; n--)
        sched_yield();
}

/* ---- Creation, len, cap, nil ------------------------------------------ */

static void test_new(void)
{
    host_watch("new", 10);
    size_t owned = host_job_resources();
    CHECK(chan_new("zero", 0, 1) == NULL);
    CHECK(chan_new("big", CHAN_MAX_ELEM + 1, 1) == NULL);
    CHECK(chan_new("huge", 8, SIZE_MAX / 4) == NULL);
    CHECK(host_job_resources() == owned);

    struct chan *c = chan_new("a-name-longer-than-the-room-for-it", CHAN_MAX_ELEM, 2);
    CHECK(c != NULL);
    CHECK(strlen(c->name) == CHAN_NAME_SIZE - 1);
    CHECK(strncmp(c->name, "a-name-longer-than-the-room-for-it", CHAN_NAME_SIZE - 1) == 0);
    CHECK(chan_cap(c) == 2 && chan_len(c) == 0);
    CHECK(host_job_resources() == owned + 1);
    unsigned char big[CHAN_MAX_ELEM], back[CHAN_MAX_ELEM];
    for (int i = 0; i < CHAN_MAX_ELEM; i++)
        big[i] = (unsigned char)(i * 7 + 1);
    CHECK(chan_try_send(c, big));
    CHECK(chan_len(c) == 1);
    CHECK(chan_recv(c, back));
    CHECK(memcmp(big, back, sizeof(big)) == 0);
    chan_free(c);
    CHECK(host_job_resources() == owned);

    long v = 1;
    CHECK(chan_len(NULL) == 0 && chan_cap(NULL) == 0);
    CHECK(!chan_try_send(NULL, &v));
    chan_free(NULL);
    struct chan *u = new_chan("unbuffered", 0);
    CHECK(chan_cap(u) == 0 && !chan_try_send(u, &v));    /* nobody waits to receive */
    chan_free(u);
}

/* ---- Buffered, one thread ---------------------------------------------- */

static void test_buffered_fifo(void)
{
    host_watch("buffered FIFO", 10);
    struct chan *c = new_chan("fifo", 5);
    long model[5], head = 0, len = 0, next = 0, v;
    for (int round = 0; round < FIFO_ROUNDS; round++) {
        if (host_random(&rng) % 2) {
            v = next;
            bool sent = chan_try_send(c, &v);
            CHECK(sent == (len < 5));
            if (sent)
                model[(head + len++) % 5] = next++;
        } else if (len > 0) {
            v = -1;
            CHECK(chan_recv(c, &v));
            CHECK(v == model[head]);
            head = (head + 1) % 5;
            len--;
        }
        CHECK(chan_len(c) == (size_t)len && chan_cap(c) == 5);
    }
    chan_free(c);
}

/* ---- Unbuffered rendezvous ---------------------------------------------- */

static struct chan *rendezvous;
static long landed;                 /* the receiver's variable */

static void rendezvous_receiver(void *arg)
{
    (void)arg;
    uint64_t state = 0x1234567;
    for (long i = 0; i < RENDEZVOUS_ROUNDS; i++) {
        jitter(&state);
        CHECK(chan_recv(rendezvous, &landed));
        CHECK(landed == i);
    }
}

static void test_rendezvous(void)
{
    host_watch("unbuffered rendezvous", 60);
    rendezvous = new_chan("rendezvous", 0);
    struct host_thread *r = host_spawn("receiver", rendezvous_receiver, NULL);
    long receiver_first = 0;
    for (long i = 0; i < RENDEZVOUS_ROUNDS; i++) {
        jitter(&rng);
        receiver_first += host_parked(r);
        chan_send(rendezvous, &i);
        /* Not before the receiver has it. */
        CHECK(landed == i);
    }
    CHECK(host_join(r) == HOST_RETURNED);
    /* Both sides came first often enough to test both paths. */
    CHECK(receiver_first > RENDEZVOUS_ROUNDS / 100);
    CHECK(receiver_first < RENDEZVOUS_ROUNDS - RENDEZVOUS_ROUNDS / 100);
    printf("  the receiver waited first in %ld of %d rounds\n", receiver_first, RENDEZVOUS_ROUNDS);
    chan_free(rendezvous);
}

static struct chan *lone;

static void lone_sender(void *arg)
{
    long v = (long)(intptr_t)arg;
    chan_send(lone, &v);
}

static void test_lone_sender(void)
{
    host_watch("lone sender", 10);
    lone = new_chan("lone", 0);
    struct host_thread *s = host_spawn("sender", lone_sender, (void *)42);
    host_wait_parked(s);
    host_sleep_us(20000);
    CHECK(host_parked(s));
    long v = 0;
    CHECK(chan_recv(lone, &v) && v == 42);
    CHECK(host_join(s) == HOST_RETURNED);
    CHECK(no_waiters(lone));
    chan_free(lone);
}

/* ---- A sender blocked on a full ring -------------------------------------- */

static struct chan *ring;

static void ring_sender(void *arg)
{
    (void)arg;
    uint64_t state = 0xABCDEF;
    for (long i = 0; i < FIFO_ROUNDS; i++) {
        jitter(&state);
        chan_send(ring, &i);
    }
}

static void test_full_ring(void)
{
    host_watch("full ring", 60);
    /* A receive makes room: the waiting sender's value goes into the
     * ring, behind the others, and the sender returns. */
    lone = new_chan("full", 2);
    long v;
    for (v = 1; v <= 2; v++)
        chan_send(lone, &v);
    struct host_thread *waiting = host_spawn("sender", lone_sender, (void *)3);
    host_wait_parked(waiting);
    CHECK(chan_recv(lone, &v) && v == 1);
    CHECK(host_join(waiting) == HOST_RETURNED);
    CHECK(chan_len(lone) == 2 && no_waiters(lone));
    for (long want = 2; want <= 3; want++)
        CHECK(chan_recv(lone, &v) && v == want);
    chan_free(lone);

    ring = new_chan("ring", 3);
    struct host_thread *s = host_spawn("sender", ring_sender, NULL);
    long sender_waited = 0;
    for (long i = 0; i < FIFO_ROUNDS; i++) {
        jitter(&rng);
        sender_waited += host_parked(s);
        CHECK(chan_recv(ring, &v) && v == i);
    }
    CHECK(host_join(s) == HOST_RETURNED);
    CHECK(chan_len(ring) == 0 && no_waiters(ring));
    CHECK(sender_waited > 0);
    chan_free(ring);
}

/* ---- Many senders, many receivers ---------------------------------------- */

static struct chan *many;
static unsigned char many_seen[MANY_SENDERS * MANY_PER_SENDER];

static void many_sender(void *arg)
{
    long first = (long)(intptr_t)arg * MANY_PER_SENDER;
    for (long v = first; v < first + MANY_PER_SENDER; v++)
        chan_send(many, &v);
}

static void many_receiver(void *arg)
{
    long *received = arg, last[MANY_SENDERS], v;
    for (int s = 0; s < MANY_SENDERS; s++)
        last[s] = -1;
    while (chan_recv(many, &v)) {
        CHECK(v >= 0 && v < MANY_SENDERS * MANY_PER_SENDER);
        long s = v / MANY_PER_SENDER;
        CHECK(v > last[s]);         /* each sender's values in order */
        last[s] = v;
        __atomic_fetch_add(&many_seen[v], 1, __ATOMIC_RELAXED);
        (*received)++;
    }
    CHECK(v == 0);
}

static void test_many(size_t cap)
{
    host_watch(cap ? "many to many, buffered" : "many to many, unbuffered", 60);
    many = new_chan("many", cap);
    memset(many_seen, 0, sizeof(many_seen));
    struct host_thread *senders[MANY_SENDERS], *receivers[MANY_RECEIVERS];
    long received[MANY_RECEIVERS] = { 0 };
    for (int i = 0; i < MANY_RECEIVERS; i++)
        receivers[i] = host_spawn("receiver", many_receiver, &received[i]);
    for (int i = 0; i < MANY_SENDERS; i++)
        senders[i] = host_spawn("sender", many_sender, (void *)(intptr_t)i);
    for (int i = 0; i < MANY_SENDERS; i++)
        CHECK(host_join(senders[i]) == HOST_RETURNED);
    chan_close(many);
    long total = 0;
    for (int i = 0; i < MANY_RECEIVERS; i++) {
        CHECK(host_join(receivers[i]) == HOST_RETURNED);
        total += received[i];
    }
    CHECK(total == MANY_SENDERS * MANY_PER_SENDER);
    for (long v = 0; v < MANY_SENDERS * MANY_PER_SENDER; v++)
        CHECK(many_seen[v] == 1);
    CHECK(no_waiters(many));
    chan_free(many);
}

/* ---- Close ------------------------------------------------------------------ */

static struct chan *closing;

struct received {
    bool ok;
    long v;
};

static void closing_receiver(void *arg)
{
    struct received *got = arg;
    got->v = -1;
    got->ok = chan_recv(closing, &got->v);
}

static void closing_sender(void *arg)
{
    long v = (long)(intptr_t)arg;
    chan_send(closing, &v);
}

static void test_close_drains(void)
{
    host_watch("close drains", 10);
    struct chan *c = new_chan("drain", 3);
    long v;
    for (v = 1; v <= 3; v++)
        chan_send(c, &v);
    chan_close(c);
    CHECK(!chan_try_send(c, &v));       /* fails, but is no bug */
    CHECK(chan_len(c) == 3);
    for (long want = 1; want <= 3; want++)
        CHECK(chan_recv(c, &v) && v == want);
    for (int i = 0; i < 3; i++) {
        v = -1;
        CHECK(!chan_recv(c, &v) && v == 0);
    }
    CHECK(chan_len(c) == 0);
    chan_free(c);
}

static void test_close_wakes_receivers(size_t cap)
{
    host_watch("close wakes receivers", 10);
    closing = new_chan("closing", cap);
    struct host_thread *r[6];
    struct received got[6];
    for (int i = 0; i < 6; i++)
        r[i] = host_spawn("receiver", closing_receiver, &got[i]);
    for (int i = 0; i < 6; i++)
        host_wait_parked(r[i]);
    chan_close(closing);
    for (int i = 0; i < 6; i++) {
        CHECK(host_join(r[i]) == HOST_RETURNED);
        CHECK(!got[i].ok && got[i].v == 0);
    }
    CHECK(no_waiters(closing));
    chan_free(closing);
}

static void test_close_wakes_senders(void)
{
    host_watch("close wakes senders", 10);
    closing = new_chan("closing", 1);
    long v = 1, before = bugs;
    chan_send(closing, &v);
    struct host_thread *s[3];
    for (int i = 0; i < 3; i++)
        s[i] = host_spawn("sender", closing_sender, (void *)(intptr_t)(i + 2));
    for (int i = 0; i < 3; i++)
        host_wait_parked(s[i]);
    chan_close(closing);
    for (int i = 0; i < 3; i++)
        CHECK(host_join(s[i]) == HOST_BUG);
    CHECK(bugs == before + 3);
    CHECK(last_bug_has("send on closed channel 'closing' (closed while the send waited)"));
    CHECK(no_waiters(closing));
    CHECK(chan_recv(closing, &v) && v == 1);
    CHECK(!chan_recv(closing, &v) && v == 0);
    chan_free(closing);
}

static void close_it(void *arg)
{
    chan_close(arg);
}

static void send_on_it(void *arg)
{
    long v = 5;
    chan_send(arg, &v);
}

static void free_it(void *arg)
{
    chan_free(arg);
}

/* fn(arg) in a thread of its own must end in the bug path, saying what. */
static void expect_bug(void (*fn)(void *), void *arg, const char *what)
{
    long before = bugs;
    CHECK(host_join(host_spawn("buggy", fn, arg)) == HOST_BUG);
    CHECK(bugs == before + 1);
    CHECK(last_bug_has(what));
}

static void test_bugs(void)
{
    host_watch("bugs", 10);
    struct chan *c = new_chan("misused", 2);
    chan_close(c);
    expect_bug(close_it, c, "close of closed channel 'misused'");
    expect_bug(send_on_it, c, "send on closed channel 'misused'");
    expect_bug(close_it, NULL, "close of a nil channel");
    chan_free(c);

    /* chan_free with a thread waiting: a bug, and the channel is left alone. */
    closing = new_chan("waited-on", 0);
    struct received got;
    struct host_thread *r = host_spawn("receiver", closing_receiver, &got);
    host_wait_parked(r);
    expect_bug(free_it, closing, "chan_free of channel 'waited-on' while threads wait on it");
    chan_close(closing);
    CHECK(host_join(r) == HOST_RETURNED && !got.ok && got.v == 0);
    chan_free(closing);
}

/* Close racing a sender and a receiver: either the value went across
 * (the send returned, and the receiver has the value, from the ring after
 * the close if need be), or the close came first (the send is a bug, the
 * receiver sees the close). */
static void test_close_races(void)
{
    host_watch("close races", 60);
    long delivered = 0, refused = 0;
    for (int round = 0; round < CLOSE_ROUNDS; round++) {
        closing = new_chan("race", round % 3 == 0 ? 1 : 0);
        struct received got;
        struct host_thread *r = host_spawn("receiver", closing_receiver, &got);
        struct host_thread *s = host_spawn("sender", closing_sender, (void *)7);
        for (uint64_t n = host_random(&rng) % 64; n > 0; n--)
            sched_yield();
        chan_close(closing);
        enum host_end sent = host_join(s);
        CHECK(host_join(r) == HOST_RETURNED);
        if (sent == HOST_RETURNED) {
            CHECK(got.ok && got.v == 7);
            delivered++;
        } else {
            CHECK(sent == HOST_BUG);
            CHECK(!got.ok && got.v == 0);
            refused++;
        }
        CHECK(no_waiters(closing));
        chan_free(closing);
    }
    printf("  %ld values went across, %ld sends hit the close\n", delivered, refused);
}

/* ---- Killed threads ----------------------------------------------------- */

static struct chan *victim_chan;
static int victim_go;

static void victim_recv(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&victim_go, __ATOMIC_ACQUIRE))
        sched_yield();
    long v;
    chan_recv(victim_chan, &v);
}

static void victim_send(void *arg)
{
    (void)arg;
    long v = 3;
    chan_send(victim_chan, &v);
}

static void test_kill(void)
{
    host_watch("kill", 10);
    victim_chan = new_chan("victim", 0);
    __atomic_store_n(&victim_go, 1, __ATOMIC_RELEASE);
    void (*victims[])(void *) = { victim_recv, victim_send };
    for (int i = 0; i < 2; i++) {
        struct host_thread *v = host_spawn("victim", victims[i], NULL);
        host_wait_parked(v);
        host_kill(v);
        CHECK(host_join(v) == HOST_UNWOUND);
        CHECK(no_waiters(victim_chan));
    }
    /* Killed before it came to wait: it unwinds at once. */
    __atomic_store_n(&victim_go, 0, __ATOMIC_RELEASE);
    struct host_thread *v = host_spawn("victim", victim_recv, NULL);
    host_kill(v);
    __atomic_store_n(&victim_go, 1, __ATOMIC_RELEASE);
    CHECK(host_join(v) == HOST_UNWOUND);
    CHECK(no_waiters(victim_chan));
    long x = 1;
    CHECK(!chan_try_send(victim_chan, &x));     /* no receiver left behind */
    chan_free(victim_chan);

    /* The nil channel waits forever: only a kill ends it. */
    victim_chan = NULL;
    for (int i = 0; i < 2; i++) {
        struct host_thread *n = host_spawn("nil", victims[i], NULL);
        host_wait_parked(n);
        host_sleep_us(10000);
        CHECK(host_parked(n));
        host_kill(n);
        CHECK(host_join(n) == HOST_UNWOUND);
    }
}

/* A receiver killed while a sender comes: it has the value, or it
 * unwound and the sender still waits for a receiver; never both. */
static void kill_race_receiver(void *arg)
{
    struct received *got = arg;
    got->ok = chan_recv(victim_chan, &got->v);
}

static void test_kill_races(void)
{
    host_watch("kill racing a send", 60);
    victim_chan = new_chan("victim", 0);
    long took = 0;
    for (int round = 0; round < KILL_ROUNDS; round++) {
        struct received got = { false, -1 };
        struct host_thread *r = host_spawn("receiver", kill_race_receiver, &got);
        host_wait_parked(r);
        struct host_thread *s = host_spawn("sender", victim_send, NULL);
        for (uint64_t n = host_random(&rng) % 16; n > 0; n--)
            sched_yield();
        host_kill(r);
        enum host_end end = host_join(r);
        if (end == HOST_RETURNED) {
            CHECK(got.ok && got.v == 3);
            CHECK(host_join(s) == HOST_RETURNED);
            took++;
        } else {
            CHECK(end == HOST_UNWOUND);
            host_wait_parked(s);
            long v = 0;
            CHECK(chan_recv(victim_chan, &v) && v == 3);
            CHECK(host_join(s) == HOST_RETURNED);
        }
        CHECK(no_waiters(victim_chan));
    }
    printf("  the receiver took the value in %ld of %d rounds\n", took, KILL_ROUNDS);
    chan_free(victim_chan);
}

int main(void)
{
    host_init();
    test_new();
    test_buffered_fifo();
    test_rendezvous();
    test_lone_sender();
    test_full_ring();
    test_many(0);
    test_many(4);
    test_close_drains();
    test_close_wakes_receivers(0);
    test_close_wakes_receivers(2);
    test_close_wakes_senders();
    test_bugs();
    test_close_races();
    test_kill();
    test_kill_races();
    /* Every wake-up found its thread parked. */
    CHECK(host_ignored_unparks() == 0);
    printf("chan: %ld bugs reported on purpose, %d failures\n", bugs, failures);
    return failures != 0;
}
