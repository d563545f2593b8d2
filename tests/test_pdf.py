"""The PDF edition (``bash scripts/book --pdf``), built in quick mode and read back.

Needs xelatex, latexmk and poppler-utils (``scripts/_latex.sh`` installs Debian's packages);
without them the test is skipped, unless ``KERNELNET_REQUIRE_PDF=1`` (CI) makes that a failure.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from kernelnet.bookpages import figure_table
from kernelnet.build import QUICK_BANNER, build_pdf, discover_notebooks

ROOT = Path(__file__).resolve().parent.parent


def _need(tools):
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        msg = f"the PDF edition needs {', '.join(missing)} (scripts/_latex.sh installs them)"
        if os.environ.get("KERNELNET_REQUIRE_PDF") == "1":
            pytest.fail(msg)
        pytest.skip(msg)


def _title(nb: Path) -> str:
    for cell in json.loads(nb.read_text())["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    raise AssertionError(f"{nb} has no title")


@pytest.mark.book
def test_quick_pdf_edition(executed_notebooks):
    _need(("xelatex", "latexmk", "pdftotext", "pdfinfo", "pdfimages"))
    assert all(r.ok for r in executed_notebooks.values()), "a notebook failed; see its test"
    code, pdf, log = build_pdf(ROOT, ROOT / "_build" / "executed", quick=True)
    assert code == 0, log[-5000:]
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    pages = int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))
    assert 50 <= pages <= 1500, pages
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    flat = re.sub(r"\s+", " ", text).replace("\u2019", "'").replace("\u2018", "'")
    for nb in discover_notebooks(ROOT):
        title = re.sub(r"\s+", " ", _title(nb)).replace("$", "")
        # titles may carry math; compare the words before the first math or symbol
        words = re.split(r"[\\{}^_]", title)[0].strip()
        assert words and words in flat, f"chapter title {words!r} ({nb.stem}) not in the PDF"
    assert "??" not in text, "an unresolved reference ('??') in the PDF"
    assert "Undefined" not in text
    assert QUICK_BANNER.split(":")[0] in flat.split("BEFORE YOU START")[0], (
        "the quick banner must be on the title page")
    # every numbered figure is embedded: as a vector PDF (no raster image) or as an image.
    # Sphinx includes each figure file once; count the figure files LaTeX read.
    n_figures = len(figure_table(ROOT / "_build" / "executed"))
    latex_dir = ROOT / "_build" / "pdfbook" / "_build" / "latex"
    tex = (latex_dir / "kernelnet.tex").read_text()
    included = [a + b for a, b in re.findall(
        r"\\sphinxincludegraphics(?:\[[^\]]*\])?\{\{([^}]+)\}(\.\w+)\}", tex)]
    assert len(included) >= n_figures, (len(included), n_figures)
    for name in included:
        assert (latex_dir / name).exists(), f"figure file {name} missing"
    vector = [n for n in included if n.endswith(".pdf")]
    assert len(vector) >= n_figures, (
        f"the PDF edition should embed every figure as a vector PDF: {len(vector)} of "
        f"{n_figures}")
