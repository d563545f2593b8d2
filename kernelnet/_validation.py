"""Input checks shared by every public function of kernelnet.

Each helper raises :class:`ValueError` whose message starts with the argument's name, so a
reader sees at once which argument was wrong and why. Arrays come back as C-contiguous
float64 (or int64 for labels): numba specialises on the first call's dtype and layout
(ANCHORS.md, trap 18), so every public wrapper normalises through here before a kernel.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "as_matrix",
    "as_vector",
    "as_labels",
    "one_hot",
    "check_positive",
    "check_nonnegative",
    "check_int",
    "check_same_rows",
    "check_choice",
    "pow2_rescale",
    "pow2_exponent",
    "first_nonfinite",
    "check_not_diverged",
    "as_rng",
    "check_bool",
]


def _finite(arr: np.ndarray, name: str) -> None:
    if not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} contains {bad} non-finite value(s) (NaN or inf)")


def as_matrix(
    X,
    name: str = "X",
    *,
    min_rows: int = 1,
    min_cols: int = 1,
    n_cols: int | None = None,
    allow_1d: bool = False,
    max_abs: float | None = None,
) -> np.ndarray:
    """Return ``X`` as a finite, C-contiguous float64 matrix.

    Parameters
    ----------
    X : array_like
        The input.
    name : str
        Argument name used in error messages.
    min_rows, min_cols : int
        Minimum shape. ``min_rows=2`` is the usual "at least two samples".
    n_cols : int, optional
        Exact number of columns required.
    allow_1d : bool
        If true a 1-D array of length n is read as an ``(n, 1)`` matrix.
    max_abs : float, optional
        Largest magnitude allowed (e.g. 1e150 where products of entries are formed).
    """
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a numeric array, got {type(X).__name__}: {exc}") from None
    if arr.ndim == 1 and allow_1d:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array, got shape {arr.shape}")
    if arr.shape[0] < min_rows:
        raise ValueError(f"{name} needs at least {min_rows} rows (samples), got {arr.shape[0]}")
    if arr.shape[1] < min_cols:
        raise ValueError(f"{name} needs at least {min_cols} columns, got {arr.shape[1]}")
    if n_cols is not None and arr.shape[1] != n_cols:
        raise ValueError(f"{name} must have {n_cols} columns, got shape {arr.shape}")
    _finite(arr, name)
    if max_abs is not None and arr.size and float(np.max(np.abs(arr))) >= max_abs:
        raise ValueError(f"{name} has entries of magnitude >= {max_abs:g}: products of its "
                         f"entries overflow; rescale {name}")
    return np.ascontiguousarray(arr)


def as_vector(x, name: str = "x", *, size: int | None = None, min_size: int = 1,
              max_abs: float | None = None) -> np.ndarray:
    """Return ``x`` as a finite, contiguous float64 vector (optionally of a given length and
    largest magnitude, as :func:`as_matrix`)."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a numeric array, got {type(x).__name__}: {exc}") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array, got shape {arr.shape}")
    if size is not None and arr.shape[0] != size:
        raise ValueError(f"{name} must have length {size}, got {arr.shape[0]}")
    if arr.shape[0] < min_size:
        raise ValueError(f"{name} needs at least {min_size} entries, got {arr.shape[0]}")
    _finite(arr, name)
    if max_abs is not None and arr.size and float(np.max(np.abs(arr))) >= max_abs:
        raise ValueError(f"{name} has entries of magnitude >= {max_abs:g}: products of its "
                         f"entries overflow; rescale {name}")
    return np.ascontiguousarray(arr)


