/*
 * test_multiboot2.c: the boot-information parser (boot/multiboot2.c) on
 * hand-built tag lists: a well-formed one like GRUB's, broken ones that
 * must be refused with a reason instead of read past their end, and memory
 * map entries that run past 2^64, which are ignored with a warning.
 * Built with -fsanitize=address,undefined, so any out-of-bounds read fails.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "multiboot2.h"

#include "check.h"
#include "mb2_builder.h"

static const struct mb2_mmap_entry qemu_map[] = {
    { 0x0, 0x9fc00, MB2_MEMORY_USABLE, 0 },
    { 0x9fc00, 0x400, MB2_MEMORY_RESERVED, 0 },
    { 0x100000, 0x7ee0000, MB2_MEMORY_USABLE, 0 },
    { 0x7fe0000, 0x20000, MB2_MEMORY_RESERVED, 0 },
};

static void test_well_formed(void)
{
    struct builder b;
    start(&b);
    string_tag(&b, MB2_TAG_CMDLINE, "exit=qemu verbose");
    string_tag(&b, MB2_TAG_LOADER_NAME, "GRUB 2.06");
    string_tag(&b, 42, "a tag type the kernel does not know");
    mmap_tag(&b, qemu_map, 4);
    put_u32(&b, MB2_TAG_FRAMEBUFFER);
    put_u32(&b, 32);
    uint64_t addr = 0xb8000;
    put_bytes(&b, &addr, 8);
    put_u32(&b, 160);       /* pitch */
    put_u32(&b, 80);
    put_u32(&b, 25);
    uint8_t tail[4] = { 16, MB2_FRAMEBUFFER_EGA_TEXT, 0, 0 };
    put_bytes(&b, tail, 4);
    end_tag(&b);
    uint8_t *info = finish(&b);

    struct boot_info bi;
    const char *why = NULL;
    CHECK(mb2_parse(info, &bi, &why) == 0);
    CHECK(strcmp(bi.cmdline, "exit=qemu verbose") == 0);
    CHECK(bi.loader_name && strcmp(bi.loader_name, "GRUB 2.06") == 0);
    CHECK(bi.mmap_count == 4);
    CHECK(mb2_mmap_entry(&bi, 2)->base == 0x100000);
    CHECK(mb2_usable_bytes(&bi) == 0x9fc00 + 0x7ee0000);
    CHECK(bi.has_framebuffer);
    CHECK(bi.framebuffer.addr == 0xb8000 && bi.framebuffer.width == 80 &&
          bi.framebuffer.height == 25 && bi.framebuffer.type == MB2_FRAMEBUFFER_EGA_TEXT);
    CHECK(strcmp(mb2_memory_type_name(MB2_MEMORY_ACPI_NVS), "ACPI NVS") == 0);
    CHECK(strcmp(mb2_memory_type_name(99), "unknown") == 0);
    free(info);
}

static void test_minimal_has_defaults(void)
{
    struct builder b;
    start(&b);
    end_tag(&b);
    uint8_t *info = finish(&b);
    struct boot_info bi;
    const char *why;
    CHECK(mb2_parse(info, &bi, &why) == 0);
    CHECK(strcmp(bi.cmdline, "") == 0);
    CHECK(bi.loader_name == NULL);
    CHECK(bi.mmap == NULL && bi.mmap_count == 0);
    CHECK(!bi.has_framebuffer);
    CHECK(mb2_usable_bytes(&bi) == 0);
    free(info);
}

/* An entry whose base + length does not fit in 64 bits is named in a warning
 * and counts as no memory; its neighbours and the rest of the boot
 * information are still used. */
