/*
 * panic.c: the two ways the kernel stops.
 *
 * Under the grader (command line "exit=qemu") stopping means leaving QEMU
 * with a pass or fail status; on a PC or under `make run` it means halting
 * the CPU with interrupts off, which leaves the last message on the screen.
 */
#include <stdarg.h>

#include "kprintf.h"
#include "panic.h"
#include "qemu_exit.h"
#include "x86.h"

void panic_at(const char *file, int line, const char *fmt, ...)
{
    va_list args;
    kprintf("\nPANIC at %s:%d: ", file, line);
    va_start(args, fmt);
    kvprintf(fmt, args);
    va_end(args);
    kprintf("\n");
    qemu_exit(QEMU_EXIT_FAIL);
    cpu_halt_forever();
}

void kernel_finish(void)
{
    if (qemu_exit_enabled())
        kprintf("cubos: done, leaving QEMU\n");
    else
        kprintf("cubos: nothing left to do, halting the CPU\n");
    qemu_exit(QEMU_EXIT_PASS);
    cpu_halt_forever();
}
