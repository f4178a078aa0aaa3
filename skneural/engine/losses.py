"""Loss functions of the network's raw output (the logits), with their gradients.

Every loss is paired with the output function that is its inverse link, so the
network never forms probabilities to compute a log-loss: log-losses use
``logaddexp`` and log-sum-exp on the logits and cannot overflow.

A loss sums over the outputs of one sample. ``loss_gradient`` returns the
*weighted sum* over samples, ``sum_i s_i l_i``, and the per-sample gradients
``s_i dl_i / draw_i``; the objective divides both by ``sum_i s_i``. The
built-in losses compute the two together in the gradient's buffer, sharing
their intermediate results, so a training pass allocates no array of the
output's size.
"""

import numpy as np
from scipy.special import expit, logsumexp, xlogy

from .activations import OUTPUT_FUNCTIONS, softmax
from .kernels import accepts, get_kernels
from .registry import Registry
from .value import ValueObject

__all__ = [
    "LOSSES",
    "AbsoluteError",
    "BinaryLogLoss",
    "Loss",
    "MultinomialLogLoss",
    "PoissonLoss",
    "SquaredError",
    "get_loss",
    "register_loss",
]


class Loss(ValueObject):
    """Base class of a loss of the raw network output.

    Attributes
    ----------
    name : str
        Registry key of the loss.
    out_activation : str
        Name of the output function that maps raw outputs to predictions (the
        inverse link), a key of
        :data:`skneural.engine.activations.OUTPUT_FUNCTIONS`.
    smooth : bool
        False when the loss has kinks (its gradient is a sub-gradient there).
    non_negative_targets : bool
        True when the loss is defined for non-negative targets only (the
        Poisson deviance); :meth:`check_targets` then refuses negative ones.
    """

    name = "loss"
    out_activation = "identity"
    smooth = True
    non_negative_targets = False

    def check_targets(self, y):
        """Raise if ``y`` holds targets outside the domain of this loss.

        Subclasses whose domain is not the real numbers, or the non-negative
        ones (``non_negative_targets``), override this.

        Parameters
        ----------
        y : ndarray
            Regression targets.

        Raises
        ------
        ValueError
            If a target is outside the domain.
        """
        if self.non_negative_targets and np.any(y < 0):
            raise ValueError(
                f"loss={self.name!r} requires non-negative targets, but y has "
                "negative values."
            )

    def pointwise(self, raw, y):
        """Return the loss of each sample, summed over outputs.

        Parameters
        ----------
        raw : ndarray of shape (n_samples, n_outputs)
            Raw network outputs (logits).
        y : ndarray of shape (n_samples, n_outputs)
            Targets, one-hot or indicator encoded for classification.

        Returns
        -------
        loss : ndarray of shape (n_samples,)
            Loss of each sample.
        """
        raise NotImplementedError

    def raw_gradient(self, raw, y, out):
        """Write the gradient of :meth:`pointwise` with respect to ``raw`` into ``out``.

        Parameters
        ----------
        raw : ndarray of shape (n_samples, n_outputs)
            Raw network outputs; may be the same array as ``out``.
        y : ndarray of shape (n_samples, n_outputs)
            Targets.
        out : ndarray of shape (n_samples, n_outputs)
            Receives the gradient.

        Returns
        -------
        out : ndarray
            The gradient.
        """
        raise NotImplementedError

    def loss_gradient(self, raw, y, sample_weight=None, out=None, compute_loss=True):
        """Weighted loss sum and per-sample weighted gradients.

        Parameters
        ----------
        raw : ndarray of shape (n_samples, n_outputs)
            Raw network outputs.
        y : ndarray of shape (n_samples, n_outputs)
            Targets.
        sample_weight : ndarray of shape (n_samples,), default=None
            Sample weights; None means all ones.
        out : ndarray of shape (n_samples, n_outputs), default=None
            Receives the gradient; may be ``raw`` itself, which is then
            overwritten. A new array is allocated when None.
        compute_loss : bool, default=True
            When False the loss is not computed and None is returned for it.

        Returns
        -------
        loss_sum : float or None
            ``sum_i s_i l_i``.
        gradient : ndarray of shape (n_samples, n_outputs)
            ``s_i dl_i / draw_i``.
        """
        if out is None:
            out = np.empty_like(raw)
        if compute_loss and out is raw:
            # The fused kernels use out as scratch before the gradient.
            loss_sum = _weighted_total(self.pointwise(raw, y), sample_weight)
            self.raw_gradient(raw, y, out)
        else:
            loss_sum = self._loss_sum_and_gradient(
                raw, y, sample_weight, out, compute_loss
            )
        if sample_weight is not None:
            out *= sample_weight[:, np.newaxis]
        return loss_sum, out

    def _loss_sum_and_gradient(self, raw, y, sample_weight, out, compute_loss):
        """Return the weighted loss sum (or None) and write the gradient to ``out``.

        ``out`` is not ``raw`` when the loss is computed. Built-in losses
        override this to share work between the loss and its gradient.
        """
        loss_sum = None
        if compute_loss:
            loss_sum = _weighted_total(self.pointwise(raw, y), sample_weight)
        self.raw_gradient(raw, y, out)
        return loss_sum

    def __call__(self, raw, y, sample_weight=None):
        """Return the weighted mean loss (for users and tests; allocates).

        Parameters
        ----------
        raw : ndarray of shape (n_samples, n_outputs)
            Raw network outputs.
        y : ndarray of shape (n_samples, n_outputs)
            Targets.
        sample_weight : ndarray of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        loss : float
            ``sum_i s_i l_i / sum_i s_i``.
        """
        pointwise = self.pointwise(raw, y)
        return float(np.average(pointwise, weights=sample_weight))


