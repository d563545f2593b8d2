"""Chapter 7's parameters, constants and result type."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ... import solvers
from ...claims import Parameter


# ---------------------------------------------------------------------------------------------
# Everything for the chapter: PARAMETERS, run(...) and the findings
# ---------------------------------------------------------------------------------------------


def _ints(v, minimum=1):
    return isinstance(v, tuple) and all(isinstance(x, int) and not isinstance(x, bool)
                                        and x >= minimum for x in v)


def _pos(v):
    return isinstance(v, tuple) and len(v) > 0 and all(
        isinstance(x, (int, float)) and not isinstance(x, bool) and x > 0 for x in v)


def _even(v):
    return v >= 4 and v % 2 == 0


#: The chapter's parameters (the chapter contract): name -> type, quick value, full value, check.
PARAMETERS = {
    "curse_dims": Parameter(tuple, (1, 2, 4), (1, 2, 4, 8), lambda v: _ints(v) and len(v) >= 2,
                            "input dimensions of the curse-of-dimensionality sweep"),
    "curse_ns": Parameter(tuple, (32, 64, 128, 256, 512),
                          (32, 64, 128, 256, 512, 1024, 2048),
                          lambda v: _ints(v, 8) and len(v) >= 2, "training sizes (curse)"),
    "curse_bandwidths": Parameter(tuple, (0.125, 0.25, 0.5, 1.0, 2.0),
                                  (0.0625, 0.125, 0.25, 0.5, 1.0, 2.0),
                                  lambda v: _pos(v) and 1.0 in v,
                                  "bandwidths tried, as multiples of the median heuristic "
                                  "(must contain 1.0)"),
    "lemma1_dims": Parameter(tuple, (16, 32, 64, 128), (16, 32, 64, 128, 256, 512),
                             lambda v: _ints(v, 4) and len(v) >= 2, "dimensions (Lemma 1)"),
    "lemma1_m": Parameter(int, 8, 16, lambda v: v >= 2, "neurons per d (Lemma 1)"),
    "lemma1_n_mc": Parameter(int, 200_000, 20_000_000, lambda v: v >= 1000,
                             "Monte Carlo samples per d (Lemma 1)"),
    "alignment_dims": Parameter(tuple, (8, 16), (16, 32, 64),
                                lambda v: _ints(v, 4) and len(v) >= 2,
                                "dimensions (first-step alignment)"),
    "alignment_factors": Parameter(tuple, (0.5, 1, 2, 4, 8, 16), (0.5, 1, 2, 4, 8, 16, 32),
                                   lambda v: _pos(v) and len(v) >= 2,
                                   "n / (d^2 r) factors (first-step alignment)"),
    "alignment_m": Parameter(int, 256, 512, _even, "width (first-step alignment)"),
    "sc_dims_p3": Parameter(tuple, (8, 12), (8, 12, 16, 24, 32), _ints,
                            "dimensions at p = 3 (sample complexity)"),
    "sc_ns_p3": Parameter(tuple, (250, 500, 1000, 2000),
                          (250, 500, 1000, 2000, 4000, 8000, 16000, 32000),
                          lambda v: _ints(v, 8) and len(v) >= 2, "sizes at p = 3"),
    "sc_dims_p4": Parameter(tuple, (), (8, 12, 16), _ints,
                            "dimensions at p = 4 (empty: not run)"),
    "sc_ns_p4": Parameter(tuple, (250, 500, 1000, 2000),
                          (250, 500, 1000, 2000, 4000, 8000, 16000),
                          lambda v: _ints(v, 8) and len(v) >= 2, "sizes at p = 4"),
    "sc_m": Parameter(int, 256, 1024, _even, "width of Algorithm 1 and random features"),
    "sc_n_test": Parameter(int, 1000, 2000, lambda v: v >= 100, "test points"),
    "sc_n_kernel_max": Parameter(int, 1000, 8000, lambda v: v >= 8,
                                 "largest n of the direct NTK solve"),
    "sc_kernel_max_d": Parameter(int, 24, 24, lambda v: v >= 1, "largest d of the NTK runs"),
    "solver_ns": Parameter(tuple, (500, 1000, 2000), (1000, 2000, 4000, 8000, 16000),
                           lambda v: _ints(v, 100) and len(v) >= 2, "sizes (solvers)"),
    "solver_n_direct_max": Parameter(int, 2000, 8000, lambda v: v >= 100,
                                     "largest n of the Cholesky solve"),
    "solver_n_dense_max": Parameter(int, 1000, 8000, lambda v: v >= 100,
                                    "largest n with a stored K"),
    "solver_richardson_max_n": Parameter(int, 500, 2000, lambda v: v >= 100,
                                         "largest n of plain Richardson"),
    "solver_others_max_n": Parameter(int, 1000, 8000, lambda v: v >= 100,
                                     "largest n of plain CG and preconditioned Richardson "
                                     "(beyond: preconditioned CG only)"),
    "solver_rank": Parameter(int, 100, 200, lambda v: v >= 1, "Nystrom rank"),
    "heaviside_iters": Parameter(tuple, (10, 100, 1000), (10, 100, 1000, 10000, 100000),
                                 lambda v: _ints(v) and len(v) >= 2,
                                 "iteration counts kept (Heaviside)"),
    "a2_d": Parameter(int, 10, 16, lambda v: v >= 4, "dimension (Assumption 2)"),
    "a2_ps": Parameter(tuple, (3, 4), (3, 4), lambda v: _ints(v, 3) and len(v) >= 1,
                       "degrees of the pure He_p targets"),
    "a2_ns": Parameter(tuple, (500, 1000, 2000, 4000), (1000, 2000, 4000, 8000, 16000),
                       lambda v: _ints(v, 8) and len(v) >= 1, "sizes (Assumption 2)"),
    "a2_m": Parameter(int, 256, 512, _even, "width (Assumption 2)"),
    "width_d": Parameter(int, 10, 16, lambda v: v >= 4, "dimension (width sweep)"),
    "width_n": Parameter(int, 4000, 16000, lambda v: v >= 100, "training size (width sweep)"),
    "width_ms": Parameter(tuple, (16, 32, 64, 128, 256), (16, 32, 64, 128, 256, 512, 1024, 2048),
                          lambda v: _ints(v, 2) and len(v) >= 3 and all(x % 2 == 0 for x in v),
                          "widths (even)"),
    "width_repeats": Parameter(int, 1, 2, lambda v: v >= 1, "networks per width"),
    "proof_m_max": Parameter(int, 256, 1024, lambda v: v >= 0,
                             "largest width of the proof-sketch checks (a* and the ridge-norm "
                             "equivalence; one m x m eigendecomposition each; 0: off)"),
    "series_ps": Parameter(tuple, (3, 4), (3, 4), lambda v: _ints(v, 2) and len(v) >= 1,
                           "degrees of the series-term sweep (exact, over lemma1_dims)"),
    "a1_n_mc": Parameter(int, 100, 400, lambda v: v >= 10,
                         "finite-difference Hessians averaged for H (Assumption 1)"),
    "pg_n": Parameter(int, 20_000, 100_000, lambda v: v >= 100,
                      "samples of the population-gradient check"),
    "nonsym_m": Parameter(int, 256, 512, _even,
                          "width of the non-symmetric initialisation check (at width_d, width_n)"),
    "nonsym_scales": Parameter(tuple, (0.05, 0.1, 1.0), (0.05, 0.1, 1.0), _pos,
                               "initial scales c / sqrt(m) of the non-symmetric initialisation"),
    "adapt_m": Parameter(int, 256, 512, lambda v: v >= 2, "width of the adaptivity networks"),
    "smooth_ns": Parameter(tuple, (32, 64, 128, 256), (32, 64, 128, 256, 512),
                           lambda v: _ints(v, 8) and len(v) >= 3, "sizes (smoothness)"),
    "support_ns": Parameter(tuple, (32, 128, 512), (32, 128, 512),
                            lambda v: _ints(v, 8) and len(v) >= 2, "sizes (low-dimensional "
                            "support)"),
}

#: Errors below this floor (ridge and rounding) are left out of the smoothness slopes.
SMOOTH_FLOOR = 1e-7
#: Rademacher sign vectors of the Monte Carlo complexity (its spread is about 20 % with 20
#: draws: the ReLU features share a large common direction, which dominates ||Phi^T eps||).
RADEMACHER_DRAWS = 100
#: Training MSE / Var f* that defines the proof's a* ("L(a*) << 1").
LOSS_TARGET_A_STAR = 0.05
_RAD_TAIL = ("B = ||a|| is chosen after the fit, which a union bound over a grid of B pays "
             "for with a log factor, and the L1 loss is unbounded for Gaussian inputs (its "
             "largest training value stands in for the range)")
#: Directions per d of the series-term sweep (exact and cheap: enough to average out the
#: spread of |U w| between random directions).
SERIES_M = 64
#: Smoothness levels s of :func:`smooth_target` (step-like, kink-like, smoother).
SMOOTHNESS = (0.5, 1.5, 2.5)

#: The error threshold of the sample-complexity comparison (half the degree-p share).
THRESHOLD_SC = 0.25
#: The error threshold of the curse-of-dimensionality comparison.
THRESHOLD_CURSE = 0.1
R_LATENT = 2


@dataclass(frozen=True)
class FeatureLearningChapter:
    """Everything chapter 7 shows: the tables its figures draw, the numbers its prose reads
    (``text``: glue name -> formatted string) and the findings (see :func:`run`)."""

    curse: pd.DataFrame
    curse_n_eps: pd.DataFrame
    lemma1: pd.DataFrame
    lemma1_summary: pd.DataFrame
    alignment: pd.DataFrame
    alignment_spreads: pd.DataFrame
    sample_complexity: pd.DataFrame
    sc_n_eps: pd.DataFrame
    sc_slopes: dict
    assumption2: pd.DataFrame
    width: pd.DataFrame
    solvers: pd.DataFrame
    heaviside: dict
    text: dict
    findings: tuple
    params: dict
    series_terms: pd.DataFrame = None
    nonsymmetric: pd.DataFrame = None
    smoothness: pd.DataFrame = None
    support: pd.DataFrame = None
    checks: dict = None
