/*
 * futex.h: fast user-space mutexes: the one waiting primitive under
 * pthread mutexes, condition variables, joins and Go's runtime locks.
 *
 * A program waits on a 32-bit word of its memory only if the word still
 * holds the value it expects (checked under the bucket's lock, so a wake
 * between the program's check and its sleep is not lost), and wakes
 * waiters on a word by address.
 */
#ifndef CUBOS_FUTEX_H
#define CUBOS_FUTEX_H

#include <stdint.h>

struct process;

/* Wait while *uaddr == val, at most timeout_ms (UINT64_MAX: forever),
 * for a wake whose bitset meets bitset. 0, -EAGAIN (the word differed),
 * -ETIMEDOUT, -EFAULT, -EINVAL. May sleep. */
long futex_wait(struct process *p, uint64_t uaddr, uint32_t val, uint64_t timeout_ms, uint32_t bitset);

/* Wake at most n waiters on uaddr whose bitset meets bitset; how many. */
long futex_wake_bitset(struct process *p, uint64_t uaddr, int n, uint32_t bitset);
long futex_wake(struct process *p, uint64_t uaddr, int n);

#endif
