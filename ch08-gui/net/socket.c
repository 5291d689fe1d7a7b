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
 * Reads and writes are in socket_io.c, options in sockopt.c.
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
#include "socket.h"
#include "socket_priv.h"
#include "spinlock.h"
#include "string.h"
#include "uaccess.h"
#include "vfs.h"

#define BUCKETS 64
#define BACKLOG_MAX 255             /* lwIP keeps the backlog in a byte */
#define FIONREAD 0x541B
#define FIONBIO 0x5421

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

int sock_errno(err_t e)
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

void sock_set_ip(ip_addr_t *ip, const struct sock_addr *a)
{
    ip_addr_set_zero(ip);
    ip4_addr_set_u32(ip_2_ip4(ip), a->addr);
}

uint64_t sock_deadline(uint32_t ms)
{
    return poll_deadline(ms ? (int64_t)ms : -1);
}

int sock_wait_change(uint64_t seen, uint64_t deadline)
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
    sock_set_ip(&ip, a);
    mutex_lock(&s->lock);
    int r = s->bound ? -EINVAL : sock_errno(netconn_bind(s->conn, &ip, a->port));
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
            r = sock_errno(netconn_bind(s->conn, IP_ADDR_ANY, 0));
        if (r == 0)
            r = sock_errno(netconn_listen_with_backlog(s->conn, (u8_t)backlog));
        s->bound = s->listening = r == 0;
    }
    mutex_unlock(&s->lock);
    return r;
}

int sock_connect_result(struct socket *s)
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
    sock_set_ip(&ip, a);
    mutex_lock(&s->lock);
    int r;
    if (s->type == SOCK_DGRAM) {
        r = sock_errno(netconn_connect(s->conn, &ip, a->port));
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
        r = sock_connect_result(s);
        mutex_unlock(&s->lock);
        return r == -EINPROGRESS ? -EALREADY : r == 0 ? -EISCONN : r;
    }
    err_t e = netconn_connect(s->conn, &ip, a->port);
    if (e != ERR_INPROGRESS && e != ERR_OK) {
        mutex_unlock(&s->lock);
        return sock_errno(e);
    }
    s->connecting = s->bound = true;
    r = sock_connect_result(s);
    mutex_unlock(&s->lock);
    if (r != -EINPROGRESS || (f->flags & O_NONBLOCK))
        return r;
    /* A blocking connect waits for the answer; a signal ends the wait
     * (EINTR, as Linux: the connect goes on, and a second call says
     * EALREADY until it is done). */
    uint64_t deadline = sock_deadline(s->snd_timeout_ms);
    for (;;) {
        uint64_t seen = poll_generation();
        mutex_lock(&s->lock);
        r = sock_connect_result(s);
        mutex_unlock(&s->lock);
        if (r != -EINPROGRESS)
            return r;
        int w = sock_wait_change(seen, deadline);
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
    uint64_t deadline = sock_deadline(s->rcv_timeout_ms);
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
            return sock_errno(e);
        if (f->flags & O_NONBLOCK)
            return -EAGAIN;
        int w = sock_wait_change(seen, deadline);
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
            r = sock_errno(netconn_shutdown(s->conn, rx, tx));
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
    /* The version and the state are read under the core lock, which the
     * tcpip thread holds from a message's post to the callback that bumps
     * the version: an epoll that saw the data also saw its version, and
     * does not report the same arrival twice. */
    LOCK_TCPIP_CORE();
    *version = __atomic_load_n(&s->version, __ATOMIC_ACQUIRE);
    if (s->type == SOCK_DGRAM) {
        bool readable = s->rx_dgram || mbox_len(&c->recvmbox);
        UNLOCK_TCPIP_CORE();
        return POLLOUT | (readable ? POLLIN : 0);
    }
    unsigned mask = 0;
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
               (s->rx_pbuf == NULL || s->rx_pbuf->tot_len <= 0xFFFF - TCP_WND) && sock_take_segment(s))
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
