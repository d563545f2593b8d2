r"""Kernel matrices: Gaussian, arc-cosine (ReLU), two-layer ReLU NTK and NNGP, median heuristic.

Every public function validates its input with :mod:`kernelnet._validation` (``ValueError`` naming
the argument), passes C-contiguous float64 arrays to a private numba kernel and has a plain NumPy
reference (``_<name>_numpy``) that the tests compare against.

Speed notes (``PERFORMANCE.md``): pairwise squared distances are computed from a Gram
matrix, i.e. a BLAS GEMM, and numba's ``math.exp`` is a scalar libm call (~5 ns). The Gaussian
kernels therefore use :func:`_exp_nonpos`, a branch-free exponential (Cody-Waite range reduction,
degree-12 Taylor polynomial, exponent built by bit manipulation) that LLVM vectorises; its
relative error is below ``5e-16`` on ``[-708, 0]`` (tested against :func:`numpy.exp`).
The same tile primitive (:func:`_gauss_tile`) is used by :func:`kernelnet.hsic.hsic_gaussian`.

Building blocks for other kernelnet modules' numba kernels (private, but kept stable):
:func:`_gauss_tile` (a Gaussian tile from one BLAS GEMM and the vectorised exp),
:func:`_half_sq_norms` (``s |x_i|^2 / 2``; inside a ``parallel=True`` function a vector
``np.dot`` becomes a parallel reduction whose rounding depends on the thread count, so use this),
:func:`_tile_pairs`, :func:`_scratch` (reusable tile buffers) and :func:`_single_threaded_blas`
(wrap every call of a ``prange`` kernel that calls ``np.dot``: one BLAS thread per numba thread).
"""

from __future__ import annotations

import contextlib
import math
import threading

import numpy as np
from numba import njit, prange
from numba.core import types
from numba.extending import intrinsic

from ._validation import as_matrix, check_choice, check_int, check_positive, pow2_exponent

__all__ = [
    "gaussian_kernel",
    "relu_kernel",
    "nngp_relu",
    "ntk_relu",
    "median_heuristic",
]

# ---------------------------------------------------------------------------------------------
# A vectorisable exponential for non-positive arguments
# ---------------------------------------------------------------------------------------------

_LOG2E = 1.4426950408889634
# Cody-Waite split of ln 2 (fdlibm): _LN2_HI has trailing zero bits, so t * _LN2_HI is exact for
# |t| < 2**11, and the reduced argument r = x - t ln2 is accurate to ~1 ulp.
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
# Below this the result is < 3.3e-308 (subnormal range): it is flushed to 0.0 (absolute error
# < 3.3e-308, irrelevant next to any kernel value that matters).
_EXP_MIN = -708.0


@intrinsic
def _bits_to_float(typingctx, bits):  # pragma: no cover - compiled
    """Reinterpret an int64 bit pattern as a float64 (no conversion)."""
    if bits != types.int64:
        return None
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.float64))

    return sig, codegen


@njit(cache=True, inline="always")
def _exp_scalar(x):  # pragma: no cover
    # exp(x) for x <= 0: x = t ln2 + r, |r| <= ln2/2, exp(x) = 2^t exp(r). The Taylor polynomial
    # of degree 12 has truncation error |r|^13/13! < 1.7e-16 relative on |r| <= 0.347.
    xc = max(x, _EXP_MIN)
    t = np.floor(xc * _LOG2E + 0.5)
    r = (xc - t * _LN2_HI) - t * _LN2_LO
    p = 2.08767569878680989792e-09
    p = p * r + 2.50521083854417187751e-08
    p = p * r + 2.75573192239858906526e-07
    p = p * r + 2.75573192239858906526e-06
    p = p * r + 2.48015873015873015873e-05
    p = p * r + 1.98412698412698412698e-04
    p = p * r + 1.38888888888888888889e-03
    p = p * r + 8.33333333333333333333e-03
    p = p * r + 4.16666666666666666667e-02
    p = p * r + 1.66666666666666666667e-01
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    scale = _bits_to_float((np.int64(t) + 1023) << 52)
    out = p * scale
    if x < _EXP_MIN:
        out = 0.0
    return out


@njit(cache=True, fastmath={"contract"})
def _exp_nonpos(a):  # pragma: no cover
    """In place ``a[k] = exp(a[k])`` for a contiguous 1-D array of values <= 0 (vectorised).

    Compiled with FMA contraction, as inside :func:`_gauss_tile` (``_exp_scalar`` is inlined
    into its callers and takes their flags), so the accuracy test covers the code in use.
    """
    for k in range(a.shape[0]):
        a[k] = _exp_scalar(a[k])


# ---------------------------------------------------------------------------------------------
# Gaussian kernel
# ---------------------------------------------------------------------------------------------

_TILE = 256  # rows/cols of a tile: a 256 x 256 float64 tile (512 KiB) stays in a Zen 4 L2 cache

_BLAS_CONTROLLER = None
_BLAS_LOCK = threading.Lock()
_BLAS_DEPTH = 0
_BLAS_LIMITER = None