class SquaredError(Loss):
    """Half squared error, ``l = 1/2 sum_k (raw_k - y_k)^2``, identity link."""

    name = "squared_error"

    def pointwise(self, raw, y):  # noqa: D102
        residual = raw - y
        return 0.5 * np.einsum("ij,ij->i", residual, residual)

    def raw_gradient(self, raw, y, out):  # noqa: D102
        return np.subtract(raw, y, out=out)

    def _loss_sum_and_gradient(self, raw, y, sample_weight, out, compute_loss):
        # Identity link: the residual is the gradient, and the loss its square.
        residual = np.subtract(raw, y, out=out)
        if not compute_loss:
            return None
        if sample_weight is None:
            return 0.5 * _sum_of_squares(residual)
        squares = np.einsum("ij,ij->i", residual, residual)
        return 0.5 * _weighted_total(squares, sample_weight)


class AbsoluteError(Loss):
    """Absolute error, ``l = sum_k |raw_k - y_k|``, identity link.

    Not differentiable where ``raw == y``; the sub-gradient 0 is used there.
    """

    name = "absolute_error"
    smooth = False

    def pointwise(self, raw, y):  # noqa: D102
        return np.abs(raw - y).sum(axis=1)

    def raw_gradient(self, raw, y, out):  # noqa: D102
        np.subtract(raw, y, out=out)
        return np.sign(out, out=out)


class PoissonLoss(Loss):
    """Half Poisson deviance with a log link, ``l = sum_k e^raw_k - y_k raw_k + c``.

    The constant ``c = y log y - y`` makes the loss zero at a perfect fit, as
    scikit-learn's MLP reports it; it does not change the gradient.
    """

    name = "poisson"
    out_activation = "exp"
    non_negative_targets = True

    def pointwise(self, raw, y):  # noqa: D102
        mean = _capped_exp(raw)
        return (mean - y * raw + xlogy(y, y) - y).sum(axis=1)

    def raw_gradient(self, raw, y, out):  # noqa: D102
        # Log link with the Poisson loss is canonical: dl/draw = mean - y.
        np.subtract(_capped_exp(raw), y, out=out)
        return out


def _capped_exp(raw):
    # e^40 below the largest float, so that summing the losses of up to 1e17
    # outputs and samples cannot overflow either.
    return np.exp(np.minimum(raw, np.log(np.finfo(raw.dtype).max) - 40))


