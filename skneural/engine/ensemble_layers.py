"""Layers of a parameter-efficient ensemble: k members side by side in one network.

TabM (Gorishniy et al., "TabM: advancing tabular deep learning with
parameter-efficient ensembling", ICLR 2025) trains ``k`` MLPs at once that
share most of their weights, BatchEnsemble-style (Wen et al., ICLR 2020). A
network here passes 2-D arrays, so the members travel as ``k`` blocks of
columns: a hidden state of ``n_units`` per member is an array of shape
``(n_samples, k * n_units)`` whose block ``m`` belongs to member ``m``.

- :class:`EnsembleInput` makes the ``k`` copies of the input, each multiplied
  by the member's own scaling (random signs in TabM, so that the members
  start different);
- :class:`EnsembleDense` is a dense layer on each block: with per-member
  scalings of its input and output and per-member intercepts around one
  shared weight matrix (``sharing='adapters'``, BatchEnsemble and TabM), with
  everything shared (``'shared'``, TabM-mini's hidden layers) or with a
  separate matrix per member (``'none'``, TabM's output heads);
- element-wise layers (:class:`~skneural.engine.layers.ActivationLayer`,
  :class:`~skneural.engine.tabular_layers.ParametricActivation`) work on the
  blocks unchanged.

TabM is then, for ``d`` inputs and ``k`` members::

    EnsembleInput(k), EnsembleDense(512, k), ActivationLayer("relu"), ...,
    EnsembleDense(n_outputs, k, sharing="none")

whose ``k * n_outputs`` raw outputs are ``k`` predictions per row. A
:class:`~skneural.engine.network.Network` built with ``n_members=k`` adds
that last layer itself and does the rest: its objective minimises the mean
of the ``k`` members' losses, viewing the raw output as ``(n_samples * k,
n_outputs)`` with the targets repeated, and its predictions average the
members' probabilities (or values).
"""

from numbers import Integral

import numpy as np

from .layers import Layer, ParameterGroup, _column_sums_into
from .tabular_layers import _check_positive_integer, _view_as

__all__ = ["EnsembleDense", "EnsembleInput", "opened_members"]

_SCALING_INITS = ("random-signs", "normal")
_SHARINGS = ("adapters", "shared", "none")


def opened_members(hidden_layers):
    """Return the members an :class:`EnsembleInput` among ``hidden_layers`` opens.

    A network whose hidden layers open an ensemble ends in one head per
    member (``Network(..., n_members=k)``); the estimators build their
    network with what this returns.

    Parameters
    ----------
    hidden_layers : sequence of int or Layer
        The hidden entries of a network.

    Returns
    -------
    n_members : int or None
        The first :class:`EnsembleInput`'s ``n_members``; None without one.
    """
    return next(
        (
            entry.n_members
            for entry in hidden_layers
            if isinstance(entry, EnsembleInput)
        ),
        None,
    )


class EnsembleInput(Layer):
    """The input repeated for ``n_members`` members, each copy scaled by the member.

    The output is ``[X * r_1, ..., X * r_k]``, of width ``n_members *
    n_inputs``; TabM-mini's only per-member parameters are these ``r``.

    Parameters
    ----------
    n_members : int, default=32
        Number of members ``k`` (TabM's default is 32).
    scaling_init : {'random-signs', 'normal'} or None, default='random-signs'
        Initial per-member scalings ``r``: independent random signs (TabM
        without numeric embeddings), standard normal values (TabM with
        them), or None for plain copies without parameters (when the first
        :class:`EnsembleDense` brings its own scalings).

    Notes
    -----
    With a ``scaling_init``, one unpenalised group ``'scaling'`` of shape
    ``(n_members, n_inputs)``: weight decay would pull the scalings, and
    with them the members' inputs, to 0.

    Examples
    --------
    >>> import numpy as np
    >>> from skneural.engine.ensemble_layers import EnsembleInput
    >>> layer = EnsembleInput(2)
    >>> layer.output_width(3)
    6
    >>> scaling = np.array([[1.0, -1.0, 1.0], [-1.0, 1.0, 1.0]])
    >>> layer.predict((scaling,), np.array([[1.0, 2.0, 3.0]]))
    array([[ 1., -2.,  3., -1.,  2.,  3.]])
    """

    def __init__(self, n_members=32, scaling_init="random-signs"):
        self.n_members = _check_positive_integer("n_members", n_members)
        if scaling_init is not None and scaling_init not in _SCALING_INITS:
            raise ValueError(
                f"scaling_init must be one of {_SCALING_INITS} or None, got "
                f"{scaling_init!r}."
            )
        self.scaling_init = scaling_init

    def output_width(self, n_inputs):  # noqa: D102
        return self.n_members * n_inputs

    def parameter_groups(self, n_inputs):  # noqa: D102
        if self.scaling_init is None:
            return ()
        return (ParameterGroup("scaling", (self.n_members, n_inputs), False),)

    def initialize(self, rng, n_inputs, initializer, dtype):  # noqa: D102
        shape = (self.n_members, n_inputs)
        if self.scaling_init is None:
            return ()
        if self.scaling_init == "random-signs":
            scaling = rng.choice(np.array([-1.0, 1.0]), size=shape)
        else:
            scaling = rng.standard_normal(shape)
        return (scaling.astype(dtype, copy=False),)

    def forward(self, params, X, buffers, noise):  # noqa: D102
        output = buffers["output"]
        blocks = _view_as(output, (X.shape[0], self.n_members, X.shape[1]))
        if params:
            np.multiply(X[:, None, :], params[0], out=blocks)
        else:
            np.copyto(blocks, X[:, None, :])
        return output

    def backward(self, params, X, delta, grads, delta_in, buffers, noise):  # noqa: D102
        blocks = delta.reshape(X.shape[0], self.n_members, X.shape[1])
        if params:
            np.einsum("nkd,nd->kd", blocks, X, out=grads[0])
            if delta_in is not None:
                np.einsum("nkd,kd->nd", blocks, params[0], out=delta_in)
        elif delta_in is not None:
            np.sum(blocks, axis=1, out=delta_in)


