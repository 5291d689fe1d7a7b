/*
 * rshell.c: the remote shell (session.h): the console's shell over TCP.
 *
 * Each accepted connection becomes a session with three threads:
 *
 *   reader   bytes from the connection: while the shell reads a line,
 *            decoded into keys (lib/vt100.c) for the line editor, as the
 *            serial port's are; while a program has the terminal, given
 *            as they are to the session's tty, whose line discipline
 *            echoes them and turns Ctrl-C into SIGINT (fs/tty.c)
 *   shell    the shell loop (kernel/shell.c), with the session as the
 *            terminal of its thread and of every thread started from it
 *   writer   the session's output ring to the connection
 *
 * Output never waits for the network where it is produced: kprintf
 * appends to the ring under a spinlock (it may be called with locks
 * held), and a full ring drops what does not fit, counting it; a program's
 * writes go through the tty, which does wait for room. The writer owns the
 * connection's end: once the session is closed and its output sent, it
 * joins the reader and deletes the netconn. The session's memory goes with
 * its last reference (threads of the session, open files on its tty).
 *
 * The client is anything that opens a TCP connection: `nc HOST 23`,
 * telnet (whose option negotiation bytes are not answered), a test.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwip/api.h"

#include "cpu.h"
#include "errno.h"
#include "fd.h"
#include "format.h"
#include "heap.h"
#include "keys.h"
#include "kprintf.h"
#include "line_edit.h"
#include "session.h"
#include "shell.h"
#include "spinlock.h"
#include "string.h"
#include "thread.h"
#include "trap.h"
#include "tty.h"
#include "vfs.h"
#include "vt100.h"
#include "wait.h"

#define KEY_QUEUE 256
#define OUT_SIZE 16384              /* output waiting for the network */
#define CHUNK 1024                  /* bytes sent per write */
#define COLUMNS 80                  /* what the line editor assumes */
#define RECV_POLL_MS 200            /* how often the reader looks at closed */

struct session {
    struct spinlock lock;           /* guards what follows, to the tty */
    int refs;
    int id;
    bool closed;                    /* the shell ended, or the peer went away */
    bool program;                   /* a program has the terminal */
    int keys[KEY_QUEUE];
    unsigned key_head, key_tail;
    struct wait_queue keys_ready, keys_room, out_ready;
    char out[OUT_SIZE];
    size_t out_head, out_len;
    uint64_t out_dropped;
    struct vt100_decoder decoder;   /* the reader's alone */
    struct netconn *conn;
    struct thread *reader;
    struct tty tty;
    struct line_editor editor;      /* the shell thread's alone */
};

static unsigned sessions;           /* atomic: open now */
static int next_id = 1;             /* atomic */

struct session *session_current(void)
{
    if (trap_in_interrupt())
        return NULL;
    struct thread *t = cpu_current();
    return t ? t->session : NULL;
}

void session_get(struct session *s)
{
    __atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
}

void session_put(struct session *s)
{
    if (__atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) == 0)
        kfree(s);
}

/* Mark the session closed and wake whoever waits on it. */
static void session_close(struct session *s)
{
    spin_lock(&s->lock);
    s->closed = true;
    wait_wake_all(&s->keys_ready);
    wait_wake_all(&s->keys_room);
    wait_wake_all(&s->out_ready);
    spin_unlock(&s->lock);
}

/* -- output ---------------------------------------------------------------- */

/* Append n bytes to the ring, as many as fit; s->lock held. */
static size_t append(struct session *s, const char *b, size_t n)
{
    size_t room = OUT_SIZE - s->out_len, k = n < room ? n : room;
    for (size_t i = 0; i < k; i++)
        s->out[(s->out_head + s->out_len + i) % OUT_SIZE] = b[i];
    s->out_len += k;
    if (k > 0)
        wait_wake_one(&s->out_ready);
    return k;
}

