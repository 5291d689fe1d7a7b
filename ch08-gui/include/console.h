/*
 * console.h: the kernel's terminal: output to the serial port and, when the
 * machine has one, the VGA text screen; input from the serial port and the
 * PS/2 keyboard, edited a line at a time.
 */
#ifndef CUBOS_CONSOLE_H
#define CUBOS_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>

/* Write to every output device. "\n" starts a new line on all of them;
 * VT100 escape sequences (used by the line editor) work on both. */
void console_putc(char c);
void console_write(const char *s, size_t n);

/* Hold the output for a whole message (kprintf does). Returns whether it
 * took the lock (not if this CPU already holds it); pass that to unlock. */
bool console_lock(void);
void console_unlock(bool locked);

/* Queue one key (keys.h) from an interrupt handler. Never blocks: returns
 * false, queueing nothing, if the queue is full. The serial driver then
 * holds its input back until serial_input_resume; a refused key from the
 * PS/2 keyboard is lost, as on a PC whose keyboard buffer is full. */
bool console_key(int key);

/* True if keys wait to be read (for poll on the console). */
bool console_input_pending(void);

/* While sink is set, every key goes to sink(key, ctx), from the interrupt
 * that brought it (so it must not block), instead of the queue: the
 * shell's `run` gives the keys to the console terminal (fs/tty.c) while
 * its program runs. NULL: keys are the kernel's again. */
void console_set_key_sink(void (*sink)(int key, void *ctx), void *ctx);

/* True while a key sink is set: the serial port then sends its bytes
 * undecoded (a program's terminal wants ESC and escape sequences as they
 * were typed). */
bool console_wants_bytes(void);

/* Write n bytes as they are (a terminal's processed output: no "\n" to
 * "\r\n" on the serial line). Take console_lock around it. */
void console_write_raw(const char *s, size_t n);

/*
 * Print prompt, then let the user edit a line: insert and delete at the
 * cursor, Left/Right, Home/End (also Ctrl-A/Ctrl-E), Up/Down through the
 * history, Ctrl-U clears the line, Ctrl-C drops it. Returns the line's
 * length with the text NUL-terminated in buf (at most size - 1 characters),
 * or -1 if the user pressed Ctrl-C. The calling thread sleeps while no key
 * is queued. A thread of a remote shell session reads the session's line
 * instead (session.h), and gets -2 once its connection has closed.
 */
int console_readline(const char *prompt, char *buf, size_t size);

#endif
