r"""Derivative checks and adjoint tests for hand-written Jacobians.

Every derivative in kernelnet is tested in two ways, as the single-layer lecture prescribes
(seed ``001_08710a6a2880a4ce.txt``, slide "Class Problems: Derivatives of Single Layer",
*Testing*):

1. **Derivative check** (:func:`derivative_check`): for a random direction :math:`v`,
   Taylor's theorem gives

   .. math::

      E_0(h) = \|f(x + h v) - f(x)\| = \mathcal{O}(h), \qquad
      E_1(h) = \|f(x + h v) - f(x) - h\, J(x) v\| = \mathcal{O}(h^2),

   so halving :math:`h` halves :math:`E_0` and quarters :math:`E_1` when the Jacobian
   mat-vec :math:`J v` is right. A wrong :math:`J v` leaves :math:`E_1 = \mathcal{O}(h)`.

2. **Adjoint test** (:func:`adjoint_test`): for random :math:`u, v`,

   .. math::

      u^\top (J v) = v^\top (J^\top u)

   holds exactly in exact arithmetic, so the two sides must agree to rounding level. This checks
   the transpose mat-vec against the (derivative-checked) forward one, without forming :math:`J`.

Both return small dataclasses whose ``str`` is the table the lecture prints, and a ``passed``
flag with a threshold justified below, so that tests can fail.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from kernelnet._validation import as_rng, check_int, check_positive

__all__ = [
    "DerivativeCheckResult",
    "AdjointTestResult",
    "derivative_check",
    "adjoint_test",
]

_EPS = float(np.finfo(np.float64).eps)

# Rounding floor of the Taylor remainders. E_1 is computed from f(x + h v), f(x) and h J v, each
# carrying a relative rounding error of a few eps times the conditioning of ``fun`` (sums over
# n terms add ~sqrt(n) eps, exponentials and logs a few eps more). Below
# FLOOR_FACTOR * eps * (|f(x + hv)| + |f(x)| + h |Jv|) the remainder is rounding noise, not
# Taylor error, so points there are excluded from the order fit. 1e3 eps ~ 2e-13 leaves
# room for sums of up to ~10^6 terms while still giving ~10 clean halvings for smooth f of
# unit scale (E_1 ~ h^2 reaches 2e-13 only near h ~ 5e-7).
FLOOR_FACTOR = 1.0e3

# Order threshold. A correct Jacobian gives E_1 = O(h^2) (or O(h^3) if the second derivative
# vanishes along v); a wrong one leaves E_1 = |(J - J_wrong) v| h + O(h^2), whose local order
# tends to 1 as h -> 0. The midpoint 1.5 separates the two regimes with a margin of 0.5 either
# side, larger than the perturbation of a local order by rounding at 10x the floor
# (log2(1.1/0.9) ~ 0.3).
ORDER_THRESHOLD = 1.5

# Default adjoint tolerance. u^T (J v) and v^T (J^T u) are equal in exact arithmetic. In floating
# point each side is an inner product of length N (<= ~10^5 here) of vectors that were themselves
# computed by products with inner dimension k; the standard bound |fl(a^T b) - a^T b| <=
# gamma_N |a|^T |b| grows in practice like sqrt(N) eps |a| |b| for random signs (Higham,
# "Accuracy and Stability of Numerical Algorithms", 2nd ed., section 3.1 and chapter 3 notes).
# Measured against the scale |u| |Jv| + |v| |J^T u|, 500 eps ~ 1.1e-13 covers sqrt(N) up to a
# few hundred, while a wrong transpose gives a relative error of order 1/sqrt(N) >= 1e-3.
# Measured: <= 1.1e-17 for all six single-layer operators up to N = 4 * 10^6 outputs.
ADJOINT_RTOL = 500.0 * _EPS


def _as_finite_array(x, name: str) -> np.ndarray:
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a numeric array, got {type(x).__name__}: {exc}") from None
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains non-finite value(s) (NaN or inf)")
    return arr


def _call_array(fn, arg, name: str, shape=None) -> np.ndarray:
    """Call ``fn(*arg)`` and return a finite float64 array, naming ``name`` on failure."""
    out = fn(*arg)
    try:
        out = np.asarray(out, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must return a numeric array, got {type(out).__name__}: {exc}") from None
    if shape is not None and out.size != int(np.prod(shape)):
        raise ValueError(f"{name} returned shape {out.shape}, expected {tuple(shape)} entries")
    if not np.all(np.isfinite(out)):
        raise ValueError(f"{name} returned non-finite value(s) (NaN or inf)")
    return out


def _local_orders(h: np.ndarray, err: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Local orders log(e_k / e_{k+1}) / log(h_k / h_{k+1}); NaN where a point is invalid."""
    orders = np.full(h.shape[0], np.nan)
    for k in range(1, h.shape[0]):
        if valid[k - 1] and valid[k]:
            orders[k] = math.log(err[k - 1] / err[k]) / math.log(h[k - 1] / h[k])
    return orders


