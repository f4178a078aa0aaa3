"""Persistence with skops: a fitted estimator loads trusting its own class only.

skops (``skops.io``) loads no class it is not told to trust. A fitted
estimator holds arrays and plain values (the engine objects are stored as the
data they are rebuilt from), so that loading it asks the user to trust no more
types, besides the estimator's own class, than scikit-learn's own fitted
``MLPClassifier`` asks for. Loaded, it predicts identically and resumes
training (``partial_fit``, ``warm_start``) bit for bit as the original would.
Engine objects passed as parameters are stored as the objects they are: their
classes are the ones to trust beyond that.
"""

import doctest
import pickle
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from skneural import (
    GDLinearRegressor,
    GDLogisticClassifier,
    MLPRegressor,
    MLPSoftmaxClassifier,
)
from skneural.engine.activations import ACTIVATIONS, Tanh, register_activation
from skneural.engine.ensemble_layers import EnsembleDense, EnsembleInput
from skneural.engine.optimizers import AdamW, Optimizer
from skneural.engine.schedules import Cosine
from skneural.engine.tabular_layers import ParametricActivation

sio = pytest.importorskip("skops.io")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

TABM_BODY = (
    EnsembleInput(3),
    EnsembleDense(6, 3),
    ParametricActivation("relu"),
    EnsembleDense(6, 3, sharing="none"),
)


@dataclass
class SignState:
    """Scratch buffer of :class:`SignSGD`."""

    scratch: np.ndarray


class SignSGD(Optimizer):
    """An optimizer written outside the package: ``params -= lr * sign(grad)``."""

    def init(self, params):
        return SignState(np.empty_like(params))

    def update(self, params, grad, state, learning_rate):
        np.sign(grad, out=state.scratch)
        state.scratch *= learning_rate
        params -= state.scratch


# (id, class, parameters, target): "binary", "multiclass", "single" (one
# regression target) or "multi" (two).
CASES = [
    ("logistic-binary", GDLogisticClassifier, {"solver": "adam"}, "binary"),
    ("logistic-multiclass", GDLogisticClassifier, {"solver": "sgd"}, "multiclass"),
    ("linear-single", GDLinearRegressor, {"solver": "sgd"}, "single"),
    ("linear-multi", GDLinearRegressor, {"solver": "adam"}, "multi"),
    ("mlp-binary", MLPSoftmaxClassifier, {}, "binary"),
    ("mlp-multiclass", MLPSoftmaxClassifier, {"solver": "sgd"}, "multiclass"),
    ("mlp-dropout", MLPSoftmaxClassifier, {"dropout": 0.2}, "multiclass"),
    ("mlp-regressor-single", MLPRegressor, {}, "single"),
    ("mlp-regressor-multi", MLPRegressor, {"solver": "sgd"}, "multi"),
    ("mlp-regressor-dropout", MLPRegressor, {"dropout": 0.2}, "multi"),
    ("mlp-early-stopping", MLPSoftmaxClassifier, {"early_stopping": True}, "binary"),
]
# Engine objects as parameters: each class named is one to trust on load.
ENGINE_OBJECT_CASES = [
    (
        "mlp-ensemble",
        MLPSoftmaxClassifier,
        {"hidden_layer_sizes": TABM_BODY},
        "multiclass",
        {
            "skneural.engine.ensemble_layers.EnsembleInput",
            "skneural.engine.ensemble_layers.EnsembleDense",
            "skneural.engine.tabular_layers.ParametricActivation",
            # ParametricActivation("relu") holds the activation it names.
            "skneural.engine.activations.ReLU",
        },
    ),
    (
        "mlp-adamw-cosine",
        MLPRegressor,
        {"solver": AdamW(weight_decay=0.01), "learning_rate": Cosine()},
        "multi",
        {"skneural.engine.optimizers.AdamW", "skneural.engine.schedules.Cosine"},
    ),
    (
        # Its state, of a class skneural does not know, stays the object it is.
        "own-optimizer",
        GDLinearRegressor,
        {"solver": SignSGD(), "learning_rate_init": 0.01},
        "single",
        {f"{__name__}.SignSGD", f"{__name__}.SignState"},
    ),
]


