r"""ISM (iterative spectral method, eq. 9): the fixed point :math:`W^*` of
:math:`W \mapsto` the top-:math:`q` eigenvectors of :math:`Q(W)`, the layer width rule, and the
grower of the ISM network (bandwidth, width, :math:`W^*`, random features, supervised kernel
PCA on the last layer).
"""

from __future__ import annotations

import math
import time

import numpy as np
import scipy.linalg
from sklearn.metrics.pairwise import rbf_kernel

from kernelnet._validation import (
    as_labels,
    as_matrix,
    check_int,
    check_positive,
    one_hot,
    pow2_rescale,
)
from kernelnet.layerwise._bandwidth import _SIGMA_GRID, _opt_sigma, _rff
from kernelnet.layerwise._common import (
    Grown,
    _as_start,
    _blas_one_thread,
    _centred_one_hot,
    _sign_fix,
)
from kernelnet.layerwise._metrics import _layer_metrics, _silhouette
from kernelnet.layerwise._objective import orthonormalize

def _top_eigh(B: np.ndarray, q: int):
    """Eigenvalues (descending) and eigenvectors of the q largest eigenvalues of symmetric B."""
    r = B.shape[0]
    B = 0.5 * (B + B.T)
    if q >= r:
        lam, V = np.linalg.eigh(B)
    else:
        lam, V = scipy.linalg.eigh(
            B, subset_by_index=[r - q, r - 1], driver="evr", check_finite=False
        )
    return lam[::-1].copy(), _sign_fix(V[:, ::-1])


def _taylor_start(P, A, q, axes=None):
    """Start of the ISM iteration (K = 1, the Taylor approximation of ISM).

    With K = 1, Q_0 = P^T Gamma P (Gamma 1 = 0) has rank c - 1: only its c - 1 eigenvectors with
    nonzero eigenvalue are determined (the authors' code takes whatever LAPACK returns for the
    others). Here they are completed by the leading principal axes of P (``axes``, columns
    ordered by variance; default: the identity, P already in principal axes), Gram-Schmidt. The
    start is thus deterministic and the same in every route.
    """
    r = P.shape[1]
    U, s, _ = np.linalg.svd(P.T @ A, full_matrices=False)  # r x c, cheap
    k = int(np.count_nonzero(s > 1e-10 * max(s[0], 1e-300)))
    k = min(k, q)
    basis = [U[:, :k]]
    if q > k:
        ax = np.eye(r)[:, : min(r, q + k)] if axes is None else axes[:, : min(r, q + k)]
        basis.append(ax)
    M = np.hstack(basis)
    Qm, Rm = np.linalg.qr(M)
    # drop columns that were (nearly) dependent on the informative ones
    good = np.abs(np.diag(Rm)) > 1e-8
    E = Qm[:, good][:, :q]
    if E.shape[1] < q:  # pragma: no cover - only if P has rank < q
        extra = np.linalg.qr(np.hstack([E, np.eye(r)]))[0][:, E.shape[1] : q]
        E = np.hstack([E, extra])
    return None, _sign_fix(E)


# Subspace test of the ISM loop, on 1 - cos^2(largest principal angle): 1e-12 is ~1e4 eps,
# above the rounding noise of eigenvectors of a well-separated cluster (~eps / gap), so a
# fixed point is recognised, and well below any real move of the iteration.
_SUBSPACE_TOL = 1.0e-12
# The same in float32 (precision="single"): eigenvectors carry ~1e-6 relative noise there, so
# 1 - cos^2 cannot go below ~1e-12; 1e-8 (an angle of 1e-4) still sits far below the moves of
# the iteration and is what a 2-cycle returns to.
_SUBSPACE_TOL_SINGLE = 1.0e-8


