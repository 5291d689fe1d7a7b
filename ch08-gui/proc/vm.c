/*
 * vm.c: user address spaces: regions, lazy backing, mmap's bookkeeping.
 *
 * The regions (struct vma) are a list sorted by address; a program has a
 * few dozen, so a list is enough and easy to follow. Page tables hold only
 * the pages touched so far. mm->lock, a spinlock, guards the list and the
 * page tables' user half; nothing done under it sleeps (frames come from
 * frame_alloc, which does not).
 *
 * Layout (memlayout.h): the program's image where its ELF says (or at
 * USER_PIE_BASE), the heap (brk) right after it, mmap regions downward
 * from USER_MMAP_TOP, the stack below USER_STACK_TOP. Nothing is mapped
 * below USER_MIN, so a NULL pointer faults.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errno.h"
#include "frame.h"
#include "heap.h"
#include "memlayout.h"
#include "paging.h"
#include "panic.h"
#include "string.h"
#include "uaccess.h"
#include "vfs.h"
#include "vm.h"
#include "x86.h"

#define PAGE_MASK ((uintptr_t)PAGE_SIZE - 1)
/* Frames user pages may not take: the kernel's own allocations (page
 * tables, stacks, the heap) must still succeed while a program that
 * allocates without end is stopped and its memory given back. */
#define KERNEL_RESERVE_FRAMES 1024

/* True if [start, start + len) may be mapped: from USER_MIN to USER_MAP_END. */
static bool mappable(uintptr_t start, size_t len)
{
    return start >= USER_MIN && start <= USER_MAP_END && len <= USER_MAP_END - start;
}

static uintptr_t page_up(uintptr_t a)
{
    return (a + PAGE_MASK) & ~PAGE_MASK;
}

/* The page-table flags that give a region's protection. */
static uint64_t pte_flags(unsigned prot)
{
    uint64_t f = PTE_USER;
    if (prot & PROT_WRITE)
        f |= PTE_WRITABLE;
    if (!(prot & PROT_EXEC))
        f |= PTE_NX;
    return f;
}

struct mm *vm_create(void)
{
    struct mm *mm = kmalloc(sizeof(*mm));
    if (mm == NULL)
        return NULL;
    memset(mm, 0, sizeof(*mm));
    mm->root = pt_create_user();
    if (mm->root == 0) {
        kfree(mm);
        return NULL;
    }
    mm->lock = (struct spinlock)SPINLOCK_INIT("mm");
    mm->refs = 1;
    return mm;
}


/* A page unmapped: its frame goes back unless another address space
 * still maps it (copy-on-write after fork). */
static void release_frame(paddr_t pa, void *ctx)
{
    struct mm *mm = ctx;
    frame_unshare(pa);
    mm->pages--;
}

static void vma_free(struct vma *v)
{
    if (v->file)
        inode_put(v->file);
    kfree(v);
}

static void vm_destroy(struct mm *mm)
{
    pt_unmap_range(mm->root, 0, USER_TOP, release_frame, mm);
    for (struct vma *v = mm->vmas, *next; v; v = next) {
        next = v->next;
        vma_free(v);
    }
    if (mm->pages != 0)
        panic("vm_destroy: %zu pages still counted after unmapping everything", mm->pages);
    pt_destroy_user(mm->root);
    kfree(mm);
}

void vm_get(struct mm *mm)
{
    __atomic_add_fetch(&mm->refs, 1, __ATOMIC_RELAXED);
}

void vm_put(struct mm *mm)
{
    if (__atomic_sub_fetch(&mm->refs, 1, __ATOMIC_ACQ_REL) == 0)
        vm_destroy(mm);
}

static struct vma *find_vma(struct mm *mm, uintptr_t addr)
{
    for (struct vma *v = mm->vmas; v && v->start <= addr; v = v->next)
        if (addr < v->end)
            return v;
    return NULL;
}

/* Make addr a region boundary, splitting the region across it. */
static int split_at(struct mm *mm, uintptr_t addr)
{
    struct vma *v = find_vma(mm, addr);
    if (v == NULL || v->start == addr)
        return 0;
    struct vma *tail = kmalloc(sizeof(*tail));
    if (tail == NULL)
        return -ENOMEM;
    *tail = *v;
    tail->start = addr;
    tail->file_offset += addr - v->start;
    if (tail->file)
        inode_get(tail->file);
    v->end = addr;
    v->next = tail;
    return 0;
}

