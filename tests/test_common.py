"""scikit-learn's estimator checks over every public estimator, no expected failures.

Each estimator is checked in its default configuration and once per solver;
the MLPs at their defaults but for one parameter: each solver, each hidden
activation, each regression loss. The configurations are ordinary user
settings, not special cases for the check data.
"""

import pytest
from sklearn.utils.estimator_checks import (
    estimator_checks_generator,
    parametrize_with_checks,
)

from skneural import (
    GDLinearRegressor,
    GDLogisticClassifier,
    MLPRegressor,
    MLPSoftmaxClassifier,
    TabularMLPClassifier,
    TabularMLPRegressor,
)
from skneural.engine.activations import ACTIVATIONS as BUILTIN_ACTIVATIONS
from skneural.engine.optimizers import SGD, AdamW
from skneural.engine.schedules import Cosine, Step
from skneural.utils import all_estimators

# Every solver, each at the estimators' defaults: the linear models' default
# learning_rate_init is 'auto', the MLPs' scikit-learn's 0.001.
SOLVERS = ("lbfgs", "sgd", "adam", "adamw", "rmsprop", "adagrad")
# Every built-in activation, as the registry lists them: one that joins the
# registry joins the checks.
ACTIVATIONS = BUILTIN_ACTIVATIONS.builtin_names


def _configurations():
    instances = []
    # Each estimator at its defaults, changing one parameter at a time.
    for solver in SOLVERS:
        instances += [
            GDLinearRegressor(solver=solver),
            GDLogisticClassifier(solver=solver),
            MLPSoftmaxClassifier(solver=solver),
            MLPRegressor(solver=solver),
        ]
    for activation in ACTIVATIONS:
        instances += [
            MLPSoftmaxClassifier(activation=activation),
            MLPRegressor(activation=activation),
        ]
    instances += [MLPRegressor(loss=loss) for loss in ("absolute_error", "poisson")]
    # The absolute error is not smooth, so it goes with the stochastic solvers
    # only (lbfgs rejects it).
    instances += [
        GDLinearRegressor(loss="absolute_error", solver=solver)
        for solver in SOLVERS
        if solver != "lbfgs"
    ]
    # The parameters beyond scikit-learn's MLP, one configuration each at least.
    instances += [
        MLPSoftmaxClassifier(dropout=0.2),
        MLPRegressor(dropout=0.1),
        MLPSoftmaxClassifier(learning_rate="cosine", warmup_epochs=5),
        MLPRegressor(learning_rate="step", warmup_epochs=3, solver="sgd"),
        MLPSoftmaxClassifier(learning_rate="exponential", clip_norm=1.0),
        MLPSoftmaxClassifier(activation="gelu", weight_init="he_normal"),
        MLPRegressor(activation="elu", weight_init="glorot_normal"),
        MLPSoftmaxClassifier(activation="silu", weight_init="he_uniform"),
        MLPSoftmaxClassifier(class_weight="balanced"),
        GDLogisticClassifier(class_weight="balanced"),
        GDLogisticClassifier(alpha=0.1, l1_ratio=0.5),
        GDLinearRegressor(alpha=1.0, l1_ratio=1.0),
        GDLinearRegressor(alpha=0.1, l1_ratio=0.5, solver="sgd"),
        # Engine instances as solver and learning_rate: nested parameters.
        MLPRegressor(solver=AdamW(weight_decay=0.05), learning_rate=Step()),
        GDLogisticClassifier(solver=SGD(momentum=0.5), learning_rate=Cosine()),
        # The tabular MLPs at their defaults (two networks), as ensembles,
        # with one network, and with the embedding, the feature scales and
        # the parametric activations off.
        TabularMLPClassifier(),
        TabularMLPRegressor(),
        TabularMLPClassifier(n_ensemble=4),
        TabularMLPRegressor(n_ensemble=4),
        TabularMLPClassifier(n_networks=1),
        TabularMLPRegressor(n_networks=1),
        TabularMLPClassifier(
            numeric_embedding=None, feature_scaling=False, parametric_activation=False
        ),
        TabularMLPRegressor(
            numeric_embedding=None, feature_scaling=False, parametric_activation=False
        ),
    ]
    return instances


def _distinct(instances):
    # The default solver and activation come up in both sweeps; check them once.
    seen = set()
    return [e for e in instances if not (repr(e) in seen or seen.add(repr(e)))]


CONFIGURATIONS = _distinct(_configurations())


def test_configurations_cover_every_public_estimator():
    covered = {type(estimator) for estimator in CONFIGURATIONS}
    assert covered == {cls for _, cls in all_estimators()}


@parametrize_with_checks(CONFIGURATIONS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


# partial_fit refuses early_stopping=True, as it does in scikit-learn's MLPs
# and SGD models: the checks that call it must meet that error, and every
# other check runs as above.
EARLY_STOPPING = [
    MLPSoftmaxClassifier(early_stopping=True, scoring="loss"),
    MLPRegressor(early_stopping=True),
]
CALLS_PARTIAL_FIT = {
    "check_estimators_partial_fit_n_features",
    "check_fit_score_takes_y",
    "check_n_features_in_after_fitting",
}


def _early_stopping_checks():
    for instance in EARLY_STOPPING:
        for estimator, check in estimator_checks_generator(instance):
            name = check.func.__name__
            yield pytest.param(estimator, check, id=f"{estimator!r}-{name}")


@pytest.mark.parametrize("estimator, check", _early_stopping_checks())
def test_sklearn_compatible_with_early_stopping(estimator, check):
    if check.func.__name__ in CALLS_PARTIAL_FIT:
        with pytest.raises(ValueError, match="partial_fit does not support"):
            check(estimator)
    else:
        check(estimator)