static void test_entries_past_2_64_are_ignored(void)
{
    static const struct mb2_mmap_entry map[] = {
        { 0x100000, 0x7ee0000, MB2_MEMORY_USABLE, 0 },
        { 0xFFFFFFFFFFFFF000, 0x2000, MB2_MEMORY_USABLE, 0 },          /* wraps to 0x1000 */
        { 0x8000000000000000, 0x8000000200000000, MB2_MEMORY_USABLE, 0 },  /* wraps to 8 GiB */
        { 0xFFFFFFFFFFFFF000, 0x1000, MB2_MEMORY_USABLE, 0 },          /* ends at 2^64 exactly */
        { 0xFFFFFFFFFFFFE000, 0x1000, MB2_MEMORY_USABLE, 0 },          /* the last page but one: fine */
        { 0xFFFFFFFF00000000, UINT64_MAX, MB2_MEMORY_RESERVED, 0 },
    };
    struct builder b;
    start(&b);
    string_tag(&b, MB2_TAG_CMDLINE, "selftest");
    mmap_tag(&b, map, 6);
    end_tag(&b);
    uint8_t *info = finish(&b);

    struct boot_info bi;
    const char *why = NULL;
    int calls = kprintf_calls;
    CHECK(mb2_parse(info, &bi, &why) == 0);
    CHECK(bi.mmap_count == 6);
    CHECK(strcmp(bi.cmdline, "selftest") == 0);
    CHECK(kprintf_calls - calls == 4);
    CHECK(strcmp(kprintf_last, "memory map: entry 5 (base 0xffffffff00000000, length "
                 "0xffffffffffffffff) runs past 2^64, ignored\n") == 0);

    bool fits[] = { true, false, false, false, true, false };
    for (size_t i = 0; i < 6; i++) {
        CHECK(mb2_mmap_entry_fits(mb2_mmap_entry(&bi, i)) == fits[i]);
        CHECK(mb2_mmap_usable(mb2_mmap_entry(&bi, i)) == (fits[i] && i != 5));
    }
    CHECK(mb2_usable_bytes(&bi) == 0x7ee0000 + 0x1000);

    /* GRUB's map gives no warning at all. */
    start(&b);
    mmap_tag(&b, qemu_map, 4);
    end_tag(&b);
    free(info);
    info = finish(&b);
    calls = kprintf_calls;
    CHECK(mb2_parse(info, &bi, &why) == 0);
    CHECK(kprintf_calls == calls);
    CHECK(mb2_mmap_usable(mb2_mmap_entry(&bi, 0)) && !mb2_mmap_usable(mb2_mmap_entry(&bi, 1)));
    free(info);
}

static void test_malformed(void)
{
    struct builder b;

    start(&b);
    string_tag(&b, MB2_TAG_CMDLINE, "no end tag follows");
    expect_refused(finish(&b), "missing end tag");

    start(&b);
    put_u32(&b, MB2_TAG_CMDLINE);
    put_u32(&b, 4000);              /* claims far more than the buffer holds */
    put_u32(&b, 0);
    put_u32(&b, 0);
    end_tag(&b);
    expect_refused(finish(&b), "tag size past the end");

    start(&b);
    put_u32(&b, MB2_TAG_CMDLINE);
    put_u32(&b, 4);                 /* smaller than a tag header: would loop forever */
    end_tag(&b);
    expect_refused(finish(&b), "tag size below 8");

    start(&b);
    put_u32(&b, MB2_TAG_LOADER_NAME);
    put_u32(&b, 16);
    put_bytes(&b, "GRUBGRUB", 8);   /* no NUL inside the tag */
    end_tag(&b);
    expect_refused(finish(&b), "unterminated string");

    start(&b);
    put_u32(&b, MB2_TAG_MMAP);
    put_u32(&b, 16 + 24);
    put_u32(&b, 12);                /* entries smaller than the spec's 24 bytes */
    put_u32(&b, 0);
    put_bytes(&b, qemu_map, 24);
    end_tag(&b);
    expect_refused(finish(&b), "memory map entry size");

    start(&b);
    put_u32(&b, MB2_TAG_FRAMEBUFFER);
    put_u32(&b, 16);                /* too short for the framebuffer fields */
    put_u32(&b, 0);
    put_u32(&b, 0);
    end_tag(&b);
    expect_refused(finish(&b), "short framebuffer tag");

    start(&b);
    end_tag(&b);
    uint8_t *info = finish(&b);
    uint32_t bogus = 4;             /* total size smaller than the header */
    memcpy(info, &bogus, 4);
    expect_refused(info, "total size too small");

    struct boot_info bi;
    const char *why = NULL;
    CHECK(mb2_parse(NULL, &bi, &why) == -1 && why != NULL);
}

int main(void)
{
    test_well_formed();
    test_minimal_has_defaults();
    test_malformed();
    test_entries_past_2_64_are_ignored();
    printf("multiboot2: %d failures\n", failures);
    return failures != 0;
}
