r"""Chapter 4: the chapter's glued numbers and phrases."""

from __future__ import annotations

import numpy as np

from .._prose import formatted, joined, pow10
from ._assemble import _gn_work_comparison, _landscape_fractions
from ._experiments_recovery import ZERO_TOL
from ._result import SingleLayerChapter
from ._verdicts import is_identified


def prose(res: SingleLayerChapter) -> dict:
    """The chapter's glued numbers and phrases, formatted (name -> string).

    Formatting only: the verdicts come from the findings (``claims.publish``); the phrases
    here describe what this run shows (which side of a comparison, which way a curve bends).
    """
    ranks, pk, p = res.ranks, res.peaks, res.params
    n_tr = p["n_train"]
    i_n = int((pk.m - n_tr).abs().argmin())
    at_n, best = pk.iloc[i_n], pk.loc[pk.val_rel_error.idxmin()]
    out = formatted("", {
        "sl-rank-n": int(ranks.max_rank.max()), "sl-rank-nf": int(ranks.rank_Y.iloc[0]),
        "sl-rank-ident": int(ranks[ranks.activation == "identity"].rank_Z.max()),
        "sl-peaks-ntrain": n_tr, "sl-peaks-best-m": int(best.m),
        "sl-peaks-small-m": int(pk.m.iloc[0])})
    nl = ranks[ranks.activation != "identity"]
    out["sl-rank-full"] = ("every width" if bool((nl.rank_Z == nl.max_rank).all())
                           else "all but some widths")
    out["sl-peaks-train-at-n"] = f"{at_n.train_rel_error:.1e}"
    out |= formatted(".2f", {"sl-peaks-val-at-n": at_n.val_rel_error,
                             "sl-peaks-small-val": pk.val_rel_error.iloc[0]})
    out["sl-peaks-best-val"] = f"{best.val_rel_error:.3f}"
    v = pk.val_rel_error.to_numpy()
    rise = 0 < i_n and v[i_n] > v[i_n - 1]
    fall = i_n + 1 < len(v) and v[i_n + 1] < v[i_n]
    if rise and fall:
        shape = ("The curve is not monotone: the validation error rises as m approaches n, where "
                 "the Gram matrix of the features is worst conditioned, and falls again beyond "
                 "it, where the tiny regularisation picks the minimum-norm interpolant.")
    elif rise:
        shape = ("The validation error rises as m approaches n and does not come down within "
                 "the widths tried.")
    else:
        shape = "In this run the validation error does not rise near m = n."
    out["sl-peaks-shape"] = shape
    out["sl-peaks-illcond"] = (f"{res.n_illconditioned} of the regularised solves"
                               if res.n_illconditioned else "none of the regularised solves")
    out["sl-peaks-gen"] = (
        "the model interpolates its training points and oscillates between them, the "
        "lecture's concern that random features \"may not generalize well\""
        if at_n.val_rel_error > 3 * best.val_rel_error else
        "with this many training points on so smooth a surface the interpolant still "
        "generalises, so the lecture's concern that random features \"may not generalize "
        "well\" does not bite in this run")
    summ, adj = res.checks["derivative_summary"], res.checks["adjoint"]
    out["sl-checks-all"] = "pass" if summ.passed.all() and adj.passed.all() else "do NOT all pass"
    out["sl-adjoint-worst"] = pow10(float(adj.rel_error.max()))
    out["sl-adjoint-rtol"] = f"{adj.rtol.iloc[0]:.1e}"
    o1 = summ[summ.activation == "tanh"].order1
    out["sl-order-tanh"] = f"{o1.min():.2f} to {o1.max():.2f}"
    fK, fW = _landscape_fractions(res.landscape["E"])
    out |= formatted(".0%", {"sl-land-neg-s": fK, "sl-land-neg-t": fW})
    # the inverse crime from a random start and from the truth + 10 %
    cr, near = res.crime, res.crime_near_truth
    rec, per_work = _gn_work_comparison(cr)
    gn, gd, lb = (rec.loc[k] for k in ("Gauss-Newton-CG", "gradient descent", "L-BFGS"))
    out["sl-ic-sizes"] = "n = {n}, n_f = {n_f}, n_c = {n_c}, m = {m}".format(**cr.sizes)
    out["sl-ic-iters"] = f"{int(gn.iterations)}"
    out |= formatted(".1e", {"sl-ic-gn": gn.final_excess, "sl-ic-gd": gd.final_excess,
                             "sl-ic-lb": lb.final_excess,
                             "sl-ic-gn-at-lbwork": per_work["Gauss-Newton-CG"]})
    out |= formatted(",", {"sl-ic-gn-mv": int(gn.matvecs), "sl-ic-lb-mv": int(lb.matvecs)})
    out |= formatted(".2f", {"sl-ic-gn-K": gn.K_rel_error, "sl-ic-gn-K0": gn.K_rel_error_start,
                             "sl-ic-gn-val": gn.val_kl})
    out["sl-ic-per-iter"] = ("Per iteration Gauss-Newton wins"
                             if gn.final_excess < min(gd.final_excess, lb.final_excess)
                             else "Gauss-Newton does not even win per iteration here")
    lb_ahead = per_work["L-BFGS"] < per_work["Gauss-Newton-CG"]
    out["sl-ic-per-work-intro"] = ("per unit of work it is another story" if lb_ahead
                                   else "per unit of work it stays ahead")
    out["sl-ic-winner-work"] = "L-BFGS" if lb_ahead else "Gauss-Newton"
    nrec = near.recovery.set_index("method")
    ngn, nlb = nrec.loc["Gauss-Newton-CG"], nrec.loc["L-BFGS"]
    out |= formatted(".3f", {"sl-near-K": ngn.K_rel_error, "sl-near-K0": ngn.K_rel_error_start,
                             "sl-near-lb-K": nlb.K_rel_error})
    out |= formatted(".1e", {"sl-near-val": ngn.val_kl, "sl-near-gn-exc": ngn.final_excess,
                             "sl-near-lb-exc": nlb.final_excess, "sl-near-lb-val": nlb.val_kl})
    out["sl-near-verdict"] = ("closer to the truth than it started"
                              if ngn.K_rel_error < ngn.K_rel_error_start
                              else "further from the truth than it started")
    out["sl-near-order"] = "ahead of" if ngn.final_excess < nlb.final_excess else "behind"
    # identifiability at the truth
    idf = res.identifiability
    out["sl-id-size"] = f"{idf['size']:,}"
    out |= formatted("", {"sl-id-zero": idf["n_zero"], "sl-id-m": idf["n_shift"]})
    out["sl-id-align"] = f"{1 - idf['alignment']:.0e}" if idf["alignment"] < 1 else "0"
    out |= formatted(".1e", {"sl-id-smallest": idf["smallest_positive"],
                             "sl-id-cond": idf["condition"],
                             "sl-id-median-dsigma": idf["median_dsigma"]})
    out |= formatted(".0e", {"sl-id-gap": idf["gap"], "sl-id-inv-cond": 1.0 / idf["condition"]})
    out |= formatted(".1f", {"sl-id-preact": idf["preact_std"],
                             "sl-id-sqrtnf": np.sqrt(idf["sizes"]["n_f"])})
    out["sl-id-largest"] = f"{idf['largest']:.2f}"
    out["sl-id-conclusion"] = (
        "The data do determine the weights; the problem is very badly conditioned."
        if is_identified(idf["n_zero"], idf["n_shift"], idf["alignment"]) else
        "The Hessian vanishes on more than the shift: the data do not determine the weights "
        "even locally.")
    out["sl-id-saturated"] = f"{idf['frac_saturated']:.0%}"
    block_ev = idf["block_eigenvalues"]
    out["sl-id-block-zero"] = f"{int(np.sum(np.abs(block_ev) <= ZERO_TOL * block_ev[-1]))}"
    # optimiser budgets
    allb = res.budgets
    bud = allb[allb.seed == allb.seed.min()]
    blk = bud[bud.method.str.startswith("block")].sort_values("budget")
    cpl = bud[bud.method.str.startswith("coupled")].sort_values("budget")
    lbf = bud[bud.method == "L-BFGS"].sort_values("budget")
    out["sl-bud-start"] = f"{bud.K_rel_error_start.iloc[0]:.3f}"
    out["sl-bud-iter"] = f"{int(p['crime_iter'])}"
    out["sl-bud-block"] = joined(blk.K_rel_error, ".3f")
    out["sl-bud-coupled"] = joined(cpl.K_rel_error, ".3f")
    out["sl-bud-cg"] = joined(int(b) for b in blk.budget)
    out["sl-bud-lbfgs"] = joined(lbf.K_rel_error, ".3f")
    out["sl-bud-lbfgs-its"] = joined((int(b) for b in lbf.budget), ",")
    seeds = sorted(allb.seed.unique())
    ends = []
    for sd in seeds:
        b = allb[(allb.seed == sd) & allb.method.str.startswith("block")].sort_values("budget")
        ends.append((b.K_rel_error.iloc[0], b.K_rel_error.iloc[-1]))
    out["sl-bud-nseeds"] = f"{len(seeds)}"
    out["sl-bud-seeds-drift"] = f"{sum(e1 > e0 for e0, e1 in ends)}"
    out["sl-bud-seeds-ends"] = "; ".join(f"{e0:.2f} to {e1:.2f}" for e0, e1 in ends)
    lbfgs_best = allb[allb.method == "L-BFGS"].groupby("seed").K_rel_error.min()
    out["sl-bud-seeds-lbfgs"] = f"{lbfgs_best.max():.3f}"
    rnd = bud[bud.method == "L-BFGS, random start"]
    if len(rnd):
        r0 = rnd.iloc[0]
        out["sl-rnd-its"] = f"{int(r0.budget):,}"
        out["sl-rnd-exc"] = f"{r0.final_excess:.1e}"
        out |= formatted(".2f", {"sl-rnd-K": r0.K_rel_error, "sl-rnd-K0": r0.K_rel_error_start,
                                 "sl-rnd-W": r0.W_rel_error_centred})
        out["sl-rnd-conclusion"] = (
            "from there too the optimiser finds the truth" if r0.K_rel_error <= 0.05 else
            "a network that fits the data but is not the truth; the data determine the weights "
            "near the truth, and that is not where a random start leads")
    var = res.block_variants
    out["sl-var-settings"] = "; ".join(f"{r.setting}: {r.K_rel_error:.3f}"
                                       for r in var.itertuples())
    out["sl-var-best"] = f"{var.K_rel_error.min():.3f}"
    rescued = var.K_rel_error.min() <= 0.05
    out["sl-var-intro"] = ("Some of the usual repairs do rescue the block method at these sizes"
                           if rescued else "Nor do the usual repairs rescue the block method")
    out["sl-bud-block-trend"] = ("moves away from the truth as its inner solves get more "
                                 "accurate" if blk.K_rel_error.iloc[-1] > blk.K_rel_error.iloc[0]
                                 else "gets closer to the truth with more inner steps")
    # curvature models against the distance
    cv = res.curvature
    off = cv[cv.perturbation > 0]
    fin = off[np.isfinite(off.perturbation)]
    nearest = off.loc[off.perturbation.idxmin()]
    out["sl-cv-second"] = joined(fin.second_term, ".3f")
    out["sl-cv-dists"] = joined(fin.perturbation, ".0%")
    out["sl-cv-second-random"] = f"{off.second_term.iloc[-1]:.2f}"
    out["sl-cv-neg-nearest"] = f"{int(nearest.n_negative):,}"
    out["sl-cv-neg-most"] = f"{-nearest.most_negative:.1e}"
    out |= formatted(".0%", {"sl-cv-coupling-lo": cv.coupling.min(),
                             "sl-cv-coupling-hi": cv.coupling.max(),
                             "sl-cv-coupling-truth": cv.coupling.iloc[0],
                             "sl-cv-nearest": nearest.perturbation})
    out |= formatted(".3f", {"sl-cv-exact-block-K": nearest["K_after_block"],
                             "sl-cv-exact-gn-K": nearest["K_after_gauss-newton"],
                             "sl-cv-exact-newton-K": nearest["K_after_exact"],
                             "sl-cv-nearest-K0": nearest.K_rel_error})
    # recovery against n
    rv = res.recovery
    out |= formatted(",", {"sl-rec-nmax": int(rv.n.max()), "sl-rec-n0": int(rv.n.iloc[0])})
    out |= formatted(".1e", {"sl-rec-K": rv.K_rel_error.iloc[-1],
                             "sl-rec-W": rv.W_rel_error_centred.iloc[-1],
                             "sl-rec-Wraw": rv.W_rel_error_raw.iloc[-1]})
    out["sl-rec-K0"] = f"{rv.K_rel_error.iloc[0]:.2f}"
    # adversarial
    adv = res.adversarial
    out |= formatted(".1%", {"sl-adv-acc": adv.test_accuracy, "sl-adv-rel": adv.relative_norm})
    out |= formatted("", {"sl-adv-label": adv.label, "sl-adv-target": adv.target})
    out |= formatted(".3f", {"sl-adv-pbefore": adv.prob_before[adv.label],
                             "sl-adv-pafter": adv.prob_after[adv.target],
                             "sl-adv-ptrue-after": adv.prob_after[adv.label]})
    out["sl-adv-maxpix"] = f"{np.abs(adv.perturbed - adv.image).max():.2f}"
    return out | _ledger_prose(res.ledger, p)


