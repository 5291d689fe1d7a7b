/*
 * ping.c: the shell's `ping HOST [COUNT]`: ICMP echo requests (RFC 792)
 * through lwIP, one a second, each reply shown with its sequence number,
 * TTL and round-trip time, then a summary, as Linux's ping does.
 *
 * It sends through a raw pcb (lwIP's raw API: whole IP packets of one
 * protocol), whose receive callback, in the tcpip thread, passes each
 * matching reply to the command over a channel.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwip/inet_chksum.h"
#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"
#include "lwip/prot/icmp.h"
#include "lwip/prot/ip4.h"
#include "lwip/raw.h"
#include "lwip/tcpip.h"

#include "chan.h"
#include "clock.h"
#include "heap.h"
#include "job.h"
#include "kprintf.h"
#include "net.h"
#include "netdev.h"
#include "random.h"
#include "shell.h"
#include "string.h"
#include "thread.h"

#define PING_DATA 56                /* bytes after the ICMP header, as Linux sends */
#define PING_INTERVAL_MS 1000
#define PING_DEFAULT_COUNT 4
#define PING_MAX_COUNT 1000

struct reply {
    uint16_t seq;
    uint8_t ttl;
    uint16_t bytes;                 /* ICMP header and data */
    uint64_t at_ns;
};

/* The command's open pcb: a resource of its job, so a Ctrl-C still
 * closes it (and with it the callback) before the channel goes. */
struct pinger {
    struct job_resource res;
    struct raw_pcb *pcb;
    ip_addr_t target;
    uint16_t id;
    struct chan *replies;
};

static void release(struct job_resource *r)
{
    struct pinger *pg = (struct pinger *)r;
    if (pg->pcb) {
        LOCK_TCPIP_CORE();
        raw_remove(pg->pcb);        /* from here its callback never runs */
        UNLOCK_TCPIP_CORE();
    }
    if (pg->replies)
        chan_free(pg->replies);
    kfree(pg);
}

/* In the tcpip thread: p is a whole IPv4 packet. An echo reply of ours is
 * taken (1: lwIP drops it); anything else goes on to lwIP's ICMP (0). */
static u8_t take_reply(void *arg, struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *from)
{
    (void)pcb;
    struct pinger *pg = arg;
    struct ip_hdr ip;
    struct icmp_echo_hdr echo;
    if (pbuf_copy_partial(p, &ip, sizeof(ip), 0) != sizeof(ip))
        return 0;
    u16_t hlen = IPH_HL_BYTES(&ip);
    if (pbuf_copy_partial(p, &echo, sizeof(echo), hlen) != sizeof(echo) || echo.type != ICMP_ER ||
        lwip_ntohs(echo.id) != pg->id || !ip_addr_cmp(from, &pg->target))
        return 0;
    struct reply r = { lwip_ntohs(echo.seqno), IPH_TTL(&ip), (uint16_t)(p->tot_len - hlen),
                       clock_monotonic_ns() };
    (void)chan_try_send(pg->replies, &r);       /* a late duplicate may find it full */
    pbuf_free(p);
    return 1;
}

/* With kills held throughout (thread.h): unwound between pbuf_alloc and
 * pbuf_free, the command would leak the packet. */
static bool send_echo(struct pinger *pg, uint16_t seq)
{
    thread_hold_kills();
    struct pbuf *p = pbuf_alloc(PBUF_IP, sizeof(struct icmp_echo_hdr) + PING_DATA, PBUF_RAM);
    if (p == NULL) {
        thread_release_kills();
        return false;
    }
    struct icmp_echo_hdr *echo = p->payload;
    echo->type = ICMP_ECHO;
    echo->code = 0;
    echo->chksum = 0;
    echo->id = lwip_htons(pg->id);
    echo->seqno = lwip_htons(seq);
    uint8_t *data = (uint8_t *)(echo + 1);
    for (int i = 0; i < PING_DATA; i++)
        data[i] = (uint8_t)i;
    echo->chksum = inet_chksum(echo, (u16_t)p->len);
    LOCK_TCPIP_CORE();
    err_t err = raw_sendto(pg->pcb, p, &pg->target);
    UNLOCK_TCPIP_CORE();
    pbuf_free(p);
    thread_release_kills();
    return err == ERR_OK;
}

