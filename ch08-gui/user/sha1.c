/*
 * sha1.c: a SHA-1 read-eval-print loop on standard input.
 *
 * Shows blocking read(2) on fd 0 from a terminal or a pipe, and a program
 * that computes for a while between system calls. Prints the prompt
 * "sha1> ", reads a line, prints the SHA-1 of the line (its bytes without
 * the '\n') as 40 lowercase hex digits on a line of its own, then the prompt
 * again. A line may be any length: it is hashed as it arrives. read(2) may
 * return part of a line or several lines at once; both are handled.
 *
 * Stops with status 0 on the line "exit" or at end of file. At end of file a
 * last line without '\n' is hashed too; if there is none, a '\n' ends the
 * prompt line. The input is not echoed: a terminal echoes it itself.
 *
 * Expected output for the input "abc\n\nexit\n" is these two lines and
 * then a third prompt "sha1> " with no newline after it:
 *
 *   sha1> a9993e364706816aba3e25717850c26c9cd0d89d
 *   sha1> da39a3ee5e6b4b0d3255bfef95601890afd80709
 *
 * SHA-1 follows FIPS 180-4 (the Secure Hash Standard): section 5.1.1 pads
 * the message, 5.3.1 gives the initial hash value, 4.1.1 and 4.2.1 the
 * functions and constants, 6.1.2 the computation.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#define SHA1_BLOCK_BYTES  64   /* 512-bit message blocks (FIPS 180-4 5.2.1) */
#define SHA1_DIGEST_BYTES 20   /* five 32-bit words */

struct sha1 {
    uint32_t h[5];                     /* the intermediate hash value */
    uint8_t block[SHA1_BLOCK_BYTES];   /* the block being filled */
    size_t used;                       /* bytes of block filled so far */
    uint64_t length;                   /* message length in bytes */
};

static uint32_t rotl(uint32_t x, int n)
{
    return (x << n) | (x >> (32 - n));
}

/* The initial hash value H(0), FIPS 180-4 5.3.1. */
static void sha1_init(struct sha1 *s)
{
    s->h[0] = 0x67452301;
    s->h[1] = 0xefcdab89;
    s->h[2] = 0x98badcfe;
    s->h[3] = 0x10325476;
    s->h[4] = 0xc3d2e1f0;
    s->used = 0;
    s->length = 0;
}

/* Hash one full 64-byte block into s->h: FIPS 180-4 6.1.2 steps 1 to 4. */
static void sha1_block(struct sha1 *s, const uint8_t *p)
{
    uint32_t w[80];

    /* The message schedule; words are big-endian (FIPS 180-4 3.1). */
    for (int t = 0; t < 16; t++)
        w[t] = (uint32_t)p[4 * t] << 24 | (uint32_t)p[4 * t + 1] << 16 |
               (uint32_t)p[4 * t + 2] << 8 | (uint32_t)p[4 * t + 3];
    for (int t = 16; t < 80; t++)
        w[t] = rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);

    uint32_t a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3], e = s->h[4];
    for (int t = 0; t < 80; t++) {
        /* f(t) and K(t) of FIPS 180-4 4.1.1 and 4.2.1. */
        uint32_t f, k;
        if (t < 20) {
            f = (b & c) ^ (~b & d);            /* Ch */
            k = 0x5a827999;
        } else if (t < 40) {
            f = b ^ c ^ d;                     /* Parity */
            k = 0x6ed9eba1;
        } else if (t < 60) {
            f = (b & c) ^ (b & d) ^ (c & d);   /* Maj */
            k = 0x8f1bbcdc;
        } else {
            f = b ^ c ^ d;                     /* Parity */
            k = 0xca62c1d6;
        }
        uint32_t temp = rotl(a, 5) + f + e + k + w[t];
        e = d;
        d = c;
        c = rotl(b, 30);
        b = a;
        a = temp;
    }
    s->h[0] += a;
    s->h[1] += b;
    s->h[2] += c;
    s->h[3] += d;
    s->h[4] += e;
}

