"""The poster table experiment (issue 5) and the CE/MSE baselines.

Sizes are kept small (one or two folds of the smallest data sets, MLPs capped at a few epochs)
so the module runs in well under a minute on the 2-core CI machine.
"""

import json
import math

import numpy as np
import pandas as pd
import pytest

from kernelnet import datasets
from kernelnet.baselines import MLPBaseline
from kernelnet.experiments import poster_table as pt
from kernelnet.experiments.poster_table._chapter import _finding, _misses
from kernelnet.experiments.poster_table._store import _read_fold
from kernelnet.experiments.poster_table._units import _units

SMALL = dict(datasets=["random", "divorce"], max_folds=1, max_epochs=2, progress=False)


@pytest.fixture(scope="module")
def small():
    return pt.poster_table(**SMALL)


# --------------------------------------------------------------------------- shape and values


def test_small_table_shape_and_columns(small):
    f = small.folds
    assert list(f.columns) == list(pt.FOLD_COLUMNS)
    assert len(f) == 2 * 4 * 1
    assert set(zip(f.dataset, f.method)) == {(d, m) for d in SMALL["datasets"] for m in pt.METHODS}
    # the summary has the poster's layout: one row per (data set, method, column)
    s = small.summary
    assert list(s.columns[:5]) == ["dataset", "method", "column", "mean", "std"]
    assert len(s) == 2 * 4 * len(pt.COLUMNS)
    assert list(s.column.unique()) == list(pt.COLUMNS)


def test_small_table_values_are_in_range(small):
    f = small.folds
    for col in ("train_acc", "test_acc"):
        assert f[col].between(0, 1).all(), col
    # normalised HSIC of PSD kernels lies in [0, 1]; tiny negative excursions would be rounding
    assert f.H_star.between(-1e-12, 1 + 1e-12).all()
    assert (f.CE >= 0).all() and (f.MSE >= 0).all() and (f["T"] >= 0).all()
    assert (f.time > 0).all()
    # the MLPs copy the ISM depth of the same fold; they have no bandwidth (poster: "-")
    for ds in SMALL["datasets"]:
        L = f[(f.dataset == ds) & (f.method == "ism")].L.iloc[0]
        assert (f[(f.dataset == ds) & f.method.isin(["ce", "mse"])].L == L).all()
    assert f[f.method.isin(["ce", "mse"])].sigma.isna().all()
    # the second reading of the MLP columns (on the network output) exists only for the MLPs
    out_cols = [f"{c}_out" for c in pt.OUTPUT_READING]
    assert np.isfinite(f[f.method.isin(["ce", "mse"])][out_cols].to_numpy(float)).all()
    assert f[f.method.isin(["ism", "ws"])][out_cols].isna().all().all()
    assert (f[f.method == "ce"].n_epochs <= 2).all()
    # a fold's sizes are the authors' split
    tr, te = datasets.folds("divorce")[0]
    row = f[(f.dataset == "divorce") & (f.method == "ism")].iloc[0]
    assert (row.n_train, row.n_test) == (tr.size, te.size)


def test_layers_table_matches_folds(small):
    lay = small.layers
    for _, r in small.folds[small.folds.method.isin(["ism", "ws"])].iterrows():
        g = lay[(lay.dataset == r.dataset) & (lay.method == r.method) & (lay.fold == r.fold)]
        assert len(g) == r.L
        assert g.H.iloc[0] == pytest.approx(r.H_first, abs=0)
        assert g.H.iloc[-1] == pytest.approx(r.H_last, abs=0)
        steps = np.diff(g.H.to_numpy())
        assert bool(r.H_rising) == bool(np.all(steps > pt.H_TIE))


# --------------------------------------------------------------------------- determinism


def _numbers(df):
    """Everything but the machine-dependent time."""
    return df.drop(columns=["time"]).reset_index(drop=True)


def test_identical_for_n_jobs_1_and_2():
    kw = dict(datasets=["random"], methods=["ism", "ws", "ce"], max_folds=2, max_epochs=1,
              progress=False)
    one = pt.poster_table(n_jobs=1, **kw)
    two = pt.poster_table(n_jobs=2, backend="loky", **kw)
    pd.testing.assert_frame_equal(_numbers(one.folds), _numbers(two.folds), check_exact=True)
    pd.testing.assert_frame_equal(one.layers, two.layers, check_exact=True)


