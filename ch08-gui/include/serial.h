/* serial.h: the 16550 UART on COM1, the kernel's first console. */
#ifndef CUBOS_SERIAL_H
#define CUBOS_SERIAL_H

#include <stdbool.h>
#include <stddef.h>

/* Program COM1 for 115200 baud 8N1. Returns false if no working UART answers. */
bool serial_init(void);

/* n bytes as they are, "\n" not turned into "\r\n" (a terminal's output, ch06). */
void serial_write_raw(const char *s, size_t n);

/* Send one byte, waiting for the transmitter; "\n" goes out as "\r\n". */
void serial_putc(char c);

/* Deliver received bytes, decoded into keys, to the console by interrupt.
 * Needs the trap handlers and the IO APIC. */
void serial_enable_input(void);

/* The console made room after refusing a key (console_key returned false):
 * deliver the refused key and what waits in the UART, and take input by
 * interrupt again. Not from an interrupt handler. */
void serial_input_resume(void);

#endif