class EnsembleDense(Layer):
    r"""A dense layer applied to each member's block of columns.

    Member ``m`` maps its block ``x_m`` (``n_inputs / n_members`` columns)
    to ``units`` values. With ``sharing='adapters'`` (BatchEnsemble):

    .. math::

        y_m = ((x_m \odot r_m) W) \odot s_m + b_m,

    one weight matrix ``W`` shared by all members, per-member scalings
    ``r_m``, ``s_m`` (started at 1) and intercepts ``b_m`` (started equal).
    With ``sharing='shared'``, ``y_m = x_m W + b``; with ``sharing='none'``,
    ``y_m = x_m W_m + b_m`` with a matrix per member. The output has
    ``n_members * units`` columns. An activation follows as a separate layer.

    Parameters
    ----------
    units : int
        Output units per member.
    n_members : int, default=32
        Number of members ``k``; the input width must be a multiple of it.
    sharing : {'adapters', 'shared', 'none'}, default='adapters'
        Which parameters the members share (see above).

    Notes
    -----
    The weights form the penalised group ``'coef'``, of shape
    ``(n_inputs / n_members, units)``, or ``(n_members, n_inputs /
    n_members, units)`` with ``sharing='none'``; they and the intercepts are
    drawn by the network's initializer, as a :class:`Dense` layer's are
    (once for the shared ones, once per member for ``'none'``). The
    unpenalised groups are the intercepts ``'intercept'`` (``(units,)`` when
    shared, else ``(n_members, units)``) and, with ``'adapters'``,
    ``'input_scaling'`` and ``'output_scaling'`` of shapes ``(n_members,
    n_inputs / n_members)`` and ``(n_members, units)``, initialised to ones
    as in TabM (whose random first scaling is :class:`EnsembleInput`'s).

    Examples
    --------
    >>> from skneural.engine.ensemble_layers import EnsembleDense
    >>> layer = EnsembleDense(8, n_members=4)
    >>> layer.output_width(12)
    32
    >>> for group in layer.parameter_groups(12):
    ...     print(group.name, group.shape, group.penalised)
    coef (3, 8) True
    input_scaling (4, 3) False
    output_scaling (4, 8) False
    intercept (4, 8) False
    """

    def __init__(self, units, n_members=32, sharing="adapters"):
        self.units = _check_positive_integer("units", units)
        self.n_members = _check_positive_integer("n_members", n_members)
        if sharing not in _SHARINGS:
            raise ValueError(f"sharing must be one of {_SHARINGS}, got {sharing!r}.")
        self.sharing = sharing

    def _member_width(self, n_inputs):
        if not isinstance(n_inputs, Integral) or n_inputs % self.n_members:
            raise ValueError(
                f"An EnsembleDense layer of {self.n_members} members needs an "
                f"input width that is a multiple of {self.n_members}, got "
                f"{n_inputs}."
            )
        return n_inputs // self.n_members

    def output_width(self, n_inputs):  # noqa: D102
        self._member_width(n_inputs)
        return self.n_members * self.units

    def parameter_groups(self, n_inputs):  # noqa: D102
        d, k, u = self._member_width(n_inputs), self.n_members, self.units
        if self.sharing == "shared":
            return (
                ParameterGroup("coef", (d, u)),
                ParameterGroup("intercept", (u,), penalised=False),
            )
        if self.sharing == "none":
            return (
                ParameterGroup("coef", (k, d, u)),
                ParameterGroup("intercept", (k, u), penalised=False),
            )
        return (
            ParameterGroup("coef", (d, u)),
            ParameterGroup("input_scaling", (k, d), penalised=False),
            ParameterGroup("output_scaling", (k, u), penalised=False),
            ParameterGroup("intercept", (k, u), penalised=False),
        )

    def initialize(self, rng, n_inputs, initializer, dtype):  # noqa: D102
        d, k, u = self._member_width(n_inputs), self.n_members, self.units
        if self.sharing == "none":
            draws = [initializer(rng, d, u, dtype=dtype) for _ in range(k)]
            return (
                np.stack([coef for coef, _ in draws]),
                np.stack([intercept for _, intercept in draws]),
            )
        coef, intercept = initializer(rng, d, u, dtype=dtype)
        if self.sharing == "shared":
            return coef, intercept
        # Equal intercepts: a shared one plus per-member zeros, as TabM starts.
        return (
            coef,
            np.ones((k, d), dtype),
            np.ones((k, u), dtype),
            np.tile(intercept, (k, 1)),
        )

    def buffer_widths(self, n_inputs):  # noqa: D102
        if self.sharing != "adapters":
            return {}
        # The scaled inputs and the products before the output scaling.
        return {"scaled_input": n_inputs, "products": self.n_members * self.units}

    def scratch_width(self, n_inputs):  # noqa: D102
        # The gradient of the scaled inputs, needed even without delta_in.
        return n_inputs if self.sharing == "adapters" else 0

    def forward(self, params, X, buffers, noise):  # noqa: D102
        n_rows, k, u = X.shape[0], self.n_members, self.units
        d = X.shape[1] // k
        output = buffers["output"]
        if self.sharing == "shared":
            rows = _view_as(output, (n_rows * k, u))
            np.matmul(X.reshape(n_rows * k, d), params[0], out=rows)
            rows += params[1]
            return output
        blocks = _view_as(output, (n_rows, k, u))
        if self.sharing == "none":
            coef, intercept = params
            inputs = X.reshape(n_rows, k, d)
            for member in range(k):
                np.matmul(inputs[:, member], coef[member], out=blocks[:, member])
        else:
            coef, input_scaling, output_scaling, intercept = params
            scaled = _view_as(buffers["scaled_input"], (n_rows, k, d))
            np.multiply(X.reshape(n_rows, k, d), input_scaling, out=scaled)
            products = _view_as(buffers["products"], (n_rows * k, u))
            np.matmul(scaled.reshape(n_rows * k, d), coef, out=products)
            np.multiply(products.reshape(n_rows, k, u), output_scaling, out=blocks)
        blocks += intercept
        return output

    def backward(self, params, X, delta, grads, delta_in, buffers, noise):  # noqa: D102
        n_rows, k, u = X.shape[0], self.n_members, self.units
        d = X.shape[1] // k
        if self.sharing == "shared":
            rows = delta.reshape(n_rows * k, u)
            inputs = X.reshape(n_rows * k, d)
            np.matmul(inputs.T, rows, out=grads[0])
            np.sum(rows, axis=0, out=grads[1])
            if delta_in is not None:
                np.matmul(rows, params[0].T, out=_view_as(delta_in, (n_rows * k, d)))
            return
        blocks = delta.reshape(n_rows, k, u)
        if self.sharing == "none":
            inputs = X.reshape(n_rows, k, d)
            coef, g_coef = params[0], grads[0]
            delta_blocks = (
                None if delta_in is None else _view_as(delta_in, inputs.shape)
            )
            for member in range(k):
                # The sums a Dense head takes, so one member is one Dense.
                _column_sums_into(blocks[:, member], buffers["ones"], grads[1][member])
                np.matmul(inputs[:, member].T, blocks[:, member], out=g_coef[member])
                if delta_blocks is not None:
                    np.matmul(
                        blocks[:, member], coef[member].T, out=delta_blocks[:, member]
                    )
            return
        np.sum(blocks, axis=0, out=grads[-1])
        coef, input_scaling, output_scaling, _ = params
        g_coef, g_input_scaling, g_output_scaling, _ = grads
        products = _view_as(buffers["products"], (n_rows, k, u))
        np.einsum("nku,nku->ku", blocks, products, out=g_output_scaling)
        blocks *= output_scaling
        scaled = _view_as(buffers["scaled_input"], (n_rows * k, d))
        rows = blocks.reshape(n_rows * k, u)
        np.matmul(scaled.T, rows, out=g_coef)
        d_scaled = _view_as(buffers["scratch"], (n_rows * k, d))
        np.matmul(rows, coef.T, out=d_scaled)
        d_scaled = d_scaled.reshape(n_rows, k, d)
        np.einsum("nkd,nkd->kd", d_scaled, X.reshape(n_rows, k, d), out=g_input_scaling)
        if delta_in is not None:
            np.multiply(d_scaled, input_scaling, out=_view_as(delta_in, (n_rows, k, d)))
