"""A dense feed-forward network over one flat parameter vector.

All weights and intercepts live in a single 1-D array: first every layer's
weight matrix (row-major), then every layer's intercepts. Layers are views
into it, so optimizers update the whole network with one vectorised
operation, L-BFGS sees the vector it expects, and the L2 penalty touches one
contiguous slice.

Training passes run on a :class:`Workspace` of buffers allocated once for the
largest batch; a smaller batch uses the leading rows of each buffer, so a
training epoch allocates no per-batch arrays for dense data.
"""

import inspect
from itertools import pairwise

import numpy as np

from .activations import OUTPUT_FUNCTIONS, get_activation
from .dropout import dropout_mask
from .hashing import row_keys
from .initializers import get_initializer
from .losses import get_loss

__all__ = ["Network", "RowViews", "Workspace"]

# Values of the widest hidden layer that a prediction holds at a time.
_BLOCK_VALUES = 1 << 22


class Workspace:
    """Buffers for a forward and backward pass over at most ``n_rows`` samples.

    Parameters
    ----------
    network : Network
        The network whose layers the buffers fit.
    n_rows : int
        Largest number of samples a pass will see.
    dtype : dtype
        Floating dtype of the buffers.
    n_features_batch : int or None, default=None
        When given, also allocate ``X_batch`` of shape
        ``(n_rows, n_features_batch)`` to gather shuffled dense batches into.
    """

    def __init__(self, network, n_rows, dtype, n_features_batch=None):
        hidden = network.layer_sizes[1:-1]
        n_outputs = network.layer_sizes[-1]
        self.n_rows = n_rows
        self.dtype = np.dtype(dtype)
        self.activations = [np.empty((n_rows, units), dtype) for units in hidden]
        self.pre_activations = (
            [np.empty((n_rows, units), dtype) for units in hidden]
            if network.activation.needs_input
            else None
        )
        # deltas[i] is the gradient with respect to the pre-activation of layer i.
        self.deltas = [np.empty((n_rows, units), dtype) for units in hidden] + [
            np.empty((n_rows, n_outputs), dtype)
        ]
        self.raw = np.empty((n_rows, n_outputs), dtype)
        # One buffer as wide as the widest hidden layer serves each layer's
        # derivative in turn.
        self.scratch = None
        if hidden and network._derivative_takes_scratch:
            flat = np.empty(n_rows * max(hidden), dtype)
            self.scratch = [
                flat[: n_rows * units].reshape(n_rows, units) for units in hidden
            ]
        # Intercept gradients are column sums, taken as a product with ones.
        self.ones = np.ones(n_rows, dtype)
        # The L2 term's gradient, so that adding it allocates nothing.
        self.coef_scratch = np.empty(network.n_coef, dtype)
        # Per-layer views of the parameter and gradient arrays, by array id: a
        # training loop passes the same two arrays at every step.
        self.layer_views = {}
        # With dropout, the next layer reads the dropped copy while the
        # derivative still reads the activation itself; masks hold 0 or 1/(1-p).
        rates = network.dropout
        self.dropped = [
            np.empty((n_rows, units), dtype) if rate else None
            for units, rate in zip(hidden, rates, strict=True)
        ]
        self.masks = [
            np.empty((n_rows, units), dtype) if rate else None
            for units, rate in zip(hidden, rates, strict=True)
        ]
        self.X_batch = (
            None
            if n_features_batch is None
            else np.empty((n_rows, n_features_batch), dtype)
        )
        self._keep_input = network.activation.needs_input
        self._rows = {}

    def rows(self, n_rows):
        """Return views of the buffers' leading ``n_rows`` rows, made once per size.

        A training epoch has at most two batch sizes, and slicing a dozen
        buffers for every batch costs more than a small layer's arithmetic.

        Parameters
        ----------
        n_rows : int
            Rows of the pass, at most :attr:`n_rows`.

        Returns
        -------
        views : RowViews
            The buffers cut to ``n_rows`` rows.
        """
        views = self._rows.get(n_rows)
        if views is None:
            if len(self._rows) >= 8:
                self._rows.clear()
            views = self._rows[n_rows] = RowViews(self, n_rows)
        return views


