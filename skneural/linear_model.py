"""Linear and logistic regression: the engine's network with no hidden layer."""

import numpy as np

from ._base import BaseGradientDescent, store_init_arguments
from ._classifier import GradientDescentClassifierMixin
from ._compat import Hidden, StrOptions
from ._docstrings import NETWORK_ATTRIBUTES, document
from ._regressor import GradientDescentRegressorMixin

__all__ = ["GDLinearRegressor", "GDLogisticClassifier"]


class BaseLinearGD(BaseGradientDescent):
    """A network without hidden layers, exposing ``coef_`` and ``intercept_``."""

    # A convex objective: let ``tol`` on the gradient decide when L-BFGS stops,
    # as LogisticRegression does, rather than SciPy's loose relative reduction.
    _lbfgs_ftol = 64 * np.finfo(float).eps

    def _hidden_layer_sizes(self):
        return ()

    def _hidden_activation(self):
        return "identity"

    def _initial_weights(self):
        # Convex, so nothing to break by randomness; zeros make the fit seed-free.
        return "zeros"

    def _store_result(self, *args, **kwargs):
        super()._store_result(*args, **kwargs)
        self.coef_ = self.coefs_[0].T.copy()
        self.intercept_ = self.intercepts_[0].copy()


_COEF_REGRESSOR = (
    "coef_",
    (
        "ndarray of shape (n_features,) or (n_targets, n_features)",
        "Coefficients, shaped as in :class:`~sklearn.linear_model.LinearRegression`.",
    ),
)
_INTERCEPT_REGRESSOR = (
    "intercept_",
    (
        "float or ndarray of shape (n_targets,)",
        "Intercept; an array of one per target when y is 2-D.",
    ),
)


@document(
    "Linear regression trained by gradient descent.",
    extended="""
    The engine's network with no hidden layer and an identity output:
    minimises half the mean squared error (or the mean absolute error) plus
    ``alpha / 2 * ||coef||^2 / n_samples``. The defaults (L-BFGS, no penalty)
    reach the least-squares solution; the stochastic solvers show gradient
    descent at work on the same objective.
    """,
    parameters={
        "loss": (
            "{'squared_error', 'absolute_error'} or str",
            "``'squared_error'`` fits the conditional mean (least squares); "
            "``'absolute_error'`` the conditional median (least absolute "
            "deviations). A name registered with "
            ":func:`skneural.engine.losses.register_loss` selects that loss and "
            "its ``out_activation``.",
        ),
        "alpha": (
            "float",
            "Strength of the L2 penalty on the coefficients, divided by the "
            "sample size (ridge regression with ``Ridge(alpha=alpha)`` for the "
            "squared error). 0 gives ordinary least squares.",
        ),
    },
    attributes=(_COEF_REGRESSOR, _INTERCEPT_REGRESSOR, *NETWORK_ATTRIBUTES),
    sections="""
    See Also
    --------
    sklearn.linear_model.LinearRegression : Closed-form least squares.
    sklearn.linear_model.SGDRegressor : Linear models fitted by SGD.

    Examples
    --------
    >>> import numpy as np
    >>> from skneural import GDLinearRegressor
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> y = 2 * X.ravel() + 1
    >>> reg = GDLinearRegressor().fit(X, y)
    >>> reg.coef_.round(4), round(reg.intercept_, 4)
    (array([2.]), 1.0)
    """,
)
class GDLinearRegressor(GradientDescentRegressorMixin, BaseLinearGD):  # noqa: D101 (written by @document)
    _parameter_constraints: dict = {
        **BaseLinearGD._parameter_constraints,
        # Other names must be registered; fit checks them (the registry grows).
        "loss": [StrOptions({"squared_error", "absolute_error"}), Hidden(str)],
    }

    def __init__(
        self,
        loss="squared_error",
        *,
        solver="lbfgs",
        alpha=0.0,
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
        weight_decay=0.01,
        decay_rate=0.5,
        decay_steps=50,
        warmup_epochs=0,
        clip_norm=None,
        scoring=None,
    ):
        store_init_arguments(self, locals())

    def _store_result(self, *args, **kwargs):
        super()._store_result(*args, **kwargs)
        if self.n_outputs_ == 1:
            self.coef_ = self.coef_.ravel()
            self.intercept_ = float(self.intercept_[0])


@document(
    "Logistic regression trained by gradient descent.",
    extended="""
    The engine's network with no hidden layer: one sigmoid output for binary
    targets (``coef_`` of shape (1, n_features), as in
    :class:`~sklearn.linear_model.LogisticRegression`), a multinomial softmax
    for more classes, independent sigmoids for multilabel targets. Minimises
    the mean log-loss plus ``alpha / 2 * ||coef||^2 / n_samples``, which is
    ``LogisticRegression``'s objective with ``C = 1 / alpha``; the default
    ``alpha=1.0`` matches its default ``C=1.0``.
    """,
    parameters={
        "alpha": (
            "float",
            "Strength of the L2 penalty, the inverse of LogisticRegression's "
            "``C``. 0 gives unpenalised maximum likelihood.",
        ),
    },
    attributes=(
        "classes_",
        (
            "coef_",
            (
                "ndarray of shape (1, n_features) or (n_classes, n_features)",
                "Coefficients of the logits.",
            ),
        ),
        (
            "intercept_",
            ("ndarray of shape (1,) or (n_classes,)", "Intercepts of the logits."),
        ),
        *NETWORK_ATTRIBUTES,
    ),
    sections="""
    See Also
    --------
    sklearn.linear_model.LogisticRegression : The same objective, other solvers.
    MLPSoftmaxClassifier : The same model with hidden layers.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skneural import GDLogisticClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> clf = GDLogisticClassifier().fit(X, y)
    >>> clf.coef_.shape
    (3, 4)
    >>> round(clf.score(X, y), 2)
    0.97
    """,
)
class GDLogisticClassifier(GradientDescentClassifierMixin, BaseLinearGD):  # noqa: D101 (written by @document)
    _parameter_constraints: dict = {
        **BaseLinearGD._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        *,
        solver="lbfgs",
        alpha=1.0,
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
        weight_decay=0.01,
        decay_rate=0.5,
        decay_steps=50,
        warmup_epochs=0,
        clip_norm=None,
        scoring=None,
        class_weight=None,
    ):
        store_init_arguments(self, locals())
