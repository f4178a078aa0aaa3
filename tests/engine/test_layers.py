"""Contract tests of every built-in layer, and of a network's layout of their groups.

Each layer of ``LAYERS`` must: declare parameter groups that the network lays
out exactly once in its flat vector (penalised groups first); initialise
arrays of the declared shapes and dtype; leave its parameters and its input
alone and write only into the buffers it was given; and have a backward pass
that matches five-point finite differences of its forward pass, for the
parameters and the input, on its own and inside a network's objective.
"""

import inspect

import numpy as np
import pytest
from finite_differences import assert_gradient_close, numerical_gradient
from numpy.testing import assert_array_equal

from skneural.engine import (
    Network,
    Objective,
    ensemble_layers,
    layers,
    tabular_layers,
)
from skneural.engine.ensemble_layers import EnsembleDense, EnsembleInput
from skneural.engine.initializers import GlorotUniform
from skneural.engine.layers import (
    ActivationLayer,
    Dense,
    Dropout,
    Layer,
    Noise,
    ParameterGroup,
    allocate_buffers,
)
from skneural.engine.optimizers import SGD
from skneural.engine.tabular_layers import (
    CategoricalEmbedding,
    FeatureScale,
    ParametricActivation,
    PeriodicEmbedding,
)
from skneural.engine.training import MinibatchOptions, train_minibatch

N_INPUTS, N_ROWS = 3, 5

LAYERS = [
    Dense(4),
    Dense(4, "tanh"),
    Dense(4, "relu"),
    Dense(1, "logistic"),
    Dense(4, "gelu"),  # keeps its pre-activations
    Dense(4, "silu", fit_intercept=False),
    Dense(4, "softplus", dropout=0.3),
    Dense(4, "tanh", parametrization="ntk"),
    Dense(4, "gelu", dropout=0.3, fit_intercept=False, parametrization="ntk"),
    Dense(4, "relu", coef_init="std", intercept_init="he+5"),
    ActivationLayer("tanh"),
    ActivationLayer("gelu"),
    ActivationLayer("elu"),
    Dropout(0.4),
    Dropout(0.0),
    FeatureScale(),
    PeriodicEmbedding(n_frequencies=4, embedding_width=2),
    PeriodicEmbedding(n_frequencies=3, embedding_width=2, columns=[0, 2]),
    PeriodicEmbedding(n_frequencies=3, embedding_width=2, activation="tanh"),
    PeriodicEmbedding(n_frequencies=3, embedding_width=2, activation="gelu"),
    ParametricActivation("selu"),
    ParametricActivation("relu"),  # compiled, as "mish", when Numba is installed
    ParametricActivation("mish"),
    ParametricActivation("tanh"),
    CategoricalEmbedding(columns=[1], cardinalities=[4], dim=2),
    CategoricalEmbedding(columns=[0, 2], cardinalities=[3, 5], dim=3),
    EnsembleInput(2),
    EnsembleInput(2, scaling_init=None),
    # Three members of one input column each (the ring's input has three).
    EnsembleDense(2, n_members=3),
    EnsembleDense(2, n_members=3, sharing="shared"),
    EnsembleDense(2, n_members=3, sharing="none"),
]


def test_every_built_in_layer_is_in_the_contract_ring():
    built_in = {
        cls
        for module in (layers, tabular_layers, ensemble_layers)
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, Layer) and cls is not Layer
    }
    assert built_in == {type(layer) for layer in LAYERS}


def _setup(layer, seed=0):
    rng = np.random.default_rng(seed)
    groups = layer.parameter_groups(N_INPUTS)
    params = tuple(rng.uniform(-1, 1, group.shape) for group in groups)
    # Away from 0, where ReLU has a kink, with both signs.
    X = rng.uniform(0.2, 1.5, (N_ROWS, N_INPUTS)) * rng.choice([-1, 1], N_INPUTS)
    G = rng.normal(size=(N_ROWS, layer.output_width(N_INPUTS)))
    return groups, params, _with_codes(layer, X, rng), G


