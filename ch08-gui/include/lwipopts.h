/*
 * lwipopts.h: how this kernel builds lwIP (Debian's lwip 2.1.3 source,
 * fetched at build time; see book/ch07-net.md). Every option not set here
 * keeps lwIP's default from lwip/opt.h.
 */
#ifndef CUBOS_LWIPOPTS_H
#define CUBOS_LWIPOPTS_H

#include <stddef.h>

/* An operating system under the stack: lwIP runs in its own thread (the
 * tcpip thread), with semaphores, mailboxes and mutexes from sys_arch.c.
 * NO_SYS=1 would be the single-loop build, with no threads at all. */
#define NO_SYS 0
#define SYS_LIGHTWEIGHT_PROT 1          /* SYS_ARCH_PROTECT: a spinlock */

/* Core locking: a thread calling into the stack takes the core mutex and
 * runs the call itself, instead of posting a message to the tcpip thread
 * and waiting for its answer (two thread switches per call). */
#define LWIP_TCPIP_CORE_LOCKING 1
#define LWIP_TCPIP_CORE_LOCKING_INPUT 0 /* received frames still go through the tcpip thread */
#define LWIP_ASSERT_CORE_LOCKED() sys_check_core_locked()
void sys_check_core_locked(void);

/* Memory: every buffer and control block comes from the kernel's heap
 * (kmalloc), so `mem` counts them and a leak shows there. */
#define MEM_LIBC_MALLOC 1
#define mem_clib_malloc kmalloc
#define mem_clib_free kfree
#define mem_clib_calloc lwip_calloc
void *lwip_calloc(size_t count, size_t size);
#define MEMP_MEM_MALLOC 1
#define MEM_ALIGNMENT 8
#define PBUF_POOL_SIZE 256              /* only a cap: pool pbufs come from the heap too */

/* Protocols: IPv4 with ARP, ICMP, UDP, TCP, DHCP and DNS. */
#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_RAW 1
#define LWIP_UDP 1
#define LWIP_TCP 1
#define LWIP_DHCP 1
#define LWIP_DNS 1
#define LWIP_IGMP 0
#define LWIP_AUTOIP 0
#define LWIP_NETIF_STATUS_CALLBACK 1
#define LWIP_NETIF_LINK_CALLBACK 1
#define LWIP_NETIF_HOSTNAME 1
#define LWIP_HAVE_LOOPIF 1              /* lo, 127.0.0.1, with or without a card */
#define LWIP_NETIF_LOOPBACK 1           /* and frames to one's own address */
#define DNS_MAX_SERVERS 2
/* No ARP probe for the address DHCP offers: it costs every boot a second,
 * and a DHCP server that hands out a taken address is rare (QEMU's never). */
#define DHCP_DOES_ARP_CHECK 0
#define ETHARP_SUPPORT_STATIC_ENTRIES 0

/* TCP: windows and buffers for a fast local link (QEMU's user network). */
#define TCP_MSS 1460
/* A closed connection waits 2 * TCP_MSL in TIME-WAIT. RFC 9293's two
 * minutes guard against packets still wandering an internet; on QEMU's
 * user network or a LAN ten seconds do, and a busy server's closed
 * connections give their memory back that much sooner. */
#define TCP_MSL 5000UL
#define TCP_WND (16 * TCP_MSS)
#define TCP_SND_BUF (16 * TCP_MSS)
#define TCP_SND_QUEUELEN (4 * TCP_SND_BUF / TCP_MSS)
#define MEMP_NUM_TCP_PCB 1024
#define MEMP_NUM_TCP_PCB_LISTEN 16
#define MEMP_NUM_TCP_SEG 4096
#define MEMP_NUM_UDP_PCB 64
#define MEMP_NUM_RAW_PCB 16
#define MEMP_NUM_NETCONN 1024
#define MEMP_NUM_NETBUF 256
#define MEMP_NUM_TCPIP_MSG_INPKT 512
#define MEMP_NUM_SYS_TIMEOUT 32
#define LWIP_SO_RCVTIMEO 1
#define LWIP_SO_SNDTIMEO 1
#define LWIP_SO_RCVBUF 0
#define SO_REUSE 1
#define TCP_LISTEN_BACKLOG 1            /* listen's backlog holds: further SYNs wait for room */
#define LWIP_TCP_KEEPALIVE 1            /* TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT */

/* Threads (sys_arch.c): mailbox sizes are channel capacities. */
#define TCPIP_THREAD_NAME "tcpip"
#define TCPIP_THREAD_STACKSIZE 0        /* the kernel's own stack size */
#define TCPIP_THREAD_PRIO 0
#define TCPIP_MBOX_SIZE 512
#define DEFAULT_RAW_RECVMBOX_SIZE 64
#define DEFAULT_UDP_RECVMBOX_SIZE 64
#define DEFAULT_TCP_RECVMBOX_SIZE 64
#define DEFAULT_ACCEPTMBOX_SIZE 256     /* above any backlog: never full */
#define DEFAULT_THREAD_STACKSIZE 0

/* The APIs: netconn for the kernel's own clients and servers, and under
 * the Linux sockets the kernel gives programs (net/socket.c); lwIP's own
 * socket layer is left out. */
#define LWIP_NETCONN 1
#define LWIP_SOCKET 0
#define LWIP_NETIF_API 0
#define LWIP_STATS 1
#define LWIP_STATS_DISPLAY 0
#define MIB2_STATS 0

/* Checksums in software: neither driver offloads them yet. */
#define CHECKSUM_GEN_IP 1
#define CHECKSUM_GEN_UDP 1
#define CHECKSUM_GEN_TCP 1
#define CHECKSUM_GEN_ICMP 1
#define CHECKSUM_CHECK_IP 1
#define CHECKSUM_CHECK_UDP 1
#define CHECKSUM_CHECK_TCP 1
#define CHECKSUM_CHECK_ICMP 1

/* Real randomness for ports, DHCP transaction ids and DNS query ids. */
#define LWIP_RAND() sys_random_u32()
unsigned int sys_random_u32(void);

#define LWIP_DEBUG 0

#endif
