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
    _softmax_columns,
    softmax_shift_basis,
)
from ._prose import formatted, joined, pow10
from ..claims import held_for_referee

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
    "separability_check",
    "linear_fit_check",
    "conjecture_fit_check",
    "random_labels_interpolation",
    "nonconvexity_vs_depth",
    "vec_kron_check",
    "gradient_chain_check",
    "gn_hessian_check",
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
    "separability_verdict",
    "linear_fit_verdict",
    "conjecture_verdict",
    "interpolation_verdict",
    "depth_verdict",
    "identity_verdict",
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
# The ledger's remaining rows of seed 001 (issue 14): separability, linear fit, the
# conjecture, interpolation, depth, vec-Kronecker, the chain rule and the Hessian in K
# --------------------------------------------------------------------------------------------
def _lp_separable(F, y) -> bool:
    """True when a hyperplane separates the columns of ``F`` by the signs ``y`` (LP feasibility).

    Finds (w, c) with y_j (w^T f_j + c) >= 1 for all j (scale-free margin), by
    :func:`scipy.optimize.linprog` with a zero objective.
    """
    d, n = F.shape
    A = -(y[:, None] * np.vstack([F, np.ones((1, n))]).T)
    res = scipy.optimize.linprog(np.zeros(d + 1), A_ub=A, b_ub=-np.ones(n),
                                 bounds=[(None, None)] * (d + 1), method="highs")
    return bool(res.status == 0)


def _ls_accuracy(F, y) -> float:
    """Training accuracy of the least-squares linear classifier sign(w^T f + c)."""
    A = np.vstack([F, np.ones((1, F.shape[1]))]).T
    w = np.linalg.lstsq(A, y, rcond=None)[0]
    return float(np.mean(np.sign(A @ w) == y))


