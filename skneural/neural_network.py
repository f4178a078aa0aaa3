"""Multilayer perceptrons: drop-in replacements for scikit-learn's MLPs."""

from numbers import Integral, Real

import numpy as np

from ._base import BaseGradientDescent, store_init_arguments
from ._classifier import GradientDescentClassifierMixin
from ._compat import Hidden, Interval, StrOptions
from ._docstrings import NETWORK_ATTRIBUTES, document
from ._regressor import GradientDescentRegressorMixin
from ._sklearn_private import SklearnMLPInternalsMixin
from .engine.activations import ACTIVATIONS, Activation
from .engine.initializers import SYMMETRY_BREAKING, Initializer
from .engine.layers import Layer

__all__ = ["MLPRegressor", "MLPSoftmaxClassifier"]

# The fitted attributes of a network, with those of its non-dense layers.
_MLP_ATTRIBUTES = tuple(
    item
    for name in NETWORK_ATTRIBUTES
    for item in ((name, "layer_params_") if name == "intercepts_" else (name,))
)

_REFERENCES = """
References
----------
Glorot, X. and Bengio, Y. (2010). Understanding the difficulty of training
deep feedforward neural networks. AISTATS.

Kingma, D. P. and Ba, J. (2014). Adam: A method for stochastic optimization.
arXiv:1412.6980.
"""


class BaseMLP(SklearnMLPInternalsMixin, BaseGradientDescent):
    """Shared parameters of the multilayer perceptrons; not for direct use."""

    _starts_at_target_mean = True

    _parameter_constraints: dict = {
        **BaseGradientDescent._parameter_constraints,
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
            Layer,
        ],
        # Other names must be registered; fit checks them (the registry grows).
        "activation": [
            StrOptions(set(ACTIVATIONS.builtin_names)),
            Hidden(str),
            Activation,
        ],
        "weight_init": [StrOptions(set(SYMMETRY_BREAKING)), Initializer],
        "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
    }

    def _hidden_entries(self):
        """Return ``hidden_layer_sizes`` as a list; a single entry is a list of one."""
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, Layer) or np.ndim(sizes) == 0:
            return [sizes]
        return list(sizes)

    def _hidden_layer_sizes(self):
        sizes = self._hidden_entries()
        if any(
            not isinstance(size, Layer)
            and (
                not isinstance(size, Real) or not float(size).is_integer() or size <= 0
            )
            for size in sizes
        ):
            raise ValueError(
                "hidden_layer_sizes must hold positive integers or Layer "
                f"instances (skneural.engine.layers), got {sizes}."
            )
        return tuple(size if isinstance(size, Layer) else int(size) for size in sizes)

    def _layer_attributes(self, params):
        return {
            **super()._layer_attributes(params),
            "layer_params_": self._network.layer_params(params),
        }

    def _accept_sparse(self):
        # Only the first layer reads X; a layer instance may take arrays only.
        first = next(iter(self._hidden_entries()), None)
        if isinstance(first, Layer) and not first.accepts_sparse:
            return False
        return super()._accept_sparse()

    def _fitted_layer_params(self):
        # Code written for scikit-learn may set coefs_ and intercepts_ by hand
        # (its test_fit does); a dense stack needs nothing more.
        return getattr(self, "layer_params_", [])

    def _hidden_activation(self):
        return self.activation

    def _initial_weights(self):
        return self.weight_init

    def _dropout(self):
        return self.dropout