/* Unmap [start, end) with mm->lock held: both ends already split. */
static void unmap_locked(struct mm *mm, uintptr_t start, uintptr_t end)
{
    struct vma **pp = &mm->vmas;
    while (*pp) {
        struct vma *v = *pp;
        if (v->start >= start && v->end <= end) {
            *pp = v->next;
            vma_free(v);
        } else {
            pp = &v->next;
        }
    }
    pt_unmap_range(mm->root, start, end, release_frame, mm);
}

/* The highest gap of len bytes below USER_MMAP_TOP, or 0. */
static uintptr_t find_gap(struct mm *mm, size_t len)
{
    uintptr_t best = 0, prev_end = USER_MIN;
    for (struct vma *v = mm->vmas;; v = v->next) {
        uintptr_t gap_end = v ? v->start : USER_TOP;
        if (gap_end > USER_MMAP_TOP)
            gap_end = USER_MMAP_TOP;
        if (gap_end > prev_end && gap_end - prev_end >= len)
            best = gap_end - len;
        if (v == NULL || v->end >= USER_MMAP_TOP)
            break;
        prev_end = v->end;
    }
    return best;
}

static bool overlaps(struct mm *mm, uintptr_t start, uintptr_t end)
{
    for (struct vma *v = mm->vmas; v && v->start < end; v = v->next)
        if (v->end > start)
            return true;
    return false;
}

long vm_map(struct mm *mm, uintptr_t start, size_t len, unsigned prot, unsigned flags,
            enum vma_kind kind, struct inode *file, uint64_t offset)
{
    if (len == 0 || (start & PAGE_MASK) || len > USER_TOP)
        return -EINVAL;
    len = page_up(len);
    struct vma *v = kmalloc(sizeof(*v));
    if (v == NULL)
        return -ENOMEM;
    spin_lock(&mm->lock);
    long err = 0;
    bool fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
    if (fixed && !mappable(start, len))
        err = -ENOMEM;
    else if ((flags & MAP_FIXED_NOREPLACE) && overlaps(mm, start, start + len))
        err = -EEXIST;
    else if (flags & MAP_FIXED) {
        err = split_at(mm, start);
        if (err == 0)
            err = split_at(mm, start + len);
        if (err == 0)
            unmap_locked(mm, start, start + len);
    } else if (!mappable(start, len) || overlaps(mm, start, start + len)) {
        start = find_gap(mm, len);     /* the address was a hint: take another */
        if (start == 0)
            err = -ENOMEM;
    }
    if (err) {
        spin_unlock(&mm->lock);
        kfree(v);
        return err;
    }
    *v = (struct vma){ start, start + len, prot, kind, flags & MAP_SHARED, file, offset, NULL };
    if (file)
        inode_get(file);
    struct vma **pp = &mm->vmas;
    while (*pp && (*pp)->start < start)
        pp = &(*pp)->next;
    v->next = *pp;
    *pp = v;
    spin_unlock(&mm->lock);
    return (long)start;
}

int vm_unmap(struct mm *mm, uintptr_t start, size_t len)
{
    if ((start & PAGE_MASK) || len == 0 || !user_range_ok(start, page_up(len)))
        return -EINVAL;
    uintptr_t end = start + page_up(len);
    spin_lock(&mm->lock);
    int err = split_at(mm, start);
    if (err == 0)
        err = split_at(mm, end);
    if (err == 0)
        unmap_locked(mm, start, end);
    spin_unlock(&mm->lock);
    return err;
}

