/*
 * vt100.h: decode the bytes a VT100-compatible terminal sends for key
 * presses (arrows and the editing keys arrive as escape sequences) into
 * keys (keys.h). Pure: no hardware, no globals, one decoder per input line.
 *
 * What comes out, byte by byte:
 *   ESC [ A / B / C / D          KEY_UP / KEY_DOWN / KEY_RIGHT / KEY_LEFT
 *   ESC O A / B / C / D          the same (the terminal's "application" mode)
 *   ESC [ H, ESC O H, ESC [ 1 ~, ESC [ 7 ~      KEY_HOME
 *   ESC [ F, ESC O F, ESC [ 4 ~, ESC [ 8 ~      KEY_END
 *   ESC [ 2 ~ / 3 ~ / 5 ~ / 6 ~  KEY_INSERT / KEY_DELETE / KEY_PAGE_UP / KEY_PAGE_DOWN
 *   CR, LF                       KEY_ENTER, except that an LF right after a
 *                                CR is swallowed, so "\r\n" is one Enter
 *   DEL (0x7F), BS (0x08)        KEY_BACKSPACE
 *   any other byte               itself
 * Parameters after the first (xterm's modifiers, ESC [ 1 ; 5 C for
 * Ctrl-Right) are ignored, so that is KEY_RIGHT. Any other complete
 * sequence (function keys, ESC [ 1 5 ~) is swallowed whole, and so is a
 * control string: ESC ] (OSC), ESC P (DCS), ESC _ (APC), ESC ^ (PM) or
 * ESC X (SOS), then anything, up to BEL or ST (ESC \); CAN or SUB
 * (Ctrl-X, Ctrl-Z) cancel it, and an ESC not followed by \ ends it and
 * starts a new sequence.
 *
 * Broken input: an ESC followed by a byte that starts no sequence is
 * dropped and the byte decoded on its own ("ESC x", as Alt-x is sent, gives
 * 'x'; "ESC ESC [ A" gives KEY_UP). Inside a sequence, a byte that cannot
 * continue it (a control byte such as CR or ESC, a byte above 0x7E, or after
 * ESC O anything but a final byte 0x40..0x7E) ends the sequence unfinished
 * and is decoded on its own, so a broken sequence never swallows more than
 * itself. The Escape key alone gives nothing: without a clock the decoder
 * cannot tell it from the first byte of a sequence.
 */
#ifndef CUBOS_VT100_H
#define CUBOS_VT100_H

#include <stdbool.h>

#define VT100_NO_KEY (-1)     /* the byte was part of a sequence, or swallowed */

enum vt100_state {
    VT100_GROUND,             /* between sequences */
    VT100_ESCAPE,             /* after ESC */
    VT100_CSI,                /* after ESC [ (control sequence introducer) */
    VT100_SS3,                /* after ESC O (single shift 3) */
    VT100_STRING,             /* inside a control string (OSC, DCS, APC, PM, SOS) */
    VT100_STRING_ESC,         /* after ESC inside one: ST if a backslash follows */
};

struct vt100_decoder {
    enum vt100_state state;
    unsigned param;           /* the first numeric parameter of ESC [ */
    bool param_done;          /* a ';' ended the first parameter */
    bool after_cr;            /* the previous byte was CR: an LF now is its pair */
};

/* Make d ready for the first byte (a zero-filled decoder is ready too). */
void vt100_init(struct vt100_decoder *d);

/* Take one byte from the terminal. Returns the key it completes (keys.h)
 * or VT100_NO_KEY. */
int vt100_feed(struct vt100_decoder *d, unsigned char byte);

#endif
