"""W_s: three references kept apart (ours, the authors' published code, the poster)."""

from __future__ import annotations

import math

import pandas as pd

from ... import datasets as _datasets
from . import DATASETS, WS_ACC_TOLERANCE, WS_DEPTH_TOLERANCE, WS_MIN_FOLDS
from ._table import poster_table


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
