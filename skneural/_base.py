"""Shared base of every skneural estimator.

:class:`BaseGradientDescent` declares the training vocabulary (the parameters
of scikit-learn's ``MLPClassifier`` that concern optimisation), validates the
data, turns string hyper-parameters into engine objects, makes one engine
call and copies the :class:`~skneural.engine.training.TrainResult` into
fitted attributes. The mixins of :mod:`skneural._classifier` and
:mod:`skneural._regressor` add target encoding and the prediction methods;
subclasses only say which network to build.
"""

import copy
import functools
import inspect
import warnings
from abc import ABCMeta, abstractmethod
from collections.abc import Callable
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import check_scoring
from sklearn.utils import check_random_state
from sklearn.utils.validation import (
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from ._callbacks import FitReporter
from ._compat import (
    CallbackSupportMixin,
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
    _check_sample_weight,
    _check_y,
    _fit_context,
    validate_parameters,
    with_callbacks,
)
from ._split import validation_split
from .engine import (
    LbfgsOptions,
    MinibatchOptions,
    Network,
    Objective,
    TrainingState,
    train_lbfgs,
    train_minibatch,
)
from .engine.activations import ACTIVATIONS
from .engine.ensemble_layers import opened_members
from .engine.losses import LOSSES, get_loss
from .engine.optimizers import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop
from .engine.schedules import (
    Constant,
    Cosine,
    Exponential,
    InvScaling,
    Schedule,
    Step,
    Warmup,
)
from .engine.stopping import PlateauReducer
from .engine.training import NEGATIVE_LOSS

# Small registries from string hyper-parameters to engine objects; an
# Optimizer or Schedule instance is used as given. 'lbfgs' is no update rule
# but a driver of its own (full-batch, quasi-Newton): it has no optimizer.
_OPTIMIZERS = {
    "sgd": lambda est: SGD(est.momentum, est.nesterovs_momentum),
    "adam": lambda est: Adam(est.beta_1, est.beta_2, est.epsilon),
    "adamw": lambda est: AdamW(
        est.beta_1, est.beta_2, est.epsilon, est._adamw_weight_decay
    ),
    "rmsprop": lambda est: RMSprop(est.beta_2, est.epsilon),
    "adagrad": lambda est: Adagrad(est.epsilon),
}
# scikit-learn's MLP parameters that configure the optimizer a solver name
# stands for; an optimizer instance carries its own.
_OPTIMIZER_KNOBS = ("momentum", "nesterovs_momentum", "beta_1", "beta_2", "epsilon")
# scikit-learn's MLP applies these schedules to solver='sgd' only (see
# Optimizer.follows_sklearn_schedules); any other solver keeps
# learning_rate_init, and a stall stops it, as there.
_SGD_ONLY_SCHEDULES = {"invscaling", "adaptive"}
# Each fit fills in what these leave unset (Schedule.filled): the rate, and
# cosine's length.
_SCHEDULES = {
    "constant": lambda est, n_samples: Constant(),
    "adaptive": lambda est, n_samples: Constant(),
    "plateau": lambda est, n_samples: Constant(),
    "invscaling": lambda est, n_samples: InvScaling(
        power_t=est.power_t, samples_per_epoch=n_samples
    ),
    "exponential": lambda est, n_samples: Exponential(),
    "step": lambda est, n_samples: Step(),
    "cosine": lambda est, n_samples: Cosine(),
}


# The format of the state that pickle and skops store (``__getstate__``): a
# change to it raises the number, and ``__setstate__`` migrates older ones.
_STATE_VERSION = 1
_STATE_VERSION_KEY = "_skneural_state_version"


def pop_state_version(state, estimator):
    """Remove the format number from a stored ``state`` and return it.

    Parameters
    ----------
    state : dict
        What ``__getstate__`` stored; the number's key is removed.
    estimator : object
        The estimator being loaded, named in the error.

    Returns
    -------
    version : int
        The format number, 0 for a state stored before formats had one.

    Raises
    ------
    ValueError
        If a newer skneural stored the state, in a format this one does
        not know.
    """
    version = state.pop(_STATE_VERSION_KEY, 0)
    if version > _STATE_VERSION:
        raise ValueError(
            f"This {type(estimator).__name__} was saved in the state format "
            f"{version} of a newer skneural; this one reads formats up to "
            f"{_STATE_VERSION}. Upgrade skneural to load it."
        )
    return version


# Parameters whose strings are keys of an engine registry that users extend;
# an estimator's constraints list the built-in keys it takes.
_REGISTRIES = {"activation": ACTIVATIONS, "loss": LOSSES}


def restore_on_error(fit_method):
    """Make a training method transactional: if it raises, nothing has changed.

    Every attribute is put back as it was: the same objects, and for fitted
    attributes (names ending in ``_``) and the resumable training state, which
    training updates in place, deep copies taken before the call. User objects
    such as callbacks are neither copied nor replaced.
    """

    @functools.wraps(fit_method)
    def transactional(self, *args, **kwargs):
        saved = dict(vars(self))
        for name, value in saved.items():
            if name.endswith("_") or name == "_training_state":
                saved[name] = copy.deepcopy(value)
        try:
            return fit_method(self, *args, **kwargs)
        except BaseException:
            vars(self).clear()
            vars(self).update(saved)
            raise

    return transactional


# Where the documentation is published: the one setting behind every link to
# it. The API reference pages are ``generated/skneural.<Name>.html`` below it
# (docs/api.rst lists the estimators under ``currentmodule:: skneural``).
DOCUMENTATION_URL = "https://skneural.readthedocs.io/en/latest/"


class DocumentationLinkMixin:
    """Link an estimator's HTML display to its page in the API reference.

    scikit-learn's notebook display shows a "?" link to the page that
    ``_get_doc_link`` returns and, once it has one, each parameter's
    description from the class docstring, linked to its entry on that page.
    Every public estimator is documented as ``skneural.<Name>``.
    """

    _doc_link_module = "skneural"
    _doc_link_template = DOCUMENTATION_URL + "generated/skneural.{estimator_name}.html"

    def _doc_link_url_param_generator(self):
        return {"estimator_name": type(self).__name__}


class BaseGradientDescent(
    DocumentationLinkMixin, CallbackSupportMixin, BaseEstimator, metaclass=ABCMeta
):
    """Base class of the skneural estimators; not for direct use.

    Subclasses implement the hooks ``_hidden_layer_sizes``,
    ``_hidden_activation``, ``_initial_weights`` and ``_loss_name``, and the
    target handling of a classifier or regressor mixin.
    """

    _parameter_constraints: dict = {
        "solver": [StrOptions({"lbfgs", *_OPTIMIZERS}), Optimizer],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate": [StrOptions(set(_SCHEDULES)), Schedule],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "warmup_epochs": [Interval(Integral, 0, None, closed="left")],
        "clip_norm": [None, Interval(Real, 0, None, closed="neither")],
        "scoring": [None, str, callable],
    }

    # The decoupled weight decay of solver='adamw': AdamW's own default for the
    # MLPs (solver=AdamW(weight_decay=...) sets another).
    _adamw_weight_decay = AdamW().weight_decay

    # L-BFGS stops on a relative objective reduction below this; None keeps
    # SciPy's default. Linear models tighten it so ``tol`` decides.
    _lbfgs_ftol = None

    # scikit-learn's MLPs turn a target of shape (n_samples, 1) into a 1-D one,
    # with a DataConversionWarning, and predict 1-D; LinearRegression keeps
    # the column and predicts one.
    _ravel_column_target = True

    # Whether a first fit sets the output intercepts so that the network starts
    # out predicting the (weighted) mean target, the best constant model.
    _starts_at_target_mean = False

    # ------------------------------------------------------------------ hooks
    @abstractmethod
    def _hidden_layer_sizes(self):
        """Return the hidden layer sizes (empty for a linear model)."""

    @abstractmethod
    def _hidden_activation(self):
        """Return the activation of the hidden layers."""

    @abstractmethod
    def _initial_weights(self):
        """Return the initialisation scheme, a name or an instance."""

    def _dropout(self):
        """Return the dropout rate(s) of the hidden layers."""
        return 0.0

    @abstractmethod
    def _loss_name(self):
        """Return the engine loss for the encoded targets (called after encoding)."""

    @abstractmethod
    def _encode_targets(self, y, *, reset, incremental, dtype):
        """Validate ``y`` and return it encoded as a 2-D array."""

    @abstractmethod
    def _encode_validation_targets(self, y, dtype):
        """Validate a validation ``y`` against the fitted targets and encode it."""

    @abstractmethod
    def _validation_score(self, raw, y, sample_weight):
        """Return the score of raw outputs against raw targets (higher is better)."""

    def _training_sample_weight(self, y, sample_weight, incremental, dtype):
        """Return the sample weights training uses (classifiers add class weights)."""
        return sample_weight

    # ----------------------------------------------------------- persistence
    def __getstate__(self):
        state = dict(super().__getstate__())
        # A registered name means nothing in a process that has not registered
        # it (a joblib worker, another session): its class travels along.
        registered = {}
        for parameter, registry in _REGISTRIES.items():
            cls = registry.custom(state.get(parameter))
            if cls is not None:
                registered[parameter] = (state[parameter], cls)
        if registered:
            state["_registered_classes"] = registered
        # Engine objects travel as the plain data they are rebuilt from, so
        # that skops, which trusts no class it is not told to, loads the
        # fitted state trusting nothing beyond what the parameters hold.
        state[_STATE_VERSION_KEY] = _STATE_VERSION
        if "_network" in state:
            state["_network"] = state["_network"].arguments
        if state.get("_training_state") is not None:
            state["_training_state"] = state["_training_state"].to_dict()
        return state

    def __setstate__(self, state):
        state = dict(state)
        version = pop_state_version(state, self)
        # Registered first: the network's arguments may name the classes.
        for parameter, (name, cls) in state.pop("_registered_classes", {}).items():
            _REGISTRIES[parameter].register(name, cls)
        # Format 0, before the format had a number, held the engine objects.
        if version >= 1 and "_network" in state:
            state["_network"] = Network(**state["_network"])
        if version >= 1 and state.get("_training_state") is not None:
            state["_training_state"] = TrainingState.from_dict(state["_training_state"])
        super().__setstate__(state)

    def _check_registered_names(self):
        """Check that each name of a registry-backed parameter is known here.

        Names beyond the built-in options of the constraints must be
        registered in this process; the registry grows after the constraints
        are made, so this runs at the start of fit.
        """
        for parameter, registry in _REGISTRIES.items():
            name = getattr(self, parameter, None)
            if (
                parameter not in self._parameter_constraints
                or not isinstance(name, str)
                or registry.custom(name) is not None
            ):
                continue
            builtins = sorted(
                option
                for constraint in self._parameter_constraints[parameter]
                if isinstance(constraint, StrOptions)
                for option in constraint.options
            )
            if name in builtins:
                continue
            # Not phrased "parameter of X must be", which sklearn's
            # validate_params rewrites to blame a caller like cross_val_score.
            raise InvalidParameterError(
                f"The {parameter!r} parameter of {type(self).__name__} is "
                f"{name!r}, which is neither one of {builtins} nor a name "
                f"registered in this process with {registry.base.__module__}."
                f"register_{registry.kind}. A registered name reaches another "
                "process (an n_jobs worker, a session that unpickles) in the "
                "estimator that holds it when pickled, not when set there, as a "
                "search sets the values of its parameter grid."
            )

    def _initial_learning_rate(
        self, optimizer, X, Y, sample_weight, rows, batch_size, incremental
    ):
        """Return the initial learning rate of the stochastic solvers."""
        own_rate = self._schedule_rate()
        if own_rate is not None:
            return own_rate
        return self.learning_rate_init * optimizer.rate_factor

    def _schedule_rate(self):
        """Return the initial rate a ``learning_rate`` instance sets itself, or None."""
        if not isinstance(self.learning_rate, Schedule):
            return None
        rates = (
            value
            for name, value in self.learning_rate.get_params().items()
            if name.rpartition("__")[2] == "learning_rate_init"
        )
        return next(rates, None)

    def _engine_optimizer(self):
        """Return the engine optimizer ``solver`` stands for; None for 'lbfgs'.

        The one place where ``solver`` is read: every other decision asks the
        object this returns (validation has refused any other string).
        """
        if isinstance(self.solver, Optimizer):
            return self.solver
        make = _OPTIMIZERS.get(self.solver)
        return None if make is None else make(self)

    def _initial_params(self, network, rng, X, Y, sample_weight):
        """Return the parameters a first fit starts from."""
        params = network.initialize(rng, self._initial_weights(), X.dtype)
        if self._starts_at_target_mean:
            network.output_intercepts(params)[...] = best_constant_output(
                network.out_activation, Y, sample_weight
            )
        return params

    def _output_intercept(self):
        """Return whether the output layer has intercepts."""
        return True

    def _penalty_weight_sum(self, sample_weight, rows, n_train):
        """Return what divides the penalty of every mini-batch (see ``Objective``).

        None divides it by the batch's own weight, as scikit-learn's MLP does.
        """
        return None

    # --------------------------------------------------------------- fitting
    def _check_parameter_interactions(self, incremental):
        """Rules that span several parameters, checked at the start of fit."""
        if incremental and self.early_stopping:
            raise ValueError(
                "partial_fit does not support early_stopping=True: it runs one "
                "epoch on the data it is given, with nothing to stop early. Set "
                "early_stopping=False, or use fit."
            )
        self._check_registered_names()
        self._check_engine_objects()
        if self._engine_optimizer() is None:
            self._check_lbfgs_objective()

    def _check_lbfgs_objective(self):
        """Refuse objectives that L-BFGS, which needs a smooth one, cannot minimise."""
        loss = getattr(self, "loss", None)
        if loss is not None and not get_loss(loss).smooth:
            raise ValueError(
                f"solver='lbfgs' cannot minimise loss={loss!r}: the loss is not "
                "smooth (the absolute error has a kink where a residual is 0), and "
                "L-BFGS's line search assumes a smooth objective. Use a stochastic "
                "solver such as solver='sgd' or solver='adam'."
            )
        if np.any(np.asarray(self._dropout()) > 0):
            raise ValueError(
                "dropout makes every evaluation of the objective random, and "
                "solver='lbfgs' needs a deterministic one. Use a stochastic solver "
                "such as solver='adam'."
            )

    def _check_engine_objects(self):
        """Refuse estimator parameters that an engine instance would override.

        ``momentum``, ``beta_1`` and the rest configure the optimizer a solver
        name stands for, and ``learning_rate_init`` the rate of a schedule
        that leaves it unset; an instance that sets its own makes them
        meaningless, so they must stay at their defaults.
        """
        if isinstance(self.solver, Optimizer):
            defaults = inspect.signature(type(self)).parameters
            changed = [
                f"{name}={getattr(self, name)!r}"
                for name in _OPTIMIZER_KNOBS
                if getattr(self, name) != defaults[name].default
            ]
            if changed:
                raise ValueError(
                    f"solver={self.solver!r} is an optimizer instance, which "
                    f"carries its own hyper-parameters, so {', '.join(changed)} "
                    "would be ignored. Set them on the instance and leave the "
                    "estimator's at their defaults."
                )
        if self._schedule_rate() is not None and self.learning_rate_init != (
            inspect.signature(type(self)).parameters["learning_rate_init"].default
        ):
            raise ValueError(
                f"learning_rate={self.learning_rate!r} sets its own "
                f"learning_rate_init, so learning_rate_init="
                f"{self.learning_rate_init!r} would be ignored. Set the rate in one "
                "place: leave the schedule's learning_rate_init unset (None), or the "
                "estimator's at its default."
            )

    def _fit(
        self,
        X,
        y,
        sample_weight=None,
        *,
        incremental=False,
        X_val=None,
        y_val=None,
        sample_weight_val=None,
    ):
        if incremental:
            # _fit_context skips this check in a partial_fit of a fitted estimator.
            validate_parameters(self)
        self._check_parameter_interactions(incremental)
        first_pass = not hasattr(self, "coefs_") or (
            not self.warm_start and not incremental
        )
        X, y, Y, sample_weight = self._validated_data(
            X, y, sample_weight, first_pass, incremental
        )
        train_weight = self._training_sample_weight(
            y, sample_weight, incremental, X.dtype
        )
        rng = _generator(self.random_state)
        params = self._set_up_network(X, y, Y, train_weight, first_pass, rng)
        validation = self._validation_set(
            X, y, Y, sample_weight, train_weight, X_val, y_val, sample_weight_val, rng
        )
        # Early stopping trains on the rows its split keeps, taken through
        # their indices: X is never copied into a training part. A row split
        # between the two sides trains with its share of the weight.
        rows = None
        if validation is not None:
            rows, train_weight = validation.pop("rows"), validation.pop("train_weight")
        data = _TrainingData(X, Y, train_weight, rows, incremental)
        reporter = FitReporter(
            self, X, y, sample_weight, 1 if incremental else self.max_iter
        )
        result = self._train(params, data, rng, validation or {}, reporter)
        self._store_result(result)
        reporter.finish()
        self._warn_about(result, incremental)
        return self

    def _train(self, params, data, rng, validation, reporter):
        """Train with the engine driver of ``solver``; return its ``TrainResult``."""
        n_train = data.X.shape[0] if data.rows is None else len(data.rows)
        objective = Objective(
            self._network,
            alpha=self.alpha,
            l1_ratio=self.l1_ratio,
            weight_sum=self._penalty_weight_sum(data.sample_weight, data.rows, n_train),
        )
        optimizer = self._engine_optimizer()
        driver = _driver(optimizer)
        return driver.train(
            objective,
            params,
            data.X,
            data.Y,
            data.sample_weight,
            options=driver.options(self, optimizer, data, validation, reporter),
            rng=rng,
            state=getattr(self, "_training_state", None),
            rows=data.rows,
        )

    def _validated_data(self, X, y, sample_weight, first_pass, incremental):
        """Return ``X``, ``y``, the encoded targets and ``sample_weight``, checked."""
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=self._accept_sparse(),
            multi_output=True,
            dtype=(np.float64, np.float32),
            reset=first_pass,
            y_numeric=self._y_numeric,
        )
        X = _aligned(X)
        if y.ndim == 2 and y.shape[1] == 1 and self._ravel_column_target:
            y = column_or_1d(y, warn=True)
        if sample_weight is not None:
            sample_weight = _aligned(
                _check_sample_weight(
                    sample_weight, X, dtype=X.dtype, ensure_non_negative=True
                )
            )
        Y = self._encode_targets(
            y, reset=first_pass, incremental=incremental, dtype=X.dtype
        )
        if not first_pass and Y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {Y.shape[1]} outputs but the fitted model has "
                f"{self.n_outputs_}; refit without warm_start to change them."
            )
        return X, y, Y, sample_weight

    def _set_up_network(self, X, y, Y, sample_weight, first_pass, rng):
        """Build the network, set the attributes that describe it; return params."""
        network = Network(
            (X.shape[1], *self._hidden_layer_sizes(), Y.shape[1]),
            self._hidden_activation(),
            self._loss_name(),
            dropout=self._dropout(),
            output_intercept=self._output_intercept(),
            n_members=opened_members(self._hidden_layer_sizes()),
        )
        if first_pass:
            params = self._initial_params(network, rng, X, Y, sample_weight)
            self._reset_training_record()
        else:
            params = network.pack(
                self.coefs_,
                self.intercepts_,
                dtype=X.dtype,
                layer_params=self._fitted_layer_params(),
            )
        self._network = network
        self.n_layers_ = network.n_layers + 1
        self.n_outputs_ = network.n_outputs
        # Regressors predict targets of the shape they were fitted on.
        self._target_ndim = y.ndim
        self.out_activation_ = network.out_activation
        return params

    def _lbfgs_options(self, optimizer, data, validation, reporter):
        """Return the inputs of the L-BFGS driver (``optimizer`` is None)."""
        return LbfgsOptions(
            max_iter=self.max_iter,
            max_fun=self.max_fun,
            tol=self.tol,
            ftol=self._lbfgs_ftol,
            on_epoch_end=reporter.on_epoch_end,
            **validation,
        )

    def _minibatch_options(self, optimizer, data, validation, reporter):
        """Return the inputs of the mini-batch driver for ``optimizer``."""
        X, Y, sample_weight, rows, incremental = data
        n_samples = X.shape[0] if rows is None else len(rows)
        if self.batch_size == "auto":
            batch_size = min(200, n_samples)
        else:
            if self.batch_size > n_samples:
                warnings.warn(
                    f"Got batch_size={self.batch_size} larger than the number of "
                    f"training samples ({n_samples}); it is clipped to {n_samples}.",
                    UserWarning,
                )
            batch_size = min(self.batch_size, n_samples)
        learning_rate_init = self._initial_learning_rate(
            optimizer, X, Y, sample_weight, rows, batch_size, incremental
        )
        return MinibatchOptions(
            optimizer=_decaying_weights_only(optimizer, self._network.n_coef),
            schedule=self._schedule(
                optimizer, n_samples, learning_rate_init, incremental
            ),
            batch_size=batch_size,
            max_iter=1 if incremental else self.max_iter,
            tol=self.tol,
            n_iter_no_change=self.n_iter_no_change,
            shuffle=self.shuffle,
            plateau_reducer=self._plateau_reducer(optimizer),
            early_stopping=self.early_stopping and bool(validation),
            clip_norm=self.clip_norm,
            on_epoch_begin=reporter.on_epoch_begin,
            on_epoch_end=reporter.on_epoch_end,
            **validation,
        )

    def _schedule(self, optimizer, n_samples, learning_rate_init, incremental=False):
        """Map ``learning_rate`` to an engine schedule from the rate of this fit."""
        schedule = self.learning_rate
        if not isinstance(schedule, Schedule):
            name = schedule
            if name in _SGD_ONLY_SCHEDULES and not optimizer.follows_sklearn_schedules:
                name = "constant"
            if name == "invscaling" and incremental:
                # One epoch, after t_ samples in batches of any size:
                # scikit-learn's rate counts the samples, not the epochs.
                rate = InvScaling(learning_rate_init, self.power_t)(self.t_)
                schedule = Constant(rate)
            else:
                schedule = _SCHEDULES[name](self, n_samples)
        schedule = schedule.filled(
            learning_rate_init=learning_rate_init,
            n_epochs=max(self.max_iter - self.warmup_epochs, 1),
        )
        if self.warmup_epochs:
            schedule = Warmup(schedule, self.warmup_epochs)
        return schedule

    def _plateau_reducer(self, optimizer):
        """Return the rate cutter of 'plateau' (and of 'adaptive' with sgd), or None."""
        if self.learning_rate == "plateau" or (
            self.learning_rate == "adaptive" and optimizer.follows_sklearn_schedules
        ):
            return PlateauReducer()
        return None

    def _validation_set(
        self,
        X,
        y,
        Y,
        sample_weight,
        train_weight,
        X_val,
        y_val,
        sample_weight_val,
        rng,
    ):
        """Return the validation callables, and the training rows and weights.

        The validation set is ``(X_val, y_val)`` when given (all rows train
        with ``train_weight``), else a held-out ``validation_fraction`` when
        early stopping, else there is none (None). The split divides the
        copies that ``sample_weight`` stands for; ``train_weight`` (with class
        weights) is divided in the same proportions.
        """
        rows = None
        if X_val is None and y_val is None:
            if sample_weight_val is not None:
                raise ValueError("sample_weight_val is given without X_val and y_val.")
            if not self.early_stopping or self._engine_optimizer() is None:
                return None
            rows, train_weight, X_val, y_val, sample_weight_val = self._split(
                X, y, Y, sample_weight, train_weight, rng
            )
        elif X_val is None or y_val is None:
            raise ValueError("X_val and y_val must be given together.")
        else:
            try:
                X_val = validate_data(
                    self,
                    X_val,
                    accept_sparse=self._accept_sparse(),
                    dtype=X.dtype,
                    reset=False,
                )
            except ValueError as error:
                raise ValueError(
                    "X_val does not match the X that fit received: "
                    f"{str(error).rstrip('.')}. In a Pipeline, the steps before "
                    "this estimator transform X but not "
                    "X_val, unless the pipeline is built with "
                    "transform_input=['X_val'] (with metadata routing enabled)."
                ) from error
            X_val = _aligned(X_val)
            y_val = _check_y(y_val, multi_output=True, y_numeric=self._y_numeric)
            if y_val.ndim == 2 and y_val.shape[1] == 1 and self._ravel_column_target:
                y_val = column_or_1d(y_val)
            check_consistent_length(X_val, y_val)
            if sample_weight_val is not None:
                sample_weight_val = _check_sample_weight(
                    sample_weight_val, X_val, dtype=X.dtype, ensure_non_negative=True
                )
        Y_val = self._encode_validation_targets(y_val, X.dtype)
        network = self._network
        data_loss = Objective(network)

        def validation_loss(params):
            return data_loss.loss(params, X_val, Y_val, sample_weight_val)

        if self.scoring is None:

            def validation_score(params):
                raw = network.predict_raw(params, X_val)
                return self._validation_score(raw, y_val, sample_weight_val)

        elif self.scoring == "loss":
            validation_score = NEGATIVE_LOSS

        else:
            scorer = check_scoring(self, self.scoring)
            weights = (
                {}
                if sample_weight_val is None
                else {"sample_weight": sample_weight_val}
            )

            def validation_score(params):
                view = copy.copy(self)
                vars(view).update(self._layer_attributes(params))
                return scorer(view, X_val, y_val, **weights)

        return {
            "rows": rows,
            "train_weight": train_weight,
            "validation_score": validation_score,
            "validation_loss": validation_loss,
        }

    def _split(self, X, y, Y, sample_weight, train_weight, rng):
        if self.validation_fraction == 0:
            raise ValueError(
                "early_stopping=True holds out validation_fraction of the training "
                "data to score, and validation_fraction=0.0 holds out nothing. Set "
                "validation_fraction in (0, 1), pass X_val and y_val to fit, or set "
                "early_stopping=False."
            )
        stratified = self._stratify_validation(Y)
        seed = int(rng.integers(np.iinfo(np.int64).max))
        split = validation_split(
            X,
            None if stratified else Y,
            y if stratified else None,
            sample_weight,
            self.validation_fraction,
            seed,
        )
        val = split.validation
        return (
            split.train,
            split.train_weight(train_weight),
            X[val],
            y[val],
            split.validation_weight(train_weight),
        )

    def _stratify_validation(self, Y):
        return False

    def _layer_attributes(self, params):
        """Return fitted attributes that make a copy predict with ``params``."""
        network = self._network
        return {
            "coefs_": network.coefs(params),
            "intercepts_": network.intercepts(params),
        }

    def _reset_training_record(self):
        self._training_state = None
        self.loss_curve_ = []
        self.t_ = 0
        self.validation_scores_ = None
        self.validation_loss_curve_ = None
        self.best_validation_score_ = None
        self.best_loss_ = None

    def _accept_sparse(self):
        """Return the sparse formats X may come in (False for none)."""
        return ["csr", "csc"]

    def _fitted_layer_params(self):
        """Return the fitted parameters of the layers that are not dense."""
        return ()

    def _store_result(self, result):
        vars(self).update(self._layer_attributes(result.params))
        self.n_iter_ = result.n_iter
        self.t_ += result.n_samples_seen
        self.loss_curve_.extend(result.loss_curve)
        self.loss_ = result.loss
        self._training_state = result.state
        if result.validation_scores:
            self.validation_scores_ = (self.validation_scores_ or []) + list(
                result.validation_scores
            )
            self.validation_loss_curve_ = (self.validation_loss_curve_ or []) + list(
                result.validation_loss_curve
            )
        if result.best_validation_score is not None:
            self.best_validation_score_ = result.best_validation_score
            return
        self.best_loss_ = result.best_loss
        if result.validation_scores:
            self.best_validation_score_ = max(self.validation_scores_)

    def _warn_about(self, result, incremental):
        if result.diverged:
            lower = "Lower it"
            if self.learning_rate_init == "auto":
                lower = "Pass a float below the rate it chose"
            warnings.warn(
                f"{result.message} The learning rate is the likely cause: "
                f"learning_rate_init={self.learning_rate_init} is too large for this "
                f"data. {lower}, or scale the features (e.g. StandardScaler).",
                ConvergenceWarning,
            )
        elif not result.converged and not incremental:
            message = _driver(self._engine_optimizer()).not_converged(self, result)
            warnings.warn(message, ConvergenceWarning)

    def _lbfgs_not_converged(self, result):
        """Return the warning of an L-BFGS fit that stopped short of converging."""
        # scipy checks max_fun after a line search, which may overshoot it.
        if result.n_fun >= self.max_fun:
            advice = f"It used up max_fun={self.max_fun} evaluations of the "
            advice += "objective; increase max_fun, or scale the data."
        elif result.n_iter >= self.max_iter:
            advice = f"It reached max_iter={self.max_iter} iterations; "
            advice += "increase max_iter, or scale the data."
        else:
            advice = "Scale the data (e.g. StandardScaler)."
        return (
            f"lbfgs failed to converge after {result.n_iter} iteration(s) "
            f"({result.message}). {advice}"
        )

    def _minibatch_not_converged(self, result):
        """Return the warning of a mini-batch fit that used up ``max_iter``."""
        return (
            f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
            "reached and the optimization hasn't converged yet."
        )

    @with_callbacks
    @_fit_context(prefer_skip_nested_validation=True)
    @restore_on_error
    def fit(
        self,
        X,
        y,
        sample_weight=None,
        *,
        X_val=None,
        y_val=None,
        sample_weight_val=None,
    ):
        """Fit the model to data matrix X and targets y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels in classification, real numbers in regression.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights. Weighting a sample by an integer k is the same as
            repeating it k times (exactly so for full-batch training).
        X_val : {array-like, sparse matrix} of shape (n_val, n_features), default=None
            Validation inputs. When given (with ``y_val``), they replace the
            ``validation_fraction`` split: ``validation_scores_`` and
            ``validation_loss_curve_`` are recorded on them, and early stopping
            (if ``early_stopping=True``) monitors them.
        y_val : array-like of shape (n_val,) or (n_val, n_outputs), default=None
            Validation targets.
        sample_weight_val : array-like of shape (n_val,), default=None
            Validation sample weights.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(
            X,
            y,
            sample_weight=sample_weight,
            X_val=X_val,
            y_val=y_val,
            sample_weight_val=sample_weight_val,
        )

    # ------------------------------------------------------------ prediction
    def _raw_output(self, X):
        check_is_fitted(self)
        X = _aligned(
            validate_data(
                self,
                X,
                accept_sparse=self._accept_sparse(),
                dtype=(np.float64, np.float32),
                reset=False,
            )
        )
        return self._network.predict_raw_layers(
            self.coefs_, self.intercepts_, X, self._fitted_layer_params()
        )

    def _check_solver(self):
        if self._engine_optimizer() is None:
            raise AttributeError(
                "partial_fit is only available for stochastic optimizers. "
                f"{self.solver} is not stochastic."
            )
        return True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = bool(self._accept_sparse())
        return tags


class _TrainingData(NamedTuple):
    """What a fit trains on, for the method that chooses the driver's options."""

    X: object
    Y: np.ndarray
    sample_weight: np.ndarray | None
    rows: np.ndarray | None
    incremental: bool


