"""kernelnet.learning_rules: every comparison of the chapter, with tolerances from the method."""

import numpy as np
import pytest

from kernelnet import learning_rules as lr
from kernelnet.learning_rules._activations import _dact
from kernelnet.checks import derivative_check

EPS = np.finfo(np.float64).eps


# ------------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------------


def _net(seed=0, sizes=(3, 5, 4, 2), n=7):
    rng = np.random.default_rng(seed)
    Ws = [rng.standard_normal((sizes[i + 1], sizes[i])) for i in range(len(sizes) - 1)]
    bs = [rng.standard_normal(sizes[i + 1]) for i in range(len(sizes) - 1)]
    X = rng.standard_normal((n, sizes[0]))
    Y = rng.standard_normal((n, sizes[-1]))
    return X, Y, Ws, bs


def _teacher(M, N, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((M, N)) / np.sqrt(N)


# ------------------------------------------------------------------------------------------------
# sigmoid / tanh
# ------------------------------------------------------------------------------------------------


def test_tanh_is_two_sigmoid_minus_one():
    x = np.linspace(-30, 30, 2001)
    # 2 sigma(2x) - 1: sigma carries <= 1 ulp relative error (expit), doubling is exact and the
    # subtraction adds one rounding, so the absolute error is <= ~3 eps (|tanh| <= 1).
    assert np.max(np.abs(lr.tanh_from_sigmoid(x) - np.tanh(x))) <= 4 * EPS
    # sigma(x) = (tanh(x/2) + 1) / 2, the inverse identity
    assert np.max(np.abs(lr.sigmoid(x) - (np.tanh(x / 2) + 1) / 2)) <= 4 * EPS


def test_equivalent_networks_identical_outputs():
    rng = np.random.default_rng(1)
    H, d = 6, 3
    U, c, w, w0 = rng.standard_normal((H, d)), rng.standard_normal(H), rng.standard_normal(H), 0.7
    X = rng.standard_normal((50, d))
    y_sig = lr.one_hidden_layer(X, U, c, w, w0, "sigmoid")
    U2, c2, w2, w02 = lr.sigmoid_to_tanh_network(U, c, w, w0)
    y_tanh = lr.one_hidden_layer(X, U2, c2, w2, w02, "tanh")
    # Each of the H + 1 terms is exact to a few ulps of its size, so the sums agree to
    # ~(H + 1) eps (|w0| + sum |w_i|); 8 eps per term leaves room for the halving identity.
    scale = abs(w0) + np.sum(np.abs(w))
    assert np.max(np.abs(y_sig - y_tanh)) <= 8 * (H + 1) * EPS * scale
    assert np.isclose(w02, w0 + w.sum() / 2) and np.allclose(w2, w / 2)
    with pytest.raises(ValueError, match="w0 must be a scalar"):
        lr.one_hidden_layer(X, U, c, w, np.ones(2))
    with pytest.raises(ValueError, match="U must have 3 columns"):
        lr.one_hidden_layer(X, U[:, :2], c, w, w0)
    with pytest.raises(ValueError, match="activation"):
        lr.one_hidden_layer(X, U, c, w, w0, "relu")
    # the naive "same weights, swap the activation" is not equivalent (the test can fail)
    assert np.max(np.abs(y_sig - lr.one_hidden_layer(X, U, c, w, w0, "tanh"))) > 1e-2


# ------------------------------------------------------------------------------------------------
# backprop as constrained optimisation
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "linear"])
def test_multipliers_are_backprop_deltas(activation):
    X, Y, Ws, bs = _net()
    deltas, gW, gb = lr.backprop(X, Y, Ws, bs, activation)
    lam, xs, pre = lr.lagrange_multipliers(X, Y, Ws, bs, activation)
    lam_dense, _, _ = lr.lagrange_multipliers(X, Y, Ws, bs, activation, method="solve")
    for l in range(len(Ws)):
        d_from_lam = _dact(pre[l], activation) * lam[l]
        scale = np.max(np.abs(deltas[l])) + 1.0
        # back substitution and the chain rule perform the same products; the dense solve of the
        # unit-triangular system (condition number ~ prod ||W||, here < 1e3) differs by rounding:
        # 1e3 eps of the scale covers it with room.
        np.testing.assert_allclose(d_from_lam, deltas[l], rtol=0, atol=1e3 * EPS * scale)
        np.testing.assert_allclose(lam_dense[l], lam[l], rtol=0,
                                   atol=1e3 * EPS * (np.max(np.abs(lam[l])) + 1))
    lW, lb = lr.lagrangian_gradients(X, Y, Ws, bs, activation)
    for a, b in zip(lW + lb, gW + gb):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e3 * EPS * (np.max(np.abs(b)) + 1))
    # the Lagrangian equals E on the constraint set
    E = lr.mlp_loss(X, Y, Ws, bs, activation)
    assert abs(lr.lagrangian(X, Y, Ws, bs, xs[1:], lam, activation) - E) <= 1e2 * EPS * E


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "linear"])
def test_lagrangian_gradient_passes_taylor_check(activation):
    X, Y, Ws, bs = _net(2)
    shapes = [W.shape for W in Ws]

    def fun(theta):
        return lr.mlp_loss(X, Y, *lr.unflatten_params(theta, shapes), activation)

    def jvp(theta, v):
        gw, gb = lr.lagrangian_gradients(X, Y, *lr.unflatten_params(theta, shapes), activation)
        return lr.flatten_params(gw, gb) @ v

    theta = lr.flatten_params(Ws, bs)
    res = derivative_check(fun, jvp, theta, random_state=0)
    assert res.passed, str(res)

    # a wrong gradient (one layer's multipliers dropped) fails: the check can fail
    def jvp_wrong(theta, v):
        gw, gb = lr.lagrangian_gradients(X, Y, *lr.unflatten_params(theta, shapes), activation)
        gw[0] = np.zeros_like(gw[0])
        return lr.flatten_params(gw, gb) @ v

    assert not derivative_check(fun, jvp_wrong, theta, random_state=0).passed


