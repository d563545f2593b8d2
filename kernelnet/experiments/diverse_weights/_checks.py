"""The remaining claims: the gradient and prediction dynamics checked two ways, random
initialisations across widths, s_m(D)^2 against m, and the perturbation certificate."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from kernelnet import twolayer as tl
from kernelnet._threads import limit_threads
from kernelnet._validation import (
    as_matrix,
    check_bool,
    check_int,
    check_nonnegative,
    check_positive,
)
from kernelnet.parallel import map_units

from ._common import _seed, _size, _slope
from ._discrepancy import _lr, teacher_data


# ---------------------------------------------------------------------------------------------
# the remaining claims: gradient, prediction dynamics, Weyl split, random initialisations
# ---------------------------------------------------------------------------------------------

#: Relative step of the explicit gradient step in :func:`gradient_and_dynamics_checks`: each
#: unit moves by about 1e-6 of the weights' norm. f is exactly linear in W while no activation
#: pattern flips, so the difference quotient equals -D^T D r up to rounding, ~eps ||f|| / step
#: ~ 1e-10 relative.
STEP_REL = 1e-6
#: Central-difference step for the gradient of the loss. The loss is piecewise quadratic in W,
#: so central differences are exact up to rounding (~eps L / h ~ 1e-10 relative) unless a step
#: crosses an activation kink (probability ~ m n h, a few in a thousand here).
FD_STEP = 1e-6
#: Tolerance on the relative errors of identities checked to rounding: the gradient four ways,
#: the explicit step against D^T D r, and D^T D = n G_n. Rounding leaves ~1e-10 (see above);
#: a wrong formula (a missing 1/m, a transposed D, a wrong sign) leaves O(1).
IDENTITY_RTOL = 1e-6


#: Input dimension of the formula checks (small, so that the dense D and the finite differences
#: over every weight stay cheap).
CHECK_D = 5


def gradient_and_dynamics_checks(*, seed=0, m=60, n=40, d=CHECK_D, k_teacher=10, n_steps=400,
                                 reg=3.0):
    r"""The talk's formulas computed two ways, on random and on trained weights.

    Data: :func:`teacher_data` (a random ReLU teacher), a student of width n with
    :math:`w_k(0) \sim N(0, I/n)`. Three weight sets: the start (``"random"``), after
    ``n_steps`` of gradient descent (``"trained"``, :func:`kernelnet.twolayer.train_gd`) and
    after as many steps with the diversity regulariser of weight ``reg``
    (``"trained-reg"``). For each:

    - **Gradient** (slide "Structure of the gradient"): :math:`\partial L/\partial W = Dr`
      from :func:`kernelnet.twolayer.loss_gradient` (BLAS route), from the dense
      :func:`~kernelnet.twolayer.extended_feature_matrix` times r, from the fused numba kernel,
      and by central differences of :func:`~kernelnet.twolayer.loss` over every coordinate;
      plus :func:`kernelnet.checks.derivative_check` of the loss along a random direction.
    - **Prediction dynamics** (slide "Continuous time analysis"): the change of f in one small
      explicit gradient step :math:`W \to W - \eta Dr` over :math:`\eta`, against
      :math:`\mp D^\top D r` (``d_rmatvec`` of the gradient), and
      :math:`D^\top D = nG_n` (dense D against :func:`~kernelnet.twolayer.empirical_gram`).
    - **Weyl split** (slide "Bounding the error"): :math:`\lambda_m(G_n)` (from
      ``empirical_gram`` and from the dense :math:`D^\top D/n`), :math:`\lambda_m(G)` from the
      closed form :func:`~kernelnet.twolayer.relu_gram` and :math:`\lVert G - G_n\rVert_2`.

    Returns
    -------
    DataFrame
        One row per weight set: ``kind``, ``grad_rel_dense``, ``grad_rel_numba``,
        ``grad_rel_fd`` (relative errors against the library gradient), ``grad_order``,
        ``grad_check_passed``, ``dyn_rel_minus`` (:math:`\lVert \Delta f/\eta + D^\top D r\rVert
        / \lVert D^\top D r\rVert`), ``dyn_rel_plus`` (the same with the talk's sign),
        ``gram_identity`` (:math:`\lVert D^\top D - nG_n\rVert_F / \lVert nG_n\rVert_F`),
        ``lam_Gn``, ``lam_Gn_dense``, ``lam_G``, ``op_diff``, ``weyl_lb``
        (:math:`\lambda_m(G) - \lVert G - G_n\rVert`), ``slack`` (``lam_Gn - weyl_lb``),
        ``loss``, ``L2``, ``R``.
    """
    from kernelnet.checks import derivative_check

    rng = np.random.default_rng(_seed(seed))
    m = check_int(m, "m", minimum=2)
    n = check_int(n, "n", minimum=2)
    d = check_int(d, "d", minimum=2)
    if n * d < m:
        raise ValueError(f"n * d = {n * d} < m = {m}: D has rank < m")
    n_steps = check_int(n_steps, "n_steps", minimum=1)
    reg = check_positive(reg, "reg")
    rows = []
    with limit_threads(1):
        X, y, _, _ = teacher_data(m, 2, d, k_teacher, random_state=rng)
        W0, v = tl.init_weights(n, d, scale=1.0 / math.sqrt(n), random_state=rng)
        lr = _lr(W0, X)
        sets = {"random": W0,
                "trained": tl.train_gd(X, y, W0, v, lr=lr, n_steps=n_steps,
                                       record_every=n_steps).W,
                "trained-reg": tl.train_gd_final(X, y, W0, v, lr=lr, n_steps=n_steps, reg=reg)}
        G = tl.relu_gram(X)
        lam_G = float(np.linalg.eigvalsh(G)[0])
        for kind, W in sets.items():
            g = tl.loss_gradient(W, v, X, y, method="numpy")
            gn = float(np.linalg.norm(g))
            r = tl.residual(W, v, X, y)
            D = tl.extended_feature_matrix(W, v, X)
            g_dense = (D @ r).reshape(W.shape)
            g_numba = tl.loss_gradient(W, v, X, y, method="numba")
            g_fd = np.empty_like(W)
            for idx in np.ndindex(*W.shape):
                Wp, Wm = W.copy(), W.copy()
                Wp[idx] += FD_STEP
                Wm[idx] -= FD_STEP
                g_fd[idx] = (tl.loss(Wp, v, X, y) - tl.loss(Wm, v, X, y)) / (2 * FD_STEP)
            dc = derivative_check(lambda Z: tl.loss(Z, v, X, y),
                                  lambda Z, V: float(np.sum(tl.loss_gradient(Z, v, X, y) * V)),
                                  W, h0=0.1 * float(np.linalg.norm(W)), random_state=rng)
            # prediction dynamics: one explicit step W -> W - eta D r
            DtDr = tl.d_rmatvec(W, v, X, g)  # D^T (D r)
            eta = STEP_REL * float(np.linalg.norm(W)) / gn
            df = (tl.forward(W - eta * g, v, X) - tl.forward(W, v, X)) / eta
            scale = float(np.linalg.norm(DtDr))
            Gn = tl.empirical_gram(W, X)
            DtD = D.T @ D
            lam_Gn = float(np.linalg.eigvalsh(Gn)[0])
            op = float(np.linalg.norm(G - Gn, 2))
            rows.append(dict(
                kind=kind,
                grad_rel_dense=float(np.linalg.norm(g_dense - g)) / gn,
                grad_rel_numba=float(np.linalg.norm(g_numba - g)) / gn,
                grad_rel_fd=float(np.linalg.norm(g_fd - g)) / gn,
                grad_order=float(dc.order1), grad_check_passed=bool(dc.passed),
                dyn_rel_minus=float(np.linalg.norm(df + DtDr)) / scale,
                dyn_rel_plus=float(np.linalg.norm(df - DtDr)) / scale,
                gram_identity=float(np.linalg.norm(DtD - n * Gn) / np.linalg.norm(n * Gn)),
                lam_Gn=lam_Gn, lam_Gn_dense=float(np.linalg.eigvalsh(DtD / n)[0]),
                lam_G=lam_G, op_diff=op, weyl_lb=lam_G - op, slack=lam_Gn - (lam_G - op),
                loss=tl.loss(W, v, X, y), L2=tl.weight_discrepancy(W),
                R=tl.diversity_regulariser(W)))
    return pd.DataFrame(rows)


def _init_unit(unit, seed):
    """One (width, draw) of :func:`random_init_sweep` (module level, for the workers)."""
    n, draw, p = unit
    rng = np.random.default_rng(seed)
    X, G, lam_G, d, m = p["X"], p["G"], p["lam_G"], p["d"], p["m"]
    with limit_threads(1):
        W = rng.standard_normal((int(n), d))
        Gn = tl.empirical_gram(W, X)
        lam_Gn = float(np.linalg.eigvalsh(Gn)[0])
        s2 = tl.min_singular_value_D(W, X) ** 2
        op = float(np.linalg.norm(G - Gn, 2))
        L2 = tl.weight_discrepancy(W)
    return dict(n=int(n), draw=draw, L2=L2, L2_req=(n * d) ** -0.25, lam_Gn=lam_Gn, s2=s2,
                first_term=0.5 * n * m * p["gamma_m"], lam_G=lam_G, op_diff=op,
                weyl_lb=lam_G - op, slack=lam_Gn - (lam_G - op),
                bound_factor=m / (2.0 * s2) if s2 > 0 else float("inf"))


def random_init_sweep(*, quick=False, seed=0, m=None, d=10, widths=None, draws=None,
                      n_jobs=None, backend=None, scheduler=None):
    r"""Random initialisations :math:`w_k \sim N(0, I)` across widths n, on one set of m
    uniform points in d dimensions: are they "nice" (seed 003, "Final error bound", "Recap")?

    Per (n, draw): the weight discrepancy :math:`L_2(W)` and the talk's requirement
    :math:`(nd)^{-1/4}`; :math:`s_m(D)^2` (:func:`kernelnet.twolayer.min_singular_value_D`,
    from :math:`n\lambda_m(G_n)`) against the bound's first term :math:`nm\gamma_m/2`; the
    terms of the Weyl split :math:`\lambda_m(G_n) \ge \lambda_m(G) - \lVert G - G_n\rVert`;
    and the factor :math:`m/(2 s_m(D)^2)` of the final bound
    :math:`\frac{1}{2m}\sum_l (f(x_l) - y_l)^2 \le \frac{m}{2 s_m(D)^2}\lVert\partial L/
    \partial W\rVert^2` (the key inequality squared, times m/2).

    The (width, draw) units run through :func:`kernelnet.parallel.map_units`, each with its
    own ``(seed, index)`` stream; X is drawn once from ``default_rng(seed)``.

    Returns
    -------
    table : DataFrame
        ``n``, ``draw``, ``L2``, ``L2_req``, ``lam_Gn``, ``s2``, ``first_term``, ``lam_G``,
        ``op_diff``, ``weyl_lb``, ``slack``, ``bound_factor``.
    info : dict
        ``m``, ``d``, ``gamma_m``, ``d_gamma`` (:math:`d\gamma_m`, the talk's regime needs it
        of order 1), ``lam_G``, ``factor_slope`` (log-log slope of the median ``bound_factor``
        against n).
    """
    quick = check_bool(quick, "quick")
    seed = _seed(seed)
    rng = np.random.default_rng(seed)
    m = check_int(_size("init_m", quick, m), "m", minimum=2)
    d = check_int(d, "d", minimum=2)
    widths = [check_int(int(n), "widths", minimum=2) for n in _size("init_widths", quick, widths)]
    if min(widths) * d < m:
        raise ValueError(f"widths: n * d must be >= m = {m} (s_m(D) = 0 otherwise)")
    draws = check_int(_size("init_draws", quick, draws), "draws", minimum=1)
    X = tl.sample_sphere(m, d, random_state=rng)
    G = tl.relu_gram(X)
    lam_G = float(np.linalg.eigvalsh(G)[0])
    gamma_m = float(tl.gamma_sequence(d, m)[-1])
    p = dict(X=X, G=G, lam_G=lam_G, d=d, m=m, gamma_m=gamma_m)
    rows = map_units(_init_unit, [(n, r, p) for n in widths for r in range(draws)], seed=seed,
                     n_jobs=n_jobs, backend=backend, scheduler=scheduler,
                     desc="random initialisations")
    df = pd.DataFrame(rows)
    med = df.groupby("n").bound_factor.median()
    return df, {"m": m, "d": d, "gamma_m": gamma_m, "d_gamma": d * gamma_m, "lam_G": lam_G,
                "factor_slope": _slope(med.index.to_numpy(), med.to_numpy())}


def _omega_unit(unit, seed):
    """One (d, draw) of :func:`omega_m_sweep` (module level, for the workers)."""
    d, draw = unit
    rng = np.random.default_rng(seed)
    m = d + 1
    gamma_m = float(tl.gamma_sequence(d, m)[-1])
    n = int(math.ceil(math.log(m) / gamma_m))
    with limit_threads(1):
        X = tl.sample_sphere(m, d, random_state=rng)
        W = rng.standard_normal((n, d))
        s2 = tl.min_singular_value_D(W, X) ** 2
        L2 = tl.weight_discrepancy(W)
    return dict(d=d, m=m, n=n, draw=draw, gamma_m=gamma_m, d_gamma=d * gamma_m, s2=s2,
                s2_over_m=s2 / m, L2=L2, L2_scaled=L2 * (n * d) ** 0.25)


def omega_m_sweep(*, quick=False, seed=0, dims=None, draws=None, n_jobs=None, backend=None,
                  scheduler=None):
    r"""The talk's simplified result :math:`s_m(D)^2 \ge \Omega(m)` inside its regime.

    The regime (seed 003, "A simplified result"): :math:`n, d = \tilde\Omega(1/\gamma_m)` and
    :math:`L_2(W) = \tilde O((nd)^{-1/4})`. Since :math:`\gamma_1 = 1/(4d)`,
    :math:`d\gamma_m` is of order 1 only in the first two multiplicity blocks, so for each d we
    take the largest such m, m = d + 1, and :math:`n = \lceil \log(m)/\gamma_m\rceil` (one
    logarithm for the tilde), with random weights (whose :math:`L_2` is of order
    :math:`n^{-1/2}`). "Omega(m)" hides a constant: the check is that :math:`s_m(D)^2/m` does
    not fall as m = d + 1 grows.

    Returns
    -------
    DataFrame
        ``d``, ``m``, ``n``, ``draw``, ``gamma_m``, ``d_gamma``, ``s2``, ``s2_over_m``, ``L2``,
        ``L2_scaled`` (:math:`L_2 (nd)^{1/4}`, at most of order 1 in the regime).
    """
    quick = check_bool(quick, "quick")
    seed = _seed(seed)
    dims = [check_int(int(v), "dims", minimum=3) for v in _size("omega_dims", quick, dims)]
    draws = check_int(_size("init_draws", quick, draws), "draws", minimum=1)
    rows = map_units(_omega_unit, [(d, r) for d in dims for r in range(draws)], seed=seed,
                     n_jobs=n_jobs, backend=backend, scheduler=scheduler,
                     desc="s_m(D)^2 in the talk's regime")
    return pd.DataFrame(rows)


#: Values of c tried in Du et al.'s perturbation radius R = c lambda_0 / m^2 (the talk leaves c
#: open): a factor of about 3 between neighbours.
CERT_CS = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)


def perturbation_certificate(W0, X, R):
    r"""A lower bound on :math:`\lambda_{\min}(G_n(W))` valid for **every** W whose units each
    moved by at most R from ``W0`` (seed 003, "Self-consistent argument", matrix perturbation).

    Unit r can change its activation on :math:`x_i` only if :math:`|w_r(0)^\top x_i| \le R`
    (:math:`\lVert x_i\rVert = 1`); call that set :math:`A_i`. The entry
    :math:`(G_n)_{ij} = \frac1n\sum_r \mathbb 1_{ri}\mathbb 1_{rj}\langle x_i, x_j\rangle`
    then changes by at most :math:`E_{ij} = |\langle x_i, x_j\rangle|\,|A_i \cup A_j|/n`, so
    :math:`\lVert G_n(W) - G_n(W_0)\rVert_2 \le \lVert E\rVert_2` (a matrix dominated entrywise
    in absolute value by a non-negative one has no larger spectral norm) and

    .. math:: \lambda_{\min}(G_n(W)) \ge \lambda_{\min}(G_n(W_0)) - \lVert E\rVert_2 .

    In Du et al.'s normalisation :math:`G_n = H`, the talk's :math:`nG_n` for the unscaled
    network.

    Returns
    -------
    float
    """
    X = tl._unit_rows(X)
    W0 = as_matrix(W0, "W0")
    if W0.shape[1] != X.shape[1]:
        raise ValueError(f"W0 must have {X.shape[1]} columns, got {W0.shape[1]}")
    R = check_nonnegative(R, "R")
    n = W0.shape[0]
    A = (np.abs(X @ W0.T) <= R).astype(np.float64)  # (m, n)
    cnt = A.sum(axis=1)
    union = cnt[:, None] + cnt[None, :] - A @ A.T
    E = np.abs(X @ X.T) * union / n
    lam0 = float(np.linalg.eigvalsh(tl.empirical_gram(W0, X))[0])
    return lam0 - float(np.linalg.norm(E, 2))
