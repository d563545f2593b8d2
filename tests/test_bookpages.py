"""Generated pages: the figure index and the execution status, from executed notebooks."""

import json

import nbformat
import pytest

from pathlib import Path

from kernelnet.bookpages import (api_modules, design_floors, figure_table, write_api_page,
                                 write_figures_page, write_status_page)
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
    # wall seconds from papermill; CPU, compile and the full-size record were not measured here,
    # and say so (never 0)
    assert ("| {doc}`../notebooks/07_demo` | yes | 2026-01-01T00:00:00 | 12.5 | not recorded "
            "| not recorded | not recorded | QUICK=True |") in text


ROOT = Path(__file__).resolve().parent.parent


def _package(tmp_path):
    """A package with a module, a private module, a subpackage with __all__ (one unit) and a
    namespace subpackage without it (its public submodules are documented one by one)."""
    pkg = tmp_path / "pkg"
    for rel, text in {"__init__.py": "", "alpha.py": "", "_private.py": "",
                      "beta/__init__.py": "from ._impl import f\n__all__ = ['f']\n",
                      "beta/_impl.py": "def f(): pass\n", "gamma/__init__.py": '"""Doc."""\n',
                      "gamma/one.py": "", "gamma/two.py": "", "gamma/_three.py": ""}.items():
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg / rel).write_text(text)
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "00_a.ipynb").write_text('"from pkg.gamma import two as chapter"')
    design = tmp_path / "DESIGN.md"
    design.write_text("# Plan\n\nMeta text.\n\n<!-- floors: shown on the API page -->\n\n"
                      "1. `beta/`: the beta package.\n2. `alpha.py`: a module.\n\n"
                      "<!-- /floors -->\n\n## Conventions\n")
    return pkg, design


def test_api_modules_are_found_on_disk_in_the_floors_order(tmp_path):
    pkg, design = _package(tmp_path)
    floors = design_floors(design)
    assert floors == "1. `beta/`: the beta package.\n2. `alpha.py`: a module."
    entries = api_modules(pkg, order_text=floors,
                          chapters_text=(tmp_path / "notebooks" / "00_a.ipynb").read_text())
    # named in the floors first (in their order), then the rest; private names never
    assert [(e["name"], e["members"]) for e in entries] == [
        ("pkg.beta", True), ("pkg.alpha", True), ("pkg.gamma", False)]
    # a namespace's submodules: the one a chapter imports first, then alphabetical
    assert [c["name"] for c in entries[2]["children"]] == ["pkg.gamma.two", "pkg.gamma.one"]


def test_api_page_is_intro_floors_and_one_section_per_module(tmp_path):
    pkg, design = _package(tmp_path)
    source = tmp_path / "api.md"
    source.write_text("(api)=\n# API\n\nIntro.\n\n% a comment for editors only\n")
    page = tmp_path / "out.md"
    names = write_api_page(source, page, package_dir=pkg, design=design)
    assert names == ["pkg.beta", "pkg.alpha", "pkg.gamma", "pkg.gamma.two", "pkg.gamma.one"]
    text = page.read_text()
    assert text.startswith("(api)=\n# API\n\nIntro.\n\n## The floors\n") and "%" not in text
    assert "{mod}`beta/ <pkg.beta>`: the beta package" in text  # linked to its section
    assert "Meta text" not in text and "Conventions" not in text
    assert "## `pkg.gamma`\n\n```{eval-rst}\n.. automodule:: pkg.gamma\n   :no-members:\n```" in text
    assert "### `pkg.gamma.two`\n\n```{eval-rst}\n.. automodule:: pkg.gamma.two\n```" in text
    with pytest.raises(ValueError, match="lacks the markers"):
        design_floors(source)


def test_api_page_links_a_submodule_by_its_path_only(tmp_path):
    """`gamma/two.py` links to pkg.gamma.two; a bare `two.py` (another module's name) does not."""
    pkg, design = _package(tmp_path)
    design.write_text("<!-- floors: x -->\n\n1. `beta/`: beta.\n2. `gamma/two.py`: a chapter; "
                      "not `two.py`.\n\n<!-- /floors -->\n")
    source = tmp_path / "api.md"
    source.write_text("# API\n")
    write_api_page(source, tmp_path / "out.md", package_dir=pkg, design=design)
    text = (tmp_path / "out.md").read_text()
    assert "{mod}`gamma/two.py <pkg.gamma.two>`: a chapter" in text
    assert "not `two.py`." in text


def test_design_floors_name_every_public_module():
    """DESIGN.md is the one description of the floors: it names each top-level module."""
    floors = design_floors(ROOT / "DESIGN.md")
    for entry in api_modules(ROOT / "kernelnet"):
        short = entry["name"].rsplit(".", 1)[1]
        assert f"`{short}.py`" in floors or f"`{short}/`" in floors, (
            f"DESIGN.md's floors do not name {entry['name']}: add it to its floor")
