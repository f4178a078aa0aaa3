"""``warm_start`` and ``partial_fit`` resume training exactly where it stopped.

In full batch (no shuffling draws) resuming is exact: ``k`` calls of one epoch
equal one call of ``k`` epochs, for every solver and schedule, because the
optimizer's state and the epoch count carry over. Includes the warm-start and
``partial_fit`` tests of scikit-learn's ``test_mlp.py``.
"""

import re
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits, load_iris, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import MinMaxScaler, scale

from skneural import (
    GDLinearRegressor,
    GDLogisticClassifier,
    MLPRegressor,
    MLPSoftmaxClassifier,
)

ESTIMATORS = [MLPSoftmaxClassifier, MLPRegressor]
ignore_convergence = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)

X_iris, y_iris = load_iris(return_X_y=True)
X_digits, y_digits = load_digits(n_class=3, return_X_y=True)
X_digits = MinMaxScaler().fit_transform(X_digits[:200])
y_digits = y_digits[:200]
X_reg, y_reg = make_regression(
    n_samples=200, n_features=10, bias=20.0, noise=100.0, random_state=7
)
y_reg = scale(y_reg)


def data_for(Estimator):
    return (X_reg, y_reg) if Estimator is MLPRegressor else (X_digits, y_digits)


def assert_same_weights(first, second, rtol=1e-10):
    first_layers = first.coefs_ + first.intercepts_
    second_layers = second.coefs_ + second.intercepts_
    for a, b in zip(first_layers, second_layers, strict=True):
        assert_allclose(a, b, rtol=rtol, atol=1e-12)


# ---------------------------------------------------------------- partial_fit
@ignore_convergence
@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("learning_rate", ["constant", "invscaling"])
def test_partial_fit_epochs_equal_one_fit(Estimator, solver, learning_rate):
    X, y = data_for(Estimator)
    params = dict(
        hidden_layer_sizes=10,
        solver=solver,
        learning_rate=learning_rate,
        learning_rate_init=0.05,
        batch_size=X.shape[0],
        random_state=1,
    )
    fitted = Estimator(**params, max_iter=15, tol=0.0, n_iter_no_change=np.inf)
    fitted.fit(X, y)
    incremental = Estimator(**params)
    for _ in range(15):
        if Estimator is MLPSoftmaxClassifier:
            incremental.partial_fit(X, y, classes=np.unique(y))
        else:
            incremental.partial_fit(X, y)
    assert_same_weights(fitted, incremental)
    assert incremental.loss_curve_ == pytest.approx(fitted.loss_curve_, rel=1e-10)
    assert incremental.n_iter_ == 1 and fitted.n_iter_ == 15
    assert incremental.t_ == fitted.t_ == 15 * X.shape[0]


