r"""Feature learning with one gradient step: targets :math:`g(Ux)`, Algorithm 1, Lemma 1, baselines.

Source: seed ``004_cd66bda136cc5f5c.txt`` (talk on Damian, Lee & Soltanolkotabi, "Neural
Networks can Learn Representations with Gradient Descent", COLT 2022), with the corrections of
``seeds/ERRATA.md`` (section 004):

* the symmetric initialisation pairs neuron :math:`j` with :math:`j + m/2` (the seed's
  :math:`a_j = -a_{m-j}` pairs :math:`m/2` with itself), so that :math:`f_{\theta_0} \equiv 0`;
* the targets contain degree-2 Hermite terms in every latent direction, so that
  :math:`H = \mathbb{E}[\nabla^2 f^\star]` has rank :math:`r` (Assumption 2); a target made
  only of :math:`\mathrm{He}_p` terms with :math:`p \ge 3` has :math:`H = 0`.

Conventions (all from the seed): :math:`x \sim N(0, I_d)`; the loss is the plain mean squared
error :math:`\mathcal L(\theta) = \frac1n \sum_i (f_\theta(x_i) - y_i)^2` (the seed's population
gradient :math:`\mathbb E[2 (f_\theta - f^\star) \nabla f_\theta]` has no factor 1/2); the network
is :math:`f_\theta(x) = \sum_{j=1}^m a_j \sigma(w_j \cdot x + b_j)` with
:math:`\sigma = \mathrm{relu}` and :math:`\sigma'(0) = 1` (the seed writes
:math:`\mathbf 1_{w \cdot x \ge 0}`).

The kernel baselines (NTK and NNGP / random-features limit of this network) are assembled from
:mod:`kernelnet.kernels`; linear systems go through :mod:`kernelnet.solvers`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg
from numba import njit

from . import kernels as _kernels
from . import solvers as _solvers
from ._validation import (
    as_rng,
    as_matrix,
    as_vector,
    check_choice,
    check_int,
    check_nonnegative,
    check_not_diverged,
    check_positive,
    check_same_rows,
)

__all__ = [
    "hermite_e",
    "HermiteTarget",
    "make_target",
    "sample_inputs",
    "symmetric_init",
    "small_random_init",
    "network_output",
    "features",
    "loss_gradient_W",
    "population_gradient_W",
    "population_gradient_W_mc",
    "population_gradient_terms",
    "lemma1_term",
    "step_coefficients",
    "preprocess",
    "Algorithm1Result",
    "algorithm1",
    "algorithm1_ridge_path",
    "random_features_regression",
    "random_features_ridge_path",
    "predict_path",
    "cholesky_ridge_path",
    "pure_hermite_target",
    "neuron_sines",
    "train_network_gd",
    "network_ntk",
    "network_nngp",
    "kernel_regression",
    "principal_angles",
]

SQRT_2PI = math.sqrt(2.0 * math.pi)


# ---------------------------------------------------------------------------------------------
# Hermite polynomials and targets g(Ux)
# ---------------------------------------------------------------------------------------------


def hermite_e(z, degree):
    r"""Probabilists' Hermite polynomials :math:`\mathrm{He}_0, \dots, \mathrm{He}_p` at ``z``.

    .. math::

        \mathrm{He}_0 = 1,\quad \mathrm{He}_1(z) = z,\quad
        \mathrm{He}_{k+1}(z) = z\,\mathrm{He}_k(z) - k\,\mathrm{He}_{k-1}(z),

    orthogonal under :math:`N(0, 1)` with :math:`\mathbb E[\mathrm{He}_j \mathrm{He}_k] =
    k!\,\delta_{jk}` (Abramowitz & Stegun 22.7.14; the seed's Hermite expansion).

    Parameters
    ----------
    z : array_like
        Points (any shape, finite).
    degree : int
        Highest degree :math:`p \ge 0`.

    Returns
    -------
    H : ndarray, shape ``z.shape + (degree + 1,)``
    """
    degree = check_int(degree, "degree", minimum=0)
    try:
        z = np.asarray(z, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"z must be numeric, got {type(z).__name__}: {exc}") from None
    if not np.all(np.isfinite(z)):
        raise ValueError("z contains non-finite values")
    out = np.empty(z.shape + (degree + 1,))
    out[..., 0] = 1.0
    if degree >= 1:
        out[..., 1] = z
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(1, degree):
            out[..., k + 1] = z * out[..., k] - k * out[..., k - 1]
    if not np.all(np.isfinite(out)):
        raise ValueError(f"z is too large for degree {degree}: He_k(z) ~ z^k overflows "
                         f"(|z| up to {float(np.max(np.abs(z))):.3g})")
    return out


def _step_hermite(kmax):
    r""":math:`s_k = \mathbb E[\mathbf 1_{t \ge 0} \mathrm{He}_k(t)]`, :math:`t \sim N(0, 1)`.

    :math:`s_0 = 1/2` and, since :math:`\mathrm{He}_k \varphi = -(\mathrm{He}_{k-1}\varphi)'`,
    :math:`s_k = \varphi(0)\,\mathrm{He}_{k-1}(0)` for :math:`k \ge 1` (1, 0, -1, 0, 3, ...).
    """
    s = np.empty(kmax + 1)
    s[0] = 0.5
    if kmax >= 1:
        he0 = hermite_e(np.zeros(()), max(kmax - 1, 0))
        s[1:] = he0[:kmax] / SQRT_2PI
    return s


def step_coefficients(kmax):
    r"""Hermite coefficients of the ReLU derivative :math:`\sigma'(t) = \mathbf 1_{t \ge 0}`.

    .. math::

        \mathbf 1_{t \ge 0} = \sum_k \frac{s_k}{k!} \mathrm{He}_k(t), \qquad
        s_0 = \tfrac12,\quad s_k = \frac{\mathrm{He}_{k-1}(0)}{\sqrt{2\pi}}\ (k \ge 1).

    :math:`s_k` is the seed's :math:`c_{k+1}` (its coefficients are those of :math:`\sigma`
    itself, whose derivative is the step), so :math:`c_2 = s_1 = 1/\sqrt{2\pi}` is the constant
    of Lemma 1.

    Parameters
    ----------
    kmax : int, >= 0

    Returns
    -------
    s : ndarray, shape (kmax + 1,)
    """
    kmax = check_int(kmax, "kmax", minimum=0)
    return _step_hermite(kmax)


@dataclass(frozen=True)
class HermiteTarget:
    r"""A polynomial target with a low-dimensional latent structure.

    .. math::

        f^\star(x) = g(Ux), \qquad g(z) = \sum_t c_t \prod_{k=1}^r \mathrm{He}_{\alpha_{tk}}(z_k),

    with :math:`U \in \mathbb R^{r \times d}` having orthonormal rows, so :math:`z = Ux \sim
    N(0, I_r)` for :math:`x \sim N(0, I_d)` (seed 004, Assumption 1 and "Objective").
    Because the Hermite products are orthogonal,
    :math:`\mathbb E[f^\star] = c_0`, :math:`\mathrm{Var} f^\star = \sum_{\alpha \ne 0} c_\alpha^2
    \alpha!`, and the expected derivative tensors are
    :math:`C_k(w^{\otimes k}) = \mathbb E[\nabla^k f^\star](w^{\otimes k}) = k!\,P_k(Uw)` with
    :math:`P_k(v) = \sum_{|\alpha| = k} c_\alpha v^\alpha`. In particular the average Hessian
    :math:`H = \mathbb E[\nabla^2 f^\star] = U^\top H_z U` is exact, with
    :math:`(H_z)_{ii} = 2 c_{2e_i}` and :math:`(H_z)_{ij} = c_{e_i + e_j}`.

    Attributes
    ----------
    U : ndarray, shape (r, d)
    powers : ndarray of int, shape (T, r)
        Multi-indices :math:`\alpha_t`.
    coef : ndarray, shape (T,)
        Coefficients :math:`c_t`.
    """

    U: np.ndarray
    powers: np.ndarray
    coef: np.ndarray

    def __post_init__(self):
        U = as_matrix(self.U, "U")
        r, d = U.shape
        if r > d:
            raise ValueError(f"U must have r <= d rows, got shape {U.shape}")
        if not np.allclose(U @ U.T, np.eye(r), atol=1e-10):
            raise ValueError("U must have orthonormal rows (U U^T = I)")
        powers = np.asarray(self.powers)
        if powers.ndim != 2 or powers.shape[1] != r or powers.dtype.kind not in "iu":
            raise ValueError(f"powers must be an integer array of shape (T, {r}), got {powers.shape}")
        if np.any(powers < 0):
            raise ValueError("powers must be non-negative")
        coef = as_vector(self.coef, "coef", size=powers.shape[0])
        object.__setattr__(self, "U", U)
        object.__setattr__(self, "powers", powers.astype(np.int64))
        object.__setattr__(self, "coef", coef)

    @property
    def r(self) -> int:
        return self.U.shape[0]

    @property
    def d(self) -> int:
        return self.U.shape[1]

    @property
    def degree(self) -> int:
        return int(self.powers.sum(axis=1).max()) if self.powers.shape[0] else 0

    @property
    def variance(self) -> float:
        """Exact :math:`\\mathrm{Var} f^\\star = \\sum_{\\alpha \\ne 0} c_\\alpha^2 \\alpha!`."""
        fact = np.array([math.prod(math.factorial(int(k)) for k in row) for row in self.powers])
        nonconst = self.powers.sum(axis=1) > 0
        return float(np.sum(self.coef[nonconst] ** 2 * fact[nonconst]))

    def variance_by_degree(self) -> np.ndarray:
        """Exact variance carried by each total degree 0..p (entry 0 is :math:`c_0^2`)."""
        fact = np.array([math.prod(math.factorial(int(k)) for k in row) for row in self.powers])
        deg = self.powers.sum(axis=1)
        out = np.zeros(self.degree + 1)
        np.add.at(out, deg, self.coef**2 * fact)
        return out

    def latent(self, X) -> np.ndarray:
        """:math:`Z = X U^\\top`, shape (n, r)."""
        X = as_matrix(X, "X", n_cols=self.d)
        return X @ self.U.T

    def g(self, Z) -> np.ndarray:
        """The link :math:`g` at latent points ``Z`` of shape (n, r)."""
        Z = as_matrix(Z, "Z", n_cols=self.r)
        He = hermite_e(Z, max(self.degree, 0))  # (n, r, p+1)
        out = np.zeros(Z.shape[0])
        ks = np.arange(self.r)
        for c, alpha in zip(self.coef, self.powers):
            out += c * np.prod(He[:, ks, alpha], axis=1)
        return out

    def __call__(self, X) -> np.ndarray:
        """:math:`f^\\star(x_i)` for the rows of ``X``."""
        return self.g(self.latent(X))

    def latent_hessian(self) -> np.ndarray:
        """:math:`H_z = \\mathbb E[\\nabla^2 g(z)]`, shape (r, r), exact."""
        Hz = np.zeros((self.r, self.r))
        for c, alpha in zip(self.coef, self.powers):
            if alpha.sum() != 2:
                continue
            idx = np.flatnonzero(alpha)
            if idx.size == 1:
                Hz[idx[0], idx[0]] += 2.0 * c
            else:
                Hz[idx[0], idx[1]] += c
                Hz[idx[1], idx[0]] += c
        return Hz

    def hessian(self) -> np.ndarray:
        """:math:`H = \\mathbb E_x[\\nabla^2 f^\\star(x)] = U^\\top H_z U`, shape (d, d), exact."""
        return self.U.T @ self.latent_hessian() @ self.U

    def moment_poly(self, k: int, V) -> np.ndarray:
        """:math:`P_k(v) = \\sum_{|\\alpha| = k} c_\\alpha v^\\alpha` for the rows of ``V`` (n, r)."""
        V = np.asarray(V, dtype=np.float64)
        out = np.zeros(V.shape[0])
        for c, alpha in zip(self.coef, self.powers):
            if alpha.sum() == k:
                out += c * np.prod(V**alpha, axis=1)
        return out

    def moment_poly_grad(self, k: int, V) -> np.ndarray:
        """:math:`\\nabla P_k(v)` for the rows of ``V`` (n, r); shape (n, r)."""
        V = np.asarray(V, dtype=np.float64)
        out = np.zeros_like(V)
        for c, alpha in zip(self.coef, self.powers):
            if alpha.sum() != k:
                continue
            for i in np.flatnonzero(alpha):
                a2 = alpha.copy()
                a2[i] -= 1
                out[:, i] += c * alpha[i] * np.prod(V**a2, axis=1)
        return out


def _orthonormal_rows(r, d, rng):
    Q, R = np.linalg.qr(rng.standard_normal((d, r)))
    Q = Q * np.sign(np.diag(R))  # Haar-distributed (sign fix of the QR factor)
    return np.ascontiguousarray(Q.T)


def make_target(d, r, p, *, frac_quadratic=0.5, cross=True, random_state=None):
    r"""A normalised target :math:`f^\star(x) = g(Ux)` of degree :math:`p` with rank-:math:`r` Hessian.

    .. math::

        g(z) = \sqrt{\frac{q}{r}} \sum_{k=1}^r \frac{\mathrm{He}_2(z_k)}{\sqrt 2}
             + \sqrt{\frac{1 - q}{r + \chi}}\Big(\sum_{k=1}^r \frac{\mathrm{He}_p(z_k)}{\sqrt{p!}}
             + \chi \prod_{k=1}^{\min(r, p)} z_k\Big) \quad (p \ge 3),

    and :math:`g(z) = r^{-1/2} \sum_k \mathrm{He}_2(z_k) / \sqrt 2` for :math:`p = 2`, where
    :math:`q` = ``frac_quadratic`` and :math:`\chi \in \{0, 1\}` switches on a product term that
    couples the latent directions (only used when ``cross`` and :math:`r \ge 2`; for
    :math:`r < p` the product is times :math:`\mathrm{He}_{p - r + 1}` of the last coordinate so it
    stays of degree :math:`p`). :math:`U` is Haar-random with orthonormal rows. Then
    :math:`\mathbb E f^\star = 0`, :math:`\mathbb E[x f^\star] = 0`, :math:`\mathrm{Var} f^\star
    = 1`, a fraction :math:`q` of it in degree 2, and :math:`H = \sqrt{2q/r}\, U^\top U` has rank
    :math:`r` with all non-zero eigenvalues equal (:math:`\kappa = \|H^\dagger\| / \sqrt r =
    1/\sqrt{2q}`). The degree-2 terms in every latent direction are what makes Assumption 2 hold
    (``seeds/ERRATA.md``, 004).

    Parameters
    ----------
    d : int, >= 1
        Ambient dimension.
    r : int, 1 <= r <= d
        Latent dimension.
    p : int, >= 2
        Degree of :math:`g`. ``p = 1`` is rejected: a linear target has :math:`H = 0`, which
        violates Assumption 2.
    frac_quadratic : float in (0, 1]
        Share :math:`q` of the variance in the degree-2 terms (ignored for ``p = 2``).
    cross : bool
        Include the coupling product term.
    random_state : int or numpy Generator, optional

    Returns
    -------
    HermiteTarget
    """
    d = check_int(d, "d", minimum=1)
    r = check_int(r, "r", minimum=1)
    if r > d:
        raise ValueError(f"r must be <= d (latent dimension at most the ambient one), got r={r} > d={d}")
    p = check_int(p, "p", minimum=1)
    if p < 2:
        raise ValueError(
            f"p must be >= 2: degree-2 terms are needed for rank(H) = r (Assumption 2), got p={p}"
        )
    q = check_positive(frac_quadratic, "frac_quadratic")
    if q > 1:
        raise ValueError(f"frac_quadratic must be in (0, 1], got {frac_quadratic}")
    rng = as_rng(random_state)
    U = _orthonormal_rows(r, d, rng)
    powers, coef = [], []
    if p == 2:
        q = 1.0
    for k in range(r):
        alpha = np.zeros(r, dtype=np.int64)
        alpha[k] = 2
        powers.append(alpha)
        coef.append(math.sqrt(q / r) / math.sqrt(2.0))
    if p >= 3 and q < 1.0:
        chi = 1 if (cross and r >= 2) else 0
        scale = math.sqrt((1.0 - q) / (r + chi))
        for k in range(r):
            alpha = np.zeros(r, dtype=np.int64)
            alpha[k] = p
            powers.append(alpha)
            coef.append(scale / math.sqrt(math.factorial(p)))
        if chi:
            alpha = np.zeros(r, dtype=np.int64)
            kk = min(r, p)
            alpha[:kk] = 1
            alpha[kk - 1] += p - kk  # total degree p
            powers.append(alpha)
            norm = math.sqrt(math.prod(math.factorial(int(a)) for a in alpha))
            coef.append(scale / norm)
    return HermiteTarget(U=U, powers=np.array(powers, dtype=np.int64), coef=np.array(coef))


def pure_hermite_target(d, p, *, random_state=None):
    r"""A single-index target :math:`f^\star(x) = \mathrm{He}_p(u\cdot x)/\sqrt{p!}` that violates Assumption 2.

    :math:`u` is a Haar-random unit vector; the variance is 1, the mean and the linear part
    are 0, and for :math:`p \ge 3` the average Hessian :math:`H = \mathbb E[\nabla^2 f^\star]
    = \mathbb E[\mathrm{He}_{p-2}(z)]\,\sqrt{p!}^{-1} p(p-1)\,uu^\top` is exactly 0 (seed 004,
    "We need Assumption 2"; the function class of its Theorem 2 is of this kind: one relevant
    direction, degree :math:`p`). :func:`make_target` refuses to build one on purpose.

    Parameters
    ----------
    d : int, >= 1
    p : int, >= 3
    random_state : int or Generator, optional

    Returns
    -------
    HermiteTarget (r = 1)
    """
    d = check_int(d, "d", minimum=1)
    p = check_int(p, "p", minimum=3)
    rng = as_rng(random_state)
    U = _orthonormal_rows(1, d, rng)
    return HermiteTarget(U=U, powers=np.array([[p]], dtype=np.int64),
                         coef=np.array([1.0 / math.sqrt(math.factorial(p))]))


def neuron_sines(W, U):
    r"""For each row :math:`w_j` of ``W``: :math:`\sin\angle(w_j, \mathrm{row}(U)) =
    \lVert (I - U^\top U) w_j\rVert / \lVert w_j\rVert`, shape (m,).

    ``U`` must have orthonormal rows. A zero row is a ``ValueError``.
    """
    W = as_matrix(W, "W")
    U = as_matrix(U, "U", n_cols=W.shape[1])
    if not np.allclose(U @ U.T, np.eye(U.shape[0]), atol=1e-10):
        raise ValueError("U must have orthonormal rows (U U^T = I)")
    norms = np.linalg.norm(W, axis=1)
    if np.any(norms == 0):
        raise ValueError("W has a zero row: the direction of w_j is undefined")
    perp = W - (W @ U.T) @ U
    return np.clip(np.linalg.norm(perp, axis=1) / norms, 0.0, 1.0)


def sample_inputs(n, d, *, random_state=None):
    """``n`` i.i.d. inputs :math:`x \\sim N(0, I_d)`, shape (n, d)."""
    n = check_int(n, "n", minimum=1)
    d = check_int(d, "d", minimum=1)
    return as_rng(random_state).standard_normal((n, d))


# ---------------------------------------------------------------------------------------------
# The two-layer network
# ---------------------------------------------------------------------------------------------


def symmetric_init(m, d, *, random_state=None):
    r"""Symmetric initialisation of the two-layer ReLU network (seed 004, ERRATA 004).

    .. math::

        a_j \sim \mathrm{Unif}\{-1, 1\},\quad w_j \sim N(0, I_d / d),\quad b_j = 0
        \quad (j < m/2), \qquad a_{j + m/2} = -a_j,\ w_{j + m/2} = w_j,\ b_{j + m/2} = b_j,

    so :math:`f_{\theta_0}(x) = \sum_j a_j \sigma(w_j \cdot x + b_j) = 0` for every :math:`x`
    (the pairing :math:`j \leftrightarrow j + m/2` replaces the seed's :math:`j \leftrightarrow
    m - j`, which pairs :math:`m/2` with itself).

    Parameters
    ----------
    m : int, even, >= 2
        Width.
    d : int, >= 1
    random_state : int or Generator, optional

    Returns
    -------
    a : ndarray (m,)
    W : ndarray (m, d)
    b : ndarray (m,)
    """
    m = check_int(m, "m", minimum=2)
    if m % 2:
        raise ValueError(f"m must be even for the symmetric initialisation, got {m}")
    d = check_int(d, "d", minimum=1)
    rng = as_rng(random_state)
    h = m // 2
    a_half = rng.choice(np.array([-1.0, 1.0]), size=h)
    W_half = rng.standard_normal((h, d)) / math.sqrt(d)
    a = np.concatenate([a_half, -a_half])
    W = np.ascontiguousarray(np.vstack([W_half, W_half]))
    return a, W, np.zeros(m)


def small_random_init(m, d, scale, *, random_state=None):
    r"""A small random initialisation that is not symmetric (seed 004, "Initialization Details").

    .. math::

        a_j \sim \mathrm{Unif}\{-1, 1\},\quad w_j \sim N(0, \mathrm{scale}^2 I_d / d),\quad
        b_j = 0, \qquad j = 1, \dots, m \text{ independently},

    so :math:`f_{\theta_0}(x) = \mathrm{scale}\cdot\sum_j a_j\sigma(\tilde w_j\cdot x)` is not
    zero but proportional to ``scale`` (ReLU is positively homogeneous), of order
    :math:`\mathrm{scale}\sqrt m`. The seed: "our results also hold with small random
    initialization that is not necessarily symmetric".

    Returns
    -------
    a : ndarray (m,), W : ndarray (m, d), b : ndarray (m,)
    """
    m = check_int(m, "m", minimum=1)
    d = check_int(d, "d", minimum=1)
    scale = check_positive(scale, "scale")
    rng = as_rng(random_state)
    a = rng.choice(np.array([-1.0, 1.0]), size=m)
    W = rng.standard_normal((m, d)) * (scale / math.sqrt(d))
    return a, W, np.zeros(m)


def _check_net(X, a, W, b):
    # products of up to three factors (a, W, X) are formed: entries below 1e100
    W = as_matrix(W, "W", max_abs=1e100)
    m, d = W.shape
    X = as_matrix(X, "X", n_cols=d, max_abs=1e100)
    a = as_vector(a, "a", size=m, max_abs=1e100)
    b = as_vector(b, "b", size=m, max_abs=1e100)
    return X, a, W, b


def features(X, W, b):
    r"""Hidden-layer features :math:`\Phi_{ij} = \sigma(w_j \cdot x_i + b_j)`, shape (n, m)."""
    W = as_matrix(W, "W", max_abs=1e150)
    X = as_matrix(X, "X", n_cols=W.shape[1], max_abs=1e150)
    b = as_vector(b, "b", size=W.shape[0])
    return np.maximum(X @ W.T + b, 0.0)


def network_output(X, a, W, b):
    r""":math:`f_\theta(x) = \sum_{j=1}^m a_j \sigma(w_j \cdot x + b_j)` for the rows of ``X``.

    The sum runs pairwise over :math:`(j, j + m/2)` first, so that a symmetric initialisation
    gives exactly 0.0 (each pair cancels in floating point before anything else is added).
    """
    X, a, W, b = _check_net(X, a, W, b)
    Phi = np.maximum(X @ W.T + b, 0.0)
    m = W.shape[0]
    if m % 2 == 0:
        h = m // 2
        return (Phi[:, :h] * a[:h] + Phi[:, h:] * a[h:]).sum(axis=1)
    return Phi @ a


def loss_gradient_W(X, y, a, W, b, *, chunk=4096):
    r"""Gradient of :math:`\mathcal L(\theta) = \frac1n\sum_i (f_\theta(x_i) - y_i)^2` in :math:`W`.

    .. math::

        \nabla_{w_j} \mathcal L = \frac2n \sum_i (f_\theta(x_i) - y_i)\, a_j\,
        \mathbf 1_{w_j \cdot x_i + b_j \ge 0}\, x_i

    (seed 004, "Building up to Lemma 1", with the empirical mean in place of the expectation).
    Computed in row chunks of ``chunk`` samples (memory O(chunk * m)).

    Returns
    -------
    G : ndarray, shape (m, d)
    """
    X, a, W, b = _check_net(X, a, W, b)
    y = as_vector(y, "y", size=X.shape[0], max_abs=1e100)
    chunk = check_int(chunk, "chunk", minimum=1)
    n = X.shape[0]
    G = np.zeros_like(W)
    m = W.shape[0]
    h = m // 2
    for i0 in range(0, n, chunk):
        Xc = X[i0 : i0 + chunk]
        pre = Xc @ W.T + b
        # f_theta on the chunk from the same pre-activations (as network_output computes it:
        # pairwise over (j, j + m/2) first, so a symmetric initialisation gives exactly 0)
        Phi = np.maximum(pre, 0.0)
        if m % 2 == 0:
            f = (Phi[:, :h] * a[:h] + Phi[:, h:] * a[h:]).sum(axis=1)
        else:
            f = Phi @ a
        R = f - y[i0 : i0 + chunk]
        M = (pre >= 0.0) * R[:, None]
        G += M.T @ Xc
    return (2.0 / n) * a[:, None] * G


def _unit_rows(W):
    norms = np.linalg.norm(W, axis=1)
    if np.any(norms == 0):
        raise ValueError("W has a zero row: the direction of w_j is undefined")
    return W / norms[:, None]


def _check_target_W(target, W, a):
    if not isinstance(target, HermiteTarget):
        raise ValueError(f"target must be a HermiteTarget, got {type(target).__name__}")
    W = as_matrix(W, "W", n_cols=target.d, max_abs=1e100)  # products a_j |w_j|^k are formed
    a = as_vector(a, "a", size=W.shape[0], max_abs=1e100)
    return W, a


def population_gradient_W(target, W, a):
    r"""Exact population gradient :math:`\nabla_{w_j}\mathcal L_{\mathcal D}` at a zero network, b = 0.

    With :math:`f_\theta \equiv 0` and :math:`b = 0`,
    :math:`\nabla_{w_j}\mathcal L_{\mathcal D} = -2 a_j \mathbb E[f^\star(x)\, x\,
    \mathbf 1_{w_j\cdot x \ge 0}]` (seed 004), and for a polynomial :math:`f^\star` the
    expectation is a *finite* Hermite series (seed eq. 1, summed to the end). With
    :math:`\hat w = w / \lVert w \rVert` (the indicator only sees the direction),
    :math:`v = U\hat w` and :math:`s_k` from :func:`step_coefficients`:

    .. math::

        \mathbb E[f^\star(x)\, x\, \mathbf 1_{\hat w \cdot x \ge 0}]
        = \sum_{k \ge 0} \frac{s_k}{k!} C_{k+1}(\hat w^{\otimes k})
          + \sum_{k \ge 0} \frac{s_{k+1}}{k!} C_k(\hat w^{\otimes k})\,\hat w
        = \sum_{k \ge 0} s_k\, U^\top \nabla P_{k+1}(v) + \sum_{k \ge 0} s_{k+1} P_k(v)\,\hat w .

    The :math:`k = 1` term of the first sum is :math:`H\hat w / \sqrt{2\pi}` (Lemma 1's leading
    term). Derivation: Stein's identity :math:`\mathbb E[x F(x)] = \mathbb E[\nabla F]` with
    :math:`F = f^\star\,\mathbf 1_{\hat w\cdot x\ge0}`, the Hermite expansion of the step, and
    :math:`\mathbb E[h(x)\mathrm{He}_k(\hat w\cdot x)] = \mathbb E[\nabla^k h](\hat w^{\otimes k})`.
    Checked against Monte Carlo in the tests (:func:`population_gradient_W_mc`).

    Parameters
    ----------
    target : HermiteTarget
    W : array_like, shape (m, d)
    a : array_like, shape (m,)

    Returns
    -------
    G : ndarray, shape (m, d)
    """
    W, a = _check_target_W(target, W, a)
    What = _unit_rows(W)
    V = What @ target.U.T  # (m, r)
    p = target.degree
    s = _step_hermite(p + 1)
    E = np.zeros_like(W)
    for k in range(0, p):
        if s[k] != 0.0:
            E += s[k] * (target.moment_poly_grad(k + 1, V) @ target.U)
    for k in range(0, p + 1):
        if s[k + 1] != 0.0:
            E += s[k + 1] * target.moment_poly(k, V)[:, None] * What
    return -2.0 * a[:, None] * E


def population_gradient_terms(target, W):
    r"""The terms of seed 004's series (eq. 1) for :math:`\mathbb E[f^\star(x)\,x\,\mathbf 1_{\hat w_j\cdot x \ge 0}]`, by order.

    Term :math:`k` (:math:`k = 0, \dots, p`) is

    .. math::

        T_k(\hat w) = \frac1{k!}\big[c_{k+1}C_{k+1}(\hat w^{\otimes k})
                     + c_{k+2}\,\hat w\,C_k(\hat w^{\otimes k})\big]
                   = s_k\,U^\top\nabla P_{k+1}(v) + s_{k+1}P_k(v)\,\hat w,
        \qquad v = U\hat w,

    with :math:`s_k` from :func:`step_coefficients` (the seed's :math:`c_{k+1}`, where
    :math:`c_k = \mathbb E[\sigma(t)\mathrm{He}_k(t)]` for the ReLU :math:`\sigma`, so
    :math:`c_{k+1} = \mathbb E[\sigma'(t)\mathrm{He}_k(t)] = s_k` by Stein's identity) and
    :math:`C_k(\hat w^{\otimes k}) = k!\,P_k(U\hat w)` (:class:`HermiteTarget`). The seed
    says :math:`T_1 = H\hat w/\sqrt{2\pi}` is of order :math:`d^{-1/2}` and :math:`T_k` of
    order :math:`d^{-k/2}` for a random unit :math:`\hat w` (an asymptotic series in
    :math:`d^{-1/2}`). Their sum times :math:`-2a_j` is :func:`population_gradient_W`.

    Parameters
    ----------
    target : HermiteTarget
    W : array_like, shape (m, d)
        Only the directions of the rows matter.

    Returns
    -------
    T : ndarray, shape (p + 1, m, d)
    """
    if not isinstance(target, HermiteTarget):
        raise ValueError(f"target must be a HermiteTarget, got {type(target).__name__}")
    W = as_matrix(W, "W", n_cols=target.d, max_abs=1e100)
    What = _unit_rows(W)
    V = What @ target.U.T
    p = target.degree
    s = _step_hermite(p + 1)
    T = np.zeros((p + 1,) + W.shape)
    for k in range(p + 1):
        if k < p and s[k] != 0.0:
            T[k] += s[k] * (target.moment_poly_grad(k + 1, V) @ target.U)
        if s[k + 1] != 0.0:
            T[k] += s[k + 1] * target.moment_poly(k, V)[:, None] * What
    return T


def lemma1_term(target, W, a):
    r"""Lemma 1's leading term :math:`-2 a_j H w_j / \sqrt{2\pi}` (seed 004, Lemma 1), shape (m, d)."""
    W, a = _check_target_W(target, W, a)
    return -2.0 * a[:, None] * (W @ target.hessian()) / SQRT_2PI


@njit(cache=True)
def _projected_sums_nb(Xi, V, rho, coef, powers, degree, S1, S2):  # pragma: no cover
    r"""Add one batch of :func:`population_gradient_W_mc`'s projected sums into ``S1, S2``.

    For each row :math:`\xi` of ``Xi`` (B, r + 1): :math:`g = g(\xi_{1:r})` (Hermite
    recursion, then the terms ``coef``, ``powers``), and for each neuron :math:`j` with
    :math:`v_j\cdot\xi_{1:r} + \rho_j\xi_{r+1} \ge 0`: ``S1[j] += g xi``,
    ``S2[j] += g^2 |xi|^2``. One pass, no (B, m) temporaries; rows in order, so the sums do
    not depend on the machine's thread count. Reference: :func:`_projected_sums_numpy`.
    """
    B = Xi.shape[0]
    r = Xi.shape[1] - 1
    m = V.shape[0]
    He = np.empty((r, degree + 1))
    for i in range(B):
        for k in range(r):
            z = Xi[i, k]
            He[k, 0] = 1.0
            if degree >= 1:
                He[k, 1] = z
            for q in range(1, degree):
                He[k, q + 1] = z * He[k, q] - q * He[k, q - 1]
        g = 0.0
        for t in range(coef.shape[0]):
            term = coef[t]
            for k in range(r):
                term *= He[k, powers[t, k]]
            g += term
        sq = 0.0
        for k in range(r + 1):
            sq += Xi[i, k] * Xi[i, k]
        g2sq = g * g * sq
        for j in range(m):
            s = 0.0
            for k in range(r):
                s += Xi[i, k] * V[j, k]
            s += Xi[i, r] * rho[j]
            if s >= 0.0:
                for k in range(r + 1):
                    S1[j, k] += g * Xi[i, k]
                S2[j] += g2sq


def _projected_sums_numpy(target, Xi, V, rho, S1, S2):
    """Plain numpy reference of :func:`_projected_sums_nb` (the parity test's)."""
    r = target.r
    F = target.g(Xi[:, :r])
    M = ((Xi[:, :r] @ V.T + Xi[:, r : r + 1] * rho) >= 0.0) * F[:, None]  # (B, m)
    S1 += M.T @ Xi
    S2 += (M**2).T @ np.einsum("ij,ij->i", Xi, Xi)


def population_gradient_W_mc(
    target, W, a, *, n_samples=200_000, method="projected", batch=50_000, random_state=None
):
    r"""Monte Carlo estimate of :math:`\nabla_{w_j}\mathcal L_{\mathcal D} = -2a_j\mathbb E[f^\star x\mathbf 1_{w_j\cdot x\ge0}]`.

    ``method="plain"`` averages :math:`-2a_j f^\star(x) x \mathbf 1_{w_j \cdot x \ge 0}` over
    :math:`x \sim N(0, I_d)`. ``method="projected"`` (Rao-Blackwellised, same mean, smaller
    variance) integrates out the part of :math:`x` orthogonal to
    :math:`S_j = \mathrm{span}(U^\top, w_j)`, on which neither :math:`f^\star` nor the indicator
    depends and whose conditional mean is 0: with the orthonormal basis
    :math:`Q_j = [U^\top, u_j]`, :math:`u_j \propto (I - U^\top U) w_j`, and
    :math:`\xi \sim N(0, I_{r+1})`,

    .. math::

        \mathbb E[f^\star(x)\, x\, \mathbf 1_{w_j\cdot x\ge 0}]
        = Q_j\, \mathbb E_\xi[g(\xi_{1:r})\, \xi\, \mathbf 1_{v_j \cdot \xi_{1:r}
          + \rho_j \xi_{r+1} \ge 0}],

    :math:`v_j = U\hat w_j`, :math:`\rho_j = \lVert (I - U^\top U)\hat w_j\rVert`. The same
    :math:`\xi` are used for all neurons (common random numbers).

    Returns
    -------
    G : ndarray (m, d)
        The estimate.
    se : ndarray (m,)
        Root of the trace of the estimate's covariance, i.e. the expected norm of its error,
        :math:`\sqrt{\mathrm{tr}\,\mathrm{Cov}/N}`, from the sample variances.
    """
    W, a = _check_target_W(target, W, a)
    n_samples = check_int(n_samples, "n_samples", minimum=2)
    batch = check_int(batch, "batch", minimum=1)
    method = check_choice(method, "method", ("plain", "projected"))
    rng = as_rng(random_state)
    m, d = W.shape
    r = target.r
    if method == "plain":
        S1 = np.zeros((m, d))
        S2 = np.zeros(m)
        done = 0
        while done < n_samples:
            B = min(batch, n_samples - done)
            X = rng.standard_normal((B, d))
            F = target(X)
            M = (X @ W.T >= 0.0) * F[:, None]  # (B, m)
            S1 += M.T @ X
            S2 += (M**2).T @ np.einsum("ij,ij->i", X, X)
            done += B
        mean = S1 / n_samples
        # sum over coordinates of the per-coordinate variance
        tr_var = S2 / n_samples - np.einsum("ij,ij->i", mean, mean)
        se = np.sqrt(np.maximum(tr_var, 0.0) / n_samples)
        return -2.0 * a[:, None] * mean, 2.0 * se
    What = _unit_rows(W)
    V = What @ target.U.T  # (m, r)
    perp = What - V @ target.U  # (m, d)
    rho = np.linalg.norm(perp, axis=1)
    u = np.where(rho[:, None] > 0, perp / np.where(rho > 0, rho, 1.0)[:, None], 0.0)
    S1 = np.zeros((m, r + 1))
    S2 = np.zeros(m)
    V = np.ascontiguousarray(V)
    coef = np.ascontiguousarray(target.coef, dtype=np.float64)
    powers = np.ascontiguousarray(target.powers, dtype=np.int64)
    done = 0
    while done < n_samples:
        B = min(batch, n_samples - done)
        Xi = rng.standard_normal((B, r + 1))
        _projected_sums_nb(Xi, V, rho, coef, powers, max(target.degree, 0), S1, S2)
        done += B
    mean_xi = S1 / n_samples  # (m, r+1)
    tr_var = S2 / n_samples - np.einsum("ij,ij->i", mean_xi, mean_xi)
    se = np.sqrt(np.maximum(tr_var, 0.0) / n_samples)
    mean = mean_xi[:, :r] @ target.U + mean_xi[:, r : r + 1] * u
    return -2.0 * a[:, None] * mean, 2.0 * se


# ---------------------------------------------------------------------------------------------
# Algorithm 1
# ---------------------------------------------------------------------------------------------


def preprocess(X, y):
    r"""Algorithm 1's preprocessing: remove the empirical constant and linear parts.

    .. math::

        \alpha = \frac1n\sum_i y_i,\quad \beta = \frac1n\sum_i y_i x_i,\quad
        y_i \leftarrow y_i - \alpha - \beta\cdot x_i

    (seed 004, Algorithm 1; :math:`\beta` is the moment estimate of :math:`\mathbb E[y x]`, not a
    least-squares fit, exactly as in the seed).

    Returns
    -------
    alpha : float
    beta : ndarray (d,)
    y_res : ndarray (n,)
    """
    X = as_matrix(X, "X", max_abs=1e150)  # second moments of X
    y = as_vector(y, "y", max_abs=1e150)
    check_same_rows(X, y, "X", "y")
    n = X.shape[0]
    alpha = float(y.mean())
    beta = X.T @ y / n
    return alpha, beta, y - alpha - X @ beta


@dataclass
class Algorithm1Result:
    r"""A trained network from :func:`algorithm1` (or :func:`random_features_regression`).

    Predicts :math:`x \mapsto \alpha + \beta\cdot x + a^\top\sigma(Wx + b)`.
    """

    alpha: float
    beta: np.ndarray
    a: np.ndarray
    W: np.ndarray
    b: np.ndarray
    a0: np.ndarray
    W0: np.ndarray
    ridge: float
    head: str
    eta1: float | None = None
    lambda1: float | None = None
    n_steps: int | None = None
    head_loss: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def predict(self, X) -> np.ndarray:
        X = as_matrix(X, "X", n_cols=self.W.shape[1])
        return self.alpha + X @ self.beta + np.maximum(X @ self.W.T + self.b, 0.0) @ self.a


def _fit_head(Phi, y, a_init, ridge, head, n_steps, eta):
    r"""Second phase of Algorithm 1 on fixed features.

    Objective :math:`J(a) = \frac1n\lVert\Phi a - y\rVert^2 + \frac\lambda2\lVert a\rVert^2`,
    whose gradient is the seed's update direction :math:`\nabla_a\mathcal L + \lambda a`.
    ``head="gd"`` runs the seed's :math:`T - 1` steps from :math:`a^{(1)} = a^{(0)}`;
    ``head="ridge"`` returns the minimiser
    :math:`(\Phi^\top\Phi + \tfrac{n\lambda}{2} I)^{-1}\Phi^\top y`, the limit of those steps
    (:math:`T\to\infty`, :math:`\eta < 2/L`).
    """
    n, m = Phi.shape
    if head == "ridge":
        A = Phi.T @ Phi
        try:
            a = _solvers.solve_direct(A, Phi.T @ y, ridge=0.5 * n * ridge)
        except ValueError as exc:  # the message would name the solver's K, not an argument
            raise ValueError(f"X gives features whose ridge system is not solvable ({exc}); "
                             "rescale X or raise ridge") from None
        return a, np.zeros(0)
    A = Phi.T @ Phi
    c = Phi.T @ y
    if eta is None:
        # J is quadratic with Hessian (2/n) Phi^T Phi + lambda I; eta = 1/L is stable (< 2/L).
        L = 2.0 / n * _solvers.largest_eigenvalue(A, random_state=0) * 1.05 + ridge
        eta = 1.0 / L
    a = a_init.copy()
    losses = np.empty(n_steps)
    for t in range(n_steps - 1):
        grad = (2.0 / n) * (A @ a - c) + ridge * a
        a = a - eta * grad
        res = Phi @ a - y
        losses[t] = res @ res / n
    losses[-1] = losses[-2] if n_steps > 1 else np.nan
    return a, losses[:-1]


def cholesky_ridge_path(K, y, ridges):
    r""":func:`kernelnet.solvers.solve_direct` of :math:`(K + \mu I)c = y` for each ``mu`` in ``ridges``.

    The first ridge goes through :func:`~kernelnet.solvers.solve_direct`, which checks ``K``
    (square, finite, symmetric) and ``y``; the later ridges run the same LAPACK factorisation
    (``potrf`` on the lower triangle of ``K + mu I``, then ``potrs``) in one reused buffer
    instead of a fresh copy and a new :math:`O(n^2)` symmetry check each (a third of the
    Cholesky time at n = 2,048): the same solutions, bit for bit (tested).

    Returns
    -------
    list, one entry per ridge: the solution, or ``None`` where ``K + mu I`` is not numerically
    positive definite (a failed fit, e.g. a wide Gaussian bandwidth with a tiny ridge).

    Raises
    ------
    ValueError
        Bad ``K`` or ``y`` (as :func:`~kernelnet.solvers.solve_direct`), or ``ridges`` empty or
        not all positive.
    """
    ridges = tuple(ridges)
    if not ridges:
        raise ValueError("ridges must hold at least one ridge")
    ridges = tuple(check_positive(mu, "ridges") for mu in ridges)
    try:
        first = _solvers.solve_direct(K, y, ridge=ridges[0])
    except ValueError as exc:
        if "not positive definite" not in str(exc):
            raise  # a bad K or y, not a failed fit
        first = None
    out = [first]
    if len(ridges) == 1:
        return out
    K = np.asarray(K, dtype=np.float64)  # checked by solve_direct above
    y = np.asarray(y, dtype=np.float64)
    buf = np.empty(K.shape, order="F")
    for mu in ridges[1:]:
        np.copyto(buf, K)
        buf[np.diag_indices_from(buf)] += mu
        try:
            fac = scipy.linalg.cho_factor(buf, lower=True, overwrite_a=True, check_finite=False)
        except np.linalg.LinAlgError:
            out.append(None)
            continue
        out.append(scipy.linalg.cho_solve(fac, y, check_finite=False))
    return out


def _ridge_heads(Phi, y, ridges):
    """Ridge heads for several ridges from one Gram matrix (what :func:`_fit_head` computes
    for ``head="ridge"``, one ridge at a time)."""
    n = Phi.shape[0]
    A = Phi.T @ Phi
    c = Phi.T @ y
    heads = cholesky_ridge_path(A, c, [0.5 * n * lam for lam in ridges])
    if any(a is None for a in heads):
        raise ValueError("X gives features whose ridge system is not solvable; rescale X or "
                         "raise ridges")
    return heads


def _check_ridges(ridges):
    ridges = tuple(ridges)
    if not ridges:
        raise ValueError("ridges must hold at least one ridge")
    return tuple(check_positive(lam, "ridges") for lam in ridges)


def predict_path(results, X):
    r"""``[res.predict(X) for res in results]`` for the results of one ridge path.

    The fits of :func:`algorithm1_ridge_path` and :func:`random_features_ridge_path` share
    :math:`W, b, \alpha, \beta`: the features :math:`\sigma(XW^\top + b)` and :math:`X\beta`
    are formed once, and each head only adds its product; the same numbers as
    :meth:`Algorithm1Result.predict`, bit for bit (tested). Results that do not share them are
    predicted one by one.
    """
    results = list(results)
    if not results:
        return []
    r0 = results[0]
    shared = all(r.W is r0.W and r.b is r0.b and r.beta is r0.beta and r.alpha == r0.alpha
                 for r in results)
    if not shared:
        return [r.predict(X) for r in results]
    X = as_matrix(X, "X", n_cols=r0.W.shape[1])
    base = r0.alpha + X @ r0.beta
    Phi = np.maximum(X @ r0.W.T + r0.b, 0.0)
    return [base + Phi @ r.a for r in results]


def _regression_inputs(X, y, m, random_state, *, m_min):
    """The checks and set-up the four Algorithm 1 / random-features fits share.

    Returns ``X, m, rng, (alpha, beta, y_res)``: ``X`` and ``y`` checked (same rows), the width
    ``m >= m_min``, the generator of ``random_state`` and :func:`preprocess`'s output.
    """
    X = as_matrix(X, "X")
    y = as_vector(y, "y")
    check_same_rows(X, y, "X", "y")
    m = check_int(m, "m", minimum=m_min)
    return X, m, as_rng(random_state), preprocess(X, y)


def algorithm1_ridge_path(X, y, *, m=512, ridges=(1e-3,), eta1=None, init_scale=None,
                          random_state=None):
    r""":func:`algorithm1` (``head="ridge"``) for several ridges :math:`\lambda` at once.

    The first step, the re-initialised biases and the features :math:`\Phi` do not depend on
    :math:`\lambda`, so :math:`\Phi^\top\Phi` is formed once and only the :math:`m\times m`
    solve is repeated: the same results as one :func:`algorithm1` call per ridge with the same
    ``random_state``, at the cost of one. ``init_scale`` (default ``None``: the symmetric
    initialisation) starts instead from :func:`small_random_init` with that scale, whose
    network output at initialisation is small but not zero.

    Returns
    -------
    list of Algorithm1Result, one per ridge (in the order of ``ridges``)
    """
    X, m, rng, (alpha, beta, yr) = _regression_inputs(X, y, m, random_state, m_min=2)
    d = X.shape[1]
    ridges = _check_ridges(ridges)
    eta1 = math.sqrt(d) if eta1 is None else check_positive(eta1, "eta1")
    if init_scale is None:
        a0, W0, b0 = symmetric_init(m, d, random_state=rng)
    else:
        a0, W0, b0 = small_random_init(m, d, init_scale, random_state=rng)
    lambda1 = 1.0 / eta1
    G = loss_gradient_W(X, yr, a0, W0, b0)
    W1 = np.ascontiguousarray(W0 - eta1 * (G + lambda1 * W0))
    b = rng.standard_normal(m)
    Phi = np.maximum(X @ W1.T + b, 0.0)
    return [Algorithm1Result(alpha=alpha, beta=beta, a=a, W=W1, b=b, a0=a0, W0=W0, ridge=lam,
                             head="ridge", eta1=eta1, lambda1=lambda1, n_steps=None)
            for lam, a in zip(ridges, _ridge_heads(Phi, yr, ridges))]


def random_features_ridge_path(X, y, *, m=512, ridges=(1e-3,), random_state=None):
    """:func:`random_features_regression` for several ridges at once (one Gram matrix)."""
    X, m, rng, (alpha, beta, yr) = _regression_inputs(X, y, m, random_state, m_min=1)
    d = X.shape[1]
    ridges = _check_ridges(ridges)
    W0 = rng.standard_normal((m, d)) / math.sqrt(d)
    b = rng.standard_normal(m)
    Phi = np.maximum(X @ W0.T + b, 0.0)
    return [Algorithm1Result(alpha=alpha, beta=beta, a=a, W=W0, b=b, a0=np.zeros(m), W0=W0,
                             ridge=lam, head="ridge")
            for lam, a in zip(ridges, _ridge_heads(Phi, yr, ridges))]


def algorithm1(
    X,
    y,
    *,
    m=512,
    eta1=None,
    ridge=1e-3,
    head="ridge",
    n_steps=1000,
    eta=None,
    random_state=None,
):
    r"""Algorithm 1 of Damian, Lee & Soltanolkotabi (2022), as in seed 004.

    1. Preprocess: :math:`\alpha = \bar y`, :math:`\beta = \frac1n\sum_i y_i x_i`,
       :math:`y_i \leftarrow y_i - \alpha - \beta\cdot x_i` (:func:`preprocess`).
    2. Symmetric initialisation (:func:`symmetric_init`; :math:`f_{\theta_0} = 0`).
    3. One step on :math:`W` with weight decay :math:`\lambda_1 = 1/\eta_1`:

       .. math::

           W^{(1)} = W^{(0)} - \eta_1\big[\nabla_W\mathcal L(\theta_0) + \lambda_1 W^{(0)}\big]
                   = -\eta_1 \nabla_W\mathcal L(\theta_0).

    4. Re-initialise :math:`b_j \sim N(0, 1)` (independently for all :math:`m` neurons).
    5. Train :math:`a` on the fixed features :math:`\sigma(W^{(1)}x + b)` with weight decay
       :math:`\lambda`: ``head="gd"`` runs the seed's loop
       :math:`a^{(t)} = a^{(t-1)} - \eta[\nabla_a\mathcal L + \lambda a^{(t-1)}]`,
       :math:`t = 2..T`, from :math:`a^{(1)} = a^{(0)}`; ``head="ridge"`` (default) solves for
       its fixed point, the ridge regression
       :math:`a = (\Phi^\top\Phi + \tfrac{n\lambda}{2}I)^{-1}\Phi^\top y`, which the loop reaches
       as :math:`T\to\infty` (seed: "the remainder of Algorithm 1 runs ridge regression on the
       network head"). Theorem 1 takes :math:`T = \tilde\Theta(1/(\eta\lambda))`, enough to get
       there.

    The prediction is :math:`x \mapsto \alpha + \beta\cdot x + a^\top\sigma(W^{(1)}x + b)`.

    Parameters
    ----------
    X : array_like (n, d)
    y : array_like (n,)
    m : int, even
        Width.
    eta1 : float, optional
        First-step learning rate; default :math:`\sqrt d` (Theorem 1: :math:`\eta_1 =
        \tilde O(\sqrt d)`).
    ridge : float, > 0
        Weight decay :math:`\lambda` of the second phase.
    head : {"ridge", "gd"}
    n_steps : int
        :math:`T` for ``head="gd"``.
    eta : float, optional
        Step size for ``head="gd"``; default :math:`1/L` with :math:`L` the smoothness of the
        head objective.
    random_state : int or Generator

    Returns
    -------
    Algorithm1Result
    """
    X, m, rng, (alpha, beta, yr) = _regression_inputs(X, y, m, random_state, m_min=2)
    d = X.shape[1]
    eta1 = math.sqrt(d) if eta1 is None else check_positive(eta1, "eta1")
    ridge = check_positive(ridge, "ridge")
    head = check_choice(head, "head", ("ridge", "gd"))
    n_steps = check_int(n_steps, "n_steps", minimum=2)
    if eta is not None:
        eta = check_positive(eta, "eta")
    a0, W0, b0 = symmetric_init(m, d, random_state=rng)
    lambda1 = 1.0 / eta1
    G = loss_gradient_W(X, yr, a0, W0, b0)
    W1 = W0 - eta1 * (G + lambda1 * W0)
    b = rng.standard_normal(m)
    Phi = np.maximum(X @ W1.T + b, 0.0)
    a, losses = _fit_head(Phi, yr, a0, ridge, head, n_steps, eta)
    return Algorithm1Result(
        alpha=alpha, beta=beta, a=a, W=np.ascontiguousarray(W1), b=b, a0=a0, W0=W0,
        ridge=ridge, head=head, eta1=eta1, lambda1=lambda1,
        n_steps=n_steps if head == "gd" else None, head_loss=losses,
    )


def random_features_regression(X, y, *, m=512, ridge=1e-3, random_state=None):
    r"""Random-features regression: Algorithm 1 without the step on :math:`W`.

    Same preprocessing, same initialisation and the same :math:`b \sim N(0, 1)`, then ridge
    regression of the head on :math:`\sigma(W^{(0)}x + b)` with :math:`W^{(0)}` frozen at its
    random value (Rahimi & Recht 2007; the random-features model of Ghorbani et al. 2021). The
    symmetric pairing is dropped here (it would duplicate features): all :math:`m` rows are
    independent.

    Returns
    -------
    Algorithm1Result
    """
    X, m, rng, (alpha, beta, yr) = _regression_inputs(X, y, m, random_state, m_min=1)
    d = X.shape[1]
    ridge = check_positive(ridge, "ridge")
    W0 = rng.standard_normal((m, d)) / math.sqrt(d)
    b = rng.standard_normal(m)
    Phi = np.maximum(X @ W0.T + b, 0.0)
    a, _ = _fit_head(Phi, yr, np.zeros(m), ridge, "ridge", 2, None)
    return Algorithm1Result(
        alpha=alpha, beta=beta, a=a, W=W0, b=b, a0=np.zeros(m), W0=W0, ridge=ridge, head="ridge"
    )


def train_network_gd(X, y, *, m=64, n_steps=10_000, lr=0.05, a_scale=0.1, kink_range=1.0,
                     record=(), random_state=None):
    r"""Full-batch gradient descent on all parameters :math:`(a, W, b)` of the two-layer ReLU net.

    .. math::

        \theta^{(t)} = \theta^{(t-1)} - \eta\,\nabla_\theta \frac1n\sum_i
        (f_\theta(x_i) - y_i)^2,\qquad f_\theta(x) = \sum_j a_j\sigma(w_j\cdot x + b_j),

    with :math:`\eta` = ``lr``, from the symmetric initialisation of :func:`symmetric_init` (so
    :math:`f_{\theta_0} = 0`) with :math:`a` scaled by ``a_scale`` and biases
    :math:`b_j = -s_j\lVert w_j\rVert`, :math:`s_j \sim U[-\rho, \rho]` with :math:`\rho` =
    ``kink_range`` (paired like the rest), which puts the kink of ReLU :math:`j` at
    :math:`s_j` along :math:`\hat w_j = w_j/\lVert w_j\rVert`, uniformly in :math:`[-\rho, \rho]`.
    Used for the seed's 1-D Heaviside example ("kernel vs network fit"), where a kernel is
    fitted by Richardson iterations.

    Parameters
    ----------
    X : array_like (n, d)
    y : array_like (n,)
    m : int, even
    n_steps : int
    lr : float, > 0
    record : iterable of int
        Steps after which to keep a copy of the parameters.

    Returns
    -------
    params : dict
        ``a, W, b`` after ``n_steps``; ``loss`` (training MSE before each step, length
        ``n_steps``); ``snapshots`` {step: (a, W, b)}.

    Raises
    ------
    ValueError
        Bad input, or a diverging run (``lr`` too large: the parameters overflow); the message
        names ``lr`` and the step.
    """
    X = as_matrix(X, "X")
    y = as_vector(y, "y")
    check_same_rows(X, y, "X", "y")
    n, d = X.shape
    n_steps = check_int(n_steps, "n_steps", minimum=1)
    lr = check_positive(lr, "lr")
    a_scale = check_positive(a_scale, "a_scale")
    kink_range = check_nonnegative(kink_range, "kink_range")
    record = {check_int(t, "record", minimum=0) for t in record}
    rng = as_rng(random_state)
    a, W, _ = symmetric_init(m, d, random_state=rng)
    a = a * a_scale
    h = m // 2
    s = rng.uniform(-kink_range, kink_range, h)
    b_half = -s * np.linalg.norm(W[:h], axis=1)
    b = np.concatenate([b_half, b_half])
    losses = np.empty(n_steps)
    snaps = {}
    if 0 in record:
        snaps[0] = (a.copy(), W.copy(), b.copy())
    for t in range(1, n_steps + 1):
        pre = X @ W.T + b
        Phi = np.maximum(pre, 0.0)
        r = Phi @ a - y
        losses[t - 1] = r @ r / n
        M = (pre >= 0.0) * a
        ga = (2.0 / n) * (Phi.T @ r)
        Mr = M * r[:, None]
        gW = (2.0 / n) * (Mr.T @ X)
        gb = (2.0 / n) * Mr.sum(axis=0)
        a = a - lr * ga
        W = W - lr * gW
        b = b - lr * gb
        if t in record:
            snaps[t] = (a.copy(), W.copy(), b.copy())
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(W)) and np.all(np.isfinite(b))):
        check_not_diverged(np.append(losses, np.inf), name="lr", value=lr,
                           what="gradient descent on the two-layer network", data=("X", "y"))
    check_not_diverged(losses, name="lr", value=lr, what="gradient descent on the two-layer "
                       "network", data=("X", "y"))
    return {"a": a, "W": W, "b": b, "loss": losses, "snapshots": snaps}


