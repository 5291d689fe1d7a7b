"""ch07-net: the network drivers, e1000 and virtio-net: each card comes up
with its MAC address and link, frames go out and come back through its
rings and its interrupt (ARP, answered by QEMU's user network), every
packet and drop is counted, both cards work at once, and a machine
without a network card (or with one the kernel cannot drive) boots and
says so."""
import re
import time

from harness import Machine, free_port, mem, mem_usage, settled_mem

PROMPT = r"cubos> "
QEMU_GATEWAY_MAC = "52:55:0a:00:02:02"      # QEMU's user network answers for 10.0.2.2
QEMU_DNS_MAC = "52:55:0a:00:02:03"          # and for 10.0.2.3


def shell(chapter, name, extra=()):
    m = Machine(chapter, name, options="", extra=extra).start()
    m.expect(PROMPT)
    return m


def ifconfig(m):
    out = m.command("ifconfig", r"ifconfig\n((?:.*\n)*?)" + PROMPT).group(1)
    counts = {}
    for direction in ("rx", "tx"):
        line = re.search(rf"^    {direction} (\d+) packets, (\d+) bytes; dropped (\d+)", out, re.M)
        assert line, out
        counts[direction] = tuple(int(x) for x in line.groups())
    counts["interrupts"] = int(re.search(r"^    interrupts (\d+)$", out, re.M).group(1))
    return out, counts


def test_the_e1000_comes_up_and_arp_goes_out_and_back(chapter):
    m = shell(chapter, "net-e1000")
    assert re.search(r"^e1000: eth0 at 00:03\.0, MAC 52:54:00:12:34:56, link up, IRQ (9|10|11)$",
                     m.transcript, re.M), "the boot line names the card, its MAC and its link"
    _, before = ifconfig(m)
    m.command("arping 10.0.2.2", rf"arping: 10\.0\.2\.2 is at {QEMU_GATEWAY_MAC} \(request \d, "
                                 rf"answered in [\d.]+ ms\)\n" + PROMPT, timeout=30)
    m.command("arping 10.0.2.3", rf"arping: 10\.0\.2\.3 is at {QEMU_DNS_MAC} \(request 1,", timeout=30)
    out, after = ifconfig(m)
    assert out.startswith("eth0: e1000, MAC 52:54:00:12:34:56, link up, IRQ"), out
    assert after["tx"][0] - before["tx"][0] >= 2 and after["tx"][1] - before["tx"][1] >= 2 * 42
    assert after["rx"][0] - before["rx"][0] >= 2, "two replies received"
    assert after["interrupts"] > before["interrupts"], "the replies came by interrupt"
    assert after["rx"][2] == 0 and after["tx"][2] == 0, "nothing dropped"


VIRTIO = ("-nic", "none", "-netdev", "user,id=n1")


def test_virtio_net_comes_up_with_msix_and_arp_goes_out_and_back(chapter):
    """A modern-only virtio-net card (virtio 1.x), interrupts by MSI-X."""
    m = shell(chapter, "net-virtio", extra=VIRTIO + ("-device", "virtio-net-pci,netdev=n1,disable-legacy=on"))
    assert re.search(r"^virtio-net: eth0 at 00:0\d\.0, MAC 52:54:00:12:34:56, link up, MSI-X$",
                     m.transcript, re.M), "the boot line names the card, its MAC and MSI-X"
    _, before = ifconfig(m)
    m.command("arping 10.0.2.2", rf"arping: 10\.0\.2\.2 is at {QEMU_GATEWAY_MAC} \(request 1,", timeout=30)
    m.command("arping 10.0.2.3", rf"arping: 10\.0\.2\.3 is at {QEMU_DNS_MAC} \(request 1,", timeout=30)
    out, after = ifconfig(m)
    assert out.startswith("eth0: virtio-net, MAC 52:54:00:12:34:56, link up, MSI-X"), out
    assert after["rx"][0] - before["rx"][0] == 2 and after["tx"][0] - before["tx"][0] == 2
    assert after["interrupts"] - before["interrupts"] >= 1, "the replies came by MSI-X"


