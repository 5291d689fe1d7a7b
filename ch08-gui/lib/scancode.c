/*
 * scancode.c: PS/2 scan code set 1, US layout, decoded into key codes.
 *
 * In set 1 (OSDev wiki "PS/2 Keyboard", "Scan Code Set 1") a key press
 * sends its make code and the release sends the same code with bit 7 set.
 * Keys added after the original PC keyboard (arrows, right Ctrl, keypad
 * Enter) send the prefix E0 first. Two oddities must not leak into the
 * modifier state:
 *   - Print Screen, and the arrow keys while Num Lock or Shift is active,
 *     wrap themselves in "fake shifts" E0 2A / E0 AA / E0 36 / E0 B6;
 *     every E0-prefixed shift code is ignored here.
 *   - Pause sends E1 1D 45 E1 9D C5 on press and nothing on release; its
 *     1D would otherwise read as Ctrl, so the two bytes after each E1 are
 *     skipped.
 * Alt, the Windows keys and the numeric keypad (except its Enter) produce
 * no key.
 */
#include <stdbool.h>
#include <stdint.h>

#include "keys.h"
#include "scancode.h"

#define SC_RELEASE 0x80         /* bit 7: the key went up */
#define SC_PREFIX_EXTENDED 0xE0
#define SC_PREFIX_PAUSE 0xE1
#define SC_PAUSE_TAIL 2         /* bytes after each E1 of the Pause sequence */

/* Make codes of the keys that change state instead of typing. */
#define SC_LEFT_CTRL 0x1D       /* also right Ctrl after E0 */
#define SC_LEFT_SHIFT 0x2A
#define SC_RIGHT_SHIFT 0x36
#define SC_CAPS_LOCK 0x3A

/* Make codes after E0. */
#define SC_E0_KEYPAD_ENTER 0x1C
#define SC_E0_HOME 0x47
#define SC_E0_UP 0x48
#define SC_E0_PAGE_UP 0x49
#define SC_E0_LEFT 0x4B
#define SC_E0_RIGHT 0x4D
#define SC_E0_END 0x4F
#define SC_E0_DOWN 0x50
#define SC_E0_PAGE_DOWN 0x51
#define SC_E0_INSERT 0x52
#define SC_E0_DELETE 0x53

/*
 * What make codes 0x00-0x39 type, without and with Shift; "\0" marks codes
 * that type nothing (unused, modifiers, keypad '*'). Each line of the
 * literal is one row of the keyboard, starting at the code in the comment.
 */
static const char plain[] =
    "\0" "\x1b" "1234567890-=" "\x7f" "\t"     /* 0x00: none, Esc, digit row, Backspace, Tab */
    "qwertyuiop[]" "\r" "\0"                   /* 0x10: top row, Enter, left Ctrl */
    "asdfghjkl;'`" "\0" "\\"                   /* 0x1E: home row, left Shift, backslash */
    "zxcvbnm,./" "\0" "\0" "\0" " ";           /* 0x2C: bottom row, right Shift, *, Alt, space */

static const char shifted[] =
    "\0" "\x1b" "!@#$%^&*()_+" "\x7f" "\t"
    "QWERTYUIOP{}" "\r" "\0"
    "ASDFGHJKL:\"~" "\0" "|"
    "ZXCVBNM<>?" "\0" "\0" "\0" " ";

_Static_assert(sizeof(plain) == 0x3A + 1, "one entry per make code 0x00-0x39");
_Static_assert(sizeof(shifted) == sizeof(plain), "the two tables line up");

void scancode_init(struct scancode_decoder *d)
{
    *d = (struct scancode_decoder){0};
}

/* The key an E0-prefixed make code stands for, or -1. */
static int extended_key(uint8_t make)
{
    switch (make) {
    case SC_E0_KEYPAD_ENTER: return KEY_ENTER;
    case SC_E0_HOME: return KEY_HOME;
    case SC_E0_UP: return KEY_UP;
    case SC_E0_PAGE_UP: return KEY_PAGE_UP;
    case SC_E0_LEFT: return KEY_LEFT;
    case SC_E0_RIGHT: return KEY_RIGHT;
    case SC_E0_END: return KEY_END;
    case SC_E0_DOWN: return KEY_DOWN;
    case SC_E0_PAGE_DOWN: return KEY_PAGE_DOWN;
    case SC_E0_INSERT: return KEY_INSERT;
    case SC_E0_DELETE: return KEY_DELETE;
    default: return -1;         /* fake shifts, Print Screen, right Alt, ... */
    }
}

/* The key a plain make code types under the current modifiers, or -1. */
static int typed_key(const struct scancode_decoder *d, uint8_t make)
{
    if (make >= sizeof(plain) - 1 || plain[make] == '\0')
        return -1;
    char c = plain[make];
    bool is_letter = c >= 'a' && c <= 'z';
    bool shift = d->left_shift || d->right_shift;
    if (is_letter && (d->left_ctrl || d->right_ctrl))
        return KEY_CTRL(c);
    /* Caps Lock only changes letters: Caps plus Shift types lower case. */
    bool use_shifted = is_letter ? shift != d->caps_lock : shift;
    return use_shifted ? shifted[make] : c;
}

int scancode_feed(struct scancode_decoder *d, uint8_t code)
{
    if (d->pause_skip > 0) {
        d->pause_skip--;
        return -1;
    }
    if (code == SC_PREFIX_PAUSE) {
        d->pause_skip = SC_PAUSE_TAIL;
        d->extended = false;
        return -1;
    }
    if (code == SC_PREFIX_EXTENDED) {
        d->extended = true;
        return -1;
    }

    bool extended = d->extended;
    bool pressed = !(code & SC_RELEASE);
    uint8_t make = code & ~SC_RELEASE;
    d->extended = false;

    if (make == SC_LEFT_CTRL) {
        if (extended)
            d->right_ctrl = pressed;
        else
            d->left_ctrl = pressed;
        return -1;
    }
    if (extended)
        return pressed ? extended_key(make) : -1;

    switch (make) {
    case SC_LEFT_SHIFT:
        d->left_shift = pressed;
        return -1;
    case SC_RIGHT_SHIFT:
        d->right_shift = pressed;
        return -1;
    case SC_CAPS_LOCK:
        if (pressed && !d->caps_key_down)
            d->caps_lock = !d->caps_lock;
        d->caps_key_down = pressed;
        return -1;
    }
    return pressed ? typed_key(d, make) : -1;
}
