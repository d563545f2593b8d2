"""The verdict functions: numbers to the ledger's vocabulary, each branch unit-tested."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from kernelnet._validation import check_int

from ._checks import IDENTITY_RTOL
from ._common import _slope


# ---------------------------------------------------------------------------------------------
# verdicts: small functions from numbers to the ledger's vocabulary (unit-tested per branch)
# ---------------------------------------------------------------------------------------------

#: z_rms (measured RMS error of G_n over the RMS of its exact standard errors) must lie in this
#: band at every width. With the right closed form z_rms is ~1 (an RMS over >= 820 entries of
#: ~unit-variance z-scores, correlated through the shared weights: a few tenths at most); a
#: wrong closed form leaves a bias that does not shrink, so z_rms grows like sqrt(n) and
#: leaves the band by n = 1e4.
Z_BAND = (0.7, 1.3)
#: Tolerance on the fitted log-log slope of the Monte Carlo error (theory -1/2); the fit over
#: widths 10..1e5 has a standard error of a few hundredths.
SLOPE_TOL = 0.1


def gram_verdict(z_min, z_max, slope):
    """003.relu-kernel: G_n = D^T D / n converges to the closed form at the Monte Carlo rate."""
    for name, v in (("z_min", z_min), ("z_max", z_max), ("slope", slope)):
        if not np.isfinite(v):
            raise ValueError(f"{name} must be finite, got {v!r}")
    ok = Z_BAND[0] <= z_min and z_max <= Z_BAND[1] and abs(slope + 0.5) <= SLOPE_TOL
    return "reproduced" if ok else "not reproduced"


def spectrum_decay_verdict(slope, in_regime):
    """003.spectrum-decay: "the spectrum of ReLU [is] between O(1/m) and O(1/sqrt m)".

    Outside the talk's regime (d of order 1/gamma_m) the verdict is "outside the source's
    regime"; inside, "reproduced" when the fitted slope lies in [-1, -1/2], else "not
    reproduced".
    """
    if not np.isfinite(slope):
        raise ValueError(f"slope must be finite, got {slope!r}")
    if not in_regime:
        return "outside the source's regime"
    return "reproduced" if -1.0 <= slope <= -0.5 else "not reproduced"


def spectrum_bound_verdict(n_in, hold_in, n_top, hold_top, n_out, hold_out):
    """003.spectrum-bound: lambda_m(G) >= m gamma_m / 2 with high probability, in the talk's
    regime d = Omega~(1/gamma_m).

    Counts of draws: ``n_in``/``hold_in`` in the talk's regime (d gamma_m >= REGIME_D_GAMMA),
    ``n_top``/``hold_top`` those of them at the largest d tested (the statement is asymptotic
    in d: it hides constants and logarithms), ``n_out``/``hold_out`` outside the regime.
    ``not checkable here``: no draw in the regime at the largest d; ``not reproduced``: it
    fails there; ``reproduced``: it holds in every draw; ``reproduced with a caveat``: it holds
    at the largest d in the regime but fails at smaller d or outside the regime.
    """
    for name, v in (("n_in", n_in), ("hold_in", hold_in), ("n_top", n_top),
                    ("hold_top", hold_top), ("n_out", n_out), ("hold_out", hold_out)):
        check_int(v, name, minimum=0)
    if hold_in > n_in or hold_top > n_top or hold_out > n_out or n_top > n_in:
        raise ValueError("hold counts must not exceed the draw counts, nor n_top n_in")
    if n_top == 0:
        return "not checkable here"
    if hold_top < n_top:
        return "not reproduced"
    if hold_in == n_in and hold_out == n_out:
        return "reproduced"
    return "reproduced with a caveat"


def key_inequality_verdict(max_ratio, *, rtol=1e-9):
    """003.key-inequality: ||r|| <= ||dL/dW|| / s_m(D) along training (linear algebra).

    ``max_ratio`` is the largest ||r|| s_m(D) / ||dL/dW|| on the path; ``rtol`` (1e-9) allows
    the rounding of an m x m eigenvalue solve (~m eps relative).
    """
    if not np.isfinite(max_ratio) or max_ratio < 0:
        raise ValueError(f"max_ratio must be a finite non-negative number, got {max_ratio!r}")
    return "reproduced" if max_ratio <= 1.0 + rtol else "not reproduced"


def singular_value_verdict(random_min_s2, first_term, corr, in_regime):
    """003.sm-bound: s_m(D)^2 >= n m gamma_m / 2 - c n rho L_2(W) (c, rho not given).

    Only the first term and the trend can be checked: ``reproduced with a caveat`` when random
    (small-discrepancy) weights have s_m(D)^2/n >= m gamma_m / 2 and s_m(D)^2 falls as the
    discrepancy grows (corr < 0); otherwise ``outside the source's regime`` when the draw is
    not in the talk's regime, else ``not reproduced``.
    """
    for name, v in (("random_min_s2", random_min_s2), ("first_term", first_term),
                    ("corr", corr)):
        if not np.isfinite(v):
            raise ValueError(f"{name} must be finite, got {v!r}")
    if random_min_s2 >= first_term and corr < 0:
        return "reproduced with a caveat"
    return "not reproduced" if in_regime else "outside the source's regime"


#: The talk's ||G - G_n|| <= O(rho L_2(W)) is a scaling statement: it needs L_2^2 to vary by at
#: least this factor to be tested ...
MIN_L2SQ_SPAN = 10.0
#: ... and it holds when ||G - G_n|| / L_2 varies by at most this factor over that range. If
#: ||G - G_n|| did not shrink with L_2, the ratio would grow like 1/L_2: by sqrt(10) ~ 3.2 over
#: the smallest span, and by 10 over two orders of magnitude of L_2^2.
MAX_RATIO_SPREAD = 4.0


def discrepancy_bound_verdict(ratios, L2sq):
    """003.discrepancy-bound: ||G - G_n|| <= O(rho L_2(W)).

    ``ratios`` = ||G - G_n||_2 / L_2(W) over weight sets, ``L2sq`` their L_2(W)^2 (only
    positive ones count). ``not checkable here`` when L_2^2 spans less than MIN_L2SQ_SPAN;
    ``reproduced`` when the ratio spreads by at most MAX_RATIO_SPREAD; else ``not reproduced``.
    """
    ratios = np.asarray(ratios, dtype=float)
    L2sq = np.asarray(L2sq, dtype=float)
    if ratios.shape != L2sq.shape or ratios.ndim != 1:
        raise ValueError("ratios and L2sq must be 1-d arrays of the same length")
    ok = (L2sq > 0) & np.isfinite(ratios) & (ratios > 0)
    if ok.sum() < 2 or L2sq[ok].max() / L2sq[ok].min() < MIN_L2SQ_SPAN:
        return "not checkable here"
    spread = ratios[ok].max() / ratios[ok].min()
    return "reproduced" if spread <= MAX_RATIO_SPREAD else "not reproduced"


def random_discrepancy_verdict(L2sq_mean, L2sq_se, L2sq_theory, n, d):
    """003.random-discrepancy: random weights satisfy L_2(W) = O~((nd)^(-1/4)).

    ``reproduced`` when the measured mean L_2^2 of random weights matches the exact
    expectation (1/4 - E k^2)/n within 3 standard errors and sqrt(L_2^2) <= (nd)^(-1/4);
    ``reproduced with a caveat`` when it is below (nd)^(-1/4) but off the expectation;
    ``not reproduced`` when it exceeds (nd)^(-1/4).
    """
    for name, v in (("L2sq_mean", L2sq_mean), ("L2sq_se", L2sq_se),
                    ("L2sq_theory", L2sq_theory)):
        if not np.isfinite(v):
            raise ValueError(f"{name} must be finite, got {v!r}")
    check_int(n, "n", minimum=1)
    check_int(d, "d", minimum=1)
    if math.sqrt(max(L2sq_mean, 0.0)) > (n * d) ** -0.25:
        return "not reproduced"
    z = abs(L2sq_mean - L2sq_theory) / L2sq_se if L2sq_se > 0 else (
        0.0 if L2sq_mean == L2sq_theory else np.inf)
    return "reproduced" if z <= 3.0 else "reproduced with a caveat"


#: The unregularised network "underfits at the smallest width, as in the talk" when its test
#: error there is at least this many times its error at the largest width (the talk: 14.80 /
#: 0.44 = 34; the book's earlier regime: about 0.9, i.e. flat).
UNDERFIT_RATIO = 5.0
#: |paired t| at or above this counts as a difference (two-sided ~5% for the t distribution
#: with 5+ degrees of freedom is 2.6; 2 is the usual rough line and favours finding an effect).
T_LINE = 2.0


#: What the referee tried against ``003.reg-table`` (the referee rule, CONTRIBUTING.md), from
#: the referee's report (scratch runs with this module's ``regulariser_runs``, not shipped).
REFEREE_REG_TABLE = (
    "referee: finer lambda grid 0.03/0.1/0.3/1/3/10 at n = 10, 15 (m = 800, 6,000 steps, 8 "
    "repeats): better nowhere (t >= -1.31); worse at lambda >= 1 (n = 15: t 2.03, 2.47, 4.47; "
    "pooled sign test worse, p = 0.021 at lambda 3 and 0.001 at lambda 10)",
    "referee: a fixed short budget of 1,000 steps at n = 10/15/20, lambda 0.3/1/3: no speed-up; "
    "lambda 0.3 t -0.04, 1.33, -2.84 (one of about 45 comparisons, chance level); lambda 1 and 3 "
    "worse (t up to 3.87; 2 of 24 runs better)",
    "referee: fewer samples, m = 200 (an overfitting regime, no-reg error ratio about 1.1, unlike "
    "the talk's), two seeds: lambda 1 t -2.28 (n = 10), -2.86 (n = 15, one seed), 0.06 (n = 20); "
    "pooled t -2.76 but better in only 26 of 46 runs (sign test not significant); lambda 3 t "
    "-0.31, -2.09, +1.33",
    "referee: a random-sign ReLU teacher (20 units, m = 400, 3,000 steps, widths 5/10/20, ratio "
    "3.5): lambda 0.3 t 0.26, 0.40, -0.23; lambda 3 t 2.03, 1.05, 3.22 (worse)",
    "referee: the talk's own table as a test (Welch, its repeats not stated): with 5 repeats t "
    "-1.67, -1.47, +0.46, -1.76; with 10 repeats -2.36, -2.08, +0.65, -2.49; the regulariser is "
    "worse at n = 200 in the talk itself",
)


def underfit_ratio(no_reg_test_by_width):
    """Unregularised test error at the smallest width over that at the largest."""
    s = pd.Series(no_reg_test_by_width).sort_index()
    if len(s) < 2 or not np.all(np.isfinite(s.to_numpy())) or s.iloc[-1] <= 0:
        raise ValueError("no_reg_test_by_width needs >= 2 widths with finite errors, the last > 0")
    return float(s.iloc[0] / s.iloc[-1])


def regulariser_verdict(ratio, t_values, t_tried=()):
    """003.reg-table: the diversity regulariser lowers the test error (the talk's table).

    ``ratio``: :func:`underfit_ratio` of the unregularised runs; ``t_values``: paired t of
    (reg - no-reg) test error per width in the main setting; ``t_tried``: one array of paired t
    per other setting tried (another lambda, another step budget). Below UNDERFIT_RATIO:
    ``outside the source's regime``. Otherwise, with "better" = t <= -T_LINE and "worse" =
    t >= T_LINE: ``reproduced`` when better at most widths and worse at none; ``reproduced with
    a caveat`` when better at some width, or in most comparisons of a setting tried (one
    comparison at the line among many is what chance gives); ``not reproduced`` otherwise.
    """
    if not np.isfinite(ratio) or ratio <= 0:
        raise ValueError(f"ratio must be a positive number, got {ratio!r}")
    t = np.asarray(t_values, dtype=float)
    if t.ndim != 1 or len(t) == 0 or np.any(np.isnan(t)):
        raise ValueError("t_values must be a non-empty 1-d array without NaN")
    tried = [np.atleast_1d(np.asarray(x, dtype=float)) for x in t_tried]
    if any(len(x) == 0 or np.any(np.isnan(x)) for x in tried):
        raise ValueError("t_tried must hold non-empty arrays without NaN")
    if ratio < UNDERFIT_RATIO:
        return "outside the source's regime"
    better, worse = int(np.sum(t <= -T_LINE)), int(np.sum(t >= T_LINE))
    if better > len(t) / 2 and worse == 0:
        return "reproduced"
    if better > 0 or any(np.mean(x <= -T_LINE) > 0.5 for x in tried):
        return "reproduced with a caveat"
    return "not reproduced"


def flow_rate_verdict(bound_holds, min_lam_ratio):
    """003.du-rate: ||y - u(t)||^2 <= exp(-lambda_0 t) ||y - u(0)||^2 when lambda_min(H(s)) >=
    lambda_0 / 2 along the path (Du et al.).

    ``reproduced``: the rate holds and the assumption held; ``reproduced with a caveat``: the
    rate holds although the assumption failed somewhere; ``outside the source's regime``: the
    rate fails where the assumption failed; ``not reproduced``: the rate fails although the
    assumption held.
    """
    if not np.isfinite(min_lam_ratio):
        raise ValueError(f"min_lam_ratio must be finite, got {min_lam_ratio!r}")
    assumption = min_lam_ratio >= 0.5
    if bound_holds:
        return "reproduced" if assumption else "reproduced with a caveat"
    return "not reproduced" if assumption else "outside the source's regime"


#: Tolerance on the fitted slope of the largest unit movement against width (the bound R'
#: scales as n^(-1/2)); the fit over 4-6 widths has a standard error of a few hundredths.
MOVE_SLOPE_TOL = 0.15


def flow_movement_verdict(within_bound, slope):
    """003.du-movement: ||w_r(t) - w_r(0)|| <= R' = 2 sqrt(m) ||y - u(0)|| / (sqrt(n) lambda_0).

    ``reproduced``: every width within R' and the movement shrinks like n^(-1/2) (slope within
    MOVE_SLOPE_TOL); ``reproduced with a caveat``: within R' at a different rate; ``not
    reproduced``: some width moves more than R'.
    """
    if not np.isfinite(slope):
        raise ValueError(f"slope must be finite, got {slope!r}")
    if not within_bound:
        return "not reproduced"
    return "reproduced" if abs(slope + 0.5) <= MOVE_SLOPE_TOL else "reproduced with a caveat"


# -- verdicts of the remaining claims ----------------------------------------------------------


def gradient_structure_verdict(max_rel_error, derivative_checks_passed):
    """003.gradient-structure: dL/dW = D r (ERRATA 003: D r, not D^T r).

    ``max_rel_error``: the largest relative difference between the library gradient and the
    dense D r, the numba kernel and central differences, over the weight sets;
    ``derivative_checks_passed``: :func:`kernelnet.checks.derivative_check` of the loss passed
    on every set. ``reproduced`` when both hold (to IDENTITY_RTOL), else ``not reproduced``.
    """
    if not np.isfinite(max_rel_error) or max_rel_error < 0:
        raise ValueError(f"max_rel_error must be finite and >= 0, got {max_rel_error!r}")
    ok = max_rel_error <= IDENTITY_RTOL and bool(derivative_checks_passed)
    return "reproduced" if ok else "not reproduced"


def prediction_dynamics_verdict(err_minus, err_plus, identity_error):
    """003.prediction-dynamics: df/dt = D^T D r under dw/dt = -dL/dw, and D^T D = n G_n.

    ``err_minus`` / ``err_plus``: the largest relative error of a small explicit gradient
    step's change in f against -D^T D r / +D^T D r; ``identity_error``: largest relative
    error of D^T D = n G_n. ``reproduced`` when the talk's sign matches; ``reproduced with a
    caveat`` when only the opposite sign does (with the talk's r = (f - y)/m the flow gives
    df/dt = -D^T D r); ``not reproduced`` when neither matches or D^T D != n G_n.
    """
    for name, v in (("err_minus", err_minus), ("err_plus", err_plus),
                    ("identity_error", identity_error)):
        if not np.isfinite(v) or v < 0:
            raise ValueError(f"{name} must be finite and >= 0, got {v!r}")
    if identity_error > IDENTITY_RTOL:
        return "not reproduced"
    if err_plus <= IDENTITY_RTOL:
        return "reproduced"
    return "reproduced with a caveat" if err_minus <= IDENTITY_RTOL else "not reproduced"


#: lambda_m(G_n) - (lambda_m(G) - ||G - G_n||) below -WEYL_ATOL is a violation: the two
#: eigenvalues and the norm carry rounding of ~m eps ||G|| (m <= 200, ||G|| <= m/2: < 1e-11).
WEYL_ATOL = 1e-9


def weyl_verdict(slacks):
    """003.weyl-split: lambda_m(G_n) >= lambda_m(G) - ||G - G_n|| (Weyl's inequality).

    ``slacks``: lambda_m(G_n) - (lambda_m(G) - ||G - G_n||) over all weight sets tested.
    ``reproduced`` when none is below -WEYL_ATOL, else ``not reproduced``. (Whether the lower
    bound is informative, i.e. positive, is reported in the note, not judged here.)
    """
    s = np.asarray(slacks, dtype=float)
    if s.ndim != 1 or len(s) == 0 or not np.all(np.isfinite(s)):
        raise ValueError("slacks must be a non-empty 1-d array of finite numbers")
    return "reproduced" if np.all(s >= -WEYL_ATOL) else "not reproduced"


#: The top of the spectrum "concentrates around gamma" when the block means of lambda_i(G)/m
#: are within CONC_TOL of gamma at the largest m and the error falls with m (fitted log-log
#: slope at most CONC_SLOPE_MAX; Monte Carlo error falls like m^(-1/2)) ...
CONC_TOL = 0.1
CONC_SLOPE_MAX = -0.25
#: ... and the bottom does too when lambda_m(G) / (m gamma_m) lies within this factor of 1.
TAIL_FACTOR = 2.0


def concentration_verdict(top_err_last, top_slope, tail_ratios):
    """003.spectrum-concentrates: the spectrum of G concentrates around gamma_m.

    ``top_err_last``: relative error of the first blocks' mean eigenvalue of G/m against
    gamma at the largest m; ``top_slope``: its log-log slope against m; ``tail_ratios``:
    lambda_m(G) / (m gamma_m) at every m tested. ``reproduced``: the top concentrates and
    every tail ratio is within TAIL_FACTOR of 1; ``reproduced with a caveat``: only the top
    concentrates; ``not reproduced``: the top does not.
    """
    for name, v in (("top_err_last", top_err_last), ("top_slope", top_slope)):
        if not np.isfinite(v):
            raise ValueError(f"{name} must be finite, got {v!r}")
    t = np.asarray(tail_ratios, dtype=float)
    if t.ndim != 1 or len(t) == 0 or not np.all(np.isfinite(t)) or np.any(t <= 0):
        raise ValueError("tail_ratios must be a non-empty 1-d array of positive numbers")
    if not (top_err_last <= CONC_TOL and top_slope <= CONC_SLOPE_MAX):
        return "not reproduced"
    tail_ok = bool(np.all((1.0 / TAIL_FACTOR <= t) & (t <= TAIL_FACTOR)))
    return "reproduced" if tail_ok else "reproduced with a caveat"


#: |z| of the Monte Carlo kernel distance against the formula L_2^2 above this is a mismatch
#: (a handful of weight sets: 4 standard errors leaves a chance of ~1e-4 per set).
Z_MAX = 4.0
#: Spearman correlation between cluster spread and L_2 at or below this counts as "more
#: spread, smaller discrepancy" (a monotone relation gives -1; 13 spreads of random noise
#: reach -0.8 with probability ~1e-3).
RANK_CORR_MAX = -0.8


def discrepancy_diversity_verdict(rank_corr, random_below_tight, max_abs_z):
    """003.discrepancy-diversity: a small weight discrepancy means diverse weights.

    ``rank_corr``: Spearman correlation between the spread of clustered weights and their
    L_2(W); ``random_below_tight``: random weights have a smaller L_2 than the tightest
    clusters; ``max_abs_z``: L_2(W)^2 against the Monte Carlo distance between the finite- and
    infinite-width activation kernels, in standard errors. ``reproduced``: rank_corr <=
    RANK_CORR_MAX, random below tight and ``|z| <= Z_MAX``; ``reproduced with a caveat``: the
    ordering holds only partly (rank_corr < 0); ``not reproduced``: otherwise.
    """
    for name, v in (("rank_corr", rank_corr), ("max_abs_z", max_abs_z)):
        if not np.isfinite(v):
            raise ValueError(f"{name} must be finite, got {v!r}")
    if max_abs_z > Z_MAX:
        return "not reproduced"
    if rank_corr <= RANK_CORR_MAX and random_below_tight:
        return "reproduced"
    return "reproduced with a caveat" if rank_corr < 0 and random_below_tight else \
        "not reproduced"


def regulariser_diversity_verdict(n_lower, n_pairs, identity_error):
    """003.regulariser-diversity: R(W) enforces a small weight discrepancy.

    ``n_lower`` of ``n_pairs`` paired runs (same data, signs and start) end with a smaller
    L_2(W) with the regulariser than without; ``identity_error``: largest |L_2^2 - ((1 - 1/n) R
    + 1/(4n) - E k^2)| (R and L_2^2 are the same quantity up to constants, exactly).
    ``reproduced``: lower in every pair; ``reproduced with a caveat``: in most;
    ``not reproduced``: in at most half, or the identity fails.
    """
    check_int(n_lower, "n_lower", minimum=0)
    check_int(n_pairs, "n_pairs", minimum=1)
    if n_lower > n_pairs:
        raise ValueError("n_lower must not exceed n_pairs")
    if not np.isfinite(identity_error) or identity_error > IDENTITY_RTOL:
        return "not reproduced"
    if n_lower == n_pairs:
        return "reproduced"
    return "reproduced with a caveat" if n_lower > n_pairs / 2 else "not reproduced"


def most_w_diverse_verdict(ok_by_width):
    """003.most-w-diverse: most random W have a small discrepancy and a large s_m(D).

    ``ok_by_width``: for each width, increasing, the fraction of random draws with
    L_2(W) <= (nd)^(-1/4) and s_m(D)^2 >= n m gamma_m / 2. ``reproduced``: every draw at every
    width; ``reproduced with a caveat``: every draw at the largest width ("n large enough")
    but not at every width; ``not reproduced``: some draw fails at the largest width.
    """
    f = np.asarray(ok_by_width, dtype=float)
    if f.ndim != 1 or len(f) == 0 or np.any(~np.isfinite(f)) or np.any((f < 0) | (f > 1)):
        raise ValueError("ok_by_width must be a non-empty 1-d array of fractions in [0, 1]")
    if np.all(f == 1.0):
        return "reproduced"
    return "reproduced with a caveat" if f[-1] == 1.0 else "not reproduced"


#: "s_m(D)^2 >= Omega(m)" is checked as a trend: the log-log slope of the smallest
#: s_m(D)^2 / m against m must not fall below -OMEGA_SLOPE_TOL (a constant gives 0; the
#: failing alternative, s_m(D)^2 of order 1 or n gamma_m alone, gives -1).
OMEGA_SLOPE_TOL = 0.25


def sm_omega_m_verdict(ms, min_ratios):
    """003.sm-omega-m: in the talk's regime s_m(D)^2 >= Omega(m).

    ``ms``: the m tested (m = d + 1); ``min_ratios``: the smallest s_m(D)^2 / m over the draws
    at each. ``not checkable here`` with fewer than 3 values of m; ``reproduced with a
    caveat`` (the constant is hidden: a trend) when every ratio is positive and the slope is
    at least -OMEGA_SLOPE_TOL; ``not reproduced`` otherwise.
    """
    ms = np.asarray(ms, dtype=float)
    r = np.asarray(min_ratios, dtype=float)
    if ms.shape != r.shape or ms.ndim != 1 or not np.all(np.isfinite(r)):
        raise ValueError("ms and min_ratios must be 1-d arrays of the same length, finite")
    if len(np.unique(ms)) < 3:
        return "not checkable here"
    if np.any(r <= 0):
        return "not reproduced"
    return ("reproduced with a caveat" if _slope(ms, r) >= -OMEGA_SLOPE_TOL
            else "not reproduced")


def final_bound_verdict(max_key_ratio, factor_slope, *, rtol=1e-9):
    """003.final-bound: (1/2m) sum (f - y)^2 <= o(||dL/dW||^2) for small-discrepancy W.

    With the key inequality, (1/2m) sum (f - y)^2 = (m/2) ||r||^2 <= (m / (2 s_m(D)^2))
    ||dL/dW||^2: ``max_key_ratio`` (the largest ||r|| s_m(D) / ||dL/dW||) must be <= 1, and
    the "o" is the factor m / (2 s_m(D)^2) shrinking as n grows (``factor_slope``, its log-log
    slope against n at random initialisation, below -1/2). ``reproduced with a caveat`` (the
    "o" read as a trend in n at fixed m, d) when both hold; ``not reproduced`` otherwise.
    """
    for name, v in (("max_key_ratio", max_key_ratio), ("factor_slope", factor_slope)):
        if not np.isfinite(v):
            raise ValueError(f"{name} must be finite, got {v!r}")
    ok = max_key_ratio <= 1.0 + rtol and factor_slope <= -0.5
    return "reproduced with a caveat" if ok else "not reproduced"


def main_result_verdict(key_holds, min_s2_random, min_s_path):
    """003.main-result: for nice weights any stationary point is a global optimum.

    The mechanism: where s_m(D) > 0 the key inequality ||r|| <= ||dL/dW|| / s_m(D) makes a
    zero gradient a zero residual, the global minimum. ``key_holds``: the key inequality held
    on the path; ``min_s2_random``: smallest s_m(D)^2 over the random draws; ``min_s_path``:
    smallest s_m(D) along gradient descent. ``reproduced with a caveat`` (not every
    stationary point can be enumerated) when the inequality holds and s_m(D) > 0 everywhere
    measured; ``outside the source's regime`` when some measured W has s_m(D) = 0 (not
    nice); ``not reproduced`` when the key inequality fails.
    """
    for name, v in (("min_s2_random", min_s2_random), ("min_s_path", min_s_path)):
        if not np.isfinite(v) or v < 0:
            raise ValueError(f"{name} must be finite and >= 0, got {v!r}")
    if not key_holds:
        return "not reproduced"
    if min_s2_random > 0 and min_s_path > 0:
        return "reproduced with a caveat"
    return "outside the source's regime"


def lambda0_verdict(lam0, ratios_t0):
    """003.lambda0: the spectrum of D(0)^T D(0) is bounded below through lambda_0.

    ``lam0``: lambda_min(G) (Du et al.'s lambda_0, > 0 for non-parallel inputs);
    ``ratios_t0``: lambda_min(G_n(0)) / lambda_0 at each width, increasing. ``not
    reproduced``: lambda_0 <= 0; ``reproduced``: ratio >= 1/2 at every width; ``reproduced
    with a caveat``: at the largest width only; ``outside the source's regime``: not even
    there (the widths are below the theorem's).
    """
    if not np.isfinite(lam0):
        raise ValueError(f"lam0 must be finite, got {lam0!r}")
    r = np.asarray(ratios_t0, dtype=float)
    if r.ndim != 1 or len(r) == 0 or not np.all(np.isfinite(r)):
        raise ValueError("ratios_t0 must be a non-empty 1-d array of finite numbers")
    if lam0 <= 0:
        return "not reproduced"
    if np.all(r >= 0.5):
        return "reproduced"
    return "reproduced with a caveat" if r[-1] >= 0.5 else "outside the source's regime"


def perturbation_verdict(c_cert_by_width):
    """003.du-perturbation: within R = c lambda_0 / m^2 of the start, lambda_min > lambda_0 / 2.

    ``c_cert_by_width``: for each width, increasing, the largest c of CERT_CS for which
    :func:`perturbation_certificate` proves the conclusion for every such W (0: none).
    ``reproduced with a caveat`` (c is not given: we report the c that works) when some c is
    certified at the largest width; ``not checkable here`` when none is (the widths are too
    small for any c of the grid).
    """
    c = np.asarray(c_cert_by_width, dtype=float)
    if c.ndim != 1 or len(c) == 0 or np.any(~np.isfinite(c)) or np.any(c < 0):
        raise ValueError("c_cert_by_width must be a non-empty 1-d array of numbers >= 0")
    return "reproduced with a caveat" if c[-1] > 0 else "not checkable here"


def self_consistent_verdict(n_needed, n_max, ratio_at_max):
    """003.du-self-consistent: with n = Omega(m^5 ||r(0)|| / lambda_0^4), R' < R.

    ``n_needed``: the width the statement asks for; ``n_max``: the largest width run;
    ``ratio_at_max``: R'/R there. ``not checkable here`` when n_max < n_needed; otherwise
    ``reproduced`` if R' < R, else ``not reproduced``.
    """
    for name, v in (("n_needed", n_needed), ("n_max", n_max), ("ratio_at_max", ratio_at_max)):
        if not np.isfinite(v) or v <= 0:
            raise ValueError(f"{name} must be a positive number, got {v!r}")
    if n_max < n_needed:
        return "not checkable here"
    return "reproduced" if ratio_at_max < 1.0 else "not reproduced"
