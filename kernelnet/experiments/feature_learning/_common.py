"""Shared helpers of chapter 7's experiments."""

from __future__ import annotations

import numpy as np

from ..._threads import limit_threads


def fit_loglog_slope(x, y):
    """Least-squares slope and intercept of ``log y`` against ``log x`` (natural logs).

    Points with a non-positive or non-finite coordinate are left out; if fewer than two remain
    (e.g. a curve that never reached its target) the result is ``(nan, nan)``, a documented
    "no slope" marker. ``x`` and ``y`` themselves must be 1-D of the same length >= 2
    (``ValueError`` otherwise).
    """
    try:
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"x and y must be numeric sequences: {exc}") from None
    for name, arr in (("x", x), ("y", y)):
        if arr.ndim != 1 or arr.shape[0] < 2:
            raise ValueError(f"{name} must be 1-D with at least 2 points, got shape {arr.shape}")
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same length, got {x.shape[0]} and {y.shape[0]}")
    ok = (x > 0) & (y > 0) & np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 2:
        return float("nan"), float("nan")
    slope, icpt = np.polyfit(np.log(x[ok]), np.log(y[ok]), 1)
    return float(slope), float(icpt)


def single_thread():
    """Run numba and BLAS on one thread inside the block (restored afterwards).

    On the shared 2-core machines (load average often > 5) a ``parallel=True`` numba loop or a
    2-thread BLAS call waits for a busy core at every barrier: measured here, a 4,000-point
    matrix-free mat-vec took 1.9 s with 2 threads under load and 0.035 s with one
    (``PERFORMANCE.md`` makes the same point for small ``eigh`` calls). A context manager:
    :func:`kernelnet._threads.limit_threads` with one BLAS and one numba thread.
    """
    return limit_threads(1, numba=1)
