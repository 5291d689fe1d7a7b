/*
 * socket.c: Linux sockets on lwIP's netconns (socket.h).
 *
 * Each socket owns one netconn, always in lwIP's non-blocking mode: every
 * lwIP call returns at once (ERR_WOULDBLOCK when there is nothing to take
 * or no room), and the waiting is this file's, through poll.h's one wait
 * queue, so that a signal or a kill ends it (a netconn's own blocking
 * waits hold kills, sys_arch.c). The loop of every operation is
 *
 *     seen = poll_generation(); try the call; would block? poll_wait_until(seen)
 *
 * and the netconn's callback, which lwIP calls when data or a connection
 * arrives, when sent data is acknowledged and on an error, calls
 * poll_notify. The callback also bumps the socket's version, the count
 * epoll's edge-triggered mode compares; it finds the socket from the
 * netconn in a small hash table.
 *
 * Readiness (poll, epoll, select) is read from lwIP's own state, not
 * counted from the callbacks as lwIP's socket layer does: a mailbox with
 * something in it is readable (data, a new connection, the end of the
 * stream or an error all arrive as a mailbox message), and a connection
 * whose send buffer has room is writable. The pcb is read under the core
 * lock.
 *
 * A TCP read takes a pbuf from the netconn and copies from it straight
 * into the user's buffers; what does not fit is kept for the next read.
 * A write copies up to STAGE bytes from the user into a kernel buffer and
 * hands them to lwIP (NETCONN_COPY), because lwIP copies under the core
 * lock, where a fault on a user address must not happen.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwip/api.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcpip.h"

#include "chan.h"
#include "errno.h"
#include "fd.h"
#include "heap.h"
#include "poll.h"
#include "signal.h"
#include "socket.h"
#include "spinlock.h"
#include "string.h"
#include "uaccess.h"
#include "vfs.h"
#include "wait.h"

#define STAGE 16384                 /* bytes of a write copied in at a time */
#define UDP_MAX 65507               /* the largest IPv4 UDP payload */
#define BUCKETS 64
#define BACKLOG_MAX 255             /* lwIP keeps the backlog in a byte */

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
#define FIONREAD 0x541B
#define FIONBIO 0x5421

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

static struct spinlock table_lock = SPINLOCK_INIT("sockets");
static struct socket *table[BUCKETS];
static unsigned open_sockets;       /* atomic */

static const struct file_ops socket_ops;

static unsigned bucket(const struct netconn *conn)
{
    return (unsigned)(((uintptr_t)conn >> 6) % BUCKETS);
}

/* lwIP's callback, from the tcpip thread or a caller of lwIP: something
 * arrived, was acknowledged or went wrong on conn. */
static void conn_event(struct netconn *conn, enum netconn_evt evt, u16_t len)
{
    (void)len;
    if (evt == NETCONN_EVT_RCVMINUS || evt == NETCONN_EVT_SENDMINUS)
        return;                 /* taking data or room: nothing to wake */
    spin_lock(&table_lock);
    for (struct socket *s = table[bucket(conn)]; s; s = s->next) {
        if (s->conn == conn) {
            __atomic_add_fetch(&s->version, 1, __ATOMIC_RELEASE);
            break;
        }
    }
    spin_unlock(&table_lock);
    poll_notify();
}

static int errno_of(err_t e)
{
    switch (e) {
    case ERR_OK: return 0;
    case ERR_MEM: return -ENOMEM;
    case ERR_BUF: return -ENOBUFS;
    case ERR_TIMEOUT: return -ETIMEDOUT;
    case ERR_RTE: return -ENETUNREACH;
    case ERR_INPROGRESS: return -EINPROGRESS;
    case ERR_VAL: return -EINVAL;
    case ERR_WOULDBLOCK: return -EAGAIN;
    case ERR_USE: return -EADDRINUSE;
    case ERR_ALREADY: return -EALREADY;
    case ERR_ISCONN: return -EISCONN;
    case ERR_CONN: return -ENOTCONN;
    case ERR_IF: return -ENETDOWN;
    case ERR_ABRT: return -ECONNABORTED;
    case ERR_RST: return -ECONNRESET;
    case ERR_CLSD: return -ENOTCONN;
    case ERR_ARG: return -EINVAL;
    default: return -EIO;
    }
}