class RowViews:
    """A :class:`Workspace`'s buffers cut to the rows of one pass.

    Parameters
    ----------
    workspace : Workspace
        The buffers to cut.
    n_rows : int
        Rows of the pass, at most ``workspace.n_rows``.

    Attributes
    ----------
    targets : list of ndarray
        Where each layer's product goes: the pre-activations of a hidden
        layer (its activations when the derivative needs no input), then the
        raw output.
    activations : list of ndarray
        Each hidden layer's activations.
    pre_activations : list of ndarray or list of None
        Each hidden layer's pre-activations, when the activation keeps them.
    deltas : list of ndarray
        Gradients with respect to each layer's pre-activation; the last is the
        raw output's.
    scratch, dropped, masks : list of ndarray or None
        Per hidden layer: the derivative's work buffer, the dropped-out
        activations and the dropout masks (None where unused).
    ones : ndarray
        Ones, one per row.
    """

    def __init__(self, workspace, n_rows):
        def cut(buffers):
            return [None if b is None else b[:n_rows] for b in buffers]

        n_hidden = len(workspace.activations)
        self.activations = cut(workspace.activations)
        self.pre_activations = (
            cut(workspace.pre_activations)
            if workspace._keep_input
            else [None] * n_hidden
        )
        self.targets = [
            *(self.pre_activations if workspace._keep_input else self.activations),
            workspace.raw[:n_rows],
        ]
        self.deltas = cut(workspace.deltas)
        self.scratch = (
            [None] * n_hidden if workspace.scratch is None else cut(workspace.scratch)
        )
        self.dropped = cut(workspace.dropped)
        self.masks = cut(workspace.masks)
        self.ones = workspace.ones[:n_rows]


