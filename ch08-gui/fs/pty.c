/*
 * pty.c: pseudo-terminals: /dev/ptmx and /dev/pts/N (pty(7)).
 *
 * A pseudo-terminal is a terminal (tty.h) whose device is a program: a
 * terminal emulator, a remote shell. Opening /dev/ptmx makes a pair and
 * gives its master side; the slave side appears as /dev/pts/N, where N is
 * what TIOCGPTN answers, and behaves as any terminal (line discipline,
 * job control) for the shell run on it. What the master writes is typed
 * on the slave; what programs write to the slave (and the echo) the master
 * reads, from a ring of PTY_OUT_SIZE bytes: a slave write waits while it
 * is full. When the master closes, the slave is hung up: its reads end,
 * its foreground group gets SIGHUP; when the last slave file closes, the
 * master's reads fail with EIO, as on Linux.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errno.h"
#include "fd.h"
#include "format.h"
#include "heap.h"
#include "poll.h"
#include "process.h"
#include "pty.h"
#include "string.h"
#include "thread.h"
#include "tty.h"
#include "uaccess.h"
#include "vfs.h"

#define PTY_MAX 64              /* pairs at once */
#define PTY_OUT_SIZE 4096
#define CHUNK 256
#define TIOCGPTN 0x80045430
#define TIOCSPTLCK 0x40045431

struct pty {
    struct tty tty;             /* the slave side */
    int index;                  /* N of /dev/pts/N */
    int refs;                   /* the master file, slave files, the /dev/pts entry; pty_lock */
    int slaves;                 /* slave files open; pty_lock */
    bool master_open, locked;
    bool slave_opened;          /* once: from then on no slave file left means EIO */
    char out[PTY_OUT_SIZE];     /* the slave's output, for the master to read; tty.lock */
    size_t out_head, out_len;
    struct wait_queue master_readers;   /* under tty.lock */
    struct inode *node;         /* /dev/pts/N */
};

static struct spinlock pty_lock = SPINLOCK_INIT("ptys");
static struct pty *ptys[PTY_MAX];
static struct inode *pts_dir;

static void pty_put(struct pty *p)
{
    spin_lock(&pty_lock);
    bool last = --p->refs == 0;
    if (last)
        ptys[p->index] = NULL;
    spin_unlock(&pty_lock);
    if (last) {
        inode_put(p->node);
        kfree(p);
    }
}

/* The slave wrote (or echoed): into the ring, as much as fits. tty.lock held. */
static size_t slave_output(struct tty *t, const char *s, size_t n)
{
    struct pty *p = t->priv;
    if (!p->master_open)
        return n;               /* nobody will read it */
    size_t room = PTY_OUT_SIZE - p->out_len, k = n < room ? n : room;
    for (size_t i = 0; i < k; i++)
        p->out[(p->out_head + p->out_len + i) % PTY_OUT_SIZE] = s[i];
    p->out_len += k;
    if (k) {
        t->version++;
        wait_wake_all(&p->master_readers);
        poll_notify();
    }
    return k;
}

struct tty *pty_of_session(int sid)
{
    struct tty *found = NULL;
    spin_lock(&pty_lock);
    for (int i = 0; i < PTY_MAX && !found; i++)
        if (ptys[i] && ptys[i]->tty.sid == sid && !ptys[i]->tty.hung_up)
            found = &ptys[i]->tty;
    spin_unlock(&pty_lock);
    return found;
}

struct tty *pty_ctty_get(int sid)
{
    struct pty *found = NULL;
    spin_lock(&pty_lock);
    for (int i = 0; i < PTY_MAX && !found; i++) {
        struct pty *p = ptys[i];
        if (p && p->tty.sid == sid && !p->tty.hung_up) {
            found = p;
            p->refs++;
            p->slaves++;
        }
    }
    spin_unlock(&pty_lock);
    return found ? &found->tty : NULL;
}

static void slave_gone(struct pty *p);

