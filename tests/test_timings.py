"""What a rerun costs: numba compile time recorded in the kernel, the full-size timings record,
and the status page and rerun sentence generated from them."""

import json
from pathlib import Path

import nbformat
import numpy as np
import pytest

from kernelnet import _timings
from kernelnet.bookpages import write_rerun_cost, write_status_page
from kernelnet.build import timings_from_executed

ROOT = Path(__file__).resolve().parent.parent


def test_compile_recorder_counts_a_cold_compile_once_and_a_second_call_not(tmp_path):
    import numba

    @numba.njit(cache=False)
    def tiny(x):  # defined here, so no cache can hold it: the first call compiles
        return x * 2.0 + 1.0

    rec = _timings.CompileRecorder(tmp_path / "t.json").install()
    try:
        assert json.loads((tmp_path / "t.json").read_text()) == {
            "numba_compile_seconds": 0.0, "numba_compile_wall_seconds": 0.0,
            "numba_compiles": 0}  # written at install: measured 0
        assert tiny(np.float64(1.0)) == 3.0
        first, n_first = rec.seconds, rec.compiles
        assert first > 0 and rec.wall_seconds > 0 and n_first >= 1
        assert json.loads((tmp_path / "t.json").read_text())["numba_compiles"] == n_first
        assert tiny(np.float64(2.0)) == 5.0  # same signature: no new compile
        assert (rec.seconds, rec.compiles) == (first, n_first)
        tiny(np.int64(2))  # a new signature compiles again
        assert rec.compiles == n_first + 1 and rec.seconds > first
    finally:
        rec.uninstall()
    before = rec.compiles
    tiny(np.float32(1.0))
    assert rec.compiles == before  # uninstalled: no longer listening


def test_recorder_installed_only_where_the_build_asks(tmp_path, monkeypatch):
    monkeypatch.delenv(_timings.TIMINGS_ENV, raising=False)
    assert _timings.install_compile_recorder("00_x") is None
    monkeypatch.setenv(_timings.TIMINGS_ENV, str(tmp_path))
    rec = _timings.install_compile_recorder("00_x")
    try:
        assert _timings.read_sidecar(tmp_path, "00_x")["numba_compiles"] == rec.compiles
        assert _timings.read_sidecar(tmp_path, "01_absent") is None
    finally:
        rec.uninstall()


def _record(**chapters):
    return _timings.timings_record(chapters, cpu_count=2, jobs=2, load_start=[5.0, 4.0, 3.0],
                                   load_end=[19.0, 10.0, 6.0], commit="abcdef1234567",
                                   created="2026-12-04T22:52:43+00:00")


def test_timings_record_round_trips_and_keeps_missing_as_none(tmp_path):
    rec = _record(**{"00_a": {"wall_seconds": 33.0, "cpu_seconds": None,
                              "numba_compile_seconds": 2.5, "started": "t"},
                     "01_b": {"wall_seconds": 120.0, "note": "older code"}})
    path = _timings.write_timings(rec, tmp_path / "timings" / "full.json")
    back = _timings.read_timings(path)
    assert back == rec
    assert back["chapters"]["00_a"]["cpu_seconds"] is None
    assert back["chapters"]["01_b"]["numba_compile_seconds"] is None
    assert back["chapters"]["01_b"]["note"] == "older code"
    assert _timings.read_timings(tmp_path / "none.json") is None
    (tmp_path / "bad.json").write_text('{"schema": 99}')
    with pytest.raises(ValueError, match="schema"):
        _timings.read_timings(tmp_path / "bad.json")
    with pytest.raises(ValueError, match="wall_seconds"):
        _record(**{"00_a": {"wall_seconds": -1.0}})
    with pytest.raises(ValueError, match="schema"):
        _timings.write_timings({"chapters": {}}, tmp_path / "x.json")


def test_rerun_sentence_names_totals_machine_and_missing_chapters():
    rec = _record(**{"00_a": {"wall_seconds": 60.0}, "01_b": {"wall_seconds": 600.0}})
    text = _timings.rerun_cost_sentence(rec, ["00_a", "01_b", "02_c"])
    assert "of the 2 timed chapters took 11 min of wall time" in text
    assert "wall time only: CPU time was not recorded" in text
    assert "on 2 cores, 2 chapters at a time, 1-minute load average 5-19" in text
    assert "`01_b`, took 10 min" in text and "Not in the record: `02_c`." in text
    assert "absent" in _timings.rerun_cost_sentence(None)
    full = _record(**{"00_a": {"wall_seconds": 60.0, "cpu_seconds": 80.0}})
    assert "(80 s of CPU time)" in _timings.rerun_cost_sentence(full, ["00_a"])
    assert "on 2 cores, one chapter at a time," in _timings.rerun_cost_sentence(
        dict(rec, jobs=1))
    assert "on 2 cores, one chapter at a time with each chapter's sweeps on 2 worker processes," \
        in _timings.rerun_cost_sentence(dict(rec, jobs=1, unit_jobs=2))
    assert "one chapter at a time," in _timings.rerun_cost_sentence(dict(rec, jobs=1, unit_jobs=1))


