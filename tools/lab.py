#!/usr/bin/python3
"""lab.py: turn a chapter into a lab for students, and grade it.

A lab is a solution region in a chapter's sources, between two comments
that compile as they are:

    /* LAB(context-switch): save the callee-saved registers, switch stacks,
     * restore the other thread's registers and return into it. */
    /* LAB-STUB: ud2 */
    ... the solution ...
    /* END LAB(context-switch) */

(`// LAB(name): ...`, `// LAB-STUB: ...` and `// END LAB(name)` work too,
one line each.) A lab may have several regions, in one file or several.
The LAB-STUB lines are what replaces the solution in the student's tree,
after a `/* TODO(lab name): task */` comment: the least code that keeps the
file compiling under -Werror and fails fast (a panic naming the lab, an
error return). tools/labs.toml says, for each lab, the chapter it belongs
to, the tests that grade it and the book section to read.

    tools/lab.py make CH [LAB...] [--out DIR]   the student's tree
    tools/lab.py grade [LAB...]                 inside that tree: run the
                                                chapter's tests, score each lab
    tools/lab.py list [CH]                      the labs, and where they are

`make lab` and, in a lab tree, `make grade` run these.
"""
import argparse
import json
import re
import shutil
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
PYTHON = "/usr/bin/python3"
SOURCE_SUFFIXES = (".c", ".h", ".S")

_BEGIN = re.compile(r"^(\s*)(/\*|//)\s*LAB\(([\w-]+)\):\s?(.*)$")
_STUB = re.compile(r"^(\s*)(?:/\*\s*LAB-STUB:\s?(.*?)\s*\*/|//\s*LAB-STUB:\s?(.*?))\s*$")
_END = re.compile(r"^\s*(?:/\*\s*END LAB\(([\w-]+)\)\s*\*/|//\s*END LAB\(([\w-]+)\))\s*$")


class LabError(Exception):
    """A problem the user must fix; the message names it."""


class Region:
    """One marked solution region: lines[begin..end] of a file, inclusive of
    the LAB comment (begin .. begin + len(comment) - 1) and the END line."""

    def __init__(self, name, begin, comment, end, stubs):
        self.name = name
        self.begin = begin
        self.comment = comment      # the LAB comment's lines, as written
        self.end = end
        self.stubs = stubs          # (indent, code) of each LAB-STUB line

    @property
    def task(self):
        """The task text, on one line."""
        text = " ".join(line.strip() for line in self.comment)
        text = re.sub(r"^(/\*|//)\s*LAB\([\w-]+\):\s*", "", text)
        text = re.sub(r"\s*\*/$", "", text)
        return re.sub(r"\s+\*\s+", " ", " " + text).strip()

    def todo(self):
        """The LAB comment turned into the student's TODO comment."""
        first = re.sub(r"LAB\(([\w-]+)\):", r"TODO(lab \1):", self.comment[0], count=1)
        return [first] + self.comment[1:]


def parse_regions(text, where="source"):
    """The marked regions of a file's text, in order; LabError on a marker
    that is not closed, closed by another name, or out of place."""
    lines = text.split("\n")
    regions, i, current = [], 0, None
    while i < len(lines):
        line = lines[i]
        begin, stub, end = _BEGIN.match(line), _STUB.match(line), _END.match(line)
        if begin:
            if current:
                raise LabError(f"{where}:{i + 1}: LAB({begin.group(3)}) inside LAB({current.name}), "
                               f"which is not closed")
            comment = [line]
            if begin.group(2) == "/*":
                while "*/" not in lines[i + len(comment) - 1]:
                    if i + len(comment) == len(lines):
                        raise LabError(f"{where}:{i + 1}: the LAB({begin.group(3)}) comment is not closed")
                    comment.append(lines[i + len(comment)])
            current = Region(begin.group(3), i, comment, None, [])
            i += len(comment)
            continue
        if stub:
            if not current:
                raise LabError(f"{where}:{i + 1}: LAB-STUB outside a LAB region")
            current.stubs.append((stub.group(1), stub.group(2) if stub.group(2) is not None else stub.group(3)))
        elif end:
            name = end.group(1) or end.group(2)
            if not current:
                raise LabError(f"{where}:{i + 1}: END LAB({name}) without a LAB({name}) above it")
            if name != current.name:
                raise LabError(f"{where}:{i + 1}: END LAB({name}) closes LAB({current.name})")
            current.end = i
            regions.append(current)
            current = None
        elif "LAB(" in line or "LAB-STUB" in line:
            raise LabError(f"{where}:{i + 1}: a lab marker not on a line of its own: {line.strip()}")
        i += 1
    if current:
        raise LabError(f"{where}:{current.begin + 1}: LAB({current.name}) has no END LAB({current.name})")
    return regions