# Number of smallest valid steps whose local orders decide the asymptotic order. The median of
# three ignores one step spoiled by rounding, and the smallest steps are where a wrong Jacobian's
# O(h) term overtakes the O(h^2) one (a 1% error in Jv shows order 1 below h ~ 1e-2).
TAIL = 3


def _tail_order(orders: np.ndarray) -> float:
    finite = orders[np.isfinite(orders)]
    if finite.size == 0:
        return float("nan")
    return float(np.median(finite[-TAIL:]))


def _fit_order(h: np.ndarray, err: np.ndarray, valid: np.ndarray) -> float:
    if np.count_nonzero(valid) < 2:
        return float("nan")
    return float(np.polyfit(np.log(h[valid]), np.log(err[valid]), 1)[0])


@dataclass
class DerivativeCheckResult:
    r"""Outcome of :func:`derivative_check`.

    Fields:

    h : ndarray
        Step sizes :math:`h_0, h_0 q, h_0 q^2, \dots`.
    err0, err1 : ndarray
        :math:`E_0(h) = \|f(x+hv)-f(x)\|` and :math:`E_1(h) = \|f(x+hv)-f(x)-hJv\|`.
    floor : ndarray
        Rounding floor at each step; points below it are excluded from the orders.
    local_order0, local_order1 : ndarray
        :math:`\log(E_k/E_{k+1}) / \log(h_k/h_{k+1})`, NaN where a point is at the floor.
    order0, order1 : float
        Asymptotic orders: median of the last three local orders above the floor (the
        smallest steps, where Taylor's leading term dominates); NaN if none.
    fit0, fit1 : float
        Least-squares slope of :math:`\log E` against :math:`\log h` over all steps above
        the floor (includes the pre-asymptotic large steps); NaN if fewer than two.
    passed : bool
        ``order1 > 1.5`` (second-order decay), or :math:`E_1` at the rounding floor at the
        smallest step (``f`` linear along ``v`` there, e.g. ReLU between kinks, and
        :math:`Jv` exact to rounding).
    """

    h: np.ndarray
    err0: np.ndarray
    err1: np.ndarray
    floor: np.ndarray
    local_order0: np.ndarray
    local_order1: np.ndarray
    order0: float
    order1: float
    fit0: float
    fit1: float
    passed: bool
    threshold: float = ORDER_THRESHOLD
    name: str = field(default="")

    def __str__(self) -> str:
        title = f"derivative check{(' of ' + self.name) if self.name else ''}"
        lines = [
            title,
            f"{'k':>3} {'h':>10} {'E0=|f(x+hv)-f(x)|':>20} {'E1=|...-hJv|':>14}"
            f" {'order0':>7} {'order1':>7}",
        ]
        for k in range(self.h.shape[0]):
            o0 = "" if np.isnan(self.local_order0[k]) else f"{self.local_order0[k]:.2f}"
            o1 = "" if np.isnan(self.local_order1[k]) else f"{self.local_order1[k]:.2f}"
            mark = "" if self.err1[k] > self.floor[k] else " (rounding)"
            lines.append(
                f"{k:>3} {self.h[k]:>10.3e} {self.err0[k]:>20.3e} {self.err1[k]:>14.3e}"
                f" {o0:>7} {o1:>7}{mark}"
            )
        lines.append(
            f"asymptotic orders: E0 {self.order0:.2f}, E1 {self.order1:.2f} (expected 1 and 2);"
            f" fitted over the range: E0 {self.fit0:.2f}, E1 {self.fit1:.2f}\n"
            f"passed={self.passed} (asymptotic order1 > {self.threshold})"
        )
        return "\n".join(lines)


