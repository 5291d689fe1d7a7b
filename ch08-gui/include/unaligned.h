/*
 * unaligned.h: reading a little-endian field at any address, out of a
 * structure someone else laid out (the boot loader's tags, and from
 * chapter 3 the firmware's ACPI tables). Copying the bytes is legal C at
 * any alignment, where a cast to uint32_t * is not; the compiler turns the
 * copy into a single load.
 */
#ifndef CUBOS_UNALIGNED_H
#define CUBOS_UNALIGNED_H

#include <stdint.h>

static inline uint16_t load_u16(const void *p)
{
    uint16_t v;
    __builtin_memcpy(&v, p, sizeof(v));
    return v;
}

static inline uint32_t load_u32(const void *p)
{
    uint32_t v;
    __builtin_memcpy(&v, p, sizeof(v));
    return v;
}

static inline uint64_t load_u64(const void *p)
{
    uint64_t v;
    __builtin_memcpy(&v, p, sizeof(v));
    return v;
}

#endif
