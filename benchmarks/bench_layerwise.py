"""Benchmark: ISM layer-wise network fit per fold, side by side with the authors' algorithm.

For each data set, on the authors' own 10 folds (``kernelnet.datasets.folds``), preprocessed as
the authors did (train and test folds z-scored separately), fit
``LayerwiseKernelNet(method="ism", random_state=fold)`` (BLAS pinned to one thread: the fit does
it itself) and record the wall time and the CPU time (``time.process_time``: every thread of
this process) of ``fit``, the number of layers and the test accuracy.

**The authors' algorithm, in the same run.** When a checkout of the authors' repository
``endsley/Neural_Indicator_Kernel_ISM`` (commit 708cb2d, 2021; not a dependency of this project
and never copied into it) is given with ``--authors-code`` (or the environment variable
``KERNELNET_AUTHORS_ISM``), each fold also runs their ``kernelNet`` (``NIK.py``) in a fresh
child process (``_authors_ism_child.py``), with one BLAS / OpenMP thread like ours, on the same
fold, their debug recording switched off (``db['record_internal'] = False``). Its time is their
own ``Time(s)`` (the per-layer ``ΔTime`` their code measures around the algorithm alone), its CPU
time the child's ``time.process_time`` around ``knet.train()`` (checked against
``resource.getrusage(RUSAGE_CHILDREN)``, which also counts the child's imports). The two
implementations alternate fold by fold (the order flips every fold), so load drifts hit both.
The table reports, per data set, the median per-fold times and the speed-ups as ratios of
medians: in wall time and in CPU time. On a shared machine the CPU-time ratio is the one to
read: wall times stretch with the load (another process holds the core), CPU times much less.

To get the authors' code: fetch the public repository ``endsley/Neural_Indicator_Kernel_ISM``
(a clone, or a bare mirror: then the benchmark extracts ``NIK.py`` and ``src/`` of its HEAD
with ``git archive`` into a temporary folder; the data files are not needed). Their code imports
``autograd``: install it anywhere (``pip install --target /tmp/authors_pylib autograd``) and pass
``--authors-pylib`` (or ``KERNELNET_AUTHORS_PYLIB``). ``torch``, imported but not called on the
ISM path, is replaced by a placeholder when missing (see ``_authors_ism_child.py``). Without the
checkout the benchmark says so and times kernelnet alone.

The plain-numpy route of the same fit (``--numpy-folds``, default 0: dense m x m Q with an
explicit Diag, scikit-learn's ``rbf_kernel``, ``numpy.linalg.eigh``) can still be timed on the
first folds for comparison.

Run::

    .venv/bin/python benchmarks/bench_layerwise.py --authors-code /tmp/nik_ism \\
        --authors-pylib /tmp/authors_pylib                       # 6 data sets x 10 folds
    .venv/bin/python benchmarks/bench_layerwise.py --quick     # 3 data sets x 2 folds
    .venv/bin/python benchmarks/bench_layerwise.py --datasets face car --folds 5 --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _util import load_average, machine_info  # noqa: E402

DATASETS = ("wine", "cancer", "divorce", "spiral", "car", "face")
# The authors' per-fold times measured once on a quiet machine of this kind (PERFORMANCE.md), for
# runs without their code.
REFERENCE_S = {"wine": 1.4, "face": 1.9, "divorce": 2.8, "spiral": 3.3, "car": 5.3, "cancer": 11.0}
THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
}


def fit_fold(name, fold, route="fast"):
    """One kernelnet ISM fit on the authors' fold ``fold`` (0-based): wall, CPU, layers, accuracy."""
    from kernelnet import datasets
    from kernelnet.layerwise import LayerwiseKernelNet

    X, y = datasets.load(name)
    tr, te = datasets.folds(name)[fold]
    Xtr, Xte = datasets.authors_preprocessing(X[tr], X[te])
    net = LayerwiseKernelNet(method="ism", random_state=fold)
    net._route = route
    c0, t0 = time.process_time(), time.perf_counter()
    net.fit(Xtr, y[tr])
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {
        "impl": "kernelnet" if route == "fast" else "numpy",
        "dataset": name,
        "fold": fold + 1,
        "time": wall,
        "cpu": cpu,
        "layers": net.n_layers_,
        "train_acc": float(net.score(Xtr, y[tr])),
        "test_acc": float(net.score(Xte, y[te])),
        "iterations": [h["ism_iterations"] for h in net.history_],
        "load1": os.getloadavg()[0],
    }


