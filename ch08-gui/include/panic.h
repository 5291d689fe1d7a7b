/* panic.h: stop the kernel with a message when it cannot go on. */
#ifndef CUBOS_PANIC_H
#define CUBOS_PANIC_H

/* Print "PANIC at file:line: message", then stop (failing the test run, if any). */
#define panic(...) panic_at(__FILE__, __LINE__, __VA_ARGS__)

__attribute__((noreturn, format(printf, 3, 4)))
void panic_at(const char *file, int line, const char *fmt, ...);

/* The normal end of the kernel: pass the test run if one is going on, then halt. */
__attribute__((noreturn)) void kernel_finish(void);

#endif
