"""Chapter 7's experiments, sections 5-7: kernel solvers at scale, the 1-D Heaviside example, Assumption 2 and the width term."""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd

from ... import feature_learning as fl
from ... import solvers
from ..._validation import check_int
from ...kernels import gaussian_kernel, median_heuristic
from ...parallel import map_units
from ._common import single_thread
from ._experiments import _cell_data


# ---------------------------------------------------------------------------------------------
# 5. Kernels at scale: direct vs iterative
# ---------------------------------------------------------------------------------------------


def solver_scaling(ns=(1000, 2000, 4000, 8000), *, d=10, lam=1e-4, tol=1e-6, rank=200,
                   n_direct_max=8000, n_dense_max=8000, richardson_max_n=2000,
                   others_max_n=None, max_iter=5000, seed=0):
    r"""Direct vs iterative kernel ridge solves: time, iterations, FLOP counts.

    Gaussian kernel (bandwidth: median heuristic on 500 points) on :math:`x\sim N(0, I_d)`,
    :math:`y = \sin(x_1) + \text{noise}`, ridge :math:`\mu = \lambda n`. Methods: Cholesky
    (:func:`~kernelnet.solvers.solve_direct`, up to ``n_direct_max``), CG, CG with a rank-``rank``
    Nystrom preconditioner, Richardson (only up to ``richardson_max_n``: it needs
    :math:`\sim\kappa\log(1/\mathrm{tol})` steps) and Richardson with the same preconditioner
    (EigenPro-style). Dense :math:`K` up to ``n_dense_max``, matrix-free
    (:class:`~kernelnet.solvers.KernelOperator`) beyond. Above ``others_max_n`` (``None``: no
    limit) only CG with the preconditioner runs, the method whose :math:`n^2` cost the largest
    sizes are there to show: plain CG and preconditioned Richardson need 2-5 times its mat-vecs,
    each of :math:`n^2 d` kernel evaluations when matrix-free. Each iterative solution is
    compared with the direct one where that exists.

    Returns
    -------
    DataFrame: n, method, seconds (CPU seconds of the solve, :func:`time.process_time`, on one
    BLAS and one numba thread), kernel_seconds, n_iter, converged, flops, rel_diff (vs direct),
    matrix_free.
    """
    # stays serial (no map_units) and on one BLAS / numba thread: it times each solve by the CPU
    # time of the process (time.process_time), which a busy machine does not stretch as it does
    # wall-clock time, and which a second thread spinning at a barrier would inflate
    with single_thread():
        return _solver_scaling_rows(ns, d, lam, tol, rank, n_direct_max, n_dense_max,
                                    richardson_max_n, others_max_n, max_iter, seed)


def _solver_scaling_rows(ns, d, lam, tol, rank, n_direct_max, n_dense_max, richardson_max_n,
                         others_max_n, max_iter, seed):
    rng = np.random.default_rng(seed)
    rows = []
    for n in ns:
        X = rng.standard_normal((n, d))
        y = np.sin(X[:, 0]) + 0.1 * rng.standard_normal(n)
        sigma = median_heuristic(X[:500])
        mu = lam * n
        dense = n <= n_dense_max
        if dense:
            t0 = time.process_time()
            A = gaussian_kernel(X, sigma=sigma)
            t_kernel = time.process_time() - t0
        else:
            A = solvers.KernelOperator(X, "gaussian", sigma=sigma)
            A.matvec(y[:])  # warm the compiled mat-vec
            t_kernel = 0.0
        ref = None
        if dense and n <= n_direct_max:
            solvers.solve_direct(A[:200, :200], y[:200], ridge=mu)  # warm
            t0 = time.process_time()
            ref = solvers.solve_direct(A, y, ridge=mu)
            rows.append({"n": n, "method": "cholesky", "seconds": time.process_time() - t0,
                         "kernel_seconds": t_kernel, "n_iter": 0, "converged": True,
                         "flops": solvers.direct_flops(n), "rel_diff": 0.0,
                         "matrix_free": False})
        mv_flops = solvers.matvec_flops(n, 0 if dense else d)
        for method in ("cg", "cg+nystrom", "richardson", "richardson+nystrom"):
            if method == "richardson" and n > richardson_max_n:
                continue
            if others_max_n is not None and n > others_max_n and method != "cg+nystrom":
                continue
            t0 = time.process_time()
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
            sec = time.process_time() - t0
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
# 7. Assumption 2: a target with H = 0, and Theorem 1's width term
# ---------------------------------------------------------------------------------------------


