/*
 * heap.h: kmalloc and friends, the kernel's general-purpose allocator.
 *
 * Memory from kmalloc is 16-byte aligned and not zeroed. Freed memory is
 * filled with HEAP_POISON, so a use after free reads obvious junk, and a
 * write after free is noticed when the memory is handed out again. Bad
 * calls to kfree (a double free, a pointer kmalloc never returned) are
 * reported on the console and ignored: the heap stays consistent.
 */
#ifndef CUBOS_HEAP_H
#define CUBOS_HEAP_H

#include <stddef.h>

#define HEAP_POISON 0xDE

void *kmalloc(size_t size);
void kfree(void *ptr);
/* Like C's realloc: NULL ptr is kmalloc, size 0 is kfree (returning NULL). */
void *krealloc(void *ptr, size_t size);

struct heap_stats {
    size_t bytes_in_use;    /* bytes of live objects (small ones count their size class) */
    size_t objects_in_use;
    size_t pages;           /* pages the heap holds, used or cached */
    size_t errors;          /* bad frees and writes after free detected */
};

struct heap_stats heap_stats(void);

#endif
