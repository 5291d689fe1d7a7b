/*
 * test_vga.c: the VGA text screen logic (lib/vga_screen.c) on a host array
 * in place of the text buffer: printing, wrapping, scrolling, the control
 * characters and escape sequences the console sends, and the broken
 * sequences that must not eat the output after them.
 * Each screen gets a heap block of exactly its size, so ASan catches any
 * write outside it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vga_screen.h"

#include "check.h"

#define COLUMNS 80
#define ROWS 25
#define BLANK VGA_CELL(' ', VGA_ATTR_NORMAL)
#define PADDING 0xBEEF          /* fills cells past the last column, which must stay */

/* An 80x25 screen with rows of stride cells, in a fresh heap block. */
static void open_screen(struct vga_screen *s, unsigned stride)
{
    uint16_t *cells = malloc(ROWS * stride * sizeof(uint16_t));
    for (unsigned i = 0; i < ROWS * stride; i++)
        cells[i] = PADDING;
    CHECK(vga_screen_init(s, cells, COLUMNS, ROWS, stride));
}

static void close_screen(struct vga_screen *s)
{
    free(s->cells);
}

static void put(struct vga_screen *s, const char *text)
{
    while (*text)
        vga_screen_putc(s, *text++);
}

static uint16_t cell(const struct vga_screen *s, unsigned row, unsigned col)
{
    return s->cells[row * s->stride + col];
}

/* True if row shows text followed by blanks, all in the normal colours. */
static int row_is(const struct vga_screen *s, unsigned row, const char *text)
{
    size_t len = strlen(text);
    for (unsigned c = 0; c < s->columns; c++) {
        uint16_t want = c < len ? VGA_CELL(text[c], VGA_ATTR_NORMAL) : BLANK;
        if (cell(s, row, c) != want)
            return 0;
    }
    return 1;
}

static int cursor_at(const struct vga_screen *s, unsigned row, unsigned col)
{
    return s->row == row && s->col == col && vga_screen_cursor(s) == row * s->stride + col;
}

static void test_init(void)
{
    struct vga_screen s;
    uint16_t cells[4];
    CHECK(!vga_screen_init(&s, cells, 0, 1, 4));
    CHECK(!vga_screen_init(&s, cells, 4, 0, 4));
    CHECK(!vga_screen_init(&s, cells, 5, 1, 4));            /* row wider than the stride */
    CHECK(!vga_screen_init(&s, cells, 4, 1, 0));
    CHECK(!vga_screen_init(&s, NULL, 4, 1, 4));
    CHECK(!vga_screen_init(&s, cells, 80, 820, 80));        /* past the CRTC's 16 bits */
    CHECK(!vga_screen_init(&s, cells, 1, 2, 0x80000000u));  /* rows * stride overflows */

    open_screen(&s, 100);
    for (unsigned r = 0; r < ROWS; r++) {
        CHECK(row_is(&s, r, ""));
        CHECK(cell(&s, r, COLUMNS) == PADDING && cell(&s, r, 99) == PADDING);
    }
    CHECK(cursor_at(&s, 0, 0));
    close_screen(&s);
}

static void test_text_and_newline(void)
{
    struct vga_screen s;
    open_screen(&s, COLUMNS);
    put(&s, "hello");
    CHECK(row_is(&s, 0, "hello"));
    CHECK(cursor_at(&s, 0, 5));
    put(&s, "\nworld");
    CHECK(row_is(&s, 1, "world"));
    CHECK(cursor_at(&s, 1, 5));
    put(&s, "\rW");
    CHECK(row_is(&s, 1, "World"));
    CHECK(cursor_at(&s, 1, 1));
    put(&s, "\a\x01\x7f");                     /* other control characters show nothing */
    CHECK(row_is(&s, 1, "World") && cursor_at(&s, 1, 1));
    vga_screen_putc(&s, (char)0xDB);           /* code page 437 full block */
    CHECK(cell(&s, 1, 1) == VGA_CELL(0xDB, VGA_ATTR_NORMAL));
    close_screen(&s);
}

