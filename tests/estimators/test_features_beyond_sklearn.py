"""What skneural adds beyond scikit-learn's frozen MLP (issue 6), feature by feature."""

import contextlib
import functools
import pickle
import subprocess
import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit
from sklearn import config_context
from sklearn.base import clone, is_classifier
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import UnsetMetadataPassedError
from sklearn.frozen import FrozenEstimator
from sklearn.inspection import DecisionBoundaryDisplay
from sklearn.linear_model import ElasticNet, Lasso
from sklearn.metrics import RocCurveDisplay, get_scorer, roc_auc_score, roc_curve
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_sample_weight

from skneural import (
    GDLinearRegressor,
    GDLogisticClassifier,
    MLPRegressor,
    MLPSoftmaxClassifier,
)
from skneural.engine import MinibatchOptions, Network, Objective, train_minibatch
from skneural.engine.activations import (
    ACTIVATIONS,
    Activation,
    LeakyReLU,
    register_activation,
)
from skneural.engine.losses import LOSSES, Loss, register_loss
from skneural.engine.optimizers import SGD, AdamW
from skneural.engine.schedules import (
    Constant,
    Cosine,
    Exponential,
    InvScaling,
    Step,
    Warmup,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def classification():
    X, y = make_classification(
        n_samples=240, n_features=8, n_informative=5, random_state=0
    )
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(n_samples=200, n_features=6, noise=5.0, random_state=0)
    return StandardScaler().fit_transform(X), y / y.std()


def _params(estimator):
    return np.concatenate([a.ravel() for a in estimator.coefs_ + estimator.intercepts_])


# ----------------------------------------------------------------- activations
class _Cube(Activation):
    needs_input = True

    def forward(self, z, out):
        return np.power(z, 3, out=out)

    def multiply_derivative(self, delta, z, a):
        delta *= 3 * z * z
        return delta


class _WrongCube(_Cube):
    def multiply_derivative(self, delta, z, a):
        delta *= 2 * z * z
        return delta


def test_registered_custom_activation_trains_and_is_validated(classification):
    X, y = classification
    register_activation("test_cube", _Cube)
    try:
        clf = MLPSoftmaxClassifier(
            hidden_layer_sizes=(4,), activation="test_cube", max_iter=30, random_state=0
        ).fit(X, y)
        assert np.isfinite(_params(clf)).all()
    finally:
        ACTIVATIONS.pop("test_cube", None)
    with pytest.raises(ValueError, match="derivative of activation 'wrong'"):
        register_activation("wrong", _WrongCube)
    assert "wrong" not in ACTIVATIONS
    with pytest.raises(ValueError, match="built-in"):
        register_activation("relu", _Cube)
    with pytest.raises(TypeError, match="subclass"):
        register_activation("not_a_class", object)


def test_unknown_activation_name_is_a_clear_error(classification):
    X, y = classification
    with pytest.raises(ValueError, match="'activation' parameter.*'swishy'"):
        MLPSoftmaxClassifier(activation="swishy").fit(X, y)


def test_leaky_relu_slope_is_tunable_through_an_instance(classification):
    X, y = classification
    fits = [
        MLPSoftmaxClassifier(
            activation=LeakyReLU(slope), max_iter=20, random_state=0
        ).fit(X, y)
        for slope in (0.01, 0.3)
    ]
    assert not np.allclose(_params(fits[0]), _params(fits[1]))
    search = GridSearchCV(
        MLPSoftmaxClassifier(max_iter=20, random_state=0),
        {"activation": [LeakyReLU(0.01), LeakyReLU(0.3)]},
        cv=2,
    ).fit(X, y)
    assert isinstance(search.best_params_["activation"], LeakyReLU)


class _HalfSquared(Loss):
    def pointwise(self, raw, y):
        return 0.25 * ((raw - y) ** 2).sum(axis=1)

    def raw_gradient(self, raw, y, out):
        np.subtract(raw, y, out=out)
        out *= 0.5
        return out


class _WrongHalfSquared(_HalfSquared):
    def raw_gradient(self, raw, y, out):
        return np.subtract(raw, y, out=out)


def test_registered_custom_loss_is_validated():
    register_loss("test_half_squared", _HalfSquared)
    try:
        network = Network((3, 2), "identity", "test_half_squared")
        assert network.out_activation == "identity"
    finally:
        LOSSES.pop("test_half_squared", None)
    with pytest.raises(ValueError, match="gradient of loss"):
        register_loss("wrong_loss", _WrongHalfSquared)
    assert "wrong_loss" not in LOSSES


# ------------------------------------------- registrations across processes
# Registered here, in the module (pickled by reference, as a user's module
# is); the subprocess test below defines its classes in __main__.
class _WorkerCube(_Cube):
    pass


class _WorkerHalfSquared(_HalfSquared):
    pass


class _OtherCube(_Cube):
    pass


class _KinkedHalfSquared(_HalfSquared):
    smooth = False


@pytest.fixture
def registered():
    """Register the worker classes, and unregister them after the test."""
    register_activation("test_worker_cube", _WorkerCube)
    register_loss("test_worker_half_squared", _WorkerHalfSquared)
    yield
    ACTIVATIONS.pop("test_worker_cube", None)
    LOSSES.pop("test_worker_half_squared", None)
    LOSSES.pop("test_kinked", None)


@pytest.mark.parametrize(
    "estimator",
    [
        MLPRegressor(hidden_layer_sizes=(4,), activation="test_worker_cube"),
        MLPRegressor(hidden_layer_sizes=(4,), loss="test_worker_half_squared"),
        GDLinearRegressor(loss="test_worker_half_squared"),
        MLPSoftmaxClassifier(hidden_layer_sizes=(4,), activation="test_worker_cube"),
    ],
    ids=["mlp-activation", "mlp-loss", "linear-loss", "classifier-activation"],
)
def test_registered_names_reach_joblib_workers(
    estimator, registered, classification, regression
):
    X, y = classification if is_classifier(estimator) else regression
    estimator = clone(estimator).set_params(max_iter=20, random_state=0)
    serial = cross_val_score(estimator, X, y, cv=2, error_score="raise")
    parallel = cross_val_score(estimator, X, y, cv=2, n_jobs=2, error_score="raise")
    assert_allclose(parallel, serial, rtol=1e-12)


def test_registered_loss_serves_the_regressors(registered, regression):
    X, y = regression
    # Half the squared error: the same least-squares optimum, half the loss.
    half = GDLinearRegressor(loss="test_worker_half_squared").fit(X, y)
    full = GDLinearRegressor().fit(X, y)
    assert_allclose(half.coef_, full.coef_, rtol=1e-6)
    assert half.loss_ == pytest.approx(full.loss_ / 2, rel=1e-6)
    # Adam's steps do not change when every gradient is halved.
    common = dict(hidden_layer_sizes=(4,), alpha=0.0, epsilon=1e-12, max_iter=20)
    half = MLPRegressor(loss="test_worker_half_squared", random_state=0, **common)
    full = MLPRegressor(random_state=0, **common)
    half.fit(X, y)
    full.fit(X, y)
    assert_allclose(half.loss_curve_, np.divide(full.loss_curve_, 2), rtol=1e-6)
    assert_allclose(half.predict(X), full.predict(X), rtol=1e-6)


def test_estimator_pickles_carry_their_registrations(registered, regression):
    X, y = regression
    reg = MLPRegressor(
        hidden_layer_sizes=(4,),
        activation="test_worker_cube",
        loss="test_worker_half_squared",
        max_iter=5,
        random_state=0,
    ).fit(X, y)
    data = pickle.dumps(reg)
    # As in a process that never registered them.
    ACTIVATIONS.pop("test_worker_cube")
    LOSSES.pop("test_worker_half_squared")
    restored = pickle.loads(data)
    assert ACTIVATIONS["test_worker_cube"] is _WorkerCube
    assert LOSSES["test_worker_half_squared"] is _WorkerHalfSquared
    assert_array_equal(restored.predict(X), reg.predict(X))
    assert "_registered_classes" not in vars(restored)
    assert "_registered_classes" not in vars(reg)
    assert_array_equal(_params(clone(restored).fit(X, y)), _params(reg))
    # Built-in names and instances need no registration.
    state = MLPRegressor(activation=LeakyReLU()).__getstate__()
    assert "_registered_classes" not in state


def test_a_taken_name_is_refused_to_another_class(registered):
    register_activation("test_worker_cube", _WorkerCube)  # the same: no-op
    with pytest.raises(ValueError, match="already registered as the activation"):
        register_activation("test_worker_cube", _OtherCube)
    assert ACTIVATIONS["test_worker_cube"] is _WorkerCube
    # Nor does unpickling replace it.
    state = MLPRegressor(activation="test_worker_cube").__getstate__()
    state["_registered_classes"]["activation"] = ("test_worker_cube", _OtherCube)
    with pytest.raises(ValueError, match="already registered"):
        MLPRegressor().__setstate__(state)


def test_unknown_name_is_blamed_on_the_estimator_not_its_caller(regression):
    X, y = regression
    with pytest.raises(ValueError, match="'activation' parameter of MLPRegressor"):
        cross_val_score(
            MLPRegressor(activation="not_registered"), X, y, error_score="raise"
        )
    with pytest.raises(ValueError, match="register_loss") as raised:
        cross_val_score(
            GDLinearRegressor(loss="not_registered"), X, y, error_score="raise"
        )
    assert "cross_val_score" not in str(raised.value)
    assert "The 'loss' parameter of GDLinearRegressor" in str(raised.value)


@pytest.mark.parametrize("Regressor", [GDLinearRegressor, MLPRegressor])
def test_regressors_refuse_classification_losses(Regressor, regression):
    X, y = regression
    for loss in ("binary_log_loss", "multinomial_log_loss"):
        with pytest.raises(ValueError, match=f"parameter of {Regressor.__name__}"):
            Regressor(loss=loss).fit(X, y)


def test_lbfgs_refuses_a_registered_loss_with_kinks(registered, regression):
    X, y = regression
    register_loss("test_kinked", _KinkedHalfSquared)
    with pytest.raises(ValueError, match="cannot minimise loss='test_kinked'"):
        GDLinearRegressor(loss="test_kinked").fit(X, y)
    GDLinearRegressor(loss="test_kinked", solver="adam", max_iter=5).fit(X, y)


MAIN_SCRIPT = """
import numpy as np
from sklearn.datasets import make_regression
from sklearn.model_selection import cross_val_score
from skneural import MLPRegressor
from skneural.engine.activations import Activation, register_activation
from skneural.engine.losses import Loss, register_loss


class Cube(Activation):
    needs_input = True

    def forward(self, z, out):
        return np.power(z, 3, out=out)

    def multiply_derivative(self, delta, z, a):
        delta *= 3 * z * z
        return delta


class HalfSquared(Loss):
    def pointwise(self, raw, y):
        return 0.25 * ((raw - y) ** 2).sum(axis=1)

    def raw_gradient(self, raw, y, out):
        np.subtract(raw, y, out=out)
        out *= 0.5
        return out


if __name__ == "__main__":
    register_activation("my_act", Cube)
    register_loss("my_loss", HalfSquared)
    X, y = make_regression(n_samples=60, n_features=3, random_state=0)
    for params in ({"activation": "my_act"}, {"loss": "my_loss"}):
        reg = MLPRegressor(hidden_layer_sizes=(3,), max_iter=5, random_state=0)
        reg.set_params(**params)
        scores = [
            cross_val_score(reg, X, y / 100, cv=2, n_jobs=n_jobs, error_score="raise")
            for n_jobs in (1, 2)
        ]
        np.testing.assert_allclose(scores[1], scores[0], rtol=1e-12)
    print("ok")
"""


def test_classes_defined_in_main_reach_joblib_workers(tmp_path):
    script = tmp_path / "register_in_main.py"
    script.write_text(MAIN_SCRIPT)
    completed = subprocess.run(
        [sys.executable, "-W", "ignore::UserWarning", str(script)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "ok"


# -------------------------------------------------------------- initialisation
@pytest.mark.parametrize(
    "weight_init, expected_std",
    [
        ("glorot_normal", np.sqrt(2 / (400 + 300))),
        ("he_normal", np.sqrt(2 / 400)),
        ("he_uniform", np.sqrt(6 / 400) / np.sqrt(3)),
        ("normal", 1.0),
    ],
)
def test_weight_init_draws_the_documented_scale(weight_init, expected_std):
    X = np.random.default_rng(0).normal(size=(5, 400))
    y = np.arange(5) % 2
    clf = MLPSoftmaxClassifier(
        hidden_layer_sizes=(300,), weight_init=weight_init, max_iter=1, random_state=0
    )
    # One epoch of Adam moves each weight by at most ~learning_rate_init.
    clf.fit(X, y)
    assert_allclose(clf.coefs_[0].std(), expected_std, rtol=0.05)
    again = clone(clf).fit(X, y)
    assert_array_equal(_params(clf), _params(again))


# ------------------------------------------------------------------ optimizers
@pytest.mark.parametrize(
    "solver, learning_rate_init", [("adamw", 0.01), ("rmsprop", 0.01), ("adagrad", 0.1)]
)
def test_new_optimizers_reduce_the_loss_and_fit(
    solver, learning_rate_init, classification
):
    X, y = classification
    clf = MLPSoftmaxClassifier(
        hidden_layer_sizes=(16,),
        solver=solver,
        learning_rate_init=learning_rate_init,
        random_state=0,
    ).fit(X, y)
    assert clf.loss_curve_[-1] < 0.5 * clf.loss_curve_[0]
    assert clf.score(X, y) > 0.9


def test_adamw_decay_shrinks_weights_not_intercepts(classification):
    X, y = classification
    common = dict(alpha=0.0, max_iter=50, random_state=0)
    light = MLPSoftmaxClassifier(solver=AdamW(weight_decay=0.0), **common).fit(X, y)
    heavy = MLPSoftmaxClassifier(solver=AdamW(weight_decay=5.0), **common).fit(X, y)
    assert np.linalg.norm(heavy.coefs_[0]) < 0.8 * np.linalg.norm(light.coefs_[0])
    # With a zero gradient, one step decays exactly the weights it is told to.
    optimizer = AdamW(weight_decay=0.5, n_decayed=3)
    params = np.array([1.0, -2.0, 4.0, 3.0, 5.0])
    optimizer.update(params, np.zeros(5), optimizer.init(params), learning_rate=0.1)
    assert_allclose(params, [0.95, -1.9, 3.8, 3.0, 5.0])


def test_clip_norm_bounds_every_step():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3)) * 100
    y = rng.normal(size=(50, 1)) * 100
    network = Network((3, 1), "identity", "squared_error")
    start = np.zeros(network.n_params)
    steps = []
    params = start.copy()

    def record(info):
        steps.append(np.linalg.norm(info.params - record.previous))
        record.previous = info.params.copy()

    record.previous = start.copy()
    train_minibatch(
        Objective(network),
        params,
        X,
        y,
        options=MinibatchOptions(
            optimizer=SGD(momentum=0.0),
            schedule=Constant(0.1),
            batch_size=50,
            max_iter=5,
            clip_norm=0.5,
            on_epoch_end=record,
        ),
        rng=np.random.default_rng(0),
    )
    assert_allclose(steps, 0.1 * 0.5)


# ------------------------------------------------------------------- schedules
def test_schedules_are_pure_functions_of_the_epoch():
    epochs = np.arange(25)
    assert_allclose([Constant(0.1)(e) for e in epochs], 0.1)
    assert_allclose(
        [InvScaling(0.1, 0.5, samples_per_epoch=10)(e) for e in epochs],
        0.1 / np.sqrt(10 * epochs + 1),
    )
    assert_allclose(
        [Exponential(0.1, 0.5, 10)(e) for e in epochs], 0.1 * 0.5 ** (epochs / 10)
    )
    assert_allclose(
        [Step(0.1, 0.5, 10)(e) for e in epochs], 0.1 * 0.5 ** (epochs // 10)
    )
    cosine = [Cosine(0.1, 20)(e) for e in epochs]
    assert cosine[0] == 0.1 and cosine[10] == pytest.approx(0.05)
    assert cosine[20] == pytest.approx(0.0) and cosine[24] == pytest.approx(0.0)
    warm = Warmup(Constant(0.1), 4)
    assert_allclose([warm(e) for e in range(6)], [0.025, 0.05, 0.075, 0.1, 0.1, 0.1])


@pytest.mark.parametrize("solver", ["sgd", "adam", "rmsprop"])
@pytest.mark.parametrize(
    "learning_rate, expected",
    [
        (
            Step(decay_steps=3),
            lambda e: 0.01 * 0.5 ** ((e - 2) // 3) if e >= 2 else 0.01 * (e + 1) / 2,
        ),
        (
            "cosine",
            lambda e: (
                0.01 * 0.5 * (1 + np.cos(np.pi * (e - 2) / 6))
                if e >= 2
                else 0.01 * (e + 1) / 2
            ),
        ),
    ],
)
def test_every_solver_follows_the_schedule_with_warmup(
    solver, learning_rate, expected, regression
):
    X, y = regression
    reg = MLPRegressor(
        hidden_layer_sizes=(4,),
        solver=solver,
        learning_rate=learning_rate,
        learning_rate_init=0.01,
        warmup_epochs=2,
        max_iter=8,
        tol=0,
        n_iter_no_change=100,
        random_state=0,
    )
    schedule = reg._schedule(reg._engine_optimizer(), len(X), reg.learning_rate_init)
    assert_allclose([schedule(e) for e in range(8)], [expected(e) for e in range(8)])
    reg.fit(X, y)
    assert reg.n_iter_ == 8
    assert np.isfinite(reg.loss_curve_).all()


def test_the_loop_uses_the_schedule_of_each_epoch():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 2)), rng.normal(size=(20, 1))
    network = Network((2, 1), "identity", "squared_error")
    schedule = Warmup(Cosine(0.05, n_epochs=6), warmup_epochs=3)
    used = []
    train_minibatch(
        Objective(network),
        np.zeros(network.n_params),
        X,
        y,
        options=MinibatchOptions(
            optimizer=SGD(),
            schedule=schedule,
            batch_size=5,
            max_iter=9,
            tol=0,
            n_iter_no_change=100,
            on_epoch_end=lambda info: used.append(info.learning_rate),
        ),
        rng=rng,
    )
    assert_allclose(used, [schedule(epoch) for epoch in range(9)])


# ------------------------------------------------------------------ dropout
def test_dropout_changes_training_not_prediction(classification):
    X, y = classification
    common = dict(hidden_layer_sizes=(32,), max_iter=40, random_state=0)
    plain = MLPSoftmaxClassifier(**common).fit(X, y)
    zero = MLPSoftmaxClassifier(dropout=0.0, **common).fit(X, y)
    dropped = MLPSoftmaxClassifier(dropout=0.5, **common).fit(X, y)
    assert_array_equal(_params(plain), _params(zero))
    assert not np.allclose(_params(plain), _params(dropped))
    assert_array_equal(dropped.predict_proba(X), dropped.predict_proba(X))
    again = MLPSoftmaxClassifier(dropout=0.5, **common).fit(X, y)
    assert_array_equal(_params(dropped), _params(again))


def test_dropout_per_layer_and_validation(classification):
    X, y = classification
    clf = MLPSoftmaxClassifier(
        hidden_layer_sizes=(8, 8), dropout=[0.0, 0.5], max_iter=5, random_state=0
    ).fit(X, y)
    assert np.isfinite(_params(clf)).all()
    with pytest.raises(ValueError, match="one per hidden layer"):
        MLPSoftmaxClassifier(hidden_layer_sizes=(8, 8), dropout=[0.1, 0.2, 0.3]).fit(
            X, y
        )
    with pytest.raises(ValueError, match="dropout makes every evaluation"):
        MLPSoftmaxClassifier(dropout=0.2, solver="lbfgs").fit(X, y)


def test_dropout_gradient_matches_finite_differences_for_a_fixed_mask():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(6, 3))
    y = rng.normal(size=(6, 2))
    network = Network((3, 5, 4, 2), "tanh", "squared_error", dropout=[0.3, 0.5])
    objective = Objective(network, alpha=0.1)
    params = network.initialize(rng)

    def loss(p):
        return objective.loss_and_grad(p, X, y, rng=np.random.default_rng(7))[0]

    _, grad = objective.loss_and_grad(params, X, y, rng=np.random.default_rng(7))
    h = 1e-6
    numeric = np.array(
        [
            (loss(params + h * e) - loss(params - h * e)) / (2 * h)
            for e in np.eye(len(params))
        ]
    )
    assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)
    deterministic, _ = objective.loss_and_grad(params, X, y)
    assert deterministic != pytest.approx(loss(params))


