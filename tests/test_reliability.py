"""Issue 20 ("nothing hangs, nothing lies"): regressions for each bad input the probe found.

Each test pins the promise of CONTRIBUTING.md for one input: a ``ValueError`` naming the
argument, a finite result, or an explicitly flagged divergence, and never a hang (calls that
once hung run through the ``within`` fixture of conftest.py).
"""

from __future__ import annotations

import numpy as np
import pytest


# --- item 1: hangs --------------------------------------------------------------------------


def _blobs(n=20, d=3, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    X = rng.normal(size=(n, d)) + 2.0 * y[:, None]
    return X, y


@pytest.mark.parametrize("scale", [1e155, 1e200, 1e300])
def test_hsic_optimal_sigma_overflowing_distances_raise(within, scale):
    from kernelnet.layerwise import hsic_optimal_sigma

    X, y = _blobs()
    with pytest.raises(ValueError, match="^X .*overflow"):
        within(20, hsic_optimal_sigma, X * scale, y, random_state=0)


def test_hsic_optimal_sigma_scales_with_x_below_overflow(within):
    """Large but representable inputs still work: sigma* scales with X (the objective depends
    on D2 / sigma^2 only), to the search's tolerance (xatol 1e-4 in log sigma)."""
    from kernelnet.layerwise import hsic_optimal_sigma

    X, y = _blobs()
    s1 = within(20, hsic_optimal_sigma, X, y, random_state=0)
    s2 = within(20, hsic_optimal_sigma, X * 1e100, y, random_state=0)
    assert np.isfinite(s2)
    assert s2 / 1e100 == pytest.approx(s1, rel=1e-3)


@pytest.mark.parametrize("method", ["ism", "closed_form"])
def test_layerwise_fit_overflowing_input_raises(within, method):
    from kernelnet.layerwise import LayerwiseKernelNet

    X, y = _blobs()
    net = LayerwiseKernelNet(method=method, max_layers=2, random_state=0)
    with pytest.raises(ValueError, match="^X "):
        within(60, net.fit, X * 1e200, y)


def test_gradient_flow_step_count_guard(within):
    from kernelnet import twolayer as tl

    rng = np.random.default_rng(0)
    X = tl.sample_sphere(5, 3, random_state=rng)
    y = rng.uniform(-1, 1, 5)
    W, a = tl.init_weights(20, 3, random_state=rng)
    with pytest.raises(ValueError, match="t_max / dt .* raise dt or lower t_max"):
        within(10, tl.gradient_flow, X, y, W, a, t_max=1e12, dt=1e-6, lambda0=0.1)


def test_hsic_optimal_sigma_underflowing_distances_raise(within):
    from kernelnet.layerwise import hsic_optimal_sigma

    X, y = _blobs()
    with pytest.raises(ValueError, match="^X is too small"):
        within(20, hsic_optimal_sigma, X * 1e-300, y, random_state=0)


@pytest.mark.parametrize("scale", [1e-20, 1e19])
def test_ism_single_precision_range_is_checked(within, scale):
    """float32 cannot square these spreads (LinAlgError from eigh before); double precision can."""
    from kernelnet.layerwise import LayerwiseKernelNet

    X, y = _blobs(n=40)
    with pytest.raises(ValueError, match="^X has spread .*ism_precision='double'"):
        within(60, LayerwiseKernelNet(method="ism", max_layers=1, random_state=0).fit,
               X * scale, y)
    net = within(60, LayerwiseKernelNet(method="ism", max_layers=1, random_state=0,
                                        ism_precision="double").fit, X * scale, y)
    assert net.score(X * scale, y) == 1.0  # two well-separated blobs


# --- item 3: wrong answers without an error ----------------------------------------------------


def _kernel_pair():
    from kernelnet.kernels import gaussian_kernel

    X, y = _blobs(n=12)
    return X, y, gaussian_kernel(X, sigma=1.0), gaussian_kernel(y[:, None] * 1.0, sigma=1.0)


@pytest.mark.parametrize("solver", ["solve_direct", "richardson", "conjugate_gradient"])
def test_solvers_refuse_a_non_symmetric_matrix(solver):
    """A Cholesky factorisation reads only one triangle: a non-symmetric K was solved for its
    lower triangle (residual 101.6 for a right-hand side of norm 5.65 in the issue)."""
    from kernelnet import solvers

    _, _, K, _ = _kernel_pair()
    A = K + np.triu(np.ones_like(K), 1)
    name = "K" if solver == "solve_direct" else "A"
    with pytest.raises(ValueError, match=rf"^{name} must be symmetric"):
        getattr(solvers, solver)(A, np.ones(K.shape[0]), ridge=0.1)
    # rounding-level asymmetry (a few ulps) is not refused
    B = K.copy()
    B[0, 1] *= 1 + 4e-16
    assert np.all(np.isfinite(solvers.solve_direct(B, np.ones(K.shape[0]), ridge=0.1)))


@pytest.mark.parametrize("variant", ["cka", "authors"])
@pytest.mark.parametrize("scale", [1e160, 1e-200, 1e300])
def test_normalized_hsic_is_scale_invariant_near_overflow(variant, scale):
    from kernelnet.hsic import normalized_hsic

    _, _, K, L = _kernel_pair()
    ref = normalized_hsic(K, L, variant=variant)
    assert ref > 0.1
    # rel 1e-12: K * scale is itself rounded once per entry before the exact power-of-2 rescale
    assert normalized_hsic(K * scale, L, variant=variant) == pytest.approx(ref, rel=1e-12)
    assert normalized_hsic(K, L / scale, variant=variant) == pytest.approx(ref, rel=1e-12)


@pytest.mark.parametrize("scale", [1e160, 1e300, 1e-200])
def test_silhouette_and_closed_form_weights_near_overflow(scale):
    from kernelnet.layerwise import closed_form_weights, silhouette

    X, y, _, _ = _kernel_pair()
    assert silhouette(X * scale, y) == pytest.approx(silhouette(X, y), rel=1e-12)
    np.testing.assert_allclose(closed_form_weights(X * scale, y), closed_form_weights(X, y),
                               rtol=1e-12)


def test_normal_range_inputs_are_bit_identical():
    """The rescale is applied only outside [1e-100, 1e100]: committed results cannot move."""
    from kernelnet._validation import pow2_rescale

    a = np.array([[3.0, -1e99], [1e-99, 0.5]])
    assert pow2_rescale(a) is a
    b = pow2_rescale(a * 1e200)
    assert 0.5 <= np.max(np.abs(b)) < 1.0
    np.testing.assert_array_equal(pow2_rescale(np.zeros(3)), np.zeros(3))


def test_sample_complexity_refuses_unknown_methods():
    from kernelnet.experiments.feature_learning import sample_complexity

    with pytest.raises(ValueError, match="^methods must be one of 'algorithm1', 'rf', 'ntk'; "
                                         "got 'nope'"):
        sample_complexity(dims=(4,), ns=(10,), methods=("nope",))
    with pytest.raises(ValueError, match="^methods must be a non-empty tuple"):
        sample_complexity(dims=(4,), ns=(10,), methods="rf")
    with pytest.raises(ValueError, match="^ns must be >= 1"):
        sample_complexity(dims=(4,), ns=(0,), methods=("rf",))
