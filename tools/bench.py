#!/usr/bin/python3
"""bench.py: `make bench`, the kernel's micro-benchmarks beside a host reference.

Boots a chapter with "bench" on its command line (TCG always; KVM too with
BENCH_KVM=1, since nested KVM on some hosts boots slowly), reads its "bench <name>: <n> cycles/op" lines, runs
the host reference program built from tools/bench/ in the same run, and
prints one table with the ratios. Under TCG the TSC ticks at the host's
rate while the guest runs emulated, so TCG figures show the emulator's
cost; only the KVM column compares the kernel's code with the host's.
From ch05 a second table sets the channel benchmarks beside Go; from ch06
(user/sysbench.c) a third sets system calls beside a Linux guest under the
same QEMU (tools/bench_linux.py); from ch07 (net/httpd.c) more tables set
the kernel's web server beside nginx in that Linux guest, with each network
card: requests/s, latency, bulk TCP and the smallest RAM, and show where
cubos's CPUs go under load (tools/bench_net.py).

    tools/bench.py CHAPTER [--only kernel|syscalls|net]

--only kernel: the first two tables; --only syscalls: the third; --only
net: the network tables.
"""
import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TOP / "tests"))
from harness import Machine, PASS_STATUS, describe_status, make  # noqa: E402
import bench_linux  # noqa: E402
import bench_net  # noqa: E402

# For each kernel benchmark: the host figure it is set beside, and what that is.
HOST_REFERENCE = {
    "int+iretq": ("int+iretq", "Linux getppid() system call"),
    "frame_alloc+frame_free": ("frame_alloc+frame_free", "mm/frame_pool.c built for the host"),
    "kmalloc+kfree(64)": ("kmalloc+kfree(64)", "glibc malloc+free(64)"),
    "yield": ("yield", "pthreads sched_yield ping-pong, one CPU"),
    "handoff": ("futex", "pthreads futex handoff, one CPU"),
    "create+join": ("create+join", "pthread_create+pthread_join"),
    "spinlock": ("spinlock", "pthread_spin_lock+unlock"),
    "spinlock contended": ("spinlock contended", "pthread spinlock, CPUs 0 and 1"),
    "IPI round trip": ("futex round trip", "futex round trip, CPUs 0 and 1"),
    "wake-up latency": ("futex wake latency", "FUTEX_WAKE to woken waiter, CPU 0 to 1"),
}

# The channel benchmarks (ch05 on) are set beside the same work in Go,
# tools/bench/go/chanbench.go, run with GOMAXPROCS=1 and 2 in the same run.
GO_PROGRAM = TOP / "tools" / "bench" / "go" / "chanbench.go"
GO_LINE = re.compile(r"^go (.+?): (\d+) ns/op", re.MULTILINE)
GO_BENCHMARKS = ("chan pingpong", "chan buffered", "select 4", "primes 5000")
GO_MAXPROCS = (1, 2)

# Host programs in tools/bench/ and the chapter sources each one links with;
# a program is built only for chapters that have those sources.
HOST_PROGRAMS = {
    "host_trap.c": ["trap/vectors.S"],
    "host_mm.c": ["mm/frame_pool.c"],
    "host_threads.c": ["sched/switch.S"],
}

# Names may have spaces ("IPI round trip"); a name ends at the last ": "
# before the figure.
LINE = re.compile(r"^(bench|host) (.+?): (\d+) cycles/op", re.MULTILINE)
NS = re.compile(r"^(?:bench (.+?): \d+ cycles/op, (\d+) ns/op|ns (.+?): (\d+)$)", re.MULTILINE)
SKIPPED = re.compile(r"^(bench|host) (.+?): skipped, (.*)$", re.MULTILINE)
# What a run says about how a figure came about, printed under the table:
# how often a contended lock changed hands, how often a waiter really slept.
DETAIL = re.compile(r"^(?:handoffs|slept) .+$", re.MULTILINE)


def parse(text, kind):
    """{name: (cycles, ns or None)} from the lines of one kind (bench or
    host), in the order printed; a skipped benchmark's value is the reason."""
    ns = {}
    for m in NS.finditer(text):
        name, value = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        ns[name] = int(value)
    figures = {}
    for m in sorted([*LINE.finditer(text), *SKIPPED.finditer(text)], key=lambda m: m.start()):
        if m.group(1) != kind:
            continue
        name, value = m.group(2), m.group(3)
        figures[name] = (int(value), ns.get(name)) if m.re is LINE else value
    return figures


