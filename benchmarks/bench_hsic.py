"""Benchmark: fused ``kernelnet.hsic.hsic_gaussian`` against the dense route, hyppo and the floor.

Usage::

    .venv/bin/python benchmarks/bench_hsic.py                       # n = 2k, 5k, 10k, 20k + 100k
    .venv/bin/python benchmarks/bench_hsic.py --sizes 2000 5000 --big 0 --no-hyppo
    .venv/bin/python benchmarks/bench_hsic.py --write-readme        # also update benchmarks/README.md

Data: ``n`` points in ``d = 50`` dimensions, ``c = 4`` balanced-ish classes, class means shifted so
that HSIC is well away from 0; ``sigma`` = median heuristic on the first 1,000 points.

Routes (each in its own fresh process, see ``_util.py``; times are the best of ``--repeat`` warm
calls, memory is the peak extra resident memory of the first full-size call after a small
compile/warm-up call):

* ``fused``: ``hsic_gaussian(X, y, sigma=sigma)`` (and ``normalized=True`` as ``fused_norm``);
* ``dense``: ``sklearn.metrics.pairwise.rbf_kernel`` then ``np.sum(HY * (K @ HY)) / (n-1)^2``,
  the best dense route (one n x n matrix);
* ``hyppo``: ``hyppo.independence.Hsic(bias=True).statistic`` with the same Gaussian kernel on X
  and a linear kernel on one-hot Y. Its statistic is the double-centred normalised HSIC (CKA: it
  centres ``1 - K / max K``, which is ``-HKH / max K``, and returns the square root of that ratio
  when ``bias=True``), so its square is compared with ``fused_norm``.
  Skipped when hyppo is not importable (it is not a kernelnet dependency);
* ``floor``: the machine's floor for this computation, measured in the same run: the distance
  GEMMs ``X_I X_J^T`` of all tiles on or above the diagonal plus ``n^2 / 2`` vectorised
  exponentials, timed separately (each the fastest of several implementations, see
  :func:`floor_parts`) and added.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _util  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
README = os.path.join(HERE, "README.md")
START, END = "<!-- HSIC-BENCH:START -->", "<!-- HSIC-BENCH:END -->"


# ------------------------------------------------------------------------------ data and routes


def make_data(n, d, c, seed=0):
    from kernelnet.kernels import median_heuristic

    rng = np.random.default_rng(seed)
    y = rng.integers(0, c, size=n)
    y[:c] = np.arange(c)
    X = rng.normal(size=(n, d)) + 1.0 * np.eye(c, d)[y]
    sigma = median_heuristic(X[:1000])
    return X, y, sigma


def _onehot(y):
    return (y[:, None] == np.unique(y)[None, :]).astype(float)


def route_fused(X, y, sigma):
    from kernelnet.hsic import hsic_gaussian

    return lambda: hsic_gaussian(X, y, sigma=sigma)


def route_fused_norm(X, y, sigma):
    from kernelnet.hsic import hsic_gaussian

    return lambda: hsic_gaussian(X, y, sigma=sigma, normalized=True)


def route_dense(X, y, sigma):
    from sklearn.metrics.pairwise import rbf_kernel

    n = X.shape[0]
    Y = _onehot(y)

    def run():
        K = rbf_kernel(X, gamma=1.0 / (2.0 * sigma**2))
        HY = Y - Y.mean(axis=0)
        return float(np.sum(HY * (K @ HY))) / (n - 1) ** 2

    return run


def route_hyppo(X, y, sigma):
    from hyppo.independence import Hsic
    from sklearn.metrics.pairwise import rbf_kernel

    d = X.shape[1]
    Y = _onehot(y)

    def kern(Z, gamma):
        # Gaussian on X, linear on one-hot labels (unit diagonal, as hyppo requires)
        return rbf_kernel(Z, gamma=gamma) if Z.shape[1] == d else Z @ Z.T

    test = Hsic(compute_kernel=kern, bias=True, gamma=1.0 / (2.0 * sigma**2))
    # hyppo's biased statistic is the square root of CKA (dcorr.py: "only biased Dcov is
    # square-rooted"): square it to compare with hsic_gaussian(..., normalized=True).
    return lambda: float(test.statistic(X, Y)) ** 2


def floor_parts(X, repeat=3):
    """(t_gemm, t_exp, cpu_gemm, cpu_exp, detail): the two parts of the floor on all cores, each the fastest of
    several implementations (the strictest floor):

    * GEMM ``X_I X_J^T`` over tiles I <= J: numpy tiles of 512 / 1024 rows dealt to one Python
      thread per core with one BLAS thread each; 2048-row tiles with all BLAS threads; and
      256-row tiles in a numba ``prange`` calling scipy's BLAS (the library numba uses);
    * ``n^2 / 2`` exponentials: ``numpy.exp`` (vectorised, AVX-512 where available) between two
      512 KiB buffers, one Python thread per core; and kernelnet's vectorised exponential in a
      numba ``prange``.
    """
    import numba
    from numba import njit, prange
    from threadpoolctl import threadpool_limits

    from kernelnet._threads import limit_threads
    from kernelnet._tiles import _exp_nonpos, _tile_pairs

    n = X.shape[0]
    workers = os.cpu_count() or 1
    detail = {}

    def numpy_tiles(tile, nthreads):
        tiles = [(i, j) for i in range(0, n, tile) for j in range(i, n, tile)]

        def work(k):
            out = np.empty((tile, tile))
            for i, j in tiles[k::nthreads]:
                a, b = X[i:i + tile], X[j:j + tile]
                if a.shape[0] == tile and b.shape[0] == tile:
                    np.dot(a, b.T, out=out)
                else:
                    np.dot(a, b.T)

        def run():
            if nthreads == 1:
                work(0)
            else:
                with ThreadPoolExecutor(nthreads) as ex:
                    list(ex.map(work, range(nthreads)))

        return run

    with threadpool_limits(1, user_api="blas"):
        for tile in (512, 1024):
            detail[f"gemm numpy {tile}-tiles, {workers} threads x 1 BLAS"] = _util.best_wall_cpu(
                numpy_tiles(tile, workers), repeat=repeat, warmup=1)[:2]
    detail[f"gemm numpy 2048-tiles, {workers} BLAS threads"] = _util.best_wall_cpu(
        numpy_tiles(2048, 1), repeat=repeat, warmup=1)[:2]

    @njit(parallel=True)
    def gemm_nb(X, tile, nch):
        n = X.shape[0]
        T = (n + tile - 1) // tile
        pI, pJ = _tile_pairs(T, T, True)
        npairs = pI.shape[0]
        acc = np.zeros(nch)
        for k in prange(nch):
            buf = np.empty(tile * tile)
            for q in range(k, npairs, nch):
                i0 = pI[q] * tile
                i1 = min(i0 + tile, n)
                j0 = pJ[q] * tile
                j1 = min(j0 + tile, n)
                G = buf[: (i1 - i0) * (j1 - j0)].reshape((i1 - i0, j1 - j0))
                np.dot(X[i0:i1], X[j0:j1].T, G)
                acc[k] += G[0, 0]
        return acc.sum()

    with limit_threads(1):
        detail[f"gemm numba 256-tiles, {numba.get_num_threads()} threads x 1 BLAS"] = (
            _util.best_wall_cpu(lambda: gemm_nb(X, 256, 16), repeat=repeat, warmup=1)[:2])

    size = 1 << 16  # 512 KiB in + 512 KiB out per thread: in cache, like a 256 x 256 tile
    per = int(math.ceil(n * n / 2.0 / size / workers))
    rng = np.random.default_rng(1)
    ins = [-10.0 * rng.random(size) for _ in range(workers)]
    outs = [np.empty(size) for _ in range(workers)]

    def one(k):
        a, b = ins[k], outs[k]
        for _ in range(per):
            np.exp(a, out=b)

    def exps():
        with ThreadPoolExecutor(workers) as ex:
            list(ex.map(one, range(workers)))

    detail[f"exp numpy, {workers} threads"] = _util.best_wall_cpu(exps, repeat=repeat, warmup=1)[:2]

    @njit(parallel=True)
    def exps_nb(A, B, per):
        for k in prange(A.shape[0]):
            for _ in range(per):
                B[k, :] = A[k, :]
                _exp_nonpos(B[k])
        return B[0, 0]

    A = np.stack(ins)
    B = np.empty_like(A)
    detail["exp kernelnet (incl. a copy), numba threads"] = _util.best_wall_cpu(
        lambda: exps_nb(A, B, per), repeat=repeat, warmup=1)[:2]
    t_gemm = min(v[0] for k, v in detail.items() if k.startswith("gemm"))
    t_exp = min(v[0] for k, v in detail.items() if k.startswith("exp"))
    c_gemm = min(v[1] for k, v in detail.items() if k.startswith("gemm"))
    c_exp = min(v[1] for k, v in detail.items() if k.startswith("exp"))
    return t_gemm, t_exp, c_gemm, c_exp, detail


ROUTES = {
    "fused": route_fused,
    "fused_norm": route_fused_norm,
    "dense": route_dense,
    "hyppo": route_hyppo,
}


# ------------------------------------------------------------------------------ child process


def child(args):
    X, y, sigma = make_data(args.n, args.d, args.c)
    res = {"route": args.child, "n": args.n, "mode": args.mode, "sigma": sigma}
    if args.child == "floor":
        t_gemm, t_exp, c_gemm, c_exp, detail = floor_parts(X, repeat=args.repeat)
        res.update(t_gemm=t_gemm, t_exp=t_exp, time=t_gemm + t_exp, cpu=c_gemm + c_exp,
                   detail=detail)
    elif args.mode == "time" and args.child == "dense":
        # the best dense route: numpy's BLAS with its default threads or with one thread
        from threadpoolctl import threadpool_limits

        fn = ROUTES["dense"](X, y, sigma)
        t2, c2, v = _util.best_wall_cpu(fn, repeat=args.repeat, warmup=1)
        with threadpool_limits(1, user_api="blas"):
            t1, c1, v = _util.best_wall_cpu(fn, repeat=args.repeat, warmup=1)
        res.update(time=min(t1, t2), cpu=min(c1, c2), value=v, time_default_blas=t2,
                   time_one_blas_thread=t1)
    elif args.mode == "time":
        fn = ROUTES[args.child](X, y, sigma)
        t, c, v = _util.best_wall_cpu(fn, repeat=args.repeat, warmup=1)
        res.update(time=t, cpu=c, value=v)
    else:  # mem: compile/warm on a small problem, then the first full-size call
        m = min(args.n, 600)
        ROUTES[args.child](X[:m], y[:m], sigma)()
        fn = ROUTES[args.child](X, y, sigma)
        t0 = time.perf_counter()
        v, mib = _util.peak_extra_mib(fn)
        res.update(mem_mib=mib, value=v, time_cold=time.perf_counter() - t0)
    print(json.dumps(res))


def run(route, n, mode, args):
    argv = [os.path.abspath(__file__), "--child", route, "--n", str(n), "--mode", mode,
            "--d", str(args.d), "--c", str(args.c), "--repeat", str(args.repeat)]
    if route == "hyppo" or (route == "dense" and n >= 20000) or n >= 100_000:
        argv[-1] = "1"
    elif route == "dense":
        argv[-1] = str(min(args.repeat, 3))
    r = _util.run_child(argv)
    print(f"  {route:10s} n={n:6d} {mode:4s} " + " ".join(
        f"{k}={v:.4g}" for k, v in r.items() if isinstance(v, float)), flush=True)
    return r


# ------------------------------------------------------------------------------ parent


def fmt_t(t):
    return "-" if t is None else (f"{t:.3f} s" if t < 10 else f"{t:.1f} s")


def fmt_m(m):
    return "-" if m is None else (f"{m:.1f} MiB" if m < 1024 else f"{m / 1024:.2f} GiB")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[2000, 5000, 10000, 20000])
    ap.add_argument("--big", type=int, default=100_000, help="fused-only size (0: skip)")
    ap.add_argument("--d", type=int, default=50)
    ap.add_argument("--c", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds of floor/fused")
    ap.add_argument("--no-hyppo", action="store_true")
    ap.add_argument("--hyppo-max", type=int, default=10_000)
    ap.add_argument("--dense-max", type=int, default=20_000)
    ap.add_argument("--json", default=None, help="write raw results here")
    ap.add_argument("--write-readme", action="store_true")
    # child mode
    ap.add_argument("--child", default=None)
    ap.add_argument("--n", type=int, default=None)
    ap.add_argument("--mode", default="time")
    ap.add_argument("--render-json", default=None,
                    help="only render a saved --json file (with --write-readme: into README.md)")
    args = ap.parse_args(argv)
    if args.child:
        return child(args)
    if args.render_json:
        with open(args.render_json) as fh:
            saved = json.load(fh)
        for key, val in saved.get("args", {}).items():
            if key not in ("render_json", "write_readme"):
                setattr(args, key, val)
        sys.argv[1:] = saved.get("argv", ["--json", args.render_json])
        table = render(saved["rows"], saved["info"], saved["load_before"],
                       saved.get("started", "(time not recorded)"), args)
        print(table)
        if args.write_readme:
            write_readme(table)
        return 0

    try:
        import hyppo  # noqa: F401
        have_hyppo = not args.no_hyppo
    except ImportError:
        have_hyppo = False
        print("hyppo not importable: its column is skipped (pip install hyppo to include it)")

    info = _util.machine_info()
    load_before = _util.load_average()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print("machine:", json.dumps(info))
    print("load before:", load_before)
    rows = []
    for n in args.sizes:
        row = {"n": n}
        # interleave: rounds of (floor, fused, fused_norm), each child the best of --repeat
        # calls; keep each route's best round (the least disturbed by the other users)
        for _ in range(args.rounds):
            for route in ("floor", "fused", "fused_norm"):
                r = run(route, n, "time", args)
                if route not in row or r["time"] < row[route]["time"]:
                    cpu = min(r["cpu"], row[route]["cpu"]) if route in row else r["cpu"]
                    row[route] = r
                else:
                    cpu = min(r["cpu"], row[route]["cpu"])
                row[route]["cpu"] = cpu
        row["fused_mem"] = run("fused", n, "mem", args)
        if n <= args.dense_max:
            row["dense"] = run("dense", n, "time", args)
            row["dense_mem"] = run("dense", n, "mem", args)
        if have_hyppo and n <= args.hyppo_max:
            row["hyppo"] = run("hyppo", n, "mem", args)  # one call, timed and measured
        row["load"] = _util.load_average()
        rows.append(row)
    if args.big:
        n = args.big
        row = {"n": n, "fused": run("fused", n, "time", args) if args.repeat else None}
        row["fused_mem"] = run("fused", n, "mem", args)
        row["load"] = _util.load_average()
        rows.append(row)

    table = render(rows, info, load_before, started, args)
    print()
    print(table)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"info": info, "rows": rows, "load_before": load_before, "started": started,
                       "argv": sys.argv[1:], "args": vars(args)}, fh, indent=1)
    if args.write_readme:
        write_readme(table)
    return 0


def render(rows, info, load_before, started, args):
    cmd = " ".join(["python benchmarks/bench_hsic.py"] + sys.argv[1:])
    lines = [
        f"Run {started}: `{cmd}`.",
        "",
        f"Machine: {info.get('cpu')}, {info.get('cpus')} CPUs (AVX-512: {info.get('avx512f')}), "
        f"{info.get('mem_gib')} GiB; Python {info.get('python')}, numpy {info.get('numpy')}, "
        f"numba {info.get('numba')}, scipy {info.get('scipy')}, scikit-learn {info.get('sklearn')}, "
        f"hyppo {info.get('hyppo')}; BLAS {', '.join(info.get('blas') or [])}.",
        f"Load average (1/5/15 min) before the run: {load_before} (other engineers' jobs on the "
        "same 2 cores); after each size: last column.",
        "",
        f"d = {args.d}, c = {args.c}. Times: best of {args.repeat} warm calls per child process; "
        f"floor, fused and fused-normalised in {args.rounds} interleaved rounds, best round kept. "
        "Dense: best of at most 3 calls (1 at n >= 20,000), with numpy's BLAS at its default "
        "thread count and at one thread, the faster kept. hyppo: one call after a small warm-up. "
        "CPU = process CPU time of the same calls (all threads): a check on the wall-time ratio "
        "that the load disturbs less.",
        "",
        "| n | fused | fused, normalized | dense | hyppo Hsic | floor = GEMM + exp "
        "| dense / fused (wall) | dense / fused (CPU) | fused / floor (wall) | fused / floor (CPU) "
        "| hyppo / fused_norm | load |",
        "|" + "---|" * 12,
    ]
    for r in rows:
        f, fn, de = r.get("fused"), r.get("fused_norm"), r.get("dense")
        hy, fl = r.get("hyppo"), r.get("floor")
        tf = f["time"] if f else None
        tfn = fn["time"] if fn else None
        td = de["time"] if de else None
        th = hy["time_cold"] if hy else None
        tfl = fl["time"] if fl else None
        cells = [
            f"{r['n']:,}",
            fmt_t(tf),
            fmt_t(tfn),
            fmt_t(td),
            fmt_t(th),
            "-" if fl is None else f"{tfl:.3f} s = {fl['t_gemm']:.3f} + {fl['t_exp']:.3f}",
            "-" if not (tf and td) else f"{td / tf:.1f}x",
            "-" if not (f and de) else f"{de['cpu'] / f['cpu']:.1f}x",
            "-" if not (tf and tfl) else f"{tf / tfl:.2f}",
            "-" if not (f and fl) else f"{f['cpu'] / fl['cpu']:.2f}",
            "-" if not (tfn and th) else f"{th / tfn:.0f}x",
            r.get("load", "-"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "Peak extra resident memory (first full-size call in a fresh process, after a small "
        "compile/warm-up call; `VmHWM` reset through `/proc/self/clear_refs`, see `_util.py`) and "
        "agreement of the values (relative difference; hyppo's statistic squared, compared with "
        "`normalized=True`):",
        "",
        "| n | mem fused | mem dense | mem hyppo | fused vs dense | fused_norm vs hyppo "
        "| dense, default BLAS / one BLAS thread |",
        "|" + "---|" * 7,
    ]
    for r in rows:
        f, fn, de, hy = r.get("fused"), r.get("fused_norm"), r.get("dense"), r.get("hyppo")
        fm = r.get("fused_mem")
        cells = [
            f"{r['n']:,}",
            fmt_m(fm["mem_mib"]) if fm else "-",
            fmt_m(r["dense_mem"]["mem_mib"]) if r.get("dense_mem") else "-",
            fmt_m(hy["mem_mib"]) if hy else "-",
            "-" if not (f and de) else f"{abs(f['value'] - de['value']) / abs(de['value']):.1e}",
            "-" if not (fn and hy) else f"{abs(fn['value'] - hy['value']) / abs(hy['value']):.1e}",
            "-" if not de else f"{fmt_t(de.get('time_default_blas'))} / "
            f"{fmt_t(de.get('time_one_blas_thread'))}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Floor parts, wall (CPU) time; the floor adds the fastest GEMM and the fastest exp:", ""]
    for r in rows:
        fl = r.get("floor")
        if fl and fl.get("detail"):
            parts = "; ".join(f"{k}: {v[0]:.3f} s ({v[1]:.3f})" for k, v in fl["detail"].items())
            lines.append(f"- n = {r['n']:,}: {parts}")
    return "\n".join(lines)


INTRO = """\
`benchmarks/bench_hsic.py` times the fused `kernelnet.hsic.hsic_gaussian(X, y, sigma=...)`
(Gaussian kernel on X, linear kernel on one-hot labels, no n x n matrix) against