class Network:
    """Dense feed-forward network: layer sizes, hidden activation and loss.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``(n_features, *hidden_layer_sizes, n_outputs)``. Two entries give a
        linear model.
    activation : str or Activation, default='relu'
        Activation of every hidden layer.
    loss : str or Loss, default='squared_error'
        Loss of the raw output; it fixes the output function.
    dropout : float or sequence of float, default=0.0
        Dropout rate of each hidden layer's output (one rate for all, or one
        per hidden layer), in [0, 1). Applied only in training passes that are
        given a random generator (inverted dropout: kept units are scaled by
        ``1 / (1 - rate)``), never in predictions.
    output_intercept : bool, default=True
        Whether the output layer has intercepts. Without them (a linear model
        with ``fit_intercept=False``) the raw output of the last layer is its
        weighted sum alone, and the flat vector holds no slot for them.

    Attributes
    ----------
    n_layers : int
        Number of weight layers, ``len(layer_sizes) - 1``.
    n_coef : int
        Number of weights; they occupy ``params[:n_coef]``.
    n_params : int
        Length of the flat parameter vector.
    out_activation : str
        Name of the output function.
    """

    def __init__(
        self,
        layer_sizes,
        activation="relu",
        loss="squared_error",
        dropout=0.0,
        output_intercept=True,
    ):
        self.layer_sizes = tuple(int(units) for units in layer_sizes)
        if len(self.layer_sizes) < 2 or min(self.layer_sizes) < 1:
            raise ValueError(
                f"layer_sizes must hold at least two positive sizes, got {layer_sizes}."
            )
        self.activation = get_activation(activation)
        # Custom activations may not take the scratch buffer; call them without.
        self._derivative_takes_scratch = (
            "scratch"
            in inspect.signature(self.activation.multiply_derivative).parameters
        )
        self.loss = get_loss(loss)
        self.out_activation = self.loss.out_activation
        self.n_layers = len(self.layer_sizes) - 1
        n_hidden = self.n_layers - 1
        rates = np.asarray(dropout, dtype=float)
        if rates.ndim == 0:
            rates = np.full(n_hidden, rates)
        if rates.shape != (n_hidden,) or np.any((rates < 0) | (rates >= 1)):
            raise ValueError(
                f"dropout must be a rate in [0, 1), or one per hidden layer "
                f"({n_hidden}), got {dropout!r}."
            )
        self.dropout = tuple(float(rate) for rate in rates)
        self._any_dropout = any(self.dropout)
        shapes = list(pairwise(self.layer_sizes))
        self._coef_slices = []
        start = 0
        for fan_in, fan_out in shapes:
            self._coef_slices.append(
                (slice(start, start + fan_in * fan_out), (fan_in, fan_out))
            )
            start += fan_in * fan_out
        self.n_coef = start
        self.output_intercept = bool(output_intercept)
        sizes = [fan_out for _, fan_out in shapes]
        if not self.output_intercept:
            sizes[-1] = 0
        self._intercept_slices = []
        for size in sizes:
            self._intercept_slices.append(slice(start, start + size))
            start += size
        self.n_params = start

    def coefs(self, params):
        """Weight matrices of every layer, as views into ``params``.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            Flat parameter vector.

        Returns
        -------
        coefs : list of ndarray
            ``coefs[i]`` has shape ``(layer_sizes[i], layer_sizes[i + 1])``.
        """
        return [params[where].reshape(shape) for where, shape in self._coef_slices]

    def intercepts(self, params):
        """Intercept vectors of every layer, as views into ``params``.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            Flat parameter vector.

        Returns
        -------
        intercepts : list of ndarray
            ``intercepts[i]`` has shape ``(layer_sizes[i + 1],)``. Without
            ``output_intercept`` the last is a new array of zeros, which is not
            part of ``params``.
        """
        intercepts = [params[where] for where in self._intercept_slices]
        if not self.output_intercept:
            intercepts[-1] = np.zeros(self.layer_sizes[-1], params.dtype)
        return intercepts

    def _layer_views(self, params, workspace):
        """``(coefs(params), intercepts(params))``, cached on the workspace."""
        cached = workspace.layer_views.get(id(params))
        # The identity check guards against a freed array's reused id.
        if cached is not None and cached[0] is params:
            return cached[1]
        views = (self.coefs(params), self.intercepts(params))
        if len(workspace.layer_views) >= 4:
            workspace.layer_views.clear()
        workspace.layer_views[id(params)] = (params, views)
        return views

    def pack(self, coefs, intercepts, dtype=None):
        """Build a flat parameter vector from per-layer arrays.

        Parameters
        ----------
        coefs : list of ndarray
            Weight matrices, shaped as :meth:`coefs` returns them.
        intercepts : list of ndarray
            Intercept vectors; without ``output_intercept`` the last one is
            not a parameter, and its values are not used.
        dtype : dtype, default=None
            Dtype of the result; that of ``coefs[0]`` when None.

        Returns
        -------
        params : ndarray of shape (n_params,)
            The flat vector (a new array).
        """
        dtype = coefs[0].dtype if dtype is None else dtype
        params = np.empty(self.n_params, dtype=dtype)
        for view, coef in zip(self.coefs(params), coefs, strict=True):
            if view.shape != np.shape(coef):
                raise ValueError(
                    f"coefficient shape {np.shape(coef)} does not fit the network, "
                    f"expected {view.shape}."
                )
            view[...] = coef
        for where, intercept in zip(self._intercept_slices, intercepts, strict=True):
            view = params[where]
            if view.size:
                view[...] = np.reshape(intercept, view.shape)
        return params

    def initialize(self, rng, weight_init="glorot_uniform", dtype=np.float64):
        """Draw initial parameters.

        Parameters
        ----------
        rng : numpy.random.Generator
            Source of randomness.
        weight_init : str or Initializer, default='glorot_uniform'
            Initialisation scheme.
        dtype : dtype, default=np.float64
            Floating dtype of the parameters.

        Returns
        -------
        params : ndarray of shape (n_params,)
            Flat parameter vector.
        """
        initializer = get_initializer(weight_init, self.activation.name)
        params = np.empty(self.n_params, dtype=dtype)
        coefs, intercepts = self.coefs(params), self.intercepts(params)
        for coef, intercept in zip(coefs, intercepts, strict=True):
            coef[...], intercept[...] = initializer(rng, *coef.shape, dtype=dtype)
        return params

    def workspace(self, n_rows, dtype, n_features_batch=None):
        """Allocate a :class:`Workspace` for passes of at most ``n_rows`` samples.

        Parameters
        ----------
        n_rows : int
            Largest batch size.
        dtype : dtype
            Floating dtype.
        n_features_batch : int or None, default=None
            Also allocate a buffer to gather dense batches into.

        Returns
        -------
        workspace : Workspace
            The buffers.
        """
        return Workspace(self, n_rows, dtype, n_features_batch)

    def forward(self, params, X, workspace, rng=None):
        """Forward pass that keeps what the backward pass needs.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            Flat parameter vector.
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
            Inputs, ``n_samples <= workspace.n_rows``.
        workspace : Workspace
            Buffers, filled with the hidden activations.
        rng : numpy.random.Generator, default=None
            Draws the seed of this pass's dropout masks (see
            :mod:`skneural.engine.dropout`); without it no unit is dropped.

        Returns
        -------
        raw : ndarray of shape (n_samples, n_outputs)
            Raw output (logits), a view into the workspace.
        """
        views = workspace.rows(X.shape[0])
        coefs, intercepts = self._layer_views(params, workspace)
        forward_biased = self.activation.forward_biased
        dropping = rng is not None and self._any_dropout
        if dropping:
            seed = int(rng.integers(np.iinfo(np.int64).max))
            keys = row_keys(X)
        layer_input = X
        for layer in range(self.n_layers - 1):
            target = views.targets[layer]
            _dot_into(layer_input, coefs[layer], target)
            layer_input = forward_biased(
                target, intercepts[layer], views.activations[layer]
            )
            rate = self.dropout[layer]
            if dropping and rate:
                mask = dropout_mask(keys, seed, layer, rate, views.masks[layer])
                layer_input = np.multiply(layer_input, mask, out=views.dropped[layer])
        raw = views.targets[-1]
        _dot_into(layer_input, coefs[-1], raw)
        if self.output_intercept:
            raw += intercepts[-1]
        return raw

    def backward(self, params, X, workspace, delta, grad, rng=None):
        """Back-propagate ``delta``, the loss gradient of the raw output.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            Flat parameter vector used in the preceding :meth:`forward`.
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
            The same inputs.
        workspace : Workspace
            The buffers :meth:`forward` filled; hidden deltas are written to it.
        delta : ndarray of shape (n_samples, n_outputs)
            Gradient of the summed loss with respect to the raw output.
        grad : ndarray of shape (n_params,)
            Receives the gradient of the summed loss with respect to ``params``.
        rng : numpy.random.Generator, default=None
            The generator given to :meth:`forward`; it tells whether the dropout
            masks of that pass apply (it is not drawn from).

        Returns
        -------
        grad : ndarray of shape (n_params,)
            The filled gradient.
        """
        views = workspace.rows(X.shape[0])
        coefs = self._layer_views(params, workspace)[0]
        coef_grads, intercept_grads = self._layer_views(grad, workspace)
        multiply_derivative = self.activation.multiply_derivative
        with_scratch = workspace.scratch is not None
        dropped = rng is not None and self._any_dropout
        ones = views.ones
        last = self.n_layers - 1
        for layer in range(last, -1, -1):
            below = layer - 1
            if layer == 0:
                layer_input = X
            elif dropped and self.dropout[below]:
                layer_input = views.dropped[below]
            else:
                layer_input = views.activations[below]
            _transposed_dot_into(layer_input, delta, coef_grads[layer])
            if layer < last or self.output_intercept:
                _column_sums_into(delta, ones, intercept_grads[layer])
            if layer == 0:
                break
            previous = views.deltas[below]
            _dense_dot_into(delta, coefs[layer].T, previous)
            if dropped and self.dropout[below]:
                previous *= views.masks[below]
            if with_scratch:
                multiply_derivative(
                    previous,
                    views.pre_activations[below],
                    views.activations[below],
                    scratch=views.scratch[below],
                )
            else:
                multiply_derivative(
                    previous, views.pre_activations[below], views.activations[below]
                )
            delta = previous
        return grad

    def predict_raw(self, params, X):
        """Raw output for new data, without keeping intermediate layers.

        Allocates its own arrays, so concurrent calls are safe.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            Flat parameter vector.
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        raw : ndarray of shape (n_samples, n_outputs)
            Raw output (logits).
        """
        return self.predict_raw_layers(self.coefs(params), self.intercepts(params), X)

    def predict_raw_layers(self, coefs, intercepts, X):
        """Raw output from per-layer weights, as :meth:`predict_raw`.

        Parameters
        ----------
        coefs : list of ndarray
            Weight matrices.
        intercepts : list of ndarray
            Intercept vectors.
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        raw : ndarray of shape (n_samples, n_outputs)
            Raw output (logits).
        """
        n_rows = X.shape[0]
        widest = max(self.layer_sizes[1:-1], default=0)
        # Hidden layers are computed for blocks of rows, so that predicting on
        # a large X never holds a hidden layer as big as X.
        block = max(1, _BLOCK_VALUES // widest) if widest else n_rows
        if n_rows <= block:
            return self._predict_block(coefs, intercepts, X)
        first = self._predict_block(coefs, intercepts, X[:block])
        raw = np.empty((n_rows, first.shape[1]), first.dtype)
        raw[:block] = first
        for start in range(block, n_rows, block):
            stop = min(start + block, n_rows)
            raw[start:stop] = self._predict_block(coefs, intercepts, X[start:stop])
        return raw

    def _predict_block(self, coefs, intercepts, X):
        layer_input = X
        last = self.n_layers - 1
        for layer, (coef, intercept) in enumerate(zip(coefs, intercepts, strict=True)):
            output = np.asarray(layer_input @ coef)
            output += intercept
            if layer < last:
                output = self.activation.forward(output, output)
            layer_input = output
        return layer_input

    def predict(self, params, X):
        """Predictions: the output function applied to the raw output.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            Flat parameter vector.
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        output : ndarray of shape (n_samples, n_outputs)
            Probabilities for log-losses, means for regression losses.
        """
        return OUTPUT_FUNCTIONS[self.out_activation](self.predict_raw(params, X))


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
