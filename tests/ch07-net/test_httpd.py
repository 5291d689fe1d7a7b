"""ch07-net: the kernel's web server, reached from the host through a
port QEMU's user network forwards: files from /www, the /stats page as
text and JSON, keep-alive, HEAD, the status of every bad request, idle
connections closed, and memory back where it was afterwards."""
import http.client
import json
import re
import socket
import subprocess
import time

from harness import Machine, free_port, mem, mem_usage, own_chapter, settled_mem

PROMPT = r"cubos> "


def server(chapter, name):
    port = free_port()
    m = Machine(chapter, name, options="",
                extra=("-nic", f"user,model=e1000,hostfwd=tcp:127.0.0.1:{port}-:80")).start()
    m.expect(PROMPT)
    m.port = port
    return m


def get(m, path, method="GET", headers=None):
    c = http.client.HTTPConnection("127.0.0.1", m.port, timeout=20)
    c.request(method, path, headers=headers or {})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r, body


def raw(m, data, timeout=20):
    """Send data on a new connection; everything the server sends back
    until it closes the connection."""
    with socket.create_connection(("127.0.0.1", m.port), timeout=timeout) as s:
        s.sendall(data)
        reply = b""
        while chunk := s.recv(65536):
            reply += chunk
    return reply.decode(errors="replace")


def quiet_mem(m):
    """mem_usage once three readings half a second apart agree: the stack
    frees some of what a connection used a moment after it closes."""
    readings = [mem_usage(mem(m))]
    while len(readings) < 3 or len(set(readings[-3:])) > 1:
        assert len(readings) < 40, readings
        time.sleep(0.5)
        readings.append(mem_usage(mem(m)))
    return readings[-1]


def wait_idle(m, seconds=60):
    """Wait until /stats.json shows only its own connection: no other TCP
    connection open or closing, none in TIME-WAIT (lwIP frees those when
    their 10 s are over, on a timer a loaded machine runs late), no other
    HTTP connection thread."""
    deadline = time.monotonic() + seconds
    while True:
        stats = json.loads(get(m, "/stats.json")[1])
        if stats["tcp_connections"] <= 1 and stats["tcp_time_wait"] == 0 and stats["http"]["connections"] <= 1:
            return
        assert time.monotonic() < deadline, f"still busy after {seconds} s: {stats}"
        time.sleep(0.5)


def test_the_host_gets_a_file_and_the_stats_page(chapter):
    m = server(chapter, "httpd-pages")
    assert re.search(r"^httpd: serving /www and /stats on port 80$", m.transcript, re.M)
    r, body = get(m, "/")
    assert r.status == 200 and r.getheader("Content-Type") == "text/html; charset=utf-8"
    assert b"<h1>Hello from cubos</h1>" in body and int(r.getheader("Content-Length")) == len(body)
    r, body = get(m, "/stats.json")
    assert r.status == 200 and r.getheader("Content-Type") == "application/json"
    stats = json.loads(body)
    assert stats["cpus"] == 2 and stats["uptime_ms"] > 0 and stats["threads"] > 3
    assert stats["memory"]["heap_bytes"] > 0 and stats["memory"]["frames_free"] > 0
    assert stats["tcp_connections"] >= 1 and stats["tcp_time_wait"] >= 0
    # This one, and perhaps the last, whose close the server may not have read yet.
    assert 1 <= stats["http"]["connections"] <= 2, stats["http"]
    eth0 = stats["interfaces"][0]
    assert eth0["name"] == "eth0" and eth0["driver"] == "e1000" and eth0["rx_packets"] > 0
    assert eth0["rx_dropped"] == 0 and eth0["tx_dropped"] == 0
    r, body = get(m, "/stats")
    text = body.decode()
    assert r.status == 200 and text.startswith(f"cubos {chapter}\nuptime: "), text
    assert re.search(r"^cpus: 2$", text, re.M) and re.search(r"^eth0 \(e1000\): rx \d+ packets", text, re.M)
    r, body = get(m, "/about")
    assert r.status == 301 and r.getheader("Location") == "/about/"
    r, body = get(m, "/about/")
    assert r.status == 200 and b"<h1>About cubos</h1>" in body
    r, body = get(m, "/", method="HEAD")
    assert r.status == 200 and body == b"" and int(r.getheader("Content-Length")) > 300
    m.command("mem", PROMPT)       # the shell still answers


