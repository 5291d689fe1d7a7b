/* lapic.h: this CPU's local APIC: interrupt acceptance, end of interrupt, and its timer. */
#ifndef CUBOS_LAPIC_H
#define CUBOS_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

/* True if this CPU has a local APIC (CPUID says so); the rest needs one. */
bool lapic_present(void);

/* Enable the local APIC (spurious vector VEC_SPURIOUS). */
void lapic_init(void);

/* This CPU's APIC ID, which the IO APIC needs as a destination. */
uint8_t lapic_id(void);

/* Tell the local APIC the current interrupt is handled (SDM vol 3A, 11.8.5). */
void lapic_eoi(void);

/* Count the timer's ticks (divided by 16) during the wait the caller runs:
 * lapic_timer_count_start, wait, then lapic_timer_count_elapsed. */
void lapic_timer_count_start(void);
uint32_t lapic_timer_count_elapsed(void);

/* Interrupt on vector every period ticks (divided by 16), from now on. */
void lapic_timer_periodic(uint8_t vector, uint32_t period);

/* Inter-processor interrupts (SDM vol 3A, 11.6). INIT resets the CPU with
 * that APIC ID to wait for a start-up IPI, which starts it in real mode at
 * physical address page << 12 (8.4.4). */
void lapic_send_init(uint8_t apic_id);
void lapic_send_startup(uint8_t apic_id, uint8_t page);

/* A fixed interrupt on vector, or an NMI, to the CPU with that APIC ID.
 * An NMI arrives even where interrupts are off: sched/smp.c uses it for
 * the requests a CPU must serve at once (TLB shootdown, stop on panic). */
void lapic_send_ipi(uint8_t apic_id, uint8_t vector);
void lapic_send_nmi(uint8_t apic_id);

#endif