def test_a_fold_does_not_depend_on_what_else_runs(small):
    """The fold seed comes from (data set, fold), not from the position in the unit list."""
    alone = pt.poster_table(datasets=["divorce"], methods=["ws"], max_folds=1, progress=False)
    mine = small.folds[(small.folds.dataset == "divorce") & (small.folds.method == "ws")]
    pd.testing.assert_frame_equal(_numbers(alone.folds), _numbers(mine), check_exact=True,
                                  check_dtype=False)


def test_seed_changes_results():
    kw = dict(datasets=["random"], methods=["ws"], max_folds=1, progress=False)
    a = pt.poster_table(random_state=0, **kw).folds
    b = pt.poster_table(random_state=1, **kw).folds
    assert a.seed.iloc[0] != b.seed.iloc[0]
    assert not np.allclose(a[["H_star", "MSE", "CE", "T"]].to_numpy(float),
                           b[["H_star", "MSE", "CE", "T"]].to_numpy(float), rtol=0, atol=1e-12)


def test_cache_is_resumable_and_parameter_checked(tmp_path):
    kw = dict(datasets=["random"], methods=["ism", "mse"], max_folds=1, progress=False,
              cache_dir=tmp_path)
    first = pt.poster_table(max_epochs=1, **kw)
    files = sorted(p.name for p in tmp_path.glob("*.json"))
    assert files == ["random__ism__fold01.json", "random__mse__fold01.json"]
    again = pt.poster_table(max_epochs=1, **kw)
    assert again.params["units_computed"] == 0
    pd.testing.assert_frame_equal(first.folds, again.folds, check_exact=True, check_dtype=False)
    # a different epoch cap invalidates the MLP's file only
    third = pt.poster_table(max_epochs=2, **kw)
    assert third.params["units_computed"] == 1
    stored = json.loads((tmp_path / "random__mse__fold01.json").read_text())
    assert stored["params"]["max_epochs"] == 2


def test_stratified_folds():
    res = pt.poster_table(datasets=["random"], methods=["ws"], folds="stratified", n_splits=3,
                          max_folds=1, progress=False)
    r = res.folds.iloc[0]
    assert (r.n_train, r.n_test) == (40, 20)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(datasets=["wine", "mnist"]), r"datasets must be one of .*'wine'.*'divorce'.*mnist"),
        (dict(datasets="iris"), r"datasets must be one of .*'spiral'"),
        (dict(methods=["ism", "svm"]),
         r"methods must be one of 'ism', 'ws', 'ce', 'mse'; got 'svm'"),
        (dict(methods=[]), r"methods must not be empty"),
        (dict(folds="kfold"), r"folds must be one of 'authors', 'stratified'"),
        (dict(datasets=["car_uci"]), r"no stored folds.*stratified"),
        (dict(n_splits=5), r"n_splits must be 10 with folds='authors'"),
        (dict(max_folds=11), r"max_folds must be <= 10"),
        (dict(max_epochs=0), r"max_epochs must be >= 1"),
        (dict(quick="yes"), r"quick must be True or False"),
        (dict(datasets=["wine", "wine"]), r"duplicates"),
    ],
)
def test_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        pt.poster_table(progress=False, **kwargs)


# --------------------------------------------------------------------------- metrics


def test_output_metrics_on_an_ideal_representation():
    """Outputs equal to one-hot labels: H* = 1, MSE = 0, C = 0 (orthogonal classes), T = 0."""
    y = np.repeat([0, 1, 2], [5, 7, 4])
    Z = np.eye(3)[y]
    m = pt.output_metrics(Z, y, kernel="linear")
    assert m["H_star"] == pytest.approx(1.0, abs=1e-12)
    assert m["MSE"] == 0 and m["MSE_authors"] == 0 and m["T"] == 0
    assert m["C"] == pytest.approx(0.0, abs=1e-15)
    assert 0 < m["CE"] < 1.1  # regularised logistic regression (C=1): small but not zero


