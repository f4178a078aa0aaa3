"""First-order optimizers over one flat parameter vector.

An optimizer holds only hyper-parameters. ``init(params)`` returns its state,
a small dataclass of arrays, and ``update(params, grad, state,
learning_rate)`` applies one step. The step writes into ``params`` and the
state's arrays in place: on small batches a fresh allocation per step costs
more than the arithmetic. Nothing here decides when to stop.

A term of the objective without a gradient (the L1 penalty) enters through
``proximal_update``: a step on the smooth part, then the term's proximal
operator in the metric of that step. Each optimizer knows the step it gave
each parameter (one float for SGD, one per parameter for the adaptive
methods, a diagonal preconditioner) and keeps its state consistent with the
point the operator returns, so that the iteration's fixed points are the
minimisers of the whole objective.

The learning rate of a step is a float, or an array of one rate per
parameter (a network's learning-rate factors times the schedule's rate, see
:meth:`~skneural.engine.network.Network.learning_rate_factors`); an array
takes the NumPy code, never a compiled kernel.
"""

import math
from dataclasses import dataclass, fields

import numpy as np

from .kernels import accepts, get_kernels
from .registry import Registry
from .value import ValueObject

__all__ = [
    "OPTIMIZERS",
    "SGD",
    "Adagrad",
    "Adam",
    "AdamState",
    "AdamW",
    "MomentState",
    "Optimizer",
    "RMSprop",
    "SGDState",
    "state_from_dict",
    "state_to_dict",
]


class Optimizer(ValueObject):
    """Base class: hyper-parameters only; state comes from :meth:`init`.

    Attributes
    ----------
    name : str
        Registry key of the optimizer.
    rate_factor : float
        How many times the estimators' ``learning_rate_init`` this optimizer
        steps at. 10 for :class:`Adagrad`, whose step shrinks as the root of
        the number of steps taken where Adam's keeps its size, so it needs a
        larger rate to move as far (PyTorch's defaults keep the same ratio,
        0.01 to Adam's 0.001); 1 for the others.
    follows_sklearn_schedules : bool
        Whether scikit-learn's ``learning_rate='invscaling'`` and
        ``'adaptive'`` apply: scikit-learn's MLP applies them to plain SGD
        only, and any other solver keeps ``learning_rate_init``.
    """

    name = "optimizer"
    rate_factor = 1.0
    follows_sklearn_schedules = False

    def init(self, params):
        """Return the initial optimizer state for ``params``.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            Flat parameter vector.

        Returns
        -------
        state : dataclass
            Arrays the optimizer updates along with the parameters.
        """
        raise NotImplementedError

    def update(self, params, grad, state, learning_rate):
        """Apply one step in place.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            Flat parameter vector, updated in place.
        grad : ndarray of shape (n_params,)
            Gradient of the objective at ``params``; may be overwritten.
        state : dataclass
            State from :meth:`init`, updated in place.
        learning_rate : float or ndarray of shape (n_params,)
            Step size for this step, one for all parameters or one each.
        """
        raise NotImplementedError

    def proximal_update(self, params, grad, state, learning_rate, proximal):
        """Apply one step on the smooth part, then a proximal operator, in place.

        ``proximal(params, step)`` must replace ``params`` by the minimiser of
        ``h(x) + sum_i (x_i - params_i) ** 2 / (2 * step_i)`` for the
        non-smooth term ``h``, where ``step`` is the step size this update gave
        each parameter's gradient: a float, or an array of shape (n_params,)
        for an optimizer that scales each parameter's step. With the identity
        for an operator, this is :meth:`update`.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            Flat parameter vector, updated in place.
        grad : ndarray of shape (n_params,)
            Gradient of the smooth part at ``params``; may be overwritten.
        state : dataclass
            State from :meth:`init`, updated in place.
        learning_rate : float or ndarray of shape (n_params,)
            Step size for this step, one for all parameters or one each.
        proximal : callable
            ``proximal(params, step)``, updating ``params`` in place; it may
            overwrite an array ``step``.
        """
        raise NotImplementedError(
            f"{type(self).__name__} has no proximal_update, which a penalty "
            "without a gradient (an L1 penalty) needs."
        )


@dataclass
class SGDState:
    """State of :class:`SGD`: the velocity and a scratch buffer.

    Attributes
    ----------
    velocity : ndarray of shape (n_params,)
        The momentum's running update.
    scratch : ndarray of shape (n_params,)
        Work buffer, so that a step allocates nothing.
    """

    velocity: np.ndarray
    scratch: np.ndarray


