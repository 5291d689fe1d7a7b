/*
 * test_vfs.c: path lookup and the shape of the tree (fs/vfs.c), through
 * vfs.h only.
 *
 * The kernel around vfs.c is a few lines here: kmalloc is malloc with a
 * count of live blocks, a mutex or spinlock is a flag that stops the test
 * if it is taken twice (one thread: that is a self-deadlock) or released
 * when not held, a mutex taken under a spinlock stops it too
 * (might_sleep), the clock counts calls, and panic prints and aborts. The kernel's own
 * headers declare all of them; only the definitions are the test's.
 *
 * After every case check_tree() walks the whole tree from the root (and
 * from every inode the test holds) and demands what vfs.h promises: an
 * inode's refs are exactly the entries naming it plus the references the
 * test, a mount or the kernel hold; nlink counts entries (and a
 * directory's "." and its subdirectories' ".."); a directory's parent is
 * the one it is in; and the heap holds exactly the inodes, entries and
 * link targets found, plus vfs.c's pool of path buffers. So a reference
 * or a block lost by any call fails the case that made it, which
 * LeakSanitizer alone would not see (a lost block still reachable from
 * vfs.c's statics is no leak to it). At the end the tree is taken down
 * with vfs_unlink, the pool drained and the root put, and the heap must
 * be empty.
 *
 * Covers: absolute and relative lookups, ".", "..", ".." at the root,
 * repeated and trailing slashes, the empty path; symbolic links (relative,
 * absolute, chains, to a directory mid-path, follow=false, dangling,
 * loops, exactly SYMLINK_MAX_FOLLOW followed and one more, counted per
 * lookup not per depth); a mounted tree (crossing it both ways,
 * vfs_path_of inside it, vfs_dir_entry, -EBUSY for its mount point, a
 * mount stacked on another); -ENOTDIR, -ENOENT, NAME_MAX and
 * -ENAMETOOLONG; create, unlink, rmdir and rename with their errors and
 * link counts; inode_reserve; and thousands of random paths of ".", "..",
 * "/", short, long and link names, looked up, created, removed and renamed
 * over a small tree with links, after each of which the tree is checked
 * and every directory found must have a path that leads back to it.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "errno.h"
#include "heap.h"
#include "panic.h"
#include "vfs.h"

#include "check.h"

#define MAX_INO 65536           /* inode numbers the tree check can index */
#define MAX_HELD 16
#define FUZZ_ROUNDS 20000
#define FUZZ_COMPONENTS 4

/* ---- The kernel around vfs.c ----------------------------------------------- */

static long live_blocks;        /* kmalloc'd and not yet kfree'd */
static int spinlocks_held;
static int mutexes_held;
static uint64_t clock_ticks;
static char this_thread;        /* what a held mutex names as its owner */

void *kmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (p)
        live_blocks++;
    return p;
}

void kfree(void *ptr)
{
    if (ptr)
        live_blocks--;
    free(ptr);
}

void panic_at(const char *file, int line, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    fprintf(stderr, "PANIC at %s:%d: ", file, line);
    vfprintf(stderr, fmt, args);
    fprintf(stderr, "\n");
    va_end(args);
    abort();
}

void spin_lock(struct spinlock *l)
{
    if (l->locked)
        panic("spinlock %s taken again by its holder", l->name);
    l->locked = 1;
    spinlocks_held++;
}

void spin_unlock(struct spinlock *l)
{
    if (!l->locked)
        panic("spinlock %s released but not held", l->name);
    l->locked = 0;
    spinlocks_held--;
}

void mutex_lock(struct mutex *m)
{
    if (spinlocks_held)
        panic("mutex %s taken holding a spinlock (it may sleep)", m->lock.name);
    if (m->owner)
        panic("mutex %s taken again by its owner", m->lock.name);
    m->owner = (struct thread *)&this_thread;
    mutexes_held++;
}

void mutex_unlock(struct mutex *m)
{
    if (!m->owner)
        panic("mutex %s released but not held", m->lock.name);
    m->owner = NULL;
    mutexes_held--;
}

uint64_t clock_realtime_ns(void)
{
    return ++clock_ticks;
}

/* ---- References the test holds ----------------------------------------- */

static struct inode *held[MAX_HELD];
static int nheld;

/* Count a reference the test owns (from inode_new, vfs_lookup, vfs_create). */
static struct inode *held_add(struct inode *ino)
{
    if (nheld == MAX_HELD)
        panic("test: more than %d held inodes", MAX_HELD);
    held[nheld++] = ino;
    return ino;
}

static void held_put(struct inode *ino)
{
    for (int i = 0; i < nheld; i++)
        if (held[i] == ino) {
            held[i] = held[--nheld];
            inode_put(ino);
            return;
        }
    panic("test: inode %lu is not held", (unsigned long)ino->ino);
}

static int held_count(const struct inode *ino)
{
    int n = 0;
    for (int i = 0; i < nheld; i++)
        n += held[i] == ino;
    return n;
}

/* ---- The tree check ----------------------------------------------------- */

struct seen {
    unsigned stamp;             /* == check_stamp: found in this check */
    int entries;                /* directory entries naming the inode */
    int subdirs;                /* a directory's entries naming directories */
    struct inode *in;           /* the directory of (one of) those entries */
};

static struct seen seen[MAX_INO];
static struct inode *found[MAX_INO];
static size_t nfound;
static unsigned check_stamp;
static struct inode *root;
static long pool_blocks;        /* vfs.c's kept path buffers */

static struct seen *note(struct inode *ino)
{
    if (ino->ino >= MAX_INO)
        panic("test: inode number %lu past the check's table", (unsigned long)ino->ino);
    struct seen *s = &seen[ino->ino];
    if (s->stamp != check_stamp) {
        *s = (struct seen){ .stamp = check_stamp };
        found[nfound++] = ino;
    }
    return s;
}

/* Find every inode reached from the root and the held inodes (found[],
 * with its entries counted in seen[]); the heap blocks they own. */