static void set_ip(ip_addr_t *ip, const struct sock_addr *a)
{
    ip_addr_set_zero(ip);
    ip4_addr_set_u32(ip_2_ip4(ip), a->addr);
}

/* When a wait with a timeout of ms (0: none) ends. */
static uint64_t deadline_of(uint32_t ms)
{
    return poll_deadline(ms ? (int64_t)ms : -1);
}

/* Sleep until something changes after seen: 0, -EAGAIN once the deadline
 * has passed (SO_RCVTIMEO's answer), -ERESTARTSYS for a signal or a kill. */
static int wait_change(uint64_t seen, uint64_t deadline)
{
    int r = poll_wait_until(seen, deadline);
    return r == -ETIMEDOUT ? -EAGAIN : r == -EINTR ? -ERESTARTSYS : 0;
}

/* -- making and ending sockets -------------------------------------------- */

static int wrap(struct netconn *conn, int type, unsigned flags, struct file **out)
{
    struct socket *s = kmalloc(sizeof(*s));
    struct inode *ino = inode_new(S_IFSOCK | 0777);
    int err = s && ino ? file_open_inode(ino, O_RDWR | (flags & O_NONBLOCK), out) : -ENOMEM;
    if (err) {
        kfree(s);
        if (ino)
            inode_put(ino);
        return err;
    }
    memset(s, 0, sizeof(*s));
    s->conn = conn;
    s->type = type;
    s->lock = (struct mutex)MUTEX_INIT("socket");
    s->rx_lock = (struct mutex)MUTEX_INIT("socket read");
    s->tx_lock = (struct mutex)MUTEX_INIT("socket write");
    s->sndbuf = TCP_SND_BUF;
    s->rcvbuf = TCP_WND;
    netconn_set_nonblocking(conn, 1);
    (*out)->ops = &socket_ops;
    (*out)->priv = s;
    spin_lock(&table_lock);
    s->next = table[bucket(conn)];
    table[bucket(conn)] = s;
    spin_unlock(&table_lock);
    __atomic_add_fetch(&open_sockets, 1, __ATOMIC_RELAXED);
    return 0;
}

int socket_create(int type, unsigned flags, struct file **out)
{
    if (type != SOCK_STREAM && type != SOCK_DGRAM)
        return -ESOCKTNOSUPPORT;
    struct netconn *conn = netconn_new_with_callback(type == SOCK_STREAM ? NETCONN_TCP : NETCONN_UDP,
                                                     conn_event);
    if (conn == NULL)
        return -ENOBUFS;
    int err = wrap(conn, type, flags, out);
    if (err)
        netconn_delete(conn);
    return err;
}

static void socket_release(struct file *f)
{
    struct socket *s = f->priv;
    spin_lock(&table_lock);
    for (struct socket **pp = &table[bucket(s->conn)]; *pp; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    }
    spin_unlock(&table_lock);
    if (s->rx_pbuf)
        pbuf_free(s->rx_pbuf);
    if (s->rx_dgram)
        netbuf_delete(s->rx_dgram);
    /* A TCP connection closes gracefully: lwIP sends what is queued,
     * then the FIN, after the descriptor is gone (as Linux does). */
    netconn_delete(s->conn);
    kfree(s);
    __atomic_sub_fetch(&open_sockets, 1, __ATOMIC_RELAXED);
}

bool socket_is(const struct file *f)
{
    return f->ops == &socket_ops;
}

int socket_type(const struct file *f)
{
    return ((const struct socket *)f->priv)->type;
}

unsigned socket_count(void)
{
    return __atomic_load_n(&open_sockets, __ATOMIC_RELAXED);
}

/* -- addresses, listening, connecting ------------------------------------- */

int socket_bind(struct file *f, const struct sock_addr *a)
{
    struct socket *s = f->priv;
    ip_addr_t ip;
    set_ip(&ip, a);
    mutex_lock(&s->lock);
    int r = s->bound ? -EINVAL : errno_of(netconn_bind(s->conn, &ip, a->port));
    if (r == -ENOTCONN || r == -EINVAL)
        r = -EINVAL;            /* bound already, or connected */
    s->bound |= r == 0;
    mutex_unlock(&s->lock);
    return r;
}