def test_a_transitional_virtio_card_is_driven_through_its_modern_interface(chapter):
    m = shell(chapter, "net-virtio-transitional", extra=VIRTIO + ("-device", "virtio-net-pci,netdev=n1"))
    assert re.search(r"^virtio-net: eth0 at .*, MSI-X$", m.transcript, re.M)
    m.command("arping 10.0.2.2", rf"is at {QEMU_GATEWAY_MAC}", timeout=30)


def test_a_virtio_card_without_msix_interrupts_through_its_line(chapter):
    """QEMU's -nic model=virtio-net-pci has no MSI-X: INTx through the IO
    APIC, and the ISR status byte."""
    m = shell(chapter, "net-virtio-intx", extra=("-nic", "user,model=virtio-net-pci"))
    assert re.search(r"^virtio-net: eth0 at 00:03\.0, MAC 52:54:00:12:34:56, link up, IRQ \d+$",
                     m.transcript, re.M), "the boot line says the card interrupts through a line"
    _, before = ifconfig(m)
    m.command("arping 10.0.2.2", rf"is at {QEMU_GATEWAY_MAC} \(request 1,", timeout=30)
    m.command("arping 10.0.2.3", rf"is at {QEMU_DNS_MAC} \(request 1,", timeout=30)
    _, after = ifconfig(m)
    assert after["rx"][0] - before["rx"][0] == 2 and after["interrupts"] > before["interrupts"]


def test_a_legacy_only_virtio_card_is_driven_through_its_io_registers(chapter):
    """virtio 0.9's legacy transport only (an I/O BAR; each queue in one
    physically contiguous block): the card comes up with MSI-X, nothing
    of DHCP's answer is dropped, and frames go both ways."""
    m = shell(chapter, "net-virtio-legacy",
              extra=VIRTIO + ("-device", "virtio-net-pci,netdev=n1,disable-modern=on"))
    assert re.search(r"^virtio-net: eth0 at 00:0\d\.0 \(legacy\), MAC 52:54:00:12:34:56, link up, MSI-X$",
                     m.transcript, re.M), m.transcript
    assert re.search(r"^net: eth0 is 10\.0\.2\.15/24 \(DHCP, \d+ ms\)", m.transcript, re.M)
    _, before = ifconfig(m)
    assert before["rx"][2] == 0, "no frame dropped at boot (DHCP's offer came through)"
    m.command("arping 10.0.2.2", rf"arping: 10\.0\.2\.2 is at {QEMU_GATEWAY_MAC} \(request 1,", timeout=30)
    m.command("ping 10.0.2.2", r"4 packets transmitted, 4 received, 0% packet loss", timeout=30)
    _, after = ifconfig(m)
    assert after["rx"][0] - before["rx"][0] >= 5 and after["tx"][0] - before["tx"][0] >= 5
    assert after["interrupts"] > before["interrupts"] and after["rx"][2] == 0


def test_a_legacy_virtio_card_without_msix_interrupts_through_its_line(chapter):
    m = shell(chapter, "net-virtio-legacy-intx",
              extra=VIRTIO + ("-device", "virtio-net-pci,netdev=n1,disable-modern=on,vectors=0"))
    assert re.search(r"^virtio-net: eth0 at 00:0\d\.0 \(legacy\), MAC 52:54:00:12:34:56, link up, IRQ \d+$",
                     m.transcript, re.M), m.transcript
    m.command("ping 10.0.2.2", r"4 packets transmitted, 4 received, 0% packet loss", timeout=30)


def test_a_legacy_queue_larger_than_the_driver_takes_is_refused(chapter):
    """The legacy transport cannot shrink a queue: a 1,024-entry receive
    queue is refused with a reason, and the kernel runs on without it."""
    m = shell(chapter, "net-virtio-legacy-big", extra=VIRTIO + (
        "-device", "virtio-net-pci,netdev=n1,disable-modern=on,rx_queue_size=1024"))
    assert re.search(r"^virtio-net: queue 0 has 1024 entries, this driver takes 1 to 256\n"
                     r"virtio-net: cannot set up its queues; not used$", m.transcript, re.M), m.transcript
    assert "net: no network card" in m.transcript
    m.command("ifconfig", r"ifconfig: no network interfaces\n" + PROMPT)


