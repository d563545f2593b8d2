"""Tests for kernelnet.solvers: every solver against scipy.linalg.solve, numba vs dense."""

import math

import numpy as np
import pytest
import scipy.linalg

from kernelnet import kernels, solvers

EPS = np.finfo(float).eps


def _problem(n=400, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = np.sin(X[:, 0]) + 0.1 * rng.standard_normal(n)
    sigma = kernels.median_heuristic(X)
    return X, y, sigma, kernels.gaussian_kernel(X, sigma=sigma)


def _ref(K, y, mu):
    return scipy.linalg.solve(K + mu * np.eye(K.shape[0]), y, assume_a="pos")


def _cond(K, mu):
    ev = np.linalg.eigvalsh(K)
    return (ev[-1] + mu) / (max(ev[0], 0.0) + mu)


# ------------------------------------------------------------------ direct


def test_direct_matches_scipy_solve():
    X, y, sigma, K = _problem()
    for mu in (1e-6, 1e-2, 10.0):
        x = solvers.solve_direct(K, y, ridge=mu)
        ref = _ref(K, y, mu)
        # both backward stable: forward error <= ~cond * n * eps (cond up to ~1e8 at mu=1e-6)
        tol = 10 * _cond(K, mu) * K.shape[0] * EPS
        assert np.linalg.norm(x - ref) / np.linalg.norm(ref) <= tol
    Y = np.stack([y, y**2], axis=1)
    np.testing.assert_allclose(solvers.solve_direct(K, Y, ridge=0.1)[:, 1], _ref(K, y**2, 0.1),
                               rtol=1e-9)


def test_direct_does_not_modify_K():
    _, y, _, K = _problem(n=50)
    K0 = K.copy()
    solvers.solve_direct(K, y, ridge=1.0)
    np.testing.assert_array_equal(K, K0)


@pytest.mark.parametrize("ridge", [0.0, -1.0, np.nan, "a"])
def test_direct_bad_ridge(ridge):
    _, y, _, K = _problem(n=20)
    with pytest.raises(ValueError, match="ridge must be a positive"):
        solvers.solve_direct(K, y, ridge=ridge)


def test_direct_bad_shapes():
    _, y, _, K = _problem(n=20)
    with pytest.raises(ValueError, match="K must be square"):
        solvers.solve_direct(K[:, :10], y, ridge=1.0)
    with pytest.raises(ValueError, match="y must have 20 rows"):
        solvers.solve_direct(K, y[:5], ridge=1.0)
    with pytest.raises(ValueError, match="not positive definite"):
        solvers.solve_direct(-K - np.eye(20), y, ridge=0.5)


# ------------------------------------------------------------------ iterative


@pytest.mark.parametrize("method", ["cg", "cg+nystrom", "richardson", "richardson+nystrom"])
def test_iterative_matches_scipy_solve(method):
    X, y, sigma, K = _problem()
    mu = 1.0 if method == "richardson" else 1e-3  # plain Richardson needs kappa ~ 1e2 here
    P = solvers.NystromPreconditioner(K, rank=50, ridge=mu) if "nystrom" in method else None
    tol = 1e-10
    if method.startswith("cg"):
        res = solvers.conjugate_gradient(K, y, ridge=mu, tol=tol, preconditioner=P)
    else:
        res = solvers.richardson(K, y, ridge=mu, tol=tol, preconditioner=P, max_iter=20000)
    assert res.converged
    ref = _ref(K, y, mu)
    # relative error <= cond(K + mu I) * relative residual (+ rounding of the reference)
    kappa = _cond(K, mu)
    err = np.linalg.norm(res.coef - ref) / np.linalg.norm(ref)
    assert err <= kappa * tol * 1.01 + 10 * kappa * K.shape[0] * EPS
    assert res.residuals[-1] <= tol and res.residuals.size == res.n_iter + 1


def test_iteration_counts_follow_the_condition_number():
    X, y, sigma, K = _problem()
    mu, tol = 1e-2, 1e-8
    kappa = _cond(K, mu)
    cg = solvers.conjugate_gradient(K, y, ridge=mu, tol=tol)
    pcg = solvers.conjugate_gradient(K, y, ridge=mu, tol=tol,
                                     preconditioner=solvers.NystromPreconditioner(K, rank=60,
                                                                                  ridge=mu))
    # CG bound: ||e||_A <= 2 ((sqrt k - 1)/(sqrt k + 1))^t ||e0||_A; the residual bound adds a
    # factor sqrt(kappa): t <= log(2 sqrt(kappa)/tol) / log((sqrt k + 1)/(sqrt k - 1))
    sk = math.sqrt(kappa)
    bound = math.log(2 * sk / tol) / math.log((sk + 1) / (sk - 1))
    assert cg.n_iter <= bound + 1
    assert pcg.n_iter < cg.n_iter / 2
    # Richardson with eta = 1/lambda_max: residual contracts by <= 1 - 1/kappa per step
    rich = solvers.richardson(K, y, ridge=1.0, tol=1e-6, max_iter=50000)
    k1 = _cond(K, 1.0)
    # power iteration approaches lambda_max from below, so eta = 1/lambda_hat >= 1/lambda_max and
    # every mode i contracts by |1 - eta (lambda_i + mu)| <= 1 - 1/kappa as long as
    # eta lambda_max <= 2 - 1/kappa (lambda_hat is within ~0.1% here); 1.01 absorbs that 0.1%
    assert rich.converged and rich.n_iter <= math.log(1e-6) / math.log(1 - 1 / (1.01 * k1)) + 1


def test_nystrom_with_all_columns_recovers_eigendecomposition():
    _, _, _, K = _problem(n=120)
    P = solvers.NystromPreconditioner(K, rank=10, ridge=1e-3, n_landmarks=120)
    ev = np.linalg.eigvalsh(K)[::-1][:10]
    # Nystrom with S = all columns is exact: K W^+ K = K; rounding of eigh/svd ~ 1e-12 * ||K||
    np.testing.assert_allclose(P.eigenvalues, ev, rtol=1e-8, atol=1e-10 * ev[0])
    # P^-1 (K + mu I) has its top 10 eigenvalues flattened to lambda_10 + mu
    M = np.stack([P.apply(c) for c in (K + 1e-3 * np.eye(120)).T], axis=1)
    top = np.sort(np.linalg.eigvals(M).real)[::-1]
    assert top[0] == pytest.approx(ev[9] + 1e-3, rel=1e-6)


def test_largest_eigenvalue_power_iteration():
    _, _, _, K = _problem(n=200)
    lam = solvers.largest_eigenvalue(K, n_iter=500, rtol=1e-12)
    assert lam == pytest.approx(np.linalg.eigvalsh(K)[-1], rel=1e-6)


def test_iterative_bad_input():
    _, y, _, K = _problem(n=30)
    with pytest.raises(ValueError, match="ridge must be a positive"):
        solvers.conjugate_gradient(K, y, ridge=0.0)
    with pytest.raises(ValueError, match="ridge must be a positive"):
        solvers.richardson(K, y, ridge=-1.0)
    with pytest.raises(ValueError, match="tol must be a positive"):
        solvers.conjugate_gradient(K, y, ridge=1.0, tol=0)
    with pytest.raises(ValueError, match="max_iter must be >= 1"):
        solvers.richardson(K, y, ridge=1.0, max_iter=0)
    with pytest.raises(ValueError, match="y must be 1-D"):
        solvers.conjugate_gradient(K, np.stack([y, y], 1), ridge=1.0)
    with pytest.raises(ValueError, match="rank must be <= 30"):
        solvers.NystromPreconditioner(K, rank=31, ridge=1.0)
    with pytest.raises(ValueError, match="step must be a positive"):
        solvers.richardson(K, y, ridge=1.0, step=0.0)


def test_richardson_reports_divergence():
    _, y, _, K = _problem(n=100)
    lam = np.linalg.eigvalsh(K)[-1]
    res = solvers.richardson(K, y, ridge=1e-3, step=3.0 / lam, max_iter=1000)
    assert not res.converged and res.n_iter < 1000


# ------------------------------------------------------------------ matrix-free


def test_gaussian_matvec_numba_matches_dense():
    X, y, sigma, K = _problem(n=700, d=4, seed=3)
    op = solvers.KernelOperator(X, "gaussian", sigma=sigma)
    # the numba path uses the same tile primitive as gaussian_kernel; sums over 700 terms of
    # size <= 1 differ by reassociation only: |diff| <= 700 * eps * max|y| * a few
    np.testing.assert_allclose(op.matvec(y), K @ y, rtol=0, atol=1e-12)
    V = np.random.default_rng(0).standard_normal((700, 3))
    np.testing.assert_allclose(op @ V, K @ V, rtol=0, atol=1e-12)
    # Fortran-ordered and strided inputs give the same result (normalised before numba)
    opF = solvers.KernelOperator(np.asfortranarray(X), "gaussian", sigma=sigma)
    np.testing.assert_allclose(opF.matvec(V[:, 1]), K @ V[:, 1], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(op.matvec(V[:, 1]), op.matvec(np.ascontiguousarray(V[:, 1])))


def test_gaussian_matvec_independent_of_thread_count():
    import numba

    X, y, sigma, _ = _problem(n=600, d=3, seed=1)
    op = solvers.KernelOperator(X, "gaussian", sigma=sigma)
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        v1 = op.matvec(y)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        v2 = op.matvec(y)
    finally:
        numba.set_num_threads(old)
    # fixed chunking and a fixed order of the final sum: bitwise equal
    np.testing.assert_array_equal(v1, v2)


@pytest.mark.parametrize("kernel", ["ntk_relu", "nngp_relu", "relu"])
def test_generic_tiled_matvec_matches_dense(kernel):
    X = np.random.default_rng(0).standard_normal((333, 5))
    v = np.random.default_rng(1).standard_normal(333)
    op = solvers.KernelOperator(X, kernel, tile=100)
    K = kernels.KERNELS[kernel](X)
    ref = K @ v
    np.testing.assert_allclose(op.matvec(v), ref, rtol=0, atol=1e-12 * np.abs(K).max() * 333)
    np.testing.assert_allclose(op.columns([3, 7]), K[:, [3, 7]], rtol=1e-13)
    np.testing.assert_allclose(op.diag(), np.diag(K), rtol=1e-13)


def test_matrix_free_cg_matches_dense_solution():
    X, y, sigma, K = _problem(n=500, d=3, seed=2)
    op = solvers.KernelOperator(X, "gaussian", sigma=sigma)
    mu = 1e-2
    P = solvers.NystromPreconditioner(op, rank=40, ridge=mu)
    res = solvers.conjugate_gradient(op, y, ridge=mu, tol=1e-10, preconditioner=P)
    ref = _ref(K, y, mu)
    kappa = _cond(K, mu)
    assert np.linalg.norm(res.coef - ref) / np.linalg.norm(ref) <= kappa * 1e-10 * 1.01 + 1e-9
    assert res.info["true_residual"] <= 1e-9


def test_kernel_operator_bad_input():
    X = np.zeros((5, 2))
    with pytest.raises(ValueError, match="sigma must be given"):
        solvers.KernelOperator(X, "gaussian")
    with pytest.raises(ValueError, match="sigma must be a positive"):
        solvers.KernelOperator(X, "gaussian", sigma=-1.0)
    with pytest.raises(ValueError, match="kernel must be one of"):
        solvers.KernelOperator(X, "laplace")
    op = solvers.KernelOperator(X, "gaussian", sigma=1.0)
    with pytest.raises(ValueError, match="v must have 5 rows"):
        op.matvec(np.ones(4))


def test_flop_counts():
    assert solvers.direct_flops(3000) == pytest.approx(2 * 3000**3 / 3 + 2 * 3000**2)
    assert solvers.matvec_flops(1000) == 2e6
    assert solvers.matvec_flops(1000, 10) == 2e6 + 1e7
    with pytest.raises(ValueError, match="n must be >= 1"):
        solvers.direct_flops(0)
