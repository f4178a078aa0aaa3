"""Bad input gets a clear error, and a failed call changes nothing.

Every case runs on every public estimator. A case names the method it calls,
the error it expects and a pattern the message must match, so an error that
is raised for the wrong reason fails the test. After the failed call, the
estimator must be exactly as it was: every attribute, compared deeply, and its
predictions.
"""

import copy
from dataclasses import dataclass, field

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import is_classifier
from sklearn.exceptions import NotFittedError

from skneural.utils import gradient_descent_estimators

# The fixtures train for a few epochs only; whether they converge is irrelevant.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# The tabular MLPs take no solver: tests/estimators/test_tabular_mlp.py covers them.
ESTIMATORS = [cls for _, cls in gradient_descent_estimators()]
N_SAMPLES, N_FEATURES = 30, 3
CLASSES = np.array([0, 1, 2])


def make_estimator(cls, **params):
    """A small, fast, seeded estimator that supports ``partial_fit``."""
    defaults = {
        "solver": "adam",
        "max_iter": 5,
        "learning_rate_init": 0.01,
        "random_state": 0,
    }
    if "hidden_layer_sizes" in cls().get_params():
        defaults["hidden_layer_sizes"] = (4,)
    return cls(**{**defaults, **params})


def make_data(cls, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N_SAMPLES, N_FEATURES))
    if is_classifier(cls()):
        y = np.resize(CLASSES, N_SAMPLES)
    else:
        y = X @ np.arange(1.0, N_FEATURES + 1)
    return X, y, np.ones(N_SAMPLES)


def assert_same_state(before, after, path="estimator"):
    """Assert that two attribute trees are equal, arrays bit for bit."""
    assert type(before) is type(after), f"{path}: {type(before)} != {type(after)}"
    if isinstance(before, dict):
        assert before.keys() == after.keys(), (
            f"{path}: attributes differ: {sorted(set(before) ^ set(after))}"
        )
        for key in before:
            assert_same_state(before[key], after[key], f"{path}.{key}")
    elif isinstance(before, list | tuple):
        assert len(before) == len(after), f"{path}: lengths differ"
        for index, (left, right) in enumerate(zip(before, after, strict=True)):
            assert_same_state(left, right, f"{path}[{index}]")
    elif isinstance(before, np.ndarray):
        assert_array_equal(before, after, err_msg=path, strict=True)
    elif isinstance(before, np.random.Generator):
        assert before.bit_generator.state == after.bit_generator.state, path
    elif isinstance(before, float | np.floating) and np.isnan(before):
        assert np.isnan(after), path
    elif hasattr(before, "__dict__") and not isinstance(before, type):
        assert_same_state(vars(before), vars(after), path)
    else:
        assert before == after, f"{path}: {before!r} != {after!r}"


def _supports_loss(cls, loss):
    constraints = cls._parameter_constraints.get("loss", [])
    return any(loss in getattr(constraint, "options", ()) for constraint in constraints)


def predictions(estimator, X):
    outputs = [estimator.predict(X)]
    if is_classifier(estimator):
        outputs += [estimator.predict_proba(X), estimator.decision_function(X)]
    return outputs


