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
    assert len(ids) == len(set(ids)) == 10
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
