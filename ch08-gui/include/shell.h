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

/* Starting programs (kernel/run.c). */
extern const struct shell_command run_command;

/* Devices and the network (kernel/lspci.c, net/). */
extern const struct shell_command lspci_command;
extern const struct shell_command ifconfig_command;
extern const struct shell_command arping_command;
extern const struct shell_command ping_command;
extern const struct shell_command nslookup_command;
extern const struct shell_command netstat_command;
extern const struct shell_command fetch_command;
extern const struct shell_command exit_command;

/* The demo commands (kernel/demo_*.c). */
extern const struct shell_command demo_fault_command;
extern const struct shell_command demo_bug_command;
extern const struct shell_command demo_primes_command;
extern const struct shell_command demo_pingpong_command;
extern const struct shell_command demo_prodcons_command;
extern const struct shell_command demo_deadlock_command;
extern const struct shell_command demo_misuse_command;

/* The shell thread's body: read and run commands until `halt` or `reboot`. */
void shell_thread(void *arg);

/* The shell of a remote session (net/rshell.c), on the calling thread:
 * until the session closes (`exit`, or the connection ends). */
void shell_session(void);

#endif
