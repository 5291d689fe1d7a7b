/*
 * net.c: bringing the network up at boot: each driver looks for its cards
 * on the PCI bus (pci_init found them), then the machine is told which
 * interfaces there are, or that there is none; lwIP starts either way
 * (its loopback interface is always there), then the socket system calls,
 * the web server and the remote shell.
 */
#include "cmdline.h"
#include "e1000.h"
#include "httpd.h"
#include "kprintf.h"
#include "net.h"
#include "netdev.h"
#include "session.h"
#include "socket.h"
#include "virtio_net.h"

void net_init(const char *cmdline)
{
    char dns[16];
    int found = cmdline_value(cmdline, "dns=", dns, sizeof(dns));
    if (found < 0)
        kprintf("dns=: expected an IPv4 address (a.b.c.d); using the DHCP server's\n");
    virtio_net_init();
    e1000_init();
    if (netdev_get(0) == NULL)
        kprintf("net: no network card (QEMU gives an e1000 unless told -nic none); "
                "the kernel runs without a network, loopback (127.0.0.1) only\n");
    net_stack_init(found > 0 ? dns : NULL);
    socket_syscalls_register();
    httpd_start(HTTPD_PORT);
    rshell_start(RSHELL_PORT);
}
