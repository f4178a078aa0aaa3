"""ONNX export: skl2onnx converts pipelines holding skneural estimators.

Each fitted pipeline (a ``ColumnTransformer`` over the heart data, then the
estimator) is converted with skl2onnx's own ``to_onnx`` and run with
onnxruntime; its labels must equal ``predict`` and its probabilities be
within 1e-5 of ``predict_proba``, for every estimator, activation and output
function.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

skl2onnx = pytest.importorskip("skl2onnx")
ort = pytest.importorskip("onnxruntime")

import pandas as pd  # noqa: E402
from onnx import TensorProto, helper  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.exceptions import ConvergenceWarning, NotFittedError  # noqa: E402
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: E402

import skneural.onnx  # noqa: E402
from skneural import (  # noqa: E402
    GDLinearRegressor,
    GDLogisticClassifier,
    MLPRegressor,
    MLPSoftmaxClassifier,
    TabularMLPClassifier,
    TabularMLPRegressor,
)
from skneural.datasets import load_heart_disease  # noqa: E402
from skneural.engine.activations import (  # noqa: E402
    ACTIVATIONS,
    ELU,
    Activation,
    LeakyReLU,
    register_activation,
)
from skneural.engine.ensemble_layers import EnsembleDense, EnsembleInput  # noqa: E402
from skneural.engine.layers import ActivationLayer, Dense, Dropout  # noqa: E402
from skneural.engine.tabular_layers import (  # noqa: E402
    CategoricalEmbedding,
    FeatureScale,
    ParametricActivation,
    PeriodicEmbedding,
)

ACTIVATION_CASES = [
    *ACTIVATIONS.builtin_names,
    LeakyReLU(negative_slope=0.3),
    ELU(alpha=0.4),
]
# Columns the targets are taken from, so they are not features too.
TARGETS = {
    "binary": "AHD",
    "multiclass": "ChestPain",
    "multilabel": ["Sex", "Fbs", "ExAng"],
    "single": "MaxHR",
    "multi-output": ["MaxHR", "RestBP"],
    "poisson": "Chol",
}
CLASSES = ("binary", "multiclass", "multilabel")
PROBABILITY_TOLERANCE = 1e-5


def case_id(value):
    return value if isinstance(value, str) else repr(value)


@pytest.fixture(scope="module")
def heart():
    data = load_heart_disease(as_frame=True)
    return data.frame, data.categorical_features


def heart_problem(heart, target, dtype=np.float32):
    """Features (a DataFrame of float and string columns) and the target."""
    frame, categorical = heart
    columns = TARGETS[target]
    y = frame[columns].to_numpy()
    X = frame.drop(columns=columns)
    categorical = [name for name in categorical if name in X.columns]
    numeric = [name for name in X.columns if name not in categorical]
    X = X.astype({name: dtype for name in numeric})
    # skl2onnx's one-hot encoder takes strings; a missing level is a level.
    X = X.astype({name: str for name in categorical})
    if target == "multiclass":
        y = y.astype(str)
    preprocess = ColumnTransformer(
        [
            (
                "numeric",
                make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                numeric,
            ),
            ("categorical", OneHotEncoder(handle_unknown="ignore"), categorical),
        ]
    )
    return X, y, preprocess


def fitted(estimator, X, y, preprocess=None):
    model = estimator if preprocess is None else make_pipeline(preprocess, estimator)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


def feeds(X, onx):
    names = [graph_input.name for graph_input in onx.graph.input]
    if hasattr(X, "columns"):
        return {name: X[name].to_numpy().reshape(-1, 1) for name in names}
    (name,) = names
    return {name: X}


def run(onx, X):
    session = ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return session.run(None, feeds(X, onx))


def classifier(activation=None, hidden_layer_sizes=(8,), solver="lbfgs", **params):
    if activation is None:
        return GDLogisticClassifier(solver=solver, max_iter=20, **params)
    return MLPSoftmaxClassifier(
        hidden_layer_sizes,
        activation,
        solver=solver,
        max_iter=20,
        random_state=0,
        **params,
    )


def regressor(activation=None, loss="squared_error"):
    # L-BFGS needs a smooth loss.
    solver = "adam" if loss == "absolute_error" else "lbfgs"
    if activation is None:
        return GDLinearRegressor(loss=loss, solver=solver, max_iter=20)
    return MLPRegressor(
        loss, (8,), activation, solver=solver, max_iter=20, random_state=0
    )


def check_classifier(model, X, onx):
    labels, probabilities = run(onx, X)
    assert probabilities.dtype == np.float32
    assert_array_equal(labels, model.predict(X))
    assert_allclose(probabilities, model.predict_proba(X), atol=PROBABILITY_TOLERANCE)


@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize("activation", [None, *ACTIVATION_CASES], ids=case_id)
def test_classifier_pipeline_matches_predict_and_predict_proba(
    heart, activation, target
):
    X, y, preprocess = heart_problem(heart, target)
    model = fitted(classifier(activation), X, y, preprocess)
    onx = skl2onnx.to_onnx(model, X[:1], options={"zipmap": False})
    check_classifier(model, X, onx)


# GDLinearRegressor (activation None) has no Poisson loss.
REGRESSOR_CASES = [
    (activation, target)
    for activation in [None, *ACTIVATION_CASES]
    for target in ("single", "multi-output", "poisson")
    if activation is not None or target != "poisson"
]


@pytest.mark.parametrize(
    ("activation", "target"),
    REGRESSOR_CASES,
    ids=[f"{case_id(a)}-{t}" for a, t in REGRESSOR_CASES],
)
def test_regressor_pipeline_matches_predict(heart, activation, target):
    X, y, preprocess = heart_problem(heart, target)
    loss = "poisson" if target == "poisson" else "squared_error"
    model = fitted(regressor(activation, loss), X, y, preprocess)
    onx = skl2onnx.to_onnx(model, X[:1])
    (prediction,) = run(onx, X)
    n_outputs = 2 if target == "multi-output" else 1
    # (n_samples, 1) for one target, as skl2onnx gives scikit-learn's regressors.
    assert prediction.shape == (len(X), n_outputs)
    assert prediction.dtype == np.float32
    expected = model.predict(X).reshape(len(X), n_outputs)
    assert_allclose(prediction, expected, rtol=1e-5, atol=1e-5)


def test_absolute_error_regressor_converts(heart):
    X, y, preprocess = heart_problem(heart, "single")
    model = fitted(regressor(loss="absolute_error"), X, y, preprocess)
    (prediction,) = run(skl2onnx.to_onnx(model, X[:1]), X)
    assert_allclose(prediction[:, 0], model.predict(X), rtol=1e-5)


def test_linear_regressor_on_a_column_target_keeps_its_column(heart):
    X, y, preprocess = heart_problem(heart, "single")
    model = fitted(regressor(), X, y.reshape(-1, 1), preprocess)
    assert model.predict(X).shape == (len(X), 1)
    (prediction,) = run(skl2onnx.to_onnx(model, X[:1]), X)
    assert_allclose(prediction, model.predict(X), rtol=1e-5)


@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize("zipmap", [True, "columns"])
def test_zipmap_maps_classes_to_probabilities(heart, target, zipmap):
    X, y, preprocess = heart_problem(heart, target)
    model = fitted(classifier("tanh"), X, y, preprocess)
    onx = skl2onnx.to_onnx(model, X[:1], options={"zipmap": zipmap})
    labels, *probabilities = run(onx, X)
    assert_array_equal(labels, model.predict(X))
    classes = model.classes_
    if zipmap is True:
        (rows,) = probabilities
        probabilities = [[row[label] for label in classes] for row in rows]
    else:
        assert len(probabilities) == len(classes)
        probabilities = np.column_stack(probabilities)
    assert_allclose(probabilities, model.predict_proba(X), atol=PROBABILITY_TOLERANCE)


def test_float64_zipmap_is_refused_with_the_options_that_work():
    X, y = numeric_problem("multiclass")
    model = fitted(classifier("relu"), X, y)
    with pytest.raises(ValueError, match="zipmap=False or zipmap='columns'"):
        skl2onnx.to_onnx(model, X[:1])
    onx = skl2onnx.to_onnx(model, X[:1], options={"zipmap": "columns"})
    labels, *columns = run(onx, X)
    assert_array_equal(labels, model.predict(X))
    assert_allclose(np.column_stack(columns), model.predict_proba(X), rtol=1e-12)


def test_output_class_labels_lists_the_classes(heart):
    X, y, preprocess = heart_problem(heart, "multiclass")
    model = fitted(classifier(), X, y, preprocess)
    options = {"zipmap": False, "output_class_labels": True}
    labels, probabilities, classes = run(
        skl2onnx.to_onnx(model, X[:1], options=options), X
    )
    assert_array_equal(classes, model.classes_)
    assert_array_equal(labels, model.predict(X))


def test_unfitted_estimator_and_wrong_width_are_refused():
    X, y = numeric_problem("single")
    X32 = X.astype(np.float32)
    with pytest.raises(NotFittedError):
        skl2onnx.to_onnx(regressor("relu"), X32[:1])
    model = fitted(regressor("relu"), X, y)
    with pytest.raises(ValueError, match="has 3 columns.*fitted on 4 features"):
        skl2onnx.to_onnx(model, X32[:1, :3])


def test_binary_probabilities_are_the_sigmoid_of_one_score(heart):
    # skl2onnx's linear converter takes a softmax of the single score instead.
    X, y, preprocess = heart_problem(heart, "binary")
    model = fitted(classifier(), X, y, preprocess)
    _, probabilities = run(skl2onnx.to_onnx(model, X[:1], options={"zipmap": False}), X)
    scores = model.decision_function(X)
    expected = 1 / (1 + np.exp(-scores))
    assert_allclose(probabilities[:, 1], expected, atol=PROBABILITY_TOLERANCE)
    assert np.ptp(probabilities[:, 1]) > 0.5


def test_string_and_integer_labels_keep_their_type(heart):
    X, y, preprocess = heart_problem(heart, "binary")
    for labels in (np.where(y == 1, "disease", "healthy"), y + 10):
        model = fitted(classifier(), X, labels, preprocess)
        onx = skl2onnx.to_onnx(model, X[:1], options={"zipmap": False})
        predicted, _ = run(onx, X)
        kind = np.asarray(labels).dtype.kind
        assert isinstance(predicted[0], str) if kind == "U" else kind == "i"
        assert_array_equal(predicted, model.predict(X))


def test_nocl_outputs_class_indices(heart):
    X, y, preprocess = heart_problem(heart, "multiclass")
    model = fitted(classifier("relu"), X, y, preprocess)
    onx = skl2onnx.to_onnx(model, X[:1], options={"zipmap": False, "nocl": True})
    labels, _ = run(onx, X)
    assert_array_equal(labels, np.searchsorted(model.classes_, model.predict(X)))


def test_float_labels_come_out_as_integers():
    # scikit-learn takes float labels only when they are whole numbers.
    X, y = numeric_problem("binary")
    model = fitted(classifier(), X, y.astype(float))
    X32 = X.astype(np.float32)
    onx = skl2onnx.to_onnx(model, X32[:1], options={"zipmap": False})
    labels, _ = run(onx, X32)
    assert labels.dtype == np.int64
    assert_array_equal(labels, model.predict(X32))


def numeric_problem(target, n_samples=120):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_samples, 4))
    targets = {
        "binary": (X[:, 0] + X[:, 1] > 0).astype(int),
        "multiclass": np.digitize(X[:, 0] - X[:, 2], [-0.5, 0.5]),
        "multilabel": (X[:, :3] > 0).astype(int),
        "single": X @ [1.0, -2.0, 0.5, 0.0],
        "multi-output": X[:, :2] * 3 + 1,
        "poisson": rng.poisson(np.exp(0.5 * X[:, 0])),
    }
    return X, targets[target]


@pytest.mark.parametrize(
    "activation",
    [None, *(case for case in ACTIVATION_CASES if case != "gelu")],
    ids=case_id,
)
def test_float64_graph_matches_to_double_precision(activation):
    cases = [
        (classifier(activation), target)
        for target in ("binary", "multiclass", "multilabel")
    ] + [(regressor(activation), "multi-output")]
    if activation is not None:
        cases.append((regressor(activation, "poisson"), "poisson"))
    for estimator, target in cases:
        X, y = numeric_problem(target)
        model = fitted(estimator, X, y, StandardScaler())
        options = {type(estimator): {"zipmap": False}} if target in CLASSES else None
        onx = skl2onnx.to_onnx(model, X[:1], options=options)
        assert onx.graph.output[-1].type.tensor_type.elem_type == TensorProto.DOUBLE
        outputs = run(onx, X)
        if len(outputs) == 2:
            labels, probabilities = outputs
            assert_array_equal(labels, model.predict(X))
            assert_allclose(
                probabilities, model.predict_proba(X), rtol=1e-12, atol=1e-15
            )
        else:
            expected = model.predict(X).reshape(outputs[0].shape)
            assert_allclose(outputs[0], expected, rtol=1e-12, atol=1e-12)


def test_float64_gelu_names_the_missing_kernel():
    X, y = numeric_problem("binary")
    model = fitted(classifier("gelu"), X, y)
    with pytest.raises(ValueError, match="'Erf'.*float32 only"):
        skl2onnx.to_onnx(model, X[:1], options={"zipmap": False})
    # The float32 graph converts.
    check_classifier(
        model,
        X.astype(np.float32),
        skl2onnx.to_onnx(model, X[:1].astype(np.float32), options={"zipmap": False}),
    )


def test_the_float32_only_operators_have_no_float64_kernel():
    # The list that guards float64 graphs is what onnxruntime does.
    def session(op_type, element_type):
        graph = helper.make_graph(
            [helper.make_node(op_type, ["x"], ["y"])],
            "one_node",
            [helper.make_tensor_value_info("x", element_type, [None, 2])],
            [helper.make_tensor_value_info("y", element_type, [None, 2])],
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)])
        model.ir_version = 9
        return ort.InferenceSession(
            model.SerializeToString(), providers=["CPUExecutionProvider"]
        )

    for op_type in sorted(skneural.onnx.FLOAT32_ONLY_OPS):
        session(op_type, TensorProto.FLOAT)
        with pytest.raises(Exception, match="NOT_IMPLEMENTED"):
            session(op_type, TensorProto.DOUBLE)


@pytest.mark.parametrize("activation", ACTIVATION_CASES, ids=case_id)
def test_extreme_inputs_stay_finite_and_match(activation):
    X, y = numeric_problem("single")
    model = fitted(regressor(activation), X, y)
    extreme = np.array([[1e4, -1e4, 3e4, -3e4], [-1e4, 1e4, -3e4, 3e4]])
    (prediction,) = run(
        skl2onnx.to_onnx(model, X[:1].astype(np.float32)), extreme.astype(np.float32)
    )
    assert np.isfinite(prediction).all()
    assert_allclose(prediction[:, 0], model.predict(extreme), rtol=1e-4)


def test_poisson_output_is_capped_not_infinite():
    X, y = numeric_problem("poisson")
    model = fitted(regressor("relu", "poisson"), X, y)
    extreme = np.full((1, 4), 1e30, np.float32)
    (prediction,) = run(skl2onnx.to_onnx(model, X[:1].astype(np.float32)), extreme)
    assert np.isfinite(prediction).all()


class SquarePlus(Activation):
    """``(z + sqrt(z^2 + 4)) / 2``, a smooth ReLU with no ONNX graph built in."""

    def forward(self, z, out):
        root = np.sqrt(z * z + 4)
        return np.multiply(z + root, 0.5, out=out)

    def multiply_derivative(self, delta, z, a, scratch=None):
        # f' = f / sqrt(z^2 + 4), written from the output: sqrt(z^2 + 4) = 2a - z
        # and z = a - 1 / a.
        delta *= a * a / (a * a + 1)
        return delta


@pytest.fixture
def squareplus():
    """Register SquarePlus under a name for one test, and unregister it after."""
    register_activation("onnx_test_squareplus", SquarePlus)
    yield "onnx_test_squareplus"
    ACTIVATIONS.pop("onnx_test_squareplus")


def emit_squareplus(graph, activation, z):
    root = graph.node(
        "Sqrt", graph.node("Add", graph.node("Mul", z, z), graph.constant(4.0))
    )
    return graph.node("Mul", graph.node("Add", z, root), graph.constant(0.5))


def test_custom_activation_without_a_graph_is_named(heart, monkeypatch, squareplus):
    monkeypatch.delitem(skneural.onnx.ACTIVATION_EMITTERS, SquarePlus, raising=False)
    X, y, preprocess = heart_problem(heart, "binary")
    model = fitted(classifier(squareplus), X, y, preprocess)
    with pytest.raises(ValueError, match=r"SquarePlus\(\) has no ONNX graph"):
        skl2onnx.to_onnx(model, X[:1])


def test_custom_activation_converts_once_its_emitter_is_registered(
    heart, monkeypatch, squareplus
):
    monkeypatch.setattr(
        skneural.onnx, "ACTIVATION_EMITTERS", dict(skneural.onnx.ACTIVATION_EMITTERS)
    )
    skneural.onnx.register_activation_emitter(SquarePlus, emit_squareplus)
    X, y, preprocess = heart_problem(heart, "multiclass")
    model = fitted(classifier(squareplus), X, y, preprocess)
    onx = skl2onnx.to_onnx(model, X[:1], options={"zipmap": False})
    check_classifier(model, X, onx)


def test_a_subclass_does_not_borrow_its_parents_graph():
    class ShiftedReLU(type(ACTIVATIONS.create("relu"))):
        def forward(self, z, out):
            return np.maximum(z - 1, 0, out=out)

    X, y = numeric_problem("binary")
    model = fitted(classifier(ShiftedReLU()), X, y)
    with pytest.raises(ValueError, match="ShiftedReLU.*has no ONNX graph"):
        skl2onnx.to_onnx(model, X[:1].astype(np.float32))


def test_emitter_registration_checks_its_arguments():
    with pytest.raises(TypeError, match="subclass of Activation"):
        skneural.onnx.register_activation_emitter("relu", emit_squareplus)
    with pytest.raises(TypeError, match="callable"):
        skneural.onnx.register_activation_emitter(SquarePlus, None)
    with pytest.raises(TypeError, match="subclass of Layer"):
        skneural.onnx.register_layer_emitter(SquarePlus, emit_squareplus)


def test_a_layer_without_a_graph_is_named_and_the_layer_hook_converts(monkeypatch):
    class OwnScale(FeatureScale):
        """A layer of a user's: its parent's graph is not borrowed."""

    X, y = numeric_problem("multiclass")
    model = fitted(classifier("relu", hidden_layer_sizes=(OwnScale(), 6)), X, y)
    with pytest.raises(ValueError, match=r"OwnScale\(.*\) has no ONNX graph"):
        skl2onnx.to_onnx(model, X[:1].astype(np.float32))

    def emit_own_scale(graph, layer, params, x, n_inputs):
        return graph.node("Mul", x, graph.constant(params[0]))

    monkeypatch.setattr(
        skneural.onnx, "LAYER_EMITTERS", dict(skneural.onnx.LAYER_EMITTERS)
    )
    skneural.onnx.register_layer_emitter(OwnScale, emit_own_scale)
    X32 = X.astype(np.float32)
    onx = skl2onnx.to_onnx(model, X32[:1], options={"zipmap": False})
    check_classifier(model, X32, onx)


def test_dropout_and_activation_layers_and_ntk_dense_layers_convert():
    X, y = numeric_problem("multiclass")
    hidden = (Dense(7, "tanh", parametrization="ntk"), 5, ActivationLayer("silu"))
    model = fitted(classifier("relu", hidden, "adam", dropout=[0.0, 0.3, 0.0]), X, y)
    X32 = X.astype(np.float32)
    check_classifier(
        model, X32, skl2onnx.to_onnx(model, X32[:1], options={"zipmap": False})
    )


# ------------------------------------------------------------ tabular layers
def layer_problem(target, dtype):
    """The numeric problem with a fifth column of integer codes 0 to 4."""
    X, y = numeric_problem(target)
    codes = np.digitize(X[:, 3], [-1.0, -0.3, 0.3, 1.0])
    return np.column_stack([X, codes]).astype(dtype), y


def tabular_layers(members=None, sharing="shared", scaling_init="random-signs"):
    layers = [
        CategoricalEmbedding(columns=[4], cardinalities=[5], dim=3),
        PeriodicEmbedding(n_frequencies=4, columns=[0, 1, 2], activation="relu"),
        PeriodicEmbedding(n_frequencies=3, embedding_width=2),
        FeatureScale(),
    ]
    if members is None:
        return (*layers, Dense(6), ParametricActivation("mish"), Dropout(0.2))
    return (
        *layers,
        EnsembleInput(members, scaling_init),
        EnsembleDense(6, members, sharing),
        ParametricActivation("selu"),
        Dropout(0.2),
        EnsembleDense(5, members, "adapters"),
        ActivationLayer("tanh"),
    )


LAYER_CASES = [
    {},
    {"members": 3},
    {"members": 3, "sharing": "adapters", "scaling_init": "normal"},
    {"members": 2, "sharing": "none", "scaling_init": None},
]
LAYER_TARGETS = ["binary", "multiclass", "multilabel", "multi-output", "poisson"]


def layer_model(target, **layers):
    hidden = tabular_layers(**layers)
    params = {"solver": "adam", "max_iter": 30, "random_state": 0}
    if target in CLASSES:
        return MLPSoftmaxClassifier(hidden, **params)
    loss = "poisson" if target == "poisson" else "squared_error"
    return MLPRegressor(loss, hidden, **params)


def check_outputs(model, X, outputs, target, rtol, atol, value_atol=None):
    """Labels equal predict; probabilities or values close to the model's."""
    if target in CLASSES:
        labels, probabilities = outputs
        assert_array_equal(labels, model.predict(X))
        assert_allclose(probabilities, model.predict_proba(X), rtol=rtol, atol=atol)
    else:
        (prediction,) = outputs
        expected = model.predict(X).reshape(prediction.shape)
        value_atol = atol if value_atol is None else value_atol
        assert_allclose(prediction, expected, rtol=rtol, atol=value_atol)
    return outputs


