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


def _selected_chapters(session):
    """The chapters the selected tests need, or None when some selected test needs them all.

    A test that takes a ``name`` parameter needs that chapter only; any other test using
    ``executed_notebooks`` (the book build, the PDF, the registry check) needs every chapter.
    So ``pytest tests/test_notebooks.py -k 06`` executes chapter 06 alone."""
    names = set()
    for item in session.items:
        if "executed_notebooks" not in getattr(item, "fixturenames", ()):
            continue
        name = getattr(getattr(item, "callspec", None), "params", {}).get("name")
        if name is None:
            return None
        names.add(name)
    return names


@pytest.fixture(scope="session")
def executed_notebooks(request):
    """The chapters the session needs (normally all), executed once in quick mode into
    _build/executed (one run per session)."""
    from kernelnet.build import discover_notebooks, execute_all

    jobs = int(os.environ.get("KERNELNET_JOBS", "2"))
    wanted = _selected_chapters(request.session)
    paths = [p for p in discover_notebooks(ROOT) if wanted is None or p.stem in wanted]
    records = execute_all(ROOT, ROOT / "_build" / "executed", quick=True, jobs=jobs,
                          notebooks=paths, progress=False)
    return {r.notebook: r for r in records}


def _call_within(seconds, fn, *args, **kwargs):
    """Call ``fn(*args, **kwargs)`` and fail the test if it has not returned after ``seconds``.

    pytest-timeout is not in requirements-lock.txt, so hangs (the failure mode of issue 20,
    item 1) are caught with a daemon thread: the result or exception comes back as usual; on a
    timeout the test fails at once (the stuck thread keeps its core until the session ends,
    which is acceptable for a failing run)."""
    import threading

    box = {}

    def target():
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            box["error"] = exc

    th = threading.Thread(target=target, daemon=True)
    th.start()
    th.join(seconds)
    if th.is_alive():
        pytest.fail(f"{getattr(fn, '__name__', fn)} did not return within {seconds} s (hang)")
    if "error" in box:
        raise box["error"]
    return box.get("value")


@pytest.fixture
def within():
    """``within(seconds, fn, *args, **kwargs)``: call with a time limit (see _call_within)."""
    return _call_within