def with_value(array, value, dtype=float):
    array = np.array(array, dtype=dtype)
    array.flat[len(array) // 2] = value
    return array


@dataclass
class Case:
    """A bad call: ``transform(X, y, sample_weight) -> (X, y, sample_weight)``."""

    name: str
    transform: object
    match: str
    error: type = ValueError
    only: str = ""  # "classifier" or "regressor" to restrict the case.
    params: dict = field(default_factory=dict)

    def applies_to(self, cls):
        if self.only == "classifier":
            return is_classifier(cls())
        if self.only == "regressor":
            return not is_classifier(cls())
        if self.only == "mlp":
            return "hidden_layer_sizes" in cls().get_params()
        if self.only == "poisson":
            return _supports_loss(cls, "poisson")
        return True

    def __repr__(self):
        return self.name


def _object_with_none(X):
    X = X.astype(object)
    X[0, 0] = None
    return X


# Bad data, for both fit and partial_fit, on a fitted and an unfitted estimator.
DATA_CASES = [
    Case("nan-X", lambda X, y, w: (with_value(X, np.nan), y, w), "X contains NaN"),
    Case(
        "inf-X",
        lambda X, y, w: (with_value(X, np.inf), y, w),
        "X contains infinity",
    ),
    Case(
        "minus-inf-X",
        lambda X, y, w: (with_value(X, -np.inf), y, w),
        "X contains infinity",
    ),
    Case("nan-y", lambda X, y, w: (X, with_value(y, np.nan), w), "y contains NaN"),
    Case(
        "inf-y",
        lambda X, y, w: (X, with_value(y, np.inf), w),
        "y contains infinity",
    ),
    Case(
        "nan-sample_weight",
        lambda X, y, w: (X, y, with_value(w, np.nan)),
        "sample_weight contains NaN",
    ),
    Case(
        "inf-sample_weight",
        lambda X, y, w: (X, y, with_value(w, np.inf)),
        "sample_weight contains infinity",
    ),
    Case(
        "negative-sample_weight",
        lambda X, y, w: (X, y, with_value(w, -1.0)),
        "Negative values in data passed to `sample_weight`",
    ),
    Case(
        "all-zero-sample_weight",
        lambda X, y, w: (X, y, np.zeros_like(w)),
        "Sample weights must contain at least one non-zero number",
    ),
    Case(
        "short-sample_weight",
        lambda X, y, w: (X, y, w[:-1]),
        r"sample_weight.shape == \(29,\), expected \(30,\)",
    ),
    Case(
        "2d-sample_weight",
        lambda X, y, w: (X, y, w[:, None]),
        "Sample weights must be 1D",
    ),
    Case(
        "string-sample_weight",
        lambda X, y, w: (X, y, np.full(len(w), "heavy")),
        "could not convert string to float",
    ),
    Case("1d-X", lambda X, y, w: (X[:, 0], y, w), "Expected 2D array, got 1D array"),
    Case("3d-X", lambda X, y, w: (X[:, :, None], y, w), "Found array with dim 3"),
    Case(
        "empty-X",
        lambda X, y, w: (X[:0], y[:0], w[:0]),
        r"Found array with 0 sample\(s\)",
    ),
    Case(
        "no-features",
        lambda X, y, w: (X[:, :0], y, w),
        r"Found array with 0 feature\(s\)",
    ),
    Case(
        "string-X",
        lambda X, y, w: (X.astype(str).astype(object) + "cm", y, w),
        "could not convert string to float",
    ),
    Case(
        "object-X-with-None",
        lambda X, y, w: (_object_with_none(X), y, w),
        "X contains NaN",
    ),
    Case("complex-X", lambda X, y, w: (X + 1j, y, w), "Complex data not supported"),
    Case(
        "short-y",
        lambda X, y, w: (X, y[:-1], w),
        r"inconsistent numbers of samples: \[30, 29\]",
    ),
    Case(
        "continuous-y-to-classifier",
        lambda X, y, w: (X, X[:, 0], w),
        "Unknown label type",
        only="classifier",
    ),
    Case(
        "string-y-to-regressor",
        lambda X, y, w: (X, np.full(len(y), "high"), w),
        "could not convert string to float",
        only="regressor",
    ),
    Case(
        "negative-y-with-poisson-loss",
        lambda X, y, w: (X, -np.abs(y) - 1, w),
        "loss='poisson' requires non-negative targets",
        only="poisson",
        params={"loss": "poisson"},
    ),
]

# Bad calls that only fit (not partial_fit) makes.
FIT_ONLY_CASES = [
    # partial_fit does not exist for a solver that is not stochastic.
    Case("unknown-solver", None, "The 'solver' parameter", params={"solver": "bfgs"}),
    Case(
        "single-class",
        lambda X, y, w: (X, np.full(len(y), CLASSES[1]), w),
        "only one class",
        only="classifier",
    ),
    Case(
        "two-column-multiclass-y",
        lambda X, y, w: (X, np.c_[y, y], w),
        "Multioutput target data is not supported",
        only="classifier",
    ),
    Case(
        # Two samples of two classes: each class must keep its one to train.
        "no-validation-sample",
        lambda X, y, w: (X[:2], y[:2], w[:2]),
        r"validation set.*validation_fraction",
        params={"early_stopping": True},
    ),
]

# Invalid hyper-parameters and combinations of them, for fit and partial_fit.
PARAMETER_CASES = [
    Case("negative-alpha", None, "The 'alpha' parameter", params={"alpha": -1.0}),
    Case(
        "zero-learning_rate_init",
        None,
        "The 'learning_rate_init' parameter",
        params={"learning_rate_init": 0.0},
    ),
    Case(
        "unknown-learning_rate",
        None,
        "The 'learning_rate' parameter",
        params={"learning_rate": "cyclic"},
    ),
    Case("zero-max_iter", None, "The 'max_iter' parameter", params={"max_iter": 0}),
    Case("string-max_iter", None, "The 'max_iter' parameter", params={"max_iter": "5"}),
    Case(
        "zero-batch_size", None, "The 'batch_size' parameter", params={"batch_size": 0}
    ),
    Case("negative-tol", None, "The 'tol' parameter", params={"tol": -1e-4}),
    Case(
        "momentum-above-1", None, "The 'momentum' parameter", params={"momentum": 1.5}
    ),
    Case("beta_1-of-1", None, "The 'beta_1' parameter", params={"beta_1": 1.0}),
    Case("zero-epsilon", None, "The 'epsilon' parameter", params={"epsilon": 0.0}),
    Case(
        "validation_fraction-of-1",
        None,
        "The 'validation_fraction' parameter",
        params={"validation_fraction": 1.0},
    ),
    Case(
        "zero-n_iter_no_change",
        None,
        "The 'n_iter_no_change' parameter",
        params={"n_iter_no_change": 0},
    ),
    Case(
        "zero-hidden-layer",
        None,
        "hidden_layer_sizes",
        only="mlp",
        params={"hidden_layer_sizes": (4, 0)},
    ),
    Case(
        "fractional-hidden-layer",
        None,
        "hidden_layer_sizes must hold positive integers",
        only="mlp",
        params={"hidden_layer_sizes": (2.5,)},
    ),
    Case(
        "string-hidden-layer",
        None,
        "hidden_layer_sizes must hold positive integers",
        only="mlp",
        params={"hidden_layer_sizes": ("ten",)},
    ),
    Case(
        "infinite-hidden-layer",
        None,
        "hidden_layer_sizes must hold positive integers",
        only="mlp",
        params={"hidden_layer_sizes": (np.inf,)},
    ),
    Case(
        "negative-hidden-layer",
        None,
        "hidden_layer_sizes",
        only="mlp",
        params={"hidden_layer_sizes": (-3,)},
    ),
    Case(
        "unknown-activation",
        None,
        "The 'activation' parameter",
        only="mlp",
        params={"activation": "swish"},
    ),
]


def _applicable(cases, methods):
    """``(cls, case, method)`` for every estimator a case applies to."""
    return [
        pytest.param(cls, case, method, id=f"{cls.__name__}-{method}-{case.name}")
        for cls in ESTIMATORS
        for case in cases
        if case.applies_to(cls)
        for method in methods
    ]


def _prepared(cls, case, fitted):
    X, y, sample_weight = make_data(cls)
    estimator = make_estimator(cls, **case.params)
    if fitted:
        # Fit with valid parameters, then set the case's (possibly invalid) ones.
        estimator.set_params(**make_estimator(cls).get_params())
        estimator.fit(X, y)
        estimator.set_params(**case.params)
    if case.transform is not None:
        X, y, sample_weight = case.transform(X, y, sample_weight)
    return estimator, X, y, sample_weight


def _call(estimator, method, X, y, sample_weight):
    kwargs = {"sample_weight": sample_weight}
    if method == "partial_fit" and is_classifier(estimator):
        kwargs["classes"] = CLASSES
    return getattr(estimator, method)(X, y, **kwargs)


def _assert_fails_without_trace(estimator, call, error, match, X_check=None):
    """Run ``call``; it must raise ``error`` matching ``match`` and change nothing."""
    if X_check is None:
        X_check = make_data(type(estimator), seed=1)[0]
    fitted = hasattr(estimator, "n_features_in_")
    state = copy.deepcopy(vars(estimator))
    outputs = predictions(estimator, X_check) if fitted else None
    with pytest.raises(error, match=match):
        call()
    assert_same_state(state, vars(estimator))
    if fitted:
        for before, after in zip(outputs, predictions(estimator, X_check), strict=True):
            assert_array_equal(before, after, strict=True)


@pytest.mark.parametrize("fitted", [True, False], ids=["fitted", "unfitted"])
@pytest.mark.parametrize(
    "cls, case, method",
    _applicable(DATA_CASES + PARAMETER_CASES, ["fit", "partial_fit"])
    + _applicable(FIT_ONLY_CASES, ["fit"]),
)
def test_bad_training_input_raises_and_changes_nothing(cls, case, method, fitted):
    estimator, X, y, sample_weight = _prepared(cls, case, fitted)
    _assert_fails_without_trace(
        estimator,
        lambda: _call(estimator, method, X, y, sample_weight),
        case.error,
        case.match,
    )


@pytest.mark.parametrize(
    "cls", [cls for cls in ESTIMATORS if _supports_loss(cls, "absolute_error")]
)
def test_lbfgs_with_absolute_error_is_refused(cls):
    X, y, _ = make_data(cls)
    estimator = make_estimator(cls).fit(X, y)
    estimator.set_params(solver="lbfgs", loss="absolute_error")
    _assert_fails_without_trace(
        estimator,
        lambda: estimator.fit(X, y),
        ValueError,
        "solver='lbfgs' cannot minimise loss='absolute_error'",
    )


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_partial_fit_is_unavailable_with_lbfgs(cls):
    X, y, _ = make_data(cls)
    estimator = make_estimator(cls, solver="lbfgs")
    with pytest.raises(AttributeError, match="has no attribute 'partial_fit'") as info:
        _call(estimator, "partial_fit", X, y, None)
    assert "only available for stochastic optimizers" in str(info.value.__cause__)
    assert not hasattr(estimator, "n_features_in_")


# Calls that only make sense after a fit: (method, transform, match).
RESUME_CASES = {
    "partial_fit-with-fewer-features": (
        "partial_fit",
        {},
        lambda X, y: (X[:, :2], y),
        r"X has 2 features, but \w+ is expecting 3 features",
    ),
    "warm_start-with-more-features": (
        "fit",
        {"warm_start": True},
        lambda X, y: (np.c_[X, X], y),
        r"X has 6 features, but \w+ is expecting 3 features",
    ),
}
CLASSIFIER_RESUME_CASES = {
    "partial_fit-with-unseen-label": (
        "partial_fit",
        {},
        lambda X, y: (X, with_value(y, 7, dtype=int)),
        r"`y` has classes not in `self.classes_`",
    ),
    "partial_fit-with-other-classes": (
        "partial_fit",
        {"classes": [0, 1, 2, 3]},
        lambda X, y: (X, y),
        r"`classes=\[0, 1, 2, 3\]` is not the same as on last call",
    ),
    "warm_start-with-other-classes": (
        "fit",
        {"warm_start": True},
        lambda X, y: (X, np.where(y == 2, 3, y)),
        "warm_start can only be used where `y` has the same classes",
    ),
}
REGRESSOR_RESUME_CASES = {
    "warm_start-with-more-outputs": (
        "fit",
        {"warm_start": True},
        lambda X, y: (X, np.c_[y, y]),
        "y has 2 outputs but the fitted model has 1",
    ),
    "partial_fit-with-more-outputs": (
        "partial_fit",
        {},
        lambda X, y: (X, np.c_[y, y]),
        "y has 2 outputs but the fitted model has 1",
    ),
}


def _resume_params():
    for cls in ESTIMATORS:
        extra = (
            CLASSIFIER_RESUME_CASES if is_classifier(cls()) else REGRESSOR_RESUME_CASES
        )
        for name, case in {**RESUME_CASES, **extra}.items():
            yield pytest.param(cls, *case, id=f"{cls.__name__}-{name}")


@pytest.mark.parametrize(
    "cls, method, options, transform, match", list(_resume_params())
)
def test_inconsistent_resumed_training_raises_and_changes_nothing(
    cls, method, options, transform, match
):
    X, y, _ = make_data(cls)
    estimator = make_estimator(cls).fit(X, y)
    X_bad, y_bad = transform(X, y)
    kwargs = {}
    if "warm_start" in options:
        estimator.set_params(warm_start=True)
    elif is_classifier(cls()):
        kwargs["classes"] = options.get("classes", CLASSES)
    _assert_fails_without_trace(
        estimator,
        lambda: getattr(estimator, method)(X_bad, y_bad, **kwargs),
        ValueError,
        match,
    )


@pytest.mark.parametrize("cls", [c for c in ESTIMATORS if is_classifier(c())])
def test_first_partial_fit_needs_classes(cls):
    X, y, _ = make_data(cls)
    estimator = make_estimator(cls)
    _assert_fails_without_trace(
        estimator,
        lambda: estimator.partial_fit(X, y),
        ValueError,
        "classes must be passed on the first call to partial_fit",
    )


@pytest.mark.parametrize("cls", [c for c in ESTIMATORS if is_classifier(c())])
def test_first_partial_fit_with_a_single_class_is_refused(cls):
    X, y, _ = make_data(cls)
    estimator = make_estimator(cls)
    one = np.full(len(y), CLASSES[0])
    _assert_fails_without_trace(
        estimator,
        lambda: estimator.partial_fit(X, one, classes=CLASSES[:1]),
        ValueError,
        r"classes=.* holds only one class",
    )


@pytest.mark.parametrize("cls", [c for c in ESTIMATORS if is_classifier(c())])
def test_first_partial_fit_with_unseen_label_leaves_estimator_unfitted(cls):
    X, y, _ = make_data(cls)
    estimator = make_estimator(cls)
    _assert_fails_without_trace(
        estimator,
        lambda: estimator.partial_fit(X, with_value(y, 7, dtype=int), classes=CLASSES),
        ValueError,
        r"`y` has classes not in `self.classes_`",
    )
    # Nothing of the failed call lingers: the next first call starts afresh.
    estimator.partial_fit(X, y, classes=CLASSES)
    fresh = make_estimator(cls).partial_fit(X, y, classes=CLASSES)
    assert_same_state(vars(fresh), vars(estimator))


# Bad data for the prediction methods: (transform of X, match).
PREDICT_CASES = {
    "nan-X": (lambda X: with_value(X, np.nan), "X contains NaN"),
    "inf-X": (lambda X: with_value(X, np.inf), "X contains infinity"),
    "fewer-features": (
        lambda X: X[:, :2],
        r"X has 2 features, but \w+ is expecting 3 features",
    ),
    "more-features": (
        lambda X: np.c_[X, X],
        r"X has 6 features, but \w+ is expecting 3 features",
    ),
    "1d-X": (lambda X: X[0], "Expected 2D array, got 1D array"),
    "3d-X": (lambda X: X[:, :, None], "Found array with dim 3"),
    "empty-X": (lambda X: X[:0], r"Found array with 0 sample\(s\)"),
    "string-X": (
        lambda X: X.astype(str).astype(object) + "cm",
        "could not convert string to float",
    ),
    "complex-X": (lambda X: X + 1j, "Complex data not supported"),
}
PREDICT_METHODS = [
    "predict",
    "predict_proba",
    "predict_log_proba",
    "decision_function",
    "score",
]


def _predict_params():
    for cls in ESTIMATORS:
        for method in PREDICT_METHODS:
            if not hasattr(cls, method):
                continue
            for name, (transform, match) in PREDICT_CASES.items():
                yield pytest.param(
                    cls, method, transform, match, id=f"{cls.__name__}-{method}-{name}"
                )


@pytest.mark.parametrize("cls, method, transform, match", list(_predict_params()))
def test_bad_prediction_input_raises_and_changes_nothing(cls, method, transform, match):
    X, y, _ = make_data(cls)
    estimator = make_estimator(cls).fit(X, y)
    args = (transform(X), y) if method == "score" else (transform(X),)
    _assert_fails_without_trace(
        estimator, lambda: getattr(estimator, method)(*args), ValueError, match
    )


SCORE_CASES = {
    "short-y": (
        lambda y, w: (y[:-1], w),
        r"inconsistent numbers of samples",
    ),
    "nan-y": (lambda y, w: (with_value(y, np.nan), w), "contains NaN"),
    "inf-y": (lambda y, w: (with_value(y, np.inf), w), "contains infinity"),
    "nan-sample_weight": (
        lambda y, w: (y, with_value(w, np.nan)),
        "sample_weight contains NaN",
    ),
    "short-sample_weight": (
        lambda y, w: (y, w[:-1]),
        r"inconsistent numbers of samples: \[30, 30, 29\]",
    ),
}


@pytest.mark.parametrize("case", SCORE_CASES)
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_bad_score_targets_raise_and_change_nothing(cls, case):
    transform, match = SCORE_CASES[case]
    X, y, sample_weight = make_data(cls)
    estimator = make_estimator(cls).fit(X, y)
    y_bad, w_bad = transform(y, sample_weight)
    _assert_fails_without_trace(
        estimator,
        lambda: estimator.score(X, y_bad, sample_weight=w_bad),
        ValueError,
        match,
    )


@pytest.mark.parametrize("method", PREDICT_METHODS)
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_prediction_before_fit_raises_not_fitted(cls, method):
    if not hasattr(cls, method):
        return
    X, y, _ = make_data(cls)
    estimator = make_estimator(cls)
    args = (X, y) if method == "score" else (X,)
    with pytest.raises(NotFittedError, match="is not fitted yet"):
        getattr(estimator, method)(*args)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_failed_fit_keeps_feature_names(cls):
    pd = pytest.importorskip("pandas")
    X, y, _ = make_data(cls)
    frame = pd.DataFrame(X, columns=["age", "dose", "weight"])
    estimator = make_estimator(cls).fit(frame, y)
    # validate_data forgets the old names before it finds the NaN.
    _assert_fails_without_trace(
        estimator,
        lambda: estimator.fit(with_value(X, np.nan), y),
        ValueError,
        "X contains NaN",
        X_check=frame,
    )
    assert_array_equal(estimator.feature_names_in_, frame.columns)


# ------------------------------------------------ misaligned but valid input
def misaligned(array, offset=1):
    """A copy of ``array`` whose buffer starts ``offset`` bytes off alignment."""
    buffer = np.zeros(array.nbytes + 16, np.uint8)
    view = buffer[offset : offset + array.nbytes].view(array.dtype)
    view = view.reshape(array.shape)
    view[...] = array
    assert not view.flags.aligned
    return view


@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_misaligned_input_fits_and_predicts_as_aligned_input(cls, solver):
    # Arrays unpickled from a byte stream (as Dask ships them) can start at
    # any byte. NumPy multiplies such arrays without BLAS, in another order,
    # so unless they are realigned a fit there differs in its last bits.
    X, y, sample_weight = make_data(cls)
    aligned = make_estimator(cls, solver=solver).fit(X, y, sample_weight)
    shifted = make_estimator(cls, solver=solver).fit(
        misaligned(X), misaligned(y), misaligned(sample_weight)
    )
    for name in ("coefs_", "intercepts_"):
        for want, got in zip(
            getattr(aligned, name), getattr(shifted, name), strict=True
        ):
            assert_array_equal(got, want)
    assert_array_equal(shifted.predict(misaligned(X)), aligned.predict(X))
