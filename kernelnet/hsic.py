r"""Hilbert-Schmidt independence criterion (HSIC): dense estimators and a fused Gaussian route.

Notation (``DEFINITIONS.md``): :math:`H = I - \mathbf 1\mathbf 1^\top/n`; labels as
one-hot :math:`Y` (n x c), :math:`L = YY^\top`, :math:`\Gamma = HLH`. The biased estimator of
Gretton et al. (2005, Lemma 1 / Definition 2) is

.. math::

    \mathrm{HSIC}(K, L) = \frac{\operatorname{Tr}(KHLH)}{(n-1)^2}.

Dense routes (:func:`center`, :func:`hsic`, :func:`normalized_hsic`) take kernel matrices. The fused
route :func:`hsic_gaussian` never forms an n x n matrix: it streams Gaussian-kernel tiles
(BLAS GEMM for the distances, a vectorised exponential) and reduces them against the centred label
factor :math:`HY` in O(n (d + c)) extra memory.

Which normalisation each chapter uses is stated in the chapter; :func:`normalized_hsic` offers both
the double-centred CKA form and the authors' (Wu et al. 2022) form.
"""

from __future__ import annotations

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
from ._validation import (
    as_labels,
    as_matrix,
    check_choice,
    check_positive,
    one_hot,
    pow2_exponent,
    pow2_rescale,
)
from .kernels import _gaussian_kernel_numpy

__all__ = [
    "center",
    "hsic",
    "normalized_hsic",
    "hsic_gaussian",
    "hsic_gaussian_gamma",
]

_KAPPA_ROWS = 64  # rows used for the shift kappa (mean of a leading K block), see hsic_gaussian


# ---------------------------------------------------------------------------------------------
# Dense estimators
# ---------------------------------------------------------------------------------------------


def _as_kernel(K, name):
    K = as_matrix(K, name, min_rows=2)
    if K.shape[0] != K.shape[1]:
        raise ValueError(f"{name} must be a square (n, n) kernel matrix, got shape {K.shape}")
    return K


def _as_kernel_pair(K, L):
    K = _as_kernel(K, "K")
    L = _as_kernel(L, "L")
    if K.shape != L.shape:
        raise ValueError(f"K and L must have the same shape, got {K.shape} and {L.shape}")
    return K, L


def _center(K):
    col = K.mean(axis=0)
    row = K.mean(axis=1)
    return K - row[:, None] - col[None, :] + col.mean()


def center(K):
    r"""Double-centred kernel matrix :math:`HKH`.

    .. math::

        (HKH)_{ij} = K_{ij} - \bar K_{i\cdot} - \bar K_{\cdot j} + \bar K_{\cdot\cdot},
        \qquad H = I - \tfrac1n \mathbf 1 \mathbf 1^\top

    (Gretton et al. 2005). Computed from row and column means in O(n^2), never as a product.

    Parameters
    ----------
    K : array_like, shape (n, n), n >= 2

    Returns
    -------
    ndarray, shape (n, n)
    """
    return _center(_as_kernel(K, "K"))


def hsic(K, L):
    r"""Biased empirical HSIC.

    .. math::

        \mathrm{HSIC}(K, L) = \frac{\operatorname{Tr}(K H L H)}{(n-1)^2}
        = \frac{\langle HKH, HLH\rangle_F}{(n-1)^2}\quad(K, L \text{ symmetric})

    (Gretton et al. 2005, Definition 2; DEFINITIONS.md). For positive semi-definite ``K`` and ``L``
    it is >= 0. Computed as :math:`\sum_{ij} (HKH)_{ij} (HLH)_{ji}`, which equals the trace for any
    square ``K``, ``L``.

    Parameters
    ----------
    K, L : array_like, shape (n, n), n >= 2
        Kernel matrices on the same n samples (e.g. ``L = Y Y^T`` for one-hot labels ``Y``).

    Returns
    -------
    float
    """
    K, L = _as_kernel_pair(K, L)
    n = K.shape[0]
    # HSIC is bilinear in (K, L): compute on exact power-of-2 rescales when an entry is
    # outside [1e-100, 1e100] (the products overflowed), then scale back; in range: untouched
    eK, eL = pow2_exponent(K), pow2_exponent(L)
    if eK or eL:
        Ks, Ls = np.ldexp(K, -eK), np.ldexp(L, -eL)
        val = float(np.sum(_center(Ks) * _center(Ls).T)) / (n - 1) ** 2
        with np.errstate(over="ignore"):
            val = float(np.ldexp(val, eK + eL))
        if not np.isfinite(val):
            raise ValueError("K and L are too large: their HSIC overflows; rescale K or L")
        return val
    return float(np.sum(_center(K) * _center(L).T)) / (n - 1) ** 2


