"""The table: every unit run (resumably), gathered, ordered and summarised."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ... import datasets as _datasets
from ..._validation import check_bool, check_choice, check_int
from ...parallel import map_units
from . import (
    COLUMNS,
    DATASETS,
    FOLD_COLUMNS,
    FULL_MAX_EPOCHS,
    METHODS,
    QUICK_DATASETS,
    QUICK_FOLDS,
    QUICK_MAX_EPOCHS,
    SCHEMA,
)
from ._fold import _run_fold
from ._store import _read_fold, _write_fold
from ._units import _FOLD_SCHEMES, _WS_OVERRIDABLE, _check_names, _units


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
    quick = check_bool(quick, "quick")
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
