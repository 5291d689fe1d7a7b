/*
 * ldisc.c: the terminal line discipline (include/ldisc.h): input editing,
 * echo and output processing, as pure functions of a struct ldisc.
 *
 * Input order, as in Linux: ISTRIP; a byte after LNEXT is data; IXON's
 * START and STOP; ISIG's signal characters; CR and NL mapping (IGNCR,
 * ICRNL, INLCR); then, in canonical mode, the editing characters.
 *
 * Where bytes go. A canonical line is edited in l->line; finishing it
 * moves it to the ring l->in with its newline (EOL, EOL2) and a line_end
 * bit on its last byte. EOF adds no byte, except on an empty line, where
 * one byte marked in eof_mark stands for "read returns 0 here". Raw bytes
 * go straight to l->in. line and in share LDISC_BUF_SIZE bytes: a typed
 * byte is taken while line and in together hold at most LDISC_BUF_SIZE - 2,
 * so the byte that ends a line always has room; a full buffer drops bytes
 * without a word (no bell: Linux rings one only with IMAXBEL).
 *
 * Echo keeps l->column, the cursor's column, from every byte shown; the
 * line remembers where its echo began (line_col), so erasing a tab knows
 * how many columns to go back.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ldisc.h"
#include "string.h"

#define CTRL(c) ((c) & 0x1F)
#define DEL 0x7F
#define TAB_WIDTH 8
#define CARET_FLIP 0x40         /* ^X shows control byte c as '^' and c ^ 0x40 */

_Static_assert(LDISC_BUF_SIZE % 8 == 0, "line_end and eof_mark are whole bytes of bits");

void ldisc_init(struct ldisc *l, ldisc_emit_fn emit, void *ctx)
{
    memset(l, 0, sizeof(*l));
    l->t.c_iflag = ICRNL | IXON | IUTF8;
    l->t.c_oflag = OPOST | ONLCR;
    l->t.c_cflag = B38400 | CS8 | CREAD;
    l->t.c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN;
    l->t.c_cc[VINTR] = CTRL('C');
    l->t.c_cc[VQUIT] = CTRL('\\');
    l->t.c_cc[VERASE] = DEL;
    l->t.c_cc[VKILL] = CTRL('U');
    l->t.c_cc[VEOF] = CTRL('D');
    l->t.c_cc[VTIME] = 0;
    l->t.c_cc[VMIN] = 1;
    l->t.c_cc[VSTART] = CTRL('Q');
    l->t.c_cc[VSTOP] = CTRL('S');
    l->t.c_cc[VSUSP] = CTRL('Z');
    l->t.c_cc[VREPRINT] = CTRL('R');
    l->t.c_cc[VDISCARD] = CTRL('O');
    l->t.c_cc[VWERASE] = CTRL('W');
    l->t.c_cc[VLNEXT] = CTRL('V');
    l->emit = emit;
    l->emit_ctx = ctx;
}

static bool lflag(const struct ldisc *l, uint32_t f)
{
    return l->t.c_lflag & f;
}

/* Whether c is special character c_cc[which]; 0 there disables it. */
static bool is_cc(const struct ldisc *l, int which, uint8_t c)
{
    return l->t.c_cc[which] != 0 && c == l->t.c_cc[which];
}

/* ASCII's control characters; bytes from 0x80 are text (UTF-8 or Latin-1). */
static bool is_control(uint8_t c)
{
    return c < 0x20 || c == DEL;
}

/* A UTF-8 byte that continues a character (10xxxxxx), under IUTF8. */
static bool is_continuation(const struct ldisc *l, uint8_t c)
{
    return (l->t.c_iflag & IUTF8) && (c & 0xC0) == 0x80;
}

static bool bit_test(const uint8_t *map, size_t i)
{
    return map[i / 8] >> (i % 8) & 1;
}

static void bit_put(uint8_t *map, size_t i, bool on)
{
    map[i / 8] = (uint8_t)((map[i / 8] & ~(1u << (i % 8))) | (unsigned)on << (i % 8));
}

/* Move the cursor column over byte c as the terminal shows it. A lone
 * "\n" goes down without going back to column 0. */
static void advance_column(struct ldisc *l, uint8_t c)
{
    if (c == '\r')
        l->column = 0;
    else if (c == '\t')
        l->column = (l->column | (TAB_WIDTH - 1)) + 1;
    else if (c == '\b' && l->column > 0)
        l->column--;
    else if (!is_control(c) && !is_continuation(l, c))
        l->column++;
}

