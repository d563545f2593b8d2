"""The claims ledger: every checkable statement of the five sources, with its verdict.

A *claim* is one checkable statement of a source text (a theorem, claim, lemma, observation,
experiment, published table or rate). The registry of claims is data
(``kernelnet/data/claims_registry.csv``, checksummed like the data sets); a chapter's
``run(...)`` returns :class:`Finding` records that name registry ids; the book's page
``book/claims.md`` and the command ``kernelnet claims`` merge the two.

The verdict vocabulary (:data:`VERDICTS`) is fixed and explained in :data:`VERDICT_MEANING`.
A ``not reproduced`` verdict, or a ``finding of ours`` that contradicts the source, must list
the other settings that were tried (``Finding.tried``); in a quick build (sizes below the
sources') such a finding is *shown* as :data:`PROVISIONAL` (see :func:`shown_verdict`).

This module also holds the chapter contract's parameter declaration (:class:`Parameter`,
:func:`resolve_parameters`): every chapter's experiments module exposes ``PARAMETERS`` (name ->
:class:`Parameter`) and ``run(*, quick, seed, **params)``.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from ._validation import check_bool

__all__ = [
    "VERDICTS",
    "VERDICT_MEANING",
    "PROVISIONAL",
    "SOURCES",
    "Finding",
    "Parameter",
    "resolve_parameters",
    "shown_verdict",
    "glue_key",
    "publish",
    "registry",
    "findings_from_executed",
    "ledger",
    "write_claims_page",
    "section_labels",
    "write_record",
    "read_record",
    "verdict_from_counts",
    "held_for_referee",
]

#: The fixed verdict vocabulary, in the order the ledger page explains it.
VERDICTS = (
    "reproduced",
    "reproduced with a caveat",
    "not reproduced",
    "outside the source's regime",
    "not checkable here",
    "finding of ours",
    "not checked yet",
)

#: What each verdict means (shown at the top of the ledger page).
VERDICT_MEANING = {
    "reproduced": "the statement holds in the regime the source states, by our computation.",
    "reproduced with a caveat": "it holds, with a caveat that the row states "
                                "(a smaller size, a different reading, a looser number).",
    "not reproduced": "it fails in the source's own regime and with its parameters; the row "
                      "lists the other settings that were tried and could not rescue it.",
    "outside the source's regime": "we tested where the statement does not claim to hold, "
                                   "and say so; this is not evidence against the source.",
    "not checkable here": "the statement cannot be checked with what the book has; the row "
                          "says why.",
    "finding of ours": "a result the source does not state (if it contradicts the source, "
                       "the row lists what was tried, as for 'not reproduced').",
    "not checked yet": "the statement is in the registry but no chapter checks it yet.",
}

#: How a negative verdict is shown when the build ran below the sources' sizes.
PROVISIONAL = "provisional (quick build)"

#: The five source texts (``../shared/seeds``), by the three-digit number the ids start with.
SOURCES = {
    "000": "Poster: Layer-wise learning via kernel embedding (Masoomi, Wu, Gretton, Dy)",
    "001": "Lecture: Single-layer neural networks (Ruthotto & Haber)",
    "002": "Notes: Learning algorithms (Schaeffer)",
    "003": "Talk: Diverse neural network learns true target (Le Song)",
    "004": "Talk: Feature learning and limitations of kernels (Damian, Lee, Soltanolkotabi)",
}

_ID_RE = re.compile(r"^(000|001|002|003|004)\.[a-z0-9][a-zA-Z0-9.\-]*$")
_NEGATIVE = ("not reproduced",)


# --------------------------------------------------------------------------- findings
@dataclass(frozen=True)
class Finding:
    """One verdict on one registry claim, with the evidence behind it.

    Parameters
    ----------
    claim_id : str
        A registry id, ``<source>.<slug>`` (e.g. ``"000.thm1.III"``).
    verdict : str
        One of :data:`VERDICTS`.
    regime : str
        The regime we tested, in one line (data, sizes, parameters).
    values : mapping, optional
        The numbers behind the verdict, name -> number or short string (JSON-serialisable).
    figures : tuple of str, optional
        ``savefig`` stems of the figures that show it.
    note : str, optional
        The reason or caveat; required for every verdict except ``"reproduced"``.
    tried : tuple of str, optional
        Other settings tried to break the verdict; required for ``"not reproduced"`` and for a
        contradicting ``"finding of ours"``.
    contradicts : bool, optional
        A ``"finding of ours"`` that contradicts the source.
    section : str, optional
        The MyST label of the chapter section that discusses it.
    """

    claim_id: str
    verdict: str
    regime: str
    values: Mapping[str, Any] = field(default_factory=dict)
    figures: tuple = ()
    note: str = ""
    tried: tuple = ()
    contradicts: bool = False
    section: str = ""

    def __post_init__(self):
        if not isinstance(self.claim_id, str) or not _ID_RE.match(self.claim_id):
            raise ValueError(f"claim_id must look like '000.thm1.III' (source 000-004, then a "
                             f"slug), got {self.claim_id!r}")
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")
        if not isinstance(self.regime, str) or not self.regime.strip():
            raise ValueError(f"regime must be a non-empty string (claim {self.claim_id})")
        if self.verdict != "reproduced" and not (isinstance(self.note, str) and self.note.strip()):
            raise ValueError(f"note must state the reason for verdict {self.verdict!r} "
                             f"(claim {self.claim_id})")
        if not isinstance(self.contradicts, bool):
            raise ValueError(f"contradicts must be True or False, got {self.contradicts!r}")
        if self.contradicts and self.verdict != "finding of ours":
            raise ValueError(f"contradicts=True is only for verdict 'finding of ours' "
                             f"(claim {self.claim_id} has {self.verdict!r})")
        object.__setattr__(self, "figures", tuple(self.figures))
        object.__setattr__(self, "tried", tuple(self.tried))
        if (self.verdict == "not reproduced" or self.contradicts) and not self.tried:
            raise ValueError(f"tried must list the other settings tried before concluding "
                             f"{self.verdict!r} (claim {self.claim_id})")
        if not isinstance(self.values, Mapping):
            raise ValueError(f"values must be a mapping, got {type(self.values).__name__}")
        clean = {}
        for k, v in self.values.items():
            clean[str(k)] = _jsonable(v, self.claim_id, k)
        object.__setattr__(self, "values", clean)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["values"] = dict(self.values)
        d["figures"] = list(self.figures)
        d["tried"] = list(self.tried)
        return d

    @classmethod
    def from_dict(cls, d: Mapping) -> "Finding":
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


def _jsonable(v, claim_id, key):
    import numpy as np

    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        v = float(v)
        if not np.isfinite(v):
            return repr(v)
        return v
    if isinstance(v, str):
        return v
    raise ValueError(f"values[{key!r}] of claim {claim_id} must be a number or a string, "
                     f"got {type(v).__name__}")


def shown_verdict(finding: Finding, quick: bool) -> str:
    """The verdict as a reader sees it: negative verdicts read :data:`PROVISIONAL` in quick mode.

    A quick build runs below the sizes the sources' statements need, so it never concludes
    that a source fails: ``not reproduced`` and a contradicting ``finding of ours`` are shown as
    ``provisional (quick build)``. Every other verdict is shown as it is.
    """
    if check_bool(quick, "quick") and (finding.verdict in _NEGATIVE or finding.contradicts):
        return PROVISIONAL
    return finding.verdict


def held_for_referee(finding: Finding) -> Finding:
    """A finding that says the source fails, held back until a referee has tried to break it.

    ``not reproduced`` (and a contradicting ``finding of ours``) becomes ``not checked yet``,
    with the measured verdict and its note kept in the note and the numbers and ``tried`` kept
    as they are (the referee rule of ``CONTRIBUTING.md``: a chapter says a source fails only
    after a referee could not break the check). Any other finding is returned unchanged. Used
    for the statements of chapters 04, 05 and 07 checked last.

    Examples
    --------
    >>> f = Finding("004.thm1", "not reproduced", "n = 100", note="grows", tried=("a",))
    >>> held_for_referee(f).verdict
    'not checked yet'

    """
    if not (finding.verdict == "not reproduced" or finding.contradicts):
        return finding
    return Finding(finding.claim_id, "not checked yet", finding.regime, values=finding.values,
                   figures=finding.figures,
                   note=(f"held for a referee: this run's check reads '{finding.verdict}' "
                         f"({finding.note}); not published as such until a referee has tried "
                         "to break it"),
                   tried=finding.tried, section=finding.section)


def verdict_from_counts(n_hold: int, n_total: int, *, caveat_below: int | None = None) -> str:
    """A verdict for a statement checked on ``n_total`` cases, holding on ``n_hold``.

    ``reproduced`` when it holds on all; ``reproduced with a caveat`` when it holds on at least
    ``caveat_below`` cases (default: more than half); ``not reproduced`` otherwise. The caller
    must only use it in the source's regime and must record what was tried.
    """
    for name, v in (("n_hold", n_hold), ("n_total", n_total)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise ValueError(f"{name} must be a non-negative integer, got {v!r}")
    if n_total == 0:
        raise ValueError("n_total must be positive")
    if n_hold > n_total:
        raise ValueError(f"n_hold ({n_hold}) must not exceed n_total ({n_total})")
    threshold = n_total // 2 + 1 if caveat_below is None else caveat_below
    if n_hold == n_total:
        return "reproduced"
    if n_hold >= threshold:
        return "reproduced with a caveat"
    return "not reproduced"


def glue_key(claim_id: str, field_name: str = "") -> str:
    """The ``myst_nb.glue`` name of a claim's verdict (``000.thm1.III`` -> ``claim-000-thm1-III``)."""
    if not isinstance(claim_id, str) or not _ID_RE.match(claim_id):
        raise ValueError(f"claim_id must look like '000.thm1.III', got {claim_id!r}")
    key = "claim-" + claim_id.replace(".", "-")
    return f"{key}-{field_name}" if field_name else key


