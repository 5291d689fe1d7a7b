/*
 * frame.c: the physical frame allocator, built from the boot memory map.
 *
 * The bitmap (mm/frame_pool.c) covers physical memory up to the highest
 * usable address, holes included: a hole's frames simply stay marked used.
 * The bitmap itself needs memory before there is an allocator, so it is
 * carved out of the first usable region big enough, which is then marked
 * used like the other things that already occupy RAM. Memory map entries
 * whose end does not fit in 64 bits are left out (mb2_mmap_usable): the
 * wrapped end would size the bitmap and the direct map for memory that is
 * not there. Since ch04, threads may allocate at the same time, so a
 * spinlock guards the pool.
 */
#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "frame_pool.h"
#include "frame_ref.h"
#include "kprintf.h"
#include "memlayout.h"
#include "multiboot2.h"
#include "panic.h"
#include "spinlock.h"

#define LOW_MEMORY_END 0x100000   /* BIOS data, real-mode IVT, VGA, ROMs: never handed out */
#define BOOT_MAP_END 0x100000000  /* boot/entry.S direct-maps only the first 4 GiB */

static struct spinlock pool_lock = SPINLOCK_INIT("frames");
static struct frame_pool pool;
static struct frame_refs refs;     /* copy-on-write sharing (frame_ref.h) */
static size_t usable_frames;
static paddr_t phys_limit;

struct range {
    paddr_t start, end;
};

static uint64_t align_up(uint64_t x, uint64_t a)
{
    return (x + a - 1) & ~(a - 1);
}

/* Memory the kernel occupies or must not overwrite, before the bitmap exists. */
static size_t reserved_ranges(const struct boot_info *bi, paddr_t info_phys, struct range *out)
{
    size_t n = 0;
    out[n++] = (struct range){ 0, LOW_MEMORY_END };
    out[n++] = (struct range){ (paddr_t)(uintptr_t)__kernel_phys_start, kernel_to_phys(__kernel_end) };
    out[n++] = (struct range){ info_phys, info_phys + bi->size };
    for (size_t i = 0; i < bi->module_count; i++)
        out[n++] = (struct range){ bi->modules[i].start, bi->modules[i].end };
    return n;
}

static bool overlaps(paddr_t start, paddr_t end, const struct range *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (start < r[i].end && r[i].start < end)
            return true;
    }
    return false;
}

/* The first page-aligned spot in usable RAM where size bytes hit nothing
 * reserved, below BOOT_MAP_END so the boot page tables reach it. */
static paddr_t find_room(const struct boot_info *bi, uint64_t size, const struct range *r, size_t n)
{
    for (size_t i = 0; i < bi->mmap_count; i++) {
        const struct mb2_mmap_entry *e = mb2_mmap_entry(bi, i);
        if (!mb2_mmap_usable(e))
            continue;
        paddr_t end = e->base + e->length;
        if (end > BOOT_MAP_END)
            end = BOOT_MAP_END;
        for (paddr_t at = align_up(e->base, PAGE_SIZE); at + size <= end; at += PAGE_SIZE) {
            if (!overlaps(at, at + size, r, n))
                return at;
        }
    }
    return 0;
}

void frame_init(const struct boot_info *bi, paddr_t info_phys)
{
    for (size_t i = 0; i < bi->mmap_count; i++) {
        const struct mb2_mmap_entry *e = mb2_mmap_entry(bi, i);
        if (mb2_mmap_usable(e) && e->base + e->length > phys_limit)
            phys_limit = e->base + e->length;
    }
    size_t nframes = phys_limit / PAGE_SIZE;
    size_t bitmap_bytes = frame_pool_bitmap_bytes(nframes);
    /* The copy-on-write counts live right after the bitmap. */
    size_t refs_offset = align_up(bitmap_bytes, sizeof(uint64_t));
    size_t table_bytes = refs_offset + nframes * sizeof(uint16_t);

    struct range reserved[3 + MB2_MAX_MODULES + 1];
    size_t nreserved = reserved_ranges(bi, info_phys, reserved);
    paddr_t bitmap_phys = find_room(bi, align_up(table_bytes, PAGE_SIZE), reserved, nreserved);
    if (bitmap_phys == 0)
        panic("no room below 4 GiB for the %zu-byte frame bitmap and counts", table_bytes);
    reserved[nreserved++] = (struct range){ bitmap_phys, bitmap_phys + table_bytes };

    frame_pool_init(&pool, phys_to_virt(bitmap_phys), nframes);
    frame_refs_init(&refs, (uint16_t *)((uint8_t *)phys_to_virt(bitmap_phys) + refs_offset), nframes);
    for (size_t i = 0; i < bi->mmap_count; i++) {
        const struct mb2_mmap_entry *e = mb2_mmap_entry(bi, i);
        if (mb2_mmap_usable(e))
            frame_pool_set_free(&pool, e->base, e->base + e->length);
    }
    usable_frames = pool.nfree;
    for (size_t i = 0; i < nreserved; i++)
        frame_pool_set_used(&pool, reserved[i].start, reserved[i].end);

    kprintf("frames: %zu usable (%zu MiB), %zu free, %zu reserved (kernel %zu KiB, bitmap %zu KiB)\n",
            usable_frames, (size_t)(usable_frames * PAGE_SIZE >> 20), frame_free_count(),
            frame_used_count(), (size_t)(kernel_to_phys(__kernel_end) - (uintptr_t)__kernel_phys_start) / 1024,
            bitmap_bytes / 1024);
}

paddr_t frame_alloc(void)
{
    spin_lock(&pool_lock);
    paddr_t frame = frame_pool_alloc(&pool);
    spin_unlock(&pool_lock);
    return frame;
}

paddr_t frame_alloc_run(size_t count)
{
    spin_lock(&pool_lock);
    paddr_t first = frame_pool_alloc_run(&pool, count);
    spin_unlock(&pool_lock);
    return first;
}

void frame_free(paddr_t frame)
{
    spin_lock(&pool_lock);
    int err = frame_pool_free(&pool, frame);
    spin_unlock(&pool_lock);
    if (err != 0)
        panic("frame_free(0x%llx): not an allocated frame (double free or bad address)",
              (unsigned long long)frame);
}

void frame_share(paddr_t frame)
{
    if (frame_refs_get(&refs, frame / PAGE_SIZE) != 0)
        panic("frame_share(0x%llx): outside memory, or shared %u times already",
              (unsigned long long)frame, FRAME_REF_MAX);
}

void frame_unshare(paddr_t frame)
{
    if (frame_refs_put(&refs, frame / PAGE_SIZE))
        frame_free(frame);
}

bool frame_is_shared(paddr_t frame)
{
    return frame_refs_shared(&refs, frame / PAGE_SIZE);
}

size_t frame_free_count(void)
{
    return pool.nfree;
}

size_t frame_used_count(void)
{
    return usable_frames - pool.nfree;
}

paddr_t frame_phys_limit(void)
{
    return phys_limit;
}