def marker_lines(text):
    """0-based numbers of the lines that are lab markers (what the book hides)."""
    lines = text.split("\n")
    hidden = set()
    for r in parse_regions(text):
        hidden.update(range(r.begin, r.begin + len(r.comment)))
        hidden.update(i for i in range(r.begin, r.end) if _STUB.match(lines[i]))
        hidden.add(r.end)
    return hidden


def strip(text, labs, where="source"):
    """text with the regions of labs replaced by their TODO and stub, and
    the markers of every other lab removed (their code kept)."""
    lines = text.split("\n")
    out, at = [], 0
    for r in parse_regions(text, where):
        if r.name in labs:
            out += lines[at:r.begin] + r.todo() + [indent + code for indent, code in r.stubs]
        else:
            body = lines[r.begin + len(r.comment):r.end]
            out += lines[at:r.begin] + [line for line in body if not _STUB.match(line)]
        at = r.end + 1
    return "\n".join(out + lines[at:])


# -- the labs table and the chapters --------------------------------------------

def chapters(top=TOP):
    return sorted(p.name for p in top.glob("ch[0-9][0-9]-*") if (p / "Makefile").is_file())


def load_table(top=TOP):
    with open(top / "tools" / "labs.toml", "rb") as f:
        return tomllib.load(f)


def source_files(chapter_dir):
    return sorted(p for p in chapter_dir.rglob("*")
                  if p.suffix in SOURCE_SUFFIXES and "build" not in p.relative_to(chapter_dir).parts)


def chapter_regions(chapter, top=TOP):
    """{lab name: [(path relative to the top, Region)]} for a chapter's sources."""
    found = {}
    for path in source_files(top / chapter):
        rel = path.relative_to(top)
        for r in parse_regions(path.read_text(), str(rel)):
            found.setdefault(r.name, []).append((rel, r))
    return found


def chapter_labs(chapter, top=TOP):
    """The labs a chapter introduces (its own; later chapters carry the markers too)."""
    return sorted(name for name, lab in load_table(top).items() if lab["chapter"] == chapter)


def describe(chapter, names, top=TOP):
    """[{name, task, files, grade, section, book}] for labs of a chapter; LabError
    if a lab is unknown or has no region in the chapter."""
    table = load_table(top)
    regions = chapter_regions(chapter, top)
    labs = []
    for name in names:
        if name not in table:
            raise LabError(f"no lab '{name}' (labs: {', '.join(sorted(table))})")
        if name not in regions:
            where = sorted(c for c in chapters(top) if name in chapter_regions(c, top))
            raise LabError(f"lab '{name}' has no marked region in {chapter} "
                           f"(it is in: {', '.join(where) or 'no chapter'})")
        lab = table[name]
        tests_dir = top / "tests" / chapter
        grade = [t for t in lab["grade"] if (tests_dir / t.split("::")[0]).is_file()]
        if not grade:
            raise LabError(f"lab '{name}': none of its grading tests is in tests/{chapter}")
        labs.append({
            "name": name,
            "task": " ".join(r.task for _, r in regions[name]),
            "files": sorted({str(rel.relative_to(chapter)) for rel, _ in regions[name]}),
            "functions": lab.get("functions", []),
            "grade": grade,
            "book": lab["chapter"],
            "section": lab["section"],
        })
    return labs


# -- make: the student's tree ---------------------------------------------------

def _imported_tests(test_file, seen):
    """Earlier chapters' test files that test_file runs through
    harness.chapter_tests, and theirs, as paths relative to tests/."""
    for chapter, name in re.findall(r"chapter_tests\(\s*\"([\w-]+)\",\s*\"([\w.]+)\"", test_file.read_text()):
        rel = Path(chapter) / name
        if rel not in seen:
            seen.add(rel)
            _imported_tests(test_file.parent.parent / rel, seen)
    return seen


