"""Hebbian, Oja (1982) and Sanger (1989) rules, with the numba kernel and its numpy reference."""

from __future__ import annotations

import numpy as np
from numba import njit

from kernelnet._validation import (
    as_matrix,
    as_vector,
    check_choice,
    check_int,
    check_positive,
    check_not_diverged,
    pow2_rescale,
)
from kernelnet.learning_rules._common import _as_array


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
