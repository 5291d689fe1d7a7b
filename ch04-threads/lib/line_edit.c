/*
 * line_edit.c: edit one line of text on a VT100-compatible terminal.
 *
 * The terminal already shows the prompt and the line; after each key the
 * editor changes its buffer and emits just enough to make the screen match
 * again: the characters from the cursor to the end of the line, then
 * "cursor left n" (ESC [ n D) to put the cursor back where it belongs.
 * Escape sequences are those of the DEC VT100 (ECMA-48 CUF, CUB, EL), which
 * every terminal emulator and drivers/vga.c understand.
 *
 * Up and Down show copies of history entries: editing a recalled line
 * changes the copy, never the entry, and Enter adds it as a new entry.
 */
#include <stddef.h>

#include "keys.h"
#include "line_edit.h"
#include "string.h"

#define ESC "\x1b"
#define ERASE_TO_END ESC "[K"           /* EL: erase from the cursor to the end of the row */
#define CURSOR_RIGHT 'C'                /* CUF: ESC [ n C */
#define CURSOR_LEFT 'D'                 /* CUB: ESC [ n D */
#define BELL "\a"
#define NEWLINE "\r\n"
#define CANCEL_ECHO "^C\r\n"

#define PRINTABLE_FIRST 0x20            /* space */
#define PRINTABLE_LAST 0x7E             /* '~'; 0x7F is DEL, above is not ASCII */

#define SIZE_T_DIGITS 20                /* decimal digits of the largest 64-bit size_t */

/* Send the NUL-terminated string s to the terminal. */
static void emit_str(line_emit_fn emit, void *ctx, const char *s)
{
    emit(s, strlen(s), ctx);
}

/* Move the terminal cursor n columns in direction CURSOR_LEFT or CURSOR_RIGHT.
 * Emits nothing for n == 0, because a VT100 reads ESC [ 0 D as "one left". */
