r"""Chapter 5: :func:`run`, the chapter's experiments at the sizes of :data:`PARAMETERS`."""

from __future__ import annotations

import numpy as np

from kernelnet.claims import resolve_parameters

from . import PARAMETERS
from ._experiments_backprop import activation_equivalence, lagrangian_backprop
from ._experiments_hebbian import hebbian_growth, pca_rules
from ._experiments_linear import deep_linear, deep_linear_checks, linear_neuron
from ._experiments_perceptron import perceptron_mistakes
from ._experiments_perturbation import (
    gradient_estimates,
    learning_curves,
    perturbation_bias_sweep,
    perturbation_update_check,
    scaling,
)
from ._findings import _findings, _update_findings
from ._result import LearningRulesChapter


def run(*, quick: bool = True, seed: int = 0, **params) -> LearningRulesChapter:
    """The chapter's experiments; sizes from :data:`PARAMETERS` (quick or full)."""
    p = resolve_parameters(PARAMETERS, quick=quick, seed=seed, **params)
    draws = np.unique(np.round(np.logspace(0, np.log10(p["est_max_draws"]), 13)).astype(int))
    lag = lagrangian_backprop(seed=seed)
    est = gradient_estimates(N=8, M=4, sigma=0.1, draws=draws, n_repeats=p["est_repeats"],
                             seed=seed)
    bias = perturbation_bias_sweep(sizes=p["bias_sizes"], sigmas=p["bias_sigmas"],
                                   n_draws=p["bias_draws"], n_var_draws=p["bias_draws"],
                                   seed=seed)
    cur = learning_curves(N=6, M=4, n_runs=p["lc_runs"], seed=seed)
    sc = scaling(Ns=p["scaling_Ns"], Ms=p["scaling_Ms"], n_runs=p["scaling_runs"], seed=seed)
    act = activation_equivalence(H=5, seed=seed)
    lin = linear_neuron(D=20, n_repeats=p["ln_repeats"], gd_steps=p["ln_gd_steps"], seed=seed,
                        quick=quick)
    heb = hebbian_growth(T=p["hebb_T"], n_runs=p["hebb_runs"], seed=seed)
    pca = pca_rules(T=p["pca_T"], seed=seed)
    dl = deep_linear(eta=p["dl_eta"], seed=seed)
    per = perceptron_mistakes(n_datasets=p["perc_datasets"], seed=seed)
    upd = perturbation_update_check(sizes=p["bias_sizes"], n_draws=p["upd_draws"], seed=seed)
    dlc = deep_linear_checks(seed=seed)
    findings = _findings(p, lag, est, bias, sc, act, lin, heb, pca, dl, per)
    findings += _update_findings(p, upd, dlc)
    return LearningRulesChapter(lag, est, bias, cur, sc, act, lin, heb, pca, dl, per,
                                dict(quick=quick, seed=seed, **p), tuple(findings), upd, dlc)
