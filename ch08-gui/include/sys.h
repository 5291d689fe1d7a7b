/*
 * sys.h: the system call handlers (syscall/sys_*.c), each named after its
 * Linux call, each taking the raw argument registers. Listed here for the
 * table in syscall/syscall.c; nothing else calls them.
 */
#ifndef CUBOS_SYS_H
#define CUBOS_SYS_H

#include <stdint.h>

#define SYS(name) long sys_##name(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
#define SYS_UNUSED (void)a0, (void)a1, (void)a2, (void)a3, (void)a4, (void)a5

/* syscall/sys_fd.c */
SYS(read); SYS(write); SYS(readv); SYS(writev); SYS(pread64); SYS(pwrite64); SYS(close);
SYS(lseek); SYS(fcntl); SYS(dup); SYS(dup2); SYS(dup3); SYS(ioctl); SYS(ftruncate); SYS(fsync);
/* syscall/sys_path.c */
SYS(open); SYS(openat); SYS(fstat); SYS(stat); SYS(lstat); SYS(newfstatat); SYS(statx);
SYS(getdents64); SYS(mkdir); SYS(mkdirat); SYS(unlink); SYS(unlinkat); SYS(rmdir); SYS(rename);
SYS(renameat); SYS(renameat2); SYS(readlink); SYS(readlinkat); SYS(access); SYS(faccessat);
SYS(faccessat2); SYS(getcwd); SYS(chdir); SYS(fchdir); SYS(symlink); SYS(chmod); SYS(fchmod);
SYS(fchmodat); SYS(chown); SYS(lchown); SYS(fchownat); SYS(fchown); SYS(utimensat); SYS(utimes);
SYS(futimesat);
/* syscall/sys_mm.c */
SYS(mmap); SYS(munmap); SYS(mprotect); SYS(madvise); SYS(mremap); SYS(brk);
/* syscall/sys_proc.c */
SYS(exit); SYS(exit_group); SYS(arch_prctl); SYS(set_tid_address); SYS(set_robust_list);
SYS(clone); SYS(getpid); SYS(gettid); SYS(getppid); SYS(getuid); SYS(geteuid); SYS(getgid);
SYS(getegid); SYS(getpgrp); SYS(getpgid); SYS(setpgid); SYS(getsid); SYS(setsid); SYS(uname);
SYS(getrandom); SYS(sched_yield); SYS(sched_getaffinity); SYS(getrlimit); SYS(prlimit64);
SYS(sysinfo); SYS(umask); SYS(futex); SYS(getresuid); SYS(getresgid); SYS(fork); SYS(vfork);
SYS(getgroups); SYS(setgroups);
/* syscall/sys_exec.c, sys_wait.c */
SYS(execve); SYS(wait4); SYS(waitid);
/* syscall/sys_signal.c */
SYS(rt_sigaction); SYS(rt_sigprocmask); SYS(rt_sigpending); SYS(rt_sigsuspend); SYS(pause);
SYS(sigaltstack); SYS(rt_sigreturn); SYS(kill); SYS(tgkill); SYS(tkill); SYS(alarm);
SYS(setitimer); SYS(getitimer);
/* syscall/sys_poll.c */
SYS(pipe); SYS(pipe2); SYS(eventfd); SYS(eventfd2); SYS(epoll_create); SYS(epoll_create1);
SYS(epoll_ctl); SYS(epoll_wait); SYS(epoll_pwait); SYS(poll); SYS(ppoll); SYS(select); SYS(pselect6);
/* syscall/sys_time.c */
SYS(clock_gettime); SYS(clock_getres); SYS(gettimeofday); SYS(time); SYS(nanosleep);
SYS(clock_nanosleep);
/* syscall/sys_socket.c (registered when the network starts, socket.h) */
SYS(socket); SYS(bind); SYS(listen); SYS(connect); SYS(accept); SYS(accept4); SYS(sendto);
SYS(recvfrom); SYS(sendmsg); SYS(recvmsg); SYS(shutdown); SYS(getsockname); SYS(getpeername);
SYS(setsockopt); SYS(getsockopt);

#endif