def separability_check(*, n: int = 200, m: int = 50, noise: float = 0.1, random_state=0):
    r"""``001.embed-separable``: two concentric rings, before and after an embedding.

    ``n`` points, half on a ring of radius 1 and half of radius 2 (radial noise ``noise``),
    labels :math:`\pm 1`. Separability by an LP feasibility test and, as a second measure, the
    training accuracy of a least-squares linear classifier, on the raw points, the lifted
    points :math:`(y_1, y_2, y_1^2 + y_2^2)` (a higher dimension) and random tanh features
    :math:`\sigma(KY + b)` of width ``m`` (K, b standard normal: moved and embedded).
    """
    n = check_int(n, "n", minimum=4)
    m = check_int(m, "m", minimum=1)
    rng = as_rng([random_state, 11])
    lab = np.where(np.arange(n) < n // 2, -1.0, 1.0)
    r = np.where(lab < 0, 1.0, 2.0) + noise * rng.standard_normal(n)
    ang = rng.uniform(0, 2 * np.pi, n)
    Y = np.vstack([r * np.cos(ang), r * np.sin(ang)])
    lifted = np.vstack([Y, np.sum(Y**2, axis=0)])
    Z = np.tanh(rng.standard_normal((m, 2)) @ Y + rng.standard_normal((m, 1)))
    out = {"n": n, "m": m}
    for name, F in (("raw", Y), ("lifted", lifted), ("random", Z)):
        out[f"separable_{name}"] = _lp_separable(F, lab)
        out[f"accuracy_{name}"] = _ls_accuracy(F, lab)
    return out


def linear_fit_check(*, n: int = 200, n_f: int = 5, n_c: int = 3, n_rep: int = 20,
                     random_state=0):
    r"""``001.linear-fit``: :math:`C = WY` with rank(Y) < n, and least squares.

    ``n_rep`` draws of Gaussian :math:`Y` (:math:`n_f \times n`) and :math:`C`
    (:math:`n_c \times n`). No exact solution: rank([Y; C]) > rank(Y). Least squares
    :math:`W = CY^\top(YY^\top)^{-1}` (normal equations) against ``lstsq``; its relative
    squared residual :math:`\|WY - C\|^2/\|C\|^2` against the closed form
    :math:`\mathbb E = (n - n_f)/n` for Gaussian C independent of Y (the residual is C projected
    on the :math:`n - n_f` dimensional complement of Y's row space). Control: :math:`C = W_0 Y`
    is fitted exactly.
    """
    n = check_int(n, "n", minimum=2)
    n_f = check_int(n_f, "n_f", minimum=1)
    n_c = check_int(n_c, "n_c", minimum=1)
    n_rep = check_int(n_rep, "n_rep", minimum=2)
    if n_f >= n:
        raise ValueError(f"n_f must be below n (rank(Y) < n), got n_f = {n_f}, n = {n}")
    rng = as_rng([random_state, 12])
    ratios, no_sol, ne_err, ctrl = [], [], [], []
    for _ in range(n_rep):
        Y = rng.standard_normal((n_f, n))
        C = rng.standard_normal((n_c, n))
        no_sol.append(np.linalg.matrix_rank(np.vstack([Y, C])) > np.linalg.matrix_rank(Y))
        W = np.linalg.lstsq(Y.T, C.T, rcond=None)[0].T
        W_ne = np.linalg.solve(Y @ Y.T, Y @ C.T).T
        ne_err.append(float(np.max(np.abs(W - W_ne)) / np.max(np.abs(W))))
        ratios.append(float(np.sum((W @ Y - C) ** 2) / np.sum(C**2)))
        C0 = rng.standard_normal((n_c, n_f)) @ Y
        W0 = np.linalg.lstsq(Y.T, C0.T, rcond=None)[0].T
        ctrl.append(float(np.linalg.norm(W0 @ Y - C0) / np.linalg.norm(C0)))
    ratios = np.array(ratios)
    return {"ratio_mean": float(ratios.mean()),
            "ratio_se": float(ratios.std(ddof=1) / np.sqrt(n_rep)),
            "ratio_closed": (n - n_f) / n, "no_solution_all": bool(all(no_sol)),
            "normal_vs_lstsq": max(ne_err), "control_residual": max(ctrl),
            "n": n, "n_f": n_f, "n_c": n_c, "n_rep": n_rep}


def conjecture_fit_check(*, n: int = 200, n_f: int = 5, n_c: int = 3, ms=(200, 300),
                         activations=("tanh", "relu"), random_state=0):
    r"""``001.conjecture-fit``: with rank(sigma(KY + b)) = n, W sigma(KY + b) = C exactly.

    Gaussian :math:`Y`, random one-hot :math:`C` (arbitrary labels), :math:`K, b` standard
    normal, :math:`m \ge n`. :math:`W` two ways: ``lstsq`` of :math:`Z^\top W^\top = C^\top`
    and :math:`C Z^+` (pseudo-inverse); relative residual :math:`\|WZ - C\|/\|C\|`, beside the
    rank and the condition number of :math:`Z` (rounding allows about
    :math:`\epsilon\,\kappa(Z)`). A control: the identity activation (rank n_f + 1) leaves a
    large residual.
    """
    n = check_int(n, "n", minimum=2)
    rng = as_rng([random_state, 13])
    Y = rng.standard_normal((n_f, n))
    C = np.eye(n_c)[:, rng.integers(0, n_c, n)]
    rows = []
    for act in tuple(activations) + ("identity",):
        for m in ms:
            m = check_int(m, "ms", minimum=1)
            Z = single_layer(rng.standard_normal((m, n_f)), rng.standard_normal(m), Y, act).Z
            W1 = np.linalg.lstsq(Z.T, C.T, rcond=None)[0].T
            W2 = C @ np.linalg.pinv(Z)
            s = np.linalg.svd(Z, compute_uv=False)
            rows.append({"activation": act, "m": m, "n": n, "rank": int(np.linalg.matrix_rank(Z)),
                         "cond": float(s[0] / s[-1]) if s[-1] > 0 else float("inf"),
                         "resid_lstsq": float(np.linalg.norm(W1 @ Z - C) / np.linalg.norm(C)),
                         "resid_pinv": float(np.linalg.norm(W2 @ Z - C) / np.linalg.norm(C))})
    return pd.DataFrame(rows)


def random_labels_interpolation(*, n: int = 150, ms=(150, 225), reg: float = 1e-10,
                                random_state=0) -> pd.DataFrame:
    r"""``001.random-features.interpolate``: random features fit *any* function of the points.

    Peaks points as in :func:`peaks_random_features`, with i.i.d. standard normal targets (a
    function with no structure at all); the training relative error of
    :func:`kernelnet.single_layer.random_features` (tanh, ``reg``) at widths ``ms``, and the
    number of ill-conditioning warnings SciPy raised for its Gram solve (caught, not shown).
    """
    rng = as_rng([random_state, 14])
    Y, _ = peaks_data(n, random_state=rng)
    z = rng.standard_normal((1, n))
    import warnings

    from scipy.linalg import LinAlgWarning

    rows = []
    for m in ms:
        with warnings.catch_warnings(record=True) as caught:  # expected: counted, not shown
            warnings.simplefilter("always", LinAlgWarning)
            rf = random_features(Y, z, m, reg=reg, random_state=rng)
        rows.append({"m": int(m), "train_rel_error":
                     float(np.linalg.norm(rf.predict(Y) - z) / np.linalg.norm(z)),
                     "ill_conditioned": sum(issubclass(w.category, LinAlgWarning)
                                            for w in caught)})
    return pd.DataFrame(rows)


def _deep_forward(Ws, bs, Y):
    H = Y
    for K, b in zip(Ws[:-1], bs):
        H = np.tanh(K @ H + b[:, None])
    return Ws[-1] @ H


def nonconvexity_vs_depth(depths=(1, 2, 3, 4), *, n: int = 200, n_f: int = 10, n_c: int = 5,
                          m: int = 20, n_lines: int = 8, grid: int = 41, radius: float = 2.0,
                          weight_scale: str = "fan-in", random_state=0) -> pd.DataFrame:
    r"""``001.nonconvex-depth``: negative curvature along random lines, by number of layers.

    For each depth L (tanh hidden layers of width ``m``, then a linear layer and softmax
    cross-entropy), a teacher network of that depth generates soft labels from Gaussian inputs
    (the lecture's inverse crime, deeper); along ``n_lines`` random lines through the truth,
    every layer's direction scaled to that layer's norm (the slide's convention), the
    fraction of negative second differences on ``grid`` points in :math:`[-r, r]` (below
    -1e-12 max|E|: rounding) and the number of interior local minima. Weights
    :math:`N(0, 1/\text{fan-in})` (``weight_scale="fan-in"``) or :math:`N(0, 1)` as in the
    lecture's test problem (``"unit"``); biases 0.1.
    """
    check_choice(weight_scale, "weight_scale", ("fan-in", "unit"))
    grid = check_int(grid, "grid", minimum=5)
    n_lines = check_int(n_lines, "n_lines", minimum=1)
    rows = []
    for L in depths:
        L = check_int(L, "depths", minimum=1)
        rng = as_rng([random_state, 15, L])
        Y = rng.standard_normal((n_f, n))
        dims = [n_f] + [m] * L + [n_c]
        Ws = [rng.standard_normal((dims[i + 1], dims[i]))
              / (np.sqrt(dims[i]) if weight_scale == "fan-in" else 1.0)
              for i in range(L + 1)]
        bs = [np.full(m, 0.1) for _ in range(L)]
        C = _softmax_columns(_deep_forward(Ws, bs, Y))[0]
        ts = np.linspace(-radius, radius, grid)
        neg, minima = [], []
        for _ in range(n_lines):
            Ds = [rng.standard_normal(W.shape) for W in Ws]
            Ds = [D * np.linalg.norm(W) / np.linalg.norm(D) for D, W in zip(Ds, Ws)]
            E = np.array([cross_entropy(_deep_forward([W + t * D for W, D in zip(Ws, Ds)], bs,
                                                      Y), C)[0] for t in ts])
            d2 = E[2:] - 2 * E[1:-1] + E[:-2]
            neg.append(float(np.mean(d2 < -1e-12 * np.abs(E).max())))
            minima.append(int(np.sum((E[1:-1] < E[:-2]) & (E[1:-1] < E[2:]))))
        rows.append({"depth": L, "frac_negative": float(np.mean(neg)),
                     "frac_negative_se": float(np.std(neg, ddof=1) / np.sqrt(n_lines))
                     if n_lines > 1 else float("nan"),
                     "local_minima_mean": float(np.mean(minima)), "n_lines": n_lines})
    return pd.DataFrame(rows)


def vec_kron_check(*, p: int = 4, q: int = 3, r: int = 5, h: float = 1e-3, random_state=0):
    r"""``001.vec-kron``: :math:`\mathrm{vec}(AX) = (I\otimes A)\mathrm{vec}(X)` and its mat-vec.

    Column-major vec. Errors (relative, max-abs): the identity itself; the Jacobian of
    :math:`X \mapsto AX` by central differences (exact for a linear map up to rounding)
    against :math:`I\otimes A`; :math:`\mathrm{vec}(A\,\mathrm{mat}(v))` against
    :math:`(I\otimes A)v`. Control: a row-major vec, where the same Kronecker product fails.
    """
    rng = as_rng([random_state, 16])
    A = rng.standard_normal((p, q))
    X = rng.standard_normal((q, r))
    v = rng.standard_normal(q * r)
    J = np.kron(np.eye(r), A)

    def vec(M):
        return M.ravel(order="F")

    def rel(a, b):
        return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))

    Jfd = np.empty((p * r, q * r))
    x0 = vec(X)
    for k in range(q * r):
        e = np.zeros(q * r)
        e[k] = h
        Jfd[:, k] = (vec(A @ (x0 + e).reshape(q, r, order="F"))
                     - vec(A @ (x0 - e).reshape(q, r, order="F"))) / (2 * h)
    return {"identity_err": rel(J @ vec(X), vec(A @ X)), "jacobian_fd_err": rel(Jfd, J),
            "matvec_err": rel(vec(A @ v.reshape(q, r, order="F")), J @ v),
            "control_row_major_err": rel(J @ X.ravel(), (A @ X).ravel()),
            "kron_entries": int(J.size), "matvec_flops": int(2 * p * q * r)}


