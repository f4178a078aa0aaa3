"""Full-network gradient checks of ``Objective.loss_and_grad``; the objective's rules.

Hypothesis draws the architecture, the data and the parameters. For every
loss with its output function, every registered activation and 0, 1 or 2
hidden layers, the analytic gradient must match five-point finite
differences of :meth:`Objective.loss` (a separate forward pass) to a
relative error below 1e-6, with and without sample weights and an L2
penalty.
"""

import numpy as np
import pytest
from finite_differences import assert_gradient_close, numerical_gradient
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose

from skneural.engine import Network, Objective
from skneural.engine.activations import ACTIVATIONS
from skneural.engine.losses import LOSSES

# Bounds of the drawn problems. With |X| <= 2, |params| <= 1 and at most 4
# units per layer, a parameter moved by the stencil's largest offset (2e-5)
# moves any pre-activation or output by less than 2e-4, so staying 1e-3 away
# from a kink (ReLU at 0, |residual| at 0) keeps every evaluation of the
# stencil on one smooth piece.
MAX_UNITS = 4
KINK_MARGIN = 1e-3


def _floats(low, high):
    return st.floats(low, high, allow_nan=False, allow_subnormal=False)


def _targets(draw, loss_name, n_samples):
    if loss_name == "multinomial_log_loss":
        n_classes = draw(st.integers(2, MAX_UNITS))
        labels = draw(
            hnp.arrays(np.int64, n_samples, elements=st.integers(0, n_classes - 1))
        )
        return np.eye(n_classes)[labels]
    n_outputs = draw(st.integers(1, 3))
    shape = (n_samples, n_outputs)
    if loss_name == "binary_log_loss":
        return draw(hnp.arrays(np.bool_, shape)).astype(np.float64)
    low = 0.0 if loss_name == "poisson" else -2.0
    return draw(hnp.arrays(np.float64, shape, elements=_floats(low, 2.0)))


@st.composite
def problems(draw, loss_name, n_hidden):
    """A network with drawn sizes, data, targets, parameters and sample weights."""
    n_samples = draw(st.integers(1, 6))
    n_features = draw(st.integers(1, MAX_UNITS))
    Y = _targets(draw, loss_name, n_samples)
    hidden = draw(
        st.lists(st.integers(1, MAX_UNITS), min_size=n_hidden, max_size=n_hidden)
    )
    layer_sizes = (n_features, *hidden, Y.shape[1])
    X = draw(hnp.arrays(np.float64, (n_samples, n_features), elements=_floats(-2, 2)))
    n_params = Network(layer_sizes).n_params
    params = draw(hnp.arrays(np.float64, n_params, elements=_floats(-1, 1)))
    sample_weight = draw(hnp.arrays(np.float64, n_samples, elements=_floats(0.1, 3)))
    alpha = draw(_floats(1e-3, 5))
    return layer_sizes, X, Y, params, sample_weight, alpha


def pre_activations(network, params, X):
    """Every hidden pre-activation and the raw output, by a plain forward pass."""
    values, layer_input = [], X
    coefs, intercepts = network.coefs(params), network.intercepts(params)
    for layer, (coef, intercept) in enumerate(zip(coefs, intercepts, strict=True)):
        z = layer_input @ coef + intercept
        values.append(z)
        if layer < network.n_layers - 1:
            layer_input = network.activation(z)
    return values


def check_gradient(objective, params, X, Y, sample_weight):
    loss, grad = objective.loss_and_grad(params, X, Y, sample_weight)
    # Two forward passes agree to rounding; log-losses of confident, correct
    # predictions (logaddexp(0, z) - z) keep only an absolute precision.
    assert_allclose(
        loss, objective.loss(params, X, Y, sample_weight), rtol=1e-12, atol=1e-12
    )
    numeric = numerical_gradient(
        lambda p: objective.loss(p, X, Y, sample_weight), params
    )
    assert_gradient_close(numeric, grad, scale=loss)


