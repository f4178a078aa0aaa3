"""The tabular layers beyond the contract ring: formulas, initialisation, dtypes.

The finite-difference checks of their backward passes are in
``test_layers.py``, with every other layer's. Here: each layer computes the
formula of its paper (against a direct, loop-by-loop reference), draws its
initial parameters as RealMLP-TD does, declares the training attributes its
groups need, keeps float32 in float32, stays finite and silent at extreme
inputs, allocates nothing per row in its passes and refuses bad
hyper-parameters by name.
"""

import warnings

import numpy as np
import pytest
from layer_passes import peak_bytes_of_passes
from numpy.testing import assert_allclose, assert_array_equal

from skneural.engine import Network, Objective
from skneural.engine.activations import get_activation
from skneural.engine.layers import allocate_buffers
from skneural.engine.optimizers import Adam
from skneural.engine.tabular_layers import (
    CategoricalEmbedding,
    FeatureScale,
    ParametricActivation,
    PeriodicEmbedding,
)
from skneural.engine.training import MinibatchOptions, train_minibatch

TABULAR_LAYERS = [
    FeatureScale(),
    PeriodicEmbedding(),
    PeriodicEmbedding(columns=[1, 3], activation="relu"),
    ParametricActivation("selu"),
    ParametricActivation("mish"),
]


def _passes(layer, params, X, delta):
    """Run a forward and a backward pass; return output, gradients and delta_in."""
    n_rows, n_inputs = X.shape
    buffers = allocate_buffers(layer, n_inputs, n_rows, X.dtype)
    output = layer.forward(params, X, buffers, None).copy()
    grads = tuple(np.empty_like(p) for p in params)
    delta_in = np.empty_like(X)
    layer.backward(params, X, delta.copy(), grads, delta_in, buffers, None)
    return output, grads, delta_in


def _periodic_reference(params, X, columns, activation):
    """PBLD written as in pytabkit, one column and one row at a time."""
    frequencies, phases, coef, intercept = params
    columns = range(X.shape[1]) if columns is None else columns
    rows = []
    for x in X:
        parts = []
        for k, column in enumerate(columns):
            cosines = np.cos(2 * np.pi * x[column] * frequencies[k] + phases[k])
            parts.append(activation(cosines @ coef[k] + intercept[k]))
        rows.append(np.concatenate([*parts, x]))
    return np.array(rows)


@pytest.mark.parametrize("columns", [None, [0, 2]])
@pytest.mark.parametrize("activation", [None, "relu"])
def test_periodic_embedding_computes_pbld(columns, activation):
    rng = np.random.default_rng(0)
    layer = PeriodicEmbedding(
        n_frequencies=5, embedding_width=2, columns=columns, activation=activation
    )
    params = layer.initialize(rng, 4, None, np.float64)
    X = rng.normal(size=(6, 4))
    function = (lambda z: z) if activation is None else get_activation(activation)
    expected = _periodic_reference(params, X, columns, function)
    assert_allclose(layer.predict(params, X), expected, rtol=1e-12, atol=1e-14)
    # The raw input comes last, unchanged.
    assert_array_equal(layer.predict(params, X)[:, -4:], X)


def test_periodic_embedding_is_initialised_as_in_realmlp_td():
    layer = PeriodicEmbedding()
    assert (layer.n_frequencies, layer.embedding_width, layer.sigma) == (16, 3, 0.1)
    frequencies, phases, coef, intercept = layer.initialize(
        np.random.default_rng(0), 200, None, np.float64
    )
    # N(0, 0.1^2) over 3,200 draws: the sample std is within 5% of 0.1.
    assert abs(frequencies.std() - 0.1) < 0.005 and abs(frequencies.mean()) < 0.01
    assert np.all(np.abs(phases) <= np.pi) and phases.std() > 1.7  # U(-pi, pi)
    for array in (coef, intercept):
        assert np.all(np.abs(array) <= 0.25)  # U(-1, 1) / sqrt(16)
        assert array.std() > 0.13  # 0.25 / sqrt(3) = 0.144
    assert layer.output_width(200) == 200 * 3 + 200


