"""Small helpers shared by the chapter's experiments: sizes from ``PARAMETERS``, the seed check,
log-log slopes, a list joined for prose."""

from __future__ import annotations

import numpy as np

from kernelnet._validation import check_int

from . import PARAMETERS


def _size(name, quick, value):
    """``value`` if given, else the declared quick/full value of parameter ``name``."""
    if value is not None:
        return value
    p = PARAMETERS[name]
    return p.quick if quick else p.full


def _seed(seed):
    return check_int(seed, "seed", minimum=0)


def _slope(x, y):
    """Least-squares slope of log y against log x."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = (x > 0) & (y > 0)
    return float(np.polyfit(np.log(x[ok]), np.log(y[ok]), 1)[0])


def _fmt_list(vals):
    return ", ".join(str(v) for v in vals)
