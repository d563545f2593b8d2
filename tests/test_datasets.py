"""Tests of kernelnet.datasets: shapes and class counts, checksums, the two findings, folds."""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from sklearn.preprocessing import scale

from kernelnet import datasets
from kernelnet.datasets import describe, folds, load, names
from kernelnet.experiments import layerwise as ch_layerwise
from kernelnet.experiments import poster_table as ch_poster_table

DATA = Path(datasets.__file__).resolve().parent / "data"

# Shapes and label counts as stated in shared/data/README.md (typed from there, not from the
# module, so a wrong entry in the module's metadata fails here).
EXPECTED = {
    "random": ((60, 3), {0: 30, 1: 30}),
    "adversarial": ((80, 2), {0: 40, 1: 40}),
    "spiral": ((1200, 2), {1: 400, 2: 400, 3: 400}),
    "wine": ((178, 13), {1: 59, 2: 71, 3: 48}),
    "cancer": ((615, 9), {2: 399, 4: 216}),
    "car": ((1728, 6), {0: 576, 1: 576, 2: 576}),
    "face": (
        (624, 960),
        dict(enumerate([30, 31, 32, 32, 32, 30, 31, 32, 32, 31,
                        32, 30, 32, 31, 32, 32, 31, 28, 32, 31])),
    ),  # fmt: skip
    "divorce": ((170, 54), {0: 86, 1: 84}),
    "car_uci": ((1728, 6), {0: 1210, 1: 384, 2: 69, 3: 65}),
    "cancer_uci": ((683, 9), {2: 444, 4: 239}),  # 699 rows minus 16 with '?'
}
POSTER = ["random", "adversarial", "spiral", "wine", "cancer", "car", "face", "divorce"]


def test_names():
    assert set(names()) == set(EXPECTED)
    assert names(poster_only=True) == POSTER
    with pytest.raises(ValueError, match="poster_only"):
        names(poster_only="yes")


def test_the_poster_data_sets_are_one_list():
    """One constant; the chapters' names for it are the same object, not copies."""
    assert datasets.POSTER_DATASETS == tuple(POSTER)
    assert ch_poster_table.DATASETS is datasets.POSTER_DATASETS
    assert ch_layerwise.POSTER_SETS is datasets.POSTER_DATASETS


def test_authors_preprocessing_scales_each_fold_on_its_own():
    X, _ = load("wine")
    tr, te = folds("wine")[0]
    a, b = datasets.authors_preprocessing(X[tr], X[te])
    np.testing.assert_array_equal(a, scale(X[tr]))
    np.testing.assert_array_equal(b, scale(X[te]))  # its own mean and std, not the training's
    np.testing.assert_allclose(b.mean(axis=0), 0, atol=1e-12)
    assert datasets.authors_preprocessing(X[tr])[1] is None
    # the W_s noise: N(0, noise^2) on the training features before scaling, from random_state
    noisy, _ = datasets.authors_preprocessing(X[tr], noise=datasets.AUTHORS_WS_NOISE,
                                              random_state=5)
    g = np.random.default_rng(5).standard_normal(X[tr].shape)
    np.testing.assert_array_equal(noisy, scale(X[tr] + 0.02 * g))
    again, _ = datasets.authors_preprocessing(X[tr], noise=0.02, random_state=5)
    other, _ = datasets.authors_preprocessing(X[tr], noise=0.02, random_state=6)
    assert np.array_equal(noisy, again) and not np.array_equal(noisy, other)
    np.testing.assert_array_equal(datasets.authors_preprocessing(X[tr], random_state=6)[0], a)


@pytest.mark.parametrize("kwargs, match", [
    (dict(X_train=np.ones(5)), "X_train must be a 2-D array"),
    (dict(X_train=np.ones((5, 2)), X_test=np.ones((3, 3))), "X_test must be a 2-D array with 2"),
    (dict(X_train=np.ones((5, 2)), noise=-0.1), "noise must be a non-negative number"),
    (dict(X_train=np.ones((5, 2)), noise=float("nan")), "noise must be a non-negative number"),
    (dict(X_train=np.ones((5, 2)), noise="0.02"), "noise must be a non-negative number"),
    (dict(X_train=np.ones((5, 2)), noise=True), "noise must be a non-negative number"),
    (dict(X_train=np.ones((5, 2)), noise=0.1, random_state=-1), "random_state"),
])
def test_authors_preprocessing_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        datasets.authors_preprocessing(**kwargs)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_load_shape_dtype_and_class_counts(name):
    shape, counts = EXPECTED[name]
    X, y = load(name)
    assert X.shape == shape and X.dtype == np.float64 and X.flags.c_contiguous
    assert y.shape == (shape[0],) and y.dtype == np.int64
    assert np.all(np.isfinite(X))
    labels, n = np.unique(y, return_counts=True)
    assert dict(zip(labels.tolist(), n.tolist())) == counts
    info = describe(name)
    assert (info.n, info.d, info.n_classes, info.class_counts) == (*shape, len(counts), counts)
    for text in (info.source, info.licence, info.citation, info.notes):
        assert isinstance(text, str) and len(text) > 20
    assert info.has_folds == (name in POSTER)


