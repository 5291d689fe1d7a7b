/*
 * fb.h: the linear framebuffer, the screen as an array of pixels in
 * memory, which GRUB set up (VBE under a BIOS, GOP under UEFI) and
 * described in the multiboot2 boot information.
 */
#ifndef CUBOS_FB_H
#define CUBOS_FB_H

#include <stdbool.h>
#include <stdint.h>

#include "multiboot2.h"

struct framebuffer {
    volatile uint8_t *base;         /* pixel (x, y) is the uint32_t at base + y * pitch + 4 * x */
    uint32_t width, height, pitch;
    uint8_t red_pos, green_pos, blue_pos;   /* each colour's lowest bit in a pixel */
};

/* Take the framebuffer the boot information describes: a 32-bit RGB mode
 * with 8 bits a colour, mapped into the kernel. false, and a line saying
 * why, if there is none or it is not one the kernel can draw on. */
bool fb_init(const struct boot_info *bi);

/* The framebuffer, or NULL if fb_init found none. */
struct framebuffer *fb_get(void);

/* The pixel value of a colour given as 0xRRGGBB. */
uint32_t fb_color(const struct framebuffer *fb, uint32_t rgb);

/* Fill the rectangle at (x, y), w by h pixels (clipped to the screen). */
void fb_fill(struct framebuffer *fb, uint32_t x, uint32_t y, uint32_t w, uint32_t h, uint32_t pixel);

#endif
