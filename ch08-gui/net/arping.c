/*
 * arping.c: the shell's `arping ADDRESS`: who has this IPv4 address on
 * the local network? It sends ARP requests (RFC 826) out of eth0 and
 * waits for the answer, which proves the card's whole path works, out
 * and back and its interrupt, before any protocol stack is involved.
 *
 * The request is a probe (RFC 5227): its sender address is 0.0.0.0,
 * since this interface has no address of its own yet.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chan.h"
#include "clock.h"
#include "heap.h"
#include "job.h"
#include "kprintf.h"
#include "netdev.h"
#include "shell.h"
#include "string.h"

#define ETHERTYPE_ARP 0x0806
#define ARP_HTYPE_ETHERNET 1
#define ARP_PTYPE_IPV4 0x0800
#define ARP_REQUEST 1
#define ARP_REPLY 2
#define ARP_TRIES 3
#define ARP_WAIT_MS 1000            /* for each reply */

/* An ARP packet for IPv4 over Ethernet, after the Ethernet header. */
struct arp {
    uint8_t htype[2], ptype[2];
    uint8_t hlen, plen;
    uint8_t op[2];
    uint8_t sha[ETH_ALEN], spa[4];
    uint8_t tha[ETH_ALEN], tpa[4];
} __attribute__((packed));

struct frame {
    uint8_t dst[ETH_ALEN], src[ETH_ALEN];
    uint8_t type[2];
    struct arp arp;
} __attribute__((packed));

/* What the receive thread sees while arping waits. On the heap, and a
 * resource of the command's job: if the command is ended at its wait
 * (a deadlock elsewhere ends its job), the job's end still takes the
 * handler away before anything of it is freed. */
struct probe {
    struct job_resource res;
    uint8_t target[4];
    struct chan *replies;           /* the repliers' MAC addresses, capacity 1 */
};

static void put16(uint8_t b[2], uint16_t v)
{
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t b[2])
{
    return (uint16_t)(b[0] << 8 | b[1]);
}

/* "a.b.c.d" into addr; false if it is not exactly that. */
static bool parse_ipv4(const char *s, uint8_t addr[4])
{
    for (int i = 0; i < 4; i++) {
        unsigned v = 0, digits = 0;
        for (; *s >= '0' && *s <= '9' && digits < 4; s++, digits++)
            v = v * 10 + (unsigned)(*s - '0');
        if (digits == 0 || digits > 3 || v > 255)
            return false;
        addr[i] = (uint8_t)v;
        if (i < 3 && *s++ != '.')
            return false;
    }
    return *s == '\0';
}

static void release_probe(struct job_resource *r)
{
    netdev_set_rx_handler(NULL, NULL);      /* from here no reply can reach the probe */
    kfree(r);                               /* res is its first member */
}

/* The receive thread's side: a reply from the target ends the wait. */
static void take_reply(struct netdev *dev, const void *data, size_t len, void *ctx)
{
    (void)dev;
    struct probe *p = ctx;
    const struct frame *f = data;
    if (len < sizeof(*f) || get16(f->type) != ETHERTYPE_ARP || get16(f->arp.op) != ARP_REPLY ||
        get16(f->arp.ptype) != ARP_PTYPE_IPV4 || memcmp(f->arp.spa, p->target, 4) != 0)
        return;
    (void)chan_try_send(p->replies, f->arp.sha);    /* the first one is enough */
}

static void cmd_arping(int argc, char **argv)
{
    if (argc != 2) {
        kprintf("usage: %s\n", arping_command.usage);
        return;
    }
    uint8_t target[4];
    if (!parse_ipv4(argv[1], target)) {
        kprintf("arping: '%s' is not an IPv4 address (a.b.c.d)\n", argv[1]);
        return;
    }
    struct netdev *dev = netdev_get(0);
    if (dev == NULL) {
        kprintf("arping: no network interface\n");
        return;
    }
    struct frame f;
    memset(&f, 0, sizeof(f));
    memset(f.dst, 0xFF, ETH_ALEN);                  /* broadcast */
    memcpy(f.src, dev->mac, ETH_ALEN);
    put16(f.type, ETHERTYPE_ARP);
    put16(f.arp.htype, ARP_HTYPE_ETHERNET);
    put16(f.arp.ptype, ARP_PTYPE_IPV4);
    f.arp.hlen = ETH_ALEN;
    f.arp.plen = 4;
    put16(f.arp.op, ARP_REQUEST);
    memcpy(f.arp.sha, dev->mac, ETH_ALEN);
    memcpy(f.arp.tpa, target, 4);

    /* The channel first, the probe after it: a job's end releases the
     * newest first, so the handler is gone before the channel is freed. */
    struct chan *replies = chan_new("arp replies", ETH_ALEN, 1);
    struct probe *probe = replies ? kmalloc(sizeof(*probe)) : NULL;
    if (probe == NULL) {
        if (replies)
            chan_free(replies);
        kprintf("arping: out of memory\n");
        return;
    }
    probe->res.release = release_probe;
    memcpy(probe->target, target, 4);
    probe->replies = replies;
    job_adopt(&probe->res);
    netdev_set_rx_handler(take_reply, probe);

    bool answered = false;
    int sent = 0;
    for (int try = 0; try < ARP_TRIES && !answered; try++) {
        uint64_t start = clock_monotonic_ns();
        int err = dev->transmit(dev, &f, sizeof(f));
        if (err != 0) {
            kprintf("arping: %s could not send (error %d)\n", dev->name, err);
            continue;
        }
        sent++;
        uint8_t mac[ETH_ALEN];
        struct select_case reply = { replies, SELECT_RECV, mac, false };
        answered = chan_select(&reply, 1, true, ARP_WAIT_MS) == 0;
        if (answered) {
            uint64_t us = (clock_monotonic_ns() - start) / 1000;
            char text[18];
            netdev_format_mac(mac, text);
            kprintf("arping: %s is at %s (request %d, answered in %llu.%03llu ms)\n", argv[1], text,
                    try + 1, (unsigned long long)(us / 1000), (unsigned long long)(us % 1000));
        }
    }
    job_forget(&probe->res);
    release_probe(&probe->res);
    chan_free(replies);
    if (!answered)
        kprintf("arping: no reply from %s to %d requests on %s\n", argv[1], sent, dev->name);
}

const struct shell_command arping_command = {
    "arping", "arping ADDRESS", "ask the local network who has an IPv4 address (ARP)", cmd_arping,
};
