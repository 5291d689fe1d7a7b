/*
 * lspci.c: the shell's `lspci`: every PCI function pci_init found, in the
 * style of Linux's `lspci -nn -v`: address, class, name and ids, then its
 * interrupt, its BARs and the capabilities drivers care about.
 */
#include <stdint.h>

#include "kprintf.h"
#include "pci.h"
#include "shell.h"

/* size in lspci's units: bytes, K, M or G. */
static void print_size(uint64_t size)
{
    static const char units[] = { 0, 'K', 'M', 'G' };
    unsigned u = 0;
    while (u + 1 < sizeof(units) && size >= 1024 && size % 1024 == 0) {
        size /= 1024;
        u++;
    }
    if (units[u])
        kprintf("[size=%llu%c]\n", (unsigned long long)size, units[u]);
    else
        kprintf("[size=%llu]\n", (unsigned long long)size);
}

static void print_bar(const struct pci_bar *b)
{
    if (b->kind == PCI_BAR_IO) {
        kprintf("\tI/O ports at ");
        if (b->base)
            kprintf("%llx ", (unsigned long long)b->base);
        else
            kprintf("<unassigned> ");
    } else {
        kprintf("\tMemory at ");
        if (b->base)
            kprintf("%llx ", (unsigned long long)b->base);
        else
            kprintf("<unassigned> ");
        kprintf("(%s, %sprefetchable) ", b->kind == PCI_BAR_MEM64 ? "64-bit" : "32-bit",
                b->prefetchable ? "" : "non-");
    }
    print_size(b->size);
}

static void print_device(const struct pci_device *d)
{
    const char *name = pci_device_name(d->vendor, d->device);
    kprintf("%02x:%02x.%x %s [%02x%02x]: %s [%04x:%04x] (rev %02x)\n", d->bus, d->dev, d->fn,
            pci_class_name(d->class_code, d->subclass), d->class_code, d->subclass,
            name ? name : "Device", d->vendor, d->device, d->revision);
    if (d->irq_pin >= 1 && d->irq_pin <= 4)
        kprintf("\tInterrupt: pin %c routed to IRQ %u\n", 'A' + d->irq_pin - 1, d->irq_line);
    for (unsigned i = 0; i < PCI_BARS; i++)
        if (d->bar[i].kind != PCI_BAR_NONE)
            print_bar(&d->bar[i]);
    if (d->msi_cap || d->msix_cap)
        kprintf("\tCapabilities:%s%s\n", d->msi_cap ? " MSI" : "", d->msix_cap ? " MSI-X" : "");
}

static void cmd_lspci(int argc, char **argv)
{
    if (argc != 1) {
        kprintf("usage: %s (no arguments)\n", argv[0]);
        return;
    }
    unsigned count;
    struct pci_device *devices = pci_devices(&count);
    for (unsigned i = 0; i < count; i++)
        print_device(&devices[i]);
    kprintf("%u PCI functions, configuration through %s\n", count, pci_access_method());
}

const struct shell_command lspci_command = {
    "lspci", "lspci", "list the PCI devices: class, ids, interrupt, BARs, capabilities", cmd_lspci,
};
