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
