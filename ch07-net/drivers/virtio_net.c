/*
 * virtio_net.c: the virtio network card, QEMU's paravirtual NIC, through
 * virtio 1.x's modern PCI transport (Virtual I/O Device (VIRTIO) Version
 * 1.1, "virtio spec" below: 4.1 for PCI, 2.6 for split virtqueues, 5.1
 * for the network device).
 *
 * A virtio device is made to be driven simply. Its PCI capabilities
 * (vendor-specific entries, cfg_type 1 to 4) say in which BAR, at which
 * offset, its common configuration, its notification area, its interrupt
 * status and its device configuration (the MAC address) are. Frames move
 * through virtqueues: a table of descriptors (buffer address, length,
 * flags), an "available" ring where the driver puts the descriptors it
 * hands over, and a "used" ring where the device puts them back, with the
 * length it wrote. Queue 0 receives, queue 1 transmits. Every frame is
 * preceded by a 12-byte virtio_net_hdr (no offloads are asked for, so it
 * is all zeros on the way out).
 *
 * Interrupts come by MSI-X where the device has it (QEMU's -device
 * virtio-net-pci does): a message written straight to this CPU's local
 * APIC, so no IO APIC routing and no shared line. Without MSI-X (QEMU's
 * -nic model=virtio-net-pci), the PCI INTx line through the IO APIC, and
 * the ISR status byte says whether the interrupt was the card's.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errno.h"
#include "frame.h"
#include "ioapic.h"
#include "kprintf.h"
#include "lapic.h"
#include "memlayout.h"
#include "mmio.h"
#include "netdev.h"
#include "pci.h"
#include "spinlock.h"
#include "string.h"
#include "thread.h"
#include "timer.h"
#include "trap.h"
#include "virtio_net.h"
#include "wait.h"

#define VIRTIO_VENDOR 0x1AF4
#define VIRTIO_NET_MODERN 0x1041    /* 0x1040 + device type 1 (virtio spec 4.1.2.1) */
#define VIRTIO_NET_TRANSITIONAL 0x1000

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

/* Device status bits (virtio spec 2.1). */
#define STATUS_ACKNOWLEDGE 1
#define STATUS_DRIVER 2
#define STATUS_DRIVER_OK 4
#define STATUS_FEATURES_OK 8
#define STATUS_FAILED 128

#define F_NET_MAC 5                 /* the device config holds a MAC address */
#define F_NET_STATUS 16             /* and a link status */
#define F_VERSION_1 32              /* a virtio 1.x device: required */
#define NET_CONFIG_MAC 0
#define NET_CONFIG_STATUS 6
#define NET_S_LINK_UP 1
#define NO_VECTOR 0xFFFF
#define ISR_QUEUE 1                 /* ISR status (virtio spec 4.1.4.5): a queue was used */
#define ISR_CONFIG 2                /* the device configuration changed */

#define DESC_F_WRITE 2              /* the device writes this buffer */

#define QUEUE_RX 0
#define QUEUE_TX 1
#define QUEUE_MAX 256               /* we use at most this many entries of a queue */
#define NET_HDR_SIZE 12             /* struct virtio_net_hdr with num_buffers */
#define BUFFER_SIZE 2048
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

/* One split virtqueue, laid out in one page (QUEUE_MAX 256 entries fit:
 * 4 KiB of descriptors does not, so the rings get a page each). */
struct virtqueue {
    uint16_t size;
    volatile struct vq_desc *desc;
    volatile uint16_t *avail;       /* flags, idx, ring[size] */
    volatile uint16_t *used;        /* flags, idx, then elements */
    uint16_t avail_idx;             /* the next slot of the available ring */
    uint16_t used_seen;             /* used entries taken so far */
    volatile uint16_t *notify;      /* where to write the queue's index */
    uint8_t *buf[QUEUE_MAX];        /* the buffer of descriptor i */
};

struct virtio_net {
    struct netdev dev;
    struct pci_device *pci;
    volatile uint8_t *common, *device, *notify_base;
    volatile uint8_t *isr;              /* with INTx: read to learn (and clear) the cause */
    uint32_t notify_multiplier;
    struct virtqueue rx, tx;
    struct spinlock tx_lock;
    struct semaphore rx_ready;
};

static struct virtio_net nic;

static volatile struct vq_used_elem *used_elem(struct virtqueue *q, unsigned i)
{
    return (volatile struct vq_used_elem *)(q->used + 2) + i;
}

