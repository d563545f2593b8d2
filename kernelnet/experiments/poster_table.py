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

Public API: :func:`poster_table`, :func:`summarize`, :func:`compare_with_poster`,
:func:`side_by_side`, :func:`check_targets`, :func:`run_full_table`, :func:`load_committed`,
:func:`reproduce_full_table`, :func:`output_metrics`, :func:`default_parameters`.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import os
import platform
import subprocess
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import datasets as _datasets
from .._validation import as_labels, check_choice, check_int, one_hot
from ..claims import Finding, Parameter, resolve_parameters
from ..hsic import normalized_hsic
from ..kernels import gaussian_kernel
from ..parallel import map_units, unit_seed

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
]

#: The poster's eight data sets, in its row order.
DATASETS = tuple(_datasets.names(poster_only=True))
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

_ESTIMATOR = {"ism": "ism", "ws": "closed_form"}
_KERNEL_METHODS = ("ism", "ws")
_BASELINE_METHODS = ("ce", "mse")
_FOLD_SCHEMES = ("authors", "stratified")
_WS_OVERRIDABLE = ("ws_append_misclassified", "ws_normaliser", "ws_smallest_sigma", "ws_n_sigmas")


# ---------------------------------------------------------------------------------------------
# metrics of one representation
# ---------------------------------------------------------------------------------------------


def _class_block_means(S: np.ndarray, nk: np.ndarray) -> tuple[float, float]:
    """(mean within-class, mean between-class) kernel value from the c x c block sums S."""
    n = float(nk.sum())
    within_pairs = float(np.sum(nk * nk))
    within = float(np.trace(S))
    between = float(S.sum()) - within
    return within / within_pairs, between / max(n * n - within_pairs, 1.0)


def output_metrics(Z, y, *, kernel="gaussian", sigma=None, Z_ids=None, random_state=0) -> dict:
    r"""``H_star``, ``MSE``, ``MSE_authors``, ``CE``, ``C`` and ``T`` of one representation.

    Parameters
    ----------
    Z : array_like, shape (n, p)
        The output the kernel columns are measured on (ISM: its random features; W_s: its
        embedding; MLP: the last hidden layer).
    y : array_like, shape (n,)
    kernel : {"gaussian", "linear"}
        ``"linear"``: :math:`K = Z Z^\top` (ISM's random features already approximate its
        Gaussian kernel); ``"gaussian"``: :math:`K_{ij} = \exp(-\lVert z_i - z_j\rVert^2 /
        (2\sigma^2))`.
    sigma : float, optional
        Bandwidth of the Gaussian kernel; default the HSIC-optimal bandwidth of ``Z``
        (:func:`kernelnet.layerwise.hsic_optimal_sigma`, seeded by ``random_state``).
    Z_ids : array_like, shape (n, q), optional
        Where ``MSE`` and ``T`` are measured (ISM: :math:`R_{L-1}W_L`); default ``Z``.

    Returns
    -------
    dict
        ``H_star`` :math:`= \langle HK, HL\rangle_F / (\lVert HK\rVert_F \lVert HL\rVert_F)`,
        ``MSE`` :math:`= \tfrac1n\sum_i \lVert z_i - m_{y_i}\rVert^2`, ``MSE_authors``
        :math:`= \tfrac1n\sum_i \lVert (z_i - m_{y_i})^{\circ 2}\rVert`, ``CE`` (training
        cross-entropy of a multinomial logistic regression on ``Z``), ``C`` = mean between-class
        over mean within-class :math:`K_{ij}` (diagonal included), ``T`` =
        :func:`kernelnet.layerwise.distance_ratio`, and ``sigma_kernel`` (the bandwidth used,
        NaN for the linear kernel). Definitions: ``DEFINITIONS.md``.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss

    from ..layerwise import distance_ratio, hsic_optimal_sigma

    check_choice(kernel, "kernel", ("gaussian", "linear"))
    Z = np.ascontiguousarray(np.asarray(Z, dtype=np.float64))
    if Z.ndim != 2 or not np.all(np.isfinite(Z)):
        raise ValueError(f"Z must be a finite 2-D array, got shape {Z.shape}")
    codes, classes = as_labels(y, "y", n_samples=Z.shape[0])
    c = classes.shape[0]
    Y = one_hot(codes, c)
    Lmat = Y @ Y.T
    if kernel == "linear":
        K = Z @ Z.T
        s = math.nan
    else:
        s = float(sigma) if sigma is not None else hsic_optimal_sigma(
            Z, codes, random_state=random_state)
        K = gaussian_kernel(Z, sigma=s)
    h = normalized_hsic(K, Lmat, variant="authors")
    within, between = _class_block_means(Y.T @ K @ Y, Y.sum(axis=0))
    ids = Z if Z_ids is None else np.ascontiguousarray(np.asarray(Z_ids, dtype=np.float64))
    means = (Y.T @ ids) / Y.sum(axis=0)[:, None]
    dev = ids - means[codes]
    mse = float(np.sum(dev * dev)) / ids.shape[0]
    mse_authors = float(np.sum(np.linalg.norm(dev * dev, axis=1))) / ids.shape[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lbfgs may stop at max_iter on separable outputs
        clf = LogisticRegression(random_state=0, max_iter=1000).fit(Z, codes)
        ce = float(log_loss(codes, clf.predict_proba(Z), labels=np.arange(c)))
    return {
        "H_star": float(h),
        "MSE": mse,
        "MSE_authors": mse_authors,
        "CE": ce,
        "C": between / within if within != 0 else math.inf,
        "T": float(distance_ratio(ids, codes)),
        "sigma_kernel": s,
    }


# ---------------------------------------------------------------------------------------------
# one fold
# ---------------------------------------------------------------------------------------------


def _stable_index(dataset: str, fold: int) -> int:
    return 100 * _datasets.names().index(dataset) + int(fold)


def ws_options(dataset: str) -> dict:
    """The :math:`W_s` estimator options of the table: the authors' published code's settings.

    For the poster's eight data sets :func:`kernelnet.datasets.authors_ws_options` (their
    bandwidth list for the set, their extra-column rule and random-feature normaliser, 29
    layers at most); for a set the authors never ran (``car_uci``, ``cancer_uci``) the same
    with the list they used on six of the eight, smallest sigma 0.05 and 20 values.
    """
    if dataset in _datasets.AUTHORS_WS_BANDWIDTHS:
        return _datasets.authors_ws_options(dataset)
    _datasets.describe(dataset)  # ValueError for an unknown name
    return {**_datasets.authors_ws_options("wine"), "ws_smallest_sigma": 0.05, "ws_n_sigmas": 20}


def _fold_scheme(scheme: str, method: str) -> str:
    """The stored split a method runs on: W_s on the W_s repository's, the rest on the ISM's."""
    if scheme == "authors" and method == "ws":
        return "authors_ws"
    return scheme


def _split(dataset: str, scheme: str, n_splits: int, fold: int, random_state: int):
    """(train_idx, test_idx) of fold ``fold`` (1-based) into ``load(dataset)`` (file order)."""
    if scheme in ("authors", "authors_ws"):
        return _datasets.folds(dataset, scheme=scheme)[fold - 1]
    from sklearn.model_selection import StratifiedKFold

    _, y = _datasets.load(dataset)
    skf = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=random_state)
    return list(skf.split(np.zeros((y.shape[0], 1)), y))[fold - 1]


def _streams(seed: int) -> dict:
    """Independent integer seeds for the noise, the estimator and the metrics of one fold."""
    kids = np.random.SeedSequence(seed).spawn(3)
    vals = [int(k.generate_state(1, dtype=np.uint32)[0]) for k in kids]
    return dict(zip(("noise", "model", "metrics"), vals))


#: A change of the normalised HSIC (a number in [0, 1]) between layers smaller than this is a
#: tie, not a rise or a drop: it sums n^2 products in double precision, whose rounding error is
#: at most about n^2 * 1.1e-16 relative (2.7e-10 at the largest n here, 1555), below 1e-9.
H_TIE = 1e-9


def _h_trace(values) -> dict:
    h = np.asarray(values, dtype=np.float64)
    steps = np.diff(h)
    return {
        "H_first": float(h[0]),
        "H_last": float(h[-1]),
        "H_rising": bool(np.all(steps > H_TIE)),
        "H_drops": int(np.sum(steps < -H_TIE)),
        "H_flats": int(np.sum(np.abs(steps) <= H_TIE)),
    }


def _run_fold(unit: dict, _position_seed=None) -> dict:
    """Fit one (data set, method, fold) and measure the ten columns; optionally write it."""
    from sklearn.preprocessing import scale
    from threadpoolctl import threadpool_limits

    ds, method, fold = unit["dataset"], unit["method"], int(unit["fold"])
    seed = unit_seed(int(unit["random_state"]), _stable_index(ds, fold))
    st = _streams(seed)
    X, y = _datasets.load(ds)
    tr, te = _split(ds, _fold_scheme(unit["folds"], method), int(unit["n_splits"]), fold,
                    int(unit["random_state"]))
    Xtr, ytr, Xte, yte = X[tr], y[tr], X[te], y[te]
    codes_tr, classes = as_labels(ytr, "y")
    t_start = time.perf_counter()
    layers = []
    with threadpool_limits(limits=1, user_api="blas"):
        if method == "ws":
            noise = np.random.default_rng(st["noise"]).standard_normal(Xtr.shape)
            Xtr = Xtr + 0.02 * noise
        Xtr = scale(Xtr)
        Xte = scale(Xte)
        if method in _KERNEL_METHODS:
            from ..layerwise import LayerwiseKernelNet

            opts = {**ws_options(ds), **unit.get("ws_overrides", {})} if method == "ws" else {}
            net = LayerwiseKernelNet(method=_ESTIMATOR[method], random_state=st["model"], **opts)
            net.fit(Xtr, ytr)
            hist = net.history_
            train_acc = float(np.mean(net.predict(Xtr) == ytr))
            test_acc = float(np.mean(net.predict(Xte) == yte))
            outs = net.layer_outputs(Xtr)
            if method == "ism":
                prev = Xtr if len(outs) == 1 else outs[-2]
                ids = prev @ net.layers_[-1]["W"]
                met = output_metrics(outs[-1], codes_tr, kernel="linear", Z_ids=ids)
            else:
                met = output_metrics(outs[-1], codes_tr, sigma=hist[-1]["sigma_out"])
            row = {
                "sigma": float(min(h["sigma"] for h in hist)),
                "L": int(net.n_layers_),
                "train_acc": train_acc,
                "test_acc": test_acc,
                "time": float(net.fit_time_),
                "stop_reason": str(net.stop_reason_),
                "n_epochs": math.nan,
                **_h_trace([h["nhsic_authors"] for h in hist]),
            }
            layers = [
                {"layer": int(h["layer"]), "H": float(h["nhsic_authors"]),
                 "sigma": float(h["sigma"]), "width": int(h["width"])}
                for h in hist
            ]
        else:
            from ..baselines import MLPBaseline

            mlp = MLPBaseline(loss=method, n_layers=int(unit["n_layers"]),
                              max_epochs=int(unit["max_epochs"]), random_state=st["model"])
            mlp.fit(Xtr, ytr)
            H = mlp.hidden_output(Xtr)
            met = output_metrics(H, codes_tr, random_state=st["metrics"])
            met_out = output_metrics(mlp.output(Xtr), codes_tr, random_state=st["metrics"])
            row = {
                "sigma": math.nan,
                "L": int(unit["n_layers"]),
                "train_acc": mlp.score(Xtr, ytr),
                "test_acc": mlp.score(Xte, yte),
                "time": float(mlp.fit_time_),
                "stop_reason": mlp.stop_reason_,
                "n_epochs": int(mlp.n_epochs_),
                "H_first": math.nan, "H_last": math.nan, "H_rising": None, "H_drops": None,
                "H_flats": None,
                **{f"{k}_out": met_out[k] for k in OUTPUT_READING},
            }
    row.update({k: met[k] for k in ("H_star", "MSE", "MSE_authors", "CE", "C", "T")})
    for k in OUTPUT_READING:
        row.setdefault(f"{k}_out", math.nan)
    row.update({"dataset": ds, "method": method, "fold": fold, "n_train": int(tr.size),
                "n_test": int(te.size), "seed": int(seed)})
    result = {
        "params": _unit_params(unit),
        "row": {k: row.get(k) for k in FOLD_COLUMNS},
        "layers": layers,
        "provenance": {
            "wall_seconds": time.perf_counter() - t_start,
            "finished": _now(),
            "pid": os.getpid(),
        },
    }
    if unit.get("write_dir"):
        _write_fold(Path(unit["write_dir"]), result)
    return result


# ---------------------------------------------------------------------------------------------
# fold files (resumable runs)
# ---------------------------------------------------------------------------------------------


def _unit_params(unit: dict) -> dict:
    p = {k: unit[k] for k in ("dataset", "method", "fold", "folds", "n_splits", "random_state")}
    if unit["method"] in _BASELINE_METHODS:
        p["max_epochs"] = int(unit["max_epochs"])
        p["n_layers"] = int(unit["n_layers"])
    if unit["method"] == "ws":
        # a fold file made before the W_s rows moved to the authors' W_s split and settings
        # does not match these and is recomputed
        p["split"] = _fold_scheme(unit["folds"], "ws")
        p["ws_options"] = {**ws_options(unit["dataset"]), **unit.get("ws_overrides", {})}
    if unit["method"] == "ism":
        # a fold file made by the float32 ISM loop (before issue 15 item 9) does not match
        # these and is recomputed
        p["ism_numerics"] = _ism_numerics()
    p["schema"] = SCHEMA
    return p


def _ism_numerics() -> dict:
    """What ISM's numbers depend on beyond the unit: loop precision and bandwidth grid."""
    from .. import layerwise

    return {"precision": layerwise.LayerwiseKernelNet().ism_precision,
            "sigma_grid": float(layerwise._SIGMA_GRID), "features": "span"}


