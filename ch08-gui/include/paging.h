/*
 * paging.h: 4-level x86-64 page tables (Intel SDM vol 3A, chapter 4.5).
 *
 * An address space is named by the physical address of its top table, the
 * PML4, which is what CR3 holds. Flags are the hardware bits from x86.h:
 * PTE_WRITABLE, PTE_USER, PTE_GLOBAL, PTE_NX, and PTE_PCD | PTE_PWT for a
 * device's registers (ch07); PTE_PRESENT is implied.
 * Every function returns 0 or a negative errno the caller must check.
 */
#ifndef CUBOS_PAGING_H
#define CUBOS_PAGING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memlayout.h"
#include "x86.h"

/* The flags a caller may pass (and pt_translate reports). */
#define PTE_FLAGS_MASK (PTE_WRITABLE | PTE_USER | PTE_GLOBAL | PTE_NX | PTE_PWT | PTE_PCD)

/* A new, empty address space (a zeroed PML4), or 0 when out of memory. */
__attribute__((warn_unused_result)) paddr_t pt_create(void);

/* Map the 4 KiB page at va to the frame pa. -EEXIST if va is mapped,
 * -ENOMEM if a table could not be allocated, -EINVAL if misaligned. */
__attribute__((warn_unused_result))
int pt_map(paddr_t root, uintptr_t va, paddr_t pa, uint64_t flags);

/* The same for a 2 MiB page (both addresses 2 MiB aligned). */
__attribute__((warn_unused_result))
int pt_map_huge(paddr_t root, uintptr_t va, paddr_t pa, uint64_t flags);

/* Remove the mapping of the page at va and flush it from the TLB; the frame
 * it pointed to goes to *pa if pa is not NULL (freeing it is the caller's
 * business). -ENOENT if nothing is mapped there. */
int pt_unmap(paddr_t root, uintptr_t va, paddr_t *pa);

/* Map npages fresh frames, zeroed, at va and the pages after it. On an
 * error (-ENOMEM, or pt_map's) nothing of it stays mapped or allocated. */
__attribute__((warn_unused_result))
int pt_map_fresh(paddr_t root, uintptr_t va, size_t npages, uint64_t flags);

/* Unmap npages pages from va and free their frames. -ENOENT at the first
 * page that is not mapped (the pages before it are unmapped and freed). */
__attribute__((warn_unused_result))
int pt_unmap_free(paddr_t root, uintptr_t va, size_t npages);

/* The physical address va maps to, and the mapping's flags. -ENOENT if unmapped. */
int pt_translate(paddr_t root, uintptr_t va, paddr_t *pa, uint64_t *flags);

/* Replace the flags of the page mapping va and flush it from the TLB. */
int pt_protect(paddr_t root, uintptr_t va, uint64_t flags);

/* Call visit for every present leaf (4 KiB or 2 MiB page) of the address space. */
void pt_walk(paddr_t root, void (*visit)(uintptr_t va, uint64_t entry, uint64_t size, void *ctx), void *ctx);

/*
 * User address spaces (ch06). A user address space has 4 KiB pages only,
 * in the lower half; its upper half is the kernel's, shared.
 */

/* A new address space with the kernel half, or 0 when out of memory. */
__attribute__((warn_unused_result)) paddr_t pt_create_user(void);

/* Free the lower half's tables and the PML4 (its pages already unmapped). */
void pt_destroy_user(paddr_t root);

/* Unmap every page in [start, end) and give each frame to release once no
 * CPU can reach it any more (after the TLB shootdown). The count unmapped. */
size_t pt_unmap_range(paddr_t root, uintptr_t start, uintptr_t end,
                      void (*release)(paddr_t pa, void *ctx), void *ctx);

/* Give every page mapped in [start, end) the flags flags (PTE_FLAGS_MASK
 * bits), and flush them. The count changed. */
size_t pt_protect_range(paddr_t root, uintptr_t start, uintptr_t end, uint64_t flags);

/* Fork (ch06 part 2): map in dst each page that src maps in [start, end),
 * to the same frame, calling share(frame) for each, and count them in
 * *count. With cow, the page loses PTE_WRITABLE in both (the first write
 * copies it, proc/vm.c) and src's stale entries are shot down. 0, or
 * -ENOMEM (the *count pages shared so far stay mapped in dst, for its
 * owner to free). */
int pt_share_range(paddr_t dst, paddr_t src, uintptr_t start, uintptr_t end, bool cow,
                   void (*share)(paddr_t frame), size_t *count);
/* Point the 4 KiB page mapping va at frame pa with flags instead (the
 * frame it had goes to *old), and shoot the old entry down everywhere.
 * -ENOENT if va is not mapped by a 4 KiB page. */
int pt_replace(paddr_t root, uintptr_t va, paddr_t pa, uint64_t flags, paddr_t *old);
/* A shootdown of more pages than this reloads CR3 rather than INVLPG each. */
#define FLUSH_ALL_PAGES 128

#endif
