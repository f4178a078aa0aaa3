"""Shared base of every skneural estimator.

:class:`BaseGradientDescent` declares the training vocabulary (the parameters
of scikit-learn's ``MLPClassifier`` that concern optimisation), validates the
data, turns string hyper-parameters into engine objects, makes one engine
call and copies the :class:`~skneural.engine.training.TrainResult` into
fitted attributes. The classifier and regressor mixins add target encoding and
the prediction methods. Subclasses only say which network to build.
"""

import warnings
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real

import numpy as np
from scipy.special import log_expit, log_softmax
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target, unique_labels
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ._compat import (
    Interval,
    Options,
    StrOptions,
    _check_partial_fit_first_call,
    _check_sample_weight,
    _fit_context,
)
from .engine import Network, Objective, train_lbfgs, train_minibatch
from .engine.activations import OUTPUT_FUNCTIONS
from .engine.optimizers import SGD, Adam
from .engine.schedules import Constant, InvScaling, PlateauReducer

_STOCHASTIC_SOLVERS = ("sgd", "adam")


class BaseGradientDescent(BaseEstimator, metaclass=ABCMeta):
    """Base class of the skneural estimators; not for direct use.

    Subclasses implement the hooks ``_hidden_layer_sizes``,
    ``_hidden_activation``, ``_initial_weights`` and ``_loss_name``, and the
    target handling of a classifier or regressor mixin.
    """

    _parameter_constraints: dict = {
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
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
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
    }

    # L-BFGS stops on a relative objective reduction below this; None keeps
    # SciPy's default. Linear models tighten it so ``tol`` decides.
    _lbfgs_ftol = None

    # ------------------------------------------------------------------ hooks
    @abstractmethod
    def _hidden_layer_sizes(self):
        """Tuple of hidden layer sizes (empty for a linear model)."""

    @abstractmethod
    def _hidden_activation(self):
        """Activation of the hidden layers."""

    @abstractmethod
    def _initial_weights(self):
        """Initialisation scheme name or instance."""

    @abstractmethod
    def _loss_name(self):
        """Engine loss for the encoded targets (called after encoding)."""

    @abstractmethod
    def _encode_targets(self, y, *, reset, incremental, dtype):
        """Validate ``y`` and return it encoded as a 2-D array."""

    @abstractmethod
    def _validation_score(self, raw, y, sample_weight):
        """Score of raw outputs against raw targets (higher is better)."""

    # --------------------------------------------------------------- fitting
    def _check_parameter_interactions(self):
        """Rules that span several parameters, checked at the start of fit."""
        loss = getattr(self, "loss", None)
        if self.solver == "lbfgs" and loss == "absolute_error":
            raise ValueError(
                "solver='lbfgs' cannot minimise loss='absolute_error': the loss is "
                "not differentiable where a residual is 0, and L-BFGS's line search "
                "assumes a smooth objective. Use solver='sgd' or solver='adam'."
            )

    def _fit(self, X, y, sample_weight=None, *, incremental=False):
        self._check_parameter_interactions()
        first_pass = not hasattr(self, "coefs_") or (
            not self.warm_start and not incremental
        )
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            dtype=(np.float64, np.float32),
            reset=first_pass,
            y_numeric=self._y_numeric,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=X.dtype, ensure_non_negative=True
            )
        Y = self._encode_targets(
            y, reset=first_pass, incremental=incremental, dtype=X.dtype
        )
        if not first_pass and Y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {Y.shape[1]} outputs but the fitted model has "
                f"{self.n_outputs_}; refit without warm_start to change them."
            )
        network = Network(
            (X.shape[1], *self._hidden_layer_sizes(), Y.shape[1]),
            self._hidden_activation(),
            self._loss_name(),
        )
        rng = _generator(self.random_state)
        if first_pass:
            params = network.initialize(rng, self._initial_weights(), X.dtype)
            self._reset_training_record()
        else:
            params = network.pack(self.coefs_, self.intercepts_, dtype=X.dtype)
        objective = Objective(network, alpha=self.alpha)

        if self.solver == "lbfgs":
            result = train_lbfgs(
                objective,
                params,
                X,
                Y,
                sample_weight,
                max_iter=self.max_iter,
                max_fun=self.max_fun,
                tol=self.tol,
                ftol=self._lbfgs_ftol,
                on_epoch_end=self._reporter(),
            )
            t = result.n_fun * X.shape[0]
        else:
            result = self._fit_minibatch(
                objective, params, X, y, Y, sample_weight, rng, incremental
            )
            t = result.state.t
        self._store_result(network, objective, result, X, Y, sample_weight, t)
        self._warn_about(result, incremental)
        return self

    def _fit_minibatch(
        self, objective, params, X, y, Y, sample_weight, rng, incremental
    ):
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True.")
        validation_score = None
        if self.early_stopping:
            X, Y, sample_weight, validation_score = self._split_validation(
                X, y, Y, sample_weight, objective.network, rng
            )
        n_samples = X.shape[0]
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
        if self.learning_rate == "invscaling":
            schedule = InvScaling(self.learning_rate_init, self.power_t, n_samples)
        else:
            schedule = Constant(self.learning_rate_init)
        if self.solver == "sgd":
            optimizer = SGD(self.momentum, self.nesterovs_momentum)
        else:
            optimizer = Adam(self.beta_1, self.beta_2, self.epsilon)
        return train_minibatch(
            objective,
            params,
            X,
            Y,
            sample_weight,
            optimizer=optimizer,
            schedule=schedule,
            batch_size=batch_size,
            max_iter=1 if incremental else self.max_iter,
            rng=rng,
            tol=self.tol,
            n_iter_no_change=self.n_iter_no_change,
            shuffle=self.shuffle,
            plateau_reducer=PlateauReducer()
            if self.learning_rate == "adaptive"
            else None,
            validation_score=validation_score,
            state=getattr(self, "_training_state", None),
            on_epoch_end=self._reporter(),
        )

    def _split_validation(self, X, y, Y, sample_weight, network, rng):
        stratify = y if self._stratify_validation(Y) else None
        arrays = [X, Y, y] + ([] if sample_weight is None else [sample_weight])
        split = train_test_split(
            *arrays,
            test_size=self.validation_fraction,
            random_state=int(rng.integers(np.iinfo(np.int32).max)),
            stratify=stratify,
        )
        X_train, X_val, Y_train, _, _, y_val = split[:6]
        sw_train, sw_val = (None, None) if sample_weight is None else split[6:]
        if X_val.shape[0] < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' "
                "or the size of your dataset."
            )

        def validation_score(params):
            return self._validation_score(
                network.predict_raw(params, X_val), y_val, sw_val
            )

        return X_train, Y_train, sw_train, validation_score

    def _stratify_validation(self, Y):
        return False

    def _reset_training_record(self):
        self._training_state = None
        self.loss_curve_ = []
        self.t_ = 0
        stochastic_with_validation = (
            self.early_stopping and self.solver in _STOCHASTIC_SOLVERS
        )
        self.validation_scores_ = [] if stochastic_with_validation else None
        self.best_validation_score_ = None
        self.best_loss_ = None

    def _store_result(self, network, objective, result, X, Y, sample_weight, t):
        self._network = network
        self.coefs_ = network.coefs(result.params)
        self.intercepts_ = network.intercepts(result.params)
        self.n_layers_ = network.n_layers + 1
        self.n_outputs_ = network.layer_sizes[-1]
        self.out_activation_ = network.out_activation
        self.n_iter_ = result.n_iter
        self.t_ += t
        self.loss_curve_.extend(result.loss_curve)
        if self.solver == "lbfgs" or not result.loss_curve:
            self.loss_ = objective.loss(result.params, X, Y, sample_weight)
        else:
            self.loss_ = self.loss_curve_[-1]
        if self.solver == "lbfgs":
            self.best_loss_ = self.loss_
            return
        self._training_state = result.state
        monitor = result.state.monitor
        if self.validation_scores_ is not None:
            self.validation_scores_.extend(result.validation_scores)
            self.best_validation_score_ = monitor.best
        else:
            self.best_loss_ = monitor.best

    def _warn_about(self, result, incremental):
        if result.diverged:
            warnings.warn(
                f"{result.message} The learning rate is the likely cause: "
                f"learning_rate_init={self.learning_rate_init} is too large for this "
                "data. Lower it, or scale the features (e.g. StandardScaler).",
                ConvergenceWarning,
            )
        elif not result.converged and not incremental:
            if self.solver == "lbfgs":
                message = (
                    f"lbfgs failed to converge after {result.n_iter} iteration(s) "
                    f"({result.message}). Increase max_iter or max_fun, or scale "
                    "the data."
                )
            else:
                message = (
                    f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
                    "reached and the optimization hasn't converged yet."
                )
            warnings.warn(message, ConvergenceWarning)

    def _reporter(self):
        if not self.verbose:
            return None

        def report(info):
            print(f"Iteration {info.epoch}, loss = {info.loss:.8f}")
            if info.validation_score is not None:
                print(f"Validation score: {info.validation_score:f}")

        return report

    # ------------------------------------------------------------ prediction
    def _raw_output(self, X):
        check_is_fitted(self)
        X = validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=(np.float64, np.float32),
            reset=False,
        )
        return self._network.predict_raw_layers(self.coefs_, self.intercepts_, X)

    def _check_solver(self):
        if self.solver not in _STOCHASTIC_SOLVERS:
            raise AttributeError(
                "partial_fit is only available for stochastic optimizers. "
                f"{self.solver} is not stochastic."
            )
        return True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


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