def _fold_path(folder: Path, dataset: str, method: str, fold: int) -> Path:
    return Path(folder) / f"{dataset}__{method}__fold{int(fold):02d}.json"


def _jsonable(v):
    if isinstance(v, (np.floating, float)):
        v = float(v)
        return v if math.isfinite(v) else (None if math.isnan(v) else ("inf" if v > 0 else "-inf"))
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return v


def _write_fold(folder: Path, result: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    r = result["row"]
    path = _fold_path(folder, r["dataset"], r["method"], r["fold"])
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(_jsonable(result), indent=1, sort_keys=True) + "\n")
    os.replace(tmp, path)


def _read_fold(folder: Path, unit: dict) -> dict | None:
    """The stored result of ``unit`` if present and made with the same parameters."""
    path = _fold_path(folder, unit["dataset"], unit["method"], unit["fold"])
    if not path.exists():
        return None
    try:
        stored = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    if stored.get("params") != _jsonable(_unit_params(unit)):
        return None
    row = {k: (math.nan if v is None and k in COLUMNS else v) for k, v in stored["row"].items()}
    for k, v in row.items():
        if v in ("inf", "-inf"):
            row[k] = float(v)
    stored["row"] = row
    return stored


# ---------------------------------------------------------------------------------------------
# the table
# ---------------------------------------------------------------------------------------------


@dataclass
class PosterTable:
    """Result of :func:`poster_table`.

    Attributes
    ----------
    folds : pandas.DataFrame
        One row per (data set, method, fold): :data:`FOLD_COLUMNS`.
    summary : pandas.DataFrame
        Tidy: ``dataset, method, column, mean, std, min, max, n_folds`` (``std`` with
        ``ddof=0``, as the authors' ``np.std``).
    layers : pandas.DataFrame
        Per layer of the kernel nets: ``dataset, method, fold, layer, H, sigma, width``.
    params : dict
        The call's parameters.
    """

    folds: pd.DataFrame
    summary: pd.DataFrame
    layers: pd.DataFrame
    params: dict = field(default_factory=dict)


def _check_names(values, name, valid, default):
    if values is None:
        return tuple(default)
    if isinstance(values, str):
        values = (values,)
    values = tuple(values)
    if not values:
        raise ValueError(f"{name} must not be empty; valid: {', '.join(map(repr, valid))}")
    for v in values:
        check_choice(v, name, tuple(valid))
    if len(set(values)) != len(values):
        raise ValueError(f"{name} has duplicates: {values!r}")
    return values


def default_parameters(*, quick: bool = False) -> dict:
    """The parameters of the committed full table (``quick=False``) or of the quick table."""
    return {
        "datasets": list(QUICK_DATASETS if quick else DATASETS),
        "methods": list(METHODS),
        "n_splits": 10,
        "max_folds": QUICK_FOLDS if quick else 10,
        "folds": "authors",
        "random_state": 0,
        "max_epochs": QUICK_MAX_EPOCHS if quick else FULL_MAX_EPOCHS,
        "schema": SCHEMA,
    }


def _units(dsets, methods, fold_ids, scheme, n_splits, random_state, max_epochs):
    base = {"folds": scheme, "n_splits": n_splits, "random_state": random_state}
    kernel, baseline = [], []
    need_ism = any(m in _BASELINE_METHODS for m in methods)
    for ds in dsets:
        for f in fold_ids:
            for m in METHODS:
                if m in _KERNEL_METHODS and (m in methods or (m == "ism" and need_ism)):
                    kernel.append({**base, "dataset": ds, "method": m, "fold": f})
                elif m in _BASELINE_METHODS and m in methods:
                    baseline.append({**base, "dataset": ds, "method": m, "fold": f,
                                     "max_epochs": max_epochs})
    return kernel, baseline


def _run_units(units, cache_dir, *, random_state, n_jobs, backend, scheduler, progress, desc,
               force):
    """Results of ``units`` in order, reading/writing ``cache_dir`` when given."""
    results = [None] * len(units)
    todo = []
    for i, u in enumerate(units):
        hit = None if (cache_dir is None or force) else _read_fold(cache_dir, u)
        if hit is not None:
            results[i] = hit
        else:
            todo.append(i)
    # the largest data sets first (better load balance); results return in this order
    todo.sort(key=lambda i: -_datasets.describe(units[i]["dataset"]).n)
    work = [dict(units[i], write_dir=str(cache_dir) if cache_dir is not None else None)
            for i in todo]
    out = map_units(_run_fold, work, seed=random_state, n_jobs=n_jobs, backend=backend,
                    scheduler=scheduler, progress=progress, desc=desc)
    for i, r in zip(todo, out):
        if cache_dir is not None:
            _write_fold(Path(cache_dir), r)  # again from here: workers may be remote (Dask)
        results[i] = r
    return results, len(todo)


def poster_table(
    datasets=None,
    methods=None,
    n_splits: int = 10,
    quick: bool = False,
    random_state: int = 0,
    n_jobs=None,
    folds: str = "authors",
    backend=None,
    scheduler=None,
    *,
    max_folds=None,
    max_epochs=None,
    cache_dir=None,
    force: bool = False,
    progress: bool = True,
    ws_overrides: dict | None = None,
) -> PosterTable:
    r"""The poster's table, every fold: ISM, W_s and the CE/MSE MLPs on the poster's data sets.

    Parameters
    ----------
    datasets : sequence of str, optional
        Default: the poster's eight (:data:`DATASETS`), or :data:`QUICK_DATASETS` when ``quick``.
        ``car_uci`` and ``cancer_uci`` are accepted with ``folds="stratified"``.
    methods : sequence of {"ism", "ws", "ce", "mse"}, optional
        Default all four. The MLPs copy the ISM net's depth on each fold, so asking for a
        baseline fits ISM too (it is reported only if asked for).
    n_splits : int, default 10
        Folds of the cross-validation. ``folds="authors"`` requires 10 (their split).
    quick : bool
        Reduced table for CI: :data:`QUICK_DATASETS`, the first :data:`QUICK_FOLDS` folds, MLP
        epochs capped at :data:`QUICK_MAX_EPOCHS` (each unless given explicitly).
    random_state : int, default 0
        Global seed: the noise of W_s, the bandwidth subsamples, random features and the MLPs'
        initialisation and shuffling of every fold derive from it (module docstring);
        ``folds="stratified"`` also shuffles with it.
    n_jobs, backend, scheduler
        Passed to :func:`kernelnet.parallel.map_units`; the result does not depend on them.
    folds : {"authors", "stratified"}
        ``"authors"``: the splits the authors stored: ISM and the MLPs on the one stored with
        their ISM code (column ``fold_neural_indicator_kernel_ism``,
        :func:`kernelnet.datasets.folds`), W_s on the one stored with their W_s code (column
        ``fold_nik_thm1_release_v2``, ``scheme="authors_ws"``), so that fold ``k`` of each is
        the authors' fold ``k`` of that method;
        ``"stratified"``: ``StratifiedKFold(n_splits, shuffle=True, random_state=random_state)``.
    max_folds : int, optional
        Run only folds 1..max_folds (default all ``n_splits``).
    max_epochs : int, optional
        Epoch cap of the MLPs (default :data:`FULL_MAX_EPOCHS`, or :data:`QUICK_MAX_EPOCHS`).
    cache_dir : path, optional
        Folder of per-fold JSON files: a fold whose file exists with the same parameters is read
        instead of recomputed, and every computed fold is written as soon as it finishes
        (resumable runs; :func:`run_full_table`).
    force : bool
        Recompute even when ``cache_dir`` holds the fold.
    progress : bool
        tqdm bars as folds complete.
    ws_overrides : dict, optional
        W_s estimator options that replace the authors' (:func:`ws_options`) in every W_s fold,
        e.g. ``{"ws_append_misclassified": "none"}`` (keys ``ws_append_misclassified``,
        ``ws_normaliser``, ``ws_smallest_sigma``, ``ws_n_sigmas``); recorded in the fold files.

    Returns
    -------
    PosterTable

    Raises
    ------
    ValueError
        Unknown data set, method or fold scheme (the message lists the valid ones), a data set
        without stored folds with ``folds="authors"``, or bad sizes.
    """
    if not isinstance(quick, (bool, np.bool_)):
        raise ValueError(f"quick must be True or False, got {quick!r}")
    valid_ds = _datasets.names()
    dsets = _check_names(datasets, "datasets", valid_ds, QUICK_DATASETS if quick else DATASETS)
    meths = _check_names(methods, "methods", METHODS, METHODS)
    check_choice(folds, "folds", _FOLD_SCHEMES)
    n_splits = check_int(n_splits, "n_splits", minimum=2)
    random_state = check_int(random_state, "random_state", minimum=0)
    if folds == "authors":
        if n_splits != 10:
            raise ValueError(
                f"n_splits must be 10 with folds='authors' (their split), got {n_splits}")
        no_folds = [d for d in dsets if not _datasets.describe(d).has_folds]
        if no_folds:
            ok = ", ".join(repr(d) for d in valid_ds if _datasets.describe(d).has_folds)
            raise ValueError(
                f"datasets {no_folds} have no stored folds; with folds='authors' use one of {ok}, "
                "or pass folds='stratified'")
    if max_folds is None:
        max_folds = QUICK_FOLDS if quick else n_splits
    max_folds = check_int(max_folds, "max_folds", minimum=1, maximum=n_splits)
    if max_epochs is None:
        max_epochs = QUICK_MAX_EPOCHS if quick else FULL_MAX_EPOCHS
    max_epochs = check_int(max_epochs, "max_epochs", minimum=1)
    cache = None if cache_dir is None else Path(cache_dir)
    fold_ids = list(range(1, max_folds + 1))

    kernel_units, base_units = _units(dsets, meths, fold_ids, folds, n_splits, random_state,
                                      max_epochs)
    if ws_overrides:
        if not isinstance(ws_overrides, dict) or not set(ws_overrides) <= set(_WS_OVERRIDABLE):
            raise ValueError(f"ws_overrides must be a dict with keys among {_WS_OVERRIDABLE}, "
                             f"got {ws_overrides!r}")
        for u in kernel_units:
            if u["method"] == "ws":
                u["ws_overrides"] = dict(ws_overrides)
    common = dict(random_state=random_state, n_jobs=n_jobs, backend=backend,
                  scheduler=scheduler, progress=progress, force=force)
    t0 = time.perf_counter()
    kres, k_run = _run_units(kernel_units, cache, desc="poster table: ISM, W_s folds", **common)
    t_kernel = time.perf_counter() - t0
    depth = {(r["row"]["dataset"], r["row"]["fold"]): r["row"]["L"]
             for r in kres if r["row"]["method"] == "ism"}
    for u in base_units:
        u["n_layers"] = int(depth[(u["dataset"], u["fold"])])
    t1 = time.perf_counter()
    bres, b_run = _run_units(base_units, cache, desc="poster table: MLP folds", **common)
    t_base = time.perf_counter() - t1

    results = [r for r in kres + bres if r["row"]["method"] in meths]
    rows = [r["row"] for r in results]
    df = _order(pd.DataFrame(rows, columns=list(FOLD_COLUMNS)))
    lay = []
    for r in results:
        for rec in r["layers"]:
            lay.append({"dataset": r["row"]["dataset"], "method": r["row"]["method"],
                        "fold": r["row"]["fold"], **rec})
    layers = pd.DataFrame(
        lay, columns=["dataset", "method", "fold", "layer", "H", "sigma", "width"])
    if len(layers):
        layers = _order(layers, extra=["layer"])
    params = {
        "datasets": list(dsets), "methods": list(meths), "n_splits": n_splits,
        "max_folds": max_folds, "folds": folds, "random_state": random_state,
        "max_epochs": max_epochs, "schema": SCHEMA, "quick": bool(quick),
        "n_jobs": n_jobs, "backend": backend,
        "wall_seconds_kernel": t_kernel, "wall_seconds_baselines": t_base,
        "units_computed": k_run + b_run, "units_total": len(kernel_units) + len(base_units),
    }
    return PosterTable(folds=df, summary=summarize(df), layers=layers, params=params)


