"""Export fitted estimators to ONNX with skl2onnx.

Importing this module registers a shape calculator and a converter (and,
for the classifiers, skl2onnx's classifier parser, which adds the ``zipmap``
step) for every skneural estimator with skl2onnx:
:class:`~skneural.GDLinearRegressor`,
:class:`~skneural.GDLogisticClassifier`,
:class:`~skneural.MLPSoftmaxClassifier`, :class:`~skneural.MLPRegressor`,
:class:`~skneural.TabularMLPClassifier` and
:class:`~skneural.TabularMLPRegressor`. skl2onnx's own :func:`skl2onnx.to_onnx` and
:func:`skl2onnx.convert_sklearn` then convert these estimators and every
pipeline or column transformer that holds them::

    import skneural.onnx  # noqa: F401 (registers the converters)
    from skl2onnx import to_onnx

    onx = to_onnx(pipeline, X[:1])

The graph is built from the fitted network itself: each layer of the
engine becomes a few ONNX nodes (:data:`LAYER_EMITTERS`: dense layers with
their activation, activation layers, dropout, which is the identity in
predictions, and the tabular layers: categorical and periodic embeddings,
feature scales, parametric activations and an ensemble's members), followed
by the output function; an ensemble's output is the mean of its members'
probabilities or values, computed with the engine's log-sum-exps.
Classifiers have two outputs, the labels (``predict``; thresholded or
arg-maxed logits, as ``predict`` computes them) and the probabilities
(``predict_proba``; the sigmoid of the single logit of a binary problem
gives both columns); the ``zipmap``, ``nocl`` and ``output_class_labels``
options work as for scikit-learn's classifiers.
Regressors have one output of shape ``(n_samples, n_outputs)``, also for a
single target, as skl2onnx gives scikit-learn's regressors.

The tabular estimators put their fitted preprocessing before the network:
robust scaling and smooth clipping of the numeric columns (in float64, as
the preprocessor computes them), NaN replaced by 0 with the fitted
missing-indicator columns, and the categorical columns one-hot encoded or
coded for their embeddings by comparison with the fitted ``categories_``
(unseen values match no level, a missing value is a level when ``fit`` saw
one); the regressor undoes the target's scaling and clips to the training
range. They take an array (one input) or a DataFrame (one input per column,
categorical columns as strings; :data:`MISSING_CATEGORY_STRINGS` spell a
missing category).

The graph computes in float32 when its input is float32 (or an integer
type), in float64 when its input (or, for one input per column, one of
them) is float64. onnxruntime's CPU provider
runs some operators in float32 only (:data:`FLOAT32_ONLY_OPS`); the built-in
activations avoid them, except GELU, which needs ``Erf``: its float64 graph
raises an error that names the operator. ONNX's ``ZipMap`` takes float32
only, so a float64 classifier is converted with ``zipmap=False`` or
``zipmap='columns'`` (the error says so).

Custom activations
------------------
A custom activation (one registered with
:func:`~skneural.engine.activations.register_activation`, or an
:class:`~skneural.engine.activations.Activation` instance) has no ONNX
graph until one is registered for its class with
:func:`register_activation_emitter`; converting a network that uses it
otherwise raises a ``ValueError`` naming it. An emitter is a function
``emitter(graph, activation, z)`` that receives an :class:`OnnxGraph`, the
activation instance (so parametrised activations read their parameters)
and the name of the pre-activation tensor, and returns the name of the
activation's output tensor::

    import skneural.onnx

    def emit_square_relu(graph, activation, z):
        relu = graph.node("Relu", z)
        return graph.node("Mul", relu, relu)

    skneural.onnx.register_activation_emitter(SquareReLU, emit_square_relu)

A layer class without an entry in :data:`LAYER_EMITTERS` is converted the
same way, by an emitter ``emitter(graph, layer, params, x, n_inputs)``
registered with :func:`register_layer_emitter`, where ``params`` is the
layer's tuple of fitted arrays (one per parameter group) and ``x`` the name
of its input.
Emitters are looked up by exact class, so that a subclass that changes the
function is never converted with its parent's graph.
"""

import functools
from numbers import Real

import numpy as np

try:
    from onnx import TensorProto
    from onnx.numpy_helper import from_array
    from skl2onnx import update_registered_converter
    from skl2onnx.common.data_types import (
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        StringTensorType,
    )
    from skl2onnx.common.utils_classifier import get_label_classes
except ImportError as error:
    raise ImportError(
        "skneural.onnx needs skl2onnx and onnx: pip install 'skneural[onnx]'."
    ) from error

from sklearn.utils.validation import check_is_fitted

from .engine.activations import (
    ELU,
    GELU,
    SELU,
    Activation,
    Identity,
    LeakyReLU,
    Logistic,
    Mish,
    ReLU,
    SiLU,
    Softplus,
    Tanh,
)
from .engine.ensemble_layers import EnsembleDense, EnsembleInput
from .engine.layers import ActivationLayer, Dense, Dropout, Layer
from .engine.tabular_layers import (
    CategoricalEmbedding,
    FeatureScale,
    ParametricActivation,
    PeriodicEmbedding,
)
from .linear_model import GDLinearRegressor, GDLogisticClassifier
from .neural_network import MLPRegressor, MLPSoftmaxClassifier
from .tabular import TabularMLPClassifier, TabularMLPRegressor

