/* spinlock.c: see spinlock.h for the rules. */
#include <stdbool.h>
#include <stdint.h>

#include "cpu.h"
#include "panic.h"
#include "spinlock.h"

#define RFLAGS_IF (1 << 9)

static uint64_t save_flags_and_disable(void)
{
    uint64_t flags;
    __asm__ volatile("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
    return flags;
}

uint64_t spin_lock(struct spinlock *l)
{
    uint64_t flags = save_flags_and_disable();
    if (spin_held(l))
        panic("spinlock '%s': this CPU already holds it (deadlock)", l->name);
    /* Exchange until we are the one who changed 0 to 1; PAUSE tells the
     * CPU this is a spin-wait loop (SDM vol 2B, PAUSE). */
    while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE) != 0)
        __asm__ volatile("pause");
    l->owner = this_cpu();
    this_cpu()->locks_held++;
    return flags;
}

void spin_unlock(struct spinlock *l, uint64_t saved_flags)
{
    if (!spin_held(l))
        panic("spinlock '%s': released by a CPU that does not hold it", l->name);
    l->owner = 0;
    this_cpu()->locks_held--;
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
    if (saved_flags & RFLAGS_IF)
        __asm__ volatile("sti" : : : "memory");
}

bool spin_held(const struct spinlock *l)
{
    return __atomic_load_n(&l->locked, __ATOMIC_RELAXED) && l->owner == this_cpu();
}
