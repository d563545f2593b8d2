"""kernelnet.experiments.single_layer (chapter 4): the experiments at small sizes, the verdicts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from _helpers import chapter_glue_problems
from kernelnet.experiments import single_layer as ex
from kernelnet.single_layer import (
    SingleLayerProblem,
    dense_hessian,
    gauss_newton,
    hessian_operator,
    inverse_crime_data,
    pack,
    single_layer,
)


# ---------------------------------------------------------------------------------------------
# the chapter's experiments (small sizes)
# ---------------------------------------------------------------------------------------------


def test_peaks_matches_formula_at_known_points():
    # hand-evaluated: peaks(0, 0) = 3 e^{-1} - e^{-1}/3 = (8/3) e^{-1}
    assert abs(ex.peaks(0.0, 0.0) - 8.0 / 3.0 * np.exp(-1.0)) < 1e-15
    # peaks(1, 0): first term 0, second -10(1/5 - 1) e^{-1} = 8 e^{-1}, third -e^{-4}/3
    assert abs(ex.peaks(1.0, 0.0) - (8.0 * np.exp(-1.0) - np.exp(-4.0) / 3.0)) < 1e-14
    # MATLAB's documented maximum is about 8.1 near (-0.0093, 1.58)
    g = np.linspace(-3, 3, 601)
    X, Yg = np.meshgrid(g, g)
    assert 8.0 < ex.peaks(X, Yg).max() < 8.2


def test_rank_identity_capped_nonlinear_full():
    df = ex.rank_vs_width([3, 20, 60], n=40, n_f=4, random_state=0)
    ident = df[df.activation == "identity"].set_index("m")["rank_Z"]
    # identity: K Y + b 1^T has rank <= n_f + 1 = 5
    assert ident.loc[3] == 3 and ident.loc[20] == 5 and ident.loc[60] == 5
    for act in ("tanh", "relu"):
        r = df[df.activation == act].set_index("m")
        assert (r["rank_Z"] == r["max_rank"]).all()


def test_recovery_errors_invariant_to_symmetries():
    rng = np.random.default_rng(0)
    K, W = rng.standard_normal((6, 4)), rng.standard_normal((3, 6))
    perm = rng.permutation(6)
    shift = rng.standard_normal(6)
    r = ex.recovery_errors(K[perm], 0.1, W[:, perm] + shift[None, :], K, 0.1, W)
    assert r["K_rel_error"] < 1e-15 and r["W_rel_error_centred"] < 1e-14
    assert r["W_rel_error_raw"] > 0.1  # the raw error does see the softmax shift
    np.testing.assert_array_equal(perm[r["permutation"]], np.arange(6))
    with pytest.raises(ValueError, match="shapes"):
        ex.recovery_errors(K[:5], 0.1, W[:, :5], K, 0.1, W)


def test_jacobian_checks_all_pass():
    out = ex.jacobian_checks(m=4, n_f=3, n=5, random_state=1)
    assert out["derivative_summary"]["passed"].all()
    assert out["adjoint"]["passed"].all() and len(out["adjoint"]) == 6


def test_inverse_crime_near_truth_recovers_with_enough_data():
    # From a 10% perturbation of the truth, with n = 1600 examples for 401 unknowns, GN must
    # recover K and the centred W to well under the starting 10%.
    df = ex.recovery_vs_n([1600], n_f=20, n_c=5, m=16, max_iter=15, n_val=500, random_state=0)
    assert df["K_rel_error"].iloc[0] < 0.03 and df["W_rel_error_centred"].iloc[0] < 0.03
    with pytest.raises(ValueError, match="start"):
        ex.inverse_crime(start="zero")


def test_peaks_random_features_train_error_falls():
    # m = 2n: generic tanh features span all n targets; reg = 1e-10 leaves a residual of
    # order reg / sigma_min^2 of the Gram matrix, far below 1e-3; m = 5 cannot fit 60 points.
    df = ex.peaks_random_features([5, 120], n_train=60, n_val=200, random_state=0)
    assert df["train_rel_error"].iloc[1] < 1e-3 < 0.1 < df["train_rel_error"].iloc[0]


def test_run_rejects_bad_parameters():
    with pytest.raises(ValueError, match="quick"):
        ex.run(quick="yes")
    with pytest.raises(ValueError, match="seed"):
        ex.run(seed=-1)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: ex.rank_vs_width([0]), "widths"),
        (lambda: ex.rank_vs_width([3], n=0), "n"),
        (lambda: ex.peaks_random_features([3], n_train=0), "n_train"),
        (lambda: ex.peaks_data(0), "n"),
        (lambda: ex.loss_landscape(grid=1), "grid"),
        (lambda: ex.loss_landscape(radius=0.0), "radius"),
        (lambda: ex.inverse_crime(max_iter=0), "max_iter"),
        (lambda: ex.inverse_crime(perturbation=-0.1, start="perturbed"), "perturbation"),
        (lambda: ex.recovery_vs_n([0]), "ns"),
        (lambda: ex.adversarial_example(m=0), "m"),
        (lambda: ex.adversarial_example(n_lambda=0), "n_lambda"),
    ],
)
def test_experiments_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_adversarial_example_flips_the_prediction():
    adv = ex.adversarial_example(m=16, max_iter=8, n_lambda=6, random_state=0)
    assert adv.test_accuracy > 0.8
    assert adv.prob_before.argmax() == adv.label
    assert adv.prob_after.argmax() == adv.target != adv.label
    assert np.all(adv.perturbed >= -1e-12) and np.all(adv.perturbed <= 1 + 1e-12)  # the box
    np.testing.assert_allclose(adv.d_norm, np.linalg.norm(adv.perturbed - adv.image), rtol=1e-12)


def test_sweeps_same_serial_and_two_jobs():
    for f, args, kw in [
        (ex.rank_vs_width, ([3, 20],), dict(n=30, n_f=4, random_state=2)),
        (ex.peaks_random_features, ([5, 40],), dict(n_train=30, n_val=50, random_state=2)),
        (ex.recovery_vs_n, ([60, 120],), dict(n_f=6, n_c=3, m=5, max_iter=4, n_val=50,
                                             random_state=2)),
    ]:
        pd.testing.assert_frame_equal(f(*args, **kw), f(*args, **kw, n_jobs=2), check_exact=True)


@pytest.mark.filterwarnings("ignore::scipy.linalg.LinAlgWarning")
def test_peaks_at_the_interpolation_threshold_do_not_depend_on_the_callers_blas_threads():
    # m = n = 400: the Gram matrix's rcond is ~1e-16, so a 2-thread BLAS in the caller changed
    # the fourth digit of the errors against a one-thread worker, before the unit was pinned.
    from threadpoolctl import threadpool_limits

    kw = dict(n_train=400, n_val=500, random_state=0)
    with threadpool_limits(2, user_api="blas"):
        here = ex.peaks_random_features([400, 600], **kw)
    pd.testing.assert_frame_equal(here, ex.peaks_random_features([400, 600], n_jobs=2, **kw),
                                  check_exact=True)


# ---------------------------------------------------------------------------------------------
# the identifiability of the inverse crime (issue 16, items 1 and 7)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sizes", [(120, 4, 3, 5), (200, 6, 4, 3)])
def test_hessian_null_space_at_the_truth_is_the_softmax_shift(sizes):
    n, nf, nc, m = sizes
    res = ex.identifiability(n=n, n_f=nf, n_c=nc, m=m, random_state=3)
    # dimension m (one shift direction per hidden unit: W -> W + 1 a^T, a in R^m)
    assert res["n_zero"] == m == res["n_shift"]
    # the numerical null space is the shift subspace: cosines of the principal angles are 1 up
    # to eigenvector rounding eps * ||H|| / gap, with a gap of >= 1e4 relative here
    assert res["alignment"] > 1 - 1e-8
    assert res["n_negative"] == 0 and res["smallest_positive"] > 1e3 * 1e-11 * res["largest"]
    assert res["grad_norm"] < 1e-12  # the truth is a stationary point (exact fit)


def test_identifiability_detects_a_second_null_direction():
    # a negative control: a duplicated hidden unit (two equal rows of K) adds null directions
    # (K_i - K_j, W_i - W_j trade-offs), so the truth is not identified
    d = inverse_crime_data(100, 4, 3, 4, random_state=0)
    K = d["K"].copy()
    K[1] = K[0]
    prob = SingleLayerProblem(d["Y"], d["C"], 4)
    # regenerate labels from the duplicated truth so it is an exact fit
    Z = single_layer(K, d["b"], d["Y"]).Z
    S = d["W"] @ Z
    P = np.exp(S - S.max(axis=0))
    P /= P.sum(axis=0)
    prob = SingleLayerProblem(d["Y"], P, 4)
    ev = np.linalg.eigvalsh(dense_hessian(prob, pack(K, d["b"], d["W"]), "exact"))
    n_zero = int(np.sum(np.abs(ev) <= ex.ZERO_TOL * ev[-1]))
    assert n_zero > 4
    assert not ex.is_identified(n_zero, 4, 1.0)


def test_gauss_newton_hessian_kinds_run_and_coupled_recovers():
    d = inverse_crime_data(150, 5, 3, 4, random_state=1)
    prob = SingleLayerProblem(d["Y"], d["C"], 4)
    x0 = ex._perturbed_truth(d, 0.1, np.random.default_rng(0))
    h = gauss_newton(prob, x0, max_iter=30, cg_maxiter=50, hessian="gauss-newton")
    assert h.method == "coupled Gauss-Newton-CG" and np.all(np.diff(h.loss) <= 1e-15)
    err = ex.recovery_errors(*prob.unpack(h.x), d["K"], d["b"], d["W"])["K_rel_error"]
    assert err < 0.01  # from 0.1: identified, small and well-conditioned enough here
    hx = gauss_newton(prob, x0, max_iter=3, hessian="exact")
    assert hx.method == "Newton-CG" and hx.loss[-1] < hx.loss[0]
    with pytest.raises(ValueError, match="hessian"):
        gauss_newton(prob, x0, hessian="full")
    with pytest.raises(ValueError, match="kind"):
        hessian_operator(prob, x0, "newton")
    with pytest.raises(ValueError, match="problem"):
        dense_hessian("not a problem", x0)


def test_curvature_and_budget_tables_small():
    sz = dict(n=80, n_f=4, n_c=3, m=4)
    cv = ex.curvature_vs_distance((0.01, 0.1), **sz, random_state=0)
    assert list(cv.point) == ["truth", "truth + 1%", "truth + 10%", "random start"]
    assert cv.second_term.iloc[0] < 1e-12  # exact fit: exact Hessian = Gauss-Newton
    assert np.all(np.diff(cv.second_term.to_numpy()) > 0)
    assert np.isnan(cv["K_after_block"].iloc[0])
    bud = ex.optimiser_budgets(**sz, gn_iter=5, cg_budgets=(5, 20), lbfgs_iters=(10,),
                               random_state=0)
    assert len(bud) == 5 and bud.K_rel_error.notna().all()


# ---------------------------------------------------------------------------------------------
# chapter 4 verdict functions: one case per branch
# ---------------------------------------------------------------------------------------------
def test_rank_verdict_branches():
    assert ex.rank_verdict(6, 5, 20, 20) == "reproduced"
    assert ex.rank_verdict(6, 5, 19, 20) == "reproduced with a caveat"
    assert ex.rank_verdict(7, 5, 20, 20) == "not reproduced"
    assert ex.rank_verdict(6, 5, 0, 20) == "not reproduced"
    with pytest.raises(ValueError, match="nonlinear_full"):
        ex.rank_verdict(6, 5, 21, 20)


def test_random_features_and_checks_and_nonconvexity_verdicts():
    assert ex.random_features_verdict(1.0, 0.1) == "reproduced"
    assert ex.random_features_verdict(0.2, 0.1) == "reproduced with a caveat"
    with pytest.raises(ValueError, match="best_val"):
        ex.random_features_verdict(0.2, 0.0)
    assert ex.checks_verdict([True, True], [True]) == "reproduced"
    assert ex.checks_verdict([True, False], [True]) == "not reproduced"
    assert ex.checks_verdict([True], [False]) == "not reproduced"
    with pytest.raises(ValueError, match="non-empty"):
        ex.checks_verdict([], [True])
    assert ex.nonconvexity_verdict(0.5, 0.0) == "reproduced"
    assert ex.nonconvexity_verdict(0.5, 0.01) == "reproduced with a caveat"
    assert ex.nonconvexity_verdict(0.0, 0.0) == "not reproduced"
    with pytest.raises(ValueError, match="frac_negative_K"):
        ex.nonconvexity_verdict(1.5, 0.0)


def test_gn_speed_and_adversarial_verdicts():
    assert ex.gn_speed_verdict(1e-3, 1e-2, 1e-3, 1e-2) == "reproduced"
    assert ex.gn_speed_verdict(1e-3, 1e-2, 1e-1, 1e-2) == "reproduced with a caveat"
    assert ex.gn_speed_verdict(1e-1, 1e-2, 1e-1, 1e-2) == "not reproduced"
    assert ex.adversarial_verdict(True, 0.1) == "reproduced"
    assert ex.adversarial_verdict(True, 0.9) == "reproduced with a caveat"
    assert ex.adversarial_verdict(False, 0.1) == "not reproduced"


def test_inverse_crime_verdict_branches():
    assert ex.is_identified(40, 40, 1.0 - 1e-12)
    assert not ex.is_identified(41, 40, 1.0)
    assert not ex.is_identified(40, 40, 0.9)
    assert not ex.is_identified(40, 40, float("nan"))
    assert ex.inverse_crime_verdict(True, 0.03, 0.02) == "reproduced"
    assert ex.inverse_crime_verdict(True, 0.12, 0.022) == "reproduced with a caveat"
    assert ex.inverse_crime_verdict(True, 0.12, 0.08) == "not reproduced"
    assert ex.inverse_crime_verdict(False, 0.01, 0.01) == "not reproduced"


def test_second_term_verdict_branches():
    p = [0.01, 0.1, 0.3, np.inf]
    assert ex.second_term_verdict(p, [0.05, 0.4, 0.6, 0.9], 0) == "reproduced"
    assert ex.second_term_verdict(p, [0.05, 0.4, 0.6, 0.9], 690) == "reproduced with a caveat"
    assert ex.second_term_verdict(p, [0.5, 0.4, 0.6, 0.9], 0) == "not reproduced"
    assert ex.second_term_verdict(p, [0.2, 0.4, 0.6, 0.9], 0) == "not reproduced"  # not small
    # order of the input does not matter
    assert ex.second_term_verdict(p[::-1], [0.9, 0.6, 0.4, 0.05], 0) == "reproduced"
    with pytest.raises(ValueError, match="same length"):
        ex.second_term_verdict([0.1], [0.1], 0)


def test_coupling_verdict_branches():
    assert ex.coupling_verdict([0.01, 0.05], [0.1, 0.05], [0.1, 0.05]) == ("reproduced", False)
    # large coupling, but the block method still improves with more inner steps
    assert ex.coupling_verdict([0.45], [0.05, 0.03], [0.04, 0.01]) == (
        "reproduced with a caveat", False)
    # large coupling, block moves away while coupled does better: the numbers
    assert ex.coupling_verdict([0.45, 0.44], [0.12, 0.25, 0.38], [0.086, 0.117, 0.037]) == (
        "finding of ours", True)
    with pytest.raises(ValueError, match="budgets"):
        ex.coupling_verdict([0.4], [0.1], [0.1])


def test_chapter_parameters_are_checked():
    with pytest.raises(ValueError, match="unknown parameter"):
        ex.run(quick=True, seed=0, crime_size=(1, 2, 3, 4))
    with pytest.raises(ValueError, match="crime_sizes"):
        ex.run(quick=True, seed=0, crime_sizes=(10, 2, 1, 2))
    with pytest.raises(ValueError, match="cg_budgets"):
        ex.run(quick=True, seed=0, cg_budgets=(100, 10))
    assert ex.PARAMETERS["crime_sizes"].full == ex.LECTURE_SIZES


def test_coupling_verdict_over_seeds():
    # every seed must show the drift and the coupled advantage for the contradicting finding
    blk = [[0.12, 0.25, 0.38], [0.07, 0.24, 0.57]]
    cpl = [[0.086, 0.117, 0.037], [0.057, 0.039, 0.018]]
    assert ex.coupling_verdict([0.45], blk, cpl) == ("finding of ours", True)
    blk2 = [[0.12, 0.25, 0.38], [0.07, 0.05, 0.04]]  # second seed improves with the budget
    assert ex.coupling_verdict([0.45], blk2, cpl) == ("reproduced with a caveat", False)


def test_block_gn_variants_small():
    v = ex.block_gn_variants(n=80, n_f=4, n_c=3, m=4, gn_iter=5, cg_maxiter=20, dampings=(1e-3,),
                             long_iter=10, random_state=0)
    assert len(v) == 3 and v.K_rel_error.notna().all()
    with pytest.raises(ValueError, match="dampings"):
        ex.block_gn_variants(n=80, n_f=4, n_c=3, m=4, dampings=(0.0,))


def test_run_findings_and_prose_cover_the_notebook():
    res = ex.run(quick=True, seed=0, rank_widths=(2, 20, 120), peaks_widths=(5, 50, 150),
                 n_val=200, recovery_ns=(200, 400), lbfgs_iters=(60, 300), budget_seeds=1,
                 cg_budgets=(10, 100), adv_iter=8, adv_lambdas=4, depth_lines=2)
    assert chapter_glue_problems(res.findings, ex.prose(res), "04_single_layer_networks") == []


def test_indefinite_verdict_branches():
    assert ex.indefinite_verdict([0, 5], [3, 4]) == "reproduced"
    assert ex.indefinite_verdict([0, 0], [3, 4]) == "not reproduced"
    with pytest.raises(ValueError, match="same shape"):
        ex.indefinite_verdict([1], [1, 2])


# --------------------------------------------------------------------------------------------
# the ledger's last rows of seed 001 (issue 14)
# --------------------------------------------------------------------------------------------
def test_ledger_verdict_branches():
    assert ex.separability_verdict(False, [True, True]) == "reproduced"
    assert ex.separability_verdict(False, [True, False]) == "reproduced with a caveat"
    assert ex.separability_verdict(True, [True, True]) == "not reproduced"
    assert ex.separability_verdict(False, [False]) == "not reproduced"
    with pytest.raises(ValueError, match="embedded_separable"):
        ex.separability_verdict(False, [])
    assert ex.linear_fit_verdict(True, 0.5, 1e-15, 1e-15) == "reproduced"
    assert ex.linear_fit_verdict(True, 6.0, 1e-15, 1e-15) == "reproduced with a caveat"
    assert ex.linear_fit_verdict(False, 0.5, 1e-15, 1e-15) == "not reproduced"
    assert ex.linear_fit_verdict(True, 0.5, 1e-15, 1e-3) == "not reproduced"
    with pytest.raises(ValueError, match="z"):
        ex.linear_fit_verdict(True, float("nan"), 0.0, 0.0)
    assert ex.conjecture_verdict(True, 1e-13, 0.8) == "reproduced"
    assert ex.conjecture_verdict(True, 1e-4, 0.8) == "reproduced with a caveat"
    assert ex.conjecture_verdict(True, 1e-13, 1e-3) == "reproduced with a caveat"
    assert ex.conjecture_verdict(False, float("nan"), 0.8) == "not reproduced"
    assert ex.interpolation_verdict(1e-10, 1e-10, 1e-5) == "reproduced"
    assert ex.interpolation_verdict(1e-10, 1e-10, 0.05) == "reproduced with a caveat"
    assert ex.interpolation_verdict(0.03, 1e-9, 1e-5) == "reproduced with a caveat"
    assert ex.interpolation_verdict(0.03, 1e-3, 1e-5) == "not reproduced"
    with pytest.raises(ValueError, match="err_exact_best"):
        ex.interpolation_verdict(0.0, float("nan"), 0.0)
    assert ex.depth_verdict([[0.0, 0.1, 0.2], [0.3, 0.4, 0.4]]) == "reproduced"
    assert ex.depth_verdict([[0.0, 0.2, 0.1]]) == "reproduced with a caveat"
    assert ex.depth_verdict([[0.0, 0.1], [0.5, 0.4]]) == "not reproduced"
    # near saturation a step down within twice its standard error does not count...
    assert ex.depth_verdict([[0.3, 0.51, 0.50]], [[0.02, 0.02, 0.02]]) == "reproduced"
    # ...one beyond it does, and a rise within the noise is no rise
    assert ex.depth_verdict([[0.3, 0.51, 0.40]], [[0.02, 0.02, 0.02]]) == \
        "reproduced with a caveat"
    assert ex.depth_verdict([[0.30, 0.33]], [[0.02, 0.02]]) == "not reproduced"
    with pytest.raises(ValueError, match="length"):
        ex.depth_verdict([[0.1]])
    with pytest.raises(ValueError, match="ses_by_scaling"):
        ex.depth_verdict([[0.1, 0.2]], [[0.1]])
    assert ex.identity_verdict([1e-16, 1e-13], 1.3) == "reproduced"
    assert ex.identity_verdict([1e-16], float("nan")) == "reproduced"
    assert ex.identity_verdict([1e-16], 1e-12) == "reproduced with a caveat"
    assert ex.identity_verdict([1e-9], 1.3) == "not reproduced"
    assert ex.identity_verdict([1e-9], 1.3, tol=1e-6) == "reproduced"
    with pytest.raises(ValueError, match="errors"):
        ex.identity_verdict([], 1.0)


def test_ledger_checks_small():
    sep = ex.separability_check(n=60, m=30, random_state=1)
    assert not sep["separable_raw"] and sep["separable_lifted"] and sep["accuracy_lifted"] == 1
    lf = ex.linear_fit_check(n=40, n_f=3, n_rep=200, random_state=1)
    # E ||residual||^2 / ||C||^2 = (n - n_f) / n for Gaussian C: 5 standard errors
    assert abs(lf["ratio_mean"] - lf["ratio_closed"]) <= 5 * lf["ratio_se"]
    assert lf["no_solution_all"] and lf["control_residual"] < 1e-12
    with pytest.raises(ValueError, match="n_f"):
        ex.linear_fit_check(n=3, n_f=3)
    cj = ex.conjecture_fit_check(n=30, ms=(30, 45), random_state=1)
    nl = cj[cj.activation != "identity"]
    assert (nl["rank"] == 30).all() and nl.resid_lstsq.max() < 1e-8
    assert cj[cj.activation == "identity"].resid_lstsq.min() > 0.1
    ri = ex.random_labels_interpolation(n=30, ms=(30,), reg=0.0, random_state=1)
    assert ri.train_rel_error.iloc[0] < 1e-6
    dp = ex.nonconvexity_vs_depth((1, 3), n=40, n_lines=2, grid=11, random_state=1)
    assert list(dp.depth) == [1, 3] and dp.frac_negative.between(0, 1).all()
    with pytest.raises(ValueError, match="weight_scale"):
        ex.nonconvexity_vs_depth((1, 2), weight_scale="he")
    vk = ex.vec_kron_check(random_state=1)
    assert vk["identity_err"] < 1e-14 and vk["matvec_err"] < 1e-14
    assert vk["jacobian_fd_err"] < 1e-10 and vk["control_row_major_err"] > 0.1
    ch = ex.gradient_chain_check(n=10, random_state=1)
    assert max(ch["err_K"], ch["err_b"], ch["err_W"]) < 1e-6 and ch["err_W_as_written"] > 0.1
    gh = ex.gn_hessian_check(n=15, m=4, n_f=3, random_state=1)
    assert gh["fd_err"] < 1e-6 and gh["lib_err"] < 1e-12 and gh["gn_min_eig_rel"] > -1e-12
    assert gh["second_min_eig"] < 0 < gh["second_max_eig"]