def details(text, who):
    return [f"{who} {line}" for line in DETAIL.findall(text)]


def kernel_figures(chapter, accel):
    """Boot with "bench"; return ({name: cycles}, note, details)."""
    extra = ["-accel", "kvm"] if accel == "kvm" else []
    timeout = 300
    m = Machine(chapter, f"bench-{accel}", options="exit=qemu bench",
                extra=extra, timeout=timeout)
    if accel == "kvm":
        m.cmd.remove("-accel")
        m.cmd.remove("tcg")
    with m:
        try:
            status = m.wait_exit()
        except AssertionError:
            # Keep what finished before the time ran out.
            return (parse(m.transcript, "bench"), f"not all results in {timeout} s",
                    details(m.transcript, f"cubos {accel.upper()}"))
    if status != PASS_STATUS:
        return {}, describe_status(status), []
    return parse(m.transcript, "bench"), "", details(m.transcript, f"cubos {accel.upper()}")


def host_figures(chapter):
    """Build and run the host programs; return ({name: cycles}, details)."""
    figures, notes = {}, []
    for program, needs in HOST_PROGRAMS.items():
        if not all((TOP / chapter / n).exists() for n in needs):
            continue
        exe = TOP / "tests" / "out" / "bench" / Path(program).stem
        exe.parent.mkdir(parents=True, exist_ok=True)
        sources = [str(TOP / chapter / n) for n in needs if n.endswith(".c")]
        subprocess.run(["gcc", "-O2", "-Wall", "-Wextra", "-Werror",
                        "-iquote", str(TOP / chapter / "include"), "-o", str(exe),
                        str(TOP / "tools" / "bench" / program), *sources], check=True)
        out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout
        figures.update(parse(out, "host"))
        notes += details(out, "host")
    return figures, notes


def go_figures(chapter):
    """{GOMAXPROCS: {name: ns}} from chanbench.go, for chapters with channels."""
    if not (TOP / chapter / "chan").is_dir():
        return {}
    out_dir = TOP / "tests" / "out" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    exe = out_dir / "chanbench"
    env = dict(os.environ, GOCACHE=str(out_dir / "gocache"), GO111MODULE="off", CGO_ENABLED="0")
    subprocess.run(["go", "build", "-o", str(exe), str(GO_PROGRAM)], check=True, env=env)
    figures = {}
    for procs in GO_MAXPROCS:
        done = subprocess.run([str(exe)], capture_output=True, text=True, check=True,
                              env=dict(env, GOMAXPROCS=str(procs)))
        figures[procs] = {name: int(ns) for name, ns in GO_LINE.findall(done.stdout)}
    return figures


