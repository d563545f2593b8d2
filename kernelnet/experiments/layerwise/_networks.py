"""Chapter 01's experiments: networks over data sets, folds, seeds and random-feature widths
(ISM and W_s), their per-fit summaries, plain eq. 2 W_s at fixed bandwidths (existence), the
training accuracies against backprop, and the class gap of Experiment 1's sets."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ... import datasets
from ..._validation import as_labels, as_rng, check_choice, check_int
from ...layerwise import LayerwiseKernelNet
from ...parallel import map_units

from . import LEVELS, POSTER_SETS, WS_SETTINGS


def ws_options(name: str, setting: str = "authors") -> dict:
    """Estimator options that run :math:`W_s` on ``name`` as ``setting`` says.

    ``"authors"``: :func:`kernelnet.datasets.authors_ws_options`, the authors' published code:
    their bandwidth list for the data set (smallest sigma 0.001 for adversarial, (0.1, 40
    values) for divorce, (0.05, 20) otherwise), their extra-column rule, their random-feature
    normaliser and 29-layer cap; ``"book"``: the estimator's defaults ((0.05, 20) everywhere,
    unit-norm extra columns from layer 2 on).
    """
    check_choice(setting, "setting", WS_SETTINGS)
    if setting == "book":
        return {}
    return datasets.authors_ws_options(name)


def training_fold(
    name: str, *, fold: int = 0, max_samples: int | None = None, seed: int = 0,
    noise: float = 0.0, scheme: str = "authors", noise_seed: int | None = None,
):
    """The authors' training fold ``fold`` (0-based) of ``name``, z-scored as they did.

    ``scheme`` picks the stored split (:func:`kernelnet.datasets.folds`: ``"authors"``, the ISM
    code's; ``"authors_ws"``, the W_s code's). ``max_samples`` keeps a random stratified subset
    of at most that many rows (quick mode). ``noise`` adds N(0, noise^2) to every feature before
    z-scoring, as the authors' W_s runs do (0.02,
    ``NIK_Thm1_Release_V2/src/tests/run_10_fold.py``), drawn from ``(noise_seed, 1)``
    (default ``seed``); :func:`kernelnet.datasets.authors_preprocessing`. Returns ``(X, y)``.
    """
    fold = check_int(fold, "fold", minimum=0, maximum=9)
    X, y = datasets.load(name)
    tr, _ = datasets.folds(name, scheme=scheme)[fold]
    X, y = X[tr], y[tr]
    if max_samples is not None and X.shape[0] > check_int(max_samples, "max_samples", minimum=10):
        rng = as_rng(seed, "seed")
        codes, _ = as_labels(y, "y")
        keep = []
        frac = max_samples / X.shape[0]
        for k in np.unique(codes):
            idx = np.flatnonzero(codes == k)
            keep.append(rng.choice(idx, size=max(2, int(round(frac * idx.size))), replace=False))
        keep = np.sort(np.concatenate(keep))
        X, y = X[keep], y[keep]
    if noise:
        ns = seed if noise_seed is None else check_int(noise_seed, "noise_seed", minimum=0)
        X, _ = datasets.authors_preprocessing(X, noise=noise, random_state=[ns, 1])
    else:
        X, _ = datasets.authors_preprocessing(X)
    return X, y


# ---------------------------------------------------------------------------------------------
# networks over data sets, folds, seeds and random-feature widths
# ---------------------------------------------------------------------------------------------


def network_runs(
    names=POSTER_SETS,
    *,
    method: str = "ism",
    folds=(0,),
    seeds=(0,),
    n_features=(400,),
    max_samples: int | None = None,
    data_seed: int = 0,
    ws_setting: str = "authors",
    ws_noise: float = 0.02,
    n_jobs=None,
    backend=None,
    scheduler=None,
    **estimator,
) -> pd.DataFrame:
    """Per-layer histories of one kind of network over data sets, folds, seeds and widths.

    One row per (data set, fold, seed, n_features, layer): every key of
    ``LayerwiseKernelNet.history_`` plus ``dataset``, ``fold``, ``seed``, ``n_features``,
    ``n_layers`` and ``stop_reason``. ISM fits use the ISM code's split (``scheme="authors"``),
    W_s fits the W_s code's (``"authors_ws"``, so that fold k is the authors' W_s fold k), with
    ``ws_options(name, ws_setting)`` and N(0, ``ws_noise``^2) feature noise as the authors'
    W_s runs. ``seed`` seeds the network (bandwidth subsamples, random features, W_s noise);
    ``data_seed`` the quick-mode subsample (``max_samples`` rows, stratified), the same for
    every seed so that seeds vary the network only. ``n_features`` only matters for ISM.
    ``estimator`` passes further ``LayerwiseKernelNet`` options (e.g. ``stop``, ``target``,
    ``max_layers``). The fits are independent units run through
    :func:`kernelnet.parallel.map_units` (``n_jobs``, ``backend``, ``scheduler``), each seeded
    by its own ``seed``: the rows are the same serially and in parallel (but the wall-clock
    ``time`` and ``fit_time``).
    """
    check_choice(method, "method", ("ism", "closed_form"))
    check_choice(ws_setting, "ws_setting", WS_SETTINGS)
    bad = [n for n in names if n not in datasets.names()]
    if bad:
        raise ValueError(f"names: unknown data set(s) {bad}; valid: {datasets.names()}")
    folds = [check_int(f, "folds", minimum=0, maximum=9) for f in folds]
    seeds = [check_int(s, "seeds", minimum=0) for s in seeds]
    widths = [check_int(w, "n_features", minimum=1) for w in n_features]
    if method == "closed_form":
        widths = widths[:1]
    if not (folds and seeds and widths):
        raise ValueError("folds, seeds and n_features must each hold at least one value")
    common = dict(max_samples=max_samples, data_seed=check_int(data_seed, "data_seed", minimum=0),
                  ws_setting=ws_setting, ws_noise=float(ws_noise), estimator=dict(estimator))
    units = [(name, method, f, s, w, common) for name in names for f in folds for s in seeds
             for w in widths]
    parts = map_units(_run_unit, units, seed=seeds[0], n_jobs=n_jobs, backend=backend,
                      scheduler=scheduler, desc=f"{method} runs")
    return pd.DataFrame([row for part in parts for row in part])


def _run_unit(unit, unit_seed):
    """Rows of :func:`network_runs` for one fit (module level, for the workers)."""
    name, method, fold, seed, width, p = unit
    ws = method == "closed_form"
    X, y = training_fold(name, fold=fold, max_samples=p["max_samples"], seed=p["data_seed"],
                         scheme="authors_ws" if ws else "authors",
                         noise=p["ws_noise"] if ws else 0.0, noise_seed=seed)
    opts = dict(p["estimator"])
    if ws:
        opts = {**ws_options(name, p["ws_setting"]), **opts}
    else:
        opts.setdefault("n_features", width)
    net = LayerwiseKernelNet(method, random_state=seed, **opts).fit(X, y)
    return [{"dataset": name, "fold": fold, "seed": seed, "n_features": width if not ws else 0,
             **h, "n_layers": net.n_layers_, "stop_reason": net.stop_reason_,
             "fit_time": net.fit_time_} for h in net.history_]


_RUN_KEYS = ["dataset", "method", "fold", "seed", "n_features"]


def first_layer_reaching(values, level: float) -> float:
    """The first layer (1-based) whose value is at least ``level``; ``inf`` if none is."""
    v = np.asarray(values, dtype=float)
    hit = np.flatnonzero(v >= level)
    return float(hit[0] + 1) if hit.size else math.inf


#: Tr(Gamma K_l) of two layers within this relative distance are tied, not a fall. On saturated
#: layers (random and adversarial, where the objective stops growing) consecutive values differ
#: by 7e-12..1e-10 relative either way: the level to which each layer's ISM fixed point and
#: bandwidth are determined (a fixed point to 1 - cos^2 <= 1e-12, the bandwidth on a 0.1 %
#: grid), not a property of Theorem 1. ``objective_max_fall`` still reports the largest fall.
OBJECTIVE_TIE = 1e-9


def _falls(v):
    """(number of layers that do not rise strictly, largest fall below the previous layer)."""
    d = np.diff(np.asarray(v, dtype=float))
    return int(np.sum(d <= 0)), float(max(0.0, -d.min())) if d.size else 0.0


def run_summary(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per fit of :func:`network_runs`.

    Columns: the run keys, ``n_layers``, ``stop_reason``; for the objective
    :math:`\\operatorname{Tr}(\\Gamma K_l)` and both normalised variants (``authors``, ``cka``):
    ``<q>_falls`` (layers at which it does not rise strictly; for the objective: falls by more
    than :data:`OBJECTIVE_TIE` relative) and ``<q>_max_fall`` (the largest fall below
    the previous layer; for the objective relative to the previous value);
    ``H_last`` (authors' variant at the last layer); ``reach_090``/``reach_095`` (first layer with
    the authors' normalised HSIC at least 0.90/0.95, ``inf`` if none); Theorem 2 quantities at
    the first and last layer (``scatter_*``, ``kdist_*``, ``T_*``, the authors' distance ratio)
    and whether the scatter ratio and the kernel distance fall at every layer
    (``scatter_monotone``, ``kdist_monotone``).
    """
    rows = []
    for key, g in runs.groupby(_RUN_KEYS, sort=False):
        g = g.sort_values("layer")
        obj = g.objective.to_numpy()
        row = dict(zip(_RUN_KEYS, key))
        row.update(n_layers=int(g.n_layers.iloc[0]), stop_reason=g.stop_reason.iloc[0])
        prev = obj[:-1]
        rel = (-np.diff(obj) / np.abs(prev)) if obj.size > 1 else np.zeros(0)
        # a relative change within OBJECTIVE_TIE is a tie (saturated layers), not a fall
        n = int(np.sum(rel > OBJECTIVE_TIE))
        row.update(objective_falls=n, objective_max_fall=float(max(0.0, rel.max(initial=0.0))))
        for q, col in (("authors", "nhsic_authors"), ("cka", "nhsic_cka")):
            n, worst = _falls(g[col].to_numpy())
            row[f"{q}_falls"], row[f"{q}_max_fall"] = n, worst
        h = g.nhsic_authors.to_numpy()
        row["H_first"], row["H_last"] = float(h[0]), float(h[-1])
        for lev in LEVELS:
            row[f"reach_{int(round(100 * lev)):03d}"] = first_layer_reaching(h, lev)
        for short, col in (("scatter", "scatter_ratio"), ("kdist", "kernel_distance"),
                           ("T", "distance_ratio")):
            v = g[col].to_numpy()
            row[f"{short}_first"], row[f"{short}_last"] = float(v[0]), float(v[-1])
        row["scatter_monotone"] = bool(np.all(np.diff(g.scatter_ratio.to_numpy()) < 0))
        row["kdist_monotone"] = bool(np.all(np.diff(g.kernel_distance.to_numpy()) < 0))
        row["train_accuracy"] = float(g.train_accuracy.iloc[-1])
        row["sigma_min"] = float(g.sigma.min())
        row["width_max"] = int(g.width.max())
        rows.append(row)
    return pd.DataFrame(rows)