__all__ = [
    "ACTIVATION_EMITTERS",
    "FLOAT32_ONLY_OPS",
    "LAYER_EMITTERS",
    "MISSING_CATEGORY_STRINGS",
    "OnnxGraph",
    "register_activation_emitter",
    "register_layer_emitter",
]

#: Operators that onnxruntime's CPU provider (1.32) has no float64 kernel
#: for; :meth:`OnnxGraph.node` refuses them in a float64 graph.
FLOAT32_ONLY_OPS = frozenset(
    {"Elu", "Erf", "Gelu", "HardSigmoid", "LeakyRelu", "Mish", "Selu", "Softplus"}
)


class OnnxGraph:
    """The part of an ONNX graph that one converter writes, in one float dtype.

    Emitters add nodes and constants through it and pass tensors around by
    name. Every floating constant takes the graph's dtype.

    Parameters
    ----------
    scope : skl2onnx.common._topology.Scope
        The scope of the conversion, which makes names unique.
    container : skl2onnx.common._container.ModelComponentContainer
        The container that receives the nodes and initializers.
    dtype : {numpy.float32, numpy.float64}
        Floating dtype of the computation.
    what : str
        What is being converted, for error messages.

    Attributes
    ----------
    dtype : numpy.dtype
        Floating dtype of the computation.
    what : str
        What is being converted, for error messages.
    proto_dtype : int
        The matching ``onnx.TensorProto`` element type.
    """

    def __init__(self, scope, container, dtype, what):
        self._scope = scope
        self._container = container
        self.dtype = np.dtype(dtype)
        self.proto_dtype = (
            TensorProto.DOUBLE if self.dtype == np.float64 else TensorProto.FLOAT
        )
        self.what = what

    def node(self, op_type, *inputs, output=None, domain="", **attributes):
        """Add a node with one output and return the output's name.

        Parameters
        ----------
        op_type : str
            ONNX operator, such as ``'MatMul'`` or ``'Sigmoid'``.
        *inputs : str
            Names of the input tensors.
        output : str, default=None
            Name of the output tensor; a new unique name when None.
        domain : str, default=''
            Operator domain (``'ai.onnx.ml'`` for the ML operators).
        **attributes : dict
            Attributes of the node.

        Returns
        -------
        output : str
            Name of the output tensor.

        Raises
        ------
        ValueError
            If the graph is float64 and onnxruntime runs ``op_type`` in
            float32 only (see :data:`FLOAT32_ONLY_OPS`).
        """
        if self.dtype == np.float64 and op_type in FLOAT32_ONLY_OPS:
            raise ValueError(
                f"{self.what} needs the ONNX operator {op_type!r}, which "
                "onnxruntime runs in float32 only; convert with a float32 "
                "input (FloatTensorType) instead of a float64 one."
            )
        if output is None:
            output = self._scope.get_unique_variable_name(op_type.lower())
        self._container.add_node(
            op_type,
            list(inputs),
            output,
            op_domain=domain,
            name=self._scope.get_unique_operator_name(op_type),
            **attributes,
        )
        return output

    def reduce(self, op_type, x, axes, keepdims=False):
        """Add a reduction over ``axes`` and return its output's name.

        ONNX moved the axes of the reductions from an attribute to an input
        (at opset 18 for most, 13 for ``ReduceSum``); this writes them the
        way the conversion's target opset reads them.

        Parameters
        ----------
        op_type : str
            ONNX reduction, such as ``'ReduceMean'`` or ``'ReduceLogSumExp'``.
        x : str
            Name of the input tensor.
        axes : sequence of int
            Axes reduced.
        keepdims : bool, default=False
            Whether the reduced axes are kept with length 1.

        Returns
        -------
        output : str
            Name of the output tensor.
        """
        axes_as_input = 13 if op_type == "ReduceSum" else 18
        opset = self._container.target_opset
        if opset is None or opset >= axes_as_input:
            axes = self.constant(list(axes), dtype=np.int64)
            return self.node(op_type, x, axes, keepdims=int(keepdims))
        return self.node(op_type, x, axes=list(axes), keepdims=int(keepdims))

    def reshape(self, x, shape):
        """Reshape ``x``; a 0 in ``shape`` keeps that axis's length (the rows).

        Parameters
        ----------
        x : str
            Name of the input tensor.
        shape : sequence of int
            The new shape, in ONNX's ``Reshape`` convention.

        Returns
        -------
        output : str
            Name of the output tensor.
        """
        return self.node("Reshape", x, self.constant(list(shape), dtype=np.int64))

    def constant(self, value, dtype=None):
        """Add a constant tensor and return its name.

        Parameters
        ----------
        value : array-like
            The constant; floating values are cast to the graph's dtype.
        dtype : dtype, default=None
            Type of the constant; by default the graph's for floats, and the
            value's own for integers and strings.

        Returns
        -------
        name : str
            Name of the constant tensor.
        """
        array = np.asarray(value)
        if dtype is not None:
            array = array.astype(dtype)
        elif array.dtype.kind == "f":
            array = array.astype(self.dtype)
        elif array.dtype == object:
            array = array.astype(str)
        name = self._scope.get_unique_variable_name("constant")
        if array.dtype.kind == "U":
            self._container.add_initializer(
                name,
                TensorProto.STRING,
                list(array.shape),
                [item.encode("utf-8") for item in array.ravel()],
            )
        else:
            tensor = from_array(np.ascontiguousarray(array), name)
            self._container.add_initializer(name, tensor.data_type, None, tensor)
        return name


