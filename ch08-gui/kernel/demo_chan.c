/*
 * demo_chan.c: the channel demos: primes, pingpong, prodcons, deadlock.
 *
 * Each runs as a shell command, so as a job (job.h): the threads it
 * leaves blocked when it returns are ended, and its channels freed.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chan.h"
#include "format.h"
#include "kprintf.h"
#include "shell.h"
#include "string.h"
#include "thread.h"
#include "timer.h"
#include "wait.h"
#include "x86.h"

#define PRIMES_DEFAULT 10
#define PRIMES_MAX 10000
#define PINGPONG_DEFAULT 10000
#define PINGPONG_MAX 10000000
#define PRODUCERS 3
#define CONSUMERS 2
#define PRODUCED_EACH 1000
#define PRODCONS_CAP 8
#define CONSUMER_TIMEOUT_MS 2000

/* argv[1] as a count from 1 to max, or dflt if absent; -1 (and the usage
 * printed) if it is not one. */
static long count_arg(int argc, char **argv, long dflt, long max, const char *usage)
{
    if (argc == 1)
        return dflt;
    long n = 0;
    const char *p = argc == 2 ? argv[1] : "";
    if (*p == '\0')
        n = -1;
    for (; *p && n >= 0; p++) {
        if (*p < '0' || *p > '9' || n > max)
            n = -1;
        else
            n = n * 10 + (*p - '0');
    }
    if (n < 1 || n > max) {
        kprintf("usage: %s (n from 1 to %ld)\n", usage, max);
        return -1;
    }
    return n;
}

/* Microseconds since start, from the TSC. */
static uint64_t us_since(uint64_t start)
{
    return (rdtsc() - start) * 1000 / (timer_tsc_rate() / 1000);
}

/* --- primes: the concurrent prime sieve (Go's classic example) --- */

struct filter_arg {
    struct chan *in, *out;
    int prime;
};

static void generate(void *arg)
{
    struct chan *out = *(struct chan **)arg;
    for (int i = 2;; i++)
        chan_send(out, &i);
}

/* Pass on what prime does not divide. */
static void filter(void *arg)
{
    struct filter_arg *f = arg;
    for (int v;;) {
        chan_recv(f->in, &v);
        if (v % f->prime != 0)
            chan_send(f->out, &v);
    }
}

static void cmd_primes(int argc, char **argv)
{
    long n = count_arg(argc, argv, PRIMES_DEFAULT, PRIMES_MAX, "primes [n]");
    if (n < 0)
        return;
    uint64_t start = rdtsc();
    struct chan *c = chan_new("sieve 2", sizeof(int), 0);
    if (c == NULL || go("generate", generate, &c, sizeof(c)) != 0) {
        kprintf("primes: out of memory\n");
        return;
    }
    for (long i = 0; i < n; i++) {
        int prime;
        chan_recv(c, &prime);
        kprintf("%d%s", prime, i + 1 < n ? " " : "\n");
        char name[CHAN_NAME_SIZE];
        ksnprintf(name, sizeof(name), "sieve %d", prime);
        struct filter_arg f = { c, chan_new(name, sizeof(int), 0), prime };
        ksnprintf(name, sizeof(name), "filter %d", prime);
        if (f.out == NULL || go(name, filter, &f, sizeof(f)) != 0) {
            kprintf("\nprimes: out of memory after %ld primes\n", i + 1);
            return;
        }
        c = f.out;
    }
    uint64_t us = us_since(start);
    kprintf("primes: %ld primes in %llu.%03llu s, %ld filter threads\n", n,
            (unsigned long long)(us / 1000000), (unsigned long long)(us / 1000 % 1000), n);
}

/* --- pingpong: a value passed back and forth over unbuffered channels --- */

struct pong_arg {
    struct chan *ping, *pong;
};

static void ponger(void *arg)
{
    struct pong_arg *p = arg;
    long v;
    while (chan_recv(p->ping, &v)) {
        v++;
        chan_send(p->pong, &v);
    }
}

static void cmd_pingpong(int argc, char **argv)
{
    long n = count_arg(argc, argv, PINGPONG_DEFAULT, PINGPONG_MAX, "pingpong [n]");
    if (n < 0)
        return;
    struct pong_arg p = { chan_new("ping", sizeof(long), 0), chan_new("pong", sizeof(long), 0) };
    if (p.ping == NULL || p.pong == NULL || go("ponger", ponger, &p, sizeof(p)) != 0) {
        kprintf("pingpong: out of memory\n");
        return;
    }
    uint64_t start = rdtsc();
    long v = 0;
    for (long i = 0; i < n; i++) {
        chan_send(p.ping, &v);
        chan_recv(p.pong, &v);
    }
    uint64_t us = us_since(start);
    chan_close(p.ping);
    kprintf("pingpong: %ld round trips, value %ld, %llu ns per round trip\n", n, v,
            (unsigned long long)(us * 1000 / (uint64_t)n));
}

/* --- prodcons: producers and consumers over a buffered channel --- */

struct producer_arg {
    struct chan *data;
    struct waitgroup *done;
    long first;
};

static void producer(void *arg)
{
    struct producer_arg *p = arg;
    for (long v = p->first; v < p->first + PRODUCED_EACH; v++)
        chan_send(p->data, &v);
    wg_done(p->done);
}

struct consumer_arg {
    struct chan *data, *results;
};

struct consumer_result {
    long count, sum;
    bool timed_out;
};

