"""Independent units of a sweep (folds, seeds, sizes) run through one joblib helper.

Every sweep in :mod:`kernelnet.experiments` calls :func:`map_units`. The same call runs
serially, on local processes (``n_jobs``), or on an existing Dask cluster (``backend="dask"``,
through joblib's Dask backend), and gives **identical** results in all three cases because

- each unit draws its randomness from its own generator, seeded from ``(seed, unit index)``
  by :func:`unit_seed` (a :class:`numpy.random.SeedSequence` spawn key), never from a shared
  stream whose order would depend on scheduling;
- the numba reductions combine tiles in a fixed order, independent of the thread count;
- a unit whose arithmetic is sensitive to BLAS rounding runs on one BLAS thread wherever it runs
  (a local worker has one, the caller may have more; e.g. chapter 04's random-features solve
  at m = n, ``kernelnet.experiments.single_layer``);
- results come back in unit order, whatever order they finish in.

No scheduler, queue or worker code lives here: joblib and Dask do that.

A caller that passes no ``n_jobs`` gets ``$KERNELNET_UNIT_JOBS`` local workers (serial when it is
unset or 1). The book's build sets it for a full-size build that runs one chapter at a time, so
that a chapter's sweep uses the cores the build would otherwise leave idle
(:func:`kernelnet.build.execute_all`). A local worker runs its units on
``cores // workers`` BLAS and numba threads and its own sweeps serially (no nested pools), under
the caller's warning filters; the warnings a unit raises there are raised again in the caller
as its result arrives (in unit order unless ``order`` says otherwise), so that a caller counting
them (chapter 04 counts ill-conditioned solves) sees the same as serially. (Dask workers'
warnings stay in their logs.)
"""

from __future__ import annotations

import os
import sys
import warnings
from contextlib import nullcontext

import numpy as np

from ._validation import check_choice, check_int

__all__ = ["BACKENDS", "UNIT_JOBS_ENV", "default_jobs", "unit_seed", "map_units"]

#: Backends :func:`map_units` accepts.
BACKENDS = ("sequential", "loky", "threading", "dask")

#: Environment variable: local workers of a sweep whose caller passes no ``n_jobs``.
UNIT_JOBS_ENV = "KERNELNET_UNIT_JOBS"


def default_jobs() -> int | None:
    """``n_jobs`` for a caller that passes none: ``$KERNELNET_UNIT_JOBS`` (a positive integer or
    -1 for all cores), ``None`` (serial) when it is unset or empty."""
    raw = os.environ.get(UNIT_JOBS_ENV, "").strip()
    if not raw:
        return None
    try:
        n = int(raw)
    except ValueError:
        n = 0
    if n == 0 or n < -1:
        raise ValueError(f"${UNIT_JOBS_ENV} must be a positive integer or -1, got {raw!r}")
    return n


def _in_worker(func, threads, filters, unit, seed):
    """Run one unit in a local worker process: ``threads`` BLAS and numba threads, any sweep the
    unit starts itself runs serially, and the warnings it raises (under the caller's ``filters``)
    are returned with the result for the caller to raise again (module level, so that loky can
    ship it)."""
    import numba

    from ._threads import limit_threads

    os.environ[UNIT_JOBS_ENV] = "1"
    os.environ["KERNELNET_BACKEND"] = "sequential"
    with limit_threads(threads, numba=min(threads, numba.config.NUMBA_NUM_THREADS)), \
            warnings.catch_warnings(record=True) as caught:
        warnings.filters[:] = filters
        result = func(unit, seed)
    return result, [(str(w.message), w.category, w.filename, w.lineno) for w in caught]


def _raise_again(caught) -> None:
    """Raise in this process the warnings a worker recorded (the caller's filters apply)."""
    for message, category, filename, lineno in caught:
        warnings.warn_explicit(message, category, filename, lineno)


def unit_seed(seed: int, index: int) -> int:
    """A 63-bit seed for unit ``index`` of a sweep with global ``seed``.

    .. math:: s_i = \\mathrm{SeedSequence}(\\text{seed}, \\text{spawn\\_key}=(i,)).

    Independent streams for different units (SeedSequence's guarantee), and the same number
    for the same ``(seed, index)`` on every machine.
    """
    seed = check_int(seed, "seed", minimum=0)
    index = check_int(index, "index", minimum=0)
    state = np.random.SeedSequence(seed, spawn_key=(index,)).generate_state(2, dtype=np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1]))


