/*
 * console.c: the kernel's terminal.
 *
 * Output goes to the serial port and, when GRUB gave us a text screen, to
 * VGA; both understand the same VT100 subset, so the line editor's echo
 * works on either. Input arrives as keys from interrupt handlers (the
 * serial port through lib/vt100.c, the PS/2 keyboard through its scancode
 * table) and waits in a small queue until console_readline takes it.
 *
 * With threads (ch04), a reader waiting for a key sleeps on a wait queue
 * and other threads run; and output takes a lock, so that lines printed by
 * different threads do not mix character by character.
 */
#include <stddef.h>

#include "console.h"
#include "fbcon.h"
#include "keys.h"
#include "line_edit.h"
#include "poll.h"
#include "serial.h"
#include "session.h"
#include "smp.h"
#include "spinlock.h"
#include "string.h"
#include "vga.h"
#include "wait.h"

/*
 * Keys typed but not yet read. A power of two, so the free-running head and
 * tail counters stay consistent when they wrap around. 64 keys is more than
 * anyone types ahead of a prompt; a longer paste is held back in the serial
 * port while the queue is full (see drivers/serial.c), so it is not lost.
 */
#define KEY_QUEUE_SIZE 64

/*
 * The queue has producers in interrupt handlers (console_key) and a
 * consumer thread (console_readline); input_lock guards it, and a reader
 * with nothing to read sleeps on key_ready.
 */
static struct spinlock input_lock = SPINLOCK_INIT("console input");
/* Where keys go instead of the queue while a program has the terminal
 * (console_set_key_sink). */
static void (*key_sink)(int key, void *ctx);
static void *key_sink_ctx;
static struct wait_queue key_ready;
static int key_queue[KEY_QUEUE_SIZE];
static unsigned key_head;       /* keys taken out so far */
static unsigned key_tail;       /* keys put in so far */

/* Output: one writer at a time. A fault or panic while this CPU is already
 * printing must still be able to print, so the lock is skipped when held
 * by this CPU (the report then lands in the middle of the interrupted line). */
static struct spinlock output_lock = SPINLOCK_INIT("console output");

bool console_lock(void)
{
    /* Once a panic stops the CPUs, one of them may have been stopped
     * holding this lock: the panic's report goes out without it. */
    if (spin_held(&output_lock) || smp_stopping())
        return false;
    spin_lock(&output_lock);
    return true;
}

void console_unlock(bool locked)
{
    if (locked)
        spin_unlock(&output_lock);
}

/* The width the line editor plans for: the VGA text screen's, and a
 * terminal's unless resized (a wider one works too; the line then scrolls
 * sideways before it would have to). */
#define CONSOLE_COLUMNS 80

/* One editor for the whole kernel, so the history lasts across prompts. */
static struct line_editor editor;

void console_putc(char c)
{
    serial_putc(c);
    if (vga_present())
        vga_putc(c);
    if (fbcon_present())
        fbcon_write(&c, 1);
}

void console_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        serial_putc(s[i]);
        if (vga_present())
            vga_putc(s[i]);
    }
    if (fbcon_present())
        fbcon_write(s, n);          /* once: the changed cells drawn together */
}

void console_write_raw(const char *s, size_t n)
{
    serial_write_raw(s, n);
    if (vga_present())
        for (size_t i = 0; i < n; i++)
            vga_putc(s[i]);
    if (fbcon_present())
        fbcon_write(s, n);
}

bool console_input_pending(void)
{
    return __atomic_load_n(&key_tail, __ATOMIC_ACQUIRE) != __atomic_load_n(&key_head, __ATOMIC_ACQUIRE);
}

bool console_wants_bytes(void)
{
    return __atomic_load_n(&key_sink, __ATOMIC_RELAXED) != NULL;
}

void console_set_key_sink(void (*sink)(int key, void *ctx), void *ctx)
{
    spin_lock(&input_lock);
    key_sink = sink;
    key_sink_ctx = ctx;
    /* Keys typed ahead (while the program was starting) are its too. */
    bool was_full = key_tail - key_head == KEY_QUEUE_SIZE;
    for (; sink && key_head != key_tail; key_head++)
        sink(key_queue[key_head % KEY_QUEUE_SIZE], ctx);
    spin_unlock(&input_lock);
    if (sink && was_full)
        serial_input_resume();
}

bool console_key(int key)
{
    spin_lock(&input_lock);
    if (key_sink) {
        /* A program has the terminal: the key is its (fs/tty.c). */
        key_sink(key, key_sink_ctx);
        spin_unlock(&input_lock);
        return true;
    }
    bool room = key_tail - key_head < KEY_QUEUE_SIZE;
    if (room) {
        key_queue[key_tail % KEY_QUEUE_SIZE] = key;
        key_tail++;
        wait_wake_one(&key_ready);
    }
    spin_unlock(&input_lock);
    if (room)
        poll_notify();          /* a program may poll the console */
    return room;
}

/* Take the next key, sleeping until an interrupt queues one. A key can only
 * have been refused while the queue was full, so taking one from a full
 * queue lets the serial port deliver again. */
static int console_wait_key(void)
{
    /* A key may come at any time: a thread waiting here is never deadlocked. */
    static const struct wait_reason why = { WAIT_DEVICE, "read", "console", "input", NULL };
    spin_lock(&input_lock);
    while (key_head == key_tail)
        wait_sleep(&key_ready, &input_lock, &why);
    bool was_full = key_tail - key_head == KEY_QUEUE_SIZE;
    int key = key_queue[key_head % KEY_QUEUE_SIZE];
    key_head++;
    spin_unlock(&input_lock);
    if (was_full)
        serial_input_resume();
    return key;
}

/* The line editor's output callback. */
static void console_emit(const char *s, size_t n, void *ctx)
{
    (void)ctx;
    bool locked = console_lock();
    console_write(s, n);
    console_unlock(locked);
}

/* Copy the finished line into buf, cut to size - 1 characters, and return
 * its length; a zero-sized buf has no room even for the NUL. */
static int copy_line(char *buf, size_t size)
{
    size_t n = line_edit_length(&editor);

    if (size == 0)
        return 0;
    if (n > size - 1)
        n = size - 1;
    memcpy(buf, line_edit_text(&editor), n);
    buf[n] = '\0';
    return (int)n;
}

int console_readline(const char *prompt, char *buf, size_t size)
{
    struct session *s = session_current();
    if (s)
        return session_readline(s, prompt, buf, size);     /* a remote shell's (ch07) */
    console_emit(prompt, strlen(prompt), NULL);
    line_edit_start(&editor, CONSOLE_COLUMNS - strlen(prompt) % CONSOLE_COLUMNS);
    for (;;) {
        switch (line_edit_key(&editor, console_wait_key(), console_emit, NULL)) {
        case LINE_CANCELLED:
            return -1;
        case LINE_DONE:
            return copy_line(buf, size);
        case LINE_EDITING:
            break;
        }
    }
}
