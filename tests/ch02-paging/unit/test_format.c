/*
 * test_format.c: ch01's printf engine (lib/format.c) against the host C
 * library's snprintf, over every flag, width, length and conversion the
 * kernel supports, with edge values and a seeded random sweep.
 * Built with -fsanitize=address,undefined by tests/ch01-boot/test_unit.py.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"

static int checks, failures;

/* Format fmt with both implementations (and a small buffer too) and compare. */
static void compare(const char *fmt, ...)
{
    char want[256], got[256], want_small[8], got_small[8];
    va_list a, b, c, d;
    va_start(a, fmt);
    va_copy(b, a);
    va_copy(c, a);
    va_copy(d, a);
    int want_n = vsnprintf(want, sizeof(want), fmt, a);
    int got_n = kvsnprintf(got, sizeof(got), fmt, b);
    vsnprintf(want_small, sizeof(want_small), fmt, c);
    kvsnprintf(got_small, sizeof(got_small), fmt, d);
    va_end(a);
    va_end(b);
    va_end(c);
    va_end(d);

    checks++;
    if (want_n != got_n || strcmp(want, got) != 0 || strcmp(want_small, got_small) != 0) {
        failures++;
        if (failures <= 20)
            fprintf(stderr, "FAIL %-12s libc=[%s] (%d) kernel=[%s] (%d) small libc=[%s] kernel=[%s]\n",
                    fmt, want, want_n, got, got_n, want_small, got_small);
    }
}

static const char *flag_sets[] = { "", "-", "0", "-0" };
static const char *widths[] = { "", "1", "5", "20", "25" };

static const long long signed_values[] = {
    0, 1, -1, 9, 10, -10, 127, -128, 32767, INT_MAX, INT_MIN,
    LONG_MAX, LONG_MIN, LLONG_MAX, LLONG_MIN, 123456789012345LL,
};
static const unsigned long long unsigned_values[] = {
    0, 1, 9, 10, 15, 16, 255, 0xdeadbeef, UINT_MAX,
    ULONG_MAX, ULLONG_MAX, 0x8000000000000000ULL, 1234567890123ULL,
};

/* One number under every flag/width combination, cast to the type length demands. */
static void sweep_number(const char *length, char conv, unsigned long long bits)
{
    for (size_t f = 0; f < sizeof(flag_sets) / sizeof(*flag_sets); f++) {
        for (size_t w = 0; w < sizeof(widths) / sizeof(*widths); w++) {
            char fmt[32];
            snprintf(fmt, sizeof(fmt), "%%%s%s%s%c", flag_sets[f], widths[w], length, conv);
            int is_signed = conv == 'd' || conv == 'i';
            if (strcmp(length, "") == 0)
                is_signed ? compare(fmt, (int)bits) : compare(fmt, (unsigned)bits);
            else if (strcmp(length, "l") == 0)
                is_signed ? compare(fmt, (long)bits) : compare(fmt, (unsigned long)bits);
            else if (strcmp(length, "ll") == 0)
                is_signed ? compare(fmt, (long long)bits) : compare(fmt, (unsigned long long)bits);
            else
                is_signed ? compare(fmt, (ptrdiff_t)bits) : compare(fmt, (size_t)bits);
        }
    }
}

static void sweep_all_numbers(unsigned long long bits)
{
    static const char *lengths[] = { "", "l", "ll", "z" };
    static const char convs[] = "diuxX";
    for (size_t l = 0; l < 4; l++)
        for (size_t c = 0; c < sizeof(convs) - 1; c++)
            sweep_number(lengths[l], convs[c], bits);
}

static void test_strings_chars_and_misc(void)
{
    const char *strings[] = { "", "a", "hello", "long mode is on", "0123456789abcdefghij" };
    for (size_t s = 0; s < 5; s++) {
        for (size_t f = 0; f < 2; f++) {        /* '0' with %s is undefined in C */
            for (size_t w = 0; w < 5; w++) {
                char fmt[32];
                snprintf(fmt, sizeof(fmt), "[%%%s%ss]", flag_sets[f], widths[w]);
                compare(fmt, strings[s]);
                snprintf(fmt, sizeof(fmt), "<%%%s%sc>", flag_sets[f], widths[w]);
                compare(fmt, strings[s][0] ? strings[s][0] : 'Z');
            }
        }
    }
    compare("%s", (char *)NULL);                /* glibc prints (null), so do we */
    compare("100%% sure, %d%%", 42);
    compare("no directives at all");
    compare("");
    compare("%*d|%-*d|%*d", 6, 42, 6, 42, -6, 42);   /* negative * width left-justifies */
    compare("%p", (void *)0x1000);
    compare("%p", (void *)&checks);
    compare("%20p|%-20p|", (void *)0xffff800000000000ULL, (void *)0xb8000);
    compare("%c%c%c", 'a', 'b', 'c');
    compare("%s=%d, %s=%x", "x", -5, "y", 255u);
}

/* Behaviour of our own, where C leaves the result undefined. */
static void test_kernel_specific(void)
{
    char buf[64];
    struct { const char *fmt; const char *want; } cases[] = {
        { "%q", "%q" },           /* unknown conversion shows as written */
        { "%5q!", "%5q!" },
        { "end%", "end%" },       /* a trailing % is kept */
        { "%lk", "%lk" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        checks++;
        int n = ksnprintf(buf, sizeof(buf), cases[i].fmt, 0);
        if (strcmp(buf, cases[i].want) != 0 || n != (int)strlen(cases[i].want)) {
            failures++;
            fprintf(stderr, "FAIL %s: got [%s] (%d), want [%s]\n", cases[i].fmt, buf, n, cases[i].want);
        }
    }
    /* size 0: nothing written, full length returned */
    buf[0] = 'X';
    checks++;
    if (ksnprintf(buf, 0, "hello %d", 12345) != 11 || buf[0] != 'X') {
        failures++;
        fprintf(stderr, "FAIL size 0 wrote or miscounted\n");
    }
    /* size 1: only the NUL */
    checks++;
    if (ksnprintf(buf, 1, "hello") != 5 || buf[0] != '\0') {
        failures++;
        fprintf(stderr, "FAIL size 1\n");
    }
}

int main(void)
{
    for (size_t i = 0; i < sizeof(signed_values) / sizeof(*signed_values); i++)
        sweep_all_numbers((unsigned long long)signed_values[i]);
    for (size_t i = 0; i < sizeof(unsigned_values) / sizeof(*unsigned_values); i++)
        sweep_all_numbers(unsigned_values[i]);

    srand(20261121);
    for (int i = 0; i < 300; i++) {
        unsigned long long bits = ((unsigned long long)rand() << 42) ^ ((unsigned long long)rand() << 21) ^ rand();
        bits >>= rand() % 64;
        sweep_all_numbers(bits);
    }
    test_strings_chars_and_misc();
    test_kernel_specific();

    printf("format: %d checks, %d failures\n", checks, failures);
    return failures != 0;
}
