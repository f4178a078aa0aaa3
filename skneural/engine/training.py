"""Training loops: mini-batch gradient descent and the L-BFGS driver.

Both return a :class:`TrainResult` record and stop by value: a monitor
answers "stalled?", an ``on_epoch_end`` callable may answer "stop", and a
non-finite loss ends training (``diverged=True``). A mini-batch fit whose loss
ends more than :data:`DIVERGENCE_RATIO` times above its starting value has
diverged too, even though every value stayed finite. A diverged mini-batch fit
returns the parameters of the epoch with the lowest training loss, never the
last ones. Nothing here prints or warns; the caller reports.

Solver inputs (data, objective, hyper-parameters) are arguments; what must
outlive one call so that ``partial_fit`` and ``warm_start`` can resume is a
:class:`TrainingState`.
"""

import functools
import math
from dataclasses import dataclass, field

import numpy as np
import scipy.optimize
import scipy.sparse as sp

from .stopping import ImprovementMonitor

__all__ = [
    "DIVERGENCE_RATIO",
    "EpochInfo",
    "TrainResult",
    "TrainingState",
    "train_lbfgs",
    "train_minibatch",
]

# Adam's steps are bounded by the learning rate, so a rate far too large sends
# the loss up by orders of magnitude without ever overflowing, and the run
# then stalls there as if it had converged. Noise never lifts a mean epoch
# loss this far above the loss at the starting parameters.
DIVERGENCE_RATIO = 10.0

# Overflow is how a diverging fit shows itself. The loops check every loss and
# parameter vector and stop on a non-finite one, so NumPy's warnings on the way
# there would only repeat, as noise, what the result reports.
_quiet_overflow = np.errstate(over="ignore", invalid="ignore")


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


@dataclass
class TrainingState:
    """State of a mini-batch fit that a later call resumes from.

    Attributes
    ----------
    optimizer_state : object
        The optimizer's state dataclass.
    monitor : ImprovementMonitor
        Convergence or early-stopping monitor.
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
    finite_params : ndarray or None
        The parameters the current (or last) epoch started from, taken at its
        first batch with a finite loss.
    lowest_loss : float
        Lowest mean training loss of an epoch so far.
    lowest_loss_params : ndarray or None
        The parameters the epoch with ``lowest_loss`` started from; a diverged
        fit returns them (or ``finite_params`` before any epoch has ended).
    """

    optimizer_state: object
    monitor: ImprovementMonitor
    epoch: int = 0
    t: int = 0
    learning_rate_scale: float = 1.0
    learning_rate: float = math.nan
    best_params: np.ndarray | None = None
    finite_params: np.ndarray | None = None
    lowest_loss: float = math.inf
    lowest_loss_params: np.ndarray | None = None


@dataclass
class TrainResult:
    """Outcome of one training call.

    Attributes
    ----------
    params : ndarray
        Final parameters: the best ones when a validation set was monitored,
        the lowest-loss epoch's when training diverged.
    n_iter : int
        Epochs (or L-BFGS iterations) run in this call.
    loss_curve : list of float
        Training objective after each epoch or iteration of this call.
    validation_scores : list of float
        Validation score after each epoch of this call (empty without one).
    validation_loss_curve : list of float
        Validation objective after each epoch of this call (empty without one).
    converged : bool
        Whether a stopping criterion was met before the iteration limit.
    diverged : bool
        Whether training stopped on a non-finite loss or parameters.
    message : str
        Why training stopped.
    state : TrainingState or None
        State to resume from (mini-batch training only).
    n_fun : int
        Objective evaluations (L-BFGS), or batches processed.
    """

    params: np.ndarray
    n_iter: int
    loss_curve: list = field(default_factory=list)
    validation_scores: list = field(default_factory=list)
    validation_loss_curve: list = field(default_factory=list)
    converged: bool = False
    diverged: bool = False
    message: str = ""
    state: TrainingState | None = None
    n_fun: int = 0


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


