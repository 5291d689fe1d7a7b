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

/* The signal mask argument waits for part 2's signals. */
SYS(epoll_pwait)
{
    SYS_UNUSED;
    return wait_epoll(a0, a1, a2, (int)a3);
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
    uint64_t deadline = poll_deadline(timeout_ms);
    long ready;
    for (;;) {
        uint64_t seen = poll_generation();
        ready = 0;
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
        if (ready > 0 || poll_wait_until(seen, deadline) == -ETIMEDOUT)
            break;
    }
    if (copy_to_user((void *)ufds, fds, size))
        ready = -EFAULT;
    kfree(fds);
    return ready;
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
    return do_poll(a0, a1, timeout_ms);
}
