/*
 * ldisc.h: the terminal line discipline: what a terminal does between the
 * keys typed and the bytes a program reads, and between the bytes a
 * program writes and the screen (termios(3); Linux calls it N_TTY).
 *
 * Canonical mode (ICANON, the default) edits input a line at a time.
 * Typed bytes collect in the line being edited; ERASE (DEL), WERASE (^W)
 * and KILL (^U) take them back. A read sees nothing until the line is
 * finished: by a newline, EOL or EOL2, which the read gets at the line's
 * end, or by EOF (^D), which it does not, so ^D on an empty line makes one
 * read return 0, end of file. A read takes at most one line.
 * Raw (non-canonical) mode: every byte is readable at once, unedited;
 * VMIN and VTIME say when a read returns (ldisc_read_policy).
 *
 * Echo (ECHO) shows typed bytes back, a control character as ^X with
 * ECHOCTL. ECHOE wipes erased characters off the screen ("\b \b");
 * ECHOK and ECHOKE say how KILL shows. With ISIG, INTR (^C), QUIT (^\)
 * and SUSP (^Z) are signals, not data. IEXTEN enables WERASE, REPRINT
 * (^R: show the line again), LNEXT (^V: the next byte is data, whatever it
 * is) and EOL2. Output processing (OPOST) turns "\n" into "\r\n" (ONLCR);
 * echo goes through it too. A special character set to 0 is disabled.
 *
 * The line discipline is pure logic: no locks, no sleeping, no allocation.
 * The tty driver owns one per terminal and holds the terminal's spinlock
 * around every call. The driver keeps for itself the waiting (and the
 * VTIME timer), sending signals to the foreground process group, the job
 * control checks (background reads, TOSTOP), the window size and the
 * device output. Left out: flow control (IXON only swallows ^S and ^Q),
 * breaks and parity (BRKINT, PARMRK), IMAXBEL, tab expansion, case mapping.
 */
#ifndef CUBOS_LDISC_H
#define CUBOS_LDISC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* struct termios as the TCGETS/TCSETS ioctls pass it (Linux x86-64,
 * asm-generic/termbits.h). */
#define NCCS 19
struct termios_k {
    uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
    uint8_t c_line;
    uint8_t c_cc[NCCS];
};

/* c_iflag */
#define BRKINT 0x002
#define ISTRIP 0x020
#define INLCR 0x040
#define IGNCR 0x080
#define ICRNL 0x100
#define IXON 0x400
#define IUTF8 0x4000
/* c_oflag */
#define OPOST 0x01
#define ONLCR 0x04
#define OCRNL 0x08
/* c_cflag */
#define B38400 0x0F
#define CS8 0x30
#define CREAD 0x80
/* c_lflag */
#define ISIG 0x0001
#define ICANON 0x0002
#define ECHO 0x0008
#define ECHOE 0x0010
#define ECHOK 0x0020
#define ECHONL 0x0040
#define NOFLSH 0x0080
#define TOSTOP 0x0100
#define ECHOCTL 0x0200
#define ECHOKE 0x0800
#define IEXTEN 0x8000
/* c_cc indexes */
#define VINTR 0
#define VQUIT 1
#define VERASE 2
#define VKILL 3
#define VEOF 4
#define VTIME 5
#define VMIN 6
#define VSTART 8
#define VSTOP 9
#define VSUSP 10
#define VEOL 11
#define VREPRINT 12
#define VDISCARD 13             /* set, as Linux sets it, but not acted on (as Linux) */
#define VWERASE 14
#define VLNEXT 15
#define VEOL2 16

/* Bytes of input held: finished lines, raw bytes and the line being edited
 * together (Linux's N_TTY_BUF_SIZE). A canonical line holds at most
 * LDISC_BUF_SIZE - 1 bytes before its newline. */
#define LDISC_BUF_SIZE 4096

/* Where echo goes: n bytes for the device, already output-processed. */
typedef void (*ldisc_emit_fn)(const char *s, size_t n, void *ctx);