def check_network(model, X, target, rtol, atol):
    options = {"zipmap": False} if target in CLASSES else None
    outputs = run(skl2onnx.to_onnx(model, X[:1], options=options), X)
    return check_outputs(model, X, outputs, target, rtol, atol)


@pytest.mark.parametrize("target", LAYER_TARGETS)
@pytest.mark.parametrize("layers", LAYER_CASES, ids=repr)
def test_tabular_and_ensemble_layers_convert(target, layers):
    # Embeddings, scales, parametric activations, dropout and the ensemble's
    # members, their sharings and the mean of their predictions.
    X, y = layer_problem(target, np.float32)
    model = fitted(layer_model(target, **layers), X, y)
    if layers:
        assert model._network.n_members == layers["members"]
    check_network(model, X, target, rtol=1e-5, atol=PROBABILITY_TOLERANCE)


@pytest.mark.parametrize("target", LAYER_TARGETS)
def test_tabular_and_ensemble_layers_convert_to_float64(target):
    X, y = layer_problem(target, np.float64)
    model = fitted(layer_model(target, members=3, sharing="adapters"), X, y)
    check_network(model, X, target, rtol=1e-12, atol=1e-14)


def test_ensemble_mean_stays_finite_on_extreme_inputs():
    # The members' log-sum-exps, as in the engine: no member's exponential
    # overflows however far out the input lies.
    for target in ("multiclass", "multilabel", "poisson"):
        X, y = layer_problem(target, np.float32)
        model = fitted(layer_model(target, members=3), X, y)
        extreme = np.tile(X[:2], (2, 1))
        extreme[:, :4] = [[1e4, -1e4, 3e4, -3e4]] * 2 + [[-3e4, 3e4, -1e4, 1e4]] * 2
        outputs = check_network(model, extreme, target, rtol=1e-4, atol=1e-5)
        assert all(np.isfinite(output).all() for output in outputs)


