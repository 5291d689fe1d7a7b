"""book_prose.py: find the book's expected-output blocks, run what each one
says it shows, and compare, for tests/test_book_prose.py.

A block (book/_ext/cubos_prose.py documents the directive) names a run: a
chapter booted with some options, maybe commands typed at its shell, or a
gdb session. Blocks with the same run share one boot. The comparison is
line by line after normalising what the block says varies; a mismatch is
reported with the page, the block, the page's line and the run's line.
"""
import difflib
import re
import subprocess
import sys
from dataclasses import dataclass, field

from harness import OUT, PASS_STATUS, TOP, Machine, chapter_kernel, describe_status, free_port

sys.path.insert(0, str(TOP / "book" / "_ext"))
from cubos_prose import ExpectedOutput  # noqa: E402
from myst_parser.parsers.directives import parse_directive_options  # noqa: E402

BOOK = TOP / "book"
FENCE = re.compile(r"^(`{3,})\{expected-output\}[ \t]*\n(.*?)^\1[ \t]*$", re.M | re.S)
ANSI = re.compile(r"\x1b(\[[0-9;?]*[A-Za-z]|[()][A-Za-z0-9]|[=>c])")
PROMPT = "cubos> "
VARIES = "\u2026"       # what a varying part becomes, on both sides


@dataclass
class Block:
    page: str                 # e.g. "ch02-paging.md"
    line: int                 # line of the opening fence in the page
    options: dict
    lines: list               # (page line number, text)

    @property
    def where(self):
        return f"book/{self.page}:{self.line}"

    def run_key(self):
        o = self.options
        key = (o.get("run"), o.get("firmware", "bios"), o.get("memory", "128M"), o.get("smp"),
               o.get("options", "exit=qemu"), o.get("type"), o.get("until"), o.get("gdb"))
        # Each gdb block is its own session: gdb numbers its values ($1, $2) per session.
        return key + ((self.page, self.line) if o.get("gdb") is not None else ())


@dataclass
class Run:
    blocks: list = field(default_factory=list)

    @property
    def spec(self):
        return self.blocks[0].options

    @property
    def name(self):
        b = self.blocks[0]
        return f"{b.page[:-3]}-{b.line}"

    def describe(self):
        o = self.spec
        parts = [o["run"], o.get("firmware", "bios"), o.get("memory", "128M"),
                 f"options {o.get('options', 'exit=qemu')!r}"]
        if o.get("smp"):
            parts.append(f"{o['smp']} CPUs")
        if o.get("type"):
            parts.append("typing " + " / ".join(o["type"].split("\n")).strip(" /"))
        if o.get("gdb"):
            parts.append("under gdb: " + "; ".join(o["gdb"].split("\n")).strip("; "))
        return ", ".join(parts)


def find_blocks(pages=None):
    blocks = []
    for path in pages or sorted(BOOK.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        for m in FENCE.finditer(text):
            fence_line = text.count("\n", 0, m.start()) + 1
            raw = m.group(2)
            body, options = parse_directive_options(raw, ExpectedOutput)
            # The body is the raw text's tail; number its lines in the page.
            raw_lines = raw.split("\n")
            body_lines = body.split("\n")
            if body_lines and body_lines[-1] == "":
                body_lines.pop()
            first = fence_line + 1 + (len(raw_lines) - 1 - len(body_lines))
            blocks.append(Block(path.name, fence_line, options,
                                [(first + i, t.rstrip()) for i, t in enumerate(body_lines)]))
    return blocks


def group_runs(blocks):
    runs = {}
    for b in blocks:
        runs.setdefault(b.run_key(), Run()).blocks.append(b)
    return list(runs.values())


# -- running -------------------------------------------------------------------

def _lines(text):
    text = ANSI.sub("", text.replace("\r", ""))
    return [line.rstrip() for line in text.split("\n")]


def _options(o):
    """Machine's options and extra QEMU arguments for a block's options.
    "" means none, as under `make run`, which still passes an empty OEM
    string (so GRUB's smbios command finds one and says nothing)."""
    opts = o.get("options", "exit=qemu")
    if opts:
        return opts, ()
    return None, ("-smbios", "type=11,value=cubos:")


def boot_output(run, timeout=60):
    """The serial transcript of the run, as lines."""
    o = run.spec
    opts, extra = _options(o)
    typed = [c for c in (o.get("type") or "").split("\n") if c.strip()]
    with Machine(o["run"], f"book-{run.name}", firmware=o.get("firmware", "bios"),
                 memory=o.get("memory", "128M"), options=opts, extra=extra,
                 smp=o.get("smp"), timeout=timeout) as m:
        if typed:
            m.expect(r"^" + re.escape(PROMPT))
            for i, command in enumerate(typed):
                since = m.mark()
                m.send(command + "\r")
                if i < len(typed) - 1:
                    m.expect(r"\n" + re.escape(PROMPT), since=since)
        if o.get("until"):
            m.expect(o["until"])
        else:
            status = m.wait_exit()
            if status != PASS_STATUS:
                m.fail(f"the run for {run.blocks[0].where} ended with {describe_status(status)}")
        m.stop()
        return _lines(m.transcript), m.log_path


def gdb_output(run, block, timeout=60):
    """gdb's output for a gdb block: the setup commands, then each '(gdb) '
    line of the block, echoed as the prompt and run, stdout and stderr in
    the order gdb wrote them."""
    o = run.spec
    chapter = o["run"]
    port = free_port()
    commands = [c for c in o["gdb"].split("\n") if c.strip()]
    for _, text in block.lines:
        if text.startswith("(gdb) "):
            command = _strip_note(text[6:]) if "annotated" in o else text[6:]
            commands += ["echo (gdb) " + command.replace("\\", "\\\\") + "\\n", command]
    args = ["gdb-multiarch", "-q", "-batch", "-nx", str(chapter_kernel(chapter)),
            "-ex", f"target remote 127.0.0.1:{port}"]
    for c in commands:
        args += ["-ex", c]
    opts, extra = _options(o)
    with Machine(chapter, f"book-{run.name}", firmware=o.get("firmware", "bios"),
                 memory=o.get("memory", "128M"), options=opts, extra=extra,
                 smp=o.get("smp"), gdb_port=port) as m:
        done = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=timeout)
        if "serial" in o:
            if "Breakpoint 1" not in done.stdout:
                m.fail(f"gdb never stopped at its breakpoint for {block.where}:\n{done.stdout}")
            m.expect(o.get("until") or r"^cubos: done")
            m.stop()
            return _lines(m.transcript), m.log_path
    log = OUT / "book" / f"{run.name}-gdb.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(done.stdout)
    return _lines(done.stdout), log