size_t ldisc_output(struct ldisc *l, const char *in, size_t n, char *out, size_t out_size,
                    size_t *consumed)
{
    size_t made = 0, i;
    for (i = 0; i < n; i++) {
        uint8_t c = (uint8_t)in[i];
        char seq[2];
        size_t len = 0;
        if (l->t.c_oflag & OPOST) {
            if (c == '\n' && (l->t.c_oflag & ONLCR))
                seq[len++] = '\r';
            else if (c == '\r' && (l->t.c_oflag & OCRNL))
                c = '\n';
        }
        seq[len++] = (char)c;
        if (made + len > out_size)
            break;              /* never half of "\r\n" */
        for (size_t j = 0; j < len; j++) {
            out[made++] = seq[j];
            advance_column(l, (uint8_t)seq[j]);
        }
    }
    *consumed = i;
    return made;
}

/* Show s on the terminal: output-processed, to the tty's emit. */
static void echo(struct ldisc *l, const char *s, size_t n)
{
    char out[64];
    while (n > 0) {
        size_t used;
        size_t made = ldisc_output(l, s, n, out, sizeof(out), &used);
        if (l->emit)
            l->emit(out, made, l->emit_ctx);
        s += used;
        n -= used;
    }
}

/* Echo typed byte c: with ECHOCTL, a control byte but tab as ^X (DEL ^?). */
static void echo_char(struct ldisc *l, uint8_t c)
{
    if (lflag(l, ECHOCTL) && is_control(c) && c != '\t') {
        char caret[2] = { '^', (char)(c ^ CARET_FLIP) };
        echo(l, caret, sizeof(caret));
    } else {
        echo(l, (const char *)&c, 1);
    }
}

/* Append c to the ring in; the caller has checked there is room. */
static void in_put(struct ldisc *l, uint8_t c)
{
    size_t i = (l->in_head + l->in_len) % LDISC_BUF_SIZE;
    l->in[i] = (char)c;
    bit_put(l->line_end, i, false);
    bit_put(l->eof_mark, i, false);
    l->in_len++;
}

/* Add typed byte c to the line being edited, and echo it. Dropped, unechoed,
 * unless one more byte still leaves room for the line's end. */
static void line_add(struct ldisc *l, uint8_t c)
{
    if (l->line_len + l->in_len >= LDISC_BUF_SIZE - 1)
        return;
    if (l->line_len == 0)
        l->line_col = l->column;
    l->line[l->line_len++] = (char)c;
    if (lflag(l, ECHO))
        echo_char(l, c);
}

/* Finish the line being edited: move it to in, then end, a newline, EOL
 * or EOL2 byte, or -1 for EOF (no byte; on an empty line an EOF mark).
 * False, and nothing done, if in has no room for it. */
static bool line_finish(struct ldisc *l, int end)
{
    bool mark = end < 0 && l->line_len == 0;
    if (l->in_len + l->line_len + (end >= 0 || mark) > LDISC_BUF_SIZE)
        return false;
    for (size_t i = 0; i < l->line_len; i++)
        in_put(l, (uint8_t)l->line[i]);
    if (end >= 0 || mark)
        in_put(l, end >= 0 ? (uint8_t)end : 0);
    size_t last = (l->in_head + l->in_len - 1) % LDISC_BUF_SIZE;
    bit_put(l->line_end, last, true);
    if (mark) {
        bit_put(l->eof_mark, last, true);
        l->in_eofs++;
    }
    l->in_lines++;
    l->line_len = 0;
    return true;
}

/* The screen column line[i]'s echo began at. */
static unsigned column_at(const struct ldisc *l, size_t i)
{
    unsigned col = l->line_col;
    for (size_t j = 0; j < i; j++) {
        uint8_t c = (uint8_t)l->line[j];
        if (c == '\t')
            col = (col | (TAB_WIDTH - 1)) + 1;
        else if (is_control(c))
            col += lflag(l, ECHOCTL) ? 2 : 0;
        else if (!is_continuation(l, c))
            col++;
    }
    return col;
}

/* Take the last character off the line, every byte of it under IUTF8;
 * its first byte. The line is not empty. */
static uint8_t drop_last_char(struct ldisc *l)
{
    do
        l->line_len--;
    while (l->line_len > 0 && is_continuation(l, (uint8_t)l->line[l->line_len]));
    return (uint8_t)l->line[l->line_len];
}

/* Take the last character off the line and, under ECHO, its echo off the
 * screen: a tab back to where it began, ^X two columns, text one. */
static void rub_out(struct ldisc *l)
{
    static const char backspaces[] = "\b\b\b\b\b\b\b\b";
    uint8_t c = drop_last_char(l);
    if (!lflag(l, ECHO))
        return;
    if (c == '\t')
        echo(l, backspaces, TAB_WIDTH - column_at(l, l->line_len) % TAB_WIDTH);
    else if (!is_control(c))
        echo(l, "\b \b", 3);
    else if (lflag(l, ECHOCTL))
        echo(l, "\b \b\b \b", 6);
    /* a control byte echoed as itself took no column */
}