def normalized_hsic(K, L, *, variant="cka"):
    r"""Normalised HSIC, in one of two variants (DEFINITIONS.md).

    ``variant="cka"`` (double-centred; Cortes et al. 2012, Kornblith et al. 2019):

    .. math::

        \frac{\langle HKH, HLH\rangle_F}{\lVert HKH\rVert_F\, \lVert HLH\rVert_F} \in [0, 1]
        \quad (K, L \succeq 0).

    ``variant="authors"`` (Wu et al. 2022, ``src/tools/hsic.py`` of the authors' code):

    .. math::

        \frac{\langle HK, HL\rangle_F}{\lVert HK\rVert_F\, \lVert HL\rVert_F},
        \qquad (HK)_{ij} = K_{ij} - \bar K_{\cdot j}.

    Note: :math:`\langle HK, HL\rangle_F = \operatorname{Tr}(KHL)
    = \operatorname{Tr}(KHLH) + \tfrac1n \mathbf 1^\top K H L \mathbf 1`, so the two numerators
    agree when :math:`HL\mathbf 1 = 0` (e.g. balanced one-hot labels) and differ slightly
    otherwise. The authors' value lies in :math:`[-1, 1]` (Cauchy-Schwarz); both equal 1 for
    ``K = L``.

    Parameters
    ----------
    K, L : array_like, shape (n, n), n >= 2
    variant : {"cka", "authors"}

    Returns
    -------
    float

    Raises
    ------
    ValueError
        Bad shapes or values, unknown ``variant``, or a kernel that is constant after centring
        (zero norm: the ratio is undefined).
    """
    K, L = _as_kernel_pair(K, L)
    variant = check_choice(variant, "variant", ("cka", "authors"))
    K, L = pow2_rescale(K), pow2_rescale(L)  # scale-invariant; squares overflow near 1e160
    if variant == "cka":
        A, B = _center(K), _center(L)
    else:
        A, B = K - K.mean(axis=0), L - L.mean(axis=0)
    na, nb = np.linalg.norm(A), np.linalg.norm(B)
    # centring a constant matrix leaves rounding noise of a few eps max|K| per entry
    n = K.shape[0]
    eps = np.finfo(float).eps
    if not na > 16 * n * eps * np.max(np.abs(K)):
        raise ValueError("K is constant after centring (zero norm): normalised HSIC is undefined")
    if not nb > 16 * n * eps * np.max(np.abs(L)):
        raise ValueError("L is constant after centring (zero norm): normalised HSIC is undefined")
    return float(np.sum(A * B)) / (na * nb)


# ---------------------------------------------------------------------------------------------
# Fused Gaussian route
# ---------------------------------------------------------------------------------------------


@njit(cache=True, fastmath={"reassoc", "contract"})
def _dot4(v, z0, z1, z2, z3):  # pragma: no cover
    """Four dot products of ``v`` with ``z0..z3`` in one pass (vectorised: reassociation allowed).

    The summation order is fixed by the compiled loop and the length only, so the result does
    not depend on the thread that runs it.
    """
    a0 = 0.0
    a1 = 0.0
    a2 = 0.0
    a3 = 0.0
    for j in range(v.shape[0]):
        x = v[j]
        a0 += x * z0[j]
        a1 += x * z1[j]
        a2 += x * z2[j]
        a3 += x * z3[j]
    return a0, a1, a2, a3


