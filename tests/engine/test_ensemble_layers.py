"""The ensemble layers beyond the contract ring: members, initialisation, dtypes.

``test_layers.py`` checks their backward passes by finite differences on
single-column members; here a TabM-shaped network with wider members is
checked whole, each member is shown to compute its own dense layer (and
nothing of the others'), TabM's initialisation is verified, float32 stays
float32, the passes allocate nothing per row and bad hyper-parameters are
refused by name. The second half checks ensemble networks
(``Network(..., n_members=k)``): the objective is the mean of the members'
losses, one member is the plain network, and predictions are the mean of
the members' predictions.
"""

import tracemalloc

import numpy as np
import pytest
from finite_differences import assert_gradient_close, numerical_gradient
from layer_passes import peak_bytes_of_passes
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import logsumexp

from skneural.engine import Network, Objective
from skneural.engine.activations import OUTPUT_FUNCTIONS
from skneural.engine.ensemble_layers import EnsembleDense, EnsembleInput
from skneural.engine.initializers import GlorotUniform
from skneural.engine.layers import ActivationLayer, allocate_buffers
from skneural.engine.optimizers import Adam
from skneural.engine.training import (
    LbfgsOptions,
    MinibatchOptions,
    train_lbfgs,
    train_minibatch,
)

K, D = 3, 4


@pytest.mark.parametrize("sharing", ["adapters", "shared", "none"])
@pytest.mark.parametrize("scaling_init", ["random-signs", None])
def test_a_tabm_shaped_network_has_the_finite_difference_gradient(
    sharing, scaling_init
):
    network = Network(
        (
            D,
            EnsembleInput(K, scaling_init=scaling_init),
            EnsembleDense(5, K, sharing=sharing),
            ActivationLayer("tanh"),
            EnsembleDense(2, K, sharing="none"),
            2,
        ),
        loss="squared_error",
    )
    rng = np.random.default_rng(0)
    params = rng.uniform(-1, 1, network.n_params)
    X, Y = rng.normal(size=(6, D)), rng.normal(size=(6, 2))
    objective = Objective(network, alpha=0.2)
    loss, grad = objective.loss_and_grad(params, X, Y)
    numeric = numerical_gradient(lambda p: objective.loss(p, X, Y), params)
    assert_gradient_close(numeric, grad, scale=loss)


def _member_reference(layer, params, X):
    """Each member's dense layer, computed on its own block."""
    blocks = X.reshape(X.shape[0], K, -1)
    outputs = []
    for m in range(K):
        if layer.sharing == "shared":
            coef, intercept = params
            outputs.append(blocks[:, m] @ coef + intercept)
        elif layer.sharing == "none":
            coef, intercept = params
            outputs.append(blocks[:, m] @ coef[m] + intercept[m])
        else:
            coef, r, s, b = params
            outputs.append(((blocks[:, m] * r[m]) @ coef) * s[m] + b[m])
    return np.hstack(outputs)


@pytest.mark.parametrize("sharing", ["adapters", "shared", "none"])
def test_each_member_computes_its_own_dense_layer(sharing):
    rng = np.random.default_rng(1)
    layer = EnsembleDense(5, K, sharing=sharing)
    params = tuple(
        rng.normal(size=group.shape) for group in layer.parameter_groups(K * D)
    )
    X = rng.normal(size=(7, K * D))
    output = layer.predict(params, X)
    assert output.shape == (7, K * 5)
    assert_allclose(output, _member_reference(layer, params, X), rtol=1e-12)
    # Changing member 1's input changes member 1's output only.
    X_changed = X.copy()
    X_changed[:, D : 2 * D] += 1.0
    changed = layer.predict(params, X_changed) != output
    assert not changed[:, :5].any() and changed[:, 5:10].all()
    assert not changed[:, 10:].any()


def test_ensemble_input_scales_copies_and_sums_gradients_back():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(4, D))
    scaling = rng.normal(size=(K, D))
    output = EnsembleInput(K).predict((scaling,), X)
    assert_allclose(output, np.hstack([X * scaling[m] for m in range(K)]))
    assert_array_equal(EnsembleInput(K, None).predict((), X), np.tile(X, K))


