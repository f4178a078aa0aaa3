"""The training loops: what they compute, when they stop and what they return."""

import math
import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

from skneural.engine import (
    LbfgsOptions,
    MinibatchOptions,
    Network,
    Objective,
    train_lbfgs,
    train_minibatch,
)
from skneural.engine.optimizers import SGD, Adam
from skneural.engine.schedules import Constant
from skneural.engine.stopping import PlateauReducer
from skneural.engine.training import NEGATIVE_LOSS, EpochInfo, TrainingState


def regression_problem(n_samples=30, n_features=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features))
    y = (
        X @ rng.normal(size=(n_features, 1))
        + 0.5
        + 0.1 * rng.normal(size=(n_samples, 1))
    )
    return X, y


def least_squares(X, y):
    """Closed-form solution ``(coef, intercept)`` of ordinary least squares."""
    design = np.hstack([X, np.ones((X.shape[0], 1))])
    solution = np.linalg.lstsq(design, y, rcond=None)[0]
    return solution[:-1], solution[-1]


def run(objective, params, X, y, sample_weight=None, **kwargs):
    call = {"rng": np.random.default_rng(0)}
    for name in ("rng", "state", "rows"):
        if name in kwargs:
            call[name] = kwargs.pop(name)
    options = dict(
        optimizer=SGD(momentum=0.0),
        schedule=Constant(0.05),
        batch_size=X.shape[0],
        max_iter=20,
        tol=0.0,
        n_iter_no_change=math.inf,
    )
    options.update(kwargs)
    return train_minibatch(
        objective,
        params,
        X,
        y,
        sample_weight,
        options=MinibatchOptions(**options),
        **call,
    )


def lbfgs(objective, params, X, y, sample_weight=None, **options):
    return train_lbfgs(
        objective, params, X, y, sample_weight, options=LbfgsOptions(**options)
    )


def test_full_batch_equals_manual_gradient_descent():
    X, y = regression_problem()
    network = Network((3, 4, 1), "tanh", "squared_error")
    objective = Objective(network, alpha=0.1)
    start = network.initialize(np.random.default_rng(0))
    expected, losses = start.copy(), []
    for _ in range(25):
        loss, grad = objective.loss_and_grad(expected, X, y)
        losses.append(loss)
        expected -= 0.05 * grad
    result = run(objective, start.copy(), X, y, max_iter=25)
    assert_allclose(result.params, expected, rtol=1e-12)
    # The epoch's loss is the one of the parameters the epoch started from.
    assert_allclose(result.loss_curve, losses, rtol=1e-12)
    assert result.n_iter == 25 and result.n_fun == 25
    assert not result.converged and not result.diverged
    assert "Maximum iterations" in result.message


@pytest.mark.parametrize("optimizer", [SGD(momentum=0.9), Adam()], ids=repr)
def test_weighting_equals_repetition_in_full_batch(optimizer):
    X, y = regression_problem(n_samples=12)
    counts = np.random.default_rng(1).integers(0, 4, X.shape[0])
    network = Network((3, 3, 1), "logistic", "squared_error")
    objective = Objective(network, alpha=0.5)
    start = network.initialize(np.random.default_rng(2))
    weighted = run(
        objective, start.copy(), X, y, counts.astype(float), optimizer=optimizer
    )
    repeated_X, repeated_y = np.repeat(X, counts, axis=0), np.repeat(y, counts, axis=0)
    repeated = run(
        objective,
        start.copy(),
        repeated_X,
        repeated_y,
        optimizer=optimizer,
        batch_size=repeated_X.shape[0],
    )
    assert_allclose(weighted.params, repeated.params, rtol=1e-10)
    assert_allclose(weighted.loss_curve, repeated.loss_curve, rtol=1e-10)


def test_minibatches_cover_every_sample_once_per_epoch():
    # With a plain SGD step the epoch's update is the sum of the batch
    # gradients; in a linear model with a tiny rate it is close to n_batches
    # times the full gradient step, whatever the shuffled order.
    X, y = regression_problem(n_samples=20)
    network = Network((3, 1), "identity", "squared_error")
    objective = Objective(network)
    start = np.zeros(network.n_params)
    result = run(
        objective, start.copy(), X, y, batch_size=5, max_iter=1, schedule=Constant(1e-6)
    )
    full_step = -1e-6 * objective.loss_and_grad(start, X, y)[1]
    assert_allclose(result.params - start, 4 * full_step, rtol=1e-4)
    assert result.n_fun == 4


