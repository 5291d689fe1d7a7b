/*
 * mmio.h: mapping a device's registers (memory-mapped I/O) into the
 * kernel's address space, uncached; and a framebuffer, write-combining.
 *
 * Registers are not memory: a read may pop a FIFO, a write may start a
 * transfer, so the CPU must neither cache them nor merge or reorder the
 * accesses. Pages mapped with PCD and PWT are uncached (UC) whatever the
 * MTRRs say (Intel SDM vol 3A, 11.5.2.2, table 11-7). The direct map is
 * write-back: fine for RAM, not for a BAR above the end of RAM or one the
 * firmware's MTRRs do not cover.
 */
#ifndef CUBOS_MMIO_H
#define CUBOS_MMIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memlayout.h"

/* Map size bytes of device registers at physical address pa, uncached;
 * returns where, or NULL if out of address space or page tables (said).
 * Never unmapped: devices are found once, at boot. */
void *mmio_map(paddr_t pa, size_t size, const char *what);

/* Memory that is only written in bulk, a framebuffer: write-combining,
 * where the CPU gathers writes into bursts instead of sending each one
 * out alone. mmio_wc_init (boot CPU, before any such mapping) turns the
 * memory type on if the CPU has a page attribute table, false if not;
 * each other CPU calls mmio_wc_init_ap as it starts. mmio_map_wc maps as
 * mmio_map does, write-combining if it could be turned on (then *wc is
 * true), else uncached. */
bool mmio_wc_init(void);
void mmio_wc_init_ap(void);
void *mmio_map_wc(paddr_t pa, size_t size, const char *what, bool *wc);

/* Register accesses: volatile, so the compiler neither merges nor drops them. */
static inline uint32_t mmio_read32(const volatile void *base, size_t offset)
{
    return *(const volatile uint32_t *)((const volatile uint8_t *)base + offset);
}

static inline void mmio_write32(volatile void *base, size_t offset, uint32_t value)
{
    *(volatile uint32_t *)((volatile uint8_t *)base + offset) = value;
}

static inline uint16_t mmio_read16(const volatile void *base, size_t offset)
{
    return *(const volatile uint16_t *)((const volatile uint8_t *)base + offset);
}

static inline void mmio_write16(volatile void *base, size_t offset, uint16_t value)
{
    *(volatile uint16_t *)((volatile uint8_t *)base + offset) = value;
}

static inline uint8_t mmio_read8(const volatile void *base, size_t offset)
{
    return *((const volatile uint8_t *)base + offset);
}

static inline void mmio_write8(volatile void *base, size_t offset, uint8_t value)
{
    *((volatile uint8_t *)base + offset) = value;
}

#endif
