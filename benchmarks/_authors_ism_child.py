"""Child process of ``bench_layerwise.py``: one fold of the authors' ISM network (W*), timed.

Runs ``kernelNet`` from a checkout of the authors' repository ``Neural_Indicator_Kernel_ISM``
(Wu, Masoomi, Gretton, Dy; ``NIK.py``), which is *not* part of this project and is not copied
into it: ``bench_layerwise.py`` passes the folder of a checkout (``--code``). This file only
drives it, the way the repository's own ``run_10_fold`` does, on a fold that the parent wrote to
an ``.npz`` file (``Xtr, ytr, Xte, yte``, unscaled):

1. ``sklearn.preprocessing.scale`` on the train and the test fold separately (as ``run_10_fold``);
2. ``kernelNet(X, Y, name)`` with the authors' settings (``NIK.py``) except their debug switch
   ``db['record_internal']``, set to False: with it on, every layer also computes extra statistics
   and writes a heat-map PNG, outside the time the code reports;
3. ``knet.train()``; ``knet.fit(X)`` and ``knet.fit(X_test)`` for the accuracies.

Times reported (JSON on the last stdout line):

* ``time_s``: the authors' own ``Time(s)``: the sum over layers of ``db['ΔTime']``, which their
  code measures around each layer (bandwidth search, ISM, random features, silhouette: "only
  count the runtime code and not debug code") and around the final layer. With the debug switch
  off their code does not add these up itself, so this driver collects the same ``ΔTime`` values
  after each layer (a wrapper on ``outer_converge`` and ``add_final_layer``);
* ``cpu_s``: ``time.process_time()`` (all threads of this process) around ``knet.train()``;
* ``wall_s``: ``time.perf_counter()`` around ``knet.train()``.

Compatibility shims (this environment is newer than the authors' code, 2021): their modules
import ``torch`` (and ``orf_layer`` imports ``pyrfm``) at module level, but the ISM path never
calls them; when they are not installed, a placeholder module is registered whose attributes
are inert classes (``type(x) == torch.Tensor`` is then simply False). scikit-learn >= 1.4 no
longer accepts ``OneHotEncoder(sparse=...)`` (used by their bandwidth search); the driver maps it
to ``sparse_output``. Their code needs ``autograd`` (``kernel_lib`` imports it); the parent
passes ``--pylib`` for a folder holding it.

Usage (normally through ``bench_layerwise.py``)::

    python _authors_ism_child.py --code /tmp/nik_ism --fold-file fold.npz --name wine_1 --seed 1
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
import types
import warnings


class _Inert:
    """Stands for any class or function of a package the ISM path imports but never calls."""

    def __init__(self, *args, **kwargs):
        raise RuntimeError("a placeholder for an uninstalled package was used by the authors' code")


class _Placeholder(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        val = type(name, (_Inert,), {})
        setattr(self, name, val)
        return val


def _install_placeholders():
    missing = []
    for pkg, subs in (
        ("torch", ("autograd", "nn", "nn.functional", "utils", "utils.data")),
        ("pyrfm", ("random_feature",)),
    ):
        try:
            importlib.import_module(pkg)
            continue
        except ImportError:
            missing.append(pkg)
        root = _Placeholder(pkg)
        root.__path__ = []
        sys.modules[pkg] = root
        for s in subs:
            mod = _Placeholder(f"{pkg}.{s}")
            mod.__path__ = []
            sys.modules[f"{pkg}.{s}"] = mod
            parent, _, leaf = f"{pkg}.{s}".rpartition(".")
            setattr(sys.modules[parent], leaf, mod)
    return missing


def _sklearn_shim():
    import sklearn.preprocessing as pp

    base = pp.OneHotEncoder
    try:
        base(sparse=False)
        return False
    except TypeError:
        pass

    class OneHotEncoder(base):  # noqa: D401 - a shim
        def __init__(self, *args, sparse=None, **kwargs):
            if sparse is not None:
                kwargs.setdefault("sparse_output", sparse)
            super().__init__(*args, **kwargs)

    # scikit-learn's parameter validation reads __init__'s signature: keep the base's
    OneHotEncoder.__init__.__signature__ = __import__("inspect").signature(base.__init__)
    OneHotEncoder._parameter_constraints = dict(base._parameter_constraints)
    pp.OneHotEncoder = OneHotEncoder
    return True


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--code", required=True, help="checkout of Neural_Indicator_Kernel_ISM")
    ap.add_argument("--fold-file", required=True)
    ap.add_argument("--name", default="fold")
    ap.add_argument("--seed", type=int, default=0, help="numpy's global seed (their RNG)")
    ap.add_argument("--pylib", default=None, help="extra folder for sys.path (autograd)")
    args = ap.parse_args(argv)

    warnings.filterwarnings("ignore")
    if args.pylib:
        sys.path.insert(0, args.pylib)
    import numpy as np
    from sklearn import preprocessing
    from sklearn.metrics import accuracy_score

    missing = _install_placeholders()
    shim = _sklearn_shim()
    code = os.path.abspath(args.code)
    sys.path.insert(0, code)  # their modules also import each other as ``src.<...>``
    pkg = types.ModuleType("_nik_ism")
    pkg.__path__ = [code]
    sys.modules["_nik_ism"] = pkg
    os.chdir(code)  # kernelNet creates ./results/<name> folders
    nik = importlib.import_module("_nik_ism.NIK")

    f = np.load(args.fold_file)
    X = preprocessing.scale(np.asarray(f["Xtr"], dtype=np.float64))
    X_test = preprocessing.scale(np.asarray(f["Xte"], dtype=np.float64))
    Y = np.asarray(f["ytr"], dtype=np.int32)
    Y_test = np.asarray(f["yte"], dtype=np.int32)

    np.random.seed(args.seed)
    import random

    random.seed(args.seed)
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        knet = nik.kernelNet(X, Y, "kernelnet_bench/" + args.name)
    knet.db["record_internal"] = False  # their debug switch (heat maps, extra statistics)
    knet.db["print_internal_at_each_stage"] = False
    net = knet.db["network"]
    layer_times = []
    orig_outer, orig_final = net.outer_converge, net.add_final_layer

    def outer_converge(new_l):
        stop = orig_outer(new_l)
        layer_times.append(float(knet.db["ΔTime"]))
        return stop

    def add_final_layer(last_l):
        out = orig_final(last_l)
        layer_times.append(float(knet.db["ΔTime"]))
        return out

    net.outer_converge, net.add_final_layer = outer_converge, add_final_layer
    c0, t0 = time.process_time(), time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        knet.train()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    train_acc = float(accuracy_score(knet.fit(X), Y))
    test_acc = float(accuracy_score(knet.fit(X_test), Y_test))
    out = {
        "time_s": float(np.sum(layer_times)),
        "cpu_s": cpu,
        "wall_s": wall,
        "layers": len(net.ℓ_目),
        "widths": [int(layer.Wₐ.shape[1]) for layer in net.ℓ_目],
        "layer_times": layer_times,
        "train_acc": train_acc,
        "test_acc": test_acc,
        "placeholders": missing,
        "sklearn_shim": shim,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
