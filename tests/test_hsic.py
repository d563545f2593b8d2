"""Tests for kernelnet.hsic: dense estimators, the fused Gaussian route, properties and errors."""

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernelnet import hsic as hs
from kernelnet import _tiles
from kernelnet.hsic import center, hsic, hsic_gaussian, hsic_gaussian_gamma, normalized_hsic
from kernelnet.kernels import _gaussian_kernel_numpy, gaussian_kernel

EPS = np.finfo(float).eps


def _H(n):
    return np.eye(n) - np.ones((n, n)) / n


def _problem(n, d=4, c=3, seed=0):
    """Features with a real dependence on the labels (so HSIC is well away from 0)."""
    rng = np.random.default_rng(seed)
    c = min(c, n)
    y = rng.integers(0, c, size=n)
    y[:c] = np.arange(c)
    X = rng.normal(size=(n, d)) + 1.5 * np.eye(c, d)[y]  # (classes beyond d: no shift)
    return X, y


def _onehot(y):
    classes = np.unique(y)
    return (np.asarray(y)[:, None] == classes[None, :]).astype(float)


def _dense_terms(X, Ymat, sigma):
    """Dense Gamma and K (reference route) and the scale sum_ij |Gamma_ij K_ij|."""
    n = X.shape[0]
    K = _gaussian_kernel_numpy(X, sigma=sigma)
    Gam = _H(n) @ (Ymat @ Ymat.T) @ _H(n)
    return K, Gam, np.abs(Gam * K).sum()


# HSIC is a cancelling sum: compare with a tolerance scaled by S = sum_ij |Gamma_ij K_ij|.
# Each term carries a relative error of at most ~10 eps (K from a Gram matrix with centred,
# unit-scale data plus the vectorised exp, Gamma from the centring) and a sum of n^2 terms in
# blocks adds at most ~(256 + n/256 + 16) eps relative to S in the worst case; 1e3 eps S covers
# both with room and is still far below any meaningful HSIC value.
def _scaled_tol(S, n):
    return 1e3 * EPS * S / (n - 1) ** 2


# ------------------------------------------------------------------------------ dense estimators


def test_center_matches_HKH():
    rng = np.random.default_rng(1)
    A = rng.normal(size=(7, 7))
    n = 7
    assert np.allclose(center(A), _H(n) @ A @ _H(n), rtol=0, atol=1e-14)
    K = gaussian_kernel(rng.normal(size=(20, 2)), sigma=1.0)
    C = center(K)
    assert np.allclose(C.sum(axis=0), 0, atol=1e-13) and np.allclose(C.sum(axis=1), 0, atol=1e-13)


def test_hsic_matches_trace_formula():
    X, y = _problem(60, seed=2)
    n = 60
    K = gaussian_kernel(X, sigma=2.0)
    L = _onehot(y) @ _onehot(y).T
    H = _H(n)
    ref = np.trace(K @ H @ L @ H) / (n - 1) ** 2
    S = np.abs(K * (H @ L @ H)).sum()
    assert abs(hsic(K, L) - ref) <= _scaled_tol(S, n)
    # non-symmetric square matrices: still the trace
    rng = np.random.default_rng(3)
    A, B = rng.normal(size=(5, 5)), rng.normal(size=(5, 5))
    assert hsic(A, B) == pytest.approx(np.trace(A @ _H(5) @ B @ _H(5)) / 16, abs=1e-13)


@pytest.mark.parametrize("variant", ["cka", "authors"])
def test_normalized_hsic_definitions(variant):
    X, y = _problem(50, seed=4)
    y[:7] = 0  # unbalanced, so the two numerators differ
    K = gaussian_kernel(X, sigma=1.5)
    L = _onehot(y) @ _onehot(y).T
    H = _H(50)
    if variant == "cka":
        A, B = H @ K @ H, H @ L @ H
    else:
        A, B = H @ K, H @ L
    ref = np.sum(A * B) / (np.linalg.norm(A) * np.linalg.norm(B))
    assert normalized_hsic(K, L, variant=variant) == pytest.approx(ref, rel=1e-12)
    assert normalized_hsic(K, K, variant=variant) == pytest.approx(1.0, rel=1e-14)
    assert normalized_hsic(L, L, variant=variant) == pytest.approx(1.0, rel=1e-14)


