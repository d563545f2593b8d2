"""Figures that can be cited: a fixed style, stable names and a provenance sidecar.

Every figure in the book goes through :func:`savefig`, which writes
``<dir>/<name>.pdf``, ``.png``, ``.svg`` and ``<dir>/<name>.json``. The JSON sidecar records
where the figure came from (notebook, parameters, seed, kernelnet version, git commit and
whether the tree was dirty, library versions, time), in the spirit of showyourwork's
figure-to-script links. ``<dir>`` is ``$KERNELNET_FIGURES_DIR`` if set, else ``./figures``.

Byte-stable output: the PNG carries no software/time metadata and the SVG a fixed hash salt,
so the same seed gives the same PNG and SVG bytes for the same library versions. The PDF
drops its creation date.

Chapters call :func:`setup_notebook` once, right after their ``parameters`` cell: it checks the
parameters (a bad value fails at once with a clear message) and remembers them for the
sidecars.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless everywhere (CI, papermill); set before pyplot is imported
import matplotlib.pyplot as plt  # noqa: E402

from . import _provenance  # noqa: E402
from ._validation import check_bool  # noqa: E402

__all__ = ["setup_notebook", "savefig", "figures_dir", "provenance", "legibility", "STYLE"]

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")

#: The book's matplotlib style (applied by :func:`setup_notebook`).
STYLE = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "font.size": 10,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "image.cmap": "viridis",
    "svg.hashsalt": "kernelnet",  # stable element ids in SVG output
    "path.simplify": True,
}

_CURRENT: dict = {"notebook": None, "parameters": {}}


def setup_notebook(notebook: str, declared=None, **parameters) -> dict:
    """Check a chapter's parameters, remember them for provenance, apply the style.

    Parameters
    ----------
    notebook : str
        The chapter's file stem, e.g. ``"00_hsic"``.
    **parameters
        The values of the ``parameters`` cell. ``QUICK`` must be a bool and ``SEED`` a
        non-negative int; both are required. Other integer-valued parameters whose name
        starts with ``N_`` must be positive.
    declared : mapping of str to kernelnet.claims.Parameter, optional
        The chapter's ``PARAMETERS`` (the chapter contract). Every notebook parameter other than
        ``QUICK`` and ``SEED`` must be declared there under its lower-case name and is checked
        against its declaration; ``None`` means "the chapter's quick/full default".

    Returns
    -------
    dict
        The parameters, unchanged.

    Raises
    ------
    ValueError
        Naming the parameter that is missing or has a bad value.
    """
    if not isinstance(notebook, str) or not notebook:
        raise ValueError(f"notebook must be a non-empty string, got {notebook!r}")
    for required in ("QUICK", "SEED"):
        if required not in parameters:
            raise ValueError(f"parameter {required} is missing from the parameters cell")
    parameters["QUICK"] = check_bool(parameters["QUICK"], "parameter QUICK")
    seed = parameters["SEED"]
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"parameter SEED must be a non-negative integer, got {seed!r}")
    if declared is not None:
        for key, value in parameters.items():
            if key in ("QUICK", "SEED"):
                continue
            spec = declared.get(key.lower())
            if spec is None:
                raise ValueError(f"parameter {key} is not declared by this chapter; declared: "
                                 f"{', '.join(sorted(k.upper() for k in declared)) or 'none'}")
            if value is not None:
                spec.validate(key, value)
    for key, value in parameters.items():
        if key.startswith("N_"):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"parameter {key} must be a positive integer, got {value!r}")
    _CURRENT["notebook"] = notebook
    _CURRENT["parameters"] = dict(parameters)
    plt.rcParams.update(STYLE)
    _register_png_display()
    # numba compile time of this chapter, for the status page (only where the build asks)
    from ._timings import install_compile_recorder

    install_compile_recorder(notebook)
    return dict(parameters)


def _register_png_display() -> None:
    """Make a Figure shown as a cell's value render as PNG (HTML) and PDF (PDF edition).

    The backend is Agg everywhere (no automatic display at the end of a cell, so a figure is
    shown exactly once, where the chapter returns it); without this formatter IPython would
    store only ``<Figure size ...>`` text and the book would show no picture.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with ipykernel
        return
    if get_ipython() is None:
        return
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    # png for the HTML book, pdf for the PDF edition (MyST-NB's LaTeX renderer prefers it)
    set_matplotlib_formats("png", "pdf", metadata={"Software": None})


