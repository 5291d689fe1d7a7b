"""ch07-net: Linux's socket calls for user programs. The project's socket
test program against Linux's behaviour; an unmodified Go net/http server
reached from the host on both cards, and Go's client fetching from the
host; the project's own event-driven C web server (user/webserver.c):
files, keep-alive, bad requests, a hundred clients at once, memory back
at its baseline; Ctrl-C ends a server waiting in epoll, and its port is
free again."""
import hashlib
import http.client
import http.server
import os
import re
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest

from harness import Machine, free_port, mem, mem_usage, own_chapter, settled_mem

PROMPT = r"cubos> "
NICS = {"e1000": "e1000", "virtio": "virtio-net-pci"}


def booted(chapter, name, guest_ports=(), model="e1000"):
    """A machine at its prompt, with host ports forwarded to guest_ports
    (m.ports[guest] is the host's)."""
    ports = {g: free_port() for g in guest_ports}
    fwd = "".join(f",hostfwd=tcp:127.0.0.1:{h}-:{g}" for g, h in ports.items())
    m = Machine(chapter, name, options="", extra=("-nic", f"user,model={model}{fwd}")).start()
    m.expect(PROMPT)
    m.ports = ports
    return m


def url(m, guest_port, path):
    return f"http://127.0.0.1:{m.ports[guest_port]}{path}"


def fetch(address, timeout=30):
    with urllib.request.urlopen(address, timeout=timeout) as r:
        return r.status, r.read()


def pattern(n):
    """gohttpd's /bytes?n=N: byte i is (7i + i/4096) mod 256."""
    return bytes((i * 7 + i // 4096) & 255 for i in range(n))


def host_server(folder, name, data):
    """An HTTP server on the host's 127.0.0.1 (the guest's 10.0.2.2),
    serving folder, where name now holds data; shut it down after use."""
    (folder / name).write_bytes(data)
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(folder))
    host = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=host.serve_forever, daemon=True).start()
    return host


def test_socket_calls_behave_as_on_linux(chapter):
    """user/nettest.c passes on Linux; every check must pass here too."""
    m = booted(chapter, "nettest")
    out = m.command("run /bin/nettest", r"nettest: (all \d+ checks passed|\d+ of \d+ checks failed)",
                    timeout=120)
    assert out.group(1).startswith("all"), "\n".join(
        line for line in m.transcript.splitlines() if line.startswith("FAIL"))


@pytest.mark.parametrize("nic", sorted(NICS))
def test_an_unmodified_go_net_http_server_answers_the_host(chapter, nic):
    m = booted(chapter, f"gohttpd-{nic}", guest_ports=(8080,), model=NICS[nic])
    m.send("run /bin/gohttpd &\r")
    m.expect(r"gohttpd: listening on :8080", timeout=60)
    status, body = fetch(url(m, 8080, "/"))
    assert status == 200
    assert re.fullmatch(rb"hello from Go go1\.\d+(\.\d+)? net/http on linux/amd64, 2 CPUs, request 1\n",
                        body), body
    n = 4 * 1024 * 1024
    status, body = fetch(url(m, 8080, f"/bytes?n={n}"), timeout=120)
    assert status == 200 and len(body) == n
    assert hashlib.sha256(body).digest() == hashlib.sha256(pattern(n)).digest()
    assert fetch(url(m, 8080, "/quit")) == (200, b"bye\n")
    m.expect(r"/bin/gohttpd: exit status 0", timeout=30)


def test_go_fetches_a_file_from_the_host(chapter, tmp_path):
    """Go's client: DNS-free connect to the host through the gateway
    (10.0.2.2), a non-blocking connect finished by SO_ERROR, the body read
    to its end."""
    data = os.urandom(1024 * 1024)
    host = host_server(tmp_path, "f.bin", data)
    try:
        m = booted(chapter, "goget")
        port = host.server_address[1]
        out = m.command(f"run /bin/gohttpd -get http://10.0.2.2:{port}/f.bin",
                        r"gohttpd: (.*)\n", timeout=120).group(1)
        assert out == f"200 OK, {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}", out
        m.expect(r"/bin/gohttpd: exit status 0")
        out = m.command(f"run /bin/gohttpd -get http://10.0.2.2:{port}/nothing-here",
                        r"gohttpd: (.*)\n", timeout=60).group(1)
        assert out.startswith("404 "), out
    finally:
        host.shutdown()