def test_normalized_variants_agree_when_balanced():
    # <HK, HL> = Tr(KHLH) + 1'KHL1/n, and HL1 = 0 for balanced one-hot labels.
    X, _ = _problem(60, seed=5)
    y = np.repeat([0, 1, 2], 20)
    K = gaussian_kernel(X, sigma=1.0)
    L = _onehot(y) @ _onehot(y).T
    H = _H(60)
    num_a = np.sum((H @ K) * (H @ L))
    assert num_a == pytest.approx(np.trace(K @ H @ L @ H), rel=1e-12)


@settings(max_examples=25, deadline=None)
@given(st.integers(3, 40), st.integers(0, 10_000), st.floats(0.2, 10.0))
def test_dense_properties(n, seed, sigma):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = rng.integers(0, 3, size=n)
    y[:2] = [0, 1]
    K = gaussian_kernel(X, sigma=sigma)
    L = _onehot(y) @ _onehot(y).T
    S = np.abs(center(L) * K).sum()
    v = hsic(K, L)
    assert v >= -_scaled_tol(S, n)  # HSIC >= 0 for PSD kernels, up to rounding
    p = rng.permutation(n)
    assert abs(hsic(K[np.ix_(p, p)], L[np.ix_(p, p)]) - v) <= _scaled_tol(S, n)
    # CKA in [0, 1] (Cauchy-Schwarz, PSD); skip degenerate K (all points far apart: K ~ I is fine)
    r = normalized_hsic(K, L)
    assert -1e-12 <= r <= 1 + 1e-12


def test_dense_bad_input():
    K = np.eye(4)
    with pytest.raises(ValueError, match="K"):
        center(np.ones((3, 4)))
    with pytest.raises(ValueError, match="K"):
        center(np.ones((1, 1)))
    with pytest.raises(ValueError, match="K"):
        hsic(np.ones((3, 4)), np.ones((3, 3)))
    with pytest.raises(ValueError, match="L"):
        hsic(K, np.ones((4, 3)))
    with pytest.raises(ValueError, match="K and L"):
        hsic(K, np.eye(5))
    with pytest.raises(ValueError, match="K"):
        hsic(np.full((4, 4), np.nan), K)
    with pytest.raises(ValueError, match="L"):
        hsic(K, np.full((4, 4), np.inf))
    with pytest.raises(ValueError, match="K"):
        hsic(np.ones(4), K)
    with pytest.raises(ValueError, match="variant"):
        normalized_hsic(K, K, variant="cca")
    with pytest.raises(ValueError, match="K is constant"):
        normalized_hsic(np.ones((4, 4)), K)
    with pytest.raises(ValueError, match="L is constant"):
        normalized_hsic(K, np.ones((4, 4)), variant="authors")
    for const in (0.1, 1 / 3, 7.7):  # not exactly representable: centring leaves rounding noise
        with pytest.raises(ValueError, match="K is constant"):
            normalized_hsic(np.full((9, 9), const), np.eye(9))


# ------------------------------------------------------------------------------ fused route


@pytest.mark.parametrize("n", [2, 3, 257, 700])
@pytest.mark.parametrize("sigma", [0.3, 2.0, 40.0])
def test_hsic_gaussian_matches_dense(n, sigma):
    X, y = _problem(n, seed=n)
    K, Gam, S = _dense_terms(X, _onehot(y), sigma)
    ref = np.sum(Gam * K) / (n - 1) ** 2
    assert abs(hsic_gaussian(X, y, sigma=sigma) - ref) <= _scaled_tol(S, n)
    L = _onehot(y) @ _onehot(y).T
    assert abs(hsic(K, L) - ref) <= _scaled_tol(S, n)


