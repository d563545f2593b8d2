r"""Experiments of chapter 06, "Diverse weights" (seed ``003_2356c7d61985ef5f.txt``).

The talk "Diverse neural network learns true target" (Xie, Liang and Song, AISTATS 2017) and the
gradient-flow slides after it (Du, Zhai, Poczos and Singh 2018). Each function takes plain
parameters (``quick``, ``seed``, sizes) and returns data (DataFrames, dicts of arrays), never a
figure. Randomness comes only from ``numpy.random.default_rng(seed)``: same seed, same tables.

BLAS is pinned to one thread inside the loops of many small products (``threadpoolctl``), as
``PERFORMANCE.md`` advises for a shared 2-core machine: it is faster and keeps timings stable.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from kernelnet import twolayer as tl
from kernelnet._validation import check_int, check_nonnegative, check_positive

__all__ = [
    "TALK_WIDTHS",
    "talk_table",
    "gram_convergence",
    "kernel_spectrum",
    "key_inequality_path",
    "singular_value_vs_discrepancy",
    "teacher_data",
    "regulariser_table",
    "compare_with_talk",
    "gradient_flow_widths",
    "run_all",
]

#: The widths of the talk's regulariser table (seed 003, slide "A regularization term").
TALK_WIDTHS = (100, 150, 200, 300)


def _seed(seed):
    return check_int(seed, "seed", minimum=0)


def _quick(quick):
    if not isinstance(quick, (bool, np.bool_)):
        raise ValueError(f"quick must be True or False, got {quick!r}")
    return bool(quick)


def _slope(x, y):
    """Least-squares slope of log y against log x."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = (x > 0) & (y > 0)
    return float(np.polyfit(np.log(x[ok]), np.log(y[ok]), 1)[0])


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
# G: closed form vs Monte Carlo / finite width
# ---------------------------------------------------------------------------------------------


def _gram_unit(unit, seed):
    """One width of :func:`gram_convergence`: a Monte Carlo G_n against the closed form.

    Module level so that :func:`kernelnet.parallel.map_units` can ship it to a worker.
    """
    n, p = unit
    rng = np.random.default_rng(seed)
    X, G, iu = p["X"], p["G"], np.triu_indices(p["X"].shape[0])
    with threadpool_limits(1):
        Gn, se = tl.relu_gram_mc(X, int(n), random_state=rng)
        err = (Gn - G)[iu]
        rms = float(np.sqrt(np.mean(err**2)))
        rms_se = float(np.sqrt(np.mean(se[iu] ** 2)))
        return dict(n=int(n), rms_error=rms, rms_se=rms_se, z_rms=rms / rms_se,
                    op_error=float(np.linalg.norm(Gn - G, 2)),
                    lam_min_Gn=float(np.linalg.eigvalsh(Gn)[0]))


def gram_convergence(*, quick=False, seed=0, m=None, d=10, widths=None, n_jobs=None,
                     backend=None, scheduler=None):
    r"""How fast :math:`G_n = D^\top D/n` (the Monte Carlo estimate of
    :math:`G = \mathbb E_w[G_n]` with n weight draws) approaches the closed form.

    For each width n: RMS over the entries :math:`i \le j` of :math:`G_n - G`, the RMS of the
    exact Bernoulli standard errors (:func:`kernelnet.twolayer.relu_gram_mc`), their ratio (a
    z-score RMS, ~1 if the closed form is right) and the spectral-norm error
    :math:`\lVert G_n - G\rVert_2` that enters the talk's bound
    :math:`\lambda_m(G_n) \ge \lambda_m(G) - \lVert G - G_n\rVert`.

    The inputs X (and so G) are drawn once from ``default_rng(seed)`` and shared; the widths
    are independent units run through :func:`kernelnet.parallel.map_units` (``n_jobs``,
    ``backend``, ``scheduler``), each drawing its weights from its own generator seeded by
    ``(seed, unit index)``, so the table is identical serially, on local processes or on Dask.

    Returns
    -------
    table : DataFrame
        Columns ``n``, ``rms_error``, ``rms_se``, ``z_rms``, ``op_error``, ``lam_min_Gn``.
    info : dict
        ``slope`` (fitted log-log slope of ``rms_error`` against n; theory -1/2), ``lam_min_G``.
    """
    from kernelnet.parallel import map_units

    quick = _quick(quick)
    seed = _seed(seed)
    rng = np.random.default_rng(seed)
    m = (40 if quick else 200) if m is None else check_int(m, "m", minimum=2)
    d = check_int(d, "d", minimum=2)
    if widths is None:
        widths = [10, 100, 1_000, 10_000] if quick else [10, 30, 100, 300, 1_000, 3_000, 10_000,
                                                          30_000, 100_000]
    widths = [check_int(int(n), "widths", minimum=1) for n in widths]
    X = tl.sample_sphere(m, d, random_state=rng)
    G = tl.relu_gram(X)
    lam_G = float(np.linalg.eigvalsh(G)[0])
    params = dict(X=X, G=G)
    rows = map_units(_gram_unit, [(n, params) for n in widths], seed=seed, n_jobs=n_jobs,
                     backend=backend, scheduler=scheduler, desc="gram convergence")
    df = pd.DataFrame(rows)
    return df, {"slope": _slope(df.n, df.rms_error), "lam_min_G": lam_G, "m": m, "d": d}


