"""The kernelnet command: listing, running, reproducing, figure provenance, clear errors."""

import json
from pathlib import Path

import nbformat
import pytest

from kernelnet import cli
from kernelnet.build import discover_notebooks

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch):
    monkeypatch.chdir(ROOT)


def test_list_shows_every_chapter_and_its_parameters(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    for nb in discover_notebooks(ROOT):
        assert nb.stem in out
    assert "QUICK =" in out and "SEED =" in out


@pytest.mark.parametrize("name", ["00_hsic", "00", "0", "hsic"])
def test_resolve_chapter_by_stem_number_or_slug(name):
    assert cli.resolve_chapter(name, ROOT).stem == "00_hsic"


def test_unknown_chapter_parameter_and_figure_exit_2(capsys):
    assert cli.main(["run", "no_such_chapter"]) == 2
    assert "unknown chapter 'no_such_chapter'; chapters are: 00_hsic" in capsys.readouterr().err
    assert cli.main(["run", "hsic", "-p", "SEEED", "1", "--quick"]) == 2
    assert "unknown parameter(s) SEEED" in capsys.readouterr().err
    assert cli.main(["figure", "no_such_figure"]) == 2
    assert "unknown figure 'no_such_figure'" in capsys.readouterr().err


def _fake_run(folder: Path, chapter: str, number: str, png: bytes):
    folder.mkdir(parents=True)
    (folder / "figures").mkdir()
    nb = nbformat.v4.new_notebook()
    out = nbformat.v4.new_output(
        "display_data",
        data={"application/papermill.record/text/plain": repr(number)},
        metadata={"scrapbook": {"name": "key", "mime_prefix": "application/papermill.record/"}},
    )
    cell = nbformat.v4.new_code_cell("glue('key', ...)")
    cell.outputs = [out]
    nb.cells = [cell]
    nbformat.write(nb, folder / f"{chapter}.ipynb")
    side = {"notebook": chapter, "parameters": {"QUICK": True, "SEED": 0}, "versions": {"x": 1}}
    (folder / "figures" / "fig_a.json").write_text(json.dumps(side))
    (folder / "figures" / "fig_a.png").write_bytes(png)


def test_compare_runs_reports_changed_numbers_and_figures(tmp_path):
    _fake_run(tmp_path / "ref", "00_x", "0.5", b"png-1")
    _fake_run(tmp_path / "same", "00_x", "0.5", b"png-1")
    _fake_run(tmp_path / "new", "00_x", "0.6", b"png-2")
    assert cli.compare_runs(tmp_path / "ref", tmp_path / "same", "00_x") == []
    changes = cli.compare_runs(tmp_path / "ref", tmp_path / "new", "00_x")
    assert any("number key: '0.5' -> '0.6'" in c for c in changes)
    assert any("fig_a PNG bytes differ" in c for c in changes)


@pytest.mark.notebooks
def test_run_writes_executed_notebook_and_figures(tmp_path, capsys):
    code = cli.main(["run", "hsic", "--quick", "-p", "SEED", "1", "--output", str(tmp_path)])
    assert code == 0, capsys.readouterr().err
    assert (tmp_path / "00_hsic.ipynb").exists()
    side = json.loads((tmp_path / "figures" / "hsic_dependence.json").read_text())
    assert side["seed"] == 1 and side["quick"] is True
    # a bad value is refused before the notebook runs (usage error, exit 2; issue 20)
    assert cli.main(["run", "hsic", "--quick", "-p", "SEED", "-4", "--output",
                     str(tmp_path / "bad")]) == 2
    assert "SEED must be a non-negative integer" in capsys.readouterr().err
