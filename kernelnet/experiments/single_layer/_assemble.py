r"""Chapter 4: the findings (verdicts, regimes, values, notes) assembled from run's tables."""

from __future__ import annotations

import numpy as np

from ...claims import Finding, held_for_referee
from . import LECTURE_SIZES
from ._experiments_ledger import (
    conjecture_fit_check,
    gn_hessian_check,
    gradient_chain_check,
    linear_fit_check,
    nonconvexity_vs_depth,
    random_labels_interpolation,
    separability_check,
    vec_kron_check,
)
from ._verdicts import (
    adversarial_verdict,
    checks_verdict,
    conjecture_verdict,
    coupling_verdict,
    depth_verdict,
    gn_speed_verdict,
    identity_verdict,
    indefinite_verdict,
    interpolation_verdict,
    inverse_crime_verdict,
    is_identified,
    linear_fit_verdict,
    nonconvexity_verdict,
    random_features_verdict,
    rank_verdict,
    REFEREE_GN_COUPLING,
    second_term_verdict,
    separability_verdict,
)


def _landscape_fractions(E):
    d2s = E[:, 2:] - 2 * E[:, 1:-1] + E[:, :-2]   # second differences along s (dK)
    d2t = E[2:, :] - 2 * E[1:-1, :] + E[:-2, :]   # along t (dW)
    # along t the loss is convex; second differences below 1e-12 |E| are rounding
    return float(np.mean(d2s < 0)), float(np.mean(d2t < -1e-12 * np.abs(E).max()))


def _gn_work_comparison(cr):
    rec = cr.recovery.set_index("method")
    h = cr.histories
    lb_work = int(rec.loc["L-BFGS", "matvecs"])
    per_work = {m: float(h[(h.method == m) & (h.matvecs <= lb_work)].excess.min())
                for m in ("Gauss-Newton-CG", "L-BFGS")}
    return rec, per_work


def _ledger_checks(p, seed):
    """The checks of the ledger's last rows of seed 001 (small; sizes from ``p``)."""
    n_tr = p["n_train"]
    ms = (n_tr, 2 * n_tr, 4 * n_tr)
    return {
        "separability": separability_check(random_state=seed),
        "linear_fit": linear_fit_check(random_state=seed),
        "conjecture": conjecture_fit_check(random_state=seed),
        "interp_ridge": random_labels_interpolation(n=n_tr, ms=ms, random_state=seed),
        "interp_exact": random_labels_interpolation(n=n_tr, ms=(n_tr, 2 * n_tr), reg=0.0,
                                                    random_state=seed),
        "depth": {s: nonconvexity_vs_depth(p["depths"], n_lines=p["depth_lines"],
                                           weight_scale=s, random_state=seed)
                  for s in ("fan-in", "unit")},
        "vec_kron": vec_kron_check(random_state=seed),
        "chain": gradient_chain_check(random_state=seed),
        "gn_hessian": gn_hessian_check(random_state=seed),
    }