# ---------------------------------------------------------------------------------------------
# the authors' code
# ---------------------------------------------------------------------------------------------


def prepare_authors_code(path, workdir):
    """A folder with the authors' ``NIK.py`` and ``src/``, or None (with the reason)."""
    if path is None:
        return None, (
            "the authors' code is not given (--authors-code or KERNELNET_AUTHORS_ISM): fetch "
            "the public repository endsley/Neural_Indicator_Kernel_ISM (commit 708cb2d) and "
            "pass its folder; timing kernelnet alone, against the fixed reference times of "
            "PERFORMANCE.md"
        )
    p = Path(path)
    if (p / "NIK.py").is_file() and (p / "src").is_dir():
        return p, None
    # a bare repository or a mirror's git directory: extract NIK.py and src/ of HEAD
    try:
        arch = subprocess.run(
            ["git", "--git-dir", str(p), "archive", "HEAD", "NIK.py", "src"],
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        return None, f"{p} is neither a checkout (NIK.py, src/) nor a git directory: {exc}"
    dest = Path(workdir) / "nik_ism"
    dest.mkdir()
    subprocess.run(["tar", "-x", "-C", str(dest)], input=arch, check=True)
    return dest, None


def _authors_env(pylib):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(THREAD_ENV)
    env["MPLBACKEND"] = "Agg"
    return env


def check_authors(code, pylib):
    """None if the authors' code imports here, else the reason."""
    argv = [sys.executable, "-c", "import autograd"]
    env = _authors_env(pylib)
    if pylib:
        env["PYTHONPATH"] = str(pylib)
    proc = subprocess.run(argv, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        return (
            "the authors' code needs autograd, not importable here: pip install --target "
            "/tmp/authors_pylib autograd, then pass --authors-pylib /tmp/authors_pylib"
        )
    return None


def authors_fold(name, fold, code, pylib, workdir, launcher=()):
    """One fold of the authors' algorithm in a fresh child process (``launcher``: a command
    prefix, e.g. ``("taskset", "-c", "0")``)."""
    from kernelnet import datasets

    X, y = datasets.load(name)
    tr, te = datasets.folds(name)[fold]
    ffile = Path(workdir) / f"{name}_{fold + 1}.npz"
    np.savez(ffile, Xtr=X[tr], ytr=np.asarray(y)[tr], Xte=X[te], yte=np.asarray(y)[te])
    argv = [
        *launcher,
        sys.executable,
        str(HERE / "_authors_ism_child.py"),
        "--code",
        str(code),
        "--fold-file",
        str(ffile),
        "--name",
        f"{name}_{fold + 1}",
        "--seed",
        str(fold),
    ]
    if pylib:
        argv += ["--pylib", str(pylib)]
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=_authors_env(pylib))
    total_wall = time.perf_counter() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"authors' code failed on {name} fold {fold + 1}:\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return {
        "impl": "authors",
        "dataset": name,
        "fold": fold + 1,
        "time": out["time_s"],
        "cpu": out["cpu_s"],
        "train_wall": out["wall_s"],
        "child_cpu_total": (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime),
        "child_wall_total": total_wall,
        "layers": out["layers"],
        "widths": out["widths"],
        "train_acc": out["train_acc"],
        "test_acc": out["test_acc"],
        "placeholders": out["placeholders"],
        "load1": os.getloadavg()[0],
    }


# ---------------------------------------------------------------------------------------------


