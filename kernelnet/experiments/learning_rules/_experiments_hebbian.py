r"""Chapter 5: Hebbian growth, and Oja's and Sanger's rules against the eigenvectors."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kernelnet import learning_rules as lr
from kernelnet._threads import limit_threads
from kernelnet._validation import as_rng, check_int, check_positive
from kernelnet.parallel import map_units


# ------------------------------------------------------------------------------------------------
# Hebbian, Oja, Sanger
# ------------------------------------------------------------------------------------------------


def _covariance(ev, rng):
    ev = np.asarray(ev, dtype=float)
    Q, _ = np.linalg.qr(rng.standard_normal((ev.size, ev.size)))
    return (Q * ev) @ Q.T


def _hebbian_unit(unit, seed):
    """One run of one covariance of :func:`hebbian_growth`: fresh inputs and start.

    Module level so that :func:`kernelnet.parallel.map_units` can ship it to a worker.
    """
    _, r, p = unit
    rng = np.random.default_rng(seed)
    T_l, eta, L, D = p["T"], p["eta"], p["L"], p["D"]
    with limit_threads(1):  # the same BLAS rounding in every process
        X = rng.standard_normal((T_l, D)) @ L.T
        tr = lr.hebbian(X, 0.1 * rng.standard_normal(D), eta)
        ln = np.log(np.linalg.norm(tr, axis=1))
        half = T_l // 2
        rate = (ln[-1] - ln[half]) / (eta * (T_l - half))
        ang = lr.subspace_angles(tr, p["v1"])
    return rate, ang[-1], ((ln, ang) if r == 0 else None)


def hebbian_growth(D=6, lam_max_values=(1.0, 2.0, 3.0, 4.0, 6.0), eta=1e-3, T=None,
                   n_runs=None, quick=True, seed=0, n_jobs=None, backend=None, scheduler=None):
    r"""Hebbian learning: growth rate of :math:`\ln\|w\|` against :math:`\lambda_{\max}(C)`.

    For each :math:`\lambda_{\max}`, a covariance with spectrum :math:`\lambda_{\max}\cdot(1,
    0.5, 0.3, 0.2, \dots)` feeds the plain Hebbian rule; the slope of :math:`\ln\|w_t\|` against
    :math:`\eta t` over the second half is compared with :math:`\lambda_{\max}`, and the angle to
    the top eigenvector is tracked.

    The covariance for the i-th :math:`\lambda_{\max}` is drawn from
    ``default_rng([seed, i])``; the (covariance, run) pairs are independent units run through
    :func:`kernelnet.parallel.map_units` (``n_jobs``, ``backend``, ``scheduler``), each drawing
    its inputs and start from its own generator seeded by ``(seed, unit index)``, so the table is
    identical serially, on local processes or on a Dask cluster.

    Returns
    -------
    dict
        ``table`` (DataFrame: lam_max, rate_mean, rate_se, angle_final, bias_bound (the
        :math:`O(\eta\lambda_{\max}\mathrm{Tr}\,C)` size of the discretisation bias), T),
        ``trajectory``
        (``eta_t``, ``log_norm``, ``angle`` for the largest :math:`\lambda_{\max}`, first run).
    """
    D = check_int(D, "D", minimum=2)
    eta = check_positive(eta, "eta")
    T = check_int(T if T is not None else (3000 if quick else 20000), "T", minimum=10)
    n_runs = check_int(n_runs if n_runs is not None else (5 if quick else 20), "n_runs",
                       minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    shape = np.array([1.0, 0.5, 0.3, 0.2, 0.1, 0.05, 0.02, 0.01][:D] + [0.01] * max(0, D - 8))
    covs, units = [], []
    for i, lm in enumerate(lam_max_values):
        lm = check_positive(lm, "lam_max_values")
        C = _covariance(lm * shape, np.random.default_rng([seed, i]))
        lam, V = np.linalg.eigh(C)
        # long enough that the direction has settled by T/2: e^{-(lam1 - lam2) eta T/2} <= e^-10
        T_l = max(T, int(np.ceil(20.0 / (eta * (lam[-1] - lam[-2])))))
        covs.append((C, lam, T_l))
        # contiguous copies: a worker receives them contiguous, so the serial run must too
        params = dict(T=T_l, eta=eta, L=np.ascontiguousarray(np.linalg.cholesky(C)), D=D,
                      v1=np.ascontiguousarray(V[:, -1]))
        units += [(i, r, params) for r in range(n_runs)]
    results = map_units(_hebbian_unit, units, seed=seed, n_jobs=n_jobs, backend=backend,
                        scheduler=scheduler, desc="hebbian growth")
    rows, traj = [], None
    for i, (C, lam, T_l) in enumerate(covs):
        mine = results[i * n_runs:(i + 1) * n_runs]
        rates = [rate for rate, _, _ in mine]
        angs = [a for _, a, _ in mine]
        ln, ang = mine[0][2]
        traj = {"eta_t": eta * np.arange(T_l + 1), "log_norm": ln, "angle": ang,
                "lam_max": lam[-1]}
        rows.append({"lam_max": lam[-1], "rate_mean": float(np.mean(rates)),
                     "rate_se": float(np.std(rates) / np.sqrt(n_runs)) if n_runs > 1 else np.nan,
                     "angle_final": float(np.mean(angs)),
                     "bias_bound": eta * lam[-1] * np.trace(C), "T": T_l})
    return {"table": pd.DataFrame(rows), "trajectory": traj, "eta": eta, "T": T}


def pca_rules(D=8, k=3, eigenvalues=None, eta=2e-3, T=None, record_every=10, quick=True, seed=0):
    r"""Oja's rule and Sanger's rule against :func:`numpy.linalg.eigh`, angle per iteration.

    Returns
    -------
    dict
        ``steps`` (recorded iterations), ``oja_angle`` (to the top eigenvector), ``sanger_angles``
        (row i to eigenvector i, shape (n_rec, k)), ``oja_rms_pred``: the stationary rms angle
        :math:`\sqrt{(\eta/2)\sum_{j>1} \lambda_1\lambda_j/(\lambda_1-\lambda_j)}` from linearising
        Oja's rule about :math:`v_1`, ``oja_rms_late`` (measured over the last half),
        ``sanger_late`` (mean late angle per row), ``eigenvalues``, ``oja_norm_final``.
    """
    D = check_int(D, "D", minimum=2)
    k = check_int(k, "k", minimum=1, maximum=D)
    eta = check_positive(eta, "eta")
    T = check_int(T if T is not None else (20000 if quick else 100000), "T", minimum=10)
    record_every = check_int(record_every, "record_every", minimum=1)
    rng = as_rng(seed, "seed")
    ev = np.asarray(eigenvalues if eigenvalues is not None
                    else 4.0 * 0.6 ** np.arange(D), dtype=float)
    if ev.shape != (D,) or np.any(ev <= 0):
        raise ValueError(f"eigenvalues must be {D} positive numbers")
    # stays serial (issue 11): one Oja path and one Sanger path, each step needs the previous
    C = _covariance(ev, rng)
    lam, V = np.linalg.eigh(C)
    lam, V = lam[::-1], V[:, ::-1]
    X = rng.standard_normal((T, D)) @ np.linalg.cholesky(C).T
    o = lr.oja(X, 0.1 * rng.standard_normal(D), eta, record_every)
    s = lr.sanger(X, 0.1 * rng.standard_normal((k, D)), eta, record_every)
    oa = lr.subspace_angles(o, V[:, 0])
    sa = lr.subspace_angles(s, V[:, :k])
    pred = float(np.sqrt(0.5 * eta * np.sum(lam[0] * lam[1:] / (lam[0] - lam[1:]))))
    late = slice(len(oa) // 2, None)
    return {"steps": record_every * np.arange(len(oa)), "oja_angle": oa, "sanger_angles": sa,
            "oja_rms_pred": pred, "oja_rms_late": float(np.sqrt(np.mean(oa[late] ** 2))),
            "sanger_late": sa[late].mean(axis=0), "eigenvalues": lam, "eta": eta,
            "oja_norm_final": float(np.linalg.norm(o[-1]))}
