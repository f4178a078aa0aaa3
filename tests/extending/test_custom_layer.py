"""A layer written outside skneural, in this one file, trained through MLPRegressor.

``Scale`` learns one factor per input feature (initialised to 1, not
penalised, with its own learning-rate factor): the per-feature scaling layer
of tabular MLPs. It only subclasses :class:`skneural.engine.layers.Layer`;
nothing in skneural is edited or registered for it. Its gradient is checked
by finite differences through a whole network's objective, and an
``MLPRegressor`` that starts with it fits, predicts, warm-starts, learns
partially, stops early with a scorer and survives pickling.
"""

import importlib.util
import pickle
import warnings
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import parametrize_with_checks

from skneural import MLPRegressor
from skneural.engine import Network, Objective
from skneural.engine.layers import Layer, ParameterGroup

# The engine tests' five-point stencil, loaded from its file.
_spec = importlib.util.spec_from_file_location(
    "finite_differences", Path(__file__).parents[1] / "engine" / "finite_differences.py"
)
finite_differences = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(finite_differences)


class Scale(Layer):
    """``X * scale``, one learned scale per feature.

    Parameters
    ----------
    learning_rate_factor : float, default=30.0
        Multiplies the learning rate of the scales.
    """

    def __init__(self, learning_rate_factor=30.0):
        self.learning_rate_factor = learning_rate_factor

    def parameter_groups(self, n_inputs):
        return (
            ParameterGroup(
                "scale",
                (n_inputs,),
                penalised=False,
                learning_rate_factor=self.learning_rate_factor,
            ),
        )

    def initialize(self, rng, n_inputs, initializer, dtype):
        return (np.ones(n_inputs, dtype),)

    def forward(self, params, X, buffers, noise):
        return np.multiply(X, params[0], out=buffers["output"])

    def backward(self, params, X, delta, grads, delta_in, buffers, noise):
        np.einsum("ij,ij->j", X, delta, out=grads[0])
        if delta_in is not None:
            np.multiply(delta, params[0], out=delta_in)


# Four standard normal features, seen through scales four decades apart.
FEATURE_SCALES = np.array([0.01, 0.1, 1.0, 10.0])


def data(n_samples=600, seed=0):
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n_samples, 4))
    y = np.sin(Z[:, 0]) + Z[:, 1] * Z[:, 2] + 0.5 * Z[:, 3]
    return Z * FEATURE_SCALES, y


def test_the_gradient_through_the_network_matches_finite_differences():
    rng = np.random.default_rng(0)
    network = Network((4, Scale(), 5, 1), "tanh", "squared_error")
    params = rng.uniform(-1, 1, network.n_params)
    X, Y = rng.normal(size=(7, 4)), rng.normal(size=(7, 1))
    objective = Objective(network, alpha=0.3)
    loss, grad = objective.loss_and_grad(params, X, Y)
    numeric = finite_differences.numerical_gradient(
        lambda p: objective.loss(p, X, Y), params
    )
    finite_differences.assert_gradient_close(numeric, grad, scale=loss)
    # The scales sit after the weights: they are not penalised.
    assert network.n_coef == 4 * 5 + 5 * 1
    assert_array_equal(network.learning_rate_factors(np.float64)[-10:-6], 30.0)


def test_a_wrong_backward_fails_the_check():
    class WrongScale(Scale):
        def backward(self, params, X, delta, grads, delta_in, buffers, noise):
            super().backward(params, X, delta, grads, delta_in, buffers, noise)
            grads[0][...] *= 2

    rng = np.random.default_rng(0)
    network = Network((4, WrongScale(), 5, 1), "tanh", "squared_error")
    params = rng.uniform(-1, 1, network.n_params)
    X, Y = rng.normal(size=(7, 4)), rng.normal(size=(7, 1))
    objective = Objective(network)
    loss, grad = objective.loss_and_grad(params, X, Y)
    numeric = finite_differences.numerical_gradient(
        lambda p: objective.loss(p, X, Y), params
    )
    with pytest.raises(AssertionError, match="relative error"):
        finite_differences.assert_gradient_close(numeric, grad, scale=loss)