# ------------------------------------------------------------- L1, elastic net
def test_lasso_by_lbfgs_matches_sklearn(regression):
    X, y = regression
    n = len(X)
    ours = GDLinearRegressor(alpha=0.05 * n, l1_ratio=1.0, tol=1e-10).fit(X, y)
    theirs = Lasso(alpha=0.05, tol=1e-12, max_iter=100_000).fit(X, y)
    assert_allclose(ours.coef_, theirs.coef_, atol=1e-5)
    assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-5)


def test_elastic_net_by_lbfgs_matches_sklearn(regression):
    X, y = regression
    n = len(X)
    ours = GDLinearRegressor(alpha=0.2 * n, l1_ratio=0.3, tol=1e-10).fit(X, y)
    theirs = ElasticNet(alpha=0.2, l1_ratio=0.3, tol=1e-12, max_iter=100_000).fit(X, y)
    assert_allclose(ours.coef_, theirs.coef_, atol=1e-5)


def test_proximal_sgd_reaches_exact_zeros_of_the_lasso():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 10))
    y = X[:, 0] * 3 - X[:, 1] * 2 + 0.1 * rng.normal(size=300)
    n = len(X)
    ours = GDLinearRegressor(
        alpha=0.3 * n,
        l1_ratio=1.0,
        solver="sgd",
        momentum=0.0,
        batch_size=n,
        learning_rate_init=0.1,
        max_iter=2000,
        tol=0,
        n_iter_no_change=10_000,
    ).fit(X, y)
    theirs = Lasso(alpha=0.3).fit(X, y)
    assert_array_equal(ours.coef_ == 0, theirs.coef_ == 0)
    assert (ours.coef_ == 0).sum() >= 5
    assert_allclose(ours.coef_, theirs.coef_, atol=1e-4)


