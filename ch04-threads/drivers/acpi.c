/*
 * acpi.c: find the MADT and read the IO APIC and ISA interrupt routing.
 *
 * GRUB copies the RSDP into the boot information. The RSDP points at the
 * RSDT (32-bit table addresses) or, from ACPI 2.0, the XSDT (64-bit); one
 * of the tables they list is the MADT. Every table carries a length and a
 * checksum (all bytes sum to 0), checked before anything in it is used:
 * firmware tables are data from outside the kernel.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acpi.h"
#include "kpage.h"
#include "memlayout.h"
#include "string.h"

#define RSDP_V1_SIZE 20
#define RSDP_V2_SIZE 36
#define SDT_HEADER_SIZE 36
#define MADT_ENTRIES_OFFSET 44          /* header, local APIC address, flags */
#define MADT_IOAPIC 1
#define MADT_ISA_OVERRIDE 2
#define MADT_IOAPIC_SIZE 12
#define MADT_ISA_OVERRIDE_SIZE 10
#define MPS_POLARITY_MASK 0x3
#define MPS_POLARITY_LOW 0x3
#define MPS_TRIGGER_MASK 0xC
#define MPS_TRIGGER_LEVEL 0xC
#define DEFAULT_IOAPIC_ADDR 0xFEC00000
#define MAX_TABLE_SIZE (1u << 20)

static uint32_t u32_at(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static uint64_t u64_at(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static bool checksum_ok(const uint8_t *p, size_t n)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += p[i];
    return sum == 0;
}

/* The table at physical address pa if it is mapped, sane and checksummed. */
static const uint8_t *table_at(uint64_t pa)
{
    const uint8_t *t = phys_to_virt(pa);
    if (pa == 0 || !kpage_readable(t) || !kpage_readable(t + SDT_HEADER_SIZE - 1))
        return NULL;
    uint32_t len = u32_at(t + 4);
    if (len < SDT_HEADER_SIZE || len > MAX_TABLE_SIZE || !kpage_readable(t + len - 1))
        return NULL;
    return checksum_ok(t, len) ? t : NULL;
}

static const uint8_t *find_madt(const struct boot_info *bi, const char **why)
{
    const uint8_t *rsdp = bi->acpi_rsdp;
    if (rsdp == NULL || bi->acpi_rsdp_size < RSDP_V1_SIZE || memcmp(rsdp, "RSD PTR ", 8) != 0 ||
        !checksum_ok(rsdp, RSDP_V1_SIZE)) {
        *why = "no valid ACPI RSDP from the boot loader";
        return NULL;
    }
    bool xsdt = rsdp[15] >= 2 && bi->acpi_rsdp_size >= RSDP_V2_SIZE && u64_at(rsdp + 24) != 0 &&
                checksum_ok(rsdp, RSDP_V2_SIZE);     /* ACPI 2.0 added a checksum over all 36 bytes */
    const uint8_t *root = table_at(xsdt ? u64_at(rsdp + 24) : u32_at(rsdp + 16));
    if (root == NULL) {
        *why = "the ACPI root table is missing or corrupt";
        return NULL;
    }
    size_t entry_size = xsdt ? 8 : 4;
    size_t count = (u32_at(root + 4) - SDT_HEADER_SIZE) / entry_size;
    for (size_t i = 0; i < count; i++) {
        const uint8_t *e = root + SDT_HEADER_SIZE + i * entry_size;
        const uint8_t *t = table_at(xsdt ? u64_at(e) : u32_at(e));
        if (t != NULL && memcmp(t, "APIC", 4) == 0)
            return t;
    }
    *why = "the ACPI tables have no MADT";
    return NULL;
}

static void set_defaults(struct madt_info *info)
{
    info->ioapic_addr = DEFAULT_IOAPIC_ADDR;
    info->ioapic_gsi_base = 0;
    for (unsigned irq = 0; irq < ISA_IRQS; irq++)
        info->isa[irq] = (struct isa_route){ .gsi = irq };
}

bool acpi_read_madt(const struct boot_info *bi, struct madt_info *info, const char **why)
{
    set_defaults(info);
    const uint8_t *madt = find_madt(bi, why);
    if (madt == NULL)
        return false;

    bool have_ioapic = false;
    uint32_t len = u32_at(madt + 4);
    for (uint32_t off = MADT_ENTRIES_OFFSET; off + 2 <= len;) {
        uint8_t type = madt[off], size = madt[off + 1];
        if (size < 2 || off + size > len) {
            *why = "a MADT entry runs past the end of the table";
            set_defaults(info);
            return false;
        }
        const uint8_t *e = madt + off;
        if (type == MADT_IOAPIC && size >= MADT_IOAPIC_SIZE && !have_ioapic) {
            info->ioapic_addr = u32_at(e + 4);
            info->ioapic_gsi_base = u32_at(e + 8);
            have_ioapic = true;
        } else if (type == MADT_ISA_OVERRIDE && size >= MADT_ISA_OVERRIDE_SIZE && e[3] < ISA_IRQS) {
            uint16_t flags = (uint16_t)(e[8] | e[9] << 8);
            info->isa[e[3]] = (struct isa_route){
                .gsi = u32_at(e + 4),
                .active_low = (flags & MPS_POLARITY_MASK) == MPS_POLARITY_LOW,
                .level_triggered = (flags & MPS_TRIGGER_MASK) == MPS_TRIGGER_LEVEL,
            };
        }
        off += size;
    }
    if (!have_ioapic) {
        *why = "the MADT lists no IO APIC";
        set_defaults(info);
        return false;
    }
    return true;
}
