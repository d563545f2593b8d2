r"""Chapter 5: weight and node perturbation: gradient estimates, learning curves, the Werfel
et al. scaling, the O(sigma^2) bias on a nonlinear network, and the notes' update equations."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kernelnet import learning_rules as lr
from kernelnet._threads import limit_threads
from kernelnet._validation import as_rng, check_int, check_positive
from kernelnet.parallel import map_units


# ------------------------------------------------------------------------------------------------
# WP and NP as gradient estimators
# ------------------------------------------------------------------------------------------------


def _estimate_unit(unit, seed):
    """One repeat of one (method, baseline) of :func:`gradient_estimates`: Kmax fresh draws.

    Module level so that :func:`kernelnet.parallel.map_units` can ship it to a worker.
    Returns the per-draw squared errors, and the relative error and cosine of the running
    averages at the requested K.
    """
    method, baseline, _, p = unit
    rng = np.random.default_rng(seed)
    W, W_star, x, G, G2, draws = p["W"], p["W_star"], p["x"], p["G"], p["G2"], p["draws"]
    with limit_threads(1):  # the same BLAS rounding in every process
        g = lr.perturbation_gradient_estimates(W, W_star, x, p["sigma"], int(draws.max()),
                                               method, baseline, random_state=rng)
        sq = np.sum((g - G) ** 2, axis=(1, 2))
        cs = np.cumsum(g, axis=0)[draws - 1] / draws[:, None, None]
        d = cs - G
        rel = np.sqrt(np.sum(d**2, axis=(1, 2)) / G2)
        cos = np.sum(cs * G, axis=(1, 2)) / (np.sqrt(np.sum(cs**2, axis=(1, 2))) * np.sqrt(G2))
    return sq, rel, cos


def gradient_estimates(N=8, M=4, sigma=0.1, draws=None, n_repeats=20, quick=True, seed=0,
                       n_jobs=None, backend=None, scheduler=None):
    r"""WP and NP averages over :math:`K` noise draws against the true gradient.

    At a random :math:`W`, teacher :math:`W^*` and one input :math:`x`, for each method (WP,
    NP), form (raw / baseline-subtracted) the average of :math:`K` single-draw estimates and
    measure its cosine similarity with :math:`G = \nabla_W L` and its relative error
    :math:`\|\bar g_K - G\| / \|G\|`, averaged over ``n_repeats`` independent repeats. The
    prediction for the relative error is :math:`\sqrt{v / (K \|G\|^2)}` with :math:`v` the exact
    per-draw variance of :func:`kernelnet.learning_rules.perturbation_estimator_variance`.

    :math:`W`, :math:`W^*` and :math:`x` are drawn once from ``default_rng(seed)`` and shared;
    the (method, baseline, repeat) triples are independent units run through
    :func:`kernelnet.parallel.map_units` (``n_jobs``, ``backend``, ``scheduler``), each drawing
    its noise from its own generator seeded by ``(seed, unit index)``, so the tables are
    identical serially, on local processes or on a Dask cluster.

    Returns
    -------
    dict
        ``draws`` (K values), ``table`` (DataFrame: method, baseline, K, cos_mean, cos_std,
        relerr_rms (root mean square over repeats, the quantity predicted), relerr2_se (standard
        error of the mean square), relerr_std, relerr_pred), ``variance`` (DataFrame: method, baseline,
        measured per-draw variance with its standard error, exact value, relative variance
        v / ||G||^2), and the sizes.
    """
    N = check_int(N, "N", minimum=1)
    M = check_int(M, "M", minimum=1)
    sigma = check_positive(sigma, "sigma")
    n_repeats = check_int(n_repeats, "n_repeats", minimum=2)
    seed = check_int(seed, "seed", minimum=0)
    if draws is None:
        draws = np.unique(np.round(np.logspace(0, 3 if quick else 4, 13)).astype(int))
    draws = np.asarray(draws, dtype=int)
    if draws.ndim != 1 or draws.size == 0 or np.any(draws < 1):
        raise ValueError("draws must be a non-empty 1-D list of positive integers")
    rng = as_rng(seed, "seed")
    W_star = rng.standard_normal((M, N)) / np.sqrt(N)
    W = W_star + rng.standard_normal((M, N)) / np.sqrt(N)
    x = rng.standard_normal(N)
    G = lr.student_teacher_gradient(W, W_star, x)
    G2 = float(np.sum(G**2))
    combos = [(method, baseline) for method in ("wp", "np") for baseline in (True, False)]
    params = dict(W=W, W_star=W_star, x=x, G=G, G2=G2, draws=draws, sigma=sigma)
    units = [(method, baseline, r, params) for method, baseline in combos
             for r in range(n_repeats)]
    results = map_units(_estimate_unit, units, seed=seed, n_jobs=n_jobs, backend=backend,
                        scheduler=scheduler, desc="gradient estimates")
    rows, vrows = [], []
    for i, (method, baseline) in enumerate(combos):
        mine = results[i * n_repeats:(i + 1) * n_repeats]
        v = lr.perturbation_estimator_variance(W, W_star, x, sigma, method, baseline)
        rel = np.array([r for _, r, _ in mine])
        cos = np.array([c for _, _, c in mine])
        sq = np.concatenate([q for q, _, _ in mine])
        vrows.append({"method": method, "baseline": baseline, "var_measured": sq.mean(),
                      "var_se": sq.std() / np.sqrt(sq.size), "var_exact": v,
                      "rel_var_exact": v / G2})
        for j, K in enumerate(draws):
            rows.append({"method": method, "baseline": baseline, "K": int(K),
                         "cos_mean": cos[:, j].mean(), "cos_std": cos[:, j].std(),
                         "relerr_rms": float(np.sqrt(np.mean(rel[:, j] ** 2))),
                         "relerr2_se": float(np.std(rel[:, j] ** 2) / np.sqrt(n_repeats)),
                         "relerr_std": rel[:, j].std(),
                         "relerr_pred": np.sqrt(v / (K * G2))})
    return {"draws": draws, "table": pd.DataFrame(rows), "variance": pd.DataFrame(vrows),
            "N": N, "M": M, "sigma": sigma, "n_repeats": n_repeats}


# ------------------------------------------------------------------------------------------------
# learning curves and the Werfel et al. scaling
# ------------------------------------------------------------------------------------------------


def _run_many(N, M, method, eta, sigma, T, n_runs, rng):
    W_star = rng.standard_normal((M, N)) / np.sqrt(N)
    W0 = np.zeros((M, N))
    curves = np.array([lr.train_student_teacher(W0, W_star, T, eta, method, sigma,
                                                random_state=rng).errors
                       for _ in range(n_runs)])
    return curves, float(np.sum(W_star**2))


def _curve_unit(unit, seed):
    """One run of :func:`learning_curves`: a fresh teacher, one rule, normalised curves.

    Module level so that :func:`kernelnet.parallel.map_units` can ship it to a worker.
    Returns the run's normalised error curve and the exact mean of its normalised curve (its
    own e0 sets the noise floor's share, sigma^2 C / (4 K e0)).
    """
    method, run, p = unit
    rng = np.random.default_rng(seed)
    N, M, eta, sigma, T = p["N"], p["M"], p["eta"][method], p["sigma"], p["T"]
    c, e0 = _run_many(N, M, method, eta, sigma, T, 1, rng)
    theory = lr.student_teacher_learning_curve(N, M, method, eta, sigma, T, e0) / e0
    return c[0] / e0, theory


def learning_curves(N=6, M=4, n_runs=None, sigma=1e-3, decades=2.0, quick=True, seed=0,
                    n_jobs=None, backend=None, scheduler=None):
    r"""BP (gradient descent), NP and WP learning curves at their optimal learning rates.

    Each rule runs online on the student-teacher model from :math:`W_0 = 0` at
    :math:`\eta^* = 1/(2K)` (:func:`kernelnet.learning_rules.optimal_learning_rate`), for
    enough steps that WP's mean error falls by ``decades`` decades. Errors are normalised by
    :math:`e_0 = \|W^*\|_F^2`; each curve is the mean over runs (fresh teacher per run), beside
    the exact mean curve :func:`kernelnet.learning_rules.student_teacher_learning_curve`.

    The (rule, run) pairs are independent units run through
    :func:`kernelnet.parallel.map_units` (``n_jobs``, ``backend``, ``scheduler``); each draws its
    teacher and noise from its own generator seeded by ``(seed, unit index)``, so the curves are
    identical serially, on local processes or on a Dask cluster.

    Returns
    -------
    dict
        ``steps``; per method ``mean``, ``se`` (standard error over runs), ``theory`` (normalised
        errors), ``eta``; ``K`` (the per-method constants, ratio of times).
    """
    N = check_int(N, "N", minimum=1)
    M = check_int(M, "M", minimum=1)
    n_runs = check_int(n_runs if n_runs is not None else (20 if quick else 100), "n_runs",
                       minimum=2)
    sigma = check_positive(sigma, "sigma")
    decades = check_positive(decades, "decades")
    seed = check_int(seed, "seed", minimum=0)
    methods = ("gd", "np", "wp")
    K = {m: 1.0 / (2.0 * lr.optimal_learning_rate(N, M, m)) for m in methods}
    T = int(np.ceil(K["wp"] * decades * np.log(10) * 1.1))
    out = {"steps": np.arange(T + 1), "N": N, "M": M, "sigma": sigma, "n_runs": n_runs, "K": K}
    params = dict(N=N, M=M, sigma=sigma, T=T, eta={m: 1.0 / (2.0 * K[m]) for m in methods})
    units = [(m, run, params) for m in methods for run in range(n_runs)]
    results = map_units(_curve_unit, units, seed=seed, n_jobs=n_jobs, backend=backend,
                        scheduler=scheduler, desc="learning curves")
    for i, m in enumerate(methods):
        mine = results[i * n_runs:(i + 1) * n_runs]
        curves = np.array([c for c, _ in mine])
        theory = 0.0
        for _, th in mine:  # summed in run order, as before
            theory = theory + th
        out[m] = {"mean": curves.mean(axis=0), "se": curves.std(axis=0) / np.sqrt(n_runs),
                  "theory": theory / n_runs, "eta": params["eta"][m]}
    return out


def _crossing(curve, level):
    idx = np.nonzero(curve <= level)[0]
    return int(idx[0]) if idx.size else -1


def _scaling_unit(unit, seed):
    """One (sweep, N, M, rule) cell of :func:`scaling`: ``n_runs`` runs and the exact curve.

    Module level so that :func:`kernelnet.parallel.map_units` can ship it to a worker.
    """
    sweep, N, M, m, p = unit
    rng = np.random.default_rng(seed)
    target, sigma, n_runs = p["target"], p["sigma"], p["n_runs"]
    eta = lr.optimal_learning_rate(N, M, m)
    K = 1.0 / (2.0 * eta)
    T = int(np.ceil(1.5 * K * np.log(1.0 / target))) + 10
    curves, theory = [], 0.0
    for _ in range(n_runs):
        c, e0 = _run_many(N, M, m, eta, sigma, T, 1, rng)
        curves.append(c[0] / e0)
        theory = theory + lr.student_teacher_learning_curve(N, M, m, eta, sigma, T, e0) / e0
    curves = np.array(curves)
    mean = curves.mean(axis=0)
    theory = theory / n_runs
    t_ex = _crossing(theory, target)
    # Monte Carlo error of the crossing time: the run average at t_ex has relative standard
    # error d; the mean curve falls by a factor rho per step there, so the crossing moves by
    # about d / (-ln rho) steps.
    rho = 1.0 - 1.0 / K
    d = float(curves[:, t_ex].std() / np.sqrt(n_runs) / mean[t_ex])
    return {"sweep": sweep, "N": N, "M": M, "method": m,
            "t_measured": _crossing(mean, target), "t_exact": t_ex,
            "t_se": d / -np.log(rho), "K": K}


def scaling(Ns=None, Ms=None, N_fixed=4, M_fixed=4, target=0.1, sigma=1e-3, n_runs=None,
            quick=True, seed=0, n_jobs=None, backend=None, scheduler=None):
    r"""Time for GD, NP and WP to reach a fixed error, as a function of N and of M.

    The time is the first step at which the run-averaged normalised error
    :math:`\overline{\|W_t - W^*\|^2} / \|W^*\|^2` falls below ``target``, each rule at its
    optimal rate. Beside it: the exact prediction (the first crossing of the exact mean curve)
    and the asymptotic scaling of Werfel, Xie and Seung (2005): at the optimal rate the time is
    :math:`\propto K` with :math:`K_{\mathrm{GD}} = N + 2`, :math:`K_{\mathrm{NP}} = (M+2)(N+2)`,
    :math:`K_{\mathrm{WP}} = (MN+2)(N+2)`, so for large sizes
    :math:`t_{\mathrm{GD}} \propto N`, :math:`t_{\mathrm{NP}} \propto NM`,
    :math:`t_{\mathrm{WP}} \propto N^2 M` (log-log slopes in N: 1, 1, 2; in M: 0, 1, 1).

    The (sweep, N, M, rule) cells are independent units run through
    :func:`kernelnet.parallel.map_units` (``n_jobs``, ``backend``, ``scheduler``); each draws its
    ``n_runs`` teachers and noise from its own generator seeded by ``(seed, unit index)``, so the
    table is identical serially, on local processes or on a Dask cluster.

    Returns
    -------
    dict
        ``table`` (DataFrame: sweep ("N" or "M"), N, M, method, t_measured, t_exact, t_se (Monte
        Carlo standard error of the measured time), K),
        ``slopes`` (DataFrame: sweep, method, measured, exact, asymptotic): least-squares
        log-log slopes over the sweep's largest three sizes.
    """
    if Ns is None:
        Ns = (2, 4, 8, 16) if quick else (2, 4, 8, 16, 32, 64)
    if Ms is None:
        Ms = (1, 2, 4, 8, 16) if quick else (1, 2, 4, 8, 16, 32, 64)
    Ns = [check_int(v, "Ns", minimum=1) for v in Ns]
    Ms = [check_int(v, "Ms", minimum=1) for v in Ms]
    N_fixed = check_int(N_fixed, "N_fixed", minimum=1)
    M_fixed = check_int(M_fixed, "M_fixed", minimum=1)
    target = check_positive(target, "target")
    if target >= 1:
        raise ValueError(f"target must lie in (0, 1), got {target}")
    sigma = check_positive(sigma, "sigma")
    n_runs = check_int(n_runs if n_runs is not None else (8 if quick else 32), "n_runs",
                       minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    params = dict(target=target, sigma=sigma, n_runs=n_runs)
    units = [(sweep, N, M, m, params)
             for sweep, pairs in (("N", [(n, M_fixed) for n in Ns]),
                                  ("M", [(N_fixed, mm) for mm in Ms]))
             for N, M in pairs for m in ("gd", "np", "wp")]
    rows = map_units(_scaling_unit, units, seed=seed, n_jobs=n_jobs, backend=backend,
                     scheduler=scheduler, desc="scaling")
    table = pd.DataFrame(rows)
    asym = {("N", "gd"): 1.0, ("N", "np"): 1.0, ("N", "wp"): 2.0,
            ("M", "gd"): 0.0, ("M", "np"): 1.0, ("M", "wp"): 1.0}
    srows = []
    for sweep in ("N", "M"):
        for m in ("gd", "np", "wp"):
            sub = table[(table.sweep == sweep) & (table.method == m)].sort_values(sweep).tail(3)
            x = np.log(sub[sweep].to_numpy(dtype=float))
            srows.append({
                "sweep": sweep, "method": m,
                "measured": float(np.polyfit(x, np.log(sub.t_measured.to_numpy(float)), 1)[0]),
                "exact": float(np.polyfit(x, np.log(sub.t_exact.to_numpy(float)), 1)[0]),
                "asymptotic": asym[sweep, m]})
    return {"table": table, "slopes": pd.DataFrame(srows), "target": target,
            "N_fixed": N_fixed, "M_fixed": M_fixed, "n_runs": n_runs, "sigma": sigma}


# ------------------------------------------------------------------------------------------------
# WP and NP on a nonlinear multi-layer network: the O(sigma^2) bias (issue 16, item 8)
# ------------------------------------------------------------------------------------------------


def _check_sizes_sigmas(sizes, sigmas):
    """The layer sizes (at least two layers) and the sigmas (at least two) of the update checks."""
    sizes = tuple(check_int(s, "sizes", minimum=1) for s in sizes)
    if len(sizes) < 3:
        raise ValueError("sizes must describe at least two layers (a nonlinear multi-layer net)")
    sigmas = [check_positive(s, "sigmas") for s in sigmas]
    if len(sigmas) < 2:
        raise ValueError("sigmas must hold at least two values")
    return sizes, sigmas


def _tanh_problem(sizes, rng):
    """A tanh network (:func:`_tanh_network`), one input x ~ N(0, I) and a target y ~ N(0, 1/4)."""
    Ws, bs = _tanh_network(sizes, rng)
    x = rng.standard_normal(sizes[0])
    y = 0.5 * rng.standard_normal(sizes[-1])
    return Ws, bs, x, y


def _tanh_network(sizes, rng):
    Ws = [rng.standard_normal((sizes[i + 1], sizes[i])) / np.sqrt(sizes[i])
          for i in range(len(sizes) - 1)]
    bs = [0.1 * rng.standard_normal(sizes[i + 1]) for i in range(len(sizes) - 1)]
    return Ws, bs


def _bias_unit(unit, _unit_seed):
    """One (method, sigma) row of :func:`perturbation_bias_sweep` (module level, for the
    workers), on one BLAS thread."""
    mi, method, si, s, c, p = unit
    x, y, Ws, bs, g, seed = p["x"], p["y"], p["Ws"], p["bs"], p["g"], p["seed"]
    g2 = float(g @ g)
    with limit_threads(1):
        r = lr.perturbation_bias(x, y, Ws, bs, s, p["n_draws"], method,
                                 random_state=[seed, 1, mi, si])
        lin = lr.perturbation_bias(x, y, p["lin_W"], p["lin_b"], s, 2000, method,
                                   activation="linear", random_state=[seed, 2, mi, si])
        var = {}
        for form in (True, False):
            e = lr.mlp_perturbation_estimates(x, y, Ws, bs, s, p["n_var_draws"], method, form,
                                              random_state=[seed, 3, mi, si])
            var[form] = float(np.mean(np.sum((e - g) ** 2, axis=1)) / g2)
    pred = float(np.linalg.norm(c)) * s**2
    return {
        "method": method, "sigma": s,
        "bias_rel": r["bias_norm"] / r["grad_norm"],
        "bias_rel_se": r["bias_norm_se"] / r["grad_norm"],
        "pred_rel": pred / r["grad_norm"],
        "ratio": r["bias_norm"] / pred,
        "cosine": float(r["bias"] @ c / (np.linalg.norm(r["bias"]) * np.linalg.norm(c))),
        "var_rel_baseline": var[True], "var_rel_raw": var[False],
        "linear_bias_rel": float(np.linalg.norm(lin["bias"]) / lin["grad_norm"]),
    }


def perturbation_bias_sweep(sizes=(4, 8, 6, 3), sigmas=(0.3, 0.1, 0.03, 0.01), n_draws=20000,
                            n_var_draws=20000, seed=0):
    r"""Bias and variance of WP and NP on a tanh network, every layer perturbed at once.

    One input :math:`x \sim N(0, I)`, target :math:`y \sim N(0, 0.25 I)`, weights
    :math:`N(0, 1/\text{fan-in})`, biases :math:`N(0, 0.01)`, tanh at every layer (the notes'
    network). For each method and :math:`\sigma`: the bias of the mean estimate against the
    backprop gradient (:func:`kernelnet.learning_rules.perturbation_bias`, ``n_draws``
    antithetic pairs), the leading-order prediction :math:`c\sigma^2`
    (:func:`kernelnet.learning_rules.perturbation_bias_prediction`), and the per-draw variance
    :math:`\mathbb E\|\hat g - \nabla E\|^2/\|\nabla E\|^2` of the plain estimator in the
    baseline and the raw form (``n_var_draws`` draws). A control: the same bias measurement on
    a single linear layer, where :math:`E` is quadratic and both estimators are exactly
    unbiased.

    Returns
    -------
    dict
        ``table`` (DataFrame: method, sigma, bias_rel, bias_rel_se, pred_rel, ratio (measured /
        predicted), cosine (of the bias with the prediction), var_rel_baseline, var_rel_raw,
        linear_bias_rel), ``slopes`` (method -> least-squares slope of log bias against
        log sigma over the sigmas <= 0.1), ``P`` (parameters), ``units``, the sizes.
    """
    sizes, sigmas = _check_sizes_sigmas(sizes, sigmas)
    n_draws = check_int(n_draws, "n_draws", minimum=2)
    n_var_draws = check_int(n_var_draws, "n_var_draws", minimum=2)
    rng = as_rng([seed, 0], "seed")
    Ws, bs, x, y = _tanh_problem(sizes, rng)
    lin_W = [rng.standard_normal((sizes[-1], sizes[0])) / np.sqrt(sizes[0])]
    lin_b = [0.1 * rng.standard_normal(sizes[-1])]
    g = lr.mlp_sample_gradient(x, y, Ws, bs)
    with limit_threads(1):
        preds = [lr.perturbation_bias_prediction(x, y, Ws, bs, m) for m in ("wp", "np")]
    common = dict(Ws=Ws, bs=bs, x=x, y=y, lin_W=lin_W, lin_b=lin_b, g=g, n_draws=n_draws,
                  n_var_draws=n_var_draws, seed=seed)
    units = [(mi, method, si, s, preds[mi], common) for mi, method in enumerate(("wp", "np"))
             for si, s in enumerate(sigmas)]
    # each (method, sigma) cell draws from its own explicit seeds, so the rows are the same
    # serially and on workers; map_units' unit seed is not used
    rows = map_units(_bias_unit, units, seed=seed, desc="perturbation bias")
    table = pd.DataFrame(rows)
    slopes = {}
    for method in ("wp", "np"):
        sub = table[(table.method == method) & (table.sigma <= 0.1 + 1e-12)]
        if len(sub) < 2:
            sub = table[table.method == method].nsmallest(2, "sigma")
        slopes[method] = float(np.polyfit(np.log(sub.sigma), np.log(sub.bias_rel), 1)[0])
    return {"table": table, "slopes": slopes, "P": int(g.size), "units": int(sum(sizes[1:])),
            "sizes": sizes, "n_draws": n_draws, "n_var_draws": n_var_draws}


# ------------------------------------------------------------------------------------------------
# the notes' update equations: raw error, WP update, NP update with x~ (issue 14's rows)
# ------------------------------------------------------------------------------------------------


def _p_eff(cov):
    """Effective number of independent components, tr(Cov)^2 / ||Cov||_F^2."""
    return float(np.trace(cov) ** 2 / np.sum(cov**2))


def _mean_test(s1, s2, K, target):
    """Mean of K draws against ``target``: the statistic q = ||m - target||^2 / (tr Cov / K).

    ``s1`` is the sum of the draws, ``s2`` the sum of their outer products. If the draws have
    mean ``target``, the mean is nearly Gaussian (K large) and q, a weighted sum of
    chi-squares, has mean 1 and standard deviation sqrt(2 / p_eff) with p_eff =
    tr(Cov)^2 / ||Cov||_F^2 (:func:`_p_eff`; the full covariance: NP's components
    gamma_i x_j are strongly correlated across j). Returns (mean, covariance, q, p_eff).
    """
    m = s1 / K
    cov = (s2 / K - np.outer(m, m)) * K / (K - 1)
    d = m - target
    q = float(d @ d) / (float(np.trace(cov)) / K)
    return m, cov, q, _p_eff(cov)


def perturbation_update_check(sizes=(4, 8, 6, 3), sigmas=(0.2, 0.1, 0.05, 0.025),
                              n_draws=20000, seed=0, chunk=5000):
    r"""The notes' update equations on a tanh network: raw error, WP update, NP update with x~.

    The network, input and target of :func:`perturbation_bias_sweep` (drawn from
    ``default_rng([seed, 4])``). For each :math:`\sigma`, from ``n_draws`` draws:

    * ``002.wp-raw-error``: the raw WP estimate :math:`\tilde E\,\Omega/\sigma^2` and the
      baseline one :math:`(\tilde E - E)\,\Omega/\sigma^2` on independent draws; ``q_raw_base``
      compares their means (:func:`_mean_test`; 1 when the means agree) and ``var_ratio`` is
      their per-draw variance ratio (raw / baseline);
    * ``002.wp-update``: the mean of the notes' update :math:`\Delta\theta = -\eta\tilde E\,
      \Omega` divided by :math:`-\eta\sigma^2` against the backprop gradient plus the
      predicted bias :math:`c\sigma^2`
      (:func:`kernelnet.learning_rules.perturbation_bias_prediction`): ``q_wp`` (1 when they
      agree), ``cos_wp`` (cosine with the gradient), ``var_rel_wp`` (the per-draw variance of
      one update in units of the squared expected step :math:`\|\eta\sigma^2\nabla E\|^2`);
    * ``002.np-update``: node perturbation with the perturbed input :math:`\tilde x^{l-1}` (the
      notes' "x~ approx x") beside the clean :math:`x^{l-1}` (ERRATA 002), on the same draws:
      ``q_np`` (clean-input raw NP mean against gradient plus bias), ``var_rel_np``,
      ``diff_rel`` (debiased
      :math:`\|\mathbb E[\tilde x\text{ form}] - \mathbb E[x\text{ form}]\|/\|\nabla E\|`,
      estimated on the baseline form, which has the same mean as the raw one because
      :math:`\gamma^l` is independent of :math:`\tilde x^{l-1}`) and ``diff_se``.

    Returns
    -------
    dict
        ``table`` (DataFrame, one row per sigma), ``diff_slope`` (log-log slope of ``diff_rel``
        against sigma: 2 when x~ - x only matters at second order), ``P``, ``sizes``, ``n_draws``.
    """
    sizes, sigmas = _check_sizes_sigmas(sizes, sigmas)
    n_draws = check_int(n_draws, "n_draws", minimum=2)
    chunk = check_int(chunk, "chunk", minimum=1)
    rng = as_rng([seed, 4], "seed")
    Ws, bs, x, y = _tanh_problem(sizes, rng)
    g = lr.mlp_sample_gradient(x, y, Ws, bs)
    g2 = float(g @ g)
    P = g.size
    hs = [x]
    for W, b in zip(Ws, bs):
        hs.append(np.tanh(W @ hs[-1] + b))
    E = 0.5 * float(np.sum((hs[-1] - y) ** 2))
    c_wp = lr.perturbation_bias_prediction(x, y, Ws, bs, "wp")
    c_np = lr.perturbation_bias_prediction(x, y, Ws, bs, "np")
    rows = []
    with limit_threads(1):
        for si, s in enumerate(sigmas):
            acc = {k: [np.zeros(P), np.zeros((P, P))] for k in ("raw", "base", "np", "diff")}
            done, i = 0, 0
            while done < n_draws:
                k = min(chunk, n_draws - done)
                for key, base in (("raw", False), ("base", True)):
                    e = lr.mlp_perturbation_estimates(
                        x, y, Ws, bs, s, k, "wp", base,
                        random_state=[seed, 5, si, i, int(base)])
                    acc[key][0] += e.sum(axis=0)
                    acc[key][1] += e.T @ e
                nrng = np.random.default_rng([seed, 6, si, i])
                gam = [s * nrng.standard_normal((k, W.shape[0])) for W in Ws]
                h = np.broadcast_to(x, (k, x.size))
                states = [h]
                for l, (W, b) in enumerate(zip(Ws, bs)):
                    h = np.tanh(h @ W.T + b + gam[l])
                    states.append(h)
                Et = 0.5 * np.sum((h - y) ** 2, axis=1)
                raw, diff = [], []
                for l in range(len(Ws)):
                    gr = (Et / s**2)[:, None] * gam[l]
                    gb = ((Et - E) / s**2)[:, None] * gam[l]
                    raw += [(gr[:, :, None] * hs[l][None, None, :]).reshape(k, -1), gr]
                    diff += [(gb[:, :, None] * (states[l] - hs[l])[:, None, :]).reshape(k, -1),
                             np.zeros_like(gb)]
                for key, arr in (("np", np.concatenate(raw, axis=1)),
                                 ("diff", np.concatenate(diff, axis=1))):
                    acc[key][0] += arr.sum(axis=0)
                    acc[key][1] += arr.T @ arr
                done += k
                i += 1
            m_raw, v_raw, _, _ = _mean_test(*acc["raw"], n_draws, g)
            m_base, v_base, _, _ = _mean_test(*acc["base"], n_draws, g)
            d = m_raw - m_base
            v_sum = v_raw + v_base  # independent draws: the covariances add
            q_rb = float(d @ d) / (float(np.trace(v_sum)) / n_draws)
            _, _, q_wp, peff_wp = _mean_test(*acc["raw"], n_draws, g + c_wp * s**2)
            m_np, v_np, q_np, peff_np = _mean_test(*acc["np"], n_draws, g + c_np * s**2)
            m_d, v_d, _, _ = _mean_test(*acc["diff"], n_draws, np.zeros(P))
            tr_d = float(np.trace(v_d)) / n_draws
            rows.append({
                "sigma": s, "q_raw_base": q_rb,
                "p_eff_raw_base": _p_eff(v_sum),
                "var_ratio": float(np.trace(v_raw) / np.trace(v_base)),
                "q_wp": q_wp, "p_eff_wp": peff_wp,
                "cos_wp": float(m_raw @ g / (np.linalg.norm(m_raw) * np.sqrt(g2))),
                "var_rel_wp": float(np.trace(v_raw)) / g2,
                "q_np": q_np, "p_eff_np": peff_np,
                "cos_np": float(m_np @ g / (np.linalg.norm(m_np) * np.sqrt(g2))),
                "var_rel_np": float(np.trace(v_np)) / g2,
                "diff_rel": float(np.sqrt(max(float(m_d @ m_d) - tr_d, 0.0)) / np.sqrt(g2)),
                "diff_se": float(np.sqrt(tr_d / g2)),
                "bias_rel_wp": float(np.linalg.norm(c_wp)) * s**2 / np.sqrt(g2),
                "bias_rel_np": float(np.linalg.norm(c_np)) * s**2 / np.sqrt(g2),
            })
    table = pd.DataFrame(rows)
    ok = table[table.diff_rel > 0]
    slope = (float(np.polyfit(np.log(ok.sigma), np.log(ok.diff_rel), 1)[0])
             if len(ok) >= 2 else float("nan"))
    return {"table": table, "diff_slope": slope, "P": int(P), "sizes": sizes,
            "n_draws": n_draws, "E": E}
