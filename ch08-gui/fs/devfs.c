/*
 * devfs.c: /dev: the terminals and the classic memory devices.
 *
 *   console   the kernel's console as a terminal (fs/tty.c: line
 *             discipline, job control); a program the shell's `run`
 *             starts has it as its controlling terminal
 *   tty       the caller's controlling terminal: the console, or a pty
 *   ptmx, pts/N   pseudo-terminals (fs/pty.c)
 *   null      reads end at once, writes vanish
 *   zero      reads give zeros
 *   full      writes fail with ENOSPC
 *   random, urandom   random bytes (random.h)
 *
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "console.h"
#include "errno.h"
#include "fd.h"
#include "heap.h"
#include "panic.h"
#include "fs.h"
#include "poll.h"
#include "process.h"
#include "pty.h"
#include "random.h"
#include "string.h"
#include "tty.h"
#include "uaccess.h"
#include "vfs.h"

#define CONSOLE_RDEV (5 << 8 | 1)   /* Linux's numbers: major << 8 | minor */

#define CHUNK 256               /* bytes copied per chunk of /dev/zero and /dev/random */

/* /dev/console: the console terminal (fs/tty.c). /dev/tty: the caller's
 * controlling terminal, the console or a pty (ENXIO without one). */
static int tty_open(struct file *f)
{
    struct process *p = process_current();
    if (f->inode->rdev == CONSOLE_RDEV || p == NULL) {
        f->priv = &console_tty;
        return 0;
    }
    spin_lock(&proc_lock);
    int sid = p->sid;
    spin_unlock(&proc_lock);
    if (console_tty.sid == sid) {
        f->priv = &console_tty;
        return 0;
    }
    f->priv = pty_ctty_get(sid);    /* a pty: the file holds the pair */
    return f->priv ? 0 : -ENXIO;
}

static void tty_release(struct file *f)
{
    if (f->priv != &console_tty)
        pty_ctty_put(f->priv);
}

static long tty_file_read(struct file *f, char *ubuf, size_t n)
{
    return tty_read(f->priv, f, ubuf, n);
}

static long tty_file_write(struct file *f, const char *ubuf, size_t n)
{
    return tty_write(f->priv, f, ubuf, n);
}

static long tty_file_ioctl(struct file *f, unsigned long cmd, unsigned long arg)
{
    return tty_ioctl(f->priv, f, cmd, arg);
}

static unsigned tty_file_poll(struct file *f, uint64_t *version)
{
    return tty_poll(f->priv, version);
}

static long null_read(struct file *f, char *ubuf, size_t n)
{
    (void)f, (void)ubuf, (void)n;
    return 0;
}

static long null_write(struct file *f, const char *ubuf, size_t n)
{
    (void)f, (void)ubuf;
    return (long)n;
}

static long full_write(struct file *f, const char *ubuf, size_t n)
{
    (void)f, (void)ubuf, (void)n;
    return -ENOSPC;
}

/* Fill a user buffer with zeros or random bytes, a chunk at a time. */
static long fill_user(char *ubuf, size_t n, bool random)
{
    char chunk[CHUNK];
    memset(chunk, 0, sizeof(chunk));
    size_t done = 0;
    while (done < n) {
        size_t k = n - done < CHUNK ? n - done : CHUNK;
        if (random)
            random_bytes(chunk, k);
        if (copy_to_user(ubuf + done, chunk, k))
            return done ? (long)done : -EFAULT;
        done += k;
    }
    return (long)done;
}

static long zero_read(struct file *f, char *ubuf, size_t n)
{
    (void)f;
    return fill_user(ubuf, n, false);
}

static long random_read(struct file *f, char *ubuf, size_t n)
{
    (void)f;
    return fill_user(ubuf, n, true);
}

static const struct file_ops console_ops = {
    .open = tty_open, .read = tty_file_read, .write = tty_file_write, .ioctl = tty_file_ioctl,
    .poll = tty_file_poll, .release = tty_release,
};
static const struct file_ops null_ops = { .read = null_read, .write = null_write };
static const struct file_ops zero_ops = { .read = zero_read, .write = null_write };
static const struct file_ops full_ops = { .read = zero_read, .write = full_write };
static const struct file_ops random_ops = { .read = random_read, .write = null_write };

struct device {
    const char *name;
    const struct file_ops *ops;
    uint32_t rdev;              /* Linux's numbers: major << 8 | minor */
};

static const struct device devices[] = {
    { "console", &console_ops, CONSOLE_RDEV },
    { "tty", &console_ops, 5 << 8 | 0 },
    { "ptmx", &pty_master_ops, 5 << 8 | 2 },
    { "null", &null_ops, 1 << 8 | 3 },
    { "zero", &zero_ops, 1 << 8 | 5 },
    { "full", &full_ops, 1 << 8 | 7 },
    { "random", &random_ops, 1 << 8 | 8 },
    { "urandom", &random_ops, 1 << 8 | 9 },
};

void devfs_init(void)
{
    struct inode *dir = inode_new(S_IFDIR | 0755);
    if (dir == NULL)
        panic("devfs: out of memory");
    dir->nlink = 2;
    for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++) {
        struct inode *dev = inode_new(S_IFCHR | 0666);
        if (dev == NULL || vfs_link(dir, devices[i].name, dev) != 0)
            panic("devfs: out of memory");
        dev->fops = devices[i].ops;
        dev->rdev = devices[i].rdev;
        inode_put(dev);
    }
    struct inode *pts = pty_dir();
    if (pts == NULL || vfs_link(dir, "pts", pts) != 0)
        panic("devfs: out of memory");
    inode_put(pts);
    console_tty_init();
    int err = vfs_create(NULL, "/dev", S_IFDIR | 0755, NULL, NULL);
    if ((err && err != -EEXIST) || vfs_mount("/dev", dir) != 0)
        panic("devfs: cannot mount on /dev");
    inode_put(dir);
}
