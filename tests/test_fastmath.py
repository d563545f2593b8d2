"""The fastmath rule of CONTRIBUTING.md: no fastmath, or an explicit subset of the allowed flags."""

import ast
from pathlib import Path

import kernelnet

ALLOWED = {"contract", "reassoc", "nsz"}


def _fastmath_options():
    root = Path(kernelnet.__file__).parent
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                for kw in node.keywords:
                    if kw.arg == "fastmath":
                        yield f"{path.relative_to(root)}:{node.lineno}", kw.value


def test_every_fastmath_is_an_explicit_allowed_set():
    seen = 0
    for where, value in _fastmath_options():
        seen += 1
        assert isinstance(value, ast.Set), (
            f"{where}: fastmath must be a set of flags, not {ast.unparse(value)}")
        flags = {ast.literal_eval(e) for e in value.elts}
        assert flags <= ALLOWED, f"{where}: fastmath flags {sorted(flags - ALLOWED)} are not allowed"
    assert seen == 5  # _exp_nonpos, _gauss_tile, _dot4, _sum_sumsq_cols, _d_matvec_nb
