/*
 * random.h: random bytes for programs (getrandom, /dev/urandom, AT_RANDOM).
 *
 * From RDSEED/RDRAND when the CPU has them, mixed with the jitter of the
 * TSC between calls, through a pool; never from a constant seed. Not a
 * vetted cryptographic generator: a teaching kernel's honest best effort.
 */
#ifndef CUBOS_RANDOM_H
#define CUBOS_RANDOM_H

#include <stddef.h>

/* Say which sources the CPU offers; once, at boot. */
void random_init(void);

/* Fill buf with n random bytes. */
void random_bytes(void *buf, size_t n);

#endif