def _gauss_from(Z, sigma, out, clip=True):
    """exp(-||z_i - z_j||^2 / (2 sigma^2)) into ``out``: one GEMM and two in-place passes.

    The exponent <z_i, z_j>/s2 - h_i - h_j (h_i = |z_i|^2 / (2 s2), on centred Z) is one GEMM of
    the augmented factors [Z / s2, -h, -1] and [Z, 1, h]; it is clipped at 0 (rounding can
    make it slightly positive) and the diagonal set to 0 exactly. Same values as
    ``kernels.gaussian_kernel`` to ~1e-14 (parity test).
    """
    Zc = Z - Z.mean(axis=0)
    inv = 1.0 / (sigma * sigma)
    h = (0.5 * inv) * np.einsum("ij,ij->i", Zc, Zc)
    one = np.ones_like(h)
    left = np.hstack([Zc * inv, -h[:, None], -one[:, None]])
    right = np.hstack([Zc, one[:, None], h[:, None]])
    np.matmul(left, right.T, out=out)
    if clip:  # skipped inside the float32 ISM loop, where exp(rounding) ~ 1 + 1e-6 is harmless
        np.minimum(out, 0.0, out=out)
    np.fill_diagonal(out, 0.0)  # unit diagonal exactly
    np.exp(out, out=out)
    return out


def _q_fast(P, blocks, E, sigma, buf, clip):
    """B = P^T (Psi - Diag(Psi 1)) P and Tr(Gamma K) at W = E, Psi = Gamma o K never formed.

    Rows of P are grouped by class, so Gamma is constant on class blocks: row block k of
    Psi [P, 1] is K[rows_k] @ (g_k[y] * [P, 1]), with g_k[y]_j = Gamma(class k, class y_j).
    ``blocks`` holds (rows_k, g_k[y] * [P, 1]) per class: c GEMMs with the flops of one, and
    no n x n pass for the Hadamard product. The last column gives d = Psi 1.
    """
    K = _gauss_from(P @ E, sigma, buf, clip=clip)
    n, r = P.shape
    if isinstance(blocks, tuple):  # many classes: (Gamma, psi buffer, [P, 1]), one Hadamard pass
        G, psi, P1 = blocks
        MP1 = np.multiply(G, K, out=psi) @ P1
    else:
        MP1 = np.empty((n, r + 1), dtype=P.dtype)
        for rows, scaled in blocks:
            np.matmul(K[rows], scaled, out=MP1[rows])
    d = MP1[:, -1]
    MP = MP1[:, :-1]
    MP -= d[:, None] * P
    return P.T @ MP, float(d.sum())


# Up to this many classes the class-block product beats forming Gamma o K (measured: car, c = 3,
# 13 % faster per fit; face, c = 20, 6 % slower).
_MAX_BLOCK_CLASSES = 8


def _class_blocks(P, codes, Gc):
    """(rows_k, Gc[k, codes][:, None] * [P, 1]) for every class k; rows must be class-sorted."""
    P1 = np.hstack([P, np.ones((P.shape[0], 1), dtype=P.dtype)])
    blocks = []
    for k in range(Gc.shape[0]):
        idx = np.flatnonzero(codes == k)
        if idx.size == 0:
            continue
        rows = slice(int(idx[0]), int(idx[-1]) + 1)
        blocks.append((rows, (Gc[k, codes].astype(P.dtype)[:, None] * P1)))
    return blocks


def _q_numpy(R, G, W, sigma, buf, psi):
    """Plain reference: dense kernel (scikit-learn's ``rbf_kernel``), explicit Diag, full Q."""
    Psi = G * rbf_kernel(R @ W, gamma=0.5 / (sigma * sigma))
    Q = R.T @ (Psi - np.diag(Psi.sum(axis=1))) @ R
    return Q, float(Psi.sum())


def _rel_change(new, old) -> float:
    """||new - old|| / ||old|| in float64 (0/0 -> 0, x/0 -> inf), for the ISM stopping tests."""
    num = float(np.linalg.norm(np.asarray(new, dtype=np.float64) - old))
    den = float(np.linalg.norm(np.asarray(old, dtype=np.float64)))
    if den > 0:
        return num / den
    return 0.0 if num == 0 else math.inf


