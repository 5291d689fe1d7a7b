/*
 * sockopt.c: setsockopt and getsockopt (socket.h): the common options
 * programs set, mapped onto the pcb's own (SO_REUSEADDR, SO_KEEPALIVE,
 * TCP_NODELAY, the keepalive timers, IP_TOS/IP_TTL), the socket layer's
 * (the timeouts, SO_ERROR) or, where lwIP has no such knob (the buffer
 * sizes, SO_LINGER), kept and reported back.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwip/api.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcpip.h"

#include "errno.h"
#include "fd.h"
#include "socket.h"
#include "socket_priv.h"
#include "string.h"

/* Linux's socket option names (asm-generic/socket.h, netinet/tcp.h). */
#define SOL_SOCKET 1
#define SO_REUSEADDR 2
#define SO_TYPE 3
#define SO_ERROR 4
#define SO_BROADCAST 6
#define SO_SNDBUF 7
#define SO_RCVBUF 8
#define SO_KEEPALIVE 9
#define SO_LINGER 13
#define SO_REUSEPORT 15
#define SO_RCVTIMEO 20
#define SO_SNDTIMEO 21
#define SO_ACCEPTCONN 30
#define SO_PROTOCOL 38
#define SO_DOMAIN 39
#define TCP_NODELAY 1
#define TCP_MAXSEG 2
#define TCP_KEEPIDLE 4
#define TCP_KEEPINTVL 5
#define TCP_KEEPCNT 6
#define IP_TOS 1
#define IP_TTL 2

struct timeval_k {
    int64_t sec, usec;
};

static int int_of(const void *val, size_t len, int *out)
{
    if (len < sizeof(int))
        return -EINVAL;
    memcpy(out, val, sizeof(int));
    return 0;
}

/* An option set on the pcb, under the core lock; a listening pcb is the
 * smaller tcp_pcb_listen and has only the IP part. */
static int set_pcb_option(struct socket *s, int level, int name, int v)
{
    int r = 0;
    LOCK_TCPIP_CORE();
    struct ip_pcb *ip = s->conn->pcb.ip;
    struct tcp_pcb *tcp = s->type == SOCK_STREAM && !s->listening ? s->conn->pcb.tcp : NULL;
    if (ip == NULL)
        r = -EINVAL;            /* reset or closed: nothing to set */
    else if (level == SOL_SOCKET) {
        u8_t bit = name == SO_REUSEADDR ? SOF_REUSEADDR : name == SO_KEEPALIVE ? SOF_KEEPALIVE :
                   SOF_BROADCAST;
        if (v)
            ip_set_option(ip, bit);
        else
            ip_reset_option(ip, bit);
    } else if (level == IPPROTO_IP) {
        if (name == IP_TOS)
            ip->tos = (u8_t)v;
        else
            ip->ttl = (u8_t)v;
    } else if (tcp) {
        if (name == TCP_NODELAY) {
            if (v)
                tcp_nagle_disable(tcp);
            else
                tcp_nagle_enable(tcp);
        } else if (name == TCP_KEEPIDLE)
            tcp->keep_idle = (u32_t)v * 1000;
        else if (name == TCP_KEEPINTVL)
            tcp->keep_intvl = (u32_t)v * 1000;
        else
            tcp->keep_cnt = (u32_t)v;
    }
    UNLOCK_TCPIP_CORE();
    return r;
}

int socket_setopt(struct file *f, int level, int name, const void *val, size_t len)
{
    struct socket *s = f->priv;
    int v = 0;
    if (level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO)) {
        struct timeval_k tv;
        if (len < sizeof(tv))
            return -EINVAL;
        memcpy(&tv, val, sizeof(tv));
        if (tv.sec < 0 || tv.usec < 0 || tv.usec >= 1000000)
            return -EDOM;
        uint64_t ms = (uint64_t)tv.sec * 1000 + ((uint64_t)tv.usec + 999) / 1000;
        uint32_t capped = ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
        if (name == SO_RCVTIMEO)
            s->rcv_timeout_ms = capped;
        else
            s->snd_timeout_ms = capped;
        return 0;
    }
    if (level == SOL_SOCKET && name == SO_LINGER) {
        if (len < sizeof(s->linger))
            return -EINVAL;
        memcpy(s->linger, val, sizeof(s->linger));
        return 0;
    }
    int err = int_of(val, len, &v);
    if (err)
        return err;
    switch (level) {
    case SOL_SOCKET:
        switch (name) {
        case SO_REUSEADDR:
        case SO_KEEPALIVE:
        case SO_BROADCAST:
            return set_pcb_option(s, level, name, v);
        case SO_REUSEPORT:
            return 0;           /* one socket per port anyway: accepted, no effect */
        case SO_SNDBUF:
        case SO_RCVBUF:
            /* lwIP's buffers are sized at build time (lwipopts.h): the
             * value is kept and reported, as a hint Linux may round too. */
            if (name == SO_SNDBUF)
                s->sndbuf = v;
            else
                s->rcvbuf = v;
            return 0;
        }
        return -ENOPROTOOPT;
    case IPPROTO_IP:
        if (name == IP_TOS || name == IP_TTL)
            return set_pcb_option(s, level, name, v);
        return -ENOPROTOOPT;
    case IPPROTO_TCP:
        if (s->type != SOCK_STREAM)
            return -ENOPROTOOPT;
        if (name == TCP_NODELAY || name == TCP_KEEPIDLE || name == TCP_KEEPINTVL || name == TCP_KEEPCNT) {
            if (name != TCP_NODELAY && v < 1)
                return -EINVAL;
            return set_pcb_option(s, level, name, v);
        }
        return -ENOPROTOOPT;
    }
    return -ENOPROTOOPT;
}

