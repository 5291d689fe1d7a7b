/* timer.h: the kernel's clock: a periodic interrupt TIMER_HZ times a second. */
#ifndef CUBOS_TIMER_H
#define CUBOS_TIMER_H

#include <stdint.h>

#define TIMER_HZ 100

/* Calibrate the local APIC timer against the PIT and start the periodic tick. */
void timer_init(void);

/* Ticks since timer_init. */
uint64_t timer_ticks(void);

/* Milliseconds since timer_init, at tick resolution. */
uint64_t timer_uptime_ms(void);

/* Calibrate and start the timer of an AP (sched/smp.c); its rate in Hz. */
uint64_t timer_init_ap(void);

/* The local APIC timer's rate the calibration measured, in ticks per second (after the divider). */
uint64_t timer_lapic_rate(void);

/* The time-stamp counter's rate, in cycles per second. */
uint64_t timer_tsc_rate(void);

/* Whole ticks in ms milliseconds, rounded up, without overflowing for
 * any ms (at most TIMER_FOREVER_TICKS: "never", as far as anyone waits). */
#define TIMER_FOREVER_TICKS (UINT64_MAX / 4)
static inline uint64_t timer_ms_to_ticks(uint64_t ms)
{
    /* ms * TIMER_HZ would overflow for ms above 2^64 / TIMER_HZ. */
    uint64_t ticks = ms / 1000 * TIMER_HZ + (ms % 1000 * TIMER_HZ + 999) / 1000;
    return ticks < TIMER_FOREVER_TICKS ? ticks : TIMER_FOREVER_TICKS;
}

/* Spin at least us microseconds, timed with the TSC; interrupts as they are. */
void timer_wait_us(uint64_t us);

#endif
