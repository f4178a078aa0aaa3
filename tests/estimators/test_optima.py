"""The linear estimators reach the known optima of their convex objectives.

Our objective is ``(sum_i s_i l_i + alpha / 2 * ||W||^2) / sum_i s_i``.

- Squared error: multiplied by ``2 sum_i s_i`` it is
  ``sum_i s_i r_i^2 + alpha ||W||^2``, exactly ``Ridge(alpha=alpha)``'s
  objective, so the minimisers coincide (``alpha=0``: least squares).
- Log-loss: ``LogisticRegression`` minimises
  ``1/2 ||W||^2 + C sum_i s_i l_i``; dividing by ``C sum_i s_i`` gives ours
  with ``alpha = 1 / C``.

L-BFGS with a tight ``tol`` must match to 1e-6 (least squares) and 1e-4
(logistic). Full-batch ``'sgd'`` and ``'adam'`` reach the same optimum to
``STOCHASTIC_ATOL = 1e-3``, and so does every stochastic solver at its
``learning_rate_init='auto'``, with and without an intercept.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.datasets import load_iris
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.preprocessing import StandardScaler

from skneural import GDLinearRegressor, GDLogisticClassifier

STOCHASTIC_ATOL = 1e-3
# Full batch, no shuffling: plain (Nesterov) gradient descent and Adam on the
# whole objective, run until the loss stops decreasing.
FULL_BATCH = dict(shuffle=False, tol=0.0, n_iter_no_change=50)
STOCHASTIC = [
    ("sgd", dict(learning_rate_init=0.1, max_iter=3000)),
    ("adam", dict(learning_rate_init=0.05, max_iter=3000)),
]
SOLVERS = ("lbfgs", "sgd", "adam", "adamw", "rmsprop", "adagrad")


def solver_options(solver, n_samples):
    """Tight L-BFGS, or a long full-batch run from the solver's 'auto' rate.

    RMSprop and Adagrad divide by a memory of the early, large gradients, so
    they approach the optimum with ever smaller steps and need the longest;
    the adaptive solvers' steps stay near the rate once that memory fades, so
    the rate is cut on plateaus ('plateau': scikit-learn's 'adaptive' for
    every solver), lest they circle the optimum instead of settling.
    """
    if solver == "lbfgs":
        return dict(tol=1e-10)
    return dict(
        solver=solver,
        batch_size=n_samples,
        max_iter=10_000,
        learning_rate="plateau",
        **FULL_BATCH,
    )


@pytest.fixture(scope="module")
def regression():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 5)) * [1, 2, 0.5, 1, 3]
    y = X @ rng.normal(size=5) + 3.0 + 0.3 * rng.normal(size=80)
    return X, y, rng.uniform(0.2, 2.0, 80)


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def least_squares(X, y):
    design = np.hstack([X, np.ones((X.shape[0], 1))])
    solution = np.linalg.lstsq(design, y, rcond=None)[0]
    return solution[:-1], solution[-1]


@pytest.mark.parametrize("container", [np.asarray, sp.csr_matrix, sp.csc_matrix])
def test_least_squares(regression, container):
    X, y, _ = regression
    coef, intercept = least_squares(X, y)
    model = GDLinearRegressor(alpha=0.0, tol=1e-10).fit(container(X), y)
    assert_allclose(model.coef_, coef, rtol=1e-6)
    assert_allclose(model.intercept_, intercept, rtol=1e-6)


def test_least_squares_multi_output(regression):
    X, y, _ = regression
    Y = np.column_stack([y, -2 * y + X[:, 0]])
    coef, intercept = least_squares(X, Y)
    model = GDLinearRegressor(tol=1e-10).fit(X, Y)
    assert model.coef_.shape == (2, 5)
    assert_allclose(model.coef_, coef.T, rtol=1e-6)
    assert_allclose(model.intercept_, intercept, rtol=1e-6)


@pytest.mark.parametrize("alpha", [0.5, 20.0])
@pytest.mark.parametrize("weighted", [False, True])
def test_ridge(regression, alpha, weighted):
    X, y, sample_weight = regression
    sample_weight = sample_weight if weighted else None
    ridge = Ridge(alpha=alpha).fit(X, y, sample_weight=sample_weight)
    model = GDLinearRegressor(alpha=alpha, tol=1e-10).fit(X, y, sample_weight)
    assert_allclose(model.coef_, ridge.coef_, rtol=1e-6)
    assert_allclose(model.intercept_, ridge.intercept_, rtol=1e-6)


def test_ridge_scaling_is_not_divided_twice(regression):
    # Ridge(alpha) and not Ridge(alpha / n_samples): the penalty's division by
    # n_samples in our objective is matched by the mean loss.
    X, y, _ = regression
    model = GDLinearRegressor(alpha=20.0, tol=1e-10).fit(X, y)
    other = Ridge(alpha=20.0 / X.shape[0]).fit(X, y)
    assert not np.allclose(model.coef_, other.coef_, rtol=1e-3)


@pytest.mark.parametrize(("solver", "options"), STOCHASTIC)
def test_stochastic_solvers_reach_least_squares(regression, solver, options):
    X, y, _ = regression
    X = StandardScaler().fit_transform(X)
    coef, intercept = least_squares(X, y)
    model = GDLinearRegressor(
        solver=solver, batch_size=X.shape[0], **FULL_BATCH, **options
    ).fit(X, y)
    assert_allclose(model.coef_, coef, atol=STOCHASTIC_ATOL)
    assert_allclose(model.intercept_, intercept, atol=STOCHASTIC_ATOL)


def centred(intercept):
    # A softmax is unchanged by a common shift of its intercepts.
    return intercept - intercept.mean() if intercept.size > 1 else intercept


def reference_logistic(X, y, alpha, sample_weight=None):
    return LogisticRegression(C=1 / alpha, tol=1e-8, max_iter=10_000).fit(
        X, y, sample_weight=sample_weight
    )


def assert_same_logistic(model, reference, atol):
    assert model.coef_.shape == reference.coef_.shape
    assert_allclose(model.coef_, reference.coef_, atol=atol)
    assert_allclose(centred(model.intercept_), centred(reference.intercept_), atol=atol)


@pytest.mark.parametrize("target", ["binary", "multinomial"])
@pytest.mark.parametrize("alpha", [0.1, 1.0])
@pytest.mark.parametrize("weighted", [False, True])
def test_logistic_regression(iris, target, alpha, weighted):
    X, y = iris
    if target == "binary":
        y = (y == 1).astype(int)
    sample_weight = (
        np.random.default_rng(1).uniform(0.2, 3.0, y.size) if weighted else None
    )
    reference = reference_logistic(X, y, alpha, sample_weight)
    model = GDLogisticClassifier(alpha=alpha, tol=1e-8).fit(X, y, sample_weight)
    assert_same_logistic(model, reference, atol=1e-4)
    assert_allclose(model.predict_proba(X), reference.predict_proba(X), atol=1e-5)


@pytest.mark.parametrize(("solver", "options"), STOCHASTIC)
@pytest.mark.parametrize("target", ["binary", "multinomial"])
def test_stochastic_solvers_reach_logistic_regression(iris, solver, options, target):
    X, y = iris
    if target == "binary":
        y = (y == 2).astype(int)
    reference = reference_logistic(X, y, alpha=1.0)
    model = GDLogisticClassifier(
        alpha=1.0, solver=solver, batch_size=X.shape[0], **FULL_BATCH, **options
    )
    model.fit(X, y)
    assert_same_logistic(model, reference, atol=STOCHASTIC_ATOL)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("solver", SOLVERS)
def test_every_solver_reaches_least_squares(regression, solver, fit_intercept):
    X, y, _ = regression
    X = StandardScaler().fit_transform(X)
    exact = LinearRegression(fit_intercept=fit_intercept).fit(X, y)
    model = GDLinearRegressor(
        fit_intercept=fit_intercept, **solver_options(solver, len(y))
    ).fit(X, y)
    atol = 1e-6 if solver == "lbfgs" else STOCHASTIC_ATOL
    assert_allclose(model.coef_, exact.coef_, atol=atol)
    assert_allclose(model.intercept_, exact.intercept_, atol=atol)
    if not fit_intercept:
        assert model.intercept_ == 0.0


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("target", ["binary", "multinomial"])
@pytest.mark.parametrize("solver", SOLVERS)
def test_every_solver_reaches_logistic_regression(iris, solver, target, fit_intercept):
    X, y = iris
    if target == "binary":
        y = (y == 2).astype(int)
    reference = LogisticRegression(
        fit_intercept=fit_intercept, tol=1e-8, max_iter=10_000
    ).fit(X, y)
    model = GDLogisticClassifier(
        fit_intercept=fit_intercept, **solver_options(solver, len(y))
    ).fit(X, y)
    atol = 1e-4 if solver == "lbfgs" else STOCHASTIC_ATOL
    assert_same_logistic(model, reference, atol=atol)
    if not fit_intercept:
        assert_allclose(model.intercept_, 0.0)
