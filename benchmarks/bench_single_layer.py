"""Benchmark: matrix-free J_K^T u of a single layer against forming the Jacobian.

Seed 001 ("Computing Jacobians"): J_K = diag(sigma'(KY + b)) (Y^T kron I_m) has m n rows and
m n_f columns. Routes, for n_f = 50, m = 40, tanh:

* ``dense``: form J_K as a dense array (only up to n = 200: 40 n x 2000 doubles, 128 MB at
  n = 200) and multiply;
* ``sparse``: form it as a ``scipy.sparse`` CSR matrix (m n_f n non-zeros: up to n = 10,000);
* ``matrix-free``: ``single_layer(K, b, Y).JKt(u)`` = vec((sigma' o mat(u)) Y^T), one GEMM.

For each route: time to form the operator (dense/sparse only), time of one product J_K^T u (best
of ``--repeat`` warm runs), peak traced memory of forming and of the product (tracemalloc sees
numpy's and scipy's allocations), and the agreement with the matrix-free result. The matrix-free
route alone runs at n = 100,000. BLAS is pinned to one thread (threadpoolctl) so the routes compare
on equal terms on a shared 2-core machine; ratios measured in the same run are what to read
(PERFORMANCE.md).

Run::

    .venv/bin/python benchmarks/bench_single_layer.py            # full table
    .venv/bin/python benchmarks/bench_single_layer.py --quick    # small sizes only
"""

from __future__ import annotations

import argparse
import gc
import platform
import time
import tracemalloc

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from kernelnet.single_layer import single_layer

N_F, M = 50, 40
DENSE_MAX, SPARSE_MAX = 200, 10_000


def _peak(fn):
    """Run fn once under tracemalloc; return (result, peak extra bytes)."""
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    out = fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return out, peak


def _best(fn, repeat):
    fn()  # warm (first touch of buffers is expensive on these VMs)
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def dense_jacobian(L):
    D = L.dsigma.ravel(order="F")
    return D[:, None] * np.kron(L.Y.T, np.eye(L.K.shape[0]))


def sparse_jacobian(L):
    D = L.dsigma.ravel(order="F")
    kron = sp.kron(sp.csr_matrix(L.Y.T), sp.identity(L.K.shape[0], format="csr"), format="csr")
    return (sp.diags(D) @ kron).tocsr()


def run(sizes, repeat, seed=0):
    rows = []
    rng = np.random.default_rng(seed)
    K = rng.standard_normal((M, N_F)) / np.sqrt(N_F)
    for n in sizes:
        Y = rng.standard_normal((N_F, n))
        u = rng.standard_normal(M * n)
        L, setup_mem = _peak(lambda: single_layer(K, 0.1, Y, "tanh"))
        ref, mf_mem = _peak(lambda: L.JKt(u))
        t_mf = _best(lambda: L.JKt(u), repeat)
        rows.append(dict(n=n, route="matrix-free", build_s=np.nan, product_s=t_mf,
                         build_MiB=setup_mem / 2**20, product_MiB=mf_mem / 2**20, rel_diff=0.0))
        for route, limit, build in (("dense", DENSE_MAX, dense_jacobian),
                                    ("sparse", SPARSE_MAX, sparse_jacobian)):
            if n > limit:
                continue
            J, mem_b = _peak(lambda: build(L))
            t_b = _best(lambda: build(L), max(1, repeat // 3))
            out, mem_p = _peak(lambda: J.T @ u)
            t_p = _best(lambda: J.T @ u, repeat)
            rel = float(np.linalg.norm(out - ref) / np.linalg.norm(ref))
            rows.append(dict(n=n, route=route, build_s=t_b, product_s=t_p,
                             build_MiB=mem_b / 2**20, product_MiB=mem_p / 2**20, rel_diff=rel))
            del J, out
        del L
    return rows


def table(rows):
    mf = {r["n"]: r["product_s"] for r in rows if r["route"] == "matrix-free"}
    lines = [
        "| n | route | form J (s) | J^T u (s) | J^T u / matrix-free | form J peak (MiB) "
        "| J^T u peak (MiB) | rel. diff |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        b = "-" if np.isnan(r["build_s"]) else f"{r['build_s']:.3g}"
        ratio = r["product_s"] / mf[r["n"]]
        lines.append(
            f"| {r['n']:,} | {r['route']} | {b} | {r['product_s']:.3g} | {ratio:.1f}x "
            f"| {r['build_MiB']:.3g} | {r['product_MiB']:.3g} | {r['rel_diff']:.1e} |"
        )
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    sizes = [50, 200, 1000] if args.quick else [50, 100, 200, 1_000, 10_000, 100_000]
    with threadpool_limits(1):
        rows = run(sizes, args.repeat)
    print(f"# single layer J_K^T u, n_f={N_F}, m={M}, tanh, 1 BLAS thread; "
          f"{platform.processor() or platform.machine()}, numpy {np.__version__}")
    print("# 'form J peak' for matrix-free = single_layer(K, b, Y) itself (stores Z and sigma')")
    print(table(rows))
    return rows


if __name__ == "__main__":
    main()
