/*
 * multiboot2.c: walk the tags of the multiboot2 boot information.
 *
 * The boot loader is trusted to be honest but not to be bug free, so every
 * length is checked against the space that holds it before it is used; a
 * malformed structure gets a message rather than a wild read. A memory map
 * entry that runs past 2^64 is only ignored, with a warning: the rest of
 * the map is still good. The code does not touch hardware (the warning goes
 * through kprintf), and the host unit tests (tests/<chapter>/unit) run it
 * against hand-built tag lists.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kprintf.h"
#include "multiboot2.h"
#include "unaligned.h"

#define MB2_TAG_ALIGN 8
#define MB2_INFO_HEADER_SIZE 8          /* u32 total_size, u32 reserved */
#define MB2_MMAP_HEADER_SIZE 16         /* tag header, u32 entry_size, u32 entry_version */
#define MB2_FRAMEBUFFER_MIN_SIZE 31     /* tag header + the common framebuffer fields */
/* GRUB writes the RGB colour fields from offset 32 (its reserved field is
 * two bytes, where the specification's table shows one): red position and
 * size, green, blue, a byte each. */
#define MB2_FRAMEBUFFER_RGB_AT 32
#define MB2_FRAMEBUFFER_RGB_SIZE 38
#define MB2_MODULE_MIN_SIZE 17          /* tag header, u32 start, u32 end, at least a NUL */
#define MB2_INFO_MAX_SIZE (1u << 20)    /* far above anything GRUB builds; catches garbage */

/* A string tag's text must end with a NUL inside the tag. */
static const char *tag_string(const uint8_t *tag, uint32_t size)
{
    const char *s = (const char *)tag + sizeof(struct mb2_tag);
    size_t room = size - sizeof(struct mb2_tag);
    for (size_t i = 0; i < room; i++) {
        if (s[i] == '\0')
            return s;
    }
    return NULL;
}

static int parse_mmap(const uint8_t *tag, uint32_t size, struct boot_info *out, const char **why)
{
    /* LAB(mmap-walk): check the memory map tag (its header, then an entry
     * size of at least 24 bytes and a multiple of 8), record where its
     * entries start, their size and count in out, and report each entry
     * that runs past 2^64. */
    /* LAB-STUB: (void)tag; (void)size; (void)out; */
    /* LAB-STUB: *why = "lab mmap-walk: the memory map is not read yet"; */
    /* LAB-STUB: return -1; */
    if (size < MB2_MMAP_HEADER_SIZE) {
        *why = "memory map tag too short";
        return -1;
    }
    uint32_t entry_size = load_u32(tag + 8);
    if (entry_size < sizeof(struct mb2_mmap_entry) || entry_size % 8 != 0) {
        *why = "memory map entry size is not a multiple of 8 of at least 24 bytes";
        return -1;
    }
    out->mmap = tag + MB2_MMAP_HEADER_SIZE;
    out->mmap_entry_size = entry_size;
    out->mmap_count = (size - MB2_MMAP_HEADER_SIZE) / entry_size;
    for (size_t i = 0; i < out->mmap_count; i++) {
        const struct mb2_mmap_entry *e = mb2_mmap_entry(out, i);
        if (!mb2_mmap_entry_fits(e))
            kprintf("memory map: entry %zu (base 0x%llx, length 0x%llx) runs past 2^64, ignored\n",
                    i, (unsigned long long)e->base, (unsigned long long)e->length);
    }
    return 0;
    /* END LAB(mmap-walk) */
}

static int parse_framebuffer(const uint8_t *tag, uint32_t size, struct boot_info *out, const char **why)
{
    if (size < MB2_FRAMEBUFFER_MIN_SIZE) {
        *why = "framebuffer tag too short";
        return -1;
    }
    struct mb2_framebuffer *fb = &out->framebuffer;
    fb->addr = load_u64(tag + 8);
    fb->pitch = load_u32(tag + 16);
    fb->width = load_u32(tag + 20);
    fb->height = load_u32(tag + 24);
    fb->bpp = tag[28];
    fb->type = tag[29];
    if (fb->type == MB2_FRAMEBUFFER_RGB) {
        if (size < MB2_FRAMEBUFFER_RGB_SIZE) {
            *why = "RGB framebuffer tag too short for its colour fields";
            return -1;
        }
        const uint8_t *rgb = tag + MB2_FRAMEBUFFER_RGB_AT;
        fb->red_pos = rgb[0];
        fb->red_size = rgb[1];
        fb->green_pos = rgb[2];
        fb->green_size = rgb[3];
        fb->blue_pos = rgb[4];
        fb->blue_size = rgb[5];
    }
    out->has_framebuffer = true;
    return 0;
}

