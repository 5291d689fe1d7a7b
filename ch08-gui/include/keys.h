/*
 * keys.h: what a key press means, whichever device it came from.
 *
 * Printable keys and control keys are their ASCII codes ('a', '\r', 0x03
 * for Ctrl-C, 0x7F for Backspace); keys without an ASCII code get values
 * above 0xFF. The keyboard driver (drivers/ps2kbd.c) and the serial
 * escape-sequence decoder (lib/vt100.c) both produce these, and the
 * console (kernel/console.c) consumes them.
 */
#ifndef CUBOS_KEYS_H
#define CUBOS_KEYS_H

#define KEY_CTRL(c) ((c) & 0x1F)   /* Ctrl-A is 1 ... Ctrl-Z is 26 */
#define KEY_ENTER '\r'
#define KEY_BACKSPACE 0x7F
#define KEY_ESCAPE 0x1B

enum {
    KEY_UP = 0x100,
    KEY_DOWN,
    KEY_LEFT,
    KEY_RIGHT,
    KEY_HOME,
    KEY_END,
    KEY_DELETE,
    KEY_PAGE_UP,
    KEY_PAGE_DOWN,
    KEY_INSERT,
};

#endif