# ---------------------------------------------------------------------------------------------
# Kernel baselines
# ---------------------------------------------------------------------------------------------


def network_nngp(X, Y=None):
    r"""Random-features (NNGP) kernel of this network per neuron, :math:`\mathbb E_w[\sigma(w\cdot x)\sigma(w\cdot y)]`.

    With :math:`w \sim N(0, I_d/d)` and :math:`b = 0`, :math:`\sigma(w\cdot x) =
    d^{-1/2}\sigma(\tilde w\cdot x)` with :math:`\tilde w \sim N(0, I)`, so the kernel is
    :func:`kernelnet.kernels.nngp_relu` divided by :math:`d`.
    """
    X = as_matrix(X, "X")
    return _kernels.nngp_relu(X, Y) / X.shape[1]


def _augment(X, d):
    return np.hstack([X, np.full((X.shape[0], 1), math.sqrt(d))])


def network_ntk(X, Y=None, *, bias=False):
    r"""NTK of this network (trained :math:`a` and :math:`W`, :math:`b = 0`), per neuron.

    For :math:`f = \sum_j a_j\sigma(w_j\cdot x)` with :math:`a_j = \pm1`,
    :math:`w_j\sim N(0, I_d/d)`, the tangent kernel :math:`\sum_p \partial_p f(x)\partial_p f(y)`
    divided by the width :math:`m` has the expectation (and infinite-width limit)

    .. math::

        \Theta(x, y) = \frac1d\,\Sigma(x, y) + \frac12 (x\cdot y)\, k_0(x, y),

    with :math:`\Sigma` = :func:`kernelnet.kernels.nngp_relu` (the :math:`a`-part) and
    :math:`k_0` = :func:`kernelnet.kernels.relu_kernel` of order 0 (the :math:`W`-part,
    :math:`\mathbb E[\mathbf 1_{w\cdot x\ge0}\mathbf 1_{w\cdot y\ge0}] = k_0/2`).
    Compared with :func:`kernelnet.kernels.ntk_relu` (whose :math:`w\sim N(0, I)` and
    :math:`a\sim N(0,1)`) the two parts are weighted :math:`1/d : 1` instead of :math:`1 : 1`.
    Tested against a Monte Carlo estimate of the finite-width tangent kernel. The overall factor
    :math:`m` is absorbed in the ridge.

    With ``bias=True`` the network has a trained bias :math:`b_j \sim N(0, 1)` (the scale of
    Algorithm 1's re-initialised bias), written as an extra input coordinate :math:`\sqrt d`
    with weight :math:`\beta_j = b_j/\sqrt d \sim N(0, 1/d)`: the same formula on
    :math:`\tilde x = (x, \sqrt d)`. Without a bias every function in the kernel's span is
    positively homogeneous of degree 1 in :math:`x` (both parts are), which the Gaussian
    :math:`\lVert x\rVert` fluctuations punish; the bias removes that handicap.
    """
    X = as_matrix(X, "X")
    d = X.shape[1]
    if bias:
        X = _augment(X, d)
        if Y is not None:
            Y = _augment(as_matrix(Y, "Y", n_cols=d), d)
    if Y is None:
        G = X @ X.T  # numpy calls syrk here: exactly symmetric (tested)
    else:
        Y = as_matrix(Y, "Y", n_cols=X.shape[1])
        G = X @ Y.T
    # nngp / d + (0.5 G) k0, evaluated in place (no n x n temporaries; the same operations in
    # the same order, so the same numbers)
    out = _kernels.nngp_relu(X, Y)
    out /= d
    G *= 0.5
    G *= _kernels.relu_kernel(X, Y, order=0)
    out += G
    return out


