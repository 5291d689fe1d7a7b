"""ch07-net: ch06's Makefile checks hold here too; and `make run` forwards
host ports to the kernel's web server and remote shell, as the README
says."""
import json
import re
import socket
import urllib.request

from harness import chapter_tests, free_port

chapter_tests("ch06-syscalls", "test_make.py", globals())
run_until = chapter_tests("ch01-boot", "test_make.py", {}).run_until


def test_make_run_serves_the_stats_page_and_the_shell_on_the_host(chapter):
    port, shell_port = free_port(), free_port()
    s = run_until(chapter, "run", r"cubos> ", f"HTTP_PORT={port}", f"SHELL_PORT={shell_port}")
    try:
        assert f"cubos: the web server is at http://127.0.0.1:{port}/ (HTTP_PORT= for none)" in s.text
        assert (f"cubos: the remote shell is at 127.0.0.1:{shell_port}: nc 127.0.0.1 {shell_port} "
                "(SHELL_PORT= for none)") in s.text
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats.json", timeout=20) as r:
            stats = json.load(r)
        assert stats["cpus"] == 2 and stats["interfaces"][0]["driver"] == "e1000"
        with socket.create_connection(("127.0.0.1", shell_port), timeout=20) as c:
            c.sendall(b"echo over-tcp\n")
            seen = b""
            while not re.search(rb"over-tcp\r\ncubos> ", seen):
                chunk = c.recv(4096)
                assert chunk, seen
                seen += chunk
        s.type("\x1dx")
        assert s.proc.wait(10) == 0, s.text
    finally:
        s.close()


def test_make_run_takes_another_card_or_none(chapter):
    s = run_until(chapter, "run", r"cubos> ", "NIC=virtio-net-pci")
    try:
        assert "virtio-net: eth0 at" in s.text and "e1000" not in s.text, s.text
        assert "web server is at http://127.0.0.1" not in s.text, "the tests forward no port"
        s.type("\x1dx")
        assert s.proc.wait(10) == 0, s.text
    finally:
        s.close()
    s = run_until(chapter, "run", r"cubos> ", "NIC=none")
    try:
        assert "net: no network card" in s.text, s.text
        s.type("\x1dx")
        assert s.proc.wait(10) == 0, s.text
    finally:
        s.close()
