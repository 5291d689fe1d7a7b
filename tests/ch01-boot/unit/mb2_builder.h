/*
 * mb2_builder.h: build multiboot2 boot information by hand, tag by tag, in
 * a heap block of exactly its size (so AddressSanitizer catches a parser
 * that reads past the end), and check that the parser refuses a broken one.
 * Shared by the boot-information tests of every chapter, which get the
 * parser's kprintf from here: it prints, counts and keeps the last line.
 */
#ifndef CUBOS_TEST_MB2_BUILDER_H
#define CUBOS_TEST_MB2_BUILDER_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "kprintf.h"
#include "multiboot2.h"

static int kprintf_calls;
static char kprintf_last[256];

int kprintf(const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vsnprintf(kprintf_last, sizeof(kprintf_last), fmt, args);
    va_end(args);
    kprintf_calls++;
    return printf("%s", kprintf_last);
}

/* A boot information under construction, in a buffer sized exactly to its content. */
struct builder {
    uint8_t data[4096];
    size_t len;
};

static inline void put_u32(struct builder *b, uint32_t v)
{
    memcpy(b->data + b->len, &v, 4);
    b->len += 4;
}

static inline void put_bytes(struct builder *b, const void *p, size_t n)
{
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static inline void align8(struct builder *b)
{
    while (b->len % 8)
        b->data[b->len++] = 0;
}

static inline void start(struct builder *b)
{
    b->len = 0;
    put_u32(b, 0);          /* total size, patched by finish() */
    put_u32(b, 0);
}

static inline void string_tag(struct builder *b, uint32_t type, const char *s)
{
    put_u32(b, type);
    put_u32(b, 8 + (uint32_t)strlen(s) + 1);
    put_bytes(b, s, strlen(s) + 1);
    align8(b);
}

static inline void mmap_tag(struct builder *b, const struct mb2_mmap_entry *e, size_t n)
{
    put_u32(b, MB2_TAG_MMAP);
    put_u32(b, 16 + (uint32_t)(n * sizeof(*e)));
    put_u32(b, sizeof(*e));
    put_u32(b, 0);
    put_bytes(b, e, n * sizeof(*e));
    align8(b);
}

static inline void end_tag(struct builder *b)
{
    put_u32(b, MB2_TAG_END);
    put_u32(b, 8);
}

/* Copy to a heap block of exactly the final size, so ASan sees any overrun. */
static inline uint8_t *finish(struct builder *b)
{
    uint32_t total = (uint32_t)b->len;
    memcpy(b->data, &total, 4);
    uint8_t *copy = aligned_alloc(8, (b->len + 7) & ~7ul);
    memcpy(copy, b->data, b->len);
    return copy;
}

/* Parse, expect refusal, and print the reason so the log shows it. */
static inline void expect_refused(uint8_t *info, const char *what)
{
    struct boot_info bi;
    const char *why = NULL;
    int rc = mb2_parse(info, &bi, &why);
    CHECK(rc == -1);
    CHECK(why != NULL);
    if (rc == -1 && why)
        printf("refused %s: %s\n", what, why);
    free(info);
}

#endif
