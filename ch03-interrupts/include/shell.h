/* shell.h: the kernel's command line, which later chapters extend. */
#ifndef CUBOS_SHELL_H
#define CUBOS_SHELL_H

/* One command: its name, a usage line and a help line for `help`, and the
 * function that runs it with the line's words (argv[0] is the name). */
struct shell_command {
    const char *name;
    const char *usage;
    const char *help;
    void (*run)(int argc, char **argv);
};

/* The demo commands (kernel/demo_*.c). */
extern const struct shell_command demo_fault_command;

/* Read and run commands forever (until `halt` or `reboot`). Needs interrupts on. */
__attribute__((noreturn)) void shell_run(void);

#endif