/* Text for the terminal: "\n" goes out as "\r\n", as on the serial line. */
static void write_text(struct session *s, const char *b, size_t n)
{
    spin_lock(&s->lock);
    for (size_t i = 0; i < n && !s->closed; i++) {
        const char *piece = b[i] == '\n' ? "\r\n" : &b[i];
        size_t len = b[i] == '\n' ? 2 : 1;
        if (append(s, piece, len) < len)
            s->out_dropped++;
    }
    spin_unlock(&s->lock);
}

struct batch {
    struct session *s;
    size_t n;
    char buf[128];
};

static void batch_putc(char c, void *ctx)
{
    struct batch *b = ctx;
    b->buf[b->n++] = c;
    if (b->n == sizeof(b->buf)) {
        write_text(b->s, b->buf, b->n);
        b->n = 0;
    }
}

int session_vprintf(struct session *s, const char *fmt, va_list args)
{
    struct batch b = { s, 0, { 0 } };
    int n = format(batch_putc, &b, fmt, args);
    write_text(s, b.buf, b.n);
    return n;
}

/* The tty's device output: already processed (ONLCR), taken as it is.
 * t->lock held; a full ring takes less and the tty waits for room. */
static size_t tty_output(struct tty *t, const char *b, size_t n)
{
    struct session *s = t->priv;
    spin_lock(&s->lock);
    size_t k = s->closed ? n : append(s, b, n);    /* closed: swallowed */
    spin_unlock(&s->lock);
    return k;
}

/* The writer thread: the ring to the connection, then the session's end. */
static void writer(void *arg)
{
    static const struct wait_reason why = { WAIT_DEVICE, "read", "rshell", "output", NULL };
    struct session *s = arg;
    char chunk[CHUNK];
    bool peer_gone = false;
    for (;;) {
        spin_lock(&s->lock);
        while (s->out_len == 0 && !s->closed)
            wait_sleep(&s->out_ready, &s->lock, &why);
        size_t k = s->out_len < CHUNK ? s->out_len : CHUNK;
        size_t first = OUT_SIZE - s->out_head < k ? OUT_SIZE - s->out_head : k;
        memcpy(chunk, s->out + s->out_head, first);
        memcpy(chunk + first, s->out, k - first);
        s->out_head = (s->out_head + k) % OUT_SIZE;
        s->out_len -= k;
        bool done = k == 0 && s->closed;
        spin_unlock(&s->lock);
        if (done)
            break;
        tty_output_room(&s->tty);
        if (!peer_gone && netconn_write(s->conn, chunk, k, NETCONN_COPY) != ERR_OK) {
            peer_gone = true;   /* what is left is dropped; the reader hangs up */
            session_close(s);
        }
    }
    thread_join(s->reader);
    netconn_close(s->conn);
    netconn_delete(s->conn);
    if (s->out_dropped)
        kprintf("rshell: session %d closed (%llu bytes of output dropped)\n", s->id,
                (unsigned long long)s->out_dropped);
    else
        kprintf("rshell: session %d closed\n", s->id);
    __atomic_sub_fetch(&sessions, 1, __ATOMIC_RELAXED);
    session_put(s);
}

/* -- input ----------------------------------------------------------------- */

/* Queue a key for the shell's line editor, waiting for room. */
static void push_key(struct session *s, int key)
{
    static const struct wait_reason why = { WAIT_DEVICE, "write", "rshell", "key room", NULL };
    spin_lock(&s->lock);
    while (s->key_tail - s->key_head == KEY_QUEUE && !s->closed)
        wait_sleep(&s->keys_room, &s->lock, &why);
    s->keys[s->key_tail % KEY_QUEUE] = key;
    s->key_tail++;
    wait_wake_one(&s->keys_ready);
    spin_unlock(&s->lock);
}

static void feed(struct session *s, const char *b, size_t n)
{
    spin_lock(&s->lock);
    bool program = s->program;
    spin_unlock(&s->lock);
    if (program) {
        tty_input(&s->tty, b, n);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        int key = vt100_feed(&s->decoder, (unsigned char)b[i]);
        if (key != VT100_NO_KEY)
            push_key(s, key);
    }
}

/* The reader thread: the connection's bytes to the shell or the program,
 * until the peer closes or the session does. */
