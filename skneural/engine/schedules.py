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
    "Cosine",
    "Exponential",
    "InvScaling",
    "Schedule",
    "Step",
    "Warmup",
]


class Schedule(ValueObject):
    """Base class: ``schedule(epoch) -> learning rate``."""

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
    learning_rate_init : float
        The learning rate.
    """

    def __init__(self, learning_rate_init):
        self.learning_rate_init = float(learning_rate_init)

    def __call__(self, epoch):  # noqa: D102
        return self.learning_rate_init


class InvScaling(Schedule):
    """Inverse scaling, scikit-learn's ``'invscaling'``.

    ``lr = learning_rate_init / (t + 1) ** power_t`` where
    ``t = epoch * samples_per_epoch`` is the number of samples seen before the
    epoch starts, as scikit-learn's ``t_``.

    Parameters
    ----------
    learning_rate_init : float
        Learning rate of the first epoch.
    power_t : float, default=0.5
        Exponent of the decay.
    samples_per_epoch : int, default=1
        Samples in one epoch.
    """

    def __init__(self, learning_rate_init, power_t=0.5, samples_per_epoch=1):
        self.learning_rate_init = float(learning_rate_init)
        self.power_t = float(power_t)
        self.samples_per_epoch = int(samples_per_epoch)

    def __call__(self, epoch):  # noqa: D102
        t = epoch * self.samples_per_epoch
        return self.learning_rate_init / (t + 1) ** self.power_t


class Exponential(Schedule):
    """Exponential decay, ``lr = lr_init * decay_rate ** (epoch / decay_steps)``.

    Parameters
    ----------
    learning_rate_init : float
        Learning rate of the first epoch.
    decay_rate : float, default=0.5
        Factor applied every ``decay_steps`` epochs, smoothly in between.
    decay_steps : int, default=50
        Epochs over which the rate is multiplied by ``decay_rate``.
    """

    def __init__(self, learning_rate_init, decay_rate=0.5, decay_steps=50):
        self.learning_rate_init = float(learning_rate_init)
        self.decay_rate = float(decay_rate)
        self.decay_steps = int(decay_steps)

    def __call__(self, epoch):  # noqa: D102
        return self.learning_rate_init * self.decay_rate ** (epoch / self.decay_steps)


class Step(Schedule):
    """Step decay, ``lr = learning_rate_init * decay_rate ** (epoch // decay_steps)``.

    Parameters
    ----------
    learning_rate_init : float
        Learning rate of the first epoch.
    decay_rate : float, default=0.5
        Factor of each decay.
    decay_steps : int, default=50
        Epochs between decays.
    """

    def __init__(self, learning_rate_init, decay_rate=0.5, decay_steps=50):
        self.learning_rate_init = float(learning_rate_init)
        self.decay_rate = float(decay_rate)
        self.decay_steps = int(decay_steps)

    def __call__(self, epoch):  # noqa: D102
        return self.learning_rate_init * self.decay_rate ** (epoch // self.decay_steps)


class Cosine(Schedule):
    """Cosine annealing from ``learning_rate_init`` to ``min_learning_rate``.

    ``lr = min + (init - min) * (1 + cos(pi * epoch / n_epochs)) / 2``, then
    ``min_learning_rate`` after ``n_epochs``.

    Parameters
    ----------
    learning_rate_init : float
        Learning rate of the first epoch.
    n_epochs : int
        Length of the annealing.
    min_learning_rate : float, default=0.0
        Final learning rate.
    """

    def __init__(self, learning_rate_init, n_epochs, min_learning_rate=0.0):
        self.learning_rate_init = float(learning_rate_init)
        self.n_epochs = int(n_epochs)
        self.min_learning_rate = float(min_learning_rate)

    def __call__(self, epoch):  # noqa: D102
        progress = min(epoch, self.n_epochs) / self.n_epochs
        span = self.learning_rate_init - self.min_learning_rate
        return self.min_learning_rate + span * 0.5 * (
            1.0 + math.cos(math.pi * progress)
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

    def __call__(self, epoch):  # noqa: D102
        if epoch < self.warmup_epochs:
            return self.schedule(0) * (epoch + 1) / self.warmup_epochs
        return self.schedule(epoch - self.warmup_epochs)