def test_load_returns_fresh_writable_copies():
    X1, y1 = load("wine")
    X1[0, 0] = -999.0
    y1[0] = -1
    X2, y2 = load("wine")
    assert X2[0, 0] != -999.0 and y2[0] != -1


def test_wine_matches_sklearn():
    from sklearn.datasets import load_wine

    X, y = load("wine")
    ref = load_wine()
    # README: 18 values carry float32 noise, max abs difference 1e-6.
    np.testing.assert_allclose(X, ref.data, rtol=0, atol=2e-6)
    np.testing.assert_array_equal(y, ref.target + 1)


def test_face_is_8bit_30x32_images():
    X, _ = load("face")
    assert np.all(X == np.round(X)) and X.min() >= 0 and X.max() <= 255
    assert X.reshape(-1, 30, 32).shape == (624, 30, 32)


# --- checksums --------------------------------------------------------------------------------


def test_checksum_file_agrees_with_module_and_files():
    listed = {}
    for line in (DATA / "CHECKSUMS.sha256").read_text().splitlines():
        digest, fname = line.split()
        listed[fname] = digest
    assert listed == datasets._SHA256
    for fname, digest in listed.items():
        assert hashlib.sha256((DATA / fname).read_bytes()).hexdigest() == digest, fname


def test_every_loaded_file_is_in_the_checksum_list():
    for name in names():
        assert describe(name).file in datasets._SHA256


def test_corrupted_copy_raises(tmp_path, monkeypatch):
    shutil.copy(DATA / "random.csv", tmp_path / "random.csv")
    monkeypatch.setattr(datasets, "_DATA_DIR", tmp_path)
    X_ok, _ = load("random")  # the intact copy verifies and loads
    ref = np.loadtxt(DATA / "random.csv", delimiter=",", skiprows=1)
    np.testing.assert_array_equal(X_ok, ref[:, :-1])

    # Corrupt one digit without changing the size; give it a new mtime so the per-process cache
    # (keyed on path, size, mtime) must check it again.
    path = tmp_path / "random.csv"
    raw = bytearray(path.read_bytes())
    i = raw.index(b"0.35094239")
    raw[i + 2] = ord("4")
    path.write_bytes(bytes(raw))
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    with pytest.raises(RuntimeError, match="checksum mismatch.*random.csv"):
        load("random")


def test_missing_file_raises(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "_DATA_DIR", tmp_path)
    with pytest.raises(RuntimeError, match="missing"):
        load("adversarial")


# --- the two findings ------------------------------------------------------------------------


def _car_data_coded():
    """Code UCI car.data independently of the module (coding from shared/data/README.md)."""
    codes = [
        {"low": 0, "med": 1, "high": 2, "vhigh": 3},
        {"low": 0, "med": 1, "high": 2, "vhigh": 3},
        {"2": 0, "3": 1, "4": 2, "5more": 3},
        {"2": 0, "4": 1, "more": 2},
        {"small": 0, "med": 1, "big": 2},
        {"low": 0, "med": 1, "high": 2},
    ]
    classes = {"unacc": 0, "acc": 1, "good": 2, "vgood": 3}
    X, y = [], []
    with open(DATA / "car.data") as fh:
        for row in csv.reader(fh):
            if row:
                X.append([codes[j][v] for j, v in enumerate(row[:6])])
                y.append(classes[row[6]])
    return np.array(X, dtype=float), np.array(y)


def test_car_label_is_the_safety_column_but_car_uci_is_not():
    X, y = load("car")
    Xu, yu = load("car_uci")
    np.testing.assert_array_equal(y, X[:, 5])  # the leak: label == input column 6 (safety)
    np.testing.assert_array_equal(X, Xu)  # same rows, same coding
    assert not np.array_equal(yu, Xu[:, 5])
    assert np.mean(yu == Xu[:, 5]) < 0.5
    Xr, yr = _car_data_coded()
    np.testing.assert_array_equal(Xu, Xr)
    np.testing.assert_array_equal(yu, yr)


def test_cancer_is_a_subset_of_the_zscored_complete_wisconsin_rows():
    Xc, yc = load("cancer")
    assert Xc.shape == (615, 9)
    # Independent parse of the original file: drop the id, drop rows with '?'.
    lines = (DATA / "breast-cancer-wisconsin.data").read_text().split()
    full = [ln.split(",") for ln in lines]
    assert len(full) == 699
    complete = np.array([[float(v) for v in r[1:]] for r in full if "?" not in r])
    Xu, yu = load("cancer_uci")
    np.testing.assert_array_equal(Xu, complete[:, :-1])
    np.testing.assert_array_equal(yu, complete[:, -1].astype(int))
    Z = (Xu - Xu.mean(axis=0)) / Xu.std(axis=0)  # population std, as sklearn's scale
    # The authors stored 4 decimals: a match is within half a unit of the 4th decimal (+ slack
    # for the float rounding of the z-scores themselves).
    dist = np.abs(Xc[:, None, :] - Z[None, :, :]).max(axis=2)  # 615 x 683
    best = dist.argmin(axis=1)
    assert np.all(dist[np.arange(615), best] <= 5.1e-5)
    np.testing.assert_array_equal(yc, yu[best])
    # With the sample std (ddof=1) instead, the rows would not match (error ~ 3.6e-3).
    Z1 = (Xu - Xu.mean(axis=0)) / Xu.std(axis=0, ddof=1)
    assert np.abs(Xc[:, None, :] - Z1[None, :, :]).max(axis=2).min(axis=1).max() > 1e-3


