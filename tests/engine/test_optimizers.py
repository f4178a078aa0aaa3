"""Every optimizer's update rule against a hand-written reference formula.

With an L1 penalty, the proximal update of every optimizer reaches the
minimiser of a lasso whose solution is known in closed form.
"""

import copy
import dataclasses
import math
import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skneural.engine import MinibatchOptions, Network, Objective, train_minibatch
from skneural.engine.optimizers import (
    OPTIMIZERS,
    SGD,
    Adagrad,
    Adam,
    AdamW,
    RMSprop,
    state_from_dict,
    state_to_dict,
)
from skneural.engine.schedules import Constant

N_PARAMS, N_STEPS = 6, 8


def reference_sgd(momentum, nesterov):
    """scikit-learn's MLP ``SGDOptimizer._get_updates``, velocity and all."""
    velocity = np.zeros(N_PARAMS)

    def step(params, grad, lr):
        nonlocal velocity
        velocity = momentum * velocity - lr * grad
        update = momentum * velocity - lr * grad if nesterov else velocity
        return params + update

    return step


def reference_adam(
    beta_1=0.9, beta_2=0.999, epsilon=1e-8, weight_decay=0.0, n_decayed=None
):
    """Kingma and Ba's Adam as scikit-learn's ``AdamOptimizer`` writes it."""
    m, v, t = np.zeros(N_PARAMS), np.zeros(N_PARAMS), 0

    def step(params, grad, lr):
        nonlocal m, v, t
        params = params.copy()
        # AdamW: decay the weights first, outside the adaptive scaling.
        params[:n_decayed] *= 1 - (lr[:n_decayed] if np.ndim(lr) else lr) * weight_decay
        t += 1
        m = beta_1 * m + (1 - beta_1) * grad
        v = beta_2 * v + (1 - beta_2) * grad**2
        lr_t = lr * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        return params - lr_t * m / (np.sqrt(v) + epsilon)

    return step


def reference_rmsprop(rho=0.9, epsilon=1e-8):
    average = np.zeros(N_PARAMS)

    def step(params, grad, lr):
        nonlocal average
        average = rho * average + (1 - rho) * grad**2
        return params - lr * grad / (np.sqrt(average) + epsilon)

    return step


def reference_adagrad(epsilon=1e-8):
    total = np.zeros(N_PARAMS)

    def step(params, grad, lr):
        nonlocal total
        total = total + grad**2
        return params - lr * grad / (np.sqrt(total) + epsilon)

    return step


def cases():
    """Return every optimizer with a fresh reference (a reference keeps state)."""
    return [
        (SGD(momentum=0.0), reference_sgd(0.0, False)),
        (SGD(momentum=0.9, nesterov=False), reference_sgd(0.9, False)),
        (SGD(momentum=0.9, nesterov=True), reference_sgd(0.9, True)),
        (SGD(momentum=0.5, nesterov=True), reference_sgd(0.5, True)),
        (Adam(), reference_adam()),
        (Adam(beta_1=0.5, beta_2=0.9, epsilon=1e-3), reference_adam(0.5, 0.9, 1e-3)),
        (
            AdamW(weight_decay=0.1, n_decayed=4),
            reference_adam(weight_decay=0.1, n_decayed=4),
        ),
        (AdamW(weight_decay=0.1), reference_adam(weight_decay=0.1)),
        (RMSprop(), reference_rmsprop()),
        (RMSprop(rho=0.5, epsilon=1e-4), reference_rmsprop(0.5, 1e-4)),
        (Adagrad(), reference_adagrad()),
    ]


CASES = cases()


def test_every_optimizer_has_a_reference():
    assert {type(optimizer) for optimizer, _ in CASES} == set(OPTIMIZERS.values())


@pytest.mark.parametrize(
    ("optimizer", "reference"), CASES, ids=[repr(optimizer) for optimizer, _ in CASES]
)
def test_update_matches_reference_formula(optimizer, reference):
    rng = np.random.default_rng(0)
    params = rng.normal(size=N_PARAMS)
    expected = params.copy()
    state = optimizer.init(params)
    for step in range(N_STEPS):
        grad = rng.normal(size=N_PARAMS)
        # A schedule changes the rate between steps; the rules must follow it.
        learning_rate = 0.1 / (1 + step)
        expected = reference(expected, grad, learning_rate)
        optimizer.update(params, grad.copy(), state, learning_rate)
        assert_allclose(params, expected, rtol=1e-12, atol=1e-15)


# A network's learning-rate factors: 0 freezes a parameter.
FACTORS = np.array([0.0, 1.0, 2.0, 0.5, 3.0, 1.0])


