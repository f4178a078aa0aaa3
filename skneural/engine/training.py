"""Training drivers: mini-batch gradient descent and L-BFGS.

A driver is called as ``driver(objective, params, X, y, sample_weight,
options=..., state=..., rows=..., rng=...)`` and returns a
:class:`TrainResult`, whose fields mean the same for both, so that a caller
never asks which one ran. Solver inputs that do not change during a call
(budgets, tolerances, the optimizer, the callbacks) come in one options
record, :class:`MinibatchOptions` or :class:`LbfgsOptions`; what must outlive
a call so that ``partial_fit`` and ``warm_start`` can resume is a
:class:`TrainingState` (the split of glum's ``IRLSData`` and ``IRLSState``).

Both stop by value: a monitor answers "stalled?", an ``on_epoch_end``
callable may answer "stop", and a non-finite loss ends training
(``diverged=True``). A mini-batch fit whose loss ends more than
:data:`~skneural.engine.stopping.DIVERGENCE_RATIO` times above its starting
value has diverged too, even though every value stayed finite; it returns the
parameters of the epoch with the lowest training loss, never the last ones
(see :class:`~skneural.engine.stopping.DivergenceGuard`). Nothing here prints
or warns; the caller reports.

The mini-batch driver is three named steps, run by :func:`train_minibatch`:
:func:`_set_up` (buffers and the rows' order), :func:`_run_epoch` (one step
per batch: the hot path) and :func:`_end_epoch` (record the epoch, then
decide whether to stop, and why). :func:`train_lbfgs` sets up a
:class:`_LbfgsProblem`, hands it to SciPy and turns SciPy's answer into the
same record.
"""

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.optimize
import scipy.sparse as sp

from .optimizers import state_from_dict, state_to_dict
from .stopping import (
    DIVERGENCE_RATIO,
    DivergenceGuard,
    ImprovementMonitor,
    PlateauReducer,
)

__all__ = [
    "EpochInfo",
    "LbfgsOptions",
    "MinibatchOptions",
    "TrainOptions",
    "TrainResult",
    "TrainingState",
    "train_lbfgs",
    "train_minibatch",
]

# Overflow is how a diverging fit shows itself. The loops check every loss and
# parameter vector and stop on a non-finite one, so NumPy's warnings on the way
# there would only repeat, as noise, what the result reports.
_quiet_overflow = np.errstate(over="ignore", invalid="ignore")

#: ``validation_score`` value that scores an epoch by minus its validation loss.
NEGATIVE_LOSS = "negative_loss"


@dataclass
class EpochInfo:
    """What an ``on_epoch_end`` callable is told after each epoch.

    Attributes
    ----------
    epoch : int
        Epochs completed in total (1 after the first).
    loss : float
        Mean training objective over the epoch's batches.
    validation_score : float or None
        Validation score, when there is a validation set.
    learning_rate : float
        Learning rate used in the epoch.
    params : ndarray
        Current parameters (read only: do not modify).
    """

    epoch: int
    loss: float
    validation_score: float | None
    learning_rate: float
    params: np.ndarray


@dataclass(kw_only=True)
class TrainOptions:
    """Inputs every driver takes: budget, tolerance, validation and callback.

    Attributes
    ----------
    max_iter : int, default=200
        Maximum number of epochs (L-BFGS: iterations) in this call.
    tol : float, default=1e-4
        Minimum improvement of the monitored value (L-BFGS: the largest
        projected gradient component to stop at).
    validation_score : callable or "negative_loss", default=None
        ``validation_score(params) -> float`` (higher is better), recorded
        after each epoch. ``"negative_loss"`` scores by minus
        ``validation_loss``, so the validation set is predicted once an
        epoch, not twice.
    validation_loss : callable, default=None
        ``validation_loss(params) -> float``, recorded after each epoch.
    on_epoch_end : callable, default=None
        Called with an :class:`EpochInfo` after every epoch; a true return
        value stops training.
    """

    max_iter: int = 200
    tol: float = 1e-4
    validation_score: Callable | str | None = None
    validation_loss: Callable | None = None
    on_epoch_end: Callable | None = None

    def __post_init__(self):
        if isinstance(self.validation_score, str) and (
            self.validation_score != NEGATIVE_LOSS or self.validation_loss is None
        ):
            raise ValueError(
                f"validation_score must be a callable or {NEGATIVE_LOSS!r} with a "
                f"validation_loss callable, got {self.validation_score!r}"
                + ("" if self.validation_loss else " and no validation_loss")
                + "."
            )


