/*
 * resolve.c: names to addresses for the shell's network commands, through
 * lwIP's DNS client (the server DHCP named, QEMU's 10.0.2.3 by default),
 * and `nslookup NAME`.
 */
#include <stdbool.h>

#include "lwip/api.h"
#include "lwip/dns.h"
#include "lwip/ip_addr.h"
#include "lwip/tcpip.h"

#include "kprintf.h"
#include "net.h"
#include "netdev.h"
#include "shell.h"
#include "thread.h"

static const char *why(err_t err)
{
    switch (err) {
    case ERR_VAL: return "no such name, or no DNS server answered";
    case ERR_ARG: return "not a valid name";
    case ERR_MEM: return "out of memory";
    default: return lwip_strerr(err);
    }
}

bool net_resolve(const char *who, const char *host, ip_addr_t *addr)
{
    if (ipaddr_aton(host, addr))
        return true;
    /* The lookup's message lives on this stack until lwIP answers it:
     * the thread must not be unwound in between (thread.h). */
    thread_hold_kills();
    err_t err = netconn_gethostbyname(host, addr);
    thread_release_kills();
    if (err == ERR_OK)
        return true;
    kprintf("%s: cannot resolve '%s': %s\n", who, host, why(err));
    return false;
}

static void cmd_nslookup(int argc, char **argv)
{
    if (argc != 2) {
        kprintf("usage: %s\n", nslookup_command.usage);
        return;
    }
    if (netdev_get(0) == NULL) {
        kprintf("nslookup: no network interface\n");
        return;
    }
    LOCK_TCPIP_CORE();
    ip_addr_t server = *dns_getserver(0);
    UNLOCK_TCPIP_CORE();
    char text[IPADDR_STRLEN_MAX];
    ipaddr_ntoa_r(&server, text, sizeof(text));
    kprintf("Server: %s\n", text);
    ip_addr_t addr;
    if (!net_resolve("nslookup", argv[1], &addr))
        return;
    ipaddr_ntoa_r(&addr, text, sizeof(text));
    kprintf("Name: %s\nAddress: %s\n", argv[1], text);
}

const struct shell_command nslookup_command = {
    "nslookup", "nslookup NAME", "look NAME up in the DNS (the server DHCP gave)", cmd_nslookup,
};