def layer_histories(
    names=POSTER_SETS,
    *,
    methods=("ism", "closed_form"),
    fold: int = 0,
    quick: bool = False,
    seed: int = 0,
    max_layers: int | None = None,
    ws_noise: float = 0.02,
    ws_setting: str = "authors",
    n_jobs=None,
    backend=None,
    scheduler=None,
) -> pd.DataFrame:
    """Per-layer history of each network on each data set, on one fold (the chapter figures).

    :func:`network_runs` for each method with one fold and one seed; ``quick`` keeps at most
    300 training rows per data set (stratified); ``max_layers`` (default: each network's own,
    30 for ISM, the authors' 29 for W_s) caps the depth. Columns as :func:`network_runs` plus
    ``method``.
    """
    for m in methods:
        check_choice(m, "methods", ("ism", "closed_form"))
    seed = check_int(seed, "seed", minimum=0)
    cap = {} if max_layers is None else {"max_layers": max_layers}
    parts = [network_runs(names, method=m, folds=(fold,), seeds=(seed,),
                          max_samples=300 if quick else None, data_seed=seed,
                          ws_setting=ws_setting, ws_noise=ws_noise, n_jobs=n_jobs,
                          backend=backend, scheduler=scheduler, **cap)
             for m in methods]
    return pd.concat(parts, ignore_index=True)