@njit(cache=True, fastmath={"reassoc", "contract"})
def _sum_sumsq_cols(v, colacc):  # pragma: no cover
    """(sum v, sum v^2) and ``colacc += v``, one vectorised pass."""
    s1 = 0.0
    s2 = 0.0
    for j in range(v.shape[0]):
        x = v[j]
        s1 += x
        s2 += x * x
        colacc[j] += x
    return s1, s2


@njit(cache=True)
def _hsic_chunk(k, X, h, Zt, s, kappa, want_rows, tile, nchunks, pI, pJ, buf, Rk):  # pragma: no cover
    r"""Tile pairs k, k + nchunks, ... of the fused sums (see :func:`_hsic_gauss_par`).

    Returns this chunk's (num, sq) and adds its row sums of K' into ``Rk`` (if ``want_rows``).
    Only tiles (I, J >= I) are visited; an off-diagonal tile counts twice and its mirror adds
    its column sums to ``Rk``.
    """
    n = X.shape[0]
    c4 = Zt.shape[0]
    colacc = np.empty(tile)
    acc_num = 0.0
    acc_sq = 0.0
    for q in range(k, pI.shape[0], nchunks):
        i0 = pI[q] * tile
        i1 = min(i0 + tile, n)
        j0 = pJ[q] * tile
        j1 = min(j0 + tile, n)
        bi = i1 - i0
        bj = j1 - j0
        diag = pI[q] == pJ[q]
        G = _gauss_tile(X[i0:i1], X[j0:j1], h[i0:i1], h[j0:j1], s, buf, diag, kappa)
        tn = 0.0
        tsq = 0.0
        if want_rows:
            for j in range(bj):
                colacc[j] = 0.0
        for i in range(bi):
            row = G[i]
            for g in range(0, c4, 4):
                w0, w1, w2, w3 = _dot4(
                    row, Zt[g, j0:j1], Zt[g + 1, j0:j1], Zt[g + 2, j0:j1], Zt[g + 3, j0:j1]
                )
                tn += (
                    Zt[g, i0 + i] * w0
                    + Zt[g + 1, i0 + i] * w1
                    + Zt[g + 2, i0 + i] * w2
                    + Zt[g + 3, i0 + i] * w3
                )
            if want_rows:
                rs, rq = _sum_sumsq_cols(row, colacc[:bj])
                tsq += rq
                Rk[i0 + i] += rs
        if want_rows and not diag:
            for j in range(bj):
                Rk[j0 + j] += colacc[j]
        w = 1.0 if diag else 2.0
        acc_num += w * tn
        acc_sq += w * tsq
    return acc_num, acc_sq


@njit(cache=True)
def _hsic_combine(num, sq, R):  # pragma: no cover
    """Add the chunks' partial results in chunk order (fixed, thread-count independent)."""
    nr = R.shape[1]
    r = np.zeros(nr)
    tot_num = 0.0
    tot_sq = 0.0
    for k in range(num.shape[0]):
        tot_num += num[k]
        tot_sq += sq[k]
        for i in range(nr):
            r[i] += R[k, i]
    return tot_num, tot_sq, r


@njit(cache=True)
def _hsic_setup(X, s, want_rows, tile, nchunks):  # pragma: no cover
    """Half squared norms, the upper-triangle tile pairs and zeroed per-chunk accumulators
    (num, sq, R) shared by :func:`_hsic_gauss_par` and :func:`_hsic_gauss_ser`."""
    n = X.shape[0]
    h = _half_sq_norms(X, s)
    T = (n + tile - 1) // tile
    pI, pJ = _tile_pairs(T, T, True)
    num = np.zeros(nchunks)
    sq = np.zeros(nchunks)
    R = np.zeros((nchunks, n if want_rows else 0))
    return h, pI, pJ, num, sq, R


