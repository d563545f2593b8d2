"""kernelnet.baselines beyond scikit-learn's checks (tests/test_common.py) and the poster-table
tests (tests/test_poster_table.py): the MSE baseline's out-of-range outputs."""

import numpy as np

from kernelnet.baselines import MLPBaseline


def test_mse_predict_gives_the_nearest_class_and_score_counts_it_wrong():
    rng = np.random.default_rng(0)
    y = np.repeat(np.array(["a", "b", "c"]), 20)
    X = 0.3 * rng.standard_normal((60, 2))
    X[:, 0] += 2.0 * np.searchsorted(["a", "b", "c"], y)
    mse = MLPBaseline("mse", width=16, max_epochs=60, random_state=0).fit(X, y)
    # far beyond the last blob the regression on the class index 0, 1, 2 overshoots
    far = np.column_stack([np.linspace(-40.0, 40.0, 9), np.zeros(9)])
    codes = mse.predict_codes(far)
    assert codes.min() < 0 and codes.max() > 2, codes  # both ends leave 0..c-1
    assert np.array_equal(mse.predict(far), mse.classes_[np.clip(codes, 0, 2)])
    # the authors' accuracy: an output outside 0..c-1 is wrong even for the nearest class
    ends = np.where(codes < 0, "a", "c")
    outside = (codes < 0) | (codes > 2)
    assert mse.score(far[outside], ends[outside]) == 0.0
    assert mse.score(X, y) > 0.9  # well separated blobs
