"""The pages every reader needs (notation, differences, rerun, cite, API), the licences and the
offline MathJax set-up, checked without building the book.

The build (``tests/test_book.py``, ``-W -n``) already fails on a broken reference; these tests
say *which* promise a page broke, in a second, and check content a build cannot: that every
erratum is on the differences page, that the rerun page's commands match the CLI and the README.
"""

from __future__ import annotations

import importlib
import posixpath
import re
import warnings
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
PAGES = ["notation", "differences", "rerun", "cite", "api"]

#: The chapters planned in issue 10, by file stem; differences.md names them.
CHAPTERS = [
    "00_hsic", "01_layerwise_kernel_networks", "02_optimality_and_implicit_regularisation",
    "03_the_paper_table", "04_single_layer_networks", "05_learning_without_backprop",
    "06_diverse_weights", "07_feature_learning_vs_ntk",
]


def _text(name: str) -> str:
    return (BOOK / f"{name}.md").read_text(encoding="utf-8")


def _toc_files() -> set[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    out = {toc["root"]}

    def walk(entries):
        for e in entries or []:
            if "file" in e:
                out.add(e["file"])
            walk(e.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return out


def _labels() -> set[str]:
    """Every MyST target ``(label)=`` in the book's Markdown and the notebooks' Markdown cells."""
    import nbformat

    texts = [p.read_text(encoding="utf-8") for p in BOOK.glob("*.md")]
    for nb in (ROOT / "notebooks").glob("*.ipynb"):
        texts += [c.source for c in nbformat.read(nb, as_version=4).cells
                  if c.cell_type == "markdown"]
    return {m for t in texts for m in re.findall(r"^\(([\w\-:.]+)\)=\s*$", t, re.M)}


@pytest.mark.parametrize("name", PAGES)
def test_page_is_written_and_in_the_toc(name):
    text = _text(name)
    assert "This page is being written" not in text
    assert re.search(rf"^\({name}\)=$", text, re.M), f"book/{name}.md has no ({name})= label"
    assert f"book/{name}" in _toc_files()
    assert "??" not in text, "a literal '??' reads as an unresolved reference in the browser test"


@pytest.mark.parametrize("name", PAGES)
def test_cross_references_point_to_built_pages(name):
    text = _text(name)
    toc = _toc_files()
    for target in re.findall(r"\{doc\}`(?:[^`<]*<)?([^`>]+)>?`", text):
        norm = posixpath.normpath(posixpath.join("book", target))
        assert norm in toc, f"book/{name}.md links {{doc}}`{target}`, which is not in _toc.yml"
    labels = _labels()
    for target in re.findall(r"\{ref\}`(?:[^`<]*<)?([^`>]+)>?`", text):
        assert target in labels, f"book/{name}.md: {{ref}}`{target}` has no (label)= target"


def test_chapters_named_in_plain_text_are_linked_once_they_exist():
    """Chapters not yet in the book are named as ``(`NN_slug`)``; once a chapter is in the toc,
    the page should link it. This only warns (the link is the lead's to turn on)."""
    text = _text("differences")
    toc = _toc_files()
    named = set(re.findall(r"\(`(\d\d_[a-z_]+)`\)", text))
    assert named <= set(CHAPTERS), f"unknown chapter names: {named - set(CHAPTERS)}"
    for stem in sorted(named):
        if f"notebooks/{stem}" in toc:
            warnings.warn(
                f"book/differences.md names {stem} in plain text but it is in the book now; "
                f"link it: sed -i -E 's/\\*[^*]+\\* \\(`({stem})`\\)/{{doc}}`..\\/notebooks\\/\\1`/g' "
                "book/differences.md", UserWarning)


#: One phrase per line of seeds/ERRATA.md (and per finding the issue lists) that the differences
#: page must contain. The seeds live outside the repository, so the list is kept here.
DIFFERENCES_MUST_COVER = {
    "001 grad_W E uses Z^T": r"\\nabla_\{\\mathbf S\} E\\, \\mathbf Z\^\\top",
    "001 elementwise product first": r"elementwise product first",
    "001 scalar bias in the inverse crime": r"btrue = \.1",
    "002 node perturbation input x^{l-1}": r"x\^\{l-1\}_j",
    "002 baseline-subtracted perturbation": r"baseline-subtracted",
    "002 Werfel factors": r"factor \$c\$",
    "002 deep linear W_32^T": r"2 W_\{32\}\^\\top",
    "002 Hebbian factor 2": r"2 \(w\^\\top x\)\^2",
    "002 Oja, Sanger, Saxe, Novikoff": r"Oja.*Sanger.*Saxe.*Novikoff",
    "003 D r not D^T r": r"not \$D\^\\top r\$",
    "003 unspecified c and rho": r"does not\s+give \$c\$ or \$\\rho\$",
    "003 Du et al. normalisation": r"Du et al\.",
    "004 symmetric init j + m/2": r"\$j \+ m/2\$",
    "004 Assumption 2 degree-2 terms": r"degree-2 terms",
    "normalised HSIC variants": r"CKA",
    "W_s row vs the later run": r"W_s\$ row does not match",
    "car label leak": r"`car` label is one of the inputs",
    "cancer subset": r"615-row subset",
    "face reconstructed": r"reconstructed from the folds",
    "capped baselines": r"baselines are capped",
    "eq. 10-11 reading": r"Eqs\. 10-11",
    "ISM eigenvectors": r"\$q\$ largest eigenvalues",
}


@pytest.mark.parametrize("what", sorted(DIFFERENCES_MUST_COVER))
def test_differences_page_covers(what):
    text = re.sub(r"\s+", " ", _text("differences"))
    assert re.search(DIFFERENCES_MUST_COVER[what], text, re.S), f"differences.md misses: {what}"


def test_every_difference_says_where_it_is_shown():
    """Every subsection of the four numbered sections ends its entries with a chapter."""
    text = _text("differences")
    body = text.split("(differences-errata)=", 1)[1]
    sections = re.split(r"^#{2,3} ", body, flags=re.M)[1:]
    for sec in sections:
        title = sec.splitlines()[0]
        if title.startswith(("1.", "2.", "3.", "4.")) and "\n- **" not in sec:
            continue  # a section heading followed by subsections
        entries = re.split(r"^- \*\*", sec, flags=re.M)[1:]
        assert entries, f"no entries under {title!r}"
        shown = sec.count("*Shown in:*")
        assert shown >= 1, f"{title!r} never says where it is shown"
        if title.startswith(("2.", "3.", "4.")):
            assert shown == len(entries), f"{title!r}: {len(entries)} entries, {shown} chapters"


def test_notation_page_maps_every_seed_and_the_clashes():
    text = _text("notation")
    for heading in ["(000)", "(001)", "(002)", "(003)", "(004)"]:
        assert heading in text, f"notation.md has no table for seed {heading}"
    rows = {tuple(c.strip() for c in line.strip("|").split("|")[:3])
            for line in text.splitlines() if line.startswith("|")}
    flat = "\n".join(" | ".join(r) for r in rows)
    # the clashes named in issue 10
    assert re.search(r"\\mathbf K \\in \\R\^\{m \\times n_f\}\$ \| \*\*first-layer weights\*\* \| \$W\$", flat)
    assert re.search(r"\\mathbf Y \\in \\R\^\{n_f \\times n\}\$ \| \*\*data\*\* \| \$X\^\\top\$", flat)
    assert re.search(r"^\$n\$ \| \*\*hidden units\*\* \| \$m\$", flat, re.M)
    assert re.search(r"^\$m\$ \| \*\*samples\*\* \| \$n\$", flat, re.M)
    assert "$K$ is always a Gram matrix" in text and "$Y$ always holds labels" in text
    assert re.search(r"\$\\sigma\$ \| a \*\*standard deviation\*\*", flat)


def test_rerun_page_matches_readme_cli_and_config(capsys):
    text = _text("rerun")
    readme = (ROOT / "README.md").read_text()
    for cmd in ("bash scripts/book", "bash scripts/test"):
        assert cmd in text and cmd in readme
    for word in ("environment.yml", "conda env create", "papermill", "binderhub_url",
                 "colab_url", "launch_buttons", "kernelnet run", "kernelnet list"):
        assert word in text, word
    from kernelnet import cli

    with pytest.raises(SystemExit):
        cli.main(["run", "--help"])
    usage = capsys.readouterr().out
    assert "-p NAME VALUE" in usage and "--quick" in usage and "--output" in usage
    for chapter in set(re.findall(r"kernelnet run (\w+)", text)):
        cli.resolve_chapter(chapter, ROOT)  # raises for an unknown chapter
    config = (ROOT / "_config.yml").read_text()
    cfg = yaml.safe_load(config)
    if (cfg.get("repository") or {}).get("url"):
        assert cfg.get("launch_buttons"), "repository URL set: turn the launch buttons on"
    else:
        assert re.search(r"^# launch_buttons:\n#\s+notebook_interface", config, re.M), \
            "_config.yml should keep the launch-button settings, commented, until a URL exists"


def test_api_page_documents_importable_modules(tmp_path):
    """The API page as staged (book/api.md + DESIGN.md's floors + generated sections)."""
    from kernelnet.bookpages import write_api_page

    page = tmp_path / "api.md"
    write_api_page(BOOK / "api.md", page, package_dir=ROOT / "kernelnet", design=ROOT / "DESIGN.md")
    text = page.read_text(encoding="utf-8")
    mods = re.findall(r"^\.\. automodule:: ([\w.]+)", text, re.M)
    assert mods
    for mod in mods:
        importlib.import_module(mod)
    public = {f"kernelnet.{p.stem}" for p in (ROOT / "kernelnet").glob("*.py")
              if not p.stem.startswith("_")}
    public |= {f"kernelnet.{p.parent.name}" for p in (ROOT / "kernelnet").glob("*/__init__.py")
               if not p.parent.name.startswith("_")}
    public |= {f"kernelnet.experiments.{p.stem}" for p in (ROOT / "kernelnet" / "experiments")
               .glob("*.py") if not p.stem.startswith("_")}
    public |= {f"kernelnet.experiments.{p.parent.name}" for p in (ROOT / "kernelnet" / "experiments")
               .glob("*/__init__.py") if not p.parent.name.startswith("_")}
    assert public <= set(mods), sorted(public - set(mods))


def test_licences():
    lic = (ROOT / "LICENSE").read_text()
    assert lic.startswith("BSD 3-Clause License") and "The kernelnet developers" in lic
    assert "Neither the name of the copyright holder" in lic
    text_lic = (ROOT / "LICENSE-text.md").read_text()
    assert "CC BY 4.0" in text_lic and "creativecommons.org/licenses/by/4.0" in text_lic
    import tomllib

    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"] == \
        {"text": "BSD-3-Clause"}
    readme = (ROOT / "README.md").read_text()
    assert "BSD-3-Clause" in readme and "CC BY 4.0" in readme
    assert "data" in _text("data").lower() and "licen" in _text("data").lower()


def test_mathjax_is_served_from_the_book():
    """ANCHORS.md trap 11: a local MathJax 3, the macros kept, no CDN."""
    cfg = yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]["config"]
    path = cfg["mathjax_path"]
    assert not re.match(r"^(https?:)?//", path), f"mathjax_path is a URL: {path}"
    static = [ROOT / p for p in cfg["html_static_path"]]
    found = [s / path for s in static if (s / path).is_file()]
    assert found, f"{path} not found in html_static_path {cfg['html_static_path']}"
    js = found[0].read_text(encoding="utf-8", errors="replace")
    assert re.search(r'VERSION\s*=\s*"3\.\d+\.\d+"', js) or "3.2.2" in js, "not MathJax 3"
    fonts = found[0].parent / "output" / "chtml" / "fonts" / "woff-v2"
    assert len(list(fonts.glob("*.woff"))) > 10, "MathJax CHTML fonts missing"
    assert {"Tr", "HSIC", "R", "E"} <= set(cfg["mathjax3_config"]["tex"]["macros"])
    # Jupyter Book adds every .js under a root-level _static to every page: keep it out
    assert not (ROOT / "_static").exists(), "a root _static/ would load all of MathJax's files"
