/*
 * sys_exec.c: execve, a process replacing its program.
 *
 * The path, argv and envp are copied from the old program before
 * anything else: they live in the memory about to go. The new program is
 * loaded into a new address space (exec_load) while the old one still
 * runs, so a bad file leaves the caller as it was, with an error. Past
 * that point there is no way back: the other threads end (Linux does the
 * same), the address space is swapped, close-on-exec files close,
 * handled signals go back to their default action, and the calling
 * thread leaves the system call at the new program's entry point with
 * every register cleared. A vfork parent goes on from here.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu.h"
#include "errno.h"
#include "exec.h"
#include "fd.h"
#include "gdt.h"
#include "heap.h"
#include "process.h"
#include "signal.h"
#include "string.h"
#include "sys.h"
#include "thread.h"
#include "trap.h"
#include "uaccess.h"
#include "user_cpu.h"
#include "uthread.h"
#include "vfs.h"
#include "vm.h"
#include "x86.h"

#define EXEC_VECTOR_MAX 8192        /* argv or envp entries (E2BIG beyond) */

/* argv and envp in kernel memory: NULL-ended vectors into one buffer. */
struct exec_args {
    char **argv, **envp;
    char *strings;
    size_t used;
};

/* Copy the NULL-ended vector of user strings at uvec into *out, its
 * strings into args->strings. 0, -EFAULT or -E2BIG. */
static int copy_vector(struct exec_args *args, uint64_t uvec, char ***out)
{
    size_t n = 0;
    for (; uvec; n++) {
        uint64_t ptr;
        if (n == EXEC_VECTOR_MAX)
            return -E2BIG;
        if (copy_from_user(&ptr, (const void *)(uvec + n * 8), sizeof(ptr)))
            return -EFAULT;
        if (ptr == 0)
            break;
    }
    char **vec = kmalloc((n + 1) * sizeof(char *));
    if (vec == NULL)
        return -ENOMEM;
    *out = vec;
    for (size_t i = 0; i < n; i++) {
        uint64_t ptr;
        if (copy_from_user(&ptr, (const void *)(uvec + i * 8), sizeof(ptr)))
            return -EFAULT;
        long len = strncpy_from_user(args->strings + args->used, (const char *)ptr,
                                     EXEC_ARGS_MAX - args->used);
        if (len == -ENAMETOOLONG)
            return -E2BIG;      /* the strings of both vectors pass EXEC_ARGS_MAX */
        if (len < 0)
            return (int)len;
        vec[i] = args->strings + args->used;
        args->used += (size_t)len + 1;
    }
    vec[n] = NULL;
    return 0;
}

static void free_args(struct exec_args *args)
{
    kfree(args->argv);
    kfree(args->envp);
    kfree(args->strings);
}

/* The caller's thread becomes the only one, on the new program. */
static void replace_image(struct process *p, struct exec_image *img, const char *path,
                          struct exec_args *args)
{
    struct uthread *u = uthread_current();
    /* Swap the address space with interrupts off: a switch in between
     * would load the old one again (uthread_switch follows p->mm). */
    spin_lock(&p->lock);        /* interrupts off too; /proc's readers take p->lock */
    struct mm *old = p->mm;
    p->mm = img->mm;
    write_cr3(img->mm->root);
    u->fs_base = u->gs_base = 0;
    wrmsr(MSR_FS_BASE, 0);
    wrmsr(MSR_KERNEL_GS_BASE, 0);
    fpu_reset(u->fpu);
    fpu_restore(u->fpu);
    spin_unlock(&p->lock);
    vm_put(old);                /* a vfork parent still holds it */
    process_vfork_release(p);
    fd_table_close_on_exec(p->files);
    signal_exec_reset(p, u);
    u->clear_child_tid = 0;
    if (u->tid != p->pid) {
        /* A thread other than the first: it takes the pid, as on Linux. */
        pid_free(u->tid);
        u->tid = p->pid;
    }
    process_set_program(p, path, args->argv);
    /* The kernel thread is named after the program too (the shell's ps). */
    struct thread *t = thread_current();
    size_t n = strlen(p->name) < THREAD_NAME_SIZE - 1 ? strlen(p->name) : THREAD_NAME_SIZE - 1;
    memcpy(t->name, p->name, n);
    t->name[n] = '\0';
    memset(p->enosys_logged, 0, sizeof(p->enosys_logged));

    struct trap_frame *tf = uthread_frame();
    uint64_t vector = tf->vector;
    memset(tf, 0, sizeof(*tf));
    tf->vector = vector;
    tf->rip = img->entry;
    tf->rsp = img->stack_pointer;
    tf->cs = USER_CS;
    tf->ss = USER_SS;
    tf->rflags = RFLAGS_IF | RFLAGS_RESERVED1;
}

SYS(execve)
{
    SYS_UNUSED;
    struct process *p = process_current();
    struct exec_args args = { NULL, NULL, kmalloc(EXEC_ARGS_MAX), 0 };
    char *path = path_buf_alloc();
    long err = args.strings && path ? 0 : -ENOMEM;
    if (err == 0) {
        long len = strncpy_from_user(path, (const char *)a0, PATH_MAX);
        err = len < 0 ? len : len == 0 ? -ENOENT : 0;
    }
    if (err == 0)
        err = copy_vector(&args, a1, &args.argv);
    if (err == 0)
        err = copy_vector(&args, a2, &args.envp);
    struct exec_image img;
    if (err == 0) {
        struct inode *cwd = process_cwd();
        err = exec_load(cwd, path, args.argv, args.envp, false, &img);
        inode_put(cwd);
    }
    if (err == 0) {
        err = process_single_thread();
        if (err)
            vm_put(img.mm);
    }
    if (err == 0)
        replace_image(p, &img, path, &args);
    free_args(&args);
    if (path)
        path_buf_free(path);
    return err;
}
