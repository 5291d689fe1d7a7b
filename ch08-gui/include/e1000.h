/*
 * e1000.h: the driver of Intel's 82540EM network card, QEMU's default.
 */
#ifndef CUBOS_E1000_H
#define CUBOS_E1000_H

/* Find the card on the PCI bus and bring it up as a network interface
 * (netdev.h); says why not if it cannot. Nothing happens without one. */
void e1000_init(void);

#endif
