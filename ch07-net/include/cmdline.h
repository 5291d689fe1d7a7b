/* cmdline.h: reading options from the kernel command line GRUB passes. */
#ifndef CUBOS_CMDLINE_H
#define CUBOS_CMDLINE_H

#include <stdbool.h>

/* True if option appears in cmdline as a whole space-separated word. */
bool cmdline_has(const char *cmdline, const char *option);

#endif