class SGD(Optimizer):
    """Stochastic gradient descent with (Nesterov) momentum.

    ``v <- momentum * v - lr * g``, then ``params += v`` (classical) or
    ``params += momentum * v - lr * g`` (Nesterov), as scikit-learn's MLP.

    Parameters
    ----------
    momentum : float, default=0.9
        Momentum in [0, 1]; 0 gives plain gradient descent.
    nesterov : bool, default=True
        Use Nesterov's momentum.
    """

    name = "sgd"
    follows_sklearn_schedules = True

    def __init__(self, momentum=0.9, nesterov=True):
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    def init(self, params):  # noqa: D102
        return SGDState(np.zeros_like(params), np.empty_like(params))

    def update(self, params, grad, state, learning_rate):  # noqa: D102
        velocity, step = state.velocity, state.scratch
        np.multiply(grad, learning_rate, out=step)
        if self.momentum == 0.0:
            params -= step
            return
        velocity *= self.momentum
        velocity -= step
        if self.nesterov:
            np.multiply(velocity, self.momentum, out=grad)
            grad -= step
            params += grad
        else:
            params += velocity

    def proximal_update(self, params, grad, state, learning_rate, proximal):  # noqa: D102
        # The operator acts on the point the gradient step reaches, and the
        # velocity becomes the move between proximal iterates, so that a
        # weight held at 0 keeps no velocity to push it off again. Heavy ball
        # is then iPiano (Ochs et al., 2014), Nesterov's form FISTA with a
        # constant momentum (Beck and Teboulle, 2009); the step is
        # learning_rate for both.
        velocity, step = state.velocity, state.scratch
        np.multiply(grad, learning_rate, out=step)
        if self.momentum == 0.0:
            params -= step
            proximal(params, _step_sizes(learning_rate, step))
            return
        velocity *= self.momentum
        if self.nesterov:
            # params holds theta + momentum * velocity, the look-ahead point
            # where the gradient was taken: velocity is now -theta.
            velocity -= params
            params -= step
        else:
            velocity -= step
            params += velocity
            # velocity is now -theta, the iterate before the step.
            velocity -= params
        proximal(params, _step_sizes(learning_rate, step))
        velocity += params
        if self.nesterov:
            np.multiply(velocity, self.momentum, out=step)
            params += step


