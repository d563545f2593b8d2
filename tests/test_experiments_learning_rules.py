"""kernelnet.experiments.learning_rules (chapter 5): experiments at small sizes, verdicts."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from _helpers import chapter_glue_problems
from kernelnet.experiments import learning_rules as ex

EPS = np.finfo(np.float64).eps


# ------------------------------------------------------------------------------------------------
# the chapter's experiments (small sizes)
# ------------------------------------------------------------------------------------------------


def test_experiment_lagrangian_backprop():
    r = ex.lagrangian_backprop(seed=1)
    # same rounding argument as test_multipliers_are_backprop_deltas
    assert r["delta_err"] <= 1e3 * EPS and r["solve_err"] <= 1e3 * EPS
    assert r["grad_err"] <= 1e3 * EPS
    assert r["check"].passed and not r["check_wrong"].passed


def test_experiment_gradient_estimates():
    r = ex.gradient_estimates(N=4, M=3, sigma=0.2, draws=[1, 10, 100], n_repeats=300, seed=2)
    v = r["variance"]
    # per-draw variance: 5 standard errors of the sample mean of ||g - G||^2
    assert np.all(np.abs(v.var_measured - v.var_exact) <= 5 * v.var_se)
    t = r["table"]
    # the mean square relative error over the repeats estimates v / (K ||G||^2): 5 standard
    # errors of that sample mean (300 repeats: the single-draw errors are sixth-degree
    # polynomials of Gaussians, heavy-tailed, and 30 repeats under-estimate their spread)
    assert np.all(np.abs(t.relerr_rms**2 - t.relerr_pred**2) <= 5 * t.relerr2_se), t
    # averaging more draws aligns the estimate with the gradient
    for (m, b), sub in t.groupby(["method", "baseline"]):
        assert sub.sort_values("K").cos_mean.iloc[-1] > sub.sort_values("K").cos_mean.iloc[0]
    with pytest.raises(ValueError, match="draws"):
        ex.gradient_estimates(draws=[0, 3])


def test_experiment_learning_curves_and_seeds():
    a = ex.learning_curves(N=3, M=2, n_runs=60, decades=1.0, seed=3)
    for m in ("gd", "np", "wp"):
        # Monte Carlo error bar of the run average, 5 standard errors, one decade into each
        # rule's own decay (t = K ln 10): later, the error is a product of many random factors
        # whose mean is carried by rare runs and the sample standard error is unreliable.
        t = int(a["K"][m] * np.log(10))
        assert abs(a[m]["mean"][t] - a[m]["theory"][t]) <= 5 * a[m]["se"][t]
    b = ex.learning_curves(N=3, M=2, n_runs=60, decades=1.0, seed=3)
    np.testing.assert_array_equal(a["wp"]["mean"], b["wp"]["mean"])
    c = ex.learning_curves(N=3, M=2, n_runs=60, decades=1.0, seed=4)
    assert not np.array_equal(a["wp"]["mean"], c["wp"]["mean"])


def test_experiment_scaling():
    r = ex.scaling(Ns=(2, 4, 8), Ms=(1, 2, 4), N_fixed=3, M_fixed=2, target=0.1, n_runs=12,
                   seed=0)
    t = r["table"]
    # The crossing time of the run-averaged curve moves by (relative s.e. of the run average)
    # / (-ln rho) steps (t_se); 5 of them, plus 2 steps for the integer rounding of a crossing.
    assert np.all(np.abs(t.t_measured - t.t_exact) <= 5 * t.t_se + 2), t
    s = r["slopes"].set_index(["sweep", "method"])
    assert s.loc[("N", "wp")].measured > s.loc[("N", "np")].measured + 0.4
    assert abs(s.loc[("M", "gd")].exact) < 1e-9
    with pytest.raises(ValueError, match="target"):
        ex.scaling(target=1.5)


def test_experiment_sweeps_identical_on_two_workers():
    # the sweeps run their units through kernelnet.parallel.map_units: same seed, exactly the
    # same numbers serially and on 2 local workers
    a = ex.learning_curves(N=2, M=2, n_runs=3, decades=0.5, seed=7)
    b = ex.learning_curves(N=2, M=2, n_runs=3, decades=0.5, seed=7, n_jobs=2)
    for m in ("gd", "np", "wp"):
        for key in ("mean", "se", "theory"):
            np.testing.assert_array_equal(a[m][key], b[m][key])
    kw = dict(Ns=(2, 3), Ms=(1, 2), N_fixed=2, M_fixed=1, target=0.3, n_runs=2, seed=7)
    ra, rb = ex.scaling(**kw), ex.scaling(n_jobs=2, **kw)
    assert ra["table"].equals(rb["table"]) and ra["slopes"].equals(rb["slopes"])
    kw = dict(margins=(0.1, 0.3), n=50, d=3, n_datasets=2, seed=7)
    assert ex.perceptron_mistakes(**kw).equals(ex.perceptron_mistakes(n_jobs=2, **kw))
    kw = dict(N=3, M=2, sigma=0.2, draws=[1, 5], n_repeats=3, seed=7)
    ga, gb = ex.gradient_estimates(**kw), ex.gradient_estimates(n_jobs=2, **kw)
    assert ga["table"].equals(gb["table"]) and ga["variance"].equals(gb["variance"])
    kw = dict(D=3, lam_max_values=(2.0, 4.0), eta=1e-2, T=200, n_runs=2, seed=7)
    ha, hb = ex.hebbian_growth(**kw), ex.hebbian_growth(n_jobs=2, **kw)
    assert ha["table"].equals(hb["table"])
    for key in ("eta_t", "log_norm", "angle"):
        np.testing.assert_array_equal(ha["trajectory"][key], hb["trajectory"][key])


def test_experiment_activation_and_linear_neuron():
    a = ex.activation_equivalence(seed=1)
    assert a["identity_err"] <= 4 * EPS and a["net_err"] <= 1e2 * EPS
    r = ex.linear_neuron(D=10, Ns=[4, 8, 10, 20], n_repeats=3, quick=True, seed=0)
    t = r["table"].set_index("N")
    assert list(t["rank"]) == [4, 8, 10, 10] and list(t["unique"]) == [False, False, True, True]
    assert t.loc[4].train_mse < 1e-25 and t.loc[20].train_mse > 1e-6
    assert t.loc[4].other_norm > t.loc[4].norm
    assert t.loc[4].gd_dist < 1e-6
    assert r["hessian_err"] < 1e-10  # central differences of an affine gradient: rounding only
    # the sample sizes run through kernelnet.parallel.map_units: identical on 2 workers
    r2 = ex.linear_neuron(D=10, Ns=[4, 8, 10, 20], n_repeats=3, quick=True, seed=0, n_jobs=2)
    pd.testing.assert_frame_equal(r["table"], r2["table"])
    assert r["hessian_err"] == r2["hessian_err"]


def test_experiment_hebbian_oja_sanger():
    h = ex.hebbian_growth(D=4, lam_max_values=(2.0, 4.0), eta=1e-3, T=4000, n_runs=6, seed=0)
    tb = h["table"]
    # O(eta lam Tr C) discretisation bias plus 5 Monte Carlo standard errors lam sqrt(2/(T/2))/sqrt(R)
    tol = tb.bias_bound + 5 * tb.lam_max * np.sqrt(2 / (tb["T"] / 2)) / np.sqrt(6)
    assert np.all(np.abs(tb.rate_mean - tb.lam_max) <= tol), tb
    p = ex.pca_rules(D=5, k=2, T=30000, seed=0)
    # stationary rms angle from the linearisation; ~30 correlation times in the late half
    assert 0.6 <= p["oja_rms_late"] / p["oja_rms_pred"] <= 1.5
    assert np.all(p["sanger_late"] < 0.3)


def test_experiment_deep_linear_and_perceptron():
    d = ex.deep_linear(singular_values=(2.0, 1.0), n_in=4, n_out=3, n_hidden=4, eta=0.004,
                       seed=0)
    # forward Euler: the error halves with the step (first order), +-10%
    assert 1.8 <= d["max_err"] / d["max_err_half"] <= 2.2
    assert np.allclose(d["decoupled"][-1], d["s"], rtol=1e-3)
    p = ex.perceptron_mistakes(margins=(0.1, 0.3), n=200, d=5, n_datasets=3, seed=0)
    assert p.converged.all() and np.all(p.mistakes <= p.bound)


def test_experiment_perturbation_bias_sweep():
    r = ex.perturbation_bias_sweep(sizes=(3, 5, 4, 2), sigmas=(0.1, 0.03), n_draws=4000,
                                   n_var_draws=2000, seed=1)
    t = r["table"]
    assert set(t.method) == {"wp", "np"} and len(t) == 4
    assert np.all(t.linear_bias_rel < 1e-12)
    assert all(abs(s - 2) < 0.3 for s in r["slopes"].values())
    # the baseline form's per-draw variance is sigma-free to leading order (about P + 1 for WP)
    wp = t[t.method == "wp"]
    assert np.all(np.abs(wp.var_rel_baseline / (r["P"] + 1) - 1) < 0.3)
    assert np.all(t.var_rel_raw > t.var_rel_baseline)


def test_perturbation_bias_sweep_bad_input():
    with pytest.raises(ValueError, match="sizes"):
        ex.perturbation_bias_sweep(sizes=(3, 2))


# ------------------------------------------------------------------------------------------------
# chapter 5 verdict functions: one case per branch
# ------------------------------------------------------------------------------------------------


def test_lagrangian_and_unbiased_verdicts():
    assert ex.lagrangian_verdict(1e-15, 2.0, 1.0) == "reproduced"
    assert ex.lagrangian_verdict(1e-15, 2.0, 2.0) == "reproduced with a caveat"
    assert ex.lagrangian_verdict(1e-3, 2.0, 1.0) == "not reproduced"
    assert ex.lagrangian_verdict(1e-15, 1.0, 1.0) == "not reproduced"
    assert ex.unbiased_verdict(1e-16, True, 0.0, 1.0) == "reproduced"
    assert ex.unbiased_verdict(1e-16, False, 2.01, 1.01) == "reproduced with a caveat"
    assert ex.unbiased_verdict(1e-16, False, 1.0, 1.01) == "not reproduced"
    assert ex.unbiased_verdict(1e-16, False, 2.0, 1.5) == "not reproduced"
    assert ex.unbiased_verdict(1e-6, True, 2.0, 1.0) == "not reproduced"


def test_variance_and_werfel_verdicts():
    assert ex.variance_verdict(33.0, 33.0, 0.5, 32) == "reproduced"
    assert ex.variance_verdict(33.0, 33.0, 9.0, 32) == "reproduced with a caveat"
    assert ex.variance_verdict(3.0, 3.0, 0.5, 32) == "not reproduced"
    with pytest.raises(ValueError, match="n_perturbed"):
        ex.variance_verdict(3.0, 3.0, 0.5, 0)
    a = [1, 1, 2, 0, 1, 1]
    assert ex.werfel_verdict(a, a, a) == "reproduced"
    e = [0.83, 0.8, 1.73, 0, 0.8, 0.94]
    assert ex.werfel_verdict(e, e, a) == "reproduced with a caveat"
    assert ex.werfel_verdict([0.5] * 6, e, a) == "not reproduced"
    with pytest.raises(ValueError, match="shape"):
        ex.werfel_verdict([1], [1, 2], [1, 2])


def test_equivalence_linear_neuron_and_hessian_verdicts():
    assert ex.equivalence_verdict(1e-16, 1e-15, 3.0) == "reproduced"
    assert ex.equivalence_verdict(1e-16, 1e-15, 0.0) == "reproduced with a caveat"
    assert ex.equivalence_verdict(1e-3, 1e-15, 3.0) == "not reproduced"
    assert ex.linear_neuron_verdict(1e-30, True, True, 1e-10) == "reproduced"
    assert ex.linear_neuron_verdict(1e-30, True, True, 0.1) == "reproduced with a caveat"
    assert ex.linear_neuron_verdict(1e-3, True, True, 1e-10) == "not reproduced"
    assert ex.linear_neuron_verdict(1e-30, False, True, 1e-10) == "not reproduced"
    assert ex.hessian_verdict(1e-14, 1e-14) == "reproduced"
    assert ex.hessian_verdict(1e-14, 0.97) == "reproduced with a caveat"
    assert ex.hessian_verdict(0.5, 0.97) == "not reproduced"


def test_hebbian_oja_sanger_verdicts():
    assert ex.hebbian_verdict(0.01, 0.05, 0.2) == "reproduced"
    assert ex.hebbian_verdict(0.5, 0.05, 0.2) == "reproduced with a caveat"
    assert ex.hebbian_verdict(0.01, 0.5, 0.2) == "reproduced with a caveat"
    assert ex.hebbian_verdict(0.5, 0.5, 0.2) == "not reproduced"
    assert ex.oja_verdict(0.1, 0.1, 1.0) == "reproduced"
    assert ex.oja_verdict(0.5, 0.1, 1.0) == "reproduced with a caveat"
    assert ex.oja_verdict(0.1, 0.1, 1.5) == "not reproduced"
    assert ex.sanger_verdict([0.1, 0.1, 0.1]) == "reproduced"
    assert ex.sanger_verdict([0.1, 0.5]) == "reproduced with a caveat"
    assert ex.sanger_verdict([0.5, 0.1]) == "not reproduced"
    with pytest.raises(ValueError, match="late_angles"):
        ex.sanger_verdict([])


def test_saxe_and_perceptron_verdicts():
    assert ex.saxe_verdict(0.06, 0.03, 3.0) == "reproduced"
    assert ex.saxe_verdict(0.6, 0.3, 3.0) == "reproduced with a caveat"
    assert ex.saxe_verdict(0.06, 0.06, 3.0) == "not reproduced"
    assert ex.saxe_verdict(0.06, 0.0, 3.0) == "not reproduced"
    assert ex.perceptron_verdict(0.1, True) == "reproduced"
    assert ex.perceptron_verdict(0.1, False) == "reproduced with a caveat"
    assert ex.perceptron_verdict(1.2, True) == "not reproduced"


def test_chapter_parameters_are_checked():
    with pytest.raises(ValueError, match="unknown parameter"):
        ex.run(quick=True, seed=0, bias_draw=10)
    with pytest.raises(ValueError, match="bias_sizes"):
        ex.run(quick=True, seed=0, bias_sizes=(3,))
    with pytest.raises(ValueError, match="dl_eta"):
        ex.run(quick=True, seed=0, dl_eta=0.5)


def test_run_findings_and_prose_cover_the_notebook():
    res = ex.run(quick=True, seed=0, est_max_draws=100, lc_runs=4, scaling_Ns=(2, 4, 8),
                 scaling_Ms=(1, 2, 4), ln_repeats=2, ln_gd_steps=500,
                 hebb_T=500, hebb_runs=2, pca_T=2000, perc_datasets=1, bias_draws=500, upd_draws=500)
    assert chapter_glue_problems(res.findings, ex.prose(res), "05_learning_without_backprop") == []


def test_glue_check_reports_each_problem():
    # negative control of the shared check above: a repeated unknown id, an empty phrase and no
    # glue for the notebook's keys are each reported
    fake = [SimpleNamespace(claim_id="002.no-such-claim")] * 2
    problems = chapter_glue_problems(fake, {"lr-delta-err": ""}, "05_learning_without_backprop")
    assert [p.split(":")[0] for p in problems] == [
        "claim ids published more than once", "claim ids not in the registry",
        "prose values that are not non-empty strings", "keys the notebook reads that nothing glues"]


def test_ordering_verdict_branches():
    assert ex.ordering_verdict([1, 2], [3, 4]) == "reproduced"
    assert ex.ordering_verdict([1, 2, 5], [3, 4, 4]) == "reproduced with a caveat"
    assert ex.ordering_verdict([5, 5], [3, 4]) == "not reproduced"
    with pytest.raises(ValueError, match="same shape"):
        ex.ordering_verdict([1], [1, 2])


# ------------------------------------------------------------------------------------------------
# the notes' update equations and the deep linear network's gradients (issue 14's rows)
# ------------------------------------------------------------------------------------------------


def test_update_equation_verdicts():
    # q within 4 sqrt(2 / p_eff) of 1: p_eff = 200 gives a band of +-0.4
    assert ex.raw_error_verdict(1.1, 200.0, 1.5) == "reproduced"
    assert ex.raw_error_verdict(1.1, 200.0, 6.0) == "reproduced with a caveat"
    assert ex.raw_error_verdict(1.6, 200.0, 1.5) == "not reproduced"
    assert ex.raw_error_verdict(0.5, 200.0, 1.5) == "not reproduced"
    with pytest.raises(ValueError, match="p_eff"):
        ex.raw_error_verdict(1.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="finite"):
        ex.raw_error_verdict(float("nan"), 100.0, 1.0)
    assert ex.update_verdict(0.9, 200.0, 0.5) == "reproduced"
    assert ex.update_verdict(0.9, 200.0, 900.0) == "reproduced with a caveat"
    assert ex.update_verdict(3.0, 200.0, 0.5) == "not reproduced"
    assert ex.np_update_verdict(0.9, 200.0, 0.5, 2.0) == "reproduced"
    assert ex.np_update_verdict(0.9, 200.0, 300.0, 1.9) == "reproduced with a caveat"
    assert ex.np_update_verdict(0.9, 200.0, 0.5, 1.0) == "not reproduced"  # first-order gap
    assert ex.np_update_verdict(3.0, 200.0, 0.5, 2.0) == "not reproduced"
    assert ex.np_update_verdict(0.9, 200.0, 0.5, float("nan")) == "not checkable here"


def test_deep_linear_verdicts():
    assert ex.deep_linear_gradient_verdict(1e-9, 2.0) == "reproduced"
    assert ex.deep_linear_gradient_verdict(1e-3, 2.0) == "not reproduced"
    assert ex.deep_linear_gradient_verdict(1e-9, 1.0) == "not reproduced"
    with pytest.raises(ValueError, match="finite"):
        ex.deep_linear_gradient_verdict(float("nan"), 2.0)
    assert ex.degree_verdict([1e-15, 1e-16], [0.2, 0.3]) == "reproduced"
    assert ex.degree_verdict([1e-4, 1e-16], [0.2, 0.3]) == "not reproduced"
    assert ex.degree_verdict([1e-15], [1e-12]) == "not reproduced"  # degree too low
    with pytest.raises(ValueError, match="non-empty"):
        ex.degree_verdict([], [0.2])


def test_experiment_perturbation_update_check():
    r = ex.perturbation_update_check(sigmas=(0.1, 0.05), n_draws=4000, seed=3, chunk=1500)
    t = r["table"]
    # the two WP forms have the same mean: q near 1 (5 spreads); the raw form is noisier and
    # more so at the smaller sigma (its extra variance grows like E^2 / sigma^2)
    assert np.all(np.abs(t.q_raw_base - 1) <= 5 * np.sqrt(2 / t.p_eff_raw_base))
    assert np.all(t.var_ratio > 1) and t.var_ratio.iloc[1] > t.var_ratio.iloc[0]
    assert np.all(t.cos_np > 0.9) and np.all(t.var_rel_wp > t.var_rel_np)
    with pytest.raises(ValueError, match="sizes"):
        ex.perturbation_update_check(sizes=(3, 2))
    with pytest.raises(ValueError, match="sigmas"):
        ex.perturbation_update_check(sigmas=(0.1,))


def test_experiment_deep_linear_checks():
    d = ex.deep_linear_checks(n_in=4, n_hidden=3, n_out=2, n=20, seed=2)
    assert d["grad_err"] < 1e-6 and d["check"].passed
    assert d["d5_rel"] < 1e-12 and d["g4_rel"] < 1e-12 and d["a4_err"] < 1e-12
    assert d["d4_rel"] > 1e-3 and d["g3_rel"] > 1e-3 and d["control_d3_rel"] < 1e-12


def test_mean_test_spread_uses_the_full_covariance():
    # draws with one common factor: 20 components but about one effective one. q must have
    # mean 1 and spread sqrt(2 / p_eff) with p_eff from the full covariance (a diagonal
    # p_eff of about 20 would predict a spread 4 times too small)
    rng = np.random.default_rng(0)
    K, P = 400, 20
    qs, pes = [], []
    for _ in range(300):
        x = rng.standard_normal((K, 1)) + 0.1 * rng.standard_normal((K, P))
        _, cov, q, pe = ex._mean_test(x.sum(axis=0), x.T @ x, K, np.zeros(P))
        qs.append(q)
        pes.append(pe)
    sd = np.sqrt(2 / np.mean(pes))
    assert np.mean(pes) < 1.5 and abs(np.mean(qs) - 1) < 0.3
    assert 0.7 < np.std(qs) / sd < 1.3
