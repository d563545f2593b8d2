"""Tests of kernelnet.layerwise: the eq. 1 objective, its gradient (eq. 8-9), the ISM fixed point
(Claim 5), the eq. 10-11 identity (Claim 6), W_s (eq. 2), the estimator and its history."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import scale

import kernelnet.layerwise as lw
from kernelnet import datasets
from kernelnet.checks import derivative_check
from kernelnet.hsic import center, hsic, normalized_hsic
from kernelnet.kernels import gaussian_kernel, median_heuristic
from kernelnet.layerwise import _bandwidth, _common, _ism, _metrics
from kernelnet.layerwise import (
    LayerwiseKernelNet,
    closed_form_weights,
    distance_ratio,
    eq11_terms,
    ideal_kernel_distance,
    ism_fixed_point,
    ism_matrix,
    ism_surrogate,
    label_gamma,
    layer_gradient,
    layer_objective,
    orthonormalize,
    scatter_ratio,
    silhouette,
    stiefel_gradient,
)

EPS = np.finfo(np.float64).eps


def _problem(n=40, m=6, q=3, c=3, seed=0, balanced=True):
    """A small layer problem: input R, labels, orthonormal W, a bandwidth of data scale."""
    rng = np.random.default_rng(seed)
    if balanced:
        y = np.arange(n) % c
    else:  # 70 % / 20 % / 10 %
        y = np.repeat(np.arange(3), [int(0.7 * n), int(0.2 * n), n - int(0.7 * n) - int(0.2 * n)])
    R = rng.standard_normal((n, m)) + 1.5 * np.eye(c, m)[y]
    W = np.linalg.qr(rng.standard_normal((m, q)))[0]
    sigma = 1.3
    return R, y, W, sigma


# ---------------------------------------------------------------------------------------------
# eq. 1, eq. 9 and the gradient
# ---------------------------------------------------------------------------------------------


def test_gamma_is_centred_label_kernel():
    y = np.array([0, 0, 1, 2, 2, 2])
    Y = np.eye(3)[y]
    # Gamma = H Y Y^T H two ways (factor A A^T and hsic.center); exact up to rounding of
    # O(n) sums of O(1) terms
    np.testing.assert_allclose(label_gamma(y), center(Y @ Y.T), atol=50 * EPS)


def test_objective_is_trace_gamma_k_and_matches_hsic():
    R, y, W, sigma = _problem()
    G = label_gamma(y)
    K = gaussian_kernel(R @ W, sigma=sigma)
    Y = np.eye(3)[y]
    val = layer_objective(W, R, G, sigma=sigma)
    # Tr(Gamma K) directly, and via hsic() = Tr(K H L H)/(n-1)^2; sums of n^2 = 1600 terms of
    # size <= 1: rounding ~ 1600 eps relative, 1e-12 leaves margin
    assert val == pytest.approx(float(np.trace(G @ K)), rel=1e-12)
    assert val / (R.shape[0] - 1) ** 2 == pytest.approx(hsic(K, Y @ Y.T), rel=1e-12)


def test_q_matrix_pairwise_form():
    R, y, W, sigma = _problem(n=25)
    G = label_gamma(y)
    Q = ism_matrix(W, R, G, sigma=sigma)
    K = gaussian_kernel(R @ W, sigma=sigma)
    Psi = G * K
    Q2 = np.zeros_like(Q)
    for i in range(R.shape[0]):  # -(1/2) sum_ij Psi_ij (r_i - r_j)(r_i - r_j)^T, eq. 9 2nd form
        d = R[i] - R
        Q2 -= 0.5 * (d.T * Psi[i]) @ d
    # two summation orders of n^2 = 625 rank-one terms: agreement to ~1e3 eps of ||Q||
    np.testing.assert_allclose(Q, Q2, atol=1e-12 * np.abs(Q).max())
    assert np.allclose(Q, Q.T)


def test_gradient_taylor_decay():
    """grad H = (2/sigma^2) Q W: E_1 must decay at second order (kernelnet.checks)."""
    R, y, W, sigma = _problem()
    G = label_gamma(y)
    m, q = W.shape

    def fun(w):
        return np.array([layer_objective(w.reshape(m, q), R, G, sigma=sigma)])

    def jvp(w, v):
        g = layer_gradient(w.reshape(m, q), R, G, sigma=sigma)
        return np.array([np.sum(g * v.reshape(m, q))])

    res = derivative_check(fun, jvp, W.ravel(), random_state=1, h0=0.5)
    assert res.passed, str(res)
    # a wrong sign or a missing factor 2 must fail the same check
    bad = derivative_check(fun, lambda w, v: -jvp(w, v), W.ravel(), random_state=1, h0=0.5)
    assert not bad.passed
    half = derivative_check(fun, lambda w, v: 0.5 * jvp(w, v), W.ravel(), random_state=1, h0=0.5)
    assert not half.passed


def test_gradient_central_differences():
    """Second route: every entry against a central difference (error O(h^2) + eps/h)."""
    R, y, W, sigma = _problem(n=20, m=4, q=2)
    G = label_gamma(y)
    g = layer_gradient(W, R, G, sigma=sigma)
    h = 1e-5
    num = np.zeros_like(W)
    for idx in np.ndindex(*W.shape):
        E = np.zeros_like(W)
        E[idx] = h
        num[idx] = (
            layer_objective(W + E, R, G, sigma=sigma) - layer_objective(W - E, R, G, sigma=sigma)
        ) / (2 * h)
    # h = 1e-5: truncation ~ h^2 |H'''| ~ 1e-10 |H|, rounding ~ eps |H| / h ~ 1e-11 |H|
    scale_ = abs(layer_objective(W, R, G, sigma=sigma))
    np.testing.assert_allclose(g, num, atol=1e-7 * scale_)


# ---------------------------------------------------------------------------------------------
# eqs. 10-11 (Claim 6)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("c", [2, 3])
def test_eq11_equals_surrogate_for_balanced_classes(c):
    R, y, W, sigma = _problem(n=42, c=c)
    G = label_gamma(y)
    t = eq11_terms(W, R, y, sigma=sigma)
    assert t["sign_split_holds"]
    s = ism_surrogate(W, R, G, sigma=sigma)
    # both are O(n^2) sums of terms of size |Gamma K z z| ~ 1: rounding ~ n^2 eps relative to
    # the largest term, far below 1e-10 of the sum's magnitude
    assert t["total"] == pytest.approx(s, rel=1e-10, abs=1e-10 * abs(t["first"]))
    np.testing.assert_allclose(t["penalties"], t["penalties_psi"], rtol=1e-12, atol=1e-14)


def test_eq10_sign_split_fails_for_unbalanced_three_classes():
    """With 70/20/10 % classes, Gamma_ij > 0 across the two small classes: eq. 10's split by
    class is then not (Psi 1)_i and eq. 11 differs from the surrogate (DEFINITIONS.md)."""
    R, y, W, sigma = _problem(n=40, balanced=False)
    G = label_gamma(y)
    t = eq11_terms(W, R, y, sigma=sigma)
    assert not t["sign_split_holds"]
    assert G[y == 1][:, y == 2].min() > 0
    s = ism_surrogate(W, R, G, sigma=sigma)
    assert abs(t["total"] - s) > 1e-6 * abs(s)


def test_surrogate_gradient_equals_objective_gradient():
    """With K held at W0, d/dW (1/sigma^2) Tr(W^T Q(W0) W) at W0 = grad of eq. 1 at W0."""
    R, y, W0, sigma = _problem()
    G = label_gamma(y)
    m, q = W0.shape

    def fun(w):
        return np.array([ism_surrogate(w.reshape(m, q), R, G, sigma=sigma, W_kernel=W0)])

    def jvp(w, v):  # only evaluated at w = W0 by derivative_check
        g = layer_gradient(W0, R, G, sigma=sigma)
        return np.array([np.sum(g * v.reshape(m, q))])

    res = derivative_check(fun, jvp, W0.ravel(), random_state=2, h0=0.5)
    assert res.passed, str(res)
    # the surrogate is not eq. 1 in value
    assert abs(ism_surrogate(W0, R, G, sigma=sigma) - layer_objective(W0, R, G, sigma=sigma)) > 0


# ---------------------------------------------------------------------------------------------
# W_s and W* (Claims 4-5)
# ---------------------------------------------------------------------------------------------


def test_closed_form_weights():
    R, y, _, _ = _problem()
    W = closed_form_weights(R, y)
    for k in range(3):
        v = R[y == k].sum(0)
        np.testing.assert_allclose(W[:, k], v / np.linalg.norm(v), rtol=1e-13)
    Wo = closed_form_weights(R, y, orthonormal=True)
    np.testing.assert_allclose(Wo.T @ Wo, np.eye(3), atol=1e-14)
    # same column space: projecting W on span(Wo) leaves it unchanged
    np.testing.assert_allclose(Wo @ (Wo.T @ W), W, atol=1e-13)
    np.testing.assert_allclose(orthonormalize(W), Wo, atol=1e-14)


def _wine_layer_input(layer=2):
    X, y = datasets.load("wine")
    tr, _ = datasets.folds("wine")[0]
    Xtr, ytr = scale(X[tr]), y[tr]
    net = LayerwiseKernelNet(random_state=0, max_layers=layer, stop="max_layers").fit(Xtr, ytr)
    R = net.layer_outputs(Xtr)[layer - 2] if layer > 1 else Xtr
    return R, ytr, net.history_[layer - 1]["sigma"]


def test_ism_fixed_point_is_stationary_and_beats_ws():
    """Claims 4-5 at the same R and sigma (wine, layer 2 input, q = c)."""
    R, y, sigma = _wine_layer_input(2)
    G = label_gamma(y)
    c = 3
    Ws = closed_form_weights(R, y, orthonormal=True)
    Wst, info = ism_fixed_point(R, y, q=c, sigma=sigma, tol=1e-10, max_iter=500)
    assert info["converged"], info
    np.testing.assert_allclose(Wst.T @ Wst, np.eye(c), atol=1e-12)
    g_star = np.linalg.norm(stiefel_gradient(Wst, layer_gradient(Wst, R, G, sigma=sigma)))
    g_s = np.linalg.norm(stiefel_gradient(Ws, layer_gradient(Ws, R, G, sigma=sigma)))
    # Claim 4: W_s is not stationary; Claim 5: W* is, to the iteration's tolerance. The
    # eigenvalues stop moving at relative 1e-10, which leaves the subspace (and so the
    # projected gradient) stationary to ~sqrt(1e-10) relative or better; 1e-4 leaves margin.
    assert g_s > 0
    assert g_star < 1e-4 * g_s, (g_star, g_s)
    # and the optimum is higher than W_s (same R, sigma, width)
    assert layer_objective(Wst, R, G, sigma=sigma) > layer_objective(Ws, R, G, sigma=sigma)


def test_ism_route_parity_and_start():
    """The fast route (QR reduction, fused kernel, subset eigh) and the plain numpy route (full
    Q from gaussian_kernel, numpy.linalg.eigh) iterate the same map from the same start."""
    R, y, sigma = _wine_layer_input(2)
    codes = np.unique(y, return_inverse=True)[1]
    A = _common._centred_one_hot(codes, 3)
    with _common._blas_one_thread():  # as inside fit: small eigh calls are slow on 2 busy threads
        P, V, _ = _ism._reduce(R, 0.0)
        E, K, info = _ism._ism_core(P, A, 3, sigma, 1e-8, 200)
        W1 = V @ E
        W2, K2, info2 = _ism._ism_core(R, A, 3, sigma, 1e-8, 200, route="numpy")
    assert info["converged"] and info2["converged"]
    # same pairwise distances of R W. (The top-q eigenspace of Q may include directions that
    # change no distance: the null space of R when m = 400 > n = 160, or a direction along
    # which every row of R is equal. The plain route picks arbitrary ones there, the fast route
    # stays in the row space.) Both stop when the subspace moves by < 1e-12 in 1 - cos^2, i.e.
    # by an angle < 1e-6, so the two fixed points agree to ~1e-6 relative (measured 5e-7).
    D1, D2 = _common._sq_dists(R @ W1), _common._sq_dists(R @ W2)
    np.testing.assert_allclose(D1, D2, atol=1e-5 * D2.max())
    # in the row space of R, to the ~1e-9 orthonormality of V (eps s_max / s_min, see _reduce)
    assert np.linalg.norm(W1 - V @ (V.T @ W1)) < 1e-7
    np.testing.assert_allclose(K, K2, atol=1e-5)
    # the objective is stationary there: first-order differences in W are second order in it
    assert info["objective"] == pytest.approx(info2["objective"], rel=1e-9)
    # the fused kernel equals kernels.gaussian_kernel
    Z = R @ W2
    np.testing.assert_allclose(
        _ism._gauss_from(Z, sigma, np.empty((len(Z), len(Z)))),
        gaussian_kernel(Z, sigma=sigma),
        atol=1e-13,
    )


def test_estimator_route_parity_first_layers():
    X, y = datasets.load("wine")
    tr, _ = datasets.folds("wine")[0]
    Xtr = scale(X[tr])
    a = LayerwiseKernelNet(random_state=0, max_layers=2, stop="max_layers").fit(Xtr, y[tr])
    b = LayerwiseKernelNet(random_state=0, max_layers=2, stop="max_layers")
    b._route = "numpy"
    b.fit(Xtr, y[tr])
    for ha, hb in zip(a.history_, b.history_):
        # the fast route drops directions with singular value < 1e-6 s_max (RANK_TOL):
        # a relative effect far below 1e-6 on HSIC values
        assert ha["nhsic"] == pytest.approx(hb["nhsic"], rel=1e-6)
        assert ha["ism_iterations"] == hb["ism_iterations"]


# ---------------------------------------------------------------------------------------------
# diagnostics
# ---------------------------------------------------------------------------------------------


def test_diagnostics_against_references():
    rng = np.random.default_rng(3)
    Z = rng.standard_normal((30, 4))
    y = np.arange(30) % 3
    Z[:, 0] += 3 * y
    # silhouette: sklearn's value (different summation order: 1e-12)
    assert silhouette(Z, y) == pytest.approx(silhouette_score(Z, y), rel=1e-12)
    K = gaussian_kernel(Z, sigma=2.0)
    Y = np.eye(3)[y]
    # kernel-side label statistics against kernelnet.hsic
    st = _metrics._kernel_label_stats(K, _common._centred_one_hot(y, 3), Y)
    assert st["hsic"] == pytest.approx(hsic(K, Y @ Y.T), rel=1e-12)
    assert st["nhsic_cka"] == pytest.approx(normalized_hsic(K, Y @ Y.T, variant="cka"), rel=1e-12)
    assert st["nhsic_authors"] == pytest.approx(
        normalized_hsic(K, Y @ Y.T, variant="authors"), rel=1e-12
    )
    # scatter ratio from K against explicit feature vectors (linear kernel: features = Z)
    Kl = Z @ Z.T
    mu = Z.mean(0)
    Sw = sum(((Z[y == k] - Z[y == k].mean(0)) ** 2).sum() for k in range(3))
    Sb = sum((y == k).sum() * ((Z[y == k].mean(0) - mu) ** 2).sum() for k in range(3))
    assert scatter_ratio(Kl, y) == pytest.approx(Sw / Sb, rel=1e-10)
    # T: explicit double loop
    num = den = 0.0
    for i in range(30):
        for j in range(30):
            d = np.linalg.norm(Z[i] - Z[j])
            if y[i] == y[j]:
                num += d
            else:
                den += d
    assert distance_ratio(Z, y) == pytest.approx(num / den, rel=1e-10)
    Kstar = (y[:, None] == y[None, :]).astype(float)
    assert ideal_kernel_distance(Kstar, y) == 0.0
    assert ideal_kernel_distance(K, y) == pytest.approx(np.linalg.norm(K - Kstar) / 30)
    # median distance with the guards of kernels.median_heuristic
    med = _bandwidth._median_distance(_common._sq_dists(Z))
    assert med == pytest.approx(median_heuristic(Z), rel=1e-12)


def test_sigma_search_finds_local_maximum():
    X, y = datasets.load("random")
    Xs = scale(X)
    s = lw.hsic_optimal_sigma(Xs, y, random_state=0)
    codes = np.unique(y, return_inverse=True)[1]
    G = label_gamma(codes)
    D2 = _common._sq_dists(Xs)

    def f(t):
        return np.sum(G * np.exp(-D2 / (2 * t * t)))

    # a local maximum: both neighbours 1 % away are lower (Brent's xatol = 1e-4 in log sigma)
    assert f(s) >= f(1.01 * s) and f(s) >= f(s / 1.01)
    # and it is the one the ascent from the median reaches, not the bound median / 100
    assert s > _bandwidth._median_distance(D2) / 50


# ---------------------------------------------------------------------------------------------
# the estimator
# ---------------------------------------------------------------------------------------------

# Data sets on which ISM's normalised H_l (authors' variant) does not rise at every layer on
# the authors' first fold, with the values measured (seed 0). The paper reports the rise as an
# empirical finding; nothing in ISM forces it (each layer maximises over W at a new sigma and a
# new random-feature input).
# * cancer, fold 1: 0.8556, 0.9087, 0.9152, 0.9139, 0.9114, 0.9109, 0.9126, 0.9147, 0.9163,
#   0.9176 (falls at layers 4-6 by up to 0.004, then rises again).
# * adversarial, fold 1: rises on this machine (0.0046, 0.1069, 0.5160, 0.7052, 0.8780, 1.0),
#   but its ISM iterations run into the cap or cycle at layers 2-3 (n = 72, two classes made
#   of jittered copies of the same points), and other starts stall at 0.8123 for the rest of
#   the 30 layers, the silhouette staying below the authors' 0.80 floor: kept as an exception.
# The authors' normalised HSIC falls by a few 1e-3 at some layers on these (the committed table:
# cancer 8, wine 4, adversarial 1 of 10 folds); which folds fall depends on the random-feature
# draw (wine fold 1 rises with the basis-dependent draw of before issue 15 item 9, and falls by
# 0.001 at layer 5 with the span-only draw).
RISE_EXCEPTIONS = {"cancer", "adversarial", "wine"}


@pytest.fixture(scope="module")
def quick_histories():
    out = {}
    for name in datasets.names(poster_only=True):
        X, y = datasets.load(name)
        tr, _ = datasets.folds(name)[0]
        net = LayerwiseKernelNet(random_state=0).fit(scale(X[tr]), y[tr])
        out[name] = [h["nhsic"] for h in net.history_]
    return out


def test_ism_hsic_rises_per_layer(quick_histories):
    assert set(quick_histories) == {
        "random", "adversarial", "spiral", "wine", "cancer", "car", "face", "divorce"
    }
    for name, h in quick_histories.items():
        rises = bool(np.all(np.diff(h) > 0))
        if name in RISE_EXCEPTIONS:
            # recorded exception: still ends higher than it starts, and never falls by more
            # than 0.01 from its running maximum
            assert h[-1] > h[0], (name, h)
            assert np.max(np.maximum.accumulate(h) - h) < 0.01, (name, h)
        else:
            assert rises, (name, np.round(h, 4).tolist())


def test_history_contents_and_blobs_accuracy():
    X, y = make_blobs(120, centers=3, random_state=1)
    labels = np.array(["ant", "bee", "cat"])[y]
    for method in ("ism", "closed_form"):
        net = LayerwiseKernelNet(method, random_state=0).fit(X, labels)
        assert net.score(X, labels) > 0.95
        assert set(net.predict(X)) <= set(labels)
        P = net.predict_proba(X)
        np.testing.assert_allclose(P.sum(1), 1.0)
        np.testing.assert_array_equal(net.classes_[P.argmax(1)], net.predict(X))
        keys = {
            "layer", "width", "sigma", "hsic", "nhsic", "nhsic_authors", "nhsic_cka",
            "scatter_ratio", "distance_ratio", "kernel_distance", "train_accuracy", "time",
            "converged", "ism_iterations",
        }
        for h in net.history_:
            assert keys <= set(h)
            assert 0 <= h["nhsic_cka"] <= 1 + 1e-12
            assert h["sigma"] > 0
        assert len(net.history_) == net.n_layers_ == len(net.layer_outputs(X[:5]))


def test_stopping_rules():
    X, y = make_blobs(90, centers=3, random_state=2, cluster_std=3.0)
    net = LayerwiseKernelNet(stop="max_layers", max_layers=4, random_state=0).fit(X, y)
    assert net.n_layers_ == 4 and net.stop_reason_ == "max_layers"
    net = LayerwiseKernelNet(stop="target", target=0.5, random_state=0).fit(X, y)
    assert net.history_[-1]["nhsic"] >= 0.5
    assert all(h["nhsic"] < 0.5 for h in net.history_[:-1])
    net = LayerwiseKernelNet(sigma=0.7, max_layers=2, stop="max_layers", random_state=0).fit(X, y)
    assert all(h["sigma"] == 0.7 for h in net.history_)


def test_same_seed_same_history():
    X, y = datasets.load("divorce")
    X = scale(X)

    def run(method, seed):
        net = LayerwiseKernelNet(method, random_state=seed, max_layers=3).fit(X, y)
        return [{k: v for k, v in h.items() if k != "time"} for h in net.history_], net

    for method in ("ism", "closed_form"):
        h1, n1 = run(method, 7)
        h2, n2 = run(method, 7)
        assert h1 == h2
        np.testing.assert_array_equal(n1.transform(X), n2.transform(X))
    # a different seed draws other random features: the ISM history changes
    h3, _ = run("ism", 8)
    assert h3 != run("ism", 7)[0]


@pytest.mark.parametrize(
    "X, y, kwargs, match",
    [
        (np.ones((10, 2)), np.zeros(10), {}, "class"),
        (np.array([[np.nan, 1.0], [1.0, 2.0], [0.0, 1.0]]), [0, 1, 0], {}, "NaN"),
        (np.random.default_rng(0).normal(size=(10, 2)), np.linspace(0, 1, 10), {}, "label"),
        (np.eye(4), [0, 1, 0, 1], {"sigma": -1.0}, "sigma"),
        (np.eye(4), [0, 1, 0, 1], {"sigma": 0.0}, "sigma"),
        (np.eye(4), [0, 1, 0, 1], {"method": "sgd"}, "method"),
        (np.eye(4), [0, 1, 0, 1], {"stop": "never"}, "stop"),
        (np.eye(4), [0, 1, 0, 1], {"max_layers": 0}, "max_layers"),
        (np.eye(4), [0, 1, 0, 1], {"target": 1.5}, "target"),
        (np.eye(4), [0, 1, 0, 1], {"n_features": 0}, "n_features"),
        (np.eye(4), [0, 1, 0, 1], {"ws_append_misclassified": "yes"}, "ws_append"),
    ],
)
def test_bad_input_estimator(X, y, kwargs, match):
    with pytest.raises(ValueError, match=match):
        LayerwiseKernelNet(**kwargs).fit(X, y)


def test_bad_input_functions():
    R, y, W, sigma = _problem()
    G = label_gamma(y)
    with pytest.raises(ValueError, match="sigma"):
        layer_objective(W, R, G, sigma=0.0)
    with pytest.raises(ValueError, match="sigma"):
        layer_gradient(W, R, G, sigma=-1.0)
    with pytest.raises(ValueError, match="W"):
        layer_objective(W[:-1], R, G, sigma=sigma)
    with pytest.raises(ValueError, match="Gamma"):
        ism_matrix(W, R, G[:-1], sigma=sigma)
    with pytest.raises(ValueError, match="q"):
        ism_fixed_point(R, y, q=R.shape[1] + 1, sigma=sigma)
    with pytest.raises(ValueError, match="y"):
        closed_form_weights(R, np.zeros(len(R)))
    with pytest.raises(ValueError, match="G"):
        stiefel_gradient(W, W[:, :1])
    with pytest.raises(ValueError, match="y"):
        eq11_terms(W, R, y[:-1], sigma=sigma)


def test_layer_metrics_match_public_functions():
    rng = np.random.default_rng(5)
    Z = rng.standard_normal((45, 3))
    y = np.arange(45) % 3
    Z[:, 1] += 2 * y
    K = gaussian_kernel(Z, sigma=1.5)
    A = _common._centred_one_hot(y, 3)
    m = _metrics._layer_metrics(K, A, y, 3, Z)
    # class-block-sum formulas vs the direct definitions: sums of ~n^2 terms, 1e-10 relative
    assert m["scatter_ratio"] == pytest.approx(scatter_ratio(K, y), rel=1e-10)
    assert m["kernel_distance"] == pytest.approx(ideal_kernel_distance(K, y), rel=1e-10)
    assert m["distance_ratio"] == pytest.approx(distance_ratio(Z, y), rel=1e-10)
    # Zout=None: distances in the feature space of K, sqrt(2 - 2 K_ij)
    m0 = _metrics._layer_metrics(K, A, y, 3)
    D = np.sqrt(np.maximum(2 - 2 * K, 0))
    same = y[:, None] == y[None, :]
    assert m0["distance_ratio"] == pytest.approx(D[same].sum() / D[~same].sum(), rel=1e-10)


def test_single_precision_iteration_matches_double():
    """precision="single" only changes the loop's arithmetic: the first layer (same sigma, same
    start) lands on the same fixed point to the float32 level."""
    X, y = datasets.load("wine")
    tr, _ = datasets.folds("wine")[0]
    Xtr = scale(X[tr])
    h = {}
    for prec in ("single", "double"):
        net = LayerwiseKernelNet(random_state=0, max_layers=1, ism_precision=prec).fit(Xtr, y[tr])
        h[prec] = net.history_[0]
    assert h["single"]["sigma"] == h["double"]["sigma"]
    # float32 eigenvectors carry ~1e-6 relative noise; the objective is stationary at W*, so
    # its value agrees to ~1e-6 or better; 1e-5 leaves margin
    assert h["single"]["objective"] == pytest.approx(h["double"]["objective"], rel=1e-5)


def test_random_fourier_features_approximate_the_gaussian_kernel():
    rng = np.random.default_rng(7)
    Z = rng.standard_normal((20, 3))
    D = 20000
    Phi, (Om, b) = lw.random_fourier_features(Z, sigma=1.3, n_features=D, random_state=0)
    K = gaussian_kernel(Z, sigma=1.3)
    # each entry of Phi Phi^T is a mean of D i.i.d. terms cos(a) cos(b) * 2 with variance
    # <= 1/D... 2/D: standard deviation <= sqrt(2/D) = 0.01; 5 standard deviations cover the
    # 400 entries (Monte Carlo error bar)
    assert np.abs(Phi @ Phi.T - K).max() < 5 * np.sqrt(2 / D)
    # reusing the draw maps new points with the same features
    Phi2, _ = lw.random_fourier_features(Z[:5], sigma=1.3, params=(Om, b))
    np.testing.assert_array_equal(Phi2, Phi[:5])


def test_ism_width_rule():
    rng = np.random.default_rng(8)
    R = rng.standard_normal((50, 12)) * np.geomspace(10, 0.1, 12)
    s = np.linalg.svd(R, compute_uv=False)
    k = int(np.argmax(np.cumsum(s) / s.sum() >= 0.5)) + 1  # smallest k reaching 50 %
    assert lw.ism_width(R, 1) == max(k, 2)
    assert lw.ism_width(R, 3) == max(k, 6)
    assert lw.ism_width(R, 10) == 12  # 2c = 20 capped at min(n, m)
    with pytest.raises(ValueError, match="variance_kept"):
        lw.ism_width(R, 2, variance_kept=0.0)


@pytest.mark.parametrize("variant", ["raw", "none"])
def test_ws_misclassified_variants(variant):
    X, y = make_blobs(90, centers=3, random_state=3, cluster_std=2.5)
    net = LayerwiseKernelNet("closed_form", ws_append_misclassified=variant, max_layers=3,
                             random_state=0).fit(X, y)
    assert net.score(X, y) > 0.8
    if variant == "none":
        assert all(h["n_extra_columns"] == 0 for h in net.history_)
        assert all(h["width"] == 3 for h in net.history_)


def test_bad_precision():
    with pytest.raises(ValueError, match="ism_precision"):
        LayerwiseKernelNet(ism_precision="half").fit(np.eye(4), [0, 1, 0, 1])


# ---------------------------------------------------------------------------------------------
# Claim 6's penalty weights, random Stiefel points and Riemannian gradient ascent (Claim 5)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("c", [2, 3])
def test_penalty_weight_sum_is_objective_over_sigma2_under_the_sign_split(c):
    R, y, W, sigma = _problem(n=42, c=c)
    G = label_gamma(y)
    assert eq11_terms(W, R, y, sigma=sigma)["sign_split_holds"]
    # sum_i D_i = sigma^-2 sum_ij Gamma_ij K_ij exactly (sums of n^2 O(1) terms: 1e-12 relative)
    assert lw.penalty_weight_sum(W, R, y, sigma=sigma) == pytest.approx(
        layer_objective(W, R, G, sigma=sigma) / sigma**2, rel=1e-12)


def test_penalty_weight_sum_differs_when_the_sign_split_fails():
    R, y, W, sigma = _problem(n=40, balanced=False)
    G = label_gamma(y)
    # the |Gamma_ij| of the two small classes enter with the wrong sign: a real difference
    d = lw.penalty_weight_sum(W, R, y, sigma=sigma) - layer_objective(W, R, G, sigma=sigma) / sigma**2
    assert abs(d) > 1e-6 * abs(layer_objective(W, R, G, sigma=sigma) / sigma**2)


def test_random_stiefel_is_orthonormal_and_seeded():
    W = lw.random_stiefel(7, 3, random_state=1)
    np.testing.assert_allclose(W.T @ W, np.eye(3), atol=1e-14)  # QR: orthonormal to rounding
    np.testing.assert_array_equal(W, lw.random_stiefel(7, 3, random_state=1))
    assert not np.allclose(W, lw.random_stiefel(7, 3, random_state=2))
    with pytest.raises(ValueError, match="q"):
        lw.random_stiefel(3, 4)


def test_stiefel_ascent_reaches_the_ism_fixed_point():
    """Two independent optimisers of eq. 1 (ISM and Riemannian gradient ascent from a random
    start) agree on a small problem; every accepted ascent step raises eq. 1."""
    R, y, _, sigma = _problem(n=40, m=5, c=2)
    G = label_gamma(y)
    Wst, info = ism_fixed_point(R, y, q=2, sigma=sigma, tol=1e-12, max_iter=500)
    W, a = lw.stiefel_ascent(R, y, q=2, sigma=sigma, random_state=0, max_iter=3000)
    np.testing.assert_allclose(W.T @ W, np.eye(2), atol=1e-12)
    assert np.all(np.diff(a["trace"]) >= 0)
    assert a["objective"] == pytest.approx(layer_objective(W, R, G, sigma=sigma), rel=1e-12)
    # gradient ascent converges linearly: 1e-7 relative is well inside 3000 steps here, and far
    # below the O(1e-2) differences between distinct stationary points of this problem
    assert a["objective"] == pytest.approx(info["objective"], rel=1e-7)
    # from the fixed point itself, it is already stationary: no step
    W2, b = lw.stiefel_ascent(R, y, q=2, sigma=sigma, W0=Wst, gtol=1e-4)
    assert b["converged"] and b["iterations"] == 1


def test_stiefel_ascent_bad_input():
    R, y, W, sigma = _problem()
    with pytest.raises(ValueError, match="W0"):
        lw.stiefel_ascent(R, y, q=3, sigma=sigma, W0=np.eye(3))
    with pytest.raises(ValueError, match="W0 must have q"):
        lw.stiefel_ascent(R, y, q=2, sigma=sigma, W0=W)
    with pytest.raises(ValueError, match="sigma"):
        lw.stiefel_ascent(R, y, q=2, sigma=0.0)
    with pytest.raises(ValueError, match="max_iter"):
        lw.stiefel_ascent(R, y, q=2, sigma=1.0, max_iter=0)


# ---------------------------------------------------------------- the authors' W_s extra columns
def test_ws_extra_groups_authors_rule_on_a_constructed_case():
    """NIK_Thm1_Release_V2's rule: extras only when the previous output's width differs from
    the input's; misclassified = argmax over ALL columns (earlier extras included)."""
    codes = np.array([0, 0, 1, 1])
    # 2 class columns + 1 earlier extra column; row 1 (class 0) is largest in the extra
    # column, row 3 (class 1) is largest in class column 0
    Z = np.array([[0.9, 0.1, 0.0],
                  [0.6, 0.2, 0.8],
                  [0.1, 0.7, 0.3],
                  [0.5, 0.4, 0.1]])
    g = lw.ws_extra_groups(Z, codes, 2, 5, "authors")
    assert [list(x) for x in g] == [[1], [3]]
    # over the c class columns only (the book's variants), row 1 is classified correctly
    g = lw.ws_extra_groups(Z, codes, 2, 5, "raw")
    assert [list(x) for x in g] == [[3]]
    # equal widths: no extras under the authors' rule, whatever is misclassified
    assert lw.ws_extra_groups(Z, codes, 2, 3, "authors") == []
    assert lw.ws_extra_groups(Z, codes, 2, 5, "none") == []
    # the book's variants add nothing at layer 1 (Z is X there)
    assert lw.ws_extra_groups(Z, codes, 2, 3, "normalized", first_layer=True) == []
    with pytest.raises(ValueError, match="rule"):
        lw.ws_extra_groups(Z, codes, 2, 5, "poster")
    with pytest.raises(ValueError, match="codes"):
        lw.ws_extra_groups(Z, codes[:3], 2, 5, "authors")


