/*
 * netstat.c: the shell's `netstat`: lwIP's open connections and
 * listeners (its protocol control blocks, pcbs), then its counters per
 * protocol, as Linux's `netstat -a` and `netstat -s` show them.
 */
#include <stdbool.h>
#include <stdint.h>

#include "lwip/ip_addr.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/stats.h"
#include "lwip/tcp.h"
#include "lwip/tcpip.h"
#include "lwip/udp.h"

#include "format.h"
#include "heap.h"
#include "kprintf.h"
#include "netdev.h"
#include "shell.h"

/* lwIP's names for TCP's states, as netstat prints them. */
static const char *const tcp_states[] = {
    [CLOSED] = "CLOSED", [LISTEN] = "LISTEN", [SYN_SENT] = "SYN_SENT",
    [SYN_RCVD] = "SYN_RECV", [ESTABLISHED] = "ESTABLISHED", [FIN_WAIT_1] = "FIN_WAIT1",
    [FIN_WAIT_2] = "FIN_WAIT2", [CLOSE_WAIT] = "CLOSE_WAIT", [CLOSING] = "CLOSING",
    [LAST_ACK] = "LAST_ACK", [TIME_WAIT] = "TIME_WAIT",
};

/* "10.0.2.15:80", or "*" for an unset address or port, into buf. */
static void endpoint(char *buf, size_t size, const ip_addr_t *addr, u16_t port)
{
    char text[IPADDR_STRLEN_MAX];
    ipaddr_ntoa_r(addr, text, sizeof(text));
    if (port)
        ksnprintf(buf, size, "%s:%u", text, port);
    else
        ksnprintf(buf, size, "%s:*", text);
}

/* One line of the table, copied out under the core lock and printed
 * after it: printing 80 characters at the serial line's speed takes
 * milliseconds, too long to hold the stack still for each. */
struct pcb_row {
    const char *proto;
    ip_addr_t local, remote;
    u16_t lport, rport;
    const char *state;
};

struct table {
    struct pcb_row *rows;
    size_t n, cap;
    size_t missed;              /* rows there was no memory for */
};

static void add(struct table *t, const char *proto, const ip_addr_t *local, u16_t lport,
                const ip_addr_t *remote, u16_t rport, const char *state)
{
    if (t->n == t->cap) {
        t->missed++;
        return;
    }
    struct pcb_row *r = &t->rows[t->n++];
    r->proto = proto;
    ip_addr_copy(r->local, *local);
    ip_addr_copy(r->remote, *remote);
    r->lport = lport;
    r->rport = rport;
    r->state = state;
}

static size_t count_tcp(struct tcp_pcb *list)
{
    size_t n = 0;
    for (struct tcp_pcb *p = list; p; p = p->next)
        n++;
    return n;
}

static void add_tcp(struct table *t, struct tcp_pcb *list)
{
    for (struct tcp_pcb *p = list; p; p = p->next)
        add(t, "tcp", &p->local_ip, p->local_port, &p->remote_ip, p->remote_port,
            p->state < sizeof(tcp_states) / sizeof(tcp_states[0]) ? tcp_states[p->state] : "?");
}

static void counters(const char *name, const struct stats_proto *s)
{
    kprintf("  %-5s %u sent, %u received, %u dropped (checksum %u, length %u, memory %u, "
            "routing %u, protocol %u)\n", name, s->xmit, s->recv, s->drop, s->chkerr, s->lenerr,
            s->memerr, s->rterr, s->proterr);
}

static void cmd_netstat(int argc, char **argv)
{
    if (argc != 1) {
        kprintf("usage: %s (no arguments)\n", argv[0]);
        return;
    }
    if (netdev_get(0) == NULL) {
        kprintf("netstat: no network interface\n");
        return;
    }
    /* Room for the rows there are now, and a few that may open meanwhile. */
    LOCK_TCPIP_CORE();
    size_t n = count_tcp(tcp_active_pcbs) + count_tcp(tcp_tw_pcbs);
    for (struct tcp_pcb_listen *p = tcp_listen_pcbs.listen_pcbs; p; p = p->next)
        n++;
    for (struct udp_pcb *p = udp_pcbs; p; p = p->next)
        n++;
    UNLOCK_TCPIP_CORE();
    struct table t = { NULL, 0, n + 16, 0 };
    t.rows = kmalloc(t.cap * sizeof(*t.rows));
    if (t.rows == NULL) {
        kprintf("netstat: out of memory\n");
        return;
    }
    LOCK_TCPIP_CORE();
    for (struct tcp_pcb_listen *p = tcp_listen_pcbs.listen_pcbs; p; p = p->next)
        add(&t, "tcp", &p->local_ip, p->local_port, IP4_ADDR_ANY, 0, "LISTEN");
    add_tcp(&t, tcp_active_pcbs);
    add_tcp(&t, tcp_tw_pcbs);
    for (struct udp_pcb *p = udp_pcbs; p; p = p->next)
        add(&t, "udp", &p->local_ip, p->local_port, &p->remote_ip, p->remote_port, "");
    struct stats_ s = lwip_stats;
    UNLOCK_TCPIP_CORE();

    kprintf("Proto Local Address          Foreign Address        State\n");
    for (size_t i = 0; i < t.n; i++) {
        struct pcb_row *r = &t.rows[i];
        char l[IPADDR_STRLEN_MAX + 8], f[IPADDR_STRLEN_MAX + 8];
        endpoint(l, sizeof(l), &r->local, r->lport);
        endpoint(f, sizeof(f), &r->remote, r->rport);
        kprintf("%-5s %-22s %-22s %s\n", r->proto, l, f, r->state);
    }
    if (t.missed)
        kprintf("(%zu more opened while netstat looked)\n", t.missed);
    kfree(t.rows);
    /* Frames per card are ifconfig's; these are lwIP's own counts. */
    kprintf("Counters:\n");
    counters("arp", &s.etharp);
    counters("ip", &s.ip);
    counters("icmp", &s.icmp);
    counters("udp", &s.udp);
    counters("tcp", &s.tcp);
}

const struct shell_command netstat_command = {
    "netstat", "netstat", "lwIP's connections and listeners, and its counters per protocol", cmd_netstat,
};
