/*
 * acpi.c: read the firmware's ACPI tables: the MADT (IO APIC and ISA
 * interrupt routing), the MCFG (where PCI Express configuration space is)
 * and the FADT and DSDT (how to power the machine off).
 *
 * GRUB copies the RSDP into the boot information. The RSDP points at the
 * RSDT (32-bit table addresses) or, from ACPI 2.0, the XSDT (64-bit); the
 * tables they list include the MADT and the FADT, and the FADT points at
 * the DSDT. Every table carries a length and a checksum (all bytes sum to
 * 0), checked before anything in it is used: firmware tables are data from
 * outside the kernel.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acpi.h"
#include "kpage.h"
#include "kprintf.h"
#include "memlayout.h"
#include "string.h"
#include "unaligned.h"
#include "x86.h"

#define RSDP_V1_SIZE 20
#define RSDP_V2_SIZE 36
#define SDT_HEADER_SIZE 36
#define MADT_ENTRIES_OFFSET 44          /* header, local APIC address, flags */
#define MADT_LAPIC 0
#define MADT_IOAPIC 1
#define MADT_ISA_OVERRIDE 2
#define MADT_X2APIC 9
#define MADT_LAPIC_SIZE 8
#define MADT_IOAPIC_SIZE 12
#define MADT_ISA_OVERRIDE_SIZE 10
#define MADT_X2APIC_SIZE 16
#define MADT_CPU_ENABLED (1 << 0)       /* the processor is ready to start */
#define MADT_CPU_ONLINE_CAPABLE (1 << 1) /* off now, may be started (ACPI 6.3 on) */
#define XAPIC_MAX_ID 0xFF               /* an xAPIC destination is 8 bits */
#define MPS_POLARITY_MASK 0x3
#define MPS_POLARITY_LOW 0x3
#define MPS_TRIGGER_MASK 0xC
#define MPS_TRIGGER_LEVEL 0xC
#define DEFAULT_IOAPIC_ADDR 0xFEC00000
#define MAX_TABLE_SIZE (1u << 20)

/* MCFG (PCI Firmware 3.0, 4.1.2, table 4-3): after the header, 8 reserved
 * bytes, then 16-byte entries: base (8), segment (2), start bus, end bus. */
#define MCFG_ENTRIES_OFFSET 44
#define MCFG_ENTRY_SIZE 16
#define ECAM_BUS_SIZE (1u << 20)        /* 32 devices x 8 functions x 4 KiB */

/* FADT fields (ACPI 6.5, 5.2.9, table 5.9): byte offsets and sizes. */
#define FADT_DSDT 40                    /* 32-bit physical address */
#define FADT_SMI_CMD 48                 /* port that switches the chipset to ACPI mode */
#define FADT_ACPI_ENABLE 52             /* the byte to write there */
#define FADT_PM1A_CNT_BLK 64            /* port of the PM1a control register */
#define FADT_PM1B_CNT_BLK 68            /* PM1b, 0 if there is none */
#define FADT_X_DSDT 140                 /* 64-bit DSDT address, ACPI 2.0 and later */
#define FADT_X_DSDT_END 148

/* PM1 control register bits (ACPI 6.5, 4.8.3.2.1, table 4.13). */
#define PM1_SCI_EN (1 << 0)             /* the chipset is in ACPI mode */
#define PM1_SLP_TYP_SHIFT 10            /* sleep type, 3 bits, from \_Sx */
#define PM1_SLP_TYP_MASK 0x7
#define PM1_SLP_EN (1 << 13)            /* enter the sleep type now */

/* AML encodings (ACPI 6.5, 20.2): Name(_S5_, Package() {SLP_TYPa, SLP_TYPb, ...}). */
#define AML_NAME_OP 0x08
#define AML_ROOT_CHAR '\\'
#define AML_PACKAGE_OP 0x12
#define AML_ZERO_OP 0x00
#define AML_ONE_OP 0x01
#define AML_BYTE_PREFIX 0x0A
#define AML_WORD_PREFIX 0x0B
#define AML_DWORD_PREFIX 0x0C
#define AML_PKG_LENGTH_BYTES(lead) ((lead) >> 6)    /* bytes after the lead byte */

