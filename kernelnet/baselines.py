r"""The poster table's back-propagation baselines: MLPs trained with cross-entropy or MSE.

Source: seed ``000_a367beca8db76124.txt`` (Experiment 4: "MLPs of the same size trained via SGD,
where instead of HSIC, MSE and CE are used as the empirical risk") and the authors' code for them
(``Neural_Indicator_Kernel_ISM`` @ 708cb2d: ``src/tests/run_single_mlp_via_sgd.py``,
``src/networks/MLP.py``, ``src/tools/basic_optimizer.py``; summarised in ``data/README.md``).

What the authors ran (PyTorch):

* architecture ``Linear(d, 400)-ReLU``, then :math:`L - 1` times ``Linear(400, 400)-ReLU``, then
  ``Linear(400, c)``, with :math:`L` the depth of the ISM network fitted on the same fold;
* Adam, learning rate :math:`10^{-3}`, mini-batches of 10, shuffled every epoch, at most 5000
  epochs;
* stop when the maximum mini-batch loss of an epoch is below :math:`10^{-5}`, or, once more than
  300 epochs are stored, when a straight line fitted to the last (at most 400) epochs' maximum
  batch loss has slope :math:`\ge 0`;
* CE: cross-entropy on the :math:`c` outputs, prediction = argmax;
  MSE: ``mse_loss(sum of the c outputs, integer label)``, prediction = ``round(sum)`` (regression
  on the class index);
* inputs z-scored, train and test fold each with its own mean and standard deviation.

:class:`MLPBaseline` runs the same recipe with scikit-learn's
:class:`~sklearn.neural_network.MLPClassifier` (CE) and
:class:`~sklearn.neural_network.MLPRegressor` (MSE), one ``partial_fit`` call per epoch so that
the authors' stopping rule can be applied between epochs. Set as the authors did:
``hidden_layer_sizes=(400,) * L``, ``activation="relu"``, ``solver="adam"``,
``learning_rate_init=1e-3``, ``batch_size=10``, ``shuffle=True``, Adam's
:math:`\beta_1 = 0.9, \beta_2 = 0.999, \epsilon = 10^{-8}` (PyTorch's defaults too), and
``alpha=0`` (no L2 penalty: the authors use none; scikit-learn's default would be
:math:`10^{-4}`).

Remaining deviations (each also listed in the chapter ``03_the_paper_table``):

1. **Initialisation.** scikit-learn draws weights and biases uniformly in
   :math:`\pm\sqrt{6/(\text{fan}_\text{in} + \text{fan}_\text{out})}` (Glorot); the authors use
   ``kaiming_normal_`` (normal, std :math:`\sqrt{2/\text{fan}_\text{in}}`) and PyTorch's default
   biases. scikit-learn offers no choice of initialiser.
2. **MSE output.** scikit-learn's regressor has one linear output unit; the authors sum
   :math:`c` linear outputs, which is also one linear function of the last hidden layer but
   initialised with :math:`c` times the variance.
3. **Loss scaling.** scikit-learn's squared loss is :math:`\tfrac12` the mean squared error the
   authors use. Adam's step is invariant to a constant factor on the loss (up to
   :math:`\epsilon`), so this changes nothing but the printed loss; the stopping threshold below
   is applied to the authors' scale (twice scikit-learn's loss).
4. **Stopping statistic.** scikit-learn reports the mean loss of an epoch, not its largest
   mini-batch loss, so the authors' rule (floor :math:`10^{-5}`; non-negative slope over the last
   :math:`\le 400` epochs once more than 300 are done) is applied to the epoch-mean loss. The
   mean is at most the maximum, so the floor can stop a fit earlier than the authors'.
5. **Epoch cap.** ``max_epochs`` (the authors: 5000) is lowered by the poster-table experiment
   so that the 160 baseline fits of the full table fit its time budget; a fit stopped by the cap
   has ``stop_reason_ == "max_epochs"``. See ``kernelnet.experiments.poster_table``.
6. **Labels for MSE.** The regression target is the class index :math:`0, \dots, c-1` (the
   labels sorted), whatever codes the file uses (cancer stores 2/4, wine 1/2/3); a rounded
   prediction outside :math:`0..c-1` counts as wrong, as in the authors' code.

References: Kingma and Ba (2015), Adam; Glorot and Bengio (2010); He et al. (2015).
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ._validation import (
    as_labels,
    as_matrix,
    check_choice,
    check_int,
    check_positive,
    classifier_data,
)

__all__ = ["LOSSES", "MLPBaseline", "AUTHORS_SETTINGS"]

#: Losses :class:`MLPBaseline` accepts.
LOSSES = ("ce", "mse")

#: The authors' settings (``data/README.md``), for the record and the chapter's table.
AUTHORS_SETTINGS = {
    "width": 400,
    "batch_size": 10,
    "learning_rate": 1e-3,
    "optimizer": "Adam",
    "max_epochs": 5000,
    "loss_floor": 1e-5,
    "slope_min_epochs": 300,
    "slope_window": 400,
    "init": "kaiming_normal_ (fan_in)",
    "l2": 0.0,
}


class MLPBaseline(ClassifierMixin, BaseEstimator):
    r"""An MLP of depth ``n_layers`` and width 400 trained as the authors' CE / MSE baseline.

    .. math::

       h_0 = x, \quad h_l = \operatorname{ReLU}(A_l h_{l-1} + b_l) \ (l = 1..L), \quad
       f(x) = A_{L+1} h_L + b_{L+1},

    trained by Adam on :math:`\tfrac1B \sum_{i \in \text{batch}} \ell(f(x_i), y_i)` with
    :math:`\ell` the cross-entropy (``loss="ce"``, :math:`c` outputs, prediction
    :math:`\arg\max`) or the squared error to the class index (``loss="mse"``, one output,
    prediction :math:`\operatorname{round} f(x)`). See the module docstring for the authors'
    settings and every remaining deviation.

    Parameters
    ----------
    loss : {"ce", "mse"}
    n_layers : int >= 1
        Number of hidden layers :math:`L` (the poster table uses the ISM net's depth).
    width : int, default 400
    batch_size : int, default 10
    learning_rate : float, default 1e-3
    max_epochs : int, default 5000
        The authors' cap; the poster-table experiment lowers it (module docstring, item 5).
    loss_floor : float, default 1e-5
        Stop once the epoch's training loss (authors' scale) is below this.
    slope_min_epochs, slope_window : int, default 300, 400
        Stop once more than ``slope_min_epochs`` epochs are done and the least-squares slope of
        the last ``slope_window`` epoch losses is :math:`\ge 0`.
    random_state : int or None
        Seeds scikit-learn's initialisation and shuffling (an int below :math:`2^{32}`).

    Attributes
    ----------
    model_ : MLPClassifier or MLPRegressor
    classes_ : ndarray
    n_features_in_ : int
    n_epochs_ : int
    stop_reason_ : {"loss_floor", "slope", "max_epochs"}
    loss_curve_ : list of float
        Epoch-mean training loss on the authors' scale.
    fit_time_ : float
        Seconds spent in training (the poster's Time column).

    Notes
    -----
    A scikit-learn classifier (``tests/test_common.py`` runs ``check_estimator``'s checks on
    both losses): :meth:`predict` always returns one of ``classes_``, so an MSE output that
    rounds outside :math:`0..c-1` is predicted as the nearest class; :meth:`score` keeps the
    authors' accuracy, in which such an output counts as wrong (module docstring, item 6).
    """

    def __init__(
        self,
        loss="ce",
        *,
        n_layers=1,
        width=400,
        batch_size=10,
        learning_rate=1e-3,
        max_epochs=5000,
        loss_floor=1e-5,
        slope_min_epochs=300,
        slope_window=400,
        random_state=None,
    ):
        self.loss = loss
        self.n_layers = n_layers
        self.width = width
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.max_epochs = max_epochs
        self.loss_floor = loss_floor
        self.slope_min_epochs = slope_min_epochs
        self.slope_window = slope_window
        self.random_state = random_state

    def _check_params(self):
        check_choice(self.loss, "loss", LOSSES)
        check_int(self.n_layers, "n_layers", minimum=1)
        check_int(self.width, "width", minimum=1)
        check_int(self.batch_size, "batch_size", minimum=1)
        check_positive(self.learning_rate, "learning_rate")
        check_int(self.max_epochs, "max_epochs", minimum=1)
        check_positive(self.loss_floor, "loss_floor")
        check_int(self.slope_min_epochs, "slope_min_epochs", minimum=1)
        check_int(self.slope_window, "slope_window", minimum=2)
        if self.random_state is not None:
            check_int(self.random_state, "random_state", minimum=0, maximum=2**32 - 1)

    def _make_model(self):
        from sklearn.neural_network import MLPClassifier, MLPRegressor

        cls = MLPClassifier if self.loss == "ce" else MLPRegressor
        return cls(
            hidden_layer_sizes=(int(self.width),) * int(self.n_layers),
            activation="relu",
            solver="adam",
            alpha=0.0,
            batch_size=int(self.batch_size),
            learning_rate_init=float(self.learning_rate),
            beta_1=0.9,
            beta_2=0.999,
            epsilon=1e-8,
            shuffle=True,
            random_state=self.random_state,
            max_iter=1,  # ignored by partial_fit: one epoch per call
        )

    def fit(self, X, y):
        """Train on ``(X, y)`` (already preprocessed); returns ``self``."""
        self._check_params()
        # scikit-learn's checks first, then ours (_validation.classifier_data)
        X, y = classifier_data(self, X, y)
        X = as_matrix(X, "X", min_rows=2)
        codes, classes = as_labels(y, "y", n_samples=X.shape[0])
        self.classes_ = classes
        model = self._make_model()
        scale = 1.0 if self.loss == "ce" else 2.0  # sklearn's squared loss is MSE / 2
        target = codes if self.loss == "ce" else codes.astype(np.float64)
        kw = {"classes": np.arange(classes.shape[0])} if self.loss == "ce" else {}
        curve = []
        reason = "max_epochs"
        from sklearn.exceptions import ConvergenceWarning

        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            for epoch in range(1, int(self.max_epochs) + 1):
                model.partial_fit(X, target, **kw)
                kw = {}
                curve.append(float(model.loss_) * scale)
                if curve[-1] < self.loss_floor:
                    reason = "loss_floor"
                    break
                if epoch > self.slope_min_epochs:
                    tail = np.asarray(curve[-int(self.slope_window):])
                    slope = np.polyfit(np.arange(tail.size, dtype=np.float64), tail, 1)[0]
                    if slope >= 0:
                        reason = "slope"
                        break
        self.fit_time_ = time.perf_counter() - t0
        self.model_ = model
        self.loss_curve_ = curve
        self.n_epochs_ = len(curve)
        self.stop_reason_ = reason
        return self

    def _check_fitted(self, X):
        check_is_fitted(self, "model_")  # NotFittedError, a ValueError: "... is not fitted yet"
        try:
            X = validate_data(self, X, reset=False, dtype=np.float64)
        except ValueError as exc:
            if "features, but" in str(exc):
                raise ValueError(f"X must have {self.n_features_in_} columns: {exc}") from None
            raise ValueError(f"X: {exc}") from None
        return as_matrix(X, "X", n_cols=self.n_features_in_)

    def predict_codes(self, X) -> np.ndarray:
        """Predicted class index 0..c-1 (MSE: ``round`` of the output, possibly out of range)."""
        X = self._check_fitted(X)
        if self.loss == "ce":
            return np.asarray(self.model_.predict(X), dtype=np.int64)
        return np.rint(self.model_.predict(X)).astype(np.int64)

    def predict(self, X) -> np.ndarray:
        """Predicted labels, always among ``classes_``: an MSE output that rounds outside
        :math:`0..c-1` is given the nearest class (:meth:`score` counts it as wrong)."""
        codes = np.clip(self.predict_codes(X), 0, self.classes_.shape[0] - 1)
        return self.classes_[codes]

    def score(self, X, y) -> float:
        """The authors' accuracy: :meth:`predict_codes` against ``y`` (encoded with the training
        classes), an MSE output rounding outside :math:`0..c-1` counting as wrong."""
        index = {v: i for i, v in enumerate(self.classes_.tolist())}
        codes = np.array([index.get(v, -2) for v in np.asarray(y).tolist()], dtype=np.int64)
        return float(np.mean(self.predict_codes(X) == codes))

    def output(self, X) -> np.ndarray:
        r"""The network's output before the loss: the :math:`c` logits (CE) or the scalar
        regression output (MSE), shape (n, c) or (n, 1)."""
        H = self.hidden_output(X)
        out = H @ self.model_.coefs_[-1]
        out += self.model_.intercepts_[-1]
        return np.ascontiguousarray(out)

    def hidden_output(self, X) -> np.ndarray:
        r"""The last hidden layer :math:`h_L(x)` (n x width), the representation the poster's
        H*, MSE, CE, C and T columns are measured on for the baselines."""
        X = self._check_fitted(X)
        H = X
        for A, b in zip(self.model_.coefs_[:-1], self.model_.intercepts_[:-1]):
            H = H @ A
            H += b
            np.maximum(H, 0.0, out=H)
        return np.ascontiguousarray(H)
