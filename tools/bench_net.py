#!/usr/bin/python3
"""bench_net.py: `make bench`'s network tables, cubos's web server beside nginx.

For a chapter with net/httpd.c: boots cubos, whose kernel serves /www on
port 80, and a Linux guest running Debian's nginx on the same files, under
the same QEMU (TCG, 2 CPUs, 256 MiB, user networking with the guest's port
80 forwarded to a free port on 127.0.0.1), once with an e1000 and once with
a virtio-net-pci network card, and measures from the host:

1. requests per second: wrk -t2 -c32 on / (median of the runs);
2. latency with one connection: wrk -t1 -c1 --latency, the average and the
   50% and 99% percentiles (medians of the runs);
3. bulk TCP throughput: a GET of a 16 MiB file, /www/big.bin, written at
   run time (cubos: busybox's dd from the shell; Linux: dd in /init);
4. the smallest guest RAM (-m) with which each boots and answers / with 200.

and, for cubos under the -c32 load and under bulk GETs, where its CPUs go:
their RIPs sampled through the QEMU monitor and named with the kernel's
symbols.

    tools/bench_net.py CHAPTER [--iso PATH] [--quick]

--iso: the cubos ISO to boot (default: the chapter's build/cubos-CHAPTER.iso,
built first with make); its kernel.elf names the profile's addresses.
--quick: one run of each measurement, 2 s of wrk instead of 5, to check the
script itself.

cubos and Linux take turns: each run boots cubos, then Linux, for each card,
so that a slow spell on the host (other tests run beside) falls on both.
tools/bench.py prints these tables after its own. The Linux guest is Debian 12's
kernel with busybox-static, the NIC's modules and nginx with its shared
libraries (tools/linux_guest.py fetches them into .cache/linux-guest/);
/work/shared/BENCH.md gives the facts it follows.
"""
import argparse
import bisect
import gzip
import http.client
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TOP / "tests"))
sys.path.insert(0, str(TOP / "tools"))
from harness import Machine, chapter_iso, free_port, make  # noqa: E402
from bench_linux import CPUS, MEMORY, show_ns  # noqa: E402
import linux_guest  # noqa: E402

NICS = ("e1000", "virtio-net-pci")
# The Linux modules each card needs, before the ones they depend on: virtio
# needs the PCI transport (virtio_pci) beside the network driver.
NIC_MODULES = {"e1000": ["e1000"], "virtio-net-pci": ["virtio_pci", "virtio_net"]}

RUNS, DURATION = 3, 5               # runs of each measurement; seconds of wrk
QUICK_RUNS, QUICK_DURATION = 1, 2   # --quick
WARM_UP = 1                         # seconds of wrk after boot, not counted
LOAD = ["-t2", "-c32"]              # the throughput run
ONE = ["-t1", "-c1", "--latency"]   # the latency run
BIG_MIB = 16                        # /www/big.bin, for the bulk throughput

BOOT_TIMEOUT = 90                   # s from QEMU's start to serving, at 256 MiB
# The smallest RAM: each side boots with these sizes (MiB), largest first,
# until one fails to serve / within RAM_TIMEOUT seconds. BENCH.md: Linux
# with nginx needs about 96 MiB.
CUBOS_RAM_STEPS = (256, 128, 96, 64, 48, 32, 24, 16)
LINUX_RAM_STEPS = (128, 112, 96, 88, 80, 72, 64)
RAM_TIMEOUT = 40
# Both cards: about a minute and a half each. ("e1000",) would halve it;
# the table says which cards it covers.
RAM_NICS = NICS

PROFILE_SAMPLES = 100               # monitor samples of both CPUs' RIP
PROFILE_TOP = 15                    # functions printed
PROFILE_LOAD = "wrk -t2 -c32"       # the loads profiled
PROFILE_BULK = "bulk GETs of big.bin"

PROMPT = r"cubos> "
DD = f"run /bin/dd if=/dev/zero of=/www/big.bin bs=1048576 count={BIG_MIB}"
DD_DONE = r"/bin/dd: exit status 0"
LINUX_SERVING = "linux-guest: serving"
# What a guest prints when it dies: cubos's panic, Linux's (after its
# timestamp), to the end of the line.
DIED = re.compile(r"^(?:\[[ \d.]+\] )?((?:PANIC|Kernel panic).*)$", re.M)