class BinaryLogLoss(Loss):
    """Log-loss of independent logistic outputs (binary and multilabel targets).

    ``l = sum_k log(1 + e^raw_k) - y_k raw_k``, computed with ``logaddexp``.
    """

    name = "binary_log_loss"
    out_activation = "logistic"

    def pointwise(self, raw, y):  # noqa: D102
        return (np.logaddexp(0, raw) - y * raw).sum(axis=1)

    def raw_gradient(self, raw, y, out):  # noqa: D102
        # Sigmoid with binary cross-entropy is a canonical pair: dl/draw = p - y.
        expit(raw, out=out)
        out -= y
        return out

    def _loss_sum_and_gradient(self, raw, y, sample_weight, out, compute_loss):
        kernels = get_kernels()
        if (
            compute_loss
            and sample_weight is None
            and kernels is not None
            and accepts(raw, y, out)
        ):
            # The same loss and gradient in one pass (kernels.py).
            return kernels.binary_log_loss(raw, y, out)
        loss_sum = None
        if compute_loss:
            # l = log1p(e^-|raw|) + max(raw, 0) - y raw, the parts summed
            # apart. NumPy's exp and log1p are vectorised, which makes this
            # ~8x faster than logaddexp on large batches.
            np.copysign(raw, -1.0, out=out)
            np.exp(out, out=out)
            np.log1p(out, out=out)
            loss_sum = _weighted_total(out, sample_weight)
            np.maximum(raw, 0.0, out=out)
            loss_sum += _weighted_total(out, sample_weight)
            loss_sum -= _weighted_inner(y, raw, sample_weight)
        self.raw_gradient(raw, y, out)
        return loss_sum


class MultinomialLogLoss(Loss):
    """Cross-entropy of a softmax over classes, from the logits.

    ``l = logsumexp(raw) - sum_k y_k raw_k``, with ``y`` one-hot.
    """

    name = "multinomial_log_loss"
    out_activation = "softmax"

    def pointwise(self, raw, y):  # noqa: D102
        return logsumexp(raw, axis=1) - np.einsum("ij,ij->i", y, raw)

    def raw_gradient(self, raw, y, out):  # noqa: D102
        # Softmax with cross-entropy is a canonical pair: dl/draw = p - y.
        if out is not raw:
            np.copyto(out, raw)
        softmax(out)
        out -= y
        return out

    def _loss_sum_and_gradient(self, raw, y, sample_weight, out, compute_loss):
        # The softmax's shift and row sums give the log-sum-exp, so the loss
        # costs a few operations on row vectors, not a second pass of exp.
        if compute_loss:
            target_logits = np.einsum("ij,ij->i", raw, y)
        row_max = _row_max(raw, out)
        np.subtract(raw, row_max[:, np.newaxis], out=out)
        np.exp(out, out=out)
        # A product with ones: 4x faster than sum(axis=1) on short rows.
        row_sum = out @ np.ones(out.shape[1], out.dtype)
        loss_sum = None
        if compute_loss:
            # l = log(sum_k e^(raw_k - max)) + (max - sum_k y_k raw_k), where
            # the bracket is exact when the target holds the largest logit.
            pointwise = row_max
            pointwise -= target_logits
            pointwise += np.log(row_sum)
            loss_sum = _weighted_total(pointwise, sample_weight)
        out /= row_sum[:, np.newaxis]
        out -= y
        return loss_sum


def _row_max(values, scratch):
    """Return the maximum of each row; ``scratch``, of values' size, is overwritten."""
    if scratch is values or not scratch.flags.c_contiguous:
        return values.max(axis=1)
    # NumPy reduces short rows slowly, one inner loop per row; the columns of
    # a transposed copy are reduced 5-8x faster with few classes.
    columns = scratch.reshape(values.shape[1], values.shape[0])
    np.copyto(columns, values.T)
    return np.maximum.reduce(columns, axis=0)