def _findings_key(chapter: str) -> str:
    return f"claims-findings-{chapter}"


def publish(findings: Iterable[Finding], *, quick: bool, chapter: str | None = None) -> None:
    """Glue a chapter's findings: the verdict words for its prose and the record for the ledger.

    For each finding this glues ``claim-<key>`` (the verdict as shown, see
    :func:`shown_verdict`) and ``claim-<key>-note`` (its note), and once per chapter
    ``claims-findings-<chapter>``: the JSON list the ledger page is built from.

    Parameters
    ----------
    findings : iterable of Finding
    quick : bool
        Whether this build runs in quick mode.
    chapter : str, optional
        The notebook stem; by default the one given to :func:`kernelnet.figures.setup_notebook`.
    """
    from myst_nb import glue

    findings = tuple(findings)
    for f in findings:
        if not isinstance(f, Finding):
            raise ValueError(f"findings must be Finding records, got {type(f).__name__}")
    ids = [f.claim_id for f in findings]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ValueError(f"findings name the same claim twice: {dup}")
    if chapter is None:
        from .figures import _CURRENT

        chapter = _CURRENT.get("notebook")
    if not isinstance(chapter, str) or not chapter:
        raise ValueError("chapter must be given (or setup_notebook called first)")
    for f in findings:
        glue(glue_key(f.claim_id), shown_verdict(f, quick), display=False)
        glue(glue_key(f.claim_id, "note"), f.note or "none", display=False)
    record = {"chapter": chapter, "quick": quick, "findings": [f.to_dict() for f in findings]}
    glue(_findings_key(chapter), json.dumps(record, sort_keys=True), display=False)


