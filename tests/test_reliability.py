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
        within(60, LayerwiseKernelNet(method="ism", max_layers=1, random_state=0,
                                      ism_precision="single").fit, X * scale, y)
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


# --- item 4: silent NaN / inf ----------------------------------------------------------------


def test_near_overflow_inputs_raise_or_rescale():
    from kernelnet.hsic import hsic_gaussian, hsic_gaussian_gamma
    from kernelnet.solvers import KernelOperator, kernel_matvec

    X, _ = _blobs(n=12)
    Y = np.random.default_rng(1).normal(size=(12, 1))
    v = np.ones(12)
    with pytest.raises(ValueError, match="^sigma=1.0 is too small for the scale of X"):
        KernelOperator(X * 1e200, sigma=1.0)
    with pytest.raises(ValueError, match="^sigma=1.0 is too small for the scale of X"):
        kernel_matvec(X * 1e160, v, sigma=1.0)
    with pytest.raises(ValueError, match="^v is too large"):
        kernel_matvec(X, v * 1e308, sigma=1.0)
    with pytest.raises(ValueError, match="^Y is too large"):
        hsic_gaussian(X, Y * 1e200, sigma=1.0)
    with pytest.raises(ValueError, match="^Z is too large"):
        hsic_gaussian_gamma(X, Y * 1e200, sigma=1.0)
    # the normalised value does not depend on the scale of Y: exact power-of-2 rescale
    ref = hsic_gaussian(X, Y, sigma=1.0, normalized=True)
    assert hsic_gaussian(X, Y * 1e200, sigma=1.0, normalized=True) == pytest.approx(ref,
                                                                                    rel=1e-12)


def _diverging(name):
    import kernelnet.feature_learning as fl
    import kernelnet.learning_rules as lr

    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    y = X @ np.ones(3)
    calls = {
        "oja": (lr.oja, dict(X=X * 100, w0=np.ones(3), eta=1.0), "eta"),
        "sanger": (lr.sanger, dict(X=X * 100, W0=np.ones((2, 3)), eta=1.0), "eta"),
        "linear_neuron_gd": (lr.linear_neuron_gd, dict(X=X, y=y, eta=10.0, n_steps=500), "eta"),
        "deep_linear_gd": (lr.deep_linear_gd, dict(Sigma31=3 * np.eye(3), Sigma11=np.eye(3),
                                                   W21=np.ones((4, 3)), W32=np.ones((3, 4)),
                                                   eta=1.0, n_steps=100), "eta"),
        "train_network_gd": (fl.train_network_gd, dict(X=X, y=y, m=8, n_steps=200, lr=10.0,
                                                       random_state=0), "lr"),
    }
    return calls[name]


@pytest.mark.parametrize("name", ["oja", "sanger", "linear_neuron_gd", "deep_linear_gd",
                                  "train_network_gd"])
def test_diverging_trainers_raise_naming_the_step_size(name):
    fn, kw, arg = _diverging(name)
    with pytest.raises(ValueError, match=rf"^{arg}=10?\.0 is too large .* diverged .* by step "
                                         rf"\d+; use a smaller {arg}"):
        fn(**kw)
    small = dict(kw, **{arg: kw[arg] * 1e-7})
    out = fn(**small)  # a small step size converges or at least stays finite
    arrays = out if isinstance(out, tuple) else (out["loss"],) if isinstance(out, dict) else (out,)
    assert all(np.all(np.isfinite(a)) for a in arrays)


def test_student_teacher_divergence_is_flagged_with_its_step():
    """train_student_teacher keeps its documented inf marker and says where it starts."""
    import kernelnet.learning_rules as lr

    r = lr.train_student_teacher(np.zeros((2, 5)), np.ones((2, 5)), 2000, eta=5.0,
                                 random_state=0)
    assert r.diverged is not None and np.isfinite(r.errors[r.diverged - 1])
    assert np.all(np.isinf(r.errors[r.diverged:])) and not np.any(np.isnan(r.errors))
    ok = lr.train_student_teacher(np.zeros((2, 5)), np.ones((2, 5)), 200, eta=0.01,
                                  random_state=0)
    assert ok.diverged is None and np.all(np.isfinite(ok.errors))