class _Driver(NamedTuple):
    """How an estimator trains with one kind of solver.

    ``train`` is the engine driver, ``options(estimator, optimizer, data,
    validation, reporter)`` returns its options record and
    ``not_converged(estimator, result)`` the warning of a fit that stopped
    short of converging.
    """

    train: Callable
    options: Callable
    not_converged: Callable


_MINIBATCH = _Driver(
    train_minibatch,
    BaseGradientDescent._minibatch_options,
    BaseGradientDescent._minibatch_not_converged,
)
_LBFGS = _Driver(
    train_lbfgs,
    BaseGradientDescent._lbfgs_options,
    BaseGradientDescent._lbfgs_not_converged,
)


def _driver(optimizer):
    """Return the driver of a solver: L-BFGS without an optimizer, else mini-batch."""
    return _LBFGS if optimizer is None else _MINIBATCH


def _decaying_weights_only(optimizer, n_coef):
    """Return ``optimizer``, with a weight decay limited to the weights.

    An optimizer with an unset ``n_decayed`` (AdamW) would decay every
    parameter; the weights come first in the network's flat vector, so it
    decays the first ``n_coef``, and the intercepts keep their values. The
    user's instance is not changed: a copy is.
    """
    if optimizer.get_params(deep=False).get("n_decayed", 0) is not None:
        return optimizer
    return optimizer.__sklearn_clone__().set_params(n_decayed=n_coef)


