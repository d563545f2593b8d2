"""Tests of kernelnet.checks: derivative check and adjoint test.

Each check must pass on functions with known derivatives and FAIL on a wrong derivative or a
wrong transpose, so that the tests calling it elsewhere can fail.
"""

from __future__ import annotations

import numpy as np
import pytest

from kernelnet.checks import (
    ADJOINT_RTOL,
    AdjointTestResult,
    DerivativeCheckResult,
    adjoint_test,
    derivative_check,
)


def _softmax_ce(A, c):
    """Scalar test function f(x) = logsumexp(A x) - c^T A x with gradient A^T (p - c)."""

    def f(x):
        s = A @ x
        smax = s.max()
        return smax + np.log(np.sum(np.exp(s - smax))) - c @ s

    def jvp(x, v):
        s = A @ x
        p = np.exp(s - s.max())
        p /= p.sum()
        return (p - c) @ (A @ v)

    return f, jvp


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_derivative_check_passes_on_known_functions(seed):
    rng = np.random.default_rng(seed)
    # vector-valued: elementwise tanh of a matrix product
    A = rng.standard_normal((7, 5))
    x = rng.standard_normal(5)
    r = derivative_check(
        lambda z: np.tanh(A @ z), lambda z, v: (1 - np.tanh(A @ z) ** 2) * (A @ v), x,
        random_state=seed,
    )
    assert isinstance(r, DerivativeCheckResult)
    assert r.passed, str(r)
    # Taylor: E0 first order, E1 second order; 0.2 covers the O(h) correction at h ~ 5e-4
    # and a step near the floor.
    assert abs(r.order0 - 1.0) < 0.2
    assert abs(r.order1 - 2.0) < 0.2
    # scalar-valued: softmax cross-entropy
    c = np.zeros(7)
    c[seed] = 1.0
    f, jvp = _softmax_ce(A, c)
    r = derivative_check(f, jvp, x, random_state=seed)
    assert r.passed, str(r)
    assert abs(r.order1 - 2.0) < 0.2


def test_derivative_check_matrix_argument_and_given_direction():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((4, 3))
    V = rng.standard_normal((4, 3))
    r = derivative_check(lambda Z: Z @ Z.T, lambda Z, D: D @ Z.T + Z @ D.T, X, direction=V)
    assert r.passed
    # f is quadratic: E1 = h^2 |V V^T| exactly (up to rounding) wherever above the floor.
    expected = r.h**2 * np.linalg.norm(V @ V.T)
    ok = r.err1 > r.floor
    np.testing.assert_allclose(r.err1[ok], expected[ok], rtol=1e-8)


def test_derivative_check_linear_function_is_at_rounding_level():
    rng = np.random.default_rng(4)
    A = rng.standard_normal((6, 4))
    r = derivative_check(lambda x: A @ x, lambda x, v: A @ v, rng.standard_normal(4), random_state=0)
    assert r.passed
    assert np.all(r.err1 <= r.floor)
    assert np.isnan(r.order1)


def test_derivative_check_third_order_passes():
    # f(x) = sum x^3 at x = 0: second derivative vanishes, E1 = O(h^3): still a correct Jv.
    r = derivative_check(lambda x: np.sum(x**3), lambda x, v: 3 * x**2 @ v, np.zeros(4), random_state=1)
    assert r.passed
    assert abs(r.order1 - 3.0) < 0.2


@pytest.mark.parametrize("error", [1.0, 0.01])
def test_derivative_check_fails_on_wrong_derivative(error):
    rng = np.random.default_rng(5)
    A = rng.standard_normal((7, 5))
    x = rng.standard_normal(5)
    # Jv off by a relative `error`: E1 ~ error |Jv| h dominates for h below ~error.
    r = derivative_check(
        lambda z: np.tanh(A @ z),
        lambda z, v: (1 + error) * (1 - np.tanh(A @ z) ** 2) * (A @ v),
        x,
        random_state=0,
    )
    assert not r.passed, str(r)
    assert abs(r.order1 - 1.0) < 0.2


def test_derivative_check_fails_on_transposed_derivative():
    rng = np.random.default_rng(6)
    A = rng.standard_normal((5, 5))
    r = derivative_check(lambda z: np.sin(A @ z), lambda z, v: np.cos(A @ z) * (A.T @ v),
                         rng.standard_normal(5), random_state=0)
    assert not r.passed


