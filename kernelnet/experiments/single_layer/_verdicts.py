r"""Chapter 4: the verdict functions (numbers in, verdict out; each branch unit-tested)."""

from __future__ import annotations

import numpy as np

from ..._validation import check_int, check_positive


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