/* Where capability cfg_type's structure is mapped, or NULL. */
static volatile uint8_t *map_structure(struct pci_device *d, uint8_t cfg_type, unsigned *cap_at)
{
    for (unsigned at = pci_find_capability(d, PCI_CAP_VENDOR, 0); at;
         at = pci_find_capability(d, PCI_CAP_VENDOR, at)) {
        if (pci_read8(d, at + CAP_CFG_TYPE) != cfg_type)
            continue;
        uint8_t bar = pci_read8(d, at + CAP_BAR);
        uint32_t offset = pci_read32(d, at + CAP_OFFSET), length = pci_read32(d, at + CAP_LENGTH);
        if (bar >= PCI_BARS || d->bar[bar].kind == PCI_BAR_NONE || d->bar[bar].kind == PCI_BAR_IO ||
            d->bar[bar].base == 0 || (uint64_t)offset + length > d->bar[bar].size || length == 0)
            return NULL;
        if (cap_at)
            *cap_at = at;
        return mmio_map(d->bar[bar].base + offset, length, "virtio-net");
    }
    return NULL;
}

/* Turn MSI-X on with entry number entry sending vector to this CPU. */
static bool msix_route(struct pci_device *d, unsigned entry, uint8_t vector, volatile uint8_t **table)
{
    if (d->msix_cap == 0)
        return false;
    if (*table == NULL) {
        uint32_t where = pci_read32(d, d->msix_cap + MSIX_TABLE);
        unsigned bir = where & MSIX_BIR_MASK;
        unsigned entries = (pci_read16(d, d->msix_cap + MSIX_CONTROL) & MSIX_TABLE_SIZE_MASK) + 1;
        if (bir >= PCI_BARS || d->bar[bir].kind == PCI_BAR_NONE || d->bar[bir].kind == PCI_BAR_IO)
            return false;
        *table = mmio_map(d->bar[bir].base + (where & ~MSIX_BIR_MASK), entries * MSIX_ENTRY_SIZE,
                          "virtio-net MSI-X");
        if (*table == NULL || entry >= entries)
            return false;
    }
    volatile uint8_t *e = *table + entry * MSIX_ENTRY_SIZE;
    mmio_write32(e, 0, MSI_ADDRESS | (uint32_t)lapic_id() << MSI_DEST_SHIFT);
    mmio_write32(e, 4, 0);
    mmio_write32(e, 8, vector);
    mmio_write32(e, 12, 0);                                 /* unmasked */
    uint16_t control = pci_read16(d, d->msix_cap + MSIX_CONTROL);
    pci_write16(d, d->msix_cap + MSIX_CONTROL, (control | MSIX_ENABLE) & ~MSIX_FUNCTION_MASK);
    return true;
}

static bool setup_queue(struct virtio_net *n, struct virtqueue *q, unsigned index, unsigned vector_entry)
{
    mmio_write16(n->common, COMMON_Q_SELECT, (uint16_t)index);
    uint16_t size = mmio_read16(n->common, COMMON_Q_SIZE);
    if (size == 0)
        return false;
    if (size > QUEUE_MAX)
        size = QUEUE_MAX;
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
    for (unsigned i = 0; i < size; i += PAGE_SIZE / BUFFER_SIZE) {
        paddr_t page = frame_alloc();
        if (page == 0)
            return false;
        for (unsigned j = 0; j < PAGE_SIZE / BUFFER_SIZE && i + j < size; j++) {
            q->buf[i + j] = (uint8_t *)phys_to_virt(page) + j * BUFFER_SIZE;
            q->desc[i + j].addr = page + j * BUFFER_SIZE;
        }
    }
    mmio_write16(n->common, COMMON_Q_SIZE, size);
    mmio_write16(n->common, COMMON_Q_MSIX, (uint16_t)vector_entry);
    mmio_write32(n->common, COMMON_Q_DESC, (uint32_t)desc);
    mmio_write32(n->common, COMMON_Q_DESC + 4, (uint32_t)(desc >> 32));
    mmio_write32(n->common, COMMON_Q_AVAIL, (uint32_t)avail);
    mmio_write32(n->common, COMMON_Q_AVAIL + 4, (uint32_t)(avail >> 32));
    mmio_write32(n->common, COMMON_Q_USED, (uint32_t)used);
    mmio_write32(n->common, COMMON_Q_USED + 4, (uint32_t)(used >> 32));
    uint16_t notify_off = mmio_read16(n->common, COMMON_Q_NOTIFY_OFF);
    q->notify = (volatile uint16_t *)(n->notify_base + (uint32_t)notify_off * n->notify_multiplier);
    mmio_write16(n->common, COMMON_Q_ENABLE, 1);
    return true;
}

