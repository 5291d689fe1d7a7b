/*
 * ifconfig.c: the shell's `ifconfig`: each network interface, its driver
 * and MAC address, its link, its IPv4 address, and its counters, drops
 * by reason included.
 */
#include <stdbool.h>
#include <stdint.h>

#include "lwip/netif.h"
#include "lwip/tcpip.h"

#include "kprintf.h"
#include "netdev.h"
#include "shell.h"

/* The interface's IPv4 address, as lwIP has it. */
static void say_address(struct netdev *dev)
{
    struct netif *nif = dev->stack;
    if (nif == NULL)
        return;
    char addr[IP4ADDR_STRLEN_MAX], mask[IP4ADDR_STRLEN_MAX], gw[IP4ADDR_STRLEN_MAX];
    LOCK_TCPIP_CORE();
    bool none = ip4_addr_isany_val(*netif_ip4_addr(nif));
    ip4addr_ntoa_r(netif_ip4_addr(nif), addr, sizeof(addr));
    ip4addr_ntoa_r(netif_ip4_netmask(nif), mask, sizeof(mask));
    ip4addr_ntoa_r(netif_ip4_gw(nif), gw, sizeof(gw));
    UNLOCK_TCPIP_CORE();
    if (none)
        kprintf("    inet: no address yet (DHCP is asking)\n");
    else
        kprintf("    inet %s netmask %s gateway %s\n", addr, mask, gw);
}

static void cmd_ifconfig(int argc, char **argv)
{
    if (argc != 1) {
        kprintf("usage: %s (no arguments)\n", argv[0]);
        return;
    }
    struct netdev *dev = netdev_get(0);
    if (dev == NULL) {
        kprintf("ifconfig: no network interfaces\n");
        return;
    }
    for (unsigned i = 0; (dev = netdev_get(i)) != NULL; i++) {
        dev->refresh(dev);
        const struct netdev_stats *s = &dev->stats;
        char mac[18];
        netdev_format_mac(dev->mac, mac);
        kprintf("%s: %s, MAC %s, link %s, ", dev->name, dev->driver, mac, dev->link_up ? "up" : "down");
        if (dev->irq)
            kprintf("IRQ %u\n", dev->irq);
        else
            kprintf("MSI-X\n");
        say_address(dev);
        kprintf("    rx %llu packets, %llu bytes; dropped %llu, errors %llu, missed %llu\n",
                (unsigned long long)s->rx_packets, (unsigned long long)s->rx_bytes,
                (unsigned long long)s->rx_dropped, (unsigned long long)s->rx_errors,
                (unsigned long long)s->rx_missed);
        kprintf("    tx %llu packets, %llu bytes; dropped %llu\n", (unsigned long long)s->tx_packets,
                (unsigned long long)s->tx_bytes, (unsigned long long)s->tx_dropped);
        kprintf("    interrupts %llu\n", (unsigned long long)s->interrupts);
    }
}

const struct shell_command ifconfig_command = {
    "ifconfig", "ifconfig", "the network interfaces: MAC, link, packet and drop counts", cmd_ifconfig,
};
