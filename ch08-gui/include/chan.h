/*
 * chan.h: Go's channels, select and timers, for kernel threads.
 *
 * A channel carries values of one fixed size from threads that send to
 * threads that receive. With capacity 0 (unbuffered) a send is a
 * rendezvous: the sender waits until a receiver has taken the value,
 * copied straight from the sender's variable into the receiver's. With
 * capacity n, up to n values wait in a ring and a send waits only when
 * the ring is full. After chan_close, receivers get what is buffered,
 * then the zero value with ok = false; every waiting thread is woken.
 * Sending on a closed channel, or closing one twice, is a bug: the
 * calling thread is stopped with a report, the kernel goes on. A NULL
 * channel is Go's nil channel: sending or receiving on it waits forever,
 * and in a select it is never ready.
 *
 * Every function here that may wait says so ("may sleep") and checks it.
 */
#ifndef CUBOS_CHAN_H
#define CUBOS_CHAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "job.h"
#include "ktimer.h"
#include "spinlock.h"

#define CHAN_NAME_SIZE 24

struct chan_waiter;

/* A queue of waiting senders or receivers, oldest first. */
struct waiter_queue {
    struct chan_waiter *head, *tail;
};

struct chan {
    struct spinlock lock;
    char name[CHAN_NAME_SIZE];
    size_t elem_size;
    size_t cap;                 /* ring slots; 0: unbuffered */
    size_t len;                 /* values in the ring now */
    size_t head;                /* the ring slot received next */
    bool closed;
    struct waiter_queue senders, receivers;
    struct job_resource owner;  /* freed with its job if not before */
    unsigned char *ring;        /* cap * elem_size bytes, after the struct */
};

/* A new channel of cap values of elem_size bytes each (1 to
 * CHAN_MAX_ELEM), named name for reports and ps; NULL if there is no
 * memory. Made by a shell command, it is freed when the command ends
 * unless chan_free freed it first. */
#define CHAN_MAX_ELEM 256
struct chan *chan_new(const char *name, size_t elem_size, size_t cap);

/* Free c. No thread may be waiting on it, be still inside a send or a
 * receive on it (a woken waiter locks it once more on its way out: wait
 * until it has returned, as with a wait group), or use it again. */
void chan_free(struct chan *c);

/* Send the value at elem; waits for a receiver, or for room in the ring.
 * May sleep. */
void chan_send(struct chan *c, const void *elem);

/* Receive a value into elem; waits for one. True if it is a value sent;
 * false (elem zeroed) if c is closed and drained. May sleep. */
bool chan_recv(struct chan *c, void *elem);

/* Send without waiting: true if sent, false if it would have waited.
 * Never sleeps: a timer firing in an interrupt handler uses it. */
bool chan_try_send(struct chan *c, const void *elem);

/* Close c: no more sends. Wakes every thread waiting on it. */
void chan_close(struct chan *c);

/* Values buffered now, and the ring's size. */
size_t chan_len(struct chan *c);
size_t chan_cap(struct chan *c);

/*
 * select: wait until one of the cases can go on, then do it. With several
 * ready at once, one is chosen uniformly at random. A case with a NULL
 * channel is never ready. Returns the index of the case done (a receive's
 * ok is set in its case), or:
 *   SELECT_DEFAULT  with may_wait false, no case was ready;
 *   SELECT_TIMEOUT  timeout_ms (>= 0; SELECT_FOREVER: none) passed first;
 *   SELECT_NO_MEMORY  too many cases to track on the stack, and no memory.
 * May sleep (unless may_wait is false).
 */
enum select_dir { SELECT_SEND, SELECT_RECV };

struct select_case {
    struct chan *c;
    enum select_dir dir;
    void *elem;                 /* the value to send, or where to receive */
    bool ok;                    /* a receive: false if it found c closed */
};

#define SELECT_DEFAULT (-1)
#define SELECT_TIMEOUT (-2)
#define SELECT_NO_MEMORY (-3)
#define SELECT_FOREVER (-1)

int chan_select(struct select_case *cases, int n, bool may_wait, int64_t timeout_ms);

/*
 * Timers as channels, like Go's time.After and time.NewTicker: each
 * delivers the uptime in milliseconds (a uint64_t) on its channel c (of
 * capacity 1) after ms milliseconds, once or every ms. A ticker whose
 * value nobody took yet skips a tick instead of waiting.
 */
struct chan_timer {
    struct ktimer kt;
    struct chan *c;
    struct job_resource owner;
};

struct chan_timer *chan_after(uint64_t ms);
struct chan_timer *chan_ticker(uint64_t ms);

/* Stop t; true if it had not fired yet (a ticker: if it was running). */
bool chan_timer_stop(struct chan_timer *t);

/* Stop t and free it with its channel. */
void chan_timer_free(struct chan_timer *t);

#endif