def assumption2_check(*, d=16, ps=(3, 4), ns=(1000, 2000, 4000, 8000, 16000), m=512,
                      n_test=2000, ridges=(1e-4, 1e-3, 1e-2), seed=0, n_jobs=None,
                      backend=None, scheduler=None):
    r"""Algorithm 1 on targets that violate Assumption 2 (:math:`H = 0`) and on controls that do not.

    For each degree :math:`p` in ``ps``: the pure single-index target
    :math:`\mathrm{He}_p(u\cdot x)/\sqrt{p!}` (:func:`~kernelnet.feature_learning.pure_hermite_target`,
    :math:`H = 0`) and the control :func:`~kernelnet.feature_learning.make_target` with
    :math:`r = 1` (the same degree, half the variance in :math:`\mathrm{He}_2`, so
    :math:`\operatorname{rank} H = 1`). At each :math:`n`: Algorithm 1 and random features
    (width ``m``, best ridge from ``ridges`` on the test set), the test error (MSE / Var), and
    the sine of the angle between the top right singular vector of :math:`W^{(1)}` and
    :math:`u`. Seed 004: "We need Assumption 2" (and its Theorem 2).

    Each (p, target, n) cell is a unit of :func:`kernelnet.parallel.map_units`; the target and
    test set come from ``(seed, p, kind)``, the sample and the network from the unit's stream.

    Returns
    -------
    DataFrame with columns p, target ("H = 0" or "rank H = 1"), d, n, m, method, error,
    ridge, sin_first_step.
    """
    d = check_int(d, "d", minimum=2)
    m = check_int(m, "m", minimum=2)
    opts = dict(d=d, m=m, n_test=int(n_test), ridges=tuple(ridges), seed=int(seed))
    units = [(int(p), kind, int(n), opts) for p in ps for kind in ("H = 0", "rank H = 1")
             for n in ns]
    parts = map_units(_assumption2_unit, units, seed=int(seed), n_jobs=n_jobs, backend=backend,
                      scheduler=scheduler, desc="assumption 2")
    return pd.DataFrame([row for rows in parts for row in rows])


def _assumption2_unit(unit, unit_seed):
    p, kind, n, o = unit
    d, m = o["d"], o["m"]
    trng = np.random.default_rng([o["seed"], p, 0 if kind == "H = 0" else 1])
    if kind == "H = 0":
        tgt = fl.pure_hermite_target(d, p, random_state=trng)
    else:
        tgt = fl.make_target(d, 1, p, random_state=trng)
    Xt, yt, X, y, fit_seed = _cell_data(tgt, trng, n, o["n_test"], unit_seed)
    rows = []
    for method, path in (("algorithm1", fl.algorithm1_ridge_path),
                         ("rf", fl.random_features_ridge_path)):
        fits = path(X, y, m=m, ridges=o["ridges"], random_state=fit_seed)
        errs = [float(np.mean((pred - yt) ** 2)) / tgt.variance
                for pred in fl.predict_path(fits, Xt)]
        k = int(np.argmin(errs))
        sin1 = float("nan")
        if method == "algorithm1":
            sin1 = float(np.sin(fl.principal_angles(fits[k].W, tgt.U).max()))
        rows.append({"p": p, "target": kind, "d": d, "n": n, "m": m, "method": method,
                     "error": errs[k], "ridge": fits[k].ridge, "sin_first_step": sin1})
    return rows