@dataclass(kw_only=True)
class MinibatchOptions(TrainOptions):
    """Inputs of :func:`train_minibatch`: those of :class:`TrainOptions`, and more.

    Attributes
    ----------
    max_iter : int, default=200
        Maximum number of epochs (L-BFGS: iterations) in this call.
    tol : float, default=1e-4
        Minimum improvement of the monitored value (L-BFGS: the largest
        projected gradient component to stop at).
    validation_score : callable or "negative_loss", default=None
        ``validation_score(params) -> float`` (higher is better), recorded
        after each epoch. ``"negative_loss"`` scores by minus
        ``validation_loss``, so the validation set is predicted once an
        epoch, not twice.
    validation_loss : callable, default=None
        ``validation_loss(params) -> float``, recorded after each epoch.
    on_epoch_end : callable, default=None
        Called with an :class:`EpochInfo` after every epoch; a true return
        value stops training.
    optimizer : Optimizer
        Update rule.
    schedule : Schedule
        Learning rate as a function of the epoch.
    batch_size : int
        Samples per batch; ``>= n_samples`` gives full-batch gradient descent
        (the data are then neither shuffled nor copied), 1 pure stochastic
        gradient descent.
    n_iter_no_change : int or float, default=10
        Epochs without improvement before stopping (or cutting the rate).
    shuffle : bool, default=True
        Shuffle the rows at each epoch.
    plateau_reducer : PlateauReducer, default=None
        When given, a stall cuts the learning rate instead of stopping.
    early_stopping : bool, default=False
        Monitor ``validation_score`` instead of the training loss, and restore
        the parameters of the best epoch at the end.
    clip_norm : float, default=None
        Rescale each batch gradient to at most this Euclidean norm.
    on_epoch_begin : callable, default=None
        Called with the 0-based index of each epoch before it starts.
    """

    optimizer: object
    schedule: Callable
    batch_size: int
    n_iter_no_change: float = 10
    shuffle: bool = True
    plateau_reducer: PlateauReducer | None = None
    early_stopping: bool = False
    clip_norm: float | None = None
    on_epoch_begin: Callable | None = None

    def __post_init__(self):
        super().__post_init__()
        if self.early_stopping and self.validation_score is None:
            raise ValueError("early_stopping needs a validation_score callable.")


@dataclass(kw_only=True)
class LbfgsOptions(TrainOptions):
    """Inputs of :func:`train_lbfgs`: those of :class:`TrainOptions`, and more.

    Attributes
    ----------
    max_iter : int, default=200
        Maximum number of epochs (L-BFGS: iterations) in this call.
    tol : float, default=1e-4
        Minimum improvement of the monitored value (L-BFGS: the largest
        projected gradient component to stop at).
    validation_score : callable or "negative_loss", default=None
        ``validation_score(params) -> float`` (higher is better), recorded
        after each epoch. ``"negative_loss"`` scores by minus
        ``validation_loss``, so the validation set is predicted once an
        epoch, not twice.
    validation_loss : callable, default=None
        ``validation_loss(params) -> float``, recorded after each epoch.
    on_epoch_end : callable, default=None
        Called with an :class:`EpochInfo` after every epoch; a true return
        value stops training.
    max_fun : int, default=15000
        Maximum number of objective evaluations.
    ftol : float, default=None
        Stop when the relative reduction of the objective is below ``ftol``;
        SciPy's default when None.
    """

    max_fun: int = 15000
    ftol: float | None = None


