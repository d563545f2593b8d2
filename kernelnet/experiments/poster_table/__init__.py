r"""Chapter 3: the poster's 10-fold table (seed 000, Experiment 4), regenerated beside the poster.

Four methods on the poster's eight data sets, ten columns each, every fold of a 10-fold
cross-validation:

========= ==============================================================================
method    what is fitted on the training fold
========= ==============================================================================
``ism``   :class:`kernelnet.layerwise.LayerwiseKernelNet` ``method="ism"`` (:math:`W^*`)
``ws``    :class:`kernelnet.layerwise.LayerwiseKernelNet` ``method="closed_form"`` (:math:`W_s`),
          with the authors' published settings (:func:`ws_options`)
``ce``    :class:`kernelnet.baselines.MLPBaseline` ``loss="ce"``, the ISM net's depth on that fold
``mse``   :class:`kernelnet.baselines.MLPBaseline` ``loss="mse"``, the ISM net's depth there
========= ==============================================================================

Splits: with ``folds="authors"`` every method runs on the split the authors stored with the code
that made it: ISM and the MLPs on the ISM repository's split (``folds(name)``), :math:`W_s` on the
W_s repository's split (``folds(name, scheme="authors_ws")``), so that our W_s fold ``k`` is the
authors' stored W_s fold ``k`` (:func:`ws_against_authors_code` sets them side by side).

Preprocessing, as the authors ran it (``data/README.md``): the training and the test fold are
z-scored **each with its own** mean and standard deviation (``sklearn.preprocessing.scale`` on
each); for :math:`W_s` only, :math:`\mathcal N(0, 0.02^2)` noise is added to the training
features before scaling.

The ten columns (``DEFINITIONS.md``; computed on the training fold unless said otherwise). With
:math:`Y` the one-hot labels, :math:`L = Y Y^\top`, :math:`n` the training-fold size:

* ``sigma``: the smallest layer bandwidth over layers (ISM :math:`\sigma_l`, W_s
  :math:`\sigma_a`); NaN for the MLPs (the poster's "-").
* ``L``: number of layers (MLPs: hidden layers, = the ISM net's ``L`` on the same fold).
* ``train_acc``, ``test_acc``: accuracy of the method's own classifier (ISM: nearest class
  centre after supervised kernel PCA; W_s: 5-nearest neighbours; MLPs: argmax / round) on the
  training fold and on the test fold.
* ``time``: seconds to fit (the estimator's ``fit_time_``), on this machine.
* ``H_star``: normalised HSIC (the authors' variant,
  :func:`kernelnet.hsic.normalized_hsic` ``variant="authors"``) of the last layer's kernel against
  :math:`L`: ISM, the linear kernel :math:`\Phi\Phi^\top` of its random-feature output; W_s, a
  Gaussian kernel on its output at the layer's HSIC-optimal :math:`\sigma_b`; MLPs, a Gaussian
  kernel on the last hidden layer at its HSIC-optimal bandwidth
  (:func:`kernelnet.layerwise.hsic_optimal_sigma`; the authors' rule for the MLPs is not recorded).
* ``MSE``: :math:`\tfrac1n \sum_i \lVert z_i - m_{y_i}\rVert^2`, the within-class squared
  deviation from the class mean (``DEFINITIONS.md``). The authors' code sums the Euclidean norm of
  the *elementwise square* instead, :math:`\tfrac1n\sum_i \lVert (z_i - m_{y_i})^{\circ 2}\rVert`;
  that reading is kept as the extra column ``MSE_authors``.
* ``CE``: training cross-entropy of a multinomial logistic regression (scikit-learn defaults,
  ``random_state=0``, as the authors' ``Get_Cross_Entropy``) fitted to the output.
* ``C``: mean between-class kernel value divided by the mean within-class value (all ordered
  pairs, the diagonal included, as the authors' ``get_CSR``): ISM, the inner products of its
  random features (:math:`\Phi\Phi^\top`); W_s and MLPs, the exact Gaussian kernel at the same
  bandwidth as ``H_star`` (the authors approximate it with 10,000 random features).
* ``T``: :func:`kernelnet.layerwise.distance_ratio`, the sum of within-class pairwise Euclidean
  distances over the sum of between-class ones.

Which output: ``CE``, ``C`` and ``H_star`` of ISM use its random-feature output
:math:`\Phi = \psi(R_{L-1}W_L)`; its ``MSE`` and ``T`` use the layer's projection
:math:`R_{L-1} W_L` (the authors' ``ISMLP_debug.record_each_ℓ`` evaluates those two there, "X is
assumed to be in IDS"). W_s: its output embedding. MLPs: the last hidden layer.

Every (data set, method, fold) is an independent unit run through
:func:`kernelnet.parallel.map_units`. Its generator is seeded by
:func:`kernelnet.parallel.unit_seed` from the global ``random_state`` and the fold's *stable*
index ``100 * (position of the data set in kernelnet.datasets.names()) + fold`` rather than its
position in the list of units, so the same fold gives the same numbers whether it runs in the
quick table, the full table, alone, serially or on any number of workers. BLAS is pinned to one
thread inside each unit.

The MLP budget: :func:`budget_pairs` pairs the committed (capped) MLP folds with a folder of
5,000-epoch fold files (``results/mlp_budget/folds_5000``, ``scripts/run_mlp_budget.py``) and
:func:`budget_effect` says what the cap changes per column.

Public API: :func:`poster_table`, :func:`budget_pairs`, :func:`budget_effect`, :func:`summarize`, :func:`compare_with_poster`,
:func:`side_by_side`, :func:`check_targets`, :func:`run_full_table`, :func:`load_committed`,
:func:`reproduce_full_table`, :func:`output_metrics`, :func:`default_parameters`.
"""