int socket_listen(struct file *f, int backlog)
{
    struct socket *s = f->priv;
    if (s->type != SOCK_STREAM)
        return -EOPNOTSUPP;
    backlog = backlog < 1 ? 1 : backlog > BACKLOG_MAX ? BACKLOG_MAX : backlog;
    mutex_lock(&s->lock);
    int r = 0;
    if (s->connected || s->connecting)
        r = -EINVAL;
    else if (!s->listening) {
        /* Linux listens on a port of its choosing if none was bound. */
        if (!s->bound)
            r = errno_of(netconn_bind(s->conn, IP_ADDR_ANY, 0));
        if (r == 0)
            r = errno_of(netconn_listen_with_backlog(s->conn, (u8_t)backlog));
        s->bound = s->listening = r == 0;
    }
    mutex_unlock(&s->lock);
    return r;
}

/* How a connect under way stands: -EINPROGRESS, 0 (connected), or the
 * error that ended it. s->lock held. */
static int connect_result(struct socket *s)
{
    if (!s->connecting)
        return s->connected ? 0 : -ENOTCONN;
    LOCK_TCPIP_CORE();
    int r = 0;
    if (s->conn->state == NETCONN_CONNECT)
        r = -EINPROGRESS;
    else if (s->conn->pcb.tcp == NULL) {
        /* A reset answered the SYN: refused; lwIP gave up: timed out. */
        err_t e = s->conn->pending_err;
        r = e == ERR_ABRT || e == ERR_TIMEOUT ? -ETIMEDOUT :
            e == ERR_RTE ? -ENETUNREACH : -ECONNREFUSED;
    }
    UNLOCK_TCPIP_CORE();
    if (r != -EINPROGRESS) {
        s->connecting = false;
        s->connected = r == 0;
        s->so_error = -r;
    }
    return r;
}

int socket_connect(struct file *f, const struct sock_addr *a)
{
    struct socket *s = f->priv;
    ip_addr_t ip;
    set_ip(&ip, a);
    mutex_lock(&s->lock);
    int r;
    if (s->type == SOCK_DGRAM) {
        r = errno_of(netconn_connect(s->conn, &ip, a->port));
        s->connected = r == 0;
        s->bound |= r == 0;
        mutex_unlock(&s->lock);
        return r;
    }
    if (s->listening || s->connected) {
        mutex_unlock(&s->lock);
        return -EISCONN;
    }
    if (s->connecting) {
        r = connect_result(s);
        mutex_unlock(&s->lock);
        return r == -EINPROGRESS ? -EALREADY : r == 0 ? -EISCONN : r;
    }
    err_t e = netconn_connect(s->conn, &ip, a->port);
    if (e != ERR_INPROGRESS && e != ERR_OK) {
        mutex_unlock(&s->lock);
        return errno_of(e);
    }
    s->connecting = s->bound = true;
    r = connect_result(s);
    mutex_unlock(&s->lock);
    if (r != -EINPROGRESS || (f->flags & O_NONBLOCK))
        return r;
    /* A blocking connect waits for the answer; a signal ends the wait
     * (EINTR, as Linux: the connect goes on, and a second call says
     * EALREADY until it is done). */
    uint64_t deadline = deadline_of(s->snd_timeout_ms);
    for (;;) {
        uint64_t seen = poll_generation();
        mutex_lock(&s->lock);
        r = connect_result(s);
        mutex_unlock(&s->lock);
        if (r != -EINPROGRESS)
            return r;
        int w = wait_change(seen, deadline);
        if (w)
            return w == -EAGAIN ? -EINPROGRESS : -EINTR;
    }
}

int socket_accept(struct file *f, unsigned flags, struct file **out, struct sock_addr *peer)
{
    struct socket *s = f->priv;
    if (s->type != SOCK_STREAM)
        return -EOPNOTSUPP;
    if (!s->listening)
        return -EINVAL;
    uint64_t deadline = deadline_of(s->rcv_timeout_ms);
    for (;;) {
        uint64_t seen = poll_generation();
        struct netconn *nc;
        err_t e = netconn_accept(s->conn, &nc);
        if (e == ERR_OK) {
            ip_addr_t ip;
            u16_t port = 0;
            if (netconn_peer(nc, &ip, &port) != ERR_OK)
                ip_addr_set_zero(&ip);
            int err = wrap(nc, SOCK_STREAM, flags, out);
            if (err) {
                netconn_delete(nc);
                return err;
            }
            struct socket *ns = (*out)->priv;
            ns->bound = ns->connected = true;
            peer->addr = ip4_addr_get_u32(ip_2_ip4(&ip));
            peer->port = port;
            return 0;
        }
        if (e == ERR_ABRT || e == ERR_RST)
            continue;           /* reset while it waited in the queue: the next one */
        if (e != ERR_WOULDBLOCK)
            return errno_of(e);
        if (f->flags & O_NONBLOCK)
            return -EAGAIN;
        int w = wait_change(seen, deadline);
        if (w)
            return w;
    }
}

