"""The engine's fast paths give the results of the plain ones, and allocate nothing.

Training passes run on preallocated buffers: derivatives take a scratch buffer,
losses compute value and gradient in the gradient's buffer, an inner dimension
of 1 is an outer product, and predictions on large inputs go by row blocks.
"""

import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp
from finite_differences import assert_gradient_close, numerical_gradient
from numpy.testing import assert_allclose, assert_array_equal

from skneural.engine import Network, Objective
from skneural.engine import network as network_module
from skneural.engine.activations import ACTIVATIONS, Activation


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_scratch_derivative_equals_allocating_derivative(name, dtype):
    activation = ACTIVATIONS[name]()
    z = np.random.default_rng(0).normal(size=(6, 5)).astype(dtype)
    a = activation(z)
    delta = np.random.default_rng(1).normal(size=z.shape).astype(dtype)
    z_given = z if activation.needs_input else None
    expected = activation.multiply_derivative(delta.copy(), z_given, a)
    scratch = np.full_like(z, np.nan)
    result = activation.multiply_derivative(delta.copy(), z_given, a, scratch=scratch)
    assert result.dtype == dtype
    assert_array_equal(result, expected)


class _Square(Activation):
    """An activation written before ``multiply_derivative`` took a scratch buffer."""

    def forward(self, z, out):
        return np.multiply(z, z, out=out)

    def multiply_derivative(self, delta, z, a):
        delta *= 2 * z
        return delta

    needs_input = True


def test_activation_without_scratch_parameter_gets_a_correct_gradient():
    network = Network((3, 4, 2), _Square(), "squared_error")
    objective = Objective(network, alpha=0.1)
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(7, 3)), rng.normal(size=(7, 2))
    params = rng.normal(size=network.n_params) * 0.5
    assert network.workspace(7, np.float64).scratch is None
    _, analytic = objective.loss_and_grad(params, X, y)
    numeric = numerical_gradient(lambda p: objective.loss(p, X, y), params)
    assert_gradient_close(numeric, analytic)


@pytest.mark.parametrize("loss", ["binary_log_loss", "squared_error"])
def test_single_output_network_gradient(loss):
    # One output makes the back-propagated product an outer product.
    network = Network((3, 5, 1), "tanh", loss)
    objective = Objective(network, alpha=0.3)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(9, 3))
    y = (rng.random((9, 1)) > 0.5).astype(float)
    params = rng.normal(size=network.n_params)
    _, analytic = objective.loss_and_grad(params, X, y)
    numeric = numerical_gradient(lambda p: objective.loss(p, X, y), params)
    assert_gradient_close(numeric, analytic)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_prediction_by_row_blocks_equals_one_block(monkeypatch, sparse, dtype):
    network = Network((6, 8, 4, 3), "relu", "multinomial_log_loss")
    rng = np.random.default_rng(0)
    params = network.initialize(rng, dtype=dtype)
    X = rng.normal(size=(101, 6)).astype(dtype)
    if sparse:
        X = sp.csr_matrix(X)
    whole = network.predict_raw(params, X)
    # Blocks of 8 rows for the widest (8-unit) layer, the last one short.
    monkeypatch.setattr(network_module, "_BLOCK_VALUES", 64)
    blocked = network.predict_raw(params, X)
    assert blocked.dtype == dtype and blocked.shape == (101, 3)
    assert_allclose(blocked, whole, rtol=1e-6 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("activation", ["relu", "logistic", "tanh"])
@pytest.mark.parametrize(
    ("loss", "n_outputs"),
    [("squared_error", 2), ("binary_log_loss", 1), ("multinomial_log_loss", 4)],
)
def test_training_pass_allocates_nothing_of_a_hidden_layers_size(
    activation, loss, n_outputs
):
    n_rows, width = 8192, 128
    network = Network((10, width, width, n_outputs), activation, loss)
    rng = np.random.default_rng(0)
    params = network.initialize(rng)
    X = rng.normal(size=(n_rows, 10))
    if loss == "squared_error":
        y = rng.normal(size=(n_rows, n_outputs))
    else:
        # Boolean indicators, as the classifiers pass them.
        y = np.eye(max(n_outputs, 2), dtype=bool)[rng.integers(0, n_outputs, n_rows)]
        y = y[:, :n_outputs]
    workspace = network.workspace(n_rows, np.float64)
    grad = np.empty_like(params)

    def one_pass():
        raw = network.forward(params, X, workspace)
        _, delta = network.loss.loss_gradient(raw, y, out=workspace.deltas[-1])
        network.backward(params, X, workspace, delta, grad)

    one_pass()
    tracemalloc.start()
    try:
        one_pass()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Row vectors (the softmax's maxima and sums) and NumPy's fixed casting
    # buffers are allowed; a hidden layer's temporary, even a boolean mask of
    # n_rows * width bytes, is not.
    assert peak < n_rows * width // 2


@pytest.mark.parametrize("loss_name", ["squared_error", "binary_log_loss"])
@pytest.mark.parametrize("weighted", [False, True])
def test_float32_loss_sums_are_accumulated_in_float64(loss_name, weighted):
    # A float32 total of 1e5 losses is rounded to ~6e-8 of itself, coarser
    # than the decreases an L-BFGS line search compares near the optimum.
    rng = np.random.default_rng(0)
    raw = rng.normal(size=(100_000, 1)).astype(np.float32)
    y = rng.random((100_000, 1)) > 0.5
    if loss_name == "squared_error":
        y = rng.normal(size=(100_000, 1)).astype(np.float32)
    weights = rng.uniform(0.5, 2, 100_000).astype(np.float32)
    loss = Network((1, 1), "identity", loss_name).loss
    loss_sum, _ = loss.loss_gradient(raw, y, weights if weighted else None)
    # The exact total of the same float32 inputs, from float64 arithmetic.
    exact = loss.pointwise(raw.astype(np.float64), y.astype(np.float64))
    expected = float(exact @ weights) if weighted else float(exact.sum())
    assert isinstance(loss_sum, float)
    assert loss_sum == pytest.approx(expected, rel=5e-9)


@pytest.mark.parametrize("layout", ["new", "raw itself", "strided"])
def test_softmax_loss_whatever_buffer_it_writes_to(layout):
    # The row maxima go through the output buffer when it can hold a
    # transposed copy of the logits, and through a plain reduction otherwise.
    rng = np.random.default_rng(0)
    raw = rng.normal(scale=30, size=(50, 7))
    y = np.eye(7, dtype=bool)[rng.integers(0, 7, 50)]
    loss = Network((1, 7), "identity", "multinomial_log_loss").loss
    expected_sum = loss.pointwise(raw, y).sum()
    expected = np.exp(raw - raw.max(axis=1, keepdims=True))
    expected = expected / expected.sum(axis=1, keepdims=True) - y
    work = raw.copy()
    out = {
        "new": None,
        "raw itself": work,
        "strided": np.empty((50, 14))[:, ::2],
    }[layout]
    loss_sum, gradient = loss.loss_gradient(
        work, y, out=out, compute_loss=layout != "raw itself"
    )
    assert_allclose(gradient, expected, atol=1e-15)
    if layout != "raw itself":
        assert loss_sum == pytest.approx(expected_sum, rel=1e-12)