static long tree_blocks(void)
{
    check_stamp++;
    nfound = 0;
    note(root);
    for (int i = 0; i < nheld; i++)
        note(held[i]);
    long blocks = 0;
    for (size_t i = 0; i < nfound; i++) {
        struct inode *ino = found[i];
        blocks += 1 + (ino->link != NULL) + (ino->data != NULL && !ino->borrowed);
        if (ino->mounted)
            note(ino->mounted);
        for (struct dir_entry *e = ino->entries; e; e = e->next) {
            blocks++;
            struct seen *s = note(e->inode);
            s->entries++;
            s->in = ino;
            if (S_ISDIR(e->inode->mode))
                seen[ino->ino].subdirs++;
        }
    }
    return blocks;
}

static bool check_inode(struct inode *ino, const char *where)
{
    struct seen *s = &seen[ino->ino];
    int refs = s->entries + held_count(ino) + (ino == root) + (ino->covers != NULL) +
               (ino->mounted != NULL);
    bool ok = ino->refs == refs;
    if (S_ISDIR(ino->mode)) {
        if (ino == root)
            ok = ok && ino->nlink == 2u + (unsigned)s->subdirs && ino->parent == root;
        else if (s->entries)
            ok = ok && s->entries == 1 && ino->nlink == 2u + (unsigned)s->subdirs &&
                 ino->parent == s->in;
        else if (ino->covers)
            ok = ok && ino->parent == ino && ino->covers->mounted == ino;
        else                    /* removed, or a file system's root not mounted */
            ok = ok && ino->parent == NULL;
    } else {
        ok = ok && ino->nlink == (unsigned)s->entries;
    }
    if (S_ISLNK(ino->mode) && ino->link)
        ok = ok && ino->size == strlen(ino->link);
    if (!ok)
        fprintf(stderr, "%s: inode %lu (mode %o): refs %d, expected %d; nlink %u, %d entries, "
                "%d subdirectories; parent %lu, in %lu\n", where, (unsigned long)ino->ino,
                ino->mode, ino->refs, refs, ino->nlink, s->entries, s->subdirs,
                ino->parent ? (unsigned long)ino->parent->ino : 0,
                s->entries ? (unsigned long)s->in->ino : 0);
    return ok;
}

/* Check the whole tree; false (and a failure counted) if anything is off. */
static bool check_tree(const char *where)
{
    long blocks = tree_blocks();
    bool ok = true;
    for (size_t i = 0; i < nfound; i++)
        ok = check_inode(found[i], where) && ok;
    if (live_blocks != blocks + pool_blocks) {
        fprintf(stderr, "%s: %ld blocks live, the tree holds %ld and the pool %ld\n", where,
                live_blocks, blocks, pool_blocks);
        ok = false;
    }
    if (spinlocks_held || mutexes_held) {
        fprintf(stderr, "%s: a lock is still held\n", where);
        ok = false;
    }
    CHECK(ok);
    return ok;
}

/* ---- Helpers ---------------------------------------------------------------- */

/* Look path up; the inode (still referenced by the tree), or NULL. */
static struct inode *find(struct inode *cwd, const char *path, bool follow)
{
    struct inode *ino;
    if (vfs_lookup(cwd, path, follow, &ino) != 0)
        return NULL;
    inode_put(ino);
    return ino;
}

static int lookup_err(struct inode *cwd, const char *path, bool follow)
{
    struct inode *ino;
    int err = vfs_lookup(cwd, path, follow, &ino);
    if (err == 0)
        inode_put(ino);
    return err;
}

static struct inode *make(const char *path, uint32_t mode, const char *target)
{
    struct inode *ino;
    int err = vfs_create(NULL, path, mode, target, &ino);
    if (err) {
        fprintf(stderr, "vfs_create %s: %d\n", path, err);
        CHECK(err == 0);
        return NULL;
    }
    inode_put(ino);
    return ino;
}

static struct inode *make_dir(const char *path)
{
    return make(path, S_IFDIR | 0755, NULL);
}

static struct inode *make_file(const char *path)
{
    return make(path, S_IFREG | 0644, NULL);
}

static struct inode *make_link(const char *path, const char *target)
{
    return make(path, S_IFLNK | 0777, target);
}

/* Remove everything in dir (referenced by the caller) but the entry
 * named keep (if not NULL), depth first. */
static void empty_dir(struct inode *dir, const char *keep)
{
    char name[NAME_MAX + 1];
    struct inode *child;
    size_t kept = 0;
    while (vfs_dir_entry(dir, kept, name, sizeof(name), &child) == 0) {
        if (keep && strcmp(name, keep) == 0) {
            inode_put(child);
            kept++;
            continue;
        }
        bool is_dir = S_ISDIR(child->mode);
        if (is_dir)
            empty_dir(child, NULL);
        int err = vfs_unlink(dir, name, is_dir);
        inode_put(child);
        if (err) {
            fprintf(stderr, "cannot remove %s: %d\n", name, err);
            CHECK(err == 0);
            return;
        }
    }
}

static void remove_tree(const char *path)
{
    struct inode *dir;
    CHECK(vfs_lookup(NULL, path, false, &dir) == 0);
    empty_dir(dir, NULL);
    inode_put(dir);
    CHECK(vfs_unlink(NULL, path, true) == 0);
}

/* vfs_path_of(dir) is expect. */
static bool path_is(struct inode *dir, const char *expect)
{
    char buf[PATH_MAX];
    int n = vfs_path_of(dir, buf, sizeof(buf));
    if (n < 0 || strcmp(buf, expect) != 0 || (size_t)n != strlen(expect)) {
        fprintf(stderr, "vfs_path_of: %d \"%s\", expected \"%s\"\n", n, n < 0 ? "" : buf, expect);
        return false;
    }
    return true;
}

static void fill_name(char *buf, char c, size_t n)
{
    memset(buf, c, n);
    buf[n] = '\0';
}

/* ---- Lookups ------------------------------------------------------------------ */

