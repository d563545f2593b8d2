"""Shared fixtures. Notebook and book tests run last (they reuse the numba cache the library
tests warmed, ANCHORS.md trap 20) and share one papermill execution per session."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def pytest_collection_modifyitems(config, items):
    slow = [i for i in items if i.get_closest_marker("notebooks") or i.get_closest_marker("book")]
    rest = [i for i in items if i not in slow]
    slow.sort(key=lambda i: 0 if i.get_closest_marker("notebooks") else 1)
    items[:] = rest + slow


@pytest.fixture(scope="session")
def executed_notebooks():
    """Every chapter executed once in quick mode into _build/executed (one run per session)."""
    from kernelnet.build import execute_all

    jobs = int(os.environ.get("KERNELNET_JOBS", "2"))
    records = execute_all(ROOT, ROOT / "_build" / "executed", quick=True, jobs=jobs,
                          progress=False)
    return {r.notebook: r for r in records}
