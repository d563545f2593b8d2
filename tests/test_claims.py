"""The claims contract: Finding, the verdict vocabulary, parameters, the ledger, page and CLI."""

import json

import pandas as pd
import pytest

from kernelnet import claims
from kernelnet.claims import Finding, Parameter

REG = pd.DataFrame([
    {"id": "000.thm1.III", "source": "000", "location": "Theorem 1, eq. 5",
     "statement": "H_l > H_{l-1}", "source_regime": "W_s, suitable sigma_l",
     "chapter": "01_layerwise_kernel_networks"},
    {"id": "003.spectrum-bound", "source": "003", "location": "slide 9",
     "statement": "lambda_m(G) >= m gamma_m / 2 | large m", "source_regime": "m large",
     "chapter": "06_diverse_weights"},
    {"id": "004.lemma1", "source": "004", "location": "Lemma 1", "statement": "remainder",
     "source_regime": "d large", "chapter": "07_feature_learning_vs_ntk"},
])


def _rec(chapter, quick, *findings):
    return {"chapter": chapter, "quick": quick, "findings": [f.to_dict() for f in findings]}


def test_vocabulary_is_the_issue_s():
    assert claims.VERDICTS == (
        "reproduced", "reproduced with a caveat", "not reproduced",
        "outside the source's regime", "not checkable here", "finding of ours",
        "not checked yet")
    assert set(claims.VERDICT_MEANING) == set(claims.VERDICTS)


def test_finding_requires_reason_and_tried():
    Finding("000.thm1.III", "reproduced", "wine, 10 folds")
    with pytest.raises(ValueError, match="note"):
        Finding("000.thm1.III", "reproduced with a caveat", "wine")
    with pytest.raises(ValueError, match="tried"):
        Finding("000.thm1.III", "not reproduced", "wine", note="falls")
    with pytest.raises(ValueError, match="tried"):
        Finding("000.thm1.III", "finding of ours", "wine", note="x", contradicts=True)
    with pytest.raises(ValueError, match="contradicts"):
        Finding("000.thm1.III", "reproduced", "wine", contradicts=True)
    with pytest.raises(ValueError, match="verdict"):
        Finding("000.thm1.III", "wrong", "wine")
    with pytest.raises(ValueError, match="claim_id"):
        Finding("thm1", "reproduced", "wine")
    with pytest.raises(ValueError, match="claim_id"):
        Finding("009.x", "reproduced", "wine")
    with pytest.raises(ValueError, match="regime"):
        Finding("000.thm1.III", "reproduced", " ")
    with pytest.raises(ValueError, match="values"):
        Finding("000.thm1.III", "reproduced", "wine", values={"a": [1, 2]})


def test_finding_values_json_roundtrip():
    import numpy as np

    f = Finding("000.thm1.III", "not reproduced", "wine", values={"n": np.int64(3),
                "x": np.float64(0.5), "inf": float("inf"), "ok": np.bool_(True)},
                note="falls", tried=["sigma 0.1", "4000 features"], figures=["a"])
    d = json.loads(json.dumps(f.to_dict()))
    g = Finding.from_dict(d)
    assert g == f
    assert g.values == {"n": 3, "x": 0.5, "inf": "inf", "ok": True}


def test_shown_verdict_quick_guard():
    neg = Finding("000.thm1.III", "not reproduced", "r", note="n", tried=("t",))
    contra = Finding("000.thm1.III", "finding of ours", "r", note="n", tried=("t",),
                     contradicts=True)
    ours = Finding("000.thm1.III", "finding of ours", "r", note="n")
    pos = Finding("000.thm1.III", "reproduced", "r")
    assert claims.shown_verdict(neg, True) == claims.PROVISIONAL
    assert claims.shown_verdict(contra, True) == claims.PROVISIONAL
    assert claims.shown_verdict(neg, False) == "not reproduced"
    assert claims.shown_verdict(ours, True) == "finding of ours"
    assert claims.shown_verdict(pos, True) == "reproduced"
    with pytest.raises(ValueError, match="quick"):
        claims.shown_verdict(pos, "yes")


@pytest.mark.parametrize("hold,total,kw,expected", [
    (5, 5, {}, "reproduced"),
    (4, 5, {}, "reproduced with a caveat"),
    (3, 5, {}, "reproduced with a caveat"),
    (2, 5, {}, "not reproduced"),
    (2, 5, {"caveat_below": 2}, "reproduced with a caveat"),
    (0, 1, {}, "not reproduced"),
])
def test_verdict_from_counts_branches(hold, total, kw, expected):
    assert claims.verdict_from_counts(hold, total, **kw) == expected