def _weighted_total(values, sample_weight):
    """Return ``sum_i s_i sum_k values_ik`` for values of shape (n,) or (n, k).

    float32 values are summed in float64. Rounded to float32, a sum of 1e5
    losses moves in steps of ~1e-7 of itself, coarser than the decreases an
    L-BFGS line search looks for near the optimum, which then needs several
    times more evaluations.
    """
    if sample_weight is None:
        # The ufunc's reduce, not ndarray.sum: no Python wrapper (0.4 us a
        # call, a tenth of a small batch's loss).
        if values.dtype != np.float64:
            return float(np.add.reduce(values, axis=None, dtype=np.float64))
        return float(np.add.reduce(values, axis=None))
    if values.dtype != np.float64:
        subscripts = "ij,i->" if values.ndim == 2 else "i,i->"
        return float(np.einsum(subscripts, values, sample_weight, dtype=np.float64))
    if values.ndim == 2 and values.shape[1] == 1:
        # A (n, 1) operand sends matmul down a slow non-BLAS path.
        values = values[:, 0]
    return float(np.sum(sample_weight @ values))


def _weighted_inner(y, raw, sample_weight):
    """Return ``sum_i s_i sum_k y_ik raw_ik``, in float64 (see above)."""
    if sample_weight is None:
        if y.dtype == raw.dtype == np.float64:
            # BLAS's dot: 3x faster than einsum on a batch of 200.
            return float(np.vdot(y, raw))
        return float(np.einsum("ij,ij->", y, raw, dtype=np.float64))
    return float(np.einsum("ij,ij,i->", y, raw, sample_weight, dtype=np.float64))


def _sum_of_squares(values):
    """Return the sum of squares of a contiguous array, in float64 (see above)."""
    flat = values.reshape(-1)
    if flat.dtype == np.float64:
        return float(np.dot(flat, flat))
    return float(np.einsum("i,i->", flat, flat, dtype=np.float64))


def _check_gradient(name, loss):
    if loss.out_activation not in OUTPUT_FUNCTIONS:
        raise ValueError(
            f"out_activation {loss.out_activation!r} of loss {name!r} is not one of "
            f"{sorted(OUTPUT_FUNCTIONS)}."
        )
    rng = np.random.default_rng(0)
    raw = rng.normal(size=(4, 2))
    y = rng.uniform(0.1, 1.0, size=(4, 2))
    _, analytic = loss.loss_gradient(raw, y)
    h = 1e-6
    numeric = np.empty_like(raw)
    for index in np.ndindex(raw.shape):
        step = np.zeros_like(raw)
        step[index] = h
        numeric[index] = (
            loss.pointwise(raw + step, y) - loss.pointwise(raw - step, y)
        ).sum() / (2 * h)
    if not np.allclose(numeric, analytic, rtol=1e-5, atol=1e-7):
        raise ValueError(
            f"The gradient of loss {name!r} does not match the finite-difference "
            "gradient of its value."
        )


LOSSES = Registry(
    "loss",
    Loss,
    (SquaredError, AbsoluteError, PoissonLoss, BinaryLogLoss, MultinomialLogLoss),
    _check_gradient,
)


get_loss = LOSSES.getter("LOSSES", __name__)


def register_loss(name, loss_class):
    """Make a custom loss available under ``name``.

    The gradient is checked against central finite differences of
    :meth:`Loss.pointwise` before the loss is registered. The regressors
    (``GDLinearRegressor``, ``MLPRegressor``) then accept ``name`` as their
    ``loss``; the classifiers take no ``loss`` parameter, their log-loss
    follows from the targets.

    A registration lives in the process that made it. An estimator whose
    ``loss`` is the registered name carries the registration when it is
    pickled, so the worker processes of ``n_jobs`` and unpickled copies find
    it; a name given in another process only (a parameter grid that a
    search's workers set) does not travel.

    Parameters
    ----------
    name : str
        Registry key.
    loss_class : type
        A subclass of :class:`Loss`, constructible without arguments, whose
        ``out_activation`` names an output function.

    Raises
    ------
    ValueError
        If ``name`` is a built-in loss or taken by another class, or the
        gradient is wrong.
    TypeError
        If ``loss_class`` is not a :class:`Loss` subclass.
    """
    LOSSES.register(name, loss_class)
