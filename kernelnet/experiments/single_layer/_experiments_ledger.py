r"""Chapter 4: the adversarial example and the ledger's remaining rows of seed 001."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.optimize

from ..._validation import as_rng, check_choice, check_int
from ...single_layer import (
    cross_entropy,
    dense_hessian,
    gauss_newton,
    random_features,
    single_layer,
    SingleLayerProblem,
    _softmax_columns,
)
from ._experiments_fits import peaks_data


# --------------------------------------------------------------------------------------------
# Adversarial example
# --------------------------------------------------------------------------------------------
@dataclass
class Adversarial:
    """A trained classifier, an image it gets right and the smallest perturbation found."""

    image: np.ndarray
    perturbed: np.ndarray
    label: int
    target: int
    prob_before: np.ndarray
    prob_after: np.ndarray
    path: pd.DataFrame
    test_accuracy: float
    train_accuracy: float
    d_norm: float
    relative_norm: float
    shape: tuple = (8, 8)


def _probs(K, b, W, Y):
    S = W @ single_layer(K, b, Y).Z
    P = np.exp(S - S.max(axis=0))
    return P / P.sum(axis=0)


def adversarial_example(*, m: int = 64, max_iter: int = 40, n_lambda: int = 12,
                        target: int | None = None, index: int = 0,
                        random_state=0) -> Adversarial:
    r"""Fool a single-layer classifier of handwritten digits with a small perturbation.

    Train :math:`K, b, W` on scikit-learn's ``load_digits`` (8 x 8 images scaled to
    :math:`[0, 1]`, 2/3 for training) by Gauss-Newton-CG, take the ``index``-th correctly
    classified test image :math:`y` of class :math:`c` and a target :math:`\hat c \ne c`
    (default: the runner-up class), and solve for decreasing :math:`\lambda`

    .. math::

       \min_{d} \; E\big(W\sigma(K(y + d) + b), \hat c\big) + \frac{\lambda}{2}\|d\|^2
       \quad\text{s.t. } 0 \le y + d \le 1,

    with L-BFGS-B; the gradient in :math:`d` is :math:`J_Y^\top W^\top \nabla_S E`
    (:meth:`kernelnet.single_layer.SingleLayer.JYt`). The result is the perturbation of smallest
    norm among those that make :math:`\hat c` the predicted class (seed 001, "Experiment:
    Adversarial Example"; the box keeps the image a valid image, the penalty trades size
    against success).
    """
    from sklearn.datasets import load_digits

    m = check_int(m, "m", minimum=1)
    n_lambda = check_int(n_lambda, "n_lambda", minimum=1)
    index = check_int(index, "index", minimum=0)
    X, y = load_digits(return_X_y=True)
    rng = as_rng(random_state)
    order = rng.permutation(X.shape[0])
    n_tr = 2 * X.shape[0] // 3
    tr, te = order[:n_tr], order[n_tr:]
    Y = X.T / 16.0
    C = np.eye(10)[:, y]
    prob = SingleLayerProblem(Y[:, tr], C[:, tr], m, bias="vector", reg=1e-4)
    hist = gauss_newton(prob, prob.initial_guess(rng), max_iter=max_iter)
    K, b, W = prob.unpack(hist.x)
    P_tr = _probs(K, b, W, Y[:, tr])
    P_te = _probs(K, b, W, Y[:, te])
    acc_tr = float(np.mean(P_tr.argmax(axis=0) == y[tr]))
    acc_te = float(np.mean(P_te.argmax(axis=0) == y[te]))
    good = te[P_te.argmax(axis=0) == y[te]]
    if index >= good.shape[0]:
        raise ValueError(f"index must be < {good.shape[0]} (correctly classified test images)")
    j = int(good[index])
    img, c = Y[:, j].copy(), int(y[j])
    p0 = _probs(K, b, W, img[:, None])[:, 0]
    if target is None:
        target = int(np.argsort(p0)[-2])
    target = check_int(target, "target", minimum=0, maximum=9)
    if target == c:
        raise ValueError(f"target must differ from the image's class {c}")
    c_hat = np.zeros((10, 1))
    c_hat[target] = 1.0

    def obj(dvec, lam):
        L = single_layer(K, b, (img + dvec)[:, None])
        E, gS, _ = cross_entropy(W @ L.Z, c_hat)
        g = L.JYt((W.T @ gS).ravel(order="F"))
        return E + 0.5 * lam * float(dvec @ dvec), g + lam * dvec

    bounds = list(zip(-img, 1.0 - img))
    rows = []

    def solve(lam, start):
        res = scipy.optimize.minimize(obj, start, args=(lam,), jac=True, method="L-BFGS-B",
                                      bounds=bounds, options=dict(maxiter=300))
        p = _probs(K, b, W, (img + res.x)[:, None])[:, 0]
        pred = int(p.argmax())
        rows.append({"lambda": lam, "d_norm": float(np.linalg.norm(res.x)),
                     "p_target": float(p[target]), "p_true": float(p[c]), "predicted": pred,
                     "fooled": pred == target})
        return res.x, pred == target

    # Continuation from a strong penalty (d ~ 0, not fooled) to a weak one; the first lambda
    # that fools brackets the boundary, which bisection in log(lambda) then narrows: the
    # smallest fooling perturbation sits at the largest fooling lambda.
    dvec = np.zeros_like(img)
    lo = hi = None  # lo: largest lambda seen fooled, hi: smallest lambda seen not fooled
    best = None
    for lam in np.logspace(3, -3, n_lambda):
        dvec, fooled = solve(lam, dvec)
        if fooled:
            lo, best = lam, dvec.copy()
            break
        hi = lam
    if best is not None and hi is not None:
        for _ in range(8):
            mid = float(np.sqrt(lo * hi))
            d_mid, fooled = solve(mid, best)
            if fooled:
                lo, best = mid, d_mid
            else:
                hi = mid
    if best is None:
        best = dvec
    pert = img + best
    return Adversarial(image=img, perturbed=pert, label=c, target=target, prob_before=p0,
                       prob_after=_probs(K, b, W, pert[:, None])[:, 0], path=pd.DataFrame(rows),
                       test_accuracy=acc_te, train_accuracy=acc_tr,
                       d_norm=float(np.linalg.norm(best)),
                       relative_norm=float(np.linalg.norm(best) / np.linalg.norm(img)))


# --------------------------------------------------------------------------------------------
# The ledger's remaining rows of seed 001 (issue 14): separability, linear fit, the
# conjecture, interpolation, depth, vec-Kronecker, the chain rule and the Hessian in K
# --------------------------------------------------------------------------------------------
def _lp_separable(F, y) -> bool:
    """True when a hyperplane separates the columns of ``F`` by the signs ``y`` (LP feasibility).

    Finds (w, c) with y_j (w^T f_j + c) >= 1 for all j (scale-free margin), by
    :func:`scipy.optimize.linprog` with a zero objective.
    """
    d, n = F.shape
    A = -(y[:, None] * np.vstack([F, np.ones((1, n))]).T)
    res = scipy.optimize.linprog(np.zeros(d + 1), A_ub=A, b_ub=-np.ones(n),
                                 bounds=[(None, None)] * (d + 1), method="highs")
    return bool(res.status == 0)


def _ls_accuracy(F, y) -> float:
    """Training accuracy of the least-squares linear classifier sign(w^T f + c)."""
    A = np.vstack([F, np.ones((1, F.shape[1]))]).T
    w = np.linalg.lstsq(A, y, rcond=None)[0]
    return float(np.mean(np.sign(A @ w) == y))


def separability_check(*, n: int = 200, m: int = 50, noise: float = 0.1, random_state=0):
    r"""``001.embed-separable``: two concentric rings, before and after an embedding.

    ``n`` points, half on a ring of radius 1 and half of radius 2 (radial noise ``noise``),
    labels :math:`\pm 1`. Separability by an LP feasibility test and, as a second measure, the
    training accuracy of a least-squares linear classifier, on the raw points, the lifted
    points :math:`(y_1, y_2, y_1^2 + y_2^2)` (a higher dimension) and random tanh features
    :math:`\sigma(KY + b)` of width ``m`` (K, b standard normal: moved and embedded).
    """
    n = check_int(n, "n", minimum=4)
    m = check_int(m, "m", minimum=1)
    rng = as_rng([random_state, 11])
    lab = np.where(np.arange(n) < n // 2, -1.0, 1.0)
    r = np.where(lab < 0, 1.0, 2.0) + noise * rng.standard_normal(n)
    ang = rng.uniform(0, 2 * np.pi, n)
    Y = np.vstack([r * np.cos(ang), r * np.sin(ang)])
    lifted = np.vstack([Y, np.sum(Y**2, axis=0)])
    Z = np.tanh(rng.standard_normal((m, 2)) @ Y + rng.standard_normal((m, 1)))
    out = {"n": n, "m": m}
    for name, F in (("raw", Y), ("lifted", lifted), ("random", Z)):
        out[f"separable_{name}"] = _lp_separable(F, lab)
        out[f"accuracy_{name}"] = _ls_accuracy(F, lab)
    return out


def linear_fit_check(*, n: int = 200, n_f: int = 5, n_c: int = 3, n_rep: int = 20,
                     random_state=0):
    r"""``001.linear-fit``: :math:`C = WY` with rank(Y) < n, and least squares.

    ``n_rep`` draws of Gaussian :math:`Y` (:math:`n_f \times n`) and :math:`C`
    (:math:`n_c \times n`). No exact solution: rank([Y; C]) > rank(Y). Least squares
    :math:`W = CY^\top(YY^\top)^{-1}` (normal equations) against ``lstsq``; its relative
    squared residual :math:`\|WY - C\|^2/\|C\|^2` against the closed form
    :math:`\mathbb E = (n - n_f)/n` for Gaussian C independent of Y (the residual is C projected
    on the :math:`n - n_f` dimensional complement of Y's row space). Control: :math:`C = W_0 Y`
    is fitted exactly.
    """
    n = check_int(n, "n", minimum=2)
    n_f = check_int(n_f, "n_f", minimum=1)
    n_c = check_int(n_c, "n_c", minimum=1)
    n_rep = check_int(n_rep, "n_rep", minimum=2)
    if n_f >= n:
        raise ValueError(f"n_f must be below n (rank(Y) < n), got n_f = {n_f}, n = {n}")
    rng = as_rng([random_state, 12])
    ratios, no_sol, ne_err, ctrl = [], [], [], []
    for _ in range(n_rep):
        Y = rng.standard_normal((n_f, n))
        C = rng.standard_normal((n_c, n))
        no_sol.append(np.linalg.matrix_rank(np.vstack([Y, C])) > np.linalg.matrix_rank(Y))
        W = np.linalg.lstsq(Y.T, C.T, rcond=None)[0].T
        W_ne = np.linalg.solve(Y @ Y.T, Y @ C.T).T
        ne_err.append(float(np.max(np.abs(W - W_ne)) / np.max(np.abs(W))))
        ratios.append(float(np.sum((W @ Y - C) ** 2) / np.sum(C**2)))
        C0 = rng.standard_normal((n_c, n_f)) @ Y
        W0 = np.linalg.lstsq(Y.T, C0.T, rcond=None)[0].T
        ctrl.append(float(np.linalg.norm(W0 @ Y - C0) / np.linalg.norm(C0)))
    ratios = np.array(ratios)
    return {"ratio_mean": float(ratios.mean()),
            "ratio_se": float(ratios.std(ddof=1) / np.sqrt(n_rep)),
            "ratio_closed": (n - n_f) / n, "no_solution_all": bool(all(no_sol)),
            "normal_vs_lstsq": max(ne_err), "control_residual": max(ctrl),
            "n": n, "n_f": n_f, "n_c": n_c, "n_rep": n_rep}


def conjecture_fit_check(*, n: int = 200, n_f: int = 5, n_c: int = 3, ms=(200, 300),
                         activations=("tanh", "relu"), random_state=0):
    r"""``001.conjecture-fit``: with rank(sigma(KY + b)) = n, W sigma(KY + b) = C exactly.

    Gaussian :math:`Y`, random one-hot :math:`C` (arbitrary labels), :math:`K, b` standard
    normal, :math:`m \ge n`. :math:`W` two ways: ``lstsq`` of :math:`Z^\top W^\top = C^\top`
    and :math:`C Z^+` (pseudo-inverse); relative residual :math:`\|WZ - C\|/\|C\|`, beside the
    rank and the condition number of :math:`Z` (rounding allows about
    :math:`\epsilon\,\kappa(Z)`). A control: the identity activation (rank n_f + 1) leaves a
    large residual.
    """
    n = check_int(n, "n", minimum=2)
    rng = as_rng([random_state, 13])
    Y = rng.standard_normal((n_f, n))
    C = np.eye(n_c)[:, rng.integers(0, n_c, n)]
    rows = []
    for act in tuple(activations) + ("identity",):
        for m in ms:
            m = check_int(m, "ms", minimum=1)
            Z = single_layer(rng.standard_normal((m, n_f)), rng.standard_normal(m), Y, act).Z
            W1 = np.linalg.lstsq(Z.T, C.T, rcond=None)[0].T
            W2 = C @ np.linalg.pinv(Z)
            s = np.linalg.svd(Z, compute_uv=False)
            rows.append({"activation": act, "m": m, "n": n, "rank": int(np.linalg.matrix_rank(Z)),
                         "cond": float(s[0] / s[-1]) if s[-1] > 0 else float("inf"),
                         "resid_lstsq": float(np.linalg.norm(W1 @ Z - C) / np.linalg.norm(C)),
                         "resid_pinv": float(np.linalg.norm(W2 @ Z - C) / np.linalg.norm(C))})
    return pd.DataFrame(rows)


def random_labels_interpolation(*, n: int = 150, ms=(150, 225), reg: float = 1e-10,
                                random_state=0) -> pd.DataFrame:
    r"""``001.random-features.interpolate``: random features fit *any* function of the points.

    Peaks points as in :func:`peaks_random_features`, with i.i.d. standard normal targets (a
    function with no structure at all); the training relative error of
    :func:`kernelnet.single_layer.random_features` (tanh, ``reg``) at widths ``ms``, and the
    number of ill-conditioning warnings SciPy raised for its Gram solve (caught, not shown).
    """
    rng = as_rng([random_state, 14])
    Y, _ = peaks_data(n, random_state=rng)
    z = rng.standard_normal((1, n))
    import warnings

    from scipy.linalg import LinAlgWarning

    rows = []
    for m in ms:
        with warnings.catch_warnings(record=True) as caught:  # expected: counted, not shown
            warnings.simplefilter("always", LinAlgWarning)
            rf = random_features(Y, z, m, reg=reg, random_state=rng)
        rows.append({"m": int(m), "train_rel_error":
                     float(np.linalg.norm(rf.predict(Y) - z) / np.linalg.norm(z)),
                     "ill_conditioned": sum(issubclass(w.category, LinAlgWarning)
                                            for w in caught)})
    return pd.DataFrame(rows)


def _deep_forward(Ws, bs, Y):
    H = Y
    for K, b in zip(Ws[:-1], bs):
        H = np.tanh(K @ H + b[:, None])
    return Ws[-1] @ H


def nonconvexity_vs_depth(depths=(1, 2, 3, 4), *, n: int = 200, n_f: int = 10, n_c: int = 5,
                          m: int = 20, n_lines: int = 8, grid: int = 41, radius: float = 2.0,
                          weight_scale: str = "fan-in", random_state=0) -> pd.DataFrame:
    r"""``001.nonconvex-depth``: negative curvature along random lines, by number of layers.

    For each depth L (tanh hidden layers of width ``m``, then a linear layer and softmax
    cross-entropy), a teacher network of that depth generates soft labels from Gaussian inputs
    (the lecture's inverse crime, deeper); along ``n_lines`` random lines through the truth,
    every layer's direction scaled to that layer's norm (the slide's convention), the
    fraction of negative second differences on ``grid`` points in :math:`[-r, r]` (below
    -1e-12 max|E|: rounding) and the number of interior local minima. Weights
    :math:`N(0, 1/\text{fan-in})` (``weight_scale="fan-in"``) or :math:`N(0, 1)` as in the
    lecture's test problem (``"unit"``); biases 0.1.
    """
    check_choice(weight_scale, "weight_scale", ("fan-in", "unit"))
    grid = check_int(grid, "grid", minimum=5)
    n_lines = check_int(n_lines, "n_lines", minimum=1)
    rows = []
    for L in depths:
        L = check_int(L, "depths", minimum=1)
        rng = as_rng([random_state, 15, L])
        Y = rng.standard_normal((n_f, n))
        dims = [n_f] + [m] * L + [n_c]
        Ws = [rng.standard_normal((dims[i + 1], dims[i]))
              / (np.sqrt(dims[i]) if weight_scale == "fan-in" else 1.0)
              for i in range(L + 1)]
        bs = [np.full(m, 0.1) for _ in range(L)]
        C = _softmax_columns(_deep_forward(Ws, bs, Y))[0]
        ts = np.linspace(-radius, radius, grid)
        neg, minima = [], []
        for _ in range(n_lines):
            Ds = [rng.standard_normal(W.shape) for W in Ws]
            Ds = [D * np.linalg.norm(W) / np.linalg.norm(D) for D, W in zip(Ds, Ws)]
            E = np.array([cross_entropy(_deep_forward([W + t * D for W, D in zip(Ws, Ds)], bs,
                                                      Y), C)[0] for t in ts])
            d2 = E[2:] - 2 * E[1:-1] + E[:-2]
            neg.append(float(np.mean(d2 < -1e-12 * np.abs(E).max())))
            minima.append(int(np.sum((E[1:-1] < E[:-2]) & (E[1:-1] < E[2:]))))
        rows.append({"depth": L, "frac_negative": float(np.mean(neg)),
                     "frac_negative_se": float(np.std(neg, ddof=1) / np.sqrt(n_lines))
                     if n_lines > 1 else float("nan"),
                     "local_minima_mean": float(np.mean(minima)), "n_lines": n_lines})
    return pd.DataFrame(rows)


def vec_kron_check(*, p: int = 4, q: int = 3, r: int = 5, h: float = 1e-3, random_state=0):
    r"""``001.vec-kron``: :math:`\mathrm{vec}(AX) = (I\otimes A)\mathrm{vec}(X)` and its mat-vec.

    Column-major vec. Errors (relative, max-abs): the identity itself; the Jacobian of
    :math:`X \mapsto AX` by central differences (exact for a linear map up to rounding)
    against :math:`I\otimes A`; :math:`\mathrm{vec}(A\,\mathrm{mat}(v))` against
    :math:`(I\otimes A)v`. Control: a row-major vec, where the same Kronecker product fails.
    """
    rng = as_rng([random_state, 16])
    A = rng.standard_normal((p, q))
    X = rng.standard_normal((q, r))
    v = rng.standard_normal(q * r)
    J = np.kron(np.eye(r), A)

    def vec(M):
        return M.ravel(order="F")

    def rel(a, b):
        return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))

    Jfd = np.empty((p * r, q * r))
    x0 = vec(X)
    for k in range(q * r):
        e = np.zeros(q * r)
        e[k] = h
        Jfd[:, k] = (vec(A @ (x0 + e).reshape(q, r, order="F"))
                     - vec(A @ (x0 - e).reshape(q, r, order="F"))) / (2 * h)
    return {"identity_err": rel(J @ vec(X), vec(A @ X)), "jacobian_fd_err": rel(Jfd, J),
            "matvec_err": rel(vec(A @ v.reshape(q, r, order="F")), J @ v),
            "control_row_major_err": rel(J @ X.ravel(), (A @ X).ravel()),
            "kron_entries": int(J.size), "matvec_flops": int(2 * p * q * r)}


def gradient_chain_check(*, n: int = 30, n_f: int = 4, m: int = 6, n_c: int = 3,
                         h: float = 1e-6, random_state=0):
    r"""``001.gradient-chain``: the slide's four chain-rule gradients against finite differences.

    :math:`S = WZ`, :math:`Z = \sigma(KY + b)` (tanh, one bias per unit), mean cross-entropy
    against random soft labels. :math:`\nabla_Z E = W^\top\nabla_S E`,
    :math:`\nabla_K E = J_K^\top\nabla_Z E`, :math:`\nabla_b E = J_b^\top\nabla_Z E` (the
    library's :class:`kernelnet.single_layer.SingleLayer` transposes) and
    :math:`\nabla_W E = \nabla_S E\,Z^\top` against central differences (step ``h``). The
    slide's item 4 as written, :math:`\nabla_S E\,Y^\top`, has shape :math:`n_c\times n_f`; on a
    second network with :math:`m = n_f` (where the shapes agree) it is compared too.
    """
    rng = as_rng([random_state, 17])

    def grads(m_):
        Y = rng.standard_normal((n_f, n))
        K = rng.standard_normal((m_, n_f)) / np.sqrt(n_f)
        b = 0.1 * rng.standard_normal(m_)
        W = rng.standard_normal((n_c, m_)) / np.sqrt(m_)
        C = _softmax_columns(rng.standard_normal((n_c, n)))[0]

        def E(K_, b_, W_):
            return cross_entropy(W_ @ single_layer(K_, b_, Y).Z, C)[0]

        L = single_layer(K, b, Y)
        _, G, _ = cross_entropy(W @ L.Z, C)
        gZ = W.T @ G
        g = {"K": L.JKt(gZ.ravel(order="F")).reshape(m_, n_f, order="F"),
             "b": L.Jbt(gZ.ravel(order="F")), "W": G @ L.Z.T}
        fd = {}
        for i, P in enumerate((K, b, W)):
            F = np.zeros_like(P)
            for idx in np.ndindex(P.shape):
                e = np.zeros_like(P)
                e[idx] = h
                plus, minus = [K, b, W], [K, b, W]
                plus[i], minus[i] = P + e, P - e
                F[idx] = (E(*plus) - E(*minus)) / (2 * h)
            fd["KbW"[i]] = F
        err = {k: float(np.max(np.abs(g[k] - fd[k])) / np.max(np.abs(fd[k]))) for k in g}
        as_written = G @ Y.T
        err_w = (float(np.max(np.abs(as_written - fd["W"])) / np.max(np.abs(fd["W"])))
                 if as_written.shape == fd["W"].shape else float("nan"))
        return err, err_w

    err, _ = grads(m)
    _, err_written = grads(n_f)
    return {"err_K": err["K"], "err_b": err["b"], "err_W": err["W"],
            "err_W_as_written": err_written, "n": n, "n_f": n_f, "m": m, "n_c": n_c}


def gn_hessian_check(*, n: int = 40, n_f: int = 5, m: int = 8, n_c: int = 3, h: float = 1e-5,
                     random_state=0):
    r"""``001.gn-hessian``: the Hessian in K as the slide's two terms, built directly.

    At random weights (not a fit, so :math:`\nabla_Z E \ne 0`) against random soft labels:
    :math:`(J_K Z)^\top \nabla^2_Z E\,(J_K Z)` from the dense :math:`J_K` (columns of
    :meth:`SingleLayer.JK`) and :math:`\nabla^2_Z E = (I\otimes W)^\top\nabla^2_S E(I\otimes W)`;
    the second term :math:`\sum_{ij}\nabla^2_K\sigma(KY+b)_{ij}[\nabla_Z E]_{ij}`, block
    diagonal over the rows of K with blocks :math:`\sum_j \sigma''(a_{ij})[\nabla_Z E]_{ij}
    y_j y_j^\top`. Their sum against central differences of the gradient (``fd_err``) and
    against the library's exact Hessian (``lib_err``); the first term's smallest eigenvalue
    over its largest (``gn_min_eig_rel``: >= 0 up to rounding when it is positive
    semi-definite) and the second term's extreme eigenvalues (indefinite when of both signs).
    """
    rng = as_rng([random_state, 18])
    Y = rng.standard_normal((n_f, n))
    C = _softmax_columns(rng.standard_normal((n_c, n)))[0]
    prob = SingleLayerProblem(Y, C, m, bias="vector")
    x = prob.initial_guess(rng)
    K, b, W = prob.unpack(x)
    L = single_layer(K, b, Y)
    _, G, hS = cross_entropy(W @ L.Z, C)
    nK, nZ = m * n_f, m * n
    JK = np.column_stack([L.JK(e) for e in np.eye(nK)])
    HZ = np.column_stack([(W.T @ hS(W @ e.reshape(m, n, order="F"))).ravel(order="F")
                          for e in np.eye(nZ)])
    gn = JK.T @ HZ @ JK
    gZ = W.T @ G
    D2 = -2.0 * L.Z * L.dsigma  # tanh'' from Z and tanh'
    second = np.zeros((nK, nK))
    for i in range(m):
        idx = i + m * np.arange(n_f)  # row i of K in the column-major vec
        second[np.ix_(idx, idx)] = (Y * (D2[i] * gZ[i])) @ Y.T
    total = gn + second
    Hfd = np.empty((nK, nK))
    for k in range(nK):
        e = np.zeros(prob.size)
        e[k] = h
        Hfd[:, k] = (prob.loss_and_gradient(x + e)[1][:nK]
                     - prob.loss_and_gradient(x - e)[1][:nK]) / (2 * h)
    Hfd = 0.5 * (Hfd + Hfd.T)
    Hlib = dense_hessian(prob, x, "exact")[:nK, :nK]
    ev_gn = np.linalg.eigvalsh(0.5 * (gn + gn.T))
    ev_2 = np.linalg.eigvalsh(second)
    return {"fd_err": float(np.linalg.norm(total - Hfd) / np.linalg.norm(Hfd)),
            "lib_err": float(np.linalg.norm(total - Hlib) / np.linalg.norm(Hlib)),
            "gn_symmetry": float(np.linalg.norm(gn - gn.T) / np.linalg.norm(gn)),
            "gn_min_eig_rel": float(ev_gn[0] / ev_gn[-1]),
            "second_min_eig": float(ev_2[0]), "second_max_eig": float(ev_2[-1]),
            "second_rel": float(np.linalg.norm(second) / np.linalg.norm(total)),
            "n": n, "n_f": n_f, "m": m, "n_c": n_c}
