/*
 * ioapic.c: the IO APIC (Intel 82093AA data sheet), which turns device
 * interrupt lines into messages to a CPU's local APIC.
 *
 * Each input pin has a 64-bit redirection entry: vector, polarity, trigger
 * mode, mask and destination APIC ID. Registers are reached indirectly:
 * write the register number to IOREGSEL, then read or write IOWIN.
 * Where ISA lines arrive, and with which polarity, is the firmware's to say
 * (ACPI MADT overrides): on QEMU and most PCs, IRQ 0 (the PIT) arrives on
 * pin 2, for instance.
 */
#include <stdbool.h>
#include <stdint.h>

#include "acpi.h"
#include "ioapic.h"
#include "kprintf.h"
#include "lapic.h"
#include "memlayout.h"

#define IOREGSEL 0x00
#define IOWIN 0x10
#define IOAPIC_VERSION 0x01
#define IOAPIC_REDIRECTION 0x10     /* entry n: registers 0x10 + 2n (low) and 0x11 + 2n (high) */

#define REDIR_ACTIVE_LOW (1 << 13)
#define REDIR_LEVEL (1 << 15)
#define REDIR_MASKED (1 << 16)
#define REDIR_DEST_SHIFT 24         /* in the high word */
#define NOTHING_ANSWERS 0xFFFFFFFF

static volatile uint32_t *base;
static struct madt_info madt;
static unsigned pins;

static uint32_t ioapic_read(uint32_t reg)
{
    base[IOREGSEL / 4] = reg;
    return base[IOWIN / 4];
}

static void ioapic_write(uint32_t reg, uint32_t value)
{
    base[IOREGSEL / 4] = reg;
    base[IOWIN / 4] = value;
}

bool ioapic_init(const struct madt_info *info)
{
    madt = *info;
    base = phys_to_virt(info->ioapic_addr);
    uint32_t version = ioapic_read(IOAPIC_VERSION);
    /* Where no device answers, a read gives all zeros (QEMU) or all ones
     * (most PCs); a real IO APIC has a version (0x11 on the 82093AA, 0x20
     * on Intel chipsets) and at least one pin. */
    if (version == 0 || version == NOTHING_ANSWERS)
        return false;
    pins = ((version >> 16) & 0xFF) + 1;
    for (unsigned pin = 0; pin < pins; pin++) {
        ioapic_write(IOAPIC_REDIRECTION + 2 * pin, REDIR_MASKED);
        ioapic_write(IOAPIC_REDIRECTION + 2 * pin + 1, 0);
    }
    kprintf("ioapic: %u pins at 0x%llx, interrupts from GSI %u\n", pins,
            (unsigned long long)info->ioapic_addr, info->ioapic_gsi_base);
    return true;
}

bool ioapic_routes_isa(unsigned irq)
{
    return irq < ISA_IRQS && madt.isa[irq].gsi - madt.ioapic_gsi_base < pins;
}

void ioapic_route_isa(unsigned irq, uint8_t vector)
{
    if (irq >= ISA_IRQS) {
        kprintf("ioapic: there is no ISA IRQ %u\n", irq);
        return;
    }
    const struct isa_route *r = &madt.isa[irq];
    unsigned pin = r->gsi - madt.ioapic_gsi_base;
    if (pin >= pins) {
        kprintf("ioapic: ISA IRQ %u (GSI %u) is not on this IO APIC\n", irq, r->gsi);
        return;
    }
    uint32_t low = vector | (r->active_low ? REDIR_ACTIVE_LOW : 0) | (r->level_triggered ? REDIR_LEVEL : 0);
    ioapic_write(IOAPIC_REDIRECTION + 2 * pin + 1, (uint32_t)lapic_id() << REDIR_DEST_SHIFT);
    ioapic_write(IOAPIC_REDIRECTION + 2 * pin, low);
}

void ioapic_route_pci(unsigned gsi, uint8_t vector)
{
    unsigned pin = gsi - madt.ioapic_gsi_base;
    if (gsi < madt.ioapic_gsi_base || pin >= pins) {
        kprintf("ioapic: GSI %u is not on this IO APIC\n", gsi);
        return;
    }
    ioapic_write(IOAPIC_REDIRECTION + 2 * pin + 1, (uint32_t)lapic_id() << REDIR_DEST_SHIFT);
    ioapic_write(IOAPIC_REDIRECTION + 2 * pin, vector | REDIR_ACTIVE_LOW | REDIR_LEVEL);
}
