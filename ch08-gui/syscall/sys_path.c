/*
 * sys_path.c: the system calls that name files by path: open, stat and
 * statx, directories (getdents64, mkdir, rmdir, chdir, getcwd), links,
 * renames, access.
 *
 * Paths are copied from the program into a kernel buffer first (a
 * program's other thread could change them halfway otherwise); a path
 * relative to a directory descriptor (the *at calls) starts there, or at
 * the process's current directory for AT_FDCWD.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "errno.h"
#include "fd.h"
#include "heap.h"
#include "process.h"
#include "string.h"
#include "sys.h"
#include "uaccess.h"
#include "vfs.h"

#define AT_FDCWD (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR 0x200
#define AT_EMPTY_PATH 0x1000
#define BLOCK_SIZE 4096
#define DT_DIR 4
#define DT_REG 8
#define DT_LNK 10
#define DT_CHR 2
#define STATX_BASIC_STATS 0x7FF

/* struct stat, x86-64 (arch/x86/include/uapi/asm/stat.h). */
struct stat_k {
    uint64_t st_dev, st_ino, st_nlink;
    uint32_t st_mode, st_uid, st_gid, pad0;
    uint64_t st_rdev;
    int64_t st_size, st_blksize, st_blocks;
    int64_t st_atime, st_atime_nsec, st_mtime, st_mtime_nsec, st_ctime, st_ctime_nsec;
    int64_t unused[3];
};

struct statx_timestamp_k {
    int64_t tv_sec;
    uint32_t tv_nsec;
    int32_t reserved;
};

/* struct statx (include/uapi/linux/stat.h). */
struct statx_k {
    uint32_t stx_mask, stx_blksize;
    uint64_t stx_attributes;
    uint32_t stx_nlink, stx_uid, stx_gid;
    uint16_t stx_mode, pad1;
    uint64_t stx_ino, stx_size, stx_blocks, stx_attributes_mask;
    struct statx_timestamp_k stx_atime, stx_btime, stx_ctime, stx_mtime;
    uint32_t stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
    uint64_t spare[14];
};

/* A path from the program: a kernel copy (path_buf_free it) or NULL with *err. */
static char *user_path(uint64_t upath, int *err)
{
    char *path = path_buf_alloc();
    if (path == NULL) {
        *err = -ENOMEM;
        return NULL;
    }
    long n = strncpy_from_user(path, (const char *)upath, PATH_MAX);
    if (n < 0) {
        *err = (int)n;
        path_buf_free(path);
        return NULL;
    }
    return path;
}

/* Where a path relative to dirfd starts: an inode with a reference. */
static int start_dir(int64_t dirfd, const char *path, struct inode **dir)
{
    if (path[0] == '/' || (int)dirfd == AT_FDCWD) {
        *dir = process_cwd();
        return 0;
    }
    struct file *f = fd_get(process_files(), (int)dirfd);
    if (f == NULL)
        return -EBADF;
    int err = S_ISDIR(f->inode->mode) ? 0 : -ENOTDIR;
    if (err == 0) {
        *dir = f->inode;
        inode_get(*dir);
    }
    file_put(f);
    return err;
}

/* Prepare a *at call: the copied path and its starting directory. */
static char *at_path(int64_t dirfd, uint64_t upath, struct inode **dir, int *err)
{
    char *path = user_path(upath, err);
    if (path == NULL)
        return NULL;
    *err = start_dir(dirfd, path, dir);
    if (*err) {
        path_buf_free(path);
        return NULL;
    }
    return path;
}

static long do_open(int64_t dirfd, uint64_t upath, uint64_t flags, uint64_t mode)
{
    int err;
    struct inode *dir;
    char *path = at_path(dirfd, upath, &dir, &err);
    if (path == NULL)
        return err;
    struct process *p = process_current();
    struct file *f;
    err = file_open(dir, path, (unsigned)flags, (uint32_t)mode & ~p->umask, &f);
    path_buf_free(path);
    inode_put(dir);
    if (err)
        return err;
    int fd = fd_install(p->files, f, 0, flags & O_CLOEXEC);
    if (fd < 0)
        file_put(f);
    return fd;
}

SYS(open)
{
    SYS_UNUSED;
    return do_open(AT_FDCWD, a0, a1, a2);
}

SYS(openat)
{
    SYS_UNUSED;
    return do_open((int64_t)(int)a0, a1, a2, a3);
}

