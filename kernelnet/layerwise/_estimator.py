r"""The estimator :class:`LayerwiseKernelNet`: checks its parameters and the data, hands the
growing to the grower of its method (:class:`~kernelnet.layerwise._ism.IsmGrower`,
:class:`~kernelnet.layerwise._ws.WsGrower`) and classifies with the grown network.
"""

from __future__ import annotations

import numbers
import time

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import TransformerTags
from sklearn.utils.validation import check_is_fitted, validate_data

from kernelnet._validation import (
    as_labels,
    as_rng,
    check_choice,
    check_int,
    check_positive,
    classifier_data,
)
from kernelnet.layerwise._common import _blas_one_thread
from kernelnet.layerwise._ism import IsmGrower, _check_single_range, nearest_centre
from kernelnet.layerwise._ws import WsGrower

class LayerwiseKernelNet(ClassifierMixin, BaseEstimator):
    r"""Layer-wise kernel network trained without backpropagation (seed 000, Claims 1-6).

    Each layer maximises eq. 1, :math:`\operatorname{Tr}(\Gamma\, \psi(R W)\psi(R W)^\top)`
    s.t. :math:`W^\top W = I`, given the previous layer's output :math:`R`:

    * ``method="ism"`` (:math:`W^*`, Claim 5, eq. 9; the authors' ``Neural_Indicator_Kernel_ISM``):
      bandwidth :math:`\sigma_l` = :func:`hsic_optimal_sigma` of the layer input (at most 200
      subsampled points; its log rounded to a grid of :math:`2^{-10}`, 0.1 % steps, so that
      rounding does not move it), width :math:`q_l` = :func:`ism_width` (50 % of the
      singular-value sum, at least :math:`2c`), :math:`W_l` = :func:`ism_fixed_point`
      (relative eigenvalue change below ``ism_tol``; a detected 2-cycle or ``ism_max_iter``
      leaves ``converged=False``),
      output :math:`\psi(R W_l)` = ``n_features`` random Fourier features at :math:`\sigma_l`
      (frequencies :math:`\Omega = W_l^\top G`, :math:`G` standard normal: the authors'
      distribution, and the features depend on the span of :math:`W_l` only, not on its basis).
      Default stop (``stop="authors"``): the silhouette of :math:`R W_l` exceeds 0.95, or changes
      by less than 0.001 while above 0.80. Last layer: supervised kernel PCA, the eigenvectors
      of the :math:`c-1` nonzero eigenvalues of :math:`\Phi^\top \Gamma \Phi` (rank
      :math:`c-1`; the authors take :math:`c`, the last of which is an arbitrary null vector);
      prediction by the nearest class centre of the training outputs.
    * ``method="closed_form"`` (:math:`W_s`, eq. 2; the authors' ``NIK_Thm1_Release_V2``): the
      layer output is the kernel mean embedding :math:`z_k(x) = \sum_{j \in \mathcal S_k}
      k_{\sigma_a}(r_j, x) / \lVert \sum_{j \in \mathcal S_k} \phi(r_j)\rVert` (the kernel trick:
      :math:`R W_s` with :math:`R` the infinite feature map; the norm is computed exactly, or,
      with ``ws_normaliser="rff"``, approximated with 200 random features as the authors do),
      plus extra columns for the training
      samples the previous layer misclassified (``ws_append_misclassified``; ``"authors"`` is the
      published code's rule).
      :math:`\sigma_a` is the first value of ``np.logspace(log10(start), log10(ws_smallest_sigma),
      ws_n_sigmas)`` that raises the normalised HSIC (authors' variant) of the output, measured
      with a Gaussian kernel at the output's HSIC-optimal :math:`\sigma_b` (at least 0.01); start
      = HSIC-optimal sigma of X (at least 0.1) for layer 1, the previous :math:`\sigma_b` after.
      Default stop (``stop="authors"``, ``kchain.exit_loop``): normalised HSIC > 0.95, or no
      candidate raises it, or the accepted :math:`\sigma_a` is the last candidate (the list's
      smallest value). Prediction: 5-nearest neighbours on the last output. The authors' settings
      per data set: ``kernelnet.datasets.authors_ws_options(name)``.

    Other stopping rules: ``stop="target"`` stops once the normalised HSIC (authors' variant) of
    the layer kernel reaches ``target`` (a fraction of :math:`\mathcal H^* = 1`);
    ``stop="max_layers"`` grows exactly ``max_layers`` layers (W_s: fewer if its bandwidth list
    runs out). ``max_layers`` (30, the authors' cap) bounds every rule.

    Preprocessing is the caller's: the authors z-score train and test folds separately and, for
    W_s, add N(0, 0.02^2) noise to the training features (see ``kernelnet.experiments``).
    BLAS is pinned to one thread during ``fit`` (many small ``eigh`` calls; PERFORMANCE.md).

    Parameters
    ----------
    method : {"ism", "closed_form"}
    stop : {"authors", "target", "max_layers"}
    target : float in (0, 1]
        Normalised HSIC at which ``stop="target"`` stops.
    max_layers : int, default 30
    sigma : "auto" or float > 0
        ``"auto"``: the authors' per-layer rule above; a number fixes :math:`\sigma_l` (ISM) or
        :math:`\sigma_a` (W_s, no search) for every layer.
    sigma_max_samples : int, default 200
        Subsample size of the bandwidth optimisation.
    width : "auto" or int
        ISM width :math:`q` (``"auto"``: :func:`ism_width`; an int is clipped to min(n, m)).
    variance_kept : float, default 0.5
    n_features : int, default 400
        Random Fourier features per ISM layer.
    ism_tol : float, default 0.01
    ism_max_iter : int, default 200
    ism_precision : {"double", "single"}, default "double"
        Floating-point precision of the n x n products and eigensolves inside the ISM loop.
        ``"double"`` (float64) makes a fit independent of the processor: the BLAS library picks
        its kernels per processor (OpenBLAS: ``Haswell`` kernels on AMD EPYC, ``SkylakeX`` on
        Xeon), and their sums round differently. A network feeds each layer's rounding through
        the next layer's bandwidth search, ISM iteration and random features
        (:math:`\cos(\Omega^\top z/\sigma + b)` multiplies a change of :math:`z` by about
        :math:`\lVert\Omega\rVert/\sigma`), so float32 rounding (~1e-7) reaches the
        stopping rule's decisions within a few layers: the float32 table made on AMD EPYC
        differs in depth or test accuracy on 19 of 80 ISM folds when rerun on a Xeon (cancer,
        authors' fold 1: 8 layers there, 12 on the Xeon). In float64 the same rounding stays below
        ~1e-7 relative through ten layers on the real data sets (tests/test_reproducibility.py).
        ``"single"`` (float32) is 2-3x faster (PERFORMANCE.md) and lands on the same layer
        fixed points to ~1e-6, but whole networks then depend on the processor and the BLAS
        thread count.
    silhouette_exit, silhouette_plateau, silhouette_floor : float
        ISM stopping rule constants (0.95, 0.001, 0.80).
    hsic_exit : float, default 0.95
        W_s stopping threshold (normalised HSIC, authors' variant).
    ws_smallest_sigma : float, default 0.05
    ws_n_sigmas : int, default 20
    ws_append_misclassified : {"authors", "normalized", "raw", "none"}, default "normalized"
        Extra W_s columns, one per class that has training samples the previous layer
        misclassified; each is the kernel sum over those samples.

        * ``"authors"``: the published code's rule exactly (``NIK_Thm1_Release_V2``,
          ``kchain.obtain_avg_direction_kernel_trick_with_extra_dimensions``): extras are built
          only when the previous output's width differs from the network input's width (never
          at layer 1, whose input is X; never on a data set whose d equals c, e.g. adversarial
          with d = c = 2); "misclassified" is the argmax over **all** columns of the previous
          output, earlier extra columns included (a sample whose largest entry is an extra
          column counts as misclassified); normaliser 1 (the plain kernel sum).
        * ``"raw"``: from layer 2 on always, argmax over the first c (class) columns only,
          normaliser 1.
        * ``"normalized"`` (default, the book's variant): as ``"raw"`` but each extra column is
          scaled to unit embedding norm like the class columns.
        * ``"none"``: no extra columns (width c at every layer).
    ws_normaliser : {"exact", "rff"}, default "exact"
        How the class columns' normaliser :math:`\lVert \sum_{j \in \mathcal S_k}
        \phi(r_j)\rVert` is computed: ``"exact"`` from the kernel, :math:`\sqrt{\sum_{i,j \in
        \mathcal S_k} k(r_i, r_j)}`; ``"rff"`` as the authors' code does
        (``kchain.obtain_avg_direction_kernel_trick_with_extra_dimensions``), the norm of the
        class sum of scikit-learn ``RBFSampler(gamma=1/(2 sigma_a^2), n_components=200,
        random_state=1)`` features of the layer input. The approximation moves the argmax of
        borderline samples and so which samples get extra columns (wine, the authors' W_s fold
        2: 3 misclassified with ``"rff"``, 4 exact, and only the first lets layer 2 raise the
        normalised HSIC, as in the authors' log).
    n_neighbors : int, default 5
        W_s classifier.
    random_state : None, int or numpy.random.Generator
        Seeds the bandwidth subsamples and the random features.

    Attributes
    ----------
    classes_ : ndarray, shape (c,)
    n_features_in_ : int
    n_layers_ : int
    history_ : list of dict
        One dict per layer: ``layer``, ``method``, ``width``, ``sigma`` (:math:`\sigma_l`, the
        layer bandwidth; W_s: :math:`\sigma_a`), ``sigma_out`` (the bandwidth of the layer
        kernel :math:`K_l`: ISM :math:`\sigma_l`; W_s :math:`\sigma_b`), ``objective``
        (:math:`\operatorname{Tr}(\Gamma K_l)`), ``hsic`` (:math:`\operatorname{Tr}(K_l H L H)
        / (n-1)^2`, :math:`L = YY^\top`), ``nhsic_authors`` and ``nhsic_cka`` (the two
        normalised variants of DEFINITIONS.md; ``nhsic`` = ``nhsic_authors``), ``scatter_ratio``
        (eq. 6 from :math:`K_l`), ``distance_ratio`` (the authors' :math:`T`, on the layer output:
        for ISM in the exact feature space of :math:`K_l`, distances
        :math:`\sqrt{2 - 2 K_{ij}}`, which the random features approximate; W_s the
        embedding), ``kernel_distance``
        (:math:`\lVert K_l - K^*\rVert_F / n`, eq. 7), ``silhouette`` (of :math:`R W_l` for ISM,
        of the output for W_s), ``train_accuracy`` (the network's classifier applied as if this
        layer were the last), ``time`` (seconds for the layer, metrics included), ``converged``,
        ``ism_iterations``, ``cycled``. :math:`K_l` is the exact Gaussian kernel (not its random
        feature approximation): ISM on :math:`R_{l-1} W_l` at :math:`\sigma_l`; W_s on the
        output at :math:`\sigma_b`.
    stop_reason_ : str
    fit_time_ : float

    Notes
    -----
    Like scikit-learn's ``SVC``, the estimator does not scale its input, and the bandwidth search
    and the stopping rules assume features on comparable scales: the authors z-score every fold.
    Put a ``StandardScaler`` in front of it. On the raw wine data the ISM network scores about
    0.78 in 5-fold cross-validation, behind a scaler about 0.96 (the example below checks both).

    Examples
    --------
    >>> from sklearn.model_selection import cross_val_score
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from kernelnet.datasets import load
    >>> from kernelnet.layerwise import LayerwiseKernelNet
    >>> X, y = load("wine")
    >>> scaled = make_pipeline(StandardScaler(), LayerwiseKernelNet(random_state=0))
    >>> bool(cross_val_score(scaled, X, y, cv=5).mean() > 0.9)
    True
    >>> bool(cross_val_score(LayerwiseKernelNet(random_state=0), X, y, cv=5).mean() < 0.85)
    True
    """

    # "fast" (QR-reduced, fused kernel, subset eigh) or "numpy" (the plain reference route of
    # benchmarks/bench_layerwise.py and the parity test); not a parameter
    _route = "fast"

    def __init__(
        self,
        method="ism",
        *,
        stop="authors",
        target=0.95,
        max_layers=30,
        sigma="auto",
        sigma_max_samples=200,
        width="auto",
        variance_kept=0.5,
        n_features=400,
        ism_tol=0.01,
        ism_max_iter=200,
        ism_precision="double",
        silhouette_exit=0.95,
        silhouette_plateau=0.001,
        silhouette_floor=0.80,
        hsic_exit=0.95,
        ws_smallest_sigma=0.05,
        ws_n_sigmas=20,
        ws_append_misclassified="normalized",
        ws_normaliser="exact",
        n_neighbors=5,
        random_state=None,
    ):
        self.method = method
        self.stop = stop
        self.target = target
        self.max_layers = max_layers
        self.sigma = sigma
        self.sigma_max_samples = sigma_max_samples
        self.width = width
        self.variance_kept = variance_kept
        self.n_features = n_features
        self.ism_tol = ism_tol
        self.ism_max_iter = ism_max_iter
        self.ism_precision = ism_precision
        self.silhouette_exit = silhouette_exit
        self.silhouette_plateau = silhouette_plateau
        self.silhouette_floor = silhouette_floor
        self.hsic_exit = hsic_exit
        self.ws_smallest_sigma = ws_smallest_sigma
        self.ws_n_sigmas = ws_n_sigmas
        self.ws_append_misclassified = ws_append_misclassified
        self.ws_normaliser = ws_normaliser
        self.n_neighbors = n_neighbors
        self.random_state = random_state

    # -- parameters ----------------------------------------------------------------------------

    def _check_params(self):
        check_choice(self.method, "method", ("ism", "closed_form"))
        check_choice(self.stop, "stop", ("authors", "target", "max_layers"))
        t = check_positive(self.target, "target")
        if t > 1:
            raise ValueError(f"target must be in (0, 1], got {self.target!r}")
        check_int(self.max_layers, "max_layers", minimum=1)
        if not (isinstance(self.sigma, str) and self.sigma == "auto"):
            check_positive(self.sigma, "sigma")
        check_int(self.sigma_max_samples, "sigma_max_samples", minimum=2)
        if not (isinstance(self.width, str) and self.width == "auto"):
            check_int(self.width, "width", minimum=1)
        v = check_positive(self.variance_kept, "variance_kept")
        if v > 1:
            raise ValueError(f"variance_kept must be in (0, 1], got {self.variance_kept!r}")
        check_int(self.n_features, "n_features", minimum=1)
        check_positive(self.ism_tol, "ism_tol")
        check_int(self.ism_max_iter, "ism_max_iter", minimum=1)
        check_choice(self.ism_precision, "ism_precision", ("single", "double"))
        for name in ("silhouette_exit", "silhouette_floor", "hsic_exit"):
            val = getattr(self, name)
            if isinstance(val, bool) or not isinstance(val, numbers.Real) or not np.isfinite(val):
                raise ValueError(f"{name} must be a finite number, got {val!r}")
        check_positive(self.silhouette_plateau, "silhouette_plateau")
        check_positive(self.ws_smallest_sigma, "ws_smallest_sigma")
        check_int(self.ws_n_sigmas, "ws_n_sigmas", minimum=1)
        check_choice(
            self.ws_append_misclassified,
            "ws_append_misclassified",
            ("authors", "normalized", "raw", "none"),
        )
        check_choice(self.ws_normaliser, "ws_normaliser", ("exact", "rff"))
        check_int(self.n_neighbors, "n_neighbors", minimum=1)

    # -- fit -----------------------------------------------------------------------------------

    def fit(self, X, y):
        """Grow the network greedily on ``(X, y)``; returns ``self``."""
        self._check_params()
        # scikit-learn's checks first, then ours (_validation.classifier_data)
        X, y = classifier_data(self, X, y)
        codes, classes = as_labels(y, "y", n_samples=X.shape[0])
        if not np.any(X != X[0]):
            raise ValueError("X has all rows equal: no layer can separate the classes")
        if self.method == "ism" and self.ism_precision == "single":
            _check_single_range(X)
        self.classes_ = classes
        rng = as_rng(self.random_state)
        grower = self._grower()
        t0 = time.perf_counter()
        with _blas_one_thread():
            grown = grower.grow(np.ascontiguousarray(X), codes, classes.shape[0], rng)
        self.fit_time_ = time.perf_counter() - t0
        self.layers_, self.history_ = grown.layers, grown.history
        self.stop_reason_ = grown.stop_reason
        for name, value in grown.head.items():  # the last layer's classifier
            setattr(self, name, value)
        self.n_layers_ = len(self.layers_)
        return self

    def _grower(self):
        """The grower of ``method``, holding its parameters (checked by ``_check_params``)."""
        if self.method == "ism":
            params = {p: getattr(self, p) for p in IsmGrower.PARAMETERS}
            return IsmGrower(route=self._route, **params)
        return WsGrower(**{p: getattr(self, p) for p in WsGrower.PARAMETERS})

    # -- inference -----------------------------------------------------------------------------

    def layer_outputs(self, X):
        """Outputs of every layer for ``X``: ISM the random features, W_s the embeddings."""
        check_is_fitted(self, "layers_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        outs = []
        R = np.ascontiguousarray(X)
        layer_output = IsmGrower.layer_output if self.method == "ism" else WsGrower.layer_output
        for layer in self.layers_:
            R = layer_output(R, layer)
            outs.append(R)
        return outs

    def transform(self, X):
        """The representation the network classifies.

        ISM: the supervised kernel-PCA output (n x (c-1)) of the last random-feature layer;
        W_s: the last layer's embedding (n x width).
        """
        R = self.layer_outputs(X)[-1]
        if self.method == "ism":
            return R @ self.skpca_
        return R

    def fit_transform(self, X, y):
        """``fit(X, y)`` then ``transform(X)``."""
        return self.fit(X, y).transform(X)

    def predict_proba(self, X):
        r"""Class probabilities.

        ISM: :math:`p_k \propto \exp(-\lVert f - \mu_k\rVert^2 / (2 s^2))` with :math:`\mu_k` the
        training class centres and :math:`s^2` the mean within-class squared distance (a
        calibration added here; the paper reports only the nearest-centre label, which is the
        argmax). W_s: the fraction of the ``n_neighbors`` nearest training outputs in each class.
        """
        F = self.transform(X)
        if self.method == "ism":
            d2 = np.sum((F[:, None, :] - self.centres_[None, :, :]) ** 2, axis=2)
            logit = -d2 / (2.0 * self.proba_scale_)
            logit -= logit.max(axis=1, keepdims=True)
            p = np.exp(logit)
            return p / p.sum(axis=1, keepdims=True)
        return self.knn_.predict_proba(F)

    def predict(self, X):
        """ISM: nearest class centre after supervised kernel PCA; W_s: 5-nearest neighbours."""
        F = self.transform(X)
        if self.method == "ism":
            return self.classes_[nearest_centre(F, self.centres_)]
        return self.classes_[self.knn_.predict(F)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        # it has ``transform`` (the representation it classifies), so it is also a transformer;
        # outputs are always float64
        tags.transformer_tags = TransformerTags(preserves_dtype=["float64"])
        return tags