def _chapter(folder, stem, duration, timings=None):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    nb.metadata["papermill"] = {"parameters": {"QUICK": True}, "start_time": "2026-01-01T00:00:00",
                                "duration": duration, "exception": None}
    if timings is not None:
        nb.metadata["kernelnet"] = {"timings": timings}
    nbformat.write(nb, folder / f"{stem}.ipynb")


def test_status_page_shows_this_build_compile_and_full_size_columns(tmp_path):
    _chapter(tmp_path, "00_a", 12.5, {"cpu_seconds": 20.25, "numba_compile_seconds": 0.0})
    _chapter(tmp_path, "01_b", 3.0)  # executed without the recorder
    rec = _record(**{"00_a": {"wall_seconds": 33.0}})
    page = tmp_path / "status.md"
    assert write_status_page(tmp_path, page, rec) == 2
    text = page.read_text()
    assert "| wall s | CPU s | of which numba compile, CPU s | full-size run, wall s |" in text
    # measured zero compile (warm cache) reads 0.0; what was not measured says so
    assert "| {doc}`../notebooks/00_a` | yes | 2026-01-01T00:00:00 | 12.5 | 20.2 | 0.0 | 33.0 |" \
        in text
    assert ("| {doc}`../notebooks/01_b` | yes | 2026-01-01T00:00:00 | 3.0 | not recorded "
            "| not recorded | not recorded |") in text
    assert "Not in the record: `01_b`." in text
    # this build's totals: CPU and compile were not measured for 01_b, so no total is made up
    assert ("**This build** ran 2 chapters, load average not recorded: 15.5 s of wall time summed "
            "over chapters, CPU time not recorded, numba compile time not recorded") in text
    run = {"cpu_count": 2, "jobs": 1, "load_average_start": [3.25, 3.0, 3.0],
           "load_average_end": [2.5, 3.0, 3.0]}
    _chapter(tmp_path, "01_b", 3.0, {"cpu_seconds": 2.0, "numba_compile_seconds": 1.0})
    write_status_page(tmp_path, page, rec, run)
    assert ("**This build** ran 2 chapters, 1 at a time on 2 cores, 1-minute load average 3.25 "
            "at the start and 2.5 at the end: 15.5 s of wall time summed over chapters, 22.2 s "
            "of CPU time, of which 1.0 s numba compilation.") in page.read_text()
    no_record = tmp_path / "status0.md"
    write_status_page(tmp_path, no_record, None)
    assert "`results/timings/full.json` is absent" in no_record.read_text()


def test_rerun_page_marker_is_replaced_by_the_generated_sentence(tmp_path):
    page = tmp_path / "rerun.md"
    page.write_text((ROOT / "book" / "rerun.md").read_text())
    assert "<!-- rerun-cost -->" in page.read_text()
    assert write_rerun_cost(page, _record(**{"00_a": {"wall_seconds": 60.0}}), ["00_a"])
    text = page.read_text()
    assert "<!-- rerun-cost -->" not in text and "took 60 s of wall time" in text
    assert not write_rerun_cost(page, None)  # no marker left: nothing to do


def test_timings_from_executed_reads_metadata_and_execution_json(tmp_path):
    _chapter(tmp_path, "00_a", 12.5, {"cpu_seconds": 20.0, "numba_compile_seconds": 1.5})
    _chapter(tmp_path, "01_b", 3.0)
    (tmp_path / "execution.json").write_text(json.dumps({
        "cpu_count": 2, "jobs": 1, "load_average_start": [1.0, 1.0, 1.0],
        "load_average_end": [2.0, 1.0, 1.0], "finished": "2026-01-01T00:01:00+00:00"}))
    rec = timings_from_executed(tmp_path)
    assert rec["cpu_count"] == 2 and rec["load_average_end"] == [2.0, 1.0, 1.0]
    assert rec["unit_jobs"] is None  # an execution.json from before the workers: serial
    assert rec["chapters"]["00_a"] == {"wall_seconds": 12.5, "cpu_seconds": 20.0,
                                       "numba_compile_seconds": 1.5,
                                       "started": "2026-01-01T00:00:00"}
    assert rec["chapters"]["01_b"]["cpu_seconds"] is None


def test_committed_full_record_is_readable_and_covers_the_book():
    rec = _timings.read_timings(ROOT / "results" / "timings" / "full.json")
    assert rec is not None and rec["quick"] is False
    stems = {p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    assert set(rec["chapters"]) <= stems
    assert all(r["wall_seconds"] is None or r["wall_seconds"] > 0 for r in rec["chapters"].values())
