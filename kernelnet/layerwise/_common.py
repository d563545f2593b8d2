r"""Small helpers the topics of :mod:`kernelnet.layerwise` share.

BLAS pinning during a fit, the centred one-hot factor of :math:`\Gamma`, squared distances, the
Stiefel-argument checks, the deterministic sign of eigenvectors, and the record a grower hands
back to the estimator.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from kernelnet._threads import limit_threads
from kernelnet._validation import as_matrix, check_int, one_hot

# BLAS threads inside ``fit`` and ``ism_fixed_point``: 1 (many small eigh calls; PERFORMANCE.md).
# The reproducibility test sets 2 through ``_fit_blas_threads``: another thread count splits
# the BLAS kernels' sums differently, the kind of rounding change another processor makes.
_FIT_BLAS_THREADS = 1


def _blas_one_thread():
    """Context manager pinning BLAS to ``_FIT_BLAS_THREADS`` threads (one by default) through
    :func:`kernelnet._threads.limit_threads`."""
    return limit_threads(_FIT_BLAS_THREADS)


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


def _as_stiefel(W, m: int, name: str = "W") -> np.ndarray:
    W = as_matrix(W, name, allow_1d=True)
    if W.shape[0] != m:
        raise ValueError(f"{name} must have {m} rows (the columns of R), got shape {W.shape}")
    return W


def _as_start(W0, m: int, q: int) -> np.ndarray:
    """A start ``W0`` of a layer solver: m x q (m = columns of R, q = the layer width)."""
    W0 = _as_stiefel(W0, m, "W0")
    if W0.shape[1] != q:
        raise ValueError(f"W0 must have q = {q} columns, got {W0.shape[1]}")
    return W0


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


class Grown(NamedTuple):
    """What a grower (:class:`~kernelnet.layerwise._ism.IsmGrower`,
    :class:`~kernelnet.layerwise._ws.WsGrower`) hands back to the estimator."""

    layers: list
    """One dict per layer: what ``layer_output`` needs to map new points."""
    history: list
    """One dict per layer (``LayerwiseKernelNet.history_``)."""
    stop_reason: str
    head: dict
    """The fitted attributes of the classifier on the last layer (name -> value)."""
