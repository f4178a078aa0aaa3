"""Row keys: equal rows get equal keys, whatever their order or storage."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal

from skneural.engine.hashing import row_keys, splitmix64


def test_splitmix64_known_answer():
    # The first output of SplitMix64 seeded with 0 (Steele, Lea and Flood).
    assert splitmix64(np.array([0], dtype=np.uint64))[0] == 0xE220A8397B1DCDAF


def test_equal_rows_equal_keys_in_any_order():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 4))
    keys = row_keys(X)
    assert keys.dtype == np.uint64 and keys.shape == (50,)
    assert len(np.unique(keys)) == 50
    order = rng.permutation(50)
    assert_array_equal(row_keys(X[order]), keys[order])
    repeated = np.repeat(X, 3, axis=0)
    assert_array_equal(row_keys(repeated), np.repeat(keys, 3))


@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csc_matrix, sp.csr_array])
def test_sparse_rows_hash_as_dense_ones(container):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 6)) * (rng.random((30, 6)) < 0.4)
    X[3] = 0.0  # an empty row
    assert_array_equal(row_keys(container(X)), row_keys(X))


def test_keys_depend_on_column_positions_and_dtype_bits():
    X = np.array([[1.0, 2.0], [2.0, 1.0], [1.0, 2.0 + 1e-15]])
    keys = row_keys(X)
    assert len(set(keys.tolist())) == 3
    assert row_keys(X.astype(np.float32)).dtype == np.uint64


def test_signed_zeros_hash_alike():
    # -0.0 == 0.0, so rows that differ only in the sign of a zero are equal.
    X = np.array([[0.0, 1.5], [-0.0, 1.5]])
    keys = row_keys(X)
    assert keys[0] == keys[1]
    assert keys[1] == row_keys(sp.csr_matrix(X[1:]))[0]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_keys_do_not_depend_on_the_hashing_block(monkeypatch, dtype):
    from skneural.engine import hashing

    X = np.random.default_rng(0).normal(size=(103, 7)).astype(dtype)
    whole = row_keys(X)
    # Blocks of 2 rows, the last one short.
    monkeypatch.setattr(hashing, "_BLOCK_VALUES", 14)
    assert_array_equal(row_keys(X), whole)
    assert len(np.unique(whole)) == len(X)
