/*
 * sys_poll.c: pipes, eventfds, epoll and poll: the calls Go's network
 * poller and event loops make.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "epoll.h"
#include "errno.h"
#include "fd.h"
#include "heap.h"
#include "pipe.h"
#include "poll.h"
#include "process.h"
#include "signal.h"
#include "string.h"
#include "sys.h"
#include "uaccess.h"

#define EFD_SEMAPHORE 1
#define POLL_MAX_FDS FD_MAX

struct pollfd_k {
    int32_t fd;
    int16_t events, revents;
};

/* Install a new open file; the descriptor, or -EMFILE (the file dropped). */
static long install(struct file *f, unsigned flags)
{
    int fd = fd_install(process_files(), f, 0, flags & O_CLOEXEC);
    if (fd < 0)
        file_put(f);
    return fd;
}

static long make_pipe(uint64_t ufds, uint64_t flags)
{
    if (flags & ~(uint64_t)(O_CLOEXEC | O_NONBLOCK))
        return -EINVAL;
    struct file *r, *w;
    int err = pipe_create((unsigned)flags, &r, &w);
    if (err)
        return err;
    int fds[2];
    fds[0] = (int)install(r, (unsigned)flags);
    if (fds[0] < 0) {
        file_put(w);
        return fds[0];
    }
    fds[1] = (int)install(w, (unsigned)flags);
    if (fds[1] < 0) {
        fd_close(process_files(), fds[0]);
        return fds[1];
    }
    if (copy_to_user((void *)ufds, fds, sizeof(fds))) {
        fd_close(process_files(), fds[0]);
        fd_close(process_files(), fds[1]);
        return -EFAULT;
    }
    return 0;
}

SYS(pipe)
{
    SYS_UNUSED;
    return make_pipe(a0, 0);
}

SYS(pipe2)
{
    SYS_UNUSED;
    return make_pipe(a0, a1);
}

static long make_eventfd(uint64_t initial, uint64_t flags)
{
    if (flags & ~(uint64_t)(O_CLOEXEC | O_NONBLOCK | EFD_SEMAPHORE))
        return -EINVAL;
    struct file *f;
    int err = eventfd_create((uint32_t)initial, (unsigned)flags, &f);
    return err ? err : install(f, (unsigned)flags);
}

SYS(eventfd)
{
    SYS_UNUSED;
    return make_eventfd(a0, 0);
}

SYS(eventfd2)
{
    SYS_UNUSED;
    return make_eventfd(a0, a1);
}

static long make_epoll(uint64_t flags)
{
    if (flags & ~(uint64_t)O_CLOEXEC)
        return -EINVAL;
    struct file *f;
    int err = epoll_create(&f);
    return err ? err : install(f, (unsigned)flags);
}

SYS(epoll_create)
{
    SYS_UNUSED;
    return (int)a0 <= 0 ? -EINVAL : make_epoll(0);
}

SYS(epoll_create1)
{
    SYS_UNUSED;
    return make_epoll(a0);
}

SYS(epoll_ctl)
{
    SYS_UNUSED;
    struct epoll_event_k ev = { 0, 0 };
    if ((int)a1 != EPOLL_CTL_DEL && copy_from_user(&ev, (const void *)a3, sizeof(ev)))
        return -EFAULT;
    struct file *ep = fd_get(process_files(), (int)a0);
    if (ep == NULL)
        return -EBADF;
    struct file *target = fd_get(process_files(), (int)a2);
    long r;
    if (target == NULL)
        r = -EBADF;
    else if (!epoll_is(ep))
        r = -EINVAL;
    else if (target->ops == NULL)
        r = -EPERM;             /* a regular file is always ready: Linux refuses it */
    else
        r = epoll_control(ep, (int)a1, (int)a2, target, ev.events, ev.data);
    if (target)
        file_put(target);
    file_put(ep);
    return r;
}

/* The temporary signal mask of ppoll, pselect6 and epoll_pwait: in force
 * while the call waits, put back on the way out (signal.c). */
static int wait_mask(uint64_t umask, uint64_t size)
{
    if (umask == 0)
        return 0;
    if (size != 8)
        return -EINVAL;
    uint64_t mask;
    if (copy_from_user(&mask, (const void *)umask, sizeof(mask)))
        return -EFAULT;
    signal_mask_while_waiting(mask);
    return 0;
}

static long wait_epoll(uint64_t epfd, uint64_t events, uint64_t max, int64_t timeout)
{
    struct file *ep = fd_get(process_files(), (int)epfd);
    if (ep == NULL)
        return -EBADF;
    long r = epoll_is(ep) ? epoll_wait_events(ep, (void *)events, (int)max, timeout) : -EINVAL;
    file_put(ep);
    return r;
}

SYS(epoll_wait)
{
    SYS_UNUSED;
    return wait_epoll(a0, a1, a2, (int)a3);
}

SYS(epoll_pwait)
{
    SYS_UNUSED;
    int err = wait_mask(a4, a5);
    if (err)
        return err;
    return wait_epoll(a0, a1, a2, (int)a3);
}

/* Fill each entry's revents until one is ready, the deadline passes or
 * a signal comes: the count ready, 0, or -ERESTARTNOHAND. */
static long poll_files(struct pollfd_k *fds, size_t nfds, int64_t timeout_ms)
{
    uint64_t deadline = poll_deadline(timeout_ms);
    for (;;) {
        uint64_t seen = poll_generation();
        long ready = 0;
        for (size_t i = 0; i < nfds; i++) {
            fds[i].revents = 0;
            if (fds[i].fd < 0)
                continue;
            struct file *f = fd_get(process_files(), fds[i].fd);
            uint64_t version;
            unsigned mask = f ? file_poll(f, &version) : POLLNVAL;
            if (f)
                file_put(f);
            fds[i].revents = (int16_t)(mask & ((unsigned)(uint16_t)fds[i].events | POLLERR | POLLHUP | POLLNVAL));
            if (fds[i].revents)
                ready++;
        }
        if (ready > 0)
            return ready;
        int err = poll_wait_until(seen, deadline);
        if (err == -ETIMEDOUT)
            return 0;
        if (err == -EINTR)
            return -ERESTARTNOHAND;
    }
}