static int parse_module(const uint8_t *tag, uint32_t size, struct boot_info *out, const char **why)
{
    if (size < MB2_MODULE_MIN_SIZE) {
        *why = "module tag too short";
        return -1;
    }
    if (out->module_count == MB2_MAX_MODULES) {
        *why = "more modules than the kernel can track";
        return -1;
    }
    struct mb2_module *m = &out->modules[out->module_count];
    m->start = load_u32(tag + 8);
    m->end = load_u32(tag + 12);
    if (m->end < m->start) {
        *why = "a module ends before it starts";
        return -1;
    }
    m->name = (const char *)tag + 16;
    for (uint32_t i = 16; tag[i] != '\0'; i++) {
        if (i + 1 == size) {
            *why = "a module name is not NUL-terminated";
            return -1;
        }
    }
    out->module_count++;
    return 0;
}

int mb2_parse(const void *info, struct boot_info *out, const char **why)
{
    const uint8_t *base = info;
    *out = (struct boot_info){ .cmdline = "" };

    if (base == NULL || (uintptr_t)base % MB2_TAG_ALIGN != 0) {
        *why = "boot information address is null or not 8-byte aligned";
        return -1;
    }
    uint32_t total = load_u32(base);
    if (total < MB2_INFO_HEADER_SIZE + sizeof(struct mb2_tag) || total > MB2_INFO_MAX_SIZE) {
        *why = "boot information total size is implausible";
        return -1;
    }
    out->size = total;

    size_t offset = MB2_INFO_HEADER_SIZE;
    while (offset + sizeof(struct mb2_tag) <= total) {
        const uint8_t *tag = base + offset;
        uint32_t type = load_u32(tag);
        uint32_t size = load_u32(tag + 4);
        if (size < sizeof(struct mb2_tag)) {
            *why = "a tag is smaller than its own 8-byte header";
            return -1;
        }
        if (size > total - offset) {
            *why = "a tag's size runs past the end of the boot information";
            return -1;
        }

        int err = 0;
        switch (type) {
        case MB2_TAG_END:
            return 0;
        case MB2_TAG_CMDLINE:
        case MB2_TAG_LOADER_NAME: {
            const char *s = tag_string(tag, size);
            if (s == NULL) {
                *why = "a string tag is not NUL-terminated";
                return -1;
            }
            if (type == MB2_TAG_CMDLINE)
                out->cmdline = s;
            else
                out->loader_name = s;
            break;
        }
        case MB2_TAG_MMAP:
            err = parse_mmap(tag, size, out, why);
            break;
        case MB2_TAG_FRAMEBUFFER:
            err = parse_framebuffer(tag, size, out, why);
            break;
        case MB2_TAG_MODULE:
            err = parse_module(tag, size, out, why);
            break;
        case MB2_TAG_ACPI_OLD:
        case MB2_TAG_ACPI_NEW:
            /* GRUB may pass both; the 2.0+ one can point at the XSDT. */
            if (out->acpi_rsdp == NULL || type == MB2_TAG_ACPI_NEW) {
                out->acpi_rsdp = tag + sizeof(struct mb2_tag);
                out->acpi_rsdp_size = size - sizeof(struct mb2_tag);
            }
            break;
        default:
            break;      /* tags cubos does not use yet */
        }
        if (err)
            return err;
        offset += (size + MB2_TAG_ALIGN - 1) & ~(size_t)(MB2_TAG_ALIGN - 1);
    }
    *why = "no end tag before the end of the boot information";
    return -1;
}

const struct mb2_mmap_entry *mb2_mmap_entry(const struct boot_info *bi, size_t i)
{
    /* LAB(mmap-walk): the i-th entry: entries are mmap_entry_size bytes
     * apart, which may be more than the struct. */
    /* LAB-STUB: (void)bi; (void)i; */
    /* LAB-STUB: return NULL; */
    return (const struct mb2_mmap_entry *)(bi->mmap + i * bi->mmap_entry_size);
    /* END LAB(mmap-walk) */
}

bool mb2_mmap_entry_fits(const struct mb2_mmap_entry *e)
{
    return e->length <= UINT64_MAX - e->base;
}

bool mb2_mmap_usable(const struct mb2_mmap_entry *e)
{
    return e->type == MB2_MEMORY_USABLE && mb2_mmap_entry_fits(e);
}

uint64_t mb2_usable_bytes(const struct boot_info *bi)
{
    uint64_t total = 0;
    for (size_t i = 0; i < bi->mmap_count; i++) {
        const struct mb2_mmap_entry *e = mb2_mmap_entry(bi, i);
        if (mb2_mmap_usable(e))
            total += e->length;
    }
    return total;
}

const char *mb2_memory_type_name(uint32_t type)
{
    switch (type) {
    case MB2_MEMORY_USABLE: return "usable";
    case MB2_MEMORY_RESERVED: return "reserved";
    case MB2_MEMORY_ACPI_RECLAIMABLE: return "ACPI reclaimable";
    case MB2_MEMORY_ACPI_NVS: return "ACPI NVS";
    case MB2_MEMORY_BAD: return "bad RAM";
    default: return "unknown";
    }
}
