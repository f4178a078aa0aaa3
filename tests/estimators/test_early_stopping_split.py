"""The early-stopping validation split, and the parameters that control it.

The split divides the weight of each sample (a group of equal rows) between
training and validation, so that duplicated rows still train and a row of
weight ``k`` splits like ``k`` copies of it. Side-by-side checks compare the
estimators with scikit-learn's ``MLPClassifier`` and ``MLPRegressor``.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_equal
from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.neural_network import MLPRegressor as SKMLPRegressor

from skneural import (
    GDLinearRegressor,
    GDLogisticClassifier,
    MLPRegressor,
    MLPSoftmaxClassifier,
)

ESTIMATORS = [
    GDLinearRegressor,
    GDLogisticClassifier,
    MLPRegressor,
    MLPSoftmaxClassifier,
]
ignore_convergence = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)


def xor_rows(seed, n_rows=1000):
    """``n_rows`` rows drawn from the four XOR patterns."""
    patterns = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    X = patterns[np.random.default_rng(seed).integers(0, 4, n_rows)]
    return X, (X[:, 0] != X[:, 1]).astype(int)


# ------------------------------------------------------ validation_fraction=0
@pytest.mark.parametrize(
    ("Estimator", "Theirs"),
    [(MLPSoftmaxClassifier, MLPClassifier), (MLPRegressor, SKMLPRegressor)],
)
def test_validation_fraction_zero_as_scikit_learn(Estimator, Theirs):
    X, y = xor_rows(0, 100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # Without early stopping the fraction is unused: both fit.
        ours = Estimator(validation_fraction=0.0, max_iter=5).fit(X, y)
        theirs = Theirs(validation_fraction=0.0, max_iter=5).fit(X, y)
        assert ours.validation_scores_ is theirs.validation_scores_ is None
        assert ours.n_iter_ == theirs.n_iter_ == 5
        # L-BFGS does not stop early: both fit.
        Estimator(validation_fraction=0.0, early_stopping=True, solver="lbfgs").fit(
            X, y
        )
        Theirs(validation_fraction=0.0, early_stopping=True, solver="lbfgs").fit(X, y)
        # A stochastic solver stopping early has nothing to validate on:
        # scikit-learn fails in train_test_split, we name the parameter.
        with pytest.raises(ValueError, match="test_size=0.0"):
            Theirs(validation_fraction=0.0, early_stopping=True).fit(X, y)
        with pytest.raises(ValueError, match=r"validation_fraction=0\.0 holds out"):
            Estimator(validation_fraction=0.0, early_stopping=True).fit(X, y)
        # Given validation data replace the split, so 0.0 is fine there.
        ours = Estimator(validation_fraction=0.0, early_stopping=True, max_iter=5)
        ours.fit(X, y, X_val=X[:10], y_val=y[:10])
        assert len(ours.validation_scores_) == ours.n_iter_


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("fraction", [-0.1, 1.0])
def test_validation_fraction_outside_zero_one_is_rejected(Estimator, fraction):
    X, y = xor_rows(0, 20)
    with pytest.raises(ValueError, match="'validation_fraction' parameter"):
        Estimator(validation_fraction=fraction).fit(X, y)


# ------------------------------------------------ partial_fit and early stop
@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("fitted", [False, True], ids=["unfitted", "fitted"])
def test_partial_fit_refuses_early_stopping(Estimator, fitted):
    X, y = xor_rows(0, 60)
    estimator = Estimator(solver="sgd", early_stopping=True, max_iter=5, random_state=0)
    kwargs = {"classes": [0, 1]} if is_classifier(estimator) else {}
    if fitted:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            estimator.fit(X, y)
    before = state(estimator)
    with pytest.raises(
        ValueError, match="^partial_fit does not support early_stopping=True"
    ):
        estimator.partial_fit(X, y, **kwargs)
    # Nothing changed, not even the classes of a first call.
    assert_equal(state(estimator), before)


def state(estimator):
    """The attributes a partial_fit would change."""
    names = ("classes_", "coefs_", "intercepts_", "loss_curve_", "n_iter_", "t_")
    return {
        name: getattr(estimator, name) for name in names if hasattr(estimator, name)
    }


@pytest.mark.parametrize(
    ("Estimator", "Theirs"),
    [(MLPSoftmaxClassifier, MLPClassifier), (MLPRegressor, SKMLPRegressor)],
)
def test_partial_fit_with_early_stopping_raises_as_scikit_learn(Estimator, Theirs):
    X, y = xor_rows(0, 60)
    kwargs = {"classes": [0, 1]} if Theirs is MLPClassifier else {}
    message = "partial_fit does not support early_stopping=True"
    with pytest.raises(ValueError, match=message):
        Theirs(early_stopping=True).partial_fit(X, y, **kwargs)
    with pytest.raises(ValueError, match=message):
        Estimator(early_stopping=True).partial_fit(X, y, **kwargs)
    # Without early stopping both run one epoch.
    ours = Estimator().partial_fit(X, y, **kwargs)
    theirs = Theirs().partial_fit(X, y, **kwargs)
    assert ours.n_iter_ == theirs.n_iter_ == 1
