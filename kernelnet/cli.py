"""The ``kernelnet`` command: list, run and reproduce chapters; say where a figure came from.

::

    kernelnet list                                  chapters and their parameters
    kernelnet run CHAPTER [-p NAME VALUE ...] [--quick] [--output DIR]
    kernelnet reproduce [CHAPTER|all] [--quick] [--jobs N] [--scheduler ADDRESS] [--strict]
    kernelnet figure NAME                           provenance of one figure
    kernelnet claims [--source 000] [--verdict V]   the claims ledger of the last build

A chapter is named by its file stem (``00_hsic``), its number (``00`` or ``0``) or its slug
(``hsic``). Exit codes: 0 success, 1 a notebook failed (or, with ``--strict``, a reproduced
number or figure differs), 2 bad usage (unknown chapter, parameter or figure).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

from . import build
from .bookpages import glued_values

__all__ = ["main", "resolve_chapter", "compare_runs"]


class UsageError(Exception):
    """Bad user input: reported in one line, exit code 2."""


def _root() -> Path:
    try:
        return build.repo_root()
    except FileNotFoundError as exc:
        raise UsageError(f"{exc}; run kernelnet from inside the repository") from None


def resolve_chapter(name: str, root: Path) -> Path:
    """Find a chapter notebook by stem, number or slug."""
    chapters = build.discover_notebooks(root)
    for nb in chapters:
        stem = nb.stem
        number, _, slug = stem.partition("_")
        if name in (stem, slug, number) or (name.isdigit() and int(name) == int(number)):
            return nb
    valid = ", ".join(nb.stem for nb in chapters)
    raise UsageError(f"unknown chapter {name!r}; chapters are: {valid}")


def _cmd_list(args) -> int:
    root = _root()
    for nb in build.discover_notebooks(root):
        print(nb.stem)
        for name, info in build.notebook_parameters(nb).items():
            default = info.get("default", "")
            hint = f"  # {info['help']}" if info.get("help") else ""
            print(f"    {name} = {default}{hint}")
    return 0


def _run_params(nb: Path, pairs, quick_flag: bool) -> tuple[bool, dict]:
    """``-p NAME VALUE`` pairs parsed by the chapter's declared types, and QUICK.

    ``--quick`` and ``-p QUICK false`` contradict each other: a usage error, as is the same
    name given twice with different values.
    """
    raw = {}
    for name, value in pairs or []:
        if name in raw and raw[name] != value:
            raise UsageError(f"parameter {name} is given twice ({raw[name]!r} and {value!r}); "
                             "give it once")
        raw[name] = value
    try:
        params = build.parse_parameters(nb, raw)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    quick = quick_flag
    if "QUICK" in params:
        quick = params.pop("QUICK")
        if quick_flag and not quick:
            raise UsageError(f"--quick and -p QUICK {raw['QUICK']} contradict each other "
                             "(quick and full size); give one of them")
    return quick, params


def _output_dir(path: Path) -> Path:
    """Create ``--output`` (or the default run folder) or say in one line why it cannot be."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot use output folder {path}: {exc.strerror or exc}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(f"cannot use output folder {path}: not writable")
    return path


def _cmd_run(args) -> int:
    root = _root()
    nb = resolve_chapter(args.chapter, root)
    quick, params = _run_params(nb, args.p, args.quick)
    tag = "_".join(f"{k}-{v}" for k, v in sorted(params.items()))
    out = Path(args.output) if args.output else (
        root / "_build" / "runs" / (nb.stem + ("_quick" if quick else "") + (f"_{tag}" if tag else ""))
    )
    out = _output_dir(out)
    print(f"running {nb.stem} (QUICK={quick}{', ' if params else ''}"
          f"{', '.join(f'{k}={v!r}' for k, v in params.items())}) -> {out}")
    with build.sweep_workers(quick):  # at full size the chapter's sweeps use every core
        rec = build.execute_notebook(nb, out, quick=quick, parameters=params)
    if not rec.ok:
        print(f"FAILED after {rec.seconds:.1f} s: {rec.error}", file=sys.stderr)
        print(f"executed notebook (with the traceback): {rec.output}", file=sys.stderr)
        return 1
    print(f"ok in {rec.seconds:.1f} s: {rec.output}")
    for fig in rec.figures:
        print(f"  figure {fig}: {out / 'figures' / fig}.{{png,pdf,svg,json}}")
    return 0


