/*
 * test_line_edit.c: the line editor (lib/line_edit.c) driven by scripted
 * keys. Each test checks the line the editor holds AND what a terminal
 * shows after the echo: a one-row VT100 model below interprets exactly the
 * bytes the editor emits and flags any it does not expect.
 * Built with -fsanitize=address,undefined, so any overrun fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "line_edit.h"

#include "check.h"

/* Wider than any line, so the editor never depends on wrapping. */
#define TERM_COLUMNS 512

/*
 * One row of a VT100: printable characters overwrite at the cursor, \r goes
 * to column 0, \n scrolls the row away (counted, then blank), \b moves left,
 * \a rings, ESC [ n C / D move right / left (n missing or 0 means 1, as on
 * a real VT100), ESC [ K erases to the end. Anything else counts as bad, and
 * so does a character written in the last of the row's `columns` or past
 * it, where a real terminal would wrap (now or at the next character).
 */
struct term {
    char row[TERM_COLUMNS];
    size_t columns;             /* the row's width, at most TERM_COLUMNS */
    size_t col;
    int lines;                  /* rows scrolled away by \n */
    int bells;
    int bad;                    /* bytes or sequences the model does not know */
    char out[4096];             /* raw bytes of the latest key, for exact checks */
    size_t out_len;
    int esc_state;              /* 0 plain, 1 after ESC, 2 inside ESC [ */
    unsigned param;
};

static void term_reset(struct term *t)
{
    memset(t, 0, sizeof(*t));
    memset(t->row, ' ', sizeof(t->row));
    t->columns = TERM_COLUMNS;
}

static void term_byte(struct term *t, unsigned char c)
{
    if (t->esc_state == 1) {
        t->esc_state = c == '[' ? 2 : 0;
        t->param = 0;
        if (c != '[')
            t->bad++;
        return;
    }
    if (t->esc_state == 2) {
        if (c >= '0' && c <= '9') {
            t->param = t->param * 10 + (c - '0');
            return;
        }
        t->esc_state = 0;
        size_t n = t->param ? t->param : 1;
        if (c == 'C' && t->col + n < t->columns)
            t->col += n;
        else if (c == 'D')
            t->col = n > t->col ? 0 : t->col - n;
        else if (c == 'K' && t->param == 0)
            memset(t->row + t->col, ' ', TERM_COLUMNS - t->col);
        else
            t->bad++;
        return;
    }
    if (c == 0x1B) {
        t->esc_state = 1;
    } else if (c == '\r') {
        t->col = 0;
    } else if (c == '\n') {
        t->lines++;
        memset(t->row, ' ', sizeof(t->row));
    } else if (c == '\b') {
        if (t->col > 0)
            t->col--;
    } else if (c == '\a') {
        t->bells++;
    } else if (c >= 0x20 && c < 0x7F && t->col + 1 < t->columns) {
        t->row[t->col++] = (char)c;
    } else {
        t->bad++;
    }
}

static void term_emit(const char *s, size_t n, void *ctx)
{
    struct term *t = ctx;
    for (size_t i = 0; i < n; i++) {
        term_byte(t, (unsigned char)s[i]);
        if (t->out_len < sizeof(t->out))
            t->out[t->out_len++] = s[i];
    }
}

/* The row as text, without the blank cells after the last character. */
static const char *term_text(const struct term *t)
{
    static char text[TERM_COLUMNS + 1];
    size_t n = TERM_COLUMNS;
    while (n > 0 && t->row[n - 1] == ' ')
        n--;
    memcpy(text, t->row, n);
    text[n] = '\0';
    return text;
}

/* Press one key; the terminal's out[] then holds exactly its echo. */
static enum line_status press(struct line_editor *ed, struct term *t, int key)
{
    t->out_len = 0;
    return line_edit_key(ed, key, term_emit, t);
}

static void type(struct line_editor *ed, struct term *t, const char *s)
{
    while (*s)
        CHECK(press(ed, t, (unsigned char)*s++) == LINE_EDITING);
}

/* The line, the screen and the cursor all agree with what the user expects. */
static int shows(struct line_editor *ed, const struct term *t, const char *text, size_t cursor)
{
    int ok = strcmp(line_edit_text(ed), text) == 0 && line_edit_length(ed) == strlen(text) &&
             strcmp(term_text(t), text) == 0 && t->col == cursor && ed->cursor == cursor &&
             t->bad == 0;
    if (!ok)
        fprintf(stderr, "  line \"%s\" screen \"%s\" cursor %zu/%zu bad %d, want \"%s\" at %zu\n",
                line_edit_text(ed), term_text(t), ed->cursor, t->col, t->bad, text, cursor);
    return ok;
}

static struct line_editor *new_editor(struct term *t)
{
    struct line_editor *ed = malloc(sizeof(*ed));
    line_edit_init(ed);
    line_edit_start(ed, TERM_COLUMNS);
    term_reset(t);
    return ed;
}