@pytest.mark.parametrize("normalized", [True, "cka", "authors"])
@pytest.mark.parametrize("sigma", [0.5, 3.0, 100.0])
def test_hsic_gaussian_normalized_matches_dense(normalized, sigma):
    n = 530
    X, y = _problem(n, seed=11)
    y[:40] = 0  # unbalanced
    K = _gaussian_kernel_numpy(X, sigma=sigma)
    L = _onehot(y) @ _onehot(y).T
    variant = "cka" if normalized is True else normalized
    ref = normalized_hsic(K, L, variant=variant)
    # The denominator ||HKH||_F^2 = sum K'^2 - 2|r'|^2/n + s'^2/n^2 cancels: its relative error is
    # ~ (n + 256) eps sum K^2 / ||HKH||^2 at worst (K' = K - kappa only makes it smaller);
    # the numerator as in _scaled_tol.
    C = center(K)
    cond = np.sum(K**2) / np.sum(C**2)
    Gam = center(L)
    cond_num = np.abs(Gam * K).sum() / abs(np.sum(Gam * K))
    tol = 1e3 * EPS * (cond + cond_num) + 1e-15
    got = hsic_gaussian(X, y, sigma=sigma, normalized=normalized)
    assert got == pytest.approx(ref, rel=tol, abs=0)


@pytest.mark.parametrize("seed", range(4))
def test_hsic_gaussian_matches_dense_reference(seed):
    """The fused route against hsic._hsic_gaussian_numpy (K from direct differences, dense hsic /
    normalized_hsic) on random data: sizes, widths, class counts, scales and labels drawn at
    random (labels independent of X, so HSIC is small: the hardest case for a relative test).

    Tolerance 1e-12 relative (about 4,500 eps): the measured worst over these 72 cases is
    1.1e-13, so the test has a margin of 9 and still fails on any error above rounding.
    """
    rng = np.random.default_rng(100 + seed)
    n, d, c = int(rng.integers(50, 700)), int(rng.integers(1, 8)), int(rng.integers(2, 6))
    X = rng.normal(size=(n, d)) * rng.uniform(0.3, 3.0)
    y = rng.integers(0, c, size=n)
    Ymat = rng.normal(size=(n, 2))
    for sigma in (0.3, 1.0, 5.0):
        for normalized in (False, True, "authors"):
            for Y in (y, Ymat):
                ref = hs._hsic_gaussian_numpy(X, Y, sigma=sigma, normalized=normalized)
                got = hsic_gaussian(X, Y, sigma=sigma, normalized=normalized)
                assert got == pytest.approx(ref, rel=1e-12, abs=0), (sigma, normalized)


def test_hsic_gaussian_label_kinds_and_matrix_Y():
    X, y = _problem(300, seed=12)
    ref = hsic_gaussian(X, y, sigma=1.3)
    names = np.array(["cat", "dog", "emu"])[y]
    assert hsic_gaussian(X, names, sigma=1.3) == ref
    assert hsic_gaussian(X, y.astype(float), sigma=1.3) == ref
    assert hsic_gaussian(X, list(y + 10), sigma=1.3) == ref
    assert hsic_gaussian(X, _onehot(y), sigma=1.3) == pytest.approx(ref, rel=1e-12)
    # a real-valued Y matrix: L = Y Y^T
    rng = np.random.default_rng(0)
    Ym = rng.normal(size=(300, 2)) + X[:, :2]
    K, Gam, S = _dense_terms(X, Ym, 1.3)
    assert abs(hsic_gaussian(X, Ym, sigma=1.3) - np.sum(Gam * K) / 299**2) <= _scaled_tol(S, 300)


def test_hsic_gaussian_gamma_primitive():
    X, y = _problem(400, seed=13)
    Z = _onehot(y) - _onehot(y).mean(axis=0)
    K, Gam, S = _dense_terms(X, _onehot(y), 0.8)
    got = hsic_gaussian_gamma(X, Z, sigma=0.8)
    assert abs(got - np.sum(Gam * K)) <= 1e3 * EPS * S
    assert got / 399**2 == pytest.approx(hsic_gaussian(X, y, sigma=0.8), rel=1e-13)
    # a 1-D Z is one column
    z = Z[:, 0]
    assert hsic_gaussian_gamma(X, z, sigma=0.8) == pytest.approx(
        np.sum(np.outer(z, z) * K), rel=1e-10)


