r"""Layer-wise kernel networks: the closed-form :math:`W_s` and the ISM :math:`W^*` (seed 000).

Source: poster "Layer-wise learning via kernel embedding" (Masoomi, Wu, Gretton, Dy; seed
``000_a367beca8db76124.txt``) and the paper Wu, Masoomi, Gretton, Dy, "Deep Layer-wise Networks
Have Closed-Form Weights", AISTATS 2022. Readings of the garbled poster text follow
``DEFINITIONS.md``; how the authors' code behaves (widths, bandwidths, stopping rules, random
features, last layer) follows ``data/README.md``.

A network is grown greedily. Layer :math:`l` takes the previous representation
:math:`R_{l-1}` (:math:`n \times m`), a linear map :math:`W_l` (:math:`m \times q`,
:math:`W_l^\top W_l = I`) and a bandwidth :math:`\sigma_l`, and maximises (eq. 1)

.. math::

   \mathcal H(W) = \operatorname{Tr}\big(\Gamma K_{R W}\big) = \sum_{ij} \Gamma_{ij}
   \exp\Big(-\frac{\lVert W^\top (r_i - r_j)\rVert^2}{2\sigma^2}\Big),
   \qquad \Gamma = H Y Y^\top H .

Its gradient is :math:`\nabla \mathcal H(W) = \tfrac{2}{\sigma^2} Q(W) W` with (eq. 9)

.. math::

   Q(W) = R^\top\big(\Psi - \operatorname{Diag}(\Psi \mathbf 1)\big) R
        = -\tfrac12 \sum_{ij} \Psi_{ij} (r_i - r_j)(r_i - r_j)^\top,
   \qquad \Psi = \Gamma \odot K_{RW},

so a stationary point on the Stiefel manifold spans an invariant subspace of :math:`Q(W)`; ISM
takes the eigenvectors of the :math:`q` largest eigenvalues and iterates to a fixed point.

Public functions (used by the chapters on Claims 4-6 and by the tests):
:func:`label_gamma`, :func:`layer_objective`, :func:`layer_gradient`, :func:`ism_matrix`,
:func:`ism_surrogate`, :func:`eq11_terms`, :func:`penalty_weight_sum`, :func:`stiefel_gradient`,
:func:`stiefel_ascent`, :func:`random_stiefel`,
:func:`closed_form_weights`, :func:`orthonormalize`, :func:`ism_fixed_point`, :func:`ism_width`,
:func:`hsic_optimal_sigma`, :func:`random_fourier_features`, :func:`scatter_ratio`,
:func:`distance_ratio`, :func:`ideal_kernel_distance`, :func:`silhouette`; and the estimator
:class:`LayerwiseKernelNet`.

Kernels go through :func:`kernelnet.kernels.gaussian_kernel`, HSIC values through
:mod:`kernelnet.hsic`. The one exception is the inner ISM loop, which evaluates
:math:`\Psi = \Gamma \odot K` in a preallocated buffer (a layer-specific fused computation; a
test checks it against ``gaussian_kernel``).
"""

from __future__ import annotations

import math
import time
import numbers

import numpy as np
import scipy.linalg
from scipy.optimize import minimize_scalar
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.neighbors import KNeighborsClassifier
from sklearn.utils import TransformerTags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import ThreadpoolController

from kernelnet._validation import (
    as_labels,
    as_matrix,
    check_choice,
    check_int,
    check_positive,
    one_hot,
    pow2_exponent,
    pow2_rescale,
)
from kernelnet.kernels import gaussian_kernel

__all__ = [
    "LayerwiseKernelNet",
    "label_gamma",
    "layer_objective",
    "layer_gradient",
    "ism_matrix",
    "ism_surrogate",
    "eq11_terms",
    "stiefel_gradient",
    "stiefel_ascent",
    "random_stiefel",
    "penalty_weight_sum",
    "closed_form_weights",
    "ws_extra_groups",
    "orthonormalize",
    "ism_fixed_point",
    "ism_width",
    "hsic_optimal_sigma",
    "random_fourier_features",
    "scatter_ratio",
    "distance_ratio",
    "ideal_kernel_distance",
    "silhouette",
]


_CONTROLLER = None
# BLAS threads inside ``fit`` and ``ism_fixed_point``: 1 (many small eigh calls; PERFORMANCE.md).
# The reproducibility test sets 2 through ``_fit_blas_threads``: another thread count splits
# the BLAS kernels' sums differently, the kind of rounding change another processor makes.
_FIT_BLAS_THREADS = 1


def _blas_one_thread():
    """Context manager pinning BLAS to ``_FIT_BLAS_THREADS`` threads (one by default; the
    controller is built once: ~10 ms)."""
    global _CONTROLLER
    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=_FIT_BLAS_THREADS, user_api="blas")


class _fit_blas_threads:
    """``with _fit_blas_threads(k):`` fits inside the block run BLAS on k threads (the
    reproducibility test and :func:`kernelnet.experiments.poster_table.ism_sensitivity`)."""

    def __init__(self, k: int):
        self.k = check_int(k, "k", minimum=1)

    def __enter__(self):
        global _FIT_BLAS_THREADS
        self._old, _FIT_BLAS_THREADS = _FIT_BLAS_THREADS, self.k
        return self

    def __exit__(self, *exc):
        global _FIT_BLAS_THREADS
        _FIT_BLAS_THREADS = self._old
        return False


# ---------------------------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------------------------


def _centred_one_hot(codes: np.ndarray, n_classes: int) -> np.ndarray:
    """A = H Y (n x c) so that Gamma = H Y Y^T H = A A^T."""
    Y = one_hot(codes, n_classes)
    return Y - Y.mean(axis=0)


