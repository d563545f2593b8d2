"""What one (data set, method, fold) unit is: its split, seeds, options and parameters."""

from __future__ import annotations

import numpy as np

from ... import datasets as _datasets
from ..._validation import check_choice
from . import METHODS, SCHEMA

_ESTIMATOR = {"ism": "ism", "ws": "closed_form"}
_KERNEL_METHODS = ("ism", "ws")
_BASELINE_METHODS = ("ce", "mse")
_FOLD_SCHEMES = ("authors", "stratified")
_WS_OVERRIDABLE = ("ws_append_misclassified", "ws_normaliser", "ws_smallest_sigma", "ws_n_sigmas")


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
    from ... import layerwise

    return {"precision": layerwise.LayerwiseKernelNet().ism_precision,
            "sigma_grid": float(layerwise._SIGMA_GRID), "features": "span"}


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
