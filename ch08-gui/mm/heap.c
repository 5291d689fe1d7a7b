/*
 * heap.c: a size-class heap on top of whole pages (kpage_alloc).
 *
 * Requests up to SLAB_MAX_OBJECT bytes are rounded up to a power of two
 * (16 ... 1024) and carved out of "slab" pages: each page serves one size
 * and starts with a header that has a free list and a bitmap of the objects
 * in use. Since slab pages are page-aligned, kfree finds the header by
 * rounding the pointer down, and the bitmap tells a live object from a
 * freed one: that is how a double free is caught exactly. Larger requests
 * get whole pages with the same kind of header in front. Since ch04, one
 * spinlock around each public call keeps threads out of each other's way.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heap.h"
#include "kpage.h"
#include "kprintf.h"
#include "memlayout.h"
#include "spinlock.h"
#include "string.h"

#define SLAB_MAGIC 0x51AB51ABu
#define LARGE_MAGIC 0x1A46E000u
#define HEADER_SIZE 80           /* both headers fit; a multiple of 16 keeps objects aligned */
#define MIN_CLASS_SHIFT 4        /* 16 bytes */
#define NCLASSES 7               /* 16, 32, ... 1024 */
#define SLAB_MAX_OBJECT (1u << (MIN_CLASS_SHIFT + NCLASSES - 1))
#define MAX_OBJECTS ((PAGE_SIZE - HEADER_SIZE) >> MIN_CLASS_SHIFT)

struct free_object {
    struct free_object *next;
};

struct slab {
    uint32_t magic;
    uint32_t object_size;
    struct slab *self;              /* its own address: data that merely looks like a header fails */
    uint32_t capacity;
    uint32_t in_use;
    struct slab *next_partial;      /* next slab of this class with a free object */
    struct free_object *free;
    uint64_t live[(MAX_OBJECTS + 63) / 64];  /* bit set = object handed out */
};

struct large {
    uint32_t magic;
    uint32_t npages;
    struct large *self;
    size_t size;
};

_Static_assert(sizeof(struct slab) <= HEADER_SIZE, "slab header outgrew HEADER_SIZE");

static struct spinlock heap_lock = SPINLOCK_INIT("heap");
static struct slab *partial[NCLASSES];   /* slabs with at least one free object */
static struct heap_stats stats;

static size_t class_of(size_t size)
{
    size_t c = 0;
    while ((size_t)1 << (MIN_CLASS_SHIFT + c) < size)
        c++;
    return c;
}

static void *object_at(struct slab *s, size_t i)
{
    return (uint8_t *)s + HEADER_SIZE + i * s->object_size;
}

static bool bit(const uint64_t *bits, size_t i)
{
    return bits[i / 64] & (1ull << (i % 64));
}

/* True if every byte after the free-list link still holds the poison. */
static bool poison_intact(const void *obj, size_t size)
{
    const uint8_t *p = obj;
    for (size_t i = sizeof(struct free_object); i < size; i++) {
        if (p[i] != HEAP_POISON)
            return false;
    }
    return true;
}

static struct slab *new_slab(size_t c)
{
    struct slab *s = kpage_alloc(1);
    if (s == NULL)
        return NULL;
    stats.pages++;
    s->magic = SLAB_MAGIC;
    s->self = s;
    s->object_size = 1u << (MIN_CLASS_SHIFT + c);
    s->capacity = (PAGE_SIZE - HEADER_SIZE) / s->object_size;
    for (size_t i = s->capacity; i-- > 0;) {
        struct free_object *o = object_at(s, i);
        memset(o, HEAP_POISON, s->object_size);
        o->next = s->free;
        s->free = o;
    }
    return s;
}

static void *slab_alloc(size_t size)
{
    size_t c = class_of(size);
    if (partial[c] == NULL) {
        partial[c] = new_slab(c);
        if (partial[c] == NULL)
            return NULL;
    }
    struct slab *s = partial[c];
    struct free_object *o = s->free;
    s->free = o->next;
    if (s->free == NULL)
        partial[c] = s->next_partial;

    size_t i = ((uint8_t *)o - (uint8_t *)object_at(s, 0)) / s->object_size;
    s->live[i / 64] |= 1ull << (i % 64);
    s->in_use++;
    stats.bytes_in_use += s->object_size;
    if (!poison_intact(o, s->object_size)) {
        stats.errors++;
        kprintf("heap: %u-byte object %p was written after it was freed\n", s->object_size, (void *)o);
    }
    return o;
}

static void remove_partial(struct slab *s, size_t c)
{
    for (struct slab **p = &partial[c]; *p; p = &(*p)->next_partial) {
        if (*p == s) {
            *p = s->next_partial;
            return;
        }
    }
}

/* The index of the object starting at ptr, or -1 if no object starts there. */
static long slab_index(const struct slab *s, const void *ptr)
{
    const uint8_t *first = (const uint8_t *)s + HEADER_SIZE;
    if ((const uint8_t *)ptr < first)
        return -1;
    size_t offset = (size_t)((const uint8_t *)ptr - first);
    if (offset % s->object_size != 0 || offset / s->object_size >= s->capacity)
        return -1;
    return (long)(offset / s->object_size);
}