# --------------------------------------------------------- tabular estimators
def tabular(target, **params):
    params = {
        "hidden_layer_sizes": (16, 16),
        "max_iter": 8,
        "random_state": 0,
        **params,
    }
    if target in CLASSES:
        return TabularMLPClassifier(**params)
    return TabularMLPRegressor(**params)


def tabular_problem(target, dtype=np.float32, n_samples=160):
    """Numbers with missing values and columns of integer-coded categories.

    Column 1 is far from unit scale, column 2 has missing values, column 4
    holds 3 levels and column 5 holds 12.
    """
    X, y = numeric_problem(target, n_samples)
    rng = np.random.default_rng(1)
    X[:, 1] = 1e3 * X[:, 1] + 5e3
    X[rng.random(n_samples) < 0.15, 2] = np.nan
    levels = np.column_stack(
        [rng.integers(0, 3, n_samples), rng.integers(0, 12, n_samples)]
    )
    return np.column_stack([X, levels]).astype(dtype), y


def new_rows(X):
    """Rows that fit did not see: extremes, NaN where fit had none, new levels."""
    rows = X[:6].copy()
    rows[0, :4] = [1e4, -1e9, 3e4, -3e4]
    rows[1, :4] = [-1e4, 1e9, -3e4, 3e4]
    rows[2, 0] = np.nan  # no indicator: only imputed
    rows[3, 4] = 7  # a level fit did not see: zeros in the one-hot block
    rows[4, 5] = 40  # code 0 in the embedding
    rows[5, 2] = np.nan
    return rows


