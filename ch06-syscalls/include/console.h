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

/* While handler is set, Ctrl-C calls handler(ctx), from the interrupt that
 * brought the key (so it must not block), instead of queueing the key: the
 * shell's `run` sets it to end its program. NULL: Ctrl-C is a key again. */
void console_set_interrupt(void (*handler)(void *ctx), void *ctx);

/*
 * Print prompt, then let the user edit a line: insert and delete at the
 * cursor, Left/Right, Home/End (also Ctrl-A/Ctrl-E), Up/Down through the
 * history, Ctrl-U clears the line, Ctrl-C drops it. Returns the line's
 * length with the text NUL-terminated in buf (at most size - 1 characters),
 * or -1 if the user pressed Ctrl-C. The calling thread sleeps while no key
 * is queued.
 */
int console_readline(const char *prompt, char *buf, size_t size);

#endif
