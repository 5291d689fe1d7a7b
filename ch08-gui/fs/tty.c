/*
 * tty.c: a terminal: the line discipline between a device and programs,
 * the waiting of read (VMIN and VTIME), and job control (tty.h).
 *
 * One spinlock per terminal guards its line discipline and its state;
 * input arrives under it from interrupt handlers (the console's keys), so
 * nothing done under it sleeps. Signals the input asks for are sent
 * after it is let go. Reads copy out through a kernel buffer, since a user
 * copy may fault.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "console.h"
#include "errno.h"
#include "fd.h"
#include "heap.h"
#include "keys.h"
#include "ldisc.h"
#include "poll.h"
#include "process.h"
#include "signal.h"
#include "string.h"
#include "thread.h"
#include "tty.h"
#include "uaccess.h"
#include "uthread.h"

#define TTY_ROWS 25
#define TTY_COLUMNS 80
#define CHUNK 256               /* bytes written per lock hold */

/* ioctl numbers (Linux, asm-generic/ioctls.h). */
#define TCGETS 0x5401
#define TCSETS 0x5402
#define TCSETSW 0x5403
#define TCSETSF 0x5404
#define TCSBRK 0x5409
#define TCXONC 0x540A
#define TCFLSH 0x540B
#define TIOCSCTTY 0x540E
#define TIOCGPGRP 0x540F
#define TIOCSPGRP 0x5410
#define TIOCGWINSZ 0x5413
#define TIOCSWINSZ 0x5414
#define FIONREAD 0x541B
#define TIOCNOTTY 0x5422
#define TIOCGSID 0x5429
#define TCIFLUSH 0
#define TCIOFLUSH 2

static const struct termios_k *termios_of(const struct tty *t)
{
    return &t->ld.t;
}

/* Echo that finds the device full is dropped: input never waits. */
static void echo(const char *s, size_t n, void *ctx)
{
    struct tty *t = ctx;
    (void)t->output(t, s, n);
}

void tty_output_room(struct tty *t)
{
    spin_lock(&t->lock);
    wait_wake_all(&t->writers);
    spin_unlock(&t->lock);
}

void tty_init(struct tty *t, size_t (*output)(struct tty *t, const char *s, size_t n), void *priv)
{
    memset(t, 0, sizeof(*t));
    t->lock = (struct spinlock)SPINLOCK_INIT("tty");
    t->output = output;
    t->priv = priv;
    t->winsize = (struct winsize_k){ TTY_ROWS, TTY_COLUMNS, 0, 0 };
    ldisc_init(&t->ld, echo, t);
}

/* The input changed: readers and pollers look again. t->lock held. */
static void changed(struct tty *t)
{
    t->version++;
    wait_wake_all(&t->readers);
}

void tty_input(struct tty *t, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        spin_lock(&t->lock);
        enum ldisc_signal what = ldisc_input(&t->ld, (uint8_t)s[i]);
        int pgid = t->fg_pgid;
        changed(t);
        spin_unlock(&t->lock);
        int sig = what == LDISC_INTR ? SIGINT : what == LDISC_QUIT ? SIGQUIT :
                  what == LDISC_SUSP ? SIGTSTP : 0;
        if (sig && pgid)
            signal_send_group(pgid, sig);
    }
    poll_notify();
}

void tty_give(struct tty *t, int sid, int pgid)
{
    spin_lock(&t->lock);
    t->sid = sid;
    t->fg_pgid = pgid;
    t->hung_up = false;
    ldisc_init(&t->ld, echo, t);
    changed(t);
    spin_unlock(&t->lock);
}

void tty_hangup(struct tty *t)
{
    spin_lock(&t->lock);
    t->hung_up = true;
    int pgid = t->fg_pgid;
    changed(t);
    wait_wake_all(&t->writers);
    spin_unlock(&t->lock);
    if (pgid)
        signal_send_group(pgid, SIGHUP);
    poll_notify();
}

/* Job control: may the caller read (sig SIGTTIN) or write (SIGTTOU) t?
 * 0, or -ERESTARTSYS after sending sig to its group (it stops and tries
 * again when continued), or -EIO. */
