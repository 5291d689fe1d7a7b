/*
 * pty.h: pseudo-terminals (fs/pty.c): /dev/ptmx makes a pair, /dev/pts/N
 * is its slave side.
 */
#ifndef CUBOS_PTY_H
#define CUBOS_PTY_H

#include "vfs.h"

struct tty;

/* The file operations of /dev/ptmx (each open makes a pair) and of the
 * /dev/pts/N nodes it creates. */
extern const struct file_ops pty_master_ops;
extern const struct file_ops pty_slave_ops;

/* The directory to mount at /dev/pts (devfs_init), or NULL without memory. */
struct inode *pty_dir(void);

/* The pty slave that is session sid's controlling terminal, or NULL. */
struct tty *pty_of_session(int sid);

/* The same, held as an open slave is (/dev/tty), or NULL; and its release. */
struct tty *pty_ctty_get(int sid);
void pty_ctty_put(struct tty *t);

#endif
