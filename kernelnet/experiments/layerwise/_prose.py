"""The findings' values glued for the prose of both chapters."""

from __future__ import annotations

import math


def _fmt_value(v) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if math.isinf(v):
            return "never"
        if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e5):
            return f"{v:.1e}"
        return f"{v:.3g}" if abs(v) < 100 else f"{v:,.0f}"
    return str(v)


def glue_values(findings) -> None:
    """Glue every value of every finding for the prose, as ``claim-<key>-v-<name>``.

    Formatted once here (ints with thousands separators, floats to 3 significant digits,
    below 1e-3 in scientific notation, ``inf`` as "never"), so the chapter text quotes the
    numbers the findings carry and nothing else.
    """
    from myst_nb import glue

    from ...claims import glue_key

    for f in findings:
        for k, v in f.values.items():
            glue(glue_key(f.claim_id, "v-" + k), _fmt_value(v), display=False)