def test_groups_carry_realmlp_td_learning_rate_factors_and_penalties():
    def attributes(layer, n_inputs=4):
        return {
            (group.name, group.penalised, group.learning_rate_factor)
            for group in layer.parameter_groups(n_inputs)
        }

    assert attributes(FeatureScale()) == {("scale", False, 6.0)}
    assert attributes(FeatureScale(2.0, penalised=True)) == {("scale", True, 2.0)}
    assert attributes(ParametricActivation()) == {("mixing", True, 0.1)}
    assert attributes(PeriodicEmbedding()) == {
        (name, True, 0.1) for name in ("frequencies", "phases", "coef", "intercept")
    }


@pytest.mark.parametrize("layer", [FeatureScale(), ParametricActivation()], ids=repr)
def test_scale_and_mixing_start_at_one(layer):
    (array,) = layer.initialize(np.random.default_rng(0), 5, None, np.float32)
    assert array.dtype == np.float32
    assert_array_equal(array, 1.0)


def test_feature_scale_multiplies_each_column():
    scale = np.array([2.0, -1.0, 0.0])
    X = np.arange(6.0).reshape(2, 3)
    assert_array_equal(FeatureScale().predict((scale,), X), X * scale)


@pytest.mark.parametrize("name", ["selu", "mish", "tanh"])
def test_parametric_activation_mixes_the_activation_with_the_identity(name):
    X = np.linspace(-3, 3, 12).reshape(4, 3)
    layer, f = ParametricActivation(name), get_activation(name)
    assert_allclose(layer.predict((np.ones(3),), X), f(X), rtol=1e-14)
    assert_array_equal(layer.predict((np.zeros(3),), X), X)
    mixing = np.array([0.25, 0.5, -1.0])
    expected = (1 - mixing) * X + mixing * f(X)
    assert_allclose(layer.predict((mixing,), X), expected, rtol=1e-12)


@pytest.mark.parametrize("layer", TABULAR_LAYERS, ids=repr)
def test_float32_stays_float32_and_agrees_with_float64(layer):
    rng = np.random.default_rng(1)
    n_inputs = 4
    params = layer.initialize(rng, n_inputs, None, np.float64)
    X = rng.normal(size=(7, n_inputs))
    delta = rng.normal(size=(7, layer.output_width(n_inputs)))
    single = _passes(
        layer,
        tuple(p.astype(np.float32) for p in params),
        X.astype(np.float32),
        delta.astype(np.float32),
    )
    double = _passes(layer, params, X, delta)
    for low, high in zip(
        (single[0], *single[1], single[2]),
        (double[0], *double[1], double[2]),
        strict=True,
    ):
        assert low.dtype == np.float32
        assert_allclose(low, high, rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layer", TABULAR_LAYERS, ids=repr)
def test_no_warning_and_finite_at_extreme_inputs(layer, dtype):
    rng = np.random.default_rng(2)
    X = np.array([[-1e4, 1e4, -1e6, 1e6], [1e4, -1e4, 0.0, -0.0]], dtype)
    params = tuple(p.astype(dtype) for p in layer.initialize(rng, 4, None, dtype))
    delta = np.ones((2, layer.output_width(4)), dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        output, grads, delta_in = _passes(layer, params, X, delta)
    for array in (output, *grads, delta_in):
        assert array.dtype == dtype
        assert np.isfinite(array).all()


@pytest.mark.parametrize(
    "layer",
    [
        FeatureScale(),
        PeriodicEmbedding(),
        PeriodicEmbedding(columns=[0, 4, 7]),
        ParametricActivation("tanh"),
    ],
    ids=repr,
)
def test_passes_allocate_nothing_per_row(layer):
    # A per-row temporary of 16,000 x 10 float64 values is 1.28 MB; NumPy's
    # ufunc machinery keeps a fixed buffer of 64 kB or so.
    assert peak_bytes_of_passes(layer, 16_000) < 300_000


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: FeatureScale(-1.0), "learning_rate_factor"),
        (lambda: FeatureScale("6"), "learning_rate_factor"),
        (lambda: ParametricActivation(learning_rate_factor=None), "learning_rate"),
        (lambda: ParametricActivation("unknown"), "unknown"),
        (lambda: PeriodicEmbedding(n_frequencies=0), "n_frequencies"),
        (lambda: PeriodicEmbedding(embedding_width=2.0), "embedding_width"),
        (lambda: PeriodicEmbedding(sigma=0.0), "sigma"),
        (lambda: PeriodicEmbedding(columns=[2, 1]), "columns"),
        (lambda: PeriodicEmbedding(columns=[-1]), "columns"),
        (lambda: PeriodicEmbedding(columns=[]), "columns"),
        (lambda: PeriodicEmbedding(columns=[0.5]), "columns"),
    ],
)
def test_bad_hyper_parameters_are_refused_by_name(factory, message):
    with pytest.raises(ValueError, match=message):
        factory()