def _with_codes(layer, X, rng):
    """Put valid codes into the columns a categorical embedding reads.

    Its output is constant between integers: the finite differences of those
    columns are 0, as its input gradient there.
    """
    if isinstance(layer, CategoricalEmbedding):
        for column, levels in zip(layer.columns, layer.cardinalities, strict=True):
            X[:, column] = rng.integers(0, levels, len(X))
    return X


def _noise(layer, X):
    if not layer.uses_noise:
        return None
    from skneural.engine.hashing import row_keys

    return Noise(row_keys(X), 12345, 0)


def _forward(layer, params, X, noise):
    buffers = allocate_buffers(layer, N_INPUTS, X.shape[0], X.dtype)
    return layer.forward(params, X, buffers, noise).copy()


def _backward(layer, params, X, G, noise):
    """Return the gradients of ``sum(G * forward)`` for the parameters and X."""
    buffers = allocate_buffers(layer, N_INPUTS, X.shape[0], X.dtype)
    layer.forward(params, X, buffers, noise)
    grads = tuple(np.full_like(p, np.nan) for p in params)
    delta_in = np.full_like(X, np.nan)
    layer.backward(params, X, G.copy(), grads, delta_in, buffers, noise)
    return grads, delta_in


def _flatten(params, X):
    return np.concatenate([p.ravel() for p in params] + [X.ravel()])


def _split(flat, params, X):
    arrays, start = [], 0
    for p in (*params, X):
        arrays.append(flat[start : start + p.size].reshape(p.shape))
        start += p.size
    return tuple(arrays[:-1]), arrays[-1]


@pytest.mark.parametrize("layer", LAYERS, ids=repr)
def test_backward_matches_finite_differences(layer):
    groups, params, X, G = _setup(layer)
    noise = _noise(layer, X)
    grads, delta_in = _backward(layer, params, X, G, noise)

    if noise is None:
        # Parameters and input together.
        def value(flat):
            p, x = _split(flat, params, X)
            return float(np.sum(G * _forward(layer, p, x, None)))

        numeric = numerical_gradient(value, _flatten(params, X))
        analytic = _flatten(grads, delta_in)
    else:
        # The mask is keyed by the rows' values: vary the parameters only.
        def value(flat):
            p, _ = _split(np.concatenate([flat, X.ravel()]), params, X)
            return float(np.sum(G * _forward(layer, p, X, noise)))

        numeric = numerical_gradient(value, _flatten(params, X)[: -X.size])
        analytic = _flatten(grads, X)[: -X.size]
    assert_gradient_close(numeric, analytic, scale=np.abs(G).sum())


@pytest.mark.parametrize("layer", LAYERS, ids=repr)
def test_groups_shapes_and_initial_arrays_agree(layer):
    groups = layer.parameter_groups(N_INPUTS)
    assert all(isinstance(group, ParameterGroup) for group in groups)
    assert len({group.name for group in groups}) == len(groups)
    arrays = layer.initialize(
        np.random.default_rng(0), N_INPUTS, GlorotUniform(), np.float32
    )
    assert [a.shape for a in arrays] == [tuple(g.shape) for g in groups]
    assert all(a.dtype == np.float32 for a in arrays)


@pytest.mark.parametrize("layer", LAYERS, ids=repr)
def test_network_lays_each_group_out_once_penalised_first(layer):
    network = Network((N_INPUTS, layer, 2), "tanh", "squared_error")
    params = np.arange(network.n_params, dtype=float)
    views = network._views(params)
    covered = np.concatenate(
        [view.ravel() for layer_views in views for view in layer_views]
    )
    assert_array_equal(np.sort(covered), params)
    penalised = [
        view.ravel()
        for groups, layer_views in zip(network._groups, views, strict=True)
        for group, view in zip(groups, layer_views, strict=True)
        if group.penalised
    ]
    assert_array_equal(np.sort(np.concatenate(penalised)), np.arange(network.n_coef))