/* Put descriptor i in the available ring (the device may take it at once). */
static void make_available(struct virtqueue *q, uint16_t i)
{
    q->avail[2 + q->avail_idx % q->size] = i;
    q->avail_idx++;
    __atomic_thread_fence(__ATOMIC_RELEASE);    /* the entry before the index */
    q->avail[1] = q->avail_idx;
}

static int transmit(struct netdev *dev, const void *frame, size_t len)
{
    struct virtio_net *n = dev->priv;
    struct virtqueue *q = &n->tx;
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
    memset(q->buf[i], 0, NET_HDR_SIZE);
    memcpy(q->buf[i] + NET_HDR_SIZE, frame, len);
    q->desc[i].len = (uint32_t)(NET_HDR_SIZE + len);
    q->desc[i].flags = 0;
    make_available(q, i);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    *q->notify = QUEUE_TX;
    spin_unlock(&n->tx_lock);
    netdev_sent(dev, len);
    return 0;
}

static void refresh(struct netdev *dev)
{
    struct virtio_net *n = dev->priv;
    dev->link_up = mmio_read16(n->device, NET_CONFIG_STATUS) & NET_S_LINK_UP;
}

static void rx_interrupt(struct trap_frame *tf)
{
    (void)tf;
    /* A line may be shared: reading ISR says whether it was this card,
     * clears the cause and lowers the line. A message is always ours. */
    if (nic.isr && !(mmio_read8(nic.isr, 0) & (ISR_QUEUE | ISR_CONFIG)))
        return;
    __atomic_add_fetch(&nic.dev.stats.interrupts, 1, __ATOMIC_RELAXED);
    sem_up(&nic.rx_ready);
}

static void receive_thread(void *arg)
{
    struct virtio_net *n = arg;
    struct virtqueue *q = &n->rx;
    for (;;) {
        sem_down(&n->rx_ready);
        while (q->used_seen != q->used[1]) {
            __atomic_thread_fence(__ATOMIC_ACQUIRE);
            volatile struct vq_used_elem *e = used_elem(q, q->used_seen % q->size);
            uint32_t id = e->id, len = e->len;
            q->used_seen++;
            if (id >= q->size || len < NET_HDR_SIZE || len - NET_HDR_SIZE > ETH_FRAME_MAX) {
                __atomic_add_fetch(&n->dev.stats.rx_errors, 1, __ATOMIC_RELAXED);
            } else {
                netdev_receive(&n->dev, q->buf[id] + NET_HDR_SIZE, len - NET_HDR_SIZE);
            }
            if (id < q->size)
                make_available(q, (uint16_t)id);      /* the buffer is the device's again */
        }
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        *q->notify = QUEUE_RX;
    }
}

/* Negotiate: virtio 1 and the MAC address, nothing else. */
static bool negotiate(struct virtio_net *n)
{
    mmio_write32(n->common, COMMON_DFSELECT, 0);
    uint32_t low = mmio_read32(n->common, COMMON_DF);
    mmio_write32(n->common, COMMON_DFSELECT, 1);
    uint32_t high = mmio_read32(n->common, COMMON_DF);
    if (!(high & 1u << (F_VERSION_1 - 32)))
        return false;
    uint32_t want_low = low & (1u << F_NET_MAC | 1u << F_NET_STATUS);
    mmio_write32(n->common, COMMON_GFSELECT, 0);
    mmio_write32(n->common, COMMON_GF, want_low);
    mmio_write32(n->common, COMMON_GFSELECT, 1);
    mmio_write32(n->common, COMMON_GF, 1u << (F_VERSION_1 - 32));
    uint8_t status = mmio_read8(n->common, COMMON_STATUS);
    mmio_write8(n->common, COMMON_STATUS, status | STATUS_FEATURES_OK);
    if (!(mmio_read8(n->common, COMMON_STATUS) & STATUS_FEATURES_OK))
        return false;
    if (want_low & 1u << F_NET_MAC) {
        for (unsigned i = 0; i < ETH_ALEN; i++)
            n->dev.mac[i] = mmio_read8(n->device, NET_CONFIG_MAC + i);
    }
    return true;
}

