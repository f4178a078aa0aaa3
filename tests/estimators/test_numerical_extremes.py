"""Extreme but valid inputs give finite outputs and no floating-point warnings.

Huge features, logits of +-1e4, tiny and huge penalties, a single sample, a
single feature and a thousand classes. pytest turns every RuntimeWarning
(overflow, invalid value, division by zero) into an error, so passing means
no NumPy warning was raised; the tests check that every output is finite and
that probabilities lie in [0, 1] and sum to one. Training may legitimately
end with a ConvergenceWarning here, which is allowed.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning

from skneural.utils import gradient_descent_estimators

# The tabular MLPs take no solver: tests/estimators/test_tabular_mlp.py covers them.
ESTIMATORS = [cls for _, cls in gradient_descent_estimators()]
CLASSIFIERS = [cls for cls in ESTIMATORS if is_classifier(cls())]
SOLVERS = ["lbfgs", "sgd", "adam"]


def make_estimator(cls, **params):
    if "hidden_layer_sizes" in cls().get_params():
        params = {"hidden_layer_sizes": (5,), **params}
    return cls(random_state=0, **params)


def make_data(cls, n_samples=40, n_features=3, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features))
    if is_classifier(cls()):
        y = np.resize(np.arange(n_classes), n_samples)
    else:
        y = X @ rng.normal(size=n_features) + 1.0
    return X, y


def fit_quietly(estimator, X, y, **kwargs):
    """Fit, allowing only a ConvergenceWarning: extremes may stop training early."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y, **kwargs)


def assert_finite_outputs(estimator, X):
    for array in [*estimator.coefs_, *estimator.intercepts_]:
        assert np.isfinite(array).all()
    assert np.isfinite(estimator.loss_)
    prediction = estimator.predict(X)
    assert prediction.shape[0] == X.shape[0]
    if not is_classifier(estimator):
        assert np.isfinite(prediction).all()
        return
    assert np.isin(prediction, estimator.classes_).all()
    proba = estimator.predict_proba(X)
    assert proba.shape == (X.shape[0], len(estimator.classes_))
    assert np.isfinite(proba).all()
    assert ((proba >= 0) & (proba <= 1)).all()
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    log_proba = estimator.predict_log_proba(X)
    assert np.isfinite(log_proba).all() and (log_proba <= 0).all()
    assert np.isfinite(estimator.decision_function(X)).all()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("scale", [1e6, 1e-6])
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_features_scaled_far_from_one(cls, solver, scale, dtype):
    X, y = make_data(cls)
    X = (X * scale).astype(dtype)
    estimator = fit_quietly(make_estimator(cls, solver=solver, max_iter=50), X, y)
    assert estimator.coefs_[0].dtype == dtype
    assert_finite_outputs(estimator, X)


@pytest.mark.parametrize("logit", [1e4, -1e4])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_logits_of_ten_thousand(cls, n_classes, dtype, logit):
    X, y = make_data(cls, n_classes=n_classes)
    X = X.astype(dtype)
    estimator = fit_quietly(make_estimator(cls, solver="adam", max_iter=5), X, y)
    # Push every logit to +-1e4 through the output layer's intercepts alone.
    estimator.coefs_[-1][...] = 0
    estimator.intercepts_[-1][...] = -logit
    estimator.intercepts_[-1][0] = logit
    assert_array_equal(np.abs(estimator.decision_function(X)), 1e4)
    assert_finite_outputs(estimator, X)
    # Saturated probabilities are kept just inside (0, 1).
    proba = estimator.predict_proba(X)
    smallest = 1e-300 if dtype == np.float64 else 1e-30
    assert 0 < proba.min() < smallest
    # A training epoch from there evaluates the log-loss at those logits.
    estimator.partial_fit(X, y)
    assert_finite_outputs(estimator, X)


def losses(cls):
    constraints = cls._parameter_constraints.get("loss", [])
    return sorted(set().union(*(getattr(c, "options", ()) for c in constraints)))