int socket_shutdown(struct file *f, int how)
{
    struct socket *s = f->priv;
    if (how < SHUT_RD || how > SHUT_RDWR)
        return -EINVAL;
    mutex_lock(&s->lock);
    int r = 0;
    if (s->type != SOCK_STREAM || !s->connected)
        r = -ENOTCONN;
    else {
        bool rx = how != SHUT_WR, tx = how != SHUT_RD;
        if (tx && s->shut_wr)
            tx = false;
        if (rx || tx)
            r = errno_of(netconn_shutdown(s->conn, rx, tx));
        if (r == -ENOTCONN)
            r = 0;              /* the peer is gone already: nothing left to shut */
        s->shut_wr |= tx;
        if (rx)
            s->rx_eof = true;
    }
    mutex_unlock(&s->lock);
    return r;
}

int socket_name(struct file *f, bool peer, struct sock_addr *a)
{
    struct socket *s = f->priv;
    ip_addr_t ip;
    u16_t port = 0;
    err_t e = netconn_getaddr(s->conn, &ip, &port, !peer);
    if (e != ERR_OK) {
        if (peer)
            return -ENOTCONN;
        ip_addr_set_zero(&ip);  /* no pcb any more (reset): 0.0.0.0:0 */
        port = 0;
    }
    a->addr = ip4_addr_get_u32(ip_2_ip4(&ip));
    a->port = port;
    return 0;
}

/* -- moving bytes --------------------------------------------------------- */

/* Copy k bytes of pbuf chain p, from offset off, to the user buffers iov
 * from position at of their concatenation: 0 or -EFAULT. */
static int pbuf_to_user(struct pbuf *p, size_t off, const struct sock_iov *iov, int n,
                        size_t at, size_t k)
{
    while (p && off >= p->len) {
        off -= p->len;
        p = p->next;
    }
    int i = 0;
    while (i < n && at >= iov[i].len)
        at -= iov[i++].len;
    while (k > 0 && p && i < n) {
        size_t piece = p->len - off;
        if (piece > iov[i].len - at)
            piece = iov[i].len - at;
        if (piece > k)
            piece = k;
        if (copy_to_user((char *)(uintptr_t)iov[i].base + at, (const char *)p->payload + off, piece))
            return -EFAULT;
        k -= piece;
        off += piece;
        at += piece;
        if (off == p->len) {
            p = p->next;
            off = 0;
        }
        if (at == iov[i].len) {
            i++;
            at = 0;
        }
    }
    return 0;
}

/* Copy k bytes from position at of the user buffers into buf. */
static int user_to_buffer(char *buf, const struct sock_iov *iov, int n, size_t at, size_t k)
{
    int i = 0;
    while (i < n && at >= iov[i].len)
        at -= iov[i++].len;
    while (k > 0 && i < n) {
        size_t piece = iov[i].len - at < k ? iov[i].len - at : k;
        if (copy_from_user(buf, (const char *)(uintptr_t)iov[i].base + at, piece))
            return -EFAULT;
        buf += piece;
        k -= piece;
        i++;
        at = 0;
    }
    return 0;
}

/* Take the next segment that has come from lwIP, onto the end of the
 * one in hand: true if there was one. The peer's FIN or an error is
 * recorded for the read that reaches it. s->rx_lock held. */
