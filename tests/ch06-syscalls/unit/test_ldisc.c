/*
 * test_ldisc.c: the terminal line discipline (fs/ldisc.c).
 *
 * Bytes are typed into one struct ldisc; what it echoes is captured as the
 * device would get it, and what reads return is compared with what a Linux
 * terminal gives for the same keys (the expected echoes were taken from a
 * Linux pty with the same settings).
 *
 * Covers: a canonical line and its echo, CR to NL (and IGNCR, INLCR,
 * ISTRIP), erase by DEL and by ^H as VERASE, of a ^X echo, of a tab, of a
 * UTF-8 character (one byte without IUTF8), on an empty line; word erase;
 * kill with and without ECHOKE; reprint; ^V; ^C, ^\ and ^Z with and
 * without NOFLSH and ISIG; ^D at a line's start and after text; EOL;
 * ECHONL; IXON's ^S and ^Q; short reads; lines typed ahead; raw mode; the
 * four VMIN/VTIME cases; output processing; full buffers in both modes;
 * switching ICANON both ways with input waiting.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ldisc.h"

#include "check.h"

#define SCREEN_MAX 65536

/* What the ldisc echoed since the last look. */
static struct screen {
    char bytes[SCREEN_MAX];
    size_t len;
} screen;

static struct ldisc l;

static void capture(const char *s, size_t n, void *ctx)
{
    struct screen *sc = ctx;
    if (sc->len + n > SCREEN_MAX) {
        fprintf(stderr, "screen overflow\n");
        failures++;
        return;
    }
    memcpy(sc->bytes + sc->len, s, n);
    sc->len += n;
}

static void fresh(void)
{
    ldisc_init(&l, capture, &screen);
    screen.len = 0;
}

/* Type s; the last signal any byte asked for. */
static enum ldisc_signal type_n(const char *s, size_t n)
{
    enum ldisc_signal sig = LDISC_NO_SIGNAL;
    for (size_t i = 0; i < n; i++) {
        enum ldisc_signal r = ldisc_input(&l, (uint8_t)s[i]);
        if (r != LDISC_NO_SIGNAL)
            sig = r;
    }
    return sig;
}

static enum ldisc_signal type(const char *s)
{
    return type_n(s, strlen(s));
}

static void print_escaped(const char *what, const char *s, size_t n)
{
    fprintf(stderr, "  %s \"", what);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7F && c != '\\')
            fputc(c, stderr);
        else
            fprintf(stderr, "\\x%02x", c);
    }
    fprintf(stderr, "\"\n");
}

/* Whether the echo since the last look is exactly want; then forget it. */
static bool echoed(const char *want)
{
    bool ok = screen.len == strlen(want) && memcmp(screen.bytes, want, screen.len) == 0;
    if (!ok) {
        print_escaped("echoed", screen.bytes, screen.len);
        print_escaped("wanted", want, strlen(want));
    }
    screen.len = 0;
    return ok;
}

/* Whether a read of up to n bytes returns exactly want (n bytes of it). */
static bool reads_n(size_t n, const char *want, size_t want_len)
{
    char buf[LDISC_BUF_SIZE * 2];
    if (n > sizeof(buf))
        n = sizeof(buf);
    size_t got = ldisc_read(&l, buf, n);
    bool ok = got == want_len && memcmp(buf, want, got) == 0;
    if (!ok) {
        print_escaped("read", buf, got);
        print_escaped("wanted", want, want_len);
    }
    return ok;
}

static bool reads(const char *want)
{
    return reads_n(LDISC_BUF_SIZE, want, strlen(want));
}

static void set_lflag(uint32_t on, uint32_t off)
{
    struct termios_k t = l.t;
    t.c_lflag = (t.c_lflag | on) & ~off;
    ldisc_set_termios(&l, &t);
}

static void test_defaults(void)
{
    fresh();
    /* What Linux's stty sane reports, with IUTF8 (the values devfs gave). */
    CHECK(l.t.c_iflag == (0x500 | IUTF8));
    CHECK(l.t.c_oflag == 0x5);
    CHECK(l.t.c_cflag == 0xBF);
    CHECK(l.t.c_lflag == 0x8A3B);
    CHECK(l.t.c_cc[VINTR] == 3 && l.t.c_cc[VQUIT] == 28 && l.t.c_cc[VERASE] == 127);
    CHECK(l.t.c_cc[VKILL] == 21 && l.t.c_cc[VEOF] == 4 && l.t.c_cc[VTIME] == 0);
    CHECK(l.t.c_cc[VMIN] == 1 && l.t.c_cc[VSUSP] == 26 && l.t.c_cc[VEOL] == 0);
    CHECK(l.t.c_cc[VWERASE] == 23 && l.t.c_cc[VLNEXT] == 22 && l.t.c_cc[VREPRINT] == 18);
}

