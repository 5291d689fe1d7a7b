/*
 * vga.c: the VGA text screen as a second console output.
 *
 * In text mode the display adapter shows a grid of character cells kept in
 * ordinary memory (0xB8000 on a BIOS PC; GRUB reports where), reached here
 * through the direct map. Everything about what the cells hold lives in
 * lib/vga_screen.c; this file owns the one screen and the one thing that
 * needs I/O ports, the blinking hardware cursor, which the CRT controller
 * (CRTC) draws at the cell its cursor location registers name (OSDev wiki
 * "Text Mode Cursor"; IBM VGA Technical Reference, CRT controller registers).
 */
#include <stdbool.h>
#include <stdint.h>

#include "memlayout.h"
#include "vga.h"
#include "vga_screen.h"
#include "x86.h"

/* The CRTC is reached through an index port and a data port; these are
 * the colour-mode addresses, which text mode at 0xB8000 uses. */
#define CRTC_INDEX 0x3D4
#define CRTC_DATA 0x3D5

#define CRTC_CURSOR_START 0x0A      /* first scan line of the cursor, and: */
#define CURSOR_DISABLE 0x20         /*   bit 5, cursor off */
#define CRTC_CURSOR_HIGH 0x0E       /* cursor location, high byte */
#define CRTC_CURSOR_LOW 0x0F        /* cursor location, low byte */

static struct vga_screen screen;
static bool present;
static unsigned shown_cursor;       /* the location the CRTC has now */

static uint8_t crtc_read(uint8_t reg)
{
    outb(CRTC_INDEX, reg);
    return inb(CRTC_DATA);
}

static void crtc_write(uint8_t reg, uint8_t value)
{
    outb(CRTC_INDEX, reg);
    outb(CRTC_DATA, value);
}

static void cursor_move(unsigned location)
{
    crtc_write(CRTC_CURSOR_HIGH, location >> 8);
    crtc_write(CRTC_CURSOR_LOW, location & 0xFF);
    shown_cursor = location;
}

bool vga_init(uint64_t phys_addr, unsigned columns, unsigned rows, unsigned pitch)
{
    /* Each cell is two bytes, so the pitch (bytes per row) must be even. */
    if (pitch % sizeof(uint16_t) != 0)
        return false;
    if (!vga_screen_init(&screen, phys_to_virt(phys_addr), columns, rows,
                         pitch / sizeof(uint16_t)))
        return false;
    /* The boot loader may have hidden the cursor while it drew its menu. */
    crtc_write(CRTC_CURSOR_START, crtc_read(CRTC_CURSOR_START) & ~CURSOR_DISABLE);
    cursor_move(vga_screen_cursor(&screen));
    present = true;
    return true;
}

bool vga_present(void)
{
    return present;
}

void vga_putc(char c)
{
    if (!present)
        return;
    vga_screen_putc(&screen, c);
    /* Port writes are slow (each one leaves a virtual machine): only on a move. */
    unsigned location = vga_screen_cursor(&screen);
    if (location != shown_cursor)
        cursor_move(location);
}
