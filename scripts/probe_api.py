"""Probe every public library function with bad input and count the outcomes (issue 20).

For each function a valid call is written out below (``BASE``); the probe then replaces one
argument at a time by an input from the issue's categories (NaN/inf, empty, one sample, wrong
ndim, mismatched length, one class, string/None labels, sigma 0/negative/NaN/inf, values near
1e300, integer/float32/list/non-contiguous input, d = 10,000 with n = 5, unknown names) and
sorts what happens into

    error      ValueError whose message names the replaced argument
    misnamed   ValueError that names a different argument (or none)
    finite     returned, every number in the result finite
    flagged    returned non-finite numbers in a result flagged ``diverged`` (documented)
    nan        returned NaN or inf without a flag
    wrongtype  another exception (TypeError, IndexError, LinAlgError, ...)
    hang       no answer within the time limit

Usage::

    python scripts/probe_api.py [--timeout 20] [--out probe.jsonl] [--only NAME] [--show KIND]

Each call runs in a child process that reports before and after every call; a child that stops
answering is killed, the call is counted as a hang and the probe goes on with the next call.

Issue 20, measured with ``--timeout 20`` (116 functions, 4,615 bad-input calls; "before" is commit
203fc44 run with ``PYTHONPATH`` pointing at it and summarised with this file's rules):

    =========  ======  =====
    outcome    before  after
    =========  ======  =====
    error        2520   3166
    misnamed      219      0
    finite       1589   1442
    flagged         0      7   (Hebbian growth to inf, a diverged student-teacher run,
                                fit_loglog_slope's "no slope" nan)
    nan           204      0
    wrongtype      73      0
    hang           10      0
    =========  ======  =====

With the three twolayer functions added since (119 functions, 4,752 calls): 3273 / 0 / 1472 / 7
/ 0 / 0 / 0.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

import numpy as np

KINDS = ("error", "misnamed", "finite", "flagged", "nan", "wrongtype", "hang")


# --------------------------------------------------------------------------- valid calls


def _data():
    rng = np.random.default_rng(0)
    n, d = 12, 3
    X = rng.normal(size=(n, d))
    y = np.arange(n) % 2
    yr = rng.normal(size=n)
    from kernelnet.kernels import gaussian_kernel

    K = gaussian_kernel(X, sigma=1.0)
    L = gaussian_kernel(y[:, None].astype(float), sigma=1.0)
    S = X / np.linalg.norm(X, axis=1, keepdims=True)
    W = rng.normal(size=(8, d))
    v = np.sign(rng.normal(size=8))
    Wst = np.linalg.qr(rng.normal(size=(d, 2)))[0]
    return dict(rng=rng, n=n, d=d, X=X, y=y, yr=yr, K=K, L=L, S=S, W=W, v=v, Wst=Wst)


def base_calls():
    """name -> (function, kwargs of a valid call). Arguments are passed by keyword."""
    import kernelnet.checks as ck
    import kernelnet.feature_learning as fl
    import kernelnet.hsic as hs
    import kernelnet.kernels as kn
    import kernelnet.layerwise as lw
    import kernelnet.learning_rules as lr
    import kernelnet.single_layer as sl
    import kernelnet.solvers as so
    import kernelnet.twolayer as tl

    D = _data()
    X, y, yr, K, L, S, W, v, Wst = (D[k] for k in ("X", "y", "yr", "K", "L", "S", "W", "v", "Wst"))
    n, d = D["n"], D["d"]
    G = lw.label_gamma(y)
    Wl = np.linalg.qr(np.random.default_rng(1).normal(size=(d, 2)))[0]
    tgt = fl.make_target(4, 2, 2, random_state=0)
    Xf = fl.sample_inputs(30, 4, random_state=0)
    yf = tgt(Xf) if callable(tgt) else tgt.value(Xf)
    a0, Wf, bf = fl.symmetric_init(8, 4, random_state=0)
    weights = [np.random.default_rng(2).normal(size=(3, d)) * 0.5,
               np.random.default_rng(3).normal(size=(2, 3)) * 0.5]
    biases = [np.zeros(3), np.zeros(2)]
    Ymlp = np.random.default_rng(4).normal(size=(n, 2))
    Wss = np.random.default_rng(5).normal(size=(2, 5)) * 0.3
    Wts = np.random.default_rng(6).normal(size=(2, 5))
    xs = np.random.default_rng(7).normal(size=5)
    S31 = np.diag([3.0, 2.0, 1.0])[:, :3]
    S11 = np.eye(3)
    W21 = np.random.default_rng(8).normal(size=(4, 3)) * 0.01
    W32 = np.random.default_rng(9).normal(size=(3, 4)) * 0.01
    Xsep, ysep, wsep = lr.separable_data(20, 3, 0.1, random_state=0)
    Ysl = np.random.default_rng(10).normal(size=(4, n))  # n_f x n samples (features by columns)
    Csl = np.eye(3)[np.arange(n) % 3].T
    prob = sl.SingleLayerProblem(Ysl, Csl, 5)
    x0 = np.random.default_rng(11).normal(size=prob.n_params) * 0.1 if hasattr(
        prob, "n_params") else None

    def fun(x):
        return np.sin(x)

    def jvp(x, u):
        return np.cos(x) * u

    calls = {
        "kernels.gaussian_kernel": (kn.gaussian_kernel, dict(X=X, sigma=1.0)),
        "kernels.relu_kernel": (kn.relu_kernel, dict(X=X, order=1)),
        "kernels.nngp_relu": (kn.nngp_relu, dict(X=X)),
        "kernels.ntk_relu": (kn.ntk_relu, dict(X=X)),
        "kernels.median_heuristic": (kn.median_heuristic, dict(X=X)),
        "hsic.center": (hs.center, dict(K=K)),
        "hsic.hsic": (hs.hsic, dict(K=K, L=L)),
        "hsic.normalized_hsic": (hs.normalized_hsic, dict(K=K, L=L, variant="cka")),
        "hsic.hsic_gaussian": (hs.hsic_gaussian, dict(X=X, Y=yr[:, None], sigma=1.0)),
        "hsic.hsic_gaussian_gamma": (hs.hsic_gaussian_gamma, dict(X=X, Z=X[:, :2], sigma=1.0)),
        "checks.derivative_check": (ck.derivative_check, dict(fun=fun, jvp=jvp, x=yr[:4],
                                                               direction=np.ones(4))),
        "checks.adjoint_test": (ck.adjoint_test, dict(jvp=lambda u: K[:, :4] @ u,
                                                      vjp=lambda w: K[:, :4].T @ w,
                                                      n_in=4, n_out=n)),
        "solvers.solve_direct": (so.solve_direct, dict(K=K, y=yr, ridge=0.1)),
        "solvers.richardson": (so.richardson, dict(A=K, y=yr, ridge=0.1)),
        "solvers.conjugate_gradient": (so.conjugate_gradient, dict(A=K, y=yr, ridge=0.1)),
        "solvers.largest_eigenvalue": (so.largest_eigenvalue, dict(A=K)),
        "solvers.NystromPreconditioner": (so.NystromPreconditioner,
                                          dict(A=K, rank=4, ridge=0.1)),
        "solvers.KernelOperator": (lambda **kw: so.KernelOperator(**kw) @ yr,
                                   dict(X=X, sigma=1.0)),
        "solvers.kernel_matvec": (so.kernel_matvec, dict(X=X, v=yr, sigma=1.0)),
        "solvers.direct_flops": (so.direct_flops, dict(n=100)),
        "solvers.matvec_flops": (so.matvec_flops, dict(n=100, d=3)),
        "layerwise.LayerwiseKernelNet.fit": (
            lambda X, y, max_layers: lw.LayerwiseKernelNet(max_layers=max_layers,
                                                           random_state=0).fit(X, y).history_,
            dict(X=X, y=y, max_layers=2)),
        "layerwise.LayerwiseKernelNet.fit[closed_form]": (
            lambda X, y, max_layers: lw.LayerwiseKernelNet(
                method="closed_form", max_layers=max_layers, random_state=0).fit(X, y).history_,
            dict(X=X, y=y, max_layers=2)),
        "layerwise.label_gamma": (lw.label_gamma, dict(y=y)),
        "layerwise.layer_objective": (lw.layer_objective, dict(W=Wl, R=X, Gamma=G, sigma=1.0)),
        "layerwise.layer_gradient": (lw.layer_gradient, dict(W=Wl, R=X, Gamma=G, sigma=1.0)),
        "layerwise.ism_matrix": (lw.ism_matrix, dict(W=Wl, R=X, Gamma=G, sigma=1.0)),
        "layerwise.ism_surrogate": (lw.ism_surrogate, dict(W=Wl, R=X, Gamma=G, sigma=1.0)),
        "layerwise.eq11_terms": (lw.eq11_terms, dict(W=Wl, R=X, y=y, sigma=1.0)),
        "layerwise.stiefel_gradient": (lw.stiefel_gradient, dict(W=Wl, G=X[:3, :2])),
        "layerwise.closed_form_weights": (lw.closed_form_weights, dict(R=X, y=y)),
        "layerwise.orthonormalize": (lw.orthonormalize, dict(W=X[:, :2])),
        "layerwise.ism_fixed_point": (lw.ism_fixed_point, dict(R=X, y=y, q=2, sigma=1.0)),
        "layerwise.ism_width": (lw.ism_width, dict(R=X, n_classes=2)),
        "layerwise.hsic_optimal_sigma": (lw.hsic_optimal_sigma, dict(X=X, y=y, random_state=0)),
        "layerwise.random_fourier_features": (lw.random_fourier_features,
                                              dict(Z=X, sigma=1.0, n_features=20,
                                                   random_state=0)),
        "layerwise.scatter_ratio": (lw.scatter_ratio, dict(K=K, y=y)),
        "layerwise.distance_ratio": (lw.distance_ratio, dict(Z=X, y=y)),
        "layerwise.ideal_kernel_distance": (lw.ideal_kernel_distance, dict(K=K, y=y)),
        "layerwise.silhouette": (lw.silhouette, dict(Z=X, y=y)),
        "single_layer.activation_function": (sl.activation_function,
                                             dict(A=X, activation="tanh")),
        "single_layer.cross_entropy": (sl.cross_entropy,
                                       dict(S=np.full((3, n), 1 / 3), C=Csl)),
        "single_layer.random_features": (sl.random_features,
                                         dict(Y=Ysl, C=Csl, m=5, random_state=0)),
        "single_layer.inverse_crime_data": (sl.inverse_crime_data,
                                            dict(n=20, n_f=4, n_c=3, m=5, random_state=0)),
        "twolayer.sample_sphere": (tl.sample_sphere, dict(m=5, d=3, random_state=0)),
        "twolayer.init_weights": (tl.init_weights, dict(n=5, d=3, random_state=0)),
        "twolayer.forward": (tl.forward, dict(W=W, v=v, X=S)),
        "twolayer.residual": (tl.residual, dict(W=W, v=v, X=S, y=yr)),
        "twolayer.loss": (tl.loss, dict(W=W, v=v, X=S, y=yr)),
        "twolayer.extended_feature_matrix": (tl.extended_feature_matrix, dict(W=W, v=v, X=S)),
        "twolayer.d_matvec": (tl.d_matvec, dict(W=W, v=v, X=S, r=yr)),
        "twolayer.d_rmatvec": (tl.d_rmatvec, dict(W=W, v=v, X=S, U=W)),
        "twolayer.loss_gradient": (tl.loss_gradient, dict(W=W, v=v, X=S, y=yr)),
        "twolayer.relu_gram": (tl.relu_gram, dict(X=S)),
        "twolayer.relu_gram_mc": (tl.relu_gram_mc, dict(X=S, n_samples=100, random_state=0)),
        "twolayer.empirical_gram": (tl.empirical_gram, dict(W=W, X=S)),
        "twolayer.min_singular_value_D": (tl.min_singular_value_D, dict(W=W, X=S)),
        "twolayer.weight_kernel": (tl.weight_kernel, dict(W=W)),
        "twolayer.expected_k_squared": (tl.expected_k_squared, dict(d=3)),
        "twolayer.weight_discrepancy": (tl.weight_discrepancy, dict(W=W)),
        "twolayer.diversity_regulariser": (tl.diversity_regulariser, dict(W=W)),
        "twolayer.diversity_regulariser_grad": (tl.diversity_regulariser_grad, dict(W=W)),
        "twolayer.harmonic_eigenvalues": (tl.harmonic_eigenvalues, dict(d=3, max_degree=4)),
        "twolayer.gamma_sequence": (tl.gamma_sequence, dict(d=3, count=4)),
        "twolayer.train_gd": (tl.train_gd, dict(X=S, y=yr, W0=W, v=v, lr=0.01, n_steps=5)),
        "twolayer.train_gd_final": (tl.train_gd_final,
                                    dict(X=S, y=yr, W0=W, v=v, lr=0.01, n_steps=5, reg=1.0)),
        "twolayer.harmonic_blocks": (tl.harmonic_blocks, dict(d=3, count=4)),
        "twolayer.activation_kernel_distance_mc": (tl.activation_kernel_distance_mc,
                                                   dict(W=W, n_pairs=50, random_state=0)),
        "twolayer.gradient_flow": (tl.gradient_flow, dict(X=S, y=yr, W0=W, a=v, t_max=0.5)),
        "feature_learning.hermite_e": (fl.hermite_e, dict(z=yr, degree=3)),
        "feature_learning.make_target": (fl.make_target, dict(d=4, r=2, p=2, random_state=0)),
        "feature_learning.sample_inputs": (fl.sample_inputs, dict(n=5, d=4, random_state=0)),
        "feature_learning.symmetric_init": (fl.symmetric_init, dict(m=8, d=4, random_state=0)),
        "feature_learning.network_output": (fl.network_output, dict(X=Xf, a=a0, W=Wf, b=bf)),
        "feature_learning.features": (fl.features, dict(X=Xf, W=Wf, b=bf)),
        "feature_learning.loss_gradient_W": (fl.loss_gradient_W,
                                             dict(X=Xf, y=yf, a=a0, W=Wf, b=bf)),
        "feature_learning.population_gradient_W": (fl.population_gradient_W,
                                                   dict(target=tgt, W=Wf, a=a0)),
        "feature_learning.lemma1_term": (fl.lemma1_term, dict(target=tgt, W=Wf, a=a0)),
        "feature_learning.step_coefficients": (fl.step_coefficients, dict(kmax=4)),
        "feature_learning.preprocess": (fl.preprocess, dict(X=Xf, y=yf)),
        "feature_learning.algorithm1": (fl.algorithm1, dict(X=Xf, y=yf, m=8, n_steps=5,
                                                            random_state=0)),
        "feature_learning.random_features_regression": (
            fl.random_features_regression, dict(X=Xf, y=yf, m=8, random_state=0)),
        "feature_learning.train_network_gd": (fl.train_network_gd,
                                              dict(X=Xf, y=yf, m=8, n_steps=20, lr=0.05,
                                                   random_state=0)),
        "feature_learning.network_ntk": (fl.network_ntk, dict(X=Xf)),
        "feature_learning.network_nngp": (fl.network_nngp, dict(X=Xf)),
        "feature_learning.kernel_regression": (fl.kernel_regression,
                                               dict(X=Xf, y=yf, X_test=Xf[:5])),
        "feature_learning.principal_angles": (fl.principal_angles, dict(W=Wf, U=Wf[:2])),
        "learning_rules.sigmoid": (lr.sigmoid, dict(x=yr)),
        "learning_rules.tanh_from_sigmoid": (lr.tanh_from_sigmoid, dict(x=yr)),
        "learning_rules.mlp_forward": (lr.mlp_forward, dict(X=X, weights=weights,
                                                            biases=biases)),
        "learning_rules.mlp_loss": (lr.mlp_loss, dict(X=X, Y=Ymlp, weights=weights,
                                                      biases=biases)),
        "learning_rules.backprop": (lr.backprop, dict(X=X, Y=Ymlp, weights=weights,
                                                      biases=biases)),
        "learning_rules.lagrangian_gradients": (lr.lagrangian_gradients,
                                                dict(X=X, Y=Ymlp, weights=weights,
                                                     biases=biases)),
        "learning_rules.student_teacher_gradient": (lr.student_teacher_gradient,
                                                    dict(W=Wss, W_star=Wts, x=xs)),
        "learning_rules.perturbation_gradient_estimates": (
            lr.perturbation_gradient_estimates,
            dict(W=Wss, W_star=Wts, x=xs, sigma=1e-3, n_draws=4, random_state=0)),
        "learning_rules.perturbation_estimator_variance": (
            lr.perturbation_estimator_variance, dict(W=Wss, W_star=Wts, x=xs, sigma=1e-3)),
        "learning_rules.gd_update": (lr.gd_update, dict(W=Wss, W_star=Wts, x=xs, eta=0.1)),
        "learning_rules.weight_perturbation_update": (
            lr.weight_perturbation_update,
            dict(W=Wss, W_star=Wts, x=xs, eta=0.1, sigma=1e-3, random_state=0)),
        "learning_rules.node_perturbation_update": (
            lr.node_perturbation_update,
            dict(W=Wss, W_star=Wts, x=xs, eta=0.1, sigma=1e-3, random_state=0)),
        "learning_rules.optimal_learning_rate": (lr.optimal_learning_rate,
                                                 dict(N=5, M=2, method="gd")),
        "learning_rules.student_teacher_learning_curve": (
            lr.student_teacher_learning_curve,
            dict(N=5, M=2, method="gd", eta=0.1, sigma=1e-3, n_steps=10, e0=1.0)),
        "learning_rules.train_student_teacher": (
            lr.train_student_teacher, dict(W0=Wss, W_star=Wts, n_steps=10, eta=0.1,
                                           random_state=0)),
        "learning_rules.linear_neuron_loss": (lr.linear_neuron_loss, dict(w=np.ones(d), X=X,
                                                                         y=yr)),
        "learning_rules.linear_neuron_gradient": (lr.linear_neuron_gradient,
                                                  dict(w=np.ones(d), X=X, y=yr)),
        "learning_rules.linear_neuron_hessian": (lr.linear_neuron_hessian, dict(X=X)),
        "learning_rules.normal_equations": (lr.normal_equations, dict(X=X, y=yr)),
        "learning_rules.linear_neuron_gd": (lr.linear_neuron_gd, dict(X=X, y=yr, eta=0.01,
                                                                      n_steps=10)),
        "learning_rules.hebbian": (lr.hebbian, dict(X=X, w0=np.ones(d), eta=0.01)),
        "learning_rules.oja": (lr.oja, dict(X=X, w0=np.ones(d), eta=0.01)),
        "learning_rules.sanger": (lr.sanger, dict(X=X, W0=X[:2].copy(), eta=0.01)),
        "learning_rules.subspace_angles": (lr.subspace_angles, dict(W=Wst.T.copy(), V=Wl)),
        "learning_rules.deep_linear_gradients": (lr.deep_linear_gradients,
                                                 dict(Sigma31=S31, Sigma11=S11, W21=W21,
                                                      W32=W32)),
        "learning_rules.deep_linear_gd": (lr.deep_linear_gd,
                                          dict(Sigma31=S31, Sigma11=S11, W21=W21, W32=W32,
                                               eta=0.05, n_steps=10)),
        "learning_rules.saxe_mode_strength": (lr.saxe_mode_strength,
                                              dict(t=np.linspace(0, 5, 6), s=2.0, a0=0.01)),
        "learning_rules.decoupled_init": (lr.decoupled_init, dict(Sigma31=S31, n_hidden=4,
                                                                  a0=0.01, random_state=0)),
        "learning_rules.perceptron": (lr.perceptron, dict(X=Xsep, y=ysep, random_state=0)),
        "learning_rules.novikoff_bound": (lr.novikoff_bound, dict(X=Xsep, y=ysep, w_sep=wsep)),
        "learning_rules.separable_data": (lr.separable_data, dict(n=20, d=3, margin=0.1,
                                                                  random_state=0)),
        "experiments.feature_learning.fit_loglog_slope": (
            _fit_loglog_slope(), dict(x=np.array([1.0, 2.0, 4.0]), y=np.array([1.0, 4.0, 16.0]))),
    }
    if x0 is not None:
        calls["single_layer.gauss_newton"] = (
            lambda x0, max_iter: sl.gauss_newton(prob, x0, max_iter=max_iter),
            dict(x0=x0, max_iter=3))
    return calls


def _fit_loglog_slope():
    from kernelnet.experiments.feature_learning import fit_loglog_slope

    return fit_loglog_slope


# --------------------------------------------------------------------------- bad inputs


def mutations(name: str, value):
    """The issue's bad-input categories for one argument, by the kind of its valid value."""
    rng = np.random.default_rng(99)
    out = []
    if isinstance(value, np.ndarray) and value.dtype.kind in "iu" and name in ("y",):
        out += [("one_class", np.zeros_like(value)),
                ("strings", np.array([f"c{int(v)}" for v in value])),
                ("with_None", np.array([None if i == 0 else int(v) for i, v in
                                        enumerate(value)], dtype=object)),
                ("continuous", value + 0.5),
                ("nan", np.where(np.arange(value.size) == 0, np.nan, value.astype(float))),
                ("short", value[:-1]), ("2d", np.tile(value[:, None], (1, 2))),
                ("empty", value[:0]), ("list", value.tolist()), ("None", None)]
    elif isinstance(value, np.ndarray) and value.dtype.kind == "f":
        a = value

        def put(x):
            b = a.astype(float).copy()
            b.flat[0] = x
            return b

        out += [("nan", put(np.nan)), ("inf", put(np.inf)), ("empty", a[:0]),
                ("huge_1e160", a * 1e160), ("huge_1e200", a * 1e200), ("huge_1e300", a * 1e300),
                ("tiny_1e-200", a * 1e-200), ("int", np.round(a).astype(np.int64)),
                ("float32", a.astype(np.float32)), ("list", a.tolist()), ("zeros", a * 0.0),
                ("string", "abc"), ("None", None)]
        if a.ndim >= 1:
            out += [("short", a[:-1]), ("one", a[:1]), ("3d", a[None, None])]
        if a.ndim == 2:
            out += [("noncontig", np.asfortranarray(a)), ("1d", a.ravel()),
                    ("wide_n5_d10000", rng.normal(size=(5, 10000)))]
        if a.ndim == 1:
            out += [("2d", a[:, None, None].reshape(-1, 1))]
    elif isinstance(value, bool):
        out += [("string", "yes"), ("None", None)]
    elif isinstance(value, (int, np.integer)):
        out += [("zero", 0), ("negative", -1), ("float", 1.5), ("bool", True),
                ("string", "3"), ("None", None)]
    elif isinstance(value, float):
        out += [("zero", 0.0), ("negative", -1.0), ("nan", float("nan")),
                ("inf", float("inf")), ("huge", 1e300), ("tiny", 1e-300), ("string", "1"),
                ("None", None)]
    elif isinstance(value, str):
        out += [("unknown_name", "nope"), ("None", None), ("int", 3)]
    elif isinstance(value, (list, tuple)) and value and all(isinstance(v, np.ndarray)
                                                             for v in value):
        out += [("empty", type(value)()), ("nan_inside",
                                           [np.where(True, np.nan, v) if i == 0 else v
                                            for i, v in enumerate(value)]),
                ("short", value[:-1]), ("None", None)]
    return out


