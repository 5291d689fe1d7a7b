/* errno.h: error numbers, the same values as Linux's (ch06 returns them to Linux programs). */
#ifndef CUBOS_ERRNO_H
#define CUBOS_ERRNO_H

#define ENOENT 2        /* no such entry: nothing mapped there */
#define ENOMEM 12       /* out of memory */
#define EBUSY 16        /* busy (a timer already pending) */
#define EEXIST 17       /* something is already there */
#define EINVAL 22       /* an argument makes no sense */

#endif
