"""Layers of tabular MLPs: embeddings, feature scales, learned activations.

These are the input-side pieces of RealMLP-TD (Holzmüller et al., "Better by
default: strong pre-tuned MLPs and boosted trees on tabular data", NeurIPS
2024), written to the :class:`~skneural.engine.layers.Layer` contract; the
defaults are those of its reference code, pytabkit's
``DefaultParams.RealMLP_TD_CLASS``. RealMLP-TD's first layers read::

    CategoricalEmbedding(columns=codes, cardinalities=levels, dim=8),
    PeriodicEmbedding(columns=numeric), FeatureScale(),
    Dense(256, parametrization="ntk"), ParametricActivation("selu"), ...

- :class:`CategoricalEmbedding` replaces each column of integer codes of a
  categorical feature with many levels by a learned vector of its level
  (one-hot columns are kept for features with few levels);
- :class:`FeatureScale` multiplies each input column by a learned factor,
  started at 1 and trained with a learning rate 6 times the network's, so
  that the network can quickly turn unhelpful features down;
- :class:`PeriodicEmbedding` is RealMLP's "PBLD" numeric embedding, after
  Gorishniy et al., "On embeddings for numerical features in tabular deep
  learning" (NeurIPS 2022): each numeric column ``x`` becomes
  ``cos(2 pi w x + b) V + c`` for learned frequencies ``w``, phases ``b``
  and a small per-feature linear map ``(V, c)``, and the raw columns are
  kept beside the embeddings (the "densenet" connection);
- :class:`ParametricActivation` is ``(1 - alpha) z + alpha f(z)`` with one
  learned ``alpha`` per unit, started at 1 (plain ``f``): SELU for
  classification and Mish for regression in RealMLP-TD.

None of them takes a sparse matrix. Their parameters are drawn by the layers
themselves, as the papers prescribe; they ignore the network's initializer.
"""

import functools
from numbers import Integral, Real

import numpy as np

from .activations import Mish, ReLU, get_activation
from .kernels import accepts, get_kernels
from .layers import Layer, ParameterGroup, _takes_scratch

__all__ = [
    "CategoricalEmbedding",
    "FeatureScale",
    "ParametricActivation",
    "PeriodicEmbedding",
]

_TWO_PI = 2.0 * np.pi


def _check_factor(learning_rate_factor):
    if isinstance(learning_rate_factor, bool) or not (
        isinstance(learning_rate_factor, Real) and learning_rate_factor >= 0
    ):
        raise ValueError(
            "learning_rate_factor must be a real number >= 0, got "
            f"{learning_rate_factor!r}."
        )
    return float(learning_rate_factor)


def _check_positive_integer(name, value):
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)


def _fused_kernels(*groups):
    """Return the kernels if they take every group of arrays, else None.

    The arrays of a group share a shape; all of them share one float dtype.
    """
    kernels = get_kernels()
    if kernels is None or not all(accepts(*group) for group in groups):
        return None
    if len({group[0].dtype for group in groups}) > 1:
        return None
    return kernels


def _column_sums_of_products(left, right, out):
    """Write ``sum(left * right, axis=0)`` into ``out`` without a temporary."""
    return np.einsum("ij,ij->j", left, right, out=out)