@dataclass
class TrainingState:
    """State of a mini-batch fit that a later call resumes from.

    Attributes
    ----------
    optimizer_state : object
        The optimizer's state dataclass.
    monitor : ImprovementMonitor
        Convergence or early-stopping monitor.
    guard : DivergenceGuard
        The parameters a diverged fit falls back on.
    epoch : int
        Epochs completed in total.
    t : int
        Training samples seen in total.
    learning_rate_scale : float
        Product of the plateau reductions applied so far.
    learning_rate : float
        Learning rate the next epoch will use (NaN before any call ends).
    best_params : ndarray or None
        Parameters at the best validation score.
    """

    optimizer_state: object
    monitor: ImprovementMonitor
    guard: DivergenceGuard
    epoch: int = 0
    t: int = 0
    learning_rate_scale: float = 1.0
    learning_rate: float = math.nan
    best_params: np.ndarray | None = None

    def to_dict(self):
        """Return the state as plain data: dicts of arrays, numbers and strings.

        What a format that loads no code by name (skops) can store. The
        optimizer state of a built-in optimizer becomes a dict too (see
        :func:`~skneural.engine.optimizers.state_to_dict`); another optimizer's
        state stays the object it is.

        Returns
        -------
        data : dict
            The state, which :meth:`from_dict` turns back into an equal one.
        """
        data = {name: getattr(self, name) for name in _STATE_VALUES}
        data["optimizer_state"] = state_to_dict(self.optimizer_state)
        data["monitor"] = dict(vars(self.monitor))
        data["guard"] = dict(vars(self.guard))
        return data

    @classmethod
    def from_dict(cls, data):
        """Return the state that :meth:`to_dict` returned ``data`` for.

        Parameters
        ----------
        data : dict
            The output of :meth:`to_dict`.

        Returns
        -------
        state : TrainingState
            A state equal to the one that was turned into ``data``.
        """
        return cls(
            optimizer_state=state_from_dict(data["optimizer_state"]),
            monitor=_with_attributes(ImprovementMonitor, data["monitor"]),
            guard=_with_attributes(DivergenceGuard, data["guard"]),
            **{name: data[name] for name in _STATE_VALUES},
        )


# The fields of a TrainingState that are plain values already.
_STATE_VALUES = ("epoch", "t", "learning_rate_scale", "learning_rate", "best_params")


def _with_attributes(cls, attributes):
    """Return an instance of ``cls`` with ``attributes``, as unpickling makes one."""
    instance = cls.__new__(cls)
    vars(instance).update(attributes)
    return instance


@dataclass
class TrainResult:
    """Outcome of one training call, the same record from every driver.

    Attributes
    ----------
    params : ndarray
        Final parameters: the best ones when a validation set was monitored,
        the lowest-loss epoch's when training diverged.
    n_iter : int
        Epochs (or L-BFGS iterations) run in this call.
    loss : float
        Training loss to report for ``params``: the last epoch's mean loss
        (scikit-learn's ``loss_``), or, when training diverged, ran no
        epoch or is L-BFGS, the objective at ``params``.
    loss_curve : list of float
        Training objective after each epoch or iteration of this call.
    validation_scores : list of float
        Validation score after each epoch of this call (empty without one).
    validation_loss_curve : list of float
        Validation objective after each epoch of this call (empty without one).
    best_loss : float or None
        Lowest training loss the stopping rule has seen (over every call that
        the state resumes); None when it monitored a validation score.
    best_validation_score : float or None
        Best validation score the stopping rule has seen, when it monitored
        one (early stopping); None otherwise.
    converged : bool
        Whether a stopping criterion was met before the iteration limit.
    diverged : bool
        Whether training stopped on a non-finite loss or parameters.
    message : str
        Why training stopped.
    state : TrainingState or None
        State to resume from (None for L-BFGS, which does not resume).
    n_fun : int
        Objective evaluations (L-BFGS), or batches processed.
    n_samples_seen : int
        Samples the objective was evaluated on in this call.
    """

    params: np.ndarray
    n_iter: int
    loss: float = math.nan
    loss_curve: list = field(default_factory=list)
    validation_scores: list = field(default_factory=list)
    validation_loss_curve: list = field(default_factory=list)
    best_loss: float | None = None
    best_validation_score: float | None = None
    converged: bool = False
    diverged: bool = False
    message: str = ""
    state: TrainingState | None = None
    n_fun: int = 0
    n_samples_seen: int = 0