def check_tabular(model, X, onx, target, rtol=1e-5, atol=PROBABILITY_TOLERANCE):
    outputs = run(onx, X)
    if target not in CLASSES:
        n_outputs = 2 if target == "multi-output" else 1
        assert outputs[0].shape == (len(X), n_outputs)
    # Targets of tens: a float32 network's rounding, rescaled.
    return check_outputs(model, X, outputs, target, rtol, atol, value_atol=10 * atol)


TABULAR_TARGETS = ["binary", "multiclass", "single", "multi-output"]


@pytest.mark.parametrize("target", TABULAR_TARGETS)
@pytest.mark.parametrize("n_ensemble", [None, 3])
@pytest.mark.parametrize("parametric_activation", [True, False])
def test_tabular_estimators_convert_on_numeric_input(
    target, n_ensemble, parametric_activation
):
    X, y = tabular_problem(target)
    model = tabular(
        target,
        n_ensemble=n_ensemble,
        parametric_activation=parametric_activation,
        dropout=0.1,
        categorical_features=[4, 5],
        max_one_hot_cardinality=4,
    )
    model = fitted(model, X, y)
    assert model.preprocessor_.missing_indicator_features_.tolist() == [2]
    assert model.preprocessor_.embedded_features_.tolist() == [5]
    options = {"zipmap": False} if target in CLASSES else None
    onx = skl2onnx.to_onnx(model, X[:1], options=options)
    check_tabular(model, X, onx, target)
    outputs = check_tabular(model, new_rows(X), onx, target)
    assert all(
        np.isfinite(output).all() for output in outputs if output.dtype.kind == "f"
    )