static void test_canonical_line(void)
{
    fresh();
    type("hello");
    CHECK(echoed("hello"));
    CHECK(!ldisc_read_ready(&l));
    CHECK(ldisc_readable(&l) == 0);
    type("\r");                 /* Enter on a terminal sends CR; ICRNL makes it NL */
    CHECK(echoed("\r\n"));      /* the NL echoed, through ONLCR */
    CHECK(ldisc_read_ready(&l));
    CHECK(ldisc_readable(&l) == 6);
    CHECK(reads("hello\n"));
    CHECK(!ldisc_read_ready(&l));

    /* A typed NL ends a line just the same. */
    type("x\n");
    CHECK(echoed("x\r\n"));
    CHECK(reads("x\n"));
}

static void test_cr_nl_mapping(void)
{
    fresh();
    l.t.c_iflag &= ~ICRNL;
    type("a\r");                /* CR is then an ordinary control byte */
    CHECK(echoed("a^M"));
    CHECK(!ldisc_read_ready(&l));
    type("\n");
    CHECK(reads("a\r\n"));

    fresh();
    l.t.c_iflag |= IGNCR;
    type("b\r\n");
    CHECK(echoed("b\r\n"));
    CHECK(reads("b\n"));

    fresh();
    l.t.c_iflag = (l.t.c_iflag & ~ICRNL) | INLCR;
    type("c\n");                /* NL becomes CR, which does not end a line */
    CHECK(!ldisc_read_ready(&l));
    CHECK(echoed("c^M"));

    fresh();
    l.t.c_iflag |= ISTRIP;
    type("\xc1\x8d");           /* 'A' and CR with the top bit set */
    CHECK(reads("A\n"));
}

static void test_erase(void)
{
    fresh();
    type("abc\x7f\x7f");
    CHECK(echoed("abc\b \b\b \b"));
    type("\r");
    CHECK(reads("a\n"));

    /* ^H is data by default (VERASE is DEL), shown as ^H ... */
    fresh();
    type("ab\b");
    CHECK(echoed("ab^H"));
    type("\r");
    CHECK(reads("ab\b\n"));
    /* ... and erases when it is VERASE. */
    fresh();
    l.t.c_cc[VERASE] = '\b';
    type("ab\b\r");
    CHECK(reads("a\n"));

    /* A control byte echoed as ^X takes two columns back. */
    fresh();
    type("x\x01\x7f");
    CHECK(echoed("x^A\b \b\b \b"));
    type("\r");
    CHECK(reads("x\n"));

    /* Nothing to erase: nothing happens. */
    fresh();
    type("\x7f\x7f\x15\x17");
    CHECK(echoed(""));
    type("\r");
    CHECK(reads("\n"));

    /* Without ECHOE the erase character is shown instead. */
    fresh();
    l.t.c_lflag &= ~ECHOE;
    type("ab\x7f");
    CHECK(echoed("ab^?"));
    type("\r");
    CHECK(reads("a\n"));
}

static void test_erase_tab(void)
{
    fresh();
    type("ab\tc\x7f\x7f");      /* the tab went from column 2 to 8 */
    CHECK(echoed("ab\tc\b \b\b\b\b\b\b\b"));
    type("\r");
    CHECK(reads("ab\n"));

    /* After a prompt the program wrote, the line starts at its column. */
    fresh();
    char out[16];
    size_t used;
    CHECK(ldisc_output(&l, "$ ", 2, out, sizeof(out), &used) == 2 && used == 2);
    type("a\t\x7f");            /* the tab went from column 3 to 8 */
    CHECK(echoed("a\t\b\b\b\b\b"));
    CHECK(l.column == 3);
}

static void test_erase_utf8(void)
{
    fresh();
    type("x\xc3\xa9\xe2\x82\xac\x7f");  /* x, e-acute, euro sign; erase the euro */
    CHECK(echoed("x\xc3\xa9\xe2\x82\xac\b \b"));
    type("\x7f");
    CHECK(echoed("\b \b"));
    type("\r");
    CHECK(reads("x\n"));

    /* Without IUTF8 an erase takes one byte. */
    fresh();
    l.t.c_iflag &= ~IUTF8;
    type("x\xc3\xa9\x7f\r");
    CHECK(reads("x\xc3\n"));
}

