/*
 * virtio_net.c: the virtio network card, QEMU's paravirtual NIC (Virtual
 * I/O Device (VIRTIO) Version 1.1, "virtio spec" below: 5.1 for the
 * network device), on either PCI transport (virtio_pci.c).
 *
 * A virtio device is made to be driven simply. Frames move through
 * virtqueues: a table of descriptors (buffer address, length, flags), an
 * "available" ring where the driver puts the descriptors it hands over,
 * and a "used" ring where the device puts them back, with the length it
 * wrote. Queue 0 receives, queue 1 transmits; each descriptor owns one
 * 2 KiB buffer for good. Every frame is preceded by a virtio_net_hdr (no
 * offloads are asked for, so it is all zeros on the way out): 12 bytes
 * on a virtio 1 device, 10 on a legacy one (no num_buffers field without
 * VIRTIO_NET_F_MRG_RXBUF). Only the receive queue interrupts; the
 * transmit queue's used entries are looked at when a slot is needed.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errno.h"
#include "frame.h"
#include "ioapic.h"
#include "kprintf.h"
#include "memlayout.h"
#include "netdev.h"
#include "spinlock.h"
#include "string.h"
#include "thread.h"
#include "trap.h"
#include "virtio_net.h"
#include "virtio_pci.h"
#include "wait.h"

#define VIRTIO_NET_MODERN 0x1041    /* 0x1040 + device type 1 (virtio spec 4.1.2.1) */
#define VIRTIO_NET_TRANSITIONAL 0x1000

#define F_NET_MAC 5                 /* the device config holds a MAC address */
#define F_NET_STATUS 16             /* and a link status */
#define NET_CONFIG_MAC 0
#define NET_CONFIG_STATUS 6
#define NET_S_LINK_UP 1

#define QUEUE_RX 0
#define QUEUE_TX 1
#define NET_HDR_SIZE 12             /* struct virtio_net_hdr with num_buffers */
#define LEGACY_NET_HDR_SIZE 10      /* and without */
#define BUFFER_SIZE 2048

struct net_queue {
    struct virtqueue vq;
    uint8_t *buf[VIRTQUEUE_MAX];    /* the buffer of descriptor i */
};

struct virtio_net {
    struct netdev dev;
    struct virtio_pci transport;
    size_t hdr_size;
    struct net_queue rx, tx;
    struct spinlock tx_lock;
    struct semaphore rx_ready;
};

static struct virtio_net nic;

/* Give each of q's descriptors a buffer of its own, two to a frame. */
static bool give_buffers(struct net_queue *q)
{
    for (unsigned i = 0; i < q->vq.size; i += PAGE_SIZE / BUFFER_SIZE) {
        paddr_t page = frame_alloc();
        if (page == 0)
            return false;
        for (unsigned j = 0; j < PAGE_SIZE / BUFFER_SIZE && i + j < q->vq.size; j++) {
            q->buf[i + j] = (uint8_t *)phys_to_virt(page) + j * BUFFER_SIZE;
            q->vq.desc[i + j].addr = page + j * BUFFER_SIZE;
        }
    }
    return true;
}

static int transmit(struct netdev *dev, const void *frame, size_t len)
{
    struct virtio_net *n = dev->priv;
    struct virtqueue *q = &n->tx.vq;
    if (len > ETH_FRAME_MAX || len < ETH_HEADER_SIZE) {
        netdev_tx_dropped(dev);
        return -EMSGSIZE;
    }
    spin_lock(&n->tx_lock);
    /* Descriptors come back in order on the transmit queue: the slot
     * avail_idx - size was used that many sends ago, and is free once
     * the used ring has passed it. */
    q->used_seen = q->used[1];
    if ((uint16_t)(q->avail_idx - q->used_seen) >= q->size) {
        spin_unlock(&n->tx_lock);
        netdev_tx_dropped(dev);
        return -ENOBUFS;
    }
    uint16_t i = q->avail_idx % q->size;
    memset(n->tx.buf[i], 0, n->hdr_size);
    memcpy(n->tx.buf[i] + n->hdr_size, frame, len);
    q->desc[i].len = (uint32_t)(n->hdr_size + len);
    q->desc[i].flags = 0;
    virtqueue_make_available(q, i);
    virtqueue_kick(&n->transport, q);
    spin_unlock(&n->tx_lock);
    netdev_sent(dev, len);
    return 0;
}

static void refresh(struct netdev *dev)
{
    struct virtio_net *n = dev->priv;
    dev->link_up = virtio_pci_config8(&n->transport, NET_CONFIG_STATUS) & NET_S_LINK_UP;
}