# --------------------------------------------------------------------------- parameters
@dataclass(frozen=True)
class Parameter:
    """One declared chapter parameter: its type, its quick and full values, and a check.

    Parameters
    ----------
    type : type or tuple of types
        Accepted Python type(s) (``bool`` is never accepted for ``int``).
    quick, full :
        The value in quick mode and in the full (paper-sized) build.
    check : callable, optional
        ``check(value) -> bool``; a false result is a ``ValueError`` naming the parameter.
    doc : str, optional
        What the parameter sets (shown by ``kernelnet list``).
    """

    type: Any
    quick: Any
    full: Any
    check: Callable[[Any], bool] | None = None
    doc: str = ""

    def validate(self, name: str, value):
        types = self.type if isinstance(self.type, tuple) else (self.type,)
        if isinstance(value, bool) and bool not in types:
            raise ValueError(f"parameter {name} must be {_type_names(types)}, got {value!r}")
        if float in types and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, types):
            raise ValueError(f"parameter {name} must be {_type_names(types)}, got {value!r}")
        if self.check is not None and not self.check(value):
            doc = f" ({self.doc})" if self.doc else ""
            raise ValueError(f"parameter {name} has a bad value {value!r}{doc}")
        return value


def _type_names(types) -> str:
    return " or ".join(t.__name__ for t in types)


