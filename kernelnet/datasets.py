"""Every data set of the book by name, vendored with its checksum, source and licence.

The poster "Layer-wise learning via kernel embedding" (seed ``000_a367beca8db76124.txt``; paper:
Wu, Masoomi, Gretton, Dy, "Deep Layer-wise Networks Have Closed-Form Weights", AISTATS 2022,
arXiv:2006.08539) reports a 10-fold table on eight data sets. This module ships the authors' own
files for all eight, taken from their public repositories by Chieh Wu (GitHub ``endsley``):

* ``endsley/Neural_Indicator_Kernel_ISM`` @ ``708cb2d89d992629e095ebb195f3e57720f58a92``
  (2021-04-29), the W* / ISM network and the CE/MSE baselines; no licence file;
* ``endsley/NIK_Thm1_Release_V2`` @ ``099a4eeb3b8f3d733ee805977b2739346f087a78`` (2021-04-29),
  the closed-form W_s network. The data came in with commit ``6479e01``, at which the repository
  held an MIT licence ("Copyright (c) 2020 Endsley"); the last commit deleted it.

plus two extra sets that expose what the paper's files are (see :func:`describe`):

* ``car_uci``: the genuine UCI Car Evaluation task. The authors' ``car`` label is the ``safety``
  attribute, which is also input column 6, so every method scores 1.00 on ``car``.
* ``cancer_uci``: the 683 complete rows of the original Breast Cancer Wisconsin file, raw values.
  The authors' ``cancer`` is a 615-row subset of those 683 rows, already z-scored (it is *not*
  scikit-learn's 569 x 30 WDBC set).

Every file is checked against its SHA-256 before it is parsed (once per process; a mismatch raises
:class:`RuntimeError`). Labels are returned exactly as the authors coded them (e.g. ``spiral`` and
``wine`` use 1..3, ``cancer`` uses 2/4); use :func:`kernelnet._validation.as_labels` to get codes
0..c-1.

Public API: :func:`names`, :func:`load`, :func:`describe`, :func:`folds`, :func:`poster_table`,
:func:`authors_ws_results`, :func:`authors_ws_bandwidths`, :func:`authors_ws_options`,
:func:`authors_preprocessing`, :data:`AUTHORS_WS_NOISE`,
:data:`POSTER_DATASETS`, :data:`FOLD_SCHEMES`,
:data:`AUTHORS_WS_BANDWIDTHS`, :class:`DatasetInfo`.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import numbers
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kernelnet._validation import as_rng, check_choice

__all__ = [
    "DatasetInfo",
    "POSTER_DATASETS",
    "FOLD_SCHEMES",
    "AUTHORS_WS_BANDWIDTHS",
    "authors_ws_bandwidths",
    "authors_ws_options",
    "AUTHORS_WS_NOISE",
    "authors_preprocessing",
    "authors_ws_results",
    "names",
    "load",
    "describe",
    "folds",
    "poster_table",
    "write_checksums",
    "verify_checksums",
]

_DATA_DIR = Path(__file__).resolve().parent / "data"

#: SHA-256 of every vendored file (the same values as ``data/CHECKSUMS.sha256`` and as
#: ``shared/data/README.md``). The module copy is authoritative; a test checks they agree.
_SHA256 = {
    "adversarial.csv": "b2e841470336bcc317b0efa9da1bc5068b7e23efd2151059237b402081025f94",
    "authors_ws_v2_folds.csv": "f93c6c4b8ee265b895416976a5b28428b13e488ee93c222ede7037fb5ec2ccef",
    "breast-cancer-wisconsin.data": (
        "402c585309c399237740f635ef9919dc512cca12cbeb20de5e563a4593f22b64"
    ),
    "cancer.csv": "76345ea9c0e25014b4a1b3640cc825966cc3430e9df11fdd81dddd19800fe834",
    "car.csv": "f0d8b0309ca788f01b25dc4ad1ff623153b33fcfcb690fa6f57c8cb2ae484d0a",
    "car.data": "b703a9ac69f11e64ce8c223c0a40de4d2e9d769f7fb20be5f8f2e8a619893d83",
    "car_uci.csv": "45dff69ff99a4ee8608f8998f92c15cbe6240d22698112061cecb2b9b9c75bcc",
    "divorce.csv": "2d7f575a9fd440f952e656189d71173aed8c11d042159cdff32739b04ff1a202",
    "face.csv.gz": "1a515f6fb14d87447ebfbc31e4c0130c8d45919af2f17584e80a9b8a157fb4e3",
    "folds_authors.csv": "8df50326761e7cc459e0a3400ae13e8d3b0ecafc927777d16ff81c0afc58ca40",
    "poster_table.csv": "8cc5952dca0e38763850af64d244f0256b44a0e13712dc27b7d6a1f91f6c5232",
    "random.csv": "ce3c800dec3003d47dcaf5aea27154380dde60cbb1bb69012126db0d414ead51",
    "spiral.csv": "c1a6d0c34458586efe262fc56ce08b18472fd5626a3338e45c2d194a8f22ba37",
    "claims_registry.csv": "6e98d6d3ca37368aedece2880d66d192219832a7d1e748e0fc4e48b7dad5494e",
    "wine.csv": "ed6773aedbfa44fcb79b86d676a94c4aae39c517276fc4e69a4a81fb15d0dd62",
    # the talk's regulariser table (seed 003), read by experiments.diverse_weights.talk_table
    "diversity_table.csv": "a6c4c14c2555513512b372de3c353cb421d316030e247ce81adffe225d394f6c",
}

_PAPER = (
    "Wu, C., Masoomi, A., Gretton, A. and Dy, J. (2022). Deep Layer-wise Networks Have "
    "Closed-Form Weights. AISTATS 2022, arXiv:2006.08539."
)
_ISM_REPO = "endsley/Neural_Indicator_Kernel_ISM @ 708cb2d89d992629e095ebb195f3e57720f58a92"
_WS_REPO = (
    "endsley/NIK_Thm1_Release_V2 @ 099a4eeb3b8f3d733ee805977b2739346f087a78 (data from 6479e01)"
)
_AUTHORS_LICENCE = (
    "authors' file: no licence in Neural_Indicator_Kernel_ISM; MIT ('Copyright (c) 2020 Endsley') "
    "in NIK_Thm1_Release_V2 at commit 6479e01, where the data came in (the licence was deleted "
    "by the last commit, 099a4ee)"
)
_UCI_LICENCE = (
    "UCI Machine Learning Repository, CC BY 4.0 (as the current UCI site lists its data sets; "
    "not checked live)"
)


@dataclass(frozen=True)
class DatasetInfo:
    """Provenance and shape of one data set (for the book's data page).

    Attributes
    ----------
    name : str
        The name :func:`load` takes.
    n, d : int
        Rows (samples) and feature columns of ``X``.
    n_classes : int
        Number of distinct labels.
    class_counts : dict
        ``{label: count}`` with the labels as the authors coded them.
    source : str
        Where the file comes from (repository and commit, or UCI).
    licence : str
        Licence of the file, as far as it is known.
    citation : str
        Whom to cite.
    notes : str
        Preprocessing and caveats (what the file is, exactly).
    paper_name : str
        The row name in the poster's table ("-" if the set is not in it).
    file : str
        The vendored file in ``kernelnet/data``.
    has_folds : bool
        Whether the authors' 10-fold assignment is stored (see :func:`folds`).
    """

    name: str
    n: int
    d: int
    n_classes: int
    class_counts: dict = field(repr=False)
    source: str = field(repr=False)
    licence: str = field(repr=False)
    citation: str = field(repr=False)
    notes: str = field(repr=False)
    paper_name: str = "-"
    file: str = ""
    has_folds: bool = True


_INFO = {
    "random": DatasetInfo(
        name="random",
        n=60,
        d=3,
        n_classes=2,
        class_counts={0: 30, 1: 30},
        source=(
            f"authors' data/random.csv + data/random_label.csv, {_ISM_REPO} "
            f"(identical in {_WS_REPO})"
        ),
        licence=_AUTHORS_LICENCE,
        citation=_PAPER,
        notes=(
            "Synthetic 'Random' set designed by the authors to trick W_s (poster, Experiment 1). "
            "No generator is published: the file is the only record. Values look i.i.d. N(0, 1) "
            "(8 decimals); labels 0 for rows 0-29 and 1 for rows 30-59, with no class structure. "
            "X and label joined; values unchanged."
        ),
        paper_name="random",
        file="random.csv",
    ),
    "adversarial": DatasetInfo(
        name="adversarial",
        n=80,
        d=2,
        n_classes=2,
        class_counts={0: 40, 1: 40},
        source=f"authors' data/adversarial.csv + label, {_ISM_REPO} (identical in {_WS_REPO})",
        licence=_AUTHORS_LICENCE,
        citation=_PAPER,
        notes=(
            "Synthetic 'Adversarial' set. Recipe in NIK_Thm1_Release_V2/data/genGauss.py: "
            "X1 = rand(40, 2) (label 0), X2 = X1 + 0.01 randn(40, 2) (label 1); no seed published, "
            "so only this file reproduces the paper. X and label joined; values unchanged."
        ),
        paper_name="adver",
        file="adversarial.csv",
    ),
    "spiral": DatasetInfo(
        name="spiral",
        n=1200,
        d=2,
        n_classes=3,
        class_counts={1: 400, 2: 400, 3: 400},
        source=f"authors' data/spiral.csv + label, {_ISM_REPO} (identical in {_WS_REPO})",
        licence=_AUTHORS_LICENCE,
        citation=_PAPER,
        notes=(
            "Three interleaved spiral arms of 400 points, radius about 0.3 to 2.0, with noise, "
            "3 decimals. No generator is published: the file is the only record. Labels 1..3."
        ),
        paper_name="spiral",
        file="spiral.csv",
    ),
    "wine": DatasetInfo(
        name="wine",
        n=178,
        d=13,
        n_classes=3,
        class_counts={1: 59, 2: 71, 3: 48},
        source=f"UCI Wine via the authors' data/wine.csv + label, {_ISM_REPO}",
        licence=_UCI_LICENCE,
        citation="Aeberhard, S. and Forina, M. (1991). Wine. UCI Machine Learning Repository.",
        notes=(
            "Same rows and order as sklearn.datasets.load_wine; label = sklearn target + 1. "
            "18 alcalinity_of_ash values carry float32 noise (16.799999 for 16.8; max abs "
            "difference to load_wine 1e-6). Raw (unscaled) features."
        ),
        paper_name="wine",
        file="wine.csv",
    ),
    "cancer": DatasetInfo(
        name="cancer",
        n=615,
        d=9,
        n_classes=2,
        class_counts={2: 399, 4: 216},
        source=(
            f"UCI Breast Cancer Wisconsin (Original) via the authors' data/cancer.csv + label, "
            f"{_ISM_REPO} (same rows, other order, in {_WS_REPO})"
        ),
        licence=_UCI_LICENCE,
        citation=(
            "Wolberg, W. H. and Mangasarian, O. L. (1990). Multisurface method of pattern "
            "separation for medical diagnosis applied to breast cytology. PNAS 87, 9193-9196; "
            "Breast Cancer Wisconsin (Original), UCI Machine Learning Repository."
        ),
        notes=(
            "NOT scikit-learn's load_breast_cancer (WDBC, 569 x 30). The 9 features of the "
            "original Wisconsin file; labels 2 = benign, 4 = malignant. The file is a 615-row "
            "subset of the 683 complete rows (699 minus 16 with '?'), already z-scored over "
            "those 683 rows (population std) and rounded to 4 decimals: probably a 90 % "
            "training fold saved as the data set. The raw rows are in 'cancer_uci'."
        ),
        paper_name="cancer",
        file="cancer.csv",
    ),
    "car": DatasetInfo(
        name="car",
        n=1728,
        d=6,
        n_classes=3,
        class_counts={0: 576, 1: 576, 2: 576},
        source=f"UCI Car Evaluation attributes via the authors' data/car.csv + label, {_ISM_REPO}",
        licence=_UCI_LICENCE,
        citation=(
            "Bohanec, M. and Rajkovic, V. (1988). Knowledge acquisition and explanation for "
            "multi-attribute decision making. 8th Intl Workshop on Expert Systems and their "
            "Applications, Avignon; Car Evaluation, UCI Machine Learning Repository."
        ),
        notes=(
            "LABEL LEAK: the authors' label is the 'safety' attribute (low/med/high = 0/1/2), "
            "which is also input column 6 (index 5), not the UCI class; every method therefore "
            "scores 1.00. Columns buying, maint, doors, persons, lug_boot, safety, ordinal-coded "
            "as the authors coded them, in UCI row order. The genuine task is 'car_uci'."
        ),
        paper_name="car",
        file="car.csv",
    ),
    "face": DatasetInfo(
        name="face",
        n=624,
        d=960,
        n_classes=20,
        class_counts={
            0: 30, 1: 31, 2: 32, 3: 32, 4: 32, 5: 30, 6: 31, 7: 32, 8: 32, 9: 31,
            10: 32, 11: 30, 12: 32, 13: 31, 14: 32, 15: 32, 16: 31, 17: 28, 18: 32, 19: 31,
        },  # fmt: skip
        source=(
            f"CMU Face Images (T. Mitchell; UCI), reconstructed from the authors' 10 test folds "
            f"data/face/face_<k>_test.csv + face_<k>_label_test.csv, {_ISM_REPO}"
        ),
        licence=(
            "UCI Machine Learning Repository (CC BY 4.0 as the current UCI site lists it, not "
            "checked live); the original CMU/KDD archive page: free of charge for any educational "
            "purpose, provided attribution is given"
        ),
        citation=(
            "Mitchell, T. M. (1997). Machine Learning, ch. 4, McGraw-Hill; CMU Face Images, "
            "UCI Machine Learning Repository."
        ),
        notes=(
            "The 624 good quarter-resolution images (16 of 640 are .bad), raw 8-bit grey levels "
            "(0-153), each row a 30 x 32 image in row-major order. Label = person (20 people). "
            "The authors' full file (> 4 MiB) was not obtainable; stacking their 10 disjoint test "
            "folds gives all rows, with label counts equal to their face_label.csv. Rows sorted "
            "by label, then lexicographically by pixels (the within-class order is lost); the "
            "label-to-userid map is not recorded. Stored gzipped."
        ),
        paper_name="face",
        file="face.csv.gz",
    ),
    "divorce": DatasetInfo(
        name="divorce",
        n=170,
        d=54,
        n_classes=2,
        class_counts={0: 86, 1: 84},
        source=(
            f"UCI Divorce Predictors via the authors' data/divorce.csv + label, {_ISM_REPO}; "
            "identical row for row to semnan-university-ai/Divorce-Predictors divorce.csv"
        ),
        licence=_UCI_LICENCE,
        citation=(
            "Yontem, M. K., Adem, K., Ilhan, T. and Kilicarslan, S. (2019). Divorce prediction "
            "using correlation based feature selection and artificial neural networks. Nevsehir "
            "Haci Bektas Veli University SBE Dergisi 9(1), 259-273; Divorce Predictors data set, "
            "UCI Machine Learning Repository."
        ),
        notes="54 questionnaire items scored 0-4; label 1 = divorced, 0 = married. Unchanged.",
        paper_name="divorce",
        file="divorce.csv",
    ),
    "car_uci": DatasetInfo(
        name="car_uci",
        n=1728,
        d=6,
        n_classes=4,
        class_counts={0: 1210, 1: 384, 2: 69, 3: 65},
        source=(
            "UCI Car Evaluation car.data (vendored verbatim as car.data; copy from "
            "rapidmon/car_data @ 0cfb7c35, added header line removed)"
        ),
        licence=_UCI_LICENCE,
        citation=(
            "Bohanec, M. and Rajkovic, V. (1988). Knowledge acquisition and explanation for "
            "multi-attribute decision making; Car Evaluation, UCI Machine Learning Repository."
        ),
        notes=(
            "The genuine UCI task: the same 1728 rows and feature coding as 'car' (buying/maint "
            "low,med,high,vhigh = 0..3; doors 2,3,4,5more = 0..3; persons 2,4,more = 0..2; "
            "lug_boot small,med,big = 0..2; safety low,med,high = 0..2), label = UCI class "
            "unacc=0, acc=1, good=2, vgood=3. Not in the paper; the authors stored no folds."
        ),
        file="car_uci.csv",
        has_folds=False,
    ),
    "cancer_uci": DatasetInfo(
        name="cancer_uci",
        n=683,
        d=9,
        n_classes=2,
        class_counts={2: 444, 4: 239},
        source=(
            "UCI Breast Cancer Wisconsin (Original) breast-cancer-wisconsin.data (vendored; copy "
            "from Arsh77/knn_on_breast_cancer_data @ e5c8b171, added header line removed)"
        ),
        licence=_UCI_LICENCE,
        citation=(
            "Wolberg, W. H. and Mangasarian, O. L. (1990). PNAS 87, 9193-9196; Breast Cancer "
            "Wisconsin (Original), UCI Machine Learning Repository."
        ),
        notes=(
            "The 683 complete rows (699 minus the 16 with '?' in bare nuclei) in file order, "
            "sample id dropped, raw integer scores 1-10 as float64; labels 2 = benign, "
            "4 = malignant. The authors' 'cancer' is 615 of these rows, z-scored over the 683. "
            "Not in the paper; no stored folds."
        ),
        file="breast-cancer-wisconsin.data",
        has_folds=False,
    ),
}

#: The poster's eight data sets, in its row order (the one list; ``names(poster_only=True)``).
POSTER_DATASETS = ("random", "adversarial", "spiral", "wine", "cancer", "car", "face", "divorce")

#: Fold schemes of :func:`folds`: the column of ``folds_authors.csv`` each one reads.
FOLD_SCHEMES = {
    "authors": "fold_neural_indicator_kernel_ism",
    "authors_ws": "fold_nik_thm1_release_v2",
}

#: The W_s bandwidth list the authors ran on each poster data set, as ``(smallest_sigma,
#: n_sigmas)``: the candidates of a layer are ``np.logspace(log10(start), log10(smallest_sigma),
#: n_sigmas)``. Source: ``endsley/NIK_Thm1_Release_V2`` @ ``099a4ee``, ``thm1_simulation.py``
#: (one ``run_10_fold(name, NIK_Ws, smallest_σ=..., number_of_σ_to_test=...)`` line per data set);
#: transcribed in ``shared/data/README.md``, section "W_s". The estimator's defaults
#: ``ws_smallest_sigma=0.05, ws_n_sigmas=20`` are the authors' values for six of the eight.
AUTHORS_WS_BANDWIDTHS = {
    "random": (0.05, 20),
    "adversarial": (0.001, 20),
    "spiral": (0.05, 20),
    "wine": (0.05, 20),
    "cancer": (0.05, 20),
    "car": (0.05, 20),
    "face": (0.05, 20),
    "divorce": (0.1, 40),
}

_lock = threading.Lock()
_verified: dict = {}  # (path, size, mtime_ns) -> sha256 already checked in this process
_cache: dict = {}  # (path, size, mtime_ns) -> parsed arrays


def names(*, poster_only: bool = False) -> list[str]:
    """Names :func:`load` accepts.

    Parameters
    ----------
    poster_only : bool, default False
        If true, only the poster's eight data sets, in the poster's row order.

    Returns
    -------
    list of str
    """
    if not isinstance(poster_only, (bool, np.bool_)):
        raise ValueError(f"poster_only must be True or False, got {poster_only!r}")
    return list(POSTER_DATASETS) if poster_only else list(_INFO)


def _check_name(name) -> str:
    if not isinstance(name, str) or name not in _INFO:
        valid = ", ".join(repr(n) for n in _INFO)
        raise ValueError(f"name must be one of {valid}; got {name!r}")
    return name


def describe(name: str) -> DatasetInfo:
    """Shape, classes, source, licence, citation and preprocessing notes of one data set.

    Parameters
    ----------
    name : str
        One of :func:`names`.

    Returns
    -------
    DatasetInfo
    """
    return _INFO[_check_name(name)]


def _read_verified(filename: str, data_dir: Path | None = None) -> tuple[bytes, tuple]:
    """Bytes of a vendored file after checking its SHA-256 (cached per process).

    Returns
    -------
    raw : bytes
    key : tuple
        ``(path, size, mtime_ns)``, the cache key of the parsed content.

    Raises
    ------
    RuntimeError
        If the file is missing or its checksum differs from the recorded one.
    """
    if filename not in _SHA256:  # pragma: no cover - internal misuse
        raise ValueError(f"filename {filename!r} is not a vendored data file")
    path = Path(data_dir if data_dir is not None else _DATA_DIR) / filename
    try:
        stat = path.stat()
        raw = path.read_bytes()
    except OSError as exc:
        raise RuntimeError(
            f"data file {filename!r} is missing or unreadable at {path}: {exc}. "
            "Reinstall kernelnet (package data kernelnet/data/*)."
        ) from None
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    with _lock:
        done = _verified.get(key) == _SHA256[filename]
    if not done:
        digest = hashlib.sha256(raw).hexdigest()
        if digest != _SHA256[filename]:
            raise RuntimeError(
                f"checksum mismatch for data file {filename!r} at {path}: sha256 {digest}, "
                f"expected {_SHA256[filename]}. The file is corrupted or was modified; restore "
                "it from the kernelnet repository."
            )
        with _lock:
            _verified[key] = digest
    return raw, key


def _parse_csv(raw: bytes, gz: bool) -> tuple[np.ndarray, np.ndarray]:
    if gz:
        raw = gzip.decompress(raw)
    text = io.StringIO(raw.decode("ascii"))
    header = text.readline().strip().split(",")
    if header[-1] != "label":  # pragma: no cover - guarded by the checksum
        raise RuntimeError(f"unexpected header {header[:3]}...: last column must be 'label'")
    arr = np.loadtxt(text, delimiter=",", dtype=np.float64, ndmin=2)
    X = np.ascontiguousarray(arr[:, :-1])
    y = arr[:, -1]
    if not np.all(y == np.round(y)):  # pragma: no cover - guarded by the checksum
        raise RuntimeError("non-integer labels in a vendored file")
    return X, y.astype(np.int64)


def _parse_wisconsin(raw: bytes) -> tuple[np.ndarray, np.ndarray]:
    rows = []
    for line in raw.decode("ascii").splitlines():
        line = line.strip()
        if not line:
            continue
        parts = line.split(",")
        if len(parts) != 11:  # pragma: no cover - guarded by the checksum
            raise RuntimeError(f"unexpected line in breast-cancer-wisconsin.data: {line!r}")
        if "?" in parts:
            continue  # the 16 rows with a missing bare-nuclei value
        rows.append([float(v) for v in parts[1:]])  # drop the sample id
    arr = np.asarray(rows, dtype=np.float64)
    return np.ascontiguousarray(arr[:, :-1]), arr[:, -1].astype(np.int64)


def _file_key(filename: str) -> tuple | None:
    """``(path, size, mtime_ns)`` of a vendored file, or None if it cannot be stat'ed."""
    path = Path(_DATA_DIR) / filename
    try:
        st = path.stat()
    except OSError:
        return None
    return (str(path), st.st_size, st.st_mtime_ns)


def _load_file_order(name: str) -> tuple[np.ndarray, np.ndarray]:
    info = _INFO[name]
    key = _file_key(info.file)
    with _lock:  # parsed already in this process, from a file that has not changed since
        hit = _cache.get(key) if key is not None and key in _verified else None
    if hit is None:
        raw, key = _read_verified(info.file)
        if info.file.endswith(".data"):
            hit = _parse_wisconsin(raw)
        else:
            hit = _parse_csv(raw, gz=info.file.endswith(".gz"))
        hit[0].setflags(write=False)
        hit[1].setflags(write=False)
        with _lock:
            _cache[key] = hit
    return hit


def load(name: str, *, random_state=None) -> tuple[np.ndarray, np.ndarray]:
    """Load a data set as ``(X, y)``.

    The file is checked against its SHA-256 first (once per process).

    ============ ============ ========= ================================= =====================
    name         X shape      classes   labels (count)                    source
    ============ ============ ========= ================================= =====================
    random       60 x 3       2         0:30, 1:30                        authors (synthetic)
    adversarial  80 x 2       2         0:40, 1:40                        authors (synthetic)
    spiral       1200 x 2     3         1:400, 2:400, 3:400               authors (synthetic)
    wine         178 x 13     3         1:59, 2:71, 3:48                  UCI Wine
    cancer       615 x 9      2         2:399, 4:216                      UCI BCW (Original)
    car          1728 x 6     3         0:576, 1:576, 2:576 (= safety)    UCI Car Evaluation
    face         624 x 960    20        28-32 images per person           CMU Face Images
    divorce      170 x 54     2         0:86, 1:84                        UCI Divorce Predictors
    car_uci      1728 x 6     4         0:1210, 1:384, 2:69, 3:65         UCI Car Evaluation
    cancer_uci   683 x 9      2         2:444, 4:239                      UCI BCW (Original)
    ============ ============ ========= ================================= =====================

    Sources, licences, citations and preprocessing: :func:`describe` and the module docstring.
    Features are returned as stored, *not* standardised (except ``cancer``, which the authors
    stored already z-scored); the authors z-score each train and test fold separately.

    Parameters
    ----------
    name : str
        One of :func:`names`.
    random_state : None, int or numpy.random.Generator, default None
        ``None`` keeps the file order (the order :func:`folds` indexes). Otherwise (also a
        sequence of non-negative ints, a SeedSequence or a legacy RandomState) the rows of
        ``X`` and ``y`` are shuffled together by the permutation
        ``np.random.default_rng(random_state).permutation(n)``: the same integer gives the same
        order on every call and machine (a Generator is used, and so advanced, as given). The
        values themselves are never changed.

    Returns
    -------
    X : ndarray of float64, shape (n, d)
        A fresh C-contiguous copy.
    y : ndarray of int64, shape (n,)
        Class labels exactly as the authors coded them.

    Raises
    ------
    ValueError
        If ``name`` is unknown (the message lists the valid names) or ``random_state`` is invalid.
    RuntimeError
        If a vendored file is missing or fails its checksum.

    Examples
    --------
    >>> X, y = load("wine")
    >>> X.shape, sorted(set(y.tolist()))
    ((178, 13), [1, 2, 3])
    """
    _check_name(name)
    rng = None if random_state is None else as_rng(random_state)
    X, y = _load_file_order(name)
    if rng is None:
        return X.copy(), y.copy()
    perm = rng.permutation(X.shape[0])
    return np.ascontiguousarray(X[perm]), y[perm].copy()


def folds(name: str, *, scheme: str = "authors") -> list[tuple[np.ndarray, np.ndarray]]:
    """The authors' stored 10-fold cross-validation split of a poster data set.

    The authors split with ``KFold(n_splits=10, shuffle=True)`` and no seed, and stored the
    resulting folds as files; ``folds_authors.csv`` records, for every row of the vendored file,
    the id (1..10) of the test fold that holds it, matched by value (identical rows, which occur
    in ``cancer``, were assigned greedily, so they are interchangeable).

    Parameters
    ----------
    name : str
        A data set with stored folds: one of the poster's eight (``names(poster_only=True)``).
    scheme : {"authors", "authors_ws"}, default "authors"
        ``"authors"``: the split stored with the ISM code (``Neural_Indicator_Kernel_ISM``,
        column ``fold_neural_indicator_kernel_ism``), the one the ISM row of the table is compared on.
        ``"authors_ws"``: the split stored with the W_s code (``NIK_Thm1_Release_V2``,
        column ``fold_nik_thm1_release_v2``).

    Returns
    -------
    list of (train_idx, test_idx)
        Ten pairs of sorted int64 index arrays into the rows of ``load(name)`` in file order
        (``random_state=None``), test fold 1 first. The test sets partition the rows.

    Raises
    ------
    ValueError
        If ``name`` is unknown, has no stored folds (``car_uci``, ``cancer_uci``), or
        ``scheme`` is not one of :data:`FOLD_SCHEMES`.
    RuntimeError
        If ``folds_authors.csv`` fails its checksum.
    """
    _check_name(name)
    check_choice(scheme, "scheme", tuple(FOLD_SCHEMES))
    info = _INFO[name]
    if not info.has_folds:
        with_folds = ", ".join(repr(n) for n, i in _INFO.items() if i.has_folds)
        raise ValueError(
            f"name {name!r} has no stored folds (the authors never used it); data sets with "
            f"stored folds: {with_folds}. Use sklearn's StratifiedKFold instead."
        )
    table = _fold_table()
    rows, fold_id = table[scheme][name]
    n = info.n
    if rows.shape[0] != n or not np.array_equal(np.sort(rows), np.arange(n)):  # pragma: no cover
        raise RuntimeError(f"folds_authors.csv does not cover the {n} rows of {name!r}")
    ids = np.empty(n, dtype=np.int64)
    ids[rows] = fold_id
    out = []
    for k in range(1, 11):
        test = np.flatnonzero(ids == k)
        train = np.flatnonzero(ids != k)
        out.append((train, test))
    return out


#: Standard deviation of the noise the authors' W_s runs add to the training features
#: (``X = X + 0.02*np.random.randn(...)``, ``NIK_Thm1_Release_V2/src/tests/run_10_fold.py``).
AUTHORS_WS_NOISE = 0.02


def authors_preprocessing(X_train, X_test=None, *, noise: float = 0.0, random_state=None):
    r"""One cross-validation fold prepared as the authors prepared it.

    Both of their codes (``src/tests/run_10_fold.py`` in ``Neural_Indicator_Kernel_ISM`` and in
    ``NIK_Thm1_Release_V2``) z-score the training and the test fold **each with its own** mean
    and standard deviation (``sklearn.preprocessing.scale`` on each). Their W_s runs first add
    :math:`\mathcal N(0, 0.02^2)` noise to every training feature (:data:`AUTHORS_WS_NOISE`);
    theirs is unseeded, ours is drawn from ``random_state``.

    Parameters
    ----------
    X_train : array_like, shape (n, d)
    X_test : array_like, shape (m, d), optional
    noise : float, default 0
        Standard deviation of the training noise (W_s: :data:`AUTHORS_WS_NOISE`); 0 for none.
    random_state : None, int, sequence of int, SeedSequence or numpy.random.Generator
        Seed of the noise (``numpy.random.default_rng``); not used when ``noise == 0``.

    Returns
    -------
    (X_train, X_test) : tuple of ndarray
        The prepared folds; ``X_test`` is None when not given.

    Raises
    ------
    ValueError
        If a fold is not a 2-D array, the folds' columns differ, or ``noise`` is negative or
        not finite.
    """
    from sklearn.preprocessing import scale

    X_train = np.asarray(X_train, dtype=np.float64)
    if X_train.ndim != 2:
        raise ValueError(f"X_train must be a 2-D array, got shape {X_train.shape}")
    if X_test is not None:
        X_test = np.asarray(X_test, dtype=np.float64)
        if X_test.ndim != 2 or X_test.shape[1] != X_train.shape[1]:
            raise ValueError(f"X_test must be a 2-D array with {X_train.shape[1]} columns (as "
                             f"X_train), got shape {X_test.shape}")
    if isinstance(noise, (bool, np.bool_)) or not isinstance(noise, numbers.Real):
        raise ValueError(f"noise must be a non-negative number, got {noise!r}")
    noise = float(noise)
    if not (np.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be a non-negative number, got {noise!r}")
    if noise:
        X_train = X_train + noise * as_rng(random_state).standard_normal(X_train.shape)
    return scale(X_train), (None if X_test is None else scale(X_test))


def _fold_table() -> dict:
    raw, key = _read_verified("folds_authors.csv")
    with _lock:
        hit = _cache.get(key)
    if hit is not None:
        return hit
    lines = raw.decode("ascii").splitlines()
    header = lines[0].split(",")
    cols = {c: header.index(c) for c in ("dataset", "row", *FOLD_SCHEMES.values())}
    parsed: dict = {s: {} for s in FOLD_SCHEMES}
    records = [ln.split(",") for ln in lines[1:] if ln.strip()]
    for ds in sorted({r[cols["dataset"]] for r in records}):
        sub = [r for r in records if r[cols["dataset"]] == ds]
        rows = np.array([int(r[cols["row"]]) for r in sub], dtype=np.int64)
        for scheme, col in FOLD_SCHEMES.items():
            parsed[scheme][ds] = (rows, np.array([int(r[cols[col]]) for r in sub], dtype=np.int64))
    with _lock:
        _cache[key] = parsed
    return parsed


def poster_table():
    """The poster's 10-fold table (seed 000, Experiment 4) as tidy data.

    Columns ``dataset, method, column, mean, std``: ``dataset`` as in :func:`names` (the poster's
    ``adver`` is ``adversarial``); ``method`` one of ``ism`` (poster row ``ISM``, the W* network),
    ``ws`` (``W_s``, the closed-form network), ``ce`` (``CE``, MLP trained with cross-entropy),
    ``mse`` (``MSE``, MLP trained with mean squared error); ``column`` one of ``sigma, L,
    train_acc, test_acc, time, H_star, MSE, CE, C, T`` (the poster's sigma, L, Train Acc, Test Acc,
    Time(s), H*, MSE, CE, C, T). ``std`` is NaN where the poster gives a single number (the sigma
    column, "smallest sigma"), and both are NaN where the poster has no value (CE/MSE sigma,
    "-"). Cells that could not be read unambiguously from the PDF extraction are listed in
    ``kernelnet/data/poster_table_NOTES.md``.

    Returns
    -------
    pandas.DataFrame
        320 rows (8 data sets x 4 methods x 10 columns), a fresh copy on every call.

    Raises
    ------
    RuntimeError
        If ``poster_table.csv`` fails its checksum.
    """
    import pandas as pd

    raw, _ = _read_verified("poster_table.csv")
    table = pd.read_csv(
        io.BytesIO(raw),
        comment="#",
        dtype={"dataset": str, "method": str, "column": str, "mean": float, "std": float},
    )
    return table


def authors_ws_bandwidths(name: str) -> tuple[float, int]:
    """``(smallest_sigma, n_sigmas)`` of the authors' W_s bandwidth list for a poster data set.

    See :data:`AUTHORS_WS_BANDWIDTHS` (source: ``NIK_Thm1_Release_V2/thm1_simulation.py``).

    Raises
    ------
    ValueError
        If ``name`` is not one of the poster's eight data sets.
    """
    if not isinstance(name, str) or name not in AUTHORS_WS_BANDWIDTHS:
        valid = ", ".join(repr(n) for n in AUTHORS_WS_BANDWIDTHS)
        raise ValueError(
            f"name must be one of {valid} (the sets the authors ran W_s on); got {name!r}"
        )
    lo, n = AUTHORS_WS_BANDWIDTHS[name]
    return float(lo), int(n)


def authors_ws_options(name: str) -> dict:
    """Keyword arguments of ``LayerwiseKernelNet(method="closed_form", ...)`` that run W_s on
    ``name`` as the authors' published code did: their bandwidth list for the data set
    (:data:`AUTHORS_WS_BANDWIDTHS`) and their extra-column rule
    (``ws_append_misclassified="authors"``), their random-feature normaliser of the class
    columns (``ws_normaliser="rff"``: 200 ``RBFSampler`` components, ``random_state=1``) and
    their layer cap (``np.arange(1, 30)``: 29 layers). The other estimator defaults
    (normalised-HSIC exit 0.95, HSIC-optimal start sigma, 5-NN) already are the authors'.

    The caller still prepares the data as they did (:func:`authors_preprocessing`): N(0, 0.02^2)
    noise on the training features, then train and test z-scored separately.
    """
    lo, n = authors_ws_bandwidths(name)
    return {"ws_smallest_sigma": lo, "ws_n_sigmas": n, "ws_append_misclassified": "authors",
            "ws_normaliser": "rff", "max_layers": 29}


def authors_ws_results():
    """The authors' stored per-fold W_s results (``NIK_Thm1_Release_V2``, "version 2").

    Transcribed from ``results/<name>/10Fold_summary.txt`` of ``endsley/NIK_Thm1_Release_V2`` @
    ``099a4ee`` (2021-04-29) for the eight poster data sets (``shared/data/README.md``, "The
    authors' stored W_s results"). Fold ``k`` is the repository's fold ``k``, i.e. the test fold
    of ``folds(name, scheme="authors_ws")[k - 1]``. These are what the published W_s code
    produced on its own split; the poster's W_s row differs from them.

    Returns
    -------
    pandas.DataFrame
        80 rows, columns ``dataset, fold`` (1..10) and the authors' per-fold numbers (2
        decimals as they printed them): ``sigma`` (smallest sigma_a over layers), ``L``,
        ``train_acc``, ``test_acc``, ``time_s``, ``H1`` (normalised HSIC of the last layer on
        the training fold), ``H2`` (on the test fold), ``mse``, ``ce``, ``C``, ``T``.

    Raises
    ------
    RuntimeError
        If ``authors_ws_v2_folds.csv`` fails its checksum.
    """
    import pandas as pd

    raw, _ = _read_verified("authors_ws_v2_folds.csv")
    table = pd.read_csv(io.BytesIO(raw))
    table["fold"] = table["fold"].astype(int)
    table["L"] = table["L"].astype(int)
    return table


# ---------------------------------------------------------------------------------------------
# Committed results: a CHECKSUMS.sha256 manifest per results folder
# ---------------------------------------------------------------------------------------------

MANIFEST = "CHECKSUMS.sha256"


def write_checksums(folder, names) -> Path:
    """Write ``folder/CHECKSUMS.sha256``: the SHA-256 of each file in ``names`` (relative to
    ``folder``), one ``<digest>  <name>`` line each, sorted (``sha256sum -c`` reads it).

    Writers of committed results (``results/``) call this after writing their tables, so that
    :func:`verify_checksums` catches any later edit.
    """
    folder = Path(folder)
    lines = []
    for name in sorted(names):
        digest = hashlib.sha256((folder / name).read_bytes()).hexdigest()
        lines.append(f"{digest}  {name}\n")
    path = folder / MANIFEST
    path.write_text("".join(lines))
    return path


def verify_checksums(folder, names) -> None:
    """Check the files ``names`` of a results folder against its ``CHECKSUMS.sha256``.

    Raises
    ------
    RuntimeError
        If the manifest is missing, does not list a file, or a file's SHA-256 differs (the file
        was edited or corrupted after it was written); the message names the file.
    """
    folder = Path(folder)
    path = folder / MANIFEST
    try:
        listed = dict(reversed(line.split(None, 1)) for line in path.read_text().splitlines()
                      if line.strip())
    except (OSError, ValueError) as exc:
        raise RuntimeError(f"no readable checksum manifest at {path}: {exc}. Committed "
                           "results are written with one (datasets.write_checksums)") from None
    listed = {k.strip(): v for k, v in listed.items()}
    for name in names:
        if name not in listed:
            raise RuntimeError(f"{folder / name} is not listed in {path}")
        try:
            digest = hashlib.sha256((folder / name).read_bytes()).hexdigest()
        except OSError as exc:
            raise RuntimeError(f"results file {folder / name} is missing or unreadable: "
                               f"{exc}") from None
        if digest != listed[name]:
            raise RuntimeError(
                f"checksum mismatch for results file {folder / name}: sha256 {digest}, "
                f"expected {listed[name]} ({path}). The file was edited or corrupted after it "
                "was written; restore it from the repository or rerun its computation."
            )