static void test_lookup(void)
{
    struct inode *t = make_dir("/t"), *d = make_dir("/t/d"), *e = make_dir("/t/d/e");
    struct inode *f = make_file("/t/d/e/f"), *g = make_file("/t/g");

    CHECK(find(NULL, "/t/d/e/f", true) == f);
    CHECK(find(NULL, "t/d/e/f", true) == f);        /* no cwd: from the root */
    CHECK(find(d, "e/f", true) == f);
    CHECK(find(d, "./e/./f", true) == f);
    CHECK(find(d, "../d/e/f", true) == f);
    CHECK(find(d, "e/../e/f", true) == f);
    CHECK(find(d, "/t/g", true) == g);              /* absolute ignores cwd */
    CHECK(find(d, ".", true) == d);
    CHECK(find(d, "..", true) == t);
    CHECK(find(e, "../..", true) == t);

    CHECK(find(NULL, "/", true) == root);
    CHECK(find(NULL, "///", true) == root);
    CHECK(find(NULL, "/..", true) == root);
    CHECK(find(NULL, "/../../..", true) == root);
    CHECK(find(NULL, "/../t/../../t", true) == t);
    CHECK(find(d, "../../../../..", true) == root);

    CHECK(find(NULL, "//t///d//e", true) == e);
    CHECK(find(NULL, "/t/d/", true) == d);
    CHECK(find(NULL, "/t/d///", true) == d);
    CHECK(find(d, "e/", true) == e);

    CHECK(lookup_err(NULL, "", true) == -ENOENT);
    CHECK(lookup_err(d, "", true) == -ENOENT);
    CHECK(lookup_err(NULL, "/t/none", true) == -ENOENT);
    CHECK(lookup_err(NULL, "/t/none/f", true) == -ENOENT);
    CHECK(lookup_err(d, "e/f/none", true) == -ENOTDIR);
    CHECK(lookup_err(NULL, "/t/g/x", true) == -ENOTDIR);
    CHECK(lookup_err(NULL, "/t/g/.", true) == -ENOTDIR);
    CHECK(lookup_err(NULL, "/t/g/..", true) == -ENOTDIR);
    CHECK(lookup_err(g, "x", true) == -ENOTDIR);    /* a file as the cwd */
    CHECK(lookup_err(NULL, "/t/g/", true) == -ENOTDIR);   /* only a directory ends in '/' */

    /* The parent lookup: the directory, referenced, and the last name. */
    char name[NAME_MAX + 1];
    struct inode *dir;
    CHECK(vfs_lookup_parent(NULL, "/t/d/e/f", &dir, name) == 0 && dir == e && strcmp(name, "f") == 0);
    inode_put(dir);
    CHECK(vfs_lookup_parent(d, "e/new", &dir, name) == 0 && dir == e && strcmp(name, "new") == 0);
    inode_put(dir);
    CHECK(vfs_lookup_parent(NULL, "/t/d//", &dir, name) == 0 && dir == t && strcmp(name, "d") == 0);
    inode_put(dir);
    CHECK(vfs_lookup_parent(NULL, "/", &dir, name) == 0 && dir == root && strcmp(name, ".") == 0);
    inode_put(dir);
    CHECK(vfs_lookup_parent(d, "..", &dir, name) == 0 && dir == d && strcmp(name, "..") == 0);
    inode_put(dir);
    CHECK(vfs_lookup_parent(NULL, "/t/none/x", &dir, name) == -ENOENT);
    CHECK(vfs_lookup_parent(NULL, "/t/g/x", &dir, name) == -ENOTDIR);
    CHECK(vfs_lookup_parent(NULL, "", &dir, name) == -ENOENT);

    /* A reference from vfs_lookup is the caller's. */
    struct inode *ref;
    CHECK(vfs_lookup(NULL, "/t/d/e/f", true, &ref) == 0 && ref == f && f->refs == 2);
    held_add(ref);
    check_tree("lookup, holding f");
    held_put(ref);
    CHECK(f->refs == 1);

    struct inode *r = vfs_root();
    CHECK(r == root && root->refs == 2);
    inode_put(r);

    check_tree("lookup");
    remove_tree("/t");
    check_tree("lookup, removed");
}

static void test_names(void)
{
    char name[NAME_MAX + 2], path[PATH_MAX], got[NAME_MAX + 1];
    struct inode *n = make_dir("/n");

    fill_name(name, 'x', NAME_MAX);
    snprintf(path, sizeof(path), "/n/%s", name);
    struct inode *longest = make_file(path);
    CHECK(longest != NULL && find(NULL, path, true) == longest);
    CHECK(find(n, name, true) == longest);
    struct inode *dir;
    CHECK(vfs_lookup_parent(NULL, path, &dir, got) == 0 && dir == n && strcmp(got, name) == 0);
    inode_put(dir);
    CHECK(vfs_dir_entry(n, 0, got, sizeof(got), &dir) == 0 && strcmp(got, name) == 0);
    inode_put(dir);
    CHECK(vfs_dir_entry(n, 0, got, 4, &dir) == 0 && strcmp(got, "xxx") == 0);   /* cut to size */
    inode_put(dir);
    CHECK(vfs_dir_entry(n, 1, got, sizeof(got), &dir) == -ENOENT);

    fill_name(name, 'y', NAME_MAX + 1);
    snprintf(path, sizeof(path), "/n/%s", name);
    CHECK(lookup_err(NULL, path, true) == -ENAMETOOLONG);
    CHECK(lookup_err(n, name, true) == -ENAMETOOLONG);
    CHECK(vfs_lookup_parent(NULL, path, &dir, got) == -ENAMETOOLONG);
    CHECK(vfs_create(NULL, path, S_IFREG | 0644, NULL, NULL) == -ENAMETOOLONG);
    CHECK(vfs_unlink(NULL, path, false) == -ENAMETOOLONG);
    snprintf(path, sizeof(path), "/n/%s/x", name);
    CHECK(lookup_err(NULL, path, true) == -ENAMETOOLONG);      /* not only the last */
    CHECK(vfs_create(NULL, path, S_IFREG | 0644, NULL, NULL) == -ENAMETOOLONG);

    /* vfs_link takes the name as given. */
    struct inode *file = held_add(inode_new(S_IFREG | 0644));
    CHECK(vfs_link(n, name, file) == -EINVAL);
    CHECK(vfs_link(n, "", file) == -EINVAL);
    CHECK(vfs_link(n, ".", file) == -EEXIST);
    CHECK(vfs_link(n, "..", file) == -EEXIST);
    CHECK(vfs_link(file, "x", n) == -ENOTDIR);
    fill_name(name, 'x', NAME_MAX);
    CHECK(vfs_link(n, name, file) == -EEXIST);
    CHECK(vfs_link(n, "hard", file) == 0 && file->nlink == 1);
    CHECK(vfs_link(n, "hard2", file) == 0 && file->nlink == 2);
    CHECK(find(NULL, "/n/hard2", true) == file);
    check_tree("names");
    held_put(file);
    CHECK(vfs_unlink(NULL, "/n/hard", false) == 0 && file->nlink == 1);
    CHECK(find(NULL, "/n/hard2", true) == file);

    remove_tree("/n");
    check_tree("names, removed");
}

