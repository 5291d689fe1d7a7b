/*
 * fd.h: open files and the file-descriptor tables that name them.
 *
 * An open file (struct file) is an inode, a position and the flags it was
 * opened with; several descriptors, and several processes in part 2, may
 * share one. A process's threads share its descriptor table.
 */
#ifndef CUBOS_FD_H
#define CUBOS_FD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spinlock.h"
#include "vfs.h"

/* open(2) flags, Linux's x86-64 values. */
#define O_ACCMODE 03
#define O_RDONLY 00
#define O_WRONLY 01
#define O_RDWR 02
#define O_CREAT 0100
#define O_EXCL 0200
#define O_NOCTTY 0400
#define O_TRUNC 01000
#define O_APPEND 02000
#define O_NONBLOCK 04000
#define O_DIRECTORY 0200000
#define O_NOFOLLOW 0400000
#define O_CLOEXEC 02000000
#define O_PATH 010000000

#define FD_MAX 256              /* descriptors per process (RLIMIT_NOFILE) */

struct file {
    struct inode *inode;
    const struct file_ops *ops; /* the inode's, or NULL for bytes in memory */
    unsigned flags;             /* O_* as opened (O_APPEND, O_NONBLOCK...) */
    uint64_t pos;
    int refs;
    struct mutex pos_lock;      /* read/write/lseek move pos one at a time */
    void *priv;                 /* the device's or generated file's own */
    size_t priv_size;
};

struct fd_table {
    struct spinlock lock;
    int refs;
    struct file *files[FD_MAX];
    bool cloexec[FD_MAX];
};

/* Open path (relative to cwd) with O_* flags, creating it with mode if
 * O_CREAT. 0 and *out, or a negative errno. May sleep. */
int file_open(struct inode *cwd, const char *path, unsigned flags, uint32_t mode, struct file **out);

/* An open file on inode ino (referenced by the file from now on). */
int file_open_inode(struct inode *ino, unsigned flags, struct file **out);

void file_get(struct file *f);
void file_put(struct file *f);

/* Read / write at the file's position (or at off, for pread/pwrite, if
 * off >= 0), user buffers. The count done, or a negative errno. */
long file_read(struct file *f, char *ubuf, size_t n, int64_t off);
long file_write(struct file *f, const char *ubuf, size_t n, int64_t off);

/* A table with 0, 1 and 2 open on /dev/console, or NULL. */
struct fd_table *fd_table_create_console(void);
void fd_table_put(struct fd_table *t);

/* fork: a new table with the same open files (each one's reference
 * count raised: parent and child share offsets, as on Unix), or NULL. */
struct fd_table *fd_table_copy(struct fd_table *from);

/* execve: close the descriptors marked close-on-exec. May sleep. */
void fd_table_close_on_exec(struct fd_table *t);

/* Install f at the lowest free descriptor >= min: the descriptor, or
 * -EMFILE. The table takes the caller's reference to f. */
int fd_install(struct fd_table *t, struct file *f, int min, bool cloexec);

/* The file at fd with a reference taken, or NULL. */
struct file *fd_get(struct fd_table *t, int fd);

/* Close fd: 0 or -EBADF. */
int fd_close(struct fd_table *t, int fd);

/* dup2/dup3: make newfd refer to what oldfd does. newfd, or -EBADF. */
int fd_dup_to(struct fd_table *t, int oldfd, int newfd, bool cloexec);

#endif