static void sha1_update(struct sha1 *s, const uint8_t *data, size_t n)
{
    s->length += n;
    while (n > 0) {
        size_t take = SHA1_BLOCK_BYTES - s->used;
        if (take > n)
            take = n;
        memcpy(s->block + s->used, data, take);
        s->used += take;
        data += take;
        n -= take;
        if (s->used == SHA1_BLOCK_BYTES) {
            sha1_block(s, s->block);
            s->used = 0;
        }
    }
}

/*
 * Padding, FIPS 180-4 5.1.1: a 1 bit, zero bits up to 448 mod 512, then the
 * message length in bits as a 64-bit big-endian number.
 */
static void sha1_final(struct sha1 *s, uint8_t digest[SHA1_DIGEST_BYTES])
{
    uint64_t bits = s->length * 8;
    uint8_t pad = 0x80;

    sha1_update(s, &pad, 1);
    pad = 0;
    while (s->used != SHA1_BLOCK_BYTES - 8)
        sha1_update(s, &pad, 1);
    uint8_t len[8];
    for (int i = 0; i < 8; i++)
        len[i] = (uint8_t)(bits >> (56 - 8 * i));
    sha1_update(s, len, 8);

    for (int i = 0; i < SHA1_DIGEST_BYTES; i++)
        digest[i] = (uint8_t)(s->h[i / 4] >> (24 - 8 * (i % 4)));
}

/* write(2) all of buf, however many calls it takes; 0 or -1. */
static int write_all(int fd, const char *buf, size_t n)
{
    while (n > 0) {
        ssize_t done = write(fd, buf, n);
        if (done < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += done;
        n -= (size_t)done;
    }
    return 0;
}

static int print_digest(struct sha1 *s)
{
    static const char hex[] = "0123456789abcdef";
    uint8_t digest[SHA1_DIGEST_BYTES];
    char line[2 * SHA1_DIGEST_BYTES + 1];

    sha1_final(s, digest);
    for (int i = 0; i < SHA1_DIGEST_BYTES; i++) {
        line[2 * i] = hex[digest[i] >> 4];
        line[2 * i + 1] = hex[digest[i] & 0xf];
    }
    line[2 * SHA1_DIGEST_BYTES] = '\n';
    return write_all(1, line, sizeof(line));
}

static const char PROMPT[] = "sha1> ";
static const char EXIT_LINE[] = "exit";

/* Is a line of length bytes, beginning with start, the line "exit"? */
static int is_exit_line(const char *start, size_t length)
{
    return length == sizeof(EXIT_LINE) - 1 && memcmp(start, EXIT_LINE, length) == 0;
}

int main(void)
{
    struct sha1 s;
    char buf[4096];
    /* The line so far, kept only while it could still be EXIT_LINE. */
    char start[sizeof(EXIT_LINE)];
    size_t line_length = 0;

    sha1_init(&s);
    if (write_all(1, PROMPT, sizeof(PROMPT) - 1) < 0)
        return 1;
    for (;;) {
        ssize_t n = read(0, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return 1;
        if (n == 0)
            break;

        /* Split what arrived into lines; a line may span many reads. */
        char *p = buf, *end = buf + n;
        while (p < end) {
            char *newline = memchr(p, '\n', (size_t)(end - p));
            char *stop = newline != NULL ? newline : end;
            size_t part = (size_t)(stop - p);

            for (size_t i = 0; i < part && line_length + i < sizeof(start); i++)
                start[line_length + i] = p[i];
            sha1_update(&s, (const uint8_t *)p, part);
            line_length += part;
            p = stop;
            if (newline == NULL)
                break;
            p++;

            if (is_exit_line(start, line_length))
                return 0;
            if (print_digest(&s) < 0 || write_all(1, PROMPT, sizeof(PROMPT) - 1) < 0)
                return 1;
            sha1_init(&s);
            line_length = 0;
        }
    }

    /*
     * End of file: hash a last line that had no '\n'; otherwise end the
     * prompt line, so that a shell's prompt starts on a line of its own.
     */
    if (line_length > 0 && !is_exit_line(start, line_length))
        return print_digest(&s) < 0 ? 1 : 0;
    return write_all(1, "\n", 1) < 0 ? 1 : 0;
}
