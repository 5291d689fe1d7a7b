/*
 * chan.c: channels: send, receive, close (see chan.h).
 *
 * One spinlock per channel guards its ring, its flags and its two waiter
 * queues (waiter.h). At most one of the queues is ever non-empty, and
 * receivers wait only while the ring is empty, senders only while it is
 * full. A value goes straight from one thread's variable to the other's
 * whenever one of them is already waiting: a receiver that finds a
 * sender waiting copies from the sender's stack, a sender that finds a
 * receiver waiting copies to the receiver's. A thread waits with
 * thread_park, which lets go of the channel's lock only once the thread
 * is sure to be woken by whoever claims its waiter.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backtrace.h"
#include "chan.h"
#include "heap.h"
#include "panic.h"
#include "string.h"
#include "thread.h"
#include "waiter.h"

static unsigned char *slot(struct chan *c, size_t i)
{
    return c->ring + (i % c->cap) * c->elem_size;
}

void waiters_push(struct waiter_queue *q, struct chan_waiter *w)
{
    w->next = NULL;
    w->prev = q->tail;
    if (q->tail)
        q->tail->next = w;
    else
        q->head = w;
    q->tail = w;
    w->queued = true;
}

void waiters_remove(struct waiter_queue *q, struct chan_waiter *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        q->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        q->tail = w->prev;
    w->queued = false;
}

/* The oldest waiter in q whose select this thread wins, taken out of q;
 * waiters of selects already won elsewhere are dropped on the way. */