def _batches(X, y, sample_weight, batch_size, order, workspace, buffers):
    """Yield ``(X_batch, y_batch, sw_batch)`` for one epoch without copying X whole.

    ``order`` holds the indices of the rows in the order to take them (a
    permutation when shuffling, or a subset of the rows), or is None to take
    every row in the data order (batches are then views). Dense batches taken
    through ``order`` are gathered into the workspace's preallocated buffers,
    and targets of another dtype than the
    parameters (classifiers encode them as bool, 8x smaller) are cast into a
    buffer of the parameters' dtype: the loss then subtracts and multiplies
    arrays of one dtype, 2-4x faster than mixing them.
    """
    n_samples = X.shape[0] if order is None else len(order)
    if order is None and batch_size >= n_samples:
        yield X, y, sample_weight
        return
    dense = not sp.issparse(X)
    y_buffer, y_cast, sw_buffer = buffers
    for start in range(0, n_samples, batch_size):
        stop = min(start + batch_size, n_samples)
        if order is None:
            rows = slice(start, stop)
            yield (
                X[rows],
                y[rows],
                None if sample_weight is None else sample_weight[rows],
            )
            continue
        rows = order[start:stop]
        size = stop - start
        # mode="clip" skips the bounds check that makes take buffer its
        # output; the rows in order are always in range. The method,
        # not np.take, saves a Python-level wrapper per call.
        if dense:
            X_batch = X.take(rows, axis=0, out=workspace.X_batch[:size], mode="clip")
        else:
            X_batch = X[rows]
        y_batch = y.take(rows, axis=0, out=y_buffer[:size], mode="clip")
        if y_cast is not None:
            np.copyto(y_cast[:size], y_batch)
            y_batch = y_cast[:size]
        sw_batch = (
            None
            if sample_weight is None
            else sample_weight.take(rows, out=sw_buffer[:size], mode="clip")
        )
        yield X_batch, y_batch, sw_batch


@dataclass
class _Run:
    """What one call of :func:`train_minibatch` works with, made by :func:`_set_up`."""

    objective: object
    params: np.ndarray
    data: tuple
    options: MinibatchOptions
    state: TrainingState
    result: TrainResult
    rng: np.random.Generator
    rows: np.ndarray | None
    n_samples: int
    batch_size: int
    shuffled: bool
    order: np.ndarray | None
    workspace: object
    buffers: tuple
    grad: np.ndarray
    dropout_rng: np.random.Generator | None
    learning_rate_factors: np.ndarray | None
    start_params: np.ndarray
    first_loss_before: float
    first_loss: float | None = None


@_quiet_overflow
def train_minibatch(
    objective, params, X, y, sample_weight=None, *, options, rng, state=None, rows=None
):
    """Mini-batch gradient descent for ``options.max_iter`` epochs or until convergence.

    Training diverges (``diverged=True``) when a loss or parameter becomes
    non-finite, which stops it at once, or when the last epoch's loss ends
    more than :data:`~skneural.engine.stopping.DIVERGENCE_RATIO` times above
    the loss at the starting parameters. A call of one epoch (``partial_fit``'s)
    is checked so when its loss is ten times the first epoch's of the whole
    training: its loss at the end against its start, on its own data. A diverged fit
    returns the parameters that the epoch with the lowest mean training loss
    started from (an epoch's loss is measured along its steps from them;
    exactly at them in full batch), or with early stopping those of the best
    finite validation score, and restarts the optimizer's state there.

    Parameters
    ----------
    objective : Objective
        What to minimise.
    params : ndarray of shape (n_params,)
        Starting parameters; updated in place.
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Training inputs.
    y : ndarray of shape (n_samples, n_outputs)
        Encoded targets.
    sample_weight : ndarray of shape (n_samples,), default=None
        Sample weights.
    options : MinibatchOptions
        Optimizer, schedule, batch size, budget, stopping rule and callbacks.
    rng : numpy.random.Generator
        Source of the shuffling and of the dropout masks.
    state : TrainingState, default=None
        State of an earlier call to resume from; a fresh one when None.
    rows : ndarray of int, default=None
        Indices of the rows of ``X``, ``y`` and ``sample_weight`` to train on,
        all of them when None. Batches are gathered through them, so training
        on a subset (the training part of an early-stopping split) never
        copies X.

    Returns
    -------
    result : TrainResult
        Parameters, curves, flags and the state to resume from.
    """
    run = _set_up(objective, params, (X, y, sample_weight), options, state, rng, rows)
    state, result = run.state, run.result
    learning_rate = math.nan
    for _ in range(options.max_iter):
        # A Python float keeps float32 updates in float32 (see optimizers).
        learning_rate = float(options.schedule(state.epoch) * state.learning_rate_scale)
        if options.on_epoch_begin is not None:
            options.on_epoch_begin(state.epoch)
        epoch = _run_epoch(run, learning_rate)
        if epoch is None:
            result.diverged = True
            result.message = (
                f"The training loss became non-finite at epoch {state.epoch + 1} with "
                f"learning rate {learning_rate:g}."
            )
            break
        stop = _end_epoch(run, *epoch, learning_rate)
        if stop is not None:
            result.converged = True
            result.message = stop
            break
    else:
        result.message = f"Maximum iterations ({options.max_iter}) reached."
    _check_rise(run, learning_rate)
    state.learning_rate = float(
        options.schedule(state.epoch) * state.learning_rate_scale
    )
    _restore_best(run)
    _summarise(run)
    return result