# --------------------------------------------------------------------------- outcome


#: NaN used on purpose, documented in the docstrings: ``train_gd``'s ``s_min`` unless
#: ``track_singular``; a derivative check's local orders "NaN where a point is at the floor"
#: and its fitted orders "NaN if none" (DerivativeCheckResult).
MARKERS = {"s_min": slice(None), "local_order0": slice(None), "local_order1": slice(None),
           "order0": slice(None), "order1": slice(None), "fit0": slice(None),
           "fit1": slice(None)}


def _numbers(obj, depth=0):
    """Every float array/scalar reachable in a result (arrays, tuples, dicts, dataclasses),
    without the documented NaN markers."""
    if depth > 4:
        return
    if isinstance(obj, dict) or hasattr(obj, "__dict__") and not callable(obj) and not \
            isinstance(obj, np.ndarray):
        items = obj.items() if isinstance(obj, dict) else (
            vars(obj).items() if hasattr(obj, "__dict__") else ())
        if not hasattr(obj, "select_dtypes") and items:
            for k, v in items:
                if k in MARKERS:
                    v = np.asarray(v, dtype=float).ravel()
                    v = np.delete(v, np.arange(v.size)[MARKERS[k]])
                yield from _numbers(v, depth + 1)
            return
    if isinstance(obj, (float, np.floating)):
        yield np.asarray([obj], dtype=float)
    elif isinstance(obj, np.ndarray):
        if obj.dtype.kind in "fc":
            yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _numbers(v, depth + 1)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _numbers(v, depth + 1)
    elif hasattr(obj, "to_numpy") and hasattr(obj, "select_dtypes"):
        yield obj.select_dtypes("number").to_numpy(dtype=float)
    elif hasattr(obj, "__dict__") and not callable(obj):
        for v in vars(obj).values():
            yield from _numbers(v, depth + 1)
    elif hasattr(obj, "__dataclass_fields__"):
        for k in obj.__dataclass_fields__:
            yield from _numbers(getattr(obj, k), depth + 1)


