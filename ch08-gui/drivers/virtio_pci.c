/*
 * virtio_pci.c: the two PCI transports of virtio devices (Virtual I/O
 * Device (VIRTIO) Version 1.1, "virtio spec" below: 4.1 for PCI, 2.6 for
 * split virtqueues).
 *
 * Modern (virtio 1.x): vendor-specific PCI capabilities (cfg_type 1 to
 * 4) say in which memory BAR, at which offset, the common configuration,
 * the notification area, the interrupt status and the device
 * configuration are. The driver gives each queue's three parts at any
 * address and may shrink the queue.
 *
 * Legacy (virtio 0.9.5, spec 4.1.4.8): a fixed block of registers in I/O
 * BAR 0. A queue's size is the device's, and its three parts lie in one
 * physically contiguous block whose address is given as a page number:
 * the descriptors, the available ring right after them, the used ring on
 * the next 4 KiB boundary (spec 2.6.2). While MSI-X is on, two vector
 * registers are inserted before the device configuration, which moves.
 *
 * Interrupts come by MSI-X where the device has it: a message written
 * straight to this CPU's local APIC, so no IO APIC routing and no shared
 * line. Without it, the PCI INTx line, and the ISR status byte says
 * whether the interrupt was this device's.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "kprintf.h"
#include "lapic.h"
#include "memlayout.h"
#include "mmio.h"
#include "pci.h"
#include "string.h"
#include "timer.h"
#include "virtio_pci.h"
#include "x86.h"

/* Vendor capability layout (virtio spec 4.1.4): cfg_type, bar, offset, length. */
#define CAP_CFG_TYPE 3
#define CAP_BAR 4
#define CAP_OFFSET 8
#define CAP_LENGTH 12
#define CAP_NOTIFY_MULTIPLIER 16
#define CFG_COMMON 1
#define CFG_NOTIFY 2
#define CFG_ISR 3
#define CFG_DEVICE 4

/* Common configuration (virtio spec 4.1.4.3). */
#define COMMON_DFSELECT 0x00
#define COMMON_DF 0x04
#define COMMON_GFSELECT 0x08
#define COMMON_GF 0x0C
#define COMMON_MSIX_CONFIG 0x10
#define COMMON_STATUS 0x14
#define COMMON_Q_SELECT 0x16
#define COMMON_Q_SIZE 0x18
#define COMMON_Q_MSIX 0x1A
#define COMMON_Q_ENABLE 0x1C
#define COMMON_Q_NOTIFY_OFF 0x1E
#define COMMON_Q_DESC 0x20
#define COMMON_Q_AVAIL 0x28
#define COMMON_Q_USED 0x30

/* The legacy registers (virtio spec 4.1.4.8), offsets in I/O BAR 0. */
#define LEGACY_DEVICE_FEATURES 0x00
#define LEGACY_GUEST_FEATURES 0x04
#define LEGACY_QUEUE_PFN 0x08       /* the queue's physical address / 4096 */
#define LEGACY_QUEUE_SIZE 0x0C      /* read only: the device's */
#define LEGACY_QUEUE_SELECT 0x0E
#define LEGACY_QUEUE_NOTIFY 0x10
#define LEGACY_STATUS 0x12
#define LEGACY_ISR 0x13
#define LEGACY_CONFIG_VECTOR 0x14   /* these two exist only while MSI-X is on */
#define LEGACY_QUEUE_VECTOR 0x16
#define LEGACY_CONFIG 0x14          /* the device configuration without MSI-X */
#define LEGACY_CONFIG_MSIX 0x18     /* and with it */
#define LEGACY_ALIGN 4096           /* the used ring's alignment */
#define LEGACY_PFN_SHIFT 12

/* Device status bits (virtio spec 2.1). */
#define STATUS_ACKNOWLEDGE 1
#define STATUS_DRIVER 2
#define STATUS_DRIVER_OK 4
#define STATUS_FEATURES_OK 8
#define STATUS_FAILED 128

#define USED_F_NO_NOTIFY 1          /* the used ring's flags: "no need to notify me" (2.6.7) */
#define F_VERSION_1 32              /* a virtio 1.x device: required on the modern transport */
#define NO_VECTOR 0xFFFF
#define ISR_QUEUE 1                 /* ISR status (virtio spec 4.1.4.5): a queue was used */
#define ISR_CONFIG 2                /* the device configuration changed */
#define RESET_WAIT_MS 100

