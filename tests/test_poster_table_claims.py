"""Chapter 03's table claims (000.table.sgd/.time/.objectives/.sigma, 000.q1-vs-backprop) and the
MLP budget pairs (capped folds beside 5,000-epoch folds): every verdict branch on constructed
inputs, the pairing on a constructed folder, and the findings on the committed table."""

import json
import math

import numpy as np

import pandas as pd
import pytest

from kernelnet.claims import VERDICTS, registry
from kernelnet.experiments import poster_table as pt
from kernelnet.experiments.poster_table import _budget


def _acc(ok, at_cap):
    return pd.DataFrame({"ok": ok, "at_cap": at_cap})


def test_sgd_table_verdict_branches():
    assert pt.sgd_table_verdict(_acc([], [])) == "not checked yet"
    assert pt.sgd_table_verdict(_acc([True, True], [0, 0])) == "reproduced"
    assert pt.sgd_table_verdict(_acc([True, True], [0, 3])) == "reproduced with a caveat"
    assert pt.sgd_table_verdict(_acc([True, True, False], [0, 0, 0])) == \
        "reproduced with a caveat"
    # half or fewer: the capped scikit-learn fits are not the authors' regime - never a failure
    assert pt.sgd_table_verdict(_acc([True, False], [0, 5])) == "outside the source's regime"
    assert pt.sgd_table_verdict(_acc([False, False], [0, 0])) == "outside the source's regime"


def test_time_order_verdict_branches():
    f = lambda v: pd.DataFrame({"ism_faster": v})  # noqa: E731
    assert pt.time_order_verdict(f([])) == "not checked yet"
    assert pt.time_order_verdict(f([True] * 8)) == "reproduced with a caveat"
    assert pt.time_order_verdict(f([True, True, False])) == "reproduced with a caveat"
    assert pt.time_order_verdict(f([True, False])) == "outside the source's regime"


def test_objectives_verdict_branches():
    def f(ds, ok):
        return pd.DataFrame({"dataset": ds, "ok": ok})
    assert pt.objectives_verdict(f([], [])) == "not checked yet"
    assert pt.objectives_verdict(f(["wine", "cancer"], [True, True])) == "reproduced"
    # misses only on the rounding-sensitive sets
    assert pt.objectives_verdict(f(["wine", "random", "adversarial"], [True, False, False])) \
        == "reproduced with a caveat"
    # one real miss in four real cells: still a caveat; two in four: not reproduced
    ds = ["wine", "cancer", "car", "face", "random"]
    assert pt.objectives_verdict(f(ds, [True, True, True, False, False])) == \
        "reproduced with a caveat"
    assert pt.objectives_verdict(f(ds, [True, True, False, False, True])) == "not reproduced"


def test_sigma_verdict_branches():
    def f(m, ok):
        return pd.DataFrame({"method": m, "ok": ok})
    assert pt.sigma_verdict(f([], [])) == "not checked yet"
    assert pt.sigma_verdict(f(["ism", "ws"], [True, True])) == "reproduced"
    # W_s misses alone do not decide: it follows the published code, not the poster's
    assert pt.sigma_verdict(f(["ism", "ism", "ws", "ws"], [True, True, False, False])) == \
        "reproduced with a caveat"
    assert pt.sigma_verdict(f(["ism", "ism", "ism", "ws"], [True, True, False, True])) == \
        "reproduced with a caveat"
    assert pt.sigma_verdict(f(["ism", "ism", "ws"], [True, False, True])) == "not reproduced"


def test_backprop_verdict_branches():
    def f(m, ok, cap):
        return pd.DataFrame({"method": m, "ok": ok, "at_cap": cap})
    assert pt.backprop_verdict(f([], [], [])) == "not checked yet"
    assert pt.backprop_verdict(f(["ism", "ws"], [True, True], [0, 0])) == "reproduced"
    assert pt.backprop_verdict(f(["ism", "ws"], [True, True], [1, 1])) == \
        "reproduced with a caveat"
    # every ISM cell ok, W_s behind: a caveat
    assert pt.backprop_verdict(f(["ism", "ws", "ws"], [True, False, False], [0, 0, 0])) == \
        "reproduced with a caveat"
    # ISM behind somewhere but more than half of all cells ok
    assert pt.backprop_verdict(f(["ism", "ism", "ws"], [False, True, True], [0, 0, 0])) == \
        "reproduced with a caveat"
    assert pt.backprop_verdict(f(["ism", "ws"], [False, False], [0, 0])) == \
        "outside the source's regime"


