"""A learning rate far too large never yields NaN, and always says so.

``learning_rate_init=1e3`` on unscaled data makes every stochastic fit
diverge: SGD's loss overflows within a few epochs, Adam's bounded steps lift
it by orders of magnitude without overflowing. Either way the engine stops or
flags the run, the estimator returns the parameters of the epoch with the
lowest training loss (never the last, exploded ones), ``loss_`` is the loss of
those parameters, and one ``ConvergenceWarning`` names the learning rate.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import is_classifier
from sklearn.datasets import make_classification, make_friedman2, make_regression
from sklearn.exceptions import ConvergenceWarning

from skneural import GDLinearRegressor, MLPRegressor, MLPSoftmaxClassifier
from skneural.utils import gradient_descent_estimators

# The tabular MLPs take no solver: tests/estimators/test_tabular_mlp.py covers them.
ESTIMATORS = [cls for _, cls in gradient_descent_estimators()]
CLASSIFIERS = [cls for cls in ESTIMATORS if is_classifier(cls())]
LEARNING_RATE = 1e3


def unscaled_data(cls, n_samples=120, n_classes=3, dtype=np.float64, seed=0):
    """Features of scale 100 around 50: a rate of 1e3 is far too large for them."""
    if is_classifier(cls()):
        X, y = make_classification(
            n_samples=n_samples,
            n_features=6,
            n_informative=4,
            n_classes=n_classes,
            random_state=seed,
        )
    else:
        X, y = make_regression(
            n_samples=n_samples, n_features=6, noise=1.0, random_state=seed
        )
    return (100 * X + 50).astype(dtype), y


def make_estimator(cls, **params):
    if "hidden_layer_sizes" in cls().get_params():
        params = {"hidden_layer_sizes": (8,), **params}
    return cls(random_state=0, **params)


def assert_finite_model(estimator, X):
    for array in [*estimator.coefs_, *estimator.intercepts_]:
        assert np.isfinite(array).all()
    assert np.isfinite(estimator.loss_curve_).all()
    prediction = estimator.predict(X)
    if is_classifier(estimator):
        assert np.isin(prediction, estimator.classes_).all()
        proba = estimator.predict_proba(X)
        assert np.isfinite(proba).all() and (proba >= 0).all() and (proba <= 1).all()
        assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
        assert np.isfinite(estimator.decision_function(X)).all()
    else:
        assert np.isfinite(prediction).all()


def fit_expecting_divergence(estimator, X, y):
    """Fit; exactly one ConvergenceWarning is raised, and it names the rate."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        estimator.fit(X, y)
    messages = [
        str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)
    ]
    assert len(messages) == 1, messages
    assert f"learning_rate_init={estimator.learning_rate_init}" in messages[0]
    assert "too large" in messages[0]
    return messages[0]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("batch_size", ["auto", 16])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_huge_learning_rate_warns_and_keeps_a_finite_model(
    cls, solver, batch_size, dtype
):
    X, y = unscaled_data(cls, dtype=dtype)
    estimator = make_estimator(
        cls,
        solver=solver,
        batch_size=batch_size,
        learning_rate_init=LEARNING_RATE,
        max_iter=50,
    )
    fit_expecting_divergence(estimator, X, y)
    assert_finite_model(estimator, X)
    assert estimator.n_iter_ == len(estimator.loss_curve_) <= 50


@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_binary_classifiers_diverge_safely_too(cls):
    X, y = unscaled_data(cls, n_classes=2)
    for solver in ("sgd", "adam"):
        estimator = make_estimator(
            cls, solver=solver, learning_rate_init=LEARNING_RATE, max_iter=50
        )
        fit_expecting_divergence(estimator, X, y)
        assert_finite_model(estimator, X)


def parameters(estimator):
    return [array.copy() for array in estimator.coefs_ + estimator.intercepts_]


def assert_same_parameters(left, right):
    for kept, reference in zip(left, right, strict=True):
        assert_array_equal(kept, reference, strict=True)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_overflow_keeps_the_parameters_of_the_lowest_loss_epoch(cls):
    # Never stalling, plain full-batch SGD runs until its loss overflows. An
    # epoch's loss is then the loss of the parameters it starts from, so the
    # parameters kept have the lowest loss in loss_curve_.
    X, y = unscaled_data(cls)
    diverged = make_estimator(
        cls,
        solver="sgd",
        momentum=0.0,
        learning_rate_init=LEARNING_RATE,
        n_iter_no_change=np.inf,
        max_iter=300,
    )
    message = fit_expecting_divergence(diverged, X, y)
    assert 2 <= diverged.n_iter_ == len(diverged.loss_curve_) < 300
    assert_finite_model(diverged, X)
    assert diverged.loss_ == pytest.approx(min(diverged.loss_curve_), rel=1e-9)
    assert diverged.loss_ < diverged.loss_curve_[-1]
    assert "non-finite" in message and "lowest training loss" in message


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_partial_fit_that_overflows_keeps_the_lowest_loss_parameters(cls):
    X, y = unscaled_data(cls)
    estimator = make_estimator(
        cls, solver="sgd", momentum=0.0, learning_rate_init=LEARNING_RATE
    )
    kwargs = {"classes": np.unique(y)} if is_classifier(estimator) else {}
    for _ in range(300):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            estimator.partial_fit(X, y, **kwargs)
        if caught:
            break
    else:
        pytest.fail("300 calls of partial_fit at learning rate 1e3 never overflowed")
    assert len(caught) == 1 and issubclass(caught[0].category, ConvergenceWarning)
    # Overflowing, or caught before by the rise of the loss.
    message = str(caught[0].message)
    assert "non-finite" in message or "rose from" in message
    assert f"learning_rate_init={LEARNING_RATE}" in message
    assert len(estimator.loss_curve_) >= 2
    # Each call is one full-batch epoch, whose loss is the loss at the
    # parameters it starts from: the ones kept have the lowest of them.
    assert estimator.loss_ == pytest.approx(min(estimator.loss_curve_), rel=1e-9)
    assert_finite_model(estimator, X)
    # Training goes on from the kept parameters.
    estimator.set_params(learning_rate_init=1e-6)
    estimator.partial_fit(X, y)
    assert_finite_model(estimator, X)