class _Workspace:
    """n x n buffers per dtype (and Gamma for the plain route), made once per fit: the first
    touch of a large buffer is costly on these machines (PERFORMANCE.md)."""

    def __init__(self, A):
        self.A = A
        self._bufs = {}
        self._gamma = None

    def buf(self, dt):
        key = np.dtype(dt).name
        if key not in self._bufs:
            n = self.A.shape[0]
            self._bufs[key] = np.empty((n, n), dt)
        return self._bufs[key]

    def plain(self):
        """Gamma and a second float64 buffer, for the plain numpy route only."""
        if self._gamma is None:
            n = self.A.shape[0]
            self._gamma = (self.A @ self.A.T, np.empty((n, n)))
        return self._gamma


def _ism_core(
    P, A, q, sigma, tol, max_iter, E0=None, route="fast", precision="double", work=None
):
    """ISM iteration in the coordinates of P (n x r); returns E (r x q), K at E, info.

    Q(W) for W = V E equals V (P^T M P) V^T when R = P V^T with V^T V = I, so all work is on
    the r x r matrix B = P^T M P (r = min(n, m)). ``route="numpy"`` is the plain reference
    (P = R, full Q, ``numpy.linalg.eigh``), the same iteration. ``precision="single"`` runs the
    n x n products and the eigensolves of the loop in float32 (see ``LayerwiseKernelNet``); the
    returned E is re-orthonormalised, and K and the objective are computed, in float64.
    """
    n, r = P.shape
    work = _Workspace(A) if work is None else work
    single = precision == "single" and route == "fast"
    dt = np.float32 if single else np.float64
    P64 = P
    sub_tol = _SUBSPACE_TOL_SINGLE if single else _SUBSPACE_TOL
    buf = work.buf(dt)
    if route == "fast":
        eig = _top_eigh
    else:

        def eig(B, k):
            lam, V = np.linalg.eigh(0.5 * (B + B.T))
            return lam[::-1][:k].copy(), _sign_fix(V[:, ::-1][:, :k])

    if E0 is None:
        axes = None
        if route != "fast":  # P = R unrotated: principal axes from the dense m x m Gram matrix
            lam_c, axes = np.linalg.eigh(P.T @ P)
            axes = axes[:, ::-1]
        lam, E = _taylor_start(P, A, q, axes)
        lam = None  # the start's eigenvalues are of another matrix: no convergence test on them
    else:
        E, lam = E0, None
    if route == "fast":
        # group the rows by class (B and the objective do not depend on the row order)
        codes = np.argmax(A, axis=1)  # A = Y - p: the own class holds the row maximum
        order = np.argsort(codes, kind="stable")
        codes_s = codes[order]
        first = np.array([np.flatnonzero(codes == k)[0] for k in range(A.shape[1])])
        Gc = A[first] @ A[first].T  # Gamma between classes, c x c
        Ps = np.ascontiguousarray(P[order], dtype=dt)
        if A.shape[1] <= _MAX_BLOCK_CLASSES:
            blocks = _class_blocks(Ps, codes_s, Gc)
        else:  # c small GEMMs lose to one Hadamard pass (face: c = 20)
            Gs = Gc[codes_s][:, codes_s].astype(dt)
            blocks = (Gs, np.empty_like(Gs), np.hstack([Ps, np.ones((n, 1), dtype=dt)]))

        def qfun(E):
            return _q_fast(Ps, blocks, E, sigma, buf, clip=not single)

    else:
        G, psi = work.plain()

        def qfun(E):
            return _q_numpy(P, G, E, sigma, buf, psi)

    if single:
        E = E.astype(dt)
    trace = []
    moves, backs = [], []
    best = None
    converged = cycled = False
    prev_E = prev_lam = None
    it = 0
    for it in range(1, max_iter + 1):
        B, H = qfun(E)
        trace.append(H)
        if best is None or H > best[0]:
            best = (H, E)
        lam_new, E_new = eig(B, q)
        if lam is not None:
            change = _rel_change(lam_new, lam)
            if change < tol:
                converged = True
                E, lam = E_new, lam_new
                break
        # subspace distance 1 - cos^2 of the largest principal angle to the current iterate
        step = float(1.0 - np.linalg.svd(E.T @ E_new, compute_uv=False).min() ** 2)
        moves.append(step)
        if step < sub_tol:
            # the subspace no longer moves: a fixed point (its eigenvalues cannot change)
            converged = True
            E, lam = E_new, lam_new
            break
        if prev_E is not None:
            back = float(1.0 - np.linalg.svd(prev_E.T @ E_new, compute_uv=False).min() ** 2)
            backs.append(back)
            change2 = np.inf if prev_lam is None else _rel_change(lam_new, prev_lam)
            if back < sub_tol or change2 < tol:
                # period-2 cycle: back to the subspace (or, by the authors' eigenvalue test, to
                # the eigenvalues) of two steps before, while the last step moved by more
                cycled = True
                prev_E, E, lam = E, E_new, lam_new
                break
        prev_E, prev_lam, E, lam = E, lam, E_new, lam_new
    if single:
        E = orthonormalize(E.astype(np.float64))
        best = None if best is None else (best[0], orthonormalize(best[1].astype(np.float64)))
    P = P64
    buf = work.buf(np.float64)
    K = _gauss_from(P @ E, sigma, buf)
    H = float(np.sum((K @ A) * A))  # Tr(Gamma K) = sum_k a_k^T K a_k
    if not converged and best is not None and best[0] > H:
        # no fixed point reached: keep the best iterate seen (ties: the later one)
        E = best[1]
        K = _gauss_from(P @ E, sigma, buf)
        H = float(np.sum((K @ A) * A))
    info = {
        "iterations": it,
        "converged": converged,
        "cycled": cycled,
        "objective": H,
        "objective_trace": trace,
        "subspace_moves": moves,
        "subspace_backs": backs,
        "eigenvalues": lam,
    }
    return E, K, info


