"""ch08-gui: ch07's Makefile checks hold here too (make run forwards the
web server and the remote shell); and without a window, make run serves
the screen over VNC on 127.0.0.1, as it says."""
import socket
import time

from harness import chapter_tests, free_port

chapter_tests("ch07-net", "test_make.py", globals())
run_until = chapter_tests("ch01-boot", "test_make.py", {}).run_until


def test_make_run_without_a_window_serves_the_screen_over_vnc(chapter):
    port = free_port()
    s = run_until(chapter, "run", r"cubos> ", f"VNC_PORT={port}", "HTTP_PORT=", "SHELL_PORT=",
                  "DISPLAY=")
    try:
        assert (f"cubos: the screen is on VNC at 127.0.0.1:{port}: vncviewer 127.0.0.1:{port}"
                in s.text), s.text
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
                    assert c.recv(12) == b"RFB 003.008\n", "a VNC server (the RFB protocol) answers"
                break
            except ConnectionRefusedError:
                assert time.monotonic() < deadline, f"nothing listens on 127.0.0.1:{port}"
                time.sleep(0.2)
        s.type("\x1dx")
        assert s.proc.wait(10) == 0, s.text
    finally:
        s.close()
