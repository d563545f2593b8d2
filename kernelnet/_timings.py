"""What a chapter costs to run: numba compile time measured in the kernel, and the record of
a full-size build that the status page and the rerun page quote.

- :class:`CompileRecorder` listens to numba's ``"numba:compile"`` events (``numba.core.event``)
  and adds up the CPU (and wall) seconds of the outermost compilations (a compile that
  triggers others is counted once). Loading a function from numba's on-disk cache raises no
  such event, so a warm cache records nothing. :func:`setup_notebook <kernelnet.figures.setup_notebook>` installs one
  in the chapter's kernel when ``$KERNELNET_TIMINGS_DIR`` is set (the build sets it), and the
  recorder keeps ``<dir>/<notebook>.json`` up to date after every compilation; the build then
  moves it into the executed notebook's metadata (``metadata.kernelnet.timings``).
- :func:`timings_record` / :func:`write_timings` / :func:`read_timings`: the committed record
  of a full build (``results/timings/full.json``): per chapter the wall seconds, the kernel's
  CPU seconds and numba's compile CPU seconds, with the machine's CPU count and load average at the
  start and the end of the run.
- :func:`rerun_cost_sentence`: the one generated sentence saying what a full rerun costs.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

TIMINGS_ENV = "KERNELNET_TIMINGS_DIR"
SCHEMA = 1


class CompileRecorder:
    """Adds up numba compile time over the outermost ``numba:compile`` events: CPU seconds of
    the process (``time.process_time``, comparable with the kernel's CPU time whatever the
    machine's load) and wall seconds."""

    def __init__(self, sidecar: Path | None = None):
        self.sidecar = None if sidecar is None else Path(sidecar)
        self.seconds = 0.0  # CPU
        self.wall_seconds = 0.0
        self.compiles = 0
        self._depth = 0
        self._t0 = (0.0, 0.0)
        self._installed = False
        self._listener = None

    def notify(self, event) -> None:
        """Take one ``numba:compile`` start or end event."""
        if event.is_start:
            if self._depth == 0:
                self._t0 = (time.process_time(), time.perf_counter())
            self._depth += 1
        elif event.is_end:
            self._depth = max(0, self._depth - 1)
            if self._depth == 0:
                self.seconds += time.process_time() - self._t0[0]
                self.wall_seconds += time.perf_counter() - self._t0[1]
                self.compiles += 1
                self.write()

    def install(self) -> "CompileRecorder":
        from numba.core import event

        if not self._installed:
            if self._listener is None:
                recorder = self

                class _Forward(event.Listener):  # numba accepts Listener subclasses only
                    def on_start(self, ev):
                        recorder.notify(ev)

                    def on_end(self, ev):
                        recorder.notify(ev)

                self._listener = _Forward()
            event.register("numba:compile", self._listener)
            self._installed = True
        self.write()
        return self

    def uninstall(self) -> None:
        from numba.core import event

        if self._installed:
            event.unregister("numba:compile", self._listener)
            self._installed = False

    def as_dict(self) -> dict:
        return {"numba_compile_seconds": round(self.seconds, 3),
                "numba_compile_wall_seconds": round(self.wall_seconds, 3),
                "numba_compiles": self.compiles}

    def write(self) -> None:
        if self.sidecar is None:
            return
        self.sidecar.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.sidecar.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.as_dict()) + "\n")
        tmp.replace(self.sidecar)


_RECORDER: dict = {}


def install_compile_recorder(notebook: str) -> CompileRecorder | None:
    """Install (once per process) the recorder writing ``$KERNELNET_TIMINGS_DIR/<notebook>.json``;
    does nothing and returns ``None`` when the variable is unset (a reader's own Jupyter)."""
    folder = os.environ.get(TIMINGS_ENV)
    if not folder:
        return None
    rec = _RECORDER.get("current")
    if rec is None:
        rec = _RECORDER["current"] = CompileRecorder()
    rec.sidecar = Path(folder) / f"{notebook}.json"
    return rec.install()


