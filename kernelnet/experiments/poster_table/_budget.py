"""What the 20-epoch cap of the MLP baselines changes: capped folds beside 5,000-epoch folds.

The committed table caps the CE/MSE baselines at :data:`FULL_MAX_EPOCHS` epochs; the authors
allowed 5,000 with their stopping rule. ``scripts/run_mlp_budget.py`` refits the same folds with
``max_epochs=5000`` into a folder of fold files (the format of ``results/poster_table/folds``);
:func:`budget_pairs` pairs them with the committed capped folds, :func:`budget_effect` sums the
pairs up per (data set, method, column).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from ..._validation import check_int
from . import DATASETS
from ._units import _BASELINE_METHODS

#: The numeric columns compared between a capped and a budget fit.
BUDGET_COLUMNS = ("train_acc", "test_acc", "H_star", "MSE", "CE", "C", "T", "time", "n_epochs")
#: The committed folder of 5,000-epoch fold files (inside the repository's results).
BUDGET_FOLDER = ("mlp_budget", "folds_5000")


def _folds_frame(committed) -> pd.DataFrame:
    if committed is None:
        from ._committed import load_committed
        return load_committed().folds
    if isinstance(committed, pd.DataFrame):
        return committed
    if hasattr(committed, "folds"):
        return committed.folds
    raise ValueError("committed must be None, a PosterTable or a folds DataFrame, got "
                     f"{type(committed).__name__}")


def read_budget_folds(folder) -> pd.DataFrame:
    """The MLP rows of every fold file in ``folder`` (one row per file; ISM files are skipped).

    ``collapsed`` is true when the fit's last hidden layer is one vector for every training
    point (the fold file's ``collapsed`` list names "hidden"; its representation columns are
    NaN there, see ``_fold._representation_metrics``).

    Raises
    ------
    ValueError
        If ``folder`` is not an existing directory, or a fold file cannot be read.
    """
    if not isinstance(folder, (str, Path)) or not Path(folder).is_dir():
        raise ValueError(f"folder must be an existing directory of fold files, got {folder!r}")
    recs = []
    for path in sorted(Path(folder).glob("*__*__fold*.json")):
        try:
            stored = json.loads(path.read_text())
            row, params = stored["row"], stored["params"]
        except (OSError, json.JSONDecodeError, KeyError, TypeError) as e:
            raise ValueError(f"folder holds an unreadable fold file {path.name}: {e}") from None
        if row.get("method") not in _BASELINE_METHODS:
            continue
        rec = {k: row.get(k) for k in ("dataset", "method", "fold", "L", "stop_reason")}
        rec.update({c: (math.nan if row.get(c) is None else float(row[c]))
                    for c in BUDGET_COLUMNS})
        rec["max_epochs"] = int(params.get("max_epochs", -1))
        rec["collapsed"] = "hidden" in stored.get("collapsed", ())
        recs.append(rec)
    cols = ["dataset", "method", "fold", "L", "stop_reason", *BUDGET_COLUMNS, "max_epochs",
            "collapsed"]
    return pd.DataFrame(recs, columns=cols)


def budget_pairs(folder, committed=None) -> pd.DataFrame:
    """Pair the budget fold files in ``folder`` with the committed capped folds.

    Parameters
    ----------
    folder : str or Path
        A folder of fold files made with a larger ``max_epochs`` (``scripts/run_mlp_budget.py``).
    committed : PosterTable, DataFrame or None
        The capped table (its ``folds``); ``None`` reads :func:`load_committed`.

    Returns
    -------
    pandas.DataFrame
        One row per (data set, method, fold) present in both, in the poster's order:
        ``dataset, method, fold, L`` (the capped fit's depth), ``L_budget``, ``same_depth``
        (the budget run's ISM net, refitted by the code of its day, may end at another depth:
        such a pair compares two networks, not two budgets), ``max_epochs_budget``, for each
        column ``c`` of
        :data:`BUDGET_COLUMNS` ``c_capped``, ``c_budget`` and ``c_diff`` (budget - capped), and
        ``stop_capped``, ``stop_budget`` (the stop reasons), ``collapsed_budget`` (the
        budget fit's last hidden layer collapsed to one vector). A budget file without a committed
        fold (or the reverse) is left out.

    Raises
    ------
    ValueError
        ``folder`` not a directory or holding an unreadable file; ``committed`` of a wrong type;
    """
    b = read_budget_folds(folder)
    c = _folds_frame(committed)
    c = c[c.method.isin(_BASELINE_METHODS)]
    keys = ["dataset", "method", "fold"]
    cc = c[keys + ["L", "stop_reason", *BUDGET_COLUMNS]].copy()
    for col in BUDGET_COLUMNS:
        cc[col] = pd.to_numeric(cc[col], errors="coerce")
    b = b.astype({"fold": int})
    cc = cc.astype({"fold": int})
    m = cc.merge(b, on=keys, suffixes=("_capped", "_budget"))
    out = m[keys].copy()
    out["L"] = m.L_capped.astype(int)
    out["L_budget"] = m.L_budget.astype(int)
    out["same_depth"] = out.L == out.L_budget
    out["max_epochs_budget"] = m.max_epochs
    for col in BUDGET_COLUMNS:
        out[f"{col}_capped"] = m[f"{col}_capped"].astype(float)
        out[f"{col}_budget"] = m[f"{col}_budget"].astype(float)
        out[f"{col}_diff"] = out[f"{col}_budget"] - out[f"{col}_capped"]
    out["collapsed_budget"] = m.collapsed.astype(bool).to_numpy()
    out["stop_capped"] = m.stop_reason_capped.to_numpy()
    out["stop_budget"] = m.stop_reason_budget.to_numpy()
    order = {d: i for i, d in enumerate(DATASETS)}
    out["_o"] = out.dataset.map(order).fillna(len(order))
    out["_m"] = out.method.map({m_: i for i, m_ in enumerate(_BASELINE_METHODS)})
    return out.sort_values(["_o", "_m", "fold"]).drop(columns=["_o", "_m"]).reset_index(drop=True)


def budget_effect(pairs: pd.DataFrame) -> pd.DataFrame:
    """Per (data set, method, column): what the budget changes on the paired folds.

    Returns
    -------
    pandas.DataFrame
        ``dataset, method, column, n_pairs`` (pairs of the same depth: only these are
        summed up), ``n_other_depth`` (pairs left out), ``capped, budget`` (means), ``diff``
        (mean of budget - capped), ``max_abs_diff`` (largest per-fold change), ``at_cap``
        (capped fits that stopped at the cap), ``budget_at_cap`` (budget fits that stopped
        at their cap) and ``n_collapsed`` (budget fits whose last hidden layer collapsed to one
        vector: their representation columns are NaN, and ``capped``, ``budget`` and ``diff``
        of a column are over the folds where the budget value exists, so both means compare the
        same folds).
    """
    cols = ["dataset", "method", "column", "n_pairs", "n_other_depth", "capped", "budget", "diff",
            "max_abs_diff", "at_cap", "budget_at_cap", "n_collapsed"]
    recs = []
    for (ds, m), g0 in pairs.groupby(["dataset", "method"], sort=False):
        g = g0[g0.same_depth.astype(bool)]
        if g.empty:
            continue
        at_cap = int((g.stop_capped == "max_epochs").sum())
        b_cap = int((g.stop_budget == "max_epochs").sum())
        n_dead = int(g.collapsed_budget.astype(bool).sum())
        for col in BUDGET_COLUMNS:
            d = g[f"{col}_diff"].to_numpy(dtype=float)
            have = g[f"{col}_budget"].notna()
            recs.append({"dataset": ds, "method": m, "column": col, "n_pairs": len(g),
                         "n_other_depth": len(g0) - len(g),
                         "capped": float(g[f"{col}_capped"][have].mean()),
                         "budget": float(g[f"{col}_budget"][have].mean()),
                         "diff": float(np.nanmean(d)) if np.any(~np.isnan(d)) else math.nan,
                         "max_abs_diff": float(np.nanmax(np.abs(d))) if np.any(~np.isnan(d))
                         else math.nan,
                         "at_cap": at_cap, "budget_at_cap": b_cap, "n_collapsed": n_dead})
    return pd.DataFrame(recs, columns=cols)


def pairs_per_set(pairs: pd.DataFrame, n_folds: int = 10) -> pd.DataFrame:
    """Fold pairs per (data set, method), over all eight data sets: ``n_pairs`` (same depth),
    ``n_other_depth`` and ``pending`` (folds without a budget file yet)."""
    idx = pd.MultiIndex.from_product([DATASETS, _BASELINE_METHODS], names=["dataset", "method"])
    same = pairs[pairs.same_depth.astype(bool)] if len(pairs) else pairs
    n = same.groupby(["dataset", "method"]).size().reindex(idx, fill_value=0)
    n_all = pairs.groupby(["dataset", "method"]).size().reindex(idx, fill_value=0)
    out = n.rename("n_pairs").reset_index()
    out["n_other_depth"] = (n_all - n).to_numpy()
    out["pending"] = n_folds - n_all.to_numpy()
    return out


#: Columns a refit shares with its committed fold (same fold, seed and depth).
_KEPT_ON_REFIT = ("dataset", "method", "fold", "n_train", "n_test", "seed", "sigma", "L",
                  "stop_reason", "source")


def folds_as_read(committed, pairs: pd.DataFrame, n_folds: int = 10) -> pd.DataFrame:
    """The committed folds as the chapter's verdicts read them: each (data set, MLP) whose
    ``n_folds`` folds all have a 5,000-epoch refit at the same depth takes the refit's
    columns (:data:`BUDGET_COLUMNS` and its stop reason); every other row is the committed one.

    Parameters
    ----------
    committed : PosterTable or DataFrame
        The capped table (its ``folds``).
    pairs : pandas.DataFrame
        :func:`budget_pairs` (or :func:`load_budget`) on the same table; may be empty.
    n_folds : int
        Folds a (set, MLP) needs before its refits replace it.

    Returns
    -------
    pandas.DataFrame
        The committed ``folds`` with a column ``source``: ``"budget"`` on the replaced MLP rows,
        ``"committed"`` elsewhere. On a replaced row the columns the pairs do not carry (the
        output readings ``*_out``, ``MSE_authors``, the HSIC path ``H_*``) are NaN, so no row
        mixes two fits.
    """
    n_folds = check_int(n_folds, "n_folds", minimum=1)
    f = _folds_frame(committed).copy()
    f["source"] = "committed"
    same = pairs[pairs.same_depth.astype(bool)] if len(pairs) else pairs
    if same.empty:
        return f
    for (ds, m), g in same.groupby(["dataset", "method"], sort=False):
        if len(g) < n_folds:
            continue
        by_fold = g.set_index(g.fold.astype(int))
        rows = f.index[(f.dataset == ds) & (f.method == m)]
        folds = f.loc[rows, "fold"].astype(int)
        for col in BUDGET_COLUMNS:
            if col in f.columns:
                f.loc[rows, col] = folds.map(by_fold[f"{col}_budget"]).to_numpy()
        f.loc[rows, "stop_reason"] = folds.map(by_fold["stop_budget"]).to_numpy()
        for col in f.columns:
            if col not in _KEPT_ON_REFIT and col not in BUDGET_COLUMNS:
                f.loc[rows, col] = math.nan
        f.loc[rows, "source"] = "budget"
    return f


def budget_row_count(cells: pd.DataFrame) -> tuple:
    """``(rows read from the refits, MLP rows)``: the (data set, MLP) rows of ``cells`` (a frame
    with ``dataset, method, source``, e.g. :func:`folds_as_read` or a comparison built on it)
    whose ``source`` is ``"budget"``, and all of its (data set, MLP) rows."""
    rows = cells[cells.method.isin(_BASELINE_METHODS)].drop_duplicates(["dataset", "method"])
    return int((rows.source == "budget").sum()), len(rows)


def budget_folder(root=None) -> Path:
    """``results/mlp_budget/folds_5000`` (or ``root/mlp_budget/folds_5000``)."""
    from ._committed import results_dir
    base = Path(root) if root is not None else results_dir().parent
    return base.joinpath(*BUDGET_FOLDER)


def load_budget(folder=None, committed=None) -> pd.DataFrame:
    """:func:`budget_pairs` on ``folder`` (default :func:`budget_folder`); an empty frame of
    the same columns when that folder does not exist (yet)."""
    folder = budget_folder() if folder is None else Path(folder)
    if not folder.is_dir():
        cols = ["dataset", "method", "fold", "L", "L_budget", "same_depth",
                "max_epochs_budget"] + [
            f"{c}_{s}" for c in BUDGET_COLUMNS for s in ("capped", "budget", "diff")] + [
            "stop_capped", "stop_budget"]
        return pd.DataFrame(columns=cols)
    return budget_pairs(folder, committed)


def budget_table(effect: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """:func:`budget_effect` as the chapter shows it: one row per (data set, method) with the
    pairs and the capped fits among them (and, when any budget fit collapsed, how many did), one
    cell ``"capped -> budget"`` per column."""
    if effect.empty:
        return pd.DataFrame(columns=["dataset", "method", "fold pairs", "stopped at the cap",
                                     *BUDGET_COLUMNS]).set_index(["dataset", "method"])
    recs = []
    for (ds, m), g in effect.groupby(["dataset", "method"], sort=False):
        rec = {"dataset": ds, "method": m, "fold pairs": int(g.n_pairs.iloc[0]),
               "stopped at the cap": int(g.at_cap.iloc[0])}
        if int(effect.n_collapsed.max()) > 0:
            rec["collapsed (budget)"] = int(g.n_collapsed.iloc[0])
        for r in g.itertuples():
            rec[r.column] = f"{r.capped:.{digits}g} → {r.budget:.{digits}g}"
        recs.append(rec)
    return pd.DataFrame(recs).set_index(["dataset", "method"])
