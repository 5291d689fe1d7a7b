/*
 * frame_ref.c: the copy-on-write reference counts (frame_ref.h).
 *
 * Two address spaces may drop their references to one frame at the same
 * moment (a parent and its child both exiting, or both writing to a
 * shared page on two CPUs): the decrement is a compare-and-swap loop, so
 * exactly one of them sees "last" and frees the frame, and no count ever
 * goes below zero.
 */
#include "frame_ref.h"

void frame_refs_init(struct frame_refs *r, uint16_t *extra, size_t nframes)
{
    r->extra = extra;
    r->nframes = nframes;
    for (size_t i = 0; i < nframes; i++)
        extra[i] = 0;
}

int frame_refs_get(struct frame_refs *r, size_t n)
{
    if (n >= r->nframes)
        return -1;
    uint16_t old = __atomic_load_n(&r->extra[n], __ATOMIC_RELAXED);
    do {
        if (old == FRAME_REF_MAX)
            return -1;
    } while (!__atomic_compare_exchange_n(&r->extra[n], &old, (uint16_t)(old + 1), false,
                                          __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
    return 0;
}

bool frame_refs_put(struct frame_refs *r, size_t n)
{
    if (n >= r->nframes)
        return true;            /* never shared: its one reference was the last */
    uint16_t old = __atomic_load_n(&r->extra[n], __ATOMIC_RELAXED);
    do {
        if (old == 0)
            return true;
    } while (!__atomic_compare_exchange_n(&r->extra[n], &old, (uint16_t)(old - 1), false,
                                          __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
    return false;
}

bool frame_refs_shared(const struct frame_refs *r, size_t n)
{
    return n < r->nframes && __atomic_load_n(&r->extra[n], __ATOMIC_ACQUIRE) > 0;
}