# ------------------------------------------------------------------ validation
def test_user_validation_set_is_recorded_for_every_solver(classification):
    X, y = classification
    X_train, y_train, X_val, y_val = X[:180], y[:180], X[180:], y[180:]
    for solver in ("lbfgs", "sgd", "adam"):
        clf = MLPSoftmaxClassifier(
            hidden_layer_sizes=(8,), solver=solver, max_iter=30, random_state=0
        ).fit(X_train, y_train, X_val=X_val, y_val=y_val)
        assert len(clf.loss_curve_) == clf.n_iter_
        assert len(clf.validation_scores_) == clf.n_iter_
        assert len(clf.validation_loss_curve_) == clf.n_iter_
        assert clf.validation_scores_[-1] == pytest.approx(clf.score(X_val, y_val))


@pytest.mark.parametrize("scoring", [None, "loss", "roc_auc"])
def test_early_stopping_restores_the_best_weights(scoring, classification):
    X, y = classification
    X_train, y_train, X_val, y_val = X[:160], y[:160], X[160:], y[160:]
    clf = MLPSoftmaxClassifier(
        hidden_layer_sizes=(64,),
        alpha=0.0,
        learning_rate_init=0.01,
        early_stopping=True,
        scoring=scoring,
        n_iter_no_change=5,
        max_iter=300,
        random_state=0,
    ).fit(X_train, y_train, X_val=X_val, y_val=y_val)
    best = int(np.argmax(clf.validation_scores_))
    assert clf.best_validation_score_ == clf.validation_scores_[best]
    assert clf.n_iter_ < 300
    if scoring is None:
        restored = clf.score(X_val, y_val)
    elif scoring == "loss":
        restored = -clf.validation_loss_curve_[best]
        proba = clf.predict_proba(X_val)
        assert -np.mean(np.log(proba[np.arange(len(y_val)), y_val])) == pytest.approx(
            -restored, rel=1e-6
        )
    else:
        from sklearn.metrics import roc_auc_score

        restored = roc_auc_score(y_val, clf.predict_proba(X_val)[:, 1])
    assert restored == pytest.approx(clf.best_validation_score_)


