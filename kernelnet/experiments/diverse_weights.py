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
from dataclasses import dataclass

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from kernelnet import twolayer as tl
from kernelnet._validation import check_choice, check_int, check_nonnegative, check_positive
from kernelnet.claims import Finding, Parameter, resolve_parameters

__all__ = [
    "TALK_WIDTHS",
    "PARAMETERS",
    "DiverseWeightsResult",
    "run",
    "prose",
    "talk_table",
    "gram_convergence",
    "kernel_spectrum",
    "spectrum_sawtooth",
    "spectrum_bound_draws",
    "key_inequality_path",
    "singular_value_vs_discrepancy",
    "activation_distance_check",
    "teacher_data",
    "regulariser_runs",
    "regulariser_table",
    "paired_differences",
    "compare_with_talk",
    "gradient_flow_widths",
    "run_all",
    "gram_verdict",
    "spectrum_decay_verdict",
    "spectrum_bound_verdict",
    "key_inequality_verdict",
    "singular_value_verdict",
    "discrepancy_bound_verdict",
    "random_discrepancy_verdict",
    "underfit_ratio",
    "regulariser_verdict",
    "flow_rate_verdict",
    "flow_movement_verdict",
]

#: The widths of the talk's regulariser table (seed 003, slide "A regularization term").
TALK_WIDTHS = (100, 150, 200, 300)


def _ints(v):
    return isinstance(v, tuple) and len(v) > 0 and all(
        isinstance(x, int) and not isinstance(x, bool) and x >= 2 for x in v)


def _floats(v):
    return isinstance(v, tuple) and len(v) > 0 and all(
        isinstance(x, (int, float)) and not isinstance(x, bool) and x >= 0 for x in v)


def _pos_int(lo):
    return lambda v: v >= lo


#: The chapter's parameters (the chapter contract): name -> type, quick value, full value, check.
PARAMETERS = {
    # G_n against the closed form
    "gram_m": Parameter(int, 40, 200, _pos_int(2), "points on the sphere for G"),
    "gram_widths": Parameter(tuple, (10, 100, 1_000, 10_000),
                             (10, 30, 100, 300, 1_000, 3_000, 10_000, 30_000, 100_000), _ints,
                             "widths n (weight draws) of G_n"),
    # spectrum of G
    "spectrum_d": Parameter(int, 5, 5, _pos_int(3), "dimension of the spectrum figure"),
    "spectrum_m_values": Parameter(tuple, (10, 20, 50, 100, 200, 400),
                                   (10, 20, 50, 100, 200, 500, 1000), _ints,
                                   "m of the spectrum figure (one draw each)"),
    "bound_dims": Parameter(tuple, (5, 10, 20), (5, 10, 20, 50, 100), _ints,
                            "dimensions d of the lambda_m(G) >= m gamma_m / 2 sweep"),
    "bound_m_cap": Parameter(int, 215, 1006, _pos_int(6),
                             "largest multiplicity-block end tested (m = end - 1, end, end + 1)"),
    "bound_draws": Parameter(int, 2, 3, _pos_int(1), "independent point sets per (d, m)"),
    # key inequality along training
    "key_m": Parameter(int, 60, 200, _pos_int(2), "training points of the key-inequality path"),
    "key_n": Parameter(int, 40, 100, _pos_int(2), "width of the key-inequality path"),
    "key_steps": Parameter(int, 150, 1000, _pos_int(1), "gradient steps of that path"),
    # s_m(D), ||G - G_n|| and the weight discrepancy
    "disc_m": Parameter(int, 40, 150, _pos_int(2), "points of the discrepancy experiment"),
    "disc_n": Parameter(int, 100, 400, _pos_int(2), "width of the discrepancy experiment"),
    "disc_repeats": Parameter(int, 2, 5, _pos_int(1), "draws of X and W"),
    "disc_spreads": Parameter(int, 6, 13, _pos_int(2), "cluster spreads from 0.01 to 10"),
    "disc_mc_pairs": Parameter(int, 20_000, 100_000, _pos_int(100),
                               "Monte Carlo pairs (x, y) for the activation-kernel distance"),
    # the regulariser table
    "reg_widths": Parameter(tuple, (10, 30), (10, 15, 20, 30), _ints,
                            "student widths (the talk's 100-300, divided by 10)"),
    "reg_d": Parameter(int, 10, 10, _pos_int(2), "input dimension"),
    "reg_teacher": Parameter(int, 10, 10, _pos_int(1),
                             "teacher directions (even teacher: 2 ReLUs per direction)"),
    "reg_m": Parameter(int, 300, 800, _pos_int(10), "training points"),
    "reg_m_test": Parameter(int, 500, 2000, _pos_int(10), "test points"),
    "reg_steps": Parameter(int, 500, 6000, _pos_int(1), "gradient steps"),
    "reg_short_steps": Parameter(int, 250, 3000, _pos_int(1),
                                 "a shorter budget, run at reg_short_widths"),
    "reg_short_widths": Parameter(tuple, (10, 20), (10, 20), _ints,
                                  "widths of the shorter-budget run"),
    "reg_repeats": Parameter(int, 3, 6, _pos_int(2), "paired repeats per width"),
    "reg_lambda": Parameter(float, 3.0, 3.0, lambda v: v > 0, "regulariser weight lambda"),
    "reg_lambdas_tried": Parameter(tuple, (30.0,), (0.3, 30.0), _floats,
                                   "other lambdas, run at the second width"),
    "flat_widths": Parameter(tuple, (50, 100), (100, 200), _ints,
                             "the talk's widths in the book's earlier (flat) regime"),
    "flat_steps": Parameter(int, 200, 300, _pos_int(1), "steps in the earlier regime"),
    "flat_m": Parameter(int, 300, 500, _pos_int(10), "training points in the earlier regime"),
    "flat_repeats": Parameter(int, 2, 3, _pos_int(2), "repeats in the earlier regime"),
    # gradient flow
    "flow_m": Parameter(int, 10, 20, _pos_int(2), "points of the gradient-flow experiment"),
    "flow_widths": Parameter(tuple, (100, 300, 1000, 3000), (100, 300, 1000, 3000, 10000, 30000),
                             _ints, "widths of the gradient flow"),
}


def _size(name, quick, value):
    """``value`` if given, else the declared quick/full value of parameter ``name``."""
    if value is not None:
        return value
    p = PARAMETERS[name]
    return p.quick if quick else p.full


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
    m = check_int(_size("gram_m", quick, m), "m", minimum=2)
    d = check_int(d, "d", minimum=2)
    widths = [check_int(int(n), "widths", minimum=1) for n in _size("gram_widths", quick, widths)]
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
    m_values = [check_int(int(mm), "m_values", minimum=2)
                for mm in _size("spectrum_m_values", quick, m_values)]
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


#: ``d * gamma_m`` at or above this counts as the talk's regime "d of order 1/gamma_m" (seed 003,
#: "A simplified result": d = Omega~(1/gamma_m)). The first two blocks (degrees 0 and 1) have
#: d gamma_m >= 0.16 in every d (gamma_1 = 1/(4d) exactly); every later block has
#: d gamma_m <= 0.054 (degree 2 in d = 5, and less in larger d). Any threshold between the two
#: classifies the same draws; 0.1 says "within a factor of 10 of 1/gamma_m".
REGIME_D_GAMMA = 0.1


def spectrum_sawtooth(d, m_max):
    r"""The talk's lower bound :math:`m\gamma_m/2` for m = 1..``m_max`` and the multiplicity
    blocks (:func:`kernelnet.twolayer.harmonic_blocks`) that make it a sawtooth.

    Returns
    -------
    curve : DataFrame
        ``m``, ``gamma_m``, ``half_m_gamma_m``.
    blocks : DataFrame
        ``degree``, ``gamma``, ``multiplicity``, ``start``, ``end``.
    """
    d = check_int(d, "d", minimum=2)
    m_max = check_int(m_max, "m_max", minimum=1)
    gam = tl.gamma_sequence(d, m_max)
    m = np.arange(1, m_max + 1)
    return (pd.DataFrame({"m": m, "gamma_m": gam, "half_m_gamma_m": 0.5 * m * gam}),
            pd.DataFrame(tl.harmonic_blocks(d, m_max)))


