r"""Chapter 5: the findings (verdicts, regimes, values, notes) assembled from run's tables."""

from __future__ import annotations

import numpy as np

from kernelnet.claims import Finding, held_for_referee
from kernelnet.experiments._prose import joined

from . import SMALL_SIGMA_BIAS
from ._verdicts import (
    deep_linear_gradient_verdict,
    degree_verdict,
    equivalence_verdict,
    hebbian_verdict,
    hessian_verdict,
    lagrangian_verdict,
    linear_neuron_verdict,
    np_update_verdict,
    oja_verdict,
    ordering_verdict,
    perceptron_verdict,
    raw_error_verdict,
    sanger_verdict,
    saxe_verdict,
    unbiased_verdict,
    update_verdict,
    variance_verdict,
    werfel_verdict,
)


def _update_row(upd):
    """The row of :func:`perturbation_update_check` in the notes' small-sigma regime.

    The largest sigma whose predicted relative biases (WP and NP) are at most
    :data:`SMALL_SIGMA_BIAS` (the smallest sigma if none is).
    """
    t = upd["table"].sort_values("sigma", ascending=False)
    ok = t[np.maximum(t.bias_rel_wp, t.bias_rel_np) <= SMALL_SIGMA_BIAS]
    return ok.iloc[0] if len(ok) else t.iloc[-1]


