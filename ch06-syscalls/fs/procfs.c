/*
 * procfs.c: /proc, the kernel's state as files, made up when opened.
 *
 *   /proc/self/exe    a link to the reading program's file
 *   /proc/self/maps   its memory regions, in Linux's format
 *   /proc/meminfo     memory totals (MemTotal, MemFree, MemAvailable)
 *   /proc/cpuinfo     one block per CPU, with its CPUID flags
 *   /proc/uptime      seconds since boot, and seconds idle
 *
 * Each file's text is generated at open into a buffer the open file
 * keeps, so a program reading it piece by piece sees one consistent
 * snapshot. Only what programs commonly read is here; part 2 adds
 * /proc/PID for every process.
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
#include "string.h"
#include "uaccess.h"
#include "user_cpu.h"
#include "vfs.h"
#include "vm.h"
#include "x86.h"

#define TEXT_SIZE 16384         /* the most a generated file holds */

typedef size_t (*generator)(char *buf, size_t size);

/* ksnprintf's count, kept within the buffer. */
static size_t put(char *buf, size_t size, size_t at, int n)
{
    (void)buf;
    if (n < 0)
        return at;
    return at + (size_t)n < size ? at + (size_t)n : size - 1;
}

static size_t gen_meminfo(char *buf, size_t size)
{
    size_t total = (frame_free_count() + frame_used_count()) * (PAGE_SIZE / 1024);
    size_t free = frame_free_count() * (PAGE_SIZE / 1024);
    return put(buf, size, 0, ksnprintf(buf, size, "MemTotal:       %8zu kB\nMemFree:        %8zu kB\n"
                                       "MemAvailable:   %8zu kB\n", total, free, free));
}

static size_t gen_uptime(char *buf, size_t size)
{
    uint64_t ms = clock_monotonic_ns() / 1000000;
    uint64_t idle = 0;
    for (unsigned i = 0; i < MAX_CPUS; i++)
        idle += cpus[i].idle_ticks;
    idle = idle * 1000 / 100;    /* ticks are 10 ms */
    return put(buf, size, 0, ksnprintf(buf, size, "%llu.%02llu %llu.%02llu\n",
                                       (unsigned long long)(ms / 1000), (unsigned long long)(ms % 1000 / 10),
                                       (unsigned long long)(idle / 1000), (unsigned long long)(idle % 1000 / 10)));
}

static size_t gen_cpuinfo(char *buf, size_t size)
{
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

static size_t gen_maps(char *buf, size_t size)
{
    struct process *p = process_current();
    if (p == NULL)
        return 0;
    struct maps_text m = { buf, size, 0, p->exe };
    vm_each(p->mm, map_line, &m);
    return m.at;
}

static int proc_open(struct file *f)
{
    char *buf = kmalloc(TEXT_SIZE);
    if (buf == NULL)
        return -ENOMEM;
    generator gen = (generator)f->inode->priv;
    f->priv_size = gen(buf, TEXT_SIZE);
    f->priv = buf;
    return 0;
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

static int self_exe(struct inode *ino, char *buf, size_t size)
{
    (void)ino;
    struct process *p = process_current();
    if (p == NULL)
        return -ENOENT;
    size_t n = strlen(p->exe);
    if (n + 1 > size)
        return -ENAMETOOLONG;
    memcpy(buf, p->exe, n + 1);
    return (int)n;
}

static void add_file(struct inode *dir, const char *name, generator gen)
{
    struct inode *ino = inode_new(S_IFREG | 0444);
    if (ino == NULL || vfs_link(dir, name, ino) != 0)
        panic("procfs: out of memory");
    ino->fops = &proc_ops;
    ino->priv = (void *)gen;
    inode_put(ino);
}

void procfs_init(void)
{
    struct inode *root = inode_new(S_IFDIR | 0555), *self = inode_new(S_IFDIR | 0555);
    struct inode *exe = inode_new(S_IFLNK | 0777);
    if (root == NULL || self == NULL || exe == NULL)
        panic("procfs: out of memory");
    root->nlink = 2;            /* as a mounted root: its "." and the mount point's entry */
    self->nlink = 1;            /* its "."; linking it in counts its entry */
    exe->get_link = self_exe;
    if (vfs_link(root, "self", self) != 0 || vfs_link(self, "exe", exe) != 0)
        panic("procfs: out of memory");
    add_file(self, "maps", gen_maps);
    add_file(root, "meminfo", gen_meminfo);
    add_file(root, "cpuinfo", gen_cpuinfo);
    add_file(root, "uptime", gen_uptime);
    int err = vfs_create(NULL, "/proc", S_IFDIR | 0555, NULL, NULL);
    if ((err && err != -EEXIST) || vfs_mount("/proc", root) != 0)
        panic("procfs: cannot mount on /proc");
    inode_put(exe);
    inode_put(self);
    inode_put(root);
}
