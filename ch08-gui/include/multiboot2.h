/*
 * multiboot2.h: the boot information GRUB hands the kernel.
 *
 * The boot information is a size, then a list of tags, each 8-byte aligned
 * and starting with a type and a size (multiboot2 spec, section 3.6). The
 * parser checks every size before it trusts it and gathers what cubos uses
 * into a struct boot_info.
 */
#ifndef CUBOS_MULTIBOOT2_H
#define CUBOS_MULTIBOOT2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Tag types (spec section 3.6). */
#define MB2_TAG_END 0
#define MB2_TAG_CMDLINE 1
#define MB2_TAG_LOADER_NAME 2
#define MB2_TAG_MODULE 3
#define MB2_TAG_MMAP 6
#define MB2_TAG_FRAMEBUFFER 8
#define MB2_TAG_ACPI_OLD 14             /* a copy of the ACPI 1.0 RSDP */
#define MB2_TAG_ACPI_NEW 15             /* a copy of the ACPI 2.0+ RSDP */

/* Memory map entry types (spec section 3.6.8). */
#define MB2_MEMORY_USABLE 1
#define MB2_MEMORY_RESERVED 2
#define MB2_MEMORY_ACPI_RECLAIMABLE 3
#define MB2_MEMORY_ACPI_NVS 4
#define MB2_MEMORY_BAD 5

/* Framebuffer types (spec section 3.6.12). */
#define MB2_FRAMEBUFFER_INDEXED 0
#define MB2_FRAMEBUFFER_RGB 1
#define MB2_FRAMEBUFFER_EGA_TEXT 2

struct mb2_tag {
    uint32_t type;
    uint32_t size;              /* including this header, excluding padding */
};

struct mb2_mmap_entry {
    uint64_t base;
    uint64_t length;
    uint32_t type;
    uint32_t reserved;
};

struct mb2_framebuffer {
    uint64_t addr;              /* physical address */
    uint32_t pitch;             /* bytes per line */
    uint32_t width;             /* pixels, or characters in text mode */
    uint32_t height;
    uint8_t bpp;
    uint8_t type;
    /* MB2_FRAMEBUFFER_RGB: where each colour's bits are in a pixel (bit
     * position of its lowest bit, and how many bits) */
    uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
};

#define MB2_MAX_MODULES 8

struct mb2_module {
    uint32_t start;             /* physical address of the first byte */
    uint32_t end;               /* physical address past the last byte */
    const char *name;           /* the rest of GRUB's module line */
};

struct boot_info {
    uint32_t size;              /* bytes of boot information, which the kernel must not reuse */
    const char *cmdline;        /* "" if GRUB passed none */
    const char *loader_name;    /* NULL if absent */
    const uint8_t *mmap;        /* first memory map entry, NULL if absent */
    uint32_t mmap_entry_size;   /* stride between entries: may grow in new versions */
    size_t mmap_count;
    bool has_framebuffer;
    struct mb2_framebuffer framebuffer;
    size_t module_count;
    struct mb2_module modules[MB2_MAX_MODULES];
    const void *acpi_rsdp;      /* the RSDP copy in the tag (2.0+ preferred), NULL if absent */
    uint32_t acpi_rsdp_size;
};

/*
 * Parse the boot information at info (total_size bytes are trusted only
 * after the check). Returns 0 and fills *out, or -1 with *why saying what
 * is malformed.
 */
int mb2_parse(const void *info, struct boot_info *out, const char **why);

/* Memory map entry i (0 <= i < mmap_count). */
const struct mb2_mmap_entry *mb2_mmap_entry(const struct boot_info *bi, size_t i);

/* True if the entry's end, base + length, fits in 64 bits. mb2_parse warns
 * about every entry that does not, and the kernel ignores those. */
bool mb2_mmap_entry_fits(const struct mb2_mmap_entry *e);

/* True if the entry is usable RAM (and fits): [base, base + length) is safe to compute. */
bool mb2_mmap_usable(const struct mb2_mmap_entry *e);

/* Sum of the lengths of all usable memory map entries, in bytes. */
uint64_t mb2_usable_bytes(const struct boot_info *bi);

/* A short name for a memory map entry type ("usable", "reserved", ...). */
const char *mb2_memory_type_name(uint32_t type);

#endif