def test_columns_beyond_the_input_are_refused():
    with pytest.raises(ValueError, match="index 5, but the input has only 3"):
        Network((3, PeriodicEmbedding(columns=[0, 5]), 2))


def test_layers_are_value_objects():
    layer = PeriodicEmbedding(columns=np.array([0, 2]), activation="relu")
    assert layer == PeriodicEmbedding(columns=(0, 2), activation="relu")
    assert layer.columns == (0, 2)
    assert eval(repr(FeatureScale()), {"FeatureScale": FeatureScale}) == (
        FeatureScale()
    )


def _realmlp_front(n_inputs):
    """RealMLP-TD's front, small: PBLD, the scale, dense, parametric SELU."""
    return Network(
        (
            n_inputs,
            PeriodicEmbedding(n_frequencies=4, columns=[0, 1]),
            FeatureScale(),
            8,
            ParametricActivation("selu"),
            1,
        ),
        "identity",
        "squared_error",
    )


def test_a_realmlp_front_trains_and_its_factors_reach_the_optimizer():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(200, 3))
    # A periodic target in the first column: what the embedding is for.
    y = np.sin(3 * X[:, :1]) + 0.1 * X[:, 2:]
    network = _realmlp_front(3)
    factors = network.layer_params(network.learning_rate_factors(np.float64))
    assert [
        sorted({float(v.flat[0]) for v in layer.values()}) for layer in factors
    ] == [
        [0.1],
        [6.0],
        [0.1],
    ]
    params = network.initialize(rng)
    objective = Objective(network)
    start = objective.loss(params, X, y)
    options = MinibatchOptions(
        optimizer=Adam(),
        schedule=lambda epoch: 0.01,
        batch_size=50,
        max_iter=100,
        tol=0,
    )
    result = train_minibatch(objective, params, X, y, options=options, rng=rng)
    assert objective.loss(result.params, X, y) < 0.2 * start


def test_parametric_activation_of_an_activation_without_scratch():
    from skneural.engine.activations import Activation

    class Cube(Activation):
        name = "cube"
        needs_input = True

        def forward(self, z, out):
            return np.power(z, 3, out=out)

        def multiply_derivative(self, delta, z, a):
            delta *= 3 * z * z
            return delta

    layer = ParametricActivation(Cube())
    assert layer.scratch_width(4) == 4
    rng = np.random.default_rng(6)
    mixing, X = rng.normal(size=4), rng.normal(size=(5, 4))
    delta = rng.normal(size=(5, 4))
    _, (g_mixing,), delta_in = _passes(layer, (mixing,), X, delta)
    assert_allclose(g_mixing, np.sum(delta * (X**3 - X), axis=0))
    assert_allclose(delta_in, delta * (1 + mixing * (3 * X**2 - 1)))


# CategoricalEmbedding: RealMLP's embeddings of high-cardinality categories.


def _codes(rng, n_rows, cardinalities):
    return np.column_stack(
        [rng.integers(0, levels, n_rows) for levels in cardinalities]
    )


def _embedding_inputs(rng, n_rows, n_inputs, columns=(1, 4), cardinalities=(7, 50)):
    """Normal values, with codes in the embedded columns."""
    X = rng.normal(size=(n_rows, n_inputs))
    X[:, list(columns)] = _codes(rng, n_rows, cardinalities)
    return X


