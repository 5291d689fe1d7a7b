/*
 * cpu.h: data that belongs to one CPU, reached through the GS segment.
 *
 * ch04 runs on one CPU, but the scheduler already keeps "which thread is
 * running here" per CPU, so that SMP (several CPUs, each with its own
 * struct cpu and GS base) changes what each CPU runs, not how it is found.
 * GS's base is an MSR (SDM vol 3A, 3.4.4.1); the struct's first field points
 * at itself, so one %gs-relative load yields the whole struct.
 */
#ifndef CUBOS_CPU_H
#define CUBOS_CPU_H

#include <stdbool.h>
#include <stdint.h>

struct thread;

struct cpu {
    struct cpu *self;               /* %gs:0 */
    unsigned id;
    struct thread *current;         /* the thread running on this CPU */
    struct thread *idle;            /* runs when nothing else can */
    bool need_resched;              /* switch threads on the way out of this interrupt */
    unsigned slice_left;            /* ticks before the current thread is preempted */
    unsigned interrupt_depth;       /* device interrupt handlers running now */
    unsigned locks_held;            /* spinlocks held on this CPU */
    unsigned irq_off_depth;         /* irq_push_off nesting (spinlock.h) */
    bool irq_were_on;               /* interrupts were on before the outermost push */
};

/* Point GS at the boot CPU's struct cpu. First thing in kmain: the console
 * lock asks which CPU it runs on. */
void cpu_init_boot(void);

static inline struct cpu *this_cpu(void)
{
    struct cpu *c;
    __asm__ volatile("movq %%gs:0, %0" : "=r"(c));
    return c;
}

#endif