def test_sparse_and_dense_data_train_identically():
    X, y = regression_problem(n_samples=25)
    X[X < 0] = 0
    network = Network((3, 4, 1), "relu", "squared_error")
    objective = Objective(network)
    start = network.initialize(np.random.default_rng(3))
    dense = run(objective, start.copy(), X, y, batch_size=7, max_iter=5)
    sparse = run(objective, start.copy(), sp.csr_matrix(X), y, batch_size=7, max_iter=5)
    assert_allclose(sparse.params, dense.params, rtol=1e-12)


def good_then_too_large(epoch):
    """A learning rate that fits for 8 epochs, then makes training diverge."""
    return 0.05 if epoch < 8 else 50.0


def epoch_starts(objective, start, X, y, **kwargs):
    """Train and return the result with the parameters each epoch started from."""
    ends = []
    result = run(
        objective,
        start.copy(),
        X,
        y,
        on_epoch_end=lambda info: ends.append(info.params.copy()),
        **kwargs,
    )
    return result, [start, *ends]


@pytest.mark.parametrize("batch_size", [30, 7])
def test_overflow_restores_the_parameters_of_the_lowest_loss_epoch(batch_size):
    X, y = regression_problem()
    network = Network((3, 8, 1), "identity", "squared_error")
    objective = Objective(network)
    start = network.initialize(np.random.default_rng(4))
    result, starts = epoch_starts(
        objective,
        start,
        X,
        y,
        optimizer=SGD(momentum=0.9),
        schedule=good_then_too_large,
        batch_size=batch_size,
        max_iter=100,
    )
    assert result.diverged and not result.converged
    assert result.n_iter == len(result.loss_curve) < 100
    lowest = int(np.argmin(result.loss_curve))
    # The loss fell before it overflowed: neither the start nor the last
    # finite parameters are the best ones.
    assert 0 < lowest < result.n_iter - 1
    assert_array_equal(result.params, starts[lowest])
    assert "non-finite" in result.message and "lowest training loss" in result.message
    if batch_size == X.shape[0]:
        # In full batch an epoch's loss is the loss at its starting parameters.
        assert objective.loss(result.params, X, y) == pytest.approx(
            result.loss_curve[lowest], rel=1e-12
        )


def test_a_tenfold_rise_restores_the_parameters_of_the_lowest_loss_epoch():
    X, y = regression_problem(n_samples=60)
    network = Network((3, 6, 1), "tanh", "squared_error")
    objective = Objective(network)
    start = network.initialize(np.random.default_rng(0))
    # Adam's bounded steps lift the loss without overflowing it.
    result, starts = epoch_starts(
        objective,
        start,
        X,
        y,
        optimizer=Adam(),
        schedule=lambda epoch: 0.01 if epoch < 8 else 100.0,
        batch_size=10,
        max_iter=20,
    )
    assert result.diverged and result.n_iter == 20
    lowest = int(np.argmin(result.loss_curve))
    assert 0 < lowest < result.n_iter - 1
    assert_array_equal(result.params, starts[lowest])
    assert objective.loss(result.params, X, y) < objective.loss(start, X, y)
    assert "10 times" in result.message and "lowest training loss" in result.message


def test_divergence_in_the_first_epoch_restores_the_start():
    X, y = regression_problem()
    network = Network((3, 8, 1), "identity", "squared_error")
    start = network.initialize(np.random.default_rng(4))
    # One sample per step at a huge rate overflows within the first epoch.
    result = run(
        Objective(network),
        start.copy(),
        X,
        y,
        schedule=Constant(1e150),
        batch_size=1,
    )
    assert result.diverged and result.n_iter == 0
    assert_array_equal(result.params, start)
    assert "started from" in result.message


class CountingObjective(Objective):
    """An objective that counts its full-data loss evaluations."""

    evaluations = 0

    def loss(self, params, X, y, sample_weight=None, rows=None):
        self.evaluations += 1
        return super().loss(params, X, y, sample_weight, rows=rows)