@pytest.mark.parametrize("target", TABULAR_TARGETS)
@pytest.mark.parametrize("n_ensemble", [None, 2])
def test_several_tabular_networks_convert_to_their_mean(target, n_ensemble):
    X, y = tabular_problem(target)
    model = tabular(
        target, n_networks=3, n_ensemble=n_ensemble, categorical_features=[4, 5]
    )
    model = fitted(model, X, y)
    options = {"zipmap": False} if target in CLASSES else None
    onx = skl2onnx.to_onnx(model, X[:1], options=options)
    check_tabular(model, X, onx, target)
    check_tabular(model, new_rows(X), onx, target)


@pytest.mark.parametrize("target", TABULAR_TARGETS)
def test_tabular_estimators_convert_to_float64(target):
    X, y = tabular_problem(target, np.float64)
    model = fitted(tabular(target, n_ensemble=2, categorical_features=[4]), X, y)
    options = {"zipmap": False} if target in CLASSES else None
    onx = skl2onnx.to_onnx(model, X[:1], options=options)
    assert onx.graph.output[-1].type.tensor_type.elem_type == TensorProto.DOUBLE
    check_tabular(model, X, onx, target, rtol=1e-12, atol=1e-12)


def test_tabular_preprocessing_options_convert():
    # Standard scaling without clipping or indicators, and no embeddings.
    X, y = tabular_problem("multiclass")
    model = tabular(
        "multiclass",
        scaling="standard",
        smooth_clip=None,
        add_indicator=False,
        numeric_embedding=None,
        feature_scaling=False,
    )
    model = fitted(model, X[:, :4], y)
    onx = skl2onnx.to_onnx(model, X[:1, :4], options={"zipmap": "columns"})
    labels, *columns = run(onx, X[:, :4])
    assert_array_equal(labels, model.predict(X[:, :4]))
    assert_allclose(np.column_stack(columns), model.predict_proba(X[:, :4]), atol=1e-5)


