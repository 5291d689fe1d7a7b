/*
 * test_font.c: PSF2 fonts (gfx/font.c).
 *
 * Builds fonts in memory: glyphs found through the Unicode table (ASCII,
 * Latin-1, a character past U+00FF, a multi-character sequence that must
 * not count), the fallback glyph (U+FFFD, else '?'), a font without a
 * table, rows of 8- and 12-pixel glyphs, and fonts that lie: a bad magic,
 * a short header, glyphs past the end, a glyph size that does not add up,
 * widths out of range, a table cut short, bytes that are not UTF-8 (an
 * overlong form), more characters than the map holds. Every font is a
 * heap block of exactly its size under -fsanitize=address, so a read past
 * it fails.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "font.h"

#include "check.h"

static struct font font;        /* static: the map is large */

struct builder {
    uint8_t bytes[1 << 16];
    size_t len;
};

static void put(struct builder *b, const void *p, size_t n)
{
    memcpy(b->bytes + b->len, p, n);
    b->len += n;
}

static void put_u32(struct builder *b, uint32_t v)
{
    uint8_t le[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    put(b, le, 4);
}

/* A PSF2 header for count glyphs of width x height, with a table if flags & 1. */
static void header(struct builder *b, uint32_t flags, uint32_t count, uint32_t width, uint32_t height)
{
    b->len = 0;
    put_u32(b, 0x864AB572);
    put_u32(b, 0);
    put_u32(b, 32);
    put_u32(b, flags);
    put_u32(b, count);
    put_u32(b, (width + 7) / 8 * height);
    put_u32(b, height);
    put_u32(b, width);
}

/* Load b's bytes from a heap block of exactly their size; the result of font_load. */
static int load(const struct builder *b, const char **why, uint8_t **block)
{
    *block = malloc(b->len ? b->len : 1);
    memcpy(*block, b->bytes, b->len);
    return font_load(&font, *block, b->len, why);
}

static void expect_refused(const struct builder *b, const char *what)
{
    const char *why = NULL;
    uint8_t *block;
    int r = load(b, &why, &block);
    if (r != -1 || why == NULL) {
        printf("FAIL: %s was accepted\n", what);
        failures++;
    }
    free(block);
}

/* Three 8x2 glyphs: 0 shows 'A' (and a sequence A + U+0301), 1 shows
 * U+00E9 and U+20AC, 2 shows U+FFFD. */
static void three_glyphs(struct builder *b)
{
    header(b, 1, 3, 8, 2);
    const uint8_t glyphs[] = { 0x81, 0x42, 0xF0, 0x0F, 0xFF, 0x00 };
    put(b, glyphs, sizeof(glyphs));
    const uint8_t table[] = { 'A', 0xFE, 'A', 0xCC, 0x81, 0xFF,
                              0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xFF,
                              0xEF, 0xBF, 0xBD, 0xFF };
    put(b, table, sizeof(table));
}

static void test_lookup(void)
{
    struct builder *b = calloc(1, sizeof(*b));
    three_glyphs(b);
    const char *why = NULL;
    uint8_t *block;
    CHECK(load(b, &why, &block) == 0);
    CHECK(font.count == 3 && font.width == 8 && font.height == 2);
    CHECK(font_glyph(&font, 'A') == 0);
    CHECK(font_glyph(&font, 0xE9) == 1);
    CHECK(font_glyph(&font, 0x20AC) == 1);
    CHECK(font_glyph(&font, 0xFFFD) == 2);
    CHECK(font_glyph(&font, 'Z') == 2);             /* missing: the replacement glyph */
    CHECK(font_glyph(&font, 0x301) == 2);           /* only in a sequence: not mapped */
    CHECK(font_glyph(&font, 0x10FFFF) == 2);
    CHECK(font_row(&font, 0, 0) == 0x81 && font_row(&font, 0, 1) == 0x42);
    CHECK(font_row(&font, 1, 1) == 0x0F);
    CHECK(font_row(&font, 3, 0) == 0 && font_row(&font, 0, 2) == 0);   /* out of range: blank */
    free(block);
    free(b);
}

static void test_question_mark_fallback_and_no_table(void)
{
    struct builder *b = calloc(1, sizeof(*b));
    header(b, 1, 2, 8, 1);
    const uint8_t glyphs[] = { 0x11, 0x22 };
    put(b, glyphs, sizeof(glyphs));
    const uint8_t table[] = { 'x', 0xFF, '?', 0xFF };
    put(b, table, sizeof(table));
    const char *why = NULL;
    uint8_t *block;
    CHECK(load(b, &why, &block) == 0);
    CHECK(font_glyph(&font, 'y') == 1);             /* no U+FFFD: '?' */
    free(block);

    header(b, 0, 300, 8, 1);                        /* no table: the first 256 glyphs are Latin-1 */
    for (int i = 0; i < 300; i++)
        put(b, &(uint8_t){ (uint8_t)i }, 1);
    CHECK(load(b, &why, &block) == 0);
    CHECK(font_glyph(&font, 'a') == 'a' && font_glyph(&font, 0xFF) == 0xFF);
    CHECK(font_glyph(&font, 0x100) == font_glyph(&font, '?'));
    free(block);
    free(b);
}

static void test_wide_glyph_rows(void)
{
    struct builder *b = calloc(1, sizeof(*b));
    header(b, 0, 1, 12, 1);
    const uint8_t row[] = { 0xAB, 0xC0 };           /* 1010 1011 1100 (0000 padding) */
    put(b, row, sizeof(row));
    const char *why = NULL;
    uint8_t *block;
    CHECK(load(b, &why, &block) == 0);
    CHECK(font.row_bytes == 2 && font_row(&font, 0, 0) == 0xABC);
    free(block);
    free(b);
}

static void test_lies_are_refused(void)
{
    struct builder *b = calloc(1, sizeof(*b));
    three_glyphs(b);
    b->bytes[0] ^= 1;
    expect_refused(b, "a bad magic");

    three_glyphs(b);
    b->len = 31;
    expect_refused(b, "a header cut short");

    three_glyphs(b);
    b->len = 32 + 5;                                /* the glyphs need 6 bytes */
    expect_refused(b, "glyphs past the end");

    three_glyphs(b);
    b->bytes[20] = 3;                               /* bytes per glyph 3, not 1 * 2 */
    expect_refused(b, "a glyph size that does not add up");

    header(b, 0, 1, 0, 1);
    put(b, "x", 1);
    expect_refused(b, "width 0");
    header(b, 0, 1, 33, 1);
    put(b, "12345", 5);
    expect_refused(b, "width 33");

    three_glyphs(b);
    b->len -= 1;                                    /* the last glyph's 0xFF gone */
    expect_refused(b, "a table cut short");

    header(b, 1, 1, 8, 1);
    put(b, "\x01", 1);
    put(b, "\xC0\x80\xFF", 3);                      /* an overlong NUL */
    expect_refused(b, "an overlong UTF-8 form");

    header(b, 1, 1, 8, 1);
    put(b, "\x01", 1);
    for (uint32_t cp = 0x4E00; cp < 0x4E00 + FONT_MAP_MAX + 1; cp++) {
        uint8_t u[3] = { (uint8_t)(0xE0 | cp >> 12), (uint8_t)(0x80 | (cp >> 6 & 0x3F)),
                         (uint8_t)(0x80 | (cp & 0x3F)) };
        put(b, u, 3);
    }
    put(b, "\xFF", 1);
    expect_refused(b, "more characters than the map holds");
    free(b);
}

int main(void)
{
    test_lookup();
    test_question_mark_fallback_and_no_table();
    test_wide_glyph_rows();
    test_lies_are_refused();
    printf("font: %d failures\n", failures);
    return failures != 0;
}