_KERNELS = ("ntk", "ntk_bias", "nngp", "ntk_relu", "gaussian")


def _kernel_matrix(kernel, X, Y=None, sigma=None):
    if kernel == "ntk":
        return network_ntk(X, Y)
    if kernel == "ntk_bias":
        return network_ntk(X, Y, bias=True)
    if kernel == "nngp":
        return network_nngp(X, Y)
    if kernel == "ntk_relu":
        return _kernels.ntk_relu(X, Y)
    return _kernels.gaussian_kernel(X, Y, sigma=sigma)


def kernel_regression(
    X, y, X_test, *, kernel="ntk", ridge=1e-3, sigma=None, preprocess_targets=True, solver="direct",
    tol=1e-8, random_state=None,
):
    r"""Kernel ridge regression, the kernel-regime baseline (Ghorbani et al. 2021).

    .. math::

        \hat f(x) = \alpha + \beta\cdot x + k(x, X)\,c, \qquad
        (K + \lambda\,\bar k\, I)\,c = y - \alpha - X\beta,

    with :math:`\bar k = \mathrm{tr}(K)/n` (so ``ridge`` is dimensionless) and the same
    preprocessing as Algorithm 1 (``preprocess_targets``), so the comparison is about the
    non-linear part only.

    Parameters
    ----------
    X, y, X_test : training inputs (n, d), targets (n,), test inputs (n_test, d)
    kernel : {"ntk", "ntk_bias", "nngp", "ntk_relu", "gaussian"}
        ``"ntk"``/``"nngp"``: :func:`network_ntk` / :func:`network_nngp` (this network);
        ``"ntk_bias"``: :func:`network_ntk` with ``bias=True``;
        ``"ntk_relu"``: :func:`kernelnet.kernels.ntk_relu`; ``"gaussian"`` needs ``sigma``.
    ridge : float, > 0
    solver : {"direct", "cg"}
        :func:`kernelnet.solvers.solve_direct` or :func:`kernelnet.solvers.conjugate_gradient`.

    Returns
    -------
    pred : ndarray (n_test,)
    """
    X = as_matrix(X, "X")
    y = as_vector(y, "y")
    check_same_rows(X, y, "X", "y")
    X_test = as_matrix(X_test, "X_test", n_cols=X.shape[1], max_abs=1e150)
    kernel = check_choice(kernel, "kernel", _KERNELS)
    ridge = check_positive(ridge, "ridge")
    solver = check_choice(solver, "solver", ("direct", "cg"))
    if kernel == "gaussian":
        sigma = check_positive(sigma, "sigma") if sigma is not None else None
        if sigma is None:
            raise ValueError("sigma must be given for kernel='gaussian'")
    if preprocess_targets:
        alpha, beta, yr = preprocess(X, y)
    else:
        alpha, beta, yr = 0.0, np.zeros(X.shape[1]), y
    K = _kernel_matrix(kernel, X, None, sigma)
    lam = ridge * float(np.trace(K)) / K.shape[0]
    if not (np.isfinite(lam) and lam > 0):
        raise ValueError(f"X gives a kernel matrix with trace {float(np.trace(K)):.3g} (entries of "
                         f"X up to {float(np.max(np.abs(X))):.3g}): the relative ridge "
                         "ridge * tr(K) / n is not positive; rescale X")
    if solver == "direct":
        c = _solvers.solve_direct(K, yr, ridge=lam)
    else:
        c = _solvers.conjugate_gradient(K, yr, ridge=lam, tol=tol).coef
    Kt = _kernel_matrix(kernel, X_test, X, sigma)
    with np.errstate(over="ignore", invalid="ignore"):
        pred = alpha + X_test @ beta + Kt @ c
    if not np.all(np.isfinite(pred)):
        raise ValueError("X, y and X_test give predictions that overflow; rescale X or y")
    return pred


def principal_angles(W, U, r=None):
    r"""Principal angles between the top-:math:`r` right singular subspace of :math:`W` and :math:`\mathrm{row}(U)`.

    With :math:`V_r` the top-:math:`r` right singular vectors of :math:`W` (m x d) and :math:`U`
    (r x d, orthonormal rows), the cosines of the angles are the singular values of
    :math:`U V_r` (Bjorck & Golub 1973). Returned in radians, ascending.

    Parameters
    ----------
    W : array_like (m, d)
    U : array_like (r, d), orthonormal rows
    r : int, optional
        Defaults to ``U.shape[0]``.
    """
    W = as_matrix(W, "W")
    U = as_matrix(U, "U", n_cols=W.shape[1])
    r = U.shape[0] if r is None else check_int(r, "r", minimum=1, maximum=min(W.shape))
    if r > W.shape[1]:
        raise ValueError(f"r must be <= d = {W.shape[1]}, got {r}")
    _, _, Vt = np.linalg.svd(W, full_matrices=False)
    Qu, _ = np.linalg.qr(U.T)
    cos = np.linalg.svd(Qu.T @ Vt[:r].T, compute_uv=False)
    return np.sort(np.arccos(np.clip(cos, -1.0, 1.0)))