@contextlib.contextmanager
def _single_threaded_blas():
    """Context manager: one BLAS thread while numba threads each call BLAS on their own tile.

    For any numba kernel (also in other kernelnet modules) whose ``prange`` body calls ``np.dot``.
    numba's ``np.dot`` calls scipy's BLAS (``scipy.linalg.cython_blas``), which may be a different
    library from numpy's. It is imported *before* the threadpoolctl controller is built: a
    library loaded after the limit was set keeps its default thread count, and an OpenBLAS with
    2 threads called from 2 numba threads on a busy machine was measured 20-50x slower (its
    workers spin against ours). The controller is built once (a library scan costs ~3 ms;
    ``limit`` then ~30 us). Nested or concurrent uses (e.g. joblib's threading backend) are
    reference-counted: the first entry sets the limit, the last exit restores the previous one.
    """
    global _BLAS_CONTROLLER, _BLAS_DEPTH, _BLAS_LIMITER
    with _BLAS_LOCK:
        if _BLAS_CONTROLLER is None:
            import scipy.linalg.cython_blas  # noqa: F401
            from threadpoolctl import ThreadpoolController

            _BLAS_CONTROLLER = ThreadpoolController()
        if _BLAS_DEPTH == 0:
            _BLAS_LIMITER = _BLAS_CONTROLLER.limit(limits=1, user_api="blas")
        _BLAS_DEPTH += 1
    try:
        yield
    finally:
        with _BLAS_LOCK:
            _BLAS_DEPTH -= 1
            if _BLAS_DEPTH == 0:
                _BLAS_LIMITER.restore_original_limits()
                _BLAS_LIMITER = None


@njit(cache=True)
def _half_sq_norms(X, s):  # pragma: no cover
    """``h_i = s |x_i|^2 / 2`` with a plain loop. (Inside a ``parallel=True`` function numba turns
    a vector ``np.dot`` into a parallel reduction whose rounding depends on the thread count.)"""
    n, d = X.shape
    h = np.empty(n)
    for i in range(n):
        acc = 0.0
        for k in range(d):
            acc += X[i, k] * X[i, k]
        h[i] = 0.5 * s * acc
    return h


@njit(cache=True, fastmath={"contract"})
def _gauss_tile(XI, XJ, hI, hJ, s, buf, diagonal, kappa=0.0):  # pragma: no cover
    """Gaussian kernel tile ``exp(-||x_i - y_j||^2 / (2 sigma^2)) - kappa`` written into ``buf``.

    ``buf`` is a contiguous 1-D scratch array of at least ``len(XI) * len(XJ)`` entries; the tile
    is returned as a C-contiguous ``(len(XI), len(XJ))`` view of it. ``hI = s |x_i|^2 / 2``,
    ``s = 1 / sigma^2``. The exponent ``s <x_i, y_j> - (h_i + h_j)`` is clipped at 0 (distances
    cannot be negative) and is exactly 0 on the diagonal of a diagonal tile (``diagonal=True``).
    Writing ``h_i + h_j`` (commutative) keeps a diagonal tile exactly symmetric when the Gram
    matrix is. ``kappa = 0`` (default) subtracts nothing (exactly). One pass per row after the
    GEMM; ``contract`` lets LLVM use FMAs (the Cody-Waite step then uses an exact product).
    """
    bi = XI.shape[0]
    bj = XJ.shape[0]
    G = buf[: bi * bj].reshape((bi, bj))
    np.dot(XI, XJ.T, G)  # BLAS dgemm
    for i in range(bi):
        row = G[i]
        hi = hI[i]
        for j in range(bj):
            a = min(s * row[j] - (hi + hJ[j]), 0.0)
            row[j] = _exp_scalar(a) - kappa
        if diagonal:
            row[i] = 1.0 - kappa  # exp(0): the distance of a point to itself is exactly 0
    return G


@njit(cache=True)
def _tile_pairs(TI, TJ, symmetric):  # pragma: no cover
    """Tile pairs (I, J) in row-major order; only J >= I when ``symmetric``."""
    npairs = TI * (TI + 1) // 2 if symmetric else TI * TJ
    pI = np.empty(npairs, np.int64)
    pJ = np.empty(npairs, np.int64)
    p = 0
    for I in range(TI):
        J0 = I if symmetric else 0
        for J in range(J0, TJ):
            pI[p] = I
            pJ[p] = J
            p += 1
    return pI, pJ


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


_NCHUNKS = 16  # fixed partition of the tile pairs into chunks (results independent of threads)
# Below this much work (pairs x (d + 8), ~multiply-adds) a call runs on one thread: starting a
# parallel region costs 0.05 ms on an idle machine but was measured at 12 ms on a loaded one.
_PARALLEL_MIN_WORK = 2e8
_SCRATCH = {}


def _scratch(nchunks, tile):
    """Per-chunk tile buffers, kept between calls (nchunks x tile^2 doubles = 8 MiB).

    Allocating and first-touching 16 fresh 512 KiB buffers per call cost ~20 ms in this VM
    (page faults), more than a whole n = 2,000 HSIC. Calls hold the GIL, so sharing is safe.
    """
    key = (nchunks, tile)
    buf = _SCRATCH.get(key)
    if buf is None:
        buf = _SCRATCH[key] = np.empty((nchunks, tile * tile))
    return buf


def _inv_sq_bandwidth(sigma, *mats):
    """``s = 1 / sigma^2``, checked so that ``s |x|^2 / 2`` is finite for every row of ``mats``.

    A tiny ``sigma`` (or huge values in X) would otherwise overflow to ``inf - inf = NaN`` inside
    the kernel: refuse it with a ``ValueError`` instead of returning NaN.
    """
    with np.errstate(over="ignore", divide="ignore"):
        s = 1.0 / (sigma * sigma) if sigma * sigma > 0 else np.inf
        big = max(float(np.max(np.einsum("ij,ij->i", M, M))) for M in mats)
        bad = not np.isfinite(s) or not np.isfinite(big) or not np.isfinite(s * big) or s * big > 1e300
    if bad:
        raise ValueError(
            f"sigma={sigma!r} is too small for the scale of X: |x|^2 / sigma^2 overflows "
            "(rescale X or use a larger sigma)"
        )
    return s


def _use_parallel(n_pairs_of_points, d):
    return n_pairs_of_points * (d + 8) >= _PARALLEL_MIN_WORK


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
    with _single_threaded_blas():
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
