/*
 * e1000.c: the Intel 82540EM Gigabit Ethernet controller, QEMU's default
 * network card (Intel PCI/PCI-X Family of Gigabit Ethernet Controllers
 * Software Developer's Manual, 317453, "8254x SDM" below).
 *
 * The card and the kernel share two rings of descriptors in RAM, one to
 * receive and one to transmit (8254x SDM 3.2 and 3.3). Each descriptor
 * holds the physical address of a buffer; the card reads and writes the
 * buffers itself (DMA). A ring has a head, the next descriptor the card
 * will use, and a tail, one past the last the kernel handed it: the card
 * owns [head, tail), the kernel the rest. The kernel gives receive buffers
 * by moving the receive tail, and frames to send by moving the transmit
 * tail; the card says a descriptor is done by setting its DD bit.
 *
 * A received frame raises an interrupt. The handler only reads the cause
 * (reading ICR clears it and lowers the line) and wakes the receive
 * thread, which takes the frames off the ring and hands them on
 * (netdev_receive): what takes them may sleep, an interrupt handler may
 * not.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "e1000.h"
#include "errno.h"
#include "frame.h"
#include "ioapic.h"
#include "kprintf.h"
#include "memlayout.h"
#include "mmio.h"
#include "netdev.h"
#include "pci.h"
#include "spinlock.h"
#include "string.h"
#include "thread.h"
#include "timer.h"
#include "trap.h"
#include "wait.h"

#define E1000_VENDOR 0x8086
#define E1000_DEVICE 0x100E         /* 82540EM */

/* Registers (8254x SDM 13.4), offsets in BAR0. */
#define REG_CTRL 0x0000
#define REG_STATUS 0x0008
#define REG_EERD 0x0014             /* EEPROM read */
#define REG_ICR 0x00C0              /* interrupt cause: read clears */
#define REG_IMS 0x00D0              /* interrupt mask set */
#define REG_IMC 0x00D8              /* interrupt mask clear */
#define REG_RCTL 0x0100
#define REG_TCTL 0x0400
#define REG_TIPG 0x0410
#define REG_RDBAL 0x2800
#define REG_RDBAH 0x2804
#define REG_RDLEN 0x2808
#define REG_RDH 0x2810
#define REG_RDT 0x2818
#define REG_TDBAL 0x3800
#define REG_TDBAH 0x3804
#define REG_TDLEN 0x3808
#define REG_TDH 0x3810
#define REG_TDT 0x3818
#define REG_MPC 0x4010              /* missed packets: no free descriptor (read clears) */
#define REG_MTA 0x5200              /* multicast table, 128 words */
#define REG_RAL0 0x5400             /* receive address 0, low and high */
#define REG_RAH0 0x5404

#define CTRL_ASDE (1u << 5)         /* auto speed detection */
#define CTRL_SLU (1u << 6)          /* set link up */
#define CTRL_RST (1u << 26)
#define STATUS_LU (1u << 1)         /* link up */
#define EERD_START 1u
#define EERD_DONE (1u << 4)
#define EERD_ADDR_SHIFT 8
#define EERD_DATA_SHIFT 16
#define RAH_AV (1u << 31)           /* the address is valid */

#define ICR_TXDW (1u << 0)          /* a transmit descriptor was written back */
#define ICR_LSC (1u << 2)           /* link status changed */
#define ICR_RXDMT0 (1u << 4)        /* few receive descriptors left */
#define ICR_RXO (1u << 6)           /* receive overrun */
#define ICR_RXT0 (1u << 7)          /* a frame was received */
#define IMS_WANTED (ICR_LSC | ICR_RXDMT0 | ICR_RXO | ICR_RXT0)

#define RCTL_EN (1u << 1)
#define RCTL_BAM (1u << 15)         /* accept broadcast frames */
#define RCTL_SECRC (1u << 26)       /* strip the CRC */
/* BSIZE 00 with BSEX 0: 2048-byte receive buffers. */
#define TCTL_EN (1u << 1)
#define TCTL_PSP (1u << 3)          /* pad short frames to 64 bytes */
#define TCTL_CT (0x0Fu << 4)        /* collision threshold, the manual's value */
#define TCTL_COLD (0x40u << 12)     /* collision distance, full duplex */
#define TIPG_82540 (10u | 8u << 10 | 6u << 20)  /* IPGT, IPGR1, IPGR2 (8254x SDM 13.4.34) */

