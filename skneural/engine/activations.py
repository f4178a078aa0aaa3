"""Hidden-layer activations and output functions, each with its derivative.

An activation is a small stateless object. ``__call__`` and ``derivative`` are
pure functions for users, plots and tests; the training loop uses the in-place
pair ``forward`` / ``multiply_derivative`` on preallocated buffers so that no
array is allocated per batch. A derivative that needs a temporary writes it to
a ``scratch`` buffer that the network's workspace provides.

Where the derivative can be written from the activation's output (logistic,
tanh, ReLU, ...), ``needs_input`` is False and the network does not keep the
pre-activation values at all.
"""

import numpy as np
from scipy.special import expit, ndtr

from .kernels import accepts, get_kernels
from .registry import Registry
from .value import ValueObject

__all__ = [
    "ACTIVATIONS",
    "OUTPUT_FUNCTIONS",
    "Activation",
    "ELU",
    "GELU",
    "Identity",
    "LeakyReLU",
    "Logistic",
    "Mish",
    "ReLU",
    "SELU",
    "SiLU",
    "Softplus",
    "Tanh",
    "exp_output",
    "get_activation",
    "identity_output",
    "logistic_output",
    "register_activation",
    "softmax",
]

_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)

# Largest array of zeros that _zeros keeps, in values (8 MiB in float64).
_ZEROS_LIMIT = 1 << 20
# Read-only zeros by (shape, dtype): a training loop asks for a few shapes
# thousands of times, and a dictionary hit costs less than making a view.
_zeros_cache = {}


def _zeros(like):
    """Return zeros to compare ``like`` with: an array of its shape, or 0.

    ``np.maximum(z, 0)`` broadcasts the scalar and misses NumPy's SIMD loop:
    it is 3-4x slower than against an array of zeros of z's shape. Arrays of
    more than :data:`_ZEROS_LIMIT` values get the scalar, whose cost is then
    small beside the memory traffic.
    """
    key = (like.shape, like.dtype)
    zeros = _zeros_cache.get(key)
    if zeros is None:
        if like.size > _ZEROS_LIMIT:
            return 0
        if len(_zeros_cache) >= 64:
            _zeros_cache.clear()
        zeros = np.zeros(like.shape, like.dtype)
        zeros.flags.writeable = False
        _zeros_cache[key] = zeros
    return zeros


class Activation(ValueObject):
    """Base class of an element-wise activation function.

    Subclasses implement :meth:`forward` and :meth:`multiply_derivative`; the
    pure :meth:`__call__` and :meth:`derivative` are derived from them.

    Attributes
    ----------
    name : str
        Registry key of the activation.
    needs_input : bool
        True when the derivative needs the pre-activation ``z`` and cannot be
        written from the output alone.
    """

    name = "activation"
    needs_input = False

    def forward(self, z, out):
        """Write ``f(z)`` into ``out`` (which may be ``z`` itself).

        Parameters
        ----------
        z : ndarray
            Pre-activation values.
        out : ndarray
            Array of the same shape that receives the activation.

        Returns
        -------
        out : ndarray
            The filled output array.
        """
        raise NotImplementedError

    def forward_biased(self, z, intercept, out):
        """Add ``intercept`` to every row of ``z`` in place, then write ``f(z)``.

        The network's layers call this; an activation may fuse the two steps.

        Parameters
        ----------
        z : ndarray of shape (n_samples, n_units)
            Products of a layer, overwritten with the pre-activation values.
        intercept : ndarray of shape (n_units,)
            The layer's intercepts.
        out : ndarray of shape (n_samples, n_units)
            Receives the activation (may be ``z`` itself).

        Returns
        -------
        out : ndarray
            The filled output array.
        """
        z += intercept
        return self.forward(z, out)

    def multiply_derivative(self, delta, z, a, scratch=None):
        """Multiply ``delta`` in place by ``f'(z)``.

        A subclass may leave out ``scratch``; the network then calls it with
        three arguments.

        Parameters
        ----------
        delta : ndarray
            Back-propagated error, overwritten with ``delta * f'(z)``.
        z : ndarray or None
            Pre-activation values; only read when :attr:`needs_input` is True.
        a : ndarray
            The activation ``f(z)``.
        scratch : ndarray or None, default=None
            Buffer of ``delta``'s shape and dtype that may be overwritten, so
            that nothing is allocated; temporaries are allocated when None.

        Returns
        -------
        delta : ndarray
            The updated ``delta``.
        """
        raise NotImplementedError

    def __call__(self, z):
        """Return ``f(z)`` as a new array.

        Parameters
        ----------
        z : array-like
            Pre-activation values.

        Returns
        -------
        a : ndarray
            The activation.
        """
        z = _as_float_array(z)
        return self.forward(z, np.empty_like(z))

    def derivative(self, z):
        """Return ``f'(z)`` as a new array.

        Parameters
        ----------
        z : array-like
            Pre-activation values.

        Returns
        -------
        d : ndarray
            The derivative at ``z``.
        """
        z = _as_float_array(z)
        a = self(z)
        return self.multiply_derivative(np.ones_like(z), z, a)


