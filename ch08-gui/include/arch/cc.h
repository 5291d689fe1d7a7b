/*
 * arch/cc.h: lwIP's view of the compiler and the C library, for a
 * freestanding kernel: the kernel's own string.h, and no stdio, ctype,
 * inttypes or limits headers (lwIP brings what it needs of them, or
 * this file does; include/lwip-libc/stdlib.h is the rest).
 */
#ifndef CUBOS_ARCH_CC_H
#define CUBOS_ARCH_CC_H

#include <stddef.h>
#include <stdint.h>

#include "kprintf.h"
#include "panic.h"
#include "string.h"

#define LWIP_NO_INTTYPES_H 1
#define LWIP_NO_CTYPE_H 1
#define LWIP_NO_LIMITS_H 1
#define INT_MAX __INT_MAX__
#define LWIP_NO_UNISTD_H 1

#define X8_F "02x"
#define U16_F "u"
#define S16_F "d"
#define X16_F "x"
#define U32_F "u"
#define S32_F "d"
#define X32_F "x"
#define SZT_F "zu"

#define BYTE_ORDER LITTLE_ENDIAN
/* Protocol headers laid out byte for byte, as on the wire. */
#define PACK_STRUCT_STRUCT __attribute__((packed))
#define LWIP_ERR_T int

/* lwIP's errno numbers are Linux's, which are the kernel's (errno.h). */
#define LWIP_PROVIDE_ERRNO 0
#define LWIP_ERRNO_STDINCLUDE 0
#define LWIP_ERRNO_INCLUDE "errno.h"

/* Diagnostics: a line on the console; a failed assertion is a kernel bug. */
#define LWIP_PLATFORM_DIAG(x) do { kprintf x; } while (0)
#define LWIP_PLATFORM_ASSERT(x) panic_at(__FILE__, __LINE__, "lwip: assertion failed: %s", x)

#endif