struct ldisc {
    struct termios_k t;
    char line[LDISC_BUF_SIZE];  /* the line being edited (canonical mode only) */
    size_t line_len;
    unsigned line_col;          /* the screen column its echo began at */
    char in[LDISC_BUF_SIZE];    /* a ring of bytes for read(): finished lines, or raw bytes */
    size_t in_head, in_len;
    uint8_t line_end[LDISC_BUF_SIZE / 8];   /* a bit per slot of in: this byte ends a line */
    uint8_t eof_mark[LDISC_BUF_SIZE / 8];   /* a bit per slot: no data, an EOF on an empty line */
    size_t in_lines;            /* line ends in in */
    size_t in_eofs;             /* EOF marks in in */
    bool lnext;                 /* the next byte is data (VLNEXT was typed) */
    unsigned column;            /* the cursor's column, as output and echo moved it */
    ldisc_emit_fn emit;         /* NULL: echo is dropped */
    void *emit_ctx;
};

/* What a typed byte asks the tty to do: send SIGINT, SIGQUIT or SIGTSTP to
 * the terminal's foreground process group. */
enum ldisc_signal { LDISC_NO_SIGNAL, LDISC_INTR, LDISC_QUIT, LDISC_SUSP };

/* Linux's default terminal (stty sane, plus IUTF8), empty, echoing to emit. */
void ldisc_init(struct ldisc *l, ldisc_emit_fn emit, void *ctx);

/* One byte from the keyboard, serial line or pty master: edit, echo, store.
 * A byte with no room left is dropped, unechoed. The signal the tty must
 * send (the input is then flushed, unless NOFLSH), or LDISC_NO_SIGNAL. */
enum ldisc_signal ldisc_input(struct ldisc *l, uint8_t c);

/* Whether a read would return now: canonical, a line (or an EOF) is
 * finished; raw, a byte is there (VMIN is ldisc_read_policy's). */
bool ldisc_read_ready(const struct ldisc *l);

/* Take up to n bytes for read(): canonical, at most one line (the rest of
 * it on the next call); raw, all there is. Call when ldisc_read_ready: a
 * canonical 0 is then end of file (one EOF mark taken). The count. */
size_t ldisc_read(struct ldisc *l, char *buf, size_t n);

/* Bytes reads could take now, over every finished line (FIONREAD). */
size_t ldisc_readable(const struct ldisc *l);

/*
 * When a raw-mode read of n bytes may return (termios(3)). The tty loops:
 * take ldisc_read's bytes; return once it has `min` bytes or the timer
 * has expired; else sleep. The four cases, MIN and TIME from c_cc:
 *   MIN = 0, TIME = 0   { 0, 0, false }         at once, maybe with nothing
 *   MIN > 0, TIME = 0   { min(MIN, n), 0, false }   no timer
 *   MIN = 0, TIME > 0   { 1, TIME*100, false }  timer started with the read;
 *                                               expiring, the read returns 0
 *   MIN > 0, TIME > 0   { min(MIN, n), TIME*100, true }   no timer until the
 *                       first byte, then restarted at every byte
 * Canonical mode gives { 1, 0, false }: wait for ldisc_read_ready.
 */
struct ldisc_wait {
    size_t min;                 /* return once this many bytes are read */
    unsigned timeout_ms;        /* 0: no timer */
    bool interbyte;             /* the timer starts at the first byte, again at each */
};
struct ldisc_wait ldisc_read_policy(const struct ldisc *l, size_t n);

/* Output processing for write() (OPOST: ONLCR, OCRNL): turn in[0..n) into
 * at most out_size bytes of out (2 * n always suffice) and keep the cursor
 * column. The bytes made; *consumed = the bytes of in used, so a caller
 * with a fixed buffer (out_size >= 2) loops until all are. */
size_t ldisc_output(struct ldisc *l, const char *in, size_t n, char *out, size_t out_size,
                    size_t *consumed);

/* TCSETS/TCSETSW/TCSETSF (the tty drains output or flushes input first).
 * ICANON off: the line being edited and every finished line become raw
 * bytes, all readable; on: raw bytes waiting become one finished line. */
void ldisc_set_termios(struct ldisc *l, const struct termios_k *t);

/* Forget every byte typed and not yet read (TCFLSH TCIFLUSH, signals). */
void ldisc_flush_input(struct ldisc *l);

#endif
