"""Where a result came from: git state, machine, library versions, source digests and time.

One home for the provenance both records need: the sidecar of every figure
(:func:`kernelnet.figures.provenance`) and the committed tables' ``provenance.json``
(:mod:`kernelnet.experiments.poster_table`). Each caller keeps its own field names; this module
only measures.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import importlib
import os
import platform
import subprocess
from pathlib import Path

#: The folder that holds ``kernelnet/`` (the repository root in a checkout).
_ROOT = Path(__file__).resolve().parents[1]
#: Import names of distributions whose name differs from the module's.
_IMPORT_NAME = {"scikit-learn": "sklearn"}


def now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def git_state(root=None) -> dict:
    """The commit of the source tree and whether it has uncommitted changes.

    Parameters
    ----------
    root : path, optional
        A folder inside the repository; default the one that holds ``kernelnet/``.

    Returns
    -------
    dict
        ``commit``: ``git rev-parse HEAD``; ``dirty``: tracked files changed anywhere in the
        tree; ``kernelnet_dirty``: tracked files changed below ``kernelnet/``. Each is None when
        git cannot tell (no git, not a repository). ``$KERNELNET_GIT_COMMIT`` overrides all
        three, for runs from an exported snapshot of a commit (no ``.git``): the commit is its
        value, and both flags are ``$KERNELNET_GIT_DIRTY == "1"``.
    """
    if os.environ.get("KERNELNET_GIT_COMMIT"):
        dirty = os.environ.get("KERNELNET_GIT_DIRTY", "0") == "1"
        return {"commit": os.environ["KERNELNET_GIT_COMMIT"], "dirty": dirty,
                "kernelnet_dirty": dirty}
    cwd = _ROOT if root is None else Path(root)

    def run(*args):
        try:
            p = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                               timeout=10)
            return p.stdout.strip() if p.returncode == 0 else None
        except (OSError, subprocess.SubprocessError):
            return None

    status = run("status", "--porcelain", "--untracked-files=no")
    pkg_status = run("status", "--porcelain", "--untracked-files=no", "--", "kernelnet")
    return {"commit": run("rev-parse", "HEAD"),
            "dirty": None if status is None else bool(status),
            "kernelnet_dirty": None if pkg_status is None else bool(pkg_status)}


def versions(*names) -> dict:
    """``__version__`` of each named distribution that can be imported (others are left out),
    e.g. ``versions("numpy", "scikit-learn")``."""
    out = {}
    for name in names:
        try:
            out[name] = importlib.import_module(_IMPORT_NAME.get(name, name)).__version__
        except ImportError:
            pass
    return out


def blas_kernels() -> list:
    """``"<library> <version> <kernel family>"`` of each loaded BLAS (OpenBLAS picks its
    kernels per processor: e.g. ``Haswell`` on AMD EPYC, ``SkylakeX`` on a Xeon)."""
    from threadpoolctl import threadpool_info

    return sorted(f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')}"
                  for i in threadpool_info() if i.get("user_api") == "blas")


def machine() -> dict:
    """The machine a result is computed on: ``platform``, ``python``, ``cpu_count``, the
    versions of numpy, scipy, scikit-learn and numba, ``blas`` (:func:`blas_kernels`), and where
    the system tells them, ``cpu`` (the processor's model name) and ``load_average``."""
    info = {"platform": platform.platform(), "python": platform.python_version(),
            "cpu_count": os.cpu_count(),
            **versions("numpy", "scipy", "scikit-learn", "numba")}
    info["blas"] = blas_kernels()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:  # pragma: no cover
        pass
    try:
        info["load_average"] = list(os.getloadavg())
    except OSError:  # pragma: no cover
        pass
    return info


def source_digests(modules, *, package=None) -> dict:
    """SHA-256 of library sources, by module.

    Parameters
    ----------
    modules : sequence of str
        Paths below the package without ``.py``, e.g. ``("hsic", "experiments/poster_table")``.
    package : path, optional
        The package folder; default ``kernelnet/``.

    Returns
    -------
    dict
        ``"kernelnet/<m>.py"``: the file's digest (None when it does not exist), or, for a
        module that is a package (a folder), ``"kernelnet/<m>/"``: the digest of its ``.py``
        files' names and digests in name order.
    """
    pkg = _ROOT / "kernelnet" if package is None else Path(package)
    out = {}
    for mod in modules:
        folder, file = pkg / mod, pkg / f"{mod}.py"
        if folder.is_dir():
            h = hashlib.sha256()
            for p in sorted(folder.glob("*.py")):
                h.update(f"{p.name}\0{hashlib.sha256(p.read_bytes()).hexdigest()}\n".encode())
            out[f"kernelnet/{mod}/"] = h.hexdigest()
        else:
            out[f"kernelnet/{mod}.py"] = (hashlib.sha256(file.read_bytes()).hexdigest()
                                          if file.exists() else None)
    return out