# --- the budget pairs -----------------------------------------------------------------------

def _row(ds, m, fold, L, test, epochs, stop, H=0.9):
    return {"dataset": ds, "method": m, "fold": fold, "L": L, "train_acc": 1.0,
            "test_acc": test, "H_star": H, "MSE": 1.0, "CE": 0.1, "C": 0.2, "T": 0.3,
            "time": float(epochs), "n_epochs": epochs, "stop_reason": stop, "sigma": None}


def _write(folder, row, max_epochs=5000):
    folder.mkdir(parents=True, exist_ok=True)
    params = {"dataset": row["dataset"], "method": row["method"], "fold": row["fold"],
              "max_epochs": max_epochs}
    path = folder / f"{row['dataset']}__{row['method']}__fold{row['fold']:02d}.json"
    path.write_text(json.dumps({"params": params, "row": row, "layers": []}))


@pytest.fixture()
def constructed(tmp_path):
    committed = pd.DataFrame([
        _row("wine", "ce", 1, 3, 0.90, 20, "max_epochs"),
        _row("wine", "ce", 2, 3, 1.00, 12, "loss_floor"),
        _row("wine", "mse", 1, 3, 0.80, 20, "max_epochs", H=0.5),
        _row("cancer", "ce", 1, 4, 0.95, 20, "max_epochs"),
        _row("wine", "ism", 1, 3, 0.95, math.nan, "silhouette_exit"),
    ])
    folder = tmp_path / "folds_5000"
    _write(folder, _row("wine", "ce", 1, 3, 1.00, 130, "loss_floor"))
    _write(folder, _row("wine", "ce", 2, 3, 1.00, 12, "loss_floor"))
    _write(folder, _row("wine", "mse", 1, 3, 0.90, 5000, "max_epochs", H=0.7))
    _write(folder, _row("cancer", "ce", 1, 5, 0.90, 60, "loss_floor"))   # another depth
    _write(folder, _row("spiral", "ce", 1, 2, 1.0, 40, "loss_floor"))    # no committed fold
    _write(folder, _row("wine", "ism", 1, 3, 0.95, 0, "silhouette_exit"))  # not an MLP
    return folder, committed


def test_budget_pairs_pairs_dataset_method_fold(constructed):
    folder, committed = constructed
    p = pt.budget_pairs(folder, committed)
    assert list(zip(p.dataset, p.method, p.fold)) == [
        ("wine", "ce", 1), ("wine", "ce", 2), ("wine", "mse", 1), ("cancer", "ce", 1)]
    w = p.set_index(["dataset", "method", "fold"])
    assert w.loc[("wine", "ce", 1), "test_acc_capped"] == 0.90
    assert w.loc[("wine", "ce", 1), "test_acc_budget"] == 1.00
    assert w.loc[("wine", "ce", 1), "test_acc_diff"] == pytest.approx(0.10)
    assert w.loc[("wine", "ce", 1), "n_epochs_diff"] == 110
    assert w.loc[("wine", "mse", 1), "H_star_diff"] == pytest.approx(0.2)
    assert w.loc[("wine", "ce", 1), "stop_capped"] == "max_epochs"
    assert w.loc[("wine", "ce", 1), "stop_budget"] == "loss_floor"
    assert (w.max_epochs_budget == 5000).all()
    assert not w.loc[("cancer", "ce", 1), "same_depth"]
    assert w.loc[("wine", "ce", 2), "same_depth"]


def test_budget_effect_and_pairs_per_set(constructed):
    folder, committed = constructed
    p = pt.budget_pairs(folder, committed)
    e = pt.budget_effect(p).set_index(["dataset", "method", "column"])
    r = e.loc[("wine", "ce", "test_acc")]
    assert r.n_pairs == 2 and r.n_other_depth == 0
    assert r.capped == pytest.approx(0.95) and r.budget == pytest.approx(1.0)
    assert r["diff"] == pytest.approx(0.05) and r.max_abs_diff == pytest.approx(0.10)
    assert r.at_cap == 1 and r.budget_at_cap == 0
    assert e.loc[("wine", "mse", "test_acc")].budget_at_cap == 1
    # the pair at another depth is not summed up
    assert ("cancer", "ce", "test_acc") not in e.index
    n = pt.pairs_per_set(p).set_index(["dataset", "method"])
    assert n.loc[("wine", "ce")].n_pairs == 2 and n.loc[("wine", "ce")].pending == 8
    assert n.loc[("cancer", "ce")].n_pairs == 0 and n.loc[("cancer", "ce")].n_other_depth == 1
    assert n.loc[("face", "mse")].pending == 10
    assert len(n) == 2 * len(pt.DATASETS)