def _digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def compare_runs(reference: Path, fresh: Path, chapter: str) -> list[str]:
    """Differences between two executed copies of a chapter: glued numbers and figures."""
    changes = []
    ref_nb, new_nb = reference / f"{chapter}.ipynb", fresh / f"{chapter}.ipynb"
    if not ref_nb.exists():
        return [f"{chapter}: no reference copy in {reference} (build the book first)"]
    old, new = glued_values(ref_nb), glued_values(new_nb)
    for key in sorted(set(old) | set(new)):
        if old.get(key) != new.get(key):
            changes.append(f"{chapter}: number {key}: {old.get(key)} -> {new.get(key)}")
    new_figs, old_figs = _chapter_sidecars(fresh, chapter), _chapter_sidecars(reference, chapter)
    for name in sorted(set(old_figs) - set(new_figs)):
        changes.append(f"{chapter}: figure {name} vanished (in the reference, not produced now)")
    for name in sorted(new_figs):
        side, prov_new = new_figs[name]
        if name not in old_figs:
            changes.append(f"{chapter}: figure {name} is new")
            continue
        ref_side, prov_old = old_figs[name]
        if prov_old.get("parameters") != prov_new.get("parameters"):
            changes.append(f"{chapter}: figure {name} parameters "
                           f"{prov_old.get('parameters')} -> {prov_new.get('parameters')}")
        if prov_old.get("versions") != prov_new.get("versions"):
            changes.append(f"{chapter}: figure {name} library versions changed")
        for fmt in FIGURE_FORMATS:
            a, b = _digest(ref_side.with_suffix(f".{fmt}")), _digest(side.with_suffix(f".{fmt}"))
            if a is None and b is None:
                continue
            if b is None:
                changes.append(f"{chapter}: figure {name} {fmt.upper()} file vanished")
            elif a is None:
                changes.append(f"{chapter}: figure {name} {fmt.upper()} file is new")
            elif a != b:
                changes.append(f"{chapter}: figure {name} {fmt.upper()} bytes differ")
    return changes


#: The files savefig writes for every figure (kernelnet.figures.savefig).
FIGURE_FORMATS = ("png", "pdf", "svg")


def _chapter_sidecars(run: Path, chapter: str) -> dict:
    """name -> (sidecar path, provenance) of the figures ``chapter`` wrote in ``run``."""
    out = {}
    for side in sorted((run / "figures").glob("*.json")):
        try:
            prov = json.loads(side.read_text())
        except (OSError, ValueError):
            continue
        if prov.get("notebook") == chapter:
            out[side.stem] = (side, prov)
    return out


def _cmd_reproduce(args) -> int:
    root = _root()
    if args.chapter in (None, "all"):
        chapters = build.discover_notebooks(root)
    else:
        chapters = [resolve_chapter(args.chapter, root)]
    if args.scheduler:
        os.environ["KERNELNET_BACKEND"] = "dask"
        os.environ["DASK_SCHEDULER_ADDRESS"] = args.scheduler
    reference = Path(args.reference) if args.reference else root / "_build" / "executed"
    fresh = root / "_build" / "reproduce"
    records = build.execute_all(root, fresh, quick=args.quick, jobs=args.jobs,
                                notebooks=chapters)
    failed = [r for r in records if not r.ok]
    changes = []
    for rec in records:
        status = "ok" if rec.ok else f"FAILED ({rec.error})"
        print(f"{rec.notebook:45s} {rec.seconds:8.1f} s  {status}")
        if rec.ok:
            changes += compare_runs(reference, fresh, rec.notebook)
    if changes:
        print(f"\n{len(changes)} difference(s) from the book's build in {reference}:")
        for c in changes:
            print("  " + c)
    else:
        print(f"\nEvery glued number and figure matches the book's build in {reference}.")
    if failed:
        return 1
    return 1 if (changes and args.strict) else 0