def test_a_transmit_ring_the_card_is_slow_to_empty_drops_and_counts(chapter):
    """QEMU's virtio-net with tx=timer takes the transmit queue only every
    0.3 s and asks not to be notified meanwhile: a burst of 2,000 UDP
    datagrams fills the 256-entry ring, every one past it is refused with
    ENOBUFS and counted as a drop, nothing hangs, the card sends again
    once it has caught up, and memory is back where it was."""
    m = shell(chapter, "net-tx-full", extra=VIRTIO + (
        "-device", "virtio-net-pci,netdev=n1,disable-legacy=on,tx=timer,x-txtimer=300000000"))
    m.command("ping 10.0.2.2 1", r"1 packets transmitted, 1 received", timeout=30)   # ARP's entry
    before_mem = settled_mem(m)
    _, before = ifconfig(m)
    out = m.command("run /bin/udpburst 10.0.2.2 9 2000",
                    r"udpburst: 2000 datagrams of 1000 bytes: (\d+) taken, (\d+) refused(.*)\n", timeout=60)
    taken, refused = int(out.group(1)), int(out.group(2))
    assert taken >= 256 and refused > 0, out.group(0)
    assert out.group(3) == " (first error: No buffer space available)", out.group(0)
    m.command("", PROMPT)
    time.sleep(1)                       # the last timer: the ring is empty again
    _, after = ifconfig(m)
    assert after["tx"][2] - before["tx"][2] == refused, "each refused datagram counted as a drop"
    assert after["tx"][0] - before["tx"][0] == taken
    m.command("ping 10.0.2.2 2", r"2 packets transmitted, 2 received", timeout=30)
    assert settled_mem(m, expected=before_mem, seconds=10) == before_mem


def test_both_cards_at_once(chapter):
    m = shell(chapter, "net-both", extra=VIRTIO + (
        "-device", "virtio-net-pci,netdev=n1,mac=52:54:00:00:00:01",
        "-netdev", "user,id=n2", "-device", "e1000,netdev=n2,mac=52:54:00:00:00:02"))
    out, _ = ifconfig(m)
    assert re.search(r"^eth0: virtio-net, MAC 52:54:00:00:00:01, link up, MSI-X$", out, re.M), out
    assert re.search(r"^eth1: e1000, MAC 52:54:00:00:00:02, link up, IRQ \d+$", out, re.M), out
    m.command("arping 10.0.2.2", rf"is at {QEMU_GATEWAY_MAC}", timeout=30)


def test_an_address_nobody_has_gets_no_reply_and_memory_comes_back(chapter):
    m = shell(chapter, "net-noreply")
    m.command("arping 10.0.2.2", r"is at", timeout=30)       # warm: first-use allocations
    before = settled_mem(m)     # the stack may still hold a frame of the warm-up's
    m.command("arping 10.0.2.77", r"arping: no reply from 10\.0\.2\.77 to 3 requests on eth0\n"
                                  + PROMPT, timeout=30)
    for _ in range(5):
        m.command("arping 10.0.2.2", r"is at", timeout=30)
    assert settled_mem(m, expected=before, seconds=10) == before


def test_the_mac_address_comes_from_the_cards_eeprom(chapter):
    m = shell(chapter, "net-mac", extra=("-nic", "user,model=e1000,mac=52:54:00:ab:cd:ef"))
    assert re.search(r"^e1000: eth0 at 00:03\.0, MAC 52:54:00:ab:cd:ef, ", m.transcript, re.M)
    m.command("arping 10.0.2.2", rf"is at {QEMU_GATEWAY_MAC}", timeout=30)


