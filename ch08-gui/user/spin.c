/*
 * spin.c: computes for ever without a system call, so only an interrupt
 * can take the CPU from it: Ctrl-C at the console must still end it.
 *
 *   spin: spinning
 *   (Ctrl-C)
 *   [5] /bin/spin: killed by SIGINT
 */
#include <stdio.h>

int main(void)
{
    printf("spin: spinning\n");
    fflush(stdout);
    volatile unsigned long n = 0;
    for (;;)
        n++;
}