@pytest.mark.parametrize("logit", [1e4, -1e4])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "cls, loss",
    [
        (cls, loss)
        for cls in ESTIMATORS
        if cls not in CLASSIFIERS
        for loss in losses(cls)
    ],
)
def test_regression_outputs_of_ten_thousand(cls, loss, dtype, logit):
    X, y = make_data(cls)
    X = X.astype(dtype)
    y = np.abs(y)  # The Poisson loss needs non-negative targets.
    estimator = fit_quietly(
        make_estimator(cls, loss=loss, solver="adam", max_iter=5), X, y
    )
    estimator.coefs_[-1][...] = 0
    estimator.intercepts_[-1][...] = logit
    assert_finite_outputs(estimator, X)
    estimator.partial_fit(X, y)
    assert_finite_outputs(estimator, X)


@pytest.mark.parametrize("alpha", [1e-300, 1e-12, 1e6, 1e12, 1e300])
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_tiny_and_huge_alpha(cls, solver, alpha):
    X, y = make_data(cls)
    estimator = fit_quietly(
        make_estimator(cls, solver=solver, alpha=alpha, max_iter=50), X, y
    )
    assert_finite_outputs(estimator, X)
    if alpha == 1e12 and solver == "lbfgs":
        # So strong a penalty leaves no weight worth mentioning.
        assert max(np.abs(coef).max() for coef in estimator.coefs_) < 1e-6


@pytest.mark.parametrize("n_features", [1, 3])
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_one_sample_per_target(cls, solver, n_features):
    # A regressor fits one sample; a classifier needs one sample of each class.
    n_samples = 2 if is_classifier(cls()) else 1
    X, y = make_data(cls, n_samples=n_samples, n_features=n_features, n_classes=2)
    estimator = fit_quietly(make_estimator(cls, solver=solver, max_iter=50), X, y)
    assert_finite_outputs(estimator, X)
    assert_finite_outputs(estimator, X[:1])


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_one_feature(cls, solver):
    X, y = make_data(cls, n_features=1, n_classes=2)
    estimator = fit_quietly(make_estimator(cls, solver=solver, max_iter=50), X, y)
    assert estimator.n_features_in_ == 1
    assert_finite_outputs(estimator, X)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_a_thousand_classes(cls, solver):
    n_classes = 1000
    X, y = make_data(cls, n_samples=2 * n_classes, n_features=4, n_classes=n_classes)
    estimator = fit_quietly(
        make_estimator(cls, solver=solver, max_iter=5, alpha=1e-4), X, y
    )
    assert_array_equal(estimator.classes_, np.arange(n_classes))
    assert estimator.coefs_[-1].shape[1] == n_classes
    assert_finite_outputs(estimator, X)
    # Softmax probabilities of 1000 classes: each small, none exactly zero.
    proba = estimator.predict_proba(X)
    assert (proba > 0).all()
    assert_array_equal(estimator.predict(X), np.argmax(proba, axis=1))


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_mini_batches_of_zero_total_weight(cls, solver):
    # Weights of zero are valid; unshuffled batches of 4 here weigh nothing
    # every other time, and must be passed over rather than divided by zero.
    X, y = make_data(cls, n_samples=16)
    sample_weight = np.resize([0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 1.0, 2.0], 16)
    params = {"solver": solver, "batch_size": 4, "shuffle": False, "max_iter": 20}
    estimator = fit_quietly(
        make_estimator(cls, **params), X, y, sample_weight=sample_weight
    )
    assert_finite_outputs(estimator, X)
    assert np.isfinite(estimator.loss_curve_).all()
    # The batches that weigh something are the same without the others.
    kept = sample_weight > 0
    reference = fit_quietly(
        make_estimator(cls, **params),
        X[kept],
        y[kept],
        sample_weight=sample_weight[kept],
    )
    for left, right in zip(estimator.coefs_, reference.coefs_, strict=True):
        assert_array_equal(left, right)
