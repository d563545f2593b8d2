"""A chapter's results do not depend on its sweeps running on worker processes.

A one-job full build runs every chapter's sweeps on local workers (``KERNELNET_UNIT_JOBS``,
:mod:`kernelnet.parallel`). Here four chapters run at quick size serially and on two workers,
and everything they return is compared: tables (but measured times), counts, prose and
findings. Chapter 04's case fails on both faults full builds once showed: a worker's warnings
not counted by the chapter, and a rounding-sensitive unit not pinned to one BLAS thread. The
full-size comparison (every glued number and figure of the eight chapters) is in
``benchmarks/README.md``, "Full book".
"""

from __future__ import annotations

import dataclasses
import importlib

import numpy as np
import pandas as pd
import pytest

from kernelnet.parallel import UNIT_JOBS_ENV

#: Findings whose values are measured times or rates (they differ between any two runs).
TIMED_FINDINGS = {"004.kernel-cost", "004.kernel-flops", "000.claim5.q-size"}


#: Prose keys computed from measured times (chapter 07's solver timings and FLOP arithmetic).
TIMED_TEXT = ("fl-sv-", "fl-fl-")


def _timed(name) -> bool:
    """A column or key holding a measured time, which differs between any two runs."""
    name = str(name)
    return (name == "time" or "seconds" in name or name.endswith("_time")
            or name.startswith(TIMED_TEXT))


def _same(a, b, where):
    if isinstance(a, pd.DataFrame):
        keep = [c for c in a.columns if not _timed(c)]
        pd.testing.assert_frame_equal(a[keep], b[keep], check_exact=True, obj=where)
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b, check_exact=True, obj=where)
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b, err_msg=where)
    elif dataclasses.is_dataclass(a) and getattr(a, "claim_id", None) in TIMED_FINDINGS:
        assert a.claim_id == b.claim_id, where
    elif dataclasses.is_dataclass(a) and not isinstance(a, type):
        for f in dataclasses.fields(a):
            _same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, dict):
        assert set(a) == set(b), where
        for k in a:
            if not _timed(k):
                _same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and np.isnan(a):
        assert isinstance(b, float) and np.isnan(b), where
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


@pytest.mark.parametrize("module, params", [
    # peaks at the full size's n = 400 with m = n: ill-conditioned solves whose warnings the
    # chapter counts, and whose rounding depends on the BLAS thread count unless pinned
    ("single_layer", dict(n_train=400, peaks_widths=(200, 400, 600))),
    ("feature_learning", {}),
    ("diverse_weights", {}),
    ("learning_rules", {}),
])
def test_chapter_results_do_not_depend_on_sweep_workers(module, params, monkeypatch):
    run = importlib.import_module(f"kernelnet.experiments.{module}").run
    monkeypatch.delenv(UNIT_JOBS_ENV, raising=False)
    serial = run(quick=True, seed=0, **params)
    if module == "single_layer":
        assert serial.n_illconditioned > 0  # the case the workers once lost
    monkeypatch.setenv(UNIT_JOBS_ENV, "2")
    workers = run(quick=True, seed=0, **params)
    _same(serial, workers, module)
