"""The chapter's findings: the numbers of :func:`run` turned into claims records by the verdict
functions (``_findings`` and ``_more_findings``)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from kernelnet import twolayer as tl
from kernelnet.claims import Finding

from ._checks import CERT_CS, CHECK_D, STEP_REL
from ._common import _fmt_list, _slope
from ._spectrum import CONC_BLOCKS, CONC_RESOLUTION, REGIME_D_GAMMA
from ._verdicts import (
    REFEREE_REG_TABLE,
    T_LINE,
    concentration_verdict,
    discrepancy_bound_verdict,
    discrepancy_diversity_verdict,
    final_bound_verdict,
    flow_movement_verdict,
    flow_rate_verdict,
    gradient_structure_verdict,
    gram_verdict,
    key_inequality_verdict,
    lambda0_verdict,
    main_result_verdict,
    most_w_diverse_verdict,
    perturbation_verdict,
    prediction_dynamics_verdict,
    random_discrepancy_verdict,
    regulariser_diversity_verdict,
    regulariser_verdict,
    self_consistent_verdict,
    singular_value_verdict,
    sm_omega_m_verdict,
    spectrum_bound_verdict,
    spectrum_decay_verdict,
    underfit_ratio,
    weyl_verdict,
)


def _findings(p, quick, gram, gram_info, spec_table, spec_info, draws, key, disc, act, reg_raw,
              reg_paired, flat_raw, flat_paired, short_paired, flow, flow_info, checks, init,
              init_info, omega):
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

    # ============ the remaining claims (formulas two ways, random initialisations, Du et al.)
    F2, S2 = _more_findings(p, quick, gram, gram_info, spec_table, key, disc, act, reg_raw,
                            flow, flow_info, checks, init, init_info, omega)
    F.extend(F2)
    S.update(S2)
    return F, S


def _more_findings(p, quick, gram, gram_info, spec_table, key, disc, act, reg_raw, flow,
                   flow_info, checks, init, init_info, omega):
    """Findings of the claims checked after the chapter's figures (one per registry row)."""
    F, S = [], {}
    lam = p["reg_lambda"]
    chk_regime = (f"a random ReLU teacher, m = {p['check_m']} points in d = {CHECK_D}, width "
                  f"n = {p['check_n']}: the random start and after {p['check_steps']} "
                  f"gradient steps without and with R (lambda = {lam:g})")

    # 003.gradient-structure ------------------------------------------------------------------
    rel_exact = float(checks[["grad_rel_dense", "grad_rel_numba"]].to_numpy().max())
    rel_fd = float(checks.grad_rel_fd.max())
    v = gradient_structure_verdict(max(rel_exact, rel_fd), bool(checks.grad_check_passed.all()))
    F.append(Finding(
        "003.gradient-structure", v, chk_regime,
        values={"max_rel_dense_numba": rel_exact, "max_rel_central_diff": rel_fd,
                "taylor_order_min": float(checks.grad_order.min())},
        section="diverse-setting",
        note="" if v == "reproduced" else "the library gradient and D r or the finite "
        "differences disagree: a bug",
        tried=() if v == "reproduced" else ("central differences", "dense D", "numba")))

    # 003.prediction-dynamics -----------------------------------------------------------------
    e_minus, e_plus = float(checks.dyn_rel_minus.max()), float(checks.dyn_rel_plus.min())
    ident = float(checks.gram_identity.max())
    v = prediction_dynamics_verdict(e_minus, e_plus, ident)
    F.append(Finding(
        "003.prediction-dynamics", v, chk_regime + "; one explicit step W - eta D r, each unit "
        f"moving by {STEP_REL:g} of ||W||",
        values={"rel_err_minus_DtDr": e_minus, "rel_err_plus_DtDr": e_plus,
                "rel_err_DtD_vs_nGn": ident},
        section="diverse-flow",
        note={"reproduced": "",
              "reproduced with a caveat":
                  "with the talk's r = (f - y)/m the flow gives df/dt = -D^T D r: the slide "
                  "drops the minus sign (it holds as written for r = (y - f)/m, Du et al.'s "
                  "du/dt = H (y - u)); D^T D = n G_n holds to rounding",
              "not reproduced": "the step's change in f matches neither sign of D^T D r, or "
                                "D^T D != n G_n: a bug"}[v],
        tried=() if v != "not reproduced" else ("both signs", "dense D")))

    # 003.weyl-split --------------------------------------------------------------------------
    rnd_d = disc[disc.kind == "random"]
    cl_d = disc[disc.kind == "clustered"]
    gram_slack = (gram.lam_min_Gn - (gram_info["lam_min_G"] - gram.op_error)).to_numpy()
    gram_lb = gram_info["lam_min_G"] - gram.op_error.to_numpy()
    groups = {
        "random (widths sweep)": (init.slack.to_numpy(), init.weyl_lb.to_numpy()),
        "random (G_n convergence)": (gram_slack, gram_lb),
        "random (discrepancy)": ((rnd_d.lam_Gn - rnd_d.lam_G + rnd_d.op_diff).to_numpy(),
                                 (rnd_d.lam_G - rnd_d.op_diff).to_numpy()),
        "clustered": ((cl_d.lam_Gn - cl_d.lam_G + cl_d.op_diff).to_numpy(),
                      (cl_d.lam_G - cl_d.op_diff).to_numpy()),
        "trained": (checks.slack.to_numpy()[1:], checks.weyl_lb.to_numpy()[1:]),
    }
    slacks = np.concatenate([a for a, _ in groups.values()])
    lbs = np.concatenate([b for _, b in groups.values()])
    v = weyl_verdict(slacks)
    init_pos = init[init.weyl_lb > 0]
    S["weyl_sets"] = len(slacks)
    S["weyl_informative"] = int((lbs > 0).sum())
    S["weyl_init_pos"] = (len(init_pos), len(init),
                          int(init_pos.n.min()) if len(init_pos) else None)
    gram_pos = gram[gram_lb > 0]
    S["weyl_gram_from_n"] = int(gram_pos.n.min()) if len(gram_pos) else None
    F.append(Finding(
        "003.weyl-split", v,
        f"random weights: m = {init_info['m']} points in d = {init_info['d']}, widths "
        f"{_fmt_list(p['init_widths'])} ({p['init_draws']} draws), and m = {gram_info['m']}, "
        f"widths {int(gram.n.min())} to {int(gram.n.max())}; clustered weights (m = "
        f"{p['disc_m']}, n = {p['disc_n']}); trained weights ({p['check_steps']} steps, n = "
        f"{p['check_n']}, with and without R); G from the closed form, G_n from the features",
        values={"weight_sets": len(slacks), "min_slack": float(slacks.min()),
                "informative_sets": S["weyl_informative"],
                "informative_random_draws": f"{len(init_pos)} of {len(init)}",
                "lam_Gn_dense_vs_gram": float(np.abs(checks.lam_Gn_dense - checks.lam_Gn).max())},
        figures=("diverse_gram_convergence", "diverse_random_init"), section="diverse-gram",
        note=(f"Weyl's inequality holds in all {len(slacks)} weight sets (smallest slack "
              f"{slacks.min():.2g}); the lower bound lambda_m(G) - ||G - G_n|| is positive, "
              f"i.e. says something, in {S['weyl_informative']} of them: for random weights "
              + (f"at m = {init_info['m']} in {len(init_pos)} of {len(init)} draws, none "
                 f"below n = {int(init_pos.n.min())}" if len(init_pos) else
                 f"at m = {init_info['m']} in no draw up to n = {max(p['init_widths'])}")
              + (f" (from n = {S['weyl_gram_from_n']:,} at m = {gram_info['m']})"
                 if S["weyl_gram_from_n"] else "")
              + ", never for the clustered or trained weights tested, whose ||G - G_n|| "
                "exceeds lambda_m(G)" if v == "reproduced" else
              "lambda_m(G_n) fell below lambda_m(G) - ||G - G_n||: Weyl's inequality cannot "
              "fail, so this is a bug"),
        tried=() if v == "reproduced" else ("eigvalsh of G_n and of D^T D / n",)))

    # 003.spectrum-concentrates ---------------------------------------------------------------
    ct = spec_table.dropna(subset=["conc_err"]).sort_values("m")
    st = spec_table.sort_values("m")
    last = st.iloc[-1]
    tails = (st.lam_m / st.m_gamma_m).to_numpy()
    if len(ct) >= 2:
        top_last, top_slope = float(ct.conc_err.iloc[-1]), _slope(ct.m, ct.conc_err)
        v = concentration_verdict(top_last, top_slope, tails)
    else:
        top_last, top_slope, v = float("nan"), float("nan"), "not checkable here"
    S["conc_top_last"], S["conc_slope"] = top_last, top_slope
    S["conc_tail"] = (float(tails.min()), float(tails.max()))
    S["conc_m_last"] = int(last.m)
    F.append(Finding(
        "003.spectrum-concentrates", v,
        f"one draw of m uniform points on S^(d-1), d = {p['spectrum_d']}, m = "
        f"{_fmt_list(p['spectrum_m_values'])}; the first {CONC_BLOCKS} multiplicity blocks "
        f"compared where m >= {CONC_RESOLUTION} x their end, and lambda_m(G) / (m gamma_m)",
        values={"top_block_rel_err_at_largest_m": top_last, "top_err_slope": top_slope,
                "top_single_rel_err_at_largest_m": float(ct.conc_err_max.iloc[-1])
                if len(ct) else float("nan"),
                "tail_ratio_min": S["conc_tail"][0], "tail_ratio_max": S["conc_tail"][1],
                "largest_m": int(last.m)},
        figures=("diverse_kernel_spectrum",), section="diverse-spectrum",
        note={"reproduced": "",
              "reproduced with a caveat":
                  f"the top of the spectrum concentrates (block means of lambda_i(G)/m within "
                  f"{top_last:.1%} of gamma_i at m = {int(last.m)}, the error falling with "
                  f"slope {top_slope:.2f}); the bottom does not track gamma_m: lambda_m(G) / "
                  f"(m gamma_m) ranges from {S['conc_tail'][0]:.2f} to "
                  f"{S['conc_tail'][1]:.2f} over the m tested, depending on where m falls in "
                  "its multiplicity block (m gamma_m peaks at a block end: 003.spectrum-bound)",
              "not reproduced": "the top of the spectrum of G/m does not approach gamma",
              "not checkable here": "no m large enough to resolve the first blocks"}[v],
        tried=() if v != "not reproduced" else ("block means and single eigenvalues",)))

    # 003.discrepancy-diversity ---------------------------------------------------------------
    by_spread = cl_d.groupby("spread").L2.mean()
    rank_corr = float(pd.Series(by_spread.index).corr(pd.Series(by_spread.to_numpy()),
                                                      method="spearman"))
    tight = cl_d[cl_d.spread == cl_d.spread.min()]
    below = bool(rnd_d.L2.max() < tight.L2.min())
    zmax = float(np.abs(act.z).max())
    v = discrepancy_diversity_verdict(rank_corr, below, zmax)
    S["div_rank_corr"] = rank_corr
    F.append(Finding(
        "003.discrepancy-diversity", v,
        f"m = {p['disc_m']} points in d = 10, n = {p['disc_n']}: random weights and 3 clusters "
        f"of {p['disc_spreads']} spreads from 0.01 to 10 (the design knob of diversity), "
        f"{p['disc_repeats']} draws; L_2^2 against {p['disc_mc_pairs']:,} Monte Carlo pairs",
        values={"spearman_spread_L2": rank_corr, "random_L2_max": float(rnd_d.L2.max()),
                "tightest_cluster_L2_min": float(tight.L2.min()), "mc_max_abs_z": zmax},
        figures=("diverse_discrepancy",), section="diverse-discrepancy",
        note=("L_2(W)^2 is the squared L2 distance between the width-n activation kernel and "
              "its infinite-width limit (Monte Carlo within "
              f"{zmax:.1f} standard errors); it falls as the clusters spread (Spearman "
              f"{rank_corr:.2f} between spread and L_2) and is smallest for random weights: 'diverse' is "
              "read as 'spread over the sphere like random weights'")
        if v == "reproduced" else
        {"reproduced with a caveat": "L_2 falls with the spread only partly",
         "not reproduced": "L_2 does not order the weight sets by spread, or the formula "
                           "misses the kernel distance"}[v],
        tried=() if v != "not reproduced" else ("clusters of spread 0.01 to 10", "random")))

    # 003.regulariser-diversity ---------------------------------------------------------------
    base = reg_raw[reg_raw.reg == 0].set_index(["n", "repeat"])
    ek2 = tl.expected_k_squared(p["reg_d"])
    pos_rows = reg_raw[reg_raw.L2 > 0]
    pred = (1 - 1 / pos_rows.n) * pos_rows.R + 1 / (4 * pos_rows.n) - ek2
    ident_err = float((np.abs(pos_rows.L2**2 - pred) / (pos_rows.L2**2)).max())
    counts = {}
    for x, g in reg_raw[reg_raw.reg > 0].groupby("reg"):
        gg = g.set_index(["n", "repeat"])
        counts[float(x)] = (int((gg.L2 < base.loc[gg.index].L2).sum()), len(gg))
    n_lower, n_pairs = counts[float(lam)]
    v = regulariser_diversity_verdict(n_lower, n_pairs, ident_err)
    L2n = float(reg_raw[reg_raw.reg == 0].L2.mean())
    L2r = float(reg_raw[reg_raw.reg == lam].L2.mean())
    S["regdiv_lower"] = (n_lower, n_pairs)
    F.append(Finding(
        "003.regulariser-diversity", v,
        f"the regulariser runs of 003.reg-table: even ReLU teacher in d = {p['reg_d']}, m = "
        f"{p['reg_m']}, widths {_fmt_list(p['reg_widths'])}, {p['reg_steps']} steps, "
        f"{p['reg_repeats']} paired repeats, lambda = {lam:g}",
        values={"L2_no_reg_mean": L2n, "L2_reg_mean": L2r, "pairs_lower": n_lower,
                "pairs": n_pairs, "identity_rel_err": ident_err,
                "other_lambdas": "; ".join(f"{x:g}: {a} of {b} lower"
                                           for x, (a, b) in sorted(counts.items()) if x != lam)
                or "none"},
        figures=("diverse_regulariser_table",), section="diverse-regulariser",
        note=(f"with R the final L_2(W) is lower in {n_lower} of {n_pairs} paired runs (mean "
              f"{L2n:.3f} -> {L2r:.3f}); R is L_2^2 up to constants, exactly: L_2^2 = (1 - 1/n) "
              f"R + 1/(4n) - E k^2 (relative error {ident_err:.0e})"),
        tried=(tuple(f"lambda = {x:g}: lower in {a} of {b} pairs"
                     for x, (a, b) in sorted(counts.items()) if x != lam)
               if v == "not reproduced" else ())))

    # 003.most-w-diverse ----------------------------------------------------------------------
    init = init.assign(ok=(init.L2 <= init.L2_req) & (init.s2 >= init.first_term))
    frac = init.groupby("n").ok.mean()
    v = most_w_diverse_verdict(frac.to_numpy())
    fails = [int(nn) for nn in frac.index if frac.loc[nn] < 1]
    S["most_fail_widths"] = fails
    S["most_L2_ratio_max"] = float((init.L2 / init.L2_req).max())
    S["most_s2_ratio_min"] = float((init.s2 / init.first_term).min())
    F.append(Finding(
        "003.most-w-diverse", v,
        f"w ~ N(0, I), m = {init_info['m']} uniform points in d = {init_info['d']} (d gamma_m "
        f"= {init_info['d_gamma']:.3f}: below the talk's d of order 1/gamma_m), widths "
        f"{_fmt_list(p['init_widths'])}, {p['init_draws']} draws each; 'small' = L_2(W) <= "
        "(nd)^(-1/4), 'large' = s_m(D)^2 >= n m gamma_m / 2",
        values={"fraction_ok_by_width": _fmt_list(f"{x:.2f}" for x in frac),
                "L2_over_requirement_max": S["most_L2_ratio_max"],
                "s2_over_first_term_min": S["most_s2_ratio_min"]},
        figures=("diverse_random_init",), section="diverse-nice",
        note={"reproduced": "every random draw at every width has both",
              "reproduced with a caveat":
                  "every random draw has both from a moderate width on; at n = "
                  + _fmt_list(fails) + " some draw has s_m(D)^2 below n m gamma_m / 2 ('n "
                  "large enough')",
              "not reproduced": "some random draw at the largest width lacks one"}[v],
        tried=() if v != "not reproduced" else (f"widths {_fmt_list(p['init_widths'])}",)))

    # 003.sm-omega-m --------------------------------------------------------------------------
    om = omega.groupby("m").agg(ratio=("s2_over_m", "min"), n=("n", "first"), d=("d", "first"),
                                L2s=("L2_scaled", "max"), dg=("d_gamma", "min"))
    v = sm_omega_m_verdict(om.index.to_numpy(), om.ratio.to_numpy())
    sl = _slope(om.index.to_numpy(), om.ratio.to_numpy()) if len(om) >= 2 else float("nan")
    S["omega_ratios"] = _fmt_list(f"{x:.2f}" for x in om.ratio)
    S["omega_slope"] = sl
    F.append(Finding(
        "003.sm-omega-m", v,
        f"the talk's regime: d = {_fmt_list(p['omega_dims'])} with m = d + 1 (d gamma_m >= "
        f"{om.dg.min():.2f}), n = ceil(log(m) / gamma_m) = {_fmt_list(om.n)} random units, "
        f"{p['init_draws']} draws each",
        values={"min_s2_over_m_by_m": S["omega_ratios"], "slope": sl,
                "max_L2_times_nd_quarter": float(om.L2s.max())},
        figures=("diverse_random_init",), section="diverse-nice",
        note={"reproduced with a caveat":
                  f"Omega(m) hides a constant, so it is checked as a trend: the smallest "
                  f"s_m(D)^2 / m over the draws is {S['omega_ratios']} at m = "
                  f"{_fmt_list(om.index)} (slope {sl:.2f}), not falling; the regime holds only "
                  "for m <= d + 1, as d gamma_m <= 1/4 in every block",
              "not reproduced": "s_m(D)^2 / m falls as m grows in the talk's regime",
              "not checkable here": "fewer than three sizes in the regime"}[v],
        tried=() if v != "not reproduced" else (f"d = {_fmt_list(p['omega_dims'])}",)))

    # 003.final-bound -------------------------------------------------------------------------
    key_ratio = float((key.r_norm / key.bound).max())
    fslope = init_info["factor_slope"]
    med = init.groupby("n").bound_factor.median()
    v = final_bound_verdict(key_ratio, fslope)
    S["factor_first"], S["factor_last"] = float(med.iloc[0]), float(med.iloc[-1])
    F.append(Finding(
        "003.final-bound", v,
        f"the gradient-descent path of 003.key-inequality (m = {p['key_m']}, n = {p['key_n']}, "
        f"d = 10) and random weights at widths {_fmt_list(p['init_widths'])} (m = "
        f"{init_info['m']}, d = {init_info['d']})",
        values={"max_key_ratio": key_ratio, "factor_slope": fslope,
                "factor_at_smallest_width": S["factor_first"],
                "factor_at_largest_width": S["factor_last"]},
        figures=("diverse_key_inequality", "diverse_random_init"), section="diverse-nice",
        note=("(1/2m) sum (f - y)^2 <= m / (2 s_m(D)^2) ||dL/dW||^2 is the key inequality "
              f"squared (it holds on the path); the 'o' is read as the factor m / (2 "
              f"s_m(D)^2) vanishing as n grows at fixed m and d: at random initialisation it "
              f"falls from {S['factor_first']:.2g} to {S['factor_last']:.2g} (slope "
              f"{fslope:.2f} against n)") if v != "not reproduced" else
        "the factor m / (2 s_m(D)^2) does not shrink with n, or the key inequality fails",
        tried=() if v != "not reproduced" else (f"widths {_fmt_list(p['init_widths'])}",)))

    # 003.main-result -------------------------------------------------------------------------
    min_s2 = float(min(init.s2.min(), omega.s2.min()))
    min_s_path = float(key.s_min.min())
    v = main_result_verdict(key_ratio <= 1.0 + 1e-9, min_s2, min_s_path)
    F.append(Finding(
        "003.main-result", v,
        "as 003.key-inequality, 003.most-w-diverse and 003.sm-omega-m",
        values={"max_key_ratio": key_ratio, "min_s2_random": min_s2,
                "min_s_path": min_s_path,
                "loss_drop": float(key.loss.iloc[0] / key.loss.iloc[-1])},
        figures=("diverse_key_inequality",), section="diverse-nice",
        note={"reproduced with a caveat":
                  "checked through its mechanism: wherever s_m(D) > 0 the key inequality makes "
                  "a zero gradient a zero residual, the global minimum; s_m(D) > 0 for every "
                  f"random draw (smallest s_m(D)^2 {min_s2:.2g}) and along the gradient-descent "
                  f"path (smallest s_m(D) {min_s_path:.2g}); the stationary points themselves "
                  "cannot be enumerated",
              "outside the source's regime": "some measured W has s_m(D) = 0: not nice",
              "not reproduced": "the key inequality failed"}[v],
        tried=() if v != "not reproduced" else ("s_m(D) from n G_n",)))

    # 003.lambda0 ----------------------------------------------------------------------------
    fl = flow.sort_values("n")
    lam0, m_f, d_f = flow_info["lambda0"], flow_info["m"], flow_info["d"]
    half_f = 0.5 * m_f * float(tl.gamma_sequence(d_f, m_f)[-1])
    v = lambda0_verdict(lam0, fl.lam_ratio_t0.to_numpy())
    S["lam0"] = lam0
    S["lam0_half_m_gamma"] = half_f
    S["lam0_ratio_range"] = (float(fl.lam_ratio_t0.min()), float(fl.lam_ratio_t0.max()))
    flow_regime = (f"Du et al.'s normalisation, m = {m_f} uniform points in d = {d_f}, labels "
                   f"uniform on [-1, 1], widths {int(fl.n.min())} to {int(fl.n.max())}")
    F.append(Finding(
        "003.lambda0", v, flow_regime,
        values={"lambda0": lam0, "half_m_gamma_m": half_f,
                "ratio_t0_min": S["lam0_ratio_range"][0],
                "ratio_t0_max": S["lam0_ratio_range"][1]},
        figures=("diverse_gradient_flow",), section="diverse-flow",
        note=(f"lambda_0 = lambda_min(G) = {lam0:.3g} > 0 (the spherical-harmonic bound m "
              f"gamma_m / 2 = {half_f:.3g}); lambda_min(G_n(0)) / lambda_0 is "
              f"{S['lam0_ratio_range'][0]:.2f} to {S['lam0_ratio_range'][1]:.2f} across the "
              "widths") if v != "not reproduced" else "lambda_0 = 0",
        tried=() if v != "not reproduced" else ("eigvalsh of the closed-form G",)))

    # 003.du-perturbation ----------------------------------------------------------------------
    cc = fl.c_cert.to_numpy()
    v = perturbation_verdict(cc)
    S["cert_c_first"], S["cert_c_last"] = float(cc[0]), float(cc[-1])
    F.append(Finding(
        "003.du-perturbation", v, flow_regime + "; c in " + _fmt_list(f"{c:g}" for c in CERT_CS),
        values={"c_certified_by_width": _fmt_list(f"{c:g}" for c in cc)},
        figures=("diverse_gradient_flow",), section="diverse-flow",
        note={"reproduced with a caveat":
                  "c is not given; a certificate over every W whose units moved by at most R "
                  "(only units with |w_r(0)^T x_i| <= R can change their activation) proves "
                  f"lambda_min(G_n(W)) > lambda_0 / 2 for c up to {cc[-1]:g} at n = "
                  f"{int(fl.n.iloc[-1]):,}" + (f" and {cc[0]:g} at n = {int(fl.n.iloc[0]):,}"
                                               if len(cc) > 1 else ""),
              "not checkable here": "no c of the grid is certified at the widths run"}[v]))

    # 003.du-self-consistent ------------------------------------------------------------------
    top = fl.iloc[-1]
    r0 = float(top.r0)
    c_use = float(top.c_cert) if top.c_cert > 0 else 1.0
    n_slide = m_f**5 * r0 / lam0**4
    n_cross = 4 * m_f**5 * r0**2 / (c_use**2 * lam0**4)
    R_c = c_use * lam0 / m_f**2
    ratio = float(top.R_prime / R_c)
    v = self_consistent_verdict(n_slide, float(top.n), ratio)
    S["sc_n_slide"], S["sc_n_cross"], S["sc_ratio"] = n_slide, n_cross, ratio
    S["sc_move_over_R"] = float(top.max_move / R_c)
    F.append(Finding(
        "003.du-self-consistent", v, flow_regime,
        values={"n_required_slide": f"{n_slide:.2g}", "n_where_R_prime_below_R": f"{n_cross:.2g}",
                "largest_width": int(top.n), "R_prime_over_R_at_largest": ratio,
                "c_used": c_use, "movement_over_R_at_largest": S["sc_move_over_R"]},
        figures=("diverse_gradient_flow",), section="diverse-flow",
        note=(f"at m = {m_f} points (lambda_0 = {lam0:.3g}, ||r(0)|| = {r0:.2f}) the slide's "
              f"width m^5 ||r(0)|| / lambda_0^4 is {n_slide:.1e}, and R' < R (with c = "
              f"{c_use:g}, the largest certified) needs n > 4 m^5 ||r(0)||^2 / (c^2 "
              f"lambda_0^4) = {n_cross:.1e} (||r(0)||^2, not ||r(0)||); the largest width run "
              f"is {int(top.n):,}, where R' = {ratio:.0f} R; the units actually moved "
              f"{S['sc_move_over_R']:.2g} R, and lambda_min stayed above lambda_0 / 2 "
              "(003.du-rate): the conclusion holds far below the width the argument needs")
        if v == "not checkable here" else
        {"reproduced": "R' < R at the widths the statement asks for",
         "not reproduced": "R' >= R at a width the statement covers"}[v],
        tried=() if v != "not reproduced" else (f"c = {c_use:g}",)))
    return F, S
