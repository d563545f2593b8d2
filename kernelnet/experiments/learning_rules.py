r"""Experiments of the chapter "Learning without backpropagation" (``05_learning_without_backprop``).

Each function takes plain parameters (``quick``, ``seed``, sizes) and returns data (dicts of
arrays and pandas DataFrames), never a figure. The algorithms live in
:mod:`kernelnet.learning_rules`, where ``tests/test_learning_rules.py`` checks each comparison;
``tests/test_learning_rules.py`` also runs these functions at small sizes.

Sources: the notes "Learning algorithms" (seed ``002_592b791eec23135f.txt``) and ERRATA 002;
LeCun (1988); Werfel, Xie and Seung (2004, 2005); Oja (1982); Sanger (1989); Saxe, McClelland
and Ganguli (2014); Novikoff (1962).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from kernelnet import learning_rules as lr
from kernelnet._validation import check_int, check_positive
from kernelnet.checks import derivative_check

__all__ = [
    "lagrangian_backprop",
    "gradient_estimates",
    "learning_curves",
    "scaling",
    "activation_equivalence",
    "linear_neuron",
    "hebbian_growth",
    "pca_rules",
    "deep_linear",
    "perceptron_mistakes",
]


def _rng(seed):
    return np.random.default_rng(seed)


# ------------------------------------------------------------------------------------------------
# backprop as constrained optimisation
# ------------------------------------------------------------------------------------------------


def lagrangian_backprop(sizes=(4, 8, 6, 3), n=16, activation="tanh", seed=0):
    r"""Lagrange multipliers vs backprop deltas, and the Taylor check of the Lagrangian gradient.

    Returns
    -------
    dict
        ``delta_err`` (max over layers of
        :math:`\max|f'(a)\odot\lambda - \delta| / \max|\delta|`),
        ``solve_err`` (dense solve vs backward pass, relative), ``grad_err`` (Lagrangian vs
        chain-rule parameter gradients, relative), ``check`` (the
        :class:`kernelnet.checks.DerivativeCheckResult` of the loss against the Lagrangian
        gradient) and ``check_wrong`` (the same with the first layer's multipliers dropped).
    """
    n = check_int(n, "n", minimum=1)
    rng = _rng(seed)
    sizes = [check_int(s, "sizes", minimum=1) for s in sizes]
    Ws = [rng.standard_normal((sizes[i + 1], sizes[i])) / np.sqrt(sizes[i])
          for i in range(len(sizes) - 1)]
    bs = [0.1 * rng.standard_normal(sizes[i + 1]) for i in range(len(sizes) - 1)]
    X = rng.standard_normal((n, sizes[0]))
    Y = rng.standard_normal((n, sizes[-1]))
    deltas, gW, gb = lr.backprop(X, Y, Ws, bs, activation)
    lam, _, pre = lr.lagrange_multipliers(X, Y, Ws, bs, activation)
    lam2, _, _ = lr.lagrange_multipliers(X, Y, Ws, bs, activation, method="solve")
    dact = {"tanh": lambda a: 1 - np.tanh(a) ** 2,
            "sigmoid": lambda a: lr.sigmoid(a) * (1 - lr.sigmoid(a)),
            "linear": np.ones_like}[activation]
    delta_err = max(float(np.max(np.abs(dact(pre[l]) * lam[l] - deltas[l]))
                          / np.max(np.abs(deltas[l]))) for l in range(len(Ws)))
    solve_err = max(float(np.max(np.abs(lam2[l] - lam[l])) / np.max(np.abs(lam[l])))
                    for l in range(len(Ws)))
    lW, lb = lr.lagrangian_gradients(X, Y, Ws, bs, activation)
    grad_err = max(float(np.max(np.abs(a - b)) / np.max(np.abs(b)))
                   for a, b in zip(lW + lb, gW + gb))
    shapes = [W.shape for W in Ws]

    def fun(theta):
        return lr.mlp_loss(X, Y, *lr.unflatten_params(theta, shapes), activation)

    def make_jvp(wrong):
        def jvp(theta, v):
            gw, gbb = lr.lagrangian_gradients(X, Y, *lr.unflatten_params(theta, shapes),
                                              activation)
            if wrong:
                gw[0] = np.zeros_like(gw[0])
            return lr.flatten_params(gw, gbb) @ v
        return jvp

    theta = lr.flatten_params(Ws, bs)
    check = derivative_check(fun, make_jvp(False), theta, random_state=seed,
                             name="E vs Lagrangian gradient")
    check_wrong = derivative_check(fun, make_jvp(True), theta, random_state=seed,
                                   name="layer-1 multipliers dropped")
    return {"delta_err": delta_err, "solve_err": solve_err, "grad_err": grad_err,
            "check": check, "check_wrong": check_wrong, "n_params": int(theta.size)}


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
    with threadpool_limits(1):  # the same BLAS rounding in every process
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
    from kernelnet.parallel import map_units

    rng = _rng(seed)
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
    from kernelnet.parallel import map_units

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
    from kernelnet.parallel import map_units

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
# sigmoid / tanh
# ------------------------------------------------------------------------------------------------


def activation_equivalence(H=5, n_grid=401, seed=0):
    r"""tanh(x) = 2 sigma(2x) - 1, and a sigmoid network against its tanh twin on a 1-D input.

    Returns
    -------
    dict
        ``x`` (grid), ``tanh``, ``two_sigmoid`` (:math:`2\sigma(2x) - 1`), ``identity_err``
        (max abs difference), ``y_sigmoid``, ``y_tanh`` (the two networks' outputs on the grid),
        ``net_err`` (their max abs difference), ``y_naive`` (the sigmoid weights with tanh
        swapped in: not equivalent), and the parameters of both networks.
    """
    H = check_int(H, "H", minimum=1)
    n_grid = check_int(n_grid, "n_grid", minimum=2)
    rng = _rng(seed)
    x = np.linspace(-6, 6, n_grid)
    t = np.tanh(x)
    t2 = lr.tanh_from_sigmoid(x)
    U, c, w, w0 = 2 * rng.standard_normal((H, 1)), rng.standard_normal(H), \
        rng.standard_normal(H), float(rng.standard_normal())
    U2, c2, w2, w02 = lr.sigmoid_to_tanh_network(U, c, w, w0)
    X = x[:, None]
    ys = lr.one_hidden_layer(X, U, c, w, w0, "sigmoid")
    yt = lr.one_hidden_layer(X, U2, c2, w2, w02, "tanh")
    yn = lr.one_hidden_layer(X, U, c, w, w0, "tanh")
    return {"x": x, "tanh": t, "two_sigmoid": t2, "identity_err": float(np.max(np.abs(t - t2))),
            "y_sigmoid": ys, "y_tanh": yt, "y_naive": yn,
            "net_err": float(np.max(np.abs(ys - yt))),
            "sigmoid_net": (U, c, w, w0), "tanh_net": (U2, c2, w2, w02)}


# ------------------------------------------------------------------------------------------------
# linear neuron
# ------------------------------------------------------------------------------------------------


def _linear_neuron_unit(unit, seed):
    """One sample size N of :func:`linear_neuron` (module level, for the workers)."""
    N, o = unit
    D, noise, quick, n_repeats = o["D"], o["noise"], o["quick"], o["n_repeats"]
    shared = _rng([o["seed"], 0])  # the teacher and test set every N shares
    w_star = shared.standard_normal(D) / np.sqrt(D)
    Xt = shared.standard_normal((o["n_test"], D))
    yt = Xt @ w_star
    rng = _rng(seed)
    X = rng.standard_normal((N, D))
    y = X @ w_star + noise * rng.standard_normal(N)
    w, rank, unique = lr.normal_equations(X, y)
    lam_max = float(np.linalg.eigvalsh(X.T @ X).max())
    eta = 0.9 * N / (2 * lam_max)
    w_gd, _ = lr.linear_neuron_gd(X, y, eta, 2000 if quick else 20000)
    other = np.nan
    if rank < D:
        _, _, Vt = np.linalg.svd(X)
        null = Vt[rank:].T
        other = float(np.linalg.norm(w + null @ rng.standard_normal(D - rank)))
    H = lr.linear_neuron_hessian(X)
    h = 1e-3
    H_fd = np.array([(lr.linear_neuron_gradient(w + h * e, X, y)
                      - lr.linear_neuron_gradient(w - h * e, X, y)) / (2 * h)
                     for e in np.eye(D)])
    herr = float(np.max(np.abs(H_fd - H)) / np.max(np.abs(H)))
    test = [float(np.mean((Xt @ w - yt) ** 2))]
    for _ in range(n_repeats - 1):
        Xr = rng.standard_normal((N, D))
        wr, _, _ = lr.normal_equations(Xr, Xr @ w_star + noise * rng.standard_normal(N))
        test.append(float(np.mean((Xt @ wr - yt) ** 2)))
    row = {"N": N, "rank": rank, "unique": unique,
           "train_mse": lr.linear_neuron_loss(w, X, y),
           "test_mse": float(np.mean(test)),
           "test_mse_se": float(np.std(test) / np.sqrt(len(test))),
           "norm": float(np.linalg.norm(w)),
           "gd_dist": float(np.linalg.norm(w_gd - w) / np.linalg.norm(w)),
           "other_norm": other}
    return row, herr


def linear_neuron(D=20, Ns=None, noise=0.1, n_test=2000, n_repeats=None, quick=True, seed=0,
                  n_jobs=None, backend=None, scheduler=None):
    r"""The linear neuron for N < D and N >= D: training and test error, uniqueness, Hessian.

    For each number of samples :math:`N` a teacher :math:`y = w_*^\top x + \varepsilon` is
    fitted by the normal equations (minimum-norm solution). Also: gradient descent from zero vs
    the minimum-norm solution, and the Hessian against the input second-moment matrix and a
    finite-difference Hessian.

    The sample sizes are independent units run through :func:`kernelnet.parallel.map_units`
    (``n_jobs``, ``backend``, ``scheduler``): the teacher and test set come from a generator
    seeded by ``(seed, 0)``, each size's samples from its own ``(seed, index)`` stream, so the
    result is identical however the units are scheduled.

    Returns
    -------
    dict
        ``table`` (DataFrame: N, rank, unique, train_mse, test_mse (mean over ``n_repeats``
        training sets, with its standard error test_mse_se), norm, gd_dist (relative
        distance of GD-from-zero to the min-norm solution), other_norm (norm of another
        zero-error solution, N < D only)), ``hessian_err``
        (:math:`\max|H_{\mathrm{fd}} - \frac2N X^\top X| / \max|\frac2N X^\top X|` with
        :math:`H_{\mathrm{fd}}` by central differences, over the sizes), ``D``.
    """
    from kernelnet.parallel import map_units

    D = check_int(D, "D", minimum=2)
    if Ns is None:
        Ns = sorted(set([max(1, D // 4), D // 2, (3 * D) // 4, D - 2, D, D + 2, (5 * D) // 4,
                         2 * D, 4 * D]))
    Ns = [check_int(v, "Ns", minimum=1) for v in Ns]
    noise = check_positive(noise, "noise")
    n_repeats = check_int(n_repeats if n_repeats is not None else (10 if quick else 50),
                          "n_repeats", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    opts = dict(D=D, noise=noise, n_test=check_int(n_test, "n_test", minimum=1),
                quick=bool(quick), n_repeats=n_repeats, seed=seed)
    out = map_units(_linear_neuron_unit, [(N, opts) for N in Ns], seed=seed, n_jobs=n_jobs,
                    backend=backend, scheduler=scheduler, desc="linear neuron")
    rows = [row for row, _ in out]
    herr = max(h for _, h in out)
    return {"table": pd.DataFrame(rows), "hessian_err": herr, "D": D, "noise": noise}


# ------------------------------------------------------------------------------------------------
# Hebbian, Oja, Sanger
# ------------------------------------------------------------------------------------------------


def _covariance(ev, rng):
    ev = np.asarray(ev, dtype=float)
    Q, _ = np.linalg.qr(rng.standard_normal((ev.size, ev.size)))
    return (Q * ev) @ Q.T


def _hebbian_unit(unit, seed):
    """One run of one covariance of :func:`hebbian_growth`: fresh inputs and start.

    Module level so that :func:`kernelnet.parallel.map_units` can ship it to a worker.
    """
    _, r, p = unit
    rng = np.random.default_rng(seed)
    T_l, eta, L, D = p["T"], p["eta"], p["L"], p["D"]
    with threadpool_limits(1):  # the same BLAS rounding in every process
        X = rng.standard_normal((T_l, D)) @ L.T
        tr = lr.hebbian(X, 0.1 * rng.standard_normal(D), eta)
        ln = np.log(np.linalg.norm(tr, axis=1))
        half = T_l // 2
        rate = (ln[-1] - ln[half]) / (eta * (T_l - half))
        ang = lr.subspace_angles(tr, p["v1"])
    return rate, ang[-1], ((ln, ang) if r == 0 else None)


def hebbian_growth(D=6, lam_max_values=(1.0, 2.0, 3.0, 4.0, 6.0), eta=1e-3, T=None,
                   n_runs=None, quick=True, seed=0, n_jobs=None, backend=None, scheduler=None):
    r"""Hebbian learning: growth rate of :math:`\ln\|w\|` against :math:`\lambda_{\max}(C)`.

    For each :math:`\lambda_{\max}`, a covariance with spectrum :math:`\lambda_{\max}\cdot(1,
    0.5, 0.3, 0.2, \dots)` feeds the plain Hebbian rule; the slope of :math:`\ln\|w_t\|` against
    :math:`\eta t` over the second half is compared with :math:`\lambda_{\max}`, and the angle to
    the top eigenvector is tracked.

    The covariance for the i-th :math:`\lambda_{\max}` is drawn from
    ``default_rng([seed, i])``; the (covariance, run) pairs are independent units run through
    :func:`kernelnet.parallel.map_units` (``n_jobs``, ``backend``, ``scheduler``), each drawing
    its inputs and start from its own generator seeded by ``(seed, unit index)``, so the table is
    identical serially, on local processes or on a Dask cluster.

    Returns
    -------
    dict
        ``table`` (DataFrame: lam_max, rate_mean, rate_se, angle_final, bias_bound (the
        :math:`O(\eta\lambda_{\max}\mathrm{Tr}\,C)` size of the discretisation bias), T),
        ``trajectory``
        (``eta_t``, ``log_norm``, ``angle`` for the largest :math:`\lambda_{\max}`, first run).
    """
    D = check_int(D, "D", minimum=2)
    eta = check_positive(eta, "eta")
    T = check_int(T if T is not None else (3000 if quick else 20000), "T", minimum=10)
    n_runs = check_int(n_runs if n_runs is not None else (5 if quick else 20), "n_runs",
                       minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    from kernelnet.parallel import map_units

    shape = np.array([1.0, 0.5, 0.3, 0.2, 0.1, 0.05, 0.02, 0.01][:D] + [0.01] * max(0, D - 8))
    covs, units = [], []
    for i, lm in enumerate(lam_max_values):
        lm = check_positive(lm, "lam_max_values")
        C = _covariance(lm * shape, np.random.default_rng([seed, i]))
        lam, V = np.linalg.eigh(C)
        # long enough that the direction has settled by T/2: e^{-(lam1 - lam2) eta T/2} <= e^-10
        T_l = max(T, int(np.ceil(20.0 / (eta * (lam[-1] - lam[-2])))))
        covs.append((C, lam, T_l))
        # contiguous copies: a worker receives them contiguous, so the serial run must too
        params = dict(T=T_l, eta=eta, L=np.ascontiguousarray(np.linalg.cholesky(C)), D=D,
                      v1=np.ascontiguousarray(V[:, -1]))
        units += [(i, r, params) for r in range(n_runs)]
    results = map_units(_hebbian_unit, units, seed=seed, n_jobs=n_jobs, backend=backend,
                        scheduler=scheduler, desc="hebbian growth")
    rows, traj = [], None
    for i, (C, lam, T_l) in enumerate(covs):
        mine = results[i * n_runs:(i + 1) * n_runs]
        rates = [rate for rate, _, _ in mine]
        angs = [a for _, a, _ in mine]
        ln, ang = mine[0][2]
        traj = {"eta_t": eta * np.arange(T_l + 1), "log_norm": ln, "angle": ang,
                "lam_max": lam[-1]}
        rows.append({"lam_max": lam[-1], "rate_mean": float(np.mean(rates)),
                     "rate_se": float(np.std(rates) / np.sqrt(n_runs)) if n_runs > 1 else np.nan,
                     "angle_final": float(np.mean(angs)),
                     "bias_bound": eta * lam[-1] * np.trace(C), "T": T_l})
    return {"table": pd.DataFrame(rows), "trajectory": traj, "eta": eta, "T": T}


def pca_rules(D=8, k=3, eigenvalues=None, eta=2e-3, T=None, record_every=10, quick=True, seed=0):
    r"""Oja's rule and Sanger's rule against :func:`numpy.linalg.eigh`, angle per iteration.

    Returns
    -------
    dict
        ``steps`` (recorded iterations), ``oja_angle`` (to the top eigenvector), ``sanger_angles``
        (row i to eigenvector i, shape (n_rec, k)), ``oja_rms_pred``: the stationary rms angle
        :math:`\sqrt{(\eta/2)\sum_{j>1} \lambda_1\lambda_j/(\lambda_1-\lambda_j)}` from linearising
        Oja's rule about :math:`v_1`, ``oja_rms_late`` (measured over the last half),
        ``sanger_late`` (mean late angle per row), ``eigenvalues``, ``oja_norm_final``.
    """
    D = check_int(D, "D", minimum=2)
    k = check_int(k, "k", minimum=1, maximum=D)
    eta = check_positive(eta, "eta")
    T = check_int(T if T is not None else (20000 if quick else 100000), "T", minimum=10)
    record_every = check_int(record_every, "record_every", minimum=1)
    rng = _rng(seed)
    ev = np.asarray(eigenvalues if eigenvalues is not None
                    else 4.0 * 0.6 ** np.arange(D), dtype=float)
    if ev.shape != (D,) or np.any(ev <= 0):
        raise ValueError(f"eigenvalues must be {D} positive numbers")
    # stays serial (issue 11): one Oja path and one Sanger path, each step needs the previous
    C = _covariance(ev, rng)
    lam, V = np.linalg.eigh(C)
    lam, V = lam[::-1], V[:, ::-1]
    X = rng.standard_normal((T, D)) @ np.linalg.cholesky(C).T
    o = lr.oja(X, 0.1 * rng.standard_normal(D), eta, record_every)
    s = lr.sanger(X, 0.1 * rng.standard_normal((k, D)), eta, record_every)
    oa = lr.subspace_angles(o, V[:, 0])
    sa = lr.subspace_angles(s, V[:, :k])
    pred = float(np.sqrt(0.5 * eta * np.sum(lam[0] * lam[1:] / (lam[0] - lam[1:]))))
    late = slice(len(oa) // 2, None)
    return {"steps": record_every * np.arange(len(oa)), "oja_angle": oa, "sanger_angles": sa,
            "oja_rms_pred": pred, "oja_rms_late": float(np.sqrt(np.mean(oa[late] ** 2))),
            "sanger_late": sa[late].mean(axis=0), "eigenvalues": lam, "eta": eta,
            "oja_norm_final": float(np.linalg.norm(o[-1]))}


# ------------------------------------------------------------------------------------------------
# deep linear network
# ------------------------------------------------------------------------------------------------


def deep_linear(singular_values=(3.0, 2.0, 1.0, 0.5), n_in=8, n_out=6, n_hidden=10, a0=1e-3,
                eta=None, t_max=None, quick=True, seed=0):
    r"""Two-layer linear network: gradient descent against Saxe et al.'s mode strengths.

    Whitened inputs (:math:`\Sigma_{11} = I`), :math:`\Sigma_{31} = U S V^\top` with the given
    singular values. Two runs: from the decoupled balanced start of
    :func:`kernelnet.learning_rules.decoupled_init` (every mode at :math:`a_0`), where the
    closed form is exact up to the Euler step, and from small random weights of the same scale
    (entries :math:`N(0, a_0/\sqrt{n_{\mathrm{hidden}}})`), where it holds approximately. Time
    :math:`t = 2\eta k` (:math:`\tau = 1`).

    Returns
    -------
    dict
        ``t``, ``s`` (singular values), ``closed`` (closed form, (n_t, r)), ``decoupled``
        (simulated strengths), ``random`` (simulated from random init), ``random_a0``
        (its initial strengths), ``max_err`` (decoupled vs closed), ``max_err_half`` (same at
        half the step: Euler is first order, so the ratio is ~2), ``eta``.
    """
    s = np.asarray(singular_values, dtype=float)
    if s.ndim != 1 or s.size == 0 or np.any(s <= 0):
        raise ValueError("singular_values must be positive numbers")
    r = s.size
    n_in = check_int(n_in, "n_in", minimum=r)
    n_out = check_int(n_out, "n_out", minimum=r)
    n_hidden = check_int(n_hidden, "n_hidden", minimum=r)
    a0 = check_positive(a0, "a0")
    eta = check_positive(eta if eta is not None else (0.005 if quick else 0.001), "eta")
    if t_max is None:
        t_max = 1.3 * np.log(s.max() / a0) / (2 * s.min()) + 2.0 / s.min()
    t_max = check_positive(t_max, "t_max")
    # stays serial (issue 11): three gradient-descent paths, each step needs the previous one
    rng = _rng(seed)
    U, _ = np.linalg.qr(rng.standard_normal((n_out, r)))
    V, _ = np.linalg.qr(rng.standard_normal((n_in, r)))
    S31 = (U * s) @ V.T
    S11 = np.eye(n_in)

    def run(eta_, W21, W32):
        n = int(np.ceil(t_max / (2 * eta_)))
        P, _, _ = lr.deep_linear_gd(S31, S11, W21, W32, eta_, n)
        a, sv = lr.mode_strengths(P, S31)
        # keep the r modes with non-zero singular value (the others are rounding-level)
        return 2 * eta_ * np.arange(n + 1), a[:, :r], sv[:r]

    W21, W32 = lr.decoupled_init(S31, n_hidden, a0, random_state=rng)
    t, a_dec, sv = run(eta, W21, W32)
    closed = np.stack([lr.saxe_mode_strength(t, si, a0) for si in sv], axis=1)
    t2, a_half, _ = run(eta / 2, W21, W32)
    closed2 = np.stack([lr.saxe_mode_strength(t2, si, a0) for si in sv], axis=1)
    # entries N(0, c^2) with c^2 = a0 / sqrt(n_hidden): u^T W32 W21 v then has std ~ a0
    c = np.sqrt(a0 / np.sqrt(n_hidden))
    R21 = c * rng.standard_normal((n_hidden, n_in))
    R32 = c * rng.standard_normal((n_out, n_hidden))
    _, a_rand, _ = run(eta, R21, R32)
    return {"t": t, "s": sv, "closed": closed, "decoupled": a_dec, "random": a_rand,
            "random_a0": a_rand[0], "max_err": float(np.max(np.abs(a_dec - closed))),
            "max_err_half": float(np.max(np.abs(a_half - closed2))), "eta": eta, "a0": a0}


# ------------------------------------------------------------------------------------------------
# perceptron
# ------------------------------------------------------------------------------------------------


def _perceptron_unit(unit, seed):
    """One data set of :func:`perceptron_mistakes`: fresh separable data, one perceptron run.

    Module level so that :func:`kernelnet.parallel.map_units` can ship it to a worker.
    """
    mg, _, p = unit
    rng = np.random.default_rng(seed)
    X, y, w = lr.separable_data(p["n"], p["d"], mg, random_state=rng)
    bound, R, gamma = lr.novikoff_bound(X, y, w)
    res = lr.perceptron(X, y, max_epochs=10_000, random_state=rng)
    return {"margin": mg, "gamma": gamma, "R": R, "bound": bound,
            "mistakes": res.n_mistakes, "epochs": len(res.mistakes_per_epoch),
            "converged": res.converged}


def perceptron_mistakes(margins=(0.02, 0.05, 0.1, 0.2, 0.4), n=500, d=10, n_datasets=None,
                        quick=True, seed=0, n_jobs=None, backend=None, scheduler=None):
    r"""Perceptron mistakes on separable data against Novikoff's bound :math:`(R/\gamma)^2`.

    The (margin, data set) pairs are independent units run through
    :func:`kernelnet.parallel.map_units` (``n_jobs``, ``backend``, ``scheduler``); each draws its
    data and presentation order from its own generator seeded by ``(seed, unit index)``, so the
    table is identical serially, on local processes or on a Dask cluster.

    Returns
    -------
    DataFrame
        One row per data set: margin (requested), gamma (margin of the teacher), R, bound,
        mistakes, epochs, converged.
    """
    n = check_int(n, "n", minimum=1)
    d = check_int(d, "d", minimum=1)
    n_datasets = check_int(n_datasets if n_datasets is not None else (4 if quick else 20),
                           "n_datasets", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    from kernelnet.parallel import map_units

    params = dict(n=n, d=d)
    units = [(mg, rep, params) for mg in margins for rep in range(n_datasets)]
    rows = map_units(_perceptron_unit, units, seed=seed, n_jobs=n_jobs, backend=backend,
                     scheduler=scheduler, desc="perceptron mistakes")
    return pd.DataFrame(rows)