def test_hebbian_growth_to_inf_stays_but_never_nan():
    import kernelnet.learning_rules as lr

    X = np.random.default_rng(0).normal(size=(400, 3)) * 100
    h = lr.hebbian(X, np.ones(3), 1.0)
    assert np.isinf(h).any() and not np.isnan(h).any()  # the theorem: unbounded growth


@pytest.mark.parametrize("scale", [1e160, 1e-200, 1e300])
def test_median_heuristic_scales_exactly_near_overflow(scale):
    from kernelnet.kernels import median_heuristic

    X, _ = _blobs()
    assert median_heuristic(X * scale) / scale == pytest.approx(median_heuristic(X), rel=1e-12)


@pytest.mark.parametrize("solver", ["conjugate_gradient", "richardson"])
@pytest.mark.parametrize("scale", [1e160, 1e-200, 1e300])
def test_iterative_solvers_are_linear_in_y_near_overflow(solver, scale):
    """y * 1e160 overflowed the squared norms (zeros returned); y * 1e-200 underflowed them
    (zeros returned as 'converged'). The solve now runs on an exact power-of-2 rescale."""
    from kernelnet import solvers

    _, _, K, _ = _kernel_pair()
    y = np.random.default_rng(2).normal(size=K.shape[0])
    ref = getattr(solvers, solver)(K, y, ridge=0.1)
    got = getattr(solvers, solver)(K, y * scale, ridge=0.1)
    assert got.converged and not got.diverged
    # same iterations on y * 2**-e as on y up to rounding of the scaled y: tol 1e-6 relative
    np.testing.assert_allclose(got.coef / scale, ref.coef, rtol=1e-5,
                               atol=1e-5 * np.max(np.abs(ref.coef)))


def test_solver_magnitude_guards_and_divergence_flag():
    from kernelnet import solvers

    _, _, K, _ = _kernel_pair()
    y = np.ones(K.shape[0])
    with pytest.raises(ValueError, match="^A has entries of magnitude"):
        solvers.largest_eigenvalue(K * 1e160)
    with pytest.raises(ValueError, match="^A has no positive eigenvalue"):
        solvers.NystromPreconditioner(np.zeros_like(K), rank=2, ridge=0.1)
    r = solvers.richardson(K, y, ridge=0.1, step=10.0)  # far above 2 / lambda_max
    assert r.diverged and not r.converged
    assert not solvers.richardson(K, y, ridge=0.1).diverged
    for sigma in (1e300, 1e-300):  # were OverflowError / ZeroDivisionError
        try:
            out = solvers.kernel_matvec(np.ones((3, 2)) * np.arange(3)[:, None], np.ones(3),
                                        sigma=sigma)
        except ValueError as exc:
            assert str(exc).startswith("sigma")
        else:
            np.testing.assert_allclose(out, 3.0)  # K = all ones for a huge sigma


def test_derivative_check_degenerate_inputs():
    from kernelnet.checks import derivative_check

    def jvp(x, u):
        return np.cos(x) * u

    x = np.ones(4)
    with pytest.raises(ValueError, match="^direction must be non-zero"):
        derivative_check(np.sin, jvp, x, direction=np.zeros(4))
    # nothing would be tested: it used to 'pass' with NaN orders
    with pytest.raises(ValueError, match=r"^x \+ h \* direction == x .* x is too large or "
                                         "direction too small"):
        derivative_check(np.sin, jvp, x * 1e160, direction=np.ones(4))
    with pytest.raises(ValueError, match=r"^x \+ h \* direction == x"):
        derivative_check(np.sin, jvp, x, direction=np.ones(4) * 1e-200)
    with pytest.raises(ValueError, match="^x or direction is too large"):
        derivative_check(np.sin, jvp, x, direction=np.ones(4) * 1e300)
    assert derivative_check(np.sin, jvp, x, direction=np.ones(4)).passed