from __future__ import annotations

from ... import datasets as _datasets
from ...claims import Parameter

# The public constants live here, not in the private files: Sphinx autodoc reads a
# constant's ``#:`` comment only from the module it documents (this one), and a constant in
# ``__all__`` without it vanishes from the API page. The private files import them from here.

#: The poster's eight data sets, in its row order (:data:`kernelnet.datasets.POSTER_DATASETS`).
DATASETS = _datasets.POSTER_DATASETS
#: The poster's four rows per data set.
METHODS = ("ism", "ws", "ce", "mse")
#: The poster's ten columns (``kernelnet.datasets.poster_table`` uses the same names).
COLUMNS = ("sigma", "L", "train_acc", "test_acc", "time", "H_star", "MSE", "CE", "C", "T")
#: Columns of the per-fold table, in order.
FOLD_COLUMNS = (
    ("dataset", "method", "fold", "n_train", "n_test", "seed")
    + COLUMNS
    + ("MSE_authors", "stop_reason", "n_epochs", "H_first", "H_last", "H_rising", "H_drops",
       "H_flats")
    + ("H_star_out", "MSE_out", "CE_out", "C_out", "T_out")
)
#: The MLP columns measured a second way, on the network's output (logits / regression output)
#: instead of its last hidden layer; NaN for ISM and W_s.
OUTPUT_READING = ("H_star", "MSE", "CE", "C", "T")
#: Data sets of the quick table (small, and two of them among the six accuracy targets).
QUICK_DATASETS = ("random", "wine", "divorce")
#: Folds per data set in the quick table.
QUICK_FOLDS = 2
#: Epoch cap of the MLP baselines in the full table (the authors: 5000; see the chapter).
FULL_MAX_EPOCHS = 20
#: Epoch cap of the MLP baselines in the quick table.
QUICK_MAX_EPOCHS = 5
#: The six data sets where ISM's test accuracy should be within 0.05 of the poster.
ACCURACY_TARGETS = ("wine", "cancer", "car", "divorce", "face", "spiral")
#: Tolerance of that target.
ACCURACY_TOLERANCE = 0.05
#: Bumped whenever a change to this module or the estimators changes what a fold file holds.
SCHEMA = 2
#: A change of the normalised HSIC (a number in [0, 1]) between layers smaller than this is a
#: tie, not a rise or a drop: it sums n^2 products in double precision, whose rounding error is
#: at most about n^2 * 1.1e-16 relative (2.7e-10 at the largest n here, 1555), below 1e-9.
H_TIE = 1e-9
#: Relative size of the input perturbation in :func:`ism_sensitivity`.
SENSITIVITY_EPS = 1e-13
#: Data sets whose ISM folds follow the rounding (``ism_sensitivity``: depths and accuracies
#: change under a 1e-13 relative input perturbation or another BLAS thread count). Their
#: labels carry no structure the network can keep, the bandwidths are small (0.03-0.3), and
#: every layer's random features multiply a change of their input by about 1/sigma.
ROUNDING_SENSITIVE = ("random", "adversarial")
#: Data sets of the check of our W_s against the authors' stored W_s results.
WS_CODE_TARGETS = ("wine", "cancer", "car", "face", "spiral")
#: A fold agrees in depth when our L is within this many layers of the authors' stored L.
WS_DEPTH_TOLERANCE = 1
#: Folds (of 10) that must agree in depth on a target set.
WS_MIN_FOLDS = 8
#: Largest difference of the mean test accuracy over the folds.
WS_ACC_TOLERANCE = 0.03
#: What the referee tried against ``000.ws-vs-code`` (the referee rule, CONTRIBUTING.md): the
#: other stored run and the first version of the authors' repository, other readings of the
#: poster's columns, and the code's run-to-run spread. Numbers from the referee's report
#: (scratch scripts re-implementing the 2020 version on the authors' W_s folds, not shipped).
REFEREE_WS_VS_CODE = (
    "referee: the repository's other stored run of the same version-2 code (969eed8, another "
    "split and noise draw) agrees with the poster on the same 3 of 8 sets (random 1.6 layers, "
    "spiral 1.0, face 2.2 / 0.94, divorce 11.8)",
    "referee: the repository's 2020 first version (a0f27b4: 10,000 random features, fixed "
    "output sigma 0.15, stop at normalised HSIC 0.97, at most 14 layers), re-implemented on the "
    "W_s training folds: random 12.6 +- 1.6 layers (fits the poster's 12), adversarial 4.4 "
    "(raw) or 9.9 (z-scored) against 12.7; it has no cross-validation or test accuracy",
    "referee: Neural_Indicator_Kernel_ISM, all 7 commits: no W_s code",
    "referee: depth counted +1 / -1: agrees on 2 / 1 of 8 sets; accuracy read as error or "
    "train/test columns swapped: 0 of 8; test accuracy alone 6 of 8, train accuracy alone 7 of "
    "8: depth is what differs",
    "referee: H* within 0.03 on 2 of 8, MSE on another scale (2-60 against 0.01-0.13), times "
    "3-10x slower: a different code version, not noise",
    "referee: tolerance from the code's run-to-run spread (adversarial 9.3 vs 11.4 layers in "
    "two stored runs): adversarial consistent (Welch t 0.6-1.9), 4 of 8; random, spiral, face "
    "and divorce stay beyond their spread",
)


