"""The built book, read as a person reads it: in headless Chromium, offline.

The book is served from ``_build/html`` on localhost and opened in the system's Chromium through
Playwright (``executable_path``; Playwright never downloads a browser; ``scripts/_browser.sh``
installs Debian's ``chromium`` when it can). Every request that leaves localhost is blocked, so
the page must render from the build alone (MathJax is vendored, ANCHORS.md trap 11).

For every page in ``_toc.yml``: it loads with no failed local request and no uncaught
JavaScript error; MathJax has rendered its
math (MathJax elements present, no MathJax error, no raw ``$$``/``\\(``/``\\[`` left in the text);
every image has ``naturalWidth > 0``; every numbered figure shows an image, not a text repr;
theorem blocks and figures carry their numbers and no reference reads ``??``; a quick build shows
its banner. A screenshot of every page goes to ``_build/screenshots/`` (a CI artefact).
Internal links (every ``href``/``src`` in every built HTML file, with ``#anchors``) are checked
without a browser.

The HTML is the one ``tests/test_book.py::test_book_builds_from_executed_notebooks`` just built
(book tests run last, in file order). If it is missing or older than the book's sources, it is
built here from the session's executed notebooks.

Without a browser the test is skipped with the reason; ``KERNELNET_REQUIRE_BROWSER=1`` makes that
a failure (set it on CI machines, where the browser must run).
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import sys
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
# KERNELNET_BOOK_HTML: check an HTML tree built elsewhere (used as is, never rebuilt here).
HTML = Path(os.environ.get("KERNELNET_BOOK_HTML", ROOT / "_build" / "html"))
SHOTS = ROOT / "_build" / "screenshots"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


#: Page errors that come from the Jupyter Book v1 stack itself and change nothing a reader sees.
#: sphinx-thebe 0.3.1 (pinned by jupyter-book 1.0.4) writes its inline ``const THEBE_JS_URL``
#: config twice into every page; the second one throws. Thebe (live code) is not used here.
BENIGN_JS_ERRORS = ("Identifier 'THEBE_JS_URL' has already been declared",)


# --------------------------------------------------------------------------------------------
# what the book should contain


def toc_pages(root: Path = ROOT) -> list[str]:
    """Every document in ``_toc.yml`` (root first), as paths without suffix."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    out = [toc["root"]]

    def walk(entries):
        for e in entries or []:
            if "file" in e:
                out.append(e["file"])
            walk(e.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return out


def _sources_mtime(root: Path = ROOT) -> float:
    files = [root / "_config.yml", root / "_toc.yml"]
    files += [p for p in (root / "book").rglob("*") if p.is_file()]
    files += list((root / "notebooks").glob("*.ipynb"))
    return max(p.stat().st_mtime for p in files if p.exists())


@pytest.fixture(scope="module")
def built_html(request) -> Path:
    index = HTML / "index.html"
    if "KERNELNET_BOOK_HTML" in os.environ:
        assert index.exists(), f"KERNELNET_BOOK_HTML={HTML} has no index.html"
        return HTML
    newest = max((p.stat().st_mtime for p in HTML.rglob("*.html")), default=0.0)
    if not index.exists() or newest < _sources_mtime():  # Sphinx rewrites only changed pages
        from kernelnet.build import build_book

        records = request.getfixturevalue("executed_notebooks")
        assert all(r.ok for r in records.values()), "a notebook failed; see its test"
        code, index, log = build_book(ROOT, ROOT / "_build" / "executed", quick=True)
        assert code == 0, log[-5000:]
    return HTML


# --------------------------------------------------------------------------------------------
# links, without a browser


class _Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.refs: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if a.get(key):
                self.ids.add(a[key])
        for key in ("href", "src"):
            if a.get(key) is not None and not (tag == "link" and a.get("rel") == "preconnect"):
                self.refs.append((tag, a[key]))


@functools.lru_cache(maxsize=None)
def _parse(path: Path) -> _Links:
    p = _Links()
    p.feed(path.read_text(encoding="utf-8", errors="replace"))
    return p


def broken_links(html_dir: Path) -> tuple[list[str], int, int]:
    """(broken internal references, internal checked, external seen) over every HTML file."""
    broken, checked, external = [], 0, 0
    pages = [p for p in html_dir.rglob("*.html")
             if "_static" not in p.parts and "_sources" not in p.parts]
    for page in pages:
        for tag, ref in _parse(page).refs:
            parts = urlsplit(ref)
            if parts.scheme in ("http", "https", "mailto", "data", "javascript", "tel") \
                    or ref.startswith("//"):
                external += 1
                continue
            if tag == "a" and not parts.path and not parts.fragment:
                continue  # href="" or "?q=": the page itself
            target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
            checked += 1
            where = f"{page.relative_to(html_dir)}: {ref}"
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{where} (no file {target})")
                continue
            frag = unquote(parts.fragment)
            if frag and target.suffix == ".html" and frag not in _parse(target).ids:
                broken.append(f"{where} (no id {frag!r} in {target.name})")
    return broken, checked, external


@pytest.mark.book
def test_internal_links_resolve(built_html):
    broken, checked, external = broken_links(built_html)
    print(f"{checked} internal references checked, {external} external ones not followed")
    assert checked > 0
    assert not broken, "broken internal links:\n" + "\n".join(broken[:50])


# --------------------------------------------------------------------------------------------
# the browser


def _chromium() -> str | None:
    for cand in (os.environ.get("KERNELNET_CHROMIUM"), "chromium", "chromium-browser",
                 "google-chrome"):
        if cand and shutil.which(cand):
            return shutil.which(cand)
    return None


def _no_browser(reason: str):
    if os.environ.get("KERNELNET_REQUIRE_BROWSER", "0") == "1":
        pytest.fail(f"KERNELNET_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(f"browser test skipped: {reason} (set KERNELNET_REQUIRE_BROWSER=1 to fail instead)")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest's output readable
        pass


@pytest.fixture(scope="module")
def server(built_html):
    handler = functools.partial(_QuietHandler, directory=str(built_html))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _no_browser(f"the playwright package is not installed ({exc})")
    exe = _chromium()
    if exe is None:
        _no_browser("no chromium executable found (install Debian's chromium, or set "
                    "KERNELNET_CHROMIUM to a Chromium/Chrome binary)")
    pw = sync_playwright().start()
    try:
        b = pw.chromium.launch(executable_path=exe, args=LAUNCH_ARGS, headless=True)
    except Exception as exc:  # noqa: BLE001 - any launch failure means "no usable browser"
        pw.stop()
        _no_browser(f"chromium at {exe} did not start: {str(exc).splitlines()[0]}")
    yield b
    b.close()
    pw.stop()


# Text of the page as read, without code, MathJax output and hidden elements.
_READ_TEXT = """() => {
  const body = document.querySelector('main') || document.body;
  const c = body.cloneNode(true);
  c.querySelectorAll('pre, code, script, style, mjx-container, mjx-assistive-mml, .highlight,'
    + ' .headerlink, [hidden], .visually-hidden').forEach(e => e.remove());
  return c.textContent;
}"""

_PAGE_FACTS = """async () => {
  const imgs = [...document.images];
  await Promise.all(imgs.map(i => { i.loading = 'eager'; return i.decode().catch(() => null); }));
  const mj = window.MathJax;
  let mathjax = mj ? 'present' : 'absent';
  if (mj && mj.startup && mj.startup.promise) {
    try { await mj.startup.promise; mathjax = 'ready'; } catch (e) { mathjax = 'failed: ' + e; }
  }
  if (mj && mj.typesetPromise) { try { await mj.typesetPromise(); } catch (e) {} }
  if (document.fonts) { await document.fonts.ready; }
  const math = document.querySelectorAll('main .math, main span.math, main div.math').length;
  const banner = document.querySelector('.bd-header-announcement');
  return {
    mathjax, math,
    mjx: document.querySelectorAll('mjx-container').length,
    mjx_errors: [...document.querySelectorAll('mjx-merror, mjx-container [data-mjx-error]')]
      .map(e => e.getAttribute('data-mjx-error') || e.textContent).slice(0, 5),
    mjx_fonts: document.fonts ? [...document.fonts].filter(f => f.family.includes('MJX'))
      .map(f => f.status) : [],
    images: imgs.map(i => ({src: i.getAttribute('src'), w: i.naturalWidth, ok: i.complete})),
    figures: [...document.querySelectorAll('main figure')].map(f => ({
      id: f.id, img: f.querySelectorAll('img, svg, object, video').length,
      number: (f.querySelector('.caption-number') || {}).textContent || null,
      text_repr: /<Figure size [^>]*>/.test(f.textContent)})),
    theorems: [...document.querySelectorAll('main div.proof')].map(d => ({
      id: d.id, cls: d.className,
      number: (d.querySelector('.caption-number') || {}).textContent || null})),
    banner: banner ? banner.innerText.trim() : null,
    title: document.title,
    wide_tables: (() => {
      const col = document.querySelector('main article') || document.querySelector('main');
      const W = col.getBoundingClientRect().width;
      const bad = [];
      for (const t of col.querySelectorAll('table')) {
        if (t.scrollWidth <= W + 1) continue;
        let e = t, ok = false;
        while (e && e !== col) {
          const cs = getComputedStyle(e);
          if ((cs.overflowX === 'auto' || cs.overflowX === 'scroll')
              && e.getBoundingClientRect().width <= W + 1) { ok = true; break; }
          e = e.parentElement;
        }
        if (!ok) bad.push((t.querySelector('th, td') || {}).textContent + ' (' + t.scrollWidth
                          + ' px in a ' + Math.round(W) + ' px column)');
      }
      return bad;
    })(),
    stderr: [...document.querySelectorAll('main .output.stderr, main .cell_output .stderr')]
      .map(e => e.textContent.slice(0, 160)),
    full_text: (document.querySelector('main') || document.body).textContent,
  };
}"""


def _page_problems(page, url: str, name: str, expect_banner: str | None) -> tuple[list, dict]:
    failed, external = [], []

    def route(r):
        if urlsplit(r.request.url).hostname in ("127.0.0.1", "localhost"):
            r.continue_()
        else:
            external.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    js_errors = []
    page.on("pageerror", lambda e: js_errors.append(str(e)))
    page.on("requestfailed", lambda r: failed.append(f"{r.url} ({r.failure})"))
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.url} (HTTP {r.status})"))
    resp = page.goto(url, wait_until="load")
    problems = []
    if resp is None or resp.status != 200:
        problems.append(f"did not load: {resp and resp.status}")
        return problems, {}
    facts = page.evaluate(_PAGE_FACTS)
    text = page.evaluate(_READ_TEXT)

    local_failed = [f for f in failed if urlsplit(f.split()[0]).hostname in ("127.0.0.1",
                                                                              "localhost")]
    if local_failed:
        problems.append(f"failed local requests: {local_failed[:5]}")
    js_errors = [e for e in js_errors if not any(ok in e for ok in BENIGN_JS_ERRORS)]
    if js_errors:
        problems.append(f"uncaught JavaScript errors: {js_errors[:3]}")
    if external:
        problems.append(f"requests leaving the machine (blocked): {sorted(set(external))[:5]}")
    # math
    if facts["math"]:
        if facts["mathjax"] != "ready":
            problems.append(f"MathJax not ready ({facts['mathjax']}) on a page with "
                            f"{facts['math']} math elements")
        if facts["mjx"] == 0:
            problems.append("math on the page but no MathJax element (mjx-container) rendered")
        if "error" in facts["mjx_fonts"]:
            problems.append(f"MathJax fonts failed to load: {facts['mjx_fonts']}")
    if facts["mjx_errors"]:
        problems.append(f"MathJax errors: {facts['mjx_errors']}")
    for raw in (r"$$", r"\(", r"\)", r"\[", r"\]", r"\begin{"):
        if raw in text:
            i = text.index(raw)
            problems.append(f"raw TeX {raw!r} left in the text: ...{text[max(0, i-60):i+60]!r}")
    m = re.search(r"\$[^$\n]{0,80}\\[A-Za-z]+[^$\n]{0,80}\$", text)
    if m:
        problems.append(f"raw inline math left in the text: {m.group(0)!r}")
    # images and figures
    bad = [i["src"] for i in facts["images"] if not (i["ok"] and i["w"] > 0)]
    if bad:
        problems.append(f"images that did not load (naturalWidth 0): {bad[:5]}")
    for f in facts["figures"]:
        if f["text_repr"] or f["img"] == 0:
            problems.append(f"figure {f['id'] or '?'} ({f['number']}) shows no image"
                            + (" but a '<Figure size ...>' text repr" if f["text_repr"] else ""))
        if not f["number"]:
            problems.append(f"figure {f['id'] or '?'} has no number")
    for t in facts["theorems"]:
        if not t["number"]:
            problems.append(f"theorem block {t['id']} ({t['cls']}) has no number")
    if "??" in text:
        i = text.index("??")
        problems.append(f"unresolved reference '??': ...{text[max(0, i-60):i+20]!r}")
    # wording that belongs to the build or the tracker, not to the book
    m = re.search(r"\b[Ii]ssue #?\d+\b", text)
    if m:
        problems.append(f"a tracker's word on the page: ...{text[max(0, m.start()-60):m.end()+40]!r}")
    if expect_banner is None and name.startswith("notebooks/"):
        m = re.search(r"QUICK\s*=\s*(False|True)", text)
        if m:
            problems.append("build-mode advice in a full build: "
                            f"...{text[max(0, m.start()-60):m.end()+40]!r}")
    if facts["wide_tables"]:
        problems.append(f"tables wider than the text column with no scroll box: "
                        f"{facts['wide_tables'][:3]}")
    # build noise: nothing from stderr, no path of the machine that built the book
    if facts["stderr"]:
        problems.append(f"stderr output shown on the page: {facts['stderr'][:2]}")
    for path in {str(ROOT), str(Path(sys.prefix)), "/.venv/", "site-packages"}:
        if path and path in facts["full_text"]:
            i = facts["full_text"].index(path)
            problems.append(f"a path of the build machine on the page ({path!r}): "
                            f"...{facts['full_text'][max(0, i-60):i+80]!r}")
    facts.pop("full_text")
    if expect_banner and (not facts["banner"] or expect_banner not in facts["banner"]):
        problems.append(f"quick-build banner missing (found {facts['banner']!r})")
    return problems, facts


def _expected_banner() -> str | None:
    """The banner text if the HTML was built in quick mode (the staged config says so)."""
    staged = HTML.parent / "stage" / "_config.yml"
    if staged.exists():
        ann = (yaml.safe_load(staged.read_text()).get("html") or {}).get("announcement")
        if ann:
            return ann.split(":")[0]
    return None


@pytest.mark.book
def test_every_page_renders_in_a_browser(built_html, server, browser):
    pages = toc_pages()
    SHOTS.mkdir(parents=True, exist_ok=True)
    banner = _expected_banner()
    report, all_problems = {}, []
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  service_workers="block")
    try:
        for doc in pages:
            html = built_html / f"{doc}.html"
            if doc == toc_pages()[0] and not html.exists():
                html = built_html / "index.html"
            assert html.exists(), f"{doc} is in _toc.yml but {html} was not built"
            url = f"{server}/{html.relative_to(built_html).as_posix()}"
            page = context.new_page()
            try:
                problems, facts = _page_problems(page, url, doc, banner)
                shot = SHOTS / f"{doc.replace('/', '__')}.png"
                full = doc not in ("book/api", "book/genindex")  # the API page is very long
                page.screenshot(path=str(shot), full_page=full)
            finally:
                page.close()
            report[doc] = {"problems": problems, "math": facts.get("math"),
                           "mathjax_elements": facts.get("mjx"),
                           "images": len(facts.get("images", [])),
                           "figures": facts.get("figures"), "theorems": facts.get("theorems"),
                           "screenshot": str(shot.relative_to(ROOT))}
            all_problems += [f"{doc}: {p}" for p in problems]
    finally:
        context.close()
        (SHOTS / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"{len(pages)} pages opened; screenshots and report.json in {SHOTS}")
    assert not all_problems, "\n".join(all_problems)