def resolve_parameters(declared: Mapping[str, Parameter], *, quick: bool, seed: int,
                       **given) -> dict:
    """The chapter's parameter values: given ones checked, the rest from quick/full defaults.

    Raises
    ------
    ValueError
        For an unknown name, a bad ``quick``/``seed``, or a value that fails its declaration.
    """
    quick = check_bool(quick, "quick")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise ValueError(f"unknown parameter(s) {unknown}; this chapter declares "
                         f"{sorted(declared)}")
    out = {}
    for name, p in declared.items():
        if name in given and given[name] is not None:
            out[name] = p.validate(name, given[name])
        else:
            out[name] = p.quick if quick else p.full
    return out


# --------------------------------------------------------------------------- registry
_REGISTRY_FILE = "claims_registry.csv"
_REGISTRY_COLUMNS = ["id", "source", "location", "statement", "source_regime", "chapter"]


def registry():
    """The registry of claims as a DataFrame (columns ``id, source, location, statement,
    source_regime, chapter``), read from the checksummed ``kernelnet/data/claims_registry.csv``.
    """
    import io

    import pandas as pd

    from .datasets import _read_verified

    raw, _ = _read_verified(_REGISTRY_FILE)
    df = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False)
    missing = [c for c in _REGISTRY_COLUMNS if c not in df.columns]
    if missing:  # pragma: no cover - guarded by the registry tests
        raise RuntimeError(f"claims registry lacks columns {missing}")
    return df[_REGISTRY_COLUMNS].copy()


def findings_from_executed(executed_dir) -> list[dict]:
    """The chapter records glued by :func:`publish` in executed notebooks (one per chapter)."""
    from .bookpages import glued_values

    out = []
    for nb in sorted(Path(executed_dir).glob("[0-9][0-9]_*.ipynb")):
        for name, text in glued_values(nb).items():
            if name.startswith("claims-findings-"):
                out.append(_unquote(text))
    return out


def _unquote(text: str) -> dict:
    """A glued JSON string comes back as its Python repr (``'...'``); undo that."""
    import ast

    text = text.strip()
    if text[:1] in ("'", '"'):
        text = ast.literal_eval(text)
    return json.loads(text)


