"""Tests for kernelnet.kernels: numba vs NumPy references, properties, Monte Carlo NTK/NNGP, errors."""

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from kernelnet import _tiles
from kernelnet import kernels as kn
from kernelnet._threads import limit_threads
from kernelnet.kernels import gaussian_kernel, median_heuristic, nngp_relu, ntk_relu, relu_kernel

EPS = np.finfo(float).eps


def _data(n, d, seed=0, scale=1.0):
    return np.random.default_rng(seed).normal(scale=scale, size=(n, d))


def _gauss_tol(X, Y, sigma):
    # The numba route forms the exponent a = <x,y>/sigma^2 - (|x|^2 + |y|^2)/(2 sigma^2) from a Gram
    # matrix (X, Y centred by the mean of X). Each of its three terms carries a relative rounding
    # error of a few eps (d-term dot products), so |delta a| <= 4 (d + 2) eps (|x|^2 + |y|^2) /
    # sigma^2, and |delta K| <= K |delta a| + 5e-16 K (the vectorised exp). Bound with K <= 1.
    mu = X.mean(axis=0)
    nx = ((X - mu) ** 2).sum(axis=1)
    ny = ((Y - mu) ** 2).sum(axis=1)
    d = X.shape[1]
    return 4 * (d + 2) * EPS * (nx[:, None] + ny[None, :]) / sigma**2 + 1e-15


# ------------------------------------------------------------------------------ vectorised exp


def test_exp_nonpos_matches_numpy():
    rng = np.random.default_rng(0)
    a = -np.concatenate([np.linspace(0, 760, 200_001), rng.exponential(3.0, 100_000), [0.0]])
    b = a.copy()
    _tiles._exp_nonpos(b)
    ref = np.exp(a)
    inrange = a >= _tiles._EXP_MIN
    # Documented bound: relative error < 5e-16 (~2 ulp) on [-708, 0] ...
    assert np.all(np.abs(b[inrange] - ref[inrange]) <= 5e-16 * ref[inrange])
    # ... and flush to 0 below -708, an absolute error below exp(-708) = 3.3e-308.
    assert np.all(np.abs(b[~inrange] - ref[~inrange]) <= 3.4e-308)
    assert b[-1] == 1.0


# ------------------------------------------------------------------------------ Gaussian kernel


@pytest.mark.parametrize("n, m, d", [(3, 5, 2), (300, 1, 4), (600, 290, 7)])
def test_gaussian_matches_numpy(n, m, d):
    X = _data(n, d, 1, scale=2.0)
    Y = _data(m, d, 2, scale=2.0) + 0.5
    sigma = 1.7
    K = gaussian_kernel(X, Y, sigma=sigma)
    R = kn._gaussian_kernel_numpy(X, Y, sigma=sigma)
    assert K.shape == (n, m)
    assert np.all(np.abs(K - R) <= _gauss_tol(X, Y, sigma))


def test_gaussian_symmetric_exact_unit_diagonal_psd():
    X = _data(530, 6, 3)  # several tiles, last one partial
    K = gaussian_kernel(X, sigma=2.0)
    assert np.array_equal(K, K.T)
    assert np.all(np.diag(K) == 1.0)
    R = kn._gaussian_kernel_numpy(X, sigma=2.0)
    assert np.all(np.abs(K - R) <= _gauss_tol(X, X, 2.0))
    lam = np.linalg.eigvalsh(K)
    # PSD up to the eigensolver's rounding: eigvalsh's error is O(n eps ||K||_2) (the all-ones
    # 20 x 20 matrix, exactly PSD, gives -2.2 eps ||K||_2), with ||K||_2 = lam.max().
    assert lam.min() >= -K.shape[0] * EPS * lam.max()


@pytest.mark.parametrize("second", [False, True])
def test_gaussian_thread_count_independent(second, monkeypatch):
    X = _data(700, 5, 4)
    Y = _data(300, 5, 5) if second else None
    serial = gaussian_kernel(X, Y, sigma=1.1)  # small: one-thread driver
    monkeypatch.setattr(_tiles, "_PARALLEL_MIN_WORK", 0.0)  # force the parallel driver
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        K1 = gaussian_kernel(X, Y, sigma=1.1)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        K2 = gaussian_kernel(X, Y, sigma=1.1)
    finally:
        numba.set_num_threads(old)
    assert np.array_equal(K1, K2) and np.array_equal(K1, serial)


