"""Linear and logistic regression: the engine's network with no hidden layer."""

from numbers import Real
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import check_is_fitted

from ._base import BaseGradientDescent, best_constant_output, store_init_arguments
from ._classifier import GradientDescentClassifierMixin
from ._compat import Hidden, Interval, StrOptions
from ._docstrings import NETWORK_ATTRIBUTES, document
from ._regressor import GradientDescentRegressorMixin
from .engine.activations import OUTPUT_FUNCTIONS
from .engine.optimizers import SGD, Adagrad, Adam, RMSprop

__all__ = ["GDLinearRegressor", "GDLogisticClassifier"]


class _ScaledRate(NamedTuple):
    """How ``learning_rate_init='auto'`` sets an adaptive solver's rate.

    The rate is ``scale * max(fraction, travel / n_steps ** power)`` for the
    scale of the solution (``_solution_scale``) and the number of steps of
    the fit. Adam-like steps are about the rate per coefficient: ``fraction``
    keeps the noise of the last steps small, ``travel`` lets the steps cover
    the scale in a fit of few steps. Adam's steps keep their size, so n
    steps cover about ``n * rate``; RMSprop (without bias correction, its
    first steps are ``1 / sqrt(1 - beta_2)`` times the rate) and Adagrad
    divide by a growing sum of squared gradients, and cover ``sqrt(n) * rate``.
    """

    fraction: float
    travel: float
    power: float


# By optimizer class; a subclass (AdamW of Adam) takes its base's.
_SCALED_RATES = {
    Adam: _ScaledRate(0.02, 20.0, 1.0),
    RMSprop: _ScaledRate(0.002, 0.08, 0.5),
    Adagrad: _ScaledRate(0.1, 4.0, 0.5),
}
# Fewer steps (a few epochs of a full batch) would ask one step to cover
# the whole way.
_MIN_STEPS = 200


