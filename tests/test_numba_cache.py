"""numba's cache is keyed on the library's source: an edited callee is never served stale."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import kernelnet
from kernelnet._numba_cache import key_cache_dir, source_key

CALLEE = """
from numba import njit

@njit(cache=True)
def callee(x):
    return x + {value}
"""
CALLER = """
from numba import njit
from .callee import callee

@njit(cache=True)
def caller(x):
    return callee(x) * 1.0
"""


def _scratch(tmp_path: Path, keyed: bool) -> Path:
    pkg = tmp_path / ("keyed" if keyed else "plain") / "scratchpkg"
    pkg.mkdir(parents=True)
    init = ""
    if keyed:
        init = textwrap.dedent(f"""
            import sys
            sys.path.insert(0, {str(Path(kernelnet.__file__).parent.parent)!r})
            from kernelnet._numba_cache import key_cache_dir
            key_cache_dir(__path__[0], "scratchpkg")
        """)
    (pkg / "__init__.py").write_text(init)
    (pkg / "callee.py").write_text(CALLEE.format(value=1))
    (pkg / "caller.py").write_text(CALLER)
    return pkg


def _run(pkg: Path, cache: Path) -> float:
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), PYTHONPATH=str(pkg.parent))
    out = subprocess.run([sys.executable, "-c",
                          "from scratchpkg.caller import caller; print(caller(1.0))"],
                         env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def test_edited_callee_is_seen_with_a_keyed_cache(tmp_path):
    pkg = _scratch(tmp_path, keyed=True)
    cache = tmp_path / "cache_keyed"
    assert _run(pkg, cache) == 2.0
    (pkg / "callee.py").write_text(CALLEE.format(value=10))
    assert _run(pkg, cache) == 11.0  # the edit is seen: a new source key, a fresh cache


def test_plain_cache_serves_the_stale_callee(tmp_path):
    """The control: without keying, numba serves the caller's cached code with the old callee.

    If numba ever fixes this, this test fails and the keying can be reconsidered.
    """
    pkg = _scratch(tmp_path, keyed=False)
    cache = tmp_path / "cache_plain"
    assert _run(pkg, cache) == 2.0
    (pkg / "callee.py").write_text(CALLEE.format(value=10))
    assert _run(pkg, cache) == 2.0


def test_key_changes_with_any_source_byte(tmp_path, monkeypatch):
    pkg = tmp_path / "p"
    pkg.mkdir()
    (pkg / "a.py").write_text("x = 1\n")
    k1 = source_key(pkg)
    (pkg / "a.py").write_text("x = 2\n")
    assert source_key(pkg) != k1
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "c"))
    first = key_cache_dir(pkg, "p")
    assert Path(first).parent == tmp_path / "c" and Path(first).name.startswith("p-")
    assert key_cache_dir(pkg, "p") == first  # idempotent
    (pkg / "a.py").write_text("x = 3\n")
    second = key_cache_dir(pkg, "p")  # re-keyed from the parent, not nested
    assert Path(second).parent == tmp_path / "c" and second != first
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    assert key_cache_dir(pkg, "p") is None
