"""Layers: the pieces a :class:`~skneural.engine.network.Network` is built from.

A layer is a value object that holds only its hyper-parameters (it pickles,
compares and prints by them, and holds no arrays). Given the width of its
input, it declares

- its output width (:meth:`Layer.output_width`);
- its parameter groups (:meth:`Layer.parameter_groups`), each a
  :class:`ParameterGroup` with a name, a shape, whether the penalty (L2, L1
  and AdamW's decoupled weight decay) applies to it and a learning-rate
  factor. The network lays every group out in its one flat parameter vector
  (penalised groups of every layer first, then the others) and hands the
  layer views into it, so L-BFGS and every optimizer still see one array;
- the per-row buffers it needs between its forward and backward passes
  (:meth:`Layer.buffer_widths`) and the width of a scratch buffer that it may
  overwrite within one call (:meth:`Layer.scratch_width`, one buffer shared
  by every layer).

Training passes then run :meth:`Layer.forward` and :meth:`Layer.backward` on
those preallocated buffers, so that a batch allocates nothing;
:meth:`Layer.predict` is the allocating pass for new data.

A layer's parameters start from :meth:`Layer.initialize`, which sees only
shapes, and may then be fitted to a batch of training inputs by
:meth:`Layer.initialize_from_data` (a no-op by default), which the network
calls layer after layer on the inputs each layer receives. :class:`Dense`
offers RealMLP's two data-dependent schemes: weights scaled to unit output
standard deviation (``coef_init='std'``) and intercepts that put each
unit's kink inside the data (``intercept_init='he+5'``).

:class:`Dense` is the fully connected layer with its activation and dropout
fused, as Keras' ``Dense`` fuses its activation: its passes run the same NumPy
(or Numba) calls, in the same order, as the dense network always did.
:class:`ActivationLayer` applies an activation alone. A new kind of layer (a
per-feature scale, an embedding) subclasses :class:`Layer`, and comes with a
finite-difference test of its backward pass (``tests/engine/test_layers.py``).
"""

import inspect
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np

from .activations import get_activation
from .dropout import dropout_mask
from .value import ValueObject

__all__ = [
    "ActivationLayer",
    "Dense",
    "Dropout",
    "Layer",
    "Noise",
    "ParameterGroup",
    "allocate_buffers",
]


@dataclass(frozen=True)
class ParameterGroup:
    """One array of a layer's parameters, and how training treats it.

    Attributes
    ----------
    name : str
        Name of the array, unique within its layer.
    shape : tuple of int
        Shape of the array.
    penalised : bool, default=True
        Whether the penalty (``alpha``, ``l1_ratio``) and AdamW's decoupled
        weight decay apply to it, as they apply to a dense layer's weights
        and not to its intercepts.
    learning_rate_factor : float, default=1.0
        The mini-batch solvers multiply the learning rate by it for this
        group (0 freezes it). L-BFGS has no learning rate and ignores it.
    """

    name: str
    shape: tuple
    penalised: bool = True
    learning_rate_factor: float = 1.0

    def __post_init__(self):
        if not self.learning_rate_factor >= 0:
            raise ValueError(
                f"learning_rate_factor of group {self.name!r} must be >= 0, got "
                f"{self.learning_rate_factor!r}."
            )

    @property
    def size(self):
        """Number of parameters in the group."""
        return int(np.prod(self.shape, dtype=np.int64))


class Noise:
    """The random numbers of one layer in one training pass.

    The network makes one per layer for a training pass given a random
    generator; a deterministic pass gives the layers None instead.

    Parameters
    ----------
    keys : ndarray of shape (n_samples,), dtype uint64
        Keys of the rows (see :mod:`skneural.engine.dropout`).
    seed : int
        Seed of the pass.
    layer : int
        Position of the layer in the network.
    """

    __slots__ = ("keys", "layer", "seed")

    def __init__(self, keys, seed, layer):
        self.keys = keys
        self.seed = seed
        self.layer = layer

    def dropout_mask(self, rate, out):
        """Fill ``out`` with this layer's inverted-dropout mask for ``rate``.

        Parameters
        ----------
        rate : float
            Probability of dropping a unit, in (0, 1).
        out : ndarray of shape (n_samples, n_units)
            Receives the mask: 0, or ``1 / (1 - rate)``.

        Returns
        -------
        out : ndarray
            The mask.
        """
        return dropout_mask(self.keys, self.seed, self.layer, rate, out)