class BaseLinearGD(BaseGradientDescent):
    """A network without hidden layers, exposing ``coef_`` and ``intercept_``.

    ``coefs_`` and ``intercepts_`` hold the parameters; ``coef_`` and
    ``intercept_`` are views of them in scikit-learn's layout, so that
    assigning or editing either changes the model.
    """

    _parameter_constraints: dict = {
        **BaseGradientDescent._parameter_constraints,
        "fit_intercept": ["boolean"],
        "learning_rate_init": [
            Interval(Real, 0, None, closed="neither"),
            StrOptions({"auto"}),
        ],
    }

    # A convex objective: let ``tol`` on the gradient decide when L-BFGS stops,
    # as LogisticRegression does, rather than SciPy's loose relative reduction.
    _lbfgs_ftol = 64 * np.finfo(float).eps

    # No decay on top of alpha, the linear models' penalty: with it, solver=
    # 'adamw' would move the fit off the optimum of their objective, which
    # every other solver reaches.
    _adamw_weight_decay = 0.0

    # The largest second derivative of the loss in the raw output (1 for the
    # squared error; the absolute error, which has none, is given the same).
    _loss_curvature = 1.0

    def _hidden_layer_sizes(self):
        return ()

    def _hidden_activation(self):
        return "identity"

    def _initial_weights(self):
        # Convex, so nothing to break by randomness; zeros make the fit seed-free.
        return "zeros"

    @property
    def _starts_at_target_mean(self):
        # The best constant model, so that the intercept need not travel to
        # the mean of the targets; without intercepts there is none to set.
        return self.fit_intercept

    def _output_intercept(self):
        return self.fit_intercept

    def _penalty_weight_sum(self, sample_weight, rows, n_train):
        # The objective is the full data's; each mini-batch estimates it.
        if sample_weight is None:
            return n_train
        return float(sample_weight.sum() if rows is None else sample_weight[rows].sum())

    def _initial_learning_rate(
        self, optimizer, X, Y, sample_weight, rows, batch_size, incremental
    ):
        if self.learning_rate_init != "auto" or self._schedule_rate() is not None:
            self.learning_rate_init_ = float(
                super()._initial_learning_rate(
                    optimizer, X, Y, sample_weight, rows, batch_size, incremental
                )
            )
        elif not (incremental and getattr(self, "learning_rate_init_", None)):
            # partial_fit keeps the rate of its first call.
            weight = _row_weights(sample_weight, rows, X.shape[0])
            self.learning_rate_init_ = self._auto_learning_rate(
                optimizer, X, Y, weight, batch_size
            )
        return self.learning_rate_init_

    def _auto_learning_rate(self, optimizer, X, Y, weight, batch_size):
        """Derive the initial learning rate of ``optimizer`` from the data.

        ``weight`` holds the rows' weights (0 for rows held out), or is None
        when every row weighs 1.
        """
        l2 = self.alpha * (1 - self.l1_ratio)
        n_rows = X.shape[0] if weight is None else np.count_nonzero(weight)
        if isinstance(optimizer, SGD):
            # 1 / L, with L the largest curvature of a batch's objective.
            rows = _batch_curvature(X, weight, batch_size)
            curvature = self._loss_curvature * (rows + self.fit_intercept)
            weight_sum = n_rows if weight is None else weight.sum()
            return 1.0 / (curvature + l2 / weight_sum)
        n_steps = max(self.max_iter * -(-n_rows // batch_size), _MIN_STEPS)
        rate = _scaled_rate(optimizer)
        fraction = max(rate.fraction, rate.travel / n_steps**rate.power)
        return fraction * self._solution_scale(X, Y, weight, l2)

    def _solution_scale(self, X, Y, weight, l2):
        """Largest coefficient of the diagonal Newton step from the start.

        Each coefficient's step minimises a quadratic model of the objective
        along that coefficient alone (and the intercept, which moves with it):
        how far it would move if fitted by itself, a cheap estimate of the
        scale of the solution, in which Adam-like steps are measured.
        """
        if weight is None:
            weight = np.ones(X.shape[0])
        weight_sum = weight.sum()
        _, residual, curvature = self._start(Y, weight)
        gradient = np.asarray(X.T @ (weight[:, np.newaxis] * residual))
        if sp.issparse(X):
            column_squares = np.asarray(X.multiply(X).T @ weight).ravel()
        else:
            column_squares = np.einsum("ij,ij,i->j", X, X, weight)
        if self.fit_intercept:
            # Fitted with the intercept, a feature acts through its deviation
            # from its mean: sum w (x - mean)^2 = sum w x^2 - (sum w x)^2 / sum w.
            sums = np.asarray(X.T @ weight).ravel()
            column_squares -= sums**2 / weight_sum
            gradient -= np.outer(sums, weight @ residual) / weight_sum
        # A column of a tenth of the mean variance or less counts as that
        # tenth: a near-constant one (a pixel rarely lit) would otherwise set
        # the rate of every coefficient.
        column_squares = np.maximum(column_squares, 0.1 * column_squares.mean())
        hessian = np.outer(column_squares, curvature) + l2
        moving = hessian > 0
        scale = np.abs(gradient[moving] / hessian[moving]).max(initial=0.0)
        # All-zero data leave nothing to move: any rate reaches the optimum.
        return scale if scale > 0 else 1.0

    def _squeezed(self):
        """Whether ``coef_`` and ``intercept_`` drop the output axis."""
        return False

    @property
    def coef_(self):
        """Coefficients, a view of ``coefs_[0]``: edits change the model."""
        coef = self.coefs_[0].T
        return coef[0] if self._squeezed() else coef

    @coef_.setter
    def coef_(self, value):
        coef = _checked_array("coef_", value, lambda: self.coef_.shape, self)
        self.coefs_ = [coef[:, np.newaxis] if self._squeezed() else coef.T]

    def _scalar_intercept(self):
        """Whether ``intercept_`` is a float rather than an array."""
        return self._squeezed()

    @property
    def intercept_(self):
        """Intercepts, a view of ``intercepts_[0]`` (a float where scalar)."""
        intercept = self.intercepts_[0]
        return float(intercept[0]) if self._scalar_intercept() else intercept

    @intercept_.setter
    def intercept_(self, value):
        intercept = _checked_array(
            "intercept_", value, lambda: np.shape(self.intercept_), self
        )
        # A scalar intercept stands for every output's.
        shape = self.intercepts_[0].shape
        self.intercepts_ = [np.broadcast_to(intercept, shape).copy()]

    def _store_result(self, *args, **kwargs):
        super()._store_result(*args, **kwargs)
        if self._engine_optimizer() is None:
            self.learning_rate_init_ = None


def _scaled_rate(optimizer):
    """Return the ``_ScaledRate`` of ``optimizer``'s class or of its nearest base."""
    for cls in type(optimizer).__mro__:
        if cls in _SCALED_RATES:
            return _SCALED_RATES[cls]
    raise ValueError(
        f"learning_rate_init='auto' has no rule to derive the rate of "
        f"{optimizer!r} from the data (it has one for SGD, Adam, RMSprop, "
        "Adagrad and their subclasses). Pass learning_rate_init as a float."
    )


def _row_weights(sample_weight, rows, n_rows):
    """Return the weight of each row, 0 outside ``rows``; None if all weigh 1."""
    if rows is None:
        return sample_weight
    weight = np.zeros(n_rows)
    weight[rows] = 1.0 if sample_weight is None else sample_weight[rows]
    return weight


def _batch_curvature(X, weight, batch_size):
    """Return the largest curvature of a batch's mean squared error.

    The Hessian of a batch's mean is ``sum_i w_i x_i x_i^T / sum_i w_i``, whose
    largest eigenvalue is at most its trace, the weighted mean of the rows'
    squared norms. A full batch has just that mean (so weighting a row equals
    repeating it); no batch of equally weighted rows exceeds the mean of the
    ``batch_size`` largest. For one row, or unequal weights, under which one
    row can dominate its batch, this is the largest squared norm: SAG's bound
    (``sklearn.linear_model._sag.get_auto_step_size``). Dense X is not copied.
    """
    if sp.issparse(X):
        row_norms = np.asarray(X.multiply(X).sum(axis=1)).ravel()
    else:
        row_norms = np.einsum("ij,ij->i", X, X)
    if weight is not None:
        kept = weight > 0
        row_norms, weight = row_norms[kept], weight[kept]
        if batch_size >= len(row_norms):
            return np.average(row_norms, weights=weight)
        if np.ptp(weight) > 0:
            return row_norms.max()
    if batch_size == 1:
        return row_norms.max()
    batch_size = min(batch_size, len(row_norms))
    row_norms.partition(-batch_size)
    return row_norms[-batch_size:].mean()


def _checked_array(name, value, fitted_shape, estimator):
    """Return ``value`` as an array for the fitted ``estimator``'s ``name``.

    ``fitted_shape()`` gives the shape it must have, once ``estimator`` is
    known to be fitted.
    """
    check_is_fitted(estimator)
    shape = fitted_shape()
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold real numbers, got dtype {array.dtype}.")
    if array.shape != shape:
        raise ValueError(
            f"{name} must have shape {shape} for this fitted model, got {array.shape}."
        )
    return array


_LINEAR_PARAMETERS = {
    "fit_intercept": (
        "bool",
        "Whether to fit an intercept. If False, the decision function passes "
        "through the origin and ``intercept_`` is 0.",
    ),
    "learning_rate_init": (
        "float or 'auto'",
        "Initial step size of the stochastic solvers. ``'auto'`` derives it "
        "from the data, per solver. For ``'sgd'`` it is ``1 / L``, with ``L`` "
        "the largest curvature of a batch's objective: ``c * (m + "
        "fit_intercept) + alpha / n_samples``, where ``m`` is the mean squared "
        "norm of the ``batch_size`` longest rows (of all rows, weighted, for a "
        "full batch; the longest row alone for ``batch_size=1`` or unequal "
        "sample weights: SAG's step) and ``c`` is "
        "1 for regression, 1/4 for logistic and 1/2 for softmax outputs. The "
        "adaptive solvers' steps are about the learning rate per coefficient, "
        "so their rate is a fraction of the scale of the solution (the "
        "largest coefficient of a diagonal Newton step from the start): 0.02 "
        "for ``'adam'`` and ``'adamw'``, 0.002 for ``'rmsprop'``, 0.1 for "
        "``'adagrad'``, or more when ``max_iter`` epochs leave few steps to "
        "cover it. ``partial_fit`` keeps the rate of its first call; "
        "``learning_rate_init_`` is the rate used. A float is used as given "
        "(ten times it with ``'adagrad'``, as for the MLPs).",
    ),
}
_LEARNING_RATE_ATTRIBUTE = (
    "learning_rate_init_",
    (
        "float or None",
        "Initial learning rate of the stochastic solvers: ``learning_rate_init`` "
        "(times 10 for ``'adagrad'``), or the rate derived from the data when it "
        "is ``'auto'``. None for "
        "``'lbfgs'``.",
    ),
)
_COEF_REGRESSOR = (
    "coef_",
    (
        "ndarray of shape (n_features,) or (n_targets, n_features)",
        "Coefficients, shaped as in :class:`~sklearn.linear_model.LinearRegression`: "
        "1-D for a 1-D target. A view of ``coefs_[0]``: assigning or editing it "
        "changes the model.",
    ),
)
_INTERCEPT_REGRESSOR = (
    "intercept_",
    (
        "float or ndarray of shape (n_targets,)",
        "Intercept; a float for a 1-D target, else one per target, as in "
        ":class:`~sklearn.linear_model.LinearRegression` (0.0 when "
        "``fit_intercept=False``). A view of ``intercepts_[0]`` for a 2-D "
        "target; assigning it changes the model.",
    ),
)


@document(
    "Linear regression trained by gradient descent.",
    extended="""
    The engine's network with no hidden layer and an identity output:
    minimises half the mean squared error (or the mean absolute error) plus
    ``alpha / 2 * ||coef||^2 / n_samples``. The defaults (L-BFGS, no penalty)
    reach the least-squares solution; the stochastic solvers show gradient
    descent at work on the same objective: they start from the best
    constant model (the mean of the targets), step at a learning rate
    derived from the data (``learning_rate_init='auto'``), and take each
    mini-batch's objective as an unbiased estimate of the full one. Targets
    of shape (n_samples,),
    (n_samples, 1) and (n_samples, n_targets) give ``coef_``, ``intercept_``
    and predictions of the shapes
    :class:`~sklearn.linear_model.LinearRegression` gives.
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
        **_LINEAR_PARAMETERS,
    },
    attributes=(
        _COEF_REGRESSOR,
        _INTERCEPT_REGRESSOR,
        _LEARNING_RATE_ATTRIBUTE,
        *NETWORK_ATTRIBUTES,
    ),
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
    >>> reg.coef_.round(3), round(reg.intercept_, 3)
    (array([2.]), 1.0)
    """,
)
class GDLinearRegressor(GradientDescentRegressorMixin, BaseLinearGD):  # noqa: D101 (written by @document)
    _parameter_constraints: dict = {
        **BaseLinearGD._parameter_constraints,
        # Other names must be registered; fit checks them (the registry grows).
        "loss": [StrOptions({"squared_error", "absolute_error"}), Hidden(str)],
    }
    _ravel_column_target = False

    def _scalar_intercept(self):
        # LinearRegression's intercept_ is 0.0 without an intercept, whatever
        # the number of targets.
        return self._squeezed() or not self.fit_intercept

    def __init__(
        self,
        loss="squared_error",
        *,
        fit_intercept=True,
        solver="lbfgs",
        alpha=0.0,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init="auto",
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
    ):
        store_init_arguments(self, locals())

    def _squeezed(self):
        return self._target_ndim == 1

    def _start(self, Y, sample_weight):
        """Return the start's intercepts and the residuals and curvatures there.

        The mean of the targets, and least squares for either loss: the median
        regression's solution has the scale of the mean regression's.
        """
        intercept = np.zeros(Y.shape[1])
        if self.fit_intercept:
            intercept = best_constant_output("identity", Y, sample_weight)
        return intercept, intercept - Y, np.ones(Y.shape[1])


@document(
    "Logistic regression trained by gradient descent.",
    extended="""
    The engine's network with no hidden layer: one sigmoid output for binary
    targets (``coef_`` of shape (1, n_features), as in
    :class:`~sklearn.linear_model.LogisticRegression`), a multinomial softmax
    for more classes, independent sigmoids for multilabel targets. Minimises
    the mean log-loss plus ``alpha / 2 * ||coef||^2 / n_samples``, which is
    ``LogisticRegression``'s objective with ``C = 1 / alpha``; the default
    ``alpha=1.0`` matches its default ``C=1.0``. Every solver minimises that
    objective: the stochastic ones start from the logits of the class
    frequencies, step at a learning rate derived from the data
    (``learning_rate_init='auto'``), and take each mini-batch's objective
    as an unbiased estimate of the full one.
    """,
    parameters={
        "alpha": (
            "float",
            "Strength of the L2 penalty, the inverse of LogisticRegression's "
            "``C``. 0 gives unpenalised maximum likelihood.",
        ),
        **_LINEAR_PARAMETERS,
    },
    attributes=(
        "classes_",
        (
            "coef_",
            (
                "ndarray of shape (1, n_features) or (n_classes, n_features)",
                "Coefficients of the logits. A view of ``coefs_[0]``: assigning "
                "or editing it changes the model.",
            ),
        ),
        (
            "intercept_",
            (
                "ndarray of shape (1,) or (n_classes,)",
                "Intercepts of the logits (zeros when ``fit_intercept=False``). "
                "A view of ``intercepts_[0]``: assigning or editing it changes "
                "the model.",
            ),
        ),
        _LEARNING_RATE_ATTRIBUTE,
        *(name for name in NETWORK_ATTRIBUTES if name != "n_iter_"),
        (
            "n_iter_",
            (
                "ndarray of shape (1,)",
                "Epochs (or L-BFGS iterations) run by the last call to fit, in an "
                "array as in :class:`~sklearn.linear_model.LogisticRegression` "
                "(one fit for every class).",
            ),
        ),
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
        fit_intercept=True,
        solver="lbfgs",
        alpha=1.0,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init="auto",
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
        class_weight=None,
    ):
        store_init_arguments(self, locals())

    @property
    def _loss_curvature(self):
        # The largest eigenvalue of the log-loss's Hessian in the logits: 1/4
        # for a sigmoid, at most 1/2 for a softmax.
        return 0.5 if self._loss_name() == "multinomial_log_loss" else 0.25

    def _start(self, Y, sample_weight):
        """Return the start's intercepts and the residuals and curvatures there.

        The logits of the class frequencies (1/2, or 1/n_classes for a
        softmax, without intercepts), at which the log-loss's gradient in the
        logits is p - y and its curvature p (1 - p).
        """
        out_activation = (
            "softmax" if self._loss_name() == "multinomial_log_loss" else "logistic"
        )
        intercept = np.zeros(Y.shape[1])
        if self.fit_intercept:
            intercept = best_constant_output(out_activation, Y, sample_weight)
        proba = OUTPUT_FUNCTIONS[out_activation](intercept[np.newaxis, :])[0]
        return intercept, proba - Y, proba * (1 - proba)

    def _store_result(self, *args, **kwargs):
        super()._store_result(*args, **kwargs)
        self.n_iter_ = np.array([self.n_iter_], dtype=np.int32)
