/*
 * procfs.c: /proc, the kernel's state as files, made up when opened.
 *
 *   /proc/self/exe    a link to the reading program's file
 *   /proc/self/maps   its memory regions, in Linux's format
 *   /proc/meminfo     memory totals (MemTotal, MemFree, MemAvailable)
 *   /proc/cpuinfo     one block per CPU, with its CPUID flags
 *   /proc/uptime      seconds since boot, and seconds idle
 *   /proc/PID/        for every process (ch06 part 2): stat, status and
 *                     cmdline (what ps and top read), maps, exe
 *
 * Each file's text is generated at open into a buffer the open file
 * keeps, so a program reading it piece by piece sees one consistent
 * snapshot. A /proc/PID folder is made when the process is and removed
 * when it is freed; its files name the process by pid, so one opened
 * after the process is gone fails with ENOENT. Only what programs
 * commonly read is here.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "cpu.h"
#include "errno.h"
#include "fd.h"
#include "format.h"
#include "frame.h"
#include "fs.h"
#include "heap.h"
#include "memlayout.h"
#include "panic.h"
#include "process.h"
#include "sched.h"
#include "string.h"
#include "thread.h"
#include "timer.h"
#include "uaccess.h"
#include "user_cpu.h"
#include "uthread.h"
#include "vfs.h"
#include "vm.h"
#include "x86.h"

#define TEXT_SIZE 16384         /* the most a generated file holds */

/* A file's text, for process p (NULL for the files not about one). */
typedef size_t (*generator)(char *buf, size_t size, struct process *p);

/* What a file's inode keeps, in its data (freed with it): its generator
 * and the process it describes (0: the reader, for /proc/self). */
struct proc_file {
    generator gen;
    int pid;
};

static struct inode *proc_root;

/* ksnprintf's count, kept within the buffer. */
static size_t put(char *buf, size_t size, size_t at, int n)
{
    (void)buf;
    if (n < 0)
        return at;
    return at + (size_t)n < size ? at + (size_t)n : size - 1;
}

static size_t gen_meminfo(char *buf, size_t size, struct process *p)
{
    (void)p;
    size_t total = (frame_free_count() + frame_used_count()) * (PAGE_SIZE / 1024);
    size_t free = frame_free_count() * (PAGE_SIZE / 1024);
    return put(buf, size, 0, ksnprintf(buf, size, "MemTotal:       %8zu kB\nMemFree:        %8zu kB\n"
                                       "MemAvailable:   %8zu kB\n", total, free, free));
}

static size_t gen_uptime(char *buf, size_t size, struct process *p)
{
    (void)p;
    uint64_t ms = clock_monotonic_ns() / 1000000;
    uint64_t idle = 0;
    for (unsigned i = 0; i < MAX_CPUS; i++)
        idle += cpus[i].idle_ticks;
    idle = idle * 1000 / 100;    /* ticks are 10 ms */
    return put(buf, size, 0, ksnprintf(buf, size, "%llu.%02llu %llu.%02llu\n",
                                       (unsigned long long)(ms / 1000), (unsigned long long)(ms % 1000 / 10),
                                       (unsigned long long)(idle / 1000), (unsigned long long)(idle % 1000 / 10)));
}

static size_t gen_cpuinfo(char *buf, size_t size, struct process *p)
{
    (void)p;
    uint32_t vendor[4] = { 0 }, brand[13] = { 0 }, a, b, c, d, max_ext;
    cpuid(0, &a, &vendor[0], &vendor[2], &vendor[1]);
    cpuid(CPUID_EXT_MAX, &max_ext, &b, &c, &d);
    if (max_ext >= 0x80000004)
        for (uint32_t leaf = 0; leaf < 3; leaf++)
            cpuid(0x80000002 + leaf, &brand[leaf * 4], &brand[leaf * 4 + 1], &brand[leaf * 4 + 2],
                  &brand[leaf * 4 + 3]);
    char flags[128];
    user_cpu_flags(flags, sizeof(flags));
    size_t at = 0;
    for (unsigned i = 0; i < MAX_CPUS; i++) {
        if (cpus[i].state != CPU_ONLINE)
            continue;
        at = put(buf, size, at, ksnprintf(buf + at, size - at,
                 "processor\t: %u\nvendor_id\t: %s\nmodel name\t: %s\nflags\t\t: %s\n\n", i,
                 (const char *)vendor, brand[0] ? (const char *)brand : "unknown", flags));
    }
    return at;
}

static void add_region_size(const struct vma *v, void *ctx)
{
    *(uint64_t *)ctx += v->end - v->start;
}

struct maps_text {
    char *buf;
    size_t size, at;
    const char *exe;
};