def _names_ok(v) -> bool:
    return (isinstance(v, tuple) and len(v) > 0 and len(set(v)) == len(v)
            and all(isinstance(x, str) and x in DATASETS for x in v))


#: The chapter's parameters (``claims.Parameter``: type, quick value, full value, check).
PARAMETERS = {
    "live_datasets": Parameter(tuple, QUICK_DATASETS, DATASETS, _names_ok,
                               "data sets of the live rerun of the table"),
    "live_folds": Parameter(int, QUICK_FOLDS, 10, lambda v: 1 <= v <= 10,
                            "folds of the live rerun"),
    "live_methods": Parameter(tuple, METHODS, ("ism", "ws"),
                              lambda v: len(v) > 0 and all(m in METHODS for m in v),
                              "methods of the live rerun (the full build reruns the kernel nets)"),
    "live_max_epochs": Parameter(int, QUICK_MAX_EPOCHS, FULL_MAX_EPOCHS, lambda v: v >= 1,
                                 "epoch cap of the live MLPs"),
    "ws_code_datasets": Parameter(tuple, DATASETS, DATASETS, _names_ok,
                                  "data sets of W_s against the authors' stored W_s folds"),
    "ws_code_folds": Parameter(int, 10, 10, lambda v: 1 <= v <= 10,
                               "folds of W_s against the authors' stored W_s folds"),
    "ws_noise_draws": Parameter(int, 3, 3, lambda v: 0 <= v <= 20,
                                "other training-noise draws (seeds) for the W_s sets outside "
                                "the tolerances"),
    "ws_poster_variants": Parameter(
        tuple, (), ("normalized", "none", "raw"),
        lambda v: all(x in ("normalized", "none", "raw") for x in v),
        "other W_s extra-column rules (exact normaliser) run against the poster's W_s row"),
    "rerun_full": Parameter(bool, False, False, None,
                            "recompute the whole committed table (about 40 min on 2 cores)"),
}