def make_data(target, seed=0, n_samples=60):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, 4))
    if target == "binary":
        return X, np.where(X[:, 0] + rng.normal(size=n_samples) > 0, "yes", "no")
    if target == "multiclass":
        return X, np.resize(np.array(["cat", "dog", "eel"]), n_samples)
    coef = rng.normal(size=(4, 2))
    y = X @ coef
    return X, y[:, 0] if target == "single" else y


def fitted(cls, params, target):
    params = {"random_state": 0, "max_iter": 5, **params}
    if "hidden_layer_sizes" in cls().get_params():
        params.setdefault("hidden_layer_sizes", (7,))
    return cls(**params).fit(*make_data(target))


def qualified_name(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


def sklearn_mlp_untrusted_types():
    """The types skops asks to trust for a fitted scikit-learn MLPClassifier."""
    X, y = make_data("multiclass")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp = MLPClassifier(hidden_layer_sizes=(7,), max_iter=5, random_state=0)
        mlp.fit(X, y)
    return sio.get_untrusted_types(data=sio.dumps(mlp))


def outputs(estimator, X):
    methods = ["predict", "predict_proba", "predict_log_proba", "decision_function"]
    return [getattr(estimator, m)(X) for m in methods if hasattr(estimator, m)]


def assert_identical(left, right):
    for a, b in zip(left, right, strict=True):
        assert_array_equal(a, b, strict=True)


def training_record(estimator):
    """Everything training leaves behind, as arrays and plain values."""
    state = estimator.__getstate__()
    arrays = [*estimator.coefs_, *estimator.intercepts_]
    for layer in getattr(estimator, "layer_params_", []):
        arrays.extend(layer.values())
    training = state["_training_state"]
    optimizer_state = training.pop("optimizer_state")
    if not isinstance(optimizer_state, dict):
        optimizer_state = vars(optimizer_state)
    arrays.extend(v for v in optimizer_state.values() if isinstance(v, np.ndarray))
    return arrays, (
        estimator.loss_curve_,
        estimator.t_,
        estimator.n_iter_,
        {k: v for k, v in optimizer_state.items() if not isinstance(v, np.ndarray)},
        {k: v for k, v in training.items() if not isinstance(v, dict)},
        training["monitor"],
    )


def assert_same_training(left, right):
    left_arrays, left_values = training_record(left)
    right_arrays, right_values = training_record(right)
    assert_identical(left_arrays, right_arrays)
    # NaN-free records (nothing diverged), so == compares them exactly.
    assert repr(left_values) == repr(right_values)


def round_trip(estimator, trusted):
    return sio.loads(sio.dumps(estimator), trusted=trusted)


def check_loads_and_resumes(estimator, trusted, target):
    copy = round_trip(estimator, trusted)
    assert type(copy) is type(estimator)
    X_new, y_new = make_data(target, seed=1)
    assert_identical(outputs(copy, X_new), outputs(estimator, X_new))
    # partial_fit resumes from the optimizer's moments and counters.
    for seed in (2, 3):
        X, y = make_data(target, seed=seed)
        estimator.partial_fit(X, y)
        copy.partial_fit(X, y)
        assert_same_training(copy, estimator)
    # warm_start after a second round trip, mid-training.
    copy = round_trip(copy, trusted)
    X, y = make_data(target, seed=4)
    estimator.set_params(warm_start=True, max_iter=3).fit(X, y)
    copy.set_params(warm_start=True, max_iter=3).fit(X, y)
    assert_same_training(copy, estimator)
    assert_identical(outputs(copy, X_new), outputs(estimator, X_new))


@pytest.mark.parametrize(
    "cls, params, target", [case[1:] for case in CASES], ids=[c[0] for c in CASES]
)
def test_loads_trusting_no_more_than_sklearn_mlp_and_resumes(cls, params, target):
    if params.get("early_stopping"):
        # partial_fit refuses early stopping; fit with it, then resume without.
        estimator = fitted(cls, params, target).set_params(early_stopping=False)
    else:
        estimator = fitted(cls, params, target)
    untrusted = sio.get_untrusted_types(data=sio.dumps(estimator))
    own = qualified_name(cls)
    assert own in untrusted
    assert len(set(untrusted) - {own}) <= len(sklearn_mlp_untrusted_types())
    check_loads_and_resumes(estimator, untrusted, target)


def test_the_default_fits_need_no_type_beyond_their_own_class():
    # Stricter than the rule above, which allows as many as scikit-learn's MLP.
    for _, cls, params, target in CASES:
        estimator = fitted(cls, params, target)
        untrusted = sio.get_untrusted_types(data=sio.dumps(estimator))
        assert untrusted == [qualified_name(cls)]


@pytest.mark.parametrize(
    "cls, params, target, expected",
    [case[1:] for case in ENGINE_OBJECT_CASES],
    ids=[case[0] for case in ENGINE_OBJECT_CASES],
)
def test_engine_objects_as_parameters_are_the_types_to_trust(
    cls, params, target, expected
):
    estimator = fitted(cls, params, target)
    untrusted = sio.get_untrusted_types(data=sio.dumps(estimator))
    assert set(untrusted) == {qualified_name(cls), *expected}
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException):
        round_trip(estimator, [qualified_name(cls)])
    check_loads_and_resumes(estimator, untrusted, target)