def _dask_client(scheduler: str | None):
    """(client, created_here): connect to ``scheduler`` or reuse this process's client."""
    try:
        from dask.distributed import Client
    except ImportError:
        raise ValueError(
            "backend='dask' needs the optional extra: pip install 'kernelnet[dask]'"
        ) from None
    address = scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS")
    if address:
        return Client(address), True
    try:
        from dask.distributed import get_client

        return get_client(), False  # an existing client in this process
    except ValueError:
        raise ValueError(
            "backend='dask' needs a scheduler: pass scheduler='tcp://host:8786', set "
            "DASK_SCHEDULER_ADDRESS, or create a dask.distributed.Client first"
        ) from None


def map_units(
    func,
    units,
    *,
    seed: int = 0,
    n_jobs: int | None = None,
    backend: str | None = None,
    scheduler: str | None = None,
    progress: bool = False,
    desc: str | None = None,
    order=None,
) -> list:
    """Return ``[func(unit, unit_seed(seed, i)) for i, unit in enumerate(units)]``, in parallel.

    Parameters
    ----------
    func : callable
        ``func(unit, seed) -> result``; must be picklable (module level) for processes/Dask.
    units : sequence
        The independent pieces of work.
    seed : int
        The sweep's global seed.
    n_jobs : int, optional
        Local workers (1: serial unless ``backend`` says otherwise; -1: all cores). ``None``:
        :func:`default_jobs` (``$KERNELNET_UNIT_JOBS``, serial when unset).
    backend : {"sequential", "loky", "threading", "dask"}, optional
        Default ``$KERNELNET_BACKEND``, else ``"loky"`` when ``n_jobs`` asks for more than
        one worker, else ``"sequential"``.
    scheduler : str, optional
        Dask scheduler address (default ``$DASK_SCHEDULER_ADDRESS``, else an existing client).
    progress : bool
        Show a tqdm bar as units complete (only when stderr is an interactive terminal).
    order : sequence of int, optional
        The order in which units are handed to the workers, a permutation of
        ``range(len(units))``: e.g. the costliest first, so that no worker is left running a
        long unit alone at the end. Seeds stay tied to the unit's index and results come back
        in unit order, so the result does not depend on it; serial runs ignore it.
    """
    if not callable(func):
        raise ValueError(f"func must be callable, got {type(func).__name__}")
    units = list(units)
    if n_jobs is None:
        n_jobs = default_jobs()
    if n_jobs is not None:
        n_jobs = check_int(n_jobs, "n_jobs")
        if n_jobs == 0 or n_jobs < -1:
            raise ValueError(f"n_jobs must be a positive integer or -1, got {n_jobs}")
    if backend is None:
        backend = os.environ.get("KERNELNET_BACKEND") or (
            "loky" if n_jobs is not None and n_jobs != 1 else "sequential")
    check_choice(backend, "backend", BACKENDS)
    if order is None:
        order = list(range(len(units)))
    else:
        order = [check_int(i, "order", minimum=0) for i in order]
        if sorted(order) != list(range(len(units))):
            raise ValueError(f"order must be a permutation of range({len(units)}), got {order}")
    seeds = [unit_seed(seed, i) for i in range(len(units))]
    from tqdm import tqdm  # the terminal bar: tqdm.auto warns (IProgress) inside notebooks

    # Bars only on an interactive terminal: in a notebook kernel stderr is not a TTY, and a bar
    # (or tqdm's warning, with the build machine's paths) would be printed on the book's page.
    on_terminal = bool(getattr(sys.stderr, "isatty", lambda: False)())
    bar = tqdm(total=len(units), desc=desc, disable=not (progress and on_terminal))
    if backend == "sequential" or not units:
        out = []
        for u, s in zip(units, seeds):
            out.append(func(u, s))
            bar.update()
        bar.close()
        return out

    import joblib

    client, created = _dask_client(scheduler) if backend == "dask" else (None, False)
    ctx = joblib.parallel_config(backend="dask") if backend == "dask" else nullcontext()
    jobs = -1 if backend == "dask" else (n_jobs or 2)
    local = backend == "loky"
    if local:
        cores = os.cpu_count() or 1
        threads = max(1, cores // (cores if jobs == -1 else jobs))
        filters = list(warnings.filters)
        calls = (joblib.delayed(_in_worker)(func, threads, filters, units[i], seeds[i])
                 for i in order)
    else:
        calls = (joblib.delayed(func)(units[i], seeds[i]) for i in order)
    try:
        with ctx:
            gen = joblib.Parallel(n_jobs=jobs, backend=None if backend == "dask" else backend,
                                  return_as="generator")(calls)
            out = [None] * len(units)
            for i, r in zip(order, gen):
                if local:
                    r, caught = r
                    _raise_again(caught)
                out[i] = r
                bar.update()
    finally:
        bar.close()
        if created:
            client.close()
    return out
