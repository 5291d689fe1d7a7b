"""cubos_layout: small helpers for the book's look.

The cubos-tree language colours the file trees at the top of each chapter
(the chapter-diff directive's and any ```cubos-tree block): a file marked
added (+) is green, changed (~) amber, removed (-) red, each with its mark.
The colours are in _static/cubos.css.
"""
from pygments.lexer import RegexLexer, bygroups
from pygments.token import Generic, Text

__version__ = "1.0"

# A tree line: the drawing (│ ├ └ ─ and spaces), a name, spaces, the mark,
# then the description.
_NAME = r"^([│├└─ ]*)(\S+)([ \t]+)"


class TreeLexer(RegexLexer):
    name = "cubos file tree"
    aliases = ["cubos-tree"]
    tokens = {
        "root": [
            (_NAME + r"(\+)(?=\s|$)(.*\n?)", bygroups(Text, Generic.Inserted, Text,
                                                      Generic.Inserted, Text)),
            (_NAME + r"(~)(?=\s|$)(.*\n?)", bygroups(Text, Generic.Changed, Text,
                                                     Generic.Changed, Text)),
            (_NAME + r"(-)(?=\s|$)(.*\n?)", bygroups(Text, Generic.Deleted, Text,
                                                     Generic.Deleted, Text)),
            (r".+\n?|\n", Text),
        ]
    }


def setup(app):
    app.add_lexer("cubos-tree", TreeLexer)
    app.add_css_file("cubos.css")
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