# ---------------------------------------------------------------------------------------------
# spectrum of G on the sphere
# ---------------------------------------------------------------------------------------------


def _spectrum_unit(unit, seed):
    """One m of :func:`kernel_spectrum`: the eigenvalues of G for m fresh points on the sphere.

    Module level so that :func:`kernelnet.parallel.map_units` can ship it to a worker.
    """
    mm, p = unit
    rng = np.random.default_rng(seed)
    gam_m = float(p["gamma"][mm - 1])
    with threadpool_limits(1):
        X = tl.sample_sphere(mm, p["d"], random_state=rng)
        ev = np.linalg.eigvalsh(tl.relu_gram(X))
    lam = float(ev[0])
    row = dict(m=mm, lam_m=lam, gamma_m=gam_m, half_m_gamma_m=0.5 * mm * gam_m,
               m_gamma_m=mm * gam_m, holds=bool(lam >= 0.5 * mm * gam_m))
    return (ev[::-1] / mm if mm == p["mmax"] else None), row


def kernel_spectrum(*, quick=False, seed=0, d=5, m_values=None, n_jobs=None, backend=None,
                    scheduler=None):
    r"""Eigenvalues of G on the sphere against the spherical-harmonic eigenvalues
    :math:`\gamma_u` (computed by Funk-Hecke quadrature, :func:`kernelnet.twolayer.gamma_sequence`).

    The m values are independent units run through :func:`kernelnet.parallel.map_units`
    (``n_jobs``, ``backend``, ``scheduler``), each drawing its m points from its own generator
    seeded by ``(seed, unit index)``, so the table is identical serially, on local processes or
    on a Dask cluster.

    Returns
    -------
    spectrum : dict
        ``eig`` (eigenvalues of :math:`G/m` for the largest m, decreasing), ``gamma`` (the first m
        :math:`\gamma_i` with multiplicity), ``m``.
    table : DataFrame
        One row per m: ``m``, ``lam_m`` (:math:`\lambda_m(G)`, the smallest), ``half_m_gamma_m``
        (:math:`m\gamma_m/2`, the talk's lower bound), ``m_gamma_m``, ``gamma_m``, ``holds``.
    info : dict
        ``gamma_slope``: fitted log-log slope of :math:`\gamma_m` against m over
        ``m_values`` (the talk: "between O(1/m) and O(1/sqrt(m))"), ``lam_slope``: the same for
        :math:`\lambda_m(G)/m`, ``gamma_u_slope``: log-log slope of the degree eigenvalues
        :math:`\gamma_u` over even u in [50, 400] (theory: -d, from the :math:`\sqrt{1-t}`
        singularity of arccos), ``degrees``: degree eigenvalues and multiplicities.
    """
    from kernelnet.parallel import map_units

    quick = _quick(quick)
    seed = _seed(seed)
    d = check_int(d, "d", minimum=2)
    if m_values is None:
        m_values = [10, 20, 50, 100, 200, 400] if quick else [10, 20, 50, 100, 200, 500, 1000,
                                                              2000]
    m_values = [check_int(int(mm), "m_values", minimum=2) for mm in m_values]
    mmax = max(m_values)
    gam = tl.gamma_sequence(d, mmax)
    params = dict(d=d, gamma=gam, mmax=mmax)
    results = map_units(_spectrum_unit, [(mm, params) for mm in m_values], seed=seed,
                        n_jobs=n_jobs, backend=backend, scheduler=scheduler,
                        desc="kernel spectrum")
    eig_big = None
    for ev, _ in results:  # the last unit at the largest m, as before
        if ev is not None:
            eig_big = ev
    rows = [row for _, row in results]
    df = pd.DataFrame(rows)
    g_u, mult = tl.harmonic_eigenvalues(d, 12)
    g_far, _ = tl.harmonic_eigenvalues(d, 400)
    even = np.arange(50, 401, 2)
    info = {
        "gamma_u_slope": _slope(even, g_far[even]),
        "gamma_slope": _slope(np.arange(1, mmax + 1), gam),
        "lam_slope": _slope(df.m, df.lam_m / df.m),
        "degrees": pd.DataFrame({"u": np.arange(13), "gamma_u": g_u, "multiplicity": mult}),
        "d": d,
    }
    return {"eig": eig_big, "gamma": gam, "m": mmax}, df, info


