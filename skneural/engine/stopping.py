"""What the training loop consults at the end of an epoch.

Each answers by value and never raises to stop a loop:

- :class:`ImprovementMonitor` is fed one value per epoch (the training loss,
  or a validation score) and answers whether it is a new best and whether
  progress has stalled;
- :class:`PlateauReducer` answers whether a stall should cut the learning
  rate rather than stop;
- :class:`DivergenceGuard` answers whether a fit whose values all stayed
  finite has diverged nonetheless, and keeps the parameters a diverged fit
  falls back on.
"""

import math

import numpy as np

from .value import ValueObject

__all__ = [
    "DIVERGENCE_RATIO",
    "DivergenceGuard",
    "ImprovementMonitor",
    "PlateauReducer",
]

# Adam's steps are bounded by the learning rate, so a rate far too large sends
# the loss up by orders of magnitude without ever overflowing, and the run
# then stalls there as if it had converged. Noise never lifts a mean epoch
# loss this far above the loss at the starting parameters.
DIVERGENCE_RATIO = 10.0


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


class PlateauReducer(ValueObject):
    """Reduce the learning rate when progress stalls (scikit-learn's ``'adaptive'``).

    Parameters
    ----------
    factor : float, default=0.2
        Multiplier applied at each plateau (scikit-learn divides by 5).
    min_learning_rate : float, default=1e-6
        Training stops at a plateau once the rate is at or below this.
    """

    def __init__(self, factor=0.2, min_learning_rate=1e-6):
        self.factor = float(factor)
        self.min_learning_rate = float(min_learning_rate)

    def exhausted(self, learning_rate):
        """Whether a plateau at ``learning_rate`` should stop training.

        Parameters
        ----------
        learning_rate : float
            Current learning rate.

        Returns
        -------
        stop : bool
            True when the rate cannot usefully be reduced further.
        """
        return learning_rate <= self.min_learning_rate


class DivergenceGuard:
    """Tell a diverged mini-batch fit, and keep the parameters it falls back on.

    A fit has diverged when a loss or parameter becomes non-finite (the loop
    sees that itself) or when its last epoch's loss ends more than
    :data:`DIVERGENCE_RATIO` times above the loss at the parameters the call
    started from (:meth:`rise`). It then returns the parameters that the
    epoch with the lowest mean training loss started from: the guard keeps
    them in one parameter-sized buffer, traded with the buffer of the current
    epoch's start, so that keeping them costs no copy per epoch.

    Parameters
    ----------
    params : ndarray of shape (n_params,)
        Parameters training starts from (copied).

    Attributes
    ----------
    finite_params : ndarray of shape (n_params,)
        The parameters the current (or last) epoch started from, taken at its
        first batch with a finite loss.
    first_loss : float
        Mean training loss of the first epoch, from the parameters training
        started from (inf before it ends): the level a diverged fit has risen
        far above.
    lowest_loss : float
        Lowest mean training loss of an epoch so far.
    lowest_loss_params : ndarray of shape (n_params,) or None
        The parameters the epoch with ``lowest_loss`` started from.
    """

    def __init__(self, params):
        self.finite_params = params.copy()
        self.first_loss = math.inf
        self.lowest_loss = math.inf
        self.lowest_loss_params = None

    def start_epoch(self, params):
        """Keep the parameters of an epoch's first batch with a finite loss.

        Not those at the epoch's start: after a step that overflows the loss,
        the start of the next epoch holds unusable parameters.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            Current parameters.
        """
        np.copyto(self.finite_params, params)

    def end_epoch(self, epoch_loss):
        """Record an epoch's mean training loss.

        Parameters
        ----------
        epoch_loss : float
            Mean training loss of the epoch that started from
            ``finite_params``.
        """
        if self.first_loss == math.inf:
            self.first_loss = epoch_loss
        if not epoch_loss < self.lowest_loss:
            return
        self.lowest_loss = epoch_loss
        if self.lowest_loss_params is None:
            self.lowest_loss_params = self.finite_params.copy()
        # The next epoch refills finite_params, so the two buffers trade places.
        self.lowest_loss_params, self.finite_params = (
            self.finite_params,
            self.lowest_loss_params,
        )

    @staticmethod
    def rise(last_loss, first_loss, start_loss):
        """Return the starting loss if the last one rose too far above it, else None.

        Computing the loss at the starting parameters costs a pass over the
        data (7% of a 5-epoch fit), while the first batch's loss is taken at
        those parameters for free. So ``start_loss`` is called only when the
        last epoch ends above the first batch's loss: a fit whose loss fell
        below it has not risen tenfold unless that batch's loss was ten times
        the data's.

        Parameters
        ----------
        last_loss : float
            Mean training loss of the last epoch.
        first_loss : float
            Loss of the first batch, at the starting parameters.
        start_loss : callable
            ``start_loss() -> float``, the loss at the starting parameters.

        Returns
        -------
        start : float or None
            The loss at the starting parameters when ``last_loss`` exceeds
            :data:`DIVERGENCE_RATIO` times it, else None.
        """
        if not last_loss > first_loss:
            return None
        start = start_loss()
        return start if last_loss > DIVERGENCE_RATIO * start else None

    def restore(self, params):
        """Put the fallback parameters into ``params`` and say which they are.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            Parameters to overwrite.

        Returns
        -------
        kept : str
            A sentence naming the parameters kept.
        """
        if self.lowest_loss_params is None:
            # No epoch has ended: the one that diverged started from finite_params.
            np.copyto(params, self.finite_params)
            return "The parameters it started from were kept."
        np.copyto(params, self.lowest_loss_params)
        return (
            "The parameters of the epoch with the lowest training loss "
            f"({self.lowest_loss:.3g}) were kept."
        )