class Layer(ValueObject):
    """Base class of a layer: hyper-parameters only, passes on given buffers.

    The defaults describe a layer without parameters that keeps its input's
    width. ``params`` and ``grads`` below are tuples of arrays, one per
    :class:`ParameterGroup` in the order :meth:`parameter_groups` gives them,
    each a view into the network's flat parameter (or gradient) vector.
    ``buffers`` is a dictionary of arrays cut to the rows of the pass: the
    ``'output'`` buffer of shape ``(n_samples, output_width)``, one buffer
    per entry of :meth:`buffer_widths`, ``'scratch'`` when
    :meth:`scratch_width` is positive and ``'ones'``, a vector of ones of
    length ``n_samples`` that must not be written.

    Attributes
    ----------
    accepts_sparse : bool
        Whether the layer takes a sparse input matrix (only the first layer
        of a network sees one).
    """

    accepts_sparse = False

    @property
    def uses_noise(self):
        """Whether a training pass reads its :class:`Noise` (dropout does)."""
        return False

    def output_width(self, n_inputs):
        """Return the number of columns of the output for ``n_inputs`` columns in.

        Parameters
        ----------
        n_inputs : int
            Width of the input.

        Returns
        -------
        n_outputs : int
            Width of the output.
        """
        return n_inputs

    def parameter_groups(self, n_inputs):
        """Return the layer's parameter arrays for an input of ``n_inputs`` columns.

        Parameters
        ----------
        n_inputs : int
            Width of the input.

        Returns
        -------
        groups : tuple of ParameterGroup
            Names, shapes and training attributes, in the order of ``params``.
        """
        return ()

    def initialize(self, rng, n_inputs, initializer, dtype):
        """Draw the layer's initial parameters.

        Parameters
        ----------
        rng : numpy.random.Generator
            The fit's generator.
        n_inputs : int
            Width of the input.
        initializer : Initializer
            The network's weight initialisation scheme, for layers that use it.
        dtype : dtype
            Floating dtype of the parameters.

        Returns
        -------
        arrays : tuple of ndarray
            One array per parameter group, of its shape.
        """
        return ()

    @property
    def initializes_from_data(self):
        """Whether :meth:`initialize_from_data` needs a batch of training inputs."""
        return False

    def initialize_from_data(self, params, X, rng):
        """Adjust the drawn parameters, in place, to a batch of training inputs.

        The network calls it after every layer's :meth:`initialize`, layer
        after layer, with the inputs this layer receives from the layers
        before it (already initialised from the data). The default does
        nothing.

        Parameters
        ----------
        params : tuple of ndarray
            The layer's parameters, one array per group; written in place.
        X : {ndarray, sparse matrix} of shape (n_samples, n_inputs)
            The layer's inputs on the batch.
        rng : numpy.random.Generator
            The fit's generator.
        """

    def buffer_widths(self, n_inputs):
        """Return the per-row buffers the backward pass reads, by name.

        Parameters
        ----------
        n_inputs : int
            Width of the input.

        Returns
        -------
        widths : dict of str to int
            Number of columns of each buffer (besides ``'output'``).
        """
        return {}

    def scratch_width(self, n_inputs):
        """Return the columns of scratch space a pass may overwrite (0 for none).

        Parameters
        ----------
        n_inputs : int
            Width of the input.

        Returns
        -------
        width : int
            Columns of the shared ``'scratch'`` buffer; its contents do not
            survive the call.
        """
        return 0

    def forward(self, params, X, buffers, noise):
        """Compute the output of a training pass into the buffers.

        Parameters
        ----------
        params : tuple of ndarray
            Views of the layer's parameters.
        X : {ndarray, sparse matrix} of shape (n_samples, n_inputs)
            Input; it stays untouched until :meth:`backward`.
        buffers : dict of str to ndarray
            The layer's buffers (see the class description).
        noise : Noise or None
            Random numbers of this pass; None in a deterministic pass.

        Returns
        -------
        output : ndarray of shape (n_samples, n_outputs)
            What the next layer reads: one of the layer's buffers.
        """
        raise NotImplementedError

    def backward(self, params, X, delta, grads, delta_in, buffers, noise):
        """Back-propagate ``delta`` through the layer.

        Parameters
        ----------
        params : tuple of ndarray
            Views of the layer's parameters, as given to :meth:`forward`.
        X : {ndarray, sparse matrix} of shape (n_samples, n_inputs)
            The input given to :meth:`forward`.
        delta : ndarray of shape (n_samples, n_outputs)
            Gradient of the loss with respect to the output :meth:`forward`
            returned; it may be overwritten.
        grads : tuple of ndarray
            Receive the gradient with respect to each parameter group
            (every entry is written).
        delta_in : ndarray of shape (n_samples, n_inputs) or None
            Receives the gradient with respect to ``X``; None for the first
            layer, whose input gradient nobody needs.
        buffers : dict of str to ndarray
            The buffers :meth:`forward` filled.
        noise : Noise or None
            The noise given to :meth:`forward`.
        """
        raise NotImplementedError

    def predict(self, params, X):
        """Return the output of a deterministic pass as a new array.

        Parameters
        ----------
        params : tuple of ndarray
            The layer's parameters.
        X : {ndarray, sparse matrix} of shape (n_samples, n_inputs)
            Input.

        Returns
        -------
        output : ndarray of shape (n_samples, n_outputs)
            The output; it may share memory with ``X``.
        """
        n_rows, n_inputs = X.shape
        buffers = allocate_buffers(self, n_inputs, n_rows, X.dtype)
        return self.forward(params, X, buffers, None)


