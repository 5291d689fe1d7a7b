"""cubos_sources: one HTML page per source file of every chapter, with a
link to each line, and links from each code excerpt's caption to its lines.

The pages are made by the HTML builder (no Markdown is written), under
src/<chapter>/<path>.html; line n has the anchor #L-n, and its number is a
link to itself, so a reader can pass a line on. Settings in conf.py:

    cubos_repo_url = "https://github.com/<owner>/cubos"   # or None
    cubos_repo_branch = "main"

With a repository URL, each page also links to the file there.
"""
import html
from pathlib import Path

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name

import cubos_code

__version__ = "1.0"

SUFFIXES = {".c", ".h", ".S", ".s", ".ld", ".cfg", ".py", ".sh", ".mk"}


def source_files(root):
    """Paths, relative to root, of every chapter's source files."""
    found = []
    for chapter in sorted(root.glob("ch[0-9][0-9]-*")):
        if not (chapter / "Makefile").is_file():
            continue
        for path in sorted(chapter.rglob("*")):
            rel = path.relative_to(chapter)
            if not path.is_file() or rel.parts[0] == "build" or any(
                    p.startswith(".") for p in rel.parts):
                continue
            if path.suffix in SUFFIXES or path.name == "Makefile":
                found.append(path.relative_to(root).as_posix())
    return found


def page_name(rel):
    return f"src/{rel}"


def link(docname, rel, line=None):
    """The URI of a source page (and line), relative to the page docname."""
    up = "../" * docname.count("/")
    return f"{up}{page_name(rel)}.html" + (f"#L-{line}" if line else "")


def _lexer(path):
    language = cubos_code.language_for(path)
    if language == "cubos-gas":
        return cubos_code._gas_lexer()()
    return get_lexer_by_name(language, stripnl=False, ensurenl=False)


def _pages(app):
    if app.builder.format != "html" or not app.config.cubos_source_pages:
        return
    root = Path(app.config.cubos_code_root or Path(app.srcdir).parent).resolve()
    formatter = HtmlFormatter(linenos="inline", lineanchors="L", anchorlinenos=True,
                              cssclass="highlight cubos-source")
    for rel in source_files(root):
        path = root / rel
        text = path.read_text(encoding="utf-8", errors="replace")
        code = highlight(text, _lexer(path), formatter)
        url = app.config.cubos_repo_url
        hosted = ""
        if url:
            target = f"{url.rstrip('/')}/blob/{app.config.cubos_repo_branch}/{rel}"
            hosted = f' · <a href="{html.escape(target)}">in the repository</a>'
        lines = text.count("\n") + (0 if text.endswith("\n") else 1)
        body = (f"<h1><code>{html.escape(rel)}</code></h1>\n"
                f"<p class=\"cubos-source-info\">{lines} lines, as the book was built; "
                f"a line's number links to it{hosted}.</p>\n" + code)
        yield page_name(rel), {"title": rel, "body": body}, "page.html"


def setup(app):
    app.setup_extension("cubos_code")   # declares cubos_source_pages (off by default)
    app.add_config_value("cubos_repo_url", None, "html")
    app.add_config_value("cubos_repo_branch", "main", "html")
    if "cubos_code_root" not in app.config.values:
        app.add_config_value("cubos_code_root", None, "env")
    app.connect("html-collect-pages", _pages)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