def test_a_falling_loss_skips_the_start_loss_pass():
    X, y = regression_problem(n_samples=60)
    objective = CountingObjective(Network((3, 6, 1), "tanh", "squared_error"))
    start = objective.network.initialize(np.random.default_rng(0))
    result = run(objective, start, X, y, batch_size=10, max_iter=10)
    assert result.loss_curve[-1] < result.loss_curve[0]
    assert not result.diverged
    assert objective.evaluations == 0


def test_a_rising_loss_is_judged_against_the_start_loss_of_all_the_data():
    X, y = regression_problem(n_samples=60)
    objective = CountingObjective(Network((3, 6, 1), "tanh", "squared_error"))
    start = objective.network.initialize(np.random.default_rng(0))
    # Adam's steps are bounded by the rate, so a huge rate lifts the loss
    # far above its start without overflowing.
    result = run(
        objective,
        start.copy(),
        X,
        y,
        batch_size=10,
        max_iter=10,
        optimizer=Adam(),
        schedule=Constant(100.0),
    )
    # One pass at the starting parameters for the rise check, and one at the
    # kept parameters for ``result.loss`` (which a diverged fit reports).
    assert objective.evaluations == 2
    start_loss = Objective(objective.network).loss(start, X, y)
    assert result.loss_curve[-1] > 10 * start_loss
    assert result.diverged and f"{start_loss:.3g}" in result.message


def test_train_lbfgs_reaches_the_least_squares_optimum():
    X, y = regression_problem()
    network = Network((3, 1), "identity", "squared_error")
    objective = Objective(network)
    result = lbfgs(objective, np.zeros(network.n_params), X, y, tol=1e-10)
    coef, intercept = least_squares(X, y)
    assert_allclose(network.coefs(result.params)[0], coef, rtol=1e-7)
    assert_allclose(network.intercepts(result.params)[0], intercept, rtol=1e-7)
    assert result.converged and not result.diverged
    assert result.n_iter == len(result.loss_curve) > 0
    assert result.loss_curve[-1] == pytest.approx(objective.loss(result.params, X, y))


def test_train_lbfgs_leaves_the_start_unchanged_and_keeps_dtype():
    X, y = regression_problem()
    network = Network((3, 2, 1), "tanh", "squared_error")
    start = network.initialize(np.random.default_rng(5), dtype=np.float32)
    before = start.copy()
    result = lbfgs(
        Objective(network),
        start,
        X.astype(np.float32),
        y.astype(np.float32),
        max_iter=10,
    )
    assert_array_equal(start, before)
    assert result.params.dtype == np.float32


def test_train_lbfgs_respects_max_fun_and_max_iter():
    X, y = regression_problem()
    network = Network((3, 5, 1), "tanh", "squared_error")
    start = network.initialize(np.random.default_rng(6))
    limited = lbfgs(Objective(network), start, X, y, max_fun=5, tol=0.0)
    assert limited.n_fun <= 6 and not limited.converged
    short = lbfgs(Objective(network), start, X, y, max_iter=3, tol=0.0)
    assert short.n_iter == 3 and not short.converged


def test_on_epoch_end_can_stop_both_loops():
    X, y = regression_problem()
    network = Network((3, 1), "identity", "squared_error")
    objective = Objective(network)
    seen = []

    def stop_at_three(info):
        assert isinstance(info, EpochInfo)
        seen.append(info.epoch)
        return info.epoch == 3

    result = run(
        objective, np.zeros(network.n_params), X, y, on_epoch_end=stop_at_three
    )
    assert seen == [1, 2, 3] and result.n_iter == 3 and result.converged
    seen.clear()
    result = lbfgs(
        objective, np.zeros(network.n_params), X, y, tol=0, on_epoch_end=stop_at_three
    )
    assert seen == [1, 2, 3] and result.n_iter == 3


def test_stalled_training_loss_stops_by_the_monitor():
    X, y = regression_problem()
    network = Network((3, 1), "identity", "squared_error")
    # A huge tol: every epoch after the first counts as no improvement.
    result = run(
        Objective(network),
        np.zeros(network.n_params),
        X,
        y,
        tol=1e3,
        n_iter_no_change=4,
        max_iter=100,
    )
    assert result.converged and result.n_iter == 1 + 5
    assert "did not improve" in result.message