static void emit_move(line_emit_fn emit, void *ctx, size_t n, char direction)
{
    char seq[sizeof(ESC "[") + SIZE_T_DIGITS + 1];
    char digits[SIZE_T_DIGITS];
    size_t ndigits = 0, len = 0;

    if (n == 0)
        return;
    do {
        digits[ndigits++] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    seq[len++] = ESC[0];
    seq[len++] = '[';
    while (ndigits)
        seq[len++] = digits[--ndigits];
    seq[len++] = direction;
    emit(seq, len, ctx);
}

/* Redraw from the cursor to the end of the line, erase the column the line
 * no longer covers, and put the cursor back. */
static void redraw_tail(struct line_editor *ed, line_emit_fn emit, void *ctx)
{
    size_t tail = ed->len - ed->cursor;

    emit(ed->buf + ed->cursor, tail, ctx);
    emit_str(emit, ctx, ERASE_TO_END);
    emit_move(emit, ctx, tail, CURSOR_LEFT);
}

/* Replace the whole line with text, leaving the cursor at its end. */
static void replace_line(struct line_editor *ed, const char *text, line_emit_fn emit, void *ctx)
{
    emit_move(emit, ctx, ed->cursor, CURSOR_LEFT);
    ed->len = strlen(text);
    memcpy(ed->buf, text, ed->len + 1);
    ed->cursor = ed->len;
    emit(ed->buf, ed->len, ctx);
    emit_str(emit, ctx, ERASE_TO_END);
}

/* Insert c at the cursor, or ring the bell if the line is full. */
static void insert_char(struct line_editor *ed, char c, line_emit_fn emit, void *ctx)
{
    if (ed->len == LINE_EDIT_MAX - 1) {
        emit_str(emit, ctx, BELL);
        return;
    }
    /* Shift the tail and its NUL one place right. */
    memmove(ed->buf + ed->cursor + 1, ed->buf + ed->cursor, ed->len - ed->cursor + 1);
    ed->buf[ed->cursor] = c;
    ed->len++;
    /* Print the new character and the tail it pushed right; the cursor
     * belongs just after the new character. */
    emit(ed->buf + ed->cursor, ed->len - ed->cursor, ctx);
    ed->cursor++;
    emit_move(emit, ctx, ed->len - ed->cursor, CURSOR_LEFT);
}

/* Remove the character under the cursor and redraw what follows it. */
static void delete_at_cursor(struct line_editor *ed, line_emit_fn emit, void *ctx)
{
    if (ed->cursor == ed->len)
        return;
    memmove(ed->buf + ed->cursor, ed->buf + ed->cursor + 1, ed->len - ed->cursor);
    ed->len--;
    redraw_tail(ed, emit, ctx);
}

/* Move the cursor to column target (0..len) of the line. */
static void move_to(struct line_editor *ed, size_t target, line_emit_fn emit, void *ctx)
{
    if (target < ed->cursor)
        emit_move(emit, ctx, ed->cursor - target, CURSOR_LEFT);
    else
        emit_move(emit, ctx, target - ed->cursor, CURSOR_RIGHT);
    ed->cursor = target;
}

/* The k-th newest history entry, k = 1 .. history_count. */
static const char *history_entry(const struct line_editor *ed, unsigned k)
{
    return ed->history[(ed->history_next + LINE_HISTORY - k) % LINE_HISTORY];
}

/* Remember the finished line, unless it is empty or repeats the newest entry;
 * when the ring is full the oldest entry makes room. */
static void history_add(struct line_editor *ed)
{
    if (ed->len == 0)
        return;
    if (ed->history_count > 0 && strcmp(history_entry(ed, 1), ed->buf) == 0)
        return;
    memcpy(ed->history[ed->history_next], ed->buf, ed->len + 1);
    ed->history_next = (ed->history_next + 1) % LINE_HISTORY;
    if (ed->history_count < LINE_HISTORY)
        ed->history_count++;
}

/* Up: show the next older entry, putting the new line aside on the first step. */
static void history_older(struct line_editor *ed, line_emit_fn emit, void *ctx)
{
    if (ed->browse == ed->history_count)
        return;
    if (ed->browse == 0)
        memcpy(ed->saved, ed->buf, ed->len + 1);
    ed->browse++;
    replace_line(ed, history_entry(ed, ed->browse), emit, ctx);
}

/* Down: show the next newer entry, or the new line again after the newest. */
static void history_newer(struct line_editor *ed, line_emit_fn emit, void *ctx)
{
    if (ed->browse == 0)
        return;
    ed->browse--;
    replace_line(ed, ed->browse ? history_entry(ed, ed->browse) : ed->saved, emit, ctx);
}

void line_edit_init(struct line_editor *ed)
{
    memset(ed, 0, sizeof(*ed));
}

void line_edit_start(struct line_editor *ed)
{
    ed->buf[0] = '\0';
    ed->len = 0;
    ed->cursor = 0;
    ed->browse = 0;
}

enum line_status line_edit_key(struct line_editor *ed, int key, line_emit_fn emit, void *ctx)
{
    switch (key) {
    case '\r':
    case '\n':
        emit_str(emit, ctx, NEWLINE);
        history_add(ed);
        return LINE_DONE;
    case KEY_CTRL('C'):
        emit_str(emit, ctx, CANCEL_ECHO);
        return LINE_CANCELLED;
    case KEY_BACKSPACE:
    case '\b':
        if (ed->cursor > 0) {
            move_to(ed, ed->cursor - 1, emit, ctx);
            delete_at_cursor(ed, emit, ctx);
        }
        break;
    case KEY_DELETE:
        delete_at_cursor(ed, emit, ctx);
        break;
    case KEY_LEFT:
        if (ed->cursor > 0)
            move_to(ed, ed->cursor - 1, emit, ctx);
        break;
    case KEY_RIGHT:
        if (ed->cursor < ed->len)
            move_to(ed, ed->cursor + 1, emit, ctx);
        break;
    case KEY_HOME:
    case KEY_CTRL('A'):
        move_to(ed, 0, emit, ctx);
        break;
    case KEY_END:
    case KEY_CTRL('E'):
        move_to(ed, ed->len, emit, ctx);
        break;
    case KEY_UP:
        history_older(ed, emit, ctx);
        break;
    case KEY_DOWN:
        history_newer(ed, emit, ctx);
        break;
    case KEY_CTRL('U'):
        if (ed->len > 0)
            replace_line(ed, "", emit, ctx);
        break;
    default:
        /* Only ASCII characters: each one takes exactly one column, which
         * the cursor arithmetic relies on. Other keys are not for us. */
        if (key >= PRINTABLE_FIRST && key <= PRINTABLE_LAST)
            insert_char(ed, (char)key, emit, ctx);
        break;
    }
    return LINE_EDITING;
}

const char *line_edit_text(const struct line_editor *ed)
{
    return ed->buf;
}

size_t line_edit_length(const struct line_editor *ed)
{
    return ed->len;
}
