r"""Chapter 5: the verdict functions (numbers in, verdict out; each branch unit-tested)."""

from __future__ import annotations

import numpy as np

from kernelnet._validation import check_int, check_positive


# ------------------------------------------------------------------------------------------------
# Verdicts (small functions; tests/test_experiments_learning_rules.py tests each branch)
# ------------------------------------------------------------------------------------------------


def lagrangian_verdict(max_rel_err: float, order: float, order_wrong: float, *,
                       tol: float = 1e-10) -> str:
    """``002.lecun``: the multipliers are the backprop errors and give the gradient.

    ``reproduced`` when multipliers, dense solve and gradients agree to ``tol`` (1e-10:
    rounding of a few matrix products, far below any formula difference) and the Taylor
    remainder is second order (>= 1.8) while the negative control (one layer's multipliers
    dropped) is first order (<= 1.2); ``reproduced with a caveat`` when the control does not
    fail (the test did not discriminate); ``not reproduced`` otherwise.
    """
    if not (max_rel_err <= tol and order >= 1.8):
        return "not reproduced"
    return "reproduced" if order_wrong <= 1.2 else "reproduced with a caveat"


def unbiased_verdict(linear_bias_max: float, bias_zero_everywhere: bool, slope: float,
                     ratio_smallest: float, *, slope_tol: float = 0.3,
                     ratio_tol: float = 0.15) -> str:
    """``002.wp-unbiased`` / ``002.np-unbiased``: "an unbiased estimate of the gradient".

    ``linear_bias_max`` is the largest relative bias on a single linear layer (quadratic
    error: exactly unbiased, so it must be at rounding, <= 1e-12). ``reproduced`` when the
    nonlinear network's bias is also indistinguishable from zero at every sigma; ``reproduced
    with a caveat`` when it is not zero but vanishes like sigma^2 (log-log slope within
    ``slope_tol`` of 2) with the predicted constant (measured / predicted within
    ``ratio_tol`` at the smallest sigma): unbiased to first order, as the notes derive it;
    ``not reproduced`` otherwise.
    """
    if not linear_bias_max <= 1e-12:
        return "not reproduced"
    if bias_zero_everywhere:
        return "reproduced"
    if abs(slope - 2.0) <= slope_tol and abs(ratio_smallest - 1.0) <= ratio_tol:
        return "reproduced with a caveat"
    return "not reproduced"


def variance_verdict(rel_var_measured: float, rel_var_exact: float, z: float,
                     n_perturbed: int) -> str:
    r"""``002.wp-variance``: weight perturbation "suffers from extremely high variance".

    ``rel_var_*`` are per-draw variances in units of ``||G||^2``; ``z`` the deviation of the
    measured from the exact one in standard errors. ``reproduced`` when the variance grows with
    the number of perturbed weights (at least ``n_perturbed / 2``) and matches the exact
    formula (:math:`|z| \le 4`); ``reproduced with a caveat`` when it grows but the formula is off;
    ``not reproduced`` when it does not grow.
    """
    check_int(n_perturbed, "n_perturbed", minimum=1)
    if rel_var_measured < n_perturbed / 2:
        return "not reproduced"
    return "reproduced" if abs(z) <= 4 and rel_var_exact >= n_perturbed / 2 else \
        "reproduced with a caveat"


def ordering_verdict(smaller, larger) -> str:
    """A variance ordering holds in every case: ``smaller[i] < larger[i]`` for all i.

    Used for ``002.baseline-variance`` (baseline-subtracted below raw) and ``002.np-improves``
    (node below weight perturbation). ``reproduced`` when it holds everywhere, ``reproduced with
    a caveat`` when in most cases, ``not reproduced`` otherwise.
    """
    a, b = np.asarray(smaller, dtype=float), np.asarray(larger, dtype=float)
    if a.shape != b.shape or a.size == 0:
        raise ValueError("smaller and larger must be non-empty and of the same shape")
    n = int(np.sum(a < b))
    if n == a.size:
        return "reproduced"
    return "reproduced with a caveat" if n > a.size / 2 else "not reproduced"


def werfel_verdict(measured, exact, asymptotic, *, tol: float = 0.15) -> str:
    """``002.werfel``: learning times of GD, NP, WP scale like N, NM, N^2 M.

    Log-log slopes of the measured times, the exact finite-size prediction and the asymptotic
    ones. ``reproduced`` when measured and exact agree within ``tol`` and the exact slopes are
    already within ``tol`` of the asymptotic ones; ``reproduced with a caveat`` when the
    measurements follow the exact prediction but the sizes are too small for the asymptotic
    slopes; ``not reproduced`` when the measurements do not follow the prediction.
    """
    m, e, a = (np.asarray(v, dtype=float) for v in (measured, exact, asymptotic))
    if not (m.shape == e.shape == a.shape) or m.size == 0:
        raise ValueError("measured, exact and asymptotic must have the same non-empty shape")
    if np.max(np.abs(m - e)) > tol:
        return "not reproduced"
    return "reproduced" if np.max(np.abs(e - a)) <= tol else "reproduced with a caveat"