static void test_word_erase(void)
{
    fresh();
    type("foo bar/baz\x17");
    CHECK(echoed("foo bar/baz\b \b\b \b\b \b"));
    type("\x17");               /* then "bar/" */
    CHECK(echoed("\b \b\b \b\b \b\b \b"));
    type("\r");
    CHECK(reads("foo \n"));

    fresh();
    type("say h\xc3\xa9llo  \x17\r");   /* trailing blanks, then a word with UTF-8 */
    CHECK(reads("say \n"));

    /* Without IEXTEN ^W is data. */
    fresh();
    l.t.c_lflag &= ~IEXTEN;
    type("a\x17\r");
    CHECK(reads("a\x17\n"));
}

static void test_kill(void)
{
    fresh();
    type("abc\x15");
    CHECK(echoed("abc\b \b\b \b\b \b"));
    type("d\r");
    CHECK(reads("d\n"));

    fresh();
    l.t.c_lflag &= ~ECHOKE;
    type("abc\x15");
    CHECK(echoed("abc^U\r\n"));
    type("\r");
    CHECK(reads("\n"));

    fresh();
    l.t.c_lflag &= ~(ECHOKE | ECHOK);
    type("abc\x15");
    CHECK(echoed("abc^U"));
}

static void test_reprint_and_eol(void)
{
    fresh();
    type("ab\x12");
    CHECK(echoed("ab^R\r\nab"));
    type("\r");
    CHECK(reads("ab\n"));

    fresh();
    l.t.c_cc[VEOL] = 0x01;
    type("ab\x01" "c");
    CHECK(echoed("ab^Ac"));
    CHECK(reads("ab\x01"));
    l.t.c_cc[VEOL2] = '@';
    type("d@");
    CHECK(reads("cd@"));

    /* VEOL 0 is disabled: a NUL byte is data. */
    fresh();
    type_n("a\0\r", 3);
    CHECK(reads_n(16, "a\0\n", 3));
}

static void test_lnext(void)
{
    fresh();
    CHECK(type("a\x16\x03") == LDISC_NO_SIGNAL);
    CHECK(echoed("a^\b^C"));
    type("\x16\x7f\x16\r\r");   /* a literal DEL and CR, then Enter */
    CHECK(reads("a\x03\x7f\r\n"));
}

static void test_signals(void)
{
    fresh();
    type("one\rtwo");
    CHECK(type("\x03") == LDISC_INTR);
    CHECK(echoed("one\r\ntwo^C"));    /* no newline: Linux leaves it to the shell */
    CHECK(!ldisc_read_ready(&l));       /* the finished line went too */
    CHECK(ldisc_readable(&l) == 0);
    type("x\r");
    CHECK(reads("x\n"));

    fresh();
    CHECK(type("\x1c") == LDISC_QUIT);
    CHECK(echoed("^\\"));
    CHECK(type("\x1a") == LDISC_SUSP);
    CHECK(echoed("^Z"));

    fresh();
    l.t.c_lflag |= NOFLSH;
    type("keep");
    CHECK(type("\x03") == LDISC_INTR);
    type("\r");
    CHECK(reads("keep\n"));

    fresh();
    l.t.c_lflag &= ~ISIG;
    CHECK(type("a\x03\x1a\r") == LDISC_NO_SIGNAL);
    CHECK(reads("a\x03\x1a\n"));

    fresh();
    l.t.c_lflag &= ~ECHO;
    CHECK(type("\x03") == LDISC_INTR);
    CHECK(echoed(""));

    /* IXON swallows ^S and ^Q; without it they are data. */
    fresh();
    type("a\x13\x11" "b\r");
    CHECK(reads("ab\n"));
    l.t.c_iflag &= ~IXON;
    type("\x13\r");
    CHECK(reads("\x13\n"));
}

static void test_eof(void)
{
    fresh();
    type("\x04");
    CHECK(echoed(""));
    CHECK(ldisc_read_ready(&l));
    CHECK(ldisc_readable(&l) == 0);
    char buf[8];
    CHECK(ldisc_read(&l, buf, 0) == 0);     /* a 0-byte read leaves the EOF */
    CHECK(ldisc_read_ready(&l));
    CHECK(reads(""));
    CHECK(!ldisc_read_ready(&l));           /* once only */
    type("later\r");
    CHECK(reads("later\n"));

    fresh();
    type("abc\x04");
    CHECK(echoed("abc"));
    CHECK(ldisc_read_ready(&l));
    CHECK(reads("abc"));
    CHECK(!ldisc_read_ready(&l));

    /* Two EOFs typed ahead: two ends of file. */
    fresh();
    type("x\x04\x04\x04");
    CHECK(reads("x"));
    CHECK(ldisc_read_ready(&l) && reads(""));
    CHECK(ldisc_read_ready(&l) && reads(""));
    CHECK(!ldisc_read_ready(&l));
}

