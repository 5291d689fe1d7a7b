/*
 * session.h: the remote shell (net/rshell.c): the kernel's own shell,
 * the one on the console, served over TCP, several sessions at once.
 *
 * A session is the terminal of the threads that work for it: its shell
 * thread and every thread started from there (a command's threads, a
 * program's). What they print with kprintf goes to the session's
 * connection instead of the console; the shell reads its lines from the
 * connection; a program run there has the session's terminal (a tty with
 * the line discipline, fs/tty.c) as its stdin, stdout and stderr, and
 * Ctrl-C typed in the session interrupts it.
 */
#ifndef CUBOS_SESSION_H
#define CUBOS_SESSION_H

#include <stdarg.h>
#include <stddef.h>

struct file;
struct session;

#define RSHELL_PORT 23
#define RSHELL_MAX_SESSIONS 8

/* Accept remote shell connections on port (a thread of its own). */
void rshell_start(int port);

/* The session the calling thread works for, or NULL: the console (also
 * in an interrupt handler, and before the scheduler runs). */
struct session *session_current(void);

/* A reference for a new thread of the session's, and its release (the
 * session is freed with its last reference; any context). */
void session_get(struct session *s);
void session_put(struct session *s);

/* kprintf for a session's thread: formatted into its output. Never
 * sleeps: output that does not fit in the session's buffer is dropped,
 * and counted. */
int session_vprintf(struct session *s, const char *fmt, va_list args);

/* The shell's line, read from the session (console_readline's contract):
 * the length, -1 for Ctrl-C, or -2 once the connection has closed. */
int session_readline(struct session *s, const char *prompt, char *buf, size_t size);

/* Give the session's terminal to a program (session sid, group pgid in
 * the foreground), or back to the shell (sid 0): console_tty_give's
 * counterpart, for the kernel's run. */
void session_tty_give(struct session *s, int sid, int pgid);

/* An open file on the session's terminal (a program's stdin, stdout and
 * stderr). 0 and *out, or a negative errno. */
int session_tty_open(struct session *s, struct file **out);

#endif
