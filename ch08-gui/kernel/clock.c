/*
 * clock.c: nanosecond clocks on the TSC.
 *
 * The TSC runs at a constant rate (timer_tsc_rate, measured at boot) and
 * is synchronised across CPUs (sched/smp.c), so one reading converts to
 * nanoseconds on any CPU. The wall clock is the RTC's second at boot plus
 * the monotonic time since: the RTC itself counts whole seconds only.
 */
#include <stdint.h>

#include "clock.h"
#include "errno.h"
#include "kprintf.h"
#include "timer.h"
#include "uaccess.h"
#include "x86.h"

static uint64_t boot_tsc;
static uint64_t boot_epoch_ns;
/* Nanoseconds per TSC cycle, in 32.32 fixed point: a multiplication per
 * reading instead of a 128-bit division (which would need libgcc). */
static uint64_t ns_per_cycle_32;

void clock_init(void)
{
    ns_per_cycle_32 = (NSEC_PER_SEC << 32) / timer_tsc_rate();
    boot_tsc = rdtsc();
    boot_epoch_ns = rtc_read_epoch() * NSEC_PER_SEC;
}

uint64_t clock_monotonic_ns(void)
{
    uint64_t cycles = rdtsc() - boot_tsc;
    return (uint64_t)(((unsigned __int128)cycles * ns_per_cycle_32) >> 32);
}

uint64_t clock_realtime_ns(void)
{
    return boot_epoch_ns + clock_monotonic_ns();
}

int timespec_from_user(const void *uts, uint64_t *ns)
{
    struct timespec_k ts;
    if (copy_from_user(&ts, uts, sizeof(ts)))
        return -EFAULT;
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= (int64_t)NSEC_PER_SEC ||
        (uint64_t)ts.tv_sec > (UINT64_MAX - NSEC_PER_SEC) / NSEC_PER_SEC)
        return -EINVAL;
    *ns = (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
    return 0;
}
