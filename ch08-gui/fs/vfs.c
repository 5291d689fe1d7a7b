/*
 * vfs.c: the tree of inodes: lookup, mounts, links, directories.
 *
 * Path lookup walks one component at a time from the root (a path that
 * starts with '/') or the current directory: "." stays, ".." goes to the
 * parent (across a mount, to the mount point's parent), a mount point is
 * replaced by the root mounted on it, and a symbolic link is replaced by
 * the lookup of its target, at most SYMLINK_MAX_FOLLOW times per lookup.
 * Everything in memory: a directory is a list of named entries.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errno.h"
#include "heap.h"
#include "panic.h"
#include "string.h"
#include "clock.h"
#include "vfs.h"

#define PATH_BUFS_KEPT 4        /* path buffers kept for the next call */

static struct mutex vfs_lock = MUTEX_INIT("vfs");
static struct spinlock path_bufs_lock = SPINLOCK_INIT("path buffers");
static char *path_bufs[PATH_BUFS_KEPT];
static int path_bufs_count;
static struct spinlock refs_lock = SPINLOCK_INIT("inode refs");
static struct inode *root;
static uint64_t next_ino = 1;

/* A PATH_MAX buffer is larger than the heap's slabs (kmalloc maps pages
 * for it, and a free unmaps them with a TLB shootdown): nearly every file
 * system call needs one, so a few are kept for the next. The pool is full
 * from boot on, so that memory at rest is the same before and after any
 * number of calls. */
char *path_buf_alloc(void)
{
    spin_lock(&path_bufs_lock);
    char *buf = path_bufs_count > 0 ? path_bufs[--path_bufs_count] : NULL;
    spin_unlock(&path_bufs_lock);
    return buf ? buf : kmalloc(PATH_MAX);
}

void path_buf_free(char *buf)
{
    if (buf == NULL)
        return;
    spin_lock(&path_bufs_lock);
    bool kept = path_bufs_count < PATH_BUFS_KEPT;
    if (kept)
        path_bufs[path_bufs_count++] = buf;
    spin_unlock(&path_bufs_lock);
    if (!kept)
        kfree(buf);
}

struct inode *inode_new(uint32_t mode)
{
    struct inode *ino = kmalloc(sizeof(*ino));
    if (ino == NULL)
        return NULL;
    memset(ino, 0, sizeof(*ino));
    ino->mode = mode;
    ino->refs = 1;
    ino->lock = (struct mutex)MUTEX_INIT("inode");
    ino->mtime_ns = clock_realtime_ns();
    spin_lock(&refs_lock);
    ino->ino = next_ino++;
    spin_unlock(&refs_lock);
    return ino;
}

void inode_get(struct inode *ino)
{
    spin_lock(&refs_lock);
    ino->refs++;
    spin_unlock(&refs_lock);
}

void inode_put(struct inode *ino)
{
    spin_lock(&refs_lock);
    bool last = --ino->refs == 0;
    spin_unlock(&refs_lock);
    if (!last)
        return;
    /* A directory is empty by now (rmdir checks), its entries gone. */
    if (!ino->borrowed)
        kfree(ino->data);
    kfree(ino->link);
    kfree(ino);
}

struct inode *vfs_root(void)
{
    inode_get(root);
    return root;
}

void vfs_init(void)
{
    root = inode_new(S_IFDIR | 0755);
    if (root == NULL)
        panic("vfs: no memory for the root directory");
    root->parent = root;
    root->nlink = 2;
    for (int i = 0; i < PATH_BUFS_KEPT; i++) {
        path_bufs[i] = kmalloc(PATH_MAX);
        if (path_bufs[i] == NULL)
            panic("vfs: no memory for path buffers");
    }
    path_bufs_count = PATH_BUFS_KEPT;
    /* Programs expect a world-writable /tmp (sticky). */
    if (vfs_create(NULL, "/tmp", S_IFDIR | 01777, NULL, NULL) != 0)
        panic("vfs: cannot make /tmp");
}

