/*
 * test_scancode.c: the scan code set 1 decoder (lib/scancode.c) on byte
 * streams a PS/2 keyboard sends through the i8042: every key class it
 * decodes, every modifier, and the prefixes and fake shifts that must not
 * leak into the keys that follow.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "keys.h"
#include "scancode.h"

#include "check.h"

#define RELEASE(make) ((make) | 0x80)

#define MAX_KEYS 64

/* The keys a byte stream produced, in order. */
struct keys {
    int key[MAX_KEYS];
    size_t n;
};

static struct keys feed_all(struct scancode_decoder *d, const uint8_t *codes, size_t n)
{
    struct keys k = {.n = 0};
    for (size_t i = 0; i < n; i++) {
        int key = scancode_feed(d, codes[i]);
        if (key != -1 && k.n < MAX_KEYS)
            k.key[k.n++] = key;
    }
    return k;
}

/* FEED(d, byte, ...): the keys those bytes produce. */
#define FEED(d, ...)                                                          \
    feed_all((d), (const uint8_t[]){__VA_ARGS__},                             \
             sizeof((const uint8_t[]){__VA_ARGS__}))

/* True if the stream produced exactly the one key expected. */
static int one_key(struct keys k, int expected)
{
    return k.n == 1 && k.key[0] == expected;
}

/* Press and release a key; the one key it types. */
static int tap(struct scancode_decoder *d, uint8_t make)
{
    struct keys k = FEED(d, make, RELEASE(make));
    return k.n == 1 ? k.key[0] : -1;
}

/* Rows of the US layout: first make code, unshifted and shifted characters. */
static const struct {
    uint8_t first;
    const char *plain, *shifted;
} rows[] = {
    {0x02, "1234567890-=", "!@#$%^&*()_+"},
    {0x10, "qwertyuiop[]", "QWERTYUIOP{}"},
    {0x1E, "asdfghjkl;'`", "ASDFGHJKL:\"~"},
    {0x2B, "\\zxcvbnm,./", "|ZXCVBNM<>?"},
};

static void test_every_printable_key(void)
{
    struct scancode_decoder d;
    scancode_init(&d);
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        size_t len = strlen(rows[r].plain);
        for (size_t i = 0; i < len; i++) {
            uint8_t make = (uint8_t)(rows[r].first + i);
            CHECK(tap(&d, make) == rows[r].plain[i]);
            CHECK(one_key(FEED(&d, 0x2A, make, RELEASE(make), 0xAA), rows[r].shifted[i]));
            CHECK(one_key(FEED(&d, 0x36, make, RELEASE(make), 0xB6), rows[r].shifted[i]));
        }
    }
    CHECK(tap(&d, 0x39) == ' ');
}

static void test_control_keys(void)
{
    struct scancode_decoder d;
    scancode_init(&d);
    CHECK(tap(&d, 0x1C) == KEY_ENTER);
    CHECK(KEY_ENTER == '\r');
    CHECK(one_key(FEED(&d, 0xE0, 0x1C, 0xE0, 0x9C), KEY_ENTER));   /* keypad Enter */
    CHECK(tap(&d, 0x0E) == KEY_BACKSPACE);
    CHECK(tap(&d, 0x0F) == '\t');
    CHECK(tap(&d, 0x01) == KEY_ESCAPE);
    /* Shift does not change them. */
    CHECK(one_key(FEED(&d, 0x2A, 0x1C, 0x9C, 0xAA), KEY_ENTER));
    CHECK(one_key(FEED(&d, 0x2A, 0x0F, 0x8F, 0xAA), '\t'));
}

static void test_press_and_release(void)
{
    struct scancode_decoder d;
    scancode_init(&d);
    CHECK(scancode_feed(&d, 0x1E) == 'a');
    CHECK(scancode_feed(&d, RELEASE(0x1E)) == -1);
    /* Auto-repeat sends the make code again; each one is a key. */
    CHECK(FEED(&d, 0x1E, 0x1E, 0x1E, 0x9E).n == 3);
}

static void test_shift(void)
{
    struct scancode_decoder d;
    scancode_init(&d);
    CHECK(scancode_feed(&d, 0x2A) == -1);       /* modifiers type nothing */
    CHECK(tap(&d, 0x1E) == 'A');
    CHECK(scancode_feed(&d, 0xAA) == -1);
    CHECK(tap(&d, 0x1E) == 'a');

    /* Both shifts down, one released: still shifted. */
    FEED(&d, 0x2A, 0x36, 0xAA);
    CHECK(tap(&d, 0x02) == '!');
    FEED(&d, 0xB6);
    CHECK(tap(&d, 0x02) == '1');
}

