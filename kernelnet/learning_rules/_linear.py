"""The linear neuron (normal equations, gradient descent) and the two-layer deep linear network."""

from __future__ import annotations

import numpy as np

from kernelnet._validation import (
    as_rng,
    as_matrix,
    as_vector,
    check_int,
    check_positive,
    check_not_diverged,
)
from kernelnet.learning_rules._common import _as_array


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