def test_plateau_reducer_cuts_the_rate_until_exhausted():
    X, y = regression_problem()
    network = Network((3, 1), "identity", "squared_error")
    rates = []
    result = run(
        Objective(network),
        np.zeros(network.n_params),
        X,
        y,
        schedule=Constant(1e-3),
        tol=1e3,
        n_iter_no_change=2,
        max_iter=1000,
        plateau_reducer=PlateauReducer(factor=0.2, min_learning_rate=1e-6),
        on_epoch_end=lambda info: rates.append(info.learning_rate),
    )
    # Five cuts by 5 (sklearn's 'adaptive') take 1e-3 to 3.2e-7 <= 1e-6, where
    # the next plateau stops. Each plateau lasts n_iter_no_change + 1 epochs.
    assert result.converged
    expected = [1e-3 * 0.2**cuts for cuts in range(6)]
    assert sorted(set(rates), reverse=True) == pytest.approx(expected)
    assert result.n_iter == 1 + 3 * 6


def test_early_stopping_restores_the_best_epoch():
    X, y = regression_problem()
    network = Network((3, 1), "identity", "squared_error")
    snapshots = []
    scores = iter([0.1, 0.5, 0.9, 0.4, 0.3, 0.2, 0.1, 0.0])
    result = run(
        Objective(network),
        np.zeros(network.n_params),
        X,
        y,
        validation_score=lambda params: next(scores),
        early_stopping=True,
        tol=0.0,
        n_iter_no_change=3,
        max_iter=8,
        on_epoch_end=lambda info: snapshots.append(info.params.copy()),
    )
    assert result.validation_scores == [0.1, 0.5, 0.9, 0.4, 0.3, 0.2, 0.1]
    assert result.converged and result.n_iter == 7
    assert_array_equal(result.params, snapshots[2])
    assert not np.array_equal(result.params, snapshots[-1])


def test_early_stopping_needs_a_score():
    X, y = regression_problem()
    network = Network((3, 1), "identity", "squared_error")
    with pytest.raises(ValueError, match="validation_score"):
        run(Objective(network), np.zeros(network.n_params), X, y, early_stopping=True)


def test_negative_loss_scores_each_epoch_by_one_validation_pass():
    X, y = regression_problem()
    network = Network((3, 1), "identity", "squared_error")
    objective = Objective(network)
    losses = iter([0.9, 0.5, 0.7, 0.6, 0.8])
    calls = []

    def validation_loss(params):
        calls.append(params.copy())
        return next(losses)

    snapshots = []
    result = run(
        objective,
        np.zeros(network.n_params),
        X,
        y,
        validation_loss=validation_loss,
        validation_score=NEGATIVE_LOSS,
        early_stopping=True,
        max_iter=5,
        on_epoch_end=lambda info: snapshots.append(info.params.copy()),
    )
    assert len(calls) == 5
    assert result.validation_loss_curve == [0.9, 0.5, 0.7, 0.6, 0.8]
    assert result.validation_scores == [-0.9, -0.5, -0.7, -0.6, -0.8]
    assert_array_equal(result.params, snapshots[1])
    losses = iter([0.9, 0.5, 0.7])
    calls.clear()
    result = lbfgs(
        objective,
        np.zeros(network.n_params),
        X,
        y,
        tol=0,
        max_iter=3,
        validation_loss=validation_loss,
        validation_score=NEGATIVE_LOSS,
    )
    assert len(calls) == 3
    assert result.validation_scores == [-0.9, -0.5, -0.7]


@pytest.mark.parametrize(
    "options, problem",
    [
        ({"validation_score": "loss", "validation_loss": abs}, "'loss'"),
        ({"validation_score": NEGATIVE_LOSS}, "no validation_loss"),
    ],
)
def test_a_score_by_name_must_be_negative_loss_beside_a_loss(options, problem):
    with pytest.raises(ValueError, match=problem):
        LbfgsOptions(**options)
    with pytest.raises(ValueError, match=problem):
        MinibatchOptions(
            optimizer=SGD(), schedule=Constant(0.1), batch_size=1, **options
        )


