"""The book in a real browser: Debian's chromium, headless, at 1280 pixels.

Each chapter page is loaded, as a copy with a small script added, in a
1280-pixel frame of one harness page; each script writes what the browser
measured into its page, the harness gathers it, and the test reads it back
with --dump-dom (one chromium start for all pages: starting takes seconds). It checks that no code block is wider
than its column (nothing hides behind a scrollbar), that every figure's SVG
loaded and fits, and that the previous/next links are there. Screenshots
of the ch02 and ch04 pages at 1280x2400 are kept in tests/out/book/.
No network: every file is local.
"""
import json
import os
import re
import shutil
import subprocess

import pytest

from harness import TOP, make

HTML = TOP / "book" / "_build" / "html"
OUT = TOP / "tests" / "out" / "book"
CHAPTERS = sorted(p.name for p in TOP.glob("ch[0-9][0-9]-*"))
# (page, figure): the top of the page (title, Previous/Next, the file tree),
# and the page from the section that holds the figure on (the sections
# before it left out: a headless screenshot does not scroll).
SCREENSHOTS = [("ch02-paging", None), ("ch02-paging", "fig-ch02-layout"),
               ("ch04-threads", None), ("ch04-threads", "fig-ch04-states")]
WIDTH, HEIGHT = 1280, 2400

CHROMIUM = ["chromium", "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", "--hide-scrollbars", f"--window-size={WIDTH},{HEIGHT}"]

# No session bus here: without this, chromium waits for one at start-up.
ENV = dict(os.environ, DBUS_SESSION_BUS_ADDRESS="disabled:")

# Measures the page once it, its fonts and its figures have loaded (all of
# them hold back the load event), and writes the result as JSON into
# <pre id="cubos-check">, before the harness's own load event.
PROBE = """<script>
window.addEventListener('load', function () {
  var r = {wide: [], figures: [], prev: 0, next: 0, next_note: 0, column: 0};
  var column = document.querySelector('.wy-nav-content');
  r.column = column ? column.clientWidth : 0;
  document.querySelectorAll('div.highlight pre').forEach(function (pre) {
    if (pre.scrollWidth > pre.clientWidth + 1)
      r.wide.push({width: pre.scrollWidth, column: pre.clientWidth,
                   text: pre.textContent.split('\\n')[0].slice(0, 80)});
  });
  document.querySelectorAll('object.graphviz, div.graphviz img').forEach(function (o) {
    var doc = o.contentDocument;
    var box = o.getBoundingClientRect();
    r.figures.push({svg: !!(doc && doc.querySelector('svg g')), width: box.width,
                    height: box.height, caption: !!o.closest('figure, div.figure')});
  });
  // The theme's Previous/Next buttons, at the top and the bottom: visible
  // ones only (a theme option or a style could hide them).
  function shown(selector) {
    return Array.prototype.filter.call(document.querySelectorAll(selector), function (a) {
      var b = a.getBoundingClientRect();
      return b.width > 0 && b.height > 0 && getComputedStyle(a).visibility !== 'hidden';
    }).length;
  }
  r.prev = shown('a.btn[accesskey=p]');
  r.next = shown('a.btn[accesskey=n]');
  r.next_note = shown('nav.cubos-next a[rel=next]');
  var top = document.querySelector('a.btn[accesskey=n], a.btn[accesskey=p]');
  r.buttons_on_first_screen = !!top && top.getBoundingClientRect().top < window.innerHeight;
  var out = document.createElement('pre');
  out.id = 'cubos-check';
  out.textContent = JSON.stringify(r);
  document.body.appendChild(out);
});
</script>
"""


HARNESS = """<!DOCTYPE html><html><body>
%s
<script>
function gather() {
  var frames = document.querySelectorAll('iframe'), all = {}, done = 0;
  frames.forEach(function (f) {
    var doc = f.contentDocument, out = doc && doc.getElementById('cubos-check');
    if (out) { all[f.name] = JSON.parse(out.textContent); done++; }
  });
  if (done < frames.length) { setTimeout(gather, 50); return; }
  var r = document.createElement('pre');
  r.id = 'cubos-results';
  r.textContent = JSON.stringify(all);
  document.body.appendChild(r);
}
window.addEventListener('load', gather);
</script></body></html>
"""


def chromium(profile, *args, **popen):
    return subprocess.Popen(CHROMIUM + [f"--user-data-dir={profile}", *args], env=ENV,
                            stderr=subprocess.DEVNULL, **popen)


def measure(pages, profile):
    """{page: what the probe measured}. pages maps a name to the page's HTML
    text; each copy sits beside the real pages so that its links, styles
    and figures resolve."""
    probes = []
    frames = []
    for name, text in pages.items():
        probe = HTML / f"_probe-{name}.html"
        probe.write_text(text.replace("</body>", PROBE + "</body>"))
        probes.append(probe)
        frames.append(f'<iframe name="{name}" src="{probe.name}" width="{WIDTH}" '
                      f'height="{HEIGHT}"></iframe>')
    harness = HTML / "_probe-harness.html"
    harness.write_text(HARNESS % "\n".join(frames))
    probes.append(harness)
    try:
        run = chromium(profile, "--allow-file-access-from-files", "--virtual-time-budget=10000",
                       "--dump-dom", harness.as_uri(), stdout=subprocess.PIPE, text=True)
        dom, _ = run.communicate(timeout=90)
    finally:
        for probe in probes:
            probe.unlink()
    m = re.search(r'<pre id="cubos-results">(.*?)</pre>', dom, re.S)
    assert m, f"the pages' checks did not all run (chromium exit {run.returncode})"
    text = m.group(1)
    for entity, char in (("&quot;", '"'), ("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&")):
        text = text.replace(entity, char)
    return json.loads(text)


