"""cubos_diff: show what one chapter adds to the one before, as a file tree.

Each cubos chapter starts as a copy of the previous one, so the best map of a
chapter is the list of files it adds and changes. A page asks for it with

    ```{chapter-diff} ch01-boot ch02-paging
    ```

and this extension compares the two folders when the book is built and draws
the later folder's tree, the way rCore-Tutorial opens its chapters:

    ch02-paging/
    ├── kernel.ld          ~ where each part of the kernel lives in memory
    ├── mm/                +
    │   ├── frame.c        + the physical frame allocator, ...

Marks: '+' added, '~' changed, '-' removed (a file of the earlier folder that
the later one lacks, drawn where it used to be), no mark: unchanged. The
caption gives the counts. Beside each file stands the first sentence of its
header comment, when that comment starts with the file's own name and a
colon ("frame.c: the physical frame allocator ..."), as cubos files do.

Options:
  :collapse-unchanged: auto (the default), always or never. Collapsing draws
      the unchanged files of a folder as one entry that names them, and an
      unchanged folder as one line. "auto" collapses only when the full tree
      would be longer than AUTO_COLLAPSE_LINES lines.

The folders are paths relative to the repository root (cubos_code_root, as
for code-excerpt). A 'build' folder at the top of either and every entry
whose name starts with '.' are ignored. Every file of both folders becomes a
dependency of the page, and a file added to or removed from either folder
makes Sphinx read the page again (see _outdated). A missing folder is a
warning, so the book's -W build fails.
"""
import hashlib
import os
import re
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

__version__ = "1.0"

IGNORED_TOP = {"build"}           # build output at the top of a chapter
IGNORED_ANYWHERE = {"__pycache__"}
AUTO_COLLAPSE_LINES = 40
LINE_WIDTH = 88                   # descriptions are cut to keep lines this short
HEADER_LINES = 6                  # where a file's header comment is looked for

ADDED, CHANGED, REMOVED, UNCHANGED = "+", "~", "-", " "


class Missing(Exception):
    """A folder to compare does not exist."""


# -- reading the folders -------------------------------------------------------

def list_files(folder):
    """Sorted relative POSIX paths of the files under folder, minus the ignored ones."""
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        rel_dir = Path(dirpath).relative_to(folder)
        at_top = rel_dir == Path(".")
        dirnames[:] = sorted(d for d in dirnames
                             if not d.startswith(".") and d not in IGNORED_ANYWHERE
                             and not (at_top and d in IGNORED_TOP))
        for name in filenames:
            if not name.startswith("."):
                found.append((rel_dir / name).as_posix())
    return sorted(found)


def compare(old, new):
    """{relative path: mark} for every file of the two folders."""
    old_files, new_files = set(list_files(old)), set(list_files(new))
    marks = {}
    for rel in old_files | new_files:
        if rel not in old_files:
            marks[rel] = ADDED
        elif rel not in new_files:
            marks[rel] = REMOVED
        elif (old / rel).read_bytes() != (new / rel).read_bytes():
            marks[rel] = CHANGED
        else:
            marks[rel] = UNCHANGED
    return marks


_COMMENT_LEAD = re.compile(r"^\s*(?:/\*+|\*|//|#|;)\s?")