@pytest.mark.parametrize("normalized", [False, True, "authors"])
def test_hsic_gaussian_thread_count_independent(normalized, monkeypatch):
    X, y = _problem(900, seed=14)
    serial = hsic_gaussian(X, y, sigma=1.0, normalized=normalized)  # small: one-thread driver
    monkeypatch.setattr(_tiles, "_PARALLEL_MIN_WORK", 0.0)  # force the parallel driver
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        v1 = hsic_gaussian(X, y, sigma=1.0, normalized=normalized)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        v2 = hsic_gaussian(X, y, sigma=1.0, normalized=normalized)
    finally:
        numba.set_num_threads(old)
    assert v1 == v2 == serial  # same chunks, same order: bit for bit


def test_hsic_gaussian_input_layouts_agree():
    X, y = _problem(300, seed=15)
    ref = hsic_gaussian(X, y, sigma=1.0)
    assert hsic_gaussian(np.asfortranarray(X), y, sigma=1.0) == ref
    big = np.zeros((600, 8))
    big[::2, ::2] = X
    assert hsic_gaussian(big[::2, ::2], y, sigma=1.0) == ref
    assert hsic_gaussian(X, np.repeat(y, 2)[::2], sigma=1.0) == ref  # strided labels
    Xi = np.round(X * 3).astype(np.int64)
    assert hsic_gaussian(Xi, y, sigma=2) == hsic_gaussian(Xi.astype(float), y, sigma=2.0)
    X32 = X.astype(np.float32)
    assert hsic_gaussian(X32, y, sigma=1.0) == hsic_gaussian(X32.astype(float), y, sigma=1.0)
    yint32 = y.astype(np.int32)
    assert hsic_gaussian(X, yint32, sigma=1.0) == ref


@settings(max_examples=20, deadline=None)
@given(st.integers(2, 300), st.integers(0, 10_000), st.floats(0.1, 20.0))
def test_hsic_gaussian_properties(n, seed, sigma):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = rng.integers(0, 2, size=n)
    y[:2] = [0, 1]
    K, Gam, S = _dense_terms(X, _onehot(y), sigma)
    v = hsic_gaussian(X, y, sigma=sigma)
    tol = _scaled_tol(S, n)
    assert v >= -tol
    assert abs(v - np.sum(Gam * K) / (n - 1) ** 2) <= tol
    p = rng.permutation(n)
    assert abs(hsic_gaussian(X[p], y[p], sigma=sigma) - v) <= tol
    # the normalised value lies in [0, 1] (Cauchy-Schwarz, PSD kernels), up to rounding
    r = hsic_gaussian(X, y, sigma=sigma, normalized=True)
    assert -1e-9 <= r <= 1 + 1e-9


def test_hsic_gaussian_normalized_is_one_for_matching_kernels():
    # With Y = the (exact) feature map of a linear kernel on X and sigma huge, K ~ 1 - D/(2 s^2)
    # so HKH ~ H X X^T H / sigma^2: CKA(K, X X^T) -> 1 as sigma -> inf.
    rng = np.random.default_rng(16)
    X = rng.normal(size=(200, 3))
    r = hsic_gaussian(X, X, sigma=1e3, normalized=True)
    assert r == pytest.approx(1.0, abs=1e-5)