/* ---- Symbolic links ------------------------------------------------------ */

static void test_symlinks(void)
{
    char path[PATH_MAX], target[32];
    make_dir("/s");
    struct inode *dir = make_dir("/s/dir"), *file = make_file("/s/dir/file");
    struct inode *rel = make_link("/s/rel", "dir/file");
    make_link("/s/abs", "/s/dir/file");
    make_link("/s/chain1", "chain2");
    make_link("/s/chain2", "/s/rel");
    struct inode *todir = make_link("/s/todir", "dir");
    make_link("/s/dir/up", "../dir/file");
    make_link("/s/dir/self", ".");
    make_link("/s/dir/top", "/");
    struct inode *dangle = make_link("/s/dangle", "nowhere");
    make_link("/s/empty", "");
    struct inode *a = make_link("/s/a", "b");
    make_link("/s/b", "a");
    make_link("/s/me", "me");

    CHECK(rel->size == strlen("dir/file") && strcmp(rel->link, "dir/file") == 0);
    CHECK(find(NULL, "/s/rel", true) == file);
    CHECK(find(NULL, "/s/abs", true) == file);
    CHECK(find(NULL, "/s/chain1", true) == file);
    CHECK(find(NULL, "/s/todir", true) == dir);
    CHECK(find(NULL, "/s/todir/file", true) == file);
    CHECK(find(NULL, "/s/todir/file", false) == file);  /* follow is for the last only */
    CHECK(find(NULL, "/s/todir/../rel", true) == file); /* ".." of where the link led */
    CHECK(find(NULL, "/s/todir/up", true) == file);     /* relative to the link's directory */
    CHECK(find(NULL, "/s/dir/self/self/self/file", true) == file);
    CHECK(find(NULL, "/s/dir/top", true) == root);
    CHECK(find(NULL, "/s/dir/top/s/dir/top/s/rel", true) == file);
    CHECK(find(dir, "self/up", true) == file);

    CHECK(find(NULL, "/s/rel", false) == rel);
    CHECK(find(NULL, "/s/todir", false) == todir);
    CHECK(find(NULL, "/s/todir/", false) == dir);       /* a trailing '/' follows */
    CHECK(find(NULL, "/s/dangle", false) == dangle);
    CHECK(lookup_err(NULL, "/s/dangle", true) == -ENOENT);
    CHECK(lookup_err(NULL, "/s/empty", true) == -ENOENT);
    CHECK(lookup_err(NULL, "/s/rel/x", true) == -ENOTDIR);

    CHECK(find(NULL, "/s/a", false) == a);
    CHECK(lookup_err(NULL, "/s/a", true) == -ELOOP);
    CHECK(lookup_err(NULL, "/s/b", true) == -ELOOP);
    CHECK(lookup_err(NULL, "/s/me", true) == -ELOOP);
    CHECK(lookup_err(NULL, "/s/a/x", false) == -ELOOP);
    char name[NAME_MAX + 1];
    struct inode *parent;
    CHECK(vfs_lookup_parent(NULL, "/s/a/x", &parent, name) == -ELOOP);
    CHECK(vfs_lookup_parent(NULL, "/s/a", &parent, name) == 0 && strcmp(name, "a") == 0);
    inode_put(parent);
    CHECK(vfs_create(NULL, "/s/me/x", S_IFREG | 0644, NULL, NULL) == -ELOOP);

    /* A chain of SYMLINK_MAX_FOLLOW + 1 links: c1 -> c2 -> ... -> dir. */
    for (int i = 1; i <= SYMLINK_MAX_FOLLOW + 1; i++) {
        snprintf(path, sizeof(path), "/s/c%d", i);
        if (i == SYMLINK_MAX_FOLLOW + 1)
            snprintf(target, sizeof(target), "dir");
        else
            snprintf(target, sizeof(target), "c%d", i + 1);
        make_link(path, target);
    }
    CHECK(find(NULL, "/s/c2", true) == dir);            /* SYMLINK_MAX_FOLLOW links */
    CHECK(find(NULL, "/s/c2/file", true) == file);
    CHECK(lookup_err(NULL, "/s/c1", true) == -ELOOP);   /* one more */
    CHECK(lookup_err(NULL, "/s/c1/file", true) == -ELOOP);
    CHECK(vfs_lookup_parent(NULL, "/s/c1/file", &parent, name) == -ELOOP);
    /* Each of rename's two lookups may follow as many. */
    CHECK(vfs_rename(NULL, "/s/c2/file", "/s/c2/file2") == 0);
    CHECK(vfs_rename(NULL, "/s/dir/file2", "/s/dir/file") == 0);

    /* The limit counts every link one lookup follows, not how deep. */
    size_t len = (size_t)snprintf(path, sizeof(path), "/s/dir");
    for (int i = 0; i < SYMLINK_MAX_FOLLOW; i++)
        len += (size_t)snprintf(path + len, sizeof(path) - len, "/self");
    snprintf(path + len, sizeof(path) - len, "/file");
    CHECK(find(NULL, path, true) == file);
    snprintf(path + len, sizeof(path) - len, "/self/file");
    CHECK(lookup_err(NULL, path, true) == -ELOOP);
    snprintf(path + len, sizeof(path) - len, "/up");   /* the 41st is the last component */
    CHECK(lookup_err(NULL, path, true) == -ELOOP);
    CHECK(lookup_err(NULL, path, false) == 0);

    /* A link is a name like another: made once, removed without its target. */
    CHECK(vfs_create(NULL, "/s/rel", S_IFLNK | 0777, "x", NULL) == -EEXIST);
    CHECK(vfs_create(NULL, "/s/dangle", S_IFREG | 0644, NULL, NULL) == -EEXIST);
    static char huge[PATH_MAX + 1];                     /* a target no path buffer holds */
    memset(huge, 'h', PATH_MAX);
    CHECK(vfs_create(NULL, "/s/huge", S_IFLNK | 0777, huge, NULL) == -ENAMETOOLONG);
    struct inode *made = make_file("/s/todir/new");     /* through a link mid-path */
    CHECK(made != NULL && find(dir, "new", true) == made);
    CHECK(vfs_unlink(NULL, "/s/todir", true) == -ENOTDIR);
    CHECK(vfs_unlink(NULL, "/s/todir", false) == 0);
    CHECK(find(NULL, "/s/dir/file", true) == file);
    CHECK(lookup_err(NULL, "/s/todir/file", true) == -ENOENT);
    CHECK(vfs_unlink(NULL, "/s/rel", false) == 0);
    CHECK(lookup_err(NULL, "/s/chain1", true) == -ENOENT);

    check_tree("symlinks");
    remove_tree("/s");
    check_tree("symlinks, removed");
}

