"""scikit-learn's estimator checks for the project's estimators.

Small settings (few layers, few random features, a short bandwidth list; narrow MLPs and few
epochs) keep each of the ~50 checks fast; the defaults are exercised in
``tests/test_layerwise.py`` and ``tests/test_poster_table.py``. The MSE baseline regresses on the
class index, so it needs a wider net and more epochs than the CE one to pass
``check_classifiers_train`` (accuracy above 0.83 on three blobs; 30 epochs at width 32 pass,
40 leave a margin).
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from kernelnet.baselines import MLPBaseline
from kernelnet.layerwise import LayerwiseKernelNet

ESTIMATORS = [
    LayerwiseKernelNet(method="ism", max_layers=3, n_features=50),
    LayerwiseKernelNet(method="closed_form", max_layers=3, ws_n_sigmas=5),
    MLPBaseline("ce", width=16, max_epochs=15),
    MLPBaseline("mse", width=32, max_epochs=40),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
