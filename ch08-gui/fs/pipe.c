/*
 * pipe.c: pipes (pipe2) and event counters (eventfd2): the two kernel
 * objects Go's runtime makes at start, to wake its network poller.
 *
 * A pipe is a ring of PIPE_SIZE bytes between a read end and a write end,
 * two open files sharing one struct pipe. A read waits while the ring is
 * empty and a writer is left (none left: end of file); a write waits
 * while it is full and a reader is left (none left: EPIPE, and SIGPIPE
 * for the writer). A write of PIPE_BUF bytes or fewer goes in whole or
 * not at all, so writers sharing a pipe never mix their records. O_NONBLOCK
 * turns each wait into EAGAIN; a signal ends it (signal.h). Bytes cross
 * through a kernel buffer, so no user copy happens under the lock.
 *
 * An eventfd is a 64-bit counter: a write adds to it, a read takes it all
 * (or 1, with EFD_SEMAPHORE) and waits while it is 0.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errno.h"
#include "fd.h"
#include "heap.h"
#include "pipe.h"
#include "poll.h"
#include "signal.h"
#include "spinlock.h"
#include "string.h"
#include "thread.h"
#include "uaccess.h"
#include "vfs.h"
#include "wait.h"

#define PIPE_SIZE 65536         /* Linux's default capacity */
#define PIPE_BUF 4096           /* writes up to this size are atomic (POSIX, limits.h) */
#define CHUNK 512               /* a small transfer's buffer, on the kernel stack */
#define STAGE_SIZE 16384        /* a larger one's, from the heap */
#define EFD_SEMAPHORE 1
#define EVENTFD_MAX 0xFFFFFFFFFFFFFFFEull

struct pipe {
    struct spinlock lock;
    struct wait_queue wq;       /* readers and writers waiting for a change */
    uint8_t *ring;
    size_t head, len;
    int readers, writers;       /* open ends */
    uint64_t version;           /* bumped at each change, for epoll */
};

static void changed(struct pipe *p)
{
    p->version++;
    wait_wake_all(&p->wq);
    poll_notify();
}

static const struct wait_reason pipe_read_why = { WAIT_DEVICE, "read", "pipe", "data", NULL };
static const struct wait_reason pipe_write_why = { WAIT_DEVICE, "write", "pipe", "room", NULL };

/* A kernel buffer for up to n bytes of a read or write: the caller's
 * small one for small transfers, else up to STAGE_SIZE from the heap (one
 * lock hold and one wakeup move that much). NULL without memory. */
static char *stage_buffer(size_t n, char *small, size_t *size)
{
    if (n <= CHUNK) {
        *size = CHUNK;
        return small;
    }
    *size = n < STAGE_SIZE ? n : STAGE_SIZE;
    return kmalloc(*size);
}

/* Copy k bytes out of the ring's start / onto its end, in at most two
 * pieces (the ring wraps). p->lock held. */
static void take_bytes(struct pipe *p, char *to, size_t k)
{
    size_t first = PIPE_SIZE - p->head < k ? PIPE_SIZE - p->head : k;
    memcpy(to, p->ring + p->head, first);
    memcpy(to + first, p->ring, k - first);
    p->head = (p->head + k) % PIPE_SIZE;
    p->len -= k;
}

static long pipe_read(struct file *f, char *ubuf, size_t n)
{
    struct pipe *p = f->priv;
    char small[CHUNK];
    if (n == 0)
        return 0;
    size_t size;
    char *buf = stage_buffer(n, small, &size);
    if (buf == NULL)
        return -ENOMEM;
    long ret = 0;
    spin_lock(&p->lock);
    while (p->len == 0 && p->writers > 0 && ret == 0) {
        if (f->flags & O_NONBLOCK)
            ret = -EAGAIN;
        else if (wait_sleep_intr(&p->wq, &p->lock, &pipe_read_why) == -EINTR)
            ret = -ERESTARTSYS;
    }
    size_t k = 0;
    if (ret == 0) {
        k = n < p->len ? n : p->len;
        if (k > size)
            k = size;
        take_bytes(p, buf, k);
        if (k > 0)
            changed(p);
    }
    spin_unlock(&p->lock);
    if (ret == 0)
        ret = copy_to_user(ubuf, buf, k) ? -EFAULT : (long)k;
    if (buf != small)
        kfree(buf);
    return ret;
}