static void map_line(const struct vma *v, void *ctx)
{
    struct maps_text *m = ctx;
    const char *name = v->kind == VMA_IMAGE ? m->exe : v->kind == VMA_STACK ? "[stack]" :
                       v->kind == VMA_HEAP ? "[heap]" : "";
    m->at = put(m->buf, m->size, m->at, ksnprintf(m->buf + m->at, m->size - m->at,
                "%012llx-%012llx %c%c%c%c %08llx 00:00 0 %s%s\n",
                (unsigned long long)v->start, (unsigned long long)v->end,
                v->prot & PROT_READ ? 'r' : '-', v->prot & PROT_WRITE ? 'w' : '-',
                v->prot & PROT_EXEC ? 'x' : '-', v->shared ? 's' : 'p',
                (unsigned long long)v->file_offset, *name ? "                 " : "", name));
}

/* p's address space, held (vm_put it), or NULL: a zombie has none, and
 * one that ends meanwhile lets go of its own while this one is read. */
static struct mm *mm_of(struct process *p)
{
    spin_lock(&p->lock);
    struct mm *mm = p->mm;
    if (mm)
        vm_get(mm);
    spin_unlock(&p->lock);
    return mm;
}

static size_t gen_maps(char *buf, size_t size, struct process *p)
{
    struct maps_text m = { buf, size, 0, p->exe };
    struct mm *mm = mm_of(p);
    if (mm) {
        vm_each(mm, map_line, &m);
        vm_put(mm);
    }
    return m.at;
}

/* The state letter ps shows: R running, S sleeping, T stopped, Z zombie. */
static char state_letter(struct process *p, int *threads)
{
    bool running = false;
    *threads = 0;
    spin_lock(&sched_lock);
    for (struct thread *t = all_threads; t; t = t->all_next) {
        if (t->user && t->user->proc == p && t->state != THREAD_ZOMBIE) {
            (*threads)++;
            running |= t->state == THREAD_RUNNING || t->state == THREAD_READY;
        }
    }
    spin_unlock(&sched_lock);
    return p->done ? 'Z' : p->sig.stopped ? 'T' : running ? 'R' : 'S';
}

/* proc(5)'s /proc/PID/stat: the fields up to rss, the rest zero. */
static size_t gen_stat(char *buf, size_t size, struct process *p)
{
    int threads;
    char state = state_letter(p, &threads);
    spin_lock(&proc_lock);
    int ppid = p->parent ? p->parent->pid : PID_INIT, pgid = p->pgid, sid = p->sid;
    spin_unlock(&proc_lock);
    size_t pages = 0;
    uint64_t vsize = 0;
    struct mm *mm = mm_of(p);
    if (mm) {
        pages = mm->pages;
        vm_each(mm, add_region_size, &vsize);
        vm_put(mm);
    }
    /* starttime: clock ticks after boot (AT_CLKTCK's, TIMER_HZ a second). */
    uint64_t start = p->start_ns / (NSEC_PER_SEC / TIMER_HZ);
    return put(buf, size, 0, ksnprintf(buf, size,
               "%d (%s) %c %d %d %d 0 -1 0 0 0 0 0 0 0 0 0 20 0 %d 0 %llu %llu %zu\n",
               p->pid, p->name, state, ppid, pgid, sid, threads,
               (unsigned long long)start, (unsigned long long)vsize, pages));
}

static size_t gen_status(char *buf, size_t size, struct process *p)
{
    int threads;
    char state = state_letter(p, &threads);
    spin_lock(&proc_lock);
    int ppid = p->parent ? p->parent->pid : PID_INIT;
    spin_unlock(&proc_lock);
    struct mm *mm = mm_of(p);
    size_t kib = (mm ? mm->pages : 0) * (PAGE_SIZE / 1024);
    if (mm)
        vm_put(mm);
    return put(buf, size, 0, ksnprintf(buf, size,
               "Name:\t%s\nState:\t%c\nTgid:\t%d\nPid:\t%d\nPPid:\t%d\nUid:\t0\t0\t0\t0\n"
               "Gid:\t0\t0\t0\t0\nVmRSS:\t%zu kB\nThreads:\t%d\n",
               p->name, state, p->pid, p->pid, ppid, kib, threads));
}

/* The arguments, each ending with a NUL, as the program got them. */
static size_t gen_cmdline(char *buf, size_t size, struct process *p)
{
    size_t n = p->cmdline_len < size ? p->cmdline_len : size;
    memcpy(buf, p->cmdline, n);
    return n;
}

static int proc_open(struct file *f)
{
    const struct proc_file *pf = (const struct proc_file *)f->inode->data;
    struct process *p = NULL;
    if (pf->pid) {
        p = process_find(pf->pid);
        if (p == NULL)
            return -ENOENT;     /* it has gone */
    } else if (pf->gen == gen_maps) {
        p = process_current();
        if (p == NULL)
            return -ENOENT;
        process_get(p);
    }
    char *buf = kmalloc(TEXT_SIZE);
    if (buf) {
        f->priv_size = pf->gen(buf, TEXT_SIZE, p);
        f->priv = buf;
    }
    if (p)
        process_put(p);
    return buf ? 0 : -ENOMEM;
}