def test_tabm_initialisation():
    rng = np.random.default_rng(3)
    (signs,) = EnsembleInput(32).initialize(rng, 50, None, np.float32)
    assert signs.dtype == np.float32 and set(np.unique(signs)) == {-1.0, 1.0}
    (normal,) = EnsembleInput(32, "normal").initialize(rng, 50, None, np.float64)
    assert abs(normal.std() - 1) < 0.05
    assert EnsembleInput(4, None).initialize(rng, 5, None, np.float64) == ()

    coef, r, s, b = EnsembleDense(6, 4).initialize(rng, 20, GlorotUniform(), float)
    assert coef.shape == (5, 6) and np.unique(coef).size == coef.size
    assert_array_equal(r, 1.0)
    assert_array_equal(s, 1.0)
    # The members start with equal intercepts: only the r of the input differ.
    assert_array_equal(b, np.tile(b[0], (4, 1)))

    coef, b = EnsembleDense(6, 4, "none").initialize(rng, 20, GlorotUniform(), float)
    assert coef.shape == (4, 5, 6)
    assert not np.allclose(coef[0], coef[1])


def test_only_the_shared_weights_are_penalised():
    for sharing in ("adapters", "shared", "none"):
        groups = EnsembleDense(3, 2, sharing).parameter_groups(4)
        assert [g.name for g in groups if g.penalised] == ["coef"]
    assert not any(g.penalised for g in EnsembleInput(2).parameter_groups(4))


@pytest.mark.parametrize(
    "layer",
    [
        EnsembleInput(K),
        EnsembleDense(5, K),
        EnsembleDense(5, K, "shared"),
        EnsembleDense(5, K, "none"),
    ],
    ids=repr,
)
def test_float32_stays_float32_and_agrees_with_float64(layer):
    rng = np.random.default_rng(4)
    n_inputs = D if isinstance(layer, EnsembleInput) else K * D
    params = layer.initialize(rng, n_inputs, GlorotUniform(), np.float64)
    X = rng.normal(size=(6, n_inputs))
    delta = rng.normal(size=(6, layer.output_width(n_inputs)))
    results = {}
    for dtype in (np.float32, np.float64):
        buffers = allocate_buffers(layer, n_inputs, 6, dtype)
        cast = tuple(p.astype(dtype) for p in params)
        output = layer.forward(cast, X.astype(dtype), buffers, None).copy()
        grads = tuple(np.empty_like(p) for p in cast)
        delta_in = np.empty((6, n_inputs), dtype)
        layer.backward(
            cast, X.astype(dtype), delta.astype(dtype), grads, delta_in, buffers, None
        )
        results[dtype] = (output, *grads, delta_in)
    for low, high in zip(results[np.float32], results[np.float64], strict=True):
        assert low.dtype == np.float32
        assert_allclose(low, high, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "layer",
    [
        EnsembleInput(4),
        EnsembleDense(8, 4),
        EnsembleDense(8, 4, "shared"),
        EnsembleDense(8, 4, "none"),
    ],
    ids=repr,
)
def test_passes_allocate_nothing_per_row(layer):
    peak = peak_bytes_of_passes(layer, 16_000, 32, GlorotUniform(), seed=5)
    # X alone is 4 MB; NumPy's ufuncs keep fixed buffers of some 64 kB.
    assert peak < 300_000


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: EnsembleInput(0), "n_members"),
        (lambda: EnsembleInput(2.0), "n_members"),
        (lambda: EnsembleInput(2, "ones"), "scaling_init"),
        (lambda: EnsembleDense(0), "units"),
        (lambda: EnsembleDense(3, n_members=True), "n_members"),
        (lambda: EnsembleDense(3, sharing="all"), "sharing"),
    ],
)
def test_bad_hyper_parameters_are_refused_by_name(factory, message):
    with pytest.raises(ValueError, match=message):
        factory()


def test_an_input_width_that_members_cannot_split_is_refused():
    with pytest.raises(ValueError, match="multiple of 3, got 4"):
        Network((4, EnsembleDense(2, n_members=3), 1))


# An ensemble network: n_members heads, the mean of the members' losses.

LOSS_OUTPUTS = [
    ("squared_error", 2),
    ("poisson", 2),
    ("binary_log_loss", 2),
    ("multinomial_log_loss", 3),
]


def _ensemble(loss, n_outputs, n_members=K, sharing="adapters"):
    return Network(
        (
            D,
            EnsembleInput(n_members),
            EnsembleDense(5, n_members, sharing=sharing),
            ActivationLayer("tanh"),
            n_outputs,
        ),
        loss=loss,
        n_members=n_members,
    )


