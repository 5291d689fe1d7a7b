/*
 * host_trap.c: the host side of `make bench` for the kernel's interrupt
 * round trip: the nearest thing a Linux process can time is a system call
 * that does almost nothing (getppid), a ring 3 -> ring 0 -> ring 3 round
 * trip through the kernel's entry and exit code.
 * Prints "host int+iretq: <cycles> cycles/op".
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <x86intrin.h>

#define ROUNDS 100000

static uint64_t time_syscalls(void)
{
    uint64_t start = __rdtsc();
    for (unsigned i = 0; i < ROUNDS; i++)
        syscall(SYS_getppid);
    return __rdtsc() - start;
}

int main(void)
{
    time_syscalls();
    printf("host int+iretq: %llu cycles/op\n", (unsigned long long)(time_syscalls() / ROUNDS));
    return 0;
}
