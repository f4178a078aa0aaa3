"""The linear models behave as scikit-learn's, side by side on the same data.

- ``coef_`` and ``intercept_`` are the model, as in ``LogisticRegression`` and
  ``LinearRegression``: assigning them or editing them in place changes every
  prediction, and a warm start starts from them.
- Targets of shape (n,), (n, 1) and (n, k) give ``LinearRegression``'s shapes.
- ``n_iter_`` is an array of shape (1,), as ``LogisticRegression``'s.
- ``learning_rate_init='auto'``, the default, derives each stochastic
  solver's rate from the data, and the defaults reach the optimum of
  ordinary (standardised) data without a ConvergenceWarning.
"""

import copy
import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import log_expit, log_softmax
from sklearn.base import clone
from sklearn.datasets import load_iris, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning, NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.neural_network import MLPRegressor as SklearnMLPRegressor
from sklearn.preprocessing import StandardScaler

from skneural import GDLinearRegressor, GDLogisticClassifier, MLPRegressor

STOCHASTIC_SOLVERS = ("sgd", "adam", "adamw", "rmsprop", "adagrad")


def standardised(X):
    return StandardScaler().fit_transform(X)


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(n_samples=120, n_features=4, noise=5.0, random_state=0)
    return standardised(X), y + 50.0


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return standardised(X), y


def iris_target(y, target):
    return (y == 2).astype(int) if target == "binary" else y


# ------------------------------------------------- coef_ and intercept_
@pytest.mark.parametrize("target", ["binary", "multiclass"])
@pytest.mark.parametrize("how", ["assign", "in place", "one entry"])
def test_coef_and_intercept_are_the_model_as_in_logistic_regression(iris, target, how):
    X, y = iris
    y = iris_target(y, target)
    ours = GDLogisticClassifier().fit(X, y)
    theirs = LogisticRegression().fit(X, y)
    rng = np.random.default_rng(0)
    coef = rng.normal(size=theirs.coef_.shape)
    intercept = rng.normal(size=theirs.intercept_.shape)
    for model in (ours, theirs):
        if how == "assign":
            model.coef_ = coef.copy()
            model.intercept_ = intercept.copy()
        elif how == "in place":
            model.coef_[...] = coef
            model.intercept_[...] = intercept
        else:
            model.coef_[0, 1] = 5.0
            model.intercept_[0] = -3.0
    if how == "one entry":
        # The other entries are each model's own fit: compare with ours.
        theirs.coef_[...], theirs.intercept_[...] = ours.coef_, ours.intercept_
        assert ours.coef_[0, 1] == 5.0 and ours.intercept_[0] == -3.0
    assert_allclose(ours.decision_function(X), theirs.decision_function(X), rtol=1e-12)
    # Probabilities of 1e-6 differ in their last bits: sigmoids computed apart.
    assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-9)
    assert_array_equal(ours.predict(X), theirs.predict(X))


@pytest.mark.parametrize("n_targets", [None, 1, 2])
@pytest.mark.parametrize("how", ["assign", "in place"])
def test_coef_and_intercept_are_the_model_as_in_linear_regression(
    regression, n_targets, how
):
    X, y = regression
    if n_targets is not None:
        y = np.column_stack([y * (k + 1) for k in range(n_targets)])
    ours = GDLinearRegressor().fit(X, y)
    theirs = LinearRegression().fit(X, y)
    rng = np.random.default_rng(1)
    coef = rng.normal(size=theirs.coef_.shape)
    intercept = rng.normal(size=np.shape(theirs.intercept_))
    for model in (ours, theirs):
        if how == "assign" or n_targets is None:
            # A 1-D target's intercept is a float: assigning is the only way.
            model.intercept_ = intercept.copy() if n_targets else float(intercept)
        else:
            model.intercept_[...] = intercept
        if how == "assign":
            model.coef_ = coef.copy()
        else:
            model.coef_[...] = coef
    assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-12)
    assert ours.predict(X).shape == theirs.predict(X).shape