@pytest.mark.parametrize(
    "case", range(len(CASES)), ids=[repr(optimizer) for optimizer, _ in CASES]
)
def test_a_rate_per_parameter_matches_the_reference_and_freezes_zeros(case):
    optimizer, reference = cases()[case]
    rng = np.random.default_rng(0)
    params = rng.normal(size=N_PARAMS)
    start, expected = params.copy(), params.copy()
    state = optimizer.init(params)
    for step in range(N_STEPS):
        grad = rng.normal(size=N_PARAMS)
        learning_rate = 0.1 / (1 + step) * FACTORS
        expected = reference(expected, grad, learning_rate)
        optimizer.update(params, grad.copy(), state, learning_rate)
        assert_allclose(params, expected, rtol=1e-12, atol=1e-15)
    # Decoupled weight decay scales with the rate too: a frozen weight stays.
    frozen = FACTORS == 0
    assert_array_equal(params[frozen], start[frozen])


def test_a_rate_per_parameter_takes_the_numpy_path_in_float32():
    # The compiled Adam kernel takes one scalar rate; an array must not reach it.
    params = np.ones(N_PARAMS, np.float32)
    state = Adam().init(params)
    Adam().update(
        params, np.ones(N_PARAMS, np.float32), state, FACTORS.astype(np.float32)
    )
    assert params.dtype == np.float32
    assert params[0] == 1 and params[1] < 1 and params[2] < params[1]


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_a_proximal_step_leaves_the_rate_array_alone(name):
    optimizer = OPTIMIZERS.create(name)
    params = np.linspace(-1, 1, N_PARAMS)
    state = optimizer.init(params)
    learning_rate = 0.1 * FACTORS
    kept = learning_rate.copy()

    def soft_threshold(params, step):
        step *= 0.5  # an operator may overwrite an array step
        np.copysign(np.maximum(np.abs(params) - step, 0), params, out=params)

    for _ in range(3):
        optimizer.proximal_update(
            params, params.copy(), state, learning_rate, soft_threshold
        )
    assert_array_equal(learning_rate, kept)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_state_is_a_picklable_dataclass_apart_from_params(name):
    optimizer = OPTIMIZERS[name]()
    params = np.arange(1.0, N_PARAMS + 1)
    state = optimizer.init(params)
    assert dataclasses.is_dataclass(state)
    for value in vars(state).values():
        if isinstance(value, np.ndarray):
            assert not np.shares_memory(value, params)
    optimizer.update(params, np.ones(N_PARAMS), state, 0.1)
    # Resuming from a pickled optimizer and state continues the same path.
    restored, restored_state = pickle.loads(pickle.dumps((optimizer, state)))
    twin = params.copy()
    optimizer.update(params, np.full(N_PARAMS, 0.5), state, 0.1)
    restored.update(twin, np.full(N_PARAMS, 0.5), restored_state, 0.1)
    assert_allclose(twin, params, rtol=0)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_step_descends_and_holds_no_stopping_logic(name):
    optimizer = OPTIMIZERS[name]()
    params = np.full(N_PARAMS, 3.0)
    state = optimizer.init(params)
    for _ in range(200):
        # The gradient of ||params||^2 / 2.
        optimizer.update(params, params.copy(), state, 0.05)
    assert np.linalg.norm(params) < np.linalg.norm(np.full(N_PARAMS, 3.0))
    assert not [attr for attr in vars(optimizer) if "stop" in attr]
    assert "stop" not in " ".join(dir(optimizer))


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_state_as_plain_data_continues_the_same_path(name):
    optimizer = OPTIMIZERS[name]()
    params = np.arange(1.0, N_PARAMS + 1)
    state = optimizer.init(params)
    optimizer.update(params, np.ones(N_PARAMS), state, 0.1)
    data = state_to_dict(state)
    assert type(data) is dict
    assert all(isinstance(v, np.ndarray | int | str) for v in data.values())
    restored = state_from_dict(pickle.loads(pickle.dumps(data)))
    assert type(restored) is type(state)
    twin = params.copy()
    optimizer.update(params, np.full(N_PARAMS, 0.5), state, 0.1)
    optimizer.update(twin, np.full(N_PARAMS, 0.5), restored, 0.1)
    assert_array_equal(twin, params)
    for field in dataclasses.fields(state):
        assert_array_equal(getattr(restored, field.name), getattr(state, field.name))


def test_a_state_of_another_class_stays_the_object_it_is():
    @dataclasses.dataclass
    class OwnState:
        scratch: np.ndarray

    state = OwnState(np.ones(2))
    assert state_to_dict(state) is state
    assert state_from_dict(state) is state
    with pytest.raises(ValueError, match="names the class 'OwnState'"):
        state_from_dict({"class": "OwnState", "scratch": np.ones(2)})


def test_states_are_independent_per_init():
    optimizer = Adam()
    params = np.ones(N_PARAMS)
    first, second = optimizer.init(params), optimizer.init(params)
    optimizer.update(params.copy(), np.ones(N_PARAMS), first, 0.1)
    assert second.t == 0 and not second.first_moment.any()
    assert copy.deepcopy(first).t == 1


