r"""The closed-form weights :math:`W_s` of eq. 2, the extra columns for misclassified samples,
and the grower of the :math:`W_s` network (the authors' ``NIK_Thm1_Release_V2``).
"""

from __future__ import annotations

import math
import time

import numpy as np
from sklearn.kernel_approximation import RBFSampler
from sklearn.neighbors import KNeighborsClassifier

from kernelnet._validation import (
    as_labels,
    as_matrix,
    check_choice,
    check_int,
    one_hot,
    pow2_rescale,
)
from kernelnet.kernels import gaussian_kernel
from kernelnet.layerwise._bandwidth import _opt_sigma
from kernelnet.layerwise._common import Grown, _centred_one_hot
from kernelnet.layerwise._metrics import _kernel_label_stats, _layer_metrics, _silhouette
from kernelnet.layerwise._objective import orthonormalize

def _authors_rff(Z, sigma):
    """scikit-learn ``RBFSampler`` features at ``sigma`` with the authors' settings (200
    components, ``random_state=1``; ``NIK_Thm1_Release_V2``, ``kchain.map_to_RKHS_via_RFF``)."""
    gamma = 1.0 / (2.0 * float(sigma) ** 2)
    return RBFSampler(gamma=gamma, n_components=200, random_state=1).fit_transform(Z)


def ws_extra_groups(Z, codes, n_classes, input_width, rule, *, first_layer=False):
    r"""Training rows behind the extra W_s columns of the next layer, one group per class.

    Parameters
    ----------
    Z : array, shape (n, m)
        The previous layer's output on the training set (the network input X at layer 1).
    codes : int array, shape (n,)
        Class codes 0..c-1.
    n_classes : int
        c; the first c columns of ``Z`` are the class columns, the rest earlier extras.
    input_width : int
        The width d of the network input X.
    rule : {"authors", "normalized", "raw", "none"}
        ``"authors"``: groups only when ``m != input_width``, misclassified = ``argmax(Z) !=
        y`` over all m columns (``NIK_Thm1_Release_V2``). ``"raw"``/``"normalized"``: groups
        at every layer but the first, argmax over the c class columns. ``"none"``: no groups.
    first_layer : bool
        True when ``Z`` is X itself (``"raw"``/``"normalized"`` add nothing there).

    Returns
    -------
    list of int arrays
        For each class k in order with at least one misclassified training row, the sorted row
        indices of class k misclassified by the argmax rule.
    """
    Z = as_matrix(Z, "Z")
    codes = np.asarray(codes)
    c = check_int(n_classes, "n_classes", minimum=1)
    check_int(input_width, "input_width", minimum=1)
    check_choice(rule, "rule", ("authors", "normalized", "raw", "none"))
    if codes.shape != (Z.shape[0],):
        raise ValueError(f"codes must have one entry per row of Z ({Z.shape[0]}), got {codes.shape}")
    if rule == "none":
        return []
    if rule == "authors":
        if Z.shape[1] == int(input_width):
            return []
        pred = np.argmax(Z, axis=1)
    else:
        if first_layer:
            return []
        if Z.shape[1] < c:
            raise ValueError(f"Z must have at least n_classes = {c} columns, got {Z.shape[1]}")
        pred = np.argmax(Z[:, :c], axis=1)
    groups = []
    for k in range(c):
        g = np.flatnonzero((codes == k) & (pred != k))
        if g.size:
            groups.append(g)
    return groups


def closed_form_weights(R, y, *, orthonormal: bool = False) -> np.ndarray:
    r"""The closed-form weights :math:`W_s` of eq. 2: one column per class.

    .. math::

       W_s = \Big[\tfrac{1}{\sqrt{\zeta_1}} \textstyle\sum_{i \in \mathcal S_1} r_i,
       \;\dots,\; \tfrac{1}{\sqrt{\zeta_c}} \sum_{i \in \mathcal S_c} r_i\Big],
       \qquad \sqrt{\zeta_k} = \Big\lVert \sum_{i \in \mathcal S_k} r_i \Big\rVert

    (seed 000, eq. 2; each class sum scaled to unit norm, as the authors' code does). The columns
    are not orthogonal in general; ``orthonormal=True`` returns the Q factor of a QR
    decomposition (:func:`orthonormalize`), which spans the same space and is what is compared
    with :math:`W^*` under :math:`W^\top W = I` (DEFINITIONS.md).

    Parameters
    ----------
    R : array_like, shape (n, m)
    y : array_like, shape (n,)
    orthonormal : bool

    Returns
    -------
    W : ndarray, shape (m, c)
    """
    R = as_matrix(R, "R", min_rows=2)
    codes, classes = as_labels(y, "y", n_samples=R.shape[0], x_name="R")
    R = pow2_rescale(R)  # W is scale-invariant; the column norms overflow near 1e154
    S = R.T @ one_hot(codes, classes.shape[0])
    norms = np.linalg.norm(S, axis=0)
    if np.any(norms == 0):
        raise ValueError("R has a class whose rows sum to zero: W_s is undefined")
    W = S / norms
    return orthonormalize(W) if orthonormal else W