@pytest.mark.book
def test_claims_page_table_and_filter(built_html, server, browser):
    """The ledger page: one row per registry claim, the offline filter works, links resolve."""
    from kernelnet import claims

    html = built_html / "book" / "claims.html"
    assert html.exists(), "book/claims.html was not built"
    n_claims = len(claims.registry())
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  service_workers="block")
    try:
        page = context.new_page()
        page.route("**/*", lambda r: r.continue_() if urlsplit(r.request.url).hostname in
                   ("127.0.0.1", "localhost") else r.abort())
        page.goto(f"{server}/book/claims.html", wait_until="load")
        count = """() => [...document.querySelectorAll('table tbody tr')]
                     .filter(r => r.children.length >= 12 && r.style.display !== 'none').length"""
        assert page.evaluate(count) == n_claims
        page.select_option("#claims-verdict", "not checked yet")
        shown = page.evaluate(count)
        cells = page.evaluate("""() => [...document.querySelectorAll('table tbody tr')]
            .filter(r => r.children.length >= 12 && r.style.display !== 'none')
            .map(r => r.children[6].textContent.trim())""")
        assert all(c == "not checked yet" for c in cells) and shown == len(cells)
        assert f"{shown} of {n_claims} shown" in page.inner_text("#claims-count")
        page.select_option("#claims-verdict", "")
        reg = claims.registry()
        source = reg["source"].iloc[-1]
        page.select_option("#claims-source", source)
        sources = page.evaluate("""() => [...document.querySelectorAll('table tbody tr')]
            .filter(r => r.children.length >= 12 && r.style.display !== 'none')
            .map(r => r.children[1].textContent.trim())""")
        assert len(sources) == int((reg["source"] == source).sum()) and set(sources) == {source}
        # every figure link on the page points at an existing page and anchor
        hrefs = page.evaluate("""() => [...document.querySelectorAll('table tbody tr a')]
            .map(a => a.getAttribute('href')).filter(h => h && h.includes('#'))""")
        for href in hrefs:
            target = (html.parent / href.split("#")[0]).resolve()
            assert target.exists(), href
            assert f'id="{href.split("#")[1]}"' in target.read_text(), href
        page.screenshot(path=str(SHOTS / "book__claims_filtered.png"), full_page=False)
    finally:
        context.close()