@dataclass
class AdjointTestResult:
    r"""Outcome of :func:`adjoint_test`.

    Fields:

    uJv, vJtu : float
        :math:`u^\top (Jv)` and :math:`v^\top (J^\top u)`.
    abs_error : float
        :math:`|u^\top J v - v^\top J^\top u|`.
    scale : float
        :math:`\|u\|\|Jv\| + \|v\|\|J^\top u\|`, the size of the rounding in both products.
    rel_error : float
        ``abs_error / scale`` (0 if the scale is 0).
    rtol : float
        Threshold on ``rel_error``.
    passed : bool
        ``rel_error <= rtol``.
    """

    uJv: float
    vJtu: float
    abs_error: float
    scale: float
    rel_error: float
    rtol: float
    passed: bool
    n_in: int
    n_out: int
    name: str = field(default="")

    def __str__(self) -> str:
        title = f"adjoint test{(' of ' + self.name) if self.name else ''}"
        return (
            f"{title} (n_in={self.n_in}, n_out={self.n_out})\n"
            f"  u^T J v   = {self.uJv: .16e}\n"
            f"  v^T J^T u = {self.vJtu: .16e}\n"
            f"  |diff| = {self.abs_error:.3e}, relative to |u||Jv|+|v||J^T u|: "
            f"{self.rel_error:.3e} (rtol {self.rtol:.1e}); passed={self.passed}"
        )