def c_server(chapter, name):
    m = booted(chapter, name, guest_ports=(8000,))
    m.send("run /bin/webserver -p 8000 &\r")
    m.expect(r"webserver: listening on port 8000, serving /www", timeout=60)
    return m


def test_the_c_web_server_serves_files_and_keeps_connections(chapter):
    m = c_server(chapter, "webserver")
    status, body = fetch(url(m, 8000, "/"))
    assert status == 200 and body.startswith(b"<!DOCTYPE html>")
    assert fetch(url(m, 8000, "/about/"))[1] == open(
        os.path.join(os.path.dirname(__file__), "..", "..", chapter, "rootfs", "www", "about",
                     "index.html"), "rb").read()
    c = http.client.HTTPConnection("127.0.0.1", m.ports[8000], timeout=20)
    c.connect()
    local = c.sock.getsockname()
    for path in ("/", "/about/", "/", "/nope"):
        c.request("GET", path)
        r = c.getresponse()
        r.read()
        assert r.status == (404 if path == "/nope" else 200)
        assert c.sock.getsockname() == local, "the same connection answers every request"
    c.request("HEAD", "/")
    r = c.getresponse()
    assert r.status == 200 and r.read() == b"" and int(r.getheader("Content-Length")) > 0
    c.close()


def raw(m, data):
    with socket.create_connection(("127.0.0.1", m.ports[8000]), timeout=20) as s:
        s.sendall(data)
        reply = b""
        while chunk := s.recv(65536):
            reply += chunk
    return reply


def test_the_c_web_server_refuses_bad_requests_and_goes_on(chapter):
    m = c_server(chapter, "webserver-bad")
    assert raw(m, b"NONSENSE\r\n\r\n").startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert raw(m, b"POST / HTTP/1.1\r\nConnection: close\r\n\r\n").startswith(b"HTTP/1.1 405 ")
    assert raw(m, b"GET /" + b"a" * 9000).startswith(b"HTTP/1.1 414 ")
    assert raw(m, b"GET / HTTP/1.1\r\n" + b"X-Long: y\r\n" * 1000).startswith(b"HTTP/1.1 431 ")
    assert raw(m, b"GET /../etc/passwd HTTP/1.0\r\n\r\n").startswith(b"HTTP/1.1 404 ")
    # Half a request, then gone; a connection reset mid-answer.
    s = socket.create_connection(("127.0.0.1", m.ports[8000]), timeout=20)
    s.sendall(b"GET / HT")
    s.close()
    s = socket.create_connection(("127.0.0.1", m.ports[8000]), timeout=20)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.sendall(b"GET / HTTP/1.1\r\n\r\n")
    s.close()                           # linger 0: a reset
    assert fetch(url(m, 8000, "/"))[0] == 200, "still serving"


