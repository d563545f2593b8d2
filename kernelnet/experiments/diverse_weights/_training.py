"""Training: the talk's regulariser table (as data, rerun and compared) and the gradient flow in
Du et al.'s normalisation across widths."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from kernelnet import twolayer as tl
from kernelnet._threads import limit_threads
from kernelnet._validation import (
    check_bool,
    check_choice,
    check_int,
    check_nonnegative,
    check_positive,
)
from kernelnet.parallel import map_units

from . import TALK_WIDTHS
from ._checks import CERT_CS, perturbation_certificate
from ._common import _seed, _size, _slope
from ._discrepancy import _lr, teacher_data


# ---------------------------------------------------------------------------------------------
# the talk's table, as data
# ---------------------------------------------------------------------------------------------


def talk_table() -> pd.DataFrame:
    """The talk's regulariser table, transcribed from seed 003 (slide "A regularization term").

    Returns
    -------
    DataFrame
        Columns ``n``, ``method`` (``"no-reg"`` / ``"reg"``), ``split`` (``"train"`` /
        ``"test"``), ``mean``, ``std`` (the talk's "mean(std)"; its unit and the number of repeats
        are not stated). Read from ``kernelnet/data/diversity_table.csv`` after checking its
        SHA-256 (``RuntimeError`` if the file was edited).
    """
    import io

    from kernelnet.datasets import _read_verified

    raw, _ = _read_verified("diversity_table.csv")  # checksummed like the data sets
    return pd.read_csv(io.BytesIO(raw), comment="#")


# ---------------------------------------------------------------------------------------------
# the regulariser table
# ---------------------------------------------------------------------------------------------


def _regulariser_unit(unit, seed):
    """One (width, repeat) cell: every lambda (0 first) from the same data, signs and start.

    Module level so that :func:`kernelnet.parallel.map_units` can ship it to a worker.
    """
    n, rep, p = unit
    rng = np.random.default_rng(seed)
    with limit_threads(1):
        X, y, Xt, yt = teacher_data(p["m"], p["m_test"], p["d"], p["k_teacher"],
                                    teacher=p["teacher"], random_state=rng)
        W0, v = tl.init_weights(n, p["d"], scale=1.0 / math.sqrt(n), random_state=rng)
        lr = _lr(W0, X)
        rows = []
        lambdas = p["lambdas"] + (p["extra_lambdas"] if n in p["extra_widths"] else [])
        for lam in lambdas:
            W = tl.train_gd_final(X, y, W0, v, lr=lr, n_steps=p["n_steps"], reg=lam)
            tr = 100.0 * float(np.mean((tl.forward(W, v, X) - y) ** 2))
            te = 100.0 * float(np.mean((tl.forward(W, v, Xt) - yt) ** 2))
            rows.append(dict(n=n, repeat=rep, reg=float(lam),
                             method="no-reg" if lam == 0 else "reg", train=tr, test=te,
                             L2=tl.weight_discrepancy(W), R=tl.diversity_regulariser(W)))
    return rows


def regulariser_runs(*, seed=0, widths, d, m, m_test, k_teacher, teacher, lambdas, n_steps,
                     repeats, extra_lambdas=(), extra_widths=(), n_jobs=None, backend=None,
                     scheduler=None):
    r"""Train/test error with and without the diversity regulariser R, one row per run.

    Data model (:func:`teacher_data`). Student: the talk's network with n units, signs v fixed,
    :math:`w_k(0) \sim N(0, I/n)` (so that f(x) = O(1) at the start), full-batch gradient
    descent on :math:`L + \lambda R` (:func:`kernelnet.twolayer.train_gd_final`) with step
    :math:`1/\lambda_{\max}` of the Gauss-Newton matrix :math:`DD^\top/m` at the start. In each
    repeat every lambda (``lambdas``, 0 = no regulariser) starts from the same data, signs and
    initial weights: a paired design, so differences are taken within a repeat
    (:func:`paired_differences`). ``extra_lambdas`` are run, in the same pairs, only at the
    widths in ``extra_widths`` (a lambda sweep at little cost). Error: mean squared error on the
    standardised targets, times 100 (percent of the training-target variance).

    The (width, repeat) cells run through :func:`kernelnet.parallel.map_units`, each with its
    own ``(seed, index)`` stream: identical serially, on local processes or on Dask.

    Returns
    -------
    DataFrame
        ``n``, ``repeat``, ``reg`` (lambda), ``method``, ``train``, ``test``, ``L2``, ``R``.
    """
    seed = _seed(seed)
    widths = [check_int(int(n), "widths", minimum=2) for n in widths]
    lambdas = [0.0] + [check_positive(lam, "lambdas") for lam in lambdas if lam != 0]
    params = dict(m=check_int(m, "m", minimum=2), m_test=check_int(m_test, "m_test", minimum=1),
                  d=check_int(d, "d", minimum=2), k_teacher=check_int(k_teacher, "k_teacher",
                                                                      minimum=1),
                  teacher=check_choice(teacher, "teacher", ("relu", "even")), lambdas=lambdas,
                  n_steps=check_int(n_steps, "n_steps", minimum=1),
                  extra_lambdas=[check_positive(lam, "extra_lambdas") for lam in extra_lambdas
                                 if lam not in lambdas],
                  extra_widths=[check_int(int(n), "extra_widths", minimum=2)
                                for n in extra_widths])
    repeats = check_int(repeats, "repeats", minimum=2)
    units = [(n, rep, params) for n in widths for rep in range(repeats)]
    results = map_units(_regulariser_unit, units, seed=seed, n_jobs=n_jobs, backend=backend,
                        scheduler=scheduler, desc="regulariser runs")
    return pd.DataFrame([row for rows in results for row in rows])


def _long_table(raw):
    out = []
    for (n, method), g in raw.groupby(["n", "method"], sort=True):
        for split in ("train", "test"):
            out.append(dict(n=n, method=method, split=split, mean=g[split].mean(),
                            std=g[split].std(ddof=1), L2=g.L2.mean(), R=g.R.mean()))
    return pd.DataFrame(out)


def regulariser_table(*, quick=False, seed=0, widths=TALK_WIDTHS, d=10, m=None, m_test=None,
                      k_teacher=50, teacher="relu", reg=30.0, n_steps=None, repeats=None,
                      n_jobs=None, backend=None, scheduler=None):
    r"""The talk's table in the long format: train/test error with and without R, mean (std)
    over repeats, per width (:func:`regulariser_runs` with one lambda, ``reg``).

    Defaults: the book's earlier regime (a random-sign ReLU teacher of 50 units in d = 10 at
    the talk's widths), sizes from ``reg_m``, ``reg_m_test``, ``flat_steps``,
    ``flat_repeats`` of :data:`PARAMETERS`.

    Returns
    -------
    DataFrame
        ``n``, ``method``, ``split``, ``mean``, ``std`` (over repeats, ddof=1), ``L2``, ``R``
        (means of the final weight discrepancy and regulariser).
    """
    quick = check_bool(quick, "quick")
    raw = regulariser_runs(
        seed=seed, widths=widths, d=d, m=_size("reg_m", quick, m),
        m_test=_size("reg_m_test", quick, m_test), k_teacher=k_teacher, teacher=teacher,
        lambdas=[check_nonnegative(reg, "reg")], n_steps=_size("flat_steps", quick, n_steps),
        repeats=_size("flat_repeats", quick, repeats), n_jobs=n_jobs, backend=backend,
        scheduler=scheduler)
    return _long_table(raw)


def paired_differences(raw, *, split="test"):
    r"""Paired differences (reg minus no-reg, same repeat) of the error, per width and lambda.

    For each width n and each lambda > 0: the mean difference
    :math:`\bar\delta`, its standard error :math:`s_\delta/\sqrt R` over the R repeats, the
    paired t statistic :math:`\bar\delta/(s_\delta/\sqrt R)` and how many repeats the
    regulariser made worse / better. A negative difference means the regulariser helped.

    Returns
    -------
    DataFrame
        ``n``, ``reg``, ``repeats``, ``no_reg``, ``with_reg`` (means), ``diff``, ``se``, ``t``,
        ``n_worse``, ``n_better``.
    """
    split = check_choice(split, "split", ("train", "test"))
    base = raw[raw.reg == 0].set_index(["n", "repeat"])[split]
    rows = []
    for (n, lam), g in raw[raw.reg > 0].groupby(["n", "reg"], sort=True):
        a = g.set_index(["n", "repeat"])[split]
        delta = (a - base.loc[a.index]).to_numpy()
        R = len(delta)
        if R < 2:
            raise ValueError(f"raw: width {n} has {R} paired repeat(s); need >= 2")
        se = float(np.std(delta, ddof=1) / math.sqrt(R))
        mean = float(np.mean(delta))
        rows.append(dict(n=int(n), reg=float(lam), repeats=R,
                         no_reg=float(base.loc[a.index].mean()), with_reg=float(a.mean()),
                         diff=mean, se=se, t=mean / se if se > 0 else float(np.sign(mean)) * np.inf,
                         n_worse=int(np.sum(delta > 0)), n_better=int(np.sum(delta < 0))))
    return pd.DataFrame(rows)


def compare_with_talk(ours: pd.DataFrame) -> pd.DataFrame:
    """Side by side: the talk's table and ours, and who wins (reg vs no-reg) in each.

    Our widths are paired with the talk's by rank (smallest with smallest, and so on), so a
    table at the talk's widths divided by 10 lines up with the talk's; ``talk_n`` says which
    of the talk's widths a row compares with (NaN beyond the talk's four).

    Returns
    -------
    DataFrame
        One row per (n, split): ``talk_n``, ``talk_no_reg``, ``talk_reg``, ``ours_no_reg``,
        ``ours_reg`` (formatted "mean (std)" strings), ``talk_reg_better``,
        ``ours_reg_better`` (bools), ``agree``.
    """
    talk = talk_table()
    talk_widths = sorted(talk.n.unique())
    ours_widths = sorted(ours.n.unique())
    rank = {n: (talk_widths[i] if i < len(talk_widths) else None)
            for i, n in enumerate(ours_widths)}
    rows = []
    for (n, split), _ in ours.groupby(["n", "split"], sort=True):
        def cell(df, width, meth):
            r = df[(df.n == width) & (df.split == split) & (df.method == meth)]
            return (float(r["mean"].iloc[0]), float(r["std"].iloc[0])) if len(r) else (np.nan,
                                                                                       np.nan)
        tn, tr = cell(talk, rank[n], "no-reg"), cell(talk, rank[n], "reg")
        on, orr = cell(ours, n, "no-reg"), cell(ours, n, "reg")
        tb = bool(tr[0] < tn[0]) if np.isfinite(tn[0]) else None
        ob = bool(orr[0] < on[0])
        rows.append(dict(n=int(n), split=split,
                         talk_n=float(rank[n]) if rank[n] is not None else np.nan,
                         talk_no_reg=f"{tn[0]:.2f} ({tn[1]:.2f})",
                         talk_reg=f"{tr[0]:.2f} ({tr[1]:.2f})",
                         ours_no_reg=f"{on[0]:.2f} ({on[1]:.2f})",
                         ours_reg=f"{orr[0]:.2f} ({orr[1]:.2f})",
                         talk_reg_better=tb, ours_reg_better=ob,
                         agree=(tb == ob) if tb is not None else None))
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# gradient flow (Du et al. normalisation)
# ---------------------------------------------------------------------------------------------


def _flow_unit(unit, seed):
    """One width of :func:`gradient_flow_widths`: the flow from a fresh N(0, I) initialisation.

    Module level so that :func:`kernelnet.parallel.map_units` can ship it to a worker.
    """
    n, p = unit
    rng = np.random.default_rng(seed)
    X, y, lam0 = p["X"], p["y"], p["lam0"]
    m = X.shape[0]
    with limit_threads(1):
        W, a = tl.init_weights(int(n), p["d"], random_state=rng)
        # the certificate is monotone in R: the largest c of the grid it certifies
        c_cert = 0.0
        for c in CERT_CS:
            if perturbation_certificate(W, X, c * lam0 / m**2) > 0.5 * lam0:
                c_cert = float(c)
        fr = tl.gradient_flow(X, y, W, a, t_max=p["t_max"], lambda0=lam0, record_every=10)
    row = dict(n=int(n), max_move=float(fr.max_move[-1]), R_prime=fr.R_prime,
               min_lam_ratio=float(fr.lam_min.min() / lam0),
               bound_holds=bool(np.all(fr.r2 <= fr.bound * (1 + 1e-9))),
               final_ratio=float(fr.r2[-1] / fr.r2[0]),
               lam_ratio_t0=float(fr.lam_min[0] / lam0), r0=math.sqrt(float(fr.r2[0])),
               c_cert=c_cert, move_over_R1=float(fr.max_move[-1]) / (lam0 / m**2))
    return fr, row


def gradient_flow_widths(*, quick=False, seed=0, m=None, d=10, widths=None, t_factor=4.0,
                         n_jobs=None, backend=None, scheduler=None):
    r"""Gradient flow of Du et al. (2018) at several widths on one data set.

    Normalisation (theirs): :math:`f(x) = n^{-1/2}\sum_r a_r\sigma(w_r^\top x)`,
    :math:`L = \frac12\sum_i (y_i - f(x_i))^2`, :math:`w_r(0) \sim N(0, I)`, a fixed; labels
    :math:`y_i` uniform on [-1, 1] (bounded, as they assume). Flow up to
    :math:`t = t_{\mathrm{factor}}/\lambda_0`, :math:`\lambda_0 = \lambda_{\min}(G)`.

    The data (X, y) are drawn once from ``default_rng(seed)`` and shared; the widths are
    independent units run through :func:`kernelnet.parallel.map_units` (``n_jobs``,
    ``backend``, ``scheduler``), each drawing its initial weights from its own generator seeded
    by ``(seed, unit index)``, so the results are identical serially, on local processes or on
    a Dask cluster.

    Returns
    -------
    paths : dict
        width -> :class:`kernelnet.twolayer.FlowResult`.
    table : DataFrame
        ``n``, ``max_move`` (final :math:`\max_i\lVert w_i(t) - w_i(0)\rVert`), ``R_prime``,
        ``min_lam_ratio`` (:math:`\min_t\lambda_{\min}(G_n(t))/\lambda_0`), ``bound_holds``
        (:math:`\lVert r(t)\rVert^2 \le e^{-\lambda_0 t}\lVert r(0)\rVert^2` at every recorded t),
        ``final_ratio`` (:math:`\lVert r(T)\rVert^2/\lVert r(0)\rVert^2`),
        ``lam_ratio_t0`` (:math:`\lambda_{\min}(G_n(0))/\lambda_0`), ``r0``
        (:math:`\lVert y - u(0)\rVert`), ``c_cert`` (the largest c of :data:`CERT_CS` for
        which :func:`perturbation_certificate` proves :math:`\lambda_{\min}(G_n(W)) >
        \lambda_0/2` for every W within :math:`R = c\lambda_0/m^2` of the start, 0 if none),
        ``move_over_R1`` (final largest movement over :math:`\lambda_0/m^2`).
    info : dict
        ``slope`` (log-log slope of max_move vs n; Du et al.'s bound scales as -1/2),
        ``lambda0``, ``t_max``.
    """
    quick = check_bool(quick, "quick")
    seed = _seed(seed)
    rng = np.random.default_rng(seed)
    m = check_int(_size("flow_m", quick, m), "m", minimum=2)
    d = check_int(d, "d", minimum=2)
    t_factor = check_positive(t_factor, "t_factor")
    widths = [check_int(int(n), "widths", minimum=1) for n in _size("flow_widths", quick, widths)]
    X = tl.sample_sphere(m, d, random_state=rng)
    y = rng.uniform(-1.0, 1.0, m)
    lam0 = float(np.linalg.eigvalsh(tl.relu_gram(X))[0])
    t_max = t_factor / lam0
    params = dict(X=X, y=y, lam0=lam0, t_max=t_max, d=d)
    results = map_units(_flow_unit, [(n, params) for n in widths], seed=seed, n_jobs=n_jobs,
                        backend=backend, scheduler=scheduler, desc="gradient flow widths")
    paths = {int(n): fr for n, (fr, _) in zip(widths, results)}
    df = pd.DataFrame([row for _, row in results])
    return paths, df, {"slope": _slope(df.n, df.max_move), "lambda0": lam0, "t_max": t_max,
                       "m": m, "d": d}
