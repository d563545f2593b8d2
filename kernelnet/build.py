"""Execute the chapters with papermill, then render the book from the executed copies.

Why this shape (and not Jupyter Book's own execution): notebooks must run **once** per CI run
and be checked by the tests, and jupyter-cache only watches notebook code cells, so edits to
``kernelnet/`` would leave stale outputs (ANCHORS.md, trap 4). So:

1. :func:`execute_all` runs every notebook in ``notebooks/`` with papermill into
   ``_build/executed/`` (``QUICK`` injected; unknown parameter names are an error, not
   papermill's warning, trap 13), checks that every code cell really ran (trap 14) and
   writes the figures into ``_build/executed/figures/``;
2. :func:`build_book` stages the book sources plus the executed notebooks into
   ``_build/stage/`` with execution switched off, and runs
   ``jupyter-book build -W --keep-going``. A quick build gets a banner on every page.

A plain ``jupyter-book build .`` on the repository root still works: ``_config.yml`` executes
every notebook itself (``force``) with ``nb_execution_raise_on_error: true``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

__all__ = [
    "repo_root",
    "discover_notebooks",
    "notebook_parameters",
    "check_parameters",
    "parameter_types",
    "parse_parameters",
    "execute_notebook",
    "execute_all",
    "check_executed_dir",
    "build_book",
    "build_pdf",
    "ExecutionRecord",
    "QUICK_BANNER",
]

QUICK_BANNER = (
    "Quick build: every chapter here ran with QUICK=True (small sizes, for CI). "
    "The paper-sized results come from the full build."
)


def repo_root() -> Path:
    """The repository root (the folder holding ``_toc.yml``), from the cwd upwards."""
    here = Path.cwd().resolve()
    for cand in (here, *here.parents):
        if (cand / "_toc.yml").exists() and (cand / "notebooks").is_dir():
            return cand
    pkg = Path(__file__).resolve().parent.parent
    if (pkg / "_toc.yml").exists():
        return pkg
    raise FileNotFoundError("no kernelnet book (a folder with _toc.yml and notebooks/) found")


def discover_notebooks(root: Path | None = None) -> list[Path]:
    """Every chapter notebook ``notebooks/*.ipynb``, in file-name (reading) order."""
    root = repo_root() if root is None else Path(root)
    return sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _parameters_cell_names(path) -> dict:
    """Names assigned at top level in the ``parameters`` cell, with their source text."""
    import ast

    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            tree = ast.parse(cell.source)
            names = {}
            for node in tree.body:
                targets = node.targets if isinstance(node, ast.Assign) else (
                    [node.target] if isinstance(node, ast.AnnAssign) else [])
                for t in targets:
                    if isinstance(t, ast.Name):
                        names[t.id] = ast.get_source_segment(cell.source, node.value)
            return names
    return {}


def notebook_parameters(path) -> dict:
    """The parameters a notebook declares: name -> {"default": source text, "help": str}.

    ``papermill.inspect_notebook`` is asked first; it cannot parse a default such as
    ``os.environ.get("KERNELNET_QUICK", "0") == "1"`` (it only logs a warning and drops the
    name), so the top-level assignments of the ``parameters`` cell are added from its syntax
    tree.
    """
    import logging

    import papermill

    log = logging.getLogger("papermill")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        found = {k: dict(v) for k, v in papermill.inspect_notebook(str(path)).items()}
    finally:
        log.setLevel(level)
    for name, src in _parameters_cell_names(path).items():
        found.setdefault(name, {"name": name, "default": src, "help": ""})
    return found


def check_parameters(path, parameters: dict) -> None:
    """Raise ``ValueError`` if ``parameters`` names something the notebook does not declare.

    papermill itself only logs ``Passed unknown parameter`` and runs with the default.
    """
    declared = notebook_parameters(path)
    if not declared:
        raise ValueError(f"{Path(path).name} has no cell tagged 'parameters'")
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise ValueError(
            f"unknown parameter(s) {', '.join(unknown)} for {Path(path).stem}; "
            f"it declares: {', '.join(sorted(declared))}"
        )


_BOOL_WORDS = {"true": True, "false": False, "yes": True, "no": False, "1": True, "0": False}
_FIXED_TYPES = {"QUICK": (bool,), "SEED": (int,)}
_TYPE_WORDS = {bool: "true or false", int: "an integer", float: "a finite number",
               str: "a string", tuple: "a tuple such as (1, 2)", list: "a list such as [1, 2]"}


def _chapter_declarations(path) -> dict:
    """The chapter's ``PARAMETERS`` (``claims.Parameter`` by upper-case name), if the notebook
    passes ``declared=<module>.PARAMETERS`` to ``setup_notebook`` and imports ``<module>`` from
    ``kernelnet``; ``{}`` otherwise."""
    import ast
    import importlib

    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    modules, alias = {}, None
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:  # a cell magic: not Python
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for a in node.names:
                    modules[a.asname or a.name] = f"{node.module}.{a.name}"
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        modules[a.asname] = a.name
            elif isinstance(node, ast.keyword) and node.arg == "declared":
                v = node.value
                if (isinstance(v, ast.Attribute) and v.attr == "PARAMETERS"
                        and isinstance(v.value, ast.Name)):
                    alias = v.value.id
    module = modules.get(alias, "")
    if not module.startswith("kernelnet."):
        return {}
    try:
        declared = getattr(importlib.import_module(module), "PARAMETERS", None)
    except ImportError:
        return {}
    return {str(k).upper(): v for k, v in declared.items()} if isinstance(declared, dict) else {}


def parameter_types(path) -> dict:
    """Each notebook parameter's accepted types: name -> (tuple of types or None, declaration).

    ``QUICK`` is a bool and ``SEED`` an int; a parameter the chapter declares in its
    ``PARAMETERS`` (the chapter contract) takes the declared type (and the declaration is
    returned, to check the value); any other takes the type of its default in the
    ``parameters`` cell when that is a literal (``None`` when it is not: no type to check).
    """
    import ast

    declared = _chapter_declarations(path)
    out = {}
    for name, info in notebook_parameters(path).items():
        spec = declared.get(name)
        if name in _FIXED_TYPES:
            types = _FIXED_TYPES[name]
        elif spec is not None:
            types = spec.type if isinstance(spec.type, tuple) else (spec.type,)
        else:
            try:
                default = ast.literal_eval(str(info.get("default", "")))
            except (ValueError, SyntaxError, TypeError):
                default = None
            types = None if default is None else (type(default),)
        out[name] = (types, spec)
    return out


def _parse_as(name: str, text: str, types) -> object:
    import ast
    import math

    names = " or ".join(_TYPE_WORDS.get(t, t.__name__) for t in types)
    word = text.strip()
    if bool in types and word.lower() in _BOOL_WORDS:
        return _BOOL_WORDS[word.lower()]
    if int in types:
        try:
            return int(word)
        except ValueError:
            pass
    if float in types:
        try:
            value = float(word)
        except ValueError:
            value = None
        if value is not None and math.isfinite(value):
            return value
    for container in (tuple, list):
        if container in types:
            try:
                value = ast.literal_eval(word)
            except (ValueError, SyntaxError):
                value = None
            if isinstance(value, (tuple, list)):
                return container(value)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return container((value,))
    if str in types:
        try:
            value = ast.literal_eval(word)
        except (ValueError, SyntaxError):
            value = None
        return value if isinstance(value, str) else text
    if bool in types and len(types) == 1:
        raise ValueError(f"parameter {name} must be true or false, got {text!r}")
    raise ValueError(f"parameter {name} must be {names}, got {text!r}")


def parse_parameters(path, given: dict) -> dict:
    """Parse command-line parameter values (text) by the notebook's declared types.

    ``QUICK`` reads ``true/false/yes/no/1/0`` (any case), an int parameter an integer, a float
    a finite number, a tuple or list a Python literal (``"(100, 300)"`` or ``"100,300"``); a
    value the chapter's ``PARAMETERS`` declares is then checked against the declaration. A
    parameter without a literal default is read as a Python literal, else as a string.

    Raises
    ------
    ValueError
        Naming the parameter: unknown, of the wrong type, or failing its declaration.
    """
    import ast

    types = parameter_types(path)
    check_parameters(path, dict.fromkeys(given))
    out = {}
    for name, text in given.items():
        text = str(text)
        accepted, spec = types[name]
        if accepted is None or (spec is not None and text.strip() == "None"):
            try:
                value = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                value = text
        else:
            value = _parse_as(name, text, accepted)
        if name == "SEED" and value < 0:
            raise ValueError(f"parameter SEED must be a non-negative integer, got {text!r}")
        if spec is not None and value is not None:
            value = spec.validate(name, value)
        out[name] = value
    return out


@dataclass
class ExecutionRecord:
    """What happened when one notebook was executed."""

    notebook: str
    output: str
    parameters: dict
    seconds: float
    ok: bool
    error: str | None = None
    figures: list = field(default_factory=list)
    cpu_seconds: float | None = None  # the kernel's user + system CPU time (None: not measured)
    numba_compile_seconds: float | None = None  # CPU seconds numba spent compiling in the kernel


def _check_executed(nb_path: Path) -> None:
    """Every code cell ran and none holds an error (papermill can fail silently, trap 14)."""
    import nbformat

    nb = nbformat.read(nb_path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        if cell.get("execution_count") is None:
            raise RuntimeError(f"{nb_path.name}: code cell {i} was not executed")
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                raise RuntimeError(f"{nb_path.name}: code cell {i} raised {out.get('ename')}")


def execute_notebook(
    path,
    out_dir,
    *,
    quick: bool = True,
    parameters: dict | None = None,
    timeout: int | None = None,
    retries: int = 1,
) -> ExecutionRecord:
    """Execute one notebook with papermill into ``out_dir`` (never in place).

    Parameters
    ----------
    path : path-like
        The source notebook.
    out_dir : path-like
        Folder for the executed copy (same file name) and ``figures/``.
    quick : bool
        Value injected as ``QUICK``.
    parameters : dict, optional
        Further parameters; names are checked against the notebook's ``parameters`` cell.
    timeout : int, optional
        Per-cell timeout in seconds (default 900 quick, 3600 full).
    retries : int
        Extra attempts if the kernel failed to start (papermill's port race), not on errors
        raised by the notebook's own code.
    """
    import papermill

    path = Path(path).resolve()
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    params = {"QUICK": bool(quick), **(parameters or {})}
    check_parameters(path, params)
    out = out_dir / path.name
    fig_dir = out_dir / "figures"
    from . import _timings

    timings_dir = out_dir / "timings"
    (timings_dir / f"{path.stem}.json").unlink(missing_ok=True)  # no stale numbers
    env_backup = {k: os.environ.get(k) for k in ("KERNELNET_FIGURES_DIR", "KERNELNET_QUICK",
                                                 _timings.TIMINGS_ENV)}
    os.environ["KERNELNET_FIGURES_DIR"] = str(fig_dir)
    os.environ["KERNELNET_QUICK"] = "1" if quick else "0"
    os.environ[_timings.TIMINGS_ENV] = str(timings_dir)
    cpu0 = _timings.children_cpu_seconds()
    t0 = time.perf_counter()
    error = None
    try:
        for attempt in range(retries + 1):
            try:
                papermill.execute_notebook(
                    str(path),
                    str(out),
                    parameters=params,
                    cwd=str(out_dir),
                    kernel_name="python3",
                    progress_bar=False,
                    execution_timeout=timeout or (900 if quick else 3600),
                )
                _check_executed(out)
                error = None
                break
            except papermill.PapermillExecutionError as exc:
                error = f"{exc.ename}: {exc.evalue}"
                break
            except RuntimeError as exc:  # cells not run: kernel start-up race; retry
                error = str(exc)
                if attempt == retries:
                    break
    finally:
        for k, v in env_backup.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    seconds = time.perf_counter() - t0
    cpu = _timings.children_cpu_seconds() - cpu0
    cpu = round(cpu, 2) if cpu > 0 else None  # 0: the kernel was not reaped, so not measured
    compiled = _timings.read_sidecar(timings_dir, path.stem)
    compile_s = None if compiled is None else compiled.get("numba_compile_seconds")
    if out.exists():
        _annotate_timings(out, {"cpu_seconds": cpu, **(compiled or {})})
    (timings_dir / f"{path.stem}.json").unlink(missing_ok=True)  # moved into the metadata
    if timings_dir.exists() and not any(timings_dir.iterdir()):
        timings_dir.rmdir()
    figs = _chapter_figures(fig_dir, path.stem)
    return ExecutionRecord(path.stem, str(out), params, round(seconds, 2), error is None, error,
                           figs, cpu, compile_s)


def _annotate_timings(nb_path: Path, timings: dict) -> None:
    """Store the kernel's CPU and numba compile seconds in the executed notebook's metadata
    (``metadata.kernelnet.timings``), where the status page reads them."""
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    nb.setdefault("metadata", {}).setdefault("kernelnet", {})["timings"] = timings
    nb_path.write_text(json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n",
                       encoding="utf-8")


def _chapter_figures(fig_dir: Path, chapter: str) -> list:
    """The figures whose provenance sidecar names ``chapter`` (the folder is shared by every
    chapter of a build, so listing it all would credit a chapter with the others' figures)."""
    if not fig_dir.exists():
        return []
    out = []
    for side in sorted(fig_dir.glob("*.json")):
        try:
            owner = json.loads(side.read_text()).get("notebook")
        except (OSError, ValueError):
            continue
        if owner == chapter:
            out.append(side.stem)
    return out


def check_executed_dir(executed: Path, notebooks=None) -> list[str]:
    """Problems with the executed copies in ``executed`` (empty if every chapter finished).

    A chapter counts as finished when its executed copy exists, every code cell ran and none
    holds an error, and ``execution.json`` (if present) records it as ok: ``--skip-execute``
    must not render, and the status page must not call "passed", a notebook that was
    interrupted or failed.
    """
    executed = Path(executed)
    problems = []
    records = {}
    if (executed / "execution.json").exists():
        try:
            data = json.loads((executed / "execution.json").read_text())
            records = {r["notebook"]: r for r in data.get("records", [])}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            problems.append(f"execution.json is unreadable: {exc}")
    stems = [Path(nb).stem for nb in notebooks] if notebooks is not None else sorted(
        p.stem for p in executed.glob("[0-9][0-9]_*.ipynb"))
    if not stems:
        problems.append(f"no executed notebooks in {executed}")
    for stem in stems:
        nb = executed / f"{stem}.ipynb"
        if not nb.exists():
            problems.append(f"{stem}: no executed copy")
            continue
        rec = records.get(stem)
        if rec is not None and not rec.get("ok", False):
            problems.append(f"{stem}: failed ({rec.get('error')})")
            continue
        try:
            _check_executed(nb)
        except RuntimeError as exc:
            problems.append(str(exc))
    return problems


def _execute_one(args):
    path, out_dir, quick, parameters = args
    return execute_notebook(path, out_dir, quick=quick, parameters=parameters)


@contextlib.contextmanager
def sweep_workers(quick: bool):
    """Context manager for executing chapters one at a time: at full size (``quick=False``) the
    chapters' sweeps run on every core (``$KERNELNET_UNIT_JOBS`` = the CPU count, the default
    ``n_jobs`` of :func:`kernelnet.parallel.map_units`); quick runs keep them serial (their
    sweeps take seconds, less than starting the workers). A value already set is kept; the
    variable is restored on exit. Yields the workers' count (``None``: serial).
    """
    from .parallel import UNIT_JOBS_ENV, default_jobs

    before = os.environ.get(UNIT_JOBS_ENV)
    if not quick and before is None:
        os.environ[UNIT_JOBS_ENV] = str(os.cpu_count() or 1)
    try:
        yield default_jobs()
    finally:
        if before is None:
            os.environ.pop(UNIT_JOBS_ENV, None)


def execute_all(
    root: Path | None = None,
    out_dir: Path | None = None,
    *,
    quick: bool = True,
    jobs: int = 1,
    notebooks: list | None = None,
    parameters: dict | None = None,
    progress: bool = True,
) -> list[ExecutionRecord]:
    """Execute every chapter (or ``notebooks``) and write ``execution.json`` beside them.

    With ``jobs > 1`` notebooks run in separate processes; each kernel is then limited to one
    numba/BLAS thread per job so the two cores are not oversubscribed (ANCHORS.md, trap 20).
    With one job at full size (``quick=False``) each chapter's sweeps run their independent
    units on every core instead (``$KERNELNET_UNIT_JOBS``, :mod:`kernelnet.parallel`; a
    worker runs one BLAS and numba thread per core it has): the units draw their own seeds, so
    the chapter's numbers and figures are the same as serially, and chapter 01 takes half the
    wall time (``benchmarks/README.md``, "Full book"). Quick builds keep their units serial:
    their sweeps take seconds, less than starting the workers. A ``$KERNELNET_UNIT_JOBS``
    already set is kept.
    """
    from tqdm.auto import tqdm

    root = repo_root() if root is None else Path(root)
    out_dir = (root / "_build" / "executed") if out_dir is None else Path(out_dir)
    paths = [Path(p) for p in (notebooks or discover_notebooks(root))]
    if not paths:
        raise ValueError(f"no notebooks found in {root / 'notebooks'}")
    tasks = [(p, out_dir, quick, parameters) for p in paths]
    from ._provenance import now
    from ._timings import machine_load

    started, load_start = now(), machine_load()
    records: list[ExecutionRecord] = []
    bar = tqdm(total=len(tasks), desc="notebooks", disable=not progress)
    unit_jobs = None  # serial sweeps inside each chapter
    if jobs > 1 and len(tasks) > 1:
        threads = max(1, (os.cpu_count() or 2) // jobs)
        for var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            os.environ.setdefault(var, str(threads))
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for rec in pool.map(_execute_one, tasks):
                records.append(rec)
                bar.set_postfix_str(f"{rec.notebook} {'ok' if rec.ok else 'FAILED'}")
                bar.update()
    else:
        with sweep_workers(quick) as unit_jobs:
            for task in tasks:
                rec = _execute_one(task)
                records.append(rec)
                bar.set_postfix_str(f"{rec.notebook} {'ok' if rec.ok else 'FAILED'}")
                bar.update()
    bar.close()
    (out_dir / "execution.json").write_text(
        json.dumps({"quick": quick, "started": started, "finished": now(),
                    "cpu_count": os.cpu_count(), "jobs": jobs, "unit_jobs": unit_jobs,
                    "load_average_start": load_start,
                    "load_average_end": machine_load(),
                    "records": [asdict(r) for r in records]}, indent=2) + "\n"
    )
    return records


def timings_from_executed(executed: Path, root: Path | None = None) -> dict:
    """The timings record (:func:`kernelnet._timings.timings_record`) of the chapters executed
    in ``executed``: wall seconds from papermill's metadata, CPU and numba compile seconds from
    ``metadata.kernelnet.timings`` (``None`` where absent), the machine from ``execution.json``."""
    from . import _provenance, _timings

    executed = Path(executed)
    run = {}
    if (executed / "execution.json").exists():
        run = json.loads((executed / "execution.json").read_text())
    chapters = {}
    for nb in sorted(executed.glob("[0-9][0-9]_*.ipynb")):
        meta = json.loads(nb.read_text(encoding="utf-8")).get("metadata", {})
        pm, timing = meta.get("papermill", {}), meta.get("kernelnet", {}).get("timings", {})
        chapters[nb.stem] = {"wall_seconds": pm.get("duration"),
                             "cpu_seconds": timing.get("cpu_seconds"),
                             "numba_compile_seconds": timing.get("numba_compile_seconds"),
                             "started": pm.get("start_time")}
    git = _provenance.git_state(root) if root is not None else {}
    return _timings.timings_record(
        chapters, cpu_count=run.get("cpu_count"), jobs=run.get("jobs"),
        unit_jobs=run.get("unit_jobs"),
        load_start=run.get("load_average_start"), load_end=run.get("load_average_end"),
        commit=git.get("commit", "") or "", created=run.get("finished", ""),
        source="python -m kernelnet.build (full)")


def _stage(root: Path, executed: Path, stage: Path, quick: bool) -> None:
    import yaml

    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    shutil.copy2(root / "_toc.yml", stage / "_toc.yml")
    for item in ("book",):
        shutil.copytree(root / item, stage / item)
    (stage / "notebooks").mkdir()
    toc = (root / "_toc.yml").read_text()
    for nb in sorted(executed.glob("*.ipynb")):
        # only chapters the book lists (a notebook still being written is not rendered)
        if re.search(rf"file:\s*notebooks/{re.escape(nb.stem)}\s*$", toc, re.M):
            shutil.copy2(nb, stage / "notebooks" / nb.name)
    if (executed / "figures").exists():
        shutil.copytree(executed / "figures", stage / "figures")
    if (executed / "execution.json").exists():
        shutil.copy2(executed / "execution.json", stage / "execution.json")
    from ._timings import read_timings
    from .bookpages import (write_api_page, write_figures_page, write_rerun_cost,
                            write_status_page)

    write_figures_page(stage / "notebooks", stage / "book" / "figures.md",
                       figures_dir=stage / "figures")
    timings = read_timings(root / "results" / "timings" / "full.json")
    run = (json.loads((executed / "execution.json").read_text())
           if (executed / "execution.json").exists() else None)
    write_status_page(stage / "notebooks", stage / "book" / "status.md", timings, run)
    write_rerun_cost(stage / "book" / "rerun.md", timings,
                     [p.stem for p in sorted((stage / "notebooks").glob("[0-9][0-9]_*.ipynb"))])
    package = root / "kernelnet"  # the modules Sphinx documents (autodoc imports them)
    write_api_page(root / "book" / "api.md", stage / "book" / "api.md",
                   package_dir=package if package.is_dir() else Path(__file__).resolve().parent,
                   design=root / "DESIGN.md")
    _write_claims(root, stage, quick)
    _link_pdf(root, executed, stage)
    config = yaml.safe_load((root / "_config.yml").read_text())
    config.setdefault("execute", {})["execute_notebooks"] = "off"
    if quick:
        html = config.setdefault("html", {})
        html["announcement"] = QUICK_BANNER
        # the PDF edition carries the same banner on its title page
        latex = config.setdefault("sphinx", {}).setdefault("config", {}).setdefault(
            "latex_elements", {})
        latex["maketitle"] = (r"\sphinxmaketitle\begin{center}\fbox{\parbox{0.8\linewidth}{"
                              + QUICK_BANNER + r"}}\end{center}")
    (stage / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))


def _link_pdf(root: Path, executed: Path, stage: Path) -> None:
    """Link the PDF edition from the citation page when it was built from these notebooks."""
    pdf = root / "_build" / "latex" / "kernelnet.pdf"
    notebooks = list(executed.glob("*.ipynb"))
    fresh = pdf.exists() and notebooks and pdf.stat().st_mtime >= max(
        p.stat().st_mtime for p in notebooks)
    if not fresh:
        return
    shutil.copy2(pdf, stage / "book" / "kernelnet.pdf")
    size = pdf.stat().st_size / 2**20
    (stage / "book" / "pdf_edition.md").write_text(
        f"{{download}}`The whole book as one PDF file <kernelnet.pdf>` ({size:.1f} MiB), built "
        "from the same executed chapters as these pages (`bash scripts/book --pdf`).\n")


def _write_claims(root: Path, stage: Path, quick: bool) -> None:
    """The claims ledger page from the chapters' glued findings, and the build's record.

    Every build writes ``_build/claims.json`` (what ``kernelnet claims`` reads); a full build
    whose chapters all published findings also refreshes the committed ``results/claims/``.
    """
    from . import claims
    from .bookpages import figure_table

    records = claims.findings_from_executed(stage / "notebooks")
    saved = [row["name"] for row in figure_table(stage / "notebooks", stage / "figures")]
    claims.write_claims_page(records, stage / "book" / "claims.md", figures=saved,
                             sections=claims.section_labels(stage / "notebooks"), quick=quick)
    claims.write_record(records, root / "_build" / "claims.json")
    if not quick and records and not any(r.get("quick") for r in records):
        claims.write_record(records, root / "results" / "claims" / "findings.json")


def build_book(
    root: Path | None = None,
    executed: Path | None = None,
    *,
    quick: bool = True,
    strict: bool = True,
) -> tuple[int, Path, str]:
    """Render the book from executed notebooks; returns (exit code, index.html, log).

    The sources are staged into ``_build/stage`` with ``execute_notebooks: off`` and built
    with ``jupyter-book build -W --keep-going`` (``-n`` too); the result replaces
    ``_build/html`` only if the build succeeded (copied to ``_build/html.new``, then swapped
    in), so a failed build leaves the last good ``_build/html`` in place.
    """
    root = repo_root() if root is None else Path(root)
    executed = (root / "_build" / "executed") if executed is None else Path(executed)
    stage = root / "_build" / "stage"
    _stage(root, executed, stage, quick)
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb) if jb.exists() else "jupyter-book", "build", str(stage), "--path-output",
           str(root / "_build" / "book")]
    if strict:
        cmd += ["-W", "-n", "--keep-going"]
    built = root / "_build" / "book" / "_build" / "html"  # Sphinx's own (incremental) folder
    proc = subprocess.run(cmd, capture_output=True, text=True)
    log = proc.stdout + proc.stderr
    html_dir = root / "_build" / "html"
    if proc.returncode == 0 and built.exists():
        # swap on success only: a failed build leaves the last good _build/html in place
        fresh = html_dir.with_name("html.new")
        old = html_dir.with_name("html.old")
        for tmp in (fresh, old):
            if tmp.exists():
                shutil.rmtree(tmp)
        shutil.copytree(built, fresh)
        if html_dir.exists():
            html_dir.rename(old)
        fresh.rename(html_dir)
        if old.exists():
            shutil.rmtree(old)
    return proc.returncode, html_dir / "index.html", log


_DISPLAY_MATH_RE = re.compile(r"\$\$(.+?)\$\$", re.S)


def _latex_safe_math(nb_path: Path) -> None:
    """Make display math that MathJax accepts valid for LaTeX too (PDF staging only).

    Sphinx's LaTeX writer puts display math in ``split``, which allows one ``&`` per row;
    a block with several alignment columns is wrapped in ``aligned`` instead.
    """
    nb = json.loads(nb_path.read_text())

    def fix(m):
        body = m.group(1)
        if any(line.count("&") - line.count(r"\&") > 1 for line in body.splitlines()):
            return "$$\n\\begin{aligned}" + body.strip("\n") + "\\end{aligned}\n$$"
        return m.group(0)

    changed = False
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        new = _DISPLAY_MATH_RE.sub(fix, src)
        if new != src:
            cell["source"], changed = new, True
    if changed:
        nb_path.write_text(json.dumps(nb, indent=1))


def build_pdf(
    root: Path | None = None,
    executed: Path | None = None,
    *,
    quick: bool = True,
) -> tuple[int, Path, str]:
    """Render the PDF edition from executed notebooks; returns (exit code, PDF path, log).

    The same staged sources as the HTML book, built with Jupyter Book v1's ``pdflatex`` builder
    (Sphinx's LaTeX writer, run by latexmk with the engine ``_config.yml`` sets, xelatex) into
    ``_build/latex/kernelnet.pdf``. Needs xelatex and latexmk (``scripts/_latex.sh`` installs
    Debian's packages).
    """
    root = repo_root() if root is None else Path(root)
    executed = (root / "_build" / "executed") if executed is None else Path(executed)
    for tool in ("xelatex", "latexmk"):
        if shutil.which(tool) is None:
            return 1, Path(), (f"{tool} not found: the PDF edition needs Debian's texlive-xetex "
                               "and latexmk (scripts/_latex.sh installs them)")
    stage = root / "_build" / "stage-pdf"
    _stage(root, executed, stage, quick)
    for nb in (stage / "notebooks").glob("*.ipynb"):
        _latex_safe_math(nb)
    out = root / "_build" / "pdfbook"
    if out.exists():
        shutil.rmtree(out)
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb) if jb.exists() else "jupyter-book", "build", str(stage), "--builder",
           "pdflatex", "--path-output", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    log = proc.stdout + proc.stderr
    built = out / "_build" / "latex" / "kernelnet.pdf"
    target = root / "_build" / "latex" / "kernelnet.pdf"
    if proc.returncode == 0 and built.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(built, target)
        return 0, target, log
    return proc.returncode or 1, target, log


def main(argv=None) -> int:
    """``python -m kernelnet.build [--quick] [--jobs N]``: execute every chapter, build the book."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m kernelnet.build", description=main.__doc__)
    parser.add_argument("--quick", action="store_true",
                        default=os.environ.get("KERNELNET_QUICK", "0") == "1",
                        help="run every chapter with QUICK=True (default from $KERNELNET_QUICK)")
    parser.add_argument("--jobs", type=int, default=1, help="notebooks executed in parallel")
    parser.add_argument("--skip-execute", action="store_true",
                        help="reuse _build/executed from an earlier run")
    parser.add_argument("--pdf", action="store_true",
                        help="also build the PDF edition, _build/latex/kernelnet.pdf")
    args = parser.parse_args(argv)
    root = repo_root()
    if args.skip_execute:
        problems = check_executed_dir(root / "_build" / "executed")
        if problems:
            for p in problems:
                print(f"FAILED {p}", file=sys.stderr)
            print("--skip-execute: the executed notebooks are incomplete; the book is not "
                  "built (run without --skip-execute)", file=sys.stderr)
            return 1
    if not args.skip_execute:
        records = execute_all(root, quick=args.quick, jobs=args.jobs)
        for r in records:
            print(f"{'ok    ' if r.ok else 'FAILED'} {r.notebook:40s} {r.seconds:8.1f} s"
                  + (f"  {r.error}" if r.error else ""))
        if not all(r.ok for r in records):
            print("notebook execution failed: the book is not built", file=sys.stderr)
            return 1
        if not args.quick:  # every chapter ran full: what a rerun costs, for the status page
            from ._timings import write_timings

            write_timings(timings_from_executed(root / "_build" / "executed", root),
                          root / "results" / "timings" / "full.json")
    if args.pdf:  # first, so that the HTML book can link it
        code, pdf, log = build_pdf(root, quick=args.quick)
        if code != 0:
            print(log[-20000:], file=sys.stderr)
            print(f"PDF build failed (exit {code})", file=sys.stderr)
            return code
        print(f"The PDF edition is at {pdf}")
    code, index, log = build_book(root, quick=args.quick)
    if code != 0:
        print(log[-20000:], file=sys.stderr)
        print(f"jupyter-book build failed (exit {code}); _build/html keeps the last good "
              "build", file=sys.stderr)
        return code
    print(f"The book is at {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
