r"""One-hidden-layer ReLU networks: the extended feature matrix, the ReLU kernel, diversity.

Setting of the talk "Diverse neural network learns true target" (Xie, Liang and Song, AISTATS
2017; seed ``003_2356c7d61985ef5f.txt``, slide "Problem setting"): inputs on the unit sphere
:math:`\lVert x\rVert_2 = 1`, :math:`n` hidden ReLU units with first-layer weights
:math:`w_k \in \mathbb{R}^d` (rows of ``W``, shape ``(n, d)``) and fixed output signs
:math:`v_k \in \{+1, -1\}`,

.. math::

    f(x) = \sum_{k=1}^n v_k\, \sigma(w_k^\top x), \qquad \sigma(u) = \max\{0, u\}, \qquad
    L(W) = \frac{1}{2m} \sum_{l=1}^m (y_l - f(x_l))^2 .

Conventions used throughout the module:

- :math:`\sigma'(0) = 0` (a unit is active only when :math:`w_k^\top x > 0`).
- The residual is :math:`r = (f(X) - y)/m` (the slide "Structure of the gradient" folds the
  :math:`1/m` into the residual vector), so that :math:`\partial L / \partial W = D r` exactly.
- The extended feature matrix :math:`D \in \mathbb{R}^{nd \times m}` has block row :math:`k`
  (rows ``k*d:(k+1)*d``) and column :math:`l` equal to :math:`v_k \sigma'(w_k^\top x_l) x_l`.
  ERRATA (003): the gradient is :math:`D r` (an :math:`nd`-vector, returned reshaped to
  ``(n, d)`` like ``W``), not :math:`D^\top r`.
- ``k(x, y) = 1/2 - arccos<x, y>/(2 pi)`` is read on directions, i.e. with the angle between
  ``x`` and ``y``: it equals half the order-0 arc-cosine kernel :math:`k_0/2` of Cho and Saul
  (``DEFINITIONS.md``, "Elsewhere"), which is what :func:`kernelnet.kernels.relu_kernel` returns;
  on unit vectors it is the talk's formula.

The gradient-flow part (Du, Zhai, Poczos and Singh 2018, "Gradient descent provably optimizes
over-parameterized neural networks") uses *their* normalisation, stated in :func:`gradient_flow`.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np
from numba import njit, prange
from scipy.spatial.distance import cdist
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
    "UNIT_NORM_ATOL",
    "sample_sphere",
    "init_weights",
    "forward",
    "residual",
    "loss",
    "extended_feature_matrix",
    "d_matvec",
    "d_rmatvec",
    "loss_gradient",
    "relu_gram",
    "relu_gram_mc",
    "empirical_gram",
    "min_singular_value_D",
    "weight_kernel",
    "expected_k_squared",
    "weight_discrepancy",
    "diversity_regulariser",
    "diversity_regulariser_grad",
    "harmonic_eigenvalues",
    "gamma_sequence",
    "harmonic_blocks",
    "activation_kernel_distance_mc",
    "train_gd_final",
    "TrainResult",
    "train_gd",
    "FlowResult",
    "gradient_flow",
]

#: Tolerance on | ||x|| - 1 | for inputs that must lie on the unit sphere. Data normalised in
#: float64 has norms within a few eps (~1e-15) of 1; 1e-6 also admits data normalised in float32
#: (relative error ~6e-8 per entry, ~1e-7 on the norm) while rejecting any unnormalised input.
UNIT_NORM_ATOL = 1e-6

#: Largest dense D (entries) that :func:`extended_feature_matrix` will build: 5e7 doubles = 400 MB.
MAX_DENSE_ENTRIES = 50_000_000

# Below this sine of the angle two weight vectors are treated as parallel in the regulariser
# gradient (see :func:`diversity_regulariser_grad`): the unit tangent (w_j - c w_i)/s carries a
# relative rounding error ~ eps/s, so 1e-8 keeps it accurate to ~2e-8 where it is used.
_PARALLEL_SINE = 1e-8


# ---------------------------------------------------------------------------------------------
# input checks
# ---------------------------------------------------------------------------------------------


def _unit_rows(X, name="X", *, min_rows=1):
    X = as_matrix(X, name, min_rows=min_rows)
    norms = np.sqrt(np.einsum("ij,ij->i", X, X))
    bad = np.abs(norms - 1.0) > UNIT_NORM_ATOL
    if np.any(bad):
        i = int(np.argmax(bad))
        raise ValueError(
            f"{name} rows must have unit norm (the talk's ||x||_2 = 1); row {i} has norm "
            f"{norms[i]:.6g} ({int(bad.sum())} row(s) off by more than {UNIT_NORM_ATOL:g})"
        )
    return X


_NO_V = object()  # sentinel: the caller has no output weights (v=None is a bad value)


def _weights(W, v, d=None, *, min_units=1, w_name="W", v_name="v"):
    W = as_matrix(W, w_name, min_rows=min_units)
    if d is not None and W.shape[1] != d:
        raise ValueError(f"{w_name} must have {d} columns (the input dimension of X), got shape "
                         f"{W.shape}")
    big = float(np.max(np.abs(W)))
    if big >= 1e150:
        raise ValueError(f"{w_name} has entries of magnitude >= 1e150: inner products overflow")
    if v is _NO_V:
        return W, None
    if v is None:
        raise ValueError(f"{v_name} must be a vector of output weights, got None")
    v = as_vector(v, v_name, size=W.shape[0], max_abs=1e150)
    return W, v


def _signs(v, name="v"):
    if not np.all(np.abs(v) == 1.0):
        raise ValueError(f"{name} must hold output signs +1 or -1 (the talk's v_k ~ {{+-1}})")
    return v


# ---------------------------------------------------------------------------------------------
# data and initialisation
# ---------------------------------------------------------------------------------------------


def sample_sphere(m, d, *, random_state=None):
    r"""``m`` points drawn uniformly from the unit sphere :math:`S^{d-1} \subset \mathbb{R}^d`.

    .. math:: x = g / \lVert g \rVert, \qquad g \sim N(0, I_d)

    (the Gaussian is rotation invariant, so its direction is uniform; Muller 1959).

    Parameters
    ----------
    m : int
        Number of points (>= 1).
    d : int
        Ambient dimension (>= 2).
    random_state : int, numpy.random.Generator or None

    Returns
    -------
    X : ndarray, shape (m, d)
    """
    m = check_int(m, "m", minimum=1)
    d = check_int(d, "d", minimum=2)
    g = as_rng(random_state).standard_normal((m, d))
    return g / np.linalg.norm(g, axis=1, keepdims=True)


def init_weights(n, d, *, scale=1.0, random_state=None):
    r"""Random first-layer weights and output signs, as in the talk and Du et al.

    .. math:: w_k \sim N(0, \mathrm{scale}^2 I_d), \qquad v_k \sim \mathrm{Uniform}\{+1, -1\}

    Parameters
    ----------
    n : int
        Hidden units (>= 2).
    d : int
        Input dimension (>= 2).
    scale : float
        Standard deviation of each weight entry (> 0).
    random_state : int, numpy.random.Generator or None

    Returns
    -------
    W : ndarray, shape (n, d)
    v : ndarray, shape (n,)
    """
    n = check_int(n, "n", minimum=2)
    d = check_int(d, "d", minimum=2)
    scale = check_positive(scale, "scale")
    rng = as_rng(random_state)
    W = scale * rng.standard_normal((n, d))
    v = rng.choice(np.array([-1.0, 1.0]), size=n)
    return W, v


# ---------------------------------------------------------------------------------------------
# network, loss, residual
# ---------------------------------------------------------------------------------------------


def forward(W, v, X, *, scale=1.0):
    r"""Network output :math:`f(x_l) = \mathrm{scale} \sum_k v_k \sigma(w_k^\top x_l)`.

    ``scale = 1`` is the talk's network; ``scale = 1/sqrt(n)`` is Du et al.'s.

    Parameters
    ----------
    W : array_like, shape (n, d)
    v : array_like, shape (n,)
    X : array_like, shape (m, d)
    scale : float

    Returns
    -------
    f : ndarray, shape (m,)
    """
    X = as_matrix(X, "X", max_abs=1e150)
    W, v = _weights(W, v, X.shape[1])
    scale = check_positive(scale, "scale")
    return scale * (np.maximum(X @ W.T, 0.0) @ v)


def _targets(y, m):
    return as_vector(y, "y", size=m, max_abs=1e150)  # the loss squares the residual


def residual(W, v, X, y):
    r"""The talk's residual :math:`r_l = (f(x_l) - y_l)/m`, so that :math:`\nabla_W L = D r`.

    Source: seed 003, slide "Structure of the gradient".

    Returns
    -------
    r : ndarray, shape (m,)
    """
    X = as_matrix(X, "X", max_abs=1e150)
    y = _targets(y, X.shape[0])
    return (forward(W, v, X) - y) / X.shape[0]


def loss(W, v, X, y):
    r"""Least-squares loss :math:`L = \frac{1}{2m} \sum_l (y_l - f(x_l))^2` (seed 003).

    Returns
    -------
    float
    """
    X = as_matrix(X, "X", max_abs=1e150)
    y = _targets(y, X.shape[0])
    e = forward(W, v, X) - y
    return 0.5 * float(e @ e) / X.shape[0]


# ---------------------------------------------------------------------------------------------
# extended feature matrix D and its products
# ---------------------------------------------------------------------------------------------


def extended_feature_matrix(W, v, X):
    r"""The dense extended feature matrix :math:`D \in \mathbb{R}^{nd \times m}`.

    .. math::

        D = \begin{pmatrix} v_1 \sigma'(w_1^\top x_1) x_1 & \cdots & v_1 \sigma'(w_1^\top x_m) x_m \\
        \vdots & & \vdots \\
        v_n \sigma'(w_n^\top x_1) x_1 & \cdots & v_n \sigma'(w_n^\top x_m) x_m \end{pmatrix}

    Source: seed 003, slide "Structure of the gradient" (Xie et al. 2017, eq. 3). Block row
    :math:`k` is rows ``k*d:(k+1)*d``, so ``(D @ r).reshape(n, d)`` is the gradient
    (:func:`d_matvec`). For large sizes use the matrix-free :func:`d_matvec`.

    Parameters
    ----------
    W : array_like, shape (n, d)
    v : array_like, shape (n,)
        Output signs (+1 / -1).
    X : array_like, shape (m, d)
        Inputs with unit-norm rows.

    Returns
    -------
    D : ndarray, shape (n*d, m)

    Raises
    ------
    ValueError
        Bad shapes, non-unit rows of ``X``, signs not +-1, or ``n*d*m`` above
        ``MAX_DENSE_ENTRIES`` (5e7 entries, 400 MB).
    """
    X = _unit_rows(X)
    W, v = _weights(W, v, X.shape[1])
    v = _signs(v)
    n, d = W.shape
    m = X.shape[0]
    if n * d * m > MAX_DENSE_ENTRIES:
        raise ValueError(
            f"W, X: dense D would have n*d*m = {n * d * m} entries (> {MAX_DENSE_ENTRIES}); "
            "use d_matvec / d_rmatvec (matrix-free)"
        )
    S = (W @ X.T > 0.0).astype(np.float64) * v[:, None]  # (n, m): v_k sigma'(w_k^T x_l)
    # D[k*d + j, l] = S[k, l] * X[l, j]
    D = S[:, None, :] * X.T[None, :, :]
    return np.ascontiguousarray(D.reshape(n * d, m))


#: Samples per tile of the fused kernel: the tile's pre-activations (8 KiB) stay in L1.
_SAMPLE_TILE = 1024


# fastmath (CONTRIBUTING.md): reassoc + contract vectorise the sample sums; nsz is kept from the
# former fastmath=True, whose machine code differs from this set only in the form of the
# comparison s > 0 (the same result for every non-NaN s), so no number changed.
@njit(cache=True, parallel=True, fastmath={"reassoc", "contract", "nsz"})
def _d_matvec_nb(W, v, XT, r, out):  # pragma: no cover
    """Fused D r from the transposed inputs XT (d, m); never forms the (m, n) pattern.

    One hidden unit per thread. For each tile of samples: s = X_tile w_k as d axpys along
    contiguous rows of XT (vectorised over samples), the mask s <- r 1[s > 0] in place, then
    (D r)_k += X_tile^T s as d dot products. Each output row is summed by one thread in a fixed
    tile order, so the result does not depend on the number of threads. Extra memory: one tile
    per thread.
    """
    n, d = W.shape
    m = XT.shape[1]
    T = _SAMPLE_TILE
    ntiles = (m + T - 1) // T
    for k in prange(n):
        wk = W[k]
        g = np.zeros(d)
        s = np.empty(T)
        for t in range(ntiles):
            l0 = t * T
            tl = min(T, m - l0)
            for l in range(tl):
                s[l] = 0.0
            for j in range(d):
                wkj = wk[j]
                xr = XT[j, l0:l0 + tl]
                for l in range(tl):
                    s[l] += wkj * xr[l]
            rr = r[l0:l0 + tl]
            for l in range(tl):
                s[l] = rr[l] if s[l] > 0.0 else 0.0
            for j in range(d):
                xr = XT[j, l0:l0 + tl]
                acc = 0.0
                for l in range(tl):
                    acc += s[l] * xr[l]
                g[j] += acc
        vk = v[k]
        for j in range(d):
            out[k, j] = vk * g[j]
    return out


def _d_matvec_numpy(W, v, X, r):
    """Reference D r through two BLAS products and the (m, n) activation pattern."""
    S = (X @ W.T > 0.0).astype(np.float64)  # (m, n)
    return v[:, None] * (S.T @ (r[:, None] * X))


#: ``method="auto"`` takes the numba route only when the numpy route's (m, n) activation pattern
#: (and its float copy) would exceed this many entries (2.5e7 = 200 MB each). Measured in
#: ``benchmarks/bench_twolayer.py``: at m = 5,000, n = 1,000, d = 100 the BLAS route is ~2-4x
#: faster than the fused numba kernel, which wins on memory (O(md + nd) instead of O(mn)).
AUTO_NUMBA_MIN_PATTERN = 25_000_000


def _d_matvec_auto(W, v, X, r, method):
    if method == "auto":
        method = "numba" if W.shape[0] * X.shape[0] > AUTO_NUMBA_MIN_PATTERN else "numpy"
    if method == "numpy":
        return _d_matvec_numpy(W, v, X, r)
    return _d_matvec_nb(W, v, np.ascontiguousarray(X.T), r, np.empty_like(W))


def d_matvec(W, v, X, r, *, method="auto"):
    r"""Matrix-free product :math:`D r` (the gradient :math:`\partial L/\partial W` when
    :math:`r = (f - y)/m`), returned with the shape ``(n, d)`` of ``W``.

    .. math::

        (D r)_k = v_k \sum_{l=1}^m r_l\, \sigma'(w_k^\top x_l)\, x_l \in \mathbb{R}^d

    Source: seed 003, slide "Structure of the gradient"; ERRATA 003 (the product is
    :math:`D r`, not :math:`D^\top r`).

    Parameters
    ----------
    W : array_like, shape (n, d)
    v : array_like, shape (n,)
        Output weights (any real values; the talk's are +-1).
    X : array_like, shape (m, d)
        Inputs with unit-norm rows.
    r : array_like, shape (m,)
    method : {"auto", "numba", "numpy", "dense"}
        ``"auto"``: numpy unless the (m, n) activation pattern would exceed
        ``AUTO_NUMBA_MIN_PATTERN`` (2.5e7) entries, then numba (memory-bound case).
        ``"numba"``: fused kernel, one hidden unit per thread, O(md + nd) extra memory (a
        transposed copy of X and the output).
        ``"numpy"``: reference via the (m, n) activation pattern and two BLAS products
        (O(mn) memory). ``"dense"``: builds :func:`extended_feature_matrix` (small sizes only).

    Returns
    -------
    G : ndarray, shape (n, d)
    """
    method = check_choice(method, "method", ("auto", "numba", "numpy", "dense"))
    X = _unit_rows(X)
    W, v = _weights(W, v, X.shape[1])
    r = as_vector(r, "r", size=X.shape[0])
    if method == "dense":
        return (extended_feature_matrix(W, _signs(v), X) @ r).reshape(W.shape)
    return _d_matvec_auto(W, v, X, r, method)


def d_rmatvec(W, v, X, U):
    r"""Matrix-free product :math:`D^\top u` for :math:`u = \mathrm{vec}(U)`, ``U`` shaped like W.

    .. math:: (D^\top u)_l = \sum_{k=1}^n v_k\, \sigma'(w_k^\top x_l)\, \langle u_k, x_l\rangle

    Used by the prediction dynamics :math:`\dot f = -D^\top D r` (seed 003, slide "Continuous
    time analysis") and checked against :func:`d_matvec` by an adjoint test.

    Returns
    -------
    ndarray, shape (m,)
    """
    X = _unit_rows(X)
    W, v = _weights(W, v, X.shape[1])
    U = as_matrix(U, "U")
    if U.shape != W.shape:
        raise ValueError(f"U must have the shape of W {W.shape}, got {U.shape}")
    S = X @ W.T > 0.0  # (m, n)
    return np.einsum("ln,ln->l", S * v[None, :], X @ U.T)


def loss_gradient(W, v, X, y, *, method="auto"):
    r"""Gradient of the talk's loss: :math:`\partial L / \partial W = D r`, :math:`r = (f - y)/m`.

    .. math::

        \frac{\partial L}{\partial w_k} = \frac{1}{m} \sum_{l=1}^m (f(x_l) - y_l)\,
        v_k\, \sigma'(w_k^\top x_l)\, x_l

    Source: seed 003, slide "Structure of the gradient". ``method`` as in :func:`d_matvec`.

    Returns
    -------
    ndarray, shape (n, d)
    """
    X = _unit_rows(X)
    W, v = _weights(W, v, X.shape[1])
    r = residual(W, v, X, y)
    return d_matvec(W, v, X, r, method=method)


# ---------------------------------------------------------------------------------------------
# the ReLU kernel G and its Monte Carlo / finite-width versions
# ---------------------------------------------------------------------------------------------


def _k0(A, B=None):
    from kernelnet.kernels import relu_kernel  # the one arc-cosine implementation

    return relu_kernel(A, B, order=0)


def relu_gram(X):
    r"""The talk's ReLU kernel matrix :math:`G = \mathbb{E}_{w \sim N(0, I)}[G_n]`.

    .. math::

        G_{ij} = \mathbb{E}_w[\sigma'(w^\top x_i)\sigma'(w^\top x_j)]\,\langle x_i, x_j\rangle
               = \Big(\frac12 - \frac{\arccos\langle x_i, x_j\rangle}{2\pi}\Big)
                 \langle x_i, x_j\rangle = \tfrac12 k_0(x_i, x_j)\,\langle x_i, x_j\rangle

    Source: seed 003, slide "Bounding the first term"; :math:`k_0` is the order-0 arc-cosine
    kernel (Cho and Saul 2009) from :func:`kernelnet.kernels.relu_kernel`.

    Parameters
    ----------
    X : array_like, shape (m, d)
        Inputs with unit-norm rows.

    Returns
    -------
    G : ndarray, shape (m, m)
    """
    X = _unit_rows(X)
    return 0.5 * _k0(X) * (X @ X.T)


def relu_gram_mc(X, n_samples, *, random_state=None, batch=4096):
    r"""Monte Carlo estimate of :math:`G` with its standard error.

    .. math::

        \hat G_{ij} = \frac{\langle x_i, x_j\rangle}{S} \sum_{s=1}^S
                      \mathbb 1[w_s^\top x_i > 0]\, \mathbb 1[w_s^\top x_j > 0],
        \qquad w_s \sim N(0, I_d),

        \mathrm{se}_{ij} = |\langle x_i, x_j\rangle| \sqrt{p_{ij}(1 - p_{ij})/S},
        \qquad p_{ij} = \tfrac12 - \tfrac{\theta_{ij}}{2\pi}

    (the exact standard error of a mean of :math:`S` Bernoulli(:math:`p_{ij}`) variables;
    :math:`p_{ij}` from the closed form). :math:`\hat G` is :math:`G_n = D^\top D/n` at
    :math:`n = S` random units (seed 003, "Bounding the error").

    Parameters
    ----------
    X : array_like, shape (m, d)
        Inputs with unit-norm rows.
    n_samples : int
        Number :math:`S` of weight draws (>= 1).
    random_state : int, numpy.random.Generator or None
    batch : int
        Draws per block (memory ``batch * m`` doubles).

    Returns
    -------
    G_hat : ndarray, shape (m, m)
    se : ndarray, shape (m, m)
    """
    X = _unit_rows(X)
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    batch = check_int(batch, "batch", minimum=1)
    rng = as_rng(random_state)
    m, d = X.shape
    counts = np.zeros((m, m))
    done = 0
    while done < n_samples:
        b = min(batch, n_samples - done)
        S = (rng.standard_normal((b, d)) @ X.T > 0.0).astype(np.float64)
        counts += S.T @ S
        done += b
    C = X @ X.T
    p = 0.5 * _k0(X)
    se = np.abs(C) * np.sqrt(np.clip(p * (1.0 - p), 0.0, None) / n_samples)
    return counts / n_samples * C, se


def empirical_gram(W, X):
    r"""Finite-width Gram matrix :math:`G_n = D^\top D / n` (does not depend on the signs v).

    .. math::

        (G_n)_{ij} = \frac1n \sum_{k=1}^n \sigma'(w_k^\top x_i)\sigma'(w_k^\top x_j)
                     \langle x_i, x_j\rangle

    Source: seed 003, slides "Bounding the error" and "Continuous time analysis" (where
    :math:`D^\top D = n G_n`). Computed as :math:`(S^\top S) \circ (X X^\top)/n` with the
    activation pattern :math:`S`, never forming :math:`D`.

    Returns
    -------
    ndarray, shape (m, m)
    """
    X = _unit_rows(X)
    W, _ = _weights(W, _NO_V, X.shape[1])
    S = (W @ X.T > 0.0).astype(np.float64)
    return (S.T @ S) * (X @ X.T) / W.shape[0]


def min_singular_value_D(W, X):
    r""":math:`s_m(D)`, the m-th singular value of :math:`D` (its smallest when
    :math:`nd \ge m`), from :math:`s_m(D)^2 = \lambda_m(D^\top D) = n\,\lambda_m(G_n)`.

    Source: seed 003, "Key inequality" :math:`\lVert r\rVert \le \lVert\partial L/\partial
    W\rVert / s_m(D)`. Costs one ``eigvalsh`` of an m x m matrix.

    Returns
    -------
    float
    """
    X = _unit_rows(X)
    W, _ = _weights(W, _NO_V, X.shape[1])
    n, d = W.shape
    if n * d < X.shape[0]:
        raise ValueError(f"W: n*d = {n * d} < m = {X.shape[0]}; D has rank < m, s_m(D) = 0")
    lam = np.linalg.eigvalsh(W.shape[0] * empirical_gram(W, X))[0]
    return math.sqrt(max(lam, 0.0))


# ---------------------------------------------------------------------------------------------
# weight discrepancy and the diversity regulariser
# ---------------------------------------------------------------------------------------------


def weight_kernel(W):
    r"""The matrix :math:`k(w_i, w_j) = \frac12 - \frac{\theta_{ij}}{2\pi}` (= :math:`k_0/2`).

    :math:`\theta_{ij}` is the angle between :math:`w_i` and :math:`w_j`; for unit vectors
    :math:`\theta = \arccos\langle w_i, w_j\rangle`, the talk's formula (seed 003, "Bounding the
    second term"). The diagonal is 1/2.

    Returns
    -------
    ndarray, shape (n, n)
    """
    W = as_matrix(W, "W", min_rows=2, max_abs=1e150)
    if np.any(np.einsum("ij,ij->i", W, W) == 0.0):
        raise ValueError("W has a zero row: the angle k(w_i, w_j) is undefined")
    return 0.5 * _k0(W)


@functools.lru_cache(maxsize=16)
def _gauss_legendre(N):
    """Gauss-Legendre nodes and weights on [-1, 1], cached and read-only.

    ``leggauss`` solves an N x N eigenproblem; on a busy 2-core machine a multithreaded BLAS
    call of that size can take seconds (PERFORMANCE.md), so it runs on one thread, once per N.
    """
    with limit_threads(1):
        t, w = np.polynomial.legendre.leggauss(N)
    t.setflags(write=False)
    w.setflags(write=False)
    return t, w


def _theta_var(n):
    """Var(theta) for theta with density proportional to sin(theta)^n on [0, pi]."""
    if n % 2 == 0:
        v = math.pi**2 / 12.0
        js = range(2, n + 1, 2)
    else:
        v = math.pi**2 / 4.0 - 2.0
        js = range(3, n + 1, 2)
    # V_n = V_{n-2} - 2/n^2, unrolled; fsum makes the sum exact to rounding.
    return v - 2.0 * math.fsum(1.0 / (j * j) for j in js)


def expected_k_squared(d, *, method="closed"):
    r"""The talk's :math:`\mathbb{E}_{u, v}[k(u, v)^2]` for u, v independent uniform on
    :math:`S^{d-1}`.

    With :math:`\theta` the angle between u and v (density :math:`\propto \sin^{d-2}\theta` on
    :math:`[0, \pi]`), symmetry :math:`\theta \mapsto \pi - \theta` gives
    :math:`\mathbb E\theta = \pi/2`, so

    .. math::

        \mathbb E[k^2] = \mathbb E\Big[\Big(\frac12 - \frac{\theta}{2\pi}\Big)^2\Big]
        = \frac1{16} + \frac{V_{d-2}}{4\pi^2}, \qquad
        V_p = \mathrm{Var}(\theta) = V_{p-2} - \frac{2}{p^2},\ V_0 = \frac{\pi^2}{12},\
        V_1 = \frac{\pi^2}{4} - 2 .

    The recursion follows from integrating :math:`\int \phi^2\cos^p\phi\,d\phi` by parts twice
    (:math:`\phi = \theta - \pi/2`); it gives 1/12 at d = 2, :math:`1/8 - 1/(2\pi^2)` at
    d = 3 and tends to 1/16 as d grows.

    Parameters
    ----------
    d : int
        Dimension (>= 2).
    method : {"closed", "quadrature"}
        ``"closed"``: the finite sum above (exact up to rounding, ~1e-16). ``"quadrature"``:
        Gauss-Legendre in :math:`\theta` (the integrand is entire in :math:`\theta`, so the
        rule converges geometrically; 400 nodes reach rounding level up to d ~ 10^4), an
        independent check.

    Returns
    -------
    float

    Notes
    -----
    Source: seed 003, slide "Bounding the second term" (weight discrepancy).
    """
    d = check_int(d, "d", minimum=2)
    method = check_choice(method, "method", ("closed", "quadrature"))
    if method == "closed":
        return 1.0 / 16.0 + _theta_var(d - 2) / (4.0 * math.pi**2)
    t, w = _gauss_legendre(400)
    theta = 0.5 * math.pi * (t + 1.0)
    # log-weights sin^(d-2) normalised by their own sum: no separate normalising constant.
    with np.errstate(divide="ignore"):
        logs = (d - 2) * np.log(np.sin(theta))
    dens = w * np.exp(logs - logs.max())
    k = 0.5 - theta / (2.0 * math.pi)
    return float(np.sum(dens * k * k) / np.sum(dens))


def weight_discrepancy(W, *, squared=False):
    r"""The talk's weight discrepancy :math:`L_2(W)`.

    .. math::

        L_2(W)^2 = \frac{1}{n^2} \sum_{i,j=1}^n k(w_i, w_j)^2 - \mathbb{E}_{u,v}[k(u, v)^2],
        \qquad k(x, y) = \frac12 - \frac{\arccos\langle x, y\rangle}{2\pi}

    Source: seed 003, slide "Bounding the second term"; the sum includes :math:`i = j`
    (:math:`k = 1/2`), the expectation is :func:`expected_k_squared` (closed form). For i.i.d.
    Gaussian weights :math:`\mathbb{E} L_2^2 = (1/4 - \mathbb{E}k^2)/n`.

    Parameters
    ----------
    W : array_like, shape (n, d)
        Weights (only their directions matter), n >= 2, no zero rows.
    squared : bool
        Return :math:`L_2^2` (can be slightly negative for weights more regular than random);
        otherwise :math:`\sqrt{\max(L_2^2, 0)}`.

    Returns
    -------
    float
    """
    K = weight_kernel(W)
    n, d = K.shape[0], np.shape(W)[1]
    if d < 2:
        raise ValueError(f"W must have at least 2 columns, got {d}")
    val = float(np.sum(K * K)) / n**2 - expected_k_squared(d)
    return val if squared else math.sqrt(max(val, 0.0))


def activation_kernel_distance_mc(W, n_pairs, *, random_state=None, batch=4096):
    r"""Monte Carlo estimate of the squared :math:`L^2` distance between the finite-width and
    the infinite-width activation kernels, which equals the talk's :math:`L_2(W)^2`.

    With :math:`K_n(x, y) = \frac1n\sum_k \mathbb 1[w_k^\top x > 0]\,\mathbb 1[w_k^\top y > 0]`
    and its expectation over :math:`w \sim N(0, I)`,
    :math:`K(x, y) = \frac12 - \frac{\theta(x, y)}{2\pi}`,

    .. math::

        \mathbb E_{x, y}\big[(K_n(x, y) - K(x, y))^2\big]
        = \frac{1}{n^2}\sum_{i,j} k(w_i, w_j)^2 - \mathbb E_{u,v}[k(u, v)^2] = L_2(W)^2

    for x, y independent and uniform on :math:`S^{d-1}`: expanding the square,
    :math:`\mathbb E_{x,y}[\mathbb 1_i(x)\mathbb 1_j(x)\mathbb 1_i(y)\mathbb 1_j(y)] =
    k(w_i, w_j)^2` (the probability that a uniform x activates both units is
    :math:`k(w_i, w_j)`), and by rotation invariance both :math:`\mathbb E[K_n K]` and
    :math:`\mathbb E[K^2]` equal :math:`\mathbb E_{u,v}[k(u,v)^2]`. So the weight discrepancy
    (seed 003, "Bounding the second term") is the distance by which the width-n activation
    kernel misses its infinite-width limit, which is what :math:`\lVert G - G_n\rVert` feels
    (:math:`G - G_n = (K - K_n)(x_i, x_j)\langle x_i, x_j\rangle` on the data).

    Parameters
    ----------
    W : array_like, shape (n, d)
        Weights (only their directions matter), no zero rows.
    n_pairs : int
        Independent pairs (x, y) drawn (>= 2).
    random_state : int, numpy.random.Generator or None
    batch : int
        Pairs per block (memory ``2 * batch * n`` doubles).

    Returns
    -------
    estimate : float
        The mean of :math:`(K_n - K)^2` over the pairs.
    se : float
        Its standard error (sample standard deviation over :math:`\sqrt{\text{n\_pairs}}`).
    """
    W = as_matrix(W, "W", min_rows=1)
    if np.any(np.einsum("ij,ij->i", W, W) == 0.0):
        raise ValueError("W has a zero row: the activation 1[w^T x > 0] is undefined")
    n, d = W.shape
    if d < 2:
        raise ValueError(f"W must have at least 2 columns, got {d}")
    n_pairs = check_int(n_pairs, "n_pairs", minimum=2)
    batch = check_int(batch, "batch", minimum=1)
    rng = as_rng(random_state)
    vals = np.empty(n_pairs)
    done = 0
    while done < n_pairs:
        b = min(batch, n_pairs - done)
        x = sample_sphere(b, d, random_state=rng)
        y = sample_sphere(b, d, random_state=rng)
        kn = np.mean((x @ W.T > 0.0) & (y @ W.T > 0.0), axis=1)
        # angle from direct differences (Kahan), accurate near 0 and pi
        theta = 2.0 * np.arctan2(np.linalg.norm(x - y, axis=1), np.linalg.norm(x + y, axis=1))
        vals[done:done + b] = (kn - (0.5 - theta / (2.0 * math.pi))) ** 2
        done += b
    return float(vals.mean()), float(vals.std(ddof=1) / math.sqrt(n_pairs))


def diversity_regulariser(W):
    r"""The talk's diversity regulariser.

    .. math:: R(W) = \frac{1}{n(n-1)} \sum_{i \ne j} k(w_i, w_j)^2

    Source: seed 003, slide "A regularization term".

    Parameters
    ----------
    W : array_like, shape (n, d)
        n >= 2, no zero rows.

    Returns
    -------
    float
    """
    K = weight_kernel(W)
    n = K.shape[0]
    return (float(np.sum(K * K)) - n * 0.25) / (n * (n - 1))


def diversity_regulariser_grad(W):
    r"""Gradient of :func:`diversity_regulariser` with respect to W.

    With :math:`\hat w = w/\lVert w\rVert`, :math:`c_{ij} = \langle \hat w_i, \hat w_j\rangle`,
    :math:`s_{ij} = \sqrt{1 - c_{ij}^2}` and :math:`k_{ij} = \frac12 - \arccos(c_{ij})/(2\pi)`,

    .. math::

        \frac{\partial k_{ij}}{\partial w_i} = \frac{1}{2\pi\,\lVert w_i\rVert}\,
            \frac{\hat w_j - c_{ij}\hat w_i}{s_{ij}}, \qquad
        \frac{\partial R}{\partial w_i} = \frac{4}{n(n-1)} \sum_{j \ne i} k_{ij}
            \frac{\partial k_{ij}}{\partial w_i}.

    The derivative of arccos, :math:`-1/\sqrt{1-c^2}`, blows up at :math:`|c| = 1`, but it is
    multiplied by :math:`\partial c/\partial w_i`, whose norm is :math:`s_{ij}/\lVert w_i\rVert`:
    the product is a unit tangent vector over :math:`2\pi\lVert w_i\rVert`, bounded. Only its
    direction is undefined at exactly parallel or antiparallel pairs, where :math:`k_{ij}` has a
    cone-shaped kink (a non-smooth point). There (:math:`s_{ij} < 10^{-8}`) the pair contributes
    the zero vector, the minimum-norm element of the pair's Clarke subdifferential, which by
    symmetry is a disc centred at 0. Near the kink, :math:`s` computed as :math:`\sqrt{1-c^2}`
    from a rounded :math:`c` would carry a relative error :math:`\epsilon/s^2` (100% at
    :math:`s = 10^{-8}`); the code takes :math:`1 \mp c = \lVert\hat w_i \mp \hat w_j\rVert^2/2`
    from direct differences instead, so :math:`s` and the angle are accurate to a few
    :math:`\epsilon` and the tangent to :math:`\epsilon/s` relative.

    Source: seed 003, "A regularization term" (R); derivative by hand, checked against finite
    differences in ``tests/test_twolayer.py``.

    Returns
    -------
    ndarray, shape (n, d)
    """
    W = as_matrix(W, "W", min_rows=2, max_abs=1e150)
    if np.any(np.einsum("ij,ij->i", W, W) == 0.0):
        raise ValueError("W has a zero row: the angle k(w_i, w_j) is undefined")
    return _regulariser_grad_unchecked(W)


def _regulariser_grad_unchecked(W):
    """:func:`diversity_regulariser_grad` without the input checks (W: (n, d), n >= 2,
    float64, no zero rows)."""
    norms = np.sqrt(np.einsum("ij,ij->i", W, W))
    n = W.shape[0]
    Wh = W / norms[:, None]
    # 1 - c and 1 + c from direct differences |w^_i -+ w^_j|^2 / 2 (relative accuracy ~eps even
    # for nearly (anti)parallel pairs, where 1 - c^2 from c itself would cancel): then
    # s = sqrt((1 - c)(1 + c)) and theta = 2 atan2(|w^_i - w^_j|, |w^_i + w^_j|) (Kahan's
    # angle formula) are accurate to a few eps relative.
    dm = cdist(Wh, Wh, "sqeuclidean")
    dp = cdist(Wh, -Wh, "sqeuclidean")
    omc = 0.5 * dm  # 1 - c
    s = np.sqrt(omc * (0.5 * dp))
    # k_ij from the same angles (the test checks this matrix against weight_kernel, i.e.
    # kernels.relu_kernel, to 1e-12); computing it here saves a parallel numba launch per step.
    K = 0.5 - (2.0 * np.arctan2(np.sqrt(dm), np.sqrt(dp))) / (2.0 * math.pi)
    A = np.zeros_like(K)
    ok = s > _PARALLEL_SINE
    np.fill_diagonal(ok, False)
    A[ok] = K[ok] / s[ok]
    # sum_{j != i} A_ij (w^_j - c_ij w^_i)
    #   = (A @ W^)_i - (sum_j A_ij) w^_i + (sum_j A_ij (1 - c_ij)) w^_i ;
    # the first difference cancels to absolute error ~eps sum_j A_ij, i.e. relative ~eps/s per pair.
    T = A @ Wh - (np.sum(A, axis=1) - np.sum(A * omc, axis=1))[:, None] * Wh
    return (4.0 / (n * (n - 1))) * T / (2.0 * math.pi * norms[:, None])


# ---------------------------------------------------------------------------------------------
# spectrum of the kernel on the sphere (Funk-Hecke)
# ---------------------------------------------------------------------------------------------


def _multiplicity(d, u):
    """Dimension of the degree-u spherical harmonics on S^{d-1}."""
    if u == 0:
        return 1
    return (2 * u + d - 2) * math.comb(u + d - 3, u - 1) // u


def harmonic_eigenvalues(d, max_degree, *, n_nodes=None):
    r"""Spherical-harmonic eigenvalues :math:`\gamma_u` of the talk's kernel on :math:`S^{d-1}`.

    :math:`G(x, y) = \kappa(\langle x, y\rangle)` with
    :math:`\kappa(t) = t\,(\frac12 - \frac{\arccos t}{2\pi})` is a zonal kernel, so by the
    Funk-Hecke formula every spherical harmonic of degree u is an eigenfunction of
    :math:`(Tf)(x) = \int \kappa(\langle x, y\rangle) f(y)\, d\sigma(y)` (σ the uniform
    probability measure) with eigenvalue

    .. math::

        \gamma_u = \frac{\Gamma(d/2)}{\sqrt{\pi}\,\Gamma((d-1)/2)}
                   \int_0^\pi \kappa(\cos\theta)\, P_u^{(d)}(\cos\theta)\,
                   \sin^{d-2}\theta \, d\theta,

    of multiplicity :math:`N(d, u) = \frac{2u + d - 2}{u}\binom{u + d - 3}{u - 1}`, where
    :math:`P_u^{(d)} = C_u^{((d-2)/2)} / C_u^{((d-2)/2)}(1)` is the Legendre (Gegenbauer)
    polynomial of dimension d, evaluated by the stable recurrence
    :math:`(u + d - 2) P_{u+1} = (2u + d - 2)\,t P_u - u P_{u-1}`. The integral is computed by
    Gauss-Legendre quadrature in :math:`\theta`, where the integrand is entire (the
    :math:`\sqrt{1-t}` singularity of arccos at t = 1 disappears), so the rule converges
    geometrically once the nodes outnumber the oscillations (default ``4 * max_degree + 200``).

    Checks: :math:`\kappa(t) = t/4 + t \arcsin(t)/(2\pi)` with the second term even, so
    :math:`\gamma_1 = 1/(4d)` exactly and :math:`\gamma_u = 0` for odd u >= 3;
    :math:`\sum_u N(d,u)\gamma_u = \kappa(1) = 1/2` (Mercer trace) and
    :math:`\sum_u N(d,u)\gamma_u^2 = \mathbb{E}[\kappa(\langle x, y\rangle)^2]`.

    Source: seed 003, slide "Bounding the first term" (:math:`\gamma_u`, spherical harmonics
    decomposition); Funk-Hecke: Atkinson and Han, *Spherical Harmonics and Approximations on
    the Unit Sphere* (2012), thm 2.22.

    Parameters
    ----------
    d : int
        Dimension of the ambient space (>= 2).
    max_degree : int
        Largest degree u (>= 0).
    n_nodes : int, optional
        Quadrature nodes.

    Returns
    -------
    gamma : ndarray, shape (max_degree + 1,)
        :math:`\gamma_0, \ldots, \gamma_{\mathrm{max\_degree}}` (eigenvalues of the operator on
        the probability measure; :math:`\lambda_i(G)/m \to` these as m grows).
    multiplicity : ndarray of int64, shape (max_degree + 1,)
    """
    d = check_int(d, "d", minimum=2)
    U = check_int(max_degree, "max_degree", minimum=0)
    N = 4 * U + 200 if n_nodes is None else check_int(n_nodes, "n_nodes", minimum=10)
    t, w = _gauss_legendre(N)
    theta = 0.5 * math.pi * (t + 1.0)
    w = 0.5 * math.pi * w
    c = np.cos(theta)
    kappa = c * (0.5 - theta / (2.0 * math.pi))
    logc = math.lgamma(d / 2.0) - 0.5 * math.log(math.pi) - math.lgamma((d - 1) / 2.0)
    with np.errstate(divide="ignore"):
        base = w * np.exp(logc + (d - 2) * np.log(np.sin(theta))) if d > 2 else w * math.exp(logc)
    weight = base * kappa
    gam = np.empty(U + 1)
    p_prev = np.ones_like(c)
    gam[0] = float(np.sum(weight * p_prev))
    if U >= 1:
        p = c.copy()
        gam[1] = float(np.sum(weight * p))
        for u in range(1, U):
            p_next = ((2 * u + d - 2) * c * p - u * p_prev) / (u + d - 2)
            p_prev, p = p, p_next
            gam[u + 1] = float(np.sum(weight * p))
    mult = np.array([_multiplicity(d, u) for u in range(U + 1)], dtype=np.int64)
    return gam, mult


def harmonic_blocks(d, count, *, tol=1e-13):
    r"""The eigenvalue blocks of the talk's kernel on :math:`S^{d-1}`, in decreasing order,
    until they cover ``count`` eigenvalues (counted with multiplicity).

    Each positive degree-u eigenvalue :math:`\gamma_u` (:func:`harmonic_eigenvalues`) is a
    block of :math:`N(d, u)` equal eigenvalues. Sorted by :math:`\gamma_u`, block b occupies
    the positions ``start[b] .. end[b]`` (1-based, inclusive) of the sequence
    :math:`\gamma_1 \ge \gamma_2 \ge \dots` of :func:`gamma_sequence`; ``end`` is the running
    sum of the multiplicities. Inside a block :math:`m\gamma_m/2` grows linearly in m; it drops
    at ``end + 1`` to the next block's value, so it is a sawtooth whose local maxima are the
    block ends (seed 003, "Bounding the first term": the talk's bound
    :math:`\lambda_m(G) \ge m\gamma_m/2`). In d = 5 the ends are 5, 6, 20, 75, 215, 500, 1006.

    Zero eigenvalues (odd u >= 3; below ``tol``) are dropped. Degrees are added until the
    blocks cover ``count`` and the next even degree's eigenvalue lies below the last block
    (even-degree eigenvalues decrease with u), so no later degree can be inserted earlier.

    Parameters
    ----------
    d : int
        Dimension (>= 2).
    count : int
        Number of eigenvalues to cover (>= 1).

    Returns
    -------
    dict of ndarrays
        ``degree``, ``gamma``, ``multiplicity``, ``start``, ``end`` (one entry per block).
    """
    d = check_int(d, "d", minimum=2)
    count = check_int(count, "count", minimum=1)
    U = 8
    while True:
        gam, mult = harmonic_eigenvalues(d, U)
        pos = np.flatnonzero(gam > tol)
        order = pos[np.argsort(-gam[pos], kind="stable")]
        ends = np.cumsum(mult[order])
        if ends[-1] >= count:
            nb = int(np.searchsorted(ends, count)) + 1  # blocks needed to cover count
            last_even = gam[U - (U % 2)]
            if last_even <= gam[order[nb - 1]]:
                order, ends = order[:nb], ends[:nb]
                return {"degree": order.astype(np.int64), "gamma": gam[order],
                        "multiplicity": mult[order], "start": ends - mult[order] + 1,
                        "end": ends}
        U *= 2
        if U > 100_000:  # pragma: no cover - count far beyond any use in the book
            raise ValueError(f"count={count} needs degrees beyond 1e5 in d={d}")


def gamma_sequence(d, count, *, tol=1e-13):
    r"""The eigenvalues :math:`\gamma_1 \ge \gamma_2 \ge \dots` of the kernel on
    :math:`S^{d-1}` counted with multiplicity, the first ``count`` of them.

    The talk's :math:`\gamma_m` in :math:`\lambda_m(G) \ge m\gamma_m/2` (seed 003, "Bounding the
    first term") is the m-th entry. Built from the blocks of :func:`harmonic_blocks` (only the
    first ``count`` entries are materialised: in high d a single multiplicity can exceed 1e9).

    Returns
    -------
    ndarray, shape (count,)
    """
    b = harmonic_blocks(d, count, tol=tol)
    out = np.empty(check_int(count, "count", minimum=1))
    for g, s, e in zip(b["gamma"], b["start"], b["end"]):
        out[s - 1:min(e, count)] = g
    return out


# ---------------------------------------------------------------------------------------------
# training
# ---------------------------------------------------------------------------------------------


@dataclass
class TrainResult:
    """Outcome of :func:`train_gd`: final weights and the recorded history.

    ``history`` maps a name to an array over the recorded steps: ``step``, ``loss`` (the data
    loss L), ``reg`` (R(W)), ``objective`` (L + lambda R), ``grad_norm`` (||dL/dW||_F = ||D r||),
    ``r_norm`` (||r||, r = (f - y)/m), ``s_min`` (s_m(D), NaN unless ``track_singular``),
    ``discrepancy`` (L_2(W)).
    """

    W: np.ndarray
    v: np.ndarray
    history: dict = field(default_factory=dict)


def _training_inputs(X, y, W0, v, lr, n_steps, reg):
    """The checked inputs of a gradient-descent run (:func:`train_gd` and its fast loop)."""
    X = _unit_rows(X, min_rows=2)
    y = _targets(y, X.shape[0])
    W, v = _weights(W0, v, X.shape[1], min_units=2, w_name="W0")
    if np.any(np.einsum("ij,ij->i", W, W) == 0.0):
        raise ValueError("W0 has a zero row: R(W) and L_2(W) need the angle of every unit")
    v = _signs(v)
    lr = check_positive(lr, "lr")
    n_steps = check_int(n_steps, "n_steps", minimum=0)
    reg = check_nonnegative(reg, "reg")
    return X, y, W, v, lr, n_steps, reg


def train_gd(X, y, W0, v, *, lr, n_steps, reg=0.0, record_every=1, track_singular=False,
             method="auto"):
    r"""Full-batch gradient descent on the talk's loss, optionally with the diversity
    regulariser.

    .. math:: W \leftarrow W - \eta\,\big(D r + \lambda\, \nabla R(W)\big)

    with :math:`D r = \partial L/\partial W` (:func:`loss_gradient`), :math:`R` from
    :func:`diversity_regulariser` and the output signs v fixed (seed 003, "Problem setting" and
    "A regularization term").

    Parameters
    ----------
    X : array_like, shape (m, d)
        Unit-norm inputs.
    y : array_like, shape (m,)
    W0 : array_like, shape (n, d)
        Initial weights (not modified).
    v : array_like, shape (n,)
        Output signs +-1.
    lr : float
        Step size :math:`\eta` (> 0).
    n_steps : int
        Iterations (>= 0).
    reg : float
        :math:`\lambda \ge 0`; 0 trains without R.
    record_every : int
        History stride (the last step is always recorded).
    track_singular : bool
        Also record :math:`s_m(D)` (one m x m ``eigvalsh`` per record).
    method : {"auto", "numba", "numpy"}
        Route for :math:`D r` (see :func:`d_matvec`).

    Returns
    -------
    TrainResult
    """
    X, y, W, v, lr, n_steps, reg = _training_inputs(X, y, W0, v, lr, n_steps, reg)
    record_every = check_int(record_every, "record_every", minimum=1)
    method = check_choice(method, "method", ("auto", "numba", "numpy"))
    W = W.copy()
    m = X.shape[0]
    keys = ("step", "loss", "reg", "objective", "grad_norm", "r_norm", "s_min", "discrepancy")
    hist = {k: [] for k in keys}

    def record(step, r, g):
        L = 0.5 * m * float(r @ r)
        R = diversity_regulariser(W)
        hist["step"].append(step)
        hist["loss"].append(L)
        hist["reg"].append(R)
        hist["objective"].append(L + reg * R)
        hist["grad_norm"].append(float(np.linalg.norm(g)))
        hist["r_norm"].append(float(np.linalg.norm(r)))
        hist["s_min"].append(min_singular_value_D(W, X) if track_singular else float("nan"))
        hist["discrepancy"].append(weight_discrepancy(W))

    for step in range(n_steps + 1):
        if step and not np.max(np.abs(W)) < 1e150:  # diverging: say so before forward() refuses W
            raise ValueError(f"lr={lr} made gradient descent diverge at step {step} (weights "
                             "beyond 1e150); use a smaller lr")
        r = (forward(W, v, X) - y) / m
        g = _d_matvec_auto(W, v, X, r, method)
        if step % record_every == 0 or step == n_steps:
            record(step, r, g)
        if step == n_steps:
            break
        if not np.all(np.isfinite(g)):  # pragma: no cover - guarded by lr choice
            raise ValueError(f"lr={lr} made gradient descent diverge at step {step}")
        if reg > 0.0:
            g = g + reg * diversity_regulariser_grad(W)
        W -= lr * g
    return TrainResult(W=W, v=v, history={k: np.asarray(a) for k, a in hist.items()})


def train_gd_final(X, y, W0, v, *, lr, n_steps, reg=0.0):
    r"""The iteration of :func:`train_gd` without a history: only the final weights.

    .. math:: W \leftarrow W - \eta\,\big(D r + \lambda\, \nabla R(W)\big)

    For the many small runs of the regulariser table, where the per-step cost of
    :func:`train_gd` is input checking and bookkeeping rather than arithmetic: the inputs are
    checked once, then the loop calls the unchecked kernels (the same BLAS route as
    :func:`d_matvec` with ``method="numpy"`` and the same regulariser gradient as
    :func:`diversity_regulariser_grad`), so the iterates equal those of :func:`train_gd` to
    rounding (checked in the tests).

    Parameters
    ----------
    X, y, W0, v, lr, n_steps, reg
        As in :func:`train_gd`.

    Returns
    -------
    W : ndarray, shape (n, d)
    """
    X, y, W, v, lr, n_steps, reg = _training_inputs(X, y, W0, v, lr, n_steps, reg)
    W = W.copy()
    m = X.shape[0]
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is caught and reported
        for step in range(n_steps):
            P = X @ W.T  # (m, n) pre-activations
            r = (np.maximum(P, 0.0) @ v - y) / m
            g = v[:, None] * ((P > 0.0).T @ (r[:, None] * X))  # D r, as _d_matvec_numpy
            if not np.all(np.isfinite(g)):
                raise ValueError(f"lr={lr} made gradient descent diverge at step {step}")
            if reg > 0.0:
                g += reg * _regulariser_grad_unchecked(W)
            W -= lr * g
    return W


@dataclass
class FlowResult:
    """Outcome of :func:`gradient_flow`.

    ``t`` (times), ``r2`` (:math:`\\lVert y - u(t)\\rVert^2`), ``bound``
    (:math:`e^{-\\lambda_0 t}\\lVert y - u(0)\\rVert^2`), ``max_move``
    (:math:`\\max_i \\lVert w_i(t) - w_i(0)\\rVert`), ``lam_min`` (:math:`\\lambda_{\\min}(H(t))`,
    :math:`H(t) = G_n(t)`), ``lambda0`` (:math:`\\lambda_{\\min}(G)`), ``W`` (final weights),
    ``R_prime`` (Du et al.'s movement bound :math:`2\\sqrt m\\lVert y - u(0)\\rVert/(\\sqrt n
    \\lambda_0)`).
    """

    t: np.ndarray
    r2: np.ndarray
    bound: np.ndarray
    max_move: np.ndarray
    lam_min: np.ndarray
    lambda0: float
    R_prime: float
    W: np.ndarray


_MAX_FLOW_STEPS = 10_000_000  # ~hours of Euler steps even at m = 10: a size guard, not a tolerance


def gradient_flow(X, y, W0, a, *, t_max, dt=None, record_every=10, lambda0=None):
    r"""Small-step (explicit Euler) approximation of the gradient flow in Du et al.'s
    normalisation, with their diagnostics.

    Du, Zhai, Poczos and Singh (2018; seed 003, slides "Continuous time analysis" and
    "Self-consistent argument") use

    .. math::

        f(x) = \frac{1}{\sqrt n} \sum_{r=1}^n a_r \sigma(w_r^\top x), \qquad
        L = \frac12 \sum_{i=1}^m (y_i - f(x_i))^2, \qquad
        \frac{dw_r}{dt} = -\frac{\partial L}{\partial w_r},

    with :math:`a_r \in \{\pm1\}` fixed and :math:`w_r(0) \sim N(0, I)`. The predictions
    :math:`u = f(X)` then obey :math:`\dot u = H(t)(y - u)` with
    :math:`H(t) = D(t)^\top D(t)/n = G_n(t)`, the talk's "n G_n(t)" once the :math:`1/\sqrt n`
    output scale is absorbed (the talk's :math:`D^\top D` is :math:`nG_n` for the unscaled
    network). :math:`\lambda_0 = \lambda_{\min}(G)` with :math:`G = \mathbb E[G_n(0)]`
    (:func:`relu_gram`, Du et al.'s :math:`H^\infty`). If :math:`\lambda_{\min}(H(s)) \ge
    \lambda_0/2` for :math:`s \le t`, then :math:`\lVert y - u(t)\rVert^2 \le
    e^{-\lambda_0 t}\lVert y - u(0)\rVert^2` and :math:`\lVert w_r(t) - w_r(0)\rVert \le R' =
    2\sqrt m\lVert y - u(0)\rVert/(\sqrt n\lambda_0)`.

    The Euler step :math:`w \leftarrow w - \Delta t\,\partial L/\partial w` with
    :math:`\Delta t \le 1/\lambda_{\max}(H(0))` contracts every mode of the linearised dynamics
    by :math:`1 - \Delta t \lambda \le e^{-\Delta t \lambda}`, so it never decays more slowly than
    the flow it approximates; the default is :math:`\Delta t = 0.1/\lambda_{\max}(H(0))`.

    Parameters
    ----------
    X : array_like, shape (m, d)
        Unit-norm inputs, no two parallel (Du et al.'s assumption, needed for
        :math:`\lambda_0 > 0`).
    y : array_like, shape (m,)
    W0 : array_like, shape (n, d)
    a : array_like, shape (n,)
        Output signs +-1.
    t_max : float
        Final time (> 0).
    dt : float, optional
        Euler step. At most ``10**7`` steps (``t_max / dt``); more raise ``ValueError``.
    record_every : int
        Record the diagnostics every this many steps (and at the end).
    lambda0 : float, optional
        :math:`\lambda_0`; computed from ``relu_gram(X)`` if omitted.

    Returns
    -------
    FlowResult
    """
    X = _unit_rows(X, min_rows=2)
    y = _targets(y, X.shape[0])
    W, a = _weights(W0, a, X.shape[1], min_units=2, w_name="W0", v_name="a")
    a = _signs(a, "a")
    t_max = check_positive(t_max, "t_max")
    record_every = check_int(record_every, "record_every", minimum=1)
    n = W.shape[0]
    m = X.shape[0]
    if lambda0 is None:
        lambda0 = float(np.linalg.eigvalsh(relu_gram(X))[0])
    lambda0 = check_positive(lambda0, "lambda0")
    if dt is None:
        lam_max = float(np.linalg.eigvalsh(empirical_gram(W, X))[-1])
        if not lam_max > 0:
            raise ValueError("W0 gives a zero Gram matrix H(0) (no active unit): the default "
                             "dt = 0.1 / lambda_max(H(0)) is undefined; pass dt")
        dt = 0.1 / lam_max
    dt = check_positive(dt, "dt")
    if t_max / dt > _MAX_FLOW_STEPS:
        raise ValueError(
            f"t_max / dt = {t_max / dt:.3g} Euler steps exceeds the limit of "
            f"{_MAX_FLOW_STEPS:,}: raise dt or lower t_max"
        )
    n_steps = int(math.ceil(t_max / dt))
    scale = 1.0 / math.sqrt(n)
    W0c = W.copy()
    W = W.copy()
    ts, r2s, moves, lams = [], [], [], []
    r0sq = None
    for step in range(n_steps + 1):
        u = forward(W, a, X, scale=scale)
        e = u - y
        if step % record_every == 0 or step == n_steps:
            r2 = float(e @ e)
            if r0sq is None:
                r0sq = r2
            ts.append(step * dt)
            r2s.append(r2)
            moves.append(float(np.max(np.linalg.norm(W - W0c, axis=1))))
            lams.append(float(np.linalg.eigvalsh(empirical_gram(W, X))[0]))
        if step == n_steps:
            break
        # dL/dw_r = (1/sqrt n) a_r sum_i (u_i - y_i) 1[w_r^T x_i > 0] x_i = D (e / sqrt n)
        W -= dt * _d_matvec_auto(W, a, X, e * scale, "auto")
    t = np.asarray(ts)
    return FlowResult(
        t=t,
        r2=np.asarray(r2s),
        bound=np.exp(-lambda0 * t) * r0sq,
        max_move=np.asarray(moves),
        lam_min=np.asarray(lams),
        lambda0=lambda0,
        R_prime=2.0 * math.sqrt(m) * math.sqrt(r0sq) / (math.sqrt(n) * lambda0),
        W=W,
    )
