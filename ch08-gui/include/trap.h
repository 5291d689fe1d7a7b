/*
 * trap.h: interrupts and exceptions (Intel SDM vol 3A, chapter 6).
 *
 * Every one of the 256 vectors enters through a stub in trap/vectors.S
 * that saves the registers as a struct trap_frame and calls trap_dispatch.
 * Vectors 0-31 are the CPU's exceptions; device interrupts are routed by the
 * IO APIC to the vectors below. A handler runs with interrupts off; for
 * device vectors the dispatcher sends the end-of-interrupt afterwards.
 */
#ifndef CUBOS_TRAP_H
#define CUBOS_TRAP_H

#include <stdbool.h>
#include <stdint.h>

#define VEC_EXCEPTIONS 32       /* vectors below are CPU exceptions */
#define VEC_TIMER 32            /* local APIC timer */
#define VEC_KEYBOARD 33         /* ISA IRQ 1 */
#define VEC_COM1 36             /* ISA IRQ 4 */
#define VEC_NET 48              /* the e1000 network card (ch07) */
#define VEC_VIRTIO_NET 49       /* the virtio network card's receive queue, by MSI-X */
#define VEC_RESCHED 0xF0        /* IPI: a thread is ready, look at the run queue */
#define VEC_BENCH_IPI 0xF1      /* IPI: `make bench`'s round trip between two CPUs */
#define VEC_BENCH 0x80          /* a software interrupt for `make bench` */
#define VEC_SPURIOUS 0xFF       /* local APIC spurious interrupts: no EOI */
#define NVECTORS 256

/* The registers of the interrupted code, as trap/vectors.S pushes them. */
struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector;
    uint64_t error_code;        /* 0 for vectors without one */
    /* pushed by the CPU (SDM vol 3A, figure 6-9) */
    uint64_t rip, cs, rflags, rsp, ss;
};

typedef void (*trap_handler)(struct trap_frame *tf);

/* Load the GDT with its TSS (IST stacks) and the IDT, and prepare the CPU
 * for user mode (user_cpu.h). Interrupts stay off. */
void trap_init(void);

/* The same on a CPU starting up: its own GDT and TSS, the shared IDT. */
void trap_init_ap(void);

/* Call h for vector; replaces any handler there. */
void trap_set_handler(uint8_t vector, trap_handler h);

/* True while a device interrupt's handler runs (an exception then belongs
 * to the handler, not to the interrupted code). */
bool trap_in_interrupt(void);

/* Called from trap/vectors.S for every interrupt and exception. */
void trap_dispatch(struct trap_frame *tf);

#endif
