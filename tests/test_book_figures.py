"""The book's figures (book/_ext/cubos_figures.py and book/figures/*.dot):
each is drawn at build time, and a figure drawn from a header fails the
build when the header and the figure part ways.

Each test builds a one-page book in a temporary folder, with copies of the
real headers, so breaking a copy shows what the real build would do."""
import re
import shutil
import subprocess
import sys

import pytest

from harness import TOP

BOOK = TOP / "book"
HEADERS = ["ch02-paging/include/memlayout.h", "ch03-interrupts/include/trap.h",
           "ch04-threads/include/thread.h"]


def page_directives(page, name):
    """The text of each ```{name} block of a chapter page, fences included."""
    text = (BOOK / page).read_text()
    return re.findall(r"^```\{%s\}.*?^```$" % re.escape(name), text, flags=re.S | re.M)


def build(tmp_path, body, edit=None):
    """Build a one-page book in tmp_path; edit(root) may change the copies
    first. Returns (returncode, output, html folder)."""
    root = tmp_path / "repo"
    for header in HEADERS:
        (root / header).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(TOP / header, root / header)
    src = root / "book"
    shutil.copytree(BOOK / "figures", src / "figures")
    (src / "conf.py").write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(BOOK / '_ext')!r})\n"
        "extensions = ['myst_parser', 'cubos_code', 'cubos_prose', 'cubos_figures']\n"
        "graphviz_output_format = 'svg'\n"
        "numfig = True\n"
        f"cubos_code_root = {str(root)!r}\n")
    (src / "index.md").write_text("# Figures\n\n" + body + "\n")
    if edit:
        edit(root)
    out = root / "html"
    done = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b",
                           "html", str(src), str(out)], capture_output=True, text=True,
                          timeout=120)
    return done.returncode, done.stdout + done.stderr, out


GENERATED = "\n\n".join(page_directives("ch02-paging.md", "memlayout-figure")
                        + page_directives("ch03-interrupts.md", "stack-figure")
                        + page_directives("ch04-threads.md", "state-figure"))


def test_the_pages_use_the_generated_figures():
    assert GENERATED.count("```{") == 3, GENERATED


def test_generated_figures_build(tmp_path):
    code, output, html = build(tmp_path, GENERATED)
    assert code == 0, output
    svgs = list((html / "_images").glob("*.svg"))
    assert len(svgs) == 3, svgs
    text = "".join(s.read_text() for s in svgs)
    # Values read from the headers, not from the page.
    assert "0xFFFF_8000_0000_0000" in text and "DIRECT_MAP_BASE" in text
    assert "error_code" in text and "tf+168" in text
    assert "THREAD_ZOMBIE" in text


def _append(path, old, new):
    def edit(root):
        f = root / path
        text = f.read_text()
        assert old in text
        f.write_text(text.replace(old, new, 1))
    return edit


@pytest.mark.parametrize("path,old,new,message", [
    ("ch02-paging/include/memlayout.h", "#define KPAGE_LIMIT",
     "#define STACKS_BASE 0xFFFFD00000000000\n#define KPAGE_LIMIT",
     "defines STACKS_BASE, which the figure does not show"),
    ("ch02-paging/include/memlayout.h", "#define DIRECT_MAP_BASE", "#define DIRECT_MAP_START",
     "DIRECT_MAP_BASE"),
    ("ch03-interrupts/include/trap.h", "rsp, ss;", "rsp, ss, fs_base;",
     "not in the figure"),
    ("ch04-threads/include/thread.h", "THREAD_ZOMBIE,", "THREAD_ZOMBIE,\n    THREAD_STOPPED,",
     "THREAD_STOPPED of enum thread_state has no edge"),
    ("ch04-threads/include/thread.h", "THREAD_SLEEPING,", "THREAD_NAPPING,",
     "no state THREAD_SLEEPING"),
], ids=["new-region", "renamed-region", "new-frame-field", "new-state", "renamed-state"])
def test_a_header_change_fails_the_build(tmp_path, path, old, new, message):
    code, output, _ = build(tmp_path, GENERATED, _append(path, old, new))
    assert code != 0, "the build passed with a figure that no longer matches the code"
    assert message in output, output


DOT_FIGURES = sorted(p.name for p in (BOOK / "figures").glob("*.dot"))


def test_every_dot_figure_is_on_a_page_with_a_caption_and_a_reference():
    pages = {p.name: p.read_text() for p in BOOK.glob("*.md")}
    for name in DOT_FIGURES:
        blocks = [(page, b) for page, text in pages.items()
                  for b in re.findall(r"^```\{graphviz\} figures/%s\n.*?^```$" % re.escape(name),
                                      text, flags=re.S | re.M)]
        assert len(blocks) == 1, f"figures/{name} is on {len(blocks)} pages, not one"
        page, block = blocks[0]
        assert ":caption:" in block, f"figures/{name} has no caption"
        label = re.search(r":name: (\S+)", block)
        assert label, f"figures/{name} has no :name:"
        assert "{numref}`%s`" % label.group(1) in pages[page], \
            f"book/{page} never refers to {label.group(1)}"


def test_a_broken_dot_file_fails_the_build(tmp_path):
    body = "```{graphviz} figures/ch02-walk.dot\n:caption: walk\n```\n"
    code, output, _ = build(tmp_path, body)
    assert code == 0, output

    def break_it(root):
        f = root / "book/figures/ch02-walk.dot"
        f.write_text(f.read_text().replace("cr3 -> pml4:e:w;", "cr3 -> -> pml4;"))
    code, output, _ = build(tmp_path / "broken", body, break_it)
    assert code != 0 and "dot" in output, output