def half_mean_squared_error_objective(estimator, X, y):
    """The squared-error objective of the fitted weights, computed from scratch."""
    data_term = 0.5 * np.mean((y - estimator.predict(X)) ** 2)
    squared_weights = sum(float((coef**2).sum()) for coef in estimator.coefs_)
    return data_term + 0.5 * estimator.alpha * squared_weights / X.shape[0]


@pytest.mark.parametrize(
    "estimator",
    [
        # The linear models' former default rate: 'auto', today's, fits.
        GDLinearRegressor(solver="sgd", learning_rate_init=0.001),
        MLPRegressor(solver="sgd"),
        MLPRegressor(solver="sgd", batch_size=16),
    ],
    ids=repr,
)
def test_diverged_fit_on_unscaled_friedman2_keeps_its_lowest_loss_weights(estimator):
    # Raw Friedman #2 features reach 1700 and the targets 1600: SGD at a rate
    # of 0.001 sends the weights to 1e39 and the predictions to 1e42.
    X, y = make_friedman2(random_state=0)
    estimator.set_params(random_state=0)
    message = fit_expecting_divergence(estimator, X, y)
    assert_finite_model(estimator, X)
    assert np.abs(estimator.predict(X)).max() < 10 * np.abs(y).max()
    assert estimator.loss_ == pytest.approx(
        half_mean_squared_error_objective(estimator, X, y), rel=1e-9
    )
    assert estimator.loss_ < estimator.loss_curve_[-1] / 10
    assert "lowest training loss" in message


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_divergence_with_early_stopping_keeps_a_finite_model(cls):
    X, y = unscaled_data(cls)
    estimator = make_estimator(
        cls,
        solver="adam",
        learning_rate_init=LEARNING_RATE,
        early_stopping=True,
        max_iter=50,
    )
    fit_expecting_divergence(estimator, X, y)
    assert_finite_model(estimator, X)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_sound_training_is_not_flagged_as_divergent(cls, solver):
    # Scaled data and a sensible rate, then a warm restart at the solution,
    # where the loss only fluctuates: neither run may be called divergent.
    X, y = unscaled_data(cls)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    if not is_classifier(cls()):
        y = y / y.std()
    estimator = make_estimator(
        cls, solver=solver, learning_rate_init=0.01, batch_size=8, max_iter=100
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        estimator.fit(X, y)
        estimator.set_params(warm_start=True).fit(X, y)
    assert not [w for w in caught if "learning rate" in str(w.message).lower()]
    assert_finite_model(estimator, X)


def test_diverged_fit_with_early_stopping_keeps_its_best_validation_weights():
    # sklearn's test_mlp_diverging_loss scenario, on a given validation set:
    # as in sklearn, early stopping returns the weights of the best score.
    X, y = make_regression(n_samples=150, n_features=4, noise=1.0, random_state=0)
    X_val, y_val = X[100:], y[100:]
    mlp = MLPRegressor(
        hidden_layer_sizes=100,
        activation="identity",
        solver="sgd",
        learning_rate_init=1.0,
        max_iter=20,
        early_stopping=True,
        random_state=0,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        mlp.fit(100 * X[:100], y[:100], X_val=100 * X_val, y_val=y_val)
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1 and "best validation score" in messages[0]
    assert np.isfinite(mlp.best_validation_score_)
    assert mlp.score(100 * X_val, y_val) == pytest.approx(
        mlp.best_validation_score_, rel=1e-12
    )


def test_partial_fit_one_row_at_a_time_never_explodes():
    # One epoch of one batch per call measures its loss at its start, so a
    # step that explodes shows only in the next call's loss. That call is
    # then checked on its own data and falls back on the lowest-loss
    # parameters, where the weights once reached 7e16 and predict overflowed.
    X = np.full((3, 1), 1e4, dtype=np.float32)
    y = np.array([0, 1, 0])
    model = MLPSoftmaxClassifier(
        hidden_layer_sizes=(2, 2),
        activation="elu",
        weight_init="glorot_normal",
        solver="sgd",
        learning_rate="adaptive",
        learning_rate_init=10.0,
        momentum=0.0,
        nesterovs_momentum=False,
        alpha=1.0,
        shuffle=False,
        random_state=0,
    )
    messages = []
    for row in [0, 1, 2, 0, 1, 2]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            model.partial_fit(X[row : row + 1], y[row : row + 1], classes=[0, 1])
        messages += [str(w.message) for w in caught]
        weights = np.concatenate([c.ravel() for c in model.coefs_])
        assert np.isfinite(weights).all() and np.abs(weights).max() < 1e6
        assert np.isfinite(model.predict_proba(X)).all()
    assert any("rose from" in message for message in messages)
