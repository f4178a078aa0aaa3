"""Property-based fuzzing of every estimator across shapes, dtypes and settings.

Hypothesis draws an estimator, its hyper-parameters (solver, schedule, loss,
penalty, batch size, early stopping, ...) and a small data set (shape, dtype,
scale, sample weights, label set). A fit must either succeed and predict
finite values, with valid probabilities, or fail with a ``ValueError`` whose
message is one of the known, clear ones below. Any other exception, a NaN, or
a NumPy RuntimeWarning (an error under the pytest configuration) fails.

The runs are derandomized and bounded, so CI sees the same examples each time.
"""

import re
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose
from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning

from skneural.engine.activations import ACTIVATIONS
from skneural.utils import gradient_descent_estimators

# The tabular MLPs take no solver: tests/estimators/test_tabular_mlp.py covers them.
ESTIMATORS = [cls for _, cls in gradient_descent_estimators()]

# Errors that valid-looking random settings may legitimately meet, each of
# which says what is wrong.
CLEAR_ERRORS = [
    r"only one class",
    r"Sample weights must contain at least one non-zero number",
    r"validation set",
    r"solver='lbfgs' cannot minimise loss='absolute_error'",
    r"dropout makes every evaluation of the objective random",
    r"class_weight='balanced' is not supported by partial_fit",
]

FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def options(cls, name):
    """The string options of a hyper-parameter, from the estimator's constraints."""
    found = set()
    for constraint in cls._parameter_constraints.get(name, []):
        found |= set(getattr(constraint, "options", ()))
    return sorted(option for option in found if isinstance(option, str))


@st.composite
def hyper_parameters(draw, cls, n_samples):
    candidates = {
        "solver": st.sampled_from(options(cls, "solver")),
        "learning_rate": st.sampled_from(options(cls, "learning_rate")),
        "loss": st.sampled_from(options(cls, "loss") or [None]),
        "weight_init": st.sampled_from(options(cls, "weight_init") or [None]),
        "activation": st.sampled_from(sorted(ACTIVATIONS)),
        "hidden_layer_sizes": st.lists(st.integers(1, 5), min_size=1, max_size=2).map(
            tuple
        ),
        "alpha": st.sampled_from([0.0, 1e-4, 1.0, 100.0]),
        "l1_ratio": st.sampled_from([0.0, 0.5]),
        "dropout": st.sampled_from([0.0, 0.25]),
        "class_weight": st.sampled_from([None, "balanced"]),
        "batch_size": st.one_of(st.just("auto"), st.integers(1, n_samples)),
        "learning_rate_init": st.sampled_from([1e-3, 0.1, 10.0]),
        "max_iter": st.integers(1, 12),
        "early_stopping": st.booleans(),
        "shuffle": st.booleans(),
        "momentum": st.sampled_from([0.0, 0.9]),
        "nesterovs_momentum": st.booleans(),
        "clip_norm": st.sampled_from([None, 1.0]),
        "warmup_epochs": st.integers(0, 2),
    }
    accepted = cls().get_params()
    params = {
        name: draw(strategy)
        for name, strategy in candidates.items()
        if name in accepted
    }
    return {name: value for name, value in params.items() if value is not None}


LABEL_SETS = [
    np.array([0, 1]),
    np.array([-3, 7, 11]),
    np.array(["ant", "bee", "cow", "doe"]),
    np.array([False, True]),
]


@st.composite
def problems(draw, cls, stochastic_only=False):
    n_samples = draw(st.integers(1, 24))
    n_features = draw(st.integers(1, 4))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    scale = draw(st.sampled_from([1e-4, 1.0, 1e4]))
    X = draw(
        arrays(
            dtype,
            (n_samples, n_features),
            elements=st.floats(-1, 1, width=32, allow_subnormal=False),
        )
    )
    X = (X * scale).astype(dtype)
    params = draw(hyper_parameters(cls, n_samples))
    if stochastic_only and params["solver"] == "lbfgs":
        params["solver"] = "adam"
    if is_classifier(cls()):
        labels = draw(st.sampled_from(LABEL_SETS))
        y = labels[
            draw(arrays(np.intp, n_samples, elements=st.integers(0, 1000)))
            % len(labels)
        ]
        if n_samples >= 2 and draw(st.booleans()):
            # Often force two classes: a single class is refused, not fitted.
            y[:2] = labels[:2]
    else:
        y = draw(arrays(np.float64, n_samples, elements=st.floats(-100, 100, width=32)))
        if params.get("loss") == "poisson":
            y = np.abs(y)
    sample_weight = draw(
        st.one_of(
            st.none(),
            arrays(
                np.float64,
                n_samples,
                elements=st.sampled_from([0.0, 0.5, 1.0, 3.0]),
            ),
        )
    )
    return params, X, y, sample_weight