def _aligned(array):
    """Return ``array``, or an aligned copy of a dense array that is not aligned.

    An array unpickled from a byte stream, as Dask ships them, can start at
    any byte. NumPy then multiplies it without BLAS: slower, and summing in
    another order, so that a fit on a Dask worker would differ in the last
    bits from the same fit here.
    """
    if isinstance(array, np.ndarray) and not array.flags.aligned:
        return np.require(array, requirements="A")
    return array


def store_init_arguments(estimator, arguments):
    """Store each ``__init__`` argument as an attribute of the same name.

    scikit-learn's convention: ``__init__`` does nothing else, so
    ``get_params`` and ``clone`` see exactly what the user passed.

    Parameters
    ----------
    estimator : BaseEstimator
        The estimator being constructed.
    arguments : dict
        ``locals()`` at the top of ``__init__``.
    """
    for name, value in arguments.items():
        if name != "self":
            setattr(estimator, name, value)


def best_constant_output(out_activation, Y, sample_weight):
    """Return the output intercepts for which the network predicts the mean target.

    With the hidden layers' contribution left out, the network then starts as
    the best constant model: the weighted mean of ``Y`` for an identity
    output, its log for the log link, the log-odds of the class frequencies
    for a logistic or softmax output. A mean at the edge of the output's range
    (a class or a label value never seen, targets all 0) would start at an
    infinite intercept; it is taken as Laplace's rule of succession estimates
    a frequency of 0 (or 1) in ``n`` samples: ``1 / (n + 2)`` (or its
    complement).
    """
    mean = np.average(Y, axis=0, weights=sample_weight)
    if out_activation == "identity":
        return mean
    unseen = 1 / (Y.shape[0] + 2)
    mean = np.where(mean <= 0, unseen, mean)
    if out_activation == "logistic":
        mean = np.where(mean >= 1, 1 - unseen, mean)
        return np.log(mean) - np.log1p(-mean)
    # The log link ('exp'), and 'softmax', whose logits are the
    # log-probabilities up to a constant.
    return np.log(mean)


def _generator(random_state):
    """Turn scikit-learn's ``random_state`` into one ``numpy.random.Generator``.

    An int seeds it directly, so a fit is reproducible bit for bit. None or a
    ``RandomState`` instance draw the seed from that instance, so repeated
    fits differ, as scikit-learn's convention asks.
    """
    if isinstance(random_state, Integral):
        return np.random.default_rng(int(random_state))
    seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
    return np.random.default_rng(seed)
