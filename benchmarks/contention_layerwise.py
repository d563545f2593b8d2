"""Does load slow kernelnet's ISM fit more than the authors' algorithm? A controlled test.

Both implementations fit the same fold, each in a fresh process pinned to CPU 0 (``taskset``),
alternately, under three conditions created on that CPU: nothing added, two co-runners that
only spin in the interpreter (they take time slices but touch little memory), and two
co-runners that stream over 64 MiB arrays (they also evict the caches). Reported: each fit's CPU
time (``time.process_time`` in the child, all threads) and wall time. If kernelnet's work were
more sensitive to sharing the core (thread oversubscription, cache contention), its CPU time
would grow more than the authors' from one condition to the next.

Needs the authors' checkout (see ``bench_layerwise.py``) and Linux ``taskset``.

Run: ``.venv/bin/python benchmarks/contention_layerwise.py --authors-code DIR --authors-pylib DIR
--dataset spiral --fold 1 --repeat 2``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_layerwise as bl  # noqa: E402

SPIN = "while True:\n    pass\n"
STREAM = (
    "import numpy as np\n"
    "a = np.ones(8 * 2**20); b = np.empty_like(a)\n"
    "while True:\n    np.copyto(b, a); np.copyto(a, b)\n"
)
KERNELNET_CHILD = (
    "import sys, json, time\n"
    "sys.path.insert(0, {here!r})\n"
    "import bench_layerwise as bl\n"
    "bl.fit_fold('wine', 0)\n"
    "r = bl.fit_fold({name!r}, {fold})\n"
    "print(json.dumps(r))\n"
)


def _hogs(kind, n, env):
    if kind == "none":
        return []
    code = SPIN if kind == "spin" else STREAM
    return [
        subprocess.Popen(["taskset", "-c", "0", sys.executable, "-c", code], env=env)
        for _ in range(n)
    ]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--authors-code", default=os.environ.get("KERNELNET_AUTHORS_ISM"))
    ap.add_argument("--authors-pylib", default=os.environ.get("KERNELNET_AUTHORS_PYLIB"))
    ap.add_argument("--dataset", default="spiral", choices=bl.DATASETS)
    ap.add_argument("--fold", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--hogs", type=int, default=2)
    args = ap.parse_args(argv)
    env = dict(os.environ, **bl.THREAD_ENV)
    k = args.fold - 1
    rows = []
    with tempfile.TemporaryDirectory(prefix="contention_") as wd:
        code, why = bl.prepare_authors_code(args.authors_code, wd)
        if code is None or bl.check_authors(code, args.authors_pylib):
            raise SystemExit(f"needs the authors' code: {why or 'autograd missing'}")
        for kind in ("none", "spin", "stream"):
            hogs = _hogs(kind, args.hogs, env)
            try:
                time.sleep(0.5)
                for rep in range(args.repeat):
                    src = KERNELNET_CHILD.format(here=str(HERE), name=args.dataset, fold=k)
                    out = subprocess.run(["taskset", "-c", "0", sys.executable, "-c", src],
                                         capture_output=True, text=True, env=env, check=True)
                    r = json.loads(out.stdout.strip().splitlines()[-1])
                    rows.append({"cond": kind, "impl": "kernelnet", "cpu": r["cpu"],
                                 "wall": r["time"], "load": os.getloadavg()[0]})
                    a = bl.authors_fold(args.dataset, k, code, args.authors_pylib, wd,
                                        launcher=("taskset", "-c", "0"))
                    rows.append({"cond": kind, "impl": "authors", "cpu": a["cpu"],
                                 "wall": a["time"], "load": os.getloadavg()[0]})
                    print(rows[-2], rows[-1], file=sys.stderr, flush=True)
            finally:
                for h in hogs:
                    h.kill()
                    h.wait()
    print(f"\n{args.dataset} fold {args.fold}, CPU 0 shared with {args.hogs} co-runners of each "
          "kind; medians of the fits' CPU and wall times (s):\n")
    print("| condition | kernelnet CPU | authors' CPU | CPU ratio | kernelnet wall | "
          "authors' Time(s) | wall ratio | load (1 min) |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for kind in ("none", "spin", "stream"):
        kn = [r for r in rows if r["cond"] == kind and r["impl"] == "kernelnet"]
        au = [r for r in rows if r["cond"] == kind and r["impl"] == "authors"]
        kc, ac = np.median([r["cpu"] for r in kn]), np.median([r["cpu"] for r in au])
        kw, aw = np.median([r["wall"] for r in kn]), np.median([r["wall"] for r in au])
        lo = min(r["load"] for r in kn + au)
        hi = max(r["load"] for r in kn + au)
        print(f"| {kind} | {kc:.3f} | {ac:.3f} | {ac / kc:.1f}x | {kw:.3f} | {aw:.3f} | "
              f"{aw / kw:.1f}x | {lo:.1f}-{hi:.1f} |")


if __name__ == "__main__":
    main()
