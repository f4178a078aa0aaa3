"""Weight initialisation schemes.

An initializer is called as ``init(rng, fan_in, fan_out, dtype)`` and returns
``(coef, intercept)`` for one dense layer, drawn from the one
``numpy.random.Generator`` that the whole fit uses, so a fit is reproducible
from a single seed.
"""

import numpy as np

from .registry import Registry
from .value import ValueObject

__all__ = [
    "INITIALIZERS",
    "Constant",
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "Initializer",
    "Normal",
    "SYMMETRY_BREAKING",
    "Zeros",
    "get_initializer",
]


class Initializer(ValueObject):
    """Base class of a weight initialisation scheme.

    Attributes
    ----------
    name : str
        Registry key of the initializer.
    breaks_symmetry : bool
        False when every unit of a layer starts with the same weights, which
        then stay equal for ever: right only for a layer without hidden units
        after it, a linear model.
    """

    name = "initializer"
    breaks_symmetry = True

    def __call__(self, rng, fan_in, fan_out, dtype=np.float64):
        """Draw the weights and intercepts of one layer.

        Parameters
        ----------
        rng : numpy.random.Generator
            Source of randomness.
        fan_in : int
            Number of inputs of the layer.
        fan_out : int
            Number of units of the layer.
        dtype : dtype, default=np.float64
            Floating dtype of the returned arrays.

        Returns
        -------
        coef : ndarray of shape (fan_in, fan_out)
            Weights.
        intercept : ndarray of shape (fan_out,)
            Intercepts.
        """
        coef, intercept = self._draw(rng, fan_in, fan_out)
        return coef.astype(dtype, copy=False), intercept.astype(dtype, copy=False)

    def _draw(self, rng, fan_in, fan_out):
        raise NotImplementedError


class GlorotUniform(Initializer):
    """Glorot/Xavier uniform: ``U(-b, b)``, ``b = sqrt(factor / (fan_in + fan_out))``.

    Intercepts are drawn from the same distribution, as scikit-learn's MLP
    does, so the default matches it.

    Parameters
    ----------
    factor : float, default=6.0
        6 is Glorot and Bengio's choice; scikit-learn uses 2 for logistic
        hidden units.
    """

    name = "glorot_uniform"

    def __init__(self, factor=6.0):
        self.factor = float(factor)

    def _draw(self, rng, fan_in, fan_out):
        bound = np.sqrt(self.factor / (fan_in + fan_out))
        coef = rng.uniform(-bound, bound, (fan_in, fan_out))
        intercept = rng.uniform(-bound, bound, fan_out)
        return coef, intercept


class GlorotNormal(Initializer):
    """Glorot/Xavier normal: ``N(0, 2 / (fan_in + fan_out))``, zero intercepts."""

    name = "glorot_normal"

    def _draw(self, rng, fan_in, fan_out):
        std = np.sqrt(2.0 / (fan_in + fan_out))
        return rng.normal(0.0, std, (fan_in, fan_out)), np.zeros(fan_out)


class HeUniform(Initializer):
    """He uniform: ``U(-b, b)`` with ``b = sqrt(6 / fan_in)``, zero intercepts."""

    name = "he_uniform"

    def _draw(self, rng, fan_in, fan_out):
        bound = np.sqrt(6.0 / fan_in)
        return rng.uniform(-bound, bound, (fan_in, fan_out)), np.zeros(fan_out)


class HeNormal(Initializer):
    """He normal: ``N(0, 2 / fan_in)``, zero intercepts; suits ReLU layers."""

    name = "he_normal"

    def _draw(self, rng, fan_in, fan_out):
        std = np.sqrt(2.0 / fan_in)
        return rng.normal(0.0, std, (fan_in, fan_out)), np.zeros(fan_out)


class Normal(Initializer):
    """Plain normal: ``N(0, std^2)`` whatever the layer's size, zero intercepts.

    Parameters
    ----------
    std : float, default=1.0
        Standard deviation of the weights.
    """

    name = "normal"

    def __init__(self, std=1.0):
        self.std = float(std)

    def _draw(self, rng, fan_in, fan_out):
        return rng.normal(0.0, self.std, (fan_in, fan_out)), np.zeros(fan_out)


class Constant(Initializer):
    """Every weight and intercept equal to ``value``.

    Only useful to show why it fails: all hidden units of a layer receive the
    same gradient and stay identical for ever (the symmetry problem).

    Parameters
    ----------
    value : float, default=0.5
        The common value.
    """

    name = "constant"
    breaks_symmetry = False

    def __init__(self, value=0.5):
        self.value = float(value)

    def _draw(self, rng, fan_in, fan_out):
        return np.full((fan_in, fan_out), self.value), np.full(fan_out, self.value)


class Zeros(Initializer):
    """All weights and intercepts zero.

    Right for a network without hidden layers (a linear model), whose
    objective is convex: there is no symmetry to break, and starting at zero
    makes the fit independent of the random seed, as in scikit-learn's linear
    models.
    """

    name = "zeros"
    breaks_symmetry = False

    def _draw(self, rng, fan_in, fan_out):
        return np.zeros((fan_in, fan_out)), np.zeros(fan_out)


def _check_draw(name, initializer):
    rng = np.random.default_rng(0)
    for dtype in (np.float64, np.float32):
        coef, intercept = initializer(rng, 3, 2, dtype)
        if not (
            coef.shape == (3, 2)
            and intercept.shape == (2,)
            and coef.dtype == intercept.dtype == dtype
            and np.isfinite(coef).all()
            and np.isfinite(intercept).all()
        ):
            raise ValueError(
                f"Initializer {name!r} must draw finite arrays of shapes "
                "(fan_in, fan_out) and (fan_out,) in the dtype asked for."
            )


INITIALIZERS = Registry(
    "initializer",
    Initializer,
    (GlorotUniform, GlorotNormal, HeUniform, HeNormal, Normal, Zeros),
    _check_draw,
    parameter="weight_init",
)
# The names a layer with hidden units may start from.
SYMMETRY_BREAKING = tuple(
    name for name, cls in INITIALIZERS.items() if cls.breaks_symmetry
)


def get_initializer(weight_init, activation_name=None):
    """Return an initializer from a registry name or an instance.

    Parameters
    ----------
    weight_init : str or Initializer
        A key of :data:`INITIALIZERS` or an :class:`Initializer` instance.
    activation_name : str, default=None
        Hidden activation; with ``'glorot_uniform'`` and ``'logistic'`` the
        bound factor is 2, as in scikit-learn's MLP.

    Returns
    -------
    initializer : Initializer
        The initializer object.
    """
    if weight_init == "glorot_uniform" and activation_name == "logistic":
        return GlorotUniform(factor=2.0)
    return INITIALIZERS.create(weight_init)