def _set_up(objective, params, data, options, state, rng, rows):
    """Make the buffers, the order of the rows and the state of a call."""
    X, y, sample_weight = data
    n_samples = X.shape[0] if rows is None else len(rows)
    batch_size = max(1, min(int(options.batch_size), n_samples))
    if state is None:
        state = TrainingState(
            optimizer_state=options.optimizer.init(params),
            monitor=ImprovementMonitor(
                options.tol,
                options.n_iter_no_change,
                greater_is_better=options.early_stopping,
            ),
            guard=DivergenceGuard(params),
        )
    shuffled = options.shuffle and batch_size < n_samples
    # Rows are gathered when shuffled or when training on a subset.
    gathered = shuffled or rows is not None
    dense = not sp.issparse(X)
    buffers = (None, None, None)
    if gathered:
        buffers = (
            np.empty((batch_size,) + y.shape[1:], y.dtype),
            None
            if y.dtype == params.dtype
            else np.empty((batch_size,) + y.shape[1:], params.dtype),
            None
            if sample_weight is None
            else np.empty(batch_size, sample_weight.dtype),
        )
    return _Run(
        objective=objective,
        params=params,
        data=data,
        options=options,
        state=state,
        result=TrainResult(params=params, n_iter=0, state=state),
        rng=rng,
        rows=rows,
        n_samples=n_samples,
        batch_size=batch_size,
        shuffled=shuffled,
        order=(np.arange(n_samples) if rows is None else np.array(rows))
        if gathered
        else None,
        workspace=objective.network.workspace(
            batch_size, params.dtype, X.shape[1] if dense and gathered else None
        ),
        buffers=buffers,
        grad=np.empty_like(params),
        # Only a training pass with dropout draws masks; without dropout the
        # generator is not passed, so the batches alone decide the gradient.
        dropout_rng=rng if objective.network.needs_rng else None,
        # None for a dense stack: the step then takes the scalar rate.
        learning_rate_factors=objective.network.learning_rate_factors(params.dtype),
        # The rise check compares the last epoch's loss with the loss here.
        start_params=params.copy(),
        first_loss_before=state.guard.first_loss,
    )


def _run_epoch(run, learning_rate):
    """Take one step per batch; return ``(mean loss, rows)``, or None on overflow."""
    if run.shuffled:
        run.rng.shuffle(run.order)
    if run.learning_rate_factors is not None:
        # One rate per parameter: its group's factor times the epoch's rate.
        learning_rate = learning_rate * run.learning_rate_factors
    # Bound once: a small batch's step is ~40 NumPy calls of a microsecond,
    # and every attribute look-up in this loop adds to them.
    params, grad = run.params, run.grad
    workspace, dropout_rng = run.workspace, run.dropout_rng
    objective, clip_norm = run.objective, run.options.clip_norm
    loss_and_grad, update = objective.loss_and_grad, run.options.optimizer.update
    optimizer_state, result = run.state.optimizer_state, run.result
    first_batch = True
    accumulated = 0.0
    n_rows = 0
    X, y, sample_weight = run.data
    for X_batch, y_batch, sw_batch in _batches(
        X, y, sample_weight, run.batch_size, run.order, workspace, run.buffers
    ):
        if sw_batch is not None and not sw_batch.any():
            # A batch that weighs nothing has no gradient, and a 0 / 0 mean.
            continue
        batch_loss, _ = loss_and_grad(
            params,
            X_batch,
            y_batch,
            sw_batch,
            grad=grad,
            workspace=workspace,
            rng=dropout_rng,
        )
        if not math.isfinite(batch_loss):
            return None
        if first_batch:
            run.state.guard.start_epoch(params)
            if run.first_loss is None:
                run.first_loss = batch_loss
            first_batch = False
        batch_rows = X_batch.shape[0]
        accumulated += batch_loss * batch_rows
        n_rows += batch_rows
        if clip_norm is not None:
            norm = math.sqrt(float(grad @ grad))
            if norm > clip_norm:
                grad *= clip_norm / norm
        if objective.l1:
            _proximal_update(run, optimizer_state, learning_rate, sw_batch, batch_rows)
        else:
            update(params, grad, optimizer_state, learning_rate)
        result.n_fun += 1
    if not np.isfinite(params).all():
        return None
    return accumulated / max(n_rows, 1), n_rows


