r"""Chapter 4: the inverse crime (recovery, identifiability, curvature, optimiser budgets)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.optimize

from ..._validation import as_matrix, as_rng, check_choice, check_int, check_positive
from ...parallel import map_units
from ...single_layer import (
    cross_entropy,
    dense_hessian,
    gauss_newton,
    gradient_descent,
    HESSIAN_KINDS,
    inverse_crime_data,
    lbfgs,
    pack,
    single_layer,
    SingleLayerProblem,
    softmax_shift_basis,
)


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
    from ...single_layer import _armijo

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
