/*
 * arch/sys_arch.h: what lwIP's threads wait on, in this kernel's terms
 * (net/sys_arch.c). A mailbox is a channel of pointers (chan.h); a
 * semaphore is a channel of tokens, so that both can wait with a timeout
 * through chan_select; a mutex is the kernel's mutex.
 */
#ifndef CUBOS_ARCH_SYS_ARCH_H
#define CUBOS_ARCH_SYS_ARCH_H

#include <stddef.h>

struct chan;
struct mutex;
struct thread;

typedef struct chan *sys_sem_t;
typedef struct chan *sys_mbox_t;
typedef struct mutex *sys_mutex_t;
typedef struct thread *sys_thread_t;
typedef unsigned long sys_prot_t;

#define sys_sem_valid(s) (*(s) != NULL)
#define sys_sem_set_invalid(s) (*(s) = NULL)
#define sys_mbox_valid(m) (*(m) != NULL)
#define sys_mbox_set_invalid(m) (*(m) = NULL)
#define sys_mutex_valid(m) (*(m) != NULL)
#define sys_mutex_set_invalid(m) (*(m) = NULL)

#endif
