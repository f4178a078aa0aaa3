"""The BLAS-backed in-place updates agree with NumPy, and never update a copy."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from skneural.engine import activations
from skneural.engine.activations import ReLU
from skneural.engine.blas import add_to_rows, axpy

DTYPES = [np.float32, np.float64]
RTOL = {np.float32: 1e-6, np.float64: 1e-14}


@pytest.mark.parametrize("dtype", DTYPES)
@given(n=st.integers(0, 300), alpha=st.floats(-10, 10), seed=st.integers(0, 2**16))
@settings(max_examples=25, deadline=None)
def test_axpy_matches_numpy(dtype, n, alpha, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(2, n)).astype(dtype)
    expected = y + dtype(alpha) * x
    result = axpy(alpha, x, y)
    assert result is y
    assert y.dtype == dtype
    assert_allclose(y, expected, rtol=RTOL[dtype], atol=RTOL[dtype])


@pytest.mark.parametrize(
    "make_y",
    [
        lambda y: y[::2],  # strided: SciPy would update a copy
        lambda y: y.astype(np.float32),  # a dtype other than x's
        lambda y: y.astype(np.longdouble),  # a dtype BLAS lacks
    ],
    ids=["strided", "mixed-dtype", "longdouble"],
)
def test_axpy_updates_the_given_array_when_blas_cannot(make_y):
    y = make_y(np.ones(20))
    x = np.arange(float(y.shape[0]))
    expected = y + 2.0 * x
    result = axpy(2.0, x, y)
    assert result is y
    assert_allclose(y, expected, rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1, 1), (7, 1), (1, 5), (200, 100), (3, 0)])
def test_add_to_rows_matches_broadcast_addition(dtype, shape):
    rng = np.random.default_rng(0)
    matrix = rng.normal(size=shape).astype(dtype)
    vector = rng.normal(size=shape[1]).astype(dtype)
    expected = matrix + vector
    result = add_to_rows(matrix, vector, np.ones(shape[0], dtype))
    assert result is matrix
    assert_allclose(matrix, expected, rtol=RTOL[dtype], atol=RTOL[dtype])


def test_add_to_rows_of_a_non_contiguous_matrix_updates_it():
    base = np.zeros((6, 4))
    matrix = base[::2]
    add_to_rows(matrix, np.arange(4.0), np.ones(3))
    assert_array_equal(base[::2], np.tile(np.arange(4.0), (3, 1)))
    assert_array_equal(base[1::2], 0.0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", [1, 5000, activations._ZEROS_LIMIT + 1])
def test_relu_against_cached_zeros_is_the_maximum_with_zero(dtype, size):
    rng = np.random.default_rng(size)
    z = rng.normal(size=size).astype(dtype)
    z[:3] = [-0.0, np.inf, -np.inf][: min(3, size)]
    out = ReLU().forward(z, np.empty_like(z))
    assert_array_equal(out, np.maximum(z, 0))
    assert out.dtype == dtype
    # The shared zeros stay zeros and cannot be written through.
    for cached in activations._zeros_cache.values():
        assert not cached.flags.writeable and not cached.any()