def test_categorical_embedding_looks_up_each_code_and_passes_the_rest():
    rng = np.random.default_rng(0)
    layer = CategoricalEmbedding(columns=[1, 4], cardinalities=[7, 50], dim=3)
    params = layer.initialize(rng, 6, None, np.float64)
    X = _embedding_inputs(rng, 20, 6)
    expected = np.array(
        [
            np.concatenate(
                [x[[0, 2, 3, 5]], params[0][int(x[1])], params[1][int(x[4])]]
            )
            for x in X
        ]
    )
    assert layer.output_width(6) == 4 + 2 * 3
    assert_array_equal(layer.predict(params, X), expected)


def test_categorical_embedding_adds_the_gradient_of_repeated_codes():
    rng = np.random.default_rng(1)
    layer = CategoricalEmbedding(columns=[0], cardinalities=[5], dim=2)
    params = layer.initialize(rng, 2, None, np.float64)
    X = np.array([[3.0, 0.1], [1.0, 0.2], [3.0, 0.3], [3.0, 0.4], [4.0, 0.5]])
    delta = rng.normal(size=(5, 3))
    _, (grad,), delta_in = _passes(layer, params, X, delta)
    expected = np.zeros((5, 2))
    for code, row in zip(X[:, 0].astype(int), delta[:, 1:], strict=True):
        expected[code] += row
    assert_allclose(grad, expected, rtol=1e-14)
    assert_array_equal(grad[[0, 2]], 0.0)  # codes absent from the batch
    assert_array_equal(delta_in, np.column_stack([np.zeros(5), delta[:, 0]]))


def test_categorical_embedding_is_initialised_as_in_realmlp_td():
    layer = CategoricalEmbedding(columns=[0, 1], cardinalities=[2000, 3])
    assert layer.dim == 8  # RealMLP-TD's embedding_size
    large, small = layer.initialize(np.random.default_rng(0), 2, None, np.float64)
    assert large.shape == (2000, 8) and small.shape == (3, 8)
    # N(0, 1) over 16,000 draws, pytabkit's emb_init_mode='normal'.
    assert abs(large[1:].std() - 1) < 0.03 and abs(large[1:].mean()) < 0.03
    # The unknown code starts as an all-zero one-hot row would: adding nothing.
    assert_array_equal(large[0], 0.0)
    assert_array_equal(small[0], 0.0)
    assert np.all(small[1:] != 0)
    groups = layer.parameter_groups(2)
    assert [(g.name, g.penalised, g.learning_rate_factor) for g in groups] == [
        ("table_0", True, 1.0),
        ("table_1", True, 1.0),
    ]
    custom = CategoricalEmbedding(
        [0], [3], 4, learning_rate_factor=2.0, penalised=False
    )
    assert [
        (g.penalised, g.learning_rate_factor) for g in custom.parameter_groups(1)
    ] == [(False, 2.0)]


def test_categorical_embedding_keeps_float32():
    rng = np.random.default_rng(2)
    layer = CategoricalEmbedding(columns=[1, 4], cardinalities=[7, 50], dim=4)
    params = layer.initialize(rng, 6, None, np.float64)
    X = _embedding_inputs(rng, 9, 6)
    delta = rng.normal(size=(9, layer.output_width(6)))
    single = _passes(
        layer,
        tuple(p.astype(np.float32) for p in params),
        X.astype(np.float32),
        delta.astype(np.float32),
    )
    double = _passes(layer, params, X, delta)
    for low, high in zip(
        (single[0], *single[1], single[2]),
        (double[0], *double[1], double[2]),
        strict=True,
    ):
        assert low.dtype == np.float32
        assert_allclose(low, high, rtol=2e-6, atol=1e-6)
    assert all(
        table.dtype == np.float32
        for table in layer.initialize(rng, 6, None, np.float32)
    )