static long job_check(struct tty *t, int sig)
{
    struct process *p = process_current();
    if (p == NULL)
        return 0;
    spin_lock(&t->lock);
    int sid = t->sid, fg = t->fg_pgid;
    spin_unlock(&t->lock);
    spin_lock(&proc_lock);
    int my_sid = p->sid, pgid = p->pgid;
    spin_unlock(&proc_lock);
    if (sid == 0 || sid != my_sid || fg == pgid)
        return 0;               /* not its controlling terminal, or in the foreground */
    if (signal_blocked_or_ignored(sig))
        return sig == SIGTTIN ? -EIO : 0;
    if (signal_group_orphaned(pgid))
        return -EIO;
    signal_send_group(pgid, sig);
    return -ERESTARTSYS;
}

/* A VTIME timer: when it fires, the reader it belongs to looks again. */
struct read_timer {
    struct ktimer timer;
    struct tty *tty;
    bool fired;
};

static void read_timer_fire(struct ktimer *k)
{
    struct read_timer *r = (struct read_timer *)k;
    spin_lock(&r->tty->lock);
    r->fired = true;
    wait_wake_all(&r->tty->readers);
    spin_unlock(&r->tty->lock);
}

long tty_read(struct tty *t, struct file *f, char *ubuf, size_t n)
{
    static const struct wait_reason why = { WAIT_DEVICE, "read", "terminal", "input", NULL };
    long err = job_check(t, SIGTTIN);
    if (err)
        return err;
    if (n == 0)
        return 0;
    size_t cap = n < LDISC_BUF_SIZE ? n : LDISC_BUF_SIZE;
    char *buf = kmalloc(cap);
    if (buf == NULL)
        return -ENOMEM;
    struct read_timer timer = { { 0 }, t, false };
    ktimer_init(&timer.timer, read_timer_fire);
    bool timer_on = false;
    size_t got = 0;
    spin_lock(&t->lock);
    struct ldisc_wait policy = ldisc_read_policy(&t->ld, cap);
    bool canonical = termios_of(t)->c_lflag & ICANON;
    for (;;) {
        if (ldisc_read_ready(&t->ld)) {
            size_t before = got;
            got += ldisc_read(&t->ld, buf + got, cap - got);
            if (canonical)
                break;          /* one line, or 0 for end of file */
            if (got > before && policy.interbyte && policy.timeout_ms) {
                /* The timer runs from the last byte: start it again. */
                timer.fired = false;
                spin_unlock(&t->lock);
                if (timer_on)
                    ktimer_stop(&timer.timer);
                timer_on = ktimer_start(&timer.timer, policy.timeout_ms, 0) == 0;
                spin_lock(&t->lock);
            }
        }
        if (got >= policy.min && (!canonical || got > 0))
            break;
        if (t->hung_up || timer.fired)
            break;
        if (f->flags & O_NONBLOCK) {
            if (got == 0)
                err = -EAGAIN;
            break;
        }
        if (!timer_on && policy.timeout_ms && !policy.interbyte) {
            spin_unlock(&t->lock);
            timer_on = ktimer_start(&timer.timer, policy.timeout_ms, 0) == 0;
            spin_lock(&t->lock);
            continue;
        }
        if (wait_sleep_intr(&t->readers, &t->lock, &why) == -EINTR) {
            if (got == 0)
                err = -ERESTARTSYS;
            break;
        }
    }
    changed(t);
    spin_unlock(&t->lock);
    if (timer_on)
        ktimer_stop(&timer.timer);
    if (err == 0 && got > 0 && copy_to_user(ubuf, buf, got))
        err = -EFAULT;
    kfree(buf);
    return err ? err : (long)got;
}

