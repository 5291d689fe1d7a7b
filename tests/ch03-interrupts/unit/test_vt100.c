/*
 * test_vt100.c: the terminal input decoder (lib/vt100.c) on the byte
 * sequences real terminals send (xterm, VTE, rxvt, the Linux console,
 * PuTTY), on Enter in its three spellings, and on broken sequences, which
 * must cost no more than themselves.
 * Built with -fsanitize=address,undefined.
 */
#include <stdio.h>
#include <string.h>

#include "keys.h"
#include "vt100.h"

#include "check.h"

#define MAX_KEYS 64

/* Feed the bytes of s to d; store the keys it returns, in order. */
static size_t feed(struct vt100_decoder *d, const char *s, int *keys)
{
    size_t n = 0;
    for (; *s; s++) {
        int key = vt100_feed(d, (unsigned char)*s);
        CHECK(key == VT100_NO_KEY || key >= 0);
        if (key != VT100_NO_KEY && n < MAX_KEYS)
            keys[n++] = key;
    }
    return n;
}

/* Decoding s from a fresh decoder gives exactly the keys in want[0..nwant). */
static int decodes(const char *s, const int *want, size_t nwant)
{
    struct vt100_decoder d;
    int keys[MAX_KEYS];
    vt100_init(&d);
    size_t n = feed(&d, s, keys);
    if (n == nwant && (n == 0 || memcmp(keys, want, n * sizeof(int)) == 0))
        return 1;
    fprintf(stderr, "  decoding \"");
    for (const char *p = s; *p; p++)
        fprintf(stderr, (unsigned char)*p < 0x20 ? "\\x%02x" : "%c", (unsigned char)*p);
    fprintf(stderr, "\" gave");
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, " %#x", keys[i]);
    fprintf(stderr, "\n");
    return 0;
}

#define KEYS(...) ((const int[]){ __VA_ARGS__ }), sizeof((const int[]){ __VA_ARGS__ }) / sizeof(int)
#define NO_KEYS NULL, 0

static void test_single_sequences(void)
{
    static const struct {
        const char *bytes;
        int key;
    } table[] = {
        { "\x1b[A", KEY_UP },        { "\x1b[B", KEY_DOWN },
        { "\x1b[C", KEY_RIGHT },     { "\x1b[D", KEY_LEFT },
        { "\x1bOA", KEY_UP },        { "\x1bOB", KEY_DOWN },
        { "\x1bOC", KEY_RIGHT },     { "\x1bOD", KEY_LEFT },
        { "\x1b[H", KEY_HOME },      { "\x1b[F", KEY_END },
        { "\x1bOH", KEY_HOME },      { "\x1bOF", KEY_END },
        { "\x1b[1~", KEY_HOME },     { "\x1b[7~", KEY_HOME },
        { "\x1b[4~", KEY_END },      { "\x1b[8~", KEY_END },
        { "\x1b[2~", KEY_INSERT },   { "\x1b[3~", KEY_DELETE },
        { "\x1b[5~", KEY_PAGE_UP },  { "\x1b[6~", KEY_PAGE_DOWN },
        { "\x1b[1;5C", KEY_RIGHT },  /* xterm Ctrl-Right: the modifier is dropped */
        { "\x1b[3;2~", KEY_DELETE }, /* Shift-Delete */
        { "\r", KEY_ENTER },         { "\n", KEY_ENTER },
        { "\x7f", KEY_BACKSPACE },   { "\b", KEY_BACKSPACE },
        { "a", 'a' },                { "~", '~' },
        { "[", '[' },                { "O", 'O' },
        { "\x03", KEY_CTRL('C') },   { "\x01", KEY_CTRL('A') },
        { "\t", '\t' },              { "\xe9", 0xE9 },
    };
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        CHECK(decodes(table[i].bytes, &table[i].key, 1));
}

static void test_enter(void)
{
    CHECK(decodes("\r\n", KEYS(KEY_ENTER)));
    CHECK(decodes("a\r\nb", KEYS('a', KEY_ENTER, 'b')));
    CHECK(decodes("\r\r", KEYS(KEY_ENTER, KEY_ENTER)));
    CHECK(decodes("\n\n", KEYS(KEY_ENTER, KEY_ENTER)));
    CHECK(decodes("\r\n\n", KEYS(KEY_ENTER, KEY_ENTER)));   /* only one LF pairs with the CR */
    CHECK(decodes("\n\r", KEYS(KEY_ENTER, KEY_ENTER)));
    CHECK(decodes("\rx\n", KEYS(KEY_ENTER, 'x', KEY_ENTER)));
    CHECK(decodes("\r\x1b[A\n", KEYS(KEY_ENTER, KEY_UP, KEY_ENTER)));
}

/* The serial interrupt may see a sequence in pieces; the decoder keeps state between calls. */
static void test_split_across_calls(void)
{
    struct vt100_decoder d;
    int keys[MAX_KEYS];
    vt100_init(&d);
    CHECK(feed(&d, "x\x1b", keys) == 1 && keys[0] == 'x');
    CHECK(feed(&d, "[", keys) == 0);
    CHECK(feed(&d, "3", keys) == 0);
    CHECK(feed(&d, "~", keys) == 1 && keys[0] == KEY_DELETE);
    CHECK(feed(&d, "\r", keys) == 1 && keys[0] == KEY_ENTER);
    CHECK(feed(&d, "\n", keys) == 0);
    CHECK(feed(&d, "\x1bO", keys) == 0);
    CHECK(feed(&d, "H", keys) == 1 && keys[0] == KEY_HOME);

    /* A zero-filled decoder works without vt100_init. */
    struct vt100_decoder z;
    memset(&z, 0, sizeof(z));
    CHECK(feed(&z, "\x1b[Bq", keys) == 2 && keys[0] == KEY_DOWN && keys[1] == 'q');
}

