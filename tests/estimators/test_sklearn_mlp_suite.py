"""scikit-learn's own MLP test-suite, run against skneural's MLPs.

The installed ``sklearn/neural_network/tests/test_mlp.py`` is loaded as a
private module (sklearn's own copy stays untouched) whose ``MLPClassifier``
and ``MLPRegressor`` are rebound to :class:`~skneural.MLPSoftmaxClassifier`
and :class:`~skneural.MLPRegressor`. Every one of its test functions runs as
one case of :func:`test_sklearn_mlp`, with its own parametrisations (sklearn's
classes in them replaced by ours) and marks; the fixtures it asks for come
from pytest. A case id is the sklearn test's name followed by its parameters'
ids, e.g. ``test_sklearn_mlp[test_lbfgs_classification-X0-y0]``.
"""

import importlib.util
import inspect
import itertools
import os
import warnings
from pathlib import Path

import numpy as np
import pytest
import sklearn
import sklearn.neural_network
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from skneural import MLPRegressor, MLPSoftmaxClassifier
from skneural._split import validation_split

SKLEARN_TEST_FILE = Path(sklearn.__file__).parent / "neural_network/tests/test_mlp.py"
OURS = {
    sklearn.neural_network.MLPClassifier: MLPSoftmaxClassifier,
    sklearn.neural_network.MLPRegressor: MLPRegressor,
}
ParameterSet = type(pytest.param(None))