#define DESC_DD 0x01                /* status: descriptor done */
#define DESC_EOP 0x02               /* status (receive): end of packet */
#define CMD_EOP 0x01                /* command (transmit): end of packet */
#define CMD_IFCS 0x02               /* insert the CRC */
#define CMD_RS 0x08                 /* report status: set DD when sent */

#define RING_SIZE 64                /* descriptors per ring: a multiple of 8 */
#define BUFFER_SIZE 2048
#define BUFFERS_PER_PAGE (PAGE_SIZE / BUFFER_SIZE)
#define RESET_WAIT_MS 10
#define EEPROM_WAIT_MS 10

/* Legacy descriptors, 16 bytes (8254x SDM 3.2.3 and 3.3.3). */
struct rx_desc {
    uint64_t addr;
    uint16_t length;
    uint16_t checksum;
    uint8_t status;
    uint8_t errors;
    uint16_t special;
} __attribute__((packed));

struct tx_desc {
    uint64_t addr;
    uint16_t length;
    uint8_t cso;
    uint8_t cmd;
    uint8_t status;
    uint8_t css;
    uint16_t special;
} __attribute__((packed));

_Static_assert(sizeof(struct rx_desc) == 16 && sizeof(struct tx_desc) == 16, "descriptors are 16 bytes");

struct e1000 {
    struct netdev dev;
    volatile uint8_t *regs;
    volatile struct rx_desc *rx;
    volatile struct tx_desc *tx;
    uint8_t *rx_buf[RING_SIZE];         /* direct-map addresses of the buffers */
    uint8_t *tx_buf[RING_SIZE];
    unsigned rx_next;                   /* the next descriptor the card fills */
    unsigned tx_tail;                   /* the next descriptor to hand the card */
    struct spinlock tx_lock;
    struct semaphore rx_ready;          /* up from the interrupt handler */
    bool link_changed;                  /* set by the interrupt handler */
};

static struct e1000 card;               /* one card: QEMU gives one e1000 by default */

static uint32_t rd(struct e1000 *e, unsigned reg)
{
    return mmio_read32(e->regs, reg);
}

static void wr(struct e1000 *e, unsigned reg, uint32_t value)
{
    mmio_write32(e->regs, reg, value);
}

/* Wait up to ms for (reg & bit) to become want; false if it did not. */
static bool wait_bit(struct e1000 *e, unsigned reg, uint32_t bit, bool want, uint64_t ms)
{
    uint64_t deadline = timer_clock_after_ms(ms);
    do {
        if (((rd(e, reg) & bit) != 0) == want)
            return true;
    } while (timer_clock() < deadline);
    return false;
}

static bool eeprom_read(struct e1000 *e, unsigned word, uint16_t *value)
{
    wr(e, REG_EERD, EERD_START | word << EERD_ADDR_SHIFT);
    if (!wait_bit(e, REG_EERD, EERD_DONE, true, EEPROM_WAIT_MS))
        return false;
    *value = (uint16_t)(rd(e, REG_EERD) >> EERD_DATA_SHIFT);
    return true;
}

/* The MAC address: EEPROM words 0-2 (8254x SDM 5.6.1), which the card
 * also filters on once it is in receive address 0. */
static bool read_mac(struct e1000 *e)
{
    uint16_t w[3];
    for (unsigned i = 0; i < 3; i++)
        if (!eeprom_read(e, i, &w[i]))
            return false;
    for (unsigned i = 0; i < 3; i++) {
        e->dev.mac[2 * i] = (uint8_t)w[i];
        e->dev.mac[2 * i + 1] = (uint8_t)(w[i] >> 8);
    }
    wr(e, REG_RAL0, (uint32_t)w[0] | (uint32_t)w[1] << 16);
    wr(e, REG_RAH0, (uint32_t)w[2] | RAH_AV);
    return true;
}

/* A page for a ring of descriptors (returned), and pages for its
 * buffers; NULL if memory ran out at boot (what was taken stays: the card
 * is not used then). */
static void *alloc_ring(uint8_t *bufs[RING_SIZE])
{
    paddr_t pa = frame_alloc();
    if (pa == 0)
        return NULL;
    memset(phys_to_virt(pa), 0, PAGE_SIZE);
    for (unsigned i = 0; i < RING_SIZE; i += BUFFERS_PER_PAGE) {
        paddr_t page = frame_alloc();
        if (page == 0)
            return NULL;
        for (unsigned j = 0; j < BUFFERS_PER_PAGE; j++)
            bufs[i + j] = (uint8_t *)phys_to_virt(page) + j * BUFFER_SIZE;
    }
    return phys_to_virt(pa);
}

