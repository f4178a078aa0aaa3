"""Discover the public estimators of skneural."""

import inspect

from sklearn.base import BaseEstimator


def all_estimators():
    """Return every public estimator class of skneural.

    Returns
    -------
    estimators : list of (str, type)
        ``(name, class)`` pairs sorted by name, from the names that
        ``skneural`` exports.
    """
    import skneural

    found = []
    for name in skneural.__all__:
        obj = getattr(skneural, name)
        if inspect.isclass(obj) and issubclass(obj, BaseEstimator):
            found.append((name, obj))
    return sorted(found)


def gradient_descent_estimators():
    """Return the estimators built on the shared gradient-descent base.

    They take the training vocabulary of scikit-learn's MLPs (``solver``,
    ``alpha``, ``learning_rate`` ...). The tabular MLPs compose one of them
    with a preprocessor and have a vocabulary of their own.

    Returns
    -------
    estimators : list of (str, type)
        ``(name, class)`` pairs sorted by name, subclasses of
        ``skneural._base.BaseGradientDescent``.
    """
    from .._base import BaseGradientDescent

    return [
        (name, cls)
        for name, cls in all_estimators()
        if issubclass(cls, BaseGradientDescent)
    ]
