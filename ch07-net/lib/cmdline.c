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

int cmdline_value(const char *cmdline, const char *key, char *buf, size_t size)
{
    size_t klen = strlen(key);
    if (size > 0)
        buf[0] = '\0';
    if (cmdline == NULL || klen == 0)
        return 0;
    const char *p = cmdline;
    while (*p) {
        while (*p == ' ')
            p++;
        const char *word = p;
        while (*p && *p != ' ')
            p++;
        if ((size_t)(p - word) < klen || strncmp(word, key, klen) != 0)
            continue;
        size_t vlen = (size_t)(p - word) - klen;
        if (vlen == 0 || vlen >= size)
            return -1;
        memcpy(buf, word + klen, vlen);
        buf[vlen] = '\0';
        return 1;
    }
    return 0;
}