# the private files (they import the constants above)
from ._chapter import (  # noqa: E402
    PaperTableResult,
    backprop_verdict,
    ism_table_verdict,
    mlp_best_available,
    objectives_verdict,
    poster_code_verdict,
    run,
    sgd_table_verdict,
    sigma_verdict,
    table_checks,
    table_findings,
    time_order_verdict,
    ws_port_verdict,
)
from ._budget import (  # noqa: E402
    BUDGET_COLUMNS,
    budget_effect,
    budget_folder,
    budget_pairs,
    budget_table,
    folds_as_read,
    load_budget,
    pairs_per_set,
    read_budget_folds,
)
from ._committed import (  # noqa: E402
    live_check,
    load_committed,
    reproduce_full_table,
    results_dir,
    run_car_uci,
    run_full_table,
)
from ._compare import (  # noqa: E402
    check_targets,
    compare_tables,
    compare_with_poster,
    identity_kernel_hsic,
    mlp_readings,
    side_by_side,
    time_table,
)
from ...layerwise import output_metrics  # noqa: E402  (the columns' metrics: a library function)
from ._prose import prose  # noqa: E402
from ._sensitivity import ism_sensitivity, sensitivity_spread  # noqa: E402
from ._table import PosterTable, default_parameters, poster_table, summarize  # noqa: E402
from ._units import ws_options  # noqa: E402
from ._ws import (  # noqa: E402
    ws_against_authors_code,
    ws_code_summary,
    ws_noise_spread,
    ws_three_references,
    ws_variants_against_poster,
)

#: Kept for code written against the earlier name.
PaperTableChapter = PaperTableResult

__all__ = [
    "DATASETS",
    "METHODS",
    "COLUMNS",
    "FOLD_COLUMNS",
    "QUICK_DATASETS",
    "FULL_MAX_EPOCHS",
    "QUICK_MAX_EPOCHS",
    "PosterTable",
    "poster_table",
    "summarize",
    "compare_with_poster",
    "side_by_side",
    "check_targets",
    "identity_kernel_hsic",
    "mlp_readings",
    "output_metrics",
    "default_parameters",
    "run_full_table",
    "run_car_uci",
    "load_committed",
    "reproduce_full_table",
    "compare_tables",
    "ism_sensitivity",
    "live_check",
    "ROUNDING_SENSITIVE",
    "sensitivity_spread",
    "time_table",
    "results_dir",
    "PaperTableChapter",
    "PaperTableResult",
    "PARAMETERS",
    "run",
    "prose",
    "ws_options",
    "WS_CODE_TARGETS",
    "ws_against_authors_code",
    "ws_code_summary",
    "ws_port_verdict",
    "ws_three_references",
    "ws_noise_spread",
    "ws_variants_against_poster",
    "poster_code_verdict",
    "ism_table_verdict",
    "sgd_table_verdict",
    "time_order_verdict",
    "objectives_verdict",
    "sigma_verdict",
    "backprop_verdict",
    "mlp_best_available",
    "table_checks",
    "table_findings",
    "budget_pairs",
    "budget_table",
    "folds_as_read",
    "budget_effect",
    "budget_folder",
    "load_budget",
    "pairs_per_set",
    "read_budget_folds",
]
