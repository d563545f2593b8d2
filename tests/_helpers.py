"""Helpers shared by several test modules (one home for each; tests/ has no ``__init__.py``, so
import them as ``from _helpers import name``: pytest puts this folder on ``sys.path``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from kernelnet import claims

ROOT = Path(__file__).resolve().parent.parent


def chapter_glue_problems(findings, prose: dict, notebook: str) -> list[str]:
    """What stops a chapter's run from supplying every number its notebook's prose reads.

    Checks that the findings name distinct ids of the claims registry, that every value of
    ``prose`` (the chapter's ``prose(res)``) is a non-empty string, and that every
    ``{glue:text}`` key in the markdown of ``notebooks/<notebook>.ipynb`` is either a key of
    ``prose`` or published by ``claims.publish`` for one of the findings (the verdict or its
    note). Returns one message per problem; ``[]`` when there is none.
    """
    problems = []
    ids = [f.claim_id for f in findings]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        problems.append(f"claim ids published more than once: {twice}")
    unknown = sorted(set(ids) - set(claims.registry().id))
    if unknown:
        problems.append(f"claim ids not in the registry: {unknown}")
    empty = sorted(k for k, v in prose.items() if not (isinstance(v, str) and v))
    if empty:
        problems.append(f"prose values that are not non-empty strings: {empty}")
    nb = json.loads((ROOT / "notebooks" / f"{notebook}.ipynb").read_text())
    used = set()
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            used |= set(re.findall(r"\{glue:text\}`([^`]+)`", "".join(cell["source"])))
    published = {claims.glue_key(i) for i in ids} | {claims.glue_key(i, "note") for i in ids}
    missing = sorted(used - set(prose) - published)
    if missing:
        problems.append(f"keys the notebook reads that nothing glues: {missing}")
    return problems