def _proximal_update(run, optimizer_state, learning_rate, sw_batch, batch_rows):
    """Take a step on the smooth part of the objective, then L1's proximal step."""
    weight_sum = batch_rows if sw_batch is None else sw_batch.sum()
    run.options.optimizer.proximal_update(
        run.params,
        run.grad,
        optimizer_state,
        learning_rate,
        functools.partial(run.objective.proximal_step, weight_sum=weight_sum),
    )


def _end_epoch(run, epoch_loss, n_rows, learning_rate):
    """Record an epoch, then decide: return why training stops, or None."""
    state, result, options, params = run.state, run.result, run.options, run.params
    if n_rows:
        state.guard.end_epoch(epoch_loss)
    state.epoch += 1
    state.t += run.n_samples
    result.n_iter += 1
    result.loss_curve.append(epoch_loss)
    score = _record_validation(options, result, params)
    if not options.early_stopping:
        state.monitor.update(epoch_loss)
    elif state.monitor.update(score) or state.best_params is None:
        state.best_params = params.copy()

    if options.on_epoch_end is not None and options.on_epoch_end(
        EpochInfo(state.epoch, epoch_loss, score, learning_rate, params)
    ):
        return "Stopped by on_epoch_end."
    if not state.monitor.stalled:
        return None
    reducer = options.plateau_reducer
    if reducer is not None and not reducer.exhausted(learning_rate):
        state.learning_rate_scale *= reducer.factor
        state.monitor.reset()
        return None
    what = "Validation score" if options.early_stopping else "Training loss"
    return (
        f"{what} did not improve more than tol={options.tol:g} for "
        f"{options.n_iter_no_change} consecutive epochs."
    )


def _record_validation(options, result, params):
    """Record the validation loss and score at ``params``; return the score.

    The score is None without a ``validation_score``; ``"negative_loss"``
    reuses the loss just computed.
    """
    loss = None
    if options.validation_loss is not None:
        loss = float(options.validation_loss(params))
        result.validation_loss_curve.append(loss)
    if options.validation_score is None:
        return None
    if isinstance(options.validation_score, str):
        score = -loss
    else:
        score = float(options.validation_score(params))
    result.validation_scores.append(score)
    return score


def _check_rise(run, learning_rate):
    """Call the fit diverged if its loss rose tenfold without overflowing.

    Over several epochs, the last epoch's loss is compared with the loss at
    the parameters the call started from. A call of one epoch (``partial_fit``)
    measures its loss along its steps, at its start in full batch, so a step
    that explodes shows only in the next call's loss. A call whose loss is
    ten times the first epoch's of the whole training (from the starting
    parameters, so a level no sane model exceeds tenfold) is then checked on
    its own data, the loss at its end against the loss at its start: a chunk
    merely harder than the earlier ones rises above the first level, but
    falls as the call trains on it. (Against the lowest loss so far instead,
    a model near its optimum, where the loss is tiny, would be taken for
    diverged by the noise of one step.)
    """
    result = run.result
    if result.diverged or not result.loss_curve:
        return
    X, y, sample_weight = run.data

    def loss_at(params):
        return run.objective.loss(params, X, y, sample_weight, rows=run.rows)

    def start_loss():
        loss = loss_at(run.start_params)
        # Dropout lifts the training loss above the loss without it.
        return loss if run.dropout_rng is None else max(loss, run.first_loss)

    last = result.loss_curve[-1]
    if run.options.max_iter == 1:
        if not last > DIVERGENCE_RATIO * run.first_loss_before:
            return
        last = loss_at(run.params)
    start = DivergenceGuard.rise(last, run.first_loss, start_loss)
    if start is not None:
        result.converged = False
        result.diverged = True
        result.message = (
            f"The training loss rose from {start:.3g} to {last:.3g}, more than "
            f"{DIVERGENCE_RATIO:g} times its starting value, with learning rate "
            f"{learning_rate:g}."
        )


