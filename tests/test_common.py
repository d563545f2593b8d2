"""scikit-learn's estimator checks for the project's estimators.

Small settings (few layers, few random features, a short bandwidth list) keep each of the ~50
checks fast; the defaults are exercised in ``tests/test_layerwise.py``.
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from kernelnet.layerwise import LayerwiseKernelNet

ESTIMATORS = [
    LayerwiseKernelNet(method="ism", max_layers=3, n_features=50),
    LayerwiseKernelNet(method="closed_form", max_layers=3, ws_n_sigmas=5),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