def _flagged(obj) -> bool:
    for attr in ("diverged",):
        v = getattr(obj, attr, None)
        if v is not None and v is not False:
            return True
    return isinstance(obj, dict) and obj.get("diverged") not in (None, False)


#: Non-finite results that the function documents as a marker (see its docstring).
DOCUMENTED = {
    # Hebbian growth without bound is the theorem: inf, never NaN
    "learning_rules.hebbian": lambda r: not np.any(np.isnan(r)),
    # the exact learning curve above the stability limit: geometric growth to inf, never NaN
    "learning_rules.student_teacher_learning_curve": lambda r: not np.any(np.isnan(r)),
    # a ratio whose denominator is 0 while its numerator is not: inf (documented)
    "layerwise.scatter_ratio": lambda r: r == np.inf,
    "layerwise.distance_ratio": lambda r: r == np.inf,
    # fewer than two usable points: (nan, nan), "no slope"
    "experiments.feature_learning.fit_loglog_slope": lambda r: bool(np.all(np.isnan(r))),
}

#: Inputs that break a relation between arguments (lengths, shapes): a message naming any
#: argument of the call names one at fault.
RELATIONAL = {"short", "one", "wide_n5_d10000"}


def names_argument(msg: str, names) -> bool:
    return any(re.search(rf"(?<![A-Za-z0-9_]){re.escape(a)}(?![A-Za-z0-9_])", msg)
               for a in names)