def _order(df: pd.DataFrame, extra=()) -> pd.DataFrame:
    ds_rank = {d: i for i, d in enumerate(_datasets.names())}
    m_rank = {m: i for i, m in enumerate(METHODS)}
    key = df.assign(_d=df["dataset"].map(ds_rank), _m=df["method"].map(m_rank))
    by = ["_d", "_m", *(["fold"] if "fold" in df.columns else []), *extra]
    key = key.sort_values(by, kind="stable")
    return key.drop(columns=["_d", "_m"]).reset_index(drop=True)


def summarize(folds: pd.DataFrame) -> pd.DataFrame:
    """Mean, std (ddof=0, as the authors' ``np.std``), min, max and count of every column.

    Returns a tidy frame ``dataset, method, column, mean, std, min, max, n_folds`` in the
    poster's order (the layout of :func:`kernelnet.datasets.poster_table`).
    """
    long = folds.melt(id_vars=["dataset", "method", "fold"], value_vars=list(COLUMNS),
                      var_name="column", value_name="value")
    long["value"] = pd.to_numeric(long["value"], errors="coerce")
    g = long.groupby(["dataset", "method", "column"], sort=False)["value"]
    out = pd.DataFrame({
        "mean": g.mean(),
        "std": g.std(ddof=0),
        "min": g.min(),
        "max": g.max(),
        "n_folds": g.count(),
    }).reset_index()
    col_rank = {c: i for i, c in enumerate(COLUMNS)}
    out = out.assign(_c=out["column"].map(col_rank))
    return _order(out, extra=["_c"]).drop(columns=["_c"])


def compare_with_poster(summary: pd.DataFrame) -> pd.DataFrame:
    """Every cell of ``summary`` beside the poster's (``kernelnet.datasets.poster_table``).

    Returns
    -------
    pandas.DataFrame
        ``dataset, method, column, ours_mean, ours_std, poster_mean, poster_std, diff``
        (ours - poster), ``abs_diff`` and ``within_poster_std`` (``abs_diff`` at most the poster's
        std, NaN where the poster gives no std), in the poster's order.
    """
    poster = _datasets.poster_table().rename(columns={"mean": "poster_mean", "std": "poster_std"})
    ours = summary.rename(columns={"mean": "ours_mean", "std": "ours_std"})[
        ["dataset", "method", "column", "ours_mean", "ours_std"]]
    out = ours.merge(poster, on=["dataset", "method", "column"], how="left")
    out["diff"] = out["ours_mean"] - out["poster_mean"]
    out["abs_diff"] = out["diff"].abs()
    within = out["abs_diff"] <= out["poster_std"] + 1e-12
    out["within_poster_std"] = within.where(out["poster_std"].notna())
    return out


def _fmt(mean, std, digits=2):
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "-"
    if std is None or (isinstance(std, float) and math.isnan(std)):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def side_by_side(comparison: pd.DataFrame, *, digits: int = 2) -> pd.DataFrame:
    """A wide table of formatted cells: rows (data set, method, source), columns the poster's.

    ``source`` is ``"ours"`` or ``"poster"``; cells read ``mean ± std`` (the poster's sigma is a
    single number, the MLPs' sigma is "-").
    """
    recs = []
    for (ds, m), g in comparison.groupby(["dataset", "method"], sort=False):
        for src in ("ours", "poster"):
            rec = {"dataset": ds, "method": m, "source": src}
            for _, r in g.iterrows():
                std = r[f"{src}_std"] if r["column"] != "sigma" or src == "ours" else math.nan
                rec[r["column"]] = _fmt(r[f"{src}_mean"], std, digits)
            recs.append(rec)
    return pd.DataFrame(recs, columns=["dataset", "method", "source", *COLUMNS]).set_index(
        ["dataset", "method", "source"])


def mlp_readings(table: PosterTable) -> pd.DataFrame:
    """The MLP rows' H*, MSE, CE, C, T measured on the last hidden layer and on the output.

    ``DEFINITIONS.md`` fixes the last hidden layer (the authors' rule is not recorded); the
    output reading is the alternative. Returns ``dataset, method, column, hidden, output,
    poster, closer`` (``"hidden"``, ``"output"`` or ``"tie"``: which mean is nearer the poster's).
    """
    f = table.folds[table.folds.method.isin(_BASELINE_METHODS)]
    poster = _datasets.poster_table()
    recs = []
    for (ds, m), g in f.groupby(["dataset", "method"], sort=False):
        for c in OUTPUT_READING:
            hid = float(pd.to_numeric(g[c]).mean())
            out = float(pd.to_numeric(g[f"{c}_out"]).mean())
            p = poster[(poster.dataset == ds) & (poster.method == m) & (poster.column == c)]
            pv = float(p["mean"].iloc[0]) if len(p) else math.nan
            dh, do = abs(hid - pv), abs(out - pv)
            closer = "tie" if dh == do else ("hidden" if dh < do else "output")
            recs.append({"dataset": ds, "method": m, "column": c, "hidden": hid, "output": out,
                         "poster": pv, "closer": closer if math.isfinite(pv) else None})
    return pd.DataFrame(recs)


def identity_kernel_hsic(dataset: str, fold: int, *, folds: str = "authors") -> float:
    r"""Normalised HSIC (authors' variant) of the identity kernel on a training fold.

    .. math:: \frac{\langle H I, H L\rangle_F}{\lVert H I\rVert_F \lVert H L\rVert_F},
       \qquad L = Y Y^\top,

    the value a layer reaches when its bandwidth is so small that every point is similar only to
    itself; it depends only on the class sizes.
    """
    check_choice(folds, "folds", ("authors",))
    _, y = _datasets.load(dataset)
    tr, _ = _datasets.folds(dataset, scheme="authors")[check_int(fold, "fold", minimum=1,
                                                                 maximum=10) - 1]
    codes, classes = as_labels(y[tr], "y")
    Y = one_hot(codes, classes.shape[0])
    return float(normalized_hsic(np.eye(tr.size), Y @ Y.T, variant="authors"))


def check_targets(table: PosterTable) -> dict:
    r"""The book's targets on a table: ISM accuracy near the poster, ISM's :math:`H_l` rising.

    Returns
    -------
    dict
        ``accuracy``: DataFrame (data set, ours, poster, diff, ok) for the data sets of
        :data:`ACCURACY_TARGETS` present, ``ok`` meaning :math:`|\text{diff}| \le 0.05`;
        ``rising``: DataFrame of every ISM fold whose per-layer normalised HSIC is not strictly
        increasing (data set, fold, L, drops, the sequence); ``n_ism_folds``: ISM folds checked.
    """
    comp = compare_with_poster(table.summary)
    acc = comp[(comp.method == "ism") & (comp.column == "test_acc")
               & comp.dataset.isin(ACCURACY_TARGETS)]
    acc = acc[["dataset", "ours_mean", "poster_mean", "diff"]].rename(
        columns={"ours_mean": "ours", "poster_mean": "poster"}).reset_index(drop=True)
    acc["ok"] = acc["diff"].abs() <= ACCURACY_TOLERANCE + 1e-12
    ism = table.folds[table.folds.method == "ism"]
    bad = []
    for _, r in ism.iterrows():
        if not bool(r["H_rising"]):
            seq = table.layers[(table.layers.dataset == r["dataset"])
                               & (table.layers.method == "ism")
                               & (table.layers.fold == r["fold"])]["H"].tolist()
            bad.append({"dataset": r["dataset"], "fold": int(r["fold"]), "L": int(r["L"]),
                        "drops": int(r["H_drops"]), "flat_steps": int(r["H_flats"]),
                        "largest_drop": float(-np.min(np.diff(seq))) if len(seq) > 1 else 0.0,
                        "H": seq})
    return {"accuracy": acc,
            "rising": pd.DataFrame(bad, columns=["dataset", "fold", "L", "drops", "flat_steps",
                                                 "largest_drop", "H"]),
            "n_ism_folds": int(len(ism))}


# ---------------------------------------------------------------------------------------------
# ISM under rounding-level changes (issue 15, item 9)
# ---------------------------------------------------------------------------------------------

#: Relative size of the input perturbation in :func:`ism_sensitivity`.
SENSITIVITY_EPS = 1e-13
_SENS_KEYS = ("L", "train_acc", "test_acc", "stop_reason")


def _ism_fold_inputs(dataset: str, fold: int, *, random_state: int = 0):
    """``(Xtr, ytr, Xte, yte, model_seed)`` of the table's ISM unit (authors' folds), as
    :func:`_run_fold` fits it: each fold z-scored on its own, the estimator's seed from the
    fold's stable index."""
    from sklearn.preprocessing import scale

    seed = unit_seed(int(random_state), _stable_index(dataset, fold))
    X, y = _datasets.load(dataset)
    tr, te = _split(dataset, "authors", 10, int(fold), int(random_state))
    return scale(X[tr]), y[tr], scale(X[te]), y[te], _streams(seed)["model"]


def _sensitivity_unit(unit: dict, _position_seed=None) -> list:
    from threadpoolctl import threadpool_limits

    from ..layerwise import LayerwiseKernelNet, _fit_blas_threads

    ds, fold, rs = unit["dataset"], int(unit["fold"]), int(unit["random_state"])
    Xtr, ytr, Xte, yte, mseed = _ism_fold_inputs(ds, fold, random_state=rs)
    rows = []
    for kind, k in unit["variants"]:
        X, seed, threads = Xtr, mseed, 1
        if kind == "perturbation":
            noise = np.random.default_rng([rs, 15, k]).standard_normal(Xtr.shape)
            X = Xtr * (1.0 + float(unit["eps"]) * noise)
        elif kind == "threads":
            threads = k
        elif kind == "seed":
            seed = _streams(unit_seed(k, _stable_index(ds, fold)))["model"]
        with _fit_blas_threads(threads):
            net = LayerwiseKernelNet(method="ism", random_state=seed).fit(X, ytr)
        with threadpool_limits(limits=threads, user_api="blas"):
            tr_acc = float(np.mean(net.predict(X) == ytr))
            te_acc = float(np.mean(net.predict(Xte) == yte))
        rows.append({"dataset": ds, "fold": fold, "kind": kind, "variant": int(k),
                     "L": int(net.n_layers_), "train_acc": tr_acc, "test_acc": te_acc,
                     "stop_reason": str(net.stop_reason_),
                     "sigma": float(min(h["sigma"] for h in net.history_))})
    return rows


