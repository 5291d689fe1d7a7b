"""cubos_prose: keep the numbers and transcripts in the book's prose honest.

Two things a page says can drift from the kernel without any excerpt
breaking: a number the text quotes from the code ("a slice is two ticks"),
and a transcript of what a run prints. This extension handles both.

Numbers from the code: the roles code-value (shown as code) and
code-number (shown as plain text).

    {code-value}`ch01-boot/boot/entry.S:gdt64[1]`
    {code-number}`2 = ch04-threads/include/thread.h:SCHED_SLICE_TICKS`
    {code-value}`0x9B = ch01-boot/boot/entry.S:gdt64[1] >> 40 & 0xff`

A reference path:NAME names a #define in a C header, C file or assembly
file, or, with [i], the i-th value of the data directives (.quad, .long,
.short, .word, .byte) after the assembly label NAME. Without "=", the role
shows the value: the token as the source writes it for a lone reference,
the result in decimal for an expression. With "DISPLAY = EXPRESSION", the
page states the value (so the words around it can depend on it: "two
ticks or 20 ms") and the build checks that the expression, evaluated from
the code, equals it; DISPLAY may be a number (0x9B, 20, 16,384) or an
English number word up to twenty. Expressions are integer arithmetic:
+ - * / // % << >> & | ~ and parentheses. A reference that cannot be
found, or a value that differs, is a warning, and the book's -W build
fails naming the page, the line and both values.

Transcripts: the expected-output directive shows a console transcript and
says which real run it is checked against at `make test`
(tests/test_book_prose.py boots the run and compares; this extension only
validates the options and renders the block):

    ```{expected-output}
    ---
    run: ch02-paging          # the chapter whose ISO is booted (required)
    options: exit=qemu selftest   # kernel options via SMBIOS; "" = none (an empty OEM string, as `make run`)
    memory: 128M              # default 128M
    firmware: bios            # bios (default) or uefi
    smp: 2                    # CPUs (QEMU -smp); default: tests/harness.py's
                              # (1 before ch04, 2 from ch04 on)
    type: |                   # lines typed at each shell prompt, in order
      help
      halt
    until: 'halting the CPU'  # end the run when this regex appears
                              # (otherwise: wait for QEMU to exit with PASS)
    gdb: |                    # a gdb session: QEMU starts halted, gdb runs these
      hbreak kernel_finish    # first, then each "(gdb) ..." line of the block;
      continue                # the block is compared with gdb's output
    vary: |                   # regexes, one a line: what differs from run to run
      \\d+ ms                 # (replaced by ... on both sides before comparing)
    any-order: '^worker '     # neighbouring lines matching this may come in any order
    annotated: true           # a block line may add a note after two spaces
    serial: true              # with gdb: compare the serial output instead
                              # (gdb only steers the run), up to 'until'
    ---
    cubos ch02-paging: hello from 64-bit long mode
    ...
    ```

A line "..." in the block stands for any number of lines; each run of lines
between two "..." must appear, in order and contiguous, in the real output.
"""
import ast
import re
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective, SphinxRole

logger = logging.getLogger(__name__)

__version__ = "1.0"


class ValueError_(Exception):
    """A code value cannot be read or does not match; the message says why."""


# -- reading constants from the sources ----------------------------------------

_C_INT = re.compile(r"^(0[xX][0-9a-fA-F]+|\d+)[uUlL]*$")
_DATA = re.compile(r"^\s*\.(quad|long|int|short|word|hword|byte|2byte|4byte|8byte)\b(.*)$")
_ASM_LABEL = re.compile(r"^\s*([A-Za-z_.$][\w.$]*)\s*:")


def _strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//.*", "", text)


def _define_text(lines, name):
    pattern = re.compile(r"^\s*#\s*define\s+%s(?![\w(])(.*)$" % re.escape(name))
    found = [m.group(1) for m in map(pattern.match, lines) if m]
    if not found:
        return None
    if len(found) > 1:
        raise ValueError_(f"#define {name} appears {len(found)} times")
    return _strip_comments(found[0]).strip()


def _data_values(lines, label):
    """The operands of the data directives after an assembly label."""
    starts = [i for i, line in enumerate(lines)
              if (m := _ASM_LABEL.match(line)) and m.group(1) == label]
    if len(starts) != 1:
        return None
    values = []
    for line in lines[starts[0] + 1:]:
        line = _strip_comments(line)
        m = _ASM_LABEL.match(line)
        if m and not m.group(1).isdigit():
            break
        d = _DATA.match(line)
        if d:
            values += [v.strip() for v in d.group(2).split(",") if v.strip()]
        elif line.strip() and not line.strip().startswith("."):
            break       # an instruction: the data is over
    return values


def source_token(root, path, name, index=None):
    """The text of a constant as the source writes it."""
    file = (Path(root) / path).resolve()
    if not file.is_file():
        raise ValueError_(f"no file {path}")
    lines = file.read_text(encoding="utf-8").split("\n")
    if index is None:
        text = _define_text(lines, name)
        if text is None:
            raise ValueError_(f"no '#define {name}' in {path}")
        return text
    values = _data_values(lines, name)
    if values is None:
        raise ValueError_(f"no label '{name}:' in {path}")
    if index >= len(values):
        raise ValueError_(f"'{name}' in {path} has {len(values)} data values, no [{index}]")
    return values[index]


_REF = re.compile(r"([\w./-]+\.(?:[chS]|s)):(\w+)(?:\[(\d+)\])?")