def test_multipliers_make_lagrangian_stationary_in_states():
    X, Y, Ws, bs = _net(3)
    lam, xs, _ = lr.lagrange_multipliers(X, Y, Ws, bs, "tanh")
    states = [x.copy() for x in xs[1:]]
    shapes = [s.shape for s in states]
    sizes = [s.size for s in states]

    def split(z):
        out, k = [], 0
        for sh, sz in zip(shapes, sizes):
            out.append(z[k:k + sz].reshape(sh))
            k += sz
        return out

    def make(mults):
        return lambda z: lr.lagrangian(X, Y, Ws, bs, split(z), mults, "tanh")

    z0 = np.concatenate([s.ravel() for s in states])
    # dL/dx = 0 at the multipliers: the zero directional derivative passes the Taylor check
    res = derivative_check(make(lam), lambda z, v: 0.0, z0, random_state=1)
    assert res.passed, str(res)
    wrong = [m.copy() for m in lam]
    wrong[0] *= 0.5
    assert not derivative_check(make(wrong), lambda z, v: 0.0, z0, random_state=1).passed


def test_network_bad_input():
    X, Y, Ws, bs = _net()
    with pytest.raises(ValueError, match="weights\\[1\\]"):
        lr.backprop(X, Y, [Ws[0], Ws[0]], bs[:2])
    with pytest.raises(ValueError, match="biases"):
        lr.backprop(X, Y, Ws, bs[:2])
    with pytest.raises(ValueError, match="Y"):
        lr.backprop(X, Y[:, :1], Ws, bs)
    with pytest.raises(ValueError, match="X and Y"):
        lr.lagrange_multipliers(X, Y[:3], Ws, bs)
    with pytest.raises(ValueError, match="method"):
        lr.lagrange_multipliers(X, Y, Ws, bs, method="adjoint")
    with pytest.raises(ValueError, match="activation"):
        lr.mlp_forward(X, Ws, bs, activation="relu6")
    with pytest.raises(ValueError, match="weights"):
        lr.mlp_forward(X, [], [])
    with pytest.raises(ValueError, match="theta"):
        lr.unflatten_params(np.ones(3), [(2, 2)])
    lam, xs, _ = lr.lagrange_multipliers(X, Y, Ws, bs)
    with pytest.raises(ValueError, match="states"):
        lr.lagrangian(X, Y, Ws, bs, xs[1:3], lam)
    with pytest.raises(ValueError, match="multipliers\\[0\\]"):
        lr.lagrangian(X, Y, Ws, bs, xs[1:], [lam[0][:, :2]] + lam[1:])


# ------------------------------------------------------------------------------------------------
# weight and node perturbation on the student-teacher model
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["wp", "np"])
@pytest.mark.parametrize("baseline", [True, False])
def test_perturbation_estimates_unbiased_with_exact_variance(method, baseline):
    M, N, K, sigma = 3, 4, 40_000, 0.3
    rng = np.random.default_rng(5)
    W, Ws, x = rng.standard_normal((M, N)), _teacher(M, N), rng.standard_normal(N)
    G = lr.student_teacher_gradient(W, Ws, x)
    g = lr.perturbation_gradient_estimates(W, Ws, x, sigma, K, method, baseline, random_state=6)
    sq = np.sum((g - G) ** 2, axis=(1, 2))
    v_exact = lr.perturbation_estimator_variance(W, Ws, x, sigma, method, baseline)
    # Variance: the sample mean of ||g - G||^2 has standard error std(sq)/sqrt(K); 5 of them.
    assert abs(sq.mean() - v_exact) <= 5 * sq.std() / np.sqrt(K)
    # Bias: each coordinate of the average lies within 5 standard errors of the gradient's
    # (M N = 12 coordinates: a false alarm has probability ~1e-5 for near-Gaussian averages)
    se = g.std(axis=0) / np.sqrt(K)
    assert np.all(np.abs(g.mean(axis=0) - G) <= 5 * se)
    # ...which a 50% bias would break, even for the raw forms' large variance (can fail)
    assert np.any(np.abs(g.mean(axis=0) - 1.5 * G) > 5 * se)


