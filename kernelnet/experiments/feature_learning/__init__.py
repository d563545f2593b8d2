r"""Chapter 7: feature learning versus the NTK (seed 004).

Every function takes plain parameters (sizes, ``seed``; ``quick`` for :func:`run`) and returns
tables (pandas DataFrames) or small dataclasses; the notebook ``07_feature_learning_vs_ntk`` draws
them. The library code is in :mod:`kernelnet.feature_learning` and :mod:`kernelnet.solvers`.
"""

from __future__ import annotations

from ._assemble import _assemble, _fmt_n, _slope, _verdict_finding, _VERDICT_TEXT
from ._common import fit_loglog_slope, single_thread
from ._experiments import (
    _alignment_unit, _cell_data, _curse_unit, _krr_oracle, _lemma1_unit,
    _sample_complexity_unit, curse_of_dimensionality, first_step_alignment, fourier_target,
    lemma1_sweep, n_to_reach, sample_complexity,
)
from ._experiments_scale import (
    _assumption2_unit, _proof_steps, _solver_scaling_rows, _width_unit, assumption2_check,
    heaviside, solver_scaling, width_sweep,
)
from ._parameters import (
    _even, _ints, _pos, _RAD_TAIL, FeatureLearningChapter, LOSS_TARGET_A_STAR, PARAMETERS,
    R_LATENT, RADEMACHER_DRAWS, SERIES_M, SMOOTH_FLOOR, SMOOTHNESS, THRESHOLD_CURSE,
    THRESHOLD_SC,
)
from ._run import _run, run
from ._statements import (
    _fd_hessians, _graph_manifold, _krr_tuned, _rf_tuned, adaptivity_smoothness,
    adaptivity_support, assumption1_check, nonsymmetric_init_check, population_gradient_check,
    ridge_check, series_terms_sweep, smooth_target, symmetric_init_check,
)
from ._verdicts import (
    a_star_verdict, assumption1_verdict, assumption2_verdict, AXES, axis_spreads, best_axis,
    bound_constant_verdict, collapse_spread, COLLAPSE_TOLERANCE, combined_verdict,
    constants_within, curse_verdict, flops_verdict, heaviside_verdict, kernel_rate_verdict,
    lemma1_verdict, nonsymmetric_verdict, ordering_verdict, per_neuron_d2_verdict,
    population_gradient_verdict, rademacher_verdict, ridge_norm_verdict, ridge_verdict,
    series_verdict, smoothness_verdict, solver_verdict, support_verdict, TALK_CPU_RATE,
    TALK_GPU_RATE, width_verdict, zero_init_verdict,
)

__all__ = [
    "fourier_target",
    "curse_of_dimensionality",
    "lemma1_sweep",
    "fit_loglog_slope",
    "first_step_alignment",
    "sample_complexity",
    "n_to_reach",
    "solver_scaling",
    "heaviside",
    "series_terms_sweep",
    "assumption1_check",
    "population_gradient_check",
    "symmetric_init_check",
    "ridge_check",
    "nonsymmetric_init_check",
    "smooth_target",
    "adaptivity_smoothness",
    "adaptivity_support",
    "FeatureLearningChapter",
    "single_thread",
    "run",
]

