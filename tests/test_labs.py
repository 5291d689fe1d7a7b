"""The labs (tools/lab.py, tools/labs.toml): every lab's stripped tree
builds and its grading tests fail with the stub (they pass on the full
chapter: that is the chapter's own run). A lab whose tests pass with the
stub grades nothing, and the check names it.

Each lab gets its own tree with only that lab stripped, built once
(from the full chapter's objects where they exist), and only the tests
that grade it run there; two labs at a time, one per core.
"""
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from harness import TOP

sys.path.insert(0, str(TOP / "tools"))
import lab  # noqa: E402

TABLE = lab.load_table()


def check_lab(name, tmp):
    """What is wrong with lab name, as a list of messages (empty: nothing)."""
    chapter = TABLE[name]["chapter"]
    tree = tmp / name
    try:
        labs = lab.make_lab(chapter, [name], tree)
    except lab.LabError as err:
        return [f"lab {name}: make lab {chapter}: {err}"]
    # The third-party builds (mujs, busybox) are the main tree's: its
    # .cache is shared, not fetched and compiled again for each lab.
    if (TOP / ".cache").is_dir():
        (tree / ".cache").symlink_to(TOP / ".cache")
    # The full chapter's objects, when built, save compiling what the lab
    # left alone: the stripped files are newer than them, so make rebuilds
    # those and links the kernel again.
    # Not what a running machine of another test has open there (make
    # console's socket, its pid file): a socket cannot be copied.
    if (TOP / chapter / "build").is_dir():
        shutil.copytree(TOP / chapter / "build", tree / chapter / "build", symlinks=True,
                        ignore=shutil.ignore_patterns("*.sock", "qemu.pid"))
    build = subprocess.run(["make", "-s", "-C", str(tree / chapter), "all"],
                           capture_output=True, text=True, env={**os.environ, "CUBOS_DEPS_CHECKED": "1"})
    if build.returncode != 0:
        return [f"lab {name}: the stripped {chapter} does not build:\n{build.stdout}{build.stderr}"]
    grading = labs[0]["grade"]
    outcomes = lab.run_tests(tree, chapter, grading, quiet=True)
    problems = []
    for test in grading:
        outcome = outcomes.get(test, "not collected")
        if outcome != "failed":
            problems.append(f"lab {name}: {test} {outcome} with the stub "
                            f"(a grading test must fail until the lab is done; logs in {tree}/tests/out)")
    return problems


@pytest.fixture(scope="module")
def lab_results(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("labs")
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(check_lab, name, tmp) for name in sorted(TABLE)}
        return {name: f.result() for name, f in futures.items()}


@pytest.mark.parametrize("name", sorted(TABLE))
def test_lab_stub_builds_and_fails_its_grading_tests(lab_results, name):
    assert not lab_results[name], "\n".join(lab_results[name])


def test_every_chapter_has_two_labs():
    for chapter in lab.chapters():
        assert len(lab.chapter_labs(chapter)) >= 2, f"{chapter} has fewer than two labs in tools/labs.toml"


def test_every_marker_names_a_lab_and_every_lab_is_marked():
    for chapter in lab.chapters():
        for name, places in lab.chapter_regions(chapter).items():
            where = ", ".join(f"{rel}:{r.begin + 1}" for rel, r in places)
            assert name in TABLE, f"{where}: LAB({name}) is not in tools/labs.toml"
    for name, entry in TABLE.items():
        assert name in lab.chapter_regions(entry["chapter"]), \
            f"lab {name}: no LAB({name}) region in {entry['chapter']}"
        page = (TOP / "book" / f"{entry['chapter']}.md").read_text()
        assert f"# {entry['section']}\n" in page, \
            f"lab {name}: the book's {entry['chapter']} page has no section \"{entry['section']}\""
        exercises = page[page.index("## Exercises"):]
        assert f"- `{name}`:" in exercises, f"lab {name}: not listed in the exercises of book/{entry['chapter']}.md"
        assert f"`{name}`" in (TOP / "book" / "labs.md").read_text(), f"lab {name}: not listed in book/labs.md"


