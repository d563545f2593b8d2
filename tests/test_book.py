"""The book builds from the executed notebooks, and a failing notebook fails the build."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from kernelnet.build import QUICK_BANNER, build_book, discover_notebooks, execute_all

ROOT = Path(__file__).resolve().parent.parent


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
