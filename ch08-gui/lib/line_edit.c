/*
 * line_edit.c: edit one line of text on a VT100-compatible terminal.
 *
 * The terminal already shows the prompt; the editor owns the rest of that
 * row. After each key it changes its buffer, then makes the row match: it
 * remembers what the row shows, finds the first column that differs,
 * rewrites from there, erases what the line no longer covers, and puts the
 * cursor where it belongs. Escape sequences are those of the DEC VT100
 * (ECMA-48 CUF, CUB, EL), which every terminal emulator and drivers/vga.c
 * understand.
 *
 * A line longer than the row never wraps (wrapping would leave the cursor
 * on another row, where ESC [ n D cannot follow it): the row shows a window
 * of the line that jumps sideways by half its width whenever the cursor
 * would leave it, as bash's horizontal-scroll-mode and ksh do. The last
 * column stays empty, so the terminal never reaches its pending wrap.
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

/* Move the terminal cursor from window column `from` to column `to`. */
static void emit_move_to(line_emit_fn emit, void *ctx, size_t from, size_t to)
{
    if (to < from)
        emit_move(emit, ctx, from - to, CURSOR_LEFT);
    else
        emit_move(emit, ctx, to - from, CURSOR_RIGHT);
}

/* Make the row show the window of the line around the cursor, emitting
 * only what changed since the last refresh. */
static void refresh(struct line_editor *ed, line_emit_fn emit, void *ctx)
{
    size_t width = ed->columns - 1;             /* the last column stays empty */

    if (ed->cursor < ed->first || ed->cursor > ed->first + width)
        ed->first = ed->cursor > width / 2 ? ed->cursor - width / 2 : 0;

    const char *want = ed->buf + ed->first;
    size_t want_len = ed->len - ed->first < width ? ed->len - ed->first : width;
    size_t same = 0;
    while (same < want_len && same < ed->shown_len && ed->shown[same] == want[same])
        same++;
    if (same < want_len || same < ed->shown_len) {
        emit_move_to(emit, ctx, ed->shown_col, same);
        emit(want + same, want_len - same, ctx);
        if (want_len < ed->shown_len)
            emit_str(emit, ctx, ERASE_TO_END);
        memcpy(ed->shown + same, want + same, want_len - same);
        ed->shown_len = want_len;
        ed->shown_col = want_len;
    }
    emit_move_to(emit, ctx, ed->shown_col, ed->cursor - ed->first);
    ed->shown_col = ed->cursor - ed->first;
}

/* Replace the whole line with text, the cursor at its end. */
static void replace_line(struct line_editor *ed, const char *text)
{
    ed->len = strlen(text);
    memcpy(ed->buf, text, ed->len + 1);
    ed->cursor = ed->len;
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
    ed->cursor++;
}

/* Remove the character under the cursor, if there is one. */
static void delete_at_cursor(struct line_editor *ed)
{
    if (ed->cursor == ed->len)
        return;
    memmove(ed->buf + ed->cursor, ed->buf + ed->cursor + 1, ed->len - ed->cursor);
    ed->len--;
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
    /* LAB(history): keep the finished line ed->buf in the ring ed->history
     * (history_next is where the next one goes, history_count how many it
     * holds), unless it is empty or the same as the newest entry. */
    /* LAB-STUB: (void)ed; */
    if (ed->len == 0)
        return;
    if (ed->history_count > 0 && strcmp(history_entry(ed, 1), ed->buf) == 0)
        return;
    memcpy(ed->history[ed->history_next], ed->buf, ed->len + 1);
    ed->history_next = (ed->history_next + 1) % LINE_HISTORY;
    if (ed->history_count < LINE_HISTORY)
        ed->history_count++;
    /* END LAB(history) */
}

/* Up: show the next older entry, putting the new line aside on the first step. */
static void history_older(struct line_editor *ed)
{
    /* LAB(history): show the next older entry (ed->browse counts the steps
     * back, 0 for the line being typed), keeping that line in ed->saved on
     * the first step so Down can bring it back; stop at the oldest. */
    /* LAB-STUB: (void)ed; */
    if (ed->browse == ed->history_count)
        return;
    if (ed->browse == 0)
        memcpy(ed->saved, ed->buf, ed->len + 1);
    ed->browse++;
    replace_line(ed, history_entry(ed, ed->browse));
    /* END LAB(history) */
}

/* Down: show the next newer entry, or the new line again after the newest. */
static void history_newer(struct line_editor *ed)
{
    if (ed->browse == 0)
        return;
    ed->browse--;
    replace_line(ed, ed->browse ? history_entry(ed, ed->browse) : ed->saved);
}

void line_edit_init(struct line_editor *ed)
{
    memset(ed, 0, sizeof(*ed));
}

void line_edit_start(struct line_editor *ed, size_t columns)
{
    ed->buf[0] = '\0';
    ed->len = 0;
    ed->cursor = 0;
    ed->browse = 0;
    ed->columns = columns < LINE_EDIT_MIN_COLUMNS ? LINE_EDIT_MIN_COLUMNS : columns;
    ed->first = 0;
    ed->shown_len = 0;
    ed->shown_col = 0;
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
            ed->cursor--;
            delete_at_cursor(ed);
        }
        break;
    case KEY_DELETE:
        delete_at_cursor(ed);
        break;
    case KEY_LEFT:
        if (ed->cursor > 0)
            ed->cursor--;
        break;
    case KEY_RIGHT:
        if (ed->cursor < ed->len)
            ed->cursor++;
        break;
    case KEY_HOME:
    case KEY_CTRL('A'):
        ed->cursor = 0;
        break;
    case KEY_END:
    case KEY_CTRL('E'):
        ed->cursor = ed->len;
        break;
    case KEY_UP:
        history_older(ed);
        break;
    case KEY_DOWN:
        history_newer(ed);
        break;
    case KEY_CTRL('U'):
        replace_line(ed, "");
        break;
    case '\t':
        /* No completion: Tab separates words like a space, so it is one. */
        insert_char(ed, ' ', emit, ctx);
        break;
    default:
        /* Only ASCII characters: each one takes exactly one column, which
         * the cursor arithmetic relies on. Other keys are not for us. */
        if (key >= PRINTABLE_FIRST && key <= PRINTABLE_LAST)
            insert_char(ed, (char)key, emit, ctx);
        break;
    }
    refresh(ed, emit, ctx);
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
