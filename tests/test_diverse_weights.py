"""Tests for kernelnet.experiments.diverse_weights (chapter 06): the verdict functions on
constructed inputs (every branch), the paired statistic, the block-end sweep, and the chapter
contract (PARAMETERS, run, findings naming registry ids)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from kernelnet import claims
from kernelnet.experiments import diverse_weights as dw


# ---------------------------------------------------------------------------------------------
# verdict functions: each branch on constructed numbers
# ---------------------------------------------------------------------------------------------


def test_gram_verdict_branches():
    assert dw.gram_verdict(0.9, 1.1, -0.5) == "reproduced"
    assert dw.gram_verdict(0.9, 5.0, -0.5) == "not reproduced"   # bias: z grows with n
    assert dw.gram_verdict(0.9, 1.1, -0.3) == "not reproduced"   # wrong rate
    with pytest.raises(ValueError, match="slope must be finite"):
        dw.gram_verdict(1.0, 1.0, float("nan"))


def test_spectrum_decay_verdict_branches():
    assert dw.spectrum_decay_verdict(-1.6, False) == "outside the source's regime"
    assert dw.spectrum_decay_verdict(-0.8, True) == "reproduced"
    assert dw.spectrum_decay_verdict(-1.6, True) == "not reproduced"
    with pytest.raises(ValueError, match="slope"):
        dw.spectrum_decay_verdict(float("inf"), True)


def test_spectrum_bound_verdict_branches():
    v = dw.spectrum_bound_verdict
    assert v(10, 10, 4, 4, 20, 20) == "reproduced"
    assert v(10, 10, 4, 4, 20, 12) == "reproduced with a caveat"   # fails outside the regime
    assert v(10, 8, 4, 4, 20, 20) == "reproduced with a caveat"    # fails at small d only
    assert v(10, 9, 4, 3, 20, 20) == "not reproduced"              # fails at the largest d
    assert v(10, 10, 0, 0, 20, 20) == "not checkable here"
    with pytest.raises(ValueError, match="must not exceed"):
        v(3, 4, 1, 1, 0, 0)


def test_key_inequality_verdict_branches():
    assert dw.key_inequality_verdict(0.94) == "reproduced"
    assert dw.key_inequality_verdict(1.0 + 1e-12) == "reproduced"   # rounding
    assert dw.key_inequality_verdict(1.01) == "not reproduced"
    with pytest.raises(ValueError, match="max_ratio"):
        dw.key_inequality_verdict(-1.0)


def test_singular_value_verdict_branches():
    v = dw.singular_value_verdict
    assert v(0.07, 0.05, -0.9, False) == "reproduced with a caveat"
    assert v(0.04, 0.05, -0.9, False) == "outside the source's regime"
    assert v(0.04, 0.05, -0.9, True) == "not reproduced"
    assert v(0.07, 0.05, 0.3, True) == "not reproduced"   # the wrong trend


def test_discrepancy_bound_verdict_branches():
    L2sq = np.array([1e-4, 1e-3, 1e-2])
    assert dw.discrepancy_bound_verdict([15.0, 20.0, 27.0], L2sq) == "reproduced"
    # ||G - G_n|| not shrinking with L_2: the ratio grows like 1/L_2 (10x over 2 decades)
    assert dw.discrepancy_bound_verdict(3.0 / np.sqrt(L2sq), L2sq) == "not reproduced"
    assert dw.discrepancy_bound_verdict([15.0, 20.0], [1e-3, 2e-3]) == "not checkable here"
    with pytest.raises(ValueError, match="same length"):
        dw.discrepancy_bound_verdict([1.0], [1.0, 2.0])


def test_random_discrepancy_verdict_branches():
    v = dw.random_discrepancy_verdict
    assert v(4.4e-4, 2e-5, 4.3e-4, 400, 10) == "reproduced"
    assert v(6.0e-4, 2e-5, 4.3e-4, 400, 10) == "reproduced with a caveat"   # off theory
    assert v(0.05, 1e-3, 4.3e-4, 400, 10) == "not reproduced"   # sqrt(0.05) > (4000)^(-1/4)
    with pytest.raises(ValueError, match="L2sq_se"):
        v(1e-3, float("nan"), 1e-3, 10, 10)


def test_underfit_ratio_and_regulariser_verdict_branches():
    talk = {100: 14.80, 150: 1.86, 200: 0.44, 300: 0.44}
    assert dw.underfit_ratio(talk) == pytest.approx(14.80 / 0.44)
    assert dw.underfit_ratio({30: 1.0, 10: 8.0}) == pytest.approx(8.0)   # sorted by width
    with pytest.raises(ValueError, match=">= 2 widths"):
        dw.underfit_ratio({10: 1.0})
    v = dw.regulariser_verdict
    assert v(0.9, [-3.0, -3.0, -3.0, -3.0]) == "outside the source's regime"
    assert v(30.0, [-3.0, -2.5, 0.5, -4.0]) == "reproduced"
    assert v(30.0, [-3.0, 2.5, 0.5, 1.0]) == "reproduced with a caveat"
    assert v(30.0, [1.0, 2.5, 0.5, 3.0]) == "not reproduced"
    assert v(30.0, [0.1, -1.0, 0.5, -1.9]) == "not reproduced"   # no width significantly better
    # a setting tried counts when it is better in most of its comparisons ...
    assert v(30.0, [0.1, -1.0, 0.5, -1.9], [[-2.5], [1.0, 0.5]]) == "reproduced with a caveat"
    assert v(30.0, [0.1, -1.0, 0.5, -1.9], [[-2.5, -3.0, 0.1]]) == "reproduced with a caveat"
    # ... not when one comparison of several crosses the line (what chance gives)
    assert v(30.0, [0.1, -1.0, 0.5, -1.9], [[-2.1, 0.3, 0.5, 1.0]]) == "not reproduced"
    with pytest.raises(ValueError, match="t_tried"):
        v(30.0, [1.0], [[float("nan")]])
    with pytest.raises(ValueError, match="t_values"):
        v(30.0, [])


def test_flow_verdict_branches():
    assert dw.flow_rate_verdict(True, 0.8) == "reproduced"
    assert dw.flow_rate_verdict(True, 0.3) == "reproduced with a caveat"
    assert dw.flow_rate_verdict(False, 0.3) == "outside the source's regime"
    assert dw.flow_rate_verdict(False, 0.8) == "not reproduced"
    assert dw.flow_movement_verdict(True, -0.48) == "reproduced"
    assert dw.flow_movement_verdict(True, -0.2) == "reproduced with a caveat"
    assert dw.flow_movement_verdict(False, -0.5) == "not reproduced"


# ---------------------------------------------------------------------------------------------
# the paired statistic
# ---------------------------------------------------------------------------------------------


def test_paired_differences_on_constructed_runs():
    # width 10: reg worse by 1, 2, 3 in three repeats; width 20: better by 0.5 in both repeats
    # plus a per-repeat offset the pairing removes (unpaired SDs would swamp it)
    rows = []
    for rep, (base, delta) in enumerate([(5.0, 1.0), (50.0, 2.0), (500.0, 3.0)]):
        rows += [dict(n=10, repeat=rep, reg=0.0, test=base),
                 dict(n=10, repeat=rep, reg=3.0, test=base + delta)]
    for rep, base in enumerate([1.0, 9.0]):
        rows += [dict(n=20, repeat=rep, reg=0.0, test=base),
                 dict(n=20, repeat=rep, reg=3.0, test=base - 0.5)]
    out = dw.paired_differences(pd.DataFrame(rows)).set_index("n")
    a = out.loc[10]
    assert a["diff"] == pytest.approx(2.0)
    assert a["se"] == pytest.approx(1.0 / math.sqrt(3))   # sd of (1, 2, 3) is 1
    assert a["t"] == pytest.approx(2.0 * math.sqrt(3))
    assert (a["n_worse"], a["n_better"], a["repeats"]) == (3, 0, 3)
    b = out.loc[20]
    assert b["diff"] == pytest.approx(-0.5) and b["se"] == 0.0 and b["t"] == -np.inf
    assert (b["n_worse"], b["n_better"]) == (0, 2)
    with pytest.raises(ValueError, match="split"):
        dw.paired_differences(pd.DataFrame(rows), split="valid")


def test_regulariser_runs_pairs_every_lambda_on_the_same_start():
    kw = dict(widths=(6, 8), d=4, m=40, m_test=30, k_teacher=3, teacher="even", lambdas=[2.0],
              n_steps=5, repeats=2, extra_lambdas=(20.0,), extra_widths=(6,))
    raw = dw.regulariser_runs(seed=1, **kw)
    # width 6 runs lambda = 0, 2, 20; width 8 runs 0 and 2; two repeats each
    assert sorted(raw[raw.n == 6].reg.unique()) == [0.0, 2.0, 20.0]
    assert sorted(raw[raw.n == 8].reg.unique()) == [0.0, 2.0]
    assert len(raw) == 2 * 3 + 2 * 2
    assert raw.equals(dw.regulariser_runs(seed=1, **kw))
    # lambda = 0 with n_steps = 0 is the initial network for every arm: identical errors
    z = dw.regulariser_runs(seed=1, **{**kw, "n_steps": 1, "lambdas": [1e-300],
                                       "extra_lambdas": ()})
    for _, g in z.groupby(["n", "repeat"]):
        assert g.test.nunique() == 1


def test_even_teacher_has_no_linear_part():
    X, y, _, _ = dw.teacher_data(2000, 5, 4, 6, teacher="even", random_state=0)
    # an even function of x: its best linear fit on symmetric data explains nothing
    coef = np.linalg.lstsq(X, y, rcond=None)[0]
    X2, y2, _, _ = dw.teacher_data(2000, 5, 4, 6, teacher="even", random_state=0)
    np.testing.assert_array_equal(y, y2)
    assert np.var(X @ coef) < 0.01 * np.var(y)   # Monte Carlo: E[x y] = 0, estimate ~ 1/m
    with pytest.raises(ValueError, match="teacher"):
        dw.teacher_data(10, 5, 4, 2, teacher="odd")


# ---------------------------------------------------------------------------------------------
# the block-end sweep and the contract
# ---------------------------------------------------------------------------------------------


def test_spectrum_bound_draws_sit_on_the_block_ends():
    t = dw.spectrum_bound_draws(seed=0, dims=(5,), m_cap=75, draws=2, extra_m=(20, 30))
    # d = 5: block ends 5, 6, 20, 75 -> m = 4..7, 19..21, 74..76, plus 30 (20 is an end)
    assert sorted(t.m.unique()) == [4, 5, 6, 7, 19, 20, 21, 30, 74, 75, 76]
    row = t[(t.m == 20)].iloc[0]
    assert row["where"] == "end" and row.block_end == 20
    assert row.bound == pytest.approx(0.107, abs=5e-4)
    # just after a block end the bound drops by 20x or more and holds in every draw here
    after = t[t["where"] == "end+1"]
    assert after.holds.all()
    assert not t.in_regime[t.m == 20].any() and t.in_regime[t.m == 5].all()


def test_parameters_are_declared_and_checked():
    assert set(dw.PARAMETERS) >= {"reg_widths", "bound_dims", "disc_mc_pairs"}
    with pytest.raises(ValueError, match="unknown parameter"):
        dw.run(quick=True, seed=0, reg_widht=(10,))
    with pytest.raises(ValueError, match="reg_repeats"):
        dw.run(quick=True, seed=0, reg_repeats=1)


def test_quick_run_findings_name_registry_claims():
    res = dw.run(quick=True, seed=0)
    ids = [f.claim_id for f in res.findings]
    reg = claims.registry()
    assert set(ids) <= set(reg.id)
    assert len(ids) == len(set(ids)) == 23
    # every chapter-06 row of the registry has a finding: none left 'not checked yet'
    assert set(ids) == set(reg[reg.chapter == "06_diverse_weights"].id)
    assert all(f.verdict in claims.VERDICTS for f in res.findings)
    for f in res.findings:
        if f.verdict == "not reproduced":
            assert f.tried
    assert set(res.reg_paired.columns) >= {"diff", "se", "t", "n_worse"}
    text = dw.prose(res)
    assert all(isinstance(v, str) for v in text.values())


def test_compare_with_talk_pairs_widths_by_rank():
    rows = []
    for n in (10, 15, 20, 30):
        for method, err in (("no-reg", 2.0), ("reg", 1.0)):
            for split in ("train", "test"):
                rows.append(dict(n=n, method=method, split=split, mean=err, std=0.1))
    comp = dw.compare_with_talk(pd.DataFrame(rows))
    assert list(comp[comp.split == "test"].talk_n) == [100, 150, 200, 300]
    row = comp[(comp.n == 20) & (comp.split == "test")].iloc[0]
    assert row.talk_no_reg == "0.44 (0.35)" and row.talk_reg == "0.58 (0.59)"
    assert (row.talk_reg_better, row.ours_reg_better, row.agree) == (False, True, False)



# ---------------------------------------------------------------------------------------------
# the remaining claims: verdict branches and the measurements behind them
# ---------------------------------------------------------------------------------------------


def test_gradient_structure_verdict_branches():
    v = dw.gradient_structure_verdict
    assert v(6e-10, True) == "reproduced"
    assert v(0.5, True) == "not reproduced"          # e.g. a missing 1/m: O(1) relative error
    assert v(1e-12, False) == "not reproduced"       # the Taylor order fails
    with pytest.raises(ValueError, match="max_rel_error"):
        v(float("nan"), True)


def test_prediction_dynamics_verdict_branches():
    v = dw.prediction_dynamics_verdict
    assert v(2.0, 1e-10, 1e-16) == "reproduced"                    # the talk's sign
    assert v(1e-10, 2.0, 1e-16) == "reproduced with a caveat"      # the opposite sign
    assert v(0.3, 0.3, 1e-16) == "not reproduced"
    assert v(1e-10, 2.0, 0.1) == "not reproduced"                  # D^T D != n G_n
    with pytest.raises(ValueError, match="identity_error"):
        v(1.0, 1.0, -1.0)


def test_weyl_verdict_branches():
    assert dw.weyl_verdict([0.03, 1.2, 0.0]) == "reproduced"
    assert dw.weyl_verdict([0.03, -1e-12]) == "reproduced"         # rounding
    assert dw.weyl_verdict([0.03, -1e-3]) == "not reproduced"
    with pytest.raises(ValueError, match="slacks"):
        dw.weyl_verdict([])


def test_concentration_verdict_branches():
    v = dw.concentration_verdict
    assert v(0.04, -0.5, [1.3, 0.8]) == "reproduced"
    assert v(0.04, -0.5, [1.3, 8.0]) == "reproduced with a caveat"   # the bottom: far above
    assert v(0.04, -0.5, [1.3, 0.4]) == "reproduced with a caveat"   # ... or below gamma_m
    assert v(0.3, -0.5, [1.3]) == "not reproduced"                   # the top is off
    assert v(0.05, 0.0, [1.3]) == "not reproduced"                   # and does not improve
    with pytest.raises(ValueError, match="tail_ratios"):
        v(0.04, -0.5, [float("inf")])
    with pytest.raises(ValueError, match="top_slope"):
        v(0.04, float("nan"), [1.0])


def test_discrepancy_diversity_verdict_branches():
    v = dw.discrepancy_diversity_verdict
    assert v(-1.0, True, 1.5) == "reproduced"
    assert v(-0.5, True, 1.5) == "reproduced with a caveat"
    assert v(-1.0, False, 1.5) == "not reproduced"   # random weights not the most diverse
    assert v(0.2, True, 1.5) == "not reproduced"
    assert v(-1.0, True, 6.0) == "not reproduced"    # the formula misses the kernel distance
    with pytest.raises(ValueError, match="rank_corr"):
        v(float("nan"), True, 1.0)


def test_regulariser_diversity_verdict_branches():
    v = dw.regulariser_diversity_verdict
    assert v(6, 6, 1e-14) == "reproduced"
    assert v(5, 6, 1e-14) == "reproduced with a caveat"
    assert v(3, 6, 1e-14) == "not reproduced"
    assert v(6, 6, 1e-2) == "not reproduced"         # R and L_2^2 not affinely related: a bug
    with pytest.raises(ValueError, match="n_lower"):
        v(7, 6, 0.0)


def test_most_w_diverse_and_omega_verdict_branches():
    v = dw.most_w_diverse_verdict
    assert v([1.0, 1.0, 1.0]) == "reproduced"
    assert v([0.5, 1.0, 1.0]) == "reproduced with a caveat"
    assert v([1.0, 1.0, 0.75]) == "not reproduced"
    with pytest.raises(ValueError, match="ok_by_width"):
        v([1.5])
    w = dw.sm_omega_m_verdict
    assert w([6, 11, 21], [1.0, 1.3, 3.5]) == "reproduced with a caveat"
    assert w([6, 11, 21], [1.0, 0.9, 0.85]) == "reproduced with a caveat"   # slope > -0.25
    assert w([6, 11, 21], [1.0, 0.55, 0.29]) == "not reproduced"           # like 1/m
    assert w([6, 11, 21], [1.0, 0.0, 1.0]) == "not reproduced"
    assert w([6, 11], [1.0, 1.3]) == "not checkable here"
    with pytest.raises(ValueError, match="same length"):
        w([6, 11], [1.0])


def test_final_bound_and_main_result_verdict_branches():
    v = dw.final_bound_verdict
    assert v(0.94, -1.1) == "reproduced with a caveat"
    assert v(1.2, -1.1) == "not reproduced"          # the key inequality fails
    assert v(0.94, -0.1) == "not reproduced"         # the factor does not vanish with n
    with pytest.raises(ValueError, match="factor_slope"):
        v(0.9, float("nan"))
    w = dw.main_result_verdict
    assert w(True, 0.8, 1.2) == "reproduced with a caveat"
    assert w(True, 0.0, 1.2) == "outside the source's regime"
    assert w(False, 0.8, 1.2) == "not reproduced"
    with pytest.raises(ValueError, match="min_s_path"):
        w(True, 0.8, -1.0)


def test_du_verdict_branches():
    v = dw.lambda0_verdict
    assert v(0.15, [0.94, 1.0]) == "reproduced"
    assert v(0.15, [0.3, 0.9]) == "reproduced with a caveat"
    assert v(0.15, [0.2, 0.4]) == "outside the source's regime"
    assert v(0.0, [1.0]) == "not reproduced"
    with pytest.raises(ValueError, match="ratios_t0"):
        v(0.1, [])
    assert dw.perturbation_verdict([0.3, 1.0, 3.0]) == "reproduced with a caveat"
    assert dw.perturbation_verdict([0.0, 0.0]) == "not checkable here"
    with pytest.raises(ValueError, match="c_cert_by_width"):
        dw.perturbation_verdict([-1.0])
    s = dw.self_consistent_verdict
    assert s(7.7e8, 3000, 643.0) == "not checkable here"
    assert s(1e3, 3000, 0.5) == "reproduced"
    assert s(1e3, 3000, 2.0) == "not reproduced"
    with pytest.raises(ValueError, match="n_needed"):
        s(0.0, 10, 1.0)


def test_perturbation_certificate_is_a_lower_bound():
    from kernelnet import twolayer as tl
    rng = np.random.default_rng(3)
    X = tl.sample_sphere(8, 5, random_state=rng)
    W0 = rng.standard_normal((400, 5))
    lam = np.linalg.eigvalsh(tl.empirical_gram(W0, X))[0]
    # R = 0: nothing can flip (ties have probability 0), the bound is lambda_min itself
    assert dw.perturbation_certificate(W0, X, 0.0) == pytest.approx(lam, rel=1e-12)
    R = 0.05
    cert = dw.perturbation_certificate(W0, X, R)
    assert cert < lam
    # every W whose units moved by at most R has lambda_min at or above the certificate:
    # random moves of length R, and moves that flip each unit on the point it is closest to
    # being orthogonal to (by R along -sign(w^T x_i) x_i, which flips it when |w^T x_i| < R)
    P = X @ W0.T
    near = np.argmin(np.abs(P), axis=0)
    flip = -np.sign(P[near, np.arange(400)])[:, None] * X[near]
    assert np.sum(np.abs(P[near, np.arange(400)]) < R) > 10   # the flips do happen
    moves = [R * flip] + [R * U / np.linalg.norm(U, axis=1, keepdims=True)
                          for U in rng.standard_normal((10, *W0.shape))]
    for M in moves:
        assert np.linalg.eigvalsh(tl.empirical_gram(W0 + M, X))[0] >= cert - 1e-12
    # a larger radius certifies less (monotone in R)
    assert dw.perturbation_certificate(W0, X, 2 * R) <= cert
    with pytest.raises(ValueError, match="R"):
        dw.perturbation_certificate(W0, X, -1.0)


def test_gradient_and_dynamics_checks_measure_the_identities():
    c = dw.gradient_and_dynamics_checks(seed=1, m=12, n=6, d=3, k_teacher=3, n_steps=20)
    assert list(c.kind) == ["random", "trained", "trained-reg"]
    # the identities hold to rounding, the talk's sign of df/dt does not (r = (f - y)/m)
    assert (c[["grad_rel_dense", "grad_rel_numba", "grad_rel_fd"]] < 1e-6).all().all()
    assert (c.dyn_rel_minus < 1e-6).all() and (c.dyn_rel_plus > 1.9).all()
    assert (c.gram_identity < 1e-12).all() and c.grad_check_passed.all()
    # Weyl's inequality, and the two routes to lambda_m(G_n)
    assert (c.slack >= -1e-12).all()
    np.testing.assert_allclose(c.lam_Gn, c.lam_Gn_dense, atol=1e-12)
    with pytest.raises(ValueError, match="rank < m"):
        dw.gradient_and_dynamics_checks(m=40, n=6, d=3)


def test_random_init_sweep_and_omega_sweep():
    t, info = dw.random_init_sweep(seed=0, m=12, d=4, widths=(10, 40), draws=2)
    assert len(t) == 4 and info["m"] == 12
    assert (t.slack >= -1e-12).all()
    np.testing.assert_allclose(t.s2, t.n * t.lam_Gn, rtol=1e-8, atol=1e-12)
    assert (t.L2_req == (t.n * 4) ** -0.25).all()
    with pytest.raises(ValueError, match="n \\* d"):
        dw.random_init_sweep(seed=0, m=50, d=4, widths=(10,), draws=1)
    o = dw.omega_m_sweep(seed=0, dims=(4, 6), draws=1)
    assert list(o.m) == [5, 7] and (o.d_gamma >= dw.REGIME_D_GAMMA).all()
    assert (o.n >= np.log(o.m) / o.gamma_m).all()


def test_concentration_errors_on_constructed_spectra():
    blocks = [(1, 2, 0.5), (3, 3, 0.2)]
    ev = np.array([0.55, 0.45, 0.2, 0.01, 0.01, 0.01])   # block means exact, singles 10% off
    e = dw._concentration_errors(ev, blocks)
    assert e["conc_err"] == pytest.approx(0.0, abs=1e-15)
    assert e["conc_err_max"] == pytest.approx(0.1)
    e = dw._concentration_errors(np.array([0.5, 0.5, 0.3, 0.0, 0.0, 0.0]), blocks)
    assert e["conc_err"] == pytest.approx(0.5)                # the second block is 50% off
    # fewer than CONC_RESOLUTION x the last block end: the top is not resolved, no number
    assert np.isnan(dw._concentration_errors(ev[:5], blocks)["conc_err"])
