/*
 * netdev.c: the list of network interfaces and where received frames go
 * (see netdev.h).
 */
#include <stdbool.h>
#include <stddef.h>

#include "format.h"
#include "netdev.h"
#include "spinlock.h"
#include "wait.h"

static struct spinlock lock = SPINLOCK_INIT("netdev");
static struct netdev *devices[NETDEV_MAX];
static unsigned ndevices;
/* Held while the taker runs: once netdev_set_rx_handler has replaced it,
 * no thread is still inside the old one (whose ctx may be gone). */
static struct mutex rx_lock = MUTEX_INIT("netdev rx");
static netdev_rx_handler rx_handler;
static void *rx_ctx;
static netdev_rx_handler stack_input;

bool netdev_register(struct netdev *dev)
{
    spin_lock(&lock);
    bool room = ndevices < NETDEV_MAX;
    if (room) {
        ksnprintf(dev->name, sizeof(dev->name), "eth%u", ndevices);
        devices[ndevices++] = dev;
    }
    spin_unlock(&lock);
    return room;
}

struct netdev *netdev_get(unsigned index)
{
    spin_lock(&lock);
    struct netdev *dev = index < ndevices ? devices[index] : NULL;
    spin_unlock(&lock);
    return dev;
}

void netdev_set_rx_handler(netdev_rx_handler handler, void *ctx)
{
    mutex_lock(&rx_lock);
    rx_handler = handler;
    rx_ctx = ctx;
    mutex_unlock(&rx_lock);
}

void netdev_receive(struct netdev *dev, const void *frame, size_t len)
{
    __atomic_add_fetch(&dev->stats.rx_packets, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&dev->stats.rx_bytes, len, __ATOMIC_RELAXED);
    mutex_lock(&rx_lock);
    bool heard = rx_handler != NULL;
    if (heard)
        rx_handler(dev, frame, len, rx_ctx);
    mutex_unlock(&rx_lock);
    netdev_rx_handler input = __atomic_load_n(&stack_input, __ATOMIC_ACQUIRE);
    if (input)
        input(dev, frame, len, NULL);
    else if (!heard)
        __atomic_add_fetch(&dev->stats.rx_dropped, 1, __ATOMIC_RELAXED);
}

void netdev_set_stack_input(netdev_rx_handler input)
{
    __atomic_store_n(&stack_input, input, __ATOMIC_RELEASE);
}

void netdev_rx_dropped(struct netdev *dev)
{
    __atomic_add_fetch(&dev->stats.rx_dropped, 1, __ATOMIC_RELAXED);
}

void netdev_sent(struct netdev *dev, size_t len)
{
    __atomic_add_fetch(&dev->stats.tx_packets, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&dev->stats.tx_bytes, len, __ATOMIC_RELAXED);
}

void netdev_tx_dropped(struct netdev *dev)
{
    __atomic_add_fetch(&dev->stats.tx_dropped, 1, __ATOMIC_RELAXED);
}

void netdev_format_mac(const uint8_t mac[ETH_ALEN], char buf[18])
{
    ksnprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
              mac[5]);
}
