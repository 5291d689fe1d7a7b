"""cubos_code: show kernel code in the book by name, read from the sources at build time.

The book never pastes code. A page names a file and, usually, a symbol in it:

    ```{code-excerpt} ch01-boot/kernel/main.c
    :symbol: kmain
    ```

and this extension finds that symbol in the file when the book is built, so
the excerpt is always the code that is really there. If the file or the
symbol has gone (renamed, moved, misspelled), the build warns, and the book's
build treats warnings as errors: a stale page cannot be published silently.

What an excerpt contains:

- C (.c, .h): a function, a struct/union/enum, or a #define. The excerpt runs
  from the comment block directly above the definition to its matching
  closing brace (braces are counted outside comments and literals), or to the
  end of the #define (following backslash continuations). A function with no
  body in the file (a prototype in a header) runs from its comment to the
  ';', so a page can show the contract a header states. Write
  ":symbol: struct boot_info" to ask for the struct when a function shares
  the name.
- Assembly (.S, .s): a label. The excerpt runs from the comment block above
  the label to just before the next non-local label's block, or before a
  directive that changes section or code size (.section, .text, .data, .bss,
  .code32, .code64) and the comment directly above it. Directives standing
  between a comment and its label, whether they only describe the label
  (.global, .type, .balign) or pick its section (.text, .section, .code64),
  belong to the label's block, so the comment that states the routine's
  contract stays with it. Labels starting with '.' and numeric labels such
  as '1:' are local and do not end an excerpt. A #define can be named too.
- Without :symbol: but with the :file-comment: flag, the file's header
  comment (the comment the file opens with), for a file whose header states
  the contract of the code that follows it.
- Without :symbol:, the whole file (meant for small files such as a linker
  script or grub.cfg).

Lab markers (the LAB(name), LAB-STUB and END LAB comments tools/lab.py
reads) are dropped from excerpts: the book shows the solution as plain
code. An excerpt that lost marker lines is shown without line numbers
(they would no longer match the file); its caption still gives the range.

Paths are relative to the repository root, the parent of the book's source
folder (override with the config value cubos_code_root).
"""
import hashlib
import re
import sys
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
import lab  # noqa: E402  (tools/lab.py: the lab markers)

logger = logging.getLogger(__name__)

__version__ = "1.0"

_have_gas_lexer = False     # set by setup() once the lexer is registered


class ExcerptError(Exception):
    """The excerpt cannot be made; the message says why."""


# -- masking: blank out comments and literals, keep every offset ---------------

def _blank(chars, start, end):
    for i in range(start, end):
        if chars[i] != "\n":
            chars[i] = " "


def mask_source(text, char_literals):
    """Return text with comments and the insides of string (and, for C, character)
    literals replaced by spaces, so that searches and brace counts see only code.
    Newlines and offsets are kept, so a line number in the mask is a line number
    in the file."""
    chars = list(text)
    i, n = 0, len(text)
    while i < n:
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            _blank(chars, i, end)
            i = end
        elif text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            _blank(chars, i, end)
            i = end
        elif text[i] == '"' or (char_literals and text[i] == "'"):
            quote = text[i]
            j = i + 1
            while j < n and text[j] != quote and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            _blank(chars, i + 1, min(j, n))
            i = j + 1
        else:
            i += 1
    return "".join(chars)


def _line_of(text, offset):
    """0-based line number of a character offset."""
    return text.count("\n", 0, offset)


def _comment_block_above(lines, first):
    """Index of the first line of the comment block that ends on the line just
    above lines[first], or first if there is none. A block is a run of '//'
    lines, or a '/* ... */' comment that starts and ends on lines of its own."""
    i = first - 1
    if i < 0:
        return first
    stripped = lines[i].strip()
    if stripped.endswith("*/"):
        j = i
        while j >= 0 and "/*" not in lines[j]:
            j -= 1
        if j >= 0 and lines[j].strip().startswith("/*"):
            return j
        return first
    if stripped.startswith("//"):
        while i - 1 >= 0 and lines[i - 1].strip().startswith("//"):
            i -= 1
        return i
    return first


def _define_range(lines, name):
    """(first, last) 0-based lines of '#define name', or None."""
    pattern = re.compile(r"^\s*#\s*define\s+%s\b" % re.escape(name))
    found = [i for i, line in enumerate(lines) if pattern.match(line)]
    if not found:
        return None
    if len(found) > 1:
        raise ExcerptError(f"#define {name} appears {len(found)} times; cannot choose")
    first = last = found[0]
    while lines[last].rstrip().endswith("\\") and last + 1 < len(lines):
        last += 1
    return first, last


# -- C -------------------------------------------------------------------------

