/*
 * timer.c: the periodic tick, from the local APIC timer.
 *
 * The local APIC timer counts at the bus or core crystal rate, which
 * differs between machines and which the CPU does not always report, so the
 * kernel measures it: count APIC timer ticks across a known interval timed
 * by the PIT, whose input clock has been 1.193182 MHz on every PC since the
 * IBM PC (channel 2, polled through port 0x61: OSDev "Programmable Interval
 * Timer"). From the rate follows the period for TIMER_HZ interrupts a second.
 */
#include <stdint.h>

#include "kprintf.h"
#include "lapic.h"
#include "panic.h"
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

static void on_tick(struct trap_frame *tf)
{
    (void)tf;
    ticks++;
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

void timer_init(void)
{
    /* A delay (QEMU's host not running this virtual CPU for a moment) can
     * only make the interval look longer, never shorter: keep the
     * shortest of a few. */
    uint32_t counted = UINT32_MAX;
    for (int i = 0; i < CALIBRATION_ROUNDS; i++) {
        lapic_timer_count_start();
        pit_wait_ms(CALIBRATION_MS);
        uint32_t n = lapic_timer_count_elapsed();
        if (n < counted)
            counted = n;
    }
    lapic_rate = (uint64_t)counted * 1000 / CALIBRATION_MS;
    if (lapic_rate < TIMER_HZ)
        panic("timer: the local APIC timer did not count during calibration");

    trap_set_handler(VEC_TIMER, on_tick);
    lapic_timer_periodic(VEC_TIMER, (uint32_t)(lapic_rate / TIMER_HZ));
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
