/* shell.h: the kernel's command line, which later chapters extend. */
#ifndef CUBOS_SHELL_H
#define CUBOS_SHELL_H

/* Read and run commands forever (until `halt` or `reboot`). Needs interrupts on. */
__attribute__((noreturn)) void shell_run(void);

#endif