/* "1".."max" into *n; false if s is anything else. */
static bool parse_count(const char *s, int max, int *n)
{
    int v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9' || v > max)
            return false;
        v = v * 10 + (*p - '0');
    }
    if (*s == '\0' || v < 1 || v > max)
        return false;
    *n = v;
    return true;
}

static void cmd_ping(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        kprintf("usage: %s\n", ping_command.usage);
        return;
    }
    int count = PING_DEFAULT_COUNT;
    if (argc == 3 && !parse_count(argv[2], PING_MAX_COUNT, &count)) {
        kprintf("ping: the count '%s' is not a number from 1 to %d\n", argv[2], PING_MAX_COUNT);
        return;
    }
    if (netdev_get(0) == NULL) {
        kprintf("ping: no network interface\n");
        return;
    }
    ip_addr_t target;
    if (!net_resolve("ping", argv[1], &target))
        return;

    struct pinger *pg = kmalloc(sizeof(*pg));
    if (pg == NULL) {
        kprintf("ping: out of memory\n");
        return;
    }
    memset(pg, 0, sizeof(*pg));
    pg->res.release = release;
    job_adopt(&pg->res);
    ip_addr_copy(pg->target, target);
    random_bytes(&pg->id, sizeof(pg->id));
    pg->replies = chan_new("ping replies", sizeof(struct reply), 4);
    if (pg->replies)
        job_forget(&pg->replies->owner);    /* the pinger frees it */
    LOCK_TCPIP_CORE();
    pg->pcb = pg->replies ? raw_new(IP_PROTO_ICMP) : NULL;
    if (pg->pcb)
        raw_recv(pg->pcb, take_reply, pg);
    UNLOCK_TCPIP_CORE();
    if (pg->pcb == NULL) {
        kprintf("ping: out of memory\n");
        job_forget(&pg->res);
        release(&pg->res);
        return;
    }

    char addr[IPADDR_STRLEN_MAX];
    ipaddr_ntoa_r(&target, addr, sizeof(addr));
    kprintf("PING %s (%s): %d data bytes\n", argv[1], addr, PING_DATA);
    int sent = 0, received = 0;
    uint64_t best = UINT64_MAX, worst = 0, total = 0;
    for (int seq = 1; seq <= count; seq++) {
        uint64_t start = clock_monotonic_ns();
        if (!send_echo(pg, (uint16_t)seq)) {
            kprintf("ping: could not send to %s (no route, or out of memory)\n", addr);
        } else {
            sent++;
            /* Wait out the interval for this one's reply (an older one's, late, is counted too). */
            for (;;) {
                int64_t left = PING_INTERVAL_MS - (int64_t)((clock_monotonic_ns() - start) / 1000000);
                struct reply r;
                struct select_case c = { pg->replies, SELECT_RECV, &r, false };
                if (left <= 0 || chan_select(&c, 1, true, left) != 0)
                    break;
                uint64_t us = (r.at_ns - start) / 1000;
                if (r.seq != seq)
                    continue;       /* a reply that came after its own wait */
                received++;
                best = us < best ? us : best;
                worst = us > worst ? us : worst;
                total += us;
                kprintf("%u bytes from %s: icmp_seq=%u ttl=%u time=%llu.%03llu ms\n", r.bytes, addr, r.seq,
                        r.ttl, (unsigned long long)(us / 1000), (unsigned long long)(us % 1000));
                break;
            }
        }
        if (seq < count) {
            uint64_t spent = (clock_monotonic_ns() - start) / 1000000;
            if (spent < PING_INTERVAL_MS)
                thread_sleep_ms(PING_INTERVAL_MS - spent);
        }
    }
    job_forget(&pg->res);
    release(&pg->res);
    kprintf("--- %s ping statistics ---\n", argv[1]);
    kprintf("%d packets transmitted, %d received, %d%% packet loss\n", sent, received,
            sent ? (sent - received) * 100 / sent : 0);
    if (received)
        kprintf("rtt min/avg/max = %llu.%03llu/%llu.%03llu/%llu.%03llu ms\n",
                (unsigned long long)(best / 1000), (unsigned long long)(best % 1000),
                (unsigned long long)(total / received / 1000), (unsigned long long)(total / received % 1000),
                (unsigned long long)(worst / 1000), (unsigned long long)(worst % 1000));
}

const struct shell_command ping_command = {
    "ping", "ping HOST [COUNT]", "send ICMP echo requests to HOST (an address or a name), one a second",
    cmd_ping,
};