void virtio_net_init(void)
{
    struct pci_device *d = pci_find(VIRTIO_VENDOR, VIRTIO_NET_MODERN, 0);
    if (d == NULL)
        d = pci_find(VIRTIO_VENDOR, VIRTIO_NET_TRANSITIONAL, 0);
    if (d == NULL)
        return;
    struct virtio_net *n = &nic;
    n->pci = d;
    pci_enable(d);
    unsigned notify_cap = 0;
    n->common = map_structure(d, CFG_COMMON, NULL);
    n->device = map_structure(d, CFG_DEVICE, NULL);
    n->notify_base = map_structure(d, CFG_NOTIFY, &notify_cap);
    if (n->common == NULL || n->device == NULL || n->notify_base == NULL) {
        kprintf("virtio-net: %02x:%02x.%x has no virtio 1 structures (a legacy-only device); not used\n",
                d->bus, d->dev, d->fn);
        return;
    }
    n->notify_multiplier = pci_read32(d, notify_cap + CAP_NOTIFY_MULTIPLIER);
    bool msix = d->msix_cap != 0;
    if (!msix) {
        n->isr = map_structure(d, CFG_ISR, NULL);
        if (n->isr == NULL || d->irq_pin == 0 || d->irq_line == 0 || d->irq_line == 0xFF) {
            kprintf("virtio-net: %02x:%02x.%x has neither MSI-X nor an interrupt line; not used\n",
                    d->bus, d->dev, d->fn);
            return;
        }
    }

    mmio_write8(n->common, COMMON_STATUS, 0);               /* reset */
    uint64_t deadline = timer_clock_after_ms(RESET_WAIT_MS);
    while (mmio_read8(n->common, COMMON_STATUS) != 0)
        if (timer_clock() > deadline) {
            kprintf("virtio-net: the device did not reset; not used\n");
            return;
        }
    mmio_write8(n->common, COMMON_STATUS, STATUS_ACKNOWLEDGE);
    mmio_write8(n->common, COMMON_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
    if (!negotiate(n)) {
        mmio_write8(n->common, COMMON_STATUS, STATUS_FAILED);
        kprintf("virtio-net: the device refused the features asked for; not used\n");
        return;
    }
    volatile uint8_t *msix_table = NULL;
    mmio_write16(n->common, COMMON_MSIX_CONFIG, NO_VECTOR);
    if ((msix && !msix_route(d, 0, VEC_VIRTIO_NET, &msix_table)) ||
        !setup_queue(n, &n->rx, QUEUE_RX, msix ? 0 : NO_VECTOR) ||
        !setup_queue(n, &n->tx, QUEUE_TX, NO_VECTOR)) {
        mmio_write8(n->common, COMMON_STATUS, STATUS_FAILED);
        kprintf("virtio-net: cannot set up its queues; not used\n");
        return;
    }
    n->tx_lock = (struct spinlock)SPINLOCK_INIT("virtio-net tx");
    n->rx_ready = (struct semaphore)SEMAPHORE_INIT("virtio-net rx", 0);
    struct thread *t = thread_create("virtio-net rx", receive_thread, n);
    if (t == NULL) {
        mmio_write8(n->common, COMMON_STATUS, STATUS_FAILED);
        kprintf("virtio-net: no memory for its receive thread; not used\n");
        return;
    }
    thread_detach(t);
    trap_set_handler(VEC_VIRTIO_NET, rx_interrupt);
    if (!msix) {
        n->dev.irq = d->irq_line;
        ioapic_route_pci(d->irq_line, VEC_VIRTIO_NET);
    }
    /* Every receive buffer to the device, the header's room included. */
    for (uint16_t i = 0; i < n->rx.size; i++) {
        n->rx.desc[i].len = BUFFER_SIZE;
        n->rx.desc[i].flags = DESC_F_WRITE;
        make_available(&n->rx, i);
    }
    mmio_write8(n->common, COMMON_STATUS,
                STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK);
    *n->rx.notify = QUEUE_RX;
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
    kprintf("virtio-net: %s at %02x:%02x.%x, MAC %s, link %s, ", n->dev.name, d->bus, d->dev, d->fn, mac,
            n->dev.link_up ? "up" : "down");
    if (msix)
        kprintf("MSI-X\n");
    else
        kprintf("IRQ %u\n", d->irq_line);
}