def _test_files(chapter, top):
    """Every file under tests/ the chapter's tests need, relative to tests/."""
    tests = top / "tests"
    files = {p.relative_to(tests) for p in (tests / chapter).rglob("*")
             if p.is_file() and "__pycache__" not in p.parts}
    for py in [p for p in files if p.suffix == ".py"]:
        files |= _imported_tests(tests / py, set())
    for py in [p for p in files if p.suffix == ".py"]:
        files |= {Path(c) for c in re.findall(r"\"(ch\d\d-[\w-]+/unit/[\w.]+\.c)\"", (tests / py).read_text())}
    earlier = {c for c in chapters(top) if c <= chapter}
    files |= {p.relative_to(tests) for p in tests.glob("ch*/unit/*.h") if p.parts[-3] in earlier}
    helpers = {Path(p.name) for p in tests.glob("*.py")
               if not p.name.startswith(("test_", "conftest")) and p.name != "harness.py"
               and any(re.search(rf"^from {p.stem} import|^import {p.stem}$", (tests / f).read_text(), re.M)
                       for f in files if f.suffix == ".py")}
    return sorted(files | helpers | {Path("harness.py"), Path("conftest.py"), Path("check.h")})


MAKEFILE = """\
# A cubos lab: {chapter} with the labs {labs} to write (see LAB.md).
#
#   make          build the kernel and its bootable ISO ({chapter}/build/)
#   make run      boot it in QEMU, serial console on this terminal (Ctrl-] X quits)
#   make debug    QEMU halted with a gdb stub, gdb stopped in kmain
#   make grade    run the chapter's tests and score each lab
#   make grade LAB=name   only the tests that grade that lab
#   make test     the chapter's tests, as pytest reports them
#   make clean

CHAPTER := {chapter}
PYTHON  := /usr/bin/python3
export CUBOS_DEPS_CHECKED := 1

all iso run run-uefi debug console clean: deps
\t$(MAKE) -C $(CHAPTER) $@

deps:
\t@tools/deps.sh

grade: deps
\t@$(PYTHON) tools/lab.py grade $(LAB)

test: deps
\tcd tests && $(PYTHON) -m pytest $(CHAPTER)

.PHONY: all iso run run-uefi debug console clean deps grade test
"""


def lab_md(chapter, labs):
    out = [f"# Lab: {chapter}", "",
           f"This tree is cubos's `{chapter}` with {len(labs)} piece(s) of the kernel cut out.",
           "Each is marked in the sources with a `TODO(lab NAME)` comment that says what",
           "to write; the code below it is a stub that only keeps the kernel compiling.",
           "", "    make          build the kernel",
           "    make run      boot it in QEMU (Ctrl-] then X quits)",
           "    make grade    run the chapter's tests and score each lab",
           "    make grade LAB=name   only that lab's tests", "",
           "The grader is the chapter's own test suite (in `tests/`): it boots the kernel",
           "in QEMU and talks to it over the serial console, and compiles the pure code",
           "into host unit tests. A lab is done when all the tests that grade it pass.", ""]
    for lab in labs:
        out += [f"## {lab['name']}", "", lab["task"], "",
                "Where: " + ", ".join(f"`{chapter}/{f}`" for f in lab["files"]) +
                (" (" + ", ".join(f"`{f}`" for f in lab["functions"]) + ")" if lab["functions"] else ""),
                "", f"Read: the book's {lab['book']} page, section \"{lab['section']}\".", "",
                "Graded by:", ""] + [f"- `tests/{chapter}/{t}`" for t in lab["grade"]] + [""]
    return "\n".join(out)