def ism_sensitivity(datasets=("random", "adversarial"), folds=None, *, perturbations: int = 3,
                    eps: float = SENSITIVITY_EPS, threads=(2,), seeds=(1, 2, 3),
                    random_state: int = 0, n_jobs=None, progress: bool = False) -> pd.DataFrame:
    r"""ISM table folds refitted under rounding-level changes and under other seeds.

    For each (data set, fold) of the table's ISM units (authors' folds, preprocessing and
    seed as in the committed table): the ``reference`` fit; ``perturbation`` fits with the
    training input multiplied by :math:`1 + \varepsilon g`, :math:`g \sim \mathcal N(0, 1)`
    per entry (``eps`` relative, default 1e-13: about the rounding another processor's BLAS
    kernels leave after a few operations); ``threads`` fits with BLAS on that many threads
    (different summation order, the rounding of another machine); and ``seed`` fits with the
    estimator's seed (bandwidth subsamples, random features) of another global
    ``random_state``, for scale: the spread a different draw gives.

    Parameters
    ----------
    datasets : sequence of str
    folds : sequence of int, optional
        Default 1..10.
    perturbations : int, >= 0
    eps : float, > 0
    threads : sequence of int
    seeds : sequence of int
        Global seeds (not ``random_state``) for the ``seed`` variants.
    random_state : int
        The table's global seed (the reference).
    n_jobs, progress
        :func:`kernelnet.parallel.map_units` over (data set, fold); the result does not depend
        on them.

    Returns
    -------
    pandas.DataFrame
        ``dataset, fold, kind, variant, L, train_acc, test_acc, stop_reason, sigma`` (the
        smallest layer bandwidth); ``kind`` in ``reference, perturbation, threads, seed``.
    """
    dsets = _check_names(datasets, "datasets", _datasets.names(), ("random", "adversarial"))
    fold_ids = list(range(1, 11)) if folds is None else [
        check_int(f, "folds", minimum=1, maximum=10) for f in folds]
    if not fold_ids:
        raise ValueError("folds must not be empty")
    perturbations = check_int(perturbations, "perturbations", minimum=0)
    eps = float(eps)
    if not (math.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be a positive number, got {eps!r}")
    threads = [check_int(t, "threads", minimum=1) for t in threads]
    seeds = [check_int(s, "seeds", minimum=0) for s in seeds]
    random_state = check_int(random_state, "random_state", minimum=0)
    if random_state in seeds:
        raise ValueError(f"seeds must differ from random_state = {random_state}, got {seeds}")
    variants = ([("reference", 0)] + [("perturbation", k) for k in range(1, perturbations + 1)]
                + [("threads", t) for t in threads] + [("seed", s) for s in seeds])
    units = [{"dataset": d, "fold": f, "random_state": random_state, "eps": eps,
              "variants": variants} for d in dsets for f in fold_ids]
    out = map_units(_sensitivity_unit, units, seed=random_state, n_jobs=n_jobs,
                    progress=progress, desc="ISM sensitivity")
    return pd.DataFrame([r for rows in out for r in rows],
                        columns=["dataset", "fold", "kind", "variant", *_SENS_KEYS, "sigma"])


def sensitivity_spread(sens: pd.DataFrame) -> pd.DataFrame:
    """Per data set, how far rounding-level changes and other seeds move the ISM folds.

    ``source="rounding"`` pools the ``perturbation`` and ``threads`` fits, ``source="seed"``
    the ``seed`` fits; each is set against the ``reference`` fit of the same fold.

    Returns
    -------
    pandas.DataFrame
        ``dataset, source, n_variants, n_folds, folds_changed`` (folds where some variant's
        depth, stopping reason, training or test accuracy differs from the reference),
        ``max_L_spread`` and ``max_test_spread`` (largest range over the fold's fits, the
        reference included), ``L_ref``/``test_ref`` (reference mean over folds) and
        ``L_min, L_max, test_min, test_max`` (range of the per-variant means over folds).
    """
    need = {"dataset", "fold", "kind", "variant", *_SENS_KEYS}
    if not need <= set(sens.columns):
        raise ValueError(f"sens must have the columns {sorted(need)}, got {list(sens.columns)}")
    recs = []
    for ds, g in sens.groupby("dataset", sort=False):
        ref = g[g.kind == "reference"].set_index("fold")
        if ref.empty:
            raise ValueError(f"sens has no reference fit for {ds!r}")
        for source, kinds in (("rounding", ("perturbation", "threads")), ("seed", ("seed",))):
            v = g[g.kind.isin(kinds)]
            if v.empty:
                continue
            both = pd.concat([ref.reset_index(), v])
            changed = 0
            for f, gv in v.groupby("fold"):
                r = ref.loc[f]
                if any((gv[k] != r[k]).any() for k in _SENS_KEYS):
                    changed += 1
            per_fold = both.groupby("fold")
            means = v.groupby(["kind", "variant"])[["L", "test_acc"]].mean()
            recs.append({
                "dataset": ds, "source": source, "n_variants": int(len(means)),
                "n_folds": int(ref.shape[0]), "folds_changed": changed,
                "max_L_spread": int((per_fold.L.max() - per_fold.L.min()).max()),
                "max_test_spread": float((per_fold.test_acc.max()
                                          - per_fold.test_acc.min()).max()),
                "L_ref": float(ref.L.mean()), "test_ref": float(ref.test_acc.mean()),
                "L_min": float(means.L.min()), "L_max": float(means.L.max()),
                "test_min": float(means.test_acc.min()),
                "test_max": float(means.test_acc.max()),
            })
    return pd.DataFrame(recs)


# ---------------------------------------------------------------------------------------------
# the committed full table
# ---------------------------------------------------------------------------------------------


def results_dir() -> Path:
    """``$KERNELNET_RESULTS_DIR/poster_table`` or ``<repository>/results/poster_table``."""
    env = os.environ.get("KERNELNET_RESULTS_DIR")
    if env:
        return Path(env) / "poster_table"
    return Path(__file__).resolve().parents[2] / "results" / "poster_table"


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _git(root: Path) -> dict:
    """Commit of the source tree (``$KERNELNET_GIT_COMMIT`` / ``$KERNELNET_GIT_DIRTY`` override it,
    for runs from an exported snapshot of a commit) and whether ``kernelnet/`` had changes."""
    if os.environ.get("KERNELNET_GIT_COMMIT"):
        return {"commit": os.environ["KERNELNET_GIT_COMMIT"],
                "kernelnet_dirty": os.environ.get("KERNELNET_GIT_DIRTY", "0") == "1"}

    def run(*args):
        try:
            p = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                               timeout=10)
            return p.stdout.strip() if p.returncode == 0 else None
        except (OSError, subprocess.SubprocessError):
            return None

    status = run("status", "--porcelain", "--untracked-files=no", "--", "kernelnet")
    return {"commit": run("rev-parse", "HEAD"),
            "kernelnet_dirty": None if status is None else bool(status)}


def _source_digests() -> dict:
    pkg = Path(__file__).resolve().parents[1]
    out = {}
    for rel in ("layerwise.py", "baselines.py", "experiments/poster_table.py", "hsic.py",
                "kernels.py", "datasets.py", "parallel.py"):
        p = pkg / rel
        out[f"kernelnet/{rel}"] = hashlib.sha256(p.read_bytes()).hexdigest() if p.exists() else None
    return out


def _blas_kernels() -> list:
    """``"<library> <version> <kernel family>"`` of each loaded BLAS (OpenBLAS picks its
    kernels per processor: e.g. ``Haswell`` on AMD EPYC, ``SkylakeX`` on a Xeon)."""
    from threadpoolctl import threadpool_info

    return sorted(f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')}"
                  for i in threadpool_info() if i.get("user_api") == "blas")