def allocate_buffers(layer, n_inputs, n_rows, dtype, scratch=None, ones=None):
    """Allocate the buffers of ``layer`` for passes of ``n_rows`` samples.

    Parameters
    ----------
    layer : Layer
        The layer.
    n_inputs : int
        Width of its input.
    n_rows : int
        Rows of the buffers.
    dtype : dtype
        Floating dtype.
    scratch : ndarray of shape (n_values,), default=None
        Flat shared scratch space of at least ``n_rows * scratch_width``
        values; allocated when None and the layer needs some.
    ones : ndarray of shape (n_rows,), default=None
        Shared ones; allocated when None.

    Returns
    -------
    buffers : dict of str to ndarray
        ``'output'``, the layer's own buffers, ``'ones'`` and ``'scratch'``
        (when it has a width).
    """
    buffers = {"output": np.empty((n_rows, layer.output_width(n_inputs)), dtype)}
    for name, width in layer.buffer_widths(n_inputs).items():
        buffers[name] = np.empty((n_rows, width), dtype)
    width = layer.scratch_width(n_inputs)
    if width:
        if scratch is None:
            scratch = np.empty(n_rows * width, dtype)
        buffers["scratch"] = scratch[: n_rows * width].reshape(n_rows, width)
    buffers["ones"] = np.ones(n_rows, dtype) if ones is None else ones
    return buffers


def _random_convex_combinations(values, n_points, rng):
    """Return, for each column, a random convex combination of ``n_points`` rows.

    Each column draws its own rows (with replacement) and its own weights,
    normalised exponential draws: a flat Dirichlet, as in pytabkit.
    """
    n_rows, n_columns = values.shape
    rows = rng.integers(0, n_rows, size=(n_columns, n_points))
    weights = rng.standard_exponential((n_columns, n_points))
    weights /= weights.sum(axis=1, keepdims=True)
    picked = values[rows, np.arange(n_columns)[:, np.newaxis]]
    return np.einsum("jp,jp->j", picked, weights)


def _check_dropout(dropout):
    if not isinstance(dropout, Real) or not 0 <= dropout < 1:
        raise ValueError(f"dropout must be a rate in [0, 1), got {dropout!r}.")
    return float(dropout)