def print_table(rows):
    """rows (the header first) as a Markdown table, columns padded to line up."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for i, r in enumerate(rows):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")
        if i == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


def print_go_table(tcg, go):
    """cubos's channel figures beside Go's: ns per operation, and the ratios."""
    def show(ns):
        if ns is None:
            return "-"
        return f"{ns / 1e9:.2f} s" if ns >= 10 ** 9 else f"{ns} ns"

    header = ("operation", "cubos TCG", *(f"Go GOMAXPROCS={p}" for p in GO_MAXPROCS),
              *(f"cubos/Go({p})" for p in GO_MAXPROCS))
    rows = [header]
    for name in GO_BENCHMARKS:
        fig = tcg.get(name)
        ns = fig[1] if isinstance(fig, tuple) else None
        gos = [go.get(p, {}).get(name) for p in GO_MAXPROCS]
        rows.append((name, show(ns), *(show(g) for g in gos),
                     *(f"{ns / g:.1f}x" if ns is not None and g else "-" for g in gos)))
    print("\nChannels beside Go on the host (ns per operation; primes 5000: the whole sieve):\n")
    print_table(rows)


def print_syscall_table(chapter):
    """Run user/sysbench on cubos and on a Linux guest; print them side by side."""
    rows, notes = bench_linux.syscall_rows(chapter)
    print(f"\nSystem calls: cubos against a Linux guest on the same QEMU (TCG), the same"
          f"\nstatic binary (user/sysbench.c); time per call, cycle or round trip, median of"
          f"\n{bench_linux.RUNS} runs each, lower is better ({bench_linux.RATE_UNIT} for a throughput,"
          f" higher is better);\ncubos/Linux is the ratio of the times: below 1.00, cubos faster.\n")
    if len(rows) > 1:
        print_table(rows)
    else:
        print("no figures from either side")
    if notes:
        print("\n" + "\n".join(notes))


def kvm_wanted():
    if os.environ.get("BENCH_KVM") != "1":
        return "not run (set BENCH_KVM=1 to add it)"
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return "/dev/kvm not usable"
    return ""


def print_kernel_tables(chapter):
    """Boot with "bench", run the host and Go references; print the tables."""
    host, host_details = host_figures(chapter)
    go = go_figures(chapter)
    tcg, tcg_note, tcg_details = kernel_figures(chapter, "tcg")
    kvm, kvm_note, kvm_details = {}, kvm_wanted(), []
    if not kvm_note:
        kvm, kvm_note, kvm_details = kernel_figures(chapter, "kvm")
    if not tcg:
        sys.exit(f"bench: the kernel gave no figures under TCG: {tcg_note}")

    print(f"\ncubos {chapter}: time per operation, lower is better (cycles from the TSC; ns where measured)")
    print(f"KVM: {kvm_note or 'ok'}\n")
    header = ("operation", "cubos TCG", "cubos KVM", "host reference", "host",
              "TCG/host", "KVM/host")
    rows = [header]

    def show(fig):
        if fig is None:
            return "-"
        if isinstance(fig, str):
            return "skipped"
        cycles, ns = fig
        return f"{cycles} cyc" + (f" / {ns} ns" if ns is not None else "")

    def ratio(a, b):
        # Compare nanoseconds when both sides have them (the TSCs may differ), else cycles.
        if not isinstance(a, tuple) or not isinstance(b, tuple):
            return "-"
        if a[1] is not None and b[1]:
            return f"{a[1] / b[1]:.1f}x"
        return f"{a[0] / b[0]:.1f}x" if b[0] else "-"

    skipped = []
    for name, fig in tcg.items():
        if name in GO_BENCHMARKS and go:
            continue                    # in the table beside Go
        host_name, description = HOST_REFERENCE.get(name, (name, "-"))
        h = host.get(host_name)
        k = kvm.get(name)
        rows.append((name, show(fig), show(k), description, show(h), ratio(fig, h), ratio(k, h)))
        for who, what, value in (("cubos TCG", name, fig), ("cubos KVM", name, k),
                                 ("host", host_name, h)):
            if isinstance(value, str):
                skipped.append(f"{who} {what}: skipped, {value}")
    print_table(rows)
    if go:
        print_go_table(tcg, go)
    if skipped:
        print("\n" + "\n".join(skipped))
    notes = tcg_details + kvm_details + host_details
    if notes:
        print("\n" + "\n".join(notes))
    print("\nOnly the KVM column runs the kernel's code at native speed; under TCG every guest"
          "\ninstruction is translated, so TCG/host measures QEMU as much as cubos. The host"
          "\nreference is Linux in this machine's VM, itself virtualised.")


def main():
    parser = argparse.ArgumentParser(description="cubos's micro-benchmarks beside references.")
    parser.add_argument("chapter")
    parser.add_argument("--only", choices=("kernel", "syscalls", "net"),
                        help="kernel: the kernel's benchmarks beside the host and Go; "
                             "syscalls: user/sysbench beside a Linux guest; "
                             "net: the web server beside nginx in a Linux guest")
    opts = parser.parse_args()
    syscalls = bench_linux.has_sysbench(opts.chapter)
    net = bench_net.has_httpd(opts.chapter)
    if opts.only == "syscalls" and not syscalls:
        sys.exit(f"bench: {opts.chapter} has no user/sysbench.c")
    if opts.only == "net" and not net:
        sys.exit(f"bench: {opts.chapter} has no net/httpd.c")
    # Under the tests' build lock: `make test` may be building the same chapter.
    make("-C", TOP / opts.chapter, "all", check=True)
    if opts.only in (None, "kernel"):
        print_kernel_tables(opts.chapter)
    if syscalls and opts.only in (None, "syscalls"):
        print_syscall_table(opts.chapter)
    if net and opts.only in (None, "net"):
        bench_net.print_net_tables(opts.chapter)


if __name__ == "__main__":
    main()