def test_fit_loglog_slope_inputs():
    from kernelnet.experiments.feature_learning import fit_loglog_slope

    with pytest.raises(ValueError, match="^x must be 1-D with at least 2 points"):
        fit_loglog_slope([1.0], [2.0])
    with pytest.raises(ValueError, match="^x and y must have the same length"):
        fit_loglog_slope([1.0, 2.0, 3.0], [2.0, 4.0])
    assert fit_loglog_slope([1.0, 2.0, 4.0], [1.0, 4.0, 16.0])[0] == pytest.approx(2.0)
    # the documented 'no slope' marker: fewer than two usable (positive, finite) points
    assert np.isnan(fit_loglog_slope([1.0, 2.0], [np.nan, 4.0])[0])


# --- item 5: the right exception, naming the right argument ------------------------------------


@pytest.mark.parametrize("seed", [1.5, "3", True, -1])
def test_bad_seeds_are_value_errors_naming_random_state(seed):
    import kernelnet.feature_learning as fl
    import kernelnet.learning_rules as lr

    for call in (lambda: fl.sample_inputs(3, 2, random_state=seed),
                 lambda: lr.separable_data(5, 2, 0.1, random_state=seed)):
        with pytest.raises(ValueError, match="^random_state must be None, a non-negative int"):
            call()


def test_seed_streams_unchanged():
    from kernelnet._validation import as_rng

    g = np.random.default_rng(5)
    assert as_rng(g) is g
    np.testing.assert_array_equal(as_rng(7).normal(size=4), np.random.default_rng(7).normal(size=4))
    np.testing.assert_array_equal(as_rng([7, 1]).normal(size=4),
                                  np.random.default_rng([7, 1]).normal(size=4))


@pytest.mark.parametrize("labels,message", [
    (np.array([0, None, 1, 0], dtype=object), "^y contains 1 missing label"),
    (np.array([0, "a", 1, 0], dtype=object), "^y mixes label types"),
])
def test_labels_with_none_or_mixed_types(labels, message):
    from kernelnet.layerwise import silhouette

    with pytest.raises(ValueError, match=message):  # was TypeError from np.unique
        silhouette(np.arange(8.0).reshape(4, 2), labels)


def test_huge_step_sizes_and_missing_signs():
    import kernelnet.learning_rules as lr
    from kernelnet import twolayer as tl
    from kernelnet.layerwise import layer_gradient, label_gamma

    X, y = _blobs(n=8)
    W = np.linalg.qr(np.random.default_rng(0).normal(size=(3, 2)))[0]
    with pytest.raises(ValueError, match="^sigma must be at most 1e"):  # was OverflowError
        layer_gradient(W, X, label_gamma(y), sigma=1e300)
    with pytest.raises(ValueError, match="^eta must be at most 1e"):
        lr.student_teacher_learning_curve(5, 2, "gd", 1e300, 1e-3, 10, 1.0)
    S = X / np.linalg.norm(X, axis=1, keepdims=True)
    with pytest.raises(ValueError, match="^v must be a vector"):  # was TypeError
        tl.forward(np.ones((4, 3)), None, S)
    with pytest.raises(ValueError, match="^a must be a vector"):
        tl.gradient_flow(S, y * 1.0, np.ones((4, 3)), None, t_max=1.0)
    with pytest.raises(ValueError, match="^W0 gives a zero Gram"):  # was ZeroDivisionError
        tl.gradient_flow(S, y * 1.0, np.zeros((4, 3)), np.ones(4), t_max=1.0)
    with pytest.raises(ValueError, match="^W has entries of magnitude"):  # named X before
        tl.empirical_gram(np.ones((4, 3)) * 1e200, S)


def test_layerwise_scale_errors_name_r_and_w():
    from kernelnet.layerwise import label_gamma, layer_objective

    X, y = _blobs(n=8)
    W = np.linalg.qr(np.random.default_rng(0).normal(size=(3, 2)))[0]
    with pytest.raises(ValueError, match=r"scale of R @ W \(R or W too large\)"):
        layer_objective(W, X * 1e200, label_gamma(y), sigma=1.0)


def test_activation_function_input():
    from kernelnet.single_layer import activation_function

    with pytest.raises(ValueError, match="^A must be a numeric array"):
        activation_function("abc", "tanh")
    with pytest.raises(ValueError, match="^A contains non-finite"):
        activation_function(np.array([np.nan]), "tanh")


