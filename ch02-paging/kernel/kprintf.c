/*
 * kprintf.c: printf for the kernel, writing to the console.
 *
 * The formatting is lib/format.c; this file only connects it to the output
 * device. In ch01 the console is the serial port.
 */
#include <stdarg.h>

#include "format.h"
#include "kprintf.h"
#include "serial.h"

static void console_sink(char c, void *ctx)
{
    (void)ctx;
    serial_putc(c);
}

int kvprintf(const char *fmt, va_list args)
{
    return format(console_sink, NULL, fmt, args);
}

int kprintf(const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    int n = kvprintf(fmt, args);
    va_end(args);
    return n;
}