def _cmd_figure(args) -> int:
    root = _root()
    places = [root / "_build" / "executed" / "figures", root / "_build" / "reproduce" / "figures",
              root / "figures"]
    for place in places:
        side = place / f"{args.name}.json"
        if side.exists():
            prov = json.loads(side.read_text())
            print(f"figure {args.name} ({side.parent})")
            for key in ("caption", "notebook", "parameters", "seed", "quick", "git_commit",
                        "git_dirty", "versions", "created", "files"):
                print(f"  {key:11s} {prov.get(key)}")
            return 0
    known = sorted({p.stem for place in places if place.exists() for p in place.glob("*.json")})
    raise UsageError(f"unknown figure {args.name!r}; known figures: "
                     f"{', '.join(known) if known else 'none (build the book first)'}")


def _claims_records(root: Path, record: str | None) -> tuple[list, str]:
    from . import claims

    if record is not None:
        path = Path(record)
        if not path.exists():
            raise UsageError(f"no claims record at {path}")
        return claims.read_record(path), str(path)
    for path in (root / "_build" / "claims.json", root / "results" / "claims" / "findings.json"):
        if path.exists():
            return claims.read_record(path), str(path.relative_to(root))
    return [], "no build yet (every claim reads 'not checked yet')"


def _cmd_claims(args) -> int:
    from . import claims

    if args.source is not None and args.source not in claims.SOURCES:
        raise UsageError(f"unknown source {args.source!r}; sources: {', '.join(claims.SOURCES)}")
    known = (*claims.VERDICTS, claims.PROVISIONAL)
    if args.verdict is not None and args.verdict not in known:
        raise UsageError(f"unknown verdict {args.verdict!r}; verdicts: "
                         + ", ".join(repr(v) for v in known))
    records, where = _claims_records(_root(), args.record)
    table = claims.ledger(records)
    if args.source is not None:
        table = table[table["source"] == args.source]
    if args.verdict is not None:
        table = table[table["verdict"] == args.verdict]
    print(f"claims ledger from {where}: {len(table)} row(s)")
    for _, r in table.iterrows():
        print(f"{r['id']:28s} {r['verdict']:28s} {r['statement']}")
        if r["regime"]:
            print(f"{'':28s}   regime tested: {r['regime']}")
        if r["note"]:
            print(f"{'':28s}   reason: {r['note']}")
        if r["tried"]:
            print(f"{'':28s}   other settings tried: {'; '.join(r['tried'])}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kernelnet", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="chapters and their parameters").set_defaults(func=_cmd_list)
    run = sub.add_parser("run", help="execute one chapter with papermill")
    run.add_argument("chapter")
    run.add_argument("-p", nargs=2, action="append", metavar=("NAME", "VALUE"),
                     help="set a parameter, read by its declared type (QUICK: true/false)")
    run.add_argument("--quick", action="store_true", help="QUICK=True (small sizes)")
    run.add_argument("--output", help="output folder (default _build/runs/<chapter>...)")
    run.set_defaults(func=_cmd_run)
    rep = sub.add_parser("reproduce", help="rerun and compare with the book's build")
    rep.add_argument("chapter", nargs="?", default="all")
    rep.add_argument("--quick", action="store_true")
    rep.add_argument("--jobs", type=int, default=1)
    rep.add_argument("--scheduler", help="Dask scheduler address for the chapters' sweeps")
    rep.add_argument("--reference", help="executed copies to compare with (default _build/executed)")
    rep.add_argument("--strict", action="store_true", help="exit 1 if anything differs")
    rep.set_defaults(func=_cmd_reproduce)
    fig = sub.add_parser("figure", help="where a figure came from")
    fig.add_argument("name")
    fig.set_defaults(func=_cmd_figure)
    cl = sub.add_parser("claims", help="the claims ledger of the last build")
    cl.add_argument("--source", help="only this source (000-004)")
    cl.add_argument("--verdict", help="only this verdict (e.g. 'not reproduced')")
    cl.add_argument("--record", help="a claims record to read (default: the last build's)")
    cl.set_defaults(func=_cmd_claims)
    return parser


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"kernelnet: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
