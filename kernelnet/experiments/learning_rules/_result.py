r"""Chapter 5: the result of :func:`run`, :class:`LearningRulesChapter`."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class LearningRulesChapter:
    """Everything chapter 5 shows: the tables the figures draw, and the findings."""

    lagrangian: dict
    estimates: dict
    bias: dict
    curves: dict
    scaling: dict
    activation: dict
    linear: dict
    hebbian: dict
    pca: dict
    deep_linear: dict
    perceptron: pd.DataFrame
    params: dict
    findings: tuple
    updates: dict = None
    dl_checks: dict = None
