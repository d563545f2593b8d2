"""kernelnet._provenance: git state, versions, machine and source digests (one home, issue 18)."""

import shutil
import subprocess

import numpy as np
import pytest

from kernelnet import _provenance as prov


@pytest.fixture
def no_git_override(monkeypatch):
    monkeypatch.delenv("KERNELNET_GIT_COMMIT", raising=False)
    monkeypatch.delenv("KERNELNET_GIT_DIRTY", raising=False)


def test_git_state_override_sets_both_flags(monkeypatch):
    monkeypatch.setenv("KERNELNET_GIT_COMMIT", "abc123")
    monkeypatch.setenv("KERNELNET_GIT_DIRTY", "1")
    assert prov.git_state() == {"commit": "abc123", "dirty": True, "kernelnet_dirty": True}
    monkeypatch.setenv("KERNELNET_GIT_DIRTY", "0")
    assert prov.git_state()["dirty"] is False and prov.git_state()["kernelnet_dirty"] is False


def test_git_state_outside_a_repository_is_unknown(tmp_path, no_git_override):
    assert prov.git_state(tmp_path) == {"commit": None, "dirty": None, "kernelnet_dirty": None}


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_git_state_tells_the_tree_from_kernelnet(tmp_path, no_git_override):
    """``dirty`` (the figures' sidecar) covers the tree, ``kernelnet_dirty`` (the committed
    tables) only ``kernelnet/``: an edit outside the package sets only the first."""
    def git(*args):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
                       cwd=tmp_path, check=True, capture_output=True)

    (tmp_path / "kernelnet").mkdir()
    (tmp_path / "kernelnet" / "a.py").write_text("x = 1\n")
    (tmp_path / "notes.md").write_text("notes\n")
    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "first")
    clean = prov.git_state(tmp_path)
    assert len(clean["commit"]) == 40
    assert clean["dirty"] is False and clean["kernelnet_dirty"] is False
    (tmp_path / "notes.md").write_text("edited\n")
    assert prov.git_state(tmp_path)["dirty"] is True
    assert prov.git_state(tmp_path)["kernelnet_dirty"] is False
    (tmp_path / "kernelnet" / "a.py").write_text("x = 2\n")
    assert prov.git_state(tmp_path)["kernelnet_dirty"] is True
    (tmp_path / "untracked.txt").write_text("new\n")  # untracked files do not count
    git("checkout", "--", ".")
    assert prov.git_state(tmp_path)["dirty"] is False


def test_versions_and_machine():
    v = prov.versions("numpy", "scikit-learn", "no_such_module_xyz")
    assert v["numpy"] == np.__version__ and "scikit-learn" in v
    assert "no_such_module_xyz" not in v
    m = prov.machine()
    for key in ("platform", "python", "cpu_count", "numpy", "scipy", "scikit-learn", "blas"):
        assert key in m, key
    assert isinstance(m["blas"], list)


def test_source_digests_of_files_and_packages(tmp_path):
    (tmp_path / "mod.py").write_text("a = 1\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "_x.py").write_text("b = 2\n")
    d = prov.source_digests(("mod", "pkg", "gone"), package=tmp_path)
    assert set(d) == {"kernelnet/mod.py", "kernelnet/pkg/", "kernelnet/gone.py"}
    assert d["kernelnet/gone.py"] is None
    import hashlib

    assert d["kernelnet/mod.py"] == hashlib.sha256(b"a = 1\n").hexdigest()
    (tmp_path / "pkg" / "_x.py").write_text("b = 3\n")  # an edit inside the package shows
    assert prov.source_digests(("pkg",), package=tmp_path)["kernelnet/pkg/"] != d["kernelnet/pkg/"]
    # the real library: a module file and the poster-table package
    real = prov.source_digests(("hsic", "experiments/poster_table"))
    assert real["kernelnet/hsic.py"] and real["kernelnet/experiments/poster_table/"]
