/*
 * cmdline.c: options on the kernel command line.
 *
 * The command line is free text from the boot loader ("exit=qemu verbose");
 * an option matches only as a whole word, so "exit=qemu" is not found in
 * "noexit=qemu".
 */
#include <stdbool.h>
#include <stddef.h>

#include "cmdline.h"
#include "string.h"

bool cmdline_has(const char *cmdline, const char *option)
{
    size_t len = strlen(option);
    if (cmdline == NULL || len == 0)
        return false;

    const char *p = cmdline;
    while (*p) {
        while (*p == ' ')
            p++;
        const char *word = p;
        while (*p && *p != ' ')
            p++;
        if ((size_t)(p - word) == len && strncmp(word, option, len) == 0)
            return true;
    }
    return false;
}
