/*
 * fd.c: open files, reading and writing them, and descriptor tables.
 *
 * A regular file's bytes are in memory (struct inode's data), so reading
 * one is a copy to the program's buffer under the inode's mutex; a device
 * or a generated file (procfs) reads through its file_ops instead.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "errno.h"
#include "fd.h"
#include "heap.h"
#include "session.h"
#include "string.h"
#include "uaccess.h"
#include "vfs.h"

#define FILE_SIZE_MAX (64ull << 20)     /* a file in RAM: at most 64 MiB */

int file_open_inode(struct inode *ino, unsigned flags, struct file **out)
{
    struct file *f = kmalloc(sizeof(*f));
    if (f == NULL)
        return -ENOMEM;
    memset(f, 0, sizeof(*f));
    f->inode = ino;
    f->ops = ino->fops;
    f->flags = flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC);
    f->refs = 1;
    f->pos_lock = (struct mutex)MUTEX_INIT("file position");
    if (f->ops && f->ops->open) {
        int err = f->ops->open(f);     /* a terminal looks at O_NOCTTY */
        if (err) {
            kfree(f);
            return err;
        }
    }
    f->flags &= ~(unsigned)O_NOCTTY;
    *out = f;
    return 0;
}

int file_open(struct inode *cwd, const char *path, unsigned flags, uint32_t mode, struct file **out)
{
    struct inode *ino;
    int err = vfs_lookup(cwd, path, !(flags & O_NOFOLLOW), &ino);
    if (err == -ENOENT && (flags & O_CREAT))
        err = vfs_create(cwd, path, S_IFREG | (mode & 07777), NULL, &ino);
    else if (err == 0 && (flags & O_CREAT) && (flags & O_EXCL)) {
        inode_put(ino);
        return -EEXIST;
    }
    if (err)
        return err;
    unsigned acc = flags & O_ACCMODE;
    if (S_ISLNK(ino->mode))
        err = -ELOOP;               /* O_NOFOLLOW on a link */
    else if ((flags & O_DIRECTORY) && !S_ISDIR(ino->mode))
        err = -ENOTDIR;
    else if (S_ISDIR(ino->mode) && acc != O_RDONLY)
        err = -EISDIR;
    if (err == 0 && (flags & O_TRUNC) && S_ISREG(ino->mode) && acc != O_RDONLY && !ino->fops) {
        mutex_lock(&ino->lock);
        ino->size = 0;
        ino->mtime_ns = clock_realtime_ns();
        mutex_unlock(&ino->lock);
    }
    if (err == 0)
        err = file_open_inode(ino, flags, out);
    if (err)
        inode_put(ino);
    return err;
}

void file_get(struct file *f)
{
    __atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED);
}