def _bound_unit(unit, seed):
    """Draws of lambda_m(G) for one (d, m) of :func:`spectrum_bound_draws` (module level)."""
    from scipy.linalg import eigh

    d, mm, label, end, p = unit
    rng = np.random.default_rng(seed)
    gam = float(tl.gamma_sequence(d, mm)[-1])
    bound = 0.5 * mm * gam
    rows = []
    with threadpool_limits(1):
        for r in range(p["draws"]):
            X = tl.sample_sphere(mm, d, random_state=rng)
            lam = float(eigh(tl.relu_gram(X), eigvals_only=True, subset_by_index=[0, 0],
                             driver="evr")[0])
            rows.append(dict(d=d, m=mm, where=label, block_end=end, draw=r, lam_m=lam,
                             gamma_m=gam, bound=bound, holds=bool(lam >= bound),
                             ratio=lam / bound, d_gamma=d * gam,
                             in_regime=bool(d * gam >= REGIME_D_GAMMA)))
    return rows


def spectrum_bound_draws(*, quick=False, seed=0, dims=None, m_cap=None, draws=None,
                         extra_m=(20,), n_jobs=None, backend=None, scheduler=None):
    r"""The talk's :math:`\lambda_m(G) \ge m\gamma_m/2` around the multiplicity-block ends,
    in several dimensions d, with several independent point sets per (d, m).

    For each d: every block end e with 5 <= e <= ``m_cap`` (from
    :func:`kernelnet.twolayer.harmonic_blocks`) at m = e - 1, e, e + 1 (where the sawtooth
    :math:`m\gamma_m/2` peaks and then drops), plus each m of ``extra_m`` (default 20: the
    failure the chapter first saw, followed from d = 5 towards the talk's regime). Each row
    also says whether the draw is in the talk's regime, :math:`d\gamma_m \ge`
    :data:`REGIME_D_GAMMA` (d of order :math:`1/\gamma_m`). The (d, m) units run through
    :func:`kernelnet.parallel.map_units`, each with its own ``(seed, index)`` stream.

    Returns
    -------
    DataFrame
        ``d``, ``m``, ``where`` (``"end-1"``, ``"end"``, ``"end+1"`` or ``"fixed"``),
        ``block_end``, ``draw``, ``lam_m``, ``gamma_m``, ``bound`` (:math:`m\gamma_m/2`),
        ``holds``, ``ratio`` (lam_m / bound), ``d_gamma``, ``in_regime``.
    """
    from kernelnet.parallel import map_units

    quick = _quick(quick)
    seed = _seed(seed)
    dims = [check_int(int(v), "dims", minimum=3) for v in _size("bound_dims", quick, dims)]
    m_cap = check_int(_size("bound_m_cap", quick, m_cap), "m_cap", minimum=6)
    draws = check_int(_size("bound_draws", quick, draws), "draws", minimum=1)
    p = dict(draws=draws)
    units = []
    for d in dims:
        ends = [int(e) for e in tl.harmonic_blocks(d, m_cap + 1)["end"] if 5 <= e <= m_cap]
        seen = set()
        for mm in sorted({e + off for e in ends for off in (-1, 0, 1)}):
            # a block end is labelled "end" even when it also follows or precedes another end
            for e, label in ((mm, "end"), (mm - 1, "end+1"), (mm + 1, "end-1")):
                if e in ends:
                    seen.add(mm)
                    units.append((d, mm, label, e, p))
                    break
        for mm in extra_m:
            mm = check_int(int(mm), "extra_m", minimum=2)
            if mm not in seen:
                seen.add(mm)
                units.append((d, mm, "fixed", -1, p))
    rows = map_units(_bound_unit, units, seed=seed, n_jobs=n_jobs, backend=backend,
                     scheduler=scheduler, desc="spectrum bound draws")
    return pd.DataFrame([r for rs in rows for r in rs])


# ---------------------------------------------------------------------------------------------
# s_m(D): along training, and against the weight discrepancy
# ---------------------------------------------------------------------------------------------


def teacher_data(m, m_test, d, k_teacher, *, teacher="relu", random_state=None):
    r"""The chapter's data models: a "true target" one-hidden-layer ReLU network.

    :math:`x` uniform on :math:`S^{d-1}`; :math:`y = (f^*(x) - c)/s`, with c, s the mean and
    standard deviation of :math:`f^*` on the training inputs (so the training targets are
    standardised), :math:`w^*_j \sim N(0, I)` and :math:`v^*_j` uniform signs:

    - ``teacher="relu"``: :math:`f^*(x) = \sum_{j=1}^{k^*} v^*_j \sigma(w_j^{*\top} x)`;
    - ``teacher="even"``: :math:`f^*(x) = \sum_{j=1}^{k^*} v^*_j \big(\sigma(w_j^{*\top} x)
      + \sigma(-w_j^{*\top} x)\big) = \sum_j v^*_j |w_j^{*\top} x|`, a ReLU network of
      width :math:`2k^*` whose linear parts cancel. A random ReLU teacher is mostly linear
      (:math:`\sigma(u) = u/2 + |u|/2`, and the linear part is most of its variance), which any
      student fits at once; the even teacher has no linear part, so a student needs about two
      units of the right sign per teacher direction and a small one underfits, as the talk's
      smallest network does.

    The talk does not state its data model; this is the setting of its theorem (a target of the
    same architecture, no noise).

    Returns
    -------
    X, y, X_test, y_test : ndarrays
    """
    teacher = check_choice(teacher, "teacher", ("relu", "even"))
    rng = np.random.default_rng(random_state) if not isinstance(
        random_state, np.random.Generator) else random_state
    X = tl.sample_sphere(m, d, random_state=rng)
    Xt = tl.sample_sphere(m_test, d, random_state=rng)
    Ws, vs = tl.init_weights(k_teacher, d, random_state=rng) if k_teacher >= 2 else (
        rng.standard_normal((1, d)), np.array([1.0]))
    if teacher == "even":
        Ws, vs = np.vstack([Ws, -Ws]), np.concatenate([vs, vs])
    f, ft = tl.forward(Ws, vs, X), tl.forward(Ws, vs, Xt)
    c, s = f.mean(), f.std()
    return X, (f - c) / s, Xt, (ft - c) / s


def _lr(W, X):
    """Step 1/lambda_max of the Gauss-Newton matrix D D^T / m at W.

    lambda_max(D D^T) = lambda_max(D^T D) = n lambda_max(G_n): taken from the smaller of the
    (n d) x (n d) and m x m Gram matrices.
    """
    n, d = W.shape
    m = X.shape[0]
    if n * d < m:
        D = tl.extended_feature_matrix(W, np.ones(n), X)
        top = float(np.linalg.eigvalsh(D @ D.T)[-1])
    else:
        top = n * float(np.linalg.eigvalsh(tl.empirical_gram(W, X))[-1])
    return 1.0 / (top / m)


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
    m = check_int(_size("key_m", quick, m), "m", minimum=2)
    n = check_int(_size("key_n", quick, n), "n", minimum=2)
    n_steps = check_int(_size("key_steps", quick, n_steps), "n_steps", minimum=1)
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


