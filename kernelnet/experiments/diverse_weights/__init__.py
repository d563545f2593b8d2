r"""Experiments of chapter 06, "Diverse weights" (seed ``003_2356c7d61985ef5f.txt``).

The talk "Diverse neural network learns true target" (Xie, Liang and Song, AISTATS 2017) and the
gradient-flow slides after it (Du, Zhai, Poczos and Singh 2018). Each function takes plain
parameters (``quick``, ``seed``, sizes) and returns data (DataFrames, dicts of arrays), never a
figure. Randomness comes only from ``numpy.random.default_rng(seed)``: same seed, same tables.

BLAS is pinned to one thread inside the loops of many small products (``limit_threads``), as
``PERFORMANCE.md`` advises for a shared 2-core machine: it is faster and keeps timings stable.
"""

from __future__ import annotations

from kernelnet.claims import Parameter

__all__ = [
    "TALK_WIDTHS",
    "PARAMETERS",
    "DiverseWeightsResult",
    "run",
    "prose",
    "talk_table",
    "gram_convergence",
    "kernel_spectrum",
    "spectrum_sawtooth",
    "spectrum_bound_draws",
    "key_inequality_path",
    "singular_value_vs_discrepancy",
    "activation_distance_check",
    "teacher_data",
    "regulariser_runs",
    "regulariser_table",
    "paired_differences",
    "compare_with_talk",
    "gradient_flow_widths",
    "gram_verdict",
    "spectrum_decay_verdict",
    "spectrum_bound_verdict",
    "key_inequality_verdict",
    "singular_value_verdict",
    "discrepancy_bound_verdict",
    "random_discrepancy_verdict",
    "underfit_ratio",
    "regulariser_verdict",
    "flow_rate_verdict",
    "flow_movement_verdict",
]

#: The widths of the talk's regulariser table (seed 003, slide "A regularization term").
TALK_WIDTHS = (100, 150, 200, 300)


def _ints(v):
    return isinstance(v, tuple) and len(v) > 0 and all(
        isinstance(x, int) and not isinstance(x, bool) and x >= 2 for x in v)


def _floats(v):
    return isinstance(v, tuple) and len(v) > 0 and all(
        isinstance(x, (int, float)) and not isinstance(x, bool) and x >= 0 for x in v)


def _pos_int(lo):
    return lambda v: v >= lo


#: The chapter's parameters (the chapter contract): name -> type, quick value, full value, check.
PARAMETERS = {
    # G_n against the closed form
    "gram_m": Parameter(int, 40, 200, _pos_int(2), "points on the sphere for G"),
    "gram_widths": Parameter(tuple, (10, 100, 1_000, 10_000),
                             (10, 30, 100, 300, 1_000, 3_000, 10_000, 30_000, 100_000), _ints,
                             "widths n (weight draws) of G_n"),
    # spectrum of G
    "spectrum_d": Parameter(int, 5, 5, _pos_int(3), "dimension of the spectrum figure"),
    "spectrum_m_values": Parameter(tuple, (10, 20, 50, 100, 200, 400),
                                   (10, 20, 50, 100, 200, 500, 1000), _ints,
                                   "m of the spectrum figure (one draw each)"),
    "bound_dims": Parameter(tuple, (5, 10, 20), (5, 10, 20, 50, 100), _ints,
                            "dimensions d of the lambda_m(G) >= m gamma_m / 2 sweep"),
    "bound_m_cap": Parameter(int, 215, 1006, _pos_int(6),
                             "largest multiplicity-block end tested (m = end - 1, end, end + 1)"),
    "bound_draws": Parameter(int, 2, 3, _pos_int(1), "independent point sets per (d, m)"),
    # key inequality along training
    "key_m": Parameter(int, 60, 200, _pos_int(2), "training points of the key-inequality path"),
    "key_n": Parameter(int, 40, 100, _pos_int(2), "width of the key-inequality path"),
    "key_steps": Parameter(int, 150, 1000, _pos_int(1), "gradient steps of that path"),
    # s_m(D), ||G - G_n|| and the weight discrepancy
    "disc_m": Parameter(int, 40, 150, _pos_int(2), "points of the discrepancy experiment"),
    "disc_n": Parameter(int, 100, 400, _pos_int(2), "width of the discrepancy experiment"),
    "disc_repeats": Parameter(int, 2, 5, _pos_int(1), "draws of X and W"),
    "disc_spreads": Parameter(int, 6, 13, _pos_int(2), "cluster spreads from 0.01 to 10"),
    "disc_mc_pairs": Parameter(int, 20_000, 100_000, _pos_int(100),
                               "Monte Carlo pairs (x, y) for the activation-kernel distance"),
    # the regulariser table
    "reg_widths": Parameter(tuple, (10, 30), (10, 15, 20, 30), _ints,
                            "student widths (the talk's 100-300, divided by 10)"),
    "reg_d": Parameter(int, 10, 10, _pos_int(2), "input dimension"),
    "reg_teacher": Parameter(int, 10, 10, _pos_int(1),
                             "teacher directions (even teacher: 2 ReLUs per direction)"),
    "reg_m": Parameter(int, 300, 800, _pos_int(10), "training points"),
    "reg_m_test": Parameter(int, 500, 2000, _pos_int(10), "test points"),
    "reg_steps": Parameter(int, 500, 6000, _pos_int(1), "gradient steps"),
    "reg_short_steps": Parameter(int, 250, 3000, _pos_int(1),
                                 "a shorter budget, run at reg_short_widths"),
    "reg_short_widths": Parameter(tuple, (10, 20), (10, 20), _ints,
                                  "widths of the shorter-budget run"),
    "reg_repeats": Parameter(int, 3, 6, _pos_int(2), "paired repeats per width"),
    "reg_lambda": Parameter(float, 3.0, 3.0, lambda v: v > 0, "regulariser weight lambda"),
    "reg_lambdas_tried": Parameter(tuple, (30.0,), (0.3, 30.0), _floats,
                                   "other lambdas, run at the second width"),
    "flat_widths": Parameter(tuple, (50, 100), (100, 200), _ints,
                             "the talk's widths in the book's earlier (flat) regime"),
    "flat_steps": Parameter(int, 200, 300, _pos_int(1), "steps in the earlier regime"),
    "flat_m": Parameter(int, 300, 500, _pos_int(10), "training points in the earlier regime"),
    "flat_repeats": Parameter(int, 2, 3, _pos_int(2), "repeats in the earlier regime"),
    # the formulas two ways (gradient, prediction dynamics, Weyl split on trained weights)
    "check_m": Parameter(int, 30, 60, _pos_int(2), "points of the formula checks"),
    "check_n": Parameter(int, 20, 40, _pos_int(2), "width of the formula checks"),
    "check_steps": Parameter(int, 100, 400, _pos_int(1), "gradient steps before the checks"),
    # random initialisations across widths, and the talk's regime m = d + 1
    "init_m": Parameter(int, 30, 30, _pos_int(2), "points of the random-initialisation sweep"),
    "init_widths": Parameter(tuple, (20, 100, 400), (20, 50, 100, 200, 400, 800, 1600), _ints,
                             "widths n of the random-initialisation sweep (d = 10)"),
    "init_draws": Parameter(int, 2, 4, _pos_int(1), "weight draws per width / per d"),
    "omega_dims": Parameter(tuple, (5, 10, 20), (5, 10, 20, 40), _ints,
                            "d of the s_m(D)^2 >= Omega(m) check (m = d + 1)"),
    # gradient flow
    "flow_m": Parameter(int, 10, 20, _pos_int(2), "points of the gradient-flow experiment"),
    "flow_widths": Parameter(tuple, (100, 300, 1000, 3000), (100, 300, 1000, 3000, 10000, 30000),
                             _ints, "widths of the gradient flow"),
}

