"""screen.py: what a machine's screen shows, for the graphics tests (ch08
on): QEMU's screendump read as pixels, and text looked for on it, drawn
with the same PSF2 font the kernel draws with.

    shot = screendump(m, "name")           # a Screen, saved under tests/out
    row = shot.find_text(font, "cubos> ")  # the text row it is on, or None

Pure Python (zlib and struct): no imaging library to install.
"""
import struct
import zlib
from pathlib import Path

from harness import OUT, TOP

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PSF2_MAGIC = 0x864AB572


class Screen:
    """Pixels as (r, g, b) tuples: pixel(x, y)."""

    def __init__(self, width, height, rgb, path):
        self.width, self.height, self.rgb, self.path = width, height, rgb, path

    def pixel(self, x, y):
        i = (y * self.width + x) * 3
        return tuple(self.rgb[i:i + 3])

    def cell_matches(self, font, ch, col, row, fg, bg):
        """Whether character cell (col, row) shows ch in fg on bg, pixel for pixel."""
        glyph = font.rows(ch)
        x0, y0 = col * font.width, row * font.height
        if x0 + font.width > self.width or y0 + font.height > self.height:
            return False
        for y, bits in enumerate(glyph):
            for x in range(font.width):
                want = fg if bits >> (font.width - 1 - x) & 1 else bg
                if self.pixel(x0 + x, y0 + y) != want:
                    return False
        return True

    def text_at(self, font, text, col, row, fg, bg):
        return all(self.cell_matches(font, ch, col + i, row, fg, bg) for i, ch in enumerate(text))

    def find_text(self, font, text, col=0, fg=(0xAA, 0xAA, 0xAA), bg=(0, 0, 0), last=True):
        """The character row where text starts at column col (the last such
        row, or the first with last=False), or None."""
        rows = range(self.height // font.height)
        for row in (reversed(rows) if last else rows):
            if self.text_at(font, text, col, row, fg, bg):
                return row
        return None


def read_png(path):
    """A Screen from an 8-bit RGB (colour type 2) PNG, as QEMU writes them."""
    data = Path(path).read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    at, idat, header = 8, b"", None
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        at += 12 + length
    width, height, depth, color, _, _, interlace = header
    assert (depth, color, interlace) == (8, 2, 0), f"{path}: not 8-bit RGB without interlace"
    raw = zlib.decompress(idat)
    stride = width * 3
    out = bytearray(stride * height)
    prev = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - 3] if i >= 3 else 0
            b = prev[i]
            c = prev[i - 3] if i >= 3 else 0
            if kind == 1:
                line[i] = (line[i] + a) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + b) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        out[y * stride:(y + 1) * stride] = line
        prev = line
    return Screen(width, height, bytes(out), Path(path))


def screendump(m, name):
    """The machine's screen now, through the QEMU monitor (m needs
    monitor=True), kept as tests/out/<chapter>/<name>.png."""
    path = OUT / m.chapter / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    answer = m.hmp(f"screendump {path} -f png")
    assert path.exists(), f"QEMU wrote no screendump: {answer!r}"
    return read_png(path)


class Font:
    """A PSF2 font: rows(ch) gives a character's pixel rows as integers,
    the leftmost pixel in the top bit of width bits."""

    def __init__(self, path):
        data = Path(path).read_bytes()
        magic, _, header, flags, count, size, self.height, self.width = struct.unpack("<8I", data[:32])
        assert magic == PSF2_MAGIC, f"{path} is not a PSF2 font"
        self.row_bytes = (self.width + 7) // 8
        self.glyphs = [data[header + g * size:header + (g + 1) * size] for g in range(count)]
        self.map = {}
        at = header + count * size
        if flags & 1:
            for g in range(count):
                end = data.index(b"\xff", at)
                entry = data[at:end].split(b"\xfe")[0]
                for ch in entry.decode("utf-8"):
                    self.map.setdefault(ch, g)
                at = end + 1
        else:
            self.map = {chr(i): i for i in range(min(256, count))}

    def rows(self, ch):
        g = self.glyphs[self.map.get(ch, self.map.get("\ufffd", self.map.get("?", 0)))]
        shift = self.row_bytes * 8 - self.width
        return [int.from_bytes(g[y * self.row_bytes:(y + 1) * self.row_bytes], "big") >> shift
                for y in range(self.height)]


def kernel_font(chapter, name="Uni2-Terminus16"):
    """The font the chapter's kernel was built with (its Makefile's FONT)."""
    return Font(TOP / chapter / "build" / f"font-{name}.psf")