def summarise(records, names, with_authors):
    rows = []
    for name in names:
        kn = [r for r in records if r["dataset"] == name and r["impl"] == "kernelnet"]
        au = [r for r in records if r["dataset"] == name and r["impl"] == "authors"]
        npr = [r for r in records if r["dataset"] == name and r["impl"] == "numpy"]
        row = {
            "dataset": name,
            "folds": len(kn),
            "kn_wall": float(np.median([r["time"] for r in kn])),
            "kn_cpu": float(np.median([r["cpu"] for r in kn])),
            "kn_layers": float(np.mean([r["layers"] for r in kn])),
            "kn_test": float(np.mean([r["test_acc"] for r in kn])),
            "load": (min(r["load1"] for r in kn), max(r["load1"] for r in kn)),
        }
        if with_authors and au:
            row.update(
                au_wall=float(np.median([r["time"] for r in au])),
                au_cpu=float(np.median([r["cpu"] for r in au])),
                au_layers=float(np.mean([r["layers"] for r in au])),
                au_test=float(np.mean([r["test_acc"] for r in au])),
                au_child_cpu=float(np.median([r["child_cpu_total"] for r in au])),
            )
            row["x_wall"] = row["au_wall"] / row["kn_wall"]
            row["x_cpu"] = row["au_cpu"] / row["kn_cpu"]
            # per-fold ratios, to see their spread
            pairs = [(a, k) for a in au for k in kn if a["fold"] == k["fold"]]
            row["x_cpu_folds"] = (
                float(min(a["cpu"] / k["cpu"] for a, k in pairs)),
                float(max(a["cpu"] / k["cpu"] for a, k in pairs)),
            )
            row["load"] = (
                min(row["load"][0], *(r["load1"] for r in au)),
                max(row["load"][1], *(r["load1"] for r in au)),
            )
        else:
            row["au_wall"] = REFERENCE_S[name]
            row["x_wall"] = REFERENCE_S[name] / row["kn_wall"]
        if npr:
            row["numpy_wall"] = float(np.median([r["time"] for r in npr]))
            row["numpy_cpu"] = float(np.median([r["cpu"] for r in npr]))
        rows.append(row)
    return rows