def test_output_metrics_hand_values():
    # two classes on a line: class 0 at {0, 2}, class 1 at {10}
    Z = np.array([[0.0], [2.0], [10.0]])
    y = np.array([0, 0, 1])
    m = pt.output_metrics(Z, y, kernel="gaussian", sigma=1.0)
    # MSE = (1 + 1 + 0) / 3; authors' reading sums |d^2| per row: (1 + 1 + 0) / 3 in 1-D too
    assert m["MSE"] == pytest.approx(2 / 3)
    assert m["MSE_authors"] == pytest.approx(2 / 3)
    # T: within (ordered) pairs 2 * 2 = 4; between 2 * (10 + 8) = 36
    assert m["T"] == pytest.approx(4 / 36)
    # C: within mean over 4 + 1 ordered pairs (diagonal included), between over 4 pairs
    k = np.exp(-np.array([0, 4, 100, 64]) / 2)
    within = (2 * k[0] + 2 * k[1] + 1) / 5
    between = (2 * k[2] + 2 * k[3]) / 4
    assert m["C"] == pytest.approx(between / within, rel=1e-12)
    # the authors' MSE differs from the squared norm in more than one dimension
    Z2 = np.array([[1.0, 1.0], [-1.0, -1.0], [5.0, 5.0]])
    m2 = pt.output_metrics(Z2, y, kernel="linear")
    assert m2["MSE"] == pytest.approx(4 / 3)  # ||(1, 1)||^2 = 2 per row of class 0
    assert m2["MSE_authors"] == pytest.approx(2 * math.sqrt(2) / 3)  # ||(1, 1)|| per row


def test_compare_with_poster_and_side_by_side(small):
    comp = pt.compare_with_poster(small.summary)
    assert len(comp) == len(small.summary)
    poster = datasets.poster_table()
    r = comp[(comp.dataset == "divorce") & (comp.method == "ism") & (comp.column == "test_acc")]
    p = poster[(poster.dataset == "divorce") & (poster.method == "ism")
               & (poster.column == "test_acc")]
    assert r.poster_mean.iloc[0] == p["mean"].iloc[0]
    assert r["diff"].iloc[0] == pytest.approx(r.ours_mean.iloc[0] - p["mean"].iloc[0])
    wide = pt.side_by_side(comp)
    assert list(wide.columns) == list(pt.COLUMNS)
    assert wide.loc[("divorce", "ce", "poster"), "sigma"] == "-"
    assert "±" in wide.loc[("divorce", "ism", "ours"), "test_acc"]


def test_mlp_readings(small):
    mr = pt.mlp_readings(small)
    assert len(mr) == 2 * 2 * len(pt.OUTPUT_READING)
    f = small.folds
    row = mr[(mr.dataset == "divorce") & (mr.method == "mse") & (mr.column == "T")].iloc[0]
    src = f[(f.dataset == "divorce") & (f.method == "mse")]
    assert row.hidden == pytest.approx(src["T"].mean())
    assert row.output == pytest.approx(src.T_out.mean())
    assert set(mr.closer) <= {"hidden", "output", "tie"}


def test_check_targets(small):
    t = pt.check_targets(small)
    assert list(t["accuracy"].dataset) == ["divorce"]  # random is not an accuracy target
    assert t["n_ism_folds"] == 2
    assert set(t["rising"].dataset) <= {"random", "divorce"}


# --------------------------------------------------------------------------- baselines