static void setup_rings(struct e1000 *e)
{
    for (unsigned i = 0; i < RING_SIZE; i++) {
        e->rx[i] = (struct rx_desc){ .addr = virt_to_phys(e->rx_buf[i]) };
        /* Done, as far as the kernel is concerned: free to use. */
        e->tx[i] = (struct tx_desc){ .addr = virt_to_phys(e->tx_buf[i]), .status = DESC_DD };
    }
    paddr_t rx = virt_to_phys((const void *)e->rx), tx = virt_to_phys((const void *)e->tx);
    wr(e, REG_RDBAL, (uint32_t)rx);
    wr(e, REG_RDBAH, (uint32_t)(rx >> 32));
    wr(e, REG_RDLEN, RING_SIZE * sizeof(struct rx_desc));
    wr(e, REG_RDH, 0);
    wr(e, REG_RDT, RING_SIZE - 1);     /* all but one: head == tail would mean none */
    wr(e, REG_TDBAL, (uint32_t)tx);
    wr(e, REG_TDBAH, (uint32_t)(tx >> 32));
    wr(e, REG_TDLEN, RING_SIZE * sizeof(struct tx_desc));
    wr(e, REG_TDH, 0);
    wr(e, REG_TDT, 0);
    e->rx_next = 0;
    e->tx_tail = 0;
    wr(e, REG_RCTL, RCTL_EN | RCTL_BAM | RCTL_SECRC);
    wr(e, REG_TCTL, TCTL_EN | TCTL_PSP | TCTL_CT | TCTL_COLD);
    wr(e, REG_TIPG, TIPG_82540);
}

static int transmit(struct netdev *dev, const void *frame, size_t len)
{
    struct e1000 *e = dev->priv;
    if (len > ETH_FRAME_MAX || len < ETH_HEADER_SIZE) {
        netdev_tx_dropped(dev);
        return -EMSGSIZE;
    }
    spin_lock(&e->tx_lock);
    volatile struct tx_desc *d = &e->tx[e->tx_tail];
    if (!(d->status & DESC_DD)) {       /* the card has not sent it yet: the ring is full */
        spin_unlock(&e->tx_lock);
        netdev_tx_dropped(dev);
        return -ENOBUFS;
    }
    memcpy(e->tx_buf[e->tx_tail], frame, len);
    d->length = (uint16_t)len;
    d->cmd = CMD_EOP | CMD_IFCS | CMD_RS;
    d->status = 0;
    e->tx_tail = (e->tx_tail + 1) % RING_SIZE;
    /* The descriptor is in memory before the card is told: the store to
     * an uncached register is not reordered before earlier stores (x86),
     * and the compiler is kept from it by the barrier. */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    wr(e, REG_TDT, e->tx_tail);
    spin_unlock(&e->tx_lock);
    netdev_sent(dev, len);
    return 0;
}

static void refresh(struct netdev *dev)
{
    struct e1000 *e = dev->priv;
    dev->link_up = rd(e, REG_STATUS) & STATUS_LU;
    __atomic_add_fetch(&dev->stats.rx_missed, rd(e, REG_MPC), __ATOMIC_RELAXED);
}

static void e1000_interrupt(struct trap_frame *tf)
{
    (void)tf;
    struct e1000 *e = &card;
    uint32_t cause = rd(e, REG_ICR);    /* read clears it, and lowers the line */
    if (cause == 0)
        return;                         /* another device on a shared line */
    __atomic_add_fetch(&e->dev.stats.interrupts, 1, __ATOMIC_RELAXED);
    if (cause & ICR_LSC)
        __atomic_store_n(&e->link_changed, true, __ATOMIC_RELAXED);
    if (cause & (ICR_RXT0 | ICR_RXO | ICR_RXDMT0 | ICR_LSC))
        sem_up(&e->rx_ready);
}

