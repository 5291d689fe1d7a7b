/*
 * test_multiboot2_acpi.c: the ACPI RSDP tags ch03 reads from the boot
 * information, to find the MADT: the ACPI 2.0 copy is preferred whatever
 * the order, and an old-only boot loader still works.
 * Built with -fsanitize=address,undefined.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "multiboot2.h"

#include "check.h"
#include "mb2_builder.h"

static void rsdp_tag(struct builder *b, uint32_t type, uint8_t revision)
{
    uint8_t rsdp[36] = "RSD PTR ";
    rsdp[15] = revision;
    size_t size = revision >= 2 ? 36 : 20;
    put_u32(b, type);
    put_u32(b, 8 + (uint32_t)size);
    put_bytes(b, rsdp, size);
    align8(b);
}

static void parse_ok(struct builder *b, struct boot_info *bi, uint8_t **info)
{
    const char *why = NULL;
    *info = finish(b);
    CHECK(mb2_parse(*info, bi, &why) == 0);
}

int main(void)
{
    struct builder b;
    struct boot_info bi;
    uint8_t *info;

    start(&b);
    end_tag(&b);
    parse_ok(&b, &bi, &info);
    CHECK(bi.acpi_rsdp == NULL);
    free(info);

    start(&b);
    rsdp_tag(&b, MB2_TAG_ACPI_OLD, 0);
    end_tag(&b);
    parse_ok(&b, &bi, &info);
    CHECK(bi.acpi_rsdp != NULL && bi.acpi_rsdp_size == 20);
    CHECK(bi.acpi_rsdp && memcmp(bi.acpi_rsdp, "RSD PTR ", 8) == 0);
    free(info);

    for (int new_first = 0; new_first <= 1; new_first++) {
        start(&b);
        if (new_first)
            rsdp_tag(&b, MB2_TAG_ACPI_NEW, 2);
        rsdp_tag(&b, MB2_TAG_ACPI_OLD, 0);
        if (!new_first)
            rsdp_tag(&b, MB2_TAG_ACPI_NEW, 2);
        end_tag(&b);
        parse_ok(&b, &bi, &info);
        CHECK(bi.acpi_rsdp_size == 36);
        CHECK(bi.acpi_rsdp && ((const uint8_t *)bi.acpi_rsdp)[15] == 2);
        free(info);
    }
    printf("multiboot2 acpi: %d failures\n", failures);
    return failures != 0;
}