@njit(cache=True, parallel=True)
def _hsic_gauss_par(X, Zt, s, kappa, want_rows, tile, nchunks, scratch):  # pragma: no cover
    r"""Streamed sums over the Gaussian kernel K on X (centred rows) with weights <z_i, z_j>.

    ``Zt`` is the label factor transposed, (c4, n) with c4 a multiple of 4 (zero rows pad it).
    With K' = K - kappa, returns (num, sq, r) where num = sum_ij <z_i, z_j> K'_ij,
    sq = sum_ij K'_ij^2 and r_i = sum_j K'_ij (if want_rows; else sq = 0 and r has length 0).
    Tile pairs are dealt to ``nchunks`` chunks in a fixed round-robin order, each chunk
    accumulates sequentially and the chunks are added in index order, so the result does not
    depend on the number of threads (and equals :func:`_hsic_gauss_ser` bit for bit).
    ``scratch`` holds one tile buffer per chunk.
    """
    h, pI, pJ, num, sq, R = _hsic_setup(X, s, want_rows, tile, nchunks)
    for k in prange(nchunks):
        num[k], sq[k] = _hsic_chunk(
            k, X, h, Zt, s, kappa, want_rows, tile, nchunks, pI, pJ, scratch[k], R[k]
        )
    return _hsic_combine(num, sq, R)


@njit(cache=True)
def _hsic_gauss_ser(X, Zt, s, kappa, want_rows, tile, nchunks, scratch):  # pragma: no cover
    """One-thread twin of :func:`_hsic_gauss_par` (same chunks, same order, same result)."""
    h, pI, pJ, num, sq, R = _hsic_setup(X, s, want_rows, tile, nchunks)
    for k in range(nchunks):
        num[k], sq[k] = _hsic_chunk(
            k, X, h, Zt, s, kappa, want_rows, tile, nchunks, pI, pJ, scratch[0], R[k]
        )
    return _hsic_combine(num, sq, R)


def _label_factor(Y, n):
    """Y (labels or matrix) -> float64 (n, c) matrix whose Gram matrix is the label kernel L."""
    try:
        arr = np.asarray(Y)
    except ValueError as exc:  # ragged nested sequences
        raise ValueError(f"Y must be a 1-D label vector or a 2-D matrix: {exc}") from None
    if arr.ndim == 1:
        codes, classes = as_labels(arr, "Y", n_samples=n, min_classes=2)
        return one_hot(codes, classes.shape[0])
    Ym = as_matrix(arr, "Y")
    if Ym.shape[0] != n:
        raise ValueError(f"Y has {Ym.shape[0]} rows but X has {n} samples")
    return Ym


def _prepare_X(X, sigma):
    X = as_matrix(X, "X", min_rows=2)
    sigma = check_positive(sigma, "sigma")
    Xc = np.ascontiguousarray(X - X.mean(axis=0))
    return Xc, _inv_sq_bandwidth(sigma, Xc)


def _kappa(Xc, s):
    """Mean of the leading (m x m) block of K, m = min(n, 64): a cheap deterministic shift."""
    B = Xc[:_KAPPA_ROWS]
    sq = np.einsum("ij,ij->i", B, B)
    D = np.maximum(sq[:, None] + sq[None, :] - 2.0 * (B @ B.T), 0.0)
    return float(np.mean(np.exp(-0.5 * s * D)))