def test_validation_set_errors(classification):
    X, y = classification
    clf = MLPSoftmaxClassifier(max_iter=2)
    with pytest.raises(ValueError, match="X_val and y_val must be given together"):
        clf.fit(X, y, X_val=X)
    with pytest.raises(ValueError, match="sample_weight_val is given without"):
        clf.fit(X, y, sample_weight_val=np.ones(3))
    with pytest.raises(ValueError, match="not in the training classes"):
        clf.fit(X, y, X_val=X[:5], y_val=np.array([0, 1, 2, 0, 1]))
    with pytest.raises(ValueError, match="features"):
        clf.fit(X, y, X_val=X[:5, :3], y_val=y[:5])


def test_pipeline_transforms_x_val_only_with_transform_input(classification):
    X, y = classification
    X = 50 * X + 200  # far from standardised, so scaling X_val matters
    X_train, y_train, X_val, y_val = X[:180], y[:180], X[180:], y[180:]
    common = dict(hidden_layer_sizes=(8,), max_iter=10, random_state=0)
    scaler = StandardScaler().fit(X_train)
    expected = MLPSoftmaxClassifier(**common).fit(
        scaler.transform(X_train),
        y_train,
        X_val=scaler.transform(X_val),
        y_val=y_val,
    )
    validation = dict(X_val=X_val, y_val=y_val)

    def pipeline(requested=True, **kwargs):
        mlp = MLPSoftmaxClassifier(**common)
        if requested:
            mlp.set_fit_request(X_val=True, y_val=True)
        return Pipeline([("scale", StandardScaler()), ("mlp", mlp)], **kwargs)

    with config_context(enable_metadata_routing=True):
        # The recipe of the user guide.
        piped = pipeline(transform_input=["X_val"]).fit(X_train, y_train, **validation)
        # Routed but not transformed: the model validates on unscaled data.
        untransformed = pipeline().fit(X_train, y_train, **validation)
        with pytest.raises(UnsetMetadataPassedError, match=r"X_val.*set_fit_request"):
            pipeline(requested=False).fit(X_train, y_train, **validation)
    assert_allclose(
        piped[-1].validation_loss_curve_, expected.validation_loss_curve_, rtol=1e-12
    )
    assert (
        untransformed[-1].validation_loss_curve_[0]
        > 10 * (expected.validation_loss_curve_[0])
    )
    # Without routing, transform_input is refused, and step parameters pass
    # X_val as it is.
    with pytest.raises(ValueError, match="metadata routing is enabled"):
        pipeline(False, transform_input=["X_val"]).fit(X_train, y_train)
    stepwise = pipeline(False).fit(X_train, y_train, mlp__X_val=X_val, mlp__y_val=y_val)
    assert_allclose(
        stepwise[-1].validation_loss_curve_,
        untransformed[-1].validation_loss_curve_,
        rtol=1e-12,
    )


