/* test_cmdline_value.c: option values (key=VALUE) in lib/cmdline.c, and
 * whole-word matching still right after the two share their word scan. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cmdline.h"

#include "check.h"

static void expect(const char *cmdline, const char *key, size_t size, int want, const char *value)
{
    char buf[64];
    memset(buf, 'X', sizeof(buf));
    int got = cmdline_value(cmdline, key, buf, size);
    if (got != want || (size > 0 && strcmp(buf, value) != 0)) {
        fprintf(stderr, "cmdline_value(\"%s\", \"%s\", %zu): got %d \"%s\", want %d \"%s\"\n",
                cmdline ? cmdline : "(null)", key, size, got, size ? buf : "", want, value);
        failures++;
    }
}

int main(void)
{
    expect("dns=10.0.2.2", "dns=", 16, 1, "10.0.2.2");
    expect("exit=qemu  dns=1.2.3.4 selftest", "dns=", 16, 1, "1.2.3.4");
    expect("dns=1.1.1.1 dns=2.2.2.2", "dns=", 16, 1, "1.1.1.1");       /* the first wins */
    expect("nodns=1.1.1.1", "dns=", 16, 0, "");                         /* a word's start only */
    expect("dnsx=1", "dns=", 16, 0, "");
    expect("dns", "dns=", 16, 0, "");
    expect("dns=", "dns=", 16, -1, "");                                 /* empty */
    expect("dns=123.123.123.123", "dns=", 16, 1, "123.123.123.123");    /* 15 bytes and the NUL fit */
    expect("dns=123.123.123.1234", "dns=", 16, -1, "");                 /* 16 do not */
    expect("", "dns=", 16, 0, "");
    expect(NULL, "dns=", 16, 0, "");
    expect("dns=1", "", 16, 0, "");
    CHECK(cmdline_has("exit=qemu dns=1.2.3.4", "exit=qemu"));
    CHECK(!cmdline_has("exit=qemu dns=1.2.3.4", "exit"));
    CHECK(!cmdline_has("noexit=qemu", "exit=qemu"));
    CHECK(cmdline_has("  a  b ", "b"));
    CHECK(!cmdline_has(NULL, "a"));
    if (failures == 0)
        printf("test_cmdline_value: all passed\n");
    return failures != 0;
}