def test_warm_start_starts_from_assigned_coefficients(iris):
    X, y = iris
    reference = LogisticRegression(tol=1e-10, max_iter=1000).fit(X, y)
    model = GDLogisticClassifier(warm_start=True, max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    assert not np.allclose(model.coef_, reference.coef_, atol=0.1)
    model.coef_ = reference.coef_.copy()
    model.intercept_ = reference.intercept_.copy()
    # At the optimum already: L-BFGS stops before its first iteration.
    model.set_params(max_iter=100).fit(X, y)
    assert model.n_iter_[0] <= 1
    assert_allclose(model.coef_, reference.coef_, atol=1e-4)


def test_warm_start_starts_from_coefficients_edited_in_place(regression):
    X, y = regression
    exact = LinearRegression().fit(X, y)
    model = GDLinearRegressor(solver="sgd", warm_start=True, max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
        model.coef_[...] = exact.coef_
        model.intercept_ = exact.intercept_
        loss_at_the_optimum = model.fit(X, y).loss_curve_[-1]
    # One epoch from the least-squares solution stays near its loss.
    best = 0.5 * np.mean((exact.predict(X) - y) ** 2)
    assert loss_at_the_optimum < 1.01 * best


@pytest.mark.parametrize("make_copy", ["pickle", "deepcopy"])
def test_edited_coefficients_survive_copies(iris, make_copy):
    X, y = iris
    model = GDLogisticClassifier().fit(X, y)
    before = model.predict_proba(X)
    model.coef_[1, 2] = 4.0
    model.intercept_ = model.intercept_ + 1.0
    expected = model.predict_proba(X)
    assert not np.allclose(expected, before)
    if make_copy == "pickle":
        copied = pickle.loads(pickle.dumps(model))
    else:
        copied = copy.deepcopy(model)
    assert copied.coef_[1, 2] == 4.0
    assert_array_equal(copied.predict_proba(X), expected)
    # The copy's parameters are its own.
    copied.coef_[1, 2] = 0.0
    assert model.coef_[1, 2] == 4.0
    unfitted = clone(model)
    assert not hasattr(unfitted, "coef_")
    assert_allclose(unfitted.fit(X, y).coef_, GDLogisticClassifier().fit(X, y).coef_)


def test_coef_shape_and_fit_are_checked_on_assignment(iris):
    X, y = iris
    with pytest.raises(NotFittedError):
        GDLogisticClassifier().coef_ = np.zeros((3, 4))
    model = GDLogisticClassifier().fit(X, y)
    with pytest.raises(ValueError, match=r"coef_ must have shape \(3, 4\)"):
        model.coef_ = np.zeros((4, 3))
    with pytest.raises(ValueError, match=r"intercept_ must have shape \(3,\)"):
        model.intercept_ = 1.0
    with pytest.raises(ValueError, match="coef_ must hold real numbers"):
        model.coef_ = np.full((3, 4), "a")


# ---------------------------------------------------------- target shapes
@pytest.mark.parametrize("solver", ["lbfgs", "sgd"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("n_targets", [None, 1, 3])
def test_target_shapes_match_linear_regression(
    regression, n_targets, fit_intercept, solver
):
    X, y = regression
    if n_targets is not None:
        y = np.column_stack([y * (k + 1) for k in range(n_targets)])
    theirs = LinearRegression(fit_intercept=fit_intercept).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = GDLinearRegressor(fit_intercept=fit_intercept, solver=solver)
        ours.fit(X, y)
        prediction = ours.predict(X)
    assert ours.coef_.shape == theirs.coef_.shape
    assert prediction.shape == theirs.predict(X).shape
    # A float (np.float64 is one) or an array, as LinearRegression's.
    assert isinstance(ours.intercept_, float) == isinstance(theirs.intercept_, float)
    assert np.shape(ours.intercept_) == np.shape(theirs.intercept_)
    if not fit_intercept:
        assert ours.intercept_ == theirs.intercept_ == 0.0
    assert_allclose(prediction, theirs.predict(X), rtol=1e-3, atol=1e-3 * y.std())


def test_mlp_regressor_keeps_scikit_learns_column_target(regression):
    # The MLP is a drop-in: like sklearn's, it warns and predicts 1-D.
    X, y = regression
    column = y[:, np.newaxis]
    shapes = []
    for cls in (MLPRegressor, SklearnMLPRegressor):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = cls(solver="lbfgs", max_iter=20, random_state=0).fit(X, column)
        assert any(issubclass(w.category, DataConversionWarning) for w in caught)
        shapes.append(model.predict(X).shape)
    assert shapes[0] == shapes[1] == (len(y),)


# ------------------------------------------------------------------ n_iter_
@pytest.mark.parametrize("solver", ["lbfgs", "sgd"])
@pytest.mark.parametrize("target", ["binary", "multiclass"])
def test_n_iter_is_an_array_as_in_logistic_regression(iris, target, solver):
    X, y = iris
    y = iris_target(y, target)
    theirs = LogisticRegression().fit(X, y)
    ours = GDLogisticClassifier(solver=solver).fit(X, y)
    assert isinstance(ours.n_iter_, np.ndarray)
    assert ours.n_iter_.shape == theirs.n_iter_.shape == (1,)
    assert ours.n_iter_.dtype == theirs.n_iter_.dtype
    assert ours.n_iter_[0] == len(ours.loss_curve_)


# -------------------------------------------------------- fit_intercept
@pytest.mark.parametrize("target", ["binary", "multiclass"])
def test_no_intercept_gives_zero_intercepts_as_in_logistic_regression(iris, target):
    X, y = iris
    y = iris_target(y, target)
    theirs = LogisticRegression(fit_intercept=False).fit(X, y)
    ours = GDLogisticClassifier(fit_intercept=False).fit(X, y)
    assert_array_equal(ours.intercept_, theirs.intercept_)
    assert ours.intercept_.shape == theirs.intercept_.shape
    # The intercept is not fitted: the network has no slot for it.
    assert ours._network.n_params == ours.coef_.size


# ------------------------------------------------- learning_rate_init='auto'
def objective_gap(model, reference, X, y):
    """Relative excess of ``model``'s objective over the optimum's."""
    regression = isinstance(reference, LinearRegression)

    def objective(estimator):
        raw = X @ np.atleast_2d(estimator.coef_).T + estimator.intercept_
        if regression:
            return 0.5 * np.mean((raw.ravel() - y) ** 2)
        penalty = 0.5 * np.sum(np.square(estimator.coef_)) / len(y)
        if raw.shape[1] == 1:
            positive = y == estimator.classes_[1]
            log_proba = np.where(positive, log_expit(raw[:, 0]), log_expit(-raw[:, 0]))
        else:
            rows = np.arange(len(y)), np.searchsorted(estimator.classes_, y)
            log_proba = log_softmax(raw, axis=1)[rows]
        return -log_proba.mean() + penalty

    return objective(model) / objective(reference) - 1


def ordinary_data():
    X, y = make_regression(n_samples=1000, n_features=20, noise=10, random_state=0)
    yield "regression", standardised(X), y
    X, y = make_classification(n_samples=1000, random_state=0)
    yield "binary", X, y
    X, y = load_iris(return_X_y=True)
    yield "iris", standardised(X), y


@pytest.mark.parametrize("solver", STOCHASTIC_SOLVERS)
@pytest.mark.parametrize(("name", "X", "y"), list(ordinary_data()))
def test_stochastic_defaults_reach_the_optimum_without_a_warning(name, X, y, solver):
    if name == "regression":
        reference = LinearRegression().fit(X, y)
        model = GDLinearRegressor(solver=solver, random_state=0)
    else:
        reference = LogisticRegression(tol=1e-10, max_iter=10_000).fit(X, y)
        model = GDLogisticClassifier(solver=solver, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model.fit(X, y)
    assert model.n_iter_ < model.max_iter
    assert 0 <= objective_gap(model, reference, X, y) < 0.03
    assert model.score(X, y) == pytest.approx(reference.score(X, y), abs=0.01)


@pytest.mark.parametrize("solver", ["adam", "adamw", "rmsprop", "adagrad"])
def test_adaptive_rates_follow_the_scale_of_the_solution(regression, solver):
    # Adam-like steps are about the rate per coefficient: a target 1000 times
    # larger has a solution 1000 times larger, and gets a rate to match.
    X, y = regression
    models = []
    for scale in (1.0, 1000.0):
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            model = GDLinearRegressor(solver=solver, random_state=0)
            models.append(model.fit(X, scale * y))
    small, large = models
    assert large.learning_rate_init_ == pytest.approx(
        1000 * small.learning_rate_init_, rel=1e-10
    )
    assert large.score(X, 1000 * y) == pytest.approx(small.score(X, y), abs=1e-3)


def test_sgd_rate_is_the_inverse_curvature_of_a_batch(regression):
    X, y = regression
    model = GDLinearRegressor(solver="sgd", batch_size=10, max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    # No batch of 10 rows has a larger curvature than the 10 longest rows.
    longest = np.sort(np.sum(X**2, axis=1))[-10:]
    assert model.learning_rate_init_ == pytest.approx(1 / (longest.mean() + 1))
    classifier = GDLogisticClassifier(solver="sgd", batch_size=1, max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        classifier.fit(X, y > np.median(y))
    # One row at a time: SAG's step, 4 / (max ||x||^2 + 1 + 4 alpha / n).
    largest = np.max(np.sum(X**2, axis=1))
    assert classifier.learning_rate_init_ == pytest.approx(
        4 / (largest + 1 + 4 / len(y))
    )


def test_auto_rate_treats_weights_as_repetitions(iris):
    # As scikit-learn's sample-weight checks ask of a full batch.
    X, y = iris[0][::4], iris[1][::4]
    counts = np.random.default_rng(2).integers(0, 4, len(y))
    assert counts.sum() <= 200
    for solver in STOCHASTIC_SOLVERS:
        rates = []
        for data, weight in [
            ((X, y), counts),
            ((np.repeat(X, counts, axis=0), np.repeat(y, counts)), None),
        ]:
            model = GDLogisticClassifier(solver=solver, max_iter=1)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(*data, sample_weight=weight)
            rates.append(model.learning_rate_init_)
        assert rates[0] == pytest.approx(rates[1], rel=1e-10), solver


def test_float_learning_rate_is_used_as_given(regression):
    X, y = regression
    model = GDLinearRegressor(
        solver="sgd", learning_rate_init=0.01, momentum=0.0, batch_size=len(y)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.set_params(max_iter=1).fit(X, y)
    assert model.learning_rate_init_ == 0.01
    # One gradient step from the best constant model.
    assert_allclose(model.coef_, 0.01 * X.T @ (y - y.mean()) / len(y))
    assert model.intercept_ == pytest.approx(y.mean())


def test_partial_fit_keeps_the_rate_of_its_first_call(regression):
    X, y = regression
    model = GDLinearRegressor(solver="adam")
    model.partial_fit(X[:60], y[:60])
    rate = model.learning_rate_init_
    model.partial_fit(10 * X[60:], 10 * y[60:])
    assert model.learning_rate_init_ == rate
    assert GDLinearRegressor(solver="lbfgs").fit(X, y).learning_rate_init_ is None


# A decaying rate, so that the noise of the batches dies out: 'adaptive' cuts
# sgd's rate on a plateau (it acts on sgd only, as in scikit-learn); Adam's
# cosine schedule runs its course to 0, which max_iter then reports.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "solver, schedule",
    [
        ("sgd", {"learning_rate": "adaptive", "tol": 1e-6}),
        ("adam", {"learning_rate": "cosine", "n_iter_no_change": np.inf}),
    ],
)
def test_mini_batches_minimise_the_stated_penalty(iris, solver, schedule):
    # Each mini-batch's penalty is divided by the training set's weight, not
    # the batch's: batches of 15 of 150 rows would otherwise penalise the
    # coefficients ten times harder than LogisticRegression(C=1).
    X, y = iris
    reference = LogisticRegression(tol=1e-10, max_iter=1000).fit(X, y)
    model = GDLogisticClassifier(
        solver=solver,
        batch_size=15,
        learning_rate_init=0.05,
        random_state=0,
        **schedule,
    ).fit(X, y)
    norm = np.linalg.norm(model.coef_) / np.linalg.norm(reference.coef_)
    assert norm == pytest.approx(1, abs=0.01)
    assert_allclose(model.coef_, reference.coef_, atol=0.05)
