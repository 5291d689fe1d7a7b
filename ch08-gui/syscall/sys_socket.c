/*
 * sys_socket.c: the socket system calls (ch07): their arguments, read
 * from and written to the program (sockaddr_in, msghdr, option values),
 * around net/socket.c's operations. They are registered when the network
 * starts (net_init), as a driver would add its calls; IPv4 only: an
 * AF_INET6 socket is EAFNOSUPPORT, which Go and busybox take to mean "no
 * IPv6 here".
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errno.h"
#include "fd.h"
#include "heap.h"
#include "kprintf.h"
#include "process.h"
#include "socket.h"
#include "string.h"
#include "sys.h"
#include "syscall.h"
#include "uaccess.h"

#define IOV_MAX 1024
#define OPT_MAX 64                  /* the largest option value copied */

/* struct sockaddr_in: family, port and address in network byte order. */
struct sockaddr_in_k {
    uint16_t family;
    uint16_t port;
    uint32_t addr;
    uint8_t zero[8];
};

/* struct msghdr as x86-64 Linux lays it out. */
struct msghdr_k {
    uint64_t name;
    uint32_t namelen, pad0;
    uint64_t iov;
    uint64_t iovlen;
    uint64_t control;
    uint64_t controllen;
    int32_t flags, pad1;
};

static uint16_t swap16(uint16_t v)
{
    return (uint16_t)(v << 8 | v >> 8);
}

/* The socket open at fd, referenced, or NULL and *err. */
static struct file *get_socket(uint64_t fd, long *err)
{
    struct file *f = fd_get(process_files(), (int)fd);
    if (f == NULL)
        *err = -EBADF;
    else if (!socket_is(f)) {
        file_put(f);
        f = NULL;
        *err = -ENOTSOCK;
    }
    return f;
}

static int addr_from_user(uint64_t uaddr, uint64_t len, struct sock_addr *a)
{
    struct sockaddr_in_k sin;
    if (len < sizeof(sin) || len > 128)
        return -EINVAL;
    if (copy_from_user(&sin, (const void *)uaddr, sizeof(sin)))
        return -EFAULT;
    if (sin.family != AF_INET)
        return -EAFNOSUPPORT;
    a->addr = sin.addr;
    a->port = swap16(sin.port);
    return 0;
}

/* Write a to the program's (addr, *ulen), cut to the room it gives, and
 * the full length to *ulen, as Linux does. Nothing if uaddr is NULL. */
static int addr_to_user(const struct sock_addr *a, uint64_t uaddr, uint64_t ulen)
{
    if (uaddr == 0)
        return 0;
    int32_t room;
    if (copy_from_user(&room, (const void *)ulen, sizeof(room)))
        return -EFAULT;
    if (room < 0)
        return -EINVAL;
    struct sockaddr_in_k sin = { AF_INET, swap16(a->port), a->addr, { 0 } };
    int32_t full = sizeof(sin);
    if (copy_to_user((void *)uaddr, &sin, (size_t)(room < full ? room : full)) ||
        copy_to_user((void *)ulen, &full, sizeof(full)))
        return -EFAULT;
    return 0;
}

SYS(socket)
{
    SYS_UNUSED;
    int domain = (int)a0, type = (int)(a1 & SOCK_TYPE_MASK), protocol = (int)a2;
    unsigned flags = (unsigned)a1 & ~(unsigned)SOCK_TYPE_MASK;
    if (domain != AF_INET)
        return -EAFNOSUPPORT;
    if (flags & ~(unsigned)(SOCK_NONBLOCK | SOCK_CLOEXEC))
        return -EINVAL;
    if (type != SOCK_STREAM && type != SOCK_DGRAM)
        return -ESOCKTNOSUPPORT;
    if (protocol != 0 && protocol != (type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP))
        return -EPROTONOSUPPORT;
    struct file *f;
    int err = socket_create(type, flags & O_NONBLOCK, &f);
    if (err)
        return err;
    int fd = fd_install(process_files(), f, 0, flags & SOCK_CLOEXEC);
    if (fd < 0)
        file_put(f);
    return fd;
}

SYS(bind)
{
    SYS_UNUSED;
    long err;
    struct file *f = get_socket(a0, &err);
    if (f == NULL)
        return err;
    struct sock_addr a;
    err = addr_from_user(a1, a2, &a);
    if (err == 0)
        err = socket_bind(f, &a);
    file_put(f);
    return err;
}

SYS(listen)
{
    SYS_UNUSED;
    long err;
    struct file *f = get_socket(a0, &err);
    if (f == NULL)
        return err;
    err = socket_listen(f, (int)a1);
    file_put(f);
    return err;
}

