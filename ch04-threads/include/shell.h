/* shell.h: the kernel's command line, which later chapters extend. */
#ifndef CUBOS_SHELL_H
#define CUBOS_SHELL_H

/* The shell thread's body: read and run commands until `halt` or `reboot`. */
void shell_thread(void *arg);

#endif