def width_sweep(*, d=16, r=2, p=3, n=16000, ms=(16, 32, 64, 128, 256, 512, 1024, 2048),
                repeats=2, n_test=4000, ridges=(1e-4, 1e-3, 1e-2), proof_m_max=0,
                loss_target=0.05, n_rademacher=100, seed=0, n_jobs=None, backend=None,
                scheduler=None):
    r"""Algorithm 1's excess :math:`L^1` loss against the width :math:`m` at fixed :math:`n`.

    Theorem 1 (seed 004) bounds :math:`\mathbb E|f_{\theta^{(T)}}(x) - y| - \varsigma` by
    :math:`\tilde O(\sqrt{dr^p\kappa^{2p}/n} + \sqrt{r^p\kappa^{2p}/m} + n^{-1/4})`; at a fixed,
    large :math:`n` only the width term changes with :math:`m`. The labels are noiseless
    (:math:`\varsigma = 0`), so the excess loss is the test mean absolute error. Target
    :func:`~kernelnet.feature_learning.make_target` (:math:`d, r, p`), one training sample for
    all widths, ``repeats`` networks per width, best ridge on the test set (Theorem 1: "there
    exists :math:`\lambda`"). Also the head's norm :math:`\lVert a\rVert` (the proof's
    :math:`\lVert a^\star\rVert = \tilde O(r^p\kappa^{2p}/\sqrt m)`).

    The steps of the proof sketch, on the same fits (seed 004, Appendix A.2-A.3):

    * Rademacher (step 3), every unit: the training :math:`L^1` loss ``train_l1`` of the chosen
      head, the empirical Rademacher complexity of :math:`\{x\mapsto a^\top\sigma(W^{(1)}x + b):
      \lVert a\rVert \le B\}` with :math:`B = \lVert a\rVert`, in closed form
      (``rad``, :math:`B\sqrt{\sum_i\lVert\phi(x_i)\rVert^2}/n`, Jensen's upper bound) and by
      Monte Carlo over ``n_rademacher`` sign vectors (``rad_mc``,
      :math:`\frac Bn\mathbb E_\varepsilon\lVert\Phi^\top\varepsilon\rVert`), and the
      confidence term ``conf`` :math:`= 3M\sqrt{\log(2/0.01)/(2n)}` with :math:`M` the largest
      training residual (the loss is unbounded for Gaussian inputs; its observed range stands in).
    * :math:`a^\star` and the ridge-norm equivalence (steps 1-2), repeat 0 and
      :math:`m \le` ``proof_m_max`` only (one eigendecomposition of :math:`\Phi^\top\Phi` per
      unit; 0 switches them off): ``a_star_norm``, the smallest :math:`\lVert a\rVert` with
      training MSE / Var f* :math:`\le` ``loss_target`` (on the ridge path, which is the
      norm-constrained least-squares path; ``nan`` if no head reaches it), and, for a competitor
      :math:`\tilde a` fitted by ridge on a fresh sample (the test set, at the chosen ridge) with
      the same features, the ridge head whose norm equals :math:`\lVert\tilde a\rVert`:
      ``fresh_norm``, ``fresh_train_mse`` (of :math:`\tilde a`) and ``matched_train_mse``
      (of that ridge head; the equivalence says it is no larger).

    Returns
    -------
    DataFrame with columns m, repeat, l1, mse (relative to Var f*), ridge, a_norm, train_l1,
    rad, rad_mc, conf, trivial_l1 (the test :math:`L^1` loss of predicting the training mean),
    a_star_norm, fresh_norm, fresh_train_mse, matched_train_mse.
    """
    opts = dict(d=int(d), r=int(r), p=int(p), n=int(n), n_test=int(n_test),
                ridges=tuple(ridges), seed=int(seed), proof_m_max=int(proof_m_max),
                loss_target=float(loss_target), n_rademacher=int(n_rademacher))
    units = [(int(mm), int(k), opts) for mm in ms for k in range(int(repeats))]
    rows = map_units(_width_unit, units, seed=int(seed), n_jobs=n_jobs, backend=backend,
                     scheduler=scheduler, desc="width sweep")
    return pd.DataFrame(rows)


def _width_unit(unit, unit_seed):
    m, k, o = unit
    trng = np.random.default_rng([o["seed"], 0])  # one target, sample and test set for all m
    tgt = fl.make_target(o["d"], o["r"], o["p"], random_state=trng)
    X = fl.sample_inputs(o["n"], o["d"], random_state=trng)
    y = tgt(X)
    Xt = fl.sample_inputs(o["n_test"], o["d"], random_state=trng)
    yt = tgt(Xt)
    fits = fl.algorithm1_ridge_path(X, y, m=m, ridges=o["ridges"],
                                    random_state=np.random.default_rng(unit_seed))
    preds = fl.predict_path(fits, Xt)
    l1 = [float(np.mean(np.abs(pred - yt))) for pred in preds]
    j = int(np.argmin(l1))
    f = fits[j]
    row = {"m": m, "repeat": k, "l1": l1[j],
           "mse": float(np.mean((preds[j] - yt) ** 2)) / tgt.variance,
           "ridge": f.ridge, "a_norm": float(np.linalg.norm(f.a))}
    row.update(_proof_steps(f, X, y, Xt, yt, tgt.variance, m, k, o,
                            np.random.default_rng([o["seed"], 1, m, k])))
    return row


