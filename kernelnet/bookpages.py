"""Pages generated from the executed notebooks when the book is staged.

- ``book/figures.md``: every figure with its number (``{numref}``), chapter, caption, files,
  a BibTeX entry and its provenance, read from the ``savefig`` sidecars;
- ``book/status.md``: per chapter, when it ran, for how long, with which parameters and
  whether it passed, read from papermill's own metadata in each executed notebook;
- ``book/api.md``: the hand-written introduction, the floors as ``DESIGN.md`` describes them and
  one ``automodule`` section per public module of the package, found on disk
  (:func:`api_modules`), so that a new module or subpackage appears by itself.

They are written into the staging folder only; the repository keeps placeholders (the API
page's introduction).

One name per figure: a figure saved as ``savefig(fig, "<stem>")`` carries the MyST label
:func:`figure_label` of its stem (``fig-`` + the stem with ``-`` for ``_``), and the stem
starts with its chapter's prefix (:data:`FIGURE_PREFIXES`). :func:`figure_table`
refuses a figure cell whose label breaks the rule, so the index, the claims ledger and the
chapters' ``{numref}`` links all use the one name.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

__all__ = ["FIGURE_PREFIXES", "figure_label", "figure_cells", "figure_table", "glued_values",
           "write_figures_page", "write_status_page", "write_rerun_cost", "design_floors",
           "api_modules", "write_api_page"]

_SAVEFIG_RE = re.compile(r"savefig\(\s*\w+\s*,\s*[\"']([a-z0-9_\-]+)[\"']")

#: The prefix of every ``savefig`` stem in a chapter (notebook stem -> prefix; the stem is
#: ``<prefix>_<what it shows>``). Chapters 01 and 02 share the layer-wise network's prefix; a
#: new chapter adds its line here (``tests/test_book.py`` checks every figure of the book).
FIGURE_PREFIXES = {
    "00_hsic": "hsic",
    "01_layerwise_kernel_networks": "layerwise",
    "02_optimality_and_implicit_regularisation": "layerwise",
    "03_the_paper_table": "paper_table",
    "04_single_layer_networks": "single_layer",
    "05_learning_without_backprop": "learning_rules",
    "06_diverse_weights": "diverse",
    "07_feature_learning_vs_ntk": "feature_learning",
}


_STEM_RE = re.compile(r"^[a-z0-9][a-z0-9_]*$")


def figure_label(stem: str) -> str:
    """The MyST label of the figure saved as ``stem`` (one name per figure).

    ``"fig-"`` followed by the ``savefig`` stem with ``_`` written as ``-``: the chapter's
    figure cell carries it as ``mystnb: figure: name:``, and the figure index and the claims
    ledger link a stem (``Finding.figures``) by the same rule. The stem itself starts with its
    chapter's prefix (:data:`FIGURE_PREFIXES`).

    >>> figure_label("single_layer_rank")
    'fig-single-layer-rank'
    """
    if not isinstance(stem, str) or not _STEM_RE.match(stem):
        raise ValueError(f"stem must be a savefig name of lower-case letters, digits and '_', "
                         f"got {stem!r}")
    return "fig-" + stem.replace("_", "-")


def _read(nb_path: Path) -> dict:
    return json.loads(Path(nb_path).read_text())


def glued_values(nb_path) -> dict:
    """The values a notebook glued (``myst_nb.glue``), as their text/plain strings."""
    out = {}
    for cell in _read(nb_path)["cells"]:
        for o in cell.get("outputs", []):
            meta = o.get("metadata", {}).get("scrapbook")
            if not meta:
                continue
            data = o.get("data", {})
            prefix = meta.get("mime_prefix", "")
            text = data.get(prefix + "text/plain", data.get("text/plain"))
            if isinstance(text, list):
                text = "".join(text)
            out[meta["name"]] = text
    return out


def figure_cells(nb_path) -> list[dict]:
    """The figure cells of a notebook, in order: ``index`` (of the cell), ``label`` (its
    ``mystnb: figure: name:``), ``caption`` and ``stems`` (the names it passes to ``savefig``)."""
    out = []
    for i, cell in enumerate(_read(nb_path)["cells"]):
        fig_meta = cell.get("metadata", {}).get("mystnb", {}).get("figure")
        if cell.get("cell_type") != "code" or not fig_meta or "name" not in fig_meta:
            continue
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        out.append({"index": i, "label": fig_meta["name"], "caption": fig_meta.get("caption", ""),
                    "stems": _SAVEFIG_RE.findall(src)})
    return out


def figure_table(executed_dir, figures_dir=None) -> list[dict]:
    """One record per figure: label, savefig name, chapter, caption and the sidecar.

    ``figures_dir`` holds the sidecars (default ``executed_dir/figures``).

    Raises
    ------
    ValueError
        If a figure cell's label is not :func:`figure_label` of the stem it
        saves (one name per figure; the index and the ledger link by that rule).
    """
    executed_dir = Path(executed_dir)
    figures_dir = executed_dir / "figures" if figures_dir is None else Path(figures_dir)
    rows = []
    for nb_path in sorted(executed_dir.glob("[0-9][0-9]_*.ipynb")):
        for cell in figure_cells(nb_path):
            for name in cell["stems"]:
                if cell["label"] != figure_label(name):
                    raise ValueError(
                        f"{nb_path.name}: the figure saved as {name!r} is labelled "
                        f"{cell['label']!r}; its label must be {figure_label(name)!r}")
                sidecar = figures_dir / f"{name}.json"
                prov = json.loads(sidecar.read_text()) if sidecar.exists() else {}
                rows.append({
                    "label": cell["label"],
                    "name": name,
                    "chapter": nb_path.stem,
                    "caption": cell["caption"],
                    "provenance": prov,
                })
    return rows


def _bibtex(row: dict, commit: str) -> str:
    key = f"kernelnet_{row['name']}".replace("-", "_")
    year = (row["provenance"].get("created") or "2026")[:4]
    short = row["provenance"].get("caption") or row["caption"]
    title = short.split(". ")[0].rstrip(".").replace("{", "").replace("}", "")
    return (
        f"@misc{{{key},\n"
        f"  author       = {{{{The kernelnet developers}}}},\n"
        f"  title        = {{{{{title}}}}},\n"
        f"  howpublished = {{Figure `{row['name']}' of the kernelnet book, chapter {row['chapter']}}},\n"
        f"  note         = {{kernelnet commit {commit[:12]}}},\n"
        f"  year         = {{{year}}}\n}}"
    )


def write_figures_page(executed_dir, page: Path, *, figures_dir=None,
                       repository_url: str | None = None) -> int:
    """Write the figure index; returns the number of figures listed."""
    rows = figure_table(executed_dir, figures_dir)
    lines = [
        "(figure-index)=",
        "# Figure index",
        "",
        "Every figure in the book, with the files to download, an entry to cite it by and where "
        "it came from. Generated from the figures' provenance sidecars when the book was built.",
        "",
    ]
    if not rows:
        lines.append("No figures were produced in this build.")
    for row in rows:
        prov = row["provenance"]
        commit = prov.get("git_commit", "unknown")
        dirty = " (with uncommitted changes)" if prov.get("git_dirty") else ""
        files = " · ".join(
            f"{{download}}`{ext.upper()} <../figures/{row['name']}.{ext}>`"
            for ext in ("png", "pdf", "svg")
        )
        src = f"`notebooks/{row['chapter']}.ipynb`"
        if repository_url and commit != "unknown":
            src = f"[{src}]({repository_url}/blob/{commit}/notebooks/{row['chapter']}.ipynb)"
        params = ", ".join(f"{k}={v!r}" for k, v in sorted(prov.get("parameters", {}).items()))
        lines += [
            f"## `{row['name']}`",
            "",
            f"```{{image}} ../figures/{row['name']}.png",
            f":width: 220px",
            f":alt: thumbnail of figure {row['name']}",
            f":target: ../notebooks/{row['chapter']}.html#{row['label']}",
            f":class: figure-thumbnail",
            "```",
            "",
            f"**{{numref}}`{row['label']}`.** {row['caption']}",
            "",
            f"- Chapter: {{doc}}`../notebooks/{row['chapter']}`, generated by {src}",
            f"- Files: {files}",
            f"- Parameters: {params or 'none recorded'}",
            f"- Seed: {prov.get('seed')}; quick mode: {prov.get('quick')}",
            f"- kernelnet {prov.get('versions', {}).get('kernelnet', '?')}, commit "
            f"`{commit[:12]}`{dirty}; built {prov.get('created', '?')}",
            "",
            "```bibtex",
            _bibtex(row, commit),
            "```",
            "",
        ]
    page.write_text("\n".join(lines) + "\n")
    return len(rows)


_NOT_RECORDED = "not recorded"


def _seconds(value) -> str:
    """A duration for the status table; a missing one says so (never 0)."""
    return _NOT_RECORDED if value is None else f"{value:.1f}"


def _this_build(run: dict | None, rows: list) -> str:
    """One sentence on this build's machine and totals (``run``: its ``execution.json``)."""
    def total(key):
        vals = [r.get(key) for r in rows]
        return None if not vals or any(v is None for v in vals) else sum(vals)

    wall, cpu, comp = total("wall"), total("cpu"), total("compile")
    text = f"**This build** ran {len(rows)} chapter{'s' if len(rows) != 1 else ''}"
    if run and run.get("cpu_count"):
        text += f", {run.get('jobs', '?')} at a time on {run['cpu_count']} cores"
    loads = [run.get(k) for k in ("load_average_start", "load_average_end")] if run else []
    if loads and all(loads):
        text += (f", 1-minute load average {loads[0][0]:g} at the start and {loads[1][0]:g} "
                 "at the end")
    else:
        text += ", load average not recorded"
    text += f": {_seconds(wall)} s of wall time summed over chapters, "
    text += f"{_seconds(cpu)} s of CPU time" if cpu is not None else "CPU time not recorded"
    text += (f", of which {_seconds(comp)} s numba compilation." if comp is not None and
             cpu is not None else ", numba compile time not recorded for every chapter.")
    return text