def ledger(records: Iterable[Mapping], reg=None):
    """Merge the registry with chapter records into one row per registry claim.

    Parameters
    ----------
    records : iterable of dict
        As returned by :func:`findings_from_executed` or :func:`read_record`.
    reg : DataFrame, optional
        The registry (default :func:`registry`).

    Returns
    -------
    DataFrame
        The registry's columns plus ``verdict`` (as shown), ``verdict_raw``, ``regime``,
        ``values``, ``figures``, ``note``, ``tried``, ``section``, ``quick``.

    Raises
    ------
    ValueError
        If a finding names a claim id the registry does not have, or two chapters give a
        verdict on the same claim.
    """
    import pandas as pd

    reg = registry() if reg is None else reg
    known = set(reg["id"])
    by_id: dict[str, tuple[Finding, bool]] = {}
    for rec in records:
        quick = bool(rec.get("quick", False))
        for d in rec.get("findings", []):
            f = Finding.from_dict(d)
            if f.claim_id not in known:
                raise ValueError(f"chapter {rec.get('chapter')} reports claim {f.claim_id!r}, "
                                 "which is not in the registry")
            if f.claim_id in by_id:
                raise ValueError(f"claim {f.claim_id!r} is reported by more than one chapter")
            by_id[f.claim_id] = (f, quick)
    rows = []
    for _, r in reg.iterrows():
        row = dict(r)
        if r["id"] in by_id:
            f, quick = by_id[r["id"]]
            row.update(verdict=shown_verdict(f, quick), verdict_raw=f.verdict, regime=f.regime,
                       values=dict(f.values), figures=list(f.figures), note=f.note,
                       tried=list(f.tried), section=f.section, quick=quick)
        else:
            row.update(verdict="not checked yet", verdict_raw="not checked yet", regime="",
                       values={}, figures=[], note="", tried=[], section="", quick=False)
        rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- record + page
def write_record(records: Iterable[Mapping], path) -> Path:
    """Write chapter records (sorted, stable JSON) to ``path``; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    records = sorted((dict(r) for r in records), key=lambda r: r.get("chapter", ""))
    path.write_text(json.dumps(records, indent=1, sort_keys=True) + "\n")
    return path


def read_record(path) -> list[dict]:
    """Read chapter records written by :func:`write_record`."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"no claims record at {path}: build the book first")
    return json.loads(path.read_text())


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


def _values_text(values: Mapping) -> str:
    def fmt(v):
        if isinstance(v, float):
            return f"{v:.4g}"
        return str(v)

    return "; ".join(f"{k} = {fmt(v)}" for k, v in values.items())


def section_labels(notebooks_dir) -> dict:
    """MyST target labels ``(label)=`` defined in the markdown of executed notebooks -> stem."""
    out = {}
    for nb in sorted(Path(notebooks_dir).glob("[0-9][0-9]_*.ipynb")):
        for cell in json.loads(nb.read_text())["cells"]:
            if cell["cell_type"] != "markdown":
                continue
            src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            for label in re.findall(r"^\(([A-Za-z0-9_\-:.]+)\)=\s*$", src, re.M):
                out[label] = nb.stem
    return out