static void fill_stat(struct inode *ino, struct stat_k *st)
{
    memset(st, 0, sizeof(*st));
    st->st_dev = 1;
    st->st_ino = ino->ino;
    st->st_nlink = ino->nlink ? ino->nlink : 1;
    st->st_mode = ino->mode;
    st->st_rdev = ino->rdev;
    st->st_size = (int64_t)ino->size;
    st->st_blksize = BLOCK_SIZE;
    st->st_blocks = (int64_t)((ino->size + 511) / 512);
    st->st_atime = st->st_mtime = st->st_ctime = (int64_t)(ino->mtime_ns / 1000000000);
    st->st_atime_nsec = st->st_mtime_nsec = st->st_ctime_nsec = (int64_t)(ino->mtime_ns % 1000000000);
}

/* Resolve a *at path (or dirfd itself with AT_EMPTY_PATH and "", which
 * may be any open file: glibc's fstat is newfstatat(fd, "", ...)). */
static int at_inode(int64_t dirfd, uint64_t upath, uint64_t flags, struct inode **out)
{
    int err;
    char *path = user_path(upath, &err);
    if (path == NULL)
        return err;
    if (path[0] == '\0' && (flags & AT_EMPTY_PATH)) {
        path_buf_free(path);
        if ((int)dirfd == AT_FDCWD) {
            *out = process_cwd();
            return 0;
        }
        struct file *f = fd_get(process_files(), (int)dirfd);
        if (f == NULL)
            return -EBADF;
        *out = f->inode;
        inode_get(*out);
        file_put(f);
        return 0;
    }
    struct inode *dir;
    err = start_dir(dirfd, path, &dir);
    if (err == 0) {
        err = vfs_lookup(dir, path, !(flags & AT_SYMLINK_NOFOLLOW), out);
        inode_put(dir);
    }
    path_buf_free(path);
    return err;
}

static long stat_at(int64_t dirfd, uint64_t upath, uint64_t ubuf, uint64_t flags)
{
    struct inode *ino;
    int err = at_inode(dirfd, upath, flags, &ino);
    if (err)
        return err;
    struct stat_k st;
    fill_stat(ino, &st);
    inode_put(ino);
    return copy_to_user((void *)ubuf, &st, sizeof(st));
}

SYS(stat)
{
    SYS_UNUSED;
    return stat_at(AT_FDCWD, a0, a1, 0);
}

SYS(lstat)
{
    SYS_UNUSED;
    return stat_at(AT_FDCWD, a0, a1, AT_SYMLINK_NOFOLLOW);
}

SYS(newfstatat)
{
    SYS_UNUSED;
    return stat_at((int64_t)(int)a0, a1, a2, a3);
}

SYS(fstat)
{
    SYS_UNUSED;
    struct file *f = fd_get(process_files(), (int)a0);
    if (f == NULL)
        return -EBADF;
    struct stat_k st;
    fill_stat(f->inode, &st);
    file_put(f);
    return copy_to_user((void *)a1, &st, sizeof(st));
}

SYS(statx)
{
    SYS_UNUSED;
    struct inode *ino;
    int err = at_inode((int64_t)(int)a0, a1, a2, &ino);
    if (err)
        return err;
    struct stat_k st;
    fill_stat(ino, &st);
    inode_put(ino);
    struct statx_k sx;
    memset(&sx, 0, sizeof(sx));
    sx.stx_mask = STATX_BASIC_STATS;
    sx.stx_blksize = BLOCK_SIZE;
    sx.stx_nlink = (uint32_t)st.st_nlink;
    sx.stx_mode = (uint16_t)st.st_mode;
    sx.stx_ino = st.st_ino;
    sx.stx_size = (uint64_t)st.st_size;
    sx.stx_blocks = (uint64_t)st.st_blocks;
    sx.stx_atime.tv_sec = sx.stx_mtime.tv_sec = sx.stx_ctime.tv_sec = st.st_mtime;
    sx.stx_atime.tv_nsec = sx.stx_mtime.tv_nsec = sx.stx_ctime.tv_nsec = (uint32_t)st.st_mtime_nsec;
    sx.stx_rdev_major = (uint32_t)st.st_rdev >> 8;
    sx.stx_rdev_minor = (uint32_t)st.st_rdev & 0xFF;
    sx.stx_dev_minor = 1;
    return copy_to_user((void *)a4, &sx, sizeof(sx));
}