def gradient_chain_check(*, n: int = 30, n_f: int = 4, m: int = 6, n_c: int = 3,
                         h: float = 1e-6, random_state=0):
    r"""``001.gradient-chain``: the slide's four chain-rule gradients against finite differences.

    :math:`S = WZ`, :math:`Z = \sigma(KY + b)` (tanh, one bias per unit), mean cross-entropy
    against random soft labels. :math:`\nabla_Z E = W^\top\nabla_S E`,
    :math:`\nabla_K E = J_K^\top\nabla_Z E`, :math:`\nabla_b E = J_b^\top\nabla_Z E` (the
    library's :class:`kernelnet.single_layer.SingleLayer` transposes) and
    :math:`\nabla_W E = \nabla_S E\,Z^\top` against central differences (step ``h``). The
    slide's item 4 as written, :math:`\nabla_S E\,Y^\top`, has shape :math:`n_c\times n_f`; on a
    second network with :math:`m = n_f` (where the shapes agree) it is compared too.
    """
    rng = as_rng([random_state, 17])

    def grads(m_):
        Y = rng.standard_normal((n_f, n))
        K = rng.standard_normal((m_, n_f)) / np.sqrt(n_f)
        b = 0.1 * rng.standard_normal(m_)
        W = rng.standard_normal((n_c, m_)) / np.sqrt(m_)
        C = _softmax_columns(rng.standard_normal((n_c, n)))[0]

        def E(K_, b_, W_):
            return cross_entropy(W_ @ single_layer(K_, b_, Y).Z, C)[0]

        L = single_layer(K, b, Y)
        _, G, _ = cross_entropy(W @ L.Z, C)
        gZ = W.T @ G
        g = {"K": L.JKt(gZ.ravel(order="F")).reshape(m_, n_f, order="F"),
             "b": L.Jbt(gZ.ravel(order="F")), "W": G @ L.Z.T}
        fd = {}
        for i, P in enumerate((K, b, W)):
            F = np.zeros_like(P)
            for idx in np.ndindex(P.shape):
                e = np.zeros_like(P)
                e[idx] = h
                plus, minus = [K, b, W], [K, b, W]
                plus[i], minus[i] = P + e, P - e
                F[idx] = (E(*plus) - E(*minus)) / (2 * h)
            fd["KbW"[i]] = F
        err = {k: float(np.max(np.abs(g[k] - fd[k])) / np.max(np.abs(fd[k]))) for k in g}
        as_written = G @ Y.T
        err_w = (float(np.max(np.abs(as_written - fd["W"])) / np.max(np.abs(fd["W"])))
                 if as_written.shape == fd["W"].shape else float("nan"))
        return err, err_w

    err, _ = grads(m)
    _, err_written = grads(n_f)
    return {"err_K": err["K"], "err_b": err["b"], "err_W": err["W"],
            "err_W_as_written": err_written, "n": n, "n_f": n_f, "m": m, "n_c": n_c}