def test_float32_cannot_hold_the_codes_of_too_many_levels():
    layer = CategoricalEmbedding(columns=[0], cardinalities=[2**24 + 1], dim=1)
    with pytest.raises(ValueError, match="float32 cannot hold every code"):
        layer.initialize(np.random.default_rng(0), 1, None, np.float32)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (7.0, "Column 1 must hold the codes 0 to 6 of its 7 levels"),
        (-1.0, "Column 1 must hold the codes 0 to 6"),
        (6.5, "Column 1 must hold"),
        (np.nan, "Column 1 must hold the codes 0 to 6 .* got missing values"),
        (np.inf, "Column 1 must hold the codes 0 to 6"),
    ],
)
def test_codes_out_of_range_are_refused_by_every_pass(code, message):
    rng = np.random.default_rng(3)
    layer = CategoricalEmbedding(columns=[1], cardinalities=[7], dim=2)
    params = layer.initialize(rng, 3, None, np.float64)
    X = _embedding_inputs(rng, 4, 3, columns=[1], cardinalities=[7])
    X[2, 1] = code
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=message):
            layer.forward(params, X, allocate_buffers(layer, 3, 4, X.dtype), None)
        with pytest.raises(ValueError, match=message):
            layer.predict(params, X)


def test_codes_are_rounded_in_training_and_must_be_integers_in_predict():
    rng = np.random.default_rng(4)
    layer = CategoricalEmbedding(columns=[0], cardinalities=[4], dim=2)
    params = layer.initialize(rng, 1, None, np.float64)
    X = np.array([[2.0], [3.0]])
    nearly = X + np.array([[1e-12], [-1e-12]])
    buffers = allocate_buffers(layer, 1, 2, X.dtype)
    assert_array_equal(
        layer.forward(params, nearly, buffers, None), layer.predict(params, X)
    )
    with pytest.raises(ValueError, match="Column 0 must hold integer codes"):
        layer.predict(params, nearly)


def test_categorical_embedding_passes_allocate_nothing_per_row():
    layer = CategoricalEmbedding(columns=[1, 4], cardinalities=[7, 50])
    assert peak_bytes_of_passes(layer, 16_000, inputs=_embedding_inputs) < 300_000


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: CategoricalEmbedding([], []), "columns"),
        (lambda: CategoricalEmbedding([2, 1], [3, 3]), "columns"),
        (lambda: CategoricalEmbedding([0, 1], [3]), "cardinalities"),
        (lambda: CategoricalEmbedding([0], [0]), "cardinalities"),
        (lambda: CategoricalEmbedding([0], [2.5]), "cardinalities"),
        (lambda: CategoricalEmbedding([0], [3], dim=0), "dim"),
        (lambda: CategoricalEmbedding([0], [3], learning_rate_factor=-1), "learning"),
    ],
)
def test_bad_embedding_hyper_parameters_are_refused_by_name(factory, message):
    with pytest.raises(ValueError, match=message):
        factory()


def test_code_columns_beyond_the_input_are_refused():
    with pytest.raises(ValueError, match="index 3, but the input has only 3"):
        Network((3, CategoricalEmbedding(columns=[3], cardinalities=[4]), 2))


def test_an_embedding_network_learns_a_target_of_many_levels():
    """Each of 40 levels has its own target: the embedding must tell them apart."""
    rng = np.random.default_rng(5)
    levels = rng.normal(size=41)
    levels[0] = 0.0
    X = np.column_stack([rng.normal(size=800), rng.integers(1, 41, 800)])
    y = (levels[X[:, 1].astype(int)] + 0.1 * X[:, 0])[:, None]
    network = Network(
        (
            2,
            CategoricalEmbedding(columns=[1], cardinalities=[41], dim=4),
            PeriodicEmbedding(n_frequencies=4, columns=[0]),
            16,
            1,
        ),
        "relu",
        "squared_error",
    )
    params = network.initialize(rng)
    objective = Objective(network)
    start = objective.loss(params, X, y)
    options = MinibatchOptions(
        optimizer=Adam(),
        schedule=lambda epoch: 0.01,
        batch_size=64,
        max_iter=60,
        tol=0,
    )
    result = train_minibatch(objective, params, X, y, options=options, rng=rng)
    assert objective.loss(result.params, X, y) < 0.05 * start
    # The unknown code was never seen: its row is still zero.
    table = network.layer_params(result.params)[0]["table_0"]
    assert_array_equal(table[0], 0.0)