# Directions of R whose squared singular value is below RANK_TOL times the largest are dropped
# from the ISM iteration (fast route only). Later layers' random features have fast-decaying
# spectra (car, authors' fold 1: 209 of 400 singular values above 1e-8 s_max at layer 3, 72 at
# layer 4), and the cost per iteration is n^2 r. A dropped direction has singular value below
# 1e-6 s_max, so it changes Q = R^T M R by at most ~2e-6 ||M|| s_max^2 (first order), far below
# the 1e-2 eigenvalue tolerance of the ISM stopping rule; the parity test bounds the effect.
RANK_TOL = 1.0e-12


def _reduce(R: np.ndarray, rank_tol: float = RANK_TOL):
    """R ~= P V^T in principal axes: V (m x r) orthonormal, r <= min(n, m); and the singular values.

    From the eigen-decomposition of the smaller Gram matrix: m <= n, R^T R = U L U^T, P = R U,
    V = U; m > n, R R^T = U L U^T, P = U L^(1/2), V = R^T U L^(-1/2). Axes with
    lambda < rank_tol * lambda_max are dropped (at least those below 1e-14 lambda_max, the
    numerical rank: kept V columns carry relative errors ~ eps * s_max / s_k <= 1e-9).
    Q(W) = V (P^T M P) V^T for W = V E, and
    R W = P E.
    """
    n, m = R.shape
    if m > n:
        lam, U = np.linalg.eigh(R @ R.T)
    else:
        lam, U = np.linalg.eigh(R.T @ R)
    lam, U = lam[::-1], U[:, ::-1]
    sv = np.sqrt(np.maximum(lam, 0.0))
    # numerical-rank floor 1e-14 (~50 eps of the Gram matrix's rounding), whatever rank_tol
    tol = max(float(rank_tol), 1e-14)
    keep = max(int(np.count_nonzero(lam > tol * max(lam[0], 1e-300))), 1)
    U = U[:, :keep]
    if m > n:
        P = U * sv[:keep]
        V = (R.T @ U) / sv[:keep]
    else:
        P = R @ U
        V = U
    return np.ascontiguousarray(P), V, sv


