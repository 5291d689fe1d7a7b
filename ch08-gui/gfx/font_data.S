/*
 * font_data.S: the console font, linked into the kernel: font_psf to
 * font_psf_end is a PSF2 file (font.h). The Makefile makes it at build
 * time from one of Debian's console fonts (tools/psf1to2.py); it is never
 * committed.
 */
    .section .rodata
    .balign 8
    .globl font_psf, font_psf_end
font_psf:
    .incbin FONT_FILE
font_psf_end:

    .section .note.GNU-stack, "", @progbits
