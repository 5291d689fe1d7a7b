/*
 * fb.c: the linear framebuffer (fb.h).
 *
 * The multiboot2 framebuffer tag gives its physical address, its size in
 * pixels, its pitch (bytes from one line to the next, which may be more
 * than width * 4) and, for an RGB mode, where each colour's bits sit in a
 * pixel. The kernel draws only on 32-bit pixels with 8-bit colours, what
 * QEMU's VGA and OVMF's GOP give and what GRUB is asked for
 * (boot/header.S); anything else is refused with a message, and the
 * console stays on the serial line.
 *
 * The framebuffer is device memory, often above the end of RAM, mapped
 * in the window of device registers (mm/mmio.c) but write-combining:
 * the CPU may gather the writes of a line of pixels into bursts, where
 * uncached memory sends each 4-byte store out on its own and waits.
 */
#include <stdbool.h>
#include <stdint.h>

#include "fb.h"
#include "kprintf.h"
#include "mmio.h"
#include "multiboot2.h"

#define FB_BPP 32
#define FB_COLOR_BITS 8

static struct framebuffer screen;
static bool present;

bool fb_init(const struct boot_info *bi)
{
    const struct mb2_framebuffer *t = &bi->framebuffer;
    if (!bi->has_framebuffer || t->type == MB2_FRAMEBUFFER_EGA_TEXT)
        return false;               /* text mode (or nothing): drivers/vga.c's */
    if (t->type != MB2_FRAMEBUFFER_RGB || t->bpp != FB_BPP || t->red_size != FB_COLOR_BITS ||
        t->green_size != FB_COLOR_BITS || t->blue_size != FB_COLOR_BITS ||
        t->red_pos % 8 || t->green_pos % 8 || t->blue_pos % 8 || t->red_pos > 24 ||
        t->green_pos > 24 || t->blue_pos > 24) {
        kprintf("fb: a %u-bit %s mode; the kernel draws on 32-bit RGB only, so no screen\n", t->bpp,
                t->type == MB2_FRAMEBUFFER_RGB ? "RGB" : "indexed");
        return false;
    }
    if (t->width == 0 || t->height == 0 || t->pitch < t->width * 4) {
        kprintf("fb: %ux%u with a pitch of %u bytes does not add up; no screen\n", t->width, t->height,
                t->pitch);
        return false;
    }
    /* Before the other CPUs start (they copy the boot CPU's memory types). */
    mmio_wc_init();
    bool wc;
    void *base = mmio_map_wc(t->addr, (size_t)t->pitch * t->height, "framebuffer", &wc);
    if (base == NULL)
        return false;
    screen = (struct framebuffer){ base, t->width, t->height, t->pitch, t->red_pos, t->green_pos,
                                   t->blue_pos };
    present = true;
    kprintf("fb: %ux%u, 32 bits a pixel, at 0x%llx, %s\n", t->width, t->height, (unsigned long long)t->addr,
            wc ? "write-combining" : "uncached (no page attribute table)");
    return true;
}

struct framebuffer *fb_get(void)
{
    return present ? &screen : NULL;
}

uint32_t fb_color(const struct framebuffer *fb, uint32_t rgb)
{
    return ((rgb >> 16) & 0xFF) << fb->red_pos | ((rgb >> 8) & 0xFF) << fb->green_pos |
           (rgb & 0xFF) << fb->blue_pos;
}

void fb_fill(struct framebuffer *fb, uint32_t x, uint32_t y, uint32_t w, uint32_t h, uint32_t pixel)
{
    if (x >= fb->width || y >= fb->height)
        return;
    if (w > fb->width - x)
        w = fb->width - x;
    if (h > fb->height - y)
        h = fb->height - y;
    for (uint32_t row = y; row < y + h; row++) {
        volatile uint32_t *p = (volatile uint32_t *)(fb->base + (size_t)row * fb->pitch) + x;
        for (uint32_t i = 0; i < w; i++)
            p[i] = pixel;
    }
}