@own_chapter     # tens of seconds of load; the next chapter's network code is this one's
def test_a_hundred_clients_at_once_and_memory_comes_back(chapter):
    """wrk keeps 100 connections busy for 5 s, every answer a 200. The
    server runs twice, each time ended with Ctrl-C: after the second run
    the kernel's memory settles back where it was after the first (which
    grows what keeps its size once grown). Comparing with the server
    stopped leaves out its own heap, which a busier round may grow."""
    m = booted(chapter, "webserver-load", guest_ports=(8000,))

    def serve_and_stop():
        mark = m.mark()
        m.send("run /bin/webserver -p 8000\r")
        m.expect(r"webserver: listening on port 8000", timeout=60, since=mark)
        out = subprocess.run(["wrk", "-t2", "-c100", "-d5s", "--timeout", "10s",
                              url(m, 8000, "/")], capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        assert "Non-2xx" not in out.stdout, out.stdout
        assert int(re.search(r"(\d+) requests in", out.stdout).group(1)) > 100, out.stdout
        mark = m.mark()
        m.send("\x03")
        m.expect(r"/bin/webserver: killed by SIGINT\n" + PROMPT, timeout=30, since=mark)
        time.sleep(12)                  # TIME-WAIT (10 s), for the connections closed

    serve_and_stop()
    before = settled_mem(m, seconds=5)
    serve_and_stop()
    assert settled_mem(m, expected=before, seconds=40) == before


def test_ctrl_c_ends_a_server_waiting_in_epoll_and_frees_its_port(chapter):
    m = booted(chapter, "webserver-ctrlc", guest_ports=(8000,))
    before = mem_usage(mem(m))
    for attempt in range(2):
        mark = m.mark()
        m.send("run /bin/webserver -p 8000\r")
        m.expect(r"webserver: listening on port 8000", timeout=60, since=mark)
        assert fetch(url(m, 8000, "/"))[0] == 200
        mark = m.mark()
        m.send("\x03")
        m.expect(r"/bin/webserver: killed by SIGINT\n" + PROMPT, timeout=30, since=mark)
    assert settled_mem(m, expected=before, seconds=40) == before


def test_busybox_httpd_wget_and_nc(chapter, tmp_path):
    """busybox's own network programs, unmodified (the same binary as
    ch06's, where they fail for want of sockets): httpd serves /www to the
    host, wget fetches a file from the host whole, nc listens for the host
    and talks to it."""
    data = os.urandom(300 * 1024)
    host = host_server(tmp_path, "r.bin", data)
    try:
        m = booted(chapter, "busybox-net", guest_ports=(8081, 9000))
        m.send("run /bin/httpd -f -p 8081 -h /www &\r")
        m.expect(r"runs in the background")
        for _ in range(50):             # until httpd has reached its listen
            try:
                status, body = fetch(url(m, 8081, "/"))
                break
            except OSError:
                time.sleep(0.2)
        assert status == 200 and body.startswith(b"<!DOCTYPE html>")
        with pytest.raises(urllib.error.HTTPError) as e:
            fetch(url(m, 8081, "/nothing-here"))
        assert e.value.code == 404

        port = host.server_address[1]
        m.command(f"run /bin/wget -O /tmp/r.bin http://10.0.2.2:{port}/r.bin",
                  r"/bin/wget: exit status 0", timeout=60)
        got = m.command("run /bin/sha256sum /tmp/r.bin", r"\n([0-9a-f]{64})  /tmp/r\.bin\n").group(1)
        m.expect(r"/bin/sha256sum: exit status 0\n" + PROMPT)
        assert got == hashlib.sha256(data).hexdigest()

        # QEMU accepts the host's connection before the guest does, so
        # the host cannot tell whether nc listens yet: netstat can.
        m.command("run /bin/nc -l -p 9000 &", r"runs in the background")
        for _ in range(50):
            if re.search(r"0\.0\.0\.0:9000 +0\.0\.0\.0:\* +LISTEN", m.command("netstat", PROMPT).string):
                break
            time.sleep(0.2)
        with socket.create_connection(("127.0.0.1", m.ports[9000]), timeout=10) as s:
            s.sendall(b"hello from the host\n")
        m.expect(r"hello from the host\r?\n")
        m.expect(r"/bin/nc: exit status 0")

        listener = socket.create_server(("127.0.0.1", 0))
        listener.settimeout(60)
        m.send(f"run /bin/nc 10.0.2.2 {listener.getsockname()[1]}\r")
        conn, _ = listener.accept()
        m.send("hello from the guest\r")      # the console's line, nc's stdin
        conn.settimeout(30)
        assert conn.recv(100) == b"hello from the guest\n"
        conn.sendall(b"goodbye from the host\n")
        conn.close()
        listener.close()
        m.expect(r"goodbye from the host\r?\n")
        m.expect(r"/bin/nc: exit status 0", timeout=30)
    finally:
        host.shutdown()
