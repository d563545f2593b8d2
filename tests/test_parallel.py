"""map_units: identical results serially, with local processes and on a Dask LocalCluster."""

import sys

import numpy as np
import pytest

from kernelnet.parallel import map_units, unit_seed


def _unit(n, seed):
    """A unit with its own randomness and a numba reduction (fused HSIC)."""
    from kernelnet.hsic import hsic_gaussian

    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 5))
    y = rng.integers(0, 3, size=n)
    X[:, 0] += y
    return n, seed, hsic_gaussian(X, y, sigma=1.5), float(rng.standard_normal())


UNITS = [50, 80, 120, 60, 90]


@pytest.fixture(scope="module", autouse=True)
def _pickle_this_module_by_value():
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    yield
    cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


def test_unit_seed_is_stable_and_distinct():
    seeds = [unit_seed(0, i) for i in range(100)]
    assert len(set(seeds)) == 100
    assert seeds == [unit_seed(0, i) for i in range(100)]
    assert unit_seed(1, 0) != unit_seed(0, 0)
    assert 0 <= min(seeds) and max(seeds) < 2**63


def test_serial_and_processes_identical():
    serial = map_units(_unit, UNITS, seed=7)
    procs = map_units(_unit, UNITS, seed=7, n_jobs=2)
    threads = map_units(_unit, UNITS, seed=7, n_jobs=2, backend="threading")
    assert serial == procs == threads  # bit-identical floats, same order
    assert [r[0] for r in serial] == UNITS
    assert map_units(_unit, UNITS, seed=8) != serial


def test_hsic_dependence_sweep_identical_on_two_workers():
    from kernelnet.experiments.hsic import dependence_sweep

    kw = dict(n=40, n_permutations=5, random_state=3)
    a = dependence_sweep([0.0, 1.0, 2.0], **kw)
    assert a.equals(dependence_sweep([0.0, 1.0, 2.0], n_jobs=2, **kw))
    assert list(a.columns) == ["separation", "sigma", "hsic_fused", "hsic_dense", "nhsic_cka",
                               "nhsic_authors", "null_mean", "null_q95", "p_value"]


def test_dask_localcluster_identical():
    distributed = pytest.importorskip("distributed")
    serial = map_units(_unit, UNITS, seed=7)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        dask = map_units(_unit, UNITS, seed=7, backend="dask", scheduler=cluster.scheduler_address)
    assert dask == serial


def test_bad_arguments():
    with pytest.raises(ValueError, match="backend must be one of"):
        map_units(_unit, UNITS, backend="mpi")
    with pytest.raises(ValueError, match="n_jobs must be"):
        map_units(_unit, UNITS, n_jobs=0)
    with pytest.raises(ValueError, match="func must be callable"):
        map_units(3, UNITS)
    with pytest.raises(ValueError, match="seed must be >= 0"):
        unit_seed(-1, 0)