def test_raw_form_has_more_variance_and_np_less_than_wp():
    M, N, sigma = 3, 5, 0.1
    rng = np.random.default_rng(0)
    W, Ws, x = rng.standard_normal((M, N)), _teacher(M, N), rng.standard_normal(N)
    v = {(m, b): lr.perturbation_estimator_variance(W, Ws, x, sigma, m, b)
         for m in ("wp", "np") for b in (True, False)}
    assert v["wp", False] > 10 * v["wp", True] and v["np", False] > 10 * v["np", True]
    # relative variance ~ P + 1 = 16 for WP, M + 1 = 4 for NP at small sigma
    G2 = np.sum(lr.student_teacher_gradient(W, Ws, x) ** 2)
    assert v["wp", True] / G2 == pytest.approx(M * N + 1, rel=0.05)
    assert v["np", True] / G2 == pytest.approx(M + 1, rel=0.05)


def test_updates_match_estimates():
    M, N = 2, 3
    rng = np.random.default_rng(0)
    W, Ws, x = rng.standard_normal((M, N)), _teacher(M, N), rng.standard_normal(N)
    g = lr.perturbation_gradient_estimates(W, Ws, x, 0.1, 1, "np", True, random_state=4)[0]
    W1 = lr.node_perturbation_update(W, Ws, x, 0.05, 0.1, random_state=4)
    np.testing.assert_allclose(W1, W - 0.05 * g, rtol=1e-14)
    g = lr.perturbation_gradient_estimates(W, Ws, x, 0.1, 1, "wp", False, random_state=4)[0]
    W1 = lr.weight_perturbation_update(W, Ws, x, 0.05, 0.1, baseline=False, random_state=4)
    np.testing.assert_allclose(W1, W - 0.05 * g, rtol=1e-14)
    np.testing.assert_allclose(lr.gd_update(W, Ws, x, 0.05),
                               W - 0.1 * np.outer((W - Ws) @ x, x), rtol=1e-14)


