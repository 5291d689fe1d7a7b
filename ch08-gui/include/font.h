/*
 * font.h: bitmap fonts in the PC Screen Font format, version 2 (PSF2),
 * and which glyph shows a Unicode character.
 *
 * The kernel's console font is one of Debian's console fonts, converted
 * from PSF1 at build time (tools/psf1to2.py) and linked into the kernel
 * (gfx/font_data.S). Pure logic on a byte array, so the host unit tests
 * load fonts too (tests/ch08-gui/unit/test_font.c).
 */
#ifndef CUBOS_FONT_H
#define CUBOS_FONT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FONT_MAX_WIDTH 32           /* pixels: a glyph row fits in a uint32_t */
#define FONT_MAX_HEIGHT 64
#define FONT_MAP_MAX 2048           /* code points above U+00FF the font may name */

struct font_map_entry {
    uint32_t codepoint;
    uint16_t glyph;
};

struct font {
    const uint8_t *glyphs;          /* count glyphs of bytes_per_glyph bytes */
    uint32_t count, bytes_per_glyph, width, height;
    uint32_t row_bytes;             /* bytes of one pixel row of a glyph */
    uint32_t fallback;              /* the glyph of a character the font lacks */
    uint16_t low[256];              /* U+0000..U+00FF: glyph + 1, 0 for none */
    size_t map_count;               /* the rest, sorted by code point */
    struct font_map_entry map[FONT_MAP_MAX];
};

/* Read the PSF2 font in data[0..size) (which must stay where it is: the
 * glyphs are not copied). 0, or -1 with *why saying what is malformed. A
 * font without a Unicode table maps U+0000..U+00FF to glyphs 0..255. */
int font_load(struct font *f, const void *data, size_t size, const char **why);

/* The glyph that shows codepoint: its own, or the font's fallback (the
 * glyph of U+FFFD, else of '?', else glyph 0). */
uint32_t font_glyph(const struct font *f, uint32_t codepoint);

/* Pixel row y of glyph: bit (width - 1 - x) of the result is pixel x (the
 * leftmost pixel is the row's most significant bit, as PSF stores it). */
uint32_t font_row(const struct font *f, uint32_t glyph, uint32_t y);

#endif