static void reader(void *arg)
{
    struct session *s = arg;
    netconn_set_recvtimeout(s->conn, RECV_POLL_MS);
    for (;;) {
        spin_lock(&s->lock);
        bool closed = s->closed;
        spin_unlock(&s->lock);
        if (closed)
            break;
        struct netbuf *nb;
        err_t e = netconn_recv(s->conn, &nb);
        if (e == ERR_TIMEOUT)
            continue;
        if (e != ERR_OK) {
            /* The peer went away: the shell's read ends, a program on the
             * terminal gets SIGHUP, as when a pty's master closes. */
            session_close(s);
            tty_hangup(&s->tty);
            break;
        }
        void *data;
        u16_t len;
        netbuf_first(nb);
        do {
            netbuf_data(nb, &data, &len);
            feed(s, data, len);
        } while (netbuf_next(nb) >= 0);
        netbuf_delete(nb);
    }
    session_put(s);
}

/* Take the next key: -2 once the session is closed and no key is left. */
static int take_key(struct session *s)
{
    static const struct wait_reason why = { WAIT_DEVICE, "read", "rshell", "keys", NULL };
    spin_lock(&s->lock);
    while (s->key_head == s->key_tail && !s->closed)
        wait_sleep(&s->keys_ready, &s->lock, &why);
    int key = -2;
    if (s->key_head != s->key_tail) {
        key = s->keys[s->key_head % KEY_QUEUE];
        s->key_head++;
        wait_wake_one(&s->keys_room);
    }
    spin_unlock(&s->lock);
    return key;
}

static void emit(const char *b, size_t n, void *ctx)
{
    write_text(ctx, b, n);
}

int session_readline(struct session *s, const char *prompt, char *buf, size_t size)
{
    emit(prompt, strlen(prompt), s);
    line_edit_start(&s->editor, COLUMNS - strlen(prompt) % COLUMNS);
    for (;;) {
        int key = take_key(s);
        if (key == -2)
            return -2;
        switch (line_edit_key(&s->editor, key, emit, s)) {
        case LINE_CANCELLED:
            return -1;
        case LINE_DONE: {
            size_t n = line_edit_length(&s->editor);
            if (size == 0)
                return 0;
            n = n < size - 1 ? n : size - 1;
            memcpy(buf, line_edit_text(&s->editor), n);
            buf[n] = '\0';
            return (int)n;
        }
        case LINE_EDITING:
            break;
        }
    }
}

/* -- the terminal a program sees ------------------------------------------- */

void session_tty_give(struct session *s, int sid, int pgid)
{
    tty_give(&s->tty, sid, pgid);
    spin_lock(&s->lock);
    s->program = sid != 0;
    spin_unlock(&s->lock);
}

static long tty_file_read(struct file *f, char *ubuf, size_t n)
{
    return tty_read(&((struct session *)f->priv)->tty, f, ubuf, n);
}

static long tty_file_write(struct file *f, const char *ubuf, size_t n)
{
    return tty_write(&((struct session *)f->priv)->tty, f, ubuf, n);
}

static long tty_file_ioctl(struct file *f, unsigned long cmd, unsigned long arg)
{
    return tty_ioctl(&((struct session *)f->priv)->tty, f, cmd, arg);
}

static unsigned tty_file_poll(struct file *f, uint64_t *version)
{
    return tty_poll(&((struct session *)f->priv)->tty, version);
}

static void tty_file_release(struct file *f)
{
    session_put(f->priv);
}

static const struct file_ops session_tty_ops = {
    .read = tty_file_read, .write = tty_file_write, .ioctl = tty_file_ioctl,
    .poll = tty_file_poll, .release = tty_file_release,
};

int session_tty_open(struct session *s, struct file **out)
{
    struct inode *ino = inode_new(S_IFCHR | 0620);
    int err = ino ? file_open_inode(ino, O_RDWR, out) : -ENOMEM;
    if (err) {
        if (ino)
            inode_put(ino);
        return err;
    }
    session_get(s);
    (*out)->ops = &session_tty_ops;
    (*out)->priv = s;
    return 0;
}

/* -- sessions -------------------------------------------------------------- */