static void test_wrap(void)
{
    struct vga_screen s;
    char line[COLUMNS + 1];
    memset(line, 'a', COLUMNS);
    line[COLUMNS] = '\0';

    open_screen(&s, COLUMNS);
    put(&s, line);
    CHECK(row_is(&s, 0, line));
    CHECK(cursor_at(&s, 0, COLUMNS - 1));      /* the wrap waits for the next character */
    put(&s, "b");
    CHECK(row_is(&s, 1, "b"));
    CHECK(cursor_at(&s, 1, 1));

    /* A full line then newline: no blank line between. */
    put(&s, "\r\n");
    put(&s, line);
    put(&s, "\nc");
    CHECK(row_is(&s, 2, line));
    CHECK(row_is(&s, 3, "c"));

    /* Carriage return cancels the wrap; a swallowed colour sequence does not. */
    put(&s, "\n");
    put(&s, line);
    put(&s, "\rX");
    CHECK(cell(&s, 4, 0) == VGA_CELL('X', VGA_ATTR_NORMAL) && cursor_at(&s, 4, 1));
    put(&s, "\n");
    put(&s, line);
    put(&s, "\x1b[0md");
    CHECK(row_is(&s, 6, "d"));
    close_screen(&s);
}

static void test_scroll(void)
{
    static const char tail[] = " and a tail, so the blanking of the new bottom row shows";
    struct vga_screen s;
    char text[COLUMNS + 1];
    open_screen(&s, 100);
    for (int r = 0; r < ROWS; r++) {
        snprintf(text, sizeof(text), r ? "\nline%d" : "line%d", r);
        put(&s, text);
    }
    put(&s, tail);
    CHECK(cursor_at(&s, ROWS - 1, strlen("line24") + strlen(tail)));
    put(&s, "\nnew");
    for (int r = 0; r < ROWS - 1; r++) {
        snprintf(text, sizeof(text), "line%d%s", r + 1, r == ROWS - 2 ? tail : "");
        CHECK(row_is(&s, r, text));
    }
    CHECK(row_is(&s, ROWS - 1, "new"));
    CHECK(cursor_at(&s, ROWS - 1, 3));
    for (unsigned r = 0; r < ROWS; r++)
        CHECK(cell(&s, r, COLUMNS) == PADDING);

    /* Wrapping off the bottom right corner scrolls too. */
    put(&s, "\x1b[25;80Hxy");
    CHECK(cell(&s, ROWS - 2, COLUMNS - 1) == VGA_CELL('x', VGA_ATTR_NORMAL));
    CHECK(row_is(&s, ROWS - 1, "y"));
    CHECK(cursor_at(&s, ROWS - 1, 1));
    close_screen(&s);
}

static void test_cursor_moves(void)
{
    struct vga_screen s;
    open_screen(&s, COLUMNS);
    put(&s, "\x1b[5C");
    CHECK(cursor_at(&s, 0, 5));
    put(&s, "\x1b[D");                          /* n defaults to 1 */
    CHECK(cursor_at(&s, 0, 4));
    put(&s, "\x1b[0C");                         /* and 0 means 1 */
    CHECK(cursor_at(&s, 0, 5));
    put(&s, "\x1b[100D");
    CHECK(cursor_at(&s, 0, 0));
    put(&s, "\x1b[100C");
    CHECK(cursor_at(&s, 0, COLUMNS - 1));
    put(&s, "\x1b[3B");
    CHECK(cursor_at(&s, 3, COLUMNS - 1));
    put(&s, "\x1b[A");
    CHECK(cursor_at(&s, 2, COLUMNS - 1));
    put(&s, "\x1b[100A");
    CHECK(cursor_at(&s, 0, COLUMNS - 1));
    put(&s, "\x1b[100B");
    CHECK(cursor_at(&s, ROWS - 1, COLUMNS - 1));
    put(&s, "\x1b[99999999999D");               /* clamped, no overflow */
    CHECK(cursor_at(&s, ROWS - 1, 0));

    put(&s, "\x1b[H");
    CHECK(cursor_at(&s, 0, 0));
    put(&s, "\x1b[5;10H");
    CHECK(cursor_at(&s, 4, 9));
    put(&s, "\x1b[;5H");
    CHECK(cursor_at(&s, 0, 4));
    put(&s, "\x1b[99;99H");
    CHECK(cursor_at(&s, ROWS - 1, COLUMNS - 1));
    for (unsigned r = 0; r < ROWS; r++)
        CHECK(row_is(&s, r, ""));               /* moving writes nothing */
    close_screen(&s);
}