def test_x_val_unlike_x_names_the_pipeline_recipe(classification):
    X, y = classification
    select = ColumnTransformer([("keep", "passthrough", [0, 1, 2])])
    pipe = Pipeline([("select", select), ("mlp", MLPSoftmaxClassifier(max_iter=5))])
    with pytest.raises(
        ValueError, match=r"X_val does not match.*8 features.*transform_input"
    ):
        pipe.fit(X, y, mlp__X_val=X[:20], mlp__y_val=y[:20])


# ------------------------------------- decision_function and response_method
# scikit-learn's MLPClassifier has no decision_function; tools that try it
# first see logits from MLPSoftmaxClassifier where they see probabilities from
# MLPClassifier (docs/guide/scikit_learn_tools.rst).
@pytest.fixture(scope="module")
def two_mlps():
    X, y = make_classification(
        n_samples=200, n_features=2, n_redundant=0, random_state=0
    )
    params = dict(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=500, random_state=0)
    return (
        X,
        y,
        MLPSoftmaxClassifier(**params).fit(X, y),
        MLPClassifier(**params).fit(X, y),
    )


@contextlib.contextmanager
def _recording_calls(classifier):
    """Record which of decision_function and predict_proba are called."""
    calls = []

    def recorded(method):
        @functools.wraps(method)
        def record(X):
            calls.append(method.__name__)
            return method(X)

        return record

    methods = ("decision_function", "predict_proba")
    for name in methods:
        setattr(classifier, name, recorded(getattr(classifier, name)))
    try:
        yield calls
    finally:
        for name in methods:
            delattr(classifier, name)


