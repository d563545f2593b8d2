"""The claims registry (kernelnet/data/claims_registry.csv) as data: one row per checkable
statement of the five seeds, with stable ids, a chapter that checks it, and a checksum."""
import csv
import hashlib
import re
from pathlib import Path

import pytest

from kernelnet import datasets

DATA = Path(datasets.__file__).resolve().parent / "data"
REGISTRY = DATA / "claims_registry.csv"
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
COLUMNS = ["id", "source", "location", "statement", "source_regime", "chapter"]
SOURCES = ("000", "001", "002", "003", "004")
#: <source>.<slug>: the slug is lowercase letters, digits, dots and dashes, except the
#: seeds' own part numbers in capitals (Theorem 1 I, II, III: ``000.thm1.III``).
ID_PATTERN = re.compile(r"^(00[0-4])\.[a-z0-9]+(?:[.-](?:[a-z0-9]+|[IVX]+))*$")


def _rows():
    with REGISTRY.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == COLUMNS
        return list(reader)


def test_columns_and_reader_agree():
    from kernelnet import claims

    reg = claims.registry()
    assert list(reg.columns) == COLUMNS
    assert list(reg["id"]) == [r["id"] for r in _rows()]
    # read with dtype=str the sources keep their leading zeros
    assert set(reg["source"]) == set(SOURCES)


def test_ids_unique_and_well_formed():
    ids = [r["id"] for r in _rows()]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    assert not dupes, f"duplicate registry ids: {dupes}"
    bad = [i for i in ids if not ID_PATTERN.match(i)]
    assert not bad, f"ids not of the form <source>.<slug>: {bad}"


def test_source_matches_id_and_every_source_present():
    rows = _rows()
    assert all(r["source"] in SOURCES for r in rows)
    assert all(r["id"][:3] == r["source"] for r in rows)
    counts = {s: sum(r["source"] == s for r in rows) for s in SOURCES}
    # every seed is covered, each by more than a token row
    assert min(counts.values()) >= 10, counts


def test_chapter_is_an_existing_notebook():
    stems = {p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")}
    if not stems:  # pragma: no cover - installed package without the book
        pytest.skip("notebooks not present")
    bad = sorted({r["chapter"] for r in _rows()} - stems)
    assert not bad, f"chapters that are not notebooks: {bad}"


def test_no_empty_fields_and_one_line_statements():
    for r in _rows():
        for col in ("id", "location", "statement", "source_regime", "chapter"):
            assert r[col].strip(), f"{r['id']}: empty {col}"
        for col in COLUMNS:
            assert "\n" not in r[col] and "\r" not in r[col], f"{r['id']}: {col} spans lines"


def test_seed_numbering_rows_present():
    """The seeds' own numbered statements each have their row."""
    ids = {r["id"] for r in _rows()}
    expected = {
        "000.claim1", "000.claim2", "000.claim3", "000.claim4", "000.claim5", "000.claim6",
        "000.thm1.I", "000.thm1.II", "000.thm1.III", "000.thm2.I", "000.thm2.II",
        "000.cor2.1", "000.cor2.2", "000.obs1", "000.obs2", "000.obs3",
        "000.exp1", "000.exp2", "000.table",
        "004.lemma1", "004.alg1", "004.assumption1", "004.assumption2", "004.thm1", "004.thm2",
    }
    assert expected <= ids, sorted(expected - ids)


def test_checksum_verifies():
    digest = hashlib.sha256(REGISTRY.read_bytes()).hexdigest()
    assert digest == datasets._SHA256["claims_registry.csv"]
    listed = dict(line.split()[::-1] for line in
                  (DATA / "CHECKSUMS.sha256").read_text().splitlines() if line.strip())
    assert listed["claims_registry.csv"] == digest
    raw, _ = datasets._read_verified("claims_registry.csv")
    assert raw == REGISTRY.read_bytes()


def test_edited_registry_is_refused(tmp_path):
    (tmp_path / "claims_registry.csv").write_bytes(REGISTRY.read_bytes() + b"x\n")
    with pytest.raises(RuntimeError, match="checksum mismatch"):
        datasets._read_verified("claims_registry.csv", data_dir=tmp_path)
