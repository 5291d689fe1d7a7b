/*
 * test_multiboot2.c: the boot-information parser (boot/multiboot2.c) on
 * hand-built tag lists: a well-formed one like GRUB's, module tags, and broken ones that
 * must be refused with a reason instead of read past their end.
 * Built with -fsanitize=address,undefined, so any out-of-bounds read fails.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "multiboot2.h"

static int failures;

#define CHECK(cond)                                                           \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "%s:%d: FAIL %s\n", __FILE__, __LINE__, #cond);   \
            failures++;                                                       \
        }                                                                     \
    } while (0)

/* A boot information under construction, in a buffer sized exactly to its content. */
struct builder {
    uint8_t data[4096];
    size_t len;
};

static void put_u32(struct builder *b, uint32_t v)
{
    memcpy(b->data + b->len, &v, 4);
    b->len += 4;
}

static void put_bytes(struct builder *b, const void *p, size_t n)
{
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void align8(struct builder *b)
{
    while (b->len % 8)
        b->data[b->len++] = 0;
}

static void start(struct builder *b)
{
    b->len = 0;
    put_u32(b, 0);          /* total size, patched by finish() */
    put_u32(b, 0);
}

static void string_tag(struct builder *b, uint32_t type, const char *s)
{
    put_u32(b, type);
    put_u32(b, 8 + (uint32_t)strlen(s) + 1);
    put_bytes(b, s, strlen(s) + 1);
    align8(b);
}

static void mmap_tag(struct builder *b, const struct mb2_mmap_entry *e, size_t n)
{
    put_u32(b, MB2_TAG_MMAP);
    put_u32(b, 16 + (uint32_t)(n * sizeof(*e)));
    put_u32(b, sizeof(*e));
    put_u32(b, 0);
    put_bytes(b, e, n * sizeof(*e));
    align8(b);
}

static void end_tag(struct builder *b)
{
    put_u32(b, MB2_TAG_END);
    put_u32(b, 8);
}

/* Copy to a heap block of exactly the final size, so ASan sees any overrun. */
static uint8_t *finish(struct builder *b)
{
    uint32_t total = (uint32_t)b->len;
    memcpy(b->data, &total, 4);
    uint8_t *copy = aligned_alloc(8, (b->len + 7) & ~7ul);
    memcpy(copy, b->data, b->len);
    return copy;
}

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

/* Parse, expect refusal, and print the reason so the log shows it. */
static void expect_refused(uint8_t *info, const char *what)
{
    struct boot_info bi;
    const char *why = NULL;
    int rc = mb2_parse(info, &bi, &why);
    CHECK(rc == -1);
    CHECK(why != NULL);
    if (rc == -1 && why)
        printf("refused %s: %s\n", what, why);
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

static void module_tag(struct builder *b, uint32_t start, uint32_t end, const char *name)
{
    put_u32(b, MB2_TAG_MODULE);
    put_u32(b, 16 + (uint32_t)strlen(name) + 1);
    put_u32(b, start);
    put_u32(b, end);
    put_bytes(b, name, strlen(name) + 1);
    align8(b);
}

static void test_modules(void)
{
    struct builder b;
    start(&b);
    module_tag(&b, 0x200000, 0x280000, "initrd");
    module_tag(&b, 0x300000, 0x300000, "");
    end_tag(&b);
    uint8_t *info = finish(&b);
    struct boot_info bi;
    const char *why = NULL;
    CHECK(mb2_parse(info, &bi, &why) == 0);
    CHECK(bi.module_count == 2);
    CHECK(bi.modules[0].start == 0x200000 && bi.modules[0].end == 0x280000);
    CHECK(strcmp(bi.modules[0].name, "initrd") == 0);
    CHECK(strcmp(bi.modules[1].name, "") == 0);
    CHECK(bi.size == b.len);
    free(info);

    start(&b);
    module_tag(&b, 0x280000, 0x200000, "backwards");
    end_tag(&b);
    expect_refused(finish(&b), "module ending before its start");

    start(&b);
    put_u32(&b, MB2_TAG_MODULE);
    put_u32(&b, 24);
    put_u32(&b, 0x200000);
    put_u32(&b, 0x280000);
    put_bytes(&b, "initrd!!", 8);      /* name without a NUL inside the tag */
    end_tag(&b);
    expect_refused(finish(&b), "unterminated module name");

    start(&b);
    for (int i = 0; i <= MB2_MAX_MODULES; i++)
        module_tag(&b, 0x200000, 0x201000, "m");
    end_tag(&b);
    expect_refused(finish(&b), "too many modules");
}

int main(void)
{
    test_well_formed();
    test_minimal_has_defaults();
    test_malformed();
    test_modules();
    printf("multiboot2: %d failures\n", failures);
    return failures != 0;
}
