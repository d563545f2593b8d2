r"""Learning rules with and without backpropagation.

Everything the chapter "Learning without backpropagation" computes, following the notes
"Learning algorithms" (seed ``002_592b791eec23135f.txt``) with the corrections and the missing
standard statements of ``seeds/ERRATA.md`` (section 002):

* backpropagation derived as constrained optimisation (LeCun 1988): the Lagrange multipliers of
  the layer-consistency constraints (:func:`lagrange_multipliers`) against the chain-rule deltas
  (:func:`backprop`);
* weight perturbation (WP, Jabri and Flower 1992), node perturbation (NP, Williams 1992) and
  gradient descent (GD) on the student-teacher linear model of Werfel, Xie and Seung (2004, 2005),
  in the notes' raw form and the baseline-subtracted form, with the exact mean learning curves of
  the online rules (:func:`student_teacher_learning_curve`);
* weight and node perturbation on a nonlinear multi-layer network with every layer perturbed at
  once, as the notes derive them (:func:`mlp_perturbation_estimates`), their O(sigma^2) bias
  measured with low variance (:func:`perturbation_bias`) and predicted
  (:func:`perturbation_bias_prediction`);
* the logistic sigmoid and the hyperbolic tangent, and the equivalent one-hidden-layer networks;
* the linear neuron and its normal equations (minimum-norm solution when there are fewer samples
  than dimensions);
* Hebbian, Oja (1982) and Sanger (1989) rules;
* the two-layer deep linear network and the closed-form mode strengths of Saxe, McClelland and
  Ganguli (2014);
* the perceptron and the Novikoff (1962) mistake bound.

The hot loops (online student-teacher training, the Hebbian family) are numba kernels, each with
a plain numpy reference (``_name_numpy``) and a parity test; randomness is drawn in the public
wrappers from ``numpy.random.default_rng(random_state)`` and handed to the kernels, so the same
seed gives the same numbers on either path.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit
from scipy.special import expit

from kernelnet._validation import (
    as_rng,
    as_matrix,
    as_vector,
    check_choice,
    check_int,
    check_nonnegative,
    check_positive,
    check_not_diverged,
    check_same_rows,
    first_nonfinite,
    pow2_rescale,
)

__all__ = [
    # activations and the equivalent networks
    "sigmoid",
    "tanh_from_sigmoid",
    "one_hidden_layer",
    "sigmoid_to_tanh_network",
    # backprop and its Lagrangian derivation
    "mlp_forward",
    "mlp_loss",
    "backprop",
    "lagrange_multipliers",
    "lagrangian",
    "lagrangian_gradients",
    "flatten_params",
    "unflatten_params",
    # WP and NP on a nonlinear multi-layer network
    "mlp_sample_gradient",
    "mlp_perturbation_estimates",
    "perturbation_bias",
    "perturbation_bias_prediction",
    # student-teacher model: GD, WP, NP
    "student_teacher_gradient",
    "perturbation_gradient_estimates",
    "perturbation_estimator_variance",
    "gd_update",
    "weight_perturbation_update",
    "node_perturbation_update",
    "optimal_learning_rate",
    "student_teacher_learning_curve",
    "train_student_teacher",
    "TrainResult",
    # linear neuron
    "linear_neuron_loss",
    "linear_neuron_gradient",
    "linear_neuron_hessian",
    "normal_equations",
    "linear_neuron_gd",
    # Hebbian family
    "hebbian",
    "oja",
    "sanger",
    "subspace_angles",
    # deep linear network
    "deep_linear_gradients",
    "deep_linear_gd",
    "saxe_mode_strength",
    "mode_strengths",
    "decoupled_init",
    # perceptron
    "perceptron",
    "PerceptronResult",
    "novikoff_bound",
    "separable_data",
]

_ACTIVATIONS = ("tanh", "sigmoid", "linear")
_METHODS = ("gd", "wp", "np")


# ----------------------------------------------------------------------------------------------
# Activations and the sigmoid/tanh equivalence
# ----------------------------------------------------------------------------------------------


def sigmoid(x):
    r"""Logistic sigmoid :math:`\sigma(x) = 1 / (1 + e^{-x})`, overflow-free.

    .. math::

       \sigma(x) = \frac{1}{1 + e^{-x}} = \frac{e^x}{e^x + 1}

    Source: the notes, "Logistic Sigmoid". Computed with :func:`scipy.special.expit`.

    Parameters
    ----------
    x : array_like
        Finite input of any shape.

    Returns
    -------
    ndarray
        Same shape as ``x``.
    """
    arr = _as_array(x, "x")
    return expit(arr)


def tanh_from_sigmoid(x):
    r"""The hyperbolic tangent written through the sigmoid, :math:`2\sigma(2x) - 1`.

    .. math::

       \tanh(x) = \frac{e^{2x} - 1}{e^{2x} + 1} = 2\,\sigma(2x) - 1,
       \qquad \sigma(x) = \frac{\tanh(x/2) + 1}{2}

    Source: the notes, "Relationship between Logistic Sigmoid and Hyperbolic Tangent".
    Compare with :func:`numpy.tanh` to check the identity numerically.

    Parameters
    ----------
    x : array_like
        Finite input of any shape.
    """
    arr = _as_array(x, "x")
    return 2.0 * expit(2.0 * arr) - 1.0


def _as_array(x, name):
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a numeric array, got {type(x).__name__}: {exc}") from None
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains non-finite value(s) (NaN or inf)")
    return arr


def _check_hidden(U, c, w, w0, n_features=None):
    U = as_matrix(U, "U")
    c = as_vector(c, "c", size=U.shape[0])
    w = as_vector(w, "w", size=U.shape[0])
    w0 = _as_array(w0, "w0")
    if w0.size != 1:
        raise ValueError(f"w0 must be a scalar (the output bias), got shape {w0.shape}")
    w0 = float(w0.reshape(()))
    if n_features is not None and U.shape[1] != n_features:
        raise ValueError(f"U must have {n_features} columns (one per input feature), got {U.shape}")
    return U, c, w, w0


def one_hidden_layer(X, U, c, w, w0, activation="sigmoid"):
    r"""Scalar output of a one-hidden-layer network.

    .. math::

       y(x) = w_0 + \sum_{i=1}^{H} w_i\, f(u_i^\top x + c_i), \qquad f \in \{\sigma, \tanh\}

    Source: the notes, "Relationship between Logistic Sigmoid and Hyperbolic Tangent" (written
    there as :math:`w_0 + \sum_i w_i \sigma(x)`, the hidden pre-activation being implicit).

    Parameters
    ----------
    X : array_like, shape (n, d)
        Inputs, one per row.
    U : array_like, shape (H, d)
        Hidden weights.
    c : array_like, shape (H,)
        Hidden biases.
    w : array_like, shape (H,)
        Output weights.
    w0 : float
        Output bias.
    activation : {"sigmoid", "tanh"}

    Returns
    -------
    ndarray, shape (n,)
    """
    X = as_matrix(X, "X")
    U, c, w, w0 = _check_hidden(U, c, w, w0, X.shape[1])
    check_choice(activation, "activation", ("sigmoid", "tanh"))
    A = X @ U.T + c
    H = expit(A) if activation == "sigmoid" else np.tanh(A)
    return w0 + H @ w


def sigmoid_to_tanh_network(U, c, w, w0):
    r"""Parameters of the tanh network that computes the same function as a sigmoid network.

    Since :math:`\sigma(a) = (\tanh(a/2) + 1)/2`,

    .. math::

       w_0 + \sum_i w_i\, \sigma(u_i^\top x + c_i)
       = w_0' + \sum_i w_i' \tanh\big(u_i'^\top x + c_i'\big),
       \quad w_0' = w_0 + \tfrac12 \sum_i w_i,\ w_i' = \tfrac{w_i}{2},\
       u_i' = \tfrac{u_i}{2},\ c_i' = \tfrac{c_i}{2}.

    Source: the notes, "Relationship between Logistic Sigmoid and Hyperbolic Tangent" (the
    halving of the hidden pre-activation is the notes' :math:`\tanh(x/2)`).

    Parameters
    ----------
    U, c, w, w0
        As in :func:`one_hidden_layer`, for the sigmoid network.

    Returns
    -------
    U2, c2, w2, w02
        Parameters of the equivalent tanh network.
    """
    U, c, w, w0 = _check_hidden(U, c, w, w0)
    return U / 2.0, c / 2.0, w / 2.0, w0 + 0.5 * float(np.sum(w))


# ----------------------------------------------------------------------------------------------
# Multilayer network, backprop, and backprop as constrained optimisation (LeCun 1988)
# ----------------------------------------------------------------------------------------------


def _act(a, activation):
    if activation == "tanh":
        return np.tanh(a)
    if activation == "sigmoid":
        return expit(a)
    return a.copy()


def _dact(a, activation):
    if activation == "tanh":
        t = np.tanh(a)
        return 1.0 - t * t
    if activation == "sigmoid":
        s = expit(a)
        return s * (1.0 - s)
    return np.ones_like(a)


def _check_network(weights, biases, n_in=None):
    if not isinstance(weights, (list, tuple)) or len(weights) == 0:
        raise ValueError("weights must be a non-empty list of 2-D arrays (one per layer)")
    if not isinstance(biases, (list, tuple)) or len(biases) != len(weights):
        raise ValueError(
            f"biases must be a list with one vector per layer ({len(weights)}), got "
            f"{type(biases).__name__} of length {len(biases) if hasattr(biases, '__len__') else '?'}"
        )
    Ws, bs = [], []
    prev = n_in
    for l, (W, b) in enumerate(zip(weights, biases), start=1):
        W = as_matrix(W, f"weights[{l - 1}]")
        if prev is not None and W.shape[1] != prev:
            raise ValueError(
                f"weights[{l - 1}] must have {prev} columns (width of the layer below), "
                f"got shape {W.shape}"
            )
        b = as_vector(b, f"biases[{l - 1}]", size=W.shape[0])
        Ws.append(W)
        bs.append(b)
        prev = W.shape[0]
    return Ws, bs


def mlp_forward(X, weights, biases, activation="tanh"):
    r"""Forward pass of a fully connected network, one sample per row.

    .. math::

       x^0 = x, \qquad a^l = W^l x^{l-1} + b^l, \qquad x^l = f(a^l), \quad l = 1, \dots, L

    Source: the notes, "Backprop as Constrained Optimization" (the consistency equations).

    Parameters
    ----------
    X : array_like, shape (n, N^0)
    weights : list of arrays, ``weights[l-1]`` of shape (N^l, N^{l-1})
    biases : list of arrays, ``biases[l-1]`` of shape (N^l,)
    activation : {"tanh", "sigmoid", "linear"}
        Applied at every layer, the output layer included.

    Returns
    -------
    xs : list of L+1 arrays
        Layer states :math:`x^0, \dots, x^L`, each (n, N^l).
    pre : list of L arrays
        Pre-activations :math:`a^1, \dots, a^L`.
    """
    X = as_matrix(X, "X")
    Ws, bs = _check_network(weights, biases, X.shape[1])
    check_choice(activation, "activation", _ACTIVATIONS)
    return _forward(X, Ws, bs, activation)


def _forward(X, Ws, bs, activation):
    xs, pre = [X], []
    for W, b in zip(Ws, bs):
        a = xs[-1] @ W.T + b
        pre.append(a)
        xs.append(_act(a, activation))
    return xs, pre


def _check_xy(X, Y, weights, biases, activation):
    X = as_matrix(X, "X")
    Ws, bs = _check_network(weights, biases, X.shape[1])
    Y = as_matrix(Y, "Y", n_cols=Ws[-1].shape[0], allow_1d=Ws[-1].shape[0] == 1, max_abs=1e150)
    check_same_rows(X, Y, "X", "Y")
    check_choice(activation, "activation", _ACTIVATIONS)
    return X, Y, Ws, bs


def mlp_loss(X, Y, weights, biases, activation="tanh"):
    r"""Training error :math:`E = \frac12 \sum_n \|x^L_n - y_n\|^2`.

    Source: the notes, "Weight Perturbation" (:math:`E_{tr} = \frac12 \|y_i - y(x_i)\|_2^2`,
    summed over the training pairs).

    Parameters
    ----------
    X : array_like, shape (n, N^0)
    Y : array_like, shape (n, N^L)
    weights, biases, activation
        As in :func:`mlp_forward`.

    Returns
    -------
    float
    """
    X, Y, Ws, bs = _check_xy(X, Y, weights, biases, activation)
    xs, _ = _forward(X, Ws, bs, activation)
    return 0.5 * float(np.sum((xs[-1] - Y) ** 2))


def backprop(X, Y, weights, biases, activation="tanh"):
    r"""Backpropagation by the chain rule: deltas and gradients.

    .. math::

       \delta^L = f'(a^L) \odot (x^L - y), \qquad
       \delta^l = f'(a^l) \odot (W^{l+1})^\top \delta^{l+1}, \qquad
       \frac{\partial E}{\partial W^l} = \sum_n \delta^l_n (x^{l-1}_n)^\top, \quad
       \frac{\partial E}{\partial b^l} = \sum_n \delta^l_n

    with :math:`\delta^l = \partial E / \partial a^l` and
    :math:`E = \frac12 \sum_n \|x^L_n - y_n\|^2`. Source: the notes, "Backprop as Chain
    Derivative" (Rumelhart, Hinton and Williams 1986).

    Parameters
    ----------
    X, Y, weights, biases, activation
        As in :func:`mlp_loss`.

    Returns
    -------
    deltas : list of L arrays, (n, N^l)
    grad_W : list of L arrays, shapes of ``weights``
    grad_b : list of L arrays, shapes of ``biases``
    """
    X, Y, Ws, bs = _check_xy(X, Y, weights, biases, activation)
    xs, pre = _forward(X, Ws, bs, activation)
    L = len(Ws)
    deltas = [None] * L
    deltas[L - 1] = _dact(pre[L - 1], activation) * (xs[L] - Y)
    for l in range(L - 2, -1, -1):
        deltas[l] = _dact(pre[l], activation) * (deltas[l + 1] @ Ws[l + 1])
    grad_W = [deltas[l].T @ xs[l] for l in range(L)]
    grad_b = [deltas[l].sum(axis=0) for l in range(L)]
    return deltas, grad_W, grad_b


def lagrange_multipliers(X, Y, weights, biases, activation="tanh", method="backward"):
    r"""Lagrange multipliers of the layer-consistency constraints (LeCun 1988).

    Backprop as constrained optimisation: minimise :math:`E(x^L)` over the layer states subject to
    :math:`x^l = f(W^l x^{l-1} + b^l)`. With the Lagrangian

    .. math::

       \mathcal{L} = E(x^L) + \sum_{n} \sum_{l=1}^{L}
       (\lambda^l_n)^\top \big( f(W^l x^{l-1}_n + b^l) - x^l_n \big),

    stationarity in the states, :math:`\partial\mathcal{L}/\partial x^l = 0`, reads

    .. math::

       \lambda^L = \frac{\partial E}{\partial x^L} = x^L - y, \qquad
       \lambda^l = (W^{l+1})^\top \big( f'(a^{l+1}) \odot \lambda^{l+1} \big),

    a block upper-triangular linear system in :math:`(\lambda^1, \dots, \lambda^L)` with unit
    diagonal. Its solution is the backward pass: :math:`f'(a^l) \odot \lambda^l = \delta^l`, the
    backprop deltas of :func:`backprop`, and :math:`\partial\mathcal{L}/\partial W^l =
    \delta^l (x^{l-1})^\top = \partial E / \partial W^l` on the constraint set.

    Source: Y. LeCun, "A theoretical framework for back-propagation", Proc. 1988 Connectionist
    Models Summer School, pp. 21-28; the notes, "Backprop as Constrained Optimization". (LeCun
    writes the constraint as :math:`x^l - F(\cdot)`, which flips the sign of the multipliers.)

    Parameters
    ----------
    X, Y, weights, biases, activation
        As in :func:`mlp_loss`.
    method : {"backward", "solve"}
        ``"backward"``: back substitution through the triangular system (the backward pass).
        ``"solve"``: assemble the whole stationarity system for each sample as one dense matrix
        and solve it with :func:`numpy.linalg.solve`, an independent route for checking.

    Returns
    -------
    lambdas : list of L arrays, (n, N^l)
        :math:`\lambda^1, \dots, \lambda^L`.
    xs, pre : lists
        Layer states and pre-activations of the forward pass (the primal solution).
    """
    X, Y, Ws, bs = _check_xy(X, Y, weights, biases, activation)
    check_choice(method, "method", ("backward", "solve"))
    xs, pre = _forward(X, Ws, bs, activation)
    L = len(Ws)
    if method == "backward":
        lam = [None] * L
        lam[L - 1] = xs[L] - Y
        for l in range(L - 2, -1, -1):
            lam[l] = (_dact(pre[l + 1], activation) * lam[l + 1]) @ Ws[l + 1]
        return lam, xs, pre
    # Dense route: unknown vector [lambda^1; ...; lambda^L] of length sum N^l per sample.
    sizes = [W.shape[0] for W in Ws]
    offs = np.concatenate([[0], np.cumsum(sizes)])
    total = int(offs[-1])
    n = X.shape[0]
    lam_all = np.empty((n, total))
    for i in range(n):
        A = np.eye(total)
        rhs = np.zeros(total)
        for l in range(L - 1):
            # lambda^l - W^{l+1 T} diag(f'(a^{l+1})) lambda^{l+1} = 0
            J = Ws[l + 1] * _dact(pre[l + 1][i], activation)[:, None]
            A[offs[l]:offs[l + 1], offs[l + 1]:offs[l + 2]] = -J.T
        rhs[offs[L - 1]:offs[L]] = xs[L][i] - Y[i]
        lam_all[i] = np.linalg.solve(A, rhs)
    lam = [np.ascontiguousarray(lam_all[:, offs[l]:offs[l + 1]]) for l in range(L)]
    return lam, xs, pre


def lagrangian(X, Y, weights, biases, states, multipliers, activation="tanh"):
    r"""Value of LeCun's Lagrangian at given states and multipliers.

    .. math::

       \mathcal{L}(x, \lambda; W, b) = \frac12 \sum_n \|x^L_n - y_n\|^2 + \sum_n \sum_l
       (\lambda^l_n)^\top \big(f(W^l x^{l-1}_n + b^l) - x^l_n\big)

    On the constraint set (``states`` from the forward pass) it equals :math:`E`. Source: LeCun
    (1988).

    Parameters
    ----------
    X, Y, weights, biases, activation
        As in :func:`mlp_loss`.
    states : list of L arrays, (n, N^l)
        :math:`x^1, \dots, x^L` (:math:`x^0 = X`).
    multipliers : list of L arrays, (n, N^l)
        :math:`\lambda^1, \dots, \lambda^L`.

    Returns
    -------
    float
    """
    X, Y, Ws, bs = _check_xy(X, Y, weights, biases, activation)
    L = len(Ws)
    st = _check_layer_list(states, "states", X.shape[0], Ws)
    mu = _check_layer_list(multipliers, "multipliers", X.shape[0], Ws)
    xs = [X] + st
    val = 0.5 * float(np.sum((xs[L] - Y) ** 2))
    for l in range(L):
        val += float(np.sum(mu[l] * (_act(xs[l] @ Ws[l].T + bs[l], activation) - xs[l + 1])))
    return val


def _check_layer_list(arrs, name, n, Ws):
    if not isinstance(arrs, (list, tuple)) or len(arrs) != len(Ws):
        raise ValueError(f"{name} must be a list of {len(Ws)} arrays (one per layer)")
    out = []
    for l, (a, W) in enumerate(zip(arrs, Ws)):
        a = as_matrix(a, f"{name}[{l}]", n_cols=W.shape[0])
        if a.shape[0] != n:
            raise ValueError(f"{name}[{l}] must have {n} rows (one per sample), got {a.shape[0]}")
        out.append(a)
    return out


def lagrangian_gradients(X, Y, weights, biases, activation="tanh", method="backward"):
    r"""Parameter gradient from the Lagrangian: :math:`\partial\mathcal{L}/\partial W^l`.

    .. math::

       \frac{\partial \mathcal{L}}{\partial W^l} = \sum_n \big(f'(a^l_n)\odot\lambda^l_n\big)
       (x^{l-1}_n)^\top, \qquad
       \frac{\partial \mathcal{L}}{\partial b^l} = \sum_n f'(a^l_n)\odot\lambda^l_n

    evaluated at the forward states and the multipliers of :func:`lagrange_multipliers`; at that
    saddle point it is the gradient of :math:`E` (LeCun 1988).

    Returns
    -------
    grad_W, grad_b : lists of arrays
    """
    lam, xs, pre = lagrange_multipliers(X, Y, weights, biases, activation, method)
    d = [_dact(pre[l], activation) * lam[l] for l in range(len(lam))]
    return [d[l].T @ xs[l] for l in range(len(d))], [d[l].sum(axis=0) for l in range(len(d))]


def flatten_params(weights, biases):
    """Concatenate ``[W^1, b^1, W^2, b^2, ...]`` into one vector (row-major)."""
    Ws, bs = _check_network(weights, biases)
    return np.concatenate([np.concatenate([W.ravel(), b]) for W, b in zip(Ws, bs)])


def unflatten_params(theta, shapes):
    """Inverse of :func:`flatten_params` for layer shapes ``[(N^1, N^0), (N^2, N^1), ...]``."""
    if not isinstance(shapes, (list, tuple)) or len(shapes) == 0:
        raise ValueError("shapes must be a non-empty list of (rows, cols) pairs")
    need = sum(int(r) * int(c) + int(r) for r, c in shapes)
    theta = as_vector(theta, "theta", size=need)
    Ws, bs, k = [], [], 0
    for r, c in shapes:
        r, c = int(r), int(c)
        Ws.append(theta[k:k + r * c].reshape(r, c))
        k += r * c
        bs.append(theta[k:k + r])
        k += r
    return Ws, bs


# ----------------------------------------------------------------------------------------------
# Student-teacher linear model: GD, weight perturbation, node perturbation
# ----------------------------------------------------------------------------------------------


def _check_st(W, W_star, w_name="W"):
    W = as_matrix(W, w_name, max_abs=1e150)  # losses square the entries
    W_star = as_matrix(W_star, "W_star", max_abs=1e150)
    if W.shape != W_star.shape:
        raise ValueError(f"W_star must have the shape of {w_name} {W.shape}, got "
                         f"{W_star.shape}")
    return W, W_star


def student_teacher_gradient(W, W_star, x):
    r"""Gradient of the student-teacher loss for one input.

    .. math::

       L(W) = \|W x - W^* x\|_2^2, \qquad \nabla_W L = 2 (W - W^*) x x^\top

    Source: Werfel, Xie and Seung (2004, 2005); the notes, "Comparison of Backprop, Weight
    Perturbation & Node Perturbation" (loss without the factor 1/2).

    Parameters
    ----------
    W, W_star : array_like, shape (M, N)
        Student and teacher.
    x : array_like, shape (N,)

    Returns
    -------
    ndarray, shape (M, N)
    """
    W, W_star = _check_st(W, W_star)
    x = as_vector(x, "x", size=W.shape[1], max_abs=1e150)
    return 2.0 * np.outer((W - W_star) @ x, x)


def perturbation_gradient_estimates(
    W, W_star, x, sigma, n_draws, method="wp", baseline=True, random_state=None
):
    r"""Independent single-draw WP or NP estimates of :math:`\nabla_W L` at one input.

    Weight perturbation adds :math:`\Psi_{ij} \sim N(0, \sigma^2)` to every weight, node
    perturbation adds :math:`\xi_i \sim N(0, \sigma^2)` to every output:

    .. math::

       g_{\mathrm{WP}} = \frac{\tilde E - b}{\sigma^2}\, \Psi, \quad
       \tilde E = \|(W + \Psi - W^*) x\|^2; \qquad
       g_{\mathrm{NP}} = \frac{\tilde E - b}{\sigma^2}\, \xi x^\top, \quad
       \tilde E = \|(W - W^*) x + \xi\|^2,

    with baseline :math:`b = E = \|(W - W^*)x\|^2` (the form Werfel et al. analyse) or
    :math:`b = 0` (the notes' raw form, :math:`\Delta W = -\eta \tilde E \Omega`, there with
    :math:`1/\sigma^2` absorbed into :math:`\eta`). Since :math:`L` is quadratic and the noise's
    odd moments vanish, both forms are *exactly* unbiased, :math:`\mathbb{E}[g] = \nabla_W L`,
    for every :math:`\sigma`; see :func:`perturbation_estimator_variance` for the variance.

    Sources: the notes, "Weight Perturbation" and "Node Perturbation" (with the ERRATA index fix:
    the NP update multiplies :math:`\gamma_i^l` by the layer's *input* :math:`x_j^{l-1}`);
    Jabri and Flower (1992); Williams (1992); Werfel, Xie and Seung (2005).

    Parameters
    ----------
    W, W_star : array_like, shape (M, N)
    x : array_like, shape (N,)
    sigma : float
        Noise standard deviation (> 0).
    n_draws : int
        Number of independent draws (>= 1).
    method : {"wp", "np"}
    baseline : bool
        Subtract the unperturbed error (True) or not (the notes' raw form).
    random_state : int or numpy.random.Generator, optional

    Returns
    -------
    ndarray, shape (n_draws, M, N)
    """
    W, W_star = _check_st(W, W_star)
    x = as_vector(x, "x", size=W.shape[1], max_abs=1e150)
    sigma = check_positive(sigma, "sigma", minimum=1e-150, maximum=1e150)  # sigma^2 formed
    n_draws = check_int(n_draws, "n_draws", minimum=1)
    check_choice(method, "method", ("wp", "np"))
    rng = as_rng(random_state)
    M, N = W.shape
    r = (W - W_star) @ x
    E = float(r @ r)
    b = E if baseline else 0.0
    if method == "wp":
        Psi = sigma * rng.standard_normal((n_draws, M, N))
        rt = r[None, :] + Psi @ x
        Et = np.sum(rt * rt, axis=1)
        return ((Et - b) / sigma**2)[:, None, None] * Psi
    xi = sigma * rng.standard_normal((n_draws, M))
    rt = r[None, :] + xi
    Et = np.sum(rt * rt, axis=1)
    return ((Et - b) / sigma**2)[:, None, None] * (xi[:, :, None] * x[None, None, :])


def perturbation_estimator_variance(W, W_star, x, sigma, method="wp", baseline=True):
    r"""Exact :math:`\mathbb{E}\|g - \nabla_W L\|_F^2` of one WP/NP draw at one input.

    With :math:`r = (W - W^*)x`, :math:`G = 2 r x^\top`, :math:`E = \|r\|^2`, :math:`P = MN`
    and Gaussian noise, Isserlis' theorem and the moments of :math:`\chi^2` give (our derivation):

    .. math::

       \mathrm{WP}:&\ (P + 1)\|G\|^2 + \sigma^2 \|x\|^4 M (M+2)(P+4), \\
       \mathrm{NP}:&\ \|x\|^2\big[(M + 1)\, 4\|r\|^2 + \sigma^2 M (M+2)(M+4)\big],

    and the raw forms (baseline 0) add
    :math:`2 E \|x\|^2 M (P + 2) + E^2 P / \sigma^2` (WP) and
    :math:`\|x\|^2 \big[2 E M (M + 2) + E^2 M / \sigma^2\big]` (NP). The relative variance per
    draw, :math:`\approx P + 1` for WP and :math:`M + 1` for NP at small :math:`\sigma`, is the
    root of the slow-down that Werfel, Xie and Seung (2005) derive.

    Parameters
    ----------
    W, W_star, x, sigma, method, baseline
        As in :func:`perturbation_gradient_estimates`.

    Returns
    -------
    float
    """
    W, W_star = _check_st(W, W_star)
    x = as_vector(x, "x", size=W.shape[1], max_abs=1e150)
    sigma = check_positive(sigma, "sigma", minimum=1e-150, maximum=1e150)  # sigma^2 formed
    check_choice(method, "method", ("wp", "np"))
    M, N = W.shape
    P = M * N
    r = (W - W_star) @ x
    E = float(r @ r)
    xx = float(x @ x)
    G2 = 4.0 * E * xx
    if method == "wp":
        v = (P + 1) * G2 + sigma**2 * xx**2 * M * (M + 2) * (P + 4)
        if not baseline:
            v += 2.0 * E * xx * M * (P + 2) + E**2 * P / sigma**2
        return float(v)
    v = xx * ((M + 1) * 4.0 * E + sigma**2 * M * (M + 2) * (M + 4))
    if not baseline:
        v += xx * (2.0 * E * M * (M + 2) + E**2 * M / sigma**2)
    return float(v)


def gd_update(W, W_star, x, eta):
    r"""One online gradient-descent step :math:`\Delta W = -2\eta (W - W^*) x x^\top`.

    Source: Werfel, Xie and Seung (2005); the loss is :math:`\|Wx - W^*x\|^2`.

    Returns
    -------
    ndarray, shape (M, N)
        The updated weights (``W`` is not modified).
    """
    eta = check_positive(eta, "eta")
    return as_matrix(W, "W") - eta * student_teacher_gradient(W, W_star, x)


def weight_perturbation_update(W, W_star, x, eta, sigma, baseline=True, random_state=None):
    r"""One weight-perturbation step.

    .. math::

       \Delta W = -\frac{\eta}{\sigma^2} (\tilde E - b)\, \Psi, \qquad
       \Psi_{ij} \sim N(0, \sigma^2), \quad b \in \{E, 0\}

    Source: the notes, "Weight Perturbation" (raw form :math:`b = 0`, with :math:`1/\sigma^2`
    in :math:`\eta`); Werfel, Xie and Seung (2005) for :math:`b = E`.

    Returns
    -------
    ndarray, shape (M, N)
    """
    eta = check_positive(eta, "eta")
    g = perturbation_gradient_estimates(W, W_star, x, sigma, 1, "wp", baseline, random_state)[0]
    return as_matrix(W, "W") - eta * g


def node_perturbation_update(W, W_star, x, eta, sigma, baseline=True, random_state=None):
    r"""One node-perturbation step.

    .. math::

       \Delta W_{ij} = -\frac{\eta}{\sigma^2} (\tilde E - b)\, \xi_i x_j, \qquad
       \xi_i \sim N(0, \sigma^2), \quad b \in \{E, 0\}

    Source: the notes, "Node Perturbation", with the ERRATA fix (the input of the layer,
    :math:`x_j^{l-1}`, multiplies :math:`\gamma_i^l`); Williams (1992); Werfel, Xie and Seung (2005).

    Returns
    -------
    ndarray, shape (M, N)
    """
    eta = check_positive(eta, "eta")
    g = perturbation_gradient_estimates(W, W_star, x, sigma, 1, "np", baseline, random_state)[0]
    return as_matrix(W, "W") - eta * g


def _rate_constant(N, M, method):
    """The factor K with E||D'||^2 = ||D||^2 (1 - 4 eta + 4 eta^2 K) + eta^2 sigma^2 C."""
    if method == "gd":
        return float(N + 2)
    if method == "np":
        return float((M + 2) * (N + 2))
    return float((M * N + 2) * (N + 2))


def _noise_constant(N, M, method):
    if method == "gd":
        return 0.0
    if method == "np":
        return float(N * M * (M + 2) * (M + 4))
    return float(N * (N + 2) * M * (M + 2) * (M * N + 4))


def optimal_learning_rate(N, M, method):
    r"""Learning rate that maximises the decay of the mean error per step (small :math:`\sigma`).

    For :math:`x \sim N(0, I_N)`, :math:`D = W - W^*` and the baseline-subtracted rules, one online
    step gives exactly (our derivation, in the manner of Werfel, Xie and Seung 2005)

    .. math::

       \mathbb{E}\|D_{t+1}\|_F^2 = \big(1 - 4\eta + 4\eta^2 K\big)\|D_t\|_F^2
       + \eta^2 \sigma^2 C, \qquad
       K_{\mathrm{GD}} = N + 2,\ K_{\mathrm{NP}} = (M+2)(N+2),\ K_{\mathrm{WP}} = (MN+2)(N+2),

    so :math:`\eta^* = 1/(2K)` and the per-step factor is :math:`1 - 1/K`: node perturbation is
    slower than gradient descent by :math:`M + 2 \approx M` and weight perturbation by
    :math:`MN + 2 \approx MN`, the result of Werfel, Xie and Seung (Neural Computation 2005).

    Parameters
    ----------
    N, M : int
        Input and output dimension (>= 1).
    method : {"gd", "np", "wp"}

    Returns
    -------
    float
    """
    N = check_int(N, "N", minimum=1)
    M = check_int(M, "M", minimum=1)
    check_choice(method, "method", _METHODS)
    return 1.0 / (2.0 * _rate_constant(N, M, method))


def student_teacher_learning_curve(N, M, method, eta, sigma, n_steps, e0):
    r"""Exact mean learning curve :math:`\mathbb{E}\|W_t - W^*\|_F^2` of the online rules.

    Iterates the exact one-step recursion of :func:`optimal_learning_rate`,

    .. math::

       e_{t+1} = \rho\, e_t + \eta^2 \sigma^2 C, \qquad \rho = 1 - 4\eta + 4\eta^2 K,

    with :math:`C_{\mathrm{NP}} = N M (M+2)(M+4)`,
    :math:`C_{\mathrm{WP}} = N (N+2) M (M+2)(MN+4)`, :math:`C_{\mathrm{GD}} = 0` (baseline
    forms). :math:`e_t` is also the expected generalisation error
    :math:`\mathbb{E}_x \|W_t x - W^* x\|^2`.

    Parameters
    ----------
    N, M : int
    method : {"gd", "np", "wp"}
    eta : float
        Learning rate (> 0).
    sigma : float
        Perturbation size (>= 0; ignored for "gd").
    n_steps : int
        Number of steps (>= 0).
    e0 : float
        Initial error :math:`\|W_0 - W^*\|_F^2` (>= 0).

    Returns
    -------
    ndarray, shape (n_steps + 1,)
        The exact mean error. Above the stability limit (:math:`\rho > 1`) it grows
        geometrically and reads ``inf`` once it overflows: the divergence itself, a marker,
        never NaN.
    """
    N = check_int(N, "N", minimum=1)
    M = check_int(M, "M", minimum=1)
    check_choice(method, "method", _METHODS)
    eta = check_positive(eta, "eta")
    sigma = check_nonnegative(sigma, "sigma")
    if sigma > 1e150:
        raise ValueError(f"sigma must be at most 1e+150 (its square overflows), got {sigma!r}")
    if eta > 1e150:
        raise ValueError(f"eta must be at most 1e+150 (its square overflows), got {eta!r}")
    n_steps = check_int(n_steps, "n_steps", minimum=0)
    e0 = check_nonnegative(e0, "e0")
    K = _rate_constant(N, M, method)
    rho = 1.0 - 4.0 * eta + 4.0 * eta**2 * K
    c = eta**2 * sigma**2 * _noise_constant(N, M, method)
    t = np.arange(n_steps + 1, dtype=np.float64)
    if abs(1.0 - rho) < 1e-300:
        return e0 + c * t
    with np.errstate(over="ignore", invalid="ignore"):
        pw = rho**t
        # a zero term stays zero when rho**t overflows (inf * 0 would read NaN)
        first = pw * e0 if e0 else np.zeros_like(t)
        second = c * (1.0 - pw) / (1.0 - rho) if c else np.zeros_like(t)
    return first + second


@njit(cache=True)
def _st_kernel(W, W_star, X, noise, method, baseline, eta, sigma, err):  # pragma: no cover
    """Online steps on the rows of X; noise (T, M, N) for WP, (T, M) for NP; err[t] after t."""
    M, N = W.shape
    T = X.shape[0]
    r = np.empty(M)
    rt = np.empty(M)
    inv = 1.0 / (sigma * sigma) if sigma > 0 else 0.0
    for t in range(T):
        for i in range(M):
            s = 0.0
            for j in range(N):
                s += (W[i, j] - W_star[i, j]) * X[t, j]
            r[i] = s
        if method == 0:
            for i in range(M):
                c = 2.0 * eta * r[i]
                for j in range(N):
                    W[i, j] -= c * X[t, j]
        elif method == 1:  # node perturbation
            E = 0.0
            Et = 0.0
            for i in range(M):
                E += r[i] * r[i]
                v = r[i] + noise[t, i, 0]
                Et += v * v
            f = (Et - E) if baseline else Et
            f *= eta * inv
            for i in range(M):
                c = f * noise[t, i, 0]
                for j in range(N):
                    W[i, j] -= c * X[t, j]
        else:  # weight perturbation
            E = 0.0
            Et = 0.0
            for i in range(M):
                s = r[i]
                for j in range(N):
                    s += noise[t, i, j] * X[t, j]
                rt[i] = s
                E += r[i] * r[i]
                Et += s * s
            f = (Et - E) if baseline else Et
            f *= eta * inv
            for i in range(M):
                for j in range(N):
                    W[i, j] -= f * noise[t, i, j]
        e = 0.0
        for i in range(M):
            for j in range(N):
                d = W[i, j] - W_star[i, j]
                e += d * d
        err[t + 1] = e


def _st_numpy(W, W_star, X, noise, method, baseline, eta, sigma, err):
    """Plain numpy reference of :func:`_st_kernel` (same arithmetic, same noise)."""
    for t in range(X.shape[0]):
        x = X[t]
        r = (W - W_star) @ x
        if method == 0:
            W -= 2.0 * eta * np.outer(r, x)
        elif method == 1:
            xi = noise[t, :, 0]
            E, Et = r @ r, (r + xi) @ (r + xi)
            W -= (eta / sigma**2) * ((Et - E) if baseline else Et) * np.outer(xi, x)
        else:
            Psi = noise[t]
            rt = r + Psi @ x
            E, Et = r @ r, rt @ rt
            W -= (eta / sigma**2) * ((Et - E) if baseline else Et) * Psi
        err[t + 1] = np.sum((W - W_star) ** 2)


@dataclass
class TrainResult:
    """Outcome of :func:`train_student_teacher`.

    Attributes
    ----------
    W : ndarray, shape (M, N)
        Final student weights.
    errors : ndarray, shape (n_steps + 1,)
        :math:`\\|W_t - W^*\\|_F^2`, the generalisation error :math:`\\mathbb{E}_x\\|W_t x - W^* x\\|^2`
        for :math:`x \\sim N(0, I)`, at every step.
    method, baseline, eta, sigma
        The settings used.
    diverged : int or None
        The step at which the run diverged (learning rate too large): ``errors`` is ``inf``
        from there on (a marker, never NaN) and ``W`` is the last, non-finite iterate. ``None``
        for a run that stayed finite.
    """

    W: np.ndarray
    errors: np.ndarray
    method: str
    baseline: bool
    eta: float
    sigma: float
    diverged: int | None = None


_CHUNK = 1 << 20  # doubles of noise drawn at once: bounds memory for large M N


def train_student_teacher(
    W0,
    W_star,
    n_steps,
    eta,
    method="gd",
    sigma=1e-3,
    baseline=True,
    random_state=None,
    backend="numba",
):
    r"""Online learning of the student-teacher linear model by GD, NP or WP.

    At step :math:`t` a fresh input :math:`x_t \sim N(0, I_N)` is drawn and

    .. math::

       \mathrm{GD}: \Delta W = -2\eta\, D x x^\top, \quad
       \mathrm{NP}: \Delta W = -\tfrac{\eta}{\sigma^2}(\tilde E - b)\,\xi x^\top, \quad
       \mathrm{WP}: \Delta W = -\tfrac{\eta}{\sigma^2}(\tilde E - b)\,\Psi,

    with :math:`D = W - W^*` and :math:`b = E` (``baseline=True``) or 0 (the notes' raw form).
    Source: Werfel, Xie and Seung (2004, 2005); the notes.

    Parameters
    ----------
    W0, W_star : array_like, shape (M, N)
        Initial student and teacher.
    n_steps : int
        Number of online steps (>= 1).
    eta : float
        Learning rate (> 0); :func:`optimal_learning_rate` gives the fastest one.
    method : {"gd", "np", "wp"}
    sigma : float
        Perturbation size (> 0; unused by "gd").
    baseline : bool
    random_state : int or numpy.random.Generator, optional
        Inputs and noise are drawn from ``default_rng(random_state)`` in chunks, in the same
        order for both backends.
    backend : {"numba", "numpy"}
        The numba kernel or its numpy reference (for parity tests).

    Returns
    -------
    TrainResult
    """
    W0, W_star = _check_st(W0, W_star, "W0")
    n_steps = check_int(n_steps, "n_steps", minimum=1)
    eta = check_positive(eta, "eta")
    check_choice(method, "method", _METHODS)
    sigma = check_positive(sigma, "sigma", minimum=1e-150, maximum=1e150)  # sigma^2 formed
    check_choice(backend, "backend", ("numba", "numpy"))
    rng = as_rng(random_state)
    M, N = W0.shape
    code = {"gd": 0, "np": 1, "wp": 2}[method]
    W = W0.copy()
    err = np.empty(n_steps + 1)
    err[0] = float(np.sum((W - W_star) ** 2))
    per_step = N + (M * N if code == 2 else M if code == 1 else 0)
    chunk = max(1, _CHUNK // per_step)
    kern = _st_kernel if backend == "numba" else _st_numpy
    t0 = 0
    while t0 < n_steps:
        T = min(chunk, n_steps - t0)
        X = rng.standard_normal((T, N))
        if code == 2:
            noise = sigma * rng.standard_normal((T, M, N))
        elif code == 1:
            noise = sigma * rng.standard_normal((T, M, 1))
        else:
            noise = np.zeros((1, 1, 1))
        buf = np.empty(T + 1)
        with np.errstate(over="ignore", invalid="ignore"):
            kern(W, W_star, X, noise, code, bool(baseline), eta, sigma, buf)
        err[t0 + 1:t0 + T + 1] = buf[1:]
        if not np.all(np.isfinite(buf[1:])):
            # diverged (learning rate too large): report inf from here on, never NaN
            bad = t0 + 1 + int(np.argmin(np.isfinite(buf[1:])))
            err[bad:] = np.inf
            break
        t0 += T
    return TrainResult(W=W, errors=err, method=method, baseline=bool(baseline), eta=eta,
                       sigma=sigma, diverged=first_nonfinite(err))


# ----------------------------------------------------------------------------------------------
# Linear neuron
# ----------------------------------------------------------------------------------------------


def _check_Xy(X, y):
    X = as_matrix(X, "X", max_abs=1e150)  # losses and X^T X square the entries
    y = as_vector(y, "y", size=X.shape[0])
    if y.size and float(np.max(np.abs(y))) >= 1e150:
        raise ValueError("y has entries of magnitude >= 1e150: the squared loss overflows")
    return X, y


def linear_neuron_loss(w, X, y):
    r"""Training MSE :math:`L(w) = \frac1N \sum_n (y_n - w^\top x_n)^2`.

    Source: the notes, "Scalar Linear Neuron".

    Parameters
    ----------
    w : array_like, shape (D,)
    X : array_like, shape (N, D)
    y : array_like, shape (N,)
    """
    X, y = _check_Xy(X, y)
    w = as_vector(w, "w", size=X.shape[1], max_abs=1e150)
    r = y - X @ w
    return float(r @ r) / X.shape[0]


def linear_neuron_gradient(w, X, y):
    r"""Gradient :math:`\nabla L = \frac2N (C w - X^\top y)`, :math:`C = \sum_n x_n x_n^\top`."""
    X, y = _check_Xy(X, y)
    w = as_vector(w, "w", size=X.shape[1], max_abs=1e150)
    return (2.0 / X.shape[0]) * (X.T @ (X @ w - y))


def linear_neuron_hessian(X):
    r"""Hessian of the linear neuron's MSE: the input second-moment matrix.

    .. math::

       H_{ij} = \frac{\partial^2 L}{\partial w_i \partial w_j} = \frac{2}{N} C_{ij}, \qquad
       C = \sum_{n=1}^N x_n x_n^\top

    The notes write :math:`H = C`; with their :math:`L = \frac1N\sum(\cdot)^2` the factor is
    :math:`2/N` (the empirical input covariance, for centred inputs, times 2).

    Parameters
    ----------
    X : array_like, shape (N, D)

    Returns
    -------
    ndarray, shape (D, D)
    """
    X = as_matrix(X, "X", max_abs=1e150)
    return (2.0 / X.shape[0]) * (X.T @ X)


def normal_equations(X, y, rcond=None):
    r"""Solve the normal equations; the minimum-norm solution when they are singular.

    .. math::

       \Big(\sum_n x_n x_n^\top\Big) w^* = \sum_n y_n x_n, \qquad
       w^* = X^+ y \ \ (= X^\top (X X^\top)^{-1} y \text{ if } N < D \text{ and } \operatorname{rank} X = N)

    When :math:`N \ge D` and :math:`X` has full column rank the solution is unique; when
    :math:`N < D`, :math:`C` has rank at most :math:`N`, there are infinitely many solutions, all
    with zero training error, and :math:`X^+ y` is the one of least norm.

    Source: the notes, "Scalar Linear Neuron"; the pseudo-inverse (Penrose 1955).

    Parameters
    ----------
    X : array_like, shape (N, D)
    y : array_like, shape (N,)
    rcond : float, optional
        Relative cut-off for small singular values (default: ``max(N, D) * eps``).

    Returns
    -------
    w : ndarray, shape (D,)
    rank : int
        Rank of :math:`X` (= rank of :math:`C`).
    unique : bool
        Whether the normal equations have a unique solution (rank = D).
    """
    X, y = _check_Xy(X, y)
    if rcond is not None:
        rcond = check_positive(rcond, "rcond")
    w, _, rank, _ = np.linalg.lstsq(X, y, rcond=rcond)
    return w, int(rank), bool(rank == X.shape[1])


def linear_neuron_gd(X, y, eta, n_steps, w0=None):
    r"""Full-batch gradient descent on the linear neuron's MSE.

    .. math::

       w_{k+1} = w_k - \eta \nabla L(w_k) = w_k - \frac{2\eta}{N} X^\top (X w_k - y)

    Started at :math:`w_0 = 0` the iterates stay in the row space of :math:`X`, so they converge
    to the minimum-norm solution of :func:`normal_equations` when :math:`\eta < N / \lambda_{\max}(C)`.

    Parameters
    ----------
    X, y
        As in :func:`normal_equations`.
    eta : float
        Learning rate (> 0).
    n_steps : int
        (>= 1)
    w0 : array_like, shape (D,), optional
        Start (default zeros).

    Returns
    -------
    w : ndarray, shape (D,)
    losses : ndarray, shape (n_steps + 1,)

    Raises
    ------
    ValueError
        Bad input, or a diverging run (``eta`` above the stability limit
        :math:`N/\lambda_{\max}(X^\top X)`, losses overflowing): the message names ``eta`` and
        the step.
    """
    X, y = _check_Xy(X, y)
    eta = check_positive(eta, "eta")
    n_steps = check_int(n_steps, "n_steps", minimum=1)
    w = np.zeros(X.shape[1]) if w0 is None else as_vector(w0, "w0", size=X.shape[1]).copy()
    n = X.shape[0]
    losses = np.empty(n_steps + 1)
    for k in range(n_steps + 1):
        r = X @ w - y
        losses[k] = float(r @ r) / n
        if k < n_steps:
            w -= (2.0 * eta / n) * (X.T @ r)
    check_not_diverged(losses, name="eta", value=eta, what="gradient descent on the linear neuron",
                       data=("X", "y"))
    return w, losses


# ----------------------------------------------------------------------------------------------
# Hebbian, Oja, Sanger
# ----------------------------------------------------------------------------------------------


@njit(cache=True)
def _hebb_kernel(W, X, eta, rule, record_every, out):  # pragma: no cover
    """rule 0: Hebb, Delta W = eta y x^T; rule 1: Sanger, eta (y x^T - LT[y y^T] W)."""
    k, D = W.shape
    y = np.empty(k)
    dW = np.empty((k, D))
    rec = 1
    for t in range(X.shape[0]):
        for i in range(k):
            s = 0.0
            for j in range(D):
                s += W[i, j] * X[t, j]
            y[i] = s
        if rule == 0:
            for i in range(k):
                for j in range(D):
                    W[i, j] += eta * y[i] * X[t, j]
        else:
            for i in range(k):
                for j in range(D):
                    s = 0.0
                    for m in range(i + 1):
                        s += y[m] * W[m, j]
                    dW[i, j] = eta * y[i] * (X[t, j] - s)
            for i in range(k):
                for j in range(D):
                    W[i, j] += dW[i, j]
        if (t + 1) % record_every == 0:
            for i in range(k):
                for j in range(D):
                    out[rec, i, j] = W[i, j]
            rec += 1


def _hebb_numpy(W, X, eta, rule, record_every, out):
    """Plain numpy reference of :func:`_hebb_kernel`."""
    rec = 1
    for t in range(X.shape[0]):
        x = X[t]
        y = W @ x
        if rule == 0:
            W += eta * np.outer(y, x)
        else:
            W += eta * (np.outer(y, x) - np.tril(np.outer(y, y)) @ W)
        if (t + 1) % record_every == 0:
            out[rec] = W
            rec += 1


def _run_hebb(X, W0, eta, rule, record_every, backend, w_name="W0"):
    X = as_matrix(X, "X")
    W0 = as_matrix(W0, w_name, n_cols=X.shape[1])
    eta = check_positive(eta, "eta")
    record_every = check_int(record_every, "record_every", minimum=1)
    check_choice(backend, "backend", ("numba", "numpy"))
    n_rec = X.shape[0] // record_every
    out = np.empty((n_rec + 1,) + W0.shape)
    out[0] = W0
    W = W0.copy()
    with np.errstate(over="ignore", invalid="ignore"):
        (_hebb_kernel if backend == "numba" else _hebb_numpy)(W, X, eta, rule, record_every, out)
    return out


def hebbian(X, w0, eta, record_every=1, backend="numba"):
    r"""Plain Hebbian learning :math:`w_{t+1} = w_t + \eta\, y_t x_t`, :math:`y_t = w_t^\top x_t`.

    In the mean, :math:`\mathbb{E}[w_{t+1} | w_t] = (I + \eta C) w_t` with :math:`C = \mathbb{E}[x
    x^\top]`: the weight grows without bound, along the top eigenvector of :math:`C`, at rate

    .. math::

       \frac{1}{\eta}\,\frac{d}{dt} \ln \|w_t\| \to \lambda_{\max}(C) \quad (\eta \to 0),
       \qquad \tau \frac{d}{dt}\|w\|^2 = 2 (w^\top x)^2 .

    Source: the notes, "PCA Networks" (with the ERRATA correction of the norm's growth: the
    factor 2, and :math:`C = x x^\top` being the instantaneous outer product); Hebb (1949).

    Parameters
    ----------
    X : array_like, shape (T, D)
        The input stream, one sample per step.
    w0 : array_like, shape (D,) or (k, D)
        Initial weights (one neuron per row if 2-D).
    eta : float
        Learning rate (> 0).
    record_every : int
        Keep the weights every this many steps.
    backend : {"numba", "numpy"}

    Returns
    -------
    ndarray, shape (T // record_every + 1, D) or (..., k, D)
        The recorded trajectory, ``[0]`` being ``w0``. Values may reach inf: that is the
        divergence the rule is known for (the theorem, not an error). Once a weight has
        overflowed, entries that would be NaN (``inf - inf``) read ``inf``: a marker, never NaN.
    """
    try:
        w0a = np.asarray(w0)
    except ValueError as exc:  # ragged nested sequences
        raise ValueError(f"w0 must be a numeric vector or matrix: {exc}") from None
    one = w0a.ndim == 1
    W0 = as_vector(w0, "w0")[None, :] if one else as_matrix(w0, "w0")
    out = _run_hebb(X, W0, eta, 0, record_every, backend, "w0")
    np.copyto(out, np.inf, where=np.isnan(out))  # only after an overflow (X itself is finite)
    return out[:, 0, :] if one else out


def oja(X, w0, eta, record_every=1, backend="numba"):
    r"""Oja's rule :math:`\Delta w = \eta\, y (x - y w)`, :math:`y = w^\top x`.

    For a small enough learning rate :math:`w` converges to the unit-norm top eigenvector of the
    input covariance :math:`C = \mathbb{E}[x x^\top]` (up to sign): the :math:`-\eta y^2 w` term
    normalises the Hebbian growth.

    Source: E. Oja, "A simplified neuron model as a principal component analyzer", J. Math.
    Biology 15 (1982) 267-273; ERRATA 002. It is Sanger's rule with one output.

    Parameters
    ----------
    X : array_like, shape (T, D)
    w0 : array_like, shape (D,)
    eta, record_every, backend
        As in :func:`hebbian`.

    Returns
    -------
    ndarray, shape (T // record_every + 1, D)

    Raises
    ------
    ValueError
        Bad input, or ``eta`` so large that the weights overflow: the message names ``eta`` and
        the step at which the trajectory became non-finite (Oja's rule is stable for small
        ``eta``; its divergence is an error, unlike the Hebbian growth, which is the theorem).
    """
    W0 = as_vector(w0, "w0")[None, :]
    out = _run_hebb(X, W0, eta, 1, record_every, backend, "w0")[:, 0, :]
    check_not_diverged(out, name="eta", value=eta, what="Oja's rule",
                       record_every=record_every, data=("X", "w0"))
    return out


def sanger(X, W0, eta, record_every=1, backend="numba"):
    r"""Sanger's generalised Hebbian algorithm.

    .. math::

       \Delta W = \eta \big( y x^\top - \mathrm{LT}[y y^\top]\, W \big), \qquad y = W x,

    with :math:`\mathrm{LT}` the lower triangle including the diagonal. The rows of :math:`W`
    converge to the top-:math:`k` eigenvectors of :math:`C = \mathbb{E}[xx^\top]`, in order.

    Source: T. D. Sanger, "Optimal unsupervised learning in a single-layer linear feedforward
    neural network", Neural Networks 2 (1989) 459-473; ERRATA 002.

    Parameters
    ----------
    X : array_like, shape (T, D)
    W0 : array_like, shape (k, D)
    eta, record_every, backend
        As in :func:`hebbian`.

    Returns
    -------
    ndarray, shape (T // record_every + 1, k, D)

    Raises
    ------
    ValueError
        Bad input, or ``eta`` so large that the weights overflow (the message names ``eta`` and
        the step), as for :func:`oja`.
    """
    W0 = as_matrix(W0, "W0")
    if W0.shape[0] > W0.shape[1]:
        raise ValueError(f"W0 must have at most as many rows (outputs) as columns, got {W0.shape}")
    out = _run_hebb(X, W0, eta, 1, record_every, backend)
    check_not_diverged(out, name="eta", value=eta, what="Sanger's rule",
                       record_every=record_every, data=("X", "W0"))
    return out


def subspace_angles(W, V):
    r"""Angle (radians) between each row of ``W`` and the matching column of ``V``, sign-blind.

    .. math::

       \theta_i = \arccos \frac{|w_i^\top v_i|}{\|w_i\| \|v_i\|} \in [0, \pi/2]

    Parameters
    ----------
    W : array_like, shape (..., k, D)
        Weights (e.g. a trajectory from :func:`sanger`), or (..., D) for one neuron.
    V : array_like, shape (D, k) or (D,)
        Reference vectors in columns, e.g. eigenvectors from :func:`numpy.linalg.eigh`.

    Returns
    -------
    ndarray, shape (..., k) or (...)
    """
    # angles do not depend on the scale of W or V: exact power-of-2 rescale outside
    # [1e-100, 1e100] (their products overflowed near 1e154)
    W = pow2_rescale(_as_array(W, "W"))
    V = pow2_rescale(_as_array(V, "V"))
    one = V.ndim == 1
    if one:
        V = V[:, None]
        W = W[..., None, :]
    if V.ndim != 2 or W.ndim < 2 or W.shape[-1] != V.shape[0] or W.shape[-2] != V.shape[1]:
        raise ValueError(f"W of shape {W.shape} does not match V of shape {V.shape}")
    num = np.abs(np.einsum("...kd,dk->...k", W, V))
    if np.any(np.linalg.norm(V, axis=0) == 0):
        raise ValueError("V has a zero column: the angle to a zero vector is undefined")
    if np.any(np.linalg.norm(W, axis=-1) == 0):
        raise ValueError("W has a zero row: the angle to a zero vector is undefined")
    den = np.linalg.norm(W, axis=-1) * np.linalg.norm(V, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.clip(num / den, 0.0, 1.0)
    ang = np.arccos(c)
    return ang[..., 0] if one else ang


# ----------------------------------------------------------------------------------------------
# Deep linear network (Saxe, McClelland, Ganguli 2014)
# ----------------------------------------------------------------------------------------------


def _check_dln(Sigma31, Sigma11, W21, W32):
    Sigma31 = as_matrix(Sigma31, "Sigma31", max_abs=1e150)
    n_out, n_in = Sigma31.shape
    Sigma11 = as_matrix(Sigma11, "Sigma11", n_cols=n_in, max_abs=1e150)
    if Sigma11.shape[0] != n_in:
        raise ValueError(f"Sigma11 must be {n_in} x {n_in}, got {Sigma11.shape}")
    W21 = as_matrix(W21, "W21", n_cols=n_in, max_abs=1e100)  # products of three factors
    W32 = as_matrix(W32, "W32", n_cols=W21.shape[0], max_abs=1e100)
    if W32.shape[0] != n_out:
        raise ValueError(f"W32 must have {n_out} rows (outputs), got {W32.shape}")
    return Sigma31, Sigma11, W21, W32


def deep_linear_gradients(Sigma31, Sigma11, W21, W32):
    r"""Negative gradients of the two-layer linear network's MSE.

    With :math:`L = \frac1N \sum \|y - W_{32} W_{21} x\|^2`, :math:`\Sigma_{11} = \frac1N\sum x
    x^\top`, :math:`\Sigma_{31} = \frac1N \sum y x^\top`:

    .. math::

       -\frac{\partial L}{\partial W_{32}} = 2(\Sigma_{31} - W_{32}W_{21}\Sigma_{11})W_{21}^\top,
       \qquad
       -\frac{\partial L}{\partial W_{21}} = 2 W_{32}^\top(\Sigma_{31} - W_{32}W_{21}\Sigma_{11})

    Source: the notes, "Deep Linear Neural Networks", with the ERRATA fix (:math:`W_{32}^\top`,
    not :math:`\Sigma_{32}^\top`, in the second).

    Returns
    -------
    neg_grad_W21, neg_grad_W32 : ndarrays
    """
    Sigma31, Sigma11, W21, W32 = _check_dln(Sigma31, Sigma11, W21, W32)
    R = Sigma31 - W32 @ W21 @ Sigma11
    return 2.0 * W32.T @ R, 2.0 * R @ W21.T


def deep_linear_gd(Sigma31, Sigma11, W21, W32, eta, n_steps, record_every=1):
    r"""Full-batch gradient descent on the two-layer linear network.

    .. math::

       W_{21} \leftarrow W_{21} - \eta \frac{\partial L}{\partial W_{21}}, \qquad
       W_{32} \leftarrow W_{32} - \eta \frac{\partial L}{\partial W_{32}}

    (simultaneous update). With :math:`\tau\,\dot W = -\frac12 \partial L/\partial W`, the
    convention of Saxe et al. (2014), step :math:`k` is time :math:`t = 2\eta\tau k`.

    Parameters
    ----------
    Sigma31 : array_like, (n_out, n_in)
    Sigma11 : array_like, (n_in, n_in)
    W21 : array_like, (n_hidden, n_in)
    W32 : array_like, (n_out, n_hidden)
    eta : float
        Learning rate (> 0).
    n_steps : int
    record_every : int

    Returns
    -------
    products : ndarray, shape (n_steps // record_every + 1, n_out, n_in)
        :math:`W_{32} W_{21}` along the way.
    W21, W32 : final weights.

    Raises
    ------
    ValueError
        Bad input, or a diverging run (``eta`` too large, the products overflowing): the
        message names ``eta`` and the step.
    """
    Sigma31, Sigma11, W21, W32 = _check_dln(Sigma31, Sigma11, W21, W32)
    eta = check_positive(eta, "eta")
    n_steps = check_int(n_steps, "n_steps", minimum=1)
    record_every = check_int(record_every, "record_every", minimum=1)
    W21, W32 = W21.copy(), W32.copy()
    out = [W32 @ W21]
    for k in range(1, n_steps + 1):
        R = Sigma31 - W32 @ W21 @ Sigma11
        g21 = W32.T @ R
        g32 = R @ W21.T
        W21 += 2.0 * eta * g21
        W32 += 2.0 * eta * g32
        if k % record_every == 0:
            out.append(W32 @ W21)
    out = np.array(out)
    check_not_diverged(out, name="eta", value=eta, what="gradient descent on the deep linear "
                       "network", record_every=record_every,
                       data=("Sigma31", "Sigma11", "W21", "W32"))
    return out, W21, W32


def saxe_mode_strength(t, s, a0, tau=1.0):
    r"""Closed-form strength of one mode of a two-layer linear network (Saxe et al. 2014).

    For whitened inputs (:math:`\Sigma_{11} = I`), small balanced decoupled initial weights and
    learning rate :math:`1/\tau`, the strength :math:`a` of the mode of :math:`\Sigma_{31}` with
    singular value :math:`s` obeys :math:`\tau \dot a = 2a(s - a)`, so

    .. math::

       a(t) = \frac{s\, e^{2st/\tau}}{e^{2st/\tau} - 1 + s/a_0},

    a sigmoid that sits near :math:`a_0` for a time :math:`\approx \frac{\tau}{2s}\ln(s/a_0)`
    (the plateau) and then rises quickly to :math:`s`.

    Source: A. M. Saxe, J. L. McClelland, S. Ganguli, "Exact solutions to the nonlinear dynamics
    of learning in deep linear neural networks", ICLR 2014, eq. (7); ERRATA 002.

    Parameters
    ----------
    t : array_like
        Times (>= 0).
    s : float
        Singular value (> 0).
    a0 : float
        Initial strength (> 0; below ``s`` for the rising sigmoid).
    tau : float
        Time constant (> 0).

    Returns
    -------
    ndarray, shape of ``t``
    """
    t = _as_array(t, "t")
    if np.any(t < 0):
        raise ValueError("t must be non-negative")
    s = check_positive(s, "s")
    a0 = check_positive(a0, "a0")
    tau = check_positive(tau, "tau")
    # Divide through by e^{2st/tau} to avoid overflow for long times.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        em = np.exp(-2.0 * s * t / tau)
        out = s / (1.0 - em + (s / a0) * em)
    if not np.all(np.isfinite(out)):
        raise ValueError(f"s={s!r}, a0={a0!r} and t overflow the closed form (s / a0 or s t / "
                         "tau out of range)")
    return out


def mode_strengths(products, Sigma31):
    r"""Strengths :math:`a_\alpha = u_\alpha^\top W_{32}W_{21} v_\alpha` along the SVD of :math:`\Sigma_{31}`.

    Parameters
    ----------
    products : array_like, shape (T, n_out, n_in) or (n_out, n_in)
        Network maps :math:`W_{32}W_{21}` (e.g. from :func:`deep_linear_gd`).
    Sigma31 : array_like, (n_out, n_in)

    Returns
    -------
    a : ndarray, shape (T, r) or (r,)
        One column per singular value (descending).
    s : ndarray, shape (r,)
        The singular values of :math:`\Sigma_{31}`.
    """
    Sigma31 = as_matrix(Sigma31, "Sigma31", max_abs=1e150)
    P = _as_array(products, "products")
    if P.shape[-2:] != Sigma31.shape:
        raise ValueError(f"products must end in shape {Sigma31.shape}, got {P.shape}")
    U, s, Vt = np.linalg.svd(Sigma31, full_matrices=False)
    a = np.einsum("ia,...ij,aj->...a", U, P, Vt)
    return a, s


def decoupled_init(Sigma31, n_hidden, a0, random_state=None):
    r"""Balanced, decoupled initial weights with every mode at strength :math:`a_0`.

    .. math::

       W_{21}(0) = R\, \mathrm{diag}(\sqrt{a_0})\, V^\top, \qquad
       W_{32}(0) = U\, \mathrm{diag}(\sqrt{a_0})\, R^\top,

    with :math:`\Sigma_{31} = U S V^\top` and :math:`R` (n_hidden x r) with orthonormal columns
    drawn at random. Under gradient descent with :math:`\Sigma_{11} = I` the modes then stay
    decoupled and balanced, and each follows :func:`saxe_mode_strength` exactly in the
    continuous-time limit (Saxe et al. 2014, section 2).

    Parameters
    ----------
    Sigma31 : array_like, (n_out, n_in)
    n_hidden : int
        Hidden width (>= rank of Sigma31).
    a0 : float or array_like
        Initial strength per mode (> 0).
    random_state : int or numpy.random.Generator, optional

    Returns
    -------
    W21, W32 : ndarrays
    """
    Sigma31 = as_matrix(Sigma31, "Sigma31", max_abs=1e150)
    U, s, Vt = np.linalg.svd(Sigma31, full_matrices=False)
    r = s.shape[0]
    n_hidden = check_int(n_hidden, "n_hidden", minimum=r)
    a0 = np.broadcast_to(_as_array(a0, "a0"), (r,)).astype(np.float64)
    if np.any(a0 <= 0):
        raise ValueError("a0 must be positive")
    rng = as_rng(random_state)
    R, _ = np.linalg.qr(rng.standard_normal((n_hidden, r)))
    sq = np.sqrt(a0)
    return R @ (sq[:, None] * Vt), (U * sq[None, :]) @ R.T


# ----------------------------------------------------------------------------------------------
# Perceptron
# ----------------------------------------------------------------------------------------------


@dataclass
class PerceptronResult:
    """Outcome of :func:`perceptron`.

    Attributes
    ----------
    w : ndarray, shape (d,)
        Final weights.
    n_mistakes : int
        Total number of updates (mistakes) made.
    mistakes_per_epoch : ndarray
        Mistakes in each pass over the data.
    converged : bool
        Whether the last pass made no mistake.
    """

    w: np.ndarray
    n_mistakes: int
    mistakes_per_epoch: np.ndarray
    converged: bool


def _check_pm1(y, n):
    y = as_vector(y, "y", size=n)
    if not np.all(np.abs(y) == 1.0):
        raise ValueError("y must hold labels -1 and +1")
    return y


def perceptron(X, y, max_epochs=100, shuffle=True, random_state=None):
    r"""Rosenblatt's perceptron, counting mistakes.

    .. math::

       \hat y = \operatorname{sign}(w^\top x), \qquad
       w \leftarrow w + y_i x_i \quad \text{whenever } y_i\, w^\top x_i \le 0,

    from :math:`w = 0`, sweeping the data until a pass makes no mistake (or ``max_epochs``).
    No bias: append a constant feature to ``X`` for one.

    Source: the notes, "Nonlinear Models" (Rosenblatt 1958); the bound is Novikoff (1962), see
    :func:`novikoff_bound`.

    Parameters
    ----------
    X : array_like, shape (n, d)
    y : array_like, shape (n,)
        Labels in {-1, +1}.
    max_epochs : int
    shuffle : bool
        Visit the samples in a fresh random order each pass.
    random_state : int or numpy.random.Generator, optional

    Returns
    -------
    PerceptronResult
    """
    X = as_matrix(X, "X")
    y = _check_pm1(y, X.shape[0])
    max_epochs = check_int(max_epochs, "max_epochs", minimum=1)
    rng = as_rng(random_state)
    n, d = X.shape
    w = np.zeros(d)
    per_epoch = []
    for _ in range(max_epochs):
        order = rng.permutation(n) if shuffle else np.arange(n)
        m = 0
        for i in order:
            if y[i] * (X[i] @ w) <= 0.0:
                w += y[i] * X[i]
                m += 1
        per_epoch.append(m)
        if m == 0:
            break
    pe = np.array(per_epoch, dtype=np.int64)
    return PerceptronResult(w=w, n_mistakes=int(pe.sum()), mistakes_per_epoch=pe,
                            converged=bool(pe[-1] == 0))


def novikoff_bound(X, y, w_sep):
    r"""Novikoff's bound :math:`(R/\gamma)^2` on the perceptron's mistakes.

    .. math::

       R = \max_i \|x_i\|, \qquad
       \gamma = \min_i \frac{y_i\, w^\top x_i}{\|w\|} > 0, \qquad
       \#\text{mistakes} \le (R / \gamma)^2

    for any separating ``w_sep``; the best bound uses the maximum-margin separator.

    Source: A. B. J. Novikoff, "On convergence proofs on perceptrons", Symposium on the
    Mathematical Theory of Automata 12 (1962) 615-622; ERRATA 002.

    Parameters
    ----------
    X : array_like, shape (n, d)
    y : array_like, shape (n,)
    w_sep : array_like, shape (d,)
        A separating direction.

    Returns
    -------
    bound : float
    R : float
    gamma : float

    Raises
    ------
    ValueError
        If ``w_sep`` does not separate the data with positive margin.
    """
    X = as_matrix(X, "X", max_abs=1e150)  # R^2 / gamma^2 squares the norms
    y = _check_pm1(y, X.shape[0])
    w = as_vector(w_sep, "w_sep", size=X.shape[1], max_abs=1e150)
    nw = float(np.linalg.norm(w))
    if nw == 0.0:
        raise ValueError("w_sep must be non-zero")
    gamma = float(np.min(y * (X @ w)) / nw)
    if gamma <= 0:
        raise ValueError(f"w_sep does not separate the data X, y (margin {gamma:.3g} <= 0)")
    R = float(np.max(np.linalg.norm(X, axis=1)))
    return (R / gamma) ** 2, R, gamma


def separable_data(n, d, margin, random_state=None):
    r"""Linearly separable data with a known unit separator and margin.

    Draws :math:`x \sim N(0, I_d)`, keeps points with :math:`|w_*^\top x| \ge` ``margin`` for a
    random unit :math:`w_*`, and labels them :math:`\operatorname{sign}(w_*^\top x)`.

    Parameters
    ----------
    n, d : int
        Number of points (>= 1) and dimension (>= 1).
    margin : float
        Minimum distance to the hyperplane (>= 0).
    random_state : int or numpy.random.Generator, optional

    Returns
    -------
    X : ndarray, shape (n, d)
    y : ndarray, shape (n,)
    w_star : ndarray, shape (d,)
        Unit separator; :func:`novikoff_bound` with it gives a valid bound.
    """
    n = check_int(n, "n", minimum=1)
    d = check_int(d, "d", minimum=1)
    margin = check_nonnegative(margin, "margin")
    if margin > 3.0:
        raise ValueError(f"margin must be <= 3 (Gaussian data), got {margin}")
    rng = as_rng(random_state)
    w = rng.standard_normal(d)
    w /= np.linalg.norm(w)
    out = []
    got = 0
    while got < n:
        Z = rng.standard_normal((max(2 * n, 64), d))
        keep = Z[np.abs(Z @ w) >= margin]
        out.append(keep)
        got += keep.shape[0]
    X = np.concatenate(out)[:n]
    y = np.sign(X @ w)
    y[y == 0] = 1.0
    return X, y, w


# ----------------------------------------------------------------------------------------------
# Weight and node perturbation on a nonlinear multi-layer network (every layer at once)
# ----------------------------------------------------------------------------------------------


def _check_sample(x, y, weights, biases, activation):
    Ws, bs = _check_network(weights, biases)
    x = as_vector(x, "x", size=Ws[0].shape[1])
    y = as_vector(y, "y", size=Ws[-1].shape[0])
    check_choice(activation, "activation", _ACTIVATIONS)
    return x, y, Ws, bs


def _forward_batch(x, Ws, bs, activation, dW=None, db=None, gamma=None):
    """Forward pass of one input under a batch of perturbations; returns the final states (K, N^L).

    ``dW[l]`` (K, N^l, N^{l-1}) and ``db[l]`` (K, N^l) perturb the parameters (WP); ``gamma[l]``
    (K, N^l) perturbs the pre-activations (NP). The batch size K comes from whichever is given.
    """
    K = (dW[0] if dW is not None else gamma[0]).shape[0]
    h = np.broadcast_to(x, (K, x.size))
    for l, (W, b) in enumerate(zip(Ws, bs)):
        a = h @ W.T + b
        if dW is not None:
            a = a + np.einsum("kij,kj->ki", dW[l], h) + db[l]
        if gamma is not None:
            a = a + gamma[l]
        h = _act(a, activation)
    return h


def _sample_error(out, y):
    return 0.5 * np.sum((out - y) ** 2, axis=-1)


def _np_deltas(x, y, Ws, bs, activation, gamma=None):
    r""":math:`\partial E/\partial a^l` for one input, with ``gamma[l]`` added to :math:`a^l`."""
    hs, pre = [x], []
    for l, (W, b) in enumerate(zip(Ws, bs)):
        a = W @ hs[-1] + b + (gamma[l] if gamma is not None else 0.0)
        pre.append(a)
        hs.append(_act(a, activation))
    L = len(Ws)
    d = [None] * L
    d[L - 1] = _dact(pre[L - 1], activation) * (hs[L] - y)
    for l in range(L - 2, -1, -1):
        d[l] = _dact(pre[l], activation) * (Ws[l + 1].T @ d[l + 1])
    return d, hs


def mlp_sample_gradient(x, y, weights, biases, activation="tanh"):
    r"""Backprop gradient of :math:`E = \frac12\|x^L - y\|^2` for one input, flattened.

    In the order of :func:`flatten_params`; :math:`\partial E/\partial W^l = \delta^l
    (x^{l-1})^\top`, :math:`\partial E/\partial b^l = \delta^l` (the notes, "Backprop as Chain
    Derivative").
    """
    x, y, Ws, bs = _check_sample(x, y, weights, biases, activation)
    d, hs = _np_deltas(x, y, Ws, bs, activation)
    return flatten_params([np.outer(d[l], hs[l]) for l in range(len(Ws))], d)


def _draw_noise(method, Ws, n, rng):
    if method == "wp":
        dW = [rng.standard_normal((n,) + W.shape) for W in Ws]
        db = [rng.standard_normal((n, W.shape[0])) for W in Ws]
        return dW, db, None
    return None, None, [rng.standard_normal((n, W.shape[0])) for W in Ws]


def _scaled(noise, s):
    return None if noise is None else [s * a for a in noise]


def _flat_noise(method, dW, db, gamma, hs):
    """The direction each estimate multiplies, flattened like the parameters (K, P)."""
    parts = []
    for l in range(len(hs) - 1):
        if method == "wp":
            parts += [dW[l].reshape(dW[l].shape[0], -1), db[l]]
        else:  # NP: gamma^l_i x^{l-1}_j for the weights (clean input, ERRATA), gamma^l_i for b
            parts += [(gamma[l][:, :, None] * hs[l][None, None, :]).reshape(gamma[l].shape[0], -1),
                      gamma[l]]
    return np.concatenate(parts, axis=1)


def mlp_perturbation_estimates(x, y, weights, biases, sigma, n_draws, method="wp",
                               baseline=True, activation="tanh", random_state=None):
    r"""Single-draw WP or NP estimates of :math:`\nabla E` on a multi-layer network, all layers at once.

    One input :math:`x` with target :math:`y`, :math:`E = \frac12\|x^L - y\|^2` and
    :math:`x^l = f(W^l x^{l-1} + b^l)` (the notes, "Weight Perturbation"). Weight perturbation
    adds :math:`\Omega^l_{ij}, \gamma^l_i \sim N(0, \sigma^2)` to every weight and bias of every
    layer; node perturbation adds :math:`\gamma^l_i \sim N(0, \sigma^2)` to every unit's
    pre-activation, propagated through the layers above. With :math:`\tilde E` the perturbed
    error and :math:`b = E` (baseline) or 0 (the notes' raw form),

    .. math::

       \hat g_{\mathrm{WP}} = \frac{\tilde E - b}{\sigma^2}(\Omega, \gamma), \qquad
       \hat g_{\mathrm{NP}}(W^l_{ij}) = \frac{\tilde E - b}{\sigma^2}\gamma^l_i x^{l-1}_j, \quad
       \hat g_{\mathrm{NP}}(b^l_i) = \frac{\tilde E - b}{\sigma^2}\gamma^l_i,

    with the unperturbed :math:`x^{l-1}` (ERRATA 002: the layer's input). The notes derive
    :math:`\mathbb E\hat g \approx \nabla E` from a first-order expansion of :math:`\tilde E`; on
    a nonlinear network the third derivatives leave a bias of order :math:`\sigma^2`
    (:func:`perturbation_bias`).

    Returns
    -------
    ndarray, shape (n_draws, P)
        In the order of :func:`flatten_params`.
    """
    x, y, Ws, bs = _check_sample(x, y, weights, biases, activation)
    sigma = check_positive(sigma, "sigma", minimum=1e-150, maximum=1e150)  # sigma^2 formed
    n_draws = check_int(n_draws, "n_draws", minimum=1)
    check_choice(method, "method", ("wp", "np"))
    rng = as_rng(random_state)
    _, hs = _np_deltas(x, y, Ws, bs, activation)
    E = _sample_error(hs[-1], y)
    dW, db, gamma = _draw_noise(method, Ws, n_draws, rng)
    out = _forward_batch(x, Ws, bs, activation, _scaled(dW, sigma), _scaled(db, sigma),
                         _scaled(gamma, sigma))
    Et = _sample_error(out, y)
    coef = (Et - (E if baseline else 0.0)) / sigma
    return coef[:, None] * _flat_noise(method, dW, db, gamma, hs)


def perturbation_bias(x, y, weights, biases, sigma, n_draws, method="wp", activation="tanh",
                      random_state=None, chunk=4096):
    r"""The bias :math:`\mathbb E\hat g - \nabla E` of WP or NP, measured with low variance.

    The mean of the estimator of :func:`mlp_perturbation_estimates` is the same in both forms
    (the raw form adds :math:`E\,\mathbb E[\Omega]/\sigma^2 = 0`). Two exact identities make its
    Monte Carlo error small without changing that mean: with :math:`z` the standard normal noise
    (:math:`\Omega = \sigma z`), :math:`z` and :math:`-z` are equally likely (antithetic pairs),
    and :math:`\mathbb E[(g^\top z) z] = g` for the backprop gradient :math:`g` (in NP, the
    deltas :math:`\partial E/\partial a^l`; a control variate). So

    .. math::

       \mathbb E\hat g - \nabla E = \mathbb E\Big[\Big(\frac{\tilde E(\sigma z) -
       \tilde E(-\sigma z)}{2\sigma} - g^\top z\Big)\, v(z)\Big],

    with :math:`v(z)` the direction the estimate multiplies (``z`` for WP; :math:`z^l_i x^{l-1}_j`
    and :math:`z^l_i` for NP). The bracket is :math:`O(\sigma^2)` per draw (the odd Taylor terms
    beyond the first), so the relative error of the mean does not grow as :math:`\sigma \to 0`.
    For a quadratic :math:`E` (the linear student-teacher model) it is exactly zero.

    Returns
    -------
    dict
        ``bias`` (P,), ``bias_se`` (P,) standard errors, ``bias_norm`` (debiased
        :math:`\sqrt{\max(\|\bar r\|^2 - \mathrm{tr}\,\widehat{\mathrm{Cov}}/K, 0)}`),
        ``bias_norm_se``, ``grad`` (backprop), ``grad_norm``.
    """
    x, y, Ws, bs = _check_sample(x, y, weights, biases, activation)
    sigma = check_positive(sigma, "sigma", minimum=1e-150, maximum=1e150)  # sigma^2 formed
    n_draws = check_int(n_draws, "n_draws", minimum=2)
    chunk = check_int(chunk, "chunk", minimum=1)
    check_choice(method, "method", ("wp", "np"))
    rng = as_rng(random_state)
    d, hs = _np_deltas(x, y, Ws, bs, activation)
    grad = flatten_params([np.outer(d[l], hs[l]) for l in range(len(Ws))], d)
    # the gradient in the noise's own coordinates: all parameters (WP), all pre-activations (NP)
    g_noise = grad if method == "wp" else np.concatenate(d)
    P = grad.size
    s1 = np.zeros(P)
    s2 = np.zeros(P)
    done = 0
    while done < n_draws:
        k = min(chunk, n_draws - done)
        dW, db, gamma = _draw_noise(method, Ws, k, rng)
        plus = _sample_error(_forward_batch(x, Ws, bs, activation, _scaled(dW, sigma),
                                            _scaled(db, sigma), _scaled(gamma, sigma)), y)
        minus = _sample_error(_forward_batch(x, Ws, bs, activation, _scaled(dW, -sigma),
                                             _scaled(db, -sigma), _scaled(gamma, -sigma)), y)
        if method == "wp":
            z = _flat_noise("wp", dW, db, None, hs)
        else:
            z = np.concatenate(gamma, axis=1)
        coef = (plus - minus) / (2.0 * sigma) - z @ g_noise
        r = coef[:, None] * _flat_noise(method, dW, db, gamma, hs)
        s1 += r.sum(axis=0)
        s2 += (r * r).sum(axis=0)
        done += k
    mean = s1 / n_draws
    var = np.maximum(s2 / n_draws - mean**2, 0.0) * n_draws / (n_draws - 1)
    se = np.sqrt(var / n_draws)
    tr = float(np.sum(var)) / n_draws
    sq = float(mean @ mean)
    norm = math.sqrt(max(sq - tr, 0.0))
    # delta method: se of ||mean|| ~ sqrt(mean^T Cov mean) / ||mean|| (diagonal Cov estimate)
    norm_se = math.sqrt(float(np.sum(mean**2 * var)) / n_draws) / max(math.sqrt(sq), 1e-300)
    return {"bias": mean, "bias_se": se, "bias_norm": norm, "bias_norm_se": norm_se,
            "grad": grad, "grad_norm": float(np.linalg.norm(grad))}


def perturbation_bias_prediction(x, y, weights, biases, method="wp", activation="tanh",
                                 h=1e-3):
    r"""The leading term of the bias: :math:`\frac{\sigma^2}{2}\nabla(\Delta E)` per unit :math:`\sigma^2`.

    For Gaussian noise the fourth moments give :math:`\mathbb E[z_a z_b z_c z_d]`, so the cubic
    Taylor term of :math:`\tilde E` contributes
    :math:`\frac{\sigma^2}{2}\partial_a\sum_b\partial_b^2 E` to component :math:`a` of the mean
    estimate: half the gradient of the Laplacian of :math:`E` in the perturbed coordinates (all
    parameters for WP; all pre-activations for NP, then mapped to the weights by
    :math:`x^{l-1}`). The Laplacian's gradient is taken by central second differences of the
    backprop gradient, :math:`\sum_b [g(u + h e_b) - 2g(u) + g(u - h e_b)]/h^2` (error
    :math:`O(h^2)` plus rounding :math:`O(\epsilon/h^2)`; ``h = 1e-3`` balances them near 1e-6
    relative). Returns the vector :math:`c` with bias :math:`\approx c\,\sigma^2`.
    """
    x, y, Ws, bs = _check_sample(x, y, weights, biases, activation)
    h = check_positive(h, "h")
    check_choice(method, "method", ("wp", "np"))
    shapes = [W.shape for W in Ws]
    if method == "wp":
        theta = flatten_params(Ws, bs)

        def g(u):
            W2, b2 = unflatten_params(u, shapes)
            d, hs = _np_deltas(x, y, W2, b2, activation)
            return flatten_params([np.outer(d[l], hs[l]) for l in range(len(W2))], d)

        u0 = theta
    else:
        sizes = [W.shape[0] for W in Ws]
        cuts = np.cumsum(sizes)[:-1]

        def g(u):
            d, _ = _np_deltas(x, y, Ws, bs, activation, gamma=np.split(u, cuts))
            return np.concatenate(d)

        u0 = np.zeros(sum(sizes))
    g0 = g(u0)
    lap_grad = np.zeros_like(g0)
    for b in range(u0.size):
        e = np.zeros_like(u0)
        e[b] = h
        lap_grad += (g(u0 + e) - 2.0 * g0 + g(u0 - e)) / h**2
    c = 0.5 * lap_grad
    if method == "wp":
        return c
    _, hs = _np_deltas(x, y, Ws, bs, activation)
    parts = np.split(c, cuts)
    return flatten_params([np.outer(parts[l], hs[l]) for l in range(len(Ws))], parts)
