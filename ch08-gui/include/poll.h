/*
 * poll.h: waiting for files to become ready (poll, epoll).
 *
 * A file that can make a reader or writer wait (a pipe, an eventfd, the
 * console) says how ready it is through its file_ops' poll, and calls
 * poll_notify whenever that may have changed. A thread that waits for any
 * of several files reads poll_generation, checks them, and if none is
 * ready sleeps in poll_wait until the next notification: one global
 * wake-up for every change anywhere, simple and correct, at the price of
 * waking every poller for every change (a few pollers in part 1).
 */
#ifndef CUBOS_POLL_H
#define CUBOS_POLL_H

#include <stdint.h>

struct file;

/* Readiness bits, Linux's (poll(2), and the same values for epoll). */
#define POLLIN 0x0001
#define POLLPRI 0x0002
#define POLLOUT 0x0004
#define POLLERR 0x0008
#define POLLHUP 0x0010
#define POLLNVAL 0x0020
#define POLLRDHUP 0x2000

/* Something's readiness may have changed: wake every poll_wait. Never
 * blocks; callable from an interrupt handler. */
void poll_notify(void);

/* How many notifications so far. */
uint64_t poll_generation(void);

/* The deadline of a timeout in milliseconds (negative: none), for
 * poll_wait_until: a wait woken by notifications keeps its deadline. */
uint64_t poll_deadline(int64_t timeout_ms);

/* Sleep until a notification after seen, or the deadline. 0, or
 * -ETIMEDOUT once the deadline has passed (at once if it has), or -EINTR
 * when a signal came for the thread or it was killed. May sleep. */
int poll_wait_until(uint64_t seen, uint64_t deadline);

/* f's readiness now, and in *version a count that grows with each change
 * of its state (for epoll's edge-triggered mode). A file without a poll
 * operation is always readable and writable, version 0. */
unsigned file_poll(struct file *f, uint64_t *version);

#endif
