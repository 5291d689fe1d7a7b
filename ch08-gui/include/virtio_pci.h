/*
 * virtio_pci.h: the PCI transport of a virtio device, the part every
 * virtio driver shares: finding its registers, the status handshake,
 * feature negotiation, virtqueues and their notifications, interrupts.
 *
 * Two transports exist (virtio spec 4.1): the modern one (virtio 1.x),
 * whose structures PCI capabilities place in memory BARs, and the legacy
 * one (virtio 0.9.5), a block of registers in an I/O BAR. A transitional
 * device has both and is driven through the modern one. A driver sees no
 * difference past virtio_pci_open, except the sizes the legacy
 * transport fixes (its queue sizes, its device's header formats).
 */
#ifndef CUBOS_VIRTIO_PCI_H
#define CUBOS_VIRTIO_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "pci.h"

#define VIRTIO_VENDOR 0x1AF4
#define VIRTQUEUE_MAX 256           /* the largest queue a driver here uses */
#define VIRTIO_DESC_F_WRITE 2       /* the device writes this buffer */

struct vq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct vq_used_elem {
    uint32_t id;
    uint32_t len;
};

/* One split virtqueue (virtio spec 2.6): descriptors, the available ring
 * the driver fills, the used ring the device fills. */
struct virtqueue {
    uint16_t index, size;
    volatile struct vq_desc *desc;
    volatile uint16_t *avail;       /* flags, idx, ring[size], used_event */
    volatile uint16_t *used;        /* flags, idx, then elements, avail_event */
    uint16_t avail_idx;             /* the next slot of the available ring */
    uint16_t used_seen;             /* used entries taken so far */
    volatile uint16_t *notify;      /* modern: where to write the queue's index */
};

struct virtio_pci {
    struct pci_device *pci;
    const char *name;               /* the driver's, for its messages */
    bool legacy;                    /* driven through the I/O BAR */
    bool msix;                      /* interrupts by MSI-X, else INTx */
    /* modern: the structures the capabilities point at */
    volatile uint8_t *common, *device, *notify_base, *isr;
    uint32_t notify_multiplier;
    volatile uint8_t *msix_table;
    /* legacy: the I/O BAR's first port */
    uint16_t io;
};

/* Find d's registers, modern if it has them, else legacy, and its
 * interrupt (MSI-X, else a line). false, with a message naming the
 * driver, if it has neither. */
bool virtio_pci_open(struct virtio_pci *v, struct pci_device *d, const char *name);

/* Reset the device and offer it the wanted feature bits (0-31) it has;
 * the transport adds VERSION_1 on a modern device. The bits both sides
 * agreed on, in *agreed; false (device marked failed) if it refused. */
bool virtio_pci_start(struct virtio_pci *v, uint32_t wanted, uint32_t *agreed);

/* Set up queue index (at most VIRTQUEUE_MAX entries: the legacy
 * transport's size is the device's, and too large fails), interrupting on
 * vector through MSI-X entry 0 if interrupts, else never. */
bool virtio_pci_queue(struct virtio_pci *v, struct virtqueue *q, unsigned index, bool interrupts,
                      uint8_t vector);

/* Byte offset of the device-specific configuration (the MAC address...). */
uint8_t virtio_pci_config8(struct virtio_pci *v, unsigned offset);

/* With INTx: read (and so clear) the interrupt status, nonzero if the
 * interrupt was this device's. Always "yes" with MSI-X. */
bool virtio_pci_interrupted(struct virtio_pci *v);

/* The driver is ready (DRIVER_OK), or gives up (FAILED). */
void virtio_pci_ready(struct virtio_pci *v);
void virtio_pci_fail(struct virtio_pci *v);

/* Hand descriptor i to the device (it may take it at once). */
void virtqueue_make_available(struct virtqueue *q, uint16_t i);

/* Tell the device its available ring has something new. */
void virtqueue_kick(struct virtio_pci *v, struct virtqueue *q);

/* Used element i (mod the ring's size). */
static inline volatile struct vq_used_elem *virtqueue_used(struct virtqueue *q, unsigned i)
{
    return (volatile struct vq_used_elem *)(q->used + 2) + i % q->size;
}

#endif
