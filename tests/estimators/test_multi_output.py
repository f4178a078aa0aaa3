"""The regressors fit targets of several columns and say so in their tags.

scikit-learn's ``check_regressor_multioutput`` (which ``multi_output=True``
enables in the common tests) draws targets of both signs. A loss that refuses
negative targets (poisson) keeps the tag False, and its multi-output fits are
checked here, as that check would, with targets it accepts.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import make_regression
from sklearn.neural_network import MLPRegressor as SklearnMLPRegressor

from skneural import GDLinearRegressor, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

CASES = [
    (GDLinearRegressor, "squared_error"),
    (GDLinearRegressor, "absolute_error"),
    (MLPRegressor, "squared_error"),
    (MLPRegressor, "absolute_error"),
    (MLPRegressor, "poisson"),
]


@pytest.mark.parametrize("cls, loss", CASES)
def test_multi_output_tag_and_fit(cls, loss):
    estimator = cls(loss=loss, solver="adam", max_iter=20, random_state=0)
    positive_only = loss == "poisson"
    tags = estimator.__sklearn_tags__().target_tags
    assert tags.multi_output is not positive_only
    assert tags.positive_only is positive_only
    # check_regressor_multioutput's data, made non-negative where it must be.
    X, y = make_regression(n_samples=11, n_features=10, n_targets=5, random_state=42)
    if positive_only:
        y = np.abs(y) / 100
    estimator.fit(X, y)
    predictions = estimator.predict(X)
    assert predictions.dtype == np.float64
    assert predictions.shape == y.shape
    # Every column is an output of its own, not one value repeated.
    assert np.ptp(predictions, axis=0).min() > 0


def test_sklearn_mlp_regressor_fits_several_targets_but_leaves_the_tag_false():
    # Why the tag needed setting here: scikit-learn's own leaves it False.
    assert not SklearnMLPRegressor().__sklearn_tags__().target_tags.multi_output
    X, y = make_regression(n_samples=20, n_features=3, n_targets=2, random_state=0)
    regressor = MLPRegressor(solver="lbfgs", random_state=0).fit(X, y)
    assert regressor.predict(X).shape == (20, 2)
    assert_allclose(regressor.score(X, y), 1.0, atol=0.05)