def make_lab(chapter, names, out, top=TOP):
    """Write the lab tree for chapter with the labs names (default: the
    chapter's own) into out; return the labs' descriptions."""
    if chapter not in chapters(top):
        raise LabError(f"no chapter '{chapter}' (chapters: {', '.join(chapters(top))})")
    names = list(dict.fromkeys(names or chapter_labs(chapter, top)))
    if not names:
        raise LabError(f"{chapter} has no labs yet (see tools/labs.toml)")
    labs = describe(chapter, names, top)
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise LabError(f"{out} already exists and is not empty: remove it or choose another OUT=")

    shutil.copytree(top / chapter, out / chapter, ignore=shutil.ignore_patterns("build", "__pycache__"))
    for path in source_files(out / chapter):
        text = path.read_text()
        if "LAB" in text:
            path.write_text(strip(text, set(names), str(path.relative_to(out))))
    for rel in _test_files(chapter, top):
        (out / "tests" / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(top / "tests" / rel, out / "tests" / rel)
    ini = (top / "tests" / "pytest.ini").read_text()
    (out / "tests" / "pytest.ini").write_text(re.sub(r"(?m)^testpaths = .*$", f"testpaths = {chapter}", ini))
    (out / "tools").mkdir()
    # The chapter's build uses some of the top-level tools (ch06 on: the
    # initrd packer and the third-party source fetch and builds for mujs
    # and busybox, with busybox's kept configuration; ch08: the font
    # converter).
    for tool in ("deps.sh", "lab.py", "mkinitrd.py", "fetch-source.sh", "build-mujs.sh",
                 "build-busybox.sh", "busybox.config", "psf1to2.py"):
        shutil.copy2(top / "tools" / tool, out / "tools" / tool)
    (out / "tools" / "labs.json").write_text(json.dumps({"chapter": chapter, "labs": labs}, indent=2) + "\n")
    (out / "Makefile").write_text(MAKEFILE.format(chapter=chapter, labs=", ".join(names)))
    (out / "LAB.md").write_text(lab_md(chapter, labs))
    (out / ".gitignore").write_text("build/\n.cache/\ntests/out/\n__pycache__/\n")
    return labs


# -- grade: run the tests, score the labs ----------------------------------------

def run_tests(tree, chapter, node_ids=None, quiet=False):
    """Run the chapter's tests in tree (or only node_ids, relative to
    tests/<chapter>); return {node id relative to tests/<chapter>: outcome},
    outcome one of passed, failed, skipped."""
    report = Path(tree) / "tests" / "out" / "grade.xml"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.unlink(missing_ok=True)
    targets = [f"{chapter}/{n}" for n in node_ids] if node_ids else [chapter]
    subprocess.run([PYTHON, "-m", "pytest", f"--junitxml={report}", *(["-q"] if quiet else []), *targets],
                   cwd=Path(tree) / "tests",
                   stdout=subprocess.DEVNULL if quiet else None, stderr=subprocess.STDOUT if quiet else None)
    outcomes = {}
    if report.exists():
        for case in ET.parse(report).iter("testcase"):
            module = case.get("classname", "").split(".")
            if len(module) < 2 or module[0] != chapter:
                continue
            node = "/".join(module[1:]) + ".py::" + case.get("name")
            kinds = {child.tag for child in case}
            outcomes[node] = ("failed" if kinds & {"failure", "error"} else
                              "skipped" if "skipped" in kinds else "passed")
    return outcomes


def grade(names, tree=None):
    tree = Path(tree or TOP)
    info = json.loads((tree / "tools" / "labs.json").read_text())
    chapter, labs = info["chapter"], info["labs"]
    known = [lab["name"] for lab in labs]
    for name in names:
        if name not in known:
            raise LabError(f"no lab '{name}' in this tree (labs: {', '.join(known)})")
    chosen = [lab for lab in labs if not names or lab["name"] in names]
    only = sorted({t for lab in chosen for t in lab["grade"]}) if names else None
    outcomes = run_tests(tree, chapter, only)
    print(f"\n== {chapter}: lab scores ==")
    width = max(len(lab["name"]) for lab in chosen)
    done = True
    for lab in chosen:
        passed = [t for t in lab["grade"] if outcomes.get(t) == "passed"]
        done &= len(passed) == len(lab["grade"])
        print(f"{lab['name']:<{width}}  {len(passed)}/{len(lab['grade'])}"
              f"  {'done' if len(passed) == len(lab['grade']) else 'not yet'}")
        for t in lab["grade"]:
            print(f"    {outcomes.get(t, 'not run'):<8} {t}")
    if not names:
        failed = sorted(t for t, o in outcomes.items() if o == "failed")
        print(f"all {chapter} tests: {sum(o == 'passed' for o in outcomes.values())} passed, "
              f"{len(failed)} failed")
    return 0 if done else 1


def main(argv):
    parser = argparse.ArgumentParser(prog="lab.py", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("make", help="write a lab tree")
    p.add_argument("chapter")
    p.add_argument("labs", nargs="*")
    p.add_argument("--out")
    p = sub.add_parser("grade", help="inside a lab tree: run the tests and score each lab")
    p.add_argument("labs", nargs="*")
    p = sub.add_parser("list", help="the labs of every chapter, or of one")
    p.add_argument("chapter", nargs="?")
    args = parser.parse_args(argv)
    try:
        if args.command == "make":
            out = Path(args.out or TOP / f"lab-{args.chapter}")
            labs = make_lab(args.chapter, args.labs, out)
            print(f"lab: {out}: {args.chapter} with the labs {', '.join(lab['name'] for lab in labs)}")
            print(f"lab: read {out}/LAB.md; build with make -C {out}, grade with make -C {out} grade")
            return 0
        if args.command == "grade":
            return grade(args.labs)
        for chapter in [args.chapter] if args.chapter else chapters():
            if chapter not in chapters():
                raise LabError(f"no chapter '{chapter}' (chapters: {', '.join(chapters())})")
            for lab in describe(chapter, chapter_labs(chapter)):
                print(f"{chapter}  {lab['name']}: {', '.join(lab['files'])}")
        return 0
    except LabError as err:
        print(f"lab: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