def test_tabular_regressor_clips_to_the_training_range():
    X, y = tabular_problem("single")
    model = fitted(tabular("single"), X, y)
    # A narrower range than the training targets', so that the clip bites.
    low, high = np.quantile(model.predict(X), [0.25, 0.75])
    model.target_min_, model.target_max_ = np.array([low]), np.array([high])
    for clip_prediction in (True, False):
        model.set_params(clip_prediction=clip_prediction)
        (prediction,) = run(skl2onnx.to_onnx(model, X[:1]), X)
        assert_allclose(prediction[:, 0], model.predict(X), rtol=1e-5, atol=1e-4)
        inside = (prediction >= np.float32(low)) & (prediction <= np.float32(high))
        assert inside.all() == clip_prediction


def string_categories(frame):
    """The frame as onnxruntime takes it: categorical columns as strings."""
    # Python strings in object columns, which skl2onnx makes string tensors of
    # (it has no type for pandas' own string arrays).
    categorical = [
        name for name in frame.columns if not pd.api.types.is_numeric_dtype(frame[name])
    ]
    return frame.astype({name: str for name in categorical}).astype(
        {name: object for name in categorical}
    )


@pytest.mark.parametrize("numbers", ["as loaded", "float32"])
@pytest.mark.parametrize("max_one_hot_cardinality", [8, 0])
def test_tabular_classifier_converts_a_dataframe_with_categories(
    numbers, max_one_hot_cardinality
):
    X, y = load_heart_disease(return_X_y=True, as_frame=True)
    assert {"ChestPain", "Thal"} <= set(X.select_dtypes("category").columns)
    assert X["Thal"].isna().any() and X["Ca"].isna().any()
    if numbers == "float32":
        X = X.astype({name: np.float32 for name in X.select_dtypes("number").columns})
    model = tabular("binary", max_one_hot_cardinality=max_one_hot_cardinality)
    model = fitted(model, X, y)
    assert len(model.preprocessor_.embedded_features_) == (
        2 if max_one_hot_cardinality == 0 else 0
    )
    strings = string_categories(X)
    # skl2onnx makes one input per column: a string tensor for the categories.
    zipmap = numbers == "float32"
    onx = skl2onnx.to_onnx(model, strings[:1], options={"zipmap": zipmap})
    assert [graph_input.name for graph_input in onx.graph.input] == list(X.columns)
    labels, probabilities = run(onx, strings)
    assert_array_equal(labels, model.predict(X))
    if zipmap:
        probabilities = [
            [row[label] for label in model.classes_] for row in probabilities
        ]
        tolerance = {"atol": PROBABILITY_TOLERANCE}
    else:
        tolerance = {"rtol": 1e-12, "atol": 1e-14}
    assert_allclose(probabilities, model.predict_proba(X), **tolerance)


