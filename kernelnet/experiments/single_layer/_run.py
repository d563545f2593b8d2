r"""Chapter 4: :func:`run`, the chapter's experiments at the sizes of :data:`PARAMETERS`."""

from __future__ import annotations

import pandas as pd

from ...claims import resolve_parameters
from . import PARAMETERS
from ._assemble import _findings, _ledger_checks, _ledger_findings
from ._experiments_fits import (
    jacobian_checks,
    loss_landscape,
    peaks_random_features,
    peaks_surface,
    rank_vs_width,
)
from ._experiments_ledger import adversarial_example
from ._experiments_recovery import (
    block_gn_variants,
    curvature_vs_distance,
    identifiability,
    inverse_crime,
    optimiser_budgets,
    recovery_vs_n,
)
from ._result import SingleLayerChapter


def run(*, quick: bool = True, seed: int = 0, **params) -> SingleLayerChapter:
    """The chapter's experiments; sizes from :data:`PARAMETERS` (quick or full)."""
    import warnings

    from scipy.linalg import LinAlgWarning

    p = resolve_parameters(PARAMETERS, quick=quick, seed=seed, **params)
    ranks = rank_vs_width(list(p["rank_widths"]), n=p["rank_n"], n_f=5, random_state=seed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LinAlgWarning)
        pk = peaks_random_features(list(p["peaks_widths"]), n_train=p["n_train"],
                                   n_val=p["n_val"], random_state=seed)
        best_m = int(pk.loc[pk["val_rel_error"].idxmin(), "m"])
        fit = peaks_surface(best_m, n_train=p["n_train"], grid=p["surface_grid"],
                            random_state=seed)
    n_ill = sum(issubclass(w.category, LinAlgWarning) for w in caught)
    for w in caught:  # anything else is shown as usual
        if not issubclass(w.category, LinAlgWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    fit["m"] = best_m
    checks = jacobian_checks(random_state=seed)
    n, n_f, n_c, m = p["crime_sizes"]
    sz = dict(n=n, n_f=n_f, n_c=n_c, m=m)
    land = loss_landscape(**sz, grid=p["landscape_grid"], random_state=seed)
    crime = inverse_crime(**sz, max_iter=p["crime_iter"], random_state=seed)
    near = inverse_crime(**sz, max_iter=p["crime_iter"], start="perturbed", random_state=seed)
    rec = recovery_vs_n(list(p["recovery_ns"]), n_f=n_f, n_c=n_c, m=m,
                        max_iter=p["crime_iter"], random_state=seed)
    ident = identifiability(**sz, random_state=seed)
    curv = curvature_vs_distance(p["perturbations"], **sz, random_state=seed)
    budgets = pd.concat([optimiser_budgets(**sz, gn_iter=p["crime_iter"],
                                           cg_budgets=p["cg_budgets"],
                                           lbfgs_iters=p["lbfgs_iters"],
                                           random_start_iters=p["random_start_iters"]
                                           if k == 0 else None,
                                           random_state=seed + k).assign(seed=seed + k)
                         for k in range(p["budget_seeds"])], ignore_index=True)
    variants = block_gn_variants(**sz, gn_iter=p["crime_iter"],
                                 cg_maxiter=max(p["cg_budgets"]), dampings=p["dampings"],
                                 random_state=seed)
    adv = adversarial_example(m=p["adv_m"], max_iter=p["adv_iter"], n_lambda=p["adv_lambdas"],
                              random_state=seed)
    findings = _findings(p, ranks, pk, checks, land, crime, ident, curv, budgets, variants, adv)
    led = _ledger_checks(p, seed)
    findings += _ledger_findings(p, led)
    return SingleLayerChapter(ranks, pk, fit, n_ill, checks, land, crime, near, rec, ident, curv,
                              budgets, variants, adv, dict(quick=quick, seed=seed, **p),
                              tuple(findings), led)