int vm_protect(struct mm *mm, uintptr_t start, size_t len, unsigned prot)
{
    if ((start & PAGE_MASK) || !user_range_ok(start, page_up(len)) ||
        (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)))
        return -EINVAL;
    uintptr_t end = start + page_up(len);
    spin_lock(&mm->lock);
    /* Every byte must be mapped (Linux: ENOMEM otherwise). */
    uintptr_t covered = start;
    for (struct vma *v = mm->vmas; v && covered < end; v = v->next)
        if (v->start <= covered && v->end > covered)
            covered = v->end;
    int err = covered < end ? -ENOMEM : split_at(mm, start);
    if (err == 0)
        err = split_at(mm, end);
    if (err == 0) {
        for (struct vma *v = mm->vmas; v && v->start < end; v = v->next)
            if (v->start >= start)
                v->prot = prot;
        /* Pages already touched take the new permissions now; PROT_NONE
         * pages go, and fault if touched. */
        if (prot == PROT_NONE) {
            pt_unmap_range(mm->root, start, end, release_frame, mm);
        } else {
            /* Not PTE_WRITABLE, whatever prot says: a page may be shared
             * copy-on-write; the first write fault decides (vm_fault). */
            pt_protect_range(mm->root, start, end, pte_flags(prot) & ~(uint64_t)PTE_WRITABLE);
        }
    }
    spin_unlock(&mm->lock);
    return err;
}

uintptr_t vm_brk(struct mm *mm, uintptr_t end)
{
    spin_lock(&mm->lock);
    uintptr_t old = mm->brk;
    struct vma *heap = find_vma(mm, mm->brk_start);
    if (end < mm->brk_start || end >= USER_MMAP_TOP || heap == NULL || heap->kind != VMA_HEAP) {
        spin_unlock(&mm->lock);
        return old;
    }
    uintptr_t new_end = page_up(end);
    if (new_end < heap->end) {
        pt_unmap_range(mm->root, new_end, heap->end, release_frame, mm);
        heap->end = new_end > heap->start ? new_end : heap->start + PAGE_SIZE;
    } else if (new_end > heap->end) {
        if (overlaps(mm, heap->end, new_end)) {
            spin_unlock(&mm->lock);
            return old;
        }
        heap->end = new_end;
    }
    mm->brk = end;
    spin_unlock(&mm->lock);
    return end;
}

/* Map a fresh zeroed frame at the page of addr, with mm->lock held. */
static int populate_locked(struct mm *mm, struct vma *v, uintptr_t page)
{
    paddr_t present;
    if (pt_translate(mm->root, page, &present, NULL) == 0)
        return 0;               /* another thread faulted it in first */
    if (frame_free_count() < KERNEL_RESERVE_FRAMES)
        return -ENOMEM;
    paddr_t pa = frame_alloc();
    if (pa == 0)
        return -ENOMEM;
    page_zero(phys_to_virt(pa));
    int err = pt_map(mm->root, page, pa, pte_flags(v->prot));
    if (err) {
        frame_free(pa);
        return err;
    }
    mm->pages++;
    return 0;
}

/* A write to page, mapped read-only in a region that allows writing:
 * the page is shared copy-on-write, or it was, or mprotect left it
 * read-only (vm_protect). A frame this address space alone maps (or a
 * MAP_SHARED region's) just becomes writable; a shared one is copied
 * into a frame of its own, and this mapping's reference to the old one
 * dropped. mm->lock held. */
static int make_writable_locked(struct mm *mm, struct vma *v, uintptr_t page)
{
    paddr_t old;
    if (pt_translate(mm->root, page, &old, NULL) != 0)
        return -EFAULT;
    if (v->shared || !frame_is_shared(old))
        return pt_protect(mm->root, page, pte_flags(v->prot));
    if (frame_free_count() < KERNEL_RESERVE_FRAMES)
        return -ENOMEM;
    paddr_t copy = frame_alloc();
    if (copy == 0)
        return -ENOMEM;
    memcpy(phys_to_virt(copy), phys_to_virt(old), PAGE_SIZE);
    int err = pt_replace(mm->root, page, copy, pte_flags(v->prot), &old);
    if (err) {
        frame_free(copy);
        return err;
    }
    frame_unshare(old);
    return 0;
}

int vm_fault(struct mm *mm, uintptr_t addr, bool write, bool exec)
{
    if (addr >= USER_TOP)
        return -EFAULT;
    spin_lock(&mm->lock);
    struct vma *v = find_vma(mm, addr);
    int err;
    if (v == NULL)
        err = -EFAULT;
    else if (v->prot == PROT_NONE || (write && !(v->prot & PROT_WRITE)) ||
             (exec && !(v->prot & PROT_EXEC)))
        err = -EACCES;
    else {
        uint64_t flags;
        if (pt_translate(mm->root, addr, NULL, &flags) != 0)
            err = populate_locked(mm, v, addr & ~PAGE_MASK);
        else if (write && !(flags & PTE_WRITABLE))
            err = make_writable_locked(mm, v, addr & ~PAGE_MASK);  /* the region allows it */
        else if (exec && (flags & PTE_NX))
            err = -EACCES;      /* mapped: the access broke the page's permissions */
        else
            err = 0;            /* another thread backed it first: try again */
    }
    spin_unlock(&mm->lock);
    return err;
}