def ism_fixed_point(R, y, *, q, sigma, tol=0.01, max_iter=200, W0=None):
    r"""The ISM solution :math:`W^*` of eq. 1 for one layer (Claim 5, eq. 9).

    Starting from the Taylor approximation :math:`K \approx 1` or from ``W0``, iterate

    .. math::

       W_{k+1} = \text{eigenvectors of the } q \text{ largest eigenvalues of } Q(W_k)

    and stop when

    * the relative change of those eigenvalues is below ``tol`` (the authors' rule, 0.01), or the
      subspace stops moving (:math:`1 - \cos^2` of the largest principal angle below
      :math:`10^{-12}`): ``converged``;
    * the iteration returns to the eigenvalues (relative change below ``tol``) or the subspace
      of two steps before: a period-2 cycle, ``cycled`` (the authors' code runs such layers to
      its iteration cap);
    * ``max_iter``.

    Without convergence the iterate with the largest objective is returned. The start: with
    :math:`K = 1`, :math:`Q_0 = R^\top \Gamma R` has rank :math:`c - 1`; its eigenvectors with
    nonzero eigenvalue are completed to :math:`q` columns by the leading principal axes of
    :math:`R` (Gram-Schmidt), where the authors' code takes whatever null vectors LAPACK returns.
    The iteration runs, exactly, in the coordinates of the principal axes of :math:`R`
    (:math:`R = P V^\top`, :math:`Q = V (P^\top M P) V^\top`, :math:`r \le \min(n, m)`), in
    float64.

    Parameters
    ----------
    R : array_like, shape (n, m)
        The layer input :math:`R_{l-1}`.
    y : array_like, shape (n,)
        Class labels.
    q : int, 1 <= q <= min(n, m)
        The layer width (the number of eigenvectors kept).
    sigma : float, > 0
        The layer bandwidth of eq. 1.
    tol : float, > 0
        Relative eigenvalue change that stops the iteration (the authors': 0.01).
    max_iter : int, >= 1
    W0 : array_like, shape (m, q), optional
        Start instead of the Taylor start (orthonormalised in the principal axes of ``R``).

    Returns
    -------
    W : ndarray, shape (m, q), orthonormal columns
    info : dict
        ``iterations``, ``converged``, ``cycled``, ``objective`` (eq. 1 at ``W``),
        ``objective_trace`` (eq. 1 at each iterate), ``subspace_moves`` and
        ``subspace_backs`` (:math:`1 - \cos^2` to the previous iterate and to the one before),
        ``eigenvalues`` (the q largest of Q at the last iterate).
    """
    R = as_matrix(R, "R", min_rows=2, max_abs=1e150)  # R^T R is formed
    codes, classes = as_labels(y, "y", n_samples=R.shape[0], x_name="R")
    q = check_int(q, "q", minimum=1, maximum=R.shape[1])
    sigma = check_positive(sigma, "sigma", minimum=1e-150)  # 1 / sigma^2 is formed
    tol = check_positive(tol, "tol")
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    A = _centred_one_hot(codes, classes.shape[0])
    if q > min(R.shape):
        raise ValueError(f"q must be <= min(n, m) = {min(R.shape)} for this R, got {q}")
    P, V, _ = _reduce(R, 0.0)
    E0 = None
    if W0 is not None:
        E0 = orthonormalize(V.T @ _as_start(W0, R.shape[1], q))
    with _blas_one_thread():  # many small eigh calls: see PERFORMANCE.md
        E, _, info = _ism_core(P, A, q, sigma, tol, max_iter, E0)
    # V from the Gram route is orthonormal to ~1e-9 (see _reduce): restore W^T W = I to rounding
    W = _sign_fix(orthonormalize(V @ E))
    return W, info


