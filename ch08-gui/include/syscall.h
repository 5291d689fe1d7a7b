/*
 * syscall.h: system calls: Linux's x86-64 numbers and calling convention.
 *
 * A program puts the number in RAX and up to six arguments in RDI, RSI,
 * RDX, R10, R8, R9, and executes SYSCALL; the result comes back in RAX, a
 * negative errno for an error (the C library turns it into errno and -1).
 * A number the kernel does not implement returns -ENOSYS and is reported
 * once per program on the console, by name, so a student sees at once
 * which call a program needs next.
 */
#ifndef CUBOS_SYSCALL_H
#define CUBOS_SYSCALL_H

#include <stdbool.h>
#include <stdint.h>

struct trap_frame;

typedef long (*syscall_fn)(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                           uint64_t a5);

/* Kernel code's own system call under an unused number nr (eggos's
 * syscall example): 0, -EINVAL (out of range), -EEXIST (taken). */
int syscall_register(unsigned nr, const char *name, syscall_fn fn);

/* From syscall/entry.S with the caller's registers: run the call, put
 * the result in tf->rax. True if SYSRET may return (see entry.S). */
bool syscall_dispatch(struct trap_frame *tf);

/* The name of syscall nr ("openat"), or NULL. */
const char *syscall_name(unsigned nr);

#endif
