/*
 * sys_mm.c: memory system calls: mmap and friends, brk.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errno.h"
#include "fd.h"
#include "memlayout.h"
#include "process.h"
#include "sys.h"
#include "vm.h"

#define MAP_TYPE 0x0F
#define MREMAP_MAYMOVE 1

static struct mm *mm(void)
{
    return process_current()->mm;
}

SYS(mmap)
{
    SYS_UNUSED;
    uint64_t addr = a0, len = a1, prot = a2, flags = a3, off = a5;
    int fd = (int)a4;
    unsigned type = flags & MAP_TYPE;
    if (len == 0 || (type != MAP_PRIVATE && type != MAP_SHARED) || (off % PAGE_SIZE) ||
        (prot & ~(uint64_t)(PROT_READ | PROT_WRITE | PROT_EXEC)))
        return -EINVAL;
    if (!(flags & MAP_ANONYMOUS)) {
        /* A file: its bytes are copied in now (part 1 maps files privately,
         * read: what a program loading data does). */
        if (type == MAP_SHARED && (prot & PROT_WRITE))
            return -EINVAL;
        struct file *f = fd_get(process_current()->files, fd);
        if (f == NULL)
            return -EBADF;
        struct inode *ino = f->inode;
        long r = S_ISREG(ino->mode) && !f->ops ? 0 : -ENODEV;
        if (r == 0)
            r = vm_map(mm(), addr, len, (unsigned)prot, (unsigned)flags, VMA_FILE, ino, off);
        if (r >= 0) {
            mutex_lock(&ino->lock);
            if (off < ino->size) {
                size_t n = ino->size - off < len ? ino->size - off : len;
                int err = vm_write(mm(), (uintptr_t)r, ino->data + off, n);
                if (err) {
                    vm_unmap(mm(), (uintptr_t)r, len);
                    r = err;
                }
            }
            mutex_unlock(&ino->lock);
        }
        file_put(f);
        return r;
    }
    long r = vm_map(mm(), addr, len, (unsigned)prot, (unsigned)flags, VMA_ANON, NULL, 0);
    if (r >= 0 && (flags & MAP_POPULATE))
        for (uint64_t p = 0; p < len; p += PAGE_SIZE)
            vm_fault(mm(), (uintptr_t)r + p, false, false);
    return r;
}

SYS(munmap)
{
    SYS_UNUSED;
    return vm_unmap(mm(), a0, a1);
}

SYS(mprotect)
{
    SYS_UNUSED;
    return vm_protect(mm(), a0, a1, (unsigned)a2);
}

/* Advice only: MADV_DONTNEED would free pages, which part 1 keeps. */
SYS(madvise)
{
    SYS_UNUSED;
    return a0 % PAGE_SIZE ? -EINVAL : 0;
}

/* mremap: grow or shrink in place when nothing is in the way, or move
 * with MREMAP_MAYMOVE by mapping anew and copying. Anonymous only. */
SYS(mremap)
{
    SYS_UNUSED;
    uint64_t old = a0, old_len = (a1 + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
    uint64_t new_len = (a2 + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
    if (old % PAGE_SIZE || new_len == 0 || (a3 & ~(uint64_t)MREMAP_MAYMOVE))
        return -EINVAL;
    if (new_len <= old_len) {
        if (new_len < old_len)
            vm_unmap(mm(), old + new_len, old_len - new_len);
        return (long)old;
    }
    long grown = vm_map(mm(), old + old_len, new_len - old_len, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, VMA_ANON, NULL, 0);
    if (grown >= 0)
        return (long)old;
    if (!(a3 & MREMAP_MAYMOVE))
        return -ENOMEM;
    long moved = vm_map(mm(), 0, new_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                        VMA_ANON, NULL, 0);
    if (moved < 0)
        return moved;
    int err = vm_move(mm(), (uintptr_t)moved, old, old_len);
    if (err) {
        vm_unmap(mm(), (uintptr_t)moved, new_len);
        return err;
    }
    vm_unmap(mm(), old, old_len);
    return moved;
}

SYS(brk)
{
    SYS_UNUSED;
    return (long)vm_brk(mm(), a0);
}
