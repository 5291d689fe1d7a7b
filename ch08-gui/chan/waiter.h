/*
 * waiter.h: how a thread waits on channels (chan.c and select.c only).
 *
 * A thread that must wait puts a chan_waiter, on its own stack, in the
 * channel's queue of senders or receivers: where its value is, or where
 * the value must go. A select puts one on every channel it waits on, all
 * sharing one select_state. Whoever completes a waiter's operation (a
 * sender finding a waiting receiver, a receiver finding a waiting sender,
 * chan_close, a select's timeout) first claims the select_state with an
 * atomic compare-and-swap of `fired` from SELECT_PENDING to the case's
 * index. Only the winner touches the waiter and wakes the thread, so a
 * select woken on two channels at once completes exactly one case; the
 * losing waiters stay queued until their thread takes them back.
 */
#ifndef CUBOS_CHAN_WAITER_H
#define CUBOS_CHAN_WAITER_H

#include <stdbool.h>

#include "chan.h"
#include "spinlock.h"
#include "thread.h"

#define SELECT_PENDING (-100)       /* no case fired yet */

struct select_state {
    struct thread *thread;
    int fired;                      /* SELECT_PENDING, a case's index or SELECT_TIMEOUT */
    struct spinlock lock;           /* a timeout's firing waits for the thread to be parked */
};

struct chan_waiter {
    struct chan_waiter *next, *prev;
    struct select_state *sel;
    void *elem;                     /* a sender's value, or where a receiver wants it */
    int index;                      /* its case in the select (0 for a plain send or receive) */
    bool ok;                        /* set by the claimer: value passed (false: closed) */
    bool queued;
};

void waiters_push(struct waiter_queue *q, struct chan_waiter *w);
void waiters_remove(struct waiter_queue *q, struct chan_waiter *w);

/* Send elem on c now if a receiver waits or the ring has room; c locked. */
bool chan_deliver(struct chan *c, const void *elem);

/* Receive from c into elem now if it has a value, a waiting sender or is
 * closed (*ok false, elem zeroed); c locked. */
bool chan_take(struct chan *c, void *elem, bool *ok);

/* Report a misuse of c ("send on closed channel 'c'" and a note) and stop
 * the calling thread. */
__attribute__((noreturn)) void chan_bug(struct chan *c, const char *what, const char *note,
                                        const void *caller);

#endif
