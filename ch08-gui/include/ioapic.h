/* ioapic.h: the IO APIC, which routes device interrupt lines to CPU vectors. */
#ifndef CUBOS_IOAPIC_H
#define CUBOS_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "acpi.h"

#define ISA_IRQ_KEYBOARD 1
#define ISA_IRQ_COM1 4

/* Mask every pin of the IO APIC the MADT described. Returns false if no IO
 * APIC answers at its address. */
bool ioapic_init(const struct madt_info *info);

/* True if ISA interrupt irq arrives on a pin of this IO APIC (after
 * ioapic_init), so that ioapic_route_isa can deliver it. */
bool ioapic_routes_isa(unsigned irq);

/* Deliver legacy ISA interrupt irq to vector on this CPU, unmasked. Follows
 * the firmware's interrupt source overrides (ACPI MADT) for the pin. */
void ioapic_route_isa(unsigned irq, uint8_t vector);

/* Deliver the PCI interrupt that arrives at IO APIC input gsi to vector on
 * this CPU, unmasked: level-triggered and active low, as PCI's INTx#
 * lines are (ch07). */
void ioapic_route_pci(unsigned gsi, uint8_t vector);

#endif