def _transpose_pad4(Z):
    """(n, c) -> C-contiguous (c4, n), c4 = 4 ceil(c / 4), padded with zero rows."""
    n, c = Z.shape
    Zt = np.zeros((-(-c // 4) * 4, n))
    Zt[:c] = Z.T
    return Zt


def _run_fused(Xc, s, Z, want_rows):
    kappa = _kappa(Xc, s) if want_rows else 0.0
    # Each numba thread calls BLAS on its own tile: one BLAS thread each (no oversubscription).
    with limit_threads(1):
        n, d = Xc.shape
        run = _hsic_gauss_par if _use_parallel(n * n / 2, d) else _hsic_gauss_ser
        scratch = _scratch(_NCHUNKS, _TILE)
        num, sq, r = run(Xc, _transpose_pad4(Z), s, kappa, want_rows, _TILE, _NCHUNKS, scratch)
    return num, sq, r, kappa


def hsic_gaussian_gamma(X, Z, *, sigma):
    r"""Fused :math:`\sum_{ij} \langle z_i, z_j\rangle K_{ij}` for a Gaussian ``K`` on ``X``.

    The low-level primitive behind :func:`hsic_gaussian`, for callers that hold a label factor
    already: with ``Z = H Y`` it returns :math:`\operatorname{Tr}(\Gamma K)` with
    :math:`\Gamma = ZZ^\top = HYY^\top H` (no division by :math:`(n-1)^2`), e.g. the objective
    :math:`\sum_{ij}\Gamma_{ij} K_{ij}` of the layer-wise network (DEFINITIONS.md). ``Z`` is used
    as given (not centred here). No n x n matrix is formed.

    Parameters
    ----------
    X : array_like, shape (n, d), n >= 2
    Z : array_like, shape (n, c)
    sigma : float, > 0

    Returns
    -------
    float
    """
    Xc, s = _prepare_X(X, sigma)
    Zm = as_matrix(Z, "Z", allow_1d=True)
    if Zm.shape[0] != Xc.shape[0]:
        raise ValueError(f"Z has {Zm.shape[0]} rows but X has {Xc.shape[0]} samples")
    with np.errstate(over="ignore", invalid="ignore"):
        num, _, _, _ = _run_fused(Xc, s, Zm, False)
    if not np.isfinite(num):
        raise ValueError(f"Z is too large: Tr(Z^T K Z) overflows (entries up to "
                         f"{float(np.max(np.abs(Zm))):.3g}); rescale Z")
    return float(num)


def _hsic_gaussian_numpy(X, Y, *, sigma, normalized=False):
    """Dense reference for :func:`hsic_gaussian`: forms K (direct differences) and L = YY^T and
    calls :func:`hsic` / :func:`normalized_hsic`; the tests compare the fused route against it."""
    X = np.asarray(X, dtype=np.float64)
    Ym = _label_factor(Y, X.shape[0])
    K = _gaussian_kernel_numpy(X, sigma=sigma)
    L = Ym @ Ym.T
    if normalized is False:
        return hsic(K, L)
    variant = "cka" if normalized is True else normalized
    return normalized_hsic(K, L, variant=variant)


def hsic_gaussian(X, Y, *, sigma, normalized=False):
    r"""HSIC between a Gaussian kernel on ``X`` and a linear kernel on labels ``Y``, fused.

    With :math:`K_{ij} = \exp(-\lVert x_i - x_j\rVert^2 / (2\sigma^2))`, :math:`L = YY^\top`
    (one-hot ``Y`` for class labels), :math:`Z = HY` and :math:`\Gamma = HLH = ZZ^\top`:

    .. math::

        \mathrm{HSIC} = \frac{\operatorname{Tr}(\Gamma K)}{(n-1)^2}
        = \frac{1}{(n-1)^2} \sum_{ij} \langle z_i, z_j\rangle K_{ij},

    the same value as ``hsic(gaussian_kernel(X, sigma=sigma), Y @ Y.T)``, computed without any
    n x n matrix: K is streamed in 256 x 256 tiles (only tiles on or above the diagonal), each a BLAS
    GEMM plus a vectorised exponential, reduced against ``Z`` in a fixed order (the result does
    not depend on the number of threads). Extra memory: a centred copy of X and the label factor,
    O(n (d + c)), plus 16 tile buffers of 512 KiB kept between calls (12 MiB in all measured at
    n = 20,000, d = 50; ``benchmarks/README.md``). Small problems (below about 2e8 operations,
    n ~ 2,600 at d = 50) run on one thread: starting numba's threads costs more there.

    ``normalized`` selects a normalised form, computed in the same single pass:

    * ``True`` or ``"cka"``: :math:`\operatorname{Tr}(\Gamma K) / (\lVert HKH\rVert_F
      \lVert HLH\rVert_F)`, as ``normalized_hsic(K, L, variant="cka")``, using
      :math:`\lVert HKH\rVert_F^2 = \sum_{ij} K_{ij}^2 - \tfrac2n \lVert r\rVert^2 + s^2/n^2`
      (:math:`r = K\mathbf 1`, :math:`s = \mathbf 1^\top K \mathbf 1`) and
      :math:`\lVert HLH\rVert_F = \lVert Z^\top Z\rVert_F`;
    * ``"authors"``: :math:`\langle HK, HL\rangle_F / (\lVert HK\rVert_F \lVert HL\rVert_F)`, as
      ``normalized_hsic(K, L, variant="authors")``, using :math:`\langle HK, HL\rangle_F =
      \operatorname{Tr}(\Gamma K) + r^\top Z \bar y` (:math:`\bar y` the column means of ``Y``),
      :math:`\lVert HK\rVert_F^2 = \sum K_{ij}^2 - \lVert r\rVert^2/n`,
      :math:`\lVert HL\rVert_F^2 = \langle Z^\top Z, Y^\top Y\rangle_F`.

    These sums cancel when K is nearly constant (large sigma), so they are accumulated for
    :math:`K - \kappa` (:math:`\kappa` the mean of a leading 64 x 64 block of K), which leaves
    every centred quantity unchanged and removes most of the cancellation.

    Parameters
    ----------
    X : array_like, shape (n, d), n >= 2
    Y : array_like, shape (n,) or (n, c)
        Class labels (integers or strings; at least two classes) or a real matrix whose linear
        kernel :math:`YY^\top` is L. A 2-D array is always read as a matrix.
    sigma : float, > 0
    normalized : {False, True, "cka", "authors"}

    Returns
    -------
    float

    Raises
    ------
    ValueError
        Bad ``X``/``Y`` (shape, NaN/inf, lengths, fewer than two samples or classes),
        ``sigma <= 0``, unknown ``normalized``, or a kernel that is constant after centring when a
        normalised value is asked for.
    """
    if isinstance(normalized, (bool, np.bool_)):
        normalized = bool(normalized)
    elif not (isinstance(normalized, str) and normalized in ("cka", "authors")):
        raise ValueError(
            f"normalized must be one of False, True, 'cka', 'authors'; got {normalized!r}"
        )
    Xc, s = _prepare_X(X, sigma)
    n = Xc.shape[0]
    Ym = _label_factor(Y, n)
    want = normalized is not False
    if want:
        Ym = pow2_rescale(Ym)  # the normalised value is scale-invariant in Y
    ybar = Ym.mean(axis=0)
    Z = np.ascontiguousarray(Ym - ybar)
    with np.errstate(over="ignore", invalid="ignore"):
        num, sq, r, kappa = _run_fused(Xc, s, Z, want)
    if not want:
        if not np.isfinite(num):
            raise ValueError(f"Y is too large: HSIC scales as |Y|^2 and overflows (entries up "
                             f"to {float(np.max(np.abs(Ym))):.3g}); rescale Y or use "
                             "normalized=True")
        return float(num) / (n - 1) ** 2
    ZtZ = Z.T @ Z
    rs = float(np.sum(r))
    rr = float(r @ r)
    # Sum of K^2 without the shift, for the zero-norm test: sum (K' + kappa)^2.
    sq_raw = sq + 2.0 * kappa * rs + n * n * kappa * kappa
    tiny = 64.0 * np.finfo(float).eps * max(sq_raw, 1e-300)
    if normalized == "authors":
        numer = num + float(r @ (Z @ ybar))
        nk2 = sq - rr / n
        nl2 = float(np.sum(ZtZ * (Ym.T @ Ym)))
    else:
        numer = num
        nk2 = sq - 2.0 * rr / n + rs * rs / n**2
        nl2 = float(np.sum(ZtZ * ZtZ))
    if not nk2 > tiny:
        raise ValueError(
            "X gives a Gaussian kernel that is constant after centring (zero norm): "
            "normalised HSIC is undefined"
        )
    # Z = Y - mean(Y) of a constant Y is rounding noise (~eps |Y|): ||Z^T Z||_F^2 ~ (n eps^2 |y|^2)^2
    if not nl2 > (64.0 * np.finfo(float).eps * float(np.sum(Ym * Ym))) ** 2:
        raise ValueError("Y is constant after centring (zero norm): normalised HSIC is undefined")
    return float(numer / np.sqrt(nk2 * nl2))
