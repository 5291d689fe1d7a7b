"""cubos_figures: figures drawn from the kernel's own headers at build time.

A figure copied by hand goes stale the day the code changes. These
directives read the header when the book is built, hand Graphviz (through
sphinx.ext.graphviz) the drawing, and warn, which fails the book's -W
build, when the code and the figure's description no longer agree.

The memory layout, from #defines of addresses:

    ```{memlayout-figure} ch02-paging/include/memlayout.h
    :caption: The kernel's virtual address space
    :name: fig-ch02-layout
    KERNEL_OFFSET      the kernel image
    DIRECT_MAP_BASE    the direct map
    0x0000800000000000 non-canonical: any access raises #GP
    0                  the lower half
    ```

Each line names where a region starts (a #define of the header, or a
number for an address the architecture fixes) and what lies there, up to
the next line's start or 2^64. Every #define in the header whose name ends
in _BASE, _LIMIT or _OFFSET must appear, so a new region cannot be left out.

A structure laid out on the stack, first field at the lowest address:

    ```{stack-figure} ch03-interrupts/include/trap.h
    :struct: trap_frame
    :pointer: tf
    r15..rax           trap_common
    vector..error_code the stub
    rip..ss            the CPU
    ```

Each line is a run of fields (first..last, or one field) and who writes
them; the runs must cover the fields in order, each field once.

A state machine whose states are an enum's values:

    ```{state-figure} ch04-threads/include/thread.h
    :enum: thread_state
    :start: READY thread_create
    :end: ZOMBIE thread_join or sched_reap frees it
    READY -> RUNNING   schedule picks it
    ```

States are written without the enum's common prefix. Every edge must name
states of the enum, and every state must have an edge; :start: and :end: (a state, then a
label) draw where a thread enters and leaves.

Each directive also takes :caption:, :name: (for {numref}) and :alt:.
"""
import hashlib
import html
import re
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.ext.graphviz import figure_wrapper, graphviz
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

import cubos_code
import cubos_prose

logger = logging.getLogger(__name__)

__version__ = "1.0"

FONT = "DejaVu Sans"
MONO = "DejaVu Sans Mono"


class FigureError(Exception):
    """The figure cannot be drawn; the message says why."""