def describe(path, width):
    """The first sentence of path's header comment if its first line names the
    file before a colon, cut to at most width characters; else ''."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            head = [next(f, "") for _ in range(HEADER_LINES)]
    except OSError:
        return ""
    text = ""
    for line in head:
        if not _COMMENT_LEAD.match(line) or line.strip() in ("/*", "*/", "*"):
            if text:
                break
            continue
        piece = _COMMENT_LEAD.sub("", line, count=1).rstrip()
        piece = piece.removesuffix("*/").strip()
        if not text:
            # "name: what it is", or "name for whom: what it does" (a Makefile)
            if not (piece.startswith(path.name + ":") or
                    (piece.startswith(path.name + " ") and ": " in piece)):
                return ""
            piece = piece.split(":", 1)[1].strip()
        text = f"{text} {piece}".strip()
        end = re.search(r"\.(\s|$)", text)
        if end:
            text = text[:end.start()]
            break
    return shorten(text, width)


def shorten(text, width):
    """text if it fits in width; else its longest leading clause that fits
    (cut before a comma, semicolon, colon or parenthesis, never inside
    parentheses); else as many words as fit, and '...'."""
    if len(text) <= width:
        return text
    cuts, depth = [], 0
    for i, c in enumerate(text[:width + 1]):
        if c in ",;:" and depth == 0:
            cuts.append(i)
        elif c == "(":
            if depth == 0 and i > 0:
                cuts.append(i)
            depth += 1
        elif c == ")":
            depth -= 1
    cuts = [i for i in cuts if len(text[:i].rstrip()) >= width // 3]
    if cuts:
        return text[:cuts[-1]].rstrip()
    words = text[:width - 3].rsplit(" ", 1)[0]
    return words.rstrip(",;: ") + "..."


# -- the tree ------------------------------------------------------------------

class Folder:
    def __init__(self):
        self.files = {}         # name -> mark
        self.folders = {}       # name -> Folder

    def add(self, parts, mark):
        if len(parts) == 1:
            self.files[parts[0]] = mark
        else:
            self.folders.setdefault(parts[0], Folder()).add(parts[1:], mark)

    def marks(self):
        yield from self.files.values()
        for sub in self.folders.values():
            yield from sub.marks()

    def mark(self):
        """A folder's own mark: + if all its files are new, - if all are gone,
        blank if none changed, ~ otherwise."""
        found = set(self.marks())
        if len(found) == 1:
            return found.pop()
        return CHANGED if found else UNCHANGED


def _wrap_names(names, width):
    """The names joined by spaces in lines of at most width (one name may overrun)."""
    lines, line = [], ""
    for name in names:
        if line and len(line) + 1 + len(name) > width:
            lines.append(line)
            line = name
        else:
            line = f"{line} {name}" if line else name
    lines.append(line)
    return lines


def draw(folder, base="", path=()):
    """Rows of folder's contents, files first, then subfolders, each sorted by
    name. A row is (tree text, mark, relative path of the file or None, note);
    mark None means a collapsed entry, which has no mark column."""
    return _draw(folder, base, path, collapse=False)


def draw_collapsed(folder, base="", path=()):
    """Like draw, but unchanged files are named together in one entry per
    folder, and an unchanged folder is one line."""
    return _draw(folder, base, path, collapse=True)


def _draw(folder, base, path, collapse):
    entries = []
    unchanged = sorted(n for n, m in folder.files.items() if m == UNCHANGED)
    collapse_files = collapse and len(unchanged) > 1
    for name in sorted(folder.files):
        if not (collapse_files and folder.files[name] == UNCHANGED):
            entries.append(("file", name))
    if collapse_files:
        entries.append(("unchanged", unchanged))
    for name in sorted(folder.folders):
        entries.append(("folder", name))

    rows = []
    for i, (kind, what) in enumerate(entries):
        last = i == len(entries) - 1
        branch = "└── " if last else "├── "
        indent = "    " if last else "│   "
        if kind == "file":
            rows.append((base + branch + what, folder.files[what], "/".join(path + (what,)), ""))
        elif kind == "unchanged":
            head = f"{len(what)} unchanged: "
            width = max(LINE_WIDTH - len(base) - len(branch) - len(head), 20)
            for j, line in enumerate(_wrap_names(what, width)):
                lead = base + branch + head if j == 0 else base + indent + " " * len(head)
                rows.append((lead + line, None, None, ""))
        else:
            sub = folder.folders[what]
            mark = sub.mark()
            if collapse and mark == UNCHANGED:
                n = sum(1 for _ in sub.marks())
                rows.append((f"{base}{branch}{what}/", None, None,
                             f"{n} file{'s' * (n != 1)}, unchanged"))
                continue
            # A folder shows + or - when all of it is new or gone; one that
            # merely holds changes shows no mark of its own.
            rows.append((base + branch + what + "/", mark if mark in (ADDED, REMOVED) else UNCHANGED,
                         None, ""))
            rows.extend(_draw(sub, base + indent, path + (what,), collapse))
    return rows


def render(title, rows, describe_file):
    """The tree as text: names padded to one column, then the mark and the
    file's description (describe_file(rel, mark, width))."""
    column = max([len(title)] + [len(text) for text, mark, _, _ in rows if mark is not None]) + 2
    width = LINE_WIDTH - column - 2
    out = [title]
    for text, mark, rel, note in rows:
        if mark is None:
            out.append(f"{text}  ({note})" if note else text)
        else:
            desc = describe_file(rel, mark, width) if rel else ""
            out.append(f"{text.ljust(column)}{mark} {desc}".rstrip())
    return "\n".join(out)


# -- the directive -------------------------------------------------------------

def _folder(root, rel):
    path = (root / rel).resolve()
    if (root not in path.parents and path != root) or not path.is_dir():
        raise Missing(rel)
    return path


