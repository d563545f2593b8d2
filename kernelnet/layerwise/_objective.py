r"""The layer objective of eq. 1, its gradient, :math:`Q(W)` of eq. 9, the surrogate of eqs. 10-11,
and the Stiefel manifold the weights live on (QR retraction, random points, gradient ascent).
"""

from __future__ import annotations

import math

import numpy as np

from kernelnet._validation import as_labels, as_matrix, as_rng, check_int, check_positive
from kernelnet.kernels import gaussian_kernel
from kernelnet.layerwise._common import (
    _as_start,
    _as_stiefel,
    _centred_one_hot,
)

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
    return orthonormalize(as_rng(random_state).standard_normal((m, q)))


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
        W = orthonormalize(_as_start(W0, R.shape[1], q))
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