def has_httpd(chapter):
    """Whether the chapter has the kernel's web server to measure."""
    return (TOP / chapter / "net" / "httpd.c").exists()


# -- the Linux guest -----------------------------------------------------------

# nginx as BENCH.md describes it: one worker, no access log, sendfile,
# keep-alive, the files under /www. Errors go to stderr, the serial line.
NGINX_CONF = """\
user www-data;
worker_processes 1;
pid /run/nginx.pid;
error_log stderr;

events {
    worker_connections 768;
}

http {
    types {
        text/html html;
        application/json json;
    }
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    keepalive_timeout 65;

    server {
        listen 80;
        root /www;
    }
}
"""

PASSWD = "root:x:0:0:root:/root:/bin/sh\nwww-data:x:33:33:www-data:/var/www:/bin/false\n"
GROUP = "root:x:0:\nwww-data:x:33:\n"

# /init, process 1. The kernel passes the command line's unknown NAME=VALUE
# words to it as variables: nic (which card's modules to load, listed in
# /lib/modules/$nic.load) and bigfile (MiB of /www/big.bin, 0 for none).
# 10.0.2.15/24 and the gateway 10.0.2.2 are QEMU's user network. Process 1
# must not end, so it sleeps once nginx is up.
INIT_SCRIPT = """\
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo 1 > /proc/sys/kernel/printk
for module in $(cat /lib/modules/$nic.load); do
    insmod /lib/modules/$module.ko || echo "linux-guest: insmod $module failed"
done
ip link set lo up
ip addr add 10.0.2.15/24 dev eth0
ip link set eth0 up
ip route add default via 10.0.2.2
if [ "$bigfile" -gt 0 ]; then
    dd if=/dev/zero of=/www/big.bin bs=1048576 count=$bigfile 2>/dev/null
fi
nginx || echo "linux-guest: nginx failed"
echo "{serving}"
while true; do sleep 3600; done
"""