- **dense**: `sklearn.metrics.pairwise.rbf_kernel` then `np.sum(HY * (K @ HY)) / (n-1)^2`, the
  best dense route (one n x n matrix);
- **hyppo** `Hsic(bias=True).statistic` with the same Gaussian kernel on X and a linear kernel on
  one-hot Y (hyppo is *not* a kernelnet dependency: `pip install hyppo` to include it; the column
  is skipped when it is missing). Its statistic is the square root of the double-centred
  normalised HSIC, so its square is compared with `hsic_gaussian(..., normalized=True)`;
- **floor**: what the machine needs at least, measured in the same run: the distance GEMMs
  `X_I X_J^T` of all tiles on or above the diagonal plus n^2/2 vectorised exponentials, each part
  timed alone on both cores as the fastest of several implementations, then added.

Every route runs in its own fresh process (numba's OpenMP threads and BLAS threads do not
disturb each other; memory is the peak extra RSS of the route's first full-size call, read from
`VmHWM` after resetting it through `/proc/self/clear_refs`: `tracemalloc` does not see numba's or
BLAS's allocations). Data: `n` points, d = 50, c = 4 classes with shifted means, sigma = median
heuristic on 1,000 points. Targets (`PERFORMANCE.md`): at n = 20,000 at least 6x faster than
dense, at most 1.5x the floor, under 32 MiB extra memory; n = 100,000 runs; agreement rtol 1e-9
with dense; at least 100x faster than hyppo at n = 10,000.

Run: `.venv/bin/python benchmarks/bench_hsic.py --json results.json` (all sizes, about 10
minutes on 2 busy cores), `--sizes 2000 5000 --big 0 --no-hyppo` for a quick look,
`--render-json results.json --write-readme` to put a saved run here.
"""


def write_readme(table):
    block = f"{START}\n{INTRO}\n{table}\n{END}"
    text = open(README).read() if os.path.exists(README) else "# Benchmarks\n"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        _, tail = rest.split(END, 1)
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n## HSIC (`bench_hsic.py`)\n\n" + block + "\n"
    with open(README, "w") as fh:
        fh.write(text)
    print(f"updated {README}")


if __name__ == "__main__":
    sys.exit(main())