@pytest.mark.parametrize("optimizer", [SGD(momentum=0.9), Adam()], ids=repr)
def test_resuming_from_the_state_equals_one_long_call(optimizer):
    X, y = regression_problem()
    network = Network((3, 4, 1), "tanh", "squared_error")
    objective = Objective(network)
    start = network.initialize(np.random.default_rng(7))
    long = run(objective, start.copy(), X, y, optimizer=optimizer, max_iter=10)
    params = start.copy()
    first = run(objective, params, X, y, optimizer=optimizer, max_iter=4)
    second = run(
        objective, params, X, y, optimizer=optimizer, max_iter=6, state=first.state
    )
    assert_allclose(second.params, long.params, rtol=1e-12)
    assert first.loss_curve + second.loss_curve == pytest.approx(long.loss_curve)
    assert second.state.epoch == 10 and second.state.t == 10 * X.shape[0]


def test_clip_norm_bounds_every_step():
    X, y = regression_problem()
    y *= 1000
    network = Network((3, 1), "identity", "squared_error")
    start = np.zeros(network.n_params)
    result = run(
        Objective(network),
        start.copy(),
        X,
        y,
        schedule=Constant(1.0),
        clip_norm=0.5,
        max_iter=1,
    )
    assert np.linalg.norm(result.params - start) == pytest.approx(0.5)


@pytest.mark.parametrize("container", [np.asarray, sp.csr_matrix], ids=["dense", "csr"])
@pytest.mark.parametrize(
    ("batch_size", "shuffle"), [(7, True), (7, False), (100, True)], ids=str
)
def test_training_on_rows_equals_training_on_their_copy(container, batch_size, shuffle):
    X, y = regression_problem(n_samples=40)
    weights = np.random.default_rng(2).uniform(0.5, 2.0, 40)
    rows = np.random.default_rng(3).permutation(40)[:29]
    network = Network((3, 5, 1), "tanh", "squared_error")
    objective = Objective(network, alpha=0.01)
    start = network.initialize(np.random.default_rng(4))
    options = dict(batch_size=batch_size, shuffle=shuffle, max_iter=4, optimizer=Adam())
    on_copy = run(
        objective, start.copy(), container(X[rows]), y[rows], weights[rows], **options
    )
    on_rows = run(
        objective, start.copy(), container(X), y, weights, rows=rows, **options
    )
    assert_array_equal(on_rows.params, on_copy.params)
    assert_array_equal(on_rows.loss_curve, on_copy.loss_curve)
    assert on_rows.state.t == on_copy.state.t == 4 * 29


def test_loss_over_rows_is_the_loss_of_those_rows(monkeypatch):
    from skneural.engine import objective as objective_module

    X, y = regression_problem(n_samples=50)
    weights = np.random.default_rng(5).uniform(0.5, 2.0, 50)
    rows = np.random.default_rng(6).permutation(50)[:37]
    objective = Objective(Network((3, 4, 1), "relu", "squared_error"), alpha=0.1)
    params = objective.network.initialize(np.random.default_rng(7))
    expected = objective.loss(params, X[rows], y[rows], weights[rows])
    # Blocks of 2 rows, the last one short.
    monkeypatch.setattr(objective_module, "_BLOCK_VALUES", 6)
    assert objective.loss(params, X, y, weights, rows=rows) == pytest.approx(
        expected, rel=1e-12
    )


def test_the_training_state_as_plain_data_resumes_the_same_path():
    X, y = regression_problem()
    network = Network((3, 4, 1), "tanh", "squared_error")
    objective = Objective(network, alpha=1e-3)
    params = network.initialize(np.random.default_rng(0))
    options = MinibatchOptions(
        optimizer=Adam(), schedule=Constant(0.01), batch_size=8, max_iter=3
    )
    first = train_minibatch(
        objective, params, X, y, options=options, rng=np.random.default_rng(1)
    )
    data = first.state.to_dict()
    plain = (dict, list, np.ndarray, int, float, str, bool, type(None))

    def assert_plain(value):
        assert isinstance(value, plain), type(value)
        for item in value.values() if isinstance(value, dict) else ():
            assert_plain(item)

    assert_plain(data)
    # A copy, as loading makes one: the dict shares the state's arrays.
    restored = TrainingState.from_dict(pickle.loads(pickle.dumps(data)))
    assert vars(restored.monitor) == vars(first.state.monitor)
    resumed = [
        train_minibatch(
            objective,
            first.params.copy(),
            X,
            y,
            options=options,
            rng=np.random.default_rng(2),
            state=state,
        )
        for state in (first.state, restored)
    ]
    assert_array_equal(resumed[1].params, resumed[0].params)
    assert resumed[1].loss_curve == resumed[0].loss_curve
