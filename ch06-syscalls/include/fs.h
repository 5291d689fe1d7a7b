/* fs.h: the file systems the kernel mounts at boot (fs/). */
#ifndef CUBOS_FS_H
#define CUBOS_FS_H

struct boot_info;

/* devfs on /dev (fs/devfs.c). */
void devfs_init(void);

/* procfs on /proc (fs/procfs.c). */
void procfs_init(void);

/* Unpack the initrd module into the root file system (fs/initrd.c). */
void initrd_unpack(const struct boot_info *bi);

#endif
