"""Small shared helpers for the benchmark scripts: timing, peak memory, machine facts.

Timing: :func:`best_time` runs a callable a few times after warm-up calls and keeps the fastest run
(the machines are shared: the minimum is the least disturbed run).

Peak memory: ``tracemalloc`` does not see allocations made by numba's runtime or BLAS, so memory is
read from the kernel instead. :func:`reset_peak` writes ``5`` to ``/proc/self/clear_refs``, which
resets the process's peak resident set size (``VmHWM``) to the current one (Linux >= 4.0); after
the measured call, ``VmHWM - VmRSS(before)`` is the peak *extra* resident memory of that call
(:func:`peak_extra_mib`). Run each measured route in a fresh process (:func:`run_child`) so that
memory kept by an earlier route (allocator caches, first-touched pages) does not hide its cost, and
so that numba's spinning OpenMP threads do not slow another route's BLAS calls.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time

__all__ = [
    "best_time",
    "best_wall_cpu",
    "reset_peak",
    "rss_kib",
    "hwm_kib",
    "peak_extra_mib",
    "run_child",
    "machine_info",
    "load_average",
]


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not found in /proc/self/status")


def rss_kib() -> int:
    """Current resident set size (KiB)."""
    return _status_kib("VmRSS")


def hwm_kib() -> int:
    """Peak resident set size since start or the last :func:`reset_peak` (KiB)."""
    return _status_kib("VmHWM")


def reset_peak() -> bool:
    """Reset ``VmHWM`` to the current RSS. Returns False where the kernel does not allow it."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def peak_extra_mib(fn, *args, **kwargs):
    """Run ``fn(*args, **kwargs)`` once; return (result, peak extra resident memory in MiB)."""
    if not reset_peak():
        raise RuntimeError("cannot reset VmHWM (/proc/self/clear_refs): no memory measurement")
    before = rss_kib()
    out = fn(*args, **kwargs)
    return out, (hwm_kib() - before) / 1024.0


def best_time(fn, *args, repeat: int = 3, warmup: int = 1, **kwargs):
    """Best wall time (s) of ``repeat`` calls after ``warmup`` calls; returns (time, last result)."""
    out = None
    for _ in range(warmup):
        out = fn(*args, **kwargs)
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        best = min(best, time.perf_counter() - t0)
    return best, out


def best_wall_cpu(fn, *args, repeat: int = 3, warmup: int = 1, **kwargs):
    """Best wall time and best process CPU time (all threads, s) of ``repeat`` calls after
    ``warmup`` calls; returns (wall, cpu, last result).

    On a shared machine the wall time of a 2-thread call depends on what else runs; the CPU time
    (``time.process_time``) is the work the call did, which load changes much less (it still
    includes spinning threads and cache contention).
    """
    out = None
    for _ in range(warmup):
        out = fn(*args, **kwargs)
    wall = cpu = float("inf")
    for _ in range(repeat):
        c0 = time.process_time()
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        wall = min(wall, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
    return wall, cpu, out


def run_child(argv, *, env=None, timeout=3600):
    """Run ``python argv...`` in a fresh process; its last stdout line must be JSON (returned)."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    proc = subprocess.run(
        [sys.executable, *argv], capture_output=True, text=True, env=full_env, timeout=timeout
    )
    if proc.returncode != 0:
        raise RuntimeError(f"child {argv} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as ``uptime`` prints them."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def machine_info() -> dict:
    """CPU model, core count, memory and library versions (numpy, numba, scipy, BLAS)."""
    info = {"python": platform.python_version(), "cpus": os.cpu_count()}
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            key, _, val = line.partition(":")
            if key.strip() == "Model name":
                info["cpu"] = val.strip()
        info["avx512f"] = "avx512f" in out
    except OSError:
        info["cpu"] = platform.processor()
    try:
        with open("/proc/meminfo") as fh:
            info["mem_gib"] = round(int(fh.readline().split()[1]) / 2**20, 1)
    except OSError:
        pass
    import numpy

    info["numpy"] = numpy.__version__
    for mod in ("numba", "scipy", "sklearn", "threadpoolctl", "hyppo"):
        try:
            info[mod] = __import__(mod).__version__
        except ImportError:
            info[mod] = None
    try:
        from threadpoolctl import threadpool_info

        info["blas"] = sorted(
            {f"{d.get('internal_api')} {d.get('version')} ({d.get('architecture')})"
             for d in threadpool_info() if d.get("user_api") == "blas"}
        )
    except Exception:  # pragma: no cover - informative only
        info["blas"] = None
    return info
