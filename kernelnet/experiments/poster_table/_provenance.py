"""Where a committed table came from: time, git state, source digests, machine."""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
import platform
import subprocess
from pathlib import Path


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _git(root: Path) -> dict:
    """Commit of the source tree (``$KERNELNET_GIT_COMMIT`` / ``$KERNELNET_GIT_DIRTY`` override it,
    for runs from an exported snapshot of a commit) and whether ``kernelnet/`` had changes."""
    if os.environ.get("KERNELNET_GIT_COMMIT"):
        return {"commit": os.environ["KERNELNET_GIT_COMMIT"],
                "kernelnet_dirty": os.environ.get("KERNELNET_GIT_DIRTY", "0") == "1"}

    def run(*args):
        try:
            p = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                               timeout=10)
            return p.stdout.strip() if p.returncode == 0 else None
        except (OSError, subprocess.SubprocessError):
            return None

    status = run("status", "--porcelain", "--untracked-files=no", "--", "kernelnet")
    return {"commit": run("rev-parse", "HEAD"),
            "kernelnet_dirty": None if status is None else bool(status)}


def _source_digests() -> dict:
    """SHA-256 of the sources the table's numbers depend on: of a module's file, or of a
    package's ``.py`` files (each file's name and digest, in name order)."""
    pkg = Path(__file__).resolve().parents[2]
    out = {}
    for mod in ("layerwise", "baselines", "experiments/poster_table", "hsic", "kernels",
                "datasets", "parallel"):
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


def _blas_kernels() -> list:
    """``"<library> <version> <kernel family>"`` of each loaded BLAS (OpenBLAS picks its
    kernels per processor: e.g. ``Haswell`` on AMD EPYC, ``SkylakeX`` on a Xeon)."""
    from threadpoolctl import threadpool_info

    return sorted(f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')}"
                  for i in threadpool_info() if i.get("user_api") == "blas")


def _machine() -> dict:
    import numpy
    import scipy
    import sklearn

    info = {"platform": platform.platform(), "python": platform.python_version(),
            "cpu_count": os.cpu_count(), "numpy": numpy.__version__, "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__}
    info["blas"] = _blas_kernels()
    try:
        import numba

        info["numba"] = numba.__version__
    except ImportError:  # pragma: no cover
        pass
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
