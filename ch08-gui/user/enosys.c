/*
 * enosys.c: system calls the kernel does not have fail with ENOSYS.
 *
 * Shows what a program sees when it asks for a system call the kernel does
 * not implement: -1 with errno ENOSYS (38), never a crash and never a
 * pretended success. Calls number 400 twice (no Linux x86-64 call has it)
 * and 183, afs_syscall (a number Linux reserves and never implemented),
 * once, through syscall(2), and prints for each
 *
 *   enosys: system call 400 returned -1, errno 38 (Function not implemented)
 *
 * then exits with status 0 if all three failed with ENOSYS, 1 otherwise.
 * The kernel reports each number once per program on its console:
 *
 *   enosys[PID]: system call 400 (unknown) is not implemented: -ENOSYS
 *   enosys[PID]: system call 183 (afs_syscall) is not implemented: -ENOSYS
 *
 * On Linux the program prints the same three lines.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NR_UNASSIGNED 400
#define NR_AFS_SYSCALL 183

int main(void)
{
    static const long numbers[] = { NR_UNASSIGNED, NR_UNASSIGNED, NR_AFS_SYSCALL };
    int wrong = 0;
    for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
        errno = 0;
        long r = syscall(numbers[i]);
        int err = errno;
        printf("enosys: system call %ld returned %ld, errno %d (%s)\n", numbers[i], r, err,
               strerror(err));
        if (r != -1 || err != ENOSYS)
            wrong++;
    }
    return wrong == 0 ? 0 : 1;
}