static struct dir_entry *find_entry(struct inode *dir, const char *name, size_t len)
{
    for (struct dir_entry *e = dir->entries; e; e = e->next)
        if (strlen(e->name) == len && memcmp(e->name, name, len) == 0)
            return e;
    return NULL;
}

/* The inode to use for ino: the root mounted on it, if any. */
static struct inode *cross_mount(struct inode *ino)
{
    while (ino->mounted)
        ino = ino->mounted;
    return ino;
}

struct walk {
    int links;                  /* symbolic links followed so far */
};

static int walk(struct walk *w, struct inode *start, const char *path, bool follow, bool parent,
                struct inode **out, char *last);

/* Follow the link ino found in dir: the lookup of its target. */
static int follow_link(struct walk *w, struct inode *dir, struct inode *ino, struct inode **out)
{
    if (++w->links > SYMLINK_MAX_FOLLOW)
        return -ELOOP;
    char *target = path_buf_alloc();
    if (target == NULL)
        return -ENOMEM;
    int err = 0;
    if (ino->get_link) {
        err = ino->get_link(ino, target, PATH_MAX);
    } else {
        size_t n = strlen(ino->link);
        memcpy(target, ino->link, n + 1);
    }
    if (err >= 0)
        err = walk(w, dir, target, true, false, out, NULL);
    path_buf_free(target);
    return err;
}

/*
 * Walk path from start (or the root, for an absolute path). With parent,
 * stop before the last component and copy it to last. The result holds
 * no reference yet (vfs_lock keeps the tree still).
 */
static int walk(struct walk *w, struct inode *start, const char *path, bool follow, bool parent,
                struct inode **out, char *last)
{
    /* LAB(path-walk): walk path one component at a time from the root
     * (a path that starts with '/') or start: skip repeated slashes; "."
     * stays, ".." goes to the parent (across a mount: a mounted root's
     * covers, then the mount point's parent; -ENOENT in a removed
     * directory); a name is looked up in the directory (-ENOENT,
     * -ENAMETOOLONG past NAME_MAX, -ENOTDIR through a file), a mount
     * point replaced by what is mounted on it (cross_mount), a symbolic
     * link followed (follow_link) unless it is the last component and not
     * follow. With parent, stop before the last component and copy it to
     * last. A trailing slash asks for a directory. */
    /* LAB-STUB: (void)w; (void)start; (void)path; (void)follow; (void)parent; (void)out; (void)last; */
    /* LAB-STUB: (void)follow_link; */
    /* LAB-STUB: return -ENOENT; */
    struct inode *dir = path[0] == '/' ? root : start;
    const char *p = path;
    if (*p == '\0')
        return -ENOENT;
    for (;;) {
        while (*p == '/')
            p++;
        const char *name = p;
        while (*p && *p != '/')
            p++;
        size_t len = (size_t)(p - name);
        const char *end = p;
        while (*p == '/')
            p++;
        bool final = *p == '\0';
        bool slash = final && p != end;     /* "name/" names a directory */
        if (len > NAME_MAX)
            return -ENAMETOOLONG;
        if (!S_ISDIR(dir->mode))
            return -ENOTDIR;
        if (final && parent) {
            if (len == 0)
                len = 1, name = ".";
            memcpy(last, name, len);
            last[len] = '\0';
            *out = dir;
            return 0;
        }
        if (len == 0) {             /* the path was "/" or ended with '/' */
            *out = dir;
            return 0;
        }
        struct inode *next;
        if (len == 1 && name[0] == '.') {
            next = dir;
        } else if (len == 2 && name[0] == '.' && name[1] == '.') {
            struct inode *d = dir;
            while (d->covers)       /* at a mounted root: step back over the mount */
                d = d->covers;
            if (d->parent == NULL)
                return -ENOENT;     /* a directory that was removed */
            next = cross_mount(d->parent);
        } else {
            struct dir_entry *e = find_entry(dir, name, len);
            if (e == NULL)
                return -ENOENT;
            next = cross_mount(e->inode);
            if (S_ISLNK(next->mode) && (!final || follow || slash)) {
                int err = follow_link(w, dir, next, &next);
                if (err < 0)
                    return err;
            }
        }
        if (final) {
            if (slash && !S_ISDIR(next->mode))
                return -ENOTDIR;
            *out = next;
            return 0;
        }
        dir = next;
    }
    /* END LAB(path-walk) */
}

