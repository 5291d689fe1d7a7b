# conf.py: Sphinx settings for the cubos book.
#
# Built with the Debian packages python3-sphinx, python3-myst-parser,
# python3-sphinx-rtd-theme, python3-sphinx-copybutton and graphviz:
#   /usr/bin/python3 -m sphinx -W --keep-going -b html book book/_build/html
# (`make book` runs exactly that). Warnings are errors, so a code excerpt
# whose file or symbol has gone fails the build instead of going stale.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "_ext"))

project = "cubos"
author = "the cubos authors"
copyright = "the cubos authors"

extensions = [
    "myst_parser",      # pages are MyST Markdown
    "cubos_code",       # _ext/cubos_code.py: the code-excerpt directive
    "cubos_diff",       # _ext/cubos_diff.py: the chapter-diff directive (file trees)
    "cubos_prose",      # _ext/cubos_prose.py: numbers from the code, transcripts checked by tests
    "sphinx.ext.graphviz",  # figures from .dot files in book/figures (Debian: graphviz)
    "cubos_figures",    # _ext/cubos_figures.py: figures drawn from the kernel's headers
    "cubos_layout",     # _ext/cubos_layout.py: coloured file trees, the book's CSS
    "sphinx_copybutton",  # a copy button on every code block
    "cubos_sources",    # _ext/cubos_sources.py: a page per source file, excerpts link to it
]

# One page per source file (src/<chapter>/<path>.html, a #L-<n> anchor per
# line); each excerpt's caption links to its lines and to the whole file.
cubos_source_pages = True
# A hosted copy of the repository, for a link from each source page; None
# while there is none (e.g. "https://github.com/<owner>/cubos").
cubos_repo_url = None
cubos_repo_branch = "main"

# Figures are SVG, drawn by Graphviz's dot at build time; a .dot file that
# does not render is a warning, so an error. Figures are numbered, and the
# text refers to them with {numref}.
graphviz_output_format = "svg"
graphviz_dot_args = ["-Gfontname=DejaVu Sans", "-Nfontname=DejaVu Sans", "-Efontname=DejaVu Sans"]
numfig = True
numfig_format = {"figure": "Figure %s"}

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_ext"]
templates_path = ["_templates"]     # footer.html: a "Next:" link at the end of each page
html_static_path = ["_static"]      # cubos.css

# Code excerpts name files relative to the repository root, book/..
cubos_code_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Fenced blocks without a language are console transcripts, not code.
highlight_language = "text"
pygments_style = "sphinx"

myst_heading_anchors = 3

# Read the Docs' theme: a navigation sidebar that shows where a page is in
# the book, and Previous/Next buttons at the top and bottom of each page.
# _static/cubos.css widens the text column so that a 100-column line and
# the chapter trees fit whole on a 1280-pixel screen (tests/test_book_browser.py
# checks that in a real browser).
html_theme = "sphinx_rtd_theme"
html_title = "cubos: a teaching x86-64 kernel in C"
html_theme_options = {
    "prev_next_buttons_location": "both",
    "navigation_depth": 3,
    "collapse_navigation": False,
}
html_show_sourcelink = False

# The copy button copies commands without their "$ " prompt, and not the
# output that follows them in a console block.
copybutton_prompt_text = "$ "
copybutton_only_copy_prompt_lines = True
