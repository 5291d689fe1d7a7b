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

/* The first space-separated word of cmdline that is word (whole) or starts
 * with it (not whole), or NULL; its length in *len. */
static const char *find_word(const char *cmdline, const char *word, bool whole, size_t *len)
{
    size_t n = strlen(word);
    if (cmdline == NULL || n == 0)
        return NULL;
    const char *p = cmdline;
    while (*p) {
        while (*p == ' ')
            p++;
        const char *start = p;
        while (*p && *p != ' ')
            p++;
        *len = (size_t)(p - start);
        if ((whole ? *len == n : *len >= n) && strncmp(start, word, n) == 0)
            return start;
    }
    return NULL;
}

bool cmdline_has(const char *cmdline, const char *option)
{
    size_t len;
    return find_word(cmdline, option, true, &len) != NULL;
}

int cmdline_value(const char *cmdline, const char *key, char *buf, size_t size)
{
    if (size > 0)
        buf[0] = '\0';
    size_t len;
    const char *word = find_word(cmdline, key, false, &len);
    if (word == NULL)
        return 0;
    size_t vlen = len - strlen(key);
    if (vlen == 0 || vlen >= size)
        return -1;
    memcpy(buf, word + strlen(key), vlen);
    buf[vlen] = '\0';
    return 1;
}
