"""Chapter 7's experiments, sections 1-4: curse of dimensionality, Lemma 1, the first step, sample complexity."""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd

from ... import feature_learning as fl
from ..._validation import as_rng, check_choice, check_int, check_positive
from ...kernels import gaussian_kernel, median_heuristic
from ...parallel import map_units


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
    rng = as_rng(random_state)
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
    """Kernel ridge regression for each ridge (relative to mean diagonal); best test MSE.

    A ridge at which ``K + ridge I`` is not numerically positive definite (a wide bandwidth
    with a tiny ridge) counts as a failed fit (infinite error), not as an error of the sweep.
    """
    scale = float(np.trace(K)) / K.shape[0]
    best = (np.inf, None)
    coefs = fl.cholesky_ridge_path(K, y, [lam * scale for lam in ridges])
    for lam, c in zip(ridges, coefs):
        if c is None:
            continue
        err = float(np.mean((Kt @ c - yt) ** 2))
        if err < best[0]:
            best = (err, lam)
    return best


def curse_of_dimensionality(dims=(1, 2, 4, 8), ns=(64, 128, 256, 512, 1024, 2048), *,
                            n_test=2000, ridges=(1e-6, 1e-4, 1e-2, 1.0),
                            bandwidths=(0.125, 0.25, 0.5, 1.0, 2.0), seed=0,
                            n_jobs=None, backend=None, scheduler=None):
    r"""Gaussian-kernel ridge regression error against :math:`n` for several :math:`d`.

    Target :func:`fourier_target` on :math:`x \sim U[0, 1]^d`. The bandwidth is tuned as the
    ridge is: both are chosen on the test set, the bandwidth from ``bandwidths`` (multiples of
    the median heuristic on the training inputs, :func:`kernelnet.kernels.median_heuristic`)
    and the ridge from ``ridges`` (an oracle choice that favours the kernel). The error is the
    test MSE divided by the target's variance. The error at the median-heuristic bandwidth
    itself (factor 1, which ``bandwidths`` must contain) is kept beside it
    (``error_median``). Seed 004: "for some desired error :math:`\epsilon`,
    :math:`n = \Omega((1/\epsilon)^d)`".

    The (d, n) cells are independent units run through :func:`kernelnet.parallel.map_units`
    (``n_jobs``: local workers; ``backend``: ``"sequential"``, ``"loky"``, ``"threading"`` or
    ``"dask"``; ``scheduler``: Dask scheduler address). The target and test set of each ``d``
    come from a generator seeded by ``(seed, d)``, the training sample of a cell from its own
    ``(seed, unit index)`` stream, so the table is identical however it is scheduled.

    Returns
    -------
    DataFrame with columns d, n, error, ridge, sigma, bandwidth_factor, sigma_median,
    error_median, ridge_median.
    """
    bandwidths = tuple(float(check_positive(b, "bandwidths")) for b in bandwidths)
    if 1.0 not in bandwidths:
        raise ValueError("bandwidths must contain 1.0 (the median heuristic itself)")
    opts = dict(n_test=int(n_test), ridges=tuple(ridges), bandwidths=bandwidths, seed=int(seed))
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
    s0 = median_heuristic(X[: min(n, 500)])
    best = (np.inf, None, None)
    med = (np.inf, None)
    for factor in o.get("bandwidths", (1.0,)):
        sigma = s0 * factor
        K = gaussian_kernel(X, sigma=sigma)
        Kt = gaussian_kernel(Xt, X, sigma=sigma)
        err, lam = _krr_oracle(K, Kt, y, yt, o["ridges"])
        if factor == 1.0:
            med = (err, lam)
        if err < best[0]:
            best = (err, lam, factor)
    return {"d": d, "n": n, "error": best[0] / vt, "ridge": best[1], "sigma": s0 * best[2],
            "bandwidth_factor": best[2], "sigma_median": s0, "error_median": med[0] / vt,
            "ridge_median": med[1]}


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
    DataFrame with columns d, n, n_over_d2r, angle_max, angle_mean (radians), sin_max, and per
    neuron (over one neuron of each symmetric pair): ``neuron_noise_median``/``_mean``, the
    median/mean of :math:`\lVert\hat g_j - g_j\rVert / \lVert L_j\rVert` (the empirical
    gradient's error against the exact population gradient :math:`g_j`, relative to Lemma 1's
    term :math:`L_j`; 0 at :math:`n = \infty`), and ``neuron_sin_median``, the median sine of
    the angle between :math:`w^{(1)}_j` and :math:`\mathrm{row}(U)`.
    """
    m = check_int(m, "m", minimum=4)
    if m % 2:
        raise ValueError(f"m must be even for the symmetric initialisation, got {m}")
    opts = dict(r=int(r), p=int(p), m=m, seed=int(seed))
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
    # per neuron (one of each symmetric pair; the partner's row is the negative): the sampling
    # error of its gradient relative to Lemma 1's term, and the sine of its own angle to span(U)
    h = o["m"] // 2
    G_pop = fl.population_gradient_W(tgt, W0[:h], a0[:h])
    L = fl.lemma1_term(tgt, W0[:h], a0[:h])
    noise = np.linalg.norm(-W1[:h] / eta1 - G_pop, axis=1) / np.linalg.norm(L, axis=1)
    nsin = fl.neuron_sines(W1[:h], tgt.U)
    return {"d": d, "n": n, "n_over_d2r": n_over, "angle_max": float(ang.max()),
            "angle_mean": float(ang.mean()), "sin_max": float(np.sin(ang.max())),
            "neuron_noise_median": float(np.median(noise)),
            "neuron_noise_mean": float(np.mean(noise)),
            "neuron_sin_median": float(np.median(nsin))}


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
    DataFrame with columns method, d, p, r, n, error, ridge, seconds, l1 (the test mean absolute
    error of the chosen fit, Theorem 1's loss; ``nan`` for the NTK).
    """
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
    # the largest cells first, so that no worker is left with the n = 32,000 cell at the end
    largest_first = sorted(range(len(units)), key=lambda i: (-units[i][1], -units[i][0]))
    parts = map_units(_sample_complexity_unit, units, seed=int(seed), n_jobs=n_jobs,
                      backend=backend, scheduler=scheduler, desc="sample complexity",
                      order=largest_first)
    return pd.DataFrame([row for rows in parts for row in rows])


