#!/usr/bin/python3
"""psf1to2.py: convert a PC Screen Font version 1 (what Debian's
console-setup-linux ships in /usr/share/consolefonts, gzipped) into
version 2, the format the kernel reads (ch08-gui/gfx/font.c).

    tools/psf1to2.py IN.psf[.gz] OUT.psf

PSF1: a 4-byte header (magic 36 04, mode, bytes per glyph = height), 256
or 512 glyphs 8 pixels wide, then, if the mode says so, a Unicode table:
for each glyph, 16-bit code points, 0xFFFE before a sequence, 0xFFFF
after the glyph's entries. PSF2: a 32-byte header (magic, version, header
size, flags, glyph count, bytes per glyph, height, width), the glyphs,
and a Unicode table of UTF-8 strings, 0xFE before a sequence, 0xFF after
a glyph's entries. Facts from the kbd project's psf documentation.
"""
import gzip
import struct
import sys

PSF1_MAGIC = b"\x36\x04"
PSF1_MODE512 = 0x01
PSF1_MODEHASTAB = 0x02
PSF1_MODESEQ = 0x04
PSF1_SEPARATOR = 0xFFFF
PSF1_STARTSEQ = 0xFFFE
PSF2_MAGIC = 0x864AB572
PSF2_HAS_UNICODE_TABLE = 0x01
PSF2_SEPARATOR = b"\xff"
PSF2_STARTSEQ = b"\xfe"


class FontError(Exception):
    pass


def read_font(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data


def convert(data):
    """The PSF2 bytes of PSF1 font data."""
    if len(data) < 4 or data[:2] != PSF1_MAGIC:
        raise FontError("not a PSF1 font (magic 36 04)")
    mode, height = data[2], data[3]
    if height == 0:
        raise FontError("glyph height 0")
    count = 512 if mode & PSF1_MODE512 else 256
    glyphs_end = 4 + count * height
    if len(data) < glyphs_end:
        raise FontError(f"{count} glyphs of {height} bytes do not fit in {len(data)} bytes")
    glyphs = data[4:glyphs_end]
    table = b""
    flags = 0
    if mode & (PSF1_MODEHASTAB | PSF1_MODESEQ):
        flags = PSF2_HAS_UNICODE_TABLE
        words = struct.unpack(f"<{(len(data) - glyphs_end) // 2}H", data[glyphs_end:glyphs_end + (len(data) - glyphs_end) // 2 * 2])
        out, glyph = bytearray(), 0
        for w in words:
            if glyph == count:
                break
            if w == PSF1_SEPARATOR:
                out += PSF2_SEPARATOR
                glyph += 1
            elif w == PSF1_STARTSEQ:
                out += PSF2_STARTSEQ
            else:
                out += chr(w).encode("utf-8", "surrogatepass")
        if glyph != count:
            raise FontError(f"the Unicode table ends after {glyph} of {count} glyphs")
        table = bytes(out)
    header = struct.pack("<8I", PSF2_MAGIC, 0, 32, flags, count, height, height, 8)
    return header + glyphs + table


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: psf1to2.py IN.psf[.gz] OUT.psf")
    try:
        psf2 = convert(read_font(sys.argv[1]))
    except (OSError, EOFError, FontError) as e:
        sys.exit(f"psf1to2: {sys.argv[1]}: {e}")
    with open(sys.argv[2], "wb") as f:
        f.write(psf2)


if __name__ == "__main__":
    main()