def _gib(n):
    """A size in binary units: exact (2 GiB, 64 TiB) where the largest unit
    divides it, else rounded (about 32.0 TiB)."""
    units = (("EiB", 60), ("PiB", 50), ("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10))
    for unit, shift in units:
        if n >= 1 << shift:
            if n % (1 << shift) == 0:
                return f"{n >> shift} {unit}"
            return f"about {n / (1 << shift):.1f} {unit}"
    return f"{n} bytes"


def _hex64(n):
    s = f"{n:016X}"
    return f"0x{s[:4]}_{s[4:8]}_{s[8:12]}_{s[12:]}"


class _FigureDirective(SphinxDirective):
    has_content = True
    required_arguments = 1
    option_spec = {
        "caption": directives.unchanged,
        "name": directives.unchanged,
        "alt": directives.unchanged,
    }

    def source(self):
        root = Path(self.config.cubos_code_root or Path(self.env.srcdir).parent).resolve()
        path = (root / self.arguments[0]).resolve()
        if not path.is_file():
            raise FigureError(f"no file {self.arguments[0]}")
        self.env.note_dependency(str(path))
        return root, path

    def entries(self):
        """The content's lines as (first word, rest), blank lines skipped."""
        out = []
        for line in self.content:
            if line.strip():
                parts = line.split(None, 1)
                out.append((parts[0], parts[1].strip() if len(parts) > 1 else ""))
        if not out:
            raise FigureError("the figure has no lines")
        return out

    def run(self):
        try:
            dot = self.dot()
        except (FigureError, cubos_prose.ValueError_, cubos_code.ExcerptError) as err:
            logger.warning("%s %s: %s", self.name, self.arguments[0], err,
                           location=(self.env.docname, self.lineno))
            return []
        node = graphviz()
        node["code"] = dot
        node["options"] = {"docname": self.env.docname}
        node["alt"] = self.options.get("alt", self.options.get("caption", self.name))
        node["classes"] = ["cubos-figure"]
        if "caption" in self.options:
            result = figure_wrapper(self, node, self.options["caption"])
        else:
            result = node
        self.add_name(result)
        return [result]


# -- the address space ---------------------------------------------------------

_REGION_NAME = re.compile(r"^\s*#\s*define\s+(\w+_(?:BASE|LIMIT|OFFSET))\b", re.M)


class MemlayoutFigure(_FigureDirective):

    def dot(self):
        root, path = self.source()
        text = path.read_text(encoding="utf-8")
        regions = []
        named = set()
        for start, label in self.entries():
            if re.fullmatch(r"0[xX][0-9a-fA-F_]+|\d+", start):
                value, shown = int(start.replace("_", ""), 0), None
            else:
                value, _, _ = cubos_prose.evaluate(f"{self.arguments[0]}:{start}", root)
                shown = start
                named.add(start)
            regions.append((value, shown, label))
        missing = sorted(set(_REGION_NAME.findall(text)) - named)
        if missing:
            raise FigureError(f"the header defines {', '.join(missing)}, which the figure "
                              "does not show")
        regions.sort(key=lambda r: r[0])
        if regions[0][0] != 0:
            raise FigureError("the lowest region must start at 0")
        if len({r[0] for r in regions}) != len(regions):
            raise FigureError("two regions start at the same address")
        rows = []
        ends = [r[0] for r in regions[1:]] + [1 << 64]
        for (start, shown, label), end in reversed(list(zip(regions, ends))):
            name = f"<BR/><FONT FACE=\"{MONO}\" POINT-SIZE=\"10\">{html.escape(shown)}</FONT>" \
                if shown else ""
            fill = "#f2f2f2" if "non-canonical" in label or label == "unused" else \
                "#dcebf7" if start >= 1 << 63 else "#fdf1d6"
            rows.append(
                f"<TR><TD ALIGN=\"RIGHT\" VALIGN=\"BOTTOM\" BORDER=\"0\">"
                f"<FONT FACE=\"{MONO}\" POINT-SIZE=\"10\">{_hex64(start)}</FONT>{name}</TD>"
                f"<TD BGCOLOR=\"{fill}\" WIDTH=\"300\" HEIGHT=\"44\">{html.escape(label)}"
                f"<BR/><FONT POINT-SIZE=\"10\">{_gib(end - start)}</FONT></TD></TR>")
        top = (f"<TR><TD ALIGN=\"RIGHT\" BORDER=\"0\"><FONT FACE=\"{MONO}\" POINT-SIZE=\"10\">"
               f"2^64</FONT></TD><TD BORDER=\"0\"><FONT POINT-SIZE=\"10\">"
               f"(not to scale; regions drawn from {html.escape(path.name)})</FONT></TD></TR>")
        table = ("<<TABLE BORDER=\"0\" CELLBORDER=\"1\" CELLSPACING=\"0\" CELLPADDING=\"4\">"
                 + top + "".join(rows) + "</TABLE>>")
        return (f"digraph memlayout {{\n  node [shape=plaintext fontname=\"{FONT}\" "
                f"fontsize=12];\n  layout [label={table}];\n}}\n")


# -- a structure on the stack --------------------------------------------------

def struct_fields(text, name):
    """The field names of struct name, in order."""
    first, last = cubos_code.excerpt_c(text, f"struct {name}")
    body = "\n".join(text.split("\n")[first:last + 1])
    body = cubos_code.mask_source(body, char_literals=True)
    body = body[body.index("{") + 1:body.rindex("}")]
    fields = []
    for decl in body.split(";"):
        decl = decl.strip()
        if not decl:
            continue
        if "(" in decl or "[" in decl or ":" in decl:
            raise FigureError(f"struct {name}: cannot draw the field '{decl}'")
        words = decl.split(",")
        head = words[0].split()
        fields.append(head[-1].lstrip("*"))
        fields += [w.strip().lstrip("*") for w in words[1:]]
    return fields


class StackFigure(_FigureDirective):
    option_spec = dict(_FigureDirective.option_spec,
                       struct=directives.unchanged_required,
                       pointer=directives.unchanged)

    def dot(self):
        _, path = self.source()
        struct = self.options.get("struct")
        if not struct:
            raise FigureError("':struct:' is required")
        fields = struct_fields(path.read_text(encoding="utf-8"), struct)
        owner = {}
        pos = 0
        groups = []
        for span, who in self.entries():
            a, _, b = span.partition("..")
            b = b or a
            if a not in fields or b not in fields:
                raise FigureError(f"struct {struct} has no field "
                                  f"'{a if a not in fields else b}'")
            i, j = fields.index(a), fields.index(b)
            if i != pos or j < i:
                raise FigureError(f"'{span}' does not follow on from the fields before "
                                  f"(next is '{fields[pos] if pos < len(fields) else 'none'}')")
            for k in range(i, j + 1):
                owner[fields[k]] = len(groups)
            groups.append(who)
            pos = j + 1
        if pos != len(fields):
            raise FigureError(f"fields {', '.join(fields[pos:])} of struct {struct} are "
                              "not in the figure")
        colours = ["#fdf1d6", "#e4f2dc", "#dcebf7", "#f6dde0"]
        pointer = self.options.get("pointer", "p")
        rows = []
        for k in reversed(range(len(fields))):
            g = owner[fields[k]]
            span = [f for f in fields if owner[f] == g]
            who = ""
            if fields[k] == span[-1]:
                who = (f"<TD ROWSPAN=\"{len(span)}\" BORDER=\"0\" ALIGN=\"LEFT\">"
                       f"pushed by {html.escape(groups[g])}</TD>")
            rows.append(
                f"<TR><TD BORDER=\"0\" ALIGN=\"RIGHT\"><FONT FACE=\"{MONO}\" POINT-SIZE=\"10\">"
                f"{html.escape(pointer)}+{8 * k}</FONT></TD>"
                f"<TD BGCOLOR=\"{colours[g % len(colours)]}\" WIDTH=\"120\">"
                f"<FONT FACE=\"{MONO}\">{html.escape(fields[k])}</FONT></TD>{who}</TR>")
        head = (f"<TR><TD BORDER=\"0\"></TD><TD BORDER=\"0\"><FONT POINT-SIZE=\"10\">"
                f"higher addresses</FONT></TD><TD BORDER=\"0\"></TD></TR>")
        foot = (f"<TR><TD BORDER=\"0\"></TD><TD BORDER=\"0\"><FONT POINT-SIZE=\"10\">"
                f"RSP = {html.escape(pointer)} (struct {html.escape(struct)} *)</FONT></TD>"
                f"<TD BORDER=\"0\"></TD></TR>")
        table = ("<<TABLE BORDER=\"0\" CELLBORDER=\"1\" CELLSPACING=\"0\" CELLPADDING=\"3\">"
                 + head + "".join(rows) + foot + "</TABLE>>")
        return (f"digraph stack {{\n  node [shape=plaintext fontname=\"{FONT}\" "
                f"fontsize=12];\n  frame [label={table}];\n}}\n")


# -- a state machine -----------------------------------------------------------

def enum_values(text, name):
    first, last = cubos_code.excerpt_c(text, f"enum {name}")
    body = "\n".join(text.split("\n")[first:last + 1])
    body = cubos_code.mask_source(body, char_literals=True)
    body = body[body.index("{") + 1:body.rindex("}")]
    return [v.split("=")[0].strip() for v in body.split(",") if v.strip()]


_EDGE = re.compile(r"^(\w+)\s*->\s*(\w+)\s*(.*)$")


class StateFigure(_FigureDirective):
    option_spec = dict(_FigureDirective.option_spec, enum=directives.unchanged_required,
                       start=directives.unchanged, end=directives.unchanged)

    def _terminal(self, option, states, prefix, enum):
        """(state, label) of :start: or :end:, checked against the enum."""
        if option not in self.options:
            return None
        state, _, label = self.options[option].strip().partition(" ")
        if state not in states:
            raise FigureError(f":{option}: names {state}, not a state of enum {enum}")
        return state, label.strip()

    def dot(self):
        _, path = self.source()
        enum = self.options.get("enum")
        if not enum:
            raise FigureError("':enum:' is required")
        values = enum_values(path.read_text(encoding="utf-8"), enum)
        prefix = values[0]
        for v in values:
            while not v.startswith(prefix):
                prefix = prefix[:-1]
        prefix = prefix[:prefix.rfind("_") + 1] if "_" in prefix else ""
        states = [v[len(prefix):] for v in values]
        edges = []
        for line in self.content:
            if not line.strip():
                continue
            m = _EDGE.match(line.strip())
            if not m:
                raise FigureError(f"'{line.strip()}' is not 'STATE -> STATE label'")
            for s in m.group(1, 2):
                if s not in states:
                    raise FigureError(f"enum {enum} has no state {prefix}{s} "
                                      f"(states: {', '.join(states)})")
            edges.append(m.groups())
        if not edges:
            raise FigureError("the figure has no edges")
        lonely = [s for s in states if not any(s in e[:2] for e in edges)]
        if lonely:
            raise FigureError(f"state {', '.join(prefix + s for s in lonely)} of enum {enum} "
                              "has no edge in the figure")
        lines = ["digraph states {",
                 "  rankdir=TB; nodesep=0.6; ranksep=0.7;",
                 f"  node [shape=box style=\"rounded,filled\" fillcolor=\"#dcebf7\" "
                 f"fontname=\"{MONO}\" fontsize=12];",
                 f"  edge [fontname=\"{FONT}\" fontsize=10];"]
        for s in states:
            lines.append(f"  {s} [label=\"{prefix}{s}\"];")
        start = self._terminal("start", states, prefix, enum)
        if start:
            lines.append("  start [shape=point width=0.12 label=\"\"];")
            lines.append(f"  start -> {start[0]} [label=\"{start[1]}\"];")
        end = self._terminal("end", states, prefix, enum)
        if end:
            lines.append("  end [shape=doublecircle width=0.12 label=\"\" style=filled "
                         "fillcolor=black];")
            lines.append(f"  {end[0]} -> end [label=\"{end[1]}\"];")
        for a, b, label in edges:
            label = label.replace('"', '\\"')
            lines.append(f"  {a} -> {b} [label=\"{label}\"];")
        lines.append("}")
        return "\n".join(lines) + "\n"


def setup(app):
    app.setup_extension("sphinx.ext.graphviz")
    if "cubos_code_root" not in app.config.values:
        app.add_config_value("cubos_code_root", None, "env")
    app.add_directive("memlayout-figure", MemlayoutFigure)
    app.add_directive("stack-figure", StackFigure)
    app.add_directive("state-figure", StateFigure)
    env_version = int(hashlib.sha1(Path(__file__).read_bytes()).hexdigest()[:8], 16)
    return {"version": __version__, "env_version": env_version,
            "parallel_read_safe": True, "parallel_write_safe": True}
