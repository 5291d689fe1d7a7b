"""ch03-interrupts: `make debug` stops in kmain with symbols and a sane backtrace."""
import re
import subprocess

from harness import TOP, free_port


def test_make_debug_stops_in_kmain(chapter):
    port = free_port()
    done = subprocess.run(
        ["make", "-s", "-C", str(TOP / chapter), "debug", f"GDB_PORT={port}",
         "GDB_ARGS=-batch -nx -ex bt -ex 'info registers rip'"],
        capture_output=True, text=True, timeout=120)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    # gdb reports the hardware breakpoint with kmain's argument and source line.
    assert re.search(r"Breakpoint 1, kmain \(boot_info_addr=\d+\) at kernel/main\.c:\d+", out), out
    # The backtrace: kmain, called from start64, and nothing below it.
    frames = re.findall(r"^#(\d+) .*", out, re.MULTILINE)
    assert frames == ["0", "1"], out
    assert re.search(r"^#0 +kmain \(boot_info_addr=\d+\) at kernel/main\.c:\d+", out, re.MULTILINE), out
    assert re.search(r"^#1 +0x[0-9a-f]+ in start64 \(\) at boot/entry\.S:\d+", out, re.MULTILINE), out
    assert "Backtrace stopped" not in out, out
    rip = re.search(r"^rip +0x([0-9a-f]+) +0x[0-9a-f]+ <kmain(\+\d+)?>", out, re.MULTILINE)
    assert rip, out
