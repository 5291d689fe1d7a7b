/*
 * vga.h: the VGA text screen (80x25 characters at physical 0xB8000 on a BIOS
 * PC), driven like a small VT100 terminal so the console can send it the
 * same bytes as the serial port.
 */
#ifndef CUBOS_VGA_H
#define CUBOS_VGA_H

#include <stdbool.h>
#include <stdint.h>

/* Take over the text screen GRUB described (multiboot2 framebuffer tag of
 * EGA text type): clear it and put the cursor at the top left. Returns false
 * (and the screen stays unused) if the geometry makes no sense. Needs the
 * direct map (ch02). */
bool vga_init(uint64_t phys_addr, unsigned columns, unsigned rows, unsigned pitch);

/* True once vga_init succeeded. */
bool vga_present(void);

/*
 * Show one byte: printable characters at the cursor (wrapping and
 * scrolling), '\n' (next line, column 0 as on a terminal with onlcr), '\r',
 * '\b' (left one, no erase), '\t' (to the next multiple of 8), and the
 * escape sequences ESC [ n A/B/C/D (cursor up/down/right/left, n defaults
 * to 1), ESC [ K (erase to end of line), ESC [ 2 J (clear screen), ESC [ H
 * (home). Other sequences are swallowed, never printed as garbage.
 */
void vga_putc(char c);

#endif
