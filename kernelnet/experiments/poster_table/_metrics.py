"""The ten columns' metrics of one representation (``output_metrics``)."""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..._validation import as_labels, check_choice, one_hot
from ...hsic import normalized_hsic
from ...kernels import gaussian_kernel


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
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss

    from ...layerwise import distance_ratio, hsic_optimal_sigma

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