def test_gaussian_input_layouts_agree():
    X = _data(40, 3, 5)
    ref = gaussian_kernel(X, sigma=1.0)
    assert np.array_equal(gaussian_kernel(np.asfortranarray(X), sigma=1.0), ref)
    big = np.zeros((80, 6))
    big[::2, ::2] = X
    assert np.array_equal(gaussian_kernel(big[::2, ::2], sigma=1.0), ref)
    Xi = np.arange(30).reshape(10, 3) % 7
    assert np.array_equal(gaussian_kernel(Xi, sigma=2), gaussian_kernel(Xi.astype(float), sigma=2.0))
    X32 = X.astype(np.float32)
    assert np.array_equal(gaussian_kernel(X32, sigma=1.0), gaussian_kernel(X32.astype(float), sigma=1.0))


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, st.tuples(st.integers(2, 30), st.integers(1, 4)),
           elements=st.floats(-10, 10, allow_nan=False)),
    st.floats(0.05, 20.0),
)
def test_gaussian_properties(X, sigma):
    K = gaussian_kernel(X, sigma=sigma)
    n = X.shape[0]
    assert np.array_equal(K, K.T)
    assert np.all((K >= 0) & (K <= 1))
    lam = np.linalg.eigvalsh(K)
    assert lam.min() >= -n * EPS * lam.max()  # eigvalsh error O(n eps ||K||_2), see above
    R = kn._gaussian_kernel_numpy(X, sigma=sigma)
    assert np.all(np.abs(K - R) <= _gauss_tol(X, X, sigma))


def test_gaussian_bad_input():
    X = _data(5, 2)
    with pytest.raises(ValueError, match="sigma"):
        gaussian_kernel(X, sigma=0.0)
    with pytest.raises(ValueError, match="sigma"):
        gaussian_kernel(X, sigma=-1.0)
    with pytest.raises(ValueError, match="sigma"):
        gaussian_kernel(X, sigma=np.inf)
    with pytest.raises(ValueError, match="sigma"):
        gaussian_kernel(X, sigma="1")
    with pytest.raises(ValueError, match="X"):
        gaussian_kernel(np.ones(5), sigma=1.0)
    with pytest.raises(ValueError, match="X"):
        gaussian_kernel(np.array([[1.0, np.nan]]), sigma=1.0)
    with pytest.raises(ValueError, match="X"):
        gaussian_kernel(np.array([[1.0, np.inf]]), sigma=1.0)
    with pytest.raises(ValueError, match="X"):
        gaussian_kernel(np.empty((0, 2)), sigma=1.0)
    with pytest.raises(ValueError, match="Y"):
        gaussian_kernel(X, np.ones((3, 3)), sigma=1.0)
    with pytest.raises(ValueError, match="Y"):
        gaussian_kernel(X, np.array([[np.nan, 1.0]]), sigma=1.0)
    with pytest.raises(ValueError, match="X"):
        gaussian_kernel([["a", "b"]], sigma=1.0)
    # overflow of |x|^2 / sigma^2: a ValueError, never a NaN kernel
    for tiny in (1e-160, 1e-200, 5e-324):
        with pytest.raises(ValueError, match="sigma"):
            gaussian_kernel(X, sigma=tiny)
    with pytest.raises(ValueError, match="sigma"):
        gaussian_kernel(X * 1e160, sigma=1.0)
    assert np.all(gaussian_kernel(X, sigma=1e200) == 1.0)  # sigma -> inf: the all-ones limit


# ------------------------------------------------------------------------------ arc-cosine kernels


@pytest.mark.parametrize("order", [0, 1])
def test_relu_matches_numpy(order):
    X = _data(50, 4, 6)
    Y = _data(20, 4, 7)
    X[3] = 0.0  # zero vector
    Y[5] = 0.0
    X[4] = 2.5 * X[7]  # parallel rows
    X[8] = -X[9]  # antiparallel rows
    # Values: acos/sin/cos of the same clipped cosine; only libm vs NumPy ufunc differences and
    # the Gram matrix's summation order, a few ulp of |x||y| (and ~1e-15 absolute for k_0).
    for Y_ in (None, Y):
        K = relu_kernel(X, Y_, order=order)
        R = kn._relu_kernel_numpy(X, Y_, order=order)
        scale = 1.0 if order == 0 else np.outer(np.linalg.norm(X, axis=1),
                                                np.linalg.norm(X if Y_ is None else Y_, axis=1))
        assert np.all(np.abs(K - R) <= 1e-13 * (1 + scale))


