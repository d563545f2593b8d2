"""Chapter 7's findings and glued text from the experiments' tables."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ...claims import Finding, held_for_referee
from ._common import fit_loglog_slope
from ._experiments import n_to_reach
from ._parameters import (
    _RAD_TAIL, FeatureLearningChapter, LOSS_TARGET_A_STAR, R_LATENT, RADEMACHER_DRAWS,
    SERIES_M, SMOOTH_FLOOR, SMOOTHNESS, THRESHOLD_CURSE, THRESHOLD_SC,
)
from ._verdicts import (
    a_star_verdict, assumption1_verdict, assumption2_verdict, axis_spreads, best_axis,
    bound_constant_verdict, COLLAPSE_TOLERANCE, combined_verdict, constants_within,
    curse_verdict, flops_verdict, heaviside_verdict, kernel_rate_verdict, lemma1_verdict,
    nonsymmetric_verdict, ordering_verdict, per_neuron_d2_verdict, population_gradient_verdict,
    rademacher_verdict, ridge_norm_verdict, ridge_verdict, series_verdict, smoothness_verdict,
    solver_verdict, support_verdict, TALK_GPU_RATE, width_verdict, zero_init_verdict,
)


def _slope(x, y):
    """:func:`fit_loglog_slope`, or ``(nan, nan)`` for fewer than two points (a short table)."""
    if len(x) < 2:
        return float("nan"), float("nan")
    return fit_loglog_slope(np.asarray(x, dtype=float), np.asarray(y, dtype=float))


def _fmt_n(v, n_min, n_max):
    if not np.isfinite(v):
        return f"more than {int(n_max):,}"
    return f"at most {int(n_min)}" if v <= n_min else f"about {v:,.0f}"


#: The fixed text of the findings built by :func:`_verdict_finding`: figure, section, the note
#: per verdict, the settings tried (listed for "not reproduced") and a note suffix.
_VERDICT_TEXT = {
    "004.lemma1": dict(
        figure="feature_learning_lemma1_population_gradient",
        notes={"reproduced with a caveat": "one of the two checks (remainder slope -1 within "
                                           "0.15; constant within two error bars) missed",
               "not reproduced": "neither the remainder slope nor the constant matched"},
        tried=("exact series and Monte Carlo gradients", "constants 1/2, 1/pi, 1/sqrt(pi)"),
        section="fl-lemma1"),
    "004.kernel-dp": dict(
        figure="feature_learning_sample_complexity",
        notes={"reproduced with a caveat":
               "the NTK's n grows faster in d than Algorithm 1's; at these d the count of "
               "polynomials binom(d+p, p) is pre-asymptotic, so the exponent p is not pinned",
               "not checkable here": "the NTK reached the threshold at fewer than two d",
               "not reproduced": "the NTK's n did not grow faster in d than Algorithm 1's"},
        tried=("oracle ridge", "NTK with a trained bias"),
        section="fl-sample-complexity"),
    "004.assumption2": dict(
        figure="feature_learning_assumption2",
        notes={"reproduced with a caveat": "without H, Algorithm 1 learns far worse than with "
                                           "it at the same sizes, but not nothing: the gradient "
                                           "noise is anisotropic along u",
               "not checkable here": "the control target was not learned at every p at these "
                                     "sizes",
               "not reproduced": "Algorithm 1 learned the H = 0 target as well"},
        tried=("p = 3 and 4", "oracle ridge from 3 values", "random features beside it"),
        section="fl-assumption2"),
    "004.thm1-width": dict(
        figure="feature_learning_width_sweep",
        notes={"reproduced with a caveat": "the loss falls with m, but more slowly than "
                                           "m^(-1/2) over the whole range: the n terms, fixed "
                                           "in m, already matter at the larger widths",
               "not reproduced": "the loss does not fall with m"},
        tried=("mean absolute and squared error", "slope over all m and over the smaller half"),
        section="fl-width"),
    "004.kernel-cost": dict(
        figure="feature_learning_solver_scaling",
        notes={"reproduced with a caveat": "one of the two (Cholesky time slope at least 2.3; "
                                           "plain Richardson not converging within its cap) "
                                           "missed",
               "not reproduced": "neither cost statement showed"},
        note_suffix="; a Nystrom preconditioner makes the iteration fast (tens of steps), which "
                    "the talk does not consider",
        tried=("timings on one thread", "CG beside Richardson"),
        section="fl-solvers"),
}


def _verdict_finding(claim_id, verdict, regime, *, values):
    """A :class:`~kernelnet.claims.Finding` with the fixed text of ``_VERDICT_TEXT[claim_id]``:
    the note for ``verdict`` (empty for "reproduced" unless listed; + the entry's
    ``note_suffix``), its figure and section, and its ``tried`` for a "not reproduced" verdict
    (the contract requires it there; the other verdicts of this chapter leave it empty)."""
    t = _VERDICT_TEXT[claim_id]
    notes = t["notes"]
    note = notes[verdict] if verdict != "reproduced" else notes.get(verdict, "")
    return Finding(claim_id, verdict, regime, values=values, figures=(t["figure"],),
                   note=note + t.get("note_suffix", ""),
                   tried=tuple(t["tried"]) if verdict == "not reproduced" else (),
                   section=t["section"])


def _assemble(p, *, curse, lemma1, alignment, sc, solv, hv, a2, width, series_terms,
              nonsymmetric, smoothness, support, checks):
    text = {}
    findings = []

    # --- curse of dimensionality (bandwidth and ridge both tuned on the test set)
    ds = sorted(curse.d.unique())
    n_min, n_max = int(curse.n.min()), int(curse.n.max())
    ne_t = n_to_reach(curse, THRESHOLD_CURSE, by=("d",)).set_index("d")
    ne_m = n_to_reach(curse.assign(error=curse.error_median), THRESHOLD_CURSE,
                      by=("d",)).set_index("d")
    curse_ne = pd.DataFrame({"tuned": ne_t.n_eps, "median_heuristic": ne_m.n_eps})
    last = curse[curse.n == n_max].set_index("d")
    text["fl-curse-neps"] = ", ".join(f"{_fmt_n(ne_t.n_eps[d], n_min, n_max)} (d = {d})"
                                      for d in ds)
    text["fl-curse-neps-med"] = ", ".join(f"{_fmt_n(ne_m.n_eps[d], n_min, n_max)} (d = {d})"
                                          for d in ds)
    text["fl-curse-nmax"] = f"{n_max:,}"
    text["fl-curse-errs"] = ", ".join(f"{last.error[d]:.2g} (d = {d})" for d in ds)
    text["fl-curse-errs-med"] = ", ".join(f"{last.error_median[d]:.2g} (d = {d})" for d in ds)
    bw = curse.bandwidth_factor
    text["fl-curse-bw"] = ", ".join(f"{f:g}" for f in sorted(bw.unique()))
    text["fl-curse-bw-grid"] = ", ".join(f"{f:g}" for f in sorted(p["curse_bandwidths"]))
    grid = sorted(p["curse_bandwidths"])
    live = curse.error > 1e-6  # cells at the floor of the solve tie for every bandwidth
    edge = int(((curse.bandwidth_factor == grid[0]) | (curse.bandwidth_factor == grid[-1]))[live]
               .sum())
    text["fl-curse-edge"] = f"{edge} of {int(live.sum())}"
    vc = curse_verdict({d: float(ne_t.n_eps[d]) for d in ds}, n_min, n_max)
    findings.append(Finding(
        "004.curse", vc,
        f"Gaussian-kernel ridge regression of a sum of 16 random cosines on [0, 1]^d, "
        f"d = {', '.join(map(str, ds))}, n = {n_min}..{n_max}; bandwidth from "
        f"{len(grid)} multiples of the median heuristic and ridge from 4 values, both chosen "
        f"on the test set",
        values={**{f"n_to_0.1_d{d}": (float(ne_t.n_eps[d]) if np.isfinite(ne_t.n_eps[d])
                                      else f"> {n_max}") for d in ds},
                **{f"n_to_0.1_median_bw_d{d}": (float(ne_m.n_eps[d])
                                                if np.isfinite(ne_m.n_eps[d]) else f"> {n_max}")
                   for d in ds},
                **{f"error_at_nmax_d{d}": float(last.error[d]) for d in ds}},
        figures=("feature_learning_curse_of_dimensionality",),
        tried=(f"bandwidths {', '.join(f'{b:g}' for b in grid)} x the median heuristic "
               f"(best at the grid's edge in {edge} of {int(live.sum())} cells not at the floor "
               "of the solve)", "ridges 1e-6, 1e-4, 1e-2, 1 (relative to the mean diagonal)",
               "the median-heuristic bandwidth alone (values n_to_0.1_median_bw_*)"),
        note=("a lower bound over a smoothness class, shown on one target with one kernel: the "
              "samples needed grow with d, the exponent is not measured"
              if vc == "reproduced with a caveat" else
              "the tuned kernel did not need more samples in higher d on this target; a "
              "minimax lower bound over a class is not refuted by one target"),
        section="fl-curse"))

    # --- Lemma 1
    g = lemma1.groupby("d")
    agg = g.agg(cos_mc=("cos_mc", "mean"), cos_exact=("cos_exact", "mean"),
                relerr_mc=("relerr_mc", "mean"), relerr_exact=("relerr_exact", "mean"),
                rem_exact=("remainder_exact", "mean"), rem_mc=("remainder_mc", "mean"),
                se=("se", "mean"), c_mc=("c_mc", "mean"), c_exact=("c_exact", "mean"),
                c_se=("c_se", "mean"), nL=("norm_L", "mean"), m=("neuron", "count"))
    # error bar of the neuron-averaged c: the neurons share the Monte Carlo samples, so their
    # errors are correlated; mean(std) bounds std(mean) without assuming independence
    agg["c_err"] = agg.c_se
    dims = agg.index.to_numpy()
    slope_exact, _ = _slope(dims, agg.rem_exact)
    dmax, dmin, dmid = int(dims.max()), int(dims.min()), int(dims[len(dims) // 2])
    text["fl-l1-slope"] = f"{slope_exact:.2f}"
    text["fl-l1-dmax"] = f"{dmax}"
    text["fl-l1-cos"] = f"{agg.cos_exact[dmax]:.4f}"
    text["fl-l1-rel"] = (f"{agg.relerr_exact[dmin]:.2f} at d = {dmin} to "
                         f"{agg.relerr_exact[dmax]:.3f} at d = {dmax}")
    text["fl-l1-c"] = f"{agg.c_mc[dmax]:.4f} ± {agg.c_err[dmax]:.4f}"
    text["fl-l1-cmid"] = f"{agg.c_mc[dmid]:.4f} ± {agg.c_err[dmid]:.4f} at d = {dmid}"
    text["fl-l1-cex"] = f"{agg.c_exact[dmax]:.4f}"
    ratio = lemma1.mc_vs_exact / lemma1.se
    text["fl-l1-mcz"] = f"{ratio.mean():.2f}"
    text["fl-l1-mczmax"] = f"{ratio.max():.2f}"
    cands = {"1/√(2π)": 1 / math.sqrt(2 * math.pi), "1/2": 0.5, "1/π": 1 / math.pi,
             "1/√π": 1 / math.sqrt(math.pi)}
    ok = constants_within(float(agg.c_mc[dmax]), float(agg.c_err[dmax]), cands)
    text["fl-l1-cverdict"] = (
        "of the candidates 1/√(2π), 1/2, 1/π and 1/√π, only " + ", ".join(ok) + " "
        + ("is" if len(ok) == 1 else "are") + " within two error bars" if ok else
        "none of 1/√(2π), 1/2, 1/π, 1/√π is within two error bars")
    resolved = agg.rem_mc > 3 * agg.se
    text["fl-l1-resolved-all"] = (
        "at every d of the sweep" if resolved.all() else
        f"only up to d = {int(dims[resolved].max()) if resolved.any() else 0}; beyond that the "
        "sample sizes that fit in this chapter measure the leading term but not the remainder, "
        "and the slope comes from the exact series")
    vl = lemma1_verdict(slope_exact, float(agg.c_mc[dmax]), float(agg.c_err[dmax]))
    findings.append(_verdict_finding(
        "004.lemma1", vl,
        f"make_target r = 2, p = 3 (half the variance in He_2), {int(agg.m.iloc[0])} neurons "
        f"of the symmetric initialisation per d, d = {dmin}..{dmax}; exact population "
        f"gradient (finite Hermite series) and {p['lemma1_n_mc']:,} Monte Carlo samples",
        values={"remainder_slope": slope_exact, "c_fit_at_dmax": float(agg.c_mc[dmax]),
                "c_err_at_dmax": float(agg.c_err[dmax]), "cos_at_dmax": float(agg.cos_exact[dmax]),
                "mc_error_over_errorbar_mean": float(ratio.mean())}))

    # --- first step: pooled subspace and per-neuron gradients, on each candidate axis
    r = R_LATENT
    fin = alignment[np.isfinite(alignment.n_over_d2r)]
    stats = {"sin_max": "pooled: top-r subspace of W1",
             "neuron_noise_median": "per neuron: gradient error / Lemma 1 term (median)",
             "neuron_noise_mean": "per neuron: gradient error / Lemma 1 term (mean)",
             "neuron_sin_median": "per neuron: sine of its angle to span(U) (median)"}
    sp = {k: axis_spreads(fin, k, r=r) for k in stats}
    spreads = pd.DataFrame(sp).T
    spreads.index.name = "statistic"
    pooled_best = best_axis(sp["sin_max"])
    neuron_best = best_axis(sp["neuron_noise_median"])
    at1 = fin[np.isclose(fin.n_over_d2r, 1.0, rtol=0.02)].groupby("d").sin_max.mean()
    slope_at1 = _slope(at1.index, at1.values)[0] if len(at1) >= 2 else float("nan")
    sl = {d: _slope(gg.n_over_d2r, gg.sin_max)[0] for d, gg in fin.groupby("d")}
    sln = {d: _slope(gg.n_over_d2r, gg.neuron_noise_median)[0]
           for d, gg in fin.groupby("d")}
    inf = alignment[~np.isfinite(alignment.n_over_d2r)].set_index("d")
    text["fl-al-slopes"] = ", ".join(f"{v:.2f} (d = {d})" for d, v in sl.items())
    text["fl-al-nslopes"] = ", ".join(f"{v:.2f} (d = {d})" for d, v in sln.items())
    text["fl-al-at1"] = ", ".join(f"{v:.2f} (d = {d})" for d, v in at1.items())
    text["fl-al-at1-slope"] = f"{slope_at1:.2f}"
    text["fl-al-inf"] = ", ".join(f"{v:.3f} (d = {d})" for d, v in inf.sin_max.items())
    text["fl-al-ninf"] = ", ".join(f"{v:.2f} (d = {d})" for d, v in inf.neuron_sin_median.items())
    for key, lab in (("pooled", "sin_max"), ("neuron", "neuron_noise_median")):
        for ax_label, tag in (("n/(d r)", "dr"), ("n/(d^1.5 r)", "d15r"), ("n/(d^2 r)", "d2r")):
            text[f"fl-al-{key}-{tag}"] = f"{sp[lab][ax_label]:.2f}"
    text["fl-al-pooled-best"] = f"n/(d r)" if pooled_best is None else pooled_best
    text["fl-al-neuron-best"] = f"n/(d^2 r)" if neuron_best is None else neuron_best
    text["fl-al-pooled-says"] = {
        "n/(d r)": "So the pooled subspace is found once n is a multiple of d r, earlier than the "
                   "d² r the theorem asks for",
        "n/(d^2 r)": "So the pooled subspace needs n of order d² r, the theorem's scale",
    }.get(pooled_best, f"So the pooled subspace is found on a scale between d r and d² r "
                       f"({pooled_best})")
    text["fl-al-neuron-says"] = ("that is the source's d²" if neuron_best == "n/(d^2 r)" else
                                 f"not the source's d² but {neuron_best}")
    text["fl-sum-alignment"] = (
        f"After one step the first layer's top singular subspace, pooled over the neurons, "
        f"matches span(U) on the scale {pooled_best}; each neuron's own gradient concentrates "
        f"on the scale {neuron_best}")
    dims_al = sorted(fin.d.unique())
    regime_al = (f"one step of Algorithm 1 (eta1 = sqrt d, symmetric init, m = "
                 f"{p['alignment_m']}) on make_target r = 2, p = 3, d = "
                 f"{', '.join(map(str, dims_al))}, n = c d^2 r for c = "
                 f"{', '.join(f'{c:g}' for c in p['alignment_factors'])}; spreads across d on "
                 f"the axes n/(d^k r), k = 1, 1.5, 2")
    vn = per_neuron_d2_verdict(sp["neuron_noise_median"])
    findings.append(Finding(
        "004.first-step-d2", vn, regime_al,
        values={f"spread_neuron_{k}": v for k, v in sp["neuron_noise_median"].items()}
        | {f"spread_neuron_mean_{k}": v for k, v in sp["neuron_noise_mean"].items()}
        | {f"spread_neuron_sine_{k}": v for k, v in sp["neuron_sin_median"].items()},
        figures=("feature_learning_first_step_alignment",),
        note={"reproduced": "",
              "reproduced with a caveat": "the per-neuron gradient error collapses on "
                                          "n/(d^2 r) only within a wider spread, or another "
                                          "axis is slightly better",
              "not reproduced": "the per-neuron gradient error does not collapse on n/(d^2 r)",
              "not checkable here": "fewer than two d, or no common range of n"}[vn],
        tried=("the median and the mean over neurons of the gradient error (values "
               "spread_neuron_*, spread_neuron_mean_*)", "the median sine of each neuron's "
               "angle to span(U) (spread_neuron_sine_*)", "axes n/(d r), n/(d^1.5 r), n/(d^2 r)",
               f"collapse tolerance {COLLAPSE_TOLERANCE}"),
        section="fl-alignment"))
    findings.append(Finding(
        "004.first-step-pooled", "finding of ours", regime_al,
        values={f"spread_pooled_{k}": v for k, v in sp["sin_max"].items()}
        | {"sin_at_n_eq_d2r_slope_in_d": slope_at1},
        figures=("feature_learning_first_step_alignment",),
        note=(f"the top-r subspace of W1, pooled over all m neurons, collapses best on "
              f"{pooled_best} (spread {sp['sin_max'].get(pooled_best, float('nan')):.2f}; on "
              f"n/(d^2 r): {sp['sin_max']['n/(d^2 r)']:.2f}): it estimates the range of H, "
              "which needs n of order d r, while each neuron's own gradient needs d^2 r "
              "(claim 004.first-step-d2); the source's d^2 is about the latter"),
        section="fl-alignment"))

    # --- sample complexity
    ne = n_to_reach(sc, THRESHOLD_SC)
    ps = sorted(sc.p.unique())
    fits = {}
    for pp in ps:
        for meth in ("algorithm1", "rf", "ntk"):
            gg = ne[(ne.method == meth) & (ne.p == pp) & np.isfinite(ne.n_eps) & ~ne.censored_low]
            if len(gg) >= 2:
                fits[(meth, int(pp))] = _slope(gg.d, gg.n_eps)[0]

    def fmt_slope(meth):
        parts = [f"{fits[(meth, pp)]:.2f} for p = {pp}" for pp in ps if (meth, pp) in fits]
        return ", ".join(parts) if parts else "not measurable in this range"

    def pred_slopes(meth, f):
        out = []
        for pp in ps:
            gg = ne[(ne.method == meth) & (ne.p == pp) & np.isfinite(ne.n_eps) & ~ne.censored_low]
            if len(gg) >= 2:
                out.append(f"{_slope(gg.d, [f(int(d), pp) for d in gg.d])[0]:.2f} "
                           f"for p = {pp}")
        return ", ".join(out) or "-"

    text["fl-sc-slope-net"] = fmt_slope("algorithm1")
    text["fl-sc-slope-ntk"] = fmt_slope("ntk")
    text["fl-sc-slope-rf"] = fmt_slope("rf")
    text["fl-sc-nmax"] = f"{int(sc.n.max()):,}"
    text["fl-sc-net-best"] = (f"{sc[sc.method == 'algorithm1'].groupby(['p', 'd']).error.min().max():.3f}")
    kmax = int(sc[sc.method == "ntk"].n.max()) if (sc.method == "ntk").any() else 0
    text["fl-sc-kmax"] = f"{kmax:,}"
    text["fl-sc-pred-net"] = pred_slopes("algorithm1", lambda d, pp: d * d * r + d * r**pp)
    text["fl-sc-pred-ntk"] = pred_slopes("ntk", lambda d, pp: math.comb(d + pp, pp))
    wins, pairs = 0, 0
    for (pp, d), gg in ne.groupby(["p", "d"]):
        gk = gg[gg.method == "ntk"]
        if gk.empty:
            continue
        nn_ = gg[gg.method == "algorithm1"].n_eps.iloc[0]
        nk_ = gk.n_eps.iloc[0]
        pairs += 1
        wins += bool(np.isfinite(nn_) and (not np.isfinite(nk_) or nn_ < nk_))
    text["fl-sc-order"] = f"at {wins} of the {pairs} (d, p) pairs where the kernel was run"
    text["fl-sum-sc"] = (
        f"On the range that fits in a chapter, Algorithm 1 reaches a fixed error with fewer "
        f"samples than NTK regression {text['fl-sc-order']}")
    names = {"algorithm1": "Algorithm 1", "rf": "random features", "ntk": "NTK (with bias)"}
    unreached = ne[~np.isfinite(ne.n_eps)]
    text["fl-sc-unreached"] = "; ".join(
        f"{names[mm]} at p = {pp}, d = {d}"
        for mm, pp, d in zip(unreached.method, unreached.p, unreached.d)) or "none"
    regime_sc = (f"make_target r = 2, p = {', '.join(map(str, ps))}, d = "
                 f"{', '.join(map(str, sorted(sc.d.unique())))}, n up to {int(sc.n.max()):,} "
                 f"(NTK up to {kmax:,}), width {p['sc_m']}, oracle ridge from 3 values for "
                 f"every method, threshold {THRESHOLD_SC}")
    vo = ordering_verdict(wins, pairs)
    findings.append(Finding(
        "004.thm1-samples", vo, regime_sc,
        values={"wins": wins, "pairs": pairs,
                **{f"slope_alg1_p{pp}": fits[("algorithm1", pp)] for pp in ps
                   if ("algorithm1", pp) in fits}},
        figures=("feature_learning_sample_complexity",),
        note=(f"Algorithm 1 reaches error {THRESHOLD_SC} with fewer samples than the NTK at "
              f"{wins} of {pairs} (d, p) pairs; d spans less than a decade, so the exponent of "
              "d^2 r + d r^p is not pinned"),
        tried=(("oracle ridge for every method", "p = 3 and 4") if vo == "not reproduced"
               else ()),
        section="fl-sample-complexity"))
    slope_k = next((fits[("ntk", pp)] for pp in ps if ("ntk", pp) in fits), float("nan"))
    pk = next((pp for pp in ps if ("ntk", pp) in fits), None)
    slope_n = fits.get(("algorithm1", pk), float("nan")) if pk is not None else float("nan")
    vk = kernel_rate_verdict(slope_k, slope_n)
    findings.append(_verdict_finding(
        "004.kernel-dp", vk, regime_sc,
        values={f"slope_ntk_p{pp}": fits[("ntk", pp)] for pp in ps if ("ntk", pp) in fits}))

    # --- Assumption 2 and Theorem 2
    a_alg = a2[a2.method == "algorithm1"]
    nmax_a2 = int(a2.n.max())
    at_max = a_alg[a_alg.n == nmax_a2]
    err_h0 = {int(pp): float(e) for pp, e in zip(at_max[at_max.target == "H = 0"].p,
                                                 at_max[at_max.target == "H = 0"].error)}
    err_ct = {int(pp): float(e) for pp, e in zip(at_max[at_max.target == "rank H = 1"].p,
                                                 at_max[at_max.target == "rank H = 1"].error)}
    rf_max = a2[(a2.method == "rf") & (a2.n == nmax_a2)]
    err_rf0 = {int(pp): float(e) for pp, e in zip(rf_max[rf_max.target == "H = 0"].p,
                                                  rf_max[rf_max.target == "H = 0"].error)}
    d_a2 = int(a2.d.iloc[0])
    sin_h0 = {int(pp): float(s) for pp, s in zip(at_max[at_max.target == "H = 0"].p,
                                                 at_max[at_max.target == "H = 0"].sin_first_step)}
    sin_ct = {int(pp): float(s) for pp, s in
              zip(at_max[at_max.target == "rank H = 1"].p,
                  at_max[at_max.target == "rank H = 1"].sin_first_step)}
    h0 = a_alg[a_alg.target == "H = 0"]
    text["fl-a2-h0-range"] = ", ".join(
        f"{h0[h0.p == pp].error.min():.2f} to {h0[h0.p == pp].error.max():.2f} (p = {pp})"
        for pp in sorted(err_h0))
    text["fl-a2-nmin"] = f"{int(a2.n.min()):,}"
    text["fl-a2-nmax"] = f"{nmax_a2:,}"
    text["fl-a2-d"] = f"{d_a2}"
    text["fl-a2-h0"] = ", ".join(f"{err_h0[pp]:.2f} (p = {pp})" for pp in sorted(err_h0))
    text["fl-a2-ct"] = ", ".join(f"{err_ct[pp]:.3f} (p = {pp})" for pp in sorted(err_ct))
    text["fl-a2-rf"] = ", ".join(f"{err_rf0[pp]:.2f} (p = {pp})" for pp in sorted(err_rf0))
    text["fl-a2-sin-h0"] = ", ".join(f"{sin_h0[pp]:.2f} (p = {pp})" for pp in sorted(sin_h0))
    text["fl-a2-sin-ct"] = ", ".join(f"{sin_ct[pp]:.2f} (p = {pp})" for pp in sorted(sin_ct))
    text["fl-a2-ratio"] = ", ".join(f"{nmax_a2 / d_a2 ** (pp / 2):.0f} (p = {pp})"
                                    for pp in sorted(err_h0))
    va_pre = assumption2_verdict(err_h0, err_ct)
    text["fl-a2-says"] = {
        "reproduced": "The H = 0 targets are not learned, and what is left of the first step "
                      "is noise; that noise has a shape, though:",
        "reproduced with a caveat": "The failure is not total, and the reason is the talk's "
                                    "own caveat:",
        "not reproduced": "Algorithm 1 learns the H = 0 targets nearly as well as the controls, "
                          "and the reason is the talk's own caveat:",
        "not checkable here": "The controls themselves are not learned at these sizes, so this "
                              "run cannot tell. One mechanism is worth knowing anyway:",
    }[va_pre]
    text["fl-sum-a2"] = {
        "reproduced": "Without Assumption 2 (H = 0) Algorithm 1 does not learn the target",
        "reproduced with a caveat": "Without Assumption 2 (H = 0) the first step loses its "
                                    "signal and Algorithm 1 learns far worse than with "
                                    "rank H = r, though the anisotropic noise of the gradient "
                                    "still points part of the way",
        "not reproduced": "Without Assumption 2 (H = 0) Algorithm 1 still learned the targets "
                          "here, through the anisotropic noise of its gradient",
        "not checkable here": "Whether Assumption 2 is needed could not be told at these sizes",
    }[va_pre]
    regime_a2 = (f"Algorithm 1 (m = {int(a2.m.iloc[0])}, eta1 = sqrt d, oracle ridge from 3) on "
                 f"He_p(u.x)/sqrt(p!) (H = 0) and on make_target r = 1 (rank H = 1), d = "
                 f"{d_a2}, p = {', '.join(map(str, sorted(err_h0)))}, n up to {nmax_a2:,}")
    va = assumption2_verdict(err_h0, err_ct)
    findings.append(_verdict_finding(
        "004.assumption2", va, regime_a2,
        values={**{f"error_H0_p{pp}": err_h0[pp] for pp in err_h0},
                **{f"error_control_p{pp}": err_ct[pp] for pp in err_ct},
                **{f"error_rf_H0_p{pp}": err_rf0[pp] for pp in err_rf0}}))
    findings.append(Finding(
        "004.thm2", "not checkable here", regime_a2,
        values={f"n_over_d^(p/2)_p{pp}": nmax_a2 / d_a2 ** (pp / 2) for pp in err_h0},
        figures=("feature_learning_assumption2",),
        note=("a lower bound over every correlational statistical-query learner (queries "
              "answered up to an adversarial tolerance) cannot be checked by running one "
              "learner; what Algorithm 1 does learn of the H = 0 targets here comes through the "
              "random, not adversarial, noise of its empirical gradient, the caveat the source "
              "states itself"),
        section="fl-assumption2"))

    # --- Theorem 1's width term
    wm = width.groupby("m").agg(l1=("l1", "mean"), l1_sd=("l1", "std"), mse=("mse", "mean"),
                                a_norm=("a_norm", "mean")).reset_index()
    slope_w = _slope(wm.m, wm.l1)[0]
    half = wm[wm.m <= wm.m.median()]
    slope_w_small = _slope(half.m, half.l1)[0]
    anorm_slope = _slope(wm.m, wm.a_norm)[0]
    text["fl-w-slope"] = f"{slope_w:.2f}"
    text["fl-w-slope-small"] = f"{slope_w_small:.2f}"
    text["fl-w-anorm"] = f"{anorm_slope:.2f}"
    text["fl-w-range"] = f"{int(wm.m.min())} to {int(wm.m.max()):,}"
    text["fl-w-l1"] = (f"{wm.l1.iloc[0]:.3f} at m = {int(wm.m.iloc[0])} to "
                       f"{wm.l1.iloc[-1]:.3f} at m = {int(wm.m.iloc[-1]):,}")
    text["fl-w-n"] = f"{p['width_n']:,}"
    text["fl-w-d"] = f"{p['width_d']}"
    vw = width_verdict(slope_w)
    text["fl-sum-width"] = {
        "reproduced": "At fixed n the loss falls with the width at least as fast as Theorem 1's "
                      "m^(-1/2)",
        "reproduced with a caveat": "At fixed n the loss falls with the width, more slowly than "
                                    "m^(-1/2) over the whole range",
        "not reproduced": "At fixed n the loss did not fall with the width",
    }[vw]
    regime_w = (f"Algorithm 1 on make_target d = {p['width_d']}, r = 2, p = 3, n = "
                f"{p['width_n']:,} (n/(d^2 r) = {p['width_n'] / (p['width_d'] ** 2 * 2):.0f}), "
                f"m = {', '.join(map(str, p['width_ms']))}, {p['width_repeats']} network(s) "
                f"per m, oracle ridge; excess L1 loss = test mean absolute error (noiseless "
                f"labels)")
    findings.append(_verdict_finding(
        "004.thm1-width", vw, regime_w,
        values={"l1_slope_in_m": slope_w, "l1_slope_small_m": slope_w_small,
                "a_norm_slope_in_m": anorm_slope}))

    # --- solvers
    chol = solv[solv.method == "cholesky"]
    pcg = solv[solv.method == "cg+nystrom"]
    s_ch, a_ch = _slope(chol.n, chol.seconds)
    s_pc, a_pc = _slope(pcg.n, pcg.seconds)
    text["fl-sv-slope-chol"] = f"{s_ch:.2f}"
    text["fl-sv-slope-pcg"] = f"{s_pc:.2f}"
    if np.isfinite(s_ch) and np.isfinite(s_pc) and s_ch != s_pc:
        n_star = math.exp((a_pc - a_ch) / (s_ch - s_pc))
        inside = chol.n.min() <= n_star <= chol.n.max()
        text["fl-sv-cross"] = (f"n ≈ {n_star:,.0f} "
                               f"({'inside' if inside else 'outside'} the measured range)")
    else:
        text["fl-sv-cross"] = "not determined"
    it = solv.groupby("method").n_iter.max()
    text["fl-sv-iters"] = ", ".join(f"{mm}: {int(v)}" for mm, v in it.items() if mm != "cholesky")
    rich = solv[solv.method == "richardson"]
    rich_conv = bool(len(rich) and rich.converged.all())
    text["fl-sv-rich"] = ("did not converge within its cap" if len(rich) and not rich_conv
                          else "converged")
    conv = solv[solv.converged & np.isfinite(solv.rel_diff) & (solv.method != "cholesky")]
    text["fl-sv-diff"] = f"{conv.rel_diff.max():.1e}"
    text["fl-sv-nmax"] = f"{int(solv.n.max()):,}"
    vs = solver_verdict(s_ch, rich_conv)
    regime_sv = (f"Gaussian kernel on N(0, I_10), ridge 1e-4 n, tolerance 1e-6, n = "
                 f"{int(solv.n.min()):,}..{int(solv.n.max()):,}, one thread")
    findings.append(_verdict_finding(
        "004.kernel-cost", vs, regime_sv,
        values={"cholesky_time_slope": s_ch, "pcg_time_slope": s_pc,
                "richardson_converged": rich_conv}))

    # --- Heaviside
    err = hv["errors"]
    iters = sorted(hv["network_fits"])
    sig = sorted(hv["kernel_loss"])
    T, s0 = iters[-1], sig[-1]
    k_T = err[(err.fit == f"kernel sigma={s0}") & (err.t == T)].iloc[0]
    n_T = err[(err.fit == "network (GD)") & (err.t == T)].iloc[0]
    text["fl-hv-T"] = f"{T:,}"
    text["fl-hv-kmse"] = f"{k_T.train_mse:.2e}"
    text["fl-hv-nmse"] = f"{n_T.train_mse:.2e}"
    text["fl-hv-sigma"] = f"{s0}"
    text["fl-hv-direct"] = (f"{err[(err.fit == f'kernel sigma={s0}') & ~np.isfinite(err.t)].iloc[0].train_mse:.2e}")
    ev = hv["eigenvalues"][s0]
    text["fl-hv-ndir"] = f"{int((ev >= ev[0] / T).sum())}"
    text["fl-hv-ndir10"] = f"{int((ev >= ev[0] / 10).sum())}"
    start = min(100, T // 10)
    text["fl-hv-slk"] = f"{_slope(np.arange(start, T + 1), hv['kernel_loss'][s0][start - 1:])[0]:.2f}"
    text["fl-hv-sln"] = f"{_slope(np.arange(start, T + 1), hv['network_loss'][start - 1:])[0]:.2f}"
    text["fl-hv-start"] = f"{start}"
    vh = heaviside_verdict(float(k_T.rmse_away), float(n_T.rmse_away))
    findings.append(Finding(
        "004.heaviside", vh,
        f"y = 1(x >= 0) from 200 points on [-1, 1]; Gaussian kernel (sigma = "
        f"{', '.join(map(str, sig))}) Richardson iterations against full-batch GD on a width-64 "
        f"ReLU network, {T:,} iterations each",
        values={"kernel_train_mse": float(k_T.train_mse), "network_train_mse": float(n_T.train_mse),
                "kernel_rmse_away": float(k_T.rmse_away), "network_rmse_away": float(n_T.rmse_away)},
        figures=("feature_learning_heaviside_kernel_vs_network",),
        note="" if vh == "reproduced" else "the network did not fit the jump better",
        tried=(("two bandwidths", "RMS error away from the jump") if vh == "not reproduced"
               else ()),
        section="fl-heaviside"))

    # --- the remaining statements (a failing check is held for a referee) ----------------
    ck = checks
    n_before = len(findings)

    # Algorithm 1 (a definition), the ridge head, the initialisations
    rc = ck["ridge"]
    text["fl-rg-lstsq"] = f"{rc['closed_vs_lstsq']:.0e}"
    text["fl-rg-gd"] = f"{rc['gd_vs_ridge']:.0e}"
    text["fl-rg-T"] = f"{rc['T']:,}"
    text["fl-rg-w0"] = f"{rc['w0_left_after_step']:.0e}"
    regime_rg = (f"Algorithm 1 on make_target d = {rc['d']}, r = 2, p = 3, n = {rc['n']}, "
                 f"m = {rc['m']}, weight decay lambda = {rc['lam']} (lambda' = n lambda / 2 on "
                 f"Phi^T Phi); T = {rc['T']:,} steps of the head loop (25 / (eta lambda))")
    findings.append(Finding(
        "004.alg1", "not checkable here", regime_rg,
        values={"w0_left_after_first_step": rc["w0_left_after_step"],
                "gd_head_vs_ridge_head": rc["gd_vs_ridge"], "T": rc["T"]},
        note=("a definition (the algorithm), not a statement with a truth value; the library "
              "implements it step by step (kernelnet.feature_learning.algorithm1) and its parts "
              "are checked: lambda_1 = 1/eta_1 leaves nothing of W^(0) (values), the head loop "
              "reaches the ridge head (004.ridge), and what it learns is 004.thm1-samples"),
        section="fl-targets"))
    vr = ridge_verdict(max(rc["closed_vs_lstsq"], rc["closed_vs_head"]), rc["gd_vs_ridge"])
    findings.append(Finding(
        "004.ridge", vr, regime_rg,
        values={"closed_form_vs_lstsq": rc["closed_vs_lstsq"],
                "closed_form_vs_library_head": rc["closed_vs_head"],
                "gd_head_vs_ridge_head": rc["gd_vs_ridge"], "eta_lambda": rc["eta_lambda"]},
        note={"reproduced": "the library's head minimises (1/n)||Phi a - y||^2 + (lambda/2)||a||^2, "
                            "the talk's formula with lambda' = n lambda / 2",
              "reproduced with a caveat": "the formula holds; the head loop had not reached "
                                          "the ridge head after T steps",
              "not reproduced": "the closed form disagreed with an independent solve"}[vr],
        tried=(("stacked least squares", "the library's ridge head") if vr == "not reproduced"
               else ()),
        section="fl-targets"))
    si = ck["symmetric_init"]
    text["fl-si-max"] = f"{si['corrected_max']:g}"
    text["fl-si-literal"] = f"{si['as_written_max']:.2f}"
    vsi = zero_init_verdict(si["corrected_max"])
    findings.append(Finding(
        "004.symmetric-init", vsi,
        f"symmetric_init (pairs j, j + m/2), m = {p['lemma1_m'] * 2}, d = {p['a2_d']} and "
        f"{max(p['lemma1_dims'])}, 2,000 Gaussian inputs each",
        values={"max_abs_f0_corrected": si["corrected_max"],
                "max_abs_f0_as_written": si["as_written_max"]},
        note=(f"with the talk's pairing as written (a_j = -a_(m-j), 1-based) neuron m/2 pairs "
              f"with itself and neuron m with none: max |f_theta0| = "
              f"{si['as_written_max']:.2f}" + ("" if vsi == "reproduced" else
                                                 "; the corrected pairing was not 0 either")),
        tried=(("the pairing as written",) if vsi == "not reproduced" else ()),
        section="fl-targets"))
    ns_ = nonsymmetric
    e_sym = float(ns_[ns_.init == "symmetric"].error.iloc[0])
    small = ns_[ns_.init != "symmetric"].sort_values("c")
    c_small = float(small.c.iloc[0])
    e_small = float(small.error.iloc[0])
    vns = nonsymmetric_verdict(e_sym, e_small)
    text["fl-ns-sym"] = f"{e_sym:.4f}"
    text["fl-ns-rows"] = ", ".join(f"{e:.4f} at output RMS {f0:.2f}"
                                   for e, f0 in zip(small.error, small.f0_rms))
    regime_ns = (f"Algorithm 1 (m = {p['nonsym_m']}, oracle ridge from 3) on make_target d = "
                 f"{p['width_d']}, r = 2, p = 3, n = {p['width_n']:,}; a_j = +-1, w_j ~ N(0, "
                 f"c^2 I/(d m)) independent, b = 0, c = "
                 f"{', '.join(f'{c:g}' for c in p['nonsym_scales'])}, against the symmetric "
                 f"initialisation on the same data")
    findings.append(Finding(
        "004.nonsymmetric-init", vns, regime_ns,
        values={"error_symmetric": e_sym,
                **{f"error_c{c:g}": float(e) for c, e in zip(small.c, small.error)},
                **{f"f0_rms_c{c:g}": float(f) for c, f in zip(small.c, small.f0_rms)}},
        note={"reproduced": (f"'small' matters: the errors for c = "
                             f"{', '.join(f'{c:g}' for c in small.c)} are "
                             f"{', '.join(f'{e:.4f}' for e in small.error)} against "
                             f"{e_sym:.4f} from the symmetric start; an output at "
                             "initialisation of the size of the target drowns the first step"),
              "reproduced with a caveat": (f"at c = {c_small:g} the error is {e_small:.4f} "
                                           f"against {e_sym:.4f} from the symmetric start"),
              "not reproduced": (f"at c = {c_small:g} the error is {e_small:.4f} against "
                                 f"{e_sym:.4f} from the symmetric start")}[vns],
        tried=((f"scales c = {', '.join(f'{c:g}' for c in p['nonsym_scales'])}",
                "oracle ridge from 3 values") if vns == "not reproduced" else ()),
        section="fl-targets"))
    a1 = ck["assumption1"]
    text["fl-a1-span"] = f"{a1['out_of_span_max']:.0e}"
    text["fl-a1-sv"] = f"{a1['mc_sv_excess']:.0e}"
    text["fl-a1-z"] = f"{a1['mc_vs_exact_over_se']:.2f}"
    va1 = assumption1_verdict(a1["out_of_span_max"], a1["mc_sv_excess"])
    findings.append(Finding(
        "004.assumption1", va1,
        f"f(x) = g(Bx) with g of make_target (r = 2, p = 3), B = A U, A random invertible "
        f"(rows linearly independent, not orthonormal), d = {a1['d']}; central-difference "
        f"Hessians (h = {a1['h']:g}) at {a1['n_points']} points, H from {a1['n_mc']}",
        values={"hessian_outside_S_max": a1["out_of_span_max"],
                "H_sv_r+1_over_sv_1": a1["mc_sv_excess"], "H_sv_r_over_sv_1": a1["mc_sv_r"],
                "exact_rank_H": a1["exact_rank"],
                "mc_H_vs_exact_over_errorbar": a1["mc_vs_exact_over_se"]},
        note="" if va1 == "reproduced" else "a Hessian left S* beyond rounding",
        tried=(("finite-difference steps", "orthonormal and oblique u_i")
               if va1 == "not reproduced" else ()),
        section="fl-targets"))

    # population gradient and the series (Lemma 1's section)
    pg = ck["population_gradient"]
    text["fl-pg-fd"] = f"{pg['fd_rel_max']:.0e}"
    text["fl-pg-order"] = f"{pg['taylor_order']:.2f}"
    text["fl-pg-z"] = f"{pg['z_rms']:.2f}"
    text["fl-pg-n"] = f"{pg['n']:,}"
    vpg = population_gradient_verdict(pg["f0_max"], pg["fd_rel_max"], pg["z_rms"])
    findings.append(Finding(
        "004.population-gradient", vpg,
        f"make_target d = {pg['d']}, r = 2, p = 3, symmetric initialisation m = {pg['m']}, b = "
        f"0; {pg['n']:,} samples: gradient of the empirical loss against central differences "
        f"and against the talk's chain-rule form; the sample mean against the exact population "
        f"gradient",
        values={"max_abs_f0": pg["f0_max"], "fd_relative_error": pg["fd_rel_max"],
                "taylor_order": pg["taylor_order"],
                "chain_rule_vs_library": pg["formula_vs_library"],
                "sample_vs_population_z_rms": pg["z_rms"],
                "sample_vs_population_z_max": pg["z_max"]},
        note={"reproduced": "", "not checkable here": "f_theta0 was not 0",
              "not reproduced": "the gradient disagreed with finite differences or with the "
                                "population value"}[vpg],
        tried=(("central differences along 4 directions", "Taylor order")
               if vpg == "not reproduced" else ()),
        section="fl-lemma1"))
    st = series_terms
    slopes_series = {}
    for pp in sorted(st.p.unique()):
        for kk, g in st[(st.p == pp) & (st.k >= 1)].groupby("k"):
            if (g.norm > 0).all():
                slopes_series[(int(pp), int(kk))] = _slope(g.d, g.norm)[0]
    by_k = {}
    for (pp, kk), v in slopes_series.items():
        by_k[kk] = v if kk not in by_k or abs(v + kk / 2) > abs(by_k[kk] + kk / 2) else by_k[kk]
    mc_ratio = float(ratio.mean())
    vse = series_verdict(by_k, mc_ratio)
    text["fl-se-slopes"] = ", ".join(f"{v:.2f} (k = {kk})" for kk, v in sorted(by_k.items()))
    text["fl-se-ps"] = ", ".join(map(str, sorted(st.p.unique())))
    findings.append(Finding(
        "004.series-expansion", vse,
        f"make_target r = 2, p = {', '.join(map(str, sorted(st.p.unique())))}, "
        f"{SERIES_M} directions of the symmetric initialisation per d, d = "
        f"{min(st.d)}..{max(st.d)}: norms of the terms of eq. (1), exact; the Monte Carlo "
        f"check of the sum from the Lemma 1 sweep (p = 3)",
        values={**{f"slope_term_k{kk}_p{pp}": v for (pp, kk), v in sorted(slopes_series.items())},
                "mc_error_over_errorbar_mean": mc_ratio},
        figures=("feature_learning_lemma1_population_gradient",),
        note={"reproduced": "every non-zero term falls like d^(-k/2) (fitted slopes in "
                            "values); the k = 0 term is 0 (no constant or linear part) and for "
                            "p = 3 so is k = 3 (s_4 = 0 and no degree-4 part)",
              "reproduced with a caveat": "the leading term falls like d^(-1/2), a higher "
                                          "term does not fall like d^(-k/2)",
              "not reproduced": "the leading term or the Monte Carlo check of the sum missed",
              "not checkable here": "no leading term"}[vse],
        tried=(("p = 3 and 4", "exact series and Monte Carlo") if vse == "not reproduced"
               else ()),
        section="fl-lemma1"))

    # Theorem 1 (its bound's implied constant) and latent adaptivity (sample-complexity section)
    a1c = sc[(sc.method == "algorithm1") & (sc.n >= sc.d**2 * sc.r)].copy()
    kappa = 1.0  # make_target: H = sqrt(2q/r) U^T U with q = 1/2, so ||H^+|| / sqrt(r) = 1
    a1c["bound"] = (np.sqrt(a1c.d * a1c.r**a1c.p * kappa ** (2 * a1c.p) / a1c.n)
                    + np.sqrt(a1c.r**a1c.p * kappa ** (2 * a1c.p) / p["sc_m"])
                    + a1c.n ** -0.25)
    a1c["C"] = a1c.l1 / a1c.bound

    def c_slopes(df, log_power=0):
        if len(df) < 3 or df.d.nunique() < 2 or df.n.nunique() < 2:
            return float("nan"), float("nan")
        Amat = np.column_stack([np.ones(len(df)), np.log(df.n), np.log(df.d)])
        y_ = np.log(df.C.to_numpy(float)) - log_power * np.log(np.log(df.d.to_numpy(float)))
        coef = np.linalg.lstsq(Amat, y_, rcond=None)[0]
        return float(coef[1]), float(coef[2])

    s_n, s_d = c_slopes(a1c)
    s_d_log = {k: c_slopes(a1c, k)[1] for k in (0, 1, 2)}
    deeper = {c: c_slopes(a1c[a1c.n >= c * a1c.d**2 * a1c.r])[1] for c in (2, 4, 8)}
    by_p = {int(pp): c_slopes(a1c[a1c.p == pp])[1] for pp in sorted(a1c.p.unique())}
    vt1 = bound_constant_verdict(s_n, s_d_log)
    k_log = min((k for k, v in s_d_log.items() if np.isfinite(v) and v <= 0.1), default=None)
    text["fl-t1-sn"] = f"{s_n:.2f}"
    text["fl-t1-sd"] = f"{s_d:.2f}"
    text["fl-t1-sd-log"] = ", ".join(f"{v:.2f} (k = {k})" for k, v in s_d_log.items())
    text["fl-t1-deeper"] = ", ".join(f"{v:.2f} (n ≥ {c} d² r)" for c, v in deeper.items())
    text["fl-t1-C"] = (f"{a1c.C.min():.2f} and {a1c.C.max():.2f}" if len(a1c) else "-")
    text["fl-t1-cells"] = f"{len(a1c)}"
    findings.append(Finding(
        "004.thm1", vt1,
        regime_sc + "; cells with n >= d^2 kappa^2 r (kappa = 1), L1 = test mean absolute "
        "error (noiseless labels, so the excess loss)",
        values={"C_slope_in_n": s_n, "C_slope_in_d": s_d,
                **{f"C_over_log^{k}_d_slope_in_d": v for k, v in s_d_log.items()},
                **{f"C_slope_in_d_n>={c}d2r": v for c, v in deeper.items()},
                **{f"C_slope_in_d_p{pp}": v for pp, v in by_p.items()},
                "C_min": float(a1c.C.min()) if len(a1c) else "none",
                "C_max": float(a1c.C.max()) if len(a1c) else "none", "cells": len(a1c)},
        figures=("feature_learning_sample_complexity",),
        note={"reproduced with a caveat":
              (f"the implied constant C = L1 / (sqrt(d r^p kappa^2p / n) + sqrt(r^p kappa^2p / "
               f"m) + n^(-1/4)) falls with n (exponent {s_n:.2f}); in d it grows like "
               f"d^{s_d:.2f} (deeper in the regime: {text['fl-t1-deeper']}), and "
               f"C / log^{k_log} d does not grow: a polylogarithmic factor, which the O~ "
               f"hides. At d <= {int(a1c.d.max()) if len(a1c) else 0} a small power and a "
               "log look alike, so this checks the bound's shape, not its logarithms; "
               "constants and the probability 0.99 (one run per cell) are not measured"),
              "not reproduced": ("the implied constant of the bound grows with n, or with d "
                                 "faster than log^2 d"),
              "not checkable here": "fewer than 3 cells inside the theorem's regime"}[vt1],
        tried=(f"cells with n >= c d^2 r for c = 1, 2, 4, 8 (d exponents {s_d:.2f}, "
               f"{text['fl-t1-deeper']})",
               "p = 3 and 4 separately (d exponents " + ", ".join(
                   f"{v:.2f} for p = {pp}" for pp, v in by_p.items()) + ")",
               "C / log^k d for k = 0, 1, 2 (d exponents " + text["fl-t1-sd-log"] + ")"),
        section="fl-sample-complexity"))
    vla = combined_verdict(vo, vk)
    findings.append(Finding(
        "004.latent-adaptivity", vla, regime_sc,
        values={"wins": wins, "pairs": pairs,
                **{f"slope_{mm}_p{pp}": v for (mm, pp), v in fits.items() if mm != "rf"}},
        figures=("feature_learning_sample_complexity",),
        note={"reproduced with a caveat":
              f"on f* = g(Ux) Algorithm 1 reaches error {THRESHOLD_SC} before the NTK at {wins} "
              f"of {pairs} (d, p) pairs and its n grows more slowly in d; the NTK and random "
              "features stall near the degree-p share while they learn the quadratic part; the "
              "exponents are not pinned (004.thm1-samples, 004.kernel-dp)",
              "not reproduced": "Algorithm 1 did not need fewer samples than the NTK, or its n "
                                "did not grow more slowly in d",
              "not checkable here": "the NTK reached the threshold at fewer than two d"}[vla],
        tried=(("oracle ridge for every method", "p = 3 and 4") if vla == "not reproduced"
               else ()),
        section="fl-sample-complexity"))

    # the talk's FLOP arithmetic (solvers' section)
    chol_big = chol.sort_values("n").iloc[-1]
    rate = float(chol_big.flops / chol_big.seconds)
    t_small = 1e12 / rate
    t_big_gpu = 1e21 / TALK_GPU_RATE
    t_it_gpu = 1e14 / TALK_GPU_RATE
    t_big_cpu_years = 1e21 / rate / 3.15e7
    t_it_cpu = 2e14 / rate
    t_chol_1e4 = (math.exp(a_ch) * 1e4**s_ch) if np.isfinite(s_ch) else float("nan")
    vfl = flops_verdict(t_small, t_big_gpu, t_it_gpu, rate)
    text["fl-fl-rate"] = f"{rate:.1e}"
    text["fl-fl-n"] = f"{int(chol_big.n):,}"
    text["fl-fl-small"] = f"{t_small:.0f} s"
    text["fl-fl-chol"] = f"{t_chol_1e4:.0f} s"
    text["fl-fl-big-years"] = f"{t_big_cpu_years:.1e}"
    text["fl-fl-big-gpu"] = f"{t_big_gpu / 3.15e7:.1f}"
    text["fl-fl-it-cpu"] = f"{t_it_cpu / 3600:.1f}"
    findings.append(Finding(
        "004.kernel-flops", vfl,
        f"{regime_sv}; CPU rate measured on the Cholesky solve at n = {int(chol_big.n):,} "
        f"(2n^3/3 flops), the talk's GPU 1e13 and CPU 1e11 FLOP/s; easy and feasible = within "
        f"an hour, impossible = more than a year",
        values={"cpu_rate_measured": rate, "t_1e4_direct_at_measured_rate_s": t_small,
                "t_1e4_cholesky_extrapolated_s": t_chol_1e4,
                "t_1e7_direct_gpu_years": t_big_gpu / 3.15e7,
                "t_1e7_direct_measured_cpu_years": t_big_cpu_years,
                "t_1e7_iteration_gpu_s": t_it_gpu, "t_1e7_iteration_measured_cpu_h": t_it_cpu / 3600},
        figures=("feature_learning_solver_scaling",),
        note={"reproduced": (f"at this machine's one-thread rate a single n = 10^7 iteration "
                             f"(2n^2 flops) takes {t_it_cpu / 3600:.1f} h: feasible per "
                             "iteration needs the GPU, as the talk says"),
              "reproduced with a caveat": "this CPU is faster than the talk's 'CPU max'",
              "not reproduced": "a classification of the talk failed at these rates"}[vfl],
        tried=(("the talk's rates and the measured one", "Cholesky flop count 2n^3/3 and n^3")
               if vfl == "not reproduced" else ()),
        section="fl-solvers"))

    # the proof sketch's three steps (width section)
    wr = width
    a_star = wr[np.isfinite(wr.a_star_norm)].sort_values("m")
    s_as = _slope(a_star.m, a_star.a_star_norm)[0] if len(a_star) >= 2 else float("nan")
    vas = a_star_verdict(s_as, len(a_star))
    text["fl-as-slope"] = f"{s_as:.2f}"
    text["fl-as-range"] = (f"{int(a_star.m.min())} to {int(a_star.m.max()):,}"
                           if len(a_star) else "none")
    text["fl-as-eps"] = f"{LOSS_TARGET_A_STAR:g}"
    regime_pf = (f"{regime_w}; proof steps 1-2 at repeat 0 and m <= {p['proof_m_max']} (exact "
                 f"ridge path from one eigendecomposition)")
    findings.append(Finding(
        "004.proof-a-star", vas, regime_pf,
        values={"a_star_norm_slope_in_m": s_as, "widths": len(a_star),
                **{f"a_star_norm_m{int(mm)}": float(v)
                   for mm, v in zip(a_star.m, a_star.a_star_norm)}},
        figures=("feature_learning_width_sweep",),
        note={"reproduced": (f"a* = the smallest head reaching training MSE / Var f* <= "
                             f"{LOSS_TARGET_A_STAR:g} on the learned features (the ridge path "
                             "gives it exactly); the talk's r^p kappa^(2p) factor is not "
                             "measured, only the m^(-1/2)"),
              "reproduced with a caveat": "the smallest head norm reaching the loss target "
                                          "falls with m, more slowly than m^(-1/2)",
              "not reproduced": "the smallest head norm reaching the loss target does not "
                                "fall with m",
              "not checkable here": "the loss target was reached at fewer than 3 widths"}[vas],
        tried=((f"loss target {LOSS_TARGET_A_STAR:g}", "exact ridge path")
               if vas == "not reproduced" else ()),
        section="fl-width"))
    rn = wr[np.isfinite(wr.matched_train_mse)]
    vrn = ridge_norm_verdict(rn.matched_train_mse, rn.fresh_train_mse)
    text["fl-rn-pairs"] = ", ".join(f"{a:.4f} vs {b:.4f} (m = {int(mm)})" for a, b, mm in
                                    zip(rn.matched_train_mse, rn.fresh_train_mse, rn.m))
    findings.append(Finding(
        "004.proof-ridge-norm", vrn, regime_pf,
        values={f"m{int(mm)}": f"{a:.4g} <= {b:.4g}" for a, b, mm in
                zip(rn.matched_train_mse, rn.fresh_train_mse, rn.m)},
        figures=(),
        note={"reproduced": ("a competitor head fitted on a fresh sample with the same "
                             "features: the ridge head of the same norm has a training loss no "
                             "larger, at every width (training MSE / Var f* in values); the "
                             "head loop reaches that ridge head (004.ridge)"),
              "not reproduced": "a ridge head of the competitor's norm had a larger loss",
              "not checkable here": "no width small enough for the exact path"}[vrn],
        tried=(("exact path by eigendecomposition", "bisection on the ridge")
               if vrn == "not reproduced" else ()),
        section="fl-width"))
    gaps = wr.l1 - wr.train_l1
    bounds = 2 * wr.rad + wr.conf
    vrd = rademacher_verdict(gaps, bounds, wr.trivial_l1)
    text["fl-rd-trivial"] = f"{wr.trivial_l1.mean():.2f}"
    text["fl-rd-draws"] = f"{RADEMACHER_DRAWS}"
    text["fl-rd-gap"] = f"{gaps.max():.4f}"
    text["fl-rd-bound"] = f"{bounds.min():.3f} to {bounds.max():.3f}"
    text["fl-rd-mc"] = f"{(wr.rad_mc / wr.rad).min():.0%} to {(wr.rad_mc / wr.rad).max():.0%}"
    findings.append(Finding(
        "004.proof-rademacher", vrd, regime_w + "; Rademacher complexity of {a^T sigma(W1 x + b): "
        "||a|| <= ||a_fit||} on the training inputs, confidence term 3 M sqrt(log(200)/(2n))",
        values={"gap_max": float(gaps.max()), "bound_min": float(bounds.min()),
                "bound_max": float(bounds.max()),
                "rad_mc_over_closed_form_min": float((wr.rad_mc / wr.rad).min()),
                "rad_mc_over_closed_form_max": float((wr.rad_mc / wr.rad).max())},
        figures=("feature_learning_width_sweep",),
        note={"reproduced": ("the bound holds at every width and is below the loss of "
                             "predicting the mean; " + _RAD_TAIL),
              "reproduced with a caveat": (
                  f"the bound holds at every width but is loose: {bounds.min():.2f} to "
                  f"{bounds.max():.2f} against gaps of at most {gaps.max():.3f} and a loss of "
                  f"{wr.trivial_l1.mean():.2f} for predicting the mean, so it controls "
                  f"nothing at n = {p['width_n']:,}; " + _RAD_TAIL),
              "not reproduced": "the generalisation gap exceeded the bound at some width",
              "not checkable here": "no widths"}[vrd],
        tried=(("closed form and Monte Carlo complexity",) if vrd == "not reproduced" else ()),
        section="fl-width"))

    # adaptivity to smoothness and to a low-dimensional support
    sl = {}
    for (meth, sv_), g in smoothness.groupby(["method", "s"]):
        g = g[g.error > SMOOTH_FLOOR]
        sl.setdefault(meth, {})[float(sv_)] = (_slope(g.n, g.error)[0] if len(g) >= 2
                                               else float("nan"))
    vsm = smoothness_verdict(sl)
    text["fl-ad-smooth"] = "; ".join(
        f"{meth}: " + ", ".join(f"{v:.2f} (s = {s_:g})" for s_, v in sorted(d_.items()))
        for meth, d_ in sorted(sl.items()))
    regime_sm = (f"1-D targets sum_k k^-(s+1/2) cos(pi k (x+1) + phi_k), s = "
                 f"{', '.join(f'{s_:g}' for s_ in SMOOTHNESS)}, x ~ U[-1, 1], n = "
                 f"{', '.join(map(str, p['smooth_ns']))}; Gaussian KRR (bandwidth and ridge "
                 f"tuned on the test set) and a ReLU network of width {p['adapt_m']} with a random "
                 f"first layer and a ridge head; slopes over errors above {SMOOTH_FLOOR:g}")
    findings.append(Finding(
        "004.adaptive-smoothness", vsm, regime_sm,
        values={f"slope_{meth}_s{s_:g}": v for meth, d_ in sl.items() for s_, v in d_.items()},
        figures=("feature_learning_adaptivity",),
        note={"reproduced": ("neither method is told s, and both converge faster on smoother "
                             "targets; the network's first layer is random (its head is "
                             "trained), the network of 'NNs' in its simplest form"),
              "not reproduced": "a method's rate did not improve with the smoothness",
              "not checkable here": "too few errors above the floor to fit a slope"}[vsm],
        tried=(("bandwidths 1/32 to 1/2 of the median heuristic", "4 ridges")
               if vsm == "not reproduced" else ()),
        section="fl-adaptivity"))
    ne_su = n_to_reach(support, THRESHOLD_CURSE, by=("method", "support"))
    nm = {r_.method: float(r_.n_eps) for r_ in ne_su[ne_su.support == "manifold"].itertuples()}
    nf = {r_.method: float(r_.n_eps) for r_ in ne_su[ne_su.support == "full"].itertuples()}
    vsu = support_verdict(nm, nf)
    nsu_max = int(support.n.max())
    last_su = support[support.n == nsu_max]
    text["fl-ad-support"] = "; ".join(
        f"{meth}: {_fmt_n(nm[meth], min(p['support_ns']), nsu_max)} on the manifold, "
        f"{_fmt_n(nf[meth], min(p['support_ns']), nsu_max)} on the full cube"
        for meth in sorted(nm))
    text["fl-ad-support-err"] = "; ".join(
        f"{meth}: {g[g.support == 'manifold'].error.iloc[0]:.2g} against "
        f"{g[g.support == 'full'].error.iloc[0]:.2f}" for meth, g in last_su.groupby("method"))
    text["fl-ad-nmax"] = f"{nsu_max:,}"
    findings.append(Finding(
        "004.adaptive-support", vsu,
        f"the curse's target in 2 dimensions on a curved 2-manifold in R^8 (a bent graph, "
        f"rotated) against the 8-dimensional target on [0, 1]^8, n = "
        f"{', '.join(map(str, p['support_ns']))}; the same two methods as for smoothness; "
        f"threshold {THRESHOLD_CURSE}",
        values={**{f"n_to_0.1_{meth}_manifold": (v if np.isfinite(v) else f"> {nsu_max}")
                   for meth, v in nm.items()},
                **{f"n_to_0.1_{meth}_full": (v if np.isfinite(v) else f"> {nsu_max}")
                   for meth, v in nf.items()}},
        figures=("feature_learning_adaptivity",),
        note={"reproduced": ("the ambient dimension is 8 in both cases; what sets the samples "
                             "needed is the intrinsic dimension (the network's first layer is "
                             "random, as for smoothness)"),
              "not reproduced": "a method did not need fewer samples on the manifold"}[vsu],
        tried=(("6 bandwidths, 4 ridges",) if vsu == "not reproduced" else ()),
        section="fl-adaptivity"))

    findings[n_before:] = [held_for_referee(f) for f in findings[n_before:]]

    return FeatureLearningChapter(
        curse=curse, curse_n_eps=curse_ne, lemma1=lemma1, lemma1_summary=agg,
        alignment=alignment, alignment_spreads=spreads, sample_complexity=sc, sc_n_eps=ne,
        sc_slopes=fits, assumption2=a2, width=wm.assign(slope=slope_w), solvers=solv,
        heaviside=hv, text=text, findings=tuple(findings), params=dict(p),
        series_terms=series_terms, nonsymmetric=nonsymmetric, smoothness=smoothness,
        support=support, checks=checks)
