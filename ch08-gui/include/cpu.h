/*
 * cpu.h: data that belongs to one CPU, reached through the GS segment.
 *
 * Every CPU has its own struct cpu in cpus[] and points its GS base at it,
 * so the same code run on any CPU finds that CPU's data: which thread runs
 * here, its idle thread, its interrupt and lock nesting. GS's base is an
 * MSR (SDM vol 3A, 3.4.4.1); the struct's first field points at itself, so
 * one %gs-relative load yields the whole struct.
 */
#ifndef CUBOS_CPU_H
#define CUBOS_CPU_H

/* Offsets in struct cpu that syscall/entry.S reads through %gs. */
#define CPU_SYSCALL_RSP 8
#define CPU_USER_RSP 16

#ifndef __ASSEMBLER__
#include <stdbool.h>
#include <stdint.h>

struct thread;

#define MAX_CPUS 8

enum cpu_state {
    CPU_ABSENT,                     /* not started (yet, or ever) */
    CPU_STARTING,                   /* sent INIT-SIPI-SIPI, not answered yet */
    CPU_ONLINE,                     /* running the kernel */
};

struct cpu {
    struct cpu *self;               /* %gs:0 */
    uint64_t syscall_rsp;           /* %gs:CPU_SYSCALL_RSP: the running thread's kernel stack top */
    uint64_t user_rsp;              /* %gs:CPU_USER_RSP: the user RSP, while SYSCALL's entry saves it */
    unsigned id;                    /* index in cpus[]: 0 is the boot CPU */
    uint8_t apic_id;                /* its local APIC's ID: where IPIs go */
    volatile enum cpu_state state;
    unsigned timer_khz;             /* its local APIC timer's measured rate */
    uint64_t ticks;                 /* timer ticks this CPU has taken */
    uint64_t idle_ticks;            /* of those, ticks that found it idle */
    uint64_t switches;              /* context switches on this CPU */
    volatile bool flush_pending;    /* a TLB shootdown waits for it (sched/smp.c) */
    int idle_stack_slot;            /* an AP's boot stack, which its idle thread keeps */
    struct thread *current;         /* the thread running on this CPU */
    struct thread *idle;            /* runs when nothing else can */
    bool need_resched;              /* switch threads on the way out of this interrupt */
    unsigned slice_left;            /* ticks before the current thread is preempted */
    unsigned interrupt_depth;       /* device interrupt handlers running now */
    unsigned locks_held;            /* spinlocks held on this CPU */
    unsigned irq_off_depth;         /* irq_push_off nesting (spinlock.h) */
    bool irq_were_on;               /* interrupts were on before the outermost push */
};

extern struct cpu cpus[MAX_CPUS];
extern unsigned cpu_count;          /* CPUs in cpus[] that are online */

/* Point GS at the boot CPU's struct cpu. First thing in kmain: the console
 * lock asks which CPU it runs on. */
void cpu_init_boot(void);

/* Point GS at c, on the CPU that is starting up as c (sched/smp.c). */
void cpu_init_ap(struct cpu *c);

static inline struct cpu *this_cpu(void)
{
    struct cpu *c;
    __asm__ volatile("movq %%gs:0, %0" : "=r"(c));
    return c;
}

/* The thread running on this CPU, read in one instruction. Read as
 * cpu_current(), it takes two: a thread preempted between them and
 * moved to another CPU would get the thread that now runs on its old one. */
static inline struct thread *cpu_current(void)
{
    struct thread *t;
    __asm__ volatile("movq %%gs:%c1, %0" : "=r"(t) : "i"(__builtin_offsetof(struct cpu, current)));
    return t;
}

#endif /* __ASSEMBLER__ */
#endif