def print_table(rows, with_authors):
    if with_authors:
        print(
            "| data set | folds | authors' Time(s) | kernelnet wall (s) | x wall | authors' CPU (s) "
            "| kernelnet CPU (s) | x CPU | x CPU per fold (min-max) | L authors / ours "
            "| test acc authors / ours | load (1 min) |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|---|")
        for r in rows:
            print(
                f"| {r['dataset']} | {r['folds']} | {r['au_wall']:.3f} | {r['kn_wall']:.3f} | "
                f"{r['x_wall']:.1f}x | {r['au_cpu']:.3f} | {r['kn_cpu']:.3f} | "
                f"**{r['x_cpu']:.1f}x** | {r['x_cpu_folds'][0]:.1f}-{r['x_cpu_folds'][1]:.1f} | "
                f"{r['au_layers']:.1f} / {r['kn_layers']:.1f} | "
                f"{r['au_test']:.3f} / {r['kn_test']:.3f} | "
                f"{r['load'][0]:.1f}-{r['load'][1]:.1f} |"
            )
    else:
        print(
            "| data set | folds | kernelnet wall (s) | kernelnet CPU (s) | authors' ref (s, "
            "PERFORMANCE.md) | x wall vs ref | L | test acc | load (1 min) |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
        for r in rows:
            print(
                f"| {r['dataset']} | {r['folds']} | {r['kn_wall']:.3f} | {r['kn_cpu']:.3f} | "
                f"{r['au_wall']:.1f} | {r['x_wall']:.1f}x | {r['kn_layers']:.1f} | "
                f"{r['kn_test']:.3f} | {r['load'][0]:.1f}-{r['load'][1]:.1f} |"
            )
    if any("numpy_wall" in r for r in rows):
        print("\nplain numpy route (same fit), medians:")
        for r in rows:
            if "numpy_wall" in r:
                print(
                    f"  {r['dataset']}: wall {r['numpy_wall']:.3f} s "
                    f"({r['numpy_wall'] / r['kn_wall']:.1f}x ours), CPU {r['numpy_cpu']:.3f} s "
                    f"({r['numpy_cpu'] / r['kn_cpu']:.1f}x ours)"
                )


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", nargs="+", default=list(DATASETS))
    ap.add_argument("--folds", type=int, default=10)
    ap.add_argument("--numpy-folds", type=int, default=0)
    ap.add_argument("--authors-code", default=os.environ.get("KERNELNET_AUTHORS_ISM"))
    ap.add_argument("--authors-pylib", default=os.environ.get("KERNELNET_AUTHORS_PYLIB"))
    ap.add_argument("--no-authors", action="store_true", help="time kernelnet alone")
    ap.add_argument("--quick", action="store_true", help="wine, divorce, face; 2 folds")
    ap.add_argument("--json", type=Path, default=None, help="write every fold's record here")
    args = ap.parse_args(argv)
    if args.quick:
        args.datasets, args.folds = ["wine", "divorce", "face"], 2
    unknown = sorted(set(args.datasets) - set(DATASETS))
    if unknown:
        raise SystemExit(f"--datasets: unknown {unknown}; valid: {list(DATASETS)}")
    if not 1 <= args.folds <= 10:
        raise SystemExit("--folds must be in 1..10")

    with tempfile.TemporaryDirectory(prefix="bench_layerwise_") as workdir:
        code, why = (None, "--no-authors") if args.no_authors else prepare_authors_code(
            args.authors_code, workdir
        )
        if code is not None:
            why = check_authors(code, args.authors_pylib)
            if why is not None:
                code = None
        if code is None:
            print(f"authors' algorithm skipped: {why}", file=sys.stderr)
        with_authors = code is not None

        load0 = load_average()
        fit_fold("wine", 0)  # warm-up: imports, numba caches
        records = []
        for name in args.datasets:
            for k in range(args.folds):
                mine_first = k % 2 == 0
                if mine_first:
                    records.append(fit_fold(name, k))
                if with_authors:
                    records.append(authors_fold(name, k, code, args.authors_pylib, workdir))
                if not mine_first:
                    records.append(fit_fold(name, k))
                if k < args.numpy_folds:
                    records.append(fit_fold(name, k, route="numpy"))
                mine = [r for r in records if r["impl"] == "kernelnet"][-1]
                msg = (
                    f"{name:8s} fold {k + 1:2d}: kernelnet {mine['time']:.3f} s wall, "
                    f"{mine['cpu']:.3f} s CPU, L={mine['layers']}, test {mine['test_acc']:.3f}"
                )
                if with_authors:
                    au = [r for r in records if r["impl"] == "authors"][-1]
                    msg += (
                        f" | authors {au['time']:.3f} s Time(s), {au['cpu']:.3f} s CPU, "
                        f"L={au['layers']}, test {au['test_acc']:.3f}"
                    )
                print(msg + f" | load {os.getloadavg()[0]:.2f}", file=sys.stderr, flush=True)
        load1 = load_average()

    rows = summarise(records, args.datasets, with_authors)
    info = machine_info()
    print(f"\nMachine: {info}.\nLoad average {load0} before, {load1} after.")
    print(
        f"Folds: {args.folds} per data set; medians per fold; "
        + ("authors' algorithm run in the same run, interleaved." if with_authors
           else "authors' algorithm NOT run (fixed reference times).")
        + "\n"
    )
    print_table(rows, with_authors)
    if args.json:
        payload = {"rows": rows, "records": records, "machine": info,
                   "load_before": load0, "load_after": load1, "argv": sys.argv}
        args.json.write_text(json.dumps(payload, default=float, indent=1))


if __name__ == "__main__":
    main()
