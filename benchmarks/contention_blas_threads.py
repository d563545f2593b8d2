"""Chapter 04's curvature step with 1 or 2 BLAS threads, alone and beside a busy co-runner.

Usage: ``python benchmarks/contention_blas_threads.py`` (about 3 minutes on 2 cores; run it on an
otherwise quiet machine). Prints wall and process-CPU seconds of
``curvature_vs_distance((0.1,))`` at the chapter's size (n = 500, n_f = 50, n_c = 10, m = 40) for
each condition, and whether the tables of the two thread counts are identical. The co-runner is
a second Python process spinning on one core. Results: benchmarks/README.md, "Full book".
"""
import json
import subprocess
import sys
import time

from kernelnet._threads import limit_threads
from kernelnet.experiments.single_layer._experiments_recovery import curvature_vs_distance


def main():
    out, tables = {}, {}
    for load in ("quiet", "one busy co-runner"):
        co = None if load == "quiet" else subprocess.Popen(
            [sys.executable, "-c", "while True: pass"])
        try:
            for threads in (1, 2):
                with limit_threads(threads):
                    w, c = time.perf_counter(), time.process_time()
                    df = curvature_vs_distance((0.1,), n=500, n_f=50, n_c=10, m=40,
                                               random_state=0)
                    w, c = time.perf_counter() - w, time.process_time() - c
                out[f"{load}, {threads} BLAS threads"] = {"wall_s": round(w, 1),
                                                          "cpu_s": round(c, 1)}
                tables[(load, threads)] = df
                print(f"{load:20s} {threads} BLAS threads: wall {w:6.1f} s, CPU {c:6.1f} s",
                      flush=True)
        finally:
            if co is not None:
                co.kill()
    num = tables[("quiet", 1)].select_dtypes("number").columns
    diff = (tables[("quiet", 1)][num] - tables[("quiet", 2)][num]).abs().max().max()
    out["largest |1 thread - 2 threads|"] = float(diff)
    out["2 threads identical quiet and loaded"] = bool(
        tables[("quiet", 2)].equals(tables[("one busy co-runner", 2)]))
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