# ----------------------------------------------------------------- activations
# Built from operators that onnxruntime runs in float32 and float64, so that
# both graphs exist (onnxruntime's LeakyRelu, Elu, Selu and Softplus are
# float32 only).
def _emit_identity(graph, activation, z):
    return z


def _emit_logistic(graph, activation, z):
    return graph.node("Sigmoid", z)


def _emit_tanh(graph, activation, z):
    return graph.node("Tanh", z)


def _emit_relu(graph, activation, z):
    return graph.node("Relu", z)


def _emit_leaky_relu(graph, activation, z):
    # max(z, 0) + slope min(z, 0): z above 0, slope z below, as the engine.
    negative = graph.node("Min", z, graph.constant(0.0))
    scaled = graph.node("Mul", negative, graph.constant(activation.negative_slope))
    return graph.node("Add", graph.node("Relu", z), scaled)


def _emit_elu(graph, activation, z):
    # scale (max(z, 0) + alpha expm1(min(z, 0))), as the engine computes it:
    # the exponential sees only non-positive values, so it never overflows.
    negative = graph.node("Exp", graph.node("Min", z, graph.constant(0.0)))
    negative = graph.node("Sub", negative, graph.constant(1.0))
    scale = type(activation)._scale
    negative = graph.node("Mul", negative, graph.constant(scale * activation.alpha))
    positive = graph.node("Relu", z)
    if scale != 1.0:
        positive = graph.node("Mul", positive, graph.constant(scale))
    return graph.node("Add", positive, negative)


def _softplus(graph, z):
    # max(z, 0) + log(1 + e^-|z|): the exponential never exceeds 1.
    tail = graph.node("Exp", graph.node("Neg", graph.node("Abs", z)))
    tail = graph.node("Log", graph.node("Add", tail, graph.constant(1.0)))
    return graph.node("Add", graph.node("Relu", z), tail)


def _emit_softplus(graph, activation, z):
    return _softplus(graph, z)


def _emit_gelu(graph, activation, z):
    # z Phi(z), Phi(z) = (1 + erf(z / sqrt 2)) / 2.
    erf = graph.node("Erf", graph.node("Mul", z, graph.constant(np.sqrt(0.5))))
    phi = graph.node(
        "Mul", graph.node("Add", erf, graph.constant(1.0)), graph.constant(0.5)
    )
    return graph.node("Mul", z, phi)


def _emit_silu(graph, activation, z):
    return graph.node("Mul", z, graph.node("Sigmoid", z))


def _emit_mish(graph, activation, z):
    return graph.node("Mul", z, graph.node("Tanh", _softplus(graph, z)))


#: Emitters of the activations, by exact class (see the module docstring).
ACTIVATION_EMITTERS = {
    Identity: _emit_identity,
    Logistic: _emit_logistic,
    Tanh: _emit_tanh,
    ReLU: _emit_relu,
    LeakyReLU: _emit_leaky_relu,
    ELU: _emit_elu,
    SELU: _emit_elu,
    Softplus: _emit_softplus,
    GELU: _emit_gelu,
    SiLU: _emit_silu,
    Mish: _emit_mish,
}


def register_activation_emitter(activation_class, emitter):
    """Give an activation class its ONNX graph.

    Parameters
    ----------
    activation_class : type
        A subclass of :class:`~skneural.engine.activations.Activation`. Its
        instances, and only those (not its subclasses'), are converted with
        ``emitter``.
    emitter : callable
        ``emitter(graph, activation, z)`` adds the nodes that compute the
        activation of the tensor named ``z`` to ``graph``, an
        :class:`OnnxGraph`, and returns the name of their output;
        ``activation`` is the instance, whose parameters it may read.

    Raises
    ------
    TypeError
        If ``activation_class`` is not an ``Activation`` subclass or
        ``emitter`` is not callable.
    """
    _register(ACTIVATION_EMITTERS, Activation, activation_class, emitter)


def _register(registry, base, cls, emitter):
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise TypeError(f"Expected a subclass of {base.__name__}, got {cls!r}.")
    if not callable(emitter):
        raise TypeError(f"The emitter must be callable, got {emitter!r}.")
    registry[cls] = emitter


def _emit_activation(graph, activation, z):
    emitter = ACTIVATION_EMITTERS.get(type(activation))
    if emitter is None:
        raise ValueError(
            f"The activation {activation!r} has no ONNX graph. Register one with "
            "skneural.onnx.register_activation_emitter("
            f"{type(activation).__name__}, emitter)."
        )
    return emitter(graph, activation, z)


# ---------------------------------------------------------------------- layers
def _emit_dense(graph, layer, params, x, n_inputs):
    # Dropout is the identity in predictions; the NTK factor is folded into
    # the weights.
    coef = params[0] * layer._weight_scale(n_inputs)
    z = graph.node("MatMul", x, graph.constant(coef))
    if layer.fit_intercept:
        z = graph.node("Add", z, graph.constant(params[1]))
    if layer.activation is None:
        return z
    return _emit_activation(graph, layer.activation, z)