def read_sidecar(folder, notebook: str) -> dict | None:
    """The recorder's numbers for ``notebook``, or ``None`` if it wrote none."""
    path = Path(folder) / f"{notebook}.json"
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def children_cpu_seconds() -> float:
    """User + system CPU seconds of this process's finished (reaped) children: the delta around
    a papermill run is the kernel's CPU time."""
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def machine_load() -> list | None:
    """The 1, 5 and 15 minute load averages, or ``None`` where the platform has none."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def _number(value, name: str):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or value < 0:
        raise ValueError(f"{name} must be a non-negative number or None, got {value!r}")
    return float(value)


def timings_record(chapters: dict, *, cpu_count, load_start, load_end, jobs, commit: str = "",
                   created: str = "", source: str = "", notes=(), unit_jobs=None) -> dict:
    """A full build's timings record.

    ``chapters`` maps a notebook stem to ``{"wall_seconds", "cpu_seconds",
    "numba_compile_seconds", "started"}``; a value not measured is ``None`` (never 0).
    ``jobs``: chapters run at a time; ``unit_jobs``: worker processes of each chapter's sweeps
    (``None``: serial; :mod:`kernelnet.parallel`). CPU seconds include those workers'.
    """
    if not isinstance(chapters, dict):
        raise ValueError(f"chapters must be a dict, got {type(chapters).__name__}")
    rows = {}
    for stem, row in sorted(chapters.items()):
        rows[stem] = {key: _number(row.get(key), f"chapters[{stem!r}][{key!r}]")
                      for key in ("wall_seconds", "cpu_seconds", "numba_compile_seconds")}
        rows[stem]["started"] = row.get("started")
        if row.get("note"):
            rows[stem]["note"] = str(row["note"])
    return {"schema": SCHEMA, "quick": False, "created": created, "commit": commit,
            "source": source, "cpu_count": cpu_count, "jobs": jobs, "unit_jobs": unit_jobs,
            "load_average_start": load_start, "load_average_end": load_end,
            "notes": list(notes), "chapters": rows}


def write_timings(record: dict, path) -> Path:
    path = Path(path)
    if record.get("schema") != SCHEMA or "chapters" not in record:
        raise ValueError(f"record is not a timings record of schema {SCHEMA}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    return path


def read_timings(path) -> dict | None:
    """The record at ``path``, or ``None`` if there is none; a record of another schema or not
    JSON raises ``ValueError`` naming the file."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        record = json.loads(path.read_text())
    except ValueError as exc:
        raise ValueError(f"{path} is not JSON: {exc}") from None
    if not isinstance(record, dict) or record.get("schema") != SCHEMA:
        raise ValueError(f"{path} is not a timings record of schema {SCHEMA}")
    return record


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"


def _load(record: dict) -> str:
    vals = [v[0] for v in (record.get("load_average_start"), record.get("load_average_end"))
            if v]
    if record.get("load_note"):
        return str(record["load_note"])
    if not vals:
        return "load not recorded"
    lo, hi = min(vals), max(vals)
    return f"1-minute load average {lo:g}" if lo == hi else f"1-minute load average {lo:g}-{hi:g}"


def _elapsed(rows: dict) -> float | None:
    """Seconds from the earliest chapter start to the latest chapter end, if every timed
    chapter has its start time."""
    import datetime as dt

    spans = []
    for row in rows.values():
        if row.get("wall_seconds") is None:
            continue
        try:
            start = dt.datetime.fromisoformat(str(row.get("started")))
        except ValueError:
            return None
        spans.append((start, start + dt.timedelta(seconds=row["wall_seconds"])))
    if not spans:
        return None
    return (max(e for _, e in spans) - min(s for s, _ in spans)).total_seconds()


def rerun_cost_sentence(record: dict | None, chapters=()) -> str:
    """What a full-size rerun costs, from ``record`` (``None``: say there is no record).
    ``chapters``: the book's chapter stems, so that a chapter missing from the record is named."""
    if not record:
        return ("No full-size run has been timed yet (`results/timings/full.json` is absent), so "
                "this page cannot say what a full rerun costs.")
    rows = record.get("chapters", {})
    walls = {k: v["wall_seconds"] for k, v in rows.items() if v.get("wall_seconds") is not None}
    cpus = [v["cpu_seconds"] for v in rows.values() if v.get("cpu_seconds") is not None]
    longest = max(walls, key=walls.get) if walls else None
    text = (f"A full-size rerun (`QUICK = False`) of the {len(walls)} timed "
            f"chapter{'s' if len(walls) != 1 else ''} took "
            f"{_minutes(sum(walls.values()))} of wall time summed over chapters")
    if cpus and len(cpus) == len(walls):
        text += f" ({_minutes(sum(cpus))} of CPU time)"
    else:
        text += " (wall time only: CPU time was not recorded)"
    jobs = record.get("jobs", "?")
    text += (f" on {record.get('cpu_count', '?')} cores, "
             + ("one chapter at a time" if jobs == 1 else f"{jobs} chapters at a time"))
    unit_jobs = record.get("unit_jobs")
    if isinstance(unit_jobs, int) and unit_jobs != 1:
        workers = "every core" if unit_jobs == -1 else f"{unit_jobs} worker processes"
        text += f" with each chapter's sweeps on {workers}"
    elapsed = _elapsed(rows)
    if elapsed is not None:
        text += f" ({_minutes(elapsed)} from the first chapter's start to the last one's end)"
    text += f", {_load(record)}, at commit `{str(record.get('commit', '?'))[:7]}`"
    if longest:
        text += f"; the longest chapter, `{longest}`, took {_minutes(walls[longest])}"
    text += "."
    missing = sorted(set(chapters) - set(walls))
    if missing:
        text += " Not in the record: " + ", ".join(f"`{m}`" for m in missing) + "."
    return text
