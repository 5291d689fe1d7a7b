/* errno.h: error numbers, the same values as Linux's (asm-generic/errno-base.h
 * and errno.h), which system calls return to Linux programs negated. */
#ifndef CUBOS_ERRNO_H
#define CUBOS_ERRNO_H

#define EPERM 1         /* operation not permitted */
#define ENOENT 2        /* no such file or directory; nothing mapped there */
#define ESRCH 3         /* no such process or thread */
#define EINTR 4         /* interrupted */
#define EIO 5           /* input/output error */
#define ENXIO 6         /* no such device */
#define E2BIG 7         /* argument list too long */
#define ENOEXEC 8       /* not an executable this kernel runs */
#define EBADF 9         /* bad file descriptor */
#define ECHILD 10       /* no child to wait for */
#define EAGAIN 11       /* try again (would block) */
#define ENOMEM 12       /* out of memory */
#define EACCES 13       /* permission denied */
#define EFAULT 14       /* bad address */
#define EBUSY 16        /* busy (a timer already pending) */
#define EEXIST 17       /* something is already there */
#define EXDEV 18        /* across file systems */
#define ENODEV 19       /* no such device */
#define ENOTDIR 20      /* a path component is not a directory */
#define EISDIR 21       /* is a directory */
#define EINVAL 22       /* an argument makes no sense */
#define ENFILE 23       /* too many open files in the system */
#define EMFILE 24       /* too many open files in the process */
#define ENOTTY 25       /* not a terminal */
#define EFBIG 27        /* file too large */
#define ENOSPC 28       /* no space left */
#define ESPIPE 29       /* seek on a pipe */
#define EROFS 30        /* read-only file system */
#define EMLINK 31       /* too many links */
#define EPIPE 32        /* broken pipe */
#define EDOM 33         /* argument out of range */
#define ERANGE 34       /* result too large */
#define ENAMETOOLONG 36 /* file name too long */
#define ENOSYS 38       /* no such system call */
#define ENOTEMPTY 39    /* directory not empty */
#define ELOOP 40        /* too many symbolic links */
#define ENOTSOCK 88     /* not a socket */
#define EDESTADDRREQ 89 /* a datagram needs an address */
#define EMSGSIZE 90     /* message too long */
#define EPROTOTYPE 91   /* protocol wrong for the socket type */
#define ENOPROTOOPT 92  /* no such socket option */
#define EPROTONOSUPPORT 93 /* protocol not supported */
#define ESOCKTNOSUPPORT 94 /* socket type not supported */
#define EOPNOTSUPP 95   /* operation not supported on this socket */
#define EAFNOSUPPORT 97 /* address family not supported */
#define EADDRINUSE 98   /* address already in use */
#define EADDRNOTAVAIL 99 /* address not available here */
#define ENETDOWN 100    /* network is down */
#define ENETUNREACH 101 /* network unreachable */
#define ECONNABORTED 103 /* connection aborted */
#define ECONNRESET 104  /* connection reset by the peer */
#define ENOBUFS 105     /* no buffer space available */
#define EISCONN 106     /* already connected */
#define ENOTCONN 107    /* not connected */
#define ETIMEDOUT 110   /* timed out */
#define ECONNREFUSED 111 /* connection refused */
#define EHOSTUNREACH 113 /* no route to host */
#define EALREADY 114    /* a connect is already under way */
#define EINPROGRESS 115 /* a connect has started, not finished */

/* The kernel's own, never seen by a program (ch06 part 2): a system call
 * a signal interrupted. On the way back to user mode (signal.c) it starts
 * again, or returns -EINTR when a handler ran (ERESTARTSYS: unless the
 * handler has SA_RESTART; ERESTARTNOHAND: always). */
#define ERESTARTSYS 512
#define ERESTARTNOHAND 514

#endif
