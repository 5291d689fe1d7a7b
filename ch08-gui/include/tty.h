/*
 * tty.h: terminals: the console and the pseudo-terminals (ch06 part 2).
 *
 * A terminal joins a device to programs. Bytes from the device (keys,
 * or what a terminal emulator writes to a pty master) go through the line
 * discipline (ldisc.h): edited, echoed, turned into signals (^C, ^Z, ^\)
 * for the foreground process group, and kept for read(). Bytes a program
 * writes go through its output processing to the device.
 *
 * Job control: a terminal belongs to at most one session (its controlling
 * terminal), and one process group of that session is in the foreground.
 * A process of that session in another group that reads from it is sent
 * SIGTTIN (and stops); that writes, with TOSTOP set, SIGTTOU; that asks
 * for the foreground (TIOCSPGRP) from the background, SIGTTOU as well.
 * Where the signal is blocked or ignored, or no shell could continue the
 * process (an orphaned group), the call fails with EIO instead.
 */
#ifndef CUBOS_TTY_H
#define CUBOS_TTY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ktimer.h"
#include "ldisc.h"
#include "spinlock.h"
#include "wait.h"

struct file;

struct winsize_k {
    uint16_t rows, cols, xpixel, ypixel;
};

struct tty {
    struct spinlock lock;       /* guards everything below */
    struct ldisc ld;
    struct wait_queue readers;  /* woken by input, a timer, a hangup */
    struct winsize_k winsize;
    int sid;                    /* the session it controls (0: none) */
    int fg_pgid;                /* its foreground process group (0: none) */
    bool hung_up;               /* the other side is gone: reads end, writes fail */
    uint64_t version;           /* bumped at each change, for poll */
    struct wait_queue writers;  /* writes waiting for the device to take more (tty_output_room) */
    /* The device's output: n bytes, already processed; how many it took
     * (fewer when full: a pty whose master is not read). t->lock held. */
    size_t (*output)(struct tty *t, const char *s, size_t n);
    void *priv;                 /* the device's (a pty pair) */
};

/* A terminal with Linux's default settings, writing to output. */
void tty_init(struct tty *t, size_t (*output)(struct tty *t, const char *s, size_t n), void *priv);

/* The device has room for output again: waiting writes go on. */
void tty_output_room(struct tty *t);

/* Bytes from the device: to the line discipline. Never sleeps: an
 * interrupt handler may call it. */
void tty_input(struct tty *t, const char *s, size_t n);

/* The file operations of a terminal, for the device that owns t. May sleep. */
long tty_read(struct tty *t, struct file *f, char *ubuf, size_t n);
long tty_write(struct tty *t, struct file *f, const char *ubuf, size_t n);
long tty_ioctl(struct tty *t, struct file *f, unsigned long cmd, unsigned long arg);
unsigned tty_poll(struct tty *t, uint64_t *version);

/* Make t the controlling terminal of session sid with pgid in the
 * foreground (sid 0: of nobody), its input forgotten, its settings the
 * defaults (the kernel's run, before and after a program). */
void tty_give(struct tty *t, int sid, int pgid);

/* The other side went away (a pty master closed): readers see the end,
 * the foreground group gets SIGHUP. */
void tty_hangup(struct tty *t);

/* The console as a terminal (devfs's /dev/console and /dev/tty). */
extern struct tty console_tty;
void console_tty_init(void);

/* Give the console terminal to session sid with pgid in the foreground:
 * the keys are its from now on (the kernel's run, for its program). sid 0:
 * the keys are the kernel shell's again. */
void console_tty_give(int sid, int pgid);

#endif
