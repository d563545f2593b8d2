"""Chapter 0: what HSIC measures, and the fused route against the dense one.

Both experiments return tables; the notebook ``00_hsic`` draws them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._validation import as_rng, check_int, one_hot
from ..claims import Finding, Parameter, resolve_parameters
from ..hsic import hsic, hsic_gaussian, normalized_hsic
from ..kernels import gaussian_kernel, median_heuristic
from ..parallel import map_units

__all__ = ["HSICChapter", "PARAMETERS", "agreement_verdict", "blobs", "dependence_sweep",
           "fused_vs_dense", "independence_verdict", "run"]


def blobs(n: int, separation: float, *, n_classes: int = 3, d: int = 2, random_state=None):
    """``n`` points in ``n_classes`` Gaussian blobs whose centres sit ``separation`` apart.

    Class k has centre ``separation * e_k`` (first ``n_classes`` unit vectors, padded with
    zeros to ``d`` dimensions) and identity covariance. ``separation = 0`` makes the inputs
    independent of the labels, so the population HSIC is exactly zero.
    """
    n = check_int(n, "n", minimum=2)
    n_classes = check_int(n_classes, "n_classes", minimum=2)
    d = check_int(d, "d", minimum=1)
    rng = as_rng(random_state)
    y = np.arange(n) % n_classes
    centres = np.zeros((n_classes, d))
    for k in range(n_classes):
        centres[k, k % d] = 1.0 if k < d else -1.0
    X = separation * centres[y] + rng.standard_normal((n, d))
    return X, y


def _dependence_unit(unit, seed):
    """One separation of :func:`dependence_sweep`: fresh blobs, HSIC and its permutation null.

    Module level so that :func:`kernelnet.parallel.map_units` can ship it to a worker.
    """
    sep, p = unit
    rng = np.random.default_rng(seed)
    n_permutations = p["n_permutations"]
    X, y = blobs(p["n"], float(sep), random_state=rng)
    sigma = median_heuristic(X)
    K = gaussian_kernel(X, sigma=sigma)
    L = one_hot(y) @ one_hot(y).T
    null = np.array([hsic_gaussian(X, rng.permutation(y), sigma=sigma)
                     for _ in range(n_permutations)])
    observed = hsic_gaussian(X, y, sigma=sigma)
    return {
        "separation": float(sep),
        "sigma": sigma,
        "hsic_fused": observed,
        "hsic_dense": hsic(K, L),
        "nhsic_cka": normalized_hsic(K, L, variant="cka"),
        "nhsic_authors": normalized_hsic(K, L, variant="authors"),
        "null_mean": float(null.mean()),
        "null_q95": float(np.quantile(null, 0.95)),
        # permutation p-value with the +1 correction (Phipson & Smyth 2010): never 0
        "p_value": (1 + int(np.sum(null >= observed))) / (1 + n_permutations),
    }


def dependence_sweep(
    separations, *, n: int = 300, n_permutations: int = 20, random_state=0, n_jobs=None,
    backend=None, scheduler=None
) -> pd.DataFrame:
    r"""HSIC between blob inputs and their labels as the blobs move apart.

    For each separation: the fused and the dense HSIC at the median-heuristic bandwidth, both
    normalised variants, the mean and 95th percentile of HSIC under random permutations of
    the labels (the null of independence) and the permutation p-value
    :math:`(1 + \#\{\text{null} \ge \text{observed}\})/(1 + B)`, all through
    :mod:`kernelnet.hsic`.

    The separations are independent units run through :func:`kernelnet.parallel.map_units`
    (``n_jobs``, ``backend``, ``scheduler``), each drawing its blobs and permutations from its
    own generator seeded by ``(random_state, unit index)``, so the table is identical serially,
    on local processes or on a Dask cluster. ``random_state`` is a non-negative int (a
    Generator or None is turned into one by drawing from it).
    """
    n_permutations = check_int(n_permutations, "n_permutations", minimum=1)
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        seed = check_int(random_state, "random_state", minimum=0)
    else:
        seed = int(as_rng(random_state).integers(2**63 - 1))
    params = dict(n=n, n_permutations=n_permutations)
    rows = map_units(_dependence_unit, [(sep, params) for sep in separations], seed=seed,
                     n_jobs=n_jobs, backend=backend, scheduler=scheduler,
                     desc="dependence sweep")
    return pd.DataFrame(rows)


def _agreement_unit(unit, seed):
    """One size of :func:`fused_vs_dense` (module level, for the workers)."""
    n, d, n_classes = unit
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = rng.integers(0, n_classes, size=n)
    X[:, 0] += y  # some dependence, so the value is not only noise
    sigma = median_heuristic(X)
    fused = hsic_gaussian(X, y, sigma=sigma)
    K = gaussian_kernel(X, sigma=sigma)
    Y = one_hot(y, n_classes)
    HY = Y - Y.mean(axis=0)
    dense = hsic(K, Y @ Y.T)
    scale = float(np.sum(np.abs((HY @ HY.T) * K))) / (n - 1) ** 2
    return {"n": n, "fused": fused, "dense": dense, "abs_diff": abs(fused - dense),
            "scale": scale, "rel_to_scale": abs(fused - dense) / scale}


def fused_vs_dense(sizes, *, d: int = 50, n_classes: int = 4, random_state=0, n_jobs=None,
                   backend=None, scheduler=None) -> pd.DataFrame:
    """Fused ``hsic_gaussian`` against the dense ``hsic(gaussian_kernel(X), Y Y^T)``.

    HSIC is a cancelling sum, so the difference is reported relative to
    :math:`\\sum_{ij} |\\Gamma_{ij} K_{ij}|/(n-1)^2`, the size of the terms that cancel.
    The sizes are independent units run through :func:`kernelnet.parallel.map_units`
    (``n_jobs``, ``backend``, ``scheduler``), each with its own ``(random_state, index)`` stream.
    """
    sizes = [check_int(n, "sizes", minimum=2) for n in sizes]
    seed = check_int(random_state, "random_state", minimum=0)
    rows = map_units(_agreement_unit, [(n, d, n_classes) for n in sizes], seed=seed,
                     n_jobs=n_jobs, backend=backend, scheduler=scheduler, desc="fused vs dense")
    return pd.DataFrame(rows)


#: The chapter's parameters (the chapter contract): name -> type, quick value, full value, check.
PARAMETERS = {
    "n_separations": Parameter(int, 7, 13, lambda v: v >= 2, "separations from 0 to 3"),
    "n": Parameter(int, 300, 1500, lambda v: v >= 10, "points per separation"),
    "n_permutations": Parameter(int, 99, 499, lambda v: v >= 19, "label permutations (null)"),
    "agreement_sizes": Parameter(tuple, (100, 300, 1000), (200, 500, 1000, 2000, 4000),
                                 lambda v: len(v) > 0 and all(isinstance(n, int) and n >= 2
                                                              for n in v),
                                 "sizes n of the fused-vs-dense comparison"),
}

#: The level of the permutation test (a false detection at separation 0 happens this often).
ALPHA = 0.05


def independence_verdict(p_at_zero: float, p_at_max: float, n_permutations: int) -> str:
    """Verdict on "HSIC vanishes under independence and detects dependence".

    ``reproduced`` when the permutation test does not reject at separation 0 (p > ALPHA) and
    reaches its smallest possible p-value, 1/(1 + B), at the largest separation;
    ``reproduced with a caveat`` when exactly one of the two fails (a false detection at level
    ALPHA happens one time in twenty; a weak detection at the largest separation); otherwise
    ``not reproduced``.
    """
    floor = 1.0 / (1 + n_permutations)
    ok_null = p_at_zero > ALPHA
    ok_alt = p_at_max <= floor + 1e-12
    if ok_null and ok_alt:
        return "reproduced"
    if ok_null or ok_alt:
        return "reproduced with a caveat"
    return "not reproduced"


def agreement_verdict(worst_relative: float, *, tolerance: float = 1e-12) -> str:
    """Verdict on the fused route agreeing with the dense formula.

    The difference is relative to the cancelling scale; ``tolerance`` (1e-12) is about 1e4
    float64 roundings of a sum of n^2 terms, far below any formula difference (which is O(1)).
    """
    if not np.isfinite(worst_relative) or worst_relative < 0:
        raise ValueError(f"worst_relative must be a finite non-negative number, got "
                         f"{worst_relative!r}")
    return "reproduced" if worst_relative <= tolerance else "not reproduced"


@dataclass(frozen=True)
class HSICChapter:
    """Everything chapter 0 shows: the two tables and the findings."""

    dependence: pd.DataFrame
    agreement: pd.DataFrame
    findings: tuple


def run(*, quick: bool = True, seed: int = 0, **params) -> HSICChapter:
    """The chapter's experiments; sizes from :data:`PARAMETERS` (quick or full)."""
    p = resolve_parameters(PARAMETERS, quick=quick, seed=seed, **params)
    seps = np.linspace(0.0, 3.0, p["n_separations"])
    dep = dependence_sweep(seps, n=p["n"], n_permutations=p["n_permutations"],
                           random_state=seed)
    agree = fused_vs_dense(list(p["agreement_sizes"]), random_state=seed + 1)
    at0, atmax = dep.iloc[0], dep.iloc[-1]
    regime = (f"three Gaussian blobs in 2-d, n = {p['n']}, separations 0 to 3, median-heuristic "
              f"bandwidth, {p['n_permutations']} label permutations")
    v = independence_verdict(float(at0.p_value), float(atmax.p_value), p["n_permutations"])
    notes = {
        "reproduced": "",
        "reproduced with a caveat": (
            "one of the two checks missed: a rejection at separation 0 happens at the 5% level "
            "one time in twenty, or the largest separation did not reach the smallest p-value"),
        "not reproduced": "neither the null nor the detection behaved as the theorem says",
    }
    findings = [Finding(
        "000.hsic", v, regime,
        values={"hsic_at_0": float(at0.hsic_fused), "null_q95_at_0": float(at0.null_q95),
                "p_at_0": float(at0.p_value), "p_at_max": float(atmax.p_value)},
        figures=("hsic_dependence",), note=notes[v], section="chapter-hsic",
        tried=("the p-values come from a permutation test at the stated size; rerun with "
               "another SEED to see a different draw",) if v == "not reproduced" else ())]
    worst = float(agree.rel_to_scale.max())
    va = agreement_verdict(worst)
    agrees = agreement_verdict(worst) == "reproduced"
    findings.append(Finding(
        "000.hsic-fused", "finding of ours",
        f"d = 50, 4 classes, n up to {int(agree.n.max())}, median-heuristic bandwidth",
        values={"worst_relative_difference": worst, "n_max": int(agree.n.max())},
        note=("the library's fused HSIC (no n x n matrix) "
              + ("equals the dense formula up to rounding" if agrees else
                 "DIFFERS from the dense formula beyond rounding: a bug")
              + "; a check of ours, not a statement of the poster"),
        section="chapter-hsic"))
    return HSICChapter(dep, agree, tuple(findings))
