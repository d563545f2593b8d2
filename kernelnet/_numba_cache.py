"""Key numba's on-disk cache on the library's source, so it can never serve stale machine code.

numba caches a jitted function by the file that defines it and that file's timestamp. A function
compiled with ``cache=True`` that *calls* a jitted function from another module is cached with
the callee inlined, keyed by the caller's file only: edit the callee and the caller's cache entry
still holds the old code. With ``NUMBA_CACHE_DIR`` set (``scripts/_env.sh`` sets it), this
module moves the cache into a sub-folder named after a hash of every ``.py`` file of the package,
so any edit anywhere in the library starts from an empty cache. Called by
``kernelnet/__init__.py`` before any jitted function is defined; it does not import numba.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

__all__ = ["source_key", "key_cache_dir"]


def source_key(package_dir) -> str:
    """SHA-256 (first 16 hex digits) over the relative paths and bytes of a package's .py files."""
    package_dir = Path(package_dir)
    h = hashlib.sha256()
    for path in sorted(package_dir.rglob("*.py")):
        h.update(path.relative_to(package_dir).as_posix().encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()[:16]


def key_cache_dir(package_dir, name: str = "kernelnet") -> str | None:
    """Point ``NUMBA_CACHE_DIR`` at ``<NUMBA_CACHE_DIR>/<name>-<source key>``; returns it.

    Does nothing (returns None) when ``NUMBA_CACHE_DIR`` is not set: numba then caches beside
    the source files. Idempotent: a folder already keyed (e.g. inherited by a notebook kernel
    started from a keyed process) is kept when its key is still current. If numba was imported
    already, its ``config.CACHE_DIR`` is updated too.
    """
    base = os.environ.get("NUMBA_CACHE_DIR")
    if not base:
        return None
    key = f"{name}-{source_key(package_dir)}"
    base_path = Path(base)
    if base_path.name.startswith(f"{name}-"):
        if base_path.name == key:
            return base
        base_path = base_path.parent  # keyed for an older source: re-key from its parent
    target = str(base_path / key)
    os.environ["NUMBA_CACHE_DIR"] = target
    numba = sys.modules.get("numba")
    if numba is not None and hasattr(numba, "config"):
        numba.config.CACHE_DIR = target
    return target
