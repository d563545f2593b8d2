r"""Chapters 1-2: layer-wise kernel networks on the poster's eight data sets (seed 000).

One module, two chapter entries (the chapter contract): :data:`PARAMETERS_01` and
:func:`run_01` for ``01_layerwise_kernel_networks`` (Theorems 1-2, Claim 1, Experiment 1),
:data:`PARAMETERS_02` and :func:`run_02` for ``02_optimality_and_implicit_regularisation``
(Claims 2-6, Corollaries 2.1-2.2, Experiment 2, Observations 1-3, the ISM width rule). Both
return frozen dataclasses (:class:`LayerwiseResult`, :class:`OptimalityResult`) holding the
tables the figures draw and ``findings``, a tuple of :class:`kernelnet.claims.Finding`. The
logic that turns numbers into verdicts is in the small ``*_verdict`` functions below, each
unit-tested branch by branch (``tests/test_experiments_layerwise.py``).

Building blocks (pandas DataFrames):

* :func:`network_runs`: per-layer histories of ISM (:math:`W^*`) or closed-form (:math:`W_s`)
  networks over data sets, folds, seeds and random-feature widths; :func:`run_summary` reduces
  them to one row per fit (rises and falls of the objective and both normalisations, Theorem 2
  quantities, first layer reaching a level);
* :func:`layer_histories`: the same for one fold (the chapter figures);
* :func:`existence`: plain eq. 2 :math:`W_s` at fixed bandwidths (Theorem 1 I-II, Claim 1);
* :func:`optimality`: Claims 4-6 at each layer input of an ISM network, with both readings of
  Claim 6's "heavier penalty"; :func:`optimum_search`: random-start ISM and Riemannian gradient
  ascent against the ISM fixed point (Claim 5 beyond stationarity); :func:`width_sweep`: eq. 1
  at the ISM fixed point for every width up to :math:`2c` (the authors' width rule);
* :func:`sign_split`, :func:`implicit_losses` (Claim 3 / Corollaries 2.1-2.2),
  :func:`generalisation` (Observation 2, from the committed paper table).

How :math:`W_s` is run is one parameter, ``ws_setting`` (:func:`ws_options`): ``"authors"``
uses the authors' per-data-set bandwidth lists (``data/README.md``, "W_s") and their
extra-column rule; ``"book"`` the estimator's defaults.
"""

from __future__ import annotations

from ... import datasets
from ...claims import Parameter

__all__ = [
    "POSTER_SETS",
    "WS_SETTINGS",
    "ws_options",
    "training_fold",
    "network_runs",
    "run_summary",
    "first_layer_reaching",
    "layer_histories",
    "existence",
    "optimality",
    "optimum_search",
    "width_sweep",
    "sign_split",
    "implicit_losses",
    "generalisation",
    "committed_train_accuracy",
    "backprop_train_accuracy",
    "q_cost",
    "loglog_slope",
    "count_verdict",
    "existence_verdict",
    "ws_rise_verdict",
    "rise_reading",
    "depth_verdict",
    "penalty_verdict",
    "stationarity_verdict",
    "optimum_verdict",
    "loss_verdict",
    "experiment1_verdict",
    "generalisation_verdict",
    "limit_verdict",
    "finite_depth_verdict",
    "identity_verdict",
    "training_accuracy_verdict",
    "universality_verdict",
    "q_size_verdict",
    "hsic_decrease_verdict",
    "weakest",
    "glue_values",
    "nearest_other_class_distance",
    "PARAMETERS_01",
    "PARAMETERS_02",
    "LayerwiseResult",
    "OptimalityResult",
    "run_01",
    "run_02",
]

#: The poster's eight data sets in the table's order (:data:`kernelnet.datasets.POSTER_DATASETS`).
POSTER_SETS = datasets.POSTER_DATASETS

#: How W_s is run (see :func:`ws_options`).
WS_SETTINGS = ("authors", "book")

#: The normalised HSIC the authors' W_s network exits at, and the lower level also compared.
LEVELS = (0.90, 0.95)


def _ints(lo, hi):
    def check(v):
        return len(v) > 0 and all(isinstance(x, int) and not isinstance(x, bool)
                                  and lo <= x <= hi for x in v)
    return check


def _positives(v):
    return len(v) > 0 and all(isinstance(x, (int, float)) and not isinstance(x, bool) and x > 0
                              for x in v)


#: Chapter 01's parameters (name -> type, quick value, full value, check).
PARAMETERS_01 = {
    "fold": Parameter(int, 0, 0, lambda v: 0 <= v <= 9,
                      "the authors' training fold (0-based) the figures show"),
    "folds": Parameter(tuple, (0, 1, 2), tuple(range(10)), _ints(0, 9),
                       "training folds of the spread over folds and seeds"),
    "n_seeds": Parameter(int, 1, 3, lambda v: v >= 1,
                         "network seeds per fold (SEED, SEED + 1, ...)"),
    "n_features": Parameter(tuple, (400, 4000), (400, 4000), _ints(1, 100_000),
                            "random Fourier features per ISM layer (the authors: 400)"),
    "max_samples": Parameter((int, type(None)), 300, None, lambda v: v is None or v >= 20,
                             "training rows kept per data set (stratified; None: all)"),
    "sigmas": Parameter(tuple, (1.0, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001),
                        (1.0, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001),
                        _positives, "fixed W_s bandwidths of the existence check"),
    "existence_layers": Parameter(int, 3, 3, lambda v: 1 <= v <= 30,
                                  "layers of the existence check"),
    "ws_setting": Parameter(str, "authors", "authors", lambda v: v in WS_SETTINGS,
                            "how W_s is run: the authors' bandwidth lists and extra columns "
                            "('authors') or the estimator defaults ('book')"),
    "mlp_sets": Parameter(tuple, ("wine",), ("random", "adversarial", "wine"),
                          lambda v: len(v) > 0 and all(x in POSTER_SETS for x in v),
                          "data sets of the backprop MLP trained past the table's epoch cap "
                          "(small ones: ~1 s per 300 epochs each)"),
    "mlp_epochs": Parameter(int, 100, 1000, lambda v: v >= 1,
                            "epoch cap of that MLP (the committed table's: 20)"),
}