SYS(connect)
{
    SYS_UNUSED;
    long err;
    struct file *f = get_socket(a0, &err);
    if (f == NULL)
        return err;
    struct sock_addr a;
    err = addr_from_user(a1, a2, &a);
    if (err == 0)
        err = socket_connect(f, &a);
    file_put(f);
    return err;
}

static long do_accept(uint64_t fd, uint64_t uaddr, uint64_t ulen, uint64_t flags)
{
    if (flags & ~(uint64_t)(SOCK_NONBLOCK | SOCK_CLOEXEC))
        return -EINVAL;
    int32_t room;
    if (uaddr && copy_from_user(&room, (const void *)ulen, sizeof(room)))
        return -EFAULT;         /* checked before a connection is taken */
    long err;
    struct file *f = get_socket(fd, &err);
    if (f == NULL)
        return err;
    struct file *nf;
    struct sock_addr peer;
    err = socket_accept(f, (unsigned)flags & O_NONBLOCK, &nf, &peer);
    file_put(f);
    if (err)
        return err;
    int nfd = fd_install(process_files(), nf, 0, flags & SOCK_CLOEXEC);
    if (nfd < 0) {
        file_put(nf);
        return nfd;
    }
    if (addr_to_user(&peer, uaddr, ulen))
        return -EFAULT;         /* Linux keeps the descriptor too */
    return nfd;
}

SYS(accept)
{
    SYS_UNUSED;
    return do_accept(a0, a1, a2, 0);
}

SYS(accept4)
{
    SYS_UNUSED;
    return do_accept(a0, a1, a2, a3);
}

SYS(sendto)
{
    SYS_UNUSED;
    long err;
    struct file *f = get_socket(a0, &err);
    if (f == NULL)
        return err;
    struct sock_addr to;
    err = a4 ? addr_from_user(a4, a5, &to) : 0;
    if (err == 0 && !user_range_ok(a1, a2))
        err = -EFAULT;
    if (err == 0) {
        struct sock_iov v = { a1, a2 };
        err = socket_send(f, &v, 1, (int)a3, a4 ? &to : NULL);
    }
    file_put(f);
    return err;
}

SYS(recvfrom)
{
    SYS_UNUSED;
    long err;
    struct file *f = get_socket(a0, &err);
    if (f == NULL)
        return err;
    if (!user_range_ok(a1, a2)) {
        file_put(f);
        return -EFAULT;
    }
    struct sock_iov v = { a1, a2 };
    struct sock_addr from = { 0, 0 };
    long r = socket_recv(f, &v, 1, (int)a3, &from, NULL);
    file_put(f);
    if (r >= 0 && addr_to_user(&from, a4, a5))
        return -EFAULT;
    return r;
}

/* The buffers a msghdr names, copied in and checked: NULL and *err, or
 * an array to kfree. */
static struct sock_iov *iov_from_user(const struct msghdr_k *m, long *err)
{
    if (m->iovlen > IOV_MAX) {
        *err = -EMSGSIZE;
        return NULL;
    }
    struct sock_iov *iov = kmalloc((m->iovlen ? m->iovlen : 1) * sizeof(*iov));
    if (iov == NULL) {
        *err = -ENOMEM;
        return NULL;
    }
    *err = m->iovlen && copy_from_user(iov, (const void *)m->iov, m->iovlen * sizeof(*iov)) ? -EFAULT : 0;
    uint64_t total = 0;
    for (uint64_t i = 0; *err == 0 && i < m->iovlen; i++) {
        total += iov[i].len;
        if (iov[i].len > INT64_MAX || total > INT64_MAX || !user_range_ok(iov[i].base, iov[i].len))
            *err = iov[i].len > INT64_MAX || total > INT64_MAX ? -EINVAL : -EFAULT;
    }
    if (*err) {
        kfree(iov);
        return NULL;
    }
    return iov;
}

SYS(sendmsg)
{
    SYS_UNUSED;
    struct msghdr_k m;
    if (copy_from_user(&m, (const void *)a1, sizeof(m)))
        return -EFAULT;
    long err;
    struct file *f = get_socket(a0, &err);
    if (f == NULL)
        return err;
    struct sock_addr to;
    err = m.name ? addr_from_user(m.name, m.namelen, &to) : 0;
    struct sock_iov *iov = err ? NULL : iov_from_user(&m, &err);
    if (iov) {
        /* Control messages (SCM_RIGHTS...) are for Unix sockets: ignored. */
        err = socket_send(f, iov, (int)m.iovlen, (int)a2, m.name ? &to : NULL);
        kfree(iov);
    }
    file_put(f);
    return err;
}