# ---------------------------------------------------------------------------------------------
# s_m(D): along training, and against the weight discrepancy
# ---------------------------------------------------------------------------------------------


def teacher_data(m, m_test, d, k_teacher, *, random_state=None):
    r"""The chapter's data model: a "true target" one-hidden-layer ReLU network.

    :math:`x` uniform on :math:`S^{d-1}`; :math:`y = (f^*(x) - c)/s` with
    :math:`f^*(x) = \sum_{j=1}^{k^*} v^*_j \sigma(w_j^{*\top} x)`, :math:`w^*_j \sim N(0, I)`,
    :math:`v^*_j` uniform signs, and c, s the mean and standard deviation of :math:`f^*` on the
    training inputs (so the training targets are standardised). The talk does not state its data
    model; this is the setting of its theorem (a target of the same architecture, no noise).

    Returns
    -------
    X, y, X_test, y_test : ndarrays
    """
    rng = np.random.default_rng(random_state) if not isinstance(
        random_state, np.random.Generator) else random_state
    X = tl.sample_sphere(m, d, random_state=rng)
    Xt = tl.sample_sphere(m_test, d, random_state=rng)
    Ws, vs = tl.init_weights(k_teacher, d, random_state=rng)
    f, ft = tl.forward(Ws, vs, X), tl.forward(Ws, vs, Xt)
    c, s = f.mean(), f.std()
    return X, (f - c) / s, Xt, (ft - c) / s


def _lr(W, X):
    """Step 1/lambda_max of the Gauss-Newton matrix D D^T / m at W (spectrum of n G_n / m)."""
    n, m = W.shape[0], X.shape[0]
    return 1.0 / (n * float(np.linalg.eigvalsh(tl.empirical_gram(W, X))[-1]) / m)


