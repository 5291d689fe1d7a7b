/*
 * ls.c: lists a folder (the current one without an argument), one entry
 * per line with its type, size and name, through getdents64 (musl's
 * readdir) and lstat:
 *
 *   cubos> run /bin/ls /etc
 *   -  24 fib.js
 *   -   6 hostname
 *   ...
 *
 * The type column: d for a folder, l for a link, c for a device, - for a file.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static char type_of(mode_t mode)
{
    return S_ISDIR(mode) ? 'd' : S_ISLNK(mode) ? 'l' : S_ISCHR(mode) ? 'c' : '-';
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "ls: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[4096];
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (lstat(path, &st) != 0) {
            printf("?  %s\n", e->d_name);
            continue;
        }
        printf("%c %8lld %s\n", type_of(st.st_mode), (long long)st.st_size, e->d_name);
    }
    closedir(d);
    return 0;
}
