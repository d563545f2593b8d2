r"""Chapter 5: perceptron mistakes against Novikoff's bound."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kernelnet import learning_rules as lr
from kernelnet._validation import check_int
from kernelnet.parallel import map_units


# ------------------------------------------------------------------------------------------------
# perceptron
# ------------------------------------------------------------------------------------------------


def _perceptron_unit(unit, seed):
    """One data set of :func:`perceptron_mistakes`: fresh separable data, one perceptron run.

    Module level so that :func:`kernelnet.parallel.map_units` can ship it to a worker.
    """
    mg, _, p = unit
    rng = np.random.default_rng(seed)
    X, y, w = lr.separable_data(p["n"], p["d"], mg, random_state=rng)
    bound, R, gamma = lr.novikoff_bound(X, y, w)
    res = lr.perceptron(X, y, max_epochs=10_000, random_state=rng)
    return {"margin": mg, "gamma": gamma, "R": R, "bound": bound,
            "mistakes": res.n_mistakes, "epochs": len(res.mistakes_per_epoch),
            "converged": res.converged}


def perceptron_mistakes(margins=(0.02, 0.05, 0.1, 0.2, 0.4), n=500, d=10, n_datasets=None,
                        quick=True, seed=0, n_jobs=None, backend=None, scheduler=None):
    r"""Perceptron mistakes on separable data against Novikoff's bound :math:`(R/\gamma)^2`.

    The (margin, data set) pairs are independent units run through
    :func:`kernelnet.parallel.map_units` (``n_jobs``, ``backend``, ``scheduler``); each draws its
    data and presentation order from its own generator seeded by ``(seed, unit index)``, so the
    table is identical serially, on local processes or on a Dask cluster.

    Returns
    -------
    DataFrame
        One row per data set: margin (requested), gamma (margin of the teacher), R, bound,
        mistakes, epochs, converged.
    """
    n = check_int(n, "n", minimum=1)
    d = check_int(d, "d", minimum=1)
    n_datasets = check_int(n_datasets if n_datasets is not None else (4 if quick else 20),
                           "n_datasets", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    params = dict(n=n, d=d)
    units = [(mg, rep, params) for mg in margins for rep in range(n_datasets)]
    rows = map_units(_perceptron_unit, units, seed=seed, n_jobs=n_jobs, backend=backend,
                     scheduler=scheduler, desc="perceptron mistakes")
    return pd.DataFrame(rows)
