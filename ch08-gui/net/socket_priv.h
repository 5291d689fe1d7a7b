/*
 * socket_priv.h: what the three files of the socket layer share: the
 * socket itself and the helpers around lwIP's calls. net/socket.c makes
 * sockets, connects them and says how ready they are; net/socket_io.c
 * moves their bytes; net/sockopt.c sets and reads their options.
 */
#ifndef CUBOS_NET_SOCKET_PRIV_H
#define CUBOS_NET_SOCKET_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "lwip/api.h"

#include "socket.h"
#include "wait.h"

struct socket {
    struct netconn *conn;
    int type;                   /* SOCK_STREAM or SOCK_DGRAM */
    struct socket *next;        /* in its bucket of the table */
    uint64_t version;           /* atomic: lwIP's events so far */
    struct mutex lock;          /* state: bind, listen, connect, shutdown, options */
    struct mutex rx_lock;       /* one reader at a time takes from rx_* */
    struct mutex tx_lock;       /* one writer at a time: its bytes stay together */
    struct pbuf *rx_pbuf;       /* TCP: a segment partly read */
    size_t rx_off;              /* how much of it was */
    struct netbuf *rx_dgram;    /* UDP: a datagram peeked at (MSG_PEEK) */
    bool rx_eof;                /* the peer's FIN was read (or SHUT_RD) */
    int rx_err;                 /* an error taken from lwIP, for the next read */
    bool reset;                 /* that error was reported: reads now end */
    bool bound, listening, connecting, connected, shut_wr;
    int so_error;               /* a failed connect's error, for SO_ERROR */
    uint32_t rcv_timeout_ms, snd_timeout_ms;   /* 0: none */
    int sndbuf, rcvbuf;         /* as set, for getsockopt (lwIP's are fixed) */
    int linger[2];              /* SO_LINGER's struct linger, kept and reported */
};

/* lwIP's error as a negative errno. */
int sock_errno(err_t e);

/* An lwIP address from a socket address. */
void sock_set_ip(ip_addr_t *ip, const struct sock_addr *a);

/* When a wait with a timeout of ms (0: none) ends. */
uint64_t sock_deadline(uint32_t ms);

/* Sleep until something changes after seen: 0, -EAGAIN once the deadline
 * has passed (SO_RCVTIMEO's answer), -ERESTARTSYS for a signal or a kill. */
int sock_wait_change(uint64_t seen, uint64_t deadline);

/* How a connect under way stands: -EINPROGRESS, 0 (connected), or the
 * error that ended it. s->lock held. */
int sock_connect_result(struct socket *s);

/* Take the next TCP segment that has come onto the one in hand: true if
 * there was one (socket_io.c). s->rx_lock held. */
bool sock_take_segment(struct socket *s);

#endif