def classify(result=None, exc=None, arg=None, fname=None, argnames=(), label=None):
    if exc is not None:
        # numpy's LinAlgError subclasses ValueError but is not the promised clear error
        if type(exc) is not ValueError and isinstance(exc, np.linalg.LinAlgError):
            return "wrongtype", f"{type(exc).__name__}: {exc}"[:300]
        if isinstance(exc, ValueError):
            msg = str(exc)
            wanted = argnames if label in RELATIONAL else ([arg] if arg else [])
            ok = arg is None or names_argument(msg, wanted)
            return ("error" if ok else "misnamed"), f"{type(exc).__name__}: {msg}"[:300]
        return "wrongtype", f"{type(exc).__name__}: {exc}"[:300]
    finite = all(np.all(np.isfinite(a)) for a in _numbers(result))
    if finite:
        return "finite", ""
    if _flagged(result) or (fname in DOCUMENTED and DOCUMENTED[fname](result)):
        return "flagged", "non-finite numbers, flagged or documented"
    return "nan", "non-finite numbers in the result"


def reclassify(row: dict, argnames) -> str:
    """The outcome of a stored row under the current rules (for comparing runs)."""
    out, msg = row["outcome"], row.get("message", "")
    if out in ("error", "misnamed") and msg.startswith("LinAlgError: "):
        return "wrongtype"
    if out in ("error", "misnamed") and msg.startswith("ValueError: "):
        wanted = argnames if row["input"] in RELATIONAL else [row["argument"]]
        return "error" if names_argument(msg[len("ValueError: "):], wanted) else "misnamed"
    return out


