/* fs.h: the file systems the kernel mounts at boot (fs/). */
#ifndef CUBOS_FS_H
#define CUBOS_FS_H

struct boot_info;

/* devfs on /dev (fs/devfs.c). */
void devfs_init(void);

/* procfs on /proc (fs/procfs.c). */
void procfs_init(void);

/* /proc/PID for a new process, and its removal when the process is freed
 * (proc/process.c). 0 or -ENOMEM; may sleep. */
int procfs_add_process(int pid);
void procfs_remove_process(int pid);

/* Unpack the initrd module into the root file system (fs/initrd.c). */
void initrd_unpack(const struct boot_info *bi);

#endif
