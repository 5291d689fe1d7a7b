/*
 * pci.c: finding the PCI functions and reaching their configuration space
 * (see pci.h).
 *
 * Two ways in. The legacy one (PCI Local Bus 3.0, 3.2.2.3.2): write the
 * function's address to port 0xCF8, then read or write the register
 * through port 0xCFC; the two steps must not interleave with another
 * CPU's, so a spinlock holds them together. ECAM (PCI Express 6.0, 7.2.2):
 * every function's 4 KiB of configuration space is memory at a fixed
 * address, base + bus << 20 | device << 15 | function << 12, where the
 * MCFG table says; plain loads and stores, no lock.
 *
 * The scan starts at bus 0 and follows each PCI-to-PCI bridge to the bus
 * behind it (its secondary bus number, which the firmware assigned), the
 * way the buses really hang together, rather than trying all 256 buses.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acpi.h"
#include "format.h"
#include "kprintf.h"
#include "mmio.h"
#include "pci.h"
#include "spinlock.h"
#include "x86.h"

#define CONFIG_ADDRESS 0xCF8
#define CONFIG_DATA 0xCFC
#define CONFIG_ENABLE (1u << 31)
#define DEVICES_PER_BUS 32
#define FUNCTIONS_PER_DEVICE 8
#define NO_DEVICE 0xFFFF            /* the vendor id read where nothing answers */
#define BUS_DEPTH_MAX 32            /* bridges behind bridges, at most */
/* The first capability sits after the 64-byte header; each takes at least
 * 4 bytes, so a list longer than this loops (a broken or hostile device). */
#define CAPS_START 0x40
#define CAPS_MAX ((256 - CAPS_START) / 4)

static struct spinlock config_lock = SPINLOCK_INIT("pci config ports");
static volatile uint8_t *ecam;      /* NULL: the legacy ports */
static struct mcfg_info mcfg;
static char access_method[64] = "no PCI bus";

static struct pci_device devices[PCI_MAX_DEVICES];
static unsigned ndevices;
static unsigned not_kept;           /* found beyond PCI_MAX_DEVICES */

static bool via_ecam(uint8_t bus)
{
    return ecam != NULL && bus >= mcfg.start_bus && bus <= mcfg.end_bus;
}

static volatile uint8_t *ecam_at(uint8_t bus, uint8_t dev, uint8_t fn, unsigned offset)
{
    return ecam + ((uint64_t)(bus - mcfg.start_bus) << 20 | (uint64_t)dev << 15 | (uint64_t)fn << 12 |
                   offset);
}

static void select_register(uint8_t bus, uint8_t dev, uint8_t fn, unsigned offset)
{
    outl(CONFIG_ADDRESS, CONFIG_ENABLE | (uint32_t)bus << 16 | (uint32_t)dev << 11 |
                             (uint32_t)fn << 8 | (offset & 0xFC));
}

static uint32_t config_read32(uint8_t bus, uint8_t dev, uint8_t fn, unsigned offset)
{
    if (via_ecam(bus))
        return mmio_read32(ecam_at(bus, dev, fn, offset), 0);
    spin_lock(&config_lock);
    select_register(bus, dev, fn, offset);
    uint32_t value = inl(CONFIG_DATA);
    spin_unlock(&config_lock);
    return value;
}

static void config_write32(uint8_t bus, uint8_t dev, uint8_t fn, unsigned offset, uint32_t value)
{
    if (via_ecam(bus)) {
        mmio_write32(ecam_at(bus, dev, fn, offset), 0, value);
        return;
    }
    spin_lock(&config_lock);
    select_register(bus, dev, fn, offset);
    outl(CONFIG_DATA, value);
    spin_unlock(&config_lock);
}

/* A 16-bit write is one: a read-modify-write of the whole dword would
 * write the register beside it too (the status register's bits beside the
 * command register's are cleared by writing 1). */
static void config_write16(uint8_t bus, uint8_t dev, uint8_t fn, unsigned offset, uint16_t value)
{
    if (via_ecam(bus)) {
        mmio_write16(ecam_at(bus, dev, fn, offset), 0, value);
        return;
    }
    spin_lock(&config_lock);
    select_register(bus, dev, fn, offset);
    outw(CONFIG_DATA + (offset & 2), value);
    spin_unlock(&config_lock);
}

/* Reads have no side effects in configuration space: the narrow ones
 * come out of the dword. */
static uint16_t config_read16(uint8_t bus, uint8_t dev, uint8_t fn, unsigned offset)
{
    return (uint16_t)(config_read32(bus, dev, fn, offset & ~3u) >> ((offset & 2) * 8));
}

