/*
 * netdev.h: a network interface as the rest of the kernel sees it,
 * whichever driver is behind it (drivers/e1000.c, later virtio-net).
 *
 * A driver registers its interface once it is up. It sends a frame with
 * transmit, and hands each frame it receives to netdev_receive from its
 * receive thread (never from the interrupt handler: what takes the frame
 * may sleep). Every drop is counted, with the reason, so `ifconfig` can
 * say why a packet was lost.
 */
#ifndef CUBOS_NETDEV_H
#define CUBOS_NETDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NETDEV_MAX 4
#define NETDEV_NAME_SIZE 8
#define ETH_ALEN 6
#define ETH_HEADER_SIZE 14
#define ETH_MTU 1500
#define ETH_FRAME_MAX (ETH_HEADER_SIZE + ETH_MTU)   /* without the CRC, which the card adds */
#define ETH_FRAME_MIN 60                            /* shorter ones are padded */

struct netdev_stats {
    uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
    uint64_t rx_dropped;        /* received but not taken: nobody listening, no buffer */
    uint64_t rx_errors;         /* bad frames the card flagged, or too long */
    uint64_t tx_dropped;        /* the transmit ring was full, or the frame too long */
    uint64_t rx_missed;         /* the card's own count: no descriptor was free */
    uint64_t interrupts;
};

struct netdev {
    char name[NETDEV_NAME_SIZE];        /* "eth0" */
    const char *driver;                 /* "e1000" */
    uint8_t mac[ETH_ALEN];
    bool link_up;
    unsigned irq;                       /* the IO APIC input, or 0 with MSI */
    struct netdev_stats stats;
    /* Queue frame (len bytes, ETH_FRAME_MAX at most) for sending. 0, or
     * -EMSGSIZE / -ENOBUFS (ring full: counted in tx_dropped). May be
     * called from any thread. */
    int (*transmit)(struct netdev *dev, const void *frame, size_t len);
    /* Refresh what only the device knows (link, its counters). */
    void (*refresh)(struct netdev *dev);
    void *priv;                         /* the driver's */
    void *stack;                        /* the network stack's interface (net/stack.c) */
};

/* What takes received frames: the network stack, and a tool that listens
 * for a moment (arping) sees them first. Called in the driver's receive
 * thread. */
typedef void (*netdev_rx_handler)(struct netdev *dev, const void *frame, size_t len, void *ctx);

/* Give dev a name (eth0, eth1...) and make it known. false if NETDEV_MAX are taken. */
bool netdev_register(struct netdev *dev);

/* The index-th interface, or NULL. */
struct netdev *netdev_get(unsigned index);

/* Set (or with NULL, clear) the one listener, which sees every received
 * frame before the stack does. */
void netdev_set_rx_handler(netdev_rx_handler handler, void *ctx);

/* The network stack's taker of received frames: set once, at boot.
 * Without a stack or a listener, a received frame is dropped (counted). */
void netdev_set_stack_input(netdev_rx_handler input);

/* A driver's receive thread: here is a frame (its bytes are the driver's
 * again once this returns). */
void netdev_receive(struct netdev *dev, const void *frame, size_t len);

/* A driver's transmit: a frame of len bytes went to the card, or one was
 * dropped (counted; the error goes back to the caller). */
void netdev_sent(struct netdev *dev, size_t len);
void netdev_tx_dropped(struct netdev *dev);

/* The stack could not take a received frame (no memory, its queue full). */
void netdev_rx_dropped(struct netdev *dev);

/* "52:54:00:12:34:56" into buf (18 bytes). */
void netdev_format_mac(const uint8_t mac[ETH_ALEN], char buf[18]);

#endif