/* Reads of PM1a_CNT to wait for the chipset to act on SCI_EN or SLP_EN
 * (each I/O read takes about a microsecond). */
#define PM1_WAIT_READS 1000000

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
    uint32_t len = load_u32(t + 4);
    if (len < SDT_HEADER_SIZE || len > MAX_TABLE_SIZE || !kpage_readable(t + len - 1))
        return NULL;
    return checksum_ok(t, len) ? t : NULL;
}

/* The table with signature sig among those the RSDT or XSDT lists; NULL
 * with *why set if the tables cannot be read, or *why NULL if they can but
 * do not have it. */
static const uint8_t *find_table(const struct boot_info *bi, const char *sig, const char **why)
{
    const uint8_t *rsdp = bi->acpi_rsdp;
    if (rsdp == NULL || bi->acpi_rsdp_size < RSDP_V1_SIZE || memcmp(rsdp, "RSD PTR ", 8) != 0 ||
        !checksum_ok(rsdp, RSDP_V1_SIZE)) {
        *why = "no valid ACPI RSDP from the boot loader";
        return NULL;
    }
    bool xsdt = rsdp[15] >= 2 && bi->acpi_rsdp_size >= RSDP_V2_SIZE && load_u64(rsdp + 24) != 0 &&
                checksum_ok(rsdp, RSDP_V2_SIZE);     /* ACPI 2.0 added a checksum over all 36 bytes */
    const uint8_t *root = table_at(xsdt ? load_u64(rsdp + 24) : load_u32(rsdp + 16));
    if (root == NULL) {
        *why = "the ACPI root table is missing or corrupt";
        return NULL;
    }
    size_t entry_size = xsdt ? 8 : 4;
    size_t count = (load_u32(root + 4) - SDT_HEADER_SIZE) / entry_size;
    for (size_t i = 0; i < count; i++) {
        const uint8_t *e = root + SDT_HEADER_SIZE + i * entry_size;
        const uint8_t *t = table_at(xsdt ? load_u64(e) : load_u32(e));
        if (t != NULL && memcmp(t, sig, 4) == 0)
            return t;
    }
    *why = NULL;                /* the tables are fine; this one is not among them */
    return NULL;
}

/* One processor entry: a CPU to start if enabled (or online-capable),
 * skipped with a word if not, or if its ID needs x2APIC mode. */
static void add_cpu(struct madt_info *info, uint32_t apic_id, uint32_t flags)
{
    if (!(flags & (MADT_CPU_ENABLED | MADT_CPU_ONLINE_CAPABLE))) {
        kprintf("acpi: CPU with APIC id %u is disabled in the MADT; skipped\n", apic_id);
        return;
    }
    if (apic_id > XAPIC_MAX_ID) {
        kprintf("acpi: CPU with APIC id %u needs x2APIC mode; skipped\n", apic_id);
        return;
    }
    if (info->ncpus == MADT_MAX_CPUS) {
        kprintf("acpi: more than %d CPUs; APIC id %u skipped\n", MADT_MAX_CPUS, apic_id);
        return;
    }
    info->cpu_apic_ids[info->ncpus++] = (uint8_t)apic_id;
}

static void set_defaults(struct madt_info *info)
{
    info->ncpus = 0;
    info->ioapic_addr = DEFAULT_IOAPIC_ADDR;
    info->ioapic_gsi_base = 0;
    for (unsigned irq = 0; irq < ISA_IRQS; irq++)
        info->isa[irq] = (struct isa_route){ .gsi = irq };
}