def _machine() -> dict:
    import numpy
    import scipy
    import sklearn

    info = {"platform": platform.platform(), "python": platform.python_version(),
            "cpu_count": os.cpu_count(), "numpy": numpy.__version__, "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__}
    info["blas"] = _blas_kernels()
    try:
        import numba

        info["numba"] = numba.__version__
    except ImportError:  # pragma: no cover
        pass
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:  # pragma: no cover
        pass
    try:
        info["load_average"] = list(os.getloadavg())
    except OSError:  # pragma: no cover
        pass
    return info


def _write_table(table: PosterTable, out: Path, *, started: str, machine_start: dict, what: str,
                 how: str, n_jobs, backend) -> None:
    """Write folds/layers/summary/comparison CSVs and provenance.json for ``table`` to ``out``."""
    table.folds.to_csv(out / "folds.csv", index=False, float_format="%.17g")
    table.layers.to_csv(out / "layers.csv", index=False, float_format="%.17g")
    table.summary.to_csv(out / "summary.csv", index=False, float_format="%.17g")
    compare_with_poster(table.summary).to_csv(out / "comparison.csv", index=False,
                                              float_format="%.17g")
    fold_files = sorted((out / "folds").glob("*.json"))
    stored = [json.loads(p.read_text()) for p in fold_files]
    finished = [s["provenance"]["finished"] for s in stored]
    prov = {
        "what": what,
        "how": how,
        "parameters": {k: v for k, v in table.params.items()
                       if k not in ("wall_seconds_kernel", "wall_seconds_baselines",
                                    "units_computed", "units_total", "n_jobs", "backend")},
        "seeds": "fold seed = kernelnet.parallel.unit_seed(random_state, 100 * "
                 "kernelnet.datasets.names().index(dataset) + fold); per-fold value in folds.csv",
        "this_call": {
            "started": started, "finished": _now(), "n_jobs": n_jobs,
            "backend": backend or os.environ.get("KERNELNET_BACKEND") or
            ("loky" if n_jobs not in (None, 1) else "sequential"),
            "wall_seconds_kernel": table.params["wall_seconds_kernel"],
            "wall_seconds_baselines": table.params["wall_seconds_baselines"],
            "units_computed": table.params["units_computed"],
            "units_total": table.params["units_total"],
        },
        "fold_files": {"count": len(fold_files),
                       "first_finished": min(finished) if finished else None,
                       "last_finished": max(finished) if finished else None,
                       "unit_wall_seconds": float(sum(s["provenance"]["wall_seconds"]
                                                      for s in stored)),
                       "unit_wall_seconds_per_method": {
                           m: float(sum(s["provenance"]["wall_seconds"] for s in stored
                                        if s["row"]["method"] == m))
                           for m in table.params["methods"]}},
        "fit_seconds_per_method": {
            m: float(table.folds.loc[table.folds.method == m, "time"].sum())
            for m in table.params["methods"]},
        "git": _git(Path(__file__).resolve().parents[2]),
        "sources_sha256": _source_digests(),
        "machine": {"start": machine_start, "end_load_average": _machine().get("load_average")},
    }
    (out / "provenance.json").write_text(json.dumps(_jsonable(prov), indent=2, sort_keys=True)
                                         + "\n")
    from kernelnet.datasets import write_checksums

    write_checksums(out, _TABLE_FILES)


#: The files of a results folder that load_committed reads (checksummed, CHECKSUMS.sha256).
_TABLE_FILES = ("folds.csv", "layers.csv", "summary.csv", "comparison.csv", "provenance.json")


def run_full_table(
    out_dir=None,
    *,
    n_jobs=2,
    backend=None,
    scheduler=None,
    random_state: int = 0,
    max_epochs: int = FULL_MAX_EPOCHS,
    datasets=None,
    methods=None,
    force: bool = False,
    progress: bool = True,
) -> PosterTable:
    """Compute the full table (10 folds x 8 data sets x 4 methods), resumable fold by fold.

    Every fold is written to ``out_dir/folds/<dataset>__<method>__foldNN.json`` as soon as it
    finishes, and skipped on the next call if its file holds the same parameters. At the end
    ``folds.csv`` (every fold), ``layers.csv`` (per-layer HSIC of the kernel nets),
    ``summary.csv`` (mean/std/min/max), ``comparison.csv`` (beside the poster) and
    ``provenance.json`` (git commit, parameters, seeds, times, machine, source digests) are
    written to ``out_dir`` (default :func:`results_dir`).

    Times: ``provenance.json`` records the wall time of this call's kernel and MLP parts and the
    number of folds actually computed (a resumed run computes fewer), and the summed wall time of
    every stored fold.
    """
    out = Path(out_dir) if out_dir is not None else results_dir()
    out.mkdir(parents=True, exist_ok=True)
    started, machine_start = _now(), _machine()
    table = poster_table(datasets, methods, 10, False, random_state, n_jobs, "authors", backend,
                         scheduler, max_folds=10, max_epochs=max_epochs,
                         cache_dir=out / "folds", force=force, progress=progress)
    _write_table(table, out, started=started, machine_start=machine_start,
                 what="kernelnet poster table (seed 000, Experiment 4), every fold",
                 how="kernelnet.experiments.poster_table.run_full_table()",
                 n_jobs=n_jobs, backend=backend)
    return table


def run_car_uci(out_dir=None, *, n_jobs=2, backend=None, scheduler=None, random_state: int = 0,
                force: bool = False, progress: bool = True) -> PosterTable:
    """ISM and W_s on the genuine UCI car task (``car_uci``), stratified 10-fold, committed.

    The authors' ``car`` label is an input column (``kernelnet.datasets``); this is the same
    table on the real task. Written like :func:`run_full_table` to ``out_dir`` (default
    ``results_dir() / "car_uci"``), resumable fold by fold.
    """
    out = Path(out_dir) if out_dir is not None else results_dir() / "car_uci"
    out.mkdir(parents=True, exist_ok=True)
    started, machine_start = _now(), _machine()
    table = poster_table(["car_uci"], ["ism", "ws"], 10, False, random_state, n_jobs,
                         "stratified", backend, scheduler, cache_dir=out / "folds", force=force,
                         progress=progress)
    _write_table(table, out, started=started, machine_start=machine_start,
                 what="ISM and W_s on car_uci (the genuine UCI car task), stratified 10-fold",
                 how="kernelnet.experiments.poster_table.run_car_uci()",
                 n_jobs=n_jobs, backend=backend)
    return table


def load_committed(path=None) -> PosterTable:
    """The committed full table (``results/poster_table``) as a :class:`PosterTable`.

    ``params`` holds ``provenance.json``.

    Raises
    ------
    FileNotFoundError
        If the folder has no ``folds.csv`` (run :func:`run_full_table`).
    RuntimeError
        If a table file differs from its SHA-256 in the folder's ``CHECKSUMS.sha256`` (written
        by :func:`run_full_table`), or the manifest is missing.
    """
    from kernelnet.datasets import verify_checksums

    folder = Path(path) if path is not None else results_dir()
    fpath = folder / "folds.csv"
    if not fpath.exists():
        raise FileNotFoundError(f"no committed table at {fpath}: run run_full_table() first")
    verify_checksums(folder, [n for n in _TABLE_FILES if (folder / n).exists()])
    folds = pd.read_csv(fpath)
    lpath = folder / "layers.csv"
    layers = pd.read_csv(lpath) if lpath.exists() else pd.DataFrame(
        columns=["dataset", "method", "fold", "layer", "H", "sigma", "width"])
    ppath = folder / "provenance.json"
    prov = json.loads(ppath.read_text()) if ppath.exists() else {}
    return PosterTable(folds=folds, summary=summarize(folds), layers=layers, params=prov)


def reproduce_full_table(out_dir=None, *, n_jobs=2, backend=None, scheduler=None,
                         committed=None, progress=True) -> pd.DataFrame:
    """Recompute the full table with the committed parameters and compare it with the committed one.

    The fresh run goes to ``out_dir`` (default a new temporary folder, so nothing is reused).

    Returns
    -------
    pandas.DataFrame
        One row per (data set, method, column) except ``time``: ``committed``, ``fresh``
        (means over folds) and ``max_abs_fold_diff`` (largest per-fold difference).
    """
    import tempfile

    ref = load_committed(committed)
    params = ref.params.get("parameters", {})
    out = Path(out_dir) if out_dir is not None else Path(tempfile.mkdtemp(prefix="poster_table_"))
    fresh = run_full_table(out, n_jobs=n_jobs, backend=backend, scheduler=scheduler,
                           random_state=int(params.get("random_state", 0)),
                           max_epochs=int(params.get("max_epochs", FULL_MAX_EPOCHS)),
                           datasets=params.get("datasets"), methods=params.get("methods"),
                           progress=progress)
    return compare_tables(ref, fresh)


def compare_tables(a: PosterTable, b: PosterTable) -> pd.DataFrame:
    """Per (data set, method, column): the two means and the largest per-fold difference
    (``time`` left out: it measures the machine)."""
    cols = [c for c in COLUMNS if c != "time"]
    keys = ["dataset", "method", "fold"]
    m = a.folds[keys + cols].merge(b.folds[keys + cols], on=keys, suffixes=("_a", "_b"))
    recs = []
    for (ds, meth), g in m.groupby(["dataset", "method"], sort=False):
        for c in cols:
            x = pd.to_numeric(g[f"{c}_a"], errors="coerce").to_numpy(dtype=float)
            y = pd.to_numeric(g[f"{c}_b"], errors="coerce").to_numpy(dtype=float)
            both_nan = np.isnan(x) & np.isnan(y)
            d = np.where(both_nan, 0.0, np.abs(x - y))
            recs.append({"dataset": ds, "method": meth, "column": c,
                         "committed": float(np.nanmean(x)) if np.any(~np.isnan(x)) else math.nan,
                         "fresh": float(np.nanmean(y)) if np.any(~np.isnan(y)) else math.nan,
                         "max_abs_fold_diff": float(np.max(d)) if d.size else math.nan})
    return pd.DataFrame(recs)


#: Data sets whose ISM folds follow the rounding (``ism_sensitivity``: depths and accuracies
#: change under a 1e-13 relative input perturbation or another BLAS thread count). Their
#: labels carry no structure the network can keep, the bandwidths are small (0.03-0.3), and
#: every layer's random features multiply a change of their input by about 1/sigma.
ROUNDING_SENSITIVE = ("random", "adversarial")
#: Columns compared exactly by :func:`live_check` (discrete outcomes of a fit).
_EXACT_COLUMNS = ("L", "train_acc", "test_acc")


def live_check(comparison: pd.DataFrame, provenance: dict, *, seed: int,
               machine: dict | None = None, sources: dict | None = None) -> dict:
    """Why a live rerun differs from the committed table (or that it does not).

    Parameters
    ----------
    comparison : pandas.DataFrame
        :func:`compare_tables` of the committed table and the rerun
        (``dataset, method, column, max_abs_fold_diff``).
    provenance : dict
        The committed ``provenance.json`` (``parameters.random_state``, ``sources_sha256``,
        ``machine.start``).
    seed : int
        The rerun's global seed.
    machine, sources : dict, optional
        This machine (:func:`_machine`) and the sha256 of the sources used now
        (:func:`_source_digests`); default: measured here.

    Returns
    -------
    dict
        ``status``: ``"not comparable"`` (other seed), ``"identical"``, ``"library changed"``
        (a source digest differs), ``"processor"`` (same sources, other BLAS kernels or
        processor: depths and accuracies agree except on :data:`ROUNDING_SENSITIVE`),
        ``"processor, beyond the sensitive sets"`` (same, but a depth or accuracy differs on
        another data set too) or ``"unexplained"`` (same sources and processor, yet different);
        ``worst`` (largest per-fold difference), ``worst_exact`` (largest difference of a depth
        or accuracy outside :data:`ROUNDING_SENSITIVE`), ``changed_sources``, ``committed_on``,
        ``rerun_on`` and ``text`` (one sentence for the chapter).
    """
    need = {"dataset", "method", "column", "max_abs_fold_diff"}
    if not need <= set(comparison.columns):
        raise ValueError(f"comparison must have the columns {sorted(need)}")
    seed = check_int(seed, "seed", minimum=0)
    params = provenance.get("parameters", {})
    committed_seed = params.get("random_state")
    machine = _machine() if machine is None else machine
    sources = _source_digests() if sources is None else sources
    start = provenance.get("machine", {}).get("start", {})

    def where(m):
        blas = m.get("blas")
        kern = ", ".join(blas) if blas else "BLAS kernels not recorded"
        return f"{m.get('cpu', 'unknown processor')} ({kern})"

    d = pd.to_numeric(comparison["max_abs_fold_diff"], errors="coerce").fillna(0.0)
    worst = float(d.max()) if len(d) else 0.0
    exact = comparison["column"].isin(_EXACT_COLUMNS) & ~comparison["dataset"].isin(
        ROUNDING_SENSITIVE)
    worst_exact = float(d[exact].max()) if exact.any() else 0.0
    committed_src = provenance.get("sources_sha256", {})
    changed = sorted(k for k, v in committed_src.items() if sources.get(k) != v)
    out = {"worst": worst, "worst_exact": worst_exact, "changed_sources": changed,
           "committed_on": where(start), "rerun_on": where(machine)}
    if committed_seed is not None and int(committed_seed) != seed:
        out["status"] = "not comparable"
        out["text"] = (f"not comparable with the committed table (seed {seed}, committed seed "
                       f"{committed_seed})")
        return out
    if worst == 0:
        out["status"] = "identical"
        out["text"] = ("the same numbers as the committed table: the committed table is "
                       "reproducible from the current code")
        return out
    if changed:
        out["status"] = "library changed"
        out["text"] = ("not identical to the committed table: the sources changed after the "
                       f"committed run ({', '.join(changed)}; provenance.json records the "
                       "digests of the sources it used)")
        return out
    same_proc = (start.get("cpu") == machine.get("cpu")
                 and start.get("blas") is not None and start.get("blas") == machine.get("blas"))
    if same_proc:
        out["status"] = "unexplained"
        out["text"] = ("not identical to the committed table although the sources, the "
                       "processor and the BLAS kernels are the same: a bug, please report it")
        return out
    sens = ", ".join(ROUNDING_SENSITIVE)
    if worst_exact == 0:
        out["status"] = "processor"
        out["text"] = (f"the same depths and accuracies outside {sens}, from the same sources on "
                       f"another processor ({out['rerun_on']}; the committed table: "
                       f"{out['committed_on']}). The other differences are rounding: BLAS "
                       f"kernels differ per processor, and the folds of {sens} follow rounding "
                       "(see the sensitivity table)")
    else:
        out["status"] = "processor, beyond the sensitive sets"
        out["text"] = (f"from the same sources on another processor ({out['rerun_on']}; the "
                       f"committed table: {out['committed_on']}), a depth or accuracy outside "
                       f"{sens} differs by {worst_exact:.3g}: rounding reached a decision of the "
                       "fit there")
    return out


# ---------------------------------------------------------------------------------------------
# the chapter
# ---------------------------------------------------------------------------------------------


def time_table(table: PosterTable) -> pd.DataFrame:
    """Seconds per fold, ours beside the poster's, with the MLPs' epochs and how many hit the cap.

    Returns
    -------
    pandas.DataFrame
        ``dataset, method, ours_mean, ours_std, poster_mean, poster_std, epochs_mean,
        capped`` (folds stopped by the epoch cap) and ``n_folds``. Times on different machines
        are a reference, not a ratio.
    """
    f = table.folds.copy()
    f["time"] = pd.to_numeric(f["time"], errors="coerce")
    f["n_epochs"] = pd.to_numeric(f["n_epochs"], errors="coerce")
    g = f.groupby(["dataset", "method"], sort=False)
    out = pd.DataFrame({
        "ours_mean": g["time"].mean(),
        "ours_std": g["time"].std(ddof=0),
        "epochs_mean": g["n_epochs"].mean(),
        "capped": g["stop_reason"].apply(lambda s: int((s == "max_epochs").sum())),
        "n_folds": g["time"].count(),
    }).reset_index()
    poster = _datasets.poster_table()
    poster = poster[poster.column == "time"].rename(
        columns={"mean": "poster_mean", "std": "poster_std"}).drop(columns="column")
    out = out.merge(poster, on=["dataset", "method"], how="left")
    cols = ["dataset", "method", "ours_mean", "ours_std", "poster_mean", "poster_std",
            "epochs_mean", "capped", "n_folds"]
    return _order(out[cols])


# ---------------------------------------------------------------------------------------------
# W_s: three references kept apart (ours, the authors' published code, the poster)
# ---------------------------------------------------------------------------------------------

#: Data sets of the check of our W_s against the authors' stored W_s results.
WS_CODE_TARGETS = ("wine", "cancer", "car", "face", "spiral")
#: A fold agrees in depth when our L is within this many layers of the authors' stored L.
WS_DEPTH_TOLERANCE = 1
#: Folds (of 10) that must agree in depth on a target set.
WS_MIN_FOLDS = 8
#: Largest difference of the mean test accuracy over the folds.
WS_ACC_TOLERANCE = 0.03


def ws_against_authors_code(folds: pd.DataFrame) -> pd.DataFrame:
    """Our W_s folds beside the authors' stored W_s results, fold ``k`` beside fold ``k``.

    Parameters
    ----------
    folds : pandas.DataFrame
        Per-fold rows (:data:`FOLD_COLUMNS`) with ``method == "ws"`` run on the authors' W_s
        split (``folds="authors"`` in :func:`poster_table`).

    Returns
    -------
    pandas.DataFrame
        One row per (data set, fold) present in both: ``L``, ``L_code``, ``depth_diff`` (ours -
        theirs), ``depth_ok`` (``|depth_diff| <=`` :data:`WS_DEPTH_TOLERANCE`), ``test_acc``,
        ``test_code``, ``train_acc``, ``train_code``, ``sigma``, ``sigma_code``, ``H_star``,
        ``H_code`` (their ``H1``), ``MSE_authors``, ``mse_code`` (their MSE reading) and
        ``stop_reason``.
    """
    ours = folds[folds.method == "ws"]
    code = _datasets.authors_ws_results().rename(columns={
        "L": "L_code", "test_acc": "test_code", "train_acc": "train_code", "sigma": "sigma_code",
        "H1": "H_code", "mse": "mse_code"})
    keep = ["dataset", "fold", "L", "test_acc", "train_acc", "sigma", "H_star", "MSE_authors",
            "stop_reason"]
    m = ours[keep].merge(code[["dataset", "fold", "L_code", "test_code", "train_code",
                               "sigma_code", "H_code", "mse_code"]], on=["dataset", "fold"])
    m["L"] = m["L"].astype(int)
    m["depth_diff"] = m["L"] - m["L_code"]
    m["depth_ok"] = m["depth_diff"].abs() <= WS_DEPTH_TOLERANCE
    cols = ["dataset", "fold", "L", "L_code", "depth_diff", "depth_ok", "test_acc", "test_code",
            "train_acc", "train_code", "sigma", "sigma_code", "H_star", "H_code", "MSE_authors",
            "mse_code", "stop_reason"]
    rank = {d: i for i, d in enumerate(_datasets.names())}
    m = m.assign(_d=m["dataset"].map(rank)).sort_values(["_d", "fold"], kind="stable")
    return m[cols].reset_index(drop=True)


def ws_code_summary(per_fold: pd.DataFrame) -> pd.DataFrame:
    """Per data set: depth agreement and mean test accuracy of ours against the stored results.

    Returns ``dataset, n_folds, depth_within`` (folds with ``depth_ok``), ``L, L_code`` (means),
    ``L_code_min, L_code_max`` (the range of their depths over folds), ``test_acc, test_code``
    (means), ``test_code_std`` (their spread over folds), ``test_diff`` (ours - theirs) and
    ``ok``: at least
    :data:`WS_MIN_FOLDS` of 10 folds within :data:`WS_DEPTH_TOLERANCE` layers (scaled down when
    fewer folds ran) and ``|test_diff| <=`` :data:`WS_ACC_TOLERANCE`.
    """
    recs = []
    for ds, g in per_fold.groupby("dataset", sort=False):
        n = len(g)
        need = math.ceil(WS_MIN_FOLDS * n / 10)
        diff = float(g.test_acc.mean() - g.test_code.mean())
        within = int(g.depth_ok.sum())
        recs.append({"dataset": ds, "n_folds": n, "depth_within": within,
                     "L": float(g.L.mean()), "L_code": float(g.L_code.mean()),
                     "L_code_min": int(g.L_code.min()), "L_code_max": int(g.L_code.max()),
                     "test_code_std": float(g.test_code.std(ddof=0)),
                     "test_acc": float(g.test_acc.mean()), "test_code": float(g.test_code.mean()),
                     "test_diff": diff,
                     "ok": bool(within >= need and abs(diff) <= WS_ACC_TOLERANCE + 1e-12)})
    return pd.DataFrame(recs, columns=["dataset", "n_folds", "depth_within", "L", "L_code",
                                       "L_code_min", "L_code_max", "test_acc", "test_code",
                                       "test_code_std", "test_diff", "ok"])


def ws_port_verdict(summary: pd.DataFrame, targets=WS_CODE_TARGETS) -> str:
    """Does our W_s (the authors' settings, their folds) reproduce their stored results?

    ``"reproduced"``: every target set ran on all 10 folds and is ``ok``; ``"reproduced with a
    caveat"``: every target set that ran is ``ok`` but some did not run or ran on fewer folds,
    or exactly one ran and is not ``ok``; ``"not reproduced"``: two or more are not ``ok``;
    ``"not checked yet"``: no target set ran.
    """
    rows = summary[summary.dataset.isin(targets)]
    if rows.empty:
        return "not checked yet"
    bad = int((~rows.ok.astype(bool)).sum())
    complete = len(rows) == len(targets) and bool((rows.n_folds == 10).all())
    if bad == 0:
        return "reproduced" if complete else "reproduced with a caveat"
    if bad == 1:
        return "reproduced with a caveat"
    return "not reproduced"


def ws_three_references(ours: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per data set the poster's W_s row, the authors' stored W_s results and (optionally) ours.

    Parameters
    ----------
    ours : pandas.DataFrame, optional
        :func:`ws_code_summary` of our run; adds ``L_ours`` and ``test_ours``.

    Returns
    -------
    pandas.DataFrame
        ``dataset, L_poster, L_poster_std, L_code, L_code_std, test_poster, test_code,
        depth_gap`` (poster - code), ``acc_gap`` (poster - code) and ``agree``
        (``|depth_gap| <=`` :data:`WS_DEPTH_TOLERANCE` and ``|acc_gap| <=``
        :data:`WS_ACC_TOLERANCE`), in the poster's order; std with ``ddof=0`` as the authors'.
    """
    poster = _datasets.poster_table()
    poster = poster[poster.method == "ws"]
    code = _datasets.authors_ws_results()
    recs = []
    for ds in DATASETS:
        pc = poster[poster.dataset == ds].set_index("column")
        c = code[code.dataset == ds]
        rec = {"dataset": ds,
               "L_poster": float(pc.loc["L", "mean"]), "L_poster_std": float(pc.loc["L", "std"]),
               "L_code": float(c.L.mean()), "L_code_std": float(c.L.std(ddof=0)),
               "test_poster": float(pc.loc["test_acc", "mean"]),
               "test_code": float(c.test_acc.mean())}
        rec["depth_gap"] = rec["L_poster"] - rec["L_code"]
        rec["acc_gap"] = rec["test_poster"] - rec["test_code"]
        rec["agree"] = bool(abs(rec["depth_gap"]) <= WS_DEPTH_TOLERANCE + 1e-12
                            and abs(rec["acc_gap"]) <= WS_ACC_TOLERANCE + 1e-12)
        recs.append(rec)
    out = pd.DataFrame(recs)
    if ours is not None:
        o = ours.set_index("dataset")
        out["L_ours"] = out.dataset.map(o["L"])
        out["test_ours"] = out.dataset.map(o["test_acc"])
    return out


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


def poster_code_verdict(refs: pd.DataFrame) -> str:
    """Is the poster's W_s row what the authors' published W_s code produced?

    ``"reproduced"`` when every data set ``agree``s (depth within one layer, mean test accuracy
    within 0.03), ``"reproduced with a caveat"`` when more than half do, ``"not reproduced"``
    otherwise. (Half is not enough: the referee found adversarial consistent with the code
    within its own run-to-run spread, 4 of 8, while the other four sets miss decisively.)
    """
    if refs.empty:
        return "not checked yet"
    n_ok = int(refs.agree.astype(bool).sum())
    if n_ok == len(refs):
        return "reproduced"
    if 2 * n_ok > len(refs):
        return "reproduced with a caveat"
    return "not reproduced"


def ism_table_verdict(accuracy: pd.DataFrame) -> str:
    """The poster's ISM row on :data:`ACCURACY_TARGETS`: test accuracy within 0.05.

    ``"reproduced"`` when every target set present is within; ``"reproduced with a caveat"``
    when all but one are, or when some target sets are missing; ``"not reproduced"`` when two
    or more are outside; ``"not checked yet"`` when none is present.
    """
    if accuracy.empty:
        return "not checked yet"
    bad = int((~accuracy.ok.astype(bool)).sum())
    complete = set(accuracy.dataset) >= set(ACCURACY_TARGETS)
    if bad == 0:
        return "reproduced" if complete else "reproduced with a caveat"
    return "reproduced with a caveat" if bad == 1 else "not reproduced"


# ---------------------------------------------------------------------------------------------
# the chapter (the chapter contract)
# ---------------------------------------------------------------------------------------------

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


@dataclass(frozen=True)
class PaperTableResult:
    """Everything chapter ``03_the_paper_table`` shows (see :func:`run`)."""

    committed: PosterTable
    comparison: pd.DataFrame
    wide: pd.DataFrame
    times: pd.DataFrame
    targets: dict
    live: PosterTable
    live_vs_committed: pd.DataFrame
    car_uci: PosterTable
    mlp_readings: pd.DataFrame
    ws_code: pd.DataFrame
    ws_code_summary: pd.DataFrame
    ws_references: pd.DataFrame
    ws_noise: pd.DataFrame
    ws_variants: pd.DataFrame
    full_rerun: pd.DataFrame | None
    params: dict
    findings: tuple


#: Kept for code written against the earlier name.
PaperTableChapter = PaperTableResult


def run(*, quick: bool = True, seed: int = 0, n_jobs=None, committed=None,
        **params) -> PaperTableResult:
    """The chapter's data: the committed full table beside the poster, plus live runs.

    * ``committed``: :func:`load_committed` (made by :func:`run_full_table`; not rerun here).
    * ``live``: :func:`poster_table` on ``live_datasets`` x ``live_folds`` with
      ``live_methods`` (quick: 2 folds of 3 small sets, all four methods, MLPs capped at
      :data:`QUICK_MAX_EPOCHS`; full: ISM and W_s on every fold of the eight).
      ``live_vs_committed`` compares its ISM and W_s folds with the committed ones.
    * ``ws_code``: W_s with the authors' settings on their W_s split (``ws_code_datasets`` x
      ``ws_code_folds``; about a minute for all 80 folds), fold by fold beside their stored
      results (:func:`ws_against_authors_code`), ``ws_code_summary`` per data set, and
      ``ws_references``: the poster, their code and ours side by side.
    * ``car_uci``: the committed ISM and W_s table on the genuine UCI car task.
    * ``full_rerun``: with ``rerun_full``, :func:`reproduce_full_table`.
    * ``findings``: ``000.table`` (the ISM row), ``000.ws-vs-code`` (the poster's W_s row
      against the published code) and ``000.ws-port`` (our W_s against the published code).
    """
    p = resolve_parameters(PARAMETERS, quick=quick, seed=seed, **params)
    ref = load_committed(committed)
    comp = compare_with_poster(ref.summary)
    live = poster_table(list(p["live_datasets"]), list(p["live_methods"]), random_state=seed,
                        n_jobs=n_jobs, max_folds=p["live_folds"],
                        max_epochs=p["live_max_epochs"], progress=False)
    kernel_live = PosterTable(live.folds[live.folds.method.isin(_KERNEL_METHODS)], live.summary,
                              live.layers, live.params)
    lvc = compare_tables(ref, kernel_live)
    ws_run = poster_table(list(p["ws_code_datasets"]), ["ws"], random_state=seed, n_jobs=n_jobs,
                          max_folds=p["ws_code_folds"], progress=False)
    ws_code = ws_against_authors_code(ws_run.folds)
    ws_sum = ws_code_summary(ws_code)
    refs = ws_three_references(ws_sum)
    ws_noise = ws_noise_spread(ws_sum[~ws_sum.ok.astype(bool)].dataset.tolist(),
                               seeds=range(seed + 1, seed + 1 + p["ws_noise_draws"]),
                               max_folds=p["ws_code_folds"], n_jobs=n_jobs)
    ws_variants = ws_variants_against_poster(p["ws_poster_variants"], seed=seed,
                                             names=p["ws_code_datasets"],
                                             max_folds=p["ws_code_folds"], n_jobs=n_jobs)
    car_dir = (Path(committed) if committed is not None else results_dir()) / "car_uci"
    car = load_committed(car_dir)
    full = reproduce_full_table(n_jobs=n_jobs or 2, committed=committed,
                                progress=False) if p["rerun_full"] else None
    targets = check_targets(ref)
    findings = _findings(p, seed, ref, targets, ws_sum, refs, ws_noise, ws_variants)
    return PaperTableResult(
        committed=ref, comparison=comp, wide=side_by_side(comp), times=time_table(ref),
        targets=targets, live=live, live_vs_committed=lvc, car_uci=car,
        mlp_readings=mlp_readings(ref), ws_code=ws_code, ws_code_summary=ws_sum,
        ws_references=refs, ws_noise=ws_noise, ws_variants=ws_variants, full_rerun=full, params=dict(quick=quick, seed=seed, **p),
        findings=tuple(findings))


def _set_list(df, fmt):
    return ", ".join(fmt(r) for r in df.itertuples()) or "none"


def _findings(p, seed, ref, targets, ws_sum, refs, ws_noise, ws_variants) -> list:
    out = []
    # 000.table: the ISM row, accuracy on the six targets, from the committed full table
    acc = targets["accuracy"]
    v = ism_table_verdict(acc)
    bad = acc[~acc.ok.astype(bool)]
    out.append(Finding(
        "000.table", v,
        "the committed full table: ISM (W*) with the authors' widths, bandwidth and stopping "
        "rules, 10 folds of the split stored with their ISM code, on "
        + ", ".join(ACCURACY_TARGETS),
        values={"within_0.05": int(acc.ok.sum()), "n_sets": int(len(acc)),
                "worst_gap": float(acc["diff"].abs().max()) if len(acc) else math.nan,
                **{f"test_{r.dataset}": round(float(r.ours), 3) for r in acc.itertuples()}},
        figures=("paper_table_differences",), section="pt-agree",
        note="" if v == "reproduced" else (
            "ISM test accuracy outside 0.05 of the poster on "
            + _set_list(bad, lambda r: f"{r.dataset} ({r.ours:.2f} vs {r.poster:.2f})")
            if len(bad) else "not every target data set is in the table"),
        tried=("the authors' widths, bandwidth rule and stopping rule on their stored ISM split",
               "the committed full table (10 folds); the live rerun of the chapter")
        if v == "not reproduced" else ()))
    # 000.ws-vs-code: the poster's W_s row against the authors' published W_s code
    v = poster_code_verdict(refs)
    off = refs[~refs.agree.astype(bool)]
    out.append(Finding(
        "000.ws-vs-code", v,
        "the poster's W_s row against the per-fold results the authors' published W_s code "
        "stored (NIK_Thm1_Release_V2 @ 099a4ee, results/<name>/10Fold_summary.txt), all eight "
        "data sets; agreement = depth within one layer and mean test accuracy within 0.03",
        values={"agree": int(refs.agree.sum()), "n_sets": int(len(refs)),
                **{f"L_{r.dataset}": f"poster {r.L_poster:.1f}, code {r.L_code:.1f}"
                   for r in refs.itertuples()}},
        figures=("paper_table_ws_references",), section="pt-ws-references",
        note="" if v == "reproduced" else (
            "the poster's W_s depths are not those of the published code on "
            + _set_list(off, lambda r: f"{r.dataset} ({r.L_poster:.1f} vs "
                                                f"{r.L_code:.1f} layers, test {r.test_poster:.2f} "
                                                f"vs {r.test_code:.2f})")
            + "; the stored results come from the repository's version 2 code (commit "
              "19ac07f; 969eed8 and 20c6509 are two stored runs of it, and both disagree "
              "with the poster on the same sets); adversarial is consistent with the code "
              "within its own run-to-run spread (two stored runs: 9.3 and 11.4 layers), the "
              "other misses are far beyond it. The code that produced the poster's row is "
              "not published: the repository's 2020 first version fits random's 12 layers but "
              "has no cross-validation or test accuracy and gives adversarial 4-10 layers"),
        tried=("the authors' own stored per-fold results of the published code",
               "our port of that code with its per-set bandwidth lists, extra-column rule and "
               "random-feature normaliser on its stored W_s split (000.ws-port)",
               f"{p['ws_noise_draws']} other draws of the code's unseeded training noise on the "
               "sets where our port and the stored results differ most",
               *(f"our W_s with extra-column rule '{r.variant}' (exact normaliser, the code's "
                 f"bandwidth lists, its folds): agrees with the poster on {r.agree} of "
                 f"{r.n_sets} sets" for r in ws_variants.itertuples()),
               *REFEREE_WS_VS_CODE)
        if v == "not reproduced" else ()))
    # 000.ws-port: our W_s against the authors' published W_s code
    v = ws_port_verdict(ws_sum)
    tgt = ws_sum[ws_sum.dataset.isin(WS_CODE_TARGETS)]
    off = ws_sum[~ws_sum.ok.astype(bool)]
    out.append(Finding(
        "000.ws-port", v,
        f"our W_s with the authors' settings (datasets.authors_ws_options: bandwidth lists, "
        f"extra-column rule, 200-feature normaliser, N(0, 0.02^2) training noise, train/test "
        f"z-scored separately) on their stored W_s split, {p['ws_code_folds']} folds of "
        + ", ".join(p["ws_code_datasets"]) + f", seed {seed}; targets on "
        + ", ".join(WS_CODE_TARGETS) + ": depth within one layer on >= 8 of 10 folds, mean "
        "test accuracy within 0.03",
        values={"targets_ok": int(tgt.ok.sum()), "n_targets": int(len(tgt)),
                **{f"depth_within_{r.dataset}": f"{r.depth_within}/{r.n_folds}"
                   for r in ws_sum.itertuples()},
                **{f"test_diff_{r.dataset}": round(float(r.test_diff), 3)
                   for r in ws_sum.itertuples()}},
        figures=("paper_table_ws_vs_code",), section="pt-ws-code",
        note=("" if off.empty else (
            "outside the tolerances: " + _set_list(off, lambda r: (
                f"{r.dataset} (depth within one layer on {r.depth_within} of {r.n_folds} "
                f"folds, mean L {r.L:.1f} vs {r.L_code:.1f}, the code's own depths "
                f"{r.L_code_min}-{r.L_code_max} over folds; test {r.test_acc:.2f} vs "
                f"{r.test_code:.2f}, the code's fold-to-fold std {r.test_code_std:.2f})"))
            + ". " + _noise_text(ws_noise))),
        tried=("the authors' per-set bandwidth lists and extra-column rule",
               "their 200-feature random-feature normaliser and the exact one",
               "their stored W_s split")
        if v == "not reproduced" else ()))
    return out


def ws_variants_against_poster(variants, *, seed=0, names=DATASETS, max_folds=10,
                               n_jobs=None) -> pd.DataFrame:
    """Other W_s extra-column rules (exact normaliser) on the code's folds, against the poster.

    Could an earlier variant of the code explain the poster's W_s row? For each variant of
    ``ws_append_misclassified`` the table's W_s runs with ``ws_normaliser="exact"`` and that
    rule, and :func:`ws_three_references`' agreement test (depth within one layer, mean test
    accuracy within 0.03) is applied to the poster. Returns ``variant, agree, n_sets`` and
    ``L`` (``dataset: mean depth`` text).
    """
    recs = []
    poster = _datasets.poster_table()
    poster = poster[poster.method == "ws"]
    for var in variants:
        t = poster_table(list(names), ["ws"], random_state=seed, n_jobs=n_jobs,
                         max_folds=max_folds, progress=False,
                         ws_overrides={"ws_append_misclassified": var, "ws_normaliser": "exact"})
        g = t.folds.groupby("dataset", sort=False)
        L, acc = g["L"].mean(), g["test_acc"].mean()
        agree = 0
        for ds in L.index:
            pc = poster[poster.dataset == ds].set_index("column")["mean"]
            agree += int(abs(L[ds] - pc["L"]) <= WS_DEPTH_TOLERANCE + 1e-12
                         and abs(acc[ds] - pc["test_acc"]) <= WS_ACC_TOLERANCE + 1e-12)
        recs.append({"variant": var, "agree": agree, "n_sets": int(len(L)),
                     "L": ", ".join(f"{d} {v:.1f}" for d, v in L.items())})
    return pd.DataFrame(recs, columns=["variant", "agree", "n_sets", "L"])


def ws_noise_spread(names, *, seeds, max_folds=10, n_jobs=None) -> pd.DataFrame:
    """Our W_s on the authors' folds of ``names`` under other draws of the training noise.

    The authors add unseeded N(0, 0.02^2) noise to the training features, so their stored run is
    one draw; each seed here is another. Returns one row per (data set, seed): ``dataset,
    seed, depth_within`` (folds within one layer of the stored depth), ``L`` (mean),
    ``L_fold_min, L_fold_max`` (our depths over folds) and ``test_acc`` (mean).
    """
    recs = []
    for ds in names:
        for sd in seeds:
            t = poster_table([ds], ["ws"], random_state=int(sd), n_jobs=n_jobs,
                             max_folds=max_folds, progress=False)
            c = ws_against_authors_code(t.folds)
            recs.append({"dataset": ds, "seed": int(sd), "depth_within": int(c.depth_ok.sum()),
                         "L": float(c.L.mean()), "L_fold_min": int(c.L.min()),
                         "L_fold_max": int(c.L.max()), "test_acc": float(c.test_acc.mean())})
    return pd.DataFrame(recs, columns=["dataset", "seed", "depth_within", "L", "L_fold_min",
                                       "L_fold_max", "test_acc"])


def _noise_text(noise: pd.DataFrame) -> str:
    if noise.empty:
        return ""
    parts = []
    for ds, g in noise.groupby("dataset", sort=False):
        parts.append(f"{ds}: depth within one layer on {g.depth_within.min()}-"
                     f"{g.depth_within.max()} folds, mean L {g.L.min():.1f}-{g.L.max():.1f}, "
                     f"test {g.test_acc.min():.2f}-{g.test_acc.max():.2f}")
    return (f"Other draws of the authors' unseeded training noise ({noise.seed.nunique()} "
            "seeds) give " + "; ".join(parts))


def prose(res: PaperTableResult) -> dict:
    """The chapter's glued numbers and phrases, formatted (name -> string or Markdown text).

    Formatting only: verdicts come from the findings (``claims.publish``). Values that are
    Markdown (glued with ``{glue:md}``) are returned as ``("md", text)`` tuples.
    """
    out = {}
    full, comp = res.committed, res.comparison
    prov = full.params
    call = prov.get("this_call", {})
    out["pt-made-date"] = prov["fold_files"]["last_finished"][:10]
    out["pt-made-commit"] = (prov["git"]["commit"] or "unknown")[:10]
    out["pt-made-dirty"] = ("with uncommitted changes to kernelnet/"
                            if prov["git"]["kernelnet_dirty"]
                            else "with no uncommitted changes to kernelnet/")
    out["pt-made-cpu"] = (f'{prov["machine"]["start"].get("cpu", "unknown CPU")}, '
                          f'{prov["machine"]["start"]["cpu_count"]} cores')
    out["pt-made-jobs"] = str(call.get("n_jobs"))
    out["pt-made-epochs"] = str(prov["parameters"]["max_epochs"])
    out["pt-n-folds"] = f"{len(full.folds)}"
    load = prov["machine"]["start"].get("load_average", [float("nan")])[0]
    out["pt-made-load"] = f"{load:.1f}"
    # agreement
    acc = res.targets["accuracy"]
    out["pt-ism-acc-worst"] = f"{acc['diff'].abs().max():.3f}"
    out["pt-ism-acc-worst-ds"] = str(acc.loc[acc["diff"].abs().idxmax(), "dataset"])
    out["pt-ism-acc-ok"] = f"{int(acc.ok.sum())} of the {len(acc)}"
    out["pt-ism-acc-list"] = ", ".join(f"{r.dataset} {r.ours:.2f} vs {r.poster:.2f}"
                                       for r in acc.itertuples())

    def within(method, cols=None):
        c = comp[(comp.method == method) & comp.within_poster_std.notna()]
        if cols is not None:
            c = c[c.column.isin(cols)]
        return f"{int(c.within_poster_std.astype(bool).sum())} of the {len(c)}"

    for m in METHODS:
        out[f"pt-within-{m}"] = within(m)
        out[f"pt-within-acc-{m}"] = within(m, ["test_acc"])

    def cell(ds, m, col, what="ours_mean", fmt="{:.2f}"):
        v = comp[(comp.dataset == ds) & (comp.method == m) & (comp.column == col)][what].iloc[0]
        return fmt.format(v)

    for ds in ("random", "adversarial"):
        out[f"pt-{ds}-ism-L"] = cell(ds, "ism", "L", fmt="{:.1f}")
        out[f"pt-{ds}-ism-L-poster"] = cell(ds, "ism", "L", "poster_mean", "{:.1f}")
        out[f"pt-{ds}-ism-H"] = cell(ds, "ism", "H_star")
        out[f"pt-{ds}-ism-test"] = cell(ds, "ism", "test_acc")
        out[f"pt-{ds}-ism-test-poster"] = cell(ds, "ism", "test_acc", "poster_mean")
    synth = full.folds[(full.folds.method == "ism")
                       & full.folds.dataset.isin(["random", "adversarial"])]
    n_cap = int((synth.stop_reason == "max_layers").sum())
    out["pt-synth-stop"] = (
        f"{n_cap} of these {len(synth)} ISM folds ran to the 30-layer cap: the silhouette of "
        "such data rarely reaches the authors' stopping levels (above 0.95, or a plateau above "
        "0.80)." if n_cap else "No ISM fold on these two sets ran to the 30-layer cap.")
    # W_s: the committed table, the authors' code and the poster
    ws_L = comp[(comp.method == "ws") & (comp.column == "L")].set_index("dataset")
    out["pt-ws-L-list"] = ", ".join(f"{d} {r.ours_mean:.1f} vs {r.poster_mean:.1f}"
                                    for d, r in ws_L.iterrows())
    wsacc = comp[(comp.method == "ws") & (comp.column == "test_acc")].set_index("dataset")
    out["pt-ws-acc-list"] = ", ".join(f"{d} {r.ours_mean:.2f} vs {r.poster_mean:.2f}"
                                      for d, r in wsacc.iterrows())
    s = res.ws_code_summary
    out["pt-wscode-list"] = "; ".join(
        f"{r.dataset}: depth within one layer on {r.depth_within} of {r.n_folds} folds "
        f"(mean {r.L:.1f} vs {r.L_code:.1f}), test {r.test_acc:.3f} vs {r.test_code:.3f}"
        for r in s.itertuples())
    tgt = s[s.dataset.isin(WS_CODE_TARGETS)]
    out["pt-wscode-ok"] = f"{int(tgt.ok.sum())} of the {len(tgt)}"
    out["pt-wscode-n"] = f"{int(s.n_folds.sum())}"
    notes = {f.claim_id: f.note for f in res.findings}
    out["pt-wscode-outside"] = (notes["000.ws-port"] + ".") if notes.get("000.ws-port") else ""
    out["pt-wsref-note"] = (notes["000.ws-vs-code"] + ".") if notes.get("000.ws-vs-code") else ""
    refs = res.ws_references
    out["pt-wsref-agree"] = f"{int(refs.agree.sum())} of the {len(refs)}"
    out["pt-wsref-off"] = "; ".join(
        f"{r.dataset} {r.L_poster:.1f} vs {r.L_code:.1f} layers" for r in
        refs[~refs.agree.astype(bool)].itertuples()) or "none"
    port = next((f.verdict for f in res.findings if f.claim_id == "000.ws-port"), "")
    out["pt-wsref-ours"] = (
        "Our closed-form network follows the code (claim 000.ws-port), so its gaps to the "
        "poster are the code's gaps, not defects of our implementation."
        if port in ("reproduced", "reproduced with a caveat") else
        "Our closed-form network does not follow the code on every target set (claim "
        "000.ws-port), so part of its gap to the poster may be ours.")
    wv = res.ws_variants
    if len(wv):
        best = wv.loc[wv.agree.idxmax()]
        out["pt-wsvar-text"] = (
            "Could another rule for the extra columns explain the poster's row? With the exact "
            "normaliser and the code's bandwidth lists on its folds, the same test gives: "
            + "; ".join(f"'{r.variant}' agrees on {r.agree} of {r.n_sets} sets (depths {r.L})"
                        for r in wv.itertuples())
            + f". The closest, '{best.variant}', still leaves "
            f"{int(best.n_sets - best.agree)} sets apart.")
    else:
        out["pt-wsvar-text"] = ("A full build also runs other rules for the extra columns "
                                "against the poster's row; this quick build does not.")
    code = _datasets.authors_ws_results()
    wine_code = code[code.dataset == "wine"]
    out["pt-wine-code-L"] = f"{wine_code.L.mean():.1f}"
    mse_ours = res.ws_code.MSE_authors
    out["pt-ws-mse-ours-range"] = f"{mse_ours.min():.2f} to {mse_ours.max():.2f}"
    mse_code = res.ws_code.mse_code
    out["pt-ws-mse-code-range"] = f"{mse_code.min():.2f} to {mse_code.max():.2f}"
    ws_mse = comp[(comp.method == "ws") & (comp.column == "MSE")]
    out["pt-ws-mse-poster-min"] = f"{ws_mse.poster_mean.min():.2f}"
    # MLPs
    mlp = comp[comp.method.isin(["ce", "mse"]) & (comp.column == "test_acc")]
    out["pt-mlp-acc-worst"] = f"{mlp['diff'].abs().max():.2f}"
    out["pt-mlp-acc-worst-where"] = "{} ({})".format(
        *mlp.loc[mlp["diff"].abs().idxmax(), ["dataset", "method"]])
    mlpH = comp[comp.method.isin(["ce", "mse"]) & (comp.column == "H_star")]
    out["pt-mlp-H-range"] = f"{mlpH.ours_mean.min():.2f} to {mlpH.ours_mean.max():.2f}"
    mr = res.mlp_readings
    pce = comp[(comp.method == "ce") & (comp.column == "MSE")].poster_mean
    out["pt-poster-ce-mse-range"] = f"{pce.min():.2g} to {pce.max():,.0f}"
    n_out, n_all = int((mr.closer == "output").sum()), int(mr.closer.notna().sum())
    out["pt-out-closer"] = f"{n_out} of {n_all}"
    out["pt-hid-closer"] = f"{int((mr.closer == 'hidden').sum())}"
    # time
    per_method = res.times.groupby("method", sort=False).agg(
        ours=("ours_mean", "mean"), poster=("poster_mean", "mean"))
    for m in METHODS:
        out[f"pt-time-{m}"] = f"{per_method.loc[m, 'ours']:.2f}"
        out[f"pt-time-{m}-poster"] = f"{per_method.loc[m, 'poster']:.2f}"
    kernel_wall, base_wall = call.get("wall_seconds_kernel", math.nan), call.get(
        "wall_seconds_baselines", math.nan)
    if call.get("units_computed") == call.get("units_total"):
        wall = (f"The committed run computed all {call.get('units_total')} folds in one call with "
                f"{call.get('n_jobs')} workers: {kernel_wall / 60:.1f} min for the kernel part "
                f"(ISM and $W_s$, 160 folds) and {base_wall / 60:.1f} min for the MLPs, "
                f"{(kernel_wall + base_wall) / 60:.1f} min in all.")
    else:
        wall = (f"The committed table was completed by a resumed run, which computed "
                f"{call.get('units_computed')} of {call.get('units_total')} folds; the folds' own "
                f"wall times add up to {prov['fold_files']['unit_wall_seconds'] / 60:.1f} min.")
    out["pt-wall-sentence"] = ("md", wall)
    capped = res.times[res.times.method.isin(["ce", "mse"])]
    out["pt-capped"] = f"{int(capped.capped.sum())} of {int(capped.n_folds.sum())}"
    # rising H
    bad = res.targets["rising"]
    n_ism = res.targets["n_ism_folds"]
    flat, drop = bad[bad.drops == 0], bad[bad.drops > 0]
    out["pt-rise-ok"] = f"{n_ism - len(bad)} of {n_ism}"
    ws_f = full.folds[full.folds.method == "ws"]
    ws_ok = ws_f.H_rising.astype(str).eq("True")
    out["pt-rise-ws"] = f"{int(ws_ok.sum())} of {len(ws_f)}"
    out["pt-rise-ws-ties"] = ", ".join(
        f"{d}: {k} folds" for d, k in ws_f[~ws_ok].dataset.value_counts(sort=False).items()
    ) or "none"
    out["pt-rise-ws-drops"] = f"{int(pd.to_numeric(ws_f.H_drops).sum())}"

    def where(df):
        return ", ".join(f"{d}: {k}" for d, k in df.dataset.value_counts(sort=False).items())

    if len(flat):
        ident = {(r.dataset, r.fold): identity_kernel_hsic(r.dataset, r.fold)
                 for r in flat.itertuples()}
        gap = max(abs(r.H[-1] - ident[(r.dataset, r.fold)]) for r in flat.itertuples())
        sig = full.folds.set_index(["dataset", "method", "fold"]).sigma
        smax = max(sig[(r.dataset, "ism", r.fold)] for r in flat.itertuples())
        ties = (f"{len(flat)} folds ({where(flat)}) repeat the same $\\mathcal H_l$ from some "
                f"layer on, with bandwidths $\\sigma_l$ of at most {smax:.3f}. ")
        ties += (("With so small a bandwidth the layer's kernel is the identity matrix. Its "
                  "normalised HSIC then depends only on the class sizes, and the last layer's "
                  "$\\mathcal H_l$ equals that of the identity kernel on the same fold to within "
                  f"{gap:.0e}. Theorem 1 promises a rise only for suitably chosen bandwidths, and "
                  "this rule does not choose them.") if gap < 1e-6 else
                 f"The identity kernel does not explain them: its HSIC differs by up to {gap:.2g}.")
    else:
        ties = "No ISM fold repeats a value of $\\mathcal H_l$."
    out["pt-ties-text"] = ("md", ties)
    if len(drop):
        before = [r.H[i] for r in drop.itertuples() for i in range(len(r.H) - 1)
                  if r.H[i + 1] - r.H[i] < -H_TIE]
        n_high = sum(b > 0.9 for b in before)
        drops = (f"{len(drop)} folds ({where(drop)}) lose HSIC at some layer, at most "
                 f"{drop.largest_drop.max():.4f}. {n_high} of these {len(before)} drops come "
                 "after a layer whose $\\mathcal H_l$ is already above 0.9. ISM maximises each "
                 "layer's HSIC at that layer's own bandwidth, and that bandwidth is re-fitted on "
                 "a random 200-point subsample. The output then passes through a fresh draw of "
                 "400 random features. Nothing in this procedure forces the next layer's HSIC "
                 "above the last one's. Theorem 1 covers $W_s$ with the bandwidths of its proof, "
                 "not ISM with the authors' bandwidth rule.")
    else:
        drops = "No ISM fold loses HSIC from one layer to the next."
    out["pt-drops-text"] = ("md", drops)
    # plain-text numbers for book/differences.md (glued across pages: text only)
    ism_f = full.folds[full.folds.method == "ism"]
    out["pt-ism-drop-folds"] = f"{len(drop)} of {n_ism}"
    out["pt-ism-drop-where"] = where(drop) if len(drop) else "none"
    out["pt-ism-drop-max"] = f"{drop.largest_drop.max():.4f}" if len(drop) else "0"
    for ds in ("adversarial", "random"):
        g = ism_f[ism_f.dataset == ds]
        n_sil = int(g.stop_reason.isin(["silhouette_exit", "silhouette_plateau"]).sum())
        out[f"pt-{ds}-ism-silhouette-stops"] = f"{n_sil} of {len(g)}"
    r = res.ws_references.set_index("dataset")
    c_w = code[code.dataset == "wine"]
    pw = _datasets.poster_table()
    pw = pw[(pw.dataset == "wine") & (pw.method == "ws")].set_index("column")
    out["pt-wsref-wine"] = (
        f"L = {r.loc['wine', 'L_code']:.1f} and test accuracy {c_w.test_acc.mean():.2f} ± "
        f"{c_w.test_acc.std(ddof=0):.2f}, where the poster has L = "
        f"{pw.loc['L', 'mean']:.1f} and {pw.loc['test_acc', 'mean']:.2f} ± "
        f"{pw.loc['test_acc', 'std']:.2f}")
    _, yc = _datasets.load("car_uci")
    _, cnt = np.unique(yc, return_counts=True)
    out["pt-caruci-class-pct"] = "/".join(f"{100 * k / cnt.sum():.0f}" for k in cnt) + " %"
    # live rerun
    lvc = res.live_vs_committed
    p = res.params
    same_seed = p["seed"] == prov["parameters"]["random_state"]
    worst = lvc.max_abs_fold_diff.max() if len(lvc) else float("nan")
    out["pt-live-what"] = (f"{p['live_folds']} folds of {', '.join(p['live_datasets'])} "
                           f"({', '.join(p['live_methods'])}; MLPs capped at "
                           f"{p['live_max_epochs']} epochs)")
    out["pt-live-cells"] = f"{len(lvc)}"
    out["pt-live-diff"] = f"{worst:.1e}"
    stale = _stale_sources(prov)
    if not same_seed:
        verdict = (f"not comparable with the committed table (seed {p['seed']}, committed seed "
                   f"{prov['parameters']['random_state']})")
    elif worst == 0:
        verdict = "the same numbers as the committed table"
    elif stale:
        verdict = ("not identical to the committed table; the committed table was made from "
                   "other versions of " + ", ".join(stale) + " (provenance.json records their "
                   "digests), so the difference may come from those changes")
    else:
        verdict = ("not identical to the committed table, although the sources it records are "
                   "unchanged: the difference comes from the machine (floating-point rounding "
                   "of BLAS kernels, amplified where the fit is sensitive), not from the code")
    out["pt-live-verdict"] = verdict
    lp = res.live.params
    out["pt-live-seconds"] = f"{lp['wall_seconds_kernel'] + lp['wall_seconds_baselines']:.0f}"
    # car_uci
    car = res.car_uci.summary

    def cu(m, col):
        return car[(car.method == m) & (car.column == col)]["mean"].iloc[0]

    out["pt-caruci-ism"] = f"{cu('ism', 'test_acc'):.2f}"
    out["pt-caruci-ws"] = f"{cu('ws', 'test_acc'):.2f}"
    cprov = res.car_uci.params
    out["pt-caruci-folds"] = f"{cprov['parameters']['max_folds']}"
    out["pt-caruci-date"] = cprov["fold_files"]["last_finished"][:10]
    _, yc = _datasets.load("car_uci")
    counts = np.unique(yc, return_counts=True)[1]
    out["pt-caruci-majority"] = f"{counts.max() / counts.sum():.2f}"
    if res.full_rerun is not None:
        out["pt-rerun-diff"] = f"{res.full_rerun.max_abs_fold_diff.max():.1e}"
    return out


def _stale_sources(prov: dict) -> list:
    """Source files whose digest differs from the one the committed table recorded."""
    recorded = prov.get("sources_sha256", {}) or {}
    now = _source_digests()
    return [k for k, v in recorded.items() if now.get(k) != v]
