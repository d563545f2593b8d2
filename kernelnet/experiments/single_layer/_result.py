r"""Chapter 4: the result of :func:`run`, :class:`SingleLayerChapter`."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ._experiments_ledger import Adversarial
from ._experiments_recovery import InverseCrime


@dataclass(frozen=True)
class SingleLayerChapter:
    """Everything chapter 4 shows: the tables and arrays the figures draw, and the findings."""

    ranks: pd.DataFrame
    peaks: pd.DataFrame
    peaks_fit: dict
    n_illconditioned: int
    checks: dict
    landscape: dict
    crime: InverseCrime
    crime_near_truth: InverseCrime
    recovery: pd.DataFrame
    identifiability: dict
    curvature: pd.DataFrame
    budgets: pd.DataFrame
    block_variants: pd.DataFrame
    adversarial: Adversarial
    params: dict
    findings: tuple
    ledger: dict = None
