/*
 * serial.c: a polled driver for the 16550 UART at COM1.
 *
 * The serial port is the kernel's console from the first instruction to the
 * last: QEMU connects it to the terminal (or to the grader), and a real PC
 * can send it over a null-modem cable. Register layout and bits are from the
 * 16550D data sheet (National Semiconductor), summarised on the OSDev wiki
 * "Serial Ports" page.
 *
 * Output is polled: the kernel waits for the transmitter, which is simple
 * and works even inside an exception report. Input arrives by interrupt
 * (ISA IRQ 4): each received byte goes through the VT100 decoder, so arrow
 * keys typed at a terminal become the same keys the PS/2 keyboard produces.
 *
 * Input is never dropped. When the console's key queue is full (a long
 * paste), the driver keeps the key it could not queue, stops reading the
 * UART and turns its receive interrupt off; the bytes that follow wait in
 * the UART's FIFO, and beyond it in the sender (QEMU stops reading its
 * input when the FIFO is full; a real line needs the sender to pace
 * itself). When the reader makes room, the console calls
 * serial_input_resume, which delivers the kept key and what the UART
 * holds, and turns the interrupt back on.
 */
#include <stdbool.h>
#include <stdint.h>

#include "console.h"
#include "ioapic.h"
#include "serial.h"
#include "spinlock.h"
#include "trap.h"
#include "vt100.h"
#include "x86.h"

#define COM1 0x3F8

/* Register offsets from the base port. */
#define UART_DATA 0           /* receive / transmit buffer (DLAB = 0) */
#define UART_DIVISOR_LO 0     /* baud divisor, low byte (DLAB = 1) */
#define UART_IER 1            /* interrupt enable (DLAB = 0) */
#define UART_DIVISOR_HI 1     /* baud divisor, high byte (DLAB = 1) */
#define UART_FCR 2            /* FIFO control */
#define UART_LCR 3            /* line control */
#define UART_MCR 4            /* modem control */
#define UART_LSR 5            /* line status */

#define LCR_8N1 0x03          /* 8 data bits, no parity, 1 stop bit */
#define LCR_DLAB 0x80         /* divisor latch access */
#define FCR_ENABLE_CLEAR 0x07 /* enable FIFOs, clear both */
#define MCR_DTR_RTS_OUT2 0x0B /* data terminal ready, request to send, OUT2 (IRQ gate) */
#define MCR_LOOPBACK 0x10
#define LSR_DATA_READY 0x01   /* a received byte waits in the buffer */
#define LSR_THR_EMPTY 0x20    /* the transmitter can take a byte */
#define IER_RX_AVAILABLE 0x01 /* interrupt when a byte arrives */

#define UART_CLOCK_HZ 115200  /* the divisor is this over the baud rate */
#define BAUD_RATE 115200
#define LOOPBACK_PROBE 0xAE

static bool serial_present;
static struct vt100_decoder decoder;

/* A key decoded but refused by a full console queue; it goes first when
 * input resumes, before any byte still waiting in the UART. receive_lock
 * guards it, the decoder and the receive registers against the interrupt
 * handler and serial_input_resume running at once. */
static struct spinlock receive_lock = SPINLOCK_INIT("serial receive");
static int held_key = VT100_NO_KEY;

bool serial_init(void)
{
    uint16_t divisor = UART_CLOCK_HZ / BAUD_RATE;

    outb(COM1 + UART_IER, 0);
    outb(COM1 + UART_LCR, LCR_DLAB);
    outb(COM1 + UART_DIVISOR_LO, divisor & 0xFF);
    outb(COM1 + UART_DIVISOR_HI, divisor >> 8);
    outb(COM1 + UART_LCR, LCR_8N1);
    outb(COM1 + UART_FCR, FCR_ENABLE_CLEAR);

    /* In loopback mode the UART hears what it sends: no echo, no UART. */
    outb(COM1 + UART_MCR, MCR_LOOPBACK);
    outb(COM1 + UART_DATA, LOOPBACK_PROBE);
    serial_present = inb(COM1 + UART_DATA) == LOOPBACK_PROBE;

    outb(COM1 + UART_MCR, MCR_DTR_RTS_OUT2);
    return serial_present;
}

static void serial_put_raw(char c)
{
    while (!(inb(COM1 + UART_LSR) & LSR_THR_EMPTY))
        ;
    outb(COM1 + UART_DATA, (uint8_t)c);
}

void serial_write_raw(const char *s, size_t n)
{
    if (!serial_present)
        return;
    for (size_t i = 0; i < n; i++)
        serial_put_raw(s[i]);
}

void serial_putc(char c)
{
    if (!serial_present)
        return;
    if (c == '\n')
        serial_put_raw('\r');
    serial_put_raw(c);
}

/* Move keys to the console until the UART is empty or the console is full.
 * A key the console refuses is kept, and the receive interrupt turned off
 * until serial_input_resume. The caller holds receive_lock. */
static bool decoding_off;       /* the last byte went to a program undecoded */

static void receive(void)
{
    for (;;) {
        if (held_key == VT100_NO_KEY) {
            if (!(inb(COM1 + UART_LSR) & LSR_DATA_READY))
                return;
            unsigned char byte = inb(COM1 + UART_DATA);
            /* A program that has the console (ch06) gets the bytes as
             * they came, escape sequences and a lone ESC included: its
             * terminal and its own code decode them. */
            bool raw = console_wants_bytes();
            if (raw != decoding_off) {
                vt100_init(&decoder);
                decoding_off = raw;
            }
            held_key = raw ? byte : vt100_feed(&decoder, byte);
        } else if (console_key(held_key)) {
            held_key = VT100_NO_KEY;
        } else {
            outb(COM1 + UART_IER, 0);
            return;
        }
    }
}

static void serial_interrupt(struct trap_frame *tf)
{
    (void)tf;
    spin_lock(&receive_lock);
    receive();
    spin_unlock(&receive_lock);
}

/* The held key goes first, then what waits in the UART; no interrupt would
 * come for the held key alone. */
void serial_input_resume(void)
{
    if (!serial_present)
        return;
    spin_lock(&receive_lock);
    outb(COM1 + UART_IER, IER_RX_AVAILABLE);
    receive();
    spin_unlock(&receive_lock);
}

void serial_enable_input(void)
{
    if (!serial_present)
        return;
    trap_set_handler(VEC_COM1, serial_interrupt);
    ioapic_route_isa(ISA_IRQ_COM1, VEC_COM1);
    outb(COM1 + UART_IER, IER_RX_AVAILABLE);
    while (inb(COM1 + UART_LSR) & LSR_DATA_READY)   /* drop what came before */
        inb(COM1 + UART_DATA);
}
