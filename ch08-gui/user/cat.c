/*
 * cat.c: prints each file named on its command line (standard input
 * without any), as cat does: open, read, write, close. Used to read /proc
 * and the initrd's files from the shell:
 *
 *   cubos> run /bin/cat /etc/hostname
 *   cubos
 *
 * A file it cannot open: "cat: NAME: " and the error, exit status 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int copy(int fd)
{
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(1, buf + done, (size_t)(n - done));
            if (w < 0)
                return -1;
            done += w;
        }
    }
    return n < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
    int status = 0;
    if (argc < 2)
        return copy(0) ? 1 : 0;
    for (int i = 1; i < argc; i++) {
        int fd = open(argv[i], O_RDONLY);
        if (fd < 0 || copy(fd) != 0) {
            fprintf(stderr, "cat: %s: %s\n", argv[i], strerror(errno));
            status = 1;
        }
        if (fd >= 0)
            close(fd);
    }
    return status;
}