void pty_ctty_put(struct tty *t)
{
    slave_gone(t->priv);
}

/* -- the master ---------------------------------------------------------- */

static int master_open(struct file *f)
{
    struct pty *p = kmalloc(sizeof(*p));
    struct inode *node = inode_new(S_IFCHR | 0620);
    if (p == NULL || node == NULL) {
        kfree(p);
        if (node)
            inode_put(node);
        return -ENOMEM;
    }
    memset(p, 0, sizeof(*p));
    tty_init(&p->tty, slave_output, p);
    p->refs = 2;                /* the master file, the /dev/pts entry */
    p->master_open = p->locked = true;
    spin_lock(&pty_lock);
    p->index = -1;
    p->node = node;
    for (int i = 0; i < PTY_MAX && p->index < 0; i++) {
        if (ptys[i] == NULL) {
            ptys[i] = p;
            p->index = i;
        }
    }
    spin_unlock(&pty_lock);
    if (p->index < 0) {
        kfree(p);
        inode_put(node);
        return -ENOSPC;         /* Linux says so when PTY_MAX pairs are open */
    }
    char name[12];
    ksnprintf(name, sizeof(name), "%d", p->index);
    node->fops = &pty_slave_ops;
    node->rdev = 136 << 8 | (uint32_t)p->index;    /* Linux's major for pts */
    node->priv = p;
    if (vfs_link(pts_dir, name, node) != 0) {
        pty_put(p);
        pty_put(p);             /* the last: node goes with it */
        return -ENOMEM;
    }
    f->priv = p;
    return 0;
}

static long master_read(struct file *f, char *ubuf, size_t n)
{
    static const struct wait_reason why = { WAIT_DEVICE, "read", "pty master", "output", NULL };
    struct pty *p = f->priv;
    struct tty *t = &p->tty;
    char chunk[CHUNK];
    if (n == 0)
        return 0;
    spin_lock(&t->lock);
    while (p->out_len == 0) {
        if (p->slaves == 0 && p->slave_opened) {
            spin_unlock(&t->lock);
            return -EIO;        /* the slave side has closed */
        }
        if (f->flags & O_NONBLOCK) {
            spin_unlock(&t->lock);
            return -EAGAIN;
        }
        if (wait_sleep_intr(&p->master_readers, &t->lock, &why) == -EINTR) {
            spin_unlock(&t->lock);
            return -ERESTARTSYS;
        }
    }
    size_t k = n < p->out_len ? n : p->out_len;
    if (k > CHUNK)
        k = CHUNK;
    for (size_t i = 0; i < k; i++)
        chunk[i] = p->out[(p->out_head + i) % PTY_OUT_SIZE];
    p->out_head = (p->out_head + k) % PTY_OUT_SIZE;
    p->out_len -= k;
    wait_wake_all(&t->writers);     /* room for the slave's writes */
    spin_unlock(&t->lock);
    return copy_to_user(ubuf, chunk, k) ? -EFAULT : (long)k;
}

static long master_write(struct file *f, const char *ubuf, size_t n)
{
    struct pty *p = f->priv;
    char chunk[CHUNK];
    for (size_t done = 0; done < n;) {
        size_t k = n - done < CHUNK ? n - done : CHUNK;
        if (copy_from_user(chunk, ubuf + done, k))
            return done ? (long)done : -EFAULT;
        tty_input(&p->tty, chunk, k);
        done += k;
    }
    return (long)n;
}

static long master_ioctl(struct file *f, unsigned long cmd, unsigned long arg)
{
    struct pty *p = f->priv;
    switch (cmd) {
    case TIOCGPTN:
        return copy_to_user((void *)arg, &p->index, sizeof(p->index));
    case TIOCSPTLCK: {
        int lock;
        if (copy_from_user(&lock, (const void *)arg, sizeof(lock)))
            return -EFAULT;
        p->locked = lock != 0;
        return 0;
    }
    default:
        /* The terminal's own (window size, termios): the same terminal. */
        return tty_ioctl(&p->tty, f, cmd, arg);
    }
}