/* MSI-X (PCI Local Bus 3.0, 6.8.2): message control, table offset and BIR. */
#define MSIX_CONTROL 2
#define MSIX_TABLE 4
#define MSIX_ENABLE (1u << 15)
#define MSIX_FUNCTION_MASK (1u << 14)
#define MSIX_TABLE_SIZE_MASK 0x7FF
#define MSIX_BIR_MASK 0x7
#define MSIX_ENTRY_SIZE 16
#define MSI_ADDRESS 0xFEE00000u     /* the local APIC's, destination id in bits 19:12 */
#define MSI_DEST_SHIFT 12

static bool memory_bar(const struct pci_device *d, unsigned bar)
{
    return bar < PCI_BARS && d->bar[bar].kind != PCI_BAR_NONE && d->bar[bar].kind != PCI_BAR_IO &&
           d->bar[bar].base != 0;
}

/* Where capability cfg_type's structure is mapped, or NULL. */
static volatile uint8_t *map_structure(struct virtio_pci *v, uint8_t cfg_type, unsigned *cap_at)
{
    struct pci_device *d = v->pci;
    for (unsigned at = pci_find_capability(d, PCI_CAP_VENDOR, 0); at;
         at = pci_find_capability(d, PCI_CAP_VENDOR, at)) {
        if (pci_read8(d, at + CAP_CFG_TYPE) != cfg_type)
            continue;
        uint8_t bar = pci_read8(d, at + CAP_BAR);
        uint32_t offset = pci_read32(d, at + CAP_OFFSET), length = pci_read32(d, at + CAP_LENGTH);
        if (!memory_bar(d, bar) || (uint64_t)offset + length > d->bar[bar].size || length == 0)
            return NULL;
        if (cap_at)
            *cap_at = at;
        return mmio_map(d->bar[bar].base + offset, length, v->name);
    }
    return NULL;
}

static bool open_modern(struct virtio_pci *v)
{
    unsigned notify_cap = 0;
    v->common = map_structure(v, CFG_COMMON, NULL);
    v->device = map_structure(v, CFG_DEVICE, NULL);
    v->notify_base = map_structure(v, CFG_NOTIFY, &notify_cap);
    v->isr = map_structure(v, CFG_ISR, NULL);
    if (v->common == NULL || v->device == NULL || v->notify_base == NULL || v->isr == NULL)
        return false;
    v->notify_multiplier = pci_read32(v->pci, notify_cap + CAP_NOTIFY_MULTIPLIER);
    return true;
}

bool virtio_pci_open(struct virtio_pci *v, struct pci_device *d, const char *name)
{
    v->pci = d;
    v->name = name;
    pci_enable(d);
    if (!open_modern(v)) {
        if (d->bar[0].kind != PCI_BAR_IO || d->bar[0].base == 0) {
            kprintf("%s: %02x:%02x.%x has neither virtio 1 structures nor legacy registers; not used\n",
                    name, d->bus, d->dev, d->fn);
            return false;
        }
        v->legacy = true;
        v->io = (uint16_t)d->bar[0].base;
    }
    v->msix = d->msix_cap != 0;
    if (!v->msix && (d->irq_pin == 0 || d->irq_line == 0 || d->irq_line == 0xFF)) {
        kprintf("%s: %02x:%02x.%x has neither MSI-X nor an interrupt line; not used\n",
                name, d->bus, d->dev, d->fn);
        return false;
    }
    return true;
}

static uint8_t get_status(struct virtio_pci *v)
{
    return v->legacy ? inb(v->io + LEGACY_STATUS) : mmio_read8(v->common, COMMON_STATUS);
}

static void set_status(struct virtio_pci *v, uint8_t status)
{
    if (v->legacy)
        outb(v->io + LEGACY_STATUS, status);
    else
        mmio_write8(v->common, COMMON_STATUS, status);
}

void virtio_pci_fail(struct virtio_pci *v)
{
    set_status(v, get_status(v) | STATUS_FAILED);
}

void virtio_pci_ready(struct virtio_pci *v)
{
    set_status(v, get_status(v) | STATUS_DRIVER_OK);
}

