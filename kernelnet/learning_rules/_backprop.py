"""Multi-layer network, backprop, and backprop as constrained optimisation (LeCun 1988)."""

from __future__ import annotations

import numpy as np

from kernelnet._validation import (
    as_matrix,
    as_vector,
    check_choice,
    check_same_rows,
)
from kernelnet.learning_rules._activations import _ACTIVATIONS, _act, _dact


# ----------------------------------------------------------------------------------------------
# Multilayer network, backprop, and backprop as constrained optimisation (LeCun 1988)
# ----------------------------------------------------------------------------------------------


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