def fit_or_clear_error(estimator, X, y, **kwargs):
    """Fit; return True, or False after a clear ValueError. Other errors escape."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            # batch_size larger than the data is clipped, with a UserWarning.
            warnings.filterwarnings("ignore", message="Got batch_size")
            estimator.fit(X, y, **kwargs)
    except ValueError as error:
        clear = [p for p in CLEAR_ERRORS if re.search(p, str(error))]
        if not clear:
            raise
        event(f"refused: {clear[0]}")
        return False
    event("fitted")
    return True


def assert_sound_predictions(estimator, X):
    for array in [*estimator.coefs_, *estimator.intercepts_]:
        assert np.isfinite(array).all()
    prediction = estimator.predict(X)
    assert len(prediction) == X.shape[0]
    if not is_classifier(estimator):
        assert np.isfinite(prediction).all()
        return
    assert np.isin(prediction, estimator.classes_).all()
    proba = estimator.predict_proba(X)
    assert np.isfinite(proba).all()
    assert ((proba >= 0) & (proba <= 1)).all()
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-4)
    assert np.isfinite(estimator.decision_function(X)).all()


@pytest.mark.parametrize("cls", ESTIMATORS)
@FUZZ
@given(data=st.data())
def test_fit_succeeds_or_fails_clearly_and_predicts_finite_values(cls, data):
    params, X, y, sample_weight = data.draw(problems(cls))
    estimator = cls(random_state=0, **params)
    if fit_or_clear_error(estimator, X, y, sample_weight=sample_weight):
        assert estimator.coefs_[0].dtype == X.dtype
        assert_sound_predictions(estimator, X)
        assert_sound_predictions(estimator, np.zeros((1, X.shape[1]), X.dtype))
    else:
        assert not hasattr(estimator, "coefs_")


@pytest.mark.parametrize("cls", ESTIMATORS)
@FUZZ
@given(data=st.data())
def test_partial_fit_stream_stays_finite(cls, data):
    params, X, y, sample_weight = data.draw(problems(cls, stochastic_only=True))
    params.pop("early_stopping", None)
    params.pop("class_weight", None)
    estimator = cls(random_state=0, **params)
    kwargs = {"classes": np.unique(y)} if is_classifier(estimator) else {}
    n_batches = data.draw(st.integers(1, 4))
    for batch in np.array_split(np.arange(len(y)), n_batches):
        if len(batch) == 0:
            continue
        weights = None if sample_weight is None else sample_weight[batch]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                warnings.filterwarnings("ignore", message="Got batch_size")
                estimator.partial_fit(
                    X[batch], y[batch], sample_weight=weights, **kwargs
                )
        except ValueError as error:
            if not any(re.search(p, str(error)) for p in CLEAR_ERRORS):
                raise
            continue
        assert_sound_predictions(estimator, X)


@pytest.mark.parametrize("cls", ESTIMATORS)
@FUZZ
@given(data=st.data())
def test_predictions_on_unseen_inputs_are_finite(cls, data):
    params, X, y, sample_weight = data.draw(problems(cls))
    estimator = cls(random_state=0, **params)
    if not fit_or_clear_error(estimator, X, y, sample_weight=sample_weight):
        return
    X_new = data.draw(
        arrays(
            data.draw(st.sampled_from([np.float32, np.float64])),
            (data.draw(st.integers(1, 8)), X.shape[1]),
            elements=st.floats(-1e6, 1e6, width=32),
        )
    )
    assert_sound_predictions(estimator, X_new)