def test_displays_draw_logits_where_they_try_decision_function_first(
    two_mlps,
):
    pytest.importorskip("matplotlib").use("Agg")
    import matplotlib.pyplot as plt

    X, y, ours, theirs = two_mlps
    assert not hasattr(theirs, "decision_function")
    try:
        drawn = {
            clf: DecisionBoundaryDisplay.from_estimator(clf, X, grid_resolution=20)
            for clf in (ours, theirs)
        }
        as_theirs = DecisionBoundaryDisplay.from_estimator(
            ours, X, grid_resolution=20, response_method="predict_proba"
        )
        # Curve displays ask for probabilities first: nothing changes there.
        with _recording_calls(ours) as calls:
            roc = RocCurveDisplay.from_estimator(ours, X, y)
        assert calls == ["predict_proba"]
    finally:
        plt.close("all")
    fpr, tpr, _ = roc_curve(y, ours.predict_proba(X)[:, 1])
    assert_array_equal(roc.fpr, fpr)
    assert_array_equal(roc.tpr, tpr)
    grid = np.c_[drawn[ours].xx0.ravel(), drawn[ours].xx1.ravel()]
    assert_allclose(drawn[ours].response.ravel(), ours.decision_function(grid))
    assert drawn[ours].response.min() < 0 < 1 < drawn[ours].response.max()
    assert_allclose(drawn[theirs].response.ravel(), theirs.predict_proba(grid)[:, 1])
    assert_allclose(as_theirs.response, expit(drawn[ours].response), rtol=1e-12)


