/*
 * vfs.h: files and directories, whatever holds them.
 *
 * Every file system here keeps its tree in memory (the root file system
 * unpacked from the initrd, devfs on /dev, procfs on /proc), so an inode
 * is one struct for all: a regular file's bytes, a directory's entries, a
 * symbolic link's target, or a device's operations. A mount point is a
 * directory inode whose `mounted` names the root of the file system on it;
 * path lookup crosses it, and `..` at that root goes back across it.
 *
 * Locking: vfs_lock (a mutex) guards the shape of the tree (entries,
 * mounts, links) and is held across a whole path lookup; an inode's own
 * mutex guards its bytes. Neither is held while waiting for a device.
 */
#ifndef CUBOS_VFS_H
#define CUBOS_VFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wait.h"

struct file;
struct inode;

/* File types and permission bits, Linux's (the st_mode of stat(2)). */
#define S_IFMT 0170000
#define S_IFSOCK 0140000
#define S_IFLNK 0120000
#define S_IFREG 0100000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFIFO 0010000
#define S_ISDIR(m) (((m) & S_IFMT) == S_IFDIR)
#define S_ISREG(m) (((m) & S_IFMT) == S_IFREG)
#define S_ISLNK(m) (((m) & S_IFMT) == S_IFLNK)

#define NAME_MAX 255
#define PATH_MAX 4096
#define SYMLINK_MAX_FOLLOW 40   /* Linux's limit before ELOOP */

/* What a device or generated file does instead of reading its bytes.
 * Buffers are user addresses (copy_to_user); NULL operations refuse. */
struct file_ops {
    /* Fill f->priv when the file is opened (procfs makes its text). */
    int (*open)(struct file *f);
    long (*read)(struct file *f, char *ubuf, size_t n);
    long (*write)(struct file *f, const char *ubuf, size_t n);
    long (*ioctl)(struct file *f, unsigned long cmd, unsigned long arg);
    /* Readiness (poll.h POLLIN...) and a count of state changes. */
    unsigned (*poll)(struct file *f, uint64_t *version);
    void (*release)(struct file *f);
};

struct dir_entry {
    struct dir_entry *next;
    struct inode *inode;
    char name[];
};

struct inode {
    uint64_t ino;
    uint32_t mode;              /* S_IF* | permissions */
    unsigned nlink;
    int refs;                   /* references held (entries, open files, cwd...) */
    uint64_t size;
    uint8_t *data;              /* a regular file's bytes (kmalloc), or borrowed */
    size_t capacity;
    bool borrowed;              /* data points into the initrd: copied before the first write */
    struct dir_entry *entries;  /* a directory's */
    struct inode *parent;       /* a directory's, for `..` */
    char *link;                 /* a symbolic link's target */
    /* A link computed when followed (/proc/self/exe): the target's length. */
    int (*get_link)(struct inode *ino, char *buf, size_t size);
    const struct file_ops *fops;    /* a device or a generated file */
    uint32_t rdev;              /* a device's number (major << 8 | minor) */
    struct inode *mounted;      /* a mount point: the root mounted on it */
    struct inode *covers;       /* a mounted root: the mount point it hides */
    uint64_t mtime_ns;
    void *priv;                 /* the file system's own (procfs: the text's generator) */
    struct mutex lock;          /* guards data, size, capacity */
};

/* A buffer of PATH_MAX bytes for a path, or NULL; give it back with
 * path_buf_free (a few are kept for reuse). */
char *path_buf_alloc(void);
void path_buf_free(char *buf);

/* Build the root file system (empty) and devfs and procfs on it. */
void vfs_init(void);

/* The root directory, with a reference taken. */
struct inode *vfs_root(void);

/* Take / drop a reference (inode_put frees an inode nothing refers to). */
void inode_get(struct inode *ino);
void inode_put(struct inode *ino);

/* A new inode of mode, not in any directory (one reference), or NULL. */
struct inode *inode_new(uint32_t mode);

/* Resolve path (absolute, or relative to cwd) to its inode, with a
 * reference; follow: follow a symbolic link in the last component. 0 or
 * -ENOENT, -ENOTDIR, -ELOOP, -ENAMETOOLONG. May sleep. */
int vfs_lookup(struct inode *cwd, const char *path, bool follow, struct inode **out);

/* Resolve all but the last component: its directory (referenced) and the
 * last component's name (in name, NAME_MAX + 1 bytes). */
int vfs_lookup_parent(struct inode *cwd, const char *path, struct inode **dir, char *name);

/* Add ino to dir under name (a new link): 0, -EEXIST, -ENOMEM. */
int vfs_link(struct inode *dir, const char *name, struct inode *ino);

/* Create what path names: a file, directory or symlink (target), refusing
 * an existing one (-EEXIST). The new inode, referenced, in *out if not NULL. */
int vfs_create(struct inode *cwd, const char *path, uint32_t mode, const char *target,
               struct inode **out);

/* unlink / rmdir (dir_only) / rename. */
int vfs_unlink(struct inode *cwd, const char *path, bool dir_only);
int vfs_rename(struct inode *cwd, const char *from, const char *to);
/* rename with each path relative to its own starting directory (renameat). */
int vfs_rename_at(struct inode *from_start, const char *from, struct inode *to_start, const char *to);

/* Mount the tree at root on the directory at path. */
int vfs_mount(const char *path, struct inode *root);

/* A directory's n-th entry (after . and ..): its name and inode; -ENOENT past the end. */
int vfs_dir_entry(struct inode *dir, size_t n, char *name, size_t size, struct inode **ino);

/* The absolute path of a directory (for getcwd): its length, or -ERANGE. */
int vfs_path_of(struct inode *dir, char *buf, size_t size);

/* Replace a regular file's bytes' storage so it can be written: copy
 * borrowed bytes, grow to at least size. ino->lock held. 0 or -ENOMEM. */
int inode_reserve(struct inode *ino, size_t size);

#endif