static bool take_segment(struct socket *s)
{
    if (s->rx_eof || s->rx_err || s->reset)
        return false;
    struct pbuf *p;
    err_t e = netconn_recv_tcp_pbuf_flags(s->conn, &p, NETCONN_DONTBLOCK);
    if (e == ERR_WOULDBLOCK)
        return false;
    if (e == ERR_CLSD)
        s->rx_eof = true;       /* the peer's FIN */
    else if (e != ERR_OK)
        s->rx_err = e == ERR_RST || e == ERR_ABRT ? -ECONNRESET : errno_of(e);
    else if (s->rx_pbuf == NULL) {
        s->rx_pbuf = p;
        s->rx_off = 0;
    } else
        pbuf_cat(s->rx_pbuf, p);
    return e == ERR_OK;
}

/* What a TCP read may take now: bytes copied, 0 at the end of the
 * stream, -EAGAIN if nothing has come, or an error (a reset is reported
 * once; the stream then ends). s->rx_lock held. */
static long tcp_take(struct socket *s, const struct sock_iov *iov, int n, size_t total, int flags)
{
    size_t copied = 0;
    long err = -EAGAIN;
    while (copied < total) {
        if (s->rx_pbuf == NULL && !take_segment(s))
            break;
        size_t k = s->rx_pbuf->tot_len - s->rx_off;
        if (k > total - copied)
            k = total - copied;
        if (pbuf_to_user(s->rx_pbuf, s->rx_off, iov, n, copied, k)) {
            err = -EFAULT;
            break;
        }
        copied += k;
        if (flags & MSG_PEEK)
            break;
        s->rx_off += k;
        if (s->rx_off == s->rx_pbuf->tot_len) {
            pbuf_free(s->rx_pbuf);
            s->rx_pbuf = NULL;
        }
    }
    if (copied > 0 || err == -EFAULT)
        return copied > 0 ? (long)copied : err;
    if (s->rx_err) {
        err = s->rx_err;
        s->rx_err = 0;
        s->reset = true;
        return err;
    }
    return s->rx_eof || s->reset ? 0 : -EAGAIN;
}

/* A UDP read: one datagram, cut to the buffers (MSG_TRUNC says so). */
static long udp_take(struct socket *s, const struct sock_iov *iov, int n, size_t total, int flags,
                     struct sock_addr *from, int *out_flags)
{
    struct netbuf *nb = s->rx_dgram;
    if (nb == NULL) {
        err_t e = netconn_recv_udp_raw_netbuf_flags(s->conn, &nb, NETCONN_DONTBLOCK);
        if (e != ERR_OK)
            return errno_of(e);
    }
    size_t len = nb->p->tot_len, k = len < total ? len : total;
    int err = pbuf_to_user(nb->p, 0, iov, n, 0, k);
    if (from) {
        from->addr = ip4_addr_get_u32(ip_2_ip4(netbuf_fromaddr(nb)));
        from->port = netbuf_fromport(nb);
    }
    if (len > total && out_flags)
        *out_flags |= MSG_TRUNC;
    if (flags & MSG_PEEK)
        s->rx_dgram = nb;
    else {
        s->rx_dgram = NULL;
        netbuf_delete(nb);
    }
    if (err)
        return err;
    return (long)((flags & MSG_TRUNC) ? len : k);
}

static size_t iov_total(const struct sock_iov *iov, int n)
{
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += iov[i].len;
    return total;
}

long socket_recv(struct file *f, const struct sock_iov *iov, int n, int flags,
                 struct sock_addr *from, int *out_flags)
{
    struct socket *s = f->priv;
    size_t total = iov_total(iov, n);
    bool nonblock = (f->flags & O_NONBLOCK) || (flags & MSG_DONTWAIT);
    if (s->type == SOCK_STREAM) {
        if (s->listening)
            return -ENOTCONN;
        if (from) {             /* a stream's sender is its peer */
            if (socket_name(f, true, from))
                from->addr = from->port = 0;
        }
        if (total == 0)
            return 0;
    }
    uint64_t deadline = deadline_of(s->rcv_timeout_ms);
    for (;;) {
        uint64_t seen = poll_generation();
        long r;
        if (s->type == SOCK_STREAM) {
            mutex_lock(&s->lock);
            r = connect_result(s);
            mutex_unlock(&s->lock);
            if (r == 0) {
                mutex_lock(&s->rx_lock);
                r = tcp_take(s, iov, n, total, flags);
                mutex_unlock(&s->rx_lock);
            } else if (r == -EINPROGRESS)
                r = -EAGAIN;
        } else {
            mutex_lock(&s->rx_lock);
            r = udp_take(s, iov, n, total, flags, from, out_flags);
            mutex_unlock(&s->rx_lock);
        }
        if (r != -EAGAIN || nonblock)
            return r;
        int w = wait_change(seen, deadline);
        if (w)
            return w;
    }
}

