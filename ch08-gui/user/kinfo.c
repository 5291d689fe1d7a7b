/*
 * kinfo.c: calls system call 500, which the kernel registered for itself
 * at boot (kernel/demo_syscall.c, through syscall_register), and prints
 * its answer:
 *
 *   kinfo: cubos ch06-syscalls, 2 CPUs, up 1234 ms
 *
 * On Linux, which has no call 500, it prints the error instead and exits 1:
 *
 *   kinfo: system call 500 failed: Function not implemented
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SYS_CUBOS_INFO 500

int main(void)
{
    char buf[128];
    long n = syscall(SYS_CUBOS_INFO, buf, sizeof(buf));
    if (n < 0) {
        printf("kinfo: system call %d failed: %s\n", SYS_CUBOS_INFO, strerror(errno));
        return 1;
    }
    printf("kinfo: %s\n", buf);
    return 0;
}