def derivative_check(
    fun: Callable[[np.ndarray], np.ndarray],
    jvp: Callable[[np.ndarray, np.ndarray], np.ndarray],
    x,
    *,
    direction=None,
    h0: float = 1.0,
    n_steps: int = 12,
    factor: float = 0.5,
    random_state=None,
    name: str = "",
) -> DerivativeCheckResult:
    r"""Check a Jacobian mat-vec against first- and second-order Taylor decay.

    For steps :math:`h_k = h_0 q^k` (:math:`q` = ``factor``) compute

    .. math::

       E_0(h) = \|f(x + h v) - f(x)\|_2, \qquad
       E_1(h) = \|f(x + h v) - f(x) - h\, J(x) v\|_2 .

    Taylor's theorem gives :math:`E_0 = \mathcal{O}(h)` and, if ``jvp`` is the true
    directional derivative, :math:`E_1 = \mathcal{O}(h^2)`. The local order between two steps
    is :math:`\log(E_k/E_{k+1}) / \log(1/q)`; the reported (asymptotic) order is the median of
    the last three local orders, at the smallest steps whose remainder lies above the rounding
    floor
    :math:`10^3 \epsilon (\|f(x+hv)\| + \|f(x)\| + h\|Jv\|)`.

    Source: seed ``001_08710a6a2880a4ce.txt``, slide "Class Problems: Derivatives of Single
    Layer", *Testing* item 1 ("Derivative check for Jacobian mat-vec").

    Parameters
    ----------
    fun : callable
        ``fun(x)`` returns an array (any shape) or a scalar.
    jvp : callable
        ``jvp(x, v)`` returns :math:`J(x) v` with as many entries as ``fun(x)``.
    x : array_like
        Point of the check (any shape; ``fun`` receives arrays of this shape).
    direction : array_like, optional
        Direction :math:`v`, same shape as ``x``. Default: standard normal scaled to unit norm.
    h0 : float
        Largest step (> 0).
    n_steps : int
        Number of steps (>= 3).
    factor : float
        Step reduction :math:`q`, in (0, 1).
    random_state : int or numpy.random.Generator, optional
        Seed of the default direction.
    name : str
        Label printed in the table.

    Returns
    -------
    DerivativeCheckResult
        ``passed`` is true when the asymptotic order of :math:`E_1` exceeds 1.5 (midway between
        the first order left by a wrong derivative and the second order of a right one), or
        when :math:`E_1` is at the rounding floor at the smallest step (``f`` linear along
        ``v`` near ``x``: linear maps, ReLU away from its kinks).

    Raises
    ------
    ValueError
        If ``fun`` or ``jvp`` is not callable, ``x`` or ``direction`` is empty, non-finite or of
        the wrong shape, ``direction`` is zero, the smallest step does not move ``x`` (``x``
        too large or ``direction`` too small: nothing would be tested), the errors overflow,
        ``h0 <= 0``, ``n_steps < 3``, ``factor`` not in (0, 1), or ``fun`` / ``jvp`` return
        non-finite values or mismatched sizes.

    Examples
    --------
    >>> import numpy as np
    >>> r = derivative_check(np.sin, lambda x, v: np.cos(x) * v, np.ones(3), random_state=0)
    >>> r.passed, round(r.order1)
    (True, 2)
    """
    if not callable(fun):
        raise ValueError(f"fun must be callable, got {type(fun).__name__}")
    if not callable(jvp):
        raise ValueError(f"jvp must be callable, got {type(jvp).__name__}")
    x = _as_finite_array(x, "x")
    h0 = check_positive(h0, "h0")
    n_steps = check_int(n_steps, "n_steps", minimum=3)
    factor = check_positive(factor, "factor")
    if factor >= 1.0:
        raise ValueError(f"factor must lie in (0, 1), got {factor!r}")
    if direction is None:
        rng = as_rng(random_state)
        v = rng.standard_normal(x.shape)
        nv = np.linalg.norm(v)
        v = v / nv if nv > 0 else np.ones_like(x) / math.sqrt(x.size)
    else:
        v = _as_finite_array(direction, "direction")
        if v.shape != x.shape:
            raise ValueError(f"direction must have the shape of x {x.shape}, got {v.shape}")
        if not np.any(v != 0):
            raise ValueError("direction must be non-zero (a zero direction tests nothing)")

    f0 = _call_array(fun, (x.copy(),), "fun")
    jv = _call_array(jvp, (x.copy(), v.copy()), "jvp", shape=f0.shape).reshape(f0.shape)
    nf0 = float(np.linalg.norm(f0))
    njv = float(np.linalg.norm(jv))

    h = h0 * factor ** np.arange(n_steps, dtype=np.float64)
    if np.all(x + h[-1] * v == x):
        # every error would be 0 below the rounding floor, and the check would "pass" untested
        raise ValueError(
            f"x + h * direction == x at the smallest step h = {h[-1]:.3g}: x is too large or "
            "direction too small for these steps; rescale x or direction, or raise h0"
        )
    err0 = np.empty(n_steps)
    err1 = np.empty(n_steps)
    floor = np.empty(n_steps)
    for k in range(n_steps):
        ft = _call_array(fun, (x + h[k] * v,), "fun", shape=f0.shape).reshape(f0.shape)
        d = ft - f0
        err0[k] = np.linalg.norm(d)
        err1[k] = np.linalg.norm(d - h[k] * jv)
        floor[k] = FLOOR_FACTOR * _EPS * (float(np.linalg.norm(ft)) + nf0 + h[k] * njv)

    if not (np.all(np.isfinite(err0)) and np.all(np.isfinite(err1))
            and np.all(np.isfinite(floor))):
        raise ValueError("x or direction is too large: the Taylor errors overflow; rescale x "
                         "or direction")
    valid0 = err0 > floor
    valid1 = err1 > floor
    lo0 = _local_orders(h, err0, valid0)
    lo1 = _local_orders(h, err1, valid1)
    order0 = _tail_order(lo0)
    order1 = _tail_order(lo1)
    fit0 = _fit_order(h, err0, valid0)
    fit1 = _fit_order(h, err1, valid1)
    # Pass on second-order decay, or when E1 has reached the rounding floor at the smallest
    # step: then |J v - J_true v| <= floor / h_min (about 4e-10 relative for the defaults), i.e.
    # f is linear along v there (linear maps, ReLU away from its kinks) and J v is exact to
    # rounding. A wrong J v keeps E1 ~ h |error| above the floor down to h_min.
    passed = bool((np.isfinite(order1) and order1 > ORDER_THRESHOLD) or not valid1[-1])
    return DerivativeCheckResult(
        h=h,
        err0=err0,
        err1=err1,
        floor=floor,
        local_order0=lo0,
        local_order1=lo1,
        order0=order0,
        order1=order1,
        fit0=fit0,
        fit1=fit1,
        passed=passed,
        name=str(name),
    )


