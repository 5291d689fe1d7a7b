/*
 * qemu_exit.c: the isa-debug-exit device, the kernel's way to end a test run.
 *
 * Port 0xF4 means nothing on a real PC, and writing to an unknown port is
 * never a good idea there, so the port is used only when the kernel command
 * line contains "exit=qemu" (see kmain).
 */
#include <stdbool.h>

#include "qemu_exit.h"
#include "x86.h"

#define ISA_DEBUG_EXIT_PORT 0xF4

static bool enabled;

void qemu_exit_enable(void)
{
    enabled = true;
}

bool qemu_exit_enabled(void)
{
    return enabled;
}

void qemu_exit(int code)
{
    if (enabled)
        outl(ISA_DEBUG_EXIT_PORT, (uint32_t)code);
}