def write_claims_page(records: Iterable[Mapping], page, *, figures: Iterable[str] = (),
                      sections: Mapping[str, str] | None = None,
                      quick: bool = False, reg=None) -> dict:
    """Write ``book/claims.md`` from chapter records; returns the count per verdict.

    ``figures`` are the ``savefig`` stems this build saved; a finding's figure links to
    :func:`kernelnet.bookpages.figure_label` of its stem (``{numref}``). ``sections`` maps the chapters' section
    labels to their notebook (see :func:`section_labels`; ``None`` skips the check). A
    finding's figure or section that is not there is an error: the link would not resolve.
    """
    from .bookpages import figure_label

    figures = set(figures)
    table = ledger(records, reg)
    counts = {v: 0 for v in (*VERDICTS, PROVISIONAL)}
    for v in table["verdict"]:
        counts[v] = counts.get(v, 0) + 1
    lines = [
        "(claims-ledger)=",
        "# Claims ledger",
        "",
        "Every checkable statement of the five source texts, with the verdict this build "
        "reached, the regime it tested and the numbers behind it. Generated when the book was "
        "built from the registry (`kernelnet/data/claims_registry.csv`) and the findings each "
        "chapter returns; the chapters glue their verdict words from the same findings, so the "
        "two cannot disagree. In a terminal: `kernelnet claims [--source 000] "
        "[--verdict \"not reproduced\"]`.",
        "",
    ]
    if quick:
        lines += [
            "```{warning}",
            "This is a **quick build**: sizes are below the sources'. Negative verdicts read "
            f"*{PROVISIONAL}*; the full build's verdicts are in `results/claims/`.",
            "```",
            "",
        ]
    lines += ["## The verdicts", ""]
    for v in VERDICTS:
        lines.append(f"- **{v}** ({counts.get(v, 0)}): {VERDICT_MEANING[v]}")
    if counts.get(PROVISIONAL):
        lines.append(f"- **{PROVISIONAL}** ({counts[PROVISIONAL]}): a negative verdict reached "
                     "in a quick build, at sizes below the source's; not a conclusion.")
    lines += [
        "",
        f"{len(table)} statements in all; **{counts['not checked yet']} not checked yet**. "
        "A `not reproduced` verdict is accepted only when the source's own regime and "
        "parameters were run and others tried to break it could not (the column *other "
        "settings tried*; `CONTRIBUTING.md`, the referee rule).",
        "",
        "## The ledger",
        "",
        '<div class="claims-filter">Source: <select id="claims-source"><option value="">all'
        "</option>"
        + "".join(f'<option value="{s}">{s}</option>' for s in SOURCES)
        + '</select> Verdict: <select id="claims-verdict"><option value="">all</option>'
        + "".join(f'<option value="{v}">{v}</option>'
                  for v in (*VERDICTS, PROVISIONAL))
        + '</select> <span id="claims-count"></span></div>',
        "",
        "| id | source | where | statement | source's regime | regime tested | verdict | "
        "numbers | figures | chapter | reason | other settings tried |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for _, r in table.iterrows():
        figs = []
        for stem in r["figures"]:
            if stem not in figures:
                raise ValueError(f"claim {r['id']} names figure {stem!r}, which no chapter "
                                 "of this build saved")
            figs.append(f"{{numref}}`{figure_label(stem)}`")
        if r["section"] and sections is not None and r["section"] not in sections:
            raise ValueError(f"claim {r['id']} names section {r['section']!r}, which no chapter "
                             "defines (a MyST target '(label)=')")
        # explicit link text: a chapter's label may sit before a paragraph, not a heading
        chapter = (f"{{ref}}`{r['chapter'][:2]}: {r['section']} <{r['section']}>`"
                   if r["section"] else f"{{doc}}`../notebooks/{r['chapter']}`")
        lines.append("| " + " | ".join([
            f"`{r['id']}`", r["source"], _cell(r["location"]), _cell(r["statement"]),
            _cell(r["source_regime"]), _cell(r["regime"]), f"**{r['verdict']}**",
            _cell(_values_text(r["values"])), ", ".join(figs), chapter, _cell(r["note"]),
            _cell("; ".join(r["tried"])),
        ]) + " |")
    lines += ["", _FILTER_SCRIPT, ""]
    Path(page).write_text("\n".join(lines) + "\n")
    return counts


_FILTER_SCRIPT = """<script>
(function () {
  function rows() {
    var t = document.querySelector("#claims-ledger table, section#claims-ledger table, table");
    var all = document.querySelectorAll("table");
    for (var i = 0; i < all.length; i++) {
      var h = all[i].querySelector("thead");
      if (h && h.textContent.indexOf("other settings tried") >= 0) { t = all[i]; break; }
    }
    return t ? t.querySelectorAll("tbody tr") : [];
  }
  function apply() {
    var s = document.getElementById("claims-source").value;
    var v = document.getElementById("claims-verdict").value;
    var shown = 0, rs = rows();
    for (var i = 0; i < rs.length; i++) {
      var c = rs[i].children;
      var ok = (!s || c[1].textContent.trim() === s) && (!v || c[6].textContent.trim() === v);
      rs[i].style.display = ok ? "" : "none";
      if (ok) shown++;
    }
    document.getElementById("claims-count").textContent = shown + " of " + rs.length + " shown";
  }
  function init() {
    document.getElementById("claims-source").addEventListener("change", apply);
    document.getElementById("claims-verdict").addEventListener("change", apply);
    apply();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
</script>"""