int socket_getopt(struct file *f, int level, int name, void *val, size_t *len)
{
    struct socket *s = f->priv;
    int v = 0;
    if (level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO)) {
        uint32_t ms = name == SO_RCVTIMEO ? s->rcv_timeout_ms : s->snd_timeout_ms;
        struct timeval_k tv = { ms / 1000, (int64_t)(ms % 1000) * 1000 };
        *len = *len < sizeof(tv) ? *len : sizeof(tv);
        memcpy(val, &tv, *len);
        return 0;
    }
    if (level == SOL_SOCKET && name == SO_LINGER) {
        *len = *len < sizeof(s->linger) ? *len : sizeof(s->linger);
        memcpy(val, s->linger, *len);
        return 0;
    }
    if (level == SOL_SOCKET) {
        switch (name) {
        case SO_TYPE: v = s->type; break;
        case SO_DOMAIN: v = AF_INET; break;
        case SO_PROTOCOL: v = s->type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP; break;
        case SO_ACCEPTCONN: v = s->listening; break;
        case SO_SNDBUF: v = s->sndbuf; break;
        case SO_RCVBUF: v = s->rcvbuf; break;
        case SO_ERROR:
            /* A connect's outcome, once (Go asks this after EINPROGRESS). */
            mutex_lock(&s->lock);
            if (s->connecting)
                sock_connect_result(s);
            v = s->connecting ? 0 : s->so_error;
            s->so_error = 0;
            mutex_unlock(&s->lock);
            break;
        case SO_REUSEADDR:
        case SO_KEEPALIVE:
        case SO_BROADCAST: {
            u8_t bit = name == SO_REUSEADDR ? SOF_REUSEADDR : name == SO_KEEPALIVE ? SOF_KEEPALIVE :
                       SOF_BROADCAST;
            LOCK_TCPIP_CORE();
            v = s->conn->pcb.ip && ip_get_option(s->conn->pcb.ip, bit);
            UNLOCK_TCPIP_CORE();
            break;
        }
        default:
            return -ENOPROTOOPT;
        }
    } else if (level == IPPROTO_TCP && s->type == SOCK_STREAM) {
        LOCK_TCPIP_CORE();
        struct tcp_pcb *tcp = s->listening ? NULL : s->conn->pcb.tcp;
        int r = 0;
        switch (name) {
        case TCP_NODELAY: v = tcp && tcp_nagle_disabled(tcp); break;
        case TCP_MAXSEG: v = tcp ? tcp->mss : TCP_MSS; break;
        case TCP_KEEPIDLE: v = tcp ? (int)(tcp->keep_idle / 1000) : 0; break;
        case TCP_KEEPINTVL: v = tcp ? (int)(tcp->keep_intvl / 1000) : 0; break;
        case TCP_KEEPCNT: v = tcp ? (int)tcp->keep_cnt : 0; break;
        default: r = -ENOPROTOOPT;
        }
        UNLOCK_TCPIP_CORE();
        if (r)
            return r;
    } else if (level == IPPROTO_IP) {
        LOCK_TCPIP_CORE();
        struct ip_pcb *ip = s->conn->pcb.ip;
        v = !ip ? 0 : name == IP_TOS ? ip->tos : ip->ttl;
        UNLOCK_TCPIP_CORE();
        if (name != IP_TOS && name != IP_TTL)
            return -ENOPROTOOPT;
    } else
        return -ENOPROTOOPT;
    *len = *len < sizeof(v) ? *len : sizeof(v);
    memcpy(val, &v, *len);
    return 0;
}