def test_verdict_from_counts_rejects():
    with pytest.raises(ValueError, match="n_total"):
        claims.verdict_from_counts(0, 0)
    with pytest.raises(ValueError, match="exceed"):
        claims.verdict_from_counts(3, 2)
    with pytest.raises(ValueError, match="n_hold"):
        claims.verdict_from_counts(True, 2)


def test_glue_key():
    assert claims.glue_key("000.thm1.III") == "claim-000-thm1-III"
    assert claims.glue_key("003.spectrum-bound", "note") == "claim-003-spectrum-bound-note"
    with pytest.raises(ValueError, match="claim_id"):
        claims.glue_key("x")


def test_parameters_resolve_and_check():
    declared = {"fold": Parameter(int, 0, 0, lambda v: 0 <= v <= 9, "fold 0..9"),
                "n": Parameter(int, 10, 1000, lambda v: v > 0),
                "rate": Parameter(float, 0.1, 0.01)}
    assert claims.resolve_parameters(declared, quick=True, seed=0) == {"fold": 0, "n": 10,
                                                                       "rate": 0.1}
    assert claims.resolve_parameters(declared, quick=False, seed=0)["n"] == 1000
    got = claims.resolve_parameters(declared, quick=False, seed=0, n=5, rate=1)
    assert got["n"] == 5 and got["rate"] == 1.0 and isinstance(got["rate"], float)
    with pytest.raises(ValueError, match="unknown parameter"):
        claims.resolve_parameters(declared, quick=True, seed=0, m=3)
    with pytest.raises(ValueError, match="parameter fold has a bad value"):
        claims.resolve_parameters(declared, quick=True, seed=0, fold=10)
    with pytest.raises(ValueError, match="parameter n must be int"):
        claims.resolve_parameters(declared, quick=True, seed=0, n=True)
    with pytest.raises(ValueError, match="parameter n must be int"):
        claims.resolve_parameters(declared, quick=True, seed=0, n="5")
    with pytest.raises(ValueError, match="quick"):
        claims.resolve_parameters(declared, quick="false", seed=0)
    with pytest.raises(ValueError, match="seed"):
        claims.resolve_parameters(declared, quick=True, seed=-1)


def test_setup_notebook_checks_declared():
    from kernelnet.figures import setup_notebook

    declared = {"fold": Parameter(int, 0, 0, lambda v: 0 <= v <= 9)}
    setup_notebook("x", declared=declared, QUICK=True, SEED=0, FOLD=3)
    with pytest.raises(ValueError, match="FOLD has a bad value"):
        setup_notebook("x", declared=declared, QUICK=True, SEED=0, FOLD=12)
    with pytest.raises(ValueError, match="OTHER is not declared"):
        setup_notebook("x", declared=declared, QUICK=True, SEED=0, OTHER=1)


def test_ledger_merges_and_fills_gaps():
    f1 = Finding("000.thm1.III", "not reproduced", "cancer", note="falls by 0.004",
                 tried=("4000 features",))
    f2 = Finding("004.lemma1", "reproduced", "d = 50")
    table = claims.ledger([_rec("01_x", False, f1), _rec("07_x", True, f2)], REG)
    assert list(table["id"]) == list(REG["id"])
    by = table.set_index("id")
    assert by.loc["000.thm1.III", "verdict"] == "not reproduced"
    assert by.loc["003.spectrum-bound", "verdict"] == "not checked yet"
    assert by.loc["004.lemma1", "verdict"] == "reproduced"
    quick = claims.ledger([_rec("01_x", True, f1)], REG).set_index("id")
    assert quick.loc["000.thm1.III", "verdict"] == claims.PROVISIONAL
    assert quick.loc["000.thm1.III", "verdict_raw"] == "not reproduced"


def test_ledger_rejects_unknown_and_duplicate_ids():
    bad = Finding("000.claim99", "reproduced", "r")
    with pytest.raises(ValueError, match="not in the registry"):
        claims.ledger([_rec("01_x", False, bad)], REG)
    f = Finding("004.lemma1", "reproduced", "r")
    with pytest.raises(ValueError, match="more than one chapter"):
        claims.ledger([_rec("01_x", False, f), _rec("07_x", False, f)], REG)