int vfs_lookup(struct inode *cwd, const char *path, bool follow, struct inode **out)
{
    struct walk w = { 0 };
    mutex_lock(&vfs_lock);
    int err = walk(&w, cwd ? cwd : root, path, follow, false, out, NULL);
    if (err == 0)
        inode_get(*out);
    mutex_unlock(&vfs_lock);
    return err;
}

int vfs_lookup_parent(struct inode *cwd, const char *path, struct inode **dir, char *name)
{
    struct walk w = { 0 };
    mutex_lock(&vfs_lock);
    int err = walk(&w, cwd ? cwd : root, path, true, true, dir, name);
    if (err == 0)
        inode_get(*dir);
    mutex_unlock(&vfs_lock);
    return err;
}

/* Add an entry; vfs_lock held. */
static int link_locked(struct inode *dir, const char *name, struct inode *ino)
{
    size_t len = strlen(name);
    if (len == 0 || len > NAME_MAX)
        return -EINVAL;
    if (find_entry(dir, name, len) || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return -EEXIST;
    struct dir_entry *e = kmalloc(sizeof(*e) + len + 1);
    if (e == NULL)
        return -ENOMEM;
    memcpy(e->name, name, len + 1);
    e->inode = ino;
    inode_get(ino);
    ino->nlink++;
    if (S_ISDIR(ino->mode)) {
        ino->parent = dir;
        dir->nlink++;
    }
    e->next = dir->entries;
    dir->entries = e;
    dir->mtime_ns = clock_realtime_ns();
    return 0;
}

int vfs_link(struct inode *dir, const char *name, struct inode *ino)
{
    mutex_lock(&vfs_lock);
    int err = S_ISDIR(dir->mode) ? link_locked(dir, name, ino) : -ENOTDIR;
    mutex_unlock(&vfs_lock);
    return err;
}

int vfs_create(struct inode *cwd, const char *path, uint32_t mode, const char *target,
               struct inode **out)
{
    char name[NAME_MAX + 1];
    struct inode *dir;
    struct walk w = { 0 };
    mutex_lock(&vfs_lock);
    int err = walk(&w, cwd ? cwd : root, path, true, true, &dir, name);
    struct inode *ino = NULL;
    if (err == 0 && (strcmp(name, ".") == 0 || strcmp(name, "..") == 0))
        err = -EEXIST;
    if (err == 0 && dir->covers == NULL && dir != root && dir->parent == NULL)
        err = -ENOENT;              /* a directory that was removed */
    if (err == 0 && find_entry(dir, name, strlen(name)))
        err = -EEXIST;
    if (err == 0) {
        ino = inode_new(mode);
        if (ino == NULL)
            err = -ENOMEM;
    }
    if (err == 0 && target && strlen(target) >= PATH_MAX)
        err = -ENAMETOOLONG;        /* follow_link copies it to a path buffer */
    if (err == 0 && target) {
        size_t n = strlen(target);
        ino->link = kmalloc(n + 1);
        if (ino->link == NULL)
            err = -ENOMEM;
        else {
            memcpy(ino->link, target, n + 1);
            ino->size = n;
        }
    }
    if (err == 0) {
        if (S_ISDIR(mode))
            ino->nlink = 1;         /* its "." */
        err = link_locked(dir, name, ino);
    }
    mutex_unlock(&vfs_lock);
    if (err == 0 && out)
        *out = ino;
    else if (ino)
        inode_put(ino);
    return err;
}

int vfs_unlink(struct inode *cwd, const char *path, bool dir_only)
{
    char name[NAME_MAX + 1];
    struct inode *dir;
    struct walk w = { 0 };
    mutex_lock(&vfs_lock);
    int err = walk(&w, cwd ? cwd : root, path, false, true, &dir, name);
    struct dir_entry **pp = NULL;
    if (err == 0) {
        err = -ENOENT;
        for (pp = &dir->entries; *pp; pp = &(*pp)->next)
            if (strcmp((*pp)->name, name) == 0) {
                err = 0;
                break;
            }
    }
    struct inode *victim = NULL;
    if (err == 0) {
        victim = (*pp)->inode;
        if (victim->mounted)
            err = -EBUSY;
        else if (dir_only && !S_ISDIR(victim->mode))
            err = -ENOTDIR;
        else if (!dir_only && S_ISDIR(victim->mode))
            err = -EISDIR;
        else if (dir_only && victim->entries)
            err = -ENOTEMPTY;
    }
    if (err == 0) {
        struct dir_entry *e = *pp;
        *pp = e->next;
        kfree(e);
        victim->nlink--;
        if (S_ISDIR(victim->mode)) {
            dir->nlink--;
            victim->parent = NULL;
        }
        dir->mtime_ns = clock_realtime_ns();
    }
    mutex_unlock(&vfs_lock);
    if (err == 0)
        inode_put(victim);
    return err;
}

int vfs_rename(struct inode *cwd, const char *from, const char *to)
{
    return vfs_rename_at(cwd, from, cwd, to);
}

int vfs_rename_at(struct inode *from_start, const char *from, struct inode *to_start, const char *to)
{
    char from_name[NAME_MAX + 1], to_name[NAME_MAX + 1];
    struct inode *from_dir, *to_dir;
    struct walk w_from = { 0 }, w_to = { 0 };
    mutex_lock(&vfs_lock);
    int err = walk(&w_from, from_start ? from_start : root, from, false, true, &from_dir, from_name);
    if (err == 0)
        err = walk(&w_to, to_start ? to_start : root, to, false, true, &to_dir, to_name);
    if (err == 0 && to_dir->covers == NULL && to_dir != root && to_dir->parent == NULL)
        err = -ENOENT;              /* a directory that was removed */
    struct dir_entry *e = NULL;
    if (err == 0) {
        e = find_entry(from_dir, from_name, strlen(from_name));
        if (e == NULL)
            err = -ENOENT;
    }
    if (err == 0) {
        /* A directory cannot move into itself or below it. */
        for (struct inode *d = to_dir; d && d != root; d = d->covers ? d->covers->parent : d->parent)
            if (d == e->inode)
                err = -EINVAL;
    }
    struct inode *replaced = NULL;
    if (err == 0) {
        struct dir_entry *old = find_entry(to_dir, to_name, strlen(to_name));
        if (old == e) {
            mutex_unlock(&vfs_lock);
            return 0;
        }
        if (e->inode->mounted || (old && old->inode->mounted))
            err = -EBUSY;
        else if (old && S_ISDIR(old->inode->mode) != S_ISDIR(e->inode->mode))
            err = S_ISDIR(old->inode->mode) ? -EISDIR : -ENOTDIR;
        else if (old && old->inode->entries)
            err = -ENOTEMPTY;
        else if (old) {
            /* The target's entry takes the moving inode. */
            replaced = old->inode;
            replaced->nlink--;
            if (S_ISDIR(replaced->mode))
                replaced->parent = NULL;    /* removed: vfs_create refuses it */
            old->inode = e->inode;
            inode_get(e->inode);
        } else {
            err = link_locked(to_dir, to_name, e->inode);
            if (err == 0)
                e->inode->nlink--;
        }
    }
    if (err == 0) {
        struct inode *moving = e->inode;
        for (struct dir_entry **pp = &from_dir->entries; *pp; pp = &(*pp)->next)
            if (*pp == e) {
                *pp = e->next;
                break;
            }
        kfree(e);
        if (S_ISDIR(moving->mode)) {
            from_dir->nlink--;      /* to_dir's was counted by link_locked, or by the replaced one */
            moving->parent = to_dir;
        }
        inode_put(moving);
    }
    mutex_unlock(&vfs_lock);
    if (replaced)
        inode_put(replaced);
    return err;
}

int vfs_mount(const char *path, struct inode *fs_root)
{
    struct inode *point;
    int err = vfs_lookup(NULL, path, true, &point);
    if (err)
        return err;
    mutex_lock(&vfs_lock);
    if (!S_ISDIR(point->mode))
        err = -ENOTDIR;
    else if (point->mounted)
        err = -EBUSY;
    else {
        point->mounted = fs_root;   /* keeps the lookup's reference on point */
        fs_root->covers = point;
        fs_root->parent = fs_root;
        inode_get(fs_root);
    }
    mutex_unlock(&vfs_lock);
    if (err)
        inode_put(point);
    return err;
}

int vfs_dir_entry(struct inode *dir, size_t n, char *name, size_t size, struct inode **ino)
{
    mutex_lock(&vfs_lock);
    struct dir_entry *e = dir->entries;
    for (size_t i = 0; e && i < n; i++)
        e = e->next;
    int err = -ENOENT;
    if (e) {
        size_t len = strlen(e->name);
        if (len >= size)
            len = size - 1;
        memcpy(name, e->name, len);
        name[len] = '\0';
        *ino = cross_mount(e->inode);
        inode_get(*ino);
        err = 0;
    }
    mutex_unlock(&vfs_lock);
    return err;
}

int vfs_path_of(struct inode *dir, char *buf, size_t size)
{
    mutex_lock(&vfs_lock);
    /* Built backwards from the end of buf, then moved to its start. */
    size_t pos = size;
    int err = 0;
    struct inode *d = dir;
    while (err == 0) {
        while (d->covers)
            d = d->covers;
        if (d == root)
            break;
        struct inode *parent = d->parent;
        if (parent == NULL) {
            err = -ENOENT;          /* removed */
            break;
        }
        struct inode *p = cross_mount(parent);
        const char *name = NULL;
        for (struct dir_entry *e = parent->entries; e && !name; e = e->next)
            if (cross_mount(e->inode) == cross_mount(d) || e->inode == d)
                name = e->name;
        for (struct dir_entry *e = p->entries; e && !name; e = e->next)
            if (cross_mount(e->inode) == cross_mount(d))
                name = e->name;
        if (name == NULL) {
            err = -ENOENT;
            break;
        }
        size_t len = strlen(name);
        if (pos < len + 1) {
            err = -ERANGE;
            break;
        }
        pos -= len;
        memcpy(buf + pos, name, len);
        buf[--pos] = '/';
        d = parent;
    }
    mutex_unlock(&vfs_lock);
    if (err)
        return err;
    if (pos == size) {
        if (size < 2)
            return -ERANGE;
        buf[0] = '/';
        buf[1] = '\0';
        return 1;
    }
    if (pos == 0)
        return -ERANGE;         /* no room for the NUL */
    size_t len = size - pos;
    memmove(buf, buf + pos, len);
    buf[len] = '\0';
    return (int)len;
}

int inode_reserve(struct inode *ino, size_t size)
{
    if (size <= ino->capacity && !ino->borrowed)
        return 0;
    size_t cap = ino->capacity && !ino->borrowed ? ino->capacity : 64;
    while (cap < size)
        cap *= 2;
    uint8_t *data = kmalloc(cap);
    if (data == NULL)
        return -ENOMEM;
    if (ino->size)
        memcpy(data, ino->data, ino->size);
    if (!ino->borrowed)
        kfree(ino->data);
    ino->data = data;
    ino->capacity = cap;
    ino->borrowed = false;
    return 0;
}
