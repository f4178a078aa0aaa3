"""A feed-forward network of layers over one flat parameter vector.

A network is a sequence of :mod:`~skneural.engine.layers`: by default a
stack of :class:`~skneural.engine.layers.Dense` layers built from layer sizes,
and any other :class:`~skneural.engine.layers.Layer` where the sizes hold one.
All parameters live in a single 1-D array: first every layer's penalised
groups (a dense layer's weight matrix, row-major), then the others (the
intercepts). Layers see views into it, so optimizers update the whole
network with one vectorised operation, L-BFGS sees the vector it expects,
and the penalty touches one contiguous slice, ``params[:n_coef]``.

Training passes run on a :class:`Workspace` of buffers allocated once for the
largest batch; a smaller batch uses the leading rows of each buffer, so a
training epoch allocates no per-batch arrays for dense data.

A network with ``n_members=k`` is an ensemble (see
:mod:`~skneural.engine.ensemble_layers`): its output layer is an
:class:`~skneural.engine.ensemble_layers.EnsembleDense` with a head per
member, its training passes return ``k`` raw outputs per row, side by side,
and the objective minimises the mean of the members' losses. Predictions
average the members' predictions (probabilities, or values), and
:meth:`Network.predict_raw` returns what the output function maps to that
mean: the log of the mean probability for the log-losses, the mean itself
for the identity link, so that every caller that applies the output function
to the raw output (``predict_proba``, ``decision_function``, validation
scores) sees the ensemble's mean prediction.

:meth:`Network.initialize` draws the parameters and, given a batch of
training inputs, lets each layer adjust its own to the data it sees
(:meth:`~skneural.engine.layers.Layer.initialize_from_data`), layer after
layer, as RealMLP initialises its weights and biases.
"""

from numbers import Integral, Real

import numpy as np
from scipy.special import log_expit, logsumexp

from .activations import OUTPUT_FUNCTIONS, get_activation
from .ensemble_layers import EnsembleDense
from .hashing import row_keys
from .initializers import get_initializer
from .layers import Dense, Layer, Noise, allocate_buffers
from .losses import get_loss

__all__ = ["Network", "RowViews", "Workspace", "mean_raw_output"]

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

    Attributes
    ----------
    buffers : list of dict
        Each layer's buffers (see :class:`~skneural.engine.layers.Layer`);
        ``buffers[-1]['output']`` receives the raw output.
    deltas : list of ndarray
        ``deltas[i]`` receives the gradient with respect to layer ``i``'s
        output; the last one the loss gradient of the raw output.
    dropped : list of ndarray or None
        Each layer's dropped-out output, where it has dropout.
    member_targets, member_weights : ndarray or None
        For an ensemble, room for the targets and sample weights repeated
        once per member, of ``n_rows * n_members`` rows; None otherwise.
    scratch : ndarray or None
        The flat scratch space the layers share (None when none needs any).
    """

    def __init__(self, network, n_rows, dtype, n_features_batch=None):
        self.n_rows = n_rows
        self.dtype = np.dtype(dtype)
        widths = network.layer_sizes
        # One scratch buffer, as wide as the widest layer's need, serves each
        # layer in turn; a vector of ones takes column sums as a product.
        scratch_width = max(
            (
                layer.scratch_width(n_inputs)
                for layer, n_inputs in zip(network.layers, widths, strict=False)
            ),
            default=0,
        )
        self.scratch = (
            np.empty(n_rows * scratch_width, dtype) if scratch_width else None
        )
        ones = np.ones(n_rows, dtype)
        self.buffers = [
            allocate_buffers(layer, n_inputs, n_rows, dtype, self.scratch, ones)
            for layer, n_inputs in zip(network.layers, widths, strict=False)
        ]
        self.deltas = [np.empty((n_rows, units), dtype) for units in widths[1:]]
        self.dropped = [buffers.get("dropped") for buffers in self.buffers]
        # An ensemble's targets and sample weights, once per member, so that
        # the loss sees one row per member and sample without allocating.
        self.member_targets = self.member_weights = None
        if network.n_members is not None:
            n_member_rows = n_rows * network.n_members
            self.member_targets = np.empty((n_member_rows, network.n_outputs), dtype)
            self.member_weights = np.empty(n_member_rows, dtype)
        # The L2 term's gradient, so that adding it allocates nothing.
        self.coef_scratch = np.empty(network.n_coef, dtype)
        # Per-layer views of the parameter and gradient arrays, by array id: a
        # training loop passes the same two arrays at every step.
        self.layer_views = {}
        self.X_batch = (
            None
            if n_features_batch is None
            else np.empty((n_rows, n_features_batch), dtype)
        )
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
    buffers : list of dict
        Each layer's buffers, cut.
    deltas : list of ndarray
        Gradients with respect to each layer's output; the last is the raw
        output's.
    inputs : list
        What each layer read in the last forward pass.
    noise : tuple
        Each layer's :class:`~skneural.engine.layers.Noise` of the last
        forward pass (None in a deterministic one).
    """

    def __init__(self, workspace, n_rows):
        self.buffers = [
            {name: buffer[:n_rows] for name, buffer in buffers.items()}
            for buffers in workspace.buffers
        ]
        self.deltas = [delta[:n_rows] for delta in workspace.deltas]
        self.inputs = [None] * len(self.buffers)
        self.noise = (None,) * len(self.buffers)


