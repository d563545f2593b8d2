r"""Kernel ridge regression: direct (Cholesky) and iterative solves, matrix-free kernel mat-vecs.

Source: seed ``004_cd66bda136cc5f5c.txt``, "Kernel methods for big data" (credit M. Belkin):
the system :math:`K\alpha^\star = y` costs :math:`n^3` by direct inversion, while the iteration
:math:`\alpha^{(t)} = \alpha^{(t-1)} - \eta(K\alpha^{(t-1)} - y)` (Richardson / Landweber /
gradient descent) costs :math:`n^2` per step. Here every solver works on the ridge system

.. math::

    (K + \mu I)\,\alpha = y, \qquad \mu > 0,

and reports its iteration count and relative residual history
:math:`\lVert (K + \mu I)\alpha^{(t)} - y\rVert / \lVert y\rVert`.

* :func:`solve_direct`: Cholesky factorisation (``scipy.linalg.cho_factor``), :math:`n^3/3`
  multiply-adds, :math:`n^2` memory.
* :func:`richardson`: Richardson/Landweber iteration, step :math:`1/\lambda_{\max}`;
  iterations :math:`\approx \kappa \log(1/\mathrm{tol})`, :math:`\kappa = (\lambda_1+\mu)/\mu`.
* :func:`conjugate_gradient`: CG, iterations :math:`\approx \tfrac12\sqrt\kappa\log(2/\mathrm{tol})`.
* :class:`NystromPreconditioner`: a rank-:math:`k` Nystrom approximation
  :math:`K \approx \hat U\hat\Lambda\hat U^\top` from :math:`s` landmark columns (Williams &
  Seeger 2001) used as the preconditioner
  :math:`P^{-1} = (\hat\lambda_k + \mu)\hat U(\hat\Lambda + \mu I)^{-1}\hat U^\top
  + (I - \hat U\hat U^\top)` (Frangella, Tropp & Udell 2023). It flattens the top :math:`k`
  eigenvalues to :math:`\hat\lambda_k + \mu`, which is EigenPro's idea (Ma & Belkin 2017:
  precondition the top of the spectrum so that a larger step is stable); with it, Richardson
  needs :math:`\approx (\lambda_k + \mu)/\mu` instead of :math:`(\lambda_1 + \mu)/\mu`
  iterations per factor :math:`e`.
* :class:`KernelOperator`: :math:`K v` without forming :math:`K` (O(n) memory); the Gaussian
  kernel runs as a fused, tiled numba loop built on the private tile engine
  :mod:`kernelnet._tiles` (the same tiles as :func:`kernelnet.kernels.gaussian_kernel`, so the
  formula exists once); any other kernel of :data:`kernelnet.kernels.KERNELS` (e.g.
  :func:`kernelnet.kernels.ntk_relu`), or a callable, is applied tile by tile.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg
from numba import njit, prange

from ._threads import limit_threads
from ._tiles import _TILE, _gauss_tile, _half_sq_norms, _inv_sq_bandwidth, _tile_pairs
from ._validation import (
    as_matrix,
    as_rng,
    check_choice,
    check_int,
    check_positive,
    pow2_exponent,
)
from .kernels import KERNELS, gaussian_kernel

__all__ = [
    "solve_direct",
    "SolveResult",
    "richardson",
    "conjugate_gradient",
    "largest_eigenvalue",
    "NystromPreconditioner",
    "KernelOperator",
    "kernel_matvec",
    "direct_flops",
    "matvec_flops",
]


# ---------------------------------------------------------------------------------------------
# Direct
# ---------------------------------------------------------------------------------------------


def _check_rhs(y, n, name="y", of="K"):
    try:
        y = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a numeric array, got {type(y).__name__}: {exc}") from None
    if y.ndim not in (1, 2):
        raise ValueError(f"{name} must be 1-D or 2-D, got shape {y.shape}")
    if y.shape[0] != n:
        raise ValueError(f"{name} must have {n} rows (the size of {of}), got shape {y.shape}")
    if not np.all(np.isfinite(y)):
        raise ValueError(f"{name} contains non-finite values")
    return np.ascontiguousarray(y)


_SYMMETRY_RTOL = 1e-10  # rounding-level asymmetry (1e-16 relative) passes; a real one does not


def _check_square(K, name="K"):
    """Square, finite and symmetric (every solver here assumes a symmetric PSD matrix; a
    Cholesky factorisation of a non-symmetric one silently uses its lower triangle)."""
    K = as_matrix(K, name)
    if K.shape[0] != K.shape[1]:
        raise ValueError(f"{name} must be square, got shape {K.shape}")
    n = K.shape[0]
    scale = float(np.max(np.abs(K))) if n else 0.0
    for i in range(0, n, 256):  # row blocks: O(256 n) extra memory, not O(n^2)
        asym = float(np.max(np.abs(K[i:i + 256] - K[:, i:i + 256].T)))
        if asym > _SYMMETRY_RTOL * scale:
            raise ValueError(
                f"{name} must be symmetric (positive semi-definite); max |{name} - {name}^T| = "
                f"{asym:.3g} for entries up to {scale:.3g}"
            )
    return K


def solve_direct(K, y, *, ridge):
    r"""Solve :math:`(K + \mu I)\alpha = y` by a Cholesky factorisation.

    .. math::

        K + \mu I = LL^\top,\qquad \alpha = L^{-\top}L^{-1}y,

    :math:`n^3/3` multiply-adds for the factorisation (seed 004: "direct inversion: cost
    :math:`n^3`"). ``K`` must be symmetric positive semi-definite; ``K`` itself is not modified.

    Parameters
    ----------
    K : array_like, shape (n, n)
    y : array_like, shape (n,) or (n, k)
    ridge : float, > 0
        :math:`\mu`.

    Returns
    -------
    alpha : ndarray, shape of ``y``

    Raises
    ------
    ValueError
        Non-square or non-finite ``K``, wrong ``y`` shape, ``ridge <= 0``, or ``K + ridge I`` not
        positive definite (``K`` not PSD).
    """
    K = _check_square(K)
    y = _check_rhs(y, K.shape[0])
    ridge = check_positive(ridge, "ridge")
    A = K.copy()
    A[np.diag_indices_from(A)] += ridge
    try:
        c = scipy.linalg.cho_factor(A, lower=True, overwrite_a=True, check_finite=False)
    except np.linalg.LinAlgError as exc:
        raise ValueError(f"K + ridge*I is not positive definite (is K PSD?): {exc}") from None
    return scipy.linalg.cho_solve(c, y, check_finite=False)


def direct_flops(n):
    """FLOPs of a Cholesky solve of size ``n``: :math:`n^3/3` multiply-adds = :math:`2n^3/3` flops
    (plus :math:`2n^2` per right-hand side)."""
    n = check_int(n, "n", minimum=1)
    return 2.0 * n**3 / 3.0 + 2.0 * n**2


def matvec_flops(n, d=0, kernel_evals=True):
    """FLOPs of one kernel mat-vec: :math:`2n^2` for a stored matrix; matrix-free adds the
    :math:`n^2 d` multiply-adds of the Gram tiles (both triangles are used, half are computed)."""
    n = check_int(n, "n", minimum=1)
    d = check_int(d, "d", minimum=0)
    return 2.0 * n**2 + (float(n) ** 2 * d if kernel_evals else 0.0)


# ---------------------------------------------------------------------------------------------
# Matrix-free kernel operator
# ---------------------------------------------------------------------------------------------


@njit(cache=True, parallel=True)
def _gauss_matvec_nb(X, V, s, tile, nchunks):  # pragma: no cover
    """``K @ V`` for the Gaussian kernel of the rows of ``X``, never storing ``K``.

    Tiles ``(I, J)`` with ``I <= J`` only (``K`` is symmetric): each off-diagonal tile is used for
    its rows and, transposed, for its columns. Tile pairs are dealt round-robin to ``nchunks``
    chunks with their own accumulators, which are summed in chunk order at the end, so the result
    does not depend on the number of threads. The tile values come from
    :func:`kernelnet._tiles._gauss_tile` (same formula and exponential as ``gaussian_kernel``).
    """
    n = X.shape[0]
    q = V.shape[1]
    # a plain loop (_tiles._half_sq_norms): a vector np.dot inside a parallel=True function
    # becomes a parallel reduction whose rounding depends on the thread count
    h = _half_sq_norms(X, s)
    T = (n + tile - 1) // tile
    pI, pJ = _tile_pairs(T, T, True)  # the same upper-triangle order as kernels/hsic
    npairs = pI.shape[0]
    acc = np.zeros((nchunks, n, q))
    for k in prange(nchunks):
        buf = np.empty(tile * tile)
        for t in range(k, npairs, nchunks):
            i0 = pI[t] * tile
            i1 = min(i0 + tile, n)
            j0 = pJ[t] * tile
            j1 = min(j0 + tile, n)
            diag = pI[t] == pJ[t]
            G = _gauss_tile(X[i0:i1], X[j0:j1], h[i0:i1], h[j0:j1], s, buf, diag)
            acc[k, i0:i1] += np.dot(G, np.ascontiguousarray(V[j0:j1]))
            if not diag:
                acc[k, j0:j1] += np.dot(G.T, np.ascontiguousarray(V[i0:i1]))
    out = np.zeros((n, q))
    for k in range(nchunks):
        out += acc[k]
    return out


class KernelOperator:
    r"""A kernel matrix :math:`K_{ij} = k(x_i, x_j)` that is applied, never stored.

    Parameters
    ----------
    X : array_like, shape (n, d)
    kernel : {"gaussian", "relu", "nngp_relu", "ntk_relu"} or callable
        A name of :data:`kernelnet.kernels.KERNELS`. ``"gaussian"`` (needs ``sigma``) runs the
        fused numba mat-vec; any other name, or a callable ``kernel(A, B) -> matrix``, runs tile
        by tile (``tile`` x ``tile`` blocks, only the upper block triangle evaluated).
    sigma : float, optional
        Gaussian bandwidth.
    tile : int
        Block size of the generic path (memory ``tile**2`` doubles).

    Notes
    -----
    Memory is O(n q) for a mat-vec with q right-hand sides. One mat-vec costs :math:`n^2/2`
    kernel evaluations and :math:`n^2 d` Gram multiply-adds plus :math:`2 n^2 q` flops.
    """

    def __init__(self, X, kernel="gaussian", *, sigma=None, tile=2048, nchunks=16):
        self.X = as_matrix(X, "X")
        if callable(kernel):
            self._fn = kernel
            self.kernel = getattr(kernel, "__name__", "callable")
        else:
            check_choice(kernel, "kernel", tuple(KERNELS))
            self.kernel = kernel
            self._fn = KERNELS[kernel]
        if self.kernel == "gaussian":
            if sigma is None:
                raise ValueError("sigma must be given for kernel='gaussian'")
            self.sigma = check_positive(sigma, "sigma")
            # centre once (distances are translation invariant; as gaussian_kernel does)
            self._Xc = np.ascontiguousarray(self.X - self.X.mean(axis=0))
            # |x|^2 / sigma^2 must not overflow (else inf - inf = NaN inside the mat-vec): the
            # same check and message as gaussian_kernel
            _inv_sq_bandwidth(self.sigma, self._Xc)
            # 1/sigma^2 as before; a sigma whose square overflows gives s = 0 (K = all ones)
            self._s = 1.0 / self.sigma**2 if self.sigma < 1e150 else 0.0
        else:
            self.sigma = None
        self.tile = check_int(tile, "tile", minimum=1)
        self.nchunks = check_int(nchunks, "nchunks", minimum=1)
        self.n_matvec = 0

    @property
    def shape(self):
        n = self.X.shape[0]
        return (n, n)

    def _block(self, A, B):
        if self.kernel == "gaussian":
            return gaussian_kernel(A, B, sigma=self.sigma)
        return self._fn(A, B)

    def columns(self, idx):
        """The columns ``K[:, idx]``, shape (n, len(idx))."""
        idx = np.asarray(idx, dtype=np.int64)
        return self._block(self.X, self.X[idx])

    def diag(self):
        """The diagonal of ``K`` (evaluated pointwise)."""
        if self.kernel == "gaussian":
            return np.ones(self.X.shape[0])
        return np.array([self._fn(x[None, :], None)[0, 0] for x in self.X])

    def dense(self):
        """The full matrix (for tests and small n)."""
        return self._block(self.X, None)

    def matvec(self, v):
        r""":math:`K v` for ``v`` of shape (n,) or (n, q)."""
        n = self.X.shape[0]
        v = _check_rhs(v, n, "v", of="X")
        V = v[:, None] if v.ndim == 1 else v
        self.n_matvec += 1
        if self.kernel == "gaussian":
            # each numba thread calls BLAS on its own tile: BLAS itself on one thread
            with limit_threads(1):
                out = _gauss_matvec_nb(self._Xc, np.ascontiguousarray(V), self._s,
                                       _TILE, self.nchunks)
        else:
            out = np.zeros_like(V)
            b = self.tile
            for i0 in range(0, n, b):
                i1 = min(i0 + b, n)
                for j0 in range(i0, n, b):
                    j1 = min(j0 + b, n)
                    if j0 == i0:
                        Kt = self._fn(self.X[i0:i1], None)
                        out[i0:i1] += Kt @ V[i0:i1]
                    else:
                        Kt = self._fn(self.X[i0:i1], self.X[j0:j1])
                        out[i0:i1] += Kt @ V[j0:j1]
                        out[j0:j1] += Kt.T @ V[i0:i1]
        if not np.all(np.isfinite(out)):
            raise ValueError(f"v is too large: K v overflows (entries of v up to "
                             f"{float(np.max(np.abs(V))):.3g}); rescale v")
        return out[:, 0] if v.ndim == 1 else out

    __matmul__ = matvec


def kernel_matvec(X, v, *, kernel="gaussian", sigma=None):
    r"""Matrix-free :math:`K v`, :math:`K_{ij} = k(x_i, x_j)` (see :class:`KernelOperator`)."""
    return KernelOperator(X, kernel, sigma=sigma).matvec(v)


# ---------------------------------------------------------------------------------------------
# Iterative solvers
# ---------------------------------------------------------------------------------------------


def _as_operator(A):
    if isinstance(A, KernelOperator):
        return A.shape[0], A.matvec
    A = _check_square(A, "A")
    big = float(np.max(np.abs(A))) if A.size else 0.0
    if big > 1e150:
        # the iterations form squared norms (numpy's norm is sqrt(v.v)): they would overflow
        raise ValueError(f"A has entries of magnitude {big:.3g} > 1e150: the iterations' "
                         "squared norms overflow; rescale A (and ridge)")
    return A.shape[0], lambda v: A @ v


@dataclass
class SolveResult:
    """Output of an iterative solver.

    Attributes
    ----------
    coef : ndarray (n,)
        The solution :math:`\\alpha`.
    n_iter : int
        Iterations taken (one mat-vec each).
    converged : bool
        Whether the relative residual reached ``tol``.
    residuals : ndarray
        Relative residual :math:`\\lVert(K+\\mu I)\\alpha^{(t)} - y\\rVert/\\lVert y\\rVert`,
        t = 0..n_iter.
    step : float or None
        Richardson step size.
    diverged : bool (property)
        The iteration blew up (see :attr:`diverged`).
    seconds : float
        Wall time of the iteration (excluding preconditioner set-up).
    """

    coef: np.ndarray
    n_iter: int
    converged: bool
    residuals: np.ndarray
    method: str
    step: float | None = None
    seconds: float = 0.0
    info: dict = field(default_factory=dict)

    @property
    def diverged(self) -> bool:
        """True when the iteration blew up (Richardson with too large a step stops once the
        relative residual exceeds 1e6 or is non-finite; ``coef`` is then not a solution)."""
        res = np.asarray(self.residuals, dtype=float)
        return bool(res.size and (not np.all(np.isfinite(res)) or res[-1] > 1e6))


def largest_eigenvalue(A, *, n_iter=50, rtol=1e-3, preconditioner=None, ridge=0.0,
                       random_state=0):
    r"""Power-iteration estimate of :math:`\lambda_{\max}` of :math:`P^{-1}(A + \mu I)` (or of A).

    Converges from below; with a stopping rule on the relative change (``rtol``). Used to pick
    the Richardson step: any :math:`\eta < 2/\lambda_{\max}` is stable.
    """
    n, mv = _as_operator(A)
    n_iter = check_int(n_iter, "n_iter", minimum=1)
    v = as_rng(random_state).standard_normal(n)
    v /= np.linalg.norm(v)
    lam = 0.0
    for _ in range(n_iter):
        w = mv(v) + ridge * v
        if preconditioner is not None:
            w = preconditioner.apply(w)
        lam_new = float(np.linalg.norm(w))
        if lam_new == 0.0:
            return 0.0
        v = w / lam_new
        if abs(lam_new - lam) <= rtol * lam_new:
            lam = lam_new
            break
        lam = lam_new
    return lam


def _check_iter_args(A, y, ridge, tol, max_iter):
    n, mv = _as_operator(A)
    y = _check_rhs(y, n)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D for the iterative solvers, got shape {y.shape}")
    ridge = check_positive(ridge, "ridge")
    tol = check_positive(tol, "tol")
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    # the solution is linear in y: solve for y * 2**-e when |y| is outside [1e-100, 1e100]
    # (squared norms over/underflow there; exact, and y in range is untouched)
    e = pow2_exponent(y)
    return n, mv, (np.ldexp(y, -e) if e else y), ridge, tol, max_iter, e


def _unscale(x, e):
    if not e:
        return x
    with np.errstate(over="ignore"):
        x = np.ldexp(x, e)
    if not np.all(np.isfinite(x)):
        raise ValueError("y is too large: the solution overflows; rescale y")
    return x


def richardson(A, y, *, ridge, step=None, tol=1e-6, max_iter=10_000, preconditioner=None,
               random_state=0):
    r"""Richardson (Landweber) iteration for :math:`(K + \mu I)\alpha = y`.

    .. math::

        \alpha^{(t)} = \alpha^{(t-1)} - \eta\, P^{-1}\big((K + \mu I)\alpha^{(t-1)} - y\big),
        \qquad \alpha^{(0)} = 0,

    seed 004 ("Iterative: ... [Richardson, Landweber, GD]"; :math:`P = I` there) with
    :math:`\eta = 1/\hat\lambda_{\max}(P^{-1}(K + \mu I))` from :func:`largest_eigenvalue`
    (power iteration under-estimates, but stays above :math:`\lambda_{\max}/2`, so
    :math:`\eta < 2/\lambda_{\max}` holds). It is gradient descent on
    :math:`\tfrac12\alpha^\top(K + \mu I)\alpha - y^\top\alpha`; the error in the eigendirection
    :math:`i` shrinks by :math:`1 - \eta(\lambda_i + \mu)` per step.

    Parameters
    ----------
    A : array_like (n, n) or KernelOperator
    y : array_like (n,)
    ridge : float, > 0
    step : float, optional
        :math:`\eta`; default as above.
    tol : float
        Stop when the relative residual is below ``tol``.
    max_iter : int
    preconditioner : NystromPreconditioner, optional
        EigenPro-style preconditioning of the top of the spectrum.

    Returns
    -------
    SolveResult
    """
    n, mv, y, ridge, tol, max_iter, e = _check_iter_args(A, y, ridge, tol, max_iter)
    if step is None:
        lam = largest_eigenvalue(A, ridge=ridge, preconditioner=preconditioner,
                                 random_state=random_state)
        step = 1.0 / lam
    else:
        step = check_positive(step, "step")
    t0 = time.perf_counter()
    ynorm = float(np.linalg.norm(y)) or 1.0
    x = np.zeros(n)
    r = y.copy()  # y - A x
    res = [float(np.linalg.norm(r)) / ynorm]
    it = 0
    while res[-1] > tol and it < max_iter:
        z = preconditioner.apply(r) if preconditioner is not None else r
        x += step * z
        r = y - (mv(x) + ridge * x)
        it += 1
        res.append(float(np.linalg.norm(r)) / ynorm)
        if not np.isfinite(res[-1]) or res[-1] > 1e6:
            break  # diverged (step too large): reported through converged=False
    return SolveResult(_unscale(x, e), it, res[-1] <= tol, np.array(res),
                       "richardson" if preconditioner is None else "richardson+nystrom",
                       step=step, seconds=time.perf_counter() - t0)


def conjugate_gradient(A, y, *, ridge, tol=1e-6, max_iter=10_000, preconditioner=None):
    r"""(Preconditioned) conjugate gradients for :math:`(K + \mu I)\alpha = y`.

    Hestenes & Stiefel (1952); preconditioned form as in Saad, *Iterative Methods*, Alg. 9.1.
    Converges in at most :math:`n` steps in exact arithmetic, and the error in the
    :math:`(K + \mu I)`-norm falls at least like
    :math:`2\big((\sqrt\kappa - 1)/(\sqrt\kappa + 1)\big)^t`. One mat-vec per iteration.
    The residual is recomputed as :math:`y - (K+\mu I)\alpha` only at the end (reported in
    ``info["true_residual"]``); the history holds the recursively updated residuals.

    Returns
    -------
    SolveResult
    """
    n, mv, y, ridge, tol, max_iter, e = _check_iter_args(A, y, ridge, tol, max_iter)
    t0 = time.perf_counter()
    ynorm = float(np.linalg.norm(y)) or 1.0
    x = np.zeros(n)
    r = y.copy()
    z = preconditioner.apply(r) if preconditioner is not None else r.copy()
    p = z.copy()
    rz = float(r @ z)
    res = [float(np.linalg.norm(r)) / ynorm]
    it = 0
    while res[-1] > tol and it < max_iter:
        Ap = mv(p) + ridge * p
        alpha = rz / float(p @ Ap)
        x += alpha * p
        r -= alpha * Ap
        it += 1
        res.append(float(np.linalg.norm(r)) / ynorm)
        if res[-1] <= tol:
            break
        z = preconditioner.apply(r) if preconditioner is not None else r
        rz_new = float(r @ z)
        p = z + (rz_new / rz) * p
        rz = rz_new
    seconds = time.perf_counter() - t0
    true_res = float(np.linalg.norm(y - (mv(x) + ridge * x))) / ynorm
    return SolveResult(_unscale(x, e), it, res[-1] <= tol, np.array(res),
                       "cg" if preconditioner is None else "cg+nystrom", seconds=seconds,
                       info={"true_residual": true_res})


class NystromPreconditioner:
    r"""Rank-:math:`k` Nystrom preconditioner for :math:`K + \mu I`.

    From :math:`s` landmark columns :math:`C = K_{:,S}`, :math:`W = K_{SS}` (uniform sample
    without replacement), :math:`K \approx C W^{+} C^\top = F F^\top`,
    :math:`F = C V_W \Lambda_W^{-1/2}` (eigenvalues of :math:`W` below :math:`10^{-10}\max` dropped);
    the thin SVD :math:`F = \hat U\Sigma Z^\top` gives :math:`\hat\Lambda = \Sigma^2` and

    .. math::

        P^{-1} = (\hat\lambda_k + \mu)\,\hat U_k(\hat\Lambda_k + \mu I)^{-1}\hat U_k^\top
                 + (I - \hat U_k\hat U_k^\top)

    (Williams & Seeger 2001; Frangella, Tropp & Udell 2023, eq. 5.3; the top-eigenvector
    damping of EigenPro, Ma & Belkin 2017). Set-up: :math:`n s` kernel evaluations,
    :math:`O(n s^2)` flops; applying it: :math:`O(n k)`.

    Parameters
    ----------
    A : array_like (n, n) or KernelOperator
    rank : int, >= 1
    ridge : float, > 0
    n_landmarks : int, optional
        :math:`s \ge k`; default ``min(n, max(2 * rank, rank + 50))``.
    random_state : int or Generator
    """

    def __init__(self, A, *, rank, ridge, n_landmarks=None, random_state=0):
        if isinstance(A, KernelOperator):
            n = A.shape[0]
            get_cols = A.columns
        else:
            Ad = _check_square(A, "A")
            n = Ad.shape[0]
            get_cols = lambda idx: Ad[:, idx]  # noqa: E731
        self.rank = check_int(rank, "rank", minimum=1, maximum=n)
        self.ridge = check_positive(ridge, "ridge")
        s = min(n, max(2 * self.rank, self.rank + 50)) if n_landmarks is None else n_landmarks
        s = check_int(s, "n_landmarks", minimum=self.rank, maximum=n)
        rng = as_rng(random_state)
        idx = np.sort(rng.choice(n, size=s, replace=False))
        C = get_cols(idx)
        Wm = C[idx]
        Wm = 0.5 * (Wm + Wm.T)
        ew, Vw = np.linalg.eigh(Wm)
        keep = ew > 1e-10 * max(ew.max(), 0.0)
        if not np.any(keep):
            raise ValueError("A has no positive eigenvalue on the landmark block (a zero or "
                             "negative semi-definite matrix): the Nystrom approximation is empty")
        F = C @ (Vw[:, keep] / np.sqrt(ew[keep]))
        Uf, sv, _ = np.linalg.svd(F, full_matrices=False)
        k = min(self.rank, sv.size)
        self.U = np.ascontiguousarray(Uf[:, :k])
        self.eigenvalues = sv[:k] ** 2
        self.landmarks = idx
        lam_k = self.eigenvalues[-1]
        self._scale = (lam_k + self.ridge) / (self.eigenvalues + self.ridge) - 1.0

    def apply(self, v):
        r""":math:`P^{-1}v = v + \hat U_k\,\mathrm{diag}\big(\tfrac{\hat\lambda_k + \mu}{\hat\lambda_i + \mu} - 1\big)\hat U_k^\top v`."""
        return v + self.U @ (self._scale * (self.U.T @ v))