@pytest.mark.parametrize("method", ["gd", "np", "wp"])
def test_mean_learning_curve_matches_exact_recursion(method):
    M, N, sigma, R = 3, 4, 0.05, 120
    Ws = _teacher(M, N, 1)
    W0 = np.zeros((M, N))
    e0 = float(np.sum(Ws**2))
    eta = lr.optimal_learning_rate(N, M, method)
    K = 1.0 / (2 * eta)
    T = int(2 * K * np.log(10))  # two decades of decay in the mean
    curves = np.array([
        lr.train_student_teacher(W0, Ws, T, eta, method, sigma, random_state=s).errors
        for s in range(R)
    ])
    theory = lr.student_teacher_learning_curve(N, M, method, eta, sigma, T, e0)
    for t in (T // 4, T // 2, T):
        m, se = curves[:, t].mean(), curves[:, t].std() / np.sqrt(R)
        # Monte Carlo error bar of the mean over R independent runs: 5 standard errors.
        assert abs(m - theory[t]) <= 5 * se, (t, m, theory[t], se)


def test_werfel_scaling_of_the_optimal_rates():
    # Per-step factor 1 - 1/K: NP is slower than GD by M + 2, WP by M N + 2 (Werfel et al. 2005).
    for N, M in [(4, 2), (10, 7), (32, 16)]:
        t = {m: 1.0 / (2 * lr.optimal_learning_rate(N, M, m)) for m in ("gd", "np", "wp")}
        assert t["np"] / t["gd"] == pytest.approx(M + 2)
        assert t["wp"] / t["gd"] == pytest.approx(M * N + 2)
    # at eta*, rho = 1 - 1/K: the curve drops by e^-1 in ~K steps
    c = lr.student_teacher_learning_curve(5, 3, "np", lr.optimal_learning_rate(5, 3, "np"),
                                          0.0, 35, 1.0)
    assert c[35] == pytest.approx((1 - 1 / 35) ** 35, rel=1e-12)


@pytest.mark.parametrize("method", ["gd", "np", "wp"])
@pytest.mark.parametrize("baseline", [True, False])
def test_numba_numpy_parity_and_seeds(method, baseline):
    M, N = 3, 4
    Ws = _teacher(M, N, 2)
    W0 = np.asfortranarray(np.zeros((M, N)))  # layout normalised by the wrapper
    # the raw forms need a smaller rate to stay finite (their variance carries E^2 / sigma^2)
    kw = dict(n_steps=300, eta=0.01 if baseline else 1e-4, method=method, sigma=0.2,
              baseline=baseline)
    a = lr.train_student_teacher(W0, Ws, random_state=3, **kw)
    b = lr.train_student_teacher(W0, Ws, random_state=3, backend="numpy", **kw)
    # identical operations in a different order of summation: rounding only
    assert np.all(np.isfinite(a.errors))
    np.testing.assert_allclose(a.errors, b.errors, rtol=1e-10)
    c = lr.train_student_teacher(W0, Ws, random_state=3, **kw)
    np.testing.assert_array_equal(a.errors, c.errors)
    d = lr.train_student_teacher(W0, Ws, random_state=4, **kw)
    assert not np.array_equal(a.errors, d.errors)
    assert np.all(W0 == 0)


def test_student_teacher_divergence_is_reported_not_nan():
    Ws = _teacher(2, 3)
    res = lr.train_student_teacher(np.zeros((2, 3)), Ws, 2000, eta=5.0, method="gd",
                                   random_state=0)
    assert np.isinf(res.errors[-1]) and not np.any(np.isnan(res.errors))


def test_student_teacher_bad_input():
    Ws = _teacher(2, 3)
    W = np.zeros((2, 3))
    x = np.ones(3)
    with pytest.raises(ValueError, match="W_star"):
        lr.student_teacher_gradient(W, np.zeros((3, 2)), x)
    with pytest.raises(ValueError, match="x must have length 3"):
        lr.gd_update(W, Ws, np.ones(4), 0.1)
    for bad in (0.0, -0.1, np.nan):
        with pytest.raises(ValueError, match="eta"):
            lr.gd_update(W, Ws, x, bad)
        with pytest.raises(ValueError, match="eta"):
            lr.weight_perturbation_update(W, Ws, x, bad, 0.1)
        with pytest.raises(ValueError, match="eta"):
            lr.node_perturbation_update(W, Ws, x, bad, 0.1)
        with pytest.raises(ValueError, match="eta"):
            lr.train_student_teacher(W, Ws, 10, bad)
    with pytest.raises(ValueError, match="sigma"):
        lr.perturbation_gradient_estimates(W, Ws, x, 0.0, 5)
    with pytest.raises(ValueError, match="n_draws"):
        lr.perturbation_gradient_estimates(W, Ws, x, 0.1, 0)
    with pytest.raises(ValueError, match="method"):
        lr.train_student_teacher(W, Ws, 10, 0.1, method="bp")
    with pytest.raises(ValueError, match="N"):
        lr.optimal_learning_rate(0, 3, "gd")
    with pytest.raises(ValueError, match="backend"):
        lr.train_student_teacher(W, Ws, 10, 0.1, backend="cuda")
    with pytest.raises(ValueError, match="method"):
        lr.perturbation_estimator_variance(W, Ws, x, 0.1, method="gd")
    with pytest.raises(ValueError, match="eta"):
        lr.student_teacher_learning_curve(3, 2, "np", 0.0, 0.1, 10, 1.0)
    with pytest.raises(ValueError, match="n_steps"):
        lr.train_student_teacher(W, Ws, 0, 0.1)


# ------------------------------------------------------------------------------------------------
# linear neuron
# ------------------------------------------------------------------------------------------------


def test_linear_neuron_underdetermined_min_norm():
    rng = np.random.default_rng(0)
    N, D = 5, 12
    X, y = rng.standard_normal((N, D)), rng.standard_normal(N)
    w, rank, unique = lr.normal_equations(X, y)
    assert rank == N and not unique
    # zero training error: residual at rounding of X w (cond(X) ~ 10 here)
    assert lr.linear_neuron_loss(w, X, y) <= (1e3 * EPS) ** 2 * np.sum(y**2)
    # minimum norm: w lies in the row space, and adding any null-space vector keeps zero error
    # but increases the norm
    _, _, Vt = np.linalg.svd(X)
    null = Vt[N:].T
    assert np.max(np.abs(null.T @ w)) <= 1e3 * EPS * np.linalg.norm(w)
    other = w + null @ rng.standard_normal(D - N)
    assert lr.linear_neuron_loss(other, X, y) <= 1e-20 * 1e6 and \
        np.linalg.norm(other) > np.linalg.norm(w)
    # gradient descent from zero stays in the row space and converges to the same w
    lam_max = np.linalg.eigvalsh(X.T @ X).max()
    w_gd, losses = lr.linear_neuron_gd(X, y, eta=0.9 * N / (2 * lam_max), n_steps=4000)
    # linear convergence at rate (1 - eta 2 lam_min / N) per step: after 4000 steps the distance
    # is below 1e-8 for this X (lam_min/lam_max ~ 0.05)
    assert np.linalg.norm(w_gd - w) <= 1e-8 * np.linalg.norm(w)
    assert losses[-1] < 1e-16 * losses[0]


def test_linear_neuron_overdetermined_unique_and_hessian():
    rng = np.random.default_rng(1)
    N, D = 40, 6
    X, y = rng.standard_normal((N, D)), rng.standard_normal(N)
    w, rank, unique = lr.normal_equations(X, y)
    assert rank == D and unique
    np.testing.assert_allclose(w, np.linalg.solve(X.T @ X, X.T @ y), rtol=1e-10)
    assert np.linalg.norm(lr.linear_neuron_gradient(w, X, y)) <= 1e3 * EPS * np.linalg.norm(X.T @ y)
    H = lr.linear_neuron_hessian(X)
    # L is quadratic, so central differences of the gradient are exact up to rounding
    h = 1e-3
    H_fd = np.array([(lr.linear_neuron_gradient(w + h * e, X, y)
                      - lr.linear_neuron_gradient(w - h * e, X, y)) / (2 * h) for e in np.eye(D)])
    np.testing.assert_allclose(H_fd, H, rtol=0, atol=1e-9 * np.abs(H).max())
    np.testing.assert_allclose(H, 2 * np.cov(X.T, bias=True) + 2 * np.outer(X.mean(0), X.mean(0)),
                               rtol=1e-12, atol=1e-14)


def test_linear_neuron_gradient_taylor_check():
    rng = np.random.default_rng(2)
    X, y, w = rng.standard_normal((15, 4)), rng.standard_normal(15), rng.standard_normal(4)
    res = derivative_check(lambda v: lr.linear_neuron_loss(v, X, y),
                           lambda v, d: lr.linear_neuron_gradient(v, X, y) @ d, w, random_state=0)
    # L is quadratic: E1 = h^2 d^T H d / 2 exactly, order 2
    assert res.passed and abs(res.order1 - 2) < 0.1


def test_linear_neuron_bad_input():
    X, y = np.ones((4, 3)), np.ones(4)
    with pytest.raises(ValueError, match="y must have length 4"):
        lr.normal_equations(X, np.ones(5))
    with pytest.raises(ValueError, match="w must have length 3"):
        lr.linear_neuron_loss(np.ones(2), X, y)
    with pytest.raises(ValueError, match="eta"):
        lr.linear_neuron_gd(X, y, eta=0, n_steps=3)
    with pytest.raises(ValueError, match="X must be a 2-D"):
        lr.linear_neuron_hessian(np.ones(3))


# ------------------------------------------------------------------------------------------------
# Hebbian, Oja, Sanger
# ------------------------------------------------------------------------------------------------


def _cov(seed=0, ev=(4.0, 2.0, 1.0, 0.5, 0.25)):
    rng = np.random.default_rng(seed)
    ev = np.array(ev)
    Q, _ = np.linalg.qr(rng.standard_normal((ev.size, ev.size)))
    return (Q * ev) @ Q.T, rng


def _stream(C, T, rng):
    return rng.standard_normal((T, C.shape[0])) @ np.linalg.cholesky(C).T


def test_hebbian_grows_along_top_eigenvector_at_rate_lambda_max():
    C, rng = _cov(0)
    lam, V = np.linalg.eigh(C)
    eta, T, R = 1e-3, 4000, 10
    slopes, angles = [], []
    for r in range(R):
        tr = lr.hebbian(_stream(C, T, rng), 0.1 * rng.standard_normal(C.shape[0]), eta)
        ln = np.log(np.linalg.norm(tr, axis=1))
        half = T // 2
        slopes.append((ln[-1] - ln[half]) / (eta * (T - half)))
        angles.append(lr.subspace_angles(tr[-1], V[:, -1]))
    slopes = np.array(slopes)
    # Per step, E[d ln||w||^2] = 2 eta lam1 + eta^2 lam1 (Tr C - 4 lam1) + O(eta^2) transverse
    # terms, so the slope per unit eta t is lam1 + O(eta lam1 Tr C); Monte Carlo error of one run
    # over T/2 steps is lam1 sqrt(2 / (T/2)) (chi^2 of y^2), averaged over R runs.
    tol = eta * lam[-1] * np.trace(C) + 5 * lam[-1] * np.sqrt(2 / (T / 2)) / np.sqrt(R)
    assert abs(slopes.mean() - lam[-1]) <= tol, (slopes.mean(), lam[-1], tol)
    assert np.max(angles) < 0.2


def test_oja_converges_to_top_pc_with_predicted_fluctuations():
    C, rng = _cov(1)
    lam, V = np.linalg.eigh(C)
    lam, V = lam[::-1], V[:, ::-1]
    eta, T = 2e-3, 40_000
    tr = lr.oja(_stream(C, T, rng), 0.1 * rng.standard_normal(C.shape[0]), eta, record_every=10)
    ang = lr.subspace_angles(tr, V[:, 0])
    late = ang[len(ang) // 2:]
    # Linearising Oja's rule about v1: each transverse coordinate is an AR(1) process with drift
    # -eta (lam1 - lam_j) and noise variance eta^2 lam1 lam_j, so E[theta^2] =
    # (eta/2) sum_j lam1 lam_j / (lam1 - lam_j). The late half holds ~T eta (lam1 - lam2)/2 = 40
    # correlation times, so its mean carries ~25% sampling error: accept [0.5, 1.6] times.
    pred = 0.5 * eta * np.sum(lam[0] * lam[1:] / (lam[0] - lam[1:]))
    assert 0.5 * pred <= np.mean(late**2) <= 1.6 * pred, (np.mean(late**2), pred)
    # the norm goes to 1 (fluctuations O(sqrt(eta)))
    assert abs(np.linalg.norm(tr[-1]) - 1) < 0.1
    assert ang[0] > 0.3  # it did have to move


def test_sanger_finds_top_k_in_order_and_parity():
    C, rng = _cov(2)
    lam, V = np.linalg.eigh(C)
    V = V[:, ::-1]
    eta, T, k = 2e-3, 40_000, 3
    X = _stream(C, T, rng)
    W0 = 0.1 * rng.standard_normal((k, C.shape[0]))
    tr = lr.sanger(X, W0, eta, record_every=20)
    ang = lr.subspace_angles(tr, V[:, :k])
    late = ang[len(ang) // 2:].mean(axis=0)
    # stationary fluctuations are O(sqrt(eta lam1 lam_j/(lam_i - lam_j))) ~ 0.1 rad here
    assert np.all(late < 0.25), late
    # in order: row i is *not* aligned with eigenvector j != i
    wrong = lr.subspace_angles(tr[-1], V[:, [1, 2, 0]])
    assert np.all(wrong > 1.0)
    np.testing.assert_allclose(np.linalg.norm(tr[-1], axis=1), 1.0, atol=0.1)
    # numba kernel vs numpy reference on a short stream, same data: rounding only
    short = lr.sanger(X[:500], W0, eta, backend="numba")
    ref = lr.sanger(X[:500], W0, eta, backend="numpy")
    np.testing.assert_allclose(short, ref, rtol=1e-11, atol=1e-14)
    h1 = lr.hebbian(X[:500], W0[0], eta, backend="numba")
    h2 = lr.hebbian(X[:500], W0[0], eta, backend="numpy")
    np.testing.assert_allclose(h1, h2, rtol=1e-11)
    # Oja is Sanger with one output
    np.testing.assert_array_equal(lr.oja(X[:500], W0[0], eta), lr.sanger(X[:500], W0[:1], eta)[:, 0])


def test_hebbian_family_bad_input():
    X = np.ones((10, 3))
    with pytest.raises(ValueError, match="eta"):
        lr.oja(X, np.ones(3), -1.0)
    with pytest.raises(ValueError, match="W0 must have 3 columns"):
        lr.sanger(X, np.ones((2, 4)), 0.1)
    with pytest.raises(ValueError, match="W0 must have at most"):
        lr.sanger(X, np.ones((4, 3)), 0.1)
    with pytest.raises(ValueError, match="record_every"):
        lr.hebbian(X, np.ones(3), 0.1, record_every=0)
    with pytest.raises(ValueError, match="W of shape"):
        lr.subspace_angles(np.ones((2, 3)), np.ones((4, 2)))


# ------------------------------------------------------------------------------------------------
# deep linear network
# ------------------------------------------------------------------------------------------------


def _sigma31(seed=0, s=(3.0, 2.0, 1.0, 0.5)):
    rng = np.random.default_rng(seed)
    s = np.array(s)
    U, _ = np.linalg.qr(rng.standard_normal((5, s.size)))
    V, _ = np.linalg.qr(rng.standard_normal((6, s.size)))
    return (U * s) @ V.T


def test_saxe_closed_form_solves_its_ode():
    t = np.linspace(0, 15, 1501)
    s, a0, tau, h = 2.0, 1e-3, 1.5, 1e-4
    a = lr.saxe_mode_strength(t, s, a0, tau)
    ap = lr.saxe_mode_strength(t + h, s, a0, tau)
    am = lr.saxe_mode_strength(np.maximum(t - h, 0) , s, a0, tau)
    d = (ap - am) / (np.minimum(t, h) + h)
    # central difference: O(h^2 a''') ~ 1e-7 relative to s^2 here; one-sided at t = 0 is O(h)
    np.testing.assert_allclose(tau * d[1:], 2 * a[1:] * (s - a[1:]), rtol=0, atol=1e-5)
    assert a[0] == pytest.approx(a0) and a[-1] == pytest.approx(s, rel=1e-6)


def test_gd_matches_saxe_modes_to_first_order_in_the_step():
    S31 = _sigma31()
    a0 = 1e-3
    errs = []
    for eta in (0.004, 0.002):
        W21, W32 = lr.decoupled_init(S31, 8, a0, random_state=0)
        n = int(round(3.0 / (2 * eta)))
        P, _, _ = lr.deep_linear_gd(S31, np.eye(6), W21, W32, eta, n)
        a, s = lr.mode_strengths(P, S31)
        t = 2 * eta * np.arange(n + 1)
        cf = np.stack([lr.saxe_mode_strength(t, si, a0) for si in s], axis=1)
        errs.append(np.max(np.abs(a - cf)))
    # Gradient descent is forward Euler on tau da/dt = 2a(s - a) with dt = 2 eta: global error
    # O(dt), so halving eta halves the error (ratio 2 +- 10% for the remaining O(dt^2)).
    assert 1.8 <= errs[0] / errs[1] <= 2.2, errs
    assert errs[1] < 0.05 * 3.0
    # the modes decouple: off-diagonal strengths stay at rounding level
    U, _, Vt = np.linalg.svd(S31, full_matrices=False)
    off = U.T @ P[-1] @ Vt.T
    assert np.max(np.abs(off - np.diag(np.diag(off)))) < 1e-10


def test_deep_linear_gradient_taylor_check():
    rng = np.random.default_rng(0)
    S31 = _sigma31()
    A = rng.standard_normal((6, 6))
    S11 = A @ A.T / 6
    W21, W32 = rng.standard_normal((3, 6)), rng.standard_normal((5, 3))

    def loss(z):
        w21, w32 = z[:18].reshape(3, 6), z[18:].reshape(5, 3)
        P = w32 @ w21
        return -2 * np.sum(S31 * P) + np.sum((P @ S11) * P)  # L minus the constant Tr S33

    def jvp(z, v):
        g21, g32 = lr.deep_linear_gradients(S31, S11, z[:18].reshape(3, 6), z[18:].reshape(5, 3))
        return -(np.concatenate([g21.ravel(), g32.ravel()]) @ v)

    z = np.concatenate([W21.ravel(), W32.ravel()])
    assert derivative_check(loss, jvp, z, random_state=0).passed


def test_deep_linear_bad_input():
    S31 = _sigma31()
    W21, W32 = lr.decoupled_init(S31, 8, 1e-2, random_state=0)
    with pytest.raises(ValueError, match="eta"):
        lr.deep_linear_gd(S31, np.eye(6), W21, W32, 0.0, 10)
    with pytest.raises(ValueError, match="Sigma11"):
        lr.deep_linear_gd(S31, np.eye(5), W21, W32, 0.1, 10)
    with pytest.raises(ValueError, match="W32"):
        lr.deep_linear_gradients(S31, np.eye(6), W21, W32[:3])
    with pytest.raises(ValueError, match="n_hidden"):
        lr.decoupled_init(S31, 2, 1e-2)
    with pytest.raises(ValueError, match="a0"):
        lr.saxe_mode_strength(1.0, 1.0, 0.0)
    with pytest.raises(ValueError, match="tau"):
        lr.saxe_mode_strength(1.0, 1.0, 0.1, tau=-1)
    with pytest.raises(ValueError, match="t must be non-negative"):
        lr.saxe_mode_strength([-1.0], 1.0, 0.1)
    with pytest.raises(ValueError, match="products"):
        lr.mode_strengths(np.ones((3, 5, 5)), S31)


# ------------------------------------------------------------------------------------------------
# perceptron
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("margin", [0.05, 0.2, 0.5])
def test_perceptron_within_novikoff_bound(margin):
    for seed in range(5):
        X, y, w_star = lr.separable_data(300, 6, margin, random_state=seed)
        bound, R, gamma = lr.novikoff_bound(X, y, w_star)
        assert gamma >= margin - 1e-12
        res = lr.perceptron(X, y, max_epochs=1000, random_state=seed)
        # Novikoff's theorem: an exact inequality, no tolerance needed
        assert res.converged and res.n_mistakes <= bound
        assert np.all(y * (X @ res.w) > 0)
        assert res.n_mistakes == res.mistakes_per_epoch.sum()


def test_perceptron_seeds_and_bad_input():
    X, y, w = lr.separable_data(100, 3, 0.1, random_state=0)
    a = lr.perceptron(X, y, random_state=1)
    b = lr.perceptron(X, y, random_state=1)
    np.testing.assert_array_equal(a.w, b.w)
    with pytest.raises(ValueError, match="y must hold labels"):
        lr.perceptron(X, (y + 1) / 2)
    with pytest.raises(ValueError, match="does not separate"):
        lr.novikoff_bound(X, y, -w)
    with pytest.raises(ValueError, match="max_epochs"):
        lr.perceptron(X, y, max_epochs=0)
    with pytest.raises(ValueError, match="margin"):
        lr.separable_data(10, 2, -0.1)


# ------------------------------------------------------------------------------------------------
# WP and NP on a nonlinear multi-layer network (issue 16, item 8)
# ------------------------------------------------------------------------------------------------


def _sample_net(seed=0, sizes=(3, 5, 4, 2), activation="tanh"):
    rng = np.random.default_rng(seed)
    Ws = [rng.standard_normal((sizes[i + 1], sizes[i])) / np.sqrt(sizes[i])
          for i in range(len(sizes) - 1)]
    bs = [0.1 * rng.standard_normal(sizes[i + 1]) for i in range(len(sizes) - 1)]
    return rng.standard_normal(sizes[0]), 0.5 * rng.standard_normal(sizes[-1]), Ws, bs


def test_mlp_sample_gradient_matches_backprop_and_loss():
    x, y, Ws, bs = _sample_net()
    g = lr.mlp_sample_gradient(x, y, Ws, bs)
    _, gW, gb = lr.backprop(x[None], y[None], Ws, bs)
    np.testing.assert_allclose(g, lr.flatten_params(gW, gb), rtol=0, atol=1e-15)
    shapes = [W.shape for W in Ws]
    r = derivative_check(lambda t: lr.mlp_loss(x[None], y[None], *lr.unflatten_params(t, shapes)),
                         lambda t, v: lr.mlp_sample_gradient(
                             x, y, *lr.unflatten_params(t, shapes)) @ v,
                         lr.flatten_params(Ws, bs), random_state=0)
    assert r.passed and r.order1 > 1.8


@pytest.mark.parametrize("method", ["wp", "np"])
def test_perturbation_estimates_have_the_notes_form(method):
    # one draw, recomputed by hand: (E~ - E) / sigma^2 times the noise (NP: times the clean input)
    x, y, Ws, bs = _sample_net(1)
    sigma = 0.05
    g = lr.mlp_perturbation_estimates(x, y, Ws, bs, sigma, 3, method, True, random_state=4)
    rng = np.random.default_rng(4)
    E = lr.mlp_loss(x[None], y[None], Ws, bs)
    if method == "wp":
        dW = [rng.standard_normal((3,) + W.shape) for W in Ws]
        db = [rng.standard_normal((3, W.shape[0])) for W in Ws]
        Wt = [W + sigma * d[1] for W, d in zip(Ws, dW)]
        bt = [b + sigma * d[1] for b, d in zip(bs, db)]
        Et = lr.mlp_loss(x[None], y[None], Wt, bt)
        expect = (Et - E) / sigma**2 * sigma * lr.flatten_params([d[1] for d in dW],
                                                                [d[1] for d in db])
    else:
        gam = [rng.standard_normal((3, W.shape[0])) for W in Ws]
        h, hs = x, [x]
        for W, b, gm in zip(Ws, bs, gam):
            h = np.tanh(W @ h + b + sigma * gm[1])
        Et = 0.5 * np.sum((h - y) ** 2)
        for W, b in zip(Ws, bs):
            hs.append(np.tanh(W @ hs[-1] + b))
        expect = (Et - E) / sigma * lr.flatten_params(
            [np.outer(gm[1], hs[l]) for l, gm in enumerate(gam)], [gm[1] for gm in gam])
    np.testing.assert_allclose(g[1], expect, rtol=1e-10, atol=1e-12)
    # raw form: the same plus E z / sigma (zero mean)
    raw = lr.mlp_perturbation_estimates(x, y, Ws, bs, sigma, 3, method, False, random_state=4)
    assert np.all(np.abs(raw - g) > 0)


@pytest.mark.parametrize("method", ["wp", "np"])
def test_perturbation_bias_is_order_sigma_squared_with_the_predicted_constant(method):
    x, y, Ws, bs = _sample_net(2)
    c = lr.perturbation_bias_prediction(x, y, Ws, bs, method)
    out = []
    for s in (0.04, 0.02):
        r = lr.perturbation_bias(x, y, Ws, bs, s, 20000, method, random_state=5)
        # measured against (sigma^2) c: the O(sigma^4) remainder at sigma <= 0.04 and the Monte
        # Carlo error (bias_norm_se, about 1-2 % here) keep the ratio within 10 %
        assert abs(r["bias_norm"] / (np.linalg.norm(c) * s**2) - 1) < 0.1
        assert r["bias_norm"] > 10 * r["bias_norm_se"]
        out.append(r["bias_norm"])
    slope = np.log(out[0] / out[1]) / np.log(2.0)
    assert abs(slope - 2) < 0.2  # O(sigma^2): slope 2 up to the O(sigma^2) relative remainder


@pytest.mark.parametrize("method", ["wp", "np"])
def test_perturbation_bias_vanishes_for_a_quadratic_error(method):
    # a single linear layer: E is quadratic, the antithetic difference is exactly linear, so the
    # bias estimate is rounding (negative control: the method does not invent a bias)
    x, y, Ws, bs = _sample_net(3, sizes=(4, 3))
    r = lr.perturbation_bias(x, y, Ws, bs, 0.1, 500, method, activation="linear", random_state=1)
    assert np.abs(r["bias"]).max() < 1e-13 * r["grad_norm"]
    c = lr.perturbation_bias_prediction(x, y, Ws, bs, method, activation="linear")
    assert np.abs(c).max() < 1e-6 * r["grad_norm"]  # finite-difference rounding eps / h^2 * P


def test_plain_mean_agrees_with_the_low_variance_bias():
    # the variance reduction does not change the mean: a plain average of many draws agrees
    # within its own standard error
    x, y, Ws, bs = _sample_net(4)
    s = 0.2
    e = lr.mlp_perturbation_estimates(x, y, Ws, bs, s, 200000, "np", True, random_state=2)
    g = lr.mlp_sample_gradient(x, y, Ws, bs)
    r = lr.perturbation_bias(x, y, Ws, bs, s, 20000, "np", random_state=3)
    diff = e.mean(axis=0) - g - r["bias"]
    se = np.sqrt(e.var(axis=0) / e.shape[0] + r["bias_se"] ** 2)
    assert np.all(np.abs(diff) <= 5 * se + 1e-15)


def test_mlp_perturbation_bad_input():
    x, y, Ws, bs = _sample_net()
    with pytest.raises(ValueError, match="sigma"):
        lr.mlp_perturbation_estimates(x, y, Ws, bs, 0.0, 3)
    with pytest.raises(ValueError, match="method"):
        lr.perturbation_bias(x, y, Ws, bs, 0.1, 10, "gd")
    with pytest.raises(ValueError, match="x"):
        lr.mlp_sample_gradient(np.ones(7), y, Ws, bs)
    with pytest.raises(ValueError, match="n_draws"):
        lr.perturbation_bias(x, y, Ws, bs, 0.1, 1)