class Network:
    """Feed-forward network: layers, hidden activation and loss.

    Parameters
    ----------
    layer_sizes : sequence of int or Layer
        ``(n_features, *hidden_layers, n_outputs)``. Two entries give a
        linear model. A hidden entry that is an int ``k`` is a
        ``Dense(k, activation, dropout)`` layer; a
        :class:`~skneural.engine.layers.Layer` is inserted as it is. The
        output is a dense layer of ``n_outputs`` units without activation.
    activation : str or Activation, default='relu'
        Activation of every hidden layer given by its size.
    loss : str or Loss, default='squared_error'
        Loss of the raw output; it fixes the output function.
    dropout : float or sequence of float, default=0.0
        Dropout rate of each hidden layer's output (one rate for all, or one
        per hidden entry), in [0, 1). One rate applies to the layers given by
        their size; a layer instance brings its own (its entry in a sequence
        must be 0). Applied only in training passes that are given a random
        generator (inverted dropout: kept units are scaled by
        ``1 / (1 - rate)``), never in predictions.
    output_intercept : bool, default=True
        Whether the output layer has intercepts. Without them (a linear model
        with ``fit_intercept=False``) the raw output of the last layer is its
        weighted sum alone, and the flat vector holds no slot for them.
    n_members : int or None, default=None
        None for a single network. An int ``k`` makes an ensemble of ``k``
        members: the output layer is ``EnsembleDense(n_outputs, k,
        sharing='none')``, one head per member, so the hidden entries must
        carry ``k`` members' blocks (an
        :class:`~skneural.engine.ensemble_layers.EnsembleInput` and ensemble
        layers after it); training minimises the mean of the members' losses
        and predictions average the members' (see :meth:`predict_raw`).

    Attributes
    ----------
    arguments : dict
        The arguments the network was made with, as given (names stay names):
        ``Network(**network.arguments)`` makes the same network again. A
        persisted estimator stores them instead of the network.
    layers : tuple of Layer
        The layers, output layer included.
    layer_sizes : tuple of int
        Width of the input and of each layer's output (for an ensemble, the
        last is ``n_members * n_outputs``).
    n_outputs : int
        Number of outputs of one prediction.
    n_layers : int
        Number of layers, ``len(layer_sizes) - 1``.
    n_coef : int
        Number of penalised parameters (a dense layer's weights); they
        occupy ``params[:n_coef]``.
    n_params : int
        Length of the flat parameter vector.
    out_activation : str
        Name of the output function.
    needs_rng : bool
        Whether a training pass draws random numbers (dropout).
    """

    def __init__(
        self,
        layer_sizes,
        activation="relu",
        loss="squared_error",
        dropout=0.0,
        output_intercept=True,
        n_members=None,
    ):
        layer_sizes = tuple(layer_sizes)
        self.arguments = {
            "layer_sizes": layer_sizes,
            "activation": activation,
            "loss": loss,
            "dropout": dropout,
            "output_intercept": output_intercept,
            "n_members": n_members,
        }
        self.activation = get_activation(activation)
        self.loss = get_loss(loss)
        self.out_activation = self.loss.out_activation
        self.output_intercept = bool(output_intercept)
        self.n_members = _check_members(n_members, self)
        self.layers = self._build_layers(layer_sizes, dropout)
        widths = [int(layer_sizes[0])]
        for layer in self.layers:
            widths.append(layer.output_width(widths[-1]))
        self.layer_sizes = tuple(widths)
        self.n_outputs = int(layer_sizes[-1])
        self.n_layers = len(self.layers)
        self.needs_rng = any(layer.uses_noise for layer in self.layers)
        self._lay_out()
        if not self.layers[0].accepts_sparse:
            self._check_input = _dense_input
        else:
            self._check_input = None
        self._no_noise = (None,) * self.n_layers

    def _build_layers(self, layer_sizes, dropout):
        """Return the layers the sizes describe; set ``dropout``."""
        entries = list(layer_sizes)
        sizes = [e for i, e in enumerate(entries) if i in (0, len(entries) - 1)]
        sizes += [e for e in entries[1:-1] if not isinstance(e, Layer)]
        if len(entries) < 2 or any(
            isinstance(e, Layer) or not isinstance(e, Real) or int(e) < 1 for e in sizes
        ):
            raise ValueError(
                f"layer_sizes must hold at least two positive sizes (the input's "
                f"and the output's), and sizes or Layer instances between them, "
                f"got {layer_sizes}."
            )
        hidden = entries[1:-1]
        rates = np.asarray(dropout, dtype=float)
        if rates.ndim == 0:
            rates = np.array([0.0 if isinstance(e, Layer) else rates for e in hidden])
        if (
            rates.shape != (len(hidden),)
            or np.any((rates < 0) | (rates >= 1))
            or any(
                rate and isinstance(entry, Layer)
                for entry, rate in zip(hidden, rates, strict=True)
            )
        ):
            raise ValueError(
                f"dropout must be a rate in [0, 1), or one per hidden layer "
                f"({len(hidden)}, 0 for a Layer instance), got {dropout!r}."
            )
        self.dropout = tuple(float(rate) for rate in rates)
        layers = [
            entry
            if isinstance(entry, Layer)
            else Dense(int(entry), self.activation, rate)
            for entry, rate in zip(hidden, self.dropout, strict=True)
        ]
        if self.n_members is None:
            output = Dense(int(entries[-1]), fit_intercept=self.output_intercept)
        else:
            output = EnsembleDense(int(entries[-1]), self.n_members, sharing="none")
        layers.append(output)
        return tuple(layers)

    def _lay_out(self):
        """Place every layer's groups in the flat vector, penalised ones first."""
        self._groups = [
            layer.parameter_groups(n_inputs)
            for layer, n_inputs in zip(self.layers, self.layer_sizes, strict=False)
        ]
        slices = [[None] * len(groups) for groups in self._groups]
        start = 0
        for penalised in (True, False):
            for layer_slices, groups in zip(slices, self._groups, strict=True):
                for index, group in enumerate(groups):
                    if group.penalised == penalised:
                        layer_slices[index] = slice(start, start + group.size)
                        start += group.size
            if penalised:
                self.n_coef = start
        self.n_params = start
        self._slices = slices
        factors = [
            (where, group.learning_rate_factor)
            for groups, layer_slices in zip(self._groups, slices, strict=True)
            for group, where in zip(groups, layer_slices, strict=True)
            if group.learning_rate_factor != 1
        ]
        self._factors = factors or None
        self._dense = [isinstance(layer, Dense) for layer in self.layers]

    def _views(self, params):
        """Return each layer's tuple of parameter views into ``params``."""
        return [
            tuple(
                params[where].reshape(group.shape)
                for group, where in zip(groups, layer_slices, strict=True)
            )
            for groups, layer_slices in zip(self._groups, self._slices, strict=True)
        ]

    def coefs(self, params):
        """Weight matrices of every dense layer, as views into ``params``.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            Flat parameter vector.

        Returns
        -------
        coefs : list of ndarray
            One ``(n_inputs, units)`` matrix per dense layer; for a dense
            stack, ``coefs[i]`` has shape ``(layer_sizes[i], layer_sizes[i + 1])``.
        """
        return [
            views[0]
            for views, dense in zip(self._views(params), self._dense, strict=True)
            if dense
        ]

    def intercepts(self, params):
        """Intercept vectors of every dense layer, as views into ``params``.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            Flat parameter vector.

        Returns
        -------
        intercepts : list of ndarray
            One ``(units,)`` vector per dense layer. A layer without
            intercepts (the output layer without ``output_intercept``) gets a
            new array of zeros, which is not part of ``params``.
        """
        return [
            views[1] if layer.fit_intercept else np.zeros(layer.units, params.dtype)
            for views, layer, dense in zip(
                self._views(params), self.layers, self._dense, strict=True
            )
            if dense
        ]

    def output_intercepts(self, params):
        """Return the output layer's intercepts, as a view into ``params``.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            Flat parameter vector.

        Returns
        -------
        intercepts : ndarray of shape (n_outputs,) or (n_members, n_outputs)
            One row per member for an ensemble. Writing to it sets where
            training starts (e.g. at the target's best constant).

        Raises
        ------
        ValueError
            If the output layer has no intercepts (``output_intercept=False``).
        """
        if not self.output_intercept:
            raise ValueError("The output layer has no intercepts.")
        groups, views = self._groups[-1], self._views(params)[-1]
        return next(
            view
            for group, view in zip(groups, views, strict=True)
            if group.name == "intercept"
        )

    def layer_params(self, params):
        """Return the parameters of every layer that is not dense, as views.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            Flat parameter vector.

        Returns
        -------
        layer_params : list of dict
            One dictionary per layer that is not a
            :class:`~skneural.engine.layers.Dense`, in order, mapping each
            parameter group's name to its array (empty for a dense stack).
        """
        return [
            {group.name: view for group, view in zip(groups, views, strict=True)}
            for groups, views, dense in zip(
                self._groups, self._views(params), self._dense, strict=True
            )
            if not dense
        ]

    def learning_rate_factors(self, dtype):
        """Return each parameter's learning-rate factor, or None when all are 1.

        Parameters
        ----------
        dtype : dtype
            Floating dtype of the parameters.

        Returns
        -------
        factors : ndarray of shape (n_params,) or None
            The factors of the parameter groups, laid out as the parameters;
            None when every factor is 1, so that the step takes a scalar rate
            and no extra pass.
        """
        if self._factors is None:
            return None
        factors = np.ones(self.n_params, dtype)
        for where, factor in self._factors:
            factors[where] = factor
        return factors

    def _layer_views(self, params, workspace):
        """Each layer's parameter views, cached on the workspace."""
        cached = workspace.layer_views.get(id(params))
        # The identity check guards against a freed array's reused id.
        if cached is not None and cached[0] is params:
            return cached[1]
        views = self._views(params)
        if len(workspace.layer_views) >= 4:
            workspace.layer_views.clear()
        workspace.layer_views[id(params)] = (params, views)
        return views

    def _assemble(self, coefs, intercepts, layer_params):
        """Return each layer's parameter tuple from per-layer arrays."""
        coefs, intercepts, others = iter(coefs), iter(intercepts), iter(layer_params)
        assembled = []
        for groups, dense in zip(self._groups, self._dense, strict=True):
            if dense:
                arrays = (next(coefs), next(intercepts))
            else:
                named = next(others)
                missing = {group.name for group in groups} - set(named)
                if missing:
                    raise ValueError(
                        f"layer parameters {sorted(missing)} are missing from "
                        f"{sorted(named)}."
                    )
                arrays = tuple(named[group.name] for group in groups)
            assembled.append(arrays[: len(groups)])
        return assembled

    def pack(self, coefs, intercepts, dtype=None, layer_params=()):
        """Build a flat parameter vector from per-layer arrays.

        Parameters
        ----------
        coefs : list of ndarray
            Weight matrices, shaped as :meth:`coefs` returns them.
        intercepts : list of ndarray
            Intercept vectors; those of a layer without intercepts are not
            used.
        dtype : dtype, default=None
            Dtype of the result; that of ``coefs[0]`` when None.
        layer_params : list of dict, default=()
            Parameters of the layers that are not dense, as
            :meth:`layer_params` returns them.

        Returns
        -------
        params : ndarray of shape (n_params,)
            The flat vector (a new array).
        """
        dtype = coefs[0].dtype if dtype is None else dtype
        n_dense = sum(self._dense)
        counts = (len(coefs), len(intercepts), len(layer_params))
        if counts != (n_dense, n_dense, self.n_layers - n_dense):
            raise ValueError(
                f"{counts[0]} coefficient matrices, {counts[1]} intercept vectors "
                f"and {counts[2]} sets of layer parameters do not fit the "
                f"network, which has {n_dense} dense layers and "
                f"{self.n_layers - n_dense} others."
            )
        params = np.empty(self.n_params, dtype=dtype)
        arrays = self._assemble(coefs, intercepts, layer_params)
        for views, values in zip(self._views(params), arrays, strict=True):
            for view, value in zip(views, values, strict=True):
                if view.shape != np.shape(value):
                    raise ValueError(
                        f"parameter shape {np.shape(value)} does not fit the "
                        f"network, expected {view.shape}."
                    )
                view[...] = value
        return params

    def initialize(self, rng, weight_init="glorot_uniform", dtype=np.float64, X=None):
        """Draw initial parameters, layer after layer, and fit them to ``X``.

        Parameters
        ----------
        rng : numpy.random.Generator
            Source of randomness.
        weight_init : str or Initializer, default='glorot_uniform'
            Initialisation scheme.
        dtype : dtype, default=np.float64
            Floating dtype of the parameters.
        X : {ndarray, sparse matrix} of shape (n_samples, n_features), default=None
            A batch of training inputs. When given, once every layer has
            drawn its parameters, each layer in turn adjusts them to the
            inputs it receives
            (:meth:`~skneural.engine.layers.Layer.initialize_from_data`),
            then passes its output on. Required when a layer has a
            data-dependent initialisation.

        Returns
        -------
        params : ndarray of shape (n_params,)
            Flat parameter vector.

        Raises
        ------
        ValueError
            If a layer needs data to initialise and ``X`` is None, or ``X``
            is empty.
        """
        initializer = get_initializer(weight_init, self.activation.name)
        params = np.empty(self.n_params, dtype=dtype)
        layer_views = self._views(params)
        for layer, n_inputs, views in zip(
            self.layers, self.layer_sizes, layer_views, strict=False
        ):
            values = layer.initialize(rng, n_inputs, initializer, dtype)
            for view, value in zip(views, values, strict=True):
                view[...] = value
        if X is None:
            needing = [layer for layer in self.layers if layer.initializes_from_data]
            if needing:
                raise ValueError(
                    f"{needing[0]!r} initialises from data: pass a batch of "
                    "training inputs as X."
                )
            return params
        if self._check_input is not None:
            self._check_input(X, self.layers[0])
        if X.shape[0] < 1:
            raise ValueError("X must hold at least one row to initialise from.")
        layer_input = X
        for layer, views in zip(self.layers, layer_views, strict=True):
            layer.initialize_from_data(views, layer_input, rng)
            layer_input = layer.predict(views, layer_input)
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
            Buffers, filled with the layers' outputs.
        rng : numpy.random.Generator, default=None
            Draws the seed of this pass's dropout masks (see
            :mod:`skneural.engine.dropout`); without it no unit is dropped.

        Returns
        -------
        raw : ndarray of shape (n_samples, n_outputs)
            Raw output (logits), a view into the workspace.
        """
        if self._check_input is not None:
            self._check_input(X, self.layers[0])
        views = workspace.rows(X.shape[0])
        noise = self._no_noise
        if rng is not None and self.needs_rng:
            seed = int(rng.integers(np.iinfo(np.int64).max))
            keys = row_keys(X)
            noise = tuple(Noise(keys, seed, index) for index in range(self.n_layers))
        views.noise = noise
        inputs = views.inputs
        layer_input = X
        layer_params = self._layer_views(params, workspace)
        for index, layer in enumerate(self.layers):
            inputs[index] = layer_input
            layer_input = layer.forward(
                layer_params[index], layer_input, views.buffers[index], noise[index]
            )
        return layer_input

    def backward(self, params, X, workspace, delta, grad, rng=None):
        """Back-propagate ``delta``, the loss gradient of the raw output.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            Flat parameter vector used in the preceding :meth:`forward`.
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
            The same inputs.
        workspace : Workspace
            The buffers :meth:`forward` filled; the deltas are written to it.
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
        layer_params = self._layer_views(params, workspace)
        layer_grads = self._layer_views(grad, workspace)
        noise = self._no_noise if rng is None else views.noise
        inputs, deltas, buffers = views.inputs, views.deltas, views.buffers
        inputs[0] = X
        for index in range(self.n_layers - 1, -1, -1):
            delta_in = deltas[index - 1] if index else None
            self.layers[index].backward(
                layer_params[index],
                inputs[index],
                delta,
                layer_grads[index],
                delta_in,
                buffers[index],
                noise[index],
            )
            delta = delta_in
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
            Raw output (logits). For an ensemble, the raw output whose
            output function is the mean of the members' predictions: the
            log of the mean probability (softmax), its logit (logistic),
            the log of the mean (exp) or the mean (identity).
        """
        return self._mean_raw(self._predict_blocks(self._views(params), X))

    def predict_member_raw(self, params, X):
        """Raw output of each member of an ensemble.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            Flat parameter vector.
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        raw : ndarray of shape (n_samples, n_members, n_outputs)
            Each member's raw output; ``n_members`` is 1 for a single
            network.
        """
        raw = self._predict_blocks(self._views(params), X)
        return raw.reshape(raw.shape[0], self.n_members or 1, self.n_outputs)

    def _mean_raw(self, raw):
        """Return the raw output of the members' mean prediction (see predict_raw)."""
        if self.n_members is None:
            return raw
        members = raw.reshape(raw.shape[0], self.n_members, self.n_outputs)
        return mean_raw_output(self.out_activation, members)

    def predict_raw_layers(self, coefs, intercepts, X, layer_params=()):
        """Raw output from per-layer arrays, as :meth:`predict_raw`.

        Parameters
        ----------
        coefs : list of ndarray
            Weight matrices of the dense layers.
        intercepts : list of ndarray
            Intercept vectors of the dense layers.
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
            Inputs.
        layer_params : list of dict, default=()
            Parameters of the other layers, as :meth:`layer_params` gives them.

        Returns
        -------
        raw : ndarray of shape (n_samples, n_outputs)
            Raw output (logits).
        """
        return self._mean_raw(
            self._predict_blocks(self._assemble(coefs, intercepts, layer_params), X)
        )

    def _predict_blocks(self, layer_params, X):
        if self._check_input is not None:
            self._check_input(X, self.layers[0])
        n_rows = X.shape[0]
        widest = max(self.layer_sizes[1:-1], default=0)
        # Hidden layers are computed for blocks of rows, so that predicting on
        # a large X never holds a hidden layer as big as X.
        block = max(1, _BLOCK_VALUES // widest) if widest else n_rows
        if n_rows <= block:
            return self._predict_block(layer_params, X)
        first = self._predict_block(layer_params, X[:block])
        raw = np.empty((n_rows, first.shape[1]), first.dtype)
        raw[:block] = first
        for start in range(block, n_rows, block):
            stop = min(start + block, n_rows)
            raw[start:stop] = self._predict_block(layer_params, X[start:stop])
        return raw

    def _predict_block(self, layer_params, X):
        layer_input = X
        for layer, params in zip(self.layers, layer_params, strict=True):
            layer_input = layer.predict(params, layer_input)
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
            Probabilities for log-losses, means for regression losses; for
            an ensemble, the mean of the members' probabilities or means.
        """
        return OUTPUT_FUNCTIONS[self.out_activation](self.predict_raw(params, X))


def mean_raw_output(out_activation, members):
    """Return the raw output that ``out_activation`` maps to the members' mean.

    Averaging predictions, not raw outputs: for the logistic and softmax
    outputs the mean of the members' probabilities, for ``'exp'`` the mean
    of their means, each expressed as a raw output (a logit, or a log) with
    log-sum-exps, so that no member's exponential overflows. An ensemble
    network's prediction and the average of several networks are both this.

    Parameters
    ----------
    out_activation : {'identity', 'exp', 'logistic', 'softmax'}
        Name of the output function.
    members : ndarray of shape (n_samples, n_members, n_outputs)
        Raw output of each member.

    Returns
    -------
    raw : ndarray of shape (n_samples, n_outputs)
        Raw output of the mean prediction.
    """
    return _MEAN_RAW[out_activation](members)


def _mean_identity(members):
    return members.mean(axis=1)


def _mean_exp(members):
    # log(mean_m e^z_m), from the log-sum-exp: no member's exp can overflow.
    return logsumexp(members, axis=1) - np.log(members.shape[1])


def _mean_logistic(members):
    # The logit of the mean probability, log(p) - log(1 - p), both logs taken
    # from log-sigmoids: p near 0 or 1 keeps its precision.
    return logsumexp(log_expit(members), axis=1) - logsumexp(
        log_expit(-members), axis=1
    )


def _mean_softmax(members):
    log_probabilities = members - logsumexp(members, axis=2, keepdims=True)
    return logsumexp(log_probabilities, axis=1) - np.log(members.shape[1])


# For each output function, the raw output that it maps to the mean of the
# members' outputs.
_MEAN_RAW = {
    "identity": _mean_identity,
    "exp": _mean_exp,
    "logistic": _mean_logistic,
    "softmax": _mean_softmax,
}


def _check_members(n_members, network):
    """Return ``n_members`` checked: None, or a positive int the loss can average."""
    if n_members is None:
        return None
    if (
        isinstance(n_members, bool)
        or not isinstance(n_members, Integral)
        or (n_members < 1)
    ):
        raise ValueError(
            f"n_members must be a positive integer or None, got {n_members!r}."
        )
    if network.out_activation not in _MEAN_RAW:
        raise ValueError(
            f"An ensemble averages its members' predictions through the output "
            f"function, and {network.out_activation!r} (loss "
            f"{network.loss.name!r}) has no known mean; use one of "
            f"{sorted(_MEAN_RAW)}."
        )
    if not network.output_intercept:
        raise ValueError(
            "An ensemble's output layer has intercepts: output_intercept=False "
            "cannot be combined with n_members."
        )
    return int(n_members)


def _dense_input(X, layer):
    """Refuse a sparse ``X`` for a first layer that takes only arrays."""
    if not isinstance(X, np.ndarray):
        raise TypeError(
            f"The first layer, {layer!r}, takes a dense array, not a sparse "
            f"matrix ({type(X).__name__}); densify X or put a Dense layer first."
        )
