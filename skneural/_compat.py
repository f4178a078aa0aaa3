"""The one place that imports private or version-sensitive scikit-learn API.

Everything else in skneural reaches scikit-learn through public modules or
through the names re-exported here, so a change in scikit-learn's internals is
mended in this file alone.
"""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import (
    HasMethods,
    Hidden,
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
)
from sklearn.utils.multiclass import _check_partial_fit_first_call
from sklearn.utils.validation import (
    _check_feature_names_in,
    _check_sample_weight,
    _check_y,
)

__all__ = [
    "HAS_CALLBACK_API",
    "CallbackSupportMixin",
    "HasMethods",
    "Hidden",
    "Interval",
    "InvalidParameterError",
    "Options",
    "StrOptions",
    "_check_feature_names_in",
    "_check_partial_fit_first_call",
    "_check_sample_weight",
    "_check_y",
    "_fit_context",
    "has_callbacks",
    "init_callback_context",
    "validate_parameters",
    "with_callbacks",
]


def validate_parameters(estimator):
    """Check ``estimator``'s parameters against its ``_parameter_constraints``.

    ``fit`` does this through ``_fit_context``; ``partial_fit`` on an already
    fitted estimator skips it there, so it calls this.

    Parameters
    ----------
    estimator : BaseEstimator
        The estimator to check.
    """
    estimator._validate_params()


def has_callbacks(estimator):
    """Whether any callback can see ``estimator``'s fit.

    True when callbacks are set on it (directly or propagated by a
    meta-estimator) or when it runs as a task of a meta-estimator's fit.

    Parameters
    ----------
    estimator : BaseEstimator
        The estimator being fitted.

    Returns
    -------
    has_callbacks : bool
        Whether per-epoch callback tasks have anyone to report to.
    """
    return bool(getattr(estimator, "_skl_callbacks", None)) or hasattr(
        estimator, "_parent_callback_ctx"
    )


def init_callback_context(estimator, max_subtasks):
    """Open the root callback context of one call to ``estimator``'s fit.

    Parameters
    ----------
    estimator : BaseEstimator
        An estimator with scikit-learn's ``CallbackSupportMixin``.
    max_subtasks : int
        Most subtasks (epochs) the fit can run.

    Returns
    -------
    context : CallbackContext
        The root context, whose subcontexts are the epochs.
    """
    return estimator._init_callback_context(max_subtasks=max_subtasks)


try:  # scikit-learn >= 1.9 has an experimental callback API.
    from sklearn.callback import CallbackSupportMixin, with_callbacks

    HAS_CALLBACK_API = True
except ImportError:  # pragma: no cover - exercised only on older scikit-learn
    HAS_CALLBACK_API = False

    class CallbackSupportMixin:
        """Stand-in for scikit-learn's mixin where ``sklearn.callback`` is absent."""

    def with_callbacks(method):
        """Return ``method`` unchanged where ``sklearn.callback`` is absent."""
        return method
