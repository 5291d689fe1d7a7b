/* ps2kbd.h: the PS/2 keyboard behind the i8042 controller, interrupt driven. */
#ifndef CUBOS_PS2KBD_H
#define CUBOS_PS2KBD_H

/* Take the keyboard interrupt (ISA IRQ 1) on VEC_KEYBOARD, drop any bytes
 * already waiting, and from then on pass each key (keys.h) to console_key().
 * Needs trap_init and the IO APIC; keys arrive once interrupts are enabled. */
void ps2kbd_init(void);

#endif