#: Registry ids of the statements the two chapters check (kernelnet/data/claims_registry.csv).
IDS = {
    "thm1.I": "000.thm1.I", "thm1.II": "000.thm1.II", "thm1.III": "000.thm1.III",
    "thm1.III-ism": "000.thm1.III-ism", "thm2.I": "000.thm2.I", "thm2.II": "000.thm2.II",
    "claim1": "000.claim1", "exp1": "000.exp1",
    "claim1.training-accuracy": "000.claim1.training-accuracy",
    "universality": "000.universality", "claim5.q-size": "000.claim5.q-size",
    "claim6.hsic-decrease": "000.claim6.hsic-decrease",
    "claim2": "000.claim2", "claim3": "000.claim3", "cor2.1": "000.cor2.1",
    "cor2.2": "000.cor2.2", "exp2": "000.exp2", "claim4": "000.claim4", "claim5": "000.claim5",
    "claim6": "000.claim6", "eq11": "000.eq11", "width": "000.ism-width", "obs1": "000.obs1",
    "obs2": "000.obs2", "obs3": "000.obs3",
}


#: Chapter 02's parameters (name -> type, quick value, full value, check).
PARAMETERS_02 = {
    "dataset": Parameter(str, "wine", "wine", lambda v: v in POSTER_SETS,
                         "the data set of Claims 3-6 (one of the poster's eight)"),
    "n_layers": Parameter(int, 4, 4, lambda v: 1 <= v <= 30,
                          "ISM layers examined for Claims 4-6"),
    "n_starts": Parameter(int, 3, 10, lambda v: v >= 1, "random ISM starts per layer (Claim 5)"),
    "ascent_iter": Parameter(int, 300, 1500, lambda v: v >= 1,
                             "Stiefel gradient-ascent steps per layer (Claim 5)"),
    "search_sets": Parameter(tuple, ("wine", "divorce"),
                             ("wine", "divorce", "random", "adversarial"),
                             lambda v: len(v) > 0 and all(x in POSTER_SETS for x in v),
                             "data sets of Claim 5's search from other starts (small ones: "
                             "the ascent costs n^2 per step)"),
    "folds": Parameter(tuple, (0, 1, 2), tuple(range(10)), _ints(0, 9),
                       "training folds of Observation 1 and Claim 2"),
    "max_samples": Parameter((int, type(None)), 300, None, lambda v: v is None or v >= 20,
                             "training rows kept per data set (stratified; None: all)"),
    "ws_setting": Parameter(str, "authors", "authors", lambda v: v in WS_SETTINGS,
                            "how W_s is run ('authors' or 'book', see ws_options)"),
    "memorise_sigma": Parameter(float, 0.001, 0.001, lambda v: v > 0,
                                "fixed W_s bandwidth of the memorisation check (universality)"),
    "q_sizes": Parameter(tuple, (200, 400, 800), (250, 500, 1000, 2000, 4000),
                         _ints(4, 100_000), "sample sizes n of the Q-cost timing (Claim 5)"),
    "q_width": Parameter(int, 200, 200, lambda v: 2 <= v <= 5000,
                         "fixed layer-input width d of the Q-cost timing"),
    "q_repeats": Parameter(int, 3, 5, lambda v: v >= 1,
                           "timings per size (the smallest CPU time is kept)"),
}

# the private files (they import the constants above)
from ._networks import (  # noqa: E402
    OBJECTIVE_TIE,
    backprop_train_accuracy,
    committed_train_accuracy,
    existence,
    first_layer_reaching,
    layer_histories,
    nearest_other_class_distance,
    network_runs,
    run_summary,
    training_fold,
    ws_options,
)
from ._optimality import (  # noqa: E402
    generalisation,
    implicit_losses,
    loglog_slope,
    optimality,
    optimum_search,
    q_cost,
    sign_split,
    width_sweep,
)
from ._verdicts import (  # noqa: E402
    FLAT_SLOPE,
    MEMORISED,
    POSTER_EXP1,
    POSTER_TEST_ACC,
    STATIONARY_RTOL,
    TRAIN_ACC_TOL,
    count_verdict,
    depth_verdict,
    existence_verdict,
    experiment1_verdict,
    finite_depth_verdict,
    generalisation_verdict,
    hsic_decrease_verdict,
    identity_verdict,
    limit_verdict,
    loss_verdict,
    optimum_verdict,
    penalty_verdict,
    q_size_verdict,
    rise_reading,
    stationarity_verdict,
    training_accuracy_verdict,
    universality_verdict,
    weakest,
    ws_rise_verdict,
)
from ._chapter01 import LayerwiseResult, run_01  # noqa: E402
from ._chapter02 import MEMORISATION_SETS, OptimalityResult, run_02  # noqa: E402
from ._prose import glue_values  # noqa: E402
