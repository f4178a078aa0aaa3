"""The flat-parameter network: layout, views, passes and dropout."""

import numpy as np
import pytest
import scipy.sparse as sp
from finite_differences import assert_gradient_close, numerical_gradient
from numpy.testing import assert_allclose, assert_array_equal

from skneural.engine import Network, Objective
from skneural.engine.activations import OUTPUT_FUNCTIONS

LAYER_SIZES = (4, 5, 3, 2)


@pytest.fixture
def network():
    return Network(LAYER_SIZES, "tanh", "multinomial_log_loss")


@pytest.fixture
def params(network):
    return np.random.default_rng(0).normal(size=network.n_params)


def test_layout_puts_every_weight_before_every_intercept(network):
    n_coef = 4 * 5 + 5 * 3 + 3 * 2
    assert network.n_layers == 3
    assert network.n_coef == n_coef
    assert network.n_params == n_coef + 5 + 3 + 2
    params = np.arange(network.n_params, dtype=float)
    assert_array_equal(network.coefs(params)[0].ravel(), np.arange(20))
    assert_array_equal(network.coefs(params)[2].ravel(), np.arange(35, 41))
    assert_array_equal(network.intercepts(params)[0], np.arange(n_coef, n_coef + 5))


def test_views_share_memory_with_the_flat_vector(network, params):
    views = network.coefs(params) + network.intercepts(params)
    assert all(np.shares_memory(view, params) for view in views)
    network.coefs(params)[1][2, 0] = 123.0
    network.intercepts(params)[2][1] = -7.0
    assert 123.0 in params and -7.0 in params
    # Weights and intercepts together cover the vector exactly once.
    assert sum(view.size for view in views) == params.size


def test_pack_round_trip(network, params):
    coefs, intercepts = network.coefs(params), network.intercepts(params)
    packed = network.pack([c.copy() for c in coefs], [i.copy() for i in intercepts])
    assert_array_equal(packed, params)
    assert not np.shares_memory(packed, params)
    assert network.pack(coefs, intercepts, dtype=np.float32).dtype == np.float32


def test_pack_rejects_wrong_shapes(network, params):
    coefs = [coef.T for coef in network.coefs(params)]
    with pytest.raises(ValueError, match="does not fit the network"):
        network.pack(coefs, network.intercepts(params))


@pytest.mark.parametrize("sizes", [(3,), (3, 0, 1), ()])
def test_invalid_layer_sizes(sizes):
    with pytest.raises(ValueError, match="at least two positive sizes"):
        Network(sizes)


def naive_forward(network, params, X):
    layer_input = X
    coefs, intercepts = network.coefs(params), network.intercepts(params)
    for layer, (coef, intercept) in enumerate(zip(coefs, intercepts, strict=True)):
        layer_input = layer_input @ coef + intercept
        if layer < network.n_layers - 1:
            layer_input = np.tanh(layer_input)
    return layer_input


def test_forward_paths_agree(network, params):
    X = np.random.default_rng(1).normal(size=(6, 4))
    expected = naive_forward(network, params, X)
    workspace = network.workspace(10, np.float64)
    assert_allclose(network.forward(params, X, workspace), expected, rtol=1e-13)
    assert_allclose(network.predict_raw(params, X), expected, rtol=1e-13)
    assert_allclose(network.predict_raw(params, sp.csr_matrix(X)), expected, rtol=1e-13)
    proba = network.predict(params, X)
    assert_allclose(proba, OUTPUT_FUNCTIONS["softmax"](expected.copy()), rtol=1e-13)


def test_sparse_gradient_equals_dense(network, params):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(6, 4)) * (rng.random((6, 4)) < 0.5)
    Y = np.eye(2)[rng.integers(0, 2, 6)]
    objective = Objective(network, alpha=0.1)
    dense = objective.loss_and_grad(params, X, Y)
    for container in (sp.csr_matrix, sp.csc_matrix):
        sparse = objective.loss_and_grad(params, container(X), Y)
        assert sparse[0] == pytest.approx(dense[0], rel=1e-13)
        assert_allclose(sparse[1], dense[1], rtol=1e-12, atol=1e-15)


def test_float32_passes_stay_float32(network, params):
    X = np.random.default_rng(3).normal(size=(5, 4)).astype(np.float32)
    params32 = params.astype(np.float32)
    assert network.predict_raw(params32, X).dtype == np.float32
    workspace = network.workspace(5, np.float32)
    assert network.forward(params32, X, workspace).dtype == np.float32


def test_initialize_is_reproducible_and_typed(network):
    first = network.initialize(np.random.default_rng(7))
    second = network.initialize(np.random.default_rng(7))
    assert_array_equal(first, second)
    assert network.initialize(np.random.default_rng(7), dtype=np.float32).dtype == (
        np.float32
    )
    zeros = network.initialize(np.random.default_rng(7), "zeros")
    assert not zeros.any()


