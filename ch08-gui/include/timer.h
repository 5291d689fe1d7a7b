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

/* The clock deadlines are set on: the TSC, which a late tick interrupt
 * does not hold back (a busy host delays QEMU's timer, and a tick count
 * read then is behind, so a deadline counted from it would come early).
 * timer_clock_after_ms: its reading ms milliseconds from now, saturating
 * at TIMER_CLOCK_NEVER. */
#define TIMER_CLOCK_NEVER UINT64_MAX
uint64_t timer_clock(void);
uint64_t timer_clock_after_ms(uint64_t ms);

/* now + ms * per_ms, or TIMER_CLOCK_NEVER if that does not fit. */
static inline uint64_t timer_deadline(uint64_t now, uint64_t ms, uint64_t per_ms)
{
    if (per_ms != 0 && ms > (TIMER_CLOCK_NEVER - now) / per_ms)
        return TIMER_CLOCK_NEVER;
    return now + ms * per_ms;
}

/* Spin at least us microseconds, timed with the TSC; interrupts as they are. */
void timer_wait_us(uint64_t us);

#endif