def fit_pair(seed):
    """R² on held-out rows of an MLP with and without Scale, and the fitted one."""
    X, y = data()
    train, test = slice(0, 400), slice(400, None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        plain = MLPRegressor(hidden_layer_sizes=(16,), random_state=seed, max_iter=300)
        scaled = clone(plain).set_params(hidden_layer_sizes=(Scale(), 16))
        plain.fit(X[train], y[train])
        scaled.fit(X[train], y[train])
    return plain.score(X[test], y[test]), scaled.score(X[test], y[test]), scaled


def test_mlp_regressor_learns_the_scales_of_unequal_features():
    # Adam moves each parameter by about its learning rate per step, and the
    # smallest feature needs its scale to grow a hundredfold: the factor of 30
    # lets the scales cover that in 600 steps. Measured: held-out R² 0.17,
    # 0.19, 0.19 without Scale, 0.41, 0.87, 0.88 with it (seeds 0-2).
    plain, scaled = [], []
    for seed in range(3):
        plain_score, scaled_score, model = fit_pair(seed)
        plain.append(plain_score)
        scaled.append(scaled_score)
        (scale,) = model.layer_params_[0].values()
        # The smallest feature's scale grew, the largest one's shrank.
        assert abs(scale[0]) > 5 and abs(scale[3]) < 0.5
    assert np.mean(scaled) > np.mean(plain) + 0.3


@pytest.fixture(scope="module")
def fitted():
    X, y = data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = MLPRegressor(
            hidden_layer_sizes=(Scale(), 16), random_state=0, max_iter=50
        ).fit(X, y)
    return model, X, y


def test_fitted_attributes_keep_dense_layers_apart(fitted):
    model, X, _ = fitted
    assert [coef.shape for coef in model.coefs_] == [(4, 16), (16, 1)]
    assert [intercept.shape for intercept in model.intercepts_] == [(16,), (1,)]
    assert model.n_layers_ == 4
    assert list(model.layer_params_[0]) == ["scale"]
    assert not np.all(model.layer_params_[0]["scale"] == 1)
    # The prediction reads the fitted arrays: editing a scale changes it.
    edited = pickle.loads(pickle.dumps(model))
    edited.layer_params_[0]["scale"][0] *= 10
    assert not np.allclose(edited.predict(X), model.predict(X))


def test_pickle_round_trip_predicts_the_same(fitted):
    model, X, _ = fitted
    copy = pickle.loads(pickle.dumps(model))
    assert_array_equal(copy.predict(X), model.predict(X))
    assert_array_equal(copy.layer_params_[0]["scale"], model.layer_params_[0]["scale"])
    assert copy.get_params()["hidden_layer_sizes"] == (Scale(), 16)


def test_warm_start_and_partial_fit_resume_from_the_learned_scales(fitted):
    model, X, y = fitted
    learned = model.layer_params_[0]["scale"].copy()
    warm = pickle.loads(pickle.dumps(model)).set_params(warm_start=True, max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warm.fit(X, y)
    cold = clone(model).set_params(max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        cold.fit(X, y)
    # One epoch moves a scale a little: the warm fit stays near the learned
    # scales, the cold one near their start at 1.
    moved = np.argmax(np.abs(learned - 1))
    distance = abs(learned[moved] - 1)
    assert abs(warm.layer_params_[0]["scale"][moved] - learned[moved]) < distance / 4
    assert abs(cold.layer_params_[0]["scale"][moved] - 1) < distance / 4
    partial = pickle.loads(pickle.dumps(model))
    partial.partial_fit(X, y)
    now = partial.layer_params_[0]["scale"]
    assert abs(now[moved] - learned[moved]) < distance / 4
    assert not np.array_equal(now, learned)


def test_early_stopping_with_a_scorer_scores_the_layer_params():
    X, y = data()
    model = MLPRegressor(
        hidden_layer_sizes=(Scale(), 16),
        early_stopping=True,
        scoring="r2",
        n_iter_no_change=3,
        max_iter=60,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X[:400], y[:400], X_val=X[400:], y_val=y[400:])
    # The best epoch's parameters, scales included, are the ones kept.
    assert_allclose(model.score(X[400:], y[400:]), model.best_validation_score_)


def test_with_dropout_and_a_float32_fit():
    X, y = data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = MLPRegressor(
            hidden_layer_sizes=(Scale(), 16), dropout=0.1, max_iter=5, random_state=0
        ).fit(X.astype(np.float32), y)
    assert model._network.dropout == (0.0, 0.1)
    assert model.layer_params_[0]["scale"].dtype == np.float32
    assert np.isfinite(model.predict(X)).all()


@pytest.mark.parametrize("sizes", [(Scale(), "16"), (object(),), (Scale(), 0)])
def test_hidden_layer_sizes_names_what_it_takes(sizes):
    X, y = data(50)
    with pytest.raises(ValueError, match="positive integers or Layer instances"):
        MLPRegressor(hidden_layer_sizes=sizes).fit(X, y)


def test_a_sparse_x_is_refused_by_a_dense_only_first_layer():
    import scipy.sparse as sp

    X, y = data(50)
    model = MLPRegressor(hidden_layer_sizes=(Scale(), 4), max_iter=2)
    assert not model.__sklearn_tags__().input_tags.sparse
    with pytest.raises(TypeError, match="(?i)sparse"):
        model.fit(sp.csr_matrix(X), y)
    # Behind a dense layer, the scales read dense arrays: sparse X is fine.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.set_params(hidden_layer_sizes=(4, Scale())).fit(sp.csr_matrix(X), y)
    assert model.__sklearn_tags__().input_tags.sparse


@parametrize_with_checks([MLPRegressor(hidden_layer_sizes=(Scale(), 8))])
def test_scikit_learn_checks_pass_with_the_custom_layer(estimator, check):
    check(estimator)
