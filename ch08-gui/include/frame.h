/*
 * frame.h: the kernel's physical page frames (4 KiB each).
 *
 * Built once from the boot memory map; every other part of the kernel gets
 * its memory from here, through the direct map (phys_to_virt).
 */
#ifndef CUBOS_FRAME_H
#define CUBOS_FRAME_H

#include <stdbool.h>
#include <stddef.h>

#include "memlayout.h"
#include "multiboot2.h"

/* Build the allocator: free every usable frame except the first MiB, the
 * kernel image, the boot information (at info_phys), the modules and the
 * allocator's own bitmap. */
void frame_init(const struct boot_info *bi, paddr_t info_phys);

/* A free frame's physical address (its contents are undefined), or 0 when
 * memory is exhausted: the caller must check. */
__attribute__((warn_unused_result)) paddr_t frame_alloc(void);

/* count frames in a row, physically contiguous, for a device that needs
 * them so (a legacy virtqueue): the first one's address, or 0 when no
 * such run is free. Each frame goes back with frame_free. */
__attribute__((warn_unused_result)) paddr_t frame_alloc_run(size_t count);

/* Give back a frame from frame_alloc or frame_alloc_run; a bad or double free panics. */
void frame_free(paddr_t frame);

/* Copy-on-write (ch06): frames mapped by several address spaces.
 * frame_share: one more mapping of frame (it must be allocated).
 * frame_unshare: one mapping fewer; the last one frees the frame, so an
 * address space gives back every frame it maps this way.
 * frame_is_shared: more than one mapping holds it (a write must copy). */
void frame_share(paddr_t frame);
void frame_unshare(paddr_t frame);
bool frame_is_shared(paddr_t frame);

size_t frame_free_count(void);
size_t frame_used_count(void);  /* usable frames that are taken or reserved */

/* One past the highest usable physical address in the memory map. */
paddr_t frame_phys_limit(void);

#endif
