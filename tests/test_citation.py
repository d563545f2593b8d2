"""CITATION.cff is valid Citation File Format 1.2.0, and the "How to cite" page agrees with it
and with book/references.bib.

The schema is the official CFF 1.2.0 JSON schema (``$id``
https://citation-file-format.github.io/1.2.0/schema.json), vendored in ``tests/data`` from the
``cffconvert`` 2.0.0 wheel so the check runs offline; it is applied with ``jsonschema``
(Draft 7, with format checks).
"""

from __future__ import annotations

import copy
import datetime
import json
import re
import tomllib
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = Path(__file__).resolve().parent / "data" / "cff-schema-1.2.0.json"
CITE = ROOT / "book" / "cite.md"
BIB = ROOT / "book" / "references.bib"

#: The five source texts (seeds/README.md) and the key each is cited by.
SOURCE_KEYS = {
    "000 layer-wise kernel networks (poster; AISTATS 2022 paper)": "wu2022deep",
    "001 single-layer neural networks (lecture)": "ruthotto2021lecture",
    "002 learning algorithms (notes)": "schaeffer_learning_algorithms",
    "003 diverse neural network (talk; AISTATS 2017 paper)": "xie2017diverse",
    "004 feature learning and limitations of kernels (talk; COLT 2022 paper)": "damian2022neural",
}


def _dates_to_str(obj):
    """YAML reads ``2026-01-01`` as a date; CFF's JSON schema wants the string."""
    if isinstance(obj, dict):
        return {k: _dates_to_str(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_dates_to_str(v) for v in obj]
    if isinstance(obj, (datetime.date, datetime.datetime)):
        return obj.isoformat()
    return obj


def load_cff(path: Path = ROOT / "CITATION.cff") -> dict:
    return _dates_to_str(yaml.safe_load(path.read_text(encoding="utf-8")))


def cff_errors(data: dict) -> list[str]:
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in validator.iter_errors(data)]


def test_schema_is_the_official_cff_1_2_0():
    schema = json.loads(SCHEMA.read_text())
    assert schema["$id"] == "https://citation-file-format.github.io/1.2.0/schema.json"
    assert schema["$schema"].startswith("http://json-schema.org/draft-07/schema")
    assert set(schema["required"]) == {"authors", "cff-version", "message", "title"}


def test_citation_cff_is_valid():
    data = load_cff()
    errors = cff_errors(data)
    assert not errors, "CITATION.cff does not validate against CFF 1.2.0:\n" + "\n".join(errors)
    assert data["cff-version"] == "1.2.0"


@pytest.mark.parametrize(
    "breakage",
    [
        lambda d: d.pop("authors"),
        lambda d: d.pop("title"),
        lambda d: d.__setitem__("cff-version", 1.2),
        lambda d: d.__setitem__("license", "BSD 3 clause"),
        lambda d: d.__setitem__("type", "book"),
        lambda d: d["references"][0].pop("type"),
        lambda d: d.__setitem__("date-released", "24 November 2026"),
        lambda d: d.__setitem__("repository-code", "not a url"),
    ],
    ids=["no-authors", "no-title", "version-as-number", "bad-licence-id", "bad-type",
         "reference-without-type", "bad-date", "bad-url"],
)
def test_the_schema_check_can_fail(breakage):
    data = copy.deepcopy(load_cff())
    breakage(data)
    assert cff_errors(data), "a broken CITATION.cff passed the schema check"


def test_citation_cff_agrees_with_the_project():
    data = load_cff()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert str(data["version"]) == project["version"]
    assert data["title"] == config["title"]
    licences = data["license"] if isinstance(data["license"], list) else [data["license"]]
    assert "BSD-3-Clause" in licences and "CC-BY-4.0" in licences
    assert "BSD-3-Clause" in (ROOT / "LICENSE").read_text() or \
        "Redistribution and use in source and binary forms" in (ROOT / "LICENSE").read_text()
    repo_url = (config.get("repository") or {}).get("url")
    if repo_url:  # once there is a repository, both files name the same one
        assert data.get("repository-code") == repo_url
    else:
        assert "repository-code" not in data, "repository-code set but _config.yml has no URL"
    titles = [r["title"] for r in data["references"]]
    assert len(titles) == len(SOURCE_KEYS), "CITATION.cff should reference the five sources"


# --------------------------------------------------------------------------------------------
# the "How to cite" page


def _bib_entries(text: str) -> dict[str, dict]:
    from pybtex.database import parse_string

    db = parse_string(text, "bibtex")
    out = {}
    for key, entry in db.entries.items():
        fields = {k.lower(): str(v) for k, v in entry.fields.items()}
        for role, people in entry.persons.items():
            fields[role.lower()] = " and ".join(str(p) for p in people)
        out[key] = {"type": entry.type.lower(), **fields}
    return out


def _cite_page_blocks() -> list[str]:
    return re.findall(r"```bibtex\n(.*?)```", CITE.read_text(encoding="utf-8"), re.S)


def test_cite_page_bibtex_parses_and_matches_references_bib():
    blocks = _cite_page_blocks()
    assert blocks, "book/cite.md has no BibTeX block"
    bib = _bib_entries(BIB.read_text(encoding="utf-8"))
    seen = {}
    for block in blocks:
        entries = _bib_entries(block)
        assert len(entries) == 1, f"one entry per block, got {list(entries)}"
        seen.update(entries)
    book_key = [k for k in seen if k not in bib]
    assert book_key == ["kernelnet2026"], f"entries not in references.bib: {book_key}"
    for key, entry in seen.items():
        if key in bib:
            assert entry == bib[key], f"{key}: cite.md and references.bib differ"


def test_cite_page_cites_every_source():
    text = CITE.read_text(encoding="utf-8")
    bib = _bib_entries(BIB.read_text(encoding="utf-8"))
    for source, key in SOURCE_KEYS.items():
        assert key in bib, f"{source}: key {key} missing from references.bib"
        assert f"{{cite:t}}`{key}`" in text, f"{source}: {key} not cited on book/cite.md"
        assert f"{{{key}," in text, f"{source}: no BibTeX block for {key} on book/cite.md"


def test_book_entry_agrees_with_citation_cff():
    data = load_cff()
    (book,) = [e for b in _cite_page_blocks() for k, e in _bib_entries(b).items()
               if k == "kernelnet2026"]
    assert book["title"] == data["title"]
    assert data["version"] in book["howpublished"]
    assert data["authors"][0]["name"] in book["author"]


def test_figure_citation_key_matches_the_figure_index_generator():
    """cite.md promises ``kernelnet_<name>`` keys; bookpages must produce them."""
    from kernelnet import bookpages

    entry = bookpages._bibtex({"name": "some_figure", "chapter": "00_hsic",
                               "caption": "A caption.", "provenance": {}}, "0123456789ab")
    assert "@misc{kernelnet_some_figure," in entry
    assert "`kernelnet_<name>`" in CITE.read_text(encoding="utf-8")
