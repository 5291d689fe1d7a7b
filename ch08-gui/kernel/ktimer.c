/*
 * ktimer.c: a binary min-heap of timers by deadline (see ktimer.h).
 *
 * heap[0] is the earliest. A timer at index i has its children at 2i+1
 * and 2i+2, both due no earlier than it; each timer knows its index, so
 * it can be taken out from the middle of the heap when it is stopped.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errno.h"
#include "heap.h"
#include "ktimer.h"
#include "panic.h"
#include "spinlock.h"
#include "timer.h"

#define HEAP_FIRST_SIZE 64

static struct spinlock lock = SPINLOCK_INIT("timers");
static struct ktimer **heap;
static size_t count, size;

static bool earlier(size_t a, size_t b)
{
    return heap[a]->deadline < heap[b]->deadline;
}

static void swap(size_t a, size_t b)
{
    struct ktimer *t = heap[a];
    heap[a] = heap[b];
    heap[b] = t;
    heap[a]->index = (int)a;
    heap[b]->index = (int)b;
}

static void sift_up(size_t i)
{
    /* LAB(timer-heap): move the timer at i up while it is due before its
     * parent, at (i - 1) / 2 (swap keeps each timer's index right). */
    /* LAB-STUB: (void)i; (void)earlier; (void)swap; */
    /* LAB-STUB: panic("lab timer-heap: sift_up is not written yet"); */
    while (i > 0 && earlier(i, (i - 1) / 2)) {
        swap(i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
    /* END LAB(timer-heap) */
}

static void sift_down(size_t i)
{
    /* LAB(timer-heap): move the timer at i down while one of its children,
     * at 2i + 1 and 2i + 2, is due before it: swap it with the earlier
     * child each time. */
    /* LAB-STUB: (void)i; */
    /* LAB-STUB: panic("lab timer-heap: sift_down is not written yet"); */
    for (;;) {
        size_t first = i, left = 2 * i + 1, right = left + 1;
        if (left < count && earlier(left, first))
            first = left;
        if (right < count && earlier(right, first))
            first = right;
        if (first == i)
            return;
        swap(i, first);
        i = first;
    }
    /* END LAB(timer-heap) */
}

/* Take the timer at index i out of the heap. */
static void remove_at(size_t i)
{
    heap[i]->index = -1;
    count--;
    if (i == count)
        return;
    heap[i] = heap[count];
    heap[i]->index = (int)i;
    sift_down(i);
    sift_up(i);
}

static void insert(struct ktimer *t)
{
    heap[count] = t;
    t->index = (int)count;
    count++;
    sift_up(count - 1);
}

void ktimer_init(struct ktimer *t, void (*fire)(struct ktimer *t))
{
    t->deadline = 0;
    t->period = 0;
    t->fire = fire;
    t->index = -1;
}

int ktimer_start(struct ktimer *t, uint64_t ms, uint64_t period_ms)
{
    spin_lock(&lock);
    if (t->index >= 0) {
        spin_unlock(&lock);
        return -EBUSY;
    }
    if (count == size) {
        /* Grow outside the lock would let two CPUs grow at once; kmalloc
         * under it is fine: the heap's lock never waits for this one. */
        size_t bigger = size ? 2 * size : HEAP_FIRST_SIZE;
        struct ktimer **h = krealloc(heap, bigger * sizeof(*h));
        if (h == NULL) {
            spin_unlock(&lock);
            return -ENOMEM;
        }
        heap = h;
        size = bigger;
    }
    t->deadline = timer_clock_after_ms(ms);
    t->period = period_ms ? timer_clock_after_ms(period_ms) - timer_clock() : 0;
    insert(t);
    spin_unlock(&lock);
    return 0;
}

bool ktimer_stop(struct ktimer *t)
{
    spin_lock(&lock);
    bool pending = t->index >= 0;
    if (pending)
        remove_at((size_t)t->index);
    spin_unlock(&lock);
    return pending;
}

void ktimer_tick(void)
{
    spin_lock(&lock);
    uint64_t now = timer_clock();
    while (count > 0 && heap[0]->deadline <= now) {
        struct ktimer *t = heap[0];
        remove_at(0);
        if (t->period) {
            t->deadline += t->period;
            if (t->deadline <= now)     /* late (ticks lost): do not fire to catch up */
                t->deadline = now + t->period;
            insert(t);
        }
        t->fire(t);
    }
    spin_unlock(&lock);
}

void ktimer_lock(void)
{
    spin_lock(&lock);
}

void ktimer_unlock(void)
{
    spin_unlock(&lock);
}

size_t ktimer_pending(void)
{
    return __atomic_load_n(&count, __ATOMIC_RELAXED);
}