static void test_caps_lock(void)
{
    struct scancode_decoder d;
    scancode_init(&d);
    CHECK(FEED(&d, 0x3A, 0xBA).n == 0);
    CHECK(tap(&d, 0x1E) == 'A');
    CHECK(tap(&d, 0x02) == '1');                /* letters only */
    CHECK(tap(&d, 0x1A) == '[');

    FEED(&d, 0x2A);                             /* caps and shift cancel */
    CHECK(tap(&d, 0x1E) == 'a');
    CHECK(tap(&d, 0x02) == '!');                /* shift still shifts digits */
    FEED(&d, 0xAA);

    /* Holding Caps Lock repeats its make code: that is one toggle, not four. */
    FEED(&d, 0x3A, 0x3A, 0x3A, 0x3A, 0xBA);
    CHECK(tap(&d, 0x1E) == 'a');
    FEED(&d, 0x3A, 0xBA);
    CHECK(tap(&d, 0x1E) == 'A');

    scancode_init(&d);
    CHECK(tap(&d, 0x1E) == 'a');
}

static void test_ctrl(void)
{
    struct scancode_decoder d;
    scancode_init(&d);
    CHECK(one_key(FEED(&d, 0x1D, 0x2E, 0xAE, 0x9D), KEY_CTRL('c')));
    CHECK(KEY_CTRL('c') == 3);
    CHECK(tap(&d, 0x2E) == 'c');                /* released */

    /* Right Ctrl is E0 1D; releasing left Ctrl does not release it. */
    FEED(&d, 0xE0, 0x1D);
    CHECK(tap(&d, 0x1E) == KEY_CTRL('a'));
    FEED(&d, 0x1D, 0x9D);
    CHECK(tap(&d, 0x16) == KEY_CTRL('u'));
    FEED(&d, 0xE0, 0x9D);
    CHECK(tap(&d, 0x16) == 'u');

    /* Shift or Caps Lock do not change a control character. */
    CHECK(one_key(FEED(&d, 0x1D, 0x2A, 0x12, 0x92, 0xAA, 0x9D), KEY_CTRL('e')));
    FEED(&d, 0x3A, 0xBA);
    CHECK(one_key(FEED(&d, 0x1D, 0x12, 0x92, 0x9D), KEY_CTRL('e')));
    FEED(&d, 0x3A, 0xBA);

    /* Ctrl with a non-letter types the character as it is. */
    CHECK(one_key(FEED(&d, 0x1D, 0x02, 0x82, 0x9D), '1'));
}

static void test_extended_keys(void)
{
    static const struct {
        uint8_t make;
        int key;
    } e0[] = {
        {0x48, KEY_UP}, {0x50, KEY_DOWN}, {0x4B, KEY_LEFT}, {0x4D, KEY_RIGHT},
        {0x47, KEY_HOME}, {0x4F, KEY_END}, {0x53, KEY_DELETE}, {0x52, KEY_INSERT},
        {0x49, KEY_PAGE_UP}, {0x51, KEY_PAGE_DOWN},
    };
    struct scancode_decoder d;
    scancode_init(&d);
    for (size_t i = 0; i < sizeof(e0) / sizeof(e0[0]); i++) {
        CHECK(scancode_feed(&d, 0xE0) == -1);
        CHECK(scancode_feed(&d, e0[i].make) == e0[i].key);
        CHECK(scancode_feed(&d, 0xE0) == -1);
        CHECK(scancode_feed(&d, RELEASE(e0[i].make)) == -1);
    }
    /* With Shift held the arrows still are arrows. */
    CHECK(one_key(FEED(&d, 0x2A, 0xE0, 0x4B, 0xE0, 0xCB, 0xAA), KEY_LEFT));
}

