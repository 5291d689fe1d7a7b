/*
 * uaccess.c: the checks around proc/uaccess.S's copies.
 *
 * The range check keeps a program from having the kernel read or write
 * kernel memory on its behalf (a pointer into the kernel half passed to
 * write() would otherwise print kernel secrets). The fault fix-up catches
 * everything else without a per-page check.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errno.h"
#include "memlayout.h"
#include "trap.h"
#include "uaccess.h"

long user_copy(void *dst, const void *src, size_t n);
long user_strncpy(char *dst, const char *src, size_t n);

/* Pairs of (faulting instruction, fix-up), from uaccess.S. */
extern const uint64_t uaccess_fixups[], uaccess_fixups_end[];

bool user_range_ok(uintptr_t addr, size_t n)
{
    return addr < USER_TOP && n <= USER_TOP - addr;
}

int copy_from_user(void *dst, const void *usrc, size_t n)
{
    if (!user_range_ok((uintptr_t)usrc, n))
        return -EFAULT;
    return (int)user_copy(dst, usrc, n);
}

int copy_to_user(void *udst, const void *src, size_t n)
{
    if (!user_range_ok((uintptr_t)udst, n))
        return -EFAULT;
    return (int)user_copy(udst, src, n);
}

long strncpy_from_user(char *dst, const char *usrc, size_t size)
{
    uintptr_t a = (uintptr_t)usrc;
    if (size == 0 || a >= USER_TOP)
        return -EFAULT;
    /* A string that would run past USER_TOP faults at the boundary's
     * unmapped guard (nothing is mapped at the top of the user half). */
    size_t room = USER_TOP - a < size ? USER_TOP - a : size;
    long len = user_strncpy(dst, usrc, room);
    if (len < 0)
        return len;
    if ((size_t)len == room) {
        dst[size - 1] = '\0';
        return room < size ? -EFAULT : -ENAMETOOLONG;
    }
    return len;
}

/* The fix-up of the user access instruction at rip, or 0. */
static uint64_t fixup_for(uint64_t rip)
{
    for (const uint64_t *p = uaccess_fixups; p < uaccess_fixups_end; p += 2)
        if (rip == p[0])
            return p[1];
    return 0;
}

bool uaccess_fixup_pending(const struct trap_frame *tf)
{
    return fixup_for(tf->rip) != 0;
}

bool uaccess_fixup(struct trap_frame *tf)
{
    uint64_t fixup = fixup_for(tf->rip);
    if (fixup)
        tf->rip = fixup;
    return fixup != 0;
}

int user_cmpxchg32_unchecked(uint32_t *uaddr, uint32_t old, uint32_t new);

int user_cmpxchg32(uint32_t *uaddr, uint32_t old, uint32_t new)
{
    if (!user_range_ok((uintptr_t)uaddr, sizeof(*uaddr)) || (uintptr_t)uaddr % sizeof(*uaddr))
        return -EFAULT;
    return user_cmpxchg32_unchecked(uaddr, old, new);
}