static void test_erase(void)
{
    struct vga_screen s;
    open_screen(&s, COLUMNS);
    put(&s, "above\nhello world\nbelow\x1b[A\x1b[K");
    CHECK(row_is(&s, 0, "above"));
    CHECK(row_is(&s, 1, "hello"));              /* from the cursor (column 5) on */
    CHECK(row_is(&s, 2, "below"));
    CHECK(cursor_at(&s, 1, 5));

    put(&s, "\x1b[H\x1b[6C\x1b[K");
    CHECK(row_is(&s, 0, "above"));              /* past the end: nothing to erase */
    put(&s, "\x1b[H\x1b[2C\x1b[K");
    CHECK(row_is(&s, 0, "ab") && cursor_at(&s, 0, 2));

    put(&s, "\x1b[3;3H\x1b[2J");
    for (unsigned r = 0; r < ROWS; r++)
        CHECK(row_is(&s, r, ""));
    CHECK(cursor_at(&s, 2, 2));                 /* clearing does not move the cursor */
    close_screen(&s);
}

static void test_tab_and_backspace(void)
{
    struct vga_screen s;
    open_screen(&s, COLUMNS);
    put(&s, "a\tb");
    CHECK(row_is(&s, 0, "a       b"));
    put(&s, "\t");
    CHECK(cursor_at(&s, 0, 16));
    put(&s, "\t");
    CHECK(cursor_at(&s, 0, 24));
    put(&s, "\x1b[H\x1b[77C\t");                 /* from column 77: the last column */
    CHECK(cursor_at(&s, 0, COLUMNS - 1));
    put(&s, "\t");
    CHECK(cursor_at(&s, 0, COLUMNS - 1));

    put(&s, "\nabc\b\bX");                      /* backspace moves, does not erase */
    CHECK(row_is(&s, 1, "aXc"));
    CHECK(cursor_at(&s, 1, 2));
    put(&s, "\b\b\b\b");
    CHECK(cursor_at(&s, 1, 0));                 /* stops at the left edge */
    close_screen(&s);
}

static void test_unknown_sequences(void)
{
    struct vga_screen s;
    open_screen(&s, COLUMNS);
    put(&s, "a\x1b[31mb");                      /* colours: swallowed */
    put(&s, "\x1b[?25lc");                      /* private mode */
    put(&s, "\x1b" "7d");                       /* two-byte ESC 7 */
    put(&s, "\x1b(Be");                         /* charset selection with an intermediate */
    put(&s, "\x1b[1Kf");                        /* erase forms not handled */
    put(&s, "\x1b[0Jg");
    put(&s, "\x1b[1;2;3Hh");                    /* more parameters than handled */
    put(&s, "\x1b[1 qi");                       /* intermediate byte before the final */
    CHECK(row_is(&s, 0, "abcdefghi"));
    CHECK(cursor_at(&s, 0, 9));
    put(&s, "\x1b[H\x1b[1K\x1b[2K\x1b[J\x1b[1J");  /* with text under them: still nothing */
    CHECK(row_is(&s, 0, "abcdefghi"));
    CHECK(cursor_at(&s, 0, 0));
    close_screen(&s);
}

static void test_broken_sequences(void)
{
    struct vga_screen s;
    open_screen(&s, COLUMNS);

    /* A control character ends the sequence and still takes effect. */
    put(&s, "x\x1b[12\nabc");
    CHECK(row_is(&s, 0, "x"));
    CHECK(row_is(&s, 1, "abc"));
    put(&s, "\x1b\ndef");
    CHECK(row_is(&s, 2, "def"));

    /* ESC inside a sequence starts a new one. */
    put(&s, "\r\x1b[3\x1b[5Cg");
    CHECK(row_is(&s, 2, "def  g"));

    /* Too long: after VGA_ESC_MAX bytes the rest shows as text. */
    char seq[64] = "\x1b[";
    memset(seq + 2, '1', 40);
    strcpy(seq + 42, "ok");
    put(&s, "\n");
    put(&s, seq);
    char expect[64];
    memset(expect, '1', 42 - VGA_ESC_MAX);
    strcpy(expect + 42 - VGA_ESC_MAX, "ok");
    CHECK(row_is(&s, 3, expect));

    /* Endless parameter separators are cut off too. */
    memset(seq + 2, ';', 40);
    put(&s, "\n");
    put(&s, seq);
    memset(expect, ';', 42 - VGA_ESC_MAX);
    CHECK(row_is(&s, 4, expect));
    put(&s, "\nfine");
    CHECK(row_is(&s, 5, "fine"));
    close_screen(&s);
}

int main(void)
{
    test_init();
    test_text_and_newline();
    test_wrap();
    test_scroll();
    test_cursor_moves();
    test_erase();
    test_tab_and_backspace();
    test_unknown_sequences();
    test_broken_sequences();
    printf("vga: %d failures\n", failures);
    return failures != 0;
}
