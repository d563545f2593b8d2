"""The kernel G: the finite-width G_n against its closed form, the spectrum of G on the sphere, and
the bound lambda_m(G) >= m gamma_m / 2 over dimensions and multiplicity blocks."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kernelnet import twolayer as tl
from kernelnet._threads import limit_threads
from kernelnet._validation import check_bool, check_int
from kernelnet.parallel import map_units

from ._common import _seed, _size, _slope


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
    with limit_threads(1):
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
    quick = check_bool(quick, "quick")
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
    with limit_threads(1):
        X = tl.sample_sphere(mm, p["d"], random_state=rng)
        ev = np.linalg.eigvalsh(tl.relu_gram(X))
    lam = float(ev[0])
    row = dict(m=mm, lam_m=lam, gamma_m=gam_m, half_m_gamma_m=0.5 * mm * gam_m,
               m_gamma_m=mm * gam_m, holds=bool(lam >= 0.5 * mm * gam_m),
               **_concentration_errors(ev[::-1] / mm, p["conc_blocks"]))
    return (ev[::-1] / mm if mm == p["mmax"] else None), row


#: 003.spectrum-concentrates compares the top of the spectrum of G/m with gamma_i over the first
#: CONC_BLOCKS multiplicity blocks (degrees 1, 0 and 2: the first d + 1 + (d + 2)(d - 1)/2
#: eigenvalues, 20 in d = 5), and only when m is at least CONC_RESOLUTION times the last of them
#: (a sample of m points resolves harmonics of low degree only; the bottom of the finite
#: spectrum is compared separately, as lambda_m(G) / (m gamma_m)).
CONC_BLOCKS = 3
CONC_RESOLUTION = 2


def _concentration_errors(ev_over_m, blocks):
    """Relative errors of the top of the spectrum of G/m against gamma, block by block.

    ``ev_over_m``: eigenvalues of G/m, decreasing; ``blocks``: (start, end, gamma) of the first
    multiplicity blocks (1-based, inclusive). Returns ``conc_err`` (largest relative error of a
    block's mean eigenvalue) and ``conc_err_max`` (largest relative error of a single
    eigenvalue in those blocks), NaN when m < CONC_RESOLUTION * the last block end.
    """
    m = len(ev_over_m)
    if not blocks or m < CONC_RESOLUTION * blocks[-1][1]:
        return dict(conc_err=float("nan"), conc_err_max=float("nan"))
    mean_err, one_err = 0.0, 0.0
    for start, end, gam in blocks:
        blk = ev_over_m[start - 1:end]
        mean_err = max(mean_err, abs(float(blk.mean()) - gam) / gam)
        one_err = max(one_err, float(np.max(np.abs(blk - gam))) / gam)
    return dict(conc_err=mean_err, conc_err_max=one_err)


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
        (:math:`m\gamma_m/2`, the talk's lower bound), ``m_gamma_m``, ``gamma_m``, ``holds``,
        ``conc_err`` / ``conc_err_max`` (relative error of the block means / of single
        eigenvalues of :math:`G/m` against :math:`\gamma_i` over the first
        :data:`CONC_BLOCKS` blocks; NaN for m below :data:`CONC_RESOLUTION` times their end).
    info : dict
        ``gamma_slope``: fitted log-log slope of :math:`\gamma_m` against m over
        ``m_values`` (the talk: "between O(1/m) and O(1/sqrt(m))"), ``lam_slope``: the same for
        :math:`\lambda_m(G)/m`, ``gamma_u_slope``: log-log slope of the degree eigenvalues
        :math:`\gamma_u` over even u in [50, 400] (theory: -d, from the :math:`\sqrt{1-t}`
        singularity of arccos), ``degrees``: degree eigenvalues and multiplicities.
    """
    quick = check_bool(quick, "quick")
    seed = _seed(seed)
    d = check_int(d, "d", minimum=2)
    m_values = [check_int(int(mm), "m_values", minimum=2)
                for mm in _size("spectrum_m_values", quick, m_values)]
    mmax = max(m_values)
    gam = tl.gamma_sequence(d, mmax)
    hb = tl.harmonic_blocks(d, max(mmax, 2 * d * d))
    conc_blocks = [(int(a), int(b), float(g)) for a, b, g in
                   zip(hb["start"][:CONC_BLOCKS], hb["end"][:CONC_BLOCKS],
                       hb["gamma"][:CONC_BLOCKS])]
    params = dict(d=d, gamma=gam, mmax=mmax, conc_blocks=conc_blocks)
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
    with limit_threads(1):
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
    quick = check_bool(quick, "quick")
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
