/*
 * vt100.c: turn the bytes a terminal sends into keys (see vt100.h for the
 * table of what decodes to what).
 *
 * A terminal sends a plain key as its ASCII byte and an editing key as an
 * escape sequence: ESC [ (CSI), optional parameter bytes, and one final byte
 * (ECMA-48 section 5.4: parameters 0x30..0x3F, intermediates 0x20..0x2F,
 * final 0x40..0x7E), or ESC O and one byte (SS3). A terminal may also send
 * a control string (ECMA-48 8.3: OSC, DCS, APC, PM, SOS), such as the reply
 * to a query or text pasted with escapes in it: that is for the program,
 * never a key, and is swallowed up to its terminator. The bytes arrive one
 * per call, from the serial interrupt, so the decoder is a small state
 * machine that remembers where it is in a sequence between calls.
 */
#include <stdbool.h>

#include "keys.h"
#include "vt100.h"

#define ESC 0x1B
#define BS 0x08
#define BEL 0x07                    /* ends an OSC for xterm and most terminals */
#define CAN 0x18                    /* cancels a sequence (ECMA-48 8.3.6) */
#define SUB 0x1A                    /* the same (ECMA-48 8.3.148) */

#define CSI_INTRO '['
#define SS3_INTRO 'O'
#define CSI_PARAM_SEPARATOR ';'
#define CSI_TILDE '~'               /* final byte of the "ESC [ n ~" editing keys */
#define ST_FINAL '\\'                /* ESC \ is ST, the string terminator (ECMA-48 8.3.143) */

/* ESC and one of these opens a control string (ECMA-48 5.3, the 7-bit
 * forms of DCS, SOS, OSC, PM and APC). */
#define DCS_INTRO 'P'
#define SOS_INTRO 'X'
#define OSC_INTRO ']'
#define PM_INTRO '^'
#define APC_INTRO '_'

/* ECMA-48 5.4: byte ranges inside a control sequence. */
#define SEQ_BYTE_FIRST 0x20         /* intermediates 0x20..0x2F, parameters 0x30..0x3F */
#define FINAL_BYTE_FIRST 0x40
#define FINAL_BYTE_LAST 0x7E

/* No key code has more digits; stop growing so a flood of digits cannot overflow. */
#define PARAM_CAP 1000

/* The keys of "ESC [ n ~" (VT220 and xterm numbering; 7 and 8 are rxvt's). */
static int tilde_key(unsigned param)
{
    switch (param) {
    case 1:
    case 7:
        return KEY_HOME;
    case 2:
        return KEY_INSERT;
    case 3:
        return KEY_DELETE;
    case 4:
    case 8:
        return KEY_END;
    case 5:
        return KEY_PAGE_UP;
    case 6:
        return KEY_PAGE_DOWN;
    default:
        return VT100_NO_KEY;
    }
}

/* The keys of "ESC [ x" and "ESC O x" for a final letter x. */
static int letter_key(unsigned char final)
{
    switch (final) {
    case 'A':
        return KEY_UP;
    case 'B':
        return KEY_DOWN;
    case 'C':
        return KEY_RIGHT;
    case 'D':
        return KEY_LEFT;
    case 'H':
        return KEY_HOME;
    case 'F':
        return KEY_END;
    default:
        return VT100_NO_KEY;
    }
}

/* A byte outside any sequence (d->state is VT100_GROUND). */
static int decode_plain(struct vt100_decoder *d, unsigned char byte)
{
    bool after_cr = d->after_cr;

    d->after_cr = byte == '\r';
    switch (byte) {
    case '\r':
        return KEY_ENTER;
    case '\n':
        /* Terminals send Enter as CR, CR LF or LF: one key in each case. */
        return after_cr ? VT100_NO_KEY : KEY_ENTER;
    case 0x7F:
    case BS:
        return KEY_BACKSPACE;
    case ESC:
        d->state = VT100_ESCAPE;
        return VT100_NO_KEY;
    default:
        return byte;
    }
}

/* The byte after ESC [: collect the first parameter until the final byte. */
static int decode_csi(struct vt100_decoder *d, unsigned char byte)
{
    if (byte >= '0' && byte <= '9') {
        if (!d->param_done && d->param < PARAM_CAP)
            d->param = d->param * 10 + (byte - '0');
        return VT100_NO_KEY;
    }
    if (byte == CSI_PARAM_SEPARATOR) {
        d->param_done = true;
        return VT100_NO_KEY;
    }
    if (byte >= FINAL_BYTE_FIRST && byte <= FINAL_BYTE_LAST) {
        d->state = VT100_GROUND;
        return byte == CSI_TILDE ? tilde_key(d->param) : letter_key(byte);
    }
    if (byte >= SEQ_BYTE_FIRST && byte < FINAL_BYTE_FIRST)
        return VT100_NO_KEY;        /* another parameter or intermediate byte */
    d->state = VT100_GROUND;        /* a byte that cannot be in a sequence ends it */
    return decode_plain(d, byte);
}

static bool opens_string(unsigned char byte)
{
    return byte == DCS_INTRO || byte == SOS_INTRO || byte == OSC_INTRO || byte == PM_INTRO ||
           byte == APC_INTRO;
}

/* The byte after ESC. */
static int decode_escape(struct vt100_decoder *d, unsigned char byte)
{
    if (byte == CSI_INTRO) {
        d->state = VT100_CSI;
        d->param = 0;
        d->param_done = false;
        return VT100_NO_KEY;
    }
    if (byte == SS3_INTRO) {
        d->state = VT100_SS3;
        return VT100_NO_KEY;
    }
    if (opens_string(byte)) {
        d->state = VT100_STRING;
        return VT100_NO_KEY;
    }
    d->state = VT100_GROUND;        /* drop the ESC, keep the byte */
    return decode_plain(d, byte);
}

/* A byte inside a control string: swallowed until BEL or ST ends the
 * string, or CAN or SUB cancels it. */
static int decode_string(struct vt100_decoder *d, unsigned char byte)
{
    if (byte == BEL || byte == CAN || byte == SUB)
        d->state = VT100_GROUND;
    else if (byte == ESC)
        d->state = VT100_STRING_ESC;
    return VT100_NO_KEY;
}

void vt100_init(struct vt100_decoder *d)
{
    d->state = VT100_GROUND;
    d->param = 0;
    d->param_done = false;
    d->after_cr = false;
}

int vt100_feed(struct vt100_decoder *d, unsigned char byte)
{
    switch (d->state) {
    case VT100_ESCAPE:
        return decode_escape(d, byte);
    case VT100_STRING:
        return decode_string(d, byte);
    case VT100_STRING_ESC:
        if (byte == ST_FINAL) {
            d->state = VT100_GROUND;
            return VT100_NO_KEY;
        }
        return decode_escape(d, byte);  /* the string ended unterminated; a new sequence begins */
    case VT100_CSI:
        return decode_csi(d, byte);
    case VT100_SS3:
        d->state = VT100_GROUND;
        if (byte >= FINAL_BYTE_FIRST && byte <= FINAL_BYTE_LAST)
            return letter_key(byte);
        return decode_plain(d, byte);
    case VT100_GROUND:
        break;
    }
    return decode_plain(d, byte);
}