def _load_sklearn_tests():
    spec = importlib.util.spec_from_file_location(
        "skneural_sklearn_test_mlp", SKLEARN_TEST_FILE
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # The test functions look these names up in their module's globals.
    module.MLPClassifier = MLPSoftmaxClassifier
    module.MLPRegressor = MLPRegressor
    return module


SKLEARN_TESTS = _load_sklearn_tests()


def _global_random_seeds():
    """The seeds sklearn's ``global_random_seed`` fixture gives: 42 by default."""
    value = os.environ.get("SKLEARN_TESTS_GLOBAL_RANDOM_SEED", "42")
    if value == "all":
        return list(range(100))
    first, _, last = value.partition("-")
    return list(range(int(first), int(last or first) + 1))


def _ours(value):
    """Our class in place of sklearn's MLP class; any other value unchanged."""
    return OURS.get(value, value) if isinstance(value, type) else value


def _value_id(value, argname, index):
    """An id as pytest would give it."""
    if isinstance(value, type):
        return value.__name__
    if value is None or isinstance(value, str | int | float | bool):
        return str(value)
    return f"{argname}{index}"


def _parametrization(mark):
    """Yield ``(arguments, id, marks)`` for each parameter set of one mark."""
    argnames, argvalues = mark.args[:2]
    if isinstance(argnames, str):
        argnames = [name.strip() for name in argnames.split(",")]
    ids = mark.kwargs.get("ids")
    for index, values in enumerate(argvalues):
        marks, given_id = (), None
        if isinstance(values, ParameterSet):
            values, marks, given_id = values
        elif len(argnames) == 1:
            values = (values,)
        values = [_ours(value) for value in values]
        if given_id is None and ids is not None:
            given_id = ids(values[0]) if callable(ids) else ids[index]
        case_id = given_id or "-".join(
            _value_id(value, name, index)
            for name, value in zip(argnames, values, strict=True)
        )
        yield dict(zip(argnames, values, strict=True)), case_id, tuple(marks)


def _cases(module):
    """One ``pytest.param`` per test function of ``module`` and parameter set."""
    cases = []
    for name, function in vars(module).items():
        if not name.startswith("test_") or not callable(function):
            continue
        marks = getattr(function, "pytestmark", [])
        # The decorator nearest the function comes first, in the list as in ids.
        axes = [
            list(_parametrization(mark)) for mark in marks if mark.name == "parametrize"
        ]
        if "global_random_seed" in inspect.signature(function).parameters:
            seeds = _global_random_seeds()
            axes.append([({"global_random_seed": s}, str(s), ()) for s in seeds])
        other_marks = tuple(mark for mark in marks if mark.name != "parametrize")
        for combination in itertools.product(*axes):
            arguments = {}
            for part, _, _ in combination:
                arguments.update(part)
            case_id = "-".join([name, *(part_id for _, part_id, _ in combination)])
            case_marks = other_marks + sum((m for _, _, m in combination), ())
            cases.append(
                pytest.param(function, arguments, id=case_id, marks=case_marks)
            )
    return cases


SKLEARN_CASES = _cases(SKLEARN_TESTS)

# Cases replaced by a test of this module (named after the case) asserting our
# documented behaviour in the same scenario, each for a reason listed under
# "Deliberate differences from scikit-learn" in docs/comparison.rst.
REPLACED = {
    "test_early_stopping_stratified",
    "test_lbfgs_regression_maxfun-X0-y0",
    "test_nonfinite_params",
    "test_preserve_feature_names-MLPSoftmaxClassifier",
}


@pytest.mark.parametrize(
    ("sklearn_test", "arguments"),
    [case for case in SKLEARN_CASES if case.id not in REPLACED],
)
def test_sklearn_mlp(sklearn_test, arguments, request):
    fixtures = {
        name: request.getfixturevalue(name)
        for name in inspect.signature(sklearn_test).parameters
        if name not in arguments
    }
    sklearn_test(**arguments, **fixtures)


def replacement_name(case_id):
    return "test_instead_of_sklearn_" + case_id.replace("-", "_")


def test_every_sklearn_case_runs_or_is_replaced():
    functions = {name for name in vars(SKLEARN_TESTS) if name.startswith("test_")}
    assert {case.values[0].__name__ for case in SKLEARN_CASES} == functions
    case_ids = [case.id for case in SKLEARN_CASES]
    assert len(set(case_ids)) == len(case_ids)
    assert REPLACED <= set(case_ids)
    for case_id in REPLACED:
        assert callable(globals().get(replacement_name(case_id))), case_id


# ---------------------------------------------------------------- replacements
# Each test below runs the scenario of the sklearn case it is named after.


def fit_recording_convergence_warnings(estimator, X, y):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        estimator.fit(X, y)
    return [str(w.message) for w in caught if w.category is ConvergenceWarning]


@pytest.mark.parametrize("activation", SKLEARN_TESTS.ACTIVATION_TYPES)
def test_instead_of_sklearn_test_lbfgs_regression_maxfun_X0_y0(activation):
    # sklearn's case expects every activation to run out of max_fun=10
    # evaluations. Its identity network converges (SciPy's relative reduction
    # of the objective) within 10 evaluations from some initial weights: from
    # those sklearn draws for 11 of the random states 0-19, from those we draw
    # for random_state=1. What must hold is that a fit stopped by max_fun
    # warns, and that a fit that does not warn was not limited by it.
    X, y = SKLEARN_TESTS.regression_datasets[0]
    params = dict(
        solver="lbfgs",
        hidden_layer_sizes=50,
        tol=0.0,
        max_iter=150,
        shuffle=True,
        random_state=1,
        activation=activation,
    )
    limited = MLPRegressor(max_fun=10, **params)
    messages = fit_recording_convergence_warnings(limited, X, y)
    unlimited = MLPRegressor(max_fun=15000, **params)
    fit_recording_convergence_warnings(unlimited, X, y)
    assert limited.n_iter_ <= 10
    if messages:
        assert len(messages) == 1 and "max_fun=10" in messages[0]
        assert unlimited.n_iter_ > limited.n_iter_
    else:
        for ours, free in zip(limited.coefs_, unlimited.coefs_, strict=True):
            assert_array_equal(ours, free)


def test_instead_of_sklearn_test_nonfinite_params():
    # sklearn raises ValueError when features near the float64 maximum
    # overflow the weights. Ours warns that the fit diverged and keeps the
    # finite weights it started from, so the model can still be refitted.
    rng = np.random.RandomState(0)
    X = np.finfo(np.float64).max * rng.uniform(size=(10, 2))
    y = rng.standard_normal(size=10)
    mlp = MLPRegressor(random_state=0)
    messages = fit_recording_convergence_warnings(mlp, X, y)
    assert len(messages) == 1 and "non-finite" in messages[0]
    for array in [*mlp.coefs_, *mlp.intercepts_]:
        assert np.isfinite(array).all()
    assert np.isfinite(mlp.predict(rng.uniform(size=(5, 2)))).all()


def test_instead_of_sklearn_test_preserve_feature_names_MLPSoftmaxClassifier():
    # sklearn's case fits a classifier on a target with one class, which ours
    # rejects as LogisticRegression and SGDClassifier do; the feature names
    # are checked on two classes.
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(0)
    X = pd.DataFrame(data=rng.randn(10, 2), columns=["colname_a", "colname_b"])
    model = MLPSoftmaxClassifier(early_stopping=True, validation_fraction=0.2)
    with pytest.raises(ValueError, match="only one class"):
        model.fit(X, pd.Series(data=np.full(10, 1), name="colname_y"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, pd.Series(data=np.arange(10) % 2, name="colname_y"))
    assert_array_equal(model.feature_names_in_, ["colname_a", "colname_b"])


def test_instead_of_sklearn_test_early_stopping_stratified():
    # sklearn's stratified split raises on a class of one member. Ours splits
    # the copies of each sample and never holds out a class's last copy: the
    # lone member of class 1 trains, and the other classes validate.
    X = np.array([[1, 2], [2, 3], [3, 4], [4, 5]], dtype=float)
    y = np.array([0, 0, 0, 1])
    for seed in range(20):
        split = validation_split(X, None, y, None, 0.1, seed)
        assert 3 in split.train and 3 not in split.validation
        assert len(split.validation) == 1
    mlp = MLPSoftmaxClassifier(early_stopping=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(X, y)
    assert_array_equal(mlp.classes_, [0, 1])
    assert len(mlp.validation_scores_) == mlp.n_iter_