def _update_findings(p, upd, dlc):
    """The findings of the notes' update equations and of the deep linear network's gradients."""
    out = []
    r = _update_row(upd)
    sig = f"{r.sigma:g}"
    net = (f"tanh network {'-'.join(map(str, upd['sizes']))} (P = {upd['P']}), one input, "
           f"sigma = {sig} (the largest of {joined(upd['table'].sigma, 'g')} whose predicted "
           f"bias is at most {SMALL_SIGMA_BIAS:.0%} of the gradient: the notes' small sigma), "
           f"{upd['n_draws']:,} draws per form")
    tried = tuple(f"sigma = {s:g}" for s in upd["table"].sigma)
    # 002.wp-raw-error
    v = raw_error_verdict(r.q_raw_base, r.p_eff_raw_base, r.var_ratio)
    out.append(Finding(
        "002.wp-raw-error", v, net + "; raw and baseline forms on independent draws",
        values={"q_means": float(r.q_raw_base), "q_sd": float(np.sqrt(2 / r.p_eff_raw_base)),
                "var_ratio_raw_over_baseline": float(r.var_ratio),
                "var_ratios_by_sigma": joined(upd["table"].var_ratio, ".3g")},
        section="lr-update-equations",
        note={"reproduced": "",
              "reproduced with a caveat": "the same estimate in expectation only: <E Omega> = 0 "
                                          "exactly and the means agree, but one raw draw is "
                                          "noisier than a baseline-subtracted one, by a factor "
                                          "that grows as sigma falls (ERRATA 002)",
              "not reproduced": "the means of the raw and the baseline forms differ"}[v],
        tried=tried if v == "not reproduced" else ()))
    # 002.wp-update
    v = update_verdict(r.q_wp, r.p_eff_wp, r.var_rel_wp)
    out.append(Finding(
        "002.wp-update", v, net + "; mean of -eta E~ Omega over -eta sigma^2 against the backprop "
        "gradient plus its predicted sigma^2 bias",
        values={"q_mean": float(r.q_wp), "q_sd": float(np.sqrt(2 / r.p_eff_wp)),
                "cosine_mean_update_gradient": float(r.cos_wp),
                "var_one_update_over_step2": float(r.var_rel_wp),
                "bias_rel": float(r.bias_rel_wp)},
        section="lr-update-equations",
        note={"reproduced": "",
              "reproduced with a caveat": "gradient descent on average only, with step "
                                          "eta sigma^2 and the sigma^2 bias of 002.wp-unbiased: "
                                          "one update's variance exceeds the squared expected "
                                          "step",
              "not reproduced": "the mean update is not the gradient step"}[v],
        tried=tried if v == "not reproduced" else ()))
    # 002.np-update
    v = np_update_verdict(r.q_np, r.p_eff_np, r.var_rel_np, upd["diff_slope"])
    out.append(Finding(
        "002.np-update", v, net + "; NP with the clean input x^{l-1} (ERRATA) and the perturbed "
        "x~^{l-1} on the same draws",
        values={"q_mean": float(r.q_np), "q_sd": float(np.sqrt(2 / r.p_eff_np)),
                "cosine_mean_update_gradient": float(r.cos_np),
                "var_one_update_over_step2": float(r.var_rel_np),
                "gap_x_tilde_vs_x_rel": float(r.diff_rel), "gap_se": float(r.diff_se),
                "gap_slope_in_sigma": float(upd["diff_slope"])},
        section="lr-update-equations",
        note={"reproduced": "",
              "reproduced with a caveat": "gradient descent on average only (step eta sigma^2, "
                                          "one update far noisier than the step); x~ and x "
                                          "give means that differ at second order in sigma",
              "not reproduced": "the mean update, or the x~ vs x gap, not as stated",
              "not checkable here": "the x~ vs x gap was below the noise at every sigma"}[v],
        tried=tried if v == "not reproduced" else ()))
    # 002.deep-linear-gradients
    dsz = "-".join(map(str, dlc["sizes"]))
    v = deep_linear_gradient_verdict(dlc["grad_err"], dlc["check"].order1)
    out.append(Finding(
        "002.deep-linear-gradients", v, f"{dsz} linear network, {dlc['n']} Gaussian samples, "
        f"noisy linear targets; central differences (h = {dlc['h']:g}) of L from the samples",
        values={"max_rel_err_vs_finite_differences": dlc["grad_err"],
                "taylor_order": float(dlc["check"].order1)},
        section="lr-deep-linear",
        note={"reproduced": "with the errata's W_32^T in -dL/dW_21 (the notes' Sigma_32^T is "
                            "not defined)",
              "not reproduced": "the formulas do not match the loss's derivatives"}[v],
        tried=("central differences and a Taylor test",) if v == "not reproduced" else ()))
    # 002.deep-linear-nonlinear
    v = degree_verdict([dlc["d5_rel"], dlc["g4_rel"], dlc["a4_err"], dlc["control_d3_rel"]],
                       [dlc["d4_rel"], dlc["g3_rel"]])
    out.append(Finding(
        "002.deep-linear-nonlinear", v, f"{dsz} linear network, {dlc['n']} samples; loss and "
        "gradient along a random line W + tD, t = -2..3; a single linear layer as control",
        values={k: dlc[k] for k in ("d5_rel", "d4_rel", "a4_err", "g4_rel", "g3_rel",
                                    "control_d3_rel")},
        section="lr-deep-linear",
        note={"reproduced": "",
              "not reproduced": "the loss is not a quartic (or the gradient not a cubic) along "
                                "the line"}[v],
        tried=("a random line through random weights",) if v == "not reproduced" else ()))
    # a check that says the notes fail waits for a referee (CONTRIBUTING.md, the referee rule)
    return [held_for_referee(f) for f in out]


def _bias_numbers(bias, method):
    t = bias["table"][bias["table"].method == method].sort_values("sigma")
    zero = bool(np.all(t.bias_rel <= 3 * t.bias_rel_se))
    return t, zero