def equivalence_verdict(identity_err: float, net_err: float, naive_err: float, *,
                        tol: float = 1e-12) -> str:
    """``002.tanh-sigmoid``: tanh(x) = 2 sigma(2x) - 1 and the equivalent networks.

    ``reproduced`` when the identity and the two networks agree to ``tol`` (rounding) while
    swapping the activation without rescaling does not (the control); ``reproduced with a
    caveat`` when the control does not differ; ``not reproduced`` otherwise.
    """
    if identity_err > tol or net_err > tol:
        return "not reproduced"
    return "reproduced" if naive_err > tol else "reproduced with a caveat"


def linear_neuron_verdict(max_train_under: float, ranks_ok: bool, unique_ok: bool,
                          gd_dist: float, *, train_tol: float = 1e-20,
                          gd_tol: float = 1e-3) -> str:
    """``002.linear-neuron``: rank(C) <= min(N, D); N < D: zero training error, many solutions.

    ``reproduced`` when the ranks and uniqueness come out as stated, the training error for
    N < D is at rounding (``train_tol``, squared rounding of O(1) targets) and gradient descent
    from zero lands on the minimum-norm solution (``gd_tol``); ``reproduced with a caveat`` when
    only the descent has not converged; ``not reproduced`` otherwise.
    """
    if not (ranks_ok and unique_ok and max_train_under <= train_tol):
        return "not reproduced"
    return "reproduced" if gd_dist <= gd_tol else "reproduced with a caveat"


def hessian_verdict(err_corrected: float, err_as_stated: float, *, tol: float = 1e-6) -> str:
    """``002.linear-neuron-hessian``: "the Hessian H_ij = C_ij".

    ``err_*`` compare a finite-difference Hessian with the stated C and with the corrected
    (2/N) C. ``reproduced`` when the stated form matches (``tol``: central differences of a
    quadratic are exact up to rounding); ``reproduced with a caveat`` when only the corrected
    one does (the notes drop the factor 2/N); ``not reproduced`` otherwise.
    """
    if err_as_stated <= tol:
        return "reproduced"
    return "reproduced with a caveat" if err_corrected <= tol else "not reproduced"


def hebbian_verdict(max_rel_dev: float, angle_max: float, angle_tol: float, *,
                    rate_tol: float = 0.1) -> str:
    """``002.hebbian``: ||w|| diverges, at rate lambda_max, along the top eigenvector.

    ``reproduced`` when the growth rate matches lambda_max within ``rate_tol`` (10 %: the
    online rule's O(eta lambda Tr C) bias plus Monte Carlo error) and the final angle to v_1 is
    below ``angle_tol`` rad (the caller passes 3 sqrt(eta lambda_max): each online step
    w <- (I + eta x x^T) w turns w by O(sqrt(eta lambda)), so the direction fluctuates at that
    scale around v_1 rather than settling on it); ``reproduced with a caveat`` when only one
    holds; ``not reproduced`` otherwise.
    """
    ok = [max_rel_dev <= rate_tol, angle_max <= angle_tol]
    if all(ok):
        return "reproduced"
    return "reproduced with a caveat" if any(ok) else "not reproduced"


def oja_verdict(rms_late: float, rms_pred: float, norm_final: float, *,
                norm_tol: float = 0.05) -> str:
    """``002.oja``: Oja's rule converges to the unit-norm top eigenvector.

    ``reproduced`` when the final norm is 1 within ``norm_tol`` and the late rms angle is
    within a factor 2 of the stationary prediction of a constant step (it does not settle
    exactly); ``reproduced with a caveat`` when the norm is right but the angle is not near its
    prediction; ``not reproduced`` otherwise.
    """
    if abs(norm_final - 1.0) > norm_tol:
        return "not reproduced"
    return "reproduced" if rms_pred / 2 <= rms_late <= 2 * rms_pred else \
        "reproduced with a caveat"


def sanger_verdict(late_angles, *, tol: float = 0.2) -> str:
    """``002.sanger``: the k rows converge to the top k eigenvectors, in order.

    ``reproduced`` when every row's late mean angle to its eigenvector is below ``tol`` rad
    (0.2: the constant-step fluctuation grows for the lower components, whose eigen-gaps are
    smaller); ``reproduced with a caveat`` when the first row does but not all; ``not
    reproduced`` otherwise.
    """
    a = np.asarray(late_angles, dtype=float)
    if a.size == 0:
        raise ValueError("late_angles must be non-empty")
    if np.all(a <= tol):
        return "reproduced"
    return "reproduced with a caveat" if a[0] <= tol else "not reproduced"


def saxe_verdict(max_err: float, max_err_half: float, s_max: float) -> str:
    """``002.saxe``: the closed-form mode strengths a(t).

    Gradient descent is the Euler method for the ODE, so from the aligned start its error must
    halve with the step (ratio 2 within [1.5, 2.5]) and be small (<= 10 % of the largest
    singular value). ``reproduced`` when both hold; ``reproduced with a caveat`` when the error
    is first order but not yet small; ``not reproduced`` otherwise.
    """
    check_positive(s_max, "s_max")
    ratio = max_err / max_err_half if max_err_half > 0 else np.inf
    if not 1.5 <= ratio <= 2.5:
        return "not reproduced"
    return "reproduced" if max_err <= 0.1 * s_max else "reproduced with a caveat"


