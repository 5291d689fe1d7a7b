/*
 * devfs.c: /dev: the console and the classic memory devices.
 *
 *   console   the kernel's console as a terminal: reads take one line the
 *             user edits (echo, erase, history: console_readline) and get
 *             it with its newline (Ctrl-C ends the foreground program: see
 *             kernel/run.c); writes go to the screen and serial port
 *   tty       the same console (a process's controlling terminal)
 *   null      reads end at once, writes vanish
 *   zero      reads give zeros
 *   full      writes fail with ENOSPC
 *   random, urandom   random bytes (random.h)
 *
 * The console answers the terminal ioctls musl and Go ask: TCGETS (isatty
 * is TIOCGWINSZ in musl, TCGETS in Go), TIOCGWINSZ, FIONREAD; the termios
 * it reports is kept but not obeyed in part 1 (raw mode is part 2's).
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
#include "random.h"
#include "string.h"
#include "uaccess.h"
#include "vfs.h"

#define TTY_LINE_SIZE 1024
#define TTY_ROWS 25
#define TTY_COLUMNS 80
#define CHUNK 256               /* bytes copied from a program per console write */

/* ioctl numbers (Linux, asm-generic/ioctls.h). */
#define TCGETS 0x5401
#define TCSETS 0x5402
#define TCSETSW 0x5403
#define TCSETSF 0x5404
#define TIOCGPGRP 0x540F
#define TIOCGWINSZ 0x5413
#define TIOCSWINSZ 0x5414
#define FIONREAD 0x541B

/* struct termios as the kernel passes it (asm-generic/termbits.h). */
struct termios_k {
    uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
    uint8_t c_line;
    uint8_t c_cc[19];
};

struct winsize_k {
    uint16_t rows, cols, xpixel, ypixel;
};

static struct mutex tty_lock = MUTEX_INIT("console tty");
static char tty_line[TTY_LINE_SIZE + 1];
static size_t tty_len, tty_pos;     /* the line read, and how much was taken */
static struct termios_k tty_termios = {
    .c_iflag = 0x500,           /* ICRNL | IXON */
    .c_oflag = 0x5,             /* OPOST | ONLCR */
    .c_cflag = 0xBF,            /* B38400 | CS8 | CREAD */
    .c_lflag = 0x8A3B,          /* ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN */
    .c_cc = { 3, 28, 127, 21, 4, 0, 1 },    /* INTR QUIT ERASE KILL EOF TIME MIN */
};
static struct winsize_k tty_winsize = { TTY_ROWS, TTY_COLUMNS, 0, 0 };

static long console_read(struct file *f, char *ubuf, size_t n)
{
    (void)f;
    if (n == 0)
        return 0;
    mutex_lock(&tty_lock);
    while (tty_pos == tty_len) {
        /* Edit a line without holding tty_lock: a thread killed while it
         * waits for keys unwinds from the wait, and would leave it held. */
        mutex_unlock(&tty_lock);
        char line[TTY_LINE_SIZE + 1];
        int len = console_readline("", line, TTY_LINE_SIZE);
        if (len < 0)
            return -EINTR;      /* Ctrl-C with no program to interrupt */
        line[len++] = '\n';
        mutex_lock(&tty_lock);
        if (tty_pos == tty_len) {
            memcpy(tty_line, line, (size_t)len);
            tty_len = (size_t)len;
            tty_pos = 0;
        }
    }
    size_t count = tty_len - tty_pos < n ? tty_len - tty_pos : n;
    long done = copy_to_user(ubuf, tty_line + tty_pos, count) ? -EFAULT : (long)count;
    if (done > 0)
        tty_pos += count;
    mutex_unlock(&tty_lock);
    return done;
}

static long console_write_user(struct file *f, const char *ubuf, size_t n)
{
    (void)f;
    char chunk[CHUNK];
    size_t done = 0;
    while (done < n) {
        size_t k = n - done < CHUNK ? n - done : CHUNK;
        if (copy_from_user(chunk, ubuf + done, k))
            return done ? (long)done : -EFAULT;
        bool locked = console_lock();
        console_write(chunk, k);
        console_unlock(locked);
        done += k;
    }
    return (long)done;
}

static long console_ioctl(struct file *f, unsigned long cmd, unsigned long arg)
{
    (void)f;
    switch (cmd) {
    case TCGETS:
        return copy_to_user((void *)arg, &tty_termios, sizeof(tty_termios));
    case TCSETS:
    case TCSETSW:
    case TCSETSF:
        return copy_from_user(&tty_termios, (const void *)arg, sizeof(tty_termios));
    case TIOCGWINSZ:
        return copy_to_user((void *)arg, &tty_winsize, sizeof(tty_winsize));
    case TIOCSWINSZ:
        return copy_from_user(&tty_winsize, (const void *)arg, sizeof(tty_winsize));
    case TIOCGPGRP: {
        struct process *p = process_current();
        int pgrp = p ? p->pid : 0;
        return copy_to_user((void *)arg, &pgrp, sizeof(pgrp));
    }
    case FIONREAD: {
        mutex_lock(&tty_lock);
        int pending = (int)(tty_len - tty_pos);
        mutex_unlock(&tty_lock);
        return copy_to_user((void *)arg, &pending, sizeof(pending));
    }
    default:
        return -ENOTTY;
    }
}

static unsigned console_poll(struct file *f, uint64_t *version)
{
    (void)f;
    *version = 0;
    bool line = __atomic_load_n(&tty_pos, __ATOMIC_RELAXED) != __atomic_load_n(&tty_len, __ATOMIC_RELAXED);
    return POLLOUT | (line || console_input_pending() ? POLLIN : 0);
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
    .read = console_read, .write = console_write_user, .ioctl = console_ioctl,
    .poll = console_poll,
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
    { "console", &console_ops, 5 << 8 | 1 },
    { "tty", &console_ops, 5 << 8 | 0 },
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
    int err = vfs_create(NULL, "/dev", S_IFDIR | 0755, NULL, NULL);
    if ((err && err != -EEXIST) || vfs_mount("/dev", dir) != 0)
        panic("devfs: cannot mount on /dev");
    inode_put(dir);
}
