"""Where an ISM fit spends its time, per layer: CPU time of each part of ``_fit_ism``.

Fits ``LayerwiseKernelNet(method="ism", random_state=fold)`` on the authors' folds (as
``bench_layerwise.py``) with timing wrappers around the library's internal steps, and prints,
per data set and layer, the CPU time (``time.process_time``, one BLAS thread) of:

* ``sigma``: the bandwidth search (``_opt_sigma``);
* ``reduce``: principal axes of the layer input (``_reduce``) and the width;
* ``start``: the ISM start (``_taylor_start``, class blocks);
* ``Q``: forming B = P^T (Psi - Diag(Psi 1)) P (``_q_fast``) apart from its kernel;
* ``kernel``: the Gaussian kernel (``_gauss_from``: inside Q, and the final K of the layer);
* ``eig``: the eigensolver (``_top_eigh``);
* ``ism other``: the rest of the ISM loop (subspace tests, bookkeeping);
* ``rff``: the random features (draw and ``_rff``);
* ``metrics``: the layer's HSIC values (``_layer_metrics``);
* ``silhouette``: ``_silhouette``;
* ``skpca``: the per-layer supervised kernel PCA and training accuracy;
* ``other``: the rest of the layer.

Run: ``.venv/bin/python benchmarks/profile_ism.py --datasets face car spiral --folds 3``
(``--cprofile`` adds cProfile's top functions by own time).
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import io
import pkgutil
import pstats
import sys
import time
from collections import defaultdict

import numpy as np

PARTS = ("sigma", "reduce", "start", "Q", "kernel", "eig", "ism other", "rff", "metrics",
         "silhouette", "skpca", "other")
# wrapped function -> part; nested calls are charged to the innermost wrapper, except that the
# kernel (_gauss_from) is reported inside Q as well
WRAP = {
    "_opt_sigma": "sigma",
    "_reduce": "reduce",
    "_singular_values": "reduce",
    "_taylor_start": "start",
    "_class_blocks": "start",
    "_q_fast": "Q",
    "_q_numpy": "Q",
    "_gauss_from": "kernel",
    "_top_eigh": "eig",
    "_ism_core": "ism",
    "_rff": "rff",
    "_layer_metrics": "metrics",
    "_silhouette": "silhouette",
    "skpca": "skpca",  # kernelnet.layerwise._ism (a package); LayerwiseKernelNet._skpca before
}


class Recorder:
    def __init__(self):
        self.layers = []  # one dict part -> seconds per layer
        self.starts = []  # process_time at the start of each layer (its bandwidth search)
        self.stack = []

    def new_layer(self):
        self.layers.append(defaultdict(float))
        self.starts.append(time.process_time())

    def wrap(self, fn, part):
        rec = self

        def wrapper(*args, **kwargs):
            if part == "sigma":
                rec.new_layer()
            t0 = time.process_time()
            rec.stack.append(0.0)
            try:
                return fn(*args, **kwargs)
            finally:
                dt = time.process_time() - t0
                inner = rec.stack.pop()
                if rec.layers:
                    lay = rec.layers[-1]
                    lay[part] += dt - inner
                    lay["_total_" + part] += dt
                if rec.stack:
                    rec.stack[-1] += dt

        wrapper.__wrapped__ = fn
        return wrapper


def _layerwise_modules():
    import kernelnet.layerwise as lw

    mods = [lw]
    if hasattr(lw, "__path__"):  # a package
        for m in pkgutil.iter_modules(lw.__path__):
            mods.append(importlib.import_module(f"kernelnet.layerwise.{m.name}"))
    return mods


def install(rec):
    undo = []
    for mod in _layerwise_modules():
        for name, part in WRAP.items():
            fn = mod.__dict__.get(name)
            if callable(fn) and not hasattr(fn, "__wrapped__"):
                setattr(mod, name, rec.wrap(fn, part))
                undo.append((mod, name, fn))
        cls = mod.__dict__.get("LayerwiseKernelNet")
        if cls is not None and "_skpca" in cls.__dict__:
            orig = cls.__dict__["_skpca"]
            setattr(cls, "_skpca", staticmethod(rec.wrap(orig.__func__, "skpca")))
            undo.append((cls, "_skpca", orig))
    return undo


def uninstall(undo):
    for obj, name, fn in reversed(undo):
        setattr(obj, name, fn)


def profile_fold(name, fold, cprof=None):
    from sklearn.preprocessing import scale

    from kernelnet import datasets
    from kernelnet.layerwise import LayerwiseKernelNet

    X, y = datasets.load(name)
    tr, _ = datasets.folds(name)[fold]
    Xtr = scale(X[tr])
    rec = Recorder()
    undo = install(rec)
    try:
        net = LayerwiseKernelNet(method="ism", random_state=fold)
        c0 = time.process_time()
        if cprof is not None:
            cprof.enable()
        net.fit(Xtr, y[tr])
        if cprof is not None:
            cprof.disable()
        c1 = time.process_time()
        total = c1 - c0
    finally:
        uninstall(undo)
    rows = []
    bounds = rec.starts + [c1]
    for ell, (lay, h) in enumerate(zip(rec.layers, net.history_), start=1):
        row = {p: lay.get(p, 0.0) for p in PARTS}
        row["ism other"] = lay.get("ism", 0.0)
        # the layer's CPU time, from the start of its bandwidth search to the next layer's (the
        # last layer: to the end of fit, with the final supervised kernel PCA)
        known = sum(lay.get(p, 0.0) for p in ("sigma", "reduce", "start", "Q", "kernel", "eig",
                                               "ism", "rff", "metrics", "silhouette", "skpca"))
        row["total"] = bounds[ell] - bounds[ell - 1]
        row["other"] = max(row["total"] - known, 0.0)
        row.update(layer=ell, iterations=h["ism_iterations"], width=h["width"],
                   n=h["n_samples"], cycled=h["cycled"], converged=h["converged"])
        rows.append(row)
    return rows, total, net


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", nargs="+", default=["face", "car", "spiral"])
    ap.add_argument("--folds", type=int, default=3)
    ap.add_argument("--cprofile", action="store_true")
    args = ap.parse_args(argv)

    profile_fold("wine", 0)  # warm-up (imports, numba caches)
    cols = ("sigma", "reduce", "start", "Q", "kernel", "eig", "ism other", "rff", "metrics",
            "silhouette", "skpca", "other")
    for name in args.datasets:
        cprof = cProfile.Profile() if args.cprofile else None
        per_layer = defaultdict(lambda: defaultdict(list))
        totals = []
        for k in range(args.folds):
            rows, total, _ = profile_fold(name, k, cprof)
            totals.append(total)
            for r in rows:
                for key, v in r.items():
                    per_layer[r["layer"]][key].append(v)
        print(f"\n{name}: {args.folds} folds, fit CPU time per fold: median "
              f"{np.median(totals):.3f} s (min {min(totals):.3f}, max {max(totals):.3f})")
        print("Per layer, mean over the folds that reach it (CPU seconds; the parts add up "
              "to the layer):\n")
        print("| layer | folds | n | width q | ISM its | " + " | ".join(cols) + " | layer |")
        print("|---:|---:|---:|---:|---:|" + "---:|" * (len(cols) + 1))
        sums = defaultdict(float)
        for ell in sorted(per_layer):
            d = per_layer[ell]
            nf = len(d["total"])
            vals = [float(np.mean(d[c])) for c in cols]
            for c in cols + ("total",):
                sums[c] += float(np.sum(d[c])) / args.folds
            print(f"| {ell} | {nf} | {int(np.mean(d['n']))} | {np.mean(d['width']):.1f} | "
                  f"{np.mean(d['iterations']):.1f} | "
                  + " | ".join(f"{v:.3f}" for v in vals) + f" | {np.mean(d['total']):.3f} |")
        tot = sums["total"]
        print("| all (per fold) | | | | | " + " | ".join(
            f"{sums[c]:.3f} ({100 * sums[c] / tot:.0f}%)" for c in cols) + f" | {tot:.3f} |")
        if cprof is not None:
            s = io.StringIO()
            pstats.Stats(cprof, stream=s).sort_stats("tottime").print_stats(15)
            print("\n```\n" + s.getvalue()[-4000:] + "```")


if __name__ == "__main__":
    sys.exit(main())
