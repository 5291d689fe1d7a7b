/*
 * net.h: bringing the network up at boot.
 */
#ifndef CUBOS_NET_H
#define CUBOS_NET_H

#include <stdbool.h>

#include "lwip/ip_addr.h"

/* Start the drivers of every network card found on the PCI bus, and say
 * so when there is none; then the stack. The kernel option dns=ADDRESS
 * names the DNS server instead of DHCP. May sleep: called from the first
 * thread. */
void net_init(const char *cmdline);

/* Start lwIP, give each interface to it and ask DHCP for addresses
 * (net/stack.c); dns_server (dotted), if not NULL, replaces the DNS
 * server DHCP names. Called by net_init once the drivers are up. */
void net_stack_init(const char *dns_server);

/* HOST, a dotted address or a name (asked of the DNS), into *addr. On
 * failure, false, with a line "WHO: cannot resolve 'HOST': why". May
 * sleep (seconds, if the DNS server does not answer). */
bool net_resolve(const char *who, const char *host, ip_addr_t *addr);

#endif