def _as_float_array(z):
    z = np.asarray(z)
    if not np.issubdtype(z.dtype, np.floating):
        z = z.astype(np.float64)
    return z


class Identity(Activation):
    """The identity, ``f(z) = z``: a linear layer."""

    name = "identity"

    def forward(self, z, out):  # noqa: D102
        if out is not z:
            np.copyto(out, z)
        return out

    def multiply_derivative(self, delta, z, a, scratch=None):  # noqa: D102
        return delta


class Logistic(Activation):
    """The logistic sigmoid, ``f(z) = 1 / (1 + exp(-z))``."""

    name = "logistic"

    def forward(self, z, out):  # noqa: D102
        # expit never overflows, unlike the textbook 1 / (1 + exp(-z)).
        return expit(z, out=out)

    def multiply_derivative(self, delta, z, a, scratch=None):  # noqa: D102
        one_minus_a = np.subtract(1, a, out=scratch)
        delta *= a
        delta *= one_minus_a
        return delta


class Tanh(Activation):
    """The hyperbolic tangent, ``f(z) = tanh(z)``."""

    name = "tanh"

    def forward(self, z, out):  # noqa: D102
        return np.tanh(z, out=out)

    def multiply_derivative(self, delta, z, a, scratch=None):  # noqa: D102
        slope = np.multiply(a, a, out=scratch)
        np.subtract(1, slope, out=slope)
        delta *= slope
        return delta


class ReLU(Activation):
    """The rectified linear unit, ``f(z) = max(0, z)``."""

    name = "relu"

    def forward(self, z, out):  # noqa: D102
        return np.maximum(z, _zeros(z), out=out)

    def forward_biased(self, z, intercept, out):  # noqa: D102
        kernels = get_kernels()
        if (
            kernels is not None
            and z.ndim == 2
            and accepts(z, out)
            and accepts(intercept)
            and intercept.dtype == z.dtype
        ):
            kernels.biased_relu(z, intercept, out)
            return out
        return super().forward_biased(z, intercept, out)

    def multiply_derivative(self, delta, z, a, scratch=None):  # noqa: D102
        # f'(0) is taken as 0, the sub-gradient scikit-learn uses.
        kernels = get_kernels()
        if kernels is not None and accepts(delta, a):
            kernels.relu_derivative(delta, a)
            return delta
        # Multiplying by the 0/1 slope is 2-20x faster than assigning through
        # a mask.
        slope = np.greater(a, 0, out=scratch)
        delta *= slope
        return delta


class LeakyReLU(Activation):
    """The leaky ReLU, ``f(z) = z`` for ``z > 0`` and ``negative_slope * z`` else.

    Parameters
    ----------
    negative_slope : float, default=0.01
        Slope for negative inputs; must be positive so the sign of the output
        tells which branch was taken.
    """

    name = "leaky_relu"

    def __init__(self, negative_slope=0.01):
        if not negative_slope > 0:
            raise ValueError(f"negative_slope must be > 0, got {negative_slope!r}.")
        self.negative_slope = float(negative_slope)

    def forward(self, z, out):  # noqa: D102
        negative = z <= 0
        if out is not z:
            np.copyto(out, z)
        out[negative] *= self.negative_slope
        return out

    def multiply_derivative(self, delta, z, a, scratch=None):  # noqa: D102
        slope = np.greater(a, 0, out=scratch)
        if slope.dtype != delta.dtype:
            slope = slope.astype(delta.dtype)
        # 1 where a > 0, negative_slope elsewhere.
        slope *= 1.0 - self.negative_slope
        slope += self.negative_slope
        delta *= slope
        return delta


