"""ISM table folds refitted under rounding-level changes and under other seeds."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ... import datasets as _datasets
from ..._threads import limit_threads
from ..._validation import check_int
from ...parallel import map_units, unit_seed
from . import SENSITIVITY_EPS
from ._units import _check_names, _split, _stable_index, _streams

_SENS_KEYS = ("L", "train_acc", "test_acc", "stop_reason")


def _ism_fold_inputs(dataset: str, fold: int, *, random_state: int = 0):
    """``(Xtr, ytr, Xte, yte, model_seed)`` of the table's ISM unit (authors' folds), as
    :func:`_run_fold` fits it: each fold z-scored on its own, the estimator's seed from the
    fold's stable index."""
    seed = unit_seed(int(random_state), _stable_index(dataset, fold))
    X, y = _datasets.load(dataset)
    tr, te = _split(dataset, "authors", 10, int(fold), int(random_state))
    Xtr, Xte = _datasets.authors_preprocessing(X[tr], X[te])
    return Xtr, y[tr], Xte, y[te], _streams(seed)["model"]


def _sensitivity_unit(unit: dict, _position_seed=None) -> list:
    from ...layerwise import LayerwiseKernelNet, _fit_blas_threads

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
        with limit_threads(threads):
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