def test_hsic_gaussian_bad_input():
    X, y = _problem(20)
    with pytest.raises(ValueError, match="sigma"):
        hsic_gaussian(X, y, sigma=0)
    with pytest.raises(ValueError, match="sigma"):
        hsic_gaussian(X, y, sigma=-2.0)
    with pytest.raises(ValueError, match="sigma"):
        hsic_gaussian(X, y, sigma=np.nan)
    with pytest.raises(ValueError, match="sigma"):
        hsic_gaussian(X, y, sigma=1e-170)  # |x|^2 / sigma^2 overflows: no NaN
    with pytest.raises(ValueError, match="X"):
        hsic_gaussian(X[:1], y[:1], sigma=1.0)
    with pytest.raises(ValueError, match="X"):
        hsic_gaussian(np.where(np.eye(20, 4) > 0, np.nan, X), y, sigma=1.0)
    with pytest.raises(ValueError, match="X"):
        hsic_gaussian(X[:, 0], y, sigma=1.0)
    with pytest.raises(ValueError, match="Y"):
        hsic_gaussian(X, y[:-1], sigma=1.0)
    with pytest.raises(ValueError, match="Y"):
        hsic_gaussian(X, np.zeros(20, dtype=int), sigma=1.0)  # one class
    with pytest.raises(ValueError, match="Y"):
        hsic_gaussian(X, np.linspace(0, 1, 20), sigma=1.0)  # continuous labels
    with pytest.raises(ValueError, match="Y"):
        hsic_gaussian(X, np.ones((19, 2)), sigma=1.0)
    with pytest.raises(ValueError, match="Y"):
        hsic_gaussian(X, np.full((20, 2), np.inf), sigma=1.0)
    with pytest.raises(ValueError, match="Y"):
        hsic_gaussian(X, np.ones((20, 2, 1)), sigma=1.0)
    with pytest.raises(ValueError, match="normalized"):
        hsic_gaussian(X, y, sigma=1.0, normalized="yes")
    with pytest.raises(ValueError, match="normalized"):
        hsic_gaussian(X, y, sigma=1.0, normalized=1)
    with pytest.raises(ValueError, match="X gives"):
        hsic_gaussian(np.ones((20, 2)), y, sigma=1.0, normalized=True)
    with pytest.raises(ValueError, match="Y is constant"):
        hsic_gaussian(X, np.ones((20, 2)), sigma=1.0, normalized="cka")
    for const in (0.1, 1 / 3):
        with pytest.raises(ValueError, match="Y is constant"):
            hsic_gaussian(X, np.full((20, 3), const), sigma=1.0, normalized="authors")
    with pytest.raises(ValueError, match="Z"):
        hsic_gaussian_gamma(X, np.ones((19, 2)), sigma=1.0)
    with pytest.raises(ValueError, match="Z"):
        hsic_gaussian_gamma(X, np.full((20, 1), np.nan), sigma=1.0)
    with pytest.raises(ValueError, match="sigma"):
        hsic_gaussian_gamma(X, np.ones((20, 1)), sigma=0.0)


@pytest.mark.parametrize("c", [2, 4, 5, 9])
def test_hsic_gaussian_class_counts(c):
    # the fused kernel pads the label factor to a multiple of 4 columns
    n = 400
    X, y = _problem(n, d=3, c=c, seed=20 + c)
    K, Gam, S = _dense_terms(X, _onehot(y), 1.2)
    assert abs(hsic_gaussian(X, y, sigma=1.2) - np.sum(Gam * K) / (n - 1) ** 2) <= _scaled_tol(S, n)


def test_private_reduction_kernels_match_numpy():
    rng = np.random.default_rng(21)
    for m in (1, 7, 256, 1001):
        v = rng.normal(size=m)
        Z = rng.normal(size=(4, m))
        got = hs._dot4(v, Z[0], Z[1], Z[2], Z[3])
        # reassociated (vectorised) sums: a few eps times the sum of |terms|
        for a in range(4):
            assert abs(got[a] - Z[a] @ v) <= 8 * m * EPS * (np.abs(Z[a] * v).sum())
        col = rng.normal(size=m)
        col0 = col.copy()
        s1, s2 = hs._sum_sumsq_cols(v, col)
        assert abs(s1 - v.sum()) <= 8 * m * EPS * np.abs(v).sum()
        assert abs(s2 - (v**2).sum()) <= 8 * m * EPS * (v**2).sum()
        assert np.array_equal(col, col0 + v)
    Zt = hs._transpose_pad4(rng.normal(size=(10, 5)))
    assert Zt.shape == (8, 10) and np.all(Zt[5:] == 0) and Zt.flags.c_contiguous
