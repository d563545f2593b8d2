r"""Chapter 4: ranks of linear and nonlinear fits, random features on peaks, checks, landscape."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..._threads import limit_threads
from ..._validation import as_rng, check_int, check_positive
from ...checks import adjoint_test, derivative_check
from ...parallel import map_units
from ...single_layer import (
    cross_entropy,
    inverse_crime_data,
    random_features,
    single_layer,
    SingleLayerProblem,
)


# --------------------------------------------------------------------------------------------
# Linear fit vs nonlinear model: ranks
# --------------------------------------------------------------------------------------------
def rank_vs_width(widths, *, n: int = 200, n_f: int = 5,
                  activations=("identity", "tanh", "relu"), random_state=0,
                  n_jobs=None, backend=None, scheduler=None) -> pd.DataFrame:
    r"""Numerical rank of :math:`Y` and of :math:`\sigma(KY + b)` as the width :math:`m` grows.

    .. math::

       \operatorname{rank}(\sigma(KY + b)) \le \min(m, n), \qquad
       \operatorname{rank}(KY + b\mathbf{1}^\top) \le n_f + 1 \;\; (\sigma = \mathrm{id}).

    With the identity the features stay in an :math:`(n_f+1)`-dimensional space whatever
    :math:`m`; tanh and ReLU reach :math:`\min(m, n)` (seed 001, slides "Illustrating Nonlinear
    Models" and "Conjecture: Universal Approximation Properties"). Ranks use
    ``numpy.linalg.matrix_rank`` (singular values above :math:`\sigma_{\max}\max(m,n)\epsilon`).
    :math:`Y, K, b` are standard normal, one bias per unit.

    The widths are independent units run through :func:`kernelnet.parallel.map_units`
    (``n_jobs``: local workers; ``backend``: ``"sequential"``, ``"loky"``, ``"threading"`` or
    ``"dask"``; ``scheduler``: Dask address). :math:`Y`, shared by all widths, comes from
    ``default_rng([random_state, 0])``; each width draws its :math:`K, b` from its own unit
    seed, so the table is identical serially, with ``n_jobs=2`` or on Dask.
    """
    n = check_int(n, "n", minimum=1)
    n_f = check_int(n_f, "n_f", minimum=1)
    seed = check_int(random_state, "random_state", minimum=0)
    widths = [check_int(m, "widths", minimum=1) for m in widths]
    params = dict(n=n, n_f=n_f, activations=tuple(activations), seed=seed)
    parts = map_units(_rank_unit, [(m, params) for m in widths], seed=seed, n_jobs=n_jobs,
                      backend=backend, scheduler=scheduler, desc="rank_vs_width")
    return pd.DataFrame([row for part in parts for row in part])


def _rank_unit(unit, unit_seed):
    """Rows of :func:`rank_vs_width` for one width (module level for map_units)."""
    m, p = unit
    Y = np.random.default_rng([p["seed"], 0]).standard_normal((p["n_f"], p["n"]))
    rank_Y = int(np.linalg.matrix_rank(Y))
    rng = np.random.default_rng(unit_seed)
    K = rng.standard_normal((m, p["n_f"]))
    b = rng.standard_normal(m)
    rows = []
    for act in p["activations"]:
        Z = single_layer(K, b, Y, act).Z
        rows.append({"m": m, "activation": act, "rank_Y": rank_Y,
                     "rank_Z": int(np.linalg.matrix_rank(Z)), "max_rank": min(m, p["n"])})
    return rows


# --------------------------------------------------------------------------------------------
# Random features on MATLAB's peaks
# --------------------------------------------------------------------------------------------
def peaks(x, y):
    r"""MATLAB's ``peaks`` surface.

    .. math::

       z = 3(1-x)^2 e^{-x^2-(y+1)^2} - 10\Big(\frac{x}{5} - x^3 - y^5\Big) e^{-x^2-y^2}
           - \frac13 e^{-(x+1)^2-y^2}

    (the test function of the seed's ``EELM_Peaks.m``, slide "First Experiment: Random
    Transformation").
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    return (3 * (1 - x) ** 2 * np.exp(-x**2 - (y + 1) ** 2)
            - 10 * (x / 5 - x**3 - y**5) * np.exp(-x**2 - y**2)
            - np.exp(-(x + 1) ** 2 - y**2) / 3)


def peaks_data(n: int, *, noise: float = 0.0, random_state=None):
    """``n`` points uniform on :math:`[-3, 3]^2` as a (2, n) array and their peaks values (n,)."""
    n = check_int(n, "n", minimum=1)
    rng = as_rng(random_state)
    Y = rng.uniform(-3, 3, (2, n))
    z = peaks(Y[0], Y[1]) + noise * rng.standard_normal(n)
    return Y, z


def peaks_random_features(widths, *, n_train: int = 400, n_val: int = 2000, reg: float = 1e-10,
                          activation: str = "tanh", noise: float = 0.0, scale: float = 1.0,
                          random_state=0, n_jobs=None, backend=None,
                          scheduler=None) -> pd.DataFrame:
    r"""Training and validation error of random features on ``peaks`` as the width grows.

    For each :math:`m`: random :math:`K, b`, :math:`W` by regularised least squares
    (:func:`kernelnet.single_layer.random_features`), relative errors
    :math:`\|W\sigma(KY+b) - z\| / \|z\|` on the training and on fresh validation points. The
    training error falls to the interpolation level once :math:`m \ge n`; the validation error
    shows whether that generalises (seed 001, "First Experiment: Random Transformation":
    *may require very large K*, *may not generalize well*).

    The widths are independent units run through :func:`kernelnet.parallel.map_units`
    (``n_jobs``: local workers; ``backend``: ``"sequential"``, ``"loky"``, ``"threading"`` or
    ``"dask"``; ``scheduler``: Dask address). The training and validation points, shared by
    all widths, come from ``default_rng([random_state, 0])``; each width draws its features
    from its own unit seed, so the table is identical serially, with ``n_jobs=2`` or on Dask.
    """
    n_train = check_int(n_train, "n_train", minimum=1)
    n_val = check_int(n_val, "n_val", minimum=1)
    seed = check_int(random_state, "random_state", minimum=0)
    widths = [check_int(m, "widths", minimum=1) for m in widths]
    params = dict(n_train=n_train, n_val=n_val, reg=reg, activation=activation, noise=noise,
                  scale=scale, seed=seed)
    rows = map_units(_peaks_unit, [(m, params) for m in widths], seed=seed, n_jobs=n_jobs,
                     backend=backend, scheduler=scheduler, desc="peaks_random_features")
    return pd.DataFrame(rows)


def _peaks_unit(unit, unit_seed):
    """One row of :func:`peaks_random_features` (module level for map_units).

    On one BLAS thread (rounding): near :math:`m = n` the regularised Gram matrix has a
    reciprocal condition number near 1e-16, so the thread count's rounding reaches the fourth
    digit of the errors (measured: 2 threads against 1, validation error 0.0047026 against
    0.0047039 at the chapter's size); pinned, a unit gives the same row in this process and in
    a worker.
    """
    m, p = unit
    data = np.random.default_rng([p["seed"], 0])
    Yt, zt = peaks_data(p["n_train"], noise=p["noise"], random_state=data)
    Yv, zv = peaks_data(p["n_val"], random_state=data)
    with limit_threads(1):
        rf = random_features(Yt, zt, m, activation=p["activation"], reg=p["reg"],
                             scale=p["scale"], random_state=np.random.default_rng(unit_seed))
        et = float(np.linalg.norm(rf.predict(Yt)[0] - zt) / np.linalg.norm(zt))
        ev = float(np.linalg.norm(rf.predict(Yv)[0] - zv) / np.linalg.norm(zv))
    return {"m": m, "m_over_n": m / p["n_train"], "train_rel_error": et, "val_rel_error": ev}


def peaks_surface(m: int, *, n_train: int = 400, grid: int = 60, reg: float = 1e-10,
                  activation: str = "tanh", random_state=0):
    """The random-features fit of width ``m`` on a ``grid x grid`` mesh, with the truth."""
    grid = check_int(grid, "grid", minimum=2)
    rng = as_rng(random_state)
    Yt, zt = peaks_data(n_train, random_state=rng)
    rf = random_features(Yt, zt, m, activation=activation, reg=reg, random_state=rng)
    g = np.linspace(-3, 3, grid)
    X1, X2 = np.meshgrid(g, g)
    pred = rf.predict(np.vstack([X1.ravel(), X2.ravel()]))[0].reshape(grid, grid)
    return dict(x=X1, y=X2, truth=peaks(X1, X2), fit=pred, train=Yt)


# --------------------------------------------------------------------------------------------
# Derivative checks and adjoint tests of the six operators
# --------------------------------------------------------------------------------------------
def jacobian_checks(*, m: int = 8, n_f: int = 5, n: int = 12, activations=("tanh", "relu"),
                    n_steps: int = 16, random_state=0):
    r"""Derivative checks of :math:`J_K, J_b, J_Y` and adjoint tests of their transposes.

    Runs :func:`kernelnet.checks.derivative_check` on :math:`\mathrm{vec}(Z)` as a function of
    :math:`\mathrm{vec}(K)`, :math:`b` (a vector) and :math:`\mathrm{vec}(Y)`, the same check on
    the loss :math:`E(x)` with its chain-rule gradient, and
    :func:`kernelnet.checks.adjoint_test` on each pair (seed 001, "Class Problems", *Testing*).

    Returns
    -------
    dict
        ``"derivative"``: DataFrame with one row per (activation, wrt, step) holding ``h``,
        ``E0``, ``E1``; ``"derivative_summary"``: orders and verdicts; ``"adjoint"``: DataFrame of
        the adjoint tests.
    """
    rng = as_rng(random_state)
    K = rng.standard_normal((m, n_f)) / np.sqrt(n_f)
    Y = rng.standard_normal((n_f, n))
    b = 0.1 * rng.standard_normal(m)

    def vecF(M):
        return np.asarray(M).ravel(order="F")

    rows, summary, adj = [], [], []
    for act in activations:
        cases = {
            "K": (lambda k: vecF(single_layer(k.reshape(m, n_f, order="F"), b, Y, act).Z),
                  lambda k, v: single_layer(k.reshape(m, n_f, order="F"), b, Y, act).JK(v),
                  vecF(K)),
            "b": (lambda c: vecF(single_layer(K, c, Y, act).Z),
                  lambda c, v: single_layer(K, c, Y, act).Jb(v), b),
            "Y": (lambda y: vecF(single_layer(K, b, y.reshape(n_f, n, order="F"), act).Z),
                  lambda y, v: single_layer(K, b, y.reshape(n_f, n, order="F"), act).JY(v),
                  vecF(Y)),
        }
        C = np.eye(3)[:, rng.integers(0, 3, n)]
        prob = SingleLayerProblem(Y, C, m, activation=act, bias="vector")
        x0 = prob.initial_guess(rng)
        cases["loss E(x)"] = (prob.loss, lambda x, v: prob.loss_and_gradient(x)[1] @ v, x0)
        for wrt, (f, jvp, x) in cases.items():
            r = derivative_check(f, jvp, x, n_steps=n_steps, random_state=rng,
                                 name=f"J_{wrt} ({act})")
            for k in range(r.h.shape[0]):
                rows.append({"activation": act, "wrt": wrt, "h": r.h[k], "E0": r.err0[k],
                             "E1": r.err1[k], "floor": r.floor[k]})
            summary.append({"activation": act, "wrt": wrt, "order0": r.order0,
                            "order1": r.order1, "passed": r.passed, "table": str(r)})
        L = single_layer(K, b, Y, act)
        for wrt, fwd, bwd, n_in in (("K", L.JK, L.JKt, m * n_f), ("b", L.Jb, L.Jbt, m),
                                    ("Y", L.JY, L.JYt, n_f * n)):
            a = adjoint_test(fwd, bwd, n_in, m * n, random_state=rng)
            adj.append({"activation": act, "wrt": wrt, "uJv": a.uJv, "vJtu": a.vJtu,
                        "abs_error": a.abs_error, "rel_error": a.rel_error, "rtol": a.rtol,
                        "passed": a.passed})
    return {"derivative": pd.DataFrame(rows), "derivative_summary": pd.DataFrame(summary),
            "adjoint": pd.DataFrame(adj)}


# --------------------------------------------------------------------------------------------
# Non-convexity
# --------------------------------------------------------------------------------------------
def loss_landscape(*, n: int = 500, n_f: int = 50, n_c: int = 10, m: int = 40, grid: int = 41,
                   radius: float = 2.0, random_state=0):
    r"""Cross-entropy along two random directions :math:`dK, dW` around the inverse crime's truth.

    .. math::

       F(s, t) = E\big((W + t\, dW)\,\sigma((K + s\, dK) Y + b), C\big),

    :math:`dK, dW` standard normal, scaled to :math:`\|dK\| = \|K\|`, :math:`\|dW\| = \|W\|`
    (seed 001, slide "Non-Convexity", ``ESingleLayer_PlotObjective.m``).

    Returns
    -------
    dict with ``s``, ``t`` (grids) and ``E`` (``grid x grid``, rows over ``t``).
    """
    grid = check_int(grid, "grid", minimum=2)
    radius = check_positive(radius, "radius")
    d = inverse_crime_data(n, n_f, n_c, m, random_state=random_state)
    rng = as_rng([random_state, 1])
    dK = rng.standard_normal(d["K"].shape)
    dW = rng.standard_normal(d["W"].shape)
    dK *= np.linalg.norm(d["K"]) / np.linalg.norm(dK)
    dW *= np.linalg.norm(d["W"]) / np.linalg.norm(dW)
    s = np.linspace(-radius, radius, grid)
    t = np.linspace(-radius, radius, grid)
    E = np.empty((grid, grid))
    for i, ss in enumerate(s):
        Z = single_layer(d["K"] + ss * dK, d["b"], d["Y"]).Z
        for j, tt in enumerate(t):
            E[j, i] = cross_entropy((d["W"] + tt * dW) @ Z, d["C"])[0]
    return {"s": s, "t": t, "E": E}