def stage_linux_root(chapter, root):
    """Fill the folder root with the Linux guest's files: busybox and its
    applets, nginx with its libraries and configuration, the NICs' modules,
    the chapter's /www and /init."""
    root = Path(root)
    for folder in ("dev", "proc", "sys", "tmp", "root", "run", "etc/nginx",
                   "var/lib/nginx", "var/log/nginx", "lib/modules", "usr/sbin"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    busybox = linux_guest.guest_busybox()
    (root / "bin").mkdir(exist_ok=True)
    shutil.copy(busybox, root / "bin" / "busybox")
    for applet in linux_guest.busybox_applets(busybox):
        if applet != "bin/busybox":
            (root / applet).parent.mkdir(parents=True, exist_ok=True)
            (root / applet).symlink_to("/bin/busybox")

    nginx = linux_guest.package_file("nginx", "./usr/sbin/nginx", "nginx")
    shutil.copy(nginx, root / "usr" / "sbin" / "nginx")
    for library in linux_guest.shared_libraries(nginx):
        dest = root / library.lstrip("/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(library, dest)          # the file a link points to, as the link's name
    (root / "etc" / "nginx" / "nginx.conf").write_text(NGINX_CONF)
    (root / "etc" / "passwd").write_text(PASSWD)
    (root / "etc" / "group").write_text(GROUP)

    for nic, names in NIC_MODULES.items():
        order = linux_guest.guest_modules(names)
        for ko in order:
            shutil.copy(ko, root / "lib" / "modules" / ko.name)
        (root / "lib" / "modules" / f"{nic}.load").write_text(
            "".join(ko.stem + "\n" for ko in order))

    shutil.copytree(TOP / chapter / "rootfs" / "www", root / "www")
    (root / "init").write_text(INIT_SCRIPT.format(serving=LINUX_SERVING))
    (root / "init").chmod(0o755)


def check_nginx(root):
    """nginx -t in the staged tree, chrooted, in an empty network namespace:
    the binary, its libraries, users and configuration all fit together.
    Without root, unshare -r maps this user to root in a user namespace."""
    unshare = ["unshare", "-n"] if os.geteuid() == 0 else ["unshare", "-r", "-n"]
    linux_guest.run([*unshare, "chroot", str(root), "/usr/sbin/nginx", "-t", "-q"],
                    "nginx -t in the guest's tree")


def build_linux_guest(chapter, folder):
    """Stage, check and pack the Linux guest in folder; (kernel, initrd)."""
    kernel = linux_guest.guest_kernel()
    root = Path(folder) / "root"
    stage_linux_root(chapter, root)
    check_nginx(root)
    archive = linux_guest.Cpio()
    linux_guest.add_tree(archive, root)
    # The kernel opens /dev/console for process 1 before /init mounts devtmpfs.
    archive.char_device("dev/console", 5, 1)
    initrd = Path(folder) / "initrd.gz"
    with gzip.open(initrd, "wb", compresslevel=6) as out:
        out.write(archive.finish())
    return kernel, initrd


# -- the two machines ----------------------------------------------------------

def nic_args(nic, port):
    """QEMU's user network with the guest's port 80 at 127.0.0.1:port, and
    the card: the same arguments for cubos and Linux."""
    return ["-netdev", f"user,id=n0,hostfwd=tcp:127.0.0.1:{port}-:80",
            "-device", f"{nic},netdev=n0"]


def cubos_machine(chapter, iso, nic, port, mib, name):
    """cubos with its web server, the QEMU monitor on (for the profile)."""
    return Machine(chapter, name, options="", memory=f"{mib}M", smp=CPUS,
                   extra=nic_args(nic, port), iso=iso, monitor=True, timeout=BOOT_TIMEOUT)


def linux_machine(chapter, guest, nic, port, mib, name, bigfile):
    """The Linux guest running nginx. harness.Machine reads its serial line
    and keeps its log; only the QEMU command line is the Linux guest's:
    linux_guest.QEMU_ARGS with the memory asked for, the same card."""
    kernel, initrd = guest
    args = list(linux_guest.QEMU_ARGS)
    args[args.index("-m") + 1] = f"{mib}M"
    m = Machine(chapter, name, timeout=BOOT_TIMEOUT)
    m.cmd = [linux_guest.QEMU, *args, "-kernel", str(kernel), "-initrd", str(initrd),
             "-append", f"{linux_guest.KERNEL_CMDLINE} nic={nic} bigfile={bigfile}",
             *nic_args(nic, port)]
    return m


def get(port, path, timeout=20):
    """GET path from the guest; (status, body)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def wait_serving(m, port, timeout):
    """Poll / until it answers; "" if with 200, else why not in a few words.
    QEMU accepts the host's connections before the guest listens (and
    closes them), so a refused or cut connection means "not yet"."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        died = DIED.search(m.transcript)
        if died:
            return died.group(1).strip()
        if m.proc.poll() is not None:
            return f"QEMU ended (exit status {m.proc.returncode})"
        try:
            status, _ = get(port, "/", timeout=5)
            return "" if status == 200 else f"/ answered {status}"
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.5)
    return f"/ not served within {timeout} s"


def boot_cubos(m, port, timeout, bigfile):
    """Start cubos, write /www/big.bin from its shell if bigfile (at its
    first prompt), wait until it serves; "" or the problem."""
    m.start()
    if bigfile:
        try:
            m.expect(PROMPT, timeout=timeout)
            m.command(DD, DD_DONE, timeout=60)
        except AssertionError as e:     # harness's GradeError: its first line says what
            return str(e).splitlines()[0]
    return wait_serving(m, port, timeout)


def boot_linux(m, port, timeout):
    """Start the Linux guest, wait until nginx serves; "" or the problem."""
    m.start()
    return wait_serving(m, port, timeout)


# -- measuring -----------------------------------------------------------------

WRK_RATE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.M)
WRK_AVERAGE = re.compile(r"^\s+Latency\s+([\d.]+)(us|ms|s)\s", re.M)
WRK_PERCENTILE = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
WRK_ERRORS = re.compile(r"^\s+Socket errors: (.*)$", re.M)
WRK_NON_2XX = re.compile(r"^\s+Non-2xx or 3xx responses: (\d+)", re.M)
US = {"us": 1, "ms": 1e3, "s": 1e6}