def test_without_a_network_card_the_kernel_boots_and_says_so(chapter):
    m = shell(chapter, "net-none", extra=("-nic", "none"))
    assert re.search(r"^net: no network card .*the kernel runs without a network, loopback \(127\.0\.0\.1\) only$",
                     m.transcript, re.M)
    m.command("ifconfig", r"ifconfig: no network interfaces\n" + PROMPT)
    m.command("arping 10.0.2.2", r"arping: no network interface\n" + PROMPT)
    m.command("run /bin/hello", r"exit status 0")


def test_bad_arguments_get_a_clear_error(chapter):
    m = shell(chapter, "net-usage")
    for bad in ("1.2.3", "1.2.3.256", "1.2.3.4.5", "a.b.c.d", "10.0.2.2x", "-1.0.0.0"):
        m.command(f"arping {bad}", rf"arping: '{re.escape(bad)}' is not an IPv4 address \(a\.b\.c\.d\)\n"
                  + PROMPT)
    m.command("arping", r"usage: arping ADDRESS\n" + PROMPT)
    m.command("ifconfig eth0", r"usage: ifconfig \(no arguments\)\n" + PROMPT)


# -- lwIP: DHCP, ICMP, DNS ---------------------------------------------------

DHCP_LINE = (r"^net: eth0 is 10\.0\.2\.15/24 \(DHCP, \d+ ms\), gateway 10\.0\.2\.2, "
             r"DNS 10\.0\.2\.3$")


def ping(m, host, count, received):
    """ping's output, checked for its count of replies."""
    out = m.command(f"ping {host} {count}",
                    rf"ping {re.escape(host)} {count}\n((?:.*\n)*?.*packet loss\n(?:rtt.*\n)?)" + PROMPT,
                    timeout=30 + count).group(1)
    assert re.search(rf"^{count} packets transmitted, {received} received, ", out, re.M), out
    return out


def test_dhcp_gives_the_e1000_an_address_and_ping_reaches_the_gateway(chapter):
    m = shell(chapter, "net-dhcp-e1000")
    assert re.search(DHCP_LINE, m.transcript, re.M), "the boot says what DHCP gave"
    out, _ = ifconfig(m)
    assert "    inet 10.0.2.15 netmask 255.255.255.0 gateway 10.0.2.2\n" in out, out
    out = ping(m, "10.0.2.2", 3, 3)
    for seq in (1, 2, 3):
        assert re.search(rf"^64 bytes from 10\.0\.2\.2: icmp_seq={seq} ttl=\d+ time=[\d.]+ ms$", out, re.M), out
    assert re.search(r"^rtt min/avg/max = [\d.]+/[\d.]+/[\d.]+ ms$", out, re.M), out


def test_dhcp_and_ping_over_virtio_net(chapter):
    m = shell(chapter, "net-dhcp-virtio",
              extra=VIRTIO + ("-device", "virtio-net-pci,netdev=n1,disable-legacy=on"))
    assert re.search(DHCP_LINE, m.transcript, re.M), "the boot says what DHCP gave"
    ping(m, "10.0.2.2", 2, 2)
    ping(m, "10.0.2.3", 1, 1)


def test_each_card_gets_its_own_network(chapter):
    m = shell(chapter, "net-two-dhcp", extra=VIRTIO + (
        "-device", "virtio-net-pci,netdev=n1",
        "-netdev", "user,id=n2,net=10.0.3.0/24", "-device", "e1000,netdev=n2,mac=52:54:00:00:00:02"))
    m.expect(r"net: eth1 is 10\.0\.3\.15/24 .*gateway 10\.0\.3\.2", timeout=30)
    assert re.search(DHCP_LINE, m.transcript, re.M)
    ping(m, "10.0.3.2", 1, 1)           # out of eth1, to its own gateway
    ping(m, "10.0.2.2", 1, 1)           # out of eth0


def test_a_ping_nobody_answers_loses_everything_and_memory_comes_back(chapter):
    m = shell(chapter, "net-ping-lost")
    ping(m, "10.0.2.2", 1, 1)           # warm: first-use allocations, the ARP entry
    before = mem_usage(mem(m))
    out = ping(m, "10.0.2.77", 2, 0)
    assert "100% packet loss" in out and "bytes from" not in out, out
    ping(m, "10.0.2.2", 2, 2)
    # lwIP keeps the last packet for an address ARP has not found until
    # it gives up on the address (ARP_MAXPENDING: 5 s).
    assert settled_mem(m, expected=before, seconds=15) == before