long tty_write(struct tty *t, struct file *f, const char *ubuf, size_t n)
{
    spin_lock(&t->lock);
    bool tostop = termios_of(t)->c_lflag & TOSTOP;
    bool hung_up = t->hung_up;
    spin_unlock(&t->lock);
    if (hung_up)
        return -EIO;
    if (tostop) {
        long err = job_check(t, SIGTTOU);
        if (err)
            return err;
    }
    static const struct wait_reason why = { WAIT_DEVICE, "write", "terminal", "room", NULL };
    char chunk[CHUNK], out[2 * CHUNK];
    size_t done = 0;
    while (done < n) {
        size_t k = n - done < CHUNK ? n - done : CHUNK;
        if (copy_from_user(chunk, ubuf + done, k))
            return done ? (long)done : -EFAULT;
        spin_lock(&t->lock);
        size_t consumed;
        size_t made = ldisc_output(&t->ld, chunk, k, out, sizeof(out), &consumed);
        /* The device may take it in parts (a pty's master reads slowly). */
        for (size_t sent = 0; sent < made;) {
            sent += t->output(t, out + sent, made - sent);
            if (sent == made)
                break;
            long err = t->hung_up ? -EIO : (f->flags & O_NONBLOCK) ? -EAGAIN :
                       wait_sleep_intr(&t->writers, &t->lock, &why) == -EINTR ? -ERESTARTSYS : 0;
            if (err) {
                spin_unlock(&t->lock);
                return done ? (long)done : err;
            }
        }
        spin_unlock(&t->lock);
        done += consumed;
    }
    return (long)done;
}

/* TIOCSPGRP: only a process of the terminal's session, to a group of
 * that session. */
static long set_foreground(struct tty *t, int pgid)
{
    struct process *p = process_current();
    long err = job_check(t, SIGTTOU);
    if (err)
        return err;
    if (pgid <= 0)
        return -EINVAL;
    spin_lock(&proc_lock);
    int my_sid = p->sid;
    bool exists = false;
    for (struct process *q = processes_first(); q; q = q->all_next)
        if (q->pgid == pgid && q->sid == my_sid)
            exists = true;      /* zombies not yet reaped count, as on Linux */
    spin_unlock(&proc_lock);
    spin_lock(&t->lock);
    if (t->sid != my_sid)
        err = -ENOTTY;
    else if (!exists)
        err = -EPERM;
    else
        t->fg_pgid = pgid;
    spin_unlock(&t->lock);
    return err;
}

/* TIOCSCTTY: a session leader without a terminal takes this one. */
static long set_controlling(struct tty *t)
{
    struct process *p = process_current();
    spin_lock(&proc_lock);
    int sid = p->sid, pgid = p->pgid;
    bool leader = p->pid == p->sid;
    spin_unlock(&proc_lock);
    if (!leader)
        return -EPERM;
    spin_lock(&t->lock);
    long err = 0;
    if (t->sid == sid)
        err = 0;
    else if (t->sid != 0 && !t->hung_up)
        err = -EPERM;           /* another session's (root may steal it on Linux: not here) */
    else {
        t->sid = sid;
        t->fg_pgid = pgid;
    }
    spin_unlock(&t->lock);
    return err;
}

