"""Benchmark: the kernel part of the poster table, serially and with 2 local workers (issue 11).

The kernel part is ISM and W_s on 10 folds x 8 data sets: 160 independent units run through
``kernelnet.parallel.map_units``. Each configuration runs in a fresh process
(``benchmarks/_util.run_child``), writes its folds to a temporary folder (so that the per-unit
wall times are recorded) and reports:

* the wall time of ``poster_table(methods=["ism", "ws"], n_jobs=k)``;
* the sum of the per-unit wall times (the work), and what a perfect 2-worker schedule of those
  units could reach: ``max(work / 2, longest unit)``, with the units in the order
  ``map_units`` hands them out (largest data sets first) scheduled greedily;
* a digest of every number except ``time``, to show that both runs give identical tables.

Speed-up = serial wall / parallel wall, measured in the same run (PERFORMANCE.md: the machine is
shared, read ratios, not absolute times). Run::

    .venv/bin/python benchmarks/bench_poster_table.py            # 10 folds x 8 data sets
    .venv/bin/python benchmarks/bench_poster_table.py --quick    # 2 folds x 3 data sets
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _util import load_average, machine_info, run_child  # noqa: E402


def child(n_jobs: int, quick: bool) -> dict:
    """Run the kernel part once in this process; return the measurements as a dict."""
    import pandas as pd

    from kernelnet.experiments import poster_table as pt

    kw = dict(methods=["ism", "ws"], n_jobs=n_jobs, progress=False)
    if quick:
        kw.update(datasets=list(pt.QUICK_DATASETS), max_folds=2)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        table = pt.poster_table(cache_dir=tmp, **kw)
        wall = time.perf_counter() - t0
        units = []
        for p in sorted(Path(tmp).glob("*.json")):
            d = json.loads(p.read_text())
            units.append((d["row"]["dataset"], d["row"]["method"], d["row"]["fold"],
                          d["provenance"]["wall_seconds"]))
    f = table.folds.drop(columns=["time"])
    digest = hashlib.sha256(pd.util.hash_pandas_object(f.astype(str), index=False)
                            .values.tobytes()).hexdigest()[:16]
    per_method = table.folds.groupby("method")["time"].sum().to_dict()
    return {"n_jobs": n_jobs, "wall": wall, "units": units, "digest": digest,
            "fit_seconds": per_method, "load_before": load_before,
            "load_after": os.getloadavg()[0]}


def greedy_two(units_in_order) -> float:
    """Makespan of handing units, in order, to whichever of 2 workers frees first."""
    w = [0.0, 0.0]
    for t in units_in_order:
        i = 0 if w[0] <= w[1] else 1
        w[i] += t
    return max(w)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child is not None:
        print(json.dumps(child(args.child, args.quick)))
        return 0
    info = machine_info()
    print(f"machine: {info.get('cpu')}, {info['cpus']} CPUs, numpy {info['numpy']}, "
          f"numba {info['numba']}, scikit-learn {info['sklearn']}")
    print(f"load average before: {load_average()}")
    extra = ["--quick"] if args.quick else []
    runs = {}
    for k in (1, 2):
        runs[k] = run_child([__file__, "--child", str(k), *extra], timeout=3600)
        print(f"n_jobs={k}: wall {runs[k]['wall']:.1f} s (load {runs[k]['load_before']:.1f} -> "
              f"{runs[k]['load_after']:.1f})", flush=True)
    from kernelnet import datasets

    serial = runs[1]
    work = sum(u[3] for u in serial["units"])
    longest = max(u[3] for u in serial["units"])
    order = sorted(serial["units"], key=lambda u: -datasets.describe(u[0]).n)
    sched = greedy_two([u[3] for u in order])
    speedup = serial["wall"] / runs[2]["wall"]
    print()
    print("| run | wall (s) | speed-up | work: sum of unit walls (s) | ISM fit (s) | W_s fit (s) |")
    print("|---|---:|---:|---:|---:|---:|")
    for k in (1, 2):
        r = runs[k]
        w = sum(u[3] for u in r["units"])
        print(f"| n_jobs={k} | {r['wall']:.1f} | {serial['wall'] / r['wall']:.2f}x | {w:.1f} | "
              f"{r['fit_seconds'].get('ism', 0):.1f} | {r['fit_seconds'].get('ws', 0):.1f} |")
    print()
    print(f"identical tables (digest of every column but time): "
          f"{serial['digest'] == runs[2]['digest']} ({serial['digest']}, {runs[2]['digest']})")
    print(f"serial overhead outside the units: {serial['wall'] - work:.1f} s "
          "(imports, data loading, numba cache loading)")
    print(f"longest unit: {longest:.1f} s; ideal 2-worker bound max(work/2, longest) = "
          f"{max(work / 2, longest):.1f} s; greedy schedule in map_units' order = {sched:.1f} s "
          f"(best possible speed-up on these units: "
          f"{serial['wall'] / (sched + serial['wall'] - work):.2f}x)")
    print(f"measured speed-up: {speedup:.2f}x; parallel efficiency {speedup / 2:.0%}")
    print(f"load average after: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