def test_ws_authors_extras_in_the_network():
    # d = 2 = c: the previous output always has the input's width, so never any extra column
    X, y = make_blobs(80, centers=2, n_features=2, random_state=1, cluster_std=3.0)
    net = LayerwiseKernelNet("closed_form", ws_append_misclassified="authors", stop="max_layers",
                             max_layers=3, random_state=0).fit(X, y)
    assert all(h["n_extra_columns"] == 0 and h["width"] == 2 for h in net.history_)
    # d = 5 != c = 3: none at layer 1, then one per class with misclassified samples, with
    # normaliser 1: the extra column of a layer is the plain kernel sum over its group
    X, y = make_blobs(90, centers=3, n_features=5, random_state=3, cluster_std=6.0)
    net = LayerwiseKernelNet("closed_form", ws_append_misclassified="authors", stop="max_layers",
                             max_layers=3, random_state=0).fit(X, y)
    h = net.history_
    assert h[0]["n_extra_columns"] == 0 and h[0]["width"] == 3
    assert len(h) >= 2
    Z1 = net.layer_outputs(X)[0]
    codes = np.searchsorted(net.classes_, y)
    expect = lw.ws_extra_groups(Z1, codes, 3, 5, "authors")
    assert h[1]["n_extra_columns"] == len(expect) > 0
    S = net.layers_[1]["S"]
    for j, g in enumerate(expect):
        col = S[:, 3 + j]
        assert set(np.flatnonzero(col)) == set(g)
        np.testing.assert_array_equal(col[g], 1.0)  # normaliser 1