def test_page_has_one_row_per_claim_and_filter(tmp_path):
    f1 = Finding("003.spectrum-bound", "not reproduced", "d = 5, m = 20", note="sawtooth",
                 tried=("several draws",), figures=("dw_spectrum",), values={"ratio": 0.5})
    page = tmp_path / "claims.md"
    counts = claims.write_claims_page([_rec("06_diverse_weights", True, f1)], page,
                                      figures={"dw_spectrum"},
                                      quick=True, reg=REG)
    text = page.read_text()
    body = [ln for ln in text.splitlines() if ln.startswith("| `")]
    assert len(body) == len(REG)
    assert "{numref}`fig-dw-spectrum`" in text
    assert "\\| large m" in text  # a pipe inside a cell is escaped
    assert "quick build" in text and 'id="claims-verdict"' in text and "<script>" in text
    assert counts[claims.PROVISIONAL] == 1 and counts["not checked yet"] == 2
    with pytest.raises(ValueError, match="no chapter of this build saved"):
        claims.write_claims_page([_rec("06_diverse_weights", True, f1)], page,
                                 figures=(), reg=REG)


def test_record_roundtrip(tmp_path):
    f = Finding("004.lemma1", "reproduced", "r", values={"slope": -1.05})
    path = claims.write_record([_rec("07_x", False, f)], tmp_path / "c" / "findings.json")
    assert claims.read_record(path)[0]["findings"][0]["values"] == {"slope": -1.05}
    with pytest.raises(ValueError, match="build the book first"):
        claims.read_record(tmp_path / "none.json")


def test_unquote_glued_repr():
    rec = {"chapter": "x", "quick": True, "findings": []}
    text = json.dumps(rec)
    assert claims._unquote(repr(text)) == rec
    assert claims._unquote(text) == rec


def test_cli_claims_filters_and_rejects(tmp_path, capsys, monkeypatch):
    from kernelnet import cli

    f1 = Finding("000.thm1.III", "not reproduced", "cancer", note="falls", tried=("t",))
    path = claims.write_record([_rec("01_x", False, f1)], tmp_path / "findings.json")
    monkeypatch.setattr(claims, "registry", lambda: REG)
    assert cli.main(["claims", "--record", str(path), "--verdict", "not reproduced"]) == 0
    out = capsys.readouterr().out
    assert "000.thm1.III" in out and "1 row(s)" in out and "other settings tried: t" in out
    assert cli.main(["claims", "--record", str(path), "--source", "004"]) == 0
    out = capsys.readouterr().out
    assert "004.lemma1" in out and "000.thm1.III" not in out
    assert cli.main(["claims", "--record", str(path), "--source", "009"]) == 2
    assert "unknown source" in capsys.readouterr().err
    assert cli.main(["claims", "--record", str(path), "--verdict", "wrong"]) == 2
    assert "unknown verdict" in capsys.readouterr().err
    assert cli.main(["claims", "--record", str(tmp_path / "nope.json")]) == 2


def test_page_rejects_unknown_section(tmp_path):
    f = Finding("004.lemma1", "reproduced", "r", section="sec-missing")
    rec = _rec("07_feature_learning_vs_ntk", False, f)
    with pytest.raises(ValueError, match="sec-missing"):
        claims.write_claims_page([rec], tmp_path / "c.md", sections={"sec-other": "07_x"},
                                 reg=REG)
    claims.write_claims_page([rec], tmp_path / "c.md", sections={"sec-missing": "07_x"}, reg=REG)
    assert "{ref}`07: sec-missing <sec-missing>`" in (tmp_path / "c.md").read_text()


def test_section_labels_reads_myst_targets(tmp_path):
    nb = {"cells": [{"cell_type": "markdown", "source": ["(sec-a)=\n", "## A\n", "x (not)= y\n"]},
                    {"cell_type": "code", "source": "(sec-b)=\n"}]}
    (tmp_path / "07_demo.ipynb").write_text(json.dumps(nb))
    assert claims.section_labels(tmp_path) == {"sec-a": "07_demo"}


def test_held_for_referee():
    bad = Finding("004.thm1", "not reproduced", "r", values={"x": 1.0}, note="grows",
                  tried=("a",), section="fl-width")
    held = claims.held_for_referee(bad)
    assert held.verdict == "not checked yet" and "not reproduced" in held.note
    assert held.values == bad.values and held.tried == bad.tried and held.section == "fl-width"
    ok = Finding("004.thm1", "reproduced with a caveat", "r", note="c")
    assert claims.held_for_referee(ok) is ok
    ours = Finding("004.thm1", "finding of ours", "r", note="n", tried=("b",), contradicts=True)
    assert claims.held_for_referee(ours).verdict == "not checked yet"
    assert not claims.held_for_referee(ours).contradicts
