"""A table beside the poster, beside another table, and the book's targets on it."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ... import datasets as _datasets
from ..._validation import as_labels, check_choice, check_int, one_hot
from ...hsic import normalized_hsic
from . import ACCURACY_TARGETS, ACCURACY_TOLERANCE, COLUMNS, OUTPUT_READING
from ._table import PosterTable, _order
from ._units import _BASELINE_METHODS


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
