"""Tests for kernelnet.twolayer (seed 003: Xie, Liang and Song 2017; Du et al. 2018).

Every formula is checked two ways: closed form against Monte Carlo within its error bar,
gradients against finite differences (Taylor orders and central differences), numba against
numpy, quadrature against closed forms and known special values.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad
from threadpoolctl import threadpool_limits

from kernelnet import twolayer as tl
from kernelnet.checks import adjoint_test, derivative_check


@pytest.fixture(scope="module")
def small():
    X = tl.sample_sphere(40, 5, random_state=0)
    W, v = tl.init_weights(30, 5, random_state=1)
    y = np.random.default_rng(2).uniform(-1.0, 1.0, 40)
    return X, W, v, y


# ---------------------------------------------------------------------------------------------
# D, D r, gradient
# ---------------------------------------------------------------------------------------------


def test_dense_D_layout_matches_definition(small):
    X, W, v, _ = small
    D = tl.extended_feature_matrix(W, v, X)
    n, d = W.shape
    assert D.shape == (n * d, X.shape[0])
    for k, l in [(0, 0), (3, 7), (n - 1, X.shape[0] - 1)]:
        expected = v[k] * float(W[k] @ X[l] > 0) * X[l]
        np.testing.assert_array_equal(D[k * d:(k + 1) * d, l], expected)


@pytest.mark.parametrize("shape", [(40, 5, 30), (257, 13, 61)])
def test_d_matvec_numba_numpy_dense_parity(shape):
    m, d, n = shape
    X = tl.sample_sphere(m, d, random_state=3)
    W, v = tl.init_weights(n, d, random_state=4)
    r = np.random.default_rng(5).standard_normal(m)
    a = tl.d_matvec(W, v, X, r, method="numba")
    b = tl.d_matvec(W, v, X, r, method="numpy")
    c = tl.d_matvec(W, v, X, r, method="dense")
    # Same m-term sums in different orders: the difference is bounded by m * eps * sum_l |r_l|
    # (|x_l| = 1); 1e-13 * sum|r| is ~10x above that for m <= 257. The activation patterns agree
    # unless some |w_k^T x_l| < 1e-15, which the fixed seeds exclude.
    tol = 1e-13 * np.sum(np.abs(r)) * max(1.0, m / 100)
    assert np.max(np.abs(a - b)) <= tol
    assert np.max(np.abs(a - c)) <= tol


def test_adjoint_d_matvec_d_rmatvec(small):
    X, W, v, _ = small
    n, d = W.shape
    res = adjoint_test(
        lambda r: tl.d_matvec(W, v, X, r, method="numpy").ravel(),
        lambda u: tl.d_rmatvec(W, v, X, u.reshape(n, d)),
        X.shape[0], n * d, random_state=0,
    )
    assert res.passed, str(res)


def test_loss_gradient_taylor_orders(small):
    X, W, v, y = small
    # derivative_check: E1 = O(h^2) for the right gradient, O(h) for a wrong one (threshold 1.5).
    # L is piecewise quadratic in W; a ReLU switching inside the largest steps only perturbs
    # those steps, and the reported order is the median over 12 halvings.
    res = derivative_check(
        lambda Wf: tl.loss(Wf, v, X, y),
        lambda Wf, V: float(np.sum(tl.loss_gradient(Wf, v, X, y) * V)),
        W, h0=1e-2, random_state=0, name="dL/dW = D r",
    )
    assert res.passed, str(res)
    wrong = derivative_check(
        lambda Wf: tl.loss(Wf, v, X, y),
        lambda Wf, V: float(np.sum(1.1 * tl.loss_gradient(Wf, v, X, y) * V)),
        W, h0=1e-2, random_state=0,
    )
    assert not wrong.passed  # the check can fail


def test_loss_gradient_central_differences():
    X = tl.sample_sphere(10, 3, random_state=7)
    W, v = tl.init_weights(5, 3, random_state=8)
    y = np.random.default_rng(9).standard_normal(10)
    g = tl.loss_gradient(W, v, X, y)
    h = 1e-6
    fd = np.empty_like(W)
    for idx in np.ndindex(W.shape):
        E = np.zeros_like(W)
        E[idx] = h
        fd[idx] = (tl.loss(W + E, v, X, y) - tl.loss(W - E, v, X, y)) / (2 * h)
    # Central differences: truncation O(h^2) = 0 inside a linear piece of f (L is quadratic
    # there), rounding ~ eps |L| / h ~ 1e-10 |L|; no pattern switches within 1e-6 for these seeds.
    scale = max(1.0, tl.loss(W, v, X, y))
    np.testing.assert_allclose(g, fd, atol=1e-8 * scale, rtol=0)


# ---------------------------------------------------------------------------------------------
# G: closed form, Monte Carlo, finite width
# ---------------------------------------------------------------------------------------------


def test_relu_gram_matches_talk_formula():
    X = tl.sample_sphere(30, 4, random_state=1)
    C = np.clip(X @ X.T, -1, 1)
    talk = (0.5 - np.arccos(C) / (2 * np.pi)) * C
    np.fill_diagonal(talk, 0.5)
    # arccos near c = 1 is accurate to ~sqrt(eps) ~ 1.5e-8 in theta; off-diagonal angles of random
    # points are far from 0, so both routes agree to ~1e-15; 1e-12 leaves margin.
    np.testing.assert_allclose(tl.relu_gram(X), talk, atol=1e-12)


def test_relu_gram_closed_form_vs_monte_carlo_within_error_bar():
    X = tl.sample_sphere(12, 5, random_state=0)
    S = 200_000
    Gh, se = tl.relu_gram_mc(X, S, random_state=1)
    G = tl.relu_gram(X)
    iu = np.triu_indices(12)
    z = (Gh - G)[iu] / se[iu]
    # se is the exact Bernoulli standard error; S p (1-p) >= 10^4 so the CLT holds. 78 z-scores:
    # P(max |z| > 5) <= 78 * 5.7e-7 < 1e-4. The mean of z^2 is ~1 (chi^2 with correlated terms):
    # a wrong kernel (e.g. no 1/2) gives z ~ 100.
    assert np.max(np.abs(z)) < 5.0
    assert 0.3 < np.mean(z**2) < 3.0


def test_empirical_gram_is_DtD_over_n(small):
    X, W, v, _ = small
    D = tl.extended_feature_matrix(W, v, X)
    # two GEMMs of inner size <= 150 on O(1) entries: rounding ~1e-15
    np.testing.assert_allclose(tl.empirical_gram(W, X), D.T @ D / W.shape[0], atol=1e-12)
    s_m = tl.min_singular_value_D(W, X)
    assert s_m == pytest.approx(np.linalg.svd(D, compute_uv=False)[X.shape[0] - 1], rel=1e-8)


# ---------------------------------------------------------------------------------------------
# E k^2, weight discrepancy, regulariser
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("d", [2, 3, 4, 7, 50, 1000])
def test_expected_k_squared_closed_vs_quadrature(d):
    # closed form (finite sum) vs Gauss-Legendre with 400 nodes (geometric convergence): 1e-13
    assert tl.expected_k_squared(d) == pytest.approx(
        tl.expected_k_squared(d, method="quadrature"), abs=1e-13)


def test_expected_k_squared_special_values_and_monte_carlo():
    assert tl.expected_k_squared(2) == pytest.approx(1 / 12, abs=1e-15)
    assert tl.expected_k_squared(3) == pytest.approx(1 / 8 - 1 / (2 * math.pi**2), abs=1e-15)
    assert tl.expected_k_squared(100_000) == pytest.approx(1 / 16, abs=1e-6)
    u = tl.sample_sphere(400_000, 6, random_state=10)
    w = tl.sample_sphere(400_000, 6, random_state=11)
    k2 = (0.5 - np.arccos(np.clip(np.einsum("ij,ij->i", u, w), -1, 1)) / (2 * np.pi)) ** 2
    se = k2.std() / math.sqrt(k2.size)
    assert abs(k2.mean() - tl.expected_k_squared(6)) < 4.5 * se  # 4.5 sigma: P ~ 7e-6


def test_weight_discrepancy_mean_for_random_weights():
    n, d, reps = 20, 4, 400
    rng = np.random.default_rng(0)
    vals = np.array([tl.weight_discrepancy(rng.standard_normal((n, d)), squared=True)
                     for _ in range(reps)])
    expected = (0.25 - tl.expected_k_squared(d)) / n
    se = vals.std(ddof=1) / math.sqrt(reps)
    assert abs(vals.mean() - expected) < 4.5 * se
    # fully clustered weights (all parallel) have the largest discrepancy: 1/4 - E k^2
    W = np.tile(rng.standard_normal(d), (n, 1))
    assert tl.weight_discrepancy(W, squared=True) == pytest.approx(
        0.25 - tl.expected_k_squared(d), abs=1e-12)


def test_regulariser_value_and_kernel_consistency():
    W = np.random.default_rng(1).standard_normal((15, 6))
    K = tl.weight_kernel(W)
    n = W.shape[0]
    direct = sum(K[i, j] ** 2 for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    assert tl.diversity_regulariser(W) == pytest.approx(direct, rel=1e-13)


def test_regulariser_gradient_finite_differences():
    W = np.random.default_rng(3).standard_normal((12, 5))
    res = derivative_check(tl.diversity_regulariser,
                           lambda Wf, V: float(np.sum(tl.diversity_regulariser_grad(Wf) * V)),
                           W, h0=0.1, random_state=1, name="dR/dW")
    assert res.passed, str(res)
    g = tl.diversity_regulariser_grad(W)
    h = 1e-5
    fd = np.empty_like(W)
    for idx in np.ndindex(W.shape):
        E = np.zeros_like(W)
        E[idx] = h
        fd[idx] = (tl.diversity_regulariser(W + E) - tl.diversity_regulariser(W - E)) / (2 * h)
    # truncation O(h^2 |R'''|) ~ 1e-10, rounding eps * R / h ~ 1e-12 (R ~ 0.07); |g| ~ 1e-2
    np.testing.assert_allclose(g, fd, atol=1e-9)


def test_regulariser_gradient_at_parallel_pairs_is_finite_and_consistent():
    rng = np.random.default_rng(4)
    W = rng.standard_normal((6, 4))
    W[1] = 2.5 * W[0]   # parallel pair: arccos'(1) is infinite
    W[2] = -W[3]        # antiparallel pair
    g = tl.diversity_regulariser_grad(W)
    assert np.all(np.isfinite(g))
    # along directions that keep the pairs (anti)parallel R is smooth: FD must match
    V = rng.standard_normal(W.shape)
    V[1] = 2.5 * V[0]
    V[2] = -V[3]
    h = 1e-5
    fd = (tl.diversity_regulariser(W + h * V) - tl.diversity_regulariser(W - h * V)) / (2 * h)
    assert float(np.sum(g * V)) == pytest.approx(fd, abs=1e-9)


def test_regulariser_gradient_cosines_match_relu_kernel():
    # the gradient recomputes k from the cosines; it must equal kernels.relu_kernel / 2
    W = np.random.default_rng(6).standard_normal((9, 3))
    Wh = W / np.linalg.norm(W, axis=1, keepdims=True)
    C = np.clip(Wh @ Wh.T, -1, 1)
    K = 0.5 - np.arctan2(np.sqrt(np.clip(1 - C * C, 0, None)), C) / (2 * np.pi)
    np.testing.assert_allclose(K, tl.weight_kernel(W), atol=1e-12)


# ---------------------------------------------------------------------------------------------
# spectrum (Funk-Hecke)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("d", [2, 3, 5, 10])
def test_harmonic_eigenvalues_exact_values_and_trace(d):
    gam, mult = tl.harmonic_eigenvalues(d, 60)
    assert gam[1] == pytest.approx(1 / (4 * d), abs=1e-13)      # linear part t/4
    assert np.max(np.abs(gam[3::2])) < 1e-13                     # t arcsin t is even
    assert np.all(gam[0::2] > 0)
    # sum_u N gamma_u^2 = E[kappa(<x,y>)^2]; the tail beyond u = 60 is < 1e-6 here
    # reference by adaptive quadrature (scipy.integrate.quad, a different rule), tol 1e-13
    num = quad(lambda th: (math.cos(th) * (0.5 - th / (2 * math.pi))) ** 2
               * math.sin(th) ** (d - 2), 0, math.pi, epsabs=1e-14, epsrel=1e-13)[0]
    den = quad(lambda th: math.sin(th) ** (d - 2), 0, math.pi, epsabs=1e-14, epsrel=1e-13)[0]
    assert np.sum(mult * gam**2) == pytest.approx(num / den, rel=1e-5)
    # Mercer trace sum N gamma = kappa(1) = 1/2; the tail decays like 1/U
    assert 0.49 < np.sum(mult * gam) <= 0.5


def test_gamma_sequence_against_kernel_matrix_eigenvalues():
    m, d = 1500, 3
    X = tl.sample_sphere(m, d, random_state=0)
    with threadpool_limits(1):  # one thread: faster and steadier on a shared 2-core machine
        ev = np.linalg.eigvalsh(tl.relu_gram(X))[::-1] / m
    gam = tl.gamma_sequence(d, 9)
    # clusters of degree 1 (3), degree 0 (1), degree 2 (5): lambda_i(G)/m -> gamma_i with error
    # O(1/sqrt(m)) per eigenvalue that averages over a cluster; measured ~0.5%, tolerance 3%.
    for sl in (slice(0, 3), slice(3, 4), slice(4, 9)):
        assert ev[sl].mean() == pytest.approx(gam[sl].mean(), rel=0.03)


# ---------------------------------------------------------------------------------------------
# training and gradient flow
# ---------------------------------------------------------------------------------------------


def test_gd_decreases_loss_with_and_without_regulariser():
    X = tl.sample_sphere(60, 5, random_state=0)
    Wt, vt = tl.init_weights(4, 5, random_state=1)
    y = tl.forward(Wt, vt, X)
    W, v = tl.init_weights(20, 5, random_state=2)
    for reg in (0.0, 0.5):
        res = tl.train_gd(X, y, W, v, lr=0.05, n_steps=200, reg=reg, record_every=20)
        obj = res.history["objective"]
        assert obj[-1] < 0.2 * obj[0]
        assert np.all(np.diff(obj) <= 1e-12 * obj[0])
    # with the regulariser, R ends lower than without
    r0 = tl.train_gd(X, y, W, v, lr=0.05, n_steps=200).history["reg"][-1]
    r1 = tl.train_gd(X, y, W, v, lr=0.05, n_steps=200, reg=5.0).history["reg"][-1]
    assert r1 < r0


def test_key_inequality_along_training():
    X = tl.sample_sphere(30, 5, random_state=0)
    y = np.random.default_rng(1).uniform(-1, 1, 30)
    W, v = tl.init_weights(40, 5, random_state=2)
    h = tl.train_gd(X, y, W, v, lr=0.02, n_steps=50, record_every=10,
                    track_singular=True).history
    # ||r|| <= ||D r|| / s_m(D) is linear algebra; rounding only (1e-12 relative)
    assert np.all(h["r_norm"] <= h["grad_norm"] / h["s_min"] * (1 + 1e-12))


def test_gradient_flow_beats_exponential_bound_on_wide_network():
    X = tl.sample_sphere(8, 6, random_state=0)
    y = np.random.default_rng(1).uniform(-1, 1, 8)
    W, a = tl.init_weights(3000, 6, random_state=2)
    lam0 = float(np.linalg.eigvalsh(tl.relu_gram(X))[0])
    fr = tl.gradient_flow(X, y, W, a, t_max=4.0 / lam0, record_every=10)
    # Du et al. Lemma 3.3: lambda_min(H(s)) >= lambda0/2 for s <= t implies
    # ||r(t)||^2 <= exp(-lambda0 t) ||r(0)||^2. The Euler step contracts each mode by
    # 1 - dt lambda <= exp(-dt lambda), so the discrete path satisfies it too; 1e-9 is rounding.
    assert np.all(fr.lam_min >= fr.lambda0 / 2)
    assert np.all(fr.r2 <= fr.bound * (1 + 1e-9))
    assert fr.r2[-1] < np.exp(-3.5) * fr.r2[0]
    assert fr.max_move[-1] <= fr.R_prime


# ---------------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------------


def test_bad_input_raises(small):
    X, W, v, y = small
    with pytest.raises(ValueError, match="X rows must have unit norm"):
        tl.relu_gram(2 * X)
    with pytest.raises(ValueError, match="X rows must have unit norm"):
        tl.d_matvec(W, v, 1.01 * X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="n must be >= 2"):
        tl.init_weights(1, 3)
    with pytest.raises(ValueError, match="W needs at least 2 rows"):
        tl.diversity_regulariser(np.ones((1, 3)))
    with pytest.raises(ValueError, match="W needs at least 2 rows"):
        tl.weight_discrepancy(np.ones((1, 3)))
    with pytest.raises(ValueError, match="W must have 5 columns"):
        tl.d_matvec(W[:, :4], v, X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="r must have length"):
        tl.d_matvec(W, v, X, np.zeros(len(X) + 1))
    with pytest.raises(ValueError, match="v must have length"):
        tl.forward(W, v[:-1], X)
    with pytest.raises(ValueError, match="v must hold output signs"):
        tl.extended_feature_matrix(W, 0.5 * v, X)
    with pytest.raises(ValueError, match="method must be one of"):
        tl.d_matvec(W, v, X, np.zeros(len(X)), method="fast")
    with pytest.raises(ValueError, match="y must have length"):
        tl.loss(W, v, X, y[:-1])
    with pytest.raises(ValueError, match="W contains"):
        tl.diversity_regulariser_grad(np.full((3, 2), np.nan))
    with pytest.raises(ValueError, match="zero row"):
        tl.diversity_regulariser_grad(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="d must be >= 2"):
        tl.expected_k_squared(1)
    with pytest.raises(ValueError, match="lr must be"):
        tl.train_gd(X, y, W, v, lr=-1.0, n_steps=3)
    with pytest.raises(ValueError, match="random_state"):
        tl.sample_sphere(3, 3, random_state="seed")
    with pytest.raises(ValueError, match="W, X: dense D"):
        big = tl.sample_sphere(2000, 100, random_state=0)
        tl.extended_feature_matrix(np.ones((300, 100)), np.ones(300), big)


def test_numba_d_matvec_does_not_depend_on_thread_count():
    import numba

    X = tl.sample_sphere(300, 7, random_state=1)
    W, v = tl.init_weights(45, 7, random_state=2)
    r = np.random.default_rng(3).standard_normal(300)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        a = tl.d_matvec(W, v, X, r, method="numba")
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        b = tl.d_matvec(W, v, X, r, method="numba")
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(a, b)  # each row is summed by one thread in index order


# ---------------------------------------------------------------------------------------------
# the chapter's experiments
# ---------------------------------------------------------------------------------------------


def test_talk_table_is_the_transcribed_data():
    from kernelnet.experiments import diverse_weights as dw

    t = dw.talk_table()
    assert len(t) == 16 and set(t.n) == set(dw.TALK_WIDTHS)
    row = t[(t.n == 200) & (t.method == "reg") & (t.split == "test")].iloc[0]
    assert (row["mean"], row["std"]) == (0.58, 0.59)


def test_same_seed_same_table_and_seed_matters():
    from kernelnet.experiments import diverse_weights as dw

    kw = dict(quick=True, widths=(20, 30), m=40, m_test=40, n_steps=20, repeats=2, d=5,
              k_teacher=5)
    a = dw.regulariser_table(seed=3, **kw)
    b = dw.regulariser_table(seed=3, **kw)
    c = dw.regulariser_table(seed=4, **kw)
    assert a.equals(b)
    assert not a.equals(c)
    # the (width, repeat) cells run through kernelnet.parallel.map_units: identical on 2 workers
    assert a.equals(dw.regulariser_table(seed=3, n_jobs=2, **kw))
    comp = dw.compare_with_talk(a)
    assert set(comp.columns) >= {"talk_no_reg", "ours_reg", "agree"}


def test_diverse_weights_sweeps_identical_on_two_workers():
    from kernelnet.experiments import diverse_weights as dw

    # every converted sweep runs its units through kernelnet.parallel.map_units: the same seed
    # gives exactly the same numbers serially and on 2 local workers
    kw = dict(m=8, d=4, widths=(20, 40))
    a, b = dw.gram_convergence(seed=5, **kw), dw.gram_convergence(seed=5, n_jobs=2, **kw)
    assert a[0].equals(b[0]) and a[1] == b[1]
    kw = dict(m=10, d=4, n=12, spreads=(0.1, 1.0), repeats=2)
    assert dw.singular_value_vs_discrepancy(seed=5, **kw).equals(
        dw.singular_value_vs_discrepancy(seed=5, n_jobs=2, **kw))
    kw = dict(m=4, d=3, widths=(10, 20), t_factor=0.5)
    pa, ta, ia = dw.gradient_flow_widths(seed=5, **kw)
    pb, tb, ib = dw.gradient_flow_widths(seed=5, n_jobs=2, **kw)
    assert ta.equals(tb) and ia == ib and list(pa) == list(pb) == [10, 20]
    for n in pa:
        np.testing.assert_array_equal(pa[n].r2, pb[n].r2)
    kw = dict(d=4, m_values=(5, 12, 8))
    sa, ta, ia = dw.kernel_spectrum(seed=5, **kw)
    sb, tb, ib = dw.kernel_spectrum(seed=5, n_jobs=2, **kw)
    assert ta.equals(tb) and sa["m"] == sb["m"] == 12 and len(sa["eig"]) == 12
    np.testing.assert_array_equal(sa["eig"], sb["eig"])
    assert ia["lam_slope"] == ib["lam_slope"]


def test_experiment_bad_parameters_raise():
    from kernelnet.experiments import diverse_weights as dw

    with pytest.raises(ValueError, match="quick must be True or False"):
        dw.gram_convergence(quick="yes")
    with pytest.raises(ValueError, match="seed must be >= 0"):
        dw.kernel_spectrum(seed=-1)
    with pytest.raises(ValueError, match="repeats must be >= 2"):
        dw.regulariser_table(quick=True, repeats=1)
    with pytest.raises(ValueError, match="m must be >= 2"):
        dw.gradient_flow_widths(quick=True, m=1)


@pytest.mark.parametrize("delta", [1e-3, 1e-7])
def test_regulariser_gradient_near_parallel_pair_exact(delta):
    # two units at angle delta in the plane: R = k^2, k = 1/2 - delta/(2 pi), and rotating w_1
    # towards w_2 lowers the angle, so dR/dw_1 = 2 k (1/(2 pi)) (0, 1) / |w_1| exactly.
    W = np.array([[2.0, 0.0], [math.cos(delta), math.sin(delta)]])
    k = 0.5 - delta / (2 * math.pi)
    g = tl.diversity_regulariser_grad(W)
    # 1e-9: the tangent is accurate to eps/sin(delta) ~ 2e-9 relative at delta = 1e-7; computing
    # sqrt(1 - c^2) from the rounded cosine instead would be off by ~1e-2 there.
    np.testing.assert_allclose(g[0], [0.0, k / (math.pi * 2.0)], rtol=1e-9, atol=1e-12)
    # R goes through kernels.relu_kernel, whose arccos loses ~sqrt(eps) ~ 1.5e-8 in theta near
    # theta = 0 (its docstring): relative error in k^2 up to ~2 * 1.5e-8 / (2 pi k) ~ 1e-8
    assert tl.diversity_regulariser(W) == pytest.approx(k * k, rel=2e-8)


# ---------------------------------------------------------------------------------------------
# multiplicity blocks, the activation-kernel distance, the history-free trainer
# ---------------------------------------------------------------------------------------------


def _dim_harmonics(d, u):
    # dimension of the degree-u harmonics on S^(d-1), as a difference of two polynomial-space
    # dimensions (an independent route from twolayer._multiplicity's closed form)
    top = math.comb(u + d - 1, d - 1)
    return top - (math.comb(u + d - 3, d - 1) if u >= 2 else 0)


@pytest.mark.parametrize("d", [5, 10])
def test_harmonic_blocks_end_where_the_multiplicity_formula_says(d):
    b = tl.harmonic_blocks(d, 1006)
    # order by eigenvalue: degree 1 (gamma_1 = 1/(4d) exactly), degree 0, then even degrees
    assert list(b["degree"][:4]) == [1, 0, 2, 4]
    assert b["gamma"][0] == pytest.approx(1.0 / (4 * d), rel=1e-12)
    degrees = [1, 0] + list(range(2, 2 * len(b["degree"]), 2))
    ends = np.cumsum([_dim_harmonics(d, u) for u in degrees])[:len(b["end"])]
    np.testing.assert_array_equal(b["end"], ends)  # integers: exact
    np.testing.assert_array_equal(b["start"][1:], b["end"][:-1] + 1)
    if d == 5:  # the block ends the chapter quotes (issue 16, item 3)
        np.testing.assert_array_equal(b["end"], [5, 6, 20, 75, 215, 500, 1006])


def test_sawtooth_bound_peaks_exactly_at_block_ends():
    d, M = 5, 1100
    gam = tl.gamma_sequence(d, M)
    bound = 0.5 * np.arange(1, M + 1) * gam
    ends = tl.harmonic_blocks(d, M)["end"]
    # local maxima of m gamma_m / 2 (strictly above the next m) are exactly the block ends
    drops = np.flatnonzero(bound[:-1] > bound[1:]) + 1  # m with bound(m) > bound(m + 1)
    np.testing.assert_array_equal(drops, ends[(ends < M) & (ends >= 2)])
    # the numbers, to their printed digits: 0.107 at m = 20, 0.0046 at m = 21
    assert bound[19] == pytest.approx(0.107, abs=5e-4)
    assert bound[20] == pytest.approx(0.0046, abs=5e-5)
    assert bound[20] < bound[19] / 20  # the drop after a block end is more than 20-fold here


def test_gamma_sequence_in_high_dimension_does_not_materialise_huge_blocks():
    # d = 50: the degree-4 block alone has 291,550 entries, degree 6 ~3e7: only `count` built
    g = tl.gamma_sequence(50, 1400)
    assert g.shape == (1400,)
    assert np.all(g[:50] == pytest.approx(1.0 / 200, rel=1e-12))
    assert np.all(np.diff(g) <= 0)


def test_activation_kernel_distance_is_the_weight_discrepancy():
    rng = np.random.default_rng(0)
    centre = rng.standard_normal(6)
    for W in (rng.standard_normal((40, 6)),                       # random: tiny L_2^2
              centre + 0.3 * rng.standard_normal((40, 6))):        # one cluster: large L_2^2
        est, se = tl.activation_kernel_distance_mc(W, 200_000, random_state=1)
        exact = tl.weight_discrepancy(W, squared=True)
        # a mean of 2e5 i.i.d. terms: the CLT error bar; 4 se (two-sided 6e-5) is never hit by
        # chance, while any misreading of L_2 (e.g. without the i = j terms) is > 100 se off
        assert abs(est - exact) <= 4 * se
    with pytest.raises(ValueError, match="zero row"):
        tl.activation_kernel_distance_mc(np.zeros((3, 4)), 10)
    with pytest.raises(ValueError, match="n_pairs must be >= 2"):
        tl.activation_kernel_distance_mc(rng.standard_normal((3, 4)), 1)


@pytest.mark.parametrize("reg", [0.0, 2.0])
def test_train_gd_final_equals_train_gd(reg):
    X = tl.sample_sphere(200, 6, random_state=0)
    y = np.random.default_rng(1).standard_normal(200)
    W, v = tl.init_weights(15, 6, scale=0.3, random_state=2)
    a = tl.train_gd(X, y, W, v, lr=0.05, n_steps=40, reg=reg, record_every=40).W
    b = tl.train_gd_final(X, y, W, v, lr=0.05, n_steps=40, reg=reg)
    # same BLAS products and the same regulariser gradient in the same order: equal to rounding
    # (no activation flips at these seeds), |W| ~ 1
    np.testing.assert_allclose(b, a, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="lr must be"):
        tl.train_gd_final(X, y, W, v, lr=0.0, n_steps=3)
    with pytest.raises(ValueError, match="diverge"):
        tl.train_gd_final(X, y, W, v, lr=1e300, n_steps=5)