# --------------------------------------------------------------------------- child / driver


def plan(only=None):
    calls = base_calls()
    items = []
    for fname, (fn, kwargs) in calls.items():
        if only and only not in fname:
            continue
        items.append((fname, None, "valid"))
        for arg, value in kwargs.items():
            for label, _ in mutations(arg, value):
                items.append((fname, arg, label))
    return items


def child(start: int, only, report):
    warnings.simplefilter("ignore")
    calls = base_calls()
    items = plan(only)
    out = open(report, "a")
    for i in range(start, len(items)):
        fname, arg, label = items[i]
        fn, kwargs = calls[fname]
        kw = dict(kwargs)
        if arg is not None:
            kw[arg] = dict(mutations(arg, kwargs[arg]))[label]
        out.write(json.dumps({"i": i, "start": True}) + "\n")
        out.flush()
        t0 = time.perf_counter()
        try:
            with np.errstate(all="ignore"):
                res = fn(**kw)
            kind, msg = classify(res, fname=fname)
        except Exception as exc:  # noqa: BLE001 - that is what we count
            kind, msg = classify(exc=exc, arg=arg, argnames=list(kwargs), label=label)
        out.write(json.dumps({"i": i, "function": fname, "argument": arg, "input": label,
                              "outcome": kind, "message": msg,
                              "seconds": round(time.perf_counter() - t0, 3)}) + "\n")
        out.flush()