# ------------------------------------------------------------ proximal steps
@pytest.mark.parametrize(
    ("optimizer", "reference"), CASES, ids=[repr(optimizer) for optimizer, _ in CASES]
)
def test_proximal_update_with_the_identity_is_update(optimizer, reference):
    rng = np.random.default_rng(0)
    params = rng.normal(size=N_PARAMS)
    expected = params.copy()
    state, expected_state = optimizer.init(params), optimizer.init(params)
    steps = []
    for step in range(N_STEPS):
        grad = rng.normal(size=N_PARAMS)
        learning_rate = 0.1 / (1 + step)
        optimizer.update(expected, grad.copy(), expected_state, learning_rate)
        optimizer.proximal_update(
            params,
            grad.copy(),
            state,
            learning_rate,
            lambda params, step: steps.append(np.copy(step)),
        )
        assert_allclose(params, expected, rtol=1e-12, atol=1e-15)
    # One step size for every parameter, or one each, and never negative.
    assert len(steps) == N_STEPS
    assert all(np.shape(step) in ((), (N_PARAMS,)) for step in steps)
    assert all(np.all(step >= 0) for step in steps)


def orthogonal_lasso(n_samples=64, n_features=8, l1=20.0):
    """A lasso whose minimiser is known: ``X.T @ X / n`` is the identity.

    With centred, orthogonal columns, ``J = (||X w + b - y||^2 / 2 +
    l1 * ||w||_1) / n`` is minimised by ``b = mean(y)`` and ``w`` the
    soft-thresholded ``X.T @ y / n``, by ``l1 / n`` (Tibshirani, 1996).
    """
    rng = np.random.default_rng(0)
    features = rng.normal(size=(n_samples, n_features))
    features -= features.mean(axis=0)
    X = np.linalg.qr(features)[0] * np.sqrt(n_samples)
    coef = np.array([2.0, -1.5, 0.2, 0.0, 1.0, -0.1, 0.0, 0.6])[:n_features]
    y = X @ coef + 0.5 + 0.3 * rng.normal(size=n_samples)
    correlation = X.T @ y / n_samples
    shrunk = np.maximum(np.abs(correlation) - l1 / n_samples, 0)
    return X, y[:, None], np.copysign(shrunk, correlation), y.mean(), l1


# Each optimizer with a rate that suits a solution of unit scale: SGD's below
# 2 / L (L = 1 here), the adaptive methods' steps a few hundredths of it,
# Adagrad's larger since its steps shrink as it goes.
PROXIMAL_CASES = [
    (SGD(momentum=0.0), 0.5),
    (SGD(momentum=0.9, nesterov=False), 0.1),
    (SGD(momentum=0.9, nesterov=True), 0.1),
    (Adam(), 0.03),
    (AdamW(weight_decay=0.0), 0.03),
    (RMSprop(), 0.01),
    (Adagrad(), 0.3),
]


def test_every_optimizer_has_a_proximal_case():
    assert {type(optimizer) for optimizer, _ in PROXIMAL_CASES} == set(
        OPTIMIZERS.values()
    )


@pytest.mark.parametrize(
    ("optimizer", "learning_rate"),
    PROXIMAL_CASES,
    ids=[repr(optimizer) for optimizer, _ in PROXIMAL_CASES],
)
def test_proximal_training_reaches_the_lasso_minimiser(optimizer, learning_rate):
    # Soft-thresholding by the nominal rate after a momentum or Adam step has
    # other fixed points than the minimiser: the momentum keeps pushing a
    # weight held at 0, and an adaptive step is not the nominal rate.
    X, y, coef, intercept, l1 = orthogonal_lasso()
    network = Network((X.shape[1], 1), "identity", "squared_error")
    result = train_minibatch(
        Objective(network, alpha=l1, l1_ratio=1.0),
        np.zeros(network.n_params),
        X,
        y,
        options=MinibatchOptions(
            optimizer=optimizer,
            schedule=Constant(learning_rate),
            batch_size=X.shape[0],
            max_iter=1000,
            tol=0.0,
            n_iter_no_change=math.inf,
        ),
        rng=np.random.default_rng(0),
    )
    weights = network.coefs(result.params)[0].ravel()
    assert_array_equal(weights == 0, coef == 0)
    assert (coef == 0).sum() >= 3
    assert_allclose(weights, coef, atol=1e-9)
    # The intercept is not penalised. RMSprop at a constant rate circles its
    # minimum at about half the rate, as it does without a penalty: its step
    # is about the rate wherever the gradient is small.
    assert_allclose(
        network.intercepts(result.params)[0], [intercept], atol=learning_rate
    )