def broken_page(html):
    """ch02's page with a 200-column line in its first code block and its
    first figure's SVG gone: what the checks must catch."""
    text = (html / "ch02-paging.html").read_text()
    text = text.replace("<pre><span></span>", "<pre><span></span>" + "x" * 200 + "\n", 1)
    return re.sub(r'<object data="[^"]+"', '<object data="_images/no-such-figure.svg"', text,
                  count=1)


def from_section_of(page, figure):
    """The page's HTML without the top-level sections before the one that
    holds figure (the title, the navigation and the introduction stay)."""
    text = page.read_text()
    at = text.index(f'id="{figure}"')
    first = text.index("<section id=", text.index("<h1"))
    starts = [m.start() for m in re.finditer(r'<section id="[^"]+">\s*<h2', text[:at])]
    assert starts, f"{figure} is not inside a section"
    return text[:first] + text[starts[-1]:]


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """(chapter pages, what the browser measured); the screenshots are
    taken at the same time, by chromiums of their own."""
    if not shutil.which("chromium"):
        pytest.fail("chromium is missing (tools/deps.sh installs it)")
    done = make("-C", TOP, "book", capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    profiles = tmp_path_factory.mktemp("chromium")
    OUT.mkdir(parents=True, exist_ok=True)
    shots = []
    for page, figure in SCREENSHOTS:
        name = f"{page}-{figure}" if figure else page
        shot = OUT / f"{name}-{WIDTH}x{HEIGHT}.png"
        shot.unlink(missing_ok=True)
        source = HTML / f"{page}.html"
        if figure:
            source = HTML / f"_probe-{name}.html"
            source.write_text(from_section_of(HTML / f"{page}.html", figure))
        url = source.as_uri()
        shots.append((shot, chromium(profiles / name, "--virtual-time-budget=5000",
                                     f"--screenshot={shot}", url, stdout=subprocess.DEVNULL)))
    pages = {c: (HTML / f"{c}.html").read_text() for c in CHAPTERS}
    try:
        results = measure(dict(pages, broken=broken_page(HTML)), profiles / "measure")
    finally:
        for _, run in shots:
            run.wait(timeout=90)
        for probe in HTML.glob("_probe-*.html"):
            probe.unlink()
    return pages, results, [shot for shot, _ in shots]


def test_chapter_pages_fit_1280_pixels(browser):
    pages, results, _ = browser
    problems = []
    for chapter in CHAPTERS:
        r = results[chapter]
        for w in r["wide"]:
            problems.append(f"{chapter}: a code block is {w['width']} px wide in a "
                            f"{w['column']} px column: {w['text']!r}")
        figures = len(re.findall(r"<object [^>]*class=\"graphviz", pages[chapter]))
        if figures < 2:
            problems.append(f"{chapter}: {figures} figures; every chapter has at least two")
        if len(r["figures"]) != figures:
            problems.append(f"{chapter}: the browser saw {len(r['figures'])} of {figures} figures")
        for i, f in enumerate(r["figures"]):
            if not f["svg"]:
                problems.append(f"{chapter}: figure {i + 1}'s SVG did not load")
            if not f["caption"]:
                problems.append(f"{chapter}: figure {i + 1} has no caption")
            if f["width"] > r["column"] or f["height"] < 50:
                problems.append(f"{chapter}: figure {i + 1} is {f['width']}x{f['height']} px "
                                f"in a {r['column']} px column")
        if r["prev"] != 2:
            problems.append(f"{chapter}: {r['prev']} Previous buttons shown, not 2 (top, bottom)")
        if not r["buttons_on_first_screen"]:
            problems.append(f"{chapter}: the Previous/Next buttons are not on the first screen")
        if chapter != CHAPTERS[-1] and (r["next"] != 2 or r["next_note"] != 1):
            problems.append(f"{chapter}: {r['next']} Next buttons (not 2) and {r['next_note']} "
                            "'Next:' links at the end (not 1)")
    assert not problems, "\n".join(problems)


def test_the_check_sees_a_clipped_block_and_a_missing_figure(browser):
    """The same checks, on a page with a 200-column line in a code block and
    a figure whose SVG is gone, must report both."""
    r = browser[1]["broken"]
    assert any(w["text"].startswith("x" * 80) for w in r["wide"]), r
    assert not r["figures"][0]["svg"], r


def test_screenshots(browser):
    for shot in browser[2]:
        assert shot.exists() and shot.stat().st_size > 50_000, f"no screenshot {shot}"
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