def test_derivative_check_reproducible_and_str():
    f, jvp = np.sin, (lambda x, v: np.cos(x) * v)
    a = derivative_check(f, jvp, np.ones(5), random_state=7)
    b = derivative_check(f, jvp, np.ones(5), random_state=7)
    c = derivative_check(f, jvp, np.ones(5), random_state=8)
    np.testing.assert_array_equal(a.err1, b.err1)
    assert not np.array_equal(a.err1, c.err1)
    text = str(a)
    assert "E0" in text and "E1" in text and "passed=True" in text
    assert len(text.splitlines()) == 12 + 4


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(x=[np.nan, 1.0]), "x"),
        (dict(x=[]), "x"),
        (dict(x="abc"), "x"),
        (dict(direction=np.ones(3)), "direction"),
        (dict(direction=[np.inf, 0.0]), "direction"),
        (dict(h0=0.0), "h0"),
        (dict(h0=-1.0), "h0"),
        (dict(n_steps=2), "n_steps"),
        (dict(n_steps=3.5), "n_steps"),
        (dict(factor=1.0), "factor"),
        (dict(factor=0.0), "factor"),
        (dict(fun=3), "fun"),
        (dict(jvp=None), "jvp"),
        (dict(jvp=lambda x, v: np.ones(3)), "jvp"),
        (dict(jvp=lambda x, v: np.full(2, np.nan)), "jvp"),
        (dict(fun=lambda x: np.log(x - 10)), "fun"),
    ],
)
def test_derivative_check_bad_input(kwargs, match):
    args = dict(fun=np.sin, jvp=lambda x, v: np.cos(x) * v, x=np.ones(2))
    args.update(kwargs)
    with np.errstate(invalid="ignore"), pytest.raises(ValueError, match=match):
        derivative_check(args.pop("fun"), args.pop("jvp"), args.pop("x"), **args)


@pytest.mark.parametrize("shape", [(1, 1), (3, 7), (40, 25), (200, 300)])
def test_adjoint_test_passes_on_true_transpose(shape):
    rng = np.random.default_rng(sum(shape))
    A = rng.standard_normal(shape)
    r = adjoint_test(lambda v: A @ v, lambda u: A.T @ u, shape[1], shape[0], random_state=1)
    assert isinstance(r, AdjointTestResult)
    assert r.passed, str(r)
    assert r.rel_error <= ADJOINT_RTOL
    assert r.rtol == ADJOINT_RTOL


def test_adjoint_test_matrix_free_kronecker():
    # vec(A X B) = (B^T kron A) vec(X); transpose: vec(A^T U B^T). Column-major vec as in the seed.
    rng = np.random.default_rng(9)
    A = rng.standard_normal((4, 3))
    B = rng.standard_normal((5, 6))

    def jvp(v):
        return (A @ v.reshape(3, 5, order="F") @ B).ravel(order="F")

    def vjp(u):
        return (A.T @ u.reshape(4, 6, order="F") @ B.T).ravel(order="F")

    assert adjoint_test(jvp, vjp, 15, 24, random_state=0).passed
    dense = np.kron(B.T, A)
    v = rng.standard_normal(15)
    np.testing.assert_allclose(jvp(v), dense @ v, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("perturbation", [1.0, 1e-6])
def test_adjoint_test_fails_on_wrong_transpose(perturbation):
    rng = np.random.default_rng(10)
    A = rng.standard_normal((30, 20))
    B = A.copy()
    B[3, 4] += perturbation
    r = adjoint_test(lambda v: A @ v, lambda u: B.T @ u, 20, 30, random_state=2)
    assert not r.passed, str(r)
    # a square operator used without transpose also fails
    C = rng.standard_normal((10, 10))
    assert not adjoint_test(lambda v: C @ v, lambda u: C @ u, 10, 10, random_state=0).passed


def test_adjoint_test_str_and_rtol():
    A = np.eye(3)
    r = adjoint_test(lambda v: A @ v, lambda u: A @ u, 3, 3, random_state=0, rtol=1e-10)
    assert r.rtol == 1e-10 and r.passed
    assert "u^T J v" in str(r) and "passed=True" in str(r)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(jvp=1), "jvp"),
        (dict(vjp="x"), "vjp"),
        (dict(n_in=0), "n_in"),
        (dict(n_in=2.0), "n_in"),
        (dict(n_out=-1), "n_out"),
        (dict(rtol=0.0), "rtol"),
        (dict(rtol=np.nan), "rtol"),
        (dict(jvp=lambda v: np.ones(5)), "jvp"),
        (dict(vjp=lambda u: np.ones(5)), "vjp"),
        (dict(vjp=lambda u: np.full(3, np.inf)), "vjp"),
    ],
)
def test_adjoint_test_bad_input(kwargs, match):
    A = np.ones((2, 3))
    args = dict(jvp=lambda v: A @ v, vjp=lambda u: A.T @ u, n_in=3, n_out=2)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        adjoint_test(args.pop("jvp"), args.pop("vjp"), args.pop("n_in"), args.pop("n_out"), **args)


def test_derivative_check_piecewise_linear_relu():
    # ReLU is linear between kinks: E1 crosses kinks only at large h and is at the rounding
    # floor at the smallest steps, which counts as a pass; a wrong slope does not.
    rng = np.random.default_rng(11)
    A = rng.standard_normal((6, 4))
    x = rng.standard_normal(4)
    good = derivative_check(lambda z: np.maximum(A @ z, 0), lambda z, v: (A @ z > 0) * (A @ v), x,
                            random_state=0, n_steps=20)
    assert good.passed, str(good)
    assert good.err1[-1] <= good.floor[-1]
    bad = derivative_check(lambda z: np.maximum(A @ z, 0), lambda z, v: (A @ v), x,
                           random_state=0, n_steps=20)
    assert not bad.passed, str(bad)