long tty_ioctl(struct tty *t, struct file *f, unsigned long cmd, unsigned long arg)
{
    (void)f;
    switch (cmd) {
    case TCGETS: {
        struct termios_k tio;
        spin_lock(&t->lock);
        tio = *termios_of(t);
        spin_unlock(&t->lock);
        return copy_to_user((void *)arg, &tio, sizeof(tio));
    }
    case TCSETS:
    case TCSETSW:
    case TCSETSF: {
        struct termios_k tio;
        if (copy_from_user(&tio, (const void *)arg, sizeof(tio)))
            return -EFAULT;
        spin_lock(&t->lock);
        if (cmd == TCSETSF)
            ldisc_flush_input(&t->ld);
        ldisc_set_termios(&t->ld, &tio);
        changed(t);
        spin_unlock(&t->lock);
        poll_notify();
        return 0;
    }
    case TCFLSH:
        if (arg > TCIOFLUSH)
            return -EINVAL;
        if (arg == TCIFLUSH || arg == TCIOFLUSH) {
            spin_lock(&t->lock);
            ldisc_flush_input(&t->ld);
            spin_unlock(&t->lock);
        }
        return 0;
    case TCSBRK:
    case TCXONC:
        return 0;               /* output is never held back: drained already */
    case TIOCGWINSZ: {
        spin_lock(&t->lock);
        struct winsize_k ws = t->winsize;
        spin_unlock(&t->lock);
        return copy_to_user((void *)arg, &ws, sizeof(ws));
    }
    case TIOCSWINSZ: {
        struct winsize_k ws;
        if (copy_from_user(&ws, (const void *)arg, sizeof(ws)))
            return -EFAULT;
        spin_lock(&t->lock);
        bool resized = memcmp(&ws, &t->winsize, sizeof(ws)) != 0;
        t->winsize = ws;
        int pgid = t->fg_pgid;
        spin_unlock(&t->lock);
        if (resized && pgid)
            signal_send_group(pgid, SIGWINCH);
        return 0;
    }
    case TIOCGPGRP:
    case TIOCGSID: {
        spin_lock(&t->lock);
        int id = cmd == TIOCGPGRP ? t->fg_pgid : t->sid;
        spin_unlock(&t->lock);
        if (id == 0)
            return -ENOTTY;
        return copy_to_user((void *)arg, &id, sizeof(id));
    }
    case TIOCSPGRP: {
        int pgid;
        if (copy_from_user(&pgid, (const void *)arg, sizeof(pgid)))
            return -EFAULT;
        return set_foreground(t, pgid);
    }
    case TIOCSCTTY:
        return set_controlling(t);
    case TIOCNOTTY:
        return 0;
    case FIONREAD: {
        spin_lock(&t->lock);
        int pending = (int)ldisc_readable(&t->ld);
        spin_unlock(&t->lock);
        return copy_to_user((void *)arg, &pending, sizeof(pending));
    }
    default:
        return -ENOTTY;
    }
}

unsigned tty_poll(struct tty *t, uint64_t *version)
{
    spin_lock(&t->lock);
    unsigned mask = POLLOUT;
    if (ldisc_read_ready(&t->ld) || t->hung_up)
        mask |= POLLIN;
    if (t->hung_up)
        mask |= POLLHUP;
    *version = t->version;
    spin_unlock(&t->lock);
    return mask;
}

/* -- the console ---------------------------------------------------------- */

struct tty console_tty;

static size_t console_output(struct tty *t, const char *s, size_t n)
{
    (void)t;
    bool locked = console_lock();
    console_write_raw(s, n);
    console_unlock(locked);
    return n;
}

/* What a key sends down a terminal line: its byte, or the VT100 escape
 * sequence of a key that has none. */
static size_t key_bytes(int key, char *out)
{
    static const struct { int key; const char *seq; } seqs[] = {
        { KEY_UP, "\033[A" }, { KEY_DOWN, "\033[B" }, { KEY_RIGHT, "\033[C" },
        { KEY_LEFT, "\033[D" }, { KEY_HOME, "\033[H" }, { KEY_END, "\033[F" },
        { KEY_DELETE, "\033[3~" }, { KEY_PAGE_UP, "\033[5~" }, { KEY_PAGE_DOWN, "\033[6~" },
        { KEY_INSERT, "\033[2~" },
    };
    if (key >= 0 && key <= 0xFF) {
        out[0] = (char)key;
        return 1;
    }
    for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
        if (seqs[i].key == key) {
            size_t n = strlen(seqs[i].seq);
            memcpy(out, seqs[i].seq, n);
            return n;
        }
    }
    return 0;
}

static void console_tty_key(int key, void *ctx)
{
    (void)ctx;
    char bytes[8];
    size_t n = key_bytes(key, bytes);
    tty_input(&console_tty, bytes, n);
}

void console_tty_give(int sid, int pgid)
{
    tty_give(&console_tty, sid, pgid);
    console_set_key_sink(sid ? console_tty_key : NULL, NULL);
}

void console_tty_init(void)
{
    tty_init(&console_tty, console_output, NULL);
}