CASES = [(loss, "identity", 0) for loss in LOSSES] + [
    (loss, activation, n_hidden)
    for loss in LOSSES
    for activation in ACTIVATIONS
    for n_hidden in (1, 2)
]


@pytest.mark.parametrize(("loss_name", "activation", "n_hidden"), CASES)
@settings(max_examples=6, deadline=None, database=None)
@given(data=st.data())
def test_loss_and_grad_matches_finite_differences(
    loss_name, activation, n_hidden, data
):
    layer_sizes, X, Y, params, sample_weight, alpha = data.draw(
        problems(loss_name, n_hidden)
    )
    network = Network(layer_sizes, activation, loss_name)
    values = pre_activations(network, params, X)
    # Activations with kinks, and the absolute error, are checked away from them.
    for z in values[:-1]:
        assume(np.abs(z).min() > KINK_MARGIN)
    if loss_name == "absolute_error":
        assume(np.abs(values[-1] - Y).min() > KINK_MARGIN)
    for weights in (None, sample_weight):
        for penalty in (0.0, alpha):
            check_gradient(Objective(network, alpha=penalty), params, X, Y, weights)


def test_check_gradient_catches_a_wrong_derivative():
    # The gradient check itself must be able to fail.
    class WrongTanh(ACTIVATIONS["tanh"]):
        def multiply_derivative(self, delta, z, a):
            delta *= 1 - a  # should be 1 - a**2
            return delta

    rng = np.random.default_rng(0)
    network = Network((3, 4, 2), WrongTanh(), "squared_error")
    params = rng.uniform(-1, 1, network.n_params)
    X, Y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    with pytest.raises(AssertionError, match="relative error"):
        check_gradient(Objective(network), params, X, Y, None)


def _problem(rng, layer_sizes=(3, 4, 2), n_samples=6, loss="squared_error"):
    network = Network(layer_sizes, "tanh", loss)
    params = rng.uniform(-1, 1, network.n_params)
    X = rng.normal(size=(n_samples, layer_sizes[0]))
    Y = rng.normal(size=(n_samples, layer_sizes[-1]))
    return network, params, X, Y


def test_integer_weights_equal_repeated_rows():
    rng = np.random.default_rng(1)
    network, params, X, Y = _problem(rng)
    counts = np.array([1, 3, 0, 2, 1, 4])
    objective = Objective(network, alpha=0.7)
    weighted = objective.loss_and_grad(params, X, Y, counts.astype(float))
    repeated = objective.loss_and_grad(
        params, np.repeat(X, counts, axis=0), np.repeat(Y, counts, axis=0)
    )
    assert_allclose(weighted[0], repeated[0], rtol=1e-12)
    assert_allclose(weighted[1], repeated[1], rtol=1e-12, atol=1e-15)


def test_penalty_spares_the_intercepts():
    rng = np.random.default_rng(2)
    network, params, X, Y = _problem(rng)
    alpha = 2.5
    weights = params[: network.n_coef]
    assert Objective(network, alpha=alpha).penalty(params) == pytest.approx(
        0.5 * alpha * weights @ weights
    )
    plain = Objective(network).loss_and_grad(params, X, Y)[1]
    penalised = Objective(network, alpha=alpha).loss_and_grad(params, X, Y)[1]
    n_samples = X.shape[0]
    assert_allclose(
        penalised[: network.n_coef] - plain[: network.n_coef],
        alpha * weights / n_samples,
    )
    assert_allclose(penalised[network.n_coef :], plain[network.n_coef :], rtol=1e-14)


def test_objective_is_the_weighted_mean_loss_plus_scaled_penalty():
    rng = np.random.default_rng(3)
    network, params, X, Y = _problem(rng)
    sample_weight = rng.uniform(0.5, 2, X.shape[0])
    alpha = 0.3
    raw = network.predict_raw(params, X)
    pointwise = 0.5 * ((raw - Y) ** 2).sum(axis=1)
    weights = params[: network.n_coef]
    expected = (
        pointwise @ sample_weight + 0.5 * alpha * weights @ weights
    ) / sample_weight.sum()
    objective = Objective(network, alpha=alpha)
    assert objective.loss(params, X, Y, sample_weight) == pytest.approx(
        expected, rel=1e-12
    )