def test_relu_known_values():
    x = np.array([[1.0, 0.0], [0.0, 2.0], [-3.0, 0.0], [0.0, 0.0]])
    K0 = relu_kernel(x, order=0)
    K1 = relu_kernel(x, order=1)
    # theta = pi/2: k0 = 1/2, k1 = |x||y| / pi; theta = pi: k0 = 0, k1 = 0; theta = 0: k0 = 1, k1 = |x|^2
    assert K0[0, 1] == pytest.approx(0.5, abs=1e-15)
    assert K1[0, 1] == pytest.approx(2.0 / np.pi, rel=1e-15)
    assert K0[0, 2] == pytest.approx(0.0, abs=1e-15)
    assert K1[0, 2] == pytest.approx(0.0, abs=1e-14)
    assert np.array_equal(np.diag(K0), [1.0, 1.0, 1.0, 0.0])
    assert np.allclose(np.diag(K1), [1.0, 4.0, 9.0, 0.0], rtol=1e-15)
    assert np.all(K0[3] == 0) and np.all(K1[:, 3] == 0)


@settings(max_examples=20, deadline=None)
@given(
    arrays(np.float64, st.tuples(st.integers(2, 25), st.integers(1, 4)),
           elements=st.floats(-5, 5, allow_nan=False)),
    st.sampled_from([0, 1]),
)
def test_relu_symmetric_psd(X, order):
    K = relu_kernel(X, order=order)
    n = X.shape[0]
    assert np.array_equal(K, K.T)
    lam = np.linalg.eigvalsh(K)
    kmax = max(np.abs(K).max(), 1e-300)
    # PSD up to rounding: entries carry ~1e-8 relative error near theta = 0 (arccos of a cosine
    # rounded to 1 ulp, see the docstring), so eigenvalues can go negative by n * 1e-7 * max K.
    assert lam.min() >= -n * 1e-7 * kmax
    if order == 0:
        assert np.all((K >= -1e-15) & (K <= 1 + 1e-15))


@pytest.mark.parametrize("second", [False, True])
def test_ntk_nngp_match_numpy(second):
    X = _data(40, 3, 8)
    X[2] = 0.0
    Y = _data(15, 3, 9) if second else None
    Yr = X if Y is None else Y
    G = X @ Yr.T
    k0 = kn._relu_kernel_numpy(X, Y, order=0)
    k1 = kn._relu_kernel_numpy(X, Y, order=1)
    scale = 1 + np.outer(np.linalg.norm(X, axis=1), np.linalg.norm(Yr, axis=1))
    # as test_relu_matches_numpy: a few ulp of |x||y| (libm vs numpy ufuncs, summation order)
    assert np.all(np.abs(nngp_relu(X, Y) - 0.5 * k1) <= 1e-13 * scale)
    assert np.all(np.abs(ntk_relu(X, Y) - (0.5 * k1 + 0.5 * G * k0)) <= 1e-13 * scale)
    if Y is None:
        assert np.array_equal(ntk_relu(X), ntk_relu(X).T)


def test_ntk_nngp_monte_carlo():
    """Finite-width kernels of f(x) = m^{-1/2} sum_j a_j relu(w_j.x), w ~ N(0, I), a ~ N(0, 1)."""
    rng = np.random.default_rng(2024)
    d = 3
    X = rng.normal(size=(4, d))
    X[1] = 2 * X[0] + 0.1 * rng.normal(size=d)  # nearly parallel pair
    X[2] = -X[0] + 0.5 * rng.normal(size=d)  # obtuse pair
    m = 200_000
    W = rng.normal(size=(m, d))
    a = rng.normal(size=m)
    P = X @ W.T  # (4, m) pre-activations
    act = np.maximum(P, 0.0)
    step = (P > 0).astype(float)
    NNGP, NTK = nngp_relu(X), ntk_relu(X)
    G = X @ X.T
    for i in range(4):
        for j in range(4):
            # per-neuron contributions; their mean is the empirical kernel at width m
            t_nngp = act[i] * act[j] * a**2  # E[f(x) f(y)] sample with the a_j included
            t_ntk = act[i] * act[j] + a**2 * step[i] * step[j] * G[i, j]
            for t, ref in ((t_nngp, NNGP[i, j]), (t_ntk, NTK[i, j])):
                se = t.std(ddof=1) / np.sqrt(m)
                # 5 standard errors: a false alarm has probability ~6e-7 per entry.
                assert abs(t.mean() - ref) <= 5 * se + 1e-12, (i, j, t.mean(), ref, se)


