r"""Kernel matrices: Gaussian, arc-cosine (ReLU), two-layer ReLU NTK and NNGP, median heuristic.

Every public function validates its input with :mod:`kernelnet._validation` (``ValueError`` naming
the argument), passes C-contiguous float64 arrays to a private numba kernel and has a plain NumPy
reference (``_<name>_numpy``) that the tests compare against.

The Gaussian kernel is streamed in tiles by the private engine :mod:`kernelnet._tiles` (one BLAS
GEMM per tile for the distances, a vectorised exponential), the same tiles that
:func:`kernelnet.hsic.hsic_gaussian` and :class:`kernelnet.solvers.KernelOperator` reduce.

:data:`KERNELS` maps a kernel's name to its function (``kernel(X, Y=None, **params)``);
:class:`kernelnet.solvers.KernelOperator` reads its names from it.
"""

from __future__ import annotations

import math
from types import MappingProxyType

import numpy as np
from numba import njit, prange

from ._threads import limit_threads
from ._tiles import (
    _NCHUNKS,
    _TILE,
    _gauss_tile,
    _half_sq_norms,
    _inv_sq_bandwidth,
    _scratch,
    _tile_pairs,
    _use_parallel,
)
from ._validation import as_matrix, check_choice, check_int, check_positive, pow2_exponent

__all__ = [
    "gaussian_kernel",
    "relu_kernel",
    "nngp_relu",
    "ntk_relu",
    "median_heuristic",
    "KERNELS",
]

# ---------------------------------------------------------------------------------------------
# Gaussian kernel
# ---------------------------------------------------------------------------------------------


@njit(cache=True)
def _gauss_chunk(k, X, Y, hX, hY, s, symmetric, out, tile, nchunks, pI, pJ, buf):  # pragma: no cover
    """Tile pairs k, k + nchunks, ... of the Gaussian kernel matrix, written into ``out``."""
    n = X.shape[0]
    m = Y.shape[0]
    for q in range(k, pI.shape[0], nchunks):
        i0 = pI[q] * tile
        i1 = min(i0 + tile, n)
        j0 = pJ[q] * tile
        j1 = min(j0 + tile, m)
        diag = symmetric and pI[q] == pJ[q]
        G = _gauss_tile(X[i0:i1], Y[j0:j1], hX[i0:i1], hY[j0:j1], s, buf, diag)
        for i in range(i1 - i0):
            orow = out[i0 + i, j0:j1]
            grow = G[i]
            for j in range(j1 - j0):
                orow[j] = grow[j]
        if symmetric and pI[q] != pJ[q]:
            for j in range(j1 - j0):
                for i in range(i1 - i0):
                    out[j0 + j, i0 + i] = G[i, j]


