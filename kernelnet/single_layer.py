r"""Single-layer neural networks: matrix-free Jacobians, cross-entropy, Gauss-Newton.

Notation of the lecture "Single-layer neural networks" (seed ``001_08710a6a2880a4ce.txt``):
data :math:`Y \in \mathbb{R}^{n_f \times n}` (one example per column), labels
:math:`C \in \mathbb{R}^{n_c \times n}`, weights :math:`K \in \mathbb{R}^{m \times n_f}`, bias
:math:`b`, hidden features and prediction

.. math::

   Z = \sigma(K Y + b) \in \mathbb{R}^{m \times n}, \qquad S = W Z, \quad
   W \in \mathbb{R}^{n_c \times m}.

``vec`` stacks columns (column-major, as MATLAB's ``(:)``) and ``mat`` undoes it.

**The bias.** The seed writes :math:`b \in \mathbb{R}^m` on the universal-approximation slide but
a scalar :math:`b` everywhere else, and its inverse crime uses the scalar ``btrue = .1``
(ERRATA 001). kernelnet supports both: a Python/NumPy scalar (or a 0-d array) is one bias
broadcast over all hidden units, a length-:math:`m` vector is one bias per unit. The parameter
vector of :class:`SingleLayerProblem` is :math:`x = [\mathrm{vec}(K); b; \mathrm{vec}(W)]` with
``b`` of length 1 (``bias="scalar"``, the seed's choice and the default) or :math:`m`
(``bias="vector"``).

**Jacobians.** No Jacobian is ever formed. With :math:`D = \sigma'(KY + b)` (an :math:`m \times n`
matrix) and the identity :math:`\mathrm{vec}(AXB) = (B^\top \otimes A)\mathrm{vec}(X)`,

.. math::

   \begin{aligned}
   J_K v &= \mathrm{vec}(D \odot (\mathrm{mat}(v)\, Y)), &
   J_K^\top u &= \mathrm{vec}((D \odot \mathrm{mat}(u))\, Y^\top), \\
   J_Y v &= \mathrm{vec}(D \odot (K\, \mathrm{mat}(v))), &
   J_Y^\top u &= \mathrm{vec}(K^\top (D \odot \mathrm{mat}(u))), \\
   J_b v &= \mathrm{vec}(D)\, v \;\;(\text{scalar } b), &
   J_b^\top u &= \mathbf{1}^\top (D \odot \mathrm{mat}(u))\, \mathbf{1}, \\
   J_b v &= \mathrm{vec}(D \odot (v \mathbf{1}^\top)) \;\;(b \in \mathbb{R}^m), &
   J_b^\top u &= (D \odot \mathrm{mat}(u))\, \mathbf{1},
   \end{aligned}

(slide "Computing Jacobians" and "Class Problems"; the transpose is read with the elementwise
product first, ERRATA 001). Internally the code stores :math:`Z^\top` and :math:`D^\top` in
row-major order, whose flat layout is exactly the column-major :math:`\mathrm{vec}(Z)`, so every
mat-vec is one BLAS product plus one elementwise product and costs :math:`\mathcal{O}(m n_f n)`
time and :math:`\mathcal{O}(mn)` memory, against :math:`\mathcal{O}(m^2 n_f n^2)` entries for a
dense :math:`J_K`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg
import scipy.optimize
from scipy.sparse.linalg import LinearOperator, cg
from kernelnet._threads import limit_threads
from kernelnet._validation import (
    as_matrix,
    as_rng,
    as_vector,
    check_choice,
    check_int,
    check_nonnegative,
    check_positive,
)

__all__ = [
    "ACTIVATIONS",
    "activation_function",
    "SingleLayer",
    "single_layer",
    "cross_entropy",
    "SingleLayerProblem",
    "pack",
    "unpack",
    "single_layer_objective",
    "OptimizationHistory",
    "gauss_newton",
    "gradient_descent",
    "lbfgs",
    "RandomFeatures",
    "random_features",
    "inverse_crime_data",
    "HESSIAN_KINDS",
    "hessian_operator",
    "dense_hessian",
    "softmax_shift_basis",
]

ACTIVATIONS = ("tanh", "relu", "identity")


def activation_function(A: np.ndarray, activation: str):
    r"""Return :math:`\sigma(A)` and :math:`\sigma'(A)` elementwise.

    .. math::

       \tanh'(a) = 1 - \tanh^2(a), \qquad
       \mathrm{relu}(a) = \max(a, 0),\; \mathrm{relu}'(a) = [a > 0], \qquad
       \mathrm{id}'(a) = 1 .

    ReLU's derivative at the kink is taken as 0. The identity is the linear model of the slide
    "Illustrating Nonlinear Models". Source: seed 001, slide "Choosing Nonlinear Model".
    """
    check_choice(activation, "activation", ACTIVATIONS)
    try:
        A = np.asarray(A, dtype=np.float64)  # no copy for a float64 array
    except (TypeError, ValueError) as exc:
        raise ValueError(f"A must be a numeric array, got {type(A).__name__}: {exc}") from None
    if not np.all(np.isfinite(A)):
        raise ValueError("A contains non-finite value(s) (NaN or inf)")
    if activation == "tanh":
        Z = np.tanh(A)
        return Z, 1.0 - Z * Z
    if activation == "relu":
        pos = A > 0
        return np.where(pos, A, 0.0), pos.astype(np.float64)
    return A.copy(), np.ones_like(A)


def _check_bias(b, m: int) -> tuple[np.ndarray, str]:
    """Return the bias as an array broadcastable against (n, m) and its kind."""
    try:
        if isinstance(b, (str, bytes)) or b is None:
            raise TypeError("not numeric")
        arr = np.asarray(b, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"b must be a number or a length-{m} vector, got {b!r}") from None
    if arr.ndim == 0 or (arr.ndim == 1 and arr.shape[0] == 1 and m != 1):
        if not np.isfinite(arr).all():
            raise ValueError("b contains non-finite value(s) (NaN or inf)")
        return arr.reshape(()), "scalar"
    vec = as_vector(arr, "b", size=m)
    return vec, "vector"


def _vec_arg(v, size: int, name: str) -> np.ndarray:
    arr = np.asarray(v, dtype=np.float64)
    if arr.shape not in ((size,), (size, 1)):
        raise ValueError(f"{name} must be a vector of length {size} (vec ordering), got shape {arr.shape}")
    arr = np.ascontiguousarray(arr.reshape(-1))
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains non-finite value(s) (NaN or inf)")
    return arr


@dataclass
class SingleLayer:
    r"""A single layer :math:`Z = \sigma(KY + b)` and its six matrix-free Jacobian mat-vecs.

    Built by :func:`single_layer`. ``Z`` is :math:`m \times n`. The operators act on flat
    vectors in the column-major ``vec`` ordering of the seed:

    ========  =====================  ==========================
    method    input length           output length
    ========  =====================  ==========================
    ``JK``    :math:`m n_f`          :math:`mn`
    ``JKt``   :math:`mn`             :math:`m n_f`
    ``Jb``    1 or :math:`m`         :math:`mn`
    ``Jbt``   :math:`mn`             1 or :math:`m`
    ``JY``    :math:`n_f n`          :math:`mn`
    ``JYt``   :math:`mn`             :math:`n_f n`
    ========  =====================  ==========================

    Formulas in the module docstring (seed 001, slides "Computing Jacobians" and "Class
    Problems: Derivatives of Single Layer"; ERRATA 001 for the order in :math:`J_K^\top u`).
    """

    K: np.ndarray
    b: np.ndarray
    Y: np.ndarray
    activation: str
    bias: str
    Zt: np.ndarray = field(repr=False)
    Dt: np.ndarray = field(repr=False)

    @property
    def Z(self) -> np.ndarray:
        """Hidden features :math:`\\sigma(KY+b)`, shape ``(m, n)`` (a view of ``Zt``)."""
        return self.Zt.T

    @property
    def dsigma(self) -> np.ndarray:
        """:math:`\\sigma'(KY + b)`, shape ``(m, n)``."""
        return self.Dt.T

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(m, n_f, n)``."""
        return self.K.shape[0], self.K.shape[1], self.Y.shape[1]

    @property
    def n_bias(self) -> int:
        return 1 if self.bias == "scalar" else self.K.shape[0]

    # -- K -------------------------------------------------------------------------------
    def JK(self, v) -> np.ndarray:
        r""":math:`J_K v = \mathrm{vec}(D \odot (\mathrm{mat}(v) Y))`."""
        m, nf, n = self.shape
        v = _vec_arg(v, m * nf, "v")
        # mat(v)^T is the row-major reshape (nf, m); (mat(v) Y)^T = Y^T mat(v)^T.
        return (self.Dt * (self.Y.T @ v.reshape(nf, m))).reshape(-1)

    def JKt(self, u) -> np.ndarray:
        r""":math:`J_K^\top u = \mathrm{vec}((D \odot \mathrm{mat}(u)) Y^\top)`."""
        m, nf, n = self.shape
        u = _vec_arg(u, m * n, "u")
        G_t = self.Dt * u.reshape(n, m)
        return (self.Y @ G_t).reshape(-1)  # = ((D o U) Y^T)^T, row-major = vec

    # -- b -------------------------------------------------------------------------------
    def Jb(self, v) -> np.ndarray:
        r""":math:`J_b v = \mathrm{vec}(D \odot (v \mathbf{1}^\top))` (scalar: :math:`\mathrm{vec}(D) v`)."""
        v = _vec_arg(v, self.n_bias, "v")
        if self.bias == "scalar":
            return (self.Dt * v[0]).reshape(-1)
        return (self.Dt * v[None, :]).reshape(-1)

    def Jbt(self, u) -> np.ndarray:
        r""":math:`J_b^\top u = (D \odot \mathrm{mat}(u)) \mathbf{1}` (scalar: summed over units too)."""
        m, nf, n = self.shape
        u = _vec_arg(u, m * n, "u")
        g = (self.Dt * u.reshape(n, m)).sum(axis=0)
        return np.array([g.sum()]) if self.bias == "scalar" else g

    # -- Y -------------------------------------------------------------------------------
    def JY(self, v) -> np.ndarray:
        r""":math:`J_Y v = \mathrm{vec}(D \odot (K \mathrm{mat}(v)))`."""
        m, nf, n = self.shape
        v = _vec_arg(v, nf * n, "v")
        return (self.Dt * (v.reshape(n, nf) @ self.K.T)).reshape(-1)

    def JYt(self, u) -> np.ndarray:
        r""":math:`J_Y^\top u = \mathrm{vec}(K^\top (D \odot \mathrm{mat}(u)))`."""
        m, nf, n = self.shape
        u = _vec_arg(u, m * n, "u")
        return ((self.Dt * u.reshape(n, m)) @ self.K).reshape(-1)

    def operator(self, wrt: str) -> LinearOperator:
        """The Jacobian with respect to ``wrt`` ('K', 'b' or 'Y') as a scipy ``LinearOperator``."""
        check_choice(wrt, "wrt", ("K", "b", "Y"))
        m, nf, n = self.shape
        n_in = {"K": m * nf, "b": self.n_bias, "Y": nf * n}[wrt]
        fwd = {"K": self.JK, "b": self.Jb, "Y": self.JY}[wrt]
        adj = {"K": self.JKt, "b": self.Jbt, "Y": self.JYt}[wrt]
        return LinearOperator((m * n, n_in), matvec=fwd, rmatvec=adj, dtype=np.float64)


def single_layer(K, b, Y, activation: str = "tanh") -> SingleLayer:
    r"""Evaluate :math:`Z = \sigma(KY + b)` and return it with its Jacobian mat-vecs.

    .. math::

       Z = \sigma(K Y + b), \qquad
       J_K v = \mathrm{vec}(\sigma'(KY+b) \odot (\mathrm{mat}(v) Y)), \qquad
       J_K^\top u = \mathrm{vec}((\sigma'(KY+b) \odot \mathrm{mat}(u)) Y^\top)

    and likewise for :math:`b` and :math:`Y` (module docstring). Source: seed
    ``001_08710a6a2880a4ce.txt``, slides "Computing Jacobians" and "Class Problems: Derivatives
    of Single Layer" (the MATLAB ``singleLayer(K,b,Y)``); ERRATA 001 for the transpose.

    Parameters
    ----------
    K : array_like, shape (m, n_f)
    b : float or array_like of shape (m,)
        Scalar bias broadcast over the hidden units (the seed's inverse crime) or one bias per
        unit.
    Y : array_like, shape (n_f, n)
        Data, one example per column.
    activation : {'tanh', 'relu', 'identity'}

    Returns
    -------
    SingleLayer
        ``.Z`` (m, n) and the methods ``JK, JKt, Jb, Jbt, JY, JYt``.

    Raises
    ------
    ValueError
        If ``K`` or ``Y`` is not a finite matrix, their inner sizes differ, ``b`` is neither a
        scalar nor of length m, or ``activation`` is unknown.

    Examples
    --------
    >>> import numpy as np
    >>> L = single_layer(np.ones((3, 2)), 0.1, np.zeros((2, 4)))
    >>> L.Z.shape, L.JKt(np.ones(12)).shape
    ((3, 4), (6,))
    """
    check_choice(activation, "activation", ACTIVATIONS)
    K = as_matrix(K, "K")
    Y = as_matrix(Y, "Y")
    if Y.shape[0] != K.shape[1]:
        raise ValueError(
            f"Y must have K.shape[1] = {K.shape[1]} rows (features), got shape {Y.shape}"
        )
    bb, kind = _check_bias(b, K.shape[0])
    At = Y.T @ K.T  # (n, m): row-major layout of A^T is the column-major vec(A)
    At += bb if kind == "scalar" else bb[None, :]
    Zt, Dt = activation_function(At, activation)
    return SingleLayer(K=K, b=bb, Y=Y, activation=activation, bias=kind,
                       Zt=np.ascontiguousarray(Zt), Dt=np.ascontiguousarray(Dt))


def _softmax_columns(S: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column softmax P and log-sum-exp per column, shifted by the column max (no overflow)."""
    smax = S.max(axis=0)
    E = np.exp(S - smax[None, :])
    tot = E.sum(axis=0)
    return E / tot[None, :], smax + np.log(tot)


def cross_entropy(S, C):
    r"""Softmax cross-entropy of scores ``S`` against labels ``C``, its gradient and Hessian mat-vec.

    .. math::

       E(S) = \frac{1}{n} \sum_{j=1}^n \Big[(\mathbf{1}^\top c_j)
       \log \sum_{i} e^{s_{ij}} - c_j^\top s_j\Big], \qquad
       \nabla_S E = \frac{1}{n}\big(P\,\mathrm{diag}(\mathbf{1}^\top C) - C\big),

    .. math::

       \nabla_S^2 E[V]_j = \frac{\mathbf{1}^\top c_j}{n}\big(p_j \odot v_j - p_j (p_j^\top v_j)\big),

    with :math:`P` the column softmax of :math:`S`. For columns of :math:`C` that sum to one
    (one-hot or probabilities, as the seed's ``Cobs``) this is the usual mean cross-entropy
    :math:`-\frac1n\sum_j c_j^\top \log p_j`. Source: seed 001, slides "Non-Convexity" and
    "Putting Things Together" (the loss :math:`E(S, C)` with :math:`S = WZ`).

    Parameters
    ----------
    S : array_like, shape (n_c, n)
    C : array_like, shape (n_c, n), non-negative

    Returns
    -------
    E : float
    grad : ndarray, shape (n_c, n)
    hess : callable
        ``hess(V)`` applies :math:`\nabla_S^2 E` to an ``(n_c, n)`` array.
    """
    S = as_matrix(S, "S", max_abs=1e150)  # C * S and the softmax's sums are formed
    C = as_matrix(C, "C", max_abs=1e150)
    if C.shape != S.shape:
        raise ValueError(f"C must have the shape of S {S.shape}, got {C.shape}")
    if np.any(C < 0):
        raise ValueError("C must be non-negative (class probabilities or one-hot labels)")
    n = S.shape[1]
    P, lse = _softmax_columns(S)
    w = C.sum(axis=0) / n
    E = float(w @ lse - np.sum(C * S) / n)
    grad = P * w[None, :] - C / n

    def hess(V):
        V = np.asarray(V, dtype=np.float64).reshape(S.shape)
        PV = P * V
        return w[None, :] * (PV - P * PV.sum(axis=0)[None, :])

    return E, grad, hess


def pack(K, b, W) -> np.ndarray:
    r"""Parameter vector :math:`x` (column-major vec).

    .. math::

       x = [\mathrm{vec}(K); b; \mathrm{vec}(W)] \in \mathbb{R}^{m n_f + n_b + n_c m},
       \quad n_b \in \{1, m\}

    Source: seed 001, slide "Putting Things Together" (``x = [K(:); b; W(:)]``).
    """
    K = as_matrix(K, "K")
    W = as_matrix(W, "W")
    if W.shape[1] != K.shape[0]:
        raise ValueError(f"W must have K.shape[0] = {K.shape[0]} columns, got shape {W.shape}")
    bb, _ = _check_bias(b, K.shape[0])
    return np.concatenate([K.ravel(order="F"), np.atleast_1d(bb).ravel(), W.ravel(order="F")])


def unpack(x, n_f: int, m: int, n_c: int, bias: str = "scalar"):
    """Inverse of :func:`pack`: return ``K (m, n_f)``, ``b`` (float or (m,)) and ``W (n_c, m)``."""
    n_f = check_int(n_f, "n_f", minimum=1)
    m = check_int(m, "m", minimum=1)
    n_c = check_int(n_c, "n_c", minimum=1)
    check_choice(bias, "bias", ("scalar", "vector"))
    nb = 1 if bias == "scalar" else m
    x = as_vector(x, "x", size=m * n_f + nb + n_c * m)
    K = x[: m * n_f].reshape(m, n_f, order="F")
    b = float(x[m * n_f]) if bias == "scalar" else x[m * n_f: m * n_f + m].copy()
    W = x[m * n_f + nb:].reshape(n_c, m, order="F")
    return np.ascontiguousarray(K), b, np.ascontiguousarray(W)


class SingleLayerProblem:
    r"""The training problem :math:`\min_{K,b,W} E(W\sigma(KY+b), C) + \frac{\lambda}{2}\|x\|^2`.

    Evaluates the loss, its gradient by the seed's chain rule and the block-diagonal
    Gauss-Newton Hessian, and counts the work in *mat-vecs*: one unit is one product costing
    :math:`\mathcal{O}(m n_f n)`, i.e. the forward :math:`KY` or one :math:`J_K v`,
    :math:`J_K^\top u` (the :math:`W`, :math:`b` products cost a factor :math:`n_c/n_f` less and
    are not counted).

    Gradient (seed 001, "Putting Things Together", with ERRATA 001 for :math:`\nabla_W`):

    With :math:`\nabla_S E` from :func:`cross_entropy`,

    .. math::

       \nabla_Z E = W^\top \nabla_S E, \quad
       \nabla_K E = J_K^\top \nabla_Z E, \quad
       \nabla_b E = J_b^\top \nabla_Z E, \quad
       \nabla_W E = \nabla_S E\, Z^\top .

    Hessian approximation (seed 001, slide "Gauss-Newton Method"): full Hessian in :math:`W`,
    Gauss-Newton in :math:`K` and :math:`b`, coupling between the three blocks ignored,

    .. math::

       H = \mathrm{blkdiag}\big(J_K^\top W^\top \nabla^2_S E\, W J_K,\;
       J_b^\top W^\top \nabla^2_S E\, W J_b,\;
       (Z \otimes I)\nabla^2_S E\,(Z^\top \otimes I)\big) + \lambda I .

    Parameters
    ----------
    Y : array_like, shape (n_f, n)
    C : array_like, shape (n_c, n), non-negative
    m : int
        Hidden units.
    activation : {'tanh', 'relu', 'identity'}
    bias : {'scalar', 'vector'}
        Length of :math:`b` in :math:`x` (1 as in the seed, or m).
    reg : float
        :math:`\lambda \ge 0`.
    """

    def __init__(self, Y, C, m: int, *, activation: str = "tanh", bias: str = "scalar",
                 reg: float = 0.0):
        self.Y = as_matrix(Y, "Y")
        self.C = as_matrix(C, "C")
        if self.C.shape[1] != self.Y.shape[1]:
            raise ValueError(
                f"C must have as many columns (examples) as Y ({self.Y.shape[1]}), "
                f"got shape {self.C.shape}"
            )
        if np.any(self.C < 0):
            raise ValueError("C must be non-negative (class probabilities or one-hot labels)")
        self.m = check_int(m, "m", minimum=1)
        self.activation = check_choice(activation, "activation", ACTIVATIONS)
        self.bias = check_choice(bias, "bias", ("scalar", "vector"))
        self.reg = check_nonnegative(reg, "reg")
        self.n_f, self.n = self.Y.shape
        self.n_c = self.C.shape[0]
        self.n_bias = 1 if self.bias == "scalar" else self.m
        self.size = self.m * self.n_f + self.n_bias + self.n_c * self.m
        self.matvecs = 0

    def unpack(self, x):
        return unpack(x, self.n_f, self.m, self.n_c, self.bias)

    def _layer(self, x):
        K, b, W = self.unpack(x)
        self.matvecs += 1
        return single_layer(K, b, self.Y, self.activation), W

    def loss(self, x) -> float:
        """:math:`E(x)` (one mat-vec)."""
        x = as_vector(x, "x", size=self.size)
        L, W = self._layer(x)
        E, _, _ = cross_entropy(W @ L.Z, self.C)
        return E + 0.5 * self.reg * float(x @ x)

    def loss_and_gradient(self, x):
        """:math:`E(x)` and :math:`\\nabla E(x)` by the chain rule (two mat-vecs)."""
        E, g, _ = self._evaluate(x, hessian=False)
        return E, g

    def _evaluate(self, x, hessian: bool):
        x = as_vector(x, "x", size=self.size)
        L, W = self._layer(x)
        Z = L.Z
        E, gS, hS = cross_entropy(W @ Z, self.C)
        gZ = W.T @ gS  # (m, n)
        gZ_vec = gZ.ravel(order="F")
        gK = L.JKt(gZ_vec)
        self.matvecs += 1
        gb = L.Jbt(gZ_vec)
        gW = (gS @ Z.T).ravel(order="F")  # ERRATA 001: grad_S E Z^T, not grad_S E Y
        g = np.concatenate([gK, gb, gW]) + self.reg * x
        E = E + 0.5 * self.reg * float(x @ x)
        if not hessian:
            return E, g, None
        m, nf, nc, nb = self.m, self.n_f, self.n_c, self.n_bias
        n = self.n
        reg = self.reg

        def hv(v):
            v = np.asarray(v, dtype=np.float64).reshape(-1)
            vK, vb, vW = v[: m * nf], v[m * nf: m * nf + nb], v[m * nf + nb:]
            # K block, Gauss-Newton: J_K^T W^T H_S W J_K v  (two counted mat-vecs)
            dZ = L.JK(vK).reshape(n, m).T
            hK = L.JKt((W.T @ hS(W @ dZ)).ravel(order="F"))
            self.matvecs += 2
            dZb = L.Jb(vb).reshape(n, m).T
            hb = L.Jbt((W.T @ hS(W @ dZb)).ravel(order="F"))
            # W block, exact: S is linear in W
            VW = vW.reshape(nc, m, order="F")
            hW = (hS(VW @ Z) @ Z.T).ravel(order="F")
            return np.concatenate([hK, hb, hW]) + reg * v

        H = LinearOperator((self.size, self.size), matvec=hv, rmatvec=hv, dtype=np.float64)
        return E, g, H

    def loss_gradient_hessian(self, x):
        """:math:`E`, :math:`\\nabla E` and the block Gauss-Newton Hessian as a ``LinearOperator``."""
        return self._evaluate(x, hessian=True)

    def initial_guess(self, random_state=None) -> np.ndarray:
        r"""Random start: :math:`K_{ij} \sim N(0, 1/n_f)`, :math:`W_{ij} \sim N(0, 1/m)`, :math:`b = 0`."""
        rng = as_rng(random_state)
        K = rng.standard_normal((self.m, self.n_f)) / math.sqrt(self.n_f)
        W = rng.standard_normal((self.n_c, self.m)) / math.sqrt(self.m)
        b = 0.0 if self.bias == "scalar" else np.zeros(self.m)
        return pack(K, b, W)


def single_layer_objective(x, Y, C, m: int, *, activation: str = "tanh", bias: str = "scalar",
                           reg: float = 0.0):
    r"""Loss and gradient at :math:`x = [\mathrm{vec}(K); b; \mathrm{vec}(W)]`.

    The seed's ``[Ec, dE] = singleLayerNNObjFun(x, Y, C, m)`` (seed 001, "Putting Things
    Together"); see :class:`SingleLayerProblem` for the formulas.

    .. math::

       E(K, b, W) = E(W\sigma(KY + b), C) + \tfrac{\lambda}{2}\|x\|^2
    """
    prob = SingleLayerProblem(Y, C, m, activation=activation, bias=bias, reg=reg)
    return prob.loss_and_gradient(x)


@dataclass
class OptimizationHistory:
    """Per-iteration record of an optimiser run.

    ``loss[k]``, ``matvecs[k]``, ``time[k]`` are the loss, the cumulative work in mat-vecs (see
    :class:`SingleLayerProblem`) and the wall time after ``k`` iterations (``k = 0``: start).
    """

    method: str
    x: np.ndarray
    loss: np.ndarray
    matvecs: np.ndarray
    time: np.ndarray
    grad_norm: np.ndarray
    iterations: int
    message: str = ""


def _armijo(prob, x, E, g, p, t0, max_halvings=30, c1=1e-4):
    slope = float(g @ p)
    t = t0
    for _ in range(max_halvings):
        Et = prob.loss(x + t * p)
        if Et <= E + c1 * t * slope:
            return t, Et
        t *= 0.5
    return 0.0, E


def _check_solver_args(prob, x0, max_iter):
    if not isinstance(prob, SingleLayerProblem):
        raise ValueError(f"problem must be a SingleLayerProblem, got {type(prob).__name__}")
    x0 = as_vector(x0, "x0", size=prob.size)
    max_iter = check_int(max_iter, "max_iter", minimum=0)
    return x0.copy(), max_iter


def _record(hist, problem, E, g, t0):
    """Append one iteration (loss, work so far, time, gradient norm) to a solver history."""
    hist["loss"].append(E)
    hist["matvecs"].append(problem.matvecs)
    hist["time"].append(time.perf_counter() - t0)
    hist["grad_norm"].append(np.linalg.norm(g))


def _history(method, x, hist, msg):
    """Freeze a solver's per-iteration lists into an :class:`OptimizationHistory`."""
    return OptimizationHistory(method, x, *(np.asarray(hist[k]) for k in
                               ("loss", "matvecs", "time", "grad_norm")),
                               iterations=len(hist["loss"]) - 1, message=msg)


def gauss_newton(problem: SingleLayerProblem, x0, *, max_iter: int = 20, cg_maxiter: int = 10,
                 cg_rtol: float = 1e-2, damping: float = 0.0, hessian: str = "block",
                 blas_threads: int | None = 1) -> OptimizationHistory:
    r"""Gauss-Newton-CG with an Armijo line search.

    Each iteration solves :math:`(H + \delta I) p = -\nabla E` approximately by at most
    ``cg_maxiter`` conjugate-gradient steps (``scipy.sparse.linalg.cg`` on a
    ``LinearOperator``; :math:`H` from :meth:`SingleLayerProblem.loss_gradient_hessian`) and
    steps :math:`x \leftarrow x + t p` with the largest :math:`t \in \{1, 1/2, \dots\}`
    satisfying :math:`E(x + tp) \le E(x) + 10^{-4} t \nabla E^\top p`. Source: seed 001, slide
    "Gauss-Newton Method" (full Hessian for W, Gauss-Newton for K and b, coupling ignored).

    Parameters
    ----------
    problem : SingleLayerProblem
    x0 : array_like
        Start (length ``problem.size``).
    max_iter : int
    cg_maxiter : int
        CG iterations per Gauss-Newton step (each costs two counted mat-vecs).
    cg_rtol : float
        Relative residual at which CG stops early.
    damping : float
        :math:`\delta \ge 0` added to the Hessian.
    hessian : {"block", "gauss-newton", "exact"}
        The curvature matrix of :func:`hessian_operator`: the slide's block-diagonal
        Gauss-Newton (default), the coupled Gauss-Newton :math:`J^\top H_S J`, or the exact
        Hessian (Newton-CG; a CG direction that is not a descent direction falls back to
        :math:`-\nabla E`). Each product costs two counted mat-vecs (three for ``"exact"``).
    blas_threads : int or None
        BLAS threads during the run (``threadpoolctl``); None leaves them alone. The default 1
        suits these small products: numpy and scipy each bundle an OpenBLAS whose idle threads
        spin against each other, which slowed L-BFGS 25x on the 2-core machine.

    Returns
    -------
    OptimizationHistory
    """
    with _blas(blas_threads):
        return _gauss_newton(problem, x0, max_iter=max_iter, cg_maxiter=cg_maxiter,
                             cg_rtol=cg_rtol, damping=damping, hessian=hessian)


def _blas(threads):
    return limit_threads(None if threads is None else check_int(threads, "blas_threads", minimum=1))


def _counted_hessian(problem, x, kind):
    """Loss, gradient and the ``kind`` curvature operator, its products counted as mat-vecs."""
    if kind == "block":
        return problem.loss_gradient_hessian(x)
    E, g = problem.loss_and_gradient(x)
    op = hessian_operator(problem, x, kind)
    cost = 3 if kind == "exact" else 2

    def hv(v):
        problem.matvecs += cost
        return op.matvec(v)

    return E, g, LinearOperator(op.shape, matvec=hv, rmatvec=hv, dtype=np.float64)


def _gauss_newton(problem, x0, *, max_iter, cg_maxiter, cg_rtol, damping, hessian="block"):
    x, max_iter = _check_solver_args(problem, x0, max_iter)
    cg_maxiter = check_int(cg_maxiter, "cg_maxiter", minimum=1)
    cg_rtol = check_positive(cg_rtol, "cg_rtol")
    damping = check_nonnegative(damping, "damping")
    check_choice(hessian, "hessian", HESSIAN_KINDS)
    problem.matvecs = 0
    t0 = time.perf_counter()
    E, g, H = _counted_hessian(problem, x, hessian)
    hist = dict(loss=[E], matvecs=[problem.matvecs], time=[0.0], grad_norm=[np.linalg.norm(g)])
    msg = "max_iter reached"
    for _ in range(max_iter):
        op = H
        if damping > 0:
            op = LinearOperator(H.shape, matvec=lambda v: H.matvec(v) + damping * v,
                                dtype=np.float64)
        p, _ = cg(op, -g, rtol=cg_rtol, atol=0.0, maxiter=cg_maxiter)
        if not np.all(np.isfinite(p)) or float(g @ p) >= 0:
            p = -g  # not a descent direction (cannot happen for an spd H): fall back to -g
        t, _ = _armijo(problem, x, E, g, p, 1.0)
        if t == 0.0:
            msg = "line search failed"
            break
        x = x + t * p
        E, g, H = _counted_hessian(problem, x, hessian)
        _record(hist, problem, E, g, t0)
    name = {"block": "Gauss-Newton-CG", "gauss-newton": "coupled Gauss-Newton-CG",
            "exact": "Newton-CG"}[hessian]
    return _history(name, x, hist, msg)


def gradient_descent(problem: SingleLayerProblem, x0, *, max_iter: int = 20,
                     step: float = 1.0, blas_threads: int | None = 1) -> OptimizationHistory:
    r"""Steepest descent :math:`x \leftarrow x - t \nabla E(x)` with an Armijo line search.

    The trial step starts at twice the last accepted one (initially ``step``) and is halved
    until :math:`E(x - t\nabla E) \le E(x) - 10^{-4} t \|\nabla E\|^2`. Baseline of seed 001,
    slide "Training the Neural Network" ("standard gradient based methods").

    .. math::

       x_{k+1} = x_k - t_k \nabla E(x_k)

    ``blas_threads`` as in :func:`gauss_newton`.
    """
    with _blas(blas_threads):
        return _gradient_descent(problem, x0, max_iter=max_iter, step=step)


def _gradient_descent(problem, x0, *, max_iter, step):
    x, max_iter = _check_solver_args(problem, x0, max_iter)
    t_trial = check_positive(step, "step")
    problem.matvecs = 0
    t0 = time.perf_counter()
    E, g = problem.loss_and_gradient(x)
    hist = dict(loss=[E], matvecs=[problem.matvecs], time=[0.0], grad_norm=[np.linalg.norm(g)])
    msg = "max_iter reached"
    for _ in range(max_iter):
        t, _ = _armijo(problem, x, E, g, -g, t_trial)
        if t == 0.0:
            msg = "line search failed"
            break
        x = x - t * g
        t_trial = 2.0 * t
        E, g = problem.loss_and_gradient(x)
        _record(hist, problem, E, g, t0)
    return _history("gradient descent", x, hist, msg)


def lbfgs(problem: SingleLayerProblem, x0, *, max_iter: int = 20,
          memory: int = 10, blas_threads: int | None = 1) -> OptimizationHistory:
    r"""L-BFGS baseline (``scipy.optimize.minimize(method="L-BFGS-B")``, no bounds).

    Quasi-Newton: the inverse Hessian is approximated from the last ``memory`` pairs
    :math:`(s_k, y_k) = (x_{k+1} - x_k, \nabla E_{k+1} - \nabla E_k)`, with
    :math:`H_{k+1} s_k = y_k`. Each function evaluation counts two mat-vecs (loss and gradient).
    ``blas_threads`` as in :func:`gauss_newton`.

    .. math::

       x_{k+1} = x_k - t_k H_k \nabla E(x_k)
    """
    with _blas(blas_threads):
        return _lbfgs(problem, x0, max_iter=max_iter, memory=memory)


def _lbfgs(problem, x0, *, max_iter, memory):
    x, max_iter = _check_solver_args(problem, x0, max_iter)
    memory = check_int(memory, "memory", minimum=1)
    problem.matvecs = 0
    t0 = time.perf_counter()
    E, g = problem.loss_and_gradient(x)
    hist = dict(loss=[E], matvecs=[problem.matvecs], time=[0.0], grad_norm=[np.linalg.norm(g)],
                x=x)

    last = {}

    def fg(z):
        E, g = problem.loss_and_gradient(z)
        last["x"], last["g"] = np.array(z), g
        return E, g

    def cb(intermediate_result):
        xk = np.asarray(intermediate_result.x)
        hist["loss"].append(float(intermediate_result.fun))
        hist["matvecs"].append(problem.matvecs)
        hist["time"].append(time.perf_counter() - t0)
        # the accepted point is normally the last one evaluated; NaN if it is not
        same = "x" in last and np.array_equal(last["x"], xk)
        hist["grad_norm"].append(float(np.linalg.norm(last["g"])) if same else np.nan)
        hist["x"] = np.array(xk)

    if max_iter > 0:
        res = scipy.optimize.minimize(fg, x, jac=True, method="L-BFGS-B",
                                      callback=cb,
                                      options=dict(maxiter=max_iter, maxcor=memory, ftol=0.0,
                                                   gtol=0.0, maxfun=50 * max_iter + 100))
        msg = str(res.message)
        hist["x"] = np.asarray(res.x) if len(hist["loss"]) - 1 == res.nit else hist["x"]
    else:
        msg = "max_iter reached"
    return OptimizationHistory("L-BFGS", hist["x"], *(np.asarray(hist[k]) for k in
                               ("loss", "matvecs", "time", "grad_norm")),
                               iterations=len(hist["loss"]) - 1, message=msg)


@dataclass
class RandomFeatures:
    r"""A fitted random-features model (extreme learning machine) :math:`W\sigma(KY + b)`."""

    K: np.ndarray
    b: np.ndarray
    W: np.ndarray
    activation: str
    reg: float

    def features(self, Y) -> np.ndarray:
        """:math:`\\sigma(KY + b)`, shape (m, n)."""
        return single_layer(self.K, self.b, Y, self.activation).Z

    def predict(self, Y) -> np.ndarray:
        """:math:`W\\sigma(KY + b)`, shape (n_c, n)."""
        return self.W @ self.features(Y)


def random_features(Y, C, m: int, *, activation: str = "tanh", reg: float = 1e-8,
                    scale: float = 1.0, bias_scale: float = 1.0,
                    random_state=None) -> RandomFeatures:
    r"""Random :math:`K, b` and :math:`W` by regularised least squares (extreme learning machine).

    :math:`K_{ij} \sim N(0, \mathrm{scale}^2)`, :math:`b_i \sim N(0, \mathrm{bias\_scale}^2)`
    (one bias per unit), :math:`Z = \sigma(KY+b)` and

    .. math::

       W = \arg\min_W \|W Z - C\|_F^2 + \lambda \|W\|_F^2 = C Z^\top (Z Z^\top + \lambda I)^{-1}.

    Source: seed 001, slide "First Experiment: Random Transformation" (``EELM_Peaks.m``).

    Parameters
    ----------
    Y : array_like, shape (n_f, n)
    C : array_like, shape (n_c, n)
        Targets (regression values or one-hot labels).
    m : int
        Number of random features.
    activation : {'tanh', 'relu', 'identity'}
    reg : float
        :math:`\lambda \ge 0`; 0 uses a minimum-norm least-squares solve.
    scale, bias_scale : float
        Standard deviations of :math:`K` and :math:`b` (``bias_scale`` may be 0).
    random_state : int or Generator, optional
    """
    Y = as_matrix(Y, "Y")
    try:
        one_row = np.ndim(C) == 1
    except ValueError as exc:  # ragged nested sequences
        raise ValueError(f"C must be a numeric array: {exc}") from None
    C = as_matrix(C, "C", allow_1d=False) if not one_row else as_matrix(np.asarray(C)[None, :], "C")
    if C.shape[1] != Y.shape[1]:
        raise ValueError(f"C must have {Y.shape[1]} columns (examples), got shape {C.shape}")
    m = check_int(m, "m", minimum=1)
    check_choice(activation, "activation", ACTIVATIONS)
    reg = check_nonnegative(reg, "reg")
    scale = check_positive(scale, "scale")
    bias_scale = check_nonnegative(bias_scale, "bias_scale")
    rng = as_rng(random_state)
    K = scale * rng.standard_normal((m, Y.shape[0]))
    b = bias_scale * rng.standard_normal(m)
    Z = single_layer(K, b, Y, activation).Z
    if reg > 0:
        G = Z @ Z.T
        G[np.diag_indices_from(G)] += reg
        W = scipy.linalg.solve(G, Z @ C.T, assume_a="pos").T
    else:
        W = np.linalg.lstsq(Z.T, C.T, rcond=None)[0].T
    return RandomFeatures(K=K, b=b, W=np.ascontiguousarray(W), activation=activation, reg=reg)


def inverse_crime_data(n: int = 500, n_f: int = 50, n_c: int = 10, m: int = 40, b: float = 0.1,
                       *, activation: str = "tanh", random_state=None):
    r"""The seed's inverse crime: labels generated by the model itself.

    .. math::

       C^{\mathrm{obs}} = \mathrm{softmax}\big(W_{\mathrm{true}}\,\sigma(K_{\mathrm{true}} Y
       + b_{\mathrm{true}})\big), \quad W, K, Y \text{ standard normal}, \; b_{\mathrm{true}} = 0.1.

    Source: seed 001, slide "Test Problem" (``n = 500; nf = 50; nc = 10; m = 40; btrue = .1``).

    Returns
    -------
    dict with ``Y (n_f, n)``, ``C (n_c, n)``, ``K``, ``b``, ``W``.
    """
    n = check_int(n, "n", minimum=1)
    n_f = check_int(n_f, "n_f", minimum=1)
    n_c = check_int(n_c, "n_c", minimum=2)
    m = check_int(m, "m", minimum=1)
    if isinstance(b, bool) or not np.isscalar(b) or not np.isfinite(b):
        raise ValueError(f"b must be a finite number, got {b!r}")
    rng = as_rng(random_state)
    W = rng.standard_normal((n_c, m))
    K = rng.standard_normal((m, n_f))
    Y = rng.standard_normal((n_f, n))
    Z = single_layer(K, float(b), Y, activation).Z
    P, _ = _softmax_columns(W @ Z)
    return dict(Y=Y, C=P, K=K, b=float(b), W=W)


# --------------------------------------------------------------------------------------------
# Hessians: the block Gauss-Newton of the slide, the coupled Gauss-Newton, the exact Hessian
# --------------------------------------------------------------------------------------------
HESSIAN_KINDS = ("block", "gauss-newton", "exact")


def _second_derivative(Z, D, activation):
    """:math:`\\sigma''(A)` from :math:`Z = \\sigma(A)`, :math:`D = \\sigma'(A)` (ReLU: 0 a.e.)."""
    if activation == "tanh":
        return -2.0 * Z * D
    return np.zeros_like(Z)


def hessian_operator(problem: SingleLayerProblem, x, kind: str = "exact") -> LinearOperator:
    r"""A curvature matrix of :math:`E(x)` at ``x`` as a matrix-free ``LinearOperator``.

    With :math:`S(x) = W\sigma(KY + b)`, its Jacobian :math:`J = [J_K^S, J_b^S, J_W^S]`
    (:math:`J^S_K = (I\otimes W) J_K`, :math:`J^S_W v = \mathrm{vec}(\mathrm{mat}(v) Z)`) and
    :math:`H_S = \nabla^2_S E` (block diagonal over examples, from :func:`cross_entropy`):

    .. math::

       H_{\mathrm{exact}} = J^\top H_S J + \sum_{ij} [\nabla_S E]_{ij}\,\nabla^2_x S_{ij}
       + \lambda I, \qquad
       H_{\mathrm{GN}} = J^\top H_S J + \lambda I, \qquad
       H_{\mathrm{block}} = \mathrm{blkdiag}\big(J_K^{S\top} H_S J_K^S,\,
       J_b^{S\top} H_S J_b^S,\, J_W^{S\top} H_S J_W^S\big) + \lambda I .

    ``kind="block"`` is the slide's approximation ("do the same for b and use full Hessian for
    W: ignore coupling", seed 001, "Gauss-Newton Method"; the operator
    :meth:`SingleLayerProblem.loss_gradient_hessian` uses); ``"gauss-newton"`` keeps the
    coupling between the blocks; ``"exact"`` adds the second term the slide neglects,

    .. math::

       \Big(\sum_{ij} [G]_{ij} \nabla^2 S_{ij}\Big) v =
       \big[\mathrm{vec}(Q Y^\top);\; \textstyle\sum Q;\; \mathrm{vec}(G\, (D \odot dA)^\top)\big],
       \quad Q = \sigma''(A)\odot dA \odot (W^\top G) + D \odot (\mathrm{mat}(v_W)^\top G),

    with :math:`G = \nabla_S E`, :math:`A = KY + b`, :math:`dA = \mathrm{mat}(v_K) Y + v_b`.
    At an exact fit (:math:`G = 0`, the inverse crime's truth) the exact Hessian equals the
    Gauss-Newton matrix. Every product is :math:`\mathcal{O}(m n_f n)`; none is counted in
    ``problem.matvecs``.
    """
    if not isinstance(problem, SingleLayerProblem):
        raise ValueError(f"problem must be a SingleLayerProblem, got {type(problem).__name__}")
    check_choice(kind, "kind", HESSIAN_KINDS)
    x = as_vector(x, "x", size=problem.size)
    K, b, W = problem.unpack(x)
    L = single_layer(K, b, problem.Y, problem.activation)
    Z, D, Y = L.Z, L.dsigma, problem.Y
    _, G, hS = cross_entropy(W @ Z, problem.C)
    WtG = W.T @ G
    D2 = _second_derivative(Z, D, problem.activation)
    m, nf, nc, nb = problem.m, problem.n_f, problem.n_c, problem.n_bias
    scalar = problem.bias == "scalar"
    reg = problem.reg

    def split(v):
        vK = v[: m * nf].reshape(m, nf, order="F")
        vb = v[m * nf: m * nf + nb]
        vW = v[m * nf + nb:].reshape(nc, m, order="F")
        return vK, vb, vW

    def dA_of(vK, vb):
        return vK @ Y + (vb[0] if scalar else vb[:, None])

    def JT(U, only=None):
        gZ = W.T @ U
        q = D * gZ
        gK = (q @ Y.T).ravel(order="F")
        gb = np.array([q.sum()]) if scalar else q.sum(axis=1)
        gW = (U @ Z.T).ravel(order="F")
        if only == "K":
            return gK
        if only == "b":
            return gb
        if only == "W":
            return gW
        return np.concatenate([gK, gb, gW])

    def hv(v):
        v = np.asarray(v, dtype=np.float64).reshape(-1)
        vK, vb, vW = split(v)
        zK = np.zeros_like(vK)
        zb = np.zeros_like(vb)
        if kind == "block":
            dSK = W @ (D * dA_of(vK, zb))
            dSb = W @ (D * dA_of(zK, vb))
            dSW = vW @ Z
            out = np.concatenate([JT(hS(dSK), "K"), JT(hS(dSb), "b"), JT(hS(dSW), "W")])
            return out + reg * v
        dA = dA_of(vK, vb)
        dZ = D * dA
        out = JT(hS(W @ dZ + vW @ Z))
        if kind == "exact":
            Q = D2 * dA * WtG + D * (vW.T @ G)
            out = out + np.concatenate([(Q @ Y.T).ravel(order="F"),
                                        np.array([Q.sum()]) if scalar else Q.sum(axis=1),
                                        (G @ dZ.T).ravel(order="F")])
        return out + reg * v

    return LinearOperator((problem.size, problem.size), matvec=hv, rmatvec=hv,
                          dtype=np.float64)


def dense_hessian(problem: SingleLayerProblem, x, kind: str = "exact") -> np.ndarray:
    """The matrix of :func:`hessian_operator`, column by column (symmetrised; small problems).

    Costs ``problem.size`` products of :math:`\\mathcal{O}(m n_f n)`; the result is
    ``problem.size`` squared floats.
    """
    op = hessian_operator(problem, x, kind)
    n = problem.size
    H = np.empty((n, n))
    e = np.zeros(n)
    for j in range(n):
        e[j] = 1.0
        H[:, j] = op.matvec(e)
        e[j] = 0.0
    return 0.5 * (H + H.T)


def softmax_shift_basis(problem: SingleLayerProblem) -> np.ndarray:
    r"""Orthonormal basis of the directions :math:`W \to W + \mathbf{1}a^\top` in :math:`x`.

    :math:`\mathrm{softmax}((W + \mathbf{1}a^\top)Z) = \mathrm{softmax}(WZ)` for every
    :math:`a \in \mathbb{R}^m`, so the loss is constant along these :math:`m` directions and
    every curvature matrix of :func:`hessian_operator` (without regularisation) maps them to
    zero. Returns a ``(problem.size, m)`` array with orthonormal columns.
    """
    if not isinstance(problem, SingleLayerProblem):
        raise ValueError(f"problem must be a SingleLayerProblem, got {type(problem).__name__}")
    m, nf, nc, nb = problem.m, problem.n_f, problem.n_c, problem.n_bias
    B = np.zeros((problem.size, m))
    for a in range(m):
        dW = np.zeros((nc, m))
        dW[:, a] = 1.0 / math.sqrt(nc)
        B[m * nf + nb:, a] = dW.ravel(order="F")
    return B