def ism_width(R, n_classes, *, variance_kept=0.5) -> int:
    r"""Layer width :math:`q` as the authors' ``rank_by_variance`` (data/README.md).

    The smallest :math:`q` with :math:`\sum_{k \le q} s_k \ge` ``variance_kept``
    :math:`\sum_k s_k` (singular values :math:`s_k` of :math:`R`, not squared), then clipped to
    :math:`[2c, \min(n, m)]`.
    """
    R = as_matrix(R, "R", min_rows=1)
    c = check_int(n_classes, "n_classes", minimum=1)
    v = float(variance_kept)
    if not 0 < v <= 1:
        raise ValueError(f"variance_kept must be in (0, 1], got {variance_kept!r}")
    # the width depends on ratios of singular values only: exact power-of-2 rescale outside
    # [1e-100, 1e100] (the Gram route's eigensolver failed to converge on R ~ 1e160)
    return _width_from_sv(_singular_values(pow2_rescale(R)), c, v, min(R.shape))


def _singular_values(R: np.ndarray) -> np.ndarray:
    n, m = R.shape
    if m <= n:
        lam = np.linalg.eigvalsh(R.T @ R)[::-1]
        return np.sqrt(np.maximum(lam, 0.0))
    return np.linalg.svd(R, compute_uv=False)


def _width_from_sv(s: np.ndarray, c: int, v: float, cap: int) -> int:
    total = s.sum()
    if total <= 0:
        q = 1
    else:
        q = int(np.searchsorted(np.cumsum(s) / total, v - 1e-12) + 1)
    return int(min(max(q, 2 * c), cap))


_SINGLE_RANGE = (1e-12, 1e12)  # float32 squares stay normal (1e-38 .. 3e38) with room for sums


def _check_single_range(X: np.ndarray) -> None:
    """Refuse inputs whose spread float32 cannot square (the ISM loop's default precision)."""
    spread = float(np.max(np.abs(X - X.mean(axis=0)))) if X.size else 0.0
    lo, hi = _SINGLE_RANGE
    if spread > 0 and not lo <= spread <= hi:
        raise ValueError(
            f"X has spread {spread:.3g} (largest |x - mean|), outside [{lo:g}, {hi:g}] where the "
            "float32 ISM iteration (ism_precision='single') can square it; rescale X (e.g. "
            "standardise) or use ism_precision='double'"
        )


