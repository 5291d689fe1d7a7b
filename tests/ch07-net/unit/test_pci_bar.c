/*
 * test_pci_bar.c: decoding PCI base address registers (drivers/pci_bar.c).
 *
 * Each case gives a BAR as a device would: the value it held and what it
 * read back after all ones were written, built here from a base, a size
 * and the type bits by a small model of a BAR (struct model) written from
 * the PCI Local Bus 3.0 rules (6.2.5.1), independently of the decoder.
 * Covers I/O BARs (32-bit and 16-bit decoders), 32- and 64-bit memory
 * BARs, prefetchable, unimplemented and unassigned ones, sizes from the
 * smallest each kind allows to 4 GiB and above, and refusals: reserved
 * memory types, a 64-bit BAR in the last register, masks that are not a
 * run of ones, bases not aligned to their size. Then the class and
 * device names.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "pci_bar.h"

#include "check.h"

/* A BAR as the device would show it. */
struct model {
    uint32_t lo, hi, mask_lo, mask_hi;
};

static struct model io_bar(uint32_t base, uint32_t size, bool decode16)
{
    uint32_t mask = ~(size - 1) & (decode16 ? 0xFFFFu : 0xFFFFFFFFu);
    return (struct model){ base | 1, 0, mask | 1, 0 };
}

static struct model mem32_bar(uint32_t base, uint32_t size, bool prefetch)
{
    uint32_t flags = prefetch ? 0x8 : 0;
    return (struct model){ base | flags, 0, ~(size - 1) | flags, 0 };
}

static struct model mem64_bar(uint64_t base, uint64_t size, bool prefetch)
{
    uint32_t flags = 0x4 | (prefetch ? 0x8 : 0);
    uint64_t mask = ~(size - 1);
    return (struct model){ (uint32_t)base | flags, (uint32_t)(base >> 32), (uint32_t)mask | flags,
                           (uint32_t)(mask >> 32) };
}

static int decode(struct model m, bool has_next, struct pci_bar *b, const char **why)
{
    *why = NULL;
    return pci_bar_decode(m.lo, m.hi, m.mask_lo, m.mask_hi, has_next, b, why);
}

static void good(struct model m, int used, enum pci_bar_kind kind, uint64_t base, uint64_t size,
                 bool prefetch)
{
    struct pci_bar b;
    const char *why;
    int got = decode(m, true, &b, &why);
    CHECK(got == used);
    CHECK(b.kind == kind);
    CHECK(b.base == base);
    CHECK(b.size == size);
    CHECK(b.prefetchable == prefetch);
    if (got != used || b.base != base || b.size != size)
        fprintf(stderr, "  bar 0x%08x/0x%08x mask 0x%08x/0x%08x: got %d, base 0x%llx size 0x%llx (%s)\n",
                m.lo, m.hi, m.mask_lo, m.mask_hi, got, (unsigned long long)b.base,
                (unsigned long long)b.size, why ? why : "");
}

static void bad(struct model m, bool has_next, const char *reason)
{
    struct pci_bar b;
    const char *why;
    CHECK(decode(m, has_next, &b, &why) == -1);
    CHECK(why != NULL && strstr(why, reason) != NULL);
}

static void io_bars(void)
{
    for (uint32_t size = 4; size <= 256; size *= 2) {
        good(io_bar(0xC000, size, false), 1, PCI_BAR_IO, 0xC000, size, false);
        good(io_bar(0xC000, size, true), 1, PCI_BAR_IO, 0xC000, size, false);
        good(io_bar(0, size, false), 1, PCI_BAR_IO, 0, size, false);    /* unassigned */
    }
    /* QEMU's e1000: 64 ports at 0xc000. */
    good((struct model){ 0xC001, 0, 0xFFFFFFC1, 0 }, 1, PCI_BAR_IO, 0xC000, 64, false);
    /* Not implemented: all ones read back as zero. */
    good((struct model){ 0, 0, 0, 0 }, 1, PCI_BAR_NONE, 0, 0, false);
    good((struct model){ 1, 0, 1, 0 }, 1, PCI_BAR_NONE, 0, 0, false);
    bad((struct model){ 0xC001, 0, 0xFFFF0F01, 0 }, true, "power of two");
    bad(io_bar(0xC010, 64, false), true, "aligned");
}

