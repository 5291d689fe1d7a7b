/*
 * test_multiboot2_modules.c: the module tags ch02 reads from the boot
 * information, so the frame allocator can keep modules' memory: a
 * well-formed pair, and broken tags that must be refused with a reason.
 * (tests/ch01-boot/unit/test_multiboot2.c covers the other tags and runs
 * against this chapter's parser too.) Built with -fsanitize=address,undefined.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "multiboot2.h"

#include "check.h"
#include "mb2_builder.h"

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
    test_modules();
    printf("multiboot2 modules: %d failures\n", failures);
    return failures != 0;
}