static unsigned char dirent_type(uint32_t mode)
{
    switch (mode & S_IFMT) {
    case S_IFDIR: return DT_DIR;
    case S_IFLNK: return DT_LNK;
    case S_IFCHR: return DT_CHR;
    default: return DT_REG;
    }
}

/* getdents64: entries from f->pos on (0 ".", 1 "..", then the directory's). */
SYS(getdents64)
{
    SYS_UNUSED;
    struct file *f = fd_get(process_files(), (int)a0);
    if (f == NULL)
        return -EBADF;
    if (!S_ISDIR(f->inode->mode)) {
        file_put(f);
        return -ENOTDIR;
    }
    uint8_t *buf = kmalloc(NAME_MAX + 1 + 24);
    char *name = kmalloc(NAME_MAX + 1);
    long done = buf && name ? 0 : -ENOMEM;
    mutex_lock(&f->pos_lock);
    while (done >= 0) {
        struct inode *ino = NULL;
        if (f->pos == 0 || f->pos == 1) {
            memcpy(name, f->pos == 0 ? "." : "..", f->pos == 0 ? 2 : 3);
            ino = f->inode;
            inode_get(ino);
        } else if (vfs_dir_entry(f->inode, f->pos - 2, name, NAME_MAX + 1, &ino) != 0) {
            break;
        }
        size_t len = strlen(name);
        size_t reclen = (19 + len + 1 + 7) & ~(size_t)7;
        if ((size_t)done + reclen > a2) {
            inode_put(ino);
            if (done == 0)
                done = -EINVAL;     /* not even one entry fits */
            break;
        }
        memset(buf, 0, reclen);
        uint64_t d_ino = ino->ino;
        int64_t d_off = (int64_t)f->pos + 1;
        uint16_t rl = (uint16_t)reclen;
        memcpy(buf, &d_ino, 8);
        memcpy(buf + 8, &d_off, 8);
        memcpy(buf + 16, &rl, 2);
        buf[18] = dirent_type(ino->mode);
        memcpy(buf + 19, name, len + 1);
        inode_put(ino);
        if (copy_to_user((uint8_t *)a1 + done, buf, reclen)) {
            done = done ? done : -EFAULT;
            break;
        }
        done += (long)reclen;
        f->pos++;
    }
    mutex_unlock(&f->pos_lock);
    kfree(buf);
    kfree(name);
    file_put(f);
    return done;
}

static long mkdir_at(int64_t dirfd, uint64_t upath, uint64_t mode)
{
    int err;
    struct inode *dir;
    char *path = at_path(dirfd, upath, &dir, &err);
    if (path == NULL)
        return err;
    err = vfs_create(dir, path, S_IFDIR | ((uint32_t)mode & 07777 & ~process_current()->umask),
                     NULL, NULL);
    path_buf_free(path);
    inode_put(dir);
    return err;
}

SYS(mkdir)
{
    SYS_UNUSED;
    return mkdir_at(AT_FDCWD, a0, a1);
}

SYS(mkdirat)
{
    SYS_UNUSED;
    return mkdir_at((int64_t)(int)a0, a1, a2);
}

static long unlink_at(int64_t dirfd, uint64_t upath, uint64_t flags)
{
    if (flags & ~(uint64_t)AT_REMOVEDIR)
        return -EINVAL;
    int err;
    struct inode *dir;
    char *path = at_path(dirfd, upath, &dir, &err);
    if (path == NULL)
        return err;
    err = vfs_unlink(dir, path, flags & AT_REMOVEDIR);
    path_buf_free(path);
    inode_put(dir);
    return err;
}

SYS(unlink)
{
    SYS_UNUSED;
    return unlink_at(AT_FDCWD, a0, 0);
}

SYS(rmdir)
{
    SYS_UNUSED;
    return unlink_at(AT_FDCWD, a0, AT_REMOVEDIR);
}

SYS(unlinkat)
{
    SYS_UNUSED;
    return unlink_at((int64_t)(int)a0, a1, a2);
}

static long rename_at(int64_t olddir, uint64_t uold, int64_t newdir, uint64_t unew, uint64_t flags)
{
    if (flags != 0)
        return -EINVAL;             /* RENAME_NOREPLACE and friends: not in part 1 */
    int err;
    struct inode *d1, *d2;
    char *from = at_path(olddir, uold, &d1, &err);
    if (from == NULL)
        return err;
    char *to = at_path(newdir, unew, &d2, &err);
    if (to == NULL) {
        path_buf_free(from);
        inode_put(d1);
        return err;
    }
    err = vfs_rename_at(d1, from, d2, to);
    path_buf_free(from);
    path_buf_free(to);
    inode_put(d1);
    inode_put(d2);
    return err;
}

