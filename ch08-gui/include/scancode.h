/*
 * scancode.h: turning PS/2 scan code set 1 bytes into key codes (keys.h).
 *
 * Pure bookkeeping, no hardware: the keyboard driver (drivers/ps2kbd.c)
 * feeds it the bytes it reads, and the host unit tests feed it bytes they
 * make up. Set 1 is what the i8042 controller delivers when it translates
 * the keyboard's native set 2, as the firmware leaves it on PCs and QEMU.
 */
#ifndef CUBOS_SCANCODE_H
#define CUBOS_SCANCODE_H

#include <stdbool.h>
#include <stdint.h>

/* Which modifiers are down, and where in a multi-byte sequence we are.
 * All false / zero is the state after power-on: nothing held, caps off. */
struct scancode_decoder {
    bool left_shift, right_shift;
    bool left_ctrl, right_ctrl;
    bool caps_lock;             /* the toggle */
    bool caps_key_down;         /* so that auto-repeat does not toggle again */
    bool extended;              /* the previous byte was the E0 prefix */
    uint8_t pause_skip;         /* bytes left of an E1 (Pause) sequence */
};

/* Reset d to the power-on state. */
void scancode_init(struct scancode_decoder *d);

/* Take the next byte from the keyboard. Returns the key it completes (keys.h),
 * or -1 if it completes none: a release, a modifier, a prefix, an unknown code. */
int scancode_feed(struct scancode_decoder *d, uint8_t code);

#endif