static void test_insert_in_middle(void)
{
    struct term t;
    struct line_editor *ed = new_editor(&t);
    type(ed, &t, "helo");
    CHECK(shows(ed, &t, "helo", 4));
    press(ed, &t, KEY_LEFT);
    type(ed, &t, "l");
    CHECK(shows(ed, &t, "hello", 4));

    line_edit_start(ed, TERM_COLUMNS);
    term_reset(&t);
    type(ed, &t, "helo");
    press(ed, &t, KEY_LEFT);
    press(ed, &t, KEY_LEFT);
    type(ed, &t, "l");
    CHECK(shows(ed, &t, "hello", 3));
    type(ed, &t, "XY");
    CHECK(shows(ed, &t, "helXYlo", 5));
    free(ed);
}

static void test_moves_and_deletes(void)
{
    struct term t;
    struct line_editor *ed = new_editor(&t);
    type(ed, &t, "abcdef");
    press(ed, &t, KEY_HOME);
    CHECK(shows(ed, &t, "abcdef", 0));
    press(ed, &t, KEY_BACKSPACE);
    CHECK(t.out_len == 0);                  /* nothing left of the cursor */
    CHECK(shows(ed, &t, "abcdef", 0));
    press(ed, &t, KEY_LEFT);
    CHECK(t.out_len == 0);
    press(ed, &t, KEY_DELETE);
    CHECK(shows(ed, &t, "bcdef", 0));
    press(ed, &t, KEY_RIGHT);
    press(ed, &t, KEY_RIGHT);
    CHECK(shows(ed, &t, "bcdef", 2));
    press(ed, &t, KEY_DELETE);
    CHECK(shows(ed, &t, "bcef", 2));
    press(ed, &t, '\b');                    /* Ctrl-H, the other backspace */
    CHECK(shows(ed, &t, "bef", 1));
    press(ed, &t, KEY_END);
    CHECK(shows(ed, &t, "bef", 3));
    press(ed, &t, KEY_RIGHT);
    CHECK(t.out_len == 0);
    press(ed, &t, KEY_DELETE);
    CHECK(t.out_len == 0);                  /* nothing under the cursor */
    press(ed, &t, KEY_BACKSPACE);
    CHECK(shows(ed, &t, "be", 2));
    press(ed, &t, KEY_CTRL('A'));
    CHECK(shows(ed, &t, "be", 0));
    press(ed, &t, KEY_CTRL('E'));
    CHECK(shows(ed, &t, "be", 2));
    press(ed, &t, KEY_LEFT);
    press(ed, &t, KEY_CTRL('U'));
    CHECK(shows(ed, &t, "", 0));
    press(ed, &t, KEY_CTRL('U'));
    CHECK(t.out_len == 0);
    free(ed);
}

static void test_ignored_keys(void)
{
    struct term t;
    struct line_editor *ed = new_editor(&t);
    type(ed, &t, "ab");
    const int ignored[] = { KEY_ESCAPE, KEY_CTRL('D'), KEY_CTRL('L'), 0, 0x80, 0xE9,
                            KEY_PAGE_UP, KEY_PAGE_DOWN, KEY_INSERT, KEY_INSERT + 1, -1 };
    for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++) {
        CHECK(press(ed, &t, ignored[i]) == LINE_EDITING);
        CHECK(t.out_len == 0);
    }
    CHECK(shows(ed, &t, "ab", 2));
    free(ed);
}

static void test_enter_and_cancel(void)
{
    struct term t;
    struct line_editor *ed = new_editor(&t);
    type(ed, &t, "ls -l");
    press(ed, &t, KEY_HOME);
    CHECK(press(ed, &t, KEY_ENTER) == LINE_DONE);   /* the whole line, wherever the cursor */
    CHECK(t.out_len == 2 && memcmp(t.out, "\r\n", 2) == 0);
    CHECK(strcmp(line_edit_text(ed), "ls -l") == 0);
    CHECK(t.lines == 1 && t.col == 0);

    line_edit_start(ed, TERM_COLUMNS);
    term_reset(&t);
    CHECK(press(ed, &t, '\n') == LINE_DONE);        /* LF is Enter too; the empty line is fine */
    CHECK(strcmp(line_edit_text(ed), "") == 0);

    line_edit_start(ed, TERM_COLUMNS);
    term_reset(&t);
    type(ed, &t, "rm -rf");
    CHECK(press(ed, &t, KEY_CTRL('C')) == LINE_CANCELLED);
    CHECK(t.out_len == 4 && memcmp(t.out, "^C\r\n", 4) == 0);
    line_edit_start(ed, TERM_COLUMNS);
    term_reset(&t);
    CHECK(shows(ed, &t, "", 0));

    /* Neither the empty line nor the cancelled one went into the history. */
    press(ed, &t, KEY_UP);
    CHECK(shows(ed, &t, "ls -l", 5));
    press(ed, &t, KEY_UP);
    CHECK(t.out_len == 0);
    free(ed);
}

