/*
 * ps2kbd.c: the PS/2 keyboard, read on its interrupt.
 *
 * The keyboard talks to the i8042 controller, which holds one byte at a
 * time in its output buffer and raises ISA IRQ 1 when that buffer fills
 * (OSDev wiki "8042 PS/2 Controller"). The handler empties the buffer,
 * decodes the bytes (lib/scancode.c) and queues the keys on the console.
 *
 * The controller is not reprogrammed. The firmware has already set it up
 * for its own keyboard driver: SeaBIOS and EDK2's (OVMF's) PS/2 driver both
 * leave the keyboard port enabled, its interrupt on and translation to scan
 * code set 1 on, which is exactly what this driver needs. The full
 * initialisation sequence (disable, self-test, reset the keyboard) is for
 * controllers nobody has touched, and is where real machines differ most.
 */
#include <stdint.h>

#include "console.h"
#include "ioapic.h"
#include "ps2kbd.h"
#include "scancode.h"
#include "trap.h"
#include "x86.h"

#define I8042_DATA 0x60             /* read: the output buffer */
#define I8042_STATUS 0x64           /* read: the status register */

#define STATUS_OUTPUT_FULL 0x01     /* a byte waits in the data port */
#define STATUS_AUX_DATA 0x20        /* that byte came from the second (mouse) port */

/*
 * Bytes read per call before giving up. On a machine without an i8042 the
 * status port reads 0xFF, "always full", and an unbounded loop would never
 * end; a key sends at most six bytes (Pause), so this is plenty.
 */
#define I8042_READ_LIMIT 32

static struct scancode_decoder decoder;

/* Read every byte the controller holds; pass keyboard bytes to take, drop mouse bytes. */
static void read_bytes(void (*take)(uint8_t code))
{
    for (int i = 0; i < I8042_READ_LIMIT; i++) {
        uint8_t status = inb(I8042_STATUS);
        if (!(status & STATUS_OUTPUT_FULL))
            return;
        uint8_t code = inb(I8042_DATA);
        if (!(status & STATUS_AUX_DATA))
            take(code);
    }
}

static void discard(uint8_t code)
{
    (void)code;
}

static void decode(uint8_t code)
{
    int key = scancode_feed(&decoder, code);
    if (key >= 0)
        console_key(key);
}

/* VEC_KEYBOARD. The trap dispatcher sends the end-of-interrupt. */
static void ps2kbd_interrupt(struct trap_frame *tf)
{
    (void)tf;
    read_bytes(decode);
}

void ps2kbd_init(void)
{
    scancode_init(&decoder);
    trap_set_handler(VEC_KEYBOARD, ps2kbd_interrupt);
    ioapic_route_isa(ISA_IRQ_KEYBOARD, VEC_KEYBOARD);
    /*
     * Drain only now that the line is routed. IRQ 1 is edge-triggered: it
     * fires when the buffer fills, and while a byte (a key pressed during
     * boot) sits unread no new edge comes, so the keyboard would stay
     * silent. A byte arriving after this drain raises a fresh edge, which
     * the IO APIC now delivers. Old bytes may be half a sequence: dropped.
     */
    read_bytes(discard);
}