_CLASSIFIER_EXAMPLE = """
See Also
--------
MLPRegressor : Multilayer perceptron regressor.
GDLogisticClassifier : The same model without hidden layers.

Notes
-----
The log-loss is computed from the logits with ``logaddexp`` and
log-sum-exp, never from clipped probabilities, and ``predict_log_proba``
stays finite for confident predictions.

Unlike :class:`~sklearn.neural_network.MLPClassifier`, this class has a
``decision_function`` (the logits). Tools that try it before
``predict_proba`` therefore see logits where they see probabilities from
``MLPClassifier``: :class:`~sklearn.inspection.DecisionBoundaryDisplay`
with ``response_method='auto'`` colours by logit, the ``'roc_auc'`` and
``'average_precision'`` scorers rank by logit (the same order, except
where probabilities round to 0 or 1), and
:class:`~sklearn.calibration.CalibratedClassifierCV` calibrates the
logits. Pass ``response_method='predict_proba'`` where a tool takes it to
get ``MLPClassifier``'s behaviour. :ref:`The user guide <guide-tools>` lists
the tools.
{references}
Examples
--------
>>> from sklearn.datasets import make_classification
>>> from skneural import MLPSoftmaxClassifier
>>> X, y = make_classification(n_samples=200, random_state=0)
>>> clf = MLPSoftmaxClassifier(max_iter=500, random_state=0).fit(X, y)
>>> clf.predict(X[:5])
array([0, 0, 1, 1, 0])
>>> round(clf.score(X, y), 2)
1.0
"""


@document(
    "Multilayer perceptron classifier with a softmax (or logistic) output.",
    extended="""
    Minimises the log-loss, plus an L2 penalty, with L-BFGS or mini-batch
    gradient descent. Binary targets get one logistic output unit, multiclass
    targets a softmax over the classes, multilabel indicator targets one
    independent logistic unit per label. Parameters, defaults, fitted
    attributes and methods are those of
    :class:`sklearn.neural_network.MLPClassifier`.
    """,
    attributes=("classes_", *_MLP_ATTRIBUTES),
    sections=_CLASSIFIER_EXAMPLE.format(references=_REFERENCES),
)
class MLPSoftmaxClassifier(GradientDescentClassifierMixin, BaseMLP):  # noqa: D101 (written by @document)
    _parameter_constraints: dict = {
        **BaseMLP._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        l1_ratio=0.0,
        warmup_epochs=0,
        clip_norm=None,
        scoring=None,
        weight_init="glorot_uniform",
        dropout=0.0,
        class_weight=None,
    ):
        store_init_arguments(self, locals())


_REGRESSOR_EXAMPLE = """
See Also
--------
MLPSoftmaxClassifier : Multilayer perceptron classifier.
GDLinearRegressor : The same model without hidden layers.
{references}
Examples
--------
>>> from sklearn.datasets import make_regression
>>> from skneural import MLPRegressor
>>> X, y = make_regression(n_samples=200, n_features=5, noise=1.0, random_state=0)
>>> reg = MLPRegressor(solver="lbfgs", max_iter=1000, random_state=0).fit(X, y)
>>> round(reg.score(X, y), 2)
1.0
"""


@document(
    "Multilayer perceptron regressor.",
    extended="""
    Minimises half the squared error (or the absolute error, or half the
    Poisson deviance with a log link), plus an L2 penalty, with L-BFGS or
    mini-batch gradient descent. Several targets are fitted at once as one
    output unit each. Parameters, defaults, fitted attributes and methods are
    those of :class:`sklearn.neural_network.MLPRegressor`.
    """,
    parameters={
        "loss": (
            "{'squared_error', 'absolute_error', 'poisson'} or str",
            "Loss of the output: half squared error (identity output), absolute "
            "error (identity output; a median regression) or half Poisson "
            "deviance (exponential output, for non-negative targets). A name "
            "registered with :func:`skneural.engine.losses.register_loss` "
            "selects that loss and its ``out_activation``.",
        )
    },
    attributes=_MLP_ATTRIBUTES,
    sections=_REGRESSOR_EXAMPLE.format(references=_REFERENCES),
)
class MLPRegressor(GradientDescentRegressorMixin, BaseMLP):  # noqa: D101 (written by @document)
    _parameter_constraints: dict = {
        **BaseMLP._parameter_constraints,
        # Other names must be registered; fit checks them (the registry grows).
        "loss": [
            StrOptions({"squared_error", "absolute_error", "poisson"}),
            Hidden(str),
        ],
    }

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        l1_ratio=0.0,
        warmup_epochs=0,
        clip_norm=None,
        scoring=None,
        weight_init="glorot_uniform",
        dropout=0.0,
    ):
        store_init_arguments(self, locals())
