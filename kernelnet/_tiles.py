r"""The Gaussian tile engine: private numba building blocks of kernels, hsic and solvers.

:func:`kernelnet.kernels.gaussian_kernel`, :func:`kernelnet.hsic.hsic_gaussian` and
:class:`kernelnet.solvers.KernelOperator` all stream the Gaussian kernel in tiles built here, so
the formula and the exponential exist once. Nothing here checks its input: the public wrappers
do, and pass C-contiguous float64 arrays.

Speed notes (``PERFORMANCE.md``): pairwise squared distances are computed from a Gram matrix,
i.e. a BLAS GEMM, and numba's ``math.exp`` is a scalar libm call (~5 ns). The tiles therefore
use :func:`_exp_nonpos`'s exponential (Cody-Waite range reduction, degree-12 Taylor polynomial,
exponent built by bit manipulation) that LLVM vectorises; its relative error is below ``5e-16``
on ``[-708, 0]`` (tested against :func:`numpy.exp`).

* :func:`_gauss_tile`: a Gaussian tile from one BLAS GEMM and the vectorised exp;
* :func:`_half_sq_norms`: ``s |x_i|^2 / 2`` with a plain loop (inside a ``parallel=True``
  function a vector ``np.dot`` becomes a parallel reduction whose rounding depends on the thread
  count, so use this);
* :func:`_tile_pairs`: the tile pairs in the fixed row-major order every reduction follows;
* :func:`_scratch`: reusable tile buffers; :data:`_TILE`, :data:`_NCHUNKS`: tile size and the
  fixed partition of tile pairs into chunks (results independent of the thread count);
* :func:`_use_parallel`: whether a call is large enough for numba's threads;
* :func:`_inv_sq_bandwidth`: ``1 / sigma^2``, refused when ``|x|^2 / sigma^2`` overflows.

Wrap every call of a ``prange`` kernel that calls ``np.dot`` in
:func:`kernelnet._threads.limit_threads` (one BLAS thread per numba thread).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.core import types
from numba.extending import intrinsic

__all__: list[str] = []  # private: imported by name by kernels, hsic and solvers

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
# Gaussian tiles
# ---------------------------------------------------------------------------------------------

_TILE = 256  # rows/cols of a tile: a 256 x 256 float64 tile (512 KiB) stays in a Zen 4 L2 cache


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
