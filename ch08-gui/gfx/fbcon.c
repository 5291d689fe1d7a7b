/*
 * fbcon.c: the console on the framebuffer (fbcon.h).
 *
 * What the screen says is kept exactly as on the VGA text screen: a grid
 * of character cells (lib/vga_screen.c), here in ordinary memory, 128 by
 * 48 at 1024x768 with an 8x16 font. A second grid remembers what each
 * cell showed when it was last drawn; after a write, the cells that
 * differ are drawn again, glyph by glyph, and nothing else: a new
 * character costs one glyph, a scroll redraws the screen. The cursor is
 * drawn as a bar under its cell.
 *
 * The font is the kernel's own (font_data.S), one of Debian's console
 * fonts. A cell holds a byte: ASCII shows as itself, other bytes through
 * the font's Unicode table as Latin-1 (the console's UTF-8 is for the
 * terminal window to come).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fb.h"
#include "fbcon.h"
#include "font.h"
#include "heap.h"
#include "kprintf.h"
#include "string.h"
#include "vga_screen.h"

#define CURSOR_ROWS 2               /* the cursor bar: the glyph's last two pixel rows */

/* The VGA's sixteen colours (attribute nibbles), as 0xRRGGBB. */
static const uint32_t palette[16] = {
    0x000000, 0x0000AA, 0x00AA00, 0x00AAAA, 0xAA0000, 0xAA00AA, 0xAA5500, 0xAAAAAA,
    0x555555, 0x5555FF, 0x55FF55, 0x55FFFF, 0xFF5555, 0xFF55FF, 0xFFFF55, 0xFFFFFF,
};

extern const uint8_t font_psf[], font_psf_end[];   /* font_data.S */

static struct font font;
static struct framebuffer *fb;
static struct vga_screen screen;
static uint16_t *cells, *drawn;     /* what the screen says, and what it shows */
static unsigned columns, rows;
static unsigned cursor_shown;       /* the cell the cursor bar is under */
static uint32_t colors[16];         /* the palette as pixels */
static bool present;

/* Draw cell i as it is in cells, with the cursor bar if it is there. */
static void draw_cell(unsigned i, bool cursor)
{
    /* LAB(fbcon-cell): draw cell i (column i % columns, row i / columns)
     * as font.width x font.height pixels: each set bit of a glyph row
     * (font_row, leftmost pixel in the top bit) in the cell's foreground
     * colour (attribute bits 8-11), each clear one in its background
     * (bits 12-15); the cursor bar over the last CURSOR_ROWS rows; then
     * remember the cell in drawn[i]. */
    /* LAB-STUB: (void)i; (void)cursor; */
    uint16_t cell = cells[i];
    uint32_t fg = colors[(cell >> 8) & 0xF], bg = colors[(cell >> 12) & 0xF];
    uint32_t glyph = font_glyph(&font, cell & 0xFF);
    uint32_t x0 = (i % columns) * font.width, y0 = (i / columns) * font.height;
    for (uint32_t y = 0; y < font.height; y++) {
        uint32_t bits = font_row(&font, glyph, y);
        if (cursor && y >= font.height - CURSOR_ROWS)
            bits = ~0u;
        volatile uint32_t *p = (volatile uint32_t *)(fb->base + (size_t)(y0 + y) * fb->pitch) + x0;
        for (uint32_t x = 0; x < font.width; x++)
            p[x] = bits >> (font.width - 1 - x) & 1 ? fg : bg;
    }
    drawn[i] = cell;
    /* END LAB(fbcon-cell) */
}

bool fbcon_init(struct framebuffer *f)
{
    const char *why;
    if (font_load(&font, font_psf, (size_t)(font_psf_end - font_psf), &why) != 0) {
        kprintf("fbcon: the built-in font: %s\n", why);
        return false;
    }
    columns = f->width / font.width;
    rows = f->height / font.height;
    if (columns == 0 || rows == 0 || (size_t)columns * rows > VGA_MAX_CELLS) {
        kprintf("fbcon: %ux%u pixels make no grid of %ux%u characters\n", f->width, f->height,
                font.width, font.height);
        return false;
    }
    cells = kmalloc((size_t)columns * rows * sizeof(uint16_t));
    drawn = kmalloc((size_t)columns * rows * sizeof(uint16_t));
    if (cells == NULL || drawn == NULL || !vga_screen_init(&screen, cells, columns, rows, columns)) {
        kfree(cells);
        kfree(drawn);
        kprintf("fbcon: no memory for %u cells\n", columns * rows);
        return false;
    }
    fb = f;
    for (unsigned c = 0; c < 16; c++)
        colors[c] = fb_color(fb, palette[c]);
    fb_fill(fb, 0, 0, fb->width, fb->height, colors[0]);
    for (unsigned i = 0; i < columns * rows; i++)
        drawn[i] = VGA_CELL(' ', VGA_ATTR_NORMAL);      /* what the black screen shows */
    cursor_shown = 0;
    draw_cell(0, true);
    present = true;
    kprintf("console: on the framebuffer too, %ux%u characters (font %ux%u, %u glyphs)\n", columns,
            rows, font.width, font.height, font.count);
    return true;
}

bool fbcon_present(void)
{
    return present;
}

void fbcon_write(const char *s, size_t n)
{
    if (!present)
        return;
    for (size_t i = 0; i < n; i++)
        vga_screen_putc(&screen, s[i]);
    unsigned cursor = vga_screen_cursor(&screen), total = columns * rows;
    for (unsigned row = 0; row < rows; row++) {
        const uint16_t *now = cells + row * columns;
        if (memcmp(now, drawn + row * columns, columns * sizeof(uint16_t)) == 0)
            continue;
        for (unsigned i = row * columns; i < (row + 1) * columns; i++)
            if (cells[i] != drawn[i])
                draw_cell(i, i == cursor);
    }
    if (cursor != cursor_shown) {
        if (cursor_shown < total)
            draw_cell(cursor_shown, false);
        if (cursor < total)
            draw_cell(cursor, true);
        cursor_shown = cursor;
    }
}
