/*
 * format.c: the printf engine behind kprintf and ksnprintf.
 *
 * Pure code: no device, no global state, so the host unit tests
 * (tests/<chapter>/unit) build this same file and compare it with the C
 * library's snprintf.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format.h"

/* One parsed conversion: %[flags][width][length]conversion. */
struct conversion {
    bool left;        /* '-': pad on the right */
    bool zero;        /* '0': pad numbers with zeros after the sign */
    int width;        /* minimum field width, 0 if none */
    int length;       /* 0, 'l', 'L' (for ll) or 'z' */
    char type;        /* the conversion character */
};

struct output {
    format_sink sink;
    void *ctx;
    int count;
};

static void emit(struct output *out, char c)
{
    out->sink(c, out->ctx);
    out->count++;
}

static void emit_repeated(struct output *out, char c, int n)
{
    for (; n > 0; n--)
        emit(out, c);
}

/* Emit prefix (a sign or "0x") and body, padded to the field width. */
static void emit_field(struct output *out, const struct conversion *conv,
                       const char *prefix, const char *body, int body_len)
{
    int prefix_len = 0;
    while (prefix[prefix_len])
        prefix_len++;
    int pad = conv->width - prefix_len - body_len;

    if (!conv->left && !conv->zero)
        emit_repeated(out, ' ', pad);
    for (int i = 0; i < prefix_len; i++)
        emit(out, prefix[i]);
    if (!conv->left && conv->zero)
        emit_repeated(out, '0', pad);
    for (int i = 0; i < body_len; i++)
        emit(out, body[i]);
    if (conv->left)
        emit_repeated(out, ' ', pad);
}

/* Write value in base 10 or 16 at the end of buf; return where the digits start. */
static char *utoa(unsigned long long value, unsigned base, bool upper, char *end)
{
    /* LAB(format-number): write the digits of value in base (10 or 16, with
     * A-F if upper) backwards from end, least significant first, and return
     * where they start; 0 has one digit, "0". */
    /* LAB-STUB: (void)value; (void)base; (void)upper; */
    /* LAB-STUB: return end; */
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char *p = end;
    do {
        *--p = digits[value % base];
        value /= base;
    } while (value != 0);
    return p;
    /* END LAB(format-number) */
}

static long long signed_arg(const struct conversion *conv, va_list *args)
{
    switch (conv->length) {
    case 'l': return va_arg(*args, long);
    case 'L': return va_arg(*args, long long);
    case 'z': return va_arg(*args, ptrdiff_t);
    default: return va_arg(*args, int);
    }
}

static unsigned long long unsigned_arg(const struct conversion *conv, va_list *args)
{
    switch (conv->length) {
    case 'l': return va_arg(*args, unsigned long);
    case 'L': return va_arg(*args, unsigned long long);
    case 'z': return va_arg(*args, size_t);
    default: return va_arg(*args, unsigned int);
    }
}

static void format_number(struct output *out, const struct conversion *conv, va_list *args)
{
    char buf[24]; /* 2^64 has 20 decimal digits */
    char *end = buf + sizeof(buf);
    const char *prefix = "";
    unsigned long long magnitude;

    if (conv->type == 'd' || conv->type == 'i') {
        long long value = signed_arg(conv, args);
        /* Negate in unsigned arithmetic: -LLONG_MIN does not fit in a long long. */
        magnitude = value < 0 ? 0ULL - (unsigned long long)value : (unsigned long long)value;
        if (value < 0)
            prefix = "-";
    } else if (conv->type == 'p') {
        magnitude = (uintptr_t)va_arg(*args, void *);
        prefix = "0x";
    } else {
        magnitude = unsigned_arg(conv, args);
    }

    unsigned base = (conv->type == 'x' || conv->type == 'X' || conv->type == 'p') ? 16 : 10;
    char *digits = utoa(magnitude, base, conv->type == 'X', end);
    emit_field(out, conv, prefix, digits, (int)(end - digits));
}

/* Parse flags, width and length after a '%'; return a pointer to the conversion character. */
static const char *parse_conversion(const char *p, struct conversion *conv, va_list *args)
{
    *conv = (struct conversion){0};
    for (;; p++) {
        if (*p == '-')
            conv->left = true;
        else if (*p == '0')
            conv->zero = true;
        else
            break;
    }
    if (*p == '*') {
        conv->width = va_arg(*args, int);
        if (conv->width < 0) {   /* C says: a negative * width means '-' */
            conv->left = true;
            conv->width = -conv->width;
        }
        p++;
    }
    while (*p >= '0' && *p <= '9')
        conv->width = conv->width * 10 + (*p++ - '0');

    if (p[0] == 'l' && p[1] == 'l') {
        conv->length = 'L';
        p += 2;
    } else if (*p == 'l' || *p == 'z') {
        conv->length = *p++;
    }
    conv->type = *p;
    return p;
}

int format(format_sink sink, void *ctx, const char *fmt, va_list args)
{
    struct output out = { sink, ctx, 0 };
    va_list ap;
    va_copy(ap, args);

    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            emit(&out, *p);
            continue;
        }
        const char *start = p;
        struct conversion conv;
        p = parse_conversion(p + 1, &conv, &ap);

        switch (conv.type) {
        case 'd': case 'i': case 'u': case 'x': case 'X': case 'p':
            format_number(&out, &conv, &ap);
            break;
        case 'c': {
            char c = (char)va_arg(ap, int);
            conv.zero = false;
            emit_field(&out, &conv, "", &c, 1);
            break;
        }
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (s == NULL)
                s = "(null)";
            int len = 0;
            while (s[len])
                len++;
            conv.zero = false;
            emit_field(&out, &conv, "", s, len);
            break;
        }
        case '%':
            emit(&out, '%');
            break;
        default:
            /* Unknown or truncated: show the directive as written. */
            for (const char *q = start; q < p; q++)
                emit(&out, *q);
            if (*p == '\0')
                p--;   /* let the loop see the end of the string */
            else
                emit(&out, *p);
            break;
        }
    }
    va_end(ap);
    return out.count;
}

struct buffer {
    char *buf;
    size_t size;
    size_t used;
};

static void buffer_sink(char c, void *ctx)
{
    struct buffer *b = ctx;
    if (b->used + 1 < b->size)
        b->buf[b->used] = c;
    b->used++;
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list args)
{
    struct buffer b = { buf, size, 0 };
    int n = format(buffer_sink, &b, fmt, args);
    if (size > 0)
        buf[b.used < size ? b.used : size - 1] = '\0';
    return n;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    int n = kvsnprintf(buf, size, fmt, args);
    va_end(args);
    return n;
}
