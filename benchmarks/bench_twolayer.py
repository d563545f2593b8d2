"""Benchmark: the gradient D r and the ReLU kernel G of kernelnet.twolayer (seed 003).

Sizes of the issue: m = 5,000 samples, n = 1,000 hidden units, d = 100 (``--quick``: m = 1,000,
n = 200). Routes, each timed in a fresh process (``_util.run_child``: memory kept by one route
cannot hide another's, and numba's spinning threads cannot slow a BLAS route):

* ``Dr-numba``: ``d_matvec(method="numba")``, the fused kernel (one hidden unit per thread, no
  (m, n) temporary; O(n d) extra memory);
* ``Dr-numpy``: ``d_matvec(method="numpy")``, the reference: activation pattern S = (X W^T > 0)
  (m x n) and two BLAS products;
* ``Dr-dense``: form D (n d x m) and multiply. At the issue's size D has 5e8 entries (3.7 GiB), so
  this route runs only at the quick size; its memory at full size is reported as arithmetic;
* ``G-kernels``: ``relu_gram`` (the closed form 0.5 k_0 <x, y>, k_0 from the numba
  ``kernels.relu_kernel``);
* ``G-numpy``: the same formula in plain numpy (``(0.5 - arccos(C)/(2 pi)) * C``);
* ``Gn-numpy``: ``empirical_gram``, G_n = (S^T S) o (X X^T) / n (two GEMMs).

Time: best of ``--repeat`` warm calls. Memory: peak extra resident memory of one call
(``VmHWM`` reset through ``/proc/self/clear_refs``; sees numba's and BLAS's allocations). Each
route's result is compared with the numpy reference (max relative difference). Threads: the
default (2 BLAS threads, 2 numba threads) for every route, i.e. each route may use the whole
machine. Read the ratios of one run, not absolute times (PERFORMANCE.md).

Run::

    .venv/bin/python benchmarks/bench_twolayer.py            # m = 5,000, n = 1,000, d = 100
    .venv/bin/python benchmarks/bench_twolayer.py --quick    # m = 1,000, n = 200, d = 100
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _util import best_time, load_average, machine_info, peak_extra_mib, run_child  # noqa: E402

ROUTES = ("Dr-numba", "Dr-numpy", "Dr-dense", "G-kernels", "G-numpy", "Gn-numpy")


def _problem(m, n, d, seed=0):
    from kernelnet import twolayer as tl

    X = tl.sample_sphere(m, d, random_state=seed)
    W, v = tl.init_weights(n, d, random_state=seed + 1)
    r = np.random.default_rng(seed + 2).standard_normal(m) / m
    return X, W, v, r


def _g_numpy(X):
    C = np.clip(X @ X.T, -1.0, 1.0)
    np.fill_diagonal(C, 1.0)
    return (0.5 - np.arccos(C) / (2.0 * math.pi)) * C


def child(route, m, n, d, repeat):
    from kernelnet import twolayer as tl

    X, W, v, r = _problem(m, n, d)
    if route == "Dr-numba":
        fn = lambda: tl.d_matvec(W, v, X, r, method="numba")  # noqa: E731
    elif route == "Dr-numpy":
        fn = lambda: tl.d_matvec(W, v, X, r, method="numpy")  # noqa: E731
    elif route == "Dr-dense":
        fn = lambda: tl.extended_feature_matrix(W, v, X) @ r  # noqa: E731
    elif route == "G-kernels":
        fn = lambda: tl.relu_gram(X)  # noqa: E731
    elif route == "G-numpy":
        fn = lambda: _g_numpy(X)  # noqa: E731
    elif route == "Gn-numpy":
        fn = lambda: tl.empirical_gram(W, X)  # noqa: E731
    else:  # pragma: no cover
        raise ValueError(f"route must be one of {ROUTES}, got {route!r}")
    fn()  # warm: numba compile / cache load, first touch of the buffers
    out, peak = peak_extra_mib(fn)
    t, out = best_time(fn, repeat=repeat, warmup=0)
    if route.startswith("Dr"):
        ref = tl.d_matvec(W, v, X, r, method="numpy").ravel()
    elif route.startswith("G-"):
        ref = _g_numpy(X)
    else:
        ref = None
    diff = (float(np.max(np.abs(np.ravel(out) - np.ravel(ref))) / np.max(np.abs(ref)))
            if ref is not None else float("nan"))
    return {"route": route, "time": t, "peak_mib": peak, "rel_diff": diff}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--child", nargs=4, metavar=("ROUTE", "M", "N", "D"))
    args = ap.parse_args(argv)
    if args.child:
        route, m, n, d = args.child
        print(json.dumps(child(route, int(m), int(n), int(d), args.repeat)))
        return
    m, n, d = (1_000, 200, 100) if args.quick else (5_000, 1_000, 100)
    info = machine_info()
    print(f"# two-layer benchmark: m = {m:,}, n = {n:,}, d = {d}; load average {load_average()}")
    print(f"# {info.get('cpu')}, {info.get('cpus')} CPUs, numpy {info['numpy']}, "
          f"numba {info['numba']}, BLAS {info.get('blas')}")
    dense_entries = n * d * m
    results = []
    for route in ROUTES:
        if route == "Dr-dense" and dense_entries > 50_000_000:
            results.append({"route": route, "time": float("nan"),
                            "peak_mib": dense_entries * 8 / 2**20, "rel_diff": float("nan"),
                            "note": "not run: D alone needs this much"})
            continue
        res = run_child([os.path.abspath(__file__), "--child", route, str(m), str(n), str(d),
                         "--repeat", str(args.repeat)])
        results.append(res)
    ref = {"Dr": next(r for r in results if r["route"] == "Dr-numpy")["time"],
           "G-": next(r for r in results if r["route"] == "G-numpy")["time"]}
    print()
    print("| route | time (s) | time / numpy route | peak extra memory (MiB) | max rel. diff vs numpy |")
    print("|---|---:|---:|---:|---:|")
    for r in results:
        key = r["route"][:2]
        ratio = (r["time"] / ref[key]) if key in ref and math.isfinite(r["time"]) else float("nan")
        t = "-" if not math.isfinite(r["time"]) else f"{r['time']:.3g}"
        rr = "-" if not math.isfinite(ratio) else f"{ratio:.2f}x"
        dd = "-" if not math.isfinite(r["rel_diff"]) else f"{r['rel_diff']:.1e}"
        note = f" ({r['note']})" if "note" in r else ""
        print(f"| {r['route']} | {t} | {rr} | {r['peak_mib']:.1f}{note} | {dd} |")
    print(f"\n# load average after: {load_average()}")


if __name__ == "__main__":
    main()
