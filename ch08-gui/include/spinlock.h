/*
 * spinlock.h: mutual exclusion for short critical sections, safe against
 * interrupts and ready for several CPUs.
 *
 * spin_lock turns interrupts off on this CPU (an interrupt handler that
 * wanted the same lock would otherwise spin forever against the code it
 * interrupted), then takes the lock with an atomic exchange (which holds
 * across CPUs). Rules: hold a spinlock briefly, never sleep holding one
 * except the scheduler's own handoff (thread.c), and never take one you
 * already hold: that is reported as a deadlock.
 *
 * Interrupts off nest, per CPU (xv6's push_off/pop_off): irq_push_off
 * counts one level deeper and remembers, at the outermost level, whether
 * interrupts were on; irq_pop_off turns them back on only when the count
 * returns to zero. Every spinlock is one level, so locks may be released in
 * any order: interrupts stay off until the last one is released, and come
 * back on only if they were on before the first was taken. Inside such a
 * section, never turn interrupts on by hand (irq_enable): the count would
 * no longer tell the truth.
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

/* Take l, with interrupts off on this CPU until the matching spin_unlock. */
void spin_lock(struct spinlock *l);

/* Release l; interrupts come back on with the last lock this CPU releases
 * (if they were on before its first). */
void spin_unlock(struct spinlock *l);

/* True if this CPU holds l. */
bool spin_held(const struct spinlock *l);

/* One level deeper / shallower in "interrupts off" on this CPU. */
void irq_push_off(void);
void irq_pop_off(void);

#endif
