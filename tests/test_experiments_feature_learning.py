"""Chapter 7 under the chapter contract: the verdict functions on constructed inputs (every
branch), the collapse statistic, the new library pieces (ridge paths, the H = 0 target,
per-neuron sines) and ``run``'s parameter checks. The chapter's experiments themselves are
exercised by ``tests/test_feature_learning.py`` (same seed, same curves) and the notebook run."""

import math

import numpy as np
import pandas as pd
import pytest

from kernelnet import feature_learning as fl
from kernelnet.claims import VERDICTS
from kernelnet.experiments import feature_learning as ch


# ------------------------------------------------------------------ library pieces
def test_ridge_paths_equal_one_call_per_ridge():
    rng = np.random.default_rng(0)
    tgt = fl.make_target(6, 2, 3, random_state=rng)
    X = fl.sample_inputs(300, 6, random_state=rng)
    y = tgt(X)
    ridges = (1e-4, 1e-2, 1.0)
    path = fl.algorithm1_ridge_path(X, y, m=16, ridges=ridges, random_state=7)
    rf = fl.random_features_ridge_path(X, y, m=16, ridges=ridges, random_state=7)
    for lam, a, b in zip(ridges, path, rf):
        one = fl.algorithm1(X, y, m=16, ridge=lam, random_state=7)
        # the same arithmetic in the same order: equal to rounding of the m x m solve
        np.testing.assert_allclose(a.a, one.a, rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(a.W, one.W)
        assert a.ridge == lam
        one_rf = fl.random_features_regression(X, y, m=16, ridge=lam, random_state=7)
        np.testing.assert_allclose(b.a, one_rf.a, rtol=1e-12, atol=1e-12)
    # shared features: the same predictions as one predict call per fit, bit for bit
    Xt = fl.sample_inputs(50, 6, random_state=rng)
    for fits in (path, rf, [path[0], rf[1]]):  # the last pair shares nothing: one by one
        for pred, f in zip(fl.predict_path(fits, Xt), fits):
            np.testing.assert_array_equal(pred, f.predict(Xt))
    assert fl.predict_path([], Xt) == []
    with pytest.raises(ValueError, match="ridges must hold"):
        fl.algorithm1_ridge_path(X, y, ridges=())
    with pytest.raises(ValueError, match="ridges must be a positive"):
        fl.random_features_ridge_path(X, y, ridges=(0.0,))


def test_pure_hermite_target_violates_assumption2():
    for p in (3, 4):
        t = fl.pure_hermite_target(12, p, random_state=1)
        assert t.r == 1 and t.degree == p
        assert np.allclose(t.hessian(), 0.0)
        assert t.variance == pytest.approx(1.0)
    # p = 3: the ReLU step has zero Hermite coefficients at the orders that pair with He_3,
    # so the whole population gradient at the symmetric init is exactly zero
    t = fl.pure_hermite_target(12, 3, random_state=1)
    a, W, _ = fl.symmetric_init(8, 12, random_state=2)
    assert np.allclose(fl.population_gradient_W(t, W, a), 0.0, atol=1e-15)
    with pytest.raises(ValueError, match="p must be >= 3"):
        fl.pure_hermite_target(12, 2)


def test_noise_anisotropy_along_u():
    # E[He_p(z)^2 z^2] = (2p + 1) p!: the variance of y x along u, relative to across (the
    # chapter's explanation of why Algorithm 1 still leans towards u when H = 0); Gauss-Hermite
    # quadrature with 20 nodes is exact for these polynomials (degree 2p + 2 <= 39)
    from numpy.polynomial import hermite_e as npH

    z, wts = npH.hermegauss(20)
    wts = wts / math.sqrt(2 * math.pi)
    for p in (3, 4, 5):
        he = fl.hermite_e(z, p)[:, p]
        assert np.sum(wts * he**2 * z**2) / math.factorial(p) == pytest.approx(2 * p + 1,
                                                                              rel=1e-12)


def test_neuron_sines():
    U = np.eye(2, 4)
    W = np.array([[1.0, 1.0, 0, 0], [0, 0, 3.0, 0], [1.0, 0, 1.0, 0]])
    np.testing.assert_allclose(fl.neuron_sines(W, U), [0.0, 1.0, math.sqrt(0.5)], atol=1e-15)
    with pytest.raises(ValueError, match="zero row"):
        fl.neuron_sines(np.zeros((1, 4)), U)
    with pytest.raises(ValueError, match="orthonormal"):
        fl.neuron_sines(W, 2 * U)


# ------------------------------------------------------------------ the collapse statistic
def test_collapse_spread_on_power_laws():
    # curves y = (n / (d r))^(-1/2): they coincide on n/(d r); on n/(d^2 r) the curve of d sits
    # d^(-1/2) lower, so d = 16 and 64 are a factor 2 apart everywhere (exact in log-log)
    r = 2
    rows = []
    for d in (16, 32, 64):
        for c in (0.5, 1, 2, 4, 8, 16, 32):
            n = c * d * d * r
            rows.append({"d": d, "n": n, "s": (n / (d * r)) ** -0.5})
    df = pd.DataFrame(rows)
    sp = ch.axis_spreads(df, "s", r=r)
    assert sp["n/(d r)"] == pytest.approx(1.0, abs=1e-12)
    assert sp["n/(d^2 r)"] == pytest.approx(2.0, rel=1e-12)
    assert sp["n/(d^1.5 r)"] == pytest.approx(math.sqrt(2.0), rel=1e-12)
    assert ch.best_axis(sp) == "n/(d r)"
    # population rows (n = inf) are ignored
    df2 = pd.concat([df, pd.DataFrame([{"d": 16, "n": np.inf, "s": 0.01}])])
    assert ch.axis_spreads(df2, "s", r=r) == sp


def test_collapse_spread_edge_cases():
    x = np.array([1.0, 2.0, 4.0])
    assert math.isnan(ch.collapse_spread([(x, x)]))  # one curve
    assert math.isnan(ch.collapse_spread([(x, x), (x * 100, x)]))  # no common range
    assert ch.collapse_spread([(x, x), (x, 3 * x)]) == pytest.approx(3.0)
    with pytest.raises(ValueError, match="same length"):
        ch.collapse_spread([(x, x[:2]), (x, x)])
    assert ch.best_axis({"a": float("nan")}) is None


# ------------------------------------------------------------------ verdict functions
@pytest.mark.parametrize("spreads, expected", [
    ({"n/(d r)": 1.9, "n/(d^1.5 r)": 1.4, "n/(d^2 r)": 1.05}, "reproduced"),
    ({"n/(d r)": 1.9, "n/(d^1.5 r)": 1.6, "n/(d^2 r)": 1.45}, "reproduced with a caveat"),
    ({"n/(d r)": 1.5, "n/(d^1.5 r)": 1.1, "n/(d^2 r)": 1.2}, "reproduced with a caveat"),
    ({"n/(d r)": 1.05, "n/(d^1.5 r)": 1.4, "n/(d^2 r)": 1.9}, "not reproduced"),
    ({"n/(d r)": float("nan"), "n/(d^1.5 r)": float("nan"), "n/(d^2 r)": float("nan")},
     "not checkable here"),
])
def test_per_neuron_d2_verdict(spreads, expected):
    assert ch.per_neuron_d2_verdict(spreads) == expected


@pytest.mark.parametrize("slope, c, err, expected", [
    (-1.02, 0.40, 0.005, "reproduced"),
    (-1.02, 0.45, 0.005, "reproduced with a caveat"),
    (-0.60, 0.40, 0.005, "reproduced with a caveat"),
    (-0.60, 0.45, 0.005, "not reproduced"),
])
def test_lemma1_verdict(slope, c, err, expected):
    assert ch.lemma1_verdict(slope, c, err) == expected


def test_constants_within():
    cands = {"a": 0.40, "b": 0.50}
    assert ch.constants_within(0.41, 0.01, cands) == ["a"]
    assert ch.constants_within(0.45, 0.05, cands) == ["a", "b"]
    assert ch.constants_within(0.9, 0.01, cands) == []


def test_curse_verdict():
    nan = float("nan")
    assert ch.curse_verdict({1: 32, 2: 32, 4: 400, 8: nan}, 32, 2048) == \
        "reproduced with a caveat"
    assert ch.curse_verdict({1: 32, 4: 400, 8: 100}, 32, 2048) == "outside the source's regime"
    assert ch.curse_verdict({1: 32, 2: 32}, 32, 2048) == "outside the source's regime"
    with pytest.raises(ValueError, match="two dimensions"):
        ch.curse_verdict({1: 32}, 32, 2048)


def test_ordering_and_rate_verdicts():
    assert ch.ordering_verdict(4, 4) == "reproduced with a caveat"
    assert ch.ordering_verdict(3, 4) == "reproduced with a caveat"
    assert ch.ordering_verdict(2, 4) == "not reproduced"
    assert ch.ordering_verdict(0, 0) == "not checkable here"
    with pytest.raises(ValueError, match="wins"):
        ch.ordering_verdict(5, 4)
    assert ch.kernel_rate_verdict(3.1, 2.0) == "reproduced with a caveat"
    assert ch.kernel_rate_verdict(1.5, 2.0) == "not reproduced"
    assert ch.kernel_rate_verdict(float("nan"), 2.0) == "not checkable here"


def test_assumption2_verdict():
    ct = {3: 0.02, 4: 0.05}
    assert ch.assumption2_verdict({3: 0.9, 4: 0.8}, ct) == "reproduced"
    assert ch.assumption2_verdict({3: 0.9, 4: 0.3}, ct) == "reproduced with a caveat"
    assert ch.assumption2_verdict({3: 0.3, 4: 0.4}, ct) == "reproduced with a caveat"
    assert ch.assumption2_verdict({3: 0.03, 4: 0.06}, ct) == "not reproduced"
    assert ch.assumption2_verdict({3: 0.9, 4: 0.1}, ct) == "not reproduced"
    assert ch.assumption2_verdict({3: 0.9, 4: 0.9}, {3: 0.05, 4: 0.6}) == "not checkable here"
    with pytest.raises(ValueError, match="same degrees"):
        ch.assumption2_verdict({3: 0.9}, ct)


def test_width_solver_heaviside_verdicts():
    assert ch.width_verdict(-0.55) == "reproduced"
    assert ch.width_verdict(-0.45) == "reproduced"
    assert ch.width_verdict(-0.2) == "reproduced with a caveat"
    assert ch.width_verdict(0.1) == "not reproduced"
    with pytest.raises(ValueError, match="slope"):
        ch.width_verdict(float("nan"))
    assert ch.solver_verdict(2.8, False) == "reproduced"
    assert ch.solver_verdict(1.9, False) == "reproduced with a caveat"
    assert ch.solver_verdict(2.8, True) == "reproduced with a caveat"
    assert ch.solver_verdict(1.9, True) == "not reproduced"
    assert ch.heaviside_verdict(0.1, 0.01) == "reproduced"
    assert ch.heaviside_verdict(0.01, 0.1) == "not reproduced"
    with pytest.raises(ValueError, match="finite"):
        ch.heaviside_verdict(float("nan"), 0.1)


def test_series_verdict():
    good = {1: -0.51, 2: -0.98, 3: -1.49}
    assert ch.series_verdict(good, 0.9) == "reproduced"
    assert ch.series_verdict({**good, 3: -1.0}, 0.9) == "reproduced with a caveat"
    assert ch.series_verdict({**good, 1: -0.2}, 0.9) == "not reproduced"
    assert ch.series_verdict(good, 3.0) == "not reproduced"  # the Monte Carlo disagrees
    assert ch.series_verdict({2: -1.0}, 0.9) == "not checkable here"
    assert ch.series_verdict({1: float("nan")}, 0.9) == "not checkable here"


def test_assumption1_and_population_gradient_verdicts():
    assert ch.assumption1_verdict(1e-9, 1e-10) == "reproduced"
    assert ch.assumption1_verdict(1e-3, 1e-10) == "not reproduced"
    assert ch.assumption1_verdict(1e-9, 0.2) == "not reproduced"
    with pytest.raises(ValueError, match="finite"):
        ch.assumption1_verdict(float("nan"), 0.0)
    assert ch.population_gradient_verdict(0.0, 1e-6, 1.0) == "reproduced"
    assert ch.population_gradient_verdict(1e-3, 1e-6, 1.0) == "not checkable here"
    assert ch.population_gradient_verdict(0.0, 0.3, 1.0) == "not reproduced"
    assert ch.population_gradient_verdict(0.0, 1e-6, 5.0) == "not reproduced"


def test_init_ridge_and_flops_verdicts():
    assert ch.zero_init_verdict(0.0) == "reproduced"
    assert ch.zero_init_verdict(1e-17) == "not reproduced"
    with pytest.raises(ValueError, match="finite"):
        ch.zero_init_verdict(float("inf"))
    assert ch.ridge_verdict(1e-14, 1e-12) == "reproduced"
    assert ch.ridge_verdict(1e-14, 1e-3) == "reproduced with a caveat"
    assert ch.ridge_verdict(1e-2, 1e-12) == "not reproduced"
    assert ch.nonsymmetric_verdict(0.01, 0.012) == "reproduced"
    assert ch.nonsymmetric_verdict(0.01, 0.025) == "reproduced with a caveat"
    assert ch.nonsymmetric_verdict(0.01, 0.5) == "not reproduced"
    with pytest.raises(ValueError, match="err_symmetric"):
        ch.nonsymmetric_verdict(0.0, 0.1)
    assert ch.flops_verdict(60.0, 1e8, 10.0, 2e10) == "reproduced"
    assert ch.flops_verdict(60.0, 1e8, 10.0, 5e11) == "reproduced with a caveat"
    assert ch.flops_verdict(1e5, 1e8, 10.0, 2e10) == "not reproduced"  # n = 1e4 not easy
    assert ch.flops_verdict(60.0, 1e6, 10.0, 2e10) == "not reproduced"  # 1e7 not impossible
    assert ch.flops_verdict(60.0, 1e8, 1e4, 2e10) == "not reproduced"  # iteration not feasible
    with pytest.raises(ValueError, match="rate_cpu"):
        ch.flops_verdict(60.0, 1e8, 10.0, 0.0)


def test_combined_and_bound_verdicts():
    assert ch.combined_verdict("reproduced", "reproduced") == "reproduced"
    assert ch.combined_verdict("reproduced", "reproduced with a caveat") == \
        "reproduced with a caveat"
    assert ch.combined_verdict("reproduced with a caveat", "not reproduced") == "not reproduced"
    assert ch.combined_verdict("not reproduced", "not checkable here") == "not checkable here"
    with pytest.raises(ValueError, match="empty"):
        ch.combined_verdict()
    with pytest.raises(ValueError, match="unexpected"):
        ch.combined_verdict("finding of ours")
    assert ch.bound_constant_verdict(-0.2, {0: 0.05}) == "reproduced with a caveat"
    # growth in d absorbed by log^2 d (the O~ allows it), not by anything beyond
    assert ch.bound_constant_verdict(-0.2, {0: 0.6, 1: 0.2, 2: -0.1}) == \
        "reproduced with a caveat"
    assert ch.bound_constant_verdict(-0.2, {0: 0.8, 1: 0.5, 2: 0.3}) == "not reproduced"
    assert ch.bound_constant_verdict(-0.2, {0: 0.8, 3: 0.0}) == "not reproduced"
    assert ch.bound_constant_verdict(0.3, {0: 0.0}) == "not reproduced"
    assert ch.bound_constant_verdict(float("nan"), {0: 0.0}) == "not checkable here"
    assert ch.bound_constant_verdict(-0.2, {}) == "not checkable here"


def test_adaptivity_verdicts():
    good = {"kernel": {0.5: -0.9, 1.5: -2.0, 2.5: -3.0}, "network": {0.5: -0.9, 1.5: -1.5,
                                                                      2.5: -1.9}}
    assert ch.smoothness_verdict(good) == "reproduced"
    flat = {**good, "network": {0.5: -0.9, 1.5: -1.0, 2.5: -1.1}}  # steeper, but by < margin
    assert ch.smoothness_verdict(flat) == "not reproduced"
    unordered = {**good, "kernel": {0.5: -0.9, 1.5: -3.0, 2.5: -2.0}}
    assert ch.smoothness_verdict(unordered) == "not reproduced"
    assert ch.smoothness_verdict({"kernel": {0.5: -0.9, 1.5: float("nan")}}) == \
        "not checkable here"
    with pytest.raises(ValueError, match="at least one"):
        ch.smoothness_verdict({})
    nan = float("nan")
    assert ch.support_verdict({"kernel": 32, "network": 50}, {"kernel": nan, "network": 400}) \
        == "reproduced"
    assert ch.support_verdict({"kernel": 32, "network": 50}, {"kernel": nan, "network": 100}) \
        == "not reproduced"
    assert ch.support_verdict({"kernel": nan}, {"kernel": nan}) == "not reproduced"
    with pytest.raises(ValueError, match="same methods"):
        ch.support_verdict({"kernel": 32}, {"network": 32})


def test_proof_step_verdicts():
    assert ch.a_star_verdict(-0.6, 4) == "reproduced"
    assert ch.a_star_verdict(-0.2, 4) == "reproduced with a caveat"
    assert ch.a_star_verdict(0.1, 4) == "not reproduced"
    assert ch.a_star_verdict(-0.6, 2) == "not checkable here"
    nan = float("nan")
    assert ch.ridge_norm_verdict([0.1, 0.05, nan], [0.12, 0.05, 0.3]) == "reproduced"
    assert ch.ridge_norm_verdict([0.1, 0.06], [0.12, 0.05]) == "not reproduced"
    assert ch.ridge_norm_verdict([nan], [0.1]) == "not checkable here"
    assert ch.rademacher_verdict([0.01, 0.02], [0.3, 0.4], 0.8) == "reproduced"
    assert ch.rademacher_verdict([0.01, 0.02], [0.3, 0.9], 0.8) == "reproduced with a caveat"
    assert ch.rademacher_verdict([0.01, 0.5], [0.3, 0.4], 0.8) == "not reproduced"
    assert ch.rademacher_verdict([], [], 0.8) == "not checkable here"


def test_small_checks_hold_on_tiny_sizes():
    a1 = ch.assumption1_check(d=6, r=2, n_points=3, n_mc=20, seed=1)
    assert a1["out_of_span_max"] < 1e-6 and a1["exact_rank"] == 2
    pg = ch.population_gradient_check(d=6, r=2, m=4, n=2000, seed=1)
    assert pg["f0_max"] == 0.0 and pg["fd_rel_max"] < 1e-4 and pg["taylor_passed"]
    si = ch.symmetric_init_check(dims=(6,), m=8, n=200, seed=1)
    assert si["corrected_max"] == 0.0 and si["as_written_max"] > 0.0
    rc = ch.ridge_check(d=4, n=100, m=8, lam=0.5, seed=1)
    assert rc["closed_vs_lstsq"] < 1e-10 and rc["gd_vs_ridge"] < 1e-8
    st = ch.series_terms_sweep((8, 16), r=2, ps=(3,), m=4, seed=1)
    assert set(st.k) == {0, 1, 2, 3} and (st[st.k == 0].norm == 0).all()  # no constant, no
    # linear part; k = 3 vanishes for p = 3 (the step has no He_2 or He_4 ... coefficient)
    ns = ch.nonsymmetric_init_check(d=6, n=300, m=8, scales=(0.1,), n_test=100, seed=1)
    assert list(ns.init) == ["symmetric", "small random"] and ns.f0_rms.iloc[0] == 0.0
    f = ch.smooth_target(1.5, random_state=0)
    x = np.linspace(-1, 1, 2001)
    assert np.var(f(x)) == pytest.approx(1.0, rel=0.05)  # normalised (grid mean of cos^2)
    np.testing.assert_allclose(f(np.array([-1.0])), f(np.array([1.0])), atol=1e-12)  # periodic
    with pytest.raises(ValueError, match="s must be"):
        ch.smooth_target(0.0)


def test_every_verdict_function_answers_in_the_vocabulary():
    outs = [ch.per_neuron_d2_verdict({"n/(d^2 r)": 1.0}), ch.lemma1_verdict(-1, 0.4, 0.01),
            ch.curse_verdict({1: 1, 2: 5}, 1, 10), ch.ordering_verdict(1, 1),
            ch.kernel_rate_verdict(2, 1), ch.assumption2_verdict({3: 1}, {3: 0}),
            ch.width_verdict(-1), ch.solver_verdict(3, False), ch.heaviside_verdict(1, 0),
            ch.series_verdict({1: -0.5}, 1.0), ch.assumption1_verdict(0, 0),
            ch.population_gradient_verdict(0, 0, 1), ch.zero_init_verdict(0),
            ch.ridge_verdict(0, 0), ch.nonsymmetric_verdict(1, 1),
            ch.flops_verdict(1, 1e9, 1, 1), ch.combined_verdict("reproduced"),
            ch.bound_constant_verdict(0, {0: 0}), ch.smoothness_verdict({"k": {1: -1, 2: -2}}),
            ch.support_verdict({"k": 1}, {"k": 10}), ch.a_star_verdict(-1, 3),
            ch.ridge_norm_verdict([0], [0]), ch.rademacher_verdict([0], [1], 2)]
    assert all(o in VERDICTS for o in outs)


# ------------------------------------------------------------------ the contract
def test_parameters_and_run_checks():
    for name, p in ch.PARAMETERS.items():
        assert p.validate(name, p.quick) == p.quick
        assert p.validate(name, p.full) == p.full
    with pytest.raises(ValueError, match="unknown parameter"):
        ch.run(quick=True, seed=0, curse_dimz=(1, 2))
    with pytest.raises(ValueError, match="curse_bandwidths"):
        ch.run(quick=True, seed=0, curse_bandwidths=(0.5, 2.0))  # must contain 1.0
    with pytest.raises(ValueError, match="alignment_m"):
        ch.run(quick=True, seed=0, alignment_m=7)
    with pytest.raises(ValueError, match="bandwidths must contain 1.0"):
        ch.curse_of_dimensionality(dims=(1,), ns=(16,), bandwidths=(0.5,))


def test_tiny_new_experiments_are_seeded_and_schedule_free():
    a = ch.assumption2_check(d=6, ps=(3,), ns=(100,), m=8, n_test=100, seed=3)
    b = ch.assumption2_check(d=6, ps=(3,), ns=(100,), m=8, n_test=100, seed=3, n_jobs=2)
    pd.testing.assert_frame_equal(a, b)
    assert set(a.target) == {"H = 0", "rank H = 1"} and set(a.method) == {"algorithm1", "rf"}
    w1 = ch.width_sweep(d=6, n=200, ms=(4, 8), repeats=1, n_test=100, seed=3)
    w2 = ch.width_sweep(d=6, n=200, ms=(4, 8), repeats=1, n_test=100, seed=3, n_jobs=2)
    pd.testing.assert_frame_equal(w1, w2)
    al = ch.first_step_alignment(dims=(6,), ns_per_d2=(1, 4), m=8, seed=3)
    assert (al.neuron_noise_median[np.isfinite(al.n)] > 0).all()
    assert al.neuron_noise_median[~np.isfinite(al.n)].iloc[0] < 1e-12  # rounding only
    cu = ch.curse_of_dimensionality(dims=(2,), ns=(32,), n_test=50, seed=3)
    assert cu.error.iloc[0] <= cu.error_median.iloc[0]  # tuning includes the median bandwidth


TINY = dict(curse_dims=(1, 2), curse_ns=(16, 32), lemma1_dims=(8, 16), lemma1_m=2,
            lemma1_n_mc=1000, alignment_dims=(6, 8), alignment_factors=(1, 2), alignment_m=8,
            sc_dims_p3=(6,), sc_ns_p3=(100, 200), sc_m=8, sc_n_test=100, sc_n_kernel_max=200,
            solver_ns=(100, 200), solver_n_direct_max=200, solver_n_dense_max=100,
            solver_richardson_max_n=100, solver_rank=10, heaviside_iters=(5, 10), a2_d=6,
            a2_ps=(3,), a2_ns=(100,), a2_m=8, width_d=6, width_n=200, width_ms=(4, 8, 16),
            width_repeats=1, proof_m_max=8, series_ps=(3,), a1_n_mc=10, pg_n=300, nonsym_m=8,
            nonsym_scales=(0.1,), adapt_m=8, smooth_ns=(16, 32, 64), support_ns=(16, 32))


def test_run_at_tiny_sizes_publishes_registry_claims_and_every_prose_key():
    import json
    import re
    from pathlib import Path

    from kernelnet.claims import glue_key, registry

    res = ch.run(quick=True, seed=0, **TINY)
    ids = [f.claim_id for f in res.findings]
    assert len(ids) == len(set(ids))
    assert set(ids) <= set(registry().id)
    assert all(f.verdict in VERDICTS for f in res.findings)
    with pytest.raises(Exception):
        res.text = {}  # frozen
    nb = Path(__file__).resolve().parent.parent / "notebooks" / "07_feature_learning_vs_ntk.ipynb"
    cells = json.loads(nb.read_text())["cells"]
    used = set()
    for c in cells:
        if c["cell_type"] == "markdown":
            used |= set(re.findall(r"\{glue:text\}`([^`]+)`", "".join(c["source"])))
    have = set(res.text) | {glue_key(i) for i in ids} | {glue_key(i, "note") for i in ids}
    assert used <= have, sorted(used - have)
    # the notebook is thin: no function definitions, glue only in remove-input cells
    for c in cells:
        if c["cell_type"] != "code":
            continue
        src = "".join(c["source"])
        assert not re.search(r"^\s*def |\blambda\b[^:$]*:", src, re.M), src[:80]
        if "glue(" in src:
            assert "remove-input" in c["metadata"].get("tags", [])


def test_solver_scaling_runs_only_preconditioned_cg_beyond_others_max_n():
    sv = ch.solver_scaling((100, 200), d=3, rank=10, n_direct_max=200, n_dense_max=100,
                           richardson_max_n=100, others_max_n=100, max_iter=50, seed=1)
    assert set(sv[sv.n == 100].method) == {"cholesky", "cg", "cg+nystrom", "richardson",
                                           "richardson+nystrom"}
    assert set(sv[sv.n == 200].method) == {"cg+nystrom"}  # n = 200 is matrix-free
    assert bool(sv[(sv.n == 200) & (sv.method == "cg+nystrom")].matrix_free.iloc[0])
    everything = ch.solver_scaling((100, 200), d=3, rank=10, n_direct_max=200, n_dense_max=100,
                                   richardson_max_n=100, max_iter=50, seed=1)
    assert set(everything[everything.n == 200].method) == {"cg", "cg+nystrom",
                                                          "richardson+nystrom"}


def test_solver_scaling_times_on_one_thread(monkeypatch):
    # the solve timings decide 004.kernel-cost (a fitted slope): they are CPU times on one BLAS
    # and one numba thread, whatever the caller's setting (a second thread spinning at a barrier
    # on a busy machine inflates process time; wall-clock time stretches with the load)
    import numba
    from threadpoolctl import threadpool_info, threadpool_limits

    from kernelnet import solvers

    seen = []
    real = solvers.solve_direct

    def spy(*a, **k):
        seen.append(({d["num_threads"] for d in threadpool_info() if d["user_api"] == "blas"},
                     numba.get_num_threads()))
        return real(*a, **k)

    monkeypatch.setattr(solvers, "solve_direct", spy)
    with threadpool_limits(2, user_api="blas"):
        df = ch.solver_scaling((300,), richardson_max_n=300, max_iter=200, seed=0)
    assert seen and all(s == ({1}, 1) for s in seen)
    assert (df.seconds >= 0).all() and set(df.method) >= {"cholesky", "cg"}
