"""Dropout masks: inverted scaling, the drop rate, and keys that fix them."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from skneural.engine.dropout import dropout_mask
from skneural.engine.hashing import row_keys


def mask(keys, seed=7, layer=0, rate=0.3, n_units=500):
    return dropout_mask(keys, seed, layer, rate, np.empty((keys.size, n_units)))


@pytest.fixture
def keys():
    return row_keys(np.random.default_rng(0).normal(size=(40, 3)))


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_values_and_rate(keys, rate):
    values = mask(keys, rate=rate)
    assert set(np.unique(values)) == {0.0, 1 / (1 - rate)}
    # 20000 draws: the dropped share is within 0.02 of the rate.
    assert np.mean(values == 0) == pytest.approx(rate, abs=0.02)
    # Inverted dropout keeps the mean activation.
    assert values.mean() == pytest.approx(1.0, abs=0.05)


def test_equal_keys_equal_masks_and_determinism(keys):
    doubled = np.concatenate([keys, keys])
    values = mask(doubled)
    assert_array_equal(values[:40], values[40:])
    assert_array_equal(mask(keys), mask(keys))


def test_seeds_layers_and_rows_are_independent(keys):
    base = mask(keys)
    assert not np.array_equal(base, mask(keys, seed=8))
    assert not np.array_equal(base, mask(keys, layer=1))
    # Different rows get different masks.
    assert len({row.tobytes() for row in base}) == keys.size
    # Agreement between independent masks is what chance predicts: p^2 + q^2.
    agreement = np.mean((base == 0) == (mask(keys, seed=8) == 0))
    assert agreement == pytest.approx(0.3**2 + 0.7**2, abs=0.02)


def test_float32_masks(keys):
    out = np.empty((keys.size, 10), dtype=np.float32)
    values = dropout_mask(keys, 1, 0, 0.5, out)
    assert values is out and values.dtype == np.float32
