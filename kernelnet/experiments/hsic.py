"""Chapter 0: what HSIC measures, and the fused route against the dense one.

Both experiments return tables; the notebook ``00_hsic`` draws them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._validation import check_int, one_hot
from ..hsic import hsic, hsic_gaussian, normalized_hsic
from ..kernels import gaussian_kernel, median_heuristic

__all__ = ["HSICChapter", "blobs", "dependence_sweep", "fused_vs_dense", "run"]


def blobs(n: int, separation: float, *, n_classes: int = 3, d: int = 2, random_state=None):
    """``n`` points in ``n_classes`` Gaussian blobs whose centres sit ``separation`` apart.

    Class k has centre ``separation * e_k`` (first ``n_classes`` unit vectors, padded with
    zeros to ``d`` dimensions) and identity covariance. ``separation = 0`` makes the inputs
    independent of the labels, so the population HSIC is exactly zero.
    """
    n = check_int(n, "n", minimum=2)
    n_classes = check_int(n_classes, "n_classes", minimum=2)
    d = check_int(d, "d", minimum=1)
    rng = np.random.default_rng(random_state)
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
    from ..parallel import map_units

    n_permutations = check_int(n_permutations, "n_permutations", minimum=1)
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        seed = check_int(random_state, "random_state", minimum=0)
    else:
        seed = int(np.random.default_rng(random_state).integers(2**63 - 1))
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
    from ..parallel import map_units

    sizes = [check_int(n, "sizes", minimum=2) for n in sizes]
    seed = check_int(random_state, "random_state", minimum=0)
    rows = map_units(_agreement_unit, [(n, d, n_classes) for n in sizes], seed=seed,
                     n_jobs=n_jobs, backend=backend, scheduler=scheduler, desc="fused vs dense")
    return pd.DataFrame(rows)


@dataclass
class HSICChapter:
    """Everything chapter 0 shows."""

    dependence: pd.DataFrame
    agreement: pd.DataFrame


def run(*, quick: bool = True, seed: int = 0) -> HSICChapter:
    """The chapter's experiments at quick or full size."""
    seps = np.linspace(0.0, 3.0, 7 if quick else 13)
    dep = dependence_sweep(seps, n=300 if quick else 1500, n_permutations=99 if quick else 499,
                           random_state=seed)
    sizes = [100, 300, 1000] if quick else [200, 500, 1000, 2000, 4000]
    agree = fused_vs_dense(sizes, random_state=seed + 1)
    return HSICChapter(dep, agree)
