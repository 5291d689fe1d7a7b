"""The book's code-excerpt extension (book/_ext/cubos_code.py), tested on the
host: what it cuts out of a small sample, and that the contracts of the
kernel's assembly routines come with their excerpts."""
import sys

import pytest

from harness import TOP

sys.path.insert(0, str(TOP / "book" / "_ext"))
import cubos_code  # noqa: E402


SAMPLE = """\
/*
 * sample.S: a file header.
 */
#define TWO 2

/* int first(void): returns 1. */
    .text
    .global first
first:
    movl $1, %eax
    ret

/*
 * second: the second routine; its comment sits above a .section line.
 */
    .section .text.other, "ax"
    .code64
    .balign 16
    .global second
second:
1:  jmp 1b

/* data: not code. */
    .section .rodata
data:
    .quad 0x00AF9B000000FFFF
"""


def excerpt(text, symbol):
    first, last = cubos_code.excerpt_asm(text, symbol)
    return text.split("\n")[first:last + 1]


def test_comment_above_a_section_directive_stays_with_its_label():
    lines = excerpt(SAMPLE, "first")
    assert lines[0] == "/* int first(void): returns 1. */", lines
    assert lines[-1] == "    ret", lines
    lines = excerpt(SAMPLE, "second")
    assert lines[0] == "/*" and "second: the second routine" in lines[1], lines
    assert '    .section .text.other, "ax"' in lines and "    .code64" in lines, lines
    assert lines[-1] == "1:  jmp 1b", lines


def test_an_excerpt_stops_before_the_next_blocks_comment():
    """The comment of the next block belongs to that block, not to the end
    of this one, whether a label or a .section line comes first."""
    assert not any("second" in line for line in excerpt(SAMPLE, "first"))
    assert not any("data: not code" in line for line in excerpt(SAMPLE, "second"))


def test_file_comment():
    first, last = cubos_code.file_comment_range(SAMPLE)
    assert SAMPLE.split("\n")[first:last + 1] == ["/*", " * sample.S: a file header.", " */"]
    with pytest.raises(cubos_code.ExcerptError):
        cubos_code.file_comment_range("    .text\nx:\n")


# (file, label, a line of the contract the excerpt must contain)
CONTRACTS = [
    ("ch03-interrupts/trap/recover.S", "recover_save",
     "int recover_save(struct recover_point *p)"),
    ("ch03-interrupts/trap/vectors.S", "trap_common", "trap_common: push the general registers"),
    ("ch04-threads/trap/recover.S", "recover_save",
     "int recover_save(struct recover_point *p)"),
    ("ch04-threads/sched/switch.S", "context_switch",
     "void context_switch(uint64_t *save_rsp, uint64_t load_rsp)"),
    ("ch04-threads/sched/switch.S", "thread_start", "thread_start: where a new thread's first"),
    ("ch01-boot/boot/entry.S", "_start", "void _start(void): the ELF entry point"),
]


@pytest.mark.parametrize("path,label,contract", CONTRACTS,
                         ids=[f"{p}:{label}" for p, label, _ in CONTRACTS])
def test_real_assembly_excerpts_keep_their_contract(path, label, contract):
    source = TOP / path
    if not source.exists():
        pytest.skip(f"{path} is not in this tree")
    start, end, code, unmarked = cubos_code.make_excerpt(source, label)
    assert contract in code, f"the excerpt of {label} in {path} lost its contract:\n{code}"
    assert f"{label}:" in code


def test_vectors_file_comment_states_the_stub_contract():
    start, end, code, unmarked = cubos_code.make_excerpt(TOP / "ch03-interrupts/trap/vectors.S", None,
                                                         file_comment=True)
    assert start == 1 and code.startswith("/*") and code.endswith("*/")
    assert "vectors.S:" in code and "trap_stubs + 16 * n" in code


@pytest.mark.parametrize("path,symbol,code_line", [
    ("ch04-threads/sched/switch.S", "context_switch", "    movq %rsp, (%rdi)"),
    ("ch01-boot/lib/format.c", "utoa", "        *--p = digits[value % base];"),
    ("ch04-threads/sched/sync.c", "mutex_lock", "    m->owner = me;"),
])
def test_lab_markers_are_hidden_and_the_solution_shown(path, symbol, code_line):
    """The book shows a lab's solution as plain code, without its markers,
    and without line numbers that would no longer match the file."""
    text = (TOP / path).read_text()
    start, end, code, unmarked = cubos_code.make_excerpt(TOP / path, symbol)
    assert "LAB(" in "\n".join(text.split("\n")[start - 1:end])
    assert unmarked and code_line in code.split("\n")
    assert "LAB" not in code, code


def test_excerpt_without_markers_keeps_its_line_numbers():
    start, end, code, unmarked = cubos_code.make_excerpt(TOP / "ch04-threads/sched/switch.S", "thread_start")
    assert not unmarked and code.count("\n") == end - start


C_SAMPLE = """\
#define MASK (A | B | \\
              C)

/* after(): found although the #define above splits a parenthesis over two lines. */
static int after(void)
{
    return 1;
}
"""


def test_a_define_continued_over_lines_keeps_the_code_after_it_findable():
    """A #define whose parenthesis closes on its continuation line must not
    throw the bracket count off for the rest of the file."""
    first, last = cubos_code.excerpt_c(C_SAMPLE, "after")
    lines = C_SAMPLE.split("\n")[first:last + 1]
    assert lines[0].startswith("/* after()") and lines[-1] == "}", lines