/* ---- Mounts ------------------------------------------------------------------- */

/* vfs.h has no unmount (nothing in the kernel takes a file system down):
 * undo what vfs_mount did so the tree can be taken down. */
static void unmount_by_hand(struct inode *point)
{
    struct inode *fs = point->mounted;
    point->mounted = NULL;
    fs->covers = NULL;
    fs->parent = NULL;
    inode_put(fs);              /* the mount's */
    inode_put(point);           /* the lookup's, which vfs_mount keeps */
}

/* A file system of its own, as devfs makes one: a root, "sub", "sub/file"
 * and "sub/up" -> "../..". The root is held by the test. */
static struct inode *make_fs(void)
{
    struct inode *fs = held_add(inode_new(S_IFDIR | 0755));
    struct inode *sub = inode_new(S_IFDIR | 0755), *file = inode_new(S_IFREG | 0644);
    struct inode *up = inode_new(S_IFLNK | 0777);
    fs->nlink = 2;
    sub->nlink = 1;             /* its "." (vfs_create does this, vfs_link does not) */
    up->link = kmalloc(sizeof("../.."));
    memcpy(up->link, "../..", sizeof("../.."));
    up->size = strlen(up->link);
    CHECK(vfs_link(fs, "sub", sub) == 0);
    CHECK(vfs_link(sub, "file", file) == 0);
    CHECK(vfs_link(sub, "up", up) == 0);
    inode_put(sub);
    inode_put(file);
    inode_put(up);
    return fs;
}

static void test_mounts(void)
{
    char buf[PATH_MAX], name[NAME_MAX + 1];
    struct inode *m = make_dir("/m"), *point = make_dir("/m/mnt");
    make_file("/m/file");
    struct inode *fs = make_fs();
    struct inode *sub = fs->entries->inode, *file = sub->entries->next->inode;
    CHECK(strcmp(sub->entries->next->name, "file") == 0);

    CHECK(vfs_mount("/m/none", fs) == -ENOENT);
    CHECK(vfs_mount("/m/file", fs) == -ENOTDIR);
    CHECK(vfs_mount("/m/mnt", fs) == 0);
    check_tree("mounted");

    CHECK(find(NULL, "/m/mnt", true) == fs);
    CHECK(find(NULL, "/m/mnt/sub/file", true) == file);
    CHECK(find(m, "mnt/sub", true) == sub);
    CHECK(find(NULL, "/m/mnt/..", true) == m);
    CHECK(find(NULL, "/m/mnt/sub/../..", true) == m);
    CHECK(find(NULL, "/m/mnt/sub/../../mnt/sub/file", true) == file);
    CHECK(find(sub, "../..", true) == m);
    CHECK(find(fs, "..", true) == m);
    CHECK(find(sub, "../../..", true) == root);
    CHECK(find(NULL, "/m/mnt/sub/up", true) == m);      /* a link inside, out again */
    make_link("/m/in", "mnt/sub");
    CHECK(find(NULL, "/m/in/file", true) == file);      /* a link outside, in */

    CHECK(path_is(sub, "/m/mnt/sub"));
    CHECK(path_is(fs, "/m/mnt"));
    CHECK(path_is(m, "/m"));
    CHECK(path_is(root, "/"));
    CHECK(vfs_path_of(sub, buf, strlen("/m/mnt/sub")) == -ERANGE);
    CHECK(vfs_path_of(sub, buf, strlen("/m/mnt/sub") + 1) == (int)strlen("/m/mnt/sub"));
    CHECK(vfs_path_of(root, buf, 1) == -ERANGE);

    struct inode *ino;
    bool saw_mnt = false;
    for (size_t i = 0; vfs_dir_entry(m, i, name, sizeof(name), &ino) == 0; i++) {
        if (strcmp(name, "mnt") == 0)
            saw_mnt = ino == fs;                        /* the root on it, not the point */
        inode_put(ino);
    }
    CHECK(saw_mnt);

    CHECK(vfs_unlink(NULL, "/m/mnt", true) == -EBUSY);
    make_dir("/m/empty");
    CHECK(vfs_rename(NULL, "/m/empty", "/m/mnt") == -EBUSY);
    CHECK(vfs_unlink(NULL, "/m/mnt", false) == -EBUSY);
    CHECK(vfs_unlink(m, "mnt/", true) == -EBUSY);
    CHECK(vfs_unlink(NULL, "/m", true) == -ENOTEMPTY);
    CHECK(vfs_unlink(NULL, "/m/mnt/sub", true) == -ENOTEMPTY);

    /* Creating, renaming and removing inside the mounted tree. */
    struct inode *made = make_file("/m/mnt/new");
    CHECK(made != NULL && find(fs, "new", true) == made);
    CHECK(vfs_rename(NULL, "/m/mnt/new", "/m/mnt/sub/new") == 0);
    CHECK(find(sub, "new", true) == made);
    CHECK(vfs_unlink(NULL, "/m/mnt/sub/new", false) == 0);
    struct inode *x = make_dir("/m/x");
    CHECK(vfs_rename(NULL, "/m/x", "/m/mnt/sub/x") == 0);
    CHECK(x->parent == sub && path_is(x, "/m/mnt/sub/x"));
    CHECK(find(x, "../../..", true) == m);
    /* Into itself across the mount: /m/mnt/sub is below /m. */
    CHECK(vfs_rename(NULL, "/m", "/m/mnt/sub/y") == -EINVAL);
    check_tree("mounted, changed");

    /* A mount on the mounted root: ".." steps back over both. */
    struct inode *fs2 = held_add(inode_new(S_IFDIR | 0755));
    fs2->nlink = 2;
    CHECK(vfs_mount("/m/mnt", fs2) == 0);
    CHECK(find(NULL, "/m/mnt", true) == fs2);
    CHECK(lookup_err(NULL, "/m/mnt/sub", true) == -ENOENT);
    CHECK(find(fs2, "..", true) == m);
    CHECK(path_is(fs2, "/m/mnt"));
    CHECK(path_is(sub, "/m/mnt/sub"));                  /* hidden, but still where it was */
    check_tree("two mounts");
    unmount_by_hand(fs);
    held_put(fs2);
    CHECK(find(NULL, "/m/mnt/sub", true) == sub);

    unmount_by_hand(point);
    CHECK(find(NULL, "/m/mnt", true) == point);
    empty_dir(fs, NULL);
    held_put(fs);
    check_tree("unmounted");
    remove_tree("/m");
    check_tree("mounts, removed");
}