def key_inequality_path(*, quick=False, seed=0, m=None, d=10, n=None, k_teacher=20,
                        n_steps=None):
    r"""The key inequality :math:`\lVert r\rVert \le \lVert\partial L/\partial W\rVert/s_m(D)`
    along gradient descent (seed 003, "Intuition"): linear algebra, illustrated, not tested.

    Returns
    -------
    DataFrame
        ``step``, ``r_norm``, ``grad_norm``, ``s_min``, ``bound`` (= grad_norm / s_min),
        ``loss``, ``discrepancy``.
    """
    quick = _quick(quick)
    rng = np.random.default_rng(_seed(seed))
    m = (60 if quick else 200) if m is None else check_int(m, "m", minimum=2)
    n = (40 if quick else 100) if n is None else check_int(n, "n", minimum=2)
    n_steps = (150 if quick else 1000) if n_steps is None else check_int(n_steps, "n_steps",
                                                                         minimum=1)
    # stays serial (issue 11): one gradient-descent path, each step needs the previous one
    X, y, _, _ = teacher_data(m, 2, d, k_teacher, random_state=rng)
    W, v = tl.init_weights(n, d, scale=1.0 / math.sqrt(n), random_state=rng)
    with threadpool_limits(1):
        res = tl.train_gd(X, y, W, v, lr=_lr(W, X), n_steps=n_steps,
                          record_every=max(1, n_steps // 30), track_singular=True)
    h = pd.DataFrame(res.history)
    h["bound"] = h.grad_norm / h.s_min
    return h[["step", "r_norm", "grad_norm", "s_min", "bound", "loss", "discrepancy"]]


def _clustered_weights(n, d, n_clusters, spread, rng):
    centres = rng.standard_normal((n_clusters, d))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    labels = np.arange(n) % n_clusters
    return centres[labels] + spread * rng.standard_normal((n, d)) / math.sqrt(d)


def _discrepancy_unit(unit, seed):
    """One repeat of :func:`singular_value_vs_discrepancy`: one X, random and clustered W.

    Module level so that :func:`kernelnet.parallel.map_units` can ship it to a worker.
    """
    rep, p = unit
    rng = np.random.default_rng(seed)
    m, n, d, half = p["m"], p["n"], p["d"], p["half"]
    rows = []
    with threadpool_limits(1):
        X = tl.sample_sphere(m, d, random_state=rng)
        W = rng.standard_normal((n, d))
        rows.append(dict(kind="random", spread=np.inf, repeat=rep,
                         L2=tl.weight_discrepancy(W),
                         s2_over_n=tl.min_singular_value_D(W, X) ** 2 / n,
                         half_m_gamma_m=half))
        for sp in p["spreads"]:
            W = _clustered_weights(n, d, p["n_clusters"], float(sp), rng)
            rows.append(dict(kind="clustered", spread=float(sp), repeat=rep,
                             L2=tl.weight_discrepancy(W),
                             s2_over_n=tl.min_singular_value_D(W, X) ** 2 / n,
                             half_m_gamma_m=half))
    return rows


def singular_value_vs_discrepancy(*, quick=False, seed=0, m=None, d=10, n=None,
                                  n_clusters=3, spreads=None, repeats=None, n_jobs=None,
                                  backend=None, scheduler=None):
    r"""Measured :math:`s_m(D)^2` for random (diverse) and clustered (non-diverse) weights,
    against the weight discrepancy :math:`L_2(W)` and the first term :math:`nm\gamma_m/2` of the
    talk's bound :math:`s_m(D)^2 \ge nm\gamma_m/2 - cn\rho L_2(W)`.

    The talk leaves c and rho unspecified (ERRATA 003), so the second term cannot be drawn; the
    chapter shows the first term and the measured trend. Clustered weights: ``n_clusters``
    random unit centres plus Gaussian noise of norm ~``spread``; spread -> infinity recovers
    random weights.

    The repeats are independent units run through :func:`kernelnet.parallel.map_units`
    (``n_jobs``, ``backend``, ``scheduler``); each draws its X and weights from its own generator
    seeded by ``(seed, unit index)``, so the table is identical serially, on local processes or
    on a Dask cluster.

    Returns
    -------
    DataFrame
        ``kind`` (``"random"`` / ``"clustered"``), ``spread``, ``L2`` (:math:`L_2(W)`),
        ``s2_over_n`` (:math:`s_m(D)^2/n`), ``half_m_gamma_m`` (:math:`m\gamma_m/2`).
    """
    from kernelnet.parallel import map_units

    quick = _quick(quick)
    seed = _seed(seed)
    m = (40 if quick else 150) if m is None else check_int(m, "m", minimum=2)
    n = (100 if quick else 400) if n is None else check_int(n, "n", minimum=2)
    repeats = (2 if quick else 5) if repeats is None else check_int(repeats, "repeats", minimum=1)
    if spreads is None:
        spreads = np.geomspace(0.01, 10.0, 6 if quick else 13)
    half = 0.5 * m * float(tl.gamma_sequence(d, m)[-1])
    params = dict(m=m, n=n, d=d, half=half, n_clusters=n_clusters,
                  spreads=[float(sp) for sp in spreads])
    results = map_units(_discrepancy_unit, [(rep, params) for rep in range(repeats)], seed=seed,
                        n_jobs=n_jobs, backend=backend, scheduler=scheduler,
                        desc="s_m(D) vs discrepancy")
    return pd.DataFrame([row for rows in results for row in rows])


# ---------------------------------------------------------------------------------------------
# the regulariser table
# ---------------------------------------------------------------------------------------------


def _regulariser_unit(unit, seed):
    """One (width, repeat) cell of the regulariser table: no-reg and reg on the same draw.

    Module level so that :func:`kernelnet.parallel.map_units` can ship it to a worker.
    """
    n, rep, p = unit
    rng = np.random.default_rng(seed)
    with threadpool_limits(1):
        X, y, Xt, yt = teacher_data(p["m"], p["m_test"], p["d"], p["k_teacher"], random_state=rng)
        W0, v = tl.init_weights(n, p["d"], scale=1.0 / math.sqrt(n), random_state=rng)
        lr = _lr(W0, X)
        rows = []
        for method, lam in (("no-reg", 0.0), ("reg", p["reg"])):
            res = tl.train_gd(X, y, W0, v, lr=lr, n_steps=p["n_steps"], reg=lam,
                              record_every=p["n_steps"])
            tr = 100.0 * float(np.mean((tl.forward(res.W, v, X) - y) ** 2))
            te = 100.0 * float(np.mean((tl.forward(res.W, v, Xt) - yt) ** 2))
            rows.append(dict(n=n, repeat=rep, method=method, train=tr, test=te,
                             L2=tl.weight_discrepancy(res.W), R=tl.diversity_regulariser(res.W)))
    return rows


def regulariser_table(*, quick=False, seed=0, widths=TALK_WIDTHS, d=10, m=None, m_test=None,
                      k_teacher=50, reg=30.0, n_steps=None, repeats=None, n_jobs=None,
                      backend=None, scheduler=None):
    r"""Regenerate the talk's table: train/test error with and without the diversity
    regulariser R, mean (std) over repeats, for each width n.

    Data model (:func:`teacher_data`): x uniform on :math:`S^{d-1}`, targets from a teacher
    ReLU network of width ``k_teacher`` with random weights, standardised. Student: the talk's
    network with n units, signs v fixed, :math:`w_k(0) \sim N(0, I/n)` (so that f(x) = O(1) at
    the start), full-batch gradient descent on :math:`L + \lambda R` with step
    :math:`1/\lambda_{\max}` of the Gauss-Newton matrix :math:`DD^\top/m` at the start. The same
    data, signs and initial weights are used for no-reg and reg in each repeat (paired design).
    Error: mean squared error on the standardised targets, times 100 (percent of the target
    variance). The talk states none of: data, d, m, lambda, optimiser, steps, error unit,
    repeats.

    The (width, repeat) cells are independent units run through
    :func:`kernelnet.parallel.map_units` (``n_jobs``, ``backend``, ``scheduler``); each draws
    from its own generator seeded by ``(seed, unit index)``, so the table is identical serially,
    on local processes or on a Dask cluster.

    Returns
    -------
    DataFrame
        Long format: ``n``, ``method``, ``split``, ``mean``, ``std`` (over repeats, ddof=1),
        plus ``L2`` and ``R`` (means of the final weight discrepancy and regulariser).
    """
    from kernelnet.parallel import map_units

    quick = _quick(quick)
    seed = _seed(seed)
    widths = [check_int(int(n), "widths", minimum=2) for n in widths]
    m = (300 if quick else 1000) if m is None else check_int(m, "m", minimum=2)
    m_test = (300 if quick else 1000) if m_test is None else check_int(m_test, "m_test",
                                                                       minimum=1)
    n_steps = (150 if quick else 1000) if n_steps is None else check_int(n_steps, "n_steps",
                                                                         minimum=1)
    repeats = (2 if quick else 5) if repeats is None else check_int(repeats, "repeats",
                                                                    minimum=2)
    reg = check_nonnegative(reg, "reg")
    params = dict(m=m, m_test=m_test, d=d, k_teacher=k_teacher, reg=reg, n_steps=n_steps)
    units = [(n, rep, params) for n in widths for rep in range(repeats)]
    results = map_units(_regulariser_unit, units, seed=seed, n_jobs=n_jobs, backend=backend,
                        scheduler=scheduler, desc="regulariser table")
    raw = pd.DataFrame([row for rows in results for row in rows])
    out = []
    for (n, method), g in raw.groupby(["n", "method"], sort=True):
        for split in ("train", "test"):
            out.append(dict(n=n, method=method, split=split, mean=g[split].mean(),
                            std=g[split].std(ddof=1), L2=g.L2.mean(), R=g.R.mean()))
    return pd.DataFrame(out)


def compare_with_talk(ours: pd.DataFrame) -> pd.DataFrame:
    """Side by side: the talk's table and ours, and who wins (reg vs no-reg) in each.

    Returns
    -------
    DataFrame
        One row per (n, split): ``talk_no_reg``, ``talk_reg``, ``ours_no_reg``, ``ours_reg``
        (formatted "mean (std)" strings), ``talk_reg_better``, ``ours_reg_better`` (bools),
        ``agree``.
    """
    talk = talk_table()
    rows = []
    for (n, split), _ in ours.groupby(["n", "split"], sort=True):
        def cell(df, meth):
            r = df[(df.n == n) & (df.split == split) & (df.method == meth)]
            return (float(r["mean"].iloc[0]), float(r["std"].iloc[0])) if len(r) else (np.nan,
                                                                                       np.nan)
        tn, tr = cell(talk, "no-reg"), cell(talk, "reg")
        on, orr = cell(ours, "no-reg"), cell(ours, "reg")
        tb = bool(tr[0] < tn[0]) if np.isfinite(tn[0]) else None
        ob = bool(orr[0] < on[0])
        rows.append(dict(n=int(n), split=split,
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
    with threadpool_limits(1):
        W, a = tl.init_weights(int(n), p["d"], random_state=rng)
        fr = tl.gradient_flow(X, y, W, a, t_max=p["t_max"], lambda0=lam0, record_every=10)
    row = dict(n=int(n), max_move=float(fr.max_move[-1]), R_prime=fr.R_prime,
               min_lam_ratio=float(fr.lam_min.min() / lam0),
               bound_holds=bool(np.all(fr.r2 <= fr.bound * (1 + 1e-9))),
               final_ratio=float(fr.r2[-1] / fr.r2[0]))
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
        ``final_ratio`` (:math:`\lVert r(T)\rVert^2/\lVert r(0)\rVert^2`).
    info : dict
        ``slope`` (log-log slope of max_move vs n; Du et al.'s bound scales as -1/2),
        ``lambda0``, ``t_max``.
    """
    from kernelnet.parallel import map_units

    quick = _quick(quick)
    seed = _seed(seed)
    rng = np.random.default_rng(seed)
    m = (10 if quick else 20) if m is None else check_int(m, "m", minimum=2)
    d = check_int(d, "d", minimum=2)
    t_factor = check_positive(t_factor, "t_factor")
    if widths is None:
        widths = [100, 300, 1000, 3000] if quick else [100, 300, 1000, 3000, 10000, 30000]
    widths = [check_int(int(n), "widths", minimum=1) for n in widths]
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


# ---------------------------------------------------------------------------------------------
# the chapter in one call
# ---------------------------------------------------------------------------------------------


def run_all(*, quick=False, seed=0):
    """Everything chapter 06 shows, in one call (``quick=True``: seconds, for CI).

    Returns
    -------
    dict
        ``gram`` (table, info), ``spectrum`` (spectrum, table, info), ``key`` (history),
        ``discrepancy`` (table), ``reg_table`` (ours, long), ``comparison``, ``talk``,
        ``flow`` (paths, table, info).
    """
    quick = _quick(quick)
    seed = _seed(seed)
    ours = regulariser_table(quick=quick, seed=seed)
    return {
        "gram": gram_convergence(quick=quick, seed=seed),
        "spectrum": kernel_spectrum(quick=quick, seed=seed),
        "key": key_inequality_path(quick=quick, seed=seed),
        "discrepancy": singular_value_vs_discrepancy(quick=quick, seed=seed),
        "reg_table": ours,
        "comparison": compare_with_talk(ours),
        "talk": talk_table(),
        "flow": gradient_flow_widths(quick=quick, seed=seed),
    }
