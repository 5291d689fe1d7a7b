/*
 * kprintf.c: printf for the kernel, writing to the console.
 *
 * The formatting is lib/format.c; this file only connects it to the output
 * device: the console (kernel/console.c), which is the serial port and,
 * when there is one, the VGA text screen; or, for a thread working for a
 * remote shell session (ch07), that session's connection (session.h).
 */
#include <stdarg.h>

#include "console.h"
#include "format.h"
#include "kprintf.h"
#include "session.h"

static void console_sink(char c, void *ctx)
{
    (void)ctx;
    console_putc(c);
}

int kvprintf(const char *fmt, va_list args)
{
    struct session *s = session_current();
    if (s)
        return session_vprintf(s, fmt, args);
    bool locked = console_lock();
    int n = format(console_sink, NULL, fmt, args);
    console_unlock(locked);
    return n;
}

int kprintf(const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    int n = kvprintf(fmt, args);
    va_end(args);
    return n;
}
