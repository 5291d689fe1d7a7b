/*
 * clock.h: the time programs ask for (clock_gettime): a monotonic clock
 * from the TSC, and the wall clock, from the CMOS real-time clock read
 * once at boot plus the monotonic time since.
 */
#ifndef CUBOS_CLOCK_H
#define CUBOS_CLOCK_H

#include <stdint.h>

#define NSEC_PER_SEC 1000000000ull
#define NSEC_PER_MS 1000000ull

/* struct timespec as x86-64 Linux programs pass it. */
struct timespec_k {
    int64_t tv_sec, tv_nsec;
};

/* Read a program's struct timespec at uts as nanoseconds: 0, -EFAULT, or
 * -EINVAL for a negative or unnormalised one (tv_nsec past a second). */
int timespec_from_user(const void *uts, uint64_t *ns);

/* Read the RTC (drivers/rtc.c) and start the clocks; after timer_init. */
void clock_init(void);

/* Nanoseconds since boot (clock_init), never going back. */
uint64_t clock_monotonic_ns(void);

/* Nanoseconds since 1970-01-01 00:00 UTC. */
uint64_t clock_realtime_ns(void);

/* Seconds since 1970 of the RTC's date and time now (drivers/rtc.c). */
uint64_t rtc_read_epoch(void);

#endif