def test_ping_with_bad_arguments_or_no_network_says_why(chapter):
    m = shell(chapter, "net-ping-usage")
    m.command("ping", r"usage: ping HOST \[COUNT\]\n" + PROMPT)
    for count in ("0", "x", "1001", "-1", "99999999999"):
        m.command(f"ping 10.0.2.2 {count}",
                  rf"ping: the count '{re.escape(count)}' is not a number from 1 to 1000\n" + PROMPT)
    m.command("nslookup", r"usage: nslookup NAME\n" + PROMPT)
    m.stop()
    m = shell(chapter, "net-ping-none", extra=("-nic", "none"))
    m.command("ping 10.0.2.2", r"ping: no network interface\n" + PROMPT)
    m.command("nslookup cubos.test", r"nslookup: no network interface\n" + PROMPT)


class DnsServer:
    """A DNS server on the host's UDP port 53 (which QEMU's user network
    gives the guest as 10.0.2.2:53), answering A queries for the names in
    `names` and NXDOMAIN for the rest; `queries` lists what it was asked."""

    def __init__(self, names):
        import socket
        import threading
        self.names = names
        self.queries = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 53))
        self.sock.settimeout(0.2)
        self.running = True
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        import struct
        while self.running:
            try:
                query, peer = self.sock.recvfrom(512)
            except OSError:
                continue
            ident, flags, qdcount = struct.unpack(">HHH", query[:6])
            labels, i = [], 12
            while query[i]:
                labels.append(query[i + 1:i + 1 + query[i]].decode())
                i += 1 + query[i]
            question = query[12:i + 5]
            name = ".".join(labels)
            self.queries.append(name)
            address = self.names.get(name)
            header = struct.pack(">HHHHHH", ident, 0x8180 if address else 0x8183, 1,
                                 1 if address else 0, 0, 0)
            answer = b""
            if address:
                answer = struct.pack(">HHHIH", 0xC00C, 1, 1, 60, 4) + bytes(map(int, address.split(".")))
            self.sock.sendto(header + question + answer, peer)

    def close(self):
        self.running = False
        self.thread.join()
        self.sock.close()


def test_nslookup_and_ping_by_name_through_the_dns(chapter):
    """The kernel option dns=10.0.2.2 points the resolver at a DNS server
    the test runs on the host."""
    import pytest
    try:
        dns = DnsServer({"gateway.cubos.test": "10.0.2.2"})
    except OSError as e:
        pytest.skip(f"cannot serve DNS on the host's 127.0.0.1:53 ({e}): run as root, port 53 free")
    try:
        m = Machine(chapter, "net-dns", options="dns=10.0.2.2").start()
        m.expect(r"^net: eth0 is 10\.0\.2\.15/24 .*DNS 10\.0\.2\.2 \(dns=\)\r?$".replace("\\r?$", ""), timeout=30)
        m.expect(PROMPT)
        m.command("nslookup gateway.cubos.test",
                  r"Server: 10\.0\.2\.2\nName: gateway\.cubos\.test\nAddress: 10\.0\.2\.2\n" + PROMPT, timeout=30)
        out = ping(m, "gateway.cubos.test", 1, 1)
        assert out.startswith("PING gateway.cubos.test (10.0.2.2): 56 data bytes\n"), out
        m.command("nslookup nosuch.cubos.test",
                  r"nslookup: cannot resolve 'nosuch\.cubos\.test': no such name, or no DNS server answered\n"
                  + PROMPT, timeout=60)
        assert "gateway.cubos.test" in dns.queries and "nosuch.cubos.test" in dns.queries, dns.queries
    finally:
        dns.close()


