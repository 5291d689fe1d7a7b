"""conftest.py: pytest set-up for the cubos grader.

Tests live in tests/<chapter>/; each chapter is built once per run, before
its first test, with the chapter's own Makefile.
"""
import subprocess

import pytest

from harness import TOP


_built = set()


def build_chapter(chapter):
    if chapter not in _built:
        print(f"\n== {chapter}: building ==", flush=True)
        subprocess.run(["make", "-s", "-C", str(TOP / chapter), "all"], check=True)
        _built.add(chapter)


@pytest.fixture
def chapter(request):
    """The chapter under test: the name of the test file's folder, built."""
    name = request.path.parent.name
    if not (TOP / name / "Makefile").exists():
        pytest.fail(f"tests/{name} has no chapter {name}/ to test")
    build_chapter(name)
    return name