@_quiet_overflow
def train_minibatch(
    objective,
    params,
    X,
    y,
    sample_weight=None,
    *,
    optimizer,
    schedule,
    batch_size,
    max_iter,
    rng,
    tol=1e-4,
    n_iter_no_change=10,
    shuffle=True,
    plateau_reducer=None,
    validation_score=None,
    validation_loss=None,
    early_stopping=False,
    state=None,
    clip_norm=None,
    on_epoch_begin=None,
    on_epoch_end=None,
    rows=None,
):
    """Mini-batch gradient descent for ``max_iter`` epochs or until convergence.

    ``batch_size >= n_samples`` gives full-batch gradient descent (the data are
    then neither shuffled nor copied, unless ``rows`` selects a subset),
    ``batch_size=1`` pure stochastic gradient descent.

    Training diverges (``diverged=True``) when a loss or parameter becomes
    non-finite, which stops it at once, or, for ``max_iter > 1``, when the last
    epoch's loss ends more than :data:`DIVERGENCE_RATIO` times above the loss
    at the starting parameters. A diverged fit returns the parameters that the
    epoch with the lowest mean training loss started from (an epoch's loss is
    measured along its steps from them; exactly at them in full batch), or
    with early stopping those of the best finite validation score, and
    restarts the optimizer's state there.

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
    optimizer : Optimizer
        Update rule.
    schedule : Schedule
        Learning rate as a function of the epoch.
    batch_size : int
        Samples per batch.
    max_iter : int
        Maximum number of epochs in this call.
    rng : numpy.random.Generator
        Source of the shuffling.
    tol : float, default=1e-4
        Minimum improvement of the monitored value.
    n_iter_no_change : int or float, default=10
        Epochs without improvement before stopping (or cutting the rate).
    shuffle : bool, default=True
        Shuffle the rows at each epoch.
    plateau_reducer : PlateauReducer, default=None
        When given, a stall cuts the learning rate instead of stopping.
    validation_score : callable, default=None
        ``validation_score(params) -> float`` (higher is better), recorded
        after each epoch.
    validation_loss : callable, default=None
        ``validation_loss(params) -> float``, recorded after each epoch.
    early_stopping : bool, default=False
        Monitor ``validation_score`` instead of the training loss, and restore
        the parameters of the best epoch at the end.
    state : TrainingState, default=None
        State of an earlier call to resume from; a fresh one when None.
    clip_norm : float, default=None
        Rescale each batch gradient to at most this Euclidean norm.
    on_epoch_begin : callable, default=None
        Called with the 0-based index of each epoch before it starts.
    on_epoch_end : callable, default=None
        Called with an :class:`EpochInfo` after every epoch; a true return
        value stops training.
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
    if early_stopping and validation_score is None:
        raise ValueError("early_stopping needs a validation_score callable.")
    n_samples = X.shape[0] if rows is None else len(rows)
    batch_size = max(1, min(int(batch_size), n_samples))
    if state is None:
        state = TrainingState(
            optimizer_state=optimizer.init(params),
            monitor=ImprovementMonitor(
                tol, n_iter_no_change, greater_is_better=early_stopping
            ),
        )
    # Only a training pass with dropout draws masks; without dropout the
    # generator is not passed, so the batches alone decide the gradient.
    dropout_rng = rng if any(objective.network.dropout) else None
    dense = not sp.issparse(X)
    full_batch = batch_size >= n_samples
    shuffled = shuffle and not full_batch
    # Rows are gathered when shuffled or when training on a subset.
    gathered = shuffled or rows is not None
    workspace = objective.network.workspace(
        batch_size, params.dtype, X.shape[1] if dense and gathered else None
    )
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
    grad = np.empty_like(params)
    order = None
    if gathered:
        order = np.arange(n_samples) if rows is None else np.array(rows)
    if state.finite_params is None:
        state.finite_params = params.copy()
    result = TrainResult(params=params, n_iter=0, state=state)
    # The divergence check compares the last epoch's loss with the loss at the
    # starting parameters, which costs a forward pass over the data (7% of a
    # 5-epoch fit). The first batch's loss is taken at those parameters for
    # free, so the pass is made only when the last epoch ends above it: a fit
    # whose loss fell below its first batch's has not risen tenfold unless
    # that batch's loss was ten times the data's.
    start_params = params.copy() if max_iter > 1 else None
    first_loss = None
    # Bound once: a small batch's step is ~40 NumPy calls of a microsecond,
    # and every attribute look-up in this loop adds to them.
    loss_and_grad, update = objective.loss_and_grad, optimizer.update

    for _ in range(max_iter):
        # A Python float keeps float32 updates in float32 (see optimizers).
        learning_rate = float(schedule(state.epoch) * state.learning_rate_scale)
        if on_epoch_begin is not None:
            on_epoch_begin(state.epoch)
        if shuffled:
            rng.shuffle(order)
        first_batch = True
        accumulated = 0.0
        n_rows = 0
        optimizer_state = state.optimizer_state
        for X_batch, y_batch, sw_batch in _batches(
            X, y, sample_weight, batch_size, order, workspace, buffers
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
                result.diverged = True
                break
            if first_batch:
                # Not at the epoch's start: after a step that overflows the
                # loss, the start of the next epoch holds unusable parameters.
                np.copyto(state.finite_params, params)
                first_batch = False
            if first_loss is None:
                first_loss = batch_loss
            batch_rows = X_batch.shape[0]
            accumulated += batch_loss * batch_rows
            n_rows += batch_rows
            if clip_norm is not None:
                norm = math.sqrt(float(grad @ grad))
                if norm > clip_norm:
                    grad *= clip_norm / norm
            if objective.l1:
                weight_sum = batch_rows if sw_batch is None else sw_batch.sum()
                optimizer.proximal_update(
                    params,
                    grad,
                    optimizer_state,
                    learning_rate,
                    functools.partial(objective.proximal_step, weight_sum=weight_sum),
                )
            else:
                update(params, grad, optimizer_state, learning_rate)
            result.n_fun += 1
        if result.diverged or not np.isfinite(params).all():
            result.diverged = True
            result.message = (
                f"The training loss became non-finite at epoch {state.epoch + 1} with "
                f"learning rate {learning_rate:g}."
            )
            break

        epoch_loss = accumulated / max(n_rows, 1)
        if n_rows and epoch_loss < state.lowest_loss:
            state.lowest_loss = epoch_loss
            if state.lowest_loss_params is None:
                state.lowest_loss_params = state.finite_params.copy()
            # finite_params holds the epoch's starting parameters; trading the
            # two buffers keeps them without a copy (the next epoch refills it).
            state.lowest_loss_params, state.finite_params = (
                state.finite_params,
                state.lowest_loss_params,
            )
        state.epoch += 1
        state.t += n_samples
        result.n_iter += 1
        result.loss_curve.append(epoch_loss)
        score = None
        if validation_loss is not None:
            result.validation_loss_curve.append(float(validation_loss(params)))
        if validation_score is not None:
            score = float(validation_score(params))
            result.validation_scores.append(score)
        if not early_stopping:
            state.monitor.update(epoch_loss)
        elif state.monitor.update(score) or state.best_params is None:
            state.best_params = params.copy()

        if on_epoch_end is not None and on_epoch_end(
            EpochInfo(state.epoch, epoch_loss, score, learning_rate, params)
        ):
            result.converged = True
            result.message = "Stopped by on_epoch_end."
            break
        if state.monitor.stalled:
            what = "Validation score" if early_stopping else "Training loss"
            stall = (
                f"{what} did not improve more than tol={tol:g} for "
                f"{n_iter_no_change} consecutive epochs."
            )
            if plateau_reducer is not None and not plateau_reducer.exhausted(
                learning_rate
            ):
                state.learning_rate_scale *= plateau_reducer.factor
                state.monitor.reset()
                continue
            result.converged = True
            result.message = stall
            break
    else:
        result.message = f"Maximum iterations ({max_iter}) reached."

    start_loss = None
    if (
        start_params is not None
        and not result.diverged
        and result.loss_curve
        and result.loss_curve[-1] > first_loss
    ):
        start_loss = objective.loss(start_params, X, y, sample_weight, rows=rows)
        if dropout_rng is not None:
            # Dropout lifts the training loss above the loss without it.
            start_loss = max(start_loss, first_loss)
    if start_loss is not None and result.loss_curve[-1] > DIVERGENCE_RATIO * start_loss:
        result.converged = False
        result.diverged = True
        result.message = (
            f"The training loss rose from {start_loss:.3g} to "
            f"{result.loss_curve[-1]:.3g}, more than {DIVERGENCE_RATIO:g} times its "
            f"starting value, with learning rate {learning_rate:g}."
        )
    state.learning_rate = float(schedule(state.epoch) * state.learning_rate_scale)
    _restore_best(params, state, optimizer, result, early_stopping)
    return result


def _restore_best(params, state, optimizer, result, early_stopping):
    """End on the best parameters: by validation score, else by training loss.

    Early stopping returns the parameters of the best validation score, as
    long as a score was finite; a diverged fit otherwise returns those the
    epoch with the lowest training loss started from. Any other fit keeps its
    last parameters.
    """
    validated = early_stopping and state.best_params is not None
    if validated and (not result.diverged or math.isfinite(state.monitor.best)):
        np.copyto(params, state.best_params)
        kept = "The parameters with the best validation score were kept."
    elif not result.diverged:
        return
    elif state.lowest_loss_params is None:
        # No epoch has ended: the one that diverged started from finite_params.
        np.copyto(params, state.finite_params)
        kept = "The parameters it started from were kept."
    else:
        np.copyto(params, state.lowest_loss_params)
        kept = (
            "The parameters of the epoch with the lowest training loss "
            f"({state.lowest_loss:.3g}) were kept."
        )
    if result.diverged:
        state.optimizer_state = optimizer.init(params)
        result.message = f"{result.message} {kept}"


@_quiet_overflow
def train_lbfgs(
    objective,
    params,
    X,
    y,
    sample_weight=None,
    *,
    max_iter=200,
    max_fun=15000,
    tol=1e-4,
    ftol=None,
    validation_score=None,
    validation_loss=None,
    on_epoch_end=None,
):
    """Minimise the objective over the full data with ``scipy.optimize``'s L-BFGS-B.

    An L1 penalty is handled exactly rather than by a sub-gradient: the
    weights are split as ``W = P - N`` with ``P, N >= 0`` under L-BFGS-B's
    bounds, where ``||W||_1`` becomes the linear ``sum(P + N)``.

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
    max_iter : int, default=200
        Maximum number of iterations.
    max_fun : int, default=15000
        Maximum number of objective evaluations.
    tol : float, default=1e-4
        Stop when the largest projected gradient component is below ``tol``.
    ftol : float, default=None
        Stop when the relative reduction of the objective is below ``ftol``;
        SciPy's default when None.
    validation_score : callable, default=None
        ``validation_score(params) -> float``, recorded after each iteration.
    validation_loss : callable, default=None
        ``validation_loss(params) -> float``, recorded after each iteration.
    on_epoch_end : callable, default=None
        Called with an :class:`EpochInfo` after every iteration; a true return
        value stops training.

    Returns
    -------
    result : TrainResult
        ``loss_curve`` holds the objective after each iteration.
    """
    dtype = params.dtype
    n_coef = objective.network.n_coef
    split_l1 = objective.l1 > 0
    workspace = objective.network.workspace(X.shape[0], dtype)
    grad = np.empty_like(params)
    work_params = np.empty_like(params)
    weight_sum = X.shape[0] if sample_weight is None else float(sample_weight.sum())
    l1_slope = objective.l1 / weight_sum

    def to_params(z):
        if split_l1:
            # z = [P, N, intercepts] and W = P - N.
            np.subtract(z[:n_coef], z[n_coef : 2 * n_coef], out=work_params[:n_coef])
            work_params[n_coef:] = z[2 * n_coef :]
        else:
            np.copyto(work_params, z, casting="unsafe")
        return work_params

    def fun(z):
        # L-BFGS-B works in float64; the network keeps the data's dtype.
        loss, _ = objective.loss_and_grad(
            to_params(z), X, y, sample_weight, grad=grad, workspace=workspace
        )
        if not math.isfinite(loss):
            # An infinite value makes the line search back off instead of failing.
            return math.inf, np.zeros(z.shape)
        if not split_l1:
            return loss, grad.astype(np.float64)
        # The objective counts |W| = |P - N|; on the split it is sum(P + N), which
        # exceeds it by 2 min(P, N) and equals it at any optimum.
        loss += l1_slope * float(
            np.minimum(z[:n_coef], z[n_coef : 2 * n_coef]).sum() * 2
        )
        coef_grad = grad[:n_coef].astype(np.float64)
        return loss, np.concatenate(
            [coef_grad + l1_slope, l1_slope - coef_grad, grad[n_coef:]]
        )

    result = TrainResult(params=params.copy(), n_iter=0)

    def callback(intermediate_result):
        current = to_params(intermediate_result.x)
        result.loss_curve.append(float(intermediate_result.fun))
        score = None
        if validation_score is not None:
            score = float(validation_score(current))
            result.validation_scores.append(score)
        if validation_loss is not None:
            result.validation_loss_curve.append(float(validation_loss(current)))
        if on_epoch_end is not None and on_epoch_end(
            EpochInfo(
                len(result.loss_curve),
                float(intermediate_result.fun),
                score,
                math.nan,
                current,
            )
        ):
            raise StopIteration

    options = {"maxiter": max_iter, "maxfun": max_fun, "gtol": tol}
    if ftol is not None:
        options["ftol"] = ftol
    start = params.astype(np.float64)
    bounds = None
    if split_l1:
        weights = start[:n_coef]
        start = np.concatenate(
            [np.maximum(weights, 0), np.maximum(-weights, 0), start[n_coef:]]
        )
        bounds = [(0, None)] * (2 * n_coef) + [(None, None)] * (len(params) - n_coef)
    solution = scipy.optimize.minimize(
        fun,
        start,
        method="L-BFGS-B",
        jac=True,
        bounds=bounds,
        options=options,
        callback=callback,
    )
    result.n_iter = int(solution.nit)
    result.n_fun = int(solution.nfev)
    result.message = str(solution.message)
    final = to_params(solution.x)
    if np.isfinite(final).all() and math.isfinite(solution.fun):
        result.params = final.copy()
        result.converged = solution.status == 0 or solution.status == 99
    else:
        result.diverged = True
        result.message = "L-BFGS produced non-finite parameters; initial ones kept."
    if solution.status == 99:
        result.message = "Stopped by on_epoch_end."
    return result
