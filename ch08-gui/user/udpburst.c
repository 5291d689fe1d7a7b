/*
 * udpburst.c: send COUNT UDP datagrams of SIZE bytes to HOST PORT as fast
 * as sendto goes, and say how many were taken and how many refused, with
 * the errors. No pacing, no waiting for answers: what fills a network
 * card's transmit ring when the card empties it slower than the program
 * fills it (tests/ch07-net/test_net.py makes QEMU's virtio-net do so).
 *
 *     udpburst HOST PORT COUNT [SIZE]      (SIZE: 1 to 1472, default 1000)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_SIZE 1472       /* a 1500-byte MTU less the IP and UDP headers */

static long number(const char *text, long low, long high, const char *what)
{
    char *end;
    errno = 0;
    long n = strtol(text, &end, 10);
    if (errno || *end || end == text || n < low || n > high) {
        fprintf(stderr, "udpburst: %s '%s': not a number from %ld to %ld\n", what, text, low, high);
        exit(2);
    }
    return n;
}

int main(int argc, char **argv)
{
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: udpburst HOST PORT COUNT [SIZE]\n");
        return 2;
    }
    struct sockaddr_in to = { .sin_family = AF_INET };
    if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1) {
        fprintf(stderr, "udpburst: '%s': not an IPv4 address\n", argv[1]);
        return 2;
    }
    to.sin_port = htons((unsigned short)number(argv[2], 1, 65535, "port"));
    long count = number(argv[3], 1, 1000000, "count");
    long size = argc == 5 ? number(argv[4], 1, MAX_SIZE, "size") : 1000;
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    if (s < 0) {
        perror("udpburst: socket");
        return 1;
    }
    static char payload[MAX_SIZE];
    memset(payload, 'u', sizeof(payload));
    long sent = 0, refused = 0;
    int first_error = 0;
    for (long i = 0; i < count; i++) {
        if (sendto(s, payload, (size_t)size, 0, (struct sockaddr *)&to, sizeof(to)) == size) {
            sent++;
        } else {
            refused++;
            if (first_error == 0)
                first_error = errno;
        }
    }
    close(s);
    printf("udpburst: %ld datagrams of %ld bytes: %ld taken, %ld refused", count, size, sent, refused);
    if (refused)
        printf(" (first error: %s)", strerror(first_error));
    printf("\n");
    return 0;
}