def test_more_degenerate_inputs():
    import kernelnet.learning_rules as lr
    from kernelnet.layerwise import (LayerwiseKernelNet, distance_ratio, ideal_kernel_distance,
                                     scatter_ratio)

    X, y = _blobs(n=8)
    with pytest.raises(ValueError, match="^W has a zero row"):  # was NaN angles
        lr.subspace_angles(np.zeros((2, 3)), np.eye(3)[:, :2])
    with pytest.raises(ValueError, match="^X has all rows equal"):  # was NaN history
        LayerwiseKernelNet(max_layers=1, random_state=0).fit(np.zeros((8, 3)), y)
    with pytest.raises(ValueError, match="^Z has all rows equal"):  # 0/0 read inf
        distance_ratio(np.zeros((8, 2)), y)
    with pytest.raises(ValueError, match="^K has neither within- nor between-class scatter"):
        scatter_ratio(np.ones((8, 8)), y)
    with pytest.raises(ValueError, match="^sigma must be at least 1e-150"):  # NaN estimates
        lr.perturbation_estimator_variance(np.ones((2, 3)), np.zeros((2, 3)), np.ones(3), 1e-300)
    # the ratio is scale-invariant; the distance to K* is not, but does not overflow
    assert distance_ratio(X * 1e-200, y) == pytest.approx(distance_ratio(X, y), rel=1e-12)
    K = np.eye(8) * 1e200
    assert ideal_kernel_distance(K, y) == pytest.approx(1e200 * np.sqrt(8) / 8, rel=1e-12)


# --- item 7: everything the book reads from disk is checksummed ------------------------------


def test_edited_diversity_table_is_refused(tmp_path, monkeypatch):
    import shutil

    from kernelnet import datasets
    from kernelnet.experiments.diverse_weights import talk_table

    assert len(talk_table()) > 0  # the committed copy verifies
    shutil.copytree(datasets._DATA_DIR, tmp_path / "data")
    path = tmp_path / "data" / "diversity_table.csv"
    text = path.read_text()
    lines = text.splitlines()
    i = next(k for k, line in enumerate(lines) if line and line[0].isdigit())
    lines[i] = lines[i].replace("0", "9", 1) if "0" in lines[i] else lines[i] + "1"
    path.write_text("\n".join(lines) + "\n")
    monkeypatch.setattr(datasets, "_DATA_DIR", tmp_path / "data")
    with pytest.raises(RuntimeError, match="checksum mismatch for data file 'diversity_table"):
        talk_table()


def test_edited_committed_results_are_refused(tmp_path):
    import shutil

    from kernelnet.experiments.poster_table import load_committed, results_dir

    src = results_dir()
    for sub in ("", "car_uci"):
        assert len(load_committed(src / sub).folds) > 0  # the committed tables verify
    dst = tmp_path / "poster_table"
    dst.mkdir()
    for name in ("folds.csv", "layers.csv", "summary.csv", "comparison.csv", "provenance.json",
                 "CHECKSUMS.sha256"):
        shutil.copy(src / name, dst / name)
    load_committed(dst)
    lines = (dst / "folds.csv").read_text().splitlines()
    cells = lines[1].split(",")
    j = next(k for k, c in enumerate(cells) if c.replace(".", "").isdigit() and "." in c)
    cells[j] = cells[j][:-1] + ("1" if cells[j][-1] != "1" else "2")  # one digit of one value
    lines[1] = ",".join(cells)
    (dst / "folds.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(RuntimeError, match="checksum mismatch for results file .*folds.csv"):
        load_committed(dst)
    (dst / "CHECKSUMS.sha256").unlink()
    with pytest.raises(RuntimeError, match="no readable checksum manifest"):
        load_committed(dst)


def test_hsic_is_bilinear_near_overflow():
    from kernelnet.hsic import hsic

    _, _, K, L = _kernel_pair()
    ref = hsic(K, L)
    assert hsic(K * 2.0**600, L * 2.0**400) == pytest.approx(ref * 2.0**1000, rel=1e-12)
    assert hsic(K * 1e-200, L) == pytest.approx(ref * 1e-200, rel=1e-12)
    with pytest.raises(ValueError, match="^K and L are too large"):
        hsic(K * 1e200, L * 1e200)