def test_a_collapsed_budget_fit_is_counted_not_averaged(constructed):
    """A budget fit whose last hidden layer collapsed has NaN representation columns: the
    effect counts it and compares both means on the folds where the budget value exists."""
    folder, committed = constructed
    dead = _row("wine", "ce", 2, 3, 0.5, 5000, "max_epochs")
    for c in ("H_star", "MSE", "CE", "C", "T"):
        dead[c] = None
    path = folder / "wine__ce__fold02.json"
    path.write_text(json.dumps({"params": {"max_epochs": 5000}, "row": dead, "layers": [],
                                "collapsed": ["hidden", "output"]}))
    p = pt.budget_pairs(folder, committed).set_index(["dataset", "method", "fold"])
    assert p.loc[("wine", "ce", 2), "collapsed_budget"]
    assert not p.loc[("wine", "ce", 1), "collapsed_budget"]
    e = pt.budget_effect(p.reset_index()).set_index(["dataset", "method", "column"])
    h = e.loc[("wine", "ce", "H_star")]
    assert h.n_pairs == 2 and h.n_collapsed == 1
    assert h.capped == pytest.approx(0.9) and h.budget == pytest.approx(0.9)  # fold 1 only
    acc = e.loc[("wine", "ce", "test_acc")]                   # accuracy exists on both folds
    assert acc.budget == pytest.approx(0.75) and acc.capped == pytest.approx(0.95)
    t = pt.budget_table(pt.budget_effect(p.reset_index()))
    assert t.loc[("wine", "ce"), "collapsed (budget)"] == 1
    assert t.loc[("wine", "mse"), "collapsed (budget)"] == 0


def test_representation_metrics_flags_a_constant_representation():
    from kernelnet.experiments.poster_table._fold import _representation_metrics
    from kernelnet.layerwise import output_metrics

    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 10)
    Z = rng.normal(size=(20, 3)) + y[:, None]
    met, dead = _representation_metrics(Z, y, 1)
    assert not dead and met == output_metrics(Z, y, random_state=1)
    met, dead = _representation_metrics(np.tile([0.0, 2.0, 0.0], (20, 1)), y, 1)
    assert dead and all(math.isnan(v) for v in met.values())
    assert {"H_star", "MSE", "MSE_authors", "CE", "C", "T"} == set(met)
    # a nearly constant one is measured, not flagged
    near = np.tile([0.0, 2.0, 0.0], (20, 1))
    near[0, 1] += 1e-3
    assert not _representation_metrics(near, y, 1)[1]


def test_folds_as_read_replaces_only_complete_same_depth_rows(constructed):
    folder, committed = constructed
    committed = committed.assign(MSE_authors=0.5)
    p = pt.budget_pairs(folder, committed)
    # wine ce has 2 same-depth pairs: complete at n_folds=2, not at 3
    r = pt.folds_as_read(committed, p, n_folds=2)
    r = r.set_index(["dataset", "method", "fold"]).sort_index()
    assert (r.loc[("wine", "ce"), "source"] == "budget").all()
    assert r.loc[("wine", "ce", 1), "test_acc"] == 1.00          # the refit's value
    assert r.loc[("wine", "ce", 1), "stop_reason"] == "loss_floor"
    assert r.loc[("wine", "ce", 1), "n_epochs"] == 130
    assert math.isnan(r.loc[("wine", "ce", 1), "MSE_authors"])  # not carried by the pairs
    # wine mse has 1 of 2 folds, cancer ce's refit is at another depth: both stay committed
    assert r.loc[("wine", "mse", 1), "source"] == "committed"
    assert r.loc[("wine", "mse", 1), "H_star"] == 0.5
    assert r.loc[("wine", "mse", 1), "MSE_authors"] == 0.5
    assert r.loc[("cancer", "ce", 1), "test_acc"] == 0.95
    assert (r.loc[("wine", "ism"), "source"] == "committed").all()
    r3 = pt.folds_as_read(committed, p, n_folds=3)
    assert (r3.source == "committed").all()
    pd.testing.assert_frame_equal(r3.drop(columns="source"), committed)
    assert (pt.folds_as_read(committed, p.iloc[:0], n_folds=2).source == "committed").all()
    for bad in (0, 2.0, "10"):
        with pytest.raises(ValueError, match="n_folds"):
            pt.folds_as_read(committed, p, n_folds=bad)