def gn_hessian_check(*, n: int = 40, n_f: int = 5, m: int = 8, n_c: int = 3, h: float = 1e-5,
                     random_state=0):
    r"""``001.gn-hessian``: the Hessian in K as the slide's two terms, built directly.

    At random weights (not a fit, so :math:`\nabla_Z E \ne 0`) against random soft labels:
    :math:`(J_K Z)^\top \nabla^2_Z E\,(J_K Z)` from the dense :math:`J_K` (columns of
    :meth:`SingleLayer.JK`) and :math:`\nabla^2_Z E = (I\otimes W)^\top\nabla^2_S E(I\otimes W)`;
    the second term :math:`\sum_{ij}\nabla^2_K\sigma(KY+b)_{ij}[\nabla_Z E]_{ij}`, block
    diagonal over the rows of K with blocks :math:`\sum_j \sigma''(a_{ij})[\nabla_Z E]_{ij}
    y_j y_j^\top`. Their sum against central differences of the gradient (``fd_err``) and
    against the library's exact Hessian (``lib_err``); the first term's smallest eigenvalue
    over its largest (``gn_min_eig_rel``: >= 0 up to rounding when it is positive
    semi-definite) and the second term's extreme eigenvalues (indefinite when of both signs).
    """
    rng = as_rng([random_state, 18])
    Y = rng.standard_normal((n_f, n))
    C = _softmax_columns(rng.standard_normal((n_c, n)))[0]
    prob = SingleLayerProblem(Y, C, m, bias="vector")
    x = prob.initial_guess(rng)
    K, b, W = prob.unpack(x)
    L = single_layer(K, b, Y)
    _, G, hS = cross_entropy(W @ L.Z, C)
    nK, nZ = m * n_f, m * n
    JK = np.column_stack([L.JK(e) for e in np.eye(nK)])
    HZ = np.column_stack([(W.T @ hS(W @ e.reshape(m, n, order="F"))).ravel(order="F")
                          for e in np.eye(nZ)])
    gn = JK.T @ HZ @ JK
    gZ = W.T @ G
    D2 = -2.0 * L.Z * L.dsigma  # tanh'' from Z and tanh'
    second = np.zeros((nK, nK))
    for i in range(m):
        idx = i + m * np.arange(n_f)  # row i of K in the column-major vec
        second[np.ix_(idx, idx)] = (Y * (D2[i] * gZ[i])) @ Y.T
    total = gn + second
    Hfd = np.empty((nK, nK))
    for k in range(nK):
        e = np.zeros(prob.size)
        e[k] = h
        Hfd[:, k] = (prob.loss_and_gradient(x + e)[1][:nK]
                     - prob.loss_and_gradient(x - e)[1][:nK]) / (2 * h)
    Hfd = 0.5 * (Hfd + Hfd.T)
    Hlib = dense_hessian(prob, x, "exact")[:nK, :nK]
    ev_gn = np.linalg.eigvalsh(0.5 * (gn + gn.T))
    ev_2 = np.linalg.eigvalsh(second)
    return {"fd_err": float(np.linalg.norm(total - Hfd) / np.linalg.norm(Hfd)),
            "lib_err": float(np.linalg.norm(total - Hlib) / np.linalg.norm(Hlib)),
            "gn_symmetry": float(np.linalg.norm(gn - gn.T) / np.linalg.norm(gn)),
            "gn_min_eig_rel": float(ev_gn[0] / ev_gn[-1]),
            "second_min_eig": float(ev_2[0]), "second_max_eig": float(ev_2[-1]),
            "second_rel": float(np.linalg.norm(second) / np.linalg.norm(total)),
            "n": n, "n_f": n_f, "m": m, "n_c": n_c}


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


def separability_verdict(raw_separable: bool, embedded_separable) -> str:
    """``001.embed-separable``: no linear separator before, one after embedding.

    ``embedded_separable`` lists the LP separability of each embedding tried. ``reproduced``
    when the raw classes are not separable and every embedding makes them so; ``reproduced
    with a caveat`` when only some do; ``not reproduced`` when the example shows nothing (the
    raw classes separable, or no embedding separating them).
    """
    emb = [bool(v) for v in embedded_separable]
    if not emb:
        raise ValueError("embedded_separable must be non-empty")
    if raw_separable or not any(emb):
        return "not reproduced"
    return "reproduced" if all(emb) else "reproduced with a caveat"