SYS(rename)
{
    SYS_UNUSED;
    return rename_at(AT_FDCWD, a0, AT_FDCWD, a1, 0);
}

SYS(renameat)
{
    SYS_UNUSED;
    return rename_at((int64_t)(int)a0, a1, (int64_t)(int)a2, a3, 0);
}

SYS(renameat2)
{
    SYS_UNUSED;
    return rename_at((int64_t)(int)a0, a1, (int64_t)(int)a2, a3, a4);
}

SYS(symlink)
{
    SYS_UNUSED;
    int err;
    char *target = user_path(a0, &err);
    if (target == NULL)
        return err;
    struct inode *dir;
    char *path = at_path(AT_FDCWD, a1, &dir, &err);
    if (path) {
        err = vfs_create(dir, path, S_IFLNK | 0777, target, NULL);
        path_buf_free(path);
        inode_put(dir);
    }
    path_buf_free(target);
    return err;
}

static long readlink_at(int64_t dirfd, uint64_t upath, uint64_t ubuf, uint64_t size)
{
    if ((int64_t)size <= 0)
        return -EINVAL;
    struct inode *ino;
    int err = at_inode(dirfd, upath, AT_SYMLINK_NOFOLLOW, &ino);
    if (err)
        return err;
    long r = -EINVAL;
    if (S_ISLNK(ino->mode)) {
        char *target = path_buf_alloc();
        int len = -ENOMEM;
        if (target && ino->get_link)
            len = ino->get_link(ino, target, PATH_MAX);
        else if (target)
            { len = (int)strlen(ino->link); memcpy(target, ino->link, (size_t)len + 1); }
        if (len >= 0) {
            size_t n = (size_t)len < size ? (size_t)len : size;
            r = copy_to_user((void *)ubuf, target, n) ? -EFAULT : (long)n;
        } else {
            r = len;
        }
        path_buf_free(target);
    }
    inode_put(ino);
    return r;
}

SYS(readlink)
{
    SYS_UNUSED;
    return readlink_at(AT_FDCWD, a0, a1, a2);
}

SYS(readlinkat)
{
    SYS_UNUSED;
    return readlink_at((int64_t)(int)a0, a1, a2, a3);
}

/* Everything is root's, and root may do anything: existence is the test. */
static long access_at(int64_t dirfd, uint64_t upath, uint64_t flags)
{
    struct inode *ino;
    int err = at_inode(dirfd, upath, flags & AT_SYMLINK_NOFOLLOW, &ino);
    if (err == 0)
        inode_put(ino);
    return err;
}

SYS(access)
{
    SYS_UNUSED;
    return access_at(AT_FDCWD, a0, 0);
}

SYS(faccessat)
{
    SYS_UNUSED;
    return access_at((int64_t)(int)a0, a1, 0);
}

SYS(faccessat2)
{
    SYS_UNUSED;
    return access_at((int64_t)(int)a0, a1, a3);
}

SYS(getcwd)
{
    SYS_UNUSED;
    char *buf = path_buf_alloc();
    if (buf == NULL)
        return -ENOMEM;
    struct inode *cwd = process_cwd();
    int len = vfs_path_of(cwd, buf, PATH_MAX);
    inode_put(cwd);
    long r = len;
    if (len >= 0)
        r = (size_t)len + 1 > a1 ? -ERANGE :
            copy_to_user((void *)a0, buf, (size_t)len + 1) ? -EFAULT : len + 1;
    path_buf_free(buf);
    return r;
}

static long change_dir(struct inode *ino)
{
    if (!S_ISDIR(ino->mode)) {
        inode_put(ino);
        return -ENOTDIR;
    }
    struct process *p = process_current();
    spin_lock(&p->lock);
    struct inode *old = p->cwd;
    p->cwd = ino;
    spin_unlock(&p->lock);
    inode_put(old);
    return 0;
}

SYS(chdir)
{
    SYS_UNUSED;
    struct inode *ino;
    int err = at_inode(AT_FDCWD, a0, 0, &ino);
    return err ? err : change_dir(ino);
}