def _c_depths(masked):
    """Brace and parenthesis depth before each character of masked C text,
    with preprocessor lines ignored."""
    brace = [0] * (len(masked) + 1)
    paren = [0] * (len(masked) + 1)
    b = p = 0
    in_directive = False
    continued = False           # this line continues a directive (a "\" ended the last)
    at_line_start = True
    for i, c in enumerate(masked):
        brace[i], paren[i] = b, p
        if at_line_start and c not in " \t":
            in_directive = continued or c == "#"
            at_line_start = False
        if c == "\n":
            continued = in_directive and masked[i - 1:i] == "\\"
            if not continued:
                in_directive = False
            at_line_start = True
            continue
        if in_directive:
            continue
        if c == "{":
            b += 1
        elif c == "}":
            b -= 1
        elif c == "(":
            p += 1
        elif c == ")":
            p -= 1
    brace[len(masked)], paren[len(masked)] = b, p
    return brace, paren


def _in_directive(masked, offset):
    """True if offset lies on a preprocessor line (or its continuation lines)."""
    start = masked.rfind("\n", 0, offset) + 1
    while start > 1 and masked[start - 2] == "\\":
        start = masked.rfind("\n", 0, start - 1) + 1
    return masked[start:offset].lstrip().startswith("#")


def _matching_brace(masked, open_at):
    depth = 0
    for i in range(open_at, len(masked)):
        if masked[i] == "{":
            depth += 1
        elif masked[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    raise ExcerptError("no matching closing brace")


def _c_function_matches(masked, brace, paren, name, declarations=False):
    """(name offset, '{' offset) of each top-level definition of function name;
    with declarations=True, (name offset, ';' offset) of each prototype instead."""
    found = []
    for m in re.finditer(r"\b%s\s*\(" % re.escape(name), masked):
        if brace[m.start()] != 0 or paren[m.start()] != 0:
            continue
        if _in_directive(masked, m.start()):
            continue        # a macro body that calls the function
        # Skip the parameter list, then a definition has '{' before any ';'.
        depth, k = 0, m.end() - 1
        while k < len(masked):
            if masked[k] == "(":
                depth += 1
            elif masked[k] == ")":
                depth -= 1
                if depth == 0:
                    break
            k += 1
        brace_at = masked.find("{", k)
        semi_at = masked.find(";", k)
        is_definition = brace_at >= 0 and (semi_at < 0 or brace_at < semi_at)
        if is_definition and not declarations:
            found.append((m.start(), brace_at))
        elif not is_definition and declarations and semi_at >= 0:
            found.append((m.start(), semi_at))
    return found


def _c_aggregate_matches(masked, brace, kind, name):
    kinds = kind if kind else r"struct|union|enum"
    found = []
    for m in re.finditer(r"\b(?:%s)\s+%s\s*\{" % (kinds, re.escape(name)), masked):
        if brace[m.start()] == 0:
            found.append((m.start(), m.end() - 1))
    return found


def _c_declaration_start(lines, masked_lines, line):
    """Move up over lines that belong to the same declaration, such as a return
    type or an attribute written on the line above the name."""
    while line > 0:
        above = masked_lines[line - 1].strip()
        if not above or above.startswith("#") or above[-1] in ";{}":
            break
        line -= 1
    return line


def excerpt_c(text, symbol):
    lines = text.split("\n")
    masked = mask_source(text, char_literals=True)
    masked_lines = masked.split("\n")
    brace, paren = _c_depths(masked)

    kind, name = None, symbol
    m = re.fullmatch(r"(struct|union|enum)\s+(\w+)", symbol)
    if m:
        kind, name = m.group(1), m.group(2)
    elif not re.fullmatch(r"\w+", symbol):
        raise ExcerptError(f"'{symbol}' is not a C identifier")

    searches = []
    if kind is None:
        searches.append(("function", _c_function_matches(masked, brace, paren, name)))
    searches.append(("definition", _c_aggregate_matches(masked, brace, kind, name)))
    for what, found in searches:
        if len(found) > 1:
            raise ExcerptError(f"'{symbol}' has {len(found)} {what}s; cannot choose")
        if found:
            name_at, open_at = found[0]
            first = _c_declaration_start(lines, masked_lines, _line_of(text, name_at))
            last = _line_of(text, _matching_brace(masked, open_at))
            return _comment_block_above(lines, first), last

    if kind is None:
        span = _define_range(lines, name)
        if span:
            return _comment_block_above(lines, span[0]), span[1]
        # A header holds only the prototype, with the contract above it.
        found = _c_function_matches(masked, brace, paren, name, declarations=True)
        if len(found) > 1:
            raise ExcerptError(f"'{symbol}' is declared {len(found)} times; cannot choose")
        if found:
            name_at, semi_at = found[0]
            first = _c_declaration_start(lines, masked_lines, _line_of(text, name_at))
            return _comment_block_above(lines, first), _line_of(text, semi_at)
    raise ExcerptError(f"no definition of '{symbol}' found")


# -- assembly ------------------------------------------------------------------

_LABEL = re.compile(r"^\s*([A-Za-z_.$][\w.$]*|\d+)\s*:")
_ATTACHED = re.compile(r"^\s*\.(globl|global|type|size|balign|align|p2align|weak|hidden|local)\b")
_REGION_END = re.compile(r"^\s*\.(section|text|data|bss|code16|code32|code64|previous|pushsection|popsection)\b")


def _asm_label(masked_line):
    if masked_line.lstrip().startswith("#"):
        return None
    m = _LABEL.match(masked_line)
    return m.group(1) if m else None


def _asm_is_local(label):
    return label.startswith(".") or label.isdigit()


def _asm_is_directive(masked_line):
    return bool(_ATTACHED.match(masked_line) or _REGION_END.match(masked_line))


def _asm_block_start(lines, masked_lines, line):
    """First line of the block that leads up to lines[line] (a label, or a
    directive that starts a new region): the comment block directly above,
    then any directives between that comment and the line, whether they
    describe the label (.global, .balign) or choose its section (.text,
    .section, .code64)."""
    first = line
    while first > 0 and _asm_is_directive(masked_lines[first - 1]):
        first -= 1
    return _comment_block_above(lines, first)


def excerpt_asm(text, symbol):
    lines = text.split("\n")
    masked_lines = mask_source(text, char_literals=False).split("\n")
    labels = [(i, _asm_label(ml)) for i, ml in enumerate(masked_lines)]
    labels = [(i, name) for i, name in labels if name]

    found = [i for i, name in labels if name == symbol]
    if len(found) > 1:
        raise ExcerptError(f"label '{symbol}' is defined {len(found)} times")
    if not found:
        span = _define_range(lines, symbol)
        if span:
            return _comment_block_above(lines, span[0]), span[1]
        raise ExcerptError(f"no label '{symbol}' found")

    label_line = found[0]
    first = _asm_block_start(lines, masked_lines, label_line)
    last = len(lines) - 1
    for i in range(label_line + 1, len(lines)):
        name = _asm_label(masked_lines[i])
        if name and not _asm_is_local(name):
            last = _asm_block_start(lines, masked_lines, i) - 1
            break
        if _REGION_END.match(masked_lines[i]):
            last = _asm_block_start(lines, masked_lines, i) - 1
            break
    while last > label_line and not lines[last].strip():
        last -= 1
    return first, last


# -- the directive -------------------------------------------------------------

def language_for(path):
    suffix = path.suffix
    if suffix in (".c", ".h"):
        return "c"
    if suffix in (".S", ".s"):
        return "cubos-gas" if _have_gas_lexer else "text"
    if path.name == "Makefile" or suffix == ".mk":
        return "make"
    if suffix == ".py":
        return "python"
    if suffix == ".sh":
        return "bash"
    return "text"       # linker scripts, grub.cfg, anything else


def file_comment_range(text):
    """(first, last) 0-based lines of the comment a file opens with."""
    lines = text.split("\n")
    first = 0
    while first < len(lines) and not lines[first].strip():
        first += 1
    if first == len(lines) or not lines[first].lstrip().startswith(("/*", "//")):
        raise ExcerptError("the file does not open with a comment")
    last = first
    if lines[first].lstrip().startswith("/*"):
        while last < len(lines) and "*/" not in lines[last]:
            last += 1
        if last == len(lines):
            raise ExcerptError("the file's opening comment is not closed")
    else:
        while last + 1 < len(lines) and lines[last + 1].lstrip().startswith("//"):
            last += 1
    return first, last


def make_excerpt(path, symbol, file_comment=False):
    """(first line number, last line number, text, whether lab markers were
    dropped) of the excerpt; raises ExcerptError."""
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    if file_comment:
        if symbol is not None:
            raise ExcerptError("':file-comment:' and ':symbol:' do not go together")
        first, last = file_comment_range(text)
    elif symbol is None:
        first, last = 0, len(text.rstrip("\n").split("\n")) - 1
    elif path.suffix in (".c", ".h"):
        first, last = excerpt_c(text, symbol)
    elif path.suffix in (".S", ".s"):
        first, last = excerpt_asm(text, symbol)
    else:
        raise ExcerptError(f"':symbol:' is supported only in C and assembly files, not {path.name}")
    try:
        hidden = lab.marker_lines(text) if path.suffix in lab.SOURCE_SUFFIXES else set()
    except lab.LabError as err:
        raise ExcerptError(str(err))
    kept = [lines[i] for i in range(first, last + 1) if i not in hidden]
    return first + 1, last + 1, "\n".join(kept), len(kept) < last + 1 - first


class CodeExcerpt(SphinxDirective):
    """```{code-excerpt} <path from the repository root>
    :symbol: <function, struct, #define or label>   (omit for the whole file)
    :file-comment:   (instead of :symbol:: only the comment the file opens with)
    ```"""

    required_arguments = 1
    optional_arguments = 0
    final_argument_whitespace = False
    has_content = False
    option_spec = {
        "symbol": directives.unchanged_required,
        "file-comment": directives.flag,
    }

    def run(self):
        rel = self.arguments[0]
        symbol = self.options.get("symbol")
        root = Path(self.config.cubos_code_root or Path(self.env.srcdir).parent).resolve()
        path = (root / rel).resolve()
        what = f"{rel}: {symbol}" if symbol else rel

        if root not in path.parents or not path.is_file():
            logger.warning("code-excerpt: no file %s (paths are relative to %s)", rel, root,
                           location=(self.env.docname, self.lineno))
            return []
        self.env.note_dependency(str(path))
        try:
            start, end, code, unmarked = make_excerpt(path, symbol, "file-comment" in self.options)
        except ExcerptError as err:
            logger.warning("code-excerpt %s: %s", what, err,
                           location=(self.env.docname, self.lineno))
            return []

        literal = nodes.literal_block(code, code)
        literal["language"] = language_for(path)
        literal["linenos"] = not unmarked
        literal["highlight_args"] = {"linenostart": start}
        self.set_source_info(literal)

        caption = nodes.caption(what, "", nodes.literal(rel, rel))
        lines = f"lines {start}\u2013{end}"
        if self.config.cubos_source_pages:
            # Links to the file's own page (cubos_sources.py), at the lines.
            up = "../" * self.env.docname.count("/")
            page = f"{up}src/{rel}.html"
            lines = nodes.reference(lines, lines, refuri=f"{page}#L-{start}",
                                    classes=["cubos-lines"])
        else:
            lines = nodes.Text(lines)
        if symbol:
            caption += nodes.Text(": ")
            caption += nodes.literal(symbol, symbol)
            caption += nodes.Text(", ")
            caption += lines
        elif "file-comment" in self.options:
            caption += nodes.Text(": header comment, ")
            caption += lines
        if self.config.cubos_source_pages:
            caption += nodes.Text(" \u00b7 ")
            caption += nodes.reference("whole file", "whole file", refuri=page,
                                       classes=["cubos-whole-file"])
        caption.source, caption.line = literal.source, literal.line
        container = nodes.container("", literal_block=True, classes=["literal-block-wrapper"])
        container += caption
        container += literal
        return [container]


def _gas_lexer():
    """GAS as cubos writes it: the C preprocessor's #include and #define,
    expressions with | and +, and numeric local labels ('1:'), which Pygments'
    own GAS lexer reports as errors."""
    from pygments.lexer import bygroups, inherit
    from pygments.lexers.asm import GasLexer
    from pygments.token import Comment, Name, Operator, Punctuation, Text

    class CubosGasLexer(GasLexer):
        name = "GAS with cpp (cubos)"
        aliases = ["cubos-gas"]
        filenames = []
        tokens = {
            "root": [
                (r"(\s*)(#\s*\w+)(.*?)$", bygroups(Text, Comment.Preproc, Comment.Preproc)),
                (r"(\d+)(:)", bygroups(Name.Label, Punctuation)),
                inherit,
            ],
            "instruction-args": [(r"[|+&^~]|<<|>>", Operator), inherit],
            "directive-args": [(r"[|+&^~]|<<|>>", Operator), inherit],
        }

    return CubosGasLexer


def setup(app):
    app.add_config_value("cubos_code_root", None, "env")
    # Captions link to the pages cubos_sources.py makes; off without it.
    app.add_config_value("cubos_source_pages", False, "env")
    app.add_directive("code-excerpt", CodeExcerpt)
    global _have_gas_lexer
    try:
        app.add_lexer("cubos-gas", _gas_lexer())
        _have_gas_lexer = True
    except ImportError:
        _have_gas_lexer = False
    # Any edit to this file changes env_version, so Sphinx re-reads every page
    # instead of keeping excerpts made by the old code.
    env_version = int(hashlib.sha1(Path(__file__).read_bytes()).hexdigest()[:8], 16)
    return {
        "version": __version__,
        "env_version": env_version,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