def test_scorers_and_calibration_take_the_logits(
    two_mlps,
):
    X, y, ours, theirs = two_mlps
    logits, proba = ours.decision_function(X), ours.predict_proba(X)[:, 1]
    with _recording_calls(ours) as calls:
        auc = get_scorer("roc_auc")(ours, X, y)
    assert calls == ["decision_function"]
    assert auc == roc_auc_score(y, logits)
    # The ranking of the probabilities, but for those that round to 1 (or 0),
    # whose logits still differ.
    saturated = proba == proba.max()
    assert saturated.sum() > 1 and len(np.unique(logits[saturated])) > 1
    # Platt scaling is fitted on the logits of ours, the probabilities of theirs.
    for clf, response in ((ours, logits), (theirs, theirs.predict_proba(X)[:, 1])):
        calibrated = CalibratedClassifierCV(FrozenEstimator(clf), method="sigmoid")
        calibrated.fit(X, y)
        sigmoid = calibrated.calibrated_classifiers_[0].calibrators[0]
        assert_allclose(
            calibrated.predict_proba(X)[:, 1],
            expit(-(sigmoid.a_ * response + sigmoid.b_)),
            rtol=1e-12,
        )


# --------------------------------------------------------------- class weights
@pytest.mark.parametrize("Estimator", [GDLogisticClassifier, MLPSoftmaxClassifier])
def test_balanced_class_weight_equals_its_sample_weight(Estimator):
    X, y = make_classification(
        n_samples=200, weights=[0.8, 0.2], n_features=5, random_state=0
    )
    common = dict(solver="lbfgs", random_state=0)
    if Estimator is MLPSoftmaxClassifier:
        common["hidden_layer_sizes"] = (5,)
    weighted = Estimator(class_weight="balanced", **common).fit(X, y)
    explicit = Estimator(**common).fit(
        X, y, sample_weight=compute_sample_weight("balanced", y)
    )
    assert_allclose(_params(weighted), _params(explicit), rtol=1e-12)
    plain = Estimator(**common).fit(X, y)
    assert weighted.predict(X).mean() > plain.predict(X).mean()