def _emit_activation_layer(graph, layer, params, x, n_inputs):
    return _emit_activation(graph, layer.activation, x)


def _emit_dropout(graph, layer, params, x, n_inputs):
    return x


def _emit_feature_scale(graph, layer, params, x, n_inputs):
    return graph.node("Mul", x, graph.constant(params[0]))


def _emit_parametric_activation(graph, layer, params, x, n_inputs):
    # z + alpha (f(z) - z), in the engine's order.
    activated = _emit_activation(graph, layer.activation, x)
    difference = graph.node("Sub", activated, x)
    return graph.node(
        "Add", graph.node("Mul", difference, graph.constant(params[0])), x
    )


def _emit_periodic_embedding(graph, layer, params, x, n_inputs):
    frequencies, phases, coef, intercept = params
    n_embedded, width = intercept.shape
    embedded = x
    if layer.columns is not None:
        columns = graph.constant(list(layer.columns), dtype=np.int64)
        embedded = graph.node("Gather", x, columns, axis=1)
    # (rows, columns, 1) against (columns, frequencies): each column's angles.
    angles = graph.node(
        "Mul", graph.reshape(embedded, [0, n_embedded, 1]), graph.constant(frequencies)
    )
    angles = graph.node("Mul", angles, graph.constant(2.0 * np.pi))
    cosines = graph.node("Cos", graph.node("Add", angles, graph.constant(phases)))
    # One batched product per column: (columns, rows, frequencies) @ coef.
    by_column = graph.node("Transpose", cosines, perm=[1, 0, 2])
    linear = graph.node("MatMul", by_column, graph.constant(coef))
    linear = graph.node("Transpose", linear, perm=[1, 0, 2])
    linear = graph.node("Add", linear, graph.constant(intercept))
    if layer.activation is not None:
        linear = _emit_activation(graph, layer.activation, linear)
    # [e_0, e_1, ..., X], as the layer's forward writes its output.
    embeddings = graph.reshape(linear, [0, n_embedded * width])
    return graph.node("Concat", embeddings, x, axis=1)


def _emit_categorical_embedding(graph, layer, params, x, n_inputs):
    embedded = set(layer.columns)
    passed = [column for column in range(n_inputs) if column not in embedded]
    blocks = []
    if passed:
        indices = graph.constant(passed, dtype=np.int64)
        blocks.append(graph.node("Gather", x, indices, axis=1))
    for column, table in zip(layer.columns, params, strict=True):
        code = graph.node("Gather", x, graph.constant([column], dtype=np.int64), axis=1)
        # Codes are whole numbers stored as floats; Round guards the Cast,
        # which truncates, as the engine rounds.
        code = graph.node("Cast", graph.node("Round", code), to=TensorProto.INT64)
        code = graph.reshape(code, [-1])
        blocks.append(graph.node("Gather", graph.constant(table), code, axis=0))
    return graph.node("Concat", *blocks, axis=1)


def _emit_ensemble_input(graph, layer, params, x, n_inputs):
    if not params:
        repeats = graph.constant([1, layer.n_members], dtype=np.int64)
        return graph.node("Tile", x, repeats)
    # (rows, 1, inputs) * (members, inputs): member m's copy in block m.
    copies = graph.node(
        "Mul", graph.reshape(x, [0, 1, n_inputs]), graph.constant(params[0])
    )
    return graph.reshape(copies, [0, layer.n_members * n_inputs])


