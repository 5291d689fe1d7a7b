/*
 * nmi.c: the non-maskable interrupt (vector 2).
 *
 * An NMI arrives whatever the interrupt flag says: a watchdog, a hardware
 * error line, or a person pressing the NMI button (QEMU's monitor command
 * `nmi`). It says nothing about the code it interrupted, so that code is
 * neither blamed nor stopped: the kernel reports the NMI, with the
 * reasons the PC's system control port B gives, and goes on. The handler
 * runs on its own IST stack (gdt.c), so an NMI that lands in the middle of
 * a stack switch or on a nearly full stack is still safe.
 */
#include <stdint.h>

#include "exception.h"
#include "kprintf.h"
#include "smp.h"
#include "trap.h"
#include "x86.h"

/* System control port B (the PC/AT's port 0x61): bits 7 and 6 latch the
 * two legacy NMI sources. */
#define SYSTEM_CONTROL_B 0x61
#define NMI_SERR (1 << 7)       /* a memory parity or system error (SERR#) */
#define NMI_IOCHK (1 << 6)      /* an I/O channel check from an expansion card */

void nmi_handle(struct trap_frame *tf)
{
    if (smp_handle_nmi())
        return;                 /* another CPU's request, not a hardware NMI */
    uint8_t reason = inb(SYSTEM_CONTROL_B);
    kprintf("\nNMI at rip 0x%llx: %s; the kernel goes on\n", (unsigned long long)tf->rip,
            reason & NMI_SERR ? "a memory or system error (SERR)" :
            reason & NMI_IOCHK ? "an I/O channel check (IOCHK)" :
            "no hardware error latched (a watchdog, or the NMI button)");
}
