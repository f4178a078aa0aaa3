"""Shared numpydoc fragments for the estimators' docstrings.

Every estimator shares most of its parameters and fitted attributes; each is
described once here. :func:`document` assembles a class docstring and reads
each parameter's default from the class's own ``__init__`` signature, so the
documented default cannot drift from the real one.
"""

import inspect
import textwrap

from .engine.activations import ACTIVATIONS
from .engine.initializers import SYMMETRY_BREAKING
from .engine.optimizers import OPTIMIZERS


def _choices(names):
    """Return the numpydoc type of a parameter that takes one of ``names``."""
    return "{" + ", ".join(repr(name) for name in names) + "}"


PARAMETERS = {
    "hidden_layer_sizes": (
        "array-like of shape (n_layers - 2,)",
        "The ith element is the number of units of the ith hidden layer. An "
        "element may also be a layer, an instance of "
        ":class:`skneural.engine.layers.Layer` (such as "
        "``ActivationLayer('tanh')`` or a layer of your own), inserted as it is; "
        "a number ``k`` is a dense layer of ``k`` units with the estimator's "
        "``activation`` and ``dropout``.",
    ),
    "activation": (
        f"{_choices(ACTIVATIONS.builtin_names)}, str or Activation",
        "Activation of the hidden layers: ``'identity'`` (f(x) = x), "
        "``'logistic'`` (1 / (1 + exp(-x))), ``'tanh'``, ``'relu'`` "
        "(max(0, x)), ``'leaky_relu'`` (x for x > 0, 0.01 x otherwise), "
        "``'elu'``, ``'gelu'``, ``'softplus'`` or ``'silu'``. Names registered "
        "with :func:`skneural.engine.activations.register_activation` are "
        "accepted too, and so is an instance such as "
        "``skneural.engine.activations.LeakyReLU(negative_slope=0.1)``.",
    ),
    "weight_init": (
        f"{_choices(SYMMETRY_BREAKING)} or Initializer",
        "Weight initialisation. ``'glorot_uniform'`` is scikit-learn's MLP "
        "scheme (bound factor 2 for logistic units, intercepts drawn too); "
        "``'he_*'`` suit ReLU-like units; ``'normal'`` is N(0, 1).",
    ),
    "dropout": (
        "float or array-like of shape (n_layers - 2,)",
        "Dropout rate of the hidden layers' outputs, one for all or one per "
        "hidden layer, in [0, 1). Inverted dropout at training time only "
        "(kept units are scaled by 1 / (1 - rate)); masks come from "
        "``random_state``, and predictions never drop units. Not with "
        "``solver='lbfgs'``. It applies to the layers given by their size in "
        "``hidden_layer_sizes``, not to layer instances (their entry in a "
        "sequence of rates must be 0).",
    ),
    "class_weight": (
        "dict, 'balanced' or None",
        "Weights of the classes, ``{label: weight}``, or ``'balanced'`` for "
        "``n_samples / (n_classes * bincount(y))``. They multiply "
        "``sample_weight``. ``'balanced'`` counts each class by its total sample "
        "weight (so weighting a row equals repeating it), and ``partial_fit`` "
        "balances by the running totals of every batch seen so far.",
    ),
    "solver": (
        f"{_choices(('lbfgs', *OPTIMIZERS.builtin_names))} or Optimizer",
        "Optimizer. ``'lbfgs'`` is SciPy's quasi-Newton L-BFGS-B on the full "
        "data; ``'sgd'`` is mini-batch gradient descent with optional (Nesterov) "
        "momentum; ``'adam'`` is Kingma and Ba's Adam; ``'adamw'`` Adam with "
        "decoupled weight decay (AdamW's default ``weight_decay=0.01`` for the "
        "MLPs, 0 for the linear models, whose penalty is ``alpha``); "
        "``'rmsprop'`` divides by a running RMS of the gradient (decay "
        "``beta_2``); ``'adagrad'`` by the root of the summed squared gradients, "
        "at ten times ``learning_rate_init``. A name takes ``momentum``, "
        "``nesterovs_momentum``, ``beta_1``, ``beta_2`` and ``epsilon`` from "
        "the estimator. An instance of a "
        ":class:`~skneural.engine.optimizers.Optimizer` subclass, such as "
        "``AdamW(weight_decay=0.05)`` or one of your own, is used as given, "
        "with those five parameters left at their defaults (a ValueError "
        "otherwise), and its parameters are nested ones of the estimator "
        "(``solver__weight_decay`` in a parameter grid). ``batch_size`` equal "
        "to the number of samples gives full-batch gradient descent, 1 pure "
        "stochastic gradient descent.",
    ),
    "alpha": (
        "float",
        "Strength of the L2 penalty on the weights (not the intercepts). The "
        "objective is ``(sum_i s_i loss_i + alpha / 2 * ||W||^2) / sum_i s_i`` "
        "for sample weights ``s``, as in scikit-learn's MLP: the penalty is "
        "divided by the sample size, and ``alpha`` equals ``1 / C`` of "
        ":class:`~sklearn.linear_model.LogisticRegression`.",
    ),
    "batch_size": (
        "int or 'auto'",
        "Size of the mini-batches of the stochastic solvers; ``'auto'`` is "
        "``min(200, n_samples)``. Ignored by ``'lbfgs'``.",
    ),
    "learning_rate": (
        "{'constant', 'invscaling', 'adaptive', 'plateau', 'exponential', "
        "'step', 'cosine'} or Schedule",
        "Learning-rate schedule, per epoch. scikit-learn's three mean what they "
        "mean there, and apply to the same solvers: ``'constant'`` keeps "
        "``learning_rate_init``; with ``solver='sgd'`` only, ``'invscaling'`` "
        "uses ``learning_rate_init / (t + 1) ** power_t`` with ``t`` the samples "
        "seen before the epoch (before the call, in ``partial_fit``), and "
        "``'adaptive'`` divides the rate by 5 each time ``n_iter_no_change`` "
        "epochs fail to improve by ``tol``, and stops once the rate is at most "
        "1e-6; with another solver both keep ``learning_rate_init``, and a "
        "stall stops training. skneural's own schedules apply to every "
        "stochastic solver: ``'plateau'`` is ``'adaptive'`` for every one of "
        "them; ``'exponential'`` halves the rate every 50 epochs, smoothly, "
        "and ``'step'`` in steps (``Exponential(decay_rate=..., "
        "decay_steps=...)`` or ``Step(...)`` set other values); ``'cosine'`` "
        "anneals it to 0 over ``max_iter`` epochs. An instance of a "
        ":class:`~skneural.engine.schedules.Schedule` subclass is used as "
        "given, with every solver; the ``learning_rate_init`` it leaves unset "
        "(None) is the estimator's for the fit, and a :class:`~skneural.engine."
        "schedules.Cosine` without ``n_epochs`` anneals over ``max_iter - "
        "warmup_epochs``. ``warmup_epochs`` puts a linear warm-up in front of "
        "any of them, with every stochastic solver.",
    ),
    "learning_rate_init": (
        "float",
        "Initial step size of the stochastic solvers. ``'adagrad'``, whose "
        "steps shrink as the root of the number of steps taken, uses ten times "
        "it (0.01 at the default). Not used by ``'lbfgs'``.",
    ),
    "power_t": (
        "float",
        "Exponent of the ``'invscaling'`` schedule (``solver='sgd'`` only).",
    ),
    "max_iter": (
        "int",
        "Maximum number of epochs of the stochastic solvers (passes over the "
        "data, not gradient steps), or of iterations of ``'lbfgs'``.",
    ),
    "shuffle": (
        "bool",
        "Whether to shuffle the samples at each epoch (stochastic solvers). A "
        "full batch is never shuffled, since its gradient does not depend on "
        "the order.",
    ),
    "random_state": (
        "int, RandomState instance or None",
        "Seeds the one random generator of the fit: weight initialisation, "
        "shuffling and the early-stopping split. Pass an int for bitwise "
        "reproducible fits. See :term:`Glossary <random_state>`.",
    ),
    "tol": (
        "float",
        "Tolerance. The stochastic solvers stop (or, with "
        "``learning_rate='adaptive'``, cut the rate) when the training loss, or "
        "the validation score with early stopping, fails to improve by ``tol`` "
        "for ``n_iter_no_change`` consecutive epochs. ``'lbfgs'`` stops when the "
        "largest gradient component is below ``tol``.",
    ),
    "verbose": (
        "bool",
        "Print the loss (and validation score) after each epoch.",
    ),
    "warm_start": (
        "bool",
        "Start the next ``fit`` from the current weights instead of a new "
        "initialisation. See :term:`the Glossary <warm_start>`.",
    ),
    "momentum": (
        "float",
        "Momentum of ``'sgd'``, in [0, 1].",
    ),
    "nesterovs_momentum": (
        "bool",
        "Use Nesterov's momentum with ``'sgd'``.",
    ),
    "early_stopping": (
        "bool",
        "Hold out ``validation_fraction`` of the training data (stratified for "
        "classifiers), stop when its score (accuracy or R²) fails to improve by "
        "``tol`` for ``n_iter_no_change`` epochs, and restore the weights of the "
        "best epoch. Stochastic solvers, in ``fit`` only: ``partial_fit`` raises "
        "a ``ValueError`` when it is set, as scikit-learn's MLPs do.",
    ),
    "validation_fraction": (
        "float",
        "Fraction of the training data held out for early stopping, in [0, 1). "
        "Repeated rows are split copy by copy, and a row of integer weight "
        "``k`` like ``k`` copies of it, so that every repeated row trains. "
        "``0.0`` is only valid when nothing is held out: without early "
        "stopping, with ``solver='lbfgs'`` or with ``X_val`` given.",
    ),
    "beta_1": (
        "float",
        "Decay of Adam's first-moment estimate, in [0, 1).",
    ),
    "beta_2": (
        "float",
        "Decay of Adam's second-moment estimate, in [0, 1).",
    ),
    "epsilon": (
        "float",
        "Numerical-stability constant of Adam.",
    ),
    "n_iter_no_change": (
        "int",
        "Epochs without an improvement of ``tol`` before stopping.",
    ),
    "max_fun": (
        "int",
        "Maximum number of objective evaluations of ``'lbfgs'``.",
    ),
    "l1_ratio": (
        "float",
        "Share of ``alpha`` that is an L1 penalty, in [0, 1]: the penalty is "
        "``alpha * ((1 - l1_ratio) / 2 * ||W||^2 + l1_ratio * ||W||_1)``. The "
        "non-smooth L1 part is never differentiated: ``'lbfgs'`` solves it "
        "exactly by splitting W into positive and negative parts under bounds; "
        "the stochastic solvers apply its proximal operator (soft-thresholding) "
        "after each step, in the step's own metric: by the learning rate for "
        "``'sgd'``, whose momentum then follows the thresholded weights, and by "
        "each weight's own step size for the adaptive solvers. Weights reach "
        "exact zeros, and full-batch training the exact optimum. A mini-batch "
        "step divides the penalty by the batch's total sample weight, as "
        "scikit-learn's MLP divides its L2 penalty.",
    ),
    "warmup_epochs": (
        "int",
        "Epochs of linear warm-up before the schedule starts (0 for none).",
    ),
    "clip_norm": (
        "float or None",
        "Rescale each mini-batch gradient to at most this Euclidean norm "
        "(stochastic solvers); None does not clip.",
    ),
    "scoring": (
        "str, callable or None",
        "Validation metric recorded in ``validation_scores_`` and monitored by "
        "early stopping: None is the estimator's ``score`` (accuracy or R², as "
        "scikit-learn's MLP), ``'loss'`` the negated validation loss, else any "
        "scikit-learn scorer name or callable ``scorer(estimator, X, y)``.",
    ),
}

