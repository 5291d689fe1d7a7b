/*
 * random.c: the kernel's random bytes.
 *
 * Entropy comes from the CPU's generator (RDSEED, else RDRAND: SDM vol 1,
 * 7.3.17) when it has one, and always from the TSC, whose low bits at the
 * moment of each call depend on interrupts, cache misses and the host's
 * scheduling. Each request stirs fresh input into a 256-bit pool with a
 * 64-bit mixing function (the finaliser of SplitMix64, by Steele, Lea and
 * Flood) and draws output from it, so the bytes differ from boot to boot
 * and from call to call even on a CPU without a generator.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kprintf.h"
#include "random.h"
#include "spinlock.h"
#include "string.h"
#include "x86.h"

#define HW_RETRIES 10           /* RDRAND may fail transiently (SDM vol 1, 7.3.17.1) */

static struct spinlock pool_lock = SPINLOCK_INIT("random pool");
static uint64_t pool[4];
static uint64_t counter;
static bool has_rdrand, has_rdseed;

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* 64 bits from the CPU's generator, or 0 if it has none (or failed). */
static uint64_t hw_random(void)
{
    uint64_t v;
    bool ok = false;
    for (int i = 0; i < HW_RETRIES && !ok && has_rdseed; i++)
        __asm__ volatile("rdseed %0; setc %1" : "=r"(v), "=qm"(ok));
    for (int i = 0; i < HW_RETRIES && !ok && has_rdrand; i++)
        __asm__ volatile("rdrand %0; setc %1" : "=r"(v), "=qm"(ok));
    return ok ? v : 0;
}

/* Stir fresh input into the pool; pool_lock held. */
static void stir(void)
{
    for (int i = 0; i < 4; i++) {
        uint64_t input = hw_random() ^ rdtsc() ^ (++counter << 32);
        pool[i] = mix64(pool[i] ^ input ^ pool[(i + 1) % 4]);
    }
}

void random_init(void)
{
    uint32_t a, b, c, d;
    cpuid(CPUID_FEATURES, &a, &b, &c, &d);
    has_rdrand = c & CPUID_ECX_RDRAND;
    cpuid(CPUID_STRUCT_FEATURES, &a, &b, &c, &d);
    has_rdseed = b & CPUID7_EBX_RDSEED;
    spin_lock(&pool_lock);
    for (int i = 0; i < 8; i++)
        stir();
    spin_unlock(&pool_lock);
    kprintf("random: %s, mixed with TSC jitter\n",
            has_rdseed ? "RDSEED and RDRAND" : has_rdrand ? "RDRAND" : "no CPU generator");
}

void random_bytes(void *buf, size_t n)
{
    uint8_t *out = buf;
    while (n > 0) {
        spin_lock(&pool_lock);
        stir();
        uint64_t v = mix64(pool[0] ^ pool[2]) ^ mix64(pool[1] + pool[3]);
        spin_unlock(&pool_lock);
        size_t k = n < sizeof(v) ? n : sizeof(v);
        memcpy(out, &v, k);
        out += k;
        n -= k;
    }
}