def categories_frame(n_samples=150):
    rng = np.random.default_rng(2)
    city = rng.choice(["Lima", "Oslo", "Pune", None], n_samples).astype(object)
    return pd.DataFrame(
        {
            "age": rng.normal(40, 10, n_samples).astype(np.float32),
            "city": pd.Categorical(city),
            "colour": rng.choice([f"c{k}" for k in range(10)], n_samples),
            "count": rng.integers(0, 5, n_samples),
        }
    )


@pytest.mark.parametrize("target", ["multiclass", "multi-output"])
def test_missing_and_unseen_categories_convert(target):
    X = categories_frame()
    rng = np.random.default_rng(3)
    y = {
        "multiclass": np.where(
            X["city"].isna(), "none", rng.choice(["a", "b"], len(X))
        ),
        "multi-output": np.column_stack([X["age"] / 10, X["count"]]),
    }[target]
    model = fitted(tabular(target, max_one_hot_cardinality=5), X, y)
    preprocessor = model.preprocessor_
    assert preprocessor.one_hot_features_.tolist() == [1]
    assert preprocessor.embedded_features_.tolist() == [2]
    assert pd.isna(preprocessor.categories_[0][-1])
    new = pd.DataFrame(
        {
            "age": np.array([30.0, np.nan, 55.0, 41.0], np.float32),
            # Missing (a level of its own), unseen, missing, seen.
            "city": pd.Categorical([None, "Rome", np.nan, "Oslo"]),
            # Missing where fit saw none, unseen, seen: unknown, code 0.
            "colour": np.array([None, "c99", "c3", "c1"], dtype=object),
            "count": [1, 2, 3, 9],
        }
    )
    options = {"zipmap": False} if target in CLASSES else None
    onx = skl2onnx.to_onnx(model, string_categories(X)[:1], options=options)
    for frame in (X, new):
        outputs = run(onx, string_categories(frame))
        if target in CLASSES:
            labels, probabilities = outputs
            assert_array_equal(labels, model.predict(frame))
            assert_allclose(probabilities, model.predict_proba(frame), atol=1e-5)
        else:
            (prediction,) = outputs
            assert_allclose(prediction, model.predict(frame), rtol=1e-5, atol=1e-4)


