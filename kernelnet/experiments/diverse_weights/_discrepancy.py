"""s_m(D) along training and against the weight discrepancy: the teacher data, the key
inequality path, clustered weights and the activation-kernel distance."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from kernelnet import twolayer as tl
from kernelnet._threads import limit_threads
from kernelnet._validation import as_rng, check_bool, check_choice, check_int
from kernelnet.parallel import map_units

from ._common import _seed, _size


# ---------------------------------------------------------------------------------------------
# s_m(D): along training, and against the weight discrepancy
# ---------------------------------------------------------------------------------------------


def teacher_data(m, m_test, d, k_teacher, *, teacher="relu", random_state=None):
    r"""The chapter's data models: a "true target" one-hidden-layer ReLU network.

    :math:`x` uniform on :math:`S^{d-1}`; :math:`y = (f^*(x) - c)/s`, with c, s the mean and
    standard deviation of :math:`f^*` on the training inputs (so the training targets are
    standardised), :math:`w^*_j \sim N(0, I)` and :math:`v^*_j` uniform signs:

    - ``teacher="relu"``: :math:`f^*(x) = \sum_{j=1}^{k^*} v^*_j \sigma(w_j^{*\top} x)`;
    - ``teacher="even"``: :math:`f^*(x) = \sum_{j=1}^{k^*} v^*_j \big(\sigma(w_j^{*\top} x)
      + \sigma(-w_j^{*\top} x)\big) = \sum_j v^*_j |w_j^{*\top} x|`, a ReLU network of
      width :math:`2k^*` whose linear parts cancel. A random ReLU teacher is mostly linear
      (:math:`\sigma(u) = u/2 + |u|/2`, and the linear part is most of its variance), which any
      student fits at once; the even teacher has no linear part, so a student needs about two
      units of the right sign per teacher direction and a small one underfits, as the talk's
      smallest network does.

    The talk does not state its data model; this is the setting of its theorem (a target of the
    same architecture, no noise).

    Returns
    -------
    X, y, X_test, y_test : ndarrays
    """
    teacher = check_choice(teacher, "teacher", ("relu", "even"))
    rng = as_rng(random_state)
    X = tl.sample_sphere(m, d, random_state=rng)
    Xt = tl.sample_sphere(m_test, d, random_state=rng)
    Ws, vs = tl.init_weights(k_teacher, d, random_state=rng) if k_teacher >= 2 else (
        rng.standard_normal((1, d)), np.array([1.0]))
    if teacher == "even":
        Ws, vs = np.vstack([Ws, -Ws]), np.concatenate([vs, vs])
    f, ft = tl.forward(Ws, vs, X), tl.forward(Ws, vs, Xt)
    c, s = f.mean(), f.std()
    return X, (f - c) / s, Xt, (ft - c) / s


def _lr(W, X):
    """Step 1/lambda_max of the Gauss-Newton matrix D D^T / m at W.

    lambda_max(D D^T) = lambda_max(D^T D) = n lambda_max(G_n): taken from the smaller of the
    (n d) x (n d) and m x m Gram matrices.
    """
    n, d = W.shape
    m = X.shape[0]
    if n * d < m:
        D = tl.extended_feature_matrix(W, np.ones(n), X)
        top = float(np.linalg.eigvalsh(D @ D.T)[-1])
    else:
        top = n * float(np.linalg.eigvalsh(tl.empirical_gram(W, X))[-1])
    return 1.0 / (top / m)


def key_inequality_path(*, quick=False, seed=0, m=None, d=10, n=None, k_teacher=20,
                        n_steps=None):
    r"""The key inequality :math:`\lVert r\rVert \le \lVert\partial L/\partial W\rVert/s_m(D)`
    along gradient descent (seed 003, "Intuition"): linear algebra, illustrated, not tested.

    Returns
    -------
    DataFrame
        ``step``, ``r_norm``, ``grad_norm``, ``s_min``, ``bound`` (= grad_norm / s_min),
        ``loss``, ``discrepancy``.
    """
    quick = check_bool(quick, "quick")
    rng = np.random.default_rng(_seed(seed))
    m = check_int(_size("key_m", quick, m), "m", minimum=2)
    n = check_int(_size("key_n", quick, n), "n", minimum=2)
    n_steps = check_int(_size("key_steps", quick, n_steps), "n_steps", minimum=1)
    # stays serial (issue 11): one gradient-descent path, each step needs the previous one
    X, y, _, _ = teacher_data(m, 2, d, k_teacher, random_state=rng)
    W, v = tl.init_weights(n, d, scale=1.0 / math.sqrt(n), random_state=rng)
    with limit_threads(1):
        res = tl.train_gd(X, y, W, v, lr=_lr(W, X), n_steps=n_steps,
                          record_every=max(1, n_steps // 30), track_singular=True)
    h = pd.DataFrame(res.history)
    h["bound"] = h.grad_norm / h.s_min
    return h[["step", "r_norm", "grad_norm", "s_min", "bound", "loss", "discrepancy"]]


def _clustered_weights(n, d, n_clusters, spread, rng):
    centres = rng.standard_normal((n_clusters, d))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    labels = np.arange(n) % n_clusters
    return centres[labels] + spread * rng.standard_normal((n, d)) / math.sqrt(d)


def _discrepancy_row(kind, spread, rep, W, X, G, n, half, lam_G):
    Gn = tl.empirical_gram(W, X)
    L2sq = tl.weight_discrepancy(W, squared=True)
    lam = np.linalg.eigvalsh(n * Gn)[0]
    op = float(np.linalg.norm(G - Gn, 2))
    L2 = math.sqrt(max(L2sq, 0.0))
    return dict(kind=kind, spread=spread, repeat=rep, L2=L2, L2sq=L2sq,
                s2_over_n=max(float(lam), 0.0) / n, half_m_gamma_m=half, op_diff=op,
                ratio=op / L2 if L2 > 0 else float("nan"), lam_Gn=float(lam) / n,
                lam_G=lam_G)


def _discrepancy_unit(unit, seed):
    """One repeat of :func:`singular_value_vs_discrepancy`: one X, random and clustered W.

    Module level so that :func:`kernelnet.parallel.map_units` can ship it to a worker.
    """
    rep, p = unit
    rng = np.random.default_rng(seed)
    m, n, d, half = p["m"], p["n"], p["d"], p["half"]
    rows = []
    with limit_threads(1):
        X = tl.sample_sphere(m, d, random_state=rng)
        G = tl.relu_gram(X)
        lam_G = float(np.linalg.eigvalsh(G)[0])
        W = rng.standard_normal((n, d))
        rows.append(_discrepancy_row("random", np.inf, rep, W, X, G, n, half, lam_G))
        for sp in p["spreads"]:
            W = _clustered_weights(n, d, p["n_clusters"], float(sp), rng)
            rows.append(_discrepancy_row("clustered", float(sp), rep, W, X, G, n, half, lam_G))
    return rows


def singular_value_vs_discrepancy(*, quick=False, seed=0, m=None, d=10, n=None,
                                  n_clusters=3, spreads=None, repeats=None, n_jobs=None,
                                  backend=None, scheduler=None):
    r"""Measured :math:`s_m(D)^2` for random (diverse) and clustered (non-diverse) weights,
    against the weight discrepancy :math:`L_2(W)` and the first term :math:`nm\gamma_m/2` of the
    talk's bound :math:`s_m(D)^2 \ge nm\gamma_m/2 - cn\rho L_2(W)`.

    The talk leaves c and rho unspecified (ERRATA 003), so the second term cannot be drawn; the
    chapter shows the first term and the measured trend. Clustered weights: ``n_clusters``
    random unit centres plus Gaussian noise of norm ~``spread``; spread -> infinity recovers
    random weights.

    The repeats are independent units run through :func:`kernelnet.parallel.map_units`
    (``n_jobs``, ``backend``, ``scheduler``); each draws its X and weights from its own generator
    seeded by ``(seed, unit index)``, so the table is identical serially, on local processes or
    on a Dask cluster.

    It also measures the talk's second step, :math:`\lVert G - G_n\rVert \le O(\rho L_2(W))`
    ("Bounding the second term"): ``op_diff`` is the spectral norm :math:`\lVert G - G_n\rVert_2`
    on the same X and ``ratio`` = ``op_diff`` / :math:`L_2(W)`; the bound says this ratio stays
    bounded while :math:`L_2` varies.

    Returns
    -------
    DataFrame
        ``kind`` (``"random"`` / ``"clustered"``), ``spread``, ``repeat``, ``L2``
        (:math:`L_2(W)`), ``L2sq`` (:math:`L_2(W)^2`, may be slightly negative), ``s2_over_n``
        (:math:`s_m(D)^2/n`), ``half_m_gamma_m`` (:math:`m\gamma_m/2`), ``op_diff``,
        ``ratio``, ``lam_Gn`` (:math:`\lambda_m(G_n)`, unclipped) and ``lam_G``
        (:math:`\lambda_m(G)` of the same points), the terms of the talk's
        :math:`\lambda_m(G_n) \ge \lambda_m(G) - \lVert G - G_n\rVert`.
    """
    quick = check_bool(quick, "quick")
    seed = _seed(seed)
    m = check_int(_size("disc_m", quick, m), "m", minimum=2)
    n = check_int(_size("disc_n", quick, n), "n", minimum=2)
    repeats = check_int(_size("disc_repeats", quick, repeats), "repeats", minimum=1)
    if spreads is None:
        spreads = np.geomspace(0.01, 10.0, _size("disc_spreads", quick, None))
    half = 0.5 * m * float(tl.gamma_sequence(d, m)[-1])
    params = dict(m=m, n=n, d=d, half=half, n_clusters=n_clusters,
                  spreads=[float(sp) for sp in spreads])
    results = map_units(_discrepancy_unit, [(rep, params) for rep in range(repeats)], seed=seed,
                        n_jobs=n_jobs, backend=backend, scheduler=scheduler,
                        desc="s_m(D) vs discrepancy")
    return pd.DataFrame([row for rows in results for row in rows])


def _activation_unit(unit, seed):
    """One weight set of :func:`activation_distance_check` (module level, for the workers)."""
    kind, spread, p = unit
    rng = np.random.default_rng(seed)
    n, d = p["n"], p["d"]
    W = (rng.standard_normal((n, d)) if kind == "random"
         else _clustered_weights(n, d, p["n_clusters"], spread, rng))
    mc, se = tl.activation_kernel_distance_mc(W, p["n_pairs"], random_state=rng)
    L2sq = tl.weight_discrepancy(W, squared=True)
    return dict(kind=kind, spread=spread, L2sq=L2sq, mc=mc, mc_se=se, z=(mc - L2sq) / se)


def activation_distance_check(*, quick=False, seed=0, n=None, d=10, spreads=(0.1, 1.0),
                              n_clusters=3, n_pairs=None, n_jobs=None, backend=None,
                              scheduler=None):
    r"""The weight discrepancy is a distance between kernels: :math:`L_2(W)^2` against a Monte
    Carlo estimate of :math:`\mathbb E_{x,y}[(K_n - K)^2]` (finite- against infinite-width
    activation kernel, :func:`kernelnet.twolayer.activation_kernel_distance_mc`), for random
    weights and clustered weights at each ``spread``.

    Returns
    -------
    DataFrame
        ``kind``, ``spread``, ``L2sq`` (the talk's formula), ``mc`` and ``mc_se`` (Monte Carlo
        estimate and its standard error), ``z`` = (mc - L2sq) / mc_se (standard normal if the
        identity holds).
    """
    quick = check_bool(quick, "quick")
    seed = _seed(seed)
    n = check_int(_size("disc_n", quick, n), "n", minimum=2)
    n_pairs = check_int(_size("disc_mc_pairs", quick, n_pairs), "n_pairs", minimum=2)
    p = dict(n=n, d=check_int(d, "d", minimum=2), n_clusters=n_clusters, n_pairs=n_pairs)
    units = [("random", np.inf, p)] + [("clustered", float(sp), p) for sp in spreads]
    rows = map_units(_activation_unit, units, seed=seed, n_jobs=n_jobs, backend=backend,
                     scheduler=scheduler, desc="activation-kernel distance")
    return pd.DataFrame(rows)