def linear_fit_verdict(no_solution_all: bool, z: float, normal_vs_lstsq: float,
                       control_residual: float, *, tol: float = 1e-10) -> str:
    """``001.linear-fit``: no exact solution, a least-squares one always, with a large residual.

    ``reproduced`` when no draw had an exact solution, the normal equations and ``lstsq``
    agree and fit a consistent control to ``tol`` (rounding), and the mean residual matches
    its closed form within 4 standard errors (``|z| <= 4``); ``reproduced with a caveat`` when
    only the closed form is off; ``not reproduced`` otherwise.
    """
    if not np.isfinite(z):
        raise ValueError(f"z must be finite, got {z!r}")
    if not (no_solution_all and normal_vs_lstsq <= tol and control_residual <= tol):
        return "not reproduced"
    return "reproduced" if abs(z) <= 4 else "reproduced with a caveat"


def conjecture_verdict(any_full_rank: bool, max_residual: float, control_residual: float, *,
                       tol: float = 1e-8) -> str:
    """``001.conjecture-fit``: *with* rank n, an exact fit of any labels.

    ``max_residual`` is the largest relative residual of W Z = C over the nonlinear Z with
    m >= n that have rank n (the statement's condition; whether random K, b reach it is
    ``001.rank``). ``reproduced`` when some Z had rank n, every such Z fitted to ``tol``
    (rounding grows like eps cond(Z), here below 1e-12) and the identity control (rank
    n_f + 1) left a large residual (> 0.1); ``reproduced with a caveat`` when the fit was only
    approximate (conditioning) or the control also fitted; ``not reproduced`` when no Z
    reached rank n (nothing to test).
    """
    if not any_full_rank:
        return "not reproduced"
    return ("reproduced" if max_residual <= tol and control_residual > 0.1
            else "reproduced with a caveat")


def interpolation_verdict(err_exact_at_n: float, err_exact_best: float, err_ridge_best: float,
                          *, tol: float = 1e-6, ridge_tol: float = 1e-3) -> str:
    """``001.random-features.interpolate``: random K, b and least squares interpolate any labels.

    On i.i.d. random labels, training errors (relative) of least squares (minimum-norm
    ``lstsq``) at m = n and at the best width tried ("m large enough"), and of the chapter's
    ridge fit at its best width. ``not reproduced`` when least squares interpolates (``tol``)
    at no width; ``reproduced`` when it does already at m = n and the ridge fit does too
    (``ridge_tol``, 0.1 %); ``reproduced with a caveat`` when it takes m > n in floating point
    or the ridge fit does not interpolate.
    """
    for name, v in (("err_exact_at_n", err_exact_at_n), ("err_exact_best", err_exact_best),
                    ("err_ridge_best", err_ridge_best)):
        if not np.isfinite(v):
            raise ValueError(f"{name} must be finite, got {v!r}")
    if not err_exact_best <= tol:
        return "not reproduced"
    if err_exact_at_n <= tol and err_ridge_best <= ridge_tol:
        return "reproduced"
    return "reproduced with a caveat"


def depth_verdict(fractions_by_scaling, ses_by_scaling=None) -> str:
    """``001.nonconvex-depth``: "expect worse when number of layers grows".

    ``fractions_by_scaling``: for each weight scaling tried, the fractions of negative second
    differences along random lines by increasing depth; ``ses_by_scaling`` their standard
    errors over the lines (default 0). A step down counts only when it exceeds twice the
    standard error of the difference (a share near saturation, about 1/2, wobbles).
    ``reproduced`` when no sequence steps down and every one rises from the first depth to the
    last by more than that; ``reproduced with a caveat`` when every one rises overall but one
    steps down on the way; ``not reproduced`` otherwise.
    """
    seqs = [np.asarray(s, dtype=float) for s in fractions_by_scaling]
    if not seqs or any(s.size < 2 or not np.all(np.isfinite(s)) for s in seqs):
        raise ValueError("fractions_by_scaling must hold finite sequences of length >= 2")
    ses = ([np.zeros_like(s) for s in seqs] if ses_by_scaling is None
           else [np.nan_to_num(np.asarray(e, dtype=float)) for e in ses_by_scaling])
    if len(ses) != len(seqs) or any(e.shape != s.shape for e, s in zip(ses, seqs)):
        raise ValueError("ses_by_scaling must match fractions_by_scaling")
    if not all(s[-1] - s[0] > 2 * np.hypot(e[-1], e[0]) for s, e in zip(seqs, ses)):
        return "not reproduced"
    down = any(np.any(np.diff(s) < -2 * np.hypot(e[1:], e[:-1])) for s, e in zip(seqs, ses))
    return "reproduced with a caveat" if down else "reproduced"