def _ledger_findings(p, led):
    """Findings of the ledger's last rows of seed 001."""
    out = []
    sep = led["separability"]
    v = separability_verdict(sep["separable_raw"], [sep["separable_lifted"],
                                                    sep["separable_random"]])
    out.append(Finding(
        "001.embed-separable", v,
        f"two concentric rings in 2-D (radii 1 and 2, radial noise 0.1), n = {sep['n']}; "
        f"lifted (y1, y2, y1^2 + y2^2) and {sep['m']} random tanh features; LP separability "
        "and a least-squares linear classifier",
        values={k: sep[k] for k in sep if k.startswith(("separable", "accuracy"))},
        section="sl-rank",
        note={"reproduced": "the slides' illustration, on an example of ours (the slides show "
                            "a figure, not data)",
              "reproduced with a caveat": "only some embeddings separated the rings",
              "not reproduced": "the example did not show it"}[v],
        tried=("lifting and random features",) if v == "not reproduced" else ()))
    lf = led["linear_fit"]
    z = (lf["ratio_mean"] - lf["ratio_closed"]) / lf["ratio_se"]
    v = linear_fit_verdict(lf["no_solution_all"], z, lf["normal_vs_lstsq"],
                           lf["control_residual"])
    out.append(Finding(
        "001.linear-fit", v,
        f"Y, C standard normal, n = {lf['n']}, n_f = {lf['n_f']}, n_c = {lf['n_c']}, "
        f"{lf['n_rep']} draws; lstsq and the normal equations; a consistent control C = W0 Y",
        values={"residual_ratio_mean": lf["ratio_mean"], "residual_ratio_se": lf["ratio_se"],
                "residual_ratio_closed_form": lf["ratio_closed"], "z": float(z),
                "no_exact_solution_in_every_draw": lf["no_solution_all"],
                "normal_vs_lstsq": lf["normal_vs_lstsq"],
                "control_residual": lf["control_residual"]},
        section="sl-rank",
        note={"reproduced": "",
              "reproduced with a caveat": "the residual differs from its closed form",
              "not reproduced": "an exact solution existed, or least squares failed"}[v],
        tried=(f"{lf['n_rep']} draws",) if v == "not reproduced" else ()))
    cj = led["conjecture"]
    nl = cj[cj.activation != "identity"]
    full = nl[nl["rank"] == nl["n"]]
    ctrl = float(cj[cj.activation == "identity"].resid_lstsq.min())
    resid = float(full[["resid_lstsq", "resid_pinv"]].max().max()) if len(full) else float("nan")
    v = conjecture_verdict(len(full) > 0, resid, ctrl)
    out.append(Finding(
        "001.conjecture-fit", v,
        "Y standard normal, n = 200, n_f = 5, random one-hot C (n_c = 3), K and b standard "
        f"normal, m = {', '.join(str(m) for m in sorted(set(nl.m)))}, tanh and ReLU; lstsq and "
        "the pseudo-inverse; the identity as control",
        values={"n_full_rank": len(full), "n_draws": len(nl), "max_residual_full_rank": resid,
                "max_cond_full_rank": float(full.cond.max()) if len(full) else float("nan"),
                "identity_residual": ctrl},
        section="sl-rank",
        note={"reproduced": "the slide's \"possible\" (with its two question marks) is a plain "
                            "fact of linear algebra once "
                            "the rank is n: m >= n unknowns per row, n independent equations"
                            + ("" if len(full) == len(nl) else
                               f"; {len(nl) - len(full)} of {len(nl)} random draws fell short of "
                               "rank n (a ReLU unit dead on every example, or an example no "
                               "unit sees) and are left out"),
              "reproduced with a caveat": "full rank, but the fit is only approximate in "
                                          "floating point, or the control also fitted",
              "not reproduced": "a Z with m >= n was rank deficient"}[v],
        tried=("tanh and ReLU, two widths",) if v == "not reproduced" else ()))
    ri, ex_ = led["interp_ridge"], led["interp_exact"]
    err_exact = float(ex_.train_rel_error.iloc[0])
    v = interpolation_verdict(err_exact, float(ex_.train_rel_error.min()),
                              float(ri.train_rel_error.min()))
    out.append(Finding(
        "001.random-features.interpolate", v,
        f"peaks points, n = {p['n_train']}, i.i.d. standard normal labels (no structure), tanh, "
        f"K and b standard normal; least squares (lstsq) at m = "
        f"{', '.join(str(m) for m in ex_.m)}, ridge lambda = 1e-10 at m = "
        f"{', '.join(str(m) for m in ri.m)}",
        values={f"lstsq_at_m_{int(r.m)}": float(r.train_rel_error) for r in ex_.itertuples()}
        | {f"ridge_at_m_{int(r.m)}": float(r.train_rel_error) for r in ri.itertuples()},
        figures=("single_layer_peaks",), section="sl-random-features",
        note={"reproduced": "interpolation of arbitrary labels checked; 'very easy to program' "
                            "and 'a benchmark' are judgments, not numbers",
              "reproduced with a caveat": "least squares interpolates arbitrary labels once m "
                                          "is large enough, but in floating point that can "
                                          "take m > n, and the ridge fit (lambda = 1e-10) "
                                          "may not get there (the tanh features of 2-D points "
                                          "are ill-conditioned); 'very easy to program' and "
                                          "'a benchmark' are judgments, not numbers",
              "not reproduced": "random features did not interpolate the labels"}[v],
        tried=("exact and ridge least squares, m = n to 4n",) if v == "not reproduced"
        else ()))
    dp = led["depth"]
    srt = {s: t.sort_values("depth") for s, t in dp.items()}
    v = depth_verdict([t.frac_negative.to_numpy() for t in srt.values()],
                      [t.frac_negative_se.to_numpy() for t in srt.values()])
    out.append(Finding(
        "001.nonconvex-depth", v,
        f"tanh networks with {', '.join(map(str, p['depths']))} hidden layers of width 20, "
        f"n = 200, n_f = 10, n_c = 5, soft labels from a teacher of the same depth; "
        f"{p['depth_lines']} random lines through the truth (per-layer directions scaled to "
        "the layer's norm, radius 2, 41 points); weights N(0, 1/fan-in) and N(0, 1)",
        values={f"frac_negative_{s}_depth{int(d)}": float(f)
                for s, t in dp.items() for d, f in zip(t.depth, t.frac_negative)},
        section="sl-nonconvex",
        note={"reproduced": "measured as the share of negative curvature along random lines "
                            "through the truth (one measure of 'worse' among several)",
              "reproduced with a caveat": "the share of negative curvature rises from one "
                                          "layer to the deepest, but steps down on the way "
                                          "(beyond twice its standard error)",
              "not reproduced": "negative curvature did not grow with depth"}[v],
        tried=("weights N(0, 1/fan-in) and N(0, 1)",
               f"{p['depth_lines']} random lines per depth") if v == "not reproduced" else ()))
    vk = led["vec_kron"]
    v = identity_verdict([vk["identity_err"], vk["jacobian_fd_err"], vk["matvec_err"]],
                         vk["control_row_major_err"])
    out.append(Finding(
        "001.vec-kron", v, "A 4 x 3, X 3 x 5 standard normal, column-major vec; central "
        "differences (h = 1e-3, exact for a linear map up to rounding); a row-major vec as "
        "control",
        values={k: vk[k] for k in vk},
        section="sl-jacobians",
        note={"reproduced": "vec is column-major (stacking columns), as in MATLAB's X(:)",
              "reproduced with a caveat": "the row-major control did not fail",
              "not reproduced": "the identity or its mat-vec failed"}[v],
        tried=("column- and row-major vec",) if v == "not reproduced" else ()))
    ch = led["chain"]
    v = identity_verdict([ch["err_K"], ch["err_b"], ch["err_W"]], ch["err_W_as_written"],
                         tol=1e-6)
    out.append(Finding(
        "001.gradient-chain", v,
        f"tanh, one bias per unit, n = {ch['n']}, n_f = {ch['n_f']}, m = {ch['m']}, "
        f"n_c = {ch['n_c']}, random soft labels, mean cross-entropy; central differences "
        "(h = 1e-6); the slide's grad_S E Y^T on a second net with m = n_f",
        values={k: ch[k] for k in ("err_K", "err_b", "err_W", "err_W_as_written")},
        section="sl-jacobians",
        note={"reproduced": "with the errata's Z^T in grad_W E (the slide's Y^T has the wrong "
                            "shape, and is wrong where the shapes agree)",
              "reproduced with a caveat": "the slide's Y^T did not differ from Z^T",
              "not reproduced": "a chain-rule gradient differs from finite differences"}[v],
        tried=("central differences",) if v == "not reproduced" else ()))
    gh = led["gn_hessian"]
    v = identity_verdict([gh["fd_err"], gh["lib_err"], gh["gn_symmetry"],
                          max(0.0, -gh["gn_min_eig_rel"])], gh["second_rel"], tol=1e-6)
    out.append(Finding(
        "001.gn-hessian", v,
        f"tanh, one bias per unit, n = {gh['n']}, n_f = {gh['n_f']}, m = {gh['m']}, "
        f"n_c = {gh['n_c']}, random weights and soft labels (not a fit); both terms built "
        "densely against central differences of the gradient (h = 1e-5) and the library's "
        "exact Hessian",
        values={k: gh[k] for k in ("fd_err", "lib_err", "gn_symmetry", "gn_min_eig_rel",
                                   "second_min_eig", "second_max_eig", "second_rel")},
        section="sl-gauss-newton",
        note={"reproduced": "",
              "reproduced with a caveat": "the first term alone already matched the Hessian "
                                          "(the second term vanished here)",
              "not reproduced": "the two terms do not add up to the Hessian, or the first is "
                                "not positive semi-definite"}[v],
        tried=("central differences and the library's exact Hessian",)
        if v == "not reproduced" else ()))
    return [held_for_referee(f) for f in out]