static void mem32_bars(void)
{
    for (uint64_t size = 16; size <= 0x80000000ull; size *= 2) {
        uint32_t base = (uint32_t)(size >= 0x10000000 ? size : 0xF0000000u);
        good(mem32_bar(base, (uint32_t)size, false), 1, PCI_BAR_MEM32, base, size, false);
        good(mem32_bar(base, (uint32_t)size, true), 1, PCI_BAR_MEM32, base, size, true);
    }
    /* QEMU's VGA: 16 MiB prefetchable at 0xfd000000. */
    good((struct model){ 0xFD000008, 0, 0xFF000008, 0 }, 1, PCI_BAR_MEM32, 0xFD000000, 16 << 20,
         true);
    good((struct model){ 0, 0, 0, 0 }, 1, PCI_BAR_NONE, 0, 0, false);
    good(mem32_bar(0, 4096, false), 1, PCI_BAR_MEM32, 0, 4096, false);   /* unassigned */
    bad((struct model){ 0xF0000002, 0, 0xFFFFF002, 0 }, true, "reserved");     /* type 01 */
    bad((struct model){ 0xF0000006, 0, 0xFFFFF006, 0 }, true, "reserved");     /* type 11 */
    bad((struct model){ 0xF0000000, 0, 0xFFF0F000, 0 }, true, "power of two");
    bad(mem32_bar(0xF0000800, 4096, false), true, "aligned");
}

static void mem64_bars(void)
{
    for (uint64_t size = 16; size <= (1ull << 40); size *= 4) {
        uint64_t base = size < (1ull << 32) ? 0x800000000ull : size * 2;
        good(mem64_bar(base, size, true), 2, PCI_BAR_MEM64, base, size, true);
        good(mem64_bar(base, size, false), 2, PCI_BAR_MEM64, base, size, false);
    }
    /* virtio-net's 16 KiB at 0xfe000000, 64-bit prefetchable. */
    good((struct model){ 0xFE00000C, 0, 0xFFFFC00C, 0xFFFFFFFF }, 2, PCI_BAR_MEM64, 0xFE000000,
         16384, true);
    /* Not implemented, yet two registers. */
    good((struct model){ 0x4, 0, 0x4, 0 }, 2, PCI_BAR_NONE, 0, 0, false);
    bad(mem64_bar(0xFE000000, 16384, true), false, "last register");
    bad((struct model){ 0xFE00000C, 0, 0xFFFFC00C, 0xFFFF0FFF }, true, "power of two");
    bad(mem64_bar(0x100001000ull, 0x10000, false), true, "aligned");
}

static void names(void)
{
    CHECK(strcmp(pci_class_name(0x02, 0x00), "Ethernet controller") == 0);
    CHECK(strcmp(pci_class_name(0x02, 0x80), "Network controller") == 0);
    CHECK(strcmp(pci_class_name(0x06, 0x00), "Host bridge") == 0);
    CHECK(strcmp(pci_class_name(0x06, 0x04), "PCI bridge") == 0);
    CHECK(strcmp(pci_class_name(0x06, 0x80), "Bridge") == 0);
    CHECK(strcmp(pci_class_name(0x42, 0x00), "Unknown class") == 0);
    CHECK(strcmp(pci_device_name(0x8086, 0x100E), "82540EM Gigabit Ethernet (e1000)") == 0);
    CHECK(strcmp(pci_device_name(0x1AF4, 0x1041), "virtio network") == 0);
    CHECK(pci_device_name(0x1AF4, 0x1042) == NULL);
    CHECK(pci_device_name(0xFFFF, 0xFFFF) == NULL);
}

int main(void)
{
    io_bars();
    mem32_bars();
    mem64_bars();
    names();
    if (failures == 0)
        printf("test_pci_bar: all checks passed\n");
    return failures != 0;
}