static void test_sequences_in_a_row(void)
{
    CHECK(decodes("\x1b[A\x1b[A\x1b[B", KEYS(KEY_UP, KEY_UP, KEY_DOWN)));
    CHECK(decodes("ls\x1b[D\x1b[Dx\r", KEYS('l', 's', KEY_LEFT, KEY_LEFT, 'x', KEY_ENTER)));
}

static void test_unknown_and_broken(void)
{
    /* Well-formed but unknown: swallowed whole, nothing after it lost. */
    CHECK(decodes("\x1b[15~z", KEYS('z')));             /* F5 */
    CHECK(decodes("\x1b[~z", KEYS('z')));
    CHECK(decodes("\x1b[Zz", KEYS('z')));               /* Shift-Tab */
    CHECK(decodes("\x1bOPz", KEYS('z')));               /* F1 */
    CHECK(decodes("\x1b[?1;2 qz", KEYS('z')));          /* private and intermediate bytes */
    CHECK(decodes("\x1b[99999999999999999999~z", KEYS('z')));

    /* ESC before an ordinary byte: the ESC is dropped, the byte kept. */
    CHECK(decodes("\x1bx", KEYS('x')));
    CHECK(decodes("\x1b\r", KEYS(KEY_ENTER)));
    CHECK(decodes("\x1b\x7f", KEYS(KEY_BACKSPACE)));
    CHECK(decodes("\x1b\x1b[A", KEYS(KEY_UP)));
    CHECK(decodes("\x1b", NO_KEYS));                    /* held: it may start a sequence */

    /* A byte that cannot continue a sequence ends it and counts on its own. */
    CHECK(decodes("\x1b[1\rz", KEYS(KEY_ENTER, 'z')));
    CHECK(decodes("\x1b[\x1b[C", KEYS(KEY_RIGHT)));
    CHECK(decodes("\x1b[3\x7f", KEYS(KEY_BACKSPACE)));
    CHECK(decodes("\x1bO\x1b[D", KEYS(KEY_LEFT)));
    CHECK(decodes("\x1bO5", KEYS('5')));
    CHECK(decodes("\x1b[\xe9", KEYS(0xE9)));
}

/* Control strings (ECMA-48 8.3: OSC, DCS, APC, PM, SOS) carry text for the
 * terminal, not keys: swallowed whole, up to BEL or ST (ESC \\), however
 * long, with nothing after them lost. */
static void test_control_strings(void)
{
    CHECK(decodes("\x1b]0;title\ax", KEYS('x')));              /* OSC ended by BEL (xterm) */
    CHECK(decodes("\x1b]0;title\x1b\\x", KEYS('x')));        /* OSC ended by ST */
    CHECK(decodes("\x1bP1$r0m\x1b\\x", KEYS('x')));          /* DCS, as a DECRQSS reply */
    CHECK(decodes("\x1b_apc\x1b\\x", KEYS('x')));            /* APC */
    CHECK(decodes("\x1b^pm\ax", KEYS('x')));                   /* PM */
    CHECK(decodes("\x1bXsos\x1b\\x", KEYS('x')));            /* SOS */
    CHECK(decodes("\x1b]11;rgb:0000/0000/0000\x1b\\\x1b[A", KEYS(KEY_UP)));
    /* Control bytes and Enter inside the string are part of it. */
    CHECK(decodes("\x1b]2;a\rb\n\x7f\ax", KEYS('x')));
    /* CAN and SUB cancel the string (ECMA-48 8.3.6, 8.3.148); so does an
     * ESC that does not start ST, which then begins a sequence of its own. */
    CHECK(decodes("\x1b]0;t\x18x", KEYS('x')));
    CHECK(decodes("\x1bPq\x1ax", KEYS('x')));
    CHECK(decodes("\x1b]0;t\x1b[Dx", KEYS(KEY_LEFT, 'x')));
    /* Unterminated: nothing comes out yet. */
    CHECK(decodes("\x1b]0;no end", NO_KEYS));

    /* A string split across calls, as the serial interrupt may see it. */
    struct vt100_decoder d;
    int keys[MAX_KEYS];
    vt100_init(&d);
    CHECK(feed(&d, "\x1b]0;ti", keys) == 0);
    CHECK(feed(&d, "tle\x1b", keys) == 0);
    CHECK(feed(&d, "\\", keys) == 0);
    CHECK(feed(&d, "ok", keys) == 2 && keys[0] == 'o' && keys[1] == 'k');
    char longer[3000] = "\x1bP";
    memset(longer + 2, 'q', sizeof(longer) - 6);
    memcpy(longer + sizeof(longer) - 4, "\x1b\\z", 4);
    CHECK(decodes(longer, KEYS('z')));
}

int main(void)
{
    test_single_sequences();
    test_enter();
    test_split_across_calls();
    test_sequences_in_a_row();
    test_unknown_and_broken();
    test_control_strings();
    printf("vt100: %d failures\n", failures);
    return failures != 0;
}