/* ---- Create, unlink, rename ---------------------------------------------------- */

static void test_create_unlink(void)
{
    struct inode *r = make_dir("/r");
    CHECK(r->nlink == 2 && root->nlink == 4);           /* "/", "/tmp", "/r" */
    uint64_t before = r->mtime_ns;
    struct inode *f = make_file("/r/f");
    CHECK(f->nlink == 1 && f->refs == 1 && S_ISREG(f->mode) && (f->mode & 07777) == 0644);
    CHECK(r->mtime_ns > before && r->nlink == 2);
    struct inode *d = make_dir("/r/d");
    CHECK(d->nlink == 2 && r->nlink == 3 && d->parent == r);

    struct inode *out;
    CHECK(vfs_create(NULL, "/r/g", S_IFREG | 0600, NULL, &out) == 0 && out->refs == 2);
    inode_put(out);
    CHECK(vfs_create(r, "f", S_IFREG | 0644, NULL, NULL) == -EEXIST);
    CHECK(vfs_create(NULL, "/r/f", S_IFDIR | 0755, NULL, NULL) == -EEXIST);
    CHECK(vfs_create(NULL, "/r/d/", S_IFDIR | 0755, NULL, NULL) == -EEXIST);
    CHECK(vfs_create(NULL, "/r/.", S_IFDIR | 0755, NULL, NULL) == -EEXIST);
    CHECK(vfs_create(NULL, "/r/..", S_IFDIR | 0755, NULL, NULL) == -EEXIST);
    CHECK(vfs_create(NULL, "/", S_IFDIR | 0755, NULL, NULL) == -EEXIST);
    CHECK(vfs_create(NULL, "/r/none/x", S_IFREG | 0644, NULL, NULL) == -ENOENT);
    CHECK(vfs_create(NULL, "/r/f/x", S_IFREG | 0644, NULL, NULL) == -ENOTDIR);
    CHECK(vfs_create(NULL, "", S_IFREG | 0644, NULL, NULL) == -ENOENT);
    make_file("/r/d/inner");

    CHECK(vfs_unlink(NULL, "/r/d", true) == -ENOTEMPTY);
    CHECK(vfs_unlink(NULL, "/r/d", false) == -EISDIR);
    CHECK(vfs_unlink(NULL, "/r/f", true) == -ENOTDIR);
    CHECK(vfs_unlink(NULL, "/r/none", false) == -ENOENT);
    CHECK(vfs_unlink(NULL, "/r/none/x", false) == -ENOENT);
    CHECK(vfs_unlink(NULL, "/r/f/x", false) == -ENOTDIR);
    CHECK(vfs_unlink(NULL, "/r/.", true) == -ENOENT);
    CHECK(vfs_unlink(NULL, "/", true) == -ENOENT);
    CHECK(vfs_unlink(NULL, "", false) == -ENOENT);
    check_tree("create");

    /* An unlinked file lives on while referenced. */
    held_add(f);
    inode_get(f);
    CHECK(vfs_unlink(r, "f", false) == 0 && f->nlink == 0 && f->refs == 1);
    CHECK(lookup_err(NULL, "/r/f", true) == -ENOENT);
    check_tree("unlinked, held");
    held_put(f);

    /* So does a removed directory, in which nothing can be made. */
    CHECK(vfs_unlink(NULL, "/r/d/inner", false) == 0);
    held_add(d);
    inode_get(d);
    CHECK(vfs_unlink(NULL, "/r/d", true) == 0);
    CHECK(d->nlink == 1 && d->parent == NULL && r->nlink == 2);
    CHECK(find(d, ".", true) == d);
    CHECK(vfs_create(d, "x", S_IFREG | 0644, NULL, NULL) == -ENOENT);
    char buf[64];
    CHECK(vfs_path_of(d, buf, sizeof(buf)) == -ENOENT);
    CHECK(lookup_err(d, "..", true) == -ENOENT);
    CHECK(vfs_rename(d, "/r/g", "x") == -ENOENT);
    check_tree("removed, held");
    held_put(d);

    remove_tree("/r");
    check_tree("create, removed");
}