def write_status_page(executed_dir, page: Path, timings: dict | None = None,
                      run: dict | None = None) -> int:
    """Write the execution status table from papermill's metadata; returns the row count.

    Per chapter: this build's wall seconds, the kernel's CPU seconds and, of them, numba's
    compile seconds (``metadata.kernelnet.timings``, written by the build), and beside them the
    wall seconds of the full-size run in ``timings`` (the committed ``results/timings/full.json``,
    :mod:`kernelnet._timings`). A number that was not measured reads "not recorded". ``run``:
    this build's ``execution.json`` (CPU count, jobs, load average), for one sentence above.
    """
    from ._timings import rerun_cost_sentence

    executed_dir = Path(executed_dir)
    notebooks = sorted(executed_dir.glob("[0-9][0-9]_*.ipynb"))
    full = (timings or {}).get("chapters", {})
    lines = [
        "(execution-status)=",
        "# Execution status",
        "",
        "How each chapter ran for this build, read from the metadata papermill stores in the "
        "executed notebook (the book is rendered from those copies, not re-executed). "
        "Parameters lists the values passed in; the others kept their defaults.",
        "",
        "**What a rerun costs.** " + rerun_cost_sentence(timings, [p.stem for p in notebooks]),
        "",
        "Wall and CPU seconds are this build's (CPU: the chapter's kernel, user + system); numba "
        "compile is the part of that CPU time spent compiling the library's kernels (zero when "
        "numba's on-disk cache was warm); the last column is the chapter's full-size run from "
        "that record.",
        "",
        "| chapter | passed | started (UTC) | wall s | CPU s | of which numba compile, CPU s "
        "| full-size run, wall s | parameters |",
        "|---|---|---|---|---|---|---|---|",
    ]
    notes, totals = [], []
    for nb_path in notebooks:
        meta = _read(nb_path).get("metadata", {})
        pm = meta.get("papermill", {})
        timing = meta.get("kernelnet", {}).get("timings", {})
        ok = "yes" if not pm.get("exception") else "**no**"
        params = ", ".join(f"{k}={v!r}" for k, v in sorted(pm.get("parameters", {}).items()))
        row = full.get(nb_path.stem, {})
        if row.get("note"):
            notes.append(f"- `{nb_path.stem}`: {row['note'].rstrip('.')}.")
        totals.append({"wall": pm.get("duration"), "cpu": timing.get("cpu_seconds"),
                       "compile": timing.get("numba_compile_seconds")})
        started = (pm.get("start_time") or "?")[:19] if pm.get("duration") is not None else "?"
        lines.append(
            f"| {{doc}}`../notebooks/{nb_path.stem}` | {ok} | {started} "
            f"| {_seconds(pm.get('duration'))} | {_seconds(timing.get('cpu_seconds'))} "
            f"| {_seconds(timing.get('numba_compile_seconds'))} "
            f"| {_seconds(row.get('wall_seconds'))} | {params} |")
    lines[7:7] = [_this_build(run, totals), ""]
    if timings and timings.get("notes"):
        notes = [f"- {n}" for n in timings["notes"]] + notes
    if notes:
        lines += ["", "Notes on the full-size record:", "", *notes]
    page.write_text("\n".join(lines) + "\n")
    return len(notebooks)


