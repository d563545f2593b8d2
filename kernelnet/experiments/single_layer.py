r"""Chapter 4: single-layer neural networks (seed ``001_08710a6a2880a4ce.txt``).

Every function returns data (DataFrames, arrays, dataclasses); the notebook
``04_single_layer_networks`` draws them. Sizes default to the seed's; ``run(quick=True)`` shrinks
them so the chapter executes in well under a minute.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.optimize

from .._validation import as_matrix, as_vector, check_choice, check_int, check_positive
from ..checks import adjoint_test, derivative_check
from ..single_layer import (
    SingleLayerProblem,
    cross_entropy,
    gauss_newton,
    gradient_descent,
    inverse_crime_data,
    lbfgs,
    pack,
    random_features,
    single_layer,
)

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
    "SingleLayerChapter",
    "run",
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
    from kernelnet.parallel import map_units

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
    rng = np.random.default_rng(random_state)
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
    from kernelnet.parallel import map_units

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
    rng = np.random.default_rng(random_state)
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
    rng = np.random.default_rng(random_state)
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
    rng = np.random.default_rng([random_state, 1])
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
    rng0 = np.random.default_rng([random_state, 2])
    if start == "random":
        x0 = prob.initial_guess(rng0)
    else:
        def noisy(a):
            a = np.asarray(a, dtype=float)
            return a + perturbation * np.linalg.norm(a) / np.sqrt(a.size) * rng0.standard_normal(a.shape)
        x0 = pack(noisy(d["K"]), float(noisy(d["b"])), noisy(d["W"]))
    # stays serial (no map_units): the three solvers are compared by wall-clock time per mat-vec
    runs = [gauss_newton(prob, x0, max_iter=max_iter, cg_maxiter=cg_maxiter),
            gradient_descent(prob, x0, max_iter=max_iter),
            lbfgs(prob, x0, max_iter=max_iter)]
    rng = np.random.default_rng([random_state, 3])
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
    from kernelnet.parallel import map_units

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
    rng = np.random.default_rng(random_state)
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
# The chapter
# --------------------------------------------------------------------------------------------
@dataclass
class SingleLayerChapter:
    """Everything chapter 4 shows."""

    ranks: pd.DataFrame
    peaks: pd.DataFrame
    peaks_fit: dict
    checks: dict
    landscape: dict
    crime: InverseCrime
    crime_near_truth: InverseCrime
    recovery: pd.DataFrame
    adversarial: Adversarial
    params: dict


def run(*, quick: bool = True, seed: int = 0) -> SingleLayerChapter:
    """The chapter's experiments, at the seed's sizes or (``quick``) smaller ones."""
    if not isinstance(quick, bool):
        raise ValueError(f"quick must be True or False, got {quick!r}")
    seed = check_int(seed, "seed", minimum=0)
    if quick:
        widths = [1, 2, 5, 10, 20, 50, 100, 150, 200, 300]
        p = dict(rank_n=100, n_train=150, n_val=1000, peaks_widths=[5, 10, 20, 50, 100, 150, 300],
                 grid=21, crime=dict(n=200, n_f=20, n_c=5, m=16, max_iter=25),
                 recovery_ns=[200, 800, 3200],
                 adv=dict(m=32, max_iter=20, n_lambda=8))
    else:
        widths = [1, 2, 5, 10, 20, 50, 100, 200, 300, 400, 600]
        p = dict(rank_n=300, n_train=400, n_val=4000,
                 peaks_widths=[5, 10, 20, 50, 100, 200, 300, 400, 600, 1000],
                 grid=41, crime=dict(n=500, n_f=50, n_c=10, m=40, max_iter=60),
                 recovery_ns=[500, 1000, 2000, 4000, 8000],
                 adv=dict(m=64, max_iter=40, n_lambda=14))
    ranks = rank_vs_width([w for w in widths], n=p["rank_n"], n_f=5, random_state=seed)
    pk = peaks_random_features(p["peaks_widths"], n_train=p["n_train"], n_val=p["n_val"],
                               random_state=seed)
    best_m = int(pk.loc[pk["val_rel_error"].idxmin(), "m"])
    fit = peaks_surface(best_m, n_train=p["n_train"], grid=40 if quick else 80, random_state=seed)
    fit["m"] = best_m
    checks = jacobian_checks(random_state=seed)
    cr = p["crime"]
    land = loss_landscape(n=cr["n"], n_f=cr["n_f"], n_c=cr["n_c"], m=cr["m"], grid=p["grid"],
                          random_state=seed)
    crime = inverse_crime(**cr, random_state=seed)
    near = inverse_crime(**cr, start="perturbed", random_state=seed)
    rec = recovery_vs_n(p["recovery_ns"], n_f=cr["n_f"], n_c=cr["n_c"], m=cr["m"],
                        max_iter=cr["max_iter"], random_state=seed)
    adv = adversarial_example(**p["adv"], random_state=seed)
    return SingleLayerChapter(ranks, pk, fit, checks, land, crime, near, rec, adv,
                              dict(quick=quick, seed=seed, **{k: v for k, v in p.items()}))