class FeatureScale(Layer):
    """A learned scale per input column, ``X * scale``: RealMLP's scaling layer.

    Parameters
    ----------
    learning_rate_factor : float, default=6.0
        Multiplies the learning rate of the scales; RealMLP-TD's
        ``scale_lr_factor`` is 6, so that a scale can fall from 1 towards 0
        (a feature switched off) within a few epochs.
    penalised : bool, default=False
        Whether the penalty and decoupled weight decay apply to the scales.
        They pull towards 0, not towards the initial 1, so they stay off by
        default; pytabkit decays the scales with its global weight decay.

    Notes
    -----
    One unpenalised group ``'scale'`` of shape ``(n_inputs,)``, initialised
    to ones.

    Examples
    --------
    >>> import numpy as np
    >>> from skneural.engine.tabular_layers import FeatureScale
    >>> layer = FeatureScale()
    >>> (scale,) = layer.initialize(np.random.default_rng(0), 3, None, np.float64)
    >>> scale
    array([1., 1., 1.])
    >>> layer.predict((np.array([1.0, 0.5, 0.0]),), np.array([[2.0, 2.0, 2.0]]))
    array([[2., 1., 0.]])
    """

    def __init__(self, learning_rate_factor=6.0, penalised=False):
        self.learning_rate_factor = _check_factor(learning_rate_factor)
        self.penalised = bool(penalised)

    def parameter_groups(self, n_inputs):  # noqa: D102
        return (
            ParameterGroup(
                "scale", (n_inputs,), self.penalised, self.learning_rate_factor
            ),
        )

    def initialize(self, rng, n_inputs, initializer, dtype):  # noqa: D102
        return (np.ones(n_inputs, dtype),)

    def forward(self, params, X, buffers, noise):  # noqa: D102
        return np.multiply(X, params[0], out=buffers["output"])

    def backward(self, params, X, delta, grads, delta_in, buffers, noise):  # noqa: D102
        _column_sums_of_products(X, delta, grads[0])
        if delta_in is not None:
            np.multiply(delta, params[0], out=delta_in)


