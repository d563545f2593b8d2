"""Benchmark: kernel ridge regression, direct (Cholesky) vs iterative, matrix-free at n = 50,000.

Run from the repository root:

    .venv/bin/python benchmarks/bench_solvers.py                 # n = 50,000, direct at 10,000
    .venv/bin/python benchmarks/bench_solvers.py --n 5000 --direct-n 2000 --cg-n 5000   # quick

What it measures (one process, routes interleaved in one run; the machine is shared, so compare
the ratios, not the absolute times):

1. Mat-vec: the fused numba Gaussian mat-vec of ``KernelOperator`` against the same tiles built
   with the public ``gaussian_kernel`` and multiplied with BLAS (no n x n matrix either), and
   against a dense ``K @ v`` where ``K`` fits (``--direct-n``). Agreement with the tiled route.
2. Direct: ``solve_direct`` (Cholesky) at ``--direct-n``, with its n^3/3 multiply-adds, and the
   n^3 extrapolation to ``--n`` (labelled as such, not measured).
3. Iterative, matrix-free at ``--n``: CG with a rank-``--rank`` Nystrom preconditioner; plain CG
   at ``--cg-n`` (its iteration count grows with the condition number). Iterations, time,
   FLOPs (2 n^2 + n^2 d per mat-vec), true relative residual.

Problem: x ~ N(0, I_d), y = sin(x_1) + 0.1 noise, Gaussian kernel with the median-heuristic
bandwidth (500 points), ridge mu = lam * n.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import numpy as np


def _rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=50_000)
    ap.add_argument("--d", type=int, default=10)
    ap.add_argument("--direct-n", type=int, default=10_000)
    ap.add_argument("--cg-n", type=int, default=20_000)
    ap.add_argument("--rank", type=int, default=300)
    ap.add_argument("--lam", type=float, default=1e-5)
    ap.add_argument("--tol", type=float, default=1e-6)
    ap.add_argument("--threads", type=int, default=None,
                    help="numba and BLAS threads (default: leave as is)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    import numba
    from threadpoolctl import threadpool_limits

    from kernelnet import kernels, solvers

    if args.threads:
        numba.set_num_threads(args.threads)
        threadpool_limits(args.threads)
    print(f"# bench_solvers: n={args.n} d={args.d} direct_n={args.direct_n} cg_n={args.cg_n} "
          f"rank={args.rank} lam={args.lam} tol={args.tol} numba_threads={numba.get_num_threads()} "
          f"loadavg={os.getloadavg()}")
    rng = np.random.default_rng(args.seed)
    d = args.d

    def problem(n):
        X = rng.standard_normal((n, d))
        y = np.sin(X[:, 0]) + 0.1 * rng.standard_normal(n)
        return X, y, kernels.median_heuristic(X[:500])

    # ------------------------------------------------------------------ 1. mat-vec routes
    nm = args.direct_n
    X, y, sigma = problem(nm)
    op = solvers.KernelOperator(X, "gaussian", sigma=sigma)
    tiled = solvers.KernelOperator(X, lambda A, B: kernels.gaussian_kernel(A, B, sigma=sigma),
                                   tile=2048)
    op.matvec(y[:]), tiled.matvec(y)  # warm (compile, first touch)
    t_fused, t_tiled = [], []
    for _ in range(3):  # interleaved
        t0 = time.perf_counter(); v1 = op.matvec(y); t_fused.append(time.perf_counter() - t0)
        t0 = time.perf_counter(); v2 = tiled.matvec(y); t_tiled.append(time.perf_counter() - t0)
    t0 = time.perf_counter(); K = kernels.gaussian_kernel(X, sigma=sigma); t_K = time.perf_counter() - t0
    K @ y
    t0 = time.perf_counter(); v3 = K @ y; t_dense = time.perf_counter() - t0
    print("\n## mat-vec at n = %d (best of 3)" % nm)
    print("| route | seconds | vs fused |\n|---|---|---|")
    tf = min(t_fused)
    print(f"| fused numba (KernelOperator) | {tf:.3f} | 1.00 |")
    print(f"| tiles of gaussian_kernel + BLAS gemv | {min(t_tiled):.3f} | {min(t_tiled) / tf:.2f} |")
    print(f"| dense: build K once | {t_K:.3f} | {t_K / tf:.2f} |")
    print(f"| dense: K @ v (K stored, {K.nbytes / 2**30:.2f} GiB) | {t_dense:.3f} | {t_dense / tf:.2f} |")
    print(f"max |fused - tiled| / max|Kv| = {np.abs(v1 - v2).max() / np.abs(v2).max():.2e}; "
          f"vs dense {np.abs(v1 - v3).max() / np.abs(v3).max():.2e}")

    # ------------------------------------------------------------------ 2. direct
    mu = args.lam * nm
    solvers.solve_direct(K[:500, :500], y[:500], ridge=mu)
    t0 = time.perf_counter()
    c_direct = solvers.solve_direct(K, y, ridge=mu)
    t_chol = time.perf_counter() - t0
    fl = solvers.direct_flops(nm)
    res_direct = np.linalg.norm(K @ c_direct + mu * c_direct - y) / np.linalg.norm(y)
    # iterative on the same problem (matrix-free) for the crossover at this n
    t0 = time.perf_counter()
    P = solvers.NystromPreconditioner(op, rank=args.rank, ridge=mu, random_state=1)
    t_pre_small = time.perf_counter() - t0
    r_small = solvers.conjugate_gradient(op, y, ridge=mu, tol=args.tol, preconditioner=P)
    err_small = np.linalg.norm(r_small.coef - c_direct) / np.linalg.norm(c_direct)
    print("\n## direct vs iterative at n = %d" % nm)
    print("| method | seconds | iterations | GFLOP | rel. residual | rel. diff to Cholesky |")
    print("|---|---|---|---|---|---|")
    print(f"| Cholesky (dense K) | {t_chol:.2f} | - | {fl / 1e9:.0f} | {res_direct:.1e} | 0 |")
    fl_it = r_small.n_iter * solvers.matvec_flops(nm, d)
    print(f"| PCG + Nystrom({args.rank}), matrix-free | {t_pre_small + r_small.seconds:.2f} "
          f"(set-up {t_pre_small:.2f}) | {r_small.n_iter} | {fl_it / 1e9:.0f} | "
          f"{r_small.info['true_residual']:.1e} | {err_small:.1e} |")
    del K

    # ------------------------------------------------------------------ 3. matrix-free at n
    n = args.n
    X, y, sigma = problem(n)
    mu = args.lam * n
    rss0 = _rss_mib()
    op = solvers.KernelOperator(X, "gaussian", sigma=sigma)
    t0 = time.perf_counter(); op.matvec(y); t_mv = time.perf_counter() - t0
    t0 = time.perf_counter()
    P = solvers.NystromPreconditioner(op, rank=args.rank, ridge=mu, random_state=1)
    t_pre = time.perf_counter() - t0
    r = solvers.conjugate_gradient(op, y, ridge=mu, tol=args.tol, preconditioner=P)
    mvf = solvers.matvec_flops(n, d)
    print(f"\n## matrix-free at n = {n} (a dense K would need {8 * n * n / 2**30:.1f} GiB)")
    print("| method | seconds | iterations | GFLOP | GFLOP/s | true rel. residual |")
    print("|---|---|---|---|---|---|")
    print(f"| one mat-vec | {t_mv:.2f} | 1 | {mvf / 1e9:.0f} | {mvf / t_mv / 1e9:.1f} | - |")
    tot = t_pre + r.seconds
    print(f"| PCG + Nystrom({args.rank}) | {tot:.1f} (set-up {t_pre:.1f}) | {r.n_iter} | "
          f"{r.n_iter * mvf / 1e9:.0f} | {r.n_iter * mvf / r.seconds / 1e9:.1f} | "
          f"{r.info['true_residual']:.1e} |")
    chol_extrap = t_chol * (n / nm) ** 3
    print(f"| Cholesky, extrapolated n^3 from n = {nm} (not run) | ~{chol_extrap:.0f} | - | "
          f"{solvers.direct_flops(n) / 1e9:.0f} | - | - |")
    print(f"peak RSS {_rss_mib():.0f} MiB (before the n = {n} part: {rss0:.0f} MiB)")
    if args.cg_n:
        ncg = min(args.cg_n, n)
        Xc, yc, sc = problem(ncg)
        muc = args.lam * ncg
        opc = solvers.KernelOperator(Xc, "gaussian", sigma=sc)
        rc = solvers.conjugate_gradient(opc, yc, ridge=muc, tol=args.tol, max_iter=2000)
        Pc = solvers.NystromPreconditioner(opc, rank=args.rank, ridge=muc, random_state=1)
        rp = solvers.conjugate_gradient(opc, yc, ridge=muc, tol=args.tol, preconditioner=Pc)
        print(f"\n## plain CG vs PCG at n = {ncg} (matrix-free)")
        print("| method | seconds | iterations | converged |\n|---|---|---|---|")
        print(f"| CG | {rc.seconds:.1f} | {rc.n_iter} | {rc.converged} |")
        print(f"| PCG + Nystrom({args.rank}) | {rp.seconds:.1f} | {rp.n_iter} | {rp.converged} |")


if __name__ == "__main__":
    main()
