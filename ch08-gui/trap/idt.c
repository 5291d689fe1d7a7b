/*
 * idt.c: the interrupt descriptor table and the dispatcher.
 *
 * Every gate is an interrupt gate (interrupts off on entry, SDM vol 3A,
 * 6.12.1.3) pointing at its stub in trap/vectors.S. trap_dispatch then calls
 * the registered handler: the exception reporter for vectors 0-31 unless
 * something else asked for one, a driver's handler for device vectors.
 * After a device interrupt the scheduler may switch threads.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu.h"
#include "exception.h"
#include "gdt.h"
#include "kprintf.h"
#include "lapic.h"
#include "signal.h"
#include "thread.h"
#include "trap.h"
#include "uaccess.h"
#include "user_cpu.h"
#include "x86.h"

#define STUB_SIZE 16            /* as in trap/vectors.S */
#define GATE_INTERRUPT 0x8E     /* present, ring 0, type 0xE: 64-bit interrupt gate */

/* A 16-byte gate descriptor (SDM vol 3A, figure 6-8). */
struct idt_gate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;
    uint8_t type;
    uint16_t offset_mid;
    uint32_t offset_high;
    uint32_t reserved;
} __attribute__((packed));

struct idt_pointer {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

extern char trap_stubs[];

static struct idt_gate idt[NVECTORS];
static trap_handler handlers[NVECTORS];

static void set_gate(int vector, uint64_t entry, uint8_t ist)
{
    idt[vector] = (struct idt_gate){
        .offset_low = entry & 0xFFFF,
        .selector = GDT_KERNEL_CODE,
        .ist = ist,
        .type = GATE_INTERRUPT,
        .offset_mid = (entry >> 16) & 0xFFFF,
        .offset_high = entry >> 32,
    };
}

static void load_idt(void)
{
    struct idt_pointer p = { sizeof(idt) - 1, (uint64_t)idt };
    __asm__ volatile("lidt %0" : : "m"(p));
}

void trap_init(void)
{
    gdt_init(this_cpu()->id);
    for (int v = 0; v < NVECTORS; v++)
        set_gate(v, (uint64_t)(trap_stubs + STUB_SIZE * v), 0);
    set_gate(EXC_DOUBLE_FAULT, (uint64_t)(trap_stubs + STUB_SIZE * EXC_DOUBLE_FAULT), IST_DOUBLE_FAULT);
    set_gate(EXC_NMI, (uint64_t)(trap_stubs + STUB_SIZE * EXC_NMI), IST_NMI);
    handlers[EXC_NMI] = nmi_handle;
    load_idt();
    user_cpu_init();
}

void trap_init_ap(void)
{
    gdt_init(this_cpu()->id);
    load_idt();
    user_cpu_init();
}

void trap_set_handler(uint8_t vector, trap_handler h)
{
    handlers[vector] = h;
}

bool trap_in_interrupt(void)
{
    return this_cpu()->interrupt_depth > 0;
}

void trap_dispatch(struct trap_frame *tf)
{
    trap_handler h = handlers[tf->vector];
    bool device = tf->vector >= VEC_EXCEPTIONS;
    if (device)
        this_cpu()->interrupt_depth++;
    if (h != NULL)
        h(tf);
    else if (tf->vector < VEC_EXCEPTIONS) {
        if (!user_fault_handle(tf)) {
            exception_report(tf);
            fault_handle(tf);
        }
    }
    else if (tf->vector != VEC_SPURIOUS)
        kprintf("trap: unexpected interrupt on vector %llu\n", (unsigned long long)tf->vector);
    if (device)
        this_cpu()->interrupt_depth--;

    /* A device interrupt stays "in service" at the local APIC until EOI;
     * spurious interrupts are never in service (SDM vol 3A, 11.9). */
    if (tf->vector >= VEC_EXCEPTIONS && tf->vector != VEC_SPURIOUS && tf->vector != VEC_BENCH) {
        lapic_eoi();
        /* The end of the slice, or a wakeup, may ask for another thread:
         * switch now, and this thread goes on from here when its turn comes. */
        sched_preempt();
        sched_kill_point(tf);
    }
    /* Back to user mode: signals are taken there (ch06 part 2); not from
     * the exceptions with stacks of their own (IST), where nothing may
     * sleep or turn interrupts on. */
    if ((tf->cs & SELECTOR_RPL3) && tf->vector != EXC_NMI && tf->vector != EXC_DOUBLE_FAULT &&
        tf->vector != EXC_MACHINE_CHECK)
        signal_return_to_user(tf, -1);
}
