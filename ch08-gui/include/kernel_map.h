/* kernel_map.h: the kernel's own address space. */
#ifndef CUBOS_KERNEL_MAP_H
#define CUBOS_KERNEL_MAP_H

#include "memlayout.h"

/* The kernel's PML4 (physical), valid after kernel_map_init. */
extern paddr_t kernel_root;

/* Build the final kernel page tables and switch to them: the image mapped
 * W^X, a guard page under the boot stack, the direct map of all RAM, and no
 * identity map. Needs frame_init first. */
void kernel_map_init(void);

#endif
