/* httpd.h: the kernel's web server (net/httpd.c). */
#ifndef CUBOS_HTTPD_H
#define CUBOS_HTTPD_H

#include <stdint.h>

#define HTTPD_PORT 80

/* Listen on port and serve /www and /stats from a thread of its own; says
 * so, or why not. Needs the network stack (net_stack_init). */
void httpd_start(uint16_t port);

#endif
