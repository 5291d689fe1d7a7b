# conf.py: Sphinx settings for the cubos book.
#
# Built with the Debian packages python3-sphinx and python3-myst-parser:
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
]

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

# Code excerpts name files relative to the repository root, book/..
cubos_code_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Fenced blocks without a language are console transcripts, not code.
highlight_language = "text"
pygments_style = "sphinx"

myst_heading_anchors = 3

html_theme = "alabaster"
html_title = "cubos: a teaching x86-64 kernel in C"
html_theme_options = {
    "description": "From GRUB to a unikernel, one concept per chapter",
    "fixed_sidebar": True,
    "page_width": "1080px",
    "sidebar_width": "230px",
}
html_show_sourcelink = False
