"""Persistence and reproducibility.

A pickled or joblib-saved estimator predicts exactly as the original, and
resumes training exactly as the original would. Two fits with the same
``random_state`` give the same parameters bit for bit, in one process or in
two. ``predict`` may be called from several threads at once.
"""

import hashlib
import json
import os
import pickle
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import joblib
import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone, is_classifier

from skneural.utils import gradient_descent_estimators

# The tabular MLPs take no solver: tests/estimators/test_tabular_mlp.py covers them.
ESTIMATORS = [cls for _, cls in gradient_descent_estimators()]
SOLVERS = ["lbfgs", "sgd", "adam"]
STOCHASTIC = ["sgd", "adam"]


def make_estimator(cls, **params):
    params = {"random_state": 0, "max_iter": 30, "learning_rate_init": 0.01, **params}
    if "hidden_layer_sizes" in cls().get_params():
        params.setdefault("hidden_layer_sizes", (6,))
    return cls(**params)


def make_data(cls, n_samples=60, n_features=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features))
    if is_classifier(cls()):
        y = np.resize(np.array(["cat", "dog", "eel"]), n_samples)
    else:
        y = X @ rng.normal(size=n_features)
    return X, y


def outputs(estimator, X):
    """Every prediction method's output."""
    methods = ["predict", "predict_proba", "predict_log_proba", "decision_function"]
    return [getattr(estimator, m)(X) for m in methods if hasattr(estimator, m)]


def parameters(estimator):
    return [*estimator.coefs_, *estimator.intercepts_]


def assert_identical(left, right):
    for a, b in zip(left, right, strict=True):
        assert_array_equal(a, b, strict=True)


def fitted(cls, **params):
    X, y = make_data(cls)
    estimator = make_estimator(cls, **params)
    estimator.fit(X, y)
    return estimator


pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def round_trips(tmp_path):
    def with_pickle(estimator):
        return pickle.loads(pickle.dumps(estimator, protocol=pickle.HIGHEST_PROTOCOL))

    def with_joblib(estimator):
        path = tmp_path / "model.joblib"
        joblib.dump(estimator, path)
        return joblib.load(path)

    return {"pickle": with_pickle, "joblib": with_joblib}


@pytest.mark.parametrize("how", ["pickle", "joblib"])
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_round_trip_predicts_identically(cls, solver, how, tmp_path):
    estimator = fitted(cls, solver=solver)
    copy = round_trips(tmp_path)[how](estimator)
    assert copy is not estimator
    X_new = make_data(cls, seed=1)[0]
    assert_identical(outputs(copy, X_new), outputs(estimator, X_new))
    assert_identical(parameters(copy), parameters(estimator))
    assert copy.score(*make_data(cls, seed=1)) == estimator.score(
        *make_data(cls, seed=1)
    )


@pytest.mark.parametrize("how", ["pickle", "joblib"])
@pytest.mark.parametrize("solver", STOCHASTIC)
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_round_trip_resumes_training_identically(cls, solver, how, tmp_path):
    estimator = fitted(cls, solver=solver)
    copy = round_trips(tmp_path)[how](estimator)
    # Resuming needs the optimizer's moments and counters, not just weights.
    for seed in range(1, 4):
        X, y = make_data(cls, seed=seed)
        estimator.partial_fit(X, y)
        copy.partial_fit(X, y)
        assert_identical(parameters(copy), parameters(estimator))
    assert copy.t_ == estimator.t_
    assert copy.loss_curve_ == estimator.loss_curve_
    X, y = make_data(cls, seed=5)
    estimator.set_params(warm_start=True, max_iter=5).fit(X, y)
    copy.set_params(warm_start=True, max_iter=5).fit(X, y)
    assert_identical(parameters(copy), parameters(estimator))
    assert_identical(outputs(copy, X), outputs(estimator, X))


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_round_trip_of_a_partial_fit_model(cls, tmp_path):
    X, y = make_data(cls)
    kwargs = {"classes": np.unique(y)} if is_classifier(cls()) else {}
    estimator = make_estimator(cls, solver="adam")
    estimator.partial_fit(X[:30], y[:30], **kwargs)
    copy = round_trips(tmp_path)["pickle"](estimator)
    estimator.partial_fit(X[30:], y[30:])
    copy.partial_fit(X[30:], y[30:])
    assert_identical(parameters(copy), parameters(estimator))
    assert_identical(outputs(copy, X), outputs(estimator, X))