def _data(loss, n_outputs, rng, n_rows=6):
    X = rng.normal(size=(n_rows, D))
    if loss == "multinomial_log_loss":
        Y = np.eye(n_outputs)[rng.integers(0, n_outputs, n_rows)]
    elif loss == "binary_log_loss":
        Y = rng.integers(0, 2, (n_rows, n_outputs)).astype(float)
    else:
        Y = rng.uniform(0, 2, (n_rows, n_outputs))
    return X, Y


@pytest.mark.parametrize(("loss", "n_outputs"), LOSS_OUTPUTS)
@pytest.mark.parametrize("weighted", [False, True])
def test_the_ensemble_objective_has_the_finite_difference_gradient(
    loss, n_outputs, weighted
):
    network = _ensemble(loss, n_outputs)
    assert network.layer_sizes[-1] == K * n_outputs
    assert network.n_outputs == n_outputs
    rng = np.random.default_rng(1)
    params = rng.uniform(-1, 1, network.n_params)
    X, Y = _data(loss, n_outputs, rng)
    weights = rng.uniform(0.5, 2, len(X)) if weighted else None
    objective = Objective(network, alpha=0.3)
    loss_value, grad = objective.loss_and_grad(params, X, Y, weights)
    assert_allclose(loss_value, objective.loss(params, X, Y, weights), rtol=1e-12)
    numeric = numerical_gradient(lambda p: objective.loss(p, X, Y, weights), params)
    assert_gradient_close(numeric, grad, scale=loss_value)


@pytest.mark.parametrize(("loss", "n_outputs"), LOSS_OUTPUTS)
def test_the_ensemble_objective_is_the_mean_of_the_members_losses(loss, n_outputs):
    network = _ensemble(loss, n_outputs)
    rng = np.random.default_rng(2)
    params = rng.uniform(-1, 1, network.n_params)
    X, Y = _data(loss, n_outputs, rng, n_rows=9)
    weights = rng.uniform(0.5, 2, len(X))
    # Each member's own network, by hand: its input scaling, its adapters
    # around the shared matrix, its head.
    scaling, dense, _, head = network.layer_params(params)
    member_losses = []
    for m in range(K):
        hidden = np.tanh(
            ((X * scaling["scaling"][m]) * dense["input_scaling"][m])
            @ dense["coef"]
            * dense["output_scaling"][m]
            + dense["intercept"][m]
        )
        raw = hidden @ head["coef"][m] + head["intercept"][m]
        member_losses.append(network.loss(raw, Y, weights))
    objective = Objective(network)
    loss_value, _ = objective.loss_and_grad(params, X, Y, weights)
    assert_allclose(loss_value, np.mean(member_losses), rtol=1e-12)
    assert_allclose(objective.loss(params, X, Y, weights), loss_value, rtol=1e-12)
    # The members differ, so the mean of their losses is not the loss of
    # their mean prediction: the objective trains members, not the average.
    assert np.ptp(member_losses) > 1e-3


@pytest.mark.parametrize(("loss", "n_outputs"), LOSS_OUTPUTS)
def test_one_member_gives_the_plain_network_loss_and_gradient(loss, n_outputs):
    plain = Network((D, 5, n_outputs), "tanh", loss)
    single = Network((D, 5, n_outputs), "tanh", loss, n_members=1)
    assert (single.n_params, single.n_coef) == (plain.n_params, plain.n_coef)
    rng = np.random.default_rng(3)
    params = rng.uniform(-1, 1, plain.n_params)
    X, Y = _data(loss, n_outputs, rng, n_rows=7)
    weights = rng.uniform(0.5, 2, len(X))
    for sample_weight in (None, weights):
        expected = Objective(plain, alpha=0.1).loss_and_grad(
            params, X, Y, sample_weight
        )
        got = Objective(single, alpha=0.1).loss_and_grad(params, X, Y, sample_weight)
        assert got[0] == expected[0]
        assert_array_equal(got[1], expected[1])
    assert_allclose(single.predict(params, X), plain.predict(params, X), rtol=1e-13)
    # One member's mean is itself; softmax logits come normalised (log p).
    raw = plain.predict_raw(params, X)
    if loss == "multinomial_log_loss":
        raw = raw - logsumexp(raw, axis=1, keepdims=True)
    assert_allclose(single.predict_raw(params, X), raw, rtol=1e-12)


