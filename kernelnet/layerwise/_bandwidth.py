r"""The HSIC-optimal Gaussian bandwidth (the authors' ``opt_gaussian``) and random Fourier
features of the Gaussian kernel.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import minimize_scalar

from kernelnet._validation import as_labels, as_matrix, as_rng, check_int, check_positive
from kernelnet.layerwise._common import _centred_one_hot, _sq_dists

def hsic_optimal_sigma(X, y, *, max_samples=200, random_state=None) -> float:
    r"""HSIC-optimal Gaussian bandwidth, as the authors' ``opt_gaussian`` (DEFINITIONS.md).

    .. math::

       \sigma^\star = \arg\max_\sigma \sum_{ij} \Gamma_{ij}
       \exp\Big(-\frac{\lVert x_i - x_j\rVert^2}{2\sigma^2}\Big),

    the local maximum reached by ascent in :math:`t = \log\sigma` (steps of 1/16 decade, then
    Brent's method in the last bracket; the authors use BFGS), started at the median pairwise
    distance (:func:`kernelnet.kernels.median_heuristic`), on a random subsample
    of at most ``max_samples`` rows (the authors use 200). :math:`\sigma` is kept within a factor
    100 of its start (the authors set no bound): on data without label structure the sum grows
    as :math:`\sigma \to 0` (the diagonal :math:`\operatorname{Tr}\Gamma` wins), and an
    unbounded search returns a bandwidth at which random features are noise and rounding is
    amplified by :math:`1/\sigma` per layer.

    Parameters
    ----------
    X : array_like, shape (n, d)
    y : array_like, shape (n,)
    max_samples : int, >= 2
    random_state : None, int or numpy.random.Generator

    Returns
    -------
    float
    """
    X = as_matrix(X, "X", min_rows=2)
    codes, classes = as_labels(y, "y", n_samples=X.shape[0], min_classes=1)
    max_samples = check_int(max_samples, "max_samples", minimum=2)
    return _opt_sigma(X, codes, classes.shape[0], max_samples, as_rng(random_state))


def _median_distance(D2: np.ndarray) -> float:
    """Median pairwise distance from squared distances, with the guards of
    :func:`kernelnet.kernels.median_heuristic` (a test checks they agree)."""
    d = np.sqrt(D2[np.triu_indices(D2.shape[0], 1)])
    med = float(np.median(d))
    if med > 0:
        return med
    pos = d[d > 0]
    return float(np.median(pos)) if pos.size else 1.0


# ISM layers round their bandwidth's log to this grid (2^-10, steps of 0.1 % in sigma; ten
# times Brent's tolerance below, so the HSIC given up is second order, ~1e-7 relative). The
# Brent refinement fits parabolas through points 1e-4 apart on a flat maximum, so it passes
# rounding in the HSIC values on magnified 1e3-1e5 times (wine, authors' fold 1: a 5e-13
# relative change in sigma at layer 3 became 3e-8 at layer 4 and 1e-6 at layer 5); the next
# layer's bandwidth search, ISM iteration and random features start from there. On the grid
# the bandwidth is the same number unless rounding moves the optimum across a cell's midpoint
# (about 1e-8 / 1e-3 = 1e-5 per layer with the rounding measured in the reproducibility test).
_SIGMA_GRID = 2.0**-10


def _opt_sigma(X, codes, c, max_samples, rng, grid=None) -> float:
    n = X.shape[0]
    if n > max_samples:
        idx = np.sort(rng.choice(n, size=max_samples, replace=False))
        X, codes = X[idx], codes[idx]
    A = _centred_one_hot(codes, c)
    G = A @ A.T
    with np.errstate(over="ignore", invalid="ignore"):
        D2 = _sq_dists(np.ascontiguousarray(X))
    if not np.all(np.isfinite(D2)):
        # the median would be inf and the ascent below would compare NaN with NaN forever
        raise ValueError(
            f"X is too large: its squared pairwise distances overflow (largest entry "
            f"{float(np.max(np.abs(X))):.3g}); rescale X"
        )
    if not np.any(D2 > 0) and np.any(X != X[0]):
        raise ValueError(
            f"X is too small: its squared pairwise distances underflow to 0 (largest entry "
            f"{float(np.max(np.abs(X))):.3g}); rescale X"
        )
    s0 = _median_distance(D2)
    if s0 < 1e-150:  # the search's 1 / sigma^2 (sigma down to s0 / 100) would overflow
        raise ValueError(f"X is too small: its median pairwise distance is {s0:.3g} (< 1e-150); "
                         "rescale X")
    t0 = math.log(s0)

    def f(t):
        return float(np.sum(G * np.exp(D2 * (-0.5 * math.exp(-2.0 * t)))))

    # Local ascent from the median, in steps of 1/16 decade of sigma, then a bounded Brent
    # refinement inside the last bracket. (A quasi-Newton step from the median can jump over
    # a local maximum: on the authors' random set a line search from 2.2 lands on the bound,
    # below the local maximum at ~0.22 that the ascent finds.)
    span = math.log(100.0)
    step = math.log(10.0) / 16.0
    lo_t, hi_t = t0 - span, t0 + span
    f0 = f(t0)
    best_t, best_f = t0, f0
    for direction in (-1.0, 1.0):
        t, ft = t0, f0
        while True:
            tn = t + direction * step
            if tn < lo_t - 1e-12 or tn > hi_t + 1e-12:
                break
            fn = f(tn)
            if not fn > ft:  # also stops on NaN
                break
            t, ft = tn, fn
        if ft > best_f:
            best_t, best_f = t, ft
        if best_t != t0:
            break  # climbed downwards: no need to try upwards
    a_t, b_t = max(best_t - step, lo_t), min(best_t + step, hi_t)
    res = minimize_scalar(lambda t: -f(t), bounds=(a_t, b_t), method="bounded",
                          options={"xatol": 1e-4})
    t = float(res.x) if np.isfinite(res.x) and -res.fun >= best_f else best_t
    if grid is not None:
        t = round(t / grid) * grid
    return float(math.exp(t))


def random_fourier_features(Z, *, sigma, n_features=400, random_state=None, params=None):
    r"""Random Fourier features of the Gaussian kernel (Rahimi and Recht 2007).

    .. math::

       \psi(z) = \sqrt{2/D}\, \cos(\Omega^\top z / \sigma + b), \qquad
       \Omega_{kj} \sim \mathcal N(0, 1), \; b_j \sim U[0, 2\pi),

    so that :math:`\mathbb E\, \psi(z)^\top \psi(z') = \exp(-\lVert z - z'\rVert^2/(2\sigma^2))`.
    The authors' ISM layers use :math:`D = 400` (data/README.md).

    Parameters
    ----------
    Z : array_like, shape (n, q)
    sigma : float, > 0
    n_features : int
    random_state : seed of :math:`(\Omega, b)` when ``params`` is None
    params : tuple (Omega, b), optional
        Reuse a draw (to map new points with a fitted layer).

    Returns
    -------
    Phi : ndarray, shape (n, D)
    params : tuple (Omega, b)
    """
    Z = as_matrix(Z, "Z")
    sigma = check_positive(sigma, "sigma")
    if params is None:
        D = check_int(n_features, "n_features", minimum=1)
        rng = as_rng(random_state)
        Om = rng.standard_normal((Z.shape[1], D))
        b = rng.uniform(0.0, 2.0 * np.pi, D)
    else:
        Om, b = params
        if Om.shape[0] != Z.shape[1]:
            raise ValueError(
                f"Z must have {Om.shape[0]} columns for these params, got {Z.shape[1]}"
            )
    return _rff(Z, sigma, Om, b), (Om, b)


def _rff(Z, sigma, Om, b):
    Phi = Z @ Om
    Phi *= 1.0 / sigma
    Phi += b
    np.cos(Phi, out=Phi)
    Phi *= math.sqrt(2.0 / Om.shape[1])
    return Phi
