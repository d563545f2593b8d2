"""One home for pinning BLAS and numba threads: :func:`limit_threads`.

Every kernelnet function that fixes a thread count does it through :func:`limit_threads`, for one
of two reasons:

* **speed**: many small BLAS calls (eigh, small GEMMs) run fastest on one thread; numpy and
  scipy each bundle an OpenBLAS whose idle threads spin against each other on a busy machine
  (``PERFORMANCE.md``: L-BFGS 25x slower, a tile kernel 20-50x slower). A numba ``prange`` body
  that calls ``np.dot`` must run it on one BLAS thread (one BLAS thread per numba thread);
* **rounding**: another BLAS thread count splits a GEMM's or a LAPACK routine's sums
  differently, the kind of rounding change another processor makes; functions whose committed
  numbers are pinned say so where they call it.

Only BLAS is limited (threadpoolctl's ``user_api="blas"``), never OpenMP: here numba's
threading layer may be OpenMP, and a limit set from outside would fight numba's own count.
numba's threads are set with :func:`numba.set_num_threads` when ``numba=`` is given (a
thread-local setting, restored on exit).
"""

from __future__ import annotations

import contextlib
import threading

from ._validation import check_int

__all__ = ["limit_threads"]

_CONTROLLER = None
_LOCK = threading.Lock()
# Limits in force, innermost last: [threads, users, limiter]. Entering with the thread count of
# the innermost entry only counts a user (nested or concurrent callers, e.g. joblib's threading
# backend); a limit is restored when its last user has left and every limit set after it is gone.
_STACK: list = []


def _controller():
    """The threadpoolctl controller, built once (a library scan costs ~3 ms; ``limit`` ~30 us).

    numba's ``np.dot`` calls scipy's BLAS (``scipy.linalg.cython_blas``), which may be a
    different library from numpy's: it is imported *before* the scan, since a library loaded
    after a limit was set keeps its default thread count.
    """
    global _CONTROLLER
    if _CONTROLLER is None:
        import scipy.linalg.cython_blas  # noqa: F401
        from threadpoolctl import ThreadpoolController

        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER


def _enter_blas(threads):
    with _LOCK:
        if _STACK and _STACK[-1][0] == threads:
            entry = _STACK[-1]
            entry[1] += 1
        else:
            entry = [threads, 1, _controller().limit(limits=threads, user_api="blas")]
            _STACK.append(entry)
    return entry


def _exit_blas(entry):
    with _LOCK:
        entry[1] -= 1
        while _STACK and _STACK[-1][1] == 0:
            _STACK.pop()[2].restore_original_limits()


@contextlib.contextmanager
def limit_threads(blas=1, *, numba=None):
    """Context manager: BLAS on ``blas`` threads and numba on ``numba`` threads inside the block.

    Parameters
    ----------
    blas : int or None
        BLAS threads (>= 1); ``None`` leaves BLAS alone.
    numba : int or None
        numba threads (>= 1, at most ``numba.config.NUMBA_NUM_THREADS``); ``None`` (default)
        leaves numba alone.

    Nested and concurrent uses are safe: entering with the thread count already in force only
    counts a user, and each limit is restored (in reverse order) when its last user has left.
    A limit reaches OpenBLAS reliably only from the main thread of a process (the
    ``"sequential"`` and ``"loky"`` backends of :mod:`kernelnet.parallel`): with the OpenBLAS
    builds numpy and scipy ship here (0.3.30, 0.3.31), a limit set from a worker thread of the
    ``"threading"`` backend, after the main thread has set and restored one, is not seen by the
    library (measured: a GEMM under a one-thread limit ran at CPU/wall 1.98 in a worker thread,
    1.20 in the main thread). Results do not depend on it (the ISM folds are the same at one and
    two BLAS threads, ``tests/test_reproducibility.py``); speed may.

    Examples
    --------
    >>> from threadpoolctl import threadpool_info
    >>> from kernelnet._threads import limit_threads
    >>> with limit_threads(1):
    ...     {d["num_threads"] for d in threadpool_info() if d["user_api"] == "blas"}
    {1}
    """
    if blas is not None:
        blas = check_int(blas, "blas", minimum=1)
    old_numba = None
    if numba is not None:
        import numba as _numba

        numba = check_int(numba, "numba", minimum=1, maximum=_numba.config.NUMBA_NUM_THREADS)
        old_numba = _numba.get_num_threads()
        _numba.set_num_threads(numba)
    try:
        entry = _enter_blas(blas) if blas is not None else None
        try:
            yield
        finally:
            if entry is not None:
                _exit_blas(entry)
    finally:
        if old_numba is not None:
            _numba.set_num_threads(old_numba)
