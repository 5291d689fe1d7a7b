/*
 * fbcon.h: the console on the framebuffer: the kernel's text drawn with
 * its font (font.h) on the graphics screen (fb.h), the same small VT100
 * as the VGA text console (vga_screen.h).
 */
#ifndef CUBOS_FBCON_H
#define CUBOS_FBCON_H

#include <stdbool.h>
#include <stddef.h>

#include "fb.h"

/* Start the console on fb with the kernel's built-in font; false, said
 * why, if the font cannot be read or the screen holds no character. */
bool fbcon_init(struct framebuffer *fb);

bool fbcon_present(void);

/* Show text: escape sequences as vga_screen_putc reads them, then the
 * characters that changed redrawn. */
void fbcon_write(const char *s, size_t n);

#endif