/* VERASE: without ECHOE the screen shows the erase character instead. */
static void erase(struct ldisc *l, uint8_t c)
{
    if (l->line_len == 0)
        return;
    if (lflag(l, ECHO) && !lflag(l, ECHOE)) {
        drop_last_char(l);
        echo_char(l, c);
    } else {
        rub_out(l);
    }
}

/* A word character for VWERASE: letters, digits, '_' and non-ASCII bytes. */
static bool is_word(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           c == '_' || c >= 0x80;
}

/* VWERASE: erase back over non-word characters, then over a word (as
 * Linux does: "a/b" loses "b", then "a/"). */
static void erase_word(struct ldisc *l)
{
    bool in_word = false;
    while (l->line_len > 0) {
        bool word = is_word((uint8_t)l->line[l->line_len - 1]);
        if (in_word && !word)
            break;
        in_word |= word;
        rub_out(l);
    }
}

/* VKILL: rub the line out with ECHOE, ECHOK and ECHOKE all on; else show
 * the kill character, and a newline with ECHOK. */
static void kill_line(struct ldisc *l, uint8_t c)
{
    const uint32_t rub = ECHO | ECHOE | ECHOK | ECHOKE;
    if (l->line_len == 0)
        return;
    if ((l->t.c_lflag & rub) == rub) {
        while (l->line_len > 0)
            rub_out(l);
        return;
    }
    l->line_len = 0;
    if (lflag(l, ECHO)) {
        echo_char(l, c);
        if (lflag(l, ECHOK))
            echo(l, "\n", 1);
    }
}

/* VREPRINT (IEXTEN and ECHO): the character, a newline, the line again. */
static void reprint(struct ldisc *l, uint8_t c)
{
    echo_char(l, c);
    echo(l, "\n", 1);
    l->line_col = l->column;
    for (size_t i = 0; i < l->line_len; i++)
        echo_char(l, (uint8_t)l->line[i]);
}

/* A byte in canonical mode, after the signal characters and CR mapping. */
static void canonical_input(struct ldisc *l, uint8_t c)
{
    bool iexten = lflag(l, IEXTEN);
    if (is_cc(l, VERASE, c)) {
        erase(l, c);
    } else if (is_cc(l, VKILL, c)) {
        kill_line(l, c);
    } else if (iexten && is_cc(l, VWERASE, c)) {
        erase_word(l);
    } else if (iexten && lflag(l, ECHO) && is_cc(l, VREPRINT, c)) {
        reprint(l, c);
    } else if (iexten && is_cc(l, VLNEXT, c)) {
        l->lnext = true;
        if (lflag(l, ECHO) && lflag(l, ECHOCTL))
            echo(l, "^\b", 2);  /* a caret, the cursor on it, until the byte comes */
    } else if (c == '\n') {
        if (line_finish(l, c) && (l->t.c_lflag & (ECHO | ECHONL)))
            echo(l, "\n", 1);
    } else if (is_cc(l, VEOF, c)) {
        line_finish(l, -1);     /* not echoed */
    } else if (is_cc(l, VEOL, c) || (iexten && is_cc(l, VEOL2, c))) {
        if (line_finish(l, c) && lflag(l, ECHO))
            echo_char(l, c);
    } else {
        line_add(l, c);
    }
}

/* A byte in raw mode: straight to in. Echoed as Linux does: Enter (a CR
 * that ICRNL made a newline) as a newline, a typed ^J as ^J under ECHOCTL. */
static void raw_input(struct ldisc *l, uint8_t c, bool enter)
{
    if (l->in_len == LDISC_BUF_SIZE)
        return;
    in_put(l, c);
    if (!lflag(l, ECHO))
        return;
    if (enter)
        echo(l, "\n", 1);
    else
        echo_char(l, c);
}

/* A signal character: flush the input (unless NOFLSH), then echo it as
 * Linux does: "^C", no newline (the shell prints one). */
static enum ldisc_signal signal_char(struct ldisc *l, uint8_t c, enum ldisc_signal sig)
{
    if (!lflag(l, NOFLSH))
        ldisc_flush_input(l);
    if (lflag(l, ECHO))
        echo_char(l, c);
    return sig;
}

