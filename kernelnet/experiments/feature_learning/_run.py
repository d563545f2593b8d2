"""Chapter 7's run: every experiment at the sizes of PARAMETERS."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...claims import resolve_parameters
from ._assemble import _assemble
from ._common import single_thread
from ._experiments import (
    curse_of_dimensionality, first_step_alignment, lemma1_sweep, sample_complexity,
)
from ._experiments_scale import assumption2_check, heaviside, solver_scaling, width_sweep
from ._parameters import (
    FeatureLearningChapter, LOSS_TARGET_A_STAR, PARAMETERS, R_LATENT, RADEMACHER_DRAWS,
    SERIES_M, SMOOTHNESS,
)
from ._statements import (
    adaptivity_smoothness, adaptivity_support, assumption1_check, nonsymmetric_init_check,
    population_gradient_check, ridge_check, series_terms_sweep, symmetric_init_check,
)


def run(*, quick: bool = False, seed: int = 0, threads=1, **params) -> FeatureLearningChapter:
    """Run every experiment of the chapter; sizes from :data:`PARAMETERS` (quick or full).

    CPU time of the full mode, one thread, numba warm (before and after the ridge paths, the
    fused Monte Carlo sums and the trimmed solver sizes, both run side by side on the shared
    2-core machine, load average 2-6): 410 s
    before, 306 s after (curse 24 -> 17, Lemma 1 32 -> 15, first step 6, sample complexity
    261 -> 206, solvers 65 -> 40, Heaviside 9, Assumption 2 5, width 10 -> 8); quick mode
    3.4 -> 2.5 s. Every finding and prose number is the same except the timing-based solver
    slopes. What is left is mostly the NTK of the sample-complexity sweep: its 42 direct
    solves (three ridges per cell, 21 at n = 8,000: 4 s each) and its kernel matrices (two
    arc-cosine passes per matrix); preconditioned CG on the stored NTK took twice the Cholesky
    time at n = 8,000 (60-120 iterations at ridge 1e-4), and a matrix-free NTK would recompute
    the kernel at every iteration. The checks of the talk's remaining statements (series terms,
    Assumption 1, the population gradient, both initialisations, the ridge head, adaptivity to
    support and smoothness, the proof sketch on the width sweep) add 5-10 s of CPU to the
    full mode (302 s before; 307, 309 and 311 s in three runs after; one thread, numba warm,
    load average 1-4) and 1 s to the quick mode (2.0 -> 3.0 s); every table and finding
    published before is unchanged.

    ``threads=1`` runs everything on one numba/BLAS thread (see :func:`single_thread`);
    ``threads=None`` leaves the thread settings alone.
    """
    p = resolve_parameters(PARAMETERS, quick=quick, seed=seed, **params)
    if threads == 1:
        with single_thread():
            return _run(p, quick=quick, seed=seed)
    return _run(p, quick=quick, seed=seed)


def _run(p, *, quick, seed):
    rng = np.random.default_rng(seed)
    seeds = rng.integers(2**31, size=6)
    more = rng.integers(2**31, size=2)
    curse = curse_of_dimensionality(p["curse_dims"], p["curse_ns"],
                                    bandwidths=p["curse_bandwidths"], seed=int(seeds[0]))
    lemma1 = lemma1_sweep(p["lemma1_dims"], m=p["lemma1_m"], n_mc=p["lemma1_n_mc"],
                          seed=int(seeds[1]))
    alignment = first_step_alignment(p["alignment_dims"], p["alignment_factors"],
                                     r=R_LATENT, m=p["alignment_m"], seed=int(seeds[2]))
    sc_parts = []
    for i, pp in enumerate((3, 4)):
        dims = p[f"sc_dims_p{pp}"]
        if not dims:
            continue
        sc_parts.append(sample_complexity(
            dims, p[f"sc_ns_p{pp}"], p=pp, r=R_LATENT, m=p["sc_m"], n_test=p["sc_n_test"],
            n_kernel_max=p["sc_n_kernel_max"], kernel_max_d=p["sc_kernel_max_d"],
            seed=int(seeds[3]) + i))
    sc = pd.concat(sc_parts, ignore_index=True)
    solv = solver_scaling(p["solver_ns"], n_direct_max=p["solver_n_direct_max"],
                          n_dense_max=p["solver_n_dense_max"],
                          richardson_max_n=p["solver_richardson_max_n"], rank=p["solver_rank"],
                          others_max_n=p["solver_others_max_n"],
                          seed=int(seeds[4]))
    hv = heaviside(iters=p["heaviside_iters"], seed=int(seeds[5]))
    a2 = assumption2_check(d=p["a2_d"], ps=p["a2_ps"], ns=p["a2_ns"], m=p["a2_m"],
                           seed=int(more[0]))
    width = width_sweep(d=p["width_d"], r=R_LATENT, n=p["width_n"], ms=p["width_ms"],
                        repeats=p["width_repeats"], proof_m_max=p["proof_m_max"],
                        loss_target=LOSS_TARGET_A_STAR, n_rademacher=RADEMACHER_DRAWS,
                        seed=int(more[1]))
    # the remaining statements (drawn from a third stream, so the tables above are unchanged)
    rest = rng.integers(2**31, size=7)
    extra = dict(
        series_terms=series_terms_sweep(p["lemma1_dims"], r=R_LATENT, ps=p["series_ps"],
                                        m=SERIES_M, seed=int(rest[0])),
        nonsymmetric=nonsymmetric_init_check(d=p["width_d"], r=R_LATENT, n=p["width_n"],
                                             m=p["nonsym_m"], scales=p["nonsym_scales"],
                                             seed=int(rest[1])),
        smoothness=adaptivity_smoothness(ss=SMOOTHNESS, ns=p["smooth_ns"], m=p["adapt_m"],
                                         seed=int(rest[2])),
        support=adaptivity_support(ns=p["support_ns"], m=p["adapt_m"], seed=int(rest[3])),
        checks={"assumption1": assumption1_check(d=p["a2_d"], r=R_LATENT, n_mc=p["a1_n_mc"],
                                                 seed=int(rest[4])),
                "population_gradient": population_gradient_check(
                    d=p["a2_d"], r=R_LATENT, m=p["lemma1_m"], n=p["pg_n"], seed=int(rest[5])),
                "symmetric_init": symmetric_init_check(dims=(p["a2_d"], max(p["lemma1_dims"])),
                                                       m=p["lemma1_m"] * 2, seed=int(rest[6])),
                "ridge": ridge_check(seed=int(rest[6]))})
    return _assemble(p, curse=curse, lemma1=lemma1, alignment=alignment, sc=sc, solv=solv,
                     hv=hv, a2=a2, width=width, **extra)