class ELU(Activation):
    """The exponential linear unit, ``z`` for ``z > 0``, ``alpha (e^z - 1)`` else.

    Parameters
    ----------
    alpha : float, default=1.0
        Saturation value for large negative inputs (the output tends to
        ``-alpha``).
    """

    name = "elu"
    # SELU is this function times a fixed scale.
    _scale = 1.0

    def __init__(self, alpha=1.0):
        if not alpha > 0:
            raise ValueError(f"alpha must be > 0, got {alpha!r}.")
        self.alpha = float(alpha)

    def forward(self, z, out):  # noqa: D102
        # scale (max(z, 0) + alpha expm1(min(z, 0))): no masks, and expm1
        # only of the non-positive part, so no overflow for large z.
        positive = np.maximum(z, _zeros(z))
        np.minimum(z, 0, out=out)
        np.expm1(out, out=out)
        out *= self._scale * self.alpha
        if self._scale != 1.0:
            positive *= self._scale
        out += positive
        return out

    def multiply_derivative(self, delta, z, a, scratch=None):  # noqa: D102
        # For z <= 0, f'(z) = scale alpha e^z = f(z) + scale alpha; else scale.
        slope = np.add(a, self._scale * self.alpha, out=scratch)
        np.copyto(slope, self._scale, where=a > 0)
        delta *= slope
        return delta


class SELU(ELU):
    """The scaled exponential linear unit, ``lambda ELU_alpha(z)``.

    The constants ``lambda = 1.0507...`` and ``alpha = 1.6733...`` of
    Klambauer et al. (2017) keep zero-mean, unit-variance activations so
    through a layer with ``N(0, 1 / fan_in)`` weights. RealMLP uses it, with
    a learned mixing parameter
    (:class:`~skneural.engine.tabular_layers.ParametricActivation`), for
    classification.
    """

    name = "selu"
    _scale = 1.0507009873554804934193349852946
    alpha = 1.6732632423543772848170429916717

    def __init__(self):
        pass


class Softplus(Activation):
    """The softplus, ``f(z) = log(1 + e^z)``, a smooth ReLU."""

    name = "softplus"

    def forward(self, z, out):  # noqa: D102
        return np.logaddexp(0, z, out=out)

    def multiply_derivative(self, delta, z, a, scratch=None):  # noqa: D102
        # f'(z) = sigmoid(z) = 1 - exp(-f(z)), stable since f(z) >= 0.
        slope = np.negative(a, out=scratch)
        np.expm1(slope, out=slope)
        delta *= slope
        np.negative(delta, out=delta)
        return delta


class GELU(Activation):
    """The Gaussian error linear unit, ``f(z) = z Phi(z)`` (exact, not tanh)."""

    name = "gelu"
    needs_input = True

    def forward(self, z, out):  # noqa: D102
        if out is z:
            np.multiply(z, ndtr(z), out=out)
        else:
            ndtr(z, out=out)
            out *= z
        return out

    def multiply_derivative(self, delta, z, a, scratch=None):  # noqa: D102
        pdf = _INV_SQRT_2PI * np.exp(-0.5 * z * z)
        delta *= ndtr(z) + z * pdf
        return delta


class SiLU(Activation):
    """The sigmoid linear unit (swish), ``f(z) = z sigmoid(z)``."""

    name = "silu"
    needs_input = True

    def forward(self, z, out):  # noqa: D102
        if out is z:
            np.multiply(z, expit(z), out=out)
        else:
            expit(z, out=out)
            out *= z
        return out

    def multiply_derivative(self, delta, z, a, scratch=None):  # noqa: D102
        # f'(z) = s (1 + z (1 - s)) with s = sigmoid(z), built in one buffer.
        s = expit(z, out=scratch)
        delta *= s
        np.subtract(1, s, out=s)
        s *= z
        s += 1
        delta *= s
        return delta


class Mish(Activation):
    """The Mish activation of Misra (2019), ``f(z) = z tanh(softplus(z))``.

    RealMLP uses it, with a learned mixing parameter
    (:class:`~skneural.engine.tabular_layers.ParametricActivation`), for
    regression.
    """

    name = "mish"
    needs_input = True

    def forward(self, z, out):  # noqa: D102
        tanh_softplus = _tanh_softplus(z, np.empty_like(z) if out is z else out)
        return np.multiply(z, tanh_softplus, out=out)

    def multiply_derivative(self, delta, z, a, scratch=None):  # noqa: D102
        # f'(z) = t + z sigmoid(z) (1 - t^2), t = tanh(softplus(z)); with
        # u = e^z and w = u (u + 2): t = w / (w + 2), 1 - t^2 =
        # 4 (w + 1) / (w + 2)^2 and sigmoid(z) = u / (u + 1).
        u = np.exp(np.minimum(z, _MISH_CLIP), out=scratch)
        w = u + 2
        w *= u
        denominator = w + 2
        slope = w + 1
        slope *= z
        slope *= 4
        u /= u + 1
        slope *= u
        slope /= denominator
        slope /= denominator
        # t as w / (w + 2), not 1 - 2 / (w + 2): exact where t is tiny.
        w /= denominator
        slope += w
        delta *= slope
        return delta


