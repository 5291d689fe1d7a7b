/*
 * kpage.h: whole pages of kernel memory, the heap's source.
 *
 * One page comes straight from the direct map. A run of pages gets virtual
 * addresses in [KPAGE_BASE, KPAGE_LIMIT), reused once it is freed, backed by
 * frames that need not be contiguous, with an unmapped page after it to
 * catch overruns.
 */
#ifndef CUBOS_KPAGE_H
#define CUBOS_KPAGE_H

#include <stdbool.h>
#include <stddef.h>

/* npages of zeroed, writable, non-executable memory, or NULL when out of
 * memory or out of addresses (at most 4095 runs are out at once). */
void *kpage_alloc(size_t npages);

/* Give back what kpage_alloc(npages) returned; anything else panics. */
void kpage_free(void *addr, size_t npages);

/* True if the page holding addr is mapped, so it can be read without a fault. */
bool kpage_readable(const void *addr);

#endif
