/*
 * demo_syscall.c: a system call of the kernel's own, registered at boot
 * with syscall_register, as eggos's syscall example adds one: number 500,
 * cubos_info(buf, size), writes a line about the kernel into the calling
 * program's buffer and returns its length. user/kinfo.c calls it.
 */
#include <stddef.h>
#include <stdint.h>

#include "cpu.h"
#include "demo.h"
#include "errno.h"
#include "format.h"
#include "kprintf.h"
#include "syscall.h"
#include "timer.h"
#include "uaccess.h"

#define SYS_CUBOS_INFO 500
#define INFO_SIZE 128

static long sys_cubos_info(uint64_t ubuf, uint64_t size, uint64_t a2, uint64_t a3, uint64_t a4,
                           uint64_t a5)
{
    (void)a2, (void)a3, (void)a4, (void)a5;
    char info[INFO_SIZE];
    int n = ksnprintf(info, sizeof(info), "cubos %s, %u CPUs, up %llu ms", CHAPTER, cpu_count,
                      (unsigned long long)timer_uptime_ms());
    if ((uint64_t)n + 1 > size)
        return -ERANGE;
    if (copy_to_user((void *)ubuf, info, (size_t)n + 1))
        return -EFAULT;
    return n;
}

void demo_syscall_register(void)
{
    int err = syscall_register(SYS_CUBOS_INFO, "cubos_info", sys_cubos_info);
    if (err)
        kprintf("demo: cannot register system call %d (error %d)\n", SYS_CUBOS_INFO, err);
}