def test_dropout_gradient_matches_finite_differences_with_fixed_masks():
    network = Network((3, 6, 5, 2), "tanh", "squared_error", dropout=(0.5, 0.3))
    rng = np.random.default_rng(4)
    params = rng.uniform(-1, 1, network.n_params)
    X, Y = rng.normal(size=(7, 3)), rng.normal(size=(7, 2))
    objective = Objective(network, alpha=0.1)

    def loss(p):
        # The same seed draws the same masks, so the loss is a smooth function.
        return objective.loss_and_grad(p, X, Y, rng=np.random.default_rng(11))[0]

    value, grad = objective.loss_and_grad(params, X, Y, rng=np.random.default_rng(11))
    assert_gradient_close(numerical_gradient(loss, params), grad, scale=value)
    # Some units are dropped: the pass differs from the deterministic one.
    assert value != pytest.approx(objective.loss(params, X, Y))


def test_dropout_is_off_without_a_generator_and_in_predictions():
    plain = Network((3, 6, 2), "relu", "squared_error")
    dropped = Network((3, 6, 2), "relu", "squared_error", dropout=0.5)
    rng = np.random.default_rng(5)
    params = rng.normal(size=plain.n_params)
    X, Y = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    assert_allclose(dropped.predict_raw(params, X), plain.predict_raw(params, X))
    expected = Objective(plain).loss_and_grad(params, X, Y)
    actual = Objective(dropped).loss_and_grad(params, X, Y)
    assert actual[0] == expected[0]
    assert_array_equal(actual[1], expected[1])


def test_dropout_keeps_the_expected_activation():
    # Inverted dropout scales kept units by 1 / (1 - rate): the mean is kept.
    network = Network((1, 2000, 1), "identity", "squared_error", dropout=0.25)
    params = network.pack(
        [np.ones((1, 2000)), np.ones((2000, 1))], [np.zeros(2000), [0.0]]
    )
    workspace = network.workspace(1, np.float64)
    raw = network.forward(params, np.ones((1, 1)), workspace, np.random.default_rng(0))
    dropped = workspace.dropped[0][0]
    assert set(np.unique(dropped)) == {0.0, 1 / 0.75}
    assert np.mean(dropped == 0) == pytest.approx(0.25, abs=0.03)
    assert raw[0, 0] == pytest.approx(2000, rel=0.05)


@pytest.mark.parametrize("dropout", [1.0, -0.1, (0.1, 0.2)])
def test_dropout_rates_are_validated(dropout):
    with pytest.raises(ValueError, match="dropout"):
        Network((3, 4, 2), dropout=dropout)


@pytest.mark.parametrize("layer_sizes", [(4, 3), (4, 5, 2)])
def test_output_without_intercepts(layer_sizes):
    with_intercepts = Network(layer_sizes, "tanh", "multinomial_log_loss")
    network = Network(
        layer_sizes, "tanh", "multinomial_log_loss", output_intercept=False
    )
    n_outputs = layer_sizes[-1]
    # No slot for the output intercepts; the hidden layers keep theirs.
    assert network.n_params == with_intercepts.n_params - n_outputs
    assert network.n_coef == with_intercepts.n_coef
    rng = np.random.default_rng(1)
    params = rng.normal(size=network.n_params)
    X = rng.normal(size=(6, layer_sizes[0]))
    Y = np.eye(n_outputs)[rng.integers(n_outputs, size=6)]
    intercepts = network.intercepts(params)
    assert_array_equal(intercepts[-1], np.zeros(n_outputs))
    assert not np.shares_memory(intercepts[-1], params)
    # The same network as one whose output intercepts are fixed at 0.
    padded = np.concatenate([params, np.zeros(n_outputs)])
    assert_allclose(
        network.predict_raw(params, X), with_intercepts.predict_raw(padded, X)
    )
    objective = Objective(network, alpha=0.5)
    loss, grad = objective.loss_and_grad(params, X, Y)
    assert_allclose(
        loss, Objective(with_intercepts, alpha=0.5).loss(padded, X, Y), rtol=1e-12
    )
    numeric = numerical_gradient(lambda p: objective.loss(p, X, Y), params)
    assert_gradient_close(numeric, grad, scale=loss)
    # Packing ignores output intercepts, which are not parameters.
    coefs = network.coefs(params)
    intercepts[-1][...] = 5.0
    assert_array_equal(network.pack(coefs, intercepts), params)


def test_output_intercepts_are_a_view_per_member_or_refused_without_intercepts():
    from skneural.engine.ensemble_layers import EnsembleDense, EnsembleInput

    single = Network((3, 4, 2))
    params = np.zeros(single.n_params)
    single.output_intercepts(params)[...] = 7.0
    assert_array_equal(single.intercepts(params)[-1], [7.0, 7.0])
    ensemble = Network((3, EnsembleInput(2), EnsembleDense(4, 2), 2), n_members=2)
    params = np.zeros(ensemble.n_params)
    view = ensemble.output_intercepts(params)
    assert view.shape == (2, 2)
    view[...] = [1.0, -1.0]
    assert_array_equal(
        ensemble.layer_params(params)[-1]["intercept"], [[1, -1], [1, -1]]
    )
    with pytest.raises(ValueError, match="no intercepts"):
        Network((3, 2), output_intercept=False).output_intercepts(np.zeros(6))
