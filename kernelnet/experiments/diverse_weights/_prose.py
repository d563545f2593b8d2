"""The chapter's prose numbers: ``prose`` turns a result into the strings the notebook glues."""

from __future__ import annotations

import math

import numpy as np

from ._chapter import DiverseWeightsResult
from ._checks import CERT_CS, CHECK_D
from ._common import _fmt_list
from ._spectrum import CONC_BLOCKS, REGIME_D_GAMMA
from ._verdicts import TAIL_FACTOR, T_LINE, UNDERFIT_RATIO, underfit_ratio


def _n(x, digits=2):
    return f"{x:.{digits}f}"


def prose(res: DiverseWeightsResult) -> dict:
    """The chapter's glued numbers and phrases, formatted (name -> string).

    Formatting only: the verdicts come from the findings (``claims.publish``); the phrases
    here describe what this run shows.
    """
    out = {}
    S, p = res.summary, res.params
    g, gi = res.gram, res.gram_info
    out.update({"dw-gram-slope": _n(gi["slope"]), "dw-gram-zmin": _n(g.z_rms.min()),
                "dw-gram-zmax": _n(g.z_rms.max()), "dw-gram-m": f"{gi['m']}",
                "dw-gram-d": f"{gi['d']}"})
    si = res.spectrum_info
    d5 = si["d"]
    out.update({"dw-spec-d": f"{d5}", "dw-spec-slope": _n(si["gamma_slope"]),
                "dw-spec-uslope": _n(si["gamma_u_slope"]),
                "dw-spec-asym": _n(-d5 / (d5 - 1))})
    # the sawtooth and the draws
    b = res.blocks
    ends = [int(e) for e in b.end if 5 <= e <= p["bound_m_cap"]]
    saw = res.sawtooth.set_index("m").half_m_gamma_m
    out["dw-bound-ends"] = _fmt_list(ends)
    out["dw-bound-peak"] = f"{saw.loc[20]:.3f}" if 21 in saw.index else "n/a"
    out["dw-bound-after"] = f"{saw.loc[21]:.4f}" if 21 in saw.index else "n/a"
    out["dw-bound-dims"] = _fmt_list(p["bound_dims"])
    out["dw-bound-dmax"] = f"{max(p['bound_dims'])}"
    out["dw-bound-cap"] = f"{p['bound_m_cap']:,}"
    out["dw-bound-draws"] = f"{p['bound_draws']}"
    out["dw-bound-regime"] = f"{REGIME_D_GAMMA:g}"
    h, n = S["bound_end_hold"]
    out["dw-bound-end-hold"] = f"{h} of {n}"
    h, n = S["bound_after_hold"]
    out["dw-bound-after-hold"] = f"{h} of {n}"
    fails = S["bound_fail_pairs"]
    out["dw-bound-fails"] = ("nowhere" if not fails else
                             "; ".join(f"d = {a}, m = {m}" for a, m in fails))
    okd = S["bound_ok_from_d"]
    out["dw-bound-okd"] = f"{okd}" if okd is not None else "no d tested"
    dr = res.bound_draws
    top = dr[(dr.d == dr.d.max()) & dr.in_regime]
    out["dw-bound-top-min"] = _n(top.ratio.min()) if len(top) else "n/a"
    out["dw-bound-inreg-fails"] = (
        "in the regime it fails only at d = " + _fmt_list(S["bound_fail_in_regime_dims"])
        if S["bound_fail_in_regime_dims"] else "it never fails in the regime")
    # key inequality
    key = res.key
    out["dw-key-ratio"] = _n((key.r_norm / key.bound).max())
    out["dw-key-smin"] = f"{key.s_min.min():.2f} and {key.s_min.max():.2f}"
    out["dw-key-lossdrop"] = f"{key.loss.iloc[0] / key.loss.iloc[-1]:.0f}"
    # discrepancy
    disc = res.discrepancy
    rnd, cl = disc[disc.kind == "random"], disc[disc.kind == "clustered"]
    half = float(disc.half_m_gamma_m.iloc[0])
    out["dw-disc-m"] = f"{p['disc_m']}"
    out["dw-disc-n"] = f"{p['disc_n']}"
    out["dw-disc-rand-L2"] = f"{rnd.L2.mean():.3f}"
    out["dw-disc-rand-s2"] = f"{rnd.s2_over_n.mean():.3f}"
    out["dw-disc-half"] = f"{half:.4f}"
    out["dw-disc-cmp"] = "above" if rnd.s2_over_n.min() > half else "not always above"
    tight = cl[cl.spread == cl.spread.min()]
    out["dw-disc-cl-L2"] = f"{tight.L2.mean():.3f}"
    out["dw-disc-cl-s2"] = f"{tight.s2_over_n.mean():.1e}"
    out["dw-disc-cl-rank"] = ("rank-deficient to rounding" if tight.s2_over_n.max() < 1e-10
                              else "nearly rank-deficient")
    corr = float(np.corrcoef(disc.L2, disc.s2_over_n)[0, 1])
    out["dw-disc-corr"] = _n(corr)
    out["dw-disc-trend"] = ("the trend the bound predicts: more discrepancy, smaller singular "
                            "value" if corr < 0 else "not the trend the bound predicts")
    out["dw-ratio-min"] = f"{S['ratio_range'][0]:.0f}"
    out["dw-ratio-max"] = f"{S['ratio_range'][1]:.0f}"
    out["dw-L2sq-span"] = f"{S['L2sq_span']:.0f}"
    act = res.activation
    out["dw-mc-zmax"] = _n(np.abs(act.z).max(), 1)
    out["dw-mc-pairs"] = f"{p['disc_mc_pairs']:,}"
    out["dw-rand-L2"] = f"{S['random_L2']:.3f}"
    out["dw-rand-L2-theory"] = f"{S['random_L2_theory']:.3f}"
    out["dw-nd-quarter"] = f"{S['nd_quarter']:.3f}"
    out["dw-nd"] = f"{p['disc_n'] * 10:,}"
    # regulariser
    lam = p["reg_lambda"]
    pr = res.reg_paired
    main = pr[pr.reg == lam].sort_values("n")
    raw = res.reg_raw
    nr = raw[raw.reg == 0].groupby("n").test.mean()
    out["dw-reg-widths"] = _fmt_list(p["reg_widths"])
    out["dw-reg-d"] = f"{p['reg_d']}"
    out["dw-reg-k"] = f"{p['reg_teacher']}"
    out["dw-reg-2k"] = f"{2 * p['reg_teacher']}"
    out["dw-reg-m"] = f"{p['reg_m']:,}"
    out["dw-reg-steps"] = f"{p['reg_steps']:,}"
    out["dw-reg-repeats"] = f"{p['reg_repeats']}"
    out["dw-reg-lambda"] = f"{lam:g}"
    out["dw-reg-nr-first"] = _n(nr.iloc[0])
    out["dw-reg-nr-last"] = _n(nr.iloc[-1])
    out["dw-reg-ratio"] = _n(S["underfit_ratio"], 1)
    out["dw-reg-underfit-min"] = f"{UNDERFIT_RATIO:g}"
    out["dw-reg-t"] = _fmt_list(_n(t) for t in main.t)
    out["dw-reg-better"] = f"{int((main.t <= -T_LINE).sum())} of {len(main)}"
    out["dw-reg-worse"] = f"{int((main.t >= T_LINE).sum())} of {len(main)}"
    out["dw-reg-worse-runs"] = f"{int(main.n_worse.sum())} of {int(main.repeats.sum())}"
    others = pr[pr.reg != lam].sort_values("reg")
    out["dw-reg-others"] = _fmt_list(f"lambda = {r.reg:g}: t = {r.t:.2f}"
                                     for r in others.itertuples())
    out["dw-reg-first"] = f"{(p['reg_widths'][1:2] or p['reg_widths'])[0]}"
    sp = res.short_paired.sort_values("n")
    out["dw-short-steps"] = f"{p['reg_short_steps']:,}"
    out["dw-short-widths"] = _fmt_list(p["reg_short_widths"])
    out["dw-short-t"] = _fmt_list(_n(t) for t in sp.t)
    out["dw-short-worse"] = f"{int((sp.t >= T_LINE).sum())} of {len(sp)}"
    out["dw-short-better"] = f"{int((sp.t <= -T_LINE).sum())} of {len(sp)}"
    L2n = raw[raw.reg == 0].L2.mean()
    L2r = raw[raw.reg == lam].L2.mean()
    out["dw-reg-L2"] = f"{L2n:.3f} to {L2r:.3f}"
    out["dw-reg-L2-does"] = ("lowers" if L2r < L2n else "does not lower")
    fp = res.flat_paired.sort_values("n")
    out["dw-flat-widths"] = _fmt_list(p["flat_widths"])
    out["dw-flat-ratio"] = _n(S["flat_ratio"])
    out["dw-flat-t"] = _fmt_list(_n(t) for t in fp.t)
    out["dw-flat-worse-runs"] = f"{int(fp.n_worse.sum())} of {int(fp.repeats.sum())}"
    tt = res.talk[res.talk.split == "test"].pivot(index="n", columns="method",
                                                   values=["mean", "std"])
    a_lo = tt[("mean", "no-reg")] - tt[("std", "no-reg")]
    a_hi = tt[("mean", "no-reg")] + tt[("std", "no-reg")]
    b_lo, b_hi = tt[("mean", "reg")] - tt[("std", "reg")], tt[("mean", "reg")] + tt[("std", "reg")]
    overlap = int(((a_lo <= b_hi) & (b_lo <= a_hi)).sum())
    out["dw-talk-overlap"] = f"{overlap} of {len(tt)}"
    out["dw-talk-ratio"] = _n(underfit_ratio(
        res.talk[(res.talk.method == "no-reg") & (res.talk.split == "test")]
        .set_index("n")["mean"]), 0)
    # gradient flow
    flow, fi = res.flow, res.flow_info
    out["dw-flow-slope"] = _n(fi["slope"])
    out["dw-flow-minlam"] = _n(flow.min_lam_ratio.min())
    out["dw-flow-m"] = f"{fi['m']}"
    out["dw-flow-nmin"] = f"{flow.n.min():,}"
    out["dw-flow-nmax"] = f"{flow.n.max():,}"
    out["dw-flow-movemax"] = f"{flow.max_move.iloc[-1]:.3f}"
    out["dw-flow-Rmax"] = _n(flow.R_prime.iloc[-1])
    loose = flow.R_prime / flow.max_move
    out["dw-flow-loose"] = f"{loose.min():.0f} to {loose.max():.0f}"
    # the remaining claims
    out.update(_more_prose(res))
    return out


