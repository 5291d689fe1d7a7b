/*
 * stdlib.h, for lwIP's own sources only (the Makefile puts this folder on
 * their include path, not the kernel's): lwIP's mem.c includes it for
 * malloc and free, which lwipopts.h maps to the kernel's kmalloc and
 * kfree, and netif.c for atoi (net/sys_arch.c has one). The kernel has
 * no C library, and nothing else of one is here.
 */
#ifndef CUBOS_LWIP_STDLIB_H
#define CUBOS_LWIP_STDLIB_H

#include <stddef.h>

#include "heap.h"

int atoi(const char *s);

#endif