@pytest.mark.parametrize("layer", LAYERS, ids=repr)
def test_passes_write_only_into_their_buffers(layer):
    groups, params, X, G = _setup(layer)
    noise = _noise(layer, X)
    frozen = [p.copy() for p in params], X.copy()
    buffers = allocate_buffers(layer, N_INPUTS, N_ROWS, X.dtype)
    before = {name: buffer.copy() for name, buffer in buffers.items()}
    output = layer.forward(params, X, buffers, noise)
    assert any(
        output is buffer or np.shares_memory(output, buffer)
        for buffer in buffers.values()
    )
    grads = tuple(np.empty_like(p) for p in params)
    delta_in = np.empty_like(X)
    layer.backward(params, X, G.copy(), grads, delta_in, buffers, noise)
    for original, now in zip(frozen[0], params, strict=True):
        assert_array_equal(now, original)
    assert_array_equal(X, frozen[1])
    assert_array_equal(buffers["ones"], before["ones"])


@pytest.mark.parametrize("layer", LAYERS, ids=repr)
def test_predict_equals_a_deterministic_training_pass(layer):
    _, params, X, _ = _setup(layer)
    buffers = allocate_buffers(layer, N_INPUTS, N_ROWS, X.dtype)
    np.testing.assert_allclose(
        layer.predict(params, X), layer.forward(params, X, buffers, None), rtol=1e-14
    )


@pytest.mark.parametrize("layer", LAYERS, ids=repr)
def test_full_network_gradient_matches_finite_differences(layer):
    rng = np.random.default_rng(3)
    network = Network((N_INPUTS, layer, 3, 2), "tanh", "squared_error")
    params = rng.uniform(-1, 1, network.n_params)
    X = _with_codes(layer, rng.uniform(0.2, 1.5, (N_ROWS, N_INPUTS)), rng)
    Y = rng.normal(size=(N_ROWS, 2))
    objective = Objective(network, alpha=0.3)
    loss, grad = objective.loss_and_grad(params, X, Y)
    numeric = numerical_gradient(lambda p: objective.loss(p, X, Y), params)
    assert_gradient_close(numeric, grad, scale=loss)


def test_a_dense_stack_is_built_from_dense_layers():
    network = Network((4, 5, 3, 2), "tanh", "squared_error", dropout=(0.1, 0.0))
    assert network.layers == (
        Dense(5, "tanh", 0.1),
        Dense(3, "tanh"),
        Dense(2),
    )
    assert network.learning_rate_factors(np.float64) is None
    assert network.layer_params(np.zeros(network.n_params)) == []


def test_dropout_goes_with_sizes_not_layer_instances():
    network = Network((4, ActivationLayer("tanh"), 3, 2), "relu", dropout=0.2)
    assert network.dropout == (0.0, 0.2)
    with pytest.raises(ValueError, match="0 for a Layer instance"):
        Network((4, ActivationLayer("tanh"), 3, 2), dropout=(0.2, 0.2))


@pytest.mark.parametrize(
    "sizes", [(3, Dense(2)), (Dense(2), 3), (3, "a", 2), (3, 0, 2)], ids=repr
)
def test_only_hidden_entries_may_be_layers(sizes):
    with pytest.raises(ValueError, match="layer_sizes"):
        Network(sizes)


def test_a_sparse_input_needs_a_first_layer_that_takes_it():
    import scipy.sparse as sp

    network = Network((3, ActivationLayer("tanh"), 2))
    with pytest.raises(TypeError, match="takes a dense array"):
        network.predict_raw(np.zeros(network.n_params), sp.csr_matrix(np.eye(3)))


def test_learning_rate_factors_follow_the_groups():
    network = Network((3, FeatureScale(2.5), 4, 1), "tanh")
    factors = network.learning_rate_factors(np.float32)
    assert factors.dtype == np.float32
    (gain,) = network.layer_params(factors)[0].values()
    assert_array_equal(gain, 2.5)
    assert np.sum(factors != 1) == 3


def _train(factor, momentum=0.0):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), rng.normal(size=(40, 1))
    network = Network((3, FeatureScale(factor), 4, 1), "tanh")
    params = network.initialize(np.random.default_rng(1))
    start = params.copy()
    options = MinibatchOptions(
        optimizer=SGD(momentum=momentum),
        schedule=lambda epoch: 0.05,
        batch_size=40,
        max_iter=1,
        tol=0,
    )
    train_minibatch(Objective(network), params, X, y, options=options, rng=rng)
    return network, start, params


