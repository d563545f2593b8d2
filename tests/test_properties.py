"""Property-based suite over the public API (issue 20, "how to keep it closed").

For every public library function a valid call is written out in ``scripts/probe_api.py``
(``base_calls``). Hypothesis replaces one or two of its arguments by generated bad input
(NaN/inf, empty, one sample, wrong ndim or length, huge or tiny scale, int/float32/list/
non-contiguous arrays, one class, string or None labels, zero/negative/NaN/inf/huge numbers,
unknown names, bad seeds) and the outcome must be one of

* a ``ValueError`` whose message names an argument of the function,
* a result whose numbers are all finite,
* a result explicitly flagged as diverged (``.diverged`` / ``["diverged"]``) or a documented
  marker (Hebbian growth to inf; ``fit_loglog_slope``'s "no slope" ``nan``),

within a time limit (a hang fails the test). Profiles: the default (CI) runs a few hundred
examples in all; ``KERNELNET_HYPOTHESIS=nightly`` runs 25,000 (random, not derandomized).
"""

from __future__ import annotations

import importlib.util
import os
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("probe_api", ROOT / "scripts" / "probe_api.py")
probe = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(probe)

NIGHTLY = os.environ.get("KERNELNET_HYPOTHESIS", "ci") == "nightly"
#: examples per test (five tests): 300 in CI (~6 s), 25,000 nightly (a few minutes)
EXAMPLES = 5000 if NIGHTLY else 60
PROFILE = settings(max_examples=EXAMPLES, deadline=None, derandomize=not NIGHTLY,
                   suppress_health_check=[HealthCheck.function_scoped_fixture,
                                          HealthCheck.too_slow, HealthCheck.data_too_large])
TIME_LIMIT = 60.0  # seconds per call: the slowest valid call takes ~1 s on the CI machine

CALLS = probe.base_calls()
GROUPS = {
    "primitives": ("kernels.", "hsic.", "checks.", "solvers."),
    "layerwise": ("layerwise.",),
    "models": ("twolayer.", "single_layer."),
    "learning_rules": ("learning_rules.",),
    "feature_learning": ("feature_learning.", "experiments."),
}

SPECIAL = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e300, -1e300, 1e-300, 1e160, 5e-324]
SCALES = [1e-300, 1e-200, 1e-160, 1e-12, 1.0, 1e12, 1e155, 1e160, 1e200, 1e300]


def _float_elements():
    return st.one_of(st.sampled_from(SPECIAL),
                     st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False))


@st.composite
def _bad_array(draw, value: np.ndarray):
    """A bad version of a valid float array."""
    kind = draw(st.sampled_from(["entries", "scale", "shape", "dtype", "list", "other"]))
    a = np.array(value, dtype=float)
    if kind == "entries" and a.size:
        b = a.copy()
        k = draw(st.integers(1, min(3, b.size)))
        for _ in range(k):
            b.flat[draw(st.integers(0, b.size - 1))] = draw(_float_elements())
        return b
    if kind == "scale":
        return a * draw(st.sampled_from(SCALES))
    if kind == "shape":
        how = draw(st.sampled_from(["empty", "one", "drop", "ravel", "add_axis", "wide",
                                    "transpose"]))
        if how == "empty":
            return a[:0]
        if how == "one":
            return a[:1]
        if how == "drop":
            return a[:-1] if a.shape[0] > 1 else a[:0]
        if how == "ravel":
            return a.ravel() if a.ndim > 1 else a.reshape(1, -1)
        if how == "add_axis":
            return a[None]
        if how == "wide":
            n = draw(st.integers(1, 6))
            return np.random.default_rng(draw(st.integers(0, 9))).normal(size=(n, 2000))
        return a.T.copy()
    if kind == "dtype":
        how = draw(st.sampled_from(["int", "float32", "fortran", "zeros", "constant"]))
        if how == "int":
            return np.round(a).astype(np.int64)
        if how == "float32":
            return a.astype(np.float32)
        if how == "fortran":
            return np.asfortranarray(a)
        if how == "zeros":
            return np.zeros_like(a)
        return np.full_like(a, draw(st.floats(-10, 10)))
    if kind == "list":
        return a.tolist()
    return draw(st.sampled_from([None, "abc", 3, float("nan"), [], [[1.0], [2.0, 3.0]]]))


