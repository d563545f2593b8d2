"""Generated pages: the figure index and the execution status, from executed notebooks."""

import json

import nbformat
import pytest

from kernelnet.bookpages import figure_table, write_figures_page, write_status_page
from kernelnet.bookpages import figure_label


def _executed(tmp_path, label="fig-demo-curve"):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(
        'fig, ax = plt.subplots()\nsavefig(fig, "demo_curve", caption="Short title. More.")\nfig',
        metadata={"mystnb": {"figure": {"name": label, "caption": "A long caption."}}},
    )
    nb.cells = [nbformat.v4.new_markdown_cell("# Demo"), cell,
                nbformat.v4.new_code_cell("x = 1")]
    nb.metadata["papermill"] = {"parameters": {"QUICK": True}, "start_time": "2026-01-01T00:00:00",
                                "duration": 12.5, "exception": None}
    nbformat.write(nb, tmp_path / "07_demo.ipynb")
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "demo_curve.json").write_text(json.dumps({
        "name": "demo_curve", "caption": "Short title. More.", "notebook": "07_demo",
        "parameters": {"QUICK": True, "SEED": 3}, "seed": 3, "quick": True,
        "git_commit": "0123456789abcdef", "git_dirty": False,
        "versions": {"kernelnet": "0.1.0"}, "created": "2026-01-01T00:00:00+00:00"}))
    return tmp_path


def test_figure_table_links_label_name_chapter_and_sidecar(tmp_path):
    rows = figure_table(_executed(tmp_path))
    assert len(rows) == 1
    row = rows[0]
    assert (row["label"], row["name"], row["chapter"]) == ("fig-demo-curve", "demo_curve",
                                                           "07_demo")
    assert row["provenance"]["seed"] == 3


def test_figure_label_is_fig_and_the_stem():
    assert figure_label("single_layer_rank") == "fig-single-layer-rank"
    for bad in ("", "Has_Caps", "with-dash", "_lead", 3):
        with pytest.raises(ValueError, match="stem must be"):
            figure_label(bad)


def test_figure_table_refuses_a_label_that_is_not_the_stems(tmp_path):
    with pytest.raises(ValueError, match="its label must be 'fig-demo-curve'"):
        figure_table(_executed(tmp_path, label="fig-demo"))


def test_figures_page_has_number_files_bibtex_and_provenance(tmp_path):
    ex = _executed(tmp_path)
    page = tmp_path / "figures.md"
    assert write_figures_page(ex, page, repository_url="https://example.org/kernelnet") == 1
    text = page.read_text()
    assert "{numref}`fig-demo-curve`" in text
    for ext in ("png", "pdf", "svg"):
        assert f"../figures/demo_curve.{ext}" in text
    assert "@misc{kernelnet_demo_curve," in text and "title        = {{Short title}}" in text
    assert "blob/0123456789abcdef/notebooks/07_demo.ipynb" in text  # pinned commit, never main
    assert "SEED=3" in text
    # a thumbnail per figure, linking to the figure in its chapter
    assert "```{image} ../figures/demo_curve.png" in text
    assert ":target: ../notebooks/07_demo.html#fig-demo-curve" in text


def test_status_page_reads_papermill_metadata(tmp_path):
    ex = _executed(tmp_path)
    page = tmp_path / "status.md"
    assert write_status_page(ex, page) == 1
    text = page.read_text()
    assert "| {doc}`../notebooks/07_demo` | yes | 2026-01-01T00:00:00 | 12.5 | QUICK=True |" in text