class PeriodicEmbedding(Layer):
    r"""Periodic embeddings of numeric columns, the raw columns kept beside them.

    RealMLP's "PBLD" embedding (periodic, bias, linear, densenet). Each
    embedded column ``x_j`` becomes ``embedding_width`` values

    .. math::

        e_j = \phi\big(\cos(2 \pi x_j w_j + b_j) V_j + c_j\big),

    with ``n_frequencies`` learned frequencies :math:`w_j` and phases
    :math:`b_j`, a learned per-column linear map :math:`(V_j, c_j)` and an
    optional activation :math:`\phi` (none in PBLD). The output is the
    embeddings of the embedded columns, column by column, followed by the
    whole input unchanged: ``[e_0, e_1, ..., X]``, of width
    ``n_embedded * embedding_width + n_inputs``.

    Parameters
    ----------
    n_frequencies : int, default=16
        Number of frequencies per column (pytabkit's ``plr_hidden_1``).
    embedding_width : int, default=3
        Width of each column's embedding (pytabkit's ``plr_hidden_2 = 4``
        counts the raw value as a fourth).
    sigma : float, default=0.1
        Standard deviation of the initial frequencies, drawn from
        ``N(0, sigma**2)``; RealMLP-TD's ``plr_sigma``. It sets how wiggly
        the initial embedding is over the (robustly scaled) feature's range.
    activation : str, Activation or None, default=None
        Applied to the linear maps' outputs: None in PBLD, ``'relu'`` gives
        PBLRD (and the PLR of Gorishniy et al. without the raw values).
    columns : array-like of int or None, default=None
        Indices of the columns to embed (the numeric ones; one-hot columns
        are better left alone); None embeds every column. Every column,
        embedded or not, is passed through after the embeddings.
    learning_rate_factor : float, default=0.1
        Multiplies the learning rate of every group; RealMLP-TD's
        ``plr_lr_factor``.

    Notes
    -----
    Four penalised groups, as pytabkit applies weight decay to all of them:
    ``'frequencies'`` and ``'phases'`` of shape ``(n_embedded,
    n_frequencies)``, ``'coef'`` of shape ``(n_embedded, n_frequencies,
    embedding_width)`` and ``'intercept'`` of shape ``(n_embedded,
    embedding_width)``. Frequencies are drawn from ``N(0, sigma**2)``,
    phases from ``U(-pi, pi)`` (pytabkit's choice over ``U(0, 2 pi)``: the
    same functions with smaller values under weight decay), ``coef`` and
    ``intercept`` from ``U(-1, 1) / sqrt(n_frequencies)`` as PyTorch's
    ``Linear``. The phase is added after the ``2 pi`` factor, as in
    pytabkit.

    Examples
    --------
    >>> import numpy as np
    >>> from skneural.engine.tabular_layers import PeriodicEmbedding
    >>> layer = PeriodicEmbedding(columns=[0, 1])
    >>> layer.output_width(3)  # 2 columns x 3 values, then the 3 raw columns
    9
    >>> [group.shape for group in layer.parameter_groups(3)]
    [(2, 16), (2, 16), (2, 16, 3), (2, 3)]
    """

    def __init__(
        self,
        n_frequencies=16,
        embedding_width=3,
        sigma=0.1,
        activation=None,
        columns=None,
        learning_rate_factor=0.1,
    ):
        self.n_frequencies = _check_positive_integer("n_frequencies", n_frequencies)
        self.embedding_width = _check_positive_integer(
            "embedding_width", embedding_width
        )
        if isinstance(sigma, bool) or not (isinstance(sigma, Real) and sigma > 0):
            raise ValueError(f"sigma must be a real number > 0, got {sigma!r}.")
        self.sigma = float(sigma)
        self.activation = None if activation is None else get_activation(activation)
        self.columns = None if columns is None else _check_columns(columns)
        self.learning_rate_factor = _check_factor(learning_rate_factor)

    def _n_embedded(self, n_inputs):
        if self.columns is None:
            return n_inputs
        if self.columns[-1] >= n_inputs:
            raise ValueError(
                f"columns holds index {self.columns[-1]}, but the input has "
                f"only {n_inputs} columns."
            )
        return len(self.columns)

    def output_width(self, n_inputs):  # noqa: D102
        return self._n_embedded(n_inputs) * self.embedding_width + n_inputs

    def parameter_groups(self, n_inputs):  # noqa: D102
        n, f, e = self._n_embedded(n_inputs), self.n_frequencies, self.embedding_width
        factor = self.learning_rate_factor
        return (
            ParameterGroup("frequencies", (n, f), True, factor),
            ParameterGroup("phases", (n, f), True, factor),
            ParameterGroup("coef", (n, f, e), True, factor),
            ParameterGroup("intercept", (n, e), True, factor),
        )

    def initialize(self, rng, n_inputs, initializer, dtype):  # noqa: D102
        n, f, e = self._n_embedded(n_inputs), self.n_frequencies, self.embedding_width
        bound = 1.0 / np.sqrt(f)
        arrays = (
            self.sigma * rng.standard_normal((n, f)),
            rng.uniform(-np.pi, np.pi, (n, f)),
            rng.uniform(-bound, bound, (n, f, e)),
            rng.uniform(-bound, bound, (n, e)),
        )
        return tuple(array.astype(dtype, copy=False) for array in arrays)

    def buffer_widths(self, n_inputs):  # noqa: D102
        n = self._n_embedded(n_inputs)
        widths = {
            "angles": n * self.n_frequencies,
            "cosines": n * self.n_frequencies,
            # Filled by the compiled forward pass only.
            "sines": n * self.n_frequencies,
            "linear": n * self.embedding_width,
        }
        if self.columns is not None:
            widths["embedded"] = n
        return widths

    def scratch_width(self, n_inputs):  # noqa: D102
        # The gradients of the linear maps' outputs and of the cosines, and
        # the sines.
        n = self._n_embedded(n_inputs)
        return n * (self.embedding_width + 2 * self.n_frequencies)

    def forward(self, params, X, buffers, noise):  # noqa: D102
        frequencies, phases, coef, intercept = params
        embedded = self._embedded(X, buffers)
        angles, cosines, linear = self._column_major(buffers, *embedded.shape)
        output = buffers["output"]
        kernels = self._forward_kernels(params, embedded, buffers)
        if kernels is not None:
            # The angles and cosines that the NumPy backward pass reads are
            # written too, beside the sines that the compiled one reads.
            sines = _view_as(buffers["sines"], angles.shape)
            kernels.periodic_angles(
                embedded, frequencies, phases, angles, sines, cosines
            )
            kernels.periodic_linear_maps(cosines, coef, intercept, output)
            output[:, linear.shape[0] * self.embedding_width :] = X
            return output
        np.multiply(embedded.T[:, :, None], frequencies[:, None, :], out=angles)
        angles *= _TWO_PI
        angles += phases[:, None, :]
        np.cos(angles, out=cosines)
        np.matmul(cosines, coef, out=linear)
        linear += intercept[:, None, :]
        embeddings = self._embeddings(output, linear.shape)
        if self.activation is None:
            np.copyto(embeddings, linear)
        else:
            self.activation.forward(linear, embeddings)
        output[:, linear.shape[0] * self.embedding_width :] = X
        return output

    def backward(self, params, X, delta, grads, delta_in, buffers, noise):  # noqa: D102
        frequencies, phases, coef, intercept = params
        g_frequencies, g_phases, g_coef, g_intercept = grads
        # The forward pass gathered the embedded columns.
        embedded = X if self.columns is None else buffers["embedded"]
        angles, cosines, linear = self._column_major(buffers, *embedded.shape)
        n_embedded, n_rows, n_frequencies = angles.shape
        flat = _view_as(buffers["scratch"], -1)
        # The linear maps' gradient is spent before the gradient through
        # the angles is written: the two share the start of the scratch.
        through_angles = flat[: n_embedded * n_rows].reshape(n_embedded, n_rows)
        # The forward pass took the kernel whenever the backward pass does:
        # the sines are there.
        kernels = self._forward_kernels(params, embedded, buffers) and _fused_kernels(
            (embedded,),
            (frequencies, g_frequencies, g_phases),
            (coef, g_coef),
            (g_intercept,),
            (delta,),
            (through_angles,),
        )
        if kernels is not None:
            kernels.periodic_embedding_backward(
                embedded,
                frequencies,
                coef,
                _view_as(buffers["sines"], angles.shape),
                cosines,
                delta,
                g_frequencies,
                g_phases,
                g_coef,
                g_intercept,
                through_angles,
            )
            self._add_input_gradient(delta, delta_in, through_angles)
            return
        d_linear = flat[: linear.size].reshape(linear.shape)
        end = linear.size + angles.size
        d_cosines = flat[linear.size : end].reshape(angles.shape)
        sines = flat[end : end + angles.size].reshape(angles.shape)

        np.copyto(d_linear, self._embeddings(delta, linear.shape))
        if self.activation is not None:
            activated = self._embeddings(buffers["output"], linear.shape)
            self.activation.multiply_derivative(d_linear, linear, activated)
        np.sum(d_linear, axis=1, out=g_intercept)
        np.matmul(cosines.transpose(0, 2, 1), d_linear, out=g_coef)
        np.matmul(d_linear, coef.transpose(0, 2, 1), out=d_cosines)
        # d cos(a) / da = -sin(a): this is the angles' gradient, negated.
        np.sin(angles, out=sines)
        d_cosines *= sines
        np.sum(d_cosines, axis=1, out=g_phases)
        g_phases *= -1
        np.einsum("knf,nk->kf", d_cosines, embedded, out=g_frequencies)
        g_frequencies *= -_TWO_PI
        if delta_in is None:
            return
        np.einsum("knf,kf->kn", d_cosines, frequencies, out=through_angles)
        through_angles *= -_TWO_PI
        self._add_input_gradient(delta, delta_in, through_angles)

    def _forward_kernels(self, params, embedded, buffers):
        """Return the kernels if they compute this embedding's forward pass."""
        if self.activation is not None:
            return None
        frequencies, phases, coef, intercept = params
        return _fused_kernels(
            (embedded,),
            (buffers["angles"], buffers["sines"], buffers["cosines"]),
            (frequencies, phases),
            (coef,),
            (intercept,),
            (buffers["output"],),
        )

    def _add_input_gradient(self, delta, delta_in, through_angles):
        """Write the inputs' gradient: passed through, plus through the angles."""
        if delta_in is None:
            return
        n_embedded = through_angles.shape[0]
        np.copyto(delta_in, delta[:, n_embedded * self.embedding_width :])
        if self.columns is None:
            delta_in += through_angles.T
        else:
            # Column by column: a fancy-indexed += would copy the columns.
            for through, column in zip(through_angles, self.columns, strict=True):
                delta_in[:, column] += through

    def _embedded(self, X, buffers):
        if self.columns is None:
            return X
        # mode="raise" would buffer the output; the indices are checked.
        return np.take(X, self.columns, axis=1, out=buffers["embedded"], mode="clip")

    def _column_major(self, buffers, n_rows, n_embedded):
        """Return views of the angles, cosines and linear outputs, column by column.

        Each buffer holds ``(n_embedded, n_rows, width)`` in its memory, so
        that one batched product serves every column.
        """
        f, e = self.n_frequencies, self.embedding_width
        return (
            _view_as(buffers["angles"], (n_embedded, n_rows, f)),
            _view_as(buffers["cosines"], (n_embedded, n_rows, f)),
            _view_as(buffers["linear"], (n_embedded, n_rows, e)),
        )

    def _embeddings(self, array, shape):
        """Return the embeddings of an output-shaped array, viewed as ``shape``."""
        n_embedded, n_rows, width = shape
        part = array[:, : n_embedded * width]
        return part.reshape(n_rows, n_embedded, width).transpose(1, 0, 2)


