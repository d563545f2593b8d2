"""The chapter (the chapter contract): verdicts, ``run`` and its findings."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ...claims import Finding, resolve_parameters
from . import (
    ACCURACY_TARGETS,
    PARAMETERS,
    REFEREE_WS_VS_CODE,
    ROUNDING_SENSITIVE,
    WS_CODE_TARGETS,
    _ws,
)
from ._committed import load_committed, reproduce_full_table, results_dir
from ._compare import (
    check_targets,
    compare_tables,
    compare_with_poster,
    mlp_readings,
    side_by_side,
    time_table,
)
from ._budget import (budget_effect, budget_folder, budget_row_count, folds_as_read,
                      load_budget, pairs_per_set)
from ._table import PosterTable, poster_table, summarize
from ._units import _BASELINE_METHODS, _KERNEL_METHODS

#: Accuracy cells agree with the poster when within this or within the poster's std (the book's
#: ISM accuracy tolerance, :data:`ACCURACY_TOLERANCE`).
MLP_ACC_TOLERANCE = 0.05
#: "Equivalent performance" (claim 000.q1-vs-backprop): a kernel net's accuracy is at most this
#: much below the better MLP's on the same set (the same 0.05).
EQUIVALENT_TOLERANCE = 0.05
#: The ISM row's objective bounds as the poster's statement gives them (000.table.objectives),
#: column -> (bound, "min" or "max"), widened by half a unit of the poster's last printed digit.
OBJECTIVE_BOUNDS = {"H_star": (0.96 - 0.005, "min"), "MSE": (0.02 + 0.005, "max"),
                    "CE": (0.17 + 0.005, "max"), "C": (0.04 + 0.005, "max"),
                    "T": (0.04 + 0.005, "max")}
#: A sigma cell agrees when ours / poster is within this factor (or within our fold std): the
#: poster prints one mean per set, and the bandwidths come from searches on grids.
SIGMA_FACTOR = 1.25


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


def sgd_table_verdict(acc: pd.DataFrame) -> str:
    """The poster's MLP rows (000.table.sgd) from their accuracy cells.

    ``acc``: one row per (data set, method, accuracy column) with ``ok`` (within
    :data:`MLP_ACC_TOLERANCE` or the poster's std) and ``at_cap`` (fits of that cell stopped by
    an epoch cap below the authors' 5,000). ``"reproduced"``: every cell ok and no fit capped;
    ``"reproduced with a caveat"``: more than half ok (every cell when some fits are capped);
    ``"outside the source's regime"``: half or fewer ok - our MLPs are scikit-learn fits, capped
    where ``at_cap`` > 0, not the authors' PyTorch runs, so a miss does not say the poster fails.
    ``"not checked yet"`` when ``acc`` is empty.
    """
    if acc.empty:
        return "not checked yet"
    n_ok = int(acc.ok.astype(bool).sum())
    capped = int(pd.to_numeric(acc.at_cap).sum()) > 0
    if n_ok == len(acc):
        return "reproduced with a caveat" if capped else "reproduced"
    if 2 * n_ok > len(acc):
        return "reproduced with a caveat"
    return "outside the source's regime"


def time_order_verdict(order: pd.DataFrame) -> str:
    """000.table.time, the ordering only: ISM faster than the CE and the MSE MLP per set.

    ``order``: one row per data set with ``ism_faster`` (ISM's mean seconds below both MLPs'
    on our machine). ``"reproduced with a caveat"`` when it holds on every set (the absolute
    times compare machines and are not checked), also when it holds on more than half;
    ``"outside the source's regime"`` otherwise (our MLPs are capped, which only shortens them).
    """
    if order.empty:
        return "not checked yet"
    n_ok = int(order.ism_faster.astype(bool).sum())
    return ("reproduced with a caveat" if 2 * n_ok > len(order)
            else "outside the source's regime")


def objectives_verdict(cells: pd.DataFrame, sensitive=ROUNDING_SENSITIVE) -> str:
    """000.table.objectives: the ISM row's H*, MSE, CE, C, T within the stated bounds.

    ``cells``: one row per (data set, column) with ``ok`` (within :data:`OBJECTIVE_BOUNDS` or
    within the poster's std of the poster's cell). ``"reproduced"``: all ok;
    ``"reproduced with a caveat"``: all ok outside the rounding-sensitive sets, or at most a
    quarter of those sets' cells miss; ``"not reproduced"``: more miss there (the ISM row is
    run in the authors' regime).
    """
    if cells.empty:
        return "not checked yet"
    ok = cells.ok.astype(bool)
    if ok.all():
        return "reproduced"
    real = ~cells.dataset.isin(sensitive)
    n_real_bad = int((~ok & real).sum())
    if n_real_bad == 0 or 4 * n_real_bad <= int(real.sum()):
        return "reproduced with a caveat"
    return "not reproduced"


def sigma_verdict(cells: pd.DataFrame) -> str:
    """000.table.sigma: the smallest bandwidth per set, ours beside the poster's.

    ``cells``: one row per (data set, method in ism/ws) with ``ok``. ``"reproduced"`` when all
    agree; ``"reproduced with a caveat"`` when more than half the ISM cells agree (the W_s row
    follows the published W_s code, which the poster's W_s row does not: 000.ws-vs-code);
    ``"not reproduced"`` otherwise.
    """
    if cells.empty:
        return "not checked yet"
    ok = cells.ok.astype(bool)
    if ok.all():
        return "reproduced"
    ism = cells.method == "ism"
    return ("reproduced with a caveat" if 2 * int((ok & ism).sum()) > int(ism.sum())
            else "not reproduced")


def backprop_verdict(equiv: pd.DataFrame) -> str:
    """000.q1-vs-backprop: the layer-wise nets' accuracy against the MLPs', per set.

    ``equiv``: one row per (data set, kernel method, accuracy column) with ``ok`` (at most
    :data:`EQUIVALENT_TOLERANCE` below the better MLP) and ``at_cap`` (MLP fits of that set
    stopped by a cap below the authors' 5,000). ``"reproduced"``: all ok, no fit capped;
    ``"reproduced with a caveat"``: every ISM cell ok, or more than half of all cells;
    ``"outside the source's regime"``: otherwise (capped baselines cannot show the opposite).
    """
    if equiv.empty:
        return "not checked yet"
    ok = equiv.ok.astype(bool)
    capped = int(pd.to_numeric(equiv.at_cap).sum()) > 0
    if ok.all():
        return "reproduced with a caveat" if capped else "reproduced"
    if ok[equiv.method == "ism"].all() or 2 * int(ok.sum()) > len(equiv):
        return "reproduced with a caveat"
    return "outside the source's regime"


def mlp_best_available(ref: PosterTable, pairs: pd.DataFrame, n_folds: int = 10) -> pd.DataFrame:
    """Per (data set, MLP, accuracy column): the committed capped mean, or the 5,000-epoch
    mean where all ``n_folds`` budget folds of that (set, method) exist at the same depth.

    Returns ``dataset, method, column, ours, source`` (``"capped"`` / ``"budget"``), ``at_cap``
    (fits behind ``ours`` stopped by their epoch cap), with the poster's ``poster_mean,
    poster_std``.
    """
    read = folds_as_read(ref, pairs, n_folds)
    f = read[read.method.isin(_BASELINE_METHODS)]
    recs = []
    for (ds, m), g in f.groupby(["dataset", "method"], sort=False):
        src = "budget" if (g.source == "budget").all() else "capped"
        cap = int((g.stop_reason == "max_epochs").sum())
        for col in ("train_acc", "test_acc"):
            recs.append({"dataset": ds, "method": m, "column": col,
                         "ours": float(pd.to_numeric(g[col]).mean()), "source": src,
                         "at_cap": cap})
    out = pd.DataFrame(recs)
    poster = compare_with_poster(ref.summary)[["dataset", "method", "column", "poster_mean",
                                               "poster_std"]]
    return out.merge(poster, on=["dataset", "method", "column"], how="left")


def comparison_as_read(ref: PosterTable, pairs: pd.DataFrame, n_folds: int = 10) -> pd.DataFrame:
    """:func:`compare_with_poster` on :func:`folds_as_read`: every cell as the chapter's
    verdicts read it (an MLP row from its 5,000-epoch refits where all ``n_folds`` exist).

    Returns the columns of :func:`compare_with_poster` plus ``source`` (``"budget"`` or
    ``"committed"``) and ``committed_diff``: the committed table's ``diff`` of the same cell
    (equal to ``diff`` where ``source`` is ``"committed"``).
    """
    read = folds_as_read(ref, pairs, n_folds)
    comp = compare_with_poster(summarize(read.drop(columns="source")))
    src = read.groupby(["dataset", "method"], sort=False).source.first().rename("source")
    comp = comp.merge(src.reset_index(), on=["dataset", "method"], how="left")
    base = compare_with_poster(ref.summary)[["dataset", "method", "column", "diff"]]
    return comp.merge(base.rename(columns={"diff": "committed_diff"}),
                      on=["dataset", "method", "column"], how="left")


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
    budget_pairs: pd.DataFrame = None
    budget_effect: pd.DataFrame = None
    budget_counts: pd.DataFrame = None
    checks: dict = None
    comparison_read: pd.DataFrame = None


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
    ws_code = _ws.ws_against_authors_code(ws_run.folds)
    ws_sum = _ws.ws_code_summary(ws_code)
    refs = _ws.ws_three_references(ws_sum)
    ws_noise = _ws.ws_noise_spread(ws_sum[~ws_sum.ok.astype(bool)].dataset.tolist(),
                               seeds=range(seed + 1, seed + 1 + p["ws_noise_draws"]),
                               max_folds=p["ws_code_folds"], n_jobs=n_jobs)
    ws_variants = _ws.ws_variants_against_poster(p["ws_poster_variants"], seed=seed,
                                             names=p["ws_code_datasets"],
                                             max_folds=p["ws_code_folds"], n_jobs=n_jobs)
    car_dir = (Path(committed) if committed is not None else results_dir()) / "car_uci"
    car = load_committed(car_dir)
    full = reproduce_full_table(n_jobs=n_jobs or 2, committed=committed,
                                progress=False) if p["rerun_full"] else None
    targets = check_targets(ref)
    findings = _findings(p, seed, ref, targets, ws_sum, refs, ws_noise, ws_variants)
    bpairs = load_budget(budget_folder(None if committed is None else Path(committed).parent),
                         ref)
    checks = table_checks(ref, bpairs)
    findings += table_findings(ref, bpairs, checks)
    return PaperTableResult(
        committed=ref, comparison=comp, wide=side_by_side(comp), times=time_table(ref),
        targets=targets, live=live, live_vs_committed=lvc, car_uci=car,
        mlp_readings=mlp_readings(ref), ws_code=ws_code, ws_code_summary=ws_sum,
        ws_references=refs, ws_noise=ws_noise, ws_variants=ws_variants, full_rerun=full,
        params=dict(quick=quick, seed=seed, **p), findings=tuple(findings),
        budget_pairs=bpairs, budget_effect=budget_effect(bpairs),
        budget_counts=pairs_per_set(bpairs), checks=checks,
        comparison_read=comparison_as_read(ref, bpairs))


def _set_list(df, fmt):
    return ", ".join(fmt(r) for r in df.itertuples()) or "none"


def _misses(df: pd.DataFrame, flag: str) -> pd.DataFrame:
    """The rows of ``df`` whose boolean column ``flag`` is false."""
    return df[~df[flag].astype(bool)]


def _finding(claim_id, verdict, regime, *, values, figure, section, note, tried) -> Finding:
    """A chapter finding: ``tried`` is recorded only for a ``"not reproduced"`` verdict (where
    the referee rule requires it), ``figure`` is the one figure that shows it."""
    return Finding(claim_id, verdict, regime, values=values, figures=(figure,), section=section,
                   note=note, tried=tuple(tried) if verdict == "not reproduced" else ())


def _findings(p, seed, ref, targets, ws_sum, refs, ws_noise, ws_variants) -> list:
    out = []
    # 000.table: the ISM row, accuracy on the six targets, from the committed full table
    acc = targets["accuracy"]
    v, bad = ism_table_verdict(acc), _misses(acc, "ok")
    out.append(_finding(
        "000.table", v,
        "the committed full table: ISM (W*) with the authors' widths, bandwidth and stopping "
        "rules, 10 folds of the split stored with their ISM code, on "
        + ", ".join(ACCURACY_TARGETS),
        values={"within_0.05": int(acc.ok.sum()), "n_sets": int(len(acc)),
                "worst_gap": float(acc["diff"].abs().max()) if len(acc) else math.nan,
                **{f"test_{r.dataset}": round(float(r.ours), 3) for r in acc.itertuples()}},
        figure="paper_table_differences", section="pt-agree",
        note="" if v == "reproduced" else (
            "ISM test accuracy outside 0.05 of the poster on "
            + _set_list(bad, lambda r: f"{r.dataset} ({r.ours:.2f} vs {r.poster:.2f})")
            if len(bad) else "not every target data set is in the table"),
        tried=("the authors' widths, bandwidth rule and stopping rule on their stored ISM split",
               "the committed full table (10 folds); the live rerun of the chapter")))
    # 000.ws-vs-code: the poster's W_s row against the authors' published W_s code
    v = poster_code_verdict(refs)
    out.append(_finding(
        "000.ws-vs-code", v,
        "the poster's W_s row against the per-fold results the authors' published W_s code "
        "stored (NIK_Thm1_Release_V2 @ 099a4ee, results/<name>/10Fold_summary.txt), all eight "
        "data sets; agreement = depth within one layer and mean test accuracy within 0.03",
        values={"agree": int(refs.agree.sum()), "n_sets": int(len(refs)),
                **{f"L_{r.dataset}": f"poster {r.L_poster:.1f}, code {r.L_code:.1f}"
                   for r in refs.itertuples()}},
        figure="paper_table_ws_references", section="pt-ws-references",
        note="" if v == "reproduced" else (
            "the poster's W_s depths are not those of the published code on "
            + _set_list(_misses(refs, "agree"), lambda r: f"{r.dataset} ({r.L_poster:.1f} vs "
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
               *REFEREE_WS_VS_CODE)))
    # 000.ws-port: our W_s against the authors' published W_s code
    v = ws_port_verdict(ws_sum)
    tgt = ws_sum[ws_sum.dataset.isin(WS_CODE_TARGETS)]
    off = _misses(ws_sum, "ok")
    out.append(_finding(
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
        figure="paper_table_ws_vs_code", section="pt-ws-code",
        note=("" if off.empty else (
            "outside the tolerances: " + _set_list(off, lambda r: (
                f"{r.dataset} (depth within one layer on {r.depth_within} of {r.n_folds} "
                f"folds, mean L {r.L:.1f} vs {r.L_code:.1f}, the code's own depths "
                f"{r.L_code_min}-{r.L_code_max} over folds; test {r.test_acc:.2f} vs "
                f"{r.test_code:.2f}, the code's fold-to-fold std {r.test_code_std:.2f})"))
            + ". " + _noise_text(ws_noise))),
        tried=("the authors' per-set bandwidth lists and extra-column rule",
               "their 200-feature random-feature normaliser and the exact one",
               "their stored W_s split")))
    return out


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


def table_checks(ref: PosterTable, pairs: pd.DataFrame) -> dict:
    """The tables behind the five table claims (``000.table.sgd``, ``.time``,
    ``.objectives``, ``.sigma``, ``000.q1-vs-backprop``), from the committed table and the
    5,000-epoch budget pairs. Each holds an ``ok`` column for its verdict function."""
    comp = compare_with_poster(ref.summary)
    # MLP accuracy cells (the budget mean where a (set, method) has all 10 pairs)
    mlp = mlp_best_available(ref, pairs)
    tol = np.maximum(MLP_ACC_TOLERANCE, mlp.poster_std.fillna(0).to_numpy())
    mlp["diff"] = mlp.ours - mlp.poster_mean
    mlp["ok"] = mlp["diff"].abs() <= tol + 1e-12
    # time ordering
    t = time_table(ref).pivot_table(index="dataset", columns="method", values="ours_mean",
                                    sort=False)
    tp = time_table(ref).pivot_table(index="dataset", columns="method", values="poster_mean",
                                     sort=False)
    order = pd.DataFrame({"dataset": t.index, "ism": t.ism.to_numpy(), "ce": t.ce.to_numpy(),
                          "mse": t.mse.to_numpy(),
                          "ism_faster": ((t.ism < t.ce) & (t.ism < t.mse)).to_numpy(),
                          "poster_ism_faster": ((tp.ism < tp.ce) & (tp.ism < tp.mse)).to_numpy()})
    # ISM objectives
    obj = comp[(comp.method == "ism") & comp.column.isin(list(OBJECTIVE_BOUNDS))].copy()
    bound = obj.column.map(lambda c: OBJECTIVE_BOUNDS[c][0])
    kind = obj.column.map(lambda c: OBJECTIVE_BOUNDS[c][1])
    meets = np.where(kind == "min", obj.ours_mean >= bound, obj.ours_mean <= bound)
    obj["bound"] = bound
    obj["meets_bound"] = meets
    obj["ok"] = meets | (obj.abs_diff <= obj.poster_std.fillna(-1) + 1e-12)
    obj = obj[["dataset", "column", "ours_mean", "poster_mean", "poster_std", "bound",
               "meets_bound", "ok"]].reset_index(drop=True)
    # sigma
    sig = comp[(comp.column == "sigma") & comp.method.isin(["ism", "ws"])].copy()
    ratio = sig.ours_mean / sig.poster_mean
    sig["ratio"] = ratio
    sig["ok"] = ((ratio <= SIGMA_FACTOR) & (ratio >= 1 / SIGMA_FACTOR)) | (
        sig.abs_diff <= sig.ours_std + 1e-12)
    sig = sig[["dataset", "method", "ours_mean", "ours_std", "poster_mean", "ratio",
               "ok"]].reset_index(drop=True)
    # the layer-wise nets against the better MLP (capped or budget, as in ``mlp``)
    recs = []
    for ds in mlp.dataset.unique():
        for col in ("train_acc", "test_acc"):
            mm = mlp[(mlp.dataset == ds) & (mlp.column == col)]
            best = float(mm.ours.max())
            for meth in ("ism", "ws"):
                c = comp[(comp.dataset == ds) & (comp.method == meth) & (comp.column == col)]
                if c.empty:
                    continue
                v = float(c.ours_mean.iloc[0])
                recs.append({"dataset": ds, "method": meth, "column": col, "ours": v,
                             "best_mlp": best, "best_mlp_method": mm.method.iloc[
                                 int(np.argmax(mm.ours.to_numpy()))],
                             "gap": v - best, "at_cap": int(mm.at_cap.sum()),
                             "ok": v >= best - EQUIVALENT_TOLERANCE - 1e-12})
    equiv = pd.DataFrame(recs, columns=["dataset", "method", "column", "ours", "best_mlp",
                                        "best_mlp_method", "gap", "at_cap", "ok"])
    return {"mlp_accuracy": mlp, "time_order": order, "objectives": obj, "sigma": sig,
            "backprop": equiv}


def _pct(n, d):
    return f"{n} of {d}"


def _budget_note(pairs: pd.DataFrame) -> str:
    """One sentence on what the 5,000-epoch budget changed on the fold pairs done so far."""
    same = pairs[pairs.same_depth.astype(bool)] if len(pairs) else pairs
    if same.empty:
        return ("No fold has been refitted with the authors' 5,000-epoch budget yet "
                "(results/mlp_budget/folds_5000)")
    eff = budget_effect(pairs)
    acc = eff[eff.column.isin(["train_acc", "test_acc"])]
    per = ", ".join(f"{ds} {m} {int(g.n_pairs.iloc[0])}"
                    for (ds, m), g in acc.groupby(["dataset", "method"], sort=False))
    te = acc[acc.column == "test_acc"]
    counts = pairs_per_set(pairs)
    pending = int(counts.pending.sum())
    if not pending and counts.n_pairs.nunique() == 1:
        where = (f"all {int(counts.n_pairs.iloc[0])} folds of each of the {len(counts)} "
                 "(set, MLP) rows")
    else:
        where = f"fold pairs so far: {per}; " + (f"{pending} pending" if pending
                                                  else "none pending")
    return ("With the authors' 5,000-epoch budget (results/mlp_budget/folds_5000; "
            f"{where}) the mean test accuracy of a (set, MLP) moves by "
            f"at most {te['diff'].abs().max():.3f} and a single fold's by at most "
            f"{te.max_abs_diff.max():.3f}; {int(same.stop_budget.eq('max_epochs').sum())} of "
            f"{len(same)} budget fits reach the 5,000-epoch cap")


def _mlp_budget_lead(mlp: pd.DataFrame) -> str:
    """How many (set, MLP) rows 000.q1-vs-backprop reads from the 5,000-epoch refits
    (``mlp``: ``table_checks(...)["mlp_accuracy"]``), leading into :func:`_budget_note`."""
    n_b, n = budget_row_count(mlp)
    if n_b == n:
        return f"Every one of the {n} (set, MLP) rows is read from its 5,000-epoch refits; "
    return (f"{n - n_b} of the {n} (set, MLP) rows are the capped fits, which may be below what "
            "the authors' 5,000-epoch baselines reach; ")


def sgd_miss_reading(miss: pd.DataFrame) -> str:
    """How 000.table.sgd reads its accuracy misses (rows of ``mlp_accuracy`` not ok), by
    where each cell's MLPs come from (``source``: ``"capped"`` or ``"budget"``)."""
    text = "Capped fits are not the authors' regime, so no miss is read as the poster failing."
    b = miss[miss.source == "budget"] if len(miss) else miss
    if not len(b):
        return text
    rows = _set_list(b, lambda r: f"{r.dataset} {r.method} {r.column}")
    one = len(b) == 1
    why = ("these are scikit-learn fits, not the authors' PyTorch runs (initialisation, stopping "
           "statistic and MSE output differ, as the chapter lists).")
    head = (f"The miss{'' if one else 'es'} on {rows}, whose MLPs were refitted with the "
            f"authors' 5,000 epochs, {'is' if one else 'are'} ")
    if len(b) == len(miss):
        return head + "read as a caveat, not as the poster failing: " + why
    return text + " " + head + "a caveat too: " + why


def table_findings(ref: PosterTable, pairs: pd.DataFrame, checks: dict) -> list:
    """Findings ``000.table.sgd``, ``000.table.time``, ``000.table.objectives``,
    ``000.table.sigma`` and ``000.q1-vs-backprop`` from :func:`table_checks`."""
    out = []
    epochs = ref.params.get("parameters", {}).get("max_epochs", "?")
    n_mlp = int(ref.folds.method.isin(_BASELINE_METHODS).sum())
    n_capped = int((ref.folds.stop_reason == "max_epochs").sum())
    cap_text = (f"the committed table's MLPs (scikit-learn, the authors' Adam settings and "
                f"stopping rule, capped at {epochs} epochs where the authors allowed 5,000; "
                f"{n_capped} of {n_mlp} fits stop at the cap)")
    budget = _budget_note(pairs)
    # 000.table.sgd
    mlp = checks["mlp_accuracy"]
    v = sgd_table_verdict(mlp)
    miss = mlp[~mlp.ok.astype(bool)]
    n_b = int((mlp.source == "budget").sum() // 2)
    readings = mlp_readings(ref)
    out.append(Finding(
        "000.table.sgd", v,
        cap_text + "; train/test accuracy per set within 0.05 or the poster's std; where all "
        "10 folds of a (set, MLP) have been refitted with 5,000 epochs, those are used",
        values={"acc_cells_ok": int(mlp.ok.sum()), "acc_cells": int(len(mlp)),
                "rows_from_budget": n_b, "capped_fits": n_capped, "mlp_fits": n_mlp,
                "output_reading_closer": int((readings.closer == "output").sum()),
                "objective_cells": int(readings.closer.notna().sum()),
                **{f"test_{r.dataset}_{r.method}": round(float(r.ours), 3)
                   for r in mlp[mlp.column == "test_acc"].itertuples()}},
        figures=("paper_table_differences",), section="pt-agree",
        note=("accuracy outside 0.05 and the poster's std on "
              + _set_list(miss, lambda r: f"{r.dataset} {r.method} {r.column} "
                                          f"({r.ours:.2f} vs {r.poster_mean:.2f}, "
                                          f"{r.source})")
              + ". " if len(miss) else "every accuracy cell agrees. ")
        + "The H*, MSE, CE, C and T cells are not a replication: the authors do not record on "
          "which layer they measured them (the network's output is nearer the poster in "
          f"{int((readings.closer == 'output').sum())} of {int(readings.closer.notna().sum())} "
          "cells). " + budget + ". " + sgd_miss_reading(miss),
        tried=_sgd_alternatives(ref, mlp)))
    # 000.table.time
    order = checks["time_order"]
    v = time_order_verdict(order)
    slow = order[~order.ism_faster.astype(bool)]
    out.append(Finding(
        "000.table.time", v,
        "the ordering only: ISM's mean seconds per fold against the CE and MSE MLPs' on each "
        "set, all measured within the committed run on one shared 2-core machine; "
        + cap_text,
        values={"ism_faster_sets": int(order.ism_faster.sum()), "n_sets": int(len(order)),
                "poster_ism_faster_sets": int(order.poster_ism_faster.sum()),
                **{f"s_{r.dataset}": f"ism {r.ism:.2f}, ce {r.ce:.2f}, mse {r.mse:.2f}"
                   for r in order.itertuples()}},
        figures=(), section="pt-time",
        note=("The poster's absolute times come from an unknown machine and are not checked; "
              "only the ordering within our run is. ISM is faster than both MLPs on "
              f"{int(order.ism_faster.sum())} of {len(order)} sets"
              + (f" (not on {', '.join(slow.dataset)})" if len(slow) else "")
              + f". Our MLPs stop at {epochs} epochs; the authors' 5,000-epoch budget can only "
                "lengthen them.")))
    # 000.table.objectives
    obj = checks["objectives"]
    v = objectives_verdict(obj)
    bad = obj[~obj.ok.astype(bool)]
    real = obj[~obj.dataset.isin(ROUNDING_SENSITIVE)]
    out.append(Finding(
        "000.table.objectives", v,
        "the committed table's ISM row (the authors' widths, bandwidth and stopping rules, "
        "their stored ISM split, 10 folds of 8 sets); a cell agrees when it meets the stated "
        "bound (H* >= 0.96, MSE <= 0.02, CE <= 0.17, C <= 0.04, T <= 0.04, each widened by "
        "half the poster's last digit) or lies within the poster's std of its cell",
        values={"cells_ok": int(obj.ok.sum()), "cells": int(len(obj)),
                "real_cells_ok": int(real.ok.sum()), "real_cells": int(len(real)),
                "H_star_range": f"{obj[obj.column == 'H_star'].ours_mean.min():.3f}-"
                                f"{obj[obj.column == 'H_star'].ours_mean.max():.3f}",
                **{f"max_{c}": round(float(obj[obj.column == c].ours_mean.max()), 3)
                   for c in ("MSE", "CE", "C", "T")}},
        figures=("paper_table_differences",), section="pt-agree",
        note="" if v == "reproduced" else (
            "outside the bound and the poster's std: "
            + _set_list(bad, lambda r: f"{r.dataset} {r.column} {r.ours_mean:.3f} (poster "
                                       f"{r.poster_mean:.2f})")
            + f"; {', '.join(ROUNDING_SENSITIVE)} have no class structure and their ISM folds "
              "follow the rounding (ism_sensitivity)"),
        tried=(f"the stated bounds alone (no poster std): {int(obj.meets_bound.sum())} of "
               f"{len(obj)} cells; the poster's std alone: "
               f"{int(_within_std(obj).sum())} of {len(obj)}",
               "the authors' ISM settings on their stored split (the committed table)")))
    # 000.table.sigma
    sig = checks["sigma"]
    v = sigma_verdict(sig)
    ism_s = sig[sig.method == "ism"]
    ws_s = sig[sig.method == "ws"]
    out.append(Finding(
        "000.table.sigma", v,
        "the smallest layer bandwidth per fold, mean over the 10 folds of the committed table "
        "(ISM: the authors' bandwidth rule; W_s: the published W_s code's bandwidth lists); a "
        f"cell agrees when ours/poster is within a factor {SIGMA_FACTOR} or the difference is "
        "within our fold std",
        values={"ism_ok": int(ism_s.ok.sum()), "ws_ok": int(ws_s.ok.sum()),
                "n_sets": int(len(ism_s)),
                **{f"{r.method}_{r.dataset}": f"{r.ours_mean:.3f} vs {r.poster_mean:.2f}"
                   for r in sig.itertuples()}},
        figures=("paper_table_differences",), section="pt-agree",
        note="" if v == "reproduced" else (
            "apart: " + _set_list(sig[~sig.ok.astype(bool)], lambda r: (
                f"{r.method} {r.dataset} {r.ours_mean:.3f} vs {r.poster_mean:.2f}"))
            + ". Our W_s follows the authors' published W_s code (000.ws-port), whose depths "
              "the poster's W_s row does not match (000.ws-vs-code), so its sigma cells test "
              "the poster's unpublished code; the ISM sets apart include the two without class "
              "structure, whose folds follow the rounding"),
        tried=("the smallest bandwidth over layers as DEFINITIONS.md reads the column",
               *(f"within a factor {k}: ISM {int(_sigma_within(ism_s, k).sum())} of "
                 f"{len(ism_s)}, W_s {int(_sigma_within(ws_s, k).sum())} of {len(ws_s)}"
                 for k in (1.1, 1.5, 2.0)))))
    # 000.q1-vs-backprop
    eq = checks["backprop"]
    v = backprop_verdict(eq)
    alt = _equivalence_alternatives(ref, checks["mlp_accuracy"])
    off = eq[~eq.ok.astype(bool)]
    out.append(Finding(
        "000.q1-vs-backprop", v,
        "the committed table: ISM (W*) and W_s train/test accuracy per set against the better "
        "of the two MLPs of the same depth (equivalent = at most 0.05 below); " + cap_text
        + "; the 5,000-epoch refits replace a (set, MLP) where all 10 folds are done",
        values={"ism_ok": int(eq[eq.method == "ism"].ok.sum()),
                "ws_ok": int(eq[eq.method == "ws"].ok.sum()),
                "cells_per_method": int((eq.method == "ism").sum()),
                **{f"test_gap_{r.method}_{r.dataset}": round(float(r.gap), 3)
                   for r in eq[eq.column == "test_acc"].itertuples()}},
        figures=("paper_table_differences",), section="pt-agree",
        note=(("more than 0.05 below the better MLP: "
               + _set_list(off, lambda r: f"{r.method} {r.dataset} {r.column} {r.ours:.3f} vs "
                                          f"{r.best_mlp:.3f} ({r.best_mlp_method})") + ". ")
              if len(off) else "")
        + _mlp_budget_lead(checks["mlp_accuracy"]) + budget[0].lower() + budget[1:]
        + ". random and adversarial have no class structure (test accuracy near chance for "
          "every method)",
        tried=tuple(alt)))
    return out


def _within_std(obj: pd.DataFrame) -> pd.Series:
    return (obj.ours_mean - obj.poster_mean).abs() <= obj.poster_std.fillna(-1) + 1e-12


def _sigma_within(sig: pd.DataFrame, factor: float) -> pd.Series:
    return (sig.ratio <= factor) & (sig.ratio >= 1 / factor)


def _sgd_alternatives(ref: PosterTable, mlp: pd.DataFrame) -> tuple:
    """Other readings for 000.table.sgd: the capped fits only, the poster's std alone, 0.05
    alone (counts of the MLP accuracy cells that agree)."""
    capped = mlp_best_available(ref, pd.DataFrame())
    d_c = (capped.ours - capped.poster_mean).abs()
    tol_c = np.maximum(MLP_ACC_TOLERANCE, capped.poster_std.fillna(0).to_numpy())
    d = (mlp.ours - mlp.poster_mean).abs()
    return (
        "the capped fits only, without the 5,000-epoch refits: "
        f"{int((d_c <= tol_c + 1e-12).sum())} of {len(capped)} accuracy cells agree",
        f"within the poster's std alone: {int((d <= mlp.poster_std.fillna(0) + 1e-12).sum())} of "
        f"{len(mlp)}; within 0.05 alone: {int((d <= MLP_ACC_TOLERANCE + 1e-12).sum())} of "
        f"{len(mlp)}",
        "H*, MSE, CE, C, T measured on the last hidden layer (DEFINITIONS.md) and on the "
        "network's output (mlp_readings)",
    )


def _equivalence_alternatives(ref: PosterTable, mlp: pd.DataFrame) -> list:
    """Other readings of "equivalent" for 000.q1-vs-backprop: each MLP alone, the capped
    MLPs only, and the poster's own rows (counts of kernel-net cells within 0.05)."""
    comp = compare_with_poster(ref.summary)
    acc = comp[comp.column.isin(["train_acc", "test_acc"])]

    def count(kernel_col, ref_of):
        n = {"ism": [0, 0], "ws": [0, 0]}
        for r in acc[acc.method.isin(["ism", "ws"])].itertuples():
            b = ref_of(r.dataset, r.column)
            k = getattr(r, kernel_col)
            if pd.notna(b) and pd.notna(k):
                n[r.method][0] += int(k >= b - EQUIVALENT_TOLERANCE - 1e-12)
                n[r.method][1] += 1
        return f"ISM {n['ism'][0]} of {n['ism'][1]}, W_s {n['ws'][0]} of {n['ws'][1]}"

    def ours(method, col="ours_mean"):
        t = acc[acc.method == method].set_index(["dataset", "column"])[col]
        return lambda ds, c: t.get((ds, c), math.nan)

    best_capped = acc[acc.method.isin(_BASELINE_METHODS)].groupby(
        ["dataset", "column"]).ours_mean.max()
    best_poster = acc[acc.method.isin(_BASELINE_METHODS)].groupby(
        ["dataset", "column"]).poster_mean.max()
    return [
        "against the CE MLP alone: " + count("ours_mean", ours("ce")),
        "against the MSE MLP alone: " + count("ours_mean", ours("mse")),
        "against the better capped MLP, without the 5,000-epoch refits: "
        + count("ours_mean", lambda ds, c: best_capped.get((ds, c), math.nan)),
        "the poster's own rows (its kernel nets against its better MLP): "
        + count("poster_mean", lambda ds, c: best_poster.get((ds, c), math.nan)),
    ]