/* poll(2) over nfds entries at ufds, timeout_ms < 0: forever. */
static long do_poll(uint64_t ufds, uint64_t nfds, int64_t timeout_ms)
{
    if (nfds > POLL_MAX_FDS)
        return -EINVAL;
    size_t size = nfds * sizeof(struct pollfd_k);
    struct pollfd_k *fds = kmalloc(size ? size : 1);
    if (fds == NULL)
        return -ENOMEM;
    if (copy_from_user(fds, (const void *)ufds, size)) {
        kfree(fds);
        return -EFAULT;
    }
    long ready = poll_files(fds, nfds, timeout_ms);
    if (ready >= 0 && copy_to_user((void *)ufds, fds, size))
        ready = -EFAULT;
    kfree(fds);
    return ready;
}

/* select(2): three bitmaps of nfds descriptors, as poll entries. */
static long do_select(int nfds, uint64_t uread, uint64_t uwrite, uint64_t uexcept, int64_t timeout_ms)
{
    if (nfds < 0 || nfds > FD_MAX)
        return -EINVAL;
    uint64_t sets[3][FD_MAX / 64];
    const uint64_t user[3] = { uread, uwrite, uexcept };
    size_t bytes = ((size_t)nfds + 63) / 64 * 8;
    memset(sets, 0, sizeof(sets));
    for (int s = 0; s < 3; s++)
        if (user[s] && copy_from_user(sets[s], (const void *)user[s], bytes))
            return -EFAULT;
    struct pollfd_k *fds = kmalloc(sizeof(*fds) * (size_t)(nfds ? nfds : 1));
    if (fds == NULL)
        return -ENOMEM;
    size_t n = 0;
    for (int fd = 0; fd < nfds; fd++) {
        uint64_t bit = 1ull << (fd % 64);
        int16_t events = (int16_t)((sets[0][fd / 64] & bit ? POLLIN : 0) |
                                   (sets[1][fd / 64] & bit ? POLLOUT : 0) |
                                   (sets[2][fd / 64] & bit ? POLLPRI : 0));
        if (events)
            fds[n++] = (struct pollfd_k){ fd, events, 0 };
    }
    long ready = poll_files(fds, n, timeout_ms);
    if (ready >= 0) {
        /* A descriptor that is not open: EBADF, as select says. */
        for (size_t i = 0; i < n; i++)
            if (fds[i].revents & POLLNVAL)
                ready = -EBADF;
    }
    if (ready >= 0) {
        memset(sets, 0, sizeof(sets));
        ready = 0;
        for (size_t i = 0; i < n; i++) {
            int fd = fds[i].fd;
            uint64_t bit = 1ull << (fd % 64);
            unsigned r = (uint16_t)fds[i].revents;
            bool in = (fds[i].events & POLLIN) && (r & (POLLIN | POLLHUP | POLLERR));
            bool out = (fds[i].events & POLLOUT) && (r & (POLLOUT | POLLERR));
            bool ex = (fds[i].events & POLLPRI) && (r & POLLPRI);
            sets[0][fd / 64] |= in ? bit : 0;
            sets[1][fd / 64] |= out ? bit : 0;
            sets[2][fd / 64] |= ex ? bit : 0;
            ready += in + out + ex;
        }
        for (int s = 0; s < 3; s++)
            if (user[s] && copy_to_user((void *)user[s], sets[s], bytes))
                ready = -EFAULT;
    }
    kfree(fds);
    return ready;
}

SYS(select)
{
    SYS_UNUSED;
    int64_t timeout_ms = -1;
    if (a4) {
        int64_t tv[2];
        if (copy_from_user(tv, (const void *)a4, sizeof(tv)))
            return -EFAULT;
        if (tv[0] < 0 || tv[1] < 0 || tv[1] >= 1000000)
            return -EINVAL;
        timeout_ms = tv[0] * 1000 + (tv[1] + 999) / 1000;
    }
    return do_select((int)a0, a1, a2, a3, timeout_ms);
}

SYS(pselect6)
{
    SYS_UNUSED;
    int64_t timeout_ms = -1;
    if (a4) {
        uint64_t ns;
        int err = timespec_from_user((const void *)a4, &ns);
        if (err)
            return err;
        timeout_ms = (int64_t)((ns + NSEC_PER_MS - 1) / NSEC_PER_MS);
    }
    if (a5) {
        /* { const sigset_t *ss; size_t ss_len; } */
        uint64_t arg[2];
        if (copy_from_user(arg, (const void *)a5, sizeof(arg)))
            return -EFAULT;
        int err = wait_mask(arg[0], arg[1]);
        if (err)
            return err;
    }
    return do_select((int)a0, a1, a2, a3, timeout_ms);
}

SYS(poll)
{
    SYS_UNUSED;
    return do_poll(a0, a1, (int)a2);
}

SYS(ppoll)
{
    SYS_UNUSED;
    int64_t timeout_ms = -1;
    if (a2) {
        uint64_t ns;
        int err = timespec_from_user((const void *)a2, &ns);
        if (err)
            return err;
        timeout_ms = (int64_t)((ns + NSEC_PER_MS - 1) / NSEC_PER_MS);
    }
    int err = wait_mask(a3, a4);
    if (err)
        return err;
    return do_poll(a0, a1, timeout_ms);
}