static uint8_t config_read8(uint8_t bus, uint8_t dev, uint8_t fn, unsigned offset)
{
    return (uint8_t)(config_read32(bus, dev, fn, offset & ~3u) >> ((offset & 3) * 8));
}

uint8_t pci_read8(const struct pci_device *d, unsigned offset)
{
    return config_read8(d->bus, d->dev, d->fn, offset);
}

uint16_t pci_read16(const struct pci_device *d, unsigned offset)
{
    return config_read16(d->bus, d->dev, d->fn, offset);
}

uint32_t pci_read32(const struct pci_device *d, unsigned offset)
{
    return config_read32(d->bus, d->dev, d->fn, offset);
}

void pci_write16(const struct pci_device *d, unsigned offset, uint16_t value)
{
    config_write16(d->bus, d->dev, d->fn, offset, value);
}

void pci_write32(const struct pci_device *d, unsigned offset, uint32_t value)
{
    config_write32(d->bus, d->dev, d->fn, offset, value);
}

unsigned pci_find_capability(const struct pci_device *d, uint8_t id, unsigned start)
{
    /* LAB(pci-caps): a function that has capabilities (a status bit says
     * so) lists them in its configuration space: PCI_CAPABILITIES holds
     * the first one's offset, and each capability starts with its id and
     * the next one's offset (0 ends the list; the low two bits of an
     * offset are reserved). Return the offset of the first capability
     * with this id after start (start 0: from the list's head), or 0.
     * The device is outside the kernel: a list that loops, or points into
     * the header, must not hang it. */
    /* LAB-STUB: (void)d; (void)id; (void)start; */
    /* LAB-STUB: return 0; */
    if (!(pci_read16(d, PCI_STATUS) & PCI_STATUS_CAPABILITIES))
        return 0;
    unsigned at = start ? pci_read8(d, start + 1) : pci_read8(d, PCI_CAPABILITIES);
    for (int steps = 0; steps < CAPS_MAX; steps++) {
        at &= 0xFC;                 /* the low two bits are reserved */
        if (at < CAPS_START)
            return 0;               /* the end (0), or a pointer into the header */
        if (pci_read8(d, at) == id)
            return at;
        at = pci_read8(d, at + 1);
    }
    return 0;
    /* END LAB(pci-caps) */
}