enum ldisc_signal ldisc_input(struct ldisc *l, uint8_t c)
{
    uint32_t iflag = l->t.c_iflag;
    if (iflag & ISTRIP)
        c &= 0x7F;
    if (l->lnext) {
        l->lnext = false;
        line_add(l, c);
        return LDISC_NO_SIGNAL;
    }
    if ((iflag & IXON) && (is_cc(l, VSTART, c) || is_cc(l, VSTOP, c)))
        return LDISC_NO_SIGNAL;     /* flow control: output is never stopped here */
    if (lflag(l, ISIG)) {
        if (is_cc(l, VINTR, c))
            return signal_char(l, c, LDISC_INTR);
        if (is_cc(l, VQUIT, c))
            return signal_char(l, c, LDISC_QUIT);
        if (is_cc(l, VSUSP, c))
            return signal_char(l, c, LDISC_SUSP);
    }
    bool enter = false;
    if (c == '\r') {
        if (iflag & IGNCR)
            return LDISC_NO_SIGNAL;
        if (iflag & ICRNL) {
            c = '\n';
            enter = true;
        }
    } else if (c == '\n' && (iflag & INLCR)) {
        c = '\r';
    }
    if (lflag(l, ICANON))
        canonical_input(l, c);
    else
        raw_input(l, c, enter);
    return LDISC_NO_SIGNAL;
}

bool ldisc_read_ready(const struct ldisc *l)
{
    return lflag(l, ICANON) ? l->in_lines > 0 : l->in_len > 0;
}

size_t ldisc_read(struct ldisc *l, char *buf, size_t n)
{
    bool canonical = lflag(l, ICANON);
    size_t k = 0;
    if (canonical && n > 0 && l->in_len > 0 && bit_test(l->eof_mark, l->in_head)) {
        l->in_head = (l->in_head + 1) % LDISC_BUF_SIZE;
        l->in_len--;
        l->in_lines--;
        l->in_eofs--;
        return 0;
    }
    while (k < n && l->in_len > 0) {
        size_t i = l->in_head;
        buf[k++] = l->in[i];
        l->in_head = (i + 1) % LDISC_BUF_SIZE;
        l->in_len--;
        if (bit_test(l->line_end, i)) {
            l->in_lines--;
            if (canonical)
                break;
        }
    }
    return k;
}

size_t ldisc_readable(const struct ldisc *l)
{
    return l->in_len - l->in_eofs;
}

struct ldisc_wait ldisc_read_policy(const struct ldisc *l, size_t n)
{
    size_t min = l->t.c_cc[VMIN];
    unsigned timeout_ms = l->t.c_cc[VTIME] * 100u;     /* VTIME counts tenths of a second */
    if (lflag(l, ICANON))
        return (struct ldisc_wait){ 1, 0, false };
    if (min > n)
        min = n;
    if (timeout_ms == 0)
        return (struct ldisc_wait){ min, 0, false };
    if (l->t.c_cc[VMIN] == 0)
        return (struct ldisc_wait){ 1, timeout_ms, false };
    return (struct ldisc_wait){ min, timeout_ms, true };
}

/* Leaving canonical mode: drop the EOF marks and line ends from in, then
 * append the line being edited, so every byte typed is readable raw. The
 * shared-size rule leaves room for the line. */
static void lines_to_raw(struct ldisc *l)
{
    size_t kept = 0;
    for (size_t j = 0; j < l->in_len; j++) {
        size_t from = (l->in_head + j) % LDISC_BUF_SIZE;
        bool mark = bit_test(l->eof_mark, from);
        bit_put(l->eof_mark, from, false);
        bit_put(l->line_end, from, false);
        if (!mark)
            l->in[(l->in_head + kept++) % LDISC_BUF_SIZE] = l->in[from];
    }
    l->in_len = kept;
    l->in_lines = l->in_eofs = 0;
    for (size_t i = 0; i < l->line_len; i++)
        in_put(l, (uint8_t)l->line[i]);
    l->line_len = 0;
}

void ldisc_set_termios(struct ldisc *l, const struct termios_k *t)
{
    bool was_canonical = lflag(l, ICANON);
    l->t = *t;
    if (was_canonical == lflag(l, ICANON))
        return;
    l->lnext = false;
    if (!was_canonical) {
        /* As Linux does: the raw bytes waiting become one finished line,
         * so a read after the switch does not wait for a newline. */
        if (l->in_len > 0) {
            bit_put(l->line_end, (l->in_head + l->in_len - 1) % LDISC_BUF_SIZE, true);
            l->in_lines = 1;
        }
    } else {
        lines_to_raw(l);
    }
}

void ldisc_flush_input(struct ldisc *l)
{
    l->line_len = 0;
    l->in_head = l->in_len = 0;
    l->in_lines = l->in_eofs = 0;
    l->lnext = false;
}