@pytest.mark.parametrize(("loss", "n_outputs"), LOSS_OUTPUTS)
def test_prediction_is_the_mean_of_the_members_predictions(loss, n_outputs):
    network = _ensemble(loss, n_outputs)
    rng = np.random.default_rng(4)
    params = rng.uniform(-2, 2, network.n_params)
    X, _ = _data(loss, n_outputs, rng, n_rows=8)
    members = network.predict_member_raw(params, X)
    assert members.shape == (8, K, n_outputs)
    output_function = OUTPUT_FUNCTIONS[network.out_activation]
    expected = np.mean([output_function(members[:, m].copy()) for m in range(K)], 0)
    assert_allclose(network.predict(params, X), expected, rtol=1e-12)
    # predict_raw is what the output function maps to that mean, so callers
    # that apply it themselves (decision_function, validation) agree.
    raw = network.predict_raw(params, X)
    assert raw.shape == (8, n_outputs)
    assert_allclose(output_function(raw.copy()), expected, rtol=1e-12)


@pytest.mark.parametrize(("loss", "n_outputs"), LOSS_OUTPUTS)
def test_ensemble_predictions_are_finite_for_extreme_members(loss, n_outputs):
    network = _ensemble(loss, n_outputs)
    rng = np.random.default_rng(5)
    params = rng.uniform(-1, 1, network.n_params)
    head = network.layer_params(params)[-1]
    head["intercept"][...] = 1e4 * rng.choice([-1.0, 1.0], head["intercept"].shape)
    X, _ = _data(loss, n_outputs, rng)
    raw = network.predict_raw(params, X)
    prediction = network.predict(params, X)
    assert np.all(np.isfinite(raw))
    if loss != "poisson":  # A mean of e^1e4 is beyond any float.
        assert np.all(np.isfinite(prediction))


def test_an_ensemble_training_pass_allocates_nothing_per_row():
    # The squared error allocates no row vectors of its own (the log-losses
    # take a few, as they do for a single network).
    network = _ensemble("squared_error", 3)
    rng = np.random.default_rng(6)
    n_rows = 20_000
    X, Y = _data("squared_error", 3, rng, n_rows=n_rows)
    weights = None
    params = network.initialize(rng)
    workspace = network.workspace(n_rows, X.dtype)
    grad = np.empty_like(params)
    objective = Objective(network)
    objective.loss_and_grad(params, X, Y, weights, grad=grad, workspace=workspace)
    tracemalloc.start()
    try:
        objective.loss_and_grad(params, X, Y, weights, grad=grad, workspace=workspace)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # The members' outputs alone are n_rows * K * 3 * 8 bytes = 1.4 MB.
    assert peak < 300_000


def test_an_ensemble_stays_in_float32():
    network = _ensemble("binary_log_loss", 1)
    rng = np.random.default_rng(7)
    params = network.initialize(rng, dtype=np.float32)
    X, Y = _data("binary_log_loss", 1, rng)
    loss_value, grad = Objective(network).loss_and_grad(
        params, X.astype(np.float32), Y.astype(np.float32)
    )
    assert grad.dtype == np.float32
    assert np.isfinite(loss_value)
    assert network.predict(params, X.astype(np.float32)).dtype == np.float32


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_members": 0}, "n_members"),
        ({"n_members": 2.0}, "n_members"),
        ({"n_members": True}, "n_members"),
        ({"n_members": 2, "output_intercept": False}, "output_intercept"),
    ],
)
def test_bad_ensemble_networks_are_refused_by_name(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Network((D, EnsembleInput(2), 2), **kwargs)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_an_ensemble_trains_and_predicts_the_mean_of_its_members(solver):
    rng = np.random.default_rng(8)
    X = rng.normal(size=(300, D))
    labels = (X[:, 0] * X[:, 1] > 0).astype(int)
    Y = np.eye(2)[labels]
    network = Network(
        (
            D,
            EnsembleInput(4),
            EnsembleDense(16, 4),
            ActivationLayer("tanh"),
            2,
        ),
        loss="multinomial_log_loss",
        n_members=4,
    )
    params = network.initialize(rng)
    objective = Objective(network)
    start = objective.loss(params, X, Y)
    if solver == "adam":
        options = MinibatchOptions(
            optimizer=Adam(),
            schedule=lambda epoch: 0.01,
            batch_size=32,
            max_iter=60,
            tol=0,
        )
        result = train_minibatch(objective, params, X, Y, options=options, rng=rng)
    else:
        result = train_lbfgs(
            objective, params, X, Y, options=LbfgsOptions(max_iter=300)
        )
    assert objective.loss(result.params, X, Y) < 0.5 * start
    accuracy = np.mean(network.predict(result.params, X).argmax(axis=1) == labels)
    assert accuracy > 0.9