def _discrepancy_row(kind, spread, rep, W, X, G, n, half):
    Gn = tl.empirical_gram(W, X)
    L2sq = tl.weight_discrepancy(W, squared=True)
    lam = np.linalg.eigvalsh(n * Gn)[0]
    op = float(np.linalg.norm(G - Gn, 2))
    L2 = math.sqrt(max(L2sq, 0.0))
    return dict(kind=kind, spread=spread, repeat=rep, L2=L2, L2sq=L2sq,
                s2_over_n=max(float(lam), 0.0) / n, half_m_gamma_m=half, op_diff=op,
                ratio=op / L2 if L2 > 0 else float("nan"))


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
        G = tl.relu_gram(X)
        W = rng.standard_normal((n, d))
        rows.append(_discrepancy_row("random", np.inf, rep, W, X, G, n, half))
        for sp in p["spreads"]:
            W = _clustered_weights(n, d, p["n_clusters"], float(sp), rng)
            rows.append(_discrepancy_row("clustered", float(sp), rep, W, X, G, n, half))
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

    It also measures the talk's second step, :math:`\lVert G - G_n\rVert \le O(\rho L_2(W))`
    ("Bounding the second term"): ``op_diff`` is the spectral norm :math:`\lVert G - G_n\rVert_2`
    on the same X and ``ratio`` = ``op_diff`` / :math:`L_2(W)`; the bound says this ratio stays
    bounded while :math:`L_2` varies.

    Returns
    -------
    DataFrame
        ``kind`` (``"random"`` / ``"clustered"``), ``spread``, ``repeat``, ``L2``
        (:math:`L_2(W)`), ``L2sq`` (:math:`L_2(W)^2`, may be slightly negative), ``s2_over_n``
        (:math:`s_m(D)^2/n`), ``half_m_gamma_m`` (:math:`m\gamma_m/2`), ``op_diff``,
        ``ratio``.
    """
    from kernelnet.parallel import map_units

    quick = _quick(quick)
    seed = _seed(seed)
    m = check_int(_size("disc_m", quick, m), "m", minimum=2)
    n = check_int(_size("disc_n", quick, n), "n", minimum=2)
    repeats = check_int(_size("disc_repeats", quick, repeats), "repeats", minimum=1)
    if spreads is None:
        spreads = np.geomspace(0.01, 10.0, _size("disc_spreads", quick, None))
    half = 0.5 * m * float(tl.gamma_sequence(d, m)[-1])
    params = dict(m=m, n=n, d=d, half=half, n_clusters=n_clusters,
                  spreads=[float(sp) for sp in spreads])
    results = map_units(_discrepancy_unit, [(rep, params) for rep in range(repeats)], seed=seed,
                        n_jobs=n_jobs, backend=backend, scheduler=scheduler,
                        desc="s_m(D) vs discrepancy")
    return pd.DataFrame([row for rows in results for row in rows])


def _activation_unit(unit, seed):
    """One weight set of :func:`activation_distance_check` (module level, for the workers)."""
    kind, spread, p = unit
    rng = np.random.default_rng(seed)
    n, d = p["n"], p["d"]
    W = (rng.standard_normal((n, d)) if kind == "random"
         else _clustered_weights(n, d, p["n_clusters"], spread, rng))
    mc, se = tl.activation_kernel_distance_mc(W, p["n_pairs"], random_state=rng)
    L2sq = tl.weight_discrepancy(W, squared=True)
    return dict(kind=kind, spread=spread, L2sq=L2sq, mc=mc, mc_se=se, z=(mc - L2sq) / se)


def activation_distance_check(*, quick=False, seed=0, n=None, d=10, spreads=(0.1, 1.0),
                              n_clusters=3, n_pairs=None, n_jobs=None, backend=None,
                              scheduler=None):
    r"""The weight discrepancy is a distance between kernels: :math:`L_2(W)^2` against a Monte
    Carlo estimate of :math:`\mathbb E_{x,y}[(K_n - K)^2]` (finite- against infinite-width
    activation kernel, :func:`kernelnet.twolayer.activation_kernel_distance_mc`), for random
    weights and clustered weights at each ``spread``.

    Returns
    -------
    DataFrame
        ``kind``, ``spread``, ``L2sq`` (the talk's formula), ``mc`` and ``mc_se`` (Monte Carlo
        estimate and its standard error), ``z`` = (mc - L2sq) / mc_se (standard normal if the
        identity holds).
    """
    from kernelnet.parallel import map_units

    quick = _quick(quick)
    seed = _seed(seed)
    n = check_int(_size("disc_n", quick, n), "n", minimum=2)
    n_pairs = check_int(_size("disc_mc_pairs", quick, n_pairs), "n_pairs", minimum=2)
    p = dict(n=n, d=check_int(d, "d", minimum=2), n_clusters=n_clusters, n_pairs=n_pairs)
    units = [("random", np.inf, p)] + [("clustered", float(sp), p) for sp in spreads]
    rows = map_units(_activation_unit, units, seed=seed, n_jobs=n_jobs, backend=backend,
                     scheduler=scheduler, desc="activation-kernel distance")
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# the regulariser table
# ---------------------------------------------------------------------------------------------


def _regulariser_unit(unit, seed):
    """One (width, repeat) cell: every lambda (0 first) from the same data, signs and start.

    Module level so that :func:`kernelnet.parallel.map_units` can ship it to a worker.
    """
    n, rep, p = unit
    rng = np.random.default_rng(seed)
    with threadpool_limits(1):
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
    from kernelnet.parallel import map_units

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
    quick = _quick(quick)
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


# ---------------------------------------------------------------------------------------------
# verdicts: small functions from numbers to the ledger's vocabulary (unit-tested per branch)
# ---------------------------------------------------------------------------------------------

#: z_rms (measured RMS error of G_n over the RMS of its exact standard errors) must lie in this
#: band at every width. With the right closed form z_rms is ~1 (an RMS over >= 820 entries of
#: ~unit-variance z-scores, correlated through the shared weights: a few tenths at most); a
#: wrong closed form leaves a bias that does not shrink, so z_rms grows like sqrt(n) and
#: leaves the band by n = 1e4.
Z_BAND = (0.7, 1.3)
#: Tolerance on the fitted log-log slope of the Monte Carlo error (theory -1/2); the fit over
#: widths 10..1e5 has a standard error of a few hundredths.
SLOPE_TOL = 0.1


def gram_verdict(z_min, z_max, slope):
    """003.relu-kernel: G_n = D^T D / n converges to the closed form at the Monte Carlo rate."""
    for name, v in (("z_min", z_min), ("z_max", z_max), ("slope", slope)):
        if not np.isfinite(v):
            raise ValueError(f"{name} must be finite, got {v!r}")
    ok = Z_BAND[0] <= z_min and z_max <= Z_BAND[1] and abs(slope + 0.5) <= SLOPE_TOL
    return "reproduced" if ok else "not reproduced"


def spectrum_decay_verdict(slope, in_regime):
    """003.spectrum-decay: "the spectrum of ReLU [is] between O(1/m) and O(1/sqrt m)".

    Outside the talk's regime (d of order 1/gamma_m) the verdict is "outside the source's
    regime"; inside, "reproduced" when the fitted slope lies in [-1, -1/2], else "not
    reproduced".
    """
    if not np.isfinite(slope):
        raise ValueError(f"slope must be finite, got {slope!r}")
    if not in_regime:
        return "outside the source's regime"
    return "reproduced" if -1.0 <= slope <= -0.5 else "not reproduced"


def spectrum_bound_verdict(n_in, hold_in, n_top, hold_top, n_out, hold_out):
    """003.spectrum-bound: lambda_m(G) >= m gamma_m / 2 with high probability, in the talk's
    regime d = Omega~(1/gamma_m).

    Counts of draws: ``n_in``/``hold_in`` in the talk's regime (d gamma_m >= REGIME_D_GAMMA),
    ``n_top``/``hold_top`` those of them at the largest d tested (the statement is asymptotic
    in d: it hides constants and logarithms), ``n_out``/``hold_out`` outside the regime.
    ``not checkable here``: no draw in the regime at the largest d; ``not reproduced``: it
    fails there; ``reproduced``: it holds in every draw; ``reproduced with a caveat``: it holds
    at the largest d in the regime but fails at smaller d or outside the regime.
    """
    for name, v in (("n_in", n_in), ("hold_in", hold_in), ("n_top", n_top),
                    ("hold_top", hold_top), ("n_out", n_out), ("hold_out", hold_out)):
        check_int(v, name, minimum=0)
    if hold_in > n_in or hold_top > n_top or hold_out > n_out or n_top > n_in:
        raise ValueError("hold counts must not exceed the draw counts, nor n_top n_in")
    if n_top == 0:
        return "not checkable here"
    if hold_top < n_top:
        return "not reproduced"
    if hold_in == n_in and hold_out == n_out:
        return "reproduced"
    return "reproduced with a caveat"


def key_inequality_verdict(max_ratio, *, rtol=1e-9):
    """003.key-inequality: ||r|| <= ||dL/dW|| / s_m(D) along training (linear algebra).

    ``max_ratio`` is the largest ||r|| s_m(D) / ||dL/dW|| on the path; ``rtol`` (1e-9) allows
    the rounding of an m x m eigenvalue solve (~m eps relative).
    """
    if not np.isfinite(max_ratio) or max_ratio < 0:
        raise ValueError(f"max_ratio must be a finite non-negative number, got {max_ratio!r}")
    return "reproduced" if max_ratio <= 1.0 + rtol else "not reproduced"


def singular_value_verdict(random_min_s2, first_term, corr, in_regime):
    """003.sm-bound: s_m(D)^2 >= n m gamma_m / 2 - c n rho L_2(W) (c, rho not given).

    Only the first term and the trend can be checked: ``reproduced with a caveat`` when random
    (small-discrepancy) weights have s_m(D)^2/n >= m gamma_m / 2 and s_m(D)^2 falls as the
    discrepancy grows (corr < 0); otherwise ``outside the source's regime`` when the draw is
    not in the talk's regime, else ``not reproduced``.
    """
    for name, v in (("random_min_s2", random_min_s2), ("first_term", first_term),
                    ("corr", corr)):
        if not np.isfinite(v):
            raise ValueError(f"{name} must be finite, got {v!r}")
    if random_min_s2 >= first_term and corr < 0:
        return "reproduced with a caveat"
    return "not reproduced" if in_regime else "outside the source's regime"


#: The talk's ||G - G_n|| <= O(rho L_2(W)) is a scaling statement: it needs L_2^2 to vary by at
#: least this factor to be tested ...
MIN_L2SQ_SPAN = 10.0
#: ... and it holds when ||G - G_n|| / L_2 varies by at most this factor over that range. If
#: ||G - G_n|| did not shrink with L_2, the ratio would grow like 1/L_2: by sqrt(10) ~ 3.2 over
#: the smallest span, and by 10 over two orders of magnitude of L_2^2.
MAX_RATIO_SPREAD = 4.0


def discrepancy_bound_verdict(ratios, L2sq):
    """003.discrepancy-bound: ||G - G_n|| <= O(rho L_2(W)).

    ``ratios`` = ||G - G_n||_2 / L_2(W) over weight sets, ``L2sq`` their L_2(W)^2 (only
    positive ones count). ``not checkable here`` when L_2^2 spans less than MIN_L2SQ_SPAN;
    ``reproduced`` when the ratio spreads by at most MAX_RATIO_SPREAD; else ``not reproduced``.
    """
    ratios = np.asarray(ratios, dtype=float)
    L2sq = np.asarray(L2sq, dtype=float)
    if ratios.shape != L2sq.shape or ratios.ndim != 1:
        raise ValueError("ratios and L2sq must be 1-d arrays of the same length")
    ok = (L2sq > 0) & np.isfinite(ratios) & (ratios > 0)
    if ok.sum() < 2 or L2sq[ok].max() / L2sq[ok].min() < MIN_L2SQ_SPAN:
        return "not checkable here"
    spread = ratios[ok].max() / ratios[ok].min()
    return "reproduced" if spread <= MAX_RATIO_SPREAD else "not reproduced"


def random_discrepancy_verdict(L2sq_mean, L2sq_se, L2sq_theory, n, d):
    """003.random-discrepancy: random weights satisfy L_2(W) = O~((nd)^(-1/4)).

    ``reproduced`` when the measured mean L_2^2 of random weights matches the exact
    expectation (1/4 - E k^2)/n within 3 standard errors and sqrt(L_2^2) <= (nd)^(-1/4);
    ``reproduced with a caveat`` when it is below (nd)^(-1/4) but off the expectation;
    ``not reproduced`` when it exceeds (nd)^(-1/4).
    """
    for name, v in (("L2sq_mean", L2sq_mean), ("L2sq_se", L2sq_se),
                    ("L2sq_theory", L2sq_theory)):
        if not np.isfinite(v):
            raise ValueError(f"{name} must be finite, got {v!r}")
    check_int(n, "n", minimum=1)
    check_int(d, "d", minimum=1)
    if math.sqrt(max(L2sq_mean, 0.0)) > (n * d) ** -0.25:
        return "not reproduced"
    z = abs(L2sq_mean - L2sq_theory) / L2sq_se if L2sq_se > 0 else (
        0.0 if L2sq_mean == L2sq_theory else np.inf)
    return "reproduced" if z <= 3.0 else "reproduced with a caveat"


#: The unregularised network "underfits at the smallest width, as in the talk" when its test
#: error there is at least this many times its error at the largest width (the talk: 14.80 /
#: 0.44 = 34; the book's earlier regime: about 0.9, i.e. flat).
UNDERFIT_RATIO = 5.0
#: |paired t| at or above this counts as a difference (two-sided ~5% for the t distribution
#: with 5+ degrees of freedom is 2.6; 2 is the usual rough line and favours finding an effect).
T_LINE = 2.0


#: What the referee tried against ``003.reg-table`` (the referee rule, CONTRIBUTING.md), from
#: the referee's report (scratch runs with this module's ``regulariser_runs``, not shipped).
REFEREE_REG_TABLE = (
    "referee: finer lambda grid 0.03/0.1/0.3/1/3/10 at n = 10, 15 (m = 800, 6,000 steps, 8 "
    "repeats): better nowhere (t >= -1.31); worse at lambda >= 1 (n = 15: t 2.03, 2.47, 4.47; "
    "pooled sign test worse, p = 0.021 at lambda 3 and 0.001 at lambda 10)",
    "referee: a fixed short budget of 1,000 steps at n = 10/15/20, lambda 0.3/1/3: no speed-up; "
    "lambda 0.3 t -0.04, 1.33, -2.84 (one of about 45 comparisons, chance level); lambda 1 and 3 "
    "worse (t up to 3.87; 2 of 24 runs better)",
    "referee: fewer samples, m = 200 (an overfitting regime, no-reg error ratio about 1.1, unlike "
    "the talk's), two seeds: lambda 1 t -2.28 (n = 10), -2.86 (n = 15, one seed), 0.06 (n = 20); "
    "pooled t -2.76 but better in only 26 of 46 runs (sign test not significant); lambda 3 t "
    "-0.31, -2.09, +1.33",
    "referee: a random-sign ReLU teacher (20 units, m = 400, 3,000 steps, widths 5/10/20, ratio "
    "3.5): lambda 0.3 t 0.26, 0.40, -0.23; lambda 3 t 2.03, 1.05, 3.22 (worse)",
    "referee: the talk's own table as a test (Welch, its repeats not stated): with 5 repeats t "
    "-1.67, -1.47, +0.46, -1.76; with 10 repeats -2.36, -2.08, +0.65, -2.49; the regulariser is "
    "worse at n = 200 in the talk itself",
)


def underfit_ratio(no_reg_test_by_width):
    """Unregularised test error at the smallest width over that at the largest."""
    s = pd.Series(no_reg_test_by_width).sort_index()
    if len(s) < 2 or not np.all(np.isfinite(s.to_numpy())) or s.iloc[-1] <= 0:
        raise ValueError("no_reg_test_by_width needs >= 2 widths with finite errors, the last > 0")
    return float(s.iloc[0] / s.iloc[-1])


def regulariser_verdict(ratio, t_values, t_tried=()):
    """003.reg-table: the diversity regulariser lowers the test error (the talk's table).

    ``ratio``: :func:`underfit_ratio` of the unregularised runs; ``t_values``: paired t of
    (reg - no-reg) test error per width in the main setting; ``t_tried``: one array of paired t
    per other setting tried (another lambda, another step budget). Below UNDERFIT_RATIO:
    ``outside the source's regime``. Otherwise, with "better" = t <= -T_LINE and "worse" =
    t >= T_LINE: ``reproduced`` when better at most widths and worse at none; ``reproduced with
    a caveat`` when better at some width, or in most comparisons of a setting tried (one
    comparison at the line among many is what chance gives); ``not reproduced`` otherwise.
    """
    if not np.isfinite(ratio) or ratio <= 0:
        raise ValueError(f"ratio must be a positive number, got {ratio!r}")
    t = np.asarray(t_values, dtype=float)
    if t.ndim != 1 or len(t) == 0 or np.any(np.isnan(t)):
        raise ValueError("t_values must be a non-empty 1-d array without NaN")
    tried = [np.atleast_1d(np.asarray(x, dtype=float)) for x in t_tried]
    if any(len(x) == 0 or np.any(np.isnan(x)) for x in tried):
        raise ValueError("t_tried must hold non-empty arrays without NaN")
    if ratio < UNDERFIT_RATIO:
        return "outside the source's regime"
    better, worse = int(np.sum(t <= -T_LINE)), int(np.sum(t >= T_LINE))
    if better > len(t) / 2 and worse == 0:
        return "reproduced"
    if better > 0 or any(np.mean(x <= -T_LINE) > 0.5 for x in tried):
        return "reproduced with a caveat"
    return "not reproduced"


def flow_rate_verdict(bound_holds, min_lam_ratio):
    """003.du-rate: ||y - u(t)||^2 <= exp(-lambda_0 t) ||y - u(0)||^2 when lambda_min(H(s)) >=
    lambda_0 / 2 along the path (Du et al.).

    ``reproduced``: the rate holds and the assumption held; ``reproduced with a caveat``: the
    rate holds although the assumption failed somewhere; ``outside the source's regime``: the
    rate fails where the assumption failed; ``not reproduced``: the rate fails although the
    assumption held.
    """
    if not np.isfinite(min_lam_ratio):
        raise ValueError(f"min_lam_ratio must be finite, got {min_lam_ratio!r}")
    assumption = min_lam_ratio >= 0.5
    if bound_holds:
        return "reproduced" if assumption else "reproduced with a caveat"
    return "not reproduced" if assumption else "outside the source's regime"


#: Tolerance on the fitted slope of the largest unit movement against width (the bound R'
#: scales as n^(-1/2)); the fit over 4-6 widths has a standard error of a few hundredths.
MOVE_SLOPE_TOL = 0.15


def flow_movement_verdict(within_bound, slope):
    """003.du-movement: ||w_r(t) - w_r(0)|| <= R' = 2 sqrt(m) ||y - u(0)|| / (sqrt(n) lambda_0).

    ``reproduced``: every width within R' and the movement shrinks like n^(-1/2) (slope within
    MOVE_SLOPE_TOL); ``reproduced with a caveat``: within R' at a different rate; ``not
    reproduced``: some width moves more than R'.
    """
    if not np.isfinite(slope):
        raise ValueError(f"slope must be finite, got {slope!r}")
    if not within_bound:
        return "not reproduced"
    return "reproduced" if abs(slope + 0.5) <= MOVE_SLOPE_TOL else "reproduced with a caveat"


# ---------------------------------------------------------------------------------------------
# the chapter in one call
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiverseWeightsResult:
    """Everything chapter 06 shows: the tables its figures draw, and the findings."""

    params: dict
    gram: pd.DataFrame
    gram_info: dict
    spectrum: dict
    spectrum_table: pd.DataFrame
    spectrum_info: dict
    sawtooth: pd.DataFrame
    blocks: pd.DataFrame
    bound_draws: pd.DataFrame
    key: pd.DataFrame
    discrepancy: pd.DataFrame
    activation: pd.DataFrame
    reg_raw: pd.DataFrame
    reg_table: pd.DataFrame
    reg_paired: pd.DataFrame
    comparison: pd.DataFrame
    talk: pd.DataFrame
    flat_raw: pd.DataFrame
    flat_paired: pd.DataFrame
    short_paired: pd.DataFrame
    flow_paths: dict
    flow: pd.DataFrame
    flow_info: dict
    summary: dict
    findings: tuple


def _fmt_list(vals):
    return ", ".join(str(v) for v in vals)


def run(*, quick: bool = True, seed: int = 0, n_jobs=None, **params) -> DiverseWeightsResult:
    """The chapter's experiments and findings; sizes from :data:`PARAMETERS` (quick or full).

    ``n_jobs`` is passed to every sweep (:func:`kernelnet.parallel.map_units`): the numbers do
    not depend on it.
    """
    p = resolve_parameters(PARAMETERS, quick=quick, seed=seed, **params)
    seed = _seed(seed)
    kw = dict(quick=quick, seed=seed, n_jobs=n_jobs)
    gram, gram_info = gram_convergence(m=p["gram_m"], widths=p["gram_widths"], **kw)
    spec, spec_table, spec_info = kernel_spectrum(d=p["spectrum_d"],
                                                  m_values=p["spectrum_m_values"], **kw)
    saw, blocks = spectrum_sawtooth(p["spectrum_d"], max(p["bound_m_cap"] + 1,
                                                          max(p["spectrum_m_values"])))
    draws = spectrum_bound_draws(dims=p["bound_dims"], m_cap=p["bound_m_cap"],
                                 draws=p["bound_draws"], **kw)
    key = key_inequality_path(quick=quick, seed=seed, m=p["key_m"], n=p["key_n"],
                              n_steps=p["key_steps"])
    disc = singular_value_vs_discrepancy(m=p["disc_m"], n=p["disc_n"],
                                         repeats=p["disc_repeats"],
                                         spreads=np.geomspace(0.01, 10.0, p["disc_spreads"]),
                                         **kw)
    act = activation_distance_check(n=p["disc_n"], n_pairs=p["disc_mc_pairs"], **kw)
    reg_kw = dict(d=p["reg_d"], m=p["reg_m"], m_test=p["reg_m_test"], n_jobs=n_jobs)
    reg_raw = regulariser_runs(seed=seed, widths=p["reg_widths"], k_teacher=p["reg_teacher"],
                               teacher="even", lambdas=[p["reg_lambda"]],
                               n_steps=p["reg_steps"], repeats=p["reg_repeats"],
                               extra_lambdas=p["reg_lambdas_tried"],
                               extra_widths=p["reg_widths"][1:2], **reg_kw)
    main = reg_raw[reg_raw.reg.isin([0.0, p["reg_lambda"]])]
    reg_table = _long_table(main)
    reg_paired = paired_differences(reg_raw)
    flat_raw = regulariser_runs(seed=seed + 1, widths=p["flat_widths"], k_teacher=50,
                                teacher="relu", lambdas=[p["reg_lambda"]],
                                n_steps=p["flat_steps"], repeats=p["flat_repeats"],
                                **{**reg_kw, "m": p["flat_m"]})
    flat_paired = paired_differences(flat_raw)
    short_raw = regulariser_runs(seed=seed + 2, widths=p["reg_short_widths"],
                                 k_teacher=p["reg_teacher"], teacher="even",
                                 lambdas=[p["reg_lambda"]], n_steps=p["reg_short_steps"],
                                 repeats=p["reg_repeats"], **reg_kw)
    short_paired = paired_differences(short_raw)
    paths, flow, flow_info = gradient_flow_widths(m=p["flow_m"], widths=p["flow_widths"], **kw)
    talk = talk_table()
    comparison = compare_with_talk(reg_table)
    findings, summary = _findings(p, quick, gram, gram_info, spec_table, spec_info, draws, key,
                                  disc, act, reg_raw, reg_paired, flat_raw, flat_paired,
                                  short_paired, flow, flow_info)
    return DiverseWeightsResult(
        params=p, gram=gram, gram_info=gram_info, spectrum=spec, spectrum_table=spec_table,
        spectrum_info=spec_info, sawtooth=saw, blocks=blocks, bound_draws=draws, key=key,
        discrepancy=disc, activation=act, reg_raw=reg_raw, reg_table=reg_table,
        reg_paired=reg_paired, comparison=comparison, talk=talk, flat_raw=flat_raw,
        flat_paired=flat_paired, short_paired=short_paired, flow_paths=paths, flow=flow,
        flow_info=flow_info,
        summary=summary, findings=tuple(findings))


def _findings(p, quick, gram, gram_info, spec_table, spec_info, draws, key, disc, act, reg_raw,
              reg_paired, flat_raw, flat_paired, short_paired, flow, flow_info):
    """The chapter's findings (one per registry claim) and the numbers its prose quotes."""
    F = []
    S = {}
    sec = "chapter-diverse-weights"

    # 003.relu-kernel -------------------------------------------------------------------------
    zmin, zmax, slope = float(gram.z_rms.min()), float(gram.z_rms.max()), gram_info["slope"]
    v = gram_verdict(zmin, zmax, slope)
    F.append(Finding(
        "003.relu-kernel", v,
        f"{gram_info['m']} uniform points on the sphere in d = {gram_info['d']}, widths "
        f"{int(gram.n.min())} to {int(gram.n.max())}",
        values={"z_rms_min": zmin, "z_rms_max": zmax, "error_slope": slope},
        figures=("diverse_gram_convergence",), section="diverse-gram",
        note="" if v == "reproduced" else
        "G_n does not approach the closed form at the Monte Carlo rate: a bug in the formula",
        tried=() if v == "reproduced" else ("exact Bernoulli standard errors per entry",)))

    # 003.spectrum-decay ----------------------------------------------------------------------
    d5 = spec_info["d"]
    gam_slope = spec_info["gamma_slope"]
    m_fit = int(spec_table.m.max())
    d_gamma_fit = d5 * float(tl.gamma_sequence(d5, m_fit)[-1])
    in_reg = d_gamma_fit >= REGIME_D_GAMMA
    v = spectrum_decay_verdict(gam_slope, in_reg)
    F.append(Finding(
        "003.spectrum-decay", v,
        f"Funk-Hecke eigenvalues gamma_m in d = {d5}, m = 1 to {m_fit} (d gamma_m down to "
        f"{d_gamma_fit:.1e})",
        values={"gamma_slope": gam_slope, "asymptotic_exponent": -d5 / (d5 - 1),
                "gamma_u_slope": spec_info["gamma_u_slope"], "d": d5},
        figures=("diverse_kernel_spectrum",), section="diverse-spectrum",
        note=(f"at fixed d the spectrum decays like m^(-d/(d-1)) ({-d5 / (d5 - 1):.2f} in d = "
              f"{d5}; fitted {gam_slope:.2f}), faster than 1/m; the exponent tends to -1, the "
              "1/m end of the talk's range, only as d grows, which is the talk's regime "
              "(d of order 1/gamma_m) and not the one tested"
              if v != "reproduced" else "")))

    # 003.spectrum-bound ----------------------------------------------------------------------
    din, dout = draws[draws.in_regime], draws[~draws.in_regime]
    dtop = din[din.d == draws.d.max()]
    v = spectrum_bound_verdict(len(din), int(din.holds.sum()), len(dtop), int(dtop.holds.sum()),
                               len(dout), int(dout.holds.sum()))
    fails = draws[~draws.holds]
    fail_pairs = sorted({(int(r.d), int(r.m)) for r in fails.itertuples()})
    S["bound_fail_pairs"] = fail_pairs
    fin = din[~din.holds]
    S["bound_fail_in_regime_dims"] = sorted({int(x) for x in fin.d})
    ok_dims = [dd for dd in sorted(draws.d.unique()) if din[din.d >= dd].holds.all()]
    S["bound_ok_from_d"] = int(min(ok_dims)) if ok_dims else None
    after = draws[draws["where"] == "end+1"]
    S["bound_after_hold"] = (int(after.holds.sum()), len(after))
    ends = draws[draws["where"] == "end"]
    S["bound_end_hold"] = (int(ends.holds.sum()), len(ends))
    tried = (f"dimensions d = {_fmt_list(p['bound_dims'])}",
             f"m = e - 1, e, e + 1 at every multiplicity-block end e <= {p['bound_m_cap']}, "
             "and m = 20 in every d",
             f"{p['bound_draws']} independent point sets per (d, m)",
             "smallest eigenvalue by LAPACK's evr driver (relative accuracy ~1e-13)")
    notes = {
        "reproduced": "holds in every draw",
        "reproduced with a caveat":
            "holds in every draw at the largest d tested with d of order 1/gamma_m (m up to "
            "d + 1, the talk's regime)"
            + (f"; fails there at d = {_fmt_list(S['bound_fail_in_regime_dims'])}"
               if S["bound_fail_in_regime_dims"] else "")
            + "; outside that regime it fails at the ends of the spherical-harmonic "
              "multiplicity blocks, where the sawtooth m gamma_m / 2 peaks, and holds just "
              "after them: not a matter of m being large enough",
        "not reproduced": "fails at the largest d tested, with d of order 1/gamma_m",
        "not checkable here": "no draw at the largest d has d of order 1/gamma_m",
    }
    F.append(Finding(
        "003.spectrum-bound", v,
        f"uniform points on S^(d-1), d = {_fmt_list(p['bound_dims'])}, m around every "
        f"multiplicity-block end up to {p['bound_m_cap']} and m = 20, {p['bound_draws']} draws "
        f"each; the talk's regime taken as d gamma_m >= {REGIME_D_GAMMA}",
        values={"draws_in_regime": len(din), "hold_in_regime": int(din.holds.sum()),
                "draws_outside": len(dout), "hold_outside": int(dout.holds.sum()),
                "fails_at": "; ".join(f"d={a} m={b}" for a, b in fail_pairs) or "none",
                "min_ratio_at_largest_d": float(dtop.ratio.min()) if len(dtop) else
                float("nan")},
        figures=("diverse_spectrum_bound",), section="diverse-spectrum",
        note=notes[v], tried=tried))

    # 003.key-inequality ----------------------------------------------------------------------
    ratio = float((key.r_norm / key.bound).max())
    v = key_inequality_verdict(ratio)
    F.append(Finding(
        "003.key-inequality", v,
        f"gradient descent on a random ReLU teacher of 20 units, m = {p['key_m']}, "
        f"n = {p['key_n']}, "
        f"{p['key_steps']} steps",
        values={"max_ratio": ratio, "s_min_low": float(key.s_min.min()),
                "s_min_high": float(key.s_min.max())},
        figures=("diverse_key_inequality",), section="diverse-key",
        note="" if v == "reproduced" else "the inequality is linear algebra: a failure is a bug",
        tried=() if v == "reproduced" else ("s_m(D) from n G_n by eigvalsh",)))

    # 003.sm-bound ----------------------------------------------------------------------------
    rnd, cl = disc[disc.kind == "random"], disc[disc.kind == "clustered"]
    half = float(disc.half_m_gamma_m.iloc[0])
    corr = float(np.corrcoef(disc.L2, disc.s2_over_n)[0, 1])
    d_disc = 10
    in_reg = d_disc * float(tl.gamma_sequence(d_disc, p["disc_m"])[-1]) >= REGIME_D_GAMMA
    v = singular_value_verdict(float(rnd.s2_over_n.min()), half, corr, in_reg)
    F.append(Finding(
        "003.sm-bound", v,
        f"m = {p['disc_m']} points in d = 10, n = {p['disc_n']} random or clustered units, "
        f"{p['disc_repeats']} draws",
        values={"random_s2_over_n_min": float(rnd.s2_over_n.min()), "first_term": half,
                "corr_L2_s2": corr},
        figures=("diverse_key_inequality",), section="diverse-key",
        note=("c and rho are not given, so only the first term (for random weights) and the "
              "sign of the trend against L_2(W) are checked" if v == "reproduced with a caveat"
              else "random weights fall below the first term m gamma_m / 2"),
        tried=() if v != "not reproduced" else ("random and clustered weights",)))

    # 003.discrepancy-bound -------------------------------------------------------------------
    ok = disc[disc.L2sq > 0]
    v = discrepancy_bound_verdict(ok.ratio.to_numpy(), ok.L2sq.to_numpy())
    span = float(ok.L2sq.max() / ok.L2sq.min())
    S["ratio_range"] = (float(ok.ratio.min()), float(ok.ratio.max()))
    S["L2sq_span"] = span
    F.append(Finding(
        "003.discrepancy-bound", v,
        f"m = {p['disc_m']} points in d = 10, n = {p['disc_n']}: random weights and 3 clusters "
        f"of spread 0.01 to 10; spectral norm of G - G_n",
        values={"ratio_min": S["ratio_range"][0], "ratio_max": S["ratio_range"][1],
                "L2sq_span": span,
                "mc_max_abs_z": float(np.abs(act.z).max())},
        figures=("diverse_discrepancy",), section="diverse-discrepancy",
        note={"reproduced": "",
              "not checkable here": "the weight sets did not vary L_2 enough to test a scaling",
              "not reproduced": "||G - G_n|| does not shrink with L_2(W)"}[v],
        tried=() if v != "not reproduced" else ("clusters of spread 0.01 to 10", "random")))

    # 003.random-discrepancy ------------------------------------------------------------------
    n, dd = p["disc_n"], 10
    theory = (0.25 - tl.expected_k_squared(dd)) / n
    L2sq_r = rnd.L2sq.to_numpy()
    se = float(L2sq_r.std(ddof=1) / math.sqrt(len(L2sq_r))) if len(L2sq_r) > 1 else float("nan")
    if not np.isfinite(se):
        se = abs(theory)  # one draw: no spread to judge by; the z test is then lenient
    v = random_discrepancy_verdict(float(L2sq_r.mean()), se, theory, n, dd)
    S["random_L2"] = float(rnd.L2.mean())
    S["random_L2_theory"] = math.sqrt(theory)
    S["nd_quarter"] = (n * dd) ** -0.25
    F.append(Finding(
        "003.random-discrepancy", v,
        f"n = {n} Gaussian weights in d = {dd}, {len(L2sq_r)} draws",
        values={"L2_mean": S["random_L2"], "L2_theory": S["random_L2_theory"],
                "nd_to_minus_quarter": S["nd_quarter"]},
        figures=("diverse_discrepancy",), section="diverse-discrepancy",
        note=(f"random weights have L_2 = {S['random_L2']:.3f}, as E L_2^2 = (1/4 - E k^2)/n "
              f"predicts ({S['random_L2_theory']:.3f}): L_2 falls like n^(-1/2), far below "
              f"(nd)^(-1/4) = {S['nd_quarter']:.3f}; it satisfies the requirement whenever "
              "n >= d, up to constants")))

    # 003.reg-table ---------------------------------------------------------------------------
    # (the referee's settings, REFEREE_REG_TABLE, are appended to what the chapter tried)
    lam = p["reg_lambda"]
    main = reg_paired[reg_paired.reg == lam].sort_values("n")
    nr = reg_raw[reg_raw.reg == 0].groupby("n").test.mean()
    ratio_u = underfit_ratio(nr)
    others = reg_paired[reg_paired.reg != lam]
    v = regulariser_verdict(ratio_u, main.t.to_numpy(),
                            [others[others.reg == x].t.to_numpy() for x in others.reg.unique()]
                            + [short_paired.t.to_numpy()])
    flat_nr = flat_raw[flat_raw.reg == 0].groupby("n").test.mean()
    flat_ratio = underfit_ratio(flat_nr)
    S["underfit_ratio"] = ratio_u
    S["flat_ratio"] = flat_ratio
    tried = (
        f"the book's earlier regime: a random-sign ReLU teacher of 50 units in d = {p['reg_d']}"
        f" at the talk's widths {_fmt_list(p['flat_widths'])} (no-reg error ratio "
        f"{flat_ratio:.2f}: flat, outside the talk's regime; paired t "
        f"{_fmt_list(f'{t:.1f}' for t in flat_paired.t)})",
        "an even teacher (10 directions, 20 ReLUs) at the talk's widths / 10 "
        f"({_fmt_list(p['reg_widths'])}), where the unregularised network underfits at the "
        f"smallest width (ratio {ratio_u:.1f}; the talk: 34)",
        "lambda = " + _fmt_list(f"{x:g}" for x in sorted({lam, *others.reg})) + " (the others "
        f"at n = {p['reg_widths'][1] if len(p['reg_widths']) > 1 else p['reg_widths'][0]}: "
        "paired t " + _fmt_list(f"{t:.1f}" for t in others.t) + ")",
        "paired differences (same data, signs and start) with their standard errors",
        "m = 1,000 training points (an exploratory run outside the build, same budget and "
        "repeats): significant at one width of four, just past the t = -2 line, at none of the "
        "others; among the ~16 comparisons tried one such is what chance gives",
        f"two gradient-descent budgets at step 1/lambda_max of the Gauss-Newton matrix: "
        f"{p['reg_steps']} steps (the verdict) and {p['reg_short_steps']} steps at n = "
        f"{_fmt_list(p['reg_short_widths'])} (paired t "
        + _fmt_list(f"{t:.1f}" for t in short_paired.sort_values('n').t) + ")",
        *REFEREE_REG_TABLE,
    )
    F.append(Finding(
        "003.reg-table", v,
        f"even ReLU teacher (10 directions) in d = {p['reg_d']}, m = {p['reg_m']}, students of "
        f"width {_fmt_list(p['reg_widths'])}, lambda = {lam:g}, {p['reg_steps']} GD steps, "
        f"{p['reg_repeats']} paired repeats",
        values={"underfit_ratio": ratio_u,
                "paired_t": _fmt_list(f"{t:.2f}" for t in main.t),
                "n_better": int((main.t <= -T_LINE).sum()),
                "n_worse": int((main.t >= T_LINE).sum())},
        figures=("diverse_regulariser_table",), section="diverse-regulariser",
        note={"reproduced": "the regulariser lowers the test error at most widths",
              "reproduced with a caveat":
                  "the regulariser lowers the test error significantly at some widths or in "
                  "some settings tried, not in general",
              "not reproduced":
                  "in a regime where the unregularised network underfits at the smallest "
                  "width as in the talk, the regulariser lowers the test error significantly at "
                  "no width (paired t <= -2 nowhere, at either step budget or any lambda "
                  "tried); the talk's data, lambda and optimiser are not stated, so this "
                  "regime is ours",
              "outside the source's regime":
                  "the unregularised network does not underfit at the smallest width, unlike "
                  "the talk's"}[v],
        tried=tried))

    # 003.du-rate / 003.du-movement -----------------------------------------------------------
    minlam = float(flow.min_lam_ratio.min())
    v = flow_rate_verdict(bool(flow.bound_holds.all()), minlam)
    F.append(Finding(
        "003.du-rate", v,
        f"Du et al.'s normalisation, m = {flow_info['m']} points in d = {flow_info['d']}, "
        f"widths {int(flow.n.min())} to {int(flow.n.max())}, t up to 4/lambda_0",
        values={"min_lambda_ratio": minlam, "bound_holds_everywhere":
                str(bool(flow.bound_holds.all()))},
        figures=("diverse_gradient_flow",), section="diverse-flow",
        note={"reproduced": "",
              "reproduced with a caveat": "the rate holds though lambda_min fell below "
                                          "lambda_0 / 2 somewhere",
              "outside the source's regime": "lambda_min fell below lambda_0 / 2: the "
                                             "widths are below the theorem's",
              "not reproduced": "the rate fails although lambda_min stayed above lambda_0/2"}[v],
        tried=() if v != "not reproduced" else ("Euler step 0.1/lambda_max",)))
    within = bool((flow.max_move <= flow.R_prime).all())
    v = flow_movement_verdict(within, flow_info["slope"])
    loose = flow.R_prime / flow.max_move
    F.append(Finding(
        "003.du-movement", v,
        f"as 003.du-rate; largest movement of any unit at the final time",
        values={"slope": flow_info["slope"], "R_prime_over_move_min": float(loose.min()),
                "R_prime_over_move_max": float(loose.max())},
        figures=("diverse_gradient_flow",), section="diverse-flow",
        note={"reproduced": f"within R' at every width, loose by a factor "
                            f"{loose.min():.0f} to {loose.max():.0f}",
              "reproduced with a caveat": "within R' at every width, but the movement does "
                                          "not shrink like n^(-1/2)",
              "not reproduced": "a unit moved further than R'"}[v],
        tried=() if v != "not reproduced" else ("Euler step 0.1/lambda_max",)))
    return F, S