def _view_as(buffer, shape):
    """Reshape a buffer, refusing the copy that would lose what is written to it."""
    view = buffer.reshape(shape)
    if not np.may_share_memory(view, buffer):
        raise ValueError("A layer buffer must be C-contiguous to be viewed anew.")
    return view


def _check_columns(columns):
    array = np.asarray(columns)
    if (
        array.ndim != 1
        or array.size == 0
        or not np.issubdtype(array.dtype, np.integer)
        or array.min() < 0
        or np.any(np.diff(array) <= 0)
    ):
        raise ValueError(
            "columns must be None or a non-empty increasing sequence of "
            f"non-negative column indices, got {columns!r}."
        )
    return tuple(int(index) for index in array)


class ParametricActivation(Layer):
    """An activation mixed with the identity by a learned weight per unit.

    ``g(z) = (1 - alpha) z + alpha f(z) = z + alpha (f(z) - z)``, with one
    ``alpha`` per column, initialised to 1 (the plain activation ``f``): the
    network can make each unit more linear where that fits the data better.
    RealMLP-TD places it after each hidden dense layer.

    Parameters
    ----------
    activation : str or Activation, default='selu'
        The activation ``f``: RealMLP-TD uses ``'selu'`` for classification
        and ``'mish'`` for regression.
    learning_rate_factor : float, default=0.1
        Multiplies the learning rate of ``alpha``; RealMLP-TD's
        ``act_lr_factor``.
    penalised : bool, default=True
        Whether the penalty and decoupled weight decay apply to ``alpha``;
        they pull it towards 0, the identity. pytabkit decays it.

    Notes
    -----
    One group ``'mixing'`` of shape ``(n_inputs,)``, initialised to ones.
    The layer is stable wherever ``f`` is: with SELU and Mish it stays finite
    and silent at inputs of ``±1e4`` and beyond.

    Examples
    --------
    >>> import numpy as np
    >>> from skneural.engine.tabular_layers import ParametricActivation
    >>> layer = ParametricActivation("relu")
    >>> mixing = np.array([1.0, 0.5, 0.0])
    >>> layer.predict((mixing,), np.array([[-2.0, -2.0, -2.0]]))
    array([[ 0., -1., -2.]])
    """

    def __init__(self, activation="selu", learning_rate_factor=0.1, penalised=True):
        self.activation = get_activation(activation)
        self.learning_rate_factor = _check_factor(learning_rate_factor)
        self.penalised = bool(penalised)

    def parameter_groups(self, n_inputs):  # noqa: D102
        return (
            ParameterGroup(
                "mixing", (n_inputs,), self.penalised, self.learning_rate_factor
            ),
        )

    def initialize(self, rng, n_inputs, initializer, dtype):  # noqa: D102
        return (np.ones(n_inputs, dtype),)

    def buffer_widths(self, n_inputs):  # noqa: D102
        if type(self.activation) is Mish:
            # e^z, which the compiled forward pass keeps for the backward.
            return {"activated": n_inputs, "exponentials": n_inputs}
        return {"activated": n_inputs}

    def scratch_width(self, n_inputs):  # noqa: D102
        # f(z) - z, then the activation's own scratch.
        return (2 if _takes_scratch(self.activation) else 1) * n_inputs

    @property
    def _mish(self):
        return type(self.activation) is Mish

    def _exponentials(self, buffers):
        # ReLU's kernels take the activated values in their place, unread.
        return buffers["exponentials"] if self._mish else buffers["activated"]

    def _fused(self, params, buffers, *arrays, grads=()):
        """Return the kernels if they compute this activation on these arrays.

        ``arrays`` and the layer's buffers share a shape, ``params`` and
        ``grads`` another.
        """
        if not self._mish and type(self.activation) is not ReLU:
            return None
        kept = (buffers["activated"], self._exponentials(buffers), buffers["output"])
        return _fused_kernels((*kept, *arrays), (*params, *grads))

    def forward(self, params, X, buffers, noise):  # noqa: D102
        activated, output = buffers["activated"], buffers["output"]
        kernels = self._fused(params, buffers, X)
        if kernels is not None:
            kernels.mixed_activation(
                X, params[0], activated, self._exponentials(buffers), output, self._mish
            )
            return output
        activated = self.activation.forward(X, activated)
        output = np.subtract(activated, X, out=output)
        output *= params[0]
        output += X
        return output

    def backward(self, params, X, delta, grads, delta_in, buffers, noise):  # noqa: D102
        n_inputs = X.shape[1]
        activated = buffers["activated"]
        # The forward pass took the kernel whenever the backward pass does:
        # the exponentials are there.
        kernels = (
            None
            if delta_in is None
            else self._fused(params, buffers, X, delta, delta_in, grads=grads)
        )
        if kernels is not None:
            kernels.mixed_activation_backward(
                X,
                activated,
                self._exponentials(buffers),
                params[0],
                delta,
                grads[0],
                delta_in,
                self._mish,
            )
            return
        scratch = buffers["scratch"]
        difference = np.subtract(buffers["activated"], X, out=scratch[:, :n_inputs])
        _column_sums_of_products(delta, difference, grads[0])
        if delta_in is None:
            return
        # g'(z) = 1 + alpha (f'(z) - 1): delta + alpha (delta f'(z) - delta).
        np.copyto(delta_in, delta)
        z = X if self.activation.needs_input else None
        # A second block of scratch exists when the activation takes one
        # (asking inspect on every batch would cost more than a small layer).
        if scratch.shape[1] > n_inputs:
            self.activation.multiply_derivative(
                delta_in, z, buffers["activated"], scratch=scratch[:, n_inputs:]
            )
        else:
            self.activation.multiply_derivative(delta_in, z, buffers["activated"])
        delta_in -= delta
        delta_in *= params[0]
        delta_in += delta


