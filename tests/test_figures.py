"""kernelnet.figures: parameter checks, files written, provenance, byte-stable PNG/SVG."""

import hashlib
import json

import numpy as np
import pytest

from kernelnet import figures


def _plot(seed):
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(seed)
    fig, ax = plt.subplots()
    ax.plot(rng.standard_normal(50), label="noise")
    ax.set_title(r"$\mathrm{HSIC}$ demo")
    ax.legend()
    return fig


def _digest(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def test_savefig_writes_files_and_sidecar(tmp_path, monkeypatch):
    monkeypatch.setenv("KERNELNET_FIGURES_DIR", str(tmp_path))
    figures.setup_notebook("99_demo", QUICK=True, SEED=3, N_SAMPLES=10)
    paths = figures.savefig(_plot(3), "demo_plot", caption="A demo.", n=50)
    for ext in ("png", "pdf", "svg", "json"):
        assert (tmp_path / f"demo_plot.{ext}").stat().st_size > 0
    rec = json.loads((tmp_path / "demo_plot.json").read_text())
    assert rec["notebook"] == "99_demo"
    assert rec["seed"] == 3 and rec["quick"] is True
    assert rec["parameters"]["N_SAMPLES"] == 10
    assert rec["caption"] == "A demo."
    assert rec["extra"] == {"n": 50}
    assert rec["versions"]["kernelnet"]
    assert set(rec["files"]) == {"png", "pdf", "svg"}
    assert paths["png"].endswith("demo_plot.png")


def test_same_seed_same_bytes(tmp_path, monkeypatch):
    figures.setup_notebook("99_demo", QUICK=True, SEED=0)
    digests = []
    for sub in ("a", "b"):
        monkeypatch.setenv("KERNELNET_FIGURES_DIR", str(tmp_path / sub))
        figures.savefig(_plot(0), "same")
        digests.append({e: _digest(tmp_path / sub / f"same.{e}") for e in ("png", "svg", "pdf")})
    assert digests[0] == digests[1]
    monkeypatch.setenv("KERNELNET_FIGURES_DIR", str(tmp_path / "c"))
    figures.savefig(_plot(1), "same")
    assert _digest(tmp_path / "c" / "same.png") != digests[0]["png"]


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(SEED=0), "QUICK is missing"),
        (dict(QUICK=True), "SEED is missing"),
        (dict(QUICK="yes", SEED=0), "QUICK must be True or False"),
        (dict(QUICK=True, SEED=-1), "SEED must be a non-negative integer"),
        (dict(QUICK=True, SEED=1.5), "SEED must be a non-negative integer"),
        (dict(QUICK=True, SEED=0, N_FOLDS=0), "N_FOLDS must be a positive integer"),
    ],
)
def test_setup_notebook_rejects_bad_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        figures.setup_notebook("99_demo", **params)


def test_savefig_rejects_bad_names(tmp_path, monkeypatch):
    monkeypatch.setenv("KERNELNET_FIGURES_DIR", str(tmp_path))
    with pytest.raises(ValueError, match="name must be"):
        figures.savefig(_plot(0), "Bad Name.png")
    with pytest.raises(ValueError, match="fig must be"):
        figures.savefig("not a figure", "ok_name")