SYS(fchdir)
{
    SYS_UNUSED;
    struct file *f = fd_get(process_files(), (int)a0);
    if (f == NULL)
        return -EBADF;
    struct inode *ino = f->inode;
    inode_get(ino);
    file_put(f);
    return change_dir(ino);
}

/* chmod: the permission bits (there is one user, root, so they only say
 * what is executable: execve wants an x bit, as on Linux). */
static void set_mode(struct inode *ino, uint64_t mode)
{
    ino->mode = (ino->mode & S_IFMT) | ((uint32_t)mode & 07777);
}

static long chmod_at(int64_t dirfd, uint64_t upath, uint64_t mode)
{
    struct inode *ino;
    int err = at_inode(dirfd, upath, 0, &ino);
    if (err)
        return err;
    set_mode(ino, mode);
    inode_put(ino);
    return 0;
}

SYS(chmod) { SYS_UNUSED; return chmod_at(AT_FDCWD, a0, a1); }
SYS(fchmodat) { SYS_UNUSED; return chmod_at((int64_t)(int)a0, a1, a2); }

SYS(fchmod)
{
    SYS_UNUSED;
    struct file *f = fd_get(process_files(), (int)a0);
    if (f == NULL)
        return -EBADF;
    set_mode(f->inode, a1);
    file_put(f);
    return 0;
}

/* chown: every file is root's and stays so; the file must exist. */
SYS(chown) { SYS_UNUSED; return access_at(AT_FDCWD, a0, 0); }
SYS(lchown) { SYS_UNUSED; return access_at(AT_FDCWD, a0, AT_SYMLINK_NOFOLLOW); }
SYS(fchownat) { SYS_UNUSED; return access_at((int64_t)(int)a0, a1, a4 & AT_SYMLINK_NOFOLLOW); }

SYS(fchown)
{
    SYS_UNUSED;
    struct file *f = fd_get(process_files(), (int)a0);
    if (f == NULL)
        return -EBADF;
    file_put(f);
    return 0;
}

/* utimensat / utimes: the modification time (the only one kept; stat
 * reports it as all three). */
#define UTIME_NOW ((1l << 30) - 1)
#define UTIME_OMIT ((1l << 30) - 2)

static long set_mtime(int64_t dirfd, uint64_t upath, uint64_t ns, bool now, uint64_t flags)
{
    struct inode *ino;
    int err;
    if (upath == 0) {
        /* futimens: the open file itself. */
        struct file *f = fd_get(process_files(), (int)dirfd);
        if (f == NULL)
            return -EBADF;
        ino = f->inode;
        inode_get(ino);
        file_put(f);
    } else {
        err = at_inode(dirfd, upath, flags & AT_SYMLINK_NOFOLLOW, &ino);
        if (err)
            return err;
    }
    ino->mtime_ns = now ? clock_realtime_ns() : ns;
    inode_put(ino);
    return 0;
}

SYS(utimensat)
{
    SYS_UNUSED;
    int64_t ts[2][2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };
    if (a2 && copy_from_user(ts, (const void *)a2, sizeof(ts)))
        return -EFAULT;
    int64_t sec = ts[1][0], nsec = ts[1][1];
    if (nsec == UTIME_OMIT)
        return 0;                   /* nothing to change */
    if (nsec != UTIME_NOW && (nsec < 0 || nsec >= 1000000000 || sec < 0))
        return -EINVAL;
    return set_mtime((int64_t)(int)a0, a1, (uint64_t)sec * 1000000000ull + (uint64_t)nsec,
                     nsec == UTIME_NOW, a3);
}

static long utimes_at(int64_t dirfd, uint64_t upath, uint64_t utv)
{
    int64_t tv[2][2];
    if (utv == 0)
        return set_mtime(dirfd, upath, 0, true, 0);
    if (copy_from_user(tv, (const void *)utv, sizeof(tv)))
        return -EFAULT;
    if (tv[1][0] < 0 || tv[1][1] < 0 || tv[1][1] >= 1000000)
        return -EINVAL;
    return set_mtime(dirfd, upath, (uint64_t)tv[1][0] * 1000000000ull + (uint64_t)tv[1][1] * 1000, false, 0);
}

SYS(utimes) { SYS_UNUSED; return utimes_at(AT_FDCWD, a0, a1); }
SYS(futimesat) { SYS_UNUSED; return utimes_at((int64_t)(int)a0, a1, a2); }
