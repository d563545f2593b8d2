"""Can a partial, warm-started eigensolver replace the dense one inside the ISM iteration?

Fits ``LayerwiseKernelNet(method="ism")`` on the authors' fold 1 of each data set, keeps every
matrix B = P^T (Psi - Diag(Psi 1)) P the iteration hands to its eigensolver (``_top_eigh``),
and for consecutive iterations of the same layer solves B_k for its top q eigenvectors:

* ``dsyevr`` (``scipy.linalg.eigh(subset_by_index=...)``), what the library does;
* LOBPCG (``scipy.sparse.linalg.lobpcg``, largest), warm-started from the previous iterate's
  eigenvectors, to tolerance 1e-6 and 1e-10;
* ARPACK (``scipy.sparse.linalg.eigsh``, which="LA"), started from their sum.

Reported: CPU time (one BLAS thread), iterations, the distance of the subspace found to the
dense one (1 - cos^2 of the largest principal angle) and the relative gap between the q-th and
(q+1)-th eigenvalues (over the largest |eigenvalue|), which sets how fast the iterative methods
can converge.

Run: ``.venv/bin/python benchmarks/bench_ism_eigensolvers.py --datasets face car spiral``
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import time
import warnings

import numpy as np
import scipy.linalg as sl
from scipy.sparse.linalg import ArpackNoConvergence, eigsh, lobpcg
from threadpoolctl import threadpool_limits


def _modules():
    import kernelnet.layerwise as lw

    mods = [lw]
    if hasattr(lw, "__path__"):
        mods += [importlib.import_module(f"kernelnet.layerwise.{m.name}")
                 for m in pkgutil.iter_modules(lw.__path__)]
    return mods


def capture(name, fold=0):
    """[(layer, B, q)] of one fit, in call order."""
    from kernelnet import datasets
    from kernelnet.layerwise import LayerwiseKernelNet

    got, undo = [], []
    layer = [0]
    for mod in _modules():
        fn = mod.__dict__.get("_top_eigh")
        if callable(fn):
            def wrapped(B, q, _fn=fn):
                got.append((layer[0], np.array(B), int(q)))
                return _fn(B, q)

            setattr(mod, "_top_eigh", wrapped)
            undo.append((mod, "_top_eigh", fn))
        red = mod.__dict__.get("_reduce")
        if callable(red):
            def reduce_(*a, _fn=red, **k):
                layer[0] += 1
                return _fn(*a, **k)

            setattr(mod, "_reduce", reduce_)
            undo.append((mod, "_reduce", red))
    try:
        X, y = datasets.load(name)
        tr, _ = datasets.folds(name)[fold]
        Xtr, _ = datasets.authors_preprocessing(X[tr], X[tr])
        LayerwiseKernelNet(method="ism", random_state=fold).fit(Xtr, y[tr])
    finally:
        for mod, attr, fn in undo:
            setattr(mod, attr, fn)
    return got


def _dist(U, V):
    s = np.linalg.svd(U.T @ V, compute_uv=False)
    return float(1.0 - s.min() ** 2)


def _cpu(f):
    c = time.process_time()
    out = f()
    return out, time.process_time() - c


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", nargs="+", default=["face", "car", "spiral"])
    ap.add_argument("--pairs", type=int, default=2, help="consecutive pairs per data set")
    args = ap.parse_args(argv)
    warnings.filterwarnings("ignore")
    print("| data set | layer | r | q | rel. gap q/q+1 | dsyevr (ms) | LOBPCG 1e-6: its, ms, "
          "distance | LOBPCG 1e-10: its, ms, distance | ARPACK: ms, distance |")
    print("|---|---:|---:|---:|---:|---:|---|---|---|")
    for name in args.datasets:
        cap = capture(name)
        idx = [i for i in range(len(cap) - 1)
               if cap[i][0] == cap[i + 1][0] and cap[i + 1][2] < cap[i + 1][1].shape[0]]
        # prefer pairs from different layers
        first, seen = [], set()
        for i in idx:
            if cap[i][0] not in seen:
                first.append(i)
                seen.add(cap[i][0])
        order = first + [i for i in idx if i not in first]
        chosen = [(cap[i], cap[i + 1]) for i in order[: args.pairs]]
        with threadpool_limits(limits=1, user_api="blas"):
            for (_, Bp, q), (ell, B, _) in chosen:
                Bp, B = 0.5 * (Bp + Bp.T), 0.5 * (B + B.T)
                r = B.shape[0]
                (lam, V), t_evr = _cpu(lambda: sl.eigh(B, subset_by_index=[r - q, r - 1],
                                                       driver="evr", check_finite=False))
                _, Vp = sl.eigh(Bp, subset_by_index=[r - q, r - 1], driver="evr",
                                check_finite=False)
                w_all = np.linalg.eigvalsh(B)[::-1]
                gap = (w_all[q - 1] - w_all[q]) / np.abs(w_all).max()
                cells = []
                for tol, maxit in ((1e-6, 200), (1e-10, 2000)):
                    (w, X, hist), t = _cpu(lambda: lobpcg(B, Vp.copy(), largest=True, tol=tol,
                                                          maxiter=maxit,
                                                          retResidualNormsHistory=True))
                    cells.append(f"{len(hist)}, {t * 1e3:.0f}, {_dist(V, X):.1e}")
                try:
                    (w, X), t = _cpu(lambda: eigsh(B, k=q, which="LA", v0=Vp.sum(axis=1),
                                                   tol=1e-10, maxiter=20000))
                    cells.append(f"{t * 1e3:.0f}, {_dist(V, X):.1e}")
                except ArpackNoConvergence as exc:
                    cells.append(f"no convergence ({exc.eigenvalues.size}/{q} converged)")
                print(f"| {name} | {ell} | {r} | {q} | {gap:.1e} | {t_evr * 1e3:.1f} | "
                      + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