def _ledger_prose(led, p) -> dict:
    """Glued numbers of the ledger's last rows of seed 001."""
    sep, lf, cj = led["separability"], led["linear_fit"], led["conjecture"]
    nl = cj[cj.activation != "identity"]
    full = nl[nl["rank"] == nl["n"]]
    out = formatted("", {"sl-led-sep-n": sep["n"], "sl-led-sep-m": sep["m"],
                         "sl-led-lf-n": lf["n"], "sl-led-lf-nf": lf["n_f"],
                         "sl-led-lf-rep": lf["n_rep"], "sl-led-cj-n": int(nl["n"].iloc[0]),
                         "sl-led-depth-lines": p["depth_lines"]})
    out["sl-led-sep-acc"] = f"{sep['accuracy_raw']:.0%}"
    out["sl-led-sep-acc-emb"] = joined([sep["accuracy_lifted"], sep["accuracy_random"]], ".0%",
                                       sep=" and ")
    out["sl-led-lf-ratio"] = f"{lf['ratio_mean']:.4f} ± {lf['ratio_se']:.4f}"
    out["sl-led-lf-closed"] = f"{lf['ratio_closed']:.4f}"
    out["sl-led-cj-full"] = f"{len(full)} of {len(nl)}"
    resid = float(full[["resid_lstsq", "resid_pinv"]].max().max()) if len(full) else np.nan
    cond = float(full.cond.max()) if len(full) else np.nan
    out |= formatted(".1e", {"sl-led-lf-ne": lf["normal_vs_lstsq"],
                             "sl-led-lf-ctrl": lf["control_residual"],
                             "sl-led-cj-resid": resid, "sl-led-cj-cond": cond})
    out["sl-led-cj-ms"] = joined(sorted(set(int(m) for m in nl.m)), "", sep=" and ")
    out["sl-led-cj-ident"] = f"{cj[cj.activation == 'identity'].resid_lstsq.min():.2f}"
    ri = led["interp_ridge"]
    ie = led["interp_exact"]
    out["sl-led-int-exact"] = joined(ie.train_rel_error, ".1e", sep=" and ")
    out["sl-led-int-exact-ms"] = joined(ie.m, "", sep=" and ")
    out["sl-led-int-ms"] = joined(ri.m, "", sep=", ")
    out["sl-led-int-ridge"] = joined(ri.train_rel_error, ".1e", sep=", ")
    for s, key in (("fan-in", "fanin"), ("unit", "unit")):
        t = led["depth"][s].sort_values("depth")
        out[f"sl-led-depth-{key}"] = joined(t.frac_negative, ".3f", sep=", ")
    out["sl-led-depths"] = joined(p["depths"], "", sep=", ")
    vk, ch, gh = led["vec_kron"], led["chain"], led["gn_hessian"]
    out |= formatted(".1e", {
        "sl-led-vk-err": max(vk["identity_err"], vk["matvec_err"]),
        "sl-led-vk-fd": vk["jacobian_fd_err"],
        "sl-led-ch-err": max(ch["err_K"], ch["err_b"], ch["err_W"]),
        "sl-led-gh-fd": gh["fd_err"], "sl-led-gh-lib": gh["lib_err"],
        "sl-led-gh-min": gh["gn_min_eig_rel"]})
    out |= formatted(".2f", {"sl-led-vk-ctrl": vk["control_row_major_err"],
                             "sl-led-ch-written": ch["err_W_as_written"],
                             "sl-led-gh-second": gh["second_rel"],
                             "sl-led-gh-2min": gh["second_min_eig"],
                             "sl-led-gh-2max": gh["second_max_eig"]})
    out |= formatted("", {"sl-led-vk-entries": vk["kron_entries"],
                          "sl-led-vk-flops": vk["matvec_flops"]})
    return out