def _n(x, digits=2):
    return f"{x:.{digits}f}"


def prose(res: DiverseWeightsResult) -> dict:
    """The chapter's glued numbers and phrases, formatted (name -> string).

    Formatting only: the verdicts come from the findings (``claims.publish``); the phrases
    here describe what this run shows.
    """
    out = {}
    S, p = res.summary, res.params
    g, gi = res.gram, res.gram_info
    out.update({"dw-gram-slope": _n(gi["slope"]), "dw-gram-zmin": _n(g.z_rms.min()),
                "dw-gram-zmax": _n(g.z_rms.max()), "dw-gram-m": f"{gi['m']}",
                "dw-gram-d": f"{gi['d']}"})
    si = res.spectrum_info
    d5 = si["d"]
    out.update({"dw-spec-d": f"{d5}", "dw-spec-slope": _n(si["gamma_slope"]),
                "dw-spec-uslope": _n(si["gamma_u_slope"]),
                "dw-spec-asym": _n(-d5 / (d5 - 1))})
    # the sawtooth and the draws
    b = res.blocks
    ends = [int(e) for e in b.end if 5 <= e <= p["bound_m_cap"]]
    saw = res.sawtooth.set_index("m").half_m_gamma_m
    out["dw-bound-ends"] = _fmt_list(ends)
    out["dw-bound-peak"] = f"{saw.loc[20]:.3f}" if 21 in saw.index else "n/a"
    out["dw-bound-after"] = f"{saw.loc[21]:.4f}" if 21 in saw.index else "n/a"
    out["dw-bound-dims"] = _fmt_list(p["bound_dims"])
    out["dw-bound-dmax"] = f"{max(p['bound_dims'])}"
    out["dw-bound-cap"] = f"{p['bound_m_cap']:,}"
    out["dw-bound-draws"] = f"{p['bound_draws']}"
    out["dw-bound-regime"] = f"{REGIME_D_GAMMA:g}"
    h, n = S["bound_end_hold"]
    out["dw-bound-end-hold"] = f"{h} of {n}"
    h, n = S["bound_after_hold"]
    out["dw-bound-after-hold"] = f"{h} of {n}"
    fails = S["bound_fail_pairs"]
    out["dw-bound-fails"] = ("nowhere" if not fails else
                             "; ".join(f"d = {a}, m = {m}" for a, m in fails))
    okd = S["bound_ok_from_d"]
    out["dw-bound-okd"] = f"{okd}" if okd is not None else "no d tested"
    dr = res.bound_draws
    top = dr[(dr.d == dr.d.max()) & dr.in_regime]
    out["dw-bound-top-min"] = _n(top.ratio.min()) if len(top) else "n/a"
    out["dw-bound-inreg-fails"] = (
        "in the regime it fails only at d = " + _fmt_list(S["bound_fail_in_regime_dims"])
        if S["bound_fail_in_regime_dims"] else "it never fails in the regime")
    # key inequality
    key = res.key
    out["dw-key-ratio"] = _n((key.r_norm / key.bound).max())
    out["dw-key-smin"] = f"{key.s_min.min():.2f} and {key.s_min.max():.2f}"
    out["dw-key-lossdrop"] = f"{key.loss.iloc[0] / key.loss.iloc[-1]:.0f}"
    # discrepancy
    disc = res.discrepancy
    rnd, cl = disc[disc.kind == "random"], disc[disc.kind == "clustered"]
    half = float(disc.half_m_gamma_m.iloc[0])
    out["dw-disc-m"] = f"{p['disc_m']}"
    out["dw-disc-n"] = f"{p['disc_n']}"
    out["dw-disc-rand-L2"] = f"{rnd.L2.mean():.3f}"
    out["dw-disc-rand-s2"] = f"{rnd.s2_over_n.mean():.3f}"
    out["dw-disc-half"] = f"{half:.4f}"
    out["dw-disc-cmp"] = "above" if rnd.s2_over_n.min() > half else "not always above"
    tight = cl[cl.spread == cl.spread.min()]
    out["dw-disc-cl-L2"] = f"{tight.L2.mean():.3f}"
    out["dw-disc-cl-s2"] = f"{tight.s2_over_n.mean():.1e}"
    out["dw-disc-cl-rank"] = ("rank-deficient to rounding" if tight.s2_over_n.max() < 1e-10
                              else "nearly rank-deficient")
    corr = float(np.corrcoef(disc.L2, disc.s2_over_n)[0, 1])
    out["dw-disc-corr"] = _n(corr)
    out["dw-disc-trend"] = ("the trend the bound predicts: more discrepancy, smaller singular "
                            "value" if corr < 0 else "not the trend the bound predicts")
    out["dw-ratio-min"] = f"{S['ratio_range'][0]:.0f}"
    out["dw-ratio-max"] = f"{S['ratio_range'][1]:.0f}"
    out["dw-L2sq-span"] = f"{S['L2sq_span']:.0f}"
    act = res.activation
    out["dw-mc-zmax"] = _n(np.abs(act.z).max(), 1)
    out["dw-mc-pairs"] = f"{p['disc_mc_pairs']:,}"
    out["dw-rand-L2"] = f"{S['random_L2']:.3f}"
    out["dw-rand-L2-theory"] = f"{S['random_L2_theory']:.3f}"
    out["dw-nd-quarter"] = f"{S['nd_quarter']:.3f}"
    out["dw-nd"] = f"{p['disc_n'] * 10:,}"
    # regulariser
    lam = p["reg_lambda"]
    pr = res.reg_paired
    main = pr[pr.reg == lam].sort_values("n")
    raw = res.reg_raw
    nr = raw[raw.reg == 0].groupby("n").test.mean()
    out["dw-reg-widths"] = _fmt_list(p["reg_widths"])
    out["dw-reg-d"] = f"{p['reg_d']}"
    out["dw-reg-k"] = f"{p['reg_teacher']}"
    out["dw-reg-2k"] = f"{2 * p['reg_teacher']}"
    out["dw-reg-m"] = f"{p['reg_m']:,}"
    out["dw-reg-steps"] = f"{p['reg_steps']:,}"
    out["dw-reg-repeats"] = f"{p['reg_repeats']}"
    out["dw-reg-lambda"] = f"{lam:g}"
    out["dw-reg-nr-first"] = _n(nr.iloc[0])
    out["dw-reg-nr-last"] = _n(nr.iloc[-1])
    out["dw-reg-ratio"] = _n(S["underfit_ratio"], 1)
    out["dw-reg-underfit-min"] = f"{UNDERFIT_RATIO:g}"
    out["dw-reg-t"] = _fmt_list(_n(t) for t in main.t)
    out["dw-reg-better"] = f"{int((main.t <= -T_LINE).sum())} of {len(main)}"
    out["dw-reg-worse"] = f"{int((main.t >= T_LINE).sum())} of {len(main)}"
    out["dw-reg-worse-runs"] = f"{int(main.n_worse.sum())} of {int(main.repeats.sum())}"
    others = pr[pr.reg != lam].sort_values("reg")
    out["dw-reg-others"] = _fmt_list(f"lambda = {r.reg:g}: t = {r.t:.2f}"
                                     for r in others.itertuples())
    out["dw-reg-first"] = f"{(p['reg_widths'][1:2] or p['reg_widths'])[0]}"
    sp = res.short_paired.sort_values("n")
    out["dw-short-steps"] = f"{p['reg_short_steps']:,}"
    out["dw-short-widths"] = _fmt_list(p["reg_short_widths"])
    out["dw-short-t"] = _fmt_list(_n(t) for t in sp.t)
    out["dw-short-worse"] = f"{int((sp.t >= T_LINE).sum())} of {len(sp)}"
    out["dw-short-better"] = f"{int((sp.t <= -T_LINE).sum())} of {len(sp)}"
    L2n = raw[raw.reg == 0].L2.mean()
    L2r = raw[raw.reg == lam].L2.mean()
    out["dw-reg-L2"] = f"{L2n:.3f} to {L2r:.3f}"
    out["dw-reg-L2-does"] = ("lowers" if L2r < L2n else "does not lower")
    fp = res.flat_paired.sort_values("n")
    out["dw-flat-widths"] = _fmt_list(p["flat_widths"])
    out["dw-flat-ratio"] = _n(S["flat_ratio"])
    out["dw-flat-t"] = _fmt_list(_n(t) for t in fp.t)
    out["dw-flat-worse-runs"] = f"{int(fp.n_worse.sum())} of {int(fp.repeats.sum())}"
    tt = res.talk[res.talk.split == "test"].pivot(index="n", columns="method",
                                                   values=["mean", "std"])
    a_lo = tt[("mean", "no-reg")] - tt[("std", "no-reg")]
    a_hi = tt[("mean", "no-reg")] + tt[("std", "no-reg")]
    b_lo, b_hi = tt[("mean", "reg")] - tt[("std", "reg")], tt[("mean", "reg")] + tt[("std", "reg")]
    overlap = int(((a_lo <= b_hi) & (b_lo <= a_hi)).sum())
    out["dw-talk-overlap"] = f"{overlap} of {len(tt)}"
    out["dw-talk-ratio"] = _n(underfit_ratio(
        res.talk[(res.talk.method == "no-reg") & (res.talk.split == "test")]
        .set_index("n")["mean"]), 0)
    # gradient flow
    flow, fi = res.flow, res.flow_info
    out["dw-flow-slope"] = _n(fi["slope"])
    out["dw-flow-minlam"] = _n(flow.min_lam_ratio.min())
    out["dw-flow-m"] = f"{fi['m']}"
    out["dw-flow-nmin"] = f"{flow.n.min():,}"
    out["dw-flow-nmax"] = f"{flow.n.max():,}"
    out["dw-flow-movemax"] = f"{flow.max_move.iloc[-1]:.3f}"
    out["dw-flow-Rmax"] = _n(flow.R_prime.iloc[-1])
    loose = flow.R_prime / flow.max_move
    out["dw-flow-loose"] = f"{loose.min():.0f} to {loose.max():.0f}"
    return out
