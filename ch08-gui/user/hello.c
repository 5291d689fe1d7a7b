/*
 * hello.c: the first user program, a static Linux x86-64 executable.
 *
 * Shows that the kernel loads an ELF, passes argv and the environment on the
 * initial stack the way the System V ABI lays them out (argc, argv[], NULL,
 * envp[], NULL, auxv), and that write(2) and exit_group(2) work.
 *
 * Expected output, run as `hello a b` with GREETING=hi in its environment:
 *
 *   hello from user mode
 *   argv[1] = a
 *   argv[2] = b
 *   GREETING = hi
 *
 * The GREETING line is printed only when the variable is set. Exit status 0.
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    printf("hello from user mode\n");
    for (int i = 1; i < argc; i++)
        printf("argv[%d] = %s\n", i, argv[i]);

    const char *greeting = getenv("GREETING");
    if (greeting != NULL)
        printf("GREETING = %s\n", greeting);
    return 0;
}