bool virtio_pci_start(struct virtio_pci *v, uint32_t wanted, uint32_t *agreed)
{
    set_status(v, 0);                                       /* reset */
    uint64_t deadline = timer_clock_after_ms(RESET_WAIT_MS);
    while (get_status(v) != 0)
        if (timer_clock() > deadline) {
            kprintf("%s: the device did not reset; not used\n", v->name);
            return false;
        }
    set_status(v, STATUS_ACKNOWLEDGE);
    set_status(v, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
    if (v->legacy) {
        /* No FEATURES_OK step: the device takes what the driver writes. */
        *agreed = inl(v->io + LEGACY_DEVICE_FEATURES) & wanted;
        outl(v->io + LEGACY_GUEST_FEATURES, *agreed);
        return true;
    }
    mmio_write32(v->common, COMMON_DFSELECT, 0);
    uint32_t low = mmio_read32(v->common, COMMON_DF);
    mmio_write32(v->common, COMMON_DFSELECT, 1);
    uint32_t high = mmio_read32(v->common, COMMON_DF);
    *agreed = low & wanted;
    bool ok = high & 1u << (F_VERSION_1 - 32);
    if (ok) {
        mmio_write32(v->common, COMMON_GFSELECT, 0);
        mmio_write32(v->common, COMMON_GF, *agreed);
        mmio_write32(v->common, COMMON_GFSELECT, 1);
        mmio_write32(v->common, COMMON_GF, 1u << (F_VERSION_1 - 32));
        set_status(v, get_status(v) | STATUS_FEATURES_OK);
        ok = get_status(v) & STATUS_FEATURES_OK;
    }
    if (!ok) {
        virtio_pci_fail(v);
        kprintf("%s: the device refused the features asked for; not used\n", v->name);
        return false;
    }
    mmio_write16(v->common, COMMON_MSIX_CONFIG, NO_VECTOR);
    return true;
}

/* Turn MSI-X on with table entry 0 sending vector to this CPU. */
static bool msix_route(struct virtio_pci *v, uint8_t vector)
{
    struct pci_device *d = v->pci;
    if (v->msix_table == NULL) {
        uint32_t where = pci_read32(d, d->msix_cap + MSIX_TABLE);
        unsigned bir = where & MSIX_BIR_MASK;
        unsigned entries = (pci_read16(d, d->msix_cap + MSIX_CONTROL) & MSIX_TABLE_SIZE_MASK) + 1;
        if (!memory_bar(d, bir))
            return false;
        v->msix_table = mmio_map(d->bar[bir].base + (where & ~MSIX_BIR_MASK), entries * MSIX_ENTRY_SIZE,
                                 "virtio MSI-X");
        if (v->msix_table == NULL)
            return false;
    }
    volatile uint8_t *e = v->msix_table;
    mmio_write32(e, 0, MSI_ADDRESS | (uint32_t)lapic_id() << MSI_DEST_SHIFT);
    mmio_write32(e, 4, 0);
    mmio_write32(e, 8, vector);
    mmio_write32(e, 12, 0);                                 /* unmasked */
    uint16_t control = pci_read16(d, d->msix_cap + MSIX_CONTROL);
    pci_write16(d, d->msix_cap + MSIX_CONTROL, (control | MSIX_ENABLE) & ~MSIX_FUNCTION_MASK);
    if (v->legacy)      /* the vector registers exist now: the configuration's is unused */
        outw(v->io + LEGACY_CONFIG_VECTOR, NO_VECTOR);
    return true;
}

static size_t align_up(size_t x, size_t a)
{
    return (x + a - 1) / a * a;
}

/* The legacy layout (virtio spec 2.6.2) in one contiguous block. */
static bool legacy_queue(struct virtio_pci *v, struct virtqueue *q, uint16_t vector_entry)
{
    outw(v->io + LEGACY_QUEUE_SELECT, q->index);
    uint16_t size = inw(v->io + LEGACY_QUEUE_SIZE);
    if (size == 0 || size > VIRTQUEUE_MAX) {
        kprintf("%s: queue %u has %u entries, this driver takes 1 to %u\n", v->name, q->index, size,
                VIRTQUEUE_MAX);
        return false;
    }
    size_t used_at = align_up(sizeof(struct vq_desc) * size + sizeof(uint16_t) * (3 + size), LEGACY_ALIGN);
    size_t bytes = used_at + align_up(sizeof(uint16_t) * 3 + sizeof(struct vq_used_elem) * size, LEGACY_ALIGN);
    paddr_t base = frame_alloc_run(bytes / PAGE_SIZE);
    if (base == 0 || base >> LEGACY_PFN_SHIFT > UINT32_MAX)
        return false;
    memset(phys_to_virt(base), 0, bytes);
    q->size = size;
    q->desc = phys_to_virt(base);
    q->avail = (volatile uint16_t *)(q->desc + size);
    q->used = phys_to_virt(base + used_at);
    if (v->msix) {
        outw(v->io + LEGACY_QUEUE_VECTOR, vector_entry);
        if (inw(v->io + LEGACY_QUEUE_VECTOR) != vector_entry)
            return false;                   /* the device could not take the vector */
    }
    outl(v->io + LEGACY_QUEUE_PFN, (uint32_t)(base >> LEGACY_PFN_SHIFT));
    return true;
}

/* The modern layout: each part in a page of its own. */
static bool modern_queue(struct virtio_pci *v, struct virtqueue *q, uint16_t vector_entry)
{
    mmio_write16(v->common, COMMON_Q_SELECT, q->index);
    uint16_t size = mmio_read16(v->common, COMMON_Q_SIZE);
    if (size == 0)
        return false;
    if (size > VIRTQUEUE_MAX)
        size = VIRTQUEUE_MAX;
    q->size = size;
    paddr_t desc = frame_alloc(), avail = frame_alloc(), used = frame_alloc();
    if (desc == 0 || avail == 0 || used == 0)
        return false;
    memset(phys_to_virt(desc), 0, PAGE_SIZE);
    memset(phys_to_virt(avail), 0, PAGE_SIZE);
    memset(phys_to_virt(used), 0, PAGE_SIZE);
    q->desc = phys_to_virt(desc);
    q->avail = phys_to_virt(avail);
    q->used = phys_to_virt(used);
    mmio_write16(v->common, COMMON_Q_SIZE, size);
    mmio_write16(v->common, COMMON_Q_MSIX, vector_entry);
    mmio_write32(v->common, COMMON_Q_DESC, (uint32_t)desc);
    mmio_write32(v->common, COMMON_Q_DESC + 4, (uint32_t)(desc >> 32));
    mmio_write32(v->common, COMMON_Q_AVAIL, (uint32_t)avail);
    mmio_write32(v->common, COMMON_Q_AVAIL + 4, (uint32_t)(avail >> 32));
    mmio_write32(v->common, COMMON_Q_USED, (uint32_t)used);
    mmio_write32(v->common, COMMON_Q_USED + 4, (uint32_t)(used >> 32));
    uint16_t notify_off = mmio_read16(v->common, COMMON_Q_NOTIFY_OFF);
    q->notify = (volatile uint16_t *)(v->notify_base + (uint32_t)notify_off * v->notify_multiplier);
    mmio_write16(v->common, COMMON_Q_ENABLE, 1);
    return true;
}

bool virtio_pci_queue(struct virtio_pci *v, struct virtqueue *q, unsigned index, bool interrupts,
                      uint8_t vector)
{
    uint16_t entry = NO_VECTOR;
    if (interrupts && v->msix) {
        if (!msix_route(v, vector))
            return false;
        entry = 0;
    }
    q->index = (uint16_t)index;
    return v->legacy ? legacy_queue(v, q, entry) : modern_queue(v, q, entry);
}

uint8_t virtio_pci_config8(struct virtio_pci *v, unsigned offset)
{
    if (!v->legacy)
        return mmio_read8(v->device, offset);
    bool msix_on = v->msix && (pci_read16(v->pci, v->pci->msix_cap + MSIX_CONTROL) & MSIX_ENABLE);
    return inb(v->io + (msix_on ? LEGACY_CONFIG_MSIX : LEGACY_CONFIG) + offset);
}

bool virtio_pci_interrupted(struct virtio_pci *v)
{
    if (v->msix)
        return true;
    uint8_t isr = v->legacy ? inb(v->io + LEGACY_ISR) : mmio_read8(v->isr, 0);
    return isr & (ISR_QUEUE | ISR_CONFIG);
}

void virtqueue_make_available(struct virtqueue *q, uint16_t i)
{
    q->avail[2 + q->avail_idx % q->size] = i;
    q->avail_idx++;
    __atomic_thread_fence(__ATOMIC_RELEASE);    /* the entry before the index */
    q->avail[1] = q->avail_idx;
}

void virtqueue_kick(struct virtio_pci *v, struct virtqueue *q)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);    /* the index before the flags are read */
    if (q->used[0] & USED_F_NO_NOTIFY)
        return;         /* the device is busy with this queue and will look again itself */
    if (v->legacy)
        outw(v->io + LEGACY_QUEUE_NOTIFY, q->index);
    else
        *q->notify = q->index;
}
