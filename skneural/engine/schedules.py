"""Learning-rate schedules: pure functions of the epoch.

``schedule(epoch)`` is the learning rate used during epoch ``epoch``
(0-based), so a schedule can be tabulated or plotted without training::

    >>> from skneural.engine.schedules import Cosine, Warmup
    >>> schedule = Warmup(Cosine(0.1, n_epochs=10), warmup_epochs=2)
    >>> [round(schedule(epoch), 4) for epoch in range(4)]
    [0.05, 0.1, 0.1, 0.0976]

Reduce-on-plateau is not a function of the epoch; it is
:class:`~skneural.engine.stopping.PlateauReducer`, which the training loop
consults when progress stalls.
"""

import math

from .value import ValueObject

__all__ = [
    "Constant",
    "CosLog",
    "Cosine",
    "Exponential",
    "InvScaling",
    "Schedule",
    "Step",
    "Warmup",
]


class Schedule(ValueObject):
    """Base class: ``schedule(epoch) -> learning rate``.

    A schedule's ``learning_rate_init`` (and :class:`Cosine`'s ``n_epochs``)
    may be left unset (None) when it is handed to an estimator as
    ``learning_rate``: the estimator fills them in for each fit through
    :meth:`filled`, from its own learning rate and number of epochs.
    """

    def filled(self, **values):
        """Return this schedule with the parameters left unset taken from ``values``.

        Parameters
        ----------
        **values : dict
            Values for parameters such as ``learning_rate_init`` or
            ``n_epochs``; those this schedule lacks, or has set, are ignored.

        Returns
        -------
        schedule : Schedule
            ``self`` when nothing is unset, else a new schedule.
        """
        params = self.get_params(deep=False)
        unset = {
            name: value
            for name, value in values.items()
            if name in params and params[name] is None
        }
        return type(self)(**{**params, **unset}) if unset else self

    def _required(self, name):
        """Return the parameter ``name``, which must be set by the time of a call."""
        value = getattr(self, name)
        if value is None:
            raise ValueError(
                f"{type(self).__name__} has no {name}: set it, or pass the schedule "
                "to an estimator as learning_rate, which sets it for each fit."
            )
        return value

    def __call__(self, epoch):
        """Return the learning rate for ``epoch``.

        Parameters
        ----------
        epoch : int
            Number of epochs completed before this one.

        Returns
        -------
        learning_rate : float
            Step size.
        """
        raise NotImplementedError


class Constant(Schedule):
    """Constant learning rate.

    Parameters
    ----------
    learning_rate_init : float, default=None
        The learning rate; None leaves it to the estimator.
    """

    def __init__(self, learning_rate_init=None):
        self.learning_rate_init = _optional(float, learning_rate_init)

    def __call__(self, epoch):  # noqa: D102
        return self._required("learning_rate_init")


class InvScaling(Schedule):
    """Inverse scaling, scikit-learn's ``'invscaling'``.

    ``lr = learning_rate_init / (t + 1) ** power_t`` where
    ``t = epoch * samples_per_epoch`` is the number of samples seen before the
    epoch starts, as scikit-learn's ``t_``.

    Parameters
    ----------
    learning_rate_init : float, default=None
        Learning rate of the first epoch; None leaves it to the estimator.
    power_t : float, default=0.5
        Exponent of the decay.
    samples_per_epoch : int, default=1
        Samples in one epoch.
    """

    def __init__(self, learning_rate_init=None, power_t=0.5, samples_per_epoch=1):
        self.learning_rate_init = _optional(float, learning_rate_init)
        self.power_t = float(power_t)
        self.samples_per_epoch = int(samples_per_epoch)

    def __call__(self, epoch):  # noqa: D102
        t = epoch * self.samples_per_epoch
        return self._required("learning_rate_init") / (t + 1) ** self.power_t


class Exponential(Schedule):
    """Exponential decay, ``lr = lr_init * decay_rate ** (epoch / decay_steps)``.

    Parameters
    ----------
    learning_rate_init : float, default=None
        Learning rate of the first epoch; None leaves it to the estimator.
    decay_rate : float, default=0.5
        Factor applied every ``decay_steps`` epochs, smoothly in between.
    decay_steps : int, default=50
        Epochs over which the rate is multiplied by ``decay_rate``.
    """

    def __init__(self, learning_rate_init=None, decay_rate=0.5, decay_steps=50):
        self.learning_rate_init = _optional(float, learning_rate_init)
        self.decay_rate = float(decay_rate)
        self.decay_steps = int(decay_steps)

    def __call__(self, epoch):  # noqa: D102
        return self._required("learning_rate_init") * self.decay_rate ** (
            epoch / self.decay_steps
        )