bool acpi_read_madt(const struct boot_info *bi, struct madt_info *info, const char **why)
{
    set_defaults(info);
    const uint8_t *madt = find_table(bi, "APIC", why);
    if (madt == NULL) {
        if (*why == NULL)
            *why = "the ACPI tables have no MADT";
        return false;
    }

    bool have_ioapic = false;
    uint32_t len = load_u32(madt + 4);
    for (uint32_t off = MADT_ENTRIES_OFFSET; off + 2 <= len;) {
        uint8_t type = madt[off], size = madt[off + 1];
        if (size < 2 || off + size > len) {
            *why = "a MADT entry runs past the end of the table";
            set_defaults(info);
            return false;
        }
        const uint8_t *e = madt + off;
        if (type == MADT_LAPIC && size >= MADT_LAPIC_SIZE) {
            add_cpu(info, e[3], load_u32(e + 4));
        } else if (type == MADT_X2APIC && size >= MADT_X2APIC_SIZE) {
            add_cpu(info, load_u32(e + 4), load_u32(e + 8));
        } else if (type == MADT_IOAPIC && size >= MADT_IOAPIC_SIZE && !have_ioapic) {
            info->ioapic_addr = load_u32(e + 4);
            info->ioapic_gsi_base = load_u32(e + 8);
            have_ioapic = true;
        } else if (type == MADT_ISA_OVERRIDE && size >= MADT_ISA_OVERRIDE_SIZE && e[3] < ISA_IRQS) {
            uint16_t flags = (uint16_t)(e[8] | e[9] << 8);
            info->isa[e[3]] = (struct isa_route){
                .gsi = load_u32(e + 4),
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

/* The AML integer at *p (ZeroOp, OneOp or a Byte/Word/DWord prefix), moving
 * *p past it; false if it is none of those or runs past end. */
static bool aml_integer(const uint8_t **p, const uint8_t *end, uint32_t *value)
{
    const uint8_t *q = *p;
    size_t size;
    if (q >= end)
        return false;
    switch (*q++) {
    case AML_ZERO_OP:
        *value = 0;
        *p = q;
        return true;
    case AML_ONE_OP:
        *value = 1;
        *p = q;
        return true;
    case AML_BYTE_PREFIX:
        size = 1;
        break;
    case AML_WORD_PREFIX:
        size = 2;
        break;
    case AML_DWORD_PREFIX:
        size = 4;
        break;
    default:
        return false;
    }
    if ((size_t)(end - q) < size)
        return false;
    *value = 0;
    for (size_t i = 0; i < size; i++)
        *value |= (uint32_t)q[i] << (8 * i);
    *p = q + size;
    return true;
}

/* SLP_TYPa and SLP_TYPb from the DSDT's Name(_S5_, Package() {a, b, ...})
 * (ACPI 6.5, 7.4.2.6). The object is found by its bytes rather than by
 * running the AML, which is what every small kernel does: firmware writes
 * it as a plain named package. */
static bool read_s5(const uint8_t *dsdt, uint32_t *typa, uint32_t *typb)
{
    const uint8_t *end = dsdt + load_u32(dsdt + 4);
    for (const uint8_t *p = dsdt + SDT_HEADER_SIZE + 1; p + 4 < end; p++) {
        if (memcmp(p, "_S5_", 4) != 0)
            continue;
        if (p[-1] != AML_NAME_OP && !(p[-1] == AML_ROOT_CHAR && p - 2 >= dsdt && p[-2] == AML_NAME_OP))
            continue;
        const uint8_t *q = p + 4;
        if (q >= end || *q++ != AML_PACKAGE_OP || q >= end)
            return false;
        q += 1 + AML_PKG_LENGTH_BYTES(*q) + 1;      /* PkgLength, then NumElements */
        return aml_integer(&q, end, typa) && aml_integer(&q, end, typb);
    }
    return false;
}

static struct {
    const char *why_not;        /* NULL once S5 is known */
    uint16_t pm1a_cnt, pm1b_cnt;
    uint32_t slp_typa, slp_typb;
    uint32_t smi_cmd;
    uint8_t acpi_enable;
} s5 = { "acpi_power_init was not called", 0, 0, 0, 0, 0, 0 };

bool acpi_read_mcfg(const struct boot_info *bi, struct mcfg_info *info)
{
    const char *why;
    const uint8_t *mcfg = find_table(bi, "MCFG", &why);
    if (mcfg == NULL)
        return false;
    uint32_t len = load_u32(mcfg + 4);
    for (uint32_t off = MCFG_ENTRIES_OFFSET; off + MCFG_ENTRY_SIZE <= len; off += MCFG_ENTRY_SIZE) {
        const uint8_t *e = mcfg + off;
        uint64_t base = load_u64(e);
        uint16_t segment = load_u16(e + 8);
        uint8_t start = e[10], end = e[11];
        if (segment != 0)
            continue;
        if (base == 0 || base % ECAM_BUS_SIZE != 0 || end < start) {
            kprintf("acpi: MCFG entry for segment 0 makes no sense (base 0x%llx, buses %u-%u); "
                    "ignored\n", (unsigned long long)base, start, end);
            return false;
        }
        info->base = base;
        info->start_bus = start;
        info->end_bus = end;
        return true;
    }
    return false;
}

void acpi_power_init(const struct boot_info *bi)
{
    const char *why;
    const uint8_t *fadt = find_table(bi, "FACP", &why);
    if (fadt == NULL) {
        s5.why_not = why != NULL ? why : "the ACPI tables have no FADT";
        return;
    }
    uint32_t len = load_u32(fadt + 4);
    if (len < FADT_PM1B_CNT_BLK + 4) {
        s5.why_not = "the ACPI FADT is too short";
        return;
    }
    uint64_t dsdt_pa = len >= FADT_X_DSDT_END && load_u64(fadt + FADT_X_DSDT) != 0 ?
                       load_u64(fadt + FADT_X_DSDT) : load_u32(fadt + FADT_DSDT);
    const uint8_t *dsdt = table_at(dsdt_pa);
    if (dsdt == NULL || memcmp(dsdt, "DSDT", 4) != 0) {
        s5.why_not = "the ACPI DSDT is missing or corrupt";
        return;
    }
    if (!read_s5(dsdt, &s5.slp_typa, &s5.slp_typb)) {
        s5.why_not = "the ACPI DSDT has no \\_S5_ package the kernel can read";
        return;
    }
    s5.pm1a_cnt = (uint16_t)load_u32(fadt + FADT_PM1A_CNT_BLK);
    s5.pm1b_cnt = (uint16_t)load_u32(fadt + FADT_PM1B_CNT_BLK);
    s5.smi_cmd = load_u32(fadt + FADT_SMI_CMD);
    s5.acpi_enable = fadt[FADT_ACPI_ENABLE];
    s5.why_not = s5.pm1a_cnt == 0 ? "the ACPI FADT has no PM1a control register" : NULL;
}

/* Sleep type typ, then SLP_EN, into the control register at port; the
 * other bits are kept (ACPI 6.5, 16.1.7: "Transitioning ... to the S5 state"). */
static void pm1_enter(uint16_t port, uint32_t typ)
{
    uint16_t value = inw(port) & ~(PM1_SLP_TYP_MASK << PM1_SLP_TYP_SHIFT);
    outw(port, (uint16_t)(value | (typ & PM1_SLP_TYP_MASK) << PM1_SLP_TYP_SHIFT | PM1_SLP_EN));
}

const char *acpi_power_off(void)
{
    if (s5.why_not != NULL)
        return s5.why_not;
    /* A chipset still in legacy mode is switched to ACPI mode first. */
    if (!(inw(s5.pm1a_cnt) & PM1_SCI_EN) && s5.smi_cmd != 0 && s5.acpi_enable != 0) {
        outb((uint16_t)s5.smi_cmd, s5.acpi_enable);
        for (int i = 0; i < PM1_WAIT_READS && !(inw(s5.pm1a_cnt) & PM1_SCI_EN); i++)
            ;
    }
    pm1_enter(s5.pm1a_cnt, s5.slp_typa);
    if (s5.pm1b_cnt != 0)
        pm1_enter(s5.pm1b_cnt, s5.slp_typb);
    for (int i = 0; i < PM1_WAIT_READS; i++)
        (void)inw(s5.pm1a_cnt);
    return "the machine ignored the ACPI S5 request";
}
