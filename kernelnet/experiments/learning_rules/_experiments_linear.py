r"""Chapter 5: the linear neuron, the deep linear network (Saxe et al.) and its gradients."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kernelnet import learning_rules as lr
from kernelnet._validation import as_rng, check_int, check_positive
from kernelnet.checks import derivative_check
from kernelnet.parallel import map_units


# ------------------------------------------------------------------------------------------------
# linear neuron
# ------------------------------------------------------------------------------------------------


def _linear_neuron_unit(unit, seed):
    """One sample size N of :func:`linear_neuron` (module level, for the workers)."""
    N, o = unit
    D, noise, quick, n_repeats = o["D"], o["noise"], o["quick"], o["n_repeats"]
    shared = as_rng([o["seed"], 0], "seed")  # the teacher and test set every N shares
    w_star = shared.standard_normal(D) / np.sqrt(D)
    Xt = shared.standard_normal((o["n_test"], D))
    yt = Xt @ w_star
    rng = as_rng(seed, "seed")
    X = rng.standard_normal((N, D))
    y = X @ w_star + noise * rng.standard_normal(N)
    w, rank, unique = lr.normal_equations(X, y)
    lam_max = float(np.linalg.eigvalsh(X.T @ X).max())
    eta = 0.9 * N / (2 * lam_max)
    w_gd, _ = lr.linear_neuron_gd(X, y, eta, o["gd_steps"])
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
    C = X.T @ X  # the notes' statement: H = C (without the factor 2/N)
    herr_stated = float(np.max(np.abs(H_fd - C)) / np.max(np.abs(C)))
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
    return row, (herr, herr_stated)


def linear_neuron(D=20, Ns=None, noise=0.1, n_test=2000, n_repeats=None, quick=True, seed=0,
                  n_jobs=None, backend=None, scheduler=None, gd_steps=None):
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
                quick=bool(quick), n_repeats=n_repeats, seed=seed,
                gd_steps=check_int(gd_steps if gd_steps is not None else
                                   (2000 if quick else 20000), "gd_steps", minimum=1))
    out = map_units(_linear_neuron_unit, [(N, opts) for N in Ns], seed=seed, n_jobs=n_jobs,
                    backend=backend, scheduler=scheduler, desc="linear neuron")
    rows = [row for row, _ in out]
    herr = max(h for _, (h, _) in out)
    herr_stated = max(h for _, (_, h) in out)
    return {"table": pd.DataFrame(rows), "hessian_err": herr,
            "hessian_err_as_stated": herr_stated, "D": D, "noise": noise}


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
    rng = as_rng(seed, "seed")
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
# the deep linear network's gradients and their degree
# ------------------------------------------------------------------------------------------------


def _dln_loss(X, Y, W21, W32):
    return float(np.mean(np.sum((Y - X @ W21.T @ W32.T) ** 2, axis=1)))


def deep_linear_checks(n_in=8, n_hidden=10, n_out=6, n=50, h=1e-6, seed=0):
    r"""``002.deep-linear-gradients`` and ``002.deep-linear-nonlinear`` on data.

    ``n`` Gaussian inputs, targets from a random linear map plus noise, random weights
    :math:`N(0, 1/\text{fan-in})`. ``grad_err``: the notes' gradients (with the errata's
    :math:`W_{32}^\top`) against central differences of :math:`L = \frac1N\sum\|y -
    W_{32}W_{21}x\|^2` computed from the samples, relative (step ``h``; error :math:`O(h^2)`
    plus rounding :math:`O(\epsilon L/h)`, both near 1e-10). ``check``: the Taylor test of
    :func:`kernelnet.checks.derivative_check`. Degree along a random direction
    :math:`D = (D_{21}, D_{32})`: :math:`f(t) = L(W + tD)` at t = -2..3; ``d5_rel`` (fifth
    difference) and ``d4_rel`` (fourth) relative to :math:`\max|f|`; ``a4_err`` compares
    :math:`\Delta^4 f/24` with the closed-form quartic coefficient
    :math:`\frac1N\sum\|D_{32}D_{21}x\|^2`; ``g4_rel``/``g3_rel`` the same for the gradient
    along t (fourth / third difference: a cubic); ``control_d3_rel``: the third difference
    for a single linear layer :math:`W_{31}`, whose loss is quadratic.
    """
    n = check_int(n, "n", minimum=1)
    h = check_positive(h, "h")
    rng = as_rng([seed, 7], "seed")
    X = rng.standard_normal((n, n_in))
    A = rng.standard_normal((n_out, n_in)) / np.sqrt(n_in)
    Y = X @ A.T + 0.1 * rng.standard_normal((n, n_out))
    W21 = rng.standard_normal((n_hidden, n_in)) / np.sqrt(n_in)
    W32 = rng.standard_normal((n_out, n_hidden)) / np.sqrt(n_hidden)
    S11 = X.T @ X / n
    S31 = Y.T @ X / n
    ng21, ng32 = lr.deep_linear_gradients(S31, S11, W21, W32)
    fd = []
    for which, Wm in ((0, W21), (1, W32)):
        G = np.zeros_like(Wm)
        for idx in np.ndindex(Wm.shape):
            E_ = np.zeros_like(Wm)
            E_[idx] = h
            args_p = (W21 + E_, W32) if which == 0 else (W21, W32 + E_)
            args_m = (W21 - E_, W32) if which == 0 else (W21, W32 - E_)
            G[idx] = (_dln_loss(X, Y, *args_p) - _dln_loss(X, Y, *args_m)) / (2 * h)
        fd.append(G)
    grad_err = max(float(np.max(np.abs(-ng21 - fd[0])) / np.max(np.abs(fd[0]))),
                   float(np.max(np.abs(-ng32 - fd[1])) / np.max(np.abs(fd[1]))))
    shapes = [W21.shape, W32.shape]
    sizes_ = [W21.size, W32.size]

    def unpack(theta):
        return theta[:sizes_[0]].reshape(shapes[0]), theta[sizes_[0]:].reshape(shapes[1])

    def fun(theta):
        return _dln_loss(X, Y, *unpack(theta))

    def jvp(theta, v):
        a, b = lr.deep_linear_gradients(S31, S11, *unpack(theta))
        return -np.concatenate([a.ravel(), b.ravel()]) @ v

    theta = np.concatenate([W21.ravel(), W32.ravel()])
    check = derivative_check(fun, jvp, theta, random_state=seed, name="deep linear gradient")
    D21 = rng.standard_normal(W21.shape) / np.sqrt(n_in)
    D32 = rng.standard_normal(W32.shape) / np.sqrt(n_hidden)
    ts = np.arange(-2, 4)
    f = np.array([_dln_loss(X, Y, W21 + t * D21, W32 + t * D32) for t in ts])
    gr = np.array([np.concatenate([a.ravel(), b.ravel()]) for a, b in
                   (lr.deep_linear_gradients(S31, S11, W21 + t * D21, W32 + t * D32)
                    for t in ts)])
    a4 = float(np.mean(np.sum((X @ D21.T @ D32.T) ** 2, axis=1)))
    fmax = float(np.max(np.abs(f)))
    gmax = float(np.max(np.abs(gr)))
    W31 = rng.standard_normal((n_out, n_in)) / np.sqrt(n_in)
    D31 = rng.standard_normal((n_out, n_in)) / np.sqrt(n_in)
    fc = np.array([float(np.mean(np.sum((Y - X @ (W31 + t * D31).T) ** 2, axis=1)))
                   for t in ts[:4]])
    return {
        "grad_err": grad_err, "check": check,
        "d5_rel": float(abs(np.diff(f, 5)[0]) / fmax),
        "d4_rel": float(np.max(np.abs(np.diff(f, 4))) / fmax),
        "a4_err": float(np.max(np.abs(np.diff(f, 4) / 24 - a4)) / a4),
        "g4_rel": float(np.max(np.abs(np.diff(gr, 4, axis=0))) / gmax),
        "g3_rel": float(np.max(np.abs(np.diff(gr, 3, axis=0))) / gmax),
        "control_d3_rel": float(abs(np.diff(fc, 3)[0]) / np.max(np.abs(fc))),
        "n": n, "sizes": (n_in, n_hidden, n_out), "h": h,
    }