class Dense(Layer):
    """Fully connected layer, ``f(X W + b)``, with its activation and dropout fused.

    Parameters
    ----------
    units : int
        Number of output units.
    activation : str, Activation or None, default=None
        Activation applied to the products (an activation name or
        instance); None for none (an output layer's raw values).
    dropout : float, default=0.0
        Rate of inverted dropout applied to the output in training passes,
        in [0, 1).
    fit_intercept : bool, default=True
        Whether the layer has intercepts ``b``.
    parametrization : {'standard', 'ntk'}, default='standard'
        ``'ntk'`` computes ``f(X W / sqrt(n_inputs) + b)`` and starts the
        stored weights at ``N(0, 1)``: the neural-tangent-kernel
        parametrisation that RealMLP uses (pytabkit's ``weight_param='ntk'``).
        The initial function is that of weights drawn from ``N(0, 1 /
        n_inputs)``, but a step of Adam, which moves each stored weight by
        about the learning rate, moves the effective weights by the learning
        rate over ``sqrt(n_inputs)``: one learning rate then suits layers of
        every width.
    coef_init : {'std'} or None, default=None
        None keeps the weights the initializer draws. ``'std'`` is
        RealMLP's data-dependent scheme (pytabkit's
        ``weight_init_mode='std'``): weights drawn from ``N(0, 1)``, then
        each unit's column divided by the standard deviation of its products
        ``X W`` (times the NTK factor) on the initialisation batch, so that
        every unit starts with unit standard deviation there. A unit whose
        products are constant on the batch (up to rounding) keeps its draw.
    intercept_init : {'he+5'} or None, default=None
        None keeps the intercepts the initializer draws. ``'he+5'`` is
        RealMLP's (pytabkit's ``bias_init_mode='he+5'``): unit ``j``'s
        intercept is minus its products at a random convex combination of 5
        random rows of the batch (weights from a flat Dirichlet), so each
        unit's activation kink passes through the data, in a different
        place for each unit. Needs ``fit_intercept=True``.

    Notes
    -----
    The weights ``W`` form the penalised group ``'coef'`` of shape
    ``(n_inputs, units)`` and the intercepts the unpenalised group
    ``'intercept'``; both are drawn by the network's initializer, except
    the weights of the ``'ntk'`` parametrisation.
    """

    accepts_sparse = True

    def __init__(
        self,
        units,
        activation=None,
        dropout=0.0,
        fit_intercept=True,
        parametrization="standard",
        coef_init=None,
        intercept_init=None,
    ):
        if not isinstance(units, Integral) or units < 1:
            raise ValueError(f"units must be a positive integer, got {units!r}.")
        self.units = int(units)
        self.activation = None if activation is None else get_activation(activation)
        self.dropout = _check_dropout(dropout)
        self.fit_intercept = bool(fit_intercept)
        if parametrization not in ("standard", "ntk"):
            raise ValueError(
                f"parametrization must be 'standard' or 'ntk', got {parametrization!r}."
            )
        self.parametrization = parametrization
        if coef_init not in (None, "std"):
            raise ValueError(f"coef_init must be 'std' or None, got {coef_init!r}.")
        if intercept_init not in (None, "he+5"):
            raise ValueError(
                f"intercept_init must be 'he+5' or None, got {intercept_init!r}."
            )
        if intercept_init is not None and not self.fit_intercept:
            raise ValueError(
                f"intercept_init={intercept_init!r} initialises intercepts, but "
                "fit_intercept=False gives the layer none."
            )
        self.coef_init = coef_init
        self.intercept_init = intercept_init

    @property
    def uses_noise(self):  # noqa: D102
        return bool(self.dropout)

    @property
    def initializes_from_data(self):  # noqa: D102
        return self.coef_init is not None or self.intercept_init is not None

    def initialize_from_data(self, params, X, rng):  # noqa: D102
        if not self.initializes_from_data:
            return
        coef = params[0]
        products = np.asarray(X @ coef) * self._weight_scale(X.shape[1])
        if self.coef_init == "std":
            std = products.std(axis=0)
            # A unit constant on the batch (up to rounding, which leaves a
            # std of a few eps times its values) has no scale to set: it
            # keeps its draw.
            level = np.abs(products).max(axis=0)
            std[std <= 64 * np.finfo(std.dtype).eps * level] = 1.0
            coef /= std
            products /= std
        if self.intercept_init == "he+5":
            params[1][...] = -_random_convex_combinations(products, 5, rng)

    def output_width(self, n_inputs):  # noqa: D102
        return self.units

    def parameter_groups(self, n_inputs):  # noqa: D102
        groups = (ParameterGroup("coef", (n_inputs, self.units)),)
        if self.fit_intercept:
            groups += (ParameterGroup("intercept", (self.units,), penalised=False),)
        return groups

    def initialize(self, rng, n_inputs, initializer, dtype):  # noqa: D102
        coef, intercept = initializer(rng, n_inputs, self.units, dtype=dtype)
        if self.parametrization == "ntk" or self.coef_init == "std":
            coef = rng.standard_normal(coef.shape).astype(dtype, copy=False)
        return (coef, intercept) if self.fit_intercept else (coef,)

    def _weight_scale(self, n_inputs):
        """Return the factor on ``X W``: 1, or ``1 / sqrt(n_inputs)`` under NTK."""
        return 1.0 if self.parametrization == "standard" else n_inputs**-0.5

    def buffer_widths(self, n_inputs):  # noqa: D102
        widths = {}
        if self.activation is not None and self.activation.needs_input:
            widths["pre_activation"] = self.units
        if self.dropout:
            # The next layer reads the dropped copy, the derivative the
            # activation itself; the mask holds 0 or 1 / (1 - rate).
            widths["mask"] = widths["dropped"] = self.units
        return widths

    def scratch_width(self, n_inputs):  # noqa: D102
        return self.units if _takes_scratch(self.activation) else 0

    def forward(self, params, X, buffers, noise):  # noqa: D102
        out = buffers["output"]
        activation = self.activation
        scale = self._weight_scale(X.shape[1])
        if activation is None:
            _dot_into(X, params[0], out)
            if scale != 1.0:
                out *= scale
            if self.fit_intercept:
                out += params[1]
            output = out
        else:
            # Without needing z, the derivative reads the output: the
            # products go straight into it.
            target = buffers.get("pre_activation", out)
            _dot_into(X, params[0], target)
            if scale != 1.0:
                target *= scale
            if self.fit_intercept:
                output = activation.forward_biased(target, params[1], out)
            else:
                output = activation.forward(target, out)
        if noise is not None and self.dropout:
            mask = noise.dropout_mask(self.dropout, buffers["mask"])
            output = np.multiply(output, mask, out=buffers["dropped"])
        return output

    def backward(self, params, X, delta, grads, delta_in, buffers, noise):  # noqa: D102
        if noise is not None and self.dropout:
            delta *= buffers["mask"]
        if self.activation is not None:
            scratch = buffers.get("scratch")
            z, a = buffers.get("pre_activation"), buffers["output"]
            if scratch is None:
                self.activation.multiply_derivative(delta, z, a)
            else:
                self.activation.multiply_derivative(delta, z, a, scratch=scratch)
        _transposed_dot_into(X, delta, grads[0])
        if self.fit_intercept:
            _column_sums_into(delta, buffers["ones"], grads[1])
        if delta_in is not None:
            _dense_dot_into(delta, params[0].T, delta_in)
        scale = self._weight_scale(X.shape[1])
        if scale != 1.0:
            np.multiply(grads[0], scale, out=grads[0])
            if delta_in is not None:
                delta_in *= scale

    def predict(self, params, X):  # noqa: D102
        output = np.asarray(X @ params[0])
        scale = self._weight_scale(X.shape[1])
        if scale != 1.0:
            output *= scale
        if self.fit_intercept:
            output += params[1]
        if self.activation is not None:
            output = self.activation.forward(output, output)
        return output