def drive(timeout: float, only, report: Path, resume: bool = False) -> list[dict]:
    start = 0
    if resume and report.exists():
        # keep the finished calls (a call started but never finished is run again)
        rows = [json.loads(line) for line in report.read_text().splitlines()]
        rows = [r for r in rows if "outcome" in r]
        start = max((r["i"] for r in rows), default=-1) + 1
        report.write_text("".join(json.dumps(r) + "\n" for r in rows))
    else:
        report.write_text("")
    n = len(plan(only))
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    while start < n:
        proc = subprocess.Popen([sys.executable, __file__, "--child", str(start),
                                 "--out", str(report)] + (["--only", only] if only else []),
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        last_size, last_change, current = -1, time.time(), None
        items = plan(only)
        first = start
        while proc.poll() is None:
            time.sleep(0.2)
            size = report.stat().st_size
            if size != last_size:
                last_size, last_change = size, time.time()
                lines = report.read_text().splitlines()
                current = json.loads(lines[-1]) if lines else None
            # a fresh child's imports (until it starts its first call) and each function's
            # valid call (numba compilation on a cold cache, on a loaded machine) get a
            # longer allowance
            running = current is not None and "start" in current and current["i"] >= first
            limit = timeout if running and items[current["i"]][2] != "valid" else 10 * timeout
            if time.time() - last_change > limit:
                proc.kill()
                proc.wait()
                break
        rows = [json.loads(line) for line in report.read_text().splitlines()]
        done = {r["i"] for r in rows if "outcome" in r}
        started = [r["i"] for r in rows if "start" in r and r["i"] not in done]
        if proc.returncode not in (0, None) and started:
            i = started[-1]
            fname, arg, label = plan(only)[i]
            kind = "hang" if proc.returncode == -9 else "wrongtype"
            msg = "no answer" if kind == "hang" else f"child died ({proc.returncode})"
            with open(report, "a") as f:
                f.write(json.dumps({"i": i, "function": fname, "argument": arg, "input": label,
                                    "outcome": kind, "message": msg}) + "\n")
            start = i + 1
        elif proc.returncode not in (0, None):
            raise RuntimeError(proc.stderr.read().decode()[-3000:])
        else:
            start = n
    rows = [json.loads(line) for line in report.read_text().splitlines()]
    return [r for r in rows if "outcome" in r]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--timeout", type=float, default=20.0, help="seconds per call")
    ap.add_argument("--out", default="probe_api.jsonl", help="JSON lines, one per call")
    ap.add_argument("--only", help="only functions whose name contains this")
    ap.add_argument("--show", action="append", default=[],
                    help="print the calls of this outcome (repeatable)")
    ap.add_argument("--resume", action="store_true", help="continue an interrupted --out file")
    ap.add_argument("--summary", action="store_true",
                    help="only summarise an existing --out file (no calls)")
    ap.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child is not None:
        child(args.child, args.only, args.out)
        return 0
    t0 = time.time()
    if args.summary:
        rows = [json.loads(line) for line in Path(args.out).read_text().splitlines()]
        rows = [r for r in rows if "outcome" in r]
    else:
        rows = drive(args.timeout, args.only, Path(args.out), args.resume)
    calls = base_calls()
    for r in rows:
        r["outcome"] = reclassify(r, list(calls.get(r["function"], (None, {}))[1]))
    valid = [r for r in rows if r["argument"] is None]
    bad_valid = [r for r in valid if r["outcome"] != "finite"]
    probes = [r for r in rows if r["argument"] is not None]
    counts = Counter(r["outcome"] for r in probes)
    print(f"{len(valid)} functions ({len(bad_valid)} whose valid call is not finite), "
          f"{len(probes)} bad-input calls in {time.time() - t0:.0f} s")
    for r in bad_valid:
        print(f"  VALID CALL {r['function']}: {r['outcome']} {r['message']}")
    for k in KINDS:
        print(f"  {k:10s} {counts.get(k, 0):5d}")
    for kind in args.show:
        for r in probes:
            if r["outcome"] == kind:
                print(f"{kind:9s} {r['function']}({r['argument']}={r['input']}): {r['message']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