def _restore_best(run):
    """End on the best parameters: by validation score, else by training loss.

    Early stopping returns the parameters of the best validation score, as
    long as a score was finite; a diverged fit otherwise returns those the
    epoch with the lowest training loss started from. Any other fit keeps its
    last parameters.
    """
    state, result, params = run.state, run.result, run.params
    validated = run.options.early_stopping and state.best_params is not None
    if validated and (not result.diverged or math.isfinite(state.monitor.best)):
        np.copyto(params, state.best_params)
        kept = "The parameters with the best validation score were kept."
    elif not result.diverged:
        return
    else:
        kept = state.guard.restore(params)
    if result.diverged:
        state.optimizer_state = run.options.optimizer.init(params)
        result.message = f"{result.message} {kept}"


def _summarise(run):
    """Fill the fields every driver's result shares: loss, bests, samples seen."""
    result, monitor = run.result, run.state.monitor
    if result.diverged or not result.loss_curve:
        X, y, sample_weight = run.data
        result.loss = run.objective.loss(
            result.params, X, y, sample_weight, rows=run.rows
        )
    else:
        result.loss = result.loss_curve[-1]
    if run.options.early_stopping and result.validation_scores:
        result.best_validation_score = monitor.best
    else:
        result.best_loss = monitor.best
    result.n_samples_seen = result.n_iter * run.n_samples


class _LbfgsProblem:
    """The objective as L-BFGS-B sees it: float64, and with L1 split in two.

    An L1 penalty is handled exactly rather than by a sub-gradient: the
    weights are split as ``W = P - N`` with ``P, N >= 0`` under L-BFGS-B's
    bounds, where ``||W||_1`` becomes the linear ``sum(P + N)``.
    """

    def __init__(self, objective, params, X, y, sample_weight):
        self.objective = objective
        self.data = (X, y, sample_weight)
        self.n_coef = objective.network.n_coef
        self.split_l1 = objective.l1 > 0
        self.workspace = objective.network.workspace(X.shape[0], params.dtype)
        self.grad = np.empty_like(params)
        self.work_params = np.empty_like(params)
        weight_sum = X.shape[0] if sample_weight is None else float(sample_weight.sum())
        self.l1_slope = objective.l1 / weight_sum

    def to_params(self, z):
        """Return the network's parameters at L-BFGS-B's point ``z`` (a buffer)."""
        n_coef, work_params = self.n_coef, self.work_params
        if self.split_l1:
            # z = [P, N, intercepts] and W = P - N.
            np.subtract(z[:n_coef], z[n_coef : 2 * n_coef], out=work_params[:n_coef])
            work_params[n_coef:] = z[2 * n_coef :]
        else:
            np.copyto(work_params, z, casting="unsafe")
        return work_params

    def __call__(self, z):
        """Return the objective and its float64 gradient at ``z``."""
        n_coef, grad = self.n_coef, self.grad
        # L-BFGS-B works in float64; the network keeps the data's dtype.
        loss, _ = self.objective.loss_and_grad(
            self.to_params(z), *self.data, grad=grad, workspace=self.workspace
        )
        if not math.isfinite(loss):
            # An infinite value makes the line search back off instead of failing.
            return math.inf, np.zeros(z.shape)
        if not self.split_l1:
            return loss, grad.astype(np.float64)
        # The objective counts |W| = |P - N|; on the split it is sum(P + N), which
        # exceeds it by 2 min(P, N) and equals it at any optimum.
        loss += self.l1_slope * float(
            np.minimum(z[:n_coef], z[n_coef : 2 * n_coef]).sum() * 2
        )
        coef_grad = grad[:n_coef].astype(np.float64)
        return loss, np.concatenate(
            [coef_grad + self.l1_slope, self.l1_slope - coef_grad, grad[n_coef:]]
        )

    def start(self, params):
        """Return L-BFGS-B's starting point and bounds for ``params``."""
        start = params.astype(np.float64)
        if not self.split_l1:
            return start, None
        n_coef = self.n_coef
        weights = start[:n_coef]
        start = np.concatenate(
            [np.maximum(weights, 0), np.maximum(-weights, 0), start[n_coef:]]
        )
        bounds = [(0, None)] * (2 * n_coef) + [(None, None)] * (len(params) - n_coef)
        return start, bounds


