"""The book builds from the executed notebooks, and a failing notebook fails the build; every
figure is named by its savefig stem, and renamed figure labels keep their old anchors."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from kernelnet.bookpages import FIGURE_PREFIXES, figure_cells, figure_label
from kernelnet.build import QUICK_BANNER, build_book, discover_notebooks, execute_all

ROOT = Path(__file__).resolve().parent.parent

#: Figure labels renamed when every label became ``figure_label(stem)`` (issue 18): readers cite
#: the old anchors, so each old label stays as a MyST target right before its figure's cell.
RENAMED_FIGURE_LABELS = {
    "fig-layerwise-theorems": "fig-layerwise-theorems-1-2",
    "fig-layerwise-claim3": "fig-layerwise-claim3-losses",
    "fig-layerwise-claims45": "fig-layerwise-claims-4-5",
    "fig-paper-table-hsic-layers": "fig-paper-table-hsic-per-layer",
    "fig-sl-rank": "fig-single-layer-rank",
    "fig-sl-peaks": "fig-single-layer-peaks",
    "fig-sl-derivative-check": "fig-single-layer-derivative-check",
    "fig-sl-landscape": "fig-single-layer-landscape",
    "fig-sl-inverse-crime": "fig-single-layer-inverse-crime",
    "fig-sl-hessian-spectrum": "fig-single-layer-hessian-spectrum",
    "fig-sl-budgets": "fig-single-layer-budgets",
    "fig-sl-curvature": "fig-single-layer-curvature",
    "fig-sl-recovery": "fig-single-layer-recovery",
    "fig-sl-adversarial": "fig-single-layer-adversarial",
    "fig-lagrangian-taylor": "fig-learning-rules-lagrangian-backprop-taylor",
    "fig-wp-np-estimates": "fig-learning-rules-wp-np-gradient-estimates",
    "fig-wp-np-bias": "fig-learning-rules-wp-np-bias-nonlinear",
    "fig-learning-curves": "fig-learning-rules-bp-np-wp-learning-curves",
    "fig-werfel-scaling": "fig-learning-rules-bp-np-wp-scaling",
    "fig-sigmoid-tanh": "fig-learning-rules-sigmoid-tanh-equivalence",
    "fig-linear-neuron": "fig-learning-rules-linear-neuron-regimes",
    "fig-hebbian": "fig-learning-rules-hebbian-divergence",
    "fig-oja-sanger": "fig-learning-rules-oja-sanger-angles",
    "fig-deep-linear": "fig-learning-rules-deep-linear-modes",
    "fig-perceptron": "fig-learning-rules-perceptron-novikoff",
    "fig-diverse-gram": "fig-diverse-gram-convergence",
    "fig-diverse-spectrum": "fig-diverse-kernel-spectrum",
    "fig-diverse-bound": "fig-diverse-spectrum-bound",
    "fig-diverse-key": "fig-diverse-key-inequality",
    "fig-diverse-table": "fig-diverse-regulariser-table",
    "fig-diverse-flow": "fig-diverse-gradient-flow",
    "fig-fl-curse": "fig-feature-learning-curse-of-dimensionality",
    "fig-fl-lemma1": "fig-feature-learning-lemma1-population-gradient",
    "fig-fl-alignment": "fig-feature-learning-first-step-alignment",
    "fig-fl-sample-complexity": "fig-feature-learning-sample-complexity",
    "fig-fl-assumption2": "fig-feature-learning-assumption2",
    "fig-fl-width": "fig-feature-learning-width-sweep",
    "fig-fl-solvers": "fig-feature-learning-solver-scaling",
    "fig-fl-heaviside": "fig-feature-learning-heaviside-kernel-vs-network",
}


def _source(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def test_every_figure_is_named_by_its_stem():
    """label == figure_label(stem), the stem starts with its chapter's prefix, stems unique."""
    stems = []
    for nb in discover_notebooks(ROOT):
        assert nb.stem in FIGURE_PREFIXES, (
            f"{nb.stem} has no figure prefix: add it to kernelnet.bookpages.FIGURE_PREFIXES")
        cells = figure_cells(nb)
        assert cells, f"{nb.stem} has no figure cell"
        for cell in cells:
            assert len(cell["stems"]) == 1, f"{nb.stem} cell {cell['index']}: one savefig per figure"
            (stem,) = cell["stems"]
            assert stem.startswith(FIGURE_PREFIXES[nb.stem] + "_"), (nb.stem, stem)
            assert cell["label"] == figure_label(stem), (nb.stem, stem, cell["label"])
            stems.append(stem)
    assert len(stems) == len(set(stems)), "two figures share a savefig stem"


