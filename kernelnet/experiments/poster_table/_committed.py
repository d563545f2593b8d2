"""The committed full table: written with its provenance, read back checked, rerun."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from ... import _provenance
from ..._validation import check_int
from . import FULL_MAX_EPOCHS, ROUNDING_SENSITIVE
from ._compare import compare_tables, compare_with_poster
from ._store import _jsonable
from ._table import PosterTable, poster_table, summarize

#: The library sources the table's numbers depend on (provenance.json records their digests).
_SOURCES = ("layerwise", "baselines", "experiments/poster_table", "hsic", "kernels", "datasets",
            "parallel")


def results_dir() -> Path:
    """``$KERNELNET_RESULTS_DIR/poster_table`` or ``<repository>/results/poster_table``."""
    env = os.environ.get("KERNELNET_RESULTS_DIR")
    if env:
        return Path(env) / "poster_table"
    return Path(__file__).resolve().parents[3] / "results" / "poster_table"


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
    git = _provenance.git_state()
    prov = {
        "what": what,
        "how": how,
        "parameters": {k: v for k, v in table.params.items()
                       if k not in ("wall_seconds_kernel", "wall_seconds_baselines",
                                    "units_computed", "units_total", "n_jobs", "backend")},
        "seeds": "fold seed = kernelnet.parallel.unit_seed(random_state, 100 * "
                 "kernelnet.datasets.names().index(dataset) + fold); per-fold value in folds.csv",
        "this_call": {
            "started": started, "finished": _provenance.now(), "n_jobs": n_jobs,
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
        "git": {k: git[k] for k in ("commit", "kernelnet_dirty")},
        "sources_sha256": _provenance.source_digests(_SOURCES),
        "machine": {"start": machine_start,
                    "end_load_average": _provenance.machine().get("load_average")},
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
    started, machine_start = _provenance.now(), _provenance.machine()
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
    started, machine_start = _provenance.now(), _provenance.machine()
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
        This machine (:func:`kernelnet._provenance.machine`) and the sha256 of the sources used
        now (:func:`kernelnet._provenance.source_digests` of :data:`_SOURCES`); default: measured
        here.

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
    machine = _provenance.machine() if machine is None else machine
    sources = _provenance.source_digests(_SOURCES) if sources is None else sources
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


def _stale_sources(prov: dict) -> list:
    """Source files whose digest differs from the one the committed table recorded."""
    recorded = prov.get("sources_sha256", {}) or {}
    now = _provenance.source_digests(_SOURCES)
    return [k for k, v in recorded.items() if now.get(k) != v]
