"""bench_linux.py: `make bench`'s system-call table, cubos against Linux.

For a chapter with user/sysbench.c: runs the same static binary,
build/user/bin/sysbench, on cubos (booted with init=/bin/sysbench) and on
Debian's kernel in a Linux guest (tools/linux_guest.py), alternately, RUNS
times each, and gives the rows of a table: the median ns per call on each
side, the ratio cubos/Linux and the spread of the runs. tools/bench.py
prints it. A throughput row (pipe-throughput) is in MB/s, higher better;
its ratio is still of the times (Linux's MB/s over cubos's), so that in
every row a ratio below 1 means cubos was faster.

Both guests run under the same QEMU with the same machine: TCG, the memory
and CPU count of linux_guest.QEMU_ARGS (256 MiB, 2 CPUs). Under TCG the
guest clock follows the host's, so the two columns compare in the same run,
not with figures from another machine or another day.
"""
import re
import statistics
import sys
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TOP / "tests"))
sys.path.insert(0, str(TOP / "tools"))
from harness import Machine, PASS_STATUS, describe_status  # noqa: E402
import linux_guest  # noqa: E402

# Three runs a side, alternating, so that a slow spell on the host falls on
# both kernels; one run takes about 6 s on cubos and 10 s on Linux.
RUNS = 3
CUBOS_TIMEOUT = 120
LINUX_TIMEOUT = 180

# sysbench's lines: "bench <name> <ns per op>" or "bench <name> <rate> MB/s",
# then "bench done".
ROW = re.compile(r"^bench (\S+) (\d+)( MB/s)?$", re.MULTILINE)
RATE_UNIT = "MB/s"
DONE = re.compile(r"^bench done$", re.MULTILINE)


def qemu_arg(flag):
    """The value linux_guest passes QEMU after flag (-m, -smp, -accel)."""
    args = linux_guest.QEMU_ARGS
    return args[args.index(flag) + 1]


# cubos gets the Linux guest's machine, defined once in linux_guest.QEMU_ARGS.
# harness.Machine always runs under TCG, so the guest must too.
assert qemu_arg("-accel") == "tcg"
MEMORY = qemu_arg("-m")
CPUS = int(qemu_arg("-smp"))


def has_sysbench(chapter):
    return (TOP / chapter / "user" / "sysbench.c").exists()


def parse(text):
    """{name: (figure, unit)} from sysbench's output, in the order printed;
    the unit is "ns" (per op) or RATE_UNIT."""
    return {name: (int(value), RATE_UNIT if unit else "ns")
            for name, value, unit in ROW.findall(text)}


def cubos_run(chapter, run):
    """One boot of cubos running /bin/sysbench; ({name: ns}, problem or "")."""
    m = Machine(chapter, f"sysbench-{run}", memory=MEMORY, smp=CPUS,
                options="exit=qemu init=/bin/sysbench", timeout=CUBOS_TIMEOUT)
    with m:
        try:
            status = m.wait_exit()
        except AssertionError:
            return parse(m.transcript), f"cubos run {run}: not finished in {CUBOS_TIMEOUT} s"
    text = m.transcript
    if status != PASS_STATUS:
        return parse(text), f"cubos run {run}: {describe_status(status)}"
    if not DONE.search(text):
        return parse(text), f"cubos run {run}: no \"bench done\" line"
    return parse(text), ""


def linux_run(binary, run):
    """One boot of the Linux guest running sysbench; ({name: ns}, problem or "")."""
    try:
        output, status = linux_guest.run_static(binary, timeout=LINUX_TIMEOUT)
    except linux_guest.GuestError as e:
        return {}, f"Linux run {run}: {str(e).splitlines()[0]}"
    if status != 0 or not DONE.search(output):
        return parse(output), f"Linux run {run}: sysbench exit status {status}"
    return parse(output), ""


def linux_guest_ready():
    """"" if the guest's kernel and busybox are in the cache or could be
    downloaded now, else why not, in one line."""
    try:
        linux_guest.guest_kernel()
        linux_guest.guest_busybox()
    except linux_guest.GuestError as e:
        return str(e).splitlines()[0]
    return ""


def show_ns(ns, unit=None):
    """A time in ns with three figures in ns, us or ms; unit forces one."""
    if unit is None:
        unit = "ns" if ns < 1e3 else "us" if ns < 1e6 else "ms"
    value = ns / {"ns": 1, "us": 1e3, "ms": 1e6}[unit]
    decimals = 2 if value < 10 else 1 if value < 100 else 0
    return f"{value:.{decimals}f}", unit


def show_median(values, rate=False):
    if not values:
        return "-"
    if rate:
        return f"{statistics.median(values):.0f} {RATE_UNIT}"
    return " ".join(show_ns(statistics.median(values)))


def show_spread(values, rate=False):
    """min-max of the runs, in the unit of their median."""
    if len(values) < 2:
        return "-"
    if rate:
        return f"{min(values)}-{max(values)} {RATE_UNIT}"
    _, unit = show_ns(statistics.median(values))
    low, high = show_ns(min(values), unit)[0], show_ns(max(values), unit)[0]
    return f"{low}-{high} {unit}"


def syscall_rows(chapter):
    """Run both sides; (table rows with a header first, notes to print under it)."""
    binary = TOP / chapter / "build" / "user" / "bin" / "sysbench"
    notes = []
    linux_problem = linux_guest_ready()
    if linux_problem:
        notes.append(f"Linux guest: not run, it could not be built: {linux_problem}")
    cubos, linux = [], []
    for run in range(1, RUNS + 1):
        figures, problem = cubos_run(chapter, run)
        cubos.append(figures)
        notes += [problem] if problem else []
        if not linux_problem:
            figures, problem = linux_run(str(binary), run)
            linux.append(figures)
            notes += [problem] if problem else []

    names = list(dict.fromkeys(name for figures in cubos + linux for name in figures))
    header = ("system call", "cubos", "Linux", "cubos/Linux",
              f"cubos {RUNS} runs", f"Linux {RUNS} runs")
    rows = [header]
    for name in names:
        on_cubos = [figures[name][0] for figures in cubos if name in figures]
        on_linux = [figures[name][0] for figures in linux if name in figures]
        rate = any(figures[name][1] == RATE_UNIT for figures in cubos + linux if name in figures)
        ratio = "-"
        if on_cubos and on_linux:
            cubos_median, linux_median = statistics.median(on_cubos), statistics.median(on_linux)
            # The ratio of the times, for a rate the inverse of the rates'.
            if rate and cubos_median:
                ratio = f"{linux_median / cubos_median:.2f}"
            elif not rate and linux_median:
                ratio = f"{cubos_median / linux_median:.2f}"
        rows.append((name, show_median(on_cubos, rate), show_median(on_linux, rate), ratio,
                     show_spread(on_cubos, rate), show_spread(on_linux, rate)))
    return rows, notes