def test_comparison_as_read_matches_the_verdicts_mlp_cells():
    """The figure and the MLP prose of chapter 03 read the same cells as 000.table.sgd."""
    from kernelnet.experiments.poster_table._chapter import comparison_as_read
    from kernelnet.experiments.poster_table._prose import differences_caption, mlp_source_sentence

    ref = pt.load_committed()
    pairs = pt.load_budget(committed=ref)
    read = comparison_as_read(ref, pairs)
    mlp = pt.table_checks(ref, pairs)["mlp_accuracy"]
    m = read.merge(mlp, on=["dataset", "method", "column"])
    assert len(m) == len(mlp)
    np.testing.assert_allclose(m.ours_mean, m.ours, rtol=0, atol=1e-12)
    assert ((m.source_x == "budget") == (m.source_y == "budget")).all()
    kern = read[read.method.isin(["ism", "ws"])]
    assert (kern.source == "committed").all() and (kern["diff"] == kern.committed_diff).all()
    # without refits the read comparison is the committed one
    none = comparison_as_read(ref, pairs.iloc[:0])
    assert (none.source == "committed").all()
    np.testing.assert_array_equal(none["diff"], pt.compare_with_poster(ref.summary)["diff"])
    assert "capped at 20 epochs where the authors allowed 5,000" in mlp_source_sentence(none, 20)
    assert "hollow" not in differences_caption(none, 20)
    n_b = int((read[read.method.isin(["ce", "mse"])].drop_duplicates(["dataset", "method"])
               .source == "budget").sum())
    if n_b == 16:
        assert "(all 16 (set, MLP) rows" in mlp_source_sentence(read, 20)
        assert "The MLP points of every (set, MLP) row" in differences_caption(read, 20)


def test_budget_pairs_missing_files_and_bad_input(constructed, tmp_path):
    folder, committed = constructed
    empty = tmp_path / "empty"
    empty.mkdir()
    assert pt.budget_pairs(empty, committed).empty
    assert pt.load_budget(tmp_path / "not_there", committed).empty
    with pytest.raises(ValueError, match="folder"):
        pt.budget_pairs(tmp_path / "not_there", committed)
    with pytest.raises(ValueError, match="folder"):
        pt.budget_pairs(None, committed)
    with pytest.raises(ValueError, match="committed"):
        pt.budget_pairs(folder, committed=[1, 2])
    (folder / "wine__ce__fold03.json").write_text("{not json")
    with pytest.raises(ValueError, match="folder.*wine__ce__fold03"):
        pt.budget_pairs(folder, committed)


def test_committed_budget_folder_pairs_with_the_committed_table():
    folder = pt.budget_folder()
    if not folder.is_dir():
        pytest.skip("no results/mlp_budget/folds_5000 yet")
    b = pt.read_budget_folds(folder)
    assert len(b) > 0 and (b.max_epochs == 5000).all()
    p = pt.budget_pairs(folder)
    assert len(p) == len(b)          # every budget file has its committed capped fold
    assert (p.max_epochs_budget == 5000).all()
    assert set(p.stop_budget) <= {"loss_floor", "slope", "max_epochs"}


# --- the findings on the committed table ----------------------------------------------------

def test_table_findings_on_the_committed_table():
    ref = pt.load_committed()
    pairs = pt.load_budget(committed=ref)
    checks = pt.table_checks(ref, pairs)
    assert len(checks["time_order"]) == len(pt.DATASETS)
    assert len(checks["objectives"]) == 5 * len(pt.DATASETS)
    assert len(checks["backprop"]) == 4 * len(pt.DATASETS)
    found = {f.claim_id: f for f in pt.table_findings(ref, pairs, checks)}
    assert set(found) == {"000.table.sgd", "000.table.time", "000.table.objectives",
                          "000.table.sigma", "000.q1-vs-backprop"}
    ids = set(registry().id)
    for f in found.values():
        assert f.claim_id in ids and f.verdict in VERDICTS
        assert f.verdict != "not checked yet"
    # capped baselines: never plain "reproduced", never "not reproduced"
    for cid in ("000.table.sgd", "000.q1-vs-backprop", "000.table.time"):
        assert found[cid].verdict not in ("reproduced", "not reproduced")
    # the time finding checks the ordering only, and says so
    assert "ordering" in found["000.table.time"].regime
    assert found["000.table.time"].values["n_sets"] == len(pt.DATASETS)


