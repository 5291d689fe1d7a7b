/* kprintf.h: formatted output on the kernel console (see format.h for the directives). */
#ifndef CUBOS_KPRINTF_H
#define CUBOS_KPRINTF_H

#include <stdarg.h>

int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int kvprintf(const char *fmt, va_list args);

#endif