/* The shell thread: the session becomes its terminal (and, through
 * thread_create, that of every thread it starts). */
static void shell(void *arg)
{
    struct session *s = arg;
    thread_current()->session = s;      /* the reference start took for it */
    kprintf("cubos remote shell, session %d: type 'help' for the commands, 'exit' to leave\n", s->id);
    shell_session();
    session_close(s);
}

static void refuse(struct netconn *c, const char *why)
{
    netconn_write(c, why, strlen(why), NETCONN_COPY);
    netconn_close(c);
    netconn_delete(c);
}

static void start(struct netconn *c)
{
    if (__atomic_add_fetch(&sessions, 1, __ATOMIC_RELAXED) > RSHELL_MAX_SESSIONS) {
        __atomic_sub_fetch(&sessions, 1, __ATOMIC_RELAXED);
        refuse(c, "rshell: too many sessions; try again later\r\n");
        return;
    }
    struct session *s = kmalloc(sizeof(*s));
    if (s == NULL) {
        __atomic_sub_fetch(&sessions, 1, __ATOMIC_RELAXED);
        refuse(c, "rshell: out of memory\r\n");
        return;
    }
    memset(s, 0, sizeof(*s));
    s->lock = (struct spinlock)SPINLOCK_INIT("rshell");
    s->refs = 3;                        /* the reader's, the writer's, the shell's */
    s->id = __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);
    s->conn = c;
    tty_init(&s->tty, tty_output, s);
    line_edit_init(&s->editor);
    ip_addr_t ip;
    u16_t port = 0;
    char who[IPADDR_STRLEN_MAX] = "?";
    if (netconn_peer(c, &ip, &port) == ERR_OK)
        ipaddr_ntoa_r(&ip, who, sizeof(who));
    s->reader = thread_create("rshell reader", reader, s);
    struct thread *w = s->reader ? thread_create("rshell writer", writer, s) : NULL;
    struct thread *sh = w ? thread_create("rshell", shell, s) : NULL;
    if (sh == NULL) {
        /* No thread: the session ends as it would when closed. */
        kprintf("rshell: no memory for session %d's threads\n", s->id);
        session_close(s);
        if (w == NULL) {
            if (s->reader)
                thread_join(s->reader);
            __atomic_sub_fetch(&sessions, 1, __ATOMIC_RELAXED);
            refuse(c, "rshell: out of memory\r\n");
            kfree(s);
            return;
        }
        session_put(s);                 /* the shell's, never started */
    }
    kprintf("rshell: session %d from %s:%u\n", s->id, who, port);
    if (w)
        thread_detach(w);
    if (sh)
        thread_detach(sh);
}

static void listener(void *arg)
{
    struct netconn *l = arg;
    for (;;) {
        struct netconn *c;
        if (netconn_accept(l, &c) == ERR_OK)
            start(c);
    }
}

void rshell_start(int port)
{
    struct netconn *l = netconn_new(NETCONN_TCP);
    if (l == NULL || netconn_bind(l, IP_ADDR_ANY, (u16_t)port) != ERR_OK || netconn_listen(l) != ERR_OK) {
        kprintf("rshell: cannot listen on port %d; no remote shell\n", port);
        if (l)
            netconn_delete(l);
        return;
    }
    struct thread *t = thread_create("rshell listen", listener, l);
    if (t == NULL) {
        kprintf("rshell: no memory for its thread; no remote shell\n");
        netconn_delete(l);
        return;
    }
    thread_detach(t);
    kprintf("rshell: the shell on TCP port %d, up to %d sessions\n", port, RSHELL_MAX_SESSIONS);
}

/* -- exit ------------------------------------------------------------------ */

static void cmd_exit(int argc, char **argv)
{
    (void)argv;
    struct session *s = session_current();
    if (argc != 1)
        kprintf("usage: %s\n", exit_command.usage);
    else if (s == NULL)
        kprintf("exit: the console has no session to leave (halt stops the machine)\n");
    else
        session_close(s);
}

const struct shell_command exit_command = {
    "exit", "exit", "leave a remote shell session", cmd_exit,
};
