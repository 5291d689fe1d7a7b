/*
 * test_chan_timer.c: timers that deliver on a channel (chan/chan_timer.c,
 * over kernel/ktimer.c and chan/chan.c), with the clock moved by hand and
 * the kernel services of host_kernel.h. Built twice: under ASan and
 * UBSan, and under ThreadSanitizer.
 *
 * Covers: chan_after firing once, at the right tick, with the uptime;
 * chan_ticker firing every period and dropping a tick nobody took;
 * chan_timer_stop's return value; a receiver parked on a timer's channel
 * woken by the tick (from the "timer interrupt", with the timers' lock
 * held); and a job's end freeing the timers (stopped) and channels it
 * still owns, which LeakSanitizer would otherwise report.
 */
#include "host_kernel.h"

static struct chan *timer_chan;

static void timer_receiver(void *arg)
{
    uint64_t *got = arg;
    CHECK(chan_recv(timer_chan, got));
}

/* Receive what a timer delivered, without waiting if it delivered nothing. */
static bool take(struct chan *c, uint64_t *got)
{
    return chan_len(c) > 0 && chan_recv(c, got);
}

static void tick_n(int n)
{
    for (int i = 0; i < n; i++)
        host_tick();
}

/* chan_after(30): the third tick; once. */
static void test_after(void)
{
    host_watch("chan_after", 10);
    uint64_t got = 0;
    struct chan_timer *after = chan_after(30);
    CHECK(after != NULL && chan_cap(after->c) == 1);
    CHECK(host_job_resources() == 1);           /* the timer; its channel is the timer's */
    CHECK(ktimer_pending() == 1);
    tick_n(2);
    CHECK(chan_len(after->c) == 0);
    tick_n(1);
    CHECK(chan_len(after->c) == 1);
    CHECK(take(after->c, &got) && got == timer_uptime_ms());
    tick_n(10);
    CHECK(chan_len(after->c) == 0);
    CHECK(!chan_timer_stop(after));             /* it fired */
    chan_timer_free(after);
    CHECK(host_job_resources() == 0 && ktimer_pending() == 0);
}

/* chan_ticker(20): every 2 ticks; a tick nobody took is dropped. */
static void test_ticker(void)
{
    host_watch("chan_ticker", 10);
    uint64_t got = 0;
    struct chan_timer *ticker = chan_ticker(20);
    uint64_t first = timer_ticks() + 2;
    tick_n(1);
    CHECK(chan_len(ticker->c) == 0);
    tick_n(1);
    CHECK(chan_len(ticker->c) == 1);
    tick_n(2);
    CHECK(chan_len(ticker->c) == 1);
    CHECK(take(ticker->c, &got) && got == first * 1000 / TIMER_HZ);
    tick_n(2);
    CHECK(take(ticker->c, &got) && got == (first + 4) * 1000 / TIMER_HZ);
    CHECK(chan_timer_stop(ticker));             /* it was running */
    CHECK(!chan_timer_stop(ticker));
    tick_n(6);
    CHECK(chan_len(ticker->c) == 0);
    chan_timer_free(ticker);
    CHECK(host_job_resources() == 0 && ktimer_pending() == 0);
}

/* A receiver parked on a timer's channel is woken by the tick. */
static void test_wakes_receiver(void)
{
    host_watch("a timer wakes a receiver", 10);
    uint64_t got = 0;
    struct chan_timer *wake = chan_after(10);
    timer_chan = wake->c;
    struct host_thread *r = host_spawn("receiver", timer_receiver, &got);
    host_wait_parked(r);
    CHECK(host_parked(r));
    tick_n(1);
    CHECK(host_join(r) == HOST_RETURNED);
    CHECK(got == timer_uptime_ms());
    chan_timer_free(wake);
}

/* A job's end frees what it still owns: timers (stopped), their
 * channels, and channels. */
static void test_job_end(void)
{
    host_watch("job end", 10);
    CHECK(chan_ticker(10) != NULL);
    CHECK(chan_after(1000) != NULL);
    new_chan("left over", 4);
    CHECK(host_job_resources() == 3);
    CHECK(ktimer_pending() == 2);
    CHECK(host_job_end() == 3);
    CHECK(host_job_resources() == 0 && ktimer_pending() == 0);
    tick_n(3);
}

int main(void)
{
    host_init();
    test_after();
    test_ticker();
    test_wakes_receiver();
    test_job_end();
    CHECK(host_ignored_unparks() == 0);
    printf("chan_timer: %d failures\n", failures);
    return failures != 0;
}
