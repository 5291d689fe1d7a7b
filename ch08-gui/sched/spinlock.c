/* spinlock.c: see spinlock.h for the rules. */
#include <stdbool.h>
#include <stdint.h>

#include "cpu.h"
#include "panic.h"
#include "spinlock.h"
#include "x86.h"

void irq_push_off(void)
{
    bool were_on = irq_enabled();
    irq_disable();
    struct cpu *cpu = this_cpu();
    if (cpu->irq_off_depth++ == 0)
        cpu->irq_were_on = were_on;
}

void irq_pop_off(void)
{
    struct cpu *cpu = this_cpu();
    if (cpu->irq_off_depth == 0)
        panic("irq_pop_off without irq_push_off");
    if (--cpu->irq_off_depth == 0 && cpu->irq_were_on)
        irq_enable();
}

void spin_lock(struct spinlock *l)
{
    irq_push_off();
    if (spin_held(l))
        panic("spinlock '%s': this CPU already holds it (deadlock)", l->name);
    /* Exchange until we are the one who changed 0 to 1; PAUSE tells the
     * CPU this is a spin-wait loop (SDM vol 2B, PAUSE). */
    while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE) != 0)
        __asm__ volatile("pause");
    l->owner = this_cpu();
    this_cpu()->locks_held++;
}

void spin_unlock(struct spinlock *l)
{
    if (!spin_held(l))
        panic("spinlock '%s': released by a CPU that does not hold it", l->name);
    l->owner = 0;
    this_cpu()->locks_held--;
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
    irq_pop_off();
}

bool spin_held(const struct spinlock *l)
{
    return __atomic_load_n(&l->locked, __ATOMIC_RELAXED) && l->owner == this_cpu();
}
