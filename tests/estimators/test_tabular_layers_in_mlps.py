"""The tabular and ensemble layers inside today's MLP estimators.

Until the tabular estimators assemble them, these layers already go into
``hidden_layer_sizes``: a RealMLP-style front (PBLD embeddings of the numeric
columns, the feature scale, NTK dense layers, parametric activations) and a
TabM-style ensemble body fit, predict better than chance, survive pickling
and cloning, and report their parameters by group in ``layer_params_``.
"""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

from skneural import MLPSoftmaxClassifier
from skneural.engine.ensemble_layers import EnsembleDense, EnsembleInput
from skneural.engine.layers import Dense
from skneural.engine.tabular_layers import (
    FeatureScale,
    ParametricActivation,
    PeriodicEmbedding,
)

REALMLP_FRONT = (
    PeriodicEmbedding(n_frequencies=8, columns=[0, 1, 2, 3]),
    FeatureScale(),
    Dense(32, parametrization="ntk"),
    ParametricActivation("selu"),
)
TABM_BODY = (
    EnsembleInput(4),
    EnsembleDense(16, 4),
    ParametricActivation("relu"),
    EnsembleDense(8, 4, sharing="none"),
)


@pytest.mark.parametrize("hidden", [REALMLP_FRONT, TABM_BODY], ids=["realmlp", "tabm"])
def test_an_mlp_fits_predicts_pickles_and_clones_with_the_layers(hidden):
    X, y = make_classification(
        n_samples=300, n_features=6, n_informative=4, random_state=0
    )
    model = MLPSoftmaxClassifier(
        hidden_layer_sizes=hidden, solver="adam", max_iter=60, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X[:200], y[:200])
    # Chance is 0.5; logistic regression scores 0.73 on these rows.
    assert model.score(X[200:], y[200:]) > 0.65
    restored = pickle.loads(pickle.dumps(model))
    assert_array_equal(restored.predict_proba(X), model.predict_proba(X))
    assert clone(model).get_params()["hidden_layer_sizes"] == hidden
    first = hidden[0]
    names = set(model.layer_params_[0])
    assert names == {group.name for group in first.parameter_groups(6)}
    assert np.isfinite(
        np.concatenate([v.ravel() for v in model.layer_params_[0].values()])
    ).all()


def test_an_ensemble_body_ends_in_one_head_per_member_started_at_the_target_mean():
    from skneural import MLPRegressor
    from skneural.engine.layers import ActivationLayer

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = np.column_stack([X[:, 0] + 5.0, -3.0 + 0 * X[:, 1]])
    body = (EnsembleInput(3), EnsembleDense(8, 3, sharing="shared"))
    reg = MLPRegressor(
        hidden_layer_sizes=(*body, ActivationLayer("relu")), learning_rate_init=1e-12
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.set_params(max_iter=1).fit(X, y)
    heads = reg.layer_params_[-1]
    # Every member's head starts at the best constant: the target's mean.
    assert heads["intercept"].shape == (3, 2)
    # (one Adam step of 1e-12 away from it).
    np.testing.assert_allclose(
        heads["intercept"], np.tile(y.mean(axis=0), (3, 1)), atol=1e-9
    )
    assert reg.coefs_ == [] and reg.intercepts_ == []
    network = reg._network
    params = network.pack(
        [], [], dtype=np.float64, layer_params=reg._fitted_layer_params()
    )
    members = network.predict_member_raw(params, X)
    np.testing.assert_allclose(reg.predict(X), members.mean(axis=1), rtol=1e-12)