def _integer(text, root, path, depth=0):
    """The integer a constant's text stands for; names defined in the same
    file are followed, up to a few levels."""
    text = text.strip()
    m = _C_INT.match(text)
    if m:
        return int(m.group(1), 0)
    if depth > 8:
        raise ValueError_(f"'{text}' nests too deep")

    def name_value(name):
        return _integer(source_token(root, path, name), root, path, depth + 1)

    cleaned = re.sub(r"\b(0[xX][0-9a-fA-F]+|\d+)[uUlL]+\b", r"\1", text)
    cleaned = re.sub(r"\(\s*u?int\d+_t\s*\)", "", cleaned)
    return _eval(cleaned, name_value)


_BINOPS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
           ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b,
           ast.FloorDiv: lambda a, b: a // b, ast.Mod: lambda a, b: a % b,
           ast.LShift: lambda a, b: a << b, ast.RShift: lambda a, b: a >> b,
           ast.BitAnd: lambda a, b: a & b, ast.BitOr: lambda a, b: a | b,
           ast.BitXor: lambda a, b: a ^ b}


def _eval(expr, name_value):
    try:
        tree = ast.parse(expr.replace("~", " ~"), mode="eval")
    except SyntaxError:
        raise ValueError_(f"cannot read '{expr}' as an integer expression")

    def walk(node):
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.Name):
            return name_value(node.id)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            return _BINOPS[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Invert, ast.UAdd)):
            v = walk(node.operand)
            return -v if isinstance(node.op, ast.USub) else (~v if isinstance(node.op, ast.Invert) else v)
        raise ValueError_(f"'{expr}': only integer arithmetic is allowed")
    return walk(tree)


def evaluate(expr, root):
    """(value, files read, source token if expr is one lone reference)."""
    refs = {}
    files = set()

    def replace(m):
        path, name, index = m.group(1), m.group(2), m.group(3)
        token = source_token(root, path, name, None if index is None else int(index))
        files.add(str((Path(root) / path).resolve()))
        key = f"__ref{len(refs)}"
        refs[key] = (token, _integer(token, root, path))
        return key

    substituted = _REF.sub(replace, expr)
    if not refs:
        raise ValueError_(f"'{expr}' names nothing in the code (write path:NAME)")
    value = _eval(substituted, lambda name: refs[name][1] if name in refs else _unknown(name))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    lone = refs["__ref0"][0] if substituted.strip() == "__ref0" else None
    return value, files, lone


def _unknown(name):
    raise ValueError_(f"unknown name '{name}' (write path:NAME)")


_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen twenty".split())}


def parse_display(text):
    t = text.strip().lower().replace(",", "").replace("\u202f", "").replace(" ", "")
    if t in _WORDS:
        return _WORDS[t]
    try:
        return int(t, 0)
    except ValueError:
        try:
            return float(t)
        except ValueError:
            raise ValueError_(f"'{text}' is not a number")


def resolve(text, root):
    """(display text, files read) for a role's text; raises ValueError_."""
    if "=" in text and not re.search(r"[<>!=]=", text):
        display, expr = (part.strip() for part in text.split("=", 1))
        value, files, _ = evaluate(expr, root)
        stated = parse_display(display)
        if stated != value:
            shown = f"{value:#x}" if display.lower().startswith("0x") and isinstance(value, int) \
                else str(value)
            raise ValueError_(f"the page says {display}, but {expr} is {shown} in the code")
        return display, files
    value, files, lone = evaluate(text, root)
    return (lone if lone is not None else str(value)), files


class CodeValue(SphinxRole):
    """{code-value}`...` as code, {code-number}`...` as plain text."""

    def __init__(self, literal):
        super().__init__()
        self.literal = literal

    def run(self):
        root = Path(self.config.cubos_code_root or Path(self.env.srcdir).parent).resolve()
        try:
            display, files = resolve(self.text, root)
        except ValueError_ as err:
            logger.warning("%s `%s`: %s", self.name, self.text, err, location=self.get_location())
            return [nodes.literal(self.text, self.text)], []
        for f in files:
            self.env.note_dependency(f)
        node = nodes.literal(display, display) if self.literal else nodes.Text(display)
        return [node], []


# -- transcripts checked against a run -----------------------------------------

FIRMWARES = ("bios", "uefi")


def _regex_lines(value):
    lines = [line for line in (value or "").split("\n") if line.strip()]
    for line in lines:
        re.compile(line)
    return "\n".join(lines)


def _regex(value):
    re.compile(value)
    return value


def _firmware(value):
    return directives.choice(value, FIRMWARES)


class ExpectedOutput(SphinxDirective):
    """A console transcript that tests/test_book_prose.py compares with a
    real run (see the module's docstring for the options)."""

    has_content = True
    option_spec = {
        "run": directives.unchanged_required,
        "options": directives.unchanged,
        "memory": directives.unchanged_required,
        "firmware": _firmware,
        "smp": directives.positive_int,
        "type": directives.unchanged,
        "until": _regex,
        "gdb": directives.unchanged,
        "vary": _regex_lines,
        "any-order": _regex,
        "annotated": directives.flag,
        "serial": directives.flag,
    }

    def run(self):
        chapter = self.options.get("run")
        root = Path(self.config.cubos_code_root or Path(self.env.srcdir).parent).resolve()
        if not chapter or not (root / chapter / "Makefile").is_file():
            logger.warning("expected-output: ':run:' must name a chapter folder, not %r", chapter,
                           location=(self.env.docname, self.lineno))
        if "gdb" in self.options and "type" in self.options:
            logger.warning("expected-output: a gdb session cannot also type at the shell",
                           location=(self.env.docname, self.lineno))
        code = "\n".join(self.content)
        literal = nodes.literal_block(code, code, classes=["expected-output"])
        literal["language"] = "text"
        self.set_source_info(literal)
        return [literal]


def setup(app):
    app.add_role("code-value", CodeValue(literal=True))
    app.add_role("code-number", CodeValue(literal=False))
    app.add_directive("expected-output", ExpectedOutput)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
