r"""Chapter 4: single-layer neural networks (seed ``001_08710a6a2880a4ce.txt``).

Every function returns data (DataFrames, arrays, dataclasses); the notebook
``04_single_layer_networks`` draws them. Sizes default to the seed's. The chapter contract:
:data:`PARAMETERS` (quick and full sizes) and :func:`run`, returning
:class:`SingleLayerChapter` with the findings; the verdict functions (``*_verdict``) turn numbers
into verdicts.
"""

from __future__ import annotations

from ...claims import Parameter


# --------------------------------------------------------------------------------------------
# The chapter's parameters (constants live here: Sphinx reads a #: comment only here)
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


# the private files (they import the constants above)
from ._experiments_fits import (  # noqa: E402
    rank_vs_width,
    peaks,
    peaks_data,
    peaks_random_features,
    jacobian_checks,
    loss_landscape,
    peaks_surface,
)
from ._experiments_recovery import (  # noqa: E402
    InverseCrime,
    inverse_crime,
    recovery_errors,
    recovery_vs_n,
    identifiability,
    curvature_vs_distance,
    optimiser_budgets,
    block_gn_variants,
    ZERO_TOL,
    _perturbed_truth,  # used by tests/test_experiments_single_layer.py
)
from ._experiments_ledger import (  # noqa: E402
    Adversarial,
    adversarial_example,
    separability_check,
    linear_fit_check,
    conjecture_fit_check,
    random_labels_interpolation,
    nonconvexity_vs_depth,
    vec_kron_check,
    gradient_chain_check,
    gn_hessian_check,
)
from ._verdicts import (  # noqa: E402
    rank_verdict,
    random_features_verdict,
    checks_verdict,
    nonconvexity_verdict,
    gn_speed_verdict,
    is_identified,
    inverse_crime_verdict,
    second_term_verdict,
    coupling_verdict,
    indefinite_verdict,
    adversarial_verdict,
    separability_verdict,
    linear_fit_verdict,
    conjecture_verdict,
    interpolation_verdict,
    depth_verdict,
    identity_verdict,
    REFEREE_GN_COUPLING,
)
from ._result import SingleLayerChapter  # noqa: E402
from ._run import (  # noqa: E402
    run,
)
from ._prose import (  # noqa: E402
    prose,
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