class IsmGrower:
    """Grows the ISM network (:math:`W^*`) layer by layer; ``LayerwiseKernelNet(method="ism")``.

    Its attributes are the estimator's parameters of the same names (see
    :class:`~kernelnet.layerwise.LayerwiseKernelNet` for what each means), already checked, and
    ``route`` (``"fast"`` or the plain reference ``"numpy"``).
    """

    PARAMETERS = ("max_layers", "stop", "target", "sigma", "sigma_max_samples", "width",
                  "variance_kept", "n_features", "ism_tol", "ism_max_iter", "ism_precision",
                  "silhouette_exit", "silhouette_plateau", "silhouette_floor")

    def __init__(self, route="fast", **params):
        self.route = route
        for name in self.PARAMETERS:
            setattr(self, name, params.pop(name))
        if params:
            raise TypeError(f"unknown parameters {sorted(params)}")

    def _layer_sigma(self, R, codes, c, rng):
        if isinstance(self.sigma, str):  # "auto": on the grid of _SIGMA_GRID
            return _opt_sigma(R, codes, c, self.sigma_max_samples, rng, grid=_SIGMA_GRID)
        return float(self.sigma)

    def grow(self, X, codes, c, rng) -> Grown:
        """Layers on ``(X, codes)`` (``c`` classes) until the stopping rule; ``rng`` draws the
        bandwidth subsamples and the random features."""
        n = X.shape[0]
        A = _centred_one_hot(codes, c)
        work = _Workspace(A)
        R = X
        layers, history = [], []
        prev_sil = None
        stop_reason = "max_layers"
        for ell in range(1, self.max_layers + 1):
            tl = time.perf_counter()
            sigma = self._layer_sigma(R, codes, c, rng)
            if self.route == "fast":
                P, V, sv = _reduce(R)
            else:
                P, V, sv = R, None, _singular_values(R)
            if isinstance(self.width, str):
                q = _width_from_sv(sv, c, float(self.variance_kept), min(R.shape))
            else:
                q = min(int(self.width), min(R.shape))
            q = min(q, P.shape[1])
            E, K, info = _ism_core(
                P,
                A,
                q,
                sigma,
                float(self.ism_tol),
                int(self.ism_max_iter),
                route=self.route,
                precision=self.ism_precision,
                work=work,
            )
            if V is None:
                W = _sign_fix(E)
                Z = P @ W
            else:
                # back to the original coordinates: re-orthonormalise (V is orthonormal to
                # ~1e-9 only, see _reduce) and sign-fix there, so both routes give the same W
                W = _sign_fix(orthonormalize(V @ E))
                Z = R @ W
            # Random features of the subspace, not of its basis: Omega = W^T G with G standard
            # normal (m x D) is exactly standard normal (W^T W = I), as the authors' draw, and
            # Z Omega = R (W W^T) G depends on span(W) only. Eigenvalues of Q that nearly tie
            # inside the top q let rounding rotate the eigenvector basis (cancer, authors' fold
            # 1 thinned to 250 rows, layer 11: the same subspace to 1 - cos^2 = 3e-12 with 2
            # BLAS threads, the basis 0.19 apart, the class centres of the output 1 % apart).
            D = int(self.n_features)
            Om = W.T @ rng.standard_normal((W.shape[0], D))
            b = rng.uniform(0.0, 2.0 * np.pi, D)
            Phi = _rff(Z, sigma, Om, b)
            met = _layer_metrics(K, A, codes, c)
            sil = _silhouette(Z, codes, c)
            Vk, centres, scale = skpca(Phi, A, codes, c)
            acc = float(np.mean(nearest_centre(Phi @ Vk, centres) == codes))
            layers.append({"W": W, "sigma": sigma, "Omega": Om, "b": b})
            rec = {
                "layer": ell,
                "method": "ism",
                "width": q,
                "sigma": sigma,
                "sigma_out": sigma,
                **met,
                "nhsic": met["nhsic_authors"],
                "silhouette": sil,
                "train_accuracy": acc,
                "converged": bool(info["converged"]),
                "ism_iterations": int(info["iterations"]),
                "cycled": bool(info["cycled"]),
                "n_samples": n,
            }
            R = Phi
            rec["time"] = time.perf_counter() - tl
            history.append(rec)
            if self.stop == "authors":
                if sil > self.silhouette_exit:
                    stop_reason = "silhouette_exit"
                    break
                if (
                    prev_sil is not None
                    and abs(sil - prev_sil) < self.silhouette_plateau
                    and sil > self.silhouette_floor
                ):
                    stop_reason = "silhouette_plateau"
                    break
            elif self.stop == "target" and met["nhsic_authors"] >= self.target:
                stop_reason = "target"
                break
            prev_sil = sil
        Vk, centres, scale = skpca(R, A, codes, c)
        head = {"skpca_": Vk, "centres_": centres, "proba_scale_": scale}
        return Grown(layers, history, stop_reason, head)

    @staticmethod
    def layer_output(R, layer):
        """A fitted layer's output for new inputs ``R``: its random features."""
        return _rff(R @ layer["W"], layer["sigma"], layer["Omega"], layer["b"])


def skpca(Phi, A, codes, c):
    """Supervised kernel PCA: eigenvectors of Phi^T Gamma Phi = (Phi^T A)(Phi^T A)^T."""
    B = Phi.T @ A
    U, s, _ = np.linalg.svd(B, full_matrices=False)
    k = max(1, c - 1)
    Vk = _sign_fix(U[:, :k])
    F = Phi @ Vk
    Y = one_hot(codes, c)
    centres = (Y.T @ F) / Y.sum(axis=0)[:, None]
    spread = float(np.mean(np.sum((F - centres[codes]) ** 2, axis=1)))
    scale = spread if spread > 0 else 1e-12
    return Vk, centres, scale


def nearest_centre(F, centres):
    """Index of the nearest of ``centres`` for each row of ``F``."""
    d2 = np.sum((F[:, None, :] - centres[None, :, :]) ** 2, axis=2)
    return np.argmin(d2, axis=1)
