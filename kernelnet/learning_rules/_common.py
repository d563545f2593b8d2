"""Private helpers shared by several topics of :mod:`kernelnet.learning_rules`."""

from __future__ import annotations

import numpy as np


def _as_array(x, name):
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a numeric array, got {type(x).__name__}: {exc}") from None
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains non-finite value(s) (NaN or inf)")
    return arr