_RERUN_MARKER = "<!-- rerun-cost -->"


def write_rerun_cost(page, timings: dict | None, chapters=()) -> bool:
    """Replace the marker line ``<!-- rerun-cost -->`` of the staged rerun page with the
    generated sentence on what a full rerun costs; returns whether the marker was found."""
    from ._timings import rerun_cost_sentence

    page = Path(page)
    text = page.read_text(encoding="utf-8")
    if _RERUN_MARKER not in text:
        return False
    page.write_text(text.replace(_RERUN_MARKER, rerun_cost_sentence(timings, chapters)),
                    encoding="utf-8")
    return True


_FLOORS_START = "<!-- floors:"
_FLOORS_END = "<!-- /floors -->"
_FLOOR_NAME_RE = re.compile(r"`([a-z][a-z0-9_]*)(?:\.py|/)`")


def design_floors(design) -> str:
    """The floors as ``DESIGN.md`` describes them: the text between its two ``floors`` markers."""
    text = Path(design).read_text(encoding="utf-8")
    if _FLOORS_START not in text or _FLOORS_END not in text:
        raise ValueError(f"{design} lacks the markers {_FLOORS_START!r} ... {_FLOORS_END!r} "
                         "around the floors")
    body = text.split(_FLOORS_START, 1)[1].split("-->", 1)[1]
    return body.split(_FLOORS_END, 1)[0].strip()