# --- folds -----------------------------------------------------------------------------------


def _fold_column(name, column):
    ids = {}
    with open(DATA / "folds_authors.csv") as fh:
        for r in csv.DictReader(fh):
            if r["dataset"] == name:
                ids[int(r["row"])] = int(r[column])
    return np.array([ids[i] for i in range(len(ids))])


@pytest.mark.parametrize("scheme", ["authors", "authors_ws"])
@pytest.mark.parametrize("name", POSTER)
def test_folds_partition_rows(name, scheme):
    n = EXPECTED[name][0][0]
    split = folds(name, scheme=scheme)
    assert len(split) == 10
    tests = np.concatenate([te for _, te in split])
    np.testing.assert_array_equal(np.sort(tests), np.arange(n))  # disjoint and covering
    for train, test in split:
        np.testing.assert_array_equal(np.union1d(train, test), np.arange(n))
        assert np.intersect1d(train, test).size == 0
        assert len(test) in (n // 10, -(-n // 10))  # KFold sizes
    column = datasets.FOLD_SCHEMES[scheme]
    ids = _fold_column(name, column)
    for k, (_, test) in enumerate(split, start=1):
        np.testing.assert_array_equal(test, np.flatnonzero(ids == k))


def test_cancer_fold_sizes_as_readme():
    sizes = sorted({(len(tr), len(te)) for tr, te in folds("cancer")})
    assert sizes == [(553, 62), (554, 61)]


def test_authors_default_scheme_is_the_ism_column():
    assert datasets.FOLD_SCHEMES["authors"] == "fold_neural_indicator_kernel_ism"
    a = folds("wine")
    b = folds("wine", scheme="authors")
    assert all(np.array_equal(x[1], y[1]) for x, y in zip(a, b))


@pytest.mark.parametrize("name", ["car_uci", "cancer_uci"])
def test_folds_without_stored_split_raise(name):
    with pytest.raises(ValueError, match=f"{name}.*no stored folds"):
        folds(name)


def test_folds_bad_scheme_and_name():
    with pytest.raises(ValueError, match="scheme"):
        folds("wine", scheme="stratified")
    with pytest.raises(ValueError, match="name must be one of"):
        folds("iris")


# --- bad names, random_state -----------------------------------------------------------------


@pytest.mark.parametrize("bad", ["iris", "Wine", "", None, 3])
def test_unknown_name_lists_valid_ones(bad):
    with pytest.raises(ValueError, match="name must be one of") as exc:
        load(bad)
    for valid in EXPECTED:
        assert repr(valid) in str(exc.value)
    with pytest.raises(ValueError, match="name must be one of"):
        describe(bad)


def test_random_state_none_keeps_file_order_and_seed_shuffles_deterministically():
    X0, y0 = load("spiral")
    X1, y1 = load("spiral", random_state=7)
    X2, y2 = load("spiral", random_state=7)
    X3, _ = load("spiral", random_state=8)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X0) and not np.array_equal(X1, X3)
    perm = np.random.default_rng(7).permutation(len(y0))  # the documented permutation
    np.testing.assert_array_equal(X1, X0[perm])
    np.testing.assert_array_equal(y1, y0[perm])
    Xg, _ = load("spiral", random_state=np.random.default_rng(7))
    np.testing.assert_array_equal(Xg, X1)
    first = np.loadtxt(DATA / "spiral.csv", delimiter=",", skiprows=1, max_rows=3)
    np.testing.assert_array_equal(X0[:3], first[:, :2])


@pytest.mark.parametrize("bad", [-1, 1.5, True, "0", [-1], [1.5]])
def test_bad_random_state(bad):
    with pytest.raises(ValueError, match="random_state"):
        load("wine", random_state=bad)


# --- the book's data page states the same shapes and checksums -------------------------------

BOOK_PAGE = DATA.parents[1] / "book" / "data.md"


@pytest.mark.skipif(not BOOK_PAGE.exists(), reason="book sources not present (installed package)")
def test_book_data_page_agrees_with_module():
    import re

    text = BOOK_PAGE.read_text(encoding="utf-8")
    sums = dict(re.findall(r"^\| `([\w.-]+)` \| `([0-9a-f]{64})` \|$", text, re.M))
    # the book's own tables (published table, claims registry) are not data sets
    assert sums == {f: h for f, h in datasets._SHA256.items()
                    if f not in ("poster_table.csv", "claims_registry.csv",
                                 "diversity_table.csv")}
    shapes = dict(re.findall(r"^\| `(\w+)` \| [^|]+ \| (\d+ x \d+) \|", text, re.M))
    assert shapes == {n: f"{describe(n).n} x {describe(n).d}" for n in names()}
