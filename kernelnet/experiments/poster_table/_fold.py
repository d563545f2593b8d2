"""Fitting one unit: the method on the training fold, the ten columns measured."""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import numpy as np

from ... import _provenance
from ... import datasets as _datasets
from ..._threads import limit_threads
from ..._validation import as_labels
from ...layerwise import output_metrics
from ...parallel import unit_seed
from . import FOLD_COLUMNS, H_TIE, OUTPUT_READING
from ._store import _write_fold
from ._units import (
    _ESTIMATOR,
    _KERNEL_METHODS,
    _fold_scheme,
    _split,
    _stable_index,
    _streams,
    _unit_params,
    ws_options,
)


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


#: The columns :func:`_representation_metrics` leaves NaN for a collapsed representation.
_COLLAPSE_COLUMNS = ("H_star", "MSE", "MSE_authors", "CE", "C", "T")


def _representation_metrics(Z, codes, random_state) -> tuple[dict, bool]:
    """:func:`~kernelnet.layerwise.output_metrics` of an MLP's representation, and whether it
    collapsed.

    A representation that is the same vector for every training point (every unit of the last
    hidden layer dead: seen on adversarial with 30 ReLU layers and 5,000 epochs) carries nothing
    about the labels: H* and the distance ratio T are 0/0 there, and MSE = 0, C = 1 or the CE
    of a prior-only classifier would be artefacts of the constant, not measurements. Such a
    fold gets NaN in every column of ``_COLLAPSE_COLUMNS`` and is flagged (the fold file's
    ``collapsed`` list), so that summaries count it instead of averaging over it silently.

    Returns
    -------
    (dict, bool)
        The metrics and ``True`` when ``Z`` is constant over the samples.
    """
    Z = np.asarray(Z, dtype=np.float64)
    if Z.ndim == 2 and Z.shape[0] > 1 and np.all(Z == Z[0]):
        return {k: math.nan for k in _COLLAPSE_COLUMNS}, True
    return output_metrics(Z, codes, random_state=random_state), False


def _run_fold(unit: dict, _position_seed=None) -> dict:
    """Fit one (data set, method, fold) and measure the ten columns; optionally write it."""
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
    collapsed = []
    with limit_threads(1):
        Xtr, Xte = _datasets.authors_preprocessing(
            Xtr, Xte, noise=_datasets.AUTHORS_WS_NOISE if method == "ws" else 0.0,
            random_state=st["noise"])
        if method in _KERNEL_METHODS:
            from ...layerwise import LayerwiseKernelNet

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
            from ...baselines import MLPBaseline

            mlp = MLPBaseline(loss=method, n_layers=int(unit["n_layers"]),
                              max_epochs=int(unit["max_epochs"]), random_state=st["model"])
            mlp.fit(Xtr, ytr)
            H = mlp.hidden_output(Xtr)
            met, dead_hidden = _representation_metrics(H, codes_tr, st["metrics"])
            met_out, dead_out = _representation_metrics(mlp.output(Xtr), codes_tr,
                                                         st["metrics"])
            collapsed = [name for name, dead in (("hidden", dead_hidden), ("output", dead_out))
                         if dead]
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
        **({"collapsed": collapsed} if collapsed else {}),
        "provenance": {
            "wall_seconds": time.perf_counter() - t_start,
            "finished": _provenance.now(),
            "pid": os.getpid(),
        },
    }
    if unit.get("write_dir"):
        _write_fold(Path(unit["write_dir"]), result)
    return result