static void test_short_reads_and_typeahead(void)
{
    fresh();
    type("abcdef\r");
    CHECK(reads_n(4, "abcd", 4));
    CHECK(ldisc_read_ready(&l));
    CHECK(reads("ef\n"));

    fresh();
    type("first\rsecond\r");
    CHECK(ldisc_readable(&l) == 13);
    CHECK(reads("first\n"));
    CHECK(reads("second\n"));
    CHECK(!ldisc_read_ready(&l));

    /* The ECHONL case: no echo but the newline. */
    fresh();
    l.t.c_lflag = (l.t.c_lflag & ~ECHO) | ECHONL;
    type("secret\r");
    CHECK(echoed("\r\n"));
    CHECK(reads("secret\n"));
}

static void test_raw(void)
{
    fresh();
    set_lflag(0, ICANON | ECHO);
    CHECK(!ldisc_read_ready(&l));
    type("a");
    CHECK(ldisc_read_ready(&l));
    type("b\x7f\x15\x04\x17");
    CHECK(echoed(""));
    CHECK(reads("ab\x7f\x15\x04\x17"));
    CHECK(!ldisc_read_ready(&l));
    type("\r");                 /* ICRNL still applies */
    CHECK(reads("\n"));
    CHECK(type("\x03") == LDISC_INTR);  /* and ISIG */

    /* Raw with echo: Enter shows as a newline, a typed ^J and other
     * control bytes as ^X. */
    fresh();
    set_lflag(0, ICANON);
    type("a\rb\x01\n");
    CHECK(echoed("a\r\nb^A^J"));
    CHECK(reads_n(2, "a\n", 2));
    CHECK(reads("b\x01\n"));
}

static void test_read_policy(void)
{
    fresh();
    struct ldisc_wait w = ldisc_read_policy(&l, 100);
    CHECK(w.min == 1 && w.timeout_ms == 0 && !w.interbyte);    /* canonical */

    set_lflag(0, ICANON);
    l.t.c_cc[VMIN] = 0;
    l.t.c_cc[VTIME] = 0;
    w = ldisc_read_policy(&l, 100);
    CHECK(w.min == 0 && w.timeout_ms == 0 && !w.interbyte);

    l.t.c_cc[VMIN] = 5;
    w = ldisc_read_policy(&l, 100);
    CHECK(w.min == 5 && w.timeout_ms == 0 && !w.interbyte);
    w = ldisc_read_policy(&l, 3);
    CHECK(w.min == 3);          /* never more than asked */

    l.t.c_cc[VMIN] = 0;
    l.t.c_cc[VTIME] = 15;
    w = ldisc_read_policy(&l, 100);
    CHECK(w.min == 1 && w.timeout_ms == 1500 && !w.interbyte);

    l.t.c_cc[VMIN] = 4;
    l.t.c_cc[VTIME] = 2;
    w = ldisc_read_policy(&l, 100);
    CHECK(w.min == 4 && w.timeout_ms == 200 && w.interbyte);

    l.t.c_cc[VMIN] = 255;
    l.t.c_cc[VTIME] = 255;
    w = ldisc_read_policy(&l, 1000);
    CHECK(w.min == 255 && w.timeout_ms == 25500 && w.interbyte);
}

static void test_output(void)
{
    fresh();
    char out[64];
    size_t used;
    size_t n = ldisc_output(&l, "a\nb\r\n", 5, out, sizeof(out), &used);
    CHECK(used == 5 && n == 7 && memcmp(out, "a\r\nb\r\r\n", 7) == 0);
    CHECK(l.column == 0);

    /* The output buffer never gets half a "\r\n". */
    n = ldisc_output(&l, "x\ny", 3, out, 2, &used);
    CHECK(n == 1 && used == 1 && out[0] == 'x');
    n = ldisc_output(&l, "\ny", 2, out, 2, &used);
    CHECK(n == 2 && used == 1 && memcmp(out, "\r\n", 2) == 0);

    l.t.c_oflag |= OCRNL;
    n = ldisc_output(&l, "a\rb", 3, out, sizeof(out), &used);
    CHECK(n == 3 && memcmp(out, "a\nb", 3) == 0);

    l.t.c_oflag &= ~OPOST;
    n = ldisc_output(&l, "a\nb\r", 4, out, sizeof(out), &used);
    CHECK(used == 4 && n == 4 && memcmp(out, "a\nb\r", 4) == 0);

    /* Echo goes through it too: without OPOST a typed Enter echoes "\n". */
    type("z\r");
    CHECK(echoed("z\n"));
}