def test_class_weight_composes_with_sample_weight():
    X, y = make_classification(n_samples=120, n_features=4, random_state=1)
    sw = np.random.default_rng(0).uniform(0.5, 2.0, size=len(y))
    composed = GDLogisticClassifier(class_weight={0: 1.0, 1: 3.0}).fit(
        X, y, sample_weight=sw
    )
    explicit = GDLogisticClassifier().fit(X, y, sample_weight=sw * np.where(y, 3, 1))
    assert_allclose(composed.coef_, explicit.coef_, rtol=1e-10)


def test_balanced_class_weight_streams_through_partial_fit():
    X, y = make_classification(
        n_samples=300, weights=[0.7, 0.3], n_features=4, random_state=0
    )
    common = dict(hidden_layer_sizes=(4,), solver="sgd", batch_size=300, shuffle=False)
    streamed = MLPSoftmaxClassifier(class_weight="balanced", random_state=0, **common)
    for start in range(0, 300, 100):
        streamed.partial_fit(
            X[start : start + 100], y[start : start + 100], classes=[0, 1]
        )
    totals = np.bincount(y)
    assert_array_equal(streamed._class_weight_totals, totals)
    # One batch balanced by the totals seen so far, as fit would on all of it.
    whole = MLPSoftmaxClassifier(class_weight="balanced", random_state=0, **common)
    whole.partial_fit(X, y, classes=[0, 1])
    explicit = MLPSoftmaxClassifier(random_state=0, **common).partial_fit(
        X, y, classes=[0, 1], sample_weight=compute_sample_weight("balanced", y)
    )
    assert_allclose(_params(whole), _params(explicit), rtol=1e-12)