def _blobs(n=60, seed=0):
    """Three well separated, ordered blobs with labels that are not 0..c-1."""
    rng = np.random.default_rng(seed)
    y = np.repeat([1, 3, 5], n // 3)
    X = 0.5 * rng.standard_normal((n, 4))
    X[:, 0] += 3.0 * np.searchsorted([1, 3, 5], y)
    return X, y


def test_baseline_hidden_output_is_the_network():
    X, y = _blobs()
    ce = MLPBaseline("ce", n_layers=2, width=16, max_epochs=3, random_state=0).fit(X, y)
    H = ce.hidden_output(X)
    assert H.shape == (60, 16) and (H >= 0).all()
    logits = H @ ce.model_.coefs_[-1] + ce.model_.intercepts_[-1]
    assert np.array_equal(ce.output(X), logits)
    assert np.array_equal(ce.classes_[np.argmax(logits, axis=1)], ce.predict(X))
    assert ce.n_epochs_ == 3 and ce.stop_reason_ == "max_epochs" and len(ce.loss_curve_) == 3
    mse = MLPBaseline("mse", n_layers=1, width=16, max_epochs=30, random_state=0).fit(X, y)
    out = (mse.hidden_output(X) @ mse.model_.coefs_[-1] + mse.model_.intercepts_[-1]).ravel()
    assert np.array_equal(np.rint(out).astype(int), mse.predict_codes(X))  # regression on 0..c-1
    assert mse.score(X, y) > 0.8  # well separated blobs


def test_baseline_stopping_rules():
    X, y = _blobs()
    floor = MLPBaseline("ce", n_layers=1, width=8, loss_floor=100.0, random_state=0).fit(X, y)
    assert floor.stop_reason_ == "loss_floor" and floor.n_epochs_ == 1
    # a loss that cannot go down any more (learning rate ~ 0): the slope rule fires at once
    flat = MLPBaseline("ce", n_layers=1, width=8, learning_rate=1e-300, slope_min_epochs=2,
                       slope_window=3, max_epochs=50, random_state=0).fit(X, y)
    assert flat.stop_reason_ == "slope" and flat.n_epochs_ == 3


def test_baseline_bad_input():
    X, y = _blobs()
    with pytest.raises(ValueError, match="loss must be one of 'ce', 'mse'"):
        MLPBaseline("hinge").fit(X, y)
    with pytest.raises(ValueError, match="n_layers must be >= 1"):
        MLPBaseline("ce", n_layers=0).fit(X, y)
    with pytest.raises(ValueError, match="not fitted"):
        MLPBaseline("ce").predict(X)
    fitted = MLPBaseline("ce", width=4, max_epochs=1, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="X must have 4 columns"):
        fitted.predict(X[:, :3])


# --------------------------------------------------------------------------- the committed table


def test_committed_results_match_the_current_parameters_and_schema():
    """results/poster_table/ holds the full table made with today's parameters and schema."""
    folder = pt.results_dir()
    assert (folder / "folds.csv").exists(), f"{folder}/folds.csv missing: run run_full_table()"
    ref = pt.load_committed()
    assert list(ref.folds.columns) == list(pt.FOLD_COLUMNS)
    assert len(ref.folds) == len(pt.DATASETS) * len(pt.METHODS) * 10
    prov = ref.params
    for key in ("git", "machine", "sources_sha256", "this_call", "fold_files", "seeds",
                "parameters"):
        assert key in prov, key
    assert prov["git"]["commit"], "the commit that made the table is not recorded"
    default = pt.default_parameters()
    for key in ("datasets", "methods", "n_splits", "max_folds", "folds", "random_state",
                "max_epochs", "schema"):
        assert prov["parameters"][key] == default[key], key
    # every fold file holds exactly the parameters the current code would store for that fold
    kernel, base = _units(pt.DATASETS, pt.METHODS, range(1, 11), "authors", 10,
                          default["random_state"], default["max_epochs"])
    f = ref.folds
    depth = {(r.dataset, r.fold): r.L for r in f[f.method == "ism"].itertuples()}
    for u in base:
        u["n_layers"] = int(depth[(u["dataset"], u["fold"])])
    files = sorted((folder / "folds").glob("*.json"))
    assert len(files) == len(kernel) + len(base)
    for u in kernel + base:
        stored = _read_fold(folder / "folds", u)
        assert stored is not None, f"fold file of {u['dataset']}/{u['method']}/{u['fold']} is stale"
        row = f[(f.dataset == u["dataset"]) & (f.method == u["method"]) & (f.fold == u["fold"])]
        assert int(row.seed.iloc[0]) == stored["row"]["seed"]
    # the fold seeds are the documented ones
    from kernelnet.parallel import unit_seed

    r0 = f.iloc[0]
    assert r0.seed == unit_seed(0, 100 * datasets.names().index(r0.dataset) + int(r0.fold))
    car = pt.load_committed(folder / "car_uci")
    assert len(car.folds) == 2 * 10 and set(car.folds.method) == {"ism", "ws"}


def test_run_full_table_and_reproduce_on_a_small_table(tmp_path):
    """run_full_table writes the files; reproduce_full_table recomputes them and finds no change."""
    ref = tmp_path / "ref"
    pt.run_full_table(ref, n_jobs=1, datasets=["random"], methods=["ws"], progress=False)
    for name in ("folds.csv", "layers.csv", "summary.csv", "comparison.csv", "provenance.json"):
        assert (ref / name).exists(), name
    prov = json.loads((ref / "provenance.json").read_text())
    assert prov["this_call"]["units_computed"] == 10 and prov["fold_files"]["count"] == 10
    loaded = pt.load_committed(ref)
    assert len(loaded.folds) == 10 and list(loaded.folds.columns) == list(pt.FOLD_COLUMNS)
    diff = pt.reproduce_full_table(tmp_path / "fresh", n_jobs=1, committed=ref, progress=False)
    assert set(diff.column) == set(pt.COLUMNS) - {"time"}
    assert (diff.max_abs_fold_diff.fillna(0) == 0).all()


# --------------------------------------------------------------- W_s against the authors' code
def test_ws_runs_on_the_authors_ws_split(small):
    f = small.folds
    tr, te = datasets.folds("divorce", scheme="authors_ws")[0]
    row = f[(f.dataset == "divorce") & (f.method == "ws")].iloc[0]
    assert (row.n_train, row.n_test) == (tr.size, te.size)
    assert pt.ws_options("divorce") == datasets.authors_ws_options("divorce")
    assert pt.ws_options("car_uci")["ws_smallest_sigma"] == 0.05
    with pytest.raises(ValueError, match="name"):
        pt.ws_options("mnist")


@pytest.mark.parametrize("name", ["wine", "cancer"])
def test_ws_on_the_authors_folds_matches_their_stored_depths(name):
    """Our W_s with the authors' settings on their W_s folds, against their stored results:
    depth within one layer on >= 8 of 10 folds and mean test accuracy within 0.03 (the
    tolerances of issue 15; the remaining freedom is the unseeded training noise, of which we
    draw another sample). Measured: wine 10/10 and 0.010, cancer 10/10 and 0.001."""
    t = pt.poster_table([name], ["ws"], progress=False)
    per_fold = pt.ws_against_authors_code(t.folds)
    assert len(per_fold) == 10
    s = pt.ws_code_summary(per_fold).iloc[0]
    assert s.depth_within >= pt.WS_MIN_FOLDS
    assert abs(s.test_diff) <= pt.WS_ACC_TOLERANCE
    assert bool(s.ok)


def _summary(rows):
    cols = ["dataset", "n_folds", "depth_within", "L", "L_code", "L_code_min", "L_code_max",
            "test_acc", "test_code", "test_code_std", "test_diff", "ok"]
    return pd.DataFrame([{**dict.fromkeys(cols, 0.0), **r} for r in rows], columns=cols)


def test_ws_against_authors_code_pairs_fold_k_with_fold_k():
    code = datasets.authors_ws_results()
    c = code[code.dataset == "wine"].set_index("fold")
    folds = pd.DataFrame({"dataset": "wine", "method": "ws", "fold": [3, 1],
                          "L": [c.loc[3, "L"] + 2, c.loc[1, "L"]], "test_acc": [0.5, 0.9],
                          "train_acc": 1.0, "sigma": 0.3, "H_star": 0.8, "MSE_authors": 0.1,
                          "stop_reason": "x"})
    m = pt.ws_against_authors_code(folds)
    assert m.fold.tolist() == [1, 3]
    assert m.depth_diff.tolist() == [0, 2] and m.depth_ok.tolist() == [True, False]
    assert m.test_code.tolist() == [c.loc[1, "test_acc"], c.loc[3, "test_acc"]]
    s = pt.ws_code_summary(m).iloc[0]
    # 2 folds ran: ceil(8 * 2 / 10) = 2 must agree, only 1 does
    assert s.n_folds == 2 and s.depth_within == 1 and not s.ok


def test_ws_port_verdict_branches():
    ok = [{"dataset": d, "n_folds": 10, "ok": True} for d in pt.WS_CODE_TARGETS]
    assert pt.ws_port_verdict(_summary(ok)) == "reproduced"
    assert pt.ws_port_verdict(_summary(ok[:2])) == "reproduced with a caveat"   # sets missing
    short = [dict(r, n_folds=2) for r in ok]
    assert pt.ws_port_verdict(_summary(short)) == "reproduced with a caveat"    # folds missing
    one_bad = [dict(ok[0], ok=False)] + ok[1:]
    assert pt.ws_port_verdict(_summary(one_bad)) == "reproduced with a caveat"
    two_bad = [dict(r, ok=False) for r in ok[:2]] + ok[2:]
    assert pt.ws_port_verdict(_summary(two_bad)) == "not reproduced"
    # a non-target set outside the tolerance does not count
    extra = ok + [{"dataset": "random", "n_folds": 10, "ok": False}]
    assert pt.ws_port_verdict(_summary(extra)) == "reproduced"
    assert pt.ws_port_verdict(_summary([{"dataset": "random", "ok": True}])) == "not checked yet"


def test_poster_code_verdict_branches():
    refs = pt.ws_three_references()
    assert len(refs) == 8 and set(refs.columns) >= {"L_poster", "L_code", "agree"}
    # the data: wine's poster depth 3.0 is one layer above the code's 2.0 (agree), divorce's
    # 2.3 is 8 below its 10.3 (not)
    r = refs.set_index("dataset")
    assert r.loc["wine", "agree"] and not r.loc["divorce", "agree"]
    mk = lambda flags: pd.DataFrame({"agree": flags})  # noqa: E731
    assert pt.poster_code_verdict(mk([True] * 8)) == "reproduced"
    assert pt.poster_code_verdict(mk([True] * 5 + [False] * 3)) == "reproduced with a caveat"
    assert pt.poster_code_verdict(mk([True] * 4 + [False] * 4)) == "not reproduced"
    assert pt.poster_code_verdict(mk([True] * 3 + [False] * 5)) == "not reproduced"
    assert pt.poster_code_verdict(mk([])) == "not checked yet"


def test_ism_table_verdict_branches():
    def acc(flags, names=pt.ACCURACY_TARGETS):
        return pd.DataFrame({"dataset": list(names)[:len(flags)], "ok": flags})

    n = len(pt.ACCURACY_TARGETS)
    assert pt.ism_table_verdict(acc([True] * n)) == "reproduced"
    assert pt.ism_table_verdict(acc([True] * (n - 1))) == "reproduced with a caveat"
    assert pt.ism_table_verdict(acc([False] + [True] * (n - 1))) == "reproduced with a caveat"
    assert pt.ism_table_verdict(acc([False, False] + [True] * (n - 2))) == "not reproduced"
    assert pt.ism_table_verdict(acc([])) == "not checked yet"


def test_chapter_parameters_are_checked():
    with pytest.raises(ValueError, match="live_datasets"):
        pt.run(quick=True, seed=0, live_datasets=("mnist",))
    with pytest.raises(ValueError, match="unknown parameter"):
        pt.run(quick=True, seed=0, n_folds=3)


def test_ws_overrides_and_variants_against_the_poster():
    t = pt.poster_table(["cancer"], ["ws"], max_folds=1, progress=False,
                        ws_overrides={"ws_append_misclassified": "none"})
    assert len(t.folds) == 1
    with pytest.raises(ValueError, match="ws_overrides"):
        pt.poster_table(["cancer"], ["ws"], max_folds=1, progress=False,
                        ws_overrides={"n_neighbors": 3})
    v = pt.ws_variants_against_poster(("none",), names=("cancer",), max_folds=1)
    assert v.variant.tolist() == ["none"] and v.n_sets.tolist() == [1]
    assert v.agree.iloc[0] in (0, 1)
    assert pt.ws_variants_against_poster((), names=("cancer",)).empty


def test_findings_record_tried_only_where_the_referee_rule_asks():
    kw = dict(values={}, figure="paper_table_differences", section="pt-agree", note="a note",
              tried=("other bandwidths",))
    kept = _finding("000.table", "not reproduced", "the regime", **kw)
    assert kept.tried == ("other bandwidths",) and kept.figures == ("paper_table_differences",)
    assert _finding("000.table", "reproduced with a caveat", "the regime", **kw).tried == ()
    df = pd.DataFrame({"dataset": ["a", "b", "c"], "ok": [True, False, np.False_]})
    assert _misses(df, "ok").dataset.tolist() == ["b", "c"]
