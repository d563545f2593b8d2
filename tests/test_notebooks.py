"""Every notebook in notebooks/ follows the conventions and runs in quick mode.

New chapters are covered without touching this file: the list comes from the folder.
"""

import json
import re
from pathlib import Path

import pytest

from kernelnet.build import check_parameters, discover_notebooks, execute_notebook

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = discover_notebooks(ROOT)
IDS = [p.stem for p in NOTEBOOKS]


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ holds no NN_slug.ipynb chapter"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_conventions(path):
    cells = json.loads(path.read_text())["cells"]
    assert cells[0]["cell_type"] == "markdown" and "".join(cells[0]["source"]).lstrip().startswith(
        ("#", "(")
    ), "first cell must be a markdown title"
    code = [c for c in cells if c["cell_type"] == "code"]
    first = code[0]
    assert "parameters" in first["metadata"].get("tags", []), "first code cell is not tagged"
    src = "".join(first["source"])
    for name in ("QUICK", "SEED"):
        assert re.search(rf"^{name}\s*=", src, re.M), f"parameters cell lacks {name}"
    assert "KERNELNET_QUICK" in src, "QUICK's default must read $KERNELNET_QUICK"
    assert sum("parameters" in c["metadata"].get("tags", []) for c in code) == 1
    assert not any(c.get("outputs") or c.get("execution_count") for c in code), (
        "stored with outputs: the build computes them"
    )
    toc = (ROOT / "_toc.yml").read_text()
    assert re.search(rf"file:\s*notebooks/{path.stem}\s*$", toc, re.M), "not listed in _toc.yml"
    assert "setup_notebook(" in "".join("".join(c["source"]) for c in code[1:3]), (
        "the cell after the parameters must call kernelnet.figures.setup_notebook"
    )


@pytest.mark.notebooks
@pytest.mark.parametrize("name", IDS)
def test_runs_in_quick_mode(executed_notebooks, name):
    rec = executed_notebooks[name]
    assert rec.ok, f"{name} failed: {rec.error}"
    assert rec.parameters["QUICK"] is True


def test_unknown_parameter_is_an_error():
    with pytest.raises(ValueError, match="unknown parameter.*QUIK"):
        check_parameters(NOTEBOOKS[0], {"QUICK": True, "QUIK": False})


@pytest.mark.notebooks
def test_bad_parameter_value_fails_at_once(tmp_path):
    rec = execute_notebook(NOTEBOOKS[0], tmp_path, quick=True, parameters={"SEED": -1})
    assert not rec.ok
    assert "SEED must be a non-negative integer" in rec.error
    out = json.loads(Path(rec.output).read_text())
    executed = [c for c in out["cells"] if c["cell_type"] == "code" and c.get("execution_count")]
    assert len(executed) <= 3, "the bad value must fail in the set-up cell, not later"


@pytest.mark.notebooks
@pytest.mark.parametrize("name", IDS)
def test_every_numbered_figure_is_stored_as_an_image(executed_notebooks, name):
    """A figure cell must carry image/png, not only '<Figure size ...>' text."""
    rec = executed_notebooks[name]
    if not rec.ok:
        pytest.skip(f"{name} failed to execute (reported by test_runs_in_quick_mode)")
    cells = json.loads(Path(rec.output).read_text())["cells"]
    fig_cells = [c for c in cells if c.get("metadata", {}).get("mystnb", {}).get("figure")]
    for c in fig_cells:
        kinds = {k for o in c.get("outputs", []) for k in o.get("data", {})}
        label = c["metadata"]["mystnb"]["figure"].get("name")
        assert "image/png" in kinds, f"{name}: figure {label} has no image output ({kinds})"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_hidden_cell_defines_a_function(path):
    """Logic lives in the library: a cell whose input is hidden may not define a function."""
    import ast

    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] != "code":
            continue
        tags = cell["metadata"].get("tags", [])
        if not {"remove-input", "remove-cell", "hide-input"} & set(tags):
            continue
        tree = ast.parse("".join(cell["source"]))
        defs = [n.name for n in ast.walk(tree)
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
        assert not defs, f"hidden cell defines {defs}: move it into kernelnet.experiments"


@pytest.mark.notebooks
def test_published_findings_name_registry_ids(executed_notebooks):
    """Every finding a chapter publishes names a registry claim, once, in the vocabulary."""
    from kernelnet import claims

    records = claims.findings_from_executed(ROOT / "_build" / "executed")
    assert records, "no chapter published findings (kernelnet.claims.publish)"
    table = claims.ledger(records)  # raises on an unknown or doubly reported id
    assert set(table["verdict"]) <= set(claims.VERDICTS) | {claims.PROVISIONAL}
    sections = claims.section_labels(ROOT / "_build" / "executed")
    for rec in records:
        assert rec["quick"] is True  # the suite runs the chapters in quick mode
        for f in rec["findings"]:
            assert not f["section"] or sections.get(f["section"]) == rec["chapter"], (
                f"{f['claim_id']} links section {f['section']!r}, which {rec['chapter']} "
                "does not define")
        for f in rec["findings"]:
            row = table.set_index("id").loc[f["claim_id"]]
            assert row["chapter"] == rec["chapter"], (
                f"{f['claim_id']} is registered to {row['chapter']} but published by "
                f"{rec['chapter']}")
