/*
 * epoll.c: epoll instances: a set of (descriptor, events, data) entries
 * that epoll_wait checks, level- or edge-triggered.
 *
 * An entry keeps its own reference to the open file. Level-triggered, an
 * entry is reported while its file is ready; edge-triggered (EPOLLET, as
 * Go's poller asks), only when the file's state changed since it was last
 * reported (file_poll's version), so a pipe that stays writable is
 * reported once, not at every wait.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "epoll.h"
#include "errno.h"
#include "fd.h"
#include "heap.h"
#include "poll.h"
#include "string.h"
#include "uaccess.h"
#include "vfs.h"
#include "wait.h"

#define EPOLLONESHOT (1u << 30)
#define EPOLLET (1u << 31)
#define EPOLL_ALWAYS (POLLERR | POLLHUP)   /* reported whether asked or not */
#define EPOLL_MAX_EVENTS 1024

struct epoll_item {
    int fd;
    struct file *file;
    uint32_t events;
    uint64_t data;
    unsigned last_mask;         /* edge-triggered: what was last reported */
    uint64_t last_version;
    struct epoll_item *next;
};

struct epoll {
    struct mutex lock;
    struct epoll_item *items;
};

static void epoll_release(struct file *f)
{
    struct epoll *ep = f->priv;
    for (struct epoll_item *it = ep->items, *next; it; it = next) {
        next = it->next;
        file_put(it->file);
        kfree(it);
    }
    kfree(ep);
}

static const struct file_ops epoll_ops = { .release = epoll_release };

int epoll_create(struct file **out)
{
    struct epoll *ep = kmalloc(sizeof(*ep));
    struct inode *ino = inode_new(S_IFREG | 0600);
    if (ep == NULL || ino == NULL) {
        kfree(ep);
        if (ino)
            inode_put(ino);
        return -ENOMEM;
    }
    ep->lock = (struct mutex)MUTEX_INIT("epoll");
    ep->items = NULL;
    int err = file_open_inode(ino, O_RDWR, out);
    if (err) {
        kfree(ep);
        inode_put(ino);
        return err;
    }
    (*out)->ops = &epoll_ops;
    (*out)->priv = ep;
    return 0;
}

bool epoll_is(struct file *f)
{
    return f->ops == &epoll_ops;
}

int epoll_control(struct file *epf, int op, int fd, struct file *target, uint32_t events, uint64_t data)
{
    struct epoll *ep = epf->priv;
    if (target == epf || epoll_is(target))
        return -EINVAL;         /* no epoll in an epoll: no loops to check */
    mutex_lock(&ep->lock);
    struct epoll_item **pp = &ep->items;
    while (*pp && !((*pp)->fd == fd && (*pp)->file == target))
        pp = &(*pp)->next;
    int err = 0;
    if (op == EPOLL_CTL_ADD) {
        struct epoll_item *it = *pp ? NULL : kmalloc(sizeof(*it));
        if (*pp)
            err = -EEXIST;
        else if (it == NULL)
            err = -ENOMEM;
        else {
            file_get(target);
            *it = (struct epoll_item){ fd, target, events, data, 0, UINT64_MAX, ep->items };
            ep->items = it;
        }
    } else if (*pp == NULL) {
        err = -ENOENT;
    } else if (op == EPOLL_CTL_DEL) {
        struct epoll_item *it = *pp;
        *pp = it->next;
        file_put(it->file);
        kfree(it);
    } else if (op == EPOLL_CTL_MOD) {
        (*pp)->events = events;
        (*pp)->data = data;
        (*pp)->last_mask = 0;
        (*pp)->last_version = UINT64_MAX;
    } else {
        err = -EINVAL;
    }
    mutex_unlock(&ep->lock);
    if (err == 0 && op != EPOLL_CTL_DEL)
        poll_notify();          /* a waiter may now have something to report */
    return err;
}

/* Collect ready entries into kernel events; how many. */
static int collect(struct epoll *ep, struct epoll_event_k *out, int max)
{
    int n = 0;
    mutex_lock(&ep->lock);
    for (struct epoll_item *it = ep->items; it && n < max; it = it->next) {
        uint64_t version;
        unsigned ready = file_poll(it->file, &version) & (it->events | EPOLL_ALWAYS);
        if (ready == 0)
            continue;
        if (it->events & EPOLLET) {
            if (ready == it->last_mask && version == it->last_version)
                continue;
            it->last_mask = ready;
            it->last_version = version;
        }
        if (it->events & EPOLLONESHOT)
            it->events = 0;
        out[n].events = ready;
        out[n].data = it->data;
        n++;
    }
    mutex_unlock(&ep->lock);
    return n;
}

long epoll_wait_events(struct file *epf, void *uevents, int max, int64_t timeout_ms)
{
    if (max <= 0 || max > EPOLL_MAX_EVENTS)
        return -EINVAL;
    if (!user_range_ok((uintptr_t)uevents, (size_t)max * sizeof(struct epoll_event_k)))
        return -EFAULT;
    int room = max < 64 ? max : 64;
    struct epoll_event_k *events = kmalloc(sizeof(*events) * (size_t)room);
    if (events == NULL)
        return -ENOMEM;
    uint64_t deadline = poll_deadline(timeout_ms);
    long n;
    for (;;) {
        uint64_t seen = poll_generation();
        n = collect(epf->priv, events, room);
        if (n > 0)
            break;
        int err = poll_wait_until(seen, deadline);
        if (err == -EINTR)
            n = -ERESTARTNOHAND;    /* epoll_wait is never restarted after a handler */
        if (err)
            break;
    }
    if (n > 0 && copy_to_user(uevents, events, (size_t)n * sizeof(*events)))
        n = -EFAULT;
    kfree(events);
    return n;
}