/* Type a line and press Enter, on a fresh terminal row. */
static void enter_line(struct line_editor *ed, struct term *t, const char *s)
{
    line_edit_start(ed, TERM_COLUMNS);
    term_reset(t);
    type(ed, t, s);
    CHECK(press(ed, t, KEY_ENTER) == LINE_DONE);
    line_edit_start(ed, TERM_COLUMNS);
    term_reset(t);
}

static void test_history(void)
{
    struct term t;
    struct line_editor *ed = new_editor(&t);
    press(ed, &t, KEY_UP);
    CHECK(t.out_len == 0);                  /* no history yet */

    enter_line(ed, &t, "one");
    enter_line(ed, &t, "two");
    enter_line(ed, &t, "two");              /* a repeat is stored once */
    type(ed, &t, "thr");
    press(ed, &t, KEY_LEFT);
    press(ed, &t, KEY_UP);
    CHECK(shows(ed, &t, "two", 3));
    press(ed, &t, KEY_UP);
    CHECK(shows(ed, &t, "one", 3));
    press(ed, &t, KEY_UP);
    CHECK(t.out_len == 0);
    CHECK(shows(ed, &t, "one", 3));
    press(ed, &t, KEY_DOWN);
    CHECK(shows(ed, &t, "two", 3));
    press(ed, &t, KEY_DOWN);
    CHECK(shows(ed, &t, "thr", 3));         /* the line in progress is back */
    press(ed, &t, KEY_DOWN);
    CHECK(t.out_len == 0);

    /* A longer line replaced by a shorter one leaves no trace on screen. */
    type(ed, &t, "ee and more");
    press(ed, &t, KEY_UP);
    CHECK(shows(ed, &t, "two", 3));

    /* Editing a recalled line changes a copy; Enter stores it as new. */
    press(ed, &t, KEY_BACKSPACE);
    type(ed, &t, "ins");
    CHECK(press(ed, &t, KEY_ENTER) == LINE_DONE);
    CHECK(strcmp(line_edit_text(ed), "twins") == 0);
    line_edit_start(ed, TERM_COLUMNS);
    term_reset(&t);
    press(ed, &t, KEY_UP);
    CHECK(shows(ed, &t, "twins", 5));
    press(ed, &t, KEY_UP);
    CHECK(shows(ed, &t, "two", 3));
    free(ed);
}

static void test_history_ring_wraps(void)
{
    struct term t;
    struct line_editor *ed = new_editor(&t);
    char line[16];
    const int total = LINE_HISTORY + 5;
    for (int i = 0; i < total; i++) {
        snprintf(line, sizeof(line), "cmd%d", i);
        enter_line(ed, &t, line);
    }
    for (int i = total - 1; i >= total - LINE_HISTORY; i--) {
        press(ed, &t, KEY_UP);
        snprintf(line, sizeof(line), "cmd%d", i);
        CHECK(shows(ed, &t, line, strlen(line)));
    }
    press(ed, &t, KEY_UP);
    CHECK(t.out_len == 0);                  /* the older ones were overwritten */
    free(ed);
}

static void test_long_line_refused(void)
{
    struct term t;
    struct line_editor *ed = new_editor(&t);
    char want[LINE_EDIT_MAX];
    memset(want, 'x', LINE_EDIT_MAX - 1);
    want[LINE_EDIT_MAX - 1] = '\0';
    for (int i = 0; i < LINE_EDIT_MAX + 40; i++)
        press(ed, &t, 'x');
    CHECK(t.bells == 41);
    CHECK(t.out_len == 1 && t.out[0] == '\a');
    CHECK(shows(ed, &t, want, LINE_EDIT_MAX - 1));

    /* Full in the middle too: the bell, and the line stays as it was. */
    press(ed, &t, KEY_HOME);
    press(ed, &t, 'y');
    CHECK(t.bells == 42);
    CHECK(shows(ed, &t, want, 0));

    /* Making room lets the next character in; the tail is redrawn after it. */
    press(ed, &t, KEY_DELETE);
    press(ed, &t, 'y');
    want[0] = 'y';
    CHECK(shows(ed, &t, want, 1));

    /* A full line goes into the history and comes back whole. */
    CHECK(press(ed, &t, KEY_ENTER) == LINE_DONE);
    line_edit_start(ed, TERM_COLUMNS);
    term_reset(&t);
    press(ed, &t, KEY_UP);
    CHECK(shows(ed, &t, want, LINE_EDIT_MAX - 1));
    free(ed);
}