int vm_write(struct mm *mm, uintptr_t uaddr, const void *src, size_t n)
{
    const uint8_t *from = src;
    while (n > 0) {
        uintptr_t page = uaddr & ~PAGE_MASK;
        size_t off = uaddr - page, chunk = PAGE_SIZE - off < n ? PAGE_SIZE - off : n;
        spin_lock(&mm->lock);
        struct vma *v = find_vma(mm, uaddr);
        int err = v ? populate_locked(mm, v, page) : -EFAULT;
        paddr_t pa = 0;
        if (err == 0 && pt_translate(mm->root, page, &pa, NULL) == 0 && frame_is_shared(pa))
            err = make_writable_locked(mm, v, page);
        if (err == 0 && pt_translate(mm->root, page, &pa, NULL) != 0)
            err = -EFAULT;
        if (err == 0)
            memcpy((uint8_t *)phys_to_virt(pa) + off, from, chunk);
        spin_unlock(&mm->lock);
        if (err)
            return err;
        uaddr += chunk;
        from += chunk;
        n -= chunk;
    }
    return 0;
}

void vm_each(struct mm *mm, void (*visit)(const struct vma *v, void *ctx), void *ctx)
{
    spin_lock(&mm->lock);
    for (struct vma *v = mm->vmas; v; v = v->next)
        visit(v, ctx);
    spin_unlock(&mm->lock);
}

int vm_move(struct mm *mm, uintptr_t to, uintptr_t from, size_t len)
{
    for (size_t off = 0; off < len; off += PAGE_SIZE) {
        paddr_t pa;
        spin_lock(&mm->lock);
        bool present = pt_translate(mm->root, from + off, &pa, NULL) == 0;
        spin_unlock(&mm->lock);
        /* A page never touched reads as zeros: the new one is zero too. */
        if (present) {
            int err = vm_write(mm, to + off, phys_to_virt(pa), PAGE_SIZE);
            if (err)
                return err;
        }
    }
    return 0;
}

/* Give every page of [start, end) a frame (for a MAP_SHARED region about
 * to be shared with a child: a page neither had touched would otherwise
 * become two private ones). mm->lock held. */
static int populate_range_locked(struct mm *mm, struct vma *v)
{
    for (uintptr_t page = v->start; page < v->end; page += PAGE_SIZE) {
        int err = populate_locked(mm, v, page);
        if (err)
            return err;
    }
    return 0;
}

static void share_frame(paddr_t pa)
{
    frame_share(pa);
}

struct mm *vm_fork(struct mm *parent, int *err)
{
    struct mm *child = vm_create();
    if (child == NULL) {
        *err = -ENOMEM;
        return NULL;
    }
    *err = 0;
    spin_lock(&parent->lock);
    child->brk_start = parent->brk_start;
    child->brk = parent->brk;
    child->image_end = parent->image_end;
    struct vma **tail = &child->vmas;
    for (struct vma *v = parent->vmas; v && *err == 0; v = v->next) {
        struct vma *copy = kmalloc(sizeof(*copy));
        if (copy == NULL) {
            *err = -ENOMEM;
            break;
        }
        *copy = *v;
        copy->next = NULL;
        if (copy->file)
            inode_get(copy->file);
        *tail = copy;
        tail = &copy->next;
        /* A PROT_NONE region has no pages to give (a fault refuses it). */
        if (v->shared && v->prot != PROT_NONE)
            *err = populate_range_locked(parent, v);
        if (*err == 0) {
            /* Private pages become copy-on-write in both; MAP_SHARED ones
             * stay writable, one frame for both. */
            size_t n;
            *err = pt_share_range(child->root, parent->root, v->start, v->end, !v->shared,
                                  share_frame, &n);
            child->pages += n;  /* counted even on failure: vm_put unmaps them */
        }
    }
    spin_unlock(&parent->lock);
    if (*err) {
        vm_put(child);
        return NULL;
    }
    return child;
}
