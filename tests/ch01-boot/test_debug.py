"""ch01-boot: `make debug` stops in kmain with symbols and a sane backtrace;
Ctrl-C in gdb stops the kernel, not QEMU; the serial console is reachable
with `make console`; a taken gdb port is refused with a clear message."""
import os
import re
import signal
import socket
import subprocess
import time

from harness import TOP, Session, free_port


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


def test_make_debug_refuses_a_taken_port(chapter):
    """Another program listens on the gdb port: make debug must say so and
    fail at once, not attach gdb to that program."""
    with socket.create_server(("127.0.0.1", 0)) as stranger:
        port = stranger.getsockname()[1]
        done = subprocess.run(["make", "-s", "-C", str(TOP / chapter), "debug",
                               f"GDB_PORT={port}", "GDB_ARGS=-batch -nx"],
                              capture_output=True, text=True, timeout=60)
    out = done.stdout + done.stderr
    assert done.returncode != 0, out
    assert f"TCP port {port} on 127.0.0.1 is taken by another program" in out, out
    assert "gdb" not in out.replace("make debug", "").replace("GDB_PORT", ""), out


def start_debug(chapter):
    """make debug with gdb reading commands from us, stopped in kmain, and
    make console attached to the serial line."""
    port = free_port()
    gdb = Session(["make", "-s", "-C", str(TOP / chapter), "debug",
                   f"GDB_PORT={port}", "GDB_ARGS=-nx"])
    gdb.chapter = chapter
    gdb.expect(r"Breakpoint 1, kmain")
    console = Session(["make", "-s", "-C", str(TOP / chapter), "console"])
    # Go on once QEMU has accepted the console's connection (the accepted
    # socket shows in /proc/net/unix under the server's path, connected).
    deadline = time.monotonic() + 30
    while not re.search(r" 03 +\d+ build/console\.sock$",
                        open("/proc/net/unix").read(), re.MULTILINE):
        assert time.monotonic() < deadline and console.proc.poll() is None, console.text
        time.sleep(0.1)
    return gdb, console


def stop_debug(gdb, console):
    """Stop the kernel (Ctrl-C) and quit gdb, as a person would."""
    try:
        if gdb.proc.poll() is None:
            time.sleep(1)       # a Ctrl-C right after "Continuing." can go unseen
            since = gdb.mark()
            gdb.ctrl_c()
            gdb.expect(r"received signal SIGINT", since=since)
            gdb.type("quit\n")
        gdb.proc.wait(30)
        # QEMU went with gdb, so the console saw the line close.
        console.proc.wait(30)
    finally:
        gdb.close()
        console.close()
        # QEMU runs in a session of its own; make debug stops it when it
        # ends, unless it was killed outright (a failed test's gdb.close).
        pidfile = TOP / gdb.chapter / "build" / "qemu.pid"
        if pidfile.exists():
            os.kill(int(pidfile.read_text()), signal.SIGKILL)
            pidfile.unlink()


def test_make_console_shows_the_kernel_and_ctrl_c_spares_qemu(chapter):
    gdb, console = start_debug(chapter)
    try:
        gdb.type("continue\n")
        console.expect(rf"cubos {chapter}: hello from 64-bit long mode")
        # Ctrl-C at gdb's terminal reaches make, the shell and gdb, but not
        # QEMU: gdb stops the kernel, which it can then still inspect.
        time.sleep(1)       # a Ctrl-C right after "Continuing." can go unseen
        since = gdb.mark()
        gdb.ctrl_c()
        gdb.expect(r"received signal SIGINT", since=since)
        since = gdb.mark()
        gdb.type("info registers rip\n")
        gdb.expect(r"\brip +0x[0-9a-f]+ +0x[0-9a-f]+ <", since=since)
        since = gdb.mark()
        gdb.type("continue\n")
        gdb.expect(r"Continuing\.", since=since)
        assert console.proc.poll() is None, console.text
        assert gdb.proc.poll() is None, gdb.text
    finally:
        stop_debug(gdb, console)


def test_make_console_without_make_debug_says_so(chapter, tmp_path):
    done = subprocess.run(["make", "-s", "-C", str(TOP / chapter), "console",
                           f"BUILD={tmp_path}"], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "start make debug first" in done.stderr, done.stderr
