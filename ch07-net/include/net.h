/*
 * net.h: bringing the network up at boot.
 */
#ifndef CUBOS_NET_H
#define CUBOS_NET_H

/* Start the drivers of every network card found on the PCI bus, and say
 * so when there is none. May sleep: called from the first thread. */
void net_init(void);

#endif
