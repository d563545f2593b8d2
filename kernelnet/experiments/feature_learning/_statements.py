"""Chapter 7's checks of the talk's remaining statements: series, assumptions, initialisation, ridge, adaptivity."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ... import feature_learning as fl
from ..._validation import as_rng, check_int, check_positive
from ...kernels import gaussian_kernel, median_heuristic
from ._experiments import _krr_oracle, fourier_target


# ---------------------------------------------------------------------------------------------
# 8. The remaining statements of the talk: series, assumptions, initialisation, ridge, adaptivity
# ---------------------------------------------------------------------------------------------


def series_terms_sweep(dims=(16, 32, 64, 128, 256, 512), *, r=2, ps=(3, 4), m=16, seed=0):
    r"""The size of each term of the talk's series (eq. 1) as :math:`d` grows.

    For each degree :math:`p` and dimension :math:`d`: a target
    :func:`~kernelnet.feature_learning.make_target` (:math:`d, r, p`), :math:`m` directions of
    the symmetric initialisation, and the norms of the terms :math:`T_k`
    (:func:`~kernelnet.feature_learning.population_gradient_terms`), averaged over the
    neurons. The talk: :math:`T_k = O(d^{-k/2})`, "an asymptotic series in :math:`d^{-1/2}`".
    Exact (finite Hermite series), no sampling; a few milliseconds per ``d``.

    Returns
    -------
    DataFrame with columns p, d, k, norm.
    """
    m = check_int(m, "m", minimum=1)
    rows = []
    for p in ps:
        for d in dims:
            rng = np.random.default_rng([int(seed), int(p), int(d)])
            tgt = fl.make_target(int(d), int(r), int(p), random_state=rng)
            _, W, _ = fl.symmetric_init(2 * m, int(d), random_state=rng)
            T = fl.population_gradient_terms(tgt, W[:m])
            for k, v in enumerate(np.linalg.norm(T, axis=2).mean(axis=1)):
                rows.append({"p": int(p), "d": int(d), "k": k, "norm": float(v)})
    return pd.DataFrame(rows)


def _fd_hessians(f, X, h):
    """Central-difference Hessians of a scalar function ``f`` (rows in, values out) at the rows
    of ``X``: :math:`[f(x+h e_i+h e_j) - f(x+he_i-he_j) - f(x-he_i+he_j) + f(x-he_i-he_j)]/4h^2`."""
    n, d = X.shape
    E = np.eye(d) * h
    out = np.empty((n, d, d))
    for i, x in enumerate(X):
        vals = []
        for s1, s2 in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
            Z = x + s1 * E[:, None, :] + s2 * E[None, :, :]
            vals.append(f(Z.reshape(-1, d)).reshape(d, d))
        out[i] = (vals[0] - vals[1] - vals[2] + vals[3]) / (4 * h * h)
    return out


def assumption1_check(*, d=16, r=2, p=3, n_points=20, n_mc=400, h=1e-3, seed=0):
    r"""Assumption 1's consequence: :math:`\nabla^2 f^\star(x)` lives in :math:`S^\star` for every
    :math:`x`, so :math:`H` has rank at most :math:`r`.

    The target is :math:`f(x) = g(Bx)` with :math:`g` the link of
    :func:`~kernelnet.feature_learning.make_target` and :math:`B = AU` for a random invertible
    :math:`A` (rows :math:`u_i` linearly independent, not orthonormal: the talk asks for no
    more). Hessians by central differences (step ``h``) at ``n_points`` random :math:`x`: the
    part outside :math:`S^\star` (relative, :math:`\lVert\nabla^2 f - \Pi\nabla^2 f\,\Pi\rVert_F
    / \lVert\nabla^2 f\rVert_F`); :math:`H` estimated as the mean of ``n_mc`` of them, its
    singular values beyond the :math:`r`-th relative to the first. For the orthonormal target
    itself the same Monte Carlo mean is compared with the exact
    :math:`H = U^\top H_zU` (:meth:`~kernelnet.feature_learning.HermiteTarget.hessian`), with
    its Monte Carlo error bar.

    Returns
    -------
    dict of numbers.
    """
    d = check_int(d, "d", minimum=2)
    r = check_int(r, "r", minimum=1)
    rng = np.random.default_rng(seed)
    tgt = fl.make_target(d, r, p, random_state=rng)
    A = rng.standard_normal((r, r)) + 2.0 * np.eye(r)
    B = A @ tgt.U

    def f_b(Z):
        return tgt.g(Z @ B.T)

    Q, _ = np.linalg.qr(B.T)
    P = Q @ Q.T
    Hx = _fd_hessians(f_b, rng.standard_normal((n_points, d)), h)
    out_span = max(float(np.linalg.norm(M - P @ M @ P) / np.linalg.norm(M)) for M in Hx)
    Hm = _fd_hessians(f_b, rng.standard_normal((n_mc, d)), h).mean(axis=0)
    sv = np.linalg.svd(Hm, compute_uv=False)
    H = tgt.hessian()
    sv_exact = np.linalg.svd(H, compute_uv=False)
    Ho = _fd_hessians(tgt, rng.standard_normal((n_mc, d)), h)
    diff = float(np.linalg.norm(Ho.mean(axis=0) - H))
    se = float(np.sqrt(Ho.var(axis=0).sum() / n_mc))
    return {"out_of_span_max": out_span, "mc_sv_excess": float(sv[r] / sv[0]),
            "mc_sv_r": float(sv[r - 1] / sv[0]), "exact_sv_excess": float(sv_exact[r] / sv_exact[0]),
            "exact_rank": int((sv_exact > 1e-12 * sv_exact[0]).sum()),
            "mc_vs_exact_over_se": diff / se, "d": d, "r": r, "p": int(p), "n_points": n_points,
            "n_mc": n_mc, "h": h}


def population_gradient_check(*, d=16, r=2, p=3, m=16, n=50_000, seed=0):
    r"""The population gradient at the symmetric initialisation, three ways.

    With :math:`f_{\theta_0} \equiv 0` and :math:`b = 0` the talk writes
    :math:`\nabla_{w_j}\mathcal L_{\mathcal D} = -2\mathbb E[f^\star\nabla_{w_j}f_\theta]
    = -2a_j\mathbb E[f^\star(x)\,x\,\mathbf 1_{w_j\cdot x\ge0}]`. On ``n`` samples: the largest
    :math:`|f_{\theta_0}(x_i)|`; the gradient of the empirical loss
    (:func:`~kernelnet.feature_learning.loss_gradient_W`) against (i) finite differences of the
    loss itself (central, along random directions, and :func:`kernelnet.checks.derivative_check`'s
    Taylor order) and (ii) the talk's chain-rule form :math:`-2a_j\frac1n\sum_i y_ix_i
    \mathbf 1_{w_j\cdot x_i\ge0}`; and that sample mean against the exact population value
    (:func:`~kernelnet.feature_learning.population_gradient_W`), per coordinate in units of its
    standard error (root mean square and largest ``|z|``).

    Returns
    -------
    dict of numbers.
    """
    from ...checks import derivative_check

    m = check_int(m, "m", minimum=2)
    rng = np.random.default_rng(seed)
    tgt = fl.make_target(d, r, p, random_state=rng)
    a, W, b = fl.symmetric_init(m, d, random_state=rng)
    X = fl.sample_inputs(n, d, random_state=rng)
    y = tgt(X)
    f0 = float(np.abs(fl.network_output(X, a, W, b)).max())
    G = fl.loss_gradient_W(X, y, a, W, b)
    h2 = m // 2
    M = (X @ W[:h2].T >= 0.0) * y[:, None]  # (n, m/2): y_i 1{w_j . x_i >= 0}
    S1 = M.T @ X / n
    S2 = (M * M).T @ (X * X) / n
    Gc = -2.0 * a[:h2, None] * S1
    formula = float(np.abs(G[:h2] - Gc).max() / np.abs(G).max())

    def loss(Wv):
        return float(np.mean((fl.network_output(X, a, Wv, b) - y) ** 2))

    hfd = 1e-6
    fd = []
    for _ in range(4):
        V = rng.standard_normal(W.shape)
        num = (loss(W + hfd * V) - loss(W - hfd * V)) / (2 * hfd)
        fd.append(abs(num - float(np.sum(G * V))) / (np.linalg.norm(G) * np.linalg.norm(V)))
    dc = derivative_check(loss, lambda Wv, V: float(np.sum(G * V)), W, h0=0.1, n_steps=10,
                          random_state=rng)
    se = 2.0 * np.sqrt(np.maximum(S2 - S1 * S1, 0.0) / n)
    Gp = fl.population_gradient_W(tgt, W[:h2], a[:h2])
    z = (Gc - Gp) / se
    return {"f0_max": f0, "formula_vs_library": formula, "fd_rel_max": float(max(fd)),
            "taylor_order": float(dc.order1), "taylor_passed": bool(dc.passed),
            "z_rms": float(np.sqrt(np.mean(z * z))), "z_max": float(np.abs(z).max()),
            "d": d, "m": m, "n": n}


def symmetric_init_check(*, dims=(16, 64), m=16, n=2000, seed=0):
    r""":math:`f_{\theta_0}(x)` at the symmetric initialisation, as corrected and as written.

    Corrected (``seeds/ERRATA.md``): neuron :math:`j + m/2` copies neuron :math:`j` with the
    opposite sign of :math:`a_j` (:func:`~kernelnet.feature_learning.symmetric_init`). As
    written, :math:`a_j = -a_{m-j}, w_j = w_{m-j}, b_j = b_{m-j}` for :math:`j \in [m/2]`
    (1-based): neuron :math:`m/2` is paired with itself, which :math:`a_j = \pm1` cannot satisfy,
    and neuron :math:`m` with none; both keep their own draws here. Largest :math:`|f_{\theta_0}|`
    over ``n`` Gaussian inputs, for each ``d``.

    Returns
    -------
    dict of numbers.
    """
    m = check_int(m, "m", minimum=4)
    out = {"corrected_max": 0.0, "as_written_max": 0.0}
    rng = np.random.default_rng(seed)
    for d in dims:
        a, W, b = fl.symmetric_init(m, int(d), random_state=rng)
        X = fl.sample_inputs(n, int(d), random_state=rng)
        out["corrected_max"] = max(out["corrected_max"],
                                   float(np.abs(fl.network_output(X, a, W, b)).max()))
        a2 = rng.choice(np.array([-1.0, 1.0]), size=m)
        W2 = rng.standard_normal((m, int(d))) / math.sqrt(d)
        for j in range(1, m // 2):  # 1-based j; the partner of j is m - j
            a2[m - j - 1] = -a2[j - 1]
            W2[m - j - 1] = W2[j - 1]
        f2 = (np.maximum(X @ W2.T, 0.0) * a2).sum(axis=1)
        out["as_written_max"] = max(out["as_written_max"], float(np.abs(f2).max()))
    return out


def ridge_check(*, d=8, r=2, p=3, n=500, m=32, lam=0.05, c_steps=25.0, seed=0):
    r"""The ridge formula and Algorithm 1's head, two ways each.

    (i) :math:`w = (X^\top X + \lambda I)^{-1}X^\top y` (the talk's formula, on the features
    :math:`\Phi` of Algorithm 1 with :math:`\lambda' = n\lambda/2`, the library's convention)
    against a least-squares solve of the stacked system :math:`[\Phi; \sqrt{\lambda'} I]a =
    [y; 0]` and against the library's ridge head; (ii) the talk's loop, :math:`T - 1` steps of
    weight-decayed gradient descent on :math:`a` from :math:`a^{(1)} = a^{(0)}` with
    :math:`T = \lceil c/(\eta\lambda)\rceil` (Theorem 1: :math:`T = \tilde\Theta(1/(\eta\lambda))`,
    ``c`` = ``c_steps``), against the ridge head; also that the first step with
    :math:`\lambda_1 = 1/\eta_1` leaves nothing of :math:`W^{(0)}`.

    Returns
    -------
    dict of numbers.
    """
    rng = np.random.default_rng(seed)
    tgt = fl.make_target(d, r, p, random_state=rng)
    X = fl.sample_inputs(n, d, random_state=rng)
    y = tgt(X)
    fit_seed = int(rng.integers(2**31))
    ri = fl.algorithm1(X, y, m=m, ridge=lam, head="ridge", random_state=fit_seed)
    Phi = fl.features(X, ri.W, ri.b)
    yr = y - ri.alpha - X @ ri.beta
    lp = 0.5 * n * lam
    a_closed = np.linalg.solve(Phi.T @ Phi + lp * np.eye(m), Phi.T @ yr)
    a_lsq = np.linalg.lstsq(np.vstack([Phi, math.sqrt(lp) * np.eye(m)]),
                            np.concatenate([yr, np.zeros(m)]), rcond=None)[0]
    L = 2.0 / n * float(np.linalg.eigvalsh(Phi.T @ Phi)[-1]) * 1.05 + lam
    eta = 1.0 / L
    T = int(math.ceil(c_steps / (eta * lam)))
    gd = fl.algorithm1(X, y, m=m, ridge=lam, head="gd", n_steps=T, eta=eta,
                       random_state=fit_seed)
    G = fl.loss_gradient_W(X, yr, ri.a0, ri.W0, np.zeros(m))
    w0_left = float(np.linalg.norm(ri.W + ri.eta1 * G) / np.linalg.norm(ri.W0))
    nrm = float(np.linalg.norm(a_closed))
    return {"closed_vs_lstsq": float(np.linalg.norm(a_closed - a_lsq)) / nrm,
            "closed_vs_head": float(np.linalg.norm(a_closed - ri.a)) / nrm,
            "gd_vs_ridge": float(np.linalg.norm(gd.a - ri.a)) / nrm, "T": T,
            "eta_lambda": eta * lam, "w0_left_after_step": w0_left,
            "gd_norm_over_ridge_norm": float(np.linalg.norm(gd.a)) / nrm,
            "n": n, "m": m, "d": d, "lam": lam}


def nonsymmetric_init_check(*, d=16, r=2, p=3, n=16000, m=512, scales=(0.05, 0.1, 1.0),
                            n_test=2000, ridges=(1e-4, 1e-3, 1e-2), seed=0):
    r"""Algorithm 1 from a small random, non-symmetric initialisation against the symmetric one.

    The same data (:func:`~kernelnet.feature_learning.make_target`, :math:`d, r, p`, ``n``
    samples) and the same network seed; the initialisation is either symmetric
    (:math:`f_{\theta_0} = 0`) or :func:`~kernelnet.feature_learning.small_random_init` with
    scale :math:`c/\sqrt m` for each :math:`c` in ``scales`` (output at initialisation of RMS
    about :math:`0.87c` here, against :math:`\mathrm{Var}f^\star = 1`). Best ridge from
    ``ridges`` on the test set, error = test MSE / Var f*.

    Returns
    -------
    DataFrame with columns init, c, f0_rms, error.
    """
    m = check_int(m, "m", minimum=2)
    rng = np.random.default_rng(seed)
    tgt = fl.make_target(d, r, p, random_state=rng)
    X = fl.sample_inputs(n, d, random_state=rng)
    y = tgt(X)
    Xt = fl.sample_inputs(n_test, d, random_state=rng)
    yt = tgt(Xt)
    fit_seed = int(rng.integers(2**31))
    rows = []
    for c in (None, *scales):
        scale = None if c is None else float(c) / math.sqrt(m)
        fits = fl.algorithm1_ridge_path(X, y, m=m, ridges=ridges, init_scale=scale,
                                        random_state=fit_seed)
        err = min(float(np.mean((pr - yt) ** 2)) for pr in fl.predict_path(fits, Xt))
        f0 = 0.0
        if scale is not None:
            a0, W0 = fits[0].a0, fits[0].W0
            f0 = float(np.sqrt(np.mean(fl.network_output(Xt, a0, W0, np.zeros(m)) ** 2)))
        rows.append({"init": "symmetric" if c is None else "small random", "c": c,
                     "f0_rms": f0, "error": err / tgt.variance})
    return pd.DataFrame(rows)


def smooth_target(s, *, n_terms=256, random_state=None):
    r"""A 2-periodic target on :math:`[-1, 1]` of smoothness about ``s``.

    .. math::

        f_s(x) = \sum_{k=1}^{K} c_k\cos(\pi k (x + 1) + \phi_k),\qquad
        c_k \propto k^{-(s + 1/2)},\ \phi_k \sim U[0, 2\pi),

    normalised to variance 1 (:math:`\sum_k c_k^2/2 = 1`): in the Sobolev space :math:`H^{s'}`
    of the circle for every :math:`s' < s` (``s`` = 0.5 is as rough as a step, 1.5 as a kink).
    Returns a callable ``f(x)`` on 1-D arrays.
    """
    s = check_positive(s, "s")
    n_terms = check_int(n_terms, "n_terms", minimum=1)
    rng = as_rng(random_state)
    k = np.arange(1, n_terms + 1)
    c = k ** -(s + 0.5)
    c = c / math.sqrt(np.sum(c**2) / 2.0)
    phase = rng.uniform(0, 2 * np.pi, n_terms)

    def f(x):
        return np.cos(np.pi * np.outer(np.asarray(x, dtype=float) + 1.0, k) + phase) @ c

    return f


def _krr_tuned(X, y, Xt, yt, bandwidths, ridges):
    """Gaussian KRR with bandwidth (multiples of the median heuristic) and ridge chosen on the
    test set (as :func:`curse_of_dimensionality`); the best test MSE."""
    s0 = median_heuristic(X[: min(len(X), 500)])
    best = np.inf
    for factor in bandwidths:
        K = gaussian_kernel(X, sigma=s0 * factor)
        Kt = gaussian_kernel(Xt, X, sigma=s0 * factor)
        best = min(best, _krr_oracle(K, Kt, y, yt, ridges)[0])
    return best


def _rf_tuned(X, y, Xt, yt, m, ridges, seed):
    """The two-layer ReLU network with a random first layer and a ridge head
    (:func:`~kernelnet.feature_learning.random_features_ridge_path`) on inputs centred and
    divided by one common scale (unit mean square per coordinate), best ridge on the test set."""
    mu = X.mean(axis=0)
    scale = math.sqrt(float(np.mean((X - mu) ** 2)))  # one isotropic scale: the geometry stays
    fits = fl.random_features_ridge_path((X - mu) / scale, y, m=m, ridges=ridges,
                                         random_state=seed)
    return min(float(np.mean((pr - yt) ** 2))
               for pr in fl.predict_path(fits, (Xt - mu) / scale))


def adaptivity_smoothness(*, ss=(0.5, 1.5, 2.5), ns=(32, 64, 128, 256, 512, 1024), m=512,
                          n_test=2000, bandwidths=(0.03125, 0.0625, 0.125, 0.25, 0.5, 1.0),
                          ridges=(1e-8, 1e-6, 1e-4, 1e-2), seed=0):
    r"""Test error against :math:`n` on 1-D targets of increasing smoothness, for a kernel and a network.

    Targets :func:`smooth_target` (``ss``), :math:`x \sim U[-1, 1]`, noiseless labels. Methods:
    Gaussian kernel ridge regression with bandwidth and ridge chosen on the test set (as in
    :func:`curse_of_dimensionality`), and a two-layer ReLU network of width ``m`` with a random
    first layer and a ridge head (best ridge on the test set). A method adapts to smoothness
    when its error falls faster in :math:`n` on smoother targets without being told the
    smoothness (seed 004, slide "Smoothness": "Both KMs and NNs are adaptive").

    Returns
    -------
    DataFrame with columns method, s, n, error (test MSE / Var).
    """
    rng = np.random.default_rng(seed)
    rows = []
    for s in ss:
        f = smooth_target(s, random_state=rng)
        xt = rng.uniform(-1, 1, n_test)
        yt = f(xt)
        v = float(np.var(yt))
        for n in ns:
            x = rng.uniform(-1, 1, int(n))
            y = f(x)
            ek = _krr_tuned(x[:, None], y, xt[:, None], yt, bandwidths, ridges)
            en = _rf_tuned(x[:, None], y, xt[:, None], yt, m, ridges, int(rng.integers(2**31)))
            rows.append({"method": "kernel", "s": float(s), "n": int(n), "error": ek / v})
            rows.append({"method": "network", "s": float(s), "n": int(n), "error": en / v})
    return pd.DataFrame(rows)


def _graph_manifold(z, ambient, Q, B, phase):
    r"""A curved ``k``-dimensional manifold in :math:`\mathbb R^{ambient}`: the graph
    :math:`z \mapsto (z, h(z))`, :math:`h_i(z) = \tfrac14\sin(2\pi b_i\cdot z + \phi_i)`,
    rotated by ``Q`` (orthonormal)."""
    return np.concatenate([z, 0.25 * np.sin(2 * np.pi * z @ B.T + phase)], axis=1) @ Q.T


def adaptivity_support(*, k=2, ambient=8, ns=(32, 128, 512), m=512, n_test=2000,
                       bandwidths=(0.0625, 0.125, 0.25, 0.5, 1.0, 2.0),
                       ridges=(1e-6, 1e-4, 1e-2, 1.0), seed=0):
    r"""Kernel and network on data on a curved ``k``-dimensional manifold in :math:`\mathbb R^{ambient}`.

    The target of :func:`curse_of_dimensionality` in ``k`` dimensions (:func:`fourier_target`
    of :math:`z \sim U[0, 1]^k`) observed at :math:`x = Q(z, h(z))`, a graph over
    :math:`[0, 1]^k` bent by :math:`h_i(z) = \frac14\sin(2\pi b_i\cdot z + \phi_i)`
    (:math:`b_i \in \{0, 1, 2\}^k` random, not all zero; :math:`Q` a random rotation of
    :math:`\mathbb R^{ambient}`), and, for comparison, the target in ``ambient`` dimensions on
    :math:`U[0,1]^{ambient}` (full support). Methods as in :func:`adaptivity_smoothness`
    (Gaussian KRR, bandwidth and ridge tuned on the test set; random-first-layer ReLU network of
    width ``m`` with a ridge head). Seed 004, slide "Low Dimensional Support": "Both KMs and NNs
    are adaptive".

    Returns
    -------
    DataFrame with columns method, support ("manifold" or "full"), n, error (test MSE / Var).
    """
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((ambient, ambient)))
    B = rng.integers(0, 3, size=(ambient - k, k))
    B[~B.any(axis=1), 0] = 1
    phase = rng.uniform(0, 2 * np.pi, ambient - k)
    rows = []
    for support in ("manifold", "full"):
        kk = k if support == "manifold" else ambient
        f = fourier_target(kk, random_state=rng)

        def draw(n, kk=kk, support=support):
            z = rng.uniform(size=(n, kk))
            return (_graph_manifold(z, ambient, Q, B, phase) if support == "manifold"
                    else z), f(z)

        Xt, yt = draw(n_test)
        v = float(np.var(yt))
        for n in ns:
            X, y = draw(int(n))
            ek = _krr_tuned(X, y, Xt, yt, bandwidths, ridges)
            en = _rf_tuned(X, y, Xt, yt, m, ridges, int(rng.integers(2**31)))
            rows.append({"method": "kernel", "support": support, "n": int(n), "error": ek / v})
            rows.append({"method": "network", "support": support, "n": int(n),
                         "error": en / v})
    return pd.DataFrame(rows)