def _strip_note(text):
    return re.sub(r"\s{2,}\S.*$", "", text)


# -- comparing -----------------------------------------------------------------

def _normalise(line, vary):
    for rx in vary:
        line = re.sub(rx, VARIES, line)
    return line


def _same(page, real, annotated):
    if page == real:
        return True
    # A note after the real line, two spaces or more away ("$1 = 0x11   PG, PE").
    return annotated and page.startswith(real) and page[len(real):len(real) + 2] == "  "


def _match_run(chunk, real, at, any_order, annotated):
    """How many lines of chunk (page line number, raw, normalised) match real
    (raw, normalised) from index at: all of them on a match."""
    j = 0
    while j < len(chunk):
        if at + j >= len(real):
            return j
        page = chunk[j][2]
        if any_order and re.search(any_order, page):
            k = j
            while k < len(chunk) and re.search(any_order, chunk[k][2]):
                k += 1
            want = sorted(c[2] for c in chunk[j:k])
            got = sorted(r[1] for r in real[at + j:at + k])
            if want != got:
                return j
            j = k
            continue
        if not _same(page, real[at + j][1], annotated):
            return j
        j += 1
    return j


ADVICE = ("Fix the page (the run's output is in the log above), or add a 'vary' "
          "regex to the block if this part differs from run to run.")


def _show(raw, norm):
    return raw if raw == norm else f"{raw}\n      normalised: {norm}"


def compare(block, real_lines, log_path=None, describe=""):
    """None if the block matches the real run, else a message for the lead."""
    o = block.options
    vary = [rx for rx in (o.get("vary") or "").split("\n") if rx.strip()]
    any_order = o.get("any-order")
    annotated = "annotated" in o
    real = [(r, _normalise(r, vary)) for r in real_lines]
    chunks, chunk = [], []
    for number, text in block.lines:
        if text.strip() == "...":
            if chunk:
                chunks.append(chunk)
            chunk = []
        else:
            chunk.append((number, text, _normalise(text, vary)))
    if chunk:
        chunks.append(chunk)

    head = (f"{block.where}: the expected-output block does not match a real run\n"
            f"  run: {describe}\n  log: {log_path}\n")
    cursor = 0
    for chunk in chunks:
        best = (-1, None)
        for at in range(cursor, len(real)):
            n = _match_run(chunk, real, at, any_order, annotated)
            if n == len(chunk):
                cursor = at + n
                break
            if n > best[0]:
                best = (n, at)
        else:
            n, at = best
            if n > 0:
                number, raw, norm = chunk[n]
                if at + n < len(real):
                    got = _show(*real[at + n])
                else:
                    got = "(the run's output ends here)"
                context = "\n".join(f"      {r[0]}" for r in real[max(at + n - 2, 0):at + n + 3])
                return (head + f"  page line {number}: {_show(raw, norm)}\n"
                        f"  the run printed: {got}\n"
                        f"  (after {n} matching line(s); the run around there:)\n{context}\n"
                        + ADVICE)
            number, raw, norm = chunk[0]
            close = difflib.get_close_matches(norm, [r[1] for r in real[cursor:]], n=1, cutoff=0.5)
            hint = ""
            if close:
                raw_close = next(r[0] for r in real[cursor:] if r[1] == close[0])
                hint = f"  closest line in the run: {raw_close}\n"
            return (head + f"  page line {number} is not in the run"
                    f"{' (after the lines matched so far)' if cursor else ''}: "
                    f"{_show(raw, norm)}\n" + hint + ADVICE)
    return None
