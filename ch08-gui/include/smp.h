/*
 * smp.h: the other CPUs: starting them, and the requests one CPU makes of
 * the others (wake up and look for work; forget a page mapping; stop).
 */
#ifndef CUBOS_SMP_H
#define CUBOS_SMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acpi.h"
#include "cpu.h"
#include "multiboot2.h"

/* Start every CPU the MADT lists, up to max_cpus in all (the kernel option
 * cpus=N), one at a time; report and leave out a CPU that does not answer.
 * Runs on the boot CPU once its interrupts and scheduler are up. */
void smp_start(const struct boot_info *bi, const struct madt_info *madt, unsigned max_cpus);

/* Interrupt c (another CPU, halted in its idle thread) so that it looks at
 * the run queue now rather than at its next tick. */
void smp_wake(struct cpu *c);

/* Make every other CPU drop its cached translations of the npages pages
 * from va (TLB shootdown), and wait until all have. Callable anywhere,
 * spinlocks held included: the request travels as an NMI, which no
 * "interrupts off" holds back. */
void smp_flush_pages(uintptr_t va, size_t npages);

/* Print one line per CPU: number, APIC ID, state, timer rate, ticks,
 * context switches, and the share of ticks that found it idle. */
void smp_print_cpus(void);

/* Stop every other CPU for good (a panic); returns at once. */
void smp_stop_others(void);

/* True once a panic has begun stopping the CPUs (the console then stops
 * waiting for a lock a stopped CPU may hold). */
bool smp_stopping(void);

/* The NMI handler asks this first: true if the NMI was one of the above. */
bool smp_handle_nmi(void);

#endif
