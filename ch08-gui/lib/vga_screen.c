/*
 * vga_screen.c: a character grid that behaves like a small VT100.
 *
 * The console sends the same bytes to the serial terminal and to this
 * screen, so the two must agree on where the cursor goes. Like a VT100
 * (and xterm), writing the last column does not move the cursor to the
 * next line at once: the wrap waits for the next printable character, so a
 * line of exactly `columns` characters followed by "\n" leaves no blank
 * line. Newline, carriage return, backspace, tab and the sequences handled
 * here cancel a pending wrap; swallowed sequences (colours, say) do not.
 *
 * Escape sequences have the form ESC [ parameters final-byte (ECMA-48
 * section 5.4): parameters are digits and ';', final bytes are 0x40-0x7E.
 * Forms not handled are swallowed whole. A byte that cannot belong to a
 * sequence (a control character, DEL, 0x80-0xFF) ends it and is handled as
 * usual, and a sequence longer than VGA_ESC_MAX is dropped, so a broken
 * sequence cannot hide the output after it.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "string.h"
#include "vga_screen.h"

#define ESC 0x1B
#define DEL 0x7F
#define ESC_FINAL_FIRST 0x30        /* ESC x for x in 0x30-0x7E is a whole sequence */
#define CSI_FINAL_FIRST 0x40        /* ESC [ ... x for x in 0x40-0x7E ends one */
#define TAB_WIDTH 8
#define PARAM_MAX 9999              /* larger numbers are clamped: no overflow */

#define BLANK VGA_CELL(' ', VGA_ATTR_NORMAL)

static uint16_t *row_cells(struct vga_screen *s, unsigned row)
{
    return s->cells + (size_t)row * s->stride;
}

/* Blank columns [from, s->columns) of row. */
static void blank_to_end(struct vga_screen *s, unsigned row, unsigned from)
{
    uint16_t *cells = row_cells(s, row);
    for (unsigned c = from; c < s->columns; c++)
        cells[c] = BLANK;
}

static void clear_screen(struct vga_screen *s)
{
    for (unsigned r = 0; r < s->rows; r++)
        blank_to_end(s, r, 0);
}

/* Move every row up one; the top row is lost, the bottom row blank. */
static void scroll_up(struct vga_screen *s)
{
    for (unsigned r = 1; r < s->rows; r++)
        memmove(row_cells(s, r - 1), row_cells(s, r), s->columns * sizeof(uint16_t));
    blank_to_end(s, s->rows - 1, 0);
}

/* Down one row, scrolling at the bottom. */
static void line_feed(struct vga_screen *s)
{
    if (s->row + 1 < s->rows)
        s->row++;
    else
        scroll_up(s);
}

static void put_glyph(struct vga_screen *s, uint8_t ch)
{
    if (s->wrap_pending) {
        s->col = 0;
        line_feed(s);
        s->wrap_pending = false;
    }
    row_cells(s, s->row)[s->col] = VGA_CELL(ch, VGA_ATTR_NORMAL);
    if (s->col + 1 < s->columns)
        s->col++;
    else
        s->wrap_pending = true;
}

static void start_sequence(struct vga_screen *s)
{
    s->esc = VGA_ESC_START;
    s->esc_len = 1;
    s->nparams = 0;
    s->esc_ignored = false;
    memset(s->params, 0, sizeof(s->params));
}

/* A byte outside any escape sequence. */
static void put_text(struct vga_screen *s, uint8_t ch)
{
    if (ch >= ' ' && ch != DEL) {
        put_glyph(s, ch);          /* 0x80-0xFF: their code page 437 glyphs */
        return;
    }
    switch (ch) {
    case '\n':
        s->col = 0;
        line_feed(s);
        break;
    case '\r':
        s->col = 0;
        break;
    case '\b':
        if (s->col > 0)
            s->col--;
        break;
    case '\t':
        s->col = (s->col / TAB_WIDTH + 1) * TAB_WIDTH;
        if (s->col >= s->columns)
            s->col = s->columns - 1;
        break;
    case ESC:
        start_sequence(s);
        return;
    default:
        return;                     /* other control characters show nothing */
    }
    s->wrap_pending = false;
}

/* Parameter i, or fallback if it was left out (or is 0, which VT100 reads as 1). */
static unsigned param_or(const struct vga_screen *s, unsigned i, unsigned fallback)
{
    return i < s->nparams && s->params[i] != 0 ? s->params[i] : fallback;
}

