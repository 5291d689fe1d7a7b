/*
 * pci.h: the PCI bus: finding devices, reading their configuration space,
 * their BARs and capabilities, and turning them on.
 *
 * Every PCI function has 256 bytes of configuration space (4096 on PCI
 * Express), addressed by bus, device and function. The kernel reaches it
 * through the legacy ports 0xCF8/0xCFC, or through ECAM (memory-mapped
 * configuration, PCI Express Base Specification 6.0, 7.2.2) when the ACPI
 * MCFG table gives its address, as on QEMU's q35 machine. pci_init finds
 * the functions once at boot; drivers then look them up by vendor and
 * device id or by class.
 */
#ifndef CUBOS_PCI_H
#define CUBOS_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "multiboot2.h"
#include "pci_bar.h"

/* Configuration space header, type 0 and 1 (PCI Local Bus 3.0, 6.1). */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_REVISION 0x08           /* then prog-if, subclass, class */
#define PCI_HEADER_TYPE 0x0E
#define PCI_BAR0 0x10
#define PCI_SECONDARY_BUS 0x19      /* type 1 (a bridge): the bus behind it */
#define PCI_CAPABILITIES 0x34
#define PCI_INTERRUPT_LINE 0x3C     /* the IRQ the firmware routed INTx to */
#define PCI_INTERRUPT_PIN 0x3D      /* 1-4: INTA#-INTD#, 0: none */

#define PCI_COMMAND_IO (1 << 0)     /* decode its I/O BARs */
#define PCI_COMMAND_MEMORY (1 << 1) /* decode its memory BARs */
#define PCI_COMMAND_MASTER (1 << 2) /* may start DMA */
#define PCI_COMMAND_INTX_OFF (1 << 10)
#define PCI_STATUS_CAPABILITIES (1 << 4)

#define PCI_HEADER_TYPE_MASK 0x7F
#define PCI_HEADER_BRIDGE 1
#define PCI_HEADER_MULTIFUNCTION 0x80

/* Capability ids (PCI Code and ID Assignment 1.11, 2). */
#define PCI_CAP_MSI 0x05
#define PCI_CAP_VENDOR 0x09         /* virtio's structures (virtio 1.1, 4.1.4) */
#define PCI_CAP_PCIE 0x10
#define PCI_CAP_MSIX 0x11

#define PCI_BARS 6                  /* a type 0 header's; a bridge has 2 */
#define PCI_MAX_DEVICES 64

struct pci_device {
    uint8_t bus, dev, fn;
    uint16_t vendor, device;
    uint8_t class_code, subclass, prog_if, revision;
    uint8_t header_type;            /* PCI_HEADER_TYPE_MASK bits */
    uint8_t irq_line, irq_pin;
    uint8_t msi_cap, msix_cap;      /* config offsets of those capabilities, 0 if none */
    struct pci_bar bar[PCI_BARS];
};

/* Find every PCI function (once, at boot) and say how many and how the
 * configuration space is reached. */
void pci_init(const struct boot_info *bi);

/* The functions found, in bus order: *count of them. */
struct pci_device *pci_devices(unsigned *count);

/* The index-th function with this vendor and device id, or NULL. */
struct pci_device *pci_find(uint16_t vendor, uint16_t device, unsigned index);

/* Read and write the configuration space of d (offset aligned to the size). */
uint8_t pci_read8(const struct pci_device *d, unsigned offset);
uint16_t pci_read16(const struct pci_device *d, unsigned offset);
uint32_t pci_read32(const struct pci_device *d, unsigned offset);
void pci_write16(const struct pci_device *d, unsigned offset, uint16_t value);
void pci_write32(const struct pci_device *d, unsigned offset, uint32_t value);

/* The offset of d's first capability with this id after offset start (0:
 * from the list's head), or 0 if none. */
unsigned pci_find_capability(const struct pci_device *d, uint8_t id, unsigned start);

/* Let d decode its BARs and master the bus (DMA): what a driver does
 * before it touches the device. */
void pci_enable(const struct pci_device *d);

/* "ECAM at 0x... (buses 0-255)" or "ports 0xcf8/0xcfc". */
const char *pci_access_method(void);

#endif
