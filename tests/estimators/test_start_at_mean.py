"""A first MLP fit starts its output at the best constant model of the data.

The output intercepts start at the link of the weighted mean target (the
class log-frequencies, the log-odds of each label, the mean, the log of the
mean for the Poisson loss), as scikit-learn's GLMs start theirs, instead of
at random draws. A network then starts out predicting the weighted class
priors or the mean target, so class weights and targets far from 0 take
effect from the first epoch.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.special import logit
from sklearn.datasets import make_blobs, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skneural import MLPRegressor, MLPSoftmaxClassifier

# One SGD step this small leaves the starting intercepts as they were.
FROZEN = dict(solver="sgd", learning_rate_init=1e-12, max_iter=1, random_state=0)


def fit_frozen(estimator, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(*args, **kwargs)


def test_regressor_starts_at_the_weighted_mean_target():
    X, y = make_regression(n_samples=60, n_features=3, n_targets=2, random_state=0)
    y = y + [500.0, -20.0]
    weight = np.random.default_rng(0).uniform(0.5, 2.0, 60)
    mlp = fit_frozen(MLPRegressor(**FROZEN), X, y, sample_weight=weight)
    assert_allclose(mlp.intercepts_[-1], np.average(y, axis=0, weights=weight))


def test_poisson_regressor_starts_at_the_log_of_the_mean():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = rng.poisson(40.0, size=80)
    mlp = fit_frozen(MLPRegressor(loss="poisson", **FROZEN), X, y)
    assert_allclose(mlp.intercepts_[-1], [np.log(y.mean())])


@pytest.mark.parametrize("n_classes", [2, 3])
def test_classifier_starts_at_the_weighted_class_frequencies(n_classes):
    X, y = make_blobs(n_samples=90, centers=n_classes, random_state=0)
    class_weight = {0: 5.0, 1: 1.0, 2: 0.5}
    mlp = MLPSoftmaxClassifier(class_weight=class_weight, **FROZEN)
    fit_frozen(mlp, X, y)
    weights = np.array([class_weight[label] for label in y])
    frequency = np.bincount(y, weights=weights) / weights.sum()
    if n_classes == 2:
        expected = [logit(frequency[1])]
    else:
        expected = np.log(frequency)
    assert_allclose(mlp.intercepts_[-1], expected)


def test_a_class_unseen_by_the_first_partial_fit_starts_by_the_rule_of_succession():
    mlp = MLPSoftmaxClassifier(**FROZEN)
    X, y = [[1.0], [2.0], [3.0]], ["a", "b", "c"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.partial_fit(X, y, classes=["a", "b", "c", "d"])
    # Three samples, none of class 'd': (0 + 1) / (3 + 2).
    assert_allclose(mlp.intercepts_[-1], np.log([1 / 3, 1 / 3, 1 / 3, 1 / 5]))


@pytest.mark.parametrize("activation", ["tanh", "logistic", "relu"])
def test_extreme_class_weights_take_effect_on_unscaled_data(activation):
    # check_class_weight_classifiers' scenario: scikit-learn's MLPClassifier
    # with the same weights as sample_weight predicts class 0 on 0.80-0.86 of
    # the test rows for tanh, as our random intercepts did (0.80-1.00, by
    # seed): its tanh units saturate on features of scale 50, and tol stops
    # training while the loss still falls.
    X, y = make_blobs(centers=3, random_state=0, cluster_std=20)
    X_train, X_test, y_train, _ = train_test_split(X, y, test_size=0.5, random_state=0)
    for random_state in range(4):
        mlp = MLPSoftmaxClassifier(
            activation=activation,
            class_weight={0: 1000, 1: 0.0001, 2: 0.0001},
            max_iter=1000,
            n_iter_no_change=20,
            random_state=random_state,
        )
        fit_frozen(mlp, X_train, y_train)
        assert np.mean(mlp.predict(X_test) == 0) > 0.87