# the private files (they import the constants above)
from ._spectrum import (  # noqa: E402
    CONC_BLOCKS,
    CONC_RESOLUTION,
    REGIME_D_GAMMA,
    _concentration_errors,
    gram_convergence,
    kernel_spectrum,
    spectrum_bound_draws,
    spectrum_sawtooth,
)
from ._discrepancy import (  # noqa: E402
    activation_distance_check,
    key_inequality_path,
    singular_value_vs_discrepancy,
    teacher_data,
)
from ._training import (  # noqa: E402
    compare_with_talk,
    gradient_flow_widths,
    paired_differences,
    regulariser_runs,
    regulariser_table,
    talk_table,
)
from ._checks import (  # noqa: E402
    CERT_CS,
    CHECK_D,
    FD_STEP,
    IDENTITY_RTOL,
    STEP_REL,
    gradient_and_dynamics_checks,
    omega_m_sweep,
    perturbation_certificate,
    random_init_sweep,
)
from ._verdicts import (  # noqa: E402
    CONC_SLOPE_MAX,
    CONC_TOL,
    MAX_RATIO_SPREAD,
    MIN_L2SQ_SPAN,
    MOVE_SLOPE_TOL,
    OMEGA_SLOPE_TOL,
    RANK_CORR_MAX,
    REFEREE_REG_TABLE,
    SLOPE_TOL,
    TAIL_FACTOR,
    T_LINE,
    UNDERFIT_RATIO,
    WEYL_ATOL,
    Z_BAND,
    Z_MAX,
    concentration_verdict,
    discrepancy_bound_verdict,
    discrepancy_diversity_verdict,
    final_bound_verdict,
    flow_movement_verdict,
    flow_rate_verdict,
    gradient_structure_verdict,
    gram_verdict,
    key_inequality_verdict,
    lambda0_verdict,
    main_result_verdict,
    most_w_diverse_verdict,
    perturbation_verdict,
    prediction_dynamics_verdict,
    random_discrepancy_verdict,
    regulariser_diversity_verdict,
    regulariser_verdict,
    self_consistent_verdict,
    singular_value_verdict,
    sm_omega_m_verdict,
    spectrum_bound_verdict,
    spectrum_decay_verdict,
    underfit_ratio,
    weyl_verdict,
)
from ._chapter import DiverseWeightsResult, run  # noqa: E402
from ._prose import prose  # noqa: E402