@njit(cache=True, parallel=True)
def _gaussian_kernel_par(X, Y, s, symmetric, out, tile, nchunks, scratch):  # pragma: no cover
    hX = _half_sq_norms(X, s)
    hY = _half_sq_norms(Y, s)
    pI, pJ = _tile_pairs((X.shape[0] + tile - 1) // tile, (Y.shape[0] + tile - 1) // tile, symmetric)
    for k in prange(nchunks):
        _gauss_chunk(k, X, Y, hX, hY, s, symmetric, out, tile, nchunks, pI, pJ, scratch[k])
    return out


@njit(cache=True)
def _gaussian_kernel_ser(X, Y, s, symmetric, out, tile, nchunks, scratch):  # pragma: no cover
    hX = _half_sq_norms(X, s)
    hY = _half_sq_norms(Y, s)
    pI, pJ = _tile_pairs((X.shape[0] + tile - 1) // tile, (Y.shape[0] + tile - 1) // tile, symmetric)
    for k in range(nchunks):
        _gauss_chunk(k, X, Y, hX, hY, s, symmetric, out, tile, nchunks, pI, pJ, scratch[0])
    return out


def _gaussian_kernel_numpy(X, Y=None, *, sigma):
    """Reference: direct differences, O(n m d) memory."""
    X = np.asarray(X, dtype=np.float64)
    Y = X if Y is None else np.asarray(Y, dtype=np.float64)
    D = ((X[:, None, :] - Y[None, :, :]) ** 2).sum(axis=-1)
    return np.exp(-D / (2.0 * sigma**2))


def _check_pair(X, Y):
    X = as_matrix(X, "X")
    if Y is None:
        return X, None
    Y = as_matrix(Y, "Y")
    if Y.shape[1] != X.shape[1]:
        raise ValueError(
            f"Y must have the same number of features as X ({X.shape[1]}), got shape {Y.shape}"
        )
    return X, Y


def gaussian_kernel(X, Y=None, *, sigma):
    r"""Gaussian (RBF) kernel matrix.

    .. math::

        K_{ij} = \exp\!\Big(-\frac{\lVert x_i - y_j \rVert^2}{2\sigma^2}\Big)

    (Gretton et al. 2005, eq. 4; seed 000, eq. 1). Distances are formed from a Gram matrix on
    tiles (BLAS) after subtracting the mean of ``X`` from both sets (distances are translation
    invariant; centring reduces cancellation), and clipped at 0.

    Parameters
    ----------
    X : array_like, shape (n, d)
    Y : array_like, shape (m, d), optional
        Defaults to ``X``; then ``K`` is exactly symmetric with unit diagonal.
    sigma : float
        Bandwidth, > 0.

    Returns
    -------
    K : ndarray, shape (n, m)

    Raises
    ------
    ValueError
        Non-finite or non-2-D ``X``/``Y``, mismatched feature counts, ``sigma <= 0``.
    """
    X, Y = _check_pair(X, Y)
    sigma = check_positive(sigma, "sigma")
    mu = X.mean(axis=0)
    Xc = np.ascontiguousarray(X - mu)
    Yc = Xc if Y is None else np.ascontiguousarray(Y - mu)
    n, m = Xc.shape[0], Yc.shape[0]
    out = np.empty((n, m))
    sym = Y is None
    s = _inv_sq_bandwidth(sigma, Xc, Yc)
    par = _use_parallel(n * m / (2 if sym else 1), X.shape[1])
    run = _gaussian_kernel_par if par else _gaussian_kernel_ser
    with limit_threads(1):  # each numba thread calls BLAS on its own tile
        run(Xc, Yc, s, sym, out, _TILE, _NCHUNKS, _scratch(_NCHUNKS, _TILE))
    return out


# ---------------------------------------------------------------------------------------------
# Arc-cosine (ReLU) kernels, NNGP and NTK
# ---------------------------------------------------------------------------------------------


@njit(cache=True)
def _arccos_row(G, nx, ny, i, j0, symmetric, order, out):  # pragma: no cover
    """Row ``i`` of the arc-cosine kernel, columns ``j0:`` (contiguous writes).

    ``order`` 0 or 1: Cho & Saul's k_0, k_1; ``order=2``: the NTK ``k_1/2 + <x, y> k_0/2``.
    """
    m = G.shape[1]
    for j in range(j0, m):
        nn = nx[i] * ny[j]
        if nn == 0.0:
            v = 0.0  # a zero vector: relu(w.0) = 0 and step(0) = 0
        else:
            if symmetric and i == j:
                c = 1.0  # theta = 0 exactly on the diagonal
            else:
                c = min(max(G[i, j] / nn, -1.0), 1.0)
            theta = math.acos(c)
            k0 = 1.0 - theta / math.pi
            if order == 0:
                v = k0
            else:
                # sin(theta) = sqrt(1 - c^2) for theta in [0, pi] (cheaper than libm sin)
                v = nn * (math.sqrt(max(1.0 - c * c, 0.0)) + (math.pi - theta) * c) / math.pi
                if order == 2:  # two-layer ReLU NTK: k1 / 2 + (x.y) k0 / 2 (see ntk_relu)
                    v = 0.5 * v + 0.5 * G[i, j] * k0
        out[i, j] = v


@njit(cache=True, parallel=True)
def _arccos_nb(G, nx, ny, symmetric, order, out):  # pragma: no cover
    """Arc-cosine kernel of order 0 or 1 from a Gram matrix and the row norms.

    Symmetric case: the upper triangle row by row (rows t and n-1-t in one parallel iteration,
    so the threads get equal work), then a blocked copy into the lower triangle.
    """
    n, m = G.shape
    if symmetric:
        for t in prange((n + 1) // 2):
            _arccos_row(G, nx, ny, t, t, True, order, out)
            u = n - 1 - t
            if u != t:
                _arccos_row(G, nx, ny, u, u, True, order, out)
        b = 64
        T = (n + b - 1) // b
        for I in prange(T):
            i0 = I * b
            i1 = min(i0 + b, n)
            for j in range(i0, n):  # lower part of column block I: out[j, i] = out[i, j], i < j
                for i in range(i0, min(i1, j)):
                    out[j, i] = out[i, j]
    else:
        for i in prange(n):
            _arccos_row(G, nx, ny, i, 0, False, order, out)
    return out


def _relu_kernel_numpy(X, Y=None, *, order=1):
    """Reference (plain NumPy) for :func:`relu_kernel`."""
    X = np.asarray(X, dtype=np.float64)
    sym = Y is None
    Y = X if Y is None else np.asarray(Y, dtype=np.float64)
    nx = np.sqrt((X**2).sum(axis=1))
    ny = np.sqrt((Y**2).sum(axis=1))
    nn = np.outer(nx, ny)
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.clip((X @ Y.T) / nn, -1.0, 1.0)
    if sym:
        np.fill_diagonal(c, 1.0)
    c = np.where(nn > 0, c, 0.0)
    theta = np.arccos(c)
    if order == 0:
        k = 1.0 - theta / np.pi
    else:
        k = nn * (np.sin(theta) + (np.pi - theta) * c) / np.pi
    return np.where(nn > 0, k, 0.0)


def _gram_norms(X, Y):
    for M, name in ((X, "X"), (Y, "Y")):
        if M is not None and not np.all(np.abs(M) < 1e150):
            raise ValueError(f"{name} has entries of magnitude >= 1e150: inner products overflow")
    if Y is None:
        G = X @ X.T  # numpy uses syrk: exactly symmetric
        nx = np.sqrt(np.einsum("ij,ij->i", X, X))
        return G, nx, nx
    G = X @ Y.T
    return G, np.sqrt(np.einsum("ij,ij->i", X, X)), np.sqrt(np.einsum("ij,ij->i", Y, Y))


def relu_kernel(X, Y=None, *, order=1):
    r"""Arc-cosine kernel of Cho & Saul (2009), orders 0 and 1.

    With :math:`\theta = \arccos\big(\langle x, y\rangle / (\lVert x\rVert \lVert y\rVert)\big)`
    (the cosine clipped to :math:`[-1, 1]`):

    .. math::

        k_0(x, y) = 1 - \frac{\theta}{\pi}, \qquad
        k_1(x, y) = \frac{\lVert x\rVert \lVert y\rVert}{\pi}
                    \big(\sin\theta + (\pi - \theta)\cos\theta\big),

    i.e. :math:`k_n(x, y) = 2\,\mathbb{E}_{w \sim N(0, I)}[\Theta(w^\top x)\Theta(w^\top y)
    (w^\top x)^n (w^\top y)^n]` (Cho & Saul 2009, eqs. 1-6; ``DEFINITIONS.md``).

    Conventions: if ``x`` or ``y`` is the zero vector, ``k_0 = k_1 = 0`` (this is the expectation
    with :math:`\Theta(0) = 0`, i.e. ``relu'(0) = 0``); when ``Y`` is omitted the diagonal uses
    :math:`\theta = 0` exactly (``k_0 = 1``, ``k_1 = \lVert x\rVert^2``). Off the diagonal
    :math:`\theta` comes from ``arccos``, whose absolute error near :math:`\theta = 0` is about
    :math:`\sqrt{\epsilon} \approx 1.5\times 10^{-8}` for (nearly) parallel distinct rows.

    Parameters
    ----------
    X : array_like, shape (n, d)
    Y : array_like, shape (m, d), optional
        Defaults to ``X`` (then ``K`` is exactly symmetric).
    order : {0, 1}

    Returns
    -------
    K : ndarray, shape (n, m)
    """
    X, Y = _check_pair(X, Y)
    order = check_choice(order, "order", (0, 1))
    order = check_int(order, "order")
    G, nx, ny = _gram_norms(X, Y)
    out = np.empty_like(G)
    _arccos_nb(np.ascontiguousarray(G), nx, ny, Y is None, order, out)
    return out


def nngp_relu(X, Y=None):
    r"""NNGP kernel of a two-layer ReLU network (no bias).

    Parameterisation (NTK scaling, both layers trained, no bias):

    .. math::

        f(x) = \frac{1}{\sqrt m} \sum_{j=1}^m a_j\, \mathrm{relu}(w_j^\top x), \qquad
        w_j \sim N(0, I_d),\ a_j \sim N(0, 1) \text{ i.i.d.}

    The NNGP kernel is the covariance of the output at initialisation,

    .. math::

        \Sigma(x, y) = \mathbb{E}[f(x) f(y)]
        = \mathbb{E}_w[\mathrm{relu}(w^\top x)\,\mathrm{relu}(w^\top y)] = \tfrac12 k_1(x, y),

    with :math:`k_1` the arc-cosine kernel of :func:`relu_kernel` (Cho & Saul 2009; Jacot et al.
    2018 for the scaling). Same conventions and ``Y`` default as :func:`relu_kernel`.
    """
    return 0.5 * relu_kernel(X, Y, order=1)


def ntk_relu(X, Y=None):
    r"""Neural tangent kernel of the two-layer ReLU network of :func:`nngp_relu`.

    With the parameterisation of :func:`nngp_relu` (both layers trained), the empirical NTK
    :math:`\sum_p \partial_p f(x)\, \partial_p f(y)` at initialisation is

    .. math::

        \hat\Theta(x, y) = \frac1m \sum_j \mathrm{relu}(w_j^\top x)\,\mathrm{relu}(w_j^\top y)
            + \frac1m \sum_j a_j^2\, \Theta(w_j^\top x)\Theta(w_j^\top y)\, x^\top y,

    whose expectation (and infinite-width limit) is

    .. math::

        \Theta(x, y) = \tfrac12 k_1(x, y) + \tfrac12 (x^\top y)\, k_0(x, y)

    (Jacot et al. 2018; Arora et al. 2019, eq. for two-layer ReLU nets; the first term comes from
    the output weights, the second from the hidden weights). Tested against a Monte Carlo estimate
    of :math:`\hat\Theta`.
    """
    X, Y = _check_pair(X, Y)
    G, nx, ny = _gram_norms(X, Y)
    G = np.ascontiguousarray(G)
    out = np.empty_like(G)
    _arccos_nb(G, nx, ny, Y is None, 2, out)  # one pass, theta computed once
    return out


# ---------------------------------------------------------------------------------------------
# Median heuristic
# ---------------------------------------------------------------------------------------------


@njit(cache=True, parallel=True)
def _pdist_nb(X, out):  # pragma: no cover
    """Condensed Euclidean distances (scipy ``pdist`` order), direct differences."""
    n, d = X.shape
    for i in prange(n - 1):
        base = i * n - i * (i + 1) // 2
        xi = X[i]
        for j in range(i + 1, n):
            xj = X[j]
            acc = 0.0
            for k in range(d):
                diff = xi[k] - xj[k]
                acc += diff * diff
            out[base + j - i - 1] = math.sqrt(acc)
    return out


def _median_from_distances(dist):
    med = float(np.median(dist))
    if med > 0.0:
        return med
    pos = dist[dist > 0.0]
    if pos.size == 0:
        return 1.0
    return float(np.median(pos))


def _median_heuristic_numpy(X):
    """Reference: scipy's pdist and the same guard."""
    from scipy.spatial.distance import pdist

    return _median_from_distances(pdist(np.asarray(X, dtype=np.float64)))


def median_heuristic(X):
    r"""Median heuristic bandwidth: the median of the pairwise distances.

    .. math::

        \sigma = \operatorname{median}\{\lVert x_i - x_j \rVert : i < j\}

    (Gretton et al. 2005/2008; the authors' ``opt_gaussian`` starts from it, DEFINITIONS.md).
    The median runs over the :math:`n(n-1)/2` off-diagonal pairs (each pair once, no zero
    self-distances). Guard: if that median is 0 (more than half the pairs coincide) the median of
    the *positive* distances is returned instead; if all points are equal, ``1.0`` (any bandwidth
    then gives the same constant kernel). Memory: :math:`n(n-1)/2` doubles, so subsample large
    ``X`` before calling (the authors use at most 200 points).

    Parameters
    ----------
    X : array_like, shape (n, d), n >= 2

    Returns
    -------
    sigma : float, > 0
    """
    X = as_matrix(X, "X", min_rows=2)
    n = X.shape[0]
    # the median scales with X: an exact power-of-2 rescale outside [1e-100, 1e100] keeps the
    # squared distances from overflowing (X ~ 1e160 gave inf); inputs in range are untouched
    e = pow2_exponent(X)
    Xc = np.ascontiguousarray(np.ldexp(X, -e) if e else X)
    Xc = np.ascontiguousarray(Xc - Xc.mean(axis=0))
    dist = np.empty(n * (n - 1) // 2)
    _pdist_nb(Xc, dist)
    if e and np.any(dist > 0):
        med = float(np.ldexp(_median_from_distances(dist), e))
        if not np.isfinite(med):
            raise ValueError("X is too large: its median pairwise distance overflows; rescale X")
        return med
    return _median_from_distances(dist)


# ---------------------------------------------------------------------------------------------
# The registry
# ---------------------------------------------------------------------------------------------

#: The kernels by name: a read-only mapping ``name -> kernel(X, Y=None, **params)`` returning the
#: (n, m) kernel matrix. ``"gaussian"``: :func:`gaussian_kernel` (needs ``sigma=``); ``"relu"``:
#: :func:`relu_kernel` (``order=`` 0 or 1, default 1); ``"nngp_relu"``: :func:`nngp_relu`;
#: ``"ntk_relu"``: :func:`ntk_relu`. Code that takes a kernel by name
#: (:class:`kernelnet.solvers.KernelOperator`) reads the names from here.
KERNELS = MappingProxyType({
    "gaussian": gaussian_kernel,
    "relu": relu_kernel,
    "nngp_relu": nngp_relu,
    "ntk_relu": ntk_relu,
})