def test_compute_loss_false_gives_the_same_gradient():
    rng = np.random.default_rng(4)
    network, params, X, Y = _problem(rng)
    objective = Objective(network, alpha=0.1)
    loss, grad = objective.loss_and_grad(params, X, Y)
    no_loss, same_grad = objective.loss_and_grad(params, X, Y, compute_loss=False)
    assert no_loss is None
    assert_allclose(same_grad, grad, rtol=1e-15)


def test_preallocated_buffers_are_filled_and_reusable():
    rng = np.random.default_rng(5)
    network, params, X, Y = _problem(rng, n_samples=8)
    objective = Objective(network)
    workspace = network.workspace(8, np.float64)
    grad = np.empty_like(params)
    # A smaller batch reuses the leading rows of the same workspace.
    for rows in (slice(0, 8), slice(0, 3)):
        loss, out = objective.loss_and_grad(
            params, X[rows], Y[rows], grad=grad, workspace=workspace
        )
        assert out is grad
        expected_loss, expected_grad = objective.loss_and_grad(params, X[rows], Y[rows])
        assert loss == pytest.approx(expected_loss, rel=1e-14)
        assert_allclose(grad, expected_grad, rtol=1e-14)


def test_negative_alpha_is_rejected():
    with pytest.raises(ValueError, match="alpha must be >= 0"):
        Objective(Network((2, 1)), alpha=-1.0)


def test_penalty_over_the_training_set_makes_batches_unbiased():
    # With weight_sum, the weight-averaged batch objectives and gradients of
    # any partition of the rows are the full objective and gradient; divided
    # by each batch's own weight, the penalty counts once per batch instead.
    rng = np.random.default_rng(5)
    network, params, X, Y = _problem(rng, n_samples=9)
    sample_weight = rng.uniform(0.5, 2.0, X.shape[0])
    total = sample_weight.sum()
    batches = [slice(0, 4), slice(4, 7), slice(7, 9)]
    for weight_sum, unbiased in [(total, True), (None, False)]:
        objective = Objective(network, alpha=2.0, l1_ratio=0.3, weight_sum=weight_sum)
        full_loss, full_grad = objective.loss_and_grad(params, X, Y, sample_weight)
        loss, grad = 0.0, np.zeros_like(params)
        for rows in batches:
            share = sample_weight[rows].sum() / total
            batch_loss, batch_grad = objective.loss_and_grad(
                params, X[rows], Y[rows], sample_weight[rows]
            )
            loss += share * batch_loss
            grad += share * batch_grad
        assert np.isclose(loss, full_loss, rtol=1e-12) == unbiased
        assert np.allclose(grad, full_grad, rtol=1e-12) == unbiased


def test_weight_sum_keeps_the_gradient_exact():
    rng = np.random.default_rng(6)
    network, params, X, Y = _problem(rng)
    sample_weight = rng.uniform(0.5, 2.0, X.shape[0])
    check_gradient(
        Objective(network, alpha=0.7, weight_sum=40.0), params, X, Y, sample_weight
    )


def test_weight_sum_sets_the_proximal_threshold():
    network = Network((3, 1), "identity", "squared_error")
    params = np.array([1.0, -0.5, 0.05, 2.0])
    objective = Objective(network, alpha=2.0, l1_ratio=1.0, weight_sum=100.0)
    # A batch of weight 10 shrinks by step * l1 / 100, not / 10.
    objective.proximal_step(params, step_size=1.0, weight_sum=10.0)
    assert_allclose(params, [0.98, -0.48, 0.03, 2.0])


@pytest.mark.parametrize("weight_sum", [0.0, -1.0])
def test_weight_sum_must_be_positive(weight_sum):
    network = Network((3, 1), "identity", "squared_error")
    with pytest.raises(ValueError, match="weight_sum must be > 0"):
        Objective(network, weight_sum=weight_sum)