def test_netstat_shows_the_dhcp_client_and_lwips_counters(chapter):
    m = shell(chapter, "net-netstat")
    ping(m, "10.0.2.2", 1, 1)
    out = m.command("netstat", r"netstat\n((?:.*\n)*?)" + PROMPT).group(1)
    assert out.startswith("Proto Local Address          Foreign Address        State\n"), out
    assert re.search(r"^udp   0\.0\.0\.0:68 +0\.0\.0\.0:67 *$", out, re.M), "DHCP's client: " + out
    counts = {name: tuple(map(int, c)) for name, *c in
              re.findall(r"^  (\w+) +(\d+) sent, (\d+) received, (\d+) dropped", out, re.M)}
    assert set(counts) == {"arp", "ip", "icmp", "udp", "tcp"}, out
    assert counts["udp"][0] >= 2 and counts["udp"][1] >= 2, "DHCP's discover and request, offer and ack"
    assert counts["ip"][0] >= 3 and counts["ip"][1] >= 3, "and the ping, out and back"
    m.command("netstat -a", r"usage: netstat \(no arguments\)\n" + PROMPT)
    m.stop()
    m = shell(chapter, "net-netstat-none", extra=("-nic", "none"))
    m.command("netstat", r"netstat: no network interface\n" + PROMPT)


# -- fetch: the kernel as a client ----------------------------------------------

class HostWebServer:
    """An HTTP server on the host's 127.0.0.1, which QEMU's user network
    shows the guest as 10.0.2.2: /hello.txt, /big (100,000 bytes), and 404."""

    def __init__(self):
        import http.server
        import threading

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.server.seen.append((self.path, self.headers.get("Host"),
                                         self.headers.get("User-Agent")))
                if self.path == "/hello.txt":
                    body = b"hello from the host\n"
                elif self.path == "/big":
                    body = bytes(ord("a") + i % 26 for i in range(100000))
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.seen = []
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_fetch_gets_a_page_from_the_host(chapter):
    host = HostWebServer()
    try:
        m = shell(chapter, "net-fetch")
        ping(m, "10.0.2.2", 1, 1)           # warm: first-use allocations
        before = settled_mem(m)
        url = f"http://10.0.2.2:{host.port}/hello.txt"
        out = m.command(f"fetch {url}", rf"fetch {re.escape(url)}\n((?:.*\n)*?)" + PROMPT,
                        timeout=30).group(1)
        assert out.startswith("HTTP/1.0 200 OK\n"), out
        assert "\nContent-Length: 20\n" in out and "\n\nhello from the host\n" in out, out
        assert re.search(rf"^fetch: \d+ bytes from 10\.0\.2\.2 port {host.port} in [\d.]+ ms$", out, re.M), out
        assert host.httpd.seen[0] == ("/hello.txt", f"10.0.2.2:{host.port}", "cubos-fetch")
        out = m.command(f"fetch http://10.0.2.2:{host.port}/big", r"fetch: (\d+) bytes from", timeout=60)
        assert int(out.group(1)) > 100000, "the whole body came"
        m.command(f"fetch http://10.0.2.2:{host.port}/missing", r"HTTP/1\.0 404 ", timeout=30)
        assert settled_mem(m, expected=before, seconds=15) == before
    finally:
        host.close()


def test_fetch_says_why_it_cannot(chapter):
    m = shell(chapter, "net-fetch-bad")
    port = free_port()                      # nobody listens there
    m.command(f"fetch http://10.0.2.2:{port}/",
              rf"fetch: cannot connect to 10\.0\.2\.2 port {port}: connection refused\n" + PROMPT,
              timeout=30)
    for url, why in (("ftp://x/", "not an http:// URL"),
                     ("https://x/", r"https is not supported \(no TLS\): use http://"),
                     ("http://", "no host"), ("http://x:0/", r"a bad port \(1 to 65535\)"),
                     ("http://x:99999/", r"a bad port \(1 to 65535\)"),
                     ("http://x:8a/", r"a bad port \(1 to 65535\)")):
        m.command(f"fetch {url}", rf"fetch: '{re.escape(url)}': {why}\n" + PROMPT)
    m.command("fetch", r"usage: fetch URL\n" + PROMPT)
