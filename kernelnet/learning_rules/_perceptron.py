"""Rosenblatt's perceptron, the Novikoff (1962) mistake bound and separable data."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kernelnet._validation import (
    as_rng,
    as_matrix,
    as_vector,
    check_int,
    check_nonnegative,
)


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