SYS(recvmsg)
{
    SYS_UNUSED;
    struct msghdr_k m;
    if (copy_from_user(&m, (const void *)a1, sizeof(m)))
        return -EFAULT;
    long err;
    struct file *f = get_socket(a0, &err);
    if (f == NULL)
        return err;
    struct sock_iov *iov = iov_from_user(&m, &err);
    if (iov) {
        struct sock_addr from = { 0, 0 };
        int out_flags = 0;
        err = socket_recv(f, iov, (int)m.iovlen, (int)a2, &from, &out_flags);
        kfree(iov);
        if (err >= 0) {
            struct sockaddr_in_k sin = { AF_INET, swap16(from.port), from.addr, { 0 } };
            uint32_t room = m.namelen < sizeof(sin) ? m.namelen : (uint32_t)sizeof(sin);
            m.namelen = m.name ? (uint32_t)sizeof(sin) : 0;
            m.controllen = 0;
            m.flags = out_flags;
            if ((m.name && copy_to_user((void *)m.name, &sin, room)) ||
                copy_to_user((void *)a1, &m, sizeof(m)))
                err = -EFAULT;
        }
    }
    file_put(f);
    return err;
}

SYS(shutdown)
{
    SYS_UNUSED;
    long err;
    struct file *f = get_socket(a0, &err);
    if (f == NULL)
        return err;
    err = socket_shutdown(f, (int)a1);
    file_put(f);
    return err;
}

static long name_call(uint64_t fd, uint64_t uaddr, uint64_t ulen, bool peer)
{
    long err;
    struct file *f = get_socket(fd, &err);
    if (f == NULL)
        return err;
    struct sock_addr a;
    err = socket_name(f, peer, &a);
    file_put(f);
    if (err == 0)
        err = uaddr ? addr_to_user(&a, uaddr, ulen) : -EFAULT;
    return err;
}

SYS(getsockname)
{
    SYS_UNUSED;
    return name_call(a0, a1, a2, false);
}

SYS(getpeername)
{
    SYS_UNUSED;
    return name_call(a0, a1, a2, true);
}

SYS(setsockopt)
{
    SYS_UNUSED;
    char val[OPT_MAX];
    if (a4 > sizeof(val))
        return -EINVAL;
    if (copy_from_user(val, (const void *)a3, a4))
        return -EFAULT;
    long err;
    struct file *f = get_socket(a0, &err);
    if (f == NULL)
        return err;
    err = socket_setopt(f, (int)a1, (int)a2, val, a4);
    file_put(f);
    return err;
}

SYS(getsockopt)
{
    SYS_UNUSED;
    int32_t room;
    if (copy_from_user(&room, (const void *)a4, sizeof(room)))
        return -EFAULT;
    if (room < 0)
        return -EINVAL;
    long err;
    struct file *f = get_socket(a0, &err);
    if (f == NULL)
        return err;
    char val[OPT_MAX];
    size_t len = (size_t)room < sizeof(val) ? (size_t)room : sizeof(val);
    err = socket_getopt(f, (int)a1, (int)a2, val, &len);
    file_put(f);
    int32_t out = (int32_t)len;
    if (err == 0 && (copy_to_user((void *)a3, val, len) || copy_to_user((void *)a4, &out, sizeof(out))))
        err = -EFAULT;
    return err;
}

void socket_syscalls_register(void)
{
    static const struct { unsigned nr; const char *name; syscall_fn fn; } calls[] = {
        { 41, "socket", sys_socket }, { 42, "connect", sys_connect },
        { 43, "accept", sys_accept }, { 44, "sendto", sys_sendto },
        { 45, "recvfrom", sys_recvfrom }, { 46, "sendmsg", sys_sendmsg },
        { 47, "recvmsg", sys_recvmsg }, { 48, "shutdown", sys_shutdown },
        { 49, "bind", sys_bind }, { 50, "listen", sys_listen },
        { 51, "getsockname", sys_getsockname }, { 52, "getpeername", sys_getpeername },
        { 54, "setsockopt", sys_setsockopt }, { 55, "getsockopt", sys_getsockopt },
        { 288, "accept4", sys_accept4 },
    };
    for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
        int err = syscall_register(calls[i].nr, calls[i].name, calls[i].fn);
        if (err)
            kprintf("net: system call %u (%s) not registered: %d\n", calls[i].nr, calls[i].name, err);
    }
}