def _signature(root, old_rel, new_rel):
    """What the folders hold, by name: a change means the tree must be drawn again."""
    parts = []
    for rel in (old_rel, new_rel):
        try:
            parts.append("\n".join(list_files(_folder(root, rel))))
        except Missing:
            parts.append("\0missing")
    return hashlib.sha1("\0\0".join(parts).encode()).hexdigest()


def _root(env):
    return Path(env.config.cubos_code_root or Path(env.srcdir).parent).resolve()


class ChapterDiff(SphinxDirective):
    """```{chapter-diff} <earlier folder> <later folder>
    :collapse-unchanged: auto | always | never
    ```"""

    required_arguments = 2
    optional_arguments = 0
    has_content = False
    option_spec = {
        "collapse-unchanged": lambda arg: directives.choice(arg, ("auto", "always", "never")),
    }

    def run(self):
        old_rel, new_rel = self.arguments
        root = _root(self.env)
        where = (self.env.docname, self.lineno)

        # Remember the listing even when a folder is missing, so that creating
        # it makes Sphinx read the page again.
        seen = getattr(self.env, "cubos_chapter_diffs", None)
        if seen is None:
            seen = self.env.cubos_chapter_diffs = {}
        seen.setdefault(self.env.docname, []).append(
            (old_rel, new_rel, _signature(root, old_rel, new_rel)))

        try:
            old, new = _folder(root, old_rel), _folder(root, new_rel)
        except Missing as missing:
            logger.warning("chapter-diff: no folder %s (paths are relative to %s)",
                           missing, root, location=where)
            return []

        marks = compare(old, new)
        for rel, mark in marks.items():
            self.env.note_dependency(str((old if mark == REMOVED else new) / rel))
            if mark in (CHANGED, UNCHANGED):
                self.env.note_dependency(str(old / rel))

        tree = Folder()
        for rel, mark in marks.items():
            tree.add(rel.split("/"), mark)

        def describe_file(rel, mark, width):
            return describe((old if mark == REMOVED else new) / rel, width)

        mode = self.options.get("collapse-unchanged", "auto")
        rows = draw_collapsed(tree) if mode == "always" else draw(tree)
        if mode == "auto" and len(rows) + 1 > AUTO_COLLAPSE_LINES:
            rows = draw_collapsed(tree)
        text = render(Path(new_rel).name + "/", rows, describe_file)

        count = {m: sum(1 for v in marks.values() if v == m) for m in (ADDED, CHANGED, REMOVED, UNCHANGED)}
        literal = nodes.literal_block(text, text)
        literal["language"] = "cubos-tree"     # coloured marks (cubos_layout.py)
        self.set_source_info(literal)
        caption = nodes.caption(
            "", "", nodes.literal(old_rel, old_rel), nodes.Text(" → "),
            nodes.literal(new_rel, new_rel),
            nodes.Text(f": {count[ADDED]} added (+), {count[CHANGED]} changed (~), "
                       f"{count[REMOVED]} removed (-), {count[UNCHANGED]} unchanged (no mark)"))
        caption.source, caption.line = literal.source, literal.line
        container = nodes.container("", literal_block=True, classes=["literal-block-wrapper"])
        container += caption
        container += literal
        return [container]


# -- keeping the page up to date -----------------------------------------------

def _outdated(app, env, added, changed, removed):
    """Pages whose folders gained or lost a file (or appeared or vanished) since
    they were read; edits to existing files are noted dependencies already."""
    root = _root(env)
    stale = []
    for docname, diffs in getattr(env, "cubos_chapter_diffs", {}).items():
        if any(_signature(root, old, new) != sig for old, new, sig in diffs):
            stale.append(docname)
    return stale


def _purge(app, env, docname):
    getattr(env, "cubos_chapter_diffs", {}).pop(docname, None)


def _merge(app, env, docnames, other):
    mine = getattr(env, "cubos_chapter_diffs", None)
    if mine is None:
        mine = env.cubos_chapter_diffs = {}
    theirs = getattr(other, "cubos_chapter_diffs", {})
    for docname in docnames:
        if docname in theirs:
            mine[docname] = theirs[docname]


def setup(app):
    app.setup_extension("cubos_layout")      # the cubos-tree lexer that colours the marks
    app.add_directive("chapter-diff", ChapterDiff)
    app.connect("env-get-outdated", _outdated)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    # cubos_code_root is declared by cubos_code; declare it here too when this
    # extension is used alone.
    if "cubos_code_root" not in app.config.values:
        app.add_config_value("cubos_code_root", None, "env")
    env_version = int(hashlib.sha1(Path(__file__).read_bytes()).hexdigest()[:8], 16)
    return {
        "version": __version__,
        "env_version": env_version,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