def test_keep_alive_answers_several_requests_on_one_connection(chapter):
    m = server(chapter, "httpd-keepalive")
    c = http.client.HTTPConnection("127.0.0.1", m.port, timeout=20)
    c.request("GET", "/stats.json")
    first = json.loads(c.getresponse().read())
    sock = c.sock
    for path in ("/", "/about/", "/nope.txt"):
        c.request("GET", path)
        r = c.getresponse()
        r.read()
        assert r.status == (404 if path == "/nope.txt" else 200)
        assert r.getheader("Connection") == "keep-alive"
    c.request("GET", "/stats.json")
    last = json.loads(c.getresponse().read())
    assert c.sock is sock, "one connection for all five"
    assert last["http"]["requests"] - first["http"]["requests"] == 4
    assert last["http"]["connections"] == 1, "no other connection was ever opened"
    c.close()
    # HTTP/1.0 closes after its answer; so does "Connection: close".
    reply = raw(m, b"GET /about/ HTTP/1.0\r\n\r\n")
    assert reply.startswith("HTTP/1.1 200 OK\r\n") and "Connection: close\r\n" in reply, reply
    reply = raw(m, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert reply.count("HTTP/1.1 200 OK") == 1 and reply.endswith("</html>\n"), reply
    # Two requests in one packet (pipelined), a body skipped between them.
    reply = raw(m, b"GET /about/ HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
                   b"GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert re.findall(r"HTTP/1\.1 (\d+)", reply) == ["200", "404"], reply


def test_bad_requests_get_their_status_and_the_server_goes_on(chapter):
    m = server(chapter, "httpd-bad")
    cases = [
        (b"hello\r\n\r\n", "400 Bad Request"),
        (b"GET /../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", "400 Bad Request"),
        (b"GET /%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", "400 Bad Request"),
        (b"GET / HTTP/1.1\r\n\r\n", "400 Bad Request"),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi", "405 Method Not Allowed"),
        (b"GET / HTTP/2.0\r\n\r\n", "505 HTTP Version Not Supported"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", "501 Not Implemented"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 10000 + b"\r\n\r\n",
         "431 Request Header Fields Too Large"),
        (b"GET /" + b"a" * 300 + b" HTTP/1.1\r\nHost: x\r\n\r\n", "414 URI Too Long"),
        (b"GET /etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", "404 Not Found"),
    ]
    for request, status in cases:
        reply = raw(m, request)
        assert reply.startswith(f"HTTP/1.1 {status}\r\n"), (request[:40], reply)
        if status.startswith("405"):
            assert "Allow: GET, HEAD\r\n" in reply
    r, body = get(m, "/")
    assert r.status == 200, "and it still serves"


@own_chapter     # tens of seconds of load; the next chapter's network code is this one's
def test_idle_connections_are_closed_and_memory_comes_back(chapter):
    """A client that opens connections and sends nothing, or half a
    request (slowloris), holds each for 5 s, then gets 408 or a close;
    the connections' memory comes back once TCP's TIME-WAIT (10 s) ends."""
    m = server(chapter, "httpd-idle")
    get(m, "/")                             # warm: first-use allocations
    get(m, "/about/")
    before = quiet_mem(m)
    start = time.monotonic()
    silent = [socket.create_connection(("127.0.0.1", m.port), timeout=30) for _ in range(10)]
    half = [http.client.HTTPConnection("127.0.0.1", m.port, timeout=30) for _ in range(10)]
    for c in half:
        # A whole request first, so the connection is up when the half one goes.
        c.request("GET", "/about/")
        assert c.getresponse().read().startswith(b"<!DOCTYPE html>")
        c.sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
    half = [c.sock for c in half]

    def until_closed(s):
        reply = b""
        while chunk := s.recv(4096):
            reply += chunk
        return reply

    for s in half:
        assert until_closed(s).startswith(b"HTTP/1.1 408 Request Timeout\r\n"), "then closed"
    for s in silent:
        assert until_closed(s) == b"", "closed without a word"
    waited = time.monotonic() - start
    assert waited > 4, waited
    for s in silent + half:
        s.close()
    r, _ = get(m, "/stats.json")
    assert r.status == 200
    assert settled_mem(m, expected=before, seconds=30) == before


def test_a_large_file_arrives_whole(chapter):
    """4 MiB of random bytes, written into /www by busybox's dd in the
    guest, reach the host with the SHA-256 busybox's sha256sum gives."""
    import hashlib
    m = server(chapter, "httpd-large")
    m.command("run /bin/dd if=/dev/urandom of=/www/big.bin bs=65536 count=64",
              r"/bin/dd: exit status 0", timeout=60)
    want = m.command("run /bin/sha256sum /www/big.bin", r"\n([0-9a-f]{64})  /www/big\.bin\n",
                     timeout=60).group(1)
    r, body = get(m, "/big.bin")
    assert r.status == 200 and r.getheader("Content-Type") == "application/octet-stream"
    assert len(body) == 4 * 1024 * 1024
    assert hashlib.sha256(body).hexdigest() == want


@own_chapter     # tens of seconds of load; the next chapter's network code is this one's
def test_a_thousand_connections_at_once_then_memory_and_threads_come_back(chapter):
    """wrk keeps 1,000 connections open for 5 s, each asking for / again
    as soon as it has the answer. The server serves HTTPD_MAX_CONNS (256)
    at once and answers the others 503 and closes them (wrk opens them
    again); QEMU's forwarding takes new connections one at a time, so some
    of wrk's connects time out, which is QEMU's, not the guest's. Then 20
    connections reset mid-answer. Afterwards the server still serves, and
    the heap, the frames and the thread count are back where they were."""
    m = server(chapter, "httpd-thousand")

    def wrk(seconds):
        out = subprocess.run(["wrk", "-t2", "-c1000", f"-d{seconds}s", "--timeout", "10s",
                              f"http://127.0.0.1:{m.port}/"], capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        return out

    # A first round, the same, grows what keeps its size once grown (the
    # kernel timers' heap, for 256 connections waiting at once): the
    # baseline is after it.
    wrk(5)
    time.sleep(12)                      # TIME-WAIT (10 s) ends for its connections,
    wait_idle(m)                        # on time or, on a loaded machine, a little later
    before = quiet_mem(m)
    threads = json.loads(get(m, "/stats.json")[1])["threads"]
    out = wrk(5)
    answered = int(re.search(r"(\d+) requests in", out.stdout).group(1))
    assert answered > 1000, out.stdout
    for _ in range(20):
        s = socket.create_connection(("127.0.0.1", m.port), timeout=20)
        s.sendall(b"GET /about/ HTTP/1.1\r\nHost: x\r\n\r\n")
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.close()                       # linger 0: a reset, whatever the server is sending
    # Still serving, once the load's connections have drained (QEMU may
    # drop a connection made while the backlog is full: then the next).
    r = None
    for attempt in range(20):
        try:
            r, body = get(m, "/")
            break
        except (ConnectionError, http.client.HTTPException):
            time.sleep(1)
    assert r and r.status == 200 and body.startswith(b"<!DOCTYPE html>"), "still serving"
    time.sleep(10)
    wait_idle(m)
    after = settled_mem(m, expected=before, seconds=20)
    # Every heap object back: a leak is an object never freed. Its bytes
    # may have grown by one array's doubling: the kernel timers' heap
    # keeps room for the most connection threads ever waiting at once
    # (8 bytes each), and a round busier than the first doubles it.
    # Frames: the kernel keeps the page tables of its busiest moment
    # (ch02's kpage, the thread stacks' region); a round that ran a few
    # more connection threads at once than the first made one more for
    # each 2 MiB of stacks (512 KiB: 16 threads) past it.
    assert after[1] == before[1], (before, after)
    assert after[0] - before[0] in (0, 512, 1024, 1536, 2048, 3072, 3584), (before, after)
    assert before[2] <= after[2] <= before[2] + 4, (before, after)
    now = json.loads(get(m, "/stats.json")[1])["threads"]
    assert now <= threads, (threads, now)  # (the first reading may count a connection ending)
