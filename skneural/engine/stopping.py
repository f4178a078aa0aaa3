"""Convergence and early-stopping monitors.

A monitor is fed one value per epoch (the training loss, or a validation
score) and answers by value: whether the value is a new best, and whether
progress has stalled. It never raises to stop a loop.
"""

import math

__all__ = ["ImprovementMonitor"]


class ImprovementMonitor:
    """Count epochs whose value fails to improve on the best by at least ``tol``.

    With ``greater_is_better=False`` (a loss), an epoch counts as no
    improvement when ``value > best - tol``; with ``True`` (a score), when
    ``value < best + tol``. Progress has stalled once the count exceeds
    ``n_iter_no_change``. These are scikit-learn's MLP rules.

    Parameters
    ----------
    tol : float
        Minimum improvement.
    n_iter_no_change : int or float
        Number of epochs without improvement tolerated (``inf`` never stalls).
    greater_is_better : bool, default=False
        Whether larger values are better.

    Attributes
    ----------
    best : float
        Best value seen.
    n_no_improvement : int
        Current count of epochs without improvement.
    """

    def __init__(self, tol, n_iter_no_change, greater_is_better=False):
        self.tol = float(tol)
        self.n_iter_no_change = n_iter_no_change
        self.greater_is_better = bool(greater_is_better)
        self.best = -math.inf if greater_is_better else math.inf
        self.n_no_improvement = 0

    def update(self, value):
        """Record one epoch's value.

        Parameters
        ----------
        value : float
            Loss or score of the epoch. NaN counts as no improvement.

        Returns
        -------
        is_best : bool
            True when ``value`` is strictly better than every earlier value.
        """
        if self.greater_is_better:
            improved_enough = value >= self.best + self.tol
            is_best = value > self.best
        else:
            improved_enough = value <= self.best - self.tol
            is_best = value < self.best
        self.n_no_improvement = 0 if improved_enough else self.n_no_improvement + 1
        if is_best:
            self.best = value
        return bool(is_best)

    @property
    def stalled(self):
        """Whether progress has stalled (a bool)."""
        return self.n_no_improvement > self.n_iter_no_change

    def reset(self):
        """Forget the count of epochs without improvement (after a rate cut)."""
        self.n_no_improvement = 0