def test_renamed_figure_labels_keep_their_old_anchor():
    """Each old label is a target ending the cell right before the figure that now carries the
    new label (the anchor lands on that figure's cell), and no reference uses an old label."""
    anchors = {}
    for nb in discover_notebooks(ROOT):
        nb_cells = json.loads(nb.read_text())["cells"]
        for cell in figure_cells(nb):
            prev = nb_cells[cell["index"] - 1]
            if prev["cell_type"] != "markdown":
                continue
            last = _source(prev).rstrip().splitlines()[-1]
            m = re.fullmatch(r"\((fig-[a-z0-9\-]+)\)=", last)
            if m:
                anchors[m.group(1)] = cell["label"]
    assert anchors == RENAMED_FIGURE_LABELS
    texts = [p.read_text() for p in (ROOT / "book").glob("*.md")]
    texts += [_source(c) for nb in discover_notebooks(ROOT)
              for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "markdown"]
    for text in texts:
        for ref in re.findall(r"\{(?:numref|ref)\}`(?:[^`<]*<)?(fig-[a-z0-9\-]+)>?`", text):
            assert ref not in RENAMED_FIGURE_LABELS, f"{{numref}} of the old label {ref}"


@pytest.mark.book
def test_book_builds_from_executed_notebooks(executed_notebooks):
    assert all(r.ok for r in executed_notebooks.values()), "a notebook failed; see its test"
    code, index, log = build_book(ROOT, ROOT / "_build" / "executed", quick=True)
    assert code == 0, log[-5000:]
    assert index.exists()
    html = ROOT / "_build" / "html"
    for nb in discover_notebooks(ROOT):
        page = html / "notebooks" / f"{nb.stem}.html"
        assert page.exists(), f"{page} missing"
        text = page.read_text()
        assert QUICK_BANNER.split(":")[0] in text, "quick build must carry the banner"
        assert "Traceback" not in text
    # the claims ledger: one row per registry claim, and the record kernelnet claims reads
    from kernelnet import claims

    n_rows = sum(1 for line in (ROOT / "_build" / "stage" / "book" / "claims.md").read_text()
                 .splitlines() if line.startswith("| `"))
    assert n_rows == len(claims.registry())
    assert claims.read_record(ROOT / "_build" / "claims.json")


def _raising_book(tmp_path):
    """A one-chapter book with the project's config whose notebook raises."""
    book = tmp_path / "book_src"
    (book / "notebooks").mkdir(parents=True)
    shutil.copytree(ROOT / "book", book / "book")
    cfg = (ROOT / "_config.yml").read_text()
    (book / "_config.yml").write_text(cfg)
    (book / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nchapters:\n  - file: notebooks/00_broken\n"
    )
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Broken"),
        nbformat.v4.new_code_cell("QUICK = False\nSEED = 0", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("raise RuntimeError('this chapter is broken')"),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, book / "notebooks" / "00_broken.ipynb")
    return book


@pytest.mark.book
def test_raising_notebook_fails_the_pipeline(tmp_path):
    book = _raising_book(tmp_path)
    records = execute_all(book, tmp_path / "executed", quick=True, progress=False)
    assert not records[0].ok and "this chapter is broken" in records[0].error
    proc = subprocess.run([sys.executable, "-m", "kernelnet.build", "--quick"], cwd=book,
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert "notebook execution failed" in proc.stderr


@pytest.mark.book
def test_raising_notebook_fails_a_plain_jupyter_book_build(tmp_path):
    """_config.yml itself (execute: force + nb_execution_raise_on_error) fails the build."""
    book = _raising_book(tmp_path)
    jb = Path(sys.executable).with_name("jupyter-book")
    proc = subprocess.run([str(jb), "build", str(book), "-W", "--keep-going"],
                          capture_output=True, text=True)
    assert proc.returncode != 0, proc.stdout[-3000:]
    assert "this chapter is broken" in proc.stdout + proc.stderr


def _env_book(tmp_path):
    """A one-chapter book whose notebook records the sweep workers its kernel would use."""
    book = tmp_path / "env_book"
    (book / "notebooks").mkdir(parents=True)
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("QUICK = True", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("from pathlib import Path\n"
                                  "from kernelnet.parallel import default_jobs\n"
                                  "Path('unit_jobs.txt').write_text(str(default_jobs()))"),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, book / "notebooks" / "00_env.ipynb")
    return book


@pytest.mark.book
@pytest.mark.parametrize("quick", [True, False])
def test_one_job_full_build_runs_chapter_sweeps_on_every_core(tmp_path, monkeypatch, quick):
    import os

    from kernelnet.parallel import UNIT_JOBS_ENV

    monkeypatch.delenv(UNIT_JOBS_ENV, raising=False)
    book = _env_book(tmp_path)
    out = tmp_path / "executed"
    (rec,) = execute_all(book, out, quick=quick, progress=False)
    assert rec.ok, rec.error
    want = "None" if quick else str(os.cpu_count())
    assert (out / "unit_jobs.txt").read_text() == want  # written by the kernel (cwd: out)
    assert json.loads((out / "execution.json").read_text())["unit_jobs"] == \
        (None if quick else os.cpu_count())
    assert UNIT_JOBS_ENV not in os.environ  # restored after the build