def identity_verdict(errors, control_error: float, *, tol: float = 1e-10) -> str:
    """``001.vec-kron``, ``001.gradient-chain``, ``001.gn-hessian``: formulas against numbers.

    ``errors``: relative errors of each formula against its independent computation (rounding
    or central differences), all at most ``tol``; ``control_error``: the same comparison for a
    wrong variant (row-major vec; the slide's Y for Z; ...), which must fail (> 1e3 ``tol``),
    or NaN when there is no control. ``reproduced`` when the formulas hold and the control
    fails; ``reproduced with a caveat`` when the control does not discriminate; ``not
    reproduced`` when a formula fails.
    """
    e = np.asarray(errors, dtype=float)
    if e.size == 0 or not np.all(np.isfinite(e)):
        raise ValueError("errors must be non-empty and finite")
    if np.any(e > tol):
        return "not reproduced"
    if np.isnan(control_error) or control_error > 1e3 * tol:
        return "reproduced"
    return "reproduced with a caveat"


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
    "depths": Parameter(tuple, (1, 2, 3, 4), (1, 2, 3, 4),
                        lambda v: _ints_ok(v) and len(v) >= 2 and list(v) == sorted(v),
                        "numbers of hidden layers compared for non-convexity (increasing)"),
    "depth_lines": Parameter(int, 32, 64, lambda v: v >= 2,
                             "random lines per depth and weight scaling (non-convexity)"),
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
    ledger: dict = None


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
    led = _ledger_checks(p, seed)
    findings += _ledger_findings(p, led)
    return SingleLayerChapter(ranks, pk, fit, n_ill, checks, land, crime, near, rec, ident, curv,
                              budgets, variants, adv, dict(quick=quick, seed=seed, **p),
                              tuple(findings), led)


def _ledger_checks(p, seed):
    """The checks of the ledger's last rows of seed 001 (small; sizes from ``p``)."""
    n_tr = p["n_train"]
    ms = (n_tr, 2 * n_tr, 4 * n_tr)
    return {
        "separability": separability_check(random_state=seed),
        "linear_fit": linear_fit_check(random_state=seed),
        "conjecture": conjecture_fit_check(random_state=seed),
        "interp_ridge": random_labels_interpolation(n=n_tr, ms=ms, random_state=seed),
        "interp_exact": random_labels_interpolation(n=n_tr, ms=(n_tr, 2 * n_tr), reg=0.0,
                                                    random_state=seed),
        "depth": {s: nonconvexity_vs_depth(p["depths"], n_lines=p["depth_lines"],
                                           weight_scale=s, random_state=seed)
                  for s in ("fan-in", "unit")},
        "vec_kron": vec_kron_check(random_state=seed),
        "chain": gradient_chain_check(random_state=seed),
        "gn_hessian": gn_hessian_check(random_state=seed),
    }