# Every configuration whose parameters must be reproducible bit for bit.
REPRODUCIBLE = [
    (cls, params)
    for cls in ESTIMATORS
    for params in (
        {"solver": "lbfgs"},
        {"solver": "sgd", "batch_size": 16},
        {"solver": "adam", "batch_size": 16},
        {"solver": "adam", "early_stopping": True},
    )
]


def parameter_digests():
    """SHA-256 of the fitted parameters of every reproducible configuration."""
    digests = {}
    for cls, params in REPRODUCIBLE:
        estimator = fitted(cls, **params)
        blob = b"".join(
            np.ascontiguousarray(p).tobytes() for p in parameters(estimator)
        )
        digests[f"{cls.__name__}-{json.dumps(params)}"] = hashlib.sha256(
            blob
        ).hexdigest()
    return digests


@pytest.mark.parametrize(
    "cls, params",
    REPRODUCIBLE,
    ids=[f"{cls.__name__}-{'-'.join(map(str, p.values()))}" for cls, p in REPRODUCIBLE],
)
def test_same_random_state_gives_identical_parameters(cls, params):
    first, second = fitted(cls, **params), fitted(cls, **params)
    assert_identical(parameters(first), parameters(second))
    assert first.loss_curve_ == second.loss_curve_
    # clone() keeps the seed, so a cloned estimator refits identically too.
    X, y = make_data(cls)
    assert_identical(parameters(clone(first).fit(X, y)), parameters(first))


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_different_random_states_give_different_networks(cls):
    # Guards the test above: a seed that was ignored would pass it as well.
    params = {"solver": "adam", "batch_size": 16}
    first = fitted(cls, random_state=0, **params)
    second = fitted(cls, random_state=1, **params)
    assert any(
        not np.array_equal(a, b)
        for a, b in zip(parameters(first), parameters(second), strict=True)
    )


def test_parameters_are_identical_across_processes():
    script = (
        "import json, sys; sys.path.insert(0, sys.argv[1]);"
        "import warnings; warnings.simplefilter('ignore');"
        "from test_persistence_and_reproducibility import parameter_digests;"
        "print(json.dumps(parameter_digests()))"
    )
    tests_dir = os.path.dirname(os.path.abspath(__file__))
    runs = []
    for hash_seed in ("1", "2"):
        environment = {**os.environ, "PYTHONHASHSEED": hash_seed}
        completed = subprocess.run(
            [sys.executable, "-c", script, tests_dir],
            capture_output=True,
            text=True,
            check=True,
            env=environment,
        )
        runs.append(json.loads(completed.stdout))
    assert len(runs[0]) == len(REPRODUCIBLE)
    assert runs[0] == runs[1]
    assert runs[0] == parameter_digests()


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_concurrent_predictions_match_serial_ones(cls):
    estimator = fitted(cls, solver="adam")
    rng = np.random.default_rng(7)
    chunks = [rng.normal(size=(500, 4)) for _ in range(16)]
    methods = [
        m
        for m in ("predict", "predict_proba", "decision_function")
        if hasattr(estimator, m)
    ]
    serial = [[getattr(estimator, m)(X) for m in methods] for X in chunks]

    def predict_all(X):
        return [getattr(estimator, m)(X) for m in methods]

    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(3):
            concurrent = list(pool.map(predict_all, chunks))
            for got, expected in zip(concurrent, serial, strict=True):
                assert_identical(got, expected)
