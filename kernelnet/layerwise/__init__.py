r"""Layer-wise kernel networks: the closed-form :math:`W_s` and the ISM :math:`W^*` (seed 000).

Source: poster "Layer-wise learning via kernel embedding" (Masoomi, Wu, Gretton, Dy; seed
``000_a367beca8db76124.txt``) and the paper Wu, Masoomi, Gretton, Dy, "Deep Layer-wise Networks
Have Closed-Form Weights", AISTATS 2022. Readings of the garbled poster text follow
``DEFINITIONS.md``; how the authors' code behaves (widths, bandwidths, stopping rules, random
features, last layer) follows ``data/README.md``.

A network is grown greedily. Layer :math:`l` takes the previous representation
:math:`R_{l-1}` (:math:`n \times m`), a linear map :math:`W_l` (:math:`m \times q`,
:math:`W_l^\top W_l = I`) and a bandwidth :math:`\sigma_l`, and maximises (eq. 1)

.. math::

   \mathcal H(W) = \operatorname{Tr}\big(\Gamma K_{R W}\big) = \sum_{ij} \Gamma_{ij}
   \exp\Big(-\frac{\lVert W^\top (r_i - r_j)\rVert^2}{2\sigma^2}\Big),
   \qquad \Gamma = H Y Y^\top H .

Its gradient is :math:`\nabla \mathcal H(W) = \tfrac{2}{\sigma^2} Q(W) W` with (eq. 9)

.. math::

   Q(W) = R^\top\big(\Psi - \operatorname{Diag}(\Psi \mathbf 1)\big) R
        = -\tfrac12 \sum_{ij} \Psi_{ij} (r_i - r_j)(r_i - r_j)^\top,
   \qquad \Psi = \Gamma \odot K_{RW},

so a stationary point on the Stiefel manifold spans an invariant subspace of :math:`Q(W)`; ISM
takes the eigenvectors of the :math:`q` largest eigenvalues and iterates to a fixed point.

Public functions (used by the chapters on Claims 4-6 and by the tests):
:func:`label_gamma`, :func:`layer_objective`, :func:`layer_gradient`, :func:`ism_matrix`,
:func:`ism_surrogate`, :func:`eq11_terms`, :func:`penalty_weight_sum`, :func:`stiefel_gradient`,
:func:`stiefel_ascent`, :func:`random_stiefel`,
:func:`closed_form_weights`, :func:`orthonormalize`, :func:`ism_fixed_point`, :func:`ism_width`,
:func:`hsic_optimal_sigma`, :func:`random_fourier_features`, :func:`scatter_ratio`,
:func:`distance_ratio`, :func:`ideal_kernel_distance`, :func:`silhouette`,
:func:`output_metrics`, :func:`ws_extra_groups`; and the estimator :class:`LayerwiseKernelNet`.

Kernels go through :func:`kernelnet.kernels.gaussian_kernel`, HSIC values through
:mod:`kernelnet.hsic`. The one exception is the inner ISM loop, which evaluates
:math:`\Psi = \Gamma \odot K` in a preallocated buffer (a layer-specific fused computation; a
test checks it against ``gaussian_kernel``).

The code sits in private files, one per topic, all re-exported here: ``_objective`` (eqs. 1,
9-11 and the Stiefel manifold), ``_ism`` (the ISM solver and the ISM network's grower), ``_ws``
(:math:`W_s` and its grower), ``_bandwidth`` (bandwidth search, random features),
``_metrics`` (separation measures and the table's output columns), ``_estimator``
(:class:`LayerwiseKernelNet`, which hands the growing to the grower of its method) and
``_common`` (helpers they share).
"""

from kernelnet.layerwise._bandwidth import (
    _SIGMA_GRID,
    hsic_optimal_sigma,
    random_fourier_features,
)
from kernelnet.layerwise._common import _fit_blas_threads, _sign_fix, _sq_dists
from kernelnet.layerwise._estimator import LayerwiseKernelNet
from kernelnet.layerwise._ism import RANK_TOL, ism_fixed_point, ism_width
from kernelnet.layerwise._metrics import (
    distance_ratio,
    ideal_kernel_distance,
    output_metrics,
    scatter_ratio,
    silhouette,
)
from kernelnet.layerwise._objective import (
    eq11_terms,
    ism_matrix,
    ism_surrogate,
    label_gamma,
    layer_gradient,
    layer_objective,
    orthonormalize,
    penalty_weight_sum,
    random_stiefel,
    stiefel_ascent,
    stiefel_gradient,
)
from kernelnet.layerwise._ws import closed_form_weights, ws_extra_groups

# Private names that other modules and tests use through this package: _SIGMA_GRID
# (experiments.poster_table's provenance), _fit_blas_threads (poster_table.ism_sensitivity and
# the reproducibility test), _sign_fix (that test), _sq_dists (experiments.layerwise).

__all__ = [
    "LayerwiseKernelNet",
    "label_gamma",
    "layer_objective",
    "layer_gradient",
    "ism_matrix",
    "ism_surrogate",
    "eq11_terms",
    "stiefel_gradient",
    "stiefel_ascent",
    "random_stiefel",
    "penalty_weight_sum",
    "closed_form_weights",
    "ws_extra_groups",
    "orthonormalize",
    "ism_fixed_point",
    "ism_width",
    "hsic_optimal_sigma",
    "random_fourier_features",
    "scatter_ratio",
    "distance_ratio",
    "ideal_kernel_distance",
    "silhouette",
    "output_metrics",
]