def _ledger_findings(p, led):
    """Findings of the ledger's last rows of seed 001."""
    out = []
    sep = led["separability"]
    v = separability_verdict(sep["separable_raw"], [sep["separable_lifted"],
                                                    sep["separable_random"]])
    out.append(Finding(
        "001.embed-separable", v,
        f"two concentric rings in 2-D (radii 1 and 2, radial noise 0.1), n = {sep['n']}; "
        f"lifted (y1, y2, y1^2 + y2^2) and {sep['m']} random tanh features; LP separability "
        "and a least-squares linear classifier",
        values={k: sep[k] for k in sep if k.startswith(("separable", "accuracy"))},
        section="sl-rank",
        note={"reproduced": "the slides' illustration, on an example of ours (the slides show "
                            "a figure, not data)",
              "reproduced with a caveat": "only some embeddings separated the rings",
              "not reproduced": "the example did not show it"}[v],
        tried=("lifting and random features",) if v == "not reproduced" else ()))
    lf = led["linear_fit"]
    z = (lf["ratio_mean"] - lf["ratio_closed"]) / lf["ratio_se"]
    v = linear_fit_verdict(lf["no_solution_all"], z, lf["normal_vs_lstsq"],
                           lf["control_residual"])
    out.append(Finding(
        "001.linear-fit", v,
        f"Y, C standard normal, n = {lf['n']}, n_f = {lf['n_f']}, n_c = {lf['n_c']}, "
        f"{lf['n_rep']} draws; lstsq and the normal equations; a consistent control C = W0 Y",
        values={"residual_ratio_mean": lf["ratio_mean"], "residual_ratio_se": lf["ratio_se"],
                "residual_ratio_closed_form": lf["ratio_closed"], "z": float(z),
                "no_exact_solution_in_every_draw": lf["no_solution_all"],
                "normal_vs_lstsq": lf["normal_vs_lstsq"],
                "control_residual": lf["control_residual"]},
        section="sl-rank",
        note={"reproduced": "",
              "reproduced with a caveat": "the residual differs from its closed form",
              "not reproduced": "an exact solution existed, or least squares failed"}[v],
        tried=(f"{lf['n_rep']} draws",) if v == "not reproduced" else ()))
    cj = led["conjecture"]
    nl = cj[cj.activation != "identity"]
    full = nl[nl["rank"] == nl["n"]]
    ctrl = float(cj[cj.activation == "identity"].resid_lstsq.min())
    resid = float(full[["resid_lstsq", "resid_pinv"]].max().max()) if len(full) else float("nan")
    v = conjecture_verdict(len(full) > 0, resid, ctrl)
    out.append(Finding(
        "001.conjecture-fit", v,
        "Y standard normal, n = 200, n_f = 5, random one-hot C (n_c = 3), K and b standard "
        f"normal, m = {', '.join(str(m) for m in sorted(set(nl.m)))}, tanh and ReLU; lstsq and "
        "the pseudo-inverse; the identity as control",
        values={"n_full_rank": len(full), "n_draws": len(nl), "max_residual_full_rank": resid,
                "max_cond_full_rank": float(full.cond.max()) if len(full) else float("nan"),
                "identity_residual": ctrl},
        section="sl-rank",
        note={"reproduced": "the slide's \"possible\" (with its two question marks) is a plain "
                            "fact of linear algebra once "
                            "the rank is n: m >= n unknowns per row, n independent equations"
                            + ("" if len(full) == len(nl) else
                               f"; {len(nl) - len(full)} of {len(nl)} random draws fell short of "
                               "rank n (a ReLU unit dead on every example, or an example no "
                               "unit sees) and are left out"),
              "reproduced with a caveat": "full rank, but the fit is only approximate in "
                                          "floating point, or the control also fitted",
              "not reproduced": "a Z with m >= n was rank deficient"}[v],
        tried=("tanh and ReLU, two widths",) if v == "not reproduced" else ()))
    ri, ex_ = led["interp_ridge"], led["interp_exact"]
    err_exact = float(ex_.train_rel_error.iloc[0])
    v = interpolation_verdict(err_exact, float(ex_.train_rel_error.min()),
                              float(ri.train_rel_error.min()))
    out.append(Finding(
        "001.random-features.interpolate", v,
        f"peaks points, n = {p['n_train']}, i.i.d. standard normal labels (no structure), tanh, "
        f"K and b standard normal; least squares (lstsq) at m = "
        f"{', '.join(str(m) for m in ex_.m)}, ridge lambda = 1e-10 at m = "
        f"{', '.join(str(m) for m in ri.m)}",
        values={f"lstsq_at_m_{int(r.m)}": float(r.train_rel_error) for r in ex_.itertuples()}
        | {f"ridge_at_m_{int(r.m)}": float(r.train_rel_error) for r in ri.itertuples()},
        figures=("single_layer_peaks",), section="sl-random-features",
        note={"reproduced": "interpolation of arbitrary labels checked; 'very easy to program' "
                            "and 'a benchmark' are judgments, not numbers",
              "reproduced with a caveat": "least squares interpolates arbitrary labels once m "
                                          "is large enough, but in floating point that can "
                                          "take m > n, and the ridge fit (lambda = 1e-10) "
                                          "may not get there (the tanh features of 2-D points "
                                          "are ill-conditioned); 'very easy to program' and "
                                          "'a benchmark' are judgments, not numbers",
              "not reproduced": "random features did not interpolate the labels"}[v],
        tried=("exact and ridge least squares, m = n to 4n",) if v == "not reproduced"
        else ()))
    dp = led["depth"]
    srt = {s: t.sort_values("depth") for s, t in dp.items()}
    v = depth_verdict([t.frac_negative.to_numpy() for t in srt.values()],
                      [t.frac_negative_se.to_numpy() for t in srt.values()])
    out.append(Finding(
        "001.nonconvex-depth", v,
        f"tanh networks with {', '.join(map(str, p['depths']))} hidden layers of width 20, "
        f"n = 200, n_f = 10, n_c = 5, soft labels from a teacher of the same depth; "
        f"{p['depth_lines']} random lines through the truth (per-layer directions scaled to "
        "the layer's norm, radius 2, 41 points); weights N(0, 1/fan-in) and N(0, 1)",
        values={f"frac_negative_{s}_depth{int(d)}": float(f)
                for s, t in dp.items() for d, f in zip(t.depth, t.frac_negative)},
        section="sl-nonconvex",
        note={"reproduced": "measured as the share of negative curvature along random lines "
                            "through the truth (one measure of 'worse' among several)",
              "reproduced with a caveat": "the share of negative curvature rises from one "
                                          "layer to the deepest, but steps down on the way "
                                          "(beyond twice its standard error)",
              "not reproduced": "negative curvature did not grow with depth"}[v],
        tried=("weights N(0, 1/fan-in) and N(0, 1)",
               f"{p['depth_lines']} random lines per depth") if v == "not reproduced" else ()))
    vk = led["vec_kron"]
    v = identity_verdict([vk["identity_err"], vk["jacobian_fd_err"], vk["matvec_err"]],
                         vk["control_row_major_err"])
    out.append(Finding(
        "001.vec-kron", v, "A 4 x 3, X 3 x 5 standard normal, column-major vec; central "
        "differences (h = 1e-3, exact for a linear map up to rounding); a row-major vec as "
        "control",
        values={k: vk[k] for k in vk},
        section="sl-jacobians",
        note={"reproduced": "vec is column-major (stacking columns), as in MATLAB's X(:)",
              "reproduced with a caveat": "the row-major control did not fail",
              "not reproduced": "the identity or its mat-vec failed"}[v],
        tried=("column- and row-major vec",) if v == "not reproduced" else ()))
    ch = led["chain"]
    v = identity_verdict([ch["err_K"], ch["err_b"], ch["err_W"]], ch["err_W_as_written"],
                         tol=1e-6)
    out.append(Finding(
        "001.gradient-chain", v,
        f"tanh, one bias per unit, n = {ch['n']}, n_f = {ch['n_f']}, m = {ch['m']}, "
        f"n_c = {ch['n_c']}, random soft labels, mean cross-entropy; central differences "
        "(h = 1e-6); the slide's grad_S E Y^T on a second net with m = n_f",
        values={k: ch[k] for k in ("err_K", "err_b", "err_W", "err_W_as_written")},
        section="sl-jacobians",
        note={"reproduced": "with the errata's Z^T in grad_W E (the slide's Y^T has the wrong "
                            "shape, and is wrong where the shapes agree)",
              "reproduced with a caveat": "the slide's Y^T did not differ from Z^T",
              "not reproduced": "a chain-rule gradient differs from finite differences"}[v],
        tried=("central differences",) if v == "not reproduced" else ()))
    gh = led["gn_hessian"]
    v = identity_verdict([gh["fd_err"], gh["lib_err"], gh["gn_symmetry"],
                          max(0.0, -gh["gn_min_eig_rel"])], gh["second_rel"], tol=1e-6)
    out.append(Finding(
        "001.gn-hessian", v,
        f"tanh, one bias per unit, n = {gh['n']}, n_f = {gh['n_f']}, m = {gh['m']}, "
        f"n_c = {gh['n_c']}, random weights and soft labels (not a fit); both terms built "
        "densely against central differences of the gradient (h = 1e-5) and the library's "
        "exact Hessian",
        values={k: gh[k] for k in ("fd_err", "lib_err", "gn_symmetry", "gn_min_eig_rel",
                                   "second_min_eig", "second_max_eig", "second_rel")},
        section="sl-gauss-newton",
        note={"reproduced": "",
              "reproduced with a caveat": "the first term alone already matched the Hessian "
                                          "(the second term vanished here)",
              "not reproduced": "the two terms do not add up to the Hessian, or the first is "
                                "not positive semi-definite"}[v],
        tried=("central differences and the library's exact Hessian",)
        if v == "not reproduced" else ()))
    return [held_for_referee(f) for f in out]


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
    return out | _ledger_prose(res.ledger, p)


