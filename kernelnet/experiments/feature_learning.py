r"""Chapter 7: feature learning versus the NTK (seed 004).

Every function takes plain parameters (sizes, ``seed``; ``quick`` for :func:`run`) and returns
tables (pandas DataFrames) or small dataclasses; the notebook ``07_feature_learning_vs_ntk`` draws
them. The library code is in :mod:`kernelnet.feature_learning` and :mod:`kernelnet.solvers`.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import feature_learning as fl
from .. import solvers
from .._validation import check_choice, check_int, check_positive
from ..kernels import gaussian_kernel, median_heuristic

__all__ = [
    "fourier_target",
    "curse_of_dimensionality",
    "lemma1_sweep",
    "fit_loglog_slope",
    "first_step_alignment",
    "sample_complexity",
    "n_to_reach",
    "solver_scaling",
    "heaviside",
    "FeatureLearningChapter",
    "single_thread",
    "run",
]


def fit_loglog_slope(x, y):
    """Least-squares slope and intercept of ``log y`` against ``log x`` (natural logs).

    Points with a non-positive or non-finite coordinate are left out; if fewer than two remain
    (e.g. a curve that never reached its target) the result is ``(nan, nan)``, a documented
    "no slope" marker. ``x`` and ``y`` themselves must be 1-D of the same length >= 2
    (``ValueError`` otherwise).
    """
    try:
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"x and y must be numeric sequences: {exc}") from None
    for name, arr in (("x", x), ("y", y)):
        if arr.ndim != 1 or arr.shape[0] < 2:
            raise ValueError(f"{name} must be 1-D with at least 2 points, got shape {arr.shape}")
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same length, got {x.shape[0]} and {y.shape[0]}")
    ok = (x > 0) & (y > 0) & np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 2:
        return float("nan"), float("nan")
    slope, icpt = np.polyfit(np.log(x[ok]), np.log(y[ok]), 1)
    return float(slope), float(icpt)


# ---------------------------------------------------------------------------------------------
# 1. Curse of dimensionality
# ---------------------------------------------------------------------------------------------


def fourier_target(d, *, n_terms=16, random_state=None):
    r"""A generic smooth periodic target on :math:`[0, 1]^d`.

    .. math::

        f(x) = \sqrt{2/K}\sum_{k=1}^K \cos(2\pi\,\omega_k\cdot x + \phi_k),
        \qquad \omega_k \in \{-1, 0, 1\}^d\setminus\{0\},\ \phi_k \sim U[0, 2\pi),

    frequencies drawn uniformly among the :math:`3^d - 1` non-zero ones (the smoothness per
    coordinate does not change with :math:`d`; the number of candidate modes grows as
    :math:`3^d`). Returns a callable ``f(X)``.
    """
    d = check_int(d, "d", minimum=1)
    n_terms = check_int(n_terms, "n_terms", minimum=1)
    rng = np.random.default_rng(random_state)
    omegas = []
    while len(omegas) < n_terms:
        w = rng.integers(-1, 2, size=d)
        if np.any(w):
            omegas.append(w)
    omega = np.array(omegas, dtype=float)
    phase = rng.uniform(0, 2 * np.pi, n_terms)

    def f(X):
        return math.sqrt(2.0 / n_terms) * np.cos(2 * np.pi * X @ omega.T + phase).sum(axis=1)

    return f


def _krr_oracle(K, Kt, y, yt, ridges):
    """Kernel ridge regression for each ridge (relative to mean diagonal); best test MSE."""
    scale = float(np.trace(K)) / K.shape[0]
    best = (np.inf, None)
    for lam in ridges:
        c = solvers.solve_direct(K, y, ridge=lam * scale)
        err = float(np.mean((Kt @ c - yt) ** 2))
        if err < best[0]:
            best = (err, lam)
    return best


def curse_of_dimensionality(dims=(1, 2, 4, 8), ns=(64, 128, 256, 512, 1024, 2048), *,
                            n_test=2000, ridges=(1e-6, 1e-4, 1e-2, 1.0), seed=0,
                            n_jobs=None, backend=None, scheduler=None):
    r"""Gaussian-kernel ridge regression error against :math:`n` for several :math:`d`.

    Target :func:`fourier_target` on :math:`x \sim U[0, 1]^d`, bandwidth by the median heuristic
    on the training inputs (:func:`kernelnet.kernels.median_heuristic`), ridge chosen on the test
    set from ``ridges`` (an oracle choice that favours the kernel). The error is the test MSE
    divided by the target's variance. Seed 004: "for some desired error
    :math:`\epsilon`, :math:`n = \Omega((1/\epsilon)^d)`".

    The (d, n) cells are independent units run through :func:`kernelnet.parallel.map_units`
    (``n_jobs``: local workers; ``backend``: ``"sequential"``, ``"loky"``, ``"threading"`` or
    ``"dask"``; ``scheduler``: Dask scheduler address). The target and test set of each ``d``
    come from a generator seeded by ``(seed, d)``, the training sample of a cell from its own
    ``(seed, unit index)`` stream, so the table is identical however it is scheduled.

    Returns
    -------
    DataFrame with columns d, n, error, ridge, sigma.
    """
    from kernelnet.parallel import map_units

    opts = dict(n_test=int(n_test), ridges=tuple(ridges), seed=int(seed))
    units = [(int(d), int(n), opts) for d in dims for n in ns]
    rows = map_units(_curse_unit, units, seed=int(seed), n_jobs=n_jobs, backend=backend,
                     scheduler=scheduler, desc="curse of dimensionality")
    return pd.DataFrame(rows)


def _curse_unit(unit, unit_seed):
    """One (d, n) cell of :func:`curse_of_dimensionality` (module level, for the workers)."""
    d, n, o = unit
    trng = np.random.default_rng([o["seed"], d])  # the same target and test set for every n
    f = fourier_target(d, random_state=trng)
    Xt = trng.uniform(size=(o["n_test"], d))
    yt = f(Xt)
    vt = float(np.var(yt))
    rng = np.random.default_rng(unit_seed)
    X = rng.uniform(size=(n, d))
    y = f(X)
    sigma = median_heuristic(X[: min(n, 500)])
    K = gaussian_kernel(X, sigma=sigma)
    Kt = gaussian_kernel(Xt, X, sigma=sigma)
    err, lam = _krr_oracle(K, Kt, y, yt, o["ridges"])
    return {"d": d, "n": n, "error": err / vt, "ridge": lam, "sigma": sigma}


# ---------------------------------------------------------------------------------------------
# 2. Lemma 1
# ---------------------------------------------------------------------------------------------


def lemma1_sweep(dims=(16, 32, 64, 128, 256, 512), *, r=2, p=3, m=16, n_mc=1_000_000, seed=0,
                 n_jobs=None, backend=None, scheduler=None):
    r"""Lemma 1 as :math:`d` grows: population gradient vs :math:`-2a_jHw_j/\sqrt{2\pi}`.

    For each :math:`d`: a target from :func:`kernelnet.feature_learning.make_target`, :math:`m`
    neurons from the symmetric initialisation (one of each pair; the partner's gradient is the
    negative), and per neuron

    * ``G_exact``: the exact population gradient (finite Hermite series,
      :func:`~kernelnet.feature_learning.population_gradient_W`);
    * ``G_mc`` with its error bar ``se`` (expected norm of the Monte Carlo error), the
      Rao-Blackwellised estimate with ``n_mc`` samples
      (:func:`~kernelnet.feature_learning.population_gradient_W_mc`);
    * ``L``: Lemma 1's term.

    Columns: cosine similarities (MC and exact vs L), relative errors
    :math:`\lVert G - L\rVert/\lVert L\rVert`, the remainder norms :math:`\lVert G - L\rVert`,
    the reference :math:`\sqrt r/d`, the MC error bar, and the fitted constant
    :math:`\hat c = \langle G, -2a_jHw_j\rangle/\lVert 2a_jHw_j\rVert^2` (Lemma 1 says
    :math:`1/\sqrt{2\pi} = 0.3989`) with its error bar, for both the MC and exact gradients.

    Each ``d`` is an independent unit run through :func:`kernelnet.parallel.map_units`
    (``n_jobs``: local workers; ``backend``: ``"sequential"``, ``"loky"``, ``"threading"`` or
    ``"dask"``; ``scheduler``: Dask scheduler address); its target, initialisation and Monte
    Carlo samples come from its own ``(seed, unit index)`` stream, so the table is identical
    however it is scheduled.
    """
    from kernelnet.parallel import map_units

    m = check_int(m, "m", minimum=2)
    opts = dict(r=int(r), p=int(p), m=m, n_mc=int(n_mc))
    units = [(int(d), opts) for d in dims]
    parts = map_units(_lemma1_unit, units, seed=int(seed), n_jobs=n_jobs, backend=backend,
                      scheduler=scheduler, desc="lemma 1")
    return pd.DataFrame([row for rows in parts for row in rows])


def _lemma1_unit(unit, unit_seed):
    """One ``d`` of :func:`lemma1_sweep` (module level, for the workers)."""
    d, o = unit
    r, p, m = o["r"], o["p"], o["m"]
    rng = np.random.default_rng(unit_seed)
    tgt = fl.make_target(d, r, p, random_state=rng)
    a, W, b = fl.symmetric_init(2 * m, d, random_state=rng)
    a, W = a[:m], W[:m]
    H = tgt.hessian()
    G = fl.population_gradient_W(tgt, W, a)
    Gmc, se = fl.population_gradient_W_mc(tgt, W, a, n_samples=o["n_mc"], random_state=rng)
    L = fl.lemma1_term(tgt, W, a)
    base = -2.0 * a[:, None] * (W @ H)  # L = base / sqrt(2 pi)
    bn2 = np.einsum("ij,ij->i", base, base)
    rows = []
    for j in range(m):
        nl = np.linalg.norm(L[j])
        rows.append({
            "d": d, "neuron": j,
            "cos_mc": float(Gmc[j] @ L[j] / (np.linalg.norm(Gmc[j]) * nl)),
            "cos_exact": float(G[j] @ L[j] / (np.linalg.norm(G[j]) * nl)),
            "relerr_mc": float(np.linalg.norm(Gmc[j] - L[j]) / nl),
            "relerr_exact": float(np.linalg.norm(G[j] - L[j]) / nl),
            "remainder_mc": float(np.linalg.norm(Gmc[j] - L[j])),
            "remainder_exact": float(np.linalg.norm(G[j] - L[j])),
            "mc_vs_exact": float(np.linalg.norm(Gmc[j] - G[j])),
            "se": float(se[j]),
            "norm_L": float(nl),
            "c_mc": float(Gmc[j] @ base[j] / bn2[j]),
            "c_exact": float(G[j] @ base[j] / bn2[j]),
            # the error of c_mc is at most se / ||base|| (projection of the MC error)
            "c_se": float(se[j] / math.sqrt(bn2[j])),
            "sqrt_r_over_d": math.sqrt(r) / d,
            "w_norm": float(np.linalg.norm(W[j])),
        })
    return rows


# ---------------------------------------------------------------------------------------------
# 3. First step: alignment of W^(1) with span(U)
# ---------------------------------------------------------------------------------------------


def first_step_alignment(dims=(16, 32, 64), ns_per_d2=(0.5, 1, 2, 4, 8, 16, 32), *, r=2, p=3,
                         m=512, seed=0, n_jobs=None, backend=None, scheduler=None):
    r"""Principal angles between the top-:math:`r` right singular subspace of :math:`W^{(1)}` and :math:`\mathrm{row}(U)`.

    One step of Algorithm 1 (preprocessing, symmetric init, :math:`W^{(1)} =
    -\eta_1\nabla_W\mathcal L`) on :math:`n = c\,d^2 r` samples for each factor :math:`c` in
    ``ns_per_d2``. Lemma 1 predicts :math:`W^{(1)} \approx` (rows of) :math:`HW^{(0)}` plus
    sampling noise of order :math:`\eta_1\sqrt{d/n}` per row; the noise has to fall below the
    signal :math:`\eta_1/\sqrt d`, i.e. :math:`n \gtrsim d^2`. Also at :math:`n = \infty`: the
    exact population step.

    The (d, c) cells, and the population step of each ``d``, are independent units run through
    :func:`kernelnet.parallel.map_units` (``n_jobs``: local workers; ``backend``:
    ``"sequential"``, ``"loky"``, ``"threading"`` or ``"dask"``; ``scheduler``: Dask scheduler
    address). The target and initialisation of each ``d`` come from a generator seeded by
    ``(seed, d)``, the training sample of a cell from its own ``(seed, unit index)`` stream, so
    the table is identical however it is scheduled.

    Returns
    -------
    DataFrame with columns d, n, n_over_d2r, angle_max, angle_mean (radians), sin_max.
    """
    from kernelnet.parallel import map_units

    opts = dict(r=int(r), p=int(p), m=int(m), seed=int(seed))
    # per d: one unit per factor c, then the population step (c = inf)
    units = [(int(d), float(c), opts) for d in dims for c in (*ns_per_d2, math.inf)]
    rows = map_units(_alignment_unit, units, seed=int(seed), n_jobs=n_jobs, backend=backend,
                     scheduler=scheduler, desc="first-step alignment")
    return pd.DataFrame(rows)


def _alignment_unit(unit, unit_seed):
    """One (d, c) cell of :func:`first_step_alignment`; ``c = inf``: the population step."""
    d, c, o = unit
    r, p = o["r"], o["p"]
    trng = np.random.default_rng([o["seed"], d])  # the same target and W0 for every c
    tgt = fl.make_target(d, r, p, random_state=trng)
    a0, W0, b0 = fl.symmetric_init(o["m"], d, random_state=trng)
    eta1 = math.sqrt(d)
    if math.isinf(c):
        n = n_over = np.inf
        W1 = -eta1 * fl.population_gradient_W(tgt, W0, a0)
    else:
        n = max(int(round(c * d * d * r)), 8)
        n_over = n / (d * d * r)
        X = fl.sample_inputs(n, d, random_state=np.random.default_rng(unit_seed))
        _, _, yr = fl.preprocess(X, tgt(X))
        W1 = -eta1 * fl.loss_gradient_W(X, yr, a0, W0, b0)
    ang = fl.principal_angles(W1, tgt.U)
    return {"d": d, "n": n, "n_over_d2r": n_over, "angle_max": float(ang.max()),
            "angle_mean": float(ang.mean()), "sin_max": float(np.sin(ang.max()))}


# ---------------------------------------------------------------------------------------------
# 4. Sample complexity: Algorithm 1 vs kernels
# ---------------------------------------------------------------------------------------------


def sample_complexity(dims=(8, 16, 32), ns=(250, 500, 1000, 2000, 4000, 8000, 16000), *, p=3,
                      r=2, m=1024, n_test=2000, n_kernel_max=8000, kernel_max_d=None,
                      ridges=(1e-4, 1e-3, 1e-2), methods=("algorithm1", "rf", "ntk"), seed=0,
                      n_jobs=None, backend=None, scheduler=None):
    r"""Test error against :math:`n` for Algorithm 1, random features and NTK regression.

    Target :func:`~kernelnet.feature_learning.make_target` (:math:`d, r, p`; variance 1, half
    of it in degree 2), inputs :math:`N(0, I_d)`, noiseless labels. Methods (all with the same
    preprocessing :math:`\alpha, \beta`):

    * ``"algorithm1"``: :func:`~kernelnet.feature_learning.algorithm1` (width ``m``, ridge head);
    * ``"rf"``: :func:`~kernelnet.feature_learning.random_features_regression` (width ``m``,
      the same network without the first step);
    * ``"ntk"``: kernel ridge regression with the NTK of the network with a trained bias
      (:func:`~kernelnet.feature_learning.network_ntk`, ``bias=True``), only for
      :math:`n \le` ``n_kernel_max`` (direct solve, :math:`n^2` memory) and
      :math:`d \le` ``kernel_max_d`` (if given).

    Every method gets its best ridge from ``ridges`` on the test set (an oracle choice, the same
    for all). Error = test MSE / Var f*.

    The (d, n) cells are independent units run through :func:`kernelnet.parallel.map_units`
    (``n_jobs``, ``backend``, ``scheduler``). The target and test set of each ``d`` come from a
    generator seeded by ``(seed, d)``, the training sample and network draws of a cell from its
    own ``(seed, unit index)`` stream, so the table is identical however it is scheduled.

    Returns
    -------
    DataFrame with columns method, d, p, r, n, error, ridge, seconds.
    """
    from kernelnet.parallel import map_units

    if isinstance(methods, str) or not len(methods):
        raise ValueError(f"methods must be a non-empty tuple of method names, got {methods!r}")
    for method in methods:
        check_choice(method, "methods", ("algorithm1", "rf", "ntk"))
    for name, values in (("dims", dims), ("ns", ns)):
        if not len(values):
            raise ValueError(f"{name} must not be empty")
        for v in values:
            check_int(v, name, minimum=1)
    if not len(ridges):
        raise ValueError("ridges must not be empty")
    for v in ridges:
        check_positive(v, "ridges")
    opts = dict(p=p, r=r, m=m, n_test=n_test, n_kernel_max=n_kernel_max,
                kernel_max_d=kernel_max_d, ridges=tuple(ridges), methods=tuple(methods),
                seed=int(seed))
    units = [(int(d), int(n), opts) for d in dims for n in ns]
    parts = map_units(_sample_complexity_unit, units, seed=int(seed), n_jobs=n_jobs,
                      backend=backend, scheduler=scheduler, desc="sample complexity")
    return pd.DataFrame([row for rows in parts for row in rows])


def _sample_complexity_unit(unit, unit_seed):
    """One (d, n) cell of :func:`sample_complexity` (module level, for the workers)."""
    d, n, o = unit
    p, r, m = o["p"], o["r"], o["m"]
    trng = np.random.default_rng([o["seed"], d])  # the same target and test set for every n
    tgt = fl.make_target(d, r, p, random_state=trng)
    Xt = fl.sample_inputs(o["n_test"], d, random_state=trng)
    yt = tgt(Xt)
    rng = np.random.default_rng(unit_seed)
    X = fl.sample_inputs(n, d, random_state=rng)
    y = tgt(X)
    fit_seed = int(rng.integers(2**31))
    rows = []
    for method in o["methods"]:
        if method == "ntk" and (n > o["n_kernel_max"] or
                                (o["kernel_max_d"] is not None and d > o["kernel_max_d"])):
            continue
        t0 = time.perf_counter()
        best = (np.inf, None)
        if method == "ntk":
            alpha, beta, yr = fl.preprocess(X, y)
            K = fl.network_ntk(X, bias=True)
            Kt = fl.network_ntk(Xt, X, bias=True)
            best = _krr_oracle(K, Kt, yr, yt - alpha - Xt @ beta, o["ridges"])
        else:
            for lam in o["ridges"]:
                if method == "algorithm1":
                    res = fl.algorithm1(X, y, m=m, ridge=lam, random_state=fit_seed)
                else:
                    res = fl.random_features_regression(X, y, m=m, ridge=lam,
                                                        random_state=fit_seed)
                err = float(np.mean((res.predict(Xt) - yt) ** 2))
                if err < best[0]:
                    best = (err, lam)
        rows.append({"method": method, "d": d, "p": p, "r": r, "n": n,
                     "error": best[0] / tgt.variance, "ridge": best[1],
                     "seconds": time.perf_counter() - t0})
    return rows


def n_to_reach(df, threshold, by=("method", "d", "p")):
    r"""Smallest :math:`n` at which each curve (grouped by ``by``) reaches ``threshold``.

    Log-log interpolation between the two grid points around the first crossing; ``nan`` if the
    curve never goes below the threshold within the grid (the answer is then beyond the range);
    ``censored_low`` marks curves already below it at the first grid point (an upper bound).
    """
    threshold = check_positive(threshold, "threshold")
    by = list(by)
    out = []
    for key, g in df.groupby(by):
        g = g.sort_values("n")
        n = g["n"].to_numpy(float)
        e = g["error"].to_numpy(float)
        val = float("nan")
        below = np.flatnonzero(e <= threshold)
        if below.size:
            k = below[0]
            if k == 0:
                val = n[0]  # already below at the first grid point: an upper bound only
            else:
                t = (math.log(threshold) - math.log(e[k - 1])) / (math.log(e[k]) - math.log(e[k - 1]))
                val = float(math.exp(math.log(n[k - 1]) + t * (math.log(n[k]) - math.log(n[k - 1]))))
        row = dict(zip(by, key if isinstance(key, tuple) else (key,)))
        row.update({"n_eps": val, "censored_low": bool(below.size and below[0] == 0)})
        out.append(row)
    return pd.DataFrame(out)


# ---------------------------------------------------------------------------------------------
# 5. Kernels at scale: direct vs iterative
# ---------------------------------------------------------------------------------------------


def solver_scaling(ns=(1000, 2000, 4000, 8000), *, d=10, lam=1e-4, tol=1e-6, rank=200,
                   n_direct_max=8000, n_dense_max=8000, richardson_max_n=2000,
                   max_iter=5000, seed=0):
    r"""Direct vs iterative kernel ridge solves: time, iterations, FLOP counts.

    Gaussian kernel (bandwidth: median heuristic on 500 points) on :math:`x\sim N(0, I_d)`,
    :math:`y = \sin(x_1) + \text{noise}`, ridge :math:`\mu = \lambda n`. Methods: Cholesky
    (:func:`~kernelnet.solvers.solve_direct`, up to ``n_direct_max``), CG, CG with a rank-``rank``
    Nystrom preconditioner, Richardson (only up to ``richardson_max_n``: it needs
    :math:`\sim\kappa\log(1/\mathrm{tol})` steps) and Richardson with the same preconditioner
    (EigenPro-style). Dense :math:`K` up to ``n_dense_max``, matrix-free
    (:class:`~kernelnet.solvers.KernelOperator`) beyond. Each iterative solution is compared with
    the direct one where that exists.

    Returns
    -------
    DataFrame: n, method, seconds, n_iter, converged, flops, rel_diff (vs direct), matrix_free.
    """
    # stays serial (no map_units): it measures wall-clock times, which parallel units would distort
    rng = np.random.default_rng(seed)
    rows = []
    for n in ns:
        X = rng.standard_normal((n, d))
        y = np.sin(X[:, 0]) + 0.1 * rng.standard_normal(n)
        sigma = median_heuristic(X[:500])
        mu = lam * n
        dense = n <= n_dense_max
        if dense:
            t0 = time.perf_counter()
            A = gaussian_kernel(X, sigma=sigma)
            t_kernel = time.perf_counter() - t0
        else:
            A = solvers.KernelOperator(X, "gaussian", sigma=sigma)
            A.matvec(y[:])  # warm the compiled mat-vec
            t_kernel = 0.0
        ref = None
        if dense and n <= n_direct_max:
            solvers.solve_direct(A[:200, :200], y[:200], ridge=mu)  # warm
            t0 = time.perf_counter()
            ref = solvers.solve_direct(A, y, ridge=mu)
            rows.append({"n": n, "method": "cholesky", "seconds": time.perf_counter() - t0,
                         "kernel_seconds": t_kernel, "n_iter": 0, "converged": True,
                         "flops": solvers.direct_flops(n), "rel_diff": 0.0,
                         "matrix_free": False})
        mv_flops = solvers.matvec_flops(n, 0 if dense else d)
        for method in ("cg", "cg+nystrom", "richardson", "richardson+nystrom"):
            if method == "richardson" and n > richardson_max_n:
                continue
            t0 = time.perf_counter()
            P = None
            if method.endswith("nystrom"):
                P = solvers.NystromPreconditioner(A, rank=min(rank, n - 1), ridge=mu,
                                                  random_state=rng)
            if method.startswith("cg"):
                res = solvers.conjugate_gradient(A, y, ridge=mu, tol=tol, max_iter=max_iter,
                                                 preconditioner=P)
            else:
                res = solvers.richardson(A, y, ridge=mu, tol=tol, max_iter=max_iter,
                                         preconditioner=P)
            sec = time.perf_counter() - t0
            rows.append({"n": n, "method": method, "seconds": sec, "kernel_seconds": t_kernel,
                         "n_iter": res.n_iter, "converged": bool(res.converged),
                         "flops": res.n_iter * mv_flops,
                         "rel_diff": (float(np.linalg.norm(res.coef - ref) / np.linalg.norm(ref))
                                      if ref is not None else float("nan")),
                         "matrix_free": not dense})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# 6. The 1-D Heaviside example
# ---------------------------------------------------------------------------------------------


def heaviside(*, n=200, sigmas=(0.1, 0.2), iters=(10, 100, 1000, 10000), m=64, lr=0.02,
              ridge=1e-8, seed=0):
    r"""Fit the step :math:`y = \mathbf 1_{x \ge 0}` on :math:`[-1, 1]`: kernel iterations vs a network.

    Kernel: Gaussian kernel for each bandwidth in ``sigmas``, Richardson iterations
    :math:`\alpha^{(t)} = \alpha^{(t-1)} - \eta(K\alpha^{(t-1)} - y)`,
    :math:`\eta = 1/\lambda_{\max}(K)` (seed 004, "kernel methods for big data"), and the direct
    solve with a tiny ridge (the :math:`t\to\infty` limit). After :math:`t` steps the error along
    eigenvector :math:`i` has shrunk by :math:`(1 - \lambda_i/\lambda_1)^t`, so only the
    directions with :math:`\lambda_i \gtrsim \lambda_1/t` are fitted; for a Gaussian kernel the
    eigenvalues fall exponentially, so that number grows only like :math:`\log t`. Network:
    :func:`~kernelnet.feature_learning.train_network_gd` (all parameters, width ``m``), one GD step
    per iteration, step ``lr`` (0.02 keeps the training loss monotone over :math:`10^5` steps
    here; 0.05 was faster at first but spiked near :math:`10^5` steps). Training MSE is recorded
    at every step; fits are kept at each ``iters``.

    Returns
    -------
    dict with ``x_train, y_train, x_grid, y_grid``; ``kernel_loss`` {sigma: array},
    ``network_loss``; ``kernel_fits`` {(sigma, t): predictions on the grid}, ``network_fits``
    {t: predictions}; ``direct`` {sigma: predictions}; ``eigenvalues`` {sigma: eigenvalues of K,
    descending}; ``errors`` (DataFrame: fit, t, train_mse, rmse_away = RMS error on the grid
    for :math:`|x| > 0.05`, max_away).
    """
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-1, 1, n))
    y = (x >= 0).astype(float)
    grid = np.linspace(-1, 1, 801)
    yg = (grid >= 0).astype(float)
    X, G = x[:, None], grid[:, None]
    away = np.abs(grid) > 0.05
    iters = sorted(int(t) for t in iters)
    T = iters[-1]
    rows = []

    def row(fit, t, train_pred, pred):
        return {"fit": fit, "t": t, "train_mse": float(np.mean((train_pred - y) ** 2)),
                "rmse_away": float(np.sqrt(np.mean((pred[away] - yg[away]) ** 2))),
                "max_away": float(np.max(np.abs(pred[away] - yg[away])))}

    kernel_loss, kernel_fits, direct, eig = {}, {}, {}, {}
    for sigma in sigmas:
        K = gaussian_kernel(X, sigma=sigma)
        Kg = gaussian_kernel(G, X, sigma=sigma)
        ev = np.linalg.eigvalsh(K)[::-1]
        eig[sigma] = ev
        eta = 1.0 / ev[0]
        alpha = np.zeros(n)
        loss = np.empty(T)
        for t in range(1, T + 1):
            r = K @ alpha - y
            loss[t - 1] = r @ r / n
            alpha -= eta * r
            if t in iters:
                kernel_fits[(sigma, t)] = Kg @ alpha
                rows.append(row(f"kernel sigma={sigma}", t, K @ alpha, kernel_fits[(sigma, t)]))
        kernel_loss[sigma] = loss
        c = solvers.solve_direct(K, y, ridge=ridge)
        direct[sigma] = Kg @ c
        rows.append(row(f"kernel sigma={sigma}", np.inf, K @ c, direct[sigma]))
    net = fl.train_network_gd(X, y, m=m, n_steps=T, lr=lr, record=iters, random_state=rng)
    net_fits = {}
    for t in iters:
        a, W, b = net["snapshots"][t]
        net_fits[t] = fl.network_output(G, a, W, b)
        rows.append(row("network (GD)", t, fl.network_output(X, a, W, b), net_fits[t]))
    return {"x_train": x, "y_train": y, "x_grid": grid, "y_grid": yg,
            "kernel_loss": kernel_loss, "network_loss": net["loss"], "kernel_fits": kernel_fits,
            "network_fits": net_fits, "direct": direct, "eigenvalues": eig,
            "errors": pd.DataFrame(rows)}


# ---------------------------------------------------------------------------------------------
# Everything for the chapter
# ---------------------------------------------------------------------------------------------


@dataclass
class FeatureLearningChapter:
    """All the tables of chapter 7 (see :func:`run`)."""

    curse: pd.DataFrame
    lemma1: pd.DataFrame
    alignment: pd.DataFrame
    sample_complexity: pd.DataFrame
    solvers: pd.DataFrame
    heaviside: dict
    params: dict


@contextlib.contextmanager
def single_thread():
    """Run numba and BLAS on one thread inside the block (restored afterwards).

    On the shared 2-core machines (load average often > 5) a ``parallel=True`` numba loop or a
    2-thread BLAS call waits for a busy core at every barrier: measured here, a 4,000-point
    matrix-free mat-vec took 1.9 s with 2 threads under load and 0.035 s with one
    (``PERFORMANCE.md`` makes the same point for small ``eigh`` calls).
    """
    import numba
    from threadpoolctl import threadpool_limits

    old = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        numba.set_num_threads(old)


def run(*, quick=False, seed=0, threads=1):
    """Run every experiment of the chapter with the sizes for ``quick`` (CI) or full mode.

    Measured on the shared 2-core machine (load average 3-5, one thread): quick mode 2-20 s
    (the spread is the machine's load), full mode 475-603 s with a peak resident set of 3.0 GiB
    (the NTK solves at n = 8,000 dominate both), i.e. inside the 15 min / 8 GiB budget.

    ``threads=1`` runs everything on one numba/BLAS thread (see :func:`single_thread`);
    ``threads=None`` leaves the thread settings alone.
    """
    if threads == 1:
        with single_thread():
            return _run(quick=quick, seed=seed)
    return _run(quick=quick, seed=seed)


def _run(*, quick, seed):
    rng = np.random.default_rng(seed)
    seeds = rng.integers(2**31, size=6)
    if quick:
        params = dict(
            curse=dict(dims=(1, 2, 4), ns=(32, 64, 128, 256, 512)),
            lemma1=dict(dims=(16, 32, 64, 128), m=8, n_mc=200_000),
            alignment=dict(dims=(8, 16), ns_per_d2=(1, 4, 16), m=256),
            sample_complexity=[dict(dims=(8, 12), ns=(250, 500, 1000, 2000), m=256, p=3,
                                    n_test=1000, n_kernel_max=1000)],
            solvers=dict(ns=(500, 1000, 2000), n_direct_max=2000, n_dense_max=1000,
                         richardson_max_n=500, rank=100),
            heaviside=dict(iters=(10, 100, 1000)),
        )
    else:
        params = dict(
            curse=dict(dims=(1, 2, 4, 8), ns=(32, 64, 128, 256, 512, 1024, 2048, 4096)),
            lemma1=dict(dims=(16, 32, 64, 128, 256, 512), m=16, n_mc=20_000_000),
            alignment=dict(dims=(16, 32, 64), ns_per_d2=(0.5, 1, 2, 4, 8, 16, 32), m=512),
            sample_complexity=[
                dict(dims=(8, 12, 16, 24, 32), p=3,
                     ns=(250, 500, 1000, 2000, 4000, 8000, 16000, 32000),
                     m=1024, n_test=2000, n_kernel_max=8000, kernel_max_d=24),
                dict(dims=(8, 12, 16), p=4, ns=(250, 500, 1000, 2000, 4000, 8000, 16000),
                     m=1024, n_test=2000, n_kernel_max=8000),
            ],
            solvers=dict(ns=(1000, 2000, 4000, 8000, 16000, 32000), n_direct_max=8000,
                         n_dense_max=8000, richardson_max_n=2000, rank=200),
            heaviside=dict(iters=(10, 100, 1000, 10000, 100000)),
        )
    return FeatureLearningChapter(
        curse=curse_of_dimensionality(**params["curse"], seed=int(seeds[0])),
        lemma1=lemma1_sweep(**params["lemma1"], seed=int(seeds[1])),
        alignment=first_step_alignment(**params["alignment"], seed=int(seeds[2])),
        sample_complexity=pd.concat(
            [sample_complexity(**kw, seed=int(seeds[3]) + i)
             for i, kw in enumerate(params["sample_complexity"])], ignore_index=True),
        solvers=solver_scaling(**params["solvers"], seed=int(seeds[4])),
        heaviside=heaviside(**params["heaviside"], seed=int(seeds[5])),
        params=params,
    )
