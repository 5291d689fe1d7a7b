/*
 * initrd.c: the root file system's first contents, from the initrd.
 *
 * GRUB loads the initrd (a cpio "newc" archive built from the chapter's
 * rootfs/ and user/ programs, tools/mkinitrd.py) as a multiboot2 module
 * named "initrd". Its memory stays reserved (mm/frame.c), so a file's
 * inode borrows its bytes from the archive instead of copying them; the
 * first write to the file copies them (inode_reserve). Directories,
 * files and symbolic links are created in the order the archive lists
 * them (tools/mkinitrd.py puts each directory before what it holds).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpio.h"
#include "errno.h"
#include "fs.h"
#include "heap.h"
#include "kprintf.h"
#include "memlayout.h"
#include "multiboot2.h"
#include "string.h"
#include "vfs.h"

#define INITRD_MODULE "initrd"

/* Create one archive entry at "/" + name; 0 or a negative errno. */
static int unpack_entry(const struct cpio_entry *e, char *path)
{
    const char *name = e->name;
    if (name[0] == '.' && name[1] == '/')
        name += 2;
    if (strcmp(name, ".") == 0 || name[0] == '\0')
        return 0;
    size_t len = strlen(name);
    if (len + 2 > PATH_MAX)
        return -ENAMETOOLONG;
    path[0] = '/';
    memcpy(path + 1, name, len + 1);
    uint32_t type = e->mode & S_IFMT;
    if (type == S_IFDIR) {
        int err = vfs_create(NULL, path, e->mode, NULL, NULL);
        return err == -EEXIST ? 0 : err;
    }
    if (type == S_IFLNK) {
        char *target = kmalloc(e->size + 1);
        if (target == NULL)
            return -ENOMEM;
        memcpy(target, e->data, e->size);
        target[e->size] = '\0';
        int err = vfs_create(NULL, path, e->mode, target, NULL);
        kfree(target);
        return err;
    }
    if (type != S_IFREG)
        return -EINVAL;
    struct inode *ino;
    int err = vfs_create(NULL, path, e->mode, NULL, &ino);
    if (err)
        return err;
    ino->data = (uint8_t *)e->data;
    ino->size = e->size;
    ino->borrowed = true;
    ino->mtime_ns = e->mtime * 1000000000ull;
    inode_put(ino);
    return 0;
}

void initrd_unpack(const struct boot_info *bi)
{
    const struct mb2_module *m = NULL;
    for (size_t i = 0; i < bi->module_count; i++)
        if (strcmp(bi->modules[i].name, INITRD_MODULE) == 0)
            m = &bi->modules[i];
    if (m == NULL) {
        kprintf("initrd: none (no module named \"%s\"): the root file system is empty\n",
                INITRD_MODULE);
        return;
    }
    struct cpio_reader r;
    cpio_open(&r, phys_to_virt(m->start), m->end - m->start);
    char *path = kmalloc(PATH_MAX);
    size_t files = 0, bytes = 0;
    struct cpio_entry e;
    const char *why = NULL;
    int got;
    while (path && (got = cpio_next(&r, &e, &why)) > 0) {
        int err = unpack_entry(&e, path);
        if (err)
            kprintf("initrd: %s: cannot create it (error %d), left out\n", e.name, err);
        else if ((e.mode & S_IFMT) == S_IFREG) {
            files++;
            bytes += e.size;
        }
    }
    if (path == NULL)
        kprintf("initrd: out of memory\n");
    else if (got < 0)
        kprintf("initrd: malformed archive: %s; unpacked what came before\n", why);
    kfree(path);
    kprintf("initrd: %zu files, %zu KiB, unpacked into the root file system\n", files, bytes / 1024);
}