static long proc_read(struct file *f, char *ubuf, size_t n)
{
    mutex_lock(&f->pos_lock);
    long done = 0;
    if (f->pos < f->priv_size) {
        size_t count = f->priv_size - f->pos < n ? f->priv_size - f->pos : n;
        done = copy_to_user(ubuf, (char *)f->priv + f->pos, count) ? -EFAULT : (long)count;
        if (done > 0)
            f->pos += count;
    }
    mutex_unlock(&f->pos_lock);
    return done;
}

static void proc_release(struct file *f)
{
    kfree(f->priv);
}

static const struct file_ops proc_ops = { .open = proc_open, .read = proc_read, .release = proc_release };

/* /proc/self/exe and /proc/PID/exe: a link to the program's file. */
static int exe_link(struct inode *ino, char *buf, size_t size)
{
    const struct proc_file *pf = (const struct proc_file *)ino->data;
    struct process *p = pf->pid ? process_find(pf->pid) : process_current();
    if (p == NULL)
        return -ENOENT;
    size_t n = strlen(p->exe);
    int ret = n + 1 > size ? -ENAMETOOLONG : (int)n;
    if (ret >= 0)
        memcpy(buf, p->exe, n + 1);
    if (pf->pid)
        process_put(p);
    return ret;
}

/* A file of dir made by gen about process pid (0: the reader); 0 or -ENOMEM. */
static int add_file(struct inode *dir, const char *name, generator gen, int pid)
{
    bool link = gen == NULL;
    struct inode *ino = inode_new(link ? S_IFLNK | 0777 : S_IFREG | 0444);
    struct proc_file *pf = kmalloc(sizeof(*pf));
    if (ino == NULL || pf == NULL) {
        kfree(pf);
        if (ino)
            inode_put(ino);
        return -ENOMEM;
    }
    *pf = (struct proc_file){ gen, pid };
    ino->data = (uint8_t *)pf;     /* kfree'd with the inode */
    if (link)
        ino->get_link = exe_link;
    else
        ino->fops = &proc_ops;
    int err = vfs_link(dir, name, ino);
    inode_put(ino);
    return err;
}

/* The files of a process's folder; NULL gen: the exe link. */
static const struct { const char *name; generator gen; } process_files_list[] = {
    { "stat", gen_stat }, { "status", gen_status }, { "cmdline", gen_cmdline },
    { "maps", gen_maps }, { "exe", NULL },
};
#define PROCESS_FILES (sizeof(process_files_list) / sizeof(process_files_list[0]))

int procfs_add_process(int pid)
{
    char name[12];
    ksnprintf(name, sizeof(name), "%d", pid);
    struct inode *dir = inode_new(S_IFDIR | 0555);
    if (dir == NULL)
        return -ENOMEM;
    dir->nlink = 1;
    int err = vfs_link(proc_root, name, dir);
    for (size_t i = 0; i < PROCESS_FILES && err == 0; i++)
        err = add_file(dir, process_files_list[i].name, process_files_list[i].gen, pid);
    inode_put(dir);
    if (err)
        procfs_remove_process(pid);
    return err;
}

void procfs_remove_process(int pid)
{
    char path[24];
    for (size_t i = 0; i < PROCESS_FILES; i++) {
        ksnprintf(path, sizeof(path), "%d/%s", pid, process_files_list[i].name);
        vfs_unlink(proc_root, path, false);
    }
    ksnprintf(path, sizeof(path), "%d", pid);
    vfs_unlink(proc_root, path, true);
}

void procfs_init(void)
{
    struct inode *root = inode_new(S_IFDIR | 0555), *self = inode_new(S_IFDIR | 0555);
    if (root == NULL || self == NULL)
        panic("procfs: out of memory");
    root->nlink = 2;            /* as a mounted root: its "." and the mount point's entry */
    self->nlink = 1;            /* its "."; linking it in counts its entry */
    if (vfs_link(root, "self", self) != 0 || add_file(self, "exe", NULL, 0) != 0 ||
        add_file(self, "maps", gen_maps, 0) != 0 || add_file(root, "meminfo", gen_meminfo, 0) != 0 ||
        add_file(root, "cpuinfo", gen_cpuinfo, 0) != 0 || add_file(root, "uptime", gen_uptime, 0) != 0)
        panic("procfs: out of memory");
    int err = vfs_create(NULL, "/proc", S_IFDIR | 0555, NULL, NULL);
    if ((err && err != -EEXIST) || vfs_mount("/proc", root) != 0)
        panic("procfs: cannot mount on /proc");
    inode_put(self);
    proc_root = root;           /* kept: the processes' folders go in it */
}
