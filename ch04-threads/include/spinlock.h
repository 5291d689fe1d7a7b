/*
 * spinlock.h: mutual exclusion for short critical sections, safe against
 * interrupts and ready for several CPUs.
 *
 * spin_lock turns interrupts off on this CPU (an interrupt handler that
 * wanted the same lock would otherwise spin forever against the code it
 * interrupted), then takes the lock with an atomic exchange (which holds
 * across CPUs). spin_unlock restores the interrupt flag as it was.
 * Rules: hold a spinlock briefly, never sleep holding one except the
 * scheduler's own handoff (thread.c), and never take one you already hold:
 * that is reported as a deadlock.
 */
#ifndef CUBOS_SPINLOCK_H
#define CUBOS_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>

struct cpu;

struct spinlock {
    uint32_t locked;
    const char *name;
    struct cpu *owner;              /* for the self-deadlock check */
};

#define SPINLOCK_INIT(lock_name) { 0, lock_name, 0 }

/* Take l with interrupts off; returns the old RFLAGS for spin_unlock. */
uint64_t spin_lock(struct spinlock *l);

/* Release l and put the interrupt flag back as saved. */
void spin_unlock(struct spinlock *l, uint64_t saved_flags);

/* True if this CPU holds l. */
bool spin_held(const struct spinlock *l);

#endif