def _more_prose(res: DiverseWeightsResult) -> dict:
    """Glued numbers of the claims checked after the figures (formatting only)."""
    out, S, p = {}, res.summary, res.params
    c = res.checks
    out["dw-check-m"] = f"{p['check_m']}"
    out["dw-check-n"] = f"{p['check_n']}"
    out["dw-check-d"] = f"{CHECK_D}"
    out["dw-conc-blocks"] = f"{CONC_BLOCKS}"
    out["dw-conc-factor"] = f"{TAIL_FACTOR:g}"
    out["dw-check-steps"] = f"{p['check_steps']}"
    out["dw-grad-exact"] = f"{c[['grad_rel_dense', 'grad_rel_numba']].to_numpy().max():.0e}"
    out["dw-grad-fd"] = f"{c.grad_rel_fd.max():.0e}"
    out["dw-grad-order"] = _n(c.grad_order.min())
    out["dw-dyn-minus"] = f"{c.dyn_rel_minus.max():.0e}"
    out["dw-dyn-plus"] = _n(c.dyn_rel_plus.min())
    out["dw-dyn-ident"] = f"{c.gram_identity.max():.0e}"
    out["dw-weyl-sets"] = f"{S['weyl_sets']}"
    out["dw-weyl-informative"] = f"{S['weyl_informative']}"
    ii = res.init_info
    a, b, n0 = S["weyl_init_pos"]
    out["dw-weyl-from"] = (f"in {a} of {b} draws, none below n = {n0:,}" if a else
                           f"in no draw up to n = {max(p['init_widths']):,}")
    out["dw-weyl-gram-from"] = (f"{S['weyl_gram_from_n']:,}" if S["weyl_gram_from_n"]
                                else "no width tested")
    out["dw-conc-top"] = f"{100 * S['conc_top_last']:.1f}%"
    out["dw-conc-slope"] = _n(S["conc_slope"])
    out["dw-conc-tail"] = f"{S['conc_tail'][0]:.2f} to {S['conc_tail'][1]:.2f}"
    out["dw-conc-m"] = f"{S['conc_m_last']:,}"
    out["dw-div-corr"] = _n(S["div_rank_corr"])
    a, b = S["regdiv_lower"]
    out["dw-regdiv-lower"] = f"{a} of {b}"
    init = res.init
    out["dw-nice-m"] = f"{ii['m']}"
    out["dw-nice-d"] = f"{ii['d']}"
    out["dw-nice-dgamma"] = f"{ii['d_gamma']:.3f}"
    out["dw-nice-widths"] = _fmt_list(p["init_widths"])
    out["dw-nice-draws"] = f"{p['init_draws']}"
    out["dw-nice-L2ratio"] = _n(S["most_L2_ratio_max"])
    out["dw-nice-s2ratio"] = _n(S["most_s2_ratio_min"])
    out["dw-nice-fails"] = ("at every width" if not S["most_fail_widths"] else
                            "at every width except n = " + _fmt_list(S["most_fail_widths"]))
    out["dw-factor-first"] = f"{S['factor_first']:.2g}"
    out["dw-factor-last"] = f"{S['factor_last']:.2g}"
    out["dw-factor-slope"] = _n(ii["factor_slope"])
    om = res.omega.groupby("m").agg(n=("n", "first"))
    out["dw-omega-dims"] = _fmt_list(p["omega_dims"])
    out["dw-omega-m"] = _fmt_list(om.index)
    out["dw-omega-n"] = _fmt_list(f"{x:,}" for x in om.n)
    out["dw-omega-ratios"] = S["omega_ratios"]
    out["dw-omega-slope"] = _n(S["omega_slope"])
    out["dw-lam0"] = f"{S['lam0']:.3f}"
    out["dw-lam0-half"] = f"{S['lam0_half_m_gamma']:.3f}"
    lo, hi = S["lam0_ratio_range"]
    out["dw-lam0-ratio"] = f"{lo:.2f} to {hi:.2f}"
    out["dw-cert-cs"] = _fmt_list(f"{x:g}" for x in CERT_CS)
    out["dw-cert-c"] = _fmt_list(f"{x:g}" for x in res.flow.sort_values("n").c_cert)
    out["dw-sc-nslide"] = _sci(S["sc_n_slide"])
    out["dw-sc-ncross"] = _sci(S["sc_n_cross"])
    out["dw-sc-ratio"] = f"{S['sc_ratio']:,.0f}"
    out["dw-sc-move"] = f"{S['sc_move_over_R']:.2g}"
    return out


def _sci(x):
    """A positive number in short scientific notation for prose, e.g. "7.7e8"."""
    k = int(math.floor(math.log10(x)))
    return f"{x / 10**k:.1f}e{k}"