def _findings(p, lag, est, bias, sc, act, lin, heb, pca, dl, per):
    out = []
    # 002.lecun
    err = max(lag["delta_err"], lag["solve_err"], lag["grad_err"])
    v = lagrangian_verdict(err, lag["check"].order1, lag["check_wrong"].order1)
    out.append(Finding(
        "002.lecun", v, "tanh network 4-8-6-3, 16 samples, squared error; multipliers by back "
        "substitution and by one dense solve",
        values={"max_rel_err": err, "taylor_order": float(lag["check"].order1),
                "taylor_order_control": float(lag["check_wrong"].order1)},
        figures=("learning_rules_lagrangian_backprop_taylor",), section="lr-lecun",
        note={"reproduced": "",
              "reproduced with a caveat": "the negative control did not fail the Taylor test",
              "not reproduced": "multipliers and backprop deltas differ"}[v],
        tried=("back substitution and a dense solve; Taylor test over 16 steps",)
        if v == "not reproduced" else ()))
    # 002.wp-unbiased, 002.np-unbiased
    var = est["variance"].set_index(["method", "baseline"])
    for method, name in (("wp", "weight"), ("np", "node")):
        t, zero = _bias_numbers(bias, method)
        v = unbiased_verdict(float(t.linear_bias_rel.max()), zero, bias["slopes"][method],
                             float(t.ratio.iloc[0]))
        small = t.iloc[0]
        out.append(Finding(
            f"002.{method}-unbiased", v,
            f"linear student-teacher (N = 8, M = 4, sigma = 0.1) and a tanh network "
            f"{'-'.join(str(s) for s in bias['sizes'])} with every layer perturbed at once, one "
            f"input, sigma = {', '.join(f'{s:g}' for s in sorted(t.sigma, reverse=True))}, "
            f"{bias['n_draws']} antithetic pairs per sigma",
            values={"linear_bias_max": float(t.linear_bias_rel.max()),
                    "slope_bias_vs_sigma": bias["slopes"][method],
                    "bias_rel_smallest_sigma": float(small.bias_rel),
                    "measured_over_predicted": float(small.ratio),
                    "bias_rel_largest_sigma": float(t.bias_rel.iloc[-1]),
                    "largest_sigma": float(t.sigma.iloc[-1])},
            figures=("learning_rules_wp_np_gradient_estimates", "learning_rules_wp_np_bias_nonlinear"), section="lr-bias",
            note={"reproduced": "",
                  "reproduced with a caveat": (
                      f"exactly unbiased on the linear model (quadratic error); on a nonlinear "
                      f"network {name} perturbation is unbiased only to first order, as the "
                      f"notes' expansion says: the bias is (sigma^2/2) grad(Laplacian E) + "
                      f"O(sigma^4), {t.bias_rel.iloc[-1]:.0%} of the gradient at sigma = "
                      f"{t.sigma.iloc[-1]:g}"),
                  "not reproduced": "the bias does not vanish like sigma^2"}[v],
            tried=(f"sigma = {', '.join(f'{s:g}' for s in t.sigma)}",
                   "a single linear layer as control") if v == "not reproduced" else ()))
    # 002.wp-variance
    row = var.loc[("wp", True)]
    z = float((row.var_measured - row.var_exact) / row.var_se)
    P = est["N"] * est["M"]
    v = variance_verdict(float(row.var_measured / (row.var_exact / row.rel_var_exact)),
                         float(row.rel_var_exact), z, P)
    tb = bias["table"]
    out.append(Finding(
        "002.wp-variance", v, f"linear student-teacher N = {est['N']}, M = {est['M']}, "
        f"sigma = {est['sigma']:g}; tanh network {'-'.join(str(s) for s in bias['sizes'])}",
        values={"rel_var_wp": float(row.rel_var_exact), "P_plus_1": P + 1, "z": z,
                "rel_var_np": float(var.loc[("np", True)].rel_var_exact),
                "rel_var_wp_nonlinear": float(tb[tb.method == "wp"].var_rel_baseline.iloc[-1]),
                "P_nonlinear": bias["P"]},
        figures=("learning_rules_wp_np_gradient_estimates",), section="lr-wp-np",
        note={"reproduced": "", "reproduced with a caveat": "the exact variance formula is off",
              "not reproduced": "the variance does not grow with the number of weights"}[v],
        tried=("baseline and raw forms",) if v == "not reproduced" else ()))
    # 002.baseline-variance and 002.np-improves: per-draw variances, linear and tanh network
    lin_b = [float(var.loc[(m, True)].rel_var_exact) for m in ("wp", "np")]
    lin_r = [float(var.loc[(m, False)].rel_var_exact) for m in ("wp", "np")]
    v = ordering_verdict(lin_b + list(tb.var_rel_baseline), lin_r + list(tb.var_rel_raw))
    out.append(Finding(
        "002.baseline-variance", v,
        f"linear student-teacher N = {est['N']}, M = {est['M']}, sigma = {est['sigma']:g}; "
        f"tanh network {'-'.join(str(s) for s in bias['sizes'])}, sigma "
        f"{tb.sigma.min():g}-{tb.sigma.max():g}; WP and NP",
        values={"linear_wp_baseline_over_raw": lin_b[0] / lin_r[0],
                "linear_np_baseline_over_raw": lin_b[1] / lin_r[1],
                "tanh_max_baseline_over_raw": float((tb.var_rel_baseline / tb.var_rel_raw).max())},
        figures=("learning_rules_wp_np_gradient_estimates", "learning_rules_wp_np_bias_nonlinear"), section="lr-bias",
        note={"reproduced": "the same mean by construction (E E[noise] = 0); the raw form adds "
                            "E^2 P / sigma^2, which grows as sigma shrinks",
              "reproduced with a caveat": "the baseline form was not lower in every case",
              "not reproduced": "the baseline form was not lower"}[v],
        tried=("linear and tanh networks, four sigmas",) if v == "not reproduced" else ()))
    np_v = [float(var.loc[("np", True)].rel_var_exact)] + list(
        tb[tb.method == "np"].sort_values("sigma").var_rel_baseline)
    wp_v = [float(var.loc[("wp", True)].rel_var_exact)] + list(
        tb[tb.method == "wp"].sort_values("sigma").var_rel_baseline)
    v = ordering_verdict(np_v, wp_v)
    out.append(Finding(
        "002.np-improves", v,
        f"per-draw relative variance, baseline form: linear student-teacher N = {est['N']}, "
        f"M = {est['M']}; tanh network {'-'.join(str(s) for s in bias['sizes'])} at each sigma",
        values={"linear_np": np_v[0], "linear_wp": wp_v[0], "tanh_np_smallest_sigma": np_v[1],
                "tanh_wp_smallest_sigma": wp_v[1]},
        figures=("learning_rules_wp_np_gradient_estimates", "learning_rules_wp_np_bias_nonlinear"), section="lr-bias",
        note={"reproduced": "lower variance per draw: about M + 1 (units) against P + 1 "
                            "(weights) gradients squared",
              "reproduced with a caveat": "lower in most but not all cases",
              "not reproduced": "node perturbation was not less noisy"}[v],
        tried=("linear and tanh networks",) if v == "not reproduced" else ()))
    # 002.werfel
    sl = sc["slopes"]
    v = werfel_verdict(sl.measured, sl.exact, sl.asymptotic)
    out.append(Finding(
        "002.werfel", v, f"online student-teacher, N up to {max(p['scaling_Ns'])}, M up to "
        f"{max(p['scaling_Ms'])}, optimal learning rates, {p['scaling_runs']} runs per cell",
        values={f"slope_{r.sweep}_{r.method}": float(r.measured) for r in sl.itertuples()}
        | {f"exact_{r.sweep}_{r.method}": float(r.exact) for r in sl.itertuples()},
        figures=("learning_rules_bp_np_wp_scaling", "learning_rules_bp_np_wp_learning_curves"), section="lr-werfel",
        note={"reproduced": "",
              "reproduced with a caveat": "the measured times follow the exact finite-size "
                                          "prediction; at these sizes the '+2' terms still bend "
                                          "the slopes below the asymptotic 1, 1, 2 and 0, 1, 1",
              "not reproduced": "the measured times do not follow the prediction"}[v],
        tried=(f"N = {p['scaling_Ns']}, M = {p['scaling_Ms']}",) if v == "not reproduced"
        else ()))
    # 002.tanh-sigmoid
    naive = float(np.max(np.abs(act["y_sigmoid"] - act["y_naive"])))
    v = equivalence_verdict(act["identity_err"], act["net_err"], naive)
    out.append(Finding(
        "002.tanh-sigmoid", v, "grid on [-6, 6]; a 5-unit sigmoid network and its tanh twin",
        values={"identity_err": act["identity_err"], "net_err": act["net_err"],
                "swap_without_rescaling": naive},
        figures=("learning_rules_sigmoid_tanh_equivalence",), section="lr-tanh",
        note={"reproduced": "the notes' hidden unit reads sigma(x); with a pre-activation the "
                            "halving applies to its weights and bias too",
              "reproduced with a caveat": "the control (activation swapped) did not differ",
              "not reproduced": "the identity or the networks differ beyond rounding"}[v],
        tried=("401-point grid",) if v == "not reproduced" else ()))
    # 002.linear-neuron and its Hessian
    t = lin["table"]
    D = lin["D"]
    under = t[t.N < D]
    ranks_ok = bool(np.all(t["rank"] == np.minimum(t.N, D)))
    unique_ok = bool(np.all(t.unique == (t.N >= D)))
    v = linear_neuron_verdict(float(under.train_mse.max()), ranks_ok, unique_ok,
                              float(under.gd_dist.iloc[0]))
    out.append(Finding(
        "002.linear-neuron", v, f"D = {D}, N from {int(t.N.min())} to {int(t.N.max())}, "
        "Gaussian inputs, noisy linear teacher",
        values={"max_train_mse_N_lt_D": float(under.train_mse.max()), "ranks_ok": ranks_ok,
                "unique_ok": unique_ok, "gd_to_min_norm": float(under.gd_dist.iloc[0])},
        figures=("learning_rules_linear_neuron_regimes",), section="lr-linear-neuron",
        note={"reproduced": "",
              "reproduced with a caveat": "gradient descent had not reached the minimum-norm "
                                          "solution in its steps",
              "not reproduced": "rank, uniqueness or zero training error not as stated"}[v],
        tried=("the sizes listed",) if v == "not reproduced" else ()))
    v = hessian_verdict(lin["hessian_err"], lin["hessian_err_as_stated"])
    out.append(Finding(
        "002.linear-neuron-hessian", v, f"D = {D}, central differences of the gradient",
        values={"err_vs_2C_over_N": lin["hessian_err"],
                "err_vs_C": lin["hessian_err_as_stated"]},
        figures=("learning_rules_linear_neuron_regimes",), section="lr-linear-neuron",
        note={"reproduced": "",
              "reproduced with a caveat": "with the notes' loss (1/N) sum (.)^2 the Hessian is "
                                          "(2/N) C: the notes drop the factor 2/N",
              "not reproduced": "the Hessian is neither C nor (2/N) C"}[v],
        tried=("central differences, h = 1e-3",) if v == "not reproduced" else ()))
    # 002.hebbian
    tb = heb["table"]
    dev = float(np.max(np.abs(tb.rate_mean / tb.lam_max - 1)))
    angle_tol = 3.0 * float(np.sqrt(heb["eta"] * tb.lam_max.max()))
    v = hebbian_verdict(dev, float(tb.angle_final.max()), angle_tol)
    out.append(Finding(
        "002.hebbian", v, f"D = 6, Gaussian inputs, eta = {heb['eta']:g}, lambda_max from "
        f"{tb.lam_max.min():g} to {tb.lam_max.max():g}",
        values={"max_rel_rate_dev": dev, "max_final_angle": float(tb.angle_final.max()),
                "angle_tolerance": angle_tol},
        figures=("learning_rules_hebbian_divergence",), section="lr-hebbian",
        note={"reproduced": "with the errata's factor 2 in d||w||^2/dt",
              "reproduced with a caveat": "only one of the rate and the direction matched",
              "not reproduced": "neither rate nor direction as stated"}[v],
        tried=("five spectra",) if v == "not reproduced" else ()))
    # 002.oja, 002.sanger
    v = oja_verdict(pca["oja_rms_late"], pca["oja_rms_pred"], pca["oja_norm_final"])
    out.append(Finding(
        "002.oja", v, f"D = 8, Gaussian inputs, eta = {pca['eta']:g}, "
        f"{p['pca_T']} steps",
        values={"rms_angle_late": pca["oja_rms_late"], "predicted": pca["oja_rms_pred"],
                "norm_final": pca["oja_norm_final"]},
        figures=("learning_rules_oja_sanger_angles",), section="lr-hebbian",
        note={"reproduced": "stated in its standard form (the notes stop before it); with a "
                            "constant step it fluctuates at the predicted angle",
              "reproduced with a caveat": "unit norm reached, but the angle is not near the "
                                          "constant-step prediction",
              "not reproduced": "the norm does not settle at 1"}[v],
        tried=("one run",) if v == "not reproduced" else ()))
    late = [float(a) for a in pca["sanger_late"]]
    v = sanger_verdict(late)
    out.append(Finding(
        "002.sanger", v, f"D = 8, k = 3, eta = {pca['eta']:g}, {p['pca_T']} steps",
        values={f"late_angle_row{i + 1}": a for i, a in enumerate(late)},
        figures=("learning_rules_oja_sanger_angles",), section="lr-hebbian",
        note={"reproduced": "stated in its standard form (the notes stop before it)",
              "reproduced with a caveat": "the first row converged, a lower one not yet",
              "not reproduced": "the first row did not converge"}[v],
        tried=("one run",) if v == "not reproduced" else ()))
    # 002.saxe
    v = saxe_verdict(dl["max_err"], dl["max_err_half"], float(np.max(dl["s"])))
    out.append(Finding(
        "002.saxe", v, f"8 -> 10 -> 6 linear network, singular values 3, 2, 1, 0.5, whitened "
        f"inputs, a0 = {dl['a0']:g}, eta = {dl['eta']:g}",
        values={"max_err": dl["max_err"], "max_err_half_step": dl["max_err_half"],
                "ratio": dl["max_err"] / dl["max_err_half"]},
        figures=("learning_rules_deep_linear_modes",), section="lr-deep-linear",
        note={"reproduced": "with the errata's W_32^T in the gradient; time t = 2 eta k for the "
                            "notes' loss",
              "reproduced with a caveat": "first-order Euler error, not yet small at this step",
              "not reproduced": "the deviation does not shrink with the step"}[v],
        tried=("two step sizes",) if v == "not reproduced" else ()))
    # 002.perceptron
    ratio = float((per.mistakes / per.bound).max())
    v = perceptron_verdict(ratio, bool(per.converged.all()))
    out.append(Finding(
        "002.perceptron", v, f"separable Gaussian data, n = 500, d = 10, planted margins "
        f"0.02-0.4, {p['perc_datasets']} data sets per margin",
        values={"max_mistakes_over_bound": ratio, "n_datasets": len(per)},
        figures=("learning_rules_perceptron_novikoff",), section="lr-perceptron",
        note={"reproduced": "Novikoff's bound, stated in its standard form (the notes stop at "
                            "'if the ...')",
              "reproduced with a caveat": "some runs hit the epoch cap",
              "not reproduced": "a run exceeded the bound"}[v],
        tried=("five margins",) if v == "not reproduced" else ()))
    return out
