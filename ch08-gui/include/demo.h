/* demo.h: demonstrations the kernel sets up at boot (kernel/demo_*.c). */
#ifndef CUBOS_DEMO_H
#define CUBOS_DEMO_H

/* Register system call 500, cubos_info (kernel/demo_syscall.c). */
void demo_syscall_register(void);

#endif
