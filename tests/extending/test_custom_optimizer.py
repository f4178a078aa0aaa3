"""A toy optimizer written outside the package trains an MLPRegressor (issue 12).

``SignSGD`` (Bernstein et al., 2018) steps each parameter by the learning
rate times the sign of its gradient, scaled by ``scale``: the whole contract
is ``__init__`` storing hyper-parameters, ``init`` and ``update``. Handed to
an estimator as ``solver``, it trains with every part of the estimator
layer: ``partial_fit``, pickling, ``clone`` and a parameter search over
``solver__scale``.
"""

import pickle
from dataclasses import dataclass

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_regression
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler

from skneural import GDLinearRegressor, MLPRegressor
from skneural.engine.optimizers import Optimizer

# Fits stop at max_iter on purpose: a few epochs show the training.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@dataclass
class SignState:
    """Scratch buffer, so that a step allocates nothing."""

    scratch: np.ndarray


class SignSGD(Optimizer):
    """``params -= learning_rate * scale * sign(grad)``."""

    def __init__(self, scale=1.0):
        self.scale = float(scale)

    def init(self, params):
        return SignState(np.empty_like(params))

    def update(self, params, grad, state, learning_rate):
        np.sign(grad, out=state.scratch)
        state.scratch *= learning_rate * self.scale
        params -= state.scratch


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(
        n_samples=200, n_features=4, n_informative=4, noise=1.0, random_state=0
    )
    return StandardScaler().fit_transform(X), y / np.std(y)


def toy_regressor(**params):
    defaults = dict(
        hidden_layer_sizes=(16,),
        solver=SignSGD(),
        learning_rate_init=0.01,
        max_iter=100,
        random_state=0,
    )
    return MLPRegressor(**{**defaults, **params})


def test_one_step_is_the_hand_computed_one():
    params = np.array([1.0, -2.0, 0.5, 0.0])
    grad = np.array([0.3, -4.0, 0.0, 2.0])
    optimizer = SignSGD(scale=2.0)
    optimizer.update(params, grad, optimizer.init(params), learning_rate=0.1)
    assert_allclose(params, [0.8, -1.8, 0.5, -0.2])


def test_it_trains_an_mlp_regressor(regression):
    X, y = regression
    reg = toy_regressor(tol=0).fit(X, y)
    # Measured: the loss falls from 2.40 to 0.0088 and R^2 reaches 0.983;
    # predicting the mean scores 0.
    assert reg.loss_curve_[-1] < 0.01 * reg.loss_curve_[0]
    assert reg.score(X, y) > 0.95


def test_partial_fit_trains_with_it(regression):
    X, y = regression
    reg = toy_regressor()
    losses = [reg.partial_fit(X, y).loss_ for _ in range(20)]
    # Measured: from 2.40 to 0.061.
    assert losses[-1] < 0.1 * losses[0]


def test_pickle_and_clone_keep_it(regression):
    X, y = regression
    reg = toy_regressor(max_iter=5).fit(X, y)
    restored = pickle.loads(pickle.dumps(reg))
    assert restored.solver == SignSGD()
    assert_array_equal(restored.predict(X), reg.predict(X))
    copy = clone(reg)
    assert copy.solver == reg.solver and copy.solver is not reg.solver
    assert_array_equal(copy.fit(X, y).predict(X), reg.predict(X))


def test_a_search_tunes_its_parameter(regression):
    X, y = regression
    search = GridSearchCV(
        toy_regressor(max_iter=30), {"solver__scale": [0.01, 1.0]}, cv=3
    ).fit(X, y)
    # A step a hundred times smaller cannot cover the way in 30 epochs.
    assert search.best_params_ == {"solver__scale": 1.0}
    assert search.best_estimator_.solver == SignSGD(scale=1.0)
    # Measured: mean R^2 of -3.85 and 0.976.
    scores = search.cv_results_["mean_test_score"]
    assert scores[1] > scores[0] + 1


def test_a_linear_model_needs_a_rate_for_it(regression):
    X, y = regression
    with pytest.raises(ValueError, match="no rule to derive the rate of SignSGD"):
        GDLinearRegressor(solver=SignSGD()).fit(X, y)
    reg = GDLinearRegressor(solver=SignSGD(), learning_rate_init=0.01, tol=0)
    assert reg.fit(X, y).score(X, y) > 0.95
