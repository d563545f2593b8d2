r"""How well a representation separates the classes: the scatter ratio of eq. 6, the authors'
distance ratio :math:`T`, the distance to the limit kernel of eq. 7, the silhouette, the
per-layer history numbers of the estimator, and the table's output columns
(:func:`output_metrics`).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

from kernelnet._validation import (
    as_labels,
    as_matrix,
    check_choice,
    one_hot,
    pow2_exponent,
    pow2_rescale,
)
from kernelnet.hsic import normalized_hsic
from kernelnet.kernels import gaussian_kernel
from kernelnet.layerwise._bandwidth import hsic_optimal_sigma
from kernelnet.layerwise._common import _sq_dists

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


def _class_block_means(S: np.ndarray, nk: np.ndarray) -> tuple[float, float]:
    """(mean within-class, mean between-class) kernel value from the c x c block sums S."""
    n = float(nk.sum())
    within_pairs = float(np.sum(nk * nk))
    within = float(np.trace(S))
    between = float(S.sum()) - within
    return within / within_pairs, between / max(n * n - within_pairs, 1.0)


def output_metrics(Z, y, *, kernel="gaussian", sigma=None, Z_ids=None, random_state=0) -> dict:
    r"""``H_star``, ``MSE``, ``MSE_authors``, ``CE``, ``C`` and ``T`` of one representation.

    Parameters
    ----------
    Z : array_like, shape (n, p)
        The output the kernel columns are measured on (ISM: its random features; W_s: its
        embedding; MLP: the last hidden layer).
    y : array_like, shape (n,)
    kernel : {"gaussian", "linear"}
        ``"linear"``: :math:`K = Z Z^\top` (ISM's random features already approximate its
        Gaussian kernel); ``"gaussian"``: :math:`K_{ij} = \exp(-\lVert z_i - z_j\rVert^2 /
        (2\sigma^2))`.
    sigma : float, optional
        Bandwidth of the Gaussian kernel; default the HSIC-optimal bandwidth of ``Z``
        (:func:`kernelnet.layerwise.hsic_optimal_sigma`, seeded by ``random_state``).
    Z_ids : array_like, shape (n, q), optional
        Where ``MSE`` and ``T`` are measured (ISM: :math:`R_{L-1}W_L`); default ``Z``.

    Returns
    -------
    dict
        ``H_star`` :math:`= \langle HK, HL\rangle_F / (\lVert HK\rVert_F \lVert HL\rVert_F)`,
        ``MSE`` :math:`= \tfrac1n\sum_i \lVert z_i - m_{y_i}\rVert^2`, ``MSE_authors``
        :math:`= \tfrac1n\sum_i \lVert (z_i - m_{y_i})^{\circ 2}\rVert`, ``CE`` (training
        cross-entropy of a multinomial logistic regression on ``Z``), ``C`` = mean between-class
        over mean within-class :math:`K_{ij}` (diagonal included), ``T`` =
        :func:`kernelnet.layerwise.distance_ratio`, and ``sigma_kernel`` (the bandwidth used,
        NaN for the linear kernel). Definitions: ``DEFINITIONS.md``.
    """
    check_choice(kernel, "kernel", ("gaussian", "linear"))
    Z = np.ascontiguousarray(np.asarray(Z, dtype=np.float64))
    if Z.ndim != 2 or not np.all(np.isfinite(Z)):
        raise ValueError(f"Z must be a finite 2-D array, got shape {Z.shape}")
    codes, classes = as_labels(y, "y", n_samples=Z.shape[0])
    c = classes.shape[0]
    Y = one_hot(codes, c)
    Lmat = Y @ Y.T
    if kernel == "linear":
        K = Z @ Z.T
        s = math.nan
    else:
        s = float(sigma) if sigma is not None else hsic_optimal_sigma(
            Z, codes, random_state=random_state)
        K = gaussian_kernel(Z, sigma=s)
    h = normalized_hsic(K, Lmat, variant="authors")
    within, between = _class_block_means(Y.T @ K @ Y, Y.sum(axis=0))
    ids = Z if Z_ids is None else np.ascontiguousarray(np.asarray(Z_ids, dtype=np.float64))
    means = (Y.T @ ids) / Y.sum(axis=0)[:, None]
    dev = ids - means[codes]
    mse = float(np.sum(dev * dev)) / ids.shape[0]
    mse_authors = float(np.sum(np.linalg.norm(dev * dev, axis=1))) / ids.shape[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lbfgs may stop at max_iter on separable outputs
        clf = LogisticRegression(random_state=0, max_iter=1000).fit(Z, codes)
        ce = float(log_loss(codes, clf.predict_proba(Z), labels=np.arange(c)))
    return {
        "H_star": float(h),
        "MSE": mse,
        "MSE_authors": mse_authors,
        "CE": ce,
        "C": between / within if within != 0 else math.inf,
        "T": float(distance_ratio(ids, codes)),
        "sigma_kernel": s,
    }
