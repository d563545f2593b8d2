"""The library's docstring examples run with the suite, and collecting them stays cheap.

``pyproject.toml`` makes pytest collect ``kernelnet/`` with ``--doctest-modules`` (so
``bash scripts/test`` runs every example); collection imports every module of the package,
private topic files of subpackages included, so no module may pull in the notebook or book
machinery when imported.
"""

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Imported only inside the functions that execute notebooks or build the book.
NOT_AT_IMPORT = ("papermill", "nbclient", "jupyter_client", "ipykernel", "sphinx", "jupyter_book",
                 "myst_nb", "playwright", "dask", "distributed")


def test_the_suite_collects_the_library_doctests():
    opts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert "kernelnet" in opts["testpaths"] and "tests" in opts["testpaths"]
    assert "--doctest-modules" in opts["addopts"].split()


def test_importing_every_module_starts_no_notebook_machinery():
    code = (
        "import importlib, pkgutil, sys, kernelnet\n"
        "names = [m.name for m in pkgutil.walk_packages(kernelnet.__path__, 'kernelnet.')]\n"
        "for name in names:\n"
        "    importlib.import_module(name)\n"
        f"print(len(names), sorted(m for m in {NOT_AT_IMPORT!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout.split(maxsplit=1)
    assert int(out[0]) >= 20  # every module was found, private topic files included
    assert out[1].strip() == "[]", f"imported when the library is imported: {out[1]}"