def _cell_data(tgt, trng, n, n_test, unit_seed):
    """A cell's test set (drawn next from ``trng``, the stream of its target) and its training
    sample and network seed (from the cell's own ``unit_seed`` stream)."""
    Xt = fl.sample_inputs(n_test, tgt.d, random_state=trng)
    rng = np.random.default_rng(unit_seed)
    X = fl.sample_inputs(n, tgt.d, random_state=rng)
    return Xt, tgt(Xt), X, tgt(X), int(rng.integers(2**31))


def _sample_complexity_unit(unit, unit_seed):
    """One (d, n) cell of :func:`sample_complexity` (module level, for the workers)."""
    d, n, o = unit
    p, r, m = o["p"], o["r"], o["m"]
    trng = np.random.default_rng([o["seed"], d])  # the same target and test set for every n
    tgt = fl.make_target(d, r, p, random_state=trng)
    Xt, yt, X, y, fit_seed = _cell_data(tgt, trng, n, o["n_test"], unit_seed)
    rows = []
    for method in o["methods"]:
        if method == "ntk" and (n > o["n_kernel_max"] or
                                (o["kernel_max_d"] is not None and d > o["kernel_max_d"])):
            continue
        t0 = time.perf_counter()
        best = (np.inf, None)
        l1 = float("nan")
        if method == "ntk":
            alpha, beta, yr = fl.preprocess(X, y)
            K = fl.network_ntk(X, bias=True)
            Kt = fl.network_ntk(Xt, X, bias=True)
            best = _krr_oracle(K, Kt, yr, yt - alpha - Xt @ beta, o["ridges"])
        else:
            # one Gram matrix for all ridges: the same fits as one call per ridge
            path = fl.algorithm1_ridge_path if method == "algorithm1" else \
                fl.random_features_ridge_path
            fits = path(X, y, m=m, ridges=o["ridges"], random_state=fit_seed)
            for res, pred in zip(fits, fl.predict_path(fits, Xt)):
                err = float(np.mean((pred - yt) ** 2))
                if err < best[0]:
                    best = (err, res.ridge)
                    l1 = float(np.mean(np.abs(pred - yt)))
        rows.append({"method": method, "d": d, "p": p, "r": r, "n": n,
                     "error": best[0] / tgt.variance, "ridge": best[1],
                     "seconds": time.perf_counter() - t0, "l1": l1})
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


