"""Fold files: one JSON file per finished unit, so that a long run can resume."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np

from . import COLUMNS
from ._units import _unit_params


def _fold_path(folder: Path, dataset: str, method: str, fold: int) -> Path:
    return Path(folder) / f"{dataset}__{method}__fold{int(fold):02d}.json"


def _jsonable(v):
    if isinstance(v, (np.floating, float)):
        v = float(v)
        return v if math.isfinite(v) else (None if math.isnan(v) else ("inf" if v > 0 else "-inf"))
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return v


def _write_fold(folder: Path, result: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    r = result["row"]
    path = _fold_path(folder, r["dataset"], r["method"], r["fold"])
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(_jsonable(result), indent=1, sort_keys=True) + "\n")
    os.replace(tmp, path)


def _read_fold(folder: Path, unit: dict) -> dict | None:
    """The stored result of ``unit`` if present and made with the same parameters."""
    path = _fold_path(folder, unit["dataset"], unit["method"], unit["fold"])
    if not path.exists():
        return None
    try:
        stored = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    if stored.get("params") != _jsonable(_unit_params(unit)):
        return None
    row = {k: (math.nan if v is None and k in COLUMNS else v) for k, v in stored["row"].items()}
    for k, v in row.items():
        if v in ("inf", "-inf"):
            row[k] = float(v)
    stored["row"] = row
    return stored
