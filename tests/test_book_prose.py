"""The book's transcripts are what the kernel really prints.

Every ```{expected-output} block in book/*.md names the run it shows
(book/_ext/cubos_prose.py documents the options). This file boots each run
once, under TCG like the other tests, and compares each block with it line
by line, after normalising what the block says varies. A failure names the
page, the block, the page's line and what the run printed there; the run's
full output is in tests/out/.

Numbers the prose quotes from the code are checked by the book build
itself (the code-value and code-number roles), which test_book.py runs.
"""
import pytest

import book_prose
from conftest import build_chapter

BLOCKS = book_prose.find_blocks()
RUNS = book_prose.group_runs(BLOCKS)


def test_the_pages_have_checked_transcripts():
    """Every chapter page shows at least one checked transcript."""
    pages = {b.page for b in BLOCKS}
    for page in sorted(p.name for p in book_prose.BOOK.glob("ch[0-9][0-9]-*.md")):
        assert page in pages, f"book/{page} has no expected-output block"


@pytest.mark.parametrize("run", RUNS, ids=[r.name for r in RUNS])
def test_transcript_matches_a_real_run(run):
    build_chapter(run.spec["run"])
    problems = []
    if run.spec.get("gdb") is not None:
        for block in run.blocks:
            lines, log = book_prose.gdb_output(run, block)
            problems.append(book_prose.compare(block, lines, log, run.describe()))
    else:
        lines, log = book_prose.boot_output(run)
        for block in run.blocks:
            problems.append(book_prose.compare(block, lines, log, run.describe()))
    problems = [p for p in problems if p]
    assert not problems, "\n\n".join(problems)


# -- host checks: no QEMU ------------------------------------------------------

import re  # noqa: E402
import sys  # noqa: E402

from harness import TOP  # noqa: E402

sys.path.insert(0, str(TOP / "book" / "_ext"))
import cubos_prose  # noqa: E402


def _block(text, **options):
    lines = [(10 + i, t) for i, t in enumerate(text.split("\n"))]
    return book_prose.Block("sample.md", 9, options, lines)


def test_compare_reports_page_block_and_line():
    real = ["boot", "frames: 10 free", "paging: on", "tail"]
    assert book_prose.compare(_block("frames: 10 free\npaging: on"), real) is None
    message = book_prose.compare(_block("frames: 10 free\npaging: off"), real)
    assert "book/sample.md:9" in message and "page line 11: paging: off" in message
    assert "the run printed: paging: on" in message
    message = book_prose.compare(_block("frames: 11 free"), real)
    assert "page line 10 is not in the run" in message
    assert "closest line in the run: frames: 10 free" in message


def test_compare_ellipsis_vary_any_order_and_notes():
    real = ["a", "x", "took 19.7 ms", "w2", "w1", "$1 = 0x5"]
    block = _block("a\n...\ntook 10.0 ms\nw1\nw2\n$1 = 0x5   NXE",
                   vary=r"\d+\.\d+ ms", **{"any-order": "^w", "annotated": None})
    assert book_prose.compare(block, real) is None
    # Without 'vary' the timing differs; without 'any-order' the order does.
    assert book_prose.compare(_block("took 10.0 ms"), real)
    assert book_prose.compare(_block("w1\nw2"), real)
    # Lines between two '...' must be contiguous in the run.
    assert book_prose.compare(_block("a\ntook 19.7 ms"), real)


SAMPLE_H = """\
#define SLICE 2     /* ticks */
#define HZ 100
#define STACK (4 * PAGE)
#define PAGE 4096u
"""
SAMPLE_S = """\
gdt:
    .quad 0
    .quad 0x00AF9B000000FFFF    /* code */
"""


def test_code_values(tmp_path):
    (tmp_path / "a.h").write_text(SAMPLE_H)
    (tmp_path / "b.S").write_text(SAMPLE_S)
    assert cubos_prose.resolve("a.h:SLICE", tmp_path)[0] == "2"
    assert cubos_prose.resolve("b.S:gdt[1]", tmp_path)[0] == "0x00AF9B000000FFFF"
    assert cubos_prose.resolve("0x9B = b.S:gdt[1] >> 40 & 0xFF", tmp_path)[0] == "0x9B"
    assert cubos_prose.resolve("two = a.h:SLICE", tmp_path)[0] == "two"
    assert cubos_prose.resolve("20 = a.h:SLICE * 1000 / a.h:HZ", tmp_path)[0] == "20"
    assert cubos_prose.resolve("16 = a.h:STACK / 1024", tmp_path)[0] == "16"
    for wrong in ("three = a.h:SLICE", "0x9A = b.S:gdt[1] >> 40 & 0xFF",
                  "a.h:NOPE", "b.S:gdt[5]", "c.h:X"):
        with pytest.raises(cubos_prose.ValueError_):
            cubos_prose.resolve(wrong, tmp_path)


def test_intro_names_the_chapters_that_exist():
    """The intro's table says which chapters are written; the tree agrees."""
    intro = (TOP / "book" / "intro.md").read_text()
    rows = re.findall(r"^\| `(ch\d\d-[\w-]+)` \| ([^|]+) \|", intro, re.M)
    assert rows, "no chapter table in book/intro.md"
    for chapter, status in rows:
        exists = (TOP / chapter / "Makefile").exists()
        written = status.strip().startswith("written")
        assert exists == written, (
            f"book/intro.md says {chapter} is '{status.strip()}', but the folder "
            f"{'exists' if exists else 'does not exist'}")
    listed = {c for c, _ in rows}
    for folder in TOP.glob("ch[0-9][0-9]-*"):
        assert folder.name in listed, f"book/intro.md's chapter table lacks {folder.name}"


def test_intro_names_the_headers_the_sources_include():
    """The toolchain row lists every <header> the kernels include, and no other.
    A chapter's user/ folder is left out: its programs are Linux programs,
    built with musl-gcc against musl's headers (from ch06 on)."""
    intro = (TOP / "book" / "intro.md").read_text()
    line = next((l for l in intro.split("\n") if "freestanding headers" in l), None)
    assert line, "book/intro.md no longer lists the freestanding headers"
    claimed = set(re.findall(r"`(\w+\.h)`", line))
    used = set()
    for chapter in TOP.glob("ch[0-9][0-9]-*"):
        for source in chapter.rglob("*"):
            parts = source.relative_to(chapter).parts
            if source.suffix in (".c", ".h", ".S") and parts[0] not in ("build", "user"):
                used |= set(re.findall(r"^\s*#\s*include\s*<([\w/.]+)>",
                                       source.read_text(errors="replace"), re.M))
    assert claimed == used, (f"book/intro.md names {sorted(claimed)} as the headers from "
                             f"outside the tree; the sources include {sorted(used)}")