def _proof_steps(f, X, y, Xt, yt, variance, m, k, o, rng):
    """The proof-sketch quantities of :func:`width_sweep` for one fitted head ``f``."""
    n = X.shape[0]
    Phi = np.maximum(X @ f.W.T + f.b, 0.0)
    yr = y - f.alpha - X @ f.beta
    res = Phi @ f.a - yr
    B = float(np.linalg.norm(f.a))
    eps = rng.choice(np.array([-1.0, 1.0]), size=(o["n_rademacher"], n))
    out = {"train_l1": float(np.mean(np.abs(res))),
           "rad": B * math.sqrt(float(np.sum(Phi * Phi))) / n,
           "rad_mc": B * float(np.linalg.norm(eps @ Phi, axis=1).mean()) / n,
           "conf": 3.0 * float(np.abs(res).max()) * math.sqrt(math.log(2 / 0.01) / (2 * n)),
           "trivial_l1": float(np.mean(np.abs(yt - y.mean()))),
           "a_star_norm": float("nan"), "fresh_norm": float("nan"),
           "fresh_train_mse": float("nan"), "matched_train_mse": float("nan")}
    if k != 0 or m > o["proof_m_max"]:
        return out
    # the whole ridge path from one eigendecomposition: a(mu) = V (L + mu)^-1 V^T Phi^T y
    A = Phi.T @ Phi
    lam_, V = np.linalg.eigh(A)
    lam_ = np.maximum(lam_, 0.0)
    c = V.T @ (Phi.T @ yr)
    yy = float(yr @ yr)

    def norm2(mu):
        return float(np.sum(c**2 / (lam_ + mu) ** 2))

    def mse(mu):  # ||Phi a - y||^2 / n with a = V (L + mu)^-1 c
        q = c / (lam_ + mu)
        return (yy - 2 * float(q @ c) + float(np.sum(lam_ * q * q))) / n / variance

    def solve(fun, target, lo=-12.0, hi=12.0):
        # fun is monotone in log10(mu * n / trace(A)); bisection in that variable
        scale = float(np.trace(A)) / m
        flo, fhi = fun(scale * 10**lo), fun(scale * 10**hi)
        if not min(flo, fhi) <= target <= max(flo, fhi):
            return None
        for _ in range(80):
            mid = 0.5 * (lo + hi)
            if (fun(scale * 10**mid) - target) * (flo - target) > 0:
                lo = mid
            else:
                hi = mid
        return scale * 10 ** (0.5 * (lo + hi))

    mu_star = solve(mse, o["loss_target"])
    if mu_star is not None:
        out["a_star_norm"] = math.sqrt(norm2(mu_star))
    # a competitor fitted on a fresh sample (the test set) with the same features and ridge
    Phit = np.maximum(Xt @ f.W.T + f.b, 0.0)
    ytr = yt - f.alpha - Xt @ f.beta
    nt = Xt.shape[0]
    a_fresh = solvers.solve_direct(Phit.T @ Phit, Phit.T @ ytr, ridge=0.5 * nt * f.ridge)
    fn = float(np.linalg.norm(a_fresh))
    out["fresh_norm"] = fn
    out["fresh_train_mse"] = float(np.mean((Phi @ a_fresh - yr) ** 2)) / variance
    mu_m = solve(lambda mu: math.sqrt(norm2(mu)), fn)
    if mu_m is None and fn >= math.sqrt(norm2(float(np.trace(A)) / m * 1e-12)):
        mu_m = float(np.trace(A)) / m * 1e-12  # the fresh head is longer than least squares
    if mu_m is not None:
        out["matched_train_mse"] = mse(mu_m)
    return out


