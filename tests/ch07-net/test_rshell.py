"""ch07-net: the remote shell: the console's shell over TCP (port 23),
several sessions at once, each with its own output, programs run with
the session as their terminal (Ctrl-C, a busybox shell), `exit`, a
dropped connection, a session too many; the console only logs who came
and went, and memory is back at its baseline once the sessions end."""
import re
import socket
import time

from harness import Machine, free_port, mem, mem_usage, settled_mem

PROMPT = r"cubos> "


class Session:
    """A remote shell connection, read until a pattern shows."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.text = b""

    def expect(self, pattern, timeout=30):
        end = time.monotonic() + timeout
        rx = re.compile(pattern.encode() if isinstance(pattern, str) else pattern)
        while not (m := rx.search(self.text)):
            left = end - time.monotonic()
            assert left > 0, f"no {pattern!r} in {self.text.decode(errors='replace')!r}"
            self.sock.settimeout(left)
            chunk = self.sock.recv(4096)
            assert chunk, f"closed before {pattern!r}: {self.text.decode(errors='replace')!r}"
            self.text += chunk
        self.text = self.text[m.end():]
        return m

    def command(self, line, pattern, timeout=30):
        self.sock.sendall(line.encode() + b"\n")
        return self.expect(pattern, timeout)

    def closed(self, timeout=30):
        """True once the server has closed the connection."""
        self.sock.settimeout(timeout)
        while chunk := self.sock.recv(4096):
            self.text += chunk
        return True


def booted(chapter, name):
    port = free_port()
    m = Machine(chapter, name, options="",
                extra=("-nic", f"user,model=e1000,hostfwd=tcp:127.0.0.1:{port}-:23")).start()
    m.expect(PROMPT)
    assert re.search(r"^rshell: the shell on TCP port 23, up to 8 sessions$", m.transcript, re.M)
    m.port = port
    return m


def test_two_sessions_each_with_its_own_output(chapter):
    m = booted(chapter, "rshell-two")
    before = mem_usage(mem(m))
    a, b = Session(m.port), Session(m.port)
    a.expect(r"cubos remote shell, session (\d+): type 'help'.*\r\n" + PROMPT)
    b.expect(r"cubos remote shell, session (\d+): type 'help'.*\r\n" + PROMPT)
    a.command("echo only-for-a", r"only-for-a\r\n" + PROMPT)
    b.command("echo only-for-b", r"only-for-b\r\n" + PROMPT)
    assert b"only-for-a" not in b.text and b"only-for-b" not in a.text
    b.command("uptime", r"up \d+\.\d+ s")
    b.expect(PROMPT)
    a.command("run /bin/hello", r"hello from user mode\r\n\[\d+\] /bin/hello: exit status 0\r\n" + PROMPT)
    a.command("ps", r"rshell.*\r\n")
    a.expect(PROMPT)
    assert re.search(r"^rshell: session \d+ from 10\.0\.2\.2:\d+$", m.transcript, re.M)
    for marker in ("only-for-a", "only-for-b", "hello from user mode"):
        assert marker not in m.transcript, f"{marker} reached the console"
    a.command("exit", r"exit\r\r?\n")
    assert a.closed()
    b.sock.close()
    m.expect(r"rshell: session \d+ closed\n(.*\n)*rshell: session \d+ closed\n")
    m.command("exit", r"exit: the console has no session to leave \(halt stops the machine\)\n" + PROMPT)
    assert settled_mem(m, expected=before, seconds=30) == before    # TIME-WAIT: 10 s


def test_a_program_has_the_session_as_its_terminal(chapter):
    """busybox's shell in a session: its prompt and output there, Ctrl-C
    typed there interrupts its foreground command, and a connection that
    drops hangs it up (SIGHUP) and ends the session."""
    m = booted(chapter, "rshell-program")
    before = mem_usage(mem(m))
    s = Session(m.port)
    s.expect(PROMPT)
    s.command("run /bin/sh", r"~ # ")
    s.command("echo $((6 * 7)) $(cat /etc/hostname)", r"42 cubos\r\n~ # ")
    s.command("sleep 100", r"sleep 100\r\n")
    time.sleep(1)
    s.sock.sendall(b"\x03")
    s.expect(r"\^C\r\n~ # ")
    s.command("echo $?", r"130\r\n~ # ")
    s.command("sleep 20", r"sleep 20\r\n")
    time.sleep(1)                       # sh has made sleep its foreground job
    s.sock.close()                      # the connection drops under a program
    m.expect(r"rshell: session \d+ closed\n", timeout=30)
    # SIGHUP ends sleep and sh. (Dropped a moment sooner, while sh itself
    # is still the foreground, SIGHUP ends sh alone and sleep runs its
    # 20 s, as on Linux: the wait allows for that.)
    assert settled_mem(m, expected=before, seconds=40) == before


def test_a_session_too_many_is_refused_with_a_message(chapter):
    m = booted(chapter, "rshell-full")
    sessions = [Session(m.port) for _ in range(8)]
    for s in sessions:
        s.expect(PROMPT)
    extra = Session(m.port)
    extra.expect(r"rshell: too many sessions; try again later\r\n")
    assert extra.closed()
    sessions[0].command("exit", r"exit")
    assert sessions[0].closed()
    m.expect(r"rshell: session \d+ closed\n")
    again = Session(m.port)
    again.expect(PROMPT)
    again.command("echo back", r"back\r\n" + PROMPT)