def test_a_factor_of_zero_freezes_a_group():
    network, start, params = _train(0.0)
    assert_array_equal(network.layer_params(params)[0]["scale"], 1.0)
    moved = np.concatenate([c.ravel() for c in network.coefs(params)])
    assert np.all(moved != np.concatenate([c.ravel() for c in network.coefs(start)]))


def test_a_factor_of_two_doubles_the_sgd_step_of_its_group():
    network, start, once = _train(1.0)
    _, _, twice = _train(2.0)
    step_once = network.layer_params(once)[0]["scale"] - 1
    step_twice = network.layer_params(twice)[0]["scale"] - 1
    assert np.all(step_once != 0)
    # One full-batch step from the same point: the gradient is the same.
    np.testing.assert_allclose(step_twice, 2 * step_once, rtol=1e-12)
    np.testing.assert_array_equal(network.coefs(twice)[0], network.coefs(once)[0])


def test_ntk_dense_is_a_standard_dense_of_weights_over_root_fan_in():
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    ntk, standard = Dense(3, "tanh", parametrization="ntk"), Dense(3, "tanh")
    coef, intercept = ntk.initialize(rng, 400, GlorotUniform(), np.float64)
    # The stored weights start at N(0, 1), the intercepts as the network's.
    assert abs(coef.std() - 1) < 0.05 and abs(coef.mean()) < 0.05
    assert np.all(np.abs(intercept) <= np.sqrt(6 / 403))
    X = rng.normal(size=(5, 400))
    expected = standard.predict((coef / 20, intercept), X)
    np.testing.assert_allclose(ntk.predict((coef, intercept), X), expected)
    np.testing.assert_allclose(
        ntk.predict((coef, intercept), sp.csr_matrix(X)), expected
    )


def test_an_unknown_parametrization_is_refused():
    with pytest.raises(ValueError, match="parametrization must be"):
        Dense(3, parametrization="mup")


# Data-dependent initialisation: Layer.initialize_from_data, Dense's schemes.


def _init_batch(rng, n_rows=200, n_features=6):
    # Columns of very different scales and offsets, as raw tabular data has.
    return rng.normal(size=(n_rows, n_features)) * np.geomspace(0.01, 100, 6) + 3.0


def _pre_activations(network, params, X):
    """Each Dense layer's products plus intercepts on X."""
    values, layer_input = [], X
    coefs, intercepts = network.coefs(params), network.intercepts(params)
    for layer, coef, intercept in zip(network.layers, coefs, intercepts, strict=True):
        scale = 1.0 if layer.parametrization == "standard" else coef.shape[0] ** -0.5
        values.append(layer_input @ coef * scale + intercept)
        layer_input = layer.predict((coef, intercept), layer_input)
    return values


@pytest.mark.parametrize("parametrization", ["standard", "ntk"])
def test_std_init_gives_every_unit_unit_std_on_the_batch(parametrization):
    network = Network(
        (
            6,
            Dense(16, "relu", parametrization=parametrization, coef_init="std"),
            Dense(8, "tanh", parametrization=parametrization, coef_init="std"),
            2,
        )
    )
    rng = np.random.default_rng(0)
    X = _init_batch(rng)
    params = network.initialize(rng, X=X)
    for z in _pre_activations(network, params, X)[:2]:
        products = z - z.mean(axis=0)  # The intercepts only shift.
        np.testing.assert_allclose(products.std(axis=0), 1.0, rtol=1e-12)
    # Without the scheme the first layer's scale follows the data's.
    plain = Network((6, Dense(16, "relu", parametrization=parametrization), 2))
    z = _pre_activations(plain, plain.initialize(rng), X)[0]
    assert np.max(z.std(axis=0)) > 5