/* Put ptr back on its slab; false (and a report) if it is not a live object there. */
static bool slab_free(struct slab *s, void *ptr)
{
    long i = slab_index(s, ptr);
    if (i < 0) {
        stats.errors++;
        kprintf("heap: kfree(%p): not the start of a %u-byte object\n", ptr, s->object_size);
        return false;
    }
    if (!bit(s->live, (size_t)i)) {
        stats.errors++;
        kprintf("heap: kfree(%p): double free of a %u-byte object\n", ptr, s->object_size);
        return false;
    }
    s->live[i / 64] &= ~(1ull << (i % 64));
    s->in_use--;
    stats.bytes_in_use -= s->object_size;

    struct free_object *o = ptr;
    memset(o, HEAP_POISON, s->object_size);
    bool was_full = s->free == NULL;
    o->next = s->free;
    s->free = o;

    size_t c = class_of(s->object_size);
    if (was_full) {
        s->next_partial = partial[c];
        partial[c] = s;
    }
    /* Give an empty slab back unless it is the only one this class has left. */
    if (s->in_use == 0 && !(partial[c] == s && s->next_partial == NULL)) {
        remove_partial(s, c);
        s->magic = 0;
        kpage_free(s, 1);
        stats.pages--;
    }
    return true;
}

static void *large_alloc(size_t size)
{
    if (size > SIZE_MAX - HEADER_SIZE - PAGE_SIZE)
        return NULL;
    size_t npages = (HEADER_SIZE + size + PAGE_SIZE - 1) / PAGE_SIZE;
    struct large *l = kpage_alloc(npages);
    if (l == NULL)
        return NULL;
    l->magic = LARGE_MAGIC;
    l->self = l;
    l->npages = (uint32_t)npages;
    l->size = size;
    stats.pages += npages;
    stats.bytes_in_use += size;
    return (uint8_t *)l + HEADER_SIZE;
}

static void large_free(struct large *l)
{
    size_t npages = l->npages;
    stats.bytes_in_use -= l->size;
    memset(l, HEAP_POISON, npages * PAGE_SIZE);
    kpage_free(l, npages);
    stats.pages -= npages;
}

static void *heap_alloc(size_t size)
{
    if (size == 0)
        size = 1;
    void *p = size <= SLAB_MAX_OBJECT ? slab_alloc(size) : large_alloc(size);
    if (p != NULL)
        stats.objects_in_use++;
    return p;
}

/* The header of the page ptr points into, or NULL if that page is unmapped. */
static uint32_t *page_header(const void *ptr)
{
    uint32_t *page = (uint32_t *)((uintptr_t)ptr & ~(uintptr_t)(PAGE_SIZE - 1));
    return kpage_readable(page) ? page : NULL;
}

/* A pointer into the middle of a large block lands on a page of caller data;
 * only a header that names itself, with sizes the heap could have written, counts. */
static bool is_slab(const uint32_t *header)
{
    const struct slab *s = (const struct slab *)header;
    return header != NULL && s->magic == SLAB_MAGIC && s->self == s &&
           s->object_size >= (1u << MIN_CLASS_SHIFT) && s->object_size <= SLAB_MAX_OBJECT &&
           (s->object_size & (s->object_size - 1)) == 0 &&
           s->capacity == (PAGE_SIZE - HEADER_SIZE) / s->object_size;
}

static bool is_large_start(const uint32_t *header, const void *ptr)
{
    const struct large *l = (const struct large *)header;
    return header != NULL && l->magic == LARGE_MAGIC && l->self == l &&
           (const uint8_t *)ptr == (const uint8_t *)header + HEADER_SIZE;
}

static void heap_free(void *ptr)
{
    if (ptr == NULL)
        return;
    uint32_t *header = page_header(ptr);
    if (is_slab(header)) {
        if (slab_free((struct slab *)header, ptr))
            stats.objects_in_use--;
    } else if (is_large_start(header, ptr)) {
        large_free((struct large *)header);
        stats.objects_in_use--;
    } else {
        stats.errors++;
        kprintf("heap: kfree(%p): not a pointer from kmalloc (or freed already)\n", ptr);
    }
}

/* How many bytes the object at ptr can hold, or 0 if ptr is not a live object. */
static size_t usable_size(const void *ptr)
{
    const uint32_t *header = page_header(ptr);
    if (is_slab(header)) {
        const struct slab *s = (const struct slab *)header;
        long i = slab_index(s, ptr);
        if (i >= 0 && bit(s->live, (size_t)i))
            return s->object_size;
    } else if (is_large_start(header, ptr)) {
        return ((const struct large *)header)->size;
    }
    return 0;
}

static void *heap_realloc(void *ptr, size_t size)
{
    if (ptr == NULL)
        return heap_alloc(size);
    if (size == 0) {
        heap_free(ptr);
        return NULL;
    }
    size_t old = usable_size(ptr);
    if (old == 0) {
        stats.errors++;
        kprintf("heap: krealloc(%p): not a live pointer from kmalloc\n", ptr);
        return NULL;
    }
    if (size <= old && size > old / 2)
        return ptr;
    void *p = heap_alloc(size);
    if (p == NULL)
        return NULL;        /* like realloc: the old block stays valid */
    memcpy(p, ptr, size < old ? size : old);
    heap_free(ptr);
    return p;
}

void *kmalloc(size_t size)
{
    spin_lock(&heap_lock);
    void *p = heap_alloc(size);
    spin_unlock(&heap_lock);
    return p;
}

void kfree(void *ptr)
{
    spin_lock(&heap_lock);
    heap_free(ptr);
    spin_unlock(&heap_lock);
}

void *krealloc(void *ptr, size_t size)
{
    spin_lock(&heap_lock);
    void *p = heap_realloc(ptr, size);
    spin_unlock(&heap_lock);
    return p;
}

struct heap_stats heap_stats(void)
{
    spin_lock(&heap_lock);
    struct heap_stats s = stats;
    spin_unlock(&heap_lock);
    return s;
}