/* Wait, p->lock held, until the ring has room for need bytes or no
 * reader is left: 0, or -EAGAIN (O_NONBLOCK), -EPIPE (and SIGPIPE for
 * the writer), -ERESTARTSYS (a signal), each with p->lock let go. */
static long wait_for_room(struct file *f, struct pipe *p, size_t need)
{
    while (PIPE_SIZE - p->len < need && p->readers > 0) {
        if (f->flags & O_NONBLOCK) {
            spin_unlock(&p->lock);
            return -EAGAIN;
        }
        if (wait_sleep_intr(&p->wq, &p->lock, &pipe_write_why) == -EINTR) {
            spin_unlock(&p->lock);
            return -ERESTARTSYS;
        }
    }
    if (p->readers == 0) {
        spin_unlock(&p->lock);
        signal_self(SIGPIPE);
        return -EPIPE;
    }
    return 0;
}

static void put_bytes(struct pipe *p, const char *from, size_t k)
{
    size_t tail = (p->head + p->len) % PIPE_SIZE;
    size_t first = PIPE_SIZE - tail < k ? PIPE_SIZE - tail : k;
    memcpy(p->ring + tail, from, first);
    memcpy(p->ring, from + first, k - first);
    p->len += k;
    changed(p);
}

/* A write of at most PIPE_BUF bytes goes in whole, never mixed with
 * another writer's (POSIX): it waits for room for all of it at once.
 * Larger ones go in as room frees up, a staging buffer at a time. */
static long pipe_write(struct file *f, const char *ubuf, size_t n)
{
    struct pipe *p = f->priv;
    char small[CHUNK];
    size_t size;
    char *buf = stage_buffer(n, small, &size);
    if (buf == NULL)
        return -ENOMEM;
    size_t done = 0;
    long err = 0;
    while (done < n && err == 0) {
        size_t k = n - done < size ? n - done : size;
        if (copy_from_user(buf, ubuf + done, k)) {
            err = -EFAULT;
            break;
        }
        for (size_t put = 0; put < k && err == 0;) {
            spin_lock(&p->lock);
            err = wait_for_room(f, p, n <= PIPE_BUF ? n : 1);
            if (err)
                break;          /* wait_for_room let go of the lock */
            size_t room = PIPE_SIZE - p->len, m = k - put < room ? k - put : room;
            put_bytes(p, buf + put, m);
            spin_unlock(&p->lock);
            put += m;
            done += m;
        }
    }
    if (buf != small)
        kfree(buf);
    return done ? (long)done : err;
}

static unsigned pipe_poll(struct file *f, uint64_t *version)
{
    struct pipe *p = f->priv;
    spin_lock(&p->lock);
    unsigned mask = 0;
    bool reader = (f->flags & O_ACCMODE) == O_RDONLY;
    if (reader) {
        if (p->len > 0)
            mask |= POLLIN;
        if (p->writers == 0)
            mask |= POLLHUP;
    } else {
        if (p->len < PIPE_SIZE)
            mask |= POLLOUT;
        if (p->readers == 0)
            mask |= POLLERR;
    }
    *version = p->version;
    spin_unlock(&p->lock);
    return mask;
}

static void pipe_release(struct file *f)
{
    struct pipe *p = f->priv;
    spin_lock(&p->lock);
    if ((f->flags & O_ACCMODE) == O_RDONLY)
        p->readers--;
    else
        p->writers--;
    bool last = p->readers == 0 && p->writers == 0;
    if (!last)
        changed(p);
    spin_unlock(&p->lock);
    if (last) {
        kfree(p->ring);
        kfree(p);
    }
}

static const struct file_ops pipe_ops = {
    .read = pipe_read, .write = pipe_write, .poll = pipe_poll, .release = pipe_release,
};

/* An open file for one end of a new object, sharing ino. */
static int open_end(struct inode *ino, const struct file_ops *ops, unsigned flags, void *priv,
                    struct file **out)
{
    inode_get(ino);
    int err = file_open_inode(ino, flags, out);
    if (err) {
        inode_put(ino);
        return err;
    }
    (*out)->ops = ops;
    (*out)->priv = priv;
    return 0;
}

