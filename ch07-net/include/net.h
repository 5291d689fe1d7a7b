/*
 * net.h: bringing the network up at boot.
 */
#ifndef CUBOS_NET_H
#define CUBOS_NET_H

#include <stdbool.h>

#include "lwip/ip_addr.h"

/* Start the drivers of every network card found on the PCI bus, and say
 * so when there is none. May sleep: called from the first thread. */
void net_init(void);

/* Start lwIP, give each interface to it and ask DHCP for addresses
 * (net/stack.c). Called by net_init once the drivers are up. */
void net_stack_init(void);

/* HOST, a dotted address or a name (asked of the DNS), into *addr. On
 * failure, false, with a line "WHO: cannot resolve 'HOST': why". May
 * sleep (seconds, if the DNS server does not answer). */
bool net_resolve(const char *who, const char *host, ip_addr_t *addr);

#endif