@st.composite
def _bad_labels(draw, value: np.ndarray):
    n = value.shape[0]
    kind = draw(st.sampled_from(["one_class", "strings", "none", "float", "length", "mixed",
                                 "other"]))
    if kind == "one_class":
        return np.full(n, draw(st.integers(-3, 3)))
    if kind == "strings":
        return np.array([draw(st.sampled_from(["a", "b", "c"])) for _ in range(n)])
    if kind == "none":
        out = list(value.tolist())
        out[draw(st.integers(0, n - 1))] = None
        return np.array(out, dtype=object)
    if kind == "float":
        return value + draw(st.sampled_from([0.5, np.nan, np.inf]))
    if kind == "length":
        return value[: draw(st.integers(0, n - 1))]
    if kind == "mixed":
        out = list(value.tolist())
        out[0] = "x"
        return np.array(out, dtype=object)
    return draw(st.sampled_from([None, "abc", 3, []]))


def _bad_number(value):
    if isinstance(value, bool):
        return st.sampled_from([None, "yes", 2, np.nan])
    if isinstance(value, (int, np.integer)):
        return st.one_of(st.integers(-5, 0), st.sampled_from([1.5, True, "3", None, np.nan,
                                                              np.int64(-1)]))
    return st.one_of(st.sampled_from([0.0, -1.0, np.nan, np.inf, -np.inf, 1e300, 1e-300, 1e160,
                                      "1", None, True]),
                     st.floats(allow_nan=True, allow_infinity=True))


def _bad_value(name, value):
    if isinstance(value, np.ndarray) and value.dtype.kind in "iu" and name == "y":
        return _bad_labels(value)
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return _bad_array(value)
    if isinstance(value, (bool, int, float, np.integer, np.floating)):
        return _bad_number(value)
    if isinstance(value, str):
        return st.sampled_from(["nope", "", None, 3, value.upper()])
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, np.ndarray)
                                                           for v in value):
        return st.sampled_from([type(value)(), None, [v * 1e300 for v in value],
                                [np.full_like(v, np.nan) for v in value], list(value[:-1])])
    return st.sampled_from([None, "abc", 3.5])


@st.composite
def bad_call(draw, prefixes):
    names = sorted(f for f in CALLS if f.startswith(prefixes))
    fname = draw(st.sampled_from(names))
    fn, kwargs = CALLS[fname]
    args = list(kwargs)
    chosen = draw(st.lists(st.sampled_from(args), min_size=1, max_size=min(2, len(args)),
                           unique=True))
    kw = dict(kwargs)
    for a in chosen:
        kw[a] = draw(_bad_value(a, kwargs[a]))
    return fname, fn, kw, chosen


#: The scikit-learn estimator validates X and y with scikit-learn's own messages (which
#: ``check_estimator`` relies on and which do not always name the argument): any ValueError.
SKLEARN_MESSAGES = ("layerwise.LayerwiseKernelNet.fit", "layerwise.LayerwiseKernelNet.fit[")


def _check_outcome(within, fname, fn, kw, chosen):
    def call():
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return fn(**kw)

    try:
        result = within(TIME_LIMIT, call)
    except np.linalg.LinAlgError as exc:  # a ValueError subclass, but not a clear error
        pytest.fail(f"{fname} with bad {chosen}: LinAlgError instead of ValueError: {exc}")
    except ValueError as exc:
        assert fname.startswith(SKLEARN_MESSAGES) or probe.names_argument(str(exc), list(kw)), (
            f"{fname} with bad {chosen}: ValueError names none of its arguments: {exc}")
        return
    except Exception as exc:  # noqa: BLE001 - the property is "only ValueError"
        pytest.fail(f"{fname} with bad {chosen}: {type(exc).__name__} instead of ValueError: "
                    f"{exc}")
    kind, _ = probe.classify(result, fname=fname)
    assert kind in ("finite", "flagged"), (
        f"{fname} with bad {chosen}: returned non-finite numbers without a flag")


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_bad_input_gives_clear_error_or_finite_result(within, group):
    @PROFILE
    @given(bad_call(GROUPS[group]))
    def run(case):
        _check_outcome(within, *case)

    run()


def test_every_valid_call_is_finite():
    """The base calls themselves are valid: finite results (so a failure above is the input's)."""
    for fname, (fn, kw) in CALLS.items():
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            kind, _ = probe.classify(fn(**kw), fname=fname)
        assert kind == "finite", fname