static void test_prefixes_do_not_leak(void)
{
    struct scancode_decoder d;
    scancode_init(&d);
    /* The prefix applies to one byte only. */
    struct keys k = FEED(&d, 0xE0, 0x48, 0x1E);
    CHECK(k.n == 2 && k.key[0] == KEY_UP && k.key[1] == 'a');
    k = FEED(&d, 0xE0, 0xC8, 0x1E, 0x9E);
    CHECK(k.n == 1 && k.key[0] == 'a');
    /* Without its prefix, 0x48 is keypad 8, which is not decoded. */
    CHECK(scancode_feed(&d, 0x48) == -1);

    /* Print Screen: E0 2A E0 37, released E0 B7 E0 AA. No key, no shift. */
    CHECK(FEED(&d, 0xE0, 0x2A, 0xE0, 0x37, 0xE0, 0xB7, 0xE0, 0xAA).n == 0);
    CHECK(tap(&d, 0x1E) == 'a');

    /* The same with Shift held: the fake shift release must not drop it. */
    FEED(&d, 0x2A);
    CHECK(FEED(&d, 0xE0, 0xAA, 0xE0, 0x37, 0xE0, 0xB7, 0xE0, 0x2A).n == 0);
    CHECK(tap(&d, 0x1E) == 'A');
    FEED(&d, 0xAA);
    CHECK(tap(&d, 0x1E) == 'a');

    /* An arrow under Num Lock comes wrapped in fake shifts. */
    CHECK(one_key(FEED(&d, 0xE0, 0x2A, 0xE0, 0x48, 0xE0, 0xC8, 0xE0, 0xAA), KEY_UP));
    CHECK(tap(&d, 0x1E) == 'a');
    CHECK(one_key(FEED(&d, 0xE0, 0x36, 0xE0, 0x4D, 0xE0, 0xCD, 0xE0, 0xB6), KEY_RIGHT));
    CHECK(tap(&d, 0x1E) == 'a');

    /* Fake shifts change nothing, even where they do not come in pairs:
     * Shift held, Home pressed (the keyboard fakes a Shift release), Shift
     * let go, then Home let go (the keyboard fakes the Shift press back). */
    FEED(&d, 0xE0, 0x2A);
    CHECK(tap(&d, 0x1E) == 'a');
    FEED(&d, 0xE0, 0xAA);
    CHECK(one_key(FEED(&d, 0x2A, 0xE0, 0xAA, 0xE0, 0x47), KEY_HOME));
    CHECK(tap(&d, 0x1E) == 'A');
    FEED(&d, 0xAA, 0xE0, 0xC7, 0xE0, 0x2A);
    CHECK(tap(&d, 0x1E) == 'a');
}

static void test_pause_ignored(void)
{
    struct scancode_decoder d;
    scancode_init(&d);
    CHECK(FEED(&d, 0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5).n == 0);
    CHECK(tap(&d, 0x2E) == 'c');                /* its 1D did not press Ctrl */
    /* Twice in a row, then a key. */
    struct keys k = FEED(&d, 0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5,
                         0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5, 0x1E);
    CHECK(one_key(k, 'a'));
    /* Ctrl held through Pause stays held. */
    FEED(&d, 0x1D);
    FEED(&d, 0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5);
    CHECK(tap(&d, 0x2E) == KEY_CTRL('c'));
    FEED(&d, 0x9D);
    CHECK(tap(&d, 0x2E) == 'c');
}

static void test_ignored_codes(void)
{
    struct scancode_decoder d;
    scancode_init(&d);
    CHECK(one_key(FEED(&d, 0x38, 0x1E, 0x9E, 0xB8), 'a'));        /* Alt is ignored */
    CHECK(FEED(&d, 0xE0, 0x38, 0xE0, 0xB8).n == 0);              /* right Alt */
    CHECK(tap(&d, 0x3B) == -1);                 /* F1 */
    CHECK(tap(&d, 0x58) == -1);                 /* F12 */
    CHECK(tap(&d, 0x37) == -1);                 /* keypad * */
    CHECK(tap(&d, 0x7F) == -1);
    CHECK(FEED(&d, 0xE0, 0x5B, 0xE0, 0xDB).n == 0);              /* left Windows key */
    /* Controller and keyboard replies: ACK, resend, errors. */
    CHECK(FEED(&d, 0xFA, 0xFE, 0x00, 0xFF).n == 0);
    CHECK(tap(&d, 0x1E) == 'a');
}

int main(void)
{
    test_every_printable_key();
    test_control_keys();
    test_press_and_release();
    test_shift();
    test_caps_lock();
    test_ctrl();
    test_extended_keys();
    test_prefixes_do_not_leak();
    test_pause_ignored();
    test_ignored_codes();
    printf("scancode: %d failures\n", failures);
    return failures != 0;
}
