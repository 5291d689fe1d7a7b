/*
 * vm.h: a user program's address space: its page tables and the regions
 * (VMAs) it has mapped, each with its permissions.
 *
 * A region is backed lazily: mapping it only records it, and the first
 * touch of each page faults into vm_fault, which gives it a zeroed frame
 * (or the file's bytes) with the region's permissions. So a program may
 * reserve gigabytes (Go does) and pay only for the pages it uses.
 */
#ifndef CUBOS_VM_H
#define CUBOS_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memlayout.h"
#include "spinlock.h"

struct inode;

/* Linux's mmap protections and flags (asm-generic/mman-common.h). */
#define PROT_NONE 0
#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_GROWSDOWN 0x100
#define MAP_NORESERVE 0x4000
#define MAP_POPULATE 0x8000
#define MAP_STACK 0x20000
#define MAP_FIXED_NOREPLACE 0x100000

enum vma_kind { VMA_ANON, VMA_FILE, VMA_STACK, VMA_HEAP, VMA_IMAGE };

struct vma {
    uintptr_t start, end;       /* page-aligned, end exclusive */
    unsigned prot;              /* PROT_* */
    enum vma_kind kind;
    bool shared;                /* MAP_SHARED: a child after fork writes the same frames */
    struct inode *file;         /* VMA_FILE: read on a fault (a reference held) */
    uint64_t file_offset;       /* of start */
    struct vma *next;           /* sorted by address */
};

struct mm {
    paddr_t root;               /* the PML4 */
    struct spinlock lock;       /* guards the VMA list and the page tables' user half */
    struct vma *vmas;
    uintptr_t brk_start, brk;   /* the heap: [brk_start, brk) */
    uintptr_t image_end;        /* the end of the loaded image (brk_start before randomisation) */
    size_t pages;               /* frames mapped now */
    int refs;                   /* processes using it (a vfork child borrows its parent's) */
};

/* A new, empty address space with one reference, or NULL when out of memory. */
struct mm *vm_create(void);

/* Take / drop a reference. The last drop unmaps everything and frees it
 * all: no thread may run in it then. */
void vm_get(struct mm *mm);
void vm_put(struct mm *mm);

/* fork: a copy of parent's address space, its regions and its pages:
 * private pages shared copy-on-write (read-only in both until one
 * writes), MAP_SHARED ones shared writable. NULL with *err (-ENOMEM). */
struct mm *vm_fork(struct mm *parent, int *err);

/* Map [start, start + len) (start page-aligned, or 0 for "anywhere") with
 * prot; MAP_FIXED replaces what was there. Returns the address, or a
 * negative errno (-ENOMEM: no room; -EINVAL: bad arguments). */
long vm_map(struct mm *mm, uintptr_t start, size_t len, unsigned prot, unsigned flags,
            enum vma_kind kind, struct inode *file, uint64_t offset);

/* Unmap [start, start + len): 0 or -EINVAL. */
int vm_unmap(struct mm *mm, uintptr_t start, size_t len);

/* Change the permissions of [start, start + len): 0, -ENOMEM if part of
 * it is not mapped, -EINVAL. */
int vm_protect(struct mm *mm, uintptr_t start, size_t len, unsigned prot);

/* Move the heap's end (brk(2)): the new end, or the old one if it cannot. */
uintptr_t vm_brk(struct mm *mm, uintptr_t end);

/* A fault at addr (write: a write access; exec: a fetch): 0 if the page is
 * now mapped and the access may be retried, -EFAULT if nothing is mapped
 * there, -EACCES if the region forbids that access (both SIGSEGV), -ENOMEM
 * if no frame is left. */
int vm_fault(struct mm *mm, uintptr_t addr, bool write, bool exec);

/* Copy n bytes into the address space at uaddr from the kernel, faulting
 * pages in as needed; for building a program before it runs. */
int vm_write(struct mm *mm, uintptr_t uaddr, const void *src, size_t n);

/* Copy the pages touched in [from, from + len) to [to, to + len), both
 * mapped (mremap's move). 0 or a negative errno. */
int vm_move(struct mm *mm, uintptr_t to, uintptr_t from, size_t len);

/* Call visit for each region (for /proc/self/maps). */
void vm_each(struct mm *mm, void (*visit)(const struct vma *v, void *ctx), void *ctx);

#endif
