/*
 * thread_stack.h: kernel stacks for threads, each with an unmapped guard
 * page below it, in fixed slots from THREAD_STACKS_BASE.
 *
 * Slots are reused, so creating and ending threads again and again maps
 * and unmaps the same addresses and needs no new page tables.
 */
#ifndef CUBOS_THREAD_STACK_H
#define CUBOS_THREAD_STACK_H

#include <stdint.h>

#define THREAD_STACK_PAGES 4            /* 16 KiB: the most a slot holds */
#define GO_STACK_PAGES 2                /* 8 KiB, for go()'s many small threads */
#define THREAD_STACK_SLOTS 16384

/* Map a fresh stack of pages pages (1 to THREAD_STACK_PAGES); returns its
 * slot and sets *top, or -1 if out of slots or memory. */
int thread_stack_alloc(unsigned pages, uint64_t *top);

/* Unmap slot's stack and free its frames. */
void thread_stack_free(int slot);

/* Pages of freed stacks kept mapped for the next threads (at most
 * STACK_CACHE stacks' worth): memory in use that is not a leak. */
unsigned thread_stack_cached_pages(void);

/* The slot whose guard page holds addr, or -1. */
int thread_stack_guard_slot(uint64_t addr);

#endif
