/* pipe.h: pipes and eventfds (fs/pipe.c). */
#ifndef CUBOS_PIPE_H
#define CUBOS_PIPE_H

#include <stdint.h>

struct file;

/* A new pipe: its two ends, O_NONBLOCK from flags. 0 or -ENOMEM. */
int pipe_create(unsigned flags, struct file **read_end, struct file **write_end);

/* A new eventfd with count initial (flags: EFD_SEMAPHORE, O_NONBLOCK). */
int eventfd_create(uint64_t initial, unsigned flags, struct file **out);

#endif
