/*
 * panic.c: the two ways the kernel stops.
 *
 * Under the grader (command line "exit=qemu") stopping means leaving QEMU
 * with a pass or fail status. Otherwise (a PC, `make run`) a panic halts
 * the CPU with interrupts off, which leaves the message on the screen, and
 * the normal end powers the machine off through ACPI, which also ends QEMU;
 * where that is not possible it halts the CPU too.
 */
#include <stdarg.h>

#include "acpi.h"
#include "cpu.h"
#include "kprintf.h"
#include "panic.h"
#include "qemu_exit.h"
#include "smp.h"
#include "x86.h"

void panic_at(const char *file, int line, const char *fmt, ...)
{
    va_list args;
    smp_stop_others();
    kprintf("\nPANIC at %s:%d: ", file, line);
    va_start(args, fmt);
    kvprintf(fmt, args);
    va_end(args);
    kprintf("\n");
    if (cpu_count > 1)
        kprintf("panic: on CPU %u; the other CPUs are stopped\n", this_cpu()->id);
    qemu_exit(QEMU_EXIT_FAIL);
    cpu_halt_forever();
}

void kernel_finish(void)
{
    if (qemu_exit_enabled()) {
        kprintf("cubos: done, leaving QEMU\n");
        qemu_exit(QEMU_EXIT_PASS);
    }
    kprintf("cubos: done, powering off\n");
    const char *why = acpi_power_off();
    kprintf("cubos: cannot power off (%s); halting the CPU\n", why);
    cpu_halt_forever();
}