#: The smallest font a figure may show, in CSS pixels as displayed (issue 17).
MIN_FIGURE_FONT_PX = 8.0

_FIGURE_SIZES = """async () => {
  const figs = [...document.querySelectorAll('main figure')];
  const out = [];
  for (const f of figs) {
    const img = f.querySelector('img');
    if (!img) continue;
    try { await img.decode(); } catch (e) {}
    out.push({id: f.id, natural: img.naturalWidth,
              shown: img.getBoundingClientRect().width});
  }
  return out;
}"""


@pytest.mark.book
def test_figures_are_legible_as_shown(built_html, server, browser):
    """Every figure's smallest text, as displayed at 1300 px, is at least 8 CSS pixels.

    The smallest font size in points and the PNG's dpi come from the figure's savefig sidecar;
    the displayed and natural widths from the browser: px = pt * dpi / 72 * shown / natural.
    """
    from kernelnet.bookpages import figure_table

    rows = figure_table(ROOT / "_build" / "executed")
    legible = {}
    for row in rows:
        leg = row["provenance"].get("legibility")
        assert leg, f"figure {row['name']} has no legibility record in its sidecar"
        legible[row["label"]] = (row["name"], leg)
    context = browser.new_context(viewport={"width": 1300, "height": 1000},
                                  service_workers="block")
    measured, small = {}, []
    try:
        for doc in toc_pages():
            if not doc.startswith("notebooks/"):
                continue
            page = context.new_page()
            page.route("**/*", lambda r: r.continue_() if urlsplit(r.request.url).hostname in
                       ("127.0.0.1", "localhost") else r.abort())
            page.goto(f"{server}/{doc}.html", wait_until="load")
            for fig in page.evaluate(_FIGURE_SIZES):
                if fig["id"] not in legible or not fig["natural"]:
                    continue
                name, leg = legible[fig["id"]]
                if leg["min_font_pt"] is None:
                    continue
                px = leg["min_font_pt"] * leg["inline_dpi"] / 72 * fig["shown"] / fig["natural"]
                measured[name] = round(px, 2)
                if px < MIN_FIGURE_FONT_PX:
                    small.append(f"{doc}: {name} smallest text {px:.1f} px as shown "
                                 f"({leg['min_font_pt']:g} pt, {leg['size_inches'][0]:g} in wide, "
                                 f"shown at {fig['shown']:.0f} of {fig['natural']} px)")
            page.close()
    finally:
        context.close()
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "figure_font_px.json").write_text(json.dumps(measured, indent=1, sort_keys=True))
    assert measured, "no figure was measured"
    assert not small, "\n".join(small)