def test_partial_fit_classification_matches_sklearn_test():
    # sklearn: partial_fit yields the same predictions as fit.
    params = dict(solver="sgd", random_state=1, alpha=1e-5, learning_rate_init=0.2)
    mlp = MLPSoftmaxClassifier(**params, max_iter=100, tol=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pred_fit = mlp.fit(X_digits, y_digits).predict(X_digits)
    mlp = MLPSoftmaxClassifier(**params)
    for _ in range(100):
        mlp.partial_fit(X_digits, y_digits, classes=np.unique(y_digits))
    assert_array_equal(mlp.predict(X_digits), pred_fit)
    assert mlp.score(X_digits, y_digits) > 0.95


@pytest.mark.parametrize("momentum", [0, 0.9])
def test_partial_fit_regression_matches_sklearn_test(momentum):
    params = dict(
        solver="sgd",
        activation="relu",
        random_state=1,
        learning_rate_init=0.01,
        batch_size=X_reg.shape[0],
        momentum=momentum,
    )
    mlp = MLPRegressor(**params, max_iter=100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pred_fit = mlp.fit(X_reg, y_reg).predict(X_reg)
    mlp = MLPRegressor(**params)
    for _ in range(100):
        mlp.partial_fit(X_reg, y_reg)
    assert_allclose(mlp.predict(X_reg), pred_fit)
    assert mlp.score(X_reg, y_reg) > 0.65


def test_partial_fit_classes():
    clf = MLPSoftmaxClassifier(solver="sgd")
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit([[3, 2]], [0])
    clf.partial_fit([[3, 2]], [0], classes=[0, 1])
    with pytest.raises(ValueError):
        clf.partial_fit([[3, 2]], [0], classes=[1, 2])
    with pytest.raises(ValueError, match="not in `self.classes_`"):
        clf.partial_fit([[3, 2]], [5])
    with pytest.raises(ValueError):
        MLPSoftmaxClassifier(solver="sgd").partial_fit([[3, 2], [1, 6]], [1, 0], [2])


def test_partial_fit_unseen_classes():
    # A class declared in the first call may appear first in a later one, and
    # training on it raises its probability.
    clf = MLPSoftmaxClassifier(random_state=0)
    clf.partial_fit([[1], [2], [3]], ["a", "b", "c"], classes=["a", "b", "c", "d"])
    before = clf.predict_proba([[4]])[0, 3]
    clf.partial_fit([[4]], ["d"])
    assert_array_equal(clf.classes_, ["a", "b", "c", "d"])
    assert clf.predict_proba([[1], [4]]).shape == (2, 4)
    assert clf.predict_proba([[4]])[0, 3] > before


@pytest.mark.parametrize(
    "Estimator", [*ESTIMATORS, GDLinearRegressor, GDLogisticClassifier]
)
def test_partial_fit_only_for_stochastic_solvers(Estimator):
    assert not hasattr(Estimator(solver="lbfgs"), "partial_fit")
    assert hasattr(Estimator(solver="sgd"), "partial_fit")


def test_partial_fit_continues_a_fit():
    mlp = MLPRegressor(hidden_layer_sizes=5, solver="sgd", max_iter=5, random_state=0)
    with pytest.warns(ConvergenceWarning):
        mlp.fit(X_reg, y_reg)
    before = [coef.copy() for coef in mlp.coefs_]
    mlp.partial_fit(X_reg, y_reg)
    assert len(mlp.loss_curve_) == 6
    assert not np.array_equal(before[0], mlp.coefs_[0])


@ignore_convergence
@pytest.mark.parametrize("Estimator", [GDLinearRegressor, GDLogisticClassifier])
def test_linear_models_partial_fit_equals_fit(Estimator):
    X, y = X_iris, y_iris
    if Estimator is GDLinearRegressor:
        y = X[:, 0] - 2 * X[:, 1]
    params = dict(solver="sgd", learning_rate_init=0.01, batch_size=X.shape[0])
    fitted = Estimator(**params, max_iter=8, tol=0.0, n_iter_no_change=np.inf)
    fitted.fit(X, y)
    incremental = Estimator(**params)
    for _ in range(8):
        if Estimator is GDLogisticClassifier:
            incremental.partial_fit(X, y, classes=[0, 1, 2])
        else:
            incremental.partial_fit(X, y)
    assert_allclose(incremental.coef_, fitted.coef_, rtol=1e-10)
    assert_allclose(incremental.intercept_, fitted.intercept_, rtol=1e-10)


# ----------------------------------------------------------------- warm_start
@ignore_convergence
@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("learning_rate", ["constant", "invscaling", "adaptive"])
def test_warm_start_resumes_exactly(Estimator, solver, learning_rate):
    # sklearn's test_learning_rate_warmstart, made exact: the second warm fit
    # continues the schedule (invscaling's t) and the optimizer's state.
    X, y = data_for(Estimator)
    params = dict(
        hidden_layer_sizes=6,
        solver=solver,
        learning_rate=learning_rate,
        power_t=0.25,
        learning_rate_init=0.05,
        batch_size=X.shape[0],
        random_state=0,
        tol=0.0,
        n_iter_no_change=np.inf,
    )
    once = Estimator(**params, max_iter=10).fit(X, y)
    twice = Estimator(**params, max_iter=4, warm_start=True).fit(X, y)
    twice.set_params(max_iter=6).fit(X, y)
    assert_same_weights(once, twice)
    assert twice.loss_curve_ == pytest.approx(once.loss_curve_, rel=1e-10)
    assert twice.n_iter_ == 6 and twice.t_ == once.t_


@ignore_convergence
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_without_warm_start_every_fit_starts_afresh(Estimator):
    X, y = data_for(Estimator)
    est = Estimator(hidden_layer_sizes=4, max_iter=5, random_state=0)
    first = [coef.copy() for coef in est.fit(X, y).coefs_]
    est.fit(X, y)
    assert_array_equal(est.coefs_[0], first[0])
    assert len(est.loss_curve_) == 5


def test_lbfgs_warm_start_starts_from_the_optimum():
    mlp = MLPRegressor(
        hidden_layer_sizes=5, solver="lbfgs", warm_start=True, max_iter=500, tol=1e-6
    )
    mlp.set_params(random_state=0).fit(X_reg, y_reg)
    loss, n_iter = mlp.loss_, mlp.n_iter_
    mlp.fit(X_reg, y_reg)
    assert mlp.loss_ <= loss + 1e-12
    assert mlp.n_iter_ < n_iter


def test_warm_start_classes_must_not_change():
    X, y = X_iris, y_iris
    y_3classes = np.array([0] * 40 + [1] * 40 + [2] * 70)
    params = dict(
        hidden_layer_sizes=2, solver="lbfgs", warm_start=True, random_state=42
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = MLPSoftmaxClassifier(**params, tol=1e-2).fit(X, y)
        clf.fit(X, y)
        clf.fit(X, y_3classes)
    others = (
        np.array([0] * 75 + [1] * 75),
        np.array([0] * 50 + [1] * 50 + [3] * 50),
        np.array([0] * 37 + [1] * 37 + [2] * 38 + [3] * 38),
    )
    for y_i in others:
        message = (
            "warm_start can only be used where `y` has the same classes as in the "
            f"previous call to fit. Previously got [0 1 2], `y` has {np.unique(y_i)}"
        )
        with pytest.raises(ValueError, match=re.escape(message)):
            clf.fit(X, y_i)


def test_warm_start_rejects_other_shapes():
    mlp = MLPRegressor(hidden_layer_sizes=3, solver="lbfgs", warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(X_reg, y_reg)
    with pytest.raises(ValueError, match="features"):
        mlp.fit(X_reg[:, :5], y_reg)
    with pytest.raises(ValueError, match="outputs"):
        mlp.fit(X_reg, np.column_stack([y_reg, y_reg]))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_warm_start_full_iteration(Estimator):
    max_iter = 3
    clf = Estimator(
        hidden_layer_sizes=2, solver="sgd", warm_start=True, max_iter=max_iter
    )
    with pytest.warns(ConvergenceWarning):
        clf.fit(X_iris, y_iris)
    assert clf.n_iter_ == max_iter
    with pytest.warns(ConvergenceWarning):
        clf.fit(X_iris, y_iris)
    assert clf.n_iter_ == max_iter
    assert len(clf.loss_curve_) == 2 * max_iter


@ignore_convergence
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_warm_start_with_early_stopping(Estimator):
    mlp = Estimator(max_iter=10, random_state=0, warm_start=True, early_stopping=True)
    mlp.fit(X_iris, y_iris)
    n_validation_scores = len(mlp.validation_scores_)
    mlp.set_params(max_iter=20)
    mlp.fit(X_iris, y_iris)
    assert len(mlp.validation_scores_) > n_validation_scores


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_warm_start_no_convergence(Estimator, solver):
    # max_iter bounds each call: n_iter_ counts the epochs of the last fit.
    model = Estimator(
        solver=solver,
        warm_start=True,
        max_iter=10,
        n_iter_no_change=np.inf,
        tol=0.0,
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning):
        model.fit(X_iris, y_iris)
    assert model.n_iter_ == 10
    model.set_params(max_iter=20)
    with pytest.warns(ConvergenceWarning):
        model.fit(X_iris, y_iris)
    assert model.n_iter_ == 20