def test_pending_sentence_names_what_is_left_and_its_cost():
    from kernelnet.experiments.poster_table._prose import pending_sentence

    counts = pd.DataFrame({"dataset": ["wine", "wine", "adversarial", "adversarial"],
                           "method": ["ce", "mse", "ce", "mse"], "n_pairs": [10, 10, 1, 0],
                           "n_other_depth": [0, 0, 0, 0], "pending": [0, 0, 9, 10]})
    folds = pd.DataFrame({"dataset": ["adversarial"] * 4 + ["wine"],
                          "method": ["ism", "ism", "ism", "ce", "ism"],
                          "fold": [1, 2, 3, 1, 1], "L": [30, 30, 4, 30, 3]})
    pairs = pd.DataFrame({"dataset": ["wine", "adversarial", "adversarial"],
                          "method": ["ce", "ce", "mse"], "fold": [1, 3, 3],
                          "time_budget": [2.0, 5338.4, 20.0]})
    text = pending_sentence(counts, folds, pairs)  # fold 3 (depth 4) is done for both MLPs
    assert text == ("Still pending: adversarial: 19 fits, whose MLPs copy ISM's 30 hidden "
                    "layers; the 2 budget fits done so far took 20-5,338 s each.")
    folds.loc[0, "L"] = 28
    one = pairs.iloc[[0, 1]]  # MSE fold 3 (depth 4) pending again
    assert ("4-30 hidden layers; the one budget fit done so far took 5,338 s" in
            pending_sentence(counts, folds, one))
    assert pending_sentence(counts.assign(pending=0), folds, pairs) == ""


def test_inside_cap_sentence_separates_rounding_from_a_moved_stop():
    from kernelnet.experiments.poster_table._prose import inside_cap_sentence

    cols = ("train_acc", "test_acc", "H_star", "C", "T", "CE")
    base = {f"{c}_diff": 0.0 for c in cols}
    rows = [dict(base, dataset="wine", method="ce", fold=1, n_epochs_capped=8,
                 n_epochs_budget=8, stop_capped="loss_floor", stop_budget="loss_floor",
                 H_star_diff=2e-10)]
    text = inside_cap_sentence(pd.DataFrame(rows), 20)
    assert text == ("Of the 1 that stopped inside it, 1 stop at the same epoch in the refit "
                    "and change by at most 2e-10 in any accuracy or normalised column "
                    "(rounding), so the budget does not reach them.")
    rows.append(dict(base, dataset="face", method="ce", fold=5, n_epochs_capped=13,
                     n_epochs_budget=17, stop_capped="loss_floor", stop_budget="loss_floor",
                     test_acc_diff=-0.016, H_star_diff=-0.041))
    rows.append(dict(base, dataset="car", method="mse", fold=2, n_epochs_capped=19,
                     n_epochs_budget=300, stop_capped="slope", stop_budget="slope"))
    text = inside_cap_sentence(pd.DataFrame(rows), 20)
    assert ("face CE fold 5 stops after 13 epochs in the committed fit (loss_floor) and 17 in "
            "the refit (loss_floor) and changes by up to 0.041, a difference between the two "
            "runs rather than the budget, since neither reached the cap") in text
    assert "car MSE fold 2 stops after 19 epochs" in text
    assert text.endswith("its refit running past the cap.")


def test_sgd_miss_reading_names_misses_in_the_authors_budget():
    from kernelnet.experiments.poster_table._chapter import sgd_miss_reading

    capped = pd.DataFrame({"dataset": ["wine"], "method": ["ce"], "column": ["test_acc"],
                           "source": ["capped"]})
    base = "Capped fits are not the authors' regime, so no miss is read as the poster failing."
    assert sgd_miss_reading(capped) == base
    assert sgd_miss_reading(capped.iloc[:0]) == base
    both = pd.concat([capped, capped.assign(dataset="adversarial", method="mse",
                                            column="train_acc", source="budget")])
    text = sgd_miss_reading(both)
    assert text.startswith(base)
    assert "The miss on adversarial mse train_acc, whose MLPs were refitted" in text
    assert "is a caveat too" in text
    two = pd.concat([both, both.iloc[[1]].assign(column="test_acc")])
    assert "The misses on" in sgd_miss_reading(two) and "are a caveat too" in sgd_miss_reading(two)
    # every miss on a refitted row: no sentence about capped fits
    only = sgd_miss_reading(two.iloc[1:])
    assert not only.startswith("Capped")
    assert "are read as a caveat, not as the poster failing" in only
