r"""Experiments of the chapter "Learning without backpropagation" (``05_learning_without_backprop``).

Each function takes plain parameters (``quick``, ``seed``, sizes) and returns data (dicts of
arrays and pandas DataFrames), never a figure. The chapter contract: :data:`PARAMETERS` and
:func:`run` (one call, sizes from the declarations) returning :class:`LearningRulesChapter` with
the findings; the verdict functions (``*_verdict``) turn numbers into verdicts. The algorithms live in
:mod:`kernelnet.learning_rules`, where ``tests/test_learning_rules.py`` checks each comparison;
``tests/test_experiments_learning_rules.py`` runs these functions at small sizes.

Sources: the notes "Learning algorithms" (seed ``002_592b791eec23135f.txt``) and ERRATA 002;
LeCun (1988); Werfel, Xie and Seung (2004, 2005); Oja (1982); Sanger (1989); Saxe, McClelland
and Ganguli (2014); Novikoff (1962).
"""

from __future__ import annotations

from kernelnet.claims import Parameter


# ------------------------------------------------------------------------------------------------
# The chapter's parameters and constants (they live here: Sphinx reads a #: comment only here)
# ------------------------------------------------------------------------------------------------


def _ints_ok(v):
    return isinstance(v, tuple) and len(v) >= 3 and all(isinstance(k, int) and k >= 1 for k in v)


#: The chapter's parameters (the chapter contract): name -> type, quick value, full value, check.
PARAMETERS = {
    "est_max_draws": Parameter(int, 1000, 10000, lambda v: v >= 10,
                               "largest number of noise draws averaged (WP/NP estimates)"),
    "est_repeats": Parameter(int, 20, 20, lambda v: v >= 2, "repeats per number of draws"),
    "lc_runs": Parameter(int, 20, 100, lambda v: v >= 2, "runs averaged per learning curve"),
    "scaling_Ns": Parameter(tuple, (2, 4, 8, 16), (2, 4, 8, 16, 32, 64), _ints_ok,
                            "input sizes N of the Werfel scaling"),
    "scaling_Ms": Parameter(tuple, (1, 2, 4, 8, 16), (1, 2, 4, 8, 16, 32, 64), _ints_ok,
                            "output sizes M of the Werfel scaling"),
    "scaling_runs": Parameter(int, 8, 32, lambda v: v >= 1, "runs per cell of the scaling"),
    "ln_repeats": Parameter(int, 10, 50, lambda v: v >= 1, "training sets per N (linear neuron)"),
    "ln_gd_steps": Parameter(int, 2000, 20000, lambda v: v >= 1, "gradient-descent steps"),
    "hebb_T": Parameter(int, 3000, 20000, lambda v: v >= 10, "Hebbian steps (at least)"),
    "hebb_runs": Parameter(int, 5, 20, lambda v: v >= 1, "Hebbian runs per spectrum"),
    "pca_T": Parameter(int, 20000, 100000, lambda v: v >= 10, "Oja/Sanger steps"),
    "dl_eta": Parameter(float, 0.005, 0.001, lambda v: 0 < v < 0.05,
                        "gradient-descent step of the deep linear network"),
    "perc_datasets": Parameter(int, 4, 20, lambda v: v >= 1, "data sets per margin"),
    "bias_sigmas": Parameter(tuple, (0.3, 0.1, 0.03, 0.01), (0.3, 0.1, 0.03, 0.01),
                             lambda v: isinstance(v, tuple) and len(v) >= 2
                             and all(isinstance(s, float) and s > 0 for s in v),
                             "noise levels of the bias sweep (at least two <= 0.1 for the slope)"),
    "bias_draws": Parameter(int, 20000, 200000, lambda v: v >= 100,
                            "antithetic pairs per bias estimate"),
    "bias_sizes": Parameter(tuple, (4, 8, 6, 3), (4, 8, 6, 3),
                            lambda v: isinstance(v, tuple) and len(v) >= 3
                            and all(isinstance(k, int) and k >= 1 for k in v),
                            "layer widths of the tanh network of the bias sweep"),
    "upd_draws": Parameter(int, 20000, 100000, lambda v: v >= 100,
                           "noise draws per sigma for the notes' update equations"),
}


#: The notes' "small sigma^2": the predicted first-order biases at most this share of the
#: gradient (beyond it the O(sigma^4) terms the expansion drops show up in the Monte Carlo).
SMALL_SIGMA_BIAS = 0.15


# the private files (they import the constants above)
from ._experiments_backprop import (  # noqa: E402
    activation_equivalence,
    lagrangian_backprop,
)
from ._experiments_perturbation import (  # noqa: E402
    gradient_estimates,
    learning_curves,
    perturbation_bias_sweep,
    perturbation_update_check,
    scaling,
    _mean_test,  # used by tests/test_experiments_learning_rules.py
)
from ._experiments_linear import (  # noqa: E402
    deep_linear,
    deep_linear_checks,
    linear_neuron,
)
from ._experiments_hebbian import (  # noqa: E402
    hebbian_growth,
    pca_rules,
)
from ._experiments_perceptron import (  # noqa: E402
    perceptron_mistakes,
)
from ._verdicts import (  # noqa: E402
    lagrangian_verdict,
    unbiased_verdict,
    variance_verdict,
    ordering_verdict,
    werfel_verdict,
    equivalence_verdict,
    linear_neuron_verdict,
    hessian_verdict,
    hebbian_verdict,
    oja_verdict,
    sanger_verdict,
    saxe_verdict,
    perceptron_verdict,
    raw_error_verdict,
    update_verdict,
    np_update_verdict,
    deep_linear_gradient_verdict,
    degree_verdict,
)
from ._result import LearningRulesChapter  # noqa: E402
from ._run import (  # noqa: E402
    run,
)
from ._prose import (  # noqa: E402
    prose,
)

__all__ = [
    "lagrangian_backprop",
    "gradient_estimates",
    "learning_curves",
    "scaling",
    "activation_equivalence",
    "linear_neuron",
    "hebbian_growth",
    "pca_rules",
    "deep_linear",
    "perceptron_mistakes",
    "perturbation_bias_sweep",
    "perturbation_update_check",
    "deep_linear_checks",
    "raw_error_verdict",
    "update_verdict",
    "np_update_verdict",
    "deep_linear_gradient_verdict",
    "degree_verdict",
    "lagrangian_verdict",
    "unbiased_verdict",
    "variance_verdict",
    "werfel_verdict",
    "ordering_verdict",
    "equivalence_verdict",
    "linear_neuron_verdict",
    "hessian_verdict",
    "hebbian_verdict",
    "oja_verdict",
    "sanger_verdict",
    "saxe_verdict",
    "perceptron_verdict",
    "PARAMETERS",
    "LearningRulesChapter",
    "run",
    "prose",
]
