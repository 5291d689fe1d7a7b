/*
 * socket_io.c: a socket's bytes (socket.h's socket_send and socket_recv).
 *
 * A TCP read takes a pbuf from the netconn and copies from it straight
 * into the user's buffers; what does not fit is kept for the next read.
 * A write copies up to STAGE bytes from the user into a kernel buffer and
 * hands them to lwIP (NETCONN_COPY), because lwIP copies under the core
 * lock, where a fault on a user address must not happen. A UDP read or
 * write is one datagram. Every operation tries without blocking and, if
 * it would, waits for the next change (sock_wait_change), see socket.c.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwip/api.h"

#include "errno.h"
#include "fd.h"
#include "heap.h"
#include "poll.h"
#include "signal.h"
#include "socket.h"
#include "socket_priv.h"
#include "uaccess.h"

#define STAGE 16384                 /* bytes of a write copied in at a time */
#define UDP_MAX 65507               /* the largest IPv4 UDP payload */

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

/* The peer's FIN or an error is recorded for the read that reaches it. */
bool sock_take_segment(struct socket *s)
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
        s->rx_err = e == ERR_RST || e == ERR_ABRT ? -ECONNRESET : sock_errno(e);
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
        if (s->rx_pbuf == NULL && !sock_take_segment(s))
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
            return sock_errno(e);
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
    uint64_t deadline = sock_deadline(s->rcv_timeout_ms);
    for (;;) {
        uint64_t seen = poll_generation();
        long r;
        if (s->type == SOCK_STREAM) {
            mutex_lock(&s->lock);
            r = sock_connect_result(s);
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
        int w = sock_wait_change(seen, deadline);
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
    return sock_errno(e);
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
    uint64_t deadline = sock_deadline(s->snd_timeout_ms);
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
            long c = sock_connect_result(s);
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
            int r = sock_wait_change(seen, deadline);
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
        r = sock_errno(netbuf_ref(nb, buf, (u16_t)total));
    if (r == 0) {
        ip_addr_t ip;
        if (to)
            sock_set_ip(&ip, to);
        err_t e = to ? netconn_sendto(s->conn, nb, &ip, to->port) : netconn_send(s->conn, nb);
        r = e == ERR_OK ? (long)total : sock_errno(e);
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