def figures_dir() -> Path:
    """The folder figures are written to (``$KERNELNET_FIGURES_DIR`` or ``./figures``)."""
    return Path(os.environ.get("KERNELNET_FIGURES_DIR", "figures"))


def provenance(name: str, caption: str | None = None, **extra) -> dict:
    """The provenance record written beside figure ``name``."""
    git = _provenance.git_state()
    params = dict(_CURRENT["parameters"])
    return {
        "name": name,
        "caption": caption,
        "notebook": _CURRENT["notebook"],
        "parameters": {k: _jsonable(v) for k, v in params.items()},
        "seed": _jsonable(params.get("SEED")),
        "quick": params.get("QUICK"),
        "extra": {k: _jsonable(v) for k, v in extra.items()},
        "git_commit": git["commit"] or "unknown",
        "git_dirty": git["dirty"],
        "versions": _provenance.versions("kernelnet", "numpy", "matplotlib", "numba"),
        "created": _provenance.now(),
    }


def _jsonable(value):
    try:
        json.dumps(value)
        return value
    except TypeError:
        if hasattr(value, "tolist"):
            return value.tolist()
        return repr(value)


def legibility(fig) -> dict:
    """The facts a reader's eye needs: the smallest font size and the sizes it is shown at.

    Returns ``min_font_pt`` (the smallest visible, non-empty text of the figure, in points),
    ``inline_dpi`` (the dots per inch of the PNG shown in the HTML book, the figure's own dpi)
    and ``size_inches``. The browser test turns them into the smallest font size in CSS pixels
    as displayed: ``min_font_pt * inline_dpi / 72 * displayed width / natural width``.
    """
    from matplotlib.text import Text

    sizes = [t.get_fontsize() for t in fig.findobj(Text)
             if t.get_visible() and t.get_text().strip()]
    return {
        "min_font_pt": float(min(sizes)) if sizes else None,
        "inline_dpi": float(fig.dpi),
        "size_inches": [float(v) for v in fig.get_size_inches()],
    }


def savefig(fig, name: str, *, caption: str | None = None, **extra) -> dict:
    """Save ``fig`` as PDF, PNG and SVG under a stable name, with a provenance sidecar.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    name : str
        Semantic, stable file stem (lower case letters, digits, ``_`` and ``-``), e.g.
        ``"hsic_fused_vs_dense"``. Becomes the figure's citable identity.
    caption : str, optional
        Stored in the sidecar for the figure index.
    **extra
        Further JSON-serialisable facts for the sidecar (e.g. sizes used).

    Returns
    -------
    dict
        Paths of the files written, keyed by extension.
    """
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ValueError(
            f"name must be lower-case letters, digits, '_' or '-' (a stable stem), got {name!r}"
        )
    if not hasattr(fig, "savefig"):
        raise ValueError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    out = figures_dir()
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "png": out / f"{name}.png",
        "pdf": out / f"{name}.pdf",
        "svg": out / f"{name}.svg",
        "json": out / f"{name}.json",
    }
    fig.savefig(paths["png"], metadata={"Software": None})
    fig.savefig(paths["pdf"], metadata={"CreationDate": None, "Producer": None, "Creator": None})
    fig.savefig(paths["svg"], metadata={"Date": None, "Creator": None})
    record = provenance(name, caption, **extra)
    record["files"] = {k: p.name for k, p in paths.items() if k != "json"}
    record["legibility"] = legibility(fig)
    paths["json"].write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    return {k: str(p) for k, p in paths.items()}
