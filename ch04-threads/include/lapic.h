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

#endif
