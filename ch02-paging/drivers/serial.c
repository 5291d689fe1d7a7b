/*
 * serial.c: a polled driver for the 16550 UART at COM1.
 *
 * The serial port is the kernel's console from the first instruction to the
 * last: QEMU connects it to the terminal (or to the grader), and a real PC
 * can send it over a null-modem cable. Register layout and bits are from the
 * 16550D data sheet (National Semiconductor), summarised on the OSDev wiki
 * "Serial Ports" page.
 */
#include <stdbool.h>
#include <stdint.h>

#include "serial.h"
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
#define LSR_THR_EMPTY 0x20    /* the transmitter can take a byte */

#define UART_CLOCK_HZ 115200  /* the divisor is this over the baud rate */
#define BAUD_RATE 115200
#define LOOPBACK_PROBE 0xAE

static bool serial_present;

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

void serial_putc(char c)
{
    if (!serial_present)
        return;
    if (c == '\n')
        serial_put_raw('\r');
    serial_put_raw(c);
}