void file_put(struct file *f)
{
    if (__atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    if (f->ops && f->ops->release)
        f->ops->release(f);
    inode_put(f->inode);
    kfree(f);
}

static long read_bytes(struct inode *ino, char *ubuf, size_t n, uint64_t pos)
{
    mutex_lock(&ino->lock);
    long done = 0;
    if (pos < ino->size) {
        size_t left = ino->size - pos;
        size_t count = n < left ? n : left;
        done = copy_to_user(ubuf, ino->data + pos, count) ? -EFAULT : (long)count;
    }
    mutex_unlock(&ino->lock);
    return done;
}

static long write_bytes(struct inode *ino, const char *ubuf, size_t n, uint64_t pos)
{
    if (pos > FILE_SIZE_MAX || n > FILE_SIZE_MAX - pos)
        return -EFBIG;
    mutex_lock(&ino->lock);
    long done = inode_reserve(ino, pos + n);
    if (done == 0) {
        if (pos > ino->size)        /* a hole reads as zeros */
            memset(ino->data + ino->size, 0, pos - ino->size);
        if (copy_from_user(ino->data + pos, ubuf, n))
            done = -EFAULT;
        else {
            done = (long)n;
            if (pos + n > ino->size)
                ino->size = pos + n;
            ino->mtime_ns = clock_realtime_ns();
        }
    }
    mutex_unlock(&ino->lock);
    return done;
}

long file_read(struct file *f, char *ubuf, size_t n, int64_t off)
{
    /* The whole buffer must be the program's, as Linux's access_ok
     * checks first, whatever a device then touches of it. */
    if (!user_range_ok((uintptr_t)ubuf, n))
        return -EFAULT;
    if ((f->flags & O_ACCMODE) == O_WRONLY || (f->flags & O_PATH))
        return -EBADF;
    if (f->ops)
        return f->ops->read ? f->ops->read(f, ubuf, n) : -EINVAL;
    if (S_ISDIR(f->inode->mode))
        return -EISDIR;
    if (off >= 0)
        return read_bytes(f->inode, ubuf, n, (uint64_t)off);
    mutex_lock(&f->pos_lock);
    long done = read_bytes(f->inode, ubuf, n, f->pos);
    if (done > 0)
        f->pos += (uint64_t)done;
    mutex_unlock(&f->pos_lock);
    return done;
}

long file_write(struct file *f, const char *ubuf, size_t n, int64_t off)
{
    if (!user_range_ok((uintptr_t)ubuf, n))
        return -EFAULT;
    if ((f->flags & O_ACCMODE) == O_RDONLY || (f->flags & O_PATH))
        return -EBADF;
    if (f->ops)
        return f->ops->write ? f->ops->write(f, ubuf, n) : -EINVAL;
    if (off >= 0)
        return write_bytes(f->inode, ubuf, n, (uint64_t)off);
    mutex_lock(&f->pos_lock);
    if (f->flags & O_APPEND)
        f->pos = f->inode->size;
    long done = write_bytes(f->inode, ubuf, n, f->pos);
    if (done > 0)
        f->pos += (uint64_t)done;
    mutex_unlock(&f->pos_lock);
    return done;
}

/* An empty table with one reference, or NULL. */
static struct fd_table *table_new(void)
{
    struct fd_table *t = kmalloc(sizeof(*t));
    if (t == NULL)
        return NULL;
    memset(t, 0, sizeof(*t));
    t->lock = (struct spinlock)SPINLOCK_INIT("fd table");
    t->refs = 1;
    return t;
}

struct fd_table *fd_table_create_console(void)
{
    struct fd_table *t = table_new();
    if (t == NULL)
        return NULL;
    /* A program started from a remote shell has the session's terminal. */
    struct session *s = session_current();
    for (int fd = 0; fd < 3; fd++) {
        struct file *f;
        if ((s ? session_tty_open(s, &f) : file_open(NULL, "/dev/console", O_RDWR, 0, &f)) != 0) {
            fd_table_put(t);
            return NULL;
        }
        t->files[fd] = f;
    }
    return t;
}

struct fd_table *fd_table_copy(struct fd_table *from)
{
    struct fd_table *t = table_new();
    if (t == NULL)
        return NULL;
    spin_lock(&from->lock);
    for (int fd = 0; fd < FD_MAX; fd++) {
        if (from->files[fd]) {
            file_get(from->files[fd]);
            t->files[fd] = from->files[fd];
            t->cloexec[fd] = from->cloexec[fd];
        }
    }
    spin_unlock(&from->lock);
    return t;
}

void fd_table_close_on_exec(struct fd_table *t)
{
    for (int fd = 0; fd < FD_MAX; fd++) {
        spin_lock(&t->lock);
        struct file *f = t->cloexec[fd] ? t->files[fd] : NULL;
        if (f) {
            t->files[fd] = NULL;
            t->cloexec[fd] = false;
        }
        spin_unlock(&t->lock);
        if (f)
            file_put(f);    /* may sleep: outside the table's lock */
    }
}

void fd_table_put(struct fd_table *t)
{
    spin_lock(&t->lock);
    bool last = --t->refs == 0;
    spin_unlock(&t->lock);
    if (!last)
        return;
    for (int fd = 0; fd < FD_MAX; fd++)
        if (t->files[fd])
            file_put(t->files[fd]);
    kfree(t);
}

int fd_install(struct fd_table *t, struct file *f, int min, bool cloexec)
{
    spin_lock(&t->lock);
    for (int fd = min < 0 ? 0 : min; fd < FD_MAX; fd++) {
        if (t->files[fd] == NULL) {
            t->files[fd] = f;
            t->cloexec[fd] = cloexec;
            spin_unlock(&t->lock);
            return fd;
        }
    }
    spin_unlock(&t->lock);
    return -EMFILE;
}

struct file *fd_get(struct fd_table *t, int fd)
{
    if (fd < 0 || fd >= FD_MAX)
        return NULL;
    spin_lock(&t->lock);
    struct file *f = t->files[fd];
    if (f)
        file_get(f);
    spin_unlock(&t->lock);
    return f;
}

int fd_close(struct fd_table *t, int fd)
{
    if (fd < 0 || fd >= FD_MAX)
        return -EBADF;
    spin_lock(&t->lock);
    struct file *f = t->files[fd];
    t->files[fd] = NULL;
    spin_unlock(&t->lock);
    if (f == NULL)
        return -EBADF;
    file_put(f);
    return 0;
}

int fd_dup_to(struct fd_table *t, int oldfd, int newfd, bool cloexec)
{
    if (oldfd < 0 || oldfd >= FD_MAX || newfd < 0 || newfd >= FD_MAX)
        return -EBADF;
    spin_lock(&t->lock);
    struct file *f = t->files[oldfd], *old = NULL;
    if (f == NULL) {
        spin_unlock(&t->lock);
        return -EBADF;
    }
    if (oldfd != newfd) {
        file_get(f);
        old = t->files[newfd];
        t->files[newfd] = f;
    }
    t->cloexec[newfd] = cloexec;
    spin_unlock(&t->lock);
    if (old)
        file_put(old);
    return newfd;
}