void pci_enable(const struct pci_device *d)
{
    uint16_t command = pci_read16(d, PCI_COMMAND);
    pci_write16(d, PCI_COMMAND, command | PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

/* Size d's BARs: write all ones to each, read back, put the value back.
 * Decoding is off meanwhile, or the device would answer at the all-ones
 * address for a moment (a host bridge keeps it: it carries the bus). */
static void read_bars(struct pci_device *d)
{
    unsigned nbars = d->header_type == PCI_HEADER_BRIDGE ? 2 : PCI_BARS;
    uint32_t value[PCI_BARS], mask[PCI_BARS];
    uint16_t command = pci_read16(d, PCI_COMMAND);
    bool host_bridge = d->class_code == 0x06 && d->subclass == 0x00;
    if (!host_bridge)
        pci_write16(d, PCI_COMMAND, command & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
    for (unsigned i = 0; i < nbars; i++) {
        unsigned reg = PCI_BAR0 + 4 * i;
        value[i] = pci_read32(d, reg);
        pci_write32(d, reg, 0xFFFFFFFF);
        mask[i] = pci_read32(d, reg);
        pci_write32(d, reg, value[i]);
    }
    if (!host_bridge)
        pci_write16(d, PCI_COMMAND, command);

    for (unsigned i = 0; i < nbars;) {
        bool has_next = i + 1 < nbars;
        const char *why;
        int used = pci_bar_decode(value[i], has_next ? value[i + 1] : 0, mask[i],
                                  has_next ? mask[i + 1] : 0, has_next, &d->bar[i], &why);
        if (used < 0) {
            kprintf("pci: %02x:%02x.%x BAR%u (0x%08x, mask 0x%08x): %s; ignored\n", d->bus, d->dev,
                    d->fn, i, value[i], mask[i], why);
            d->bar[i] = (struct pci_bar){ 0 };
            used = 1;
        }
        i += (unsigned)used;
    }
}

static void scan_bus(uint8_t bus, int depth);

static void add_function(uint8_t bus, uint8_t dev, uint8_t fn, int depth)
{
    if (ndevices == PCI_MAX_DEVICES) {
        not_kept++;
        return;
    }
    struct pci_device *d = &devices[ndevices++];
    *d = (struct pci_device){ .bus = bus, .dev = dev, .fn = fn };
    d->vendor = pci_read16(d, PCI_VENDOR_ID);
    d->device = pci_read16(d, PCI_DEVICE_ID);
    uint32_t class_rev = pci_read32(d, PCI_REVISION);
    d->revision = (uint8_t)class_rev;
    d->prog_if = (uint8_t)(class_rev >> 8);
    d->subclass = (uint8_t)(class_rev >> 16);
    d->class_code = (uint8_t)(class_rev >> 24);
    d->header_type = pci_read8(d, PCI_HEADER_TYPE) & PCI_HEADER_TYPE_MASK;
    d->irq_line = pci_read8(d, PCI_INTERRUPT_LINE);
    d->irq_pin = pci_read8(d, PCI_INTERRUPT_PIN);
    d->msi_cap = (uint8_t)pci_find_capability(d, PCI_CAP_MSI, 0);
    d->msix_cap = (uint8_t)pci_find_capability(d, PCI_CAP_MSIX, 0);
    read_bars(d);

    /* A bridge: the bus behind it. A secondary bus not above this one
     * would make a loop (the firmware numbers buses downward). */
    if (d->header_type == PCI_HEADER_BRIDGE) {
        uint8_t secondary = pci_read8(d, PCI_SECONDARY_BUS);
        if (secondary > bus && depth < BUS_DEPTH_MAX)
            scan_bus(secondary, depth + 1);
        else
            kprintf("pci: bridge %02x:%02x.%x leads to bus %u; not followed\n", bus, dev, fn,
                    secondary);
    }
}

static void scan_device(uint8_t bus, uint8_t dev, int depth)
{
    if (config_read16(bus, dev, 0, PCI_VENDOR_ID) == NO_DEVICE)
        return;
    add_function(bus, dev, 0, depth);
    if (!(config_read8(bus, dev, 0, PCI_HEADER_TYPE) & PCI_HEADER_MULTIFUNCTION))
        return;
    for (uint8_t fn = 1; fn < FUNCTIONS_PER_DEVICE; fn++)
        if (config_read16(bus, dev, fn, PCI_VENDOR_ID) != NO_DEVICE)
            add_function(bus, dev, fn, depth);
}

static void scan_bus(uint8_t bus, int depth)
{
    for (uint8_t dev = 0; dev < DEVICES_PER_BUS; dev++)
        scan_device(bus, dev, depth);
}

void pci_init(const struct boot_info *bi)
{
    if (acpi_read_mcfg(bi, &mcfg)) {
        size_t size = (size_t)(mcfg.end_bus - mcfg.start_bus + 1) << 20;
        ecam = mmio_map(mcfg.base, size, "PCI ECAM");
        if (ecam != NULL)
            ksnprintf(access_method, sizeof(access_method), "ECAM at 0x%llx (buses %u-%u)",
                      (unsigned long long)mcfg.base, mcfg.start_bus, mcfg.end_bus);
    }
    if (ecam == NULL)
        ksnprintf(access_method, sizeof(access_method), "ports 0x%x/0x%x", CONFIG_ADDRESS,
                  CONFIG_DATA);

    /* A multi-function host bridge at 00:00 is several host bridges, the
     * function number each one's bus (PCI Firmware 3.0 leaves it at that). */
    if (config_read16(0, 0, 0, PCI_VENDOR_ID) == NO_DEVICE) {
        kprintf("pci: no host bridge at 00:00.0; no PCI devices\n");
        return;
    }
    if (config_read8(0, 0, 0, PCI_HEADER_TYPE) & PCI_HEADER_MULTIFUNCTION) {
        for (uint8_t fn = 0; fn < FUNCTIONS_PER_DEVICE; fn++)
            if (config_read16(0, 0, fn, PCI_VENDOR_ID) != NO_DEVICE)
                scan_bus(fn, 0);
    } else {
        scan_bus(0, 0);
    }
    kprintf("pci: %u functions, configuration through %s\n", ndevices, access_method);
    if (not_kept > 0)
        kprintf("pci: %u more functions not kept (at most %d)\n", not_kept, PCI_MAX_DEVICES);
}

struct pci_device *pci_devices(unsigned *count)
{
    *count = ndevices;
    return devices;
}

struct pci_device *pci_find(uint16_t vendor, uint16_t device, unsigned index)
{
    for (unsigned i = 0; i < ndevices; i++)
        if (devices[i].vendor == vendor && devices[i].device == device && index-- == 0)
            return &devices[i];
    return NULL;
}

const char *pci_access_method(void)
{
    return access_method;
}
