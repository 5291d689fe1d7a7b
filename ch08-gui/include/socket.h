/*
 * socket.h: Linux's sockets for user programs, on lwIP's netconns
 * (net/socket.c; the system calls that reach them are in
 * syscall/sys_socket.c).
 *
 * A socket is an open file like a pipe: read, write, poll and epoll work
 * on it, and O_NONBLOCK (fcntl, or SOCK_NONBLOCK) turns each wait into
 * EAGAIN. TCP (SOCK_STREAM) and UDP (SOCK_DGRAM) over IPv4 (AF_INET).
 */
#ifndef CUBOS_SOCKET_H
#define CUBOS_SOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct file;

/* Linux's values (bits/socket.h, netinet/in.h). */
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_TYPE_MASK 0xf
#define SOCK_NONBLOCK 04000         /* = O_NONBLOCK */
#define SOCK_CLOEXEC 02000000       /* = O_CLOEXEC */
#define IPPROTO_IP 0
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define MSG_PEEK 0x2
#define MSG_TRUNC 0x20
#define MSG_DONTWAIT 0x40
#define MSG_WAITALL 0x100
#define MSG_NOSIGNAL 0x4000
#define MSG_MORE 0x8000
#define SHUT_RD 0
#define SHUT_WR 1
#define SHUT_RDWR 2

/* An IPv4 address and port: addr in network byte order (as in a
 * sockaddr_in, and as lwIP keeps it), port in host order. */
struct sock_addr {
    uint32_t addr;
    uint16_t port;
};

/* One buffer of a read or write: a user address and length (struct
 * iovec's layout). */
struct sock_iov {
    uint64_t base, len;
};

/* A new socket of type (SOCK_STREAM or SOCK_DGRAM) as an open file with
 * O_* flags (O_NONBLOCK). 0 and *out, or a negative errno. May sleep. */
int socket_create(int type, unsigned flags, struct file **out);

/* True if f is a socket. */
bool socket_is(const struct file *f);

/* The socket's type, SOCK_STREAM or SOCK_DGRAM. */
int socket_type(const struct file *f);

int socket_bind(struct file *f, const struct sock_addr *a);
int socket_listen(struct file *f, int backlog);
int socket_connect(struct file *f, const struct sock_addr *a);

/* The next connection of a listening socket as a new open file with
 * flags (O_NONBLOCK); its peer in *peer. May wait. */
int socket_accept(struct file *f, unsigned flags, struct file **out, struct sock_addr *peer);

/* Send the bytes of n buffers (to *to, for UDP, if not NULL): the count
 * sent, or a negative errno. MSG_DONTWAIT, MSG_NOSIGNAL, MSG_MORE. */
long socket_send(struct file *f, const struct sock_iov *iov, int n, int flags,
                 const struct sock_addr *to);

/* Receive into n buffers: the count, 0 at end of stream, or a negative
 * errno; the sender in *from if not NULL; MSG_TRUNC in *out_flags if a
 * datagram was longer than the buffers. MSG_DONTWAIT, MSG_PEEK. */
long socket_recv(struct file *f, const struct sock_iov *iov, int n, int flags,
                 struct sock_addr *from, int *out_flags);

int socket_shutdown(struct file *f, int how);

/* The local (peer false) or remote address. */
int socket_name(struct file *f, bool peer, struct sock_addr *a);

/* setsockopt / getsockopt for one int-sized (or timeval) option:
 * *len is the value's size in and out. */
int socket_setopt(struct file *f, int level, int name, const void *val, size_t len);
int socket_getopt(struct file *f, int level, int name, void *val, size_t *len);

/* Counts for /stats and netstat: sockets open now. */
unsigned socket_count(void);

/* Add the socket system calls to the table (syscall/sys_socket.c). */
void socket_syscalls_register(void);

#endif
