"""Tests of kernelnet.single_layer (seed 001, lecture "Single-layer neural networks")."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernelnet.checks import adjoint_test, derivative_check
from kernelnet.single_layer import (
    cross_entropy,
    dense_hessian,
    gauss_newton,
    gradient_descent,
    HESSIAN_KINDS,
    hessian_operator,
    inverse_crime_data,
    lbfgs,
    pack,
    random_features,
    single_layer,
    single_layer_objective,
    SingleLayerProblem,
    softmax_shift_basis,
    unpack,
)

# derandomize: the hypothesis examples are fixed, so a failure reproduces; few, small sizes keep
# the module well under the 60 s budget.
FAST = settings(max_examples=8, deadline=None, derandomize=True)
sizes = st.tuples(
    st.integers(1, 6),  # m
    st.integers(1, 5),  # n_f
    st.integers(1, 7),  # n
    st.sampled_from(["tanh", "relu"]),
    st.booleans(),  # vector bias
    st.integers(0, 2**16),  # seed
)


def _setup(m, nf, n, vector_bias, seed):
    rng = np.random.default_rng(seed)
    K = rng.standard_normal((m, nf))
    Y = rng.standard_normal((nf, n))
    b = rng.standard_normal(m) if vector_bias else float(rng.standard_normal())
    return rng, K, b, Y


def _sigma(A, act):
    return np.tanh(A) if act == "tanh" else np.maximum(A, 0.0)


def _vecF(M):
    return np.asarray(M).ravel(order="F")


@FAST
@given(sizes)
def test_adjoint_tests_all_operators(args):
    m, nf, n, act, vb, seed = args
    _, K, b, Y = _setup(m, nf, n, vb, seed)
    L = single_layer(K, b, Y, act)
    nb = m if vb else 1
    for name, fwd, adj, n_in in [
        ("K", L.JK, L.JKt, m * nf),
        ("b", L.Jb, L.Jbt, nb),
        ("Y", L.JY, L.JYt, nf * n),
    ]:
        r = adjoint_test(fwd, adj, n_in, m * n, random_state=seed)
        assert r.passed, f"{name}: {r}"


@FAST
@given(sizes)
def test_derivative_checks_all_operators(args):
    m, nf, n, act, vb, seed = args
    _, K, b, Y = _setup(m, nf, n, vb, seed)
    # n_steps=20 reaches h ~ 2e-6: for ReLU the smallest steps then cross no kink unless some
    # |K Y + b| entry is below ~1e-5, so E1 is at the rounding floor there (a pass by
    # checks.derivative_check's rule), while a wrong Jv would leave E1 ~ h |error|.
    kw = dict(random_state=seed, n_steps=20)

    def fK(k):
        return _vecF(single_layer(k.reshape(m, nf, order="F"), b, Y, act).Z)

    r = derivative_check(fK, lambda k, v: single_layer(k.reshape(m, nf, order="F"), b, Y, act).JK(v),
                         _vecF(K), **kw)
    assert r.passed, str(r)

    bvec = np.atleast_1d(np.asarray(b, dtype=float))

    def as_b(x):
        return x if vb else float(x[0])

    r = derivative_check(lambda x: _vecF(single_layer(K, as_b(x), Y, act).Z),
                         lambda x, v: single_layer(K, as_b(x), Y, act).Jb(v), bvec, **kw)
    assert r.passed, str(r)

    r = derivative_check(lambda y: _vecF(single_layer(K, b, y.reshape(nf, n, order="F"), act).Z),
                         lambda y, v: single_layer(K, b, y.reshape(nf, n, order="F"), act).JY(v),
                         _vecF(Y), **kw)
    assert r.passed, str(r)


def test_operators_match_dense_kronecker_formulas():
    # Reference: the seed's dense formulas J_K = diag(sigma')(Y^T kron I), J_Y = diag(sigma')(I kron K).
    rng, K, b, Y = _setup(4, 3, 5, True, 0)
    for act in ["tanh", "relu", "identity"]:
        L = single_layer(K, b, Y, act)
        A = K @ Y + b[:, None]
        np.testing.assert_allclose(L.Z, _sigma(A, act) if act != "identity" else A, rtol=1e-14)
        D = np.diag(_vecF(L.dsigma))
        JK = D @ np.kron(Y.T, np.eye(4))
        JY = D @ np.kron(np.eye(5), K)
        Jb = D @ np.kron(np.ones((5, 1)), np.eye(4))
        for J, f, ft in [(JK, L.JK, L.JKt), (JY, L.JY, L.JYt), (Jb, L.Jb, L.Jbt)]:
            v = rng.standard_normal(J.shape[1])
            u = rng.standard_normal(J.shape[0])
            # same products in another order: rounding of O(n_f) terms, 1e-12 is ample
            np.testing.assert_allclose(f(v), J @ v, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(ft(u), J.T @ u, rtol=1e-12, atol=1e-12)
        op = L.operator("K")
        v = rng.standard_normal(12)
        np.testing.assert_allclose(op.matvec(v), JK @ v, rtol=1e-12, atol=1e-12)


def test_wrong_transpose_is_caught():
    # The ERRATA 001 misreading vec(sigma' o (mat(u) Y^T)) is not even well defined unless m x n
    # and m x n_f agree; the other classic slip, forgetting sigma' in the transpose, must fail.
    _, K, b, Y = _setup(5, 4, 6, False, 3)
    L = single_layer(K, b, Y, "tanh")

    def bad_JKt(u):
        return (Y @ u.reshape(6, 5)).reshape(-1)

    assert not adjoint_test(L.JK, bad_JKt, 20, 30, random_state=0).passed


def test_cross_entropy_gradient_and_hessian():
    rng = np.random.default_rng(1)
    S = rng.standard_normal((4, 9))
    C = np.eye(4)[:, rng.integers(0, 4, 9)]
    E, G, H = cross_entropy(S, C)
    P = np.exp(S) / np.exp(S).sum(axis=0)
    # direct formula, no shift: agreement to rounding of 36 logs
    assert abs(E - (-np.sum(C * np.log(P)) / 9)) < 1e-13
    r = derivative_check(lambda s: cross_entropy(s.reshape(4, 9), C)[0],
                         lambda s, v: np.sum(cross_entropy(s.reshape(4, 9), C)[1] * v.reshape(4, 9)),
                         S.ravel(), random_state=0)
    assert r.passed, str(r)
    r = derivative_check(lambda s: cross_entropy(s.reshape(4, 9), C)[1].ravel(),
                         lambda s, v: cross_entropy(s.reshape(4, 9), C)[2](v.reshape(4, 9)).ravel(),
                         S.ravel(), random_state=0)
    assert r.passed, str(r)
    assert adjoint_test(lambda v: H(v).ravel(), lambda u: H(u).ravel(), 36, 36, random_state=1).passed
    # no overflow for huge scores (shifted log-sum-exp)
    E_big, _, _ = cross_entropy(S + 1e4, C)
    assert abs(E_big - E) < 1e-9


@pytest.mark.parametrize("act", ["tanh", "relu"])
@pytest.mark.parametrize("bias", ["scalar", "vector"])
def test_objective_gradient_and_gauss_newton_hessian(act, bias):
    d = inverse_crime_data(40, 5, 3, 4, random_state=2)
    P = SingleLayerProblem(d["Y"], d["C"], 4, activation=act, bias=bias, reg=1e-3)
    x = P.initial_guess(5)
    r = derivative_check(P.loss, lambda x, v: P.loss_and_gradient(x)[1] @ v, x,
                         random_state=1, n_steps=20)
    assert r.passed, str(r)
    E, g = single_layer_objective(x, d["Y"], d["C"], 4, activation=act, bias=bias, reg=1e-3)
    np.testing.assert_array_equal(g, P.loss_and_gradient(x)[1])
    _, _, H = P.loss_gradient_hessian(x)
    assert adjoint_test(H.matvec, H.matvec, P.size, P.size, random_state=0).passed
    # positive semi-definite (Gauss-Newton + exact convex W block + reg): v^T H v >= reg |v|^2
    rng = np.random.default_rng(0)
    for _ in range(5):
        v = rng.standard_normal(P.size)
        assert v @ H.matvec(v) >= 1e-3 * (v @ v) * (1 - 1e-10)


def test_w_block_is_exact_hessian():
    # S is linear in W, so the W block of H must match the derivative of the W-gradient.
    d = inverse_crime_data(30, 4, 3, 5, random_state=3)
    P = SingleLayerProblem(d["Y"], d["C"], 5)
    x = P.initial_guess(0)
    nK = 5 * 4 + 1
    mask = np.zeros(P.size)
    mask[nK:] = 1.0
    _, _, H = P.loss_gradient_hessian(x)
    r = derivative_check(lambda x: P.loss_and_gradient(x)[1][nK:],
                         lambda x, v: P.loss_gradient_hessian(x)[2].matvec(v)[nK:], x,
                         direction=mask * np.random.default_rng(1).standard_normal(P.size))
    assert r.passed, str(r)


def test_pack_unpack_roundtrip():
    rng = np.random.default_rng(4)
    K, W, b = rng.standard_normal((3, 2)), rng.standard_normal((4, 3)), rng.standard_normal(3)
    x = pack(K, b, W)
    K2, b2, W2 = unpack(x, 2, 3, 4, "vector")
    np.testing.assert_array_equal(K, K2)
    np.testing.assert_array_equal(b, b2)
    np.testing.assert_array_equal(W, W2)
    assert x[0] == K[0, 0] and x[1] == K[1, 0]  # column-major vec as in the seed's K(:)
    x = pack(K, 0.5, W)
    assert unpack(x, 2, 3, 4)[1] == 0.5 and x.size == 6 + 1 + 12


def test_gauss_newton_beats_gradient_descent_on_inverse_crime():
    # Quick version of the seed's inverse crime (n=500, n_f=50, n_c=10, m=40 scaled down).
    d = inverse_crime_data(200, 20, 5, 16, random_state=0)
    P = SingleLayerProblem(d["Y"], d["C"], 16)
    x0 = P.initial_guess(1)
    iters = 15
    gn = gauss_newton(P, x0, max_iter=iters)
    gd = gradient_descent(P, x0, max_iter=iters)
    lb = lbfgs(P, x0, max_iter=iters)
    for h in (gn, gd, lb):
        assert h.iterations == iters
        assert np.all(np.diff(h.loss) <= 1e-12)  # monotone: Armijo / Wolfe line searches
        assert np.all(np.diff(h.matvecs) > 0)
    entropy = -np.sum(d["C"] * np.log(d["C"])) / d["C"].shape[1]  # lower bound of the loss
    assert gn.loss[-1] >= entropy - 1e-12
    # GN's excess over the attainable minimum is well below GD's
    assert gn.loss[-1] - entropy < 0.5 * (gd.loss[-1] - entropy), (gn.loss, gd.loss)
    assert gn.loss[-1] < gd.loss[-1]
    np.testing.assert_allclose(P.loss(gn.x), gn.loss[-1], rtol=1e-12)
    np.testing.assert_allclose(P.loss(lb.x), lb.loss[-1], rtol=1e-12)
    for h in (gn, gd, lb):
        np.testing.assert_allclose(h.grad_norm[-1], np.linalg.norm(P.loss_and_gradient(h.x)[1]),
                                   rtol=1e-12)


def test_random_features_interpolate_with_m_equal_n():
    rng = np.random.default_rng(5)
    Y = rng.uniform(-3, 3, (2, 40))
    C = np.sin(Y[0]) * Y[1]
    rf = random_features(Y, C, 40, reg=0.0, random_state=0)
    # m = n generic tanh features are (numerically) invertible: residual at ~cond * eps level
    assert np.max(np.abs(rf.predict(Y) - C)) < 1e-5
    rf2 = random_features(Y, C, 40, reg=0.0, random_state=0)
    np.testing.assert_array_equal(rf.K, rf2.K)
    small = random_features(Y, C[None, :], 5, reg=1e-6, random_state=0)
    assert np.mean((small.predict(Y) - C) ** 2) > np.mean((rf.predict(Y) - C) ** 2)
    # the regularised solution solves the normal equations
    Z = small.features(Y)
    np.testing.assert_allclose((small.W @ Z - C) @ Z.T + 1e-6 * small.W, 0, atol=1e-8)


def test_inverse_crime_data_matches_seed():
    d = inverse_crime_data(random_state=0)
    assert d["Y"].shape == (50, 500) and d["C"].shape == (10, 500)
    assert d["K"].shape == (40, 50) and d["W"].shape == (10, 40) and d["b"] == 0.1
    np.testing.assert_allclose(d["C"].sum(axis=0), 1.0, rtol=1e-14)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: single_layer(np.ones((3, 2)), 0.1, np.ones((3, 4))), "Y"),
        (lambda: single_layer(np.ones(3), 0.1, np.ones((3, 4))), "K"),
        (lambda: single_layer(np.ones((3, 2)), np.ones(2), np.ones((2, 4))), "b"),
        (lambda: single_layer(np.ones((3, 2)), np.nan, np.ones((2, 4))), "b"),
        (lambda: single_layer(np.ones((3, 2)), "x", np.ones((2, 4))), "b"),
        (lambda: single_layer(np.ones((3, 2)), None, np.ones((2, 4))), "b"),
        (lambda: single_layer(np.ones((3, 2)), object(), np.ones((2, 4))), "b"),
        (lambda: single_layer(np.ones((3, 2)), 0.1, np.ones((2, 4)), "tanh").Jb(np.ones(2)), "v"),
        (lambda: single_layer(np.ones((3, 2)), 0.1, np.full((2, 4), np.inf)), "Y"),
        (lambda: single_layer(np.ones((3, 2)), 0.1, np.ones((2, 4)), "sigmoid"), "activation"),
        (lambda: single_layer(np.ones((3, 2)), 0.1, np.ones((2, 4))).JK(np.ones(5)), "v"),
        (lambda: single_layer(np.ones((3, 2)), 0.1, np.ones((2, 4))).JK(np.ones((3, 2))), "v"),
        (lambda: single_layer(np.ones((3, 2)), 0.1, np.ones((2, 4))).JKt(np.ones(6)), "u"),
        (lambda: single_layer(np.ones((3, 2)), 0.1, np.ones((2, 4))).Jb(np.ones(3)), "v"),
        (lambda: single_layer(np.ones((3, 2)), 0.1, np.ones((2, 4))).Jbt([np.nan] * 12), "u"),
        (lambda: single_layer(np.ones((3, 2)), 0.1, np.ones((2, 4))).JY(np.ones(12)), "v"),
        (lambda: single_layer(np.ones((3, 2)), 0.1, np.ones((2, 4))).JYt(np.ones(8)), "u"),
        (lambda: single_layer(np.ones((3, 2)), 0.1, np.ones((2, 4))).operator("W"), "wrt"),
        (lambda: cross_entropy(np.ones((3, 4)), np.ones((3, 5))), "C"),
        (lambda: cross_entropy(np.ones((3, 4)), -np.ones((3, 4))), "C"),
        (lambda: SingleLayerProblem(np.ones((2, 4)), np.ones((3, 5)), 2), "C"),
        (lambda: SingleLayerProblem(np.ones((2, 4)), np.ones((3, 4)), 0), "m"),
        (lambda: SingleLayerProblem(np.ones((2, 4)), np.ones((3, 4)), 2, bias="matrix"), "bias"),
        (lambda: SingleLayerProblem(np.ones((2, 4)), np.ones((3, 4)), 2, reg=-1), "reg"),
        (lambda: SingleLayerProblem(np.ones((2, 4)), np.ones((3, 4)), 2).loss_and_gradient(np.ones(3)), "x"),
        (lambda: SingleLayerProblem(np.ones((2, 4)), np.ones((3, 4)), 2).loss([1.0] * 3), "x"),
        (lambda: SingleLayerProblem(np.ones((2, 4)), np.ones((3, 4)), 2).loss([np.nan] * 11), "x"),
        (lambda: gauss_newton(SingleLayerProblem(np.ones((2, 4)), np.ones((3, 4)), 2), np.ones(3)), "x0"),
        (lambda: gauss_newton(SingleLayerProblem(np.ones((2, 4)), np.ones((3, 4)), 2), np.ones(11),
                              cg_maxiter=0), "cg_maxiter"),
        (lambda: gradient_descent(SingleLayerProblem(np.ones((2, 4)), np.ones((3, 4)), 2), np.ones(11),
                                  max_iter=-1), "max_iter"),
        (lambda: gradient_descent(SingleLayerProblem(np.ones((2, 4)), np.ones((3, 4)), 2), np.ones(11),
                                  step=0), "step"),
        (lambda: lbfgs("problem", np.ones(11)), "problem"),
        (lambda: lbfgs(SingleLayerProblem(np.ones((2, 4)), np.ones((3, 4)), 2), np.ones(11), memory=0),
         "memory"),
        (lambda: unpack(np.ones(10), 2, 2, 3), "x"),
        (lambda: pack(np.ones((3, 2)), 0.1, np.ones((4, 2))), "W"),
        (lambda: random_features(np.ones((2, 4)), np.ones(5), 3), "C"),
        (lambda: random_features(np.ones((2, 4)), np.ones(4), 0), "m"),
        (lambda: random_features(np.ones((2, 4)), np.ones(4), 3, reg=-1.0), "reg"),
        (lambda: random_features(np.ones((2, 4)), np.ones(4), 3, scale=0.0), "scale"),
        (lambda: inverse_crime_data(n_c=1), "n_c"),
        (lambda: inverse_crime_data(b=np.nan), "b"),
    ],
)
def test_bad_input_raises(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---------------------------------------------------------------------------------------------
# Hessians and the identifiability of the inverse crime (issue 16, items 1 and 7)
# ---------------------------------------------------------------------------------------------


def _off_truth_problem(bias="scalar", act="tanh", seed=0):
    rng = np.random.default_rng(seed)
    d = inverse_crime_data(40, 4, 3, 5, random_state=seed)
    # soft labels the model cannot match exactly, so the residual term is not zero
    C = 0.5 * d["C"] + 0.5 * np.eye(3)[:, rng.integers(0, 3, 40)]
    prob = SingleLayerProblem(d["Y"], C, 5, bias=bias, activation=act, reg=1e-3)
    return prob, 2.0 * prob.initial_guess(rng)


@pytest.mark.parametrize("bias", ["scalar", "vector"])
def test_exact_hessian_is_the_derivative_of_the_gradient(bias):
    prob, x = _off_truth_problem(bias)
    r = derivative_check(lambda z: prob.loss_and_gradient(z)[1],
                         lambda z, v: hessian_operator(prob, z, "exact").matvec(v), x,
                         random_state=1)
    assert r.passed and r.order1 > 1.8, str(r)
    # against a central-difference Hessian: error O(h^2) ~ 1e-12 plus rounding eps/h ~ 1e-10
    h = 1e-6
    H_fd = np.array([(prob.loss_and_gradient(x + h * e)[1] - prob.loss_and_gradient(x - h * e)[1])
                     / (2 * h) for e in np.eye(prob.size)])
    H = dense_hessian(prob, x, "exact")
    assert np.abs(H - H_fd).max() < 1e-6 * np.abs(H).max()


def test_gauss_newton_kinds_are_symmetric_psd_and_block_matches_the_solver():
    prob, x = _off_truth_problem()
    Hs = {k: dense_hessian(prob, x, k) for k in HESSIAN_KINDS}
    for k in ("block", "gauss-newton"):
        # J^T H_S J + reg I is PSD: eigenvalues >= reg up to rounding of ||H|| * eps * size
        ev = np.linalg.eigvalsh(Hs[k])
        assert ev.min() > prob.reg - 1e-10 * ev.max(), k
    # the block model is the operator the Gauss-Newton solver has always used
    _, _, Hop = prob.loss_gradient_hessian(x)
    H_solver = np.column_stack([Hop.matvec(e) for e in np.eye(prob.size)])
    np.testing.assert_allclose(Hs["block"], H_solver, rtol=0, atol=1e-12 * np.abs(H_solver).max())
    # its off-diagonal blocks are zero; the coupled matrix's are not
    nK = prob.m * prob.n_f
    assert np.all(Hs["block"][:nK, nK + 1:] == 0)
    assert np.abs(Hs["gauss-newton"][:nK, nK + 1:]).max() > 1e-3 * np.abs(Hs["gauss-newton"]).max()
    # off the truth the residual term is present: exact differs from Gauss-Newton
    assert np.linalg.norm(Hs["exact"] - Hs["gauss-newton"]) > 1e-3 * np.linalg.norm(Hs["exact"])


def test_shift_directions_are_flat_for_every_curvature_model():
    prob, x = _off_truth_problem()
    prob.reg = 0.0
    B = softmax_shift_basis(prob)
    np.testing.assert_allclose(B.T @ B, np.eye(prob.m), atol=1e-14)
    for k in HESSIAN_KINDS:
        HB = np.column_stack([hessian_operator(prob, x, k).matvec(b) for b in B.T])
        # softmax cannot see the shift: H_S annihilates it exactly, leaving rounding
        assert np.abs(HB).max() < 1e-12, k
    # and the loss is constant along it (to rounding)
    E0 = prob.loss(x)
    assert abs(prob.loss(x + 3.0 * B[:, 0]) - E0) < 1e-12