class WsGrower:
    """Grows the closed-form network (:math:`W_s`) layer by layer;
    ``LayerwiseKernelNet(method="closed_form")``.

    Its attributes are the estimator's parameters of the same names (see
    :class:`~kernelnet.layerwise.LayerwiseKernelNet` for what each means), already checked.
    """

    PARAMETERS = ("max_layers", "stop", "target", "sigma", "sigma_max_samples", "hsic_exit",
                  "ws_smallest_sigma", "ws_n_sigmas", "ws_append_misclassified",
                  "ws_normaliser", "n_neighbors")

    def __init__(self, **params):
        for name in self.PARAMETERS:
            setattr(self, name, params.pop(name))
        if params:
            raise TypeError(f"unknown parameters {sorted(params)}")

    def grow(self, X, codes, c, rng) -> Grown:
        """Layers on ``(X, codes)`` (``c`` classes) until the stopping rule; ``rng`` draws the
        bandwidth subsamples."""
        n = X.shape[0]
        A = _centred_one_hot(codes, c)
        Y = one_hot(codes, c)
        Zin = X
        layers, history = [], []
        fixed = not isinstance(self.sigma, str)
        if fixed:
            start = float(self.sigma)
        else:
            start = max(_opt_sigma(X, codes, c, self.sigma_max_samples, rng), 0.1)
        h_prev = 0.1
        stop_reason = "max_layers"
        for ell in range(1, self.max_layers + 1):
            tl = time.perf_counter()
            groups = [np.flatnonzero(codes == k) for k in range(c)]
            groups += ws_extra_groups(Zin, codes, c, X.shape[1], self.ws_append_misclassified,
                                      first_layer=ell == 1)
            n_extra = len(groups) - c
            if fixed:
                cands = [start]
            else:
                lo = float(self.ws_smallest_sigma)
                cands = list(np.logspace(np.log10(start), np.log10(lo), int(self.ws_n_sigmas)))
            accepted = None
            for sa in cands:
                Kin = gaussian_kernel(Zin, sigma=sa)
                F = _authors_rff(Zin, sa) if self.ws_normaliser == "rff" else None
                S = np.zeros((n, len(groups)))
                for j, g in enumerate(groups):
                    if j < c and F is not None:
                        norm = max(float(np.linalg.norm(F[g].sum(axis=0))), 1e-300)
                    elif j < c or self.ws_append_misclassified == "normalized":
                        norm = math.sqrt(max(float(Kin[np.ix_(g, g)].sum()), 1e-300))
                    else:
                        norm = 1.0
                    S[g, j] = 1.0 / norm
                Z = Kin @ S
                sb = max(_opt_sigma(Z, codes, c, self.sigma_max_samples, rng), 0.01)
                K = gaussian_kernel(Z, sigma=sb)
                h = _kernel_label_stats(K, A, Y)["nhsic_authors"]
                if h > h_prev or fixed:
                    accepted = (sa, sb, S, Z, K, h)
                    break
            if accepted is None:
                stop_reason = "sigma_list_exhausted"
                break
            sa, sb, S, Z, K, h = accepted
            met = _layer_metrics(K, A, codes, c, Z)
            knn = KNeighborsClassifier(n_neighbors=min(int(self.n_neighbors), n)).fit(Z, codes)
            acc = float(np.mean(knn.predict(Z) == codes))
            layers.append({"ref": Zin, "sigma": sa, "S": S, "sigma_out": sb})
            rec = {
                "layer": ell,
                "method": "closed_form",
                "width": int(S.shape[1]),
                "sigma": sa,
                "sigma_out": sb,
                **met,
                "nhsic": met["nhsic_authors"],
                "silhouette": _silhouette(Z, codes, c),
                "train_accuracy": acc,
                "converged": True,
                "ism_iterations": 0,
                "cycled": False,
                "n_extra_columns": n_extra,
                "n_samples": n,
            }
            rec["time"] = time.perf_counter() - tl
            history.append(rec)
            Zin = Z
            h_prev = h
            start = sb
            if self.stop == "authors" and h > self.hsic_exit:
                stop_reason = "hsic_exit"
                break
            if self.stop == "authors" and not fixed and sa == cands[-1]:
                # kchain.exit_loop: the accepted sigma_a is the list's smallest value
                stop_reason = "smallest_sigma"
                break
            if self.stop == "target" and h >= self.target:
                stop_reason = "target"
                break
        if not layers:
            # no bandwidth raised the HSIC above 0.1: there is no layer to classify with
            raise ValueError(
                "closed_form: no bandwidth in the candidate list raised the normalised HSIC "
                "above 0.1 at layer 1; the data carry no usable label signal"
            )
        knn = KNeighborsClassifier(n_neighbors=min(int(self.n_neighbors), n)).fit(Zin, codes)
        return Grown(layers, history, stop_reason, {"knn_": knn})

    @staticmethod
    def layer_output(Zin, layer):
        """A fitted layer's output for new inputs ``Zin``: the kernel sums of eq. 2."""
        K = gaussian_kernel(Zin, layer["ref"], sigma=layer["sigma"])
        return K @ layer["S"]
