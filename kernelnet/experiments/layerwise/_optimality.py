"""Chapter 02's experiments: Claims 4-6 at each layer input, the search from other starts, the
width rule, the sign split and implicit losses (Claim 3), generalisation (Observation 2) and
the cost of forming and solving Q (Claim 5)."""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.preprocessing import scale

from ... import datasets
from ..._threads import limit_threads
from ..._validation import as_labels, as_rng, check_choice, check_int, one_hot
from ...checks import derivative_check
from ...layerwise import (
    LayerwiseKernelNet,
    closed_form_weights,
    eq11_terms,
    ism_fixed_point,
    ism_matrix,
    ism_surrogate,
    label_gamma,
    layer_gradient,
    layer_objective,
    penalty_weight_sum,
    random_stiefel,
    stiefel_ascent,
    stiefel_gradient,
)
from ...parallel import map_units

from . import POSTER_SETS
from ._networks import training_fold, ws_options
from ._verdicts import POSTER_TEST_ACC


def _rel(a, b):
    return float(np.linalg.norm(a) / max(np.linalg.norm(b), 1e-300))


def _ism_inputs(name, *, fold, n_layers, max_samples, seed):
    """(X, y, network, layer inputs) of an ISM network grown for exactly ``n_layers`` layers."""
    n_layers = check_int(n_layers, "n_layers", minimum=1, maximum=30)
    X, y = training_fold(name, fold=fold, max_samples=max_samples, seed=seed)
    net = LayerwiseKernelNet(random_state=seed, max_layers=n_layers, stop="max_layers").fit(X, y)
    return X, y, net, [X] + net.layer_outputs(X)[:-1]


def optimality(
    name: str = "wine",
    *,
    fold: int = 0,
    n_layers: int = 4,
    quick: bool = False,
    max_samples: int | None = None,
    seed: int = 0,
    ism_tol: float = 1e-10,
) -> pd.DataFrame:
    r"""Claims 4-6 at the input :math:`R_{l-1}` and bandwidth :math:`\sigma_l` of each layer.

    An ISM network is grown for ``n_layers`` layers (``stop="max_layers"``). At each layer, with
    the same :math:`R_{l-1}`, :math:`\sigma_l` and width :math:`q = c`:

    * :math:`W_s` = :func:`closed_form_weights` orthonormalised (QR); its eq. 1 value, the norm of
      the Euclidean gradient and of its Stiefel projection (Claim 4: not zero), and whether the
      analytic gradient passes the Taylor check of :func:`kernelnet.checks.derivative_check`;
    * :math:`W^*` = :func:`ism_fixed_point` (tolerance ``ism_tol``) from the Taylor start; its
      eq. 1 value, projected gradient and the convergence flag (Claim 5);
    * eq. 11 (with :math:`\lVert W^\top r_i\rVert^2`) against the surrogate
      :math:`\sigma^{-2}\operatorname{Tr}(W^\top Q W)`, and Claim 6's "penalty" in both
      readings at both: the penalty weights :math:`\sum_i D_i` (:func:`penalty_weight_sum`,
      ``weights_*``; equal to :math:`\mathcal H/\sigma^2` under the sign split) and the weighted
      penalty :math:`\sum_i D_i \lVert W^\top r_i\rVert^2` (``penalty_*``), with the mean
      :math:`\lVert W^\top r_i\rVert^2` (``mean_norm2_*``) that separates the two.

    ``quick=True`` keeps at most 300 training rows (``max_samples`` overrides).
    """
    if max_samples is None and quick:
        max_samples = 300
    X, y, net, inputs = _ism_inputs(name, fold=fold, n_layers=n_layers,
                                    max_samples=max_samples, seed=seed)
    codes, classes = as_labels(y, "y")
    c = classes.shape[0]
    G = label_gamma(codes)
    rows = []
    for ell, (R, h) in enumerate(zip(inputs, net.history_), start=1):
        sigma = h["sigma"]
        m = R.shape[1]
        if c > m:
            continue
        Ws = closed_form_weights(R, codes, orthonormal=True)
        Wst, info = ism_fixed_point(R, codes, q=c, sigma=sigma, tol=ism_tol, max_iter=500)
        g_s = layer_gradient(Ws, R, G, sigma=sigma)
        g_st = layer_gradient(Wst, R, G, sigma=sigma)
        pg_s = stiefel_gradient(Ws, g_s)
        pg_st = stiefel_gradient(Wst, g_st)

        def fun(w, R=R, sigma=sigma, shape=Ws.shape):
            return np.array([layer_objective(w.reshape(shape), R, G, sigma=sigma)])

        def jvp(w, v, R=R, sigma=sigma, shape=Ws.shape):
            g = layer_gradient(w.reshape(shape), R, G, sigma=sigma)
            return np.array([np.sum(g * v.reshape(shape))])

        chk = derivative_check(fun, jvp, Ws.ravel(), random_state=seed, h0=0.5)
        e_s = eq11_terms(Ws, R, codes, sigma=sigma)
        e_st = eq11_terms(Wst, R, codes, sigma=sigma)
        s_s = ism_surrogate(Ws, R, G, sigma=sigma)
        s_st = ism_surrogate(Wst, R, G, sigma=sigma)
        rows.append(
            {
                "dataset": name,
                "layer": ell,
                "sigma": sigma,
                "input_dim": m,
                "H_ws": layer_objective(Ws, R, G, sigma=sigma),
                "H_star": layer_objective(Wst, R, G, sigma=sigma),
                "grad_ws": float(np.linalg.norm(g_s)),
                "proj_grad_ws": float(np.linalg.norm(pg_s)),
                "proj_grad_star": float(np.linalg.norm(pg_st)),
                "proj_grad_ratio": _rel(pg_st, pg_s),
                "proj_grad_rel_ws": _rel(pg_s, g_s),
                "proj_grad_rel_star": _rel(pg_st, g_st),
                "taylor_order_ws": chk.order1,
                "taylor_passed_ws": bool(chk.passed),
                "ism_converged": bool(info["converged"]),
                "ism_iterations": int(info["iterations"]),
                "eq11_minus_surrogate_ws": abs(e_s["total"] - s_s) / max(abs(s_s), 1e-300),
                "eq11_minus_surrogate_star": abs(e_st["total"] - s_st) / max(abs(s_st), 1e-300),
                "penalty_ws": e_s["penalty"],
                "penalty_star": e_st["penalty"],
                "weights_ws": penalty_weight_sum(Ws, R, codes, sigma=sigma),
                "weights_star": penalty_weight_sum(Wst, R, codes, sigma=sigma),
                "mean_norm2_ws": float(np.mean(np.sum((R @ Ws) ** 2, axis=1))),
                "mean_norm2_star": float(np.mean(np.sum((R @ Wst) ** 2, axis=1))),
                "first_term_ws": e_s["first"],
                "first_term_star": e_st["first"],
                "sign_split_holds": bool(e_s["sign_split_holds"]),
            }
        )
    return pd.DataFrame(rows)