class ActivationLayer(Layer):
    """An activation applied on its own, element-wise, with no parameters.

    Parameters
    ----------
    activation : str or Activation
        An activation name or instance.
    """

    def __init__(self, activation):
        self.activation = get_activation(activation)

    def buffer_widths(self, n_inputs):  # noqa: D102
        return {}

    def scratch_width(self, n_inputs):  # noqa: D102
        return n_inputs if _takes_scratch(self.activation) else 0

    def forward(self, params, X, buffers, noise):  # noqa: D102
        return self.activation.forward(X, buffers["output"])

    def backward(self, params, X, delta, grads, delta_in, buffers, noise):  # noqa: D102
        if delta_in is None:
            return
        scratch = buffers.get("scratch")
        z, a = (X if self.activation.needs_input else None), buffers["output"]
        if scratch is None:
            self.activation.multiply_derivative(delta, z, a)
        else:
            self.activation.multiply_derivative(delta, z, a, scratch=scratch)
        np.copyto(delta_in, delta)


class Dropout(Layer):
    """Inverted dropout on its own: units zeroed at random in training passes.

    Kept units are scaled by ``1 / (1 - rate)``, so a deterministic pass (a
    prediction) is the identity. :class:`Dense` fuses the same dropout after
    its activation; this layer puts it after any other layer, such as a
    parametric activation or an ensemble's dense layer.

    Parameters
    ----------
    rate : float
        Probability of dropping a unit, in [0, 1); 0 makes the layer the
        identity.

    Examples
    --------
    >>> import numpy as np
    >>> from skneural.engine.layers import Dropout
    >>> Dropout(0.5).predict((), np.array([[1.0, 2.0]]))
    array([[1., 2.]])
    """

    def __init__(self, rate):
        self.rate = _check_dropout(rate)

    @property
    def uses_noise(self):  # noqa: D102
        return bool(self.rate)

    def buffer_widths(self, n_inputs):  # noqa: D102
        return {"mask": n_inputs} if self.rate else {}

    def forward(self, params, X, buffers, noise):  # noqa: D102
        output = buffers["output"]
        if noise is None or not self.rate:
            np.copyto(output, X)
            return output
        mask = noise.dropout_mask(self.rate, buffers["mask"])
        return np.multiply(X, mask, out=output)

    def backward(self, params, X, delta, grads, delta_in, buffers, noise):  # noqa: D102
        if delta_in is None:
            return
        if noise is None or not self.rate:
            np.copyto(delta_in, delta)
        else:
            np.multiply(delta, buffers["mask"], out=delta_in)

    def predict(self, params, X):  # noqa: D102
        return X


