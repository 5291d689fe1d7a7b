/*
 * font.c: PSF2 fonts (font.h).
 *
 * A PSF2 file is a 32-byte header (magic 72 b5 4a 86, version 0, header
 * size, flags, glyph count, bytes per glyph, height, width, all 32-bit
 * little-endian), the glyphs (each row padded to whole bytes, the
 * leftmost pixel in the top bit), then, if flags bit 0 says so, the
 * Unicode table: for each glyph in order, the UTF-8 characters it shows,
 * then 0xFE and any multi-character sequences, then 0xFF. Sequences (a
 * letter with a combining accent) are skipped: one character, one glyph.
 * Everything is checked against the size, since the bytes may come from
 * a file: a font that lies about its sizes is refused, not read past.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "font.h"

#define PSF2_MAGIC 0x864AB572u
#define PSF2_HEADER_SIZE 32
#define PSF2_HAS_UNICODE_TABLE 0x01
#define PSF2_SEPARATOR 0xFF
#define PSF2_STARTSEQ 0xFE
#define NO_GLYPH 0
#define REPLACEMENT_CHARACTER 0xFFFD

static uint32_t load_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* One UTF-8 character from p (before end): its code point and length, or
 * length 0 if the bytes are not one. */
static unsigned utf8_decode(const uint8_t *p, const uint8_t *end, uint32_t *cp)
{
    unsigned len = p[0] < 0x80 ? 1 : p[0] >> 5 == 6 ? 2 : p[0] >> 4 == 14 ? 3 : p[0] >> 3 == 30 ? 4 : 0;
    if (len == 0 || (size_t)(end - p) < len)
        return 0;
    static const uint8_t first_mask[] = { 0, 0x7F, 0x1F, 0x0F, 0x07 };
    static const uint32_t smallest[] = { 0, 0, 0x80, 0x800, 0x10000 };
    uint32_t c = p[0] & first_mask[len];
    for (unsigned i = 1; i < len; i++) {
        if (p[i] >> 6 != 2)
            return 0;
        c = c << 6 | (p[i] & 0x3F);
    }
    if (c < smallest[len] || c > 0x10FFFF)
        return 0;                   /* an overlong form, or past Unicode */
    *cp = c;
    return len;
}

/* Remember that glyph shows cp (the first glyph named for it wins). */
static int map_add(struct font *f, uint32_t cp, uint32_t glyph, const char **why)
{
    if (cp < 256) {
        if (f->low[cp] == NO_GLYPH)
            f->low[cp] = (uint16_t)(glyph + 1);
        return 0;
    }
    if (f->map_count == FONT_MAP_MAX) {
        *why = "the Unicode table names too many characters";
        return -1;
    }
    /* Insertion keeps the map sorted; a font's table is mostly in order. */
    size_t i = f->map_count;
    while (i > 0 && f->map[i - 1].codepoint > cp)
        i--;
    if (i > 0 && f->map[i - 1].codepoint == cp)
        return 0;
    for (size_t j = f->map_count; j > i; j--)
        f->map[j] = f->map[j - 1];
    f->map[i] = (struct font_map_entry){ cp, (uint16_t)glyph };
    f->map_count++;
    return 0;
}

static int read_table(struct font *f, const uint8_t *p, const uint8_t *end, const char **why)
{
    for (uint32_t glyph = 0; glyph < f->count; glyph++) {
        bool sequences = false;
        for (;;) {
            if (p == end) {
                *why = "the Unicode table ends before its last glyph";
                return -1;
            }
            if (*p == PSF2_SEPARATOR) {
                p++;
                break;
            }
            if (*p == PSF2_STARTSEQ) {
                sequences = true;
                p++;
                continue;
            }
            uint32_t cp;
            unsigned len = utf8_decode(p, end, &cp);
            if (len == 0) {
                *why = "the Unicode table has a byte that is not UTF-8";
                return -1;
            }
            p += len;
            if (!sequences && map_add(f, cp, glyph, why) != 0)
                return -1;
        }
    }
    return 0;
}

int font_load(struct font *f, const void *data, size_t size, const char **why)
{
    const uint8_t *bytes = data;
    if (size < PSF2_HEADER_SIZE || load_u32(bytes) != PSF2_MAGIC) {
        *why = "not a PSF2 font (magic 72 b5 4a 86)";
        return -1;
    }
    uint32_t header = load_u32(bytes + 8), flags = load_u32(bytes + 12);
    f->count = load_u32(bytes + 16);
    f->bytes_per_glyph = load_u32(bytes + 20);
    f->height = load_u32(bytes + 24);
    f->width = load_u32(bytes + 28);
    if (f->width == 0 || f->width > FONT_MAX_WIDTH || f->height == 0 || f->height > FONT_MAX_HEIGHT) {
        *why = "glyphs of an unsupported size (1 to 32 pixels wide, 1 to 64 high)";
        return -1;
    }
    f->row_bytes = (f->width + 7) / 8;
    if (f->count == 0 || f->count > UINT16_MAX || f->bytes_per_glyph != f->row_bytes * f->height) {
        *why = "a glyph count or glyph size that does not add up";
        return -1;
    }
    uint64_t glyphs_end = (uint64_t)header + (uint64_t)f->count * f->bytes_per_glyph;
    if (header < PSF2_HEADER_SIZE || glyphs_end > size) {
        *why = "the glyphs run past the end of the font";
        return -1;
    }
    f->glyphs = bytes + header;
    f->map_count = 0;
    for (unsigned c = 0; c < 256; c++)
        f->low[c] = NO_GLYPH;
    if (flags & PSF2_HAS_UNICODE_TABLE) {
        if (read_table(f, bytes + glyphs_end, bytes + size, why) != 0)
            return -1;
    } else {
        for (unsigned c = 0; c < 256 && c < f->count; c++)
            f->low[c] = (uint16_t)(c + 1);
    }
    f->fallback = 0;
    uint32_t fallback = font_glyph(f, REPLACEMENT_CHARACTER);
    if (fallback == 0)
        fallback = font_glyph(f, '?');
    f->fallback = fallback;
    return 0;
}

uint32_t font_glyph(const struct font *f, uint32_t codepoint)
{
    /* LAB(font-glyph): below U+0100, f->low holds glyph + 1 (0: none);
     * above, binary-search the sorted f->map. A character the font does
     * not have shows as f->fallback. */
    /* LAB-STUB: (void)f; (void)codepoint; */
    /* LAB-STUB: return 0; */
    if (codepoint < 256)
        return f->low[codepoint] != NO_GLYPH ? f->low[codepoint] - 1u : f->fallback;
    size_t lo = 0, hi = f->map_count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (f->map[mid].codepoint < codepoint)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < f->map_count && f->map[lo].codepoint == codepoint ? f->map[lo].glyph : f->fallback;
    /* END LAB(font-glyph) */
}

uint32_t font_row(const struct font *f, uint32_t glyph, uint32_t y)
{
    if (glyph >= f->count || y >= f->height)
        return 0;
    const uint8_t *row = f->glyphs + (size_t)glyph * f->bytes_per_glyph + (size_t)y * f->row_bytes;
    uint32_t bits = 0;
    for (uint32_t i = 0; i < f->row_bytes; i++)
        bits = bits << 8 | row[i];
    return bits >> (f->row_bytes * 8 - f->width);
}
