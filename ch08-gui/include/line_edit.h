/*
 * line_edit.h: a line editor for a VT100-compatible terminal.
 *
 * The editor turns keys (keys.h) into a line of text plus the bytes that
 * keep the terminal showing that line: it never touches hardware and keeps
 * no global state, so the console (kernel/console.c) drives it with real
 * keys and the unit tests drive it with scripted ones.
 *
 * The line stays on the prompt's row, in the columns the caller says are
 * left after the prompt; a longer line scrolls sideways within them.
 */
#ifndef CUBOS_LINE_EDIT_H
#define CUBOS_LINE_EDIT_H

#include <stddef.h>

#define LINE_EDIT_MAX 256          /* bytes in a line, including the NUL */
#define LINE_HISTORY 16       /* lines remembered for Up/Down */
#define LINE_EDIT_MIN_COLUMNS 2    /* one column of text and the one kept empty */

enum line_status {
    LINE_EDITING,             /* the key was applied; the line goes on */
    LINE_DONE,                /* Enter: the line is complete */
    LINE_CANCELLED,           /* Ctrl-C: the line is abandoned */
};

/* Where the editor sends terminal output: n bytes at s, and the caller's ctx. */
typedef void (*line_emit_fn)(const char *s, size_t n, void *ctx);

struct line_editor {
    char buf[LINE_EDIT_MAX];       /* the line shown, always NUL-terminated */
    size_t len;               /* characters in buf */
    size_t cursor;            /* 0..len: the character the cursor is on */

    /* The row: columns for the line, the window of it shown there (from
     * buf[first]), and what the terminal shows now, cursor included. */
    size_t columns;
    size_t first;
    char shown[LINE_EDIT_MAX];
    size_t shown_len;
    size_t shown_col;

    /* The history ring: the newest entry is at history_next - 1. */
    char history[LINE_HISTORY][LINE_EDIT_MAX];
    unsigned history_count;   /* entries filled, at most LINE_HISTORY */
    unsigned history_next;    /* slot the next entry goes into */

    /* 0 while editing the new line; k while showing the k-th newest entry. */
    unsigned browse;
    char saved[LINE_EDIT_MAX];     /* the new line, put aside while browsing */
};

/* Make ed an editor with an empty history (a zero-filled one is one too). */
void line_edit_init(struct line_editor *ed);

/* Begin a new, empty line; the history is kept. The caller prints the
 * prompt and says how many columns are left after it on the terminal's row
 * (at least LINE_EDIT_MIN_COLUMNS are used). */
void line_edit_start(struct line_editor *ed, size_t columns);

/*
 * Apply one key (keys.h) to the line and emit the bytes that update the
 * terminal. Returns LINE_DONE after Enter (the line is then in the history
 * unless empty or a repeat of the newest entry), LINE_CANCELLED after
 * Ctrl-C, LINE_EDITING otherwise. Tab inserts a space. Keys it has no use
 * for emit nothing; a character that does not fit emits a bell ("\a").
 */
enum line_status line_edit_key(struct line_editor *ed, int key, line_emit_fn emit, void *ctx);

/* The line as it stands, NUL-terminated; valid until the next call on ed. */
const char *line_edit_text(const struct line_editor *ed);

/* The number of characters in the line. */
size_t line_edit_length(const struct line_editor *ed);

#endif