def _findings(p, ranks, pk, checks, land, crime, ident, curv, budgets, variants, adv):
    n, n_f, n_c, m = p["crime_sizes"]
    lecture = tuple(p["crime_sizes"]) == LECTURE_SIZES
    crime_regime = (f"inverse crime n = {n}, n_f = {n_f}, n_c = {n_c}, m = {m}, b = 0.1, "
                    f"K, W, Y standard normal, tanh"
                    + (" (the lecture's sizes)" if lecture else " (below the lecture's sizes)"))
    out = []
    # 001.rank
    nl = ranks[ranks.activation != "identity"]
    ident_max = int(ranks[ranks.activation == "identity"].rank_Z.max())
    n_full = int((nl.rank_Z == nl.max_rank).sum())
    v = rank_verdict(ident_max, 5, n_full, len(nl))
    out.append(Finding(
        "001.rank", v,
        f"Y, K, b standard normal, n = {p['rank_n']}, n_f = 5, widths {min(p['rank_widths'])} "
        f"to {max(p['rank_widths'])}, tanh and ReLU against the identity",
        values={"identity_max_rank": ident_max, "nonlinear_full_rank": n_full,
                "nonlinear_total": len(nl)},
        figures=("single_layer_rank",), section="sl-rank",
        note="" if v == "reproduced" else "not every nonlinear width reached full rank",
        tried=("the identity, tanh and ReLU at every width listed",)
        if v == "not reproduced" else ()))
    # 001.random-features
    i_n = int((pk.m - p["n_train"]).abs().argmin())
    at_n, best = pk.iloc[i_n], pk.loc[pk.val_rel_error.idxmin()]
    v = random_features_verdict(float(at_n.val_rel_error), float(best.val_rel_error))
    out.append(Finding(
        "001.random-features", v,
        f"peaks on [-3, 3]^2, {p['n_train']} training points, tanh, K and b standard normal, "
        f"lambda = 1e-10, widths up to {max(p['peaks_widths'])}",
        values={"val_at_m_eq_n": float(at_n.val_rel_error), "train_at_m_eq_n":
                float(at_n.train_rel_error), "best_val": float(best.val_rel_error),
                "best_m": int(best.m)},
        figures=("single_layer_peaks",), section="sl-random-features",
        note="" if v == "reproduced" else
        ("the training error reaches interpolation only at m ~ n (\"may require very large "
         "K\"), but with this many points on so smooth a surface the interpolant still "
         "generalises: the concern is a possibility, not seen in this run")))
    # 001.jacobians
    summ, adj = checks["derivative_summary"], checks["adjoint"]
    v = checks_verdict(summ.passed, adj.passed)
    out.append(Finding(
        "001.jacobians", v,
        "m = 8, n_f = 5, n = 12, tanh and ReLU, J_K, J_b, J_Y and the loss gradient; "
        "derivative check (order 2) and adjoint test (a few hundred eps)",
        values={"order1_min": float(summ.order1.min()), "adjoint_worst": float(
            adj.rel_error.max())},
        figures=("single_layer_derivative_check",), section="sl-jacobians",
        note="" if v == "reproduced" else "a check failed: a bug in the library's mat-vecs",
        tried=("tanh and ReLU, 16 steps",) if v == "not reproduced" else ()))
    # 001.nonconvex
    fK, fW = _landscape_fractions(land["E"])
    v = nonconvexity_verdict(fK, fW)
    out.append(Finding(
        "001.nonconvex", v, crime_regime + f"; two random directions, radius 2, "
                                           f"{p['landscape_grid']}^2 grid",
        values={"negative_second_differences_dK": fK, "negative_second_differences_dW": fW},
        figures=("single_layer_landscape",), section="sl-nonconvex",
        note={"reproduced": "",
              "reproduced with a caveat": "negative second differences along dW at rounding "
                                          "level",
              "not reproduced": "no negative curvature found along the direction dK"}[v],
        tried=("one pair of random directions at radius 2",) if v == "not reproduced" else ()))
    # 001.gn-fast
    rec, per_work = _gn_work_comparison(crime)
    gn_ex = float(rec.loc["Gauss-Newton-CG", "final_excess"])
    others = float(min(rec.loc["L-BFGS", "final_excess"], rec.loc["gradient descent",
                                                                   "final_excess"]))
    v = gn_speed_verdict(gn_ex, others, per_work["Gauss-Newton-CG"], per_work["L-BFGS"])
    out.append(Finding(
        "001.gn-fast", v, crime_regime + f"; random start, {p['crime_iter']} iterations, "
                                         "10 CG steps per Gauss-Newton step",
        values={"gn_excess": gn_ex, "best_other_excess": others,
                "gn_excess_within_lbfgs_work": per_work["Gauss-Newton-CG"],
                "lbfgs_excess": per_work["L-BFGS"]},
        figures=("single_layer_inverse_crime",), section="sl-gauss-newton",
        note={"reproduced": "",
              "reproduced with a caveat": "faster per iteration, but its inner CG steps cost "
                                          "more work than L-BFGS needs for the same loss",
              "not reproduced": "Gauss-Newton does not win even per iteration here"}[v],
        tried=(f"{p['crime_iter']} iterations from the same random start; per iteration and "
               "per mat-vec",) if v == "not reproduced" else ()))
    # 001.inverse-crime
    ident_ok = is_identified(ident["n_zero"], ident["n_shift"], ident["alignment"])
    all_budgets = budgets
    seed0 = int(budgets.seed.min())
    budgets = budgets[budgets.seed == seed0]
    blk = budgets[budgets.method.str.startswith("block")].sort_values("budget")
    cpl = budgets[budgets.method.str.startswith("coupled")].sort_values("budget")
    slide_err = float(blk.K_rel_error.iloc[0])
    best_row = budgets.loc[budgets.K_rel_error.idxmin()]
    v = inverse_crime_verdict(ident_ok, slide_err, float(best_row.K_rel_error))
    tried = (tuple(f"{r.method}, budget {r.budget}: K error {r.K_rel_error:.3f}"
                   for r in budgets.itertuples())
             + tuple(f"block Gauss-Newton, {r.setting}: K error {r.K_rel_error:.3f}"
                     for r in variants.itertuples()))
    out.append(Finding(
        "001.inverse-crime", v, crime_regime + "; start: the truth perturbed by 10 %",
        values={"hessian_zero_eigenvalues": ident["n_zero"], "softmax_shift_dim": m,
                "null_space_alignment": ident["alignment"],
                "smallest_positive_eigenvalue": ident["smallest_positive"],
                "condition_number": ident["condition"], "preactivation_std":
                ident["preact_std"], "median_tanh_prime": ident["median_dsigma"],
                "K_error_slide_gn": slide_err, "K_error_best": float(best_row.K_rel_error),
                "K_error_lbfgs_random_start": float(
                    budgets[budgets.method == "L-BFGS, random start"].K_rel_error.min())
                if (budgets.method == "L-BFGS, random start").any() else "not run",
                "best_method": f"{best_row.method}, budget {best_row.budget}"},
        figures=("single_layer_hessian_spectrum", "single_layer_budgets"),
        section="sl-identifiability",
        note={"reproduced": "the slide's Gauss-Newton recovers K from the 10 % start",
              "reproduced with a caveat": (
                  "the weights are identified (the Hessian at the truth vanishes only on the "
                  "softmax shift) but badly conditioned because tanh saturates; the slide's "
                  "block Gauss-Newton does not recover K, "
                  f"{best_row.method} with budget {best_row.budget} does"),
              "not reproduced": (
                  "the Hessian at the truth has more zero directions than the softmax shift"
                  if not ident_ok else "no optimiser or budget tried recovered K to 5 %")}[v],
        tried=tried if v == "not reproduced" else ()))
    # 001.gn-second-term
    off = curv[curv.perturbation > 0]
    nearest = off.loc[off.perturbation.idxmin()]
    v = second_term_verdict(off.perturbation.to_numpy(), off.second_term.to_numpy(),
                            int(nearest.n_negative))
    out.append(Finding(
        "001.gn-second-term", v, crime_regime + "; truth, truth + "
        + ", ".join(f"{e:.0%}" for e in p["perturbations"]) + " and the random start",
        values={f"ratio_at_{r.point}": float(r.second_term) for r in curv.itertuples()}
        | {"negative_eigenvalues_nearest": int(nearest.n_negative),
           "most_negative_nearest": float(nearest.most_negative)},
        figures=("single_layer_curvature",), section="sl-gauss-newton",
        note={"reproduced": "",
              "reproduced with a caveat": (
                  "the neglected term shrinks with the distance to the truth (zero there) and "
                  "is small in norm nearby, but it already makes the exact Hessian indefinite "
                  f"({int(nearest.n_negative)} negative eigenvalues at the nearest point): "
                  "small against the Hessian's norm, not against its smallest curvatures"),
              "not reproduced": "the neglected term does not shrink towards the truth"}[v],
        tried=("distances " + ", ".join(f"{e:.0%}" for e in p["perturbations"])
               + " and a random start",) if v == "not reproduced" else ()))
    # 001.gn-second-indefinite
    v = indefinite_verdict(off.residual_n_neg.to_numpy(), off.residual_n_pos.to_numpy())
    out.append(Finding(
        "001.gn-second-indefinite", v, crime_regime + "; truth + "
        + ", ".join(f"{e:.0%}" for e in p["perturbations"]) + " and the random start",
        values={f"neg_pos_at_{r.point}": f"{r.residual_n_neg} / {r.residual_n_pos}"
                for r in off.itertuples()},
        figures=("single_layer_curvature",), section="sl-gauss-newton",
        note="" if v == "reproduced" else "the neglected term had one sign at every point",
        tried=("the distances listed",) if v == "not reproduced" else ()))
    # 001.gn-coupling
    def per_seed(prefix):
        sub = all_budgets[all_budgets.method.str.startswith(prefix)]
        return sub.pivot(index="seed", columns="budget", values="K_rel_error").to_numpy()

    blk_all, cpl_all = per_seed("block"), per_seed("coupled")
    lb_all = all_budgets[all_budgets.method == "L-BFGS"].groupby("seed").K_rel_error.min()
    n_seeds = blk_all.shape[0]
    v, contra = coupling_verdict(curv.coupling.to_numpy(), blk_all, cpl_all)
    out.append(Finding(
        "001.gn-coupling", v, crime_regime + f"; start: truth + 10 %, {p['crime_iter']} "
        "outer iterations, inner CG budgets " + ", ".join(str(b) for b in p["cg_budgets"]),
        values={"coupling_min": float(curv.coupling.min()),
                "coupling_max": float(curv.coupling.max())}
        | {f"block_K_error_cg{r.budget}": float(r.K_rel_error) for r in blk.itertuples()}
        | {f"coupled_K_error_cg{r.budget}": float(r.K_rel_error) for r in cpl.itertuples()}
        | {"seeds": n_seeds,
           "seeds_block_drifts": int(np.sum(blk_all[:, -1] > blk_all[:, 0])),
           "seeds_coupled_best_better": int(np.sum(cpl_all.min(axis=1) < blk_all.min(axis=1))),
           "lbfgs_best_K_error_worst_seed": float(lb_all.max())},
        figures=("single_layer_curvature", "single_layer_budgets"), section="sl-gauss-newton",
        note={"reproduced": "",
              "reproduced with a caveat": (
                  "the coupling between the K, b and W blocks is not small (it is "
                  f"{curv.coupling.min():.0%}-{curv.coupling.max():.0%} of the Gauss-Newton "
                  "matrix), but dropping it did not hurt the recovery here"),
              "finding of ours": (
                  "the coupling is not small anywhere, the truth included "
                  f"({curv.coupling.min():.0%}-{curv.coupling.max():.0%} of the Gauss-Newton "
                  "matrix in Frobenius norm); with the lecture's step control (undamped "
                  "Gauss-Newton-CG steps and a line search) and the coupling dropped, more "
                  f"accurate inner solves move K away from the truth (on {n_seeds} of {n_seeds} "
                  "data sets), and the coupled Gauss-Newton at its best budget gets closer. "
                  "The drift comes from the block matrix together with undamped steps: the "
                  "referee's adaptive Levenberg-Marquardt damping removes it, but the block "
                  "method then stalls near K error 0.07 where the damped coupled one reaches "
                  "0.014; L-BFGS recovers K "
                  f"to {lb_all.max():.3f} or better on every data set")}[v],
        contradicts=contra,
        tried=(tuple(f"block and coupled Gauss-Newton with {b} CG steps per iteration"
                     for b in p["cg_budgets"])
               + (f"{n_seeds} data sets (seeds {seed0} to {seed0 + n_seeds - 1})",)
               + tuple(f"block Gauss-Newton, {r.setting}: K error {r.K_rel_error:.3f}"
                       for r in variants.itertuples())
               + ("exact (pseudo-inverse) inner solves at the truth + "
                  + ", ".join(f"{e:.0%}" for e in p["perturbations"]) + " and a random start",
                  f"L-BFGS budgets {', '.join(str(i) for i in p['lbfgs_iters'])} as a "
                  "reference") + REFEREE_GN_COUPLING) if contra else ()))
    # 001.adversarial
    fooled = int(np.argmax(adv.prob_after)) == adv.target
    v = adversarial_verdict(fooled, adv.relative_norm)
    out.append(Finding(
        "001.adversarial", v,
        f"scikit-learn digits (8 x 8, [0, 1]), single layer m = {p['adv_m']} trained by "
        f"Gauss-Newton ({p['adv_iter']} iterations), box-constrained penalised L-BFGS-B",
        values={"test_accuracy": adv.test_accuracy, "relative_norm": adv.relative_norm,
                "p_target_after": float(adv.prob_after[adv.target])},
        figures=("single_layer_adversarial",), section="sl-adversarial",
        note={"reproduced": "",
              "reproduced with a caveat": "the target was reached only with a perturbation "
                                          "larger than half the image's norm",
              "not reproduced": "the penalised problem never reached the target class"}[v],
        tried=(f"{p['adv_lambdas']} penalties from 1e3 to 1e-3",)
        if v == "not reproduced" else ()))
    return out