/* Take every frame the card has written, hand it on, give the buffer back. */
static void receive_all(struct e1000 *e)
{
    for (;;) {
        volatile struct rx_desc *d = &e->rx[e->rx_next];
        if (!(d->status & DESC_DD))
            return;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);    /* the frame's bytes after its DD bit */
        size_t len = d->length;
        if (d->errors || !(d->status & DESC_EOP) || len > ETH_FRAME_MAX)
            __atomic_add_fetch(&e->dev.stats.rx_errors, 1, __ATOMIC_RELAXED);
        else
            netdev_receive(&e->dev, e->rx_buf[e->rx_next], len);
        d->status = 0;
        __atomic_thread_fence(__ATOMIC_RELEASE);
        wr(e, REG_RDT, e->rx_next);     /* this buffer is the card's again */
        e->rx_next = (e->rx_next + 1) % RING_SIZE;
    }
}

static void receive_thread(void *arg)
{
    struct e1000 *e = arg;
    for (;;) {
        sem_down(&e->rx_ready);
        if (__atomic_exchange_n(&e->link_changed, false, __ATOMIC_RELAXED)) {
            refresh(&e->dev);
            kprintf("%s: link %s\n", e->dev.name, e->dev.link_up ? "up" : "down");
        }
        receive_all(e);
    }
}

void e1000_init(void)
{
    struct pci_device *d = pci_find(E1000_VENDOR, E1000_DEVICE, 0);
    if (d == NULL)
        return;
    struct e1000 *e = &card;
    const struct pci_bar *bar = &d->bar[0];
    if (bar->kind != PCI_BAR_MEM32 && bar->kind != PCI_BAR_MEM64) {
        kprintf("e1000: %02x:%02x.%x has no memory BAR 0; not used\n", d->bus, d->dev, d->fn);
        return;
    }
    if (d->irq_pin == 0 || d->irq_line == 0 || d->irq_line == 0xFF) {
        kprintf("e1000: %02x:%02x.%x has no interrupt routed to it; not used\n", d->bus, d->dev, d->fn);
        return;
    }
    pci_enable(d);
    e->regs = mmio_map(bar->base, bar->size, "e1000");
    if (e->regs == NULL)
        return;

    wr(e, REG_IMC, 0xFFFFFFFF);
    wr(e, REG_CTRL, rd(e, REG_CTRL) | CTRL_RST);
    if (!wait_bit(e, REG_CTRL, CTRL_RST, false, RESET_WAIT_MS)) {
        kprintf("e1000: the card did not finish its reset; not used\n");
        return;
    }
    wr(e, REG_IMC, 0xFFFFFFFF);         /* the reset turned nothing on, but be sure */
    (void)rd(e, REG_ICR);
    wr(e, REG_CTRL, rd(e, REG_CTRL) | CTRL_SLU | CTRL_ASDE);
    if (!read_mac(e)) {
        kprintf("e1000: the EEPROM did not answer; not used\n");
        return;
    }
    for (unsigned i = 0; i < 128; i++)
        wr(e, REG_MTA + 4 * i, 0);
    e->rx = alloc_ring(e->rx_buf);
    e->tx = alloc_ring(e->tx_buf);
    if (e->rx == NULL || e->tx == NULL) {
        kprintf("e1000: out of memory for its rings; not used\n");
        return;
    }
    e->tx_lock = (struct spinlock)SPINLOCK_INIT("e1000 tx");
    e->rx_ready = (struct semaphore)SEMAPHORE_INIT("e1000 rx", 0);
    e->dev.driver = "e1000";
    e->dev.transmit = transmit;
    e->dev.refresh = refresh;
    e->dev.priv = e;
    e->dev.irq = d->irq_line;
    setup_rings(e);

    struct thread *t = thread_create("e1000 rx", receive_thread, e);
    if (t == NULL) {
        kprintf("e1000: no memory for its receive thread; not used\n");
        return;
    }
    thread_detach(t);
    /* PCI interrupts are level-triggered and active low (PCI Local Bus
     * 3.0, 2.2.6); the firmware wrote the IO APIC input into the
     * interrupt line register. */
    trap_set_handler(VEC_NET, e1000_interrupt);
    ioapic_route_pci(d->irq_line, VEC_NET);
    wr(e, REG_IMS, IMS_WANTED);
    refresh(&e->dev);
    if (!netdev_register(&e->dev)) {
        kprintf("e1000: too many network interfaces; not used\n");
        wr(e, REG_IMC, 0xFFFFFFFF);
        return;
    }
    char mac[18];
    netdev_format_mac(e->dev.mac, mac);
    kprintf("e1000: %s at %02x:%02x.%x, MAC %s, link %s, IRQ %u\n", e->dev.name, d->bus, d->dev, d->fn,
            mac, e->dev.link_up ? "up" : "down", d->irq_line);
}
