r"""Chapter 5: :func:`prose`, the glued numbers and phrases of a run."""

from __future__ import annotations

import numpy as np

from kernelnet.experiments._prose import formatted, joined, pow10

from . import SMALL_SIGMA_BIAS
from ._findings import _update_row
from ._result import LearningRulesChapter


def prose(res: LearningRulesChapter) -> dict:
    """The chapter's glued numbers and phrases, formatted (name -> string).

    Formatting only: the verdicts come from the findings (``claims.publish``); the phrases
    here describe what this run shows (which side of a curve an average sits).
    """
    lag, est = res.lagrangian, res.estimates
    out = formatted(".1e", {"lr-delta-err": lag["delta_err"], "lr-solve-err": lag["solve_err"],
                            "lr-grad-err": lag["grad_err"]})
    out |= formatted(".2f", {"lr-order1": lag["check"].order1,
                             "lr-order1-wrong": lag["check_wrong"].order1})
    var = est["variance"].set_index(["method", "baseline"])
    for (m, b), key in [(("wp", True), "wpb"), (("wp", False), "wpr"), (("np", True), "npb"),
                        (("np", False), "npr")]:
        row = var.loc[(m, b)]
        out[f"lr-var-{key}"] = f"{row.var_measured:.4g} ± {row.var_se:.2g}"
        out[f"lr-var-{key}-exact"] = f"{row.var_exact:.4g}"
        out[f"lr-relvar-{key}"] = f"{row.rel_var_exact:.1f}"
    vz = ((var.var_measured - var.var_exact) / var.var_se).abs()
    out["lr-var-zmax"] = f"{vz.max():.1f}"
    tab = est["table"]
    kmax = tab.K.max()
    last = tab[tab.K == kmax].set_index(["method", "baseline"])
    out |= formatted("", {"lr-nparams": lag["n_params"], "lr-est-P1": est["N"] * est["M"] + 1,
                          "lr-est-M1": est["M"] + 1, "lr-est-kmax": kmax})
    out |= formatted(".3f", {"lr-cos-wpb": last.loc[("wp", True)].cos_mean,
                             "lr-cos-npb": last.loc[("np", True)].cos_mean,
                             "lr-cos-wpr": last.loc[("wp", False)].cos_mean})
    # the bias on a nonlinear network
    bias = res.bias
    bt = bias["table"]
    out["lr-bias-sizes"] = joined(bias["sizes"], sep="-")
    out |= formatted("", {"lr-bias-P": bias["P"], "lr-bias-units": bias["units"]})
    out["lr-bias-draws"] = f"{bias['n_draws']:,}"
    for m in ("wp", "np"):
        t = bt[bt.method == m].sort_values("sigma")
        first = t.iloc[0]
        out |= formatted(".3f", {f"lr-bias-{m}-ratio": first.ratio,
                                 f"lr-bias-{m}-cos": first.cosine})
        out |= formatted(".1e", {f"lr-bias-{m}-small": first.bias_rel,
                                 f"lr-bias-{m}-varraw": first.var_rel_raw})
        out[f"lr-bias-{m}-slope"] = f"{bias['slopes'][m]:.2f}"
        out[f"lr-bias-{m}-large"] = f"{t.bias_rel.iloc[-1]:.0%}"
        out[f"lr-bias-{m}-var"] = f"{first.var_rel_baseline:.0f}"
        # plain averaging needs about var / bias^2 draws before the bias shows above the noise
        out[f"lr-bias-{m}-need"] = f"{first.var_rel_baseline / first.bias_rel ** 2:.0e}"
        out[f"lr-bias-{m}-linear"] = pow10(float(t.linear_bias_rel.max()))
    out |= formatted("g", {"lr-bias-sigma-small": bt.sigma.min(),
                           "lr-bias-sigma-large": bt.sigma.max()})
    # learning curves
    cur = res.curves
    lc_dev = {}
    for m in ("gd", "np", "wp"):
        r = cur[m]
        keep = (r["theory"] > 1e-6) & (r["se"] > 0)
        lc_dev[m] = (r["mean"][keep] / r["theory"][keep] - 1,
                     (r["mean"][keep] - r["theory"][keep]) / r["se"][keep])
    pert_rel = max(np.abs(lc_dev[m][0]).max() for m in ("np", "wp"))
    pert_z = max(np.abs(lc_dev[m][1]).max() for m in ("np", "wp"))
    out["lr-lc-pert-rel"] = f"{pert_rel:.0%}"
    out["lr-lc-pert-z"] = f"{pert_z:.1f}"
    out["lr-lc-pert-noise"] = ("within the few standard errors that the noise of a long path "
                               "explains" if pert_z < 4 else
                               "larger than the noise of the run average explains")
    gd_rel, gd_z = lc_dev["gd"]
    gd_below = gd_rel.min() < 0 and abs(gd_rel.min()) > abs(gd_rel.max())
    out["lr-lc-gd-below"] = f"{(-gd_rel.min() if gd_below else gd_rel.max()):.0%}"
    out["lr-lc-gd-z"] = f"{(-gd_z.min() if gd_below else gd_z.max()):.1f}"
    out["lr-lc-gd-side"] = "below" if gd_below else "above"
    out |= formatted(".0f", {"lr-lc-Knp": cur["K"]["np"] / cur["K"]["gd"],
                             "lr-lc-Kwp": cur["K"]["wp"] / cur["K"]["gd"]})
    out["lr-lc-floor-np"] = f"{cur['np']['theory'][-1]:.1e}"
    sl = res.scaling["slopes"].set_index(["sweep", "method"])
    for (sw, m) in sl.index:
        out |= formatted(".2f", {f"lr-slope-{sw}-{m}": sl.loc[(sw, m)].measured,
                                 f"lr-slope-{sw}-{m}-exact": sl.loc[(sw, m)].exact})
    out |= formatted("", {"lr-lc-runs": cur["n_runs"], "lr-sc-runs": res.scaling["n_runs"],
                          "lr-sc-nmax": max(res.params["scaling_Ns"]),
                          "lr-sc-mmax": max(res.params["scaling_Ms"])})
    act = res.activation
    out |= formatted(".1e", {"lr-tanh-err": act["identity_err"], "lr-net-err": act["net_err"]})
    out["lr-naive-err"] = f"{np.max(np.abs(act['y_sigmoid'] - act['y_naive'])):.2f}"
    lin = res.linear
    t = lin["table"]
    under = t[t.N < lin["D"]]
    out |= formatted(".1e", {"lr-ln-maxtrain": under.train_mse.max(),
                             "lr-ln-gd": under.gd_dist.iloc[0], "lr-ln-hess": lin["hessian_err"]})
    out["lr-ln-ratio"] = f"{(under.other_norm / under.norm).min():.1f}"
    out["lr-ln-gd-n"] = f"{under.N.iloc[0]}"
    out["lr-ln-hess-stated"] = f"{lin['hessian_err_as_stated']:.2f}"
    tb = res.hebbian["table"]
    out["lr-hebb-maxdev"] = f"{np.max(np.abs(tb.rate_mean / tb.lam_max - 1)) * 100:.1f}%"
    pca, dl = res.pca, res.deep_linear
    out |= formatted(".3f", {"lr-hebb-angle": tb.angle_final.max(),
                             "lr-oja-rms": pca["oja_rms_late"], "lr-oja-pred": pca["oja_rms_pred"],
                             "lr-oja-norm": pca["oja_norm_final"], "lr-dl-err": dl["max_err"],
                             "lr-dl-err-half": dl["max_err_half"]})
    out["lr-sanger-late"] = joined(pca["sanger_late"], ".3f")
    out |= formatted("g", {"lr-hebb-eta": res.hebbian["eta"], "lr-dl-eta": dl["eta"]})
    out["lr-dl-ratio"] = f"{dl['max_err'] / dl['max_err_half']:.2f}"
    per = res.perceptron
    out["lr-perc-n"] = f"{len(per)}"
    out["lr-perc-maxratio"] = f"{(per.mistakes / per.bound).max():.3f}"
    out["lr-perc-allconv"] = "all" if per.converged.all() else "not all"
    upd, dlc = res.updates, res.dl_checks
    r = _update_row(upd)
    out |= formatted("g", {"lr-upd-sigma": r.sigma})
    out["lr-upd-draws"] = f"{upd['n_draws']:,}"
    out |= formatted(".2f", {"lr-upd-q-rb": r.q_raw_base, "lr-upd-q-wp": r.q_wp,
                             "lr-upd-q-np": r.q_np,
                             "lr-upd-q-sd": np.sqrt(2 / r.p_eff_raw_base),
                             "lr-upd-q-sd-np": np.sqrt(2 / r.p_eff_np),
                             "lr-upd-gap-slope": upd["diff_slope"]})
    out |= formatted(".3f", {"lr-upd-cos-wp": r.cos_wp, "lr-upd-cos-np": r.cos_np,
                             "lr-upd-gap": r.diff_rel, "lr-upd-gap-se": r.diff_se})
    out |= formatted(".3g", {"lr-upd-var-ratio": r.var_ratio, "lr-upd-var-wp": r.var_rel_wp,
                             "lr-upd-var-np": r.var_rel_np})
    out["lr-upd-var-ratios"] = joined(upd["table"].var_ratio, ".3g")
    out["lr-upd-sigmas"] = joined(upd["table"].sigma, "g")
    out["lr-upd-small"] = f"{SMALL_SIGMA_BIAS:.0%}"
    out |= formatted(".1e", {"lr-dlc-grad-err": dlc["grad_err"], "lr-dlc-d5": dlc["d5_rel"],
                             "lr-dlc-g4": dlc["g4_rel"], "lr-dlc-a4": dlc["a4_err"],
                             "lr-dlc-ctrl": dlc["control_d3_rel"]})
    out |= formatted(".2f", {"lr-dlc-order": dlc["check"].order1, "lr-dlc-d4": dlc["d4_rel"],
                             "lr-dlc-g3": dlc["g3_rel"]})
    out |= formatted("", {"lr-dlc-n": dlc["n"]})
    return out
