"""Build and reproduction safety (issue 20, item 6): no fake "passed", no lost book, no unseen
figure change. Nothing here runs a notebook or Jupyter Book: the executed copies and the
figure folders are constructed, and jupyter-book is replaced by a stand-in script."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest

from kernelnet import build, cli

PYTHON = sys.executable  # the tests below replace sys.executable (build.py finds jupyter-book by it)


def _executed(folder: Path, stem: str, *, ran: bool = True, error: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook()
    cells = [nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("y = 2")]
    cells[0].execution_count = 1
    cells[1].execution_count = 2 if ran else None
    if error:
        cells[1].outputs = [nbformat.v4.new_output("error", ename="ZeroDivisionError",
                                                   evalue="division by zero", traceback=[])]
    nb.cells = cells
    path = folder / f"{stem}.ipynb"
    nbformat.write(nb, path)
    return path


def test_interrupted_or_failed_notebooks_are_not_passed(tmp_path):
    _executed(tmp_path, "00_a")
    assert build.check_executed_dir(tmp_path) == []
    _executed(tmp_path, "01_b", ran=False)  # killed mid-run: a cell never executed
    _executed(tmp_path, "02_c", error=True)
    problems = build.check_executed_dir(tmp_path)
    assert any("01_b.ipynb: code cell 1 was not executed" in p for p in problems)
    assert any("02_c.ipynb: code cell 1 raised ZeroDivisionError" in p for p in problems)
    (tmp_path / "execution.json").write_text(json.dumps(
        {"records": [{"notebook": "00_a", "ok": False, "error": "Timeout"}]}))
    assert any(p == "00_a: failed (Timeout)" for p in build.check_executed_dir(tmp_path))
    assert build.check_executed_dir(tmp_path / "none") == [f"no executed notebooks in "
                                                          f"{tmp_path / 'none'}"]


def test_skip_execute_refuses_incomplete_notebooks(tmp_path, monkeypatch, capsys):
    root = tmp_path / "book"
    (root / "notebooks").mkdir(parents=True)
    (root / "_toc.yml").write_text("format: jb-book\nroot: intro\n")
    _executed(root / "_build" / "executed", "00_a", ran=False)
    monkeypatch.chdir(root)
    monkeypatch.setattr(build, "build_book", lambda *a, **k: pytest.fail("must not build"))
    assert build.main(["--skip-execute", "--quick"]) == 1
    assert "the executed notebooks are incomplete" in capsys.readouterr().err


def _fake_jupyter_book(tmp_path, monkeypatch, *, fail: bool, page: str):
    """A stand-in jupyter-book: writes index.html into --path-output's html folder."""
    script = tmp_path / "jupyter-book"
    script.write_text(
        f"#!{PYTHON}\n"
        "import sys, pathlib\n"
        "out = pathlib.Path(sys.argv[sys.argv.index('--path-output') + 1])\n"
        "html = out / '_build' / 'html'\n"
        "html.mkdir(parents=True, exist_ok=True)\n"
        f"(html / 'index.html').write_text({page!r})\n"
        f"sys.exit({1 if fail else 0})\n")
    script.chmod(0o755)
    monkeypatch.setattr(build.sys, "executable", str(tmp_path / "python"))
    monkeypatch.setattr(build, "_stage", lambda *a, **k: None)


def test_failed_build_keeps_the_last_good_html(tmp_path, monkeypatch):
    root = tmp_path / "root"
    (root / "_build").mkdir(parents=True)
    _fake_jupyter_book(tmp_path, monkeypatch, fail=False, page="good")
    code, index, _ = build.build_book(root, tmp_path, quick=True)
    assert code == 0 and index.read_text() == "good"
    _fake_jupyter_book(tmp_path, monkeypatch, fail=True, page="broken")
    code, index, _ = build.build_book(root, tmp_path, quick=True)
    assert code == 1 and index.read_text() == "good"  # not replaced by the failed build
    assert not (root / "_build" / "html.new").exists()


def _run_folder(folder: Path, chapter: str, figures: dict) -> None:
    """An executed copy with no glued numbers and the given figures {name: {fmt: bytes}}."""
    (folder / "figures").mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(), folder / f"{chapter}.ipynb")
    for name, files in figures.items():
        side = {"notebook": chapter, "parameters": {"QUICK": True}, "versions": {"x": 1}}
        (folder / "figures" / f"{name}.json").write_text(json.dumps(side))
        for fmt, data in files.items():
            (folder / "figures" / f"{name}.{fmt}").write_bytes(data)


def test_reproduce_sees_any_format_and_vanished_figures(tmp_path):
    same = {"png": b"p", "pdf": b"d", "svg": b"s"}
    _run_folder(tmp_path / "ref", "00_x", {"a": same, "b": same, "c": same, "gone": same})
    _run_folder(tmp_path / "new", "00_x", {"a": same, "b": {**same, "svg": b"S"},
                                           "c": {"png": b"p", "pdf": b"D"}})
    changes = cli.compare_runs(tmp_path / "ref", tmp_path / "new", "00_x")
    assert "00_x: figure b SVG bytes differ" in changes
    assert "00_x: figure c PDF bytes differ" in changes
    assert "00_x: figure c SVG file vanished" in changes
    assert "00_x: figure gone vanished (in the reference, not produced now)" in changes
    assert not any(" a " in c for c in changes)


def test_execution_record_lists_only_the_chapters_own_figures(tmp_path):
    figs = tmp_path / "figures"
    figs.mkdir()
    for name, owner in (("mine", "00_x"), ("theirs", "01_y")):
        (figs / f"{name}.json").write_text(json.dumps({"notebook": owner}))
    assert build._chapter_figures(figs, "00_x") == ["mine"]