def as_labels(y, name: str = "y", *, n_samples: int | None = None, min_classes: int = 2,
              x_name: str = "X"):
    """Encode class labels as integers 0..c-1.

    Returns
    -------
    codes : ndarray of int64, shape (n,)
    classes : ndarray, shape (c,)
        The sorted distinct labels; ``classes[codes]`` gives ``y`` back.

    Raises
    ------
    ValueError
        If ``y`` is not 1-D, holds NaN, has the wrong length, looks continuous (float values
        that are not whole numbers) or has fewer than ``min_classes`` distinct labels.
    """
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of class labels, got shape {arr.shape}")
    if n_samples is not None and arr.shape[0] != n_samples:
        raise ValueError(f"{name} has {arr.shape[0]} labels but {x_name} has {n_samples} samples")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} contains NaN or inf")
        if not np.all(arr == np.round(arr)):
            raise ValueError(f"{name} looks continuous (non-integer floats): class labels expected")
    if arr.dtype.kind == "c":
        raise ValueError(f"{name} must hold class labels, got complex values")
    if arr.dtype.kind == "O":
        missing = sum(v is None or (isinstance(v, float) and v != v) for v in arr)
        if missing:
            raise ValueError(f"{name} contains {missing} missing label(s) (None or NaN)")
    try:
        classes, codes = np.unique(arr, return_inverse=True)
    except TypeError as exc:  # labels of types that cannot be sorted together
        raise ValueError(f"{name} mixes label types that cannot be compared: {exc}") from None
    if classes.shape[0] < min_classes:
        raise ValueError(
            f"{name} needs at least {min_classes} distinct classes, got {classes.shape[0]}"
        )
    return codes.astype(np.int64).reshape(-1), classes


def one_hot(codes: np.ndarray, n_classes: int | None = None) -> np.ndarray:
    """One-hot matrix (n, c) of integer codes 0..c-1, float64, C-contiguous."""
    codes = np.asarray(codes, dtype=np.int64)
    c = int(codes.max()) + 1 if n_classes is None else int(n_classes)
    Y = np.zeros((codes.shape[0], c), dtype=np.float64)
    Y[np.arange(codes.shape[0]), codes] = 1.0
    return Y


def check_positive(value, name: str, *, minimum: float | None = None,
                   maximum: float | None = None) -> float:
    """Return ``value`` as a float after checking that it is finite and > 0 (and within
    ``[minimum, maximum]`` if given: e.g. ``maximum=1e150`` where ``value**2`` is formed in a
    Python float, which raises OverflowError, ``minimum=1e-150`` where ``1 / value**2`` is)."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum:g} (its square overflows), "
                         f"got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum:g}, got {value!r}")
    return value


def check_nonnegative(value, name: str) -> float:
    """Return ``value`` as a float after checking that it is finite and >= 0."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise ValueError(f"{name} must be a non-negative number, got {value!r}")
    value = float(value)
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a non-negative finite number, got {value!r}")
    return value


