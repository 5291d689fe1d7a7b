/*
 * timer.c: the periodic tick, from the local APIC timer.
 *
 * The local APIC timer counts at the bus or core crystal rate, which
 * differs between machines and which the CPU does not always report, so the
 * kernel measures it: count APIC timer ticks across a known interval timed
 * by the PIT, whose input clock has been 1.193182 MHz on every PC since the
 * IBM PC (channel 2, polled through port 0x61: OSDev "Programmable Interval
 * Timer"). From the rate follows the period for TIMER_HZ interrupts a second.
 * The same interval measures the time-stamp counter's rate, which turns
 * cycle counts into nanoseconds. Each tick also drives the scheduler.
 */
#include <stdint.h>

#include "cpu.h"
#include "kprintf.h"
#include "ktimer.h"
#include "lapic.h"
#include "panic.h"
#include "thread.h"
#include "timer.h"
#include "trap.h"
#include "x86.h"

#define PIT_HZ 1193182
#define PIT_CHANNEL2 0x42
#define PIT_COMMAND 0x43
#define PIT_CH2_ONESHOT_LOHI 0xB0   /* channel 2, lobyte/hibyte, mode 0: count down once */
#define PORT_B 0x61                 /* gate of channel 2 (bit 0), its output (bit 5) */
#define PORT_B_GATE2 0x01
#define PORT_B_SPEAKER 0x02
#define PORT_B_OUT2 0x20
#define CALIBRATION_MS 50           /* the PIT's 16-bit counter lasts at most 54.9 ms */
#define CALIBRATION_ROUNDS 3

static volatile uint64_t ticks;
static uint64_t lapic_rate;
static uint64_t tsc_rate;

/* Every CPU's timer interrupts it; the boot CPU's ticks are the clock. */
static void on_tick(struct trap_frame *tf)
{
    (void)tf;
    struct cpu *c = this_cpu();
    c->ticks++;
    if (c->id == 0) {
        ticks++;
        ktimer_tick();
    }
    sched_tick();
}

/* Busy-wait ms milliseconds (at most 54) on PIT channel 2, speaker off. */
static void pit_wait_ms(unsigned ms)
{
    uint16_t count = (uint16_t)(PIT_HZ * ms / 1000);
    outb(PORT_B, (inb(PORT_B) & ~PORT_B_SPEAKER) & ~PORT_B_GATE2);
    outb(PIT_COMMAND, PIT_CH2_ONESHOT_LOHI);
    outb(PIT_CHANNEL2, count & 0xFF);
    outb(PIT_CHANNEL2, count >> 8);
    outb(PORT_B, inb(PORT_B) | PORT_B_GATE2);     /* gate high: the counter runs */
    while (!(inb(PORT_B) & PORT_B_OUT2))
        ;
}

/* Measure this CPU's local APIC timer against the PIT (and the TSC with
 * it), then make it tick TIMER_HZ times a second. Returns its rate. */
static uint64_t calibrate_and_start(void)
{
    /* A delay (QEMU's host not running this virtual CPU for a moment) can
     * only make the interval look longer, never shorter: keep the
     * shortest of a few. */
    uint32_t counted = UINT32_MAX;
    uint64_t tsc_counted = UINT64_MAX;
    for (int i = 0; i < CALIBRATION_ROUNDS; i++) {
        uint64_t tsc_start = rdtsc();
        lapic_timer_count_start();
        pit_wait_ms(CALIBRATION_MS);
        uint32_t n = lapic_timer_count_elapsed();
        uint64_t tsc_n = rdtsc() - tsc_start;
        if (n < counted)
            counted = n;
        if (tsc_n < tsc_counted)
            tsc_counted = tsc_n;
    }
    if (this_cpu()->id == 0)
        tsc_rate = tsc_counted * 1000 / CALIBRATION_MS;
    uint64_t rate = (uint64_t)counted * 1000 / CALIBRATION_MS;
    if (rate < TIMER_HZ)
        panic("timer: the local APIC timer of CPU %u did not count during calibration",
              this_cpu()->id);
    lapic_timer_periodic(VEC_TIMER, (uint32_t)(rate / TIMER_HZ));
    return rate;
}

uint64_t timer_init_ap(void)
{
    return calibrate_and_start();
}

void timer_init(void)
{
    trap_set_handler(VEC_TIMER, on_tick);
    lapic_rate = calibrate_and_start();
    this_cpu()->timer_khz = (unsigned)(lapic_rate / 1000);
    kprintf("timer: local APIC timer at %llu kHz (measured against the PIT), %d Hz tick\n",
            (unsigned long long)(lapic_rate / 1000), TIMER_HZ);
}

uint64_t timer_ticks(void)
{
    return ticks;
}

uint64_t timer_uptime_ms(void)
{
    return ticks * 1000 / TIMER_HZ;
}

uint64_t timer_lapic_rate(void)
{
    return lapic_rate;
}

uint64_t timer_clock(void)
{
    return rdtsc();
}

uint64_t timer_clock_after_ms(uint64_t ms)
{
    return timer_deadline(rdtsc(), ms, tsc_rate / 1000);
}

uint64_t timer_tsc_rate(void)
{
    return tsc_rate;
}

void timer_wait_us(uint64_t us)
{
    uint64_t end = rdtsc() + tsc_rate / 1000000 * us;
    while (rdtsc() < end)
        __asm__ volatile("pause");
}