def test_tabular_conversion_errors_name_the_problem():
    X = categories_frame()
    y = X["age"].to_numpy()
    model = fitted(tabular("single"), X, y)
    strings = string_categories(X)
    with pytest.raises(ValueError, match=r"inputs \['city', 'age'.*not the columns"):
        skl2onnx.to_onnx(model, strings[["city", "age", "colour", "count"]][:1])
    with pytest.raises(ValueError, match="column 'age' as numbers.*holds strings"):
        skl2onnx.to_onnx(model, strings.astype({"age": str})[:1])
    with pytest.raises(ValueError, match="has the categories.*holds numbers"):
        skl2onnx.to_onnx(model, strings.assign(city=0.0)[:1])
    spelled = X.assign(city=X["city"].cat.add_categories("None").fillna("None"))
    model = fitted(tabular("single"), spelled, y)
    with pytest.raises(ValueError, match="'city' cannot be told apart"):
        skl2onnx.to_onnx(model, string_categories(spelled)[:1])
    numeric = fitted(tabular("single"), X[["age", "count"]].to_numpy(), y)
    with pytest.raises(ValueError, match="has 3 columns.*fitted on 2 features"):
        skl2onnx.to_onnx(numeric, np.zeros((1, 3), np.float32))


def test_multilabel_tabular_classifier_in_a_pipeline_with_a_bool_column():
    # A bool column is categorical and its ONNX input a bool tensor, compared
    # with the levels False and True as numbers.
    X = categories_frame()
    X["flag"] = X["count"] > 2
    y = np.column_stack([X["age"] > 40, X["count"] > 1, X["flag"]]).astype(int)
    model = fitted(make_pipeline(tabular("multilabel")), X, y)
    assert model[-1].preprocessor_.is_categorical_.tolist()[-1]
    strings = string_categories(X)
    onx = skl2onnx.to_onnx(model, strings[:1], options={"zipmap": False})
    labels, probabilities = run(onx, strings)
    assert labels.shape == y.shape
    assert_array_equal(labels, model.predict(X))
    assert_allclose(probabilities, model.predict_proba(X), atol=PROBABILITY_TOLERANCE)