def existence(
    names=POSTER_SETS,
    *,
    sigmas=(1.0, 0.3, 0.1, 0.03, 0.01),
    n_layers: int = 3,
    fold: int = 0,
    max_samples: int | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    r"""Theorem 1 I-II as an existence statement: plain eq. 2 :math:`W_s` at fixed bandwidths.

    For each data set and each :math:`\sigma` of ``sigmas``, ``n_layers`` layers of
    :math:`W_s` (eq. 2 only: one unit-norm class-sum column per class, no extra columns, the
    same :math:`\sigma_a = \sigma` at every layer, no search) on the authors' W_s training fold
    ``fold``, with their feature noise (0.02). One row per (data set, sigma, layer): the
    normalised HSIC (authors' variant, measured as in their code at the output's HSIC-optimal
    :math:`\sigma_b`), the objective and the 5-NN training accuracy.
    """
    n_layers = check_int(n_layers, "n_layers", minimum=1, maximum=30)
    rows = []
    for name in names:
        X, y = training_fold(name, fold=fold, max_samples=max_samples, seed=seed,
                             scheme="authors_ws", noise=0.02)
        for sg in sigmas:
            net = LayerwiseKernelNet("closed_form", sigma=float(sg), stop="max_layers",
                                     max_layers=n_layers, ws_append_misclassified="none",
                                     random_state=seed).fit(X, y)
            for h in net.history_:
                rows.append({"dataset": name, "sigma": float(sg), "layer": h["layer"],
                             "nhsic": h["nhsic_authors"], "objective": h["objective"],
                             "train_accuracy": h["train_accuracy"]})
    return pd.DataFrame(rows)


def committed_train_accuracy(table=None) -> pd.DataFrame:
    """Training accuracy of every method of the committed paper table, one row per data set.

    Columns ``<method>_train`` (mean over the table's folds) for ``ism``, ``ws``, ``ce`` and
    ``mse``, ``backprop_train`` (the better of CE and MSE), and ``<ce|mse>_capped``: folds whose
    MLP stopped at the table's epoch cap (``stop_reason == "max_epochs"``), ``max_epochs``: the
    cap (``results/poster_table``; ``table`` overrides it as in :func:`generalisation`).
    """
    from .. import poster_table as pt

    table = pt.load_committed() if table is None else table
    f = table.folds
    prm = table.params or {}
    cap = prm.get("parameters", prm).get("max_epochs", math.nan)
    rows = []
    for name in POSTER_SETS:
        row = {"dataset": name}
        for m in ("ism", "ws", "ce", "mse"):
            g = f[(f.dataset == name) & (f.method == m)]
            row[f"{m}_train"] = float(g.train_acc.astype(float).mean()) if len(g) else math.nan
            if m in ("ce", "mse"):
                row[f"{m}_capped"] = int((g.stop_reason == "max_epochs").sum())
        row["backprop_train"] = float(np.nanmax([row["ce_train"], row["mse_train"]]))
        row["max_epochs"] = cap
        rows.append(row)
    return pd.DataFrame(rows)


def backprop_train_accuracy(names, *, fold: int = 0, max_epochs: int = 1000, n_layers: int = 1,
                            seed: int = 0) -> pd.DataFrame:
    """Training accuracy of a CE-trained MLP (:class:`kernelnet.baselines.MLPBaseline`, width
    400, ``n_layers`` hidden layers, Adam) on the authors' W_s training fold ``fold`` of each
    data set, trained for at most ``max_epochs`` epochs (its own loss-floor and slope stops
    otherwise). One row per data set: ``mlp_train``, ``n_epochs``, ``stop_reason``, ``n``.
    """
    from ...baselines import MLPBaseline

    rows = []
    for name in names:
        X, y = training_fold(name, fold=fold, scheme="authors_ws")
        mlp = MLPBaseline("ce", n_layers=check_int(n_layers, "n_layers", minimum=1),
                          max_epochs=check_int(max_epochs, "max_epochs", minimum=1),
                          random_state=check_int(seed, "seed", minimum=0)).fit(X, y)
        rows.append({"dataset": name, "mlp_train": float(mlp.score(X, y)),
                     "n_epochs": int(mlp.n_epochs_), "stop_reason": str(mlp.stop_reason_),
                     "n": int(X.shape[0])})
    return pd.DataFrame(rows)


def nearest_other_class_distance(X, y) -> float:
    """Median over the points of the distance to the nearest point of another class.

    How far apart the classes are at the finest scale: a Gaussian bandwidth well above it
    cannot tell the classes apart (Experiment 1's adversarial set: each class-1 point is a
    0.01-jittered copy of a class-0 point).
    """
    from ...layerwise import _sq_dists

    X = np.ascontiguousarray(np.asarray(X, dtype=float))
    codes, _ = as_labels(y, "y", n_samples=X.shape[0])
    D = _sq_dists(X)
    D[codes[:, None] == codes[None, :]] = np.inf
    return float(np.median(np.sqrt(D.min(axis=1))))
