/* epoll.h: epoll instances (fs/epoll.c). */
#ifndef CUBOS_EPOLL_H
#define CUBOS_EPOLL_H

#include <stdbool.h>
#include <stdint.h>

struct file;

#define EPOLL_CTL_ADD 1
#define EPOLL_CTL_DEL 2
#define EPOLL_CTL_MOD 3

/* struct epoll_event as x86-64 Linux lays it out: packed, 12 bytes. */
struct epoll_event_k {
    uint32_t events;
    uint64_t data;
} __attribute__((packed));

/* A new epoll instance as an open file. 0 or -ENOMEM. */
int epoll_create(struct file **out);

/* True if f is an epoll instance. */
bool epoll_is(struct file *f);

/* epoll_ctl on instance epf: op on descriptor fd, open as target. */
int epoll_control(struct file *epf, int op, int fd, struct file *target, uint32_t events, uint64_t data);

/* epoll_wait: up to max events into the user array uevents, waiting at
 * most timeout_ms (negative: forever). The count, or a negative errno.
 * May sleep. */
long epoll_wait_events(struct file *epf, void *uevents, int max, int64_t timeout_ms);

#endif
