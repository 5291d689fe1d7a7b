/*
 * header.S: the multiboot2 header, the contract between cubos and GRUB.
 *
 * GRUB scans the first 32 KiB of the kernel file for this 8-byte aligned
 * structure (multiboot2 spec, section 3.1.1). It names the architecture we
 * want to be started in (32-bit protected mode, i386) and ends with a list
 * of tags. ch08 asks for a framebuffer: a graphics mode of 1024x768 with
 * 32 bits a pixel (section 3.1.10), which GRUB sets with VBE under a BIOS
 * and GOP under UEFI. The tag is optional: without such a mode GRUB boots
 * the kernel anyway, in whatever mode it has, and the tag in the boot
 * information says which.
 * GRUB then loads the ELF segments at their physical addresses and jumps to
 * the ELF entry point, _start in boot/entry.S.
 */
#define MB2_HEADER_MAGIC 0xE85250D6
#define MB2_ARCH_I386 0
#define MB2_HEADER_TAG_END 0
#define MB2_HEADER_TAG_FRAMEBUFFER 5
#define MB2_HEADER_TAG_OPTIONAL 1
#define FB_WIDTH 1024
#define FB_HEIGHT 768
#define FB_DEPTH 32

    .section .multiboot2, "a"
    .balign 8
mb2_header:
    .long MB2_HEADER_MAGIC
    .long MB2_ARCH_I386
    .long mb2_header_end - mb2_header
    /* magic + arch + length + checksum must be 0 modulo 2^32 */
    .long 0x100000000 - (MB2_HEADER_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))

    .balign 8
    .short MB2_HEADER_TAG_FRAMEBUFFER
    .short MB2_HEADER_TAG_OPTIONAL
    .long 20                    /* size of this tag */
    .long FB_WIDTH
    .long FB_HEIGHT
    .long FB_DEPTH

    .balign 8
    .short MB2_HEADER_TAG_END
    .short 0                    /* flags */
    .long 8                     /* size of this tag */
mb2_header_end:

    .section .note.GNU-stack, "", @progbits
