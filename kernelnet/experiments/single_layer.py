r"""Chapter 4: single-layer neural networks (seed ``001_08710a6a2880a4ce.txt``).

Every function returns data (DataFrames, arrays, dataclasses); the notebook
``04_single_layer_networks`` draws them. Sizes default to the seed's. The chapter contract:
:data:`PARAMETERS` (quick and full sizes) and :func:`run`, returning
:class:`SingleLayerChapter` with the findings; the verdict functions (``*_verdict``) turn numbers
into verdicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.optimize

from .._validation import as_matrix, as_rng, check_choice, check_int, check_positive
from ..checks import adjoint_test, derivative_check
from ..claims import Finding, Parameter, resolve_parameters
from ..parallel import map_units
from ..single_layer import (
    HESSIAN_KINDS,
    SingleLayerProblem,
    cross_entropy,
    dense_hessian,
    gauss_newton,
    gradient_descent,
    inverse_crime_data,
    lbfgs,
    pack,
    random_features,
    single_layer,
    softmax_shift_basis,
)
from ._prose import formatted, joined, pow10

__all__ = [
    "rank_vs_width",
    "peaks",
    "peaks_data",
    "peaks_random_features",
    "jacobian_checks",
    "loss_landscape",
    "InverseCrime",
    "inverse_crime",
    "recovery_errors",
    "recovery_vs_n",
    "Adversarial",
    "adversarial_example",
    "identifiability",
    "curvature_vs_distance",
    "optimiser_budgets",
    "block_gn_variants",
    "rank_verdict",
    "random_features_verdict",
    "checks_verdict",
    "nonconvexity_verdict",
    "gn_speed_verdict",
    "is_identified",
    "inverse_crime_verdict",
    "second_term_verdict",
    "coupling_verdict",
    "indefinite_verdict",
    "adversarial_verdict",
    "PARAMETERS",
    "LECTURE_SIZES",
    "SingleLayerChapter",
    "run",
    "prose",
]


# --------------------------------------------------------------------------------------------
# Linear fit vs nonlinear model: ranks
# --------------------------------------------------------------------------------------------
def rank_vs_width(widths, *, n: int = 200, n_f: int = 5,
                  activations=("identity", "tanh", "relu"), random_state=0,
                  n_jobs=None, backend=None, scheduler=None) -> pd.DataFrame:
    r"""Numerical rank of :math:`Y` and of :math:`\sigma(KY + b)` as the width :math:`m` grows.

    .. math::

       \operatorname{rank}(\sigma(KY + b)) \le \min(m, n), \qquad
       \operatorname{rank}(KY + b\mathbf{1}^\top) \le n_f + 1 \;\; (\sigma = \mathrm{id}).

    With the identity the features stay in an :math:`(n_f+1)`-dimensional space whatever
    :math:`m`; tanh and ReLU reach :math:`\min(m, n)` (seed 001, slides "Illustrating Nonlinear
    Models" and "Conjecture: Universal Approximation Properties"). Ranks use
    ``numpy.linalg.matrix_rank`` (singular values above :math:`\sigma_{\max}\max(m,n)\epsilon`).
    :math:`Y, K, b` are standard normal, one bias per unit.

    The widths are independent units run through :func:`kernelnet.parallel.map_units`
    (``n_jobs``: local workers; ``backend``: ``"sequential"``, ``"loky"``, ``"threading"`` or
    ``"dask"``; ``scheduler``: Dask address). :math:`Y`, shared by all widths, comes from
    ``default_rng([random_state, 0])``; each width draws its :math:`K, b` from its own unit
    seed, so the table is identical serially, with ``n_jobs=2`` or on Dask.
    """
    n = check_int(n, "n", minimum=1)
    n_f = check_int(n_f, "n_f", minimum=1)
    seed = check_int(random_state, "random_state", minimum=0)
    widths = [check_int(m, "widths", minimum=1) for m in widths]
    params = dict(n=n, n_f=n_f, activations=tuple(activations), seed=seed)
    parts = map_units(_rank_unit, [(m, params) for m in widths], seed=seed, n_jobs=n_jobs,
                      backend=backend, scheduler=scheduler, desc="rank_vs_width")
    return pd.DataFrame([row for part in parts for row in part])


def _rank_unit(unit, unit_seed):
    """Rows of :func:`rank_vs_width` for one width (module level for map_units)."""
    m, p = unit
    Y = np.random.default_rng([p["seed"], 0]).standard_normal((p["n_f"], p["n"]))
    rank_Y = int(np.linalg.matrix_rank(Y))
    rng = np.random.default_rng(unit_seed)
    K = rng.standard_normal((m, p["n_f"]))
    b = rng.standard_normal(m)
    rows = []
    for act in p["activations"]:
        Z = single_layer(K, b, Y, act).Z
        rows.append({"m": m, "activation": act, "rank_Y": rank_Y,
                     "rank_Z": int(np.linalg.matrix_rank(Z)), "max_rank": min(m, p["n"])})
    return rows


# --------------------------------------------------------------------------------------------
# Random features on MATLAB's peaks
# --------------------------------------------------------------------------------------------
def peaks(x, y):
    r"""MATLAB's ``peaks`` surface.

    .. math::

       z = 3(1-x)^2 e^{-x^2-(y+1)^2} - 10\Big(\frac{x}{5} - x^3 - y^5\Big) e^{-x^2-y^2}
           - \frac13 e^{-(x+1)^2-y^2}

    (the test function of the seed's ``EELM_Peaks.m``, slide "First Experiment: Random
    Transformation").
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    return (3 * (1 - x) ** 2 * np.exp(-x**2 - (y + 1) ** 2)
            - 10 * (x / 5 - x**3 - y**5) * np.exp(-x**2 - y**2)
            - np.exp(-(x + 1) ** 2 - y**2) / 3)


def peaks_data(n: int, *, noise: float = 0.0, random_state=None):
    """``n`` points uniform on :math:`[-3, 3]^2` as a (2, n) array and their peaks values (n,)."""
    n = check_int(n, "n", minimum=1)
    rng = as_rng(random_state)
    Y = rng.uniform(-3, 3, (2, n))
    z = peaks(Y[0], Y[1]) + noise * rng.standard_normal(n)
    return Y, z


def peaks_random_features(widths, *, n_train: int = 400, n_val: int = 2000, reg: float = 1e-10,
                          activation: str = "tanh", noise: float = 0.0, scale: float = 1.0,
                          random_state=0, n_jobs=None, backend=None,
                          scheduler=None) -> pd.DataFrame:
    r"""Training and validation error of random features on ``peaks`` as the width grows.

    For each :math:`m`: random :math:`K, b`, :math:`W` by regularised least squares
    (:func:`kernelnet.single_layer.random_features`), relative errors
    :math:`\|W\sigma(KY+b) - z\| / \|z\|` on the training and on fresh validation points. The
    training error falls to the interpolation level once :math:`m \ge n`; the validation error
    shows whether that generalises (seed 001, "First Experiment: Random Transformation":
    *may require very large K*, *may not generalize well*).

    The widths are independent units run through :func:`kernelnet.parallel.map_units`
    (``n_jobs``: local workers; ``backend``: ``"sequential"``, ``"loky"``, ``"threading"`` or
    ``"dask"``; ``scheduler``: Dask address). The training and validation points, shared by
    all widths, come from ``default_rng([random_state, 0])``; each width draws its features
    from its own unit seed, so the table is identical serially, with ``n_jobs=2`` or on Dask.
    """
    n_train = check_int(n_train, "n_train", minimum=1)
    n_val = check_int(n_val, "n_val", minimum=1)
    seed = check_int(random_state, "random_state", minimum=0)
    widths = [check_int(m, "widths", minimum=1) for m in widths]
    params = dict(n_train=n_train, n_val=n_val, reg=reg, activation=activation, noise=noise,
                  scale=scale, seed=seed)
    rows = map_units(_peaks_unit, [(m, params) for m in widths], seed=seed, n_jobs=n_jobs,
                     backend=backend, scheduler=scheduler, desc="peaks_random_features")
    return pd.DataFrame(rows)


def _peaks_unit(unit, unit_seed):
    """One row of :func:`peaks_random_features` (module level for map_units)."""
    m, p = unit
    data = np.random.default_rng([p["seed"], 0])
    Yt, zt = peaks_data(p["n_train"], noise=p["noise"], random_state=data)
    Yv, zv = peaks_data(p["n_val"], random_state=data)
    rf = random_features(Yt, zt, m, activation=p["activation"], reg=p["reg"], scale=p["scale"],
                         random_state=np.random.default_rng(unit_seed))
    et = float(np.linalg.norm(rf.predict(Yt)[0] - zt) / np.linalg.norm(zt))
    ev = float(np.linalg.norm(rf.predict(Yv)[0] - zv) / np.linalg.norm(zv))
    return {"m": m, "m_over_n": m / p["n_train"], "train_rel_error": et, "val_rel_error": ev}


def peaks_surface(m: int, *, n_train: int = 400, grid: int = 60, reg: float = 1e-10,
                  activation: str = "tanh", random_state=0):
    """The random-features fit of width ``m`` on a ``grid x grid`` mesh, with the truth."""
    grid = check_int(grid, "grid", minimum=2)
    rng = as_rng(random_state)
    Yt, zt = peaks_data(n_train, random_state=rng)
    rf = random_features(Yt, zt, m, activation=activation, reg=reg, random_state=rng)
    g = np.linspace(-3, 3, grid)
    X1, X2 = np.meshgrid(g, g)
    pred = rf.predict(np.vstack([X1.ravel(), X2.ravel()]))[0].reshape(grid, grid)
    return dict(x=X1, y=X2, truth=peaks(X1, X2), fit=pred, train=Yt)


# --------------------------------------------------------------------------------------------
# Derivative checks and adjoint tests of the six operators
# --------------------------------------------------------------------------------------------
def jacobian_checks(*, m: int = 8, n_f: int = 5, n: int = 12, activations=("tanh", "relu"),
                    n_steps: int = 16, random_state=0):
    r"""Derivative checks of :math:`J_K, J_b, J_Y` and adjoint tests of their transposes.

    Runs :func:`kernelnet.checks.derivative_check` on :math:`\mathrm{vec}(Z)` as a function of
    :math:`\mathrm{vec}(K)`, :math:`b` (a vector) and :math:`\mathrm{vec}(Y)`, the same check on
    the loss :math:`E(x)` with its chain-rule gradient, and
    :func:`kernelnet.checks.adjoint_test` on each pair (seed 001, "Class Problems", *Testing*).

    Returns
    -------
    dict
        ``"derivative"``: DataFrame with one row per (activation, wrt, step) holding ``h``,
        ``E0``, ``E1``; ``"derivative_summary"``: orders and verdicts; ``"adjoint"``: DataFrame of
        the adjoint tests.
    """
    rng = as_rng(random_state)
    K = rng.standard_normal((m, n_f)) / np.sqrt(n_f)
    Y = rng.standard_normal((n_f, n))
    b = 0.1 * rng.standard_normal(m)

    def vecF(M):
        return np.asarray(M).ravel(order="F")

    rows, summary, adj = [], [], []
    for act in activations:
        cases = {
            "K": (lambda k: vecF(single_layer(k.reshape(m, n_f, order="F"), b, Y, act).Z),
                  lambda k, v: single_layer(k.reshape(m, n_f, order="F"), b, Y, act).JK(v),
                  vecF(K)),
            "b": (lambda c: vecF(single_layer(K, c, Y, act).Z),
                  lambda c, v: single_layer(K, c, Y, act).Jb(v), b),
            "Y": (lambda y: vecF(single_layer(K, b, y.reshape(n_f, n, order="F"), act).Z),
                  lambda y, v: single_layer(K, b, y.reshape(n_f, n, order="F"), act).JY(v),
                  vecF(Y)),
        }
        C = np.eye(3)[:, rng.integers(0, 3, n)]
        prob = SingleLayerProblem(Y, C, m, activation=act, bias="vector")
        x0 = prob.initial_guess(rng)
        cases["loss E(x)"] = (prob.loss, lambda x, v: prob.loss_and_gradient(x)[1] @ v, x0)
        for wrt, (f, jvp, x) in cases.items():
            r = derivative_check(f, jvp, x, n_steps=n_steps, random_state=rng,
                                 name=f"J_{wrt} ({act})")
            for k in range(r.h.shape[0]):
                rows.append({"activation": act, "wrt": wrt, "h": r.h[k], "E0": r.err0[k],
                             "E1": r.err1[k], "floor": r.floor[k]})
            summary.append({"activation": act, "wrt": wrt, "order0": r.order0,
                            "order1": r.order1, "passed": r.passed, "table": str(r)})
        L = single_layer(K, b, Y, act)
        for wrt, fwd, bwd, n_in in (("K", L.JK, L.JKt, m * n_f), ("b", L.Jb, L.Jbt, m),
                                    ("Y", L.JY, L.JYt, n_f * n)):
            a = adjoint_test(fwd, bwd, n_in, m * n, random_state=rng)
            adj.append({"activation": act, "wrt": wrt, "uJv": a.uJv, "vJtu": a.vJtu,
                        "abs_error": a.abs_error, "rel_error": a.rel_error, "rtol": a.rtol,
                        "passed": a.passed})
    return {"derivative": pd.DataFrame(rows), "derivative_summary": pd.DataFrame(summary),
            "adjoint": pd.DataFrame(adj)}


# --------------------------------------------------------------------------------------------
# Non-convexity
# --------------------------------------------------------------------------------------------
def loss_landscape(*, n: int = 500, n_f: int = 50, n_c: int = 10, m: int = 40, grid: int = 41,
                   radius: float = 2.0, random_state=0):
    r"""Cross-entropy along two random directions :math:`dK, dW` around the inverse crime's truth.

    .. math::

       F(s, t) = E\big((W + t\, dW)\,\sigma((K + s\, dK) Y + b), C\big),

    :math:`dK, dW` standard normal, scaled to :math:`\|dK\| = \|K\|`, :math:`\|dW\| = \|W\|`
    (seed 001, slide "Non-Convexity", ``ESingleLayer_PlotObjective.m``).

    Returns
    -------
    dict with ``s``, ``t`` (grids) and ``E`` (``grid x grid``, rows over ``t``).
    """
    grid = check_int(grid, "grid", minimum=2)
    radius = check_positive(radius, "radius")
    d = inverse_crime_data(n, n_f, n_c, m, random_state=random_state)
    rng = as_rng([random_state, 1])
    dK = rng.standard_normal(d["K"].shape)
    dW = rng.standard_normal(d["W"].shape)
    dK *= np.linalg.norm(d["K"]) / np.linalg.norm(dK)
    dW *= np.linalg.norm(d["W"]) / np.linalg.norm(dW)
    s = np.linspace(-radius, radius, grid)
    t = np.linspace(-radius, radius, grid)
    E = np.empty((grid, grid))
    for i, ss in enumerate(s):
        Z = single_layer(d["K"] + ss * dK, d["b"], d["Y"]).Z
        for j, tt in enumerate(t):
            E[j, i] = cross_entropy((d["W"] + tt * dW) @ Z, d["C"])[0]
    return {"s": s, "t": t, "E": E}


# --------------------------------------------------------------------------------------------
# The inverse crime
# --------------------------------------------------------------------------------------------
def recovery_errors(K, b, W, K_true, b_true, W_true) -> dict:
    r"""Relative errors of :math:`K, b, W` after removing the model's symmetries.

    * Permutation of hidden units: rows of :math:`K` (and columns of :math:`W`) are matched to
      the truth by ``scipy.optimize.linear_sum_assignment`` on the distances between rows of
      :math:`K`.
    * Softmax shift: :math:`\mathrm{softmax}(WZ) = \mathrm{softmax}((W + \mathbf{1}a^\top)Z)`,
      so :math:`W` is compared after subtracting its column means,
      :math:`(I - \frac{1}{n_c}\mathbf{1}\mathbf{1}^\top)W`.

    A scalar bias is shared by all units and needs no matching.
    """
    K, W, K_true, W_true = (as_matrix(a, nm) for a, nm in
                            ((K, "K"), (W, "W"), (K_true, "K_true"), (W_true, "W_true")))
    if K.shape != K_true.shape or W.shape != W_true.shape:
        raise ValueError(f"K, W shapes {K.shape}, {W.shape} differ from the truth "
                         f"{K_true.shape}, {W_true.shape}")
    cost = np.linalg.norm(K[:, None, :] - K_true[None, :, :], axis=2)
    rows, cols = scipy.optimize.linear_sum_assignment(cost)
    perm = np.empty(K.shape[0], dtype=int)
    perm[cols] = rows  # estimated unit matched to each true unit
    Kp, Wp = K[perm], W[:, perm]
    b_arr, bt_arr = np.atleast_1d(np.asarray(b, float)), np.atleast_1d(np.asarray(b_true, float))
    if b_arr.size > 1:
        b_arr = b_arr[perm]

    def centre(M):
        return M - M.mean(axis=0, keepdims=True)

    return {
        "K_rel_error": float(np.linalg.norm(Kp - K_true) / np.linalg.norm(K_true)),
        "W_rel_error_centred": float(np.linalg.norm(centre(Wp) - centre(W_true))
                                     / np.linalg.norm(centre(W_true))),
        "W_rel_error_raw": float(np.linalg.norm(Wp - W_true) / np.linalg.norm(W_true)),
        "b_abs_error": float(np.max(np.abs(b_arr - bt_arr))),
        "b": b_arr.tolist(),
        "permutation": perm,
    }


@dataclass
class InverseCrime:
    """Histories of the three optimisers and the recovery of the truth."""

    histories: pd.DataFrame
    recovery: pd.DataFrame
    entropy: float
    sizes: dict = field(default_factory=dict)


def inverse_crime(*, n: int = 500, n_f: int = 50, n_c: int = 10, m: int = 40, b: float = 0.1,
                  max_iter: int = 50, cg_maxiter: int = 10, n_val: int = 2000,
                  start: str = "random", perturbation: float = 0.1,
                  random_state=0) -> InverseCrime:
    r"""The seed's inverse crime solved by Gauss-Newton-CG, gradient descent and L-BFGS.

    Data from :func:`kernelnet.single_layer.inverse_crime_data` (seed 001, "Test Problem"); all
    three start from the same random :math:`x_0`. The loss cannot go below the entropy
    :math:`H(C) = -\frac1n\sum_{ij} C_{ij}\log C_{ij}` of the soft labels (it equals it at the
    truth), so the histories report the excess :math:`E - H(C)`, a Kullback-Leibler divergence.
    The recovery table compares each final iterate with the truth up to the symmetries of
    :func:`recovery_errors`, and reports the mean KL divergence between predicted and true class
    probabilities on ``n_val`` fresh examples.

    ``start="random"`` begins at :meth:`SingleLayerProblem.initial_guess` (weights of the usual
    :math:`1/\sqrt{\text{fan-in}}` scale, far from the standard-normal truth);
    ``start="perturbed"`` at the truth plus Gaussian noise of relative size ``perturbation``
    in each of :math:`K, b, W`, which tests local convergence to the truth.
    """
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    check_choice(start, "start", ("random", "perturbed"))
    perturbation = check_positive(perturbation, "perturbation")
    n_val = check_int(n_val, "n_val", minimum=1)
    d = inverse_crime_data(n, n_f, n_c, m, b, random_state=random_state)
    C = d["C"]
    H = float(-np.sum(C * np.log(C)) / C.shape[1])
    prob = SingleLayerProblem(d["Y"], C, m)
    rng0 = as_rng([random_state, 2])
    if start == "random":
        x0 = prob.initial_guess(rng0)
    else:
        x0 = _perturbed_truth(d, perturbation, rng0)
    # stays serial (no map_units): the three solvers are compared by wall-clock time per mat-vec
    runs = [gauss_newton(prob, x0, max_iter=max_iter, cg_maxiter=cg_maxiter),
            gradient_descent(prob, x0, max_iter=max_iter),
            lbfgs(prob, x0, max_iter=max_iter)]
    rng = as_rng([random_state, 3])
    Yv = rng.standard_normal((n_f, n_val))
    Zt = single_layer(d["K"], d["b"], Yv).Z
    St = d["W"] @ Zt
    Pt = np.exp(St - St.max(axis=0))
    Pt /= Pt.sum(axis=0)
    hist_rows, rec_rows = [], []
    start_rec = recovery_errors(*prob.unpack(x0), d["K"], d["b"], d["W"])
    for h in runs:
        for k in range(h.loss.shape[0]):
            hist_rows.append({"method": h.method, "iteration": k, "loss": h.loss[k],
                              "excess": h.loss[k] - H, "matvecs": h.matvecs[k],
                              "time": h.time[k], "grad_norm": h.grad_norm[k]})
        K, bb, W = prob.unpack(h.x)
        rec = recovery_errors(K, bb, W, d["K"], d["b"], d["W"])
        Sv = W @ single_layer(K, bb, Yv).Z
        kl = cross_entropy(Sv, Pt)[0] + float(np.sum(Pt * np.log(Pt)) / n_val)
        rec_rows.append({"method": h.method, "iterations": h.iterations,
                         "final_excess": h.loss[-1] - H, "matvecs": int(h.matvecs[-1]),
                         "K_rel_error": rec["K_rel_error"],
                         "W_rel_error_centred": rec["W_rel_error_centred"],
                         "W_rel_error_raw": rec["W_rel_error_raw"],
                         "b_estimate": rec["b"][0], "b_abs_error": rec["b_abs_error"],
                         "val_kl": kl, "K_rel_error_start": start_rec["K_rel_error"],
                         "W_rel_error_centred_start": start_rec["W_rel_error_centred"]})
    return InverseCrime(pd.DataFrame(hist_rows), pd.DataFrame(rec_rows), H,
                        dict(n=n, n_f=n_f, n_c=n_c, m=m, b=b, start=start))


def recovery_vs_n(ns, *, n_f: int = 50, n_c: int = 10, m: int = 40, b: float = 0.1,
                  max_iter: int = 40, start: str = "perturbed", perturbation: float = 0.1,
                  n_val: int = 2000, random_state=0, n_jobs=None, backend=None,
                  scheduler=None) -> pd.DataFrame:
    r"""Recovery of the truth by Gauss-Newton-CG as the number of examples :math:`n` grows.

    One :func:`inverse_crime` per :math:`n` (Gauss-Newton row only): final training excess,
    validation KL and the symmetry-reduced errors of :math:`K, W, b`. Shows how many examples
    the seed's inverse crime needs before the data determine :math:`(K, b, W)`.

    The sizes are independent units run through :func:`kernelnet.parallel.map_units`
    (``n_jobs``: local workers; ``backend``: ``"sequential"``, ``"loky"``, ``"threading"`` or
    ``"dask"``; ``scheduler``: Dask address). Each :func:`inverse_crime` is seeded from
    ``random_state`` itself, as before, so the table is unchanged and identical serially, with
    ``n_jobs=2`` or on Dask (it holds no wall-clock column).
    """
    seed = check_int(random_state, "random_state", minimum=0)
    ns = [check_int(n, "ns", minimum=1) for n in ns]
    params = dict(n_f=n_f, n_c=n_c, m=m, b=b, max_iter=max_iter, start=start,
                  perturbation=perturbation, n_val=n_val, seed=seed)
    return pd.DataFrame(map_units(_recovery_unit, [(n, params) for n in ns], seed=seed,
                                  n_jobs=n_jobs, backend=backend, scheduler=scheduler,
                                  desc="recovery_vs_n"))


def _recovery_unit(unit, unit_seed):
    """One row of :func:`recovery_vs_n` (module level for map_units; seeded from the sweep's
    ``random_state`` as before the units existed, not from ``unit_seed``)."""
    n, p = unit
    cr = inverse_crime(n=n, n_f=p["n_f"], n_c=p["n_c"], m=p["m"], b=p["b"],
                       max_iter=p["max_iter"], start=p["start"], perturbation=p["perturbation"],
                       n_val=p["n_val"], random_state=p["seed"])
    row = cr.recovery.iloc[0].to_dict()
    row["n"] = n
    return row


# --------------------------------------------------------------------------------------------
# The inverse crime: identifiability, curvature models, optimiser budgets (issue 16, item 1)
# --------------------------------------------------------------------------------------------
#: Eigenvalues with |lambda| <= ZERO_TOL * lambda_max count as zero. A symmetric eigensolver's
#: error is about size * eps * ||H|| (2401 * 2.2e-16 ~ 5e-13 at the lecture's sizes); 1e-11
#: leaves a factor 20 above that and sits two decades below the smallest positive eigenvalue
#: of the lecture's problem (3e-9 relative).
ZERO_TOL = 1e-11


def _perturbed_truth(d, perturbation, rng):
    """The truth plus Gaussian noise of relative size ``perturbation`` in each of K, b, W."""
    def noisy(a):
        a = np.asarray(a, dtype=float)
        return a + perturbation * np.linalg.norm(a) / np.sqrt(a.size) * rng.standard_normal(a.shape)
    return pack(noisy(d["K"]), float(noisy(d["b"])), noisy(d["W"]))


def identifiability(*, n: int = 500, n_f: int = 50, n_c: int = 10, m: int = 40, b: float = 0.1,
                    random_state=0) -> dict:
    r"""The Hessian of the inverse crime at the truth: its null space, conditioning and why.

    At the truth the soft labels are matched exactly, :math:`\nabla_S E = 0`, so the exact
    Hessian equals the coupled Gauss-Newton matrix :math:`J^\top H_S J`
    (:func:`kernelnet.single_layer.hessian_operator`). The weights are identified (a strict
    local minimum up to symmetry) exactly when its null space is the :math:`m`-dimensional
    softmax shift :math:`W \to W + \mathbf 1 a^\top`
    (:func:`kernelnet.single_layer.softmax_shift_basis`). The pre-activations
    :math:`A = K_{true} Y + b` of the lecture's standard-normal :math:`K, Y` have standard
    deviation about :math:`\sqrt{n_f}`, so tanh saturates and :math:`\sigma'(A)` is tiny for
    most entries: that is what makes the positive eigenvalues small.

    Returns
    -------
    dict
        ``eigenvalues`` (ascending, exact Hessian), ``block_eigenvalues`` (the slide's block
        Gauss-Newton), ``n_zero`` (:math:`|\lambda| \le` ZERO_TOL :math:`\lambda_{\max}`), ``n_shift`` (= m),
        ``alignment`` (cosine of the largest principal angle between the numerical null space
        and the shift directions; 1 = the same subspace), ``smallest_positive``, ``largest``,
        ``condition`` (largest / smallest positive), ``gap`` (smallest positive / largest
        zero in absolute value), ``preact_std``, ``median_dsigma``, ``frac_saturated``
        (share of entries with tanh' < 0.01), ``preact`` and ``dsigma`` (samples for a
        histogram), ``grad_norm`` at the truth, the sizes.
    """
    d = inverse_crime_data(n, n_f, n_c, m, b, random_state=random_state)
    prob = SingleLayerProblem(d["Y"], d["C"], m)
    xt = pack(d["K"], d["b"], d["W"])
    H = dense_hessian(prob, xt, "exact")
    ev, V = np.linalg.eigh(H)
    Hb = dense_hessian(prob, xt, "block")
    evb = np.linalg.eigvalsh(Hb)
    lam_max = float(ev[-1])
    zero = np.abs(ev) <= ZERO_TOL * lam_max
    n_zero = int(zero.sum())
    B = softmax_shift_basis(prob)
    N = V[:, zero]
    if N.shape[1] == B.shape[1]:
        alignment = float(np.linalg.svd(B.T @ N, compute_uv=False).min())
    else:
        alignment = float("nan")
    pos = ev[~zero]
    A = d["K"] @ d["Y"] + d["b"]
    ds = 1.0 - np.tanh(A) ** 2
    _, g = prob.loss_and_gradient(xt)
    rng = as_rng([random_state, 5])
    sample = rng.choice(A.size, size=min(A.size, 4000), replace=False)
    return {
        "eigenvalues": ev, "block_eigenvalues": evb, "n_zero": n_zero, "n_shift": m,
        "alignment": alignment, "smallest_positive": float(pos.min()), "largest": lam_max,
        "condition": float(lam_max / pos.min()),
        "gap": float(pos.min() / max(np.abs(ev[zero]).max(), np.finfo(float).tiny))
        if n_zero else float("nan"),
        "n_negative": int(np.sum(ev < -ZERO_TOL * lam_max)),
        "preact_std": float(A.std()), "median_dsigma": float(np.median(ds)),
        "frac_saturated": float(np.mean(ds < 0.01)),
        "preact": A.ravel()[sample], "dsigma": ds.ravel()[sample],
        "grad_norm": float(np.linalg.norm(g)), "size": prob.size,
        "sizes": dict(n=n, n_f=n_f, n_c=n_c, m=m, b=b),
    }


def _newton_step(eig, g):
    """Minimum-norm solution of H p = -g over the eigenvalues above ZERO_TOL (exact solve).

    ``eig`` is ``numpy.linalg.eigh(H)``.
    """
    w, V = eig
    keep = np.abs(w) > ZERO_TOL * np.abs(w).max()
    return -(V[:, keep] @ ((V[:, keep].T @ g) / w[keep]))


def curvature_vs_distance(perturbations=(0.01, 0.1, 0.3), *, n: int = 500, n_f: int = 50,
                          n_c: int = 10, m: int = 40, b: float = 0.1,
                          random_state=0) -> pd.DataFrame:
    r"""The slide's two approximations measured at the truth, near it and far from it.

    At the truth, at the truth perturbed by each relative size in ``perturbations`` and at the
    random start of :meth:`SingleLayerProblem.initial_guess`, form the exact Hessian
    :math:`H`, the coupled Gauss-Newton matrix :math:`H_{GN}` and the slide's block-diagonal
    :math:`H_{block}` (:func:`kernelnet.single_layer.dense_hessian`) and report

    * ``second_term`` :math:`= \|H - H_{GN}\|_F / \|H\|_F`, the term the slide neglects
      ("small ... close to solution");
    * ``coupling`` :math:`= \|H_{GN} - H_{block}\|_F / \|H_{GN}\|_F`, what "ignore coupling"
      drops;
    * ``n_negative`` and ``most_negative`` (relative to :math:`\lambda_{\max}`) of :math:`H`;
    * for each matrix, the exact (pseudo-inverse) Newton step followed by the Armijo line
      search of the solvers: the accepted step length, the share of the excess loss that
      remains, and the error of :math:`K` after it (the limit of ever more accurate inner
      solves). At the truth there is nothing to step, so those columns are NaN.
    """
    from ..single_layer import _armijo

    d = inverse_crime_data(n, n_f, n_c, m, b, random_state=random_state)
    prob = SingleLayerProblem(d["Y"], d["C"], m)
    C = d["C"]
    H_ent = float(-np.sum(C * np.log(C)) / C.shape[1])
    points = [("truth", 0.0, pack(d["K"], d["b"], d["W"]))]
    for i, eps in enumerate(perturbations):
        eps = check_positive(eps, "perturbations")
        points.append((f"truth + {eps:.0%}", eps,
                       _perturbed_truth(d, eps, as_rng([random_state, 2]))))
    points.append(("random start", np.inf,
                   prob.initial_guess(as_rng([random_state, 2]))))
    rows = []
    for name, eps, x in points:
        E, g = prob.loss_and_gradient(x)
        Hs = {k: dense_hessian(prob, x, k) for k in HESSIAN_KINDS}
        He, Hg, Hb = Hs["exact"], Hs["gauss-newton"], Hs["block"]
        eigs = {k: np.linalg.eigh(Hm) for k, Hm in Hs.items()}
        ev = eigs["exact"][0]
        K0 = recovery_errors(*prob.unpack(x), d["K"], d["b"], d["W"])["K_rel_error"]
        rv = np.linalg.eigvalsh(He - Hg)  # the neglected term itself
        rtol = ZERO_TOL * max(abs(ev).max(), 1e-300)
        row = {"point": name, "perturbation": eps, "excess": E - H_ent, "K_rel_error": K0,
               "residual_n_neg": int(np.sum(rv < -rtol)),
               "residual_n_pos": int(np.sum(rv > rtol)),
               "second_term": float(np.linalg.norm(He - Hg) / np.linalg.norm(He)),
               "coupling": float(np.linalg.norm(Hg - Hb) / np.linalg.norm(Hg)),
               "n_negative": int(np.sum(ev < -ZERO_TOL * ev[-1])),
               "most_negative": float(min(ev[0], 0.0) / ev[-1])}
        for k, Hm in Hs.items():
            if eps == 0.0:  # the truth: the gradient is rounding, there is nothing to step
                row.update({f"step_{k}": np.nan, f"remaining_{k}": np.nan,
                            f"K_after_{k}": np.nan})
                continue
            p = _newton_step(eigs[k], g)
            if float(g @ p) >= 0:  # not a descent direction (indefinite H): go the other way
                p = -p
            t, Et = _armijo(prob, x, E, g, p, 1.0)
            Kt = recovery_errors(*prob.unpack(x + t * p), d["K"], d["b"], d["W"])["K_rel_error"]
            row.update({f"step_{k}": t, f"remaining_{k}": (Et - H_ent) / (E - H_ent),
                        f"K_after_{k}": Kt})
        rows.append(row)
    return pd.DataFrame(rows)


def optimiser_budgets(*, n: int = 500, n_f: int = 50, n_c: int = 10, m: int = 40,
                      b: float = 0.1, perturbation: float = 0.1, gn_iter: int = 60,
                      cg_budgets=(10, 100, 300), lbfgs_iters=(60, 300, 1000, 3000),
                      random_start_iters: int | None = None, random_state=0) -> pd.DataFrame:
    r"""How far each optimiser gets towards the truth from the truth perturbed by 10 %.

    The slide's block-diagonal Gauss-Newton-CG and the coupled Gauss-Newton-CG
    (:func:`kernelnet.single_layer.gauss_newton` with ``hessian="block"`` / ``"gauss-newton"``),
    ``gn_iter`` outer iterations with each inner CG budget in ``cg_budgets`` (CG's relative
    tolerance 1e-2, as the chapter's solver), and L-BFGS for each budget in ``lbfgs_iters``.
    All start from the same point (as :func:`inverse_crime` with ``start="perturbed"``).
    With ``random_start_iters``, one more row: L-BFGS for that many iterations from the random
    start of :func:`inverse_crime` (``method = "L-BFGS, random start"``).

    Returns
    -------
    DataFrame
        method, budget (CG steps per iteration or L-BFGS iterations), iterations,
        final_excess, matvecs, K_rel_error, W_rel_error_centred, K_rel_error_start.
    """
    gn_iter = check_int(gn_iter, "gn_iter", minimum=1)
    d = inverse_crime_data(n, n_f, n_c, m, b, random_state=random_state)
    C = d["C"]
    H_ent = float(-np.sum(C * np.log(C)) / C.shape[1])
    prob = SingleLayerProblem(d["Y"], C, m)
    x0 = _perturbed_truth(d, check_positive(perturbation, "perturbation"),
                          as_rng([random_state, 2]))
    runs = []
    for kind, label in (("block", "block Gauss-Newton (slide)"),
                        ("gauss-newton", "coupled Gauss-Newton")):
        for cgm in cg_budgets:
            cgm = check_int(cgm, "cg_budgets", minimum=1)
            runs.append((label, cgm, gauss_newton(prob, x0, max_iter=gn_iter, cg_maxiter=cgm,
                                                  hessian=kind)))
    for it in lbfgs_iters:
        it = check_int(it, "lbfgs_iters", minimum=1)
        runs.append(("L-BFGS", it, lbfgs(prob, x0, max_iter=it)))
    starts = {label: x0 for label, _, _ in runs}
    if random_start_iters is not None:
        xr = prob.initial_guess(as_rng([random_state, 2]))
        it = check_int(random_start_iters, "random_start_iters", minimum=1)
        runs.append(("L-BFGS, random start", it, lbfgs(prob, xr, max_iter=it)))
        starts["L-BFGS, random start"] = xr
    rows = []
    for label, budget, h in runs:
        rec = recovery_errors(*prob.unpack(h.x), d["K"], d["b"], d["W"])
        K0 = recovery_errors(*prob.unpack(starts[label]), d["K"], d["b"], d["W"])["K_rel_error"]
        rows.append({"method": label, "budget": budget, "iterations": h.iterations,
                     "final_excess": float(h.loss[-1] - H_ent), "matvecs": int(h.matvecs[-1]),
                     "K_rel_error": rec["K_rel_error"],
                     "W_rel_error_centred": rec["W_rel_error_centred"],
                     "K_rel_error_start": K0})
    return pd.DataFrame(rows)


def block_gn_variants(*, n: int = 500, n_f: int = 50, n_c: int = 10, m: int = 40,
                      b: float = 0.1, perturbation: float = 0.1, gn_iter: int = 60,
                      cg_maxiter: int = 300, dampings=(1e-4, 1e-3), long_iter: int = 200,
                      random_state=0) -> pd.DataFrame:
    r"""Settings a referee would try before accepting that the slide's block Gauss-Newton drifts.

    From the same start as :func:`optimiser_budgets`: the block method with Levenberg-Marquardt
    damping :math:`(H_{block} + \delta I)` for each :math:`\delta` in ``dampings`` (the inner
    budget ``cg_maxiter``), with a tight CG tolerance (1e-6 instead of 1e-2), and with
    ``long_iter`` outer iterations at 10 CG steps. Returns method, setting and the K error.
    """
    d = inverse_crime_data(n, n_f, n_c, m, b, random_state=random_state)
    prob = SingleLayerProblem(d["Y"], d["C"], m)
    x0 = _perturbed_truth(d, check_positive(perturbation, "perturbation"),
                          as_rng([random_state, 2]))
    runs = [(f"damping {dmp:g}, {cg_maxiter} CG steps",
             dict(max_iter=gn_iter, cg_maxiter=cg_maxiter,
                  damping=check_positive(dmp, "dampings")))
            for dmp in dampings]
    runs.append((f"CG tolerance 1e-6, {cg_maxiter} CG steps",
                 dict(max_iter=gn_iter, cg_maxiter=cg_maxiter, cg_rtol=1e-6)))
    runs.append((f"{long_iter} iterations, 10 CG steps",
                 dict(max_iter=check_int(long_iter, "long_iter", minimum=1), cg_maxiter=10)))
    rows = []
    for setting, kw in runs:
        h = gauss_newton(prob, x0, **kw)
        rec = recovery_errors(*prob.unpack(h.x), d["K"], d["b"], d["W"])
        rows.append({"setting": setting, "K_rel_error": rec["K_rel_error"],
                     "final_excess": float(h.loss[-1] - float(-np.sum(d["C"] * np.log(d["C"]))
                                                              / d["C"].shape[1]))})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Adversarial example
# --------------------------------------------------------------------------------------------
@dataclass
class Adversarial:
    """A trained classifier, an image it gets right and the smallest perturbation found."""

    image: np.ndarray
    perturbed: np.ndarray
    label: int
    target: int
    prob_before: np.ndarray
    prob_after: np.ndarray
    path: pd.DataFrame
    test_accuracy: float
    train_accuracy: float
    d_norm: float
    relative_norm: float
    shape: tuple = (8, 8)


def _probs(K, b, W, Y):
    S = W @ single_layer(K, b, Y).Z
    P = np.exp(S - S.max(axis=0))
    return P / P.sum(axis=0)


def adversarial_example(*, m: int = 64, max_iter: int = 40, n_lambda: int = 12,
                        target: int | None = None, index: int = 0,
                        random_state=0) -> Adversarial:
    r"""Fool a single-layer classifier of handwritten digits with a small perturbation.

    Train :math:`K, b, W` on scikit-learn's ``load_digits`` (8 x 8 images scaled to
    :math:`[0, 1]`, 2/3 for training) by Gauss-Newton-CG, take the ``index``-th correctly
    classified test image :math:`y` of class :math:`c` and a target :math:`\hat c \ne c`
    (default: the runner-up class), and solve for decreasing :math:`\lambda`

    .. math::

       \min_{d} \; E\big(W\sigma(K(y + d) + b), \hat c\big) + \frac{\lambda}{2}\|d\|^2
       \quad\text{s.t. } 0 \le y + d \le 1,

    with L-BFGS-B; the gradient in :math:`d` is :math:`J_Y^\top W^\top \nabla_S E`
    (:meth:`kernelnet.single_layer.SingleLayer.JYt`). The result is the perturbation of smallest
    norm among those that make :math:`\hat c` the predicted class (seed 001, "Experiment:
    Adversarial Example"; the box keeps the image a valid image, the penalty trades size
    against success).
    """
    from sklearn.datasets import load_digits

    m = check_int(m, "m", minimum=1)
    n_lambda = check_int(n_lambda, "n_lambda", minimum=1)
    index = check_int(index, "index", minimum=0)
    X, y = load_digits(return_X_y=True)
    rng = as_rng(random_state)
    order = rng.permutation(X.shape[0])
    n_tr = 2 * X.shape[0] // 3
    tr, te = order[:n_tr], order[n_tr:]
    Y = X.T / 16.0
    C = np.eye(10)[:, y]
    prob = SingleLayerProblem(Y[:, tr], C[:, tr], m, bias="vector", reg=1e-4)
    hist = gauss_newton(prob, prob.initial_guess(rng), max_iter=max_iter)
    K, b, W = prob.unpack(hist.x)
    P_tr = _probs(K, b, W, Y[:, tr])
    P_te = _probs(K, b, W, Y[:, te])
    acc_tr = float(np.mean(P_tr.argmax(axis=0) == y[tr]))
    acc_te = float(np.mean(P_te.argmax(axis=0) == y[te]))
    good = te[P_te.argmax(axis=0) == y[te]]
    if index >= good.shape[0]:
        raise ValueError(f"index must be < {good.shape[0]} (correctly classified test images)")
    j = int(good[index])
    img, c = Y[:, j].copy(), int(y[j])
    p0 = _probs(K, b, W, img[:, None])[:, 0]
    if target is None:
        target = int(np.argsort(p0)[-2])
    target = check_int(target, "target", minimum=0, maximum=9)
    if target == c:
        raise ValueError(f"target must differ from the image's class {c}")
    c_hat = np.zeros((10, 1))
    c_hat[target] = 1.0

    def obj(dvec, lam):
        L = single_layer(K, b, (img + dvec)[:, None])
        E, gS, _ = cross_entropy(W @ L.Z, c_hat)
        g = L.JYt((W.T @ gS).ravel(order="F"))
        return E + 0.5 * lam * float(dvec @ dvec), g + lam * dvec

    bounds = list(zip(-img, 1.0 - img))
    rows = []

    def solve(lam, start):
        res = scipy.optimize.minimize(obj, start, args=(lam,), jac=True, method="L-BFGS-B",
                                      bounds=bounds, options=dict(maxiter=300))
        p = _probs(K, b, W, (img + res.x)[:, None])[:, 0]
        pred = int(p.argmax())
        rows.append({"lambda": lam, "d_norm": float(np.linalg.norm(res.x)),
                     "p_target": float(p[target]), "p_true": float(p[c]), "predicted": pred,
                     "fooled": pred == target})
        return res.x, pred == target

    # Continuation from a strong penalty (d ~ 0, not fooled) to a weak one; the first lambda
    # that fools brackets the boundary, which bisection in log(lambda) then narrows: the
    # smallest fooling perturbation sits at the largest fooling lambda.
    dvec = np.zeros_like(img)
    lo = hi = None  # lo: largest lambda seen fooled, hi: smallest lambda seen not fooled
    best = None
    for lam in np.logspace(3, -3, n_lambda):
        dvec, fooled = solve(lam, dvec)
        if fooled:
            lo, best = lam, dvec.copy()
            break
        hi = lam
    if best is not None and hi is not None:
        for _ in range(8):
            mid = float(np.sqrt(lo * hi))
            d_mid, fooled = solve(mid, best)
            if fooled:
                lo, best = mid, d_mid
            else:
                hi = mid
    if best is None:
        best = dvec
    pert = img + best
    return Adversarial(image=img, perturbed=pert, label=c, target=target, prob_before=p0,
                       prob_after=_probs(K, b, W, pert[:, None])[:, 0], path=pd.DataFrame(rows),
                       test_accuracy=acc_te, train_accuracy=acc_tr,
                       d_norm=float(np.linalg.norm(best)),
                       relative_norm=float(np.linalg.norm(best) / np.linalg.norm(img)))


# --------------------------------------------------------------------------------------------
# Verdicts (small functions; tests/test_experiments_single_layer.py tests each branch)
# --------------------------------------------------------------------------------------------
def rank_verdict(identity_max_rank: int, n_f: int, nonlinear_full: int,
                 nonlinear_total: int) -> str:
    """``001.rank``: the identity never exceeds rank n_f + 1; tanh/ReLU reach min(m, n).

    ``reproduced`` when the linear features stay at or below n_f + 1 and every nonlinear
    (activation, width) pair reaches full rank; ``reproduced with a caveat`` when some but not
    all do; ``not reproduced`` otherwise.
    """
    for name, v in (("identity_max_rank", identity_max_rank), ("n_f", n_f),
                    ("nonlinear_full", nonlinear_full), ("nonlinear_total", nonlinear_total)):
        check_int(v, name, minimum=0)
    if nonlinear_full > nonlinear_total:
        raise ValueError("nonlinear_full must not exceed nonlinear_total")
    linear_ok = identity_max_rank <= n_f + 1
    if linear_ok and nonlinear_total > 0 and nonlinear_full == nonlinear_total:
        return "reproduced"
    if linear_ok and nonlinear_full > 0:
        return "reproduced with a caveat"
    return "not reproduced"


def random_features_verdict(val_at_n: float, best_val: float, *, factor: float = 3.0) -> str:
    """``001.random-features``: "may not generalize well" near m = n.

    ``reproduced`` when the validation error at m = n exceeds ``factor`` (3) times the best
    one over the widths (the interpolant oscillates between the training points);
    ``reproduced with a caveat`` when it does not: "may" is a possibility, and a smooth
    target sampled densely need not show it, so this is not evidence against the lecture.
    """
    check_positive(best_val, "best_val")
    check_positive(val_at_n, "val_at_n")
    return "reproduced" if val_at_n > factor * best_val else "reproduced with a caveat"


def checks_verdict(derivative_passed, adjoint_passed) -> str:
    """``001.jacobians``: all derivative checks (order 2) and adjoint tests pass."""
    d = [bool(v) for v in derivative_passed]
    a = [bool(v) for v in adjoint_passed]
    if not d or not a:
        raise ValueError("derivative_passed and adjoint_passed must be non-empty")
    return "reproduced" if all(d) and all(a) else "not reproduced"


def nonconvexity_verdict(frac_negative_K: float, frac_negative_W: float) -> str:
    """``001.nonconvex``: some second differences along dK are negative, none along dW.

    ``reproduced`` when both hold; ``reproduced with a caveat`` when the loss is non-convex
    along dK but some (rounding-level, see the caller's threshold) negative second difference
    appears along dW too; ``not reproduced`` when no negative curvature is found along dK.
    """
    for name, v in (("frac_negative_K", frac_negative_K), ("frac_negative_W", frac_negative_W)):
        if not 0.0 <= v <= 1.0:
            raise ValueError(f"{name} must lie in [0, 1], got {v!r}")
    if frac_negative_K > 0 and frac_negative_W == 0:
        return "reproduced"
    if frac_negative_K > 0:
        return "reproduced with a caveat"
    return "not reproduced"


def gn_speed_verdict(gn_excess: float, others_excess: float, gn_at_lbfgs_work: float,
                     lbfgs_excess: float) -> str:
    """``001.gn-fast``: "use curvature information for fast convergence".

    ``reproduced`` when Gauss-Newton ends below the other methods after the same number of
    iterations *and* is at least as low as L-BFGS within L-BFGS's work; ``reproduced with a
    caveat`` when it wins per iteration only (its inner CG steps cost work); ``not
    reproduced`` when it does not even win per iteration.
    """
    per_iter = gn_excess < others_excess
    per_work = gn_at_lbfgs_work <= lbfgs_excess
    if per_iter and per_work:
        return "reproduced"
    if per_iter:
        return "reproduced with a caveat"
    return "not reproduced"


def is_identified(n_zero: int, n_shift: int, alignment: float, *, tol: float = 1e-8) -> bool:
    """True when the Hessian's null space at the truth is exactly the softmax shift.

    ``alignment`` is the cosine of the largest principal angle between the numerical null
    space and the shift directions; 1 - tol with tol = 1e-8 allows the eigenvector rounding
    of an eigenvalue gap of 1e8 relative (``eps / gap``-sized angles) with room to spare.
    """
    check_int(n_zero, "n_zero", minimum=0)
    check_int(n_shift, "n_shift", minimum=1)
    return bool(n_zero == n_shift and np.isfinite(alignment) and alignment >= 1.0 - tol)


def inverse_crime_verdict(identified: bool, slide_K_error: float, best_K_error: float, *,
                          threshold: float = 0.05) -> str:
    """``001.inverse-crime``: "Goal: reconstruct Wtrue, Ktrue, btrue!"

    ``not reproduced`` when the truth is not identified (the Hessian there has more zero
    directions than the softmax shift); ``reproduced`` when the slide's block Gauss-Newton at
    the chapter's budget gets K within ``threshold`` (5 %, half the 10 % start) of the truth;
    ``reproduced with a caveat`` when only some other optimiser or budget does; ``not
    reproduced`` when none does.
    """
    check_positive(threshold, "threshold")
    if not identified:
        return "not reproduced"
    if slide_K_error <= threshold:
        return "reproduced"
    if best_K_error <= threshold:
        return "reproduced with a caveat"
    return "not reproduced"


def second_term_verdict(perturbations, ratios, n_negative_nearest: int, *,
                        small: float = 0.1) -> str:
    """``001.gn-second-term``: the neglected term is "small ... close to solution".

    ``ratios`` are :math:`\\|H - H_{GN}\\|_F/\\|H\\|_F` at the given distances from the truth
    (``inf`` for the random start). ``reproduced`` when the ratio grows with the distance, is
    below ``small`` (10 %) at the nearest point and the exact Hessian there has no negative
    eigenvalue; ``reproduced with a caveat`` when it is small in norm but already makes the
    Hessian indefinite (it is not small against the smallest Gauss-Newton curvatures);
    ``not reproduced`` otherwise.
    """
    p = np.asarray(perturbations, dtype=float)
    r = np.asarray(ratios, dtype=float)
    if p.shape != r.shape or p.ndim != 1 or p.size < 2:
        raise ValueError("perturbations and ratios must be 1-D of the same length >= 2")
    check_int(n_negative_nearest, "n_negative_nearest", minimum=0)
    order = np.argsort(p)
    r = r[order]
    shrinking = bool(np.all(np.diff(r) > 0)) and r[0] <= small
    if shrinking and n_negative_nearest == 0:
        return "reproduced"
    if shrinking:
        return "reproduced with a caveat"
    return "not reproduced"


#: What the referee tried against ``001.gn-coupling`` (the referee rule, CONTRIBUTING.md), at
#: the lecture's sizes from the truth + 10 % (K error 0.102), 60 outer iterations unless stated;
#: numbers from the referee's report (scratch scripts, not shipped). The referee broke the
#: causal reading (dropping the coupling alone makes GN drift): adaptive damping removes the
#: drift; the note says so.
REFEREE_GN_COUPLING = (
    "referee: the lecture code's own step rule (NumDL-MATLAB newtoncg.m: persistent step, "
    "simple decrease, x1.5 growth), block GN with 10/100/300 CG steps: still drifts (seed 0: "
    "0.159, 0.218, 0.342; seed 1, 10/300: 0.075, 0.424)",
    "referee: alternating block-coordinate GN (K, b, W each with a fresh linearisation and an "
    "Armijo search), 10/100/300 CG: drifts (0.132, 0.293, 0.476)",
    "referee: block GN with 200 outer iterations x 300 CG at full size: 0.674; 1,000 x 10 CG: "
    "0.111 (the quick build's recovery at 200 iterations does not carry over)",
    "referee: other measures, validation KL on 2,000 fresh examples and W with the softmax "
    "shift removed: the drift shows in both (KL 0.225 -> 0.234, 0.646, 0.828; W 0.121, 0.162, "
    "0.189)",
    "referee: adaptive Levenberg-Marquardt damping on the block matrix, 10/100/300 CG: no drift, "
    "closer to the truth (seed 0: 0.076, 0.073, 0.073, 200 iterations 0.069; seed 1: 0.068, "
    "0.064; seed 2: 0.075, 0.072) -- this breaks the causal reading",
    "referee: adaptive Levenberg-Marquardt damping on the coupled matrix, 300 CG: 0.014 "
    "(validation KL 6e-4)",
)


def coupling_verdict(coupling_ratios, block_K_errors, coupled_K_errors, *,
                     small: float = 0.1) -> tuple[str, bool]:
    """``001.gn-coupling``: "use full Hessian for W: ignore coupling". Returns (verdict, contradicts).

    ``coupling_ratios`` are :math:`\\|H_{GN} - H_{block}\\|_F/\\|H_{GN}\\|_F` at the points
    measured; the K errors are after the same outer iterations with increasing inner CG
    budgets (one row per seed, or a single row). ``reproduced`` when the coupling is below
    ``small`` everywhere; ``reproduced with
    a caveat`` when it is not small but dropping it does no harm (the block method gets
    closer to the truth with more inner steps, or does as well as the coupled one); else a
    ``finding of ours`` that contradicts the slide's advice: on every seed the block method
    moves away from the truth as its inner solves get more accurate, and the coupled one at its
    best budget gets closer than the block one at its best.
    """
    c = np.asarray(coupling_ratios, dtype=float)
    b = np.atleast_2d(np.asarray(block_K_errors, dtype=float))
    g = np.atleast_2d(np.asarray(coupled_K_errors, dtype=float))
    if c.size == 0 or b.shape[1] < 2 or b.shape != g.shape:
        raise ValueError("need coupling ratios, and block/coupled errors for >= 2 budgets")
    if np.max(c) <= small:
        return "reproduced", False
    # every seed (row): the block method ends further away with the largest inner budget than
    # with the smallest, and the coupled one's best budget beats the block one's best
    harmful = bool(np.all(b[:, -1] > b[:, 0]) and np.all(g.min(axis=1) < b.min(axis=1)))
    if not harmful:
        return "reproduced with a caveat", False
    return "finding of ours", True


def indefinite_verdict(n_neg, n_pos) -> str:
    """``001.gn-second-indefinite``: the neglected term "can be indefinite".

    ``n_neg``, ``n_pos``: its negative and positive eigenvalue counts at the points away from the
    truth. ``reproduced`` when it has both signs at some point; ``not reproduced`` otherwise.
    """
    n_neg, n_pos = np.asarray(n_neg), np.asarray(n_pos)
    if n_neg.shape != n_pos.shape or n_neg.size == 0:
        raise ValueError("n_neg and n_pos must be non-empty and of the same shape")
    return "reproduced" if bool(np.any((n_neg > 0) & (n_pos > 0))) else "not reproduced"


def adversarial_verdict(fooled: bool, relative_norm: float, *, small: float = 0.5) -> str:
    """``001.adversarial``: a small perturbation d makes the classifier predict the target.

    ``reproduced`` when the target is reached with ``||d|| / ||y||`` at most ``small`` (half
    the image); ``reproduced with a caveat`` when it takes more; ``not reproduced`` when the
    penalised problem never reached the target.
    """
    if not fooled:
        return "not reproduced"
    return "reproduced" if relative_norm <= small else "reproduced with a caveat"


# --------------------------------------------------------------------------------------------
# The chapter
# --------------------------------------------------------------------------------------------
def _sizes_ok(v):
    return (isinstance(v, tuple) and len(v) == 4 and all(isinstance(k, int) and k >= 1 for k in v)
            and v[2] >= 2)


def _ints_ok(v):
    return isinstance(v, tuple) and len(v) > 0 and all(isinstance(k, int) and k >= 1 for k in v)


def _fracs_ok(v):
    return (isinstance(v, tuple) and len(v) >= 2
            and all(isinstance(k, float) and 0 < k < 1 for k in v))


#: The chapter's parameters (the chapter contract): name -> type, quick value, full value, check.
PARAMETERS = {
    "rank_widths": Parameter(tuple, (1, 2, 5, 10, 20, 50, 100, 150, 200, 300),
                             (1, 2, 5, 10, 20, 50, 100, 200, 300, 400, 600), _ints_ok,
                             "widths m of the rank experiment"),
    "rank_n": Parameter(int, 100, 300, lambda v: v >= 2, "examples n of the rank experiment"),
    "n_train": Parameter(int, 150, 400, lambda v: v >= 10, "peaks training points"),
    "n_val": Parameter(int, 1000, 4000, lambda v: v >= 10, "peaks validation points"),
    "peaks_widths": Parameter(tuple, (5, 10, 20, 50, 100, 150, 300),
                              (5, 10, 20, 50, 100, 200, 300, 400, 600, 1000), _ints_ok,
                              "random-feature widths on peaks"),
    "surface_grid": Parameter(int, 40, 80, lambda v: v >= 2, "mesh of the peaks surface plot"),
    "landscape_grid": Parameter(int, 21, 41, lambda v: v >= 5, "grid of the loss landscape"),
    "crime_sizes": Parameter(tuple, (200, 20, 5, 16), (500, 50, 10, 40), _sizes_ok,
                             "inverse crime (n, n_f, n_c, m); the lecture's is (500, 50, 10, 40)"),
    "crime_iter": Parameter(int, 25, 60, lambda v: v >= 1,
                            "outer iterations of every inverse-crime optimiser"),
    "recovery_ns": Parameter(tuple, (200, 800, 3200), (500, 1000, 2000, 4000, 8000), _ints_ok,
                             "numbers of examples of the recovery sweep"),
    "perturbations": Parameter(tuple, (0.01, 0.1, 0.3), (0.01, 0.1, 0.3), _fracs_ok,
                               "relative distances from the truth for the curvature models"),
    "cg_budgets": Parameter(tuple, (10, 100, 300), (10, 100, 300),
                            lambda v: _ints_ok(v) and len(v) >= 2 and list(v) == sorted(v),
                            "inner CG steps per Gauss-Newton iteration (increasing)"),
    "lbfgs_iters": Parameter(tuple, (60, 300, 1000, 3000), (60, 300, 1000, 3000), _ints_ok,
                             "L-BFGS iteration budgets"),
    "dampings": Parameter(tuple, (1e-3,), (1e-4, 1e-3),
                          lambda v: isinstance(v, tuple) and len(v) > 0
                          and all(isinstance(k, float) and k > 0 for k in v),
                          "Levenberg-Marquardt dampings tried on the block Gauss-Newton"),
    "random_start_iters": Parameter(int, 3000, 10000, lambda v: v >= 1,
                                    "L-BFGS iterations from the random start"),
    "budget_seeds": Parameter(int, 2, 3, lambda v: 1 <= v <= 10,
                              "data sets (seeds SEED, SEED + 1, ...) of the optimiser budgets"),
    "adv_m": Parameter(int, 32, 64, lambda v: v >= 1, "hidden units of the digits classifier"),
    "adv_iter": Parameter(int, 20, 40, lambda v: v >= 1, "Gauss-Newton iterations (digits)"),
    "adv_lambdas": Parameter(int, 8, 14, lambda v: v >= 1, "penalties tried before bisection"),
}

#: The lecture's inverse-crime sizes (seed 001, "Test Problem").
LECTURE_SIZES = (500, 50, 10, 40)


@dataclass(frozen=True)
class SingleLayerChapter:
    """Everything chapter 4 shows: the tables and arrays the figures draw, and the findings."""

    ranks: pd.DataFrame
    peaks: pd.DataFrame
    peaks_fit: dict
    n_illconditioned: int
    checks: dict
    landscape: dict
    crime: InverseCrime
    crime_near_truth: InverseCrime
    recovery: pd.DataFrame
    identifiability: dict
    curvature: pd.DataFrame
    budgets: pd.DataFrame
    block_variants: pd.DataFrame
    adversarial: Adversarial
    params: dict
    findings: tuple


def _landscape_fractions(E):
    d2s = E[:, 2:] - 2 * E[:, 1:-1] + E[:, :-2]   # second differences along s (dK)
    d2t = E[2:, :] - 2 * E[1:-1, :] + E[:-2, :]   # along t (dW)
    # along t the loss is convex; second differences below 1e-12 |E| are rounding
    return float(np.mean(d2s < 0)), float(np.mean(d2t < -1e-12 * np.abs(E).max()))


def _gn_work_comparison(cr):
    rec = cr.recovery.set_index("method")
    h = cr.histories
    lb_work = int(rec.loc["L-BFGS", "matvecs"])
    per_work = {m: float(h[(h.method == m) & (h.matvecs <= lb_work)].excess.min())
                for m in ("Gauss-Newton-CG", "L-BFGS")}
    return rec, per_work


def run(*, quick: bool = True, seed: int = 0, **params) -> SingleLayerChapter:
    """The chapter's experiments; sizes from :data:`PARAMETERS` (quick or full)."""
    import warnings

    from scipy.linalg import LinAlgWarning

    p = resolve_parameters(PARAMETERS, quick=quick, seed=seed, **params)
    ranks = rank_vs_width(list(p["rank_widths"]), n=p["rank_n"], n_f=5, random_state=seed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LinAlgWarning)
        pk = peaks_random_features(list(p["peaks_widths"]), n_train=p["n_train"],
                                   n_val=p["n_val"], random_state=seed)
        best_m = int(pk.loc[pk["val_rel_error"].idxmin(), "m"])
        fit = peaks_surface(best_m, n_train=p["n_train"], grid=p["surface_grid"],
                            random_state=seed)
    n_ill = sum(issubclass(w.category, LinAlgWarning) for w in caught)
    for w in caught:  # anything else is shown as usual
        if not issubclass(w.category, LinAlgWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    fit["m"] = best_m
    checks = jacobian_checks(random_state=seed)
    n, n_f, n_c, m = p["crime_sizes"]
    sz = dict(n=n, n_f=n_f, n_c=n_c, m=m)
    land = loss_landscape(**sz, grid=p["landscape_grid"], random_state=seed)
    crime = inverse_crime(**sz, max_iter=p["crime_iter"], random_state=seed)
    near = inverse_crime(**sz, max_iter=p["crime_iter"], start="perturbed", random_state=seed)
    rec = recovery_vs_n(list(p["recovery_ns"]), n_f=n_f, n_c=n_c, m=m,
                        max_iter=p["crime_iter"], random_state=seed)
    ident = identifiability(**sz, random_state=seed)
    curv = curvature_vs_distance(p["perturbations"], **sz, random_state=seed)
    budgets = pd.concat([optimiser_budgets(**sz, gn_iter=p["crime_iter"],
                                           cg_budgets=p["cg_budgets"],
                                           lbfgs_iters=p["lbfgs_iters"],
                                           random_start_iters=p["random_start_iters"]
                                           if k == 0 else None,
                                           random_state=seed + k).assign(seed=seed + k)
                         for k in range(p["budget_seeds"])], ignore_index=True)
    variants = block_gn_variants(**sz, gn_iter=p["crime_iter"],
                                 cg_maxiter=max(p["cg_budgets"]), dampings=p["dampings"],
                                 random_state=seed)
    adv = adversarial_example(m=p["adv_m"], max_iter=p["adv_iter"], n_lambda=p["adv_lambdas"],
                              random_state=seed)
    findings = _findings(p, ranks, pk, checks, land, crime, ident, curv, budgets, variants, adv)
    return SingleLayerChapter(ranks, pk, fit, n_ill, checks, land, crime, near, rec, ident, curv,
                              budgets, variants, adv, dict(quick=quick, seed=seed, **p),
                              tuple(findings))


def _findings(p, ranks, pk, checks, land, crime, ident, curv, budgets, variants, adv):
    n, n_f, n_c, m = p["crime_sizes"]
    lecture = tuple(p["crime_sizes"]) == LECTURE_SIZES
    crime_regime = (f"inverse crime n = {n}, n_f = {n_f}, n_c = {n_c}, m = {m}, b = 0.1, "
                    f"K, W, Y standard normal, tanh"
                    + (" (the lecture's sizes)" if lecture else " (below the lecture's sizes)"))
    out = []
    # 001.rank
    nl = ranks[ranks.activation != "identity"]
    ident_max = int(ranks[ranks.activation == "identity"].rank_Z.max())
    n_full = int((nl.rank_Z == nl.max_rank).sum())
    v = rank_verdict(ident_max, 5, n_full, len(nl))
    out.append(Finding(
        "001.rank", v,
        f"Y, K, b standard normal, n = {p['rank_n']}, n_f = 5, widths {min(p['rank_widths'])} "
        f"to {max(p['rank_widths'])}, tanh and ReLU against the identity",
        values={"identity_max_rank": ident_max, "nonlinear_full_rank": n_full,
                "nonlinear_total": len(nl)},
        figures=("single_layer_rank",), section="sl-rank",
        note="" if v == "reproduced" else "not every nonlinear width reached full rank",
        tried=("the identity, tanh and ReLU at every width listed",)
        if v == "not reproduced" else ()))
    # 001.random-features
    i_n = int((pk.m - p["n_train"]).abs().argmin())
    at_n, best = pk.iloc[i_n], pk.loc[pk.val_rel_error.idxmin()]
    v = random_features_verdict(float(at_n.val_rel_error), float(best.val_rel_error))
    out.append(Finding(
        "001.random-features", v,
        f"peaks on [-3, 3]^2, {p['n_train']} training points, tanh, K and b standard normal, "
        f"lambda = 1e-10, widths up to {max(p['peaks_widths'])}",
        values={"val_at_m_eq_n": float(at_n.val_rel_error), "train_at_m_eq_n":
                float(at_n.train_rel_error), "best_val": float(best.val_rel_error),
                "best_m": int(best.m)},
        figures=("single_layer_peaks",), section="sl-random-features",
        note="" if v == "reproduced" else
        ("the training error reaches interpolation only at m ~ n (\"may require very large "
         "K\"), but with this many points on so smooth a surface the interpolant still "
         "generalises: the concern is a possibility, not seen in this run")))
    # 001.jacobians
    summ, adj = checks["derivative_summary"], checks["adjoint"]
    v = checks_verdict(summ.passed, adj.passed)
    out.append(Finding(
        "001.jacobians", v,
        "m = 8, n_f = 5, n = 12, tanh and ReLU, J_K, J_b, J_Y and the loss gradient; "
        "derivative check (order 2) and adjoint test (a few hundred eps)",
        values={"order1_min": float(summ.order1.min()), "adjoint_worst": float(
            adj.rel_error.max())},
        figures=("single_layer_derivative_check",), section="sl-jacobians",
        note="" if v == "reproduced" else "a check failed: a bug in the library's mat-vecs",
        tried=("tanh and ReLU, 16 steps",) if v == "not reproduced" else ()))
    # 001.nonconvex
    fK, fW = _landscape_fractions(land["E"])
    v = nonconvexity_verdict(fK, fW)
    out.append(Finding(
        "001.nonconvex", v, crime_regime + f"; two random directions, radius 2, "
                                           f"{p['landscape_grid']}^2 grid",
        values={"negative_second_differences_dK": fK, "negative_second_differences_dW": fW},
        figures=("single_layer_landscape",), section="sl-nonconvex",
        note={"reproduced": "",
              "reproduced with a caveat": "negative second differences along dW at rounding "
                                          "level",
              "not reproduced": "no negative curvature found along the direction dK"}[v],
        tried=("one pair of random directions at radius 2",) if v == "not reproduced" else ()))
    # 001.gn-fast
    rec, per_work = _gn_work_comparison(crime)
    gn_ex = float(rec.loc["Gauss-Newton-CG", "final_excess"])
    others = float(min(rec.loc["L-BFGS", "final_excess"], rec.loc["gradient descent",
                                                                   "final_excess"]))
    v = gn_speed_verdict(gn_ex, others, per_work["Gauss-Newton-CG"], per_work["L-BFGS"])
    out.append(Finding(
        "001.gn-fast", v, crime_regime + f"; random start, {p['crime_iter']} iterations, "
                                         "10 CG steps per Gauss-Newton step",
        values={"gn_excess": gn_ex, "best_other_excess": others,
                "gn_excess_within_lbfgs_work": per_work["Gauss-Newton-CG"],
                "lbfgs_excess": per_work["L-BFGS"]},
        figures=("single_layer_inverse_crime",), section="sl-gauss-newton",
        note={"reproduced": "",
              "reproduced with a caveat": "faster per iteration, but its inner CG steps cost "
                                          "more work than L-BFGS needs for the same loss",
              "not reproduced": "Gauss-Newton does not win even per iteration here"}[v],
        tried=(f"{p['crime_iter']} iterations from the same random start; per iteration and "
               "per mat-vec",) if v == "not reproduced" else ()))
    # 001.inverse-crime
    ident_ok = is_identified(ident["n_zero"], ident["n_shift"], ident["alignment"])
    all_budgets = budgets
    seed0 = int(budgets.seed.min())
    budgets = budgets[budgets.seed == seed0]
    blk = budgets[budgets.method.str.startswith("block")].sort_values("budget")
    cpl = budgets[budgets.method.str.startswith("coupled")].sort_values("budget")
    slide_err = float(blk.K_rel_error.iloc[0])
    best_row = budgets.loc[budgets.K_rel_error.idxmin()]
    v = inverse_crime_verdict(ident_ok, slide_err, float(best_row.K_rel_error))
    tried = (tuple(f"{r.method}, budget {r.budget}: K error {r.K_rel_error:.3f}"
                   for r in budgets.itertuples())
             + tuple(f"block Gauss-Newton, {r.setting}: K error {r.K_rel_error:.3f}"
                     for r in variants.itertuples()))
    out.append(Finding(
        "001.inverse-crime", v, crime_regime + "; start: the truth perturbed by 10 %",
        values={"hessian_zero_eigenvalues": ident["n_zero"], "softmax_shift_dim": m,
                "null_space_alignment": ident["alignment"],
                "smallest_positive_eigenvalue": ident["smallest_positive"],
                "condition_number": ident["condition"], "preactivation_std":
                ident["preact_std"], "median_tanh_prime": ident["median_dsigma"],
                "K_error_slide_gn": slide_err, "K_error_best": float(best_row.K_rel_error),
                "K_error_lbfgs_random_start": float(
                    budgets[budgets.method == "L-BFGS, random start"].K_rel_error.min())
                if (budgets.method == "L-BFGS, random start").any() else "not run",
                "best_method": f"{best_row.method}, budget {best_row.budget}"},
        figures=("single_layer_hessian_spectrum", "single_layer_budgets"),
        section="sl-identifiability",
        note={"reproduced": "the slide's Gauss-Newton recovers K from the 10 % start",
              "reproduced with a caveat": (
                  "the weights are identified (the Hessian at the truth vanishes only on the "
                  "softmax shift) but badly conditioned because tanh saturates; the slide's "
                  "block Gauss-Newton does not recover K, "
                  f"{best_row.method} with budget {best_row.budget} does"),
              "not reproduced": (
                  "the Hessian at the truth has more zero directions than the softmax shift"
                  if not ident_ok else "no optimiser or budget tried recovered K to 5 %")}[v],
        tried=tried if v == "not reproduced" else ()))
    # 001.gn-second-term
    off = curv[curv.perturbation > 0]
    nearest = off.loc[off.perturbation.idxmin()]
    v = second_term_verdict(off.perturbation.to_numpy(), off.second_term.to_numpy(),
                            int(nearest.n_negative))
    out.append(Finding(
        "001.gn-second-term", v, crime_regime + "; truth, truth + "
        + ", ".join(f"{e:.0%}" for e in p["perturbations"]) + " and the random start",
        values={f"ratio_at_{r.point}": float(r.second_term) for r in curv.itertuples()}
        | {"negative_eigenvalues_nearest": int(nearest.n_negative),
           "most_negative_nearest": float(nearest.most_negative)},
        figures=("single_layer_curvature",), section="sl-gauss-newton",
        note={"reproduced": "",
              "reproduced with a caveat": (
                  "the neglected term shrinks with the distance to the truth (zero there) and "
                  "is small in norm nearby, but it already makes the exact Hessian indefinite "
                  f"({int(nearest.n_negative)} negative eigenvalues at the nearest point): "
                  "small against the Hessian's norm, not against its smallest curvatures"),
              "not reproduced": "the neglected term does not shrink towards the truth"}[v],
        tried=("distances " + ", ".join(f"{e:.0%}" for e in p["perturbations"])
               + " and a random start",) if v == "not reproduced" else ()))
    # 001.gn-second-indefinite
    v = indefinite_verdict(off.residual_n_neg.to_numpy(), off.residual_n_pos.to_numpy())
    out.append(Finding(
        "001.gn-second-indefinite", v, crime_regime + "; truth + "
        + ", ".join(f"{e:.0%}" for e in p["perturbations"]) + " and the random start",
        values={f"neg_pos_at_{r.point}": f"{r.residual_n_neg} / {r.residual_n_pos}"
                for r in off.itertuples()},
        figures=("single_layer_curvature",), section="sl-gauss-newton",
        note="" if v == "reproduced" else "the neglected term had one sign at every point",
        tried=("the distances listed",) if v == "not reproduced" else ()))
    # 001.gn-coupling
    def per_seed(prefix):
        sub = all_budgets[all_budgets.method.str.startswith(prefix)]
        return sub.pivot(index="seed", columns="budget", values="K_rel_error").to_numpy()

    blk_all, cpl_all = per_seed("block"), per_seed("coupled")
    lb_all = all_budgets[all_budgets.method == "L-BFGS"].groupby("seed").K_rel_error.min()
    n_seeds = blk_all.shape[0]
    v, contra = coupling_verdict(curv.coupling.to_numpy(), blk_all, cpl_all)
    out.append(Finding(
        "001.gn-coupling", v, crime_regime + f"; start: truth + 10 %, {p['crime_iter']} "
        "outer iterations, inner CG budgets " + ", ".join(str(b) for b in p["cg_budgets"]),
        values={"coupling_min": float(curv.coupling.min()),
                "coupling_max": float(curv.coupling.max())}
        | {f"block_K_error_cg{r.budget}": float(r.K_rel_error) for r in blk.itertuples()}
        | {f"coupled_K_error_cg{r.budget}": float(r.K_rel_error) for r in cpl.itertuples()}
        | {"seeds": n_seeds,
           "seeds_block_drifts": int(np.sum(blk_all[:, -1] > blk_all[:, 0])),
           "seeds_coupled_best_better": int(np.sum(cpl_all.min(axis=1) < blk_all.min(axis=1))),
           "lbfgs_best_K_error_worst_seed": float(lb_all.max())},
        figures=("single_layer_curvature", "single_layer_budgets"), section="sl-gauss-newton",
        note={"reproduced": "",
              "reproduced with a caveat": (
                  "the coupling between the K, b and W blocks is not small (it is "
                  f"{curv.coupling.min():.0%}-{curv.coupling.max():.0%} of the Gauss-Newton "
                  "matrix), but dropping it did not hurt the recovery here"),
              "finding of ours": (
                  "the coupling is not small anywhere, the truth included "
                  f"({curv.coupling.min():.0%}-{curv.coupling.max():.0%} of the Gauss-Newton "
                  "matrix in Frobenius norm); with the lecture's step control (undamped "
                  "Gauss-Newton-CG steps and a line search) and the coupling dropped, more "
                  f"accurate inner solves move K away from the truth (on {n_seeds} of {n_seeds} "
                  "data sets), and the coupled Gauss-Newton at its best budget gets closer. "
                  "The drift comes from the block matrix together with undamped steps: the "
                  "referee's adaptive Levenberg-Marquardt damping removes it, but the block "
                  "method then stalls near K error 0.07 where the damped coupled one reaches "
                  "0.014; L-BFGS recovers K "
                  f"to {lb_all.max():.3f} or better on every data set")}[v],
        contradicts=contra,
        tried=(tuple(f"block and coupled Gauss-Newton with {b} CG steps per iteration"
                     for b in p["cg_budgets"])
               + (f"{n_seeds} data sets (seeds {seed0} to {seed0 + n_seeds - 1})",)
               + tuple(f"block Gauss-Newton, {r.setting}: K error {r.K_rel_error:.3f}"
                       for r in variants.itertuples())
               + ("exact (pseudo-inverse) inner solves at the truth + "
                  + ", ".join(f"{e:.0%}" for e in p["perturbations"]) + " and a random start",
                  f"L-BFGS budgets {', '.join(str(i) for i in p['lbfgs_iters'])} as a "
                  "reference") + REFEREE_GN_COUPLING) if contra else ()))
    # 001.adversarial
    fooled = int(np.argmax(adv.prob_after)) == adv.target
    v = adversarial_verdict(fooled, adv.relative_norm)
    out.append(Finding(
        "001.adversarial", v,
        f"scikit-learn digits (8 x 8, [0, 1]), single layer m = {p['adv_m']} trained by "
        f"Gauss-Newton ({p['adv_iter']} iterations), box-constrained penalised L-BFGS-B",
        values={"test_accuracy": adv.test_accuracy, "relative_norm": adv.relative_norm,
                "p_target_after": float(adv.prob_after[adv.target])},
        figures=("single_layer_adversarial",), section="sl-adversarial",
        note={"reproduced": "",
              "reproduced with a caveat": "the target was reached only with a perturbation "
                                          "larger than half the image's norm",
              "not reproduced": "the penalised problem never reached the target class"}[v],
        tried=(f"{p['adv_lambdas']} penalties from 1e3 to 1e-3",)
        if v == "not reproduced" else ()))
    return out


def prose(res: SingleLayerChapter) -> dict:
    """The chapter's glued numbers and phrases, formatted (name -> string).

    Formatting only: the verdicts come from the findings (``claims.publish``); the phrases
    here describe what this run shows (which side of a comparison, which way a curve bends).
    """
    ranks, pk, p = res.ranks, res.peaks, res.params
    n_tr = p["n_train"]
    i_n = int((pk.m - n_tr).abs().argmin())
    at_n, best = pk.iloc[i_n], pk.loc[pk.val_rel_error.idxmin()]
    out = formatted("", {
        "sl-rank-n": int(ranks.max_rank.max()), "sl-rank-nf": int(ranks.rank_Y.iloc[0]),
        "sl-rank-ident": int(ranks[ranks.activation == "identity"].rank_Z.max()),
        "sl-peaks-ntrain": n_tr, "sl-peaks-best-m": int(best.m),
        "sl-peaks-small-m": int(pk.m.iloc[0])})
    nl = ranks[ranks.activation != "identity"]
    out["sl-rank-full"] = ("every width" if bool((nl.rank_Z == nl.max_rank).all())
                           else "all but some widths")
    out["sl-peaks-train-at-n"] = f"{at_n.train_rel_error:.1e}"
    out |= formatted(".2f", {"sl-peaks-val-at-n": at_n.val_rel_error,
                             "sl-peaks-small-val": pk.val_rel_error.iloc[0]})
    out["sl-peaks-best-val"] = f"{best.val_rel_error:.3f}"
    v = pk.val_rel_error.to_numpy()
    rise = 0 < i_n and v[i_n] > v[i_n - 1]
    fall = i_n + 1 < len(v) and v[i_n + 1] < v[i_n]
    if rise and fall:
        shape = ("The curve is not monotone: the validation error rises as m approaches n, where "
                 "the Gram matrix of the features is worst conditioned, and falls again beyond "
                 "it, where the tiny regularisation picks the minimum-norm interpolant.")
    elif rise:
        shape = ("The validation error rises as m approaches n and does not come down within "
                 "the widths tried.")
    else:
        shape = "In this run the validation error does not rise near m = n."
    out["sl-peaks-shape"] = shape
    out["sl-peaks-illcond"] = (f"{res.n_illconditioned} of the regularised solves"
                               if res.n_illconditioned else "none of the regularised solves")
    out["sl-peaks-gen"] = (
        "the model interpolates its training points and oscillates between them, the "
        "lecture's concern that random features \"may not generalize well\""
        if at_n.val_rel_error > 3 * best.val_rel_error else
        "with this many training points on so smooth a surface the interpolant still "
        "generalises, so the lecture's concern that random features \"may not generalize "
        "well\" does not bite in this run")
    summ, adj = res.checks["derivative_summary"], res.checks["adjoint"]
    out["sl-checks-all"] = "pass" if summ.passed.all() and adj.passed.all() else "do NOT all pass"
    out["sl-adjoint-worst"] = pow10(float(adj.rel_error.max()))
    out["sl-adjoint-rtol"] = f"{adj.rtol.iloc[0]:.1e}"
    o1 = summ[summ.activation == "tanh"].order1
    out["sl-order-tanh"] = f"{o1.min():.2f} to {o1.max():.2f}"
    fK, fW = _landscape_fractions(res.landscape["E"])
    out |= formatted(".0%", {"sl-land-neg-s": fK, "sl-land-neg-t": fW})
    # the inverse crime from a random start and from the truth + 10 %
    cr, near = res.crime, res.crime_near_truth
    rec, per_work = _gn_work_comparison(cr)
    gn, gd, lb = (rec.loc[k] for k in ("Gauss-Newton-CG", "gradient descent", "L-BFGS"))
    out["sl-ic-sizes"] = "n = {n}, n_f = {n_f}, n_c = {n_c}, m = {m}".format(**cr.sizes)
    out["sl-ic-iters"] = f"{int(gn.iterations)}"
    out |= formatted(".1e", {"sl-ic-gn": gn.final_excess, "sl-ic-gd": gd.final_excess,
                             "sl-ic-lb": lb.final_excess,
                             "sl-ic-gn-at-lbwork": per_work["Gauss-Newton-CG"]})
    out |= formatted(",", {"sl-ic-gn-mv": int(gn.matvecs), "sl-ic-lb-mv": int(lb.matvecs)})
    out |= formatted(".2f", {"sl-ic-gn-K": gn.K_rel_error, "sl-ic-gn-K0": gn.K_rel_error_start,
                             "sl-ic-gn-val": gn.val_kl})
    out["sl-ic-per-iter"] = ("Per iteration Gauss-Newton wins"
                             if gn.final_excess < min(gd.final_excess, lb.final_excess)
                             else "Gauss-Newton does not even win per iteration here")
    lb_ahead = per_work["L-BFGS"] < per_work["Gauss-Newton-CG"]
    out["sl-ic-per-work-intro"] = ("per unit of work it is another story" if lb_ahead
                                   else "per unit of work it stays ahead")
    out["sl-ic-winner-work"] = "L-BFGS" if lb_ahead else "Gauss-Newton"
    nrec = near.recovery.set_index("method")
    ngn, nlb = nrec.loc["Gauss-Newton-CG"], nrec.loc["L-BFGS"]
    out |= formatted(".3f", {"sl-near-K": ngn.K_rel_error, "sl-near-K0": ngn.K_rel_error_start,
                             "sl-near-lb-K": nlb.K_rel_error})
    out |= formatted(".1e", {"sl-near-val": ngn.val_kl, "sl-near-gn-exc": ngn.final_excess,
                             "sl-near-lb-exc": nlb.final_excess, "sl-near-lb-val": nlb.val_kl})
    out["sl-near-verdict"] = ("closer to the truth than it started"
                              if ngn.K_rel_error < ngn.K_rel_error_start
                              else "further from the truth than it started")
    out["sl-near-order"] = "ahead of" if ngn.final_excess < nlb.final_excess else "behind"
    # identifiability at the truth
    idf = res.identifiability
    out["sl-id-size"] = f"{idf['size']:,}"
    out |= formatted("", {"sl-id-zero": idf["n_zero"], "sl-id-m": idf["n_shift"]})
    out["sl-id-align"] = f"{1 - idf['alignment']:.0e}" if idf["alignment"] < 1 else "0"
    out |= formatted(".1e", {"sl-id-smallest": idf["smallest_positive"],
                             "sl-id-cond": idf["condition"],
                             "sl-id-median-dsigma": idf["median_dsigma"]})
    out |= formatted(".0e", {"sl-id-gap": idf["gap"], "sl-id-inv-cond": 1.0 / idf["condition"]})
    out |= formatted(".1f", {"sl-id-preact": idf["preact_std"],
                             "sl-id-sqrtnf": np.sqrt(idf["sizes"]["n_f"])})
    out["sl-id-largest"] = f"{idf['largest']:.2f}"
    out["sl-id-conclusion"] = (
        "The data do determine the weights; the problem is very badly conditioned."
        if is_identified(idf["n_zero"], idf["n_shift"], idf["alignment"]) else
        "The Hessian vanishes on more than the shift: the data do not determine the weights "
        "even locally.")
    out["sl-id-saturated"] = f"{idf['frac_saturated']:.0%}"
    block_ev = idf["block_eigenvalues"]
    out["sl-id-block-zero"] = f"{int(np.sum(np.abs(block_ev) <= ZERO_TOL * block_ev[-1]))}"
    # optimiser budgets
    allb = res.budgets
    bud = allb[allb.seed == allb.seed.min()]
    blk = bud[bud.method.str.startswith("block")].sort_values("budget")
    cpl = bud[bud.method.str.startswith("coupled")].sort_values("budget")
    lbf = bud[bud.method == "L-BFGS"].sort_values("budget")
    out["sl-bud-start"] = f"{bud.K_rel_error_start.iloc[0]:.3f}"
    out["sl-bud-iter"] = f"{int(p['crime_iter'])}"
    out["sl-bud-block"] = joined(blk.K_rel_error, ".3f")
    out["sl-bud-coupled"] = joined(cpl.K_rel_error, ".3f")
    out["sl-bud-cg"] = joined(int(b) for b in blk.budget)
    out["sl-bud-lbfgs"] = joined(lbf.K_rel_error, ".3f")
    out["sl-bud-lbfgs-its"] = joined((int(b) for b in lbf.budget), ",")
    seeds = sorted(allb.seed.unique())
    ends = []
    for sd in seeds:
        b = allb[(allb.seed == sd) & allb.method.str.startswith("block")].sort_values("budget")
        ends.append((b.K_rel_error.iloc[0], b.K_rel_error.iloc[-1]))
    out["sl-bud-nseeds"] = f"{len(seeds)}"
    out["sl-bud-seeds-drift"] = f"{sum(e1 > e0 for e0, e1 in ends)}"
    out["sl-bud-seeds-ends"] = "; ".join(f"{e0:.2f} to {e1:.2f}" for e0, e1 in ends)
    lbfgs_best = allb[allb.method == "L-BFGS"].groupby("seed").K_rel_error.min()
    out["sl-bud-seeds-lbfgs"] = f"{lbfgs_best.max():.3f}"
    rnd = bud[bud.method == "L-BFGS, random start"]
    if len(rnd):
        r0 = rnd.iloc[0]
        out["sl-rnd-its"] = f"{int(r0.budget):,}"
        out["sl-rnd-exc"] = f"{r0.final_excess:.1e}"
        out |= formatted(".2f", {"sl-rnd-K": r0.K_rel_error, "sl-rnd-K0": r0.K_rel_error_start,
                                 "sl-rnd-W": r0.W_rel_error_centred})
        out["sl-rnd-conclusion"] = (
            "from there too the optimiser finds the truth" if r0.K_rel_error <= 0.05 else
            "a network that fits the data but is not the truth; the data determine the weights "
            "near the truth, and that is not where a random start leads")
    var = res.block_variants
    out["sl-var-settings"] = "; ".join(f"{r.setting}: {r.K_rel_error:.3f}"
                                       for r in var.itertuples())
    out["sl-var-best"] = f"{var.K_rel_error.min():.3f}"
    rescued = var.K_rel_error.min() <= 0.05
    out["sl-var-intro"] = ("Some of the usual repairs do rescue the block method at these sizes"
                           if rescued else "Nor do the usual repairs rescue the block method")
    out["sl-bud-block-trend"] = ("moves away from the truth as its inner solves get more "
                                 "accurate" if blk.K_rel_error.iloc[-1] > blk.K_rel_error.iloc[0]
                                 else "gets closer to the truth with more inner steps")
    # curvature models against the distance
    cv = res.curvature
    off = cv[cv.perturbation > 0]
    fin = off[np.isfinite(off.perturbation)]
    nearest = off.loc[off.perturbation.idxmin()]
    out["sl-cv-second"] = joined(fin.second_term, ".3f")
    out["sl-cv-dists"] = joined(fin.perturbation, ".0%")
    out["sl-cv-second-random"] = f"{off.second_term.iloc[-1]:.2f}"
    out["sl-cv-neg-nearest"] = f"{int(nearest.n_negative):,}"
    out["sl-cv-neg-most"] = f"{-nearest.most_negative:.1e}"
    out |= formatted(".0%", {"sl-cv-coupling-lo": cv.coupling.min(),
                             "sl-cv-coupling-hi": cv.coupling.max(),
                             "sl-cv-coupling-truth": cv.coupling.iloc[0],
                             "sl-cv-nearest": nearest.perturbation})
    out |= formatted(".3f", {"sl-cv-exact-block-K": nearest["K_after_block"],
                             "sl-cv-exact-gn-K": nearest["K_after_gauss-newton"],
                             "sl-cv-exact-newton-K": nearest["K_after_exact"],
                             "sl-cv-nearest-K0": nearest.K_rel_error})
    # recovery against n
    rv = res.recovery
    out |= formatted(",", {"sl-rec-nmax": int(rv.n.max()), "sl-rec-n0": int(rv.n.iloc[0])})
    out |= formatted(".1e", {"sl-rec-K": rv.K_rel_error.iloc[-1],
                             "sl-rec-W": rv.W_rel_error_centred.iloc[-1],
                             "sl-rec-Wraw": rv.W_rel_error_raw.iloc[-1]})
    out["sl-rec-K0"] = f"{rv.K_rel_error.iloc[0]:.2f}"
    # adversarial
    adv = res.adversarial
    out |= formatted(".1%", {"sl-adv-acc": adv.test_accuracy, "sl-adv-rel": adv.relative_norm})
    out |= formatted("", {"sl-adv-label": adv.label, "sl-adv-target": adv.target})
    out |= formatted(".3f", {"sl-adv-pbefore": adv.prob_before[adv.label],
                             "sl-adv-pafter": adv.prob_after[adv.target],
                             "sl-adv-ptrue-after": adv.prob_after[adv.label]})
    out["sl-adv-maxpix"] = f"{np.abs(adv.perturbed - adv.image).max():.2f}"
    return out