/* A write's error other than "no room": a connection that has ended is a
 * broken pipe, as on Linux (SIGPIPE too, unless MSG_NOSIGNAL). */
static long send_error(struct socket *s, err_t e, int flags)
{
    if (!s->connected)
        return -ENOTCONN;
    if (e == ERR_CONN || e == ERR_CLSD || e == ERR_RST || e == ERR_ABRT) {
        if (!(flags & MSG_NOSIGNAL))
            signal_self(SIGPIPE);
        return -EPIPE;
    }
    return errno_of(e);
}

static long tcp_send(struct file *f, struct socket *s, const struct sock_iov *iov, int n,
                     size_t total, int flags)
{
    if (total == 0)
        return 0;
    bool nonblock = (f->flags & O_NONBLOCK) || (flags & MSG_DONTWAIT);
    char *buf = kmalloc(total < STAGE ? total : STAGE);
    if (buf == NULL)
        return -ENOMEM;
    uint64_t deadline = deadline_of(s->snd_timeout_ms);
    mutex_lock(&s->tx_lock);
    size_t sent = 0;
    long err = 0;
    while (sent < total && err == 0) {
        size_t k = total - sent < STAGE ? total - sent : STAGE;
        if (user_to_buffer(buf, iov, n, sent, k)) {
            err = -EFAULT;
            break;
        }
        u8_t more = (flags & MSG_MORE) || sent + k < total ? NETCONN_MORE : 0;
        size_t done = 0;
        while (done < k) {
            uint64_t seen = poll_generation();
            mutex_lock(&s->lock);
            long c = connect_result(s);
            mutex_unlock(&s->lock);
            if (c != 0 && c != -EINPROGRESS) {
                err = c == -ENOTCONN ? -ENOTCONN : c;
                break;
            }
            size_t w = 0;
            err_t e = c == 0 ? netconn_write_partly(s->conn, buf + done, k - done,
                                                    NETCONN_COPY | NETCONN_DONTBLOCK | more, &w)
                             : ERR_WOULDBLOCK;
            done += w;
            if (e == ERR_OK && w > 0)
                continue;
            if (e != ERR_OK && e != ERR_WOULDBLOCK && e != ERR_MEM && e != ERR_INPROGRESS) {
                err = send_error(s, e, flags);
                break;
            }
            if (nonblock) {
                err = -EAGAIN;
                break;
            }
            int r = wait_change(seen, deadline);
            if (r) {
                err = r;
                break;
            }
        }
        sent += done;
    }
    mutex_unlock(&s->tx_lock);
    kfree(buf);
    return sent > 0 ? (long)sent : err;
}

static long udp_send(struct socket *s, const struct sock_iov *iov, int n, size_t total,
                     const struct sock_addr *to)
{
    if (total > UDP_MAX)
        return -EMSGSIZE;
    if (to == NULL && !s->connected)
        return -EDESTADDRREQ;
    char *buf = kmalloc(total ? total : 1);
    struct netbuf *nb = netbuf_new();
    long r = buf && nb ? user_to_buffer(buf, iov, n, 0, total) : -ENOMEM;
    if (r == 0)
        r = errno_of(netbuf_ref(nb, buf, (u16_t)total));
    if (r == 0) {
        ip_addr_t ip;
        if (to)
            set_ip(&ip, to);
        err_t e = to ? netconn_sendto(s->conn, nb, &ip, to->port) : netconn_send(s->conn, nb);
        r = e == ERR_OK ? (long)total : errno_of(e);
    }
    if (nb)
        netbuf_delete(nb);
    kfree(buf);
    return r;
}

long socket_send(struct file *f, const struct sock_iov *iov, int n, int flags,
                 const struct sock_addr *to)
{
    struct socket *s = f->priv;
    size_t total = iov_total(iov, n);
    if (s->type == SOCK_DGRAM)
        return udp_send(s, iov, n, total, to);
    if (s->listening)
        return -ENOTCONN;
    return tcp_send(f, s, iov, n, total, flags);  /* a stream ignores to, as Linux does */
}

