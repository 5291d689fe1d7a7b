/*
 * format.h: printf-style formatting without any output device.
 *
 * Supported: %c %s %d %i %u %x %X %p %%, the length modifiers l, ll and z,
 * a field width (digits or *), and the flags '-' (left-justify) and '0'
 * (pad with zeros). Anything else is copied to the output as written, so a
 * mistake shows up on the console instead of crashing the kernel.
 */
#ifndef CUBOS_FORMAT_H
#define CUBOS_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

/* Receives the formatted text one character at a time. */
typedef void (*format_sink)(char c, void *ctx);

/* Format into sink; returns the number of characters produced. */
int format(format_sink sink, void *ctx, const char *fmt, va_list args);

/*
 * Like C's vsnprintf/snprintf: write at most size - 1 characters and a NUL
 * (nothing if size is 0); return the length the whole text would have had.
 */
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list args);
int ksnprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
