/*
 * bench_chan.c: the channel benchmarks, the same four workloads as
 * tools/bench/go/chanbench.go, so that `make bench` sets each figure
 * beside Go's: an unbuffered round trip, messages through a buffered
 * channel, a four-case select, and the prime sieve.
 */
#include <stdbool.h>
#include <stdint.h>

#include "bench.h"
#include "chan.h"
#include "job.h"
#include "kprintf.h"
#include "panic.h"
#include "thread.h"
#include "x86.h"

#define PINGPONG_ROUNDS 20000
#define BUFFERED_MSGS 100000
#define BUFFERED_CAP 128
#define SELECT_ROUNDS 20000
#define SELECT_CASES 4
#define SIEVE_PRIMES 5000
#define SIEVE_LAST 48611

struct pair {
    struct chan *a, *b;
};

static struct chan *new_chan(const char *name, size_t cap)
{
    struct chan *c = chan_new(name, sizeof(long), cap);
    if (c == NULL)
        panic("bench: no memory for a channel");
    return c;
}

static void start(const char *name, void (*fn)(void *), const void *arg, unsigned long size)
{
    if (go(name, fn, arg, size) != 0)
        panic("bench: no memory for a thread");
}

static void ponger(void *arg)
{
    struct pair *p = arg;
    long v;
    while (chan_recv(p->a, &v)) {
        v++;
        chan_send(p->b, &v);
    }
}

static uint64_t time_pingpong(void)
{
    struct pair p = { new_chan("ping", 0), new_chan("pong", 0) };
    start("ponger", ponger, &p, sizeof(p));
    uint64_t t0 = rdtsc();
    long v = 0;
    for (int i = 0; i < PINGPONG_ROUNDS; i++) {
        chan_send(p.a, &v);
        chan_recv(p.b, &v);
    }
    return rdtsc() - t0;
}

static void drain(void *arg)
{
    struct pair *p = arg;
    long v, sum = 0;
    while (chan_recv(p->a, &v))
        sum += v;
    chan_send(p->b, &sum);
}

static uint64_t time_buffered(void)
{
    struct pair p = { new_chan("buffered", BUFFERED_CAP), new_chan("sum", 0) };
    start("drain", drain, &p, sizeof(p));
    uint64_t t0 = rdtsc();
    for (long i = 0; i < BUFFERED_MSGS; i++)
        chan_send(p.a, &i);
    chan_close(p.a);
    long sum;
    chan_recv(p.b, &sum);
    uint64_t cycles = rdtsc() - t0;
    if (sum != (long)BUFFERED_MSGS * (BUFFERED_MSGS - 1) / 2)
        panic("bench: the buffered channel lost messages (sum %ld)", sum);
    return cycles;
}

static void feed(void *arg)
{
    struct chan **cs = *(struct chan ***)arg;
    for (long i = 0; i < SELECT_ROUNDS; i++)
        chan_send(cs[i % SELECT_CASES], &i);
}

static uint64_t time_select(void)
{
    struct chan *cs[SELECT_CASES];
    for (int i = 0; i < SELECT_CASES; i++)
        cs[i] = new_chan("select", BUFFERED_CAP);
    struct chan **p = cs;
    start("feed", feed, &p, sizeof(p));
    long v;
    struct select_case cases[SELECT_CASES];
    for (int i = 0; i < SELECT_CASES; i++)
        cases[i] = (struct select_case){ cs[i], SELECT_RECV, &v, false };
    uint64_t t0 = rdtsc();
    for (int i = 0; i < SELECT_ROUNDS; i++) {
        if (chan_select(cases, SELECT_CASES, true, SELECT_FOREVER) < 0)
            panic("bench: select failed");
    }
    return rdtsc() - t0;
}

static void generate(void *arg)
{
    struct chan *out = *(struct chan **)arg;
    for (long i = 2;; i++)
        chan_send(out, &i);
}

struct filter {
    struct chan *in, *out;
    long prime;
};

static void filter(void *arg)
{
    struct filter *f = arg;
    for (long v;;) {
        chan_recv(f->in, &v);
        if (v % f->prime != 0)
            chan_send(f->out, &v);
    }
}

static uint64_t time_sieve(void)
{
    uint64_t t0 = rdtsc();
    struct chan *c = new_chan("sieve", 0);
    start("generate", generate, &c, sizeof(c));
    long prime = 0;
    for (int i = 0; i < SIEVE_PRIMES; i++) {
        chan_recv(c, &prime);
        struct filter f = { c, new_chan("sieve", 0), prime };
        start("filter", filter, &f, sizeof(f));
        c = f.out;
    }
    uint64_t cycles = rdtsc() - t0;
    if (prime != SIEVE_LAST)
        panic("bench: the %dth prime came out as %ld", SIEVE_PRIMES, prime);
    return cycles;
}

/* Each benchmark runs as a job, so the threads it leaves blocked (the
 * sieve's filters) are ended and its channels freed after it. */
static uint64_t as_job(const char *name, uint64_t (*fn)(void))
{
    struct job *j = job_begin(name);
    if (j == NULL)
        panic("bench: no memory for a job");
    uint64_t cycles = fn();
    job_end(j);
    return cycles;
}

void bench_chan_run(void)
{
    as_job("bench", time_pingpong);
    bench_report("chan pingpong", as_job("bench", time_pingpong), PINGPONG_ROUNDS);
    bench_report("chan buffered", as_job("bench", time_buffered), BUFFERED_MSGS);
    bench_report("select 4", as_job("bench", time_select), SELECT_ROUNDS);
    bench_report("primes 5000", as_job("bench", time_sieve), 1);
}