static void test_rename(void)
{
    struct inode *w = make_dir("/w");
    struct inode *a = make_file("/w/a");
    make_file("/w/b");

    CHECK(vfs_rename(NULL, "/w/a", "/w/b") == 0);       /* over a file: b's inode goes */
    CHECK(find(NULL, "/w/b", true) == a && a->nlink == 1);
    CHECK(lookup_err(NULL, "/w/a", true) == -ENOENT);
    check_tree("rename over a file");
    CHECK(vfs_rename(NULL, "/w/b", "/w/b") == 0);       /* onto itself */
    CHECK(vfs_rename(w, "b", "./b") == 0);
    CHECK(find(NULL, "/w/b", true) == a);
    CHECK(vfs_rename(NULL, "/w/b", "/w/a") == 0);       /* to a new name */
    CHECK(find(NULL, "/w/a", true) == a && lookup_err(NULL, "/w/b", true) == -ENOENT);

    struct inode *d = make_dir("/w/d"), *sub = make_dir("/w/d/sub"), *e = make_dir("/w/e");
    make_file("/w/d/sub/f");
    CHECK(w->nlink == 4 && d->nlink == 3);
    CHECK(vfs_rename(NULL, "/w/d", "/w/d/sub/d") == -EINVAL);   /* into itself */
    CHECK(vfs_rename(NULL, "/w/d", "/w/d/x") == -EINVAL);
    CHECK(vfs_rename(w, "d", "d/sub/../x") == -EINVAL);
    CHECK(vfs_rename(NULL, "/w/e", "/w/d/sub") == -ENOTEMPTY);
    CHECK(vfs_rename(NULL, "/w/a", "/w/e") == -EISDIR);
    CHECK(vfs_rename(NULL, "/w/e", "/w/a") == -ENOTDIR);
    CHECK(vfs_rename(NULL, "/w/none", "/w/x") == -ENOENT);
    CHECK(vfs_rename(NULL, "/w/a", "/w/none/x") == -ENOENT);
    CHECK(vfs_rename(NULL, "/w/a", "/w/a/x") == -ENOTDIR);
    CHECK(vfs_rename(NULL, "/w/a", "/w/.") == -EEXIST);
    CHECK(vfs_rename(NULL, "/w/.", "/w/x") == -ENOENT);
    check_tree("rename refused");

    /* A directory moves with its ".." and its parents' link counts. */
    CHECK(vfs_rename(NULL, "/w/d/sub", "/w/e/sub") == 0);
    CHECK(sub->parent == e && d->nlink == 2 && e->nlink == 3 && w->nlink == 4);
    CHECK(find(sub, "..", true) == e && path_is(sub, "/w/e/sub"));
    CHECK(find(NULL, "/w/e/sub/f", true) != NULL);
    check_tree("moved a directory");
    /* Over an empty directory, which goes. */
    CHECK(vfs_rename(NULL, "/w/e/sub", "/w/d") == 0);
    CHECK(find(NULL, "/w/d", true) == sub && sub->parent == w && e->nlink == 2 && w->nlink == 4);
    CHECK(path_is(sub, "/w/d"));
    /* The directory a rename replaced is removed: nothing can be made in it. */
    struct inode *gone = make_dir("/w/gone");
    inode_get(gone);
    held_add(gone);
    make_dir("/w/new");
    CHECK(vfs_rename(NULL, "/w/new", "/w/gone") == 0);
    CHECK(gone->parent == NULL && vfs_create(gone, "x", S_IFREG | 0644, NULL, NULL) == -ENOENT);
    held_put(gone);
    CHECK(vfs_unlink(NULL, "/w/gone", true) == 0);
    check_tree("directory over a directory");
    /* Within one directory. */
    CHECK(vfs_rename(w, "d", "z") == 0 && w->nlink == 4 && path_is(sub, "/w/z"));
    check_tree("renamed a directory");

    remove_tree("/w");
    check_tree("rename, removed");
}

/* A file whose bytes are the initrd's: the first reserve copies them, the
 * next ones grow the copy. */
static void test_reserve(void)
{
    static const uint8_t initrd_bytes[] = "from the initrd";
    struct inode *f = held_add(inode_new(S_IFREG | 0644));
    f->data = (uint8_t *)initrd_bytes;
    f->size = sizeof(initrd_bytes);
    f->borrowed = true;
    CHECK(inode_reserve(f, 4) == 0 && !f->borrowed && f->data != initrd_bytes &&
          f->capacity >= f->size && memcmp(f->data, initrd_bytes, sizeof(initrd_bytes)) == 0);
    check_tree("reserve borrowed");
    uint8_t *copy = f->data;
    CHECK(inode_reserve(f, f->capacity) == 0 && f->data == copy);
    CHECK(inode_reserve(f, 10000) == 0 && f->capacity >= 10000 &&
          memcmp(f->data, initrd_bytes, sizeof(initrd_bytes)) == 0);
    check_tree("reserve grown");
    held_put(f);
    struct inode *g = held_add(inode_new(S_IFREG | 0644));  /* a new file's first write */
    CHECK(inode_reserve(g, 10) == 0 && g->capacity >= 10);
    check_tree("reserve new");
    held_put(g);
}

/* ---- Random paths ----------------------------------------------------------- */

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static unsigned pick(unsigned n)
{
    return (unsigned)(rng() % n);
}

static char long_ok[NAME_MAX + 1], long_bad[NAME_MAX + 2];

/* A path of names the fuzz tree holds (and none of the rest of the tree's,
 * so /fz, its cwd, is never moved or removed). */
static void random_path(char *buf, size_t size)
{
    static const char *const names[] = { "a", "b", "f", ".", "..", "la", "lb", "lc" };
    const size_t nnames = sizeof(names) / sizeof(names[0]);
    size_t len = 0;
    buf[0] = '\0';
    if (pick(40) == 0)
        return;
    if (pick(3) == 0)
        buf[len++] = '/';
    unsigned n = 1 + pick(FUZZ_COMPONENTS);
    for (unsigned i = 0; i < n; i++) {
        unsigned k = pick(20);          /* one in ten a long name */
        const char *name = k == 0 ? long_ok : k == 1 ? long_bad : names[pick(nnames)];
        len += (size_t)snprintf(buf + len, size - len, "%s", name);
        unsigned slashes = i + 1 < n ? 1 + pick(2) : pick(5) == 0;     /* sometimes a trailing one */
        while (slashes--)
            buf[len++] = '/';
        buf[len] = '\0';
    }
}

/* err is 0 or one of allowed (a list ended by 0). */
static bool ok_or_one_of(int err, const int *allowed)
{
    if (err == 0)
        return true;
    for (; *allowed; allowed++)
        if (err == *allowed)
            return true;
    return false;
}