static unsigned master_poll(struct file *f, uint64_t *version)
{
    struct pty *p = f->priv;
    spin_lock(&p->tty.lock);
    unsigned mask = POLLOUT;
    if (p->out_len > 0)
        mask |= POLLIN;
    if (p->slaves == 0 && p->slave_opened)
        mask |= POLLHUP;
    *version = p->tty.version;
    spin_unlock(&p->tty.lock);
    return mask;
}

static void master_release(struct file *f)
{
    struct pty *p = f->priv;
    char name[12];
    ksnprintf(name, sizeof(name), "%d", p->index);
    spin_lock(&p->tty.lock);
    p->master_open = false;
    spin_unlock(&p->tty.lock);
    tty_hangup(&p->tty);
    /* /dev/pts/N goes; files open on it keep the pair. */
    if (vfs_unlink(pts_dir, name, false) == 0)
        pty_put(p);
    pty_put(p);
}

/* -- the slave ------------------------------------------------------------ */

static int slave_open(struct file *f)
{
    struct pty *p = f->inode->priv;
    spin_lock(&pty_lock);
    bool ok = !p->locked && p->master_open;
    if (ok) {
        p->refs++;
        p->slaves++;
        p->slave_opened = true;
    }
    spin_unlock(&pty_lock);
    if (!ok)
        return -EIO;            /* still locked (unlockpt), or the master is gone */
    f->priv = p;
    /* A session leader with no terminal that opens one gets it (unless
     * O_NOCTTY), as on Linux. */
    struct process *me = process_current();
    if (me && !(f->flags & O_NOCTTY)) {
        spin_lock(&proc_lock);
        bool leader = me->pid == me->sid;
        int sid = me->sid, pgid = me->pgid;
        spin_unlock(&proc_lock);
        spin_lock(&p->tty.lock);
        if (leader && p->tty.sid == 0 && pty_of_session(sid) == NULL && console_tty.sid != sid) {
            p->tty.sid = sid;
            p->tty.fg_pgid = pgid;
        }
        spin_unlock(&p->tty.lock);
    }
    return 0;
}

static long slave_read(struct file *f, char *ubuf, size_t n)
{
    struct pty *p = f->priv;
    return tty_read(&p->tty, f, ubuf, n);
}

static long slave_write(struct file *f, const char *ubuf, size_t n)
{
    struct pty *p = f->priv;
    return tty_write(&p->tty, f, ubuf, n);
}

static long slave_ioctl(struct file *f, unsigned long cmd, unsigned long arg)
{
    struct pty *p = f->priv;
    return tty_ioctl(&p->tty, f, cmd, arg);
}

static unsigned slave_poll(struct file *f, uint64_t *version)
{
    struct pty *p = f->priv;
    return tty_poll(&p->tty, version);
}

static void slave_release(struct file *f)
{
    slave_gone(f->priv);
}

static void slave_gone(struct pty *p)
{
    spin_lock(&pty_lock);
    p->slaves--;
    spin_unlock(&pty_lock);
    spin_lock(&p->tty.lock);
    wait_wake_all(&p->master_readers);  /* the last one: the master sees EIO */
    p->tty.version++;
    spin_unlock(&p->tty.lock);
    poll_notify();
    pty_put(p);
}

const struct file_ops pty_slave_ops = {
    .open = slave_open, .read = slave_read, .write = slave_write, .ioctl = slave_ioctl,
    .poll = slave_poll, .release = slave_release,
};

const struct file_ops pty_master_ops = {
    .open = master_open, .read = master_read, .write = master_write, .ioctl = master_ioctl,
    .poll = master_poll, .release = master_release,
};

struct inode *pty_dir(void)
{
    pts_dir = inode_new(S_IFDIR | 0755);
    if (pts_dir)
        pts_dir->nlink = 2;
    return pts_dir;
}