def _ledger_prose(led, p) -> dict:
    """Glued numbers of the ledger's last rows of seed 001."""
    sep, lf, cj = led["separability"], led["linear_fit"], led["conjecture"]
    nl = cj[cj.activation != "identity"]
    full = nl[nl["rank"] == nl["n"]]
    out = formatted("", {"sl-led-sep-n": sep["n"], "sl-led-sep-m": sep["m"],
                         "sl-led-lf-n": lf["n"], "sl-led-lf-nf": lf["n_f"],
                         "sl-led-lf-rep": lf["n_rep"], "sl-led-cj-n": int(nl["n"].iloc[0]),
                         "sl-led-depth-lines": p["depth_lines"]})
    out["sl-led-sep-acc"] = f"{sep['accuracy_raw']:.0%}"
    out["sl-led-sep-acc-emb"] = joined([sep["accuracy_lifted"], sep["accuracy_random"]], ".0%",
                                       sep=" and ")
    out["sl-led-lf-ratio"] = f"{lf['ratio_mean']:.4f} ± {lf['ratio_se']:.4f}"
    out["sl-led-lf-closed"] = f"{lf['ratio_closed']:.4f}"
    out["sl-led-cj-full"] = f"{len(full)} of {len(nl)}"
    resid = float(full[["resid_lstsq", "resid_pinv"]].max().max()) if len(full) else np.nan
    cond = float(full.cond.max()) if len(full) else np.nan
    out |= formatted(".1e", {"sl-led-lf-ne": lf["normal_vs_lstsq"],
                             "sl-led-lf-ctrl": lf["control_residual"],
                             "sl-led-cj-resid": resid, "sl-led-cj-cond": cond})
    out["sl-led-cj-ms"] = joined(sorted(set(int(m) for m in nl.m)), "", sep=" and ")
    out["sl-led-cj-ident"] = f"{cj[cj.activation == 'identity'].resid_lstsq.min():.2f}"
    ri = led["interp_ridge"]
    ie = led["interp_exact"]
    out["sl-led-int-exact"] = joined(ie.train_rel_error, ".1e", sep=" and ")
    out["sl-led-int-exact-ms"] = joined(ie.m, "", sep=" and ")
    out["sl-led-int-ms"] = joined(ri.m, "", sep=", ")
    out["sl-led-int-ridge"] = joined(ri.train_rel_error, ".1e", sep=", ")
    for s, key in (("fan-in", "fanin"), ("unit", "unit")):
        t = led["depth"][s].sort_values("depth")
        out[f"sl-led-depth-{key}"] = joined(t.frac_negative, ".3f", sep=", ")
    out["sl-led-depths"] = joined(p["depths"], "", sep=", ")
    vk, ch, gh = led["vec_kron"], led["chain"], led["gn_hessian"]
    out |= formatted(".1e", {
        "sl-led-vk-err": max(vk["identity_err"], vk["matvec_err"]),
        "sl-led-vk-fd": vk["jacobian_fd_err"],
        "sl-led-ch-err": max(ch["err_K"], ch["err_b"], ch["err_W"]),
        "sl-led-gh-fd": gh["fd_err"], "sl-led-gh-lib": gh["lib_err"],
        "sl-led-gh-min": gh["gn_min_eig_rel"]})
    out |= formatted(".2f", {"sl-led-vk-ctrl": vk["control_row_major_err"],
                             "sl-led-ch-written": ch["err_W_as_written"],
                             "sl-led-gh-second": gh["second_rel"],
                             "sl-led-gh-2min": gh["second_min_eig"],
                             "sl-led-gh-2max": gh["second_max_eig"]})
    out |= formatted("", {"sl-led-vk-entries": vk["kron_entries"],
                          "sl-led-vk-flops": vk["matvec_flops"]})
    return out