def wrk_command(port, args, seconds):
    return ["wrk", *args, f"-d{seconds}s", f"http://127.0.0.1:{port}/"]


def parse_wrk(text):
    """From wrk's report: {"rate": requests/s, "average", "50", "99": latency
    in us, "errors": the socket errors that were not 0 and the non-2xx
    answers, in words ("" if none)}; None if it made no requests."""
    rate = WRK_RATE.search(text)
    if not rate or float(rate.group(1)) == 0:
        return None
    figures = {"rate": float(rate.group(1))}
    average = WRK_AVERAGE.search(text)
    if average:
        figures["average"] = float(average.group(1)) * US[average.group(2)]
    for percent, value, unit in WRK_PERCENTILE.findall(text):
        figures[percent] = float(value) * US[unit]
    errors = []
    socket = WRK_ERRORS.search(text)
    if socket:
        errors += [e.strip() for e in socket.group(1).split(",") if not e.strip().endswith(" 0")]
    non_2xx = WRK_NON_2XX.search(text)
    if non_2xx:
        errors.append(f"{non_2xx.group(1)} non-2xx answers")
    figures["errors"] = ", ".join(errors)
    return figures


def wrk(port, args, seconds):
    """Run wrk against the guest; parse_wrk's figures, or None."""
    done = subprocess.run(wrk_command(port, args, seconds), capture_output=True, text=True,
                          timeout=seconds + 60)
    return parse_wrk(done.stdout)


def bulk(port):
    """GET /www/big.bin on a new connection; (MB/s (10^6 bytes) from the
    request to the last byte, "") or (None, why not) if it did not arrive
    whole."""
    start = time.monotonic()
    try:
        status, body = get(port, "/big.bin", timeout=120)
    except (OSError, http.client.HTTPException) as e:
        return None, f"GET /big.bin: {e or type(e).__name__}"
    seconds = time.monotonic() - start
    if status != 200 or len(body) != BIG_MIB << 20:
        return None, f"GET /big.bin: status {status}, {len(body)} bytes"
    return len(body) / 1e6 / seconds, ""


def kernel_of(iso, folder):
    """The kernel.elf inside the ISO (its symbols name the profile's
    addresses), copied out with xorriso; None if that fails."""
    dest = Path(folder) / "kernel.elf"
    done = subprocess.run(["xorriso", "-osirrox", "on", "-indev", str(iso),
                           "-extract", "/boot/kernel.elf", str(dest)], capture_output=True)
    return dest if done.returncode == 0 and dest.exists() else None


def sample_rips(m, seconds, kernel, running):
    """Every CPU's RIP through the monitor (HMP "info registers -a", as
    harness.Machine.where does), PROFILE_SAMPLES times over seconds while
    running() holds; the addresses named from the kernel's symbol table.
    (Counter {function: samples}, number of samples) or None if the
    monitor gave nothing."""
    rips = []
    interval = seconds / PROFILE_SAMPLES
    try:
        time.sleep(min(0.5, seconds / 10))          # let the load start
        for _ in range(PROFILE_SAMPLES):
            if not running():
                break
            rips += re.findall(r"RIP=([0-9a-f]{16})", m.hmp("info registers -a"))
            time.sleep(interval * 0.8)              # the monitor's answer takes the rest
    except OSError:
        pass
    if not rips:
        return None
    starts, names = function_symbols(kernel)
    counts = Counter(function_at(int(r, 16), starts, names) for r in rips)
    return counts, len(rips)