@_quiet_overflow
def train_lbfgs(
    objective,
    params,
    X,
    y,
    sample_weight=None,
    *,
    options,
    rng=None,
    state=None,
    rows=None,
):
    """Minimise the objective over the full data with ``scipy.optimize``'s L-BFGS-B.

    An L1 penalty is handled exactly rather than by a sub-gradient (see
    :class:`_LbfgsProblem`).

    Parameters
    ----------
    objective : Objective
        What to minimise.
    params : ndarray of shape (n_params,)
        Starting parameters (not modified).
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Training inputs.
    y : ndarray of shape (n_samples, n_outputs)
        Encoded targets.
    sample_weight : ndarray of shape (n_samples,), default=None
        Sample weights.
    options : LbfgsOptions
        Budgets, tolerances, validation and callback.
    rng : numpy.random.Generator, default=None
        Not used: L-BFGS draws nothing. Every driver takes it, so that a
        caller calls them alike.
    state : TrainingState, default=None
        Not used: L-BFGS keeps nothing between calls and restarts from
        ``params`` (as scikit-learn's ``warm_start`` does with it).
    rows : None, default=None
        L-BFGS trains on every row of ``X``; a subset is an error.

    Returns
    -------
    result : TrainResult
        ``loss_curve`` holds the objective after each iteration.
    """
    if rows is not None:
        raise ValueError(
            "train_lbfgs trains on every row of X; pass the subset as X instead "
            "of rows."
        )
    problem = _LbfgsProblem(objective, params, X, y, sample_weight)
    result = TrainResult(params=params.copy(), n_iter=0)
    scipy_options = {
        "maxiter": options.max_iter,
        "maxfun": options.max_fun,
        "gtol": options.tol,
    }
    if options.ftol is not None:
        scipy_options["ftol"] = options.ftol
    start, bounds = problem.start(params)
    solution = scipy.optimize.minimize(
        problem,
        start,
        method="L-BFGS-B",
        jac=True,
        bounds=bounds,
        options=scipy_options,
        callback=functools.partial(_lbfgs_iteration, problem, options, result),
    )
    _lbfgs_outcome(problem, solution, result)
    # Freed before the pass over the data below, which would otherwise hold
    # its own temporaries beside the problem's full-data workspace.
    del problem, solution
    result.loss = objective.loss(result.params, X, y, sample_weight)
    result.best_loss = result.loss
    return result


def _lbfgs_iteration(problem, options, result, intermediate_result):
    """Record one L-BFGS iteration; stop SciPy when ``on_epoch_end`` says so."""
    current = problem.to_params(intermediate_result.x)
    result.loss_curve.append(float(intermediate_result.fun))
    score = _record_validation(options, result, current)
    if options.on_epoch_end is not None and options.on_epoch_end(
        EpochInfo(
            len(result.loss_curve),
            float(intermediate_result.fun),
            score,
            math.nan,
            current,
        )
    ):
        raise StopIteration


def _lbfgs_outcome(problem, solution, result):
    """Copy SciPy's answer into ``result``, keeping the start if it is not finite."""
    result.n_iter = int(solution.nit)
    result.n_fun = int(solution.nfev)
    result.message = str(solution.message)
    final = problem.to_params(solution.x)
    if np.isfinite(final).all() and math.isfinite(solution.fun):
        result.params = final.copy()
        result.converged = solution.status == 0 or solution.status == 99
    else:
        result.diverged = True
        result.message = "L-BFGS produced non-finite parameters; initial ones kept."
    if solution.status == 99:
        result.message = "Stopped by on_epoch_end."
    result.n_samples_seen = result.n_fun * problem.data[0].shape[0]