def check_int(value, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as an int after checking type and bounds."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def check_same_rows(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Raise if ``a`` and ``b`` have different numbers of rows (samples)."""
    if a.shape[0] != b.shape[0]:
        raise ValueError(
            f"{name_a} and {name_b} must have the same number of samples, "
            f"got {a.shape[0]} and {b.shape[0]}"
        )


def check_choice(value, name: str, choices) -> str:
    """Raise unless ``value`` is one of ``choices`` (message lists the valid ones)."""
    if value not in choices:
        valid = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {valid}; got {value!r}")
    return value


def pow2_rescale(arr: np.ndarray, *, lo: float = 1e-100, hi: float = 1e100) -> np.ndarray:
    """``arr`` times a power of two that brings its largest magnitude into [0.5, 1), applied
    only when that magnitude lies outside ``[lo, hi]`` (else ``arr`` itself is returned).

    For scale-invariant quantities (normalised HSIC, silhouette, normalised class sums) whose
    products would overflow near 1e160 or underflow near 1e-160. A power of two is exact in
    floating point, and inputs in the normal range are not touched at all, so their results stay
    bit-identical.
    """
    e = pow2_exponent(arr, lo=lo, hi=hi)
    return arr if e == 0 else np.ldexp(arr, -e)


def pow2_exponent(arr: np.ndarray, *, lo: float = 1e-100, hi: float = 1e100) -> int:
    """The ``e`` of :func:`pow2_rescale` (``arr * 2**-e``); 0 when no rescale is needed."""
    m = float(np.max(np.abs(arr))) if np.size(arr) else 0.0
    if m == 0.0 or lo <= m <= hi:
        return 0
    return int(np.frexp(m)[1])


def first_nonfinite(traj) -> int | None:
    """Index along the first axis of the first non-finite entry of ``traj`` (None if none)."""
    arr = np.asarray(traj, dtype=np.float64)
    if arr.ndim == 0:
        return None if np.isfinite(arr) else 0
    ok = np.isfinite(arr.reshape(arr.shape[0], -1)).all(axis=1)
    return None if ok.all() else int(np.argmin(ok))


def check_not_diverged(traj, *, name: str, value, what: str, record_every: int = 1,
                       data: tuple = ()) -> None:
    """Raise a ``ValueError`` naming the step-size argument (and the data arguments ``data``
    whose scale sets the stable step) if a trainer's trajectory (first axis = recorded steps)
    holds inf or NaN: a diverging trainer says so and at which step, instead of returning NaN
    as numbers."""
    k = first_nonfinite(traj)
    if k is not None:
        scale = f" the scale of {' and '.join(data)}" if data else " this input"
        fix = f"use a smaller {name}" + (f" or rescale {' and '.join(data)}" if data else "")
        raise ValueError(
            f"{name}={value!r} is too large for{scale}: {what} diverged (values overflowed "
            f"to inf/NaN) by step {k * record_every}; {fix}"
        )


def as_rng(random_state, name: str = "random_state") -> np.random.Generator:
    """The one way a ``seed`` or ``random_state`` argument becomes a :class:`numpy.random.Generator`.

    scikit-learn's ``check_random_state`` for numpy's new generators:

    * ``None``, a non-negative int, a sequence of non-negative ints or a ``SeedSequence``:
      ``numpy.random.default_rng(random_state)`` (so streams are unchanged; the sequences seed
      the experiments' per-unit streams, e.g. ``[seed, i]``);
    * a ``Generator``: returned as it is (and so advanced by the caller), as ``default_rng`` does;
    * a legacy ``RandomState`` (scikit-learn hands one to estimators): a Generator seeded by one
      draw ``randint(0, 2**31 - 1)`` from it (its global state is not touched);
    * anything else (a float, string, bool, negative int, ...): ``ValueError`` naming the
      argument (numpy raised ``TypeError`` for a float or string).

    Examples
    --------
    >>> as_rng(7).integers(100) == np.random.default_rng(7).integers(100)
    np.True_
    >>> as_rng(1.5, "seed")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: seed must be None, a non-negative int (or a sequence of them), ..., got 1.5
    """
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(int(random_state.randint(0, 2**31 - 1)))
    ok = random_state is None or isinstance(random_state, np.random.SeedSequence)
    if not ok and not isinstance(random_state, (bool, np.bool_)):
        if isinstance(random_state, (numbers.Integral, np.integer)):
            ok = random_state >= 0
        elif isinstance(random_state, (list, tuple)) and random_state:
            ok = all(isinstance(v, (numbers.Integral, np.integer))
                     and not isinstance(v, (bool, np.bool_)) and v >= 0 for v in random_state)
    if not ok:
        raise ValueError(f"{name} must be None, a non-negative int (or a sequence of them), a "
                         f"SeedSequence, a numpy Generator or RandomState, got {random_state!r}")
    return np.random.default_rng(random_state)


def check_bool(value, name: str) -> bool:
    """Return ``value`` as a Python bool; ``True``/``False`` (or numpy's) only, not 0/1 or "yes".

    The one check of a ``quick`` flag (and any other switch): ``ValueError`` naming the argument.

    Examples
    --------
    >>> check_bool(np.bool_(True), "quick")
    True
    >>> check_bool(1, "quick")
    Traceback (most recent call last):
    ...
    ValueError: quick must be True or False, got 1
    """
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def classifier_data(estimator, X, y):
    """``(X, y)`` of a scikit-learn classifier's ``fit``, checked: float64 ``X`` with at least two
    rows, classification targets.

    scikit-learn's own checks run first (``check_estimator`` searches their phrases); their
    ``ValueError`` is re-raised with a prefix naming the argument, and labels of types that
    cannot be compared (e.g. ``1`` and ``"a"``, a ``TypeError`` in scikit-learn) become a
    ``ValueError`` about ``y``. Other ``TypeError``s (e.g. a dict in ``X``) pass unchanged, as
    ``check_estimator`` expects.
    """
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import validate_data

    try:
        X, y = validate_data(estimator, X, y, ensure_min_samples=2, dtype=np.float64)
    except TypeError as exc:
        if "not supported between instances" not in str(exc):
            raise
        raise ValueError(f"y mixes label types that cannot be compared: {exc}") from None
    except ValueError as exc:
        raise ValueError(f"X, y: {exc}") from None
    try:
        check_classification_targets(y)
    except TypeError as exc:
        raise ValueError(f"y mixes label types that cannot be compared: {exc}") from None
    except ValueError as exc:
        raise ValueError(f"y: {exc}") from None
    return X, y