class Step(Schedule):
    """Step decay, ``lr = learning_rate_init * decay_rate ** (epoch // decay_steps)``.

    Parameters
    ----------
    learning_rate_init : float, default=None
        Learning rate of the first epoch; None leaves it to the estimator.
    decay_rate : float, default=0.5
        Factor of each decay.
    decay_steps : int, default=50
        Epochs between decays.
    """

    def __init__(self, learning_rate_init=None, decay_rate=0.5, decay_steps=50):
        self.learning_rate_init = _optional(float, learning_rate_init)
        self.decay_rate = float(decay_rate)
        self.decay_steps = int(decay_steps)

    def __call__(self, epoch):  # noqa: D102
        return self._required("learning_rate_init") * self.decay_rate ** (
            epoch // self.decay_steps
        )


class Cosine(Schedule):
    """Cosine annealing from ``learning_rate_init`` to ``min_learning_rate``.

    ``lr = min + (init - min) * (1 + cos(pi * epoch / n_epochs)) / 2``, then
    ``min_learning_rate`` after ``n_epochs``.

    Parameters
    ----------
    learning_rate_init : float, default=None
        Learning rate of the first epoch; None leaves it to the estimator.
    n_epochs : int, default=None
        Length of the annealing; None leaves it to the estimator
        (``max_iter - warmup_epochs``).
    min_learning_rate : float, default=0.0
        Final learning rate.
    """

    def __init__(self, learning_rate_init=None, n_epochs=None, min_learning_rate=0.0):
        self.learning_rate_init = _optional(float, learning_rate_init)
        self.n_epochs = _optional(int, n_epochs)
        self.min_learning_rate = float(min_learning_rate)

    def __call__(self, epoch):  # noqa: D102
        n_epochs = self._required("n_epochs")
        progress = min(epoch, n_epochs) / n_epochs
        span = self._required("learning_rate_init") - self.min_learning_rate
        return self.min_learning_rate + span * 0.5 * (
            1.0 + math.cos(math.pi * progress)
        )


class CosLog(Schedule):
    """Multi-cycle schedule: cosine cycles equally long in log-time (RealMLP's).

    With ``t = (epoch + 1/2) / n_epochs`` (each epoch at its midpoint, so the
    first epoch does not get a rate of 0) and ``c = n_cycles``::

        lr = init * (1 - cos(2 pi log2(1 + (2**c - 1) t))) / 2

    The rate rises from 0 to ``init`` and back to 0 ``c`` times, each cycle
    twice as long as the one before; the short early cycles act as
    warm-ups and restarts, the last and longest one anneals. RealMLP-TD
    (Holzmüller et al., 2024) uses 4 cycles (``coslog4``), per step.

    Parameters
    ----------
    learning_rate_init : float, default=None
        Peak learning rate; None leaves it to the estimator.
    n_epochs : int, default=None
        Length of the schedule; None leaves it to the estimator
        (``max_iter - warmup_epochs``). After it the rate is 0.
    n_cycles : int, default=4
        Number of cycles.

    Examples
    --------
    >>> from skneural.engine.schedules import CosLog
    >>> schedule = CosLog(1.0, n_epochs=8, n_cycles=2)
    >>> [round(schedule(epoch), 2) for epoch in range(8)]
    [0.49, 0.81, 0.02, 0.37, 0.95, 0.88, 0.4, 0.05]
    """

    def __init__(self, learning_rate_init=None, n_epochs=None, n_cycles=4):
        self.learning_rate_init = _optional(float, learning_rate_init)
        self.n_epochs = _optional(int, n_epochs)
        if not isinstance(n_cycles, int) or n_cycles < 1:
            raise ValueError(f"n_cycles must be a positive integer, got {n_cycles!r}.")
        self.n_cycles = n_cycles

    def __call__(self, epoch):  # noqa: D102
        n_epochs = self._required("n_epochs")
        if epoch >= n_epochs:
            return 0.0
        progress = (epoch + 0.5) / n_epochs
        phase = math.log2(1.0 + (2**self.n_cycles - 1) * progress)
        return (
            self._required("learning_rate_init")
            * 0.5
            * (1.0 - math.cos(2.0 * math.pi * phase))
        )


class Warmup(Schedule):
    """Linear warm-up in front of another schedule.

    During the first ``warmup_epochs`` epochs the rate rises linearly to
    ``schedule(0)``: ``schedule(0) * (epoch + 1) / warmup_epochs``. After
    it, ``schedule(epoch - warmup_epochs)``.

    Parameters
    ----------
    schedule : Schedule
        The schedule that follows the warm-up.
    warmup_epochs : int
        Length of the warm-up; 0 leaves ``schedule`` unchanged.
    """

    def __init__(self, schedule, warmup_epochs):
        self.schedule = schedule
        self.warmup_epochs = int(warmup_epochs)

    def filled(self, **values):  # noqa: D102
        schedule = self.schedule.filled(**values)
        if schedule is self.schedule:
            return self
        return Warmup(schedule, self.warmup_epochs)

    def __call__(self, epoch):  # noqa: D102
        if epoch < self.warmup_epochs:
            return self.schedule(0) * (epoch + 1) / self.warmup_epochs
        return self.schedule(epoch - self.warmup_epochs)


def _optional(convert, value):
    """Return ``convert(value)``, or None for None (a value left unset)."""
    return None if value is None else convert(value)