class CategoricalEmbedding(Layer):
    """Learned embeddings of integer-coded categorical columns.

    RealMLP's embedding of the categorical features with many levels
    (pytabkit's ``SingleEmbeddingLayer``). The network's input is one float
    array in which each column of ``columns`` holds the integer code of a
    level; each such column becomes the ``dim`` learned values of its code's
    row in that column's table. The output is the input's other columns, in
    order, followed by the embeddings, column by column: ``[X_other,
    E_0[x_0], E_1[x_1], ...]``, of width ``n_inputs - n_embedded + n_embedded
    * dim``.

    Parameters
    ----------
    columns : array-like of int
        Increasing indices of the input columns that hold codes: integers
        stored as floats, those of ``columns[k]`` in
        ``range(cardinalities[k])``.
    cardinalities : array-like of int
        Number of codes of each column of ``columns``, at least 1. Code 0
        stands for a level that training did not see, as
        :class:`~skneural._tabular_preprocessing.TabularPreprocessor` writes
        its codes.
    dim : int, default=8
        Number of values of each embedding; RealMLP-TD's ``embedding_size``.
    learning_rate_factor : float, default=1.0
        Multiplies the learning rate of the tables; pytabkit's
        ``emb_lr_factor`` is 1.
    penalised : bool, default=True
        Whether the penalty and decoupled weight decay apply to the tables;
        pytabkit decays them with its global weight decay.

    Notes
    -----
    One group ``'table_<k>'`` of shape ``(cardinalities[k], dim)`` per code
    column. Its rows are drawn from ``N(0, 1)``, pytabkit's default
    ``emb_init_mode='normal'`` (the scale of the robustly scaled numeric
    columns beside them), except row 0, the unknown code, which starts at 0.
    In pytabkit code 0 also stands for missing values, so training updates
    it; here missing values have a level of their own and code 0 occurs only
    in new data, so its row gets no gradient: a random draw would be noise at
    prediction time, while 0 makes an unseen level add nothing, as its row
    of zeros in a one-hot block does (pytabkit's ``'kaiming-uniform-t'``
    initialisation zeroes it too).

    Codes are rounded to the nearest integer. Every pass refuses a code
    outside ``range(cardinalities[k])`` or missing (NaN), naming the column;
    :meth:`predict` also refuses codes that are not integers. The gradient of
    a table adds the output's gradient into the rows of the codes of the
    batch; the code columns get a zero input gradient (the output is
    piecewise constant in them).

    Examples
    --------
    >>> import numpy as np
    >>> from skneural.engine.tabular_layers import CategoricalEmbedding
    >>> layer = CategoricalEmbedding(columns=[1], cardinalities=[3], dim=2)
    >>> layer.output_width(2)  # column 0 passed through, then 2 values
    3
    >>> table = np.array([[0.0, 0.0], [1.0, 2.0], [3.0, 4.0]])
    >>> layer.predict((table,), np.array([[0.5, 2.0], [0.7, 0.0]]))
    array([[0.5, 3. , 4. ],
           [0.7, 0. , 0. ]])
    """

    def __init__(
        self, columns, cardinalities, dim=8, learning_rate_factor=1.0, penalised=True
    ):
        self.columns = _check_columns(columns)
        levels = np.asarray(cardinalities)
        if (
            levels.shape != (len(self.columns),)
            or not np.issubdtype(levels.dtype, np.integer)
            or levels.min() < 1
        ):
            raise ValueError(
                "cardinalities must hold one integer >= 1 per entry of columns "
                f"({len(self.columns)}), got {cardinalities!r}."
            )
        self.cardinalities = tuple(int(level) for level in levels)
        self.dim = _check_positive_integer("dim", dim)
        self.learning_rate_factor = _check_factor(learning_rate_factor)
        self.penalised = bool(penalised)

    def _n_passed(self, n_inputs):
        if self.columns[-1] >= n_inputs:
            raise ValueError(
                f"columns holds index {self.columns[-1]}, but the input has "
                f"only {n_inputs} columns."
            )
        return n_inputs - len(self.columns)

    def output_width(self, n_inputs):  # noqa: D102
        return self._n_passed(n_inputs) + len(self.columns) * self.dim

    def parameter_groups(self, n_inputs):  # noqa: D102
        self._n_passed(n_inputs)
        return tuple(
            ParameterGroup(
                f"table_{k}",
                (levels, self.dim),
                self.penalised,
                self.learning_rate_factor,
            )
            for k, levels in enumerate(self.cardinalities)
        )

    def initialize(self, rng, n_inputs, initializer, dtype):  # noqa: D102
        # A float holds every integer up to 2 ** (mantissa bits + 1) exactly.
        if max(self.cardinalities) > 2 ** (np.finfo(dtype).nmant + 1):
            raise ValueError(
                f"{np.dtype(dtype).name} cannot hold every code of "
                f"{max(self.cardinalities)} levels exactly; use float64."
            )
        tables = []
        for levels in self.cardinalities:
            table = rng.standard_normal((levels, self.dim)).astype(dtype, copy=False)
            table[0] = 0.0
            tables.append(table)
        return tuple(tables)

    def buffer_widths(self, n_inputs):  # noqa: D102
        # Each row's flat indices into the tables, code * dim + offset, are
        # integers kept in a float buffer: two floats hold an index whatever
        # the dtype. The embeddings are gathered column by column into
        # contiguous blocks, which np.take and np.add.at read and write
        # without copying.
        n_values = len(self.columns) * self.dim
        return {"indices": 2 * n_values, "gathered": n_values}

    def forward(self, params, X, buffers, noise):  # noqa: D102
        output = buffers["output"]
        indices, gathered = self._blocks(buffers, X.shape[0])
        for inputs, outputs in _passed_slices(self.columns, X.shape[1]):
            output[:, outputs] = X[:, inputs]
        for k, (column, table) in enumerate(zip(self.columns, params, strict=True)):
            self._indices_into(X[:, column], k, indices[k])
            # mode="raise" would buffer the output; the codes are checked.
            np.take(table.reshape(-1), indices[k], out=gathered[k], mode="clip")
            output[:, self._embedding_slice(X.shape[1], k)] = gathered[k]
        return output

    def backward(self, params, X, delta, grads, delta_in, buffers, noise):  # noqa: D102
        indices, gathered = self._blocks(buffers, X.shape[0])
        for k, grad in enumerate(grads):
            # The gathered embeddings are spent: their block takes the
            # contiguous copy of the output gradient that np.add.at reads.
            np.copyto(gathered[k], delta[:, self._embedding_slice(X.shape[1], k)])
            grad.fill(0.0)
            np.add.at(grad.reshape(-1), indices[k].reshape(-1), gathered[k].reshape(-1))
        if delta_in is None:
            return
        for inputs, outputs in _passed_slices(self.columns, X.shape[1]):
            delta_in[:, inputs] = delta[:, outputs]
        for column in self.columns:
            delta_in[:, column] = 0.0

    def predict(self, params, X):  # noqa: D102
        for column in self.columns:
            codes = X[:, column]
            fractional = codes[np.isfinite(codes) & (codes != np.round(codes))]
            if fractional.size:
                raise ValueError(
                    f"Column {column} must hold integer codes for its embedding, "
                    f"got {fractional[0]!r}."
                )
        return super().predict(params, X)

    def _embedding_slice(self, n_inputs, k):
        """Return the output columns of the ``k``-th embedding."""
        start = n_inputs - len(self.columns) + k * self.dim
        return slice(start, start + self.dim)

    def _blocks(self, buffers, n_rows):
        """Return the index and embedding blocks, one contiguous block per column.

        ``indices[k]`` holds ``(n_rows, dim)`` flat indices into table ``k``
        and ``gathered[k]`` as many values.
        """
        shape = (len(self.columns), n_rows, self.dim)
        flat = _view_as(buffers["indices"], -1).view(np.intp)
        indices = flat[: np.prod(shape)].reshape(shape)
        return indices, _view_as(buffers["gathered"], shape)

    def _indices_into(self, codes, k, out):
        """Write the flat indices ``code * dim + (0, ..., dim - 1)`` of a column."""
        levels = self.cardinalities[k]
        low, high = codes.min(), codes.max()
        # NaN fails both comparisons; a code of levels - 0.5 would round up.
        if not (low >= -0.5 and high < levels - 0.5):
            found = (
                "missing values (NaN)"
                if np.isnan(low)
                else f"values from {float(low)} to {float(high)}"
            )
            raise ValueError(
                f"Column {self.columns[k]} must hold the codes 0 to {levels - 1} "
                f"of its {levels} levels, got {found}."
            )
        first = out[:, 0]
        np.rint(codes, out=first, casting="unsafe")
        first *= self.dim
        for offset in range(1, self.dim):
            np.add(first, offset, out=out[:, offset])


@functools.lru_cache(maxsize=64)
def _passed_slices(columns, n_inputs):
    """Return ``(input, output)`` slices of the runs of columns not in ``columns``.

    The columns between two code columns move as one block, to the front of
    the output.
    """
    pairs, start, position = [], 0, 0
    for column in (*columns, n_inputs):
        if column > start:
            stop = position + column - start
            pairs.append((slice(start, column), slice(position, stop)))
            position = stop
        start = column + 1
    return tuple(pairs)
