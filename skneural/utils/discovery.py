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