def _sq_dists(Z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Squared Euclidean distances of the rows of Z (n x n), clipped at 0, in ``out``."""
    Zc = Z - Z.mean(axis=0)  # translation invariant; centring reduces cancellation
    sq = np.einsum("ij,ij->i", Zc, Zc)
    D = np.matmul(Zc, Zc.T, out=out)
    D *= -2.0
    D += sq[:, None]
    D += sq[None, :]
    np.maximum(D, 0.0, out=D)
    np.fill_diagonal(D, 0.0)  # exact zeros (rounding leaves ~1e-15, i.e. 3e-8 distances)
    return D


def _gauss_inplace(D2: np.ndarray, sigma: float) -> np.ndarray:
    """Turn squared distances into exp(-D2 / (2 sigma^2)) in place."""
    D2 *= -0.5 / (sigma * sigma)
    np.exp(D2, out=D2)
    return D2


def _as_stiefel(W, m: int, name: str = "W") -> np.ndarray:
    W = as_matrix(W, name, allow_1d=True)
    if W.shape[0] != m:
        raise ValueError(f"{name} must have {m} rows (the columns of R), got shape {W.shape}")
    return W


def _as_gamma(Gamma, n: int) -> np.ndarray:
    G = as_matrix(Gamma, "Gamma")
    if G.shape != (n, n):
        raise ValueError(f"Gamma must be an {n} x {n} matrix (n = rows of R), got {G.shape}")
    return G


def _kernel_rw(R, W, sigma):
    """Gaussian kernel of the rows of ``R @ W``; a scale error names R, W and sigma (the
    arguments of the caller), not gaussian_kernel's X."""
    with np.errstate(over="ignore", invalid="ignore"):
        Z = R @ W
    try:
        return gaussian_kernel(Z, sigma=sigma)
    except ValueError:
        raise ValueError(
            f"sigma={sigma!r} is too small for the scale of R @ W (R or W too large): "
            "|R W|^2 / sigma^2 overflows; rescale R or use a larger sigma"
        ) from None


def _rng(random_state) -> np.random.Generator:
    if isinstance(random_state, np.random.RandomState):
        # sklearn may hand a legacy RandomState; draw a seed from it (no global state touched)
        return np.random.default_rng(int(random_state.randint(0, 2**31 - 1)))
    if random_state is None or isinstance(random_state, (numbers.Integral, np.random.Generator)):
        if isinstance(random_state, bool):
            raise ValueError(
                f"random_state must be None, an int or a Generator, got {random_state!r}"
            )
        if isinstance(random_state, numbers.Integral) and random_state < 0:
            raise ValueError(f"random_state must be non-negative, got {random_state}")
        return np.random.default_rng(random_state)
    raise ValueError(f"random_state must be None, an int or a Generator, got {random_state!r}")


# Entries whose magnitude is within this relative distance of a column's largest are tied for
# _sign_fix, and the first of them (lowest row) sets the sign. Structural ties (duplicated or
# mirrored inputs give entries of exactly equal magnitude) then stay ties under rounding
# (1e-16 relative in float64, at most ~1e-8 after propagation through the layers of the real
# data sets, tests/test_reproducibility.py), where a bare argmax would follow the rounding.
_SIGN_TIE = 1.0e-8


def _sign_fix(V: np.ndarray) -> np.ndarray:
    """Make the largest-magnitude entry of each column positive (deterministic eigenvectors).

    Magnitudes within a relative ``_SIGN_TIE`` of the largest count as tied; the first tied
    entry (lowest row) decides, so the sign does not follow rounding at exact ties.
    """
    if V.shape[0] == 0 or V.shape[1] == 0:
        return V
    mag = np.abs(V)
    top = mag.max(axis=0)
    idx = np.argmax(mag >= top * (1.0 - _SIGN_TIE), axis=0)  # first (near-)largest entry
    s = np.sign(V[idx, np.arange(V.shape[1])])
    s[s == 0] = 1.0
    return V * s


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


# ---------------------------------------------------------------------------------------------
# the layer objective, its gradient, Q and the ISM surrogate (eqs. 1, 9-11)
# ---------------------------------------------------------------------------------------------


def label_gamma(y) -> np.ndarray:
    r"""The label matrix :math:`\Gamma = H Y Y^\top H` of eq. 1.

    .. math::

       \Gamma = H Y Y^\top H, \qquad H = I - \tfrac1n \mathbf 1 \mathbf 1^\top,

    with :math:`Y` the one-hot labels (DEFINITIONS.md, "HSIC"). Equal to
    ``kernelnet.hsic.center(Y @ Y.T)``.

    Parameters
    ----------
    y : array_like, shape (n,)
        Class labels (at least two classes).

    Returns
    -------
    Gamma : ndarray, shape (n, n)
    """
    codes, classes = as_labels(y, "y")
    A = _centred_one_hot(codes, classes.shape[0])
    return A @ A.T


def layer_objective(W, R, Gamma, *, sigma) -> float:
    r"""The layer objective of eq. 1 at a linear map ``W``.

    .. math::

       \mathcal H(W) = \operatorname{Tr}(\Gamma K_{RW}) = \sum_{ij} \Gamma_{ij}
       \exp\Big(-\frac{\lVert W^\top (r_i - r_j)\rVert^2}{2\sigma^2}\Big)

    (seed 000, eq. 1 with :math:`\psi\psi^\top` read as the Gaussian kernel it approximates).
    Unnormalised: ``kernelnet.hsic.hsic`` divides the same trace by :math:`(n-1)^2`.

    Parameters
    ----------
    W : array_like, shape (m, q)
    R : array_like, shape (n, m)
        The layer input :math:`R_{l-1}`.
    Gamma : array_like, shape (n, n)
        Usually :func:`label_gamma`.
    sigma : float, > 0

    Returns
    -------
    float
    """
    R = as_matrix(R, "R", min_rows=2)
    W = _as_stiefel(W, R.shape[1])
    G = _as_gamma(Gamma, R.shape[0])
    sigma = check_positive(sigma, "sigma")
    K = _kernel_rw(R, W, sigma)
    return float(np.sum(G * K))


def ism_matrix(W, R, Gamma, *, sigma) -> np.ndarray:
    r"""The ISM matrix :math:`Q(W)` of eq. 9.

    .. math::

       Q = R^\top \big(\Psi - \operatorname{Diag}(\Psi \mathbf 1)\big) R
         = -\tfrac12 \sum_{ij} \Psi_{ij} (r_i - r_j)(r_i - r_j)^\top,
       \qquad \Psi = \Gamma \odot K_{RW}

    (seed 000, eq. 9, :math:`\hat\Gamma = \Psi`). Computed as
    :math:`R^\top (\Psi R) - (R \odot \Psi\mathbf 1)^\top R`, without the diagonal matrix.

    Returns
    -------
    Q : ndarray, shape (m, m), symmetric
    """
    R = as_matrix(R, "R", min_rows=2)
    W = _as_stiefel(W, R.shape[1])
    G = _as_gamma(Gamma, R.shape[0])
    sigma = check_positive(sigma, "sigma")
    Psi = G * _kernel_rw(R, W, sigma)
    d = Psi.sum(axis=1)
    Q = R.T @ (Psi @ R) - (R * d[:, None]).T @ R
    return 0.5 * (Q + Q.T)


def layer_gradient(W, R, Gamma, *, sigma) -> np.ndarray:
    r"""Euclidean gradient of eq. 1 with respect to ``W``.

    .. math::

       \nabla_W \mathcal H(W) = \frac{2}{\sigma^2} Q(W)\, W ,

    from :math:`\partial K_{ij}/\partial W = -\sigma^{-2} K_{ij} (r_i - r_j)(r_i - r_j)^\top W`
    and the second form of :math:`Q` in :func:`ism_matrix` (DEFINITIONS.md; seed 000, Claims 4-5,
    eqs. 8-9). Checked against finite differences in ``tests/test_layerwise.py``.

    Returns
    -------
    G : ndarray, shape (m, q)
    """
    sigma = check_positive(sigma, "sigma", maximum=1e150)  # sigma**2 in a Python float
    W = as_matrix(W, "W", allow_1d=True)
    Q = ism_matrix(W, R, Gamma, sigma=sigma)
    W = _as_stiefel(W, Q.shape[0])
    return (2.0 / sigma**2) * (Q @ W)


def ism_surrogate(W, R, Gamma, *, sigma, W_kernel=None) -> float:
    r"""The ISM surrogate, eq. 11 read with :math:`\lVert W^\top r_i\rVert^2` squared.

    .. math::

       \mathcal S(W; W_0) = \frac{1}{\sigma^2} \operatorname{Tr}\big(W^\top Q(W_0)\, W\big),

    with the kernel in :math:`Q` held at ``W_kernel`` (:math:`W_0`, default ``W``). For fixed
    :math:`W_0` its gradient in :math:`W` is :math:`\tfrac{2}{\sigma^2} Q(W_0) W`, equal to
    :func:`layer_gradient` at :math:`W = W_0` (DEFINITIONS.md). It is *not* equal in value to
    eq. 1. See :func:`eq11_terms` for the term-by-term form of eqs. 10-11.

    Returns
    -------
    float
    """
    sigma = check_positive(sigma, "sigma", maximum=1e150)  # sigma**2 in a Python float
    W = as_matrix(W, "W", allow_1d=True)
    W0 = W if W_kernel is None else W_kernel
    Q = ism_matrix(W0, R, Gamma, sigma=sigma)
    W = _as_stiefel(W, Q.shape[0])
    return float(np.trace(W.T @ Q @ W)) / sigma**2


def eq11_terms(W, R, y, *, sigma) -> dict:
    r"""Eqs. 10-11 term by term, with :math:`\lVert W^\top r_i\rVert^2` squared.

    With :math:`z_i = W^\top r_i`, :math:`K = K_{RW}` and :math:`\Gamma` from :func:`label_gamma`,
    the penalties of eq. 10 are

    .. math::

       D_i(W) = \frac{1}{\sigma^2}\sum_{j \in \mathcal S_i} \Gamma_{ij} K_{ij}
              - \frac{1}{\sigma^2}\sum_{j \in \mathcal S_i^c} |\Gamma_{ij}| K_{ij},

    and eq. 11 reads

    .. math::

       \mathcal S = \sum_{ij} \frac{\Gamma_{ij}}{\sigma^2} K_{ij}\, z_i^\top z_j
                  - \sum_i D_i(W) \lVert z_i \rVert^2 .

    When :math:`\Gamma_{ij} > 0` within a class and :math:`< 0` across (always for two classes,
    for balanced classes, but not for every unbalanced set of three or more classes),
    :math:`D_i = \sigma^{-2} (\Psi \mathbf 1)_i` and :math:`\mathcal S = \sigma^{-2}
    \operatorname{Tr}(W^\top Q W)` (:func:`ism_surrogate`).

    Returns
    -------
    dict
        ``first`` (the first sum), ``penalties`` (the :math:`D_i`, shape (n,)), ``penalty``
        (:math:`\sum_i D_i \lVert z_i\rVert^2`), ``total`` (:math:`\mathcal S`),
        ``penalties_psi`` (:math:`\sigma^{-2} (\Psi\mathbf 1)_i`, what the identity needs) and
        ``sign_split_holds`` (whether every within-class :math:`\Gamma_{ij} > 0` and every
        across-class :math:`\Gamma_{ij} < 0`).
    """
    R = as_matrix(R, "R", min_rows=2)
    W = _as_stiefel(W, R.shape[1])
    codes, classes = as_labels(y, "y", n_samples=R.shape[0], x_name="R")
    sigma = check_positive(sigma, "sigma")
    A = _centred_one_hot(codes, classes.shape[0])
    G = A @ A.T
    Z = R @ W
    K = _kernel_rw(R, W, sigma)
    Psi = G * K
    same = codes[:, None] == codes[None, :]
    s2 = sigma * sigma
    pen = (np.where(same, Psi, 0.0).sum(1) - np.where(same, 0.0, np.abs(G) * K).sum(1)) / s2
    nz2 = np.einsum("ij,ij->i", Z, Z)
    first = float(np.sum(Psi * (Z @ Z.T))) / s2
    penalty = float(pen @ nz2)
    holds = bool(np.all(G[same] > 0) and np.all(G[~same] < 0))
    return {
        "first": first,
        "penalties": pen,
        "penalty": penalty,
        "total": first - penalty,
        "penalties_psi": Psi.sum(1) / s2,
        "sign_split_holds": holds,
    }


def stiefel_gradient(W, G) -> np.ndarray:
    r"""Project a Euclidean gradient onto the tangent space of the Stiefel manifold at ``W``.

    .. math::

       \operatorname{grad} \mathcal H = G - W \operatorname{sym}(W^\top G),
       \qquad \operatorname{sym}(A) = \tfrac12 (A + A^\top)

    (Edelman, Arias, Smith 1998, embedded metric). Zero exactly at stationary points of eq. 1
    under :math:`W^\top W = I` (Claim 5).
    """
    W = as_matrix(W, "W", allow_1d=True, max_abs=1e100)  # W G^T W: three factors
    G = as_matrix(G, "G", allow_1d=True, max_abs=1e100)
    if G.shape != W.shape:
        raise ValueError(f"G must have the shape of W {W.shape}, got {G.shape}")
    S = W.T @ G
    return G - W @ (0.5 * (S + S.T))


def _authors_rff(Z, sigma):
    """scikit-learn ``RBFSampler`` features at ``sigma`` with the authors' settings (200
    components, ``random_state=1``; ``NIK_Thm1_Release_V2``, ``kchain.map_to_RKHS_via_RFF``)."""
    from sklearn.kernel_approximation import RBFSampler

    gamma = 1.0 / (2.0 * float(sigma) ** 2)
    return RBFSampler(gamma=gamma, n_components=200, random_state=1).fit_transform(Z)


def ws_extra_groups(Z, codes, n_classes, input_width, rule, *, first_layer=False):
    r"""Training rows behind the extra W_s columns of the next layer, one group per class.

    Parameters
    ----------
    Z : array, shape (n, m)
        The previous layer's output on the training set (the network input X at layer 1).
    codes : int array, shape (n,)
        Class codes 0..c-1.
    n_classes : int
        c; the first c columns of ``Z`` are the class columns, the rest earlier extras.
    input_width : int
        The width d of the network input X.
    rule : {"authors", "normalized", "raw", "none"}
        ``"authors"``: groups only when ``m != input_width``, misclassified = ``argmax(Z) !=
        y`` over all m columns (``NIK_Thm1_Release_V2``). ``"raw"``/``"normalized"``: groups
        at every layer but the first, argmax over the c class columns. ``"none"``: no groups.
    first_layer : bool
        True when ``Z`` is X itself (``"raw"``/``"normalized"`` add nothing there).

    Returns
    -------
    list of int arrays
        For each class k in order with at least one misclassified training row, the sorted row
        indices of class k misclassified by the argmax rule.
    """
    Z = as_matrix(Z, "Z")
    codes = np.asarray(codes)
    c = check_int(n_classes, "n_classes", minimum=1)
    check_int(input_width, "input_width", minimum=1)
    check_choice(rule, "rule", ("authors", "normalized", "raw", "none"))
    if codes.shape != (Z.shape[0],):
        raise ValueError(f"codes must have one entry per row of Z ({Z.shape[0]}), got {codes.shape}")
    if rule == "none":
        return []
    if rule == "authors":
        if Z.shape[1] == int(input_width):
            return []
        pred = np.argmax(Z, axis=1)
    else:
        if first_layer:
            return []
        if Z.shape[1] < c:
            raise ValueError(f"Z must have at least n_classes = {c} columns, got {Z.shape[1]}")
        pred = np.argmax(Z[:, :c], axis=1)
    groups = []
    for k in range(c):
        g = np.flatnonzero((codes == k) & (pred != k))
        if g.size:
            groups.append(g)
    return groups


def closed_form_weights(R, y, *, orthonormal: bool = False) -> np.ndarray:
    r"""The closed-form weights :math:`W_s` of eq. 2: one column per class.

    .. math::

       W_s = \Big[\tfrac{1}{\sqrt{\zeta_1}} \textstyle\sum_{i \in \mathcal S_1} r_i,
       \;\dots,\; \tfrac{1}{\sqrt{\zeta_c}} \sum_{i \in \mathcal S_c} r_i\Big],
       \qquad \sqrt{\zeta_k} = \Big\lVert \sum_{i \in \mathcal S_k} r_i \Big\rVert

    (seed 000, eq. 2; each class sum scaled to unit norm, as the authors' code does). The columns
    are not orthogonal in general; ``orthonormal=True`` returns the Q factor of a QR
    decomposition (:func:`orthonormalize`), which spans the same space and is what is compared
    with :math:`W^*` under :math:`W^\top W = I` (DEFINITIONS.md).

    Parameters
    ----------
    R : array_like, shape (n, m)
    y : array_like, shape (n,)
    orthonormal : bool

    Returns
    -------
    W : ndarray, shape (m, c)
    """
    R = as_matrix(R, "R", min_rows=2)
    codes, classes = as_labels(y, "y", n_samples=R.shape[0], x_name="R")
    R = pow2_rescale(R)  # W is scale-invariant; the column norms overflow near 1e154
    S = R.T @ one_hot(codes, classes.shape[0])
    norms = np.linalg.norm(S, axis=0)
    if np.any(norms == 0):
        raise ValueError("R has a class whose rows sum to zero: W_s is undefined")
    W = S / norms
    return orthonormalize(W) if orthonormal else W


def orthonormalize(W) -> np.ndarray:
    r"""Orthonormal basis of the column space of ``W`` by QR, signs fixed so diag(R) >= 0.

    .. math::  W = Q R, \quad Q^\top Q = I, \quad R_{kk} \ge 0 .
    """
    W = as_matrix(W, "W", allow_1d=True)
    if W.shape[1] > W.shape[0]:
        raise ValueError(f"W must have at most as many columns as rows, got shape {W.shape}")
    Q, Rq = np.linalg.qr(W)
    s = np.sign(np.diag(Rq))
    s[s == 0] = 1.0
    return Q * s


def penalty_weight_sum(W, R, y, *, sigma) -> float:
    r"""The sum of the penalty weights of eq. 10, :math:`\sum_i D_i(W)`.

    .. math::

       \sum_i D_i(W) = \frac{1}{\sigma^2}\sum_i \Big(\sum_{j \in \mathcal S_i} \Gamma_{ij} K_{ij}
       - \sum_{j \in \mathcal S_i^c} |\Gamma_{ij}| K_{ij}\Big)

    (seed 000, Claim 6, eq. 10, the weights :func:`eq11_terms` returns as ``penalties``). When
    the sign split holds (:math:`\Gamma_{ij} > 0` within a class, :math:`< 0` across) every
    :math:`|\Gamma_{ij}| K_{ij}` across classes equals :math:`-\Gamma_{ij} K_{ij}`, so the sum is
    :math:`\sigma^{-2}\sum_{ij}\Gamma_{ij}K_{ij} = \mathcal H(W)/\sigma^2` exactly: the weights
    are heavier wherever eq. 1 is larger. This is one reading of the poster's "a better
    :math:`W_l` imposes a heavier penalty"; the other weighs them with the sample norms,
    ``eq11_terms(...)["penalty"]`` :math:`= \sum_i D_i \lVert W^\top r_i\rVert^2`.

    Parameters
    ----------
    W : array_like, shape (m, q)
    R : array_like, shape (n, m)
    y : array_like, shape (n,)
    sigma : float, > 0

    Returns
    -------
    float
    """
    return float(np.sum(eq11_terms(W, R, y, sigma=sigma)["penalties"]))


def random_stiefel(m, q, *, random_state=None) -> np.ndarray:
    r"""A random point of the Stiefel manifold :math:`\{W \in \mathbb R^{m \times q}: W^\top W = I\}`.

    The Q factor (signs fixed, :func:`orthonormalize`) of an :math:`m \times q` matrix of
    independent N(0, 1) entries: uniformly (Haar) distributed (Mezzadri 2007).
    """
    m = check_int(m, "m", minimum=1)
    q = check_int(q, "q", minimum=1, maximum=m)
    return orthonormalize(_rng(random_state).standard_normal((m, q)))


def stiefel_ascent(R, y, *, q, sigma, W0=None, max_iter=2000, gtol=1e-9, random_state=None):
    r"""Maximise eq. 1 by Riemannian gradient ascent on the Stiefel manifold.

    An optimiser independent of ISM, to check what the ISM fixed point (Claim 5) reaches:

    .. math::

       W_{k+1} = \operatorname{qf}\big(W_k + t_k \operatorname{grad}\mathcal H(W_k)\big),
       \qquad \operatorname{grad}\mathcal H = G - W \operatorname{sym}(W^\top G),
       \quad G = \tfrac{2}{\sigma^2} Q(W) W ,

    with the QR retraction :math:`\operatorname{qf}` (:func:`orthonormalize`) and a step
    :math:`t_k` by Armijo backtracking (sufficient increase :math:`10^{-4} t_k \lVert
    \operatorname{grad}\rVert^2`; the first trial doubles the last accepted step) (Absil,
    Mahony, Sepulchre 2008, Algorithm 1). Stops when the projected gradient is below ``gtol``
    times the Euclidean one (a stationary point), when no step increases eq. 1 (at rounding
    level), or after ``max_iter`` steps. Every accepted step raises eq. 1.

    Parameters
    ----------
    R : array_like, shape (n, m)
    y : array_like, shape (n,)
    q : int, 1 <= q <= m
    sigma : float, > 0
    W0 : array_like, shape (m, q), optional
        Start (orthonormalised); default :func:`random_stiefel` with ``random_state``.
    max_iter : int, >= 1
    gtol : float, > 0
    random_state : None, int or numpy.random.Generator

    Returns
    -------
    W : ndarray, shape (m, q), orthonormal columns
    info : dict
        ``objective`` (eq. 1 at ``W``), ``iterations``, ``converged`` (the gradient test was
        met), ``grad_ratio`` (projected over Euclidean gradient norm at ``W``) and ``trace``
        (eq. 1 after each accepted step, non-decreasing).
    """
    R = as_matrix(R, "R", min_rows=2)
    codes, classes = as_labels(y, "y", n_samples=R.shape[0], x_name="R")
    q = check_int(q, "q", minimum=1, maximum=R.shape[1])
    sigma = check_positive(sigma, "sigma")
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    gtol = check_positive(gtol, "gtol")
    G = label_gamma(codes)
    if W0 is None:
        W = random_stiefel(R.shape[1], q, random_state=random_state)
    else:
        W0 = _as_stiefel(W0, R.shape[1], "W0")
        if W0.shape[1] != q:
            raise ValueError(f"W0 must have q = {q} columns, got {W0.shape[1]}")
        W = orthonormalize(W0)
    f = layer_objective(W, R, G, sigma=sigma)
    trace = [f]
    t = 1.0
    converged = False
    ratio = math.inf
    it = 0
    for it in range(1, max_iter + 1):
        eg = layer_gradient(W, R, G, sigma=sigma)
        g = stiefel_gradient(W, eg)
        gn2 = float(np.sum(g * g))
        ratio = math.sqrt(gn2) / max(float(np.linalg.norm(eg)), 1e-300)
        if ratio < gtol:
            converged = True
            break
        # first trial: twice the last accepted step, scaled so that the move is at most O(1)
        t = min(2.0 * t, 1.0 / math.sqrt(gn2))
        accepted = False
        while t * math.sqrt(gn2) > 1e-15:
            Wn = orthonormalize(W + t * g)
            fn = layer_objective(Wn, R, G, sigma=sigma)
            if fn >= f + 1e-4 * t * gn2:
                accepted = True
                break
            t *= 0.5
        if not accepted:  # no increase left above rounding: a stationary point to precision
            converged = ratio < 1e-6
            break
        W, f = Wn, fn
        trace.append(f)
    return W, {"objective": float(f), "iterations": it, "converged": bool(converged),
               "grad_ratio": float(ratio), "trace": trace}


# ---------------------------------------------------------------------------------------------
# ISM: the fixed point of W -> top-q eigenvectors of Q(W)
# ---------------------------------------------------------------------------------------------


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
    y : array_like, shape (n,)
    q : int, 1 <= q <= m
    sigma : float, > 0
    tol : float, > 0
    max_iter : int, >= 1
    W0 : array_like, shape (m, q), optional

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
        W0 = _as_stiefel(W0, R.shape[1], "W0")
        if W0.shape[1] != q:
            raise ValueError(f"W0 must have q = {q} columns, got {W0.shape[1]}")
        E0 = orthonormalize(V.T @ W0)
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


# ---------------------------------------------------------------------------------------------
# bandwidth, random features, layer diagnostics
# ---------------------------------------------------------------------------------------------


def hsic_optimal_sigma(X, y, *, max_samples=200, random_state=None) -> float:
    r"""HSIC-optimal Gaussian bandwidth, as the authors' ``opt_gaussian`` (DEFINITIONS.md).

    .. math::

       \sigma^\star = \arg\max_\sigma \sum_{ij} \Gamma_{ij}
       \exp\Big(-\frac{\lVert x_i - x_j\rVert^2}{2\sigma^2}\Big),

    the local maximum reached by ascent in :math:`t = \log\sigma` (steps of 1/16 decade, then
    Brent's method in the last bracket; the authors use BFGS), started at the median pairwise
    distance (:func:`kernelnet.kernels.median_heuristic`), on a random subsample
    of at most ``max_samples`` rows (the authors use 200). :math:`\sigma` is kept within a factor
    100 of its start (the authors set no bound): on data without label structure the sum grows
    as :math:`\sigma \to 0` (the diagonal :math:`\operatorname{Tr}\Gamma` wins), and an
    unbounded search returns a bandwidth at which random features are noise and rounding is
    amplified by :math:`1/\sigma` per layer.

    Parameters
    ----------
    X : array_like, shape (n, d)
    y : array_like, shape (n,)
    max_samples : int, >= 2
    random_state : None, int or numpy.random.Generator

    Returns
    -------
    float
    """
    X = as_matrix(X, "X", min_rows=2)
    codes, classes = as_labels(y, "y", n_samples=X.shape[0], min_classes=1)
    max_samples = check_int(max_samples, "max_samples", minimum=2)
    return _opt_sigma(X, codes, classes.shape[0], max_samples, _rng(random_state))


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


def _median_distance(D2: np.ndarray) -> float:
    """Median pairwise distance from squared distances, with the guards of
    :func:`kernelnet.kernels.median_heuristic` (a test checks they agree)."""
    d = np.sqrt(D2[np.triu_indices(D2.shape[0], 1)])
    med = float(np.median(d))
    if med > 0:
        return med
    pos = d[d > 0]
    return float(np.median(pos)) if pos.size else 1.0


# ISM layers round their bandwidth's log to this grid (2^-10, steps of 0.1 % in sigma; ten
# times Brent's tolerance below, so the HSIC given up is second order, ~1e-7 relative). The
# Brent refinement fits parabolas through points 1e-4 apart on a flat maximum, so it passes
# rounding in the HSIC values on magnified 1e3-1e5 times (wine, authors' fold 1: a 5e-13
# relative change in sigma at layer 3 became 3e-8 at layer 4 and 1e-6 at layer 5); the next
# layer's bandwidth search, ISM iteration and random features start from there. On the grid
# the bandwidth is the same number unless rounding moves the optimum across a cell's midpoint
# (about 1e-8 / 1e-3 = 1e-5 per layer with the rounding measured in the reproducibility test).
_SIGMA_GRID = 2.0**-10


def _opt_sigma(X, codes, c, max_samples, rng, grid=None) -> float:
    n = X.shape[0]
    if n > max_samples:
        idx = np.sort(rng.choice(n, size=max_samples, replace=False))
        X, codes = X[idx], codes[idx]
    A = _centred_one_hot(codes, c)
    G = A @ A.T
    with np.errstate(over="ignore", invalid="ignore"):
        D2 = _sq_dists(np.ascontiguousarray(X))
    if not np.all(np.isfinite(D2)):
        # the median would be inf and the ascent below would compare NaN with NaN forever
        raise ValueError(
            f"X is too large: its squared pairwise distances overflow (largest entry "
            f"{float(np.max(np.abs(X))):.3g}); rescale X"
        )
    if not np.any(D2 > 0) and np.any(X != X[0]):
        raise ValueError(
            f"X is too small: its squared pairwise distances underflow to 0 (largest entry "
            f"{float(np.max(np.abs(X))):.3g}); rescale X"
        )
    s0 = _median_distance(D2)
    if s0 < 1e-150:  # the search's 1 / sigma^2 (sigma down to s0 / 100) would overflow
        raise ValueError(f"X is too small: its median pairwise distance is {s0:.3g} (< 1e-150); "
                         "rescale X")
    t0 = math.log(s0)

    def f(t):
        return float(np.sum(G * np.exp(D2 * (-0.5 * math.exp(-2.0 * t)))))

    # Local ascent from the median, in steps of 1/16 decade of sigma, then a bounded Brent
    # refinement inside the last bracket. (A quasi-Newton step from the median can jump over
    # a local maximum: on the authors' random set a line search from 2.2 lands on the bound,
    # below the local maximum at ~0.22 that the ascent finds.)
    span = math.log(100.0)
    step = math.log(10.0) / 16.0
    lo_t, hi_t = t0 - span, t0 + span
    f0 = f(t0)
    best_t, best_f = t0, f0
    for direction in (-1.0, 1.0):
        t, ft = t0, f0
        while True:
            tn = t + direction * step
            if tn < lo_t - 1e-12 or tn > hi_t + 1e-12:
                break
            fn = f(tn)
            if not fn > ft:  # also stops on NaN
                break
            t, ft = tn, fn
        if ft > best_f:
            best_t, best_f = t, ft
        if best_t != t0:
            break  # climbed downwards: no need to try upwards
    a_t, b_t = max(best_t - step, lo_t), min(best_t + step, hi_t)
    res = minimize_scalar(lambda t: -f(t), bounds=(a_t, b_t), method="bounded",
                          options={"xatol": 1e-4})
    t = float(res.x) if np.isfinite(res.x) and -res.fun >= best_f else best_t
    if grid is not None:
        t = round(t / grid) * grid
    return float(math.exp(t))


def random_fourier_features(Z, *, sigma, n_features=400, random_state=None, params=None):
    r"""Random Fourier features of the Gaussian kernel (Rahimi and Recht 2007).

    .. math::

       \psi(z) = \sqrt{2/D}\, \cos(\Omega^\top z / \sigma + b), \qquad
       \Omega_{kj} \sim \mathcal N(0, 1), \; b_j \sim U[0, 2\pi),

    so that :math:`\mathbb E\, \psi(z)^\top \psi(z') = \exp(-\lVert z - z'\rVert^2/(2\sigma^2))`.
    The authors' ISM layers use :math:`D = 400` (data/README.md).

    Parameters
    ----------
    Z : array_like, shape (n, q)
    sigma : float, > 0
    n_features : int
    random_state : seed of :math:`(\Omega, b)` when ``params`` is None
    params : tuple (Omega, b), optional
        Reuse a draw (to map new points with a fitted layer).

    Returns
    -------
    Phi : ndarray, shape (n, D)
    params : tuple (Omega, b)
    """
    Z = as_matrix(Z, "Z")
    sigma = check_positive(sigma, "sigma")
    if params is None:
        D = check_int(n_features, "n_features", minimum=1)
        rng = _rng(random_state)
        Om = rng.standard_normal((Z.shape[1], D))
        b = rng.uniform(0.0, 2.0 * np.pi, D)
    else:
        Om, b = params
        if Om.shape[0] != Z.shape[1]:
            raise ValueError(
                f"Z must have {Om.shape[0]} columns for these params, got {Z.shape[1]}"
            )
    return _rff(Z, sigma, Om, b), (Om, b)


def _rff(Z, sigma, Om, b):
    Phi = Z @ Om
    Phi *= 1.0 / sigma
    Phi += b
    np.cos(Phi, out=Phi)
    Phi *= math.sqrt(2.0 / Om.shape[1])
    return Phi


def _class_sums(K: np.ndarray, Y: np.ndarray):
    """Within-class block sums s_k = sum_{i,j in k} K_ij and class sizes."""
    KY = K @ Y
    return np.einsum("ik,ik->k", Y, KY), Y.sum(axis=0)


def scatter_ratio(K, y) -> float:
    r"""Scatter trace ratio :math:`\operatorname{Tr}(S_w)/\operatorname{Tr}(S_b)` of eq. 6, from K.

    In the feature space of :math:`K` (DEFINITIONS.md):

    .. math::

       \operatorname{Tr}(S_w) = \sum_i K_{ii} - \sum_k \frac{1}{n_k} \sum_{i,j \in k} K_{ij},
       \qquad
       \operatorname{Tr}(S_b) = \sum_k \frac{1}{n_k} \sum_{i,j \in k} K_{ij}
       - \frac1n \sum_{ij} K_{ij} .

    Theorem 2 (I): it tends to 0 as :math:`\mathcal H_l \to \mathcal H^*`. Returns ``inf`` when
    :math:`\operatorname{Tr}(S_b) = 0`.
    """
    K = as_matrix(K, "K", min_rows=2)
    if K.shape[0] != K.shape[1]:
        raise ValueError(f"K must be square, got shape {K.shape}")
    codes, classes = as_labels(y, "y", n_samples=K.shape[0], x_name="K")
    K = pow2_rescale(K)  # a ratio: scale-invariant; sums overflow near 1e300
    Y = one_hot(codes, classes.shape[0])
    s, nk = _class_sums(K, Y)
    within = float(np.trace(K) - np.sum(s / nk))
    between = float(np.sum(s / nk) - K.sum() / K.shape[0])
    if not between > 0 and not within > 0:
        raise ValueError("K has neither within- nor between-class scatter (e.g. a constant "
                         "K): the ratio 0/0 is undefined")
    return within / between if between > 0 else math.inf


def distance_ratio(Z, y) -> float:
    r"""The authors' scatter ratio :math:`T` (the table's column).

    .. math::

       T = \frac{\sum_{y_i = y_j} \lVert z_i - z_j \rVert}
                {\sum_{y_i \ne y_j} \lVert z_i - z_j\rVert}

    (Euclidean, not squared, over ordered pairs; ``src/tools/distances.py`` of the authors'
    W_s code, DEFINITIONS.md). ``inf`` when every between-class distance is 0 but some
    within-class distance is not; ``ValueError`` when all rows coincide (0/0).
    """
    Z = as_matrix(Z, "Z", min_rows=2, allow_1d=True)
    codes, classes = as_labels(y, "y", n_samples=Z.shape[0], x_name="Z")
    # a ratio: scale-invariant; squared distances over/underflow outside [1e-100, 1e100]
    D = np.sqrt(_sq_dists(pow2_rescale(Z)))
    same = codes[:, None] == codes[None, :]
    between = float(D[~same].sum())
    within = float(D[same].sum())
    if not between > 0 and not within > 0:
        raise ValueError("Z has all rows equal: the ratio 0/0 is undefined")
    return within / between if between > 0 else math.inf


def ideal_kernel_distance(K, y) -> float:
    r"""Distance of a kernel matrix to the limit kernel :math:`K^*` of eq. 7.

    .. math::

       \frac{1}{n}\lVert K - K^* \rVert_F, \qquad K^*_{ij} = [y_i = y_j]

    (Theorem 2 (II): tends to 0). The :math:`1/n` makes it the root mean square entry error.
    """
    K = as_matrix(K, "K", min_rows=2)
    if K.shape[0] != K.shape[1]:
        raise ValueError(f"K must be square, got shape {K.shape}")
    codes, _ = as_labels(y, "y", n_samples=K.shape[0], x_name="K")
    Kstar = (codes[:, None] == codes[None, :]).astype(np.float64)
    D = K - Kstar
    e = pow2_exponent(D)  # numpy's Frobenius norm squares the entries: overflow near 1e154
    dist = float(np.ldexp(np.linalg.norm(np.ldexp(D, -e)), e)) if e else float(np.linalg.norm(D))
    if not np.isfinite(dist):
        raise ValueError("K is too large: its distance to K* overflows; rescale K")
    return dist / K.shape[0]


def silhouette(Z, y) -> float:
    r"""Mean silhouette of the rows of ``Z`` with labels ``y`` (Euclidean; Rousseeuw 1987).

    .. math::

       s_i = \frac{b_i - a_i}{\max(a_i, b_i)}, \quad a_i = \text{mean distance to its own class},
       \quad b_i = \min_{k \ne y_i} \text{mean distance to class } k,

    :math:`s_i = 0` for a singleton class. Same value as ``sklearn.metrics.silhouette_score``
    (a test checks it), computed from one distance matrix and one product with the class
    indicator. The authors' ISM network stops on it (data/README.md).
    """
    Z = as_matrix(Z, "Z", min_rows=2, allow_1d=True)
    codes, classes = as_labels(y, "y", n_samples=Z.shape[0], x_name="Z")
    # scale-invariant; squared distances overflow near 1e155
    return _silhouette(pow2_rescale(Z), codes, classes.shape[0])


def _silhouette(Z, codes, c) -> float:
    n = Z.shape[0]
    D = _sq_dists(np.ascontiguousarray(Z))
    np.sqrt(D, out=D)
    Y = one_hot(codes, c)
    S = D @ Y  # sums of distances to each class
    nk = Y.sum(axis=0)
    own = S[np.arange(n), codes]
    nown = nk[codes] - 1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        a = np.where(nown > 0, own / np.maximum(nown, 1.0), 0.0)
        M = S / nk
        M[np.arange(n), codes] = np.inf
        b = M.min(axis=1)
        den = np.maximum(a, b)
        s = np.where((nown > 0) & (den > 0), (b - a) / np.where(den > 0, den, 1.0), 0.0)
    return float(s.mean())


def _kernel_label_stats(K, A, Y, KA=None, KY=None, k2=None):
    """HSIC and both normalised variants of a kernel K against L = Y Y^T, from K in one pass.

    The same formulas as ``kernelnet.hsic.hsic_gaussian`` (its docstring), applied to a formed
    K: with r = K 1, s = 1^T K 1, A = H Y, p = column means of Y,
    Tr(Gamma K) = sum_k a_k^T K a_k, <HK, HL>_F = Tr(Gamma K) + r^T A p,
    ||HK||^2 = sum K^2 - |r|^2 / n, ||HKH||^2 = sum K^2 - 2 |r|^2 / n + s^2 / n^2,
    ||HLH|| = ||A^T A||_F, ||HL||^2 = <A^T A, Y^T Y>_F. A test checks them against
    ``kernelnet.hsic.hsic`` and ``normalized_hsic`` (which centre n x n copies: ~10x slower).
    """
    n = K.shape[0]
    if KA is None:
        KA = K @ A
    if KY is None:
        KY = K @ Y
    tr = float(np.sum(KA * A))
    r = KY.sum(axis=1)  # = K 1 (rows of Y sum to 1)
    ssum = float(r.sum())
    if k2 is None:
        k2 = float(np.einsum("ij,ij->", K, K))
    r2 = float(r @ r)
    p = Y.mean(axis=0)
    AtA = A.T @ A
    nhl = math.sqrt(max(float(np.sum(AtA * (Y.T @ Y))), 0.0))
    nhlh = float(np.linalg.norm(AtA))
    nhk = math.sqrt(max(k2 - r2 / n, 0.0))
    nhkh = math.sqrt(max(k2 - 2.0 * r2 / n + ssum * ssum / (n * n), 0.0))
    num_auth = tr + float(r @ (A @ p))
    return {
        "objective": tr,
        "hsic": tr / (n - 1) ** 2,
        "nhsic_authors": num_auth / (nhk * nhl) if nhk * nhl > 0 else math.nan,
        "nhsic_cka": tr / (nhkh * nhlh) if nhkh * nhlh > 0 else math.nan,
    }


def _layer_metrics(K, A, codes, c, Zout=None):
    """Per-layer history numbers from the layer kernel K (n x n) and the output Zout.

    ``Zout=None``: the output is the feature map of K itself (ISM's random features
    approximate it), whose distances are sqrt(2 - 2 K_ij).
    """
    n = K.shape[0]
    Y = one_hot(codes, c)
    KAY = K @ np.hstack([A, Y])  # one GEMM for Tr(Gamma K), row sums and class block sums
    KA, KY = KAY[:, :c], KAY[:, c:]
    k2 = float(np.einsum("ij,ij->", K, K))
    out = _kernel_label_stats(K, A, Y, KA=KA, KY=KY, k2=k2)
    s = np.einsum("ik,ik->k", Y, KY)
    nk = Y.sum(axis=0)
    total = float(KY.sum())
    within = float(np.trace(K) - np.sum(s / nk))
    between = float(np.sum(s / nk) - total / n)
    out["scatter_ratio"] = within / between if between > 0 else math.inf
    # ||K - K*||_F^2 = sum K^2 - 2 sum_{same} K + #same pairs, from the class block sums
    out["kernel_distance"] = math.sqrt(max(k2 - 2.0 * float(s.sum()) + float(nk @ nk), 0.0)) / n
    if Zout is None:
        # feature-space distances sqrt(2 - 2 K); the factor sqrt(2) cancels in the ratio
        D = np.subtract(1.0, K)
        np.maximum(D, 0.0, out=D)
        np.sqrt(D, out=D)
    else:
        D = np.sqrt(_sq_dists(np.ascontiguousarray(Zout)))
    DY = D @ Y
    same_d = np.einsum("ik,ik->k", Y, DY)
    between_d = float(DY.sum()) - float(same_d.sum())
    out["distance_ratio"] = float(same_d.sum()) / between_d if between_d > 0 else math.inf
    return out


# ---------------------------------------------------------------------------------------------
# the estimator
# ---------------------------------------------------------------------------------------------


class LayerwiseKernelNet(ClassifierMixin, BaseEstimator):
    r"""Layer-wise kernel network trained without backpropagation (seed 000, Claims 1-6).

    Each layer maximises eq. 1, :math:`\operatorname{Tr}(\Gamma\, \psi(R W)\psi(R W)^\top)`
    s.t. :math:`W^\top W = I`, given the previous layer's output :math:`R`:

    * ``method="ism"`` (:math:`W^*`, Claim 5, eq. 9; the authors' ``Neural_Indicator_Kernel_ISM``):
      bandwidth :math:`\sigma_l` = :func:`hsic_optimal_sigma` of the layer input (at most 200
      subsampled points; its log rounded to a grid of :math:`2^{-10}`, 0.1 % steps, so that
      rounding does not move it), width :math:`q_l` = :func:`ism_width` (50 % of the
      singular-value sum, at least :math:`2c`), :math:`W_l` = :func:`ism_fixed_point`
      (relative eigenvalue change below ``ism_tol``; a detected 2-cycle or ``ism_max_iter``
      leaves ``converged=False``),
      output :math:`\psi(R W_l)` = ``n_features`` random Fourier features at :math:`\sigma_l`
      (frequencies :math:`\Omega = W_l^\top G`, :math:`G` standard normal: the authors'
      distribution, and the features depend on the span of :math:`W_l` only, not on its basis).
      Default stop (``stop="authors"``): the silhouette of :math:`R W_l` exceeds 0.95, or changes
      by less than 0.001 while above 0.80. Last layer: supervised kernel PCA, the eigenvectors
      of the :math:`c-1` nonzero eigenvalues of :math:`\Phi^\top \Gamma \Phi` (rank
      :math:`c-1`; the authors take :math:`c`, the last of which is an arbitrary null vector);
      prediction by the nearest class centre of the training outputs.
    * ``method="closed_form"`` (:math:`W_s`, eq. 2; the authors' ``NIK_Thm1_Release_V2``): the
      layer output is the kernel mean embedding :math:`z_k(x) = \sum_{j \in \mathcal S_k}
      k_{\sigma_a}(r_j, x) / \lVert \sum_{j \in \mathcal S_k} \phi(r_j)\rVert` (the kernel trick:
      :math:`R W_s` with :math:`R` the infinite feature map; the norm is computed exactly, or,
      with ``ws_normaliser="rff"``, approximated with 200 random features as the authors do),
      plus extra columns for the training
      samples the previous layer misclassified (``ws_append_misclassified``; ``"authors"`` is the
      published code's rule).
      :math:`\sigma_a` is the first value of ``np.logspace(log10(start), log10(ws_smallest_sigma),
      ws_n_sigmas)`` that raises the normalised HSIC (authors' variant) of the output, measured
      with a Gaussian kernel at the output's HSIC-optimal :math:`\sigma_b` (at least 0.01); start
      = HSIC-optimal sigma of X (at least 0.1) for layer 1, the previous :math:`\sigma_b` after.
      Default stop (``stop="authors"``, ``kchain.exit_loop``): normalised HSIC > 0.95, or no
      candidate raises it, or the accepted :math:`\sigma_a` is the last candidate (the list's
      smallest value). Prediction: 5-nearest neighbours on the last output. The authors' settings
      per data set: ``kernelnet.datasets.authors_ws_options(name)``.

    Other stopping rules: ``stop="target"`` stops once the normalised HSIC (authors' variant) of
    the layer kernel reaches ``target`` (a fraction of :math:`\mathcal H^* = 1`);
    ``stop="max_layers"`` grows exactly ``max_layers`` layers (W_s: fewer if its bandwidth list
    runs out). ``max_layers`` (30, the authors' cap) bounds every rule.

    Preprocessing is the caller's: the authors z-score train and test folds separately and, for
    W_s, add N(0, 0.02^2) noise to the training features (see ``kernelnet.experiments``).
    BLAS is pinned to one thread during ``fit`` (many small ``eigh`` calls; PERFORMANCE.md).

    Parameters
    ----------
    method : {"ism", "closed_form"}
    stop : {"authors", "target", "max_layers"}
    target : float in (0, 1]
        Normalised HSIC at which ``stop="target"`` stops.
    max_layers : int, default 30
    sigma : "auto" or float > 0
        ``"auto"``: the authors' per-layer rule above; a number fixes :math:`\sigma_l` (ISM) or
        :math:`\sigma_a` (W_s, no search) for every layer.
    sigma_max_samples : int, default 200
        Subsample size of the bandwidth optimisation.
    width : "auto" or int
        ISM width :math:`q` (``"auto"``: :func:`ism_width`; an int is clipped to min(n, m)).
    variance_kept : float, default 0.5
    n_features : int, default 400
        Random Fourier features per ISM layer.
    ism_tol : float, default 0.01
    ism_max_iter : int, default 200
    ism_precision : {"double", "single"}, default "double"
        Floating-point precision of the n x n products and eigensolves inside the ISM loop.
        ``"double"`` (float64) makes a fit independent of the processor: the BLAS library picks
        its kernels per processor (OpenBLAS: ``Haswell`` kernels on AMD EPYC, ``SkylakeX`` on
        Xeon), and their sums round differently. A network feeds each layer's rounding through
        the next layer's bandwidth search, ISM iteration and random features
        (:math:`\cos(\Omega^\top z/\sigma + b)` multiplies a change of :math:`z` by about
        :math:`\lVert\Omega\rVert/\sigma`), so float32 rounding (~1e-7) reaches the
        stopping rule's decisions within a few layers: the float32 table made on AMD EPYC
        differs in depth or test accuracy on 19 of 80 ISM folds when rerun on a Xeon (cancer,
        authors' fold 1: 8 layers there, 12 on the Xeon). In float64 the same rounding stays below
        ~1e-7 relative through ten layers on the real data sets (tests/test_reproducibility.py).
        ``"single"`` (float32) is 2-3x faster (PERFORMANCE.md) and lands on the same layer
        fixed points to ~1e-6, but whole networks then depend on the processor and the BLAS
        thread count.
    silhouette_exit, silhouette_plateau, silhouette_floor : float
        ISM stopping rule constants (0.95, 0.001, 0.80).
    hsic_exit : float, default 0.95
        W_s stopping threshold (normalised HSIC, authors' variant).
    ws_smallest_sigma : float, default 0.05
    ws_n_sigmas : int, default 20
    ws_append_misclassified : {"authors", "normalized", "raw", "none"}, default "normalized"
        Extra W_s columns, one per class that has training samples the previous layer
        misclassified; each is the kernel sum over those samples.

        * ``"authors"``: the published code's rule exactly (``NIK_Thm1_Release_V2``,
          ``kchain.obtain_avg_direction_kernel_trick_with_extra_dimensions``): extras are built
          only when the previous output's width differs from the network input's width (never
          at layer 1, whose input is X; never on a data set whose d equals c, e.g. adversarial
          with d = c = 2); "misclassified" is the argmax over **all** columns of the previous
          output, earlier extra columns included (a sample whose largest entry is an extra
          column counts as misclassified); normaliser 1 (the plain kernel sum).
        * ``"raw"``: from layer 2 on always, argmax over the first c (class) columns only,
          normaliser 1.
        * ``"normalized"`` (default, the book's variant): as ``"raw"`` but each extra column is
          scaled to unit embedding norm like the class columns.
        * ``"none"``: no extra columns (width c at every layer).
    ws_normaliser : {"exact", "rff"}, default "exact"
        How the class columns' normaliser :math:`\lVert \sum_{j \in \mathcal S_k}
        \phi(r_j)\rVert` is computed: ``"exact"`` from the kernel, :math:`\sqrt{\sum_{i,j \in
        \mathcal S_k} k(r_i, r_j)}`; ``"rff"`` as the authors' code does
        (``kchain.obtain_avg_direction_kernel_trick_with_extra_dimensions``), the norm of the
        class sum of scikit-learn ``RBFSampler(gamma=1/(2 sigma_a^2), n_components=200,
        random_state=1)`` features of the layer input. The approximation moves the argmax of
        borderline samples and so which samples get extra columns (wine, the authors' W_s fold
        2: 3 misclassified with ``"rff"``, 4 exact, and only the first lets layer 2 raise the
        normalised HSIC, as in the authors' log).
    n_neighbors : int, default 5
        W_s classifier.
    random_state : None, int or numpy.random.Generator
        Seeds the bandwidth subsamples and the random features.

    Attributes
    ----------
    classes_ : ndarray, shape (c,)
    n_features_in_ : int
    n_layers_ : int
    history_ : list of dict
        One dict per layer: ``layer``, ``method``, ``width``, ``sigma`` (:math:`\sigma_l`, the
        layer bandwidth; W_s: :math:`\sigma_a`), ``sigma_out`` (the bandwidth of the layer
        kernel :math:`K_l`: ISM :math:`\sigma_l`; W_s :math:`\sigma_b`), ``objective``
        (:math:`\operatorname{Tr}(\Gamma K_l)`), ``hsic`` (:math:`\operatorname{Tr}(K_l H L H)
        / (n-1)^2`, :math:`L = YY^\top`), ``nhsic_authors`` and ``nhsic_cka`` (the two
        normalised variants of DEFINITIONS.md; ``nhsic`` = ``nhsic_authors``), ``scatter_ratio``
        (eq. 6 from :math:`K_l`), ``distance_ratio`` (the authors' :math:`T`, on the layer output:
        for ISM in the exact feature space of :math:`K_l`, distances
        :math:`\sqrt{2 - 2 K_{ij}}`, which the random features approximate; W_s the
        embedding), ``kernel_distance``
        (:math:`\lVert K_l - K^*\rVert_F / n`, eq. 7), ``silhouette`` (of :math:`R W_l` for ISM,
        of the output for W_s), ``train_accuracy`` (the network's classifier applied as if this
        layer were the last), ``time`` (seconds for the layer, metrics included), ``converged``,
        ``ism_iterations``, ``cycled``. :math:`K_l` is the exact Gaussian kernel (not its random
        feature approximation): ISM on :math:`R_{l-1} W_l` at :math:`\sigma_l`; W_s on the
        output at :math:`\sigma_b`.
    stop_reason_ : str
    fit_time_ : float

    Notes
    -----
    Like scikit-learn's ``SVC``, the estimator does not scale its input, and the bandwidth search
    and the stopping rules assume features on comparable scales: the authors z-score every fold.
    Put a ``StandardScaler`` in front of it. On the raw wine data the ISM network scores about
    0.78 in 5-fold cross-validation, behind a scaler about 0.96 (the example below checks both).

    Examples
    --------
    >>> from sklearn.model_selection import cross_val_score
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from kernelnet.datasets import load
    >>> from kernelnet.layerwise import LayerwiseKernelNet
    >>> X, y = load("wine")
    >>> scaled = make_pipeline(StandardScaler(), LayerwiseKernelNet(random_state=0))
    >>> bool(cross_val_score(scaled, X, y, cv=5).mean() > 0.9)
    True
    >>> bool(cross_val_score(LayerwiseKernelNet(random_state=0), X, y, cv=5).mean() < 0.85)
    True
    """

    # "fast" (QR-reduced, fused kernel, subset eigh) or "numpy" (the plain reference route of
    # benchmarks/bench_layerwise.py and the parity test); not a parameter
    _route = "fast"

    def __init__(
        self,
        method="ism",
        *,
        stop="authors",
        target=0.95,
        max_layers=30,
        sigma="auto",
        sigma_max_samples=200,
        width="auto",
        variance_kept=0.5,
        n_features=400,
        ism_tol=0.01,
        ism_max_iter=200,
        ism_precision="double",
        silhouette_exit=0.95,
        silhouette_plateau=0.001,
        silhouette_floor=0.80,
        hsic_exit=0.95,
        ws_smallest_sigma=0.05,
        ws_n_sigmas=20,
        ws_append_misclassified="normalized",
        ws_normaliser="exact",
        n_neighbors=5,
        random_state=None,
    ):
        self.method = method
        self.stop = stop
        self.target = target
        self.max_layers = max_layers
        self.sigma = sigma
        self.sigma_max_samples = sigma_max_samples
        self.width = width
        self.variance_kept = variance_kept
        self.n_features = n_features
        self.ism_tol = ism_tol
        self.ism_max_iter = ism_max_iter
        self.ism_precision = ism_precision
        self.silhouette_exit = silhouette_exit
        self.silhouette_plateau = silhouette_plateau
        self.silhouette_floor = silhouette_floor
        self.hsic_exit = hsic_exit
        self.ws_smallest_sigma = ws_smallest_sigma
        self.ws_n_sigmas = ws_n_sigmas
        self.ws_append_misclassified = ws_append_misclassified
        self.ws_normaliser = ws_normaliser
        self.n_neighbors = n_neighbors
        self.random_state = random_state

    # -- parameters ----------------------------------------------------------------------------

    def _check_params(self):
        check_choice(self.method, "method", ("ism", "closed_form"))
        check_choice(self.stop, "stop", ("authors", "target", "max_layers"))
        t = check_positive(self.target, "target")
        if t > 1:
            raise ValueError(f"target must be in (0, 1], got {self.target!r}")
        check_int(self.max_layers, "max_layers", minimum=1)
        if not (isinstance(self.sigma, str) and self.sigma == "auto"):
            check_positive(self.sigma, "sigma")
        check_int(self.sigma_max_samples, "sigma_max_samples", minimum=2)
        if not (isinstance(self.width, str) and self.width == "auto"):
            check_int(self.width, "width", minimum=1)
        v = check_positive(self.variance_kept, "variance_kept")
        if v > 1:
            raise ValueError(f"variance_kept must be in (0, 1], got {self.variance_kept!r}")
        check_int(self.n_features, "n_features", minimum=1)
        check_positive(self.ism_tol, "ism_tol")
        check_int(self.ism_max_iter, "ism_max_iter", minimum=1)
        check_choice(self.ism_precision, "ism_precision", ("single", "double"))
        for name in ("silhouette_exit", "silhouette_floor", "hsic_exit"):
            val = getattr(self, name)
            if isinstance(val, bool) or not isinstance(val, numbers.Real) or not np.isfinite(val):
                raise ValueError(f"{name} must be a finite number, got {val!r}")
        check_positive(self.silhouette_plateau, "silhouette_plateau")
        check_positive(self.ws_smallest_sigma, "ws_smallest_sigma")
        check_int(self.ws_n_sigmas, "ws_n_sigmas", minimum=1)
        check_choice(
            self.ws_append_misclassified,
            "ws_append_misclassified",
            ("authors", "normalized", "raw", "none"),
        )
        check_choice(self.ws_normaliser, "ws_normaliser", ("exact", "rff"))
        check_int(self.n_neighbors, "n_neighbors", minimum=1)

    # -- fit -----------------------------------------------------------------------------------

    def fit(self, X, y):
        """Grow the network greedily on ``(X, y)``; returns ``self``."""
        self._check_params()
        # scikit-learn's own checks (check_estimator searches their phrases); the prefix says
        # which argument they are about
        try:
            X, y = validate_data(self, X, y, ensure_min_samples=2, dtype=np.float64)
        except TypeError as exc:
            if "not supported between instances" not in str(exc):
                raise  # e.g. a dict in X: check_estimator expects scikit-learn's TypeError
            # labels of types that cannot be compared (e.g. 1 and "a")
            raise ValueError(f"y mixes label types that cannot be compared: {exc}") from None
        except ValueError as exc:
            raise ValueError(f"X, y: {exc}") from None
        try:
            check_classification_targets(y)
        except TypeError as exc:
            raise ValueError(f"y mixes label types that cannot be compared: {exc}") from None
        except ValueError as exc:
            raise ValueError(f"y: {exc}") from None
        codes, classes = as_labels(y, "y", n_samples=X.shape[0])
        if not np.any(X != X[0]):
            raise ValueError("X has all rows equal: no layer can separate the classes")
        if self.method == "ism" and self.ism_precision == "single":
            _check_single_range(X)
        self.classes_ = classes
        rng = _rng(self.random_state)
        t0 = time.perf_counter()
        with _blas_one_thread():
            if self.method == "ism":
                self._fit_ism(np.ascontiguousarray(X), codes, rng)
            else:
                self._fit_ws(np.ascontiguousarray(X), codes, rng)
        self.fit_time_ = time.perf_counter() - t0
        self.n_layers_ = len(self.layers_)
        return self

    def _layer_sigma(self, R, codes, c, rng):
        if isinstance(self.sigma, str):  # ISM only: on the grid of _SIGMA_GRID
            return _opt_sigma(R, codes, c, self.sigma_max_samples, rng, grid=_SIGMA_GRID)
        return float(self.sigma)

    def _stop_target(self, h):
        return self.stop == "target" and h >= self.target

    def _fit_ism(self, X, codes, rng):
        c = self.classes_.shape[0]
        n = X.shape[0]
        A = _centred_one_hot(codes, c)
        work = _Workspace(A)
        R = X
        self.layers_, self.history_ = [], []
        prev_sil = None
        self.stop_reason_ = "max_layers"
        for ell in range(1, self.max_layers + 1):
            tl = time.perf_counter()
            sigma = self._layer_sigma(R, codes, c, rng)
            if self._route == "fast":
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
                route=self._route,
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
            Vk, centres, scale = self._skpca(Phi, A, codes, c)
            acc = float(np.mean(self._nearest_centre(Phi @ Vk, centres) == codes))
            self.layers_.append({"W": W, "sigma": sigma, "Omega": Om, "b": b})
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
            self.history_.append(rec)
            if self.stop == "authors":
                if sil > self.silhouette_exit:
                    self.stop_reason_ = "silhouette_exit"
                    break
                if (
                    prev_sil is not None
                    and abs(sil - prev_sil) < self.silhouette_plateau
                    and sil > self.silhouette_floor
                ):
                    self.stop_reason_ = "silhouette_plateau"
                    break
            elif self._stop_target(met["nhsic_authors"]):
                self.stop_reason_ = "target"
                break
            prev_sil = sil
        self.skpca_, self.centres_, self.proba_scale_ = self._skpca(R, A, codes, c)

    @staticmethod
    def _skpca(Phi, A, codes, c):
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

    @staticmethod
    def _nearest_centre(F, centres):
        d2 = np.sum((F[:, None, :] - centres[None, :, :]) ** 2, axis=2)
        return np.argmin(d2, axis=1)

    def _ws_output(self, Zin, layer):
        K = gaussian_kernel(Zin, layer["ref"], sigma=layer["sigma"])
        return K @ layer["S"]

    def _fit_ws(self, X, codes, rng):
        c = self.classes_.shape[0]
        n = X.shape[0]
        A = _centred_one_hot(codes, c)
        Y = one_hot(codes, c)
        Lmat = Y @ Y.T
        Zin = X
        self.layers_, self.history_ = [], []
        fixed = not isinstance(self.sigma, str)
        if fixed:
            start = float(self.sigma)
        else:
            start = max(_opt_sigma(X, codes, c, self.sigma_max_samples, rng), 0.1)
        h_prev = 0.1
        self.stop_reason_ = "max_layers"
        for ell in range(1, self.max_layers + 1):
            tl = time.perf_counter()
            groups = [np.flatnonzero(codes == k) for k in range(c)]
            groups += ws_extra_groups(Zin, codes, c, X.shape[1], self.ws_append_misclassified,
                                      first_layer=ell == 1)
            n_extra = len(groups) - c
            if fixed:
                cands = [start]
            else:
                lo = float(self.ws_smallest_sigma)
                cands = list(np.logspace(np.log10(start), np.log10(lo), int(self.ws_n_sigmas)))
            accepted = None
            for sa in cands:
                Kin = gaussian_kernel(Zin, sigma=sa)
                F = _authors_rff(Zin, sa) if self.ws_normaliser == "rff" else None
                S = np.zeros((n, len(groups)))
                for j, g in enumerate(groups):
                    if j < c and F is not None:
                        norm = max(float(np.linalg.norm(F[g].sum(axis=0))), 1e-300)
                    elif j < c or self.ws_append_misclassified == "normalized":
                        norm = math.sqrt(max(float(Kin[np.ix_(g, g)].sum()), 1e-300))
                    else:
                        norm = 1.0
                    S[g, j] = 1.0 / norm
                Z = Kin @ S
                sb = max(_opt_sigma(Z, codes, c, self.sigma_max_samples, rng), 0.01)
                K = gaussian_kernel(Z, sigma=sb)
                h = _kernel_label_stats(K, A, Y)["nhsic_authors"]
                if h > h_prev or fixed:
                    accepted = (sa, sb, S, Z, K, h)
                    break
            if accepted is None:
                self.stop_reason_ = "sigma_list_exhausted"
                break
            sa, sb, S, Z, K, h = accepted
            met = _layer_metrics(K, A, codes, c, Z)
            knn = KNeighborsClassifier(n_neighbors=min(int(self.n_neighbors), n)).fit(Z, codes)
            acc = float(np.mean(knn.predict(Z) == codes))
            self.layers_.append({"ref": Zin, "sigma": sa, "S": S, "sigma_out": sb})
            rec = {
                "layer": ell,
                "method": "closed_form",
                "width": int(S.shape[1]),
                "sigma": sa,
                "sigma_out": sb,
                **met,
                "nhsic": met["nhsic_authors"],
                "silhouette": _silhouette(Z, codes, c),
                "train_accuracy": acc,
                "converged": True,
                "ism_iterations": 0,
                "cycled": False,
                "n_extra_columns": n_extra,
                "n_samples": n,
            }
            rec["time"] = time.perf_counter() - tl
            self.history_.append(rec)
            Zin = Z
            h_prev = h
            start = sb
            if self.stop == "authors" and h > self.hsic_exit:
                self.stop_reason_ = "hsic_exit"
                break
            if self.stop == "authors" and not fixed and sa == cands[-1]:
                # kchain.exit_loop: the accepted sigma_a is the list's smallest value
                self.stop_reason_ = "smallest_sigma"
                break
            if self._stop_target(h):
                self.stop_reason_ = "target"
                break
        if not self.layers_:
            # no bandwidth raised the HSIC above 0.1: keep the largest candidate as one layer
            raise ValueError(
                "closed_form: no bandwidth in the candidate list raised the normalised HSIC "
                "above 0.1 at layer 1; the data carry no usable label signal"
            )
        self.knn_ = KNeighborsClassifier(n_neighbors=min(int(self.n_neighbors), n)).fit(
            Zin, codes
        )

    # -- inference -----------------------------------------------------------------------------

    def layer_outputs(self, X):
        """Outputs of every layer for ``X``: ISM the random features, W_s the embeddings."""
        check_is_fitted(self, "layers_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        outs = []
        R = np.ascontiguousarray(X)
        for layer in self.layers_:
            if self.method == "ism":
                R = _rff(R @ layer["W"], layer["sigma"], layer["Omega"], layer["b"])
            else:
                R = self._ws_output(R, layer)
            outs.append(R)
        return outs

    def transform(self, X):
        """The representation the network classifies.

        ISM: the supervised kernel-PCA output (n x (c-1)) of the last random-feature layer;
        W_s: the last layer's embedding (n x width).
        """
        R = self.layer_outputs(X)[-1]
        if self.method == "ism":
            return R @ self.skpca_
        return R

    def fit_transform(self, X, y):
        """``fit(X, y)`` then ``transform(X)``."""
        return self.fit(X, y).transform(X)

    def predict_proba(self, X):
        r"""Class probabilities.

        ISM: :math:`p_k \propto \exp(-\lVert f - \mu_k\rVert^2 / (2 s^2))` with :math:`\mu_k` the
        training class centres and :math:`s^2` the mean within-class squared distance (a
        calibration added here; the paper reports only the nearest-centre label, which is the
        argmax). W_s: the fraction of the ``n_neighbors`` nearest training outputs in each class.
        """
        F = self.transform(X)
        if self.method == "ism":
            d2 = np.sum((F[:, None, :] - self.centres_[None, :, :]) ** 2, axis=2)
            logit = -d2 / (2.0 * self.proba_scale_)
            logit -= logit.max(axis=1, keepdims=True)
            p = np.exp(logit)
            return p / p.sum(axis=1, keepdims=True)
        return self.knn_.predict_proba(F)

    def predict(self, X):
        """ISM: nearest class centre after supervised kernel PCA; W_s: 5-nearest neighbours."""
        F = self.transform(X)
        if self.method == "ism":
            return self.classes_[self._nearest_centre(F, self.centres_)]
        return self.classes_[self.knn_.predict(F)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        # it has ``transform`` (the representation it classifies), so it is also a transformer;
        # outputs are always float64
        tags.transformer_tags = TransformerTags(preserves_dtype=["float64"])
        return tags
