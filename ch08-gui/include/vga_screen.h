/*
 * vga_screen.h: what a text screen shows and where its cursor is, and the
 * small VT100 subset that changes them: the VGA console minus its ports.
 *
 * Pure logic on an array of character cells, so the host unit tests point
 * it at an ordinary array; drivers/vga.c points it at the VGA text buffer
 * and copies the cursor to the display controller.
 */
#ifndef CUBOS_VGA_SCREEN_H
#define CUBOS_VGA_SCREEN_H

#include <stdbool.h>
#include <stdint.h>

/* A cell is the character (code page 437) in the low byte and its colours
 * in the high byte (OSDev wiki "Text UI"). 0x07: light grey on black. */
#define VGA_ATTR_NORMAL 0x07
#define VGA_CELL(ch, attr) ((uint16_t)((uint8_t)(ch) | (attr) << 8))

/* The CRTC's cursor location register is 16 bits wide, counted in cells. */
#define VGA_MAX_CELLS 0x10000

/* Bytes, ESC included, after which an unfinished escape sequence is
 * dropped and the bytes that follow show as text again. */
#define VGA_ESC_MAX 16
#define VGA_ESC_PARAMS 2            /* numbers honoured in one sequence (ESC [ row ; col H) */

enum vga_esc_state {
    VGA_ESC_NONE,                   /* plain text */
    VGA_ESC_START,                  /* after ESC */
    VGA_ESC_CSI,                    /* after ESC [, reading parameters */
};

struct vga_screen {
    uint16_t *cells;                /* row r, column c is cells[r * stride + c] */
    unsigned columns, rows;
    unsigned stride;                /* cells from the start of one row to the next */
    unsigned row, col;              /* the cursor */
    bool wrap_pending;              /* the last column was written: wrap before the next */
    enum vga_esc_state esc;
    unsigned esc_len;               /* bytes of the current sequence, ESC included */
    unsigned nparams;               /* parameters started so far; ';' starts another */
    unsigned params[VGA_ESC_PARAMS];
    bool esc_ignored;               /* a form not handled here: swallow it whole */
};

/* Use cells (rows rows of stride cells, the first columns of each shown) as
 * the screen: clear it, cursor top left. Returns false, leaving s unusable,
 * if there is no cell, a row is wider than the stride, or the cells exceed
 * VGA_MAX_CELLS. */
bool vga_screen_init(struct vga_screen *s, uint16_t *cells, unsigned columns,
                     unsigned rows, unsigned stride);

/* Interpret one byte as vga_putc (vga.h) describes. */
void vga_screen_putc(struct vga_screen *s, char c);

/* The cursor as the CRTC counts it: cells from the start of the buffer. */
unsigned vga_screen_cursor(const struct vga_screen *s);

#endif