def _takes_scratch(activation):
    """Whether ``activation.multiply_derivative`` takes a scratch buffer."""
    # Custom activations may not take one; they are then called without.
    return activation is not None and (
        "scratch" in inspect.signature(activation.multiply_derivative).parameters
    )


def _dot_into(left, right, out):
    # isinstance on ndarray is cheap; sp.issparse's ABC check costs ~1 us a call.
    if isinstance(left, np.ndarray):
        _dense_dot_into(left, right, out)
    else:
        out[...] = left @ right


def _transposed_dot_into(left, right, out):
    if isinstance(left, np.ndarray):
        _dense_dot_into(left.T, right, out)
    else:
        out[...] = left.T @ right


def _dense_dot_into(left, right, out):
    if left.shape[1] == 1:
        # An outer product. NumPy's matmul takes a slow loop, not BLAS, for an
        # inner dimension of 1 (10x slower here). np.dot does not and beats a
        # broadcast multiply 1.5-2x, but only writes to an out of the dtype
        # and layout of its result.
        try:
            np.dot(left, right, out=out)
        except ValueError:
            np.multiply(left, right, out=out)
    elif right.shape[1] == 1:
        # One output column: a matrix-vector product. Threaded OpenBLAS runs
        # it 3-12x faster as gemv than as a one-column gemm.
        np.matmul(left, right[:, 0], out=out[:, 0])
    else:
        np.matmul(left, right, out=out)


def _column_sums_into(delta, ones, out):
    if delta.shape[1] == 1:
        out[0] = np.dot(ones, delta[:, 0])
    else:
        # A BLAS matrix-vector product, 3-4x faster than np.sum(axis=0).
        np.matmul(ones, delta, out=out)