def test_ws_stops_when_the_smallest_sigma_is_accepted():
    # kchain.exit_loop: with a one-value list every accepted sigma is the list's smallest
    X, y = make_blobs(60, centers=2, n_features=3, random_state=2, cluster_std=3.0)
    net = LayerwiseKernelNet("closed_form", ws_n_sigmas=1, hsic_exit=0.999999,
                             random_state=0).fit(X, y)
    assert net.n_layers_ == 1 and net.stop_reason_ == "smallest_sigma"


def test_authors_ws_options_are_the_published_lists():
    from kernelnet import datasets

    assert datasets.authors_ws_options("adversarial")["ws_smallest_sigma"] == 0.001
    assert datasets.authors_ws_options("divorce")["ws_n_sigmas"] == 40
    assert datasets.authors_ws_bandwidths("wine") == (0.05, 20)
    assert set(datasets.AUTHORS_WS_BANDWIDTHS) == set(datasets.names(poster_only=True))
    opts = datasets.authors_ws_options("wine")
    assert opts["ws_append_misclassified"] == "authors"
    LayerwiseKernelNet("closed_form", **opts)._check_params()
    with pytest.raises(ValueError, match="name"):
        datasets.authors_ws_bandwidths("car_uci")


def test_ws_rff_normaliser_approximates_the_exact_one():
    # the authors' 200-feature normaliser: close to the exact norm, not equal to it
    X, y = make_blobs(60, centers=2, n_features=3, random_state=5, cluster_std=2.0)
    kw = dict(sigma=1.5, stop="max_layers", max_layers=1, random_state=0)
    ex = LayerwiseKernelNet("closed_form", **kw).fit(X, y).layers_[0]["S"]
    rf = LayerwiseKernelNet("closed_form", ws_normaliser="rff", **kw).fit(X, y).layers_[0]["S"]
    ratio = rf[rf > 0] / ex[ex > 0]
    # relative error of a 200-feature estimate of a norm: a few per cent (1/sqrt(200) = 0.07)
    assert np.all(np.abs(ratio - 1) < 0.1) and np.any(np.abs(ratio - 1) > 1e-6)
    with pytest.raises(ValueError, match="ws_normaliser"):
        LayerwiseKernelNet("closed_form", ws_normaliser="approx").fit(X, y)


def test_estimator_docstring_example_runs():
    """The Pipeline example in LayerwiseKernelNet's docstring runs as a doctest (issue 17)."""
    import doctest

    from kernelnet import layerwise

    finder = doctest.DocTestFinder()
    tests = [t for t in finder.find(layerwise.LayerwiseKernelNet, "LayerwiseKernelNet",
                                    globs={}) if t.examples]
    assert tests, "LayerwiseKernelNet has no doctest example"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for t in tests:
        runner.run(t)
    result = runner.summarize(verbose=False)
    assert result.attempted >= 2 and result.failed == 0


def test_package_exports_one_home_per_name():
    """kernelnet.layerwise is a package of private topic files: every public name has one home
    there, __all__ lists what the API page documents, and the table's output columns are the
    same function under the experiments' old import path."""
    from kernelnet.experiments import poster_table as pt

    assert len(set(lw.__all__)) == len(lw.__all__)
    for name in lw.__all__:
        assert getattr(lw, name).__module__.startswith("kernelnet.layerwise._"), name
    assert pt.output_metrics is lw.output_metrics
    assert not hasattr(lw, "_gauss_inplace")  # dead code, removed