def test_relu_bad_input():
    X = _data(5, 2)
    for order in (2, -1, 0.5, "1", True, None):
        with pytest.raises(ValueError, match="order"):
            relu_kernel(X, order=order)
    with pytest.raises(ValueError, match="X"):
        relu_kernel(np.array([[np.nan, 1.0]]))
    with pytest.raises(ValueError, match="Y"):
        relu_kernel(X, np.ones((2, 3)))
    with pytest.raises(ValueError, match="X"):
        ntk_relu(np.ones(3))
    with pytest.raises(ValueError, match="Y"):
        ntk_relu(X, np.ones((2, 5)))
    with pytest.raises(ValueError, match="X"):
        nngp_relu(np.array([[np.inf, 1.0]]))
    with pytest.raises(ValueError, match="X"):
        relu_kernel(X * 1e200)
    with pytest.raises(ValueError, match="Y"):
        ntk_relu(X, X * 1e200)


def test_relu_layouts_agree():
    X = _data(30, 4, 9)
    ref = relu_kernel(X)
    assert np.array_equal(relu_kernel(np.asfortranarray(X)), ref)
    big = np.zeros((60, 8))
    big[::2, ::2] = X
    assert np.array_equal(relu_kernel(big[::2, ::2]), ref)
    Xi = (np.arange(24).reshape(6, 4) % 5) - 2
    assert np.array_equal(ntk_relu(Xi), ntk_relu(Xi.astype(float)))


# ------------------------------------------------------------------------------ median heuristic


def test_median_heuristic_matches_scipy():
    for n in (2, 3, 10, 301):
        X = _data(n, 4, n)
        # Same distances up to summation order (a few ulp), same median selection.
        assert median_heuristic(X) == pytest.approx(kn._median_heuristic_numpy(X), rel=1e-13)


def test_median_heuristic_guard():
    assert median_heuristic(np.ones((5, 3))) == 1.0
    X = np.zeros((6, 2))
    X[5] = [3.0, 4.0]  # 10 of 15 pairs coincide: the median of the positive distances (5.0)
    assert median_heuristic(X) == pytest.approx(5.0)
    assert median_heuristic(np.array([[0.0], [2.0]])) == pytest.approx(2.0)


def test_median_heuristic_bad_input():
    with pytest.raises(ValueError, match="X"):
        median_heuristic(np.ones((1, 3)))
    with pytest.raises(ValueError, match="X"):
        median_heuristic(np.array([[np.nan, 0.0], [1.0, 1.0]]))
    with pytest.raises(ValueError, match="X"):
        median_heuristic(np.ones(4))


def test_private_helpers_match_numpy():
    from scipy.spatial.distance import pdist

    X = _data(37, 3, 10)
    out = np.empty(37 * 36 // 2)
    kn._pdist_nb(X, out)
    assert np.allclose(out, pdist(X), rtol=1e-14, atol=0)
    assert np.allclose(_tiles._half_sq_norms(X, 0.3), 0.15 * (X**2).sum(axis=1), rtol=1e-14)
    pI, pJ = _tiles._tile_pairs(3, 3, True)
    assert list(zip(pI, pJ)) == [(0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)]
    pI, pJ = _tiles._tile_pairs(2, 3, False)
    assert list(zip(pI, pJ)) == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]


def test_blas_limit_is_restored_and_reentrant():
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_info

    def blas_threads():
        return sorted(d["num_threads"] for d in threadpool_info() if d["user_api"] == "blas")

    X = _data(300, 4, 11)
    gaussian_kernel(X, sigma=1.0)  # loads scipy's BLAS
    before = blas_threads()
    with limit_threads(1):
        with limit_threads(1):
            assert set(blas_threads()) == {1}
        assert set(blas_threads()) == {1}  # inner exit keeps the outer limit
    assert blas_threads() == before
    with ThreadPoolExecutor(2) as ex:  # concurrent callers (joblib threading backend)
        res = list(ex.map(lambda k: gaussian_kernel(X, sigma=1.0 + k), range(8)))
    assert blas_threads() == before
    assert np.array_equal(res[0], gaussian_kernel(X, sigma=1.0))


# ------------------------------------------------------------------------------ the registry


def test_kernel_registry_names_the_public_kernels():
    X = _data(30, 3, 12)
    Y = _data(20, 3, 13)
    assert dict(kn.KERNELS) == {"gaussian": gaussian_kernel, "relu": relu_kernel,
                                "nngp_relu": nngp_relu, "ntk_relu": ntk_relu}
    for name, fn in kn.KERNELS.items():
        params = {"sigma": 1.3} if name == "gaussian" else {}
        assert fn(X, Y, **params).shape == (30, 20), name
    with pytest.raises(TypeError):  # read-only: a registry cannot be edited by a caller
        kn.KERNELS["laplace"] = gaussian_kernel
