/* run.h: starting a program from the kernel (kernel/run.c). */
#ifndef CUBOS_RUN_H
#define CUBOS_RUN_H

#include <stdbool.h>

#define RUN_INIT_MAX_ARGS 32

/* Run the program argv[0] with argv, wait for it, print how it ended
 * ("[7] /bin/hello: exit status 0"); its wait status, or -1 if it could
 * not start (the reason printed). strace: log its system calls. May sleep. */
int run_program(char **argv, bool strace, bool init);

/* The init= option: run the words of line as a program; with exit=qemu,
 * leave QEMU with PASS if it exited with 0, FAIL otherwise. */
void run_init(const char *line, bool strace);

#endif