# Beyond it, tanh(softplus(z)) is 1 and sigmoid(z) is 1 in float64, and
# e^(2 z) stays finite in float32.
_MISH_CLIP = 20.0


def _tanh_softplus(z, out):
    """Write ``tanh(softplus(z))`` into ``out``.

    As ``w / (w + 2)`` with ``w = e^z (e^z + 2)``: one exponential where
    ``tanh(logaddexp(0, z))`` takes a log, two exponentials and a tanh.
    """
    u = np.exp(np.minimum(z, _MISH_CLIP), out=out)
    w = u + 2
    w *= u
    np.divide(w, w + 2, out=out)
    return out


def _check_derivative(name, activation):
    # Points away from 0, where ReLU-like functions have a kink.
    z = np.array([-2.3, -1.1, -0.37, 0.41, 1.3, 2.7])
    h = 1e-6
    numeric = (activation(z + h) - activation(z - h)) / (2 * h)
    analytic = activation.derivative(z)
    if not np.allclose(numeric, analytic, rtol=1e-5, atol=1e-7):
        raise ValueError(
            f"The derivative of activation {name!r} does not match the "
            f"finite-difference derivative of its value: {analytic} vs {numeric}."
        )


ACTIVATIONS = Registry(
    "activation",
    Activation,
    (Identity, Logistic, Tanh, ReLU, LeakyReLU, ELU, SELU, Softplus, GELU, SiLU, Mish),
    _check_derivative,
)


def register_activation(name, activation_class):
    """Make a custom activation available under ``name``.

    The class is checked before it is registered: it must be an
    :class:`Activation` subclass whose derivative agrees with central finite
    differences of its value, so a wrong derivative is caught here rather than
    as a silently bad fit.

    A registration lives in the process that made it. An estimator whose
    ``activation`` is the registered name carries the registration when it
    is pickled, so the worker processes of ``n_jobs`` and unpickled copies
    find it; a name given in another process only (a parameter grid that a
    search's workers set) does not travel: pass an instance there.

    Parameters
    ----------
    name : str
        Registry key, used as the ``activation`` parameter of the estimators.
    activation_class : type
        A subclass of :class:`Activation`, constructible without arguments.

    Raises
    ------
    ValueError
        If ``name`` is taken by a built-in or by another class, or the
        derivative does not match the finite-difference derivative of the
        value.
    TypeError
        If ``activation_class`` is not an :class:`Activation` subclass.
    """
    ACTIVATIONS.register(name, activation_class)


get_activation = ACTIVATIONS.getter("ACTIVATIONS", __name__)


def identity_output(raw):
    """Return the raw output unchanged (regression with a squared or absolute loss).

    Parameters
    ----------
    raw : ndarray of shape (n_samples, n_outputs)
        Output-layer values before the output function.

    Returns
    -------
    raw : ndarray
        The same array.
    """
    return raw


def logistic_output(raw):
    """Map logits to probabilities with the logistic sigmoid, in place.

    Parameters
    ----------
    raw : ndarray of shape (n_samples, n_outputs)
        Logits; overwritten.

    Returns
    -------
    proba : ndarray
        Independent probabilities of the positive class of each output.
    """
    return expit(raw, out=raw)


def softmax(raw):
    """Map logits to class probabilities with a stable softmax, in place.

    The row maximum is subtracted before exponentiating (the log-sum-exp
    shift), so no logit overflows.

    Parameters
    ----------
    raw : ndarray of shape (n_samples, n_classes)
        Logits; overwritten.

    Returns
    -------
    proba : ndarray
        Rows that are non-negative and sum to one.
    """
    raw -= raw.max(axis=1, keepdims=True)
    np.exp(raw, out=raw)
    raw /= raw.sum(axis=1, keepdims=True)
    return raw


def exp_output(raw):
    """Map log-means to means with ``exp``, in place (the Poisson log link).

    Values are capped below the overflow threshold of their dtype so that a
    prediction is never ``inf``.

    Parameters
    ----------
    raw : ndarray of shape (n_samples, n_outputs)
        Log-means; overwritten.

    Returns
    -------
    mean : ndarray
        Positive predicted means.
    """
    # log(max) itself rounds up in float32, and its exp overflows.
    np.minimum(raw, np.log(np.finfo(raw.dtype).max) - 1, out=raw)
    return np.exp(raw, out=raw)


OUTPUT_FUNCTIONS = {
    "identity": identity_output,
    "logistic": logistic_output,
    "softmax": softmax,
    "exp": exp_output,
}
