"""The book's source pages (book/_ext/cubos_sources.py): one page per
chapter source file with an anchor per line, and each code excerpt's
caption linking to its lines there and to the whole file."""
import html
import re

import pytest

from harness import TOP, make

HTML = TOP / "book" / "_build" / "html"
CHAPTERS = sorted(p.name for p in TOP.glob("ch[0-9][0-9]-*"))


@pytest.fixture(scope="module")
def book():
    done = make("-C", TOP, "book", capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return HTML


def chapter_sources():
    for chapter in CHAPTERS:
        for pattern in ("*.c", "*.h", "*.S", "*.ld", "Makefile"):
            for path in (TOP / chapter).rglob(pattern):
                if "build" not in path.relative_to(TOP / chapter).parts:
                    yield path.relative_to(TOP).as_posix()


def page_lines(page):
    """{line number: text} of a generated source page."""
    text = page.read_text()
    lines = {}
    for m in re.finditer(r'<a id="L-(\d+)" name="L-\d+"></a><a href="#L-\d+">'
                         r'<span class="linenos">\s*\d+</span></a>(.*?)(?=<a id="L-|</pre>)',
                         text, re.S):
        lines[int(m.group(1))] = html.unescape(re.sub(r"<[^>]+>", "", m.group(2))).rstrip("\n")
    return lines


def test_every_source_file_has_a_page_with_every_line(book):
    missing = [rel for rel in chapter_sources() if not (book / "src" / f"{rel}.html").exists()]
    assert not missing, f"no source page for {missing[:10]}"
    rel = "ch02-paging/mm/paging.c"
    source = (TOP / rel).read_text().split("\n")
    if source[-1] == "":
        source.pop()
    lines = page_lines(book / "src" / f"{rel}.html")
    assert sorted(lines) == list(range(1, len(source) + 1))
    assert all(lines[n] == source[n - 1] for n in lines), "the page's lines differ from the file"


def test_excerpt_captions_link_to_their_lines(book):
    checked = 0
    problems = []
    for chapter in CHAPTERS:
        text = (book / f"{chapter}.html").read_text()
        for m in re.finditer(r'<a class="cubos-lines reference external" '
                             r'href="src/([^"#]+)\.html#L-(\d+)">lines (\d+)\u2013(\d+)</a>',
                             text):
            rel, anchor, first, last = m.group(1), int(m.group(2)), int(m.group(3)), \
                int(m.group(4))
            target = book / "src" / f"{rel}.html"
            if anchor != first or not target.exists():
                problems.append(f"{chapter}: {rel} lines {first}-{last} links to #L-{anchor}")
                continue
            if f'id="L-{last}"' not in target.read_text():
                problems.append(f"{chapter}: src/{rel}.html has no line {last}")
            checked += 1
        whole = re.findall(r'class="cubos-whole-file reference external" href="src/([^"]+)\.html"',
                           text)
        problems += [f"{chapter}: whole-file link to a missing page src/{rel}.html"
                     for rel in whole if not (book / "src" / f"{rel}.html").exists()]
        if not whole:
            problems.append(f"{chapter}: no excerpt links to its whole file")
    assert checked > 100, f"only {checked} excerpt captions link to their lines"
    assert not problems, "\n".join(problems)