ATTRIBUTES = {
    "classes_": (
        "ndarray of shape (n_classes,)",
        "Class labels (label indices for multilabel targets).",
    ),
    "loss_": ("float", "Training objective at the end of the fit."),
    "best_loss_": (
        "float or None",
        "Lowest training objective reached; None with early stopping (see "
        "``best_validation_score_``).",
    ),
    "loss_curve_": (
        "list of float",
        "Training objective after each epoch (``'lbfgs'``: each iteration), "
        "accumulated over ``warm_start`` fits and ``partial_fit`` calls.",
    ),
    "validation_scores_": (
        "list of float or None",
        "Validation score (see ``scoring``) after each epoch, when there is a "
        "validation set (``X_val`` or early stopping), else None.",
    ),
    "validation_loss_curve_": (
        "list of float or None",
        "Mean validation loss (without the penalty) after each epoch, when "
        "there is a validation set, else None.",
    ),
    "best_validation_score_": (
        "float or None",
        "Best validation score, whose weights were restored; None without "
        "early stopping.",
    ),
    "t_": ("int", "Number of training samples seen by the solver."),
    "coefs_": (
        "list of ndarray",
        "The ith element is the weight matrix of layer i, of shape "
        "(n_units_i, n_units_i+1).",
    ),
    "intercepts_": (
        "list of ndarray",
        "The ith element is the intercept vector of layer i + 1.",
    ),
    "layer_params_": (
        "list of dict",
        "Parameters of the layers of ``hidden_layer_sizes`` that are not dense "
        "(layer instances other than :class:`skneural.engine.layers.Dense`), "
        "one dictionary per such layer in order, from the name of each "
        "parameter array to the array; empty when every hidden layer is dense. "
        "``coefs_`` and ``intercepts_`` then hold the dense layers' arrays "
        "only.",
    ),
    "n_features_in_": ("int", "Number of features seen during :term:`fit`."),
    "feature_names_in_": (
        "ndarray of shape (`n_features_in_`,)",
        "Names of features seen during :term:`fit`. Defined only when `X` has "
        "feature names that are all strings.",
    ),
    "n_iter_": (
        "int",
        "Epochs (or L-BFGS iterations) run by the last call to fit.",
    ),
    "n_layers_": ("int", "Number of layers, input and output included."),
    "n_outputs_": ("int", "Number of output units."),
    "out_activation_": (
        "str",
        "Output function: ``'identity'``, ``'logistic'``, ``'softmax'`` or ``'exp'``.",
    ),
}

