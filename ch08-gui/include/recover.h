/*
 * recover.h: resume after a fault instead of stopping the kernel.
 *
 *     struct recover_point p;
 *     if (recover_save(&p) == 0) {
 *         recover_arm(&p);
 *         ... code that may fault ...
 *         recover_disarm();
 *     } else {
 *         ... we get here after the fault was reported ...
 *     }
 *
 * While armed, an exception is reported as usual and then execution goes
 * on after recover_save, which returns 1. Only for code whose failure
 * leaves no shared state half-changed: the shell's commands in ch03.
 */
#ifndef CUBOS_RECOVER_H
#define CUBOS_RECOVER_H

#include <stdbool.h>
#include <stdint.h>

struct trap_frame;

struct recover_point {
    uint64_t rbx, rbp, r12, r13, r14, r15, rsp, rip, rflags;   /* offsets used by trap/recover.S */
};

__attribute__((returns_twice)) int recover_save(struct recover_point *p);
void recover_arm(struct recover_point *p);
void recover_disarm(void);

/* For the fault policy (trap/fault.c): if a point is armed, disarm it and
 * rewrite tf so that IRETQ resumes there; false if none is armed. */
bool recover_resume(struct trap_frame *tf);

/* The same without a fault's message: for a thread killed while an
 * interrupt had it stopped (thread.c, sched_kill_point). */
bool recover_resume_quietly(struct trap_frame *tf);

/* Resume at p now, as longjmp does (recover_save returns 1 there). */
__attribute__((noreturn)) void recover_jump(struct recover_point *p);

#endif