def test_dask_without_scheduler_is_a_clear_error(monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    with pytest.raises(ValueError, match="needs a scheduler"):
        map_units(_unit, UNITS, backend="dask")


def test_dask_missing_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    with pytest.raises(ValueError, match=r"kernelnet\[dask\]"):
        map_units(_unit, UNITS, backend="dask", scheduler="tcp://127.0.0.1:1")


def test_hsic_agreement_sweep_identical_on_two_workers():
    from kernelnet.experiments import hsic as ch

    a = ch.fused_vs_dense([60, 90], d=5, random_state=2)
    b = ch.fused_vs_dense([60, 90], d=5, random_state=2, n_jobs=2)
    assert a.equals(b)
    assert (a.rel_to_scale < 1e-12).all()  # rounding of a cancelling sum, relative to its scale


def _unit_with_context(k, seed):
    """A unit that reports how it ran: BLAS and numba threads, and how a sweep it starts runs."""
    import os

    import numba
    from threadpoolctl import threadpool_info

    from kernelnet.parallel import default_jobs

    blas = sorted({d["num_threads"] for d in threadpool_info() if d["user_api"] == "blas"})
    return k, os.getpid(), blas, numba.get_num_threads(), default_jobs(), \
        os.environ.get("KERNELNET_BACKEND")


def test_unit_jobs_environment_is_the_default_n_jobs(monkeypatch):
    import os

    from kernelnet.parallel import UNIT_JOBS_ENV, default_jobs

    monkeypatch.delenv(UNIT_JOBS_ENV, raising=False)
    monkeypatch.delenv("KERNELNET_BACKEND", raising=False)
    assert default_jobs() is None
    serial = map_units(_unit_with_context, range(4), seed=1)
    assert {r[1] for r in serial} == {os.getpid()}  # no variable: in this process
    monkeypatch.setenv(UNIT_JOBS_ENV, "2")
    assert default_jobs() == 2
    out = map_units(_unit_with_context, range(4), seed=1)
    assert [r[0] for r in out] == [0, 1, 2, 3]
    assert os.getpid() not in {r[1] for r in out}  # in worker processes
    cores = os.cpu_count() or 1
    threads = max(1, cores // 2)
    for _, _, blas, nb_threads, nested, backend in out:
        assert blas == [threads] and nb_threads == min(threads, _numba_max())
        assert nested == 1 and backend == "sequential"  # a sweep inside a unit runs serially
    # the caller's own n_jobs wins over the variable
    assert {r[1] for r in map_units(_unit_with_context, range(2), seed=1, n_jobs=1)} == \
        {os.getpid()}
    # results do not depend on it
    assert map_units(_unit, UNITS, seed=7) == serial_reference()


def _numba_max():
    import numba

    return numba.config.NUMBA_NUM_THREADS


def serial_reference():
    return [_unit(n, unit_seed(7, i)) for i, n in enumerate(UNITS)]


@pytest.mark.parametrize("bad", ["0", "-2", "two", "1.5"])
def test_bad_unit_jobs_environment_is_a_clear_error(monkeypatch, bad):
    from kernelnet.parallel import UNIT_JOBS_ENV

    monkeypatch.setenv(UNIT_JOBS_ENV, bad)
    with pytest.raises(ValueError, match=r"\$KERNELNET_UNIT_JOBS must be a positive integer"):
        map_units(_unit, UNITS)


def test_dispatch_order_changes_neither_seeds_nor_result_order():
    serial = map_units(_unit, UNITS, seed=7)
    backwards = list(range(len(UNITS)))[::-1]
    assert map_units(_unit, UNITS, seed=7, n_jobs=2, order=backwards) == serial
    assert map_units(_unit, UNITS, seed=7, order=backwards) == serial  # serial ignores it
    for bad in ([0, 1, 2, 3], [0, 0, 1, 2, 3], [0, 1, 2, 3, 5]):
        with pytest.raises(ValueError, match="order must be a permutation of range"):
            map_units(_unit, UNITS, n_jobs=2, order=bad)
    with pytest.raises(ValueError, match="order"):
        map_units(_unit, UNITS, n_jobs=2, order=[0, 1, 2, 3, -4])


def test_sweep_workers_sets_and_restores_the_variable(monkeypatch):
    import os

    from kernelnet.build import sweep_workers
    from kernelnet.parallel import UNIT_JOBS_ENV

    monkeypatch.delenv(UNIT_JOBS_ENV, raising=False)
    with sweep_workers(quick=False) as n:
        assert n == (os.cpu_count() or 1) and os.environ[UNIT_JOBS_ENV] == str(n)
    assert UNIT_JOBS_ENV not in os.environ
    with sweep_workers(quick=True) as n:
        assert n is None and UNIT_JOBS_ENV not in os.environ
    monkeypatch.setenv(UNIT_JOBS_ENV, "1")  # a reader's choice is kept
    with sweep_workers(quick=False) as n:
        assert n == 1
    assert os.environ[UNIT_JOBS_ENV] == "1"


def _warning_unit(k, seed):
    import warnings

    for _ in range(k):
        warnings.warn(f"unit {k} is ill-conditioned", RuntimeWarning)
    return k


def test_workers_warnings_reach_the_caller_as_serially():
    import warnings

    def caught(**kw):
        with warnings.catch_warnings(record=True) as got:
            warnings.simplefilter("always", RuntimeWarning)
            out = map_units(_warning_unit, [2, 0, 1], seed=3, **kw)
        return out, [(w.category, str(w.message)) for w in got if w.category is RuntimeWarning]

    serial = caught()
    assert serial[1] == [(RuntimeWarning, "unit 2 is ill-conditioned")] * 2 + \
        [(RuntimeWarning, "unit 1 is ill-conditioned")]
    assert caught(n_jobs=2) == serial
    assert caught(n_jobs=2, order=[2, 1, 0])[0] == serial[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # the caller's filters apply in a worker
        with pytest.raises(RuntimeWarning, match="unit 2"):
            map_units(_warning_unit, [2], n_jobs=2)
