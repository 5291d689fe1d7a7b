/* cmdline.h: reading options from the kernel command line GRUB passes. */
#ifndef CUBOS_CMDLINE_H
#define CUBOS_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

/* True if option appears in cmdline as a whole space-separated word. */
bool cmdline_has(const char *cmdline, const char *option);

/* The value of option key=VALUE (key given with its '=', as "dns="): the
 * first such word's VALUE copied into buf, of size bytes. 1 if found, 0
 * if not, -1 if VALUE is empty or does not fit (buf is then empty). */
int cmdline_value(const char *cmdline, const char *key, char *buf, size_t size);

#endif