def _principal(R):
    """R in its principal axes, rank-truncated: P (n x r) with R R^T = P P^T (eq. 1 unchanged
    for W = V E, since R W = P E: directions outside the row space of R do not move K)."""
    U, sv, _ = np.linalg.svd(R, full_matrices=False)
    r = max(int(np.count_nonzero(sv > 1e-10 * sv[0])), 1)
    return U[:, :r] * sv[:r]


def optimum_search(
    name: str = "wine",
    *,
    fold: int = 0,
    n_layers: int = 4,
    n_starts: int = 5,
    ascent_iter: int = 1500,
    max_samples: int | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    r"""Claim 5 beyond stationarity: does anything beat the ISM fixed point on eq. 1?

    At each layer input and bandwidth of the ISM network of :func:`optimality` (width
    :math:`q = c`): the ISM fixed point from the Taylor start (``H_star``), ISM from
    ``n_starts`` random orthonormal starts (:func:`random_stiefel`; ``H_random_min``,
    ``H_random_max``) and Riemannian gradient ascent on the Stiefel manifold
    (:func:`stiefel_ascent`, random start, at most ``ascent_iter`` steps; ``H_ascent``), the
    last two on :math:`R` in its principal axes (the same problem in :math:`r \le n`
    coordinates). ``gap_*`` are relative to ``H_star``; positive means the other optimiser
    found a larger value. ``proj_grad_rel_star``: the Stiefel-projected over the Euclidean
    gradient norm at the fixed point.
    """
    n_starts = check_int(n_starts, "n_starts", minimum=1)
    X, y, net, inputs = _ism_inputs(name, fold=fold, n_layers=n_layers,
                                    max_samples=max_samples, seed=seed)
    codes, classes = as_labels(y, "y")
    c = classes.shape[0]
    rows = []
    for ell, (R, h) in enumerate(zip(inputs, net.history_), start=1):
        sigma = h["sigma"]
        if c > R.shape[1]:
            continue
        Wst, info = ism_fixed_point(R, codes, q=c, sigma=sigma, tol=1e-10, max_iter=500)
        H = info["objective"]
        g = layer_gradient(Wst, R, label_gamma(codes), sigma=sigma)
        P = _principal(R)
        vals = []
        for k in range(n_starts):
            W0 = random_stiefel(P.shape[1], c, random_state=np.random.default_rng([seed, ell, k]))
            vals.append(ism_fixed_point(P, codes, q=c, sigma=sigma, tol=1e-10, max_iter=500,
                                        W0=W0)[1]["objective"])
        _, asc = stiefel_ascent(P, codes, q=c, sigma=sigma, max_iter=ascent_iter,
                                random_state=np.random.default_rng([seed, ell, n_starts]))
        rows.append({"dataset": name, "layer": ell, "sigma": sigma, "H_star": H,
                     "proj_grad_rel_star": _rel(stiefel_gradient(Wst, g), g),
                     "H_random_min": float(min(vals)), "H_random_max": float(max(vals)),
                     "H_ascent": asc["objective"], "ascent_iterations": asc["iterations"],
                     "ascent_grad_ratio": asc["grad_ratio"],
                     "gap_random": (max(vals) - H) / abs(H),
                     "gap_random_min": (min(vals) - H) / abs(H),
                     "gap_ascent": (asc["objective"] - H) / abs(H)})
    return pd.DataFrame(rows)


def width_sweep(name: str = "wine", *, fold: int = 0, layers=(1,), max_samples=None,
                seed: int = 0) -> pd.DataFrame:
    r"""Eq. 1 at the ISM fixed point for every width :math:`q = 1, \dots, 2c` at one layer.

    The authors' width rule keeps at least :math:`2c` columns. ISM takes the eigenvectors of
    the :math:`q` largest eigenvalues of :math:`Q`, whatever their sign; along an eigenvector
    with a negative eigenvalue eq. 1 falls (its surrogate :math:`\sigma^{-2}\operatorname{Tr}
    (W^\top Q W)` does), so a wider :math:`W` can have a lower objective. One row per
    :math:`q` and layer (``layers``, 1-based, of the ISM network of :func:`optimality`): the
    objective, the number of negative eigenvalues among the :math:`q` kept (below
    :math:`-10^{-9}` of the largest in magnitude), the smallest kept eigenvalue, convergence.
    """
    layers = [check_int(v, "layers", minimum=1, maximum=30) for v in layers]
    if not layers:
        raise ValueError("layers must name at least one layer")
    X, y, net, inputs = _ism_inputs(name, fold=fold, n_layers=max(layers),
                                    max_samples=max_samples, seed=seed)
    codes, classes = as_labels(y, "y")
    c = classes.shape[0]
    rows = []
    for layer in layers:
        R, sigma = inputs[layer - 1], net.history_[layer - 1]["sigma"]
        for q in range(1, min(2 * c, min(R.shape)) + 1):
            _, info = ism_fixed_point(R, codes, q=q, sigma=sigma, tol=1e-10, max_iter=500)
            lam = np.asarray(info["eigenvalues"], dtype=float)
            scale_ = max(float(np.abs(lam).max()), 1e-300)
            rows.append({"dataset": name, "layer": layer, "sigma": sigma, "q": q,
                         "objective": info["objective"],
                         "n_negative": int(np.sum(lam < -1e-9 * scale_)),
                         "smallest_eigenvalue": float(lam.min()),
                         "converged": bool(info["converged"])})
    return pd.DataFrame(rows)


def sign_split(names=("wine", "car", "car_uci", "cancer"), *, seed: int = 0, n_jobs=None,
               backend=None, scheduler=None) -> pd.DataFrame:
    r"""Whether :math:`\Gamma_{ij} > 0` within every class and :math:`< 0` across (eq. 10).

    For labels with class proportions :math:`p`, :math:`\Gamma_{ij} = [y_i = y_j] - p_{y_i} -
    p_{y_j} + \lVert p\rVert^2`: always positive within a class, and negative across classes
    :math:`k \ne l` iff :math:`p_k + p_l > \lVert p\rVert^2`, which holds for two classes and for
    balanced ones but fails for some pairs of small classes (car_uci: 70/22/4/4 %). Also the
    relative gap between eq. 11 and the surrogate at a random orthonormal W.

    The data sets are independent units run through :func:`kernelnet.parallel.map_units`
    (``n_jobs``, ``backend``, ``scheduler``), each with its own ``(seed, index)`` stream.
    """
    seed = check_int(seed, "seed", minimum=0)
    rows = map_units(_sign_split_unit, [(name, seed) for name in names], seed=seed,
                     n_jobs=n_jobs, backend=backend, scheduler=scheduler, desc="sign split")
    return pd.DataFrame(rows)


def _sign_split_unit(unit, unit_seed):
    """One data set of :func:`sign_split` (module level, for the workers)."""
    from ...layerwise import hsic_optimal_sigma

    name, seed = unit
    rng = np.random.default_rng(unit_seed)
    X, y = datasets.load(name)
    codes, classes = as_labels(y, "y")
    p = one_hot(codes).mean(axis=0)
    c = p.size
    off = [(k, l) for k in range(c) for l in range(c) if k < l]
    worst = max(-p[k] - p[l] + p @ p for k, l in off)
    idx = rng.choice(X.shape[0], size=min(300, X.shape[0]), replace=False)
    Xs, ys = scale(X[idx]), codes[idx]
    q = min(c, Xs.shape[1])
    W = np.linalg.qr(rng.standard_normal((Xs.shape[1], q)))[0]
    sigma = hsic_optimal_sigma(Xs, ys, random_state=seed)
    e = eq11_terms(W, Xs, ys, sigma=sigma)
    s = ism_surrogate(W, Xs, label_gamma(ys), sigma=sigma)
    return {
        "dataset": name,
        "n_classes": c,
        "proportions": np.round(p, 3).tolist(),
        "max_across_gamma": float(worst),
        "sign_split_holds": bool(e["sign_split_holds"]),
        "eq11_vs_surrogate": abs(e["total"] - s) / max(abs(s), 1e-300),
    }


def implicit_losses(
    name: str = "wine", *, method: str = "ism", fold: int = 0, quick: bool = False, seed: int = 0,
    max_samples: int | None = None, ws_setting: str = "authors",
) -> pd.DataFrame:
    r"""Claim 3 (Corollaries 2.1-2.2) per layer, on the training fold.

    With the layer output :math:`F_l` (ISM: its random features; W_s: its embedding):

    * MSE after a translation of labels: :math:`\tfrac1n \sum_i \lVert f_i - \mu_{y_i}\rVert^2`,
      the squared error of the affine map sending each class centre :math:`\mu_k` to label
      :math:`k` (DEFINITIONS.md, the table's MSE);
    * ``mse_relative``: the same divided by the total scatter
      :math:`\tfrac1n\sum_i\lVert f_i - \bar f\rVert^2`, which makes layers (and the two
      networks, whose outputs have different scales) comparable;
    * CE after a change of basis: the cross-entropy of a multinomial logistic regression on
      :math:`F_l` (``C=1e4``, nearly unregularised).

    Both should fall towards 0 as :math:`\mathcal H_l \to \mathcal H^*`. ``nhsic`` is the layer's
    normalised HSIC (authors' variant). ``quick`` keeps at most 300 training rows
    (``max_samples`` overrides); W_s runs as ``ws_options(name, ws_setting)`` on the W_s split
    with the authors' 0.02 feature noise.
    """
    check_choice(method, "method", ("ism", "closed_form"))
    if max_samples is None and quick:
        max_samples = 300
    ws = method == "closed_form"
    X, y = training_fold(name, fold=fold, max_samples=max_samples, seed=seed,
                         scheme="authors_ws" if ws else "authors", noise=0.02 if ws else 0.0)
    opts = ws_options(name, ws_setting) if ws else {}
    net = LayerwiseKernelNet(method, random_state=seed, **opts).fit(X, y)
    codes, classes = as_labels(y, "y")
    Y = one_hot(codes)
    rows = []
    for h, F in zip(net.history_, net.layer_outputs(X)):
        mu = (Y.T @ F) / Y.sum(axis=0)[:, None]
        mse = float(np.sum((F - mu[codes]) ** 2)) / F.shape[0]
        total = float(np.sum((F - F.mean(axis=0)) ** 2)) / F.shape[0]
        clf = LogisticRegression(C=1e4, max_iter=2000).fit(F, codes)
        ce = float(log_loss(codes, clf.predict_proba(F), labels=np.arange(len(classes))))
        rows.append(
            {
                "dataset": name,
                "method": method,
                "layer": h["layer"],
                "nhsic": h["nhsic"],
                "mse_translation": mse,
                "mse_relative": mse / total if total > 0 else np.nan,
                "ce_change_of_basis": ce,
                "scatter_ratio": h["scatter_ratio"],
            }
        )
    return pd.DataFrame(rows)


def generalisation(table=None) -> pd.DataFrame:
    """Observation 2 ("W* generalizes better?") from the committed paper table.

    One row per data set: mean and standard error (std / sqrt(folds)) of the test accuracy of
    ISM and of W_s over the table's folds, from ``results/poster_table`` (chapter 03's full
    run; ``table`` overrides it with a :class:`~kernelnet.experiments.poster_table.PosterTable`),
    and the poster's own means.
    """
    from .. import poster_table as pt

    table = pt.load_committed() if table is None else table
    f = table.folds
    rows = []
    for name in POSTER_SETS:
        row = {"dataset": name}
        for method, key in (("ism", "ism"), ("ws", "ws")):
            v = f[(f.dataset == name) & (f.method == method)].test_acc.to_numpy(dtype=float)
            row[f"{key}_mean"] = float(np.mean(v)) if v.size else math.nan
            row[f"{key}_se"] = float(np.std(v) / math.sqrt(v.size)) if v.size else math.nan
            row[f"{key}_folds"] = int(v.size)
        row["poster_ism"], row["poster_ws"] = POSTER_TEST_ACC[name]
        rows.append(row)
    return pd.DataFrame(rows)


def q_cost(sizes, *, width: int = 200, n_classes: int = 2, repeats: int = 3,
           seed: int = 0) -> pd.DataFrame:
    """CPU time of forming Q (eq. 9, :func:`kernelnet.layerwise.ism_matrix`) and of its
    eigendecomposition (``numpy.linalg.eigh``) at fixed input width ``width`` as n grows.

    For each n of ``sizes``: a standard normal layer input R (n x ``width``), balanced random
    labels, a random orthonormal W (``width`` x ``n_classes``), sigma 1. Each step is timed
    ``repeats`` times with :func:`time.process_time` (CPU time of this process, so other jobs on
    the machine do not count) and the smallest time kept. One row per n: ``n``, ``d``,
    ``t_form``, ``t_eig`` (seconds).

    BLAS is pinned to one thread for the timings (:func:`kernelnet._threads.limit_threads`):
    with a second BLAS thread, process time also counts that thread spinning while it waits
    for a core, and on a busy machine a 200 x 200 ``eigh`` then "costs" 0.37 s of CPU instead
    of 0.003 s, at random sizes (measured 2026-12-05, load 3), which made the slope in n an
    artefact of the load.
    """
    width = check_int(width, "width", minimum=2)
    repeats = check_int(repeats, "repeats", minimum=1)
    rng = as_rng(seed, "seed")
    W = random_stiefel(width, check_int(n_classes, "n_classes", minimum=2, maximum=width),
                       random_state=seed)
    with limit_threads(1):
        return _q_cost_rows(sizes, W, rng, width, n_classes, repeats)


def _q_cost_rows(sizes, W, rng, width, n_classes, repeats) -> pd.DataFrame:
    rows = []
    for n in sizes:
        n = check_int(n, "sizes", minimum=2 * n_classes)
        R = rng.standard_normal((n, width))
        G = label_gamma(np.arange(n) % n_classes)
        tf, te = [], []
        for _ in range(repeats):
            t0 = time.process_time()
            Q = ism_matrix(W, R, G, sigma=1.0)
            t1 = time.process_time()
            np.linalg.eigh(Q)
            t2 = time.process_time()
            tf.append(t1 - t0)
            te.append(t2 - t1)
        rows.append({"n": n, "d": width, "t_form": min(tf), "t_eig": min(te)})
    return pd.DataFrame(rows)


def loglog_slope(x, y) -> float:
    """Least-squares slope of log y against log x (the exponent k of y ~ x^k)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.shape != y.shape or x.size < 2 or np.any(x <= 0) or np.any(y <= 0):
        raise ValueError("x and y must be positive, of one shape, with at least two values")
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])