def _defines_all(path: Path) -> bool:
    """True if the module file assigns ``__all__`` at top level (read, not imported)."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, (ast.AnnAssign, ast.AugAssign)) else [])
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            return True
    return False


def _ordered(names, text: str, pattern: str) -> list[str]:
    """``names`` in the order of their first match of ``pattern % name`` in ``text``; names
    not found follow in alphabetical order."""
    pos = {}
    for name in names:
        m = re.search(pattern % re.escape(name), text)
        pos[name] = (0, m.start(), name) if m else (1, 0, name)
    return sorted(names, key=pos.get)


def api_modules(package_dir, *, order_text: str = "", chapters_text: str = "") -> list[dict]:
    """The public modules of a package, found on disk without importing anything.

    One entry per public (no leading ``_``) module or subpackage of ``package_dir``:
    ``{"name": dotted name, "members": bool, "children": [entries]}``. A module, or a
    subpackage whose ``__init__.py`` defines ``__all__``, is documented with its members; a
    subpackage without ``__all__`` (a namespace such as ``experiments``) is documented by its
    docstring only, followed by its public submodules (``children``).

    Top-level entries follow their first mention as ``name.py`` or ``name/`` in ``order_text``
    (the floors); a namespace's children their first mention as ``<package>.<child>`` or
    ``<package> import <child>`` in ``chapters_text`` (the notebooks, in reading order); the
    rest follow alphabetically.
    """
    package_dir = Path(package_dir)

    def walk(folder: Path, dotted: str, depth: int) -> list[dict]:
        entries = {}
        for path in folder.iterdir():
            name = path.stem if path.suffix == ".py" else path.name
            if name.startswith("_") or not name.isidentifier():
                continue
            if path.suffix == ".py" and path.is_file():
                entries[name] = {"name": f"{dotted}.{name}", "members": True, "children": []}
            elif path.is_dir() and (path / "__init__.py").exists():
                if _defines_all(path / "__init__.py"):
                    entries[name] = {"name": f"{dotted}.{name}", "members": True,
                                     "children": []}
                else:
                    entries[name] = {"name": f"{dotted}.{name}", "members": False,
                                     "children": walk(path, f"{dotted}.{name}", depth + 1)}
        if depth == 0:
            order = _ordered(list(entries), order_text, r"`%s(?:\.py|/)`")
        else:
            order = _ordered(list(entries), chapters_text,
                             re.escape(dotted) + r"(?:\.| import )%s\b")
        return [entries[n] for n in order]

    return walk(package_dir, package_dir.name, 0)


def write_api_page(source, page, *, package_dir, design) -> list[str]:
    """Write the API page: ``source`` (the hand-written introduction, ``book/api.md``), the
    floors from ``design`` (:func:`design_floors`) and one ``automodule`` section per module of
    :func:`api_modules`; returns the modules documented, in page order."""
    package_dir = Path(package_dir)
    floors = design_floors(design)
    notebooks = sorted((package_dir.parent / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    chapters = "\n".join(p.read_text(encoding="utf-8") for p in notebooks)
    intro = "\n".join(ln for ln in Path(source).read_text(encoding="utf-8").splitlines()
                      if not ln.startswith("%")).rstrip()
    entries = api_modules(package_dir, order_text=floors, chapters_text=chapters)
    named = [e for entry in entries for e in (entry, *(entry.get("children") or ()))]
    for entry in named:  # each module the floors name by its path links to its section below
        rel = entry["name"].split(".", 1)[1].replace(".", "/")   # e.g. experiments/layerwise
        floors = re.sub(rf"`{rel}(\.py|/)`", rf"{{mod}}`{rel}\1 <{entry['name']}>`", floors)
    lines = [intro, "", "## The floors", "", floors, ""]
    names = []

    def section(entry, level):
        names.append(entry["name"])
        lines.extend([f"{'#' * level} `{entry['name']}`", "", "```{eval-rst}",
                      f".. automodule:: {entry['name']}"])
        if not entry["members"]:
            lines.append("   :no-members:")
        lines.extend(["```", ""])
        for child in entry["children"]:
            section(child, level + 1)

    for entry in entries:
        section(entry, 2)
    Path(page).write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
    return names