def profile_load(m, port, seconds, kernel):
    """Where the CPUs go while wrk -c32 runs (sample_rips)."""
    load = subprocess.Popen(wrk_command(port, LOAD, seconds),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        return sample_rips(m, seconds, kernel, lambda: load.poll() is None)
    finally:
        load.wait()


def profile_bulk(m, port, seconds, kernel):
    """Where the CPUs go while big.bin is fetched again and again, one
    connection at a time (sample_rips)."""
    stop = threading.Event()

    def fetch_again():
        while not stop.is_set():
            if bulk(port)[0] is None:
                return

    load = threading.Thread(target=fetch_again)
    load.start()
    try:
        return sample_rips(m, seconds, kernel, load.is_alive)
    finally:
        stop.set()
        load.join()


def function_symbols(kernel):
    """The kernel's functions, sorted by address, from its symbol table
    (nm: the ISO's kernel has no debug sections, so addr2line cannot name
    them, but its symbols stay): (start addresses, names)."""
    out = subprocess.run(["nm", "-n", "--defined-only", str(kernel)], capture_output=True, text=True)
    starts, names = [], []
    for line in out.stdout.splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[1] in "tT":
            starts.append(int(fields[0], 16))
            names.append(fields[2])
    return starts, names


def function_at(address, starts, names):
    """The function whose code holds address (the last one starting at or
    before it), or a note for an address outside the kernel's text."""
    if address < 1 << 63:
        return "(user mode)"            # the kernel runs in the upper half
    i = bisect.bisect_right(starts, address) - 1
    return names[i] if i >= 0 else "(outside the kernel's symbols)"


def measure(port, seconds, figures):
    """The three load measurements on a serving guest, into figures (a
    dict of lists: "load", "latency", "bulk"); what went wrong, or ""."""
    wrk(port, LOAD, WARM_UP)            # the code paths translated, connections set up
    figures["load"].append(wrk(port, LOAD, seconds))
    figures["latency"].append(wrk(port, ONE, seconds))
    rate, problem = bulk(port)
    figures["bulk"].append(rate)
    return problem


def smallest_ram(boot, steps):
    """Boot with each memory size in steps, largest first, until one does
    not serve /; (the smallest that did or None, the first that did not or
    None, why it did not)."""
    smallest = None
    for mib in steps:
        problem = boot(mib)
        if problem:
            return smallest, mib, problem
        smallest = mib
    return smallest, None, ""


# -- the runs ------------------------------------------------------------------

SIDES = ("cubos", "Linux")
MIB = int(MEMORY.removesuffix("M"))     # the machine's memory, but for the smallest RAM


def boot_side(side, chapter, iso, guest, nic, mib, name, bigfile, timeout):
    """Boot one side with nic and mib MiB until it serves; (machine, port,
    problem or "")."""
    port = free_port()
    if side == "cubos":
        m = cubos_machine(chapter, iso, nic, port, mib, name)
        return m, port, boot_cubos(m, port, timeout, bigfile)
    m = linux_machine(chapter, guest, nic, port, mib, name, BIG_MIB if bigfile else 0)
    return m, port, boot_linux(m, port, timeout)


def load_runs(chapter, iso, guest, kernel, runs, seconds):
    """runs rounds; in each, for each card, cubos then Linux boot, serve
    and are measured. ({(side, nic): {"load", "latency", "bulk": [one
    figure a run]}}, {(nic, load): cubos's profile}, notes)."""
    figures = {(side, nic): {"load": [], "latency": [], "bulk": []}
               for side in SIDES for nic in NICS}
    profiles, notes = {}, []
    for run in range(1, runs + 1):
        for nic in NICS:
            for side in SIDES:
                m, port, problem = boot_side(side, chapter, iso, guest, nic, MIB,
                                             f"net-{side.lower()}-{nic}-{run}", True, BOOT_TIMEOUT)
                try:
                    if problem:
                        notes.append(f"{side} {nic} run {run}: {problem} "
                                     f"(log: {m.log_path.relative_to(TOP)})")
                        continue
                    problem = measure(port, seconds, figures[(side, nic)])
                    if problem:
                        notes.append(f"{side} {nic} run {run}: {problem}")
                    if side == "cubos" and run == 1 and kernel:
                        profiles[(nic, PROFILE_LOAD)] = profile_load(m, port, seconds, kernel)
                        profiles[(nic, PROFILE_BULK)] = profile_bulk(m, port, seconds, kernel)
                finally:
                    m.stop()
    return figures, profiles, notes


def ram_runs(chapter, iso, guest, nics):
    """The smallest RAM of each side with each card in nics:
    {(side, nic): smallest_ram's answer}."""
    found = {}
    for nic in nics:
        for side, steps in (("cubos", CUBOS_RAM_STEPS), ("Linux", LINUX_RAM_STEPS)):
            def boot(mib):
                m, _, problem = boot_side(side, chapter, iso, guest, nic, mib,
                                          f"net-ram-{side.lower()}-{nic}-{mib}", False, RAM_TIMEOUT)
                m.stop()
                return problem and f"{problem} (log: {m.log_path.relative_to(TOP)})"
            found[(side, nic)] = smallest_ram(boot, steps)
    return found


# -- the tables ----------------------------------------------------------------

def print_table(rows):
    """rows (the header first) as a Markdown table, columns padded to line
    up: the tables of tools/bench.py."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for i, r in enumerate(rows):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")
        if i == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


def median(values):
    """The median of the figures that are there (a failed run gives None)."""
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def ratio(cubos, linux):
    return f"{cubos / linux:.2f}" if cubos is not None and linux else "-"


def show_us(us):
    return "-" if us is None else " ".join(show_ns(us * 1000))


def print_load_tables(figures, runs, seconds):
    """Sections 1 to 3: requests/s, latency, bulk throughput."""
    def runs_of(side, nic, kind, key=None):
        got = figures[(side, nic)][kind]
        return [f and f.get(key) for f in got] if key else got

    print(f"\nHTTP requests per second on /, wrk -t2 -c32 -d{seconds}s, median of {runs} "
          f"run(s); higher is better:\n")
    rows = [("NIC", "cubos", "Linux (nginx)", "cubos/Linux")]
    for nic in NICS:
        c, li = (median(runs_of(side, nic, "load", "rate")) for side in SIDES)
        rows.append((nic, "-" if c is None else f"{c:.0f} req/s",
                     "-" if li is None else f"{li:.0f} req/s", ratio(c, li)))
    print_table(rows)
    errors = []
    for nic in NICS:
        for side in SIDES:
            for kind, what in (("load", "wrk -c32"), ("latency", "wrk -c1")):
                for run, f in enumerate(figures[(side, nic)][kind], start=1):
                    if f is None:
                        errors.append(f"{side} {nic} run {run}: {what}: no requests answered")
                    elif f["errors"]:
                        errors.append(f"{side} {nic} run {run}: {what}: {f['errors']}")
    if errors:
        print("\nwrk's socket errors and failed answers (QEMU's hostfwd listens with a backlog"
              "\nof 1: connections opened at once time out on the host for any guest):")
        print("\n".join(errors))

    print(f"\nLatency with one connection, wrk -t1 -c1 -d{seconds}s --latency, median of {runs}"
          f" run(s);\nlower is better (cubos/Linux below 1: cubos faster):\n")
    rows = [("NIC", "figure", "cubos", "Linux (nginx)", "cubos/Linux")]
    for nic in NICS:
        for key, label in (("average", "average"), ("50", "50%"), ("99", "99%")):
            c, li = (median(runs_of(side, nic, "latency", key)) for side in SIDES)
            rows.append((nic, label, show_us(c), show_us(li), ratio(c, li)))
    print_table(rows)

    print(f"\nBulk TCP: GET of a {BIG_MIB} MiB file (/www/big.bin), MB/s (10^6 bytes), median of"
          f" {runs} run(s);\nhigher is better:\n")
    rows = [("NIC", "cubos", "Linux (nginx)", "cubos/Linux")]
    for nic in NICS:
        c, li = (median(runs_of(side, nic, "bulk")) for side in SIDES)
        rows.append((nic, "-" if c is None else f"{c:.1f} MB/s",
                     "-" if li is None else f"{li:.1f} MB/s", ratio(c, li)))
    print_table(rows)


def print_ram_table(found, nics):
    """Section 4: the smallest RAM that serves /."""
    print(f"\nSmallest guest RAM (-m) that boots and serves / with 200; tried from the top,"
          f"\ncubos {'/'.join(map(str, CUBOS_RAM_STEPS))} MiB and Linux "
          f"{'/'.join(map(str, LINUX_RAM_STEPS))} MiB,\ndown to the first failure"
          f" (up to {RAM_TIMEOUT} s a boot); lower is better:\n")
    rows = [("NIC", "cubos", "Linux (nginx)", "cubos/Linux")]
    notes = []
    for nic in nics:
        shown, smallest = [], []
        for side in SIDES:
            ok, failed, why = found[(side, nic)]
            steps = CUBOS_RAM_STEPS if side == "cubos" else LINUX_RAM_STEPS
            if ok is None:
                shown.append(f"more than {steps[0]} MiB")
            elif failed is None:
                shown.append(f"{ok} MiB or less")
            else:
                shown.append(f"{ok} MiB")
            smallest.append(ok)
            if failed is not None:
                notes.append(f"{side} {nic} at {failed} MiB: {why}")
        rows.append((nic, *shown, ratio(*smallest)))
    print_table(rows)
    if nics != NICS:
        print(f"\n(only {', '.join(nics)}: the search takes a boot a step)")
    if notes:
        print("\n" + "\n".join(notes))


def print_profiles(profiles):
    """Where cubos's CPUs went under each load: the top functions."""
    for (nic, load), found in profiles.items():
        if not found:
            print(f"\ncubos {nic}, {load}: no profile (the monitor gave no registers)")
            continue
        counts, total = found
        print(f"\nWhere cubos's CPUs go under {load} ({nic}, a run of its own): "
              f"{total} RIPs,\n{CPUS} CPUs sampled {total // CPUS} times; the top "
              f"{PROFILE_TOP} functions (an idle CPU waits in hlt, in the function\nthat runs it: "
              f"irq_enable_and_halt, inlined in sched_idle):\n")
        rows = [("function", "samples", "share")]
        for function, n in counts.most_common(PROFILE_TOP):
            rows.append((function, str(n), f"{100 * n / total:.1f}%"))
        print_table(rows)


def print_net_tables(chapter, iso=None, quick=False):
    """Build the Linux guest, run everything, print the tables. iso: the
    cubos ISO (default: the chapter's, already built)."""
    started = time.monotonic()
    iso = Path(iso or chapter_iso(chapter))
    runs, seconds = (QUICK_RUNS, QUICK_DURATION) if quick else (RUNS, DURATION)
    if shutil.which("wrk") is None:
        sys.exit("bench_net: wrk not found (apt-get install wrk)")
    with tempfile.TemporaryDirectory(prefix="bench-net-") as tmp:
        try:
            guest = build_linux_guest(chapter, tmp)
        except linux_guest.GuestError as e:
            sys.exit(f"bench_net: the Linux guest: {str(e).splitlines()[0]}")
        kernel = kernel_of(iso, tmp)
        try:
            figures, profiles, notes = load_runs(chapter, iso, guest, kernel, runs, seconds)
            found = ram_runs(chapter, iso, guest, RAM_NICS)
        finally:
            Machine.stop_all()

    print(f"\nNetwork: cubos's web server (net/httpd.c) beside nginx in a Linux guest, the same"
          f"\nQEMU: TCG, {CPUS} CPUs, {MIB} MiB, user networking with port 80 forwarded; cubos and"
          f"\nLinux boot in turn for each run.")
    print_load_tables(figures, runs, seconds)
    print_ram_table(found, RAM_NICS)
    if kernel is None:
        print(f"\nno profile: xorriso could not copy /boot/kernel.elf out of {iso}")
    print_profiles(profiles)
    if notes:
        print("\n" + "\n".join(notes))
    print(f"\n(the network bench took {time.monotonic() - started:.0f} s)")


def main():
    parser = argparse.ArgumentParser(
        description="cubos's web server beside nginx in a Linux guest, under the same QEMU.")
    parser.add_argument("chapter")
    parser.add_argument("--iso", help="the cubos ISO to boot (default: the chapter's, built first)")
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_RUNS} run of each, {QUICK_DURATION} s of wrk: to check the script")
    opts = parser.parse_args()
    if not has_httpd(opts.chapter):
        sys.exit(f"bench_net: {opts.chapter} has no net/httpd.c (no web server to measure)")
    if opts.iso is None:
        # Under the tests' build lock: `make test` may be building the same chapter.
        make("-C", TOP / opts.chapter, "all", check=True)
    elif not os.path.isfile(opts.iso):
        sys.exit(f"bench_net: {opts.iso}: no such ISO file")
    print_net_tables(opts.chapter, opts.iso, opts.quick)


if __name__ == "__main__":
    main()