/* A directory's path leads back to it. */
static void check_path_of(struct inode *dir)
{
    char *path = path_buf_alloc();
    CHECK(path != NULL);
    int n = vfs_path_of(dir, path, PATH_MAX);
    CHECK(n > 0 || n == -ERANGE);
    if (n > 0)
        CHECK(find(NULL, path, true) == dir);
    path_buf_free(path);
}

static void test_random_paths(void)
{
    static const int lookup_errs[] = { -ENOENT, -ENOTDIR, -ELOOP, -ENAMETOOLONG, 0 };
    static const int create_errs[] = { -ENOENT, -ENOTDIR, -ELOOP, -ENAMETOOLONG, -EEXIST, 0 };
    static const int unlink_errs[] = { -ENOENT, -ENOTDIR, -ELOOP, -ENAMETOOLONG, -EISDIR,
                                       -ENOTEMPTY, -EBUSY, 0 };
    static const int rename_errs[] = { -ENOENT, -ENOTDIR, -ELOOP, -ENAMETOOLONG, -EISDIR,
                                       -ENOTEMPTY, -EINVAL, -EEXIST, 0 };
    /* 0 lookup, 1 parent lookup, 2 create, 3 unlink, 4 rename */
    static const unsigned ops[] = { 0, 0, 0, 1, 2, 2, 3, 3, 4, 4 };
    char path[PATH_MAX], to[PATH_MAX], name[NAME_MAX + 1], what[64];
    fill_name(long_ok, 'n', NAME_MAX);
    fill_name(long_bad, 'n', NAME_MAX + 1);

    struct inode *fz = make_dir("/fz");
    inode_get(fz);
    held_add(fz);
    make_dir("/fz/a");
    make_dir("/fz/a/b");
    struct inode *f = make_file("/fz/a/f");
    make_link("/fz/la", "a");
    make_link("/fz/lb", "../fz/lb");
    make_link("/fz/a/lc", "/fz/la/b/..");
    CHECK(vfs_link(fz, "f", f) == 0);                   /* a hard link */
    check_tree("fuzz tree");

    int counts[5][2] = { { 0 } };                       /* per operation: done, succeeded */
    for (int round = 0; round < FUZZ_ROUNDS; round++) {
        struct inode *cwd = pick(2) ? fz : NULL;
        random_path(path, sizeof(path));
        unsigned op = ops[pick(sizeof(ops) / sizeof(ops[0]))];
        to[0] = '\0';
        int err;
        struct inode *ino;
        switch (op) {
        case 0:
            err = vfs_lookup(cwd, path, pick(2), &ino);
            CHECK(ok_or_one_of(err, lookup_errs));
            if (err == 0) {
                if (S_ISDIR(ino->mode))
                    check_path_of(ino);
                inode_put(ino);
            }
            break;
        case 1:
            err = vfs_lookup_parent(cwd, path, &ino, name);
            CHECK(ok_or_one_of(err, lookup_errs));
            if (err == 0) {
                CHECK(S_ISDIR(ino->mode) && strlen(name) >= 1 && strlen(name) <= NAME_MAX);
                inode_put(ino);
            }
            break;
        case 2: {
            static const uint32_t modes[] = { S_IFREG | 0644, S_IFDIR | 0755, S_IFLNK | 0777 };
            uint32_t mode = modes[pick(3)];
            random_path(to, sizeof(to));
            err = vfs_create(cwd, path, mode, S_ISLNK(mode) ? to : NULL, NULL);
            CHECK(ok_or_one_of(err, create_errs));
            break;
        }
        case 3:
            err = vfs_unlink(cwd, path, pick(2));
            CHECK(ok_or_one_of(err, unlink_errs));
            break;
        default:
            random_path(to, sizeof(to));
            err = vfs_rename(cwd, path, to);
            CHECK(ok_or_one_of(err, rename_errs));
            break;
        }
        counts[op][0]++;
        counts[op][1] += err == 0;
        snprintf(what, sizeof(what), "random round %d (operation %u, %d)", round, op, err);
        if (!check_tree(what) || failures) {
            fprintf(stderr, "%s: path \"%s\", to \"%s\"\n", what, path, to);
            break;
        }
    }
    printf("random paths: lookup %d (%d found), parent %d (%d), create %d (%d), "
           "unlink %d (%d), rename %d (%d)\n", counts[0][0], counts[0][1], counts[1][0],
           counts[1][1], counts[2][0], counts[2][1], counts[3][0], counts[3][1], counts[4][0],
           counts[4][1]);
    /* Random paths reach the root too ("/a", "/f/..", a long name): take
     * down everything there but /tmp. */
    held_put(fz);
    struct inode *r = vfs_root();
    empty_dir(r, "tmp");
    inode_put(r);
    check_tree("random paths, removed");
}

/* ---- The end --------------------------------------------------------------- */

/* Take down what vfs_init made: /tmp, the path buffers and the root. */
static void take_down(void)
{
    CHECK(vfs_unlink(NULL, "/tmp", true) == 0);
    CHECK(root->entries == NULL && root->refs == 1 && nheld == 0);
    check_tree("the end");
    for (long i = 0; i < pool_blocks; i++)
        kfree(path_buf_alloc());
    inode_put(root);
    CHECK(live_blocks == 0);
    if (live_blocks)
        fprintf(stderr, "%ld blocks still live\n", live_blocks);
}

int main(void)
{
    vfs_init();
    root = vfs_root();
    inode_put(root);
    pool_blocks = live_blocks - tree_blocks();
    CHECK(pool_blocks > 0);
    struct inode *tmp = find(NULL, "/tmp", true);
    CHECK(tmp && S_ISDIR(tmp->mode) && (tmp->mode & 07777) == 01777 && tmp->parent == root);
    CHECK(root->parent == root && root->nlink == 3);
    check_tree("vfs_init");

    test_lookup();
    test_names();
    test_symlinks();
    test_mounts();
    test_create_unlink();
    test_rename();
    test_reserve();
    test_random_paths();
    take_down();

    if (failures)
        printf("test_vfs: %d failures\n", failures);
    else
        printf("test_vfs: all passed\n");
    return failures != 0;
}
