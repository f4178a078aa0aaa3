"""The gradient-descent engine: NumPy and SciPy only, no scikit-learn.

It works on arrays: a :class:`~skneural.engine.network.Network` (a sequence of
:mod:`~skneural.engine.layers` and a loss) over one flat parameter vector, an
:class:`~skneural.engine.objective.Objective` (weighted mean loss plus L2
penalty), optimizers, schedules, stopping monitors and the training loops of
:mod:`skneural.engine.training`. The estimators are thin adapters on top.
"""

from .network import Network
from .objective import Objective
from .training import (
    LbfgsOptions,
    MinibatchOptions,
    TrainingState,
    TrainResult,
    train_lbfgs,
    train_minibatch,
)

__all__ = [
    "LbfgsOptions",
    "MinibatchOptions",
    "Network",
    "Objective",
    "TrainResult",
    "TrainingState",
    "train_lbfgs",
    "train_minibatch",
]
