/*
 * lapic.c: the local APIC, one per CPU (Intel SDM vol 3A, chapter 11).
 *
 * It accepts interrupts for its CPU (from the IO APIC, from other CPUs,
 * from its own timer) and must be told when one has been handled (EOI).
 * Its registers are 32-bit memory-mapped words at the address in the
 * IA32_APIC_BASE MSR, reached through the direct map.
 */
#include <stdbool.h>
#include <stdint.h>

#include "lapic.h"
#include "memlayout.h"
#include "trap.h"
#include "x86.h"

#define APIC_BASE_ENABLE (1 << 11)
#define APIC_BASE_ADDR_MASK 0xFFFFFFFFFF000ull

/* Register offsets (SDM vol 3A, table 11-1). */
#define LAPIC_ID 0x020
#define LAPIC_EOI 0x0B0
#define LAPIC_SVR 0x0F0             /* spurious interrupt vector register */
#define LAPIC_ICR_LOW 0x300         /* interrupt command: writing the low half sends */
#define LAPIC_ICR_HIGH 0x310        /* interrupt command: destination APIC ID in bits 31-24 */
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_INITIAL 0x380
#define LAPIC_TIMER_CURRENT 0x390
#define LAPIC_TIMER_DIVIDE 0x3E0

#define SVR_ENABLE (1 << 8)
#define LVT_MASKED (1 << 16)
#define LVT_TIMER_PERIODIC (1 << 17)
#define TIMER_DIVIDE_BY_16 0x3      /* SDM vol 3A, figure 11-10 */
#define TIMER_COUNT_MAX 0xFFFFFFFFu

/* Interrupt command register fields (SDM vol 3A, 11.6.1, figure 11-12). */
#define ICR_NMI (4 << 8)                /* delivery modes */
#define ICR_INIT (5 << 8)
#define ICR_STARTUP (6 << 8)
#define ICR_PENDING (1 << 12)           /* delivery status: not sent yet */
#define ICR_ASSERT (1 << 14)            /* level: assert (all but INIT de-assert) */
#define ICR_DEST_SHIFT 24

static volatile uint32_t *regs;

static uint32_t lapic_read(uint32_t reg)
{
    return regs[reg / 4];
}

static void lapic_write(uint32_t reg, uint32_t value)
{
    regs[reg / 4] = value;
}

bool lapic_present(void)
{
    uint32_t a, b, c, d;
    cpuid(CPUID_FEATURES, &a, &b, &c, &d);
    return d & CPUID_EDX_APIC;
}

void lapic_init(void)
{
    uint64_t base = rdmsr(MSR_APIC_BASE);
    wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
    regs = phys_to_virt(base & APIC_BASE_ADDR_MASK);
    lapic_write(LAPIC_SVR, SVR_ENABLE | VEC_SPURIOUS);
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
}

uint8_t lapic_id(void)
{
    return lapic_read(LAPIC_ID) >> 24;
}

void lapic_eoi(void)
{
    lapic_write(LAPIC_EOI, 0);
}

void lapic_timer_count_start(void)
{
    lapic_write(LAPIC_TIMER_DIVIDE, TIMER_DIVIDE_BY_16);
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);       /* one-shot, no interrupt */
    lapic_write(LAPIC_TIMER_INITIAL, TIMER_COUNT_MAX);
}

uint32_t lapic_timer_count_elapsed(void)
{
    uint32_t left = lapic_read(LAPIC_TIMER_CURRENT);
    lapic_write(LAPIC_TIMER_INITIAL, 0);            /* stop it */
    return TIMER_COUNT_MAX - left;
}

void lapic_timer_periodic(uint8_t vector, uint32_t period)
{
    lapic_write(LAPIC_TIMER_DIVIDE, TIMER_DIVIDE_BY_16);
    lapic_write(LAPIC_LVT_TIMER, LVT_TIMER_PERIODIC | vector);
    lapic_write(LAPIC_TIMER_INITIAL, period);
}

/* Send one interrupt command and wait until the local APIC has sent it. */
static void send_ipi(uint8_t apic_id, uint32_t command)
{
    lapic_write(LAPIC_ICR_HIGH, (uint32_t)apic_id << ICR_DEST_SHIFT);
    lapic_write(LAPIC_ICR_LOW, command);
    while (lapic_read(LAPIC_ICR_LOW) & ICR_PENDING)
        __asm__ volatile("pause");
}

void lapic_send_init(uint8_t apic_id)
{
    send_ipi(apic_id, ICR_INIT | ICR_ASSERT);
}

void lapic_send_startup(uint8_t apic_id, uint8_t page)
{
    send_ipi(apic_id, ICR_STARTUP | ICR_ASSERT | page);
}

void lapic_send_ipi(uint8_t apic_id, uint8_t vector)
{
    send_ipi(apic_id, ICR_ASSERT | vector);
}

void lapic_send_nmi(uint8_t apic_id)
{
    send_ipi(apic_id, ICR_NMI | ICR_ASSERT);
}