def test_he_plus_5_puts_each_units_kink_inside_the_batch():
    layer = Dense(64, "relu", intercept_init="he+5")
    network = Network((6, layer, 1))
    rng = np.random.default_rng(1)
    X = _init_batch(rng)
    params = network.initialize(rng, X=X)
    coef, intercept = network.coefs(params)[0], network.intercepts(params)[0]
    products = X @ coef
    # -b is a convex combination of batch values: within their range.
    assert np.all(-intercept >= products.min(axis=0))
    assert np.all(-intercept <= products.max(axis=0))
    z = products + intercept
    active = (z > 0).mean(axis=0)
    assert np.all((active > 0) | np.isclose(z, 0).any(axis=0))
    assert np.all(active < 1)
    # Not a constant offset such as minus the mean: each unit its own place.
    relative = (-intercept - products.mean(axis=0)) / products.std(axis=0)
    assert np.std(relative) > 0.1


def test_he_plus_5_is_a_five_point_dirichlet_combination():
    rng = np.random.default_rng(2)
    X = _init_batch(rng, n_rows=7)
    layer = Dense(3, intercept_init="he+5")
    coef = rng.normal(size=(6, 3))
    params = (coef.copy(), np.zeros(3))
    layer.initialize_from_data(params, X, np.random.default_rng(9))
    replay = np.random.default_rng(9)
    rows = replay.integers(0, 7, size=(3, 5))
    weights = replay.standard_exponential((3, 5))
    weights /= weights.sum(axis=1, keepdims=True)
    products = X @ coef
    expected = [-(products[rows[j], j] @ weights[j]) for j in range(3)]
    np.testing.assert_allclose(params[1], expected, rtol=1e-12)
    assert_array_equal(params[0], coef)  # intercept_init leaves the weights.


def test_a_unit_constant_on_the_batch_keeps_its_draw():
    X = np.ones((10, 3))
    layer = Dense(4, coef_init="std")
    coef = np.random.default_rng(3).normal(size=(3, 4))
    params = (coef.copy(), np.zeros(4))
    layer.initialize_from_data(params, X, np.random.default_rng(0))
    assert_array_equal(params[0], coef)
    assert np.all(np.isfinite(params[0]))


def test_data_init_accepts_sparse_inputs_like_dense_ones():
    sparse = pytest.importorskip("scipy.sparse")
    network = Network((6, Dense(5, "relu", coef_init="std", intercept_init="he+5"), 1))
    X = _init_batch(np.random.default_rng(4))
    X[X < 3] = 0.0
    dense = network.initialize(np.random.default_rng(5), X=X)
    from_sparse = network.initialize(np.random.default_rng(5), X=sparse.csr_array(X))
    np.testing.assert_allclose(from_sparse, dense, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_initialising_a_plain_stack_from_data_changes_nothing(dtype):
    network = Network((6, 8, Dense(4, "tanh", parametrization="ntk"), 2), "relu")
    X = _init_batch(np.random.default_rng(6)).astype(dtype)
    with_data = network.initialize(np.random.default_rng(7), dtype=dtype, X=X)
    without = network.initialize(np.random.default_rng(7), dtype=dtype)
    assert_array_equal(with_data, without)
    assert with_data.dtype == dtype


def test_data_init_keeps_float32():
    network = Network((6, Dense(5, "relu", coef_init="std", intercept_init="he+5"), 1))
    X = _init_batch(np.random.default_rng(8)).astype(np.float32)
    params = network.initialize(np.random.default_rng(0), dtype=np.float32, X=X)
    assert params.dtype == np.float32
    assert np.all(np.isfinite(params))


def test_data_init_without_data_is_refused():
    network = Network((6, Dense(5, "relu", coef_init="std"), 1))
    with pytest.raises(ValueError, match="initialises from data"):
        network.initialize(np.random.default_rng(0))
    with pytest.raises(ValueError, match="at least one row"):
        network.initialize(np.random.default_rng(0), X=np.empty((0, 6)))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"coef_init": "normal"}, "coef_init"),
        ({"intercept_init": "he+3"}, "intercept_init"),
        ({"intercept_init": "he+5", "fit_intercept": False}, "fit_intercept"),
    ],
)
def test_bad_data_init_options_are_refused_by_name(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Dense(4, **kwargs)