@pytest.mark.parametrize("cls", [GDLogisticClassifier, MLPRegressor])
def test_lbfgs_and_unfitted_estimators_round_trip(cls):
    target = "binary" if is_classifier(cls()) else "single"
    unfitted = cls(random_state=0)
    untrusted = sio.get_untrusted_types(data=sio.dumps(unfitted))
    assert untrusted == [qualified_name(cls)]
    copy = round_trip(unfitted, untrusted)
    assert copy.get_params() == unfitted.get_params()
    estimator = fitted(cls, {"solver": "lbfgs"}, target)
    copy = round_trip(estimator, untrusted)
    X_new = make_data(target, seed=1)[0]
    assert_identical(outputs(copy, X_new), outputs(estimator, X_new))


def test_the_state_format_is_versioned():
    estimator = fitted(MLPRegressor, {}, "single")
    state = estimator.__getstate__()
    assert state["_skneural_state_version"] == 1
    newer = {**state, "_skneural_state_version": 2}
    with pytest.raises(ValueError, match="format 2 of a newer skneural"):
        MLPRegressor.__new__(MLPRegressor).__setstate__(newer)


def test_a_state_saved_before_the_format_had_a_version_still_loads():
    # Format 0 held the engine objects themselves.
    estimator = fitted(MLPRegressor, {}, "single")
    state = dict(vars(estimator))
    assert "_skneural_state_version" not in state
    old = MLPRegressor.__new__(MLPRegressor)
    old.__setstate__(state)
    assert old._network is estimator._network
    X_new = make_data("single", seed=1)[0]
    assert_identical(outputs(old, X_new), outputs(estimator, X_new))
    copy = pickle.loads(pickle.dumps(old))
    X, y = make_data("single", seed=2)
    old.partial_fit(X, y)
    copy.partial_fit(X, y)
    assert_same_training(copy, old)


class SkopsTanh(Tanh):
    """A registered activation: skops lists its class, which travels along."""


def test_a_registered_name_travels_with_its_class():
    register_activation("test_skops_tanh", SkopsTanh)
    try:
        estimator = fitted(MLPRegressor, {"activation": "test_skops_tanh"}, "single")
        untrusted = sio.get_untrusted_types(data=sio.dumps(estimator))
        expected = {qualified_name(MLPRegressor), qualified_name(SkopsTanh)}
        assert set(untrusted) == expected
        data = sio.dumps(estimator)
        # As in a process that never registered it.
        ACTIVATIONS.pop("test_skops_tanh")
        copy = sio.loads(data, trusted=untrusted)
        assert ACTIVATIONS["test_skops_tanh"] is SkopsTanh
        X_new = make_data("single", seed=1)[0]
        assert_identical(outputs(copy, X_new), outputs(estimator, X_new))
    finally:
        ACTIVATIONS.pop("test_skops_tanh", None)


