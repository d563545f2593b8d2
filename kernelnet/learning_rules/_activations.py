"""The logistic sigmoid, the hyperbolic tangent and the equivalent one-hidden-layer networks.

Also the elementwise activations (and their derivatives) that the multi-layer networks of
:mod:`kernelnet.learning_rules._backprop` and :mod:`kernelnet.learning_rules._perturbation` use.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from kernelnet._validation import (
    as_matrix,
    as_vector,
    check_choice,
)
from kernelnet.learning_rules._common import _as_array


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
# The activations of the multi-layer networks (backprop and perturbation)
# ----------------------------------------------------------------------------------------------


_ACTIVATIONS = ("tanh", "sigmoid", "linear")


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