@dataclass
class AdamState:
    """State of :class:`Adam` and :class:`AdamW`: step count and moments.

    Attributes
    ----------
    t : int
        Number of steps taken, for the bias correction.
    first_moment : ndarray of shape (n_params,)
        Running average of the gradient, divided by ``1 - beta_1``.
    second_moment : ndarray of shape (n_params,)
        Running average of the squared gradient, divided by ``1 - beta_2``.
    scratch : ndarray of shape (n_params,)
        Work buffer, so that a step allocates nothing.
    """

    t: int
    first_moment: np.ndarray
    second_moment: np.ndarray
    scratch: np.ndarray


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2014) with bias correction folded into the step size.

    With a proximal operator it is ProxGen (Yun et al., 2021): the operator
    is taken in Adam's own metric, each parameter's step being the learning
    rate divided by the root of its second moment.

    Parameters
    ----------
    beta_1 : float, default=0.9
        Decay of the first-moment average.
    beta_2 : float, default=0.999
        Decay of the second-moment average.
    epsilon : float, default=1e-8
        Added to the root of the second moment for numerical stability.
    """

    name = "adam"

    def __init__(self, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)

    def init(self, params):  # noqa: D102
        # Zeros, not empty: with the compiled kernel the scratch stays unused,
        # and an estimator's state must compare equal to its copy.
        return AdamState(
            0, np.zeros_like(params), np.zeros_like(params), np.zeros_like(params)
        )

    # The moments are kept divided by (1 - beta): m' = beta_1 m' + g and
    # v' = beta_2 v' + g^2 save a scaling pass each, and the factors move into
    # the rates and epsilon, since
    #   m / (sqrt(v) + eps) = (1 - beta_1) / sqrt(1 - beta_2)
    #                         * m' / (sqrt(v') + eps / sqrt(1 - beta_2)).
    def _rates(self, t, learning_rate):
        """Return the rate of ``1 / (sqrt(v') + eps')`` and m's bias correction.

        A step is ``rate / (sqrt(v') + eps') * m' / correction``, where
        ``m' / correction`` is the bias-corrected average of the gradient.
        Python floats, not NumPy float64 scalars: those would make a float32
        update compute in float64 (7x slower on 1e5 weights).
        """
        root = math.sqrt(1.0 - self.beta_2)
        if isinstance(learning_rate, np.ndarray):
            rate = learning_rate * (math.sqrt(1.0 - self.beta_2**t) / root)
        else:
            rate = float(learning_rate) * math.sqrt(1.0 - self.beta_2**t) / root
        correction = (1.0 - self.beta_1**t) / (1.0 - self.beta_1)
        return rate, correction

    def _accumulate(self, grad, state):
        """Count the step and add ``grad`` to both moments."""
        state.t += 1
        m, v, scratch = state.first_moment, state.second_moment, state.scratch
        m *= self.beta_1
        m += grad
        np.multiply(grad, grad, out=scratch)
        v *= self.beta_2
        v += scratch

    def update(self, params, grad, state, learning_rate):  # noqa: D102
        # Each NumPy line below is one pass over the parameters (10, where
        # the textbook form takes 12); the square root is the costliest (4x a
        # multiplication in float64).
        m, v, scratch = state.first_moment, state.second_moment, state.scratch
        rate, correction = self._rates(state.t + 1, learning_rate)
        step_size = rate / correction
        epsilon = self.epsilon / math.sqrt(1.0 - self.beta_2)
        kernels = get_kernels()
        if (
            kernels is not None
            and not isinstance(step_size, np.ndarray)
            and accepts(params, grad, m, v)
        ):
            # The same step as below in one pass (kernels.py).
            state.t += 1
            cast = params.dtype.type
            kernels.adam_step(
                params,
                grad,
                m,
                v,
                cast(self.beta_1),
                cast(self.beta_2),
                cast(epsilon),
                cast(step_size),
            )
            return
        self._accumulate(grad, state)
        np.sqrt(v, out=scratch)
        scratch += epsilon
        np.divide(m, scratch, out=scratch)
        scratch *= step_size
        params -= scratch

    def proximal_update(self, params, grad, state, learning_rate, proximal):  # noqa: D102
        m, v, step = state.first_moment, state.second_moment, state.scratch
        self._accumulate(grad, state)
        rate, correction = self._rates(state.t, learning_rate)
        np.sqrt(v, out=step)
        step += self.epsilon / math.sqrt(1.0 - self.beta_2)
        np.divide(rate, step, out=step)
        np.multiply(m, 1.0 / correction, out=grad)
        grad *= step
        params -= grad
        proximal(params, step)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter, 2019).

    The decay ``params -= lr * weight_decay * params`` is applied to the
    weights only (``params[:n_decayed]``), not through the gradient, so it is
    not rescaled by Adam's second-moment estimate.

    Parameters
    ----------
    beta_1 : float, default=0.9
        Decay of the first-moment average.
    beta_2 : float, default=0.999
        Decay of the second-moment average.
    epsilon : float, default=1e-8
        Numerical-stability constant.
    weight_decay : float, default=0.01
        Decoupled decay rate.
    n_decayed : int or None, default=None
        Number of leading entries of the parameter vector that decay (the
        network's weights); None decays all.
    """

    name = "adamw"

    def __init__(
        self, beta_1=0.9, beta_2=0.999, epsilon=1e-8, weight_decay=0.01, n_decayed=None
    ):
        super().__init__(beta_1, beta_2, epsilon)
        self.weight_decay = float(weight_decay)
        self.n_decayed = n_decayed

    def _decay(self, params, learning_rate):
        if self.weight_decay:
            decayed = params[: self.n_decayed]
            if isinstance(learning_rate, np.ndarray):
                learning_rate = learning_rate[: self.n_decayed]
            decayed *= 1.0 - learning_rate * self.weight_decay

    def update(self, params, grad, state, learning_rate):  # noqa: D102
        self._decay(params, learning_rate)
        super().update(params, grad, state, learning_rate)

    def proximal_update(self, params, grad, state, learning_rate, proximal):  # noqa: D102
        self._decay(params, learning_rate)
        super().proximal_update(params, grad, state, learning_rate, proximal)


@dataclass
class MomentState:
    """State of :class:`RMSprop` and :class:`Adagrad`: squared-gradient accumulator.

    Attributes
    ----------
    accumulator : ndarray of shape (n_params,)
        Running average (RMSprop) or sum (Adagrad) of the squared gradient.
    scratch : ndarray of shape (n_params,)
        Work buffer, so that a step allocates nothing; after a step, each
        parameter's step size.
    """

    accumulator: np.ndarray
    scratch: np.ndarray


class _RootScaled(Optimizer):
    """Base of :class:`RMSprop` and :class:`Adagrad`.

    A step is ``lr * g / (sqrt(accumulator) + epsilon)``; subclasses say how
    the squared gradient accumulates.
    """

    def init(self, params):  # noqa: D102
        return MomentState(np.zeros_like(params), np.empty_like(params))

    def _accumulate(self, grad, accumulator, scratch):
        raise NotImplementedError

    def update(self, params, grad, state, learning_rate):  # noqa: D102
        acc, step = state.accumulator, state.scratch
        self._accumulate(grad, acc, step)
        np.sqrt(acc, out=step)
        step += self.epsilon
        np.divide(_rate(learning_rate), step, out=step)
        grad *= step
        params -= grad

    def proximal_update(self, params, grad, state, learning_rate, proximal):  # noqa: D102
        self.update(params, grad, state, learning_rate)
        proximal(params, state.scratch)


class RMSprop(_RootScaled):
    """RMSprop: divide the step by a running root mean square of the gradient.

    Parameters
    ----------
    rho : float, default=0.9
        Decay of the squared-gradient average.
    epsilon : float, default=1e-8
        Numerical-stability constant.
    """

    name = "rmsprop"

    def __init__(self, rho=0.9, epsilon=1e-8):
        self.rho = float(rho)
        self.epsilon = float(epsilon)

    def _accumulate(self, grad, accumulator, scratch):
        accumulator *= self.rho
        np.multiply(grad, grad, out=scratch)
        scratch *= 1.0 - self.rho
        accumulator += scratch


class Adagrad(_RootScaled):
    """Adagrad: divide the step by the root of the summed squared gradients.

    Parameters
    ----------
    epsilon : float, default=1e-8
        Numerical-stability constant.
    """

    name = "adagrad"
    rate_factor = 10.0

    def __init__(self, epsilon=1e-8):
        self.epsilon = float(epsilon)

    def _accumulate(self, grad, accumulator, scratch):
        np.multiply(grad, grad, out=scratch)
        accumulator += scratch


def _rate(learning_rate):
    """Return a rate array as it is and a scalar as a Python float.

    A NumPy float64 scalar would make a float32 update compute in float64.
    """
    if isinstance(learning_rate, np.ndarray):
        return learning_rate
    return float(learning_rate)


def _step_sizes(learning_rate, buffer):
    """Return the step sizes to give a proximal operator, which may overwrite them.

    A rate array is copied into ``buffer``, a scratch array free at this
    point, so that the operator does not overwrite the rates of later steps.
    """
    if isinstance(learning_rate, np.ndarray):
        np.copyto(buffer, learning_rate)
        return buffer
    return learning_rate


def _check_descent(name, optimizer):
    # A few steps on 1/2 ||x||^2, whose gradient is x, from x = 1.
    params = np.ones(4)
    state = optimizer.init(params)
    for _ in range(3):
        optimizer.update(params, params.copy(), state, 0.1)
    if not (np.isfinite(params).all() and np.abs(params).max() < 1.0):
        raise ValueError(
            f"Optimizer {name!r} does not descend on 1/2 ||x||^2: three steps of "
            f"rate 0.1 from x = 1 reach {params}."
        )


OPTIMIZERS = Registry(
    "optimizer",
    Optimizer,
    (SGD, Adam, AdamW, RMSprop, Adagrad),
    _check_descent,
    parameter="solver",
)


# The built-in states by name: a persisted state names its class, so that
# loading it imports nothing the file chooses.
_STATES = {cls.__name__: cls for cls in (SGDState, AdamState, MomentState)}


def state_to_dict(state):
    """Return a built-in optimizer state as a dict of its fields and class name.

    Parameters
    ----------
    state : object
        A state returned by an optimizer's ``init``.

    Returns
    -------
    data : dict or object
        ``{"class": name, **fields}`` for a state of a built-in optimizer;
        any other state as it is (its class is the user's).
    """
    if type(state) not in _STATES.values():
        return state
    data = {field.name: getattr(state, field.name) for field in fields(state)}
    return {"class": type(state).__name__, **data}


def state_from_dict(data):
    """Return the optimizer state that :func:`state_to_dict` returned ``data`` for.

    Parameters
    ----------
    data : dict or object
        The output of :func:`state_to_dict`.

    Returns
    -------
    state : object
        The optimizer state.
    """
    if not isinstance(data, dict):
        return data
    data = dict(data)
    name = data.pop("class", None)
    if name not in _STATES:
        raise ValueError(
            f"An optimizer state names the class {name!r}, which is none of the "
            f"built-in states {sorted(_STATES)}."
        )
    return _STATES[name](**data)
