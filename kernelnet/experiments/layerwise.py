r"""Chapters 1-2: layer-wise kernel networks on the poster's eight data sets (seed 000).

* :func:`layer_histories`: per-layer histories (Theorems 1-2: normalised HSIC, scatter ratio,
  distance to the limit kernel, training accuracy) of the ISM (:math:`W^*`) and closed-form
  (:math:`W_s`) networks on every data set, fitted on the authors' first training fold.
* :func:`optimality`: Claims 4-6 at each layer input of an ISM network: the gradient at
  :math:`W_s` and its Taylor check, the ISM fixed point and its projected gradient, the
  eq. 10-11 identity and penalty sizes.
* :func:`sign_split`: the :math:`|\Gamma_{ij}|` sign split of eq. 10 on balanced and unbalanced
  labels.
* :func:`implicit_losses`: Claim 3 / Corollaries 2.1-2.2, MSE after a translation of labels and
  CE after a change of basis, per layer.

Every function returns pandas DataFrames; the notebooks ``01_layerwise_kernel_networks`` and
``02_optimality_and_implicit_regularisation`` draw them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.preprocessing import scale

from .. import datasets
from .._validation import as_labels, check_choice, check_int, one_hot
from ..checks import derivative_check
from ..layerwise import (
    LayerwiseKernelNet,
    closed_form_weights,
    eq11_terms,
    ism_fixed_point,
    ism_surrogate,
    label_gamma,
    layer_gradient,
    layer_objective,
    stiefel_gradient,
)

__all__ = [
    "POSTER_SETS",
    "training_fold",
    "layer_histories",
    "optimality",
    "sign_split",
    "implicit_losses",
]

#: The poster's eight data sets, in the table's order.
POSTER_SETS = ("random", "adversarial", "spiral", "wine", "cancer", "car", "face", "divorce")


def training_fold(
    name: str, *, fold: int = 0, max_samples: int | None = None, seed: int = 0, noise: float = 0.0
):
    """The authors' training fold ``fold`` (0-based) of ``name``, z-scored as they did.

    ``max_samples`` keeps a random stratified subset of at most that many rows (quick mode).
    ``noise`` adds N(0, noise^2) to every feature before z-scoring, as the authors' W_s runs do
    (0.02, ``NIK_Thm1_Release_V2/src/tests/run_10_fold.py``). Returns ``(X, y)``.
    """
    fold = check_int(fold, "fold", minimum=0, maximum=9)
    X, y = datasets.load(name)
    tr, _ = datasets.folds(name)[fold]
    X, y = X[tr], y[tr]
    if max_samples is not None and X.shape[0] > check_int(max_samples, "max_samples", minimum=10):
        rng = np.random.default_rng(seed)
        codes, _ = as_labels(y, "y")
        keep = []
        frac = max_samples / X.shape[0]
        for k in np.unique(codes):
            idx = np.flatnonzero(codes == k)
            keep.append(rng.choice(idx, size=max(2, int(round(frac * idx.size))), replace=False))
        keep = np.sort(np.concatenate(keep))
        X, y = X[keep], y[keep]
    if noise:
        X = X + float(noise) * np.random.default_rng([seed, 1]).standard_normal(X.shape)
    return scale(X), y


def layer_histories(
    names=POSTER_SETS,
    *,
    methods=("ism", "closed_form"),
    fold: int = 0,
    quick: bool = False,
    seed: int = 0,
    max_layers: int = 30,
    ws_noise: float = 0.02,
    n_jobs=None,
    backend=None,
    scheduler=None,
) -> pd.DataFrame:
    """Per-layer history of each network on each data set (Theorems 1-2, Claims 1-2).

    One row per (data set, method, layer): every key of ``LayerwiseKernelNet.history_`` plus
    ``dataset``, ``n_layers``, ``stop_reason`` and ``fit_time``. Fitted on the authors' training
    fold ``fold`` with the authors' preprocessing (z-scoring; for W_s also ``ws_noise`` Gaussian
    noise on the features first, 0.02 as in their W_s runs); ``quick`` keeps at most 300
    training rows per data set (stratified) so the chapter runs in seconds.

    The (data set, method) fits are independent units run through
    :func:`kernelnet.parallel.map_units` (``n_jobs``: local workers; ``backend``:
    ``"sequential"``, ``"loky"``, ``"threading"`` or ``"dask"``; ``scheduler``: Dask address).
    Each fit's only randomness is the stratified subsample, the W_s noise and the network's
    ``random_state``, all seeded from ``seed`` itself as before (the data a data set's units
    share), so the rows are identical serially, with ``n_jobs=2`` or on Dask (except the
    wall-clock ``time`` and ``fit_time``, measured per fit).
    """
    from kernelnet.parallel import map_units

    for m in methods:
        check_choice(m, "methods", ("ism", "closed_form"))
    bad = [n for n in names if n not in datasets.names()]
    if bad:
        raise ValueError(f"names: unknown data set(s) {bad}; valid: {datasets.names()}")
    seed = check_int(seed, "seed", minimum=0)
    params = dict(fold=fold, quick=bool(quick), seed=seed, max_layers=max_layers,
                  ws_noise=ws_noise)
    units = [(name, method, params) for name in names for method in methods]
    parts = map_units(_history_unit, units, seed=seed, n_jobs=n_jobs, backend=backend,
                      scheduler=scheduler, desc="layer_histories")
    rows = [row for part in parts for row in part]
    return pd.DataFrame(rows)


def _history_unit(unit, unit_seed):
    """Rows of :func:`layer_histories` for one (data set, method) fit.

    Module level so that :func:`kernelnet.parallel.map_units` can ship it to a worker. The
    subsample, noise and network are seeded from the sweep's ``seed`` (as before the units
    existed), not from ``unit_seed``, so the output is unchanged.
    """
    name, method, p = unit
    X, y = training_fold(
        name,
        fold=p["fold"],
        max_samples=300 if p["quick"] else None,
        seed=p["seed"],
        noise=p["ws_noise"] if method == "closed_form" else 0.0,
    )
    net = LayerwiseKernelNet(method, random_state=p["seed"], max_layers=p["max_layers"]).fit(X, y)
    return [
        {
            "dataset": name,
            **h,
            "method": method,
            "n_layers": net.n_layers_,
            "stop_reason": net.stop_reason_,
            "fit_time": net.fit_time_,
        }
        for h in net.history_
    ]


def _rel(a, b):
    return float(np.linalg.norm(a) / max(np.linalg.norm(b), 1e-300))


def optimality(
    name: str = "wine",
    *,
    fold: int = 0,
    n_layers: int = 4,
    quick: bool = False,
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
      :math:`\sigma^{-2}\operatorname{Tr}(W^\top Q W)`, and the penalty
      :math:`\sum_i D_i \lVert W^\top r_i\rVert^2` at both (Claim 6).
    """
    n_layers = check_int(n_layers, "n_layers", minimum=1, maximum=30)
    X, y = training_fold(name, fold=fold, max_samples=300 if quick else None, seed=seed)
    net = LayerwiseKernelNet(random_state=seed, max_layers=n_layers, stop="max_layers").fit(X, y)
    inputs = [X] + net.layer_outputs(X)[:-1]
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
                "taylor_order_ws": chk.order1,
                "taylor_passed_ws": bool(chk.passed),
                "ism_converged": bool(info["converged"]),
                "ism_iterations": int(info["iterations"]),
                "eq11_minus_surrogate_ws": abs(e_s["total"] - s_s) / max(abs(s_s), 1e-300),
                "eq11_minus_surrogate_star": abs(e_st["total"] - s_st) / max(abs(s_st), 1e-300),
                "penalty_ws": e_s["penalty"],
                "penalty_star": e_st["penalty"],
                "first_term_ws": e_s["first"],
                "first_term_star": e_st["first"],
                "sign_split_holds": bool(e_s["sign_split_holds"]),
            }
        )
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
    from ..parallel import map_units

    seed = check_int(seed, "seed", minimum=0)
    rows = map_units(_sign_split_unit, [(name, seed) for name in names], seed=seed,
                     n_jobs=n_jobs, backend=backend, scheduler=scheduler, desc="sign split")
    return pd.DataFrame(rows)


def _sign_split_unit(unit, unit_seed):
    """One data set of :func:`sign_split` (module level, for the workers)."""
    from ..layerwise import hsic_optimal_sigma

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
    name: str = "wine", *, method: str = "ism", fold: int = 0, quick: bool = False, seed: int = 0
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
    normalised HSIC (authors' variant).
    """
    check_choice(method, "method", ("ism", "closed_form"))
    X, y = training_fold(name, fold=fold, max_samples=300 if quick else None, seed=seed)
    net = LayerwiseKernelNet(method, random_state=seed).fit(X, y)
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
