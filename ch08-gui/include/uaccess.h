/*
 * uaccess.h: reading and writing user memory from the kernel.
 *
 * A system call's pointer arguments come from the program and may point
 * anywhere. These functions refuse a range that is not wholly in the user
 * half (USER_TOP) or that wraps, and turn a fault on the way (an unmapped
 * page, a read-only page written) into -EFAULT (proc/uaccess.S). They may
 * fault in pages a program mapped lazily (proc/vm.c); backing a page takes
 * only spinlocks and never sleeps, so a caller may hold a spinlock (the
 * futex code reads the user word under its bucket's), as long as it is
 * not mm->lock or the page tables' own.
 */
#ifndef CUBOS_UACCESS_H
#define CUBOS_UACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct trap_frame;

/* True if [addr, addr + n) lies in the user half and does not wrap. */
bool user_range_ok(uintptr_t addr, size_t n);

/* Copy n bytes; 0 or -EFAULT (then some of them may have been copied). */
int copy_from_user(void *dst, const void *usrc, size_t n);
int copy_to_user(void *udst, const void *src, size_t n);

/* Copy the NUL-terminated string at usrc into dst (size bytes): its
 * length, -EFAULT, or -ENAMETOOLONG if it does not fit with its NUL. */
long strncpy_from_user(char *dst, const char *usrc, size_t size);

/* Atomically: if the user word at uaddr is old, make it new. 0 if
 * exchanged, 1 if it held another value, -EFAULT. */
int user_cmpxchg32(uint32_t *uaddr, uint32_t old, uint32_t new);

/* The page-fault handler asks: did a user access instruction fault? If
 * so, tf resumes at its fix-up (which returns -EFAULT) and it says true. */
bool uaccess_fixup(struct trap_frame *tf);

/* True if tf stopped at a user access instruction (the fault may be a
 * page to back, before the fix-up is the answer). */
bool uaccess_fixup_pending(const struct trap_frame *tf);

/* For exceptions (trap/idt.c): back a user page, fix up a user copy, or
 * end the program that faulted (proc/user_fault.c). True if handled; false
 * if the fault is the kernel's own. */
bool user_fault_handle(struct trap_frame *tf);

#endif
