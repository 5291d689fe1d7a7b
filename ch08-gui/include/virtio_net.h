/*
 * virtio_net.h: the driver of the virtio network card (QEMU's
 * -device virtio-net-pci), through virtio 1.x's modern PCI transport or
 * the legacy one (virtio_pci.h).
 */
#ifndef CUBOS_VIRTIO_NET_H
#define CUBOS_VIRTIO_NET_H

/* Find the card on the PCI bus and bring it up as a network interface
 * (netdev.h); says why not if it cannot. Nothing happens without one. */
void virtio_net_init(void);

#endif
