/*
 * pic.c: silence the two 8259A PICs of the PC/AT.
 *
 * The IO APIC delivers device interrupts in cubos, but the 8259s are still
 * there, and after power-on they would deliver IRQ 0-7 on vectors 8-15:
 * the CPU's exception vectors. So they are re-initialised to vectors
 * 0xE0-0xEF, where nothing else lives, and then every line is masked
 * (8259A data sheet: the ICW1-ICW4 initialization sequence; OSDev "8259 PIC").
 */
#include "pic.h"
#include "x86.h"

#define PIC1_COMMAND 0x20
#define PIC1_DATA 0x21
#define PIC2_COMMAND 0xA0
#define PIC2_DATA 0xA1

#define ICW1_INIT_WITH_ICW4 0x11
#define ICW3_PIC1_HAS_SLAVE_ON_IRQ2 0x04
#define ICW3_PIC2_CASCADE_ID 0x02
#define ICW4_8086_MODE 0x01
#define PIC1_VECTOR_BASE 0xE0
#define PIC2_VECTOR_BASE 0xE8
#define MASK_ALL 0xFF

void pic_disable(void)
{
    outb(PIC1_COMMAND, ICW1_INIT_WITH_ICW4);
    outb(PIC2_COMMAND, ICW1_INIT_WITH_ICW4);
    outb(PIC1_DATA, PIC1_VECTOR_BASE);
    outb(PIC2_DATA, PIC2_VECTOR_BASE);
    outb(PIC1_DATA, ICW3_PIC1_HAS_SLAVE_ON_IRQ2);
    outb(PIC2_DATA, ICW3_PIC2_CASCADE_ID);
    outb(PIC1_DATA, ICW4_8086_MODE);
    outb(PIC2_DATA, ICW4_8086_MODE);
    outb(PIC1_DATA, MASK_ALL);
    outb(PIC2_DATA, MASK_ALL);
}
