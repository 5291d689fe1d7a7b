/*
 * sys_time.c: clocks and sleeping.
 */
#include <stdint.h>

#include "clock.h"
#include "errno.h"
#include "sys.h"
#include "thread.h"
#include "timer.h"
#include "uaccess.h"

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID 3
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7
#define TIMER_ABSTIME 1

struct timeval_k {
    int64_t tv_sec, tv_usec;
};

/* The clock's reading in ns, or -EINVAL for a clock it does not know. */
static int64_t clock_read(uint64_t id)
{
    switch (id) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE:
        return (int64_t)clock_realtime_ns();
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME:
        return (int64_t)clock_monotonic_ns();
    case CLOCK_PROCESS_CPUTIME_ID:
    case CLOCK_THREAD_CPUTIME_ID:
        /* CPU time in ticks of the calling thread: close enough for both. */
        return (int64_t)(thread_current()->cpu_ticks * (NSEC_PER_SEC / TIMER_HZ));
    default:
        return -EINVAL;
    }
}

SYS(clock_gettime)
{
    SYS_UNUSED;
    int64_t ns = clock_read(a0);
    if (ns < 0)
        return ns;
    struct timespec_k ts = { ns / (int64_t)NSEC_PER_SEC, ns % (int64_t)NSEC_PER_SEC };
    return copy_to_user((void *)a1, &ts, sizeof(ts));
}

SYS(clock_getres)
{
    SYS_UNUSED;
    if (clock_read(a0) < 0)
        return -EINVAL;
    struct timespec_k ts = { 0, 1 };
    return a1 ? copy_to_user((void *)a1, &ts, sizeof(ts)) : 0;
}

SYS(gettimeofday)
{
    SYS_UNUSED;
    uint64_t ns = clock_realtime_ns();
    struct timeval_k tv = { (int64_t)(ns / NSEC_PER_SEC), (int64_t)(ns % NSEC_PER_SEC / 1000) };
    return a0 ? copy_to_user((void *)a0, &tv, sizeof(tv)) : 0;
}

SYS(time)
{
    SYS_UNUSED;
    int64_t t = (int64_t)(clock_realtime_ns() / NSEC_PER_SEC);
    if (a0 && copy_to_user((void *)a0, &t, sizeof(t)))
        return -EFAULT;
    return t;
}

/* Sleep ns nanoseconds: whole ticks asleep, the rest (under a
 * millisecond) yielding the CPU until the clock passes the deadline. */
static long sleep_ns(uint64_t ns, uint64_t *left)
{
    uint64_t end = clock_monotonic_ns() + ns;
    int err = 0;
    if (ns >= NSEC_PER_MS)
        err = thread_sleep_ms_intr(ns / NSEC_PER_MS);
    while (err == 0 && clock_monotonic_ns() < end) {
        thread_yield();
        if (thread_signalled())
            err = -EINTR;
    }
    if (err) {
        /* A signal: the time that was left, and a restart or -EINTR. */
        uint64_t now = clock_monotonic_ns();
        *left = end > now ? end - now : 0;
        return -ERESTARTNOHAND;
    }
    return 0;
}

SYS(nanosleep)
{
    SYS_UNUSED;
    uint64_t ns, left;
    long err = timespec_from_user((const void *)a0, &ns);
    if (err)
        return err;
    err = sleep_ns(ns, &left);
    if (err && a1) {
        int64_t rem[2] = { (int64_t)(left / NSEC_PER_SEC), (int64_t)(left % NSEC_PER_SEC) };
        if (copy_to_user((void *)a1, rem, sizeof(rem)))
            return -EFAULT;
    }
    return err;
}

SYS(clock_nanosleep)
{
    SYS_UNUSED;
    int64_t now = clock_read(a0);
    if (now < 0 || a0 == CLOCK_THREAD_CPUTIME_ID)
        return -EINVAL;
    uint64_t ns;
    long err = timespec_from_user((const void *)a2, &ns);
    if (err)
        return err;
    if (a1 & TIMER_ABSTIME)
        ns = ns > (uint64_t)now ? ns - (uint64_t)now : 0;
    uint64_t left;
    err = sleep_ns(ns, &left);
    if (err && !(a1 & TIMER_ABSTIME) && a3) {
        int64_t rem[2] = { (int64_t)(left / NSEC_PER_SEC), (int64_t)(left % NSEC_PER_SEC) };
        if (copy_to_user((void *)a3, rem, sizeof(rem)))
            return -EFAULT;
    }
    return err;
}