static void rx_interrupt(struct trap_frame *tf)
{
    (void)tf;
    /* A line may be shared: reading ISR says whether it was this card,
     * clears the cause and lowers the line. A message is always ours. */
    if (!virtio_pci_interrupted(&nic.transport))
        return;
    __atomic_add_fetch(&nic.dev.stats.interrupts, 1, __ATOMIC_RELAXED);
    sem_up(&nic.rx_ready);
}

static void receive_thread(void *arg)
{
    struct virtio_net *n = arg;
    struct virtqueue *q = &n->rx.vq;
    for (;;) {
        sem_down(&n->rx_ready);
        while (q->used_seen != q->used[1]) {
            __atomic_thread_fence(__ATOMIC_ACQUIRE);
            volatile struct vq_used_elem *e = virtqueue_used(q, q->used_seen);
            uint32_t id = e->id, len = e->len;
            q->used_seen++;
            if (id >= q->size || len < n->hdr_size || len - n->hdr_size > ETH_FRAME_MAX) {
                __atomic_add_fetch(&n->dev.stats.rx_errors, 1, __ATOMIC_RELAXED);
            } else {
                netdev_receive(&n->dev, n->rx.buf[id] + n->hdr_size, len - n->hdr_size);
            }
            if (id < q->size)
                virtqueue_make_available(q, (uint16_t)id);  /* the buffer is the device's again */
        }
        virtqueue_kick(&n->transport, q);
    }
}

/* Both queues with their buffers; receive interrupts on VEC_VIRTIO_NET. */
static bool setup_queues(struct virtio_net *n)
{
    return virtio_pci_queue(&n->transport, &n->rx.vq, QUEUE_RX, true, VEC_VIRTIO_NET) &&
           give_buffers(&n->rx) &&
           virtio_pci_queue(&n->transport, &n->tx.vq, QUEUE_TX, false, 0) && give_buffers(&n->tx);
}

void virtio_net_init(void)
{
    struct pci_device *d = pci_find(VIRTIO_VENDOR, VIRTIO_NET_MODERN, 0);
    if (d == NULL)
        d = pci_find(VIRTIO_VENDOR, VIRTIO_NET_TRANSITIONAL, 0);
    if (d == NULL)
        return;
    struct virtio_net *n = &nic;
    struct virtio_pci *v = &n->transport;
    uint32_t features;
    if (!virtio_pci_open(v, d, "virtio-net") ||
        !virtio_pci_start(v, 1u << F_NET_MAC | 1u << F_NET_STATUS, &features))
        return;
    n->hdr_size = v->legacy ? LEGACY_NET_HDR_SIZE : NET_HDR_SIZE;
    if (!setup_queues(n)) {
        virtio_pci_fail(v);
        kprintf("virtio-net: cannot set up its queues; not used\n");
        return;
    }
    if (features & 1u << F_NET_MAC) {
        for (unsigned i = 0; i < ETH_ALEN; i++)
            n->dev.mac[i] = virtio_pci_config8(v, NET_CONFIG_MAC + i);
    }
    n->tx_lock = (struct spinlock)SPINLOCK_INIT("virtio-net tx");
    n->rx_ready = (struct semaphore)SEMAPHORE_INIT("virtio-net rx", 0);
    struct thread *t = thread_create("virtio-net rx", receive_thread, n);
    if (t == NULL) {
        virtio_pci_fail(v);
        kprintf("virtio-net: no memory for its receive thread; not used\n");
        return;
    }
    thread_detach(t);
    trap_set_handler(VEC_VIRTIO_NET, rx_interrupt);
    if (!v->msix) {
        n->dev.irq = d->irq_line;
        ioapic_route_pci(d->irq_line, VEC_VIRTIO_NET);
    }
    /* Every receive buffer to the device, the header's room included. */
    for (uint16_t i = 0; i < n->rx.vq.size; i++) {
        n->rx.vq.desc[i].len = BUFFER_SIZE;
        n->rx.vq.desc[i].flags = VIRTIO_DESC_F_WRITE;
        virtqueue_make_available(&n->rx.vq, i);
    }
    virtio_pci_ready(v);
    virtqueue_kick(v, &n->rx.vq);
    n->dev.driver = "virtio-net";
    n->dev.transmit = transmit;
    n->dev.refresh = refresh;
    n->dev.priv = n;
    refresh(&n->dev);
    if (!netdev_register(&n->dev)) {
        kprintf("virtio-net: too many network interfaces; not used\n");
        return;
    }
    char mac[18];
    netdev_format_mac(n->dev.mac, mac);
    kprintf("virtio-net: %s at %02x:%02x.%x%s, MAC %s, link %s, ", n->dev.name, d->bus, d->dev, d->fn,
            v->legacy ? " (legacy)" : "", mac, n->dev.link_up ? "up" : "down");
    if (v->msix)
        kprintf("MSI-X\n");
    else
        kprintf("IRQ %u\n", d->irq_line);
}
