/* test_cmdline.c: whole-word option matching in lib/cmdline.c. */
#include <stdio.h>

#include "cmdline.h"

static int failures;

static void expect(const char *cmdline, const char *option, bool want)
{
    if (cmdline_has(cmdline, option) != want) {
        fprintf(stderr, "FAIL cmdline_has(\"%s\", \"%s\") should be %s\n",
                cmdline ? cmdline : "(null)", option, want ? "true" : "false");
        failures++;
    }
}

int main(void)
{
    expect("exit=qemu", "exit=qemu", true);
    expect("  verbose exit=qemu  ", "exit=qemu", true);
    expect("exit=qemu verbose", "verbose", true);
    expect("noexit=qemu", "exit=qemu", false);
    expect("exit=qemu2", "exit=qemu", false);
    expect("exit=qem", "exit=qemu", false);
    expect("", "exit=qemu", false);
    expect(NULL, "exit=qemu", false);
    expect("exit=qemu", "", false);
    printf("cmdline: %d failures\n", failures);
    return failures != 0;
}