/* Receive until the channel is closed, or nothing comes for a while. */
static void consumer(void *arg)
{
    struct consumer_arg *c = arg;
    struct consumer_result r = { 0, 0, false };
    long v;
    for (;;) {
        struct select_case cases[] = { { c->data, SELECT_RECV, &v, false } };
        int k = chan_select(cases, 1, true, CONSUMER_TIMEOUT_MS);
        if (k == SELECT_TIMEOUT) {
            r.timed_out = true;
            break;
        }
        if (!cases[0].ok)
            break;
        r.count++;
        r.sum += v;
    }
    chan_send(c->results, &r);
}

static void cmd_prodcons(int argc, char **argv)
{
    if (argc != 1) {
        kprintf("usage: %s (no arguments)\n", argv[0]);
        return;
    }
    struct chan *data = chan_new("data", sizeof(long), PRODCONS_CAP);
    struct chan *results = chan_new("results", sizeof(struct consumer_result), CONSUMERS);
    struct waitgroup done = WAITGROUP_INIT("producers");
    if (data == NULL || results == NULL) {
        kprintf("prodcons: out of memory\n");
        return;
    }
    long sent = 0, sent_sum = 0;
    for (long i = 0; i < PRODUCERS; i++) {
        struct producer_arg p = { data, &done, 1 + i * PRODUCED_EACH };
        wg_add(&done, 1);
        if (go("producer", producer, &p, sizeof(p)) != 0) {
            wg_done(&done);
            kprintf("prodcons: out of memory\n");
            break;
        }
        sent += PRODUCED_EACH;
        for (long v = p.first; v < p.first + PRODUCED_EACH; v++)
            sent_sum += v;
    }
    for (int i = 0; i < CONSUMERS; i++) {
        struct consumer_arg c = { data, results };
        if (go("consumer", consumer, &c, sizeof(c)) != 0)
            kprintf("prodcons: out of memory\n");
    }
    wg_wait(&done);
    chan_close(data);
    long got = 0, got_sum = 0;
    for (int i = 0; i < CONSUMERS; i++) {
        struct consumer_result r;
        chan_recv(results, &r);
        kprintf("prodcons: consumer %d received %ld values%s\n", i + 1, r.count,
                r.timed_out ? " (then timed out)" : "");
        got += r.count;
        got_sum += r.sum;
    }
    kprintf("prodcons: %d producers sent %ld values, sum %ld; %d consumers received %ld, sum %ld: %s\n",
            PRODUCERS, sent, sent_sum, CONSUMERS, got, got_sum,
            sent == got && sent_sum == got_sum ? "all there" : "MISMATCH");
}

/* --- deadlock: two threads each waiting for the other --- */

struct crossed_arg {
    struct chan *in, *out;
    struct waitgroup *done;
};

static void crossed(void *arg)
{
    struct crossed_arg *a = arg;
    int v;
    chan_recv(a->in, &v);       /* the other one receives first too: nobody sends */
    chan_send(a->out, &v);
    wg_done(a->done);
}

static void cmd_deadlock(int argc, char **argv)
{
    if (argc != 1) {
        kprintf("usage: %s (no arguments)\n", argv[0]);
        return;
    }
    struct waitgroup done = WAITGROUP_INIT("deadlock");
    struct chan *a = chan_new("a", sizeof(int), 0);
    struct chan *b = chan_new("b", sizeof(int), 0);
    if (a == NULL || b == NULL) {
        kprintf("deadlock: out of memory\n");
        return;
    }
    struct crossed_arg left = { a, b, &done }, right = { b, a, &done };
    wg_add(&done, 2);
    if (go("left", crossed, &left, sizeof(left)) != 0 || go("right", crossed, &right, sizeof(right)) != 0) {
        kprintf("deadlock: out of memory\n");
        return;
    }
    kprintf("deadlock: 'left' waits to receive on a, 'right' on b, and the shell for both\n");
    wg_wait(&done);
    kprintf("deadlock: not detected\n");
}

/* --- misuse: what Go would panic on stops the command, not the kernel --- */

static void cmd_misuse(int argc, char **argv)
{
    const char *kind = argc == 2 ? argv[1] : "";
    struct chan *c = chan_new("misused", sizeof(int), 1);
    struct waitgroup wg = WAITGROUP_INIT("misused");
    if (c == NULL) {
        kprintf("misuse: out of memory\n");
        return;
    }
    int v = 1;
    if (strcmp(kind, "send-closed") == 0) {
        chan_close(c);
        chan_send(c, &v);
    } else if (strcmp(kind, "close-twice") == 0) {
        chan_close(c);
        chan_close(c);
    } else if (strcmp(kind, "wg-negative") == 0) {
        wg_done(&wg);
    } else {
        kprintf("usage: misuse send-closed|close-twice|wg-negative\n");
        return;
    }
    kprintf("misuse: not caught\n");
}

const struct shell_command demo_misuse_command = {
    "misuse", "misuse <kind>", "misuse a channel or a wait group: the command is stopped", cmd_misuse,
};

const struct shell_command demo_primes_command = {
    "primes", "primes [n]", "the concurrent prime sieve: n primes, a thread per prime", cmd_primes,
};

const struct shell_command demo_pingpong_command = {
    "pingpong", "pingpong [n]", "two threads pass a value n times over unbuffered channels", cmd_pingpong,
};

const struct shell_command demo_prodcons_command = {
    "prodcons", "prodcons", "producers and consumers over a buffered channel, with select", cmd_prodcons,
};

const struct shell_command demo_deadlock_command = {
    "deadlock", "deadlock", "a deliberate deadlock, for the detector to report", cmd_deadlock,
};