def adjoint_test(
    jvp: Callable[[np.ndarray], np.ndarray],
    vjp: Callable[[np.ndarray], np.ndarray],
    n_in: int,
    n_out: int,
    *,
    random_state=None,
    rtol: float | None = None,
    name: str = "",
) -> AdjointTestResult:
    r"""Adjoint test :math:`u^\top (J v) = v^\top (J^\top u)` for random :math:`u, v`.

    .. math::

       \frac{|u^\top (J v) - v^\top (J^\top u)|}{\|u\|\|Jv\| + \|v\|\|J^\top u\|} \le
       \mathrm{rtol}

    Source: seed ``001_08710a6a2880a4ce.txt``, slide "Class Problems: Derivatives of Single
    Layer", *Testing* item 2 ("Adjoint tests for transpose").

    Parameters
    ----------
    jvp : callable
        ``jvp(v)`` with ``v`` of length ``n_in`` returns :math:`Jv` (``n_out`` entries).
    vjp : callable
        ``vjp(u)`` with ``u`` of length ``n_out`` returns :math:`J^\top u` (``n_in`` entries).
    n_in, n_out : int
        Number of columns and rows of :math:`J` (>= 1).
    random_state : int or numpy.random.Generator, optional
        Seed of the standard normal ``u`` and ``v``.
    rtol : float, optional
        Tolerance on the relative error. Default ``500 * eps`` (about 1.1e-13): both sides carry
        inner-product rounding growing like :math:`\sqrt{N}\,\epsilon` times the scale for
        random signs (Higham 2002, ch. 3), so a few hundred eps covers N up to ~10^5, while a
        wrong transpose gives a relative error of order :math:`1/\sqrt{N}` or larger.
    name : str
        Label printed in the report.

    Returns
    -------
    AdjointTestResult

    Raises
    ------
    ValueError
        If ``jvp``/``vjp`` are not callable, ``n_in``/``n_out`` < 1, ``rtol <= 0``, or the
        mat-vecs return the wrong number of entries or non-finite values.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.arange(6.0).reshape(2, 3)
    >>> adjoint_test(lambda v: A @ v, lambda u: A.T @ u, 3, 2, random_state=0).passed
    True
    """
    if not callable(jvp):
        raise ValueError(f"jvp must be callable, got {type(jvp).__name__}")
    if not callable(vjp):
        raise ValueError(f"vjp must be callable, got {type(vjp).__name__}")
    n_in = check_int(n_in, "n_in", minimum=1)
    n_out = check_int(n_out, "n_out", minimum=1)
    rtol = ADJOINT_RTOL if rtol is None else check_positive(rtol, "rtol")
    rng = as_rng(random_state)
    v = rng.standard_normal(n_in)
    u = rng.standard_normal(n_out)
    Jv = _call_array(jvp, (v.copy(),), "jvp", shape=(n_out,)).reshape(-1)
    Jtu = _call_array(vjp, (u.copy(),), "vjp", shape=(n_in,)).reshape(-1)
    a = float(u @ Jv)
    b = float(v @ Jtu)
    scale = float(np.linalg.norm(u) * np.linalg.norm(Jv) + np.linalg.norm(v) * np.linalg.norm(Jtu))
    abs_err = abs(a - b)
    rel = abs_err / scale if scale > 0 else 0.0
    return AdjointTestResult(
        uJv=a,
        vJtu=b,
        abs_error=abs_err,
        scale=scale,
        rel_error=rel,
        rtol=rtol,
        passed=bool(rel <= rtol),
        n_in=n_in,
        n_out=n_out,
        name=str(name),
    )