def _emit_ensemble_dense(graph, layer, params, x, n_inputs):
    members, units = layer.n_members, layer.units
    blocks = graph.reshape(x, [0, members, n_inputs // members])
    if layer.sharing == "shared":
        coef, intercept = params
        output = graph.node("MatMul", blocks, graph.constant(coef))
    elif layer.sharing == "none":
        coef, intercept = params
        # (members, rows, inputs) @ (members, inputs, units): member by member.
        by_member = graph.node("Transpose", blocks, perm=[1, 0, 2])
        output = graph.node("MatMul", by_member, graph.constant(coef))
        output = graph.node("Transpose", output, perm=[1, 0, 2])
    else:
        coef, input_scaling, output_scaling, intercept = params
        scaled = graph.node("Mul", blocks, graph.constant(input_scaling))
        output = graph.node("MatMul", scaled, graph.constant(coef))
        output = graph.node("Mul", output, graph.constant(output_scaling))
    output = graph.node("Add", output, graph.constant(intercept))
    return graph.reshape(output, [0, members * units])


#: Emitters of the layers, by exact class (see the module docstring).
LAYER_EMITTERS = {
    Dense: _emit_dense,
    ActivationLayer: _emit_activation_layer,
    Dropout: _emit_dropout,
    FeatureScale: _emit_feature_scale,
    ParametricActivation: _emit_parametric_activation,
    PeriodicEmbedding: _emit_periodic_embedding,
    CategoricalEmbedding: _emit_categorical_embedding,
    EnsembleInput: _emit_ensemble_input,
    EnsembleDense: _emit_ensemble_dense,
}


def register_layer_emitter(layer_class, emitter):
    """Give a layer class its ONNX graph.

    Parameters
    ----------
    layer_class : type
        A subclass of :class:`~skneural.engine.layers.Layer`. Its instances,
        and only those (not its subclasses'), are converted with ``emitter``.
    emitter : callable
        ``emitter(graph, layer, params, x, n_inputs)`` adds the nodes of the
        layer's prediction pass on the tensor named ``x`` (of ``n_inputs``
        columns) to ``graph``, an :class:`OnnxGraph`, and returns the name of
        their output; ``params`` holds the layer's fitted arrays, one per
        parameter group.

    Raises
    ------
    TypeError
        If ``layer_class`` is not a ``Layer`` subclass or ``emitter`` is not
        callable.
    """
    _register(LAYER_EMITTERS, Layer, layer_class, emitter)


def _emit_network(graph, estimator, x):
    """Add the estimator's network to the graph; return its raw output's name."""
    network = estimator._network
    arrays = network._assemble(
        estimator.coefs_, estimator.intercepts_, estimator._fitted_layer_params()
    )
    for layer, params, n_inputs in zip(
        network.layers, arrays, network.layer_sizes, strict=False
    ):
        emitter = LAYER_EMITTERS.get(type(layer))
        if emitter is None:
            raise ValueError(
                f"The layer {layer!r} has no ONNX graph. Register one with "
                "skneural.onnx.register_layer_emitter("
                f"{type(layer).__name__}, emitter)."
            )
        x = emitter(graph, layer, params, x, n_inputs)
    if network.n_members is None:
        return x
    members = graph.reshape(x, [0, network.n_members, network.n_outputs])
    mean_raw = _MEAN_RAW_EMITTERS[network.out_activation]
    return mean_raw(graph, members, network.n_members)


# For each output function, the raw output that it maps to the mean of the
# members' outputs, from (rows, members, outputs): the engine's _MEAN_RAW,
# with the same log-sum-exps, so that no member's exponential overflows.
def _mean_identity(graph, members, n_members):
    return graph.reduce("ReduceMean", members, [1])


def _mean_exp(graph, members, n_members):
    log_sum = graph.reduce("ReduceLogSumExp", members, [1])
    return graph.node("Sub", log_sum, graph.constant(np.log(n_members)))


def _log_sigmoid(graph, z):
    # log sigmoid(z) = -softplus(-z), exact in both tails.
    return graph.node("Neg", _softplus(graph, graph.node("Neg", z)))


def _mean_logistic(graph, members, n_members):
    positive = graph.reduce("ReduceLogSumExp", _log_sigmoid(graph, members), [1])
    negated = graph.node("Neg", members)
    negative = graph.reduce("ReduceLogSumExp", _log_sigmoid(graph, negated), [1])
    return graph.node("Sub", positive, negative)


def _mean_softmax(graph, members, n_members):
    log_probabilities = graph.node("LogSoftmax", members, axis=2)
    return _mean_exp(graph, log_probabilities, n_members)


_MEAN_RAW_EMITTERS = {
    "identity": _mean_identity,
    "exp": _mean_exp,
    "logistic": _mean_logistic,
    "softmax": _mean_softmax,
}


# ------------------------------------------------------- tabular preprocessing
#: How a string input spells a missing category: what ``astype(str)`` makes
#: of NaN, None and pandas' NA, and the empty string. A fitted category
#: spelled so would be ambiguous, and is refused.
MISSING_CATEGORY_STRINGS = ("", "nan", "NaN", "None", "<NA>")


class _InputColumns:
    """The table's columns in the graph: one 2-D input, or one input per column.

    skl2onnx gives an array one input of ``n_features`` columns and a
    DataFrame one input of one column per column (a string tensor for a
    column of strings).
    """

    def __init__(self, graph, inputs):
        self._graph = graph
        self._inputs = inputs

    def is_string(self, j):
        return isinstance(self._variable(j).type, StringTensorType)

    def raw(self, j):
        """Column ``j`` as the input holds it, shape (N, 1)."""
        if len(self._inputs) > 1:
            return self._inputs[j].full_name
        indices = self._graph.constant([j], dtype=np.int64)
        return self._graph.node("Gather", self._inputs[0].full_name, indices, axis=1)

    def numbers(self, columns, what):
        """Columns ``columns`` cast to float64, shape (N, len(columns))."""
        strings = [self.name(j) for j in columns if self.is_string(j)]
        if strings:
            raise ValueError(
                f"{what} reads the input column {strings[0]!r} as numbers, but its "
                "ONNX input holds strings: convert with that column's numeric "
                "type (an array or DataFrame column of numbers)."
            )
        graph = self._graph
        if len(self._inputs) == 1:
            whole = graph.node("Cast", self._inputs[0].full_name, to=TensorProto.DOUBLE)
            indices = graph.constant(list(columns), dtype=np.int64)
            return graph.node("Gather", whole, indices, axis=1)
        cast = [graph.node("Cast", self.raw(j), to=TensorProto.DOUBLE) for j in columns]
        return cast[0] if len(cast) == 1 else graph.node("Concat", *cast, axis=1)

    def name(self, j):
        """Name of column ``j``: its input's, or ``x<j>`` in a 2-D input."""
        return self._inputs[j].raw_name if len(self._inputs) > 1 else f"x{j}"

    def _variable(self, j):
        return self._inputs[j if len(self._inputs) > 1 else 0]


def _emit_numeric(graph, preprocessor, columns):
    """Scaled, clipped and imputed numeric columns, then the missing indicators."""
    features = preprocessor.numeric_features_
    x = columns.numbers(features, graph.what)
    missing = graph.node("IsNaN", x)
    # (x - centre) / scale in float64, as the preprocessor; a scale of inf
    # (a constant column) makes every finite value 0.
    scaled = graph.node("Sub", x, graph.constant(preprocessor.center_, np.float64))
    scaled = graph.node("Div", scaled, graph.constant(preprocessor.scale_, np.float64))
    bound = preprocessor.smooth_clip
    if bound is not None:
        scaled = _smooth_clip(graph, scaled, bound)
    blocks = [graph.node("Where", missing, graph.constant([0.0], np.float64), scaled)]
    indicated = np.searchsorted(features, preprocessor.missing_indicator_features_)
    if len(indicated):
        positions = graph.constant(indicated, dtype=np.int64)
        indicators = graph.node("Gather", missing, positions, axis=1)
        blocks.append(graph.node("Cast", indicators, to=TensorProto.DOUBLE))
    return blocks


def _smooth_clip(graph, x, bound):
    # bound r / sqrt(1 + r^2) with r = x / bound, written as
    # bound (r / m) / sqrt((1 / m)^2 + (r / m)^2) for m = max(|r|, 1): nothing
    # is squared above 1, so nothing overflows, and an overflowed r of
    # +-inf, clipped to the largest float, gives +-bound as the engine's.
    largest = np.finfo(np.float64).max
    ratio = graph.node("Div", x, graph.constant(bound, np.float64))
    ratio = graph.node(
        "Clip",
        ratio,
        graph.constant(-largest, np.float64),
        graph.constant(largest, np.float64),
    )
    norm = graph.node("Max", graph.node("Abs", ratio), graph.constant(1.0, np.float64))
    unit = graph.node("Div", ratio, norm)
    inverse = graph.node("Reciprocal", norm)
    squares = graph.node(
        "Add", graph.node("Mul", inverse, inverse), graph.node("Mul", unit, unit)
    )
    clipped = graph.node("Div", unit, graph.node("Sqrt", squares))
    return graph.node("Mul", clipped, graph.constant(bound, np.float64))


def _emit_levels(graph, preprocessor, columns, j):
    """One-hot columns of the levels of column ``j`` (the missing level last).

    A value that ``fit`` did not see (and a missing value when ``fit`` saw
    none) matches no level: a row of zeros, as the preprocessor's unknown.
    """
    levels = preprocessor._levels(j)
    has_missing_level = len(levels) > 0 and _is_missing_level(levels[-1])
    known = levels[:-1] if has_missing_level else levels
    name = _feature_name(preprocessor, j)
    if columns.is_string(j):
        spelled = [str(level) for level in known]
        ambiguous = sorted(set(spelled) & set(MISSING_CATEGORY_STRINGS))
        if ambiguous or len(set(spelled)) < len(spelled):
            raise ValueError(
                f"The categories of column {name!r} cannot be told apart as "
                f"strings in ONNX: {spelled} (a string input spells a missing "
                f"value as one of {list(MISSING_CATEGORY_STRINGS)})."
            )
        value = columns.raw(j)
        matches = graph.node("Equal", value, graph.constant(np.array(spelled)))
        missing = [
            graph.node("Equal", value, graph.constant(np.array([spelling])))
            for spelling in MISSING_CATEGORY_STRINGS
        ]
        missing = functools.reduce(
            lambda left, right: graph.node("Or", left, right), missing
        )
    else:
        if not all(isinstance(level, Real) for level in known):
            raise ValueError(
                f"Column {name!r} has the categories {list(known)}, but its ONNX "
                "input holds numbers: convert with a string column for it."
            )
        value = columns.numbers([j], graph.what)
        numbers = np.array([float(level) for level in known])
        matches = graph.node("Equal", value, graph.constant(numbers, np.float64))
        missing = graph.node("IsNaN", value)
    blocks = [graph.node("Cast", matches, to=TensorProto.DOUBLE)]
    if has_missing_level:
        blocks.append(graph.node("Cast", missing, to=TensorProto.DOUBLE))
    return blocks[0] if len(blocks) == 1 else graph.node("Concat", *blocks, axis=1)


def _is_missing_level(level):
    return isinstance(level, float | np.floating) and np.isnan(level)


def _feature_name(preprocessor, j):
    names = getattr(preprocessor, "feature_names_in_", None)
    return str(names[j]) if names is not None else f"x{j}"


def _emit_preprocessing(graph, estimator, inputs):
    """Return the network's input computed from the table's columns.

    The preprocessor's dense block, then the codes of the embedded columns
    as floats, as the estimator's ``_preprocess`` writes them.
    """
    preprocessor = estimator.preprocessor_
    columns = _InputColumns(graph, inputs)
    blocks = []
    if len(preprocessor.numeric_features_):
        blocks += _emit_numeric(graph, preprocessor, columns)
    blocks += [
        _emit_levels(graph, preprocessor, columns, j)
        for j in preprocessor.one_hot_features_
    ]
    for j in preprocessor.embedded_features_:
        # 1 + the level's index, 0 for an unknown value: the one-hot row
        # times the codes.
        one_hot = _emit_levels(graph, preprocessor, columns, j)
        n_levels = len(preprocessor._levels(j))
        codes = np.arange(1.0, n_levels + 1.0).reshape(-1, 1)
        blocks.append(graph.node("MatMul", one_hot, graph.constant(codes, np.float64)))
    table = blocks[0] if len(blocks) == 1 else graph.node("Concat", *blocks, axis=1)
    return graph.node("Cast", table, to=graph.proto_dtype)


# ------------------------------------------------------------------ converters
_TABULAR = (TabularMLPClassifier, TabularMLPRegressor)


def _emit_networks(graph, estimator, x):
    """Add the estimator's networks; return the raw output of their mean prediction.

    One network (every estimator but a tabular one with ``n_networks > 1``)
    gives its own raw output.
    """
    networks = estimator.mlps_ if isinstance(estimator, _TABULAR) else [estimator]
    raws = [_emit_network(graph, network, x) for network in networks]
    if len(raws) == 1:
        return raws[0]
    first = networks[0]
    members = graph.reshape(
        graph.node("Concat", *raws, axis=1), [0, len(raws), first.n_outputs_]
    )
    return _MEAN_RAW_EMITTERS[first.out_activation_](graph, members, len(raws))


def _network_estimator(estimator):
    """Return the estimator that holds the network (a tabular one's inner MLP)."""
    return estimator.mlp_ if isinstance(estimator, _TABULAR) else estimator


def _float_type(operator):
    """Return the graph's float tensor type: float64 when an input is float64."""
    if any(isinstance(variable.type, DoubleTensorType) for variable in operator.inputs):
        return DoubleTensorType
    return FloatTensorType


def _network_input(graph, operator):
    """Return the name of the network's input, in the graph's dtype."""
    estimator = operator.raw_operator
    if isinstance(estimator, _TABULAR):
        return _emit_preprocessing(graph, estimator, operator.inputs)
    return graph.node("Cast", operator.inputs[0].full_name, to=graph.proto_dtype)


def _graph(scope, operator, container):
    dtype = np.float64 if _float_type(operator) is DoubleTensorType else np.float32
    what = f"The ONNX graph of {type(operator.raw_operator).__name__}"
    return OnnxGraph(scope, container, dtype, what)


def _label_classes(scope, estimator):
    """Return the class labels the graph outputs: int64 or str."""
    classes = np.asarray(get_label_classes(scope, estimator))
    # scikit-learn's classifiers take float labels only when they are whole
    # numbers; ONNX labels are integers or strings.
    if classes.dtype.kind in "iubf":
        return classes.astype(np.int64)
    return classes.astype(str)


def _is_multilabel(estimator):
    # One independent logistic output per label; a binary problem has one.
    network = _network_estimator(estimator)
    return network.out_activation_ == "logistic" and network.n_outputs_ > 1


def _check_input(operator):
    """Check that the estimator is fitted and the inputs have its width.

    The tabular estimators also take one input per column, as skl2onnx makes
    of a DataFrame.
    """
    estimator = operator.raw_operator
    check_is_fitted(estimator)
    name = type(estimator).__name__
    n_features = estimator.n_features_in_
    inputs = operator.inputs
    if len(inputs) > 1:
        _check_column_inputs(estimator, inputs)
        return
    shape = inputs[0].type.shape
    n_columns = shape[1] if len(shape) == 2 else None
    if isinstance(n_columns, int) and n_columns != n_features:
        raise ValueError(
            f"The ONNX input has {n_columns} columns, but {name} is fitted on "
            f"{n_features} features."
        )


def _check_column_inputs(estimator, inputs):
    name = type(estimator).__name__
    if not isinstance(estimator, _TABULAR):
        raise ValueError(
            f"{name} takes one ONNX input, got {len(inputs)}; put the columns "
            "together first (a ColumnTransformer or a single array)."
        )
    if len(inputs) != estimator.n_features_in_:
        raise ValueError(
            f"The ONNX graph has {len(inputs)} inputs, one per column, but {name} "
            f"is fitted on {estimator.n_features_in_} features."
        )
    wide = [variable.onnx_name for variable in inputs if variable.type.shape[1:] != [1]]
    if wide:
        raise ValueError(
            f"With one ONNX input per column, each input is one column; {wide} are not."
        )
    expected = getattr(estimator, "feature_names_in_", None)
    names = [variable.raw_name for variable in inputs]
    if expected is not None and names != list(expected):
        raise ValueError(
            f"The ONNX inputs {names} are not the columns {list(expected)} that "
            f"{name} is fitted on, in that order."
        )


def _classifier_shapes(operator):
    """Labels: (N,), or (N, n_labels) for multilabel; probabilities (N, n_classes)."""
    _check_input(operator)
    estimator = operator.raw_operator
    float_type = _float_type(operator)
    zipmap = operator.scope_inst.get_options(estimator, {"zipmap": True})["zipmap"]
    if float_type is DoubleTensorType and zipmap is True:
        raise ValueError(
            "ONNX's ZipMap takes float32 probabilities only: convert a float64 "
            f"graph of {type(estimator).__name__} with the option zipmap=False "
            "or zipmap='columns'."
        )
    n_rows = operator.inputs[0].get_first_dimension()
    classes = _label_classes(operator.scope_inst, estimator)
    if _is_multilabel(estimator):
        operator.outputs[0].type = Int64TensorType([n_rows, len(classes)])
    elif classes.dtype.kind == "U":
        operator.outputs[0].type = StringTensorType([n_rows])
    else:
        operator.outputs[0].type = Int64TensorType([n_rows])
    operator.outputs[1].type = float_type([n_rows, len(classes)])


def _regressor_shapes(operator):
    _check_input(operator)
    n_rows = operator.inputs[0].get_first_dimension()
    n_outputs = _network_estimator(operator.raw_operator).n_outputs_
    operator.outputs[0].type = _float_type(operator)([n_rows, n_outputs])


def _convert_classifier(scope, operator, container):
    estimator = operator.raw_operator
    network = _network_estimator(estimator)
    graph = _graph(scope, operator, container)
    raw = _emit_networks(graph, estimator, _network_input(graph, operator))
    labels, probabilities = (output.full_name for output in operator.outputs)
    # Labels come from the logits, as predict computes them, so that a
    # probability that rounds to 1/2 cannot flip a label.
    if _is_multilabel(estimator):
        positive = graph.node("Greater", raw, graph.constant(0.0))
        graph.node("Cast", positive, output=labels, to=TensorProto.INT64)
        _clip_probabilities(graph, graph.node("Sigmoid", raw), probabilities)
        return
    if network.n_outputs_ == 1:
        # One logit: sigmoid(-z) and sigmoid(z), each exact in its tail,
        # where 1 - sigmoid(z) would round to 0.
        negative = graph.node("Sigmoid", graph.node("Neg", raw))
        proba = graph.node("Concat", negative, graph.node("Sigmoid", raw), axis=1)
        index = graph.node(
            "Cast",
            graph.node("Greater", raw, graph.constant(0.0)),
            to=TensorProto.INT64,
        )
    else:
        proba = graph.node("Softmax", raw, axis=1)
        index = graph.node("ArgMax", raw, axis=1, keepdims=1)
    _clip_probabilities(graph, proba, probabilities)
    index = graph.node("Reshape", index, graph.constant([-1], dtype=np.int64))
    classes = graph.constant(_label_classes(scope, estimator))
    graph.node("Gather", classes, index, axis=0, output=labels)


def _clip_probabilities(graph, proba, output):
    # predict_proba keeps probabilities strictly inside (0, 1).
    finfo = np.finfo(graph.dtype)
    low, high = graph.constant(finfo.tiny), graph.constant(1 - finfo.epsneg)
    graph.node("Clip", proba, low, high, output=output)


def _convert_regressor(scope, operator, container):
    estimator = operator.raw_operator
    network = _network_estimator(estimator)
    graph = _graph(scope, operator, container)
    raw = _emit_networks(graph, estimator, _network_input(graph, operator))
    output = operator.outputs[0].full_name
    if network is estimator:
        _OUTPUT_EMITTERS[network.out_activation_](graph, raw, output)
        return
    # The tabular regressor's network predicts standardised targets.
    prediction = _OUTPUT_EMITTERS[network.out_activation_](graph, raw, None)
    prediction = graph.node("Mul", prediction, graph.constant(estimator.target_scale_))
    prediction = graph.node("Add", prediction, graph.constant(estimator.target_mean_))
    if estimator.clip_prediction:
        low = graph.constant(estimator.target_min_)
        prediction = graph.node("Max", prediction, low)
        prediction = graph.node(
            "Min", prediction, graph.constant(estimator.target_max_)
        )
    graph.node("Identity", prediction, output=output)


def _output_identity(graph, raw, output):
    return graph.node("Identity", raw, output=output)


def _output_logistic(graph, raw, output):
    return graph.node("Sigmoid", raw, output=output)


def _output_softmax(graph, raw, output):
    return graph.node("Softmax", raw, axis=1, output=output)


def _output_exp(graph, raw, output):
    # Capped below the overflow threshold, as the engine's exp_output.
    cap = graph.constant(np.log(np.finfo(graph.dtype).max) - 1)
    return graph.node("Exp", graph.node("Min", raw, cap), output=output)


# The regressors' output functions, by the name the losses give them.
_OUTPUT_EMITTERS = {
    "identity": _output_identity,
    "logistic": _output_logistic,
    "softmax": _output_softmax,
    "exp": _output_exp,
}

_CLASSIFIER_OPTIONS = {
    "zipmap": [True, False, "columns"],
    "nocl": [False, True],
    "output_class_labels": [False, True],
}

for _classifier in (GDLogisticClassifier, MLPSoftmaxClassifier, TabularMLPClassifier):
    update_registered_converter(
        _classifier,
        f"Skneural{_classifier.__name__}",
        _classifier_shapes,
        _convert_classifier,
        options=_CLASSIFIER_OPTIONS,
    )
for _regressor in (GDLinearRegressor, MLPRegressor, TabularMLPRegressor):
    update_registered_converter(
        _regressor,
        f"Skneural{_regressor.__name__}",
        _regressor_shapes,
        _convert_regressor,
    )