/* Tab separates words: the editor inserts a space for it. */
static void test_tab_is_a_space(void)
{
    struct term t;
    struct line_editor *ed = new_editor(&t);
    type(ed, &t, "echo\tx");
    CHECK(shows(ed, &t, "echo x", 6));
    free(ed);
}

/* An 80-column terminal after the 7-column prompt "cubos> ". */
#define NARROW 73

/* The row shows the window of text that starts at the editor's first
 * shown character, the cursor is inside it at the right column, and
 * nothing was written where the terminal would wrap. */
static int shows_window(struct line_editor *ed, const struct term *t, const char *text, size_t cursor)
{
    char want[TERM_COLUMNS + 1];
    size_t first = ed->first, len = strlen(text);
    size_t n = first <= len ? len - first : 0;
    if (n > NARROW - 1)
        n = NARROW - 1;
    memcpy(want, text + (first <= len ? first : len), n);
    want[n] = '\0';
    int ok = strcmp(line_edit_text(ed), text) == 0 && ed->cursor == cursor && first <= cursor &&
             cursor - first <= NARROW - 1 && strcmp(term_text(t), want) == 0 &&
             t->col == cursor - first && t->bad == 0;
    if (!ok)
        fprintf(stderr, "  window from %zu: screen \"%s\" col %zu bad %d, want \"%s\" cursor %zu\n",
                first, term_text(t), t->col, t->bad, want, cursor);
    return ok;
}

/* A line longer than the row scrolls sideways inside it: every key leaves
 * the row showing the part of the line around the cursor, never wrapping. */
static void test_wide_line_scrolls_in_its_row(void)
{
    struct term t;
    struct line_editor *ed = malloc(sizeof(*ed));
    char text[LINE_EDIT_MAX];
    size_t len = 200;
    line_edit_init(ed);
    line_edit_start(ed, NARROW);
    term_reset(&t);
    t.columns = NARROW;
    for (size_t i = 0; i < len; i++) {
        text[i] = (char)('a' + i % 26);
        text[i + 1] = '\0';
        press(ed, &t, text[i]);
        CHECK(shows_window(ed, &t, text, i + 1));
    }
    press(ed, &t, 'z');                         /* inside the window: just the character */
    text[len++] = 'z';
    text[len] = '\0';
    CHECK(t.out_len == 1 && shows_window(ed, &t, text, len));

    press(ed, &t, KEY_HOME);
    CHECK(ed->first == 0 && shows_window(ed, &t, text, 0));
    for (size_t i = 1; i <= 120; i++) {         /* walk right across two window jumps */
        press(ed, &t, KEY_RIGHT);
        CHECK(shows_window(ed, &t, text, i));
    }
    press(ed, &t, 'X');                         /* edit in the middle of a scrolled window */
    memmove(text + 121, text + 120, len - 120 + 1);
    text[120] = 'X';
    len++;
    CHECK(shows_window(ed, &t, text, 121));
    press(ed, &t, KEY_BACKSPACE);
    press(ed, &t, KEY_DELETE);
    memmove(text + 120, text + 122, len - 122 + 1);
    len -= 2;
    CHECK(shows_window(ed, &t, text, 120));
    for (size_t i = 120; i > 0; i--) {          /* and back left to the start */
        press(ed, &t, KEY_LEFT);
        CHECK(shows_window(ed, &t, text, i - 1));
    }
    press(ed, &t, KEY_END);
    CHECK(shows_window(ed, &t, text, len));

    /* Enter keeps the whole line; recalled, it shows its end; a short
     * line recalled after it shows from its start. */
    CHECK(press(ed, &t, KEY_ENTER) == LINE_DONE);
    CHECK(strcmp(line_edit_text(ed), text) == 0);
    line_edit_start(ed, NARROW);
    term_reset(&t);
    t.columns = NARROW;
    type(ed, &t, "ls");
    CHECK(press(ed, &t, KEY_ENTER) == LINE_DONE);
    line_edit_start(ed, NARROW);
    term_reset(&t);
    t.columns = NARROW;
    press(ed, &t, KEY_UP);
    press(ed, &t, KEY_UP);
    CHECK(shows_window(ed, &t, text, len));
    press(ed, &t, KEY_DOWN);
    CHECK(ed->first == 0 && shows_window(ed, &t, "ls", 2));
    press(ed, &t, KEY_UP);
    press(ed, &t, KEY_CTRL('U'));
    CHECK(ed->first == 0 && shows_window(ed, &t, "", 0));
    free(ed);
}

int main(void)
{
    test_insert_in_middle();
    test_moves_and_deletes();
    test_ignored_keys();
    test_enter_and_cancel();
    test_history();
    test_history_ring_wraps();
    test_long_line_refused();
    test_tab_is_a_space();
    test_wide_line_scrolls_in_its_row();
    printf("line_edit: %d failures\n", failures);
    return failures != 0;
}
