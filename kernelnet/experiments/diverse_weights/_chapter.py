"""The chapter in one call (the chapter contract): the result and ``run``; its findings are
assembled in ``_findings.py``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kernelnet.claims import resolve_parameters

from . import PARAMETERS
from ._checks import gradient_and_dynamics_checks, omega_m_sweep, random_init_sweep
from ._common import _seed
from ._discrepancy import (
    activation_distance_check,
    key_inequality_path,
    singular_value_vs_discrepancy,
)
from ._findings import _findings
from ._spectrum import gram_convergence, kernel_spectrum, spectrum_bound_draws, spectrum_sawtooth
from ._training import (
    _long_table,
    compare_with_talk,
    gradient_flow_widths,
    paired_differences,
    regulariser_runs,
    talk_table,
)


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
    checks: pd.DataFrame
    init: pd.DataFrame
    init_info: dict
    omega: pd.DataFrame
    summary: dict
    findings: tuple



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
    checks = gradient_and_dynamics_checks(seed=seed, m=p["check_m"], n=p["check_n"],
                                          n_steps=p["check_steps"], reg=p["reg_lambda"])
    init, init_info = random_init_sweep(m=p["init_m"], widths=p["init_widths"],
                                        draws=p["init_draws"], **kw)
    omega = omega_m_sweep(dims=p["omega_dims"], draws=p["init_draws"], **kw)
    findings, summary = _findings(p, quick, gram, gram_info, spec_table, spec_info, draws, key,
                                  disc, act, reg_raw, reg_paired, flat_raw, flat_paired,
                                  short_paired, flow, flow_info, checks, init, init_info, omega)
    return DiverseWeightsResult(
        params=p, gram=gram, gram_info=gram_info, spectrum=spec, spectrum_table=spec_table,
        spectrum_info=spec_info, sawtooth=saw, blocks=blocks, bound_draws=draws, key=key,
        discrepancy=disc, activation=act, reg_raw=reg_raw, reg_table=reg_table,
        reg_paired=reg_paired, comparison=comparison, talk=talk, flat_raw=flat_raw,
        flat_paired=flat_paired, short_paired=short_paired, flow_paths=paths, flow=flow,
        flow_info=flow_info, checks=checks, init=init, init_info=init_info, omega=omega,
        summary=summary, findings=tuple(findings))