int pipe_create(unsigned flags, struct file **read_end, struct file **write_end)
{
    struct pipe *p = kmalloc(sizeof(*p));
    uint8_t *ring = kmalloc(PIPE_SIZE);
    struct inode *ino = inode_new(S_IFIFO | 0600);
    if (p == NULL || ring == NULL || ino == NULL) {
        kfree(p);
        kfree(ring);
        if (ino)
            inode_put(ino);
        return -ENOMEM;
    }
    memset(p, 0, sizeof(*p));
    p->lock = (struct spinlock)SPINLOCK_INIT("pipe");
    p->ring = ring;
    p->readers = p->writers = 1;
    unsigned keep = flags & O_NONBLOCK;
    int err = open_end(ino, &pipe_ops, O_RDONLY | keep, p, read_end);
    if (err == 0) {
        err = open_end(ino, &pipe_ops, O_WRONLY | keep, p, write_end);
        if (err) {
            p->writers = 0;     /* the read end's release frees p */
            file_put(*read_end);
        }
    } else {
        kfree(ring);
        kfree(p);
    }
    inode_put(ino);
    return err;
}

struct eventfd {
    struct spinlock lock;
    struct wait_queue wq;
    uint64_t count;
    bool semaphore;
    uint64_t version;
};

static const struct wait_reason eventfd_why = { WAIT_DEVICE, "read", "eventfd", "count", NULL };

static long eventfd_read(struct file *f, char *ubuf, size_t n)
{
    struct eventfd *e = f->priv;
    if (n < sizeof(uint64_t))
        return -EINVAL;
    spin_lock(&e->lock);
    while (e->count == 0) {
        if (f->flags & O_NONBLOCK) {
            spin_unlock(&e->lock);
            return -EAGAIN;
        }
        if (wait_sleep_intr(&e->wq, &e->lock, &eventfd_why) == -EINTR) {
            spin_unlock(&e->lock);
            return -ERESTARTSYS;
        }
    }
    uint64_t value = e->semaphore ? 1 : e->count;
    e->count -= value;
    e->version++;
    wait_wake_all(&e->wq);
    spin_unlock(&e->lock);
    poll_notify();
    return copy_to_user(ubuf, &value, sizeof(value)) ? -EFAULT : (long)sizeof(value);
}

static long eventfd_write(struct file *f, const char *ubuf, size_t n)
{
    struct eventfd *e = f->priv;
    uint64_t value;
    if (n < sizeof(value))
        return -EINVAL;
    if (copy_from_user(&value, ubuf, sizeof(value)))
        return -EFAULT;
    if (value > EVENTFD_MAX)
        return -EINVAL;
    spin_lock(&e->lock);
    if (EVENTFD_MAX - e->count < value) {
        spin_unlock(&e->lock);
        return -EAGAIN;         /* no wait for the counter to drop: EAGAIN */
    }
    e->count += value;
    e->version++;
    wait_wake_all(&e->wq);
    spin_unlock(&e->lock);
    poll_notify();
    return sizeof(value);
}

static unsigned eventfd_poll(struct file *f, uint64_t *version)
{
    struct eventfd *e = f->priv;
    spin_lock(&e->lock);
    unsigned mask = (e->count > 0 ? POLLIN : 0) | (e->count < EVENTFD_MAX ? POLLOUT : 0);
    *version = e->version;
    spin_unlock(&e->lock);
    return mask;
}

static void eventfd_release(struct file *f)
{
    kfree(f->priv);
}

static const struct file_ops eventfd_ops = {
    .read = eventfd_read, .write = eventfd_write, .poll = eventfd_poll, .release = eventfd_release,
};

int eventfd_create(uint64_t initial, unsigned flags, struct file **out)
{
    struct eventfd *e = kmalloc(sizeof(*e));
    struct inode *ino = inode_new(S_IFREG | 0600);
    if (e == NULL || ino == NULL) {
        kfree(e);
        if (ino)
            inode_put(ino);
        return -ENOMEM;
    }
    memset(e, 0, sizeof(*e));
    e->lock = (struct spinlock)SPINLOCK_INIT("eventfd");
    e->count = initial;
    e->semaphore = flags & EFD_SEMAPHORE;
    int err = open_end(ino, &eventfd_ops, O_RDWR | (flags & O_NONBLOCK), e, out);
    if (err)
        kfree(e);
    inode_put(ino);
    return err;
}
