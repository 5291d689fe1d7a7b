/*
 * pci_bar.h: what a PCI base address register says, decoded (pure code,
 * also compiled into the host unit tests: tests/ch07-net/unit/test_pci_bar.c).
 *
 * A BAR (PCI Local Bus 3.0, 6.2.5.1) holds where the device's registers
 * are, in I/O or memory space. Its size is not written anywhere: software
 * writes all ones and reads back which address bits stuck at zero (the
 * bits below the size). A 64-bit memory BAR takes two registers, the
 * second holding the upper half.
 */
#ifndef CUBOS_PCI_BAR_H
#define CUBOS_PCI_BAR_H

#include <stdbool.h>
#include <stdint.h>

enum pci_bar_kind {
    PCI_BAR_NONE,               /* not implemented (reads back 0) */
    PCI_BAR_IO,                 /* ports: base is a port number */
    PCI_BAR_MEM32,              /* memory below 4 GiB */
    PCI_BAR_MEM64,              /* memory anywhere; takes this BAR and the next */
};

struct pci_bar {
    uint64_t base;              /* 0: the firmware left it unassigned */
    uint64_t size;
    enum pci_bar_kind kind;
    bool prefetchable;          /* memory without side effects on reads */
};

/* Decode one BAR from the value it held (lo; hi, the next register's, for
 * a 64-bit one) and what each read back after all ones were written
 * (mask_lo, mask_hi). has_next: there is a next register for a 64-bit
 * BAR's upper half. Returns the registers the BAR takes (1 or 2), or -1
 * with *why set if it makes no sense: a reserved memory type, a 64-bit
 * BAR in the last register, a size that is not a power of two, a base
 * not aligned to its size. */
int pci_bar_decode(uint32_t lo, uint32_t hi, uint32_t mask_lo, uint32_t mask_hi, bool has_next,
                   struct pci_bar *out, const char **why);

/* "Ethernet controller", "Host bridge"...: the class and subclass's name
 * from PCI Code and ID Assignment 1.11, 1; a class's name for an unlisted
 * subclass, "Unknown class" for an unlisted class. */
const char *pci_class_name(uint8_t class_code, uint8_t subclass);

/* The name of a device QEMU offers ("82540EM Gigabit Ethernet (e1000)"),
 * or NULL for one not in the table. */
const char *pci_device_name(uint16_t vendor, uint16_t device);

#endif
