r"""Chapter 5: backprop as constrained optimisation (LeCun 1988), and sigmoid vs tanh."""

from __future__ import annotations

import numpy as np

from kernelnet import learning_rules as lr
from kernelnet._validation import as_rng, check_int
from kernelnet.checks import derivative_check


# ------------------------------------------------------------------------------------------------
# backprop as constrained optimisation
# ------------------------------------------------------------------------------------------------


def lagrangian_backprop(sizes=(4, 8, 6, 3), n=16, activation="tanh", seed=0):
    r"""Lagrange multipliers vs backprop deltas, and the Taylor check of the Lagrangian gradient.

    Returns
    -------
    dict
        ``delta_err`` (max over layers of
        :math:`\max|f'(a)\odot\lambda - \delta| / \max|\delta|`),
        ``solve_err`` (dense solve vs backward pass, relative), ``grad_err`` (Lagrangian vs
        chain-rule parameter gradients, relative), ``check`` (the
        :class:`kernelnet.checks.DerivativeCheckResult` of the loss against the Lagrangian
        gradient) and ``check_wrong`` (the same with the first layer's multipliers dropped).
    """
    n = check_int(n, "n", minimum=1)
    rng = as_rng(seed, "seed")
    sizes = [check_int(s, "sizes", minimum=1) for s in sizes]
    Ws = [rng.standard_normal((sizes[i + 1], sizes[i])) / np.sqrt(sizes[i])
          for i in range(len(sizes) - 1)]
    bs = [0.1 * rng.standard_normal(sizes[i + 1]) for i in range(len(sizes) - 1)]
    X = rng.standard_normal((n, sizes[0]))
    Y = rng.standard_normal((n, sizes[-1]))
    deltas, gW, gb = lr.backprop(X, Y, Ws, bs, activation)
    lam, _, pre = lr.lagrange_multipliers(X, Y, Ws, bs, activation)
    lam2, _, _ = lr.lagrange_multipliers(X, Y, Ws, bs, activation, method="solve")
    dact = {"tanh": lambda a: 1 - np.tanh(a) ** 2,
            "sigmoid": lambda a: lr.sigmoid(a) * (1 - lr.sigmoid(a)),
            "linear": np.ones_like}[activation]
    delta_err = max(float(np.max(np.abs(dact(pre[l]) * lam[l] - deltas[l]))
                          / np.max(np.abs(deltas[l]))) for l in range(len(Ws)))
    solve_err = max(float(np.max(np.abs(lam2[l] - lam[l])) / np.max(np.abs(lam[l])))
                    for l in range(len(Ws)))
    lW, lb = lr.lagrangian_gradients(X, Y, Ws, bs, activation)
    grad_err = max(float(np.max(np.abs(a - b)) / np.max(np.abs(b)))
                   for a, b in zip(lW + lb, gW + gb))
    shapes = [W.shape for W in Ws]

    def fun(theta):
        return lr.mlp_loss(X, Y, *lr.unflatten_params(theta, shapes), activation)

    def make_jvp(wrong):
        def jvp(theta, v):
            gw, gbb = lr.lagrangian_gradients(X, Y, *lr.unflatten_params(theta, shapes),
                                              activation)
            if wrong:
                gw[0] = np.zeros_like(gw[0])
            return lr.flatten_params(gw, gbb) @ v
        return jvp

    theta = lr.flatten_params(Ws, bs)
    check = derivative_check(fun, make_jvp(False), theta, random_state=seed,
                             name="E vs Lagrangian gradient")
    check_wrong = derivative_check(fun, make_jvp(True), theta, random_state=seed,
                                   name="layer-1 multipliers dropped")
    return {"delta_err": delta_err, "solve_err": solve_err, "grad_err": grad_err,
            "check": check, "check_wrong": check_wrong, "n_params": int(theta.size)}


# ------------------------------------------------------------------------------------------------
# sigmoid / tanh
# ------------------------------------------------------------------------------------------------


def activation_equivalence(H=5, n_grid=401, seed=0):
    r"""tanh(x) = 2 sigma(2x) - 1, and a sigmoid network against its tanh twin on a 1-D input.

    Returns
    -------
    dict
        ``x`` (grid), ``tanh``, ``two_sigmoid`` (:math:`2\sigma(2x) - 1`), ``identity_err``
        (max abs difference), ``y_sigmoid``, ``y_tanh`` (the two networks' outputs on the grid),
        ``net_err`` (their max abs difference), ``y_naive`` (the sigmoid weights with tanh
        swapped in: not equivalent), and the parameters of both networks.
    """
    H = check_int(H, "H", minimum=1)
    n_grid = check_int(n_grid, "n_grid", minimum=2)
    rng = as_rng(seed, "seed")
    x = np.linspace(-6, 6, n_grid)
    t = np.tanh(x)
    t2 = lr.tanh_from_sigmoid(x)
    U, c, w, w0 = 2 * rng.standard_normal((H, 1)), rng.standard_normal(H), \
        rng.standard_normal(H), float(rng.standard_normal())
    U2, c2, w2, w02 = lr.sigmoid_to_tanh_network(U, c, w, w0)
    X = x[:, None]
    ys = lr.one_hidden_layer(X, U, c, w, w0, "sigmoid")
    yt = lr.one_hidden_layer(X, U2, c2, w2, w02, "tanh")
    yn = lr.one_hidden_layer(X, U, c, w, w0, "tanh")
    return {"x": x, "tanh": t, "two_sigmoid": t2, "identity_err": float(np.max(np.abs(t - t2))),
            "y_sigmoid": ys, "y_tanh": yt, "y_naive": yn,
            "net_err": float(np.max(np.abs(ys - yt))),
            "sigmoid_net": (U, c, w, w0), "tanh_net": (U2, c2, w2, w02)}
