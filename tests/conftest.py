"""conftest.py: pytest set-up for the cubos grader.

Tests live in tests/<chapter>/; each chapter is built once per run, before
its first test, with the chapter's own Makefile.

`make test` runs the tests in parallel with pytest-xdist (--dist
loadgroup): each test goes to whichever worker is free, except the groups
below, whose tests share files and so run one after another on one worker.
"""
import os

import pytest

from harness import TOP, Machine, make

# `make run` from ch07 on forwards the host's ports 8080 and 2323 to the
# kernel's web server and remote shell; the tests' make runs forward none
# (a test that wants one says which), so they neither need those ports
# free nor fight over them.
os.environ["HTTP_PORT"] = ""
os.environ["SHELL_PORT"] = ""

def xdist_group(path):
    """The group of the tests in path that share files: the book's build
    folder; a chapter's build/qemu.pid, build/console.sock and
    build/debug-serial.log (make debug, make console, make run)."""
    if path.name.startswith("test_book"):
        return "book"
    if path.name in ("test_debug.py", "test_make.py"):
        return f"make-{path.parent.name}"
    return None


@pytest.hookimpl(tryfirst=True)     # before xdist's own hook reads the marks
def pytest_collection_modifyitems(items):
    for item in items:
        group = xdist_group(item.path)
        if group:
            item.add_marker(pytest.mark.xdist_group(group))


_built = set()


def build_chapter(chapter):
    if chapter not in _built:
        print(f"\n== {chapter}: building ==", flush=True)
        make("-C", TOP / chapter, "all", check=True)
        _built.add(chapter)


@pytest.fixture
def chapter(request):
    """The chapter under test: the name of the test file's folder, built."""
    name = request.path.parent.name
    if not (TOP / name / "Makefile").exists():
        pytest.fail(f"tests/{name} has no chapter {name}/ to test")
    build_chapter(name)
    return name


@pytest.fixture(autouse=True)
def no_machine_left_running():
    """After each test, whatever happened in it, no QEMU of it runs on."""
    yield
    Machine.stop_all()
