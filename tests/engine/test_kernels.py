"""The compiled kernels compute what the NumPy code computes."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skneural.engine import kernels
from skneural.engine.activations import ReLU
from skneural.engine.optimizers import Adam

pytest.importorskip("numba")

RTOL = {np.float32: 1e-6, np.float64: 1e-13}


@pytest.fixture
def numpy_only(monkeypatch):
    """Run the callers' NumPy code, as without Numba."""
    monkeypatch.setattr(kernels, "_kernels", False)
    assert kernels.get_kernels() is None


def adam_path(dtype, steps=25):
    rng = np.random.default_rng(0)
    params = rng.normal(size=1001).astype(dtype)
    adam = Adam(beta_1=0.8, beta_2=0.99, epsilon=1e-6)
    state = adam.init(params)
    for step in range(steps):
        grad = (rng.normal(size=params.shape) * 10.0 ** -(step % 5)).astype(dtype)
        adam.update(params, grad, state, 0.01 / (1 + step))
    return params, state


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam_kernel_follows_the_numpy_step(dtype, monkeypatch):
    assert kernels.get_kernels() is not None
    compiled, compiled_state = adam_path(dtype)
    monkeypatch.setattr(kernels, "_kernels", False)
    reference, reference_state = adam_path(dtype)
    assert compiled.dtype == dtype
    assert_allclose(compiled, reference, rtol=RTOL[dtype])
    assert_allclose(
        compiled_state.second_moment, reference_state.second_moment, rtol=RTOL[dtype]
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_derivative_kernel_equals_the_numpy_product(dtype):
    rng = np.random.default_rng(1)
    a = np.maximum(rng.normal(size=(64, 33)), 0).astype(dtype)
    delta = rng.normal(size=a.shape).astype(dtype)
    # Non-finite errors must stay non-finite where the slope is 0, so that a
    # diverging fit is still seen.
    delta[0, :4] = [np.nan, np.inf, -np.inf, -0.0]
    a[0, :4] = 0.0
    with np.errstate(invalid="ignore"):
        expected = delta * (a > 0)
    out = ReLU().multiply_derivative(delta.copy(), None, a)
    assert_array_equal(out, expected)
    assert_array_equal(np.signbit(out), np.signbit(expected))


def test_arrays_the_kernels_refuse_take_the_numpy_path():
    rng = np.random.default_rng(2)
    a = np.maximum(rng.normal(size=(20, 10)), 0)
    delta = rng.normal(size=(20, 10))
    assert kernels.accepts(delta, a)
    assert not kernels.accepts(delta[:, ::2], a[:, ::2])
    assert not kernels.accepts(delta.astype(np.float32), a)
    assert not kernels.accepts(delta[:10], a)
    assert not kernels.accepts(delta.astype(np.int64), a.astype(np.int64))
    strided = delta[:, ::2].copy(order="F")
    expected = strided * (a[:, ::2] > 0)
    out = ReLU().multiply_derivative(strided, None, a[:, ::2], np.empty_like(strided))
    assert_array_equal(out, expected)


@pytest.mark.usefixtures("numpy_only")
def test_without_numba_adam_and_relu_run_in_numpy():
    params, state = adam_path(np.float64, steps=3)
    assert np.isfinite(params).all() and state.t == 3
    a = np.array([[0.0, 1.0]])
    delta = np.array([[2.0, 3.0]])
    assert_array_equal(
        ReLU().multiply_derivative(delta, None, a, np.empty((1, 2))), [[0.0, 3.0]]
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_biased_relu_kernel_equals_numpy(dtype, monkeypatch):
    rng = np.random.default_rng(3)
    z = rng.normal(size=(50, 17)).astype(dtype)
    z[0, 0] = np.nan
    intercept = rng.normal(size=17).astype(dtype)
    compiled_z, compiled_out = z.copy(), np.empty_like(z)
    ReLU().forward_biased(compiled_z, intercept, compiled_out)
    monkeypatch.setattr(kernels, "_kernels", False)
    numpy_z, numpy_out = z.copy(), np.empty_like(z)
    ReLU().forward_biased(numpy_z, intercept, numpy_out)
    assert_array_equal(compiled_z, numpy_z)
    assert_array_equal(compiled_out, numpy_out)
    assert np.isnan(compiled_out[0, 0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_log_loss_kernel_follows_numpy(dtype, monkeypatch):
    from skneural.engine.losses import BinaryLogLoss

    rng = np.random.default_rng(4)
    raw = (rng.normal(size=(300, 2)) * 10).astype(dtype)
    raw[0] = [800.0, -800.0]
    y = (rng.random((300, 2)) > 0.5).astype(dtype)
    loss = BinaryLogLoss()
    compiled_out = np.empty_like(raw)
    compiled_sum, _ = loss.loss_gradient(raw, y, out=compiled_out)
    monkeypatch.setattr(kernels, "_kernels", False)
    numpy_out = np.empty_like(raw)
    numpy_sum, _ = loss.loss_gradient(raw, y, out=numpy_out)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    assert compiled_sum == pytest.approx(numpy_sum, rel=rtol)
    assert_allclose(compiled_out, numpy_out, rtol=rtol, atol=1e-7)
    assert np.isfinite(compiled_sum) and np.isfinite(compiled_out).all()


@pytest.mark.parametrize("l1_ratio", [0.0, 0.5])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_l2_kernel_gives_the_numpy_objective(dtype, l1_ratio, monkeypatch):
    from skneural.engine import Network, Objective

    rng = np.random.default_rng(5)
    X = rng.normal(size=(40, 6)).astype(dtype)
    y = rng.normal(size=(40, 1)).astype(dtype)
    objective = Objective(
        Network((6, 9, 1), "relu", "squared_error"), alpha=0.3, l1_ratio=l1_ratio
    )
    params = objective.network.initialize(rng, dtype=dtype)
    compiled_loss, compiled_grad = objective.loss_and_grad(params, X, y)
    compiled_grad = compiled_grad.copy()
    monkeypatch.setattr(kernels, "_kernels", False)
    numpy_loss, numpy_grad = objective.loss_and_grad(params, X, y)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    assert compiled_loss == pytest.approx(numpy_loss, rel=rtol)
    assert_allclose(compiled_grad, numpy_grad, rtol=rtol, atol=1e-7)
