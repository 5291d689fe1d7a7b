/*
 * acpi.h: what the firmware's ACPI tables say about interrupt controllers
 * and about turning the machine off.
 *
 * The MADT (signature "APIC", ACPI spec 6.5, section 5.2.12) lists the
 * CPUs by their local APIC IDs, says where the IO APIC is, and how ISA
 * interrupt lines map onto its pins. The FADT
 * ("FACP", 5.2.9) and the DSDT's \_S5_ object (7.4.2) say how to enter the
 * soft-off state S5 (16.1).
 */
#ifndef CUBOS_ACPI_H
#define CUBOS_ACPI_H

#include <stdbool.h>
#include <stdint.h>

#include "multiboot2.h"

#define ISA_IRQS 16

struct isa_route {
    uint32_t gsi;               /* global system interrupt: IO APIC pin + gsi_base */
    bool active_low;
    bool level_triggered;
};

#define MADT_MAX_CPUS 16

struct madt_info {
    uint8_t cpu_apic_ids[MADT_MAX_CPUS];    /* every enabled CPU, the boot CPU among them */
    unsigned ncpus;                         /* 0 without a MADT: only the boot CPU is known */
    uint64_t ioapic_addr;
    uint32_t ioapic_gsi_base;
    struct isa_route isa[ISA_IRQS];     /* identity, edge, active high unless overridden */
};

/* Find the MADT through the RSDP GRUB passed. Returns false, with *why set,
 * if there is none or it fails its checks; *info then holds the PC defaults
 * (IO APIC at 0xFEC00000, ISA IRQ n on pin n). */
bool acpi_read_madt(const struct boot_info *bi, struct madt_info *info, const char **why);

/* PCI Express's memory-mapped configuration space (ECAM), from the MCFG
 * table (PCI Firmware Specification 3.0, 4.1.2): bus b's space is at
 * base + (b - start_bus) * 1 MiB. */
struct mcfg_info {
    uint64_t base;
    uint8_t start_bus, end_bus;
};

/* The ECAM region of PCI segment 0; false if the firmware has no MCFG (a
 * plain PCI machine such as QEMU's pc) or its entry makes no sense. */
bool acpi_read_mcfg(const struct boot_info *bi, struct mcfg_info *info);

/* Find how this machine powers off (ACPI S5), for acpi_power_off. */
void acpi_power_init(const struct boot_info *bi);

/* Power the machine off through ACPI S5. Returns only if it could not,
 * with the reason. */
const char *acpi_power_off(void);

#endif