class GradientDescentClassifierMixin(ClassifierMixin):
    """Target encoding and prediction for the classifiers.

    Binary targets get one logistic output, multiclass targets a softmax over
    the classes, multilabel indicator targets independent logistic outputs.
    """

    _y_numeric = False

    def _encode_targets(self, y, *, reset, incremental, dtype):
        if reset and not incremental:
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start and not incremental:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes "
                        f"as in the previous call to fit. Previously got "
                        f"{self.classes_}, `y` has {classes}."
                    )
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(
                    f"`y` has classes not in `self.classes_`. `self.classes_` has "
                    f"{self.classes_}. 'y' has {classes}."
                )
        if reset and not incremental and len(self.classes_) < 2:
            raise ValueError(
                "The training data contain only one class "
                f"({self.classes_[0]!r}); a classifier needs at least 2 classes."
            )
        # bool keeps the encoded targets 8 times smaller than float64.
        return self._label_binarizer.transform(y).astype(bool)

    def _loss_name(self):
        if self._label_binarizer.y_type_ == "multiclass":
            return "multinomial_log_loss"
        return "binary_log_loss"

    def _stratify_validation(self, Y):
        return Y.shape[1] == 1 or self._label_binarizer.y_type_ == "multiclass"

    def _validation_score(self, raw, y, sample_weight):
        if not np.isfinite(raw).all():
            return np.nan
        return accuracy_score(y, self._decode(raw), sample_weight=sample_weight)

    def _decode(self, raw):
        # Thresholding logits at 0 is thresholding probabilities at 1/2.
        if self.n_outputs_ == 1:
            return self.classes_[(raw[:, 0] > 0).astype(int)]
        if self._label_binarizer.y_type_ == "multiclass":
            return self.classes_[np.argmax(raw, axis=1)]
        return (raw > 0).astype(int)

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Predicted classes (an indicator matrix for multilabel targets).
        """
        return self._decode(self._raw_output(X))

    def decision_function(self, X):
        """Logits: the raw output before the sigmoid or softmax.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            One column per output unit; a 1-D array for binary targets, whose
            positive values predict ``classes_[1]``.
        """
        raw = self._raw_output(X)
        return raw.ravel() if raw.shape[1] == 1 else raw

    def _log_proba(self, raw):
        if self.out_activation_ == "softmax":
            log_proba = log_softmax(raw, axis=1)
        elif self.n_outputs_ == 1:
            log_proba = np.hstack([log_expit(-raw), log_expit(raw)])
        else:
            log_proba = log_expit(raw)
        # A sigmoid or softmax is never exactly 0 or 1; keep the rounded value
        # strictly inside (0, 1) so its log is finite and matches predict_proba.
        finfo = np.finfo(log_proba.dtype)
        return np.clip(
            log_proba, np.log(finfo.tiny), np.log1p(-finfo.epsneg), out=log_proba
        )

    def predict_proba(self, X):
        """Probability estimates.

        Computed from the logits and kept strictly inside (0, 1): a
        probability that would round to 0 or 1 is returned as the nearest
        representable value inside the interval.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class, in the order of ``classes_`` (of each
            label's positive class for multilabel targets).
        """
        return np.exp(self._log_proba(self._raw_output(X)))

    def predict_log_proba(self, X):
        """Logarithm of the probability estimates, computed from the logits.

        Equal to ``log(predict_proba(X))`` and always finite: it is computed
        with log-sigmoid or log-softmax, never as the log of a rounded
        probability.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probability of each class, in the order of ``classes_``.
        """
        return self._log_proba(self._raw_output(X))

    def _partial_fit_classifier(self, X, y, sample_weight, classes):
        if _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(self.classes_)
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Update the model with one epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        classes : array-like of shape (n_classes,), default=None
            Every class that can appear across calls; required on the first
            call and optional afterwards.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._partial_fit_classifier(X, y, sample_weight, classes)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class GradientDescentRegressorMixin(RegressorMixin):
    """Target handling and prediction for the regressors."""

    _y_numeric = True

    def _encode_targets(self, y, *, reset, incremental, dtype):
        # Targets take the dtype of X so float32 data train in float32 end to end.
        y = np.asarray(y, dtype=dtype)
        if self._loss_requires_non_negative() and np.any(y < 0):
            raise ValueError(
                f"loss={self.loss!r} requires non-negative targets, but y has "
                "negative values."
            )
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def _loss_requires_non_negative(self):
        return self.loss == "poisson"

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.positive_only = self._loss_requires_non_negative()
        return tags

    def _loss_name(self):
        return self.loss

    def _validation_score(self, raw, y, sample_weight):
        prediction = OUTPUT_FUNCTIONS[self.out_activation_](raw)
        if not np.isfinite(prediction).all():
            return np.nan
        if self.n_outputs_ == 1:
            prediction = prediction.ravel()
        return r2_score(y, prediction, sample_weight=sample_weight)

    def predict(self, X):
        """Predict targets.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predicted values.
        """
        raw = self._raw_output(X)
        prediction = OUTPUT_FUNCTIONS[self.out_activation_](raw)
        if self.n_outputs_ == 1:
            return prediction.ravel()
        return prediction

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with one epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)