/* pos moved n towards 0, stopping there. */
static unsigned step_down(unsigned pos, unsigned n)
{
    return n > pos ? 0 : pos - n;
}

/* pos moved n towards last, stopping there. */
static unsigned step_up(unsigned pos, unsigned n, unsigned last)
{
    return n > last - pos ? last : pos + n;
}

/* Carry out ESC [ params final. */
static void run_sequence(struct vga_screen *s, uint8_t final)
{
    unsigned n = param_or(s, 0, 1);
    unsigned first = s->nparams > 0 ? s->params[0] : 0;  /* 0 when omitted */
    switch (final) {
    case 'A':
        s->row = step_down(s->row, n);
        break;
    case 'B':
        s->row = step_up(s->row, n, s->rows - 1);
        break;
    case 'C':
        s->col = step_up(s->col, n, s->columns - 1);
        break;
    case 'D':
        s->col = step_down(s->col, n);
        break;
    case 'H':                       /* 1-based row ; column, each defaulting to 1 */
        s->row = step_up(0, param_or(s, 0, 1) - 1, s->rows - 1);
        s->col = step_up(0, param_or(s, 1, 1) - 1, s->columns - 1);
        break;
    case 'K':
        if (first != 0)
            return;                 /* erase to the left or the whole line: swallowed */
        blank_to_end(s, s->row, s->col);
        break;
    case 'J':
        if (first != 2)
            return;                 /* erase above or below: swallowed */
        clear_screen(s);            /* the cursor stays, as on a VT100 */
        break;
    default:
        return;                     /* unknown: swallowed */
    }
    s->wrap_pending = false;
}

/* A byte after ESC [, one of 0x20-0x7E: below CSI_FINAL_FIRST it is part
 * of the parameters, from there on it ends the sequence. */
static void put_csi(struct vga_screen *s, uint8_t ch)
{
    if (ch >= '0' && ch <= '9') {
        if (s->nparams == 0)
            s->nparams = 1;
        if (s->nparams <= VGA_ESC_PARAMS) {
            unsigned *p = &s->params[s->nparams - 1];
            *p = *p * 10 + (ch - '0');
            if (*p > PARAM_MAX)
                *p = PARAM_MAX;
        }
    } else if (ch == ';') {
        /* An empty first parameter still counts: "ESC [ ; 5 H" is row 1, column 5. */
        s->nparams = (s->nparams == 0 ? 1 : s->nparams) + 1;
        if (s->nparams > VGA_ESC_PARAMS)
            s->esc_ignored = true;
    } else if (ch < CSI_FINAL_FIRST) {
        s->esc_ignored = true;      /* private markers such as '?', intermediates */
    } else {
        s->esc = VGA_ESC_NONE;
        if (!s->esc_ignored)
            run_sequence(s, ch);
    }
}

void vga_screen_putc(struct vga_screen *s, char c)
{
    uint8_t ch = (uint8_t)c;
    if (s->esc == VGA_ESC_NONE) {
        put_text(s, ch);
        return;
    }

    /* Inside a sequence: give up on it at a control character (acted on
     * below as text; ESC starts a new sequence) or when it grows too long. */
    if (ch < ' ' || ch >= DEL || ++s->esc_len > VGA_ESC_MAX) {
        s->esc = VGA_ESC_NONE;
        put_text(s, ch);
        return;
    }
    if (s->esc == VGA_ESC_CSI)
        put_csi(s, ch);
    else if (ch == '[')
        s->esc = VGA_ESC_CSI;
    else if (ch >= ESC_FINAL_FIRST)
        s->esc = VGA_ESC_NONE;      /* a two-byte sequence such as ESC 7: swallowed */
    /* else an intermediate byte (0x20-0x2F) of a longer ESC sequence: keep reading */
}

bool vga_screen_init(struct vga_screen *s, uint16_t *cells, unsigned columns,
                     unsigned rows, unsigned stride)
{
    if (cells == NULL || columns == 0 || rows == 0 || columns > stride ||
        rows > VGA_MAX_CELLS / stride)
        return false;
    *s = (struct vga_screen){
        .cells = cells,
        .columns = columns,
        .rows = rows,
        .stride = stride,
    };
    clear_screen(s);
    return true;
}

unsigned vga_screen_cursor(const struct vga_screen *s)
{
    return s->row * s->stride + s->col;
}
