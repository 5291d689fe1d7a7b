/*
 * sys_fd.c: system calls on open descriptors: reading and writing (with
 * an offset, or a vector of buffers), seeking, duplicating, their flags,
 * ioctl, truncation.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errno.h"
#include "fd.h"
#include "process.h"
#include "string.h"
#include "sys.h"
#include "uaccess.h"
#include "vfs.h"

#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define F_DUPFD_CLOEXEC 1030
#define FD_CLOEXEC 1
#define IOV_MAX 1024

struct iovec_k {
    uint64_t base, len;
};

SYS(read)
{
    SYS_UNUSED;
    struct file *f = fd_get(process_files(), (int)a0);
    if (f == NULL)
        return -EBADF;
    long r = file_read(f, (char *)a1, a2, -1);
    file_put(f);
    return r;
}

SYS(write)
{
    SYS_UNUSED;
    struct file *f = fd_get(process_files(), (int)a0);
    if (f == NULL)
        return -EBADF;
    long r = file_write(f, (const char *)a1, a2, -1);
    file_put(f);
    return r;
}

SYS(pread64)
{
    SYS_UNUSED;
    if ((int64_t)a3 < 0)
        return -EINVAL;
    struct file *f = fd_get(process_files(), (int)a0);
    if (f == NULL)
        return -EBADF;
    long r = f->ops ? -ESPIPE : file_read(f, (char *)a1, a2, (int64_t)a3);
    file_put(f);
    return r;
}

SYS(pwrite64)
{
    SYS_UNUSED;
    if ((int64_t)a3 < 0)
        return -EINVAL;
    struct file *f = fd_get(process_files(), (int)a0);
    if (f == NULL)
        return -EBADF;
    long r = f->ops ? -ESPIPE : file_write(f, (const char *)a1, a2, (int64_t)a3);
    file_put(f);
    return r;
}

/* readv and writev: one buffer after another, stopping at a short one. */
static long vector_io(uint64_t fd, uint64_t uiov, uint64_t count, bool write)
{
    if (count > IOV_MAX)
        return -EINVAL;
    struct file *f = fd_get(process_files(), (int)fd);
    if (f == NULL)
        return -EBADF;
    long total = 0;
    for (uint64_t i = 0; i < count; i++) {
        struct iovec_k v;
        if (copy_from_user(&v, (const struct iovec_k *)uiov + i, sizeof(v))) {
            total = total ? total : -EFAULT;
            break;
        }
        if (v.len == 0)
            continue;
        long r = write ? file_write(f, (const char *)v.base, v.len, -1)
                       : file_read(f, (char *)v.base, v.len, -1);
        if (r < 0) {
            total = total ? total : r;
            break;
        }
        total += r;
        if ((uint64_t)r < v.len)
            break;
    }
    file_put(f);
    return total;
}

SYS(readv)
{
    SYS_UNUSED;
    return vector_io(a0, a1, a2, false);
}

SYS(writev)
{
    SYS_UNUSED;
    return vector_io(a0, a1, a2, true);
}

SYS(close)
{
    SYS_UNUSED;
    return fd_close(process_files(), (int)a0);
}

SYS(lseek)
{
    SYS_UNUSED;
    struct file *f = fd_get(process_files(), (int)a0);
    if (f == NULL)
        return -EBADF;
    long r;
    if (f->ops && !f->priv)
        r = (f->inode->mode & S_IFMT) == S_IFCHR ? 0 : -ESPIPE;
    else {
        mutex_lock(&f->pos_lock);
        int64_t base = a2 == SEEK_SET ? 0 : a2 == SEEK_CUR ? (int64_t)f->pos :
                       a2 == SEEK_END ? (int64_t)(f->priv ? f->priv_size : f->inode->size) : -1;
        int64_t pos = base + (int64_t)a1;
        if (base < 0 || a2 > SEEK_END || pos < 0)
            r = -EINVAL;
        else {
            f->pos = (uint64_t)pos;
            r = pos;
        }
        mutex_unlock(&f->pos_lock);
    }
    file_put(f);
    return r;
}

SYS(fcntl)
{
    SYS_UNUSED;
    struct fd_table *t = process_files();
    struct file *f = fd_get(t, (int)a0);
    if (f == NULL)
        return -EBADF;
    long r;
    switch (a1) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
        file_get(f);
        r = fd_install(t, f, (int)a2, a1 == F_DUPFD_CLOEXEC);
        if (r < 0)
            file_put(f);
        break;
    case F_GETFD:
        r = t->cloexec[a0] ? FD_CLOEXEC : 0;
        break;
    case F_SETFD:
        t->cloexec[a0] = a2 & FD_CLOEXEC;
        r = 0;
        break;
    case F_GETFL:
        r = f->flags;
        break;
    case F_SETFL:
        f->flags = (f->flags & ~(unsigned)(O_APPEND | O_NONBLOCK)) | ((unsigned)a2 & (O_APPEND | O_NONBLOCK));
        r = 0;
        break;
    default:
        r = -EINVAL;
    }
    file_put(f);
    return r;
}

SYS(dup)
{
    SYS_UNUSED;
    struct file *f = fd_get(process_files(), (int)a0);
    if (f == NULL)
        return -EBADF;
    int fd = fd_install(process_files(), f, 0, false);
    if (fd < 0)
        file_put(f);
    return fd;
}

SYS(dup2)
{
    SYS_UNUSED;
    if (a0 == a1) {
        struct file *f = fd_get(process_files(), (int)a0);
        if (f == NULL)
            return -EBADF;
        file_put(f);
        return (long)a1;
    }
    return fd_dup_to(process_files(), (int)a0, (int)a1, false);
}

SYS(dup3)
{
    SYS_UNUSED;
    if (a0 == a1 || (a2 & ~(uint64_t)O_CLOEXEC))
        return -EINVAL;
    return fd_dup_to(process_files(), (int)a0, (int)a1, a2 & O_CLOEXEC);
}

SYS(ioctl)
{
    SYS_UNUSED;
    struct file *f = fd_get(process_files(), (int)a0);
    if (f == NULL)
        return -EBADF;
    long r = f->ops && f->ops->ioctl ? f->ops->ioctl(f, a1, a2) : -ENOTTY;
    file_put(f);
    return r;
}

SYS(ftruncate)
{
    SYS_UNUSED;
    struct file *f = fd_get(process_files(), (int)a0);
    if (f == NULL)
        return -EBADF;
    long r = -EINVAL;
    struct inode *ino = f->inode;
    if (S_ISREG(ino->mode) && !f->ops && (f->flags & O_ACCMODE) != O_RDONLY && (int64_t)a1 >= 0) {
        mutex_lock(&ino->lock);
        r = inode_reserve(ino, a1);
        if (r == 0) {
            if (a1 > ino->size)
                memset(ino->data + ino->size, 0, a1 - ino->size);
            ino->size = a1;
        }
        mutex_unlock(&ino->lock);
    }
    file_put(f);
    return r;
}

SYS(fsync)
{
    SYS_UNUSED;
    struct file *f = fd_get(process_files(), (int)a0);
    if (f == NULL)
        return -EBADF;
    file_put(f);
    return 0;                   /* everything is in memory already */
}