def perceptron_verdict(max_ratio: float, all_converged: bool) -> str:
    """``002.perceptron``: at most (R / gamma)^2 mistakes on separable data.

    ``reproduced`` when every run converged within the bound (ratio <= 1); ``not reproduced``
    when some run exceeded it; ``reproduced with a caveat`` when the runs within the bound did
    not all converge within the epoch cap (so their totals are lower bounds).
    """
    if max_ratio > 1.0:
        return "not reproduced"
    return "reproduced" if all_converged else "reproduced with a caveat"


def _mean_agrees(q: float, p_eff: float, z: float) -> bool:
    """q of :func:`_mean_test` within ``z`` standard deviations sqrt(2 / p_eff) of 1."""
    if not (np.isfinite(q) and np.isfinite(p_eff) and p_eff > 0):
        raise ValueError(f"q and p_eff must be finite with p_eff > 0, got {q}, {p_eff}")
    return abs(q - 1.0) <= z * np.sqrt(2.0 / p_eff)


def raw_error_verdict(q: float, p_eff: float, var_ratio: float, *, z: float = 4.0) -> str:
    """``002.wp-raw-error``: the raw error E~ gives the same estimate as E~ - E.

    ``q`` compares the means of the two forms (:func:`_mean_test`, 1 when they agree; standard
    deviation sqrt(2 / p_eff)); ``var_ratio`` is their per-draw variance ratio (raw /
    baseline). ``reproduced`` when the means agree within ``z`` standard deviations and the
    raw form is not noisier than twice the baseline one; ``reproduced with a caveat`` when the
    means agree but the raw form is noisier (the same estimate in expectation, not per draw);
    ``not reproduced`` when the means differ.
    """
    if not _mean_agrees(q, p_eff, z):
        return "not reproduced"
    return "reproduced" if var_ratio <= 2.0 else "reproduced with a caveat"


def update_verdict(q: float, p_eff: float, var_rel: float, *, z: float = 4.0) -> str:
    """``002.wp-update``: the notes' update approximates gradient descent.

    ``q`` compares the mean update (divided by -eta sigma^2) with the gradient plus its
    predicted O(sigma^2) bias; ``var_rel`` is one update's variance in units of the squared
    expected step. ``reproduced`` when the mean agrees (``z`` standard deviations) and one
    update is no noisier than the step (``var_rel <= 1``); ``reproduced with a caveat`` when
    it agrees only on average; ``not reproduced`` when the mean differs.
    """
    if not _mean_agrees(q, p_eff, z):
        return "not reproduced"
    return "reproduced" if var_rel <= 1.0 else "reproduced with a caveat"


def np_update_verdict(q: float, p_eff: float, var_rel: float, diff_slope: float, *,
                      z: float = 4.0, slope_min: float = 1.5) -> str:
    """``002.np-update``: with x~ approx x to first order, NP approximates gradient descent.

    As :func:`update_verdict` for the mean and the per-update noise, and ``diff_slope`` (the
    log-log slope of the gap between the x~ and the x forms against sigma) must be at least
    ``slope_min`` (the gap is second order: slope 2); ``not checkable here`` when the gap
    was too small to fit a slope (NaN).
    """
    if not _mean_agrees(q, p_eff, z):
        return "not reproduced"
    if not np.isfinite(diff_slope):
        return "not checkable here"
    if diff_slope < slope_min:
        return "not reproduced"
    return "reproduced" if var_rel <= 1.0 else "reproduced with a caveat"


def deep_linear_gradient_verdict(grad_err: float, order: float, *, tol: float = 1e-6) -> str:
    """``002.deep-linear-gradients``: the two gradient formulas (errata's W_32^T).

    ``reproduced`` when they match central differences of the loss to ``tol`` (relative; the
    differences themselves are good to about 1e-9) and the Taylor remainder is second order
    (>= 1.8); ``not reproduced`` otherwise.
    """
    if not (np.isfinite(grad_err) and np.isfinite(order)):
        raise ValueError("grad_err and order must be finite")
    return "reproduced" if grad_err <= tol and order >= 1.8 else "not reproduced"


def degree_verdict(vanishing, nonvanishing, *, tol: float = 1e-10,
                   floor: float = 1e-3) -> str:
    """``002.deep-linear-nonlinear``: the loss is quartic and the gradient cubic.

    ``vanishing``: relative finite differences that must be at rounding (the fifth of the loss,
    the fourth of the gradient, the quartic coefficient against its closed form, the third of
    a single linear layer's loss); ``nonvanishing``: those that must not (the fourth of the
    loss, the third of the gradient). ``reproduced`` when all are so, ``not reproduced``
    otherwise.
    """
    a, b = (np.asarray(v, dtype=float) for v in (vanishing, nonvanishing))
    if a.size == 0 or b.size == 0 or not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ValueError("vanishing and nonvanishing must be non-empty and finite")
    return "reproduced" if np.all(a <= tol) and np.all(b >= floor) else "not reproduced"