SAMPLE = """\
int f(int x)
{
    /* LAB(demo): return twice x,
     * without overflow checks. */
    /* LAB-STUB: (void)x; */
    /* LAB-STUB: return 0; */
    return 2 * x;
    /* END LAB(demo) */
}

int g(void)
{
    // LAB(other): return 3.
    return 3;
    // END LAB(other)
}
"""


def test_strip_replaces_the_chosen_labs_and_unmarks_the_others():
    assert lab.strip(SAMPLE, {"demo"}) == """\
int f(int x)
{
    /* TODO(lab demo): return twice x,
     * without overflow checks. */
    (void)x;
    return 0;
}

int g(void)
{
    return 3;
}
"""
    region = lab.parse_regions(SAMPLE)[0]
    assert region.task == "return twice x, without overflow checks."
    assert lab.marker_lines(SAMPLE) == {2, 3, 4, 5, 7, 12, 14}


@pytest.mark.parametrize("text, message", [
    ("/* LAB(a): x */\n", "LAB(a) has no END LAB(a)"),
    ("/* LAB(a): x */\n/* END LAB(b) */\n", "END LAB(b) closes LAB(a)"),
    ("/* END LAB(a) */\n", "END LAB(a) without a LAB(a) above it"),
    ("/* LAB-STUB: return 0; */\n", "LAB-STUB outside a LAB region"),
    ("/* LAB(a): x\n", "the LAB(a) comment is not closed"),
    ("/* LAB(a): x */\n/* LAB(b): y */\n", "LAB(b) inside LAB(a)"),
    ("x = 1; /* LAB(a): x */\n", "not on a line of its own"),
])
def test_bad_markers_are_named(text, message):
    with pytest.raises(lab.LabError, match=message.replace("(", r"\(").replace(")", r"\)")):
        lab.parse_regions(text)


def make_lab(*args):
    return subprocess.run(["make", "-s", "-C", str(TOP), "lab", *args], capture_output=True, text=True)


@pytest.mark.parametrize("args, message", [
    ([], "make lab: say which chapter"),
    (["CH=ch99-nothing"], "no chapter 'ch99-nothing' (chapters: ch01-boot"),
    (["CH=ch01-boot", "LAB=no-such-lab"], "no lab 'no-such-lab' (labs: "),
    (["CH=ch01-boot", "LAB=context-switch"], "lab 'context-switch' has no marked region in ch01-boot "
                                             "(it is in: ch04-threads"),
])
def test_make_lab_names_what_is_wrong(args, message, tmp_path):
    done = make_lab(*args, f"OUT={tmp_path / 'lab'}")
    assert done.returncode != 0 and message in done.stderr + done.stdout, done.stderr + done.stdout
    assert not (tmp_path / "lab").exists()


def test_make_lab_refuses_a_non_empty_out(tmp_path):
    (tmp_path / "mine.txt").write_text("keep me")
    done = make_lab("CH=ch01-boot", f"OUT={tmp_path}")
    assert done.returncode != 0 and f"{tmp_path} already exists and is not empty" in done.stderr, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.txt"]


def test_lab_tree_holds_one_chapter_and_its_grader(tmp_path):
    out = tmp_path / "lab"
    done = make_lab("CH=ch03-interrupts", f"OUT={out}")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == [".gitignore", "LAB.md", "Makefile", "ch03-interrupts",
                                                      "tests", "tools"]
    assert sorted(p.name for p in (out / "tests").iterdir() if p.is_dir()) == \
        ["ch01-boot", "ch02-paging", "ch03-interrupts"]
    # The earlier chapters give only the test files the chapter imports and compiles.
    assert sorted(p.name for p in (out / "tests" / "ch01-boot").glob("*.py")) == ["test_debug.py", "test_make.py"]
    text = "\n".join(p.read_text() for p in (out / "ch03-interrupts").rglob("*.[chS]"))
    assert "TODO(lab page-fault-decoder)" in text and "TODO(lab history)" in text
    assert "LAB(" not in text.replace("TODO(lab", "")
    assert "## page-fault-decoder" in (out / "LAB.md").read_text()