static void test_full_buffer(void)
{
    static char many[10000];
    static char want[LDISC_BUF_SIZE];
    memset(many, 'a', sizeof(many));

    fresh();
    l.t.c_lflag &= ~ECHO;
    type_n(many, sizeof(many));
    CHECK(!ldisc_read_ready(&l));
    CHECK(l.line_len == LDISC_BUF_SIZE - 1);
    type("\r");                 /* the newline still has its room */
    memset(want, 'a', LDISC_BUF_SIZE - 1);
    want[LDISC_BUF_SIZE - 1] = '\n';
    CHECK(ldisc_readable(&l) == LDISC_BUF_SIZE);
    CHECK(reads_n(sizeof(many), want, LDISC_BUF_SIZE));
    type("ok\r");
    CHECK(reads("ok\n"));

    /* Lines waiting fill the buffer: the next line gets what is left. */
    fresh();
    l.t.c_lflag &= ~ECHO;
    type_n(many, 3000);
    type("\r");
    type_n(many, 3000);
    CHECK(l.line_len == LDISC_BUF_SIZE - 3001 - 1);
    type("\r");
    type("\x04");               /* no room for an EOF mark: dropped */
    CHECK(ldisc_readable(&l) == LDISC_BUF_SIZE);
    CHECK(reads_n(3000, many, 3000));
    CHECK(reads_n(1, "\n", 1));
    CHECK(reads_n(LDISC_BUF_SIZE - 3001 - 1, many, LDISC_BUF_SIZE - 3001 - 1));
    CHECK(reads("\n"));
    CHECK(!ldisc_read_ready(&l));

    /* Dropped bytes are not echoed. */
    fresh();
    type_n(many, sizeof(many));
    CHECK(screen.len == LDISC_BUF_SIZE - 1);
    screen.len = 0;

    fresh();
    set_lflag(0, ICANON | ECHO);
    type_n(many, sizeof(many));
    CHECK(ldisc_readable(&l) == LDISC_BUF_SIZE);
    CHECK(reads_n(sizeof(many), many, LDISC_BUF_SIZE));
}

static void test_switch_icanon(void)
{
    /* Off: the finished lines and the partial one are all readable, an EOF
     * mark is dropped. */
    fresh();
    type("one\r\x04par");
    set_lflag(0, ICANON);
    CHECK(ldisc_read_ready(&l));
    CHECK(ldisc_readable(&l) == 7);
    CHECK(reads("one\npar"));
    type("x");
    CHECK(reads("x"));

    /* On: raw bytes waiting become one line; later input is edited. */
    fresh();
    set_lflag(0, ICANON);
    type("ab\rcd");
    set_lflag(ICANON, 0);
    CHECK(ldisc_read_ready(&l));
    screen.len = 0;
    type("ef\x7f");
    CHECK(echoed("ef\b \b"));
    CHECK(reads("ab\ncd"));
    CHECK(!ldisc_read_ready(&l));
    type("\r");
    CHECK(reads("e\n"));

    /* A pending ^V does not outlive the switch. */
    fresh();
    type("\x16");
    set_lflag(0, ICANON);
    set_lflag(ICANON, 0);
    CHECK(type("\x03") == LDISC_INTR);

    /* Across the ring's wrap: lines to raw keep every byte in order. */
    fresh();
    l.t.c_lflag &= ~ECHO;
    static char chunk[3000];
    memset(chunk, 'q', sizeof(chunk));
    type_n(chunk, sizeof(chunk));
    type("\r");
    CHECK(reads_n(sizeof(chunk), chunk, sizeof(chunk)));
    CHECK(reads("\n"));
    type("\x04");
    type_n(chunk, 2000);        /* from slot 3002 on, past the end of the ring */
    type("\rtail");
    set_lflag(0, ICANON);
    CHECK(ldisc_readable(&l) == 2005);
    CHECK(reads_n(2000, chunk, 2000));
    CHECK(reads("\ntail"));
}

int main(void)
{
    test_defaults();
    test_canonical_line();
    test_cr_nl_mapping();
    test_erase();
    test_erase_tab();
    test_erase_utf8();
    test_word_erase();
    test_kill();
    test_reprint_and_eol();
    test_lnext();
    test_signals();
    test_eof();
    test_short_reads_and_typeahead();
    test_raw();
    test_read_policy();
    test_output();
    test_full_buffer();
    test_switch_icanon();
    printf("ldisc: %d failures\n", failures);
    return failures != 0;
}
