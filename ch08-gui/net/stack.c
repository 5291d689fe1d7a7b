/*
 * stack.c: lwIP, the TCP/IP stack, on this kernel's network interfaces.
 *
 * At boot (net_stack_init) the tcpip thread starts, each interface gets
 * an lwIP netif, and DHCP asks QEMU's (or the LAN's) server for an
 * address. Received frames go from the driver's receive thread to the
 * tcpip thread's mailbox (tcpip_input); lwIP sends through the driver's
 * transmit (linkoutput). See book/ch07-net.md, "lwIP".
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwip/dhcp.h"
#include "lwip/dns.h"
#include "lwip/etharp.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/tcpip.h"
#include "netif/ethernet.h"

#include "chan.h"
#include "clock.h"
#include "errno.h"
#include "heap.h"
#include "job.h"
#include "kprintf.h"
#include "net.h"
#include "netdev.h"
#include "panic.h"

#define DHCP_BOOT_WAIT_MS 3000

/* Where the first interface's DHCP result is announced, for the boot's wait. */
static struct chan *bound;
static uint64_t dhcp_started_ns;
static ip_addr_t dns_option;        /* dns=ADDRESS, or any */

static err_t linkoutput(struct netif *nif, struct pbuf *p)
{
    struct netdev *dev = nif->state;
    if (p->tot_len > ETH_FRAME_MAX) {
        netdev_tx_dropped(dev);
        return ERR_BUF;
    }
    int r;
    if (p->next == NULL) {
        r = dev->transmit(dev, p->payload, p->len);
    } else {
        /* A chain (headers in one pbuf, data in others): one frame. */
        uint8_t frame[ETH_FRAME_MAX];
        pbuf_copy_partial(p, frame, p->tot_len, 0);
        r = dev->transmit(dev, frame, p->tot_len);
    }
    if (r == -ENOBUFS)
        return ERR_BUF;         /* the card's ring is full: a sender sees ENOBUFS */
    return r == 0 ? ERR_OK : ERR_IF;
}

/* From the driver's receive thread: into a pbuf, to the tcpip thread. */
static void input(struct netdev *dev, const void *frame, size_t len, void *ctx)
{
    (void)ctx;
    struct netif *nif = __atomic_load_n(&dev->stack, __ATOMIC_ACQUIRE);
    struct pbuf *p = nif ? pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL) : NULL;
    if (p == NULL) {
        netdev_rx_dropped(dev);
        return;
    }
    pbuf_take(p, frame, (u16_t)len);
    if (nif->input(p, nif) != ERR_OK) {
        pbuf_free(p);
        netdev_rx_dropped(dev);
    }
}

/* 255.255.255.0 is /24: the netmask's leading one bits. */
static int prefix_length(const ip4_addr_t *mask)
{
    uint32_t m = lwip_ntohl(ip4_addr_get_u32(mask));
    int n = 0;
    while (n < 32 && (m & (0x80000000u >> n)))
        n++;
    return n;
}

static void say_address(struct netif *nif)
{
    struct netdev *dev = nif->state;
    char addr[IP4ADDR_STRLEN_MAX], gw[IP4ADDR_STRLEN_MAX], dns[IP4ADDR_STRLEN_MAX];
    ip4addr_ntoa_r(netif_ip4_addr(nif), addr, sizeof(addr));
    ip4addr_ntoa_r(netif_ip4_gw(nif), gw, sizeof(gw));
    ipaddr_ntoa_r(dns_getserver(0), dns, sizeof(dns));
    uint64_t ms = (clock_monotonic_ns() - dhcp_started_ns) / 1000000;
    kprintf("net: %s is %s/%d (DHCP, %llu ms), gateway %s, DNS %s%s\n", dev->name, addr,
            prefix_length(netif_ip4_netmask(nif)), (unsigned long long)ms, gw, dns,
            ip_addr_isany_val(dns_option) ? "" : " (dns=)");
}

/* In the tcpip thread, when an interface's address changes. */
static void status_changed(struct netif *nif)
{
    if (ip4_addr_isany_val(*netif_ip4_addr(nif)))
        return;
    struct netdev *dev = nif->state;
    if (!ip_addr_isany_val(dns_option))
        dns_setserver(0, &dns_option);      /* the option wins over DHCP */
    say_address(nif);
    if (dev == netdev_get(0)) {
        char done = 1;
        chan_try_send(bound, &done);
    }
}

static err_t netif_setup(struct netif *nif)
{
    struct netdev *dev = nif->state;
    nif->name[0] = 'e';
    nif->name[1] = 't';
    nif->hwaddr_len = ETH_ALEN;
    for (int i = 0; i < ETH_ALEN; i++)
        nif->hwaddr[i] = dev->mac[i];
    nif->mtu = ETH_MTU;
    nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
    nif->output = etharp_output;
    nif->linkoutput = linkoutput;
    netif_set_hostname(nif, "cubos");
    return ERR_OK;
}

static void tcpip_ready(void *arg)
{
    char done = 1;
    chan_try_send(arg, &done);
}

void net_stack_init(const char *dns_server)
{
    struct netdev *first = netdev_get(0);
    if (dns_server && !ipaddr_aton(dns_server, &dns_option))
        kprintf("dns=%s: not an IPv4 address (a.b.c.d); using the DHCP server's\n", dns_server);
    struct chan *ready = chan_new("tcpip ready", 1, 1);
    bound = chan_new("dhcp bound", 1, 1);
    if (ready == NULL || bound == NULL)
        panic("net: no memory to start the network stack");
    job_forget(&ready->owner);
    job_forget(&bound->owner);
    tcpip_init(tcpip_ready, ready);
    char done;
    chan_recv(ready, &done);
    chan_free(ready);

    /* Frames are taken before the first DISCOVER goes out: QEMU's DHCP
     * server can answer it before this loop ends (a frame dropped there
     * made DHCP ask again 2 s later). */
    netdev_set_stack_input(input);
    dhcp_started_ns = clock_monotonic_ns();
    struct netdev *dev;
    for (unsigned i = 0; (dev = netdev_get(i)) != NULL; i++) {
        struct netif *nif = kmalloc(sizeof(*nif));
        if (nif == NULL)
            panic("net: no memory for %s's interface", dev->name);
        LOCK_TCPIP_CORE();
        if (netif_add(nif, IP4_ADDR_ANY4, IP4_ADDR_ANY4, IP4_ADDR_ANY4, dev, netif_setup, tcpip_input) == NULL)
            panic("net: lwIP refused %s", dev->name);
        __atomic_store_n(&dev->stack, nif, __ATOMIC_RELEASE);     /* for input, unlocked */
        netif_set_status_callback(nif, status_changed);
        if (i == 0)
            netif_set_default(nif);
        netif_set_up(nif);
        if (dev->link_up)
            netif_set_link_up(nif);
        dhcp_start(nif);
        UNLOCK_TCPIP_CORE();
    }
    if (first == NULL)
        return;                 /* loopback only: no address to wait for */

    /* QEMU's DHCP server answers at once; a LAN's may take seconds. The
     * boot waits a little for it, so the prompt comes with an address,
     * and goes on without one: DHCP keeps asking, and says when. */
    struct select_case cases[] = { { bound, SELECT_RECV, &done, false } };
    if (chan_select(cases, 1, true, DHCP_BOOT_WAIT_MS) == SELECT_TIMEOUT)
        kprintf("net: %s has no address yet: no DHCP answer in %d s; it keeps asking\n",
                first->name, DHCP_BOOT_WAIT_MS / 1000);
}