NETWORK_ATTRIBUTES = (
    "loss_",
    "best_loss_",
    "loss_curve_",
    "validation_scores_",
    "validation_loss_curve_",
    "best_validation_score_",
    "t_",
    "coefs_",
    "intercepts_",
    "n_features_in_",
    "feature_names_in_",
    "n_iter_",
    "n_layers_",
    "n_outputs_",
    "out_activation_",
)


def _entry(name, type_, description, default=inspect.Parameter.empty):
    head = f"{name} : {type_}"
    if default is not inspect.Parameter.empty:
        head += f", default={default!r}"
    body = textwrap.fill(
        description, width=72, initial_indent="    ", subsequent_indent="    "
    )
    return f"{head}\n{body}"


def document(summary, *, extended="", parameters=None, attributes=(), sections=""):
    """Class decorator that writes a numpydoc docstring.

    Parameters
    ----------
    summary : str
        One-line summary.
    extended : str, default=''
        Extended summary paragraphs.
    parameters : dict, default=None
        Overrides or additions to :data:`PARAMETERS`, as ``name -> (type,
        description)``. Every ``__init__`` parameter must be documented.
    attributes : sequence of str or (str, (str, str))
        Attribute names from :data:`ATTRIBUTES`, or ``(name, (type,
        description))`` pairs.
    sections : str, default=''
        Further sections (See Also, Notes, Examples), already formatted.

    Returns
    -------
    decorator : callable
        Sets ``__doc__`` on the class it decorates.
    """
    overrides = parameters or {}

    def decorate(cls):
        signature = inspect.signature(cls.__init__)
        entries = []
        for name, parameter in list(signature.parameters.items())[1:]:
            type_, description = overrides.get(name) or PARAMETERS[name]
            entries.append(_entry(name, type_, description, parameter.default))
        attribute_entries = []
        for item in attributes:
            name, (type_, description) = (
                (item, ATTRIBUTES[item]) if isinstance(item, str) else item
            )
            attribute_entries.append(_entry(name, type_, description))
        parts = [summary]
        if extended:
            parts.append(textwrap.dedent(extended).strip())
        parts.append("Parameters\n----------\n" + "\n\n".join(entries))
        parts.append("Attributes\n----------\n" + "\n\n".join(attribute_entries))
        if sections:
            parts.append(textwrap.dedent(sections).strip())
        cls.__doc__ = textwrap.indent("\n\n".join(parts), "    ").lstrip() + "\n    "
        return cls

    return decorate