static struct chan_waiter *claim_first(struct waiter_queue *q)
{
    while (q->head) {
        struct chan_waiter *w = q->head;
        waiters_remove(q, w);
        int pending = SELECT_PENDING;
        if (__atomic_compare_exchange_n(&w->sel->fired, &pending, w->index, false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            return w;
    }
    return NULL;
}

bool chan_deliver(struct chan *c, const void *elem)
{
    /* LAB(chan-handoff): send elem on c without waiting, if it can be done
     * now: straight into a waiting receiver's variable (claim_first, then
     * set its ok and unpark its thread), else into the ring if it has
     * room. False if neither. */
    /* LAB-STUB: (void)elem; (void)claim_first; */
    /* LAB-STUB: panic("lab chan-handoff: chan_deliver('%s') is not written yet", c->name); */
    struct chan_waiter *r = claim_first(&c->receivers);
    if (r) {
        memcpy(r->elem, elem, c->elem_size);
        r->ok = true;
        thread_unpark(r->sel->thread);
        return true;
    }
    if (c->len < c->cap) {
        memcpy(slot(c, c->head + c->len), elem, c->elem_size);
        c->len++;
        return true;
    }
    return false;
    /* END LAB(chan-handoff) */
}

bool chan_take(struct chan *c, void *elem, bool *ok)
{
    /* LAB(chan-handoff): receive from c into elem without waiting, if it
     * can be done now: the oldest value in the ring (and then a waiting
     * sender's value takes the freed slot), else straight from a waiting
     * sender, else, if c is closed, the zero value with *ok false. False
     * if none of these. */
    /* LAB-STUB: (void)elem; (void)ok; (void)slot; */
    /* LAB-STUB: panic("lab chan-handoff: chan_take('%s') is not written yet", c->name); */
    if (c->len > 0) {
        memcpy(elem, slot(c, c->head), c->elem_size);
        c->head = (c->head + 1) % c->cap;
        c->len--;
        /* A sender waiting for room: its value takes the slot just freed. */
        struct chan_waiter *s = claim_first(&c->senders);
        if (s) {
            memcpy(slot(c, c->head + c->len), s->elem, c->elem_size);
            c->len++;
            s->ok = true;
            thread_unpark(s->sel->thread);
        }
        *ok = true;
        return true;
    }
    struct chan_waiter *s = claim_first(&c->senders);
    if (s) {
        memcpy(elem, s->elem, c->elem_size);
        s->ok = true;
        thread_unpark(s->sel->thread);
        *ok = true;
        return true;
    }
    if (c->closed) {
        memset(elem, 0, c->elem_size);
        *ok = false;
        return true;
    }
    return false;
    /* END LAB(chan-handoff) */
}

void chan_bug(struct chan *c, const char *what, const char *note, const void *caller)
{
    thread_stop_for_bug(caller, "%s '%s'%s", what, c->name, note);
}

static void release(struct job_resource *r)
{
    struct chan *c = (struct chan *)((char *)r - offsetof(struct chan, owner));
    kfree(c);
}

struct chan *chan_new(const char *name, size_t elem_size, size_t cap)
{
    if (elem_size == 0 || elem_size > CHAN_MAX_ELEM)
        return NULL;
    if (cap > (SIZE_MAX - sizeof(struct chan)) / elem_size)
        return NULL;
    struct chan *c = kmalloc(sizeof(*c) + cap * elem_size);
    if (c == NULL)
        return NULL;
    memset(c, 0, sizeof(*c));
    size_t n = strlen(name);
    if (n >= CHAN_NAME_SIZE)
        n = CHAN_NAME_SIZE - 1;
    memcpy(c->name, name, n);
    c->lock = (struct spinlock)SPINLOCK_INIT(c->name);
    c->elem_size = elem_size;
    c->cap = cap;
    c->ring = (unsigned char *)(c + 1);
    c->owner.release = release;
    job_adopt(&c->owner);
    return c;
}

void chan_free(struct chan *c)
{
    if (c == NULL)
        return;
    spin_lock(&c->lock);
    bool waited_on = c->senders.head || c->receivers.head;
    spin_unlock(&c->lock);
    if (waited_on)
        chan_bug(c, "chan_free of channel", " while threads wait on it", __builtin_return_address(0));
    job_forget(&c->owner);
    kfree(c);
}

/* Wait forever, as on Go's nil channel (a deadlock, unless others run). */
static void wait_forever(const char *op)
{
    static struct spinlock nothing = SPINLOCK_INIT("nil channel");
    struct wait_reason why = { WAIT_SYNC, op, "channel", "nil", NULL };
    spin_lock(&nothing);
    struct spinlock *held[] = { &nothing };
    thread_park(held, 1, &why);
    thread_unwind();            /* only a kill ends it */
}

/* Wait as w on c's queue q until claimed; c locked, unlocked on return.
 * Returns w's ok; a killed thread unwinds instead. */
static bool wait_on(struct chan *c, struct waiter_queue *q, struct chan_waiter *w, const char *op)
{
    struct select_state sel = { thread_current(), SELECT_PENDING, SPINLOCK_INIT("select") };
    w->sel = &sel;
    w->index = 0;
    waiters_push(q, w);
    struct wait_reason why = { WAIT_SYNC, op, "channel", c->name, NULL };
    struct spinlock *held[] = { &c->lock };
    thread_park(held, 1, &why);
    /* Whoever claimed w did so holding c's lock: once we hold it, they
     * are done with w. Unclaimed, w is still queued: we were killed. */
    spin_lock(&c->lock);
    if (w->queued)
        waiters_remove(q, w);
    spin_unlock(&c->lock);
    if (__atomic_load_n(&sel.fired, __ATOMIC_ACQUIRE) == SELECT_PENDING)
        thread_unwind();
    return w->ok;
}

void chan_send(struct chan *c, const void *elem)
{
    might_sleep();
    if (c == NULL)
        wait_forever("send to");
    spin_lock(&c->lock);
    if (c->closed) {
        spin_unlock(&c->lock);
        chan_bug(c, "send on closed channel", "", __builtin_return_address(0));
    }
    if (chan_deliver(c, elem)) {
        spin_unlock(&c->lock);
        return;
    }
    struct chan_waiter w = { .elem = (void *)elem };
    if (!wait_on(c, &c->senders, &w, "send to"))
        chan_bug(c, "send on closed channel", " (closed while the send waited)", __builtin_return_address(0));
}

bool chan_recv(struct chan *c, void *elem)
{
    might_sleep();
    if (c == NULL)
        wait_forever("recv from");
    spin_lock(&c->lock);
    bool ok;
    if (chan_take(c, elem, &ok)) {
        spin_unlock(&c->lock);
        return ok;
    }
    struct chan_waiter w = { .elem = elem };
    return wait_on(c, &c->receivers, &w, "recv from");
}

bool chan_try_send(struct chan *c, const void *elem)
{
    if (c == NULL)
        return false;
    spin_lock(&c->lock);
    bool sent = !c->closed && chan_deliver(c, elem);
    spin_unlock(&c->lock);
    return sent;
}

void chan_close(struct chan *c)
{
    if (c == NULL)
        thread_stop_for_bug(__builtin_return_address(0), "close of a nil channel");
    spin_lock(&c->lock);
    if (c->closed) {
        spin_unlock(&c->lock);
        chan_bug(c, "close of closed channel", "", __builtin_return_address(0));
    }
    c->closed = true;
    for (struct chan_waiter *r; (r = claim_first(&c->receivers)) != NULL;) {
        memset(r->elem, 0, c->elem_size);
        r->ok = false;
        thread_unpark(r->sel->thread);
    }
    for (struct chan_waiter *s; (s = claim_first(&c->senders)) != NULL;) {
        s->ok = false;
        thread_unpark(s->sel->thread);
    }
    spin_unlock(&c->lock);
}

size_t chan_len(struct chan *c)
{
    if (c == NULL)
        return 0;
    spin_lock(&c->lock);
    size_t n = c->len;
    spin_unlock(&c->lock);
    return n;
}

size_t chan_cap(struct chan *c)
{
    return c ? c->cap : 0;
}
