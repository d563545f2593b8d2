"""Weight and node perturbation: the student-teacher linear model and a multi-layer network.

Gradient descent, weight perturbation (Jabri and Flower 1992) and node perturbation (Williams
1992) on the student-teacher linear model of Werfel, Xie and Seung (2004, 2005), with the numba
kernel of the online rules and its numpy reference; then both perturbation rules on a nonlinear
multi-layer network with every layer perturbed at once, and their O(sigma^2) bias.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from kernelnet._validation import (
    as_rng,
    as_matrix,
    as_vector,
    check_choice,
    check_int,
    check_nonnegative,
    check_positive,
    first_nonfinite,
)
from kernelnet.learning_rules._activations import _ACTIVATIONS, _act, _dact
from kernelnet.learning_rules._backprop import _check_network, flatten_params, unflatten_params


# ----------------------------------------------------------------------------------------------
# Student-teacher linear model: GD, weight perturbation, node perturbation
# ----------------------------------------------------------------------------------------------


_METHODS = ("gd", "wp", "np")


def _check_st(W, W_star, w_name="W"):
    W = as_matrix(W, w_name, max_abs=1e150)  # losses square the entries
    W_star = as_matrix(W_star, "W_star", max_abs=1e150)
    if W.shape != W_star.shape:
        raise ValueError(f"W_star must have the shape of {w_name} {W.shape}, got "
                         f"{W_star.shape}")
    return W, W_star


def student_teacher_gradient(W, W_star, x):
    r"""Gradient of the student-teacher loss for one input.

    .. math::

       L(W) = \|W x - W^* x\|_2^2, \qquad \nabla_W L = 2 (W - W^*) x x^\top

    Source: Werfel, Xie and Seung (2004, 2005); the notes, "Comparison of Backprop, Weight
    Perturbation & Node Perturbation" (loss without the factor 1/2).

    Parameters
    ----------
    W, W_star : array_like, shape (M, N)
        Student and teacher.
    x : array_like, shape (N,)

    Returns
    -------
    ndarray, shape (M, N)
    """
    W, W_star = _check_st(W, W_star)
    x = as_vector(x, "x", size=W.shape[1], max_abs=1e150)
    return 2.0 * np.outer((W - W_star) @ x, x)


def perturbation_gradient_estimates(
    W, W_star, x, sigma, n_draws, method="wp", baseline=True, random_state=None
):
    r"""Independent single-draw WP or NP estimates of :math:`\nabla_W L` at one input.

    Weight perturbation adds :math:`\Psi_{ij} \sim N(0, \sigma^2)` to every weight, node
    perturbation adds :math:`\xi_i \sim N(0, \sigma^2)` to every output:

    .. math::

       g_{\mathrm{WP}} = \frac{\tilde E - b}{\sigma^2}\, \Psi, \quad
       \tilde E = \|(W + \Psi - W^*) x\|^2; \qquad
       g_{\mathrm{NP}} = \frac{\tilde E - b}{\sigma^2}\, \xi x^\top, \quad
       \tilde E = \|(W - W^*) x + \xi\|^2,

    with baseline :math:`b = E = \|(W - W^*)x\|^2` (the form Werfel et al. analyse) or
    :math:`b = 0` (the notes' raw form, :math:`\Delta W = -\eta \tilde E \Omega`, there with
    :math:`1/\sigma^2` absorbed into :math:`\eta`). Since :math:`L` is quadratic and the noise's
    odd moments vanish, both forms are *exactly* unbiased, :math:`\mathbb{E}[g] = \nabla_W L`,
    for every :math:`\sigma`; see :func:`perturbation_estimator_variance` for the variance.

    Sources: the notes, "Weight Perturbation" and "Node Perturbation" (with the ERRATA index fix:
    the NP update multiplies :math:`\gamma_i^l` by the layer's *input* :math:`x_j^{l-1}`);
    Jabri and Flower (1992); Williams (1992); Werfel, Xie and Seung (2005).

    Parameters
    ----------
    W, W_star : array_like, shape (M, N)
    x : array_like, shape (N,)
    sigma : float
        Noise standard deviation (> 0).
    n_draws : int
        Number of independent draws (>= 1).
    method : {"wp", "np"}
    baseline : bool
        Subtract the unperturbed error (True) or not (the notes' raw form).
    random_state : int or numpy.random.Generator, optional

    Returns
    -------
    ndarray, shape (n_draws, M, N)
    """
    W, W_star = _check_st(W, W_star)
    x = as_vector(x, "x", size=W.shape[1], max_abs=1e150)
    sigma = check_positive(sigma, "sigma", minimum=1e-150, maximum=1e150)  # sigma^2 formed
    n_draws = check_int(n_draws, "n_draws", minimum=1)
    check_choice(method, "method", ("wp", "np"))
    rng = as_rng(random_state)
    M, N = W.shape
    r = (W - W_star) @ x
    E = float(r @ r)
    b = E if baseline else 0.0
    if method == "wp":
        Psi = sigma * rng.standard_normal((n_draws, M, N))
        rt = r[None, :] + Psi @ x
        Et = np.sum(rt * rt, axis=1)
        return ((Et - b) / sigma**2)[:, None, None] * Psi
    xi = sigma * rng.standard_normal((n_draws, M))
    rt = r[None, :] + xi
    Et = np.sum(rt * rt, axis=1)
    return ((Et - b) / sigma**2)[:, None, None] * (xi[:, :, None] * x[None, None, :])


def perturbation_estimator_variance(W, W_star, x, sigma, method="wp", baseline=True):
    r"""Exact :math:`\mathbb{E}\|g - \nabla_W L\|_F^2` of one WP/NP draw at one input.

    With :math:`r = (W - W^*)x`, :math:`G = 2 r x^\top`, :math:`E = \|r\|^2`, :math:`P = MN`
    and Gaussian noise, Isserlis' theorem and the moments of :math:`\chi^2` give (our derivation):

    .. math::

       \mathrm{WP}:&\ (P + 1)\|G\|^2 + \sigma^2 \|x\|^4 M (M+2)(P+4), \\
       \mathrm{NP}:&\ \|x\|^2\big[(M + 1)\, 4\|r\|^2 + \sigma^2 M (M+2)(M+4)\big],

    and the raw forms (baseline 0) add
    :math:`2 E \|x\|^2 M (P + 2) + E^2 P / \sigma^2` (WP) and
    :math:`\|x\|^2 \big[2 E M (M + 2) + E^2 M / \sigma^2\big]` (NP). The relative variance per
    draw, :math:`\approx P + 1` for WP and :math:`M + 1` for NP at small :math:`\sigma`, is the
    root of the slow-down that Werfel, Xie and Seung (2005) derive.

    Parameters
    ----------
    W, W_star, x, sigma, method, baseline
        As in :func:`perturbation_gradient_estimates`.

    Returns
    -------
    float
    """
    W, W_star = _check_st(W, W_star)
    x = as_vector(x, "x", size=W.shape[1], max_abs=1e150)
    sigma = check_positive(sigma, "sigma", minimum=1e-150, maximum=1e150)  # sigma^2 formed
    check_choice(method, "method", ("wp", "np"))
    M, N = W.shape
    P = M * N
    r = (W - W_star) @ x
    E = float(r @ r)
    xx = float(x @ x)
    G2 = 4.0 * E * xx
    if method == "wp":
        v = (P + 1) * G2 + sigma**2 * xx**2 * M * (M + 2) * (P + 4)
        if not baseline:
            v += 2.0 * E * xx * M * (P + 2) + E**2 * P / sigma**2
        return float(v)
    v = xx * ((M + 1) * 4.0 * E + sigma**2 * M * (M + 2) * (M + 4))
    if not baseline:
        v += xx * (2.0 * E * M * (M + 2) + E**2 * M / sigma**2)
    return float(v)


def gd_update(W, W_star, x, eta):
    r"""One online gradient-descent step :math:`\Delta W = -2\eta (W - W^*) x x^\top`.

    Source: Werfel, Xie and Seung (2005); the loss is :math:`\|Wx - W^*x\|^2`.

    Returns
    -------
    ndarray, shape (M, N)
        The updated weights (``W`` is not modified).
    """
    eta = check_positive(eta, "eta")
    return as_matrix(W, "W") - eta * student_teacher_gradient(W, W_star, x)


def _perturbation_step(W, W_star, x, eta, sigma, method, baseline, random_state):
    """One WP or NP step, ``W - eta g`` with one draw of :func:`perturbation_gradient_estimates`."""
    eta = check_positive(eta, "eta")
    g = perturbation_gradient_estimates(W, W_star, x, sigma, 1, method, baseline, random_state)[0]
    return as_matrix(W, "W") - eta * g


def weight_perturbation_update(W, W_star, x, eta, sigma, baseline=True, random_state=None):
    r"""One weight-perturbation step.

    .. math::

       \Delta W = -\frac{\eta}{\sigma^2} (\tilde E - b)\, \Psi, \qquad
       \Psi_{ij} \sim N(0, \sigma^2), \quad b \in \{E, 0\}

    Source: the notes, "Weight Perturbation" (raw form :math:`b = 0`, with :math:`1/\sigma^2`
    in :math:`\eta`); Werfel, Xie and Seung (2005) for :math:`b = E`.

    Returns
    -------
    ndarray, shape (M, N)
    """
    return _perturbation_step(W, W_star, x, eta, sigma, "wp", baseline, random_state)


def node_perturbation_update(W, W_star, x, eta, sigma, baseline=True, random_state=None):
    r"""One node-perturbation step.

    .. math::

       \Delta W_{ij} = -\frac{\eta}{\sigma^2} (\tilde E - b)\, \xi_i x_j, \qquad
       \xi_i \sim N(0, \sigma^2), \quad b \in \{E, 0\}

    Source: the notes, "Node Perturbation", with the ERRATA fix (the input of the layer,
    :math:`x_j^{l-1}`, multiplies :math:`\gamma_i^l`); Williams (1992); Werfel, Xie and Seung (2005).

    Returns
    -------
    ndarray, shape (M, N)
    """
    return _perturbation_step(W, W_star, x, eta, sigma, "np", baseline, random_state)


def _rate_constant(N, M, method):
    """The factor K with E||D'||^2 = ||D||^2 (1 - 4 eta + 4 eta^2 K) + eta^2 sigma^2 C."""
    if method == "gd":
        return float(N + 2)
    if method == "np":
        return float((M + 2) * (N + 2))
    return float((M * N + 2) * (N + 2))


def _noise_constant(N, M, method):
    if method == "gd":
        return 0.0
    if method == "np":
        return float(N * M * (M + 2) * (M + 4))
    return float(N * (N + 2) * M * (M + 2) * (M * N + 4))


def optimal_learning_rate(N, M, method):
    r"""Learning rate that maximises the decay of the mean error per step (small :math:`\sigma`).

    For :math:`x \sim N(0, I_N)`, :math:`D = W - W^*` and the baseline-subtracted rules, one online
    step gives exactly (our derivation, in the manner of Werfel, Xie and Seung 2005)

    .. math::

       \mathbb{E}\|D_{t+1}\|_F^2 = \big(1 - 4\eta + 4\eta^2 K\big)\|D_t\|_F^2
       + \eta^2 \sigma^2 C, \qquad
       K_{\mathrm{GD}} = N + 2,\ K_{\mathrm{NP}} = (M+2)(N+2),\ K_{\mathrm{WP}} = (MN+2)(N+2),

    so :math:`\eta^* = 1/(2K)` and the per-step factor is :math:`1 - 1/K`: node perturbation is
    slower than gradient descent by :math:`M + 2 \approx M` and weight perturbation by
    :math:`MN + 2 \approx MN`, the result of Werfel, Xie and Seung (Neural Computation 2005).

    Parameters
    ----------
    N, M : int
        Input and output dimension (>= 1).
    method : {"gd", "np", "wp"}

    Returns
    -------
    float
    """
    N = check_int(N, "N", minimum=1)
    M = check_int(M, "M", minimum=1)
    check_choice(method, "method", _METHODS)
    return 1.0 / (2.0 * _rate_constant(N, M, method))


def student_teacher_learning_curve(N, M, method, eta, sigma, n_steps, e0):
    r"""Exact mean learning curve :math:`\mathbb{E}\|W_t - W^*\|_F^2` of the online rules.

    Iterates the exact one-step recursion of :func:`optimal_learning_rate`,

    .. math::

       e_{t+1} = \rho\, e_t + \eta^2 \sigma^2 C, \qquad \rho = 1 - 4\eta + 4\eta^2 K,

    with :math:`C_{\mathrm{NP}} = N M (M+2)(M+4)`,
    :math:`C_{\mathrm{WP}} = N (N+2) M (M+2)(MN+4)`, :math:`C_{\mathrm{GD}} = 0` (baseline
    forms). :math:`e_t` is also the expected generalisation error
    :math:`\mathbb{E}_x \|W_t x - W^* x\|^2`.

    Parameters
    ----------
    N, M : int
    method : {"gd", "np", "wp"}
    eta : float
        Learning rate (> 0).
    sigma : float
        Perturbation size (>= 0; ignored for "gd").
    n_steps : int
        Number of steps (>= 0).
    e0 : float
        Initial error :math:`\|W_0 - W^*\|_F^2` (>= 0).

    Returns
    -------
    ndarray, shape (n_steps + 1,)
        The exact mean error. Above the stability limit (:math:`\rho > 1`) it grows
        geometrically and reads ``inf`` once it overflows: the divergence itself, a marker,
        never NaN.
    """
    N = check_int(N, "N", minimum=1)
    M = check_int(M, "M", minimum=1)
    check_choice(method, "method", _METHODS)
    eta = check_positive(eta, "eta")
    sigma = check_nonnegative(sigma, "sigma")
    if sigma > 1e150:
        raise ValueError(f"sigma must be at most 1e+150 (its square overflows), got {sigma!r}")
    if eta > 1e150:
        raise ValueError(f"eta must be at most 1e+150 (its square overflows), got {eta!r}")
    n_steps = check_int(n_steps, "n_steps", minimum=0)
    e0 = check_nonnegative(e0, "e0")
    K = _rate_constant(N, M, method)
    rho = 1.0 - 4.0 * eta + 4.0 * eta**2 * K
    c = eta**2 * sigma**2 * _noise_constant(N, M, method)
    t = np.arange(n_steps + 1, dtype=np.float64)
    if abs(1.0 - rho) < 1e-300:
        return e0 + c * t
    with np.errstate(over="ignore", invalid="ignore"):
        pw = rho**t
        # a zero term stays zero when rho**t overflows (inf * 0 would read NaN)
        first = pw * e0 if e0 else np.zeros_like(t)
        second = c * (1.0 - pw) / (1.0 - rho) if c else np.zeros_like(t)
    return first + second


@njit(cache=True)
def _st_kernel(W, W_star, X, noise, method, baseline, eta, sigma, err):  # pragma: no cover
    """Online steps on the rows of X; noise (T, M, N) for WP, (T, M) for NP; err[t] after t."""
    M, N = W.shape
    T = X.shape[0]
    r = np.empty(M)
    rt = np.empty(M)
    inv = 1.0 / (sigma * sigma) if sigma > 0 else 0.0
    for t in range(T):
        for i in range(M):
            s = 0.0
            for j in range(N):
                s += (W[i, j] - W_star[i, j]) * X[t, j]
            r[i] = s
        if method == 0:
            for i in range(M):
                c = 2.0 * eta * r[i]
                for j in range(N):
                    W[i, j] -= c * X[t, j]
        elif method == 1:  # node perturbation
            E = 0.0
            Et = 0.0
            for i in range(M):
                E += r[i] * r[i]
                v = r[i] + noise[t, i, 0]
                Et += v * v
            f = (Et - E) if baseline else Et
            f *= eta * inv
            for i in range(M):
                c = f * noise[t, i, 0]
                for j in range(N):
                    W[i, j] -= c * X[t, j]
        else:  # weight perturbation
            E = 0.0
            Et = 0.0
            for i in range(M):
                s = r[i]
                for j in range(N):
                    s += noise[t, i, j] * X[t, j]
                rt[i] = s
                E += r[i] * r[i]
                Et += s * s
            f = (Et - E) if baseline else Et
            f *= eta * inv
            for i in range(M):
                for j in range(N):
                    W[i, j] -= f * noise[t, i, j]
        e = 0.0
        for i in range(M):
            for j in range(N):
                d = W[i, j] - W_star[i, j]
                e += d * d
        err[t + 1] = e


def _st_numpy(W, W_star, X, noise, method, baseline, eta, sigma, err):
    """Plain numpy reference of :func:`_st_kernel` (same arithmetic, same noise)."""
    for t in range(X.shape[0]):
        x = X[t]
        r = (W - W_star) @ x
        if method == 0:
            W -= 2.0 * eta * np.outer(r, x)
        elif method == 1:
            xi = noise[t, :, 0]
            E, Et = r @ r, (r + xi) @ (r + xi)
            W -= (eta / sigma**2) * ((Et - E) if baseline else Et) * np.outer(xi, x)
        else:
            Psi = noise[t]
            rt = r + Psi @ x
            E, Et = r @ r, rt @ rt
            W -= (eta / sigma**2) * ((Et - E) if baseline else Et) * Psi
        err[t + 1] = np.sum((W - W_star) ** 2)


@dataclass
class TrainResult:
    """Outcome of :func:`train_student_teacher`.

    Attributes
    ----------
    W : ndarray, shape (M, N)
        Final student weights.
    errors : ndarray, shape (n_steps + 1,)
        :math:`\\|W_t - W^*\\|_F^2`, the generalisation error :math:`\\mathbb{E}_x\\|W_t x - W^* x\\|^2`
        for :math:`x \\sim N(0, I)`, at every step.
    method, baseline, eta, sigma
        The settings used.
    diverged : int or None
        The step at which the run diverged (learning rate too large): ``errors`` is ``inf``
        from there on (a marker, never NaN) and ``W`` is the last, non-finite iterate. ``None``
        for a run that stayed finite.
    """

    W: np.ndarray
    errors: np.ndarray
    method: str
    baseline: bool
    eta: float
    sigma: float
    diverged: int | None = None


_CHUNK = 1 << 20  # doubles of noise drawn at once: bounds memory for large M N


def train_student_teacher(
    W0,
    W_star,
    n_steps,
    eta,
    method="gd",
    sigma=1e-3,
    baseline=True,
    random_state=None,
    backend="numba",
):
    r"""Online learning of the student-teacher linear model by GD, NP or WP.

    At step :math:`t` a fresh input :math:`x_t \sim N(0, I_N)` is drawn and

    .. math::

       \mathrm{GD}: \Delta W = -2\eta\, D x x^\top, \quad
       \mathrm{NP}: \Delta W = -\tfrac{\eta}{\sigma^2}(\tilde E - b)\,\xi x^\top, \quad
       \mathrm{WP}: \Delta W = -\tfrac{\eta}{\sigma^2}(\tilde E - b)\,\Psi,

    with :math:`D = W - W^*` and :math:`b = E` (``baseline=True``) or 0 (the notes' raw form).
    Source: Werfel, Xie and Seung (2004, 2005); the notes.

    Parameters
    ----------
    W0, W_star : array_like, shape (M, N)
        Initial student and teacher.
    n_steps : int
        Number of online steps (>= 1).
    eta : float
        Learning rate (> 0); :func:`optimal_learning_rate` gives the fastest one.
    method : {"gd", "np", "wp"}
    sigma : float
        Perturbation size (> 0; unused by "gd").
    baseline : bool
    random_state : int or numpy.random.Generator, optional
        Inputs and noise are drawn from ``default_rng(random_state)`` in chunks, in the same
        order for both backends.
    backend : {"numba", "numpy"}
        The numba kernel or its numpy reference (for parity tests).

    Returns
    -------
    TrainResult
    """
    W0, W_star = _check_st(W0, W_star, "W0")
    n_steps = check_int(n_steps, "n_steps", minimum=1)
    eta = check_positive(eta, "eta")
    check_choice(method, "method", _METHODS)
    sigma = check_positive(sigma, "sigma", minimum=1e-150, maximum=1e150)  # sigma^2 formed
    check_choice(backend, "backend", ("numba", "numpy"))
    rng = as_rng(random_state)
    M, N = W0.shape
    code = {"gd": 0, "np": 1, "wp": 2}[method]
    W = W0.copy()
    err = np.empty(n_steps + 1)
    err[0] = float(np.sum((W - W_star) ** 2))
    per_step = N + (M * N if code == 2 else M if code == 1 else 0)
    chunk = max(1, _CHUNK // per_step)
    kern = _st_kernel if backend == "numba" else _st_numpy
    t0 = 0
    while t0 < n_steps:
        T = min(chunk, n_steps - t0)
        X = rng.standard_normal((T, N))
        if code == 2:
            noise = sigma * rng.standard_normal((T, M, N))
        elif code == 1:
            noise = sigma * rng.standard_normal((T, M, 1))
        else:
            noise = np.zeros((1, 1, 1))
        buf = np.empty(T + 1)
        with np.errstate(over="ignore", invalid="ignore"):
            kern(W, W_star, X, noise, code, bool(baseline), eta, sigma, buf)
        err[t0 + 1:t0 + T + 1] = buf[1:]
        if not np.all(np.isfinite(buf[1:])):
            # diverged (learning rate too large): report inf from here on, never NaN
            bad = t0 + 1 + int(np.argmin(np.isfinite(buf[1:])))
            err[bad:] = np.inf
            break
        t0 += T
    return TrainResult(W=W, errors=err, method=method, baseline=bool(baseline), eta=eta,
                       sigma=sigma, diverged=first_nonfinite(err))


# ----------------------------------------------------------------------------------------------
# Weight and node perturbation on a nonlinear multi-layer network (every layer at once)
# ----------------------------------------------------------------------------------------------


def _check_sample(x, y, weights, biases, activation):
    Ws, bs = _check_network(weights, biases)
    x = as_vector(x, "x", size=Ws[0].shape[1])
    y = as_vector(y, "y", size=Ws[-1].shape[0])
    check_choice(activation, "activation", _ACTIVATIONS)
    return x, y, Ws, bs


def _forward_batch(x, Ws, bs, activation, dW=None, db=None, gamma=None):
    """Forward pass of one input under a batch of perturbations; returns the final states (K, N^L).

    ``dW[l]`` (K, N^l, N^{l-1}) and ``db[l]`` (K, N^l) perturb the parameters (WP); ``gamma[l]``
    (K, N^l) perturbs the pre-activations (NP). The batch size K comes from whichever is given.
    """
    K = (dW[0] if dW is not None else gamma[0]).shape[0]
    h = np.broadcast_to(x, (K, x.size))
    for l, (W, b) in enumerate(zip(Ws, bs)):
        a = h @ W.T + b
        if dW is not None:
            a = a + np.einsum("kij,kj->ki", dW[l], h) + db[l]
        if gamma is not None:
            a = a + gamma[l]
        h = _act(a, activation)
    return h


def _sample_error(out, y):
    return 0.5 * np.sum((out - y) ** 2, axis=-1)


def _np_deltas(x, y, Ws, bs, activation, gamma=None):
    r""":math:`\partial E/\partial a^l` for one input, with ``gamma[l]`` added to :math:`a^l`."""
    hs, pre = [x], []
    for l, (W, b) in enumerate(zip(Ws, bs)):
        a = W @ hs[-1] + b + (gamma[l] if gamma is not None else 0.0)
        pre.append(a)
        hs.append(_act(a, activation))
    L = len(Ws)
    d = [None] * L
    d[L - 1] = _dact(pre[L - 1], activation) * (hs[L] - y)
    for l in range(L - 2, -1, -1):
        d[l] = _dact(pre[l], activation) * (Ws[l + 1].T @ d[l + 1])
    return d, hs


def mlp_sample_gradient(x, y, weights, biases, activation="tanh"):
    r"""Backprop gradient of :math:`E = \frac12\|x^L - y\|^2` for one input, flattened.

    In the order of :func:`flatten_params`; :math:`\partial E/\partial W^l = \delta^l
    (x^{l-1})^\top`, :math:`\partial E/\partial b^l = \delta^l` (the notes, "Backprop as Chain
    Derivative").
    """
    x, y, Ws, bs = _check_sample(x, y, weights, biases, activation)
    d, hs = _np_deltas(x, y, Ws, bs, activation)
    return flatten_params([np.outer(d[l], hs[l]) for l in range(len(Ws))], d)


def _draw_noise(method, Ws, n, rng):
    if method == "wp":
        dW = [rng.standard_normal((n,) + W.shape) for W in Ws]
        db = [rng.standard_normal((n, W.shape[0])) for W in Ws]
        return dW, db, None
    return None, None, [rng.standard_normal((n, W.shape[0])) for W in Ws]


def _scaled(noise, s):
    return None if noise is None else [s * a for a in noise]


def _flat_noise(method, dW, db, gamma, hs):
    """The direction each estimate multiplies, flattened like the parameters (K, P)."""
    parts = []
    for l in range(len(hs) - 1):
        if method == "wp":
            parts += [dW[l].reshape(dW[l].shape[0], -1), db[l]]
        else:  # NP: gamma^l_i x^{l-1}_j for the weights (clean input, ERRATA), gamma^l_i for b
            parts += [(gamma[l][:, :, None] * hs[l][None, None, :]).reshape(gamma[l].shape[0], -1),
                      gamma[l]]
    return np.concatenate(parts, axis=1)


def mlp_perturbation_estimates(x, y, weights, biases, sigma, n_draws, method="wp",
                               baseline=True, activation="tanh", random_state=None):
    r"""Single-draw WP or NP estimates of :math:`\nabla E` on a multi-layer network, all layers at once.

    One input :math:`x` with target :math:`y`, :math:`E = \frac12\|x^L - y\|^2` and
    :math:`x^l = f(W^l x^{l-1} + b^l)` (the notes, "Weight Perturbation"). Weight perturbation
    adds :math:`\Omega^l_{ij}, \gamma^l_i \sim N(0, \sigma^2)` to every weight and bias of every
    layer; node perturbation adds :math:`\gamma^l_i \sim N(0, \sigma^2)` to every unit's
    pre-activation, propagated through the layers above. With :math:`\tilde E` the perturbed
    error and :math:`b = E` (baseline) or 0 (the notes' raw form),

    .. math::

       \hat g_{\mathrm{WP}} = \frac{\tilde E - b}{\sigma^2}(\Omega, \gamma), \qquad
       \hat g_{\mathrm{NP}}(W^l_{ij}) = \frac{\tilde E - b}{\sigma^2}\gamma^l_i x^{l-1}_j, \quad
       \hat g_{\mathrm{NP}}(b^l_i) = \frac{\tilde E - b}{\sigma^2}\gamma^l_i,

    with the unperturbed :math:`x^{l-1}` (ERRATA 002: the layer's input). The notes derive
    :math:`\mathbb E\hat g \approx \nabla E` from a first-order expansion of :math:`\tilde E`; on
    a nonlinear network the third derivatives leave a bias of order :math:`\sigma^2`
    (:func:`perturbation_bias`).

    Returns
    -------
    ndarray, shape (n_draws, P)
        In the order of :func:`flatten_params`.
    """
    x, y, Ws, bs = _check_sample(x, y, weights, biases, activation)
    sigma = check_positive(sigma, "sigma", minimum=1e-150, maximum=1e150)  # sigma^2 formed
    n_draws = check_int(n_draws, "n_draws", minimum=1)
    check_choice(method, "method", ("wp", "np"))
    rng = as_rng(random_state)
    _, hs = _np_deltas(x, y, Ws, bs, activation)
    E = _sample_error(hs[-1], y)
    dW, db, gamma = _draw_noise(method, Ws, n_draws, rng)
    out = _forward_batch(x, Ws, bs, activation, _scaled(dW, sigma), _scaled(db, sigma),
                         _scaled(gamma, sigma))
    Et = _sample_error(out, y)
    coef = (Et - (E if baseline else 0.0)) / sigma
    return coef[:, None] * _flat_noise(method, dW, db, gamma, hs)


def perturbation_bias(x, y, weights, biases, sigma, n_draws, method="wp", activation="tanh",
                      random_state=None, chunk=4096):
    r"""The bias :math:`\mathbb E\hat g - \nabla E` of WP or NP, measured with low variance.

    The mean of the estimator of :func:`mlp_perturbation_estimates` is the same in both forms
    (the raw form adds :math:`E\,\mathbb E[\Omega]/\sigma^2 = 0`). Two exact identities make its
    Monte Carlo error small without changing that mean: with :math:`z` the standard normal noise
    (:math:`\Omega = \sigma z`), :math:`z` and :math:`-z` are equally likely (antithetic pairs),
    and :math:`\mathbb E[(g^\top z) z] = g` for the backprop gradient :math:`g` (in NP, the
    deltas :math:`\partial E/\partial a^l`; a control variate). So

    .. math::

       \mathbb E\hat g - \nabla E = \mathbb E\Big[\Big(\frac{\tilde E(\sigma z) -
       \tilde E(-\sigma z)}{2\sigma} - g^\top z\Big)\, v(z)\Big],

    with :math:`v(z)` the direction the estimate multiplies (``z`` for WP; :math:`z^l_i x^{l-1}_j`
    and :math:`z^l_i` for NP). The bracket is :math:`O(\sigma^2)` per draw (the odd Taylor terms
    beyond the first), so the relative error of the mean does not grow as :math:`\sigma \to 0`.
    For a quadratic :math:`E` (the linear student-teacher model) it is exactly zero.

    Returns
    -------
    dict
        ``bias`` (P,), ``bias_se`` (P,) standard errors, ``bias_norm`` (debiased
        :math:`\sqrt{\max(\|\bar r\|^2 - \mathrm{tr}\,\widehat{\mathrm{Cov}}/K, 0)}`),
        ``bias_norm_se``, ``grad`` (backprop), ``grad_norm``.
    """
    x, y, Ws, bs = _check_sample(x, y, weights, biases, activation)
    sigma = check_positive(sigma, "sigma", minimum=1e-150, maximum=1e150)  # sigma^2 formed
    n_draws = check_int(n_draws, "n_draws", minimum=2)
    chunk = check_int(chunk, "chunk", minimum=1)
    check_choice(method, "method", ("wp", "np"))
    rng = as_rng(random_state)
    d, hs = _np_deltas(x, y, Ws, bs, activation)
    grad = flatten_params([np.outer(d[l], hs[l]) for l in range(len(Ws))], d)
    # the gradient in the noise's own coordinates: all parameters (WP), all pre-activations (NP)
    g_noise = grad if method == "wp" else np.concatenate(d)
    P = grad.size
    s1 = np.zeros(P)
    s2 = np.zeros(P)
    done = 0
    while done < n_draws:
        k = min(chunk, n_draws - done)
        dW, db, gamma = _draw_noise(method, Ws, k, rng)
        plus = _sample_error(_forward_batch(x, Ws, bs, activation, _scaled(dW, sigma),
                                            _scaled(db, sigma), _scaled(gamma, sigma)), y)
        minus = _sample_error(_forward_batch(x, Ws, bs, activation, _scaled(dW, -sigma),
                                             _scaled(db, -sigma), _scaled(gamma, -sigma)), y)
        if method == "wp":
            z = _flat_noise("wp", dW, db, None, hs)
        else:
            z = np.concatenate(gamma, axis=1)
        coef = (plus - minus) / (2.0 * sigma) - z @ g_noise
        r = coef[:, None] * _flat_noise(method, dW, db, gamma, hs)
        s1 += r.sum(axis=0)
        s2 += (r * r).sum(axis=0)
        done += k
    mean = s1 / n_draws
    var = np.maximum(s2 / n_draws - mean**2, 0.0) * n_draws / (n_draws - 1)
    se = np.sqrt(var / n_draws)
    tr = float(np.sum(var)) / n_draws
    sq = float(mean @ mean)
    norm = math.sqrt(max(sq - tr, 0.0))
    # delta method: se of ||mean|| ~ sqrt(mean^T Cov mean) / ||mean|| (diagonal Cov estimate)
    norm_se = math.sqrt(float(np.sum(mean**2 * var)) / n_draws) / max(math.sqrt(sq), 1e-300)
    return {"bias": mean, "bias_se": se, "bias_norm": norm, "bias_norm_se": norm_se,
            "grad": grad, "grad_norm": float(np.linalg.norm(grad))}


def perturbation_bias_prediction(x, y, weights, biases, method="wp", activation="tanh",
                                 h=1e-3):
    r"""The leading term of the bias: :math:`\frac{\sigma^2}{2}\nabla(\Delta E)` per unit :math:`\sigma^2`.

    For Gaussian noise the fourth moments give :math:`\mathbb E[z_a z_b z_c z_d]`, so the cubic
    Taylor term of :math:`\tilde E` contributes
    :math:`\frac{\sigma^2}{2}\partial_a\sum_b\partial_b^2 E` to component :math:`a` of the mean
    estimate: half the gradient of the Laplacian of :math:`E` in the perturbed coordinates (all
    parameters for WP; all pre-activations for NP, then mapped to the weights by
    :math:`x^{l-1}`). The Laplacian's gradient is taken by central second differences of the
    backprop gradient, :math:`\sum_b [g(u + h e_b) - 2g(u) + g(u - h e_b)]/h^2` (error
    :math:`O(h^2)` plus rounding :math:`O(\epsilon/h^2)`; ``h = 1e-3`` balances them near 1e-6
    relative). Returns the vector :math:`c` with bias :math:`\approx c\,\sigma^2`.
    """
    x, y, Ws, bs = _check_sample(x, y, weights, biases, activation)
    h = check_positive(h, "h")
    check_choice(method, "method", ("wp", "np"))
    shapes = [W.shape for W in Ws]
    if method == "wp":
        theta = flatten_params(Ws, bs)

        def g(u):
            W2, b2 = unflatten_params(u, shapes)
            d, hs = _np_deltas(x, y, W2, b2, activation)
            return flatten_params([np.outer(d[l], hs[l]) for l in range(len(W2))], d)

        u0 = theta
    else:
        sizes = [W.shape[0] for W in Ws]
        cuts = np.cumsum(sizes)[:-1]

        def g(u):
            d, _ = _np_deltas(x, y, Ws, bs, activation, gamma=np.split(u, cuts))
            return np.concatenate(d)

        u0 = np.zeros(sum(sizes))
    g0 = g(u0)
    lap_grad = np.zeros_like(g0)
    for b in range(u0.size):
        e = np.zeros_like(u0)
        e[b] = h
        lap_grad += (g(u0 + e) - 2.0 * g0 + g(u0 - e)) / h**2
    c = 0.5 * lap_grad
    if method == "wp":
        return c
    _, hs = _np_deltas(x, y, Ws, bs, activation)
    parts = np.split(c, cuts)
    return flatten_params([np.outer(parts[l], hs[l]) for l in range(len(Ws))], parts)
