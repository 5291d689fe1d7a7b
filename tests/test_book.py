"""The book builds with Sphinx, warnings as errors: every code excerpt it
names still exists in the chapter sources."""
from harness import TOP, make


def test_book_builds_without_warnings():
    done = make("-C", TOP, "book", capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    html = TOP / "book" / "_build" / "html"
    for chapter in sorted(p.name for p in TOP.glob("ch[0-9][0-9]-*")):
        assert (html / f"{chapter}.html").exists(), f"the book has no page for {chapter}"