/* -- the open file -------------------------------------------------------- */

static long socket_read(struct file *f, char *ubuf, size_t n)
{
    struct sock_iov v = { (uintptr_t)ubuf, n };
    return socket_recv(f, &v, 1, 0, NULL, NULL);
}

static long socket_write(struct file *f, const char *ubuf, size_t n)
{
    struct sock_iov v = { (uintptr_t)ubuf, n };
    return socket_send(f, &v, 1, 0, NULL);
}

static size_t mbox_len(sys_mbox_t *m)
{
    return sys_mbox_valid(m) ? chan_len(*m) : 0;
}

static unsigned socket_poll(struct file *f, uint64_t *version)
{
    struct socket *s = f->priv;
    struct netconn *c = s->conn;
    *version = __atomic_load_n(&s->version, __ATOMIC_ACQUIRE);
    if (s->type == SOCK_DGRAM)
        return POLLOUT | (s->rx_dgram || mbox_len(&c->recvmbox) ? POLLIN : 0);
    unsigned mask = 0;
    LOCK_TCPIP_CORE();
    struct tcp_pcb *pcb = c->pcb.tcp;
    if (s->listening) {
        if (mbox_len(&c->acceptmbox))
            mask |= POLLIN;
    } else if (c->state == NETCONN_CONNECT) {
        /* nothing until the connect is answered */
    } else if (!s->connected && !s->connecting) {
        mask |= POLLOUT | POLLHUP;      /* never connected: as Linux says it */
    } else {
        if (s->rx_pbuf || s->rx_eof || s->rx_err || s->reset || mbox_len(&c->recvmbox))
            mask |= POLLIN;
        if (pcb == NULL) {
            /* Reset, failed or fully closed: reads and writes end at once. */
            mask |= POLLIN | POLLOUT | POLLHUP | (c->pending_err != ERR_OK ? POLLERR : 0);
        } else {
            if (s->shut_wr || ((pcb->state == ESTABLISHED || pcb->state == CLOSE_WAIT) &&
                               tcp_sndbuf(pcb) > TCP_SNDLOWAT &&
                               tcp_sndqueuelen(pcb) < TCP_SNDQUEUELOWAT))
                mask |= POLLOUT;
            if (pcb->state == CLOSE_WAIT || pcb->state == LAST_ACK || pcb->state == CLOSING ||
                pcb->state == TIME_WAIT)
                mask |= POLLIN | POLLRDHUP;     /* the peer's FIN has come */
            if (s->rx_eof && s->shut_wr)
                mask |= POLLHUP;
        }
    }
    UNLOCK_TCPIP_CORE();
    return mask;
}

static long socket_ioctl(struct file *f, unsigned long cmd, unsigned long arg)
{
    struct socket *s = f->priv;
    int v;
    switch (cmd) {
    case FIONBIO:
        if (copy_from_user(&v, (const void *)arg, sizeof(v)))
            return -EFAULT;
        if (v)
            f->flags |= O_NONBLOCK;
        else
            f->flags &= ~(unsigned)O_NONBLOCK;
        return 0;
    case FIONREAD:
        /* What a read would take now without waiting: the segments that
         * have come are taken from lwIP and chained onto the one in hand (up to a
         * pbuf chain's 64 KiB), then counted. */
        mutex_lock(&s->rx_lock);
        /* (A message from lwIP is at most a window: the chain stays
         * under the 64 KiB a pbuf chain can count.) */
        while (s->type == SOCK_STREAM && s->connected &&
               (s->rx_pbuf == NULL || s->rx_pbuf->tot_len <= 0xFFFF - TCP_WND) && take_segment(s))
            ;
        v = s->rx_pbuf ? (int)(s->rx_pbuf->tot_len - s->rx_off) :
            s->rx_dgram ? s->rx_dgram->p->tot_len : 0;
        mutex_unlock(&s->rx_lock);
        return copy_to_user((void *)arg, &v, sizeof(v)) ? -EFAULT : 0;
    default:
        return -ENOTTY;
    }
}

static const struct file_ops socket_ops = {
    .read = socket_read, .write = socket_write, .ioctl = socket_ioctl, .poll = socket_poll,
    .release = socket_release,
};

/* -- options -------------------------------------------------------------- */

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
                connect_result(s);
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
