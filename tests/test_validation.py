"""Tests for kernelnet._validation's seed and switch helpers (as_rng, check_bool)."""

import numpy as np
import pytest

from kernelnet._validation import as_rng, check_bool


def test_as_rng_accepts_seeds_and_keeps_streams():
    g = np.random.default_rng(3)
    assert as_rng(g) is g
    for seed in (0, 7, np.int64(7), [7, 1], (7, 1, 2), np.random.SeedSequence(5)):
        np.testing.assert_array_equal(as_rng(seed).normal(size=3),
                                      np.random.default_rng(seed).normal(size=3))
    assert isinstance(as_rng(None), np.random.Generator)


def test_as_rng_legacy_random_state_draws_one_seed():
    rs = np.random.RandomState(11)
    seed = int(np.random.RandomState(11).randint(0, 2**31 - 1))
    np.testing.assert_array_equal(as_rng(rs).normal(size=3),
                                  np.random.default_rng(seed).normal(size=3))


@pytest.mark.parametrize("bad", [1.5, "3", True, np.bool_(False), -1, [], [1, -2], [1.0], object()])
def test_as_rng_error_names_the_argument(bad):
    with pytest.raises(ValueError, match="^random_state must be None, a non-negative int"):
        as_rng(bad)
    with pytest.raises(ValueError, match="^seed must be None"):
        as_rng(bad, "seed")


def test_check_bool():
    assert check_bool(True, "quick") is True
    assert check_bool(np.bool_(False), "quick") is False
    for bad in (0, 1, "True", None, 1.0):
        with pytest.raises(ValueError, match="^quick must be True or False"):
            check_bool(bad, "quick")