def test_the_recipe_in_the_deploying_guide_runs():
    guide = Path(__file__).parents[1] / "docs" / "guide" / "deploying.rst"
    # The skops section only: other sections may need other extras.
    section = re.search(
        r"\nPersisting with skops\n=+\n(.*?)(?=\n[^\n]+\n=+\n|\Z)",
        guide.read_text(encoding="utf-8"),
        re.DOTALL,
    ).group(1)
    test = doctest.DocTestParser().get_doctest(section, {}, "deploying", None, 0)
    assert len(test.examples) > 10
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    output = []
    runner.run(test, out=output.append)
    assert runner.failures == 0, "".join(output)


@pytest.mark.parametrize(
    "cls, params",
    [
        ("TabularMLPClassifier", {}),
        ("TabularMLPClassifier", {"n_ensemble": 2, "max_one_hot_cardinality": 2}),
        ("TabularMLPRegressor", {}),
        ("TabularMLPRegressor", {"n_networks": 1}),
    ],
)
def test_tabular_mlps_load_trusting_their_own_class_only(cls, params):
    pd = pytest.importorskip("pandas")
    import skneural
    from skneural.datasets import load_heart_disease

    cls = getattr(skneural, cls)
    X, y = load_heart_disease(return_X_y=True, as_frame=True)
    if not is_classifier(cls()):
        y = X.pop("MaxHR").to_numpy(dtype=float)
    estimator = cls(max_iter=3, random_state=0, **params).fit(X, y)
    untrusted = sio.get_untrusted_types(data=sio.dumps(estimator))
    assert untrusted == [qualified_name(cls)]
    X_new = X.iloc[::3].copy()
    X_new.iloc[0] = pd.NA  # missing everywhere, still a valid row
    for copy in (
        round_trip(estimator, untrusted),
        pickle.loads(pickle.dumps(estimator)),
    ):
        assert_array_equal(copy.predict(X_new), estimator.predict(X_new))
        if is_classifier(estimator):
            assert_array_equal(
                copy.predict_proba(X_new), estimator.predict_proba(X_new)
            )
        assert copy.get_params() == estimator.get_params()
        assert [mlp.get_params() for mlp in copy.mlps_] == [
            mlp.get_params() for mlp in estimator.mlps_
        ]


def test_a_tabular_state_saved_before_the_format_had_a_version_still_loads():
    pytest.importorskip("pandas")
    from skneural import TabularMLPClassifier
    from skneural.datasets import load_heart_disease

    X, y = load_heart_disease(return_X_y=True, as_frame=True)
    estimator = TabularMLPClassifier(max_iter=2, random_state=0).fit(X, y)
    old = TabularMLPClassifier.__new__(TabularMLPClassifier)
    old.__setstate__(dict(vars(estimator)))
    assert old.mlp_ is estimator.mlp_
    assert_array_equal(old.predict_proba(X), estimator.predict_proba(X))
    newer = {**estimator.__getstate__(), "_skneural_state_version": 2}
    with pytest.raises(ValueError, match="format 2 of a newer skneural"):
        TabularMLPClassifier.__new__(TabularMLPClassifier).__setstate__(newer)


def test_a_tabular_state_saved_with_one_network_as_mlp_still_loads():
    # Before n_networks, the state held the one network's state as "mlp_".
    pytest.importorskip("pandas")
    from skneural import TabularMLPClassifier
    from skneural.datasets import load_heart_disease

    X, y = load_heart_disease(return_X_y=True, as_frame=True)
    estimator = TabularMLPClassifier(max_iter=2, n_networks=1, random_state=0)
    estimator.fit(X, y)
    state = estimator.__getstate__()
    (state["mlp_"],) = state.pop("mlps_")
    old = TabularMLPClassifier.__new__(TabularMLPClassifier)
    old.__setstate__(state)
    assert len(old.mlps_) == 1
    assert_array_equal(old.predict_proba(X), estimator.predict_proba(X))
