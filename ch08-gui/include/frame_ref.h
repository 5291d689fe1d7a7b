/*
 * frame_ref.h: how many address spaces map each physical frame, for
 * copy-on-write (ch06 part 2).
 *
 * After fork, parent and child map the same frames read-only; each frame
 * then has one reference per mapping. The count kept is the number of
 * references beyond the first, so that the table starts all zero and a
 * frame nobody shares (nearly all of them) costs nothing to track:
 *
 *   extra 0   one mapping: its owner may write it in place
 *   extra n   n + 1 mappings: a write copies it first
 *
 * Pure bookkeeping with atomic operations, the same code in the kernel
 * (mm/frame.c keeps one table for all of memory) and in the host unit
 * tests, which run it from several threads at once.
 */
#ifndef CUBOS_FRAME_REF_H
#define CUBOS_FRAME_REF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FRAME_REF_MAX UINT16_MAX    /* mappings of one frame, at most, minus one */

struct frame_refs {
    uint16_t *extra;            /* per frame: references beyond the first */
    size_t nframes;
};

/* Start with every frame having one reference (or none: a free frame's
 * count is 0 too). extra must hold nframes counts. */
void frame_refs_init(struct frame_refs *r, uint16_t *extra, size_t nframes);

/* One more mapping of frame n. -1 if n is outside the table or the count
 * would pass FRAME_REF_MAX (the caller must not map it again), else 0. */
int frame_refs_get(struct frame_refs *r, size_t n);

/* One mapping of frame n fewer: true if it was the last one (the caller
 * frees the frame), false if others still map it. */
bool frame_refs_put(struct frame_refs *r, size_t n);

/* True if more than one mapping holds frame n. */
bool frame_refs_shared(const struct frame_refs *r, size_t n);

#endif
